/* Contexts: creation (every buffer a decode will need), llamac_decode
 * (validate, take cells, run the forward pass, publish logits), logits
 * access and the KV cache operations of the public API. */
#include "context_private.h"

#include "batch.h"
#include "matmul.h"
#include "common/os.h"
#include "common/params.h"

#include <math.h>
#include <string.h>

#define DEFAULT_N_CTX 4096u
#define DEFAULT_N_BATCH 512u
#define MAX_THREADS 512
#define MAX_AUTO_THREADS 16
#define MAX_SEQ 1024u

void llamac_context_params_init(llamac_context_params *params, size_t size) {
    static const llamac_context_params defaults = {
        .n_ctx = DEFAULT_N_CTX,
        .n_batch = DEFAULT_N_BATCH,
        .n_seq_max = 1,
        .kv_type = LLAMAC_TYPE_F16,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

static llamac_status resolve_params(const llamac_model *model, const llamac_context_params *in,
                                    llamac_context_params *p) {
    llamac_context_params_init(p, sizeof *p);
    llamac_status params_st = lc_params_read(p, sizeof *p, in, "llamac_context_new", "llamac_context");
    if (params_st) return params_st;
    if (p->n_ctx == 0) p->n_ctx = (uint32_t)model->hp.n_ctx_train;
    if (p->n_ctx > INT32_MAX)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: n_ctx %u is larger than %d", p->n_ctx, INT32_MAX);
    if (p->n_batch == 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: n_batch is 0, expected at least 1");
    p->n_batch = LC_MIN(p->n_batch, p->n_ctx);
    if (p->n_seq_max < 1 || p->n_seq_max > MAX_SEQ)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: n_seq_max is %u, expected 1..%u", p->n_seq_max,
                       MAX_SEQ);
    if (p->n_threads < 0 || p->n_threads > MAX_THREADS)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: n_threads is %d, expected 0 (automatic) .. %d",
                       p->n_threads, MAX_THREADS);
    if (p->n_threads == 0) p->n_threads = lc_cpu_count(MAX_AUTO_THREADS);
    if (p->kv_type != LLAMAC_TYPE_F16 && p->kv_type != LLAMAC_TYPE_F32) {
        const char *name = llamac_type_name(p->kv_type);
        return lc_fail(name ? LLAMAC_ERR_UNSUPPORTED : LLAMAC_ERR_INVALID_ARG,
                       "llamac_context_new: kv_type %s is not supported (F16 or F32)", name ? name : "(invalid)");
    }
    return LLAMAC_OK;
}

/* ---- one arena for all scratch ---- */

typedef struct arena_plan {
    size_t total;
    bool overflow;
} arena_plan;

/* Reserves count * size bytes (64-byte aligned) and returns the offset. */
static size_t reserve(arena_plan *a, size_t count, size_t size) {
    size_t n, off = a->total;
    if (lc_mul_overflow_size(count, size, &n) || lc_add_overflow_size(n, 63, &n) ||
        lc_add_overflow_size(a->total, n & ~(size_t)63, &a->total))
        a->overflow = true;
    return off;
}

/* The largest converted-activation buffer any matmul of the model needs. */
static size_t conv_bytes(const llamac_model *m, size_t n_tok) {
    size_t best = 0;
    for (int32_t il = 0; il < m->hp.n_layer; il++) {
        const lc_layer *L = &m->layers[il];
        const lc_matmul_job qkv[] = {{&L->wq, NULL}, {&L->wk, NULL}, {&L->wv, NULL}};
        const lc_matmul_job o[] = {{&L->wo, NULL}};
        const lc_matmul_job gu[] = {{&L->w_gate, NULL}, {&L->w_up, NULL}};
        const lc_matmul_job d[] = {{&L->w_down, NULL}};
        best = LC_MAX(best, lc_matmul_scratch_bytes(qkv, 3, (int64_t)n_tok));
        best = LC_MAX(best, lc_matmul_scratch_bytes(o, 1, (int64_t)n_tok));
        best = LC_MAX(best, lc_matmul_scratch_bytes(gu, 2, (int64_t)n_tok));
        best = LC_MAX(best, lc_matmul_scratch_bytes(d, 1, (int64_t)n_tok));
    }
    const lc_matmul_job out[] = {{&m->output, NULL}};
    return LC_MAX(best, lc_matmul_scratch_bytes(out, 1, (int64_t)n_tok));
}

/* Where each buffer lives in the arena: byte offsets from its base. */
typedef struct arena_layout {
    size_t total;
    size_t x, xb, q, k, v, att, hb, hb2, rope, conv;
    size_t threads, cells, scores, qconv, row;
    size_t bcells, seqpos, shift, logits, outrow;
    size_t q_conv_bytes; /* one query head converted for the attention dot */
} arena_layout;

/* Sizes every scratch buffer for the resolved params; nothing is allocated. */
static llamac_status plan_arena(const llamac_model *model, const llamac_context_params *p, arena_layout *l) {
    const lc_hparams *hp = &model->hp;
    const size_t B = p->n_batch, n_ctx = p->n_ctx, nt = (size_t)p->n_threads;
    const size_t n_embd = (size_t)hp->n_embd, n_q = (size_t)hp->n_head * (size_t)hp->head_dim,
                 n_kv = (size_t)hp->n_head_kv * (size_t)hp->head_dim, n_ff = (size_t)hp->n_ff;
    const llamac_type q_type = lc_scalar_traits(p->kv_type)->vec_dot_type;
    l->q_conv_bytes = (lc_row_size(q_type, hp->head_dim) + 63) & ~(size_t)63;
    /* matmul inputs are at most n_batch rows, so this bounds every product */
    size_t B_embd = 0, B_q = 0, B_kv = 0, B_ff = 0, n_ctx_bytes = 0;
    arena_plan a = {0, false};
    a.overflow = lc_mul_overflow_size(B, n_embd, &B_embd) || lc_mul_overflow_size(B, n_q, &B_q) ||
                 lc_mul_overflow_size(B, n_kv, &B_kv) || lc_mul_overflow_size(B, n_ff, &B_ff) ||
                 lc_mul_overflow_size(n_ctx, sizeof(float), &n_ctx_bytes);
    l->x = reserve(&a, B_embd, sizeof(float));
    l->xb = reserve(&a, B_embd, sizeof(float));
    l->q = reserve(&a, B_q, sizeof(float));
    l->k = reserve(&a, B_kv, sizeof(float));
    l->v = reserve(&a, B_kv, sizeof(float));
    l->att = reserve(&a, B_q, sizeof(float));
    l->hb = reserve(&a, B_ff, sizeof(float));
    l->hb2 = reserve(&a, B_ff, sizeof(float));
    l->rope = reserve(&a, B, (size_t)hp->n_rot * sizeof(float));
    l->conv = reserve(&a, conv_bytes(model, B), 1);
    l->threads = reserve(&a, nt, sizeof(lc_thread_scratch));
    l->cells = reserve(&a, nt, n_ctx_bytes); /* int32 per cell */
    l->scores = reserve(&a, nt * LC_ATTN_HEADS, n_ctx_bytes);
    l->qconv = reserve(&a, nt * LC_ATTN_HEADS, l->q_conv_bytes);
    l->row = reserve(&a, nt, n_kv * sizeof(float));
    l->bcells = reserve(&a, B, sizeof(int32_t));
    l->seqpos = reserve(&a, p->n_seq_max, sizeof(int32_t));
    l->shift = reserve(&a, n_ctx, sizeof(int32_t));
    l->logits = reserve(&a, B, (size_t)hp->n_vocab * sizeof(float));
    l->outrow = reserve(&a, B, sizeof(int32_t));
    l->total = a.total;
    if (a.overflow)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_context_new: the scratch for n_batch %zu, n_ctx %zu and %zu threads needs more bytes "
                       "than size_t holds",
                       B, n_ctx, nt);
    return LLAMAC_OK;
}

