/* Chains, the random draw, determinism, cloning, error reporting, caller
 * allocators, and the llamac_sampler_sample convenience. */
#include "test_alloc.h"
#include "test_sampling_util.h"

#include <float.h>
#include <time.h>

/* ---- helpers ---- */

/* penalties -> bias -> top-k -> top-p -> min-p -> typical -> temp -> dist:
 * every kind, including all that keep history or scratch buffers. */
static llamac_sampler *full_chain(uint64_t seed, const llamac_allocator *al) {
    llamac_sampler_chain_params cp = llamac_sampler_chain_default_params();
    cp.allocator = al;
    llamac_sampler *c = llamac_sampler_chain_new(&cp);
    if (!c) return NULL;
    const llamac_logit_bias lb[] = {{5, -INFINITY}, {7, 0.5f}};
    llamac_sampler *parts[] = {
        llamac_sampler_init_penalties(16, 1.3f, 0.1f, 0.1f, al),
        llamac_sampler_init_logit_bias(64, 2, lb, al),
        llamac_sampler_init_top_k(12, al),
        llamac_sampler_init_top_p(0.98f, 1, al),
        llamac_sampler_init_min_p(0.01f, 1, al),
        llamac_sampler_init_typical(0.99f, 1, al),
        llamac_sampler_init_temp(0.9f, al),
        llamac_sampler_init_dist(seed, al),
    };
    llamac_status st = LLAMAC_OK;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (st == LLAMAC_OK) st = llamac_sampler_chain_add(c, parts[i]);
        else llamac_sampler_free(parts[i]);
    }
    if (st != LLAMAC_OK) {
        llamac_sampler_free(c);
        return NULL;
    }
    return c;
}

static void test_logits(float *l, int n, int step) {
    for (int i = 0; i < n; i++) l[i] = 3.0f * sinf(0.37f * (float)i + 0.11f * (float)step);
}

/* Generates n tokens with `s`, logits varying with the step. */
static void run(llamac_sampler *s, llamac_token *out, int n, int step0) {
    float l[64];
    for (int i = 0; i < n; i++) {
        test_logits(l, 64, step0 + i);
        assert_int_equal(llamac_sampler_sample(s, l, 64, &out[i]), LLAMAC_OK);
    }
}

/* ---- dist ---- */

static void dist_frequencies_pass_chi_square_against_softmax(void **state) {
    (void)state;
    enum { K = 16, DRAWS = 200000 };
    float l[K];
    double p[K], max = -1e30, sum = 0;
    for (int i = 0; i < K; i++) {
        l[i] = 0.3f * (float)((i * 7) % K) - 2.0f; /* p from ~0.5% to ~28% */
        if (l[i] > max) max = l[i];
    }
    for (int i = 0; i < K; i++) sum += p[i] = exp((double)l[i] - max);
    long count[K] = {0};
    llamac_sampler *s = llamac_sampler_init_dist(2024, NULL);
    cand_buf b;
    for (int d = 0; d < DRAWS; d++) {
        llamac_token_data_array *a = make_cands(&b, l, K);
        assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
        count[a->data[a->selected].id]++;
    }
    double chi2 = 0;
    for (int i = 0; i < K; i++) {
        const double e = DRAWS * p[i] / sum;
        assert_true(e > 500);
        chi2 += (count[i] - e) * (count[i] - e) / e;
    }
    /* 37.697 is the chi-square(15) quantile for upper tail 0.001 (checked by
     * numeric integration of the density in numpy). */
    printf("dist: chi-square %.2f with 15 degrees of freedom (limit 37.697 for p = 0.001)\n", chi2);
    assert_true(chi2 < 37.697);
    llamac_sampler_free(s);
}

