/* Crafted hyperparameters: a valid small model re-written with one key (or
 * one tensor's values) replaced by something hostile. Every such file must be
 * refused at load with a message naming the key, never loaded into a context
 * that divides by zero, overflows or computes on non-finite angles. */
#include "test_files.h"
#include "test_util.h"
#include "test_tmpdir.h"

#include "model_builder.h"

#include <math.h>
#include <string.h>

/* base: the valid model; path: the crafted copy. */
typedef test_case_dir fixture;

/* One change to the copy: a key set to a value of `type`, and/or a tensor
 * whose bytes are replaced (same size). */
typedef struct edit {
    const char *key;
    llamac_gguf_type type;
    uint32_t u32;
    float f32;
    const char *tensor;
    const void *tensor_data;
    const char *drop; /* a key left out of the copy, or NULL */
} edit;

static void write_base(const fixture *f, bool rope_freqs) {
    tm_spec s;
    tm_spec_default(&s);
    s.rope_freqs = rope_freqs;
    if (tm_write(&s, f->base) != LLAMAC_OK) fail_msg("writing the base model: %s", llamac_last_error());
}

/* Copies every key but `drop` (the builder writes strings, UINT32 and
 * FLOAT32 scalars only). */
static void copy_kv_without(llamac_gguf_writer *w, const llamac_gguf *g, const char *drop) {
    for (int64_t i = 0; i < llamac_gguf_n_kv(g); i++) {
        const char *key = llamac_gguf_key(g, i);
        if (strcmp(key, drop) == 0) continue;
        const char *str;
        uint32_t u;
        float x;
        switch (llamac_gguf_kv_type(g, i)) {
        case LLAMAC_GGUF_STRING:
            assert_int_equal(llamac_gguf_get_string(g, key, &str, NULL), LLAMAC_OK);
            assert_int_equal(llamac_gguf_writer_set_string(w, key, str), LLAMAC_OK);
            break;
        case LLAMAC_GGUF_UINT32:
            assert_int_equal(llamac_gguf_get_u32(g, key, &u), LLAMAC_OK);
            assert_int_equal(llamac_gguf_writer_set_u32(w, key, u), LLAMAC_OK);
            break;
        case LLAMAC_GGUF_FLOAT32:
            assert_int_equal(llamac_gguf_get_f32(g, key, &x), LLAMAC_OK);
            assert_int_equal(llamac_gguf_writer_set_f32(w, key, x), LLAMAC_OK);
            break;
        default:
            fail_msg("key %s: a type this copy does not handle", key);
        }
    }
}

/* Copies base to path with the edit applied. */
static void write_crafted(const fixture *f, const edit *e) {
    llamac_gguf *g;
    assert_int_equal(llamac_gguf_open(f->base, NULL, &g), LLAMAC_OK);
    llamac_gguf_writer *w = test_new_writer();
    if (e->drop) copy_kv_without(w, g, e->drop);
    else assert_int_equal(llamac_gguf_writer_copy_kv(w, g), LLAMAC_OK);
    if (e->key && e->type == LLAMAC_GGUF_UINT32)
        assert_int_equal(llamac_gguf_writer_set_u32(w, e->key, e->u32), LLAMAC_OK);
    else if (e->key)
        assert_int_equal(llamac_gguf_writer_set_f32(w, e->key, e->f32), LLAMAC_OK);
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info ti;
        assert_int_equal(llamac_gguf_tensor(g, i, &ti), LLAMAC_OK);
        const void *data = e->tensor && strcmp(e->tensor, ti.name) == 0 ? e->tensor_data : ti.data;
        assert_int_equal(llamac_gguf_writer_add_tensor(w, ti.name, ti.type, ti.n_dims, ti.ne, data, ti.n_bytes),
                         LLAMAC_OK);
    }
    assert_int_equal(llamac_gguf_writer_write(w, f->path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    llamac_gguf_free(g);
}

static void expect_refused(const fixture *f, const edit *e, llamac_status want, const char *needle) {
    write_crafted(f, e);
    llamac_model *m = (llamac_model *)&m; /* must be reset to NULL */
    llamac_status st = llamac_model_load(f->path, NULL, &m);
    if (st != want)
        fail_msg("%s: status %s, expected %s (%s)", e->key ? e->key : e->tensor, llamac_status_name(st),
                 llamac_status_name(want), llamac_last_error());
    assert_null(m);
    if (!strstr(llamac_last_error(), needle))
        fail_msg("error message \"%s\" does not mention \"%s\"", llamac_last_error(), needle);
}

#define U32(k, v) {.key = (k), .type = LLAMAC_GGUF_UINT32, .u32 = (v)}
#define F32(k, v) {.key = (k), .type = LLAMAC_GGUF_FLOAT32, .f32 = (v)}

/* One crafted file and how its load must fail: the status and a fragment
 * of the message. */
typedef struct refusal {
    edit e;
    llamac_status want;
    const char *needle;
} refusal;

/* Each row's edit applied to the base model (written without rope factors)
 * is refused as the row says. */
static void expect_refusals(const fixture *f, const refusal *rows, size_t n) {
    write_base(f, false);
    for (size_t k = 0; k < n; k++) expect_refused(f, &rows[k].e, rows[k].want, rows[k].needle);
}

static void the_base_model_loads(void **state) {
    fixture *f = *state;
    write_base(f, true);
    write_crafted(f, &(edit){0});
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, NULL, &m), LLAMAC_OK);
    llamac_model_free(m);
}

