/* AVX-512 VNNI gemm of packed Q4_K, Q5_K and Q6_K weights (lc_pack8's
 * 8-row groups) with Q8_K activations, for few tokens (generation), in the
 * reference's own float order, sixteen weight rows at a time.
 *
 * Per super-block the integer sums are the reference's exactly:
 *     isum = sum_s sc_s * (codes . y)_s,  imin = sum_s mn_s * bsum_s
 * with (codes . y)_s from VPDPBUSD (codes unsigned, the activation dword
 * broadcast as the signed operand) into one int32 accumulator per
 * sub-block, then multiplied by the sub-block's scale (VPMULLD, lane =
 * row). Q6_K's codes are used as they are (0..63) and the reference's
 * -32 is taken as 32 * sum_s sc_s bsum_s. The float steps are the
 * reference's, super-blocks in order, nothing fused:
 *     sum = sum + ((d * yd) * isum - (dmin * yd) * imin)   (Q4_K, Q5_K)
 *     sum = sum + (d * yd) * isum                          (Q6_K)
 * Lanes 0..7 are the rows of one packed group, lanes 8..15 those of the
 * group half the row range further on (an odd middle group is paired with
 * itself, its copy dropped). Pairing a group with its neighbour made each
 * of the two streams the pass reads run only one group's length (9 KiB
 * for 2048-wide rows) before jumping over the other's, and this machine's
 * prefetchers restart on every jump: two such streams read 19 GB/s on one
 * Zen 4 core, two long ones 26 (a plain read loop). Paired across the
 * half, each stream runs through half the call's rows.
 *
 * From 5 tokens on the entries hand over to
 * the AVX2 packed gemm (32 rows with the activations as the unsigned
 * operand), which gives the same bits. */
#include "avx2_kernels.h"
#include "avx512_kernels.h"

#include "avx512_util.h"
#include "blocks.h"

/* Most tokens one pass takes. */
#define KT_MAX 4

/* Dword m of row j's scale field (`stride` bytes per row, 12 or 16, at
 * `off` in each group's super-block), lane j = row j of group g0, lane
 * 8 + j = row j of group g1. The two groups' fields span at most 128
 * bytes from off, read as two 64-byte registers (inside the super-block:
 * the quants follow). */
A512_ALWAYS_INLINE __m512i field_dwords(const uint8_t *g0, const uint8_t *g1, size_t off, int stride, int m) {
    const int s = stride / 4;
    const __m512i idx = _mm512_setr_epi32(m, s + m, 2 * s + m, 3 * s + m, 4 * s + m, 5 * s + m, 6 * s + m,
                                          7 * s + m, m, s + m, 2 * s + m, 3 * s + m, 4 * s + m, 5 * s + m,
                                          6 * s + m, 7 * s + m);
    const __m512i a = _mm512_permutex2var_epi32(a512_load(g0 + off), idx, a512_load(g0 + off + 64));
    const __m512i b = _mm512_permutex2var_epi32(a512_load(g1 + off), idx, a512_load(g1 + off + 64));
    return _mm512_mask_blend_epi32(0xff00, a, b);
}

/* Byte r (0..3) of every dword, zero-extended. */
static inline __m512i byte_u(__m512i v, int r) {
    return _mm512_and_si512(_mm512_srli_epi32(v, 8 * r), _mm512_set1_epi32(0xff));
}

/* The int32 broadcast of the 4 bytes at p. */
static inline __m512i bcast4(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* (lo, hi) as the two int16 halves of a dword, broadcast. */
static inline __m512i bcast_pair16(int32_t lo, int32_t hi) {
    return _mm512_set1_epi32((int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xffff)));
}

/* ---- Q4_K, Q5_K ---- */

/* The 6-bit scales sc[0..7] as int32 lanes, and the mins as int16 pairs
 * (mn[2k], mn[2k+1]) per dword for madd with the bsum pairs. */
