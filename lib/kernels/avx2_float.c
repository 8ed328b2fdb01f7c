/* AVX2 kernels for the float encodings: F16 <-> F32 row conversion with the
 * F16C instructions, and F32/F16/BF16 dot products (vec_dot) and batched
 * dot products (gemm) with FMA.
 *
 * The hardware F16 conversion rounds to nearest-even, keeps subnormals and
 * quiets NaNs exactly as lc_fp32_to_fp16 does, so from_float is
 * bit-identical to the reference. Dot products sum in float (the reference
 * sums in double) in this fixed order, which vec_dot and gemm share so that
 * gemm's elements are bit-identical to vec_dot's:
 *     elements in steps of 8:   a = fma(x[i..i+7], y[i..i+7], a)
 *     the last n % 8:           tail = fma(x_i, y_i, tail), in order
 *     result:                   hsum(a) + tail
 * One accumulator per output lets gemm hold a 3-row by 4-token tile (12
 * accumulators) in the 16 vector registers, which is what keeps both FMA
 * pipes busy; the FMA latency a single row would expose is hidden by
 * running several rows (or tokens) side by side instead. */
#include "avx2_kernels.h"

#include "avx2_float_order.h"
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

/* Lane-wise mul then add: the same two roundings per element as the
 * reference loop. */
AVX2_ALWAYS_INLINE void axpy(int kind, int64_t n, float a, const void *x, float *y) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(va, load8(kind, x, i))));
    for (; i < n; i++) /* intrinsics, so that no compiler contracts them into an FMA */
        y[i] = _mm_cvtss_f32(_mm_add_ss(_mm_set_ss(y[i]), _mm_mul_ss(_mm_set_ss(a), _mm_set_ss(load1(kind, x, i)))));
}

/* Eight dims of M heads' sums in registers while the cells stream past. */
AVX2_ALWAYS_INLINE void values8(int kind, int M, int64_t n, const float *p, int64_t ps, const uint8_t *v,
                                size_t v_stride, const int32_t *cells, int d0, int hd, float *out) {
    __m256 acc[4];
    for (int h = 0; h < M; h++) acc[h] = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; j++) {
        const __m256 x = load8(kind, v + (size_t)cells[j] * v_stride, d0);
        for (int h = 0; h < M; h++) acc[h] = _mm256_add_ps(acc[h], _mm256_mul_ps(_mm256_set1_ps(p[h * ps + j]), x));
    }
    for (int h = 0; h < M; h++) _mm256_storeu_ps(out + (size_t)h * (size_t)hd + d0, acc[h]);
}

AVX2_ALWAYS_INLINE void attn_values(int kind, int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                                    size_t v_stride, const int32_t *cells, float *out) {
    for (int d0 = 0; d0 + 8 <= hd; d0 += 8) {
        switch (m) { /* constant M: the head loops unroll */
        case 4: values8(kind, 4, n, p, ps, v, v_stride, cells, d0, hd, out); break;
        case 3: values8(kind, 3, n, p, ps, v, v_stride, cells, d0, hd, out); break;
        case 2: values8(kind, 2, n, p, ps, v, v_stride, cells, d0, hd, out); break;
        default: values8(kind, 1, n, p, ps, v, v_stride, cells, d0, hd, out); break;
        }
    }
}

void lc_attn_values_f16_avx2(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                             size_t v_stride, const int32_t *cells, float *out) {
    attn_values(KIND_F16, n, m, hd, p, ps, v, v_stride, cells, out);
}

void lc_attn_values_f32_avx2(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                             size_t v_stride, const int32_t *cells, float *out) {
    attn_values(KIND_F32, n, m, hd, p, ps, v, v_stride, cells, out);
}

void lc_axpy_f32_avx2(int64_t n, float a, const void *x, float *y) { axpy(KIND_F32, n, a, x, y); }

void lc_axpy_f16_avx2(int64_t n, float a, const void *x, float *y) { axpy(KIND_F16, n, a, x, y); }

void lc_bf16_to_float_avx2(const void *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8(KIND_BF16, src, i));
    for (; i < n; i++) dst[i] = load1(KIND_BF16, src, i);
}

AVX2_ALWAYS_INLINE void float_dot(int kind, int64_t n, float *s, const void *x, const void *y) {
    __m256 a = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) a = _mm256_fmadd_ps(load8(kind, x, i), load8(kind, y, i), a);
    *s = finish(kind, x, y, i, n, a);
}

