/* Entry points of the AVX-512 back end (files avx512_*.c, built into the
 * kernels_avx512 static library with -mavx512f -mavx512bw -mavx512vl
 * -mavx512vnni on top of the AVX2 flags). Calling any of them on a CPU
 * without AVX-512 F/BW/VL and VNNI is an illegal instruction: reach them
 * only through the kernel table dispatch.c hands out after checking the
 * CPU (its `needs`: LC_CPU_AVX512 | LC_CPU_AVX512_VNNI, and the AVX2
 * parent's).
 *
 * Each has the signature and contract of its counterpart in kernels.h;
 * the quantized ones give the scalar reference's bits (exact integer sums
 * per block, then the reference's float steps in its order), the float
 * ones the AVX2 back end's. */
#ifndef LLAMAC_KERNELS_AVX512_KERNELS_H
#define LLAMAC_KERNELS_AVX512_KERNELS_H

#include "backend.h"

/* avx512_table.c: the back end's kernel table (parent: the AVX2 one). */
extern const lc_kernel_table lc_avx512_kernels;

/* avx512_q4_0_q8_0.c: gemm on weights packed by lc_pack8 (n_rows % 8 ==
 * 0), any token count, VNNI dot products on 16 rows at a time. */
void lc_gemm_q4_0x8_q8_0_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q8_0x8_q8_0_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride);

/* avx512_k.c: the same for packed Q4_K, Q5_K and Q6_K, up to four tokens;
 * more tokens go to the AVX2 packed gemm. */
void lc_gemm_q4_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q5_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_q6_Kx8_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                                const void *y, size_t y_stride, float *out, size_t out_stride);

/* avx512_q6_k_rows.c: Q6_K on the file's rows (not packed), one token;
 * more tokens go to the AVX2 gemm. */
void lc_gemm_q6_K_q8_K_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);

/* avx512_float_short.c: the table's F32/F16/BF16 gemm entries. Rows of at
 * most 256 elements (a multiple of 8) against 2-4 tokens, as attention's
 * scores are, in 8-row tiles; everything else by the avx512_float.c gemm
 * of the same encoding. AVX2's bits. */
void lc_gemm_f32_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_f16_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                              const void *y, size_t y_stride, float *out, size_t out_stride);
void lc_gemm_bf16_short_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                               const void *y, size_t y_stride, float *out, size_t out_stride);

/* avx512_attn.c: attention value sums over an F32 or F16 cache, the
 * reference's bits (head sizes that are not a multiple of 16: AVX2's). */
void lc_attn_values_f32_avx512(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                               size_t v_stride, const int32_t *cells, float *out);
void lc_attn_values_f16_avx512(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                               size_t v_stride, const int32_t *cells, float *out);

/* avx512_float.c: F32/F16/BF16 gemm on the file's rows, 5 tokens and
 * more in 4-row x 12-token tiles (two tokens per register); fewer go to
 * the AVX2 gemm. Every element has the AVX2 gemm's bits (its order, not
 * the reference's: see avx2_float.c). */
void lc_gemm_f32_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                        size_t y_stride, float *out, size_t out_stride);
void lc_gemm_f16_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                        size_t y_stride, float *out, size_t out_stride);
void lc_gemm_bf16_avx512(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride, const void *y,
                         size_t y_stride, float *out, size_t out_stride);

#endif
