/* AVX2 kernels for the float encodings: F16 <-> F32 row conversion with the
 * F16C instructions, and F32/F16/BF16 dot products (vec_dot) and batched
 * dot products (gemm) with FMA.
 *
 * The hardware F16 conversion rounds to nearest-even, keeps subnormals and
 * quiets NaNs exactly as lc_fp32_to_fp16 does, so from_float is
 * bit-identical to the reference. Dot products sum in float (the reference
 * sums in double) in this fixed order, which vec_dot and gemm share so that
 * gemm's elements are bit-identical to vec_dot's:
 *     elements in steps of 16:  a0 = fma(x[i..i+7], y[i..i+7], a0)
 *                               a1 = fma(x[i+8..i+15], y[i+8..i+15], a1)
 *     a leftover group of 8:    a0 = fma(x, y, a0)
 *     the last n % 8:           tail = fma(x_i, y_i, tail), in order
 *     result:                   hsum(a0 + a1) + tail
 * Two accumulators hide the FMA latency of a single row; more would not
 * fit gemm's register tile. */
#include "avx2_kernels.h"

#include "avx2_util.h"

void lc_f16_to_float_avx2(const void *src, float *dst, int64_t n) {
    const uint16_t *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(avx2_loadu128(x + i)));
    for (; i < n; i++) dst[i] = avx2_fp16(x[i]);
}

void lc_f16_from_float_avx2(const float *src, void *dst, int64_t n) {
    uint16_t *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = lc_fp32_to_fp16(src[i]);
}

/* The three encodings as a compile-time parameter of the shared code. */
enum { KIND_F32, KIND_F16, KIND_BF16 };

/* Eight elements from i on, as floats (exact for every encoding). */
AVX2_ALWAYS_INLINE __m256 load8(int kind, const void *p, int64_t i) {
    switch (kind) {
    case KIND_F16: return _mm256_cvtph_ps(avx2_loadu128((const uint16_t *)p + i));
    case KIND_BF16: {
        const __m256i w = _mm256_cvtepu16_epi32(avx2_loadu128((const uint16_t *)p + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
    }
    default: return _mm256_loadu_ps((const float *)p + i);
    }
}

AVX2_ALWAYS_INLINE float load1(int kind, const void *p, int64_t i) {
    switch (kind) {
    case KIND_F16: return avx2_fp16(((const uint16_t *)p)[i]);
    case KIND_BF16: return lc_bf16_to_fp32(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
    }
}

void lc_bf16_to_float_avx2(const void *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8(KIND_BF16, src, i));
    for (; i < n; i++) dst[i] = load1(KIND_BF16, src, i);
}

/* The order's end (a group of 8 and the scalar tail from element i on) and
 * the final sum. */
AVX2_ALWAYS_INLINE float finish(int kind, const void *x, const void *y, int64_t i, int64_t n, __m256 a0, __m256 a1) {
    if (i + 8 <= n) {
        a0 = _mm256_fmadd_ps(load8(kind, x, i), load8(kind, y, i), a0);
        i += 8;
    }
    __m128 tail = _mm_setzero_ps();
    for (; i < n; i++) tail = _mm_fmadd_ss(_mm_set_ss(load1(kind, x, i)), _mm_set_ss(load1(kind, y, i)), tail);
    return avx2_hsum_ps(_mm256_add_ps(a0, a1)) + _mm_cvtss_f32(tail);
}

AVX2_ALWAYS_INLINE void float_dot(int kind, int64_t n, float *s, const void *x, const void *y) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(load8(kind, x, i), load8(kind, y, i), a0);
        a1 = _mm256_fmadd_ps(load8(kind, x, i + 8), load8(kind, y, i + 8), a1);
    }
    *s = finish(kind, x, y, i, n, a0, a1);
}

void lc_vec_dot_f32_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_F32, n, s, x, y); }
void lc_vec_dot_f16_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_F16, n, s, x, y); }
void lc_vec_dot_bf16_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_BF16, n, s, x, y); }

/* ---- gemm ----
 * Register tile: R_MAX weight rows by T_MAX tokens, two accumulators each
 * (12 of the 16 vector registers), over the steps of 16. Activation rows
 * are converted to float once per chunk of K_CHUNK elements for a group of
 * tokens, then serve every row of a block of ROW_BLOCK rows, whose
 * accumulators wait in acc_buf between chunks. Converted values are exact,
 * so the FMAs are the very ones vec_dot performs. A single token goes
 * through vec_dot row by row: nothing to share, and one row at a time is
 * what the hardware prefetcher streams best. */
#define R_MAX 2
#define T_MAX 3
#define K_CHUNK 1024
#define ROW_BLOCK 48

typedef struct gemm_args {
    int kind;
    int64_t n;
    const uint8_t *x;
    size_t xs;
    const uint8_t *y;
    size_t ys;
} gemm_args;

/* Steps of 16 over [k0, k0 + kc) for rows x0.. (R of them) and T tokens
 * whose floats start at yf[t] (element k0 of token t). acc: [R][T][2]. */
