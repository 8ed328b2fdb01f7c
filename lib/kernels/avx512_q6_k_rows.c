/* AVX-512 gemm of Q6_K weights in the file's own rows (not repacked) with
 * Q8_K activations, for one token: the output matrix of a model whose
 * output is tied to its token embeddings (llama-3.2-1b), which stays in
 * the file's layout because the embedding lookup reads it row by row.
 * There it is a quarter of the bytes a token reads (215 of 800 MB for
 * llama-3.2-1b), and the AVX2 one-row pass read it at two thirds of the
 * speed of the repacked matrices around it (perf: 32 % of generation time
 * for 27 % of the bytes).
 *
 * One row at a time, so the matrix is read front to back as one stream,
 * with a software prefetch across its pages (PF_BYTES).
 * Per super-block the codes (0..63) come out in element order, 64 to a
 * register: the low nibbles of ql[64h..64h+63] with qh's bits shifted by
 * 4 and 2 (elements 128h..128h+63), the high nibbles with qh shifted by 0
 * and 2 (128h+64..128h+127), one variable shift per 256-bit half. Then
 *     isum = sum_s sc_s (codes . y)_s - 32 sum_s sc_s bsum_s
 * from VPMADDUBSW (codes unsigned, |pair| <= 2 * 63 * 128) and VPDPWSSD
 * with each int16 lane's sub-block scale; the bsum term joins the same
 * accumulator with scales -32 sc_s (|32 sc| <= 4096 fits int16). The sum
 * is exact, so it is the reference's isum; its 16 lanes are added four
 * super-blocks at a time, and the float steps are the reference's,
 * super-blocks in order, nothing fused:
 *     sum = sum + (d * yd) * isum
 *
 * The AVX2 pass runs one row through a 256-bit tile at 10 GB/s on one
 * Zen 4 core with the matrix in cache; this one at 20.
 *
 * More than one token goes to the AVX2 gemm, which gives the same bits. */
#include "avx2_kernels.h"
#include "avx512_kernels.h"

#include "avx512_util.h"
#include "blocks.h"

/* How far ahead of the row being read its successors are fetched into the
 * outer caches. The matrix is the file's mapping, in 4 KiB pages, and the
 * hardware prefetcher stops at each page's end; so does a stream's speed.
 * Measured as the output matrix's read rate over the repacked matrices'
 * rate in the same llama-3.2-1b generation (perf shares, 2 threads,
 * Zen 4 VM, two runs each): no prefetch 0.61-0.68, 2 KiB ahead 0.81-0.85,
 * 8 KiB 1.03-1.06, 16 KiB 1.00-1.01, 32 KiB 0.92-0.96; into L1
 * (_MM_HINT_T0) 4 KiB 0.70-0.80, 16 KiB 0.57. */
#define PF_BYTES 8192

