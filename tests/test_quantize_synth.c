/* llamac_model_synth: files that load as llama models with the promised
 * shape, vocabulary and weight statistics, that depend on the seed only,
 * and that survive quantization and a forward pass with sane logits. */
#include "decode_util.h"
#include "test_files.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "../tools/golden.h"
#include "kernels/kernels.h"
#include "llamac.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

static void synth_or_fail(const char *path, const char *shape, llamac_type type, uint64_t seed, int32_t n_threads) {
    llamac_synth_params p = llamac_synth_default_params();
    p.shape = shape;
    p.type = type;
    p.seed = seed;
    p.n_threads = n_threads;
    llamac_status st = llamac_model_synth(path, &p);
    if (st) fail_msg("synth %s: %s: %s", shape, llamac_status_name(st), llamac_last_error());
}

static const llamac_tensor_info *tensor(const llamac_gguf *g, const char *name, llamac_tensor_info *t) {
    const int64_t i = llamac_gguf_find_tensor(g, name);
    if (i < 0) fail_msg("tensor %s missing", name);
    assert_int_equal(llamac_gguf_tensor(g, i, t), LLAMAC_OK);
    return t;
}

static void shapes_are_listed(void **state) {
    (void)state;
    const char *want[] = {"tinyllama-1.1b", "llama-3.2-1b", "llama-2-7b", "tiny"};
    for (int i = 0; i < 4; i++) assert_string_equal(llamac_synth_shape_name(i), want[i]);
    assert_null(llamac_synth_shape_name(4));
    assert_null(llamac_synth_shape_name(-1));
}

/* The seed alone decides the bytes: thread count does not, another seed
 * changes them. */
static void file_depends_on_the_seed_only(void **state) {
    (void)state;
    char a[512], b[512], c[512];
    synth_or_fail(test_tmpdir_path(a, sizeof a, "s7-t1.gguf"), "tiny", LLAMAC_TYPE_F32, 7, 1);
    synth_or_fail(test_tmpdir_path(b, sizeof b, "s7-t3.gguf"), "tiny", LLAMAC_TYPE_F32, 7, 3);
    synth_or_fail(test_tmpdir_path(c, sizeof c, "s8.gguf"), "tiny", LLAMAC_TYPE_F32, 8, 2);
    assert_true(test_files_equal(a, b));
    assert_false(test_files_equal(a, c));
    unlink(a);
    unlink(b);
    unlink(c);
}

/* The hyperparameters llama.cpp reads, the tensor table, and the
 * vocabulary's special and byte tokens. */