A512_ALWAYS_INLINE void k45_scales(const uint8_t *g0, const uint8_t *g1, __m512i sc[8], __m512i mnp[4]) {
    const __m512i a = field_dwords(g0, g1, LC_Q4_KX8_SCALES, 12, 0);
    const __m512i b = field_dwords(g0, g1, LC_Q4_KX8_SCALES, 12, 1);
    const __m512i c = field_dwords(g0, g1, LC_Q4_KX8_SCALES, 12, 2);
    const __m512i m6 = _mm512_set1_epi32(0x3f3f3f3f), m4 = _mm512_set1_epi32(0x0f0f0f0f);
    const __m512i m2 = _mm512_set1_epi32(0x03030303);
    const __m512i sc_lo = _mm512_and_si512(a, m6), mn_lo = _mm512_and_si512(b, m6);
    const __m512i sc_hi =
        _mm512_or_si512(_mm512_and_si512(c, m4), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a, 6), m2), 4));
    const __m512i mn_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(c, 4), m4),
                                          _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(b, 6), m2), 4));
    for (int r = 0; r < 4; r++) {
        sc[r] = byte_u(sc_lo, r);
        sc[4 + r] = byte_u(sc_hi, r);
    }
    for (int h = 0; h < 2; h++) {
        const __m512i mn = h ? mn_hi : mn_lo;
        mnp[2 * h] = _mm512_or_si512(byte_u(mn, 0), _mm512_slli_epi32(byte_u(mn, 1), 16));
        mnp[2 * h + 1] = _mm512_or_si512(byte_u(mn, 2), _mm512_slli_epi32(byte_u(mn, 3), 16));
    }
}

A512_ALWAYS_INLINE void k45x16(bool FIVE, const uint8_t *x0, const uint8_t *x1, int64_t nb,
                               const lc_block_q8_K *const *y, int T, __m512 *acc, bool stream) {
    const size_t bytes = FIVE ? LC_Q5_KX8_BYTES : LC_Q4_KX8_BYTES, qs = FIVE ? LC_Q5_KX8_QS : LC_Q4_KX8_QS;
    const __m512i m4 = _mm512_set1_epi8(0x0f), one = _mm512_set1_epi8(1);
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *g0 = x0 + (size_t)i * bytes, *g1 = x1 + (size_t)i * bytes;
        if (stream) { /* one token streams the matrix: two super-blocks ahead, across pages */
            a512_prefetch_outer((uintptr_t)g0 + 2 * bytes, bytes);
            a512_prefetch_outer((uintptr_t)g1 + 2 * bytes, bytes);
        }
        __m512i sc[8], mnp[4], isum[KT_MAX];
        k45_scales(g0, g1, sc, mnp);
        for (int t = 0; t < T; t++) isum[t] = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
            __m512i pl[KT_MAX], ph[KT_MAX];
            for (int t = 0; t < T; t++) pl[t] = ph[t] = _mm512_setzero_si512();
            for (int k = 0; k < 8; k++) {
                const __m512i q = a512_load_pair(g0, g1, qs + 256 * (size_t)c + 32 * (size_t)k);
                __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
                if (FIVE) { /* the fifth bit: bit 2c (lo) or 2c + 1 (hi) of the qh column */
                    const __m512i h = a512_load_pair(g0, g1, LC_Q5_KX8_QH + 32 * (size_t)k);
                    lo = _mm512_or_si512(lo, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 2 * c), one), 4));
                    hi = _mm512_or_si512(hi,
                                         _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 2 * c + 1), one), 4));
                }
                for (int t = 0; t < T; t++) {
                    pl[t] = _mm512_dpbusd_epi32(pl[t], lo, bcast4(y[t][i].qs + 64 * c + 4 * k));
                    ph[t] = _mm512_dpbusd_epi32(ph[t], hi, bcast4(y[t][i].qs + 64 * c + 32 + 4 * k));
                }
            }
            for (int t = 0; t < T; t++)
                isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(pl[t], sc[2 * c]),
                                                                     _mm512_mullo_epi32(ph[t], sc[2 * c + 1])));
        }
        const __m512 d = a512_halves_pair(g0, g1), dmin = a512_halves_pair(g0 + 16, g1 + 16);
        for (int t = 0; t < T; t++) {
            const int16_t *bs = y[t][i].bsums;
            __m512i m = _mm512_setzero_si512();
            for (int k = 0; k < 4; k++) { /* (P(2k), P(2k+1)), P(j) = bsums[2j] + bsums[2j+1] */
                const int32_t p0 = bs[4 * k] + bs[4 * k + 1], p1 = bs[4 * k + 2] + bs[4 * k + 3];
                m = _mm512_add_epi32(m, _mm512_madd_epi16(mnp[k], bcast_pair16(p0, p1)));
            }
            const __m512 yd = _mm512_set1_ps(y[t][i].d);
            __m512 term = _mm512_mul_ps(_mm512_mul_ps(d, yd), _mm512_cvtepi32_ps(isum[t]));
            term = _mm512_sub_ps(term, _mm512_mul_ps(_mm512_mul_ps(dmin, yd), _mm512_cvtepi32_ps(m)));
            acc[t] = _mm512_add_ps(acc[t], term);
        }
    }
}

