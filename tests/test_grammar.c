/* GBNF grammars (llamac.h section 12): parser errors with their places,
 * matching (hand-worked accept/reject strings), hostile grammars in
 * bounded time, the sampler's masking against the matcher, and generation
 * on the shipped model constrained by grammars/json.gbnf. */
#include "test_util.h"

#include "common/internal.h"
#include "common/json.h"
#include "llamac.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the bound is on work, not on the machine's load */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whole-input match: 1 match, 0 no match (*at = first refused byte or len), -1 grammar error. */
static int match(const char *grammar, const char *input, size_t *at) {
    llamac_grammar_matcher *m = NULL;
    if (llamac_grammar_matcher_new(grammar, strlen(grammar), NULL, NULL, &m) != LLAMAC_OK) return -1;
    size_t used = 0;
    const size_t n = strlen(input);
    assert_int_equal(llamac_grammar_matcher_feed(m, input, n, &used), LLAMAC_OK);
    bool done = false;
    assert_int_equal(llamac_grammar_matcher_complete(m, &done), LLAMAC_OK);
    llamac_grammar_matcher_free(m);
    if (at) *at = used;
    return used == n && done;
}

static void check_error(const char *grammar, llamac_status want, int32_t line, int32_t col, const char *needle) {
    int32_t l = -1, c = -1;
    llamac_status st = llamac_grammar_check(grammar, strlen(grammar), NULL, &l, &c);
    if (st != want || l != line || c != col || !strstr(llamac_last_error(), needle))
        fail_msg("grammar <<%s>>: got %s at %d:%d '%s', want %s at %d:%d with '%s'", grammar, llamac_status_name(st),
                 (int)l, (int)c, llamac_last_error(), llamac_status_name(want), (int)line, (int)col, needle);
}

/* Each message and place worked out by hand from the text. */
static void test_parse_errors(void **state) {
    (void)state;
    check_error("root ::= \"abc\n", LLAMAC_ERR_FORMAT, 1, 14, "unterminated");
    check_error("root ::= [abc", LLAMAC_ERR_FORMAT, 1, 10, "unterminated character class");
    check_error("root ::= ( \"a\"", LLAMAC_ERR_FORMAT, 1, 15, "expected ')'");
    /* the '(' on an earlier line is named by its own line and column */
    check_error("root ::= ( \"a\"\n  \"b\"\n", LLAMAC_ERR_FORMAT, 3, 1, "close the '(' at line 1, column 10");
    check_error("root ::= \"a\"\nfoo := \"b\"", LLAMAC_ERR_FORMAT, 2, 5, "expected '::='");
    check_error("root ::= \"a\" bar\n", LLAMAC_ERR_FORMAT, 1, 14, "undefined rule 'bar'");
    check_error("main ::= \"a\"\n", LLAMAC_ERR_FORMAT, 0, 0, "no rule named 'root'");
    check_error("root ::= \"\\q\"", LLAMAC_ERR_FORMAT, 1, 11, "unknown escape");
    check_error("root ::= \"\\x4\"", LLAMAC_ERR_FORMAT, 1, 14, "hex digits");
    check_error("root ::= * \"a\"", LLAMAC_ERR_FORMAT, 1, 10, "expected an item before '*'");
    check_error("root ::= \"a\"{3,2}", LLAMAC_ERR_FORMAT, 1, 18, "below the minimum");
    check_error("root ::= \"a\"{10001}", LLAMAC_ERR_LIMIT, 1, 14, "limit of 10000");
    check_error("root ::= \"a\"\r\nroot ::= \"b\"\r\n", LLAMAC_ERR_FORMAT, 2, 1, "defined twice");
    check_error("root ::= \"a\" )", LLAMAC_ERR_FORMAT, 1, 14, "expected an item, '|' or the end of the line");
    check_error("root ::= \"\xff\"", LLAMAC_ERR_FORMAT, 1, 11, "invalid UTF-8");
    check_error("root ::= [\xed\xa0\x80]", LLAMAC_ERR_FORMAT, 1, 11, "invalid UTF-8");
    /* llama.cpp's tests/test-grammar-integration.cpp (c392e50), test_failure_left_recursion */
    check_error("root ::= \"a\" | root \"a\"", LLAMAC_ERR_FORMAT, 1, 1, "left recursion");
    check_error("root ::= asdf\nasdf ::= \"a\" | asdf \"a\"\n", LLAMAC_ERR_FORMAT, 2, 1, "left recursion");
    check_error("root ::= asdf\nasdf ::= \"a\" | foo \"b\"\nfoo ::= \"c\" | asdf \"d\" | \"e\"", LLAMAC_ERR_FORMAT, 2, 1,
                "left recursion");
    check_error("root ::= asdf\nasdf ::= \"a\" | foo \"b\"\nfoo ::= \"c\" | empty asdf \"d\" | \"e\"\n"
                "empty ::= \"blah\" | ",
                LLAMAC_ERR_FORMAT, 2, 1, "left recursion");
    /* nullable through a chain of rules (llama.cpp misses this one) */
    check_error("root ::= e1 root \"x\" | \"y\"\ne1 ::= e2\ne2 ::= \"\" | \"z\"\n", LLAMAC_ERR_FORMAT, 1, 1,
                "left recursion");
}

