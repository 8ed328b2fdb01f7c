/* A maintainer's check of the kernel-table design: a back end is a table.
 *
 * "scalar-copy" below is a complete new back end as far as the runtime is
 * concerned: a table whose parent is the scalar reference and which
 * overrides two entries (Q8_0's vec_dot and SwiGLU) with wrappers that
 * count their calls. Nothing in lib/ knows about it. A context built on it
 * must take those two entries from it, every other entry from the parent,
 * and so give the scalar back end's logits bit for bit.
 *
 * What this test cannot add from outside the library is the last step of
 * docs/kernels.md's list: a llamac_kernels value in llamac.h and one line
 * in dispatch.c's list, which only make the table reachable through
 * llamac_context_params.kernels. Here lc_context_new_with_kernels hands
 * the table over directly instead. */
#include "decode_util.h"

#include "kernels/backend.h"
#include "runtime/context.h"

#include <stdatomic.h>
#include <string.h>

#define N_TOK 12

static atomic_long dot_calls, swiglu_calls;

static void counting_q8_0_dot(int64_t n, float *s, const void *x, const void *y) {
    atomic_fetch_add(&dot_calls, 1);
    lc_vec_dot_q8_0_q8_0_ref(n, s, x, y);
}

static void counting_swiglu(float *gate, const float *up, int64_t n) {
    atomic_fetch_add(&swiglu_calls, 1);
    lc_swiglu_ref(gate, up, n);
}

static const lc_kernel_table scalar_copy = {
    .parent = &lc_scalar_kernels,
    .needs = 0,
    .traits[LLAMAC_TYPE_Q8_0] = {.vec_dot = counting_q8_0_dot},
    .swiglu = counting_swiglu,
};

static void scalar_copy_resolves_to_its_entries_over_the_parents(void **state) {
    (void)state;
    assert_true(lc_kernel_table_runs_here(&scalar_copy));
    lc_kernel_table r;
    lc_kernel_table_resolve(&scalar_copy, &r);
    const lc_kernel_table *s = &lc_scalar_kernels;
    assert_ptr_equal(r.traits[LLAMAC_TYPE_Q8_0].vec_dot, counting_q8_0_dot);
    assert_ptr_equal(r.swiglu, counting_swiglu);
    /* everything else is the parent's, entry by entry */
    assert_int_equal(r.traits[LLAMAC_TYPE_Q8_0].vec_dot_type, LLAMAC_TYPE_Q8_0);
    assert_ptr_equal(r.traits[LLAMAC_TYPE_Q8_0].to_float, s->traits[LLAMAC_TYPE_Q8_0].to_float);
    assert_ptr_equal(r.traits[LLAMAC_TYPE_Q8_0].from_float, s->traits[LLAMAC_TYPE_Q8_0].from_float);
    for (int t = 0; t < LLAMAC_TYPE_COUNT; t++) {
        if (t != LLAMAC_TYPE_Q8_0) assert_memory_equal(&r.traits[t], &s->traits[t], sizeof r.traits[t]);
        assert_ptr_equal(r.gemm[t], s->gemm[t]);
        assert_ptr_equal(r.packed_gemm[t], s->packed_gemm[t]);
        assert_ptr_equal(r.axpy[t], s->axpy[t]);
        assert_ptr_equal(r.attn_values[t], s->attn_values[t]);
    }
    assert_ptr_equal(r.exp, s->exp);
}

/* All N_TOK rows of logits of a prompt decoded as one batch, then one token. */
static void decode_rows(llamac_context *ctx, const llamac_token *toks, int32_t n_vocab, float *out) {
    assert_int_equal(du_decode(ctx, toks, N_TOK - 1, 0, 0, out), LLAMAC_OK);
    assert_int_equal(du_decode(ctx, toks + N_TOK - 1, 1, N_TOK - 1, 0, out + (size_t)(N_TOK - 1) * n_vocab),
                     LLAMAC_OK);
}

static void scalar_copy_gives_the_scalar_logits_through_its_own_entries(void **state) {
    (void)state;
    tm_spec spec;
    tm_spec_default(&spec);
    spec.n_embd = 64;
    spec.n_ff = 96;
    spec.n_vocab = 96;
    spec.wtype = LLAMAC_TYPE_Q8_0;
    du_model m;
    du_model_open(&m, &spec);
    llamac_token toks[N_TOK];
    du_tokens(toks, N_TOK, m.n_vocab, 5);
    const size_t n = (size_t)N_TOK * (size_t)m.n_vocab;
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    assert_true(want && got);

    llamac_context_params p = llamac_context_default_params();
    p.n_ctx = 32;
    p.n_batch = N_TOK;
    p.n_threads = 2;
    p.kernels = LLAMAC_KERNELS_SCALAR;
    llamac_context *ctx = NULL;
    assert_int_equal(llamac_context_new(m.model, &p, &ctx), LLAMAC_OK);
    assert_string_equal(lc_context_kernels_name(ctx), "scalar");
    decode_rows(ctx, toks, m.n_vocab, want);
    llamac_context_free(ctx);

    atomic_store(&dot_calls, 0);
    atomic_store(&swiglu_calls, 0);
    p.kernels = LLAMAC_KERNELS_AUTO; /* ignored: the table decides */
    assert_int_equal(lc_context_new_with_kernels(m.model, &p, &scalar_copy, &ctx), LLAMAC_OK);
    assert_string_equal(lc_context_kernels_name(ctx), "custom");
    decode_rows(ctx, toks, m.n_vocab, got);
    llamac_context_free(ctx);

    du_assert_same_bits(want, got, n, "scalar-copy vs scalar");
    /* Every matrix is Q8_0 and the scalar parent has no gemm, so each
     * output element of each product is one call: per token and layer
     * q 64 + k 32 + v 32 + o 64 + gate 96 + up 96 + down 64 = 448 (head_dim
     * 16, 2 KV heads), over 2 layers, plus 96 logits; 12 tokens. */
    assert_int_equal(atomic_load(&dot_calls), N_TOK * (448 * 2 + 96));
    /* one SwiGLU per layer and decode */
    assert_int_equal(atomic_load(&swiglu_calls), 2 * spec.n_layer);
    free(want);
    free(got);
    du_model_close(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_copy_resolves_to_its_entries_over_the_parents),
        cmocka_unit_test(scalar_copy_gives_the_scalar_logits_through_its_own_entries),
    };
    return run_test_group(tests, NULL, NULL);
}
