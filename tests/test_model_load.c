/* Model loading: hyperparameters and metadata of a real file, every defect a
 * file can have named in the error, cancellation through the progress
 * callback without leaks, tied embeddings and rope_freqs. */
#include "test_alloc.h"
#include "test_files.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "kernels/backend.h"
#include "model/model.h"
#include "model_builder.h"

#include <string.h>

typedef test_case_dir fixture;

static void write_spec(const fixture *f, const tm_spec *s) {
    llamac_status st = tm_write(s, f->path);
    if (st != LLAMAC_OK) fail_msg("writing test model: %s", llamac_last_error());
}

/* Writes the spec and checks that loading it fails with this status and a
 * message mentioning `needle`. */
static void expect_spec_refused(const fixture *f, const tm_spec *s, llamac_status want, const char *needle) {
    write_spec(f, s);
    llamac_model *m = (llamac_model *)&m; /* must be reset to NULL */
    llamac_status st = llamac_model_load(f->path, NULL, &m);
    assert_int_equal(st, want);
    assert_null(m);
    if (!strstr(llamac_last_error(), needle))
        fail_msg("error message \"%s\" does not mention \"%s\"", llamac_last_error(), needle);
}

static void tiny_model_reports_its_hyperparameters(void **state) {
    (void)state;
    llamac_model *m = test_load_shared_model("models/tiny-Q4_K_M.gguf");
    if (!m) { skip(); return; }
    /* ../shared/README.md: the tiny model's shape */
    assert_model_shape(m, TINY_SHAPE);
    assert_true(llamac_model_rope_freq_base(m) == 10000.0f);
    /* 2048*256*2 (embeddings, output) + 2 layers * (256*256*2 + 256*128*2 +
     * 256*768*3 + 2*256) + 256 */
    assert_int_equal(llamac_model_n_params(m), 2048u * 256 * 2 + 2u * (256 * 256 * 2 + 256 * 128 * 2 + 256 * 768 * 3 + 512) + 256);
    assert_true(llamac_model_size(m) > 1000000 && llamac_model_size(m) < 1718848);
    assert_non_null(strstr(llamac_model_desc(m), "Q4_K"));
    const char *name;
    assert_int_equal(llamac_gguf_get_string(llamac_model_gguf(m), "general.name", &name, NULL), LLAMAC_OK);
    assert_string_equal(name, "synthetic-tiny");
    const llamac_vocab *v = llamac_model_vocab(m);
    assert_non_null(v);
    assert_int_equal(llamac_vocab_n_tokens(v), 2048);
    assert_int_equal(llamac_vocab_bos(v), 1);
    llamac_model_free(m);
}

static void model_without_tokenizer_has_no_vocab(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    write_spec(f, &s);
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, NULL, &m), LLAMAC_OK);
    assert_null(llamac_model_vocab(m));
    assert_int_equal(llamac_model_n_vocab(m), s.n_vocab);
    llamac_model_free(m);
}

static void missing_file_is_an_io_error(void **state) {
    fixture *f = *state;
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, NULL, &m), LLAMAC_ERR_IO);
    assert_null(m);
}

/* One change to the default spec (fields left 0 keep the default's) and
 * the load error it must give: a status and a fragment of the message. */
typedef struct spec_refusal {
    const char *omit, *misshape, *arch, *rope_scaling_type, *retype;
    llamac_type retype_as;
    int32_t n_head_kv;
    llamac_status want;
    const char *needle;
} spec_refusal;

