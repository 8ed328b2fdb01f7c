/* Weight repacking at load time (see blocks.h for the packed layouts). */
#include "kernels.h"

#include "blocks.h"

#include "common/assert.h"

/* Blocks of an fp16 d followed by q_bytes of quants, eight rows at a time:
 * per block index the eight d, then the quants in 4-byte chunks, chunk i
 * of row j at 16 + 32 i + 4 j. */
static void pack8(const uint8_t *src, size_t row_bytes, int64_t n_rows, int64_t nb, size_t block_bytes,
                  size_t q_bytes, uint8_t *out) {
    for (int64_t g = 0; g < n_rows / 8; g++) {
        for (int64_t b = 0; b < nb; b++, out += 16 + 8 * q_bytes) {
            for (int j = 0; j < 8; j++) {
                const uint8_t *blk = src + (size_t)(8 * g + j) * row_bytes + (size_t)b * block_bytes;
                memcpy(out + 2 * j, blk, 2);
                for (size_t i = 0; i < q_bytes / 4; i++) memcpy(out + 16 + 32 * i + 4 * (size_t)j, blk + 2 + 4 * i, 4);
            }
        }
    }
}

/* Q4_K: see blocks.h. */
static void pack8_q4_K(const uint8_t *src, size_t row_bytes, int64_t n_rows, int64_t nb, uint8_t *out) {
    for (int64_t g = 0; g < n_rows / 8; g++) {
        for (int64_t b = 0; b < nb; b++, out += LC_Q4_KX8_BYTES) {
            for (int j = 0; j < 8; j++) {
                const lc_block_q4_K *blk = (const lc_block_q4_K *)(src + (size_t)(8 * g + j) * row_bytes) + b;
                memcpy(out + 2 * j, &blk->d, 2);
                memcpy(out + 16 + 2 * j, &blk->dmin, 2);
                memcpy(out + LC_Q4_KX8_SCALES + 12 * j, blk->scales, 12);
                for (int c = 0; c < 4; c++)
                    for (int k = 0; k < 8; k++)
                        memcpy(out + LC_Q4_KX8_QS + 256 * c + 32 * k + 4 * j, blk->qs + 32 * c + 4 * k, 4);
            }
        }
    }
}

/* Q5_K: see blocks.h. */
static void pack8_q5_K(const uint8_t *src, size_t row_bytes, int64_t n_rows, int64_t nb, uint8_t *out) {
    for (int64_t g = 0; g < n_rows / 8; g++) {
        for (int64_t b = 0; b < nb; b++, out += LC_Q5_KX8_BYTES) {
            for (int j = 0; j < 8; j++) {
                const lc_block_q5_K *blk = (const lc_block_q5_K *)(src + (size_t)(8 * g + j) * row_bytes) + b;
                memcpy(out + 2 * j, &blk->d, 2);
                memcpy(out + 16 + 2 * j, &blk->dmin, 2);
                memcpy(out + LC_Q4_KX8_SCALES + 12 * j, blk->scales, 12);
                for (int k = 0; k < 8; k++) memcpy(out + LC_Q5_KX8_QH + 32 * k + 4 * j, blk->qh + 4 * k, 4);
                for (int c = 0; c < 4; c++)
                    for (int k = 0; k < 8; k++)
                        memcpy(out + LC_Q5_KX8_QS + 256 * c + 32 * k + 4 * j, blk->qs + 32 * c + 4 * k, 4);
            }
        }
    }
}

/* Q6_K: see blocks.h. */
static void pack8_q6_K(const uint8_t *src, size_t row_bytes, int64_t n_rows, int64_t nb, uint8_t *out) {
    for (int64_t g = 0; g < n_rows / 8; g++) {
        for (int64_t b = 0; b < nb; b++, out += LC_Q6_KX8_BYTES) {
            for (int j = 0; j < 8; j++) {
                const lc_block_q6_K *blk = (const lc_block_q6_K *)(src + (size_t)(8 * g + j) * row_bytes) + b;
                memcpy(out + 2 * j, &blk->d, 2);
                memcpy(out + LC_Q6_KX8_SCALES + 16 * j, blk->scales, 16);
                for (int m = 0; m < 32; m++) memcpy(out + LC_Q6_KX8_QL + 32 * m + 4 * j, blk->ql + 4 * m, 4);
                for (int m = 0; m < 16; m++) memcpy(out + LC_Q6_KX8_QH + 32 * m + 4 * j, blk->qh + 4 * m, 4);
            }
        }
    }
}

bool lc_pack8(llamac_type type, const void *src, size_t row_bytes, int64_t n_rows, int64_t n, void *dst) {
    LC_ASSERT(n_rows % 8 == 0); /* the repacker packs only such matrices */
    switch (type) {
    case LLAMAC_TYPE_Q4_0:
        pack8(src, row_bytes, n_rows, n / LC_QK4_0, sizeof(lc_block_q4_0), LC_QK4_0 / 2, dst);
        return true;
    case LLAMAC_TYPE_Q8_0:
        pack8(src, row_bytes, n_rows, n / LC_QK8_0, sizeof(lc_block_q8_0), LC_QK8_0, dst);
        return true;
    case LLAMAC_TYPE_Q4_K:
        pack8_q4_K(src, row_bytes, n_rows, n / LC_QK_K, dst);
        return true;
    case LLAMAC_TYPE_Q5_K:
        pack8_q5_K(src, row_bytes, n_rows, n / LC_QK_K, dst);
        return true;
    case LLAMAC_TYPE_Q6_K:
        pack8_q6_K(src, row_bytes, n_rows, n / LC_QK_K, dst);
        return true;
    default: return false;
    }
}
