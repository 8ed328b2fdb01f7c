/* llamac_model_synth: llama-architecture GGUF files of real shapes with
 * seeded random weights, the input of benchmarks and of quantizer tests.
 *
 * Each weight row gets its own generator seeded from (seed, tensor index,
 * row), so rows can be produced by any thread in any order and the file
 * depends on the seed alone. Values are standard normal (Box-Muller on
 * xoshiro256** uniforms) times 1 / sqrt(fan_in): a matrix then keeps the
 * scale of the vector it multiplies, and activations neither vanish nor
 * blow up through the layers. */
#include "quantize.h"

#include "common/rng.h"
#include "common/threadpool.h"
#include "common/os.h"
#include "common/params.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void llamac_synth_params_init(llamac_synth_params *params, size_t size) {
    static const llamac_synth_params defaults = {
        .shape = "tinyllama-1.1b",
        .type = LLAMAC_TYPE_F16,
        .seed = 42,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

typedef struct synth_shape {
    const char *name;
    int32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
    float rope_base;
    bool tied_output; /* no output.weight: the output reuses token_embd */
} synth_shape;

static const synth_shape shapes[] = {
    {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.f, false},
    {"llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.f, true},
    {"llama-2-7b", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.f, false},
    {"tiny", 256, 2, 8, 4, 768, 2048, 2048, 10000.f, false},
};
#define N_SHAPES ((int32_t)(sizeof shapes / sizeof shapes[0]))

const char *llamac_synth_shape_name(int32_t i) {
    return i >= 0 && i < N_SHAPES ? shapes[i].name : NULL;
}

/* ---- vocabulary ----
 * <unk>, <s>, </s>, the byte tokens, then "▁" and letter strings by length,
 * each word first with the SentencePiece space mark and then without
 * ("▁a", "a", ..., "▁zz", "zz", ...), scored so that earlier pieces merge
 * first. Every multi-letter piece splits into two shorter pieces, so the
 * SentencePiece merge loop reaches it. */

#define N_FIXED 259 /* <unk>, <s>, </s>, 256 bytes */
#define PIECE_MAX 16

static void filler_piece(int64_t k, char out[PIECE_MAX]) {
    static const char space[] = "\xe2\x96\x81"; /* U+2581 */
    if (k == 0) {
        memcpy(out, space, sizeof space);
        return;
    }
    k -= 1;
    int len = 1;
    int64_t count = 26;
    while (k >= 2 * count) {
        k -= 2 * count;
        count *= 26;
        len++;
    }
    const bool marked = k % 2 == 0;
    int64_t word = k / 2;
    size_t pos = 0;
    if (marked) {
        memcpy(out, space, 3);
        pos = 3;
    }
    for (int c = len - 1; c >= 0; c--) {
        out[pos + (size_t)c] = (char)('a' + word % 26);
        word /= 26;
    }
    out[pos + (size_t)len] = '\0';
}

static llamac_status add_vocab(const lc_env *env, llamac_gguf_writer *w, int32_t n_vocab) {
    char *arena = lc_calloc(env, (size_t)n_vocab, PIECE_MAX);
    const char **text = lc_calloc(env, (size_t)n_vocab, sizeof *text);
    float *scores = lc_calloc(env, (size_t)n_vocab, sizeof *scores);
    int32_t *types = lc_calloc(env, (size_t)n_vocab, sizeof *types);
    llamac_status st = arena && text && scores && types ? LLAMAC_OK : LLAMAC_ERR_NO_MEMORY;
    for (int32_t i = 0; i < n_vocab && !st; i++) {
        char *s = arena + (size_t)i * PIECE_MAX;
        text[i] = s;
        if (i == 0) {
            strcpy(s, "<unk>");
            types[i] = LLAMAC_TOKEN_TYPE_UNKNOWN;
        } else if (i < 3) {
            strcpy(s, i == 1 ? "<s>" : "</s>");
            types[i] = LLAMAC_TOKEN_TYPE_CONTROL;
        } else if (i < N_FIXED) {
            snprintf(s, PIECE_MAX, "<0x%02X>", (unsigned)(i - 3));
            types[i] = LLAMAC_TOKEN_TYPE_BYTE;
        } else {
            filler_piece(i - N_FIXED, s);
            types[i] = LLAMAC_TOKEN_TYPE_NORMAL;
            scores[i] = -(float)(i - N_FIXED);
        }
    }
    if (!st) st = llamac_gguf_writer_set_string(w, "tokenizer.ggml.model", "llama");
    if (!st) st = llamac_gguf_writer_set_string(w, "tokenizer.ggml.pre", "default");
    if (!st) st = llamac_gguf_writer_set_string_array(w, "tokenizer.ggml.tokens", text, (uint64_t)n_vocab);
    if (!st)
        st = llamac_gguf_writer_set_value(w, "tokenizer.ggml.scores", LLAMAC_GGUF_FLOAT32, true,
                                          scores, (uint64_t)n_vocab);
    if (!st)
        st = llamac_gguf_writer_set_value(w, "tokenizer.ggml.token_type", LLAMAC_GGUF_INT32, true,
                                          types, (uint64_t)n_vocab);
    if (!st) st = llamac_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
    if (!st) st = llamac_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2);
    if (!st) st = llamac_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    if (!st) st = llamac_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", true);
    if (!st) st = llamac_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", false);
    lc_free(env, arena);
    lc_free(env, text);
    lc_free(env, scores);
    lc_free(env, types);
    return st;
}

static llamac_status add_hparams(llamac_gguf_writer *w, const synth_shape *s, llamac_type type,
                                 uint64_t seed) {
    char name[128];
    snprintf(name, sizeof name, "llamac synthetic %s (seed %" PRIu64 ")", s->name, seed);
    const struct { const char *key; uint32_t v; } u32s[] = {
        {"llama.context_length", (uint32_t)s->n_ctx},
        {"llama.embedding_length", (uint32_t)s->n_embd},
        {"llama.block_count", (uint32_t)s->n_layer},
        {"llama.feed_forward_length", (uint32_t)s->n_ff},
        {"llama.attention.head_count", (uint32_t)s->n_head},
        {"llama.attention.head_count_kv", (uint32_t)s->n_head_kv},
        {"llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head)},
        {"llama.vocab_size", (uint32_t)s->n_vocab},
        {"general.file_type",
         (uint32_t)(type == LLAMAC_TYPE_F32 ? LLAMAC_FTYPE_ALL_F32 : LLAMAC_FTYPE_MOSTLY_F16)},
    };
    llamac_status st = llamac_gguf_writer_set_string(w, "general.architecture", "llama");
    if (!st) st = llamac_gguf_writer_set_string(w, "general.name", name);
    for (size_t i = 0; i < sizeof u32s / sizeof u32s[0] && !st; i++)
        st = llamac_gguf_writer_set_u32(w, u32s[i].key, u32s[i].v);
    if (!st) st = llamac_gguf_writer_set_f32(w, "llama.rope.freq_base", s->rope_base);
    if (!st) st = llamac_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    return st;
}

/* ---- tensors ---- */

typedef struct synth_tensor {
    char name[64];
    lc_stream_tensor t;
} synth_tensor;

/* Appends a tensor of ne1 rows of ne0 (ne1 == 0: a vector) when list is
 * not NULL; counts it either way. */
static void add_tensor(synth_tensor *list, int64_t *n, const char *name, llamac_type type,
                       int64_t ne0, int64_t ne1) {
    if (list) {
        synth_tensor *x = &list[*n];
        snprintf(x->name, sizeof x->name, "%s", name);
        x->t = (lc_stream_tensor){x->name, type, ne1 ? 2u : 1u, {ne0, ne1 ? ne1 : 1, 1, 1}, 0};
        x->t.n_bytes = (uint64_t)ne0 * (uint64_t)x->t.ne[1] * llamac_type_block_bytes(type);
    }
    (*n)++;
}

/* Tensors in the order llama.cpp's converter writes them. Returns the count
 * (call with list NULL to count). */
static int64_t list_tensors(const synth_shape *s, llamac_type type, synth_tensor *list) {
    const int64_t e = s->n_embd, kv = (int64_t)s->n_embd / s->n_head * s->n_head_kv;
    int64_t n = 0;
    add_tensor(list, &n, "token_embd.weight", type, e, s->n_vocab);
    add_tensor(list, &n, "output_norm.weight", LLAMAC_TYPE_F32, e, 0);
    if (!s->tied_output) add_tensor(list, &n, "output.weight", type, e, s->n_vocab);
    static const struct { const char *part; int in, out; } blk[] = {
        /* in/out: 0 = n_embd, 1 = n_ff, 2 = K/V width, -1 = vector */
        {"attn_norm", 0, -1}, {"attn_q", 0, 0},   {"attn_k", 0, 2},  {"attn_v", 0, 2},
        {"attn_output", 0, 0}, {"ffn_norm", 0, -1}, {"ffn_gate", 0, 1}, {"ffn_up", 0, 1},
        {"ffn_down", 1, 0},
    };
    const int64_t dim[3] = {e, s->n_ff, kv};
    for (int l = 0; l < s->n_layer; l++) {
        for (size_t k = 0; k < sizeof blk / sizeof blk[0]; k++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, blk[k].part);
            const bool vec = blk[k].out < 0;
            add_tensor(list, &n, name, vec ? LLAMAC_TYPE_F32 : type, dim[blk[k].in],
                       vec ? 0 : dim[blk[k].out]);
        }
    }
    return n;
}

typedef struct synth_job {
    lc_env env;
    const llamac_synth_params *p;
    const synth_tensor *list;
    int64_t n;
    lc_threadpool *pool;
    float **scratch; /* per thread: one row */
    uint64_t bytes_total, bytes_done;
    /* the tensor being generated */
    int64_t cur;
    uint8_t *dst;
} synth_job;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* n standard normal values times `scale` (n even or odd). */
static void gaussian_row(lc_rng *rng, float *out, int64_t n, double scale) {
    const double two_pi = 6.283185307179586;
    for (int64_t i = 0; i < n; i += 2) {
        /* 1 - u lies in (0, 1]: the logarithm stays finite */
        const double r = sqrt(-2.0 * log(1.0 - lc_rng_uniform(rng))) * scale;
        const double a = two_pi * lc_rng_uniform(rng);
        out[i] = (float)(r * cos(a));
        if (i + 1 < n) out[i + 1] = (float)(r * sin(a));
    }
}

static void generate_rows(void *arg, int ith, int nth) {
    synth_job *j = arg;
    const lc_stream_tensor *t = &j->list[j->cur].t;
    const int64_t n_per_row = t->ne[0];
    const size_t row_bytes = (size_t)n_per_row * llamac_type_block_bytes(t->type);
    const double scale = 1.0 / sqrt((double)n_per_row);
    float *f = j->scratch[ith];
    int64_t r0, r1;
    lc_split_range(t->ne[1], ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r++) {
        lc_rng rng;
        lc_rng_seed(&rng, mix64(j->p->seed + mix64((uint64_t)j->cur << 32 | (uint64_t)r)));
        gaussian_row(&rng, f, n_per_row, scale);
        uint8_t *dst = j->dst + (size_t)r * row_bytes;
        if (t->type == LLAMAC_TYPE_F16) lc_fp32_to_fp16_row(f, (uint16_t *)dst, n_per_row);
        else memcpy(dst, f, row_bytes);
    }
}

static llamac_status fill_tensor(void *user, int64_t i, void *dst, uint64_t n_bytes) {
    synth_job *j = user;
    const lc_stream_tensor *t = &j->list[i].t;
    if (t->n_dims == 1) {
        /* norm weights: 1 */
        const float one = 1.f;
        for (int64_t k = 0; k < t->ne[0]; k++) memcpy((uint8_t *)dst + 4 * k, &one, 4);
    } else {
        j->cur = i;
        j->dst = dst;
        lc_threadpool_run(j->pool, generate_rows, j);
    }
    j->bytes_done += n_bytes;
    lc_log(&j->env, LLAMAC_LOG_INFO, "[%4" PRId64 "/%4" PRId64 "] %-32s %-4s %9.2f MiB", i + 1,
           j->n, t->name, llamac_type_name(t->type), (double)n_bytes / 1048576.0);
    if (j->p->progress &&
        !j->p->progress((float)((double)j->bytes_done / (double)j->bytes_total), j->p->progress_user))
        return lc_fail(LLAMAC_ERR_CANCELLED, "synthesis cancelled by the progress callback");
    return LLAMAC_OK;
}

static llamac_status synth(synth_job *j, const synth_shape *s, const char *path) {
    const lc_env *env = &j->env;
    const int nth = j->p->n_threads ? j->p->n_threads : lc_cpu_count(LC_QUANT_MAX_AUTO_THREADS);
    llamac_gguf_writer *w = NULL;
    llamac_status st = llamac_gguf_writer_new(&env->alloc, &w);
    if (!st) st = add_hparams(w, s, j->p->type, j->p->seed);
    if (!st) st = add_vocab(env, w, s->n_vocab);
    if (!st) st = lc_threadpool_new(env, nth, &j->pool);
    if (!st) {
        j->scratch = lc_calloc(env, (size_t)nth, sizeof *j->scratch);
        if (!j->scratch) st = LLAMAC_ERR_NO_MEMORY;
        const int32_t widest = LC_MAX(s->n_embd, s->n_ff);
        for (int t = 0; t < nth && !st; t++)
            if (!(j->scratch[t] = lc_calloc(env, (size_t)widest, sizeof(float)))) st = LLAMAC_ERR_NO_MEMORY;
    }
    synth_tensor *list = NULL;
    if (!st) {
        j->n = list_tensors(s, j->p->type, NULL);
        list = lc_calloc(env, (size_t)j->n, sizeof *list);
        if (!list) st = LLAMAC_ERR_NO_MEMORY;
    }
    if (!st) {
        list_tensors(s, j->p->type, list);
        j->list = list;
        lc_stream_tensor *ts = lc_calloc(env, (size_t)j->n, sizeof *ts);
        if (!ts) st = LLAMAC_ERR_NO_MEMORY;
        for (int64_t i = 0; i < j->n && !st; i++) {
            ts[i] = list[i].t;
            j->bytes_total += ts[i].n_bytes;
        }
        if (!st) st = lc_gguf_write_streamed(env, w, ts, j->n, fill_tensor, j, path);
        lc_free(env, ts);
    }
    lc_free(env, list);
    for (int t = 0; j->scratch && t < nth; t++) lc_free(env, j->scratch[t]);
    lc_free(env, j->scratch);
    lc_threadpool_free(j->pool);
    llamac_gguf_writer_free(w);
    return st;
}

llamac_status llamac_model_synth(const char *path, const llamac_synth_params *params) {
    llamac_synth_params p;
    llamac_synth_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, params, "llamac_model_synth", "llamac_synth");
    if (params_st) return params_st;
    if (!path) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_synth: path is NULL");
    if (p.type != LLAMAC_TYPE_F32 && p.type != LLAMAC_TYPE_F16)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_synth: type must be F32 or F16, not %s",
                       llamac_type_name(p.type) ? llamac_type_name(p.type) : "an invalid id");
    if (p.n_threads < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_synth: n_threads is %" PRId32, p.n_threads);
    const synth_shape *s = NULL;
    for (int32_t i = 0; i < N_SHAPES && p.shape; i++)
        if (!strcmp(p.shape, shapes[i].name)) s = &shapes[i];
    if (!s) {
        char list[160];
        size_t pos = 0;
        for (int32_t i = 0; i < N_SHAPES; i++)
            pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "", shapes[i].name);
        return lc_fail(LLAMAC_ERR_NOT_FOUND, "unknown model shape '%.64s'; known: %s",
                       p.shape ? p.shape : "(null)", list);
    }
    synth_job j;
    memset(&j, 0, sizeof j);
    lc_env_init(&j.env, p.allocator, p.log_fn, p.log_user);
    j.p = &p;
    llamac_status st = synth(&j, s, path);
    if (st) lc_error_prefix("writing synthetic %s model '%s'", s->name, path);
    return st;
}
