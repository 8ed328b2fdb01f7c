/* Row conversions between float32 and the two 16-bit float encodings.
 * The per-element rules live inline in kernels.h. */
#include "kernels.h"

void lc_fp16_to_fp32_row(const uint16_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lc_fp16_to_fp32(src[i]);
}

void lc_fp32_to_fp16_row(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lc_fp32_to_fp16(src[i]);
}

void lc_bf16_to_fp32_row(const uint16_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lc_bf16_to_fp32(src[i]);
}

void lc_fp32_to_bf16_row(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lc_fp32_to_bf16(src[i]);
}
