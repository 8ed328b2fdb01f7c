/* AVX2 dot products (vec_dot) and batched dot products (gemm) of the
 * K-quant super-blocks (and IQ4_XS) with Q8_K activations.
 *
 * Per super-block, 32 codes at a time are multiplied with the activation
 * quants by maddubs (int16 pair sums), then by madd with the sub-block
 * scales into eight int32 lanes; their total is the super-block's exact
 * integer dot product isum, as in the reference. Signed code offsets
 * (Q3_K's -4, Q6_K's -32) and the Q2/Q4/Q5_K minimum sums imin are taken
 * from Q8_K's bsums instead of being applied to every code. The float part
 * is the reference's own, super-blocks in order, nothing fused:
 *     sum = sum + ((d * yd) * isum - (dmin * yd) * imin)   (Q2/Q4/Q5_K)
 *     sum = sum + (d * yd) * isum                          (Q3/Q6_K, IQ4_XS)
 * so results are the reference's bits (while the reference itself is
 * compiled without fusing a * b + c, as the default builds are).
 *
 * vec_dot and gemm run one tile function (one weight row against 1 or up
 * to K_TOK_MAX tokens): each weight super-block is unpacked (codes, scales)
 * once for all the tile's tokens, and the tokens' integer totals are
 * gathered into the lanes of one register, where the float steps run for
 * all tokens at once. The Q4_K, Q5_K and Q6_K gemm (most of a Q4_K_M or
 * Q5_K_M model's prompt) instead put eight weight rows in the lanes when there are
 * several tokens, which halves the multiplies per code (see there). */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

/* Most tokens one tile (or packed group) call takes. */
#define K_TOK_MAX 4

static inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __m256i mask8(int m) { return _mm256_set1_epi8((char)m); }

/* Lane t = the total of the 8 int32 lanes of v[t], for t < T (other lanes
 * 0): a tree of horizontal adds, exact. */
AVX2_ALWAYS_INLINE __m128i totals(const __m256i *v, int T) {
    if (T == 1) { /* lane 0 only; stays in vector registers */
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v[0]), _mm256_extracti128_si256(v[0], 1));
        t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
        return _mm_add_epi32(t, _mm_shuffle_epi32(t, 1));
    }
    const __m256i z = _mm256_setzero_si256();
    const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]);
    const __m256i h23 = _mm256_hadd_epi32(T > 2 ? v[2] : z, T > 3 ? v[3] : z);
    const __m256i g = _mm256_hadd_epi32(h01, h23);
    return _mm_add_epi32(_mm256_castsi256_si128(g), _mm256_extracti128_si256(g, 1));
}

/* The activation scales of super-block i, lane t = token t. */
AVX2_ALWAYS_INLINE __m128 act_scales(const lc_block_q8_K *const *y, int64_t i, int T) {
    if (T == 1) return _mm_load_ss(&y[0][i].d);
    float yd[4] = {0.f, 0.f, 0.f, 0.f};
    for (int t = 0; t < T; t++) yd[t] = y[t][i].d;
    return _mm_loadu_ps(yd);
}

/* sum += (d * yd) * isum, lanes = tokens. */
AVX2_ALWAYS_INLINE void finish_scale(__m128 *acc, int T, const lc_block_q8_K *const *y, int64_t i, float d,
                                     const __m256i *lanes) {
    const __m128 dd = _mm_mul_ps(_mm_set1_ps(d), act_scales(y, i, T));
    *acc = _mm_add_ps(*acc, _mm_mul_ps(dd, _mm_cvtepi32_ps(totals(lanes, T))));
}

/* int16 broadcast of scale j from a register holding 8 int16 scales in
 * each 128-bit half: a byte shuffle, so no trip through integer registers. */
static inline __m256i scale_j(__m256i sc16, int j) {
    return _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)((2 * j + 1) << 8 | 2 * j)));
}

/* int16 scale vector for 32 codes spanning two 16-element sub-blocks 2g and
 * 2g+1 of a 16-scale block: lanes 0..7 sc[2g], lanes 8..15 sc[2g+1]. */
static inline __m256i pair_scales(__m128i sc8, int g) {
    const int64_t lo = (int64_t)(0x0101010101010101ull * (uint64_t)(2 * g));
    const __m128i pick = _mm_set_epi64x(lo + 0x0101010101010101ll, lo);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, pick));
}

/* Codes of element e = 128h + 32k + l are bits 2k..2k+1 of qs[32h + l]
 * (Q2_K values, Q3_K low bits). */
static inline __m256i two_bits(__m256i qs_half, int k) {
    return _mm256_and_si256(_mm256_srli_epi16(qs_half, 2 * k), mask8(3));
}

/* fp16 d and dmin, adjacent at p (Q2_K, Q4_K, Q5_K), converted together. */
static inline __m128 d_dmin(const void *p) {
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)w));
}

/* sum += (d * yd) * isum - (dmin * yd) * imin, lanes = tokens; the minimum
 * sums come from the bsums against the mins (mn[j] in int16 lanes 2j and
 * 2j+1 of mn16). */
AVX2_ALWAYS_INLINE void finish_minscale(__m128 *acc, int T, const lc_block_q8_K *const *y, int64_t i, __m128 dm,
                                        const __m256i *sumi, __m256i mn16) {
    __m256i mins[K_TOK_MAX];
    for (int t = 0; t < T; t++) mins[t] = _mm256_madd_epi16(avx2_loadu(y[t][i].bsums), mn16);
    const __m128 yd = act_scales(y, i, T);
    const __m128 dd = _mm_mul_ps(_mm_set1_ps(_mm_cvtss_f32(dm)), yd);
    const __m128 dmin = _mm_mul_ps(_mm_set1_ps(_mm_cvtss_f32(_mm_movehdup_ps(dm))), yd);
    const __m128 t = _mm_sub_ps(_mm_mul_ps(dd, _mm_cvtepi32_ps(totals(sumi, T))),
                                _mm_mul_ps(dmin, _mm_cvtepi32_ps(totals(mins, T))));
    *acc = _mm_add_ps(*acc, t);
}

/* Signature of every tile: lane t of *acc += row x (nb super-blocks) .
 * token t's Q8_K row at y0 + t * ys, t < T. */
#define TILE_ARGS int64_t nb, const void *vx, const uint8_t *y0, size_t ys, int T, __m128 *acc
#define TILE_SETUP(XT)                                                                                \
    const XT *x = vx;                                                                                 \
    const lc_block_q8_K *y[K_TOK_MAX];                                                                    \
    for (int t = 0; t < T; t++) y[t] = (const lc_block_q8_K *)(y0 + (size_t)t * ys);

/* ---- Q2_K: x = d sc q - dmin mn, q in 0..3, 16-element sub-blocks ---- */
AVX2_ALWAYS_INLINE void tile_q2_K(TILE_ARGS) {
    TILE_SETUP(lc_block_q2_K)
    for (int64_t i = 0; i < nb; i++) {
        const __m128i packed = avx2_loadu128(x[i].scales);
        const __m128i sc8 = _mm_and_si128(packed, _mm_set1_epi8(15));
        const __m256i mn16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(15)));
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i qs = avx2_loadu(x[i].qs + 32 * h);
            for (int k = 0; k < 4; k++) {
                const __m256i q = two_bits(qs, k), sc = pair_scales(sc8, 4 * h + k);
                for (int t = 0; t < T; t++) {
                    const __m256i p = _mm256_maddubs_epi16(q, avx2_loadu(y[t][i].qs + 128 * h + 32 * k));
                    sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p, sc));
                }
            }
        }
        finish_minscale(acc, T, y, i, d_dmin(&x[i].d), sumi, mn16);
    }
}

/* ---- Q3_K: x = d (sc - 32) q, q = low2 + 4 hbit - 4 ---- */

/* The sixteen 6-bit scales minus 32 (byte map in blocks.h): four scales per
 * 32-bit word, low nibbles from bytes 0..7, high pairs from bytes 8..11. */
