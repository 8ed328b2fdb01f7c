/* Reference encoders for the K-quant weight encodings (Q2_K..Q6_K).
 *
 * These reproduce, bit for bit, the blocks llama.cpp's quantizer writes when
 * it runs without an importance matrix (ggml's quantize_row_*_K_ref): the
 * same scale searches, the same float operation order, the same rounding
 * (lc_nearest_int) and the same fp16 conversion. Files quantized by llamac
 * therefore match files quantized by llama.cpp block for block, and
 * faithfulness can be checked against the peer's numbers.
 *
 * Each has the lc_from_float_fn signature: n floats (a multiple of 256) in,
 * n / 256 blocks out. Pure functions of their input; thread-safe. */
#ifndef LLAMAC_KERNELS_QUANT_K_REF_H
#define LLAMAC_KERNELS_QUANT_K_REF_H

#include <stdint.h>

void lc_q2_K_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q3_K_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q4_K_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q5_K_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q6_K_from_float_ref(const float *src, void *dst, int64_t n);

#endif
