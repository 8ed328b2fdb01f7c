/* Scalar reference kernels for the 32-element block encodings: Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0, Q8_1 and IQ4_NL (byte maps in blocks.h).
 *
 * Each weight block is first unpacked into 32 small integers; decoding
 * scales them by the fp16 block scale(s), and dot products sum integer
 * products over the block exactly (int32) before one float multiply by the
 * two block scales, as ggml's CPU kernels do. Blocks are accumulated in
 * order into one float, so a result depends only on the two rows. */
#include "kernels.h"

#include "blocks.h"

#include <math.h>

const int8_t lc_iq4nl_values[16] = {
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

/* Truncates v toward zero into [lo, hi]; NaN gives lo. The encoders below
 * add 0.5 (or an offset + 0.5) and truncate, which is ggml's rounding; the
 * clamp only keeps non-finite input from being undefined behaviour. */
static inline int trunc_clamp(float v, int lo, int hi) {
    if (!(v > (float)lo)) return lo;
    if (v >= (float)hi) return hi;
    return (int)v;
}

/* roundf (ties away from zero) into int8, as ggml's Q8_0/Q8_1 encoders. */
static inline int8_t round_i8(float v) {
    if (!(v > -128.f)) return v == v ? -128 : 0;
    if (v >= 127.f) return 127;
    return (int8_t)roundf(v);
}

static inline uint32_t load_u32_le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store_u32_le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- unpacking: codes of one block, in element order ---- */

static inline void unpack_nibbles(const uint8_t qs[16], int8_t q[32]) {
    for (int j = 0; j < 16; j++) {
        q[j] = (int8_t)(qs[j] & 15);
        q[j + 16] = (int8_t)(qs[j] >> 4);
    }
}

/* 5-bit codes: nibbles plus bit i of the little-endian qh word as bit 4. */
static inline void unpack_5bit(const uint8_t qs[16], const uint8_t qh[4], int8_t q[32]) {
    uint32_t h = load_u32_le(qh);
    for (int j = 0; j < 16; j++) {
        q[j] = (int8_t)((qs[j] & 15) | ((h >> j) & 1) << 4);
        q[j + 16] = (int8_t)((qs[j] >> 4) | ((h >> (j + 16)) & 1) << 4);
    }
}

static inline void pack_nibbles(const int8_t q[32], uint8_t qs[16]) {
    for (int j = 0; j < 16; j++) qs[j] = (uint8_t)((q[j] & 15) | (q[j + 16] & 15) << 4);
}

static inline void pack_5bit(const int8_t q[32], uint8_t qs[16], uint8_t qh[4]) {
    uint32_t h = 0;
    for (int j = 0; j < 32; j++) h |= (uint32_t)((q[j] >> 4) & 1) << j;
    pack_nibbles(q, qs);
    store_u32_le(qh, h);
}

static inline int32_t dot_i8_32(const int8_t *a, const int8_t *b) {
    int32_t sum = 0;
    for (int j = 0; j < 32; j++) sum += (int32_t)a[j] * b[j];
    return sum;
}

/* Signed value of largest magnitude (the first one on ties), which the
 * symmetric encoders map to the most negative code. */
static inline float signed_absmax(const float *x, int n) {
    float amax = 0.f, max = 0.f;
    for (int j = 0; j < n; j++) {
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    return max;
}

static inline void min_max(const float *x, int n, float *min, float *max) {
    float lo = x[0], hi = x[0];
    for (int j = 1; j < n; j++) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *min = lo;
    *max = hi;
}

/* ---- one block's codes ---- */

/* Each weight format's unpack: the block's 32 codes with the format's
 * offset taken off, in element order (in buf, or the block's own bytes for
 * Q8_0/Q8_1), its scale d and, for Q4_1/Q5_1, its minimum m. x = d q (+ m).
 * Decoding and dot products are written once on top (q_to_float,
 * q_vec_dot), with has_min as a constant argument. */
typedef const int8_t *(*q_unpack_fn)(const void *block, int8_t buf[32], float *d, float *m);

static inline const int8_t *unpack_q4_0(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q4_0 *b = vb;
    (void)m;
    unpack_nibbles(b->qs, buf);
    for (int j = 0; j < 32; j++) buf[j] = (int8_t)(buf[j] - 8);
    *d = lc_fp16_to_fp32(b->d);
    return buf;
}

static inline const int8_t *unpack_q4_1(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q4_1 *b = vb;
    unpack_nibbles(b->qs, buf);
    *d = lc_fp16_to_fp32(b->d);
    *m = lc_fp16_to_fp32(b->m);
    return buf;
}

static inline const int8_t *unpack_q5_0(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q5_0 *b = vb;
    (void)m;
    unpack_5bit(b->qs, b->qh, buf);
    for (int j = 0; j < 32; j++) buf[j] = (int8_t)(buf[j] - 16);
    *d = lc_fp16_to_fp32(b->d);
    return buf;
}

static inline const int8_t *unpack_q5_1(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q5_1 *b = vb;
    unpack_5bit(b->qs, b->qh, buf);
    *d = lc_fp16_to_fp32(b->d);
    *m = lc_fp16_to_fp32(b->m);
    return buf;
}

static inline const int8_t *unpack_q8_0(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q8_0 *b = vb;
    (void)buf, (void)m;
    *d = lc_fp16_to_fp32(b->d);
    return b->qs;
}

/* Only decoded (Q8_1 is an activation encoding): its sum term s is not
 * needed for the values. */
static inline const int8_t *unpack_q8_1(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_q8_1 *b = vb;
    (void)buf, (void)m;
    *d = lc_fp16_to_fp32(b->d);
    return b->qs;
}

/* Level values, not codes. */
static inline const int8_t *unpack_iq4_nl(const void *vb, int8_t buf[32], float *d, float *m) {
    const lc_block_iq4_nl *b = vb;
    (void)m;
    unpack_nibbles(b->qs, buf);
    for (int j = 0; j < 32; j++) buf[j] = lc_iq4nl_values[buf[j]];
    *d = lc_fp16_to_fp32(b->d);
    return buf;
}

/* ---- decoding ---- */

LC_ALWAYS_INLINE void q_to_float(const void *src, float *dst, int64_t n, size_t block_bytes,
                                 q_unpack_fn unpack, bool has_min) {
    const uint8_t *b = src;
    int8_t buf[32];
    for (int64_t i = 0; i < n / 32; i++, b += block_bytes, dst += 32) {
        float d, m = 0.f;
        const int8_t *q = unpack(b, buf, &d, &m);
        if (has_min)
            for (int j = 0; j < 32; j++) dst[j] = (float)q[j] * d + m;
        else
            for (int j = 0; j < 32; j++) dst[j] = (float)q[j] * d;
    }
}

void lc_q4_0_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q4_0), unpack_q4_0, false);
}

