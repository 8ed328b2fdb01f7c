/* AVX2 dot products (vec_dot) and batched dot products (gemm) of the
 * 32-element block encodings Q5_0, Q4_1, Q5_1 and IQ4_NL with their Q8_0 /
 * Q8_1 activations (Q4_0 and Q8_0: avx2_q4_0_q8_0.c).
 *
 * Per block, the 32 weight codes become one register of bytes, multiplied
 * with the 32 activation quants by maddubs + madd into eight int32 lanes
 * (lane j = exact sum of elements 4j..4j+3; integer sums are exact, as in
 * the reference). The float part is fixed, and is the only place results
 * differ from the scalar reference: with s_b the lanes of block b as
 * floats and d_b = dx_b * dy_b,
 *     blocks in pairs (b, b+1):  acc += fma(d_b+1, s_b+1, d_b * s_b)
 *     an odd last block:         acc  = fma(d_b, s_b, acc)
 * then the fixed-tree horizontal sum of acc (Q4_1/Q5_1 then add their
 * minimum terms, summed in block order). Pairing halves the length of the
 * dependent chain of adds, which bounded the single-row speed.
 *
 * vec_dot and gemm are one tile function run for 1 or up to Q_TOK_MAX tokens
 * against one weight row, so gemm is bit-identical to vec_dot by
 * construction; it is faster because each weight block is unpacked once
 * for all the tile's tokens. */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

#define Q_TOK_MAX 4

/* One weight block as maddubs operands: `u` is the unsigned side; for
 * signed codes u = |q| and `sgn` = q, whose sign moves onto the activation
 * bytes. */
typedef struct wblock {
    __m256i u, sgn;
} wblock;

AVX2_ALWAYS_INLINE wblock signed_codes(__m256i q) {
    const wblock w = {_mm256_sign_epi8(q, q), q};
    return w;
}

AVX2_ALWAYS_INLINE wblock unsigned_codes(__m256i q) {
    const wblock w = {q, q};
    return w;
}

AVX2_ALWAYS_INLINE __m256i lanes_signed(wblock w, __m256i y) {
    return avx2_dot_u8s8(w.u, _mm256_sign_epi8(y, w.sgn));
}

AVX2_ALWAYS_INLINE __m256i lanes_unsigned(wblock w, __m256i y) { return avx2_dot_u8s8(w.u, y); }

/* Most blocks per row whose activation scales gemm converts up front (on
 * the stack: Q_TOK_MAX * 4 bytes each, 16 KB). Longer rows (n > 32768) take
 * the vec_dot way of converting them, which gives the same floats. */
#define DYF_MAX_BLOCKS 1024

/* What varies between the formats, passed as compile-time constants to
 * the always-inline bodies below: the weight block's size and unpacking
 * (PREP: block -> wblock; every format's fp16 d comes first), how its codes
 * meet the activation bytes (LANES), the activation block's size and the
 * offset of its quants (Q8_0 or Q8_1; d comes first in both), and whether
 * the format has minimum terms (Q4_1/Q5_1: the fp16 m right after d, met by
 * Q8_1's s). */
typedef wblock (*q_prep_fn)(const void *block);
_Static_assert(offsetof(lc_block_q5_0, d) == 0 && offsetof(lc_block_iq4_nl, d) == 0 && offsetof(lc_block_q4_1, m) == 2 &&
                   offsetof(lc_block_q5_1, m) == 2 && offsetof(lc_block_q8_0, d) == 0 && offsetof(lc_block_q8_1, d) == 0,
               "q_tile reads d (and m) at these offsets");
_Static_assert(LC_QK8_0 == 32 && LC_QK8_1 == 32, "one block size for every format here");
typedef __m256i (*q_lanes_fn)(wblock w, __m256i y);

AVX2_ALWAYS_INLINE uint16_t half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return h;
}

/* The tile: acc[t] += row x (nb blocks) . activation row y[t], t < T, in
 * the order stated at the top. Four blocks at a time share one conversion
 * of their scales; the pairs inside are the same as in the leftover loop.
 * Token t's row starts at y0 + t * ys. `dyf` (gemm) holds every activation
 * block scale as float (token t at t * DYF_MAX_BLOCKS), converted once per
 * call; NULL (vec_dot) converts them here. The products dx * dy are the
 * same floats either way. */
