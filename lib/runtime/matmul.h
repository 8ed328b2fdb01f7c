/* Weight matrix times a batch of activation rows — where nearly all the time
 * of a forward pass goes, and the one place faster kernels plug in.
 *
 * Activations (float) are converted ONCE per call into each weight's
 * vec_dot_type (Q8_0/Q8_1/Q8_K int8 blocks for quantized weights, F16/BF16
 * for half-precision weights, none for F32), then the rows of all weights are
 * split across the threads in contiguous ranges; each output element is one
 * vec_dot(weight row, converted activation row) — computed for a batch by the
 * back end's gemm where it has one, which gives the same bits.
 *
 * Determinism contract (relied on by the context's bit-identical guarantee):
 * out[t][r] depends only on weight row r and activation row t — not on the
 * thread count, not on which other rows or tokens share the call. A faster
 * kernel (an int8 GEMM tile, a SIMD dot, a runtime-dispatched variant) must
 * keep it: computing a tile of rows x tokens is fine as long as every element
 * comes out as the single-row, single-token dot would. */
#ifndef LLAMAC_MATMUL_H
#define LLAMAC_MATMUL_H

#include "kernels/backend.h"
#include "model/model.h"
#include "common/threadpool.h"

/* Most weights that one call may multiply by the same input (q, k, v). */
#define LC_MATMUL_MAX_JOBS 3

/* out[t * w->n_out + r] = dot(row r of w, x[t]) for t < n_tok, r < w->n_out. */
typedef struct lc_matmul_job {
    const lc_weight *w;
    float *out;
} lc_matmul_job;

/* Bytes of scratch lc_matmul needs for these jobs and n_tok input rows. */
size_t lc_matmul_scratch_bytes(const lc_matmul_job *jobs, int n_jobs, int64_t n_tok);

/* Runs the jobs (1..LC_MATMUL_MAX_JOBS, all with the same n_in) on x, n_tok
 * rows of n_in floats, with the kernels of the resolved table `kt`.
 * `scratch` (64-byte aligned, lc_matmul_scratch_bytes long) receives the
 * converted activations. */
void lc_matmul(lc_threadpool *pool, const lc_kernel_table *kt, const lc_matmul_job *jobs, int n_jobs,
               const float *x, int64_t n_tok, void *scratch);

/* Output rows in tiles of this many: lc_matmul_rows ranges start at a
 * multiple of it. */
#define LC_MATMUL_ROW_TILE 128

/* lc_matmul of one job restricted to the weight's rows [r0, r1) (r0 a
 * multiple of LC_MATMUL_ROW_TILE; r1 clamped to n_out): writes
 * out[t * n_out + r] for those rows only, each element bit-identical to
 * what the whole call computes (the contract above), so a product can be
 * cut into row chunks run one after another (lib/runtime/step.c). */
void lc_matmul_rows(lc_threadpool *pool, const lc_kernel_table *kt, const lc_matmul_job *job, const float *x,
                    int64_t n_tok, void *scratch, int64_t r0, int64_t r1);

#endif
