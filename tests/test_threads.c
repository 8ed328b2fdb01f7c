/* What docs/threading.md promises, exercised from several threads at once so
 * that ThreadSanitizer (scripts/test.sh, third pass) can see every shared
 * access:
 *   - one model shared by contexts decoding on several threads, each context
 *     with its own 2-thread pool, gives the logits of a single-threaded run,
 *     bit for bit;
 *   - contexts (and so their thread pools) created, used and freed over and
 *     over with 2..4 threads, and the internal pool driven directly, also
 *     from two threads at once;
 *   - one vocabulary tokenizing and detokenizing on several threads at once
 *     gives the single-threaded results.
 * Uses the model shipped in models/ (env LLAMAC_SHIPPED_MODEL, set by meson),
 * so it never skips.
 *
 * cmocka's assertions jump back to the test function, which is only valid on
 * the main thread: worker threads record what went wrong in their own slot
 * and the main thread asserts after joining them. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_getaffinity_np, for pool_workers_keep_their_cpus */
#endif
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"
#include "common/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#define N_WORKERS 4     /* application threads sharing one model or vocab */
#define POOL_THREADS 2  /* each context's own pool in the shared-model test */
#define N_GREEDY 4      /* tokens generated after each prompt */
#define MAX_PROMPT 16
#define N_CTX 64

typedef model_fixture fixture;

/* ---- decoding: a prompt, then greedy tokens ---- */

static const char *const prompts[N_WORKERS] = {
    "In the beginning God created",
    "And God said, Let there be light",
    "The LORD is my shepherd",
    "And it came to pass",
};

/* What one prompt-and-greedy run produced: the last prompt row and each
 * generated token's row, and the tokens chosen. */
typedef struct run_result {
    float *logits; /* (N_GREEDY + 1) rows of n_vocab */
    llamac_token chosen[N_GREEDY];
    char error[256]; /* empty when the run succeeded */
} run_result;

static llamac_token argmax(const float *row, int32_t n) {
    llamac_token best = 0;
    for (int32_t i = 1; i < n; i++)
        if (row[i] > row[best]) best = i;
    return best;
}

static bool decode_one(llamac_context *ctx, llamac_batch *b, const llamac_token *tokens, int32_t n,
                       llamac_pos pos0, run_result *r) {
    b->n_tokens = 0;
    const llamac_seq_id seq = 0;
    for (int32_t i = 0; i < n; i++) llamac_batch_add(b, tokens[i], pos0 + i, &seq, 1, i == n - 1);
    llamac_status st = llamac_decode(ctx, b);
    if (st != LLAMAC_OK)
        snprintf(r->error, sizeof r->error, "decode: %s: %s", llamac_status_name(st), llamac_last_error());
    return st == LLAMAC_OK;
}

/* Tokenizes `text`, decodes it in ctx and then N_GREEDY argmax tokens,
 * copying the logits rows into r. Thread-safe as the library claims: only
 * ctx is this thread's own. */
static void prompt_and_greedy(llamac_context *ctx, const llamac_vocab *vocab, int32_t n_vocab,
                              const char *text, run_result *r) {
    r->error[0] = '\0';
    llamac_token tokens[MAX_PROMPT];
    int32_t n = 0;
    llamac_status st = llamac_tokenize(vocab, text, strlen(text), tokens, MAX_PROMPT, true, false, &n);
    if (st != LLAMAC_OK) {
        snprintf(r->error, sizeof r->error, "tokenize: %s: %s", llamac_status_name(st), llamac_last_error());
        return;
    }
    llamac_batch b;
    if (llamac_batch_init(&b, MAX_PROMPT, 1, NULL) != LLAMAC_OK) {
        snprintf(r->error, sizeof r->error, "batch: %s", llamac_last_error());
        return;
    }
    llamac_kv_clear(ctx);
    if (decode_one(ctx, &b, tokens, n, 0, r)) {
        memcpy(r->logits, llamac_get_logits(ctx, -1), (size_t)n_vocab * sizeof(float));
        for (int g = 0; g < N_GREEDY; g++) {
            r->chosen[g] = argmax(r->logits + (size_t)g * n_vocab, n_vocab);
            if (!decode_one(ctx, &b, &r->chosen[g], 1, n + g, r)) break;
            memcpy(r->logits + (size_t)(g + 1) * n_vocab, llamac_get_logits(ctx, -1),
                   (size_t)n_vocab * sizeof(float));
        }
    }
    llamac_batch_free(&b);
}