/* The 16 int32 lanes whose sum is super-block x's isum against y. */
A512_ALWAYS_INLINE __m512i block_lanes(const lc_block_q6_K *x, const lc_block_q8_K *y) {
    const __m512i m4 = _mm512_set1_epi8(15), m2hi = _mm512_set1_epi8(0x30);
    /* int16 shift counts: lanes 0..15 (the first 32 bytes) and 16..31 */
    const __m512i shl_lo = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr_hi = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i sc16 = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales)));
    /* the bsum term: bsums[s] against -32 sc[s], lanes 16..31 zero */
    const __m512i bs = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)y->bsums));
    __m512i acc0 = _mm512_dpwssd_epi32(_mm512_setzero_si512(), bs,
                                       _mm512_sub_epi16(_mm512_setzero_si512(), _mm512_slli_epi16(sc16, 5)));
    __m512i acc1 = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++) {
        const __m512i ql = a512_load(x->ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x->qh + 32 * h)));
        const __m512i c_lo = _mm512_or_si512(_mm512_and_si512(ql, m4),
                                             _mm512_and_si512(_mm512_sllv_epi16(qh, shl_lo), m2hi));
        const __m512i c_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                             _mm512_and_si512(_mm512_srlv_epi16(qh, shr_hi), m2hi));
        /* int16 lane k of a 64-code register covers elements 2k, 2k+1:
         * sub-block k / 8 of its four */
        const __m512i sub = _mm512_srli_epi16(
            _mm512_setr_epi64(0x0003000200010000, 0x0007000600050004, 0x000b000a00090008, 0x000f000e000d000c,
                              0x0013001200110010, 0x0017001600150014, 0x001b001a00190018, 0x001f001e001d001c),
            3);
        const __m512i sc_lo = _mm512_permutexvar_epi16(_mm512_add_epi16(sub, _mm512_set1_epi16((short)(8 * h))), sc16);
        const __m512i sc_hi =
            _mm512_permutexvar_epi16(_mm512_add_epi16(sub, _mm512_set1_epi16((short)(8 * h + 4))), sc16);
        const __m512i p_lo = _mm512_maddubs_epi16(c_lo, a512_load(y->qs + 128 * h));
        const __m512i p_hi = _mm512_maddubs_epi16(c_hi, a512_load(y->qs + 128 * h + 64));
        acc0 = _mm512_dpwssd_epi32(acc0, p_lo, sc_lo);
        acc1 = _mm512_dpwssd_epi32(acc1, p_hi, sc_hi);
    }
    return _mm512_add_epi32(acc0, acc1);
}

/* The four lane sums of a, b, c, d, in that order. */
A512_ALWAYS_INLINE __m128i sums4(__m512i a, __m512i b, __m512i c, __m512i d) {
    const __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    const __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    /* ab: a0+a2, b0+b2, a1+a3, b1+b3 per 128-bit lane (likewise cd) */
    const __m512i abcd = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
    /* abcd: a, b, c, d partial sums in each 128-bit lane */
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(abcd), _mm512_extracti64x4_epi64(abcd, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* Row x (nb super-blocks) against y: the reference's float chain. */
static float row_dot(const lc_block_q6_K *x, const lc_block_q8_K *y, int64_t nb) {
    float sum = 0.0f;
    int64_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        const __m128i is = sums4(block_lanes(&x[i], &y[i]), block_lanes(&x[i + 1], &y[i + 1]),
                                 block_lanes(&x[i + 2], &y[i + 2]), block_lanes(&x[i + 3], &y[i + 3]));
        const __m128 d = _mm_cvtph_ps(_mm_setr_epi16((short)x[i].d, (short)x[i + 1].d, (short)x[i + 2].d,
                                                     (short)x[i + 3].d, 0, 0, 0, 0));
        const __m128 yd = _mm_setr_ps(y[i].d, y[i + 1].d, y[i + 2].d, y[i + 3].d);
        float p[4];
        _mm_storeu_ps(p, _mm_mul_ps(_mm_mul_ps(d, yd), _mm_cvtepi32_ps(is)));
        for (int k = 0; k < 4; k++) sum = sum + p[k];
    }
    for (; i < nb; i++) {
        const float isum = (float)_mm512_reduce_add_epi32(block_lanes(&x[i], &y[i]));
        const float d = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(x[i].d)));
        const float dd = d * y[i].d;
        sum = sum + dd * isum;
    }
    return sum;
}

void lc_gemm_q6_K_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok > 1) {
        lc_gemm_q6_K_q8_K_avx2(n, n_rows, n_tok, x, x_stride, y, y_stride, out, out_stride);
        return;
    }
    const int64_t nb = n / LC_QK_K;
    for (int64_t r = 0; r < n_rows; r++) {
        a512_prefetch_outer((uintptr_t)x + (size_t)r * x_stride + PF_BYTES, x_stride);
        out[r] = row_dot((const lc_block_q6_K *)((const uint8_t *)x + (size_t)r * x_stride), y, nb);
    }
}
