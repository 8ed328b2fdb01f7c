/* The public tokenizer API on the two Llama vocabularies of ../shared:
 * special tokens, BOS/EOS, buffer sizing, pieces, error statuses, hostile
 * input (empty, NUL bytes, ill-formed UTF-8, a 10 MB word), concurrency.
 * Expected ids come from the GGUF token lists (dumped independently), the
 * ../shared test vectors, or the JS oracle, as noted at each. */
#include "test_vocab_util.h"

#include <pthread.h>
#include <string.h>

#define SPM(state) ((tv_vocabs *)*(state))->spm
#define BPE(state) ((tv_vocabs *)*(state))->bpe
#define NEED(v) \
    if (!(v)) { skip(); return; }

static void expect_tokens(const llamac_vocab *v, const char *text, size_t len, bool add_special,
                          bool parse_special, const llamac_token *want, int32_t n_want) {
    int32_t n;
    llamac_token *got = tv_tokenize(v, text, len, add_special, parse_special, &n);
    assert_int_equal(n, n_want);
    if (n) assert_memory_equal(got, want, sizeof *got * (size_t)n);
    free(got);
}

static void expect_detok(const llamac_vocab *v, const llamac_token *t, int32_t n, bool remove_special,
                         bool unparse_special, const char *want) {
    size_t len;
    char *got = tv_detokenize(v, t, n, remove_special, unparse_special, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len);
    free(got);
}

/* Token `t` renders (llamac_token_to_piece, lstrip and special as given)
 * as exactly the n bytes of want. */
static void expect_piece(const llamac_vocab *v, llamac_token t, int32_t lstrip, bool special, const char *want,
                         size_t n) {
    char buf[64];
    size_t got = 0;
    assert_int_equal(llamac_token_to_piece(v, t, buf, sizeof buf, lstrip, special, &got), LLAMAC_OK);
    assert_int_equal(got, n);
    assert_memory_equal(buf, want, n);
}

/* ---- vocabulary facts (from the GGUF token lists) ---- */

static void queries_report_the_file_contents(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    assert_int_equal(llamac_vocab_get_type(spm), LLAMAC_VOCAB_SPM);
    assert_int_equal(llamac_vocab_get_type(bpe), LLAMAC_VOCAB_BPE);
    assert_int_equal(llamac_vocab_n_tokens(spm), 32000);
    assert_int_equal(llamac_vocab_n_tokens(bpe), 128256);
    assert_int_equal(llamac_vocab_bos(spm), 1);
    assert_int_equal(llamac_vocab_eos(spm), 2);
    assert_int_equal(llamac_vocab_unk(spm), 0);
    assert_int_equal(llamac_vocab_pad(spm), LLAMAC_TOKEN_NULL);
    assert_int_equal(llamac_vocab_bos(bpe), 128000);
    assert_int_equal(llamac_vocab_eos(bpe), 128009);
    assert_int_equal(llamac_vocab_eot(bpe), 128009); /* <|eot_id|>, found by text */
    assert_int_equal(llamac_vocab_eom(bpe), 128008); /* <|eom_id|> */
    assert_int_equal(llamac_vocab_unk(bpe), LLAMAC_TOKEN_NULL);
    assert_true(llamac_vocab_add_bos(spm) && llamac_vocab_add_bos(bpe));
    assert_false(llamac_vocab_add_eos(spm) || llamac_vocab_add_eos(bpe));

    size_t len;
    assert_string_equal(llamac_vocab_token_text(bpe, 9906, &len), "Hello");
    assert_int_equal(len, 5);
    assert_string_equal(llamac_vocab_token_text(spm, 15043, NULL), "\xE2\x96\x81Hello");
    assert_null(llamac_vocab_token_text(spm, 32000, &len));
    assert_int_equal(llamac_vocab_find(bpe, "Hello", 5), 9906);
    assert_int_equal(llamac_vocab_find(spm, "<0x0A>", 6), 13);
    assert_int_equal(llamac_vocab_find(spm, "no such token", 13), LLAMAC_TOKEN_NULL);
    assert_int_equal(llamac_vocab_token_type(spm, 0), LLAMAC_TOKEN_TYPE_UNKNOWN);
    assert_int_equal(llamac_vocab_token_type(spm, 1), LLAMAC_TOKEN_TYPE_CONTROL);
    assert_int_equal(llamac_vocab_token_type(spm, 3), LLAMAC_TOKEN_TYPE_BYTE);
    assert_int_equal(llamac_vocab_token_type(bpe, 128000), LLAMAC_TOKEN_TYPE_CONTROL);
    assert_int_equal(llamac_vocab_token_type(bpe, -1), LLAMAC_TOKEN_TYPE_UNDEFINED);
    assert_true(llamac_vocab_token_score(spm, 261) == -2.0f); /* "er" */
    assert_true(llamac_vocab_is_control(bpe, 128009));
    assert_false(llamac_vocab_is_control(bpe, 9906));
}