/* ---- Q6_K ---- */

/* The 16 int8 scales: sc[m] as int32 lanes, and (sc[2k], sc[2k+1]) as
 * int16 pairs per dword. */
A512_ALWAYS_INLINE void q6k_scales(const uint8_t *g0, const uint8_t *g1, __m512i sc[16], __m512i scp[8]) {
    for (int q = 0; q < 4; q++) {
        const __m512i v = field_dwords(g0, g1, LC_Q6_KX8_SCALES, 16, q);
        for (int r = 0; r < 4; r++) sc[4 * q + r] = _mm512_srai_epi32(_mm512_slli_epi32(v, 24 - 8 * r), 24);
        const __m512i even = _mm512_srai_epi16(_mm512_slli_epi16(v, 8), 8), odd = _mm512_srai_epi16(v, 8);
        const __m512i lo16 = _mm512_set1_epi32(0xffff);
        scp[2 * q] = _mm512_or_si512(_mm512_and_si512(even, lo16), _mm512_slli_epi32(odd, 16));
        scp[2 * q + 1] = _mm512_or_si512(_mm512_srli_epi32(even, 16), _mm512_andnot_si512(lo16, odd));
    }
}

A512_ALWAYS_INLINE void q6kx16(const uint8_t *x0, const uint8_t *x1, int64_t nb, const lc_block_q8_K *const *y,
                               int T, __m512 *acc, bool stream) {
    const size_t bytes = LC_Q6_KX8_BYTES;
    const __m512i m4 = _mm512_set1_epi8(0x0f), m2hi = _mm512_set1_epi8(0x30);
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *g0 = x0 + (size_t)i * bytes, *g1 = x1 + (size_t)i * bytes;
        if (stream) {
            a512_prefetch_outer((uintptr_t)g0 + 2 * bytes, bytes);
            a512_prefetch_outer((uintptr_t)g1 + 2 * bytes, bytes);
        }
        __m512i sc[16], scp[8], isum[KT_MAX];
        q6k_scales(g0, g1, sc, scp);
        for (int t = 0; t < T; t++) isum[t] = _mm512_setzero_si512();
        for (int h = 0; h < 2; h++) {
            /* s[q][half][t]: codes of quarter q (elements 128h + 32q ..+31),
             * dwords 0..3 (sub-block 8h + 2q) or 4..7 (8h + 2q + 1) */
            __m512i s[4][2][KT_MAX];
            for (int q = 0; q < 4; q++)
                for (int u = 0; u < 2; u++)
                    for (int t = 0; t < T; t++) s[q][u][t] = _mm512_setzero_si512();
            for (int k = 0; k < 8; k++) {
                const __m512i l0 = a512_load_pair(g0, g1, LC_Q6_KX8_QL + 32 * (size_t)(16 * h + k));
                const __m512i l1 = a512_load_pair(g0, g1, LC_Q6_KX8_QL + 32 * (size_t)(16 * h + 8 + k));
                const __m512i qh = a512_load_pair(g0, g1, LC_Q6_KX8_QH + 32 * (size_t)(8 * h + k));
                __m512i c[4];
                c[0] = _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_and_si512(_mm512_slli_epi16(qh, 4), m2hi));
                c[1] = _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_and_si512(_mm512_slli_epi16(qh, 2), m2hi));
                c[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(qh, m2hi));
                c[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4),
                                       _mm512_and_si512(_mm512_srli_epi16(qh, 2), m2hi));
                for (int q = 0; q < 4; q++)
                    for (int t = 0; t < T; t++)
                        s[q][k / 4][t] =
                            _mm512_dpbusd_epi32(s[q][k / 4][t], c[q], bcast4(y[t][i].qs + 128 * h + 32 * q + 4 * k));
            }
            for (int q = 0; q < 4; q++)
                for (int u = 0; u < 2; u++)
                    for (int t = 0; t < T; t++)
                        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s[q][u][t], sc[8 * h + 2 * q + u]));
        }
        const __m512 d = a512_halves_pair(g0, g1);
        for (int t = 0; t < T; t++) {
            const int16_t *bs = y[t][i].bsums;
            __m512i off = _mm512_setzero_si512(); /* sum_m sc[m] * bsum[m], taken 32 times */
            for (int k = 0; k < 8; k++) off = _mm512_add_epi32(off, _mm512_madd_epi16(scp[k], bcast_pair16(bs[2 * k], bs[2 * k + 1])));
            const __m512i is = _mm512_sub_epi32(isum[t], _mm512_slli_epi32(off, 5));
            const __m512 yd = _mm512_set1_ps(y[t][i].d);
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_mul_ps(d, yd), _mm512_cvtepi32_ps(is)));
        }
    }
}