void lc_q4_1_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q4_1), unpack_q4_1, true);
}

void lc_q5_0_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q5_0), unpack_q5_0, false);
}

void lc_q5_1_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q5_1), unpack_q5_1, true);
}

void lc_q8_0_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q8_0), unpack_q8_0, false);
}

void lc_q8_1_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_q8_1), unpack_q8_1, false);
}

void lc_iq4_nl_to_float_ref(const void *src, float *dst, int64_t n) {
    q_to_float(src, dst, n, sizeof(lc_block_iq4_nl), unpack_iq4_nl, false);
}

/* ---- encoding (ggml's reference round-to-nearest encoders) ---- */

void lc_q4_0_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q4_0 *b = dst;
    int8_t q[32];
    for (int64_t i = 0; i < n / LC_QK4_0; i++, src += 32) {
        const float d = signed_absmax(src, 32) / -8.f;
        const float id = d != 0.f ? 1.f / d : 0.f;
        for (int j = 0; j < 32; j++) q[j] = (int8_t)trunc_clamp(src[j] * id + 8.5f, 0, 15);
        b[i].d = lc_fp32_to_fp16(d);
        pack_nibbles(q, b[i].qs);
    }
}

void lc_q4_1_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q4_1 *b = dst;
    int8_t q[32];
    for (int64_t i = 0; i < n / LC_QK4_1; i++, src += 32) {
        float min, max;
        min_max(src, 32, &min, &max);
        const float d = (max - min) / 15.f;
        const float id = d != 0.f ? 1.f / d : 0.f;
        for (int j = 0; j < 32; j++) q[j] = (int8_t)trunc_clamp((src[j] - min) * id + 0.5f, 0, 15);
        b[i].d = lc_fp32_to_fp16(d);
        b[i].m = lc_fp32_to_fp16(min);
        pack_nibbles(q, b[i].qs);
    }
}

void lc_q5_0_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q5_0 *b = dst;
    int8_t q[32];
    for (int64_t i = 0; i < n / LC_QK5_0; i++, src += 32) {
        const float d = signed_absmax(src, 32) / -16.f;
        const float id = d != 0.f ? 1.f / d : 0.f;
        for (int j = 0; j < 32; j++) q[j] = (int8_t)trunc_clamp(src[j] * id + 16.5f, 0, 31);
        b[i].d = lc_fp32_to_fp16(d);
        pack_5bit(q, b[i].qs, b[i].qh);
    }
}

void lc_q5_1_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q5_1 *b = dst;
    int8_t q[32];
    for (int64_t i = 0; i < n / LC_QK5_1; i++, src += 32) {
        float min, max;
        min_max(src, 32, &min, &max);
        const float d = (max - min) / 31.f;
        const float id = d != 0.f ? 1.f / d : 0.f;
        for (int j = 0; j < 32; j++) q[j] = (int8_t)trunc_clamp((src[j] - min) * id + 0.5f, 0, 31);
        b[i].d = lc_fp32_to_fp16(d);
        b[i].m = lc_fp32_to_fp16(min);
        pack_5bit(q, b[i].qs, b[i].qh);
    }
}

