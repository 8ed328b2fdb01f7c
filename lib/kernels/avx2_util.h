/* Inline building blocks shared by the avx2_*.c kernels. Only include from
 * files compiled with -mavx2 -mfma -mf16c. */
#ifndef LLAMAC_KERNELS_AVX2_UTIL_H
#define LLAMAC_KERNELS_AVX2_UTIL_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AVX2_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Software prefetch of `bytes` from address p into L1, one request per
 * 64-byte line. p is an integer: the span may lie past the end of the
 * matrix being streamed (pointer arithmetic there would be undefined),
 * and a prefetch never faults. */
AVX2_ALWAYS_INLINE void avx2_prefetch(uintptr_t p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)(p + o), _MM_HINT_T0);
}

/* The same into the outer caches only (_MM_HINT_T2): for reading a stream
 * well ahead, where requests into L1 would compete with the pass's own
 * loads (docs/kernels.md). */
AVX2_ALWAYS_INLINE void avx2_prefetch_outer(uintptr_t p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) _mm_prefetch((const char *)(p + o), _MM_HINT_T2);
}

/* An empty asm that claims to change v: the compiler must keep v in a
 * register at this point and cannot reassociate integer sums across it.
 * Without it gcc hoists every maddubs of a block ahead of the adds (legal
 * for wrapping integer sums) and spills them all. */
#define AVX2_PIN(v) __asm__("" : "+x"(v))

/* Sum of the 8 lanes, always in the same tree: (l0+l4, l1+l5, l2+l6,
 * l3+l7), then pairs, then the last two. */
static inline float avx2_hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int32_t avx2_hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

static inline float avx2_fp16(uint16_t h) { return _cvtsh_ss(h); }

static inline __m256i avx2_loadu(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m128i avx2_loadu128(const void *p) { return _mm_loadu_si128((const __m128i *)p); }

/* Four fp16 values at p, p + stride, p + 2 stride, p + 3 stride (bytes), as
 * floats. Gathering the halves in integer registers and converting them
 * together keeps the vector pipes for the dot products; the values are
 * exactly avx2_fp16 of each. */
static inline __m128 avx2_half4(const void *p, size_t stride) {
    const uint8_t *a = p;
    uint64_t w = 0;
    for (int k = 0; k < 4; k++) {
        uint16_t h;
        memcpy(&h, a + (size_t)k * stride, 2);
        w |= (uint64_t)h << (16 * k);
    }
    return _mm_cvtph_ps(_mm_cvtsi64_si128((long long)w));
}

/* Lane k of v in all 8 lanes. */
static inline __m256 avx2_lane(__m128 v, int k) {
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), _mm256_set1_epi32(k));
}

/* 16 nibble-pair bytes -> 32 bytes 0..15: the low nibbles in bytes 0..15,
 * the high nibbles in bytes 16..31 (the Q4_0 / IQ4_NL / IQ4_XS order). */
static inline __m256i avx2_nibbles_lo_hi(const uint8_t *qs) {
    /* both halves hold the 16 bytes; the upper one is shifted right by 4
     * (bits crossing into the byte below are masked off) */
    const __m256i b = _mm256_broadcastsi128_si256(avx2_loadu128(qs));
    const __m256i shifted = _mm256_srlv_epi64(b, _mm256_set_epi64x(4, 4, 0, 0));
    return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0f));
}

/* Products of unsigned bytes u (0..255) with signed bytes s, summed in
 * groups of four consecutive bytes: int32 lane j = sum over bytes 4j..4j+3.
 * Exact while each adjacent pair's sum fits int16 (true when u <= 127 or
 * s != -128, which every caller guarantees). */
static inline __m256i avx2_dot_u8s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* Signed x signed byte products summed in adjacent pairs (int16 lane i =
 * bytes 2i, 2i+1). maddubs needs one unsigned side, so x's sign moves onto
 * y: |x| * (sign(x) y). Exact for x, y in -127..127 (a -128 in y opposite
 * a negative x would wrap). */
static inline __m256i avx2_maddubs_s8s8(__m256i x, __m256i y) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

/* The four-byte grouping of avx2_dot_u8s8 for two signed operands. */
static inline __m256i avx2_dot_s8s8(__m256i x, __m256i y) {
    return _mm256_madd_epi16(avx2_maddubs_s8s8(x, y), _mm256_set1_epi16(1));
}

/* Byte i of the result is 0xff where bit i of the 32-bit little-endian word
 * at p is set, else 0 (the Q5_0/Q5_1 fifth bits). */
static inline __m256i avx2_bits_to_bytes(const uint8_t *p) {
    const uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    /* byte i takes byte i/8 of the word, then tests bit i%8 */
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32((int)w),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
    const __m256i bit = _mm256_set1_epi64x((int64_t)0x8040201008040201u);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

#endif
