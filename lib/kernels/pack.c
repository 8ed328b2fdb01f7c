/* Weight repacking at load time (see blocks.h for the packed layouts). */
#include "kernels.h"

#include "blocks.h"

void lc_q4_0_pack8(const void *src, size_t row_bytes, int64_t n_rows, int64_t n, void *dst) {
    const int64_t nb = n / LC_QK4_0;
    uint8_t *out = dst;
    for (int64_t g = 0; g < n_rows / 8; g++) {
        for (int64_t b = 0; b < nb; b++, out += LC_Q4_0X8_BYTES) {
            for (int j = 0; j < 8; j++) {
                const lc_block_q4_0 *blk =
                    (const lc_block_q4_0 *)((const uint8_t *)src + (size_t)(8 * g + j) * row_bytes) + b;
                memcpy(out + 2 * j, &blk->d, 2);
                for (int i = 0; i < 4; i++) memcpy(out + 16 + 32 * i + 4 * j, blk->qs + 4 * i, 4);
            }
        }
    }
}
