/* A decode cut into units that can be run one at a time (context.h):
 * every layer of the batch is a unit (the first also embeds the tokens),
 * then the output projection in chunks of rows (the first also applies
 * the output norm). The pass keeps its state in the context (ctx->pass);
 * the activations stay in the context's arena between units, so stopping
 * between two units and going on later computes exactly what an
 * uninterrupted pass does: the same code on the same data, in the same
 * order. llamac_decode itself runs the units back to back.
 *
 * Each unit is timed; an exponential moving average per unit kind and
 * batch-size bucket predicts the next one, so a caller with a time budget
 * (the generator's budgeted step) starts a unit only when it is expected
 * to fit. */
#include "batch.h"
#include "context_private.h"
#include "matmul.h"
#include "common/os.h"

#include <math.h>

/* Weight of a new measurement in the moving average: recent enough to
 * follow a change of load, smooth enough to ignore one preemption. */
#define COST_ALPHA 0.25

int64_t lc_output_chunk_rows(const llamac_model *m) {
    size_t layer_bytes = 0;
    if (m->hp.n_layer > 0) {
        const lc_layer *L = &m->layers[0];
        const lc_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) layer_bytes += (size_t)ws[i]->n_out * ws[i]->row_bytes;
    }
    const size_t row_bytes = m->output.row_bytes ? m->output.row_bytes : 1;
    int64_t rows = (int64_t)(layer_bytes / 2 / row_bytes);
    rows -= rows % LC_MATMUL_ROW_TILE;
    return rows < LC_MATMUL_ROW_TILE ? LC_MATMUL_ROW_TILE : rows;
}

static int bucket_of(int64_t n) {
    int b = 0;
    while (n > 1 && b < LC_COST_BUCKETS - 1) n >>= 1, b++;
    return b;
}

/* Microseconds per token of a unit kind over n tokens, predicted as the
 * average plus SPREAD_K times the average deviation from it: a unit that
 * starts when merely its average fits overshoots about every other time
 * (measured: tinyllama-1.1B Q4_0, 3 NPCs stepping again while the next
 * unit fits a 4 ms frame, p99 of a frame 5.11 ms with the average alone,
 * 3.93 ms with the deviation term). The bucket's own figures, else those
 * of the nearest smaller bucket measured (per-token costs fall as batches
 * grow, so this overestimates), else of the nearest larger one; 0 when
 * nothing was measured. */
#define SPREAD_K 2.0
static double per_token_us(const lc_unit_costs *c, lc_unit_kind kind, int64_t n) {
    const int b = bucket_of(n);
    for (int i = b; i >= 0; i--)
        if (c->us_per_token[kind][i] > 0) return c->us_per_token[kind][i] + SPREAD_K * c->us_spread[kind][i];
    for (int i = b + 1; i < LC_COST_BUCKETS; i++)
        if (c->us_per_token[kind][i] > 0) return c->us_per_token[kind][i] + SPREAD_K * c->us_spread[kind][i];
    return 0;
}

static void record_cost(lc_unit_costs *c, lc_unit_kind kind, int64_t n, int64_t us) {
    if (n < 1) return;
    const int b = bucket_of(n);
    double *avg = &c->us_per_token[kind][b], *spread = &c->us_spread[kind][b];
    const double per = (double)(us > 0 ? us : 1) / (double)n;
    if (*avg > 0) {
        *spread += COST_ALPHA * (fabs(per - *avg) - *spread);
        *avg += COST_ALPHA * (per - *avg);
    } else {
        *avg = per;
    }
}

llamac_status lc_decode_begin(llamac_context *ctx, const llamac_batch *batch, void *owner) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(batch);
    if (ctx->pass.batch)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "decode: a budgeted decode is in progress on this context (finish or cancel it first)");
    lc_kv_cache *kv = &ctx->kv;
    const lc_batch_limits lim = {(int32_t)ctx->params.n_batch, ctx->model->hp.n_vocab, kv->n_seq_max};
    int32_t n_out;
    lc_kv_seq_pos_max_all(kv, ctx->seq_pos);
    llamac_status st = lc_batch_validate(batch, &lim, ctx->seq_pos, &n_out);
    if (st != LLAMAC_OK) return st;
    const int32_t n = batch->n_tokens, n_free = kv->n_cells - kv->n_used;
    if (n > n_free)
        return lc_fail(LLAMAC_ERR_CONTEXT_FULL,
                       "decode: the batch needs %d free KV cells but only %d of n_ctx %d are free "
                       "(remove positions with llamac_kv_seq_rm or use a larger n_ctx)",
                       n, n_free, kv->n_cells);
    for (int32_t i = 0; i < n; i++)
        ctx->batch_cells[i] = lc_kv_take_cell(kv, batch->pos[i], batch->seq_id[i], batch->n_seq_id[i]);
    ctx->pass = (lc_pass){.batch = batch, .owner = owner, .n_out = n_out, .il = 0, .row = 0};
    return LLAMAC_OK;
}

