/* AVX-512 VNNI gemm of packed Q4_0 and Q8_0 weights (lc_pack8's 8-row
 * groups) with Q8_0 activations, in the reference's own float order,
 * sixteen weight rows at a time.
 *
 * The float steps are the reference's: per block the exact integer dot
 * product isum, then, blocks in order,
 *     sum = sum + float(isum) * (dx * dy)
 * (a multiply, a multiply and an add, none fused), one scalar chain per
 * row and token. Lane j of a 512-bit register is row j of two consecutive
 * packed groups (lanes 0..7 the first, 8..15 the second), so the float
 * steps run once per 16 rows and the results are the reference's bits (as
 * long as the reference is compiled without contracting a * b + c).
 *
 * The integer part is VPDPBUSD (unsigned bytes times signed bytes, four
 * products added into each int32 lane, no intermediate saturation), with
 * a broadcast activation dword as the signed operand:
 * - Q4_0: the codes as they are (0..15) are the unsigned operand; the
 *   reference's sum (q - 8) y is sum q y - 8 sum y, so each block's int32
 *   accumulator starts at -8 sum y (taken once per token and block).
 * - Q8_0: the signed codes biased to unsigned (w ^ 0x80 = w + 128), the
 *   accumulator starting at -128 sum y.
 * Either way the int32 sum is the reference's isum exactly (|isum| stays
 * below 32 * 255 * 128 + 128 * 32 * 128, far from overflow).
 *
 * One weight chunk (two groups' 32 bytes) serves up to A512_TOK tokens
 * before the next is loaded: a prompt reuses each chunk for 8 tokens.
 *
 * Generation (one token) streams the matrix from memory instead, and there
 * the access pattern decides: two groups read side by side are two
 * streams 9 KiB apart, which this machine's prefetchers serve at 17 GB/s
 * on one core where one sequential stream gets 25 (a plain read loop;
 * Zen 4 VM). So one token takes the groups one after another, 8 rows in
 * a 256-bit register, over the whole shared dimension: the matrix is read
 * front to back as one stream. The per-row arithmetic is the same, so
 * the bits are too. Measured on a 512 MB Q4_0 matrix of 2048-wide rows,
 * one core, rounds of 128-row calls: 10.4 GB/s with 16 rows, 16.7 with 8
 * (5632-wide: 10.3 and 15.2); tinyllama Q4_0 generation, 1 thread, 17.3
 * -> 31.5 tokens/s. */
#include "avx512_kernels.h"

#include "avx512_util.h"
#include "blocks.h"

/* Rows per 512-bit register: two packed groups of 8. */
#define ROWS 16
/* Tokens sharing one weight chunk. */
#define A512_TOK 8
/* Blocks per chunk of the shared dimension (the activation tile's size). */
#define K_BLOCKS 64
/* Blocks a one-token pass prefetches ahead in each group's stream. */
#define PF_BLOCKS 16

/* T tokens' activations over a chunk of blocks: the 4-byte groups
 * interleaved by token (q[b][i][t] = bytes 4i..4i+3 of token t's block b),
 * dy as float and the accumulator's start, -k * sum of the quants (k = 8
 * for Q4_0, 128 for Q8_0). */
typedef struct a512_tile {
    int32_t q[K_BLOCKS][8][A512_TOK];
    float dy[K_BLOCKS][A512_TOK];
    int32_t start[K_BLOCKS][A512_TOK];
} a512_tile;

/* Sum of the 32 signed bytes at p, exact. */
static inline int32_t sum_i8x32(const void *p) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)p);
    const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), v);
    return _mm512_reduce_add_epi32(_mm512_zextsi256_si512(s));
}