static void end_of_generation_covers_eos_eot_eom_and_end_of_text(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    assert_true(llamac_vocab_is_eog(bpe, 128009));  /* <|eot_id|> (eos) */
    assert_true(llamac_vocab_is_eog(bpe, 128008));  /* <|eom_id|> */
    assert_true(llamac_vocab_is_eog(bpe, 128001));  /* <|end_of_text|> */
    assert_false(llamac_vocab_is_eog(bpe, 128000)); /* <|begin_of_text|> */
    assert_false(llamac_vocab_is_eog(bpe, 9906));
    assert_false(llamac_vocab_is_eog(bpe, 128256));
    assert_false(llamac_vocab_is_eog(bpe, -5));
    assert_true(llamac_vocab_is_eog(spm, 2));
    assert_false(llamac_vocab_is_eog(spm, 1));
}

/* ---- BOS/EOS and special tokens ---- */

static void add_special_prepends_bos(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* The example; 9906 1917 also in the ../shared vectors. */
    expect_tokens(bpe, "Hello world", 11, true, false, (llamac_token[]){128000, 9906, 1917}, 3);
    expect_tokens(spm, "Hello world", 11, true, false, (llamac_token[]){1, 15043, 3186}, 3);
    expect_tokens(bpe, "", 0, true, false, (llamac_token[]){128000}, 1);
    expect_tokens(spm, "", 0, true, false, (llamac_token[]){1}, 1);
}

static void parse_special_turns_special_text_into_one_token(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* The JS oracle (which always parses specials) gives 64 128009 65. */
    expect_tokens(bpe, "a<|eot_id|>b", 12, false, true, (llamac_token[]){64, 128009, 65}, 3);
    expect_tokens(bpe, "<|begin_of_text|>Hello", 22, false, true, (llamac_token[]){128000, 9906}, 2);
    /* SPM puts ▁ before the text after a special token (15043 = ▁Hello). */
    expect_tokens(spm, "<s>Hello", 8, false, true, (llamac_token[]){1, 15043}, 2);
    expect_tokens(spm, "</s>", 4, false, true, (llamac_token[]){2}, 1);
    expect_tokens(spm, "<unk>", 5, false, true, (llamac_token[]){0}, 1);
}

static void without_parse_special_special_text_is_plain_text(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* llama-tokenizer-js (never parses specials): ▁a < s > b </ s > */
    expect_tokens(spm, "a<s>b</s>", 9, false, false,
                  (llamac_token[]){263, 29966, 29879, 29958, 29890, 829, 29879, 29958}, 8);
    int32_t n;
    llamac_token *t = tv_tokenize(bpe, "a<|eot_id|>b", 12, false, false, &n);
    assert_true(n > 3);
    for (int32_t i = 0; i < n; i++) assert_true(t[i] < 128000);
    size_t len;
    char *back = tv_detokenize(bpe, t, n, false, false, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(back, "a<|eot_id|>b", 12);
    free(back);
    free(t);
    /* A byte token's spelling typed as text stays text. */
    t = tv_tokenize(spm, "<0x41>", 6, false, false, &n);
    for (int32_t i = 0; i < n; i++) assert_int_not_equal(llamac_vocab_token_type(spm, t[i]), LLAMAC_TOKEN_TYPE_BYTE);
    free(t);
}

/* llamac_tokenize_flags into a fresh array (caller frees); *n the count. */
static llamac_token *tokenize_flags(const llamac_vocab *v, const char *text, uint32_t flags, int32_t *n) {
    const size_t len = strlen(text);
    int32_t need = 0;
    llamac_status st = llamac_tokenize_flags(v, text, len, NULL, 0, flags, &need);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) fail_msg("tokenize_flags: %s", llamac_last_error());
    llamac_token *t = malloc(sizeof *t * (size_t)(need + 1));
    assert_int_equal(llamac_tokenize_flags(v, text, len, t, need, flags, n), LLAMAC_OK);
    assert_int_equal(*n, need);
    return t;
}

