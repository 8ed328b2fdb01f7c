/* Exact token ids against two independent references:
 *   - ../shared/vocab/ggml-vocab-NAME.gguf.inp and .out: the reference test strings and ids for
 *     both Llama vocabularies (add_special and parse_special off);
 *   - tests/data/oracle-llama-*.txt: 1000 seeded random mixed-script
 *     strings per vocabulary, tokenized by llama-tokenizer-js and
 *     llama3-tokenizer-js (scripts/gen_tokenizer_oracle.mjs).
 * Every string must also detokenize back to the same bytes. */
#include "test_vocab_util.h"

#include <string.h>

static int32_t parse_ids(const char *s, const char *end, llamac_token *ids, int32_t cap) {
    int32_t n = 0;
    while (s < end) {
        char *next;
        long x = strtol(s, &next, 10);
        if (next == s) break;
        assert_true(n < cap);
        ids[n++] = (llamac_token)x;
        s = next;
    }
    return n;
}

static void expect_ids(const llamac_vocab *v, const char *text, size_t len, bool parse_special,
                       const llamac_token *want, int32_t n_want, const char *where) {
    int32_t n;
    llamac_token *got = tv_tokenize(v, text, len, false, parse_special, &n);
    if (n != n_want || memcmp(got, want, sizeof *got * (size_t)n) != 0) {
        fprintf(stderr, "%s: \"%.*s\"\n  want:", where, (int)len, text);
        for (int32_t i = 0; i < n_want; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n  got: ");
        for (int32_t i = 0; i < n; i++) fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\n");
        fail_msg("%s: token ids differ", where);
    }
    size_t back_len;
    char *back = tv_detokenize(v, got, n, false, parse_special, &back_len);
    if (back_len != len || memcmp(back, text, len) != 0)
        fail_msg("%s: detokenized \"%.*s\" instead of \"%.*s\"", where, (int)back_len, back, (int)len, text);
    free(back);
    free(got);
}

static void check_shared_vectors(const llamac_vocab *v, const char *name) {
    char rel[128], b1[512], b2[512];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf.inp", name);
    const char *inp_path = shared_path(b1, sizeof b1, rel);
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf.out", name);
    const char *out_path = shared_path(b2, sizeof b2, rel);
    if (!v || !inp_path || !out_path) {
        skip();
        return;
    }
    size_t n_inp, n_out;
    char *inp = test_read_file(inp_path, &n_inp), *out = test_read_file(out_path, &n_out);
    assert_non_null(inp);
    assert_non_null(out);
    static const char sep[] = "\n__ggml_vocab_test__\n";
    const char *s = inp, *o = out;
    int count = 0;
    for (;;) {
        const char *e = strstr(s, sep);
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *oe = strchr(o, '\n');
        if (!oe) oe = o + strlen(o); /* last line without newline */
        llamac_token want[1024];
        int32_t n_want = parse_ids(o, oe, want, 1024);
        char where[64];
        snprintf(where, sizeof where, "%s string %d", name, count);
        expect_ids(v, s, len, false, want, n_want, where);
        count++;
        o = *oe ? oe + 1 : oe;
        if (!e) break;
        s = e + strlen(sep);
    }
    assert_true(count >= 40); /* the files hold 47 strings */
    free(inp);
    free(out);
}

static void spm_matches_shared_vectors_and_round_trips(void **state) {
    check_shared_vectors(((tv_vocabs *)*state)->spm, "llama-spm");
}

static void bpe_matches_shared_vectors_and_round_trips(void **state) {
    check_shared_vectors(((tv_vocabs *)*state)->bpe, "llama-bpe");
}

static void check_oracle(const llamac_vocab *v, const char *file) {
    if (!v) {
        skip();
        return;
    }
    char path[512];
    size_t n;
    char *data = test_read_file(tv_data_path(path, sizeof path, file), &n);
    if (!data) fail_msg("cannot read %s (set LLAMAC_TEST_DATA)", path);
    int count = 0;
    for (char *line = data; *line;) {
        char *eol = strchr(line, '\n');
        if (!eol) eol = line + strlen(line);
        if (*line != '#') {
            char *t1 = memchr(line, '\t', (size_t)(eol - line));
            char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1)) : NULL;
            assert_non_null(t2);
            size_t hex_len = (size_t)(t2 - t1 - 1);
            char *text = malloc(hex_len / 2 + 1);
            assert_true(tv_hex_decode(t1 + 1, hex_len, text));
            llamac_token want[4096];
            int32_t n_want = parse_ids(t2 + 1, eol, want, 4096);
            char where[96];
            snprintf(where, sizeof where, "%s line %d", file, count + 3);
            expect_ids(v, text, hex_len / 2, line[0] == '1', want, n_want, where);
            free(text);
            count++;
        }
        line = *eol ? eol + 1 : eol;
    }
    assert_int_equal(count, 1000);
    free(data);
}

static void spm_matches_independent_tokenizer_on_random_text(void **state) {
    check_oracle(((tv_vocabs *)*state)->spm, "oracle-llama-spm.txt");
}

static void bpe_matches_independent_tokenizer_on_random_text(void **state) {
    check_oracle(((tv_vocabs *)*state)->bpe, "oracle-llama-bpe.txt");
}

int main(void) {
    return run_cases(tv_vocabs_setup, tv_vocabs_teardown,
                     spm_matches_shared_vectors_and_round_trips,
                     bpe_matches_shared_vectors_and_round_trips,
                     spm_matches_independent_tokenizer_on_random_text,
                     bpe_matches_independent_tokenizer_on_random_text);
}