static void test_matching(void **state) {
    (void)state;
    size_t at;
    /* escapes, classes, negation, '.', CRLF, comments */
    const char *g1 = "# comment\r\nroot ::= \"\\x41\\u00e9\\U0001F600\\t\" [a-c\\]x] [^0-9] . # end\r\n";
    assert_int_equal(match(g1, "A\xc3\xa9\xf0\x9f\x98\x80\t]Z\xe2\x82\xac", &at), 1);
    assert_int_equal(match(g1, "A\xc3\xa9\xf0\x9f\x98\x80\tdZ!", &at), 0);
    assert_int_equal(at, 8); /* 'd' is outside [a-c\]x] */
    assert_int_equal(match(g1, "A\xc3\xa9\xf0\x9f\x98\x80\ta5!", &at), 0);
    assert_int_equal(at, 9);
    /* repetitions */
    const char *g2 = "root ::= \"a\"{2,3} \"b\"? (\"c\" | \"d\")* \"e\"+ \"f\"{2} \"g\"{1,}\n";
    assert_int_equal(match(g2, "aaeffg", NULL), 1);
    assert_int_equal(match(g2, "aaabcdcceeeffggg", NULL), 1);
    assert_int_equal(match(g2, "aaaa", &at), 0);
    assert_int_equal(at, 3);
    assert_int_equal(match(g2, "aaeff", &at), 0); /* a proper prefix: all bytes taken, not complete */
    assert_int_equal(at, 5);
    assert_int_equal(match(g2, "aaefg", &at), 0);
    assert_int_equal(at, 4);
    /* newlines inside parentheses and after '|' continue a rule */
    assert_int_equal(match("root ::= (\n  \"x\"\n  | \"y\" )\n  \"z\"", "xz", NULL), -1); /* "z" on a new line: no */
    assert_int_equal(match("root ::= (\n  \"x\"\n  | \"y\" ) |\n  \"z\"", "z", NULL), 1);
    /* {2000} accepted and matched exactly (issue #27087 of the peer) */
    char *big = malloc(2002);
    memset(big, 'a', 2001);
    big[2001] = 0;
    assert_int_equal(match("root ::= \"a\"{2000}", big, &at), 0);
    assert_int_equal(at, 2000);
    big[2000] = 0;
    assert_int_equal(match("root ::= \"a\"{2000}", big, NULL), 1);
    free(big);
    /* nullable items under a star, accepted (tail loop) */
    assert_int_equal(match("root ::= ( [x]* )*", "xxxx", NULL), 1);
    assert_int_equal(match("root ::= ( \"a\"? \"b\"? )* \"c\"", "abbac", NULL), 1);
}