static void expect_flags(const llamac_vocab *v, const char *text, uint32_t flags, const llamac_token *want,
                         int32_t n_want) {
    int32_t n;
    llamac_token *got = tokenize_flags(v, text, flags, &n);
    if (n != n_want) fail_msg("'%s' flags %u: %d tokens, want %d", text, (unsigned)flags, (int)n, (int)n_want);
    if (n) assert_memory_equal(got, want, sizeof *got * (size_t)n);
    free(got);
}

#define ADD LLAMAC_TOKENIZE_ADD_SPECIAL
#define PARSE LLAMAC_TOKENIZE_PARSE_SPECIAL
#define ONCE LLAMAC_TOKENIZE_BOS_ONCE

static void flags_without_bos_once_equal_the_two_booleans(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    static const char *const texts[] = {"", "Hello world", "<s>Hello", "<|begin_of_text|>Hi<|eot_id|>", "a</s>b"};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
            for (uint32_t f = 0; f < 4; f++) {
                int32_t n1, n2;
                llamac_token *a = tv_tokenize(k ? bpe : spm, texts[i], strlen(texts[i]), f & ADD, f & PARSE, &n1);
                llamac_token *b = tokenize_flags(k ? bpe : spm, texts[i], f, &n2);
                assert_int_equal(n1, n2);
                if (n1) assert_memory_equal(a, b, sizeof *a * (size_t)n1);
                free(a);
                free(b);
            }
}

static void bos_once_skips_the_bos_a_rendered_template_already_has(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* The double BOS that BOS once exists to avoid (ids as in
     * parse_special_turns_special_text_into_one_token). */
    expect_flags(bpe, "<|begin_of_text|>Hello", ADD | PARSE, (llamac_token[]){128000, 128000, 9906}, 3);
    expect_flags(bpe, "<|begin_of_text|>Hello", ADD | PARSE | ONCE, (llamac_token[]){128000, 9906}, 2);
    expect_flags(spm, "<s>Hello", ADD | PARSE, (llamac_token[]){1, 1, 15043}, 3);
    expect_flags(spm, "<s>Hello", ADD | PARSE | ONCE, (llamac_token[]){1, 15043}, 2);
    /* the same tokens as the bare text with add_special */
    expect_flags(spm, "Hello", ADD | ONCE, (llamac_token[]){1, 15043}, 2);
    expect_flags(bpe, "Hello", ADD | PARSE | ONCE, (llamac_token[]){128000, 9906}, 2);
    expect_flags(bpe, "", ADD | PARSE | ONCE, (llamac_token[]){128000}, 1);
    /* only one BOS is dropped: a text with two keeps both */
    expect_flags(spm, "<s><s>Hello", ADD | PARSE | ONCE, (llamac_token[]){1, 1, 15043}, 3);
    /* without ADD_SPECIAL there is no BOS to skip */
    expect_flags(spm, "Hello", ONCE, (llamac_token[]){15043}, 1);
    expect_flags(bpe, "<|begin_of_text|>Hello", PARSE | ONCE, (llamac_token[]){128000, 9906}, 2);
    /* another special token first, or a space before the BOS text: BOS added */
    expect_flags(bpe, "<|eot_id|>", ADD | PARSE | ONCE, (llamac_token[]){128000, 128009}, 2);
    int32_t n;
    llamac_token *t = tokenize_flags(bpe, " <|begin_of_text|>", ADD | PARSE | ONCE, &n);
    assert_int_equal(n, 3);
    assert_int_equal(t[0], 128000);
    assert_int_not_equal(t[1], 128000);
    assert_int_equal(t[2], 128000);
    free(t);
}