/* Symmetric int8 with d = amax / 127; returns the unrounded d (Q8_1's sum
 * term is scaled by it, as in ggml). */
static float encode_q8(const float *x, int8_t qs[32], uint16_t *d16) {
    float amax = 0.f;
    for (int j = 0; j < 32; j++) amax = LC_MAX(amax, fabsf(x[j]));
    const float d = amax / 127.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    for (int j = 0; j < 32; j++) qs[j] = round_i8(x[j] * id);
    *d16 = lc_fp32_to_fp16(d);
    return d;
}

void lc_q8_0_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / LC_QK8_0; i++, src += 32) encode_q8(src, b[i].qs, &b[i].d);
}

void lc_q8_1_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / LC_QK8_1; i++, src += 32) {
        const float d = encode_q8(src, b[i].qs, &b[i].d);
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) sum += b[i].qs[j];
        b[i].s = lc_fp32_to_fp16((float)sum * d);
    }
}

/* Index of the IQ4_NL level nearest to v (the upper one on an exact tie),
 * by binary search over the midpoints of the sorted levels. */
static inline int iq4nl_nearest(float v) {
    int idx = 0;
    for (int step = 8; step > 0; step >>= 1) {
        const int j = idx + step;
        if (2.f * v >= (float)(lc_iq4nl_values[j - 1] + lc_iq4nl_values[j])) idx = j;
    }
    return idx;
}

/* Start from the scale that puts the largest-magnitude value on level 0
 * (-127), pick the nearest level for every value, then refit d by least
 * squares weighted by x^2 (ggml's reference IQ4_NL encoder, no search). */
void lc_iq4_nl_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_block_iq4_nl *b = dst;
    int8_t q[32];
    for (int64_t i = 0; i < n / LC_QK4_NL; i++, src += 32) {
        const float max = signed_absmax(src, 32);
        if (fabsf(max) < 1e-15f) {
            b[i].d = 0;
            memset(b[i].qs, 0, sizeof b[i].qs);
            continue;
        }
        float d = max / (float)lc_iq4nl_values[0];
        const float id = 1.f / d;
        float sumqx = 0.f, sumq2 = 0.f;
        for (int j = 0; j < 32; j++) {
            q[j] = (int8_t)iq4nl_nearest(id * src[j]);
            const float w = src[j] * src[j], l = (float)lc_iq4nl_values[q[j]];
            sumqx += w * l * src[j];
            sumq2 += w * l * l;
        }
        if (sumq2 > 0.f) d = sumqx / sumq2;
        b[i].d = lc_fp32_to_fp16(d);
        pack_nibbles(q, b[i].qs);
    }
}

/* ---- dot products ---- */

/* Per block the exact int32 dot of the codes with Q8_0 quants, then
 * sum += isum * (dx dy); for Q4_1/Q5_1 against Q8_1:
 *   sum_j (d q_j + m) * dy y_j = d dy sum_j q_j y_j + m * (dy sum_j y_j),
 * the last factor being Q8_1's s. Blocks accumulate in order. */
LC_ALWAYS_INLINE void q_vec_dot(int64_t n, float *s, const void *vx, const void *vy, size_t block_bytes,
                                q_unpack_fn unpack, bool has_min) {
    const uint8_t *x = vx;
    int8_t buf[32];
    float sum = 0.f;
    for (int64_t i = 0; i < n / 32; i++) {
        float d, m = 0.f;
        const int8_t *q = unpack(x + (size_t)i * block_bytes, buf, &d, &m);
        if (has_min) {
            const lc_block_q8_1 *y = (const lc_block_q8_1 *)vy + i;
            const int32_t isum = dot_i8_32(q, y->qs);
            sum += (float)isum * (d * lc_fp16_to_fp32(y->d)) + m * lc_fp16_to_fp32(y->s);
        } else {
            const lc_block_q8_0 *y = (const lc_block_q8_0 *)vy + i;
            const int32_t isum = dot_i8_32(q, y->qs);
            sum += (float)isum * (d * lc_fp16_to_fp32(y->d));
        }
    }
    *s = sum;
}

void lc_vec_dot_q4_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_q4_0), unpack_q4_0, false);
}

void lc_vec_dot_q4_1_q8_1_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_q4_1), unpack_q4_1, true);
}

void lc_vec_dot_q5_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_q5_0), unpack_q5_0, false);
}

void lc_vec_dot_q5_1_q8_1_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_q5_1), unpack_q5_1, true);
}

void lc_vec_dot_q8_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_q8_0), unpack_q8_0, false);
}

void lc_vec_dot_iq4_nl_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    q_vec_dot(n, s, vx, vy, sizeof(lc_block_iq4_nl), unpack_iq4_nl, false);
}