static void prep_tile(const void *y, size_t y_stride, int64_t t0, int T, int64_t k0, int64_t k1, int32_t k,
                      a512_tile *a) {
    for (int t = 0; t < T; t++) {
        const lc_block_q8_0 *yt = (const lc_block_q8_0 *)((const uint8_t *)y + (size_t)(t0 + t) * y_stride);
        for (int64_t b = k0; b < k1; b++) {
            int32_t g[8];
            memcpy(g, yt[b].qs, sizeof g);
            for (int i = 0; i < 8; i++) a->q[b - k0][i][t] = g[i];
            a->dy[b - k0][t] = _cvtsh_ss(yt[b].d);
            a->start[b - k0][t] = -k * sum_i8x32(yt[b].qs);
        }
    }
}

/* acc[t] = acc[t] + float(isum[t]) * (dx * dy[t]), the reference's step. */
A512_ALWAYS_INLINE void add_terms(int T, __m512 *acc, const __m512i *isum, __m512 dx, const float *dy) {
    for (int t = 0; t < T; t++) {
        const __m512 d = _mm512_mul_ps(dx, _mm512_set1_ps(dy[t]));
        acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(isum[t]), d));
    }
}

/* Q4_0, groups at x0 and x1 (packed, LC_Q4_0X8_BYTES per block), T tokens,
 * blocks [b0, b1). Chunk i of a block holds, per row, the bytes of
 * elements 4i..4i+3 (low nibbles) and 16+4i..16+4i+3 (high nibbles). */
A512_ALWAYS_INLINE void q4_0x16(int64_t b0, int64_t b1, const uint8_t *x0, const uint8_t *x1, int T,
                                const a512_tile *a, __m512 *acc, bool stream) {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *g0 = x0 + (size_t)b * LC_Q4_0X8_BYTES, *g1 = x1 + (size_t)b * LC_Q4_0X8_BYTES;
        if (stream) { /* past the 4 KiB pages the hardware prefetcher stops at */
            a512_prefetch((uintptr_t)g0 + PF_BLOCKS * LC_Q4_0X8_BYTES, LC_Q4_0X8_BYTES);
            a512_prefetch((uintptr_t)g1 + PF_BLOCKS * LC_Q4_0X8_BYTES, LC_Q4_0X8_BYTES);
        }
        const int64_t k = b - b0;
        __m512i isum[A512_TOK];
        for (int t = 0; t < T; t++) isum[t] = _mm512_set1_epi32(a->start[k][t]);
        for (int i = 0; i < 4; i++) {
            const __m512i c = a512_load_pair(g0, g1, 16 + 32 * (size_t)i);
            const __m512i wl = _mm512_and_si512(c, m4), wh = _mm512_and_si512(_mm512_srli_epi16(c, 4), m4);
            for (int t = 0; t < T; t++) {
                isum[t] = _mm512_dpbusd_epi32(isum[t], wl, _mm512_set1_epi32(a->q[k][i][t]));
                isum[t] = _mm512_dpbusd_epi32(isum[t], wh, _mm512_set1_epi32(a->q[k][4 + i][t]));
            }
        }
        add_terms(T, acc, isum, a512_halves_pair(g0, g1), a->dy[k]);
    }
}

/* Q8_0 the same way: 8 chunks of signed codes, biased to unsigned. */
A512_ALWAYS_INLINE void q8_0x16(int64_t b0, int64_t b1, const uint8_t *x0, const uint8_t *x1, int T,
                                const a512_tile *a, __m512 *acc, bool stream) {
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *g0 = x0 + (size_t)b * LC_Q8_0X8_BYTES, *g1 = x1 + (size_t)b * LC_Q8_0X8_BYTES;
        if (stream) {
            a512_prefetch((uintptr_t)g0 + PF_BLOCKS * LC_Q8_0X8_BYTES, LC_Q8_0X8_BYTES);
            a512_prefetch((uintptr_t)g1 + PF_BLOCKS * LC_Q8_0X8_BYTES, LC_Q8_0X8_BYTES);
        }
        const int64_t k = b - b0;
        __m512i isum[A512_TOK];
        for (int t = 0; t < T; t++) isum[t] = _mm512_set1_epi32(a->start[k][t]);
        for (int i = 0; i < 8; i++) {
            const __m512i w = _mm512_xor_si512(a512_load_pair(g0, g1, 16 + 32 * (size_t)i), bias);
            for (int t = 0; t < T; t++) isum[t] = _mm512_dpbusd_epi32(isum[t], w, _mm512_set1_epi32(a->q[k][i][t]));
        }
        add_terms(T, acc, isum, a512_halves_pair(g0, g1), a->dy[k]);
    }
}

