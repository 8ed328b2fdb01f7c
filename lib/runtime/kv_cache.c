/* KV cache cells and sequence bookkeeping; see kv_cache.h. */
#include "kv_cache.h"

#include "common/assert.h"

#include <string.h>

/* Internal stand-in for p1 == -1 ("to the end"). */
#define POS_INF INT64_MAX

static uint64_t *cell_seqs(const lc_kv_cache *kv, int32_t cell) {
    return kv->seqs + (size_t)cell * (size_t)kv->seq_words;
}

static void seq_set(lc_kv_cache *kv, int32_t cell, int32_t seq) {
    LC_ASSERT(seq >= 0 && seq < kv->n_seq_max); /* validated with the batch */
    cell_seqs(kv, cell)[seq >> 6] |= (uint64_t)1 << (seq & 63);
}

static void seq_unset(lc_kv_cache *kv, int32_t cell, int32_t seq) {
    cell_seqs(kv, cell)[seq >> 6] &= ~((uint64_t)1 << (seq & 63));
}

static bool cell_is_empty(const lc_kv_cache *kv, int32_t cell) {
    const uint64_t *w = cell_seqs(kv, cell);
    for (int32_t i = 0; i < kv->seq_words; i++)
        if (w[i]) return false;
    return true;
}

/* Whether the cell belongs to any sequence other than seq. */
static bool cell_is_shared(const lc_kv_cache *kv, int32_t cell, int32_t seq) {
    const uint64_t *w = cell_seqs(kv, cell);
    for (int32_t i = 0; i < kv->seq_words; i++) {
        uint64_t others = w[i];
        if (i == (seq >> 6)) others &= ~((uint64_t)1 << (seq & 63));
        if (others) return true;
    }
    return false;
}

static void free_cell(lc_kv_cache *kv, int32_t cell) {
    kv->pos[cell] = -1;
    memset(cell_seqs(kv, cell), 0, (size_t)kv->seq_words * sizeof(uint64_t));
    kv->n_used--;
}

/* Drops the cell if its last sequence bit went away. */
static void free_if_empty(lc_kv_cache *kv, int32_t cell) {
    if (kv->pos[cell] >= 0 && cell_is_empty(kv, cell)) free_cell(kv, cell);
}

static void recompute_hi(lc_kv_cache *kv) {
    while (kv->hi > 0 && kv->pos[kv->hi - 1] < 0) kv->hi--;
}

static bool in_range(int32_t pos, int64_t p0, int64_t p1) { return pos >= p0 && pos < p1; }

llamac_status lc_kv_shape_init(lc_kv_shape *shape, int32_t n_cells, int32_t n_seq_max, int32_t n_layer,
                               int64_t n_embd_kv, llamac_type type) {
    memset(shape, 0, sizeof *shape);
    if (type != LLAMAC_TYPE_F16 && type != LLAMAC_TYPE_F32)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "KV cache type %s is not supported (F16 or F32)",
                       llamac_type_name(type) ? llamac_type_name(type) : "(invalid)");
    shape->n_cells = n_cells;
    shape->n_seq_max = n_seq_max;
    shape->n_layer = n_layer;
    shape->seq_words = (n_seq_max + 63) / 64;
    shape->type = type;
    const size_t elem = llamac_type_block_bytes(type), cells = (size_t)n_cells;
    size_t per_layer, words;
    if (lc_mul_overflow_size((size_t)n_embd_kv, elem, &shape->row_bytes) ||
        lc_mul_overflow_size(shape->row_bytes, cells, &per_layer) ||
        lc_mul_overflow_size(per_layer, (size_t)n_layer, &shape->kv_bytes) ||
        lc_mul_overflow_size(cells, sizeof(int32_t), &shape->pos_bytes) ||
        lc_mul_overflow_size(cells, (size_t)shape->seq_words, &words) ||
        lc_mul_overflow_size(words, sizeof(uint64_t), &shape->seqs_bytes))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "a KV cache of %d cells x %d layers x %lld elements of %zu bytes needs about %.3g bytes, "
                       "more than size_t holds",
                       n_cells, n_layer, (long long)n_embd_kv, elem,
                       (double)n_cells * (double)n_layer * (double)n_embd_kv * (double)elem);
    return LLAMAC_OK;
}

