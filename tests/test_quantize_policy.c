/* The per-tensor encoding choice of llama-quantize, and file type names.
 * Expected layer sets below were worked out by hand from llama.cpp's rule
 * use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2. */
#include "test_util.h"

#include "quantize/quantize.h"

#include <string.h>

static llamac_type choose(llamac_ftype ft, const lc_quant_model *m, const char *name, int64_t ne0) {
    llamac_type t = LLAMAC_TYPE_COUNT;
    llamac_status st = lc_quant_choose(ft, false, m, name, ne0, &t);
    if (st) fail_msg("%s: %s", name, llamac_last_error());
    return t;
}

/* One expected choice: file type, model shape, tensor, row length. */
typedef struct choice {
    llamac_ftype ft;
    const lc_quant_model *m;
    const char *name;
    int64_t ne0;
    llamac_type want;
} choice;

static void expect_choices(const choice *c, size_t n) {
    for (size_t k = 0; k < n; k++) {
        const llamac_type got = choose(c[k].ft, c[k].m, c[k].name, c[k].ne0);
        if (got != c[k].want)
            fail_msg("row %zu (ftype %d, %s, %lld columns): type %d, want %d", k, (int)c[k].ft, c[k].name,
                     (long long)c[k].ne0, (int)got, (int)c[k].want);
    }
}
/* attn_v (v_cols columns) and ffn_down (down_cols) of every layer: `more`
 * (a sorted list of n_more layers) get the type `more_bits`, the rest `base`. */
static void expect_layer_mix(llamac_ftype ft, const lc_quant_model *m, int64_t v_cols, int64_t down_cols,
                             const int *more, size_t n_more, llamac_type base, llamac_type more_bits) {
    size_t next = 0;
    for (int i = 0; i < m->n_layer; i++) {
        char name[64];
        const bool is_more = next < n_more && more[next] == i;
        next += is_more;
        const llamac_type want = is_more ? more_bits : base;
        snprintf(name, sizeof name, "blk.%d.attn_v.weight", i);
        assert_int_equal(choose(ft, m, name, v_cols), want);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", i);
        assert_int_equal(choose(ft, m, name, down_cols), want);
    }
    assert_int_equal(next, n_more); /* every listed layer exists */
}

/* Q4_K_M on the 22-layer TinyLlama shape: Q6_K for attn_v and ffn_down in
 * layers 0, 1 (< 22/8 = 2), 19, 20, 21 (>= 154/8 = 19) and 4, 7, 10, 13,
 * 16 ((i - 2) % 3 == 2); Q4_K for every other matrix; Q6_K output. */
static void q4_k_m_mix_on_tinyllama(void **state) {
    (void)state;
    const lc_quant_model m = {22, 32, 4, 22, true};
    const int more[] = {0, 1, 4, 7, 10, 13, 16, 19, 20, 21};
    expect_layer_mix(LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, 2048, 5632, more, N_ELEMS(more), LLAMAC_TYPE_Q4_K,
                     LLAMAC_TYPE_Q6_K);
    for (int i = 0; i < 22; i++) {
        static const char *const plain[] = {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"};
        for (size_t k = 0; k < 5; k++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s.weight", i, plain[k]);
            assert_int_equal(choose(LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, name, 2048), LLAMAC_TYPE_Q4_K);
        }
    }
    const choice rows[] = {
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "output.weight", 2048, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "token_embd.weight", 2048, LLAMAC_TYPE_Q4_K},
    };
    expect_choices(rows, N_ELEMS(rows));
}

/* 32 layers (Llama-2-7B): n/8 = 4, 7n/8 = 28, so 0-3, 28-31 and 6, 9, ...,
 * 27; Q5_K_M uses the same layers. */
static void q5_k_m_mix_on_32_layers(void **state) {
    (void)state;
    const lc_quant_model m = {32, 32, 32, 32, true};
    const int more[] = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
    expect_layer_mix(LLAMAC_FTYPE_MOSTLY_Q5_K_M, &m, 4096, 11008, more, N_ELEMS(more), LLAMAC_TYPE_Q5_K,
                     LLAMAC_TYPE_Q6_K);
}

/* The two-layer shared tiny model: 2/8 = 0 and 14/8 = 1, so only layer 1
 * gets more bits (as in ../shared/models/tiny-Q4_K_M.gguf). */
static void q4_k_m_mix_on_two_layers(void **state) {
    (void)state;
    const lc_quant_model m = {2, 8, 4, 2, true};
    const choice rows[] = {
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.0.attn_v.weight", 256, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.1.attn_v.weight", 256, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.0.ffn_down.weight", 768, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.1.ffn_down.weight", 768, LLAMAC_TYPE_Q6_K},
    };
    expect_choices(rows, N_ELEMS(rows));
}