/* ---- one token, one group at a time ---- */

/* Blocks of the shared dimension per activation tile of one token. */
#define ONE_BLOCKS 512

typedef struct one_tile {
    int32_t q[ONE_BLOCKS][8];
    float dy[ONE_BLOCKS];
    int32_t start[ONE_BLOCKS];
} one_tile;

static void prep_one(const void *y, int64_t k0, int64_t k1, int32_t k, one_tile *a) {
    const lc_block_q8_0 *yt = y;
    for (int64_t b = k0; b < k1; b++) {
        memcpy(a->q[b - k0], yt[b].qs, sizeof a->q[0]);
        a->dy[b - k0] = _cvtsh_ss(yt[b].d);
        a->start[b - k0] = -k * sum_i8x32(yt[b].qs);
    }
}

/* Blocks [b0, b1) of the group at g, 8 rows in the lanes of acc. */
A512_ALWAYS_INLINE __m256 q4_0x8_one(int64_t b0, int64_t b1, const uint8_t *g, const one_tile *a, __m256 acc) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *gb = g + (size_t)b * LC_Q4_0X8_BYTES;
        const int64_t k = b - b0;
        __m256i isum = _mm256_set1_epi32(a->start[k]);
        for (int i = 0; i < 4; i++) {
            const __m256i c = _mm256_loadu_si256((const __m256i *)(gb + 16 + 32 * (size_t)i));
            const __m256i wl = _mm256_and_si256(c, m4), wh = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
            isum = _mm256_dpbusd_epi32(isum, wl, _mm256_set1_epi32(a->q[k][i]));
            isum = _mm256_dpbusd_epi32(isum, wh, _mm256_set1_epi32(a->q[k][4 + i]));
        }
        const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gb)), _mm256_set1_ps(a->dy[k]));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(isum), d));
    }
    return acc;
}

A512_ALWAYS_INLINE __m256 q8_0x8_one(int64_t b0, int64_t b1, const uint8_t *g, const one_tile *a, __m256 acc) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *gb = g + (size_t)b * LC_Q8_0X8_BYTES;
        const int64_t k = b - b0;
        __m256i isum = _mm256_set1_epi32(a->start[k]);
        for (int i = 0; i < 8; i++) {
            const __m256i w = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(gb + 16 + 32 * (size_t)i)), bias);
            isum = _mm256_dpbusd_epi32(isum, w, _mm256_set1_epi32(a->q[k][i]));
        }
        const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gb)), _mm256_set1_ps(a->dy[k]));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(isum), d));
    }
    return acc;
}

typedef __m256 (*group_fn)(int64_t b0, int64_t b1, const uint8_t *g, const one_tile *a, __m256 acc);

/* One token: the groups in order, each over a whole tile of the shared
 * dimension (all of it below 16384 elements). */
A512_ALWAYS_INLINE void gemv_x8(int64_t n, int64_t n_rows, const void *x, size_t x_stride, const void *y, float *out,
                                group_fn group, int32_t start_k) {
    const int64_t nb = n / LC_QK8_0;
    one_tile tile;
    for (int64_t k0 = 0; k0 < nb; k0 += ONE_BLOCKS) {
        const int64_t k1 = LC_MIN(nb, k0 + ONE_BLOCKS);
        prep_one(y, k0, k1, start_k, &tile);
        for (int64_t r0 = 0; r0 < n_rows; r0 += 8) {
            const __m256 acc = k0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(&out[r0]);
            _mm256_storeu_ps(&out[r0], group(k0, k1, (const uint8_t *)x + (size_t)r0 * x_stride, &tile, acc));
        }
    }
}

