/* AVX2 dot products of Q4_0 and Q8_0 weights with Q8_0 activations, in the
 * reference's own float order, eight weight rows at a time.
 *
 * Every row's result is what the scalar reference computes: per block the
 * exact integer dot product isum, then, blocks in order,
 *     sum = sum + float(isum) * (dx * dy)
 * (a multiply, a multiply and an add, none fused). Because each row's
 * arithmetic is a scalar sequence, eight rows fit the eight float lanes of
 * a register: gemm transposes 8 rows' blocks in registers (lane j = row j)
 * so that one maddubs serves 8 rows and the float steps cost 1/8 per row,
 * with no repacking of the weights in memory. vec_dot (one row) gets the
 * per-block sums of 8 consecutive blocks into one register instead and
 * adds their terms one by one. Both give the same bits, and — when the
 * reference is compiled without contracting a * b + c into an FMA (gcc in
 * ISO C mode) — the reference's bits.
 *
 * Q4_0 codes are used unsigned (0..15): sum (q - 8) y = sum q y - 8 sum y,
 * with sum y taken once per activation block. From Q4_0_MIN_TOK tokens the
 * Q4_0 gemm instead transposes 32 rows into a buffer once per chunk and
 * token group and takes the activations as the unsigned operand (see
 * below); the integers and float steps are the same. */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

#define ROWS 8
/* Tokens sharing one unpacked weight chunk. */
#define Q4Q8_TOK_MAX 8
/* Blocks per chunk of the shared dimension. */
#define K_BLOCKS 64

/* Sum of the 8 int32 lanes of each of v[0..7], as lanes 0..7 of one
 * register (a transposing tree of horizontal adds). */
static inline __m256i sum8_transposed(const __m256i v[8]) {
    const __m256i t0 = _mm256_hadd_epi32(v[0], v[1]), t1 = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i t2 = _mm256_hadd_epi32(v[4], v[5]), t3 = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i u0 = _mm256_hadd_epi32(t0, t1), u1 = _mm256_hadd_epi32(t2, t3);
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

/* sum = sum + t[0] + t[1] + ... + t[7], one add at a time (lanes past the
 * row's last block hold +0, which leaves the sum unchanged). */
static inline float add_in_order(float sum, __m256 t) {
    const __m128 lo = _mm256_castps256_ps128(t), hi = _mm256_extractf128_ps(t, 1);
    __m128 s = _mm_set_ss(sum);
    s = _mm_add_ss(s, lo);
    s = _mm_add_ss(s, _mm_movehdup_ps(lo));
    s = _mm_add_ss(s, _mm_movehl_ps(lo, lo));
    s = _mm_add_ss(s, _mm_shuffle_ps(lo, lo, 3));
    s = _mm_add_ss(s, hi);
    s = _mm_add_ss(s, _mm_movehdup_ps(hi));
    s = _mm_add_ss(s, _mm_movehl_ps(hi, hi));
    s = _mm_add_ss(s, _mm_shuffle_ps(hi, hi, 3));
    return _mm_cvtss_f32(s);
}

/* ---- one row (vec_dot) ---- */

static inline __m256i q4_0_lanes(const lc_block_q4_0 *x, const lc_block_q8_0 *y) {
    const __m256i q = _mm256_sub_epi8(avx2_nibbles_lo_hi(x->qs), _mm256_set1_epi8(8));
    return avx2_dot_s8s8(q, avx2_loadu(y->qs));
}

static inline __m256i q8_0_lanes(const lc_block_q8_0 *x, const lc_block_q8_0 *y) {
    return avx2_dot_s8s8(avx2_loadu(x->qs), avx2_loadu(y->qs));
}

/* One row, eight blocks at a time: their exact sums transposed into one
 * register, their terms float(isum) * (dx * dy) multiplied lane-wise, then
 * added to the sum one by one. In a short last group the missing blocks'
 * lanes hold +0, which adding leaves the sum unchanged. */
#define ROW_DOT(LANES, XT)                                                                            \
    const XT *x = vx;                                                                                 \
    const lc_block_q8_0 *y = vy;                                                                      \
    const int64_t nb = n / LC_QK8_0;                                                                  \
    float sum = 0.f;                                                                                  \
    int64_t i = 0;                                                                                    \
    for (; i + 8 <= nb; i += 8) {                                                                     \
        __m256i v[8];                                                                                 \
        for (int j = 0; j < 8; j++) v[j] = LANES(&x[i + j], &y[i + j]);                               \
        const __m256 d = _mm256_mul_ps(_mm256_set_m128(avx2_half4(&x[i + 4].d, sizeof *x), avx2_half4(&x[i].d, sizeof *x)), \
                                       _mm256_set_m128(avx2_half4(&y[i + 4].d, sizeof *y), avx2_half4(&y[i].d, sizeof *y))); \
        sum = add_in_order(sum, _mm256_mul_ps(_mm256_cvtepi32_ps(sum8_transposed(v)), d));            \
    }                                                                                                 \
    if (i < nb) {                                                                                     \
        const int k = (int)(nb - i);                                                                  \
        __m256i v[8];                                                                                 \
        float dx[8] = {0}, dy[8] = {0};                                                               \
        for (int j = 0; j < 8; j++) v[j] = _mm256_setzero_si256();                                    \
        for (int j = 0; j < k; j++) {                                                                 \
            v[j] = LANES(&x[i + j], &y[i + j]);                                                       \
            dx[j] = avx2_fp16(x[i + j].d), dy[j] = avx2_fp16(y[i + j].d);                             \
        }                                                                                             \
        const __m256 d = _mm256_mul_ps(_mm256_loadu_ps(dx), _mm256_loadu_ps(dy));                    \
        sum = add_in_order(sum, _mm256_mul_ps(_mm256_cvtepi32_ps(sum8_transposed(v)), d));            \
    }                                                                                                 \
    *s = sum;

void lc_vec_dot_q4_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) { ROW_DOT(q4_0_lanes, lc_block_q4_0) }