AVX2_ALWAYS_INLINE void tile(int kind, int R, int T, const uint8_t *x0, size_t xs, const float *const *yf, int64_t k0,
                             int64_t kc, __m256 (*acc)[T_MAX][2]) {
    __m256 a[R_MAX][T_MAX][2];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) a[r][t][0] = acc[r][t][0], a[r][t][1] = acc[r][t][1];
    for (int64_t k = 0; k < kc; k += 16) {
        for (int h = 0; h < 2; h++) {
            __m256 xv[R_MAX];
            for (int r = 0; r < R; r++) xv[r] = load8(kind, x0 + (size_t)r * xs, k0 + k + 8 * h);
            for (int t = 0; t < T; t++) {
                const __m256 yv = _mm256_loadu_ps(yf[t] + k + 8 * h);
                for (int r = 0; r < R; r++) a[r][t][h] = _mm256_fmadd_ps(xv[r], yv, a[r][t][h]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t][0] = a[r][t][0], acc[r][t][1] = a[r][t][1];
}

/* Dispatch to a tile with constant R and T, so its loops unroll. */
AVX2_ALWAYS_INLINE void tile_any(int kind, int R, int T, const uint8_t *x0, size_t xs, const float *const *yf,
                                 int64_t k0, int64_t kc, __m256 (*acc)[T_MAX][2]) {
    if (R == 2) {
        if (T == 3) tile(kind, 2, 3, x0, xs, yf, k0, kc, acc);
        else if (T == 2) tile(kind, 2, 2, x0, xs, yf, k0, kc, acc);
        else tile(kind, 2, 1, x0, xs, yf, k0, kc, acc);
    } else {
        if (T == 3) tile(kind, 1, 3, x0, xs, yf, k0, kc, acc);
        else if (T == 2) tile(kind, 1, 2, x0, xs, yf, k0, kc, acc);
        else tile(kind, 1, 1, x0, xs, yf, k0, kc, acc);
    }
}

AVX2_ALWAYS_INLINE void float_gemm(int kind, int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t xs,
                                   const void *y, size_t ys, float *out, size_t os) {
    if (n_rows <= 0 || n_tok <= 0) return; /* no pointer arithmetic on NULL */
    if (n_tok == 1) { /* one token: rows one after another stream best from DRAM */
        for (int64_t r = 0; r < n_rows; r++) float_dot(kind, n, &out[r], (const uint8_t *)x + (size_t)r * xs, y);
        return;
    }
    const int64_t n16 = n - n % 16; /* elements the steps of 16 cover */
    float ybuf[T_MAX][K_CHUNK];
    __m256 acc_buf[ROW_BLOCK][T_MAX][2];
    for (int64_t rb = 0; rb < n_rows; rb += ROW_BLOCK) {
        const int64_t nr = LC_MIN((int64_t)ROW_BLOCK, n_rows - rb);
        const uint8_t *xb = (const uint8_t *)x + (size_t)rb * xs;
        for (int64_t t0 = 0; t0 < n_tok; t0 += T_MAX) {
            const int T = (int)LC_MIN((int64_t)T_MAX, n_tok - t0);
            const uint8_t *yt[T_MAX];
            for (int t = 0; t < T; t++) yt[t] = (const uint8_t *)y + (size_t)(t0 + t) * ys;
            for (int64_t r = 0; r < nr; r++)
                for (int t = 0; t < T; t++) acc_buf[r][t][0] = acc_buf[r][t][1] = _mm256_setzero_ps();
            for (int64_t k0 = 0; k0 < n16; k0 += K_CHUNK) {
                const int64_t kc = LC_MIN((int64_t)K_CHUNK, n16 - k0);
                const float *yf[T_MAX];
                for (int t = 0; t < T; t++) { /* F32 too: the copy is L1-resident, the row may not be */
                    for (int64_t k = 0; k < kc; k += 8) _mm256_storeu_ps(ybuf[t] + k, load8(kind, yt[t], k0 + k));
                    yf[t] = ybuf[t];
                }
                for (int64_t r = 0; r < nr; r += R_MAX) {
                    const int R = (int)LC_MIN((int64_t)R_MAX, nr - r);
                    tile_any(kind, R, T, xb + (size_t)r * xs, xs, yf, k0, kc, &acc_buf[r]);
                }
            }
            for (int64_t r = 0; r < nr; r++)
                for (int t = 0; t < T; t++)
                    out[(size_t)(t0 + t) * os + (size_t)(rb + r)] =
                        finish(kind, xb + (size_t)r * xs, yt[t], n16, n, acc_buf[r][t][0], acc_buf[r][t][1]);
        }
    }
}

void lc_gemm_f32_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                      size_t y_stride, float *out, size_t out_stride) {
    float_gemm(KIND_F32, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_f16_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                      size_t y_stride, float *out, size_t out_stride) {
    float_gemm(KIND_F16, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

void lc_gemm_bf16_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                       size_t y_stride, float *out, size_t out_stride) {
    float_gemm(KIND_BF16, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}
