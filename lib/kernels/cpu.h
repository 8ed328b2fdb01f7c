/* What the running CPU can execute, probed once (see dispatch.c for how the
 * answer picks a back end). */
#ifndef LLAMAC_KERNELS_CPU_H
#define LLAMAC_KERNELS_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* Each flag means the CPU implements the extension (cpuid) and the OS
 * saves the registers it uses (xgetbv: YMM state for the VEX ones, opmask
 * and ZMM state for AVX-512), so its instructions will run. */
typedef struct lc_cpu_features {
    /* AVX2, FMA and F16C together: everything the AVX2 back end uses. */
    bool avx2_fma_f16c;
    /* AVX-512 F+BW+VL together, the base an AVX-512 back end needs. */
    bool avx512;
    /* The single extensions, for diagnostics (llamac info); the AVX-512
     * back end needs avx512 and avx512_vnni (LC_CPU_AVX512 |
     * LC_CPU_AVX512_VNNI); nothing uses BF16 or AVX-VNNI yet. */
    bool avx2, fma, f16c;
    bool avx512f, avx512bw, avx512vl;
    bool avx512_vnni; /* 512-bit int8 dot products (VPDPBUSD, EVEX) */
    bool avx512_bf16; /* BF16 conversions and dot products (VDPBF16PS) */
    bool avx_vnni;    /* VPDPBUSD with VEX encoding, on 256-bit registers */
} lc_cpu_features;

/* CPU features as bits, for a kernel table's `needs` (backend.h). */
typedef enum lc_cpu_need {
    LC_CPU_AVX2_FMA_F16C = 1 << 0,
    LC_CPU_AVX512 = 1 << 1,      /* F + BW + VL */
    LC_CPU_AVX512_VNNI = 1 << 2,
    LC_CPU_AVX_VNNI = 1 << 3
} lc_cpu_need;

/* Whether this CPU has every feature in `needs` (an OR of lc_cpu_need;
 * 0: always true). Safe from any thread. */
bool lc_cpu_has(unsigned needs);

/* The features of this CPU. The first call probes (cpuid, xgetbv) and
 * caches the answer in a write-once atomic; later calls read it. Safe from
 * any thread; non-x86 builds report nothing. */
lc_cpu_features lc_cpu_features_get(void);

/* The single extensions set in `f`, named as Linux's /proc/cpuinfo names
 * them and separated by one space ("avx2 fma f16c avx512f ..."), or "none"
 * when none is. Writes at most `size` bytes into buf, NUL included (buf
 * may be NULL when size is 0), and returns the length of the whole text,
 * as snprintf does. Thread-safe. */
size_t lc_cpu_features_describe(lc_cpu_features f, char *buf, size_t size);

#endif
