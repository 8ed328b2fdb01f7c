/* The transformer forward pass of the llama architecture, for a batch of
 * tokens at once (each step runs on every token's row):
 *
 *   x = embedding(token)
 *   for each layer:
 *       xb = rmsnorm(x) * attn_norm
 *       q, k, v = xb Wq, xb Wk, xb Wv          (one matmul call, one conversion)
 *       rotate q and k by position (rope)
 *       store k, v in the token's KV cell
 *       att = softmax(q k^T / sqrt(head_dim)) v over the cached cells of the
 *             token's sequences up to its position, per head; heads share
 *             key/value heads in groups (GQA)
 *       x += att Wo
 *       xb = rmsnorm(x) * ffn_norm
 *       x += (silu(xb Wgate) * (xb Wup)) Wdown
 *   logits = (rmsnorm(x) * output_norm) Woutput    (only for tokens that asked)
 */
#include "batch.h"
#include "context_private.h"
#include "matmul.h"

/* ---- per-row steps ---- */

static void embed(const llamac_context *ctx, const lc_weight *tok_embd, const llamac_token *tokens, int64_t n,
                  float *x) {
    const lc_to_float_fn to_float = ctx->kernels.traits[tok_embd->type].to_float;
    for (int64_t t = 0; t < n; t++)
        to_float(tok_embd->data + (size_t)tokens[t] * tok_embd->row_bytes, x + t * tok_embd->n_in,
                                   tok_embd->n_in);
}

static void rmsnorm_rows(float *out, const float *x, const float *weight, int64_t n, int64_t dim, float eps) {
    for (int64_t t = 0; t < n; t++) lc_rmsnorm(out + t * dim, x + t * dim, weight, dim, eps);
}

/* Rotates every head of n rows of n_heads * head_dim with each token's table. */
static void rope_rows(const llamac_context *ctx, float *rows, int64_t n, int n_heads) {
    const lc_hparams *hp = &ctx->model->hp;
    for (int64_t t = 0; t < n; t++)
        lc_rope_apply(rows + t * n_heads * hp->head_dim, n_heads, hp->head_dim, hp->n_rot,
                      ctx->act.rope + t * hp->n_rot);
}

static void matmul1(llamac_context *ctx, const float *x, int64_t n, const lc_weight *w, float *out) {
    const lc_matmul_job jobs[] = {{w, out}};
    lc_matmul(ctx->pool, &ctx->kernels, jobs, 1, x, n, ctx->act.conv);
}

/* ---- attention ---- */

static void store_kv(llamac_context *ctx, int32_t il, int64_t n) {
    const lc_kv_cache *kv = &ctx->kv;
    const lc_from_float_fn from_float = ctx->kernels.traits[kv->type].from_float;
    const int64_t n_kv = (int64_t)ctx->model->hp.n_head_kv * ctx->model->hp.head_dim;
    for (int64_t t = 0; t < n; t++) {
        from_float(ctx->act.k + t * n_kv, lc_kv_k(kv, il, ctx->batch_cells[t]), n_kv);
        from_float(ctx->act.v + t * n_kv, lc_kv_v(kv, il, ctx->batch_cells[t]), n_kv);
    }
}

/* The cells token t of the batch attends to, in cell order: those sharing
 * one of its sequences at a position up to its own (causal mask). */
static int64_t visible_cells(const lc_kv_cache *kv, const llamac_batch *b, int64_t t, int32_t *cells) {
    const llamac_pos pos = b->pos[t];
    const llamac_seq_id *seqs = b->seq_id[t];
    const int32_t n_seq = b->n_seq_id[t];
    int64_t n = 0;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0 || kv->pos[c] > pos) continue;
        for (int32_t k = 0; k < n_seq; k++) {
            if (lc_kv_has_seq(kv, c, seqs[k])) {
                cells[n++] = c;
                break;
            }
        }
    }
    return n;
}

typedef struct attn_task {
    llamac_context *ctx;
    const llamac_batch *batch;
    int32_t il;
    lc_kv_head view; /* the cache's kernels; each unit sets k and v */
} attn_task;

/* Work is split over (token, KV head, chunk of up to LC_ATTN_HEADS of its
 * query heads) units; each unit's output is computed by one thread alone,
 * and a head's result does not depend on the heads sharing its call, so
 * the thread count cannot change it. */
