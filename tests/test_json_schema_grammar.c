/* JSON Schema grammars through llamac's GBNF engine (llamac.h sections 12
 * and 13): every grammar of the peer's conversion cases parses, and the
 * schemas of the peer's grammar integration test
 * (tests/data/json_schema/peer_integration.json, from llama.cpp's
 * tests/test-grammar-integration.cpp at c392e50) accept exactly the
 * strings the peer's grammars accept and reject the ones they reject. */
#include "test_files.h"
#include "test_util.h"

#include "common/json.h"
#include "llamac.h"

#include <string.h>

static char *convert(const char *schema, size_t len, size_t *n) {
    assert_int_equal(llamac_json_schema_to_grammar(schema, len, 0, NULL, NULL, 0, n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    char *g = malloc(*n + 1);
    assert_int_equal(llamac_json_schema_to_grammar(schema, len, 0, NULL, g, *n, n), LLAMAC_OK);
    g[*n] = '\0';
    return g;
}

static lc_json *load_cases(const char *file, char **text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/json_schema/%s", getenv("LLAMAC_TEST_DATA"), file);
    size_t len = 0;
    *text = test_read_file(path, &len);
    assert_non_null(*text);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    assert_int_equal(lc_json_parse(&env, *text, len, NULL, &root), LLAMAC_OK);
    return root;
}

static void free_cases(lc_json *root, char *text) {
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json_free(&env, root);
    free(text);
}

/* The peer's own check ("Check Expectations Validity"): each expected
 * grammar parses and has a root; here our converter's output (equal to it
 * byte for byte, test json_schema) goes through llamac's parser. */
static void converted_peer_grammars_parse(void **state) {
    (void)state;
    char *text;
    lc_json *root = load_cases("peer_cases.json", &text);
    const lc_json *cases = lc_json_get(root, "cases");
    size_t n_parsed = 0;
    for (size_t i = 0; i < lc_json_count(cases); i++) {
        const lc_json *tc = lc_json_at(cases, i);
        if (strcmp(lc_json_string(lc_json_get(tc, "status"), NULL), "SUCCESS") != 0) continue;
        size_t slen, n;
        const char *schema = lc_json_string(lc_json_get(tc, "schema"), &slen);
        char *g = convert(schema, slen, &n);
        int32_t line = -1, col = -1;
        if (llamac_grammar_check(g, n, NULL, &line, &col) != LLAMAC_OK)
            fail_msg("case '%s': %s\n%s", lc_json_string(lc_json_get(tc, "name"), NULL), llamac_last_error(), g);
        n_parsed++;
        free(g);
    }
    assert_int_equal(n_parsed, 63);
    free_cases(root, text);
}

/* Whether the whole string is a match of the grammar. */
static bool matches(llamac_grammar_matcher *m, const char *s, size_t len) {
    llamac_grammar_matcher_reset(m);
    size_t taken = 0;
    assert_int_equal(llamac_grammar_matcher_feed(m, s, len, &taken), LLAMAC_OK);
    if (taken < len) return false;
    bool complete = false;
    assert_int_equal(llamac_grammar_matcher_complete(m, &complete), LLAMAC_OK);
    return complete;
}

static void peer_integration_schemas_accept_and_reject_as_the_peer(void **state) {
    (void)state;
    char *text;
    lc_json *root = load_cases("peer_integration.json", &text);
    const lc_json *cases = lc_json_get(root, "cases");
    size_t n_cases = 0, n_strings = 0, n_bad = 0;
    for (size_t i = 0; i < lc_json_count(cases); i++) {
        const lc_json *tc = lc_json_at(cases, i);
        const char *name = lc_json_string(lc_json_get(tc, "name"), NULL);
        size_t slen, n;
        const char *schema = lc_json_string(lc_json_get(tc, "schema"), &slen);
        char *g = convert(schema, slen, &n);
        llamac_grammar_matcher *m = NULL;
        if (llamac_grammar_matcher_new(g, n, NULL, NULL, &m) != LLAMAC_OK)
            fail_msg("case '%s': %s\n%s", name, llamac_last_error(), g);
        for (int pass = 1; pass >= 0; pass--) {
            const lc_json *list = lc_json_get(tc, pass ? "accept" : "reject");
            for (size_t k = 0; k < lc_json_count(list); k++) {
                size_t len;
                const char *s = lc_json_string(lc_json_at(list, k), &len);
                n_strings++;
                if (matches(m, s, len) != (bool)pass) {
                    fprintf(stderr, "case '%s': %s '%s'\n", name, pass ? "rejects" : "accepts", s);
                    n_bad++;
                }
            }
        }
        llamac_grammar_matcher_free(m);
        free(g);
        n_cases++;
    }
    fprintf(stderr, "%zu schemas, %zu strings, %zu differ from the peer\n", n_cases, n_strings, n_bad);
    assert_int_equal(n_cases, 32);
    assert_int_equal(n_strings, 237);
    assert_int_equal(n_bad, 0);
    free_cases(root, text);
}

int main(void) {
    return run_cases(NULL, NULL, converted_peer_grammars_parse, peer_integration_schemas_accept_and_reject_as_the_peer);
}
