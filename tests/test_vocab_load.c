/* Vocabularies built here, key by key, with the GGUF writer:
 *   - tiny SPM and BPE vocabularies whose merge results are worked out by
 *     hand in the comments, to pin the merge order rules;
 *   - files with missing, mistyped or inconsistent tokenizer keys, which
 *     must be refused with a status and a message naming the key;
 *   - allocation failures at every step of loading and tokenizing. */
#include "test_tmpdir.h"
#include "test_vocab_util.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

/* ---- building files ---- */

typedef struct file_spec {
    const char *model;             /* NULL: key absent */
    const char *pre;               /* NULL: key absent */
    const char *const *tokens;     /* NULL: key absent */
    int n_tokens;
    const float *scores;           /* NULL: absent */
    int n_scores;
    const int32_t *types;          /* NULL: absent */
    int n_types;
    const char *const *merges;     /* NULL: absent */
    int n_merges;
    int add_space_prefix;          /* -1 absent, else the bool */
} file_spec;

typedef void (*extra_keys_fn)(llamac_gguf_writer *w);

static const char *write_file(const file_spec *s, extra_keys_fn extra) {
    static char path[300];
    test_tmpdir_path(path, sizeof path, "v.gguf");
    llamac_gguf_writer *w;
    assert_int_equal(llamac_gguf_writer_new(NULL, &w), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_string(w, "general.architecture", "llama"), LLAMAC_OK);
    if (s->model) assert_int_equal(llamac_gguf_writer_set_string(w, "tokenizer.ggml.model", s->model), LLAMAC_OK);
    if (s->pre) assert_int_equal(llamac_gguf_writer_set_string(w, "tokenizer.ggml.pre", s->pre), LLAMAC_OK);
    if (s->tokens)
        assert_int_equal(llamac_gguf_writer_set_string_array(w, "tokenizer.ggml.tokens", s->tokens,
                                                             (uint64_t)s->n_tokens),
                         LLAMAC_OK);
    if (s->scores)
        assert_int_equal(llamac_gguf_writer_set_value(w, "tokenizer.ggml.scores", LLAMAC_GGUF_FLOAT32, true,
                                                      s->scores, (uint64_t)s->n_scores),
                         LLAMAC_OK);
    if (s->types)
        assert_int_equal(llamac_gguf_writer_set_value(w, "tokenizer.ggml.token_type", LLAMAC_GGUF_INT32, true,
                                                      s->types, (uint64_t)s->n_types),
                         LLAMAC_OK);
    if (s->merges)
        assert_int_equal(llamac_gguf_writer_set_string_array(w, "tokenizer.ggml.merges", s->merges,
                                                             (uint64_t)s->n_merges),
                         LLAMAC_OK);
    if (s->add_space_prefix >= 0)
        assert_int_equal(llamac_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", s->add_space_prefix),
                         LLAMAC_OK);
    if (extra) extra(w);
    assert_int_equal(llamac_gguf_writer_write(w, path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    return path;
}

static llamac_vocab *load_ok(const file_spec *s, extra_keys_fn extra) {
    llamac_vocab *v = NULL;
    llamac_status st = llamac_vocab_load(write_file(s, extra), NULL, &v);
    if (st != LLAMAC_OK) fail_msg("load: %s: %s", llamac_status_name(st), llamac_last_error());
    return v;
}

static void expect_load_error(const file_spec *s, extra_keys_fn extra, llamac_status want, const char *msg_part) {
    llamac_vocab *v = (llamac_vocab *)1;
    llamac_status st = llamac_vocab_load(write_file(s, extra), NULL, &v);
    assert_null(v);
    if (st != want || !strstr(llamac_last_error(), msg_part))
        fail_msg("expected %s with '%s', got %s: %s", llamac_status_name(want), msg_part, llamac_status_name(st),
                 llamac_last_error());
}

static void expect_ids(const llamac_vocab *v, const char *text, const llamac_token *want, int32_t n_want) {
    int32_t n;
    llamac_token *got = tv_tokenize(v, text, strlen(text), false, false, &n);
    if (n != n_want || memcmp(got, want, sizeof *got * (size_t)n) != 0) {
        fprintf(stderr, "\"%s\": got", text);
        for (int32_t i = 0; i < n; i++) fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\n");
        fail_msg("\"%s\": wrong ids", text);
    }
    size_t len;
    char *back = tv_detokenize(v, got, n, false, false, &len);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(back, text, len);
    free(back);
    free(got);
}

/* ---- a tiny byte-level BPE vocabulary ----
 * ids: a0 b1 c2 d3 ab4 bc5 abc6 x7 y8 z9 xyz10 aa11 Ġ12 (a space) */
static const char *const bpe_tokens[] = {"a", "b", "c", "d", "ab", "bc", "abc", "x", "y", "z", "xyz", "aa", "\xC4\xA0"};
static const char *const bpe_merges[] = {"b c", "a b", "a bc", "a a", "c d"};

static file_spec bpe_spec(void) {
    return (file_spec){"gpt2", "llama-bpe", bpe_tokens, 13, NULL, 0, NULL, 0, bpe_merges, 5, -1};
}

static void bpe_merges_lowest_rank_first_then_leftmost(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    llamac_vocab *v = load_ok(&s, NULL);
    /* a b c b c: "b c" (rank 0) merges at 1 and 3 first, then "a bc"
     * (rank 2) at 0; "a b" (rank 1) went stale when b joined c. */
    expect_ids(v, "abcbc", (llamac_token[]){6, 5}, 2);
    /* a a a: two "a a" candidates of equal rank; the leftmost wins. */
    expect_ids(v, "aaa", (llamac_token[]){11, 0}, 2);
    /* "c d" is a listed merge but "cd" is no token: spelled by bytes. */
    expect_ids(v, "cd", (llamac_token[]){2, 3}, 2);
    llamac_vocab_free(v);
}

static void bpe_keeps_a_pretoken_that_is_a_token_whole(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    llamac_vocab *v = load_ok(&s, NULL);
    /* No merges build "xyz", but Llama 3 (ignore_merges) takes it whole. */
    expect_ids(v, "xyz", (llamac_token[]){10}, 1);
    /* Pre-tokens: "xyz", " abc" (Ġabc is no token: Ġ + abc). */
    expect_ids(v, "xyz abc", (llamac_token[]){10, 12, 6}, 3);
    llamac_vocab_free(v);
}

/* ---- a tiny SentencePiece vocabulary ----
 * <unk>0 <s>1 </s>2 <0x00>..<0xFF> 3..258, then pieces with scores:
 * ▁259(-10) a260(-11) b261(-12) c262(-13) ▁a263(-1) ab264(-2) ▁ab265(-3)
 * bc266(-0.5) aa267(-5) <tool>268 (user-defined) */
enum { SPM_N = 270 };
static const char *spm_tok[SPM_N];
static float spm_scores[SPM_N];
static int32_t spm_types[SPM_N];
static char spm_bytes[256][7];

static file_spec spm_spec(void) {
    static const char *const extra[] = {"\xE2\x96\x81", "a", "b", "c", "\xE2\x96\x81" "a", "ab", "\xE2\x96\x81" "ab",
                                        "bc", "aa", "<tool>", "x\xE2\x96\x81"};
    static const float extra_scores[] = {-10, -11, -12, -13, -1, -2, -3, -0.5f, -5, 0, -100};
    spm_tok[0] = "<unk>";
    spm_tok[1] = "<s>";
    spm_tok[2] = "</s>";
    spm_types[0] = 2;
    spm_types[1] = spm_types[2] = 3;
    for (int b = 0; b < 256; b++) {
        snprintf(spm_bytes[b], sizeof spm_bytes[b], "<0x%02X>", b);
        spm_tok[3 + b] = spm_bytes[b];
        spm_types[3 + b] = 6;
    }
    for (int i = 0; i < 11; i++) {
        spm_tok[259 + i] = extra[i];
        spm_scores[259 + i] = extra_scores[i];
        spm_types[259 + i] = 1;
    }
    spm_types[268] = 4; /* <tool>: user-defined */
    /* The last piece, "x▁", is only there for the word-split test; the
     * others leave it out by passing SPM_N - 1 tokens. */
    return (file_spec){"llama", NULL, spm_tok, SPM_N - 1, spm_scores, SPM_N - 1, spm_types, SPM_N - 1, NULL, 0, -1};
}

static void spm_merges_highest_score_first(void **state) {
    (void)state;
    file_spec s = spm_spec();
    llamac_vocab *v = load_ok(&s, NULL);
    /* ▁ab: ▁a (-1) beats ab (-2); then ▁a+b is ▁ab (-3). */
    expect_ids(v, "ab", (llamac_token[]){265}, 1);
    /* ▁abc: bc (-0.5) first, then ▁a (-1); ▁a+bc is no piece. */
    expect_ids(v, "abc", (llamac_token[]){263, 266}, 2);
    /* x is no piece: ▁ then byte fallback <0x78>. */
    expect_ids(v, "x", (llamac_token[]){259, 3 + 0x78}, 2);
    /* User-defined pieces are cut out whole even without parse_special;
     * the text after a special piece gets the ▁ prefix again. */
    expect_ids(v, "a<tool>b", (llamac_token[]){263, 268, 259, 261}, 4);
    llamac_vocab_free(v);
}

static void spm_equal_scores_merge_leftmost_first(void **state) {
    (void)state;
    file_spec s = spm_spec();
    s.add_space_prefix = 0; /* no ▁ in front, so "aaa" has two equal candidates */
    llamac_vocab *v = load_ok(&s, NULL);
    expect_ids(v, "aaa", (llamac_token[]){267, 260}, 2);
    llamac_vocab_free(v);
}

static void spm_piece_joining_a_char_to_a_following_space_disables_word_split(void **state) {
    (void)state;
    file_spec s = spm_spec();
    s.n_tokens = s.n_scores = s.n_types = SPM_N; /* with "x▁" (-100) */
    llamac_vocab *v = load_ok(&s, NULL);
    /* ▁x▁a: the merge x+▁ crosses the word boundary before ▁a, so the text
     * cannot be merged word by word. Scores: ▁a (-1) first, then x▁ is no
     * longer possible (its ▁ joined a), so: ▁, <0x78>, ▁a. With "x b":
     * ▁x▁b: x▁ (-100) is the only merge: ▁, x▁, b. */
    expect_ids(v, "x a", (llamac_token[]){259, 3 + 0x78, 263}, 3);
    expect_ids(v, "x b", (llamac_token[]){259, 269, 261}, 3);
    llamac_vocab_free(v);
}

/* ---- refusing bad files ---- */

static void file_without_tokenizer_is_not_found(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    s.model = NULL;
    expect_load_error(&s, NULL, LLAMAC_ERR_NOT_FOUND, "tokenizer.ggml.model");
}

static void unknown_tokenizers_are_unsupported(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    s.model = "bert";
    expect_load_error(&s, NULL, LLAMAC_ERR_UNSUPPORTED, "'bert'");
    s = bpe_spec();
    s.pre = "qwen2";
    expect_load_error(&s, NULL, LLAMAC_ERR_UNSUPPORTED, "'qwen2'");
    s.pre = NULL;
    expect_load_error(&s, NULL, LLAMAC_ERR_UNSUPPORTED, "(absent)");
    s.pre = "llama3";
    llamac_vocab *v = load_ok(&s, NULL);
    llamac_vocab_free(v);
}

static void missing_or_empty_token_list_is_refused(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    s.tokens = NULL;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.tokens is missing");
    s = bpe_spec();
    s.n_tokens = 0;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.tokens is empty");
}

static void tokens_key_of_the_wrong_type(llamac_gguf_writer *w) {
    assert_int_equal(llamac_gguf_writer_set_string(w, "tokenizer.ggml.tokens", "abc"), LLAMAC_OK);
}

static void mistyped_arrays_are_refused(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    s.tokens = NULL;
    expect_load_error(&s, tokens_key_of_the_wrong_type, LLAMAC_ERR_TYPE, "tokenizer.ggml.tokens is not an array");
}

static void scores_as_int32(llamac_gguf_writer *w) {
    int32_t x[13] = {0};
    assert_int_equal(llamac_gguf_writer_set_value(w, "tokenizer.ggml.scores", LLAMAC_GGUF_INT32, true, x, 13), LLAMAC_OK);
}

static void inconsistent_arrays_are_refused(void **state) {
    (void)state;
    file_spec s = spm_spec();
    s.n_scores = 100;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.scores has 100 entries but tokenizer.ggml.tokens has 269");
    s = spm_spec();
    s.n_types = 5;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.token_type has 5 entries");
    s = bpe_spec();
    expect_load_error(&s, scores_as_int32, LLAMAC_ERR_TYPE, "tokenizer.ggml.scores holds INT32 elements");
}

static void bad_values_are_refused(void **state) {
    (void)state;
    file_spec s = spm_spec();
    spm_types[7] = 9;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.token_type[7] is 9");
    spm_types[7] = 6;
    spm_tok[7] = "<0xZZ>";
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "token 7 is a BYTE token but its text '<0xZZ>'");
    spm_tok[7] = spm_bytes[4];
    float saved = spm_scores[260];
    spm_scores[260] = NAN;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.scores[260] is NaN");
    spm_scores[260] = saved;
}

static void bad_merges_are_refused(void **state) {
    (void)state;
    file_spec s = bpe_spec();
    s.merges = NULL;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.merges is missing");
    static const char *const no_space[] = {"b c", "abc"};
    s.merges = no_space;
    s.n_merges = 2;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "tokenizer.ggml.merges[1] 'abc' is not two parts");
    static const char *const outside[] = {"a b c"};
    s.merges = outside;
    s.n_merges = 1;
    expect_load_error(&s, NULL, LLAMAC_ERR_FORMAT, "outside the byte-level alphabet");
}

