/* GEMV micro-benchmark of the vec_dot kernels: one activation row times a
 * 2048 x 5632 weight matrix (TinyLlama's ffn_up shape), scalar vs AVX2.
 * Not a test (numbers, no assertions); built with the tests, run by hand:
 *
 *   build/tests/bench_kernels [-r REPS] [-t THREADS] [-p TOKENS] [TYPE...]
 *
 * Each GEMV quantizes the activation row once (as lc_matmul does) and then
 * streams every weight byte once. "hot": the same matrix each time (it fits
 * the 32 MB L3 of the machine this was written on); "cold": cycling through
 * enough copies to exceed 96 MB, so weights come from DRAM as in a real
 * forward pass. GB/s counts weight bytes only. Threads split the rows and
 * run their repetitions independently (throughput, no barrier). Times are
 * process CPU time divided by the thread count, so neighbours' load on a
 * shared machine does not count, but their use of memory bandwidth does.
 *
 * A second table times the prompt-processing product: the same matrix times
 * TOKENS activation rows (default 64), as lc_matmul does it (rows in tiles
 * of 16, every token per tile) with vec_dot per element, and with the back
 * end's gemm per tile where it has one (bit-identical results). */
#include "kernels/kernels.h"
#include "test_kernels_simd_util.h"

#include <pthread.h>
#include <time.h>

#define N_IN 2048
#define N_OUT 5632

typedef struct job {
    const lc_type_traits *tr, *act;
    lc_gemm_fn gemm; /* NULL: vec_dot per row */
    uint8_t **mats;
    int n_mats;
    size_t row_bytes;
    const float *x;
    void *xq;
    float *out;
    int64_t r0, r1;
    int reps;
} job;

/* Process CPU time: on a shared machine wall time mostly measures the
 * neighbours. (Bandwidth contention still shows.) */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *run(void *arg) {
    job *j = arg;
    for (int rep = 0; rep < j->reps; rep++) {
        const uint8_t *w = j->mats[rep % j->n_mats];
        const void *y = j->x;
        if (j->act) {
            j->act->from_float(j->x, j->xq, N_IN);
            y = j->xq;
        }
        if (j->gemm) /* one token, rows in tiles of 16 as lc_matmul calls it */
            for (int64_t r = j->r0; r < j->r1; r += 16)
                j->gemm(N_IN, LC_MIN(16, j->r1 - r), 1, w + (size_t)r * j->row_bytes, j->row_bytes, y, 0, &j->out[r], N_OUT);
        else
            for (int64_t r = j->r0; r < j->r1; r++) j->tr->vec_dot(N_IN, &j->out[r], w + (size_t)r * j->row_bytes, y);
    }
    return NULL;
}

/* Seconds per GEMV over `reps` GEMVs on n_threads threads, with the
 * weight kernel and the activation encoder of `backend`. */
static double time_gemv(const lc_kernel_table *backend, llamac_type type, int use_gemm, uint8_t **mats, int n_mats,
                        size_t row_bytes, int reps, int n_threads) {
    const lc_type_traits *tr = lc_kt_traits(backend, type);
    const lc_type_traits *act = tr->vec_dot_type == LLAMAC_TYPE_F32 ? NULL : lc_kt_traits(backend, tr->vec_dot_type);
    static float x[N_IN], out[N_OUT];
    simd_rng r = {1};
    for (int i = 0; i < N_IN; i++) x[i] = simd_rng_gauss(&r);
    job jobs[16];
    pthread_t th[16];
    void *xq[16];
    for (int t = 0; t < n_threads; t++) {
        xq[t] = malloc(simd_row_bytes(tr->vec_dot_type, N_IN) + 64);
        jobs[t] = (job){tr, act, use_gemm ? lc_kt_gemm(backend, type) : NULL, mats, n_mats, row_bytes, x, xq[t], out,
                        (int64_t)N_OUT * t / n_threads, (int64_t)N_OUT * (t + 1) / n_threads, reps};
    }
    const double t0 = now();
    for (int t = 1; t < n_threads; t++) pthread_create(&th[t], NULL, run, &jobs[t]);
    run(&jobs[0]);
    for (int t = 1; t < n_threads; t++) pthread_join(th[t], NULL);
    const double dt = (now() - t0) / n_threads; /* threads run concurrently */
    for (int t = 0; t < n_threads; t++) free(xq[t]);
    return dt / reps;
}

