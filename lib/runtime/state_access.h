/* What lib/state/ needs of a context to save and restore it, without the
 * context's structure (private to lib/runtime/): a read-only view of the
 * KV cells and the last logits, and one call that replaces cells from a
 * decoded, already validated image. The file format, compression and every
 * check of untrusted input live in lib/state/; this interface only reads
 * and copies. */
#ifndef LLAMAC_STATE_ACCESS_H
#define LLAMAC_STATE_ACCESS_H

#include "common/internal.h"

/* The dimensions a state must fit. */
typedef struct lc_ctx_dims {
    int32_t n_cells;   /* n_ctx */
    int32_t n_seq_max;
    int32_t n_batch;
    int32_t n_layer;
    int32_t n_vocab;
    llamac_type kv_type; /* F16 or F32 */
    size_t row_bytes;    /* one cell's keys (or values) in one layer */
    int32_t hi;          /* one past the highest used cell */
    int32_t n_outputs;   /* logits rows of the last decode */
    int32_t n_batch_last;
} lc_ctx_dims;

void lc_ctx_state_dims(const llamac_context *ctx, lc_ctx_dims *dims);

/* Cell access for saving; cell < dims.n_cells. pos is -1 for a free cell. */
int32_t lc_ctx_cell_pos(const llamac_context *ctx, int32_t cell);
bool lc_ctx_cell_has_seq(const llamac_context *ctx, int32_t cell, int32_t seq);
/* The cell's sequence set: (n_seq_max + 63) / 64 words, bit s of word
 * s / 64 for sequence s. */
const uint64_t *lc_ctx_cell_seqs(const llamac_context *ctx, int32_t cell);
const uint8_t *lc_ctx_k_row(const llamac_context *ctx, int32_t layer, int32_t cell);
const uint8_t *lc_ctx_v_row(const llamac_context *ctx, int32_t layer, int32_t cell);

/* The last decode's logits ([n_outputs][n_vocab]) and its batch-index ->
 * row map ([n_batch_last], -1 for tokens without logits). */
const float *lc_ctx_logits(const llamac_context *ctx);
const int32_t *lc_ctx_out_rows(const llamac_context *ctx);

/* True when the last logits row is the prediction after `seq`'s last
 * token: the batch token it came from still sits in its cell, in `seq`, at
 * the sequence's highest position. */
bool lc_ctx_last_logits_are_seq(const llamac_context *ctx, int32_t seq);

/* The cell of the batch token behind the last logits row, or -1 (no
 * logits, or that cell was freed since). */
int32_t lc_ctx_last_logits_cell(const llamac_context *ctx);

/* Cells a restore into `seq` may use: the free ones plus those only `seq`
 * holds (the restore replaces the sequence). */
int32_t lc_ctx_cells_available_for(const llamac_context *ctx, int32_t seq);

/* A decoded state, every field validated against the context's dims. */
typedef struct lc_kv_image {
    int32_t n_cells;
    const int32_t *index;  /* [n_cells] cell index to restore at (whole state) */
    const int32_t *pos;    /* [n_cells] */
    int32_t seq_words;     /* words per cell in seqs (whole state), <= the context's */
    const uint64_t *seqs;  /* [n_cells][seq_words] (whole state) */
    const uint8_t *k, *v;  /* [n_layer][n_cells][row_bytes] */
    int32_t n_logits;      /* rows; 0 = no logits saved */
    int32_t n_batch_last;  /* entries of out_rows */
    const float *logits;   /* [n_logits][n_vocab] */
    const int32_t *out_rows; /* [n_batch_last] */
    int32_t last_cell;     /* image cell of the token behind the last logits row, or -1 */
} lc_kv_image;

/* Replaces the state: seq < 0, the whole cache (cleared, then each cell
 * put back at its saved index) and the logits (none when n_logits is 0);
 * seq >= 0, that sequence only (its cells removed, then the image's cells
 * taken from the lowest free cells in image order, so relative cell order,
 * and with it the summation order of attention, is kept), and the logits
 * when the image has them (a one-row batch; without them, logits that were
 * `seq`'s are dropped as stale) - other sequences' cells stay.
 * Cannot fail: the caller checked the image fits (lc_ctx_cells_available_for
 * and the dims). */
void lc_ctx_state_commit(llamac_context *ctx, const lc_kv_image *img, int32_t seq);

#endif
