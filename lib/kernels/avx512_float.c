/* AVX-512 gemm for the float encodings (F32, F16, BF16 weights against
 * activations of the same encoding), for prompts: 5 tokens and more.
 *
 * Every output keeps the AVX2 order exactly (avx2_float_order.h): one
 * 8-lane accumulator stepped by fma(x[k..k+7], y[k..k+7], a) over the
 * elements in order, then the scalar tail and the fixed-tree sum. So a
 * 16-lane register cannot hold 16 elements of one output; it holds the
 * same 8 elements of two outputs instead: a weight row's 8 values in both
 * halves against two tokens' 8 values, one token per half. Lane for lane
 * these are the FMAs the AVX2 kernel performs, so every element is
 * bit-identical to AVX2's (and so to vec_dot's).
 *
 * Why it is faster than AVX2's 3-row x 4-token tile: the 32 vector
 * registers hold a 4-row x 12-token tile (24 accumulators), so each
 * converted weight vector serves 6 FMAs of 16 lanes instead of 4 of 8 —
 * the F16 conversions, which share the vector pipes with the FMAs, drop
 * from one per 4 FMAs to one per 12 lanes' worth of work. Measured on one
 * Zen 4 core (2048-wide rows, 120 rows x 120 tokens, weights in L2): 41
 * GMAC/s for the AVX2 tile, 49.6 for this one.
 *
 * Fewer than 5 tokens go to the short-row tiles of avx512_float_short.c
 * (attention's scores) or to the AVX2 kernel, whose one-token pass
 * streams rows from DRAM. */
#include "avx2_float_order.h"
#include "avx2_kernels.h"
#include "avx512_kernels.h"
#include "avx512_util.h"

#define PAIRS 6   /* token pairs per register tile: 12 tokens */
#define ROWS 4    /* weight rows per register tile */
#define K_CHUNK 512
#define ROW_BLOCK 64
/* Weight bytes of a row block that stay in L2 while every token tile
 * passes over them (as in the AVX2 kernel). */
#define ROW_BLOCK_BYTES (320 * 1024)
#define MIN_TOKENS 5

_Static_assert(K_CHUNK % 8 == 0 && ROW_BLOCK % ROWS == 0, "chunks of whole steps, blocks of whole tiles");

/* Steps of 8 over [k0, k0 + kc) for R weight rows from x0 (stride xs) and
 * P token pairs, whose floats are at yp: pair p, step s at
 * yp + (p * K_CHUNK / 8 + s) * 16 (token 2p in the low half). */
AVX2_ALWAYS_INLINE void tile(int kind, int R, int P, const uint8_t *x0, size_t xs, const float *yp, int64_t k0,
                             int64_t kc, __m512 (*acc)[PAIRS]) {
    __m512 a[ROWS][PAIRS];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) a[r][p] = acc[r][p];
    for (int64_t k = 0; k < kc; k += 8) {
        __m512 xv[ROWS];
        for (int r = 0; r < R; r++) xv[r] = dup256(load8(kind, x0 + (size_t)r * xs, k0 + k));
        for (int p = 0; p < P; p++) {
            const __m512 yv = _mm512_load_ps(yp + ((size_t)p * (K_CHUNK / 8) + (size_t)(k / 8)) * 16);
            for (int r = 0; r < R; r++) a[r][p] = _mm512_fmadd_ps(xv[r], yv, a[r][p]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) acc[r][p] = a[r][p];
}

/* Rows [0, nr) of a row block against P pairs, with constant R and P so
 * the loops unroll into registers. */
AVX2_ALWAYS_INLINE void rows_tiles(int kind, int P, int64_t nr, const uint8_t *xb, size_t xs, const float *yp,
                                   int64_t k0, int64_t kc, __m512 (*acc)[PAIRS]) {
    int64_t r = 0;
    for (; r + ROWS <= nr; r += ROWS) tile(kind, ROWS, P, xb + (size_t)r * xs, xs, yp, k0, kc, &acc[r]);
    for (; r < nr; r++) tile(kind, 1, P, xb + (size_t)r * xs, xs, yp, k0, kc, &acc[r]);
}

AVX2_ALWAYS_INLINE void float_gemm(int kind, int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t xs,
                                   const void *y, size_t ys, float *out, size_t os) {
    const int64_t n8 = n - n % 8;
    _Alignas(64) float ybuf[PAIRS * 2 * K_CHUNK];
    __m512 acc_buf[ROW_BLOCK][PAIRS];
    const int64_t row_block = LC_MAX(ROWS, LC_MIN((int64_t)ROW_BLOCK, (int64_t)(ROW_BLOCK_BYTES / xs) / ROWS * ROWS));
    for (int64_t rb = 0; rb < n_rows; rb += row_block) {
        const int64_t nr = LC_MIN(row_block, n_rows - rb);
        const uint8_t *xb = (const uint8_t *)x + (size_t)rb * xs;
        for (int64_t t0 = 0; t0 < n_tok; t0 += 2 * PAIRS) {
            const int T = (int)LC_MIN((int64_t)(2 * PAIRS), n_tok - t0);
            const int P = (T + 1) / 2;
            const uint8_t *yt[2 * PAIRS];
            for (int t = 0; t < T; t++) yt[t] = (const uint8_t *)y + (size_t)(t0 + t) * ys;
            for (int64_t r = 0; r < nr; r++)
                for (int p = 0; p < PAIRS; p++) acc_buf[r][p] = _mm512_setzero_ps();
            for (int64_t k0 = 0; k0 < n8; k0 += K_CHUNK) {
                const int64_t kc = LC_MIN((int64_t)K_CHUNK, n8 - k0);
                /* pairs of tokens converted once per chunk, for every row
                 * of the block; an odd last token pairs with zeros */
                for (int p = 0; p < P; p++) {
                    float *dst = ybuf + (size_t)p * 2 * K_CHUNK;
                    for (int64_t k = 0; k < kc; k += 8) {
                        const __m256 lo = load8(kind, yt[2 * p], k0 + k);
                        const __m256 hi = 2 * p + 1 < T ? load8(kind, yt[2 * p + 1], k0 + k) : _mm256_setzero_ps();
                        _mm512_store_ps(dst + k * 2, join256(lo, hi));
                    }
                }
                switch (P) {
                case 6: rows_tiles(kind, 6, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 5: rows_tiles(kind, 5, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 4: rows_tiles(kind, 4, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 3: rows_tiles(kind, 3, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 2: rows_tiles(kind, 2, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                default: rows_tiles(kind, 1, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                }
            }
            for (int64_t r = 0; r < nr; r++)
                for (int t = 0; t < T; t++) {
                    const __m512 a = acc_buf[r][t / 2];
                    out[(size_t)(t0 + t) * os + (size_t)(rb + r)] =
                        finish(kind, xb + (size_t)r * xs, yt[t], n8, n, t % 2 ? high256(a) : _mm512_castps512_ps256(a));
                }
        }
    }
}

void lc_gemm_f32_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                        size_t y_stride, float *out, size_t out_stride) {
    if (n_tok < MIN_TOKENS) lc_gemm_f32_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else if (n_rows > 0) float_gemm(KIND_F32, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_f16_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                        size_t y_stride, float *out, size_t out_stride) {
    if (n_tok < MIN_TOKENS) lc_gemm_f16_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else if (n_rows > 0) float_gemm(KIND_F16, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_bf16_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                         size_t y_stride, float *out, size_t out_stride) {
    if (n_tok < MIN_TOKENS) lc_gemm_bf16_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else if (n_rows > 0) float_gemm(KIND_BF16, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}