static void specs_the_loader_cannot_use_are_refused_by_name(void **state) {
    static const spec_refusal rows[] = {
        /* a missing tensor is named */
        {.omit = "blk.1.ffn_up.weight", .want = LLAMAC_ERR_NOT_FOUND, .needle = "blk.1.ffn_up.weight"},
        {.omit = "output_norm.weight", .want = LLAMAC_ERR_NOT_FOUND, .needle = "output_norm.weight"},
        /* a misshaped tensor, with both shapes (32 x 17 instead of 32 x 16) */
        {.misshape = "blk.0.attn_k.weight", .want = LLAMAC_ERR_FORMAT,
         .needle = "blk.0.attn_k.weight has shape [32, 17, 1, 1], expected [32, 16]"},
        {.misshape = "blk.1.ffn_norm.weight", .want = LLAMAC_ERR_FORMAT,
         .needle = "blk.1.ffn_norm.weight has shape [33, 1, 1, 1], expected [32]"},
        /* another architecture */
        {.arch = "gpt2", .want = LLAMAC_ERR_UNSUPPORTED, .needle = "\"gpt2\""},
        /* a tensor type the kernels cannot compute: an activation encoding
         * (no weight dot product), a norm not in F32 */
        {.retype = "blk.0.attn_q.weight", .retype_as = LLAMAC_TYPE_Q8_1, .want = LLAMAC_ERR_UNSUPPORTED,
         .needle = "blk.0.attn_q.weight has type Q8_1"},
        {.retype = "blk.0.attn_norm.weight", .retype_as = LLAMAC_TYPE_F16, .want = LLAMAC_ERR_UNSUPPORTED,
         .needle = "blk.0.attn_norm.weight has type F16, expected F32"},
        /* YaRN rope scaling */
        {.rope_scaling_type = "yarn", .want = LLAMAC_ERR_UNSUPPORTED, .needle = "\"yarn\""},
        /* head counts that do not divide: 4 query heads cannot share 3 KV heads */
        {.n_head_kv = 3, .want = LLAMAC_ERR_FORMAT, .needle = "head_count_kv (3)"},
    };
    for (size_t k = 0; k < N_ELEMS(rows); k++) {
        const spec_refusal *r = &rows[k];
        tm_spec s;
        tm_spec_default(&s);
        s.omit = r->omit;
        s.misshape = r->misshape;
        if (r->arch) s.arch = r->arch;
        if (r->rope_scaling_type) s.rope_scaling_type = r->rope_scaling_type;
        if (r->retype) s.retype = r->retype, s.retype_as = r->retype_as;
        if (r->n_head_kv) s.n_head_kv = r->n_head_kv;
        expect_spec_refused(*state, &s, r->want, r->needle);
    }
}

static void tied_embeddings_and_rope_freqs_load(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    s.tied = true;
    s.rope_freqs = true;
    write_spec(f, &s);
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, NULL, &m), LLAMAC_OK);
    assert_non_null(strstr(llamac_model_desc(m), "tied output"));
    llamac_model_free(m);
    /* rope_freqs must have n_rot/2 entries */
    s.misshape = "rope_freqs.weight";
    expect_spec_refused(f, &s, LLAMAC_ERR_FORMAT, "rope_freqs.weight");
}

/* ---- progress and cancellation ---- */

typedef struct progress_log {
    float seen[64];
    int n;
    int cancel_at; /* call index that returns false, -1 never */
} progress_log;

static bool on_progress(float fraction, void *user) {
    progress_log *p = user;
    if (p->n < 64) p->seen[p->n] = fraction;
    return p->n++ != p->cancel_at;
}

static void progress_runs_from_zero_to_one(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    write_spec(f, &s);
    progress_log log = {.cancel_at = -1};
    llamac_model_params p = llamac_model_default_params();
    p.progress = on_progress;
    p.progress_user = &log;
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_OK);
    assert_true(log.n >= 3);
    assert_true(log.seen[0] == 0.0f);
    assert_true(log.seen[log.n - 1] == 1.0f);
    for (int i = 1; i < log.n; i++) assert_true(log.seen[i] > log.seen[i - 1]);
    llamac_model_free(m);
}

static void cancelling_from_progress_frees_everything(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    write_spec(f, &s);
    for (int use_mmap = 0; use_mmap < 2; use_mmap++) {
        for (int at = 0; at < 4; at++) { /* first call, per layer, last (2 layers) */
            alloc_counter c;
            llamac_allocator a = counting_allocator(&c, -1);
            progress_log log = {.cancel_at = at};
            llamac_model_params p = llamac_model_default_params();
            p.use_mmap = use_mmap;
            p.allocator = &a;
            p.progress = on_progress;
            p.progress_user = &log;
            llamac_model *m = (llamac_model *)&m;
            assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_ERR_CANCELLED);
            assert_null(m);
            assert_int_equal(log.n, at + 1);
            assert_int_equal(c.live, 0);
        }
    }
}

static void read_and_mapped_loads_give_identical_logits(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    write_spec(f, &s);
    float rows[2][64];
    for (int use_mmap = 0; use_mmap < 2; use_mmap++) {
        llamac_model_params p = llamac_model_default_params();
        p.use_mmap = use_mmap;
        llamac_model *m;
        llamac_context *ctx;
        assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_OK);
        assert_int_equal(llamac_context_new(m, NULL, &ctx), LLAMAC_OK);
        llamac_token toks[3] = {5, 9, 33};
        llamac_pos pos[3] = {0, 1, 2};
        int32_t nseq[3] = {1, 1, 1};
        llamac_seq_id s0 = 0, *ids[3] = {&s0, &s0, &s0};
        llamac_batch b = {3, toks, pos, nseq, ids, NULL, NULL};
        assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
        memcpy(rows[use_mmap], llamac_get_logits(ctx, 0), sizeof rows[0]);
        llamac_context_free(ctx);
        llamac_model_free(m);
    }
    assert_memory_equal(rows[0], rows[1], sizeof rows[0]);
}