static void zero_and_non_dividing_head_counts_are_refused(void **state) {
    const refusal rows[] = {
        {U32("llama.attention.head_count", 0), LLAMAC_ERR_FORMAT, "llama.attention.head_count"},
        {U32("llama.attention.head_count_kv", 0), LLAMAC_ERR_FORMAT, "head_count_kv"},
        /* more KV heads than query heads: 4 % 8 != 0 */
        {U32("llama.attention.head_count_kv", 8), LLAMAC_ERR_FORMAT, "head_count_kv"},
        /* n_embd 32 over 6 heads (6 is a multiple of the 2 KV heads) */
        {U32("llama.attention.head_count", 6), LLAMAC_ERR_FORMAT, "embedding_length"},
        {U32("llama.attention.head_count", 0x80000000u), LLAMAC_ERR_FORMAT,
         "llama.attention.head_count"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

static void rope_dimension_must_be_even_and_fit_a_head(void **state) {
    const refusal rows[] = {
        /* head size 32 / 4 = 8 */
        {U32("llama.rope.dimension_count", 0), LLAMAC_ERR_FORMAT, "rope.dimension_count"},
        {U32("llama.rope.dimension_count", 5), LLAMAC_ERR_FORMAT, "rope.dimension_count"},
        {U32("llama.rope.dimension_count", 10), LLAMAC_ERR_FORMAT, "rope.dimension_count"},
        {U32("llama.rope.dimension_count", 0xFFFFFFFEu), LLAMAC_ERR_FORMAT, "rope.dimension_count"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

static void sizes_the_file_cannot_back_are_refused(void **state) {
    const refusal rows[] = {
        {U32("llama.block_count", 0x7FFFFFFFu), LLAMAC_ERR_FORMAT, "llama.block_count"},
        {U32("llama.block_count", 0), LLAMAC_ERR_FORMAT, "llama.block_count"},
        {U32("llama.context_length", 0), LLAMAC_ERR_FORMAT, "llama.context_length"},
        /* refused by the first tensor whose shape it sets */
        {U32("llama.embedding_length", 0x7FFFFFF8u), LLAMAC_ERR_FORMAT, "token_embd.weight"},
        {U32("llama.attention.key_length", 0x40000000u), LLAMAC_ERR_FORMAT, "overflows"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

static void non_finite_and_non_positive_floats_are_refused(void **state) {
    const refusal rows[] = {
        {F32("llama.attention.layer_norm_rms_epsilon", NAN), LLAMAC_ERR_FORMAT,
         "layer_norm_rms_epsilon"},
        {F32("llama.attention.layer_norm_rms_epsilon", -1e-5f), LLAMAC_ERR_FORMAT,
         "layer_norm_rms_epsilon"},
        {F32("llama.rope.freq_base", INFINITY), LLAMAC_ERR_FORMAT, "llama.rope.freq_base"},
        {F32("llama.rope.freq_base", 0.0f), LLAMAC_ERR_FORMAT, "llama.rope.freq_base"},
        {F32("llama.rope.freq_base", -10000.0f), LLAMAC_ERR_FORMAT, "llama.rope.freq_base"},
        {F32("llama.rope.scaling.factor", NAN), LLAMAC_ERR_FORMAT, "llama.rope.scaling.factor"},
        {F32("llama.rope.scaling.factor", -2.0f), LLAMAC_ERR_FORMAT, "llama.rope.scaling.factor"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

static void keys_of_the_wrong_type_are_named(void **state) {
    const refusal rows[] = {
        {U32("llama.attention.layer_norm_rms_epsilon", 1), LLAMAC_ERR_TYPE,
         "model: key llama.attention.layer_norm_rms_epsilon"},
        {U32("general.architecture", 1), LLAMAC_ERR_TYPE, "model: key general.architecture"},
        {F32("llama.block_count", 2.0f), LLAMAC_ERR_TYPE, "model: key llama.block_count"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

/* 1 / factor overflows to +inf for a subnormal factor, and a base below the
 * smallest normal float makes base^(-2/n_rot) infinite: the angles would be
 * inf * 0 = NaN from position 0 on. */
static void rope_parameters_with_infinite_angles_are_refused(void **state) {
    fixture *f = *state;
    write_base(f, false);
    expect_refused(f, &(edit)F32("llama.rope.scaling.factor", 1e-45f), LLAMAC_ERR_FORMAT,
                   "llama.rope.scaling.factor");
    /* n_rot 8: base^(-1/4) is finite even for 1e-45; n_rot 2 gives 1/base = inf */
    write_crafted(f, &(edit)U32("llama.rope.dimension_count", 2));
    memcpy(f->base, f->path, sizeof f->base); /* the next edit starts from n_rot 2 */
    snprintf(f->path, sizeof f->path, "%s/crafted2.gguf", f->dir);
    expect_refused(f, &(edit)F32("llama.rope.freq_base", 1e-45f), LLAMAC_ERR_FORMAT, "llama.rope.freq_base");
}

/* Llama 3.1 style per-pair frequency divisors: a zero, negative or NaN one
 * turns that pair's angle into inf or NaN. */
static void rope_frequency_factors_must_be_finite_and_positive(void **state) {
    fixture *f = *state;
    write_base(f, true);
    const float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        float factors[4] = {1.0f, 1.0f, 1.0f, 1.0f}; /* n_rot 8 -> 4 factors */
        factors[2] = bad[i];
        expect_refused(f, &(edit){.tensor = "rope_freqs.weight", .tensor_data = factors}, LLAMAC_ERR_FORMAT,
         "rope_freqs.weight");
    }
}

/* A head size the kernels' vector widths do not divide (7: n_embd 28 over
 * 4 heads, 6 of its dims rotated) loads and decodes to finite logits with
 * either cache type: every row length reaches the kernels' tail paths. */
static void odd_head_size_decodes_with_both_cache_types(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    s.n_embd = 28;
    if (tm_write(&s, f->base) != LLAMAC_OK) fail_msg("writing the base model: %s", llamac_last_error());
    write_crafted(f, &(edit)U32("llama.rope.dimension_count", 6));
    llamac_model *m;
    if (llamac_model_load(f->path, NULL, &m) != LLAMAC_OK) fail_msg("%s", llamac_last_error());
    const llamac_type kv_types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32};
    for (size_t k = 0; k < 2; k++) {
        llamac_context_params cp = llamac_context_default_params();
        cp.n_ctx = 16;
        cp.n_batch = 4;
        cp.n_threads = 2;
        cp.kv_type = kv_types[k];
        llamac_context *ctx;
        assert_int_equal(llamac_context_new(m, &cp, &ctx), LLAMAC_OK);
        llamac_batch b;
        assert_int_equal(llamac_batch_init(&b, 4, 1, NULL), LLAMAC_OK);
        const llamac_seq_id seq = 0;
        for (int i = 0; i < 4; i++) assert_int_equal(llamac_batch_add(&b, 3 * i + 1, i, &seq, 1, true), LLAMAC_OK);
        assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
        for (int i = 0; i < 4; i++) {
            const float *row = llamac_get_logits(ctx, i);
            assert_non_null(row);
            for (int v = 0; v < llamac_model_n_vocab(m); v++)
                if (!isfinite(row[v])) fail_msg("kv %zu, token %d: logit %d is %g", k, i, v, (double)row[v]);
        }
        llamac_batch_free(&b);
        llamac_context_free(ctx);
    }
    llamac_model_free(m);
}

/* Issue 12, fault 9: head_count = embedding_length (the shipped model with
 * head_count 256) was reported as "rope.dimension_count is 32, expected an
 * even number <= 1". Each inconsistency is named by the keys it comes from,
 * in the order they depend on each other. Base: n_embd 32, 4 heads (2 KV)
 * of 8, rope.dimension_count 8. */
static void messages_name_the_keys_that_disagree(void **state) {
    /* heads of 1 dimension: the head count is at fault, not the rope */
    fixture *f = *state;
    write_base(f, false);
    expect_refused(f, &(edit)U32("llama.attention.head_count", 32), LLAMAC_ERR_FORMAT,
                   "a head size of 1 (llama.embedding_length 32 / llama.attention.head_count 32) is too small");
    if (strstr(llamac_last_error(), "rope.dimension_count"))
        fail_msg("error message \"%s\" blames rope.dimension_count", llamac_last_error());
    const refusal rows[] = {
        {U32("llama.attention.key_length", 1), LLAMAC_ERR_UNSUPPORTED,
         "the key head size 1 (llama.attention.key_length 1) differs from the value head size 8 "
         "(llama.embedding_length 32 / llama.attention.head_count 4)"},
        /* heads of 2: the rope count no longer fits, and the message says why */
        {U32("llama.attention.head_count", 16), LLAMAC_ERR_FORMAT,
         "llama.rope.dimension_count is 8; expected an even number from 2 to the head size 2 "
         "(llama.embedding_length 32 / llama.attention.head_count 16)"},
        /* value_length alone: keys keep the default split (as in the reference) */
        {U32("llama.attention.value_length", 16), LLAMAC_ERR_UNSUPPORTED,
         "the key head size 8 (llama.embedding_length 32 / llama.attention.head_count 4) differs from "
         "the value head size 16 (llama.attention.value_length 16)"},
        /* a key that sizes tensors: the mis-shaped tensor names it */
        {U32("llama.attention.head_count_kv", 1), LLAMAC_ERR_FORMAT,
         "blk.0.attn_k.weight has shape [32, 16, 1, 1], expected [32, 8] = [llama.embedding_length, "
         "llama.attention.head_count_kv x head size]"},
        {U32("llama.feed_forward_length", 40), LLAMAC_ERR_FORMAT,
         "expected [32, 40] = [llama.embedding_length, llama.feed_forward_length]"},
    };
    expect_refusals(*state, rows, N_ELEMS(rows));
}

/* An absent rope.dimension_count means the whole head; an odd head then
 * cannot rotate, and the message says the key is missing rather than
 * quoting a value the file does not have. */
static void an_absent_rope_count_on_an_odd_head_asks_for_the_key(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    s.n_embd = 28; /* 4 heads of 7 */
    if (tm_write(&s, f->base) != LLAMAC_OK) fail_msg("writing the base model: %s", llamac_last_error());
    expect_refused(f, &(edit){.drop = "llama.rope.dimension_count"}, LLAMAC_ERR_FORMAT,
                   "llama.rope.dimension_count is absent, so all 7 dimensions of a head (llama.embedding_length 28 "
                   "/ llama.attention.head_count 4) would rotate");
    /* even heads default to rotating all of them */
    tm_spec_default(&s);
    if (tm_write(&s, f->base) != LLAMAC_OK) fail_msg("writing the base model: %s", llamac_last_error());
    write_crafted(f, &(edit){.drop = "llama.rope.dimension_count"});
    llamac_model *m;
    if (llamac_model_load(f->path, NULL, &m) != LLAMAC_OK) fail_msg("%s", llamac_last_error());
    llamac_model_free(m);
}

int main(void) {
    return run_cases_each(test_case_dir_setup, test_case_dir_teardown,
                          the_base_model_loads,
                          zero_and_non_dividing_head_counts_are_refused,
                          rope_dimension_must_be_even_and_fit_a_head,
                          sizes_the_file_cannot_back_are_refused,
                          non_finite_and_non_positive_floats_are_refused,
                          keys_of_the_wrong_type_are_named,
                          rope_parameters_with_infinite_angles_are_refused,
                          rope_frequency_factors_must_be_finite_and_positive,
                          odd_head_size_decodes_with_both_cache_types,
                          messages_name_the_keys_that_disagree,
                          an_absent_rope_count_on_an_odd_head_asks_for_the_key);
}
