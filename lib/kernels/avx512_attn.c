/* AVX-512 attention value sums (lc_attn_values_fn) over an F32 or F16 KV
 * cache: up to 64 dimensions of up to 4 heads in 16 registers, so one
 * pass over the cells reads each value row once per 64 dimensions (a
 * 64-dimension head's whole row). The AVX2 kernel holds 8 dimensions of
 * the heads and passes over the cells hd / 8 times.
 *
 * Each element is the reference's sum, cells in order from the first,
 * each step a multiply and then an add (nothing fused): the same bits as
 * the reference and the AVX2 kernel, whatever the register width. Head
 * sizes that are not a multiple of 16 go to the AVX2 kernel. */
#include "avx2_kernels.h"
#include "avx512_kernels.h"

#include "avx512_util.h"

enum { V_F32, V_F16 };

/* Dimensions d..d+15 of a value row, as floats (exact). */
A512_ALWAYS_INLINE __m512 load16(int kind, const uint8_t *row, int d) {
    if (kind == V_F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)row + d)));
    return _mm512_loadu_ps((const float *)row + d);
}

/* Dimensions d0..d0 + 16 ND - 1 of M heads, the sums in registers while
 * the cells stream past. */
A512_ALWAYS_INLINE void values_block(int kind, int M, int ND, int64_t n, const float *p, int64_t ps,
                                     const uint8_t *v, size_t v_stride, const int32_t *cells, int d0, int hd,
                                     float *out) {
    __m512 acc[4][4];
    for (int h = 0; h < M; h++)
        for (int k = 0; k < ND; k++) acc[h][k] = _mm512_setzero_ps();
    for (int64_t j = 0; j < n; j++) {
        const uint8_t *row = v + (size_t)cells[j] * v_stride;
        __m512 x[4];
        for (int k = 0; k < ND; k++) x[k] = load16(kind, row, d0 + 16 * k);
        for (int h = 0; h < M; h++) {
            const __m512 w = _mm512_set1_ps(p[h * ps + j]);
            for (int k = 0; k < ND; k++) acc[h][k] = _mm512_add_ps(acc[h][k], _mm512_mul_ps(w, x[k]));
        }
    }
    for (int h = 0; h < M; h++)
        for (int k = 0; k < ND; k++) _mm512_storeu_ps(out + (size_t)h * (size_t)hd + d0 + 16 * k, acc[h][k]);
}

/* Constant M and ND for each block, so its loops unroll. */
#define BLOCK(M, ND) values_block(kind, M, ND, n, p, ps, v, v_stride, cells, d0, hd, out)
#define BLOCKS_OF(M)                              \
    switch (nd) {                                 \
    case 4: BLOCK(M, 4); break;                   \
    case 3: BLOCK(M, 3); break;                   \
    case 2: BLOCK(M, 2); break;                   \
    default: BLOCK(M, 1); break;                  \
    }

A512_ALWAYS_INLINE void attn_values(int kind, int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                                    size_t v_stride, const int32_t *cells, float *out) {
    for (int d0 = 0; d0 < hd; d0 += 64) {
        const int nd = (hd - d0 >= 64) ? 4 : (hd - d0) / 16;
        switch (m) {
        case 4: BLOCKS_OF(4) break;
        case 3: BLOCKS_OF(3) break;
        case 2: BLOCKS_OF(2) break;
        default: BLOCKS_OF(1) break;
        }
    }
}

void lc_attn_values_f16_avx512(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                               size_t v_stride, const int32_t *cells, float *out) {
    if (hd % 16) lc_attn_values_f16_avx2(n, m, hd, p, ps, v, v_stride, cells, out);
    else attn_values(V_F16, n, m, hd, p, ps, v, v_stride, cells, out);
}

void lc_attn_values_f32_avx512(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                               size_t v_stride, const int32_t *cells, float *out) {
    if (hd % 16) lc_attn_values_f32_avx2(n, m, hd, p, ps, v, v_stride, cells, out);
    else attn_values(V_F32, n, m, hd, p, ps, v, v_stride, cells, out);
}
