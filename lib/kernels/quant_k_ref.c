/* Reference K-quant encoders (see quant_k_ref.h for the contract).
 *
 * Every K-quant stores a 256-element super-block as small integer codes in
 * sub-blocks of 16 or 32, each sub-block with its own integer scale (and,
 * for Q2_K/Q4_K/Q5_K, an integer min), and one or two fp16 super-scales.
 * Encoding happens in three steps:
 *   1. fit each sub-block on its own with a float scale (and min) by a small
 *      search that minimizes a weighted error;
 *   2. quantize those float scales to the block's integer scale field
 *      relative to the largest one, which becomes the fp16 super-scale;
 *   3. re-quantize every element with the scale it will actually be decoded
 *      with (super-scale x integer scale), so rounding of the scales does
 *      not add to the error.
 * The searches, their constants and the order of float operations are
 * ggml's; changing any of them changes bytes (and breaks the block-for-block
 * comparison against llama.cpp's files), so the code keeps expressions in
 * ggml's evaluation order even where another order reads more naturally.
 *
 * Contraction of a*b+c into fused multiply-adds would also change bytes.
 * GCC in ISO C mode (-std=c11) does not contract; clang needs telling. */
#include "quant_k_ref.h"

#include "blocks.h"
#include "kernels.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* A group whose largest magnitude is below this is all zeros (ggml's
 * GROUP_MAX_EPS). */
#define GROUP_EPS 1e-15f

static inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Largest-magnitude element of x[0..n), with its sign; *amax gets |.|. */
static float signed_max(int n, const float *x, float *amax) {
    float max = 0.f, a = 0.f;
    for (int i = 0; i < n; i++) {
        const float ax = fabsf(x[i]);
        if (ax > a) {
            a = ax;
            max = x[i];
        }
    }
    *amax = a;
    return max;
}

/* ---- sub-block fits --------------------------------------------------- */

/* Affine fit x ~ scale * L + min with L in 0..nmax and min <= 0 (ggml's
 * make_qkx2_quants). Starts from the min/max grid, then tries nstep + 1
 * grid stretches (nmax + rmin + rdelta * is levels across the range); for
 * each, solves the weighted least-squares scale and min for the rounded
 * codes and keeps the one with the smallest weighted error (absolute or
 * squared). Returns the scale; *neg_min = -min >= 0. */
static float fit_affine(int n, int nmax, const float *x, const float *w, uint8_t *L,
                        uint8_t *Laux, float *neg_min, float rmin, float rdelta, int nstep,
                        bool abs_err) {
    float lo = x[0], hi = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (lo > 0) lo = 0;
    if (hi == lo) {
        memset(L, 0, (size_t)n);
        *neg_min = -lo;
        return 0.f;
    }
    float iscale = nmax / (hi - lo);
    float scale = 1 / iscale;
    float best = 0;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)clamp_int(lc_nearest_int(iscale * (x[i] - lo)), 0, nmax);
        float diff = scale * L[i] + lo - x[i];
        diff = abs_err ? fabsf(diff) : diff * diff;
        best += w[i] * diff;
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (hi - lo);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            const int l = clamp_int(lc_nearest_int(iscale * (x[i] - lo)), 0, nmax);
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (!(D > 0)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0) {
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * Laux[i] + this_min - x[i];
            diff = abs_err ? fabsf(diff) : diff * diff;
            err += w[i] * diff;
        }
        if (err < best) {
            memcpy(L, Laux, (size_t)n);
            best = err;
            scale = this_scale;
            lo = this_min;
        }
    }
    *neg_min = -lo;
    return scale;
}

/* Rounds x to the symmetric grid l = nearest(iscale x) in -nmax..nmax-1,
 * stores L[i] = l + bias and returns the weighted sums (weights x^2)
 * sum w x l and sum w l^2, in element order. */
static inline void round_symmetric(int n, int nmax, float iscale, const float *x, int bias, int8_t *L,
                                   float *sumlx_out, float *suml2_out) {
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        const int l = clamp_int(lc_nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + bias);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    *sumlx_out = sumlx;
    *suml2_out = suml2;
}

