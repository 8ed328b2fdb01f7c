/* Several sequences in one batch: each token's logits are bit-identical to
 * those of its sequence decoded alone; a token shared by two sequences is
 * computed once for both; the want-logits flags pick the rows. */
#include "decode_util.h"
#include "test_tmpdir.h"
#include "test_alloc.h"

#include <string.h>

#define NA 9
#define NV_DEFAULT 64

/* Decodes t[0..n) in sequence 0 from a caller-built batch (llamac_batch_init
 * would allocate, and this is about the library's own allocations). */
static llamac_status du_decode_no_alloc(llamac_context *ctx, const llamac_token *t, int32_t n) {
    llamac_token tok[16];
    llamac_pos pos[16];
    int32_t nseq[16];
    llamac_seq_id s0 = 0, *ids[16];
    for (int32_t i = 0; i < n; i++) {
        tok[i] = t[i];
        pos[i] = i;
        nseq[i] = 1;
        ids[i] = &s0;
    }
    llamac_batch b = {n, tok, pos, nseq, ids, NULL, NULL};
    return llamac_decode(ctx, &b);
}
#define NB 6

static void two_prompts_in_one_batch_match_each_alone(void **state) {
    const du_model *m = *state;
    const size_t nv = (size_t)m->n_vocab;
    llamac_token a[NA + 1], b[NB + 1];
    du_tokens(a, NA + 1, m->n_vocab, 1);
    du_tokens(b, NB + 1, m->n_vocab, 2);

    /* alone: prompt, then one more token, each sequence in its own context */
    float alone_a[(NA + 1) * 64], alone_b[(NB + 1) * 64];
    assert_true(nv == 64);
    llamac_context *ca = du_context(m->model, 32, 16, 2, 1), *cb = du_context(m->model, 32, 16, 2, 1);
    assert_int_equal(du_decode(ca, a, NA, 0, 0, alone_a), LLAMAC_OK);
    assert_int_equal(du_decode(ca, a + NA, 1, NA, 0, alone_a + NA * nv), LLAMAC_OK);
    assert_int_equal(du_decode(cb, b, NB, 0, 1, alone_b), LLAMAC_OK);
    assert_int_equal(du_decode(cb, b + NB, 1, NB, 1, alone_b + NB * nv), LLAMAC_OK);

    /* together: the prompts interleaved in one batch, then both next tokens */
    llamac_context *ctx = du_context(m->model, 32, 16, 2, 2);
    llamac_batch batch;
    assert_int_equal(llamac_batch_init(&batch, 16, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s0 = 0, s1 = 1;
    int32_t ia = 0, ib = 0;
    while (ia < NA || ib < NB) {
        if (ia < NA) {
            assert_int_equal(llamac_batch_add(&batch, a[ia], ia, &s0, 1, true), LLAMAC_OK);
            ia++;
        }
        if (ib < NB) {
            assert_int_equal(llamac_batch_add(&batch, b[ib], ib, &s1, 1, true), LLAMAC_OK);
            ib++;
        }
    }
    assert_int_equal(llamac_decode(ctx, &batch), LLAMAC_OK);
    for (int32_t i = 0; i < batch.n_tokens; i++) {
        const bool is_a = batch.seq_id[i][0] == 0;
        const float *want = (is_a ? alone_a : alone_b) + (size_t)batch.pos[i] * nv;
        du_assert_same_bits(llamac_get_logits_ith(ctx, i), want, nv, is_a ? "prompt A token" : "prompt B token");
    }
    batch.n_tokens = 0;
    llamac_batch_add(&batch, b[NB], NB, &s1, 1, true);
    llamac_batch_add(&batch, a[NA], NA, &s0, 1, true);
    assert_int_equal(llamac_decode(ctx, &batch), LLAMAC_OK);
    du_assert_same_bits(llamac_get_logits(ctx, 0), alone_b + NB * nv, nv, "next token of B");
    du_assert_same_bits(llamac_get_logits(ctx, 1), alone_a + NA * nv, nv, "next token of A");

    llamac_batch_free(&batch);
    llamac_context_free(ctx);
    llamac_context_free(ca);
    llamac_context_free(cb);
}

static void shared_prefix_is_decoded_once_for_both_sequences(void **state) {
    const du_model *m = *state;
    const size_t nv = (size_t)m->n_vocab;
    llamac_token prefix[5], xa[3], xb[3];
    du_tokens(prefix, 5, m->n_vocab, 3);
    du_tokens(xa, 3, m->n_vocab, 4);
    du_tokens(xb, 3, m->n_vocab, 5);

    llamac_context *ctx = du_context(m->model, 32, 16, 2, 2);
    llamac_batch batch;
    assert_int_equal(llamac_batch_init(&batch, 16, 2, NULL), LLAMAC_OK);
    const llamac_seq_id both[2] = {0, 1};
    for (int i = 0; i < 5; i++) llamac_batch_add(&batch, prefix[i], i, both, 2, false);
    for (int i = 0; i < 3; i++) {
        llamac_batch_add(&batch, xa[i], 5 + i, &both[0], 1, true);
        llamac_batch_add(&batch, xb[i], 5 + i, &both[1], 1, true);
    }
    assert_int_equal(llamac_decode(ctx, &batch), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 5 + 6); /* the prefix is stored once */
    assert_int_equal(llamac_n_outputs(ctx), 6);

    for (int s = 0; s < 2; s++) {
        llamac_token seq[8];
        memcpy(seq, prefix, sizeof prefix);
        memcpy(seq + 5, s ? xb : xa, 3 * sizeof *xa);
        float alone[8 * 64];
        assert_true(nv == 64);
        llamac_context *c1 = du_context(m->model, 32, 16, 1, 1);
        assert_int_equal(du_decode(c1, seq, 8, 0, 0, alone), LLAMAC_OK);
        for (int i = 0; i < 3; i++)
            du_assert_same_bits(llamac_get_logits(ctx, 2 * i + s), alone + (size_t)(5 + i) * nv, nv,
                                s ? "sequence 1 after the shared prefix" : "sequence 0 after the shared prefix");
        llamac_context_free(c1);
    }
    llamac_batch_free(&batch);
    llamac_context_free(ctx);
}

static void logits_flags_choose_the_rows(void **state) {
    const du_model *m = *state;
    const size_t nv = (size_t)m->n_vocab;
    llamac_token t[6];
    du_tokens(t, 6, m->n_vocab, 6);
    float all[6 * 64];
    assert_true(nv == 64);
    llamac_context *ref = du_context(m->model, 16, 8, 1, 1);
    assert_int_equal(du_decode(ref, t, 6, 0, 0, all), LLAMAC_OK);

    llamac_context *ctx = du_context(m->model, 16, 8, 1, 1);
    llamac_pos pos[6] = {0, 1, 2, 3, 4, 5};
    int32_t nseq[6] = {1, 1, 1, 1, 1, 1};
    llamac_seq_id s0 = 0, *ids[6] = {&s0, &s0, &s0, &s0, &s0, &s0};
    int8_t want[6] = {0, 0, 1, 0, 0, 1};
    llamac_batch b = {6, t, pos, nseq, ids, want, NULL};
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    assert_int_equal(llamac_n_outputs(ctx), 2);
    du_assert_same_bits(llamac_get_logits(ctx, 0), all + 2 * nv, nv, "first requested row");
    du_assert_same_bits(llamac_get_logits(ctx, -1), all + 5 * nv, nv, "last requested row");
    assert_ptr_equal(llamac_get_logits_ith(ctx, 5), llamac_get_logits(ctx, 1));
    assert_null(llamac_get_logits_ith(ctx, 3));
    assert_non_null(strstr(llamac_last_error(), "did not ask for logits"));
    assert_null(llamac_get_logits(ctx, 2));
    assert_null(llamac_get_logits(ctx, -3));
    assert_null(llamac_get_logits_ith(ctx, 6));

    /* no flags array: only the last token's row */
    llamac_kv_clear(ctx);
    b.logits = NULL;
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    assert_int_equal(llamac_n_outputs(ctx), 1);
    du_assert_same_bits(llamac_get_logits(ctx, 0), all + 5 * nv, nv, "default last row");

    llamac_context_free(ctx);
    llamac_context_free(ref);
}

static void batch_helpers_track_capacity(void **state) {
    (void)state;
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 2, 3, NULL), LLAMAC_OK);
    const llamac_seq_id ids[4] = {0, 1, 2, 3};
    assert_int_equal(llamac_batch_add(&b, 1, 0, ids, 3, true), LLAMAC_OK);
    assert_int_equal(llamac_batch_add(&b, 1, 0, ids, 4, true), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_batch_add(&b, 1, 0, ids, 0, true), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_batch_add(&b, 2, 1, ids, 1, false), LLAMAC_OK);
    assert_int_equal(llamac_batch_add(&b, 3, 2, ids, 1, false), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(b.n_tokens, 2);
    assert_int_equal(b.seq_id[0][2], 2);
    assert_int_equal(b.logits[1], 0);
    llamac_batch_free(&b);
    assert_null(b.token);
    llamac_batch_free(&b); /* zeroed: a no-op */
    assert_int_equal(llamac_batch_init(&b, 0, 1, NULL), LLAMAC_ERR_INVALID_ARG);
    llamac_batch caller = {0};
    assert_int_equal(llamac_batch_add(&caller, 1, 0, ids, 1, true), LLAMAC_ERR_INVALID_ARG);
}

/* Everything a decode needs is allocated by llamac_context_new; decoding
 * and the KV operations (shift included) go through no allocator call, and
 * freeing returns every block. */
static void decode_and_kv_operations_allocate_nothing(void **state) {
    (void)state;
    char dir[256], path[300];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    tm_spec s;
    tm_spec_default(&s);
    assert_int_equal(tm_write(&s, path), LLAMAC_OK);
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &a;
    llamac_model *model;
    assert_int_equal(llamac_model_load(path, &mp, &model), LLAMAC_OK);
    llamac_context *ctx = du_context(model, 64, 16, 2, 2);
    assert_true(c.live > 0);
    const long before = c.calls;

    llamac_token t[12];
    du_tokens(t, 12, NV_DEFAULT, 9);
    assert_int_equal(du_decode_no_alloc(ctx, t, 12), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_cp(ctx, 0, 1, 0, -1), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 2, 6), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_add(ctx, 0, 6, -1, -4), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_keep(ctx, 0), LLAMAC_OK);
    assert_non_null(llamac_get_logits(ctx, -1));
    assert_int_equal(c.calls, before);

    llamac_context_free(ctx);
    llamac_model_free(model);
    assert_int_equal(c.live, 0);
    test_tmpdir_remove(dir);
}

int main(void) {
    return run_cases(du_default_model_setup, du_default_model_teardown,
                     two_prompts_in_one_batch_match_each_alone,
                     shared_prefix_is_decoded_once_for_both_sequences,
                     logits_flags_choose_the_rows,
                     batch_helpers_track_capacity,
                     decode_and_kv_operations_allocate_nothing);
}
