/* Shared by the SIMD kernel tests and bench_kernels.c: a seeded generator,
 * random rows of any computable weight type, and the AVX2 gate. */
#ifndef LLAMAC_TEST_KERNELS_SIMD_UTIL_H
#define LLAMAC_TEST_KERNELS_SIMD_UTIL_H

#include "kernels/blocks.h"
#include "kernels/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct simd_rng { uint64_t s; } simd_rng;

static inline uint64_t simd_rng_next(simd_rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static inline double simd_rng_uniform(simd_rng *r) { return (double)(simd_rng_next(r) >> 11) * 0x1p-53; }

static inline float simd_rng_gauss(simd_rng *r) {
    const double u = simd_rng_uniform(r) + 1e-300, v = simd_rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static inline size_t simd_row_bytes(llamac_type type, int64_t n) {
    return (size_t)(n / llamac_type_block_size(type)) * llamac_type_block_bytes(type);
}

/* The resolved table of a built-in back end (AUTO: the best), as a
 * context would hold it, or NULL when this build or CPU cannot run it.
 * One copy per back end and test program, resolved on first use. */
static inline const lc_kernel_table *simd_kernels(llamac_kernels kernels) {
    static lc_kernel_table tables[8];
    static bool have[8];
    if ((unsigned)kernels >= 8) return NULL;
    if (!have[kernels] && !lc_kernels_resolve(kernels, &tables[kernels])) return NULL;
    have[kernels] = true;
    return &tables[kernels];
}

/* The resolved AVX2 traits of `type` (call after simd_have_avx2). */
static inline const lc_type_traits *simd_avx2_traits(llamac_type type) {
    return lc_kt_traits(simd_kernels(LLAMAC_KERNELS_AVX2), type);
}

/* Whether the AVX2 back end can run here; prints a loud SKIP line if not. */
static inline int simd_have_avx2(const char *what) {
    if (simd_kernels(LLAMAC_KERNELS_AVX2)) return 1;
    fprintf(stderr, "SKIP: %s: this CPU (or build) has no AVX2+FMA+F16C\n", what);
    return 0;
}

static inline void simd_put_half(uint16_t *field, float v) { *field = lc_fp32_to_fp16(v); }

/* Sets the fp16 super-block scale(s) of K-quant / IQ4_XS block `blk` (the
 * sign of d is ignored where the format keeps d positive by convention but
 * any value is valid). Returns 0 for other types. */
static inline int simd_set_k_scales(llamac_type type, void *blk, float d, float dmin) {
    switch (type) {
    case LLAMAC_TYPE_Q2_K:
        simd_put_half(&((lc_block_q2_K *)blk)->d, d);
        simd_put_half(&((lc_block_q2_K *)blk)->dmin, dmin);
        return 1;
    case LLAMAC_TYPE_Q3_K: simd_put_half(&((lc_block_q3_K *)blk)->d, d); return 1;
    case LLAMAC_TYPE_Q4_K:
        simd_put_half(&((lc_block_q4_K *)blk)->d, d);
        simd_put_half(&((lc_block_q4_K *)blk)->dmin, dmin);
        return 1;
    case LLAMAC_TYPE_Q5_K:
        simd_put_half(&((lc_block_q5_K *)blk)->d, d);
        simd_put_half(&((lc_block_q5_K *)blk)->dmin, dmin);
        return 1;
    case LLAMAC_TYPE_Q6_K: simd_put_half(&((lc_block_q6_K *)blk)->d, d); return 1;
    case LLAMAC_TYPE_IQ4_XS: simd_put_half(&((lc_block_iq4_xs *)blk)->d, d); return 1;
    default: return 0;
    }
}

/* Fills a row of `type` (n elements) at `row`: encoded Gaussian floats of
 * standard deviation `scale` where the type has an encoder, otherwise
 * random bytes (every bit pattern of quants and sub-scales is a valid
 * block) with sane fp16 super-block scales. Returns 0 for a type it cannot
 * make. */
static inline int simd_random_row(llamac_type type, int64_t n, float scale, simd_rng *r, void *row) {
    const lc_type_traits *t = lc_scalar_traits(type);
    if (!t) return 0;
    if (t->from_float) {
        float *f = malloc((size_t)(n > 0 ? n : 1) * sizeof *f);
        if (!f) return 0;
        for (int64_t i = 0; i < n; i++) f[i] = scale * simd_rng_gauss(r);
        t->from_float(f, row, n);
        free(f);
        return 1;
    }
    uint8_t *bytes = row;
    const size_t bb = llamac_type_block_bytes(type);
    for (size_t i = 0; i < simd_row_bytes(type, n); i++) bytes[i] = (uint8_t)(simd_rng_next(r) >> 56);
    for (int64_t b = 0; b < n / LC_QK_K; b++) {
        const float d = (float)(0.0005 + 0.002 * simd_rng_uniform(r));
        const float dmin = (float)(0.0005 + 0.002 * simd_rng_uniform(r));
        const float sign = (simd_rng_next(r) & 1) ? -1.f : 1.f;
        const int small = type == LLAMAC_TYPE_Q6_K || type == LLAMAC_TYPE_IQ4_XS; /* 8-bit-ish scales */
        if (!simd_set_k_scales(type, bytes + (size_t)b * bb, sign * d * (small ? 0.1f : 1.f), dmin)) return 0;
    }
    return 1;
}

#endif