/* Symmetric fit x ~ scale * (L - nmax), L in 0..2 nmax - 1, weights x^2
 * (ggml's make_qx_quants with rmse_type 1 and no importance). The largest
 * magnitude maps to -nmax; then 18 neighbouring grids (nmax +- 0.1 k) are
 * tried and the one maximizing (sum w x l)^2 / sum w l^2, i.e. minimizing
 * the weighted squared error at the optimal scale, wins. */
static float fit_symmetric(int n, int nmax, const float *x, int8_t *L) {
    float amax;
    const float max = signed_max(n, x, &amax);
    if (amax < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float sumlx, suml2;
    round_symmetric(n, nmax, -nmax / max, x, nmax, L, &sumlx, &suml2);
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        int8_t cand[32];
        round_symmetric(n, nmax, -(nmax + 0.1f * is) / max, x, nmax, cand, &sumlx, &suml2);
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            memcpy(L, cand, (size_t)n);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* Symmetric fit for Q3_K (ggml's make_q3_quants with do_rmse): start from
 * the max-magnitude grid, then up to 5 sweeps of coordinate descent, each
 * code moved to its best value given the others if that raises
 * (sum w x l)^2 / sum w l^2 (weights x^2). L ends in 0..2 nmax - 1. */
static float fit_q3(int n, int nmax, const float *x, int8_t *L) {
    float amax;
    const float max = signed_max(n, x, &amax);
    if (amax < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float sumlx, suml2;
    round_symmetric(n, nmax, -nmax / max, x, 0, L, &sumlx, &suml2);
    for (int sweep = 0; sweep < 5; sweep++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * L[i];
            if (!(slx > 0)) continue;
            float sl2 = suml2 - w * L[i] * L[i];
            const int l = clamp_int(lc_nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (l == L[i]) continue;
            slx += w * x[i] * l;
            sl2 += w * l * l;
            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (int8_t)l;
                sumlx = slx;
                suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return sumlx / suml2;
}

/* ---- packing helpers ------------------------------------------------- */

/* Four 2-bit codes per byte: element 128h + 32k + l goes to bits 2k..2k+1
 * of qs[32h + l] (Q2_K values, Q3_K low bits). */
static void pack_2bit(const uint8_t L[256], uint8_t qs[64]) {
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *e = L + 128 * h + l;
            qs[32 * h + l] = (uint8_t)(e[0] | e[32] << 2 | e[64] << 4 | e[96] << 6);
        }
}

/* Q4_K/Q5_K scale field: see LC_K_SCALE_SIZE in blocks.h. */
static void pack_k_scales(const uint8_t sc[8], const uint8_t mn[8], uint8_t p[12]) {
    for (int j = 0; j < 4; j++) {
        p[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
        p[j + 4] = (uint8_t)(mn[j] | (mn[j + 4] >> 4) << 6);
        p[j + 8] = (uint8_t)((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
    }
}

/* Steps 1-3 for Q4_K/Q5_K: eight 32-element sub-blocks, affine fit with
 * weights rms(sub-block) + |x|, 6-bit scales and mins relative to the
 * largest of each, final codes L[0..256) in 0..nmax. */
static void encode_k_affine(const float *x, int nmax, float rmin, int nstep, uint16_t *d16,
                            uint16_t *dmin16, uint8_t packed[12], uint8_t L[256]) {
    float scales[8], mins[8], w[32];
    uint8_t Laux[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        const float *xs = x + 32 * j;
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++) sum_x2 += xs[l] * xs[l];
        const float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) w[l] = av_x + fabsf(xs[l]);
        scales[j] = fit_affine(32, nmax, xs, w, L + 32 * j, Laux, &mins[j], rmin, 0.1f, nstep, false);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; j++) {
        /* ggml narrows to uint8 before clamping: a (rare) negative fit
         * wraps to a large value and clamps to 63. */
        const uint8_t ls = (uint8_t)lc_nearest_int(inv_scale * scales[j]);
        const uint8_t lm = (uint8_t)lc_nearest_int(inv_min * mins[j]);
        sc[j] = ls < 63 ? ls : 63;
        mn[j] = lm < 63 ? lm : 63;
    }
    pack_k_scales(sc, mn, packed);
    *d16 = lc_fp32_to_fp16(max_scale / 63.f);
    *dmin16 = lc_fp32_to_fp16(max_min / 63.f);
    for (int j = 0; j < 8; j++) {
        const float d = lc_fp16_to_fp32(*d16) * sc[j];
        if (!d) continue; /* the fit's codes stay */
        const float dm = lc_fp16_to_fp32(*dmin16) * mn[j];
        for (int i = 0; i < 32; i++)
            L[32 * j + i] = (uint8_t)clamp_int(lc_nearest_int((x[32 * j + i] + dm) / d), 0, nmax);
    }
}

/* ---- encoders --------------------------------------------------------- */

void lc_q2_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q2_K *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        const float *x = src;
        uint8_t L[256], Laux[16];
        float w[16], scales[16], mins[16];
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) w[l] = fabsf(x[16 * j + l]);
            scales[j] = fit_affine(16, 3, x + 16 * j, w, L + 16 * j, Laux, &mins[j], -0.5f, 0.1f,
                                   15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        /* 4-bit scales (low nibble) and mins (high nibble) over 15 levels */
        if (max_scale > 0) {
            const float iscale = 15.f / max_scale;
            for (int j = 0; j < 16; j++) y[b].scales[j] = (uint8_t)lc_nearest_int(iscale * scales[j]);
            y[b].d = lc_fp32_to_fp16(max_scale / 15.f);
        } else {
            memset(y[b].scales, 0, sizeof y[b].scales);
            y[b].d = lc_fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            const float iscale = 15.f / max_min;
            for (int j = 0; j < 16; j++)
                y[b].scales[j] = (uint8_t)(y[b].scales[j] | lc_nearest_int(iscale * mins[j]) << 4);
            y[b].dmin = lc_fp32_to_fp16(max_min / 15.f);
        } else {
            y[b].dmin = lc_fp32_to_fp16(0.f);
        }
        for (int j = 0; j < 16; j++) {
            const float d = lc_fp16_to_fp32(y[b].d) * (y[b].scales[j] & 15);
            if (!d) continue;
            const float dm = lc_fp16_to_fp32(y[b].dmin) * (y[b].scales[j] >> 4);
            for (int i = 0; i < 16; i++)
                L[16 * j + i] = (uint8_t)clamp_int(lc_nearest_int((x[16 * j + i] + dm) / d), 0, 3);
        }
        pack_2bit(L, y[b].qs);
    }
}

/* Fits the 16 sub-blocks of 16 of a super-block each with fit (codes into
 * L, scale into scales) and returns the scale of largest magnitude (the
 * first on ties), its magnitude in *amax_out. */
static inline float fit_sub16(const float *x, int nmax, float (*fit)(int n, int nmax, const float *x, int8_t *L),
                              float scales[16], int8_t L[256], float *amax_out) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; j++) {
        scales[j] = fit(16, nmax, x + 16 * j, L + 16 * j);
        if (fabsf(scales[j]) > amax) {
            amax = fabsf(scales[j]);
            max_scale = scales[j];
        }
    }
    *amax_out = amax;
    return max_scale;
}

void lc_q3_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q3_K *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        const float *x = src;
        int8_t L[256];
        float scales[16];
        float amax;
        const float max_scale = fit_sub16(x, 4, fit_q3, scales, L, &amax);
        /* signed 6-bit scales, stored +32 (byte map in blocks.h) */
        int sc[16] = {0};
        memset(y[b].scales, 0, sizeof y[b].scales);
        if (max_scale != 0) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < 16; j++) {
                const int8_t l = (int8_t)lc_nearest_int(iscale * scales[j]);
                const int v = clamp_int(l, -32, 31) + 32;
                y[b].scales[j % 8] = (uint8_t)(y[b].scales[j % 8] | (v & 15) << (j < 8 ? 0 : 4));
                y[b].scales[8 + j % 4] = (uint8_t)(y[b].scales[8 + j % 4] | (v >> 4) << (2 * (j / 4)));
                sc[j] = v - 32;
            }
            y[b].d = lc_fp32_to_fp16(1 / iscale);
        } else {
            y[b].d = lc_fp32_to_fp16(0.f);
        }
        for (int j = 0; j < 16; j++) {
            const float d = lc_fp16_to_fp32(y[b].d) * sc[j];
            if (!d) continue;
            for (int i = 0; i < 16; i++)
                L[16 * j + i] = (int8_t)(clamp_int(lc_nearest_int(x[16 * j + i] / d), -4, 3) + 4);
        }
        /* codes 0..7: bit 2 to hmask (element e: bit e / 32 of hmask[e % 32]),
         * bits 0..1 to qs */
        uint8_t low[256];
        memset(y[b].hmask, 0, sizeof y[b].hmask);
        for (int e = 0; e < 256; e++) {
            int q = L[e];
            if (q > 3) {
                y[b].hmask[e % 32] = (uint8_t)(y[b].hmask[e % 32] | 1u << (e / 32));
                q -= 4;
            }
            low[e] = (uint8_t)q;
        }
        pack_2bit(low, y[b].qs);
    }
}

