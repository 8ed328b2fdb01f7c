/* Worker mode (llamac.h section 14, lib/generate/worker.c) on the shipped
 * model, also run under ThreadSanitizer (scripts/test.sh, suite threads):
 *   - three slots answer with the text llamac_generator_next gives each
 *     prompt alone (the reference is the library's plain path, itself
 *     checked against llama.cpp in test_golden);
 *   - slots that say more than the context holds restart their own
 *     sequences (each owns n_ctx / n_slots cells), without errors;
 *   - a cancel ends the response in progress (DONE, LLAMAC_STOP_CANCELLED)
 *     and the slot answers its next request as if nothing had happened;
 *   - submit, poll and cancel return quickly while the worker decodes;
 *   - an idle worker uses no CPU;
 *   - a failed load is an ERROR event, and the worker refuses submits;
 *   - shutdown torture: workers created, given requests, cancelled and
 *     freed at random moments (during the load, mid-prompt, mid-token,
 *     with events unread): 30 cycles here, `--cycles N` for more (meson
 *     registers 1,000 with -Dlong_tests=true). ASan and TSan builds check
 *     leaks and races; meson's timeout checks hangs.
 * cmocka asserts only on this thread. */
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_PREDICT 12
#define MAX_TOK 64
#define TIMEOUT_S 60.0

static int g_cycles = 30;
static const char *g_model; /* --model PATH: only the measurements, on that model */

typedef model_fixture fixture;

static const char *const prompts[3] = {
    "In the beginning God created the heaven and the earth.",
    "And God said, Let there be light",
    "The LORD is my shepherd; I shall not want.",
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* The plain generator's text for a prompt (greedy, N_PREDICT tokens). */
static size_t plain_text(const fixture *f, const char *prompt, char *out, size_t cap) {
    llamac_token toks[MAX_TOK];
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(f->vocab, prompt, strlen(prompt), toks, MAX_TOK, true, false, &n), LLAMAC_OK);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 128;
    cp.n_threads = 1;
    llamac_context *ctx = NULL;
    assert_int_equal(llamac_context_new(f->model, &cp, &ctx), LLAMAC_OK);
    llamac_sampler *smpl = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(smpl, llamac_sampler_init_greedy(NULL)), LLAMAC_OK);
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = N_PREDICT;
    gp.stop_at_eog = false;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, smpl, &gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, toks, n), LLAMAC_OK);
    size_t len = 0;
    llamac_generation_step s;
    do {
        assert_int_equal(llamac_generator_next(gen, &s), LLAMAC_OK);
        assert_true(len + s.text_len < cap);
        memcpy(out + len, s.text, s.text_len);
        len += s.text_len;
    } while (s.stop == LLAMAC_STOP_NONE);
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
    return len;
}

static llamac_worker *new_worker(int32_t n_slots, int32_t n_predict) {
    llamac_worker_params wp = llamac_worker_default_params();
    wp.model_path = getenv("LLAMAC_SHIPPED_MODEL");
    assert_non_null(wp.model_path);
    wp.n_slots = n_slots;
    wp.n_predict = n_predict;
    wp.stop_at_eog = false;
    wp.n_threads = 2;
    wp.budget_us = 2000;
    llamac_worker *w = NULL;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_OK);
    return w;
}

/* Polls until `want` events of kind `kind` arrived (or fails after
 * TIMEOUT_S); texts are appended per slot; returns the slowest poll. */
typedef struct collected {
    char text[3][1024];
    size_t len[3];
    int done[3];
    llamac_stop_reason stop[3];
    int loaded;
    double max_call_s;
} collected;

static void collect(llamac_worker *w, collected *c, int want_done) {
    const double t0 = now_s();
    int n_done = 0;
    for (int i = 0; i < 3; i++) n_done += c->done[i];
    while (n_done < want_done) {
        assert_true(now_s() - t0 < TIMEOUT_S);
        llamac_worker_event ev;
        const double c0 = now_s();
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        const double dt = now_s() - c0;
        if (dt > c->max_call_s) c->max_call_s = dt;
        switch (ev.kind) {
        case LLAMAC_EVENT_NONE: sleep_us(500); break;
        case LLAMAC_EVENT_LOADED: c->loaded++; break;
        case LLAMAC_EVENT_TEXT:
            assert_true(ev.slot >= 0 && ev.slot < 3);
            assert_true(c->len[ev.slot] + ev.text_len < sizeof c->text[0]);
            memcpy(c->text[ev.slot] + c->len[ev.slot], ev.text, ev.text_len);
            c->len[ev.slot] += ev.text_len;
            break;
        case LLAMAC_EVENT_DONE:
            c->done[ev.slot]++;
            c->stop[ev.slot] = ev.stop;
            n_done++;
            break;
        case LLAMAC_EVENT_ERROR: fail_msg("worker error on slot %d: %s", ev.slot, ev.text); break;
        }
    }
}