static void dist_never_draws_a_masked_token(void **state) {
    (void)state;
    cand_buf b;
    llamac_sampler *s = llamac_sampler_init_dist(5, NULL);
    for (int d = 0; d < 5000; d++) {
        llamac_token_data_array *a = make_cands(&b, (const float[]){-INFINITY, 0, -INFINITY, 1}, 4);
        assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
        assert_true(a->selected == 1 || a->selected == 3);
    }
    llamac_sampler_free(s);
}

static void dist_after_top_k_draws_only_from_the_kept_set(void **state) {
    (void)state;
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(2, NULL)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_dist(9, NULL)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_n(c), 2);
    assert_string_equal(llamac_sampler_name(llamac_sampler_chain_get(c, 0)), "top-k");
    assert_null(llamac_sampler_chain_get(c, 2));
    int seen[4] = {0};
    for (int d = 0; d < 2000; d++) {
        llamac_token t;
        assert_int_equal(llamac_sampler_sample(c, (const float[]){1, 0.9f, 1.1f, -5}, 4, &t),
                         LLAMAC_OK);
        seen[t]++;
    }
    assert_true(seen[1] == 0 && seen[3] == 0 && seen[0] > 0 && seen[2] > 0);
    llamac_sampler_free(c);
}

/* ---- determinism, clone, reset ---- */

static void same_seed_gives_same_tokens_different_seed_differs(void **state) {
    (void)state;
    enum { N = 200 };
    llamac_token a[N], b[N], c[N];
    llamac_sampler *s1 = full_chain(77, NULL), *s2 = full_chain(77, NULL), *s3 = full_chain(78, NULL);
    run(s1, a, N, 0);
    run(s2, b, N, 0);
    run(s3, c, N, 0);
    assert_memory_equal(a, b, sizeof a);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += a[i] != c[i];
    assert_true(differ > N / 4);
    for (int i = 0; i < N; i++) assert_true(a[i] != 5); /* banned by the bias */
    llamac_sampler_free(s1);
    llamac_sampler_free(s2);
    llamac_sampler_free(s3);
}

static void clone_continues_exactly_like_the_original(void **state) {
    (void)state;
    enum { N = 100 };
    llamac_token warm[N], a[N], b[N];
    llamac_sampler *s = full_chain(123, NULL);
    run(s, warm, N, 0); /* fills penalty history, advances the generator */
    llamac_sampler *c = llamac_sampler_clone(s);
    assert_non_null(c);
    run(s, a, N, N);
    run(c, b, N, N);
    assert_memory_equal(a, b, sizeof a);
    llamac_sampler_free(s);
    llamac_sampler_free(c);

    /* mirostat carries mu and the generator */
    llamac_sampler *m = llamac_sampler_init_mirostat_v2(4, 3.0f, 0.2f, NULL);
    run(m, warm, N, 0);
    llamac_sampler *mc = llamac_sampler_clone(m);
    run(m, a, N, N);
    run(mc, b, N, N);
    assert_memory_equal(a, b, sizeof a);
    llamac_sampler_free(m);
    llamac_sampler_free(mc);
}

static void reset_replays_from_the_start(void **state) {
    (void)state;
    enum { N = 100 };
    llamac_token a[N], b[N];
    llamac_sampler *s = full_chain(31, NULL);
    run(s, a, N, 0);
    llamac_sampler_reset(s);
    run(s, b, N, 0);
    assert_memory_equal(a, b, sizeof a);
    llamac_sampler_free(s);

    llamac_sampler *m = llamac_sampler_init_mirostat_v2(4, 3.0f, 0.2f, NULL);
    run(m, a, N, 0);
    llamac_sampler_reset(m);
    run(m, b, N, 0);
    assert_memory_equal(a, b, sizeof a);
    llamac_sampler_free(m);
}

/* ---- errors ---- */

