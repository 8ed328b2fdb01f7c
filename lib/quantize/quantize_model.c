/* llamac_model_quantize: re-encode a GGUF model's weights.
 *
 * The input is mapped; output tensors are produced one at a time through
 * lc_gguf_write_streamed, each split by rows over a thread pool (every row
 * is encoded by exactly one thread with the same code, so the bytes do not
 * depend on the thread count). */
#include "quantize.h"

#include "common/threadpool.h"
#include "common/os.h"
#include "common/params.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void llamac_quantize_params_init(llamac_quantize_params *params, size_t size) {
    static const llamac_quantize_params defaults = {
        .ftype = LLAMAC_FTYPE_MOSTLY_Q4_K_M,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

/* One output tensor's plan. */
typedef struct qtensor {
    llamac_tensor_info in;
    llamac_type type; /* output encoding */
    bool convert;     /* re-encode (else copy the input bytes) */
} qtensor;

/* The first non-finite input a thread met: row and column within the tensor. */
typedef struct bad_value {
    int64_t row, col;
    float value;
    bool found;
} bad_value;

typedef struct quant_job {
    lc_env env;
    const llamac_quantize_params *p;
    qtensor *plan;
    lc_stream_tensor *out;
    int64_t n;
    lc_threadpool *pool;
    float **scratch;   /* per thread: one row of floats */
    bad_value *bad;    /* per thread */
    uint64_t bytes_in_total, bytes_in_done;
    /* the tensor being encoded */
    const qtensor *cur;
    uint8_t *dst;
} quant_job;

static bool is_float_type(llamac_type t) {
    return t == LLAMAC_TYPE_F32 || t == LLAMAC_TYPE_F16 || t == LLAMAC_TYPE_BF16;
}

static void encode_rows(void *arg, int ith, int nth) {
    quant_job *j = arg;
    const qtensor *q = j->cur;
    const int64_t n_per_row = q->in.ne[0];
    const int64_t n_rows = q->in.ne[1] * q->in.ne[2] * q->in.ne[3];
    const size_t in_row = lc_quant_row_bytes(q->in.type, n_per_row);
    const size_t out_row = lc_quant_row_bytes(q->type, n_per_row);
    const lc_to_float_fn dec = lc_quant_decoder(q->in.type);
    const lc_from_float_fn enc = lc_quant_encoder(q->type);
    float *f = j->scratch[ith];
    bad_value *bad = &j->bad[ith];
    int64_t r0, r1;
    lc_split_range(n_rows, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1 && !bad->found; r++) {
        dec((const uint8_t *)q->in.data + (size_t)r * in_row, f, n_per_row);
        for (int64_t c = 0; c < n_per_row; c++) {
            if (!isfinite(f[c])) {
                *bad = (bad_value){r, c, f[c], true};
                break;
            }
        }
        if (!bad->found) enc(f, j->dst + (size_t)r * out_row, n_per_row);
    }
}

static llamac_status fill_tensor(void *user, int64_t i, void *dst, uint64_t n_bytes) {
    quant_job *j = user;
    const qtensor *q = &j->plan[i];
    if (!q->convert) {
        memcpy(dst, q->in.data, (size_t)n_bytes);
    } else {
        const int nth = lc_threadpool_size(j->pool);
        for (int t = 0; t < nth; t++) j->bad[t].found = false;
        j->cur = q;
        j->dst = dst;
        lc_threadpool_run(j->pool, encode_rows, j);
        for (int t = 0; t < nth; t++) {
            /* threads take rows in order, so the first finder has the first row */
            const bad_value *b = &j->bad[t];
            if (b->found)
                return lc_fail(LLAMAC_ERR_FORMAT,
                               "tensor '%s': element %" PRId64 " of row %" PRId64 " is %f; "
                               "weights must be finite",
                               q->in.name, b->col, b->row, (double)b->value);
        }
    }
    lc_log(&j->env, LLAMAC_LOG_INFO, "[%4" PRId64 "/%4" PRId64 "] %-32s %-6s -> %-6s %9.2f MiB -> %9.2f MiB",
           i + 1, j->n, q->in.name, llamac_type_name(q->in.type), llamac_type_name(q->type),
           (double)q->in.n_bytes / 1048576.0, (double)n_bytes / 1048576.0);
    j->bytes_in_done += q->in.n_bytes;
    if (j->p->progress &&
        !j->p->progress((float)((double)j->bytes_in_done / (double)LC_MAX(j->bytes_in_total, 1)),
                        j->p->progress_user))
        return lc_fail(LLAMAC_ERR_CANCELLED, "quantization cancelled by the progress callback");
    return LLAMAC_OK;
}

/* An integer key whose absence or other type is tolerated: false then, and
 * the thread's message is left as it was (the quantization may succeed). */
static bool optional_int(const llamac_gguf *g, const char *key, int64_t *v) {
    if (llamac_gguf_find_key(g, key) < 0) return false;
    lc_error_saved saved;
    lc_error_save(&saved);
    if (llamac_gguf_get_i64(g, key, v) == LLAMAC_OK) return true;
    lc_error_restore(&saved);
    return false;
}

/* An integer hyperparameter "<arch>.<suffix>", or `def` when absent or not
 * a plain int32 (some architectures store per-layer arrays). */
static int32_t arch_int(const llamac_gguf *g, const char *arch, const char *suffix, int32_t def) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    int64_t v;
    return optional_int(g, key, &v) && v >= INT32_MIN && v <= INT32_MAX ? (int32_t)v : def;
}