/* Points the context's buffers into the arena at `base` and zeroes it. */
static void bind_arena(llamac_context *ctx, uint8_t *base, const arena_layout *l) {
    const size_t n_ctx = ctx->params.n_ctx, nt = (size_t)ctx->params.n_threads;
    const lc_hparams *hp = &ctx->model->hp;
    const size_t n_kv = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    memset(base, 0, l->total);
    ctx->arena = base;
    lc_activations *act = &ctx->act;
    act->x = (float *)(base + l->x);
    act->xb = (float *)(base + l->xb);
    act->q = (float *)(base + l->q);
    act->k = (float *)(base + l->k);
    act->v = (float *)(base + l->v);
    act->att = (float *)(base + l->att);
    act->hb = (float *)(base + l->hb);
    act->hb2 = (float *)(base + l->hb2);
    act->rope = (float *)(base + l->rope);
    act->conv = base + l->conv;
    ctx->threads = (lc_thread_scratch *)(base + l->threads);
    for (size_t i = 0; i < nt; i++) {
        lc_thread_scratch *ts = &ctx->threads[i];
        ts->cells = (int32_t *)(base + l->cells) + i * n_ctx;
        ts->attn.scores = (float *)(base + l->scores) + i * LC_ATTN_HEADS * n_ctx;
        ts->attn.score_stride = (int64_t)n_ctx;
        ts->attn.q_conv = base + l->qconv + i * LC_ATTN_HEADS * l->q_conv_bytes;
        ts->attn.q_conv_bytes = l->q_conv_bytes;
        ts->row = (float *)(base + l->row) + i * n_kv;
        ts->attn.v_row = ts->row;
    }
    ctx->batch_cells = (int32_t *)(base + l->bcells);
    ctx->seq_pos = (int32_t *)(base + l->seqpos);
    ctx->shifted = (int32_t *)(base + l->shift);
    ctx->logits = (float *)(base + l->logits);
    ctx->out_row = (int32_t *)(base + l->outrow);
    for (uint32_t i = 0; i < ctx->params.n_batch; i++) ctx->out_row[i] = -1;
}

