/* Helpers shared by the decode tests: a synthetic model on disk, contexts,
 * and one-sequence decodes that copy out their logits. */
#ifndef LLAMAC_TEST_DECODE_UTIL_H
#define LLAMAC_TEST_DECODE_UTIL_H

#include "model_builder.h"
#include "test_util.h"

#include "llamac.h"

typedef struct du_model {
    char dir[256];
    llamac_model *model;
    int32_t n_vocab;
} du_model;

/* Writes `spec` (NULL: tm_spec_default) to a temporary directory and loads
 * it; fails the test on error. */
void du_model_open(du_model *m, const tm_spec *spec);
/* Loads ../shared/models/<name>; false (after a SKIP line) when absent. */
bool du_model_open_shared(du_model *m, const char *name);
void du_model_close(du_model *m);

/* Group fixtures for programs whose cases share the builder's default model:
 * *state is a du_model opened (du_model_open) once before the group. */
int du_default_model_setup(void **state);
int du_default_model_teardown(void **state);

/* A context with these sizes (n_threads 0: 2); fails the test on error. */
llamac_context *du_context(const llamac_model *model, uint32_t n_ctx, uint32_t n_batch, uint32_t n_seq_max,
                           int32_t n_threads);

/* Decodes tokens[0..n) at positions pos0.. in sequence seq as one batch with
 * logits for every token, and copies the n rows into out (may be NULL).
 * Returns the decode status. */
llamac_status du_decode(llamac_context *ctx, const llamac_token *tokens, int32_t n, llamac_pos pos0,
                        llamac_seq_id seq, float *out);

/* Deterministic pseudo-random tokens in [0, n_vocab). */
void du_tokens(llamac_token *out, int32_t n, int32_t n_vocab, uint32_t seed);

/* Fails unless the two arrays of floats are bitwise equal (names the first
 * differing index). */
void du_assert_same_bits(const float *a, const float *b, size_t n, const char *what);

#endif
