/* Exact behaviour of each sampler on small hand-made distributions. Expected
 * sets come from hand computation (see the comments) or, for typical, from
 * an independent numpy computation. */
#include "test_sampling_util.h"

#include <float.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define IDS(...) ((const llamac_token[]){__VA_ARGS__}), N_OF(((const llamac_token[]){__VA_ARGS__}))

/* ---- greedy, temperature ---- */

static void greedy_selects_highest_logit_lowest_id_among_ties(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){1, 3, 2, 3, -INFINITY}, 5);
    apply_once(llamac_sampler_init_greedy(NULL), a);
    assert_int_equal(a->selected, 1);
    assert_int_equal(a->size, 5);
}

static void temp_divides_logits_and_zero_keeps_only_the_best(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){2, -1, 0.5f, -INFINITY}, 4);
    apply_once(llamac_sampler_init_temp(0.5f, NULL), a);
    assert_true(a->data[0].logit == 4.0f && a->data[1].logit == -2.0f && a->data[2].logit == 1.0f);
    assert_true(isinf(a->data[3].logit) && a->data[3].logit < 0);

    a = make_cands(&b, (const float[]){1, 3, 2}, 3);
    apply_once(llamac_sampler_init_temp(0.0f, NULL), a);
    assert_int_equal(a->size, 3);
    assert_true(a->data[1].logit == 3.0f);
    assert_true(isinf(a->data[0].logit) && isinf(a->data[2].logit));
}

static void tiny_temperature_overflow_does_not_produce_inf(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){30, -30, 1}, 3);
    apply_once(llamac_sampler_init_temp(1e-38f, NULL), a);
    assert_true(a->data[0].logit == FLT_MAX && a->data[1].logit == -FLT_MAX);
    /* and the result still has a distribution */
    apply_once(llamac_sampler_init_dist(1, NULL), a);
    assert_int_equal(a->selected, 0);
}

/* ---- top-k ---- */

static void top_k_keeps_the_k_best_sorted_ties_by_id(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){0.1f, 2, -1, 3, 2, 0.5f}, 6);
    apply_once(llamac_sampler_init_top_k(3, NULL), a);
    assert_ids(a, IDS(3, 1, 4));
    assert_true(a->sorted);
}

static void top_k_zero_is_off_and_large_k_keeps_all(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){0.1f, 2, -1}, 3);
    apply_once(llamac_sampler_init_top_k(0, NULL), a);
    assert_ids(a, IDS(0, 1, 2));
    assert_false(a->sorted);
    apply_once(llamac_sampler_init_top_k(100, NULL), a);
    assert_ids(a, IDS(1, 0, 2));
}

/* ---- top-p ---- */

/* p = {0.1, 0.5, 0.15, 0.25} for ids 0..3; best-first: 1 (0.5), 3 (0.75
 * cumulative), 2 (0.9), 0 (1.0). */
static const float quad_logits_src[4] = {0.1f, 0.5f, 0.15f, 0.25f};
static llamac_token_data_array *quad(cand_buf *b) {
    float l[4];
    for (int i = 0; i < 4; i++) l[i] = logf(quad_logits_src[i]);
    return make_cands(b, l, 4);
}

static void top_p_keeps_the_token_that_crosses_p(void **state) {
    (void)state;
    cand_buf b;
    llamac_token_data_array *a = quad(&b);
    apply_once(llamac_sampler_init_top_p(0.7f, 1, NULL), a);
    assert_ids(a, IDS(1, 3));
    assert_true(a->sorted);
    /* probabilities are those of the full softmax (not renormalized) */
    assert_true(fabsf(a->data[0].p - 0.5f) < 1e-6f && fabsf(a->data[1].p - 0.25f) < 1e-6f);

    apply_once(llamac_sampler_init_top_p(0.8f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1, 3, 2));
    apply_once(llamac_sampler_init_top_p(0.4f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1));
    apply_once(llamac_sampler_init_top_p(0.0f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1));
}