/* Every block a context owns, taken before any of them is written: an
 * impossible size is refused by the allocator with no memory touched. */
typedef struct context_blocks {
    lc_kv_blocks kv;
    uint8_t *arena;
    llamac_context *ctx;
} context_blocks;

static void free_blocks(context_blocks *b, const lc_env *env) {
    lc_kv_blocks_free(&b->kv, env);
    lc_free_aligned(env, b->arena);
    lc_free(env, b->ctx);
    memset(b, 0, sizeof *b);
}

static llamac_status alloc_blocks(context_blocks *b, const lc_env *env, const lc_kv_shape *kv,
                                  const arena_layout *arena, const llamac_context_params *p) {
    memset(b, 0, sizeof *b);
    llamac_status st = lc_kv_blocks_alloc(&b->kv, env, kv);
    if (st != LLAMAC_OK) return st;
    b->arena = lc_malloc_aligned(env, arena->total, 64);
    if (!b->arena) {
        free_blocks(b, env);
        return lc_fail(LLAMAC_ERR_NO_MEMORY,
                       "out of memory for the scratch and logits: %zu bytes (n_batch %u, n_ctx %u, %d threads)",
                       arena->total, p->n_batch, p->n_ctx, p->n_threads);
    }
    b->ctx = lc_malloc(env, sizeof *b->ctx);
    if (!b->ctx) {
        free_blocks(b, env);
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "out of memory for the context: %zu bytes", sizeof *b->ctx);
    }
    return LLAMAC_OK;
}

/* Sizes everything first: the sum must fit size_t before anything is asked for. */
static llamac_status plan_context(const llamac_model *model, const llamac_context_params *p, lc_kv_shape *kv,
                                  arena_layout *arena, size_t *total) {
    const lc_hparams *hp = &model->hp;
    llamac_status st = lc_kv_shape_init(kv, (int32_t)p->n_ctx, (int32_t)p->n_seq_max, hp->n_layer,
                                        (int64_t)hp->n_head_kv * hp->head_dim, p->kv_type);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_context_new: n_ctx %u", p->n_ctx);
        return st;
    }
    if ((st = plan_arena(model, p, arena))) return st;
    if (lc_kv_shape_total(kv, total) || lc_add_overflow_size(*total, arena->total, total) ||
        lc_add_overflow_size(*total, sizeof(llamac_context), total))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_context_new: n_ctx %u, n_batch %u: the KV cache (%zu bytes) and the scratch "
                       "(%zu bytes) together need more bytes than size_t holds",
                       p->n_ctx, p->n_batch, kv->pos_bytes + kv->seqs_bytes + 2 * kv->kv_bytes, arena->total);
    return LLAMAC_OK;
}

