/* Scalar reference kernels for the 256-element super-block encodings:
 * Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS and the activation encoding Q8_K
 * (byte maps in blocks.h).
 *
 * Each super-block is unpacked into 256 small signed codes plus its
 * per-sub-block integer scales (and mins). Decoding multiplies in the order
 * ggml's dequantizers do, so decoded weights are bit-identical to
 * llama.cpp's. Dot products are integer-exact per super-block (codes x Q8_K
 * quants, times integer sub-block scales, in int32) followed by one float
 * multiply by the super-block scales; super-blocks accumulate in order. */
#include "kernels.h"

#include "blocks.h"

#include <math.h>

/* ---- unpacking ---- */

/* 2-bit fields of a 64-byte qs array (Q2_K values, Q3_K low bits). */
static inline void unpack_2bit(const uint8_t qs[64], int8_t q[256]) {
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 32; l++)
                q[128 * h + 32 * k + l] = (int8_t)((qs[32 * h + l] >> (2 * k)) & 3);
}

static void unpack_q2_K(const lc_block_q2_K *b, int8_t q[256], int sc[16], int mn[16]) {
    unpack_2bit(b->qs, q);
    for (int s = 0; s < 16; s++) {
        sc[s] = b->scales[s] & 15;
        mn[s] = b->scales[s] >> 4;
    }
}

/* Codes in -4..3 and the signed scales sc - 32. */
static void unpack_q3_K(const lc_block_q3_K *b, int8_t q[256], int sc[16]) {
    unpack_2bit(b->qs, q);
    for (int k = 0; k < 8; k++) /* element 32k + l: bit k of hmask[l] */
        for (int l = 0; l < 32; l++)
            q[32 * k + l] = (int8_t)(q[32 * k + l] - 4 + (((b->hmask[l] >> k) & 1) << 2));
    for (int s = 0; s < 16; s++) {
        const int low = s < 8 ? b->scales[s] & 15 : b->scales[s - 8] >> 4;
        const int high = (b->scales[8 + s % 4] >> (2 * (s / 4))) & 3;
        sc[s] = (low | high << 4) - 32;
    }
}

/* The 6-bit scales and mins of Q4_K/Q5_K (see LC_K_SCALE_SIZE). */
static void unpack_k_scales(const uint8_t p[12], int sc[8], int mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = p[j] & 63;
        mn[j] = p[j + 4] & 63;
        sc[j + 4] = (p[j + 8] & 15) | (p[j] >> 6) << 4;
        mn[j + 4] = (p[j + 8] >> 4) | (p[j + 4] >> 6) << 4;
    }
}

/* Low nibbles of chunk c are sub-block 2c, high nibbles sub-block 2c+1. */
static inline void unpack_k_nibbles(const uint8_t qs[128], int8_t q[256]) {
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) {
            q[64 * c + l] = (int8_t)(qs[32 * c + l] & 15);
            q[64 * c + 32 + l] = (int8_t)(qs[32 * c + l] >> 4);
        }
}

static void unpack_q4_K(const lc_block_q4_K *b, int8_t q[256], int sc[8], int mn[8]) {
    unpack_k_nibbles(b->qs, q);
    unpack_k_scales(b->scales, sc, mn);
}

static void unpack_q5_K(const lc_block_q5_K *b, int8_t q[256], int sc[8], int mn[8]) {
    unpack_k_nibbles(b->qs, q);
    for (int j = 0; j < 8; j++) /* element 32j + l: bit j of qh[l] */
        for (int l = 0; l < 32; l++) q[32 * j + l] = (int8_t)(q[32 * j + l] | ((b->qh[l] >> j) & 1) << 4);
    unpack_k_scales(b->scales, sc, mn);
}

