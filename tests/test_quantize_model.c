/* llamac_model_quantize on the shared tiny model: the same blocks as the
 * peer's quantizer (../shared/models/tiny-TYPE.gguf, made by llama.cpp's),
 * faithfulness to the F32 model (criterion 2 of ../shared/golden/README.md),
 * requantizing; and on the model in models/ (any model will do, so these
 * never skip): metadata carried over, thread-count independence, the
 * caller's allocator, and failures that leave nothing behind.
 * With --shared, only the cases that need ../shared. */
#include "decode_util.h"
#include "test_files.h"
#include "test_alloc.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "../tools/golden.h"
#include "llamac.h"

#include <dirent.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static int count_dir_entries(void) {
    int n = 0;
    DIR *d = opendir(test_tmpdir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* The tensor `name` of g, which must be there. */
static llamac_tensor_info tensor_named(const llamac_gguf *g, const char *name) {
    llamac_tensor_info t;
    if (llamac_gguf_tensor(g, llamac_gguf_find_tensor(g, name), &t) != LLAMAC_OK) fail_msg("no tensor %s", name);
    return t;
}

static void quantize_or_fail(const char *in, const char *out, llamac_ftype ft, int32_t n_threads) {
    llamac_quantize_params p = llamac_quantize_default_params();
    p.ftype = ft;
    p.n_threads = n_threads;
    llamac_status st = llamac_model_quantize(in, out, &p);
    if (st) fail_msg("quantize %s: %s: %s", llamac_ftype_name(ft), llamac_status_name(st), llamac_last_error());
}

/* Every tensor of `ref` exists in `ours` with the same type, shape and
 * size; returns how many blocks are byte-identical (of *total). */
static long compare_blocks(const llamac_gguf *ours, const llamac_gguf *ref, long *total) {
    long same = 0;
    *total = 0;
    assert_int_equal(llamac_gguf_n_tensors(ours), llamac_gguf_n_tensors(ref));
    for (int64_t i = 0; i < llamac_gguf_n_tensors(ref); i++) {
        llamac_tensor_info r, o;
        assert_int_equal(llamac_gguf_tensor(ref, i, &r), LLAMAC_OK);
        const int64_t k = llamac_gguf_find_tensor(ours, r.name);
        if (k < 0) fail_msg("tensor %s missing", r.name);
        assert_int_equal(llamac_gguf_tensor(ours, k, &o), LLAMAC_OK);
        if (o.type != r.type)
            fail_msg("%s: ours is %s, the reference's %s", r.name, llamac_type_name(o.type), llamac_type_name(r.type));
        assert_int_equal(o.n_dims, r.n_dims);
        assert_memory_equal(o.ne, r.ne, sizeof o.ne);
        assert_int_equal(o.n_bytes, r.n_bytes);
        const size_t bb = llamac_type_block_bytes(r.type);
        for (uint64_t b = 0; b < r.n_bytes / bb; b++)
            same += !memcmp((const uint8_t *)o.data + b * bb, (const uint8_t *)r.data + b * bb, bb);
        *total += (long)(r.n_bytes / bb);
    }
    return same;
}

/* The peer quantized tiny-F32.gguf with llama.cpp's quantizer; ours must
 * give the same type per tensor and the same bytes in every block. */
static void quantized_tiny_matches_the_reference_blocks(void **state) {
    (void)state;
    char buf[512], ref_rel[64], out[512];
    SKIP_WITHOUT_SHARED(f32, buf, "models/tiny-F32.gguf");
    static const char *const types[] = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K",
                                        "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char ref_buf[512];
        snprintf(ref_rel, sizeof ref_rel, "models/tiny-%s.gguf", types[i]);
        const char *ref_path = shared_path(ref_buf, sizeof ref_buf, ref_rel);
        if (!ref_path) continue;
        llamac_ftype ft;
        assert_int_equal(llamac_ftype_from_name(types[i], &ft), LLAMAC_OK);
        quantize_or_fail(f32, test_tmpdir_path(out, sizeof out, "q.gguf"), ft, 2);
        llamac_gguf *ours = test_open_gguf(out), *ref = test_open_gguf(ref_path);
        long total, same = compare_blocks(ours, ref, &total);
        print_message("%-7s %ld/%ld blocks identical to the reference\n", types[i], same, total);
        assert_int_equal(same, total);
        llamac_gguf_free(ours);
        llamac_gguf_free(ref);
        unlink(out);
    }
}