static inline __m128i q3_K_scales(const uint8_t p[12]) {
    const uint32_t a = load_u32(p), b = load_u32(p + 4), c = load_u32(p + 8);
    const uint32_t m4 = 0x0f0f0f0f, m2 = 0x03030303;
    const uint32_t w0 = (a & m4) | (c & m2) << 4;
    const uint32_t w1 = (b & m4) | (c >> 2 & m2) << 4;
    const uint32_t w2 = (a >> 4 & m4) | (c >> 4 & m2) << 4;
    const uint32_t w3 = (b >> 4 & m4) | (c >> 6 & m2) << 4;
    return _mm_sub_epi8(_mm_set_epi32((int)w3, (int)w2, (int)w1, (int)w0), _mm_set1_epi8(32));
}

/* Q3_K and Q6_K: 16-element sub-blocks with int8 scales sc8. Elements
 * 128h + 32k .. +31 (sub-blocks 8h + 2k and 8h + 2k + 1), codes q taken
 * unsigned, against every token. */
AVX2_ALWAYS_INLINE void k16_pair(__m256i *sumi, int T, const lc_block_q8_K *const *y, int64_t i, int h, int k,
                                 __m256i q, __m128i sc8) {
    const __m256i sc = pair_scales(sc8, 4 * h + k);
    for (int t = 0; t < T; t++) {
        const __m256i p = _mm256_maddubs_epi16(q, avx2_loadu(y[t][i].qs + 128 * h + 32 * k));
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p, sc));
    }
}

/* The codes were q + 2^shift (Q3_K 4, Q6_K 32):
 * sum sc (q_u - 2^shift) y = sum sc q_u y - 2^shift sum sc bsum. */
AVX2_ALWAYS_INLINE void k16_offset(__m256i *sumi, int T, const lc_block_q8_K *const *y, int64_t i, __m128i sc8,
                                   int shift) {
    const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
    for (int t = 0; t < T; t++) {
        const __m256i offs = _mm256_madd_epi16(avx2_loadu(y[t][i].bsums), sc16);
        sumi[t] = _mm256_sub_epi32(sumi[t], _mm256_slli_epi32(offs, shift));
    }
}

AVX2_ALWAYS_INLINE void tile_q3_K(TILE_ARGS) {
    TILE_SETUP(lc_block_q3_K)
    for (int64_t i = 0; i < nb; i++) {
        const __m128i sc8 = q3_K_scales(x[i].scales);
        const __m256i hmask = avx2_loadu(x[i].hmask);
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i qs = avx2_loadu(x[i].qs + 32 * h);
            for (int k = 0; k < 4; k++) {
                /* element 128h + 32k + l: high bit is bit 4h + k of hmask[l] */
                const __m256i hb = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * h + k), mask8(1));
                k16_pair(sumi, T, y, i, h, k, _mm256_or_si256(two_bits(qs, k), _mm256_slli_epi16(hb, 2)), sc8);
            }
        }
        k16_offset(sumi, T, y, i, sc8, 2);
        finish_scale(acc, T, y, i, avx2_fp16(x[i].d), sumi);
    }
}

/* ---- Q4_K / Q5_K: x = d sc q - dmin mn, 32-element sub-blocks ---- */

/* The eight 6-bit scales and mins (LC_K_SCALE_SIZE in blocks.h), as bytes
 * sc[0..7] then mn[0..7]. */
static inline __m128i k_scales_mins(const uint8_t p[12]) {
    const uint32_t a = load_u32(p), b = load_u32(p + 4), c = load_u32(p + 8);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    const uint32_t sc_lo = a & m6, mn_lo = b & m6;
    const uint32_t sc_hi = (c & m4) | (a >> 6 & m2) << 4;
    const uint32_t mn_hi = (c >> 4 & m4) | (b >> 6 & m2) << 4;
    return _mm_set_epi32((int)mn_hi, (int)mn_lo, (int)sc_hi, (int)sc_lo);
}

/* int16 mins for madd with the 16 bsums: mn[j] in lanes 2j and 2j+1. */
static inline __m256i k_mins16(__m128i scmn) {
    const __m128i mn = _mm_unpackhi_epi64(scmn, scmn);
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn));
}

/* Low nibbles of chunk c are sub-block 2c, high nibbles sub-block 2c+1;
 * `fifth` (Q5_K) is or-ed in as bit 4. */
AVX2_ALWAYS_INLINE void k_chunk(__m256i *sumi, int T, const lc_block_q8_K *const *y, int64_t i, int c, __m256i lo,
                                __m256i hi, __m256i sc16) {
    const __m256i s_lo = scale_j(sc16, 2 * c), s_hi = scale_j(sc16, 2 * c + 1);
    for (int t = 0; t < T; t++) {
        const __m256i plo = _mm256_maddubs_epi16(lo, avx2_loadu(y[t][i].qs + 64 * c));
        const __m256i phi = _mm256_maddubs_epi16(hi, avx2_loadu(y[t][i].qs + 64 * c + 32));
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(_mm256_madd_epi16(plo, s_lo), _mm256_madd_epi16(phi, s_hi)));
    }
}

AVX2_ALWAYS_INLINE void tile_q4_K(TILE_ARGS) {
    TILE_SETUP(lc_block_q4_K)
    for (int64_t i = 0; i < nb; i++) {
        const __m128i scmn = k_scales_mins(x[i].scales);
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scmn));
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i qs = avx2_loadu(x[i].qs + 32 * c);
            const __m256i lo = _mm256_and_si256(qs, mask8(15));
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), mask8(15));
            k_chunk(sumi, T, y, i, c, lo, hi, sc16);
        }
        finish_minscale(acc, T, y, i, d_dmin(&x[i].d), sumi, k_mins16(scmn));
    }
}

AVX2_ALWAYS_INLINE void tile_q5_K(TILE_ARGS) {
    TILE_SETUP(lc_block_q5_K)
    for (int64_t i = 0; i < nb; i++) {
        const __m128i scmn = k_scales_mins(x[i].scales);
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scmn));
        /* bit 4 of sub-block j's element l is bit j of qh[l] */
        __m256i qh = avx2_loadu(x[i].qh);
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i qs = avx2_loadu(x[i].qs + 32 * c);
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(qh, mask8(1)), 4);
            const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), mask8(1)), 4);
            qh = _mm256_srli_epi16(qh, 2);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(qs, mask8(15)), h0);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), mask8(15)), h1);
            k_chunk(sumi, T, y, i, c, lo, hi, sc16);
        }
        finish_minscale(acc, T, y, i, d_dmin(&x[i].d), sumi, k_mins16(scmn));
    }
}

/* ---- Q6_K: x = d sc (q - 32), q in 0..63 ---- */
AVX2_ALWAYS_INLINE void tile_q6_K(TILE_ARGS) {
    TILE_SETUP(lc_block_q6_K)
    const __m256i m4 = mask8(15), m2hi = mask8(0x30);
    for (int64_t i = 0; i < nb; i++) {
        const __m128i sc8 = avx2_loadu128(x[i].scales);
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = avx2_loadu(x[i].ql + 64 * h), ql1 = avx2_loadu(x[i].ql + 64 * h + 32);
            const __m256i qh = avx2_loadu(x[i].qh + 32 * h);
            /* shifts move qh bits 2k..2k+1 to bits 4..5 of the same byte */
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2hi)),
                _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2hi)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m2hi)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2hi)),
            };
            for (int k = 0; k < 4; k++) k16_pair(sumi, T, y, i, h, k, q[k], sc8);
        }
        k16_offset(sumi, T, y, i, sc8, 5);
        finish_scale(acc, T, y, i, avx2_fp16(x[i].d), sumi);
    }
}