void lc_vec_dot_q8_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) { ROW_DOT(q8_0_lanes, lc_block_q8_0) }

/* ---- eight rows (gemm) ---- */

/* 16 bytes at a and at b (b in the upper half). */
static inline __m256i load2x128(const void *a, const void *b) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(avx2_loadu128(a)), avx2_loadu128(b), 1);
}

/* r[j] holds row j in 128-bit lane (j / 4), rows j and j + 4 sharing a
 * register: r[0] = rows 0|4, r[1] = 1|5, r[2] = 2|6, r[3] = 3|7. Returns the
 * 4x4 transposes of each lane: c[i] has dword i of row j in lane j. */
static inline void transpose_4x2(const __m256i r[4], __m256i c[4]) {
    const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    c[0] = _mm256_unpacklo_epi64(t0, t2);
    c[1] = _mm256_unpackhi_epi64(t0, t2);
    c[2] = _mm256_unpacklo_epi64(t1, t3);
    c[3] = _mm256_unpackhi_epi64(t1, t3);
}

/* T tokens' activations over a chunk of blocks, laid out for the kernel:
 * the 4-byte groups interleaved by token (q[b][i][t] = bytes 4i..4i+3 of
 * token t's block b), so one pointer with constant offsets reaches them
 * all, and per block the terms besides the quants: dy as float and (Q4_0)
 * 8 * the sum of the quants. */
typedef struct act_tile {
    int32_t q[K_BLOCKS][8][Q4Q8_TOK_MAX];
    float dy[K_BLOCKS][Q4Q8_TOK_MAX];
    int32_t sum8[K_BLOCKS][Q4Q8_TOK_MAX];
} act_tile;

static void prep_tile(const lc_block_q8_0 *const *y, int T, int64_t nb, bool with_sums, act_tile *a) {
    for (int t = 0; t < T; t++) {
        for (int64_t b = 0; b < nb; b++) {
            const __m256i v = avx2_loadu(y[t][b].qs);
            int32_t g[8];
            memcpy(g, y[t][b].qs, sizeof g);
            for (int i = 0; i < 8; i++) a->q[b][i][t] = g[i];
            a->dy[b][t] = avx2_fp16(y[t][b].d);
            if (with_sums) /* Q4_0 only (Q8_0 spent 4 % of a prompt here) */
                a->sum8[b][t] = 8 * avx2_hsum_epi32(avx2_dot_u8s8(_mm256_set1_epi8(1), v));
        }
    }
}

/* The fp16 scales of 8 rows' block b as floats, lane j = row j. */
AVX2_ALWAYS_INLINE __m256 row_scales(const uint8_t *const *x, size_t block_bytes, int64_t b) {
    uint64_t lo = 0, hi = 0;
    for (int j = 0; j < 4; j++) {
        uint16_t h0, h1;
        memcpy(&h0, x[j] + (size_t)b * block_bytes, 2);
        memcpy(&h1, x[j + 4] + (size_t)b * block_bytes, 2);
        lo |= (uint64_t)h0 << (16 * j);
        hi |= (uint64_t)h1 << (16 * j);
    }
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)hi, (long long)lo));
}