static llamac_context *new_context(const llamac_model *model, int32_t n_threads, char *error, size_t size) {
    llamac_context_params p = llamac_context_default_params();
    p.n_ctx = N_CTX;
    p.n_batch = MAX_PROMPT;
    p.n_threads = n_threads;
    llamac_context *ctx = NULL;
    llamac_status st = llamac_context_new(model, &p, &ctx);
    if (st != LLAMAC_OK) snprintf(error, size, "context: %s: %s", llamac_status_name(st), llamac_last_error());
    return ctx;
}

static void run_alloc(run_result *r, int32_t n_vocab) {
    memset(r, 0, sizeof *r);
    r->logits = calloc((size_t)(N_GREEDY + 1) * (size_t)n_vocab, sizeof(float));
    assert_non_null(r->logits);
}

static void assert_same_run(const run_result *got, const run_result *want, int32_t n_vocab, const char *what) {
    if (got->error[0]) fail_msg("%s: %s", what, got->error);
    for (int g = 0; g < N_GREEDY; g++)
        if (got->chosen[g] != want->chosen[g])
            fail_msg("%s: greedy token %d is %d, single-threaded %d", what, g, got->chosen[g], want->chosen[g]);
    size_t n = (size_t)(N_GREEDY + 1) * (size_t)n_vocab;
    if (memcmp(got->logits, want->logits, n * sizeof(float)) != 0) {
        for (size_t i = 0; i < n; i++)
            if (memcmp(&got->logits[i], &want->logits[i], sizeof(float)) != 0)
                fail_msg("%s: logit %zu (row %zu) is %.9g, single-threaded %.9g", what, i,
                         i / (size_t)n_vocab, got->logits[i], want->logits[i]);
    }
}

/* The reference: every prompt on one context with a 1-thread pool, one
 * after the other on the main thread. */
static void single_threaded_runs(const fixture *f, run_result want[N_WORKERS]) {
    char error[256] = "";
    llamac_context *ctx = new_context(f->model, 1, error, sizeof error);
    if (!ctx) fail_msg("%s", error);
    for (int t = 0; t < N_WORKERS; t++) {
        run_alloc(&want[t], f->n_vocab);
        prompt_and_greedy(ctx, f->vocab, f->n_vocab, prompts[t], &want[t]);
        if (want[t].error[0]) fail_msg("single-threaded prompt %d: %s", t, want[t].error);
    }
    llamac_context_free(ctx);
}

typedef struct decode_worker {
    const fixture *f;
    int index;
    pthread_barrier_t *start; /* all workers decode at the same time */
    run_result result;
} decode_worker;

static void *decode_worker_main(void *arg) {
    decode_worker *w = arg;
    llamac_context *ctx = new_context(w->f->model, POOL_THREADS, w->result.error, sizeof w->result.error);
    pthread_barrier_wait(w->start);
    if (ctx) prompt_and_greedy(ctx, w->f->vocab, w->f->n_vocab, prompts[w->index], &w->result);
    llamac_context_free(ctx);
    return NULL;
}

static void contexts_on_one_model_decode_at_once(void **state) {
    const fixture *f = *state;
    run_result want[N_WORKERS];
    single_threaded_runs(f, want);

    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, N_WORKERS), 0);
    decode_worker workers[N_WORKERS];
    pthread_t threads[N_WORKERS];
    for (int t = 0; t < N_WORKERS; t++) {
        workers[t] = (decode_worker){.f = f, .index = t, .start = &start};
        run_alloc(&workers[t].result, f->n_vocab);
        assert_int_equal(pthread_create(&threads[t], NULL, decode_worker_main, &workers[t]), 0);
    }
    for (int t = 0; t < N_WORKERS; t++) assert_int_equal(pthread_join(threads[t], NULL), 0);
    pthread_barrier_destroy(&start);

    for (int t = 0; t < N_WORKERS; t++) {
        char what[64];
        snprintf(what, sizeof what, "thread %d (\"%s\")", t, prompts[t]);
        assert_same_run(&workers[t].result, &want[t], f->n_vocab, what);
        free(workers[t].result.logits);
        free(want[t].logits);
    }
}

