/* CPU feature probe. cpuid says what the processor implements; xgetbv says
 * whether the OS saves the wider registers on context switches — without
 * that, AVX instructions fault even on a CPU that has them. */
#include "cpu.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Appends s to buf as far as it fits (NUL-terminated when size > 0), and
 * its length to *len whether it fitted or not. */
static void append(char *buf, size_t size, size_t *len, const char *s) {
    const size_t n = strlen(s);
    if (*len < size) {
        const size_t room = size - *len - 1, copy = n < room ? n : room;
        memcpy(buf + *len, s, copy);
        buf[*len + copy] = '\0';
    }
    *len += n;
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

enum {
    BIT_AVX2 = 1 << 0,
    BIT_FMA = 1 << 1,
    BIT_F16C = 1 << 2,
    BIT_AVX512F = 1 << 3,
    BIT_AVX512BW = 1 << 4,
    BIT_AVX512VL = 1 << 5,
    BIT_AVX512_VNNI = 1 << 6,
    BIT_AVX512_BF16 = 1 << 7,
    BIT_AVX_VNNI = 1 << 8,
    BIT_PROBED = 1 << 30
};

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static int bit_if(unsigned reg, int pos, int flag) { return reg >> pos & 1 ? flag : 0; }

static int probe(void) {
    unsigned a, b, c, d;
    int bits = BIT_PROBED;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return bits;
    const bool osxsave = c >> 27 & 1, avx = c >> 28 & 1;
    if (!osxsave || !avx) return bits;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;                /* SSE + AVX halves */
    const bool zmm_state = ymm_state && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM hi 256, ZMM 16-31 */
    if (!ymm_state) return bits;
    bits |= bit_if(c, 12, BIT_FMA) | bit_if(c, 29, BIT_F16C);
    if (__get_cpuid_max(0, NULL) < 7) return bits;
    unsigned a7, b7, c7, d7;
    __cpuid_count(7, 0, a7, b7, c7, d7);
    (void)d7;
    bits |= bit_if(b7, 5, BIT_AVX2);
    unsigned a71 = 0, b71 = 0, c71 = 0, d71 = 0;
    if (a7 >= 1) __cpuid_count(7, 1, a71, b71, c71, d71);
    (void)b71, (void)c71, (void)d71;
    bits |= bit_if(a71, 4, BIT_AVX_VNNI);
    if (zmm_state)
        bits |= bit_if(b7, 16, BIT_AVX512F) | bit_if(b7, 30, BIT_AVX512BW) | bit_if(b7, 31, BIT_AVX512VL) |
                bit_if(c7, 11, BIT_AVX512_VNNI) | bit_if(a71, 5, BIT_AVX512_BF16);
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

lc_cpu_features lc_cpu_features_get(void) {
    const int bits = cpu_bits_get();
    lc_cpu_features f = {
        .avx2 = bits & BIT_AVX2,
        .fma = bits & BIT_FMA,
        .f16c = bits & BIT_F16C,
        .avx512f = bits & BIT_AVX512F,
        .avx512bw = bits & BIT_AVX512BW,
        .avx512vl = bits & BIT_AVX512VL,
        .avx512_vnni = bits & BIT_AVX512_VNNI,
        .avx512_bf16 = bits & BIT_AVX512_BF16,
        .avx_vnni = bits & BIT_AVX_VNNI,
    };
    f.avx2_fma_f16c = f.avx2 && f.fma && f.f16c;
    f.avx512 = f.avx512f && f.avx512bw && f.avx512vl;
    return f;
}

#else

lc_cpu_features lc_cpu_features_get(void) {
    lc_cpu_features f = {0};
    return f;
}

#endif

bool lc_cpu_has(unsigned needs) {
    const lc_cpu_features f = lc_cpu_features_get();
    const unsigned have = (f.avx2_fma_f16c ? LC_CPU_AVX2_FMA_F16C : 0u) | (f.avx512 ? LC_CPU_AVX512 : 0u) |
                          (f.avx512_vnni ? LC_CPU_AVX512_VNNI : 0u) | (f.avx_vnni ? LC_CPU_AVX_VNNI : 0u);
    return (have & needs) == needs;
}

size_t lc_cpu_features_describe(lc_cpu_features f, char *buf, size_t size) {
    const struct {
        bool on;
        const char *name;
    } all[] = {
        {f.avx2, "avx2"},         {f.fma, "fma"},           {f.f16c, "f16c"},
        {f.avx512f, "avx512f"},   {f.avx512bw, "avx512bw"}, {f.avx512vl, "avx512vl"},
        {f.avx512_vnni, "avx512_vnni"}, {f.avx512_bf16, "avx512_bf16"}, {f.avx_vnni, "avx_vnni"},
    };
    size_t len = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i].on) continue;
        if (len) append(buf, size, &len, " ");
        append(buf, size, &len, all[i].name);
    }
    if (!len) append(buf, size, &len, "none");
    return len;
}