void lc_vec_dot_f32_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_F32, n, s, x, y); }
void lc_vec_dot_f16_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_F16, n, s, x, y); }
void lc_vec_dot_bf16_avx2(int64_t n, float *s, const void *x, const void *y) { float_dot(KIND_BF16, n, s, x, y); }

/* ---- gemm ----
 * Register tile: 3 weight rows by 4 tokens (4 rows by 1 token for a single
 * token), one accumulator each. Activation rows are converted to float
 * once per chunk of K_CHUNK elements for a tile of tokens (L1-resident),
 * then serve every row of a block of up to ROW_BLOCK rows (L2-resident
 * weights), whose accumulators wait in acc_buf between chunks. Converted
 * values are exact, so the FMAs are the very ones vec_dot performs. */
#define F_TOK_MAX 4
#define R_MAX 4
#define K_CHUNK 1024
#define ROW_BLOCK 128
/* Weight bytes of a row block that stay in L2 while every token tile
 * passes over them (the tokens' rows stream through L2 too). */
#define ROW_BLOCK_BYTES (320 * 1024)

/* Steps of 8 over [k0, k0 + kc) for rows x0.. (R of them, stride xs) and T
 * tokens whose floats start at yf + t * K_CHUNK. acc: [R][F_TOK_MAX]. */