static void slots_match_plain_generation(void **state) {
    const fixture *f = *state;
    char want[3][1024];
    size_t want_len[3];
    for (int i = 0; i < 3; i++) want_len[i] = plain_text(f, prompts[i], want[i], sizeof want[i]);
    llamac_worker *w = new_worker(3, N_PREDICT);
    /* submitted while it loads */
    for (int i = 0; i < 3; i++) assert_int_equal(llamac_worker_submit(w, i, prompts[i], strlen(prompts[i]), NULL), LLAMAC_OK);
    collected c;
    memset(&c, 0, sizeof c);
    collect(w, &c, 3);
    assert_int_equal(c.loaded, 1);
    assert_int_equal(llamac_worker_get_state(w), LLAMAC_WORKER_READY);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c.stop[i], LLAMAC_STOP_MAX_TOKENS);
        assert_int_equal(c.len[i], want_len[i]);
        assert_memory_equal(c.text[i], want[i], want_len[i]);
    }
    print_message("slowest poll %.3f ms\n", c.max_call_s * 1e3);

    /* an idle worker sleeps: the pool threads stop polling 1 ms after the
     * last decode, the worker waits on a condition variable */
    sleep_us(20000);
    const double c0 = cpu_s(), t0 = now_s();
    sleep_us(300000);
    const double used = cpu_s() - c0, wall = now_s() - t0;
    print_message("idle worker: %.2f ms CPU over %.0f ms\n", used * 1e3, wall * 1e3);
    assert_true(used < 0.03 * wall + 0.002);
    llamac_worker_free(w);
}

/* Slots that keep talking in a context too small to hold all they say:
 * each slot owns n_ctx / n_slots cells, a request that would overflow its
 * share restarts its sequence, even while the other slots' pass is paused
 * halfway (the request then waits for the pass to end). Every request
 * must end normally: an ERROR event (the context full because the other
 * slots hold the cells, or a clear refused mid-pass) fails the test. */
static void slots_share_a_small_context(void **state) {
    (void)state;
    enum { ROUNDS = 12 };
    llamac_worker_params wp = llamac_worker_default_params();
    wp.model_path = getenv("LLAMAC_SHIPPED_MODEL");
    assert_non_null(wp.model_path);
    wp.n_slots = 3;
    wp.n_ctx = 3 * 48; /* about two requests (prompt + 12 tokens) per share */
    wp.n_predict = N_PREDICT;
    wp.stop_at_eog = false;
    wp.n_threads = 2;
    wp.budget_us = 500; /* passes paused halfway, often */
    llamac_worker *w = NULL;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_OK);
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < 3; i++)
            assert_int_equal(llamac_worker_submit(w, i, prompts[i], strlen(prompts[i]), NULL), LLAMAC_OK);
    const double t0 = now_s();
    int done = 0, tokens[3] = {0};
    while (done < 3 * ROUNDS) {
        assert_true(now_s() - t0 < TIMEOUT_S);
        llamac_worker_event ev;
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(500);
        if (ev.kind == LLAMAC_EVENT_ERROR) fail_msg("worker error on slot %d: %s", ev.slot, ev.text);
        if (ev.kind == LLAMAC_EVENT_TEXT) tokens[ev.slot]++;
        if (ev.kind == LLAMAC_EVENT_DONE) {
            assert_int_equal(ev.stop, LLAMAC_STOP_MAX_TOKENS);
            done++;
        }
    }
    for (int i = 0; i < 3; i++) assert_int_equal(tokens[i], ROUNDS * N_PREDICT);
    llamac_worker_free(w);
}