/* Codes in -32..31 and the int8 scales. */
static void unpack_q6_K(const lc_block_q6_K *b, int8_t q[256], int sc[16]) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        int8_t *o = q + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (int8_t)(((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4) - 32);
            o[l + 32] = (int8_t)(((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4) - 32);
            o[l + 64] = (int8_t)(((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
            o[l + 96] = (int8_t)(((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
        }
    }
    for (int s = 0; s < 16; s++) sc[s] = b->scales[s];
}

/* IQ4_XS: level values (not codes) and the signed scales ls - 32. */
static void unpack_iq4_xs(const lc_block_iq4_xs *b, int8_t q[256], int sc[8]) {
    for (int j = 0; j < 8; j++) {
        const int low = (b->scales_l[j / 2] >> (4 * (j % 2))) & 15;
        const int high = (b->scales_h >> (2 * j)) & 3;
        sc[j] = (low | high << 4) - 32;
        for (int l = 0; l < 16; l++) {
            q[32 * j + l] = lc_iq4nl_values[b->qs[16 * j + l] & 15];
            q[32 * j + 16 + l] = lc_iq4nl_values[b->qs[16 * j + l] >> 4];
        }
    }
}

/* Integer dot of `len` codes with Q8_K quants. */
static inline int32_t dot_i8(const int8_t *a, const int8_t *b, int len) {
    int32_t sum = 0;
    for (int j = 0; j < len; j++) sum += (int32_t)a[j] * b[j];
    return sum;
}

/* ---- decoding ---- */

void lc_q2_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q2_K *b = src;
    int8_t q[256];
    int sc[16], mn[16];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        const float d = lc_fp16_to_fp32(b[i].d), dmin = lc_fp16_to_fp32(b[i].dmin);
        unpack_q2_K(&b[i], q, sc, mn);
        for (int s = 0; s < 16; s++) {
            const float dl = d * (float)sc[s], ml = dmin * (float)mn[s];
            for (int l = 0; l < 16; l++) dst[16 * s + l] = dl * (float)q[16 * s + l] - ml;
        }
    }
}

void lc_q3_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q3_K *b = src;
    int8_t q[256];
    int sc[16];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        const float d = lc_fp16_to_fp32(b[i].d);
        unpack_q3_K(&b[i], q, sc);
        for (int s = 0; s < 16; s++) {
            const float dl = d * (float)sc[s];
            for (int l = 0; l < 16; l++) dst[16 * s + l] = dl * (float)q[16 * s + l];
        }
    }
}

/* Q4_K and Q5_K decode alike once unpacked. */
static void k_minscale_to_float(const int8_t q[256], const int sc[8], const int mn[8], float d,
                                float dmin, float *dst) {
    for (int j = 0; j < 8; j++) {
        const float dl = d * (float)sc[j], ml = dmin * (float)mn[j];
        for (int l = 0; l < 32; l++) dst[32 * j + l] = dl * (float)q[32 * j + l] - ml;
    }
}

void lc_q4_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q4_K *b = src;
    int8_t q[256];
    int sc[8], mn[8];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        unpack_q4_K(&b[i], q, sc, mn);
        k_minscale_to_float(q, sc, mn, lc_fp16_to_fp32(b[i].d), lc_fp16_to_fp32(b[i].dmin), dst);
    }
}

void lc_q5_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q5_K *b = src;
    int8_t q[256];
    int sc[8], mn[8];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        unpack_q5_K(&b[i], q, sc, mn);
        k_minscale_to_float(q, sc, mn, lc_fp16_to_fp32(b[i].d), lc_fp16_to_fp32(b[i].dmin), dst);
    }
}

void lc_q6_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q6_K *b = src;
    int8_t q[256];
    int sc[16];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        const float d = lc_fp16_to_fp32(b[i].d);
        unpack_q6_K(&b[i], q, sc);
        for (int s = 0; s < 16; s++) {
            const float dl = d * (float)sc[s];
            for (int l = 0; l < 16; l++) dst[16 * s + l] = dl * (float)q[16 * s + l];
        }
    }
}

void lc_iq4_xs_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_iq4_xs *b = src;
    int8_t q[256];
    int sc[8];
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256) {
        const float d = lc_fp16_to_fp32(b[i].d);
        unpack_iq4_xs(&b[i], q, sc);
        for (int j = 0; j < 8; j++) {
            const float dl = d * (float)sc[j];
            for (int l = 0; l < 32; l++) dst[32 * j + l] = dl * (float)q[32 * j + l];
        }
    }
}

void lc_q8_K_to_float_ref(const void *src, float *dst, int64_t n) {
    const lc_block_q8_K *b = src;
    for (int64_t i = 0; i < n / LC_QK_K; i++, dst += 256)
        for (int j = 0; j < 256; j++) dst[j] = b[i].d * (float)b[i].qs[j];
}

