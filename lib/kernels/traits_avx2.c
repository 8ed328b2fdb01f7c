/* The AVX2 traits table: traits_scalar.c's table with AVX2 entry points
 * where there are some. Spelled out in full (rather than patched at run
 * time) so it is constant data; test_kernels_simd checks that it agrees
 * with the scalar table on every type's vec_dot_type and on which entries
 * exist. Only data here, so it is safe to link on any CPU. */
#include "avx2_kernels.h"

#define WEIGHT(type, act, to, from, dot) [LLAMAC_TYPE_##type] = {LLAMAC_TYPE_##act, to, from, dot}
#define ACTIVATION(type, to, from) [LLAMAC_TYPE_##type] = {LLAMAC_TYPE_##type, to, from, NULL}

static const lc_type_traits avx2_traits[LLAMAC_TYPE_COUNT] = {
    WEIGHT(F32, F32, lc_f32_to_float_ref, lc_f32_from_float_ref, lc_vec_dot_f32_avx2),
    WEIGHT(F16, F16, lc_f16_to_float_avx2, lc_f16_from_float_avx2, lc_vec_dot_f16_avx2),
    WEIGHT(BF16, BF16, lc_bf16_to_float_avx2, lc_bf16_from_float_ref, lc_vec_dot_bf16_avx2),
    WEIGHT(Q4_0, Q8_0, lc_q4_0_to_float_ref, lc_q4_0_from_float_ref, lc_vec_dot_q4_0_q8_0_avx2),
    WEIGHT(Q4_1, Q8_1, lc_q4_1_to_float_ref, lc_q4_1_from_float_ref, lc_vec_dot_q4_1_q8_1_avx2),
    WEIGHT(Q5_0, Q8_0, lc_q5_0_to_float_ref, lc_q5_0_from_float_ref, lc_vec_dot_q5_0_q8_0_avx2),
    WEIGHT(Q5_1, Q8_1, lc_q5_1_to_float_ref, lc_q5_1_from_float_ref, lc_vec_dot_q5_1_q8_1_avx2),
    WEIGHT(Q8_0, Q8_0, lc_q8_0_to_float_ref, lc_q8_0_from_float_avx2, lc_vec_dot_q8_0_q8_0_avx2),
    WEIGHT(IQ4_NL, Q8_0, lc_iq4_nl_to_float_ref, lc_iq4_nl_from_float_ref, lc_vec_dot_iq4_nl_q8_0_avx2),
    WEIGHT(Q2_K, Q8_K, lc_q2_K_to_float_ref, NULL, lc_vec_dot_q2_K_q8_K_avx2),
    WEIGHT(Q3_K, Q8_K, lc_q3_K_to_float_ref, NULL, lc_vec_dot_q3_K_q8_K_avx2),
    WEIGHT(Q4_K, Q8_K, lc_q4_K_to_float_ref, NULL, lc_vec_dot_q4_K_q8_K_avx2),
    WEIGHT(Q5_K, Q8_K, lc_q5_K_to_float_ref, NULL, lc_vec_dot_q5_K_q8_K_avx2),
    WEIGHT(Q6_K, Q8_K, lc_q6_K_to_float_ref, NULL, lc_vec_dot_q6_K_q8_K_avx2),
    WEIGHT(IQ4_XS, Q8_K, lc_iq4_xs_to_float_ref, NULL, lc_vec_dot_iq4_xs_q8_K_avx2),
    ACTIVATION(Q8_1, lc_q8_1_to_float_ref, lc_q8_1_from_float_avx2),
    ACTIVATION(Q8_K, lc_q8_K_to_float_ref, lc_q8_K_from_float_avx2),
};

/* Batched dot products, bit-identical to the vec_dot entries above. */
static const lc_gemm_fn avx2_gemm[LLAMAC_TYPE_COUNT] = {
    [LLAMAC_TYPE_F32] = lc_gemm_f32_avx2,
    [LLAMAC_TYPE_F16] = lc_gemm_f16_avx2,
    [LLAMAC_TYPE_BF16] = lc_gemm_bf16_avx2,
    [LLAMAC_TYPE_Q4_0] = lc_gemm_q4_0_q8_0_avx2,
    [LLAMAC_TYPE_Q4_1] = lc_gemm_q4_1_q8_1_avx2,
    [LLAMAC_TYPE_Q5_0] = lc_gemm_q5_0_q8_0_avx2,
    [LLAMAC_TYPE_Q5_1] = lc_gemm_q5_1_q8_1_avx2,
    [LLAMAC_TYPE_Q8_0] = lc_gemm_q8_0_q8_0_avx2,
    [LLAMAC_TYPE_IQ4_NL] = lc_gemm_iq4_nl_q8_0_avx2,
    [LLAMAC_TYPE_Q2_K] = lc_gemm_q2_K_q8_K_avx2,
    [LLAMAC_TYPE_Q3_K] = lc_gemm_q3_K_q8_K_avx2,
    [LLAMAC_TYPE_Q4_K] = lc_gemm_q4_K_q8_K_avx2,
    [LLAMAC_TYPE_Q5_K] = lc_gemm_q5_K_q8_K_avx2,
    [LLAMAC_TYPE_Q6_K] = lc_gemm_q6_K_q8_K_avx2,
    [LLAMAC_TYPE_IQ4_XS] = lc_gemm_iq4_xs_q8_K_avx2,
};

lc_gemm_fn lc_avx2_gemm(llamac_type type) {
    if ((unsigned)type >= LLAMAC_TYPE_COUNT) return NULL;
    return avx2_gemm[type];
}

lc_axpy_fn lc_avx2_axpy(llamac_type type) {
    switch (type) {
    case LLAMAC_TYPE_F32: return lc_axpy_f32_avx2;
    case LLAMAC_TYPE_F16: return lc_axpy_f16_avx2;
    default: return NULL;
    }
}

const lc_type_traits *lc_avx2_traits(llamac_type type) {
    if ((unsigned)type >= LLAMAC_TYPE_COUNT || !avx2_traits[type].to_float) return NULL;
    return &avx2_traits[type];
}
