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

/* One super-block unpacked: 256 codes (offsets applied), the integer scale
 * (and min) of each sub-block of 16 or 32 codes, and the float
 * super-block scale(s). Every format's unpack fills this one shape, so
 * decoding and dot products are written once below (k_to_float,
 * k_vec_dot) with the sub-block length and the presence of mins as
 * constant arguments. */
typedef struct {
    int8_t q[256];
    int sc[16], mn[16];
    float d, dmin;
} k_unpacked;

typedef void (*k_unpack_fn)(const void *block, k_unpacked *u);

/* Sub-blocks of 16: sc and mn are the nibbles of scales[s]. */
static inline void unpack_q2_K(const void *vb, k_unpacked *u) {
    const lc_block_q2_K *b = vb;
    unpack_2bit(b->qs, u->q);
    for (int s = 0; s < 16; s++) {
        u->sc[s] = b->scales[s] & 15;
        u->mn[s] = b->scales[s] >> 4;
    }
    u->d = lc_fp16_to_fp32(b->d);
    u->dmin = lc_fp16_to_fp32(b->dmin);
}

/* Sub-blocks of 16: codes in -4..3 and the signed scales sc - 32. */
static inline void unpack_q3_K(const void *vb, k_unpacked *u) {
    const lc_block_q3_K *b = vb;
    int8_t *q = u->q;
    unpack_2bit(b->qs, q);
    for (int k = 0; k < 8; k++) /* element 32k + l: bit k of hmask[l] */
        for (int l = 0; l < 32; l++)
            q[32 * k + l] = (int8_t)(q[32 * k + l] - 4 + (((b->hmask[l] >> k) & 1) << 2));
    for (int s = 0; s < 16; s++) {
        const int low = s < 8 ? b->scales[s] & 15 : b->scales[s - 8] >> 4;
        const int high = (b->scales[8 + s % 4] >> (2 * (s / 4))) & 3;
        u->sc[s] = (low | high << 4) - 32;
    }
    u->d = lc_fp16_to_fp32(b->d);
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

/* Sub-blocks of 32. */
static inline void unpack_q4_K(const void *vb, k_unpacked *u) {
    const lc_block_q4_K *b = vb;
    unpack_k_nibbles(b->qs, u->q);
    unpack_k_scales(b->scales, u->sc, u->mn);
    u->d = lc_fp16_to_fp32(b->d);
    u->dmin = lc_fp16_to_fp32(b->dmin);
}

/* Sub-blocks of 32. */
static inline void unpack_q5_K(const void *vb, k_unpacked *u) {
    const lc_block_q5_K *b = vb;
    int8_t *q = u->q;
    unpack_k_nibbles(b->qs, q);
    for (int j = 0; j < 8; j++) /* element 32j + l: bit j of qh[l] */
        for (int l = 0; l < 32; l++) q[32 * j + l] = (int8_t)(q[32 * j + l] | ((b->qh[l] >> j) & 1) << 4);
    unpack_k_scales(b->scales, u->sc, u->mn);
    u->d = lc_fp16_to_fp32(b->d);
    u->dmin = lc_fp16_to_fp32(b->dmin);
}

/* Sub-blocks of 16: codes in -32..31 and the int8 scales. */
static inline void unpack_q6_K(const void *vb, k_unpacked *u) {
    const lc_block_q6_K *b = vb;
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        int8_t *o = u->q + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (int8_t)(((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4) - 32);
            o[l + 32] = (int8_t)(((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4) - 32);
            o[l + 64] = (int8_t)(((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
            o[l + 96] = (int8_t)(((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
        }
    }
    for (int s = 0; s < 16; s++) u->sc[s] = b->scales[s];
    u->d = lc_fp16_to_fp32(b->d);
}

/* IQ4_XS, sub-blocks of 32: level values (not codes) and the signed scales
 * ls - 32. */
static inline void unpack_iq4_xs(const void *vb, k_unpacked *u) {
    const lc_block_iq4_xs *b = vb;
    for (int j = 0; j < 8; j++) {
        const int low = (b->scales_l[j / 2] >> (4 * (j % 2))) & 15;
        const int high = (b->scales_h >> (2 * j)) & 3;
        u->sc[j] = (low | high << 4) - 32;
        for (int l = 0; l < 16; l++) {
            u->q[32 * j + l] = lc_iq4nl_values[b->qs[16 * j + l] & 15];
            u->q[32 * j + 16 + l] = lc_iq4nl_values[b->qs[16 * j + l] >> 4];
        }
    }
    u->d = lc_fp16_to_fp32(b->d);
}

/* Integer dot of `len` codes with Q8_K quants. */
static inline int32_t dot_i8(const int8_t *a, const int8_t *b, int len) {
    int32_t sum = 0;
    for (int j = 0; j < len; j++) sum += (int32_t)a[j] * b[j];
    return sum;
}

/* ---- decoding ---- */

/* x = (d sc_s) q - (dmin mn_s) per sub-block s of `sub` codes, the
 * multiplies in ggml's dequantizers' order (the min term only if
 * has_min). */
LC_ALWAYS_INLINE void k_to_float(const void *src, float *dst, int64_t n, size_t block_bytes,
                                 k_unpack_fn unpack, int sub, bool has_min) {
    const uint8_t *b = src;
    k_unpacked u;
    for (int64_t i = 0; i < n / LC_QK_K; i++, b += block_bytes, dst += LC_QK_K) {
        unpack(b, &u);
        for (int s = 0; s < LC_QK_K / sub; s++) {
            const float dl = u.d * (float)u.sc[s];
            float *o = dst + sub * s;
            const int8_t *q = u.q + sub * s;
            if (has_min) {
                const float ml = u.dmin * (float)u.mn[s];
                for (int l = 0; l < sub; l++) o[l] = dl * (float)q[l] - ml;
            } else {
                for (int l = 0; l < sub; l++) o[l] = dl * (float)q[l];
            }
        }
    }
}

void lc_q2_K_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_q2_K), unpack_q2_K, 16, true);
}

void lc_q3_K_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_q3_K), unpack_q3_K, 16, false);
}

void lc_q4_K_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_q4_K), unpack_q4_K, 32, true);
}