static void top_p_honours_min_keep_and_one_is_off(void **state) {
    (void)state;
    cand_buf b;
    apply_once(llamac_sampler_init_top_p(0.4f, 3, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1, 3, 2));
    apply_once(llamac_sampler_init_top_p(1.0f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(0, 1, 2, 3));
}

/* An independent brute force: double-precision softmax, full qsort. */
typedef struct ref_item { double logit; int id; } ref_item;
static int ref_cmp(const void *x, const void *y) {
    const ref_item *a = x, *b = y;
    if (a->logit != b->logit) return a->logit > b->logit ? -1 : 1;
    return a->id - b->id;
}

static int id_cmp(const void *x, const void *y) {
    const llamac_token a = *(const llamac_token *)x, b = *(const llamac_token *)y;
    return (a > b) - (a < b);
}

/* Runs top-p on n pseudo-random logits in [0, 4) (every 1000th masked) and
 * checks it against the brute force: same size, same set, and the same
 * order whenever the result claims to be sorted. Returns the kept count. */
static size_t check_top_p_against_full_sort(int n, uint32_t seed, float p, size_t min_keep) {
    llamac_token_data *d = malloc((size_t)n * sizeof *d);
    ref_item *r = malloc((size_t)n * sizeof *r);
    llamac_token *got = malloc((size_t)n * sizeof *got), *want_ids = malloc((size_t)n * sizeof *want_ids);
    assert_true(d && r && got && want_ids);
    uint32_t x = seed;
    double max = -1e30, sum = 0;
    for (int i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        float l = (float)((x >> 8) % 1000000) / 250000.0f;
        if (i % 1000 == 999) l = -INFINITY;
        d[i] = (llamac_token_data){i, l, 0};
        r[i] = (ref_item){l, i};
        if (l > max) max = l;
    }
    for (int i = 0; i < n; i++) sum += exp(r[i].logit - max);
    qsort(r, (size_t)n, sizeof *r, ref_cmp);
    size_t want = 0;
    double cum = 0;
    while (cum < p || want < min_keep) cum += exp(r[want++].logit - max) / sum;

    llamac_token_data_array a = {d, (size_t)n, -1, false};
    apply_once(llamac_sampler_init_top_p(p, min_keep, NULL), &a);
    assert_int_equal(a.size, want);
    for (size_t i = 0; i < want; i++) {
        got[i] = a.data[i].id;
        want_ids[i] = r[i].id;
    }
    if (a.sorted) assert_memory_equal(got, want_ids, want * sizeof *got);
    qsort(got, want, sizeof *got, id_cmp);
    qsort(want_ids, want, sizeof *want_ids, id_cmp);
    assert_memory_equal(got, want_ids, want * sizeof *got);
    free(d);
    free(r);
    free(got);
    free(want_ids);
    return want;
}

static void top_p_on_a_peaked_head_is_exact_and_sorted(void **state) {
    (void)state;
    /* 0.05 of 5000 near-flat tokens: a few hundred, within the sorted head */
    assert_true(check_top_p_against_full_sort(5000, 12345, 0.05f, 1) < 1024);
}

/* Flat logits make the nucleus far wider than the lazily sorted head, so
 * the histogram cut runs (and its min_keep path). */
static void top_p_on_a_very_wide_nucleus_keeps_the_brute_force_set(void **state) {
    (void)state;
    assert_true(check_top_p_against_full_sort(5000, 1, 0.9f, 1) > 2048);
    assert_true(check_top_p_against_full_sort(50000, 2, 0.9f, 1) > 20000);
    assert_true(check_top_p_against_full_sort(50000, 3, 0.5f, 1) > 8000);
    assert_int_equal(check_top_p_against_full_sort(50000, 4, 0.1f, 20000), 20000);
}

/* ---- min-p ---- */

static void min_p_keeps_tokens_above_p_times_the_best_in_input_order(void **state) {
    (void)state;
    cand_buf b;
    /* p >= 0.4 * 0.5 = 0.2: ids 1 (0.5) and 3 (0.25) */
    apply_once(llamac_sampler_init_min_p(0.4f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1, 3));
    /* p >= 0.125: ids 1, 2 (0.15), 3 */
    apply_once(llamac_sampler_init_min_p(0.25f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1, 2, 3));
    apply_once(llamac_sampler_init_min_p(0.0f, 1, NULL), quad(&b));
    assert_ids(&b.arr, IDS(0, 1, 2, 3));
}

static void min_p_falls_back_to_the_min_keep_best(void **state) {
    (void)state;
    cand_buf b;
    apply_once(llamac_sampler_init_min_p(0.4f, 3, NULL), quad(&b));
    assert_ids(&b.arr, IDS(1, 3, 2));
    assert_true(b.arr.sorted);
}

/* ---- typical ---- */

/* logits {2, 1, 0.5, 0, -1, -3}: p = {.5609, .2063, .1252, .0759, .0279,
 * .0038}, H = 1.2268 nats, |-ln p - H| = {.649, .351, .851, 1.351, 2.351,
 * 4.351}: typicality order 1, 0, 2, 3, 4, 5 with cumulative mass .206,
 * .767, .892, .968, .996 (numpy). */
static const float typ_logits[6] = {2, 1, 0.5f, 0, -1, -3};

static void typical_keeps_the_most_typical_tokens_not_the_most_likely(void **state) {
    (void)state;
    cand_buf b;
    apply_once(llamac_sampler_init_typical(0.2f, 1, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(1)); /* the mode (id 0) is less typical than id 1 */
    apply_once(llamac_sampler_init_typical(0.5f, 1, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(1, 0));
    apply_once(llamac_sampler_init_typical(0.8f, 1, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(1, 0, 2));
    apply_once(llamac_sampler_init_typical(0.95f, 1, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(1, 0, 2, 3));
    assert_false(b.arr.sorted);
}

static void typical_honours_min_keep_and_one_is_off(void **state) {
    (void)state;
    cand_buf b;
    apply_once(llamac_sampler_init_typical(0.2f, 3, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(1, 0, 2));
    apply_once(llamac_sampler_init_typical(1.0f, 1, NULL), make_cands(&b, typ_logits, 6));
    assert_ids(&b.arr, IDS(0, 1, 2, 3, 4, 5));
}

/* ---- penalties ---- */

static void penalties_divide_positive_multiply_negative_and_subtract_counts(void **state) {
    (void)state;
    llamac_sampler *s = llamac_sampler_init_penalties(3, 2.0f, 0.5f, 0.25f, NULL);
    assert_non_null(s);
    const llamac_token hist[] = {0, 1, 0};
    for (int i = 0; i < 3; i++) assert_int_equal(llamac_sampler_accept(s, hist[i]), LLAMAC_OK);
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){2, -1, 0.5f, 3}, 4);
    assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
    /* id 0 seen twice: 2/2 - 2*0.5 - 0.25; id 1 once: -1*2 - 0.5 - 0.25 */
    assert_true(a->data[0].logit == -0.25f);
    assert_true(a->data[1].logit == -2.75f);
    assert_true(a->data[2].logit == 0.5f && a->data[3].logit == 3.0f);

    /* the same on a reordered subset: lookups go by id, not position */
    b.data[0] = (llamac_token_data){3, 3, 0};
    b.data[1] = (llamac_token_data){1, -1, 0};
    b.arr = (llamac_token_data_array){b.data, 2, -1, true};
    assert_int_equal(llamac_sampler_apply(s, &b.arr), LLAMAC_OK);
    assert_true(b.data[0].logit == 3.0f && b.data[1].logit == -2.75f);
    assert_false(b.arr.sorted);

    llamac_sampler_reset(s);
    a = make_cands(&b, (const float[]){2, -1, 0.5f, 3}, 4);
    assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
    assert_true(a->data[0].logit == 2.0f && a->data[1].logit == -1.0f);
    llamac_sampler_free(s);
}

static void penalties_only_count_the_last_n_tokens(void **state) {
    (void)state;
    llamac_sampler *s = llamac_sampler_init_penalties(2, 2.0f, 0.5f, 0.25f, NULL);
    assert_non_null(s);
    const llamac_token hist[] = {0, 0, 1, 0}; /* window: {1, 0} */
    for (int i = 0; i < 4; i++) assert_int_equal(llamac_sampler_accept(s, hist[i]), LLAMAC_OK);
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){2, -1, 0.5f, 3}, 4);
    assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
    assert_true(a->data[0].logit == 0.25f); /* 2/2 - 0.5 - 0.25 */
    assert_true(a->data[1].logit == -2.75f);
    llamac_sampler_free(s);

    s = llamac_sampler_init_penalties(0, 2.0f, 0.5f, 0.25f, NULL); /* off */
    assert_int_equal(llamac_sampler_accept(s, 0), LLAMAC_OK);
    apply_once(s, make_cands(&b, (const float[]){2, -1}, 2));
    assert_true(b.data[0].logit == 2.0f);
}

static void penalties_window_survives_many_distinct_tokens(void **state) {
    (void)state;
    /* 1000 accepts through a 300-token window: only ids 700..999 count. */
    llamac_sampler *s = llamac_sampler_init_penalties(300, 1.0f, 1.0f, 0.0f, NULL);
    for (int i = 0; i < 1000; i++) assert_int_equal(llamac_sampler_accept(s, i), LLAMAC_OK);
    llamac_token_data *d = calloc(1000, sizeof *d);
    for (int i = 0; i < 1000; i++) d[i] = (llamac_token_data){i, 0.0f, 0};
    llamac_token_data_array a = {d, 1000, -1, false};
    assert_int_equal(llamac_sampler_apply(s, &a), LLAMAC_OK);
    for (int i = 0; i < 1000; i++) assert_true(d[i].logit == (i >= 700 ? -1.0f : 0.0f));
    free(d);
    llamac_sampler_free(s);
}

/* ---- logit bias ---- */

static void logit_bias_adds_sums_duplicates_and_bans(void **state) {
    (void)state;
    const llamac_logit_bias lb[] = {{2, 1.5f}, {0, -INFINITY}, {2, 0.5f}};
    llamac_sampler *s = llamac_sampler_init_logit_bias(4, 3, lb, NULL);
    assert_non_null(s);
    cand_buf b;
    llamac_token_data_array *a = make_cands(&b, (const float[]){1, 1, 1, 1}, 4);
    assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
    assert_true(isinf(a->data[0].logit) && a->data[0].logit < 0);
    assert_true(a->data[1].logit == 1.0f && a->data[2].logit == 3.0f && a->data[3].logit == 1.0f);

    /* a subset in another order: found by id */
    b.data[0] = (llamac_token_data){2, 1, 0};
    b.data[1] = (llamac_token_data){0, 1, 0};
    b.arr = (llamac_token_data_array){b.data, 2, -1, true};
    assert_int_equal(llamac_sampler_apply(s, &b.arr), LLAMAC_OK);
    assert_true(b.data[0].logit == 3.0f && isinf(b.data[1].logit));
    assert_false(b.arr.sorted);
    llamac_sampler_free(s);
}

static void logit_bias_rejects_bad_tokens_and_values(void **state) {
    (void)state;
    const llamac_logit_bias out_of_range[] = {{1, 1}, {4, 1}};
    assert_null(llamac_sampler_init_logit_bias(4, 2, out_of_range, NULL));
    assert_non_null(strstr(llamac_last_error(), "entry 1: token 4"));
    const llamac_logit_bias negative[] = {{-1, 1}};
    assert_null(llamac_sampler_init_logit_bias(4, 1, negative, NULL));
    const llamac_logit_bias nan_bias[] = {{1, NAN}};
    assert_null(llamac_sampler_init_logit_bias(4, 1, nan_bias, NULL));
    assert_non_null(strstr(llamac_last_error(), "token 1"));
    const llamac_logit_bias pos_inf[] = {{1, INFINITY}};
    assert_null(llamac_sampler_init_logit_bias(4, 1, pos_inf, NULL));
    const llamac_logit_bias overflow[] = {{1, FLT_MAX}, {1, FLT_MAX}};
    assert_null(llamac_sampler_init_logit_bias(4, 2, overflow, NULL));
    assert_non_null(strstr(llamac_last_error(), "sum to +inf"));
    assert_null(llamac_sampler_init_logit_bias(0, 0, NULL, NULL));
    assert_null(llamac_sampler_init_logit_bias(4, 1, NULL, NULL));
}

/* ---- mirostat v2 ---- */

static void mirostat_first_step_drops_tokens_more_surprising_than_two_tau(void **state) {
    (void)state;
    /* tau = 1 bit: mu starts at 2, so only p >= 1/4 survives: {0.5, 0.3},
     * renormalized to {0.625, 0.375}. */
    const float p[] = {0.5f, 0.3f, 0.15f, 0.05f};
    float l[4];
    for (int i = 0; i < 4; i++) l[i] = logf(p[i]);
    cand_buf b;
    apply_once(llamac_sampler_init_mirostat_v2(3, 1.0f, 0.1f, NULL), make_cands(&b, l, 4));
    assert_int_equal(b.arr.size, 2);
    assert_true(fabsf(b.data[0].p - 0.625f) < 1e-6f && fabsf(b.data[1].p - 0.375f) < 1e-6f);
    assert_true(b.arr.selected == 0 || b.arr.selected == 1);
}

static void mirostat_mu_moves_by_eta_times_the_surprise_error(void **state) {
    (void)state;
    /* Same distribution, tau 1, eta 1. Picking p=.625 (0.678 bits) raises mu
     * to 2.322: {0.5, 0.3} survive again. Picking p=.375 (1.415 bits) lowers
     * mu to 1.585: only 0.5 (1 bit) survives. */
    const float p[] = {0.5f, 0.3f, 0.15f, 0.05f};
    float l[4];
    for (int i = 0; i < 4; i++) l[i] = logf(p[i]);
    int seen[2] = {0, 0};
    for (uint64_t seed = 0; seed < 40; seed++) {
        llamac_sampler *s = llamac_sampler_init_mirostat_v2(seed, 1.0f, 1.0f, NULL);
        cand_buf b;
        assert_int_equal(llamac_sampler_apply(s, make_cands(&b, l, 4)), LLAMAC_OK);
        const llamac_token first = b.data[b.arr.selected].id;
        assert_int_equal(llamac_sampler_apply(s, make_cands(&b, l, 4)), LLAMAC_OK);
        assert_int_equal(b.arr.size, first == 0 ? 2 : 1);
        seen[first]++;
        llamac_sampler_free(s);
    }
    assert_true(seen[0] > 0 && seen[1] > 0); /* both branches exercised */
}

static void mirostat_observed_surprise_tracks_tau(void **state) {
    (void)state;
    /* Zipf over 1000 tokens (entropy ~ 7.5 bits): the mean surprise of the
     * picks must settle on tau. */
    enum { N = 1000, STEPS = 20000 };
    float *l = malloc(N * sizeof *l);
    llamac_token_data *d = malloc(N * sizeof *d);
    for (int i = 0; i < N; i++) l[i] = -logf((float)(i + 1));
    const float taus[] = {3.0f, 5.0f};
    for (int t = 0; t < 2; t++) {
        llamac_sampler *s = llamac_sampler_init_mirostat_v2(11, taus[t], 0.1f, NULL);
        double sum = 0;
        for (int step = 0; step < STEPS; step++) {
            for (int i = 0; i < N; i++) d[i] = (llamac_token_data){i, l[i], 0};
            llamac_token_data_array a = {d, N, -1, false};
            assert_int_equal(llamac_sampler_apply(s, &a), LLAMAC_OK);
            sum += -log2(a.data[a.selected].p);
        }
        const double mean = sum / STEPS;
        printf("mirostat v2 tau %.1f: mean observed surprise %.4f bits over %d steps\n",
               (double)taus[t], mean, STEPS);
        assert_true(fabs(mean - taus[t]) < 0.05);
        llamac_sampler_free(s);
    }
    free(l);
    free(d);
}

int main(void) {
    return run_cases(NULL, NULL,
                     greedy_selects_highest_logit_lowest_id_among_ties,
                     temp_divides_logits_and_zero_keeps_only_the_best,
                     tiny_temperature_overflow_does_not_produce_inf,
                     top_k_keeps_the_k_best_sorted_ties_by_id,
                     top_k_zero_is_off_and_large_k_keeps_all,
                     top_p_keeps_the_token_that_crosses_p,
                     top_p_honours_min_keep_and_one_is_off,
                     top_p_on_a_peaked_head_is_exact_and_sorted,
                     top_p_on_a_very_wide_nucleus_keeps_the_brute_force_set,
                     min_p_keeps_tokens_above_p_times_the_best_in_input_order,
                     min_p_falls_back_to_the_min_keep_best,
                     typical_keeps_the_most_typical_tokens_not_the_most_likely,
                     typical_honours_min_keep_and_one_is_off,
                     penalties_divide_positive_multiply_negative_and_subtract_counts,
                     penalties_only_count_the_last_n_tokens,
                     penalties_window_survives_many_distinct_tokens,
                     logit_bias_adds_sums_duplicates_and_bans,
                     logit_bias_rejects_bad_tokens_and_values,
                     mirostat_first_step_drops_tokens_more_surprising_than_two_tau,
                     mirostat_mu_moves_by_eta_times_the_surprise_error,
                     mirostat_observed_surprise_tracks_tau);
}