static void output_and_embeddings(void **state) {
    (void)state;
    const lc_quant_model untied = {2, 8, 4, 2, true}, tied = {16, 32, 8, 16, false};
    const choice rows[] = {
        /* the output gets Q6_K unless the base type is Q8_0 */
        {LLAMAC_FTYPE_MOSTLY_Q4_0, &untied, "output.weight", 256, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q8_0, &untied, "output.weight", 256, LLAMAC_TYPE_Q8_0},
        {LLAMAC_FTYPE_MOSTLY_Q6_K, &untied, "output.weight", 256, LLAMAC_TYPE_Q6_K},
        /* the token embeddings keep the base type... */
        {LLAMAC_FTYPE_MOSTLY_Q4_0, &untied, "token_embd.weight", 256, LLAMAC_TYPE_Q4_0},
        /* ...unless they double as the output (tied, as in Llama 3.2 1B) */
        {LLAMAC_FTYPE_MOSTLY_Q4_0, &tied, "token_embd.weight", 2048, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &tied, "token_embd.weight", 2048, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q8_0, &tied, "token_embd.weight", 2048, LLAMAC_TYPE_Q8_0},
        /* an output whose rows are not whole blocks of the base falls to Q8_0 */
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &untied, "output.weight", 288, LLAMAC_TYPE_Q8_0},
        /* float file types never mix */
        {LLAMAC_FTYPE_MOSTLY_F16, &untied, "output.weight", 256, LLAMAC_TYPE_F16},
        {LLAMAC_FTYPE_ALL_F32, &untied, "blk.1.attn_v.weight", 256, LLAMAC_TYPE_F32},
    };
    expect_choices(rows, N_ELEMS(rows));
}

static void other_k_mixes(void **state) {
    (void)state;
    const lc_quant_model m = {32, 32, 8, 32, true}; /* GQA ratio 4 */
    const lc_quant_model mha = {32, 32, 32, 32, true};
    const lc_quant_model m70 = {80, 64, 8, 80, true};
    const choice rows[] = {
        /* Q2_K: attn_v Q4_K with GQA >= 4 else Q3_K; ffn_down and attn_output Q3_K */
        {LLAMAC_FTYPE_MOSTLY_Q2_K, &m, "blk.5.attn_v.weight", 4096, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q2_K, &mha, "blk.5.attn_v.weight", 4096, LLAMAC_TYPE_Q3_K},
        {LLAMAC_FTYPE_MOSTLY_Q2_K, &m, "blk.5.ffn_down.weight", 4096, LLAMAC_TYPE_Q3_K},
        {LLAMAC_FTYPE_MOSTLY_Q2_K, &m, "blk.5.attn_output.weight", 4096, LLAMAC_TYPE_Q3_K},
        {LLAMAC_FTYPE_MOSTLY_Q2_K, &m, "blk.5.attn_q.weight", 4096, LLAMAC_TYPE_Q2_K},
        /* Q3_K_M: attn_v Q5_K in the first two layers, then Q4_K; ffn_down Q5_K
         * below n/16 = 2, then Q4_K; attn_output Q4_K */
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.1.attn_v.weight", 4096, LLAMAC_TYPE_Q5_K},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.2.attn_v.weight", 4096, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.1.ffn_down.weight", 4096, LLAMAC_TYPE_Q5_K},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.2.ffn_down.weight", 4096, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.9.attn_output.weight", 4096, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_M, &m, "blk.9.ffn_up.weight", 4096, LLAMAC_TYPE_Q3_K},
        /* Q4_K_S: attn_v Q5_K in layers 0-3, ffn_down Q5_K below n/8 = 4 */
        {LLAMAC_FTYPE_MOSTLY_Q4_K_S, &m, "blk.3.attn_v.weight", 4096, LLAMAC_TYPE_Q5_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_S, &m, "blk.4.attn_v.weight", 4096, LLAMAC_TYPE_Q4_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_S, &m, "blk.3.ffn_down.weight", 4096, LLAMAC_TYPE_Q5_K},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_S, &m, "blk.4.ffn_down.weight", 4096, LLAMAC_TYPE_Q4_K},
        /* IQ4_XS: attn_v Q5_K with GQA >= 4, ffn_down Q5_K below n/8 */
        {LLAMAC_FTYPE_MOSTLY_IQ4_XS, &m, "blk.9.attn_v.weight", 4096, LLAMAC_TYPE_Q5_K},
        {LLAMAC_FTYPE_MOSTLY_IQ4_XS, &mha, "blk.9.attn_v.weight", 4096, LLAMAC_TYPE_IQ4_XS},
        {LLAMAC_FTYPE_MOSTLY_IQ4_XS, &m, "blk.0.ffn_down.weight", 4096, LLAMAC_TYPE_Q5_K},
        /* Q6_K and Q8_0: no mix */
        {LLAMAC_FTYPE_MOSTLY_Q6_K, &m, "blk.0.ffn_down.weight", 4096, LLAMAC_TYPE_Q6_K},
        {LLAMAC_FTYPE_MOSTLY_Q8_0, &m, "blk.0.attn_v.weight", 4096, LLAMAC_TYPE_Q8_0},
        /* 70B (80 layers, grouped-query): attn_v Q4_K becomes Q5_K */
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m70, "blk.40.attn_v.weight", 8192, LLAMAC_TYPE_Q5_K},
    };
    expect_choices(rows, N_ELEMS(rows));
}