/* ---- IQ4_XS: x = d (ls - 32) level[c] ---- */
AVX2_ALWAYS_INLINE void tile_iq4_xs(TILE_ARGS) {
    TILE_SETUP(lc_block_iq4_xs)
    const __m256i levels = _mm256_broadcastsi128_si256(avx2_loadu128(lc_iq4nl_values));
    for (int64_t i = 0; i < nb; i++) {
        /* the eight 6-bit scales ls - 32 as int16, both halves */
        uint64_t ls = 0;
        for (int j = 0; j < 8; j++) {
            const uint64_t v = ((uint64_t)(x[i].scales_l[j / 2] >> (4 * (j % 2))) & 15) |
                               ((uint64_t)(x[i].scales_h >> (2 * j)) & 3) << 4;
            ls |= v << (8 * j);
        }
        const __m128i ls8 = _mm_sub_epi8(_mm_cvtsi64_si128((long long)ls), _mm_set1_epi8(32));
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(ls8));
        __m256i sumi[K_TOK_MAX];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            const __m256i q = _mm256_shuffle_epi8(levels, avx2_nibbles_lo_hi(x[i].qs + 16 * j));
            const __m256i aq = _mm256_sign_epi8(q, q), sc = scale_j(sc16, j);
            for (int t = 0; t < T; t++) {
                const __m256i p = _mm256_maddubs_epi16(aq, _mm256_sign_epi8(avx2_loadu(y[t][i].qs + 32 * j), q));
                sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p, sc));
            }
        }
        finish_scale(acc, T, y, i, avx2_fp16(x[i].d), sumi);
    }
}

/* ---- Q4_K / Q5_K / Q6_K gemm: eight weight rows in the lanes ----
 *
 * With one row per 32-bit lane (lane r = row r, its bytes four consecutive
 * codes), a maddubs against four broadcast activation bytes serves eight
 * rows, and each int16 lane stays within one row's sub-block, so several
 * maddubs of a sub-block are added in int16 before one madd with the rows'
 * scales; one row at a time needs a madd per maddubs. The activations are
 * the unsigned operand (quants + 128) so that the codes, the signed one,
 * are read from memory by the maddubs itself, and each broadcast serves
 * NG groups of 8 rows: the loop is bound by its instruction count, and
 * this takes 2.2 per maddubs instead of 3.3. The +128 adds 128 * sum_j
 * sc[j] * (sum of sub-block j's codes) to isum, a per-row constant taken
 * off again, so isum and imin are the same exact integers and the float
 * steps, now with lane = row, are still the reference's.
 *
 * The transposes cost about as much as the products of one token, so each
 * super-block of 8 rows is transposed once (codes, scale vectors, d) for a
 * group of TG tokens, whose activations were laid out once. Super-blocks
 * are the outer loop: the group's quants (TG * 256 bytes) stay in L1 while
 * every row passes, and the running sums wait in `out` in between (a float
 * stored and reloaded is the same float). Below MIN_TOK tokens (decode)
 * the one-row tiles are faster, as they need no transposing. */

#define KROWS 8
/* Row groups per pass: each broadcast activation dword serves NG
 * maddubs, whose weight operands come straight from memory. */
#define NG 4
#define TG 64

/* One super-block of TG tokens' activations. The quants are stored plus
 * 128 (0..255), the unsigned maddubs operand, so that the codes can be the
 * signed one, read from memory by the maddubs itself. */
typedef struct k_act {
    uint8_t q[8][TG][32]; /* token t's quants 32j..32j+31, plus 128 */
    int32_t bp[4][TG];    /* (bsums[4k] + bsums[4k+1], bsums[4k+2] + bsums[4k+3]) */
    float d[TG];
} k_act;

static void k_act_prep(const uint8_t *y0, size_t ys, int T, int64_t i, k_act *a) {
    for (int t = 0; t < T; t++) {
        const lc_block_q8_K *y = (const lc_block_q8_K *)(y0 + (size_t)t * ys) + i;
        for (int j = 0; j < 8; j++)
            _mm256_storeu_si256((__m256i *)a->q[j][t], _mm256_xor_si256(avx2_loadu(y->qs + 32 * j), mask8(0x80)));
        for (int k = 0; k < 4; k++) {
            /* each pair of 16-sums fits int16: |sum| <= 32 * 128 */
            const uint16_t lo = (uint16_t)(y->bsums[4 * k] + y->bsums[4 * k + 1]);
            const uint16_t hi = (uint16_t)(y->bsums[4 * k + 2] + y->bsums[4 * k + 3]);
            a->bp[k][t] = (int32_t)((uint32_t)lo | (uint32_t)hi << 16);
        }
        a->d[t] = y->d;
    }
}

/* r[j] = the 32 bytes at p[j] + off; returns c[i] = dword i of every row,
 * lane j = row j (rows j and j + 4 share a load, so no lane crossing). */
static inline void transpose8(const uint8_t *const *p, size_t off, __m256i c[8]) {
    for (int h = 0; h < 2; h++) {
        __m256i r[4];
        for (int j = 0; j < 4; j++)
            r[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(avx2_loadu128(p[j] + off + 16 * h)),
                                           avx2_loadu128(p[j + 4] + off + 16 * h), 1);
        const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
        const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
        c[4 * h + 0] = _mm256_unpacklo_epi64(t0, t2);
        c[4 * h + 1] = _mm256_unpackhi_epi64(t0, t2);
        c[4 * h + 2] = _mm256_unpacklo_epi64(t1, t3);
        c[4 * h + 3] = _mm256_unpackhi_epi64(t1, t3);
    }
}

/* 16-bit word k of each of 8 rows' 16 bytes r[0..7], as c[k] (word j =
 * row j). */
static inline void transpose_words(const __m128i r[8], __m128i c[8]) {
    __m128i a[8], b[8];
    for (int j = 0; j < 4; j++) {
        a[2 * j] = _mm_unpacklo_epi16(r[2 * j], r[2 * j + 1]);
        a[2 * j + 1] = _mm_unpackhi_epi16(r[2 * j], r[2 * j + 1]);
    }
    for (int j = 0; j < 2; j++) {
        b[4 * j + 0] = _mm_unpacklo_epi32(a[4 * j], a[4 * j + 2]);
        b[4 * j + 1] = _mm_unpackhi_epi32(a[4 * j], a[4 * j + 2]);
        b[4 * j + 2] = _mm_unpacklo_epi32(a[4 * j + 1], a[4 * j + 3]);
        b[4 * j + 3] = _mm_unpackhi_epi32(a[4 * j + 1], a[4 * j + 3]);
    }
    for (int k = 0; k < 4; k++) {
        c[2 * k] = _mm_unpacklo_epi64(b[k], b[4 + k]);
        c[2 * k + 1] = _mm_unpackhi_epi64(b[k], b[4 + k]);
    }
}

/* From int16 pairs (s[2k] of row r in lane 2r, s[2k+1] in lane 2r+1):
 * s[2k] (odd = 0) or s[2k+1] (odd = 1) in both lanes of row r. */
static inline __m256i dup_pair(__m256i pairs, int odd) {
    const __m256i even = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1, 0, 1, 4, 5, 4, 5,
                                          8, 9, 8, 9, 12, 13, 12, 13);
    return _mm256_shuffle_epi8(pairs, _mm256_add_epi8(even, _mm256_set1_epi8(odd ? 2 : 0)));
}

/* 8 rows' fp16 at p[j] + off as floats, lane j = row j. */
static inline __m256 halves8(const uint8_t *const *p, size_t off) {
    uint16_t h[8];
    for (int j = 0; j < 8; j++) memcpy(&h[j], p[j] + off, 2);
    return _mm256_cvtph_ps(avx2_loadu128(h));
}

/* Sum over 8 rows' sub-blocks of sc * (sum of the sub-block's codes), lane
 * = row: what the +128 on the activations adds to isum, over 128. */
AVX2_ALWAYS_INLINE __m256i code_sums(const __m256i *w, int n, const __m256i *sc, int per_sc) {
    __m256i acc = _mm256_setzero_si256(), p = _mm256_setzero_si256();
    for (int k = 0; k < n; k++) {
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(mask8(1), w[k]));
        if (k % per_sc == per_sc - 1) {
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, sc[k / per_sc]));
            p = _mm256_setzero_si256();
        }
    }
    return acc;
}

/* From 8 rows' k_scales_mins (r[j] = row j): sc[j] of row r in both int16
 * lanes 2r, 2r+1, and (mn[2k], mn[2k+1]) of row r in lanes 2r, 2r+1. */