static void cancel_ends_the_response(void **state) {
    const fixture *f = *state;
    char want[1024];
    const size_t want_len = plain_text(f, prompts[1], want, sizeof want);
    llamac_worker *w = new_worker(3, -1); /* no limit: only the cancel ends it (or a full context) */
    uint64_t id = 0;
    assert_int_equal(llamac_worker_submit(w, 1, prompts[1], strlen(prompts[1]), &id), LLAMAC_OK);
    assert_true(id > 0);
    /* wait for the first text, then cancel */
    const double t0 = now_s();
    llamac_worker_event ev;
    for (;;) {
        assert_true(now_s() - t0 < TIMEOUT_S);
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        if (ev.kind == LLAMAC_EVENT_TEXT) break;
        assert_true(ev.kind != LLAMAC_EVENT_DONE && ev.kind != LLAMAC_EVENT_ERROR);
        if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(200);
    }
    assert_int_equal(ev.request, id);
    const double c0 = now_s();
    assert_int_equal(llamac_worker_cancel(w, 1), LLAMAC_OK);
    const double cancel_call = now_s() - c0;
    for (;;) {
        assert_true(now_s() - t0 < TIMEOUT_S);
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        if (ev.kind == LLAMAC_EVENT_DONE) break;
        assert_true(ev.kind != LLAMAC_EVENT_ERROR);
        if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(100);
    }
    print_message("cancel call %.3f ms, DONE after %.3f ms\n", cancel_call * 1e3, (now_s() - c0) * 1e3);
    assert_int_equal(ev.slot, 1);
    assert_int_equal(ev.stop, LLAMAC_STOP_CANCELLED);
    llamac_worker_free(w);

    /* a slot's next request after a cancel, on a fresh sequence: the
     * plain text (fresh worker with n_predict set) */
    w = new_worker(3, N_PREDICT);
    assert_int_equal(llamac_worker_submit(w, 2, prompts[1], strlen(prompts[1]), NULL), LLAMAC_OK);
    assert_int_equal(llamac_worker_cancel(w, 2), LLAMAC_OK); /* dropped while queued (likely: loading) or running */
    collected c;
    memset(&c, 0, sizeof c);
    assert_int_equal(llamac_worker_submit(w, 0, prompts[1], strlen(prompts[1]), NULL), LLAMAC_OK);
    collect(w, &c, 2); /* each request ends with one DONE */
    assert_int_equal(c.done[2], 1);
    assert_int_equal(c.stop[2], LLAMAC_STOP_CANCELLED);
    assert_int_equal(c.done[0], 1);
    assert_int_equal(c.stop[0], LLAMAC_STOP_MAX_TOKENS);
    assert_int_equal(c.len[0], want_len);
    assert_memory_equal(c.text[0], want, want_len);
    llamac_worker_free(w);
}

static void failed_load_is_an_event(void **state) {
    (void)state;
    llamac_worker_params wp = llamac_worker_default_params();
    wp.model_path = "/nonexistent/model.gguf";
    llamac_worker *w = NULL;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_OK);
    const double t0 = now_s();
    llamac_worker_event ev;
    do {
        assert_true(now_s() - t0 < TIMEOUT_S);
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(200);
    } while (ev.kind == LLAMAC_EVENT_NONE);
    assert_int_equal(ev.kind, LLAMAC_EVENT_ERROR);
    assert_int_equal(ev.slot, -1);
    assert_int_equal(ev.status, LLAMAC_ERR_IO);
    assert_non_null(strstr(ev.text, "nonexistent"));
    assert_int_equal(llamac_worker_get_state(w), LLAMAC_WORKER_FAILED);
    assert_int_equal(llamac_worker_submit(w, 0, "x", 1, NULL), LLAMAC_ERR_INVALID_ARG);
    llamac_worker_free(w);

    /* parameters */
    wp = llamac_worker_default_params();
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_ERR_INVALID_ARG); /* no model */
    assert_null(w);
    wp.model_path = "x";
    wp.n_slots = 0;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_ERR_INVALID_ARG);
    wp.n_slots = 65;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_ERR_INVALID_ARG);
}

/* ---- shutdown at random moments ---- */

static void shutdown_torture(void **state) {
    const fixture *f = *state;
    unsigned seed = (unsigned)time(NULL);
    if (getenv("LLAMAC_TEST_SEED")) seed = (unsigned)strtoul(getenv("LLAMAC_TEST_SEED"), NULL, 10);
    print_message("seed %u (LLAMAC_TEST_SEED), %d cycles\n", seed, g_cycles);
    int freed_loading = 0, freed_busy = 0;
    double slowest = 0;
    for (int cycle = 0; cycle < g_cycles; cycle++) {
        llamac_worker_params wp = llamac_worker_default_params();
        /* half the workers load the model themselves (free during load), half borrow it */
        if (rand_r(&seed) % 2) wp.model_path = getenv("LLAMAC_SHIPPED_MODEL");
        else wp.model = f->model;
        wp.n_slots = 1 + (int32_t)(rand_r(&seed) % 3);
        wp.n_ctx = 64u * (uint32_t)wp.n_slots;
        wp.n_threads = 1 + (int32_t)(rand_r(&seed) % 2);
        wp.n_predict = rand_r(&seed) % 2 ? -1 : 8;
        wp.budget_us = rand_r(&seed) % 3000;
        wp.period_us = rand_r(&seed) % 3 == 0 ? 2000 : 0;
        wp.temp = rand_r(&seed) % 2 ? 0.8f : 0.0f;
        wp.seed = (uint64_t)cycle;
        llamac_worker *w = NULL;
        assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_OK);
        const int n_ops = (int)(rand_r(&seed) % 8);
        for (int op = 0; op < n_ops; op++) {
            const int32_t slot = (int32_t)(rand_r(&seed) % (unsigned)wp.n_slots);
            const double c0 = now_s();
            switch (rand_r(&seed) % 4) {
            case 0:
            case 1: {
                const char *p = prompts[rand_r(&seed) % 3];
                assert_int_equal(llamac_worker_submit(w, slot, p, strlen(p), NULL), LLAMAC_OK);
                break;
            }
            case 2: assert_int_equal(llamac_worker_cancel(w, slot), LLAMAC_OK); break;
            default: {
                llamac_worker_event ev;
                assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
                assert_true(ev.kind != LLAMAC_EVENT_ERROR);
            }
            }
            const double dt = now_s() - c0;
            if (dt > slowest) slowest = dt;
            sleep_us((long)(rand_r(&seed) % 4000));
        }
        if (llamac_worker_get_state(w) == LLAMAC_WORKER_LOADING) freed_loading++;
        else freed_busy++;
        llamac_worker_free(w);
    }
    print_message("%d freed while loading, %d after; slowest call %.3f ms\n", freed_loading, freed_busy,
                  slowest * 1e3);
}