/* acc[t] = acc[t] + float(isum[t]) * (dx * dy[t]), the reference's step. */
AVX2_ALWAYS_INLINE void add_terms(int T, __m256 *acc, const __m256i *isum, __m256 dx, const float *dy) {
    for (int t = 0; t < T; t++) {
        const __m256 d = _mm256_mul_ps(dx, _mm256_set1_ps(dy[t]));
        acc[t] = _mm256_add_ps(acc[t], _mm256_mul_ps(_mm256_cvtepi32_ps(isum[t]), d));
    }
}

/* Q4_0, rows x[0..7], T tokens, blocks [b0, b1): acc[t] lane j += row j's
 * terms, block by block. Codes are the nibbles as they are (0..15); chunk i
 * of the transpose holds, for each row, the bytes of elements 4i..4i+3 (low
 * nibbles) and 16+4i..16+4i+3 (high nibbles). Each weight chunk serves all
 * T tokens before the next is unpacked; the int16 sums cannot overflow
 * (8 maddubs of at most 2 * 15 * 127). */
AVX2_ALWAYS_INLINE void q4_0_rows(int64_t b0, int64_t b1, const uint8_t *const *x, int T,
                                  const act_tile *a, __m256 *acc,
                                  const char *pf, size_t pf_step) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        avx2_prefetch((uintptr_t)pf + (size_t)b * pf_step, pf_step);
        __m256i r[4], c[4];
        for (int j = 0; j < 4; j++)
            r[j] = load2x128(((const lc_block_q4_0 *)x[j] + b)->qs, ((const lc_block_q4_0 *)x[j + 4] + b)->qs);
        transpose_4x2(r, c);
        __m256i p[Q4Q8_TOK_MAX];
        for (int t = 0; t < T; t++) p[t] = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++) {
            const __m256i wl = _mm256_and_si256(c[i], m4);
            for (int t = 0; t < T; t++) {
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(wl, _mm256_set1_epi32(a->q[b - b0][i][t])));
                AVX2_PIN(p[t]);
            }
            const __m256i wh = _mm256_and_si256(_mm256_srli_epi16(c[i], 4), m4);
            for (int t = 0; t < T; t++) {
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(wh, _mm256_set1_epi32(a->q[b - b0][4 + i][t])));
                AVX2_PIN(p[t]);
            }
        }
        for (int t = 0; t < T; t++)
            p[t] = _mm256_sub_epi32(_mm256_madd_epi16(p[t], _mm256_set1_epi16(1)), _mm256_set1_epi32(a->sum8[b - b0][t]));
        add_terms(T, acc, p, row_scales(x, sizeof(lc_block_q4_0), b), a->dy[b - b0]);
    }
}

/* The same over a packed group (see lc_pack8): block b's eight scales
 * and its four transposed chunks are 144 contiguous bytes, so the chunks
 * load as they are and the scales convert in one instruction. */
/* Blocks ahead a one-token pass prefetches (16: 2.3 KiB). */
#define PF_BLOCKS 16
AVX2_ALWAYS_INLINE void q4_0x8_rows(int64_t b0, int64_t b1, const uint8_t *xp, int T, const act_tile *a,
                                    __m256 *acc, bool stream) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *blk = xp + (size_t)b * LC_Q4_0X8_BYTES;
        /* one token streams the matrix: fetch PF_BLOCKS blocks ahead,
         * across the 4 KiB pages the hardware prefetcher stops at */
        if (stream) avx2_prefetch((uintptr_t)blk + PF_BLOCKS * LC_Q4_0X8_BYTES, LC_Q4_0X8_BYTES);
        __m256i p[Q4Q8_TOK_MAX];
        for (int t = 0; t < T; t++) p[t] = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++) {
            const __m256i c = avx2_loadu(blk + 16 + 32 * i);
            const __m256i wl = _mm256_and_si256(c, m4);
            for (int t = 0; t < T; t++) {
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(wl, _mm256_set1_epi32(a->q[b - b0][i][t])));
                AVX2_PIN(p[t]);
            }
            const __m256i wh = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
            for (int t = 0; t < T; t++) {
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(wh, _mm256_set1_epi32(a->q[b - b0][4 + i][t])));
                AVX2_PIN(p[t]);
            }
        }
        for (int t = 0; t < T; t++)
            p[t] = _mm256_sub_epi32(_mm256_madd_epi16(p[t], _mm256_set1_epi16(1)), _mm256_set1_epi32(a->sum8[b - b0][t]));
        add_terms(T, acc, p, _mm256_cvtph_ps(avx2_loadu128(blk)), a->dy[b - b0]);
    }
}