static inline void k_scale_vectors(const __m128i r[8], __m256i sc[8], __m256i mn[4]) {
    __m128i c[8];
    transpose_words(r, c);
    for (int k = 0; k < 4; k++) {
        const __m256i sp = _mm256_cvtepu8_epi16(c[k]);
        sc[2 * k] = dup_pair(sp, 0);
        sc[2 * k + 1] = dup_pair(sp, 1);
        mn[k] = _mm256_cvtepu8_epi16(c[4 + k]);
    }
}

typedef struct q4k_rows {
    __m256i w[8][8]; /* sub-block j, dword k of its 32 codes (Q8_K dword 8j + k); lane = row */
    __m256i sc[8];   /* sc[j] of row r in int16 lanes 2r, 2r+1 */
    __m256i mn[4];   /* (mn[2k], mn[2k+1]) of row r in lanes 2r, 2r+1 */
    __m256i corr;    /* 128 * sum_j sc[j] * (sum of sub-block j's codes) */
    __m256 d, dmin;
} q4k_rows;

static inline void q4k_rows_prep(const uint8_t *const *x, int64_t i, q4k_rows *w) {
    const uint8_t *p[KROWS];
    for (int j = 0; j < KROWS; j++) p[j] = x[j] + (size_t)i * sizeof(lc_block_q4_K);
    for (int c = 0; c < 4; c++) {
        __m256i q[8];
        transpose8(p, offsetof(lc_block_q4_K, qs) + 32 * (size_t)c, q);
        for (int k = 0; k < 8; k++) {
            w->w[2 * c][k] = _mm256_and_si256(q[k], mask8(15));
            w->w[2 * c + 1][k] = _mm256_and_si256(_mm256_srli_epi16(q[k], 4), mask8(15));
        }
    }
    __m128i r[8];
    for (int j = 0; j < KROWS; j++) r[j] = k_scales_mins(p[j] + offsetof(lc_block_q4_K, scales));
    k_scale_vectors(r, w->sc, w->mn);
    w->corr = _mm256_slli_epi32(code_sums(&w->w[0][0], 64, w->sc, 8), 7);
    w->d = halves8(p, offsetof(lc_block_q4_K, d));
    w->dmin = halves8(p, offsetof(lc_block_q4_K, dmin));
}

/* The float step of one token for 8 rows: o[r] = o[r] + ((d * yd) * isum
 * - (dmin * yd) * imin) (no min term: imin NULL); first: o starts at 0. */
AVX2_ALWAYS_INLINE void rows_finish(float *o, bool first, float yd, __m256 d, __m256 dmin, __m256i isum,
                                    const __m256i *imin) {
    const __m256 acc = first ? _mm256_setzero_ps() : _mm256_loadu_ps(o);
    const __m256 y = _mm256_set1_ps(yd);
    __m256 term = _mm256_mul_ps(_mm256_mul_ps(d, y), _mm256_cvtepi32_ps(isum));
    if (imin) term = _mm256_sub_ps(term, _mm256_mul_ps(_mm256_mul_ps(dmin, y), _mm256_cvtepi32_ps(*imin)));
    _mm256_storeu_ps(o, _mm256_add_ps(acc, term));
}

static inline __m256i bcast(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

typedef struct q4k_rows4 {
    q4k_rows g[NG];
} q4k_rows4;

static inline void q4k_prep(const uint8_t *const *x, int64_t i, q4k_rows4 *w) {
    for (int g = 0; g < NG; g++) q4k_rows_prep(x + KROWS * g, i, &w->g[g]);
}

/* The 8 rows' scales and mins of a packed Q4_K/Q5_K group's super-block
 * (row j's 12 bytes at LC_Q4_KX8_SCALES + 12 j). */
static inline void q4kx8_scales(const uint8_t *blk, __m256i sc[8], __m256i mn[4]) {
    __m128i r[8];
    for (int j = 0; j < KROWS; j++) r[j] = k_scales_mins(blk + LC_Q4_KX8_SCALES + 12 * j);
    k_scale_vectors(r, sc, mn);
}

/* The codes (lane = row) of column k of chunk c of a packed Q4_K (FIVE:
 * Q5_K) super-block: sub-block 2c in lo, 2c + 1 in hi; Q5_K ors in the
 * fifth bit, bit 2c (lo) or 2c + 1 (hi) of the qh column. */
AVX2_ALWAYS_INLINE void kx8_codes(bool FIVE, const uint8_t *blk, int c, int k, __m256i *lo, __m256i *hi) {
    const __m256i q = avx2_loadu(blk + (FIVE ? LC_Q5_KX8_QS : LC_Q4_KX8_QS) + 256 * c + 32 * k);
    *lo = _mm256_and_si256(q, mask8(15));
    *hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), mask8(15));
    if (FIVE) {
        const __m256i h = avx2_loadu(blk + LC_Q5_KX8_QH + 32 * k);
        *lo = _mm256_or_si256(*lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2 * c), mask8(1)), 4));
        *hi = _mm256_or_si256(*hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2 * c + 1), mask8(1)), 4));
    }
}

/* q4k_rows_prep / q5k_rows_prep from a packed group: the quant columns
 * load as they are. (The two row structs have the same fields.) Code
 * pair sums are at most 62, eight per int16 lane in code_sums. */
AVX2_ALWAYS_INLINE void kx8_rows_prep(bool FIVE, const uint8_t *group, int64_t i, __m256i w[8][8], __m256i sc[8],
                                      __m256i mn[4], __m256i *corr, __m256 *d, __m256 *dmin) {
    const uint8_t *blk = group + (size_t)i * (FIVE ? LC_Q5_KX8_BYTES : LC_Q4_KX8_BYTES);
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < 8; k++) kx8_codes(FIVE, blk, c, k, &w[2 * c][k], &w[2 * c + 1][k]);
    q4kx8_scales(blk, sc, mn);
    *corr = _mm256_slli_epi32(code_sums(&w[0][0], 64, sc, 8), 7);
    *d = _mm256_cvtph_ps(avx2_loadu128(blk));
    *dmin = _mm256_cvtph_ps(avx2_loadu128(blk + 16));
}

static inline void q4kx8_rows_prep(const uint8_t *group, int64_t i, q4k_rows *w) {
    kx8_rows_prep(false, group, i, w->w, w->sc, w->mn, &w->corr, &w->d, &w->dmin);
}

/* x: NG group pointers, at x[KROWS * g] (DEFINE_ROWS_GEMM's packed row
 * pointers). */
static inline void q4kx8_prep(const uint8_t *const *x, int64_t i, q4k_rows4 *w) {
    for (int g = 0; g < NG; g++) q4kx8_rows_prep(x[KROWS * g], i, &w->g[g]);
}

/* A packed group against T <= 4 tokens, codes as the unsigned maddubs
 * operand and the tokens' quants broadcast (no +128: nothing to share a
 * broadcast with): pair sums |q y + q' y'| <= 2 * 15 * 128, so a
 * sub-block's 8 maddubs add in int16 before the madd with its scale.
 * Same isum, imin and float steps as the tiles, lane = row. */
/* FIVE (Q5_K's packed layout, LC_Q5_KX8_*): the codes take their fifth
 * bit from the qh columns (0..31, |pair| <= 2 * 31 * 128), so four
 * maddubs per int16 sum instead of eight. */
