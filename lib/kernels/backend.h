/* Kernel tables: everything the runtime computes with, per back end, and
 * the one place (dispatch.c) that picks a table for a context.
 *
 * A back end is one lc_kernel_table. It sets the entries it implements
 * and names a parent for the rest (AVX2's parent is the scalar reference;
 * the AVX-512 table names AVX2's), so a partial back end falls back to
 * the next best one, entry by entry. lc_kernel_table_resolve flattens a
 * table and its ancestors into one complete table; a context does that
 * once, at creation, and every kernel call of the forward pass is then an
 * index into its own copy. See docs/kernels.md for adding a back end.
 *
 * What every table's entries promise: activation encoders (from_float of
 * Q8_0, Q8_1, Q8_K, F16) write the reference's bytes; axpy, attn_values,
 * exp and swiglu give the reference's bits; vec_dot and gemm differ from
 * the reference at most in float summation order, and within one table
 * depend only on the rows (gemm element = vec_dot, bit for bit). */
#ifndef LLAMAC_KERNELS_BACKEND_H
#define LLAMAC_KERNELS_BACKEND_H

#include "kernels.h"

typedef struct lc_kernel_table lc_kernel_table;
struct lc_kernel_table {
    const lc_kernel_table *parent; /* where NULL entries come from; NULL only for the scalar reference */
    unsigned needs;                /* lc_cpu_need bits its own entries use (cpu.h) */
    /* Per type. A traits entry's functions are inherited one by one;
     * vec_dot_type is always the reference's (the model records it at
     * load to size the activation buffers), so tables leave it 0. */
    lc_type_traits traits[LLAMAC_TYPE_COUNT];
    lc_gemm_fn gemm[LLAMAC_TYPE_COUNT];        /* NULL: loop over vec_dot */
    lc_gemm_fn packed_gemm[LLAMAC_TYPE_COUNT]; /* on lc_pack8's layout; NULL: not packed */
    lc_axpy_fn axpy[LLAMAC_TYPE_COUNT];        /* F32 and F16, the KV cache encodings */
    lc_attn_values_fn attn_values[LLAMAC_TYPE_COUNT]; /* used for head sizes divisible by 8;
                                                         NULL: axpy per head and cell */
    lc_exp_fn exp;
    lc_swiglu_fn swiglu;
};

/* The tables of the built-in back ends (scalar_table.c, avx2_table.c,
 * avx512_table.c).
 * Only the scalar one is complete; reach the others through
 * lc_kernel_table_resolve. */
extern const lc_kernel_table lc_scalar_kernels;

/* *out = t with every NULL entry filled from the nearest ancestor that
 * has it, vec_dot_type from the root (the scalar reference), `needs` the
 * union of the chain's and `parent` NULL. Entries no table of the chain
 * has stay NULL. */
void lc_kernel_table_resolve(const lc_kernel_table *t, lc_kernel_table *out);

/* Whether this CPU runs every entry of t and of its ancestors. */
bool lc_kernel_table_runs_here(const lc_kernel_table *t);

/* The table of a back end built into this library, NULL for a value no
 * back end of this build has (or not a llamac_kernels value). AUTO: the
 * best back end this CPU runs. Does not check the CPU for other values. */
const lc_kernel_table *lc_kernel_table_for(llamac_kernels kernels);

/* Resolves the back end `kernels` names into *out; false (out untouched)
 * when this build has no such back end or this CPU cannot run it. AUTO
 * always succeeds. */
bool lc_kernels_resolve(llamac_kernels kernels, lc_kernel_table *out);

/* "auto", "scalar", "avx2", "avx512" (as in LLAMAC_KERNELS, which only tests and
 * tools read); NULL for a value that is not a llamac_kernels value. A
 * name exists whether or not this build has the back end. */
const char *lc_kernels_name(llamac_kernels kernels);
/* The name of a built-in back end's table (as lc_kernel_table_for gives
 * it), NULL for any other table. */
const char *lc_kernel_table_name(const lc_kernel_table *t);
/* The value of one of those names; false, *out untouched, otherwise. */
bool lc_kernels_parse(const char *name, llamac_kernels *out);

/* Per-type lookups that accept any type value: NULL out of range. */
static inline bool lc_kt_type_ok(llamac_type type) { return (unsigned)type < LLAMAC_TYPE_COUNT; }
/* The traits of `type`, or NULL when the table cannot compute on it. */
static inline const lc_type_traits *lc_kt_traits(const lc_kernel_table *k, llamac_type type) {
    return lc_kt_type_ok(type) && k->traits[type].to_float ? &k->traits[type] : NULL;
}
static inline lc_gemm_fn lc_kt_gemm(const lc_kernel_table *k, llamac_type type) {
    return lc_kt_type_ok(type) ? k->gemm[type] : NULL;
}
static inline lc_gemm_fn lc_kt_packed_gemm(const lc_kernel_table *k, llamac_type type) {
    return lc_kt_type_ok(type) ? k->packed_gemm[type] : NULL;
}
static inline lc_axpy_fn lc_kt_axpy(const lc_kernel_table *k, llamac_type type) {
    return lc_kt_type_ok(type) ? k->axpy[type] : NULL;
}
static inline lc_attn_values_fn lc_kt_attn_values(const lc_kernel_table *k, llamac_type type) {
    return lc_kt_type_ok(type) ? k->attn_values[type] : NULL;
}

#endif
