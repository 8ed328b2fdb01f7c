/* The scalar reference's kernel table: the root every other back end's
 * table falls back to, so it is complete — which activation encoding each
 * weight encoding is dotted with, the reference codecs and dot products,
 * axpy, exp and SwiGLU. It has no gemm (matmul loops over vec_dot). */
#include "backend.h"

#define WEIGHT(type, act, to, from, dot) [LLAMAC_TYPE_##type] = {LLAMAC_TYPE_##act, to, from, dot}
#define ACTIVATION(type, to, from) [LLAMAC_TYPE_##type] = {LLAMAC_TYPE_##type, to, from, NULL}

const lc_kernel_table lc_scalar_kernels = {
    .parent = NULL,
    .needs = 0,
    .traits = {
        WEIGHT(F32, F32, lc_f32_to_float_ref, lc_f32_from_float_ref, lc_vec_dot_f32_ref),
        WEIGHT(F16, F16, lc_f16_to_float_ref, lc_f16_from_float_ref, lc_vec_dot_f16_ref),
        WEIGHT(BF16, BF16, lc_bf16_to_float_ref, lc_bf16_from_float_ref, lc_vec_dot_bf16_ref),
        WEIGHT(Q4_0, Q8_0, lc_q4_0_to_float_ref, lc_q4_0_from_float_ref, lc_vec_dot_q4_0_q8_0_ref),
        WEIGHT(Q4_1, Q8_1, lc_q4_1_to_float_ref, lc_q4_1_from_float_ref, lc_vec_dot_q4_1_q8_1_ref),
        WEIGHT(Q5_0, Q8_0, lc_q5_0_to_float_ref, lc_q5_0_from_float_ref, lc_vec_dot_q5_0_q8_0_ref),
        WEIGHT(Q5_1, Q8_1, lc_q5_1_to_float_ref, lc_q5_1_from_float_ref, lc_vec_dot_q5_1_q8_1_ref),
        WEIGHT(Q8_0, Q8_0, lc_q8_0_to_float_ref, lc_q8_0_from_float_ref, lc_vec_dot_q8_0_q8_0_ref),
        WEIGHT(IQ4_NL, Q8_0, lc_iq4_nl_to_float_ref, lc_iq4_nl_from_float_ref, lc_vec_dot_iq4_nl_q8_0_ref),
        WEIGHT(Q2_K, Q8_K, lc_q2_K_to_float_ref, NULL, lc_vec_dot_q2_K_q8_K_ref),
        WEIGHT(Q3_K, Q8_K, lc_q3_K_to_float_ref, NULL, lc_vec_dot_q3_K_q8_K_ref),
        WEIGHT(Q4_K, Q8_K, lc_q4_K_to_float_ref, NULL, lc_vec_dot_q4_K_q8_K_ref),
        WEIGHT(Q5_K, Q8_K, lc_q5_K_to_float_ref, NULL, lc_vec_dot_q5_K_q8_K_ref),
        WEIGHT(Q6_K, Q8_K, lc_q6_K_to_float_ref, NULL, lc_vec_dot_q6_K_q8_K_ref),
        WEIGHT(IQ4_XS, Q8_K, lc_iq4_xs_to_float_ref, NULL, lc_vec_dot_iq4_xs_q8_K_ref),
        ACTIVATION(Q8_1, lc_q8_1_to_float_ref, lc_q8_1_from_float_ref),
        ACTIVATION(Q8_K, lc_q8_K_to_float_ref, lc_q8_K_from_float_ref),
    },
    .axpy = {
        [LLAMAC_TYPE_F32] = lc_axpy_f32_ref,
        [LLAMAC_TYPE_F16] = lc_axpy_f16_ref,
    },
    .exp = lc_exp_ref,
    .swiglu = lc_swiglu_ref,
};

const lc_type_traits *lc_scalar_traits(llamac_type type) { return lc_kt_traits(&lc_scalar_kernels, type); }