static void tiny_file_loads_as_the_promised_model(void **state) {
    (void)state;
    char path[512];
    synth_or_fail(test_tmpdir_path(path, sizeof path, "tiny.gguf"), "tiny", LLAMAC_TYPE_F16, 42, 0);
    llamac_model *m = NULL;
    if (llamac_model_load(path, NULL, &m)) fail_msg("load: %s", llamac_last_error());
    assert_model_shape(m, TINY_SHAPE);
    const llamac_vocab *v = llamac_model_vocab(m);
    assert_non_null(v);
    assert_int_equal(llamac_vocab_get_type(v), LLAMAC_VOCAB_SPM);
    assert_string_equal(llamac_vocab_token_text(v, 0, NULL), "<unk>");
    assert_int_equal(llamac_vocab_token_type(v, 0), LLAMAC_TOKEN_TYPE_UNKNOWN);
    assert_int_equal(llamac_vocab_bos(v), 1);
    assert_int_equal(llamac_vocab_eos(v), 2);
    assert_int_equal(llamac_vocab_token_type(v, 1), LLAMAC_TOKEN_TYPE_CONTROL);
    assert_string_equal(llamac_vocab_token_text(v, 3, NULL), "<0x00>");
    assert_string_equal(llamac_vocab_token_text(v, 258, NULL), "<0xFF>");
    assert_int_equal(llamac_vocab_token_type(v, 258), LLAMAC_TOKEN_TYPE_BYTE);
    /* pieces are unique, so every text has one id */
    for (llamac_token t = 0; t < 2048; t++) {
        size_t len;
        const char *s = llamac_vocab_token_text(v, t, &len);
        assert_int_equal(llamac_vocab_find(v, s, len), t);
    }
    /* text round-trips through the tokenizer */
    const char *text = "hello world, quantize me";
    llamac_token toks[64];
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(v, text, strlen(text), toks, 64, false, false, &n), LLAMAC_OK);
    assert_true(n > 0 && n < (int32_t)strlen(text));
    char back[128];
    size_t len = 0;
    assert_int_equal(llamac_detokenize(v, toks, n, back, sizeof back, false, false, &len), LLAMAC_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(back, text, len);
    llamac_model_free(m);

    llamac_gguf *g = test_open_gguf(path);
    assert_int_equal(llamac_gguf_n_tensors(g), 3 + 2 * 9);
    uint32_t ft = 99;
    assert_int_equal(llamac_gguf_get_u32(g, "general.file_type", &ft), LLAMAC_OK);
    assert_int_equal(ft, 1);
    llamac_tensor_info t;
    assert_int_equal(tensor(g, "blk.1.attn_k.weight", &t)->type, LLAMAC_TYPE_F16);
    assert_int_equal(t.ne[0], 256);
    assert_int_equal(t.ne[1], 128);
    assert_int_equal(tensor(g, "blk.0.ffn_down.weight", &t)->ne[0], 768);
    assert_int_equal(tensor(g, "blk.0.ffn_norm.weight", &t)->type, LLAMAC_TYPE_F32);
    llamac_gguf_free(g);
    unlink(path);
}

/* Weights are N(0, 1/fan_in): mean near 0, variance near 1/ne[0], about
 * 68.3% within one standard deviation; norms exactly 1; the F16 file holds
 * the F32 file's values rounded to half precision. */
static void weights_have_the_promised_distribution(void **state) {
    (void)state;
    char p32[512], p16[512];
    synth_or_fail(test_tmpdir_path(p32, sizeof p32, "w32.gguf"), "tiny", LLAMAC_TYPE_F32, 5, 2);
    synth_or_fail(test_tmpdir_path(p16, sizeof p16, "w16.gguf"), "tiny", LLAMAC_TYPE_F16, 5, 1);
    llamac_gguf *g32 = test_open_gguf(p32), *g16 = test_open_gguf(p16);
    const char *names[] = {"token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight"};
    for (size_t k = 0; k < 4; k++) {
        llamac_tensor_info a, b;
        tensor(g32, names[k], &a);
        tensor(g16, names[k], &b);
        const int64_t n = a.ne[0] * a.ne[1];
        const float *x = a.data;
        const uint16_t *h = b.data;
        double sum = 0, sum2 = 0;
        int64_t within = 0;
        const double sigma = 1.0 / sqrt((double)a.ne[0]);
        for (int64_t i = 0; i < n; i++) {
            sum += x[i];
            sum2 += (double)x[i] * x[i];
            within += fabs(x[i]) < sigma;
            if (h[i] != lc_fp32_to_fp16(x[i])) fail_msg("%s[%ld]: F16 file differs", names[k], (long)i);
        }
        const double mean = sum / (double)n, var = sum2 / (double)n, frac = (double)within / (double)n;
        print_message("%-22s mean %+.2e  var*fan_in %.4f  within 1 sigma %.4f\n", names[k], mean,
                      var / (sigma * sigma), frac);
        /* n >= 65536 samples: the standard errors are ~1/sqrt(n) relative */
        assert_true(fabs(mean) < 0.02 * sigma);
        assert_true(fabs(var / (sigma * sigma) - 1.0) < 0.03);
        assert_true(fabs(frac - 0.6827) < 0.01);
    }
    llamac_tensor_info t;
    tensor(g32, "output_norm.weight", &t);
    for (int i = 0; i < 256; i++) assert_true(((const float *)t.data)[i] == 1.f);
    llamac_gguf_free(g32);
    llamac_gguf_free(g16);
    unlink(p32);
    unlink(p16);
}

