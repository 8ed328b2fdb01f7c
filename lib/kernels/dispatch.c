/* The single place that picks kernels: back end names, resolution against
 * the CPU probe, and the per-type traits lookup. Compiled without any
 * -m flags, so it runs on every CPU and only hands out AVX2 entry points
 * after the probe said they will run. */
#include "kernels.h"

#include "cpu.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define LC_BUILD_HAS_AVX2 1 /* lib/meson.build builds kernels_avx2 on x86 */
#include "avx2_kernels.h"
#else
#define LC_BUILD_HAS_AVX2 0
#endif

bool lc_backend_available(lc_backend backend) {
    switch (backend) {
    case LC_BACKEND_AUTO:
    case LC_BACKEND_SCALAR: return true;
    case LC_BACKEND_AVX2: return LC_BUILD_HAS_AVX2 && lc_cpu_features_get().avx2_fma_f16c;
    }
    return false;
}

lc_backend lc_backend_resolve(lc_backend requested) {
    if (requested == LC_BACKEND_AUTO)
        return lc_backend_available(LC_BACKEND_AVX2) ? LC_BACKEND_AVX2 : LC_BACKEND_SCALAR;
    if (requested == LC_BACKEND_AVX2 && lc_backend_available(LC_BACKEND_AVX2)) return LC_BACKEND_AVX2;
    return LC_BACKEND_SCALAR;
}

static const char *const backend_names[] = {
    [LC_BACKEND_AUTO] = "auto",
    [LC_BACKEND_SCALAR] = "scalar",
    [LC_BACKEND_AVX2] = "avx2",
};

const char *lc_backend_name(lc_backend backend) {
    if ((unsigned)backend >= sizeof backend_names / sizeof backend_names[0]) return "unknown";
    return backend_names[backend];
}

bool lc_backend_parse(const char *name, lc_backend *out) {
    if (!name) return false;
    for (unsigned i = 0; i < sizeof backend_names / sizeof backend_names[0]; i++) {
        if (strcmp(name, backend_names[i]) == 0) {
            *out = (lc_backend)i;
            return true;
        }
    }
    return false;
}

const lc_type_traits *lc_traits(lc_backend backend, llamac_type type) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) return lc_avx2_traits(type);
#else
    (void)backend;
#endif
    return lc_scalar_traits(type);
}

lc_gemm_fn lc_packed_gemm(lc_backend backend, llamac_type type) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) {
        if (type == LLAMAC_TYPE_Q4_0) return lc_gemm_q4_0x8_q8_0_avx2;
        if (type == LLAMAC_TYPE_Q8_0) return lc_gemm_q8_0x8_q8_0_avx2;
        if (type == LLAMAC_TYPE_Q4_K) return lc_gemm_q4_Kx8_q8_K_avx2;
        if (type == LLAMAC_TYPE_Q5_K) return lc_gemm_q5_Kx8_q8_K_avx2;
        if (type == LLAMAC_TYPE_Q6_K) return lc_gemm_q6_Kx8_q8_K_avx2;
    }
#else
    (void)backend;
    (void)type;
#endif
    return NULL;
}

lc_exp_fn lc_exp_kernel(lc_backend backend) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) return lc_exp_avx2;
#else
    (void)backend;
#endif
    return lc_exp_ref;
}

lc_swiglu_fn lc_swiglu_kernel(lc_backend backend) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) return lc_swiglu_avx2;
#else
    (void)backend;
#endif
    return lc_swiglu_ref;
}

lc_attn_values_fn lc_attn_values(lc_backend backend, llamac_type type) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) {
        if (type == LLAMAC_TYPE_F16) return lc_attn_values_f16_avx2;
        if (type == LLAMAC_TYPE_F32) return lc_attn_values_f32_avx2;
    }
#else
    (void)backend;
    (void)type;
#endif
    return NULL;
}

lc_axpy_fn lc_axpy(lc_backend backend, llamac_type type) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) return lc_avx2_axpy(type);
#else
    (void)backend;
#endif
    switch (type) {
    case LLAMAC_TYPE_F32: return lc_axpy_f32_ref;
    case LLAMAC_TYPE_F16: return lc_axpy_f16_ref;
    default: return NULL;
    }
}

lc_gemm_fn lc_gemm(lc_backend backend, llamac_type type) {
#if LC_BUILD_HAS_AVX2
    if (lc_backend_resolve(backend) == LC_BACKEND_AVX2) return lc_avx2_gemm(type);
#else
    (void)backend;
    (void)type;
#endif
    return NULL;
}