static llamac_status describe_model(const llamac_gguf *g, lc_quant_model *m) {
    const char *arch = NULL;
    if (llamac_gguf_get_string(g, "general.architecture", &arch, NULL))
        return lc_fail(LLAMAC_ERR_FORMAT, "general.architecture is missing or not a string");
    int64_t n_split = 1;
    if (optional_int(g, "split.count", &n_split) && n_split > 1)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "split.count is %" PRId64 ": split GGUF files are not supported; merge them first",
                       n_split);
    memset(m, 0, sizeof *m);
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info info;
        llamac_gguf_tensor(g, i, &info);
        if (strstr(info.name, "attn_v.weight")) m->n_attn_v++;
        if (!strcmp(info.name, "output.weight")) m->has_output = true;
    }
    m->n_layer = arch_int(g, arch, "block_count", m->n_attn_v);
    m->n_head = arch_int(g, arch, "attention.head_count", 1);
    m->n_head_kv = arch_int(g, arch, "attention.head_count_kv", m->n_head);
    return LLAMAC_OK;
}

static llamac_status make_plan(const llamac_gguf *g, const llamac_quantize_params *p,
                               qtensor *plan, lc_stream_tensor *out, int64_t n) {
    lc_quant_model m;
    llamac_status st = describe_model(g, &m);
    for (int64_t i = 0; i < n && !st; i++) {
        qtensor *q = &plan[i];
        llamac_gguf_tensor(g, i, &q->in);
        q->type = q->in.type;
        if (lc_quant_wants(q->in.name, q->in.n_dims)) {
            st = lc_quant_choose(p->ftype, p->pure, &m, q->in.name, q->in.ne[0], &q->type);
            if (st) break;
        }
        q->convert = q->type != q->in.type;
        if (q->convert && !is_float_type(q->in.type) && !p->allow_requantize)
            st = lc_fail(LLAMAC_ERR_UNSUPPORTED,
                         "tensor '%s' is already %s; re-quantizing loses quality twice and "
                         "needs allow_requantize (--allow-requantize)",
                         q->in.name, llamac_type_name(q->in.type));
        else if (q->convert && !lc_quant_decoder(q->in.type))
            st = lc_fail(LLAMAC_ERR_UNSUPPORTED, "tensor '%s': llamac cannot decode %s",
                         q->in.name, llamac_type_name(q->in.type));
        if (st) break;
        /* the reader checked that the element count fits 64 bits */
        const uint64_t rows = (uint64_t)(q->in.ne[1] * q->in.ne[2] * q->in.ne[3]);
        out[i] = (lc_stream_tensor){q->in.name, q->type, q->in.n_dims,
                                    {q->in.ne[0], q->in.ne[1], q->in.ne[2], q->in.ne[3]},
                                    q->in.n_bytes};
        if (q->convert &&
            lc_mul_overflow_u64(rows, lc_quant_row_bytes(q->type, q->in.ne[0]), &out[i].n_bytes))
            st = lc_fail(LLAMAC_ERR_UNSUPPORTED, "tensor '%s': its %s encoding would exceed 2^64 bytes",
                         q->in.name, llamac_type_name(q->type));
    }
    return st;
}

