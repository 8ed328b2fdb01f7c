/* Every GGUF file under ../shared (written by llama.cpp's peer tools)
 * parses, mapped and read, with the block types its README promises; spot
 * values were confirmed with an independent Python reader. */
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

/* Which tensor types each tiny-<TYPE>.gguf may hold (../shared/README.md). */
static const struct {
    const char *file;
    llamac_type types[4];
} allowed[] = {
    {"tiny-F32.gguf", {LLAMAC_TYPE_F32}},
    {"tiny-F16.gguf", {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32}},
    {"tiny-BF16.gguf", {LLAMAC_TYPE_BF16, LLAMAC_TYPE_F32}},
    {"tiny-Q8_0.gguf", {LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_F32}},
    {"tiny-Q4_0.gguf", {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q4_1.gguf", {LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q5_0.gguf", {LLAMAC_TYPE_Q5_0, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q5_1.gguf", {LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-IQ4_NL.gguf", {LLAMAC_TYPE_IQ4_NL, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-IQ4_XS.gguf", {LLAMAC_TYPE_IQ4_XS, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q2_K.gguf", {LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q3_K_M.gguf", {LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K}},
    {"tiny-Q4_K_M.gguf", {LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q5_K_M.gguf", {LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
    {"tiny-Q6_K.gguf", {LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_F32}},
};

static bool type_allowed(const char *file, llamac_type t) {
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strcmp(allowed[i].file, file)) continue;
        if (t == LLAMAC_TYPE_F32) return true; /* norms are F32 in every file */
        for (int k = 0; k < 4; k++)
            if (allowed[i].types[k] == t) return true;
        return false;
    }
    return false;
}

/* Checks one model file, opened both mapped and read. */
static void check_model(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    for (int mapped = 0; mapped < 2; mapped++) {
        llamac_gguf_params p = llamac_gguf_default_params();
        p.use_mmap = mapped;
        llamac_gguf *g;
        if (llamac_gguf_open(path, &p, &g) != LLAMAC_OK) fail_msg("%s", llamac_last_error());
        assert_int_equal(llamac_gguf_version(g), 3);
        assert_int_equal(llamac_gguf_n_tensors(g), 21);
        uint64_t end = 0;
        for (int64_t i = 0; i < 21; i++) {
            llamac_tensor_info t;
            assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
            if (!type_allowed(name, t.type))
                fail_msg("%s: tensor %s has type %s", name, t.name, llamac_type_name(t.type));
            if (t.offset + t.n_bytes > end) end = t.offset + t.n_bytes;
        }
        /* The tensors fill the file up to at most one alignment of padding. */
        uint64_t size = (uint64_t)sb.st_size;
        assert_true(llamac_gguf_data_offset(g) + end <= size);
        assert_true(size - (llamac_gguf_data_offset(g) + end) < llamac_gguf_alignment(g));
        uint64_t n_vocab;
        const char *s;
        assert_int_equal(llamac_gguf_get_array(g, "tokenizer.ggml.tokens", NULL, &n_vocab, NULL),
                         LLAMAC_OK);
        assert_int_equal(n_vocab, 2048);
        assert_int_equal(llamac_gguf_get_array_string(g, "tokenizer.ggml.tokens", 1, &s, NULL),
                         LLAMAC_OK);
        assert_string_equal(s, "<s>");
        llamac_gguf_free(g);
    }
}

static void every_shared_gguf_parses(void **state) {
    (void)state;
    char buf[512];
    int models = 0, vocabs = 0;
    SKIP_WITHOUT_SHARED(models_dir, buf, "models");
    DIR *d = opendir(models_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".gguf")) continue;
        check_model(models_dir, e->d_name);
        models++;
    }
    closedir(d);
    char vbuf[512];
    const char *vocab_dir = shared_path(vbuf, sizeof vbuf, "vocab");
    assert_non_null(vocab_dir);
    d = opendir(vocab_dir);
    assert_non_null(d);
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".gguf")) continue;
        char path[768];
        snprintf(path, sizeof path, "%s/%s", vocab_dir, e->d_name);
        llamac_gguf *g;
        if (llamac_gguf_open(path, NULL, &g) != LLAMAC_OK) fail_msg("%s", llamac_last_error());
        assert_int_equal(llamac_gguf_n_tensors(g), 0);
        llamac_gguf_free(g);
        vocabs++;
    }
    closedir(d);
    assert_int_equal(models, 15);
    assert_true(vocabs >= 2);
}