static void bos_as_string(llamac_gguf_writer *w) {
    assert_int_equal(llamac_gguf_writer_set_string(w, "tokenizer.ggml.bos_token_id", "1"), LLAMAC_OK);
}

static void add_bos_as_u32(llamac_gguf_writer *w) {
    assert_int_equal(llamac_gguf_writer_set_u32(w, "tokenizer.ggml.add_bos_token", 1), LLAMAC_OK);
}

static void bos_out_of_range(llamac_gguf_writer *w) {
    assert_int_equal(llamac_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 5000), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_i32(w, "tokenizer.ggml.padding_token_id", -1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 268), LLAMAC_OK);
}

typedef struct log_capture {
    char text[1024];
} log_capture;

static void capture(void *user, llamac_log_level level, const char *msg) {
    log_capture *c = user;
    if (level == LLAMAC_LOG_WARN) snprintf(c->text + strlen(c->text), sizeof c->text - strlen(c->text), "%s\n", msg);
}

static void special_ids_are_checked(void **state) {
    (void)state;
    file_spec s = spm_spec();
    expect_load_error(&s, bos_as_string, LLAMAC_ERR_TYPE, "tokenizer.ggml.bos_token_id is not an integer");
    expect_load_error(&s, add_bos_as_u32, LLAMAC_ERR_TYPE, "tokenizer.ggml.add_bos_token is not a bool");
    /* An id outside the vocabulary is logged and the default (1) kept;
     * -1 means "none". */
    log_capture c = {{0}};
    llamac_vocab_params p = llamac_vocab_default_params();
    p.log_fn = capture;
    p.log_user = &c;
    llamac_vocab *v;
    assert_int_equal(llamac_vocab_load(write_file(&s, bos_out_of_range), &p, &v), LLAMAC_OK);
    assert_int_equal(llamac_vocab_bos(v), 1);
    assert_int_equal(llamac_vocab_eos(v), 268);
    assert_int_equal(llamac_vocab_pad(v), LLAMAC_TOKEN_NULL);
    assert_non_null(strstr(c.text, "tokenizer.ggml.bos_token_id = 5000"));
    llamac_vocab_free(v);
}