/* ---- thread pools: start, stop, again ---- */

#define N_CYCLES 50

static void contexts_created_and_freed_repeatedly(void **state) {
    const fixture *f = *state;
    run_result want[N_WORKERS];
    single_threaded_runs(f, want);
    run_result got;
    run_alloc(&got, f->n_vocab);
    for (int cycle = 0; cycle < N_CYCLES; cycle++) {
        const int32_t n_threads = 2 + cycle % 3;
        const int prompt = cycle % N_WORKERS;
        llamac_context *ctx = new_context(f->model, n_threads, got.error, sizeof got.error);
        if (!ctx) fail_msg("cycle %d: %s", cycle, got.error);
        assert_int_equal(llamac_context_n_threads(ctx), n_threads);
        prompt_and_greedy(ctx, f->vocab, f->n_vocab, prompts[prompt], &got);
        llamac_context_free(ctx);
        char what[64];
        snprintf(what, sizeof what, "cycle %d (%d threads)", cycle, (int)n_threads);
        assert_same_run(&got, &want[prompt], f->n_vocab, what);
    }
    free(got.logits);
    for (int t = 0; t < N_WORKERS; t++) free(want[t].logits);
}

/* A task that leaves evidence: each thread writes its own slot (plain
 * memory, so TSan checks that run() orders those writes before the caller's
 * reads) and counts itself. */
typedef struct pool_task {
    int64_t slot[8];
    int generation;
    atomic_int calls;
} pool_task;

static void pool_task_fn(void *arg, int ith, int nth) {
    pool_task *t = arg;
    t->slot[ith] = (int64_t)t->generation * 100 + nth;
    atomic_fetch_add(&t->calls, 1);
}

/* Creates, runs and frees pools of 1..4 threads `rounds` times; returns a
 * description of the first wrong result, or NULL. */
static const char *churn_pools(int rounds, char *error, size_t size) {
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    for (int round = 0; round < rounds; round++) {
        const int n = 1 + round % 4;
        lc_threadpool *pool = NULL;
        if (lc_threadpool_new(&env, n, &pool) != LLAMAC_OK) {
            snprintf(error, size, "round %d: pool of %d: %s", round, n, llamac_last_error());
            return error;
        }
        pool_task task;
        memset(&task, 0, sizeof task);
        for (int g = 1; g <= 3; g++) {
            task.generation = g;
            lc_threadpool_run(pool, pool_task_fn, &task);
            for (int i = 0; i < n; i++) {
                if (task.slot[i] != (int64_t)g * 100 + n) {
                    snprintf(error, size, "round %d run %d: thread %d wrote %lld", round, g, i,
                             (long long)task.slot[i]);
                    return error;
                }
            }
        }
        lc_threadpool_free(pool);
        if (atomic_load(&task.calls) != 3 * n) {
            snprintf(error, size, "round %d: %d calls for 3 runs of %d threads", round,
                     atomic_load(&task.calls), n);
            return error;
        }
    }
    return NULL;
}

typedef struct churn_worker {
    char error[256];
    const char *failed;
} churn_worker;

static void *churn_worker_main(void *arg) {
    churn_worker *w = arg;
    w->failed = churn_pools(100, w->error, sizeof w->error);
    return NULL;
}

static void thread_pools_started_and_stopped_repeatedly(void **state) {
    (void)state;
    char error[256];
    const char *failed = churn_pools(200, error, sizeof error);
    if (failed) fail_msg("%s", failed);
    /* Two application threads, each with its own pools, at once. */
    churn_worker workers[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        memset(&workers[t], 0, sizeof workers[t]);
        assert_int_equal(pthread_create(&threads[t], NULL, churn_worker_main, &workers[t]), 0);
    }
    for (int t = 0; t < 2; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        if (workers[t].failed) fail_msg("thread %d: %s", t, workers[t].failed);
    }
}