#define ROW_TILE 16

/* Seconds for one n_tok-token product of the matrix on one thread. */
static double time_prompt(const lc_kernel_table *backend, llamac_type type, const uint8_t *w, size_t row_bytes, int n_tok,
                          int use_gemm, int reps) {
    const lc_type_traits *tr = lc_kt_traits(backend, type);
    const lc_type_traits *act = lc_kt_traits(backend, tr->vec_dot_type);
    const lc_gemm_fn gemm = use_gemm ? lc_kt_gemm(backend, type) : NULL;
    if (use_gemm && !gemm) return 0;
    const size_t yb = simd_row_bytes(tr->vec_dot_type, N_IN);
    float *x = malloc((size_t)n_tok * N_IN * sizeof *x), *out = malloc((size_t)n_tok * N_OUT * sizeof *out);
    uint8_t *y = malloc((size_t)n_tok * yb);
    simd_rng r = {3};
    for (size_t i = 0; i < (size_t)n_tok * N_IN; i++) x[i] = simd_rng_gauss(&r);
    double best = 1e30;
    for (int rep = 0; rep < reps; rep++) {
        const double t0 = now();
        for (int t = 0; t < n_tok; t++) {
            if (tr->vec_dot_type == LLAMAC_TYPE_F32) memcpy(y + (size_t)t * yb, x + (size_t)t * N_IN, yb);
            else act->from_float(x + (size_t)t * N_IN, y + (size_t)t * yb, N_IN);
        }
        for (int64_t rt = 0; rt < N_OUT; rt += ROW_TILE) {
            if (gemm) {
                gemm(N_IN, ROW_TILE, n_tok, w + (size_t)rt * row_bytes, row_bytes, y, yb, out + rt, N_OUT);
                continue;
            }
            for (int t = 0; t < n_tok; t++)
                for (int64_t i = rt; i < rt + ROW_TILE; i++)
                    tr->vec_dot(N_IN, &out[(size_t)t * N_OUT + (size_t)i], w + (size_t)i * row_bytes, y + (size_t)t * yb);
        }
        const double dt = now() - t0;
        if (dt < best) best = dt;
    }
    free(x);
    free(y);
    free(out);
    return best;
}