static void params_from_a_newer_header_are_refused(void **state) {
    (void)state;
    file_spec s = spm_spec();
    llamac_vocab_params p = llamac_vocab_default_params();
    p.struct_size += 16;
    llamac_vocab *v = (llamac_vocab *)1;
    assert_int_equal(llamac_vocab_load(write_file(&s, NULL), &p, &v), LLAMAC_ERR_INVALID_ARG);
    assert_null(v);
    assert_int_equal(llamac_vocab_load(NULL, NULL, &v), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_vocab_load("/nonexistent/v.gguf", NULL, &v), LLAMAC_ERR_IO);
    llamac_vocab_free(NULL);
}

/* ---- allocation failures ---- */

typedef struct budget {
    long live, left; /* left < 0: unlimited */
} budget;

static void *b_malloc(void *u, size_t n) {
    budget *b = u;
    if (b->left == 0) return NULL;
    if (b->left > 0) b->left--;
    b->live++;
    return malloc(n);
}
static void *b_realloc(void *u, void *p, size_t n) {
    budget *b = u;
    if (b->left == 0) return NULL;
    if (b->left > 0) b->left--;
    if (!p) b->live++;
    return realloc(p, n);
}
static void b_free(void *u, void *p) {
    budget *b = u;
    if (p) b->live--;
    free(p);
}