/* Decodes tokens 5, 9, 33 of one sequence; the last token's logits are row 0. */
static void decode_three(llamac_context *ctx) {
    llamac_token toks[3] = {5, 9, 33};
    llamac_pos pos[3] = {0, 1, 2};
    int32_t nseq[3] = {1, 1, 1};
    llamac_seq_id s0 = 0, *ids[3] = {&s0, &s0, &s0};
    int8_t want[3] = {0, 0, 1};
    llamac_batch b = {3, toks, pos, nseq, ids, want, NULL};
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
}

/* Logits of tokens 5, 9, 33 (the last token's row) for one load setting. */
static void packable_logits(const char *path, bool use_mmap, bool repack, llamac_kernels kernels, float *row, int n,
                        bool *packed) {
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_model_params p = llamac_model_default_params();
    p.use_mmap = use_mmap;
    p.repack = repack;
    p.allocator = &a;
    llamac_model *m;
    llamac_context *ctx;
    assert_int_equal(llamac_model_load(path, &p, &m), LLAMAC_OK);
    *packed = m->layers[0].wq.owned && m->layers[0].wq.packed && m->layers[1].w_down.packed && m->output.packed;
    llamac_context_params cp = llamac_context_default_params();
    cp.kernels = kernels;
    assert_int_equal(llamac_context_new(m, &cp, &ctx), LLAMAC_OK);
    decode_three(ctx);
    memcpy(row, llamac_get_logits(ctx, 0), (size_t)n * sizeof *row);
    llamac_context_free(ctx);
    llamac_model_free(m);
    assert_int_equal(c.live, 0); /* the packed copies went back to the caller's allocator */
}

/* Q4_0 and Q8_0 matrices are packed at load when the CPU has the kernel for it; the
 * packed gemm gives the unpacked one's bits, and a scalar context on a
 * packed model reads the original rows (released pages read back). */
static void repacked_q4_0_and_q8_0_give_the_bits_of_the_original_rows(void **state) {
    fixture *f = *state;
    enum { N = 64 };
    lc_kernel_table avx2_kernels;
    const bool avx2 = lc_kernels_resolve(LLAMAC_KERNELS_AVX2, &avx2_kernels);
    if (!avx2) fprintf(stderr, "SKIP (partly): no AVX2 here, so nothing is packed; checking the loads only\n");
    const llamac_kernels kinds[2] = {LLAMAC_KERNELS_AUTO, LLAMAC_KERNELS_SCALAR};
    for (int k = 0; k < 4; k++) {
        tm_spec s;
        tm_spec_default(&s);
        s.wtype = k < 2 ? LLAMAC_TYPE_Q4_0 : LLAMAC_TYPE_Q8_0;
        s.n_ff = 64; /* rows of whole 32-element blocks */
        write_spec(f, &s);
        float ref[N], got[N];
        bool packed;
        packable_logits(f->path, true, false, kinds[k % 2], ref, N, &packed);
        assert_false(packed);
        for (int use_mmap = 0; use_mmap < 2; use_mmap++) {
            packable_logits(f->path, use_mmap, true, kinds[k % 2], got, N, &packed);
            assert_true(packed == avx2);
            assert_memory_equal(ref, got, sizeof ref);
        }
    }
}

/* A matrix that repacking copied as it is (F32 here: no packed form) is
 * read from its copy by every back end, scalar included: the file's pages
 * under it were released, and reading them would map them back in (the
 * model twice in memory). The test points the matrix's file rows at NaN
 * bytes after the load; a read of them would show in the logits. */