/* Q8_0: the same with 8 chunks of signed quants, so the sign trick and one
 * madd per chunk (two maddubs pair sums could overflow int16). */
AVX2_ALWAYS_INLINE void q8_0_rows(int64_t b0, int64_t b1, const uint8_t *const *x, int T,
                                  const act_tile *a, __m256 *acc,
                                  const char *pf, size_t pf_step) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = b0; b < b1; b++) {
        avx2_prefetch((uintptr_t)pf + (size_t)b * pf_step, pf_step);
        __m256i isum[Q4Q8_TOK_MAX];
        for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i r[4], w[4];
            for (int j = 0; j < 4; j++)
                r[j] = load2x128(((const lc_block_q8_0 *)x[j] + b)->qs + 16 * h,
                                 ((const lc_block_q8_0 *)x[j + 4] + b)->qs + 16 * h);
            transpose_4x2(r, w);
            for (int i = 0; i < 4; i++) {
                const __m256i aw = _mm256_sign_epi8(w[i], w[i]);
                for (int t = 0; t < T; t++) {
                    const __m256i sy = _mm256_sign_epi8(_mm256_set1_epi32(a->q[b - b0][4 * h + i][t]), w[i]);
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sy), ones));
                    AVX2_PIN(isum[t]);
                }
            }
        }
        add_terms(T, acc, isum, row_scales(x, sizeof(lc_block_q8_0), b), a->dy[b - b0]);
    }
}

/* Q8_0 over a packed group (LC_Q8_0X8_BYTES per block): the eight chunks
 * load as they are. */
AVX2_ALWAYS_INLINE void q8_0x8_rows(int64_t b0, int64_t b1, const uint8_t *xp, int T, const act_tile *a,
                                    __m256 *acc, bool stream) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *blk = xp + (size_t)b * LC_Q8_0X8_BYTES;
        if (stream) /* as in q4_0x8_rows */
            avx2_prefetch((uintptr_t)blk + PF_BLOCKS / 2 * LC_Q8_0X8_BYTES, LC_Q8_0X8_BYTES);
        __m256i isum[Q4Q8_TOK_MAX];
        for (int t = 0; t < T; t++) isum[t] = _mm256_setzero_si256();
        for (int i = 0; i < 8; i++) {
            const __m256i w = avx2_loadu(blk + 16 + 32 * i);
            const __m256i aw = _mm256_sign_epi8(w, w);
            for (int t = 0; t < T; t++) {
                const __m256i sy = _mm256_sign_epi8(_mm256_set1_epi32(a->q[b - b0][i][t]), w);
                isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sy), ones));
                AVX2_PIN(isum[t]);
            }
        }
        add_terms(T, acc, isum, _mm256_cvtph_ps(avx2_loadu128(blk)), a->dy[b - b0]);
    }
}

/* ---- Q4_0 for many tokens: 32 rows per pass, weights from L1 ----
 *
 * With the activations as maddubs' unsigned operand (quants + 128, 0..255)
 * and the codes - 8 (-8..7) as the signed one, the codes, transposed once
 * into a buffer (lane j = row j), are read from memory by the maddubs
 * itself, and each broadcast activation dword serves NQ groups of 8 rows.
 * The loop above, bound by its instruction count, spends a broadcast per
 * maddubs; here a block of 8 rows and one token takes about 23
 * instructions for its 8 maddubs, the float step included. The +128 adds 128 * sum (q - 8)
 * to each row's block sum, a per-row constant taken off again, so isum is
 * the same exact integer and the float steps (lane = row) are the
 * reference's. A pair sum is (q - 8) * u + (q' - 8) * u' in -4080..3570,
 * so a block's 8 maddubs add up in int16 to -32640..28560 before one madd:
 * no saturation, no wrap. */

/* Row groups of 8 per pass. */
#define NQ 4
#define QROWS (NQ * ROWS)
/* Tokens whose activations are laid out together, and blocks per chunk:
 * act (QT * QK * 36 bytes) and rows (QK * NQ * 320) stay in L1. */