static void every_allocation_failure_is_reported_without_leaks(void **state) {
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        file_spec s = kind ? bpe_spec() : spm_spec();
        const char *path = write_file(&s, NULL);
        budget b = {0, -1};
        llamac_allocator a = {b_malloc, b_realloc, b_free, &b};
        llamac_vocab_params p = llamac_vocab_default_params();
        p.allocator = &a;
        int failures = 0;
        for (long k = 0;; k++) {
            b.left = k;
            llamac_vocab *v = NULL;
            llamac_status st = llamac_vocab_load(path, &p, &v);
            if (st == LLAMAC_OK) {
                llamac_vocab_free(v);
                assert_int_equal(b.live, 0);
                break;
            }
            assert_int_equal(st, LLAMAC_ERR_NO_MEMORY);
            assert_null(v);
            assert_int_equal(b.live, 0);
            failures++;
        }
        assert_true(failures > 5);

        /* Tokenizing and streaming with an allocator that runs out. */
        b.left = -1;
        llamac_vocab *v;
        assert_int_equal(llamac_vocab_load(path, &p, &v), LLAMAC_OK);
        long base = b.live;
        const char *text = "abc abc xyz aaa ab\xFF x";
        for (long k = 0; k < 40; k++) {
            b.left = k;
            llamac_token t[64];
            int32_t n;
            llamac_status st = llamac_tokenize(v, text, strlen(text), t, 64, true, true, &n);
            assert_true(st == LLAMAC_OK || st == LLAMAC_ERR_NO_MEMORY);
            assert_int_equal(b.live, base);
            llamac_detok *d = NULL;
            if (llamac_detok_new(v, NULL, &d) == LLAMAC_OK) {
                const char *out;
                size_t len;
                for (int i = 0; i < 3; i++) {
                    st = llamac_detok_push(d, 4, &out, &len);
                    assert_true(st == LLAMAC_OK || st == LLAMAC_ERR_NO_MEMORY);
                }
                llamac_detok_free(d);
            }
            assert_int_equal(b.live, base);
        }
        b.left = -1;
        llamac_vocab_free(v);
        assert_int_equal(b.live, 0);
    }
}