/* Rows that are not whole super-blocks fall back as llama.cpp does. */
static void row_length_fallbacks(void **state) {
    (void)state;
    const lc_quant_model m = {32, 32, 32, 32, true};
    const int64_t odd = 4096 + 32; /* a multiple of 32, not of 256 */
    const choice rows[] = {
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.5.attn_q.weight", odd, LLAMAC_TYPE_Q5_0},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.0.attn_v.weight", odd, LLAMAC_TYPE_Q8_0},
        {LLAMAC_FTYPE_MOSTLY_Q5_K_S, &m, "blk.5.attn_q.weight", odd, LLAMAC_TYPE_Q5_1},
        {LLAMAC_FTYPE_MOSTLY_Q3_K_S, &m, "blk.5.attn_q.weight", odd, LLAMAC_TYPE_IQ4_NL},
        {LLAMAC_FTYPE_MOSTLY_Q4_K_M, &m, "blk.5.attn_q.weight", 100, LLAMAC_TYPE_F16},
    };
    expect_choices(rows, N_ELEMS(rows));
    /* Q4_0 has no fallback in llama.cpp: refused, naming the tensor */
    llamac_type t;
    assert_int_equal(lc_quant_choose(LLAMAC_FTYPE_MOSTLY_Q4_0, false, &m, "blk.5.attn_q.weight", 48, &t),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_non_null(strstr(llamac_last_error(), "blk.5.attn_q.weight"));
    /* pure: the base everywhere */
    assert_int_equal(lc_quant_choose(LLAMAC_FTYPE_MOSTLY_Q4_K_M, true, &m, "output.weight", 4096, &t), LLAMAC_OK);
    assert_int_equal(t, LLAMAC_TYPE_Q4_K);
}

static void which_tensors_are_quantized(void **state) {
    (void)state;
    assert_true(lc_quant_wants("blk.0.attn_q.weight", 2));
    assert_true(lc_quant_wants("token_embd.weight", 2));
    assert_true(lc_quant_wants("output.weight", 2));
    assert_false(lc_quant_wants("blk.0.attn_norm.weight", 1));
    assert_false(lc_quant_wants("blk.0.attn_norm.weight", 2)); /* norms even if 2-D */
    assert_false(lc_quant_wants("output_norm.weight", 1));
    assert_false(lc_quant_wants("blk.0.attn_q.bias", 2));
    assert_false(lc_quant_wants("rope_freqs.weight", 1));
    assert_false(lc_quant_wants("blk.0.ffn_gate_inp.weight", 2));
    assert_false(lc_quant_wants("position_embd.weight", 2));
}

static void ftype_names_round_trip(void **state) {
    (void)state;
    int n = 0;
    for (int ft = 0; ft < 64; ft++) {
        const char *name = llamac_ftype_name((llamac_ftype)ft);
        if (!name) continue;
        n++;
        llamac_ftype back;
        assert_int_equal(llamac_ftype_from_name(name, &back), LLAMAC_OK);
        assert_int_equal(back, ft);
        assert_int_not_equal(lc_ftype_base_type((llamac_ftype)ft), LLAMAC_TYPE_COUNT);
    }
    assert_int_equal(n, 19);
    /* llama.cpp's numbering (general.file_type) */
    assert_string_equal(llamac_ftype_name((llamac_ftype)15), "Q4_K_M");
    assert_string_equal(llamac_ftype_name((llamac_ftype)7), "Q8_0");
    assert_string_equal(llamac_ftype_name((llamac_ftype)2), "Q4_0");
    assert_string_equal(llamac_ftype_name((llamac_ftype)18), "Q6_K");
    assert_null(llamac_ftype_name((llamac_ftype)4));
    llamac_ftype ft = LLAMAC_FTYPE_MOSTLY_Q8_0;
    assert_int_equal(llamac_ftype_from_name("q4_k_m", &ft), LLAMAC_OK);
    assert_int_equal(ft, LLAMAC_FTYPE_MOSTLY_Q4_K_M);
    assert_int_equal(llamac_ftype_from_name("Q4_K_MM", &ft), LLAMAC_ERR_NOT_FOUND);
    assert_non_null(strstr(llamac_last_error(), "Q4_K_MM"));
    assert_non_null(strstr(llamac_last_error(), "Q6_K"));
    assert_int_equal(ft, LLAMAC_FTYPE_MOSTLY_Q4_K_M);
    assert_int_equal(llamac_ftype_from_name(NULL, &ft), LLAMAC_ERR_INVALID_ARG);
}

int main(void) {
    return run_cases(NULL, NULL,
                     q4_k_m_mix_on_tinyllama,
                     q5_k_m_mix_on_32_layers,
                     q4_k_m_mix_on_two_layers,
                     output_and_embeddings,
                     other_k_mixes,
                     row_length_fallbacks,
                     which_tensors_are_quantized,
                     ftype_names_round_trip);
}
