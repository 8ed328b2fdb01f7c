/* KV cache operations observed through logits: a copied sequence continues
 * exactly like the original, removed positions can be decoded again as if
 * never there, keep drops the rest, and a shifted cache (positions moved,
 * keys re-rotated) matches a recomputation at the new positions. */
#include "decode_util.h"

#include "../tools/golden.h"

#include <string.h>

#define NV 64 /* tm_spec_default's vocabulary */

/* The logits of x decoded after the first n_p tokens of p, in a context of
 * its own: what a continuation must reproduce after any cache operation. */
static void fresh_continuation(const llamac_model *model, const llamac_token *p, int32_t n_p,
                               const llamac_token *x, int32_t n_x, float *out) {
    llamac_context *ref = du_context(model, 32, 16, 1, 1);
    assert_int_equal(du_decode(ref, p, n_p, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ref, x, n_x, n_p, 0, out), LLAMAC_OK);
    llamac_context_free(ref);
}

static void copied_sequence_continues_like_the_original(void **state) {
    const du_model *m = *state;
    llamac_token p[8], x[3];
    du_tokens(p, 8, NV, 11);
    du_tokens(x, 3, NV, 12);
    float fresh[11 * NV], got[3 * NV];

    fresh_continuation(m->model, p, 8, x, 3, fresh);

    llamac_context *ctx = du_context(m->model, 32, 16, 3, 2);
    assert_int_equal(du_decode(ctx, p, 8, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_cp(ctx, 0, 2, 0, -1), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 8); /* shared, not copied */
    assert_int_equal(llamac_kv_seq_pos_min(ctx, 2), 0);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 2), 7);
    assert_int_equal(du_decode(ctx, x, 3, 8, 2, got), LLAMAC_OK);
    du_assert_same_bits(got, fresh, 3 * NV, "continuation in the copy");
    /* the original is untouched by the copy's new tokens */
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 7);
    assert_int_equal(du_decode(ctx, x, 3, 8, 0, got), LLAMAC_OK);
    du_assert_same_bits(got, fresh, 3 * NV, "continuation in the original");

    /* a partial copy: only [0, 4) */
    assert_int_equal(llamac_kv_seq_cp(ctx, 0, 1, 0, 4), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 1), 3);
    llamac_context_free(ctx);
}

static void removed_positions_decode_again_as_if_new(void **state) {
    const du_model *m = *state;
    llamac_token p[10], z[4];
    du_tokens(p, 10, NV, 21);
    du_tokens(z, 4, NV, 22);
    float fresh[4 * NV], got[4 * NV];

    fresh_continuation(m->model, p, 6, z, 4, fresh);

    llamac_context *ctx = du_context(m->model, 32, 16, 1, 1);
    assert_int_equal(du_decode(ctx, p, 10, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 6, -1), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 5);
    assert_int_equal(llamac_kv_n_used(ctx), 6);
    assert_int_equal(du_decode(ctx, z, 4, 6, 0, got), LLAMAC_OK);
    du_assert_same_bits(got, fresh, 4 * NV, "after seq_rm [6, end)");

    /* an empty range removes nothing; a middle range leaves a gap */
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 3, 3), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 10);
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 2, 4), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 8);
    assert_int_equal(llamac_kv_seq_pos_min(ctx, 0), 0);
    llamac_kv_clear(ctx);
    assert_int_equal(llamac_kv_n_used(ctx), 0);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), -1);
    llamac_context_free(ctx);
}

static void keep_drops_every_other_sequence(void **state) {
    const du_model *m = *state;
    llamac_token p[6];
    du_tokens(p, 6, NV, 31);
    llamac_context *ctx = du_context(m->model, 32, 16, 3, 1);
    assert_int_equal(du_decode(ctx, p, 4, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_cp(ctx, 0, 1, 0, 2), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, p + 4, 2, 2, 1, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, p, 3, 0, 2, NULL), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 4 + 2 + 3);
    assert_int_equal(llamac_kv_seq_keep(ctx, 1), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 4); /* its 2 shared cells + 2 own */
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), -1);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 2), -1);
    assert_int_equal(llamac_kv_seq_pos_min(ctx, 1), 0);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 1), 3);
    llamac_context_free(ctx);
}

/* A shift must leave the cache as if its tokens had been decoded at the new
 * positions. RoPE makes attention depend only on relative positions, so P
 * decoded at D, D+1, ... and then shifted by -D must continue exactly (up to
 * rounding) like P decoded at 0, 1, ... Returns the mean KLD over the
 * continuation between the two. */
enum { N_P = 20, N_C = 4, SHIFT = 37 };

