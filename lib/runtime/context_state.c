/* The context side of save and restore (state_access.h): read access to
 * cells, rows and logits, and the commit of a validated image. */
#include "context_private.h"
#include "state_access.h"

#include <string.h>

void lc_ctx_state_dims(const llamac_context *ctx, lc_ctx_dims *d) {
    const lc_kv_cache *kv = &ctx->kv;
    d->n_cells = kv->n_cells;
    d->n_seq_max = kv->n_seq_max;
    d->n_batch = (int32_t)ctx->params.n_batch;
    d->n_layer = kv->n_layer;
    d->n_vocab = ctx->model->hp.n_vocab;
    d->kv_type = kv->type;
    d->row_bytes = kv->row_bytes;
    d->hi = kv->hi;
    d->n_outputs = ctx->n_outputs;
    d->n_batch_last = ctx->n_batch_last;
}

int32_t lc_ctx_cell_pos(const llamac_context *ctx, int32_t cell) { return ctx->kv.pos[cell]; }

bool lc_ctx_cell_has_seq(const llamac_context *ctx, int32_t cell, int32_t seq) {
    return ctx->kv.pos[cell] >= 0 && lc_kv_has_seq(&ctx->kv, cell, seq);
}

const uint64_t *lc_ctx_cell_seqs(const llamac_context *ctx, int32_t cell) {
    return ctx->kv.seqs + (size_t)cell * (size_t)ctx->kv.seq_words;
}

const uint8_t *lc_ctx_k_row(const llamac_context *ctx, int32_t layer, int32_t cell) {
    return lc_kv_k(&ctx->kv, layer, cell);
}

const uint8_t *lc_ctx_v_row(const llamac_context *ctx, int32_t layer, int32_t cell) {
    return lc_kv_v(&ctx->kv, layer, cell);
}

const float *lc_ctx_logits(const llamac_context *ctx) { return ctx->logits; }
const int32_t *lc_ctx_out_rows(const llamac_context *ctx) { return ctx->out_row; }

bool lc_ctx_last_logits_are_seq(const llamac_context *ctx, int32_t seq) {
    if (ctx->n_outputs <= 0 || seq < 0 || seq >= ctx->kv.n_seq_max) return false;
    for (int32_t i = ctx->n_batch_last - 1; i >= 0; i--) {
        if (ctx->out_row[i] != ctx->n_outputs - 1) continue;
        const int32_t cell = ctx->batch_cells[i];
        return cell >= 0 && lc_ctx_cell_has_seq(ctx, cell, seq) && ctx->kv.pos[cell] == lc_kv_seq_pos_max(&ctx->kv, seq);
    }
    return false;
}

int32_t lc_ctx_cells_available_for(const llamac_context *ctx, int32_t seq) {
    const lc_kv_cache *kv = &ctx->kv;
    int32_t n = kv->n_cells - kv->n_used;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (!lc_ctx_cell_has_seq(ctx, c, seq)) continue;
        const uint64_t *w = lc_ctx_cell_seqs(ctx, c);
        bool others = false;
        for (int32_t i = 0; i < kv->seq_words && !others; i++)
            others = (i == seq / 64 ? w[i] & ~((uint64_t)1 << (seq % 64)) : w[i]) != 0;
        n += !others;
    }
    return n;
}

static void copy_rows(lc_kv_cache *kv, const lc_kv_image *img, int32_t i, int32_t cell) {
    for (int32_t l = 0; l < kv->n_layer; l++) {
        const size_t off = ((size_t)l * (size_t)img->n_cells + (size_t)i) * kv->row_bytes;
        memcpy(lc_kv_k(kv, l, cell), img->k + off, kv->row_bytes);
        memcpy(lc_kv_v(kv, l, cell), img->v + off, kv->row_bytes);
    }
}

int32_t lc_ctx_last_logits_cell(const llamac_context *ctx) {
    for (int32_t i = ctx->n_batch_last - 1; i >= 0 && ctx->n_outputs > 0; i--)
        if (ctx->out_row[i] == ctx->n_outputs - 1) {
            const int32_t cell = ctx->batch_cells[i];
            return cell >= 0 && ctx->kv.pos[cell] >= 0 ? cell : -1;
        }
    return -1;
}

void lc_ctx_state_commit(llamac_context *ctx, const lc_kv_image *img, int32_t seq) {
    lc_kv_cache *kv = &ctx->kv;
    int32_t last_cell = -1;
    lc_decode_abandon(ctx); /* a budgeted decode's cells may be replaced */
    if (seq < 0) {
        lc_kv_clear(kv);
        for (int32_t i = 0; i < img->n_cells; i++) {
            const int32_t c = img->index[i];
            kv->pos[c] = img->pos[i];
            memcpy(kv->seqs + (size_t)c * (size_t)kv->seq_words, img->seqs + (size_t)i * (size_t)img->seq_words,
                   (size_t)img->seq_words * sizeof(uint64_t));
            copy_rows(kv, img, i, c);
            kv->n_used++;
            if (c >= kv->hi) kv->hi = c + 1;
            if (i == img->last_cell) last_cell = c;
        }
    } else {
        /* Logits of the sequence being replaced would be stale. */
        const bool stale = img->n_logits == 0 && lc_ctx_last_logits_are_seq(ctx, seq);
        if (stale) {
            ctx->n_outputs = 0;
            ctx->n_batch_last = 0;
        }
        lc_kv_seq_rm(kv, seq, 0, -1); /* seq was validated: cannot fail */
        for (int32_t i = 0; i < img->n_cells; i++) {
            const int32_t c = lc_kv_take_cell(kv, img->pos[i], &seq, 1);
            copy_rows(kv, img, i, c);
            if (i == img->last_cell) last_cell = c;
        }
    }
    if (img->n_logits > 0 || seq < 0) {
        const size_t n_vocab = (size_t)ctx->model->hp.n_vocab;
        if (img->n_logits > 0)
            memcpy(ctx->logits, img->logits, (size_t)img->n_logits * n_vocab * sizeof(float));
        for (uint32_t i = 0; i < ctx->params.n_batch; i++) ctx->out_row[i] = -1;
        if (img->n_batch_last > 0) memcpy(ctx->out_row, img->out_rows, (size_t)img->n_batch_last * sizeof(int32_t));
        ctx->n_outputs = img->n_logits;
        ctx->n_batch_last = img->n_batch_last;
        /* lc_ctx_last_logits_are_seq reads the cell of the batch token
         * behind the last row: point it at the restored cell. */
        for (int32_t i = 0; i < img->n_batch_last; i++)
            ctx->batch_cells[i] = img->out_rows[i] == img->n_logits - 1 ? last_cell : -1;
    }
}
