/* The machine's read-bandwidth ceiling, for docs/performance.md: a plain
 * streaming read of a large buffer (default 2 GiB, far past any cache) by
 * THREADS threads at once, each summing its own contiguous share with
 * 256-bit loads where the compiler has them. Generation at batch size 1
 * reads every weight once per token, so weight bytes per token times
 * tokens/s over this figure is the fraction of the ceiling a decoder
 * reaches. Not a test (numbers, no assertions); built with the tests, run
 * by hand:
 *
 *   build/tests/bench_read_bw [-t THREADS] [-g GIB] [-r ROUNDS]
 *
 * Prints GB/s (10^9 bytes) per round and the median; the buffer is
 * written once first (so its pages exist) and transparent huge pages are
 * requested for it, as a model's repacked weights get them. */
#define _GNU_SOURCE /* madvise's MADV_HUGEPAGE */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef struct share {
    const uint64_t *p;
    size_t n; /* words */
    pthread_barrier_t *start;
    uint64_t sum;
} share;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *reader(void *arg) {
    share *s = arg;
    pthread_barrier_wait(s->start);
    /* four independent sums: the loop is bound by loads, not adds */
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= s->n; i += 4) a += s->p[i], b += s->p[i + 1], c += s->p[i + 2], d += s->p[i + 3];
    s->sum = a + b + c + d;
    return NULL;
}

static int cmp_double(const void *x, const void *y) {
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    int threads = 2, rounds = 7;
    double gib = 2.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-t")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-g")) gib = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) rounds = atoi(argv[i + 1]);
    }
    if (threads < 1 || threads > 256 || gib <= 0 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_read_bw [-t 1..256] [-g GIB] [-r 1..100]\n");
        return 2;
    }
    const size_t bytes = (size_t)(gib * 1073741824.0) / 4096 * 4096;
    uint64_t *buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "bench_read_bw: cannot map %zu bytes\n", bytes);
        return 1;
    }
    (void)madvise(buf, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes / 8; i++) buf[i] = i;
    share *shares = calloc((size_t)threads, sizeof *shares);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    double *gbs = calloc((size_t)rounds, sizeof *gbs);
    if (!shares || !tids || !gbs) return 1;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    const size_t words = bytes / 8, per = words / (size_t)threads;
    uint64_t check = 0;
    for (int r = 0; r < rounds; r++) {
        for (int t = 0; t < threads; t++) {
            shares[t] = (share){buf + (size_t)t * per, per, &start, 0};
            pthread_create(&tids[t], NULL, reader, &shares[t]);
        }
        pthread_barrier_wait(&start);
        const double t0 = now_s();
        for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL), check += shares[t].sum;
        gbs[r] = (double)(per * (size_t)threads * 8) / (now_s() - t0) / 1e9;
        printf("round %d: %.2f GB/s\n", r + 1, gbs[r]);
    }
    qsort(gbs, (size_t)rounds, sizeof *gbs, cmp_double);
    printf("read bandwidth, %d thread(s), %.2f GiB: median %.2f GB/s (min %.2f, max %.2f) [%llu]\n", threads,
           (double)bytes / 1073741824.0, gbs[rounds / 2], gbs[0], gbs[rounds - 1], (unsigned long long)(check & 1));
    return 0;
}
