/* Every bad input is refused with an error status and a message naming the
 * problem, and leaves the context exactly as it was: after the whole series
 * the context still continues its sequence bit-identically to a context
 * that never saw the bad calls. */
#include "decode_util.h"

#include <string.h>

#define NV 64
#define N_CTX 16
#define N_BATCH 8
#define N_SEQ 2

typedef struct fixture {
    du_model m;
    llamac_context *ctx;
    llamac_token prompt[4];
    llamac_token next;
    float expected[NV]; /* logits of `next` at position 4 after the prompt */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    du_model_open(&f->m, NULL);
    du_tokens(f->prompt, 4, NV, 61);
    f->next = 17;
    llamac_context *ref = du_context(f->m.model, N_CTX, N_BATCH, N_SEQ, 1);
    assert_int_equal(du_decode(ref, f->prompt, 4, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ref, &f->next, 1, 4, 0, f->expected), LLAMAC_OK);
    llamac_context_free(ref);
    f->ctx = du_context(f->m.model, N_CTX, N_BATCH, N_SEQ, 1);
    assert_int_equal(du_decode(f->ctx, f->prompt, 4, 0, 0, NULL), LLAMAC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    llamac_context_free(f->ctx);
    du_model_close(&f->m);
    free(f);
    return 0;
}

/* The context is as setup left it, and continues correctly. */
static void assert_still_usable(fixture *f) {
    assert_int_equal(llamac_kv_n_used(f->ctx), 4);
    assert_int_equal(llamac_kv_seq_pos_min(f->ctx, 0), 0);
    assert_int_equal(llamac_kv_seq_pos_max(f->ctx, 0), 3);
    assert_int_equal(llamac_kv_seq_pos_max(f->ctx, 1), -1);
    float got[NV];
    assert_int_equal(du_decode(f->ctx, &f->next, 1, 4, 0, got), LLAMAC_OK);
    du_assert_same_bits(got, f->expected, NV, "continuation after refused calls");
}

static void expect(llamac_status got, llamac_status want, const char *needle) {
    if (got != want)
        fail_msg("status %s, expected %s (%s)", llamac_status_name(got), llamac_status_name(want), llamac_last_error());
    if (!strstr(llamac_last_error(), needle))
        fail_msg("message \"%s\" does not mention \"%s\"", llamac_last_error(), needle);
}

/* A one-token batch in sequence seq. */
typedef struct one {
    llamac_token tok;
    llamac_pos pos;
    int32_t n_seq;
    llamac_seq_id seqs[3];
    llamac_seq_id *ids;
    int8_t want;
    llamac_batch b;
} one;

static llamac_batch *one_token(one *o, llamac_token tok, llamac_pos pos, llamac_seq_id seq) {
    memset(o, 0, sizeof *o);
    o->tok = tok;
    o->pos = pos;
    o->n_seq = 1;
    o->seqs[0] = seq;
    o->ids = o->seqs;
    o->want = 1;
    o->b = (llamac_batch){1, &o->tok, &o->pos, &o->n_seq, &o->ids, &o->want, NULL};
    return &o->b;
}

static void token_outside_vocabulary_is_refused(void **state) {
    fixture *f = *state;
    one o;
    expect(llamac_decode(f->ctx, one_token(&o, NV, 4, 0)), LLAMAC_ERR_INVALID_ARG, "id 64 is outside the vocabulary");
    expect(llamac_decode(f->ctx, one_token(&o, -1, 4, 0)), LLAMAC_ERR_INVALID_ARG, "id -1");
    assert_still_usable(f);
}

static void positions_going_backwards_are_refused(void **state) {
    fixture *f = *state;
    one o;
    expect(llamac_decode(f->ctx, one_token(&o, 3, 3, 0)), LLAMAC_ERR_INVALID_ARG, "position 3 of sequence 0");
    expect(llamac_decode(f->ctx, one_token(&o, 3, 1, 0)), LLAMAC_ERR_INVALID_ARG, "does not come after");
    expect(llamac_decode(f->ctx, one_token(&o, 3, -5, 1)), LLAMAC_ERR_INVALID_ARG, "position -5 is negative");
    /* inside one batch: 5 then 5 again */
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 4, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s0 = 0;
    llamac_batch_add(&b, 1, 5, &s0, 1, true);
    llamac_batch_add(&b, 2, 5, &s0, 1, true);
    expect(llamac_decode(f->ctx, &b), LLAMAC_ERR_INVALID_ARG, "batch token 1: position 5");
    llamac_batch_free(&b);
    assert_still_usable(f);
}

static void more_tokens_than_n_batch_are_refused(void **state) {
    fixture *f = *state;
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, N_BATCH + 1, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s1 = 1;
    for (int i = 0; i < N_BATCH + 1; i++) llamac_batch_add(&b, 1, i, &s1, 1, false);
    expect(llamac_decode(f->ctx, &b), LLAMAC_ERR_INVALID_ARG, "9 tokens, expected 1..8");
    b.n_tokens = 0;
    expect(llamac_decode(f->ctx, &b), LLAMAC_ERR_INVALID_ARG, "0 tokens");
    llamac_batch_free(&b);
    assert_still_usable(f);
}

static void running_past_n_ctx_is_refused(void **state) {
    fixture *f = *state;
    llamac_token t[N_BATCH];
    du_tokens(t, N_BATCH, NV, 62);
    /* fill 8 more cells in sequence 1: 12 of 16 used */
    assert_int_equal(du_decode(f->ctx, t, N_BATCH, 0, 1, NULL), LLAMAC_OK);
    expect(du_decode(f->ctx, t, 5, N_BATCH, 1, NULL), LLAMAC_ERR_CONTEXT_FULL, "needs 5 free KV cells but only 4");
    assert_int_equal(llamac_kv_n_used(f->ctx), 12);
    assert_int_equal(llamac_kv_seq_pos_max(f->ctx, 1), N_BATCH - 1);
    assert_int_equal(llamac_kv_seq_rm(f->ctx, 1, 0, -1), LLAMAC_OK);
    assert_still_usable(f);
}

static void unknown_or_repeated_sequence_ids_are_refused(void **state) {
    fixture *f = *state;
    one o;
    expect(llamac_decode(f->ctx, one_token(&o, 3, 4, N_SEQ)), LLAMAC_ERR_INVALID_ARG, "sequence id 2 is not valid");
    expect(llamac_decode(f->ctx, one_token(&o, 3, 4, -1)), LLAMAC_ERR_INVALID_ARG, "sequence id -1");
    one_token(&o, 3, 4, 0);
    o.n_seq = 2;
    o.seqs[1] = 0;
    expect(llamac_decode(f->ctx, &o.b), LLAMAC_ERR_INVALID_ARG, "listed twice");
    o.n_seq = 3;
    expect(llamac_decode(f->ctx, &o.b), LLAMAC_ERR_INVALID_ARG, "n_seq_id is 3");
    o.n_seq = 0;
    expect(llamac_decode(f->ctx, &o.b), LLAMAC_ERR_INVALID_ARG, "n_seq_id is 0");
    assert_still_usable(f);
}

static void missing_batch_arrays_are_refused(void **state) {
    fixture *f = *state;
    one o;
    one_token(&o, 3, 4, 0);
    o.b.pos = NULL;
    expect(llamac_decode(f->ctx, &o.b), LLAMAC_ERR_INVALID_ARG, "array pos is NULL");
    o.b.pos = &o.pos;
    o.ids = NULL;
    expect(llamac_decode(f->ctx, &o.b), LLAMAC_ERR_INVALID_ARG, "seq_id[0] is NULL");
    expect(llamac_decode(f->ctx, NULL), LLAMAC_ERR_INVALID_ARG, "batch is NULL");
    assert_still_usable(f);
}

static void kv_ranges_that_are_negative_or_reversed_are_refused(void **state) {
    fixture *f = *state;
    expect(llamac_kv_seq_rm(f->ctx, 0, -1, 2), LLAMAC_ERR_INVALID_ARG, "p0 is -1");
    expect(llamac_kv_seq_rm(f->ctx, 0, 0, -2), LLAMAC_ERR_INVALID_ARG, "p1 is -2");
    expect(llamac_kv_seq_rm(f->ctx, 0, 3, 1), LLAMAC_ERR_INVALID_ARG, "reversed range [3, 1)");
    expect(llamac_kv_seq_cp(f->ctx, 0, 1, 2, 0), LLAMAC_ERR_INVALID_ARG, "reversed");
    expect(llamac_kv_seq_add(f->ctx, 0, 2, 1, 5), LLAMAC_ERR_INVALID_ARG, "reversed");
    expect(llamac_kv_seq_add(f->ctx, 0, -3, -1, 5), LLAMAC_ERR_INVALID_ARG, "p0 is -3");
    assert_still_usable(f);
}

static void kv_operations_on_unknown_sequences_are_refused(void **state) {
    fixture *f = *state;
    expect(llamac_kv_seq_rm(f->ctx, N_SEQ, 0, -1), LLAMAC_ERR_INVALID_ARG, "sequence 2 is not a sequence id");
    expect(llamac_kv_seq_rm(f->ctx, -1, 0, -1), LLAMAC_ERR_INVALID_ARG, "-1");
    expect(llamac_kv_seq_cp(f->ctx, 0, 7, 0, -1), LLAMAC_ERR_INVALID_ARG, "destination sequence 7");
    expect(llamac_kv_seq_cp(f->ctx, 9, 0, 0, -1), LLAMAC_ERR_INVALID_ARG, "source sequence 9");
    expect(llamac_kv_seq_keep(f->ctx, 5), LLAMAC_ERR_INVALID_ARG, "sequence 5");
    expect(llamac_kv_seq_add(f->ctx, 3, 0, -1, 1), LLAMAC_ERR_INVALID_ARG, "sequence 3");
    assert_int_equal(llamac_kv_seq_pos_max(f->ctx, 9), -1);
    assert_still_usable(f);
}

static void shifts_below_zero_or_onto_kept_positions_are_refused(void **state) {
    fixture *f = *state;
    expect(llamac_kv_seq_add(f->ctx, 0, 0, -1, -1), LLAMAC_ERR_INVALID_ARG, "position 0 to -1, below zero");
    expect(llamac_kv_seq_add(f->ctx, 0, 2, -1, -3), LLAMAC_ERR_INVALID_ARG, "below zero");
    expect(llamac_kv_seq_add(f->ctx, 0, 2, -1, INT32_MIN), LLAMAC_ERR_INVALID_ARG, "below zero");
    /* [2, 4) moved down by 1 would land on position 1, which stays */
    expect(llamac_kv_seq_add(f->ctx, 0, 2, -1, -1), LLAMAC_ERR_INVALID_ARG, "overlaps position 1");
    /* [0, 2) moved up by 3 would interleave with 2 and 3 */
    expect(llamac_kv_seq_add(f->ctx, 0, 0, 2, 3), LLAMAC_ERR_INVALID_ARG, "overlaps position");
    expect(llamac_kv_seq_add(f->ctx, 0, 0, -1, INT32_MAX), LLAMAC_ERR_INVALID_ARG, "past");
    assert_still_usable(f);
}

static bool abort_now(void *user) {
    int *calls = user;
    return ++*calls >= 2; /* let layer 0 run, stop before layer 1 */
}

static void aborted_decode_leaves_no_trace(void **state) {
    fixture *f = *state;
    /* a context whose abort callback fires mid-decode */
    int calls = 0;
    llamac_context_params p = llamac_context_default_params();
    p.n_ctx = N_CTX;
    p.n_batch = N_BATCH;
    p.n_seq_max = N_SEQ;
    p.n_threads = 2;
    p.abort_fn = abort_now;
    p.abort_user = &calls;
    llamac_context *ctx;
    assert_int_equal(llamac_context_new(f->m.model, &p, &ctx), LLAMAC_OK);
    expect(du_decode(ctx, f->prompt, 4, 0, 0, NULL), LLAMAC_ERR_CANCELLED, "abort callback");
    assert_int_equal(llamac_kv_n_used(ctx), 0);
    assert_int_equal(llamac_n_outputs(ctx), 0);
    calls = -1000; /* let the next decodes through */
    assert_int_equal(du_decode(ctx, f->prompt, 4, 0, 0, NULL), LLAMAC_OK);
    float got[NV];
    assert_int_equal(du_decode(ctx, &f->next, 1, 4, 0, got), LLAMAC_OK);
    du_assert_same_bits(got, f->expected, NV, "after an aborted decode");
    llamac_context_free(ctx);
}

static void failed_decode_keeps_previous_logits(void **state) {
    fixture *f = *state;
    float before[NV];
    one o;
    assert_int_equal(llamac_decode(f->ctx, one_token(&o, f->next, 4, 0)), LLAMAC_OK);
    memcpy(before, llamac_get_logits(f->ctx, 0), sizeof before);
    expect(llamac_decode(f->ctx, one_token(&o, NV + 5, 5, 0)), LLAMAC_ERR_INVALID_ARG, "outside the vocabulary");
    assert_int_equal(llamac_n_outputs(f->ctx), 1);
    du_assert_same_bits(llamac_get_logits(f->ctx, 0), before, NV, "logits after a refused decode");
}

static void bad_context_params_are_refused(void **state) {
    fixture *f = *state;
    llamac_context *ctx = (llamac_context *)&ctx;
    llamac_context_params p = llamac_context_default_params();
    p.n_batch = 0;
    expect(llamac_context_new(f->m.model, &p, &ctx), LLAMAC_ERR_INVALID_ARG, "n_batch is 0");
    assert_null(ctx);
    p = llamac_context_default_params();
    p.n_seq_max = 0;
    expect(llamac_context_new(f->m.model, &p, &ctx), LLAMAC_ERR_INVALID_ARG, "n_seq_max is 0");
    p = llamac_context_default_params();
    p.kv_type = LLAMAC_TYPE_Q8_0;
    expect(llamac_context_new(f->m.model, &p, &ctx), LLAMAC_ERR_UNSUPPORTED, "kv_type Q8_0");
    p = llamac_context_default_params();
    p.n_threads = -2;
    expect(llamac_context_new(f->m.model, &p, &ctx), LLAMAC_ERR_INVALID_ARG, "n_threads is -2");
}

int main(void) {
    return run_cases_each(setup, teardown,
                          token_outside_vocabulary_is_refused,
                          positions_going_backwards_are_refused,
                          more_tokens_than_n_batch_are_refused,
                          running_past_n_ctx_is_refused,
                          unknown_or_repeated_sequence_ids_are_refused,
                          missing_batch_arrays_are_refused,
                          kv_ranges_that_are_negative_or_reversed_are_refused,
                          kv_operations_on_unknown_sequences_are_refused,
                          shifts_below_zero_or_onto_kept_positions_are_refused,
                          aborted_decode_leaves_no_trace,
                          failed_decode_keeps_previous_logits,
                          bad_context_params_are_refused);
}