static void attention_task(void *arg, int ith, int nth) {
    const attn_task *at = arg;
    llamac_context *ctx = at->ctx;
    const lc_hparams *hp = &ctx->model->hp;
    const lc_kv_cache *kv = &ctx->kv;
    lc_thread_scratch *ts = &ctx->threads[ith];
    const int64_t n_q = (int64_t)hp->n_head * hp->head_dim;
    const int group = hp->n_head / hp->n_head_kv;
    const size_t head_bytes = lc_row_size(kv->type, hp->head_dim);
    lc_kv_head view = at->view;

    const int chunks = (group + LC_ATTN_HEADS - 1) / LC_ATTN_HEADS; /* per KV head */
    const int64_t per_token = (int64_t)hp->n_head_kv * chunks;
    int64_t p0, p1, cur = -1, n_vis = 0;
    lc_split_range((int64_t)at->batch->n_tokens * per_token, ith, nth, &p0, &p1);
    for (int64_t p = p0; p < p1; p++) {
        const int64_t t = p / per_token;
        const int kh = (int)(p % per_token / chunks), c = (int)(p % chunks);
        if (t != cur) {
            n_vis = visible_cells(kv, at->batch, t, ts->cells);
            cur = t;
        }
        const int h0 = kh * group + c * LC_ATTN_HEADS, m = LC_MIN(LC_ATTN_HEADS, group - c * LC_ATTN_HEADS);
        const size_t head_off = (size_t)kh * head_bytes;
        view.k = lc_kv_k(kv, at->il, 0) + head_off;
        view.v = lc_kv_v(kv, at->il, 0) + head_off;
        const int64_t off = t * n_q + (int64_t)h0 * hp->head_dim;
        lc_attend_heads(ctx->act.att + off, ctx->act.q + off, m, hp->head_dim, ctx->kq_scale, &view, ts->cells,
                        n_vis, &ts->attn);
    }
}

typedef struct swiglu_task {
    lc_swiglu_fn fn;
    float *gate;
    const float *up;
    int64_t n;
} swiglu_task;

/* Element ranges per thread: an element's result does not depend on which
 * range it falls in (lc_swiglu_fn), so neither on the thread count. */
static void swiglu_part(void *arg, int ith, int nth) {
    const swiglu_task *st = arg;
    int64_t i0, i1;
    lc_split_range(st->n, ith, nth, &i0, &i1);
    if (i1 > i0) st->fn(st->gate + i0, st->up + i0, i1 - i0);
}

static void swiglu(llamac_context *ctx, float *gate, const float *up, int64_t n) {
    swiglu_task st = {ctx->kernels.swiglu, gate, up, n};
    if (n < 8192) swiglu_part(&st, 0, 1); /* a token's worth is cheaper than a hand-off */
    else lc_threadpool_run(ctx->pool, swiglu_part, &st);
}

static void attention(llamac_context *ctx, const llamac_batch *batch, int32_t il) {
    const lc_kernel_table *k = &ctx->kernels;
    const llamac_type type = ctx->kv.type;
    const lc_type_traits *tr = &k->traits[type];
    attn_task at = {ctx, batch, il,
                    {.stride = ctx->kv.row_bytes, .type = type, .traits = tr, .q_traits = &k->traits[tr->vec_dot_type],
                     .axpy = k->axpy[type], .gemm = k->gemm[type], .values = k->attn_values[type], .exp = k->exp}};
    lc_threadpool_run(ctx->pool, attention_task, &at);
}

/* ---- the pass, in the units lib/runtime/step.c runs one at a time ---- */

void lc_forward_embed(llamac_context *ctx, const llamac_batch *batch) {
    const lc_hparams *hp = &ctx->model->hp;
    embed(ctx, &ctx->model->tok_embd, batch->token, batch->n_tokens, ctx->act.x);
    for (int64_t t = 0; t < batch->n_tokens; t++)
        lc_rope_table(&ctx->rope, (float)batch->pos[t], ctx->act.rope + t * hp->n_rot);
}

