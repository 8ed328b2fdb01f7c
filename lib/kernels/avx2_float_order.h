/* The F32/F16/BF16 dot-product order of the AVX2 back end (see the top
 * of avx2_float.c), as inline pieces: the AVX-512 float gemm
 * (avx512_float.c) runs the same 8-lane FMA chains and must end them the
 * same way to give the same bits. Only include from files compiled with
 * -mavx2 -mfma -mf16c. */
#ifndef LLAMAC_KERNELS_AVX2_FLOAT_ORDER_H
#define LLAMAC_KERNELS_AVX2_FLOAT_ORDER_H

#include "avx2_util.h"
#include "kernels.h"

/* The three encodings as a compile-time parameter of the shared code. */
enum { KIND_F32, KIND_F16, KIND_BF16 };

/* Eight elements from i on, as floats (exact for every encoding). */
AVX2_ALWAYS_INLINE __m256 load8(int kind, const void *p, int64_t i) {
    switch (kind) {
    case KIND_F16: return _mm256_cvtph_ps(avx2_loadu128((const uint16_t *)p + i));
    case KIND_BF16: {
        const __m256i w = _mm256_cvtepu16_epi32(avx2_loadu128((const uint16_t *)p + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
    }
    default: return _mm256_loadu_ps((const float *)p + i);
    }
}

AVX2_ALWAYS_INLINE float load1(int kind, const void *p, int64_t i) {
    switch (kind) {
    case KIND_F16: return avx2_fp16(((const uint16_t *)p)[i]);
    case KIND_BF16: return lc_bf16_to_fp32(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
    }
}

/* The order's end (the scalar tail from element i on) and the final sum. */
AVX2_ALWAYS_INLINE float finish(int kind, const void *x, const void *y, int64_t i, int64_t n, __m256 a) {
    __m128 tail = _mm_setzero_ps();
    for (; i < n; i++) tail = _mm_fmadd_ss(_mm_set_ss(load1(kind, x, i)), _mm_set_ss(load1(kind, y, i)), tail);
    return avx2_hsum_ps(a) + _mm_cvtss_f32(tail);
}

#endif