/* ---- Q8_K encoding ---- */

/* ggml's reference: the signed value of largest magnitude maps to -127
 * (so d = 1 / (-127 / max) is negative when max is positive), rounding is
 * nearest_int (ties to even), and quants are capped at 127 (-max gives
 * +127; the cap only matters for rounding noise). */
void lc_q8_K_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q8_K *b = dst;
    for (int64_t i = 0; i < n / LC_QK_K; i++, src += 256) {
        float amax = 0.f, max = 0.f;
        for (int j = 0; j < 256; j++) {
            if (fabsf(src[j]) > amax) {
                amax = fabsf(src[j]);
                max = src[j];
            }
        }
        if (amax == 0.f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < 256; j++) {
            const int v = lc_nearest_int(iscale * src[j]);
            b[i].qs[j] = (int8_t)LC_MAX(-128, LC_MIN(127, v));
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += b[i].qs[16 * g + l];
            b[i].bsums[g] = (int16_t)sum;
        }
        b[i].d = 1.f / iscale;
    }
}

/* ---- dot products ---- */

/* Q2_K: sum over sub-blocks of (d sc q - dmin mn) * yd y
 *     = yd d * sum_s sc_s (q . y)_s  -  yd dmin * sum_s mn_s bsum_s. */
void lc_vec_dot_q2_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q2_K *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[16], mn[16];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_q2_K(&x[i], q, sc, mn);
        int32_t isum = 0, imin = 0;
        for (int t = 0; t < 16; t++) {
            isum += sc[t] * dot_i8(q + 16 * t, y[i].qs + 16 * t, 16);
            imin += mn[t] * y[i].bsums[t];
        }
        sum += y[i].d * lc_fp16_to_fp32(x[i].d) * (float)isum -
               y[i].d * lc_fp16_to_fp32(x[i].dmin) * (float)imin;
    }
    *s = sum;
}

void lc_vec_dot_q3_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q3_K *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[16];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_q3_K(&x[i], q, sc);
        int32_t isum = 0;
        for (int t = 0; t < 16; t++) isum += sc[t] * dot_i8(q + 16 * t, y[i].qs + 16 * t, 16);
        sum += lc_fp16_to_fp32(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}

/* Q4_K/Q5_K: as Q2_K with 32-element sub-blocks, whose Q8_K sums are two
 * adjacent bsums. */
static float k_minscale_dot(const int8_t q[256], const int sc[8], const int mn[8], uint16_t d,
                            uint16_t dmin, const lc_block_q8_K *y) {
    int32_t isum = 0, imin = 0;
    for (int j = 0; j < 8; j++) {
        isum += sc[j] * dot_i8(q + 32 * j, y->qs + 32 * j, 32);
        imin += mn[j] * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
    }
    return lc_fp16_to_fp32(d) * y->d * (float)isum - lc_fp16_to_fp32(dmin) * y->d * (float)imin;
}

void lc_vec_dot_q4_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q4_K *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[8], mn[8];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_q4_K(&x[i], q, sc, mn);
        sum += k_minscale_dot(q, sc, mn, x[i].d, x[i].dmin, &y[i]);
    }
    *s = sum;
}

void lc_vec_dot_q5_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q5_K *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[8], mn[8];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_q5_K(&x[i], q, sc, mn);
        sum += k_minscale_dot(q, sc, mn, x[i].d, x[i].dmin, &y[i]);
    }
    *s = sum;
}

void lc_vec_dot_q6_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q6_K *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[16];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_q6_K(&x[i], q, sc);
        int32_t isum = 0;
        for (int t = 0; t < 16; t++) isum += sc[t] * dot_i8(q + 16 * t, y[i].qs + 16 * t, 16);
        sum += lc_fp16_to_fp32(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}

void lc_vec_dot_iq4_xs_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_iq4_xs *x = vx;
    const lc_block_q8_K *y = vy;
    int8_t q[256];
    int sc[8];
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack_iq4_xs(&x[i], q, sc);
        int32_t isum = 0;
        for (int j = 0; j < 8; j++) isum += sc[j] * dot_i8(q + 32 * j, y[i].qs + 32 * j, 32);
        sum += lc_fp16_to_fp32(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}