static void constructors_reject_bad_arguments_by_name(void **state) {
    (void)state;
    static const struct {
        const char *what;
        const char *needle;
    } expect[] = {
        {"temp -1", "temperature"},   {"temp nan", "temperature"}, {"temp inf", "temperature"},
        {"top_k -1", "k -1"},         {"top_p 1.5", "p 1.5"},      {"top_p nan", "p nan"},
        {"min_p -0.1", "p -0.1"},     {"typical 2", "p 2"},        {"pen last_n", "last_n"},
        {"pen repeat", "repeat"},     {"pen freq", "freq"},        {"pen present", "present"},
        {"miro tau", "tau"},          {"miro eta", "eta"},
    };
    /* one call per expectation, so each message can be checked */
    const size_t n = sizeof expect / sizeof expect[0];
    for (size_t i = 0; i < n; i++) {
        llamac_sampler *s = NULL;
        switch (i) {
        case 0: s = llamac_sampler_init_temp(-1.0f, NULL); break;
        case 1: s = llamac_sampler_init_temp(NAN, NULL); break;
        case 2: s = llamac_sampler_init_temp(INFINITY, NULL); break;
        case 3: s = llamac_sampler_init_top_k(-1, NULL); break;
        case 4: s = llamac_sampler_init_top_p(1.5f, 1, NULL); break;
        case 5: s = llamac_sampler_init_top_p(NAN, 1, NULL); break;
        case 6: s = llamac_sampler_init_min_p(-0.1f, 1, NULL); break;
        case 7: s = llamac_sampler_init_typical(2.0f, 1, NULL); break;
        case 8: s = llamac_sampler_init_penalties(-1, 1.1f, 0, 0, NULL); break;
        case 9: s = llamac_sampler_init_penalties(64, 0.0f, 0, 0, NULL); break;
        case 10: s = llamac_sampler_init_penalties(64, 1.1f, NAN, 0, NULL); break;
        case 11: s = llamac_sampler_init_penalties(64, 1.1f, 0, INFINITY, NULL); break;
        case 12: s = llamac_sampler_init_mirostat_v2(1, -1.0f, 0.1f, NULL); break;
        case 13: s = llamac_sampler_init_mirostat_v2(1, 5.0f, INFINITY, NULL); break;
        }
        assert_null(s);
        if (!strstr(llamac_last_error(), expect[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", expect[i].what, llamac_last_error(),
                     expect[i].needle);
    }
    llamac_sampler_chain_params cp = llamac_sampler_chain_default_params();
    cp.struct_size = sizeof cp + 8;
    assert_null(llamac_sampler_chain_new(&cp));
    assert_non_null(strstr(llamac_last_error(), "struct_size"));
}

static void apply_rejects_nan_inf_and_empty_candidates(void **state) {
    (void)state;
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    cand_buf b;
    assert_int_equal(llamac_sampler_apply(s, make_cands(&b, (const float[]){0, NAN, 1}, 3)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "candidate 1 (token 1) has logit NaN"));
    assert_int_equal(llamac_sampler_apply(s, make_cands(&b, (const float[]){0, 1, INFINITY}, 3)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "+inf"));
    assert_int_equal(llamac_sampler_apply(s, make_cands(&b, (const float[]){0}, 0)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_sampler_apply(s, NULL), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_sampler_accept(s, -3), LLAMAC_ERR_INVALID_ARG);
    llamac_sampler_free(s);

    llamac_token t = 99;
    s = llamac_sampler_init_dist(1, NULL);
    const float masked[] = {-INFINITY, -INFINITY};
    assert_int_equal(llamac_sampler_sample(s, masked, 2, &t), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "-inf"));
    assert_int_equal(t, 99);
    assert_int_equal(llamac_sampler_sample(s, masked, 0, &t), LLAMAC_ERR_INVALID_ARG);
    llamac_sampler_free(s);
}

static void sample_without_a_selecting_sampler_says_so(void **state) {
    (void)state;
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(2, NULL)), LLAMAC_OK);
    llamac_token t = 99;
    assert_int_equal(llamac_sampler_sample(c, (const float[]){1, 2, 3}, 3, &t),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "no token was selected"));
    assert_int_equal(t, 99);
    llamac_sampler_free(c);
}