AVX2_ALWAYS_INLINE void tile(int kind, int R, int T, const uint8_t *x0, size_t xs, const float *yf, int64_t k0,
                             int64_t kc, __m256 (*acc)[F_TOK_MAX]) {
    __m256 a[R_MAX][F_TOK_MAX];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) a[r][t] = acc[r][t];
    for (int64_t k = 0; k < kc; k += 8) {
        __m256 xv[R_MAX];
        for (int r = 0; r < R; r++) xv[r] = load8(kind, x0 + (size_t)r * xs, k0 + k);
        for (int t = 0; t < T; t++) {
            const __m256 yv = _mm256_loadu_ps(yf + (size_t)t * K_CHUNK + k);
            for (int r = 0; r < R; r++) a[r][t] = _mm256_fmadd_ps(xv[r], yv, a[r][t]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = a[r][t];
}

/* The one-token tile: R rows streamed from DRAM, the next R rows (the next
 * tile's) fetched ahead a cache line at a time at the same offset. Each
 * row of a 2048-wide F16 matrix is one 4 KiB page of a file mapping, and
 * the hardware prefetcher does not cross pages, so without this every row
 * starts cold. (Integer arithmetic: the next rows may lie past the matrix,
 * and a prefetch never faults.) */
AVX2_ALWAYS_INLINE void tile1(int kind, int R, const uint8_t *x0, size_t xs, const float *yf, int64_t k0, int64_t kc,
                              __m256 (*acc)[F_TOK_MAX]) {
    const int64_t line = kind == KIND_F32 ? 16 : 32; /* elements per 64 bytes */
    const size_t el = kind == KIND_F32 ? 4 : 2;
    const uintptr_t next = (uintptr_t)x0 + (size_t)R * xs;
    __m256 a[R_MAX];
    for (int r = 0; r < R; r++) a[r] = acc[r][0];
    for (int64_t k = 0; k < kc; k += 8) {
        if (((k0 + k) & (line - 1)) == 0)
            for (int r = 0; r < R; r++) avx2_prefetch(next + (size_t)r * xs + (size_t)(k0 + k) * el, 64);
        const __m256 yv = _mm256_loadu_ps(yf + k);
        for (int r = 0; r < R; r++) a[r] = _mm256_fmadd_ps(load8(kind, x0 + (size_t)r * xs, k0 + k), yv, a[r]);
    }
    for (int r = 0; r < R; r++) acc[r][0] = a[r];
}

/* Rows [0, nr) of a row block against T tokens: tiles of 3 rows (4 for a
 * single token, where nothing else hides the FMA latency), with constant R
 * and T so the loops unroll. */
AVX2_ALWAYS_INLINE void rows_tiles(int kind, int T, int64_t nr, const uint8_t *xb, size_t xs, const float *yf,
                                   int64_t k0, int64_t kc, __m256 (*acc)[F_TOK_MAX]) {
    const int RT = T == 1 ? 4 : 3;
    int64_t r = 0;
    for (; r + RT <= nr; r += RT) {
        if (T == 1) tile1(kind, 4, xb + (size_t)r * xs, xs, yf, k0, kc, &acc[r]);
        else tile(kind, 3, T, xb + (size_t)r * xs, xs, yf, k0, kc, &acc[r]);
    }
    for (; r < nr; r++) tile(kind, 1, T, xb + (size_t)r * xs, xs, yf, k0, kc, &acc[r]);
}

/* One token (generation): the matrix streams from memory, and what limits
 * it is how the reads look to the prefetchers. Four rows read side by
 * side are four streams; taken as neighbours (r..r+3) each stream ends
 * after one row and jumps over the other three, so every row restarts
 * the prefetchers, and with the K_CHUNK tiling every 2 KiB did. So the
 * four rows of a tile are a quarter of the call's rows apart (r, r + q,
 * r + 2q, r + 3q): each stream runs through q consecutive rows. No
 * software prefetch: with long streams the hardware's does better (one
 * Zen 4 core, a 1 GiB F16 matrix in 4 KiB pages, 128-row calls: 24 GB/s
 * without, 21 asking for the next row's line into L2, 20 into L1). The
 * activation is converted per step (one conversion serves four rows).
 * Per row these are vec_dot's FMAs in its order, so the bits are
 * vec_dot's. */
AVX2_ALWAYS_INLINE void one_token(int kind, int64_t n, int64_t n_rows, const uint8_t *x, size_t xs, const void *y,
                                  float *out) {
    const int64_t n8 = n - n % 8, q = n_rows / 4;
    for (int64_t r = 0; r < q; r++) {
        const uint8_t *row[4];
        for (int j = 0; j < 4; j++) row[j] = x + (size_t)(r + j * q) * xs;
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t k = 0; k < n8; k += 8) {
            const __m256 yv = load8(kind, y, k);
            for (int j = 0; j < 4; j++) a[j] = _mm256_fmadd_ps(load8(kind, row[j], k), yv, a[j]);
        }
        for (int j = 0; j < 4; j++) out[r + j * q] = finish(kind, row[j], y, n8, n, a[j]);
    }
    for (int64_t r = 4 * q; r < n_rows; r++) float_dot(kind, n, &out[r], x + (size_t)r * xs, y);
}

AVX2_ALWAYS_INLINE void float_gemm(int kind, int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t xs,
                                   const void *y, size_t ys, float *out, size_t os) {
    if (n_rows <= 0 || n_tok <= 0) return; /* no pointer arithmetic on NULL */
    if (n_tok == 1) {
        one_token(kind, n, n_rows, x, xs, y, out);
        return;
    }
    const int64_t n8 = n - n % 8; /* elements the steps of 8 cover */
    float ybuf[F_TOK_MAX * K_CHUNK];
    __m256 acc_buf[ROW_BLOCK][F_TOK_MAX];
    const int64_t row_block = LC_MAX(12, LC_MIN((int64_t)ROW_BLOCK, (int64_t)(ROW_BLOCK_BYTES / xs) / 3 * 3));
    for (int64_t rb = 0; rb < n_rows; rb += row_block) {
        const int64_t nr = LC_MIN(row_block, n_rows - rb);
        const uint8_t *xb = (const uint8_t *)x + (size_t)rb * xs;
        for (int64_t t0 = 0; t0 < n_tok; t0 += F_TOK_MAX) {
            const int T = (int)LC_MIN((int64_t)F_TOK_MAX, n_tok - t0);
            const uint8_t *yt[F_TOK_MAX];
            for (int t = 0; t < T; t++) yt[t] = (const uint8_t *)y + (size_t)(t0 + t) * ys;
            for (int64_t r = 0; r < nr; r++)
                for (int t = 0; t < F_TOK_MAX; t++) acc_buf[r][t] = _mm256_setzero_ps();
            for (int64_t k0 = 0; k0 < n8; k0 += K_CHUNK) {
                const int64_t kc = LC_MIN((int64_t)K_CHUNK, n8 - k0);
                for (int t = 0; t < T; t++) /* F32 too: the copy is L1-resident, the row may not be */
                    for (int64_t k = 0; k < kc; k += 8)
                        _mm256_storeu_ps(ybuf + (size_t)t * K_CHUNK + k, load8(kind, yt[t], k0 + k));
                switch (T) {
                case 4: rows_tiles(kind, 4, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 3: rows_tiles(kind, 3, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                case 2: rows_tiles(kind, 2, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                default: rows_tiles(kind, 1, nr, xb, xs, ybuf, k0, kc, acc_buf); break;
                }
            }
            for (int64_t r = 0; r < nr; r++)
                for (int t = 0; t < T; t++)
                    out[(size_t)(t0 + t) * os + (size_t)(rb + r)] =
                        finish(kind, xb + (size_t)r * xs, yt[t], n8, n, acc_buf[r][t]);
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
