/* The KV cache: n_ctx cells, each holding one token's keys and values for
 * every layer, its position, and the set of sequences it belongs to.
 *
 * A cell shared by several sequences (a common prompt prefix after seq_cp)
 * is stored once. Keys are stored already rotated by their position, so a
 * shift of positions (seq_add) re-rotates them; that rotation needs the
 * model's rope parameters and is done by the caller on the cells this module
 * reports as shifted.
 *
 * Invariants kept by every operation: a free cell has pos -1 and no
 * sequence bit; a used cell has pos >= 0 and at least one bit; within one
 * sequence positions are distinct; cells at index >= hi are free.
 *
 * Every operation validates all its arguments before changing anything, so a
 * refused call leaves the cache exactly as it was. */
#ifndef LLAMAC_KV_CACHE_H
#define LLAMAC_KV_CACHE_H

#include "common/internal.h"

typedef struct lc_kv_cache {
    const lc_env *env;
    int32_t n_cells;
    int32_t n_seq_max;
    int32_t seq_words;  /* uint64 words of the sequence bitset per cell */
    int32_t n_layer;
    llamac_type type;   /* F16 or F32 */
    size_t row_bytes;   /* one cell's keys (or values) in one layer */
    int32_t *pos;       /* [n_cells], -1 = free */
    uint64_t *seqs;     /* [n_cells][seq_words] */
    int32_t n_used;
    int32_t hi;         /* one past the highest used cell */
    uint8_t *k;         /* [n_layer][n_cells][row_bytes] */
    uint8_t *v;         /* same layout */
} lc_kv_cache;

/* A cache's dimensions and the size of each of its blocks, computed before
 * anything is allocated so that an impossible request is refused without
 * touching memory. */
typedef struct lc_kv_shape {
    int32_t n_cells, n_seq_max, n_layer, seq_words;
    llamac_type type;
    size_t row_bytes;  /* one cell's keys (or values) in one layer */
    size_t pos_bytes;  /* [n_cells] positions */
    size_t seqs_bytes; /* [n_cells][seq_words] sequence bitsets */
    size_t kv_bytes;   /* the keys, and as many for the values */
} lc_kv_shape;

/* The blocks of a cache, allocated but not yet initialized. */
typedef struct lc_kv_blocks {
    int32_t *pos;
    uint64_t *seqs;
    uint8_t *k, *v;
} lc_kv_blocks;

/* Fills *shape for n_cells cells of n_layer layers of n_embd_kv key (=
 * value) elements. LLAMAC_ERR_UNSUPPORTED for a type other than F16/F32,
 * LLAMAC_ERR_INVALID_ARG if a block's size overflows size_t. */
llamac_status lc_kv_shape_init(lc_kv_shape *shape, int32_t n_cells, int32_t n_seq_max, int32_t n_layer,
                               int64_t n_embd_kv, llamac_type type);
/* Bytes of all four blocks together into *total; true if the sum
 * overflows size_t. */
bool lc_kv_shape_total(const lc_kv_shape *shape, size_t *total);
/* Allocates the blocks without writing to them. On failure nothing is kept
 * and the message names the block and its size in bytes. */
llamac_status lc_kv_blocks_alloc(lc_kv_blocks *blocks, const lc_env *env, const lc_kv_shape *shape);
void lc_kv_blocks_free(lc_kv_blocks *blocks, const lc_env *env);
/* Makes a cache of the blocks (which it then owns and frees in
 * lc_kv_destroy): every cell free, K/V storage zeroed. */
void lc_kv_init(lc_kv_cache *kv, const lc_env *env, const lc_kv_shape *shape, const lc_kv_blocks *blocks);
void lc_kv_destroy(lc_kv_cache *kv);

static inline uint8_t *lc_kv_k(const lc_kv_cache *kv, int32_t layer, int32_t cell) {
    return kv->k + ((size_t)layer * (size_t)kv->n_cells + (size_t)cell) * kv->row_bytes;
}
static inline uint8_t *lc_kv_v(const lc_kv_cache *kv, int32_t layer, int32_t cell) {
    return kv->v + ((size_t)layer * (size_t)kv->n_cells + (size_t)cell) * kv->row_bytes;
}
static inline bool lc_kv_has_seq(const lc_kv_cache *kv, int32_t cell, int32_t seq) {
    return (kv->seqs[(size_t)cell * (size_t)kv->seq_words + (size_t)(seq >> 6)] >> (seq & 63)) & 1u;
}

/* Checks a sequence id against [0, n_seq_max); `what` names the argument. */
llamac_status lc_kv_check_seq(const lc_kv_cache *kv, int32_t seq, const char *what);

/* Highest position of every sequence (-1 when empty) into max_pos[n_seq_max]. */
void lc_kv_seq_pos_max_all(const lc_kv_cache *kv, int32_t *max_pos);
/* Lowest / highest position of one valid sequence, -1 when it is empty. */
int32_t lc_kv_seq_pos_min(const lc_kv_cache *kv, int32_t seq);
int32_t lc_kv_seq_pos_max(const lc_kv_cache *kv, int32_t seq);

/* Takes the lowest free cell for a token at `pos` in the n_seq sequences
 * `seq_ids` (already validated) and returns its index; the caller checked
 * that a free cell exists. */
int32_t lc_kv_take_cell(lc_kv_cache *kv, int32_t pos, const int32_t *seq_ids, int32_t n_seq);
/* Frees cells taken for a batch that did not complete. */
void lc_kv_release(lc_kv_cache *kv, const int32_t *cells, int32_t n);

/* The KV operations of the public API (see llamac.h, section 6, for their
 * contracts). Ranges are [p0, p1) with p0 >= 0 and p1 >= p0, or p1 == -1 for
 * "to the end". */
void lc_kv_clear(lc_kv_cache *kv);
llamac_status lc_kv_seq_rm(lc_kv_cache *kv, int32_t seq, int32_t p0, int32_t p1);
llamac_status lc_kv_seq_cp(lc_kv_cache *kv, int32_t src, int32_t dst, int32_t p0, int32_t p1);
llamac_status lc_kv_seq_keep(lc_kv_cache *kv, int32_t seq);
/* Adds delta to the positions of seq's cells in [p0, p1). A cell shared with
 * other sequences is first copied to a free cell of its own (the others keep
 * their positions). Writes the indexes of the moved cells to shifted[] (room
 * for n_cells) and their count to *n_shifted: their keys must be re-rotated
 * by delta. */
llamac_status lc_kv_seq_add(lc_kv_cache *kv, int32_t seq, int32_t p0, int32_t p1, int32_t delta,
                            int32_t *shifted, int32_t *n_shifted);

#endif