typedef void (*rows16_fn)(int64_t b0, int64_t b1, const uint8_t *x0, const uint8_t *x1, int T, const a512_tile *a,
                          __m512 *acc, bool stream);

/* Loop order: chunks of K_BLOCKS blocks (the tokens' activation slices
 * stay in L1), groups of A512_TOK tokens (their tile prepared once), pairs
 * of packed groups (an odd last group is paired with itself and its
 * second half dropped). Between chunks the running sums wait in `out`: a
 * float stored and reloaded is the same float, so each element still adds
 * its blocks in order. x is the packed image, x_stride the unpacked row
 * size, so group g starts at x + 8 g x_stride. */
A512_ALWAYS_INLINE void gemm_x16(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                 const void *y, size_t y_stride, float *out, size_t out_stride, rows16_fn rows,
                                 int32_t start_k) {
    if (n_rows <= 0 || n_tok <= 0) return;
    const int64_t nb = n / LC_QK8_0;
    a512_tile tile;
    for (int64_t k0 = 0; k0 < nb; k0 += K_BLOCKS) {
        const int64_t k1 = LC_MIN(nb, k0 + K_BLOCKS);
        for (int64_t t0 = 0; t0 < n_tok; t0 += A512_TOK) {
            const int T = (int)LC_MIN((int64_t)A512_TOK, n_tok - t0);
            prep_tile(y, y_stride, t0, T, k0, k1, start_k, &tile);
            for (int64_t r0 = 0; r0 < n_rows; r0 += ROWS) {
                const uint8_t *x0 = (const uint8_t *)x + (size_t)r0 * x_stride;
                const bool pair = r0 + ROWS <= n_rows;
                const uint8_t *x1 = pair ? x0 + 8 * x_stride : x0;
                const __mmask16 m = pair ? 0xffff : 0x00ff;
                __m512 acc[A512_TOK];
                for (int t = 0; t < A512_TOK; t++)
                    acc[t] = k0 == 0 || t >= T ? _mm512_setzero_ps()
                                               : _mm512_maskz_loadu_ps(m, &out[(size_t)(t0 + t) * out_stride + (size_t)r0]);
                switch (T) { /* constant T: the token loops unroll */
                case 8: rows(k0, k1, x0, x1, 8, &tile, acc, false); break;
                case 7: rows(k0, k1, x0, x1, 7, &tile, acc, false); break;
                case 6: rows(k0, k1, x0, x1, 6, &tile, acc, false); break;
                case 5: rows(k0, k1, x0, x1, 5, &tile, acc, false); break;
                case 4: rows(k0, k1, x0, x1, 4, &tile, acc, false); break;
                case 3: rows(k0, k1, x0, x1, 3, &tile, acc, false); break;
                case 2: rows(k0, k1, x0, x1, 2, &tile, acc, false); break;
                default: rows(k0, k1, x0, x1, 1, &tile, acc, true); break;
                }
                for (int t = 0; t < T; t++)
                    _mm512_mask_storeu_ps(&out[(size_t)(t0 + t) * out_stride + (size_t)r0], m, acc[t]);
            }
        }
    }
}

void lc_gemm_q4_0x8_q8_0_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_tok == 1 && n_rows > 0) gemv_x8(n, n_rows, x, x_stride, y, out, q4_0x8_one, 8);
    else gemm_x16(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride, q4_0x16, 8);
}

void lc_gemm_q8_0x8_q8_0_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_tok == 1 && n_rows > 0) gemv_x8(n, n_rows, x, x_stride, y, out, q8_0x8_one, 128);
    else gemm_x16(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride, q8_0x16, 128);
}