bool lc_kv_shape_total(const lc_kv_shape *shape, size_t *total) {
    return lc_add_overflow_size(shape->pos_bytes, shape->seqs_bytes, total) ||
           lc_add_overflow_size(*total, shape->kv_bytes, total) || lc_add_overflow_size(*total, shape->kv_bytes, total);
}

void lc_kv_blocks_free(lc_kv_blocks *blocks, const lc_env *env) {
    lc_free(env, blocks->pos);
    lc_free(env, blocks->seqs);
    lc_free_aligned(env, blocks->k);
    lc_free_aligned(env, blocks->v);
    memset(blocks, 0, sizeof *blocks);
}

/* The K/V blocks first: when a request is impossible they are the ones
 * refused, before the smaller blocks are taken. */
llamac_status lc_kv_blocks_alloc(lc_kv_blocks *blocks, const lc_env *env, const lc_kv_shape *shape) {
    memset(blocks, 0, sizeof *blocks);
    const char *what = "keys";
    size_t bytes = shape->kv_bytes;
    if ((blocks->k = lc_malloc_aligned(env, bytes, 64))) {
        what = "values";
        if ((blocks->v = lc_malloc_aligned(env, bytes, 64))) {
            what = "cell positions";
            bytes = shape->pos_bytes;
            if ((blocks->pos = lc_malloc(env, bytes))) {
                what = "cell sequence sets";
                bytes = shape->seqs_bytes;
                if ((blocks->seqs = lc_malloc(env, bytes))) return LLAMAC_OK;
            }
        }
    }
    lc_kv_blocks_free(blocks, env);
    return lc_fail(LLAMAC_ERR_NO_MEMORY, "out of memory for the KV cache %s: %zu bytes (%d cells)", what, bytes,
                   shape->n_cells);
}

void lc_kv_init(lc_kv_cache *kv, const lc_env *env, const lc_kv_shape *shape, const lc_kv_blocks *blocks) {
    memset(kv, 0, sizeof *kv);
    kv->env = env;
    kv->n_cells = shape->n_cells;
    kv->n_seq_max = shape->n_seq_max;
    kv->seq_words = shape->seq_words;
    kv->n_layer = shape->n_layer;
    kv->type = shape->type;
    kv->row_bytes = shape->row_bytes;
    kv->pos = blocks->pos;
    kv->seqs = blocks->seqs;
    kv->k = blocks->k;
    kv->v = blocks->v;
    /* Zeroed so that never-written cells hold finite values. */
    memset(kv->k, 0, shape->kv_bytes);
    memset(kv->v, 0, shape->kv_bytes);
    memset(kv->seqs, 0, shape->seqs_bytes);
    for (int32_t i = 0; i < kv->n_cells; i++) kv->pos[i] = -1;
}

void lc_kv_destroy(lc_kv_cache *kv) {
    if (!kv->env) return;
    lc_free(kv->env, kv->pos);
    lc_free(kv->env, kv->seqs);
    lc_free_aligned(kv->env, kv->k);
    lc_free_aligned(kv->env, kv->v);
    memset(kv, 0, sizeof *kv);
}

llamac_status lc_kv_check_seq(const lc_kv_cache *kv, int32_t seq, const char *what) {
    if (seq < 0 || seq >= kv->n_seq_max)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s %d is not a sequence id of this context (0..%d; n_seq_max is %d)",
                       what, seq, kv->n_seq_max - 1, kv->n_seq_max);
    return LLAMAC_OK;
}

/* Validates [p0, p1) and returns it with p1 == -1 widened to POS_INF. */
static llamac_status check_range(const char *op, int32_t p0, int32_t p1, int64_t *hi) {
    if (p0 < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: p0 is %d; positions start at 0", op, p0);
    if (p1 == -1) {
        *hi = POS_INF;
        return LLAMAC_OK;
    }
    if (p1 < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: p1 is %d; expected a position >= p0 or -1 for \"to the end\"",
                       op, p1);
    if (p1 < p0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: reversed range [%d, %d)", op, p0, p1);
    *hi = p1;
    return LLAMAC_OK;
}

void lc_kv_seq_pos_max_all(const lc_kv_cache *kv, int32_t *max_pos) {
    for (int32_t s = 0; s < kv->n_seq_max; s++) max_pos[s] = -1;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0) continue;
        const uint64_t *w = cell_seqs(kv, c);
        for (int32_t i = 0; i < kv->seq_words; i++) {
            for (uint64_t bits = w[i]; bits; bits &= bits - 1) {
                int32_t s = i * 64 + __builtin_ctzll(bits);
                if (kv->pos[c] > max_pos[s]) max_pos[s] = kv->pos[c];
            }
        }
    }
}