AVX2_ALWAYS_INLINE void kx8_minscale_group(bool FIVE, const uint8_t *group, int64_t nb, const uint8_t *y0, size_t ys,
                                           int T, __m256 *acc, bool stream) {
    const size_t bytes = FIVE ? LC_Q5_KX8_BYTES : LC_Q4_KX8_BYTES;
    const int per_madd = FIVE ? 4 : 8;
    const lc_block_q8_K *y[K_TOK_MAX];
    for (int t = 0; t < T; t++) y[t] = (const lc_block_q8_K *)(y0 + (size_t)t * ys);
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *blk = group + (size_t)i * bytes;
        if (stream) /* one token streams the matrix: a super-block ahead, across pages */
            avx2_prefetch((uintptr_t)blk + 2 * bytes, bytes);
        __m256i sc[8], mn[4], isum[K_TOK_MAX];
        q4kx8_scales(blk, sc, mn); /* the same fields at the same offsets in both layouts */
        for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i pl[K_TOK_MAX], ph[K_TOK_MAX];
            for (int t = 0; t < T; t++) pl[t] = ph[t] = _mm256_setzero_si256();
            for (int k = 0; k < 8; k++) {
                __m256i lo, hi;
                kx8_codes(FIVE, blk, c, k, &lo, &hi);
                for (int t = 0; t < T; t++) {
                    pl[t] = _mm256_add_epi16(pl[t], _mm256_maddubs_epi16(lo, bcast(y[t][i].qs + 64 * c + 4 * k)));
                    ph[t] = _mm256_add_epi16(ph[t], _mm256_maddubs_epi16(hi, bcast(y[t][i].qs + 64 * c + 32 + 4 * k)));
                    AVX2_PIN(pl[t]);
                    AVX2_PIN(ph[t]);
                }
                if (k % per_madd == per_madd - 1)
                    for (int t = 0; t < T; t++) {
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(pl[t], sc[2 * c]),
                                                                             _mm256_madd_epi16(ph[t], sc[2 * c + 1])));
                        pl[t] = ph[t] = _mm256_setzero_si256();
                    }
            }
        }
        const __m256 d = _mm256_cvtph_ps(avx2_loadu128(blk)), dmin = _mm256_cvtph_ps(avx2_loadu128(blk + 16));
        for (int t = 0; t < T; t++) {
            /* (P(2k), P(2k+1)) for k = 0..3, P(j) = bsums[2j] + bsums[2j+1]: after
             * the in-lane pack, dwords 0, 1, 4, 5 */
            const __m256i p32 = _mm256_madd_epi16(avx2_loadu(y[t][i].bsums), _mm256_set1_epi16(1));
            const __m256i p16 = _mm256_packs_epi32(p32, p32);
            __m256i m = _mm256_setzero_si256();
            for (int k = 0; k < 4; k++) {
                const __m256i bp = _mm256_permutevar8x32_epi32(p16, _mm256_set1_epi32(k < 2 ? k : k + 2));
                m = _mm256_add_epi32(m, _mm256_madd_epi16(mn[k], bp));
            }
            const __m256 yd = _mm256_set1_ps(y[t][i].d);
            __m256 term = _mm256_mul_ps(_mm256_mul_ps(d, yd), _mm256_cvtepi32_ps(isum[t]));
            term = _mm256_sub_ps(term, _mm256_mul_ps(_mm256_mul_ps(dmin, yd), _mm256_cvtepi32_ps(m)));
            acc[t] = _mm256_add_ps(acc[t], term);
        }
    }
}

AVX2_ALWAYS_INLINE void q4kx8_group(const uint8_t *group, int64_t nb, const uint8_t *y0, size_t ys, int T,
                                    __m256 *acc, bool stream) {
    kx8_minscale_group(false, group, nb, y0, ys, T, acc, stream);
}

AVX2_ALWAYS_INLINE void q5kx8_group(const uint8_t *group, int64_t nb, const uint8_t *y0, size_t ys, int T,
                                    __m256 *acc, bool stream) {
    kx8_minscale_group(true, group, nb, y0, ys, T, acc, stream);
}

/* Token t of the group against NG prepared row groups; out row at o.
 * Codes 0..15 against quants + 128: |pair sum| <= 2 * 15 * 255, so four
 * maddubs per madd. */
AVX2_ALWAYS_INLINE void q4k_token(const q4k_rows4 *w, const k_act *a, int t, float *o, bool first) {
    __m256i isum[NG];
    for (int g = 0; g < NG; g++) isum[g] = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        const uint8_t *y = a->q[j][t];
        for (int h = 0; h < 2; h++) {
            __m256i p[NG];
            const __m256i y0 = bcast(y + 16 * h);
            for (int g = 0; g < NG; g++) p[g] = _mm256_maddubs_epi16(y0, w->g[g].w[j][4 * h]);
            for (int k = 1; k < 4; k++) {
                const __m256i yb = bcast(y + 16 * h + 4 * k);
                for (int g = 0; g < NG; g++) {
                    p[g] = _mm256_add_epi16(p[g], _mm256_maddubs_epi16(yb, w->g[g].w[j][4 * h + k]));
                    AVX2_PIN(p[g]);
                }
            }
            for (int g = 0; g < NG; g++) {
                isum[g] = _mm256_add_epi32(isum[g], _mm256_madd_epi16(p[g], w->g[g].sc[j]));
                AVX2_PIN(isum[g]);
            }
        }
    }
    __m256i bp[4];
    for (int k = 0; k < 4; k++) bp[k] = bcast(&a->bp[k][t]);
    for (int g = 0; g < NG; g++) {
        __m256i m = _mm256_madd_epi16(w->g[g].mn[0], bp[0]);
        for (int k = 1; k < 4; k++) m = _mm256_add_epi32(m, _mm256_madd_epi16(w->g[g].mn[k], bp[k]));
        rows_finish(o + KROWS * g, first, a->d[t], w->g[g].d, w->g[g].dmin, _mm256_sub_epi32(isum[g], w->g[g].corr),
                    &m);
    }
}

typedef struct q6k_rows {
    __m256i w[8][8];  /* codes 32c.. minus 32, dword k (Q8_K dword 8c + k); lane = row */
    __m256i sc[16];   /* sc[m] of row r in int16 lanes 2r, 2r+1 */
    __m256i corr;     /* 128 * sum_m sc[m] * (sum of sub-block m's codes - 32) */
    __m256 d;
} q6k_rows;

static inline void q6k_rows_prep(const uint8_t *const *x, int64_t i, q6k_rows *w) {
    const uint8_t *p[KROWS];
    for (int j = 0; j < KROWS; j++) p[j] = x[j] + (size_t)i * sizeof(lc_block_q6_K);
    const __m256i m4 = mask8(15), m2hi = mask8(0x30), off = mask8(32);
    for (int h = 0; h < 2; h++) {
        __m256i l0[8], l1[8], qh[8];
        transpose8(p, offsetof(lc_block_q6_K, ql) + 64 * (size_t)h, l0);
        transpose8(p, offsetof(lc_block_q6_K, ql) + 64 * (size_t)h + 32, l1);
        transpose8(p, offsetof(lc_block_q6_K, qh) + 32 * (size_t)h, qh);
        for (int k = 0; k < 8; k++) { /* tile_q6_K's unpacking; bytewise, so transposing first is the same */
            const __m256i lo0 = _mm256_and_si256(l0[k], m4), hi0 = _mm256_and_si256(_mm256_srli_epi16(l0[k], 4), m4);
            const __m256i lo1 = _mm256_and_si256(l1[k], m4), hi1 = _mm256_and_si256(_mm256_srli_epi16(l1[k], 4), m4);
            const __m256i c0 = _mm256_or_si256(lo0, _mm256_and_si256(_mm256_slli_epi16(qh[k], 4), m2hi));
            const __m256i c1 = _mm256_or_si256(lo1, _mm256_and_si256(_mm256_slli_epi16(qh[k], 2), m2hi));
            const __m256i c2 = _mm256_or_si256(hi0, _mm256_and_si256(qh[k], m2hi));
            const __m256i c3 = _mm256_or_si256(hi1, _mm256_and_si256(_mm256_srli_epi16(qh[k], 2), m2hi));
            w->w[4 * h + 0][k] = _mm256_sub_epi8(c0, off);
            w->w[4 * h + 1][k] = _mm256_sub_epi8(c1, off);
            w->w[4 * h + 2][k] = _mm256_sub_epi8(c2, off);
            w->w[4 * h + 3][k] = _mm256_sub_epi8(c3, off);
        }
    }
    __m128i r[8], c[8];
    for (int j = 0; j < KROWS; j++) r[j] = avx2_loadu128(p[j] + offsetof(lc_block_q6_K, scales));
    transpose_words(r, c);
    for (int k = 0; k < 8; k++) {
        const __m256i sp = _mm256_cvtepi8_epi16(c[k]);
        w->sc[2 * k] = dup_pair(sp, 0);
        w->sc[2 * k + 1] = dup_pair(sp, 1);
    }
    w->corr = _mm256_slli_epi32(code_sums(&w->w[0][0], 64, w->sc, 4), 7);
    w->d = halves8(p, offsetof(lc_block_q6_K, d));
}

