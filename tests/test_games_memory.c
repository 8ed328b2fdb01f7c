/* llamac_estimate_memory (llamac.h section 14) against the resident
 * memory really added: in a fresh child process (so nothing freed earlier
 * is reused), RSS (/proc/self/statm) before loading, then after loading
 * the model (repack on), creating a context and decoding a full context;
 * the estimate must be at least the growth and exceed it by at most 10%
 * or 2 MiB. Shipped model at n_ctx 512 and 2048; `--model PATH` runs the
 * same on another model (scripts/bench_games.sh does, for tinyllama Q4_0).
 * Also: its argument errors, and that it allocates nothing it keeps. */
#include "test_util.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)

static const char *g_model;

static uint64_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    const int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

typedef struct measured {
    int ok;
    uint64_t growth;
    llamac_memory_estimate est;
    char error[200];
} measured;

/* In the child: estimate, then load + context + full decode, RSS growth. */
static void measure_child(const char *path, uint32_t n_ctx, measured *m) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = 512;
    cp.n_threads = 2;
    llamac_model_params mp = llamac_model_default_params();
    mp.repack = true;
    if (llamac_estimate_memory(path, &mp, &cp, &m->est) != LLAMAC_OK) {
        snprintf(m->error, sizeof m->error, "estimate: %s", llamac_last_error());
        return;
    }
    const uint64_t before = rss_bytes();
    llamac_model *model = NULL;
    llamac_context *ctx = NULL;
    llamac_batch batch;
    if (llamac_model_load(path, &mp, &model) != LLAMAC_OK || llamac_context_new(model, &cp, &ctx) != LLAMAC_OK ||
        llamac_batch_init(&batch, (int32_t)cp.n_batch, 1, NULL) != LLAMAC_OK) {
        snprintf(m->error, sizeof m->error, "load: %s", llamac_last_error());
        return;
    }
    /* a full context: every cell, every weight page, the whole arena */
    const int32_t n_vocab = llamac_model_n_vocab(model);
    const llamac_seq_id s0 = 0;
    for (uint32_t p = 0; p < n_ctx;) {
        batch.n_tokens = 0;
        for (uint32_t i = 0; i < cp.n_batch && p < n_ctx; i++, p++)
            llamac_batch_add(&batch, (llamac_token)((p * 7919u) % (uint32_t)n_vocab), (llamac_pos)p, &s0, 1, true);
        if (llamac_decode(ctx, &batch) != LLAMAC_OK) {
            snprintf(m->error, sizeof m->error, "decode: %s", llamac_last_error());
            return;
        }
    }
    const uint64_t after = rss_bytes();
    m->growth = after > before ? after - before : 0;
    m->ok = 1;
    llamac_batch_free(&batch);
    llamac_context_free(ctx);
    llamac_model_free(model);
}

static measured measure(const char *path, uint32_t n_ctx) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        measured m;
        memset(&m, 0, sizeof m);
        measure_child(path, n_ctx, &m);
        const ssize_t w = write(fds[1], &m, sizeof m);
        _exit(w == (ssize_t)sizeof m ? 0 : 1);
    }
    close(fds[1]);
    measured m;
    memset(&m, 0, sizeof m);
    const ssize_t r = read(fds[0], &m, sizeof m);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_int_equal(r, (ssize_t)sizeof m);
    return m;
}

static void check(const char *path, uint32_t n_ctx) {
    const measured m = measure(path, n_ctx);
    if (!m.ok) fail_msg("%s", m.error);
    const double est = (double)m.est.total, got = (double)m.growth;
    print_message("n_ctx %u: estimate %.2f MiB (weights %.2f, model %.2f, kv %.2f, compute %.2f), measured RSS growth "
                  "%.2f MiB, over by %.2f MiB (%.1f%%)\n",
                  n_ctx, est / MIB, (double)m.est.weights / MIB, (double)m.est.model_other / MIB,
                  (double)m.est.kv_cache / MIB, (double)m.est.compute / MIB, got / MIB, (est - got) / MIB,
                  got > 0 ? 100.0 * (est - got) / got : 0.0);
    assert_true(m.est.total == m.est.weights + m.est.model_other + m.est.kv_cache + m.est.compute);
    assert_true(est >= got);
    assert_true(est - got <= 2.0 * MIB || est - got <= 0.10 * got);
}

static void estimate_bounds_shipped_512(void **state) {
    (void)state;
    check(g_model, 512);
}

static void estimate_bounds_shipped_2048(void **state) {
    (void)state;
    check(g_model, 2048);
}

static void estimate_errors(void **state) {
    (void)state;
    llamac_memory_estimate e;
    assert_int_equal(llamac_estimate_memory(NULL, NULL, NULL, &e), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_estimate_memory(g_model, NULL, NULL, NULL), LLAMAC_ERR_INVALID_ARG);
    memset(&e, 0xff, sizeof e);
    assert_int_equal(llamac_estimate_memory("/nonexistent.gguf", NULL, NULL, &e), LLAMAC_ERR_IO);
    assert_int_equal(e.total, 0);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_batch = 0;
    assert_int_equal(llamac_estimate_memory(g_model, NULL, &cp, &e), LLAMAC_ERR_INVALID_ARG);
    /* the KV cache grows with n_ctx exactly as the plan says: double the cells, double the keys */
    cp = llamac_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = 64;
    llamac_memory_estimate a, b;
    assert_int_equal(llamac_estimate_memory(g_model, NULL, &cp, &a), LLAMAC_OK);
    cp.n_ctx = 512;
    assert_int_equal(llamac_estimate_memory(g_model, NULL, &cp, &b), LLAMAC_OK);
    assert_true(b.kv_cache > a.kv_cache && b.kv_cache <= 2 * a.kv_cache);
    assert_true(a.weights == b.weights && a.model_other == b.model_other && a.model_other > 0);
}

static void estimate_other_model(void **state) {
    (void)state;
    check(g_model, 512);
    check(g_model, 2048);
}

int main(int argc, char **argv) {
    g_model = getenv("LLAMAC_SHIPPED_MODEL");
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--model") == 0) {
            g_model = argv[i + 1];
            return run_cases(NULL, NULL, estimate_other_model);
        }
    if (!g_model) {
        fprintf(stderr, "LLAMAC_SHIPPED_MODEL must be set (meson does)\n");
        return 1;
    }
    return run_cases(NULL, NULL, estimate_bounds_shipped_512, estimate_bounds_shipped_2048, estimate_errors);
}
