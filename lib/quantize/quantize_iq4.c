/* IQ4_NL and IQ4_XS encoders as llama-quantize runs them.
 *
 * Both map each value to the nearest of 16 fixed non-uniform levels
 * (lc_iq4nl_values) times a scale. The kernels' IQ4_NL from_float takes
 * the scale from the largest magnitude and refits it once; llama-quantize
 * additionally tries 15 neighbouring scales (the level the largest value
 * lands on shifted by -7..+7) and keeps the best weighted fit, which
 * changes most blocks. These follow that search (ggml's
 * quantize_row_iq4_nl_impl with ntry 7, weights x^2), in ggml's float
 * operation order so the bytes match. IQ4_XS runs the same fit on each 32-
 * element sub-block, then stores the sub-block scales as 6-bit multiples
 * of one fp16 super-scale. */
#include "quantize.h"

#include "kernels/blocks.h"

#include <math.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define GROUP_EPS 1e-15f
#define NTRY 7

/* Index of the level nearest to x (the upper one on a tie), saturating. */
static int nearest_level(float x) {
    const int8_t *v = lc_iq4nl_values;
    if (x <= v[0]) return 0;
    if (x >= v[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (x < v[mid]) hi = mid;
        else lo = mid;
    }
    return x - v[hi - 1] < v[hi] - x ? hi - 1 : hi;
}

/* Best scale for 32 values: *ok false for an all-zero group. */
static float fit_group(const float *x, bool *ok) {
    const int8_t *v = lc_iq4nl_values;
    float amax = 0, max = 0;
    for (int j = 0; j < 32; j++) {
        const float ax = fabsf(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    *ok = amax >= GROUP_EPS;
    if (!*ok) return 0;
    float d = -max / v[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < 32; j++) {
        const float q = v[nearest_level(id * x[j])];
        const float w = x[j] * x[j];
        sumqx += w * q * x[j];
        sumq2 += w * q * q;
    }
    d = sumqx / sumq2;
    float best = d * sumqx;
    for (int itry = -NTRY; itry <= NTRY; itry++) {
        id = (itry + v[0]) / max;
        sumqx = sumq2 = 0;
        for (int j = 0; j < 32; j++) {
            const float q = v[nearest_level(id * x[j])];
            const float w = x[j] * x[j];
            sumqx += w * q * x[j];
            sumq2 += w * q * q;
        }
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    return d;
}

/* Codes for 32 values at inverse scale id, packed as blocks.h says:
 * byte j holds element j (low nibble) and element j + 16 (high). */
static void encode_group(const float *x, float id, uint8_t qs[16]) {
    uint8_t L[32];
    for (int j = 0; j < 32; j++) L[j] = (uint8_t)nearest_level(id * x[j]);
    for (int j = 0; j < 16; j++) qs[j] = (uint8_t)(L[j] | L[j + 16] << 4);
}

void lc_iq4_nl_quantize_search(const float *src, void *dst, int64_t n) {
    lc_block_iq4_nl *y = dst;
    for (int64_t b = 0; b < n / LC_QK4_NL; b++, src += LC_QK4_NL) {
        bool ok;
        const float d = fit_group(src, &ok);
        y[b].d = lc_fp32_to_fp16(d);
        /* the codes use the unrounded scale, as in ggml */
        encode_group(src, d ? 1 / d : 0, y[b].qs);
    }
}

void lc_iq4_xs_quantize_search(const float *src, void *dst, int64_t n) {
    lc_block_iq4_xs *y = dst;
    for (int64_t b = 0; b < n / LC_QK_K; b++, src += LC_QK_K) {
        float scales[8], max_scale = 0, amax_scale = 0;
        for (int ib = 0; ib < 8; ib++) {
            bool ok;
            scales[ib] = fit_group(src + 32 * ib, &ok);
            if (ok && fabsf(scales[ib]) > amax_scale) {
                amax_scale = fabsf(scales[ib]);
                max_scale = scales[ib];
            }
        }
        /* 6-bit signed sub-scales l in -32..31 of d = -max / 32, stored + 32:
         * low nibbles in scales_l, top two bits in scales_h */
        const float d = -max_scale / 32;
        const float id = d ? 1 / d : 0.f;
        y[b].d = lc_fp32_to_fp16(d);
        memset(y[b].scales_l, 0, sizeof y[b].scales_l);
        unsigned scales_h = 0;
        for (int ib = 0; ib < 8; ib++) {
            int l = lc_nearest_int(id * scales[ib]);
            l = l < -32 ? -32 : l > 31 ? 31 : l;
            const float dl = d * l;
            encode_group(src + 32 * ib, dl ? 1 / dl : 0.f, y[b].qs + 16 * ib);
            l += 32;
            y[b].scales_l[ib / 2] = (uint8_t)(y[b].scales_l[ib / 2] | (l & 15) << 4 * (ib % 2));
            scales_h |= (unsigned)(l >> 4) << 2 * ib;
        }
        y[b].scales_h = (uint16_t)scales_h;
    }
}