static void bos_once_without_parse_special_still_adds_bos(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* The BOS text is then plain text (the tokens of without_parse_special_
     * special_text_is_plain_text), so the tokens do not begin with BOS. */
    int32_t n;
    llamac_token *t = tokenize_flags(spm, "<s>b", ADD | ONCE, &n);
    assert_true(n >= 4);
    assert_int_equal(t[0], 1);
    for (int32_t i = 1; i < n; i++) assert_int_not_equal(t[i], 1);
    free(t);
    t = tokenize_flags(bpe, "<|begin_of_text|>", ADD | ONCE, &n);
    assert_true(n > 2);
    assert_int_equal(t[0], 128000);
    for (int32_t i = 1; i < n; i++) assert_true(t[i] < 128000);
    free(t);
}

static void tokenize_flags_refuses_unknown_bits(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    llamac_token t[8];
    int32_t n = 5;
    assert_int_equal(llamac_tokenize_flags(bpe, "Hi", 2, t, 8, 8u, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_non_null(strstr(llamac_last_error(), "llamac_tokenize_flags: unknown flag bits 0x8"));
    n = 5;
    assert_int_equal(llamac_tokenize_flags(bpe, "Hi", 2, t, 8, ADD | 0x80000000u, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(llamac_tokenize_flags(bpe, "Hi", 2, t, 8, ADD | PARSE | ONCE, &n), LLAMAC_OK);
    assert_int_equal(n, 2);
    /* buffer sizing as llamac_tokenize: the count needed, the first ones written */
    assert_int_equal(llamac_tokenize_flags(bpe, "<|begin_of_text|>Hello world", 28, t, 1, ADD | PARSE | ONCE, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(t[0], 128000);
}

#undef ADD
#undef PARSE
#undef ONCE

/* ---- detokenization ---- */

static void pieces_decode_bytes_spaces_and_specials(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    expect_piece(bpe, 9906, 0, false, "Hello", 5);
    expect_piece(bpe, 22691, 0, false, " Hello", 6); /* ĠHello */
    expect_piece(spm, 15043, 0, false, " Hello", 6); /* ▁Hello */
    expect_piece(spm, 15043, 1, false, "Hello", 5); /* lstrip */
    expect_piece(spm, 3 + 0x41, 0, false, "A", 1); /* <0x41> */
    expect_piece(spm, 3, 0, false, "\0", 1); /* <0x00>: a NUL byte */
    expect_piece(spm, 1, 0, false, "", 0); /* control, not rendered */
    expect_piece(spm, 1, 0, true, "<s>", 3);
    expect_piece(bpe, 128009, 0, true, "<|eot_id|>", 10);
}

static void piece_buffer_too_small_reports_size_needed(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    char buf[4];
    for (size_t size = 0; size <= sizeof buf; size += sizeof buf) { /* no buffer, then 4 bytes: "Hello" needs 5 */
        size_t n = 0;
        assert_int_equal(llamac_token_to_piece(bpe, 9906, size ? buf : NULL, size, 0, false, &n),
                         LLAMAC_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(n, 5);
    }
}

static void out_of_range_ids_are_not_found(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    char buf[64];
    size_t n = 99;
    assert_int_equal(llamac_token_to_piece(bpe, 128256, buf, sizeof buf, 0, false, &n), LLAMAC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_int_equal(llamac_token_to_piece(bpe, -1, buf, sizeof buf, 0, false, &n), LLAMAC_ERR_NOT_FOUND);
    llamac_token bad[] = {9906, 1917, 200000};
    assert_int_equal(llamac_detokenize(bpe, bad, 3, buf, sizeof buf, false, false, &n), LLAMAC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_non_null(strstr(llamac_last_error(), "tokens[2] = 200000"));
    llamac_token neg[] = {INT32_MIN};
    assert_int_equal(llamac_detokenize(bpe, neg, 1, buf, sizeof buf, false, false, &n), LLAMAC_ERR_NOT_FOUND);
    llamac_detok *d;
    assert_int_equal(llamac_detok_new(bpe, NULL, &d), LLAMAC_OK);
    const char *text;
    size_t len;
    assert_int_equal(llamac_detok_push(d, 128256, &text, &len), LLAMAC_ERR_NOT_FOUND);
    assert_int_equal(len, 0);
    llamac_detok_free(d);
}

static void detokenize_drops_bos_and_renders_specials_on_request(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    llamac_token s[] = {1, 15043, 3186, 2};
    expect_detok(spm, s, 4, true, false, "Hello world");
    expect_detok(spm, s, 4, false, false, "Hello world");
    expect_detok(spm, s, 4, false, true, "<s>Hello world</s>");
    expect_detok(spm, s + 1, 2, false, false, "Hello world");
    llamac_token b[] = {128000, 9906, 1917, 128009};
    expect_detok(bpe, b, 4, false, false, "Hello world");
    expect_detok(bpe, b, 4, false, true, "<|begin_of_text|>Hello world<|eot_id|>");
    expect_detok(bpe, b, 4, true, true, "Hello world<|eot_id|>"); /* add_eos is off: EOS stays */
}

static void detokenize_buffer_too_small_reports_size_needed(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    llamac_token b[] = {9906, 1917};
    char buf[8];
    size_t n;
    assert_int_equal(llamac_detokenize(bpe, b, 2, buf, sizeof buf, false, false, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "Hello wo", 8); /* what fits is written */
}

static void tokenize_buffer_too_small_reports_count_needed(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    llamac_token t[2] = {-7, -7};
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(bpe, "Hello world", 11, t, 2, true, false, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(t[0], 128000);
    assert_int_equal(t[1], 9906);
    assert_int_equal(llamac_tokenize(bpe, "Hello world", 11, NULL, 0, true, false, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(llamac_tokenize(bpe, "", 0, NULL, 0, false, false, &n), LLAMAC_OK);
    assert_int_equal(n, 0);
}

static void tokenize_rejects_bad_arguments(void **state) {
    llamac_vocab *bpe = BPE(state);
    NEED(bpe);
    llamac_token t[4];
    int32_t n = 5;
    assert_int_equal(llamac_tokenize(NULL, "x", 1, t, 4, false, false, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(llamac_tokenize(bpe, NULL, 1, t, 4, false, false, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_tokenize(bpe, "x", 1, t, -1, false, false, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_tokenize(bpe, "x", 1, NULL, 4, false, false, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_tokenize(bpe, "x", (size_t)1 << 40, t, 4, false, false, &n), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_tokenize(bpe, "x", 1, t, 4, false, false, NULL), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_tokenize(bpe, NULL, 0, t, 4, false, false, &n), LLAMAC_OK);
    assert_int_equal(n, 0);
}

/* ---- hostile input ---- */

static void embedded_nul_is_an_ordinary_byte(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* SPM: ▁a then <0x00> (id 3) then b; BPE: the NUL byte's token is the
     * one spelled U+0100 in the byte alphabet. */
    expect_tokens(spm, "a\0b", 3, false, false, (llamac_token[]){263, 3, 29890}, 3);
    llamac_token nul = llamac_vocab_find(bpe, "\xC4\x80", 2);
    assert_int_not_equal(nul, LLAMAC_TOKEN_NULL);
    expect_tokens(bpe, "a\0b", 3, false, false, (llamac_token[]){64, nul, 65}, 3);
    char buf[4];
    size_t n;
    assert_int_equal(llamac_detokenize(bpe, (llamac_token[]){64, nul, 65}, 3, buf, sizeof buf, false, false, &n),
                     LLAMAC_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "a\0b", 3);
}

static void ill_formed_utf8_becomes_byte_tokens(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    /* SPM: ▁ (29871) then byte fallback <0xFF> = 3 + 0xFF. */
    expect_tokens(spm, "\xFF", 1, false, false, (llamac_token[]){29871, 3 + 0xFF}, 2);
    /* BPE: byte 0xFF is spelled U+00FF (ÿ) in the byte alphabet. */
    llamac_token ff = llamac_vocab_find(bpe, "\xC3\xBF", 2);
    assert_int_not_equal(ff, LLAMAC_TOKEN_NULL);
    expect_tokens(bpe, "\xFF", 1, false, false, (llamac_token[]){ff}, 1);
    static const char *const bad[] = {"\xC3", "\xC3(", "\xE2\x82", "\xE2\x82(", "\xED\xA0\x80", "\xC0\x80",
                                      "\xF4\x90\x80\x80", "\x80\x80 a", "a \xF0\x9F\x98", "\xFE\xFF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = strlen(bad[i]);
        for (int k = 0; k < 2; k++) {
            const llamac_vocab *v = k ? bpe : spm;
            int32_t n;
            llamac_token *t = tv_tokenize(v, bad[i], len, false, false, &n);
            size_t back_len;
            char *back = tv_detokenize(v, t, n, false, false, &back_len);
            assert_int_equal(back_len, len);
            assert_memory_equal(back, bad[i], len);
            free(back);
            free(t);
        }
    }
}

static void streaming_detok_holds_an_incomplete_character_until_flush(void **state) {
    llamac_vocab *spm = SPM(state);
    NEED(spm);
    llamac_detok *d;
    assert_int_equal(llamac_detok_new(spm, NULL, &d), LLAMAC_OK);
    const char *text;
    size_t len;
    /* "€" is E2 82 AC: three byte tokens. */
    assert_int_equal(llamac_detok_push(d, 3 + 0xE2, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 0);
    assert_int_equal(llamac_detok_push(d, 3 + 0x82, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 0);
    assert_int_equal(llamac_detok_push(d, 3 + 0xAC, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(text, "\xE2\x82\xAC", 3);
    /* A truncated character is released by flush, as is. */
    assert_int_equal(llamac_detok_push(d, 3 + 0xF0, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 0);
    assert_int_equal(llamac_detok_flush(d, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 1);
    assert_int_equal((unsigned char)text[0], 0xF0);
    /* Bytes that cannot start a character are not held. */
    assert_int_equal(llamac_detok_push(d, 3 + 0xFF, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 1);
    assert_int_equal(llamac_detok_push(d, 3 + 0xE0, &text, &len), LLAMAC_OK);
    assert_int_equal(len, 0);
    assert_int_equal(llamac_detok_push(d, 3 + 0x80, &text, &len), LLAMAC_OK); /* E0 80: never valid */
    assert_int_equal(len, 2);
    llamac_detok_free(d);
}

static void streaming_detok_strips_the_leading_space_only_when_asked(void **state) {
    llamac_vocab *spm = SPM(state);
    NEED(spm);
    llamac_detok_params p = llamac_detok_default_params();
    for (int strip = 0; strip < 2; strip++) {
        p.strip_leading_space = strip;
        llamac_detok *d;
        assert_int_equal(llamac_detok_new(spm, &p, &d), LLAMAC_OK);
        const char *text;
        size_t len;
        assert_int_equal(llamac_detok_push(d, 15043, &text, &len), LLAMAC_OK);
        assert_int_equal(len, strip ? 5 : 6);
        assert_memory_equal(text, strip ? "Hello" : " Hello", len);
        assert_int_equal(llamac_detok_push(d, 3186, &text, &len), LLAMAC_OK);
        assert_memory_equal(text, " world", 6);
        /* After a special token the tokenizer adds ▁ again: dropped only
         * when the stream is a whole text. */
        assert_int_equal(llamac_detok_push(d, 1, &text, &len), LLAMAC_OK);
        assert_int_equal(len, 0);
        assert_int_equal(llamac_detok_push(d, 15043, &text, &len), LLAMAC_OK);
        assert_int_equal(len, strip ? 5 : 6);
        assert_memory_equal(text, strip ? "Hello" : " Hello", len);
        llamac_detok_free(d);
    }
    p.struct_size = sizeof p + 8; /* from a newer header */
    llamac_detok *d = (llamac_detok *)1;
    assert_int_equal(llamac_detok_new(spm, &p, &d), LLAMAC_ERR_INVALID_ARG);
    assert_null(d);
}

/* 10 MB of one letter is one pre-token and one merge run: it must finish
 * (the merge queue keeps this near linear) and round-trip. */
static void ten_megabyte_single_word_tokenizes_and_round_trips(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    size_t len = 10u << 20;
    char *text = malloc(len);
    memset(text, 'a', len);
    for (int k = 0; k < 2; k++) {
        const llamac_vocab *v = k ? bpe : spm;
        llamac_token *t = malloc(sizeof *t * (len + 2));
        int32_t n;
        assert_int_equal(llamac_tokenize(v, text, len, t, (int32_t)len + 2, false, false, &n), LLAMAC_OK);
        assert_true(n > 0 && (size_t)n < len / 2);
        size_t back_len;
        char *back = tv_detokenize(v, t, n, false, false, &back_len);
        assert_int_equal(back_len, len);
        assert_memory_equal(back, text, len);
        free(back);
        free(t);
    }
    free(text);
}

typedef struct job {
    const llamac_vocab *v;
    uint64_t seed;
    int mismatches;
} job;

static void *tokenize_many(void *arg) {
    job *j = arg;
    char buf[512];
    uint64_t seed = j->seed;
    for (int i = 0; i < 300; i++) {
        size_t len = tv_random_text(&seed, buf, 0, sizeof buf, true);
        llamac_token a[600], b[600];
        int32_t na, nb;
        if (llamac_tokenize(j->v, buf, len, a, 600, true, true, &na) != LLAMAC_OK) j->mismatches++;
        if (llamac_tokenize(j->v, buf, len, b, 600, true, true, &nb) != LLAMAC_OK) j->mismatches++;
        if (na != nb || memcmp(a, b, sizeof *a * (size_t)na) != 0) j->mismatches++;
        char back[600];
        size_t n;
        if (llamac_detokenize(j->v, a, na, back, sizeof back, true, true, &n) != LLAMAC_OK || n != len ||
            memcmp(back, buf, len) != 0)
            j->mismatches++;
    }
    return NULL;
}

static void concurrent_tokenize_on_one_vocab_agrees(void **state) {
    llamac_vocab *spm = SPM(state), *bpe = BPE(state);
    NEED(spm && bpe);
    pthread_t th[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){i % 2 ? bpe : spm, (uint64_t)(i / 2 + 100), 0};
        assert_int_equal(pthread_create(&th[i], NULL, tokenize_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].mismatches, 0);
    }
}

int main(void) {
    return run_cases(tv_vocabs_setup, tv_vocabs_teardown,
                     queries_report_the_file_contents,
                     end_of_generation_covers_eos_eot_eom_and_end_of_text,
                     add_special_prepends_bos,
                     parse_special_turns_special_text_into_one_token,
                     without_parse_special_special_text_is_plain_text,
                     flags_without_bos_once_equal_the_two_booleans,
                     bos_once_skips_the_bos_a_rendered_template_already_has,
                     bos_once_without_parse_special_still_adds_bos,
                     tokenize_flags_refuses_unknown_bits,
                     pieces_decode_bytes_spaces_and_specials,
                     piece_buffer_too_small_reports_size_needed,
                     out_of_range_ids_are_not_found,
                     detokenize_drops_bos_and_renders_specials_on_request,
                     detokenize_buffer_too_small_reports_size_needed,
                     tokenize_buffer_too_small_reports_count_needed,
                     tokenize_rejects_bad_arguments,
                     embedded_nul_is_an_ordinary_byte,
                     ill_formed_utf8_becomes_byte_tokens,
                     streaming_detok_holds_an_incomplete_character_until_flush,
                     streaming_detok_strips_the_leading_space_only_when_asked,
                     ten_megabyte_single_word_tokenizes_and_round_trips,
                     concurrent_tokenize_on_one_vocab_agrees);
}
