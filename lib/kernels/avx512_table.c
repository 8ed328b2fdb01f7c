/* The AVX-512 back end's kernel table: its own entries only; everything
 * else comes from its parent, the AVX2 table (and through it the scalar
 * reference), so the formats it does not cover run AVX2's kernels. Only
 * data here, so it is safe to link on any CPU: dispatch.c hands it out
 * only when lc_cpu_has(needs) for it and its parents. */
#include "avx2_kernels.h"
#include "avx512_kernels.h"
#include "backend.h"
#include "cpu.h"

#define TYPE(t) [LLAMAC_TYPE_##t]

const lc_kernel_table lc_avx512_kernels = {
    .parent = &lc_avx2_kernels,
    .needs = LC_CPU_AVX512 | LC_CPU_AVX512_VNNI,
    /* the AVX2 kernels' bits, 16 lanes as two outputs of 8 (short rows
     * against 1-4 tokens, then the prompt tiles) */
    .gemm = {
        TYPE(F32) = lc_gemm_f32_short_avx512,
        TYPE(F16) = lc_gemm_f16_short_avx512,
        TYPE(BF16) = lc_gemm_bf16_short_avx512,
        /* one token on the file's rows (a tied output matrix) */
        TYPE(Q6_K) = lc_gemm_q6_K_q8_K_avx512,
    },
    /* the reference's bits, 64 dimensions a pass over the cells */
    .attn_values = {
        TYPE(F32) = lc_attn_values_f32_avx512,
        TYPE(F16) = lc_attn_values_f16_avx512,
    },
    /* on lc_pack8's layout, bit-identical to the reference's vec_dot */
    .packed_gemm = {
        TYPE(Q4_0) = lc_gemm_q4_0x8_q8_0_avx512,
        TYPE(Q8_0) = lc_gemm_q8_0x8_q8_0_avx512,
        TYPE(Q4_K) = lc_gemm_q4_Kx8_q8_K_avx512,
        TYPE(Q5_K) = lc_gemm_q5_Kx8_q8_K_avx512,
        TYPE(Q6_K) = lc_gemm_q6_Kx8_q8_K_avx512,
    },
};