/* Metadata is copied; file type and quantization version are set. */
static void metadata_is_carried_over(void **state) {
    (void)state;
    char out[512];
    const char *model = shipped_model_path();
    quantize_or_fail(model, test_tmpdir_path(out, sizeof out, "meta.gguf"), LLAMAC_FTYPE_MOSTLY_Q4_K_M, 1);
    llamac_gguf *in = test_open_gguf(model), *q = test_open_gguf(out);
    for (int64_t i = 0; i < llamac_gguf_n_kv(in); i++) {
        const char *key = llamac_gguf_key(in, i);
        const int64_t k = llamac_gguf_find_key(q, key);
        if (k < 0) fail_msg("key %s not copied", key);
        assert_int_equal(llamac_gguf_kv_type(q, k), llamac_gguf_kv_type(in, i));
    }
    uint32_t v = 0;
    assert_int_equal(llamac_gguf_get_u32(q, "general.file_type", &v), LLAMAC_OK);
    assert_int_equal(v, 15);
    assert_int_equal(llamac_gguf_get_u32(q, "general.quantization_version", &v), LLAMAC_OK);
    assert_int_equal(v, 2);
    uint64_t n_in = 0, n_q = 0;
    assert_int_equal(llamac_gguf_get_array(in, "tokenizer.ggml.tokens", NULL, &n_in, NULL), LLAMAC_OK);
    assert_int_equal(llamac_gguf_get_array(q, "tokenizer.ggml.tokens", NULL, &n_q, NULL), LLAMAC_OK);
    assert_int_equal(n_in, n_q);
    const char *a, *b;
    assert_int_equal(llamac_gguf_get_array_string(in, "tokenizer.ggml.tokens", 1000, &a, NULL), LLAMAC_OK);
    assert_int_equal(llamac_gguf_get_array_string(q, "tokenizer.ggml.tokens", 1000, &b, NULL), LLAMAC_OK);
    assert_string_equal(a, b);
    /* norms are copied byte for byte */
    llamac_tensor_info ti, tq;
    assert_int_equal(llamac_gguf_tensor(in, llamac_gguf_find_tensor(in, "blk.1.ffn_norm.weight"), &ti), LLAMAC_OK);
    assert_int_equal(llamac_gguf_tensor(q, llamac_gguf_find_tensor(q, "blk.1.ffn_norm.weight"), &tq), LLAMAC_OK);
    assert_int_equal(tq.type, LLAMAC_TYPE_F32);
    assert_memory_equal(ti.data, tq.data, ti.n_bytes);
    llamac_gguf_free(in);
    llamac_gguf_free(q);
}

static void output_does_not_depend_on_thread_count(void **state) {
    (void)state;
    char o1[512], o3[512];
    const char *model = shipped_model_path();
    quantize_or_fail(model, test_tmpdir_path(o1, sizeof o1, "t1.gguf"), LLAMAC_FTYPE_MOSTLY_Q5_K_M, 1);
    quantize_or_fail(model, test_tmpdir_path(o3, sizeof o3, "t3.gguf"), LLAMAC_FTYPE_MOSTLY_Q5_K_M, 3);
    assert_true(test_files_equal(o1, o3));
    unlink(o1);
    unlink(o3);
}

/* Criterion 2 of ../shared/golden/README.md on our own files: decoding the
 * golden prompt, the mean KLD to the F32 reference logits stays within
 * 1.10 x the reference quantizer's own KLD_q (+2e-5). */