/* Seeded random byte changes to the tiny vocabulary files: every result
 * must be a vocab or an error status, never a crash or a leak; a vocab
 * that loads must tokenize and detokenize whatever it is given. */
static void mutated_vocab_files_load_or_fail_cleanly(void **state) {
    (void)state;
    uint64_t seed = 42;
    int loaded = 0, refused = 0;
    for (int kind = 0; kind < 2; kind++) {
        file_spec s = kind ? bpe_spec() : spm_spec();
        size_t size;
        char *orig = test_read_file(write_file(&s, NULL), &size);
        assert_non_null(orig);
        char *buf = malloc(size);
        budget b = {0, -1};
        llamac_allocator a = {b_malloc, b_realloc, b_free, &b};
        llamac_vocab_params p = llamac_vocab_default_params();
        p.allocator = &a;
        llamac_gguf_params gp = llamac_gguf_default_params();
        gp.allocator = &a;
        for (int i = 0; i < 1500; i++) {
            memcpy(buf, orig, size);
            int changes = 1 + (int)(tv_rand(&seed) % 4);
            for (int c = 0; c < changes; c++) {
                size_t at = 24 + (size_t)(tv_rand(&seed) % (size - 24)); /* past the header counts */
                uint64_t r = tv_rand(&seed);
                buf[at] = (r & 1) ? (char)(r >> 8) : (char)(buf[at] ^ (1 << ((r >> 8) % 8)));
            }
            llamac_gguf *g = NULL;
            if (llamac_gguf_open_memory(buf, size, &gp, &g) != LLAMAC_OK) continue;
            llamac_vocab *v = NULL;
            llamac_status st = llamac_vocab_from_gguf(g, &p, &v);
            llamac_gguf_free(g); /* the vocab must not need the file */
            if (st != LLAMAC_OK) {
                assert_null(v);
                assert_true(st == LLAMAC_ERR_FORMAT || st == LLAMAC_ERR_TYPE || st == LLAMAC_ERR_UNSUPPORTED || st == LLAMAC_ERR_NOT_FOUND);
                assert_true(strlen(llamac_last_error()) > 0);
                refused++;
                continue;
            }
            loaded++;
            char text[128];
            size_t len = tv_random_text(&seed, text, 0, sizeof text, false);
            llamac_token t[300];
            int32_t n;
            st = llamac_tokenize(v, text, len, t, 300, true, (i & 1) != 0, &n);
            assert_true(st == LLAMAC_OK || st == LLAMAC_ERR_UNSUPPORTED); /* no byte token, no unk */
            if (st == LLAMAC_OK) {
                char out[1024];
                size_t out_len;
                assert_int_equal(llamac_detokenize(v, t, n, out, sizeof out, true, true, &out_len), LLAMAC_OK);
            }
            llamac_vocab_free(v);
            assert_int_equal(b.live, 0);
        }
        free(buf);
        free(orig);
    }
    assert_true(loaded > 100 && refused > 100); /* both outcomes were exercised */
}

int main(void) {
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown,
                     bpe_merges_lowest_rank_first_then_leftmost,
                     bpe_keeps_a_pretoken_that_is_a_token_whole,
                     spm_merges_highest_score_first,
                     spm_equal_scores_merge_leftmost_first,
                     spm_piece_joining_a_char_to_a_following_space_disables_word_split,
                     file_without_tokenizer_is_not_found,
                     unknown_tokenizers_are_unsupported,
                     missing_or_empty_token_list_is_refused,
                     mistyped_arrays_are_refused,
                     inconsistent_arrays_are_refused,
                     bad_values_are_refused,
                     bad_merges_are_refused,
                     special_ids_are_checked,
                     params_from_a_newer_header_are_refused,
                     every_allocation_failure_is_reported_without_leaks,
                     mutated_vocab_files_load_or_fail_cleanly);
}