/* The 8 rows' scales of a packed Q6_K super-block: sp[k] holds (sc[2k],
 * sc[2k+1]) of row r in int16 lanes 2r, 2r+1. */
static inline void q6kx8_scale_pairs(const uint8_t *blk, __m256i sp[8]) {
    __m128i r[8], c[8];
    for (int j = 0; j < KROWS; j++) r[j] = avx2_loadu128(blk + LC_Q6_KX8_SCALES + 16 * j);
    transpose_words(r, c);
    for (int k = 0; k < 8; k++) sp[k] = _mm256_cvtepi8_epi16(c[k]);
}

/* The four code vectors (0..63) of columns k of half h: elements 128h +
 * 32i + 4k..4k+3 of every row, i = 0..3 (tile_q6_K's unpacking, bytewise,
 * on the packed columns). */
static inline void q6kx8_codes(const uint8_t *blk, int h, int k, __m256i c[4]) {
    const __m256i m4 = mask8(15), m2hi = mask8(0x30);
    const __m256i l0 = avx2_loadu(blk + LC_Q6_KX8_QL + 32 * (16 * h + k));
    const __m256i l1 = avx2_loadu(blk + LC_Q6_KX8_QL + 32 * (16 * h + 8 + k));
    const __m256i qh = avx2_loadu(blk + LC_Q6_KX8_QH + 32 * (8 * h + k));
    c[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2hi));
    c[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2hi));
    c[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m2hi));
    c[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2hi));
}

/* q6k_rows_prep from a packed group. */
static inline void q6kx8_rows_prep(const uint8_t *group, int64_t i, q6k_rows *w) {
    const uint8_t *blk = group + (size_t)i * LC_Q6_KX8_BYTES;
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 8; k++) {
            __m256i c[4];
            q6kx8_codes(blk, h, k, c);
            for (int q = 0; q < 4; q++) w->w[4 * h + q][k] = _mm256_sub_epi8(c[q], mask8(32));
        }
    __m256i sp[8];
    q6kx8_scale_pairs(blk, sp);
    for (int k = 0; k < 8; k++) {
        w->sc[2 * k] = dup_pair(sp[k], 0);
        w->sc[2 * k + 1] = dup_pair(sp[k], 1);
    }
    w->corr = _mm256_slli_epi32(code_sums(&w->w[0][0], 64, w->sc, 4), 7);
    w->d = _mm256_cvtph_ps(avx2_loadu128(blk));
}

typedef struct q6k_rows4 {
    q6k_rows g[NG];
} q6k_rows4;

static inline void q6k_prep(const uint8_t *const *x, int64_t i, q6k_rows4 *w) {
    for (int g = 0; g < NG; g++) q6k_rows_prep(x + KROWS * g, i, &w->g[g]);
}

static inline void q6kx8_prep(const uint8_t *const *x, int64_t i, q6k_rows4 *w) {
    for (int g = 0; g < NG; g++) q6kx8_rows_prep(x[KROWS * g], i, &w->g[g]);
}

/* A packed Q6_K group against T <= 4 tokens, codes 0..63 as the unsigned
 * maddubs operand: |pair sum| <= 2 * 63 * 128, so two maddubs per int16
 * sum, each pair of columns within one 16-element sub-block; then
 * isum = sum sc q y - 32 sum sc bsum, exact, and tile_q6_K's float step. */
AVX2_ALWAYS_INLINE void q6kx8_group(const uint8_t *group, int64_t nb, const uint8_t *y0, size_t ys, int T,
                                    __m256 *acc, bool stream) {
    const lc_block_q8_K *y[K_TOK_MAX];
    for (int t = 0; t < T; t++) y[t] = (const lc_block_q8_K *)(y0 + (size_t)t * ys);
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *blk = group + (size_t)i * LC_Q6_KX8_BYTES;
        if (stream) /* one token streams the matrix: a super-block ahead, across pages */
            /* spelled out, not avx2_prefetch: with the helper gcc allocates
             * this group's registers differently, +0.6 % instructions here */
            for (int o = 0; o < LC_Q6_KX8_BYTES; o += 64)
                _mm_prefetch((const char *)((uintptr_t)blk + 2 * LC_Q6_KX8_BYTES + (uintptr_t)o), _MM_HINT_T0);
        __m256i sp[8], isum[K_TOK_MAX];
        q6kx8_scale_pairs(blk, sp);
        for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 8; k += 2) { /* columns k, k + 1: one sub-block per code vector */
                __m256i c0[4], c1[4];
                q6kx8_codes(blk, h, k, c0);
                q6kx8_codes(blk, h, k + 1, c1);
                for (int q = 0; q < 4; q++) {
                    const int s = 8 * h + 2 * q + k / 4; /* the sub-block of elements 128h + 32q + 4k.. */
                    const __m256i sc = dup_pair(sp[s / 2], s % 2);
                    for (int t = 0; t < T; t++) {
                        const int8_t *yq = y[t][i].qs + 128 * h + 32 * q + 4 * k;
                        __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(c0[q], bcast(yq)),
                                                     _mm256_maddubs_epi16(c1[q], bcast(yq + 4)));
                        AVX2_PIN(p);
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, sc));
                    }
                }
            }
        }
        const __m256 d = _mm256_cvtph_ps(avx2_loadu128(blk));
        for (int t = 0; t < T; t++) {
            /* sum_s sc[s] bsum[s]: (bsum[2k], bsum[2k+1]) against sp[k] */
            const __m256i bs = avx2_loadu(y[t][i].bsums);
            __m256i m = _mm256_setzero_si256();
            for (int k = 0; k < 8; k++) {
                const __m256i bp = _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(k));
                m = _mm256_add_epi32(m, _mm256_madd_epi16(sp[k], bp));
            }
            isum[t] = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(m, 5));
            const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(y[t][i].d));
            acc[t] = _mm256_add_ps(acc[t], _mm256_mul_ps(dd, _mm256_cvtepi32_ps(isum[t])));
        }
    }
}

/* isum += madd(maddubs(y0, q0) + maddubs(y1, q1), sc)
 *       + madd(maddubs(y2, q2) + maddubs(y3, q3), sc):
 * two maddubs per int16 sum, for codes whose pair sums against quants + 128
 * allow no more (Q5_K, Q6_K; each caller states its bound). */
AVX2_ALWAYS_INLINE void madd_pairs(__m256i y0, __m256i y1, __m256i y2, __m256i y3, const __m256i *q, __m256i sc,
                                   __m256i *isum) {
    __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(y0, q[0]), _mm256_maddubs_epi16(y1, q[1]));
    AVX2_PIN(p0);
    __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(y2, q[2]), _mm256_maddubs_epi16(y3, q[3]));
    AVX2_PIN(p1);
    __m256i acc = _mm256_add_epi32(*isum, _mm256_madd_epi16(p0, sc));
    AVX2_PIN(acc);
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p1, sc));
    AVX2_PIN(acc);
    *isum = acc;
}

/* Codes - 32 (|c| <= 32) against quants + 128: |pair sum| <= 2 * 32 * 255,
 * so two maddubs per madd; sum sc (q - 32) y needs no bsums then. */
