/* AVX-512 F32/F16/BF16 gemm of short rows (at most SHORT_MAX elements, a
 * multiple of 8) against 2 to 4 tokens: attention's scores, the key rows
 * of the cache against the queries of the 2 to 4 heads sharing them.
 *
 * Every output keeps the AVX2 order (avx2_float_order.h): one 8-lane
 * accumulator stepped by fma(x[k..k+7], y[k..k+7], a) in order, then the
 * fixed-tree sum of its lanes plus the (empty) scalar tail. A 16-lane
 * register holds the same 8 elements of two outputs, two neighbouring
 * key rows against one token, so a tile of 8 rows x 4 tokens is 16
 * registers and each step's FMAs do twice the work of AVX2's 3 x 4 tile.
 * The lanes' sums run on both halves at once with the AVX2 tree's adds
 * in its order, so every element is AVX2's bits (and vec_dot's).
 *
 * Why: with head-sized rows the AVX2 tile spends as much on its per-row
 * setup and horizontal sums as on the products (tinyllama Q4_0 at 3,000
 * cells of context: the scores were 27 % of generation time, 5 GMAC/s a
 * core; with these tiles 38.5-41.5 -> 33-37 ms per token, interleaved
 * runs). One token keeps AVX2's lean one-token pass, which this tile did
 * not beat on the 256-wide weight rows of the shipped model (tg 4,000-
 * 6,800 t/s either way, noisy). Rows past the last whole tile, longer
 * rows, one token and 5 or more go to the other kernels, which give the
 * same bits. */
#include "avx2_float_order.h"
#include "avx2_kernels.h"
#include "avx512_kernels.h"
#include "avx512_util.h"

#define SHORT_MAX 256
#define TILE_ROWS 8
#define TOK_MAX 4

/* Elements k..k+7 of rows a (low half) and b (high half), as floats. */
AVX2_ALWAYS_INLINE __m512 load_rows(int kind, const uint8_t *a, const uint8_t *b, int64_t k) {
    if (kind == KIND_F16) {
        const __m128i ha = _mm_loadu_si128((const __m128i *)((const uint16_t *)a + k));
        const __m128i hb = _mm_loadu_si128((const __m128i *)((const uint16_t *)b + k));
        return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(ha), hb, 1));
    }
    return join256(load8(kind, a, k), load8(kind, b, k));
}

/* avx2_hsum_ps(half) + 0.0f for both 8-lane halves of a: lane 0 and 8. */
AVX2_ALWAYS_INLINE __m512 hsum_halves(__m512 a) {
    /* s_i = l_i + l_{i+4} (the 128-bit lanes of each half swapped) */
    __m512 s = _mm512_add_ps(a, _mm512_shuffle_f32x4(a, a, _MM_SHUFFLE(2, 3, 0, 1)));
    /* s_0 + s_2, s_1 + s_3 (movehl) */
    s = _mm512_add_ps(s, _mm512_permute_ps(s, _MM_SHUFFLE(3, 2, 3, 2)));
    /* (s_0 + s_2) + (s_1 + s_3) (movehdup) */
    s = _mm512_add_ps(s, _mm512_movehdup_ps(s));
    return _mm512_add_ps(s, _mm512_setzero_ps()); /* the empty tail's + 0.0f */
}

/* Rows [0, n_rows - n_rows % 8) against T tokens, whose step s of 8
 * floats is yd[s * TOK_MAX + t] in both halves. */
AVX2_ALWAYS_INLINE void short_rows(int kind, int T, int64_t n, int64_t n_rows, const uint8_t *x, size_t xs,
                                   const __m512 *yd, float *out, size_t os) {
    const int64_t steps = n / 8;
    for (int64_t r0 = 0; r0 + TILE_ROWS <= n_rows; r0 += TILE_ROWS) {
        __m512 acc[TILE_ROWS / 2][TOK_MAX];
        for (int p = 0; p < TILE_ROWS / 2; p++)
            for (int t = 0; t < T; t++) acc[p][t] = _mm512_setzero_ps();
        const uint8_t *row = x + (size_t)r0 * xs;
        for (int64_t s = 0; s < steps; s++) {
            for (int p = 0; p < TILE_ROWS / 2; p++) {
                const __m512 xv = load_rows(kind, row + (size_t)(2 * p) * xs, row + (size_t)(2 * p + 1) * xs, 8 * s);
                for (int t = 0; t < T; t++) acc[p][t] = _mm512_fmadd_ps(xv, yd[s * TOK_MAX + t], acc[p][t]);
            }
        }
        for (int p = 0; p < TILE_ROWS / 2; p++)
            for (int t = 0; t < T; t++) {
                const __m512 h = hsum_halves(acc[p][t]);
                float *o = out + (size_t)t * os + (size_t)(r0 + 2 * p);
                o[0] = _mm512_cvtss_f32(h);
                o[1] = _mm_cvtss_f32(_mm512_extractf32x4_ps(h, 2));
            }
    }
}

/* The gemm entry for kind: the short-row tiles where they apply, the
 * rest by `other` (the AVX-512 gemm or AVX2's). */
AVX2_ALWAYS_INLINE void gemm_short(int kind, lc_gemm_fn other, int64_t n, int64_t n_rows, int64_t n_tok,
                                   const void *x, size_t x_stride, const void *y, size_t y_stride, float *out,
                                   size_t out_stride) {
    if (n_rows < TILE_ROWS || n_tok < 2 || n_tok > TOK_MAX || n % 8 != 0 || n > SHORT_MAX) {
        other(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
        return;
    }
    /* each token's step s duplicated into both halves: yd[s][t] */
    __m512 yd[SHORT_MAX / 8 * TOK_MAX];
    for (int64_t t = 0; t < n_tok; t++) {
        const uint8_t *yt = (const uint8_t *)y + (size_t)t * y_stride;
        for (int64_t s = 0; s < n / 8; s++) yd[s * TOK_MAX + t] = dup256(load8(kind, yt, 8 * s));
    }
    switch (n_tok) { /* constant T: the token loops unroll */
    case 4: short_rows(kind, 4, n, n_rows, x, x_stride, yd, out, out_stride); break;
    case 3: short_rows(kind, 3, n, n_rows, x, x_stride, yd, out, out_stride); break;
    case 2: short_rows(kind, 2, n, n_rows, x, x_stride, yd, out, out_stride); break;
    default: short_rows(kind, 1, n, n_rows, x, x_stride, yd, out, out_stride); break;
    }
    const int64_t done = n_rows - n_rows % TILE_ROWS;
    if (done < n_rows)
        other(n, n_rows - done, n_tok, (const uint8_t *)x + (size_t)done * x_stride, x_stride, y, y_stride, out + done,
              out_stride);
}

void lc_gemm_f16_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride) {
    gemm_short(KIND_F16, lc_gemm_f16_avx512, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_f32_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride) {
    gemm_short(KIND_F32, lc_gemm_f32_avx512, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_bf16_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                               const void *y, size_t y_stride, float *out, size_t out_stride) {
    gemm_short(KIND_BF16, lc_gemm_bf16_avx512, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}