/* UTF-8 split over feeds, and prefixes that can never complete. */
static void test_utf8_pieces(void **state) {
    (void)state;
    const char *g = "root ::= [^a]+";
    llamac_grammar_matcher *m = NULL;
    assert_int_equal(llamac_grammar_matcher_new(g, strlen(g), NULL, NULL, &m), LLAMAC_OK);
    size_t used;
    bool done;
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xe2", 1, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    assert_int_equal(llamac_grammar_matcher_complete(m, &done), LLAMAC_OK);
    assert_false(done); /* inside a sequence */
    assert_int_equal(llamac_grammar_matcher_feed(m, "\x82\xac", 2, &used), LLAMAC_OK);
    assert_int_equal(used, 2);
    assert_int_equal(llamac_grammar_matcher_complete(m, &done), LLAMAC_OK);
    assert_true(done);
    /* ED A0: a surrogate's prefix, never well-formed */
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xed\xa0\x80", 3, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    llamac_grammar_matcher_reset(m);
    /* overlong E0 80, F4 90 (past 10FFFF), C0, FF */
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xe0\x80", 2, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    llamac_grammar_matcher_reset(m);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xf4\x90", 2, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    llamac_grammar_matcher_reset(m);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xc0", 1, &used), LLAMAC_OK);
    assert_int_equal(used, 0);
    llamac_grammar_matcher_free(m);
    /* a partial sequence is refused when no allowed code point starts with it */
    const char *g2 = "root ::= [\\u00e0-\\u00ff]";
    assert_int_equal(llamac_grammar_matcher_new(g2, strlen(g2), NULL, NULL, &m), LLAMAC_OK);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xe2", 1, &used), LLAMAC_OK);
    assert_int_equal(used, 0);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xc3", 1, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\x9f", 1, &used), LLAMAC_OK); /* U+00DF < E0 */
    assert_int_equal(used, 0);
    assert_int_equal(llamac_grammar_matcher_feed(m, "\xa0", 1, &used), LLAMAC_OK);
    assert_int_equal(used, 1);
    llamac_grammar_matcher_free(m);
}

/* Hostile grammars: an error or an answer, each within a second. */
static void hostile(const char *grammar, const char *input, llamac_status want_check) {
    const double t0 = now_s();
    llamac_status st = llamac_grammar_check(grammar, strlen(grammar), NULL, NULL, NULL);
    if (st != want_check) fail_msg("check: %s (%s)", llamac_status_name(st), llamac_last_error());
    if (st == LLAMAC_OK && input) {
        llamac_grammar_matcher *m = NULL;
        st = llamac_grammar_matcher_new(grammar, strlen(grammar), NULL, NULL, &m);
        assert_true(st == LLAMAC_OK || st == LLAMAC_ERR_LIMIT); /* the start may already be too ambiguous */
        size_t used;
        if (m) st = llamac_grammar_matcher_feed(m, input, strlen(input), &used);
        assert_true(st == LLAMAC_OK || st == LLAMAC_ERR_LIMIT);
        llamac_grammar_matcher_free(m);
    }
    const double dt = now_s() - t0;
    print_message("%.3f s CPU: %.60s\n", dt, grammar);
    if (dt > 1.0) fail_msg("took %.2f s", dt);
}

static void test_hostile(void **state) {
    (void)state;
    const size_t n = 60000;
    char *g = malloc(2 * n + 32), *in = malloc(5001);
    strcpy(g, "root ::= ");
    size_t k = strlen(g);
    for (size_t i = 0; i < n; i++) g[k++] = '(';
    g[k++] = '"', g[k++] = 'a', g[k++] = '"';
    for (size_t i = 0; i < n; i++) g[k++] = ')';
    g[k] = 0;
    hostile(g, NULL, LLAMAC_ERR_LIMIT);
    memset(in, 'a', 5000);
    in[5000] = 0;
    hostile("root ::= \"a\"{5000}", in, LLAMAC_OK);
    hostile("root ::= (\"a\"{0,100}){0,100}", in, LLAMAC_OK);
    hostile("root ::= ((\"a\"{0,100}){0,100}){0,100}", in, LLAMAC_OK);
    hostile("root ::= ( [a]* )*", in, LLAMAC_OK);
    hostile("root ::= ( ( [a]* )* )*", in, LLAMAC_OK);
    hostile("root ::= \"a\"{10000}{10000}", NULL, LLAMAC_ERR_LIMIT);
    hostile("root ::= \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"{10000}{10}"
            "{10}", NULL, LLAMAC_ERR_LIMIT);
    hostile("root ::= \"a\" | root \"a\"", NULL, LLAMAC_ERR_FORMAT);
    hostile("root ::= a\na ::= b \"x\"\nb ::= c\nc ::= \"\" | a", NULL, LLAMAC_ERR_FORMAT);
    /* 10,000 alternatives */
    char *alts = malloc(10000 * 8 + 32);
    strcpy(alts, "root ::= ");
    k = strlen(alts);
    for (int i = 0; i < 10000; i++) k += (size_t)sprintf(alts + k, "%s\"%d\"", i ? "|" : "", i);
    hostile(alts, "9999", LLAMAC_OK);
    assert_int_equal(match(alts, "9999", NULL), 1);
    assert_int_equal(match(alts, "10000", NULL), 0);
    free(alts);
    free(g);
    free(in);
}

