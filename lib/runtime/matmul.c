/* Matrix products over the thread pool; see matmul.h for the contract. */
#include "matmul.h"

#include "common/assert.h"

#include <stdatomic.h>

/* Rows of one weight multiplied against every token before moving on: the
 * tile's weight bytes stay in cache while the tokens stream past. */
#define ROW_TILE LC_MATMUL_ROW_TILE
_Static_assert(ROW_TILE % 8 == 0, "packed gemms take groups of 8 rows");

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* The activations of one vec_dot_type: x itself for F32, else converted. */
typedef struct act_rows {
    llamac_type type;
    const uint8_t *data;
    size_t row_bytes;
} act_rows;

typedef struct matmul_task {
    const lc_matmul_job *jobs;
    int n_jobs;
    lc_from_float_fn convert_fn; /* conversion phase: the encoder of `convert` */
    const act_rows *act[LC_MATMUL_MAX_JOBS]; /* per job */
    lc_vec_dot_fn dot[LC_MATMUL_MAX_JOBS];   /* per job */
    lc_gemm_fn gemm[LC_MATMUL_MAX_JOBS];     /* per job, NULL: loop over dot */
    const uint8_t *wdata[LC_MATMUL_MAX_JOBS]; /* per job: w->data or w->owned */
    int64_t n_tok;
    int64_t row0;                          /* rows of every job start here (a multiple of ROW_TILE) */
    int64_t row_end[LC_MATMUL_MAX_JOBS];   /* per job: rows end here */
    int64_t n_tiles;                       /* row tiles over all jobs */
    int64_t tile0[LC_MATMUL_MAX_JOBS + 1]; /* job j's tiles: [tile0[j], tile0[j + 1]) */
    atomic_int_fast64_t next_tile;         /* the next tile not yet taken */
    /* conversion phase */
    const float *x;
    int64_t n_in;
    const act_rows *convert;
} matmul_task;

size_t lc_matmul_scratch_bytes(const lc_matmul_job *jobs, int n_jobs, int64_t n_tok) {
    size_t total = 0;
    for (int j = 0; j < n_jobs; j++) {
        llamac_type t = jobs[j].w->vec_dot_type;
        bool seen = t == LLAMAC_TYPE_F32;
        for (int k = 0; k < j && !seen; k++) seen = jobs[k].w->vec_dot_type == t;
        if (!seen) total += align64(lc_row_size(t, jobs[j].w->n_in) * (size_t)n_tok);
    }
    return total;
}

static void convert_task(void *arg, int ith, int nth) {
    const matmul_task *mt = arg;
    const act_rows *a = mt->convert;
    int64_t t0, t1;
    lc_split_range(mt->n_tok, ith, nth, &t0, &t1);
    for (int64_t t = t0; t < t1; t++)
        mt->convert_fn(mt->x + t * mt->n_in, (uint8_t *)a->data + (size_t)t * a->row_bytes, mt->n_in);
}

/* Rows [r0, r1) of one weight against every token. A back end's gemm
 * gives each element bit-identical to its dot, so it serves every call,
 * single tokens included (it streams weight rows faster than the dot
 * loop), without breaking the determinism contract. */
static void mul_rows(const lc_weight *w, const uint8_t *wdata, lc_vec_dot_fn dot, lc_gemm_fn gemm,
                     const act_rows *a, int64_t n_tok, int64_t r0, int64_t r1, float *out) {
    for (int64_t rt = r0; rt < r1; rt += ROW_TILE) {
        const int64_t rt_end = LC_MIN(rt + ROW_TILE, r1);
        if (gemm) {
            gemm(w->n_in, rt_end - rt, n_tok, wdata + (size_t)rt * w->row_bytes, w->row_bytes, a->data, a->row_bytes,
                 out + rt, (size_t)w->n_out);
            continue;
        }
        for (int64_t t = 0; t < n_tok; t++) {
            const uint8_t *xa = a->data + (size_t)t * a->row_bytes;
            float *o = out + t * w->n_out;
            for (int64_t r = rt; r < rt_end; r++) dot(w->n_in, &o[r], wdata + (size_t)r * w->row_bytes, xa);
        }
    }
}

/* Threads take row tiles from a shared counter until none is left, so one
 * that falls behind (a slower memory channel, the caller's serial work)
 * is helped by the others rather than waited for. Which thread computes a
 * tile cannot change its bits: each element depends only on its two rows. */
