/* Matrix products over the thread pool; see matmul.h for the contract. */
#include "matmul.h"

/* Rows of one weight multiplied against every token before moving on: the
 * tile's weight bytes stay in cache while the tokens stream past. */
#define ROW_TILE 128

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
    lc_backend backend;
    const act_rows *act[LC_MATMUL_MAX_JOBS]; /* per job */
    lc_vec_dot_fn dot[LC_MATMUL_MAX_JOBS];   /* per job */
    lc_gemm_fn gemm[LC_MATMUL_MAX_JOBS];     /* per job, NULL: loop over dot */
    int64_t n_tok;
    int64_t n_rows; /* all jobs' rows, concatenated */
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
    const lc_type_traits *tr = lc_traits(mt->backend, a->type);
    int64_t t0, t1;
    lc_split_range(mt->n_tok, ith, nth, &t0, &t1);
    for (int64_t t = t0; t < t1; t++)
        tr->from_float(mt->x + t * mt->n_in, (uint8_t *)a->data + (size_t)t * a->row_bytes, mt->n_in);
}

/* Rows [r0, r1) of one weight against every token. A back end's gemm
 * gives each element bit-identical to its dot, so it serves every call,
 * single tokens included (it streams weight rows faster than the dot
 * loop), without breaking the determinism contract. */
static void mul_rows(const lc_weight *w, lc_vec_dot_fn dot, lc_gemm_fn gemm, const act_rows *a, int64_t n_tok,
                     int64_t r0, int64_t r1, float *out) {
    for (int64_t rt = r0; rt < r1; rt += ROW_TILE) {
        const int64_t rt_end = LC_MIN(rt + ROW_TILE, r1);
        if (gemm) {
            gemm(w->n_in, rt_end - rt, n_tok, w->data + (size_t)rt * w->row_bytes, w->row_bytes, a->data, a->row_bytes,
                 out + rt, (size_t)w->n_out);
            continue;
        }
        for (int64_t t = 0; t < n_tok; t++) {
            const uint8_t *xa = a->data + (size_t)t * a->row_bytes;
            float *o = out + t * w->n_out;
            for (int64_t r = rt; r < rt_end; r++) dot(w->n_in, &o[r], w->data + (size_t)r * w->row_bytes, xa);
        }
    }
}

static void dot_task(void *arg, int ith, int nth) {
    const matmul_task *mt = arg;
    int64_t g0, g1;
    lc_split_range(mt->n_rows, ith, nth, &g0, &g1);
    int64_t base = 0;
    for (int j = 0; j < mt->n_jobs && g0 < g1; j++) {
        const lc_weight *w = mt->jobs[j].w;
        const int64_t lo = LC_MAX(g0, base), hi = LC_MIN(g1, base + w->n_out);
        if (lo < hi) mul_rows(w, mt->dot[j], mt->gemm[j], mt->act[j], mt->n_tok, lo - base, hi - base, mt->jobs[j].out);
        base += w->n_out;
    }
}

void lc_matmul(lc_threadpool *pool, lc_backend backend, const lc_matmul_job *jobs, int n_jobs, const float *x,
               int64_t n_tok, void *scratch) {
    matmul_task mt = {.jobs = jobs, .n_jobs = n_jobs, .backend = backend, .n_tok = n_tok, .x = x,
                      .n_in = jobs[0].w->n_in};
    act_rows acts[LC_MATMUL_MAX_JOBS];
    int n_acts = 0;
    uint8_t *next = scratch;
    for (int j = 0; j < n_jobs; j++) {
        const lc_weight *w = jobs[j].w;
        const llamac_type t = w->vec_dot_type;
        mt.n_rows += w->n_out;
        mt.dot[j] = lc_traits(backend, w->type)->vec_dot;
        mt.gemm[j] = lc_gemm(backend, w->type);
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
                /* One row is cheaper to convert here than to hand out. */
                if (n_tok == 1) convert_task(&mt, 0, 1);
                else lc_threadpool_run(pool, convert_task, &mt);
            }
        }
        mt.act[j] = &acts[k];
    }
    lc_threadpool_run(pool, dot_task, &mt);
}