static void chain_add_keeps_constructor_error_and_refuses_cycles(void **state) {
    (void)state;
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(-5, NULL)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "smpl is NULL"));
    assert_non_null(strstr(llamac_last_error(), "k -5"));

    llamac_sampler *g = llamac_sampler_init_greedy(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, g), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, g), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_sampler_chain_add(c, c), LLAMAC_ERR_INVALID_ARG);
    llamac_sampler *outer = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(outer, c), LLAMAC_OK); /* nesting is fine */
    assert_int_equal(llamac_sampler_chain_add(c, outer), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_sampler_chain_n(outer), 1);
    assert_int_equal(llamac_sampler_chain_n(c), 1);
    llamac_token t;
    assert_int_equal(llamac_sampler_sample(outer, (const float[]){1, 3, 2}, 3, &t), LLAMAC_OK);
    assert_int_equal(t, 1);

    /* adding to a non-chain frees the sampler (ASan would report a leak) */
    assert_int_equal(llamac_sampler_chain_add(g, llamac_sampler_init_greedy(NULL)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_sampler_chain_n(g), -1);
    llamac_sampler_free(outer);
}

/* ---- allocators ---- */

static void caller_allocator_sees_every_allocation_and_none_leak(void **state) {
    (void)state;
    alloc_counter cnt;
    llamac_allocator al = counting_allocator(&cnt, -1);
    llamac_sampler *s = full_chain(5, &al);
    assert_non_null(s);
    llamac_token out[50];
    run(s, out, 50, 0);
    llamac_sampler *c = llamac_sampler_clone(s);
    assert_non_null(c);
    run(c, out, 50, 50);
    assert_true(cnt.grants > 10);
    llamac_sampler_free(s);
    llamac_sampler_free(c);
    assert_int_equal(cnt.live, 0);
}

static void sample_allocates_only_on_its_first_call(void **state) {
    (void)state;
    alloc_counter cnt;
    llamac_allocator al = counting_allocator(&cnt, -1);
    llamac_sampler_chain_params cp = llamac_sampler_chain_default_params();
    cp.allocator = &al;
    llamac_sampler *c = llamac_sampler_chain_new(&cp);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(8, &al)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_typical(0.9f, 1, &al)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_dist(3, &al)), LLAMAC_OK);
    llamac_token out[1];
    run(c, out, 1, 0);
    const long after_first = cnt.grants;
    llamac_token more[100];
    run(c, more, 100, 1);
    assert_int_equal(cnt.grants, after_first);
    llamac_sampler_free(c);
    assert_int_equal(cnt.live, 0);
}

static void allocation_failures_are_reported_without_leaks(void **state) {
    (void)state;
    /* Fail the k-th allocation for every k until building, running and
     * cloning the full chain succeeds: each failure must be clean. */
    int failures = 0;
    for (long k = 0;; k++) {
        alloc_counter cnt;
        llamac_allocator al = counting_allocator(&cnt, k);
        llamac_sampler *s = full_chain(5, &al);
        bool ok = s != NULL;
        float l[64];
        test_logits(l, 64, 0);
        llamac_token t;
        for (int i = 0; ok && i < 20; i++) {
            llamac_status st = llamac_sampler_sample(s, l, 64, &t);
            if (st != LLAMAC_OK) {
                assert_int_equal(st, LLAMAC_ERR_NO_MEMORY);
                ok = false;
            }
        }
        llamac_sampler *c = ok ? llamac_sampler_clone(s) : NULL;
        if (ok && !c) ok = false;
        if (!ok) {
            assert_int_equal(cnt.fail_after, 0);
            assert_non_null(strstr(llamac_last_error(), "memory"));
            failures++;
        }
        llamac_sampler_free(s);
        llamac_sampler_free(c);
        assert_int_equal(cnt.live, 0);
        if (ok) break;
        assert_true(k < 1000);
    }
    assert_true(failures > 10);
}

