/* The AVX2 back end's kernel table: its own entries only; the rest (most
 * to_float decoders, the weight encoders) come from its parent, the
 * scalar reference. Only data here, so it is safe to link on any CPU:
 * dispatch.c hands it out only when lc_cpu_has(needs). */
#include "avx2_kernels.h"
#include "backend.h"
#include "cpu.h"

#define TYPE(t) [LLAMAC_TYPE_##t]

const lc_kernel_table lc_avx2_kernels = {
    .parent = &lc_scalar_kernels,
    .needs = LC_CPU_AVX2_FMA_F16C,
    .traits = {
        TYPE(F32) = {.vec_dot = lc_vec_dot_f32_avx2},
        TYPE(F16) = {.to_float = lc_f16_to_float_avx2, .from_float = lc_f16_from_float_avx2,
                     .vec_dot = lc_vec_dot_f16_avx2},
        TYPE(BF16) = {.to_float = lc_bf16_to_float_avx2, .vec_dot = lc_vec_dot_bf16_avx2},
        TYPE(Q4_0) = {.vec_dot = lc_vec_dot_q4_0_q8_0_avx2},
        TYPE(Q4_1) = {.vec_dot = lc_vec_dot_q4_1_q8_1_avx2},
        TYPE(Q5_0) = {.vec_dot = lc_vec_dot_q5_0_q8_0_avx2},
        TYPE(Q5_1) = {.vec_dot = lc_vec_dot_q5_1_q8_1_avx2},
        TYPE(Q8_0) = {.from_float = lc_q8_0_from_float_avx2, .vec_dot = lc_vec_dot_q8_0_q8_0_avx2},
        TYPE(IQ4_NL) = {.vec_dot = lc_vec_dot_iq4_nl_q8_0_avx2},
        TYPE(Q2_K) = {.vec_dot = lc_vec_dot_q2_K_q8_K_avx2},
        TYPE(Q3_K) = {.vec_dot = lc_vec_dot_q3_K_q8_K_avx2},
        TYPE(Q4_K) = {.vec_dot = lc_vec_dot_q4_K_q8_K_avx2},
        TYPE(Q5_K) = {.vec_dot = lc_vec_dot_q5_K_q8_K_avx2},
        TYPE(Q6_K) = {.vec_dot = lc_vec_dot_q6_K_q8_K_avx2},
        TYPE(IQ4_XS) = {.vec_dot = lc_vec_dot_iq4_xs_q8_K_avx2},
        TYPE(Q8_1) = {.from_float = lc_q8_1_from_float_avx2},
        TYPE(Q8_K) = {.from_float = lc_q8_K_from_float_avx2},
    },
    /* batched dot products, bit-identical to the vec_dot entries */
    .gemm = {
        TYPE(F32) = lc_gemm_f32_avx2,
        TYPE(F16) = lc_gemm_f16_avx2,
        TYPE(BF16) = lc_gemm_bf16_avx2,
        TYPE(Q4_0) = lc_gemm_q4_0_q8_0_avx2,
        TYPE(Q4_1) = lc_gemm_q4_1_q8_1_avx2,
        TYPE(Q5_0) = lc_gemm_q5_0_q8_0_avx2,
        TYPE(Q5_1) = lc_gemm_q5_1_q8_1_avx2,
        TYPE(Q8_0) = lc_gemm_q8_0_q8_0_avx2,
        TYPE(IQ4_NL) = lc_gemm_iq4_nl_q8_0_avx2,
        TYPE(Q2_K) = lc_gemm_q2_K_q8_K_avx2,
        TYPE(Q3_K) = lc_gemm_q3_K_q8_K_avx2,
        TYPE(Q4_K) = lc_gemm_q4_K_q8_K_avx2,
        TYPE(Q5_K) = lc_gemm_q5_K_q8_K_avx2,
        TYPE(Q6_K) = lc_gemm_q6_K_q8_K_avx2,
        TYPE(IQ4_XS) = lc_gemm_iq4_xs_q8_K_avx2,
    },
    .packed_gemm = {
        TYPE(Q4_0) = lc_gemm_q4_0x8_q8_0_avx2,
        TYPE(Q8_0) = lc_gemm_q8_0x8_q8_0_avx2,
        TYPE(Q4_K) = lc_gemm_q4_Kx8_q8_K_avx2,
        TYPE(Q5_K) = lc_gemm_q5_Kx8_q8_K_avx2,
        TYPE(Q6_K) = lc_gemm_q6_Kx8_q8_K_avx2,
    },
    .axpy = {
        TYPE(F32) = lc_axpy_f32_avx2,
        TYPE(F16) = lc_axpy_f16_avx2,
    },
    .attn_values = {
        TYPE(F32) = lc_attn_values_f32_avx2,
        TYPE(F16) = lc_attn_values_f16_avx2,
    },
    .exp = lc_exp_avx2,
    .swiglu = lc_swiglu_avx2,
};