/* The table of the back end `kernels` names, checked against this build
 * and this CPU. */
static llamac_status pick_kernels(llamac_kernels kernels, const lc_kernel_table **out) {
    const char *name = lc_kernels_name(kernels);
    if (!name)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: kernels is %d, not a llamac_kernels value",
                       (int)kernels);
    const lc_kernel_table *t = lc_kernel_table_for(kernels);
    if (!t)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "llamac_context_new: kernels %s requested but this build has none",
                       name);
    if (!lc_kernel_table_runs_here(t))
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "llamac_context_new: kernels %s requested but this CPU lacks the instructions they use", name);
    *out = t;
    return LLAMAC_OK;
}

/* Checks the arguments and resolves the params; *table: the back end
 * they name, unless pick is false. */
static llamac_status begin_new(const llamac_model *model, const llamac_context_params *params, bool pick,
                               llamac_context_params *p, const lc_kernel_table **table, llamac_context **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: out is NULL");
    *out = NULL;
    if (!model) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_context_new: model is NULL");
    llamac_status st = resolve_params(model, params, p);
    if (st == LLAMAC_OK && pick) st = pick_kernels(p->kernels, table);
    return st;
}

/* Sizes, allocates and fills a context of resolved params p. */
static llamac_status context_new(const llamac_model *model, llamac_context_params p, const lc_kernel_table *table,
                                 llamac_context **out) {
    llamac_status st;
    const lc_env *env = &model->env;
    const lc_hparams *hp = &model->hp;
    if (p.n_ctx > (uint32_t)hp->n_ctx_train)
        lc_log(env, LLAMAC_LOG_WARN, "n_ctx %u exceeds the %d positions the model was trained on", p.n_ctx,
               hp->n_ctx_train);
    lc_kv_shape kv_shape;
    arena_layout arena;
    size_t total;
    if ((st = plan_context(model, &p, &kv_shape, &arena, &total))) return st;
    context_blocks b;
    if ((st = alloc_blocks(&b, env, &kv_shape, &arena, &p))) {
        lc_error_prefix("llamac_context_new: n_ctx %u needs %zu bytes in all", p.n_ctx, total);
        return st;
    }
    lc_threadpool *pool;
    if ((st = lc_threadpool_new(env, p.n_threads, &pool))) {
        free_blocks(&b, env);
        lc_error_prefix("llamac_context_new");
        return st;
    }

    /* Everything is allocated: only now is memory written. */
    llamac_context *ctx = b.ctx;
    memset(ctx, 0, sizeof *ctx);
    ctx->model = model;
    ctx->env = env;
    ctx->params = p;
    ctx->pool = pool;
    lc_rope_init(&ctx->rope, hp->n_rot, hp->rope_base, hp->rope_freq_scale, model->rope_freqs);
    ctx->kq_scale = 1.0f / sqrtf((float)hp->head_dim);
    lc_kernel_table_resolve(table, &ctx->kernels);
    const char *name = lc_kernel_table_name(table);
    ctx->kernels_name = name ? name : "custom";
    lc_kv_init(&ctx->kv, env, &kv_shape, &b.kv);
    bind_arena(ctx, b.arena, &arena);
    ctx->out_chunk_rows = lc_output_chunk_rows(model);
    ctx->n_threads_max = p.n_threads;
    *out = ctx;
    return LLAMAC_OK;
}

llamac_status llamac_context_new(const llamac_model *model, const llamac_context_params *params,
                                 llamac_context **out) {
    llamac_context_params p;
    const lc_kernel_table *table = NULL;
    llamac_status st = begin_new(model, params, true, &p, &table, out);
    return st != LLAMAC_OK ? st : context_new(model, p, table, out);
}