static void tiny_q4_k_m_has_the_expected_table(void **state) {
    (void)state;
    llamac_gguf *g = test_open_shared_gguf("models/tiny-Q4_K_M.gguf");
    if (!g) { skip(); return; }
    assert_int_equal(llamac_gguf_n_kv(g), 24);
    assert_int_equal(llamac_gguf_data_offset(g), 44864);
    int n_q4k = 0, n_q6k = 0, n_f32 = 0;
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info t;
        assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
        n_q4k += t.type == LLAMAC_TYPE_Q4_K;
        n_q6k += t.type == LLAMAC_TYPE_Q6_K;
        n_f32 += t.type == LLAMAC_TYPE_F32;
    }
    assert_int_equal(n_q4k, 13);
    assert_int_equal(n_q6k, 3);
    assert_int_equal(n_f32, 5);
    llamac_tensor_info t;
    int64_t i = llamac_gguf_find_tensor(g, "blk.1.attn_v.weight");
    assert_int_equal(i, 16);
    assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
    assert_int_equal(t.type, LLAMAC_TYPE_Q6_K);
    assert_int_equal(t.ne[0], 256);
    assert_int_equal(t.ne[1], 128);
    assert_int_equal(t.offset, 1263616);
    assert_int_equal(t.n_bytes, 128 * 210); /* 128 rows of one 210-byte Q6_K block */
    static const gguf_key_value want[] = {
        {"llama.attention.head_count_kv", GK_U32, .i = 4},
        {"general.file_type", GK_U32, .i = 15},
        {"llama.attention.layer_norm_rms_epsilon", GK_F32, .f = 1e-5f},
        {"tokenizer.ggml.model", GK_STR, .s = "llama"},
    };
    assert_gguf_keys(g, want, N_ELEMS(want));
    assert_gguf_array_string(g, "tokenizer.ggml.tokens", 2047, "\xe2\x96\x81\xc2\xbb", 5);
    llamac_gguf_free(g);
}

static void llama3_vocabulary_strings_are_indexed(void **state) {
    (void)state;
    llamac_gguf *g = test_open_shared_gguf("vocab/ggml-vocab-llama-bpe.gguf");
    if (!g) { skip(); return; }
    assert_gguf_array(g, "tokenizer.ggml.tokens", LLAMAC_GGUF_STRING, 128256);
    const char *s;
    uint64_t len;
    assert_gguf_array_string(g, "tokenizer.ggml.tokens", 1000, "indow", 5);
    assert_gguf_array_string(g, "tokenizer.ggml.tokens", 128255, "<|reserved_special_token_247|>", 30);
    uint64_t n;
    assert_int_equal(llamac_gguf_get_array(g, "tokenizer.ggml.merges", NULL, &n, NULL), LLAMAC_OK);
    assert_int_equal(n, 280147);
    assert_gguf_array_string(g, "tokenizer.ggml.merges", n - 1, "\xc3\xa9\xc4\xb6 \xc2\xa6", 7);
    uint64_t total = 0; /* every element, O(1) each */
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(llamac_gguf_get_array_string(g, "tokenizer.ggml.merges", i, &s, &len), LLAMAC_OK);
        total += len;
    }
    assert_true(total > n * 3);
    llamac_gguf_free(g);
}

int main(void) {
    return run_cases(NULL, NULL,
                     every_shared_gguf_parses,
                     tiny_q4_k_m_has_the_expected_table,
                     llama3_vocabulary_strings_are_indexed);
}