#define QT 32
#define QK 16
/* Below this many tokens the loop above is faster: it prefetches the
 * streaming rows and its transposes serve every token (gb 4096x2048, 8
 * tokens: 76 GMAC/s there, 67 here; 9 tokens: 62 there, 69 here). */
#define Q4_0_MIN_TOK 9

typedef struct q4_0_act {
    uint8_t q[QT][QK][32]; /* token t's quants of block b, plus 128 */
    float dy[QT][QK];
} q4_0_act;

typedef struct q4_0_wbuf {
    __m256i w[QK][NQ][8]; /* block b, group g, dword k of the codes - 8 (pairs with activation dword k) */
    __m256i corr[QK][NQ]; /* 128 * sum (q - 8) */
    __m256 dx[QK][NQ];
} q4_0_wbuf;

static void q4_0_act_prep(const uint8_t *y0, size_t ys, int T, int64_t b0, int nb, q4_0_act *a) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int t = 0; t < T; t++) {
        const lc_block_q8_0 *y = (const lc_block_q8_0 *)(y0 + (size_t)t * ys) + b0;
        for (int b = 0; b < nb; b++) {
            _mm256_storeu_si256((__m256i *)a->q[t][b], _mm256_xor_si256(avx2_loadu(y[b].qs), bias));
            a->dy[t][b] = avx2_fp16(y[b].d);
        }
    }
}

/* x: 32 row pointers, or (packed) NQ group pointers. */
AVX2_ALWAYS_INLINE void q4_0_rows_prep(const uint8_t *const *x, bool packed, int64_t b0, int nb, q4_0_wbuf *w) {
    const __m256i m4 = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8), one = _mm256_set1_epi8(1);
    for (int b = 0; b < nb; b++) {
        for (int g = 0; g < NQ; g++) {
            const uint8_t *const *xg = x + (packed ? g : ROWS * g);
            const uint8_t *blk = packed ? xg[0] + (size_t)(b0 + b) * LC_Q4_0X8_BYTES : NULL;
            __m256i c[4];
            if (packed) {
                for (int i = 0; i < 4; i++) c[i] = avx2_loadu(blk + 16 + 32 * i);
            } else {
                __m256i r[4];
                for (int j = 0; j < 4; j++)
                    r[j] = load2x128(((const lc_block_q4_0 *)xg[j] + b0 + b)->qs,
                                     ((const lc_block_q4_0 *)xg[j + 4] + b0 + b)->qs);
                transpose_4x2(r, c);
            }
            __m256i s = _mm256_setzero_si256();
            for (int i = 0; i < 4; i++) {
                const __m256i lo = _mm256_sub_epi8(_mm256_and_si256(c[i], m4), eight);
                const __m256i hi = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(c[i], 4), m4), eight);
                w->w[b][g][i] = lo;
                w->w[b][g][4 + i] = hi;
                s = _mm256_add_epi16(s, _mm256_add_epi16(_mm256_maddubs_epi16(one, lo), _mm256_maddubs_epi16(one, hi)));
            }
            w->corr[b][g] = _mm256_slli_epi32(_mm256_madd_epi16(s, _mm256_set1_epi16(1)), 7);
            w->dx[b][g] = packed ? _mm256_cvtph_ps(avx2_loadu128(blk)) : row_scales(xg, sizeof(lc_block_q4_0), b0 + b);
        }
    }
}

static inline __m256i bcast32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* Token t against the prepared rows, blocks 0..nb-1 in order. */
AVX2_ALWAYS_INLINE void q4_0_token(const q4_0_wbuf *w, const q4_0_act *a, int t, int nb, __m256 *acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++) {
        const uint8_t *y = a->q[t][b];
        __m256i p[NQ];
        const __m256i y0 = bcast32(y);
        for (int g = 0; g < NQ; g++) p[g] = _mm256_maddubs_epi16(y0, w->w[b][g][0]);
        for (int k = 1; k < 8; k++) {
            const __m256i yk = bcast32(y + 4 * k);
            for (int g = 0; g < NQ; g++) {
                p[g] = _mm256_add_epi16(p[g], _mm256_maddubs_epi16(yk, w->w[b][g][k]));
                AVX2_PIN(p[g]);
            }
        }
        const __m256 dy = _mm256_set1_ps(a->dy[t][b]);
        for (int g = 0; g < NQ; g++) {
            const __m256i isum = _mm256_sub_epi32(_mm256_madd_epi16(p[g], ones), w->corr[b][g]);
            const __m256 d = _mm256_mul_ps(w->dx[b][g], dy);
            acc[g] = _mm256_add_ps(acc[g], _mm256_mul_ps(_mm256_cvtepi32_ps(isum), d));
        }
    }
}