/* ---- speed on a Llama-3-sized vocabulary ---- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void large_vocab_top_k_is_fast(void **state) {
    (void)state;
    enum { V = 128256, REPS = 50 };
    float *l = malloc(V * sizeof *l);
    assert_non_null(l);
    uint32_t x = 1;
    for (int i = 0; i < V; i++) {
        x = x * 1664525u + 1013904223u;
        l[i] = 3.0f * ((float)(x >> 8) / 16777216.0f - 0.5f) * 4.0f;
    }
    struct {
        const char *name;
        llamac_sampler *s;
    } cases[4];
    cases[0].name = "top-k 40 + dist";
    cases[0].s = llamac_sampler_chain_new(NULL);
    llamac_sampler_chain_add(cases[0].s, llamac_sampler_init_top_k(40, NULL));
    llamac_sampler_chain_add(cases[0].s, llamac_sampler_init_dist(1, NULL));
    cases[1].name = "top-p 0.95 + dist";
    cases[1].s = llamac_sampler_chain_new(NULL);
    llamac_sampler_chain_add(cases[1].s, llamac_sampler_init_top_p(0.95f, 1, NULL));
    llamac_sampler_chain_add(cases[1].s, llamac_sampler_init_dist(1, NULL));
    cases[2].name = "greedy";
    cases[2].s = llamac_sampler_init_greedy(NULL);
    cases[3].name = "dist (full softmax)";
    cases[3].s = llamac_sampler_init_dist(1, NULL);
    for (int c = 0; c < 4; c++) {
        llamac_token t;
        assert_int_equal(llamac_sampler_sample(cases[c].s, l, V, &t), LLAMAC_OK); /* warm */
        const double t0 = now_s();
        for (int r = 0; r < REPS; r++)
            assert_int_equal(llamac_sampler_sample(cases[c].s, l, V, &t), LLAMAC_OK);
        const double per = (now_s() - t0) / REPS;
        printf("sample over %d logits, %-20s %8.1f us/token\n", V, cases[c].name, per * 1e6);
        llamac_sampler_free(cases[c].s);
    }
    /* top-k alone on the raw array, the part that must not sort */
    llamac_token_data *d = malloc(V * sizeof *d);
    llamac_sampler *k = llamac_sampler_init_top_k(40, NULL);
    double t0 = now_s();
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < V; i++) d[i] = (llamac_token_data){i, l[i], 0};
        llamac_token_data_array a = {d, V, -1, false};
        assert_int_equal(llamac_sampler_apply(k, &a), LLAMAC_OK);
        assert_int_equal(a.size, 40);
    }
    const double per = (now_s() - t0) / REPS;
    printf("top-k 40 apply over %d candidates (incl. array fill): %.1f us\n", V, per * 1e6);
    assert_true(per < 0.25); /* a loose sanity bound, even under sanitizers */
    llamac_sampler_free(k);
    free(d);
    free(l);
}

int main(void) {
    return run_cases(NULL, NULL,
                     dist_frequencies_pass_chi_square_against_softmax,
                     dist_never_draws_a_masked_token,
                     dist_after_top_k_draws_only_from_the_kept_set,
                     same_seed_gives_same_tokens_different_seed_differs,
                     clone_continues_exactly_like_the_original,
                     reset_replays_from_the_start,
                     constructors_reject_bad_arguments_by_name,
                     apply_rejects_nan_inf_and_empty_candidates,
                     sample_without_a_selecting_sampler_says_so,
                     chain_add_keeps_constructor_error_and_refuses_cycles,
                     caller_allocator_sees_every_allocation_and_none_leak,
                     sample_allocates_only_on_its_first_call,
                     allocation_failures_are_reported_without_leaks,
                     large_vocab_top_k_is_fast);
}