llamac_status lc_context_new_with_kernels(const llamac_model *model, const llamac_context_params *params,
                                          const lc_kernel_table *table, llamac_context **out) {
    llamac_context_params p;
    llamac_status st = begin_new(model, params, false, &p, NULL, out);
    return st != LLAMAC_OK ? st : context_new(model, p, table, out);
}

llamac_status lc_context_plan(const llamac_model *model, const llamac_context_params *params, size_t *kv_bytes,
                              size_t *scratch_bytes, int32_t *n_threads) {
    llamac_context_params p;
    llamac_status st = resolve_params(model, params, &p);
    if (st != LLAMAC_OK) return st;
    lc_kv_shape kv;
    arena_layout arena;
    size_t total;
    if ((st = plan_context(model, &p, &kv, &arena, &total))) return st;
    if (lc_kv_shape_total(&kv, kv_bytes)) return LLAMAC_ERR_INVALID_ARG; /* plan_context checked it */
    *scratch_bytes = arena.total + sizeof(llamac_context);
    *n_threads = p.n_threads;
    return LLAMAC_OK;
}

void llamac_context_free(llamac_context *ctx) {
    if (!ctx) return;
    lc_threadpool_free(ctx->pool);
    lc_kv_destroy(&ctx->kv);
    lc_free_aligned(ctx->env, ctx->arena);
    lc_free(ctx->env, ctx);
}

const lc_env *lc_context_env(const llamac_context *ctx) { return ctx->env; }

const char *lc_context_kernels_name(const llamac_context *ctx) { return ctx->kernels_name; }

/* Getters: a NULL ctx gives the neutral value (NULL, 0, -1), no message. */
const llamac_model *llamac_context_model(const llamac_context *ctx) { return ctx ? ctx->model : NULL; }
uint32_t llamac_context_n_ctx(const llamac_context *ctx) { return ctx ? ctx->params.n_ctx : 0; }
uint32_t llamac_context_n_batch(const llamac_context *ctx) { return ctx ? ctx->params.n_batch : 0; }
uint32_t llamac_context_n_seq_max(const llamac_context *ctx) { return ctx ? ctx->params.n_seq_max : 0; }
int32_t llamac_context_n_threads(const llamac_context *ctx) { return ctx ? ctx->params.n_threads : 0; }

llamac_status llamac_context_set_n_threads(llamac_context *ctx, int32_t n_threads) {
    LC_REQUIRE(ctx);
    if (n_threads == 0) n_threads = LC_MIN(lc_cpu_count(MAX_AUTO_THREADS), ctx->n_threads_max);
    if (n_threads < 1 || n_threads > ctx->n_threads_max)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_context_set_n_threads: n_threads is %d, expected 0 (automatic) or 1..%d (the "
                       "count the context was created with)",
                       (int)n_threads, (int)ctx->n_threads_max);
    if (n_threads == ctx->params.n_threads) return LLAMAC_OK;
    lc_threadpool *pool;
    llamac_status st = lc_threadpool_new(ctx->env, n_threads, &pool);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_context_set_n_threads");
        return st;
    }
    /* units of a pass in progress use whichever pool is current: the
     * thread count never changes a bit */
    lc_threadpool_free(ctx->pool);
    ctx->pool = pool;
    ctx->params.n_threads = n_threads;
    return LLAMAC_OK;
}

/* ---- decode: llamac_decode is in step.c ---- */

int32_t llamac_n_outputs(const llamac_context *ctx) { return ctx ? ctx->n_outputs : 0; }

const float *llamac_get_logits(const llamac_context *ctx, int32_t i) {
    if (!ctx) return NULL;
    const int32_t j = i < 0 ? ctx->n_outputs + i : i;
    if (j < 0 || j >= ctx->n_outputs) {
        lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_get_logits: row %d requested, the last decode produced %d rows", i,
                ctx->n_outputs);
        return NULL;
    }
    return ctx->logits + (size_t)j * (size_t)ctx->model->hp.n_vocab;
}