void lc_q5_K_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_q5_K), unpack_q5_K, 32, true);
}

void lc_q6_K_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_q6_K), unpack_q6_K, 16, false);
}

void lc_iq4_xs_to_float_ref(const void *src, float *dst, int64_t n) {
    k_to_float(src, dst, n, sizeof(lc_block_iq4_xs), unpack_iq4_xs, 32, false);
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

/* Per super-block, with y = yd * Y and sub-blocks s of `sub` codes:
 *   sum_s (d sc_s q - dmin mn_s) . y
 *     = (d yd) * sum_s sc_s (q . Y)_s  -  (dmin yd) * sum_s mn_s bsum_s,
 * both sums exact in int32 (a sub-block of 32 spans two Q8_K bsums); the
 * min term only if has_min. Super-blocks accumulate in order. */
LC_ALWAYS_INLINE void k_vec_dot(int64_t n, float *s, const void *vx, const void *vy, size_t block_bytes,
                                k_unpack_fn unpack, int sub, bool has_min) {
    const uint8_t *x = vx;
    const lc_block_q8_K *y = vy;
    k_unpacked u;
    float sum = 0.f;
    for (int64_t i = 0; i < n / LC_QK_K; i++) {
        unpack(x + (size_t)i * block_bytes, &u);
        int32_t isum = 0, imin = 0;
        for (int t = 0; t < LC_QK_K / sub; t++) {
            isum += u.sc[t] * dot_i8(u.q + sub * t, y[i].qs + sub * t, sub);
            if (has_min) {
                int32_t bsum = 0;
                for (int g = 0; g < sub / 16; g++) bsum += y[i].bsums[sub / 16 * t + g];
                imin += u.mn[t] * bsum;
            }
        }
        if (has_min)
            sum += u.d * y[i].d * (float)isum - u.dmin * y[i].d * (float)imin;
        else
            sum += u.d * y[i].d * (float)isum;
    }
    *s = sum;
}

void lc_vec_dot_q2_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_q2_K), unpack_q2_K, 16, true);
}

void lc_vec_dot_q3_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_q3_K), unpack_q3_K, 16, false);
}

void lc_vec_dot_q4_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_q4_K), unpack_q4_K, 32, true);
}

void lc_vec_dot_q5_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_q5_K), unpack_q5_K, 32, true);
}

void lc_vec_dot_q6_K_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_q6_K), unpack_q6_K, 16, false);
}

void lc_vec_dot_iq4_xs_q8_K_ref(int64_t n, float *s, const void *vx, const void *vy) {
    k_vec_dot(n, s, vx, vy, sizeof(lc_block_iq4_xs), unpack_iq4_xs, 32, false);
}