/* The pool steers a worker it wakes away from the caller's CPU by
 * narrowing the worker's affinity mask, and the worker restores its mask
 * before it runs any part (common/threadpool.c): a worker must never run
 * a part with a mask other than the one it was created with. Each round
 * waits long enough for the workers to fall asleep, so every run wakes
 * them. */
#ifdef __linux__
typedef struct mask_task {
    pthread_t caller;
    cpu_set_t home;
    atomic_int worker_parts, wrong_masks;
} mask_task;

static void mask_task_fn(void *arg, int ith, int nth) {
    (void)ith, (void)nth;
    mask_task *t = arg;
    if (!pthread_equal(pthread_self(), t->caller)) {
        cpu_set_t now;
        atomic_fetch_add(&t->worker_parts, 1);
        if (pthread_getaffinity_np(pthread_self(), sizeof now, &now) != 0 || !CPU_EQUAL(&now, &t->home))
            atomic_fetch_add(&t->wrong_masks, 1);
    }
    /* long enough that a woken worker takes a part before the caller has
     * taken them all */
    const struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
}
#endif

static void pool_workers_keep_their_cpus(void **state) {
    (void)state;
#ifdef __linux__
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    mask_task task;
    memset(&task, 0, sizeof task);
    task.caller = pthread_self();
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof task.home, &task.home), 0);
    lc_threadpool *pool = NULL;
    assert_int_equal(lc_threadpool_new(&env, 3, &pool), LLAMAC_OK);
    for (int round = 0; round < 20; round++) {
        const struct timespec idle = {0, 3000000}; /* past the pool's 1 ms of polling: workers sleep */
        nanosleep(&idle, NULL);
        lc_threadpool_run(pool, mask_task_fn, &task);
    }
    lc_threadpool_free(pool);
    assert_true(atomic_load(&task.worker_parts) > 0);
    assert_int_equal(atomic_load(&task.wrong_masks), 0);
#else
    skip();
#endif
}

/* ---- one vocabulary, many tokenizing threads ---- */

static const char *const texts[] = {
    "In the beginning God created the heaven and the earth.",
    "And the earth was without form, and void; and darkness was upon the face of the deep.",
    "",
    " leading space, trailing space ",
    "Unicode: caf\xc3\xa9, \xe2\x82\xac 5, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, \xf0\x9f\x98\x80.",
    "Invalid UTF-8: \xff\xfe and a lone \xc3 byte.",
    "<s> looks special </s>",
    "Numbers 3:16 and 1234567890, tabs\tand\nnewlines.",
};
#define N_TEXTS ((int)(sizeof texts / sizeof texts[0]))
#define MAX_TOKENS 256
#define MAX_TEXT 1024
#define VOCAB_ROUNDS 20

typedef struct text_result {
    llamac_token tokens[MAX_TOKENS];
    int32_t n_tokens;
    char text[MAX_TEXT]; /* detokenized */
    size_t text_len;
    char stream[MAX_TEXT]; /* through a llamac_detok, piece by piece */
    size_t stream_len;
} text_result;

/* Tokenizes texts[i] (parse_special when i is odd, so both paths run) and
 * turns the tokens back into text twice: at once and streamed (special
 * tokens rendered as text when they were parsed). Returns false with a
 * message in error. */
