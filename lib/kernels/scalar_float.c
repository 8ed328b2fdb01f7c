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

void lc_vec_dot_f16_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(lc_fp16_to_fp32(x[i]) * lc_fp16_to_fp32(y[i]));
    *s = (float)sum;
}

void lc_vec_dot_bf16_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(lc_bf16_to_fp32(x[i]) * lc_bf16_to_fp32(y[i]));
    *s = (float)sum;
}