AVX2_ALWAYS_INLINE void q_tile(q_prep_fn prep, q_lanes_fn lanes, size_t xsz, size_t ysz, size_t yqs, int64_t nb,
                               const void *vx, const uint8_t *y0, size_t ys, const float *dyf, int T, __m256 *acc) {
    const uint8_t *x = vx;
    const uint8_t *y[Q_TOK_MAX];
    for (int t = 0; t < T; t++) y[t] = y0 + (size_t)t * ys;
#define XB(i) (x + (size_t)(i) * xsz)
#define YB(t, i) (y[t] + (size_t)(i) * ysz)
    int64_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        /* the scales go through memory: broadcasting from there costs a
         * load, not a shuffle on the busy vector pipes */
        const __m128 dx4 = avx2_half4(XB(i), xsz);
        float d4[Q_TOK_MAX][4];
        for (int t = 0; t < T; t++) {
            const __m128 dy4 = dyf ? _mm_loadu_ps(dyf + t * DYF_MAX_BLOCKS + i) : avx2_half4(YB(t, i), ysz);
            _mm_storeu_ps(d4[t], _mm_mul_ps(dx4, dy4));
        }
        for (int h = 0; h < 4; h += 2) {
            const wblock w0 = prep(XB(i + h)), w1 = prep(XB(i + h + 1));
            for (int t = 0; t < T; t++) {
                const __m256 s0 = _mm256_cvtepi32_ps(lanes(w0, avx2_loadu(YB(t, i + h) + yqs)));
                const __m256 s1 = _mm256_cvtepi32_ps(lanes(w1, avx2_loadu(YB(t, i + h + 1) + yqs)));
                const __m256 p0 = _mm256_mul_ps(_mm256_broadcast_ss(&d4[t][h]), s0);
                acc[t] = _mm256_add_ps(acc[t], _mm256_fmadd_ps(_mm256_broadcast_ss(&d4[t][h + 1]), s1, p0));
            }
        }
    }
    for (; i + 2 <= nb; i += 2) {
        const wblock w0 = prep(XB(i)), w1 = prep(XB(i + 1));
        const float dx0 = avx2_fp16(half_at(XB(i))), dx1 = avx2_fp16(half_at(XB(i + 1)));
        for (int t = 0; t < T; t++) {
            const __m256 s0 = _mm256_cvtepi32_ps(lanes(w0, avx2_loadu(YB(t, i) + yqs)));
            const __m256 s1 = _mm256_cvtepi32_ps(lanes(w1, avx2_loadu(YB(t, i + 1) + yqs)));
            const __m256 p0 = _mm256_mul_ps(_mm256_set1_ps(dx0 * avx2_fp16(half_at(YB(t, i)))), s0);
            const __m256 d1 = _mm256_set1_ps(dx1 * avx2_fp16(half_at(YB(t, i + 1))));
            acc[t] = _mm256_add_ps(acc[t], _mm256_fmadd_ps(d1, s1, p0));
        }
    }
    if (i < nb) {
        const wblock w = prep(XB(i));
        const float dx = avx2_fp16(half_at(XB(i)));
        for (int t = 0; t < T; t++) {
            const __m256 s0 = _mm256_cvtepi32_ps(lanes(w, avx2_loadu(YB(t, i) + yqs)));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * avx2_fp16(half_at(YB(t, i)))), s0, acc[t]);
        }
    }
#undef XB
#undef YB
}

/* Q4_1/Q5_1: the weight minimum m meets Q8_1's precomputed d * sum(quants)
 * s; those terms are summed separately, in block order, and added last.
 * Without minimum terms 0 is added, as a float: the same steps either way. */
static inline float post_terms(bool has_min, const void *vx, size_t xsz, const void *vy, int64_t nb) {
    if (!has_min) return 0.f;
    const uint8_t *p = (const uint8_t *)vx + 2; /* m follows d */
    const lc_block_q8_1 *y = vy;
    float summ = 0.f;
    for (int64_t i = 0; i < nb; i++) summ += avx2_fp16(half_at(p + (size_t)i * xsz)) * avx2_fp16(y[i].s);
    return summ;
}

/* A format's constants, in q_tile's and post_terms' order. */
#define Q_FORMAT(PREP, LANES, XT, YT, MIN) PREP, LANES, sizeof(XT), sizeof(YT), offsetof(YT, qs), MIN

AVX2_ALWAYS_INLINE void q_vec_dot(q_prep_fn prep, q_lanes_fn lanes, size_t xsz, size_t ysz, size_t yqs, bool has_min,
                                  int64_t n, float *s, const void *vx, const void *vy) {
    __m256 acc[1] = {_mm256_setzero_ps()};
    const int64_t nb = n / LC_QK8_0;
    q_tile(prep, lanes, xsz, ysz, yqs, nb, vx, vy, 0, NULL, 1, acc);
    *s = avx2_hsum_ps(acc[0]) + post_terms(has_min, vx, xsz, vy, nb);
}

/* gemm walks the tokens in groups of Q_TOK_MAX, and for each group every
 * row. */