static llamac_status run(quant_job *j, const llamac_gguf *in, const char *out_path) {
    const lc_env *env = &j->env;
    llamac_status st = make_plan(in, j->p, j->plan, j->out, j->n);
    int nth = j->p->n_threads ? j->p->n_threads : lc_cpu_count(LC_QUANT_MAX_AUTO_THREADS);
    int64_t max_row = 1;
    for (int64_t i = 0; i < j->n; i++) {
        j->bytes_in_total += j->plan[i].in.n_bytes;
        max_row = LC_MAX(max_row, j->plan[i].in.ne[0]);
    }
    if (!st) st = lc_threadpool_new(env, nth, &j->pool);
    if (!st) {
        j->scratch = lc_calloc(env, (size_t)nth, sizeof *j->scratch);
        j->bad = lc_calloc(env, (size_t)nth, sizeof *j->bad);
        if (!j->scratch || !j->bad) st = LLAMAC_ERR_NO_MEMORY;
        for (int t = 0; t < nth && !st; t++)
            if (!(j->scratch[t] = lc_calloc(env, (size_t)max_row, sizeof(float))))
                st = LLAMAC_ERR_NO_MEMORY;
    }
    llamac_gguf_writer *w = NULL;
    if (!st) st = llamac_gguf_writer_new(&env->alloc, &w);
    if (!st) st = llamac_gguf_writer_copy_kv(w, in);
    if (!st) st = llamac_gguf_writer_set_u32(w, "general.quantization_version", 2);
    if (!st) st = llamac_gguf_writer_set_u32(w, "general.file_type", (uint32_t)j->p->ftype);
    if (!st) st = lc_gguf_write_streamed(env, w, j->out, j->n, fill_tensor, j, out_path);
    llamac_gguf_writer_free(w);
    for (int t = 0; j->scratch && t < nth; t++) lc_free(env, j->scratch[t]);
    lc_free(env, j->scratch);
    lc_free(env, j->bad);
    lc_threadpool_free(j->pool);
    return st;
}

llamac_status llamac_model_quantize(const char *in_path, const char *out_path,
                                    const llamac_quantize_params *params) {
    llamac_quantize_params p;
    llamac_quantize_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, params, "llamac_model_quantize", "llamac_quantize");
    if (params_st) return params_st;
    LC_REQUIRE(in_path);
    LC_REQUIRE(out_path);
    if (lc_ftype_base_type(p.ftype) == LLAMAC_TYPE_COUNT)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_quantize: file type %d is not one llamac writes",
                       (int)p.ftype);
    if (p.n_threads < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_quantize: n_threads is %" PRId32,
                       p.n_threads);
    quant_job j;
    memset(&j, 0, sizeof j);
    lc_env_init(&j.env, p.allocator, p.log_fn, p.log_user);
    j.p = &p;
    llamac_gguf_params gp = llamac_gguf_default_params();
    gp.allocator = p.allocator;
    gp.log_fn = p.log_fn;
    gp.log_user = p.log_user;
    llamac_gguf *in = NULL;
    llamac_status st = llamac_gguf_open(in_path, &gp, &in);
    if (st) return st;
    j.n = llamac_gguf_n_tensors(in);
    j.plan = lc_calloc(&j.env, (size_t)j.n + 1, sizeof *j.plan);
    j.out = lc_calloc(&j.env, (size_t)j.n + 1, sizeof *j.out);
    if (!j.plan || !j.out) st = LLAMAC_ERR_NO_MEMORY;
    if (!st) st = run(&j, in, out_path);
    if (st) lc_error_prefix("quantizing '%s' to '%s'", in_path, out_path);
    lc_free(&j.env, j.plan);
    lc_free(&j.env, j.out);
    llamac_gguf_free(in);
    return st;
}
