/* Inline building blocks shared by the avx512_*.c kernels. Only include
 * from files compiled with the AVX-512 flags (lib/meson.build). */
#ifndef LLAMAC_KERNELS_AVX512_UTIL_H
#define LLAMAC_KERNELS_AVX512_UTIL_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define A512_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Software prefetch of `bytes` from address p into L1, one request per
 * 64-byte line. p is an integer: the span may lie past the end of the
 * matrix being streamed, and a prefetch never faults. */
A512_ALWAYS_INLINE void a512_prefetch(uintptr_t p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)(p + o), _MM_HINT_T0);
}

/* The same into the outer caches only (_MM_HINT_T2). A one-token K-quant
 * pass asks for whole super-blocks ahead, 27 lines per group for Q6_K:
 * into L1 those requests compete with the pass's own loads for the L1
 * miss slots, and one Zen 4 core streamed a packed Q6_K matrix at 8.5
 * GB/s; into L2/L3 at 20 (Q4_K 17 -> 18.5). */
A512_ALWAYS_INLINE void a512_prefetch_outer(uintptr_t p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)(p + o), _MM_HINT_T2);
}

static inline __m512i a512_load(const void *p) { return _mm512_loadu_si512(p); }

/* v in both 256-bit halves (AVX-512 F only: no DQ instruction). */
A512_ALWAYS_INLINE __m512 dup256(__m256 v) {
    const __m512 z = _mm512_castps256_ps512(v);
    return _mm512_shuffle_f32x4(z, z, 0x44);
}

/* lo in the low half, hi in the high half. */
A512_ALWAYS_INLINE __m512 join256(__m256 lo, __m256 hi) {
    const __m512d z = _mm512_castpd256_pd512(_mm256_castps_pd(lo));
    return _mm512_castpd_ps(_mm512_insertf64x4(z, _mm256_castps_pd(hi), 1));
}

A512_ALWAYS_INLINE __m256 high256(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* Bytes [off, off + 32) of two packed groups' blocks g0 and g1, as one
 * register: lanes 0..7 the rows of g0, 8..15 those of g1. */
A512_ALWAYS_INLINE __m512i a512_load_pair(const uint8_t *g0, const uint8_t *g1, size_t off) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(g0 + off))),
                              _mm256_loadu_si256((const __m256i *)(g1 + off)), 1);
}

/* The 8 fp16 values at g0 and the 8 at g1 as floats (lanes as above). */
A512_ALWAYS_INLINE __m512 a512_halves_pair(const uint8_t *g0, const uint8_t *g1) {
    const __m256i h = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)g0)),
                                              _mm_loadu_si128((const __m128i *)g1), 1);
    return _mm512_cvtph_ps(h);
}

#endif