static void copied_matrices_are_read_from_the_copy_not_the_file(void **state) {
    fixture *f = *state;
    enum { N = 64 };
    tm_spec s;
    tm_spec_default(&s);
    s.wtype = LLAMAC_TYPE_Q4_0; /* packed, so the other matrices are copied too */
    s.n_ff = 64;
    s.retype = "blk.0.ffn_up.weight";
    s.retype_as = LLAMAC_TYPE_F32;
    write_spec(f, &s);
    lc_kernel_table avx2_probe;
    if (!lc_kernels_resolve(LLAMAC_KERNELS_AVX2, &avx2_probe)) {
        fprintf(stderr, "SKIP: no AVX2, nothing is repacked\n");
        skip();
        return;
    }
    const llamac_kernels kinds[2] = {LLAMAC_KERNELS_SCALAR, LLAMAC_KERNELS_AUTO};
    for (int k = 0; k < 2; k++) {
        float ref[N];
        bool packed;
        packable_logits(f->path, true, false, kinds[k], ref, N, &packed);
        llamac_model_params p = llamac_model_default_params();
        llamac_model *m;
        assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_OK);
        lc_weight *up = &m->layers[0].w_up;
        assert_int_equal(up->type, LLAMAC_TYPE_F32);
        assert_non_null(up->owned);
        assert_false(up->packed);
        const size_t n = (size_t)up->n_out * up->row_bytes;
        uint8_t *poison = malloc(n);
        assert_non_null(poison);
        memset(poison, 0xff, n); /* every float a NaN */
        const uint8_t *file_rows = up->data;
        up->data = poison;
        llamac_context_params cp = llamac_context_default_params();
        cp.kernels = kinds[k];
        llamac_context *ctx;
        assert_int_equal(llamac_context_new(m, &cp, &ctx), LLAMAC_OK);
        decode_three(ctx);
        assert_memory_equal(ref, llamac_get_logits(ctx, 0), sizeof ref);
        llamac_context_free(ctx);
        up->data = file_rows;
        free(poison);
        llamac_model_free(m);
    }
}

/* Repacking is an optimization: when the allocator gives out part way
 * through it, the load still succeeds, with the same logits. */
static void running_out_of_memory_while_repacking_still_loads(void **state) {
    fixture *f = *state;
    tm_spec s;
    tm_spec_default(&s);
    s.wtype = LLAMAC_TYPE_Q4_0;
    s.n_ff = 64;
    write_spec(f, &s);
    lc_kernel_table avx2_kernels;
    if (!lc_kernels_resolve(LLAMAC_KERNELS_AVX2, &avx2_kernels)) {
        fprintf(stderr, "SKIP: no AVX2, nothing is repacked\n");
        skip();
        return;
    }
    /* count the allocations of a load without repacking, then of one with */
    long plain = 0, packed = 0;
    for (int repack = 0; repack < 2; repack++) {
        alloc_counter r;
        llamac_allocator a = counting_allocator(&r, -1);
        llamac_model_params p = llamac_model_default_params();
        p.repack = repack;
        p.allocator = &a;
        llamac_model *m;
        assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_OK);
        *(repack ? &packed : &plain) = r.grants;
        llamac_model_free(m);
    }
    assert_true(packed > plain);
    float want[64];
    bool was_packed;
    packable_logits(f->path, true, false, LLAMAC_KERNELS_AUTO, want, 64, &was_packed);
    for (long k = plain + 1; k <= packed; k++) { /* refuse each repacking allocation in turn */
        alloc_counter r; /* refuses the k-th call on */
        llamac_allocator a = counting_allocator(&r, k - 1);
        llamac_model_params p = llamac_model_default_params();
        p.allocator = &a;
        llamac_model *m;
        assert_int_equal(llamac_model_load(f->path, &p, &m), LLAMAC_OK);
        r.fail_after = -1; /* the context may allocate again */
        llamac_context *ctx;
        assert_int_equal(llamac_context_new(m, NULL, &ctx), LLAMAC_OK);
        decode_three(ctx);
        assert_memory_equal(want, llamac_get_logits(ctx, 0), sizeof want);
        llamac_context_free(ctx);
        llamac_model_free(m);
    }
}

static void params_from_a_newer_header_are_refused(void **state) {
    fixture *f = *state;
    struct {
        llamac_model_params p;
        char future[16];
    } bigger;
    bigger.p = llamac_model_default_params();
    bigger.p.struct_size = sizeof bigger;
    llamac_model *m;
    assert_int_equal(llamac_model_load(f->path, &bigger.p, &m), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "struct_size"));
}

int main(int argc, char **argv) {
    if (test_part(argc, argv, "--shared"))
        return run_cases(NULL, NULL, tiny_model_reports_its_hyperparameters);
    if (test_part(argc, argv, "--avx2"))
        return run_cases_each(test_case_dir_setup, test_case_dir_teardown,
                              repacked_q4_0_and_q8_0_give_the_bits_of_the_original_rows,
                              running_out_of_memory_while_repacking_still_loads,
                              copied_matrices_are_read_from_the_copy_not_the_file);
    return run_cases_each(test_case_dir_setup, test_case_dir_teardown,
                          model_without_tokenizer_has_no_vocab,
                          missing_file_is_an_io_error,
                          specs_the_loader_cannot_use_are_refused_by_name,
                          tied_embeddings_and_rope_freqs_load,
                          progress_runs_from_zero_to_one,
                          cancelling_from_progress_frees_everything,
                          read_and_mapped_loads_give_identical_logits,
                          params_from_a_newer_header_are_refused);
}