void lc_decode_abandon(llamac_context *ctx) {
    if (!ctx || !ctx->pass.batch) return;
    lc_kv_release(&ctx->kv, ctx->batch_cells, ctx->pass.batch->n_tokens);
    ctx->pass.batch = NULL;
}

bool lc_decode_busy(const llamac_context *ctx) { return ctx->pass.batch != NULL; }

const llamac_batch *lc_decode_batch(const llamac_context *ctx) { return ctx->pass.batch; }

void *lc_decode_owner(const llamac_context *ctx) { return ctx->pass.batch ? ctx->pass.owner : NULL; }

static bool aborted(const llamac_context *ctx) {
    return ctx->params.abort_fn && ctx->params.abort_fn(ctx->params.abort_user);
}

/* The pass is over: which batch token owns which logits row. */
static void publish(llamac_context *ctx) {
    const llamac_batch *b = ctx->pass.batch;
    int32_t row = 0;
    for (int32_t i = 0; i < b->n_tokens; i++) ctx->out_row[i] = lc_batch_wants_logits(b, i) ? row++ : -1;
    ctx->n_outputs = ctx->pass.n_out;
    ctx->n_batch_last = b->n_tokens;
    ctx->pass.batch = NULL;
}

llamac_status lc_decode_unit(llamac_context *ctx, bool *done) {
    *done = false;
    lc_pass *p = &ctx->pass;
    if (!p->batch) return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: no decode is in progress");
    const lc_hparams *hp = &ctx->model->hp;
    const int64_t t0 = lc_now_us();
    if (p->il < hp->n_layer) {
        if (aborted(ctx)) {
            const int32_t il = p->il;
            lc_decode_abandon(ctx);
            return lc_fail(LLAMAC_ERR_CANCELLED, "decode: cancelled by the abort callback before layer %d", il);
        }
        if (p->il == 0) lc_forward_embed(ctx, p->batch);
        lc_forward_layer(ctx, p->batch, p->il++);
        record_cost(&ctx->costs, LC_UNIT_LAYER, p->batch->n_tokens, lc_now_us() - t0);
        return LLAMAC_OK;
    }
    if (aborted(ctx)) {
        lc_decode_abandon(ctx);
        return lc_fail(LLAMAC_ERR_CANCELLED, "decode: cancelled by the abort callback before output row %lld",
                       (long long)p->row);
    }
    if (p->row == 0) {
        /* the logits buffer is about to be overwritten: the previous
         * decode's rows are gone from here on */
        ctx->n_outputs = 0;
        ctx->n_batch_last = 0;
        if (lc_forward_output_norm(ctx, p->batch) == 0) {
            publish(ctx);
            *done = true;
            return LLAMAC_OK;
        }
    }
    const int64_t r1 = p->row + ctx->out_chunk_rows;
    lc_forward_output_rows(ctx, p->n_out, p->row, r1);
    record_cost(&ctx->costs, LC_UNIT_OUTPUT, p->n_out, lc_now_us() - t0);
    p->row = r1;
    if (p->row >= hp->n_vocab) {
        publish(ctx);
        *done = true;
    }
    return LLAMAC_OK;
}

double lc_decode_predict_next_us(const llamac_context *ctx) {
    const lc_pass *p = &ctx->pass;
    if (!p->batch) return 0;
    if (p->il < ctx->model->hp.n_layer)
        return per_token_us(&ctx->costs, LC_UNIT_LAYER, p->batch->n_tokens) * p->batch->n_tokens;
    return per_token_us(&ctx->costs, LC_UNIT_OUTPUT, p->n_out) * p->n_out;
}

double lc_decode_predict_layer_us(const llamac_context *ctx, int32_t n) {
    return per_token_us(&ctx->costs, LC_UNIT_LAYER, n) * n;
}

llamac_status llamac_decode(llamac_context *ctx, const llamac_batch *batch) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(batch);
    llamac_status st = lc_decode_begin(ctx, batch, NULL);
    bool done = false;
    while (st == LLAMAC_OK && !done) st = lc_decode_unit(ctx, &done);
    return st;
}