static void quantized_tiny_is_faithful_to_f32(void **state) {
    (void)state;
    char buf[512], gbuf[512], out[512], err[256];
    SKIP_WITHOUT_SHARED(f32, buf, "models/tiny-F32.gguf");
    SKIP_WITHOUT_SHARED(gpath, gbuf, "golden/tiny-F32.golden");
    golden ref;
    if (golden_read(gpath, &ref, err, sizeof err)) fail_msg("%s", err);
    static const struct { const char *name; llamac_ftype ft; } types[] = {
        {"Q8_0", LLAMAC_FTYPE_MOSTLY_Q8_0},
        {"Q4_0", LLAMAC_FTYPE_MOSTLY_Q4_0},
        {"Q4_K_M", LLAMAC_FTYPE_MOSTLY_Q4_K_M},
        {"Q6_K", LLAMAC_FTYPE_MOSTLY_Q6_K},
    };
    float *logits = malloc((size_t)ref.n_prompt * ref.n_vocab * sizeof *logits);
    assert_non_null(logits);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        quantize_or_fail(f32, test_tmpdir_path(out, sizeof out, "faithful.gguf"), types[i].ft, 2);
        llamac_model *model = test_load_model(out);
        llamac_context *ctx = du_context(model, 128, 64, 1, 2);
        llamac_status st = golden_decode(ctx, ref.prompt, ref.n_prompt, NULL, 0, 0, logits);
        if (st) fail_msg("decode: %s", llamac_last_error());
        double same_max, kld_q;
        assert_int_equal(golden_criteria(types[i].name, &same_max, &kld_q), 0);
        const double kld = golden_mean_kld(ref.logits, logits, ref.n_vocab, 0, ref.n_prompt);
        print_message("%-7s KLD to F32 %.4e, KLD_q %.4e (ratio %.3f), limit %.4e\n", types[i].name, kld,
                      kld_q, kld / kld_q, golden_faithful_max(kld_q));
        assert_true(kld <= golden_faithful_max(kld_q));
        llamac_context_free(ctx);
        llamac_model_free(model);
        unlink(out);
    }
    free(logits);
    golden_free(&ref);
}

/* A small llama-shaped file holding `bad` at element 5 of row 1 of
 * blk.0.attn_q.weight. */