static bool text_round_trip(const llamac_vocab *vocab, int i, text_result *r, char *error, size_t size) {
    memset(r, 0, sizeof *r);
    const bool parse_special = i % 2 == 1;
    llamac_status st = llamac_tokenize(vocab, texts[i], strlen(texts[i]), r->tokens, MAX_TOKENS, true,
                                       parse_special, &r->n_tokens);
    if (st == LLAMAC_OK)
        st = llamac_detokenize(vocab, r->tokens, r->n_tokens, r->text, sizeof r->text, false, parse_special,
                               &r->text_len);
    if (st != LLAMAC_OK) {
        snprintf(error, size, "text %d: %s: %s", i, llamac_status_name(st), llamac_last_error());
        return false;
    }
    llamac_detok_params p = llamac_detok_default_params();
    p.unparse_special = parse_special;
    llamac_detok *detok = NULL;
    st = llamac_detok_new(vocab, &p, &detok);
    for (int32_t k = 0; st == LLAMAC_OK && k <= r->n_tokens; k++) {
        const char *piece;
        size_t len;
        st = k < r->n_tokens ? llamac_detok_push(detok, r->tokens[k], &piece, &len)
                             : llamac_detok_flush(detok, &piece, &len);
        if (st == LLAMAC_OK && r->stream_len + len <= sizeof r->stream) {
            memcpy(r->stream + r->stream_len, piece, len);
            r->stream_len += len;
        }
    }
    llamac_detok_free(detok);
    if (st != LLAMAC_OK) {
        snprintf(error, size, "text %d streamed: %s: %s", i, llamac_status_name(st), llamac_last_error());
        return false;
    }
    return true;
}

static bool same_text_result(const text_result *a, const text_result *b) {
    return a->n_tokens == b->n_tokens && memcmp(a->tokens, b->tokens, (size_t)a->n_tokens * sizeof a->tokens[0]) == 0
        && a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0
        && a->stream_len == b->stream_len && memcmp(a->stream, b->stream, a->stream_len) == 0;
}

typedef struct vocab_worker {
    const llamac_vocab *vocab;
    const text_result *want; /* N_TEXTS single-threaded results */
    int first;               /* workers start at different texts */
    pthread_barrier_t *start;
    char error[256];
} vocab_worker;

static void *vocab_worker_main(void *arg) {
    vocab_worker *w = arg;
    text_result *got = malloc(sizeof *got);
    if (!got) {
        snprintf(w->error, sizeof w->error, "out of memory");
        return NULL;
    }
    pthread_barrier_wait(w->start);
    for (int k = 0; k < VOCAB_ROUNDS * N_TEXTS && !w->error[0]; k++) {
        const int i = (w->first + k) % N_TEXTS;
        if (text_round_trip(w->vocab, i, got, w->error, sizeof w->error) && !same_text_result(got, &w->want[i]))
            snprintf(w->error, sizeof w->error, "text %d (round %d): result differs from the single-threaded one",
                     i, k / N_TEXTS);
    }
    free(got);
    return NULL;
}

static void one_vocab_tokenizes_on_many_threads(void **state) {
    const fixture *f = *state;
    text_result *want = calloc(N_TEXTS, sizeof *want);
    assert_non_null(want);
    char error[256];
    for (int i = 0; i < N_TEXTS; i++) {
        if (!text_round_trip(f->vocab, i, &want[i], error, sizeof error)) fail_msg("single-threaded: %s", error);
        assert_true(want[i].n_tokens >= 1); /* BOS at least */
    }
    /* The first text round-trips exactly (plain ASCII, no specials). */
    assert_int_equal(want[0].stream_len, strlen(texts[0]));
    assert_memory_equal(want[0].stream, texts[0], strlen(texts[0]));

    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, N_WORKERS), 0);
    vocab_worker workers[N_WORKERS];
    pthread_t threads[N_WORKERS];
    for (int t = 0; t < N_WORKERS; t++) {
        workers[t] = (vocab_worker){.vocab = f->vocab, .want = want, .first = t * 3, .start = &start};
        assert_int_equal(pthread_create(&threads[t], NULL, vocab_worker_main, &workers[t]), 0);
    }
    for (int t = 0; t < N_WORKERS; t++) assert_int_equal(pthread_join(threads[t], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < N_WORKERS; t++)
        if (workers[t].error[0]) fail_msg("thread %d: %s", t, workers[t].error);
    free(want);
}

int main(void) {
    return run_cases(shipped_model_setup, shipped_model_teardown,
                     contexts_on_one_model_decode_at_once,
                     contexts_created_and_freed_repeatedly,
                     thread_pools_started_and_stopped_repeatedly,
                     pool_workers_keep_their_cpus,
                     one_vocab_tokenizes_on_many_threads);
}
