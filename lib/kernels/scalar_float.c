/* Scalar reference kernels for the float encodings F32, F16 and BF16.
 * Dot products accumulate in double, in element order. A product of two
 * fp16 values (11-bit significands) is exact in float, as is one of two bf16
 * values short of overflow/underflow, so the sum is all but exact and the
 * result depends only on the two rows. */
#include "kernels.h"

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