/* Loops: chunks of QK blocks, groups of QT tokens (activations laid out
 * once), passes of QROWS rows (transposed once; a short last pass repeats
 * its last row and drops those results), tokens. Between chunks the
 * running sums wait in `out`, as above. The buffers (38 KiB) live in this
 * function, off the stack of decode calls. */
AVX2_ALWAYS_INLINE void q4_0_rows_gemm(bool packed, int64_t n, int64_t n_rows, int64_t n_tok, const void *x,
                                       size_t x_stride, const void *y, size_t y_stride, float *out,
                                       size_t out_stride) {
    const int64_t nb = n / LC_QK8_0;
    q4_0_act act;
    q4_0_wbuf w;
    for (int64_t k0 = 0; k0 < nb; k0 += QK) {
        const int kn = (int)LC_MIN((int64_t)QK, nb - k0);
        for (int64_t g0 = 0; g0 < n_tok; g0 += QT) {
            const int T = (int)LC_MIN((int64_t)QT, n_tok - g0);
            q4_0_act_prep((const uint8_t *)y + (size_t)g0 * y_stride, y_stride, T, k0, kn, &act);
            for (int64_t r0 = 0; r0 < n_rows; r0 += QROWS) {
                const uint8_t *xr[QROWS];
                if (packed) /* groups of 8 rows start 8 rows apart (n_rows % 8 == 0) */
                    for (int g = 0; g < NQ; g++)
                        xr[g] = (const uint8_t *)x + (size_t)LC_MIN(r0 + ROWS * g, n_rows - ROWS) * x_stride;
                else
                    for (int j = 0; j < QROWS; j++)
                        xr[j] = (const uint8_t *)x + (size_t)LC_MIN(r0 + j, n_rows - 1) * x_stride;
                const int nr = (int)LC_MIN((int64_t)QROWS, n_rows - r0);
                q4_0_rows_prep(xr, packed, k0, kn, &w);
                for (int t = 0; t < T; t++) {
                    /* a full pass reads and writes `out` in place; a short
                     * one goes through f (a variable-size memcpy per token
                     * cost 6 % of a 128-token prompt) */
                    float *const o = out + (size_t)(g0 + t) * out_stride + (size_t)r0;
                    float f[QROWS];
                    float *const s = nr == QROWS ? o : f;
                    __m256 acc[NQ];
                    if (nr < QROWS) { /* (zeroing f for every token showed as rep stos in profiles) */
                        memset(f, 0, sizeof f);
                        if (k0 > 0) memcpy(f, o, (size_t)nr * sizeof(float));
                        for (int g = 0; g < NQ; g++) acc[g] = _mm256_loadu_ps(f + ROWS * g);
                    } else {
                        for (int g = 0; g < NQ; g++) acc[g] = k0 > 0 ? _mm256_loadu_ps(o + ROWS * g) : _mm256_setzero_ps();
                    }
                    if (kn == QK)
                        q4_0_token(&w, &act, t, QK, acc);
                    else
                        q4_0_token(&w, &act, t, kn, acc);
                    for (int g = 0; g < NQ; g++) _mm256_storeu_ps(s + ROWS * g, acc[g]);
                    if (nr < QROWS) memcpy(o, f, (size_t)nr * sizeof(float));
                }
            }
        }
    }
}

