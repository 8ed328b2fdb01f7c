/* Entry points of the AVX2 + FMA + F16C back end (files avx2_*.c, built
 * into the kernels_avx2 static library with -mavx2 -mfma -mf16c). Calling
 * any of them on a CPU without those extensions is an illegal instruction:
 * reach them only through the kernel table dispatch.c hands out after
 * checking the CPU.
 *
 * Each has the signature and contract of its scalar counterpart in
 * kernels.h. Encoders write the same bytes as the scalar ones for all
 * non-NaN input; dot products keep the reference's exact integer sums per
 * block and differ from it only in float summation order (which is fixed:
 * a result depends only on n and the two rows). */
#ifndef LLAMAC_KERNELS_AVX2_KERNELS_H
#define LLAMAC_KERNELS_AVX2_KERNELS_H

#include "backend.h"

/* avx2_table.c: the back end's kernel table (parent: the scalar one). */
extern const lc_kernel_table lc_avx2_kernels;

/* avx2_float.c: conversions, vec_dot and gemm */
void lc_f16_to_float_avx2(const void *src, float *dst, int64_t n);
void lc_f16_from_float_avx2(const float *src, void *dst, int64_t n);
void lc_bf16_to_float_avx2(const void *src, float *dst, int64_t n);
void lc_vec_dot_f32_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_f16_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_bf16_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_gemm_f32_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                      size_t y_stride, float *out, size_t out_stride);
void lc_gemm_f16_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                      size_t y_stride, float *out, size_t out_stride);
void lc_gemm_bf16_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                       size_t y_stride, float *out, size_t out_stride);

void lc_axpy_f32_avx2(int64_t n, float a, const void *x, float *y);
void lc_axpy_f16_avx2(int64_t n, float a, const void *x, float *y);
void lc_attn_values_f16_avx2(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                             size_t v_stride, const int32_t *cells, float *out);
void lc_attn_values_f32_avx2(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                             size_t v_stride, const int32_t *cells, float *out);

/* avx2_exp.c: the activation function (see lc_swiglu_fn) and exp over a row */
void lc_swiglu_avx2(float *gate, const float *up, int64_t n);
void lc_exp_avx2(const float *x, float *y, int64_t n);

/* avx2_quantize.c: activation encoders */
void lc_q8_0_from_float_avx2(const float *src, void *dst, int64_t n);
void lc_q8_1_from_float_avx2(const float *src, void *dst, int64_t n);
void lc_q8_K_from_float_avx2(const float *src, void *dst, int64_t n);

/* avx2_q.c (avx2_q4_0_q8_0.c for Q4_0, Q8_0): 32-element blocks, vec_dot
 * and gemm */
void lc_vec_dot_q4_0_q8_0_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q4_1_q8_1_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_0_q8_0_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_1_q8_1_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q8_0_q8_0_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_iq4_nl_q8_0_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_gemm_q4_0_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q4_1_q8_1_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q5_0_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q5_1_q8_1_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
/* The Q4_0 gemm on weights packed by lc_pack8 (n_rows % 8 == 0),
 * bit-identical to lc_gemm_q4_0_q8_0_avx2 on the unpacked rows. */
void lc_gemm_q4_0x8_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q8_0x8_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q4_Kx8_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q5_Kx8_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q6_Kx8_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q8_0_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_iq4_nl_q8_0_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);

/* avx2_k.c: 256-element super-blocks, vec_dot and gemm */
void lc_vec_dot_q2_K_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q3_K_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q4_K_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_K_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q6_K_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_iq4_xs_q8_K_avx2(int64_t n, float *s, const void *x, const void *y);
void lc_gemm_q2_K_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q3_K_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q4_K_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q5_K_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q6_K_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                            const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_iq4_xs_q8_K_avx2(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);

#endif