int32_t lc_kv_seq_pos_min(const lc_kv_cache *kv, int32_t seq) {
    int32_t best = -1;
    for (int32_t c = 0; c < kv->hi; c++)
        if (kv->pos[c] >= 0 && lc_kv_has_seq(kv, c, seq) && (best < 0 || kv->pos[c] < best)) best = kv->pos[c];
    return best;
}

int32_t lc_kv_seq_pos_max(const lc_kv_cache *kv, int32_t seq) {
    int32_t best = -1;
    for (int32_t c = 0; c < kv->hi; c++)
        if (kv->pos[c] >= 0 && lc_kv_has_seq(kv, c, seq) && kv->pos[c] > best) best = kv->pos[c];
    return best;
}

static int32_t first_free(const lc_kv_cache *kv) {
    for (int32_t c = 0; c < kv->n_cells; c++)
        if (kv->pos[c] < 0) return c;
    return -1;
}

int32_t lc_kv_take_cell(lc_kv_cache *kv, int32_t pos, const int32_t *seq_ids, int32_t n_seq) {
    int32_t c = first_free(kv);
    LC_ASSERT(c >= 0); /* the decode counted the free cells before taking any */
    kv->pos[c] = pos;
    for (int32_t i = 0; i < n_seq; i++) seq_set(kv, c, seq_ids[i]);
    kv->n_used++;
    if (c >= kv->hi) kv->hi = c + 1;
    return c;
}

void lc_kv_release(lc_kv_cache *kv, const int32_t *cells, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (kv->pos[cells[i]] >= 0) free_cell(kv, cells[i]);
    recompute_hi(kv);
}

void lc_kv_clear(lc_kv_cache *kv) {
    for (int32_t c = 0; c < kv->n_cells; c++) kv->pos[c] = -1;
    memset(kv->seqs, 0, (size_t)kv->n_cells * (size_t)kv->seq_words * sizeof *kv->seqs);
    kv->n_used = 0;
    kv->hi = 0;
}

llamac_status lc_kv_seq_rm(lc_kv_cache *kv, int32_t seq, int32_t p0, int32_t p1) {
    int64_t hi = 0;
    llamac_status st = lc_kv_check_seq(kv, seq, "seq_rm: sequence");
    if (st == LLAMAC_OK) st = check_range("seq_rm", p0, p1, &hi);
    if (st != LLAMAC_OK) return st;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0 || !lc_kv_has_seq(kv, c, seq) || !in_range(kv->pos[c], p0, hi)) continue;
        seq_unset(kv, c, seq);
        free_if_empty(kv, c);
    }
    recompute_hi(kv);
    return LLAMAC_OK;
}

llamac_status lc_kv_seq_cp(lc_kv_cache *kv, int32_t src, int32_t dst, int32_t p0, int32_t p1) {
    int64_t hi = 0;
    llamac_status st = lc_kv_check_seq(kv, src, "seq_cp: source sequence");
    if (st == LLAMAC_OK) st = lc_kv_check_seq(kv, dst, "seq_cp: destination sequence");
    if (st == LLAMAC_OK) st = check_range("seq_cp", p0, p1, &hi);
    if (st != LLAMAC_OK || src == dst) return st;
    /* dst's own cells in the range give way first, so that dst never holds
     * two cells at one position. */
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0 || !in_range(kv->pos[c], p0, hi)) continue;
        if (lc_kv_has_seq(kv, c, dst) && !lc_kv_has_seq(kv, c, src)) {
            seq_unset(kv, c, dst);
            free_if_empty(kv, c);
        }
    }
    for (int32_t c = 0; c < kv->hi; c++)
        if (kv->pos[c] >= 0 && in_range(kv->pos[c], p0, hi) && lc_kv_has_seq(kv, c, src)) seq_set(kv, c, dst);
    recompute_hi(kv);
    return LLAMAC_OK;
}