/* The sampler's mask equals the matcher's verdict on each token's text,
 * over the shipped model's vocabulary, at several points of a JSON text. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return s;
}

static char json_gbnf[4096];

/* The byte token <0xNN> of a SentencePiece vocabulary: its text is that one byte. */
static llamac_token byte_token(const llamac_vocab *vocab, unsigned char b) {
    char name[8];
    snprintf(name, sizeof name, "<0x%02X>", b);
    llamac_token t = llamac_vocab_find(vocab, name, strlen(name));
    assert_true(t != LLAMAC_TOKEN_NULL);
    return t;
}

static void test_sampler_mask(void **state) {
    (void)state;
    llamac_model *model = NULL;
    assert_int_equal(llamac_model_load(shipped_model_path(), NULL, &model), LLAMAC_OK);
    const llamac_vocab *vocab = llamac_model_vocab(model);
    const int32_t nv = llamac_vocab_n_tokens(vocab);
    llamac_sampler *s = llamac_sampler_init_grammar(vocab, json_gbnf, strlen(json_gbnf), NULL, NULL);
    assert_non_null(s);
    llamac_token_data *d = malloc((size_t)nv * sizeof *d);
    const char *prefixes[] = {"", "{", "{\"k", "{\"k\": [1", "{\"k\": [1, \"\xc3", "{\"k\": {}}"};
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++) {
        llamac_sampler_reset(s);
        /* advance by tokenizing the prefix byte-wise through single-byte tokens where possible */
        llamac_grammar_matcher *m = NULL;
        assert_int_equal(llamac_grammar_matcher_new(json_gbnf, strlen(json_gbnf), NULL, NULL, &m), LLAMAC_OK);
        llamac_token toks[64];
        int32_t nt = 0;
        for (const char *c = prefixes[p]; *c; c++) toks[nt++] = byte_token(vocab, (unsigned char)*c);
        for (int32_t i = 0; i < nt; i++) {
            char piece[64];
            size_t n;
            assert_int_equal(llamac_token_to_piece(vocab, toks[i], piece, sizeof piece, 0, false, &n), LLAMAC_OK);
            size_t used;
            assert_int_equal(llamac_grammar_matcher_feed(m, piece, n, &used), LLAMAC_OK);
            assert_int_equal(used, n);
            assert_int_equal(llamac_sampler_accept(s, toks[i]), LLAMAC_OK);
        }
        bool done;
        assert_int_equal(llamac_grammar_matcher_complete(m, &done), LLAMAC_OK);
        for (int32_t i = 0; i < nv; i++) d[i] = (llamac_token_data){.id = i, .logit = 0.0f};
        llamac_token_data_array cur = {.data = d, .size = (size_t)nv, .selected = -1, .sorted = false};
        assert_int_equal(llamac_sampler_apply(s, &cur), LLAMAC_OK);
        int32_t n_allowed = 0;
        for (int32_t i = 0; i < nv; i++) {
            char piece[128];
            size_t n;
            assert_int_equal(llamac_token_to_piece(vocab, i, piece, sizeof piece, 0, false, &n), LLAMAC_OK);
            bool want;
            if (llamac_vocab_is_eog(vocab, i)) {
                want = done;
            } else if (n == 0) {
                want = false;
            } else {
                llamac_grammar_matcher *c = NULL;
                assert_int_equal(llamac_grammar_matcher_new(json_gbnf, strlen(json_gbnf), NULL, NULL, &c), LLAMAC_OK);
                size_t used;
                assert_int_equal(llamac_grammar_matcher_feed(c, prefixes[p], strlen(prefixes[p]), &used), LLAMAC_OK);
                assert_int_equal(llamac_grammar_matcher_feed(c, piece, n, &used), LLAMAC_OK);
                want = used == n;
                llamac_grammar_matcher_free(c);
            }
            const bool got = !isinf(d[i].logit);
            if (got != want) fail_msg("prefix '%s' token %d '%.*s': sampler %d, matcher %d", prefixes[p], (int)i, (int)n,
                                      piece, got, want);
            bool allows;
            assert_int_equal(llamac_sampler_grammar_allows(s, i, &allows), LLAMAC_OK);
            assert_int_equal(allows, want);
            n_allowed += got;
        }
        assert_true(n_allowed > 0);
        llamac_grammar_matcher_free(m);
    }
    /* a clone continues like the original; accept of a refused token changes nothing */
    llamac_sampler_reset(s);
    const llamac_token brace = byte_token(vocab, '}');
    assert_int_equal(llamac_sampler_accept(s, brace), LLAMAC_ERR_INVALID_ARG);
    llamac_sampler *c = llamac_sampler_clone(s);
    assert_non_null(c);
    bool a1, a2;
    assert_int_equal(llamac_sampler_grammar_allows(c, brace, &a1), LLAMAC_OK);
    assert_int_equal(llamac_sampler_grammar_allows(s, brace, &a2), LLAMAC_OK);
    assert_false(a1);
    assert_false(a2);
    llamac_sampler_free(c);
    /* an invalid grammar: NULL and the parser's message */
    assert_null(llamac_sampler_init_grammar(vocab, "root ::= (", 10, NULL, NULL));
    assert_non_null(strstr(llamac_last_error(), "line 1, column 11"));
    free(d);
    llamac_sampler_free(s);
    llamac_model_free(model);
}