void lc_q4_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q4_K *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        uint8_t L[256];
        encode_k_affine(src, 15, -1.f, 20, &y[b].d, &y[b].dmin, y[b].scales, L);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                y[b].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | L[64 * c + 32 + l] << 4);
    }
}

void lc_q5_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q5_K *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        uint8_t L[256];
        encode_k_affine(src, 31, -0.5f, 15, &y[b].d, &y[b].dmin, y[b].scales, L);
        /* bit 4 of element 32j + l is bit j of qh[l]; low bits as Q4_K */
        memset(y[b].qh, 0, sizeof y[b].qh);
        for (int e = 0; e < 256; e++)
            if (L[e] > 15) y[b].qh[e % 32] = (uint8_t)(y[b].qh[e % 32] | 1u << (e / 32));
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                y[b].qs[32 * c + l] =
                    (uint8_t)((L[64 * c + l] & 15) | (L[64 * c + 32 + l] & 15) << 4);
    }
}

void lc_q6_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q6_K *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        const float *x = src;
        int8_t L[256];
        float scales[16];
        float max_abs;
        const float max_scale = fit_sub16(x, 32, fit_symmetric, scales, L, &max_abs);
        if (max_abs < GROUP_EPS) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* int8 scales relative to the largest, which maps to -128 */
        const float iscale = -128.f / max_scale;
        y[b].d = lc_fp32_to_fp16(1 / iscale);
        for (int s = 0; s < 16; s++) {
            const int v = lc_nearest_int(iscale * scales[s]);
            y[b].scales[s] = (int8_t)(v < 127 ? v : 127);
        }
        for (int s = 0; s < 16; s++) {
            const float d = lc_fp16_to_fp32(y[b].d) * y[b].scales[s];
            if (!d) continue;
            for (int i = 0; i < 16; i++)
                L[16 * s + i] = (int8_t)(clamp_int(lc_nearest_int(x[16 * s + i] / d), -32, 31) + 32);
        }
        /* byte map in blocks.h: per half of 128, low nibbles to ql, bits
         * 4..5 to qh, element groups of 32 interleaved */
        for (int h = 0; h < 2; h++) {
            const int8_t *e = L + 128 * h;
            uint8_t *ql = y[b].ql + 64 * h, *qh = y[b].qh + 32 * h;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((e[l] & 15) | (e[l + 64] & 15) << 4);
                ql[l + 32] = (uint8_t)((e[l + 32] & 15) | (e[l + 96] & 15) << 4);
                qh[l] = (uint8_t)((e[l] >> 4) | (e[l + 32] >> 4) << 2 | (e[l + 64] >> 4) << 4 |
                                  (e[l + 96] >> 4) << 6);
            }
        }
    }
}