AVX2_ALWAYS_INLINE void q_gemm(q_prep_fn prep, q_lanes_fn lanes, size_t xsz, size_t ysz, size_t yqs, bool has_min,
                               int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                               size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    const int64_t nb = n / LC_QK8_0;
    float dy_buf[Q_TOK_MAX * DYF_MAX_BLOCKS];
    for (int64_t t0 = 0; t0 < n_tok; t0 += Q_TOK_MAX) {
        const int T = (int)LC_MIN((int64_t)Q_TOK_MAX, n_tok - t0);
        const uint8_t *y0 = (const uint8_t *)y + (size_t)t0 * y_stride;
        const float *dyf = nb <= DYF_MAX_BLOCKS ? dy_buf : NULL;
        for (int t = 0; t < T && dyf; t++) {
            const uint8_t *yt = y0 + (size_t)t * y_stride;
            for (int64_t b = 0; b < nb; b++) dy_buf[t * DYF_MAX_BLOCKS + b] = avx2_fp16(half_at(yt + (size_t)b * ysz));
        }
        for (int64_t r = 0; r < n_rows; r++) {
            const uint8_t *xr = (const uint8_t *)x + (size_t)r * x_stride;
            __m256 acc[Q_TOK_MAX];
            for (int t = 0; t < Q_TOK_MAX; t++) acc[t] = _mm256_setzero_ps();
            switch (T) { /* constant T: the tile's token loops unroll */
            case 4: q_tile(prep, lanes, xsz, ysz, yqs, nb, xr, y0, y_stride, dyf, 4, acc); break;
            case 3: q_tile(prep, lanes, xsz, ysz, yqs, nb, xr, y0, y_stride, dyf, 3, acc); break;
            case 2: q_tile(prep, lanes, xsz, ysz, yqs, nb, xr, y0, y_stride, dyf, 2, acc); break;
            default: q_tile(prep, lanes, xsz, ysz, yqs, nb, xr, y0, y_stride, dyf, 1, acc); break;
            }
            for (int t = 0; t < T; t++)
                out[(size_t)(t0 + t) * out_stride + (size_t)r] =
                    avx2_hsum_ps(acc[t]) + post_terms(has_min, xr, xsz, y0 + (size_t)t * y_stride, nb);
        }
    }
}

/* The two entry points of a format, instantiated from the bodies above. */
#define DEFINE_DOTS(VEC_DOT, GEMM, FORMAT)                                                              \
    void VEC_DOT(int64_t n, float *s, const void *vx, const void *vy) { q_vec_dot(FORMAT, n, s, vx, vy); } \
    void GEMM(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,  \
              size_t y_stride, float *out, size_t out_stride) {                                         \
        q_gemm(FORMAT, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);                    \
    }

/* ---- Q5_0: code - 16 is the nibble when the fifth bit is set, and the
 * nibble with 0xf0 or-ed in (nibble - 16 as int8) when it is not ---- */
AVX2_ALWAYS_INLINE wblock prep_q5_0(const void *vb) {
    const lc_block_q5_0 *b = vb;
    const __m256i fifth = avx2_bits_to_bytes(b->qh);
    return signed_codes(
        _mm256_or_si256(avx2_nibbles_lo_hi(b->qs), _mm256_andnot_si256(fifth, _mm256_set1_epi8((char)0xf0))));
}
DEFINE_DOTS(lc_vec_dot_q5_0_q8_0_avx2, lc_gemm_q5_0_q8_0_avx2,
            Q_FORMAT(prep_q5_0, lanes_signed, lc_block_q5_0, lc_block_q8_0, false))

/* ---- IQ4_NL: a byte shuffle looks the 16 levels up by code ---- */
AVX2_ALWAYS_INLINE wblock prep_iq4_nl(const void *vb) {
    const lc_block_iq4_nl *b = vb;
    const __m256i levels = _mm256_broadcastsi128_si256(avx2_loadu128(lc_iq4nl_values));
    return signed_codes(_mm256_shuffle_epi8(levels, avx2_nibbles_lo_hi(b->qs)));
}
DEFINE_DOTS(lc_vec_dot_iq4_nl_q8_0_avx2, lc_gemm_iq4_nl_q8_0_avx2,
            Q_FORMAT(prep_iq4_nl, lanes_signed, lc_block_iq4_nl, lc_block_q8_0, false))

/* ---- Q4_1 / Q5_1: unsigned codes, plus the minimum terms ---- */
AVX2_ALWAYS_INLINE wblock prep_q4_1(const void *vb) {
    const lc_block_q4_1 *b = vb;
    return unsigned_codes(avx2_nibbles_lo_hi(b->qs));
}
DEFINE_DOTS(lc_vec_dot_q4_1_q8_1_avx2, lc_gemm_q4_1_q8_1_avx2,
            Q_FORMAT(prep_q4_1, lanes_unsigned, lc_block_q4_1, lc_block_q8_1, true))

AVX2_ALWAYS_INLINE wblock prep_q5_1(const void *vb) {
    const lc_block_q5_1 *b = vb;
    const __m256i fifth = _mm256_and_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
    return unsigned_codes(_mm256_or_si256(avx2_nibbles_lo_hi(b->qs), fifth));
}
DEFINE_DOTS(lc_vec_dot_q5_1_q8_1_avx2, lc_gemm_q5_1_q8_1_avx2,
            Q_FORMAT(prep_q5_1, lanes_unsigned, lc_block_q5_1, lc_block_q8_1, true))
