/* Scalar reference kernels for the float encodings F32, F16 and BF16.
 * Dot products accumulate in double, in element order. A product of two
 * fp16 values (11-bit significands) is exact in float, as is one of two bf16
 * values short of overflow/underflow, so the sum is all but exact and the
 * result depends only on the two rows. */
#include "kernels.h"

#include <math.h>

void lc_f32_to_float_ref(const void *src, float *dst, int64_t n) {
    if (n > 0) memmove(dst, src, (size_t)n * sizeof(float));
}

void lc_f32_from_float_ref(const float *src, void *dst, int64_t n) {
    if (n > 0) memmove(dst, src, (size_t)n * sizeof(float));
}

void lc_f16_to_float_ref(const void *src, float *dst, int64_t n) {
    lc_fp16_to_fp32_row(src, dst, n);
}

void lc_f16_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_fp32_to_fp16_row(src, dst, n);
}

/* exp(x) = 2^k exp(r): k = round(x / ln 2) (ties to even), r = x - k ln 2
 * in two fused steps (ln 2 = 0.693359375, whose 9 significant bits make
 * k * it exact, minus 2.12194440e-4), exp(r) for |r| <= ln 2 / 2 by its
 * Taylor polynomial of degree 6 (truncation about 2^-23 relative) with
 * fused steps, 2^k built in the exponent bits. Within a few ulp of the C
 * library's expf, and unlike it the same bits on every platform; the SIMD
 * back ends compute exactly these operations lane by lane. */
float lc_expf(float x) {
    if (isnan(x)) return x;
    if (x > LC_EXP_HI) return INFINITY;
    const float xc = x < LC_EXP_LO ? LC_EXP_LO : x;
    const float k = rintf(xc * 1.44269504088896341f);
    float r = fmaf(-k, 0.693359375f, xc);
    r = fmaf(-k, -2.12194440e-4f, r);
    float p = 1.f / 720.f;
    p = fmaf(p, r, 1.f / 120.f);
    p = fmaf(p, r, 1.f / 24.f);
    p = fmaf(p, r, 1.f / 6.f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.f);
    p = fmaf(p, r, 1.f);
    const uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

void lc_exp_ref(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = lc_expf(x[i]);
}

void lc_swiglu_ref(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + lc_expf(-g)) * up[i];
    }
}

void lc_axpy_f32_ref(int64_t n, float a, const void *vx, float *y) {
    const float *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = y[i] + a * x[i];
}

void lc_axpy_f16_ref(int64_t n, float a, const void *vx, float *y) {
    const uint16_t *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = y[i] + a * lc_fp16_to_fp32(x[i]);
}

void lc_bf16_to_float_ref(const void *src, float *dst, int64_t n) {
    lc_bf16_to_fp32_row(src, dst, n);
}

void lc_bf16_from_float_ref(const float *src, void *dst, int64_t n) {
    lc_fp32_to_bf16_row(src, dst, n);
}

void lc_vec_dot_f32_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i] * (double)y[i];
    *s = (float)sum;
}

/* Both 16-bit encodings decode a chunk at a time (the row converters
 * vectorize), then multiply and add in element order. */
typedef void (*row_decode_fn)(const uint16_t *src, float *dst, int64_t n);

static float dot_16bit(int64_t n, const uint16_t *x, const uint16_t *y, row_decode_fn decode) {
    enum { CHUNK = 64 };
    float xf[CHUNK], yf[CHUNK];
    double sum = 0.0;
    for (int64_t i = 0; i < n; i += CHUNK) {
        const int64_t m = LC_MIN((int64_t)CHUNK, n - i);
        decode(x + i, xf, m);
        decode(y + i, yf, m);
        for (int64_t j = 0; j < m; j++) sum += (double)(xf[j] * yf[j]);
    }
    return (float)sum;
}

void lc_vec_dot_f16_ref(int64_t n, float *s, const void *vx, const void *vy) {
    *s = dot_16bit(n, vx, vy, lc_fp16_to_fp32_row);
}

void lc_vec_dot_bf16_ref(int64_t n, float *s, const void *vx, const void *vy) {
    *s = dot_16bit(n, vx, vy, lc_bf16_to_fp32_row);
}