const float *llamac_get_logits_ith(const llamac_context *ctx, int32_t batch_index) {
    if (!ctx) return NULL;
    /* As llama.cpp's function of the same name: a negative index counts
     * output rows from the end (-1 is the last row), not batch tokens. */
    if (batch_index < 0) {
        if (batch_index < -ctx->n_outputs) {
            lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_get_logits_ith: index %d is before the first of the %d rows",
                    batch_index, ctx->n_outputs);
            return NULL;
        }
        return llamac_get_logits(ctx, batch_index);
    }
    if (batch_index >= ctx->n_batch_last) {
        lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_get_logits_ith: batch index %d is outside the last batch (%d tokens)",
                batch_index, ctx->n_batch_last);
        return NULL;
    }
    const int32_t row = ctx->out_row[batch_index];
    if (row < 0) {
        lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_get_logits_ith: batch token %d did not ask for logits", batch_index);
        return NULL;
    }
    return ctx->logits + (size_t)row * (size_t)ctx->model->hp.n_vocab;
}

/* ---- KV cache operations ---- */

void llamac_kv_clear(llamac_context *ctx) {
    if (!ctx) return;
    lc_decode_abandon(ctx); /* its cells are going anyway */
    lc_kv_clear(&ctx->kv);
}

/* The KV operations that move or free cells would pull them from under a
 * budgeted decode in progress. */
static llamac_status refuse_if_busy(const llamac_context *ctx, const char *fn) {
    if (ctx->pass.batch)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "%s: a budgeted decode is in progress on this context (finish or cancel it first)", fn);
    return LLAMAC_OK;
}

llamac_status llamac_kv_seq_rm(llamac_context *ctx, llamac_seq_id seq, llamac_pos p0, llamac_pos p1) {
    LC_REQUIRE(ctx);
    if (refuse_if_busy(ctx, __func__)) return LLAMAC_ERR_INVALID_ARG;
    return lc_kv_seq_rm(&ctx->kv, seq, p0, p1);
}

llamac_status llamac_kv_seq_cp(llamac_context *ctx, llamac_seq_id src, llamac_seq_id dst, llamac_pos p0,
                               llamac_pos p1) {
    LC_REQUIRE(ctx);
    if (refuse_if_busy(ctx, __func__)) return LLAMAC_ERR_INVALID_ARG;
    return lc_kv_seq_cp(&ctx->kv, src, dst, p0, p1);
}

llamac_status llamac_kv_seq_keep(llamac_context *ctx, llamac_seq_id seq) {
    LC_REQUIRE(ctx);
    if (refuse_if_busy(ctx, __func__)) return LLAMAC_ERR_INVALID_ARG;
    return lc_kv_seq_keep(&ctx->kv, seq);
}

llamac_status llamac_kv_seq_add(llamac_context *ctx, llamac_seq_id seq, llamac_pos p0, llamac_pos p1,
                                llamac_pos delta) {
    LC_REQUIRE(ctx);
    if (refuse_if_busy(ctx, __func__)) return LLAMAC_ERR_INVALID_ARG;
    int32_t n_shifted;
    llamac_status st = lc_kv_seq_add(&ctx->kv, seq, p0, p1, delta, ctx->shifted, &n_shifted);
    if (st == LLAMAC_OK) lc_kv_rerotate(ctx, ctx->shifted, n_shifted, delta);
    return st;
}

llamac_pos llamac_kv_seq_pos_min(const llamac_context *ctx, llamac_seq_id seq) {
    if (!ctx || seq < 0 || seq >= ctx->kv.n_seq_max) return -1;
    return lc_kv_seq_pos_min(&ctx->kv, seq);
}

llamac_pos llamac_kv_seq_pos_max(const llamac_context *ctx, llamac_seq_id seq) {
    if (!ctx || seq < 0 || seq >= ctx->kv.n_seq_max) return -1;
    return lc_kv_seq_pos_max(&ctx->kv, seq);
}

int32_t llamac_kv_n_used(const llamac_context *ctx) { return ctx ? ctx->kv.n_used : 0; }
