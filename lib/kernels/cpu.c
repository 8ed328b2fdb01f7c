/* CPU feature probe. cpuid says what the processor implements; xgetbv says
 * whether the OS saves the wider registers on context switches — without
 * that, AVX instructions fault even on a CPU that has them. */
#include "cpu.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

enum {
    BIT_AVX2 = LC_CPU_AVX2_FMA_F16C,
    BIT_AVX512 = LC_CPU_AVX512,
    BIT_AVX512_VNNI = LC_CPU_AVX512_VNNI,
    BIT_AVX_VNNI = LC_CPU_AVX_VNNI,
    BIT_PROBED = 1 << 30
};

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static int probe(void) {
    unsigned a, b, c, d;
    int bits = BIT_PROBED;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return bits;
    const bool fma = c >> 12 & 1, osxsave = c >> 27 & 1, avx = c >> 28 & 1, f16c = c >> 29 & 1;
    if (!osxsave || !avx) return bits;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;            /* SSE + AVX halves */
    const bool zmm_state = ymm_state && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM hi */
    if (!ymm_state || __get_cpuid_max(0, NULL) < 7) return bits;
    unsigned a7, b7, c7, d7;
    __cpuid_count(7, 0, a7, b7, c7, d7);
    if ((b7 >> 5 & 1) && fma && f16c) bits |= BIT_AVX2;
    const bool f = b7 >> 16 & 1, bw = b7 >> 30 & 1, vl = b7 >> 31 & 1;
    if (zmm_state && f && bw && vl) {
        bits |= BIT_AVX512;
        if (c7 >> 11 & 1) bits |= BIT_AVX512_VNNI;
    }
    if (a7 >= 1) {
        unsigned a71, b71, c71, d71;
        __cpuid_count(7, 1, a71, b71, c71, d71);
        if (a71 >> 4 & 1) bits |= BIT_AVX_VNNI;
    }
    (void)d7;
    return bits;
}

/* The library's one piece of global state. Every thread that finds it
 * unset computes the same value, so a race only repeats the probe. */
static atomic_int cpu_bits = 0;

static int cpu_bits_get(void) {
    int bits = atomic_load_explicit(&cpu_bits, memory_order_relaxed);
    if (!bits) {
        bits = probe();
        atomic_store_explicit(&cpu_bits, bits, memory_order_relaxed);
    }
    return bits;
}

bool lc_cpu_has(unsigned needs) { return ((unsigned)cpu_bits_get() & needs) == needs; }

lc_cpu_features lc_cpu_features_get(void) {
    const int bits = cpu_bits_get();
    lc_cpu_features f = {
        .avx2_fma_f16c = bits & BIT_AVX2,
        .avx512 = bits & BIT_AVX512,
        .avx512_vnni = bits & BIT_AVX512_VNNI,
        .avx_vnni = bits & BIT_AVX_VNNI,
    };
    return f;
}

#else

bool lc_cpu_has(unsigned needs) { return needs == 0; }

lc_cpu_features lc_cpu_features_get(void) {
    lc_cpu_features f = {false, false, false, false};
    return f;
}

#endif