/* 20 seeds on the shipped model with grammars/json.gbnf: every output is
 * accepted by the matcher byte for byte; outputs that ended by EOG are
 * complete and parse as JSON (lib/common/json.h). */
static void test_generate_json(void **state) {
    (void)state;
    llamac_model *model = NULL;
    assert_int_equal(llamac_model_load(shipped_model_path(), NULL, &model), LLAMAC_OK);
    const llamac_vocab *vocab = llamac_model_vocab(model);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 256;
    cp.n_threads = 2;
    int n_complete = 0;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        llamac_context *ctx = NULL;
        assert_int_equal(llamac_context_new(model, &cp, &ctx), LLAMAC_OK);
        llamac_sampler *chain = llamac_sampler_chain_new(NULL);
        assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_grammar(vocab, json_gbnf,
                                                                                     strlen(json_gbnf), NULL, NULL)),
                         LLAMAC_OK);
        assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(40, NULL)), LLAMAC_OK);
        assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_dist(seed, NULL)), LLAMAC_OK);
        llamac_generator_params gp = llamac_generator_default_params();
        gp.n_predict = 48;
        llamac_generator *gen = NULL;
        assert_int_equal(llamac_generator_new(ctx, chain, &gp, &gen), LLAMAC_OK);
        llamac_token prompt[64];
        int32_t np = 0;
        assert_int_equal(llamac_tokenize(vocab, "And God said", 12, prompt, 64, true, false, &np), LLAMAC_OK);
        assert_int_equal(llamac_generator_prompt(gen, prompt, np), LLAMAC_OK);
        char out[4096];
        size_t len = 0;
        llamac_generation_step step;
        do {
            assert_int_equal(llamac_generator_next(gen, &step), LLAMAC_OK);
            assert_true(len + step.text_len < sizeof out);
            memcpy(out + len, step.text, step.text_len);
            len += step.text_len;
        } while (step.stop == LLAMAC_STOP_NONE);
        out[len] = 0;
        llamac_grammar_matcher *m = NULL;
        assert_int_equal(llamac_grammar_matcher_new(json_gbnf, strlen(json_gbnf), NULL, NULL, &m), LLAMAC_OK);
        size_t used;
        bool done;
        assert_int_equal(llamac_grammar_matcher_feed(m, out, len, &used), LLAMAC_OK);
        if (used != len) fail_msg("seed %d: output '%s' refused at byte %zu", (int)seed, out, used);
        assert_int_equal(llamac_grammar_matcher_complete(m, &done), LLAMAC_OK);
        if (step.stop == LLAMAC_STOP_EOG) {
            assert_true(done);
            lc_json *doc = NULL;
            if (lc_json_parse(&env, out, len, NULL, &doc) != LLAMAC_OK) fail_msg("seed %d: '%s' is not JSON: %s", (int)seed,
                                                                          out, llamac_last_error());
            lc_json_free(&env, doc);
            n_complete++;
        }
        llamac_grammar_matcher_free(m);
        llamac_generator_free(gen);
        llamac_sampler_free(chain);
        llamac_context_free(ctx);
    }
    print_message("json.gbnf: %d of 20 outputs ended by EOG (complete, valid JSON); the rest hit n_predict\n",
                  n_complete);
    llamac_model_free(model);
}

