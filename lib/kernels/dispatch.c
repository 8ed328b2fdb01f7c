/* The single place that picks kernels: the list of back ends built into
 * this library, their names, and the resolution of a table against its
 * parents and the CPU. Compiled without any -m flags, so it runs on every
 * CPU and hands out a SIMD table only after the probe said it will run.
 * LC_HAVE_AVX2 and LC_HAVE_AVX512 come from lib/meson.build, which defines
 * each exactly where it builds the kernels_avx2 / kernels_avx512 library. */
#include "backend.h"

#include "cpu.h"

#include <string.h>

#ifdef LC_HAVE_AVX2
#include "avx2_kernels.h"
#define AVX2_TABLE (&lc_avx2_kernels)
#else
#define AVX2_TABLE NULL
#endif

#ifdef LC_HAVE_AVX512
#include "avx512_kernels.h"
#define AVX512_TABLE (&lc_avx512_kernels)
#else
#define AVX512_TABLE NULL
#endif

/* Every public llamac_kernels value but AUTO, worst to best: AUTO takes
 * the last one whose table is built and runs here. A new back end is one
 * line here (its table NULL when this build lacks it). */
static const struct {
    llamac_kernels id;
    const char *name;
    const lc_kernel_table *table;
} backends[] = {
    {LLAMAC_KERNELS_SCALAR, "scalar", &lc_scalar_kernels},
    {LLAMAC_KERNELS_AVX2, "avx2", AVX2_TABLE},
    {LLAMAC_KERNELS_AVX512, "avx512", AVX512_TABLE},
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

#define FILL(field) \
    if (!out->field) out->field = p->field

void lc_kernel_table_resolve(const lc_kernel_table *t, lc_kernel_table *out) {
    *out = *t;
    const lc_kernel_table *root = t;
    for (const lc_kernel_table *p = t->parent; p; p = p->parent) {
        root = p;
        out->needs |= p->needs;
        for (int i = 0; i < LLAMAC_TYPE_COUNT; i++) {
            FILL(traits[i].to_float);
            FILL(traits[i].from_float);
            FILL(traits[i].vec_dot);
            FILL(gemm[i]);
            FILL(packed_gemm[i]);
            FILL(axpy[i]);
            FILL(attn_values[i]);
        }
        FILL(exp);
        FILL(swiglu);
    }
    for (int i = 0; i < LLAMAC_TYPE_COUNT; i++) out->traits[i].vec_dot_type = root->traits[i].vec_dot_type;
    out->parent = NULL;
}

bool lc_kernel_table_runs_here(const lc_kernel_table *t) {
    for (; t; t = t->parent)
        if (!lc_cpu_has(t->needs)) return false;
    return true;
}

const lc_kernel_table *lc_kernel_table_for(llamac_kernels kernels) {
    const lc_kernel_table *best = NULL;
    for (size_t i = 0; i < N_BACKENDS; i++) {
        if (backends[i].id == kernels) return backends[i].table;
        if (backends[i].table && lc_kernel_table_runs_here(backends[i].table)) best = backends[i].table;
    }
    return kernels == LLAMAC_KERNELS_AUTO ? best : NULL;
}

bool lc_kernels_resolve(llamac_kernels kernels, lc_kernel_table *out) {
    const lc_kernel_table *t = lc_kernel_table_for(kernels);
    if (!t || !lc_kernel_table_runs_here(t)) return false;
    lc_kernel_table_resolve(t, out);
    return true;
}

const char *lc_kernels_name(llamac_kernels kernels) {
    if (kernels == LLAMAC_KERNELS_AUTO) return "auto";
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (backends[i].id == kernels) return backends[i].name;
    return NULL;
}

const char *lc_kernel_table_name(const lc_kernel_table *t) {
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (backends[i].table && backends[i].table == t) return backends[i].name;
    return NULL;
}

bool lc_kernels_parse(const char *name, llamac_kernels *out) {
    if (!name) return false;
    if (strcmp(name, "auto") == 0) {
        *out = LLAMAC_KERNELS_AUTO;
        return true;
    }
    for (size_t i = 0; i < N_BACKENDS; i++) {
        if (strcmp(name, backends[i].name) == 0) {
            *out = backends[i].id;
            return true;
        }
    }
    return false;
}
