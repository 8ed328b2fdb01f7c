/* What the running CPU can execute, probed once (see dispatch.c for how the
 * answer picks a back end). */
#ifndef LLAMAC_KERNELS_CPU_H
#define LLAMAC_KERNELS_CPU_H

#include <stdbool.h>

typedef struct lc_cpu_features {
    /* AVX2, FMA and F16C, with the YMM register state enabled by the OS:
     * everything the AVX2 back end uses. */
    bool avx2_fma_f16c;
    /* AVX-512 F+BW+VL with ZMM state, and its VNNI extension; AVX-VNNI
     * (VEX-encoded dot products). Reported for diagnostics only: llamac
     * has no kernels for them yet. */
    bool avx512;
    bool avx512_vnni;
    bool avx_vnni;
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

#endif