/* Synthesized, quantized and run: logits finite with a standard deviation
 * near 1 (unit-RMS hidden state times N(0, 1/n_embd) output rows), and the
 * quantized model's logits close to the float model's. */
static void synthesized_model_quantizes_and_runs(void **state) {
    (void)state;
    char pf[512], pq[512];
    synth_or_fail(test_tmpdir_path(pf, sizeof pf, "run-f32.gguf"), "tiny", LLAMAC_TYPE_F32, 11, 2);
    llamac_quantize_params qp = llamac_quantize_default_params();
    qp.ftype = LLAMAC_FTYPE_MOSTLY_Q8_0;
    assert_int_equal(llamac_model_quantize(pf, test_tmpdir_path(pq, sizeof pq, "run-q8.gguf"), &qp), LLAMAC_OK);
    const int32_t prompt[8] = {1, 300, 301, 502, 777, 1500, 2047, 42};
    float *logits[2];
    const char *paths[2] = {pf, pq};
    for (int k = 0; k < 2; k++) {
        llamac_model *m = test_load_model(paths[k]);
        llamac_context *ctx = du_context(m, 64, 8, 1, 2);
        logits[k] = malloc(8 * 2048 * sizeof(float));
        assert_non_null(logits[k]);
        assert_int_equal(golden_decode(ctx, prompt, 8, NULL, 0, 0, logits[k]), LLAMAC_OK);
        llamac_context_free(ctx);
        llamac_model_free(m);
    }
    double sum2 = 0;
    for (int i = 0; i < 8 * 2048; i++) {
        assert_true(isfinite(logits[0][i]));
        sum2 += (double)logits[0][i] * logits[0][i];
    }
    const double sd = sqrt(sum2 / (8 * 2048));
    const double kld = golden_mean_kld(logits[0], logits[1], 2048, 0, 8);
    print_message("logit sd %.3f, KLD(F32 || Q8_0) %.2e\n", sd, kld);
    assert_true(sd > 0.5 && sd < 2.0);
    assert_true(kld < 1e-3);
    free(logits[0]);
    free(logits[1]);
    unlink(pf);
    unlink(pq);
}

static void bad_requests_are_refused(void **state) {
    (void)state;
    char path[512];
    test_tmpdir_path(path, sizeof path, "bad.gguf");
    llamac_synth_params p = llamac_synth_default_params();
    p.shape = "llama-9000";
    assert_int_equal(llamac_model_synth(path, &p), LLAMAC_ERR_NOT_FOUND);
    assert_non_null(strstr(llamac_last_error(), "llama-9000"));
    assert_non_null(strstr(llamac_last_error(), "tinyllama-1.1b"));
    p = llamac_synth_default_params();
    p.type = LLAMAC_TYPE_Q4_0;
    assert_int_equal(llamac_model_synth(path, &p), LLAMAC_ERR_INVALID_ARG);
    p = llamac_synth_default_params();
    p.struct_size = 4;
    assert_int_equal(llamac_model_synth(path, &p), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_model_synth(NULL, NULL), LLAMAC_ERR_INVALID_ARG);
    /* a directory that does not exist */
    p = llamac_synth_default_params();
    p.shape = "tiny";
    assert_int_equal(llamac_model_synth("/nonexistent-dir/x.gguf", &p), LLAMAC_ERR_IO);
    assert_non_null(strstr(llamac_last_error(), "/nonexistent-dir/x.gguf"));
    assert_int_equal(access(path, F_OK), -1);
}

int main(void) {
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown,
                     shapes_are_listed,
                     file_depends_on_the_seed_only,
                     tiny_file_loads_as_the_promised_model,
                     weights_have_the_promised_distribution,
                     synthesized_model_quantizes_and_runs,
                     bad_requests_are_refused);
}