void lc_forward_layer(llamac_context *ctx, const llamac_batch *batch, int32_t il) {
    const llamac_model *m = ctx->model;
    const lc_hparams *hp = &m->hp;
    lc_activations *a = &ctx->act;
    const int64_t n = batch->n_tokens;
    const int64_t n_embd = hp->n_embd, n_ff = hp->n_ff;
    const lc_layer *L = &m->layers[il];

    /* attention block */
    rmsnorm_rows(a->xb, a->x, L->attn_norm, n, n_embd, hp->rms_eps);
    const lc_matmul_job qkv[] = {{&L->wq, a->q}, {&L->wk, a->k}, {&L->wv, a->v}};
    lc_matmul(ctx->pool, &ctx->kernels, qkv, 3, a->xb, n, a->conv);
    rope_rows(ctx, a->q, n, hp->n_head);
    rope_rows(ctx, a->k, n, hp->n_head_kv);
    store_kv(ctx, il, n);
    attention(ctx, batch, il);
    matmul1(ctx, a->att, n, &L->wo, a->xb);
    lc_add(a->x, a->xb, n * n_embd);

    /* feed-forward block (SwiGLU) */
    rmsnorm_rows(a->xb, a->x, L->ffn_norm, n, n_embd, hp->rms_eps);
    const lc_matmul_job gate_up[] = {{&L->w_gate, a->hb}, {&L->w_up, a->hb2}};
    lc_matmul(ctx->pool, &ctx->kernels, gate_up, 2, a->xb, n, a->conv);
    swiglu(ctx, a->hb, a->hb2, n * n_ff);
    matmul1(ctx, a->hb, n, &L->w_down, a->xb);
    lc_add(a->x, a->xb, n * n_embd);
}

int32_t lc_forward_output_norm(llamac_context *ctx, const llamac_batch *batch) {
    const llamac_model *m = ctx->model;
    const int64_t n_embd = m->hp.n_embd;
    int32_t n_out = 0;
    for (int32_t t = 0; t < batch->n_tokens; t++)
        if (lc_batch_wants_logits(batch, t))
            lc_rmsnorm(ctx->act.xb + n_out++ * n_embd, ctx->act.x + t * n_embd, m->output_norm, n_embd,
                       m->hp.rms_eps);
    return n_out;
}

void lc_forward_output_rows(llamac_context *ctx, int32_t n_out, int64_t r0, int64_t r1) {
    const lc_matmul_job job[] = {{&ctx->model->output, ctx->logits}};
    lc_matmul_rows(ctx->pool, &ctx->kernels, job, ctx->act.xb, n_out, ctx->act.conv, r0, r1);
}

/* ---- key re-rotation after a position shift ---- */

typedef struct rerotate_task {
    llamac_context *ctx;
    const int32_t *cells;
    int32_t n;
    const float *cs;
} rerotate_task;

static void rerotate_task_run(void *arg, int ith, int nth) {
    const rerotate_task *rt = arg;
    llamac_context *ctx = rt->ctx;
    const lc_hparams *hp = &ctx->model->hp;
    const lc_kv_cache *kv = &ctx->kv;
    const lc_type_traits *tr = &ctx->kernels.traits[kv->type];
    const int64_t n_kv = (int64_t)hp->n_head_kv * hp->head_dim;
    float *row = ctx->threads[ith].row;
    int64_t i0, i1;
    lc_split_range(rt->n, ith, nth, &i0, &i1);
    for (int64_t i = i0; i < i1; i++) {
        for (int32_t il = 0; il < hp->n_layer; il++) {
            uint8_t *k = lc_kv_k(kv, il, rt->cells[i]);
            tr->to_float(k, row, n_kv);
            lc_rope_apply(row, hp->n_head_kv, hp->head_dim, hp->n_rot, rt->cs);
            tr->from_float(row, k, n_kv);
        }
    }
}

void lc_kv_rerotate(llamac_context *ctx, const int32_t *cells, int32_t n, int32_t delta) {
    if (n <= 0) return;
    /* A rotation by angle(p) then by angle(delta) is the rotation by
     * angle(p + delta): the keys end up as if computed at the new position. */
    float *cs = ctx->act.rope; /* free outside decode */
    lc_rope_table(&ctx->rope, (float)delta, cs);
    rerotate_task rt = {ctx, cells, n, cs};
    lc_threadpool_run(ctx->pool, rerotate_task_run, &rt);
}
