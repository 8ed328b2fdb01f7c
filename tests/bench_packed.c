/* Micro-benchmark of the packed gemms (lc_pack8's layout, the path of a
 * repacked model's matrices), AVX2 against AVX-512: one 2048 x 5632 matrix
 * (TinyLlama's ffn_up shape) times 1 token (generation) and times TOKENS
 * tokens (prompt, default 128), one thread. Not a test (numbers, no
 * assertions); built with the tests, run by hand:
 *
 *   build/tests/bench_packed [-r ROUNDS] [-p TOKENS] [TYPE...]
 *
 * Rounds alternate the two back ends (A, B, A, B, ...) and each round's
 * time is process CPU time, so the neighbours' load on a shared machine
 * counts only through their use of caches and memory bandwidth; the table
 * gives medians and the ratio of medians. The matrix is the same each
 * time (6.5-12 MB, mostly cache-resident): this is the kernels' own
 * throughput, not DRAM's. */
#include "kernels/kernels.h"
#include "test_kernels_simd_util.h"

#include <time.h>

#define N_IN 2048
#define N_OUT 5632

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* CPU seconds for `reps` products of the packed matrix with n_tok tokens. */
static double time_gemm(lc_gemm_fn gemm, const uint8_t *img, size_t rs, const uint8_t *y, size_t ys, int64_t n_tok,
                        float *out, int reps) {
    const double t0 = cpu_now();
    for (int r = 0; r < reps; r++) gemm(N_IN, N_OUT, n_tok, img, rs, y, ys, out, N_OUT);
    return cpu_now() - t0;
}

int main(int argc, char **argv) {
    int rounds = 9;
    int64_t n_prompt = 128;
    llamac_type types[8];
    int n_types = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) n_prompt = atoi(argv[++i]);
        else if (n_types < 8) {
            llamac_type t = LLAMAC_TYPE_COUNT;
            for (int k = 0; k < LLAMAC_TYPE_COUNT; k++)
                if (llamac_type_name((llamac_type)k) && !strcmp(llamac_type_name((llamac_type)k), argv[i])) t = k;
            if (t == LLAMAC_TYPE_COUNT) {
                fprintf(stderr, "bench_packed: unknown type %s\n", argv[i]);
                return 2;
            }
            types[n_types++] = t;
        }
    }
    if (rounds < 1 || rounds > 101 || n_prompt < 1) return 2;
    if (!n_types) {
        const llamac_type all[] = {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K,
                                   LLAMAC_TYPE_Q6_K};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) types[n_types++] = all[k];
    }
    const lc_kernel_table *a = simd_kernels(LLAMAC_KERNELS_AVX2), *b = simd_kernels(LLAMAC_KERNELS_AVX512);
    if (!a || !b) {
        fprintf(stderr, "SKIP: bench_packed needs the AVX2 and AVX-512 back ends on this CPU\n");
        return 77;
    }
    printf("| type | tokens | avx2 ms | avx512 ms | avx512 speed-up |\n|---|---:|---:|---:|---:|\n");
    for (int ti = 0; ti < n_types; ti++) {
        const llamac_type w = types[ti], act = lc_scalar_traits(w)->vec_dot_type;
        const size_t rs = simd_row_bytes(w, N_IN), ys = simd_row_bytes(act, N_IN);
        uint8_t *x = malloc((size_t)N_OUT * rs), *img = malloc((size_t)N_OUT * rs);
        uint8_t *y = malloc((size_t)n_prompt * ys);
        float *out = malloc((size_t)n_prompt * N_OUT * sizeof *out);
        if (!x || !img || !y || !out) return 1;
        simd_rng r = {42};
        for (int64_t i = 0; i < N_OUT; i++) simd_random_row(w, N_IN, 0.05f, &r, x + (size_t)i * rs);
        for (int64_t t = 0; t < n_prompt; t++) simd_random_row(act, N_IN, 1.f, &r, y + (size_t)t * ys);
        lc_pack8(w, x, rs, N_OUT, N_IN, img);
        const int64_t toks[2] = {1, n_prompt};
        for (int k = 0; k < 2; k++) {
            const int reps = toks[k] == 1 ? 40 : 2;
            double ta[101], tb[101];
            time_gemm(a->packed_gemm[w], img, rs, y, ys, toks[k], out, 1); /* warm-up */
            time_gemm(b->packed_gemm[w], img, rs, y, ys, toks[k], out, 1);
            for (int i = 0; i < rounds; i++) {
                ta[i] = time_gemm(a->packed_gemm[w], img, rs, y, ys, toks[k], out, reps) / reps;
                tb[i] = time_gemm(b->packed_gemm[w], img, rs, y, ys, toks[k], out, reps) / reps;
            }
            const double ma = median(ta, rounds), mb = median(tb, rounds);
            printf("| %s | %lld | %.3f | %.3f | %.2fx |\n", llamac_type_name(w), (long long)toks[k], 1e3 * ma,
                   1e3 * mb, ma / mb);
            fflush(stdout);
        }
        free(x);
        free(img);
        free(y);
        free(out);
    }
    return 0;
}