llamac_status lc_kv_seq_keep(lc_kv_cache *kv, int32_t seq) {
    llamac_status st = lc_kv_check_seq(kv, seq, "seq_keep: sequence");
    if (st != LLAMAC_OK) return st;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0) continue;
        if (!lc_kv_has_seq(kv, c, seq)) {
            free_cell(kv, c);
            continue;
        }
        memset(cell_seqs(kv, c), 0, (size_t)kv->seq_words * sizeof(uint64_t));
        seq_set(kv, c, seq);
    }
    recompute_hi(kv);
    return LLAMAC_OK;
}

/* Gives a shared cell's copy of seq a cell of its own; returns the new cell. */
static int32_t split_cell(lc_kv_cache *kv, int32_t cell, int32_t seq) {
    int32_t f = first_free(kv);
    for (int32_t l = 0; l < kv->n_layer; l++) {
        memcpy(lc_kv_k(kv, l, f), lc_kv_k(kv, l, cell), kv->row_bytes);
        memcpy(lc_kv_v(kv, l, f), lc_kv_v(kv, l, cell), kv->row_bytes);
    }
    kv->pos[f] = kv->pos[cell];
    seq_set(kv, f, seq);
    seq_unset(kv, cell, seq);
    kv->n_used++;
    if (f >= kv->hi) kv->hi = f + 1;
    return f;
}

llamac_status lc_kv_seq_add(lc_kv_cache *kv, int32_t seq, int32_t p0, int32_t p1, int32_t delta,
                            int32_t *shifted, int32_t *n_shifted) {
    *n_shifted = 0;
    int64_t hi = 0;
    llamac_status st = lc_kv_check_seq(kv, seq, "seq_add: sequence");
    if (st == LLAMAC_OK) st = check_range("seq_add", p0, p1, &hi);
    if (st != LLAMAC_OK || delta == 0) return st;

    /* Pass 1: validate the whole move before touching anything. */
    int32_t n_move = 0, n_shared = 0;
    int64_t new_min = INT64_MAX, new_max = INT64_MIN;
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0 || !lc_kv_has_seq(kv, c, seq) || !in_range(kv->pos[c], p0, hi)) continue;
        int64_t np = (int64_t)kv->pos[c] + delta;
        if (np < 0)
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "seq_add: shifting sequence %d by %d would move position %d to %lld, below zero",
                           seq, delta, kv->pos[c], (long long)np);
        if (np > INT32_MAX)
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "seq_add: shifting sequence %d by %d would move position %d past %d",
                           seq, delta, kv->pos[c], INT32_MAX);
        new_min = LC_MIN(new_min, np);
        new_max = LC_MAX(new_max, np);
        n_shared += cell_is_shared(kv, c, seq);
        shifted[n_move++] = c;
    }
    if (n_move == 0) return LLAMAC_OK;
    /* Positions stay distinct within the sequence: the moved block may not
     * land on or around positions the sequence keeps. */
    for (int32_t c = 0; c < kv->hi; c++) {
        if (kv->pos[c] < 0 || !lc_kv_has_seq(kv, c, seq) || in_range(kv->pos[c], p0, hi)) continue;
        if (kv->pos[c] >= new_min && kv->pos[c] <= new_max)
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "seq_add: shifting sequence %d by %d moves its positions onto [%lld, %lld], which "
                           "overlaps position %d that the shift leaves in place (remove it first)",
                           seq, delta, (long long)new_min, (long long)new_max, kv->pos[c]);
    }
    if (n_shared > kv->n_cells - kv->n_used)
        return lc_fail(LLAMAC_ERR_CONTEXT_FULL,
                       "seq_add: %d cells of sequence %d are shared with other sequences and need a free cell "
                       "each to move, but only %d of %d cells are free",
                       n_shared, seq, kv->n_cells - kv->n_used, kv->n_cells);

    /* Pass 2: the list is fixed before cells are split, so a copy made here
     * is never visited twice. */
    for (int32_t i = 0; i < n_move; i++) {
        int32_t c = shifted[i];
        if (cell_is_shared(kv, c, seq)) c = split_cell(kv, c, seq);
        kv->pos[c] += delta;
        shifted[i] = c;
    }
    *n_shifted = n_move;
    return LLAMAC_OK;
}