static __attribute__((noinline)) void gemm_q4_0_rows(int64_t n, int64_t n_rows, int64_t n_tok, const void *x,
                                                     size_t x_stride, const void *y, size_t y_stride, float *out,
                                                     size_t out_stride) {
    q4_0_rows_gemm(false, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

static __attribute__((noinline)) void gemm_q4_0x8_rows(int64_t n, int64_t n_rows, int64_t n_tok, const void *x,
                                                       size_t x_stride, const void *y, size_t y_stride, float *out,
                                                       size_t out_stride) {
    q4_0_rows_gemm(true, n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

/* Lays out tokens t0..t0+T-1 (rows of y, y_stride bytes apart), blocks
 * k0..k1-1, as the activation tile (prep_tile) for both gemm drivers. */
AVX2_ALWAYS_INLINE void prep_token_tile(const void *y, size_t y_stride, int64_t t0, int T, int64_t k0, int64_t k1,
                                        bool with_sums, act_tile *tile) {
    const lc_block_q8_0 *yt[Q4Q8_TOK_MAX];
    for (int t = 0; t < T; t++) yt[t] = (const lc_block_q8_0 *)((const uint8_t *)y + (size_t)(t0 + t) * y_stride) + k0;
    prep_tile(yt, T, k1 - k0, with_sums, tile);
}

/* Loop order: chunks of K_BLOCKS blocks (the tokens' activation slices
 * stay in L1/L2), then groups of Q4Q8_TOK_MAX tokens (their per-block terms
 * prepared once), then groups of 8 rows (a short last group repeats its
 * last row and drops the extra results). Between chunks the running sums
 * wait in `out`: a float stored and reloaded is the same float, so the
 * order of every element's additions is still block by block. */
#define DEFINE_GEMM(LINKAGE, GEMM, ROWS_FN, SUMS)                                                           \
    LINKAGE void GEMM(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y, \
              size_t y_stride, float *out, size_t out_stride) {                                         \
        if (n_rows <= 0 || n_tok <= 0) return;                                                          \
        const int64_t nb = n / LC_QK8_0;                                                                \
        act_tile tile;                                                                                  \
        for (int64_t k0 = 0; k0 < nb; k0 += K_BLOCKS) {                                                 \
            const int64_t k1 = LC_MIN(nb, k0 + K_BLOCKS);                                               \
            const bool first = k0 == 0;                                                                 \
            for (int64_t t0 = 0; t0 < n_tok; t0 += Q4Q8_TOK_MAX) {                                             \
                const int T = (int)LC_MIN((int64_t)Q4Q8_TOK_MAX, n_tok - t0);                                  \
                prep_token_tile(y, y_stride, t0, T, k0, k1, SUMS, &tile);                                      \
                for (int64_t r0 = 0; r0 < n_rows; r0 += ROWS) {                                         \
                    const uint8_t *xr[ROWS];                                                            \
                    for (int j = 0; j < ROWS; j++)                                                      \
                        xr[j] = (const uint8_t *)x + (size_t)LC_MIN(r0 + j, n_rows - 1) * x_stride;     \
                    const int nr = (int)LC_MIN((int64_t)ROWS, n_rows - r0);                             \
                    __m256 acc[Q4Q8_TOK_MAX];                                                                  \
                    for (int t = 0; t < Q4Q8_TOK_MAX; t++) {                                                   \
                        float *const o = &out[(size_t)(t0 + t) * out_stride + (size_t)r0];              \
                        float f[ROWS];                                                                  \
                        if (first || t >= T) acc[t] = _mm256_setzero_ps();                              \
                        else if (nr == ROWS) acc[t] = _mm256_loadu_ps(o);                               \
                        else memset(f, 0, sizeof f), memcpy(f, o, (size_t)nr * sizeof(float)),          \
                             acc[t] = _mm256_loadu_ps(f);                                               \
                    }                                                                                   \
                    /* the next group's rows, a contiguous span, fetched   \
                     * ahead in even steps while the matrix streams from   \
                     * DRAM (one token); integer arithmetic, as the span   \
                     * may lie past the matrix and a prefetch never faults */ \
                    const char *pf = (const char *)((uintptr_t)x + (size_t)(r0 + ROWS) * x_stride);     \
                    const size_t pf_step =                                                              \
                        T == 1 ? ((size_t)ROWS * x_stride / (size_t)nb + 63) & ~(size_t)63 : 0;         \
                    switch (T) { /* constant T: the token loops unroll */                               \
                    case 8: ROWS_FN(k0, k1, xr, 8, &tile, acc, pf, pf_step); break; \
                    case 7: ROWS_FN(k0, k1, xr, 7, &tile, acc, pf, pf_step); break; \
                    case 6: ROWS_FN(k0, k1, xr, 6, &tile, acc, pf, pf_step); break;                  \
                    case 5: ROWS_FN(k0, k1, xr, 5, &tile, acc, pf, pf_step); break;                  \
                    case 4: ROWS_FN(k0, k1, xr, 4, &tile, acc, pf, pf_step); break;                  \
                    case 3: ROWS_FN(k0, k1, xr, 3, &tile, acc, pf, pf_step); break;                  \
                    case 2: ROWS_FN(k0, k1, xr, 2, &tile, acc, pf, pf_step); break;                  \
                    default: ROWS_FN(k0, k1, xr, 1, &tile, acc, pf, pf_step); break;                 \
                    }                                                                                   \
                    for (int t = 0; t < T; t++) {                                                       \
                        float *const o = &out[(size_t)(t0 + t) * out_stride + (size_t)r0];              \
                        float f[ROWS];                                                                  \
                        if (nr == ROWS) {                                                               \
                            _mm256_storeu_ps(o, acc[t]);                                                \
                        } else {                                                                        \
                            _mm256_storeu_ps(f, acc[t]);                                                \
                            memcpy(o, f, (size_t)nr * sizeof(float));                                   \
                        }                                                                               \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

DEFINE_GEMM(static, gemm_q4_0_tiles, q4_0_rows, true)
DEFINE_GEMM(, lc_gemm_q8_0_q8_0_avx2, q8_0_rows, false)

void lc_gemm_q4_0_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                            size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok < Q4_0_MIN_TOK)
        gemm_q4_0_tiles(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else
        gemm_q4_0_rows(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}

/* Packed Q4_0 (lc_pack8): x is the packed image of n_rows rows
 * (n_rows % 8 == 0), x_stride the unpacked row size, so rows r.. start at
 * x + r * x_stride as in the unpacked matrix. The loops are those above;
 * only the weight loads differ, so the bits are the same. */
#define DEFINE_PACKED_TILES(LINKAGE, NAME, ROWS_FN, SUMS)                                                       \
    LINKAGE void NAME(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,   \
                     size_t y_stride, float *out, size_t out_stride) {                                          \
        const int64_t nb = n / LC_QK8_0;                                                                        \
        act_tile tile;                                                                                          \
        for (int64_t k0 = 0; k0 < nb; k0 += K_BLOCKS) {                                                         \
            const int64_t k1 = LC_MIN(nb, k0 + K_BLOCKS);                                                       \
            for (int64_t t0 = 0; t0 < n_tok; t0 += Q4Q8_TOK_MAX) {                                                     \
                const int T = (int)LC_MIN((int64_t)Q4Q8_TOK_MAX, n_tok - t0);                                          \
                prep_token_tile(y, y_stride, t0, T, k0, k1, SUMS, &tile);                                      \
                for (int64_t r0 = 0; r0 < n_rows; r0 += ROWS) {                                                 \
                    const uint8_t *xp = (const uint8_t *)x + (size_t)r0 * x_stride;                             \
                    __m256 acc[Q4Q8_TOK_MAX];                                                                          \
                    for (int t = 0; t < Q4Q8_TOK_MAX; t++)                                                             \
                        acc[t] = k0 == 0 || t >= T                                                              \
                                     ? _mm256_setzero_ps()                                                      \
                                     : _mm256_loadu_ps(&out[(size_t)(t0 + t) * out_stride + (size_t)r0]);       \
                    switch (T) { /* constant T: the token loops unroll */                                       \
                    case 8: ROWS_FN(k0, k1, xp, 8, &tile, acc, false); break;                                   \
                    case 7: ROWS_FN(k0, k1, xp, 7, &tile, acc, false); break;                                   \
                    case 6: ROWS_FN(k0, k1, xp, 6, &tile, acc, false); break;                                   \
                    case 5: ROWS_FN(k0, k1, xp, 5, &tile, acc, false); break;                                   \
                    case 4: ROWS_FN(k0, k1, xp, 4, &tile, acc, false); break;                                   \
                    case 3: ROWS_FN(k0, k1, xp, 3, &tile, acc, false); break;                                   \
                    case 2: ROWS_FN(k0, k1, xp, 2, &tile, acc, false); break;                                   \
                    default: ROWS_FN(k0, k1, xp, 1, &tile, acc, true); break;                                   \
                    }                                                                                           \
                    for (int t = 0; t < T; t++)                                                                 \
                        _mm256_storeu_ps(&out[(size_t)(t0 + t) * out_stride + (size_t)r0], acc[t]);             \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

DEFINE_PACKED_TILES(static, gemm_q4_0x8_tiles, q4_0x8_rows, true)
DEFINE_PACKED_TILES(, lc_gemm_q8_0x8_q8_0_avx2, q8_0x8_rows, false)

void lc_gemm_q4_0x8_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok < Q4_0_MIN_TOK)
        gemm_q4_0x8_tiles(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
    else
        gemm_q4_0x8_rows(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
}