/* --model PATH (scripts/bench_games.sh): how long a cancel takes to land
 * (from the call to the DONE event), at several moments of a response,
 * and the CPU an idle worker uses, on any model. */
static void measure_cancel_and_idle(void **state) {
    (void)state;
    llamac_worker_params wp = llamac_worker_default_params();
    wp.model_path = g_model;
    wp.n_slots = 3;
    wp.n_predict = -1;
    wp.n_threads = 2;
    wp.budget_us = 4000;
    llamac_worker *w = NULL;
    assert_int_equal(llamac_worker_new(&wp, &w), LLAMAC_OK);
    llamac_worker_event ev;
    const double l0 = now_s();
    do {
        assert_true(now_s() - l0 < 600);
        assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
        assert_true(ev.kind != LLAMAC_EVENT_ERROR);
        if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(1000);
    } while (ev.kind != LLAMAC_EVENT_LOADED);
    print_message("loaded in %.2f s (no call waited for it)\n", now_s() - l0);
    double worst = 0, sum = 0;
    const int rounds = 8;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 3; i++) assert_int_equal(llamac_worker_submit(w, i, prompts[i], strlen(prompts[i]), NULL), LLAMAC_OK);
        /* cancel after r text events of slot 0 (0: mid-prompt) */
        const double t0 = now_s();
        int seen = 0;
        while (seen < r) {
            assert_true(now_s() - t0 < 600);
            assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
            if (ev.kind == LLAMAC_EVENT_TEXT && ev.slot == 0) seen++;
            if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(200);
        }
        if (r == 0) sleep_us(5000); /* into the prompt's decode */
        const double c0 = now_s();
        for (int i = 0; i < 3; i++) assert_int_equal(llamac_worker_cancel(w, i), LLAMAC_OK);
        int done = 0;
        double landed = 0;
        while (done < 3) {
            assert_true(now_s() - t0 < 600);
            assert_int_equal(llamac_worker_poll(w, &ev), LLAMAC_OK);
            if (ev.kind == LLAMAC_EVENT_DONE) {
                done++;
                landed = now_s() - c0;
            }
            if (ev.kind == LLAMAC_EVENT_NONE) sleep_us(50);
        }
        if (landed > worst) worst = landed;
        sum += landed;
    }
    print_message("cancel: lands after mean %.2f ms, max %.2f ms (%d rounds, 3 slots)\n", sum / rounds * 1e3,
                  worst * 1e3, rounds);
    sleep_us(20000);
    const double c0 = cpu_s(), t0 = now_s();
    sleep_us(1000000);
    print_message("idle worker: %.2f ms CPU over %.0f ms\n", (cpu_s() - c0) * 1e3, (now_s() - t0) * 1e3);
    llamac_worker_free(w);
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--cycles") == 0) g_cycles = atoi(argv[i + 1]);
        if (strcmp(argv[i], "--model") == 0) g_model = argv[i + 1];
    }
    if (g_model) return run_cases(NULL, NULL, measure_cancel_and_idle);
    if (g_cycles != 30) return run_cases(shipped_model_setup, shipped_model_teardown, shutdown_torture);
    return run_cases(shipped_model_setup, shipped_model_teardown, slots_match_plain_generation,
                     slots_share_a_small_context, cancel_ends_the_response, failed_load_is_an_event, shutdown_torture);
}
