/* Weight repacking at load time (see blocks.h for the packed layouts). */
#include "kernels.h"

#include "blocks.h"

#include "common/assert.h"

/* Every packed layout groups eight rows: per block index, each row's
 * block j contributes its scales at fixed offsets and its quant fields in
 * 4-byte columns, column m of row j at 32 m + 4 j of the field's area. */
typedef void (*pack_row_fn)(uint8_t *out, const uint8_t *blk, int j);

/* n 4-byte columns of one row's field (src) into dst, see above. */
static inline void put_columns(uint8_t *dst, const uint8_t *src, int n, int j) {
    for (int m = 0; m < n; m++) memcpy(dst + 32 * m + 4 * j, src + 4 * m, 4);
}

LC_ALWAYS_INLINE void pack8_groups(const uint8_t *src, size_t row_bytes, int64_t n_rows, int64_t nb,
                                   size_t block_bytes, size_t group_bytes, pack_row_fn pack_row, uint8_t *out) {
    for (int64_t g = 0; g < n_rows / 8; g++)
        for (int64_t b = 0; b < nb; b++, out += group_bytes)
            for (int j = 0; j < 8; j++)
                pack_row(out, src + (size_t)(8 * g + j) * row_bytes + (size_t)b * block_bytes, j);
}

/* Q4_0 and Q8_0: the eight d, then the quants from byte 16. */
static inline void pack_row_q4_0(uint8_t *out, const uint8_t *blk, int j) {
    const lc_block_q4_0 *x = (const lc_block_q4_0 *)blk;
    memcpy(out + 2 * j, &x->d, 2);
    put_columns(out + 16, x->qs, LC_QK4_0 / 8, j);
}

static inline void pack_row_q8_0(uint8_t *out, const uint8_t *blk, int j) {
    const lc_block_q8_0 *x = (const lc_block_q8_0 *)blk;
    memcpy(out + 2 * j, &x->d, 2);
    put_columns(out + 16, (const uint8_t *)x->qs, LC_QK8_0 / 4, j);
}

/* Q4_K, Q5_K: d, dmin, the scale fields, (Q5_K) qh, qs. */
static inline void pack_row_q4_K(uint8_t *out, const uint8_t *blk, int j) {
    const lc_block_q4_K *x = (const lc_block_q4_K *)blk;
    memcpy(out + 2 * j, &x->d, 2);
    memcpy(out + 16 + 2 * j, &x->dmin, 2);
    memcpy(out + LC_Q4_KX8_SCALES + 12 * j, x->scales, 12);
    put_columns(out + LC_Q4_KX8_QS, x->qs, 32, j);
}

static inline void pack_row_q5_K(uint8_t *out, const uint8_t *blk, int j) {
    const lc_block_q5_K *x = (const lc_block_q5_K *)blk;
    memcpy(out + 2 * j, &x->d, 2);
    memcpy(out + 16 + 2 * j, &x->dmin, 2);
    memcpy(out + LC_Q4_KX8_SCALES + 12 * j, x->scales, 12);
    put_columns(out + LC_Q5_KX8_QH, x->qh, 8, j);
    put_columns(out + LC_Q5_KX8_QS, x->qs, 32, j);
}

/* Q6_K: d, the int8 scales, ql, qh. */
static inline void pack_row_q6_K(uint8_t *out, const uint8_t *blk, int j) {
    const lc_block_q6_K *x = (const lc_block_q6_K *)blk;
    memcpy(out + 2 * j, &x->d, 2);
    memcpy(out + LC_Q6_KX8_SCALES + 16 * j, x->scales, 16);
    put_columns(out + LC_Q6_KX8_QL, x->ql, 32, j);
    put_columns(out + LC_Q6_KX8_QH, x->qh, 16, j);
}

bool lc_pack8(llamac_type type, const void *src, size_t row_bytes, int64_t n_rows, int64_t n, void *dst) {
    LC_ASSERT(n_rows % 8 == 0); /* the repacker packs only such matrices */
    const uint8_t *x = src;
    switch (type) {
    case LLAMAC_TYPE_Q4_0:
        pack8_groups(x, row_bytes, n_rows, n / LC_QK4_0, sizeof(lc_block_q4_0), LC_Q4_0X8_BYTES,
                     pack_row_q4_0, dst);
        return true;
    case LLAMAC_TYPE_Q8_0:
        pack8_groups(x, row_bytes, n_rows, n / LC_QK8_0, sizeof(lc_block_q8_0), LC_Q8_0X8_BYTES,
                     pack_row_q8_0, dst);
        return true;
    case LLAMAC_TYPE_Q4_K:
        pack8_groups(x, row_bytes, n_rows, n / LC_QK_K, sizeof(lc_block_q4_K), LC_Q4_KX8_BYTES, pack_row_q4_K, dst);
        return true;
    case LLAMAC_TYPE_Q5_K:
        pack8_groups(x, row_bytes, n_rows, n / LC_QK_K, sizeof(lc_block_q5_K), LC_Q5_KX8_BYTES, pack_row_q5_K, dst);
        return true;
    case LLAMAC_TYPE_Q6_K:
        pack8_groups(x, row_bytes, n_rows, n / LC_QK_K, sizeof(lc_block_q6_K), LC_Q6_KX8_BYTES, pack_row_q6_K, dst);
        return true;
    default: return false;
    }
}