AVX2_ALWAYS_INLINE void q6k_token(const q6k_rows4 *w, const k_act *a, int t, float *o, bool first) {
    __m256i isum[NG];
    for (int g = 0; g < NG; g++) isum[g] = _mm256_setzero_si256();
    for (int c = 0; c < 8; c++) {
        for (int h = 0; h < 2; h++) { /* sub-block 2c + h: dwords 4h..4h+3 of the codes 32c.. */
            const uint8_t *y = a->q[c][t] + 16 * h;
            const __m256i y0 = bcast(y), y1 = bcast(y + 4), y2 = bcast(y + 8), y3 = bcast(y + 12);
            for (int g = 0; g < NG; g++) {
                const __m256i *q = &w->g[g].w[c][4 * h], sc = w->g[g].sc[2 * c + h];
                madd_pairs(y0, y1, y2, y3, q, sc, &isum[g]);
            }
        }
    }
    for (int g = 0; g < NG; g++)
        rows_finish(o + KROWS * g, first, a->d[t], w->g[g].d, w->g[g].d, _mm256_sub_epi32(isum[g], w->g[g].corr),
                    NULL);
}

/* Q5_K's eight transposed rows have Q4_K's shape, with codes 0..31. */
typedef q4k_rows q5k_rows;

static inline void q5k_rows_prep(const uint8_t *const *x, int64_t i, q5k_rows *w) {
    const uint8_t *p[KROWS];
    for (int j = 0; j < KROWS; j++) p[j] = x[j] + (size_t)i * sizeof(lc_block_q5_K);
    __m256i qh[8];
    transpose8(p, offsetof(lc_block_q5_K, qh), qh);
    for (int c = 0; c < 4; c++) {
        __m256i q[8];
        transpose8(p, offsetof(lc_block_q5_K, qs) + 32 * (size_t)c, q);
        for (int k = 0; k < 8; k++) { /* tile_q5_K's unpacking; bytewise, so transposing first is the same */
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh[k], 2 * c), mask8(1)), 4);
            const __m256i h1 =
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh[k], 2 * c + 1), mask8(1)), 4);
            w->w[2 * c][k] = _mm256_or_si256(_mm256_and_si256(q[k], mask8(15)), h0);
            w->w[2 * c + 1][k] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q[k], 4), mask8(15)), h1);
        }
    }
    __m128i r[8];
    for (int j = 0; j < KROWS; j++) r[j] = k_scales_mins(p[j] + offsetof(lc_block_q5_K, scales));
    k_scale_vectors(r, w->sc, w->mn);
    /* code pair sums <= 62, eight of them per int16 lane: no overflow */
    w->corr = _mm256_slli_epi32(code_sums(&w->w[0][0], 64, w->sc, 8), 7);
    w->d = halves8(p, offsetof(lc_block_q5_K, d));
    w->dmin = halves8(p, offsetof(lc_block_q5_K, dmin));
}

typedef struct q5k_rows4 {
    q5k_rows g[NG];
} q5k_rows4;

static inline void q5k_prep(const uint8_t *const *x, int64_t i, q5k_rows4 *w) {
    for (int g = 0; g < NG; g++) q5k_rows_prep(x + KROWS * g, i, &w->g[g]);
}

static inline void q5kx8_rows_prep(const uint8_t *group, int64_t i, q5k_rows *w) {
    kx8_rows_prep(true, group, i, w->w, w->sc, w->mn, &w->corr, &w->d, &w->dmin);
}

static inline void q5kx8_prep(const uint8_t *const *x, int64_t i, q5k_rows4 *w) {
    for (int g = 0; g < NG; g++) q5kx8_rows_prep(x[KROWS * g], i, &w->g[g]);
}

/* Codes 0..31 against quants + 128: |pair sum| <= 2 * 31 * 255 = 15810,
 * so only two maddubs fit an int16 lane (31620 <= 32767; three would not)
 * before each madd. */
AVX2_ALWAYS_INLINE void q5k_token(const q5k_rows4 *w, const k_act *a, int t, float *o, bool first) {
    __m256i isum[NG];
    for (int g = 0; g < NG; g++) isum[g] = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        for (int h = 0; h < 2; h++) { /* dwords 4h..4h+3 of sub-block j */
            const uint8_t *y = a->q[j][t] + 16 * h;
            const __m256i y0 = bcast(y), y1 = bcast(y + 4), y2 = bcast(y + 8), y3 = bcast(y + 12);
            for (int g = 0; g < NG; g++) {
                const __m256i *q = &w->g[g].w[j][4 * h], sc = w->g[g].sc[j];
                madd_pairs(y0, y1, y2, y3, q, sc, &isum[g]);
            }
        }
    }
    __m256i bp[4];
    for (int k = 0; k < 4; k++) bp[k] = bcast(&a->bp[k][t]);
    for (int g = 0; g < NG; g++) {
        __m256i m = _mm256_madd_epi16(w->g[g].mn[0], bp[0]);
        for (int k = 1; k < 4; k++) m = _mm256_add_epi32(m, _mm256_madd_epi16(w->g[g].mn[k], bp[k]));
        rows_finish(o + KROWS * g, first, a->d[t], w->g[g].d, w->g[g].dmin, _mm256_sub_epi32(isum[g], w->g[g].corr),
                    &m);
    }
}

/* Loops: super-blocks, groups of TG tokens, blocks of NG * 8 rows (a short
 * last block repeats its last row and keeps its sums in `part`), tokens. */
#define RB (NG * KROWS)
#define DEFINE_ROWS_GEMM(GEMM, FALLBACK, RT, PREP, TOKEN, MIN_TOK) DEFINE_ROWS_GEMM_X(GEMM, FALLBACK, RT, PREP, TOKEN, MIN_TOK, false, )
/* PACKED: x is a packed image; the row pointers of a group all point at
 * the group (n_rows % 8 == 0). */