static void write_model_with(const char *path, float bad) {
    llamac_gguf_writer *w = NULL;
    assert_int_equal(llamac_gguf_writer_new(NULL, &w), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_string(w, "general.architecture", "llama"), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "llama.block_count", 1), LLAMAC_OK);
    static float q[256 * 4], norm[256];
    for (int i = 0; i < 256 * 4; i++) q[i] = 0.01f * (float)(i % 17 - 8);
    for (int i = 0; i < 256; i++) norm[i] = 1.f;
    q[256 + 5] = bad;
    const int64_t ne_q[2] = {256, 4}, ne_n[1] = {256};
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "blk.0.attn_norm.weight", LLAMAC_TYPE_F32, 1, ne_n, norm,
                                                   sizeof norm), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "blk.0.attn_q.weight", LLAMAC_TYPE_F32, 2, ne_q, q,
                                                   sizeof q), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_write(w, path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_text(const char *path, const char *text) {
    char got[64] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    assert_string_equal(got, text);
}

/* A NaN or infinity in a weight is refused naming the tensor and place;
 * the destination keeps its old content and no temporary file remains. */
static void non_finite_weight_is_refused_and_nothing_is_left(void **state) {
    (void)state;
    char in[512], out[512];
    const float bad[] = {NAN, INFINITY};
    for (size_t i = 0; i < 2; i++) {
        write_model_with(test_tmpdir_path(in, sizeof in, "bad.gguf"), bad[i]);
        write_text(test_tmpdir_path(out, sizeof out, "keep.gguf"), "old content");
        const int before = count_dir_entries();
        llamac_quantize_params p = llamac_quantize_default_params();
        p.ftype = LLAMAC_FTYPE_MOSTLY_Q4_K_M;
        assert_int_equal(llamac_model_quantize(in, out, &p), LLAMAC_ERR_FORMAT);
        assert_non_null(strstr(llamac_last_error(), "blk.0.attn_q.weight"));
        assert_non_null(strstr(llamac_last_error(), "element 5 of row 1"));
        assert_text(out, "old content");
        assert_int_equal(count_dir_entries(), before);
    }
    /* the same file with a finite value goes through */
    write_model_with(in, 0.5f);
    llamac_quantize_params p = llamac_quantize_default_params();
    p.ftype = LLAMAC_FTYPE_MOSTLY_Q8_0;
    assert_int_equal(llamac_model_quantize(in, out, &p), LLAMAC_OK);
    llamac_gguf *g = test_open_gguf(out);
    const llamac_tensor_info t = tensor_named(g, "blk.0.attn_q.weight");
    assert_int_equal(t.type, LLAMAC_TYPE_Q8_0);
    assert_int_equal(t.n_bytes, 4 * 8 * 34);
    llamac_gguf_free(g);
    unlink(in);
    unlink(out);
}

static bool cancel_at_once(float fraction, void *user) {
    (void)fraction;
    (*(int *)user)++;
    return false;
}

static void failures_are_reported_and_leave_nothing(void **state) {
    (void)state;
    char out[512], missing[512];
    const char *model = shipped_model_path();
    test_tmpdir_path(out, sizeof out, "never.gguf");
    const int before = count_dir_entries();
    llamac_quantize_params p = llamac_quantize_default_params();
    /* missing input */
    assert_int_equal(llamac_model_quantize(test_tmpdir_path(missing, sizeof missing, "nope.gguf"), out, &p), LLAMAC_ERR_IO);
    assert_non_null(strstr(llamac_last_error(), "nope.gguf"));
    /* not a file type llamac writes */
    p.ftype = (llamac_ftype)4;
    assert_int_equal(llamac_model_quantize(model, out, &p), LLAMAC_ERR_INVALID_ARG);
    p = llamac_quantize_default_params();
    p.n_threads = -1;
    assert_int_equal(llamac_model_quantize(model, out, &p), LLAMAC_ERR_INVALID_ARG);
    /* a params struct from a newer header */
    p = llamac_quantize_default_params();
    p.struct_size = sizeof p + 8;
    assert_int_equal(llamac_model_quantize(model, out, &p), LLAMAC_ERR_INVALID_ARG);
    /* cancelled by the progress callback */
    int calls = 0;
    p = llamac_quantize_default_params();
    p.progress = cancel_at_once;
    p.progress_user = &calls;
    assert_int_equal(llamac_model_quantize(model, out, &p), LLAMAC_ERR_CANCELLED);
    assert_int_equal(calls, 1);
    assert_int_equal(count_dir_entries(), before);
}

/* An already quantized input needs allow_requantize. */
static void requantizing_needs_allow_requantize(void **state) {
    (void)state;
    char qbuf[512], out[512];
    SKIP_WITHOUT_SHARED(q40, qbuf, "models/tiny-Q4_0.gguf");
    test_tmpdir_path(out, sizeof out, "requantized.gguf");
    const int before = count_dir_entries();
    llamac_quantize_params p = llamac_quantize_default_params();
    assert_int_equal(llamac_model_quantize(q40, out, &p), LLAMAC_ERR_UNSUPPORTED);
    assert_non_null(strstr(llamac_last_error(), "allow_requantize"));
    assert_int_equal(count_dir_entries(), before);
    p.allow_requantize = true;
    assert_int_equal(llamac_model_quantize(q40, out, &p), LLAMAC_OK);
    llamac_gguf *g = test_open_gguf(out);
    assert_int_equal(tensor_named(g, "blk.0.attn_q.weight").type, LLAMAC_TYPE_Q4_K);
    /* Q6_K output of the Q4_0 file is kept as it is */
    assert_int_equal(tensor_named(g, "output.weight").type, LLAMAC_TYPE_Q6_K);
    llamac_gguf_free(g);
    unlink(out);
}

static void caller_allocator_sees_every_allocation(void **state) {
    (void)state;
    char out[512];
    const char *model = shipped_model_path();
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_quantize_params p = llamac_quantize_default_params();
    p.ftype = LLAMAC_FTYPE_MOSTLY_Q6_K;
    p.n_threads = 2;
    p.allocator = &a;
    assert_int_equal(llamac_model_quantize(model, test_tmpdir_path(out, sizeof out, "alloc.gguf"), &p), LLAMAC_OK);
    assert_true(c.blocks > 10);
    assert_int_equal(c.live, 0);
    unlink(out);
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--shared"), test_tmpdir_setup, test_tmpdir_teardown,
                     CASES(non_finite_weight_is_refused_and_nothing_is_left, metadata_is_carried_over,
                           output_does_not_depend_on_thread_count, failures_are_reported_and_leave_nothing,
                           caller_allocator_sees_every_allocation),
                     CASES(quantized_tiny_matches_the_reference_blocks, quantized_tiny_is_faithful_to_f32,
                           requantizing_needs_allow_requantize));
}