/* llama.cpp's own grammar tests as data (tests/data/grammar_peer_cases.json,
 * extracted by scripts/grammar_peer_cases.py from its commit c392e50): each
 * case's grammar builds, accepts its passing strings and rejects its
 * failing ones; its invalid grammars are refused, its valid ones (parser
 * tests and the .gbnf files of its grammars folder) accepted. */
static void test_peer_cases(void **state) {
    (void)state;
    char path[1024];
    const char *data = getenv("LLAMAC_TEST_DATA");
    snprintf(path, sizeof path, "%s/grammar_peer_cases.json", data ? data : "tests/data");
    size_t n;
    char *text = read_file(path, &n);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *doc = NULL;
    assert_int_equal(lc_json_parse(&env, text, n, NULL, &doc), LLAMAC_OK);
    const lc_json *cases = lc_json_get(doc, "cases");
    assert_true(lc_json_count(cases) >= 11);
    int n_strings = 0;
    for (size_t i = 0; i < lc_json_count(cases); i++) {
        const lc_json *c = lc_json_at(cases, i);
        const char *name = lc_json_string(lc_json_get(c, "name"), NULL);
        const char *g = lc_json_string(lc_json_get(c, "grammar"), NULL);
        if (llamac_grammar_check(g, strlen(g), NULL, NULL, NULL) != LLAMAC_OK)
            fail_msg("%s: %s", name, llamac_last_error());
        for (int want = 1; want >= 0; want--) {
            const lc_json *list = lc_json_get(c, want ? "accept" : "reject");
            for (size_t k = 0; k < lc_json_count(list); k++) {
                const char *in = lc_json_string(lc_json_at(list, k), NULL);
                if (match(g, in, NULL) != want) fail_msg("%s: '%s' should %s", name, in, want ? "match" : "not match");
                n_strings++;
            }
        }
    }
    const lc_json *invalid = lc_json_get(doc, "invalid"), *valid = lc_json_get(doc, "valid");
    assert_int_equal(lc_json_count(invalid), 8);
    for (size_t i = 0; i < lc_json_count(invalid); i++) {
        const char *g = lc_json_string(lc_json_at(invalid, i), NULL);
        if (llamac_grammar_check(g, strlen(g), NULL, NULL, NULL) != LLAMAC_ERR_FORMAT)
            fail_msg("invalid grammar %zu accepted: %s", i, g);
    }
    assert_true(lc_json_count(valid) >= 22);
    for (size_t i = 0; i < lc_json_count(valid); i++) {
        const char *g = lc_json_string(lc_json_at(valid, i), NULL);
        if (llamac_grammar_check(g, strlen(g), NULL, NULL, NULL) != LLAMAC_OK)
            fail_msg("valid grammar %zu refused: %s\n%s", i, llamac_last_error(), g);
    }
    print_message("peer cases: %zu grammars, %d strings, %zu invalid, %zu valid grammars\n", lc_json_count(cases),
                  n_strings, lc_json_count(invalid), lc_json_count(valid));
    lc_json_free(&env, doc);
    free(text);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    char path[1024];
    const char *data = getenv("LLAMAC_GRAMMARS");
    snprintf(path, sizeof path, "%s/json.gbnf", data ? data : "grammars");
    size_t n;
    char *s = read_file(path, &n);
    assert_true(n < sizeof json_gbnf);
    memcpy(json_gbnf, s, n + 1);
    free(s);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_matching), cmocka_unit_test(test_utf8_pieces),
        cmocka_unit_test(test_hostile),      cmocka_unit_test(test_sampler_mask), cmocka_unit_test(test_peer_cases),
        cmocka_unit_test(test_generate_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