int main(int argc, char **argv) {
    int reps = 40, n_threads = 1, n_prompt = 64;
    llamac_type types[16];
    int n_types = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) n_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) n_prompt = atoi(argv[++i]);
        else {
            int found = 0;
            for (int t = 0; t < LLAMAC_TYPE_COUNT && !found; t++) {
                const char *name = llamac_type_name((llamac_type)t);
                if (name && !strcmp(name, argv[i]) && lc_scalar_traits((llamac_type)t) &&
                    lc_scalar_traits((llamac_type)t)->vec_dot && n_types < 16) {
                    types[n_types++] = (llamac_type)t;
                    found = 1;
                }
            }
            if (!found) {
                fprintf(stderr, "usage: %s [-r REPS] [-t THREADS] [TYPE...]\n  (unknown or non-weight type %s)\n",
                        argv[0], argv[i]);
                return 2;
            }
        }
    }
    if (reps < 1 || n_threads < 1 || n_threads > 16 || n_prompt < 1) return 2;
    if (!n_types) {
        const llamac_type def[] = {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_F16};
        for (int i = 0; i < 4; i++) types[n_types++] = def[i];
    }
    uint8_t *prompt_mats[16];
    printf("GEMV %d x %d, %d thread(s), %d reps; GB/s of weight bytes (ms per GEMV)\n\n", N_IN, N_OUT, n_threads,
           reps);
    printf("| type | MB | scalar cold | avx2 vec_dot hot | avx2 vec_dot cold | avx2 gemm hot | avx2 gemm cold | "
           "best/scalar cold |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int ti = 0; ti < n_types; ti++) {
        const llamac_type type = types[ti];
        const size_t row_bytes = simd_row_bytes(type, N_IN), mat_bytes = row_bytes * N_OUT;
        const int n_mats = (int)((96u << 20) / mat_bytes) + 1;
        uint8_t **mats = malloc((size_t)n_mats * sizeof *mats);
        simd_rng r = {42};
        for (int m = 0; m < n_mats; m++) {
            mats[m] = malloc(mat_bytes);
            if (!mats[m]) return 1;
            if (m == 0)
                for (int64_t row = 0; row < N_OUT; row++) simd_random_row(type, N_IN, 0.05f, &r, mats[0] + row * row_bytes);
            else memcpy(mats[m], mats[0], mat_bytes);
        }
        /* [0] scalar vec_dot, [1] avx2 vec_dot, [2] avx2 gemm at one token */
        double hot[3] = {0, 0, 0}, cold[3] = {0, 0, 0};
        for (int b = 0; b < 3; b++) {
            const lc_kernel_table *be = simd_kernels(b == 0 ? LLAMAC_KERNELS_SCALAR : LLAMAC_KERNELS_AVX2);
            if (!be || (b == 2 && !lc_kt_gemm(be, type))) continue;
            const int rr = b == 0 ? LC_MAX(reps / 8, 2) : reps; /* scalar is slow */
            time_gemv(be, type, b == 2, mats, 1, row_bytes, 2, n_threads); /* warm up */
            hot[b] = time_gemv(be, type, b == 2, mats, 1, row_bytes, rr, n_threads);
            cold[b] = time_gemv(be, type, b == 2, mats, n_mats, row_bytes, LC_MAX(rr, n_mats), n_threads);
        }
        const double gb = (double)mat_bytes / 1e9;
        double best = cold[1];
        if (cold[2] > 0 && (best <= 0 || cold[2] < best)) best = cold[2];
        printf("| %s | %.1f | %.2f (%.2f) |", llamac_type_name(type), (double)mat_bytes / 1e6, gb / cold[0], 1e3 * cold[0]);
        for (int b = 1; b < 3; b++) {
            if (hot[b] > 0) printf(" %.2f (%.2f) | %.2f (%.2f) |", gb / hot[b], 1e3 * hot[b], gb / cold[b], 1e3 * cold[b]);
            else printf(" - | - |");
        }
        printf(" %.1fx |\n", best > 0 ? cold[0] / best : 0);
        fflush(stdout);
        for (int m = 1; m < n_mats; m++) free(mats[m]);
        prompt_mats[ti] = mats[0];
        free(mats);
    }
    printf("\nPrompt product %d x %d by %d tokens, 1 thread: ms (tokens/s through this matrix)\n\n", N_IN, N_OUT,
           n_prompt);
    printf("| type | scalar vec_dot | avx2 vec_dot | avx2 gemm | gemm/vec_dot |\n|---|---|---|---|---|\n");
    for (int ti = 0; ti < n_types; ti++) {
        const size_t row_bytes = simd_row_bytes(types[ti], N_IN);
        const int pr = LC_MAX(reps / 10, 2);
        const double sc = time_prompt(simd_kernels(LLAMAC_KERNELS_SCALAR), types[ti], prompt_mats[ti], row_bytes, n_prompt, 0, 1);
        double av = 0, ag = 0;
        if (simd_kernels(LLAMAC_KERNELS_AVX2)) {
            av = time_prompt(simd_kernels(LLAMAC_KERNELS_AVX2), types[ti], prompt_mats[ti], row_bytes, n_prompt, 0, pr);
            ag = time_prompt(simd_kernels(LLAMAC_KERNELS_AVX2), types[ti], prompt_mats[ti], row_bytes, n_prompt, 1, pr);
        }
        printf("| %s | %.1f (%.0f) | %.1f (%.0f) | ", llamac_type_name(types[ti]), 1e3 * sc, n_prompt / sc, 1e3 * av,
               av > 0 ? n_prompt / av : 0);
        if (ag > 0) printf("%.1f (%.0f) | %.2fx |\n", 1e3 * ag, n_prompt / ag, av / ag);
        else printf("- | - |\n");
        fflush(stdout);
        free(prompt_mats[ti]);
    }
    return 0;
}
