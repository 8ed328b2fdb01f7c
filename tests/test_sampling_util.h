/* Helpers for the sampler tests: candidate arrays from hand-made logits. */
#ifndef LLAMAC_TEST_SAMPLING_UTIL_H
#define LLAMAC_TEST_SAMPLING_UTIL_H

#include "test_util.h"

#include "llamac.h"

#include <math.h>
#include <string.h>

#define MAX_CAND 64

typedef struct cand_buf {
    llamac_token_data data[MAX_CAND];
    llamac_token_data_array arr;
} cand_buf;

/* Candidates id i, logit logits[i], in vocabulary order, unsorted. */
static inline llamac_token_data_array *make_cands(cand_buf *b, const float *logits, size_t n) {
    assert_true(n <= MAX_CAND);
    for (size_t i = 0; i < n; i++) b->data[i] = (llamac_token_data){(llamac_token)i, logits[i], 0.0f};
    b->arr = (llamac_token_data_array){b->data, n, -1, false};
    return &b->arr;
}

/* The ids left in the array, in order, must be exactly `ids`. */
static inline void assert_ids(const llamac_token_data_array *a, const llamac_token *ids, size_t n) {
    if (a->size != n) {
        fprintf(stderr, "expected %zu candidates, got %zu:", n, a->size);
        for (size_t i = 0; i < a->size; i++) fprintf(stderr, " %d", (int)a->data[i].id);
        fprintf(stderr, "\n");
    }
    assert_int_equal(a->size, n);
    for (size_t i = 0; i < n; i++) assert_int_equal(a->data[i].id, ids[i]);
}

/* Applies `s` (taking ownership) to `a` and frees it. */
static inline void apply_once(llamac_sampler *s, llamac_token_data_array *a) {
    assert_non_null(s);
    assert_int_equal(llamac_sampler_apply(s, a), LLAMAC_OK);
    llamac_sampler_free(s);
}

#endif