#define DEFINE_ROWS_GEMM_X(GEMM, FALLBACK, RT, PREP, TOKEN, MIN_TOK, PACKED, LINKAGE)                     \
    static __attribute__((noinline)) void GEMM##_rows(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, \
                                                      size_t x_stride, const void *y, size_t y_stride,    \
                                                      float *out, size_t out_stride) {                    \
        const int64_t nb = n / LC_QK_K;                                                                   \
        k_act act;                                                                                        \
        RT w;                                                                                             \
        float part[TG][RB];                                                                               \
        for (int64_t i = 0; i < nb; i++) {                                                                \
            for (int64_t g0 = 0; g0 < n_tok; g0 += TG) {                                                  \
                const int T = (int)LC_MIN((int64_t)TG, n_tok - g0);                                       \
                k_act_prep((const uint8_t *)y + (size_t)g0 * y_stride, y_stride, T, i, &act);             \
                for (int64_t r0 = 0; r0 < n_rows; r0 += RB) {                                             \
                    const uint8_t *xr[RB];                                                                \
                    for (int j = 0; j < RB; j++)                                                          \
                        xr[j] = (const uint8_t *)x +                                                      \
                                (size_t)(PACKED ? LC_MIN(r0 + j / KROWS * KROWS, n_rows - KROWS)          \
                                                : LC_MIN(r0 + j, n_rows - 1)) * x_stride;                 \
                    const int nr = (int)LC_MIN((int64_t)RB, n_rows - r0);                                 \
                    float *o = out + (size_t)g0 * out_stride + (size_t)r0;                                \
                    size_t os = out_stride;                                                               \
                    if (nr < RB) {                                                                        \
                        if (i > 0)                                                                        \
                            for (int t = 0; t < T; t++)                                                   \
                                memcpy(part[t], o + (size_t)t * out_stride, (size_t)nr * sizeof(float));  \
                        o = &part[0][0], os = RB;                                                         \
                    }                                                                                     \
                    PREP(xr, i, &w);                                                                      \
                    for (int t = 0; t < T; t++) TOKEN(&w, &act, t, o + (size_t)t * os, i == 0);           \
                    if (nr < RB)                                                                          \
                        for (int t = 0; t < T; t++)                                                       \
                            memcpy(out + (size_t)(g0 + t) * out_stride + (size_t)r0, part[t],             \
                                   (size_t)nr * sizeof(float));                                           \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    /* the rows' 35 KiB of buffers stay off the stack of decode calls */                                 \
    LINKAGE void GEMM(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y, \
              size_t y_stride, float *out, size_t out_stride) {                                           \
        if (n_rows <= 0 || n_tok <= 0) return;                                                            \
        if (n_tok < MIN_TOK)                                                                              \
            FALLBACK(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);                        \
        else                                                                                              \
            GEMM##_rows(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);                     \
    }

/* vec_dot and gemm of one format from its tile; gemm walks the tokens in
 * groups of K_TOK_MAX and, for each group, every row (static when it only
 * serves the eight-row gemm's few-token calls). */
/* One token streams the rows from DRAM one after another; rows of a file
 * mapping cross 4 KiB pages every few rows, where the hardware prefetcher
 * stops, so each row asks for the bytes PF_BYTES ahead of it into the outer
 * caches (integer arithmetic: they may lie past the matrix, and a prefetch
 * never faults). Into L1, as this once did (the row 8 rows ahead), the
 * requests competed with the pass's own loads: llama-3.2-1b's tied Q6_K
 * output matrix, read at 0.84-0.86 of the repacked matrices' rate in the
 * same generation, reads at 0.99 this way (perf shares, 2 threads, a
 * Zen 4 VM running this back end; the AVX-512 pass measured the same). */
#define PF_BYTES 8192

typedef void (*k_tile_fn)(TILE_ARGS);

AVX2_ALWAYS_INLINE void k_vec_dot(k_tile_fn tile, int64_t n, float *s, const void *vx, const void *vy) {
    __m128 acc = _mm_setzero_ps();
    tile(n / LC_QK_K, vx, vy, 0, 1, &acc);
    *s = _mm_cvtss_f32(acc);
}

AVX2_ALWAYS_INLINE void k_tiles_gemm(k_tile_fn tile, int64_t n, int64_t n_rows, int64_t n_tok, const void *x,
                                     size_t x_stride, const void *y, size_t y_stride, float *out, size_t out_stride) {
    const int64_t nb = n / LC_QK_K;
    if (n_rows <= 0 || n_tok <= 0) return; /* no pointer arithmetic on NULL */
    for (int64_t t0 = 0; t0 < n_tok; t0 += K_TOK_MAX) {
        const int T = (int)LC_MIN((int64_t)K_TOK_MAX, n_tok - t0);
        const uint8_t *y0 = (const uint8_t *)y + (size_t)t0 * y_stride;
        for (int64_t r = 0; r < n_rows; r++) {
            const void *xr = (const uint8_t *)x + (size_t)r * x_stride;
            if (n_tok == 1) /* see PF_BYTES */
                avx2_prefetch_outer((uintptr_t)x + (size_t)r * x_stride + PF_BYTES, x_stride);
            __m128 acc = _mm_setzero_ps();
            switch (T) { /* constant T: the tile's token loops unroll */
            case 4: tile(nb, xr, y0, y_stride, 4, &acc); break;
            case 3: tile(nb, xr, y0, y_stride, 3, &acc); break;
            case 2: tile(nb, xr, y0, y_stride, 2, &acc); break;
            default: tile(nb, xr, y0, y_stride, 1, &acc); break;
            }
            float f[4];
            _mm_storeu_ps(f, acc);
            for (int t = 0; t < T; t++) out[(size_t)(t0 + t) * out_stride + (size_t)r] = f[t];
        }
    }
}

#define GEMM_ARGS                                                                                       \
    int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y, size_t y_stride, \
        float *out, size_t out_stride
#define GEMM_PASS n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride
#define DEFINE_K_DOTS(VEC_DOT, GEMM_LINKAGE, GEMM, TILE)                                                \
    void VEC_DOT(int64_t n, float *s, const void *vx, const void *vy) { k_vec_dot(TILE, n, s, vx, vy); } \
    GEMM_LINKAGE void GEMM(GEMM_ARGS) { k_tiles_gemm(TILE, GEMM_PASS); }

DEFINE_K_DOTS(lc_vec_dot_q2_K_q8_K_avx2, , lc_gemm_q2_K_q8_K_avx2, tile_q2_K)
DEFINE_K_DOTS(lc_vec_dot_q3_K_q8_K_avx2, , lc_gemm_q3_K_q8_K_avx2, tile_q3_K)
DEFINE_K_DOTS(lc_vec_dot_q4_K_q8_K_avx2, static, gemm_q4_K_tiles, tile_q4_K)
DEFINE_K_DOTS(lc_vec_dot_q5_K_q8_K_avx2, static, gemm_q5_K_tiles, tile_q5_K)
DEFINE_K_DOTS(lc_vec_dot_q6_K_q8_K_avx2, static, gemm_q6_K_tiles, tile_q6_K)
DEFINE_K_DOTS(lc_vec_dot_iq4_xs_q8_K_avx2, , lc_gemm_iq4_xs_q8_K_avx2, tile_iq4_xs)
DEFINE_ROWS_GEMM(lc_gemm_q4_K_q8_K_avx2, gemm_q4_K_tiles, q4k_rows4, q4k_prep, q4k_token, 5)
DEFINE_ROWS_GEMM(lc_gemm_q5_K_q8_K_avx2, gemm_q5_K_tiles, q5k_rows4, q5k_prep, q5k_token, 5)
DEFINE_ROWS_GEMM(lc_gemm_q6_K_q8_K_avx2, gemm_q6_K_tiles, q6k_rows4, q6k_prep, q6k_token, 6)

/* Packed K-quants (lc_pack8): groups of 8 rows, up to K_TOK_MAX tokens at a
 * time, each group's running sums in registers across its super-blocks. */
typedef void (*kx8_group_fn)(const uint8_t *group, int64_t nb, const uint8_t *y0, size_t ys, int T, __m256 *acc,
                             bool stream);

AVX2_ALWAYS_INLINE void kx8_tiles(kx8_group_fn group_fn, GEMM_ARGS) {
    const int64_t nb = n / LC_QK_K;
    for (int64_t t0 = 0; t0 < n_tok; t0 += K_TOK_MAX) {
        const int T = (int)LC_MIN((int64_t)K_TOK_MAX, n_tok - t0);
        const uint8_t *y0 = (const uint8_t *)y + (size_t)t0 * y_stride;
        for (int64_t r0 = 0; r0 < n_rows; r0 += KROWS) {
            const uint8_t *group = (const uint8_t *)x + (size_t)r0 * x_stride;
            __m256 acc[K_TOK_MAX];
            for (int t = 0; t < K_TOK_MAX; t++) acc[t] = _mm256_setzero_ps();
            switch (T) { /* constant T: the token loops unroll */
            case 4: group_fn(group, nb, y0, y_stride, 4, acc, false); break;
            case 3: group_fn(group, nb, y0, y_stride, 3, acc, false); break;
            case 2: group_fn(group, nb, y0, y_stride, 2, acc, false); break;
            default: group_fn(group, nb, y0, y_stride, 1, acc, true); break;
            }
            for (int t = 0; t < T; t++)
                _mm256_storeu_ps(out + (size_t)(t0 + t) * out_stride + (size_t)r0, acc[t]);
        }
    }
}

#define DEFINE_KX8_TILES(NAME, GROUP_FN) \
    static void NAME(GEMM_ARGS) { kx8_tiles(GROUP_FN, GEMM_PASS); }

DEFINE_KX8_TILES(gemm_q4_Kx8_tiles, q4kx8_group)
DEFINE_KX8_TILES(gemm_q5_Kx8_tiles, q5kx8_group)
DEFINE_KX8_TILES(gemm_q6_Kx8_tiles, q6kx8_group)
DEFINE_ROWS_GEMM_X(lc_gemm_q4_Kx8_q8_K_avx2, gemm_q4_Kx8_tiles, q4k_rows4, q4kx8_prep, q4k_token, 5, true, )
DEFINE_ROWS_GEMM_X(lc_gemm_q6_Kx8_q8_K_avx2, gemm_q6_Kx8_tiles, q6k_rows4, q6kx8_prep, q6k_token, 6, true, )
DEFINE_ROWS_GEMM_X(lc_gemm_q5_Kx8_q8_K_avx2, gemm_q5_Kx8_tiles, q5k_rows4, q5kx8_prep, q5k_token, 5, true, )