static void dot_task(void *arg, int ith, int nth) {
    (void)ith, (void)nth;
    matmul_task *mt = arg;
    int j = 0;
    for (;;) {
        const int64_t tile = atomic_fetch_add_explicit(&mt->next_tile, 1, memory_order_relaxed);
        if (tile >= mt->n_tiles) return;
        while (tile >= mt->tile0[j + 1]) j++;
        const lc_weight *w = mt->jobs[j].w;
        const int64_t r0 = mt->row0 + (tile - mt->tile0[j]) * ROW_TILE;
        mul_rows(w, mt->wdata[j], mt->dot[j], mt->gemm[j], mt->act[j], mt->n_tok, r0,
                 LC_MIN(r0 + ROW_TILE, mt->row_end[j]), mt->jobs[j].out);
    }
}

/* Rows [r0, r1) of every job (r1 clamped to each job's n_out). */
static void matmul_range(lc_threadpool *pool, const lc_kernel_table *kt, const lc_matmul_job *jobs, int n_jobs,
                         const float *x, int64_t n_tok, void *scratch, int64_t r0, int64_t r1) {
    matmul_task mt = {.jobs = jobs, .n_jobs = n_jobs, .n_tok = n_tok, .x = x, .n_in = jobs[0].w->n_in, .row0 = r0};
    LC_ASSERT(n_jobs >= 1 && n_jobs <= LC_MATMUL_MAX_JOBS);
    LC_ASSERT(r0 >= 0 && r0 % ROW_TILE == 0 && r1 >= r0);
    act_rows acts[LC_MATMUL_MAX_JOBS];
    int n_acts = 0;
    uint8_t *next = scratch;
    for (int j = 0; j < n_jobs; j++) {
        const lc_weight *w = jobs[j].w;
        const llamac_type t = w->vec_dot_type;
        LC_ASSERT(w->n_in == mt.n_in); /* one x feeds every job */
        mt.tile0[j] = mt.n_tiles;
        mt.row_end[j] = LC_MIN(r1, w->n_out);
        if (mt.row_end[j] > r0) mt.n_tiles += (mt.row_end[j] - r0 + ROW_TILE - 1) / ROW_TILE;
        mt.dot[j] = kt->traits[w->type].vec_dot;
        mt.gemm[j] = kt->gemm[w->type];
        mt.wdata[j] = w->owned && !w->packed ? w->owned : w->data;
        /* a packed image needs its own gemm (a back end without one reads
         * the file's rows); row tiles start at multiples of ROW_TILE, a
         * multiple of 8 as packed gemms require */
        const lc_gemm_fn packed = w->owned && w->packed ? kt->packed_gemm[w->type] : NULL;
        if (packed) mt.gemm[j] = packed, mt.wdata[j] = w->owned;
        LC_ASSERT(!packed || w->n_out % 8 == 0); /* packed images hold groups of 8 rows */
        int k = 0;
        while (k < n_acts && acts[k].type != t) k++;
        if (k == n_acts) {
            act_rows *a = &acts[n_acts++];
            a->type = t;
            a->row_bytes = lc_row_size(t, w->n_in);
            if (t == LLAMAC_TYPE_F32) {
                a->data = (const uint8_t *)x;
            } else {
                a->data = next;
                next += align64(a->row_bytes * (size_t)n_tok);
                mt.convert = a;
                mt.convert_fn = kt->traits[t].from_float;
                /* One row is cheaper to convert here than to hand out. */
                if (n_tok == 1) convert_task(&mt, 0, 1);
                else lc_threadpool_run(pool, convert_task, &mt);
            }
        }
        mt.act[j] = &acts[k];
    }
    mt.tile0[n_jobs] = mt.n_tiles;
    atomic_init(&mt.next_tile, 0);
    lc_threadpool_run(pool, dot_task, &mt);
}

void lc_matmul(lc_threadpool *pool, const lc_kernel_table *kt, const lc_matmul_job *jobs, int n_jobs,
               const float *x, int64_t n_tok, void *scratch) {
    matmul_range(pool, kt, jobs, n_jobs, x, n_tok, scratch, 0, INT64_MAX);
}

void lc_matmul_rows(lc_threadpool *pool, const lc_kernel_table *kt, const lc_matmul_job *job, const float *x,
                    int64_t n_tok, void *scratch, int64_t r0, int64_t r1) {
    matmul_range(pool, kt, job, 1, x, n_tok, scratch, r0, r1);
}