typedef void (*kx16_fn)(const uint8_t *x0, const uint8_t *x1, int64_t nb, const lc_block_q8_K *const *y, int T,
                        __m512 *acc, bool stream);

A512_ALWAYS_INLINE void q4kx16(const uint8_t *x0, const uint8_t *x1, int64_t nb, const lc_block_q8_K *const *y, int T,
                               __m512 *acc, bool stream) {
    k45x16(false, x0, x1, nb, y, T, acc, stream);
}

A512_ALWAYS_INLINE void q5kx16(const uint8_t *x0, const uint8_t *x1, int64_t nb, const lc_block_q8_K *const *y, int T,
                               __m512 *acc, bool stream) {
    k45x16(true, x0, x1, nb, y, T, acc, stream);
}

/* n_tok <= KT_MAX tokens against every pair of groups, whole rows at a
 * time (the running sums stay in registers). */
A512_ALWAYS_INLINE void few_tokens(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                   const void *y, size_t y_stride, float *out, size_t out_stride, kx16_fn rows) {
    const int64_t nb = n / LC_QK_K;
    const int T = (int)n_tok;
    const lc_block_q8_K *yt[KT_MAX];
    for (int t = 0; t < T; t++) yt[t] = (const lc_block_q8_K *)((const uint8_t *)y + (size_t)t * y_stride);
    const int64_t groups = n_rows / 8, half = (groups + 1) / 2; /* group g pairs with g + half */
    for (int64_t g = 0; g < half; g++) {
        const int64_t r0 = 8 * g, r1 = 8 * (g + half);
        const bool pair = g + half < groups;
        const uint8_t *x0 = (const uint8_t *)x + (size_t)r0 * x_stride;
        const uint8_t *x1 = pair ? (const uint8_t *)x + (size_t)r1 * x_stride : x0;
        __m512 acc[KT_MAX];
        for (int t = 0; t < KT_MAX; t++) acc[t] = _mm512_setzero_ps();
        switch (T) { /* constant T: the token loops unroll */
        case 4: rows(x0, x1, nb, yt, 4, acc, false); break;
        case 3: rows(x0, x1, nb, yt, 3, acc, false); break;
        case 2: rows(x0, x1, nb, yt, 2, acc, false); break;
        default: rows(x0, x1, nb, yt, 1, acc, true); break;
        }
        for (int t = 0; t < T; t++) {
            float *o = &out[(size_t)t * out_stride];
            _mm256_storeu_ps(o + r0, _mm512_castps512_ps256(acc[t]));
            if (pair) _mm256_storeu_ps(o + r1, high256(acc[t]));
        }
    }
}

/* Most tokens these passes take; from one more the AVX2 32-row gemm takes
 * over. tests/bench_packed, one core of a loaded Zen 4, medians of three
 * runs: AVX-512 / AVX2 at 1, 2, 4 tokens about 1.35-1.7x, 1.1-1.5x,
 * 1.2-1.6x (Q4_K, Q5_K) and 1.05-1.25x, 1.6x, 1.05x (Q6_K). */
#define Q45K_MAX_TOK 4
#define Q6K_MAX_TOK 4

void lc_gemm_q4_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok > Q45K_MAX_TOK) lc_gemm_q4_Kx8_q8_K_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else few_tokens(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride, q4kx16);
}

void lc_gemm_q5_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok > Q45K_MAX_TOK) lc_gemm_q5_Kx8_q8_K_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else few_tokens(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride, q5kx16);
}

void lc_gemm_q6_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok > Q6K_MAX_TOK) lc_gemm_q6_Kx8_q8_K_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else few_tokens(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride, q6kx16);
}