static double shift_vs_recompute(const llamac_model *model, llamac_type kv_type, bool shared_cells) {
    const int32_t nv = llamac_model_n_vocab(model);
    llamac_token p[N_P], c[N_C];
    du_tokens(p, N_P, nv, 41);
    du_tokens(c, N_C, nv, 42);
    float *shifted = malloc((size_t)N_C * (size_t)nv * sizeof(float));
    float *fresh = malloc((size_t)N_C * (size_t)nv * sizeof(float));

    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 32;
    cp.n_seq_max = 2;
    cp.kv_type = kv_type;
    llamac_context *ctx, *ref;
    assert_int_equal(llamac_context_new(model, &cp, &ctx), LLAMAC_OK);
    assert_int_equal(llamac_context_new(model, &cp, &ref), LLAMAC_OK);

    assert_int_equal(du_decode(ctx, p, N_P, SHIFT, 0, NULL), LLAMAC_OK);
    if (shared_cells) assert_int_equal(llamac_kv_seq_cp(ctx, 0, 1, 0, -1), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_add(ctx, 0, SHIFT, -1, -SHIFT), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_min(ctx, 0), 0);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), N_P - 1);
    if (shared_cells) { /* the copy kept its positions, so the cells were split */
        assert_int_equal(llamac_kv_seq_pos_min(ctx, 1), SHIFT);
        assert_int_equal(llamac_kv_n_used(ctx), 2 * N_P);
    }
    assert_int_equal(du_decode(ctx, c, N_C, N_P, 0, shifted), LLAMAC_OK);

    assert_int_equal(du_decode(ref, p, N_P, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ref, c, N_C, N_P, 0, fresh), LLAMAC_OK);
    const double kld = golden_mean_kld(fresh, shifted, (uint32_t)nv, 0, N_C);
    llamac_context_free(ctx);
    llamac_context_free(ref);
    free(shifted);
    free(fresh);
    return kld;
}

static void shifted_cache_matches_recomputed(void **state) {
    (void)state;
    tm_spec s;
    tm_spec_default(&s);
    s.rope_freqs = true; /* shifts must honour the per-frequency factors */
    du_model m;
    du_model_open(&m, &s);
    const llamac_type kv[2] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32};
    for (int i = 0; i < 2; i++) {
        for (int shared = 0; shared < 2; shared++) {
            const double kld = shift_vs_recompute(m.model, kv[i], shared);
            fprintf(stderr, "shift vs recompute (synthetic, %s cache%s): mean KLD %.3e\n",
                    llamac_type_name(kv[i]), shared ? ", shared cells" : "", kld);
            assert_true(kld < 1e-4);
        }
    }
    du_model_close(&m);
}

/* The same on a trained model (any will do: the one in models/, F16). */
static void shifted_real_cache_matches_recomputed(void **state) {
    (void)state;
    llamac_model *model = NULL;
    if (llamac_model_load(shipped_model_path(), NULL, &model) != LLAMAC_OK)
        fail_msg("loading %s: %s", shipped_model_path(), llamac_last_error());
    const double kld = shift_vs_recompute(model, LLAMAC_TYPE_F16, false);
    fprintf(stderr, "shift vs recompute (%s): mean KLD %.3e\n", shipped_model_path(), kld);
    assert_true(kld < 1e-4);
    llamac_model_free(model);
}

/* The same comparison with keys left at their old angles — emulated by
 * continuing SHIFT positions too far — is far off, so the test above can
 * tell a shift that forgot to re-rotate from a correct one. */
static void stale_key_angles_would_be_detected(void **state) {
    const du_model *m = *state;
    llamac_token p[N_P], c[N_C];
    du_tokens(p, N_P, NV, 41);
    du_tokens(c, N_C, NV, 42);
    float fresh[N_C * NV], stale[N_C * NV];
    llamac_context *ref = du_context(m->model, 64, 32, 1, 1), *ctx = du_context(m->model, 64, 32, 1, 1);
    assert_int_equal(du_decode(ref, p, N_P, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ref, c, N_C, N_P, 0, fresh), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, p, N_P, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, c, N_C, N_P + SHIFT, 0, stale), LLAMAC_OK);
    const double kld = golden_mean_kld(fresh, stale, NV, 0, N_C);
    fprintf(stderr, "stale key angles vs recompute: mean KLD %.3e\n", kld);
    assert_true(kld > 1e-3);
    llamac_context_free(ctx);
    llamac_context_free(ref);
}

/* The usual context shift: drop a middle block, close the gap. */
static void remove_then_shift_closes_the_gap(void **state) {
    const du_model *m = *state;
    llamac_token p[16];
    du_tokens(p, 16, NV, 51);
    llamac_context *ctx = du_context(m->model, 16, 16, 1, 1);
    assert_int_equal(du_decode(ctx, p, 16, 0, 0, NULL), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, p, 1, 16, 0, NULL), LLAMAC_ERR_CONTEXT_FULL);
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 4, 10), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_add(ctx, 0, 10, -1, -6), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 9);
    assert_int_equal(llamac_kv_n_used(ctx), 10);
    assert_int_equal(du_decode(ctx, p, 6, 10, 0, NULL), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 15);
    llamac_context_free(ctx);
}

int main(void) {
    return run_cases(du_default_model_setup, du_default_model_teardown,
                     copied_sequence_continues_like_the_original,
                     removed_positions_decode_again_as_if_new,
                     keep_drops_every_other_sequence,
                     shifted_cache_matches_recomputed,
                     shifted_real_cache_matches_recomputed,
                     stale_key_angles_would_be_detected,
                     remove_then_shift_closes_the_gap);
}
