/* JSON Schema -> GBNF (llamac_json_schema_to_grammar): llama.cpp's own
 * conversion cases (tests/data/json_schema/peer_cases.json, ported from
 * its tests/test-json-schema-to-grammar.cpp at c392e50) byte for byte, the
 * buffer convention, the flags, and hostile schemas that must end in a
 * status and a message. */
#include "test_alloc.h"
#include "test_files.h"
#include "test_util.h"

#include "common/json.h"
#include "llamac.h"

#include <string.h>
#include <time.h>

/* Converts text; returns the status, *out the NUL-terminated grammar
 * (freed by the caller) when OK. */
static llamac_status convert(const char *text, size_t len, uint32_t flags, char **out) {
    size_t n = 0;
    llamac_status st = llamac_json_schema_to_grammar(text, len, flags, NULL, NULL, 0, &n);
    *out = NULL;
    if (st == LLAMAC_OK) {
        *out = calloc(1, 1);
        return st;
    }
    if (st != LLAMAC_ERR_BUFFER_TOO_SMALL) return st;
    char *buf = malloc(n + 1);
    size_t n2 = 0;
    st = llamac_json_schema_to_grammar(text, len, flags, NULL, buf, n + 1, &n2);
    assert_int_equal(st, LLAMAC_OK);
    assert_int_equal(n2, n);
    buf[n] = '\0';
    *out = buf;
    return st;
}

static llamac_status convert_str(const char *text, uint32_t flags, char **out) {
    return convert(text, strlen(text), flags, out);
}

static void assert_grammar(const char *schema, uint32_t flags, const char *want) {
    char *g = NULL;
    llamac_status st = convert_str(schema, flags, &g);
    if (st) fail_msg("%s: %s", schema, llamac_last_error());
    if (strcmp(g, want) != 0) fail_msg("schema %s\n-- want:\n%s-- got:\n%s", schema, want, g);
    free(g);
}

static void assert_refused(const char *schema, llamac_status want, const char *needle) {
    size_t n = 1;
    const clock_t t0 = clock();
    llamac_status st = llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, NULL, 0, &n);
    const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (st != want)
        fail_msg("%.80s: status %s, want %s (%s)", schema, llamac_status_name(st), llamac_status_name(want),
                 llamac_last_error());
    assert_int_equal(n, 0);
    if (!strstr(llamac_last_error(), needle)) fail_msg("message '%s' lacks '%s'", llamac_last_error(), needle);
    if (secs > 1.0) fail_msg("refusing took %.2f s", secs);
}

/* Every case of the peer's test: SUCCESS ones give exactly its grammar
 * (its test compares after trimming; the ported text is trimmed and ends
 * in a newline, which the output must match byte for byte), FAILURE ones
 * fail. */
static void peer_conversion_cases_match_byte_for_byte(void **state) {
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/json_schema/peer_cases.json", getenv("LLAMAC_TEST_DATA"));
    size_t len = 0;
    char *text = test_read_file(path, &len);
    assert_non_null(text);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    assert_int_equal(lc_json_parse(&env, text, len, NULL, &root), LLAMAC_OK);
    const lc_json *cases = lc_json_get(root, "cases");
    size_t n_ok = 0, n_bad = 0;
    for (size_t i = 0; i < lc_json_count(cases); i++) {
        const lc_json *tc = lc_json_at(cases, i);
        const char *name = lc_json_string(lc_json_get(tc, "name"), NULL);
        size_t slen = 0;
        const char *schema = lc_json_string(lc_json_get(tc, "schema"), &slen);
        const char *want = lc_json_string(lc_json_get(tc, "grammar"), NULL);
        const bool success = strcmp(lc_json_string(lc_json_get(tc, "status"), NULL), "SUCCESS") == 0;
        char *got = NULL;
        llamac_status st = convert(schema, slen, 0, &got);
        if (success && st != LLAMAC_OK) {
            fprintf(stderr, "case '%s': %s\n", name, llamac_last_error());
            n_bad++;
        } else if (success && strcmp(got, want) != 0) {
            fprintf(stderr, "case '%s':\n-- want:\n%s-- got:\n%s", name, want, got);
            n_bad++;
        } else if (!success && st == LLAMAC_OK) {
            fprintf(stderr, "case '%s': converted, the peer fails\n", name);
            n_bad++;
        } else {
            n_ok++;
        }
        free(got);
    }
    fprintf(stderr, "peer cases: %zu match, %zu differ\n", n_ok, n_bad);
    assert_int_equal(n_ok, 65);
    assert_int_equal(n_bad, 0);
    lc_json_free(&env, root);
    free(text);
}

/* The buffer convention of the API: ask with 0, a short buffer gets the
 * first bytes and the size needed. */
static void short_buffer_gets_prefix_and_size_needed(void **state) {
    (void)state;
    const char *schema = "{\"type\": \"boolean\"}";
    const char *want = "root ::= (\"true\" | \"false\") space\nspace ::= | \" \" | \"\\n\" [ \\t]{0,20}\n";
    size_t n = 0;
    assert_int_equal(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, NULL, 0, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, strlen(want));
    char buf[8] = {0};
    assert_int_equal(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, buf, sizeof buf, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, sizeof buf);
    assert_grammar(schema, 0, want);
    assert_int_equal(llamac_json_schema_to_grammar(schema, strlen(schema), 1u << 7, NULL, NULL, 0, &n),
                     LLAMAC_ERR_INVALID_ARG);
}

/* The peer's options: compact spaces, and '.' matching newlines (dotall);
 * the expected texts follow the peer's SPACE_RULE choice and get_dot. */
static void flags_select_compact_space_and_dotall(void **state) {
    (void)state;
    assert_grammar("{\"type\": \"null\"}", LLAMAC_JSON_SCHEMA_COMPACT_SPACES,
                   "root ::= \"null\" space\nspace ::= \" \"?\n");
    assert_grammar("{\"type\": \"string\", \"pattern\": \"^.$\"}", LLAMAC_JSON_SCHEMA_DOTALL,
                   "dot ::= [\\U00000000-\\U0010FFFF]\nroot ::= \"\\\"\" (dot) \"\\\"\" space\n"
                   "space ::= | \" \" | \"\\n\" [ \\t]{0,20}\n");
    assert_grammar("{\"type\": \"string\", \"pattern\": \"^.$\"}", 0,
                   "dot ::= [^\\x0A\\x0D]\nroot ::= \"\\\"\" (dot) \"\\\"\" space\n"
                   "space ::= | \" \" | \"\\n\" [ \\t]{0,20}\n");
}

/* A $ref cycle is a recursive rule, not an endless walk. Expected text
 * hand-derived from the peer's C++ rules (_resolve_ref names the rule after
 * the pointer's last part and returns that name while it is being
 * resolved; an optional property is "(" KV " )?"); the peer's Python
 * script fails on this schema (KeyError), its C++ converter does not. */
static void ref_cycle_becomes_a_recursive_rule(void **state) {
    (void)state;
    assert_grammar("{\"$ref\": \"#/$defs/node\", \"$defs\": {\"node\": {\"type\": \"object\", "
                   "\"properties\": {\"next\": {\"$ref\": \"#/$defs/node\"}}}}}",
                   0,
                   "node ::= \"{\" space  (node-next-kv )? \"}\" space\n"
                   "node-next ::= node\n"
                   "node-next-kv ::= \"\\\"next\\\"\" space \":\" space node-next\n"
                   "root ::= node\n"
                   "space ::= | \" \" | \"\\n\" [ \\t]{0,20}\n");
}

/* Keys other than the named ones, with non-ASCII names: the trie splits at
 * code points. Expected line from the peer's examples/json_schema_to_grammar.py
 * at c392e50 (its C++ converter splits the UTF-8 bytes of a character over
 * several classes instead, which is not UTF-8; docs/json-schema.md). */
static void additional_key_rule_keeps_code_points_whole(void **state) {
    (void)state;
    char *g = NULL;
    assert_int_equal(convert_str("{\"properties\": {\"\xc3\xa9t\xc3\xa9\": {}, \"ea\": {}, \"\xc3\xa9\": {}, \"a\": {}}, "
                                 "\"additionalProperties\": true}",
                                 0, &g),
                     LLAMAC_OK);
    const char *want = "\nadditional-k ::= [\"] ( [a] char+ | [e] ([a] char+ | [^\"a] char*) | [\xc3\xa9] ([t] "
                       "([\xc3\xa9] char+ | [^\"\xc3\xa9] char*) | [^\"t] char*) | [^\"ae\xc3\xa9] char* )? [\"] space\n";
    if (!strstr(g, want)) fail_msg("got:\n%s", g);
    free(g);
}

/* A union's alternatives read their own "type" (a list of types inside an
 * anyOf); expected text from the peer's Python script at c392e50. */
static void type_list_inside_any_of(void **state) {
    (void)state;
    assert_grammar("{\"anyOf\": [{\"type\": [\"null\", \"string\"]}]}", 0,
                   "alternative-0 ::= null | string\n"
                   "char ::= [^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})\n"
                   "null ::= \"null\" space\n"
                   "root ::= alternative-0\n"
                   "space ::= | \" \" | \"\\n\" [ \\t]{0,20}\n"
                   "string ::= \"\\\"\" char* \"\\\"\" space\n");
}

/* Every allocation refused in turn: each conversion either succeeds with
 * the same text or fails with LLAMAC_ERR_NO_MEMORY, and frees all it took. */
static void every_allocation_failure_is_clean(void **state) {
    (void)state;
    const char *schema =
        "{\"$defs\": {\"d\": {\"type\": \"integer\", \"minimum\": -12, \"maximum\": 345}}, \"type\": \"object\", "
        "\"properties\": {\"a\": {\"$ref\": \"#/$defs/d\"}, \"b\": {\"type\": \"string\", \"pattern\": "
        "\"^(ab|c){2,3}[x-z]+.$\"}, \"c\": {\"type\": \"array\", \"items\": {\"enum\": [1, \"x\", null]}, \"maxItems\": 3}, "
        "\"d\": {\"format\": \"date-time\"}, \"e\": {\"anyOf\": [{\"type\": \"null\"}, {\"type\": [\"string\", \"number\"]}]}}, "
        "\"required\": [\"a\"], \"additionalProperties\": {\"type\": \"boolean\"}, "
        "\"allOf\": [{\"properties\": {\"z\": {}}}]}";
    char want[8192], got[8192];
    size_t want_len = 0, n = 0;
    assert_int_equal(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, want, sizeof want, &want_len),
                     LLAMAC_OK);
    long k = 0;
    for (;; k++) {
        alloc_counter c;
        const llamac_allocator a = counting_allocator(&c, k);
        llamac_status st = llamac_json_schema_to_grammar(schema, strlen(schema), 0, &a, got, sizeof got, &n);
        assert_int_equal(c.live, 0);
        if (st == LLAMAC_OK) {
            assert_int_equal(n, want_len);
            assert_memory_equal(got, want, n);
            break;
        }
        if (st != LLAMAC_ERR_NO_MEMORY) fail_msg("refusal %ld: %s", k, llamac_last_error());
        assert_int_equal(n, 0);
    }
    assert_true(k > 50); /* the walk allocates often: the loop did reach it */
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1), *p = s;
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < n; i++, p += ul) memcpy(p, unit, ul);
    memcpy(p, tail, tl + 1);
    return s;
}

/* Hostile schemas end quickly in a status with a message. */
static void hostile_schemas_are_refused_with_a_message(void **state) {
    (void)state;
    assert_refused("{\"type\": \"array\", \"items\": {}, \"minItems\": 100000000}", LLAMAC_ERR_LIMIT, "minItems");
    assert_refused("{\"type\": \"string\", \"maxLength\": 1e300}", LLAMAC_ERR_LIMIT, "maxLength");
    assert_refused("{\"type\": \"string\", \"maxLength\": -1}", LLAMAC_ERR_FORMAT, "maxLength");
    assert_refused("{\"type\": \"string\", \"pattern\": \"^a{99999999}$\"}", LLAMAC_ERR_LIMIT, "repetition");
    assert_refused("{\"type\": \"string\", \"pattern\": \"^*$\"}", LLAMAC_ERR_FORMAT, "nothing to repeat");
    assert_refused("{\"type\": \"string\", \"pattern\": \"^a]$\"}", LLAMAC_ERR_FORMAT, "unexpected");
    assert_refused("{\"type\": \"string\", \"pattern\": \"^[ab$\"}", LLAMAC_ERR_FORMAT, "square");
    assert_refused("{\"type\": \"string\", \"pattern\": \"abc\"}", LLAMAC_ERR_FORMAT, "'^'");
    assert_refused("{\"type\": \"string\", \"pattern\": \"\"}", LLAMAC_ERR_FORMAT, "'^'");
    assert_refused("{\"type\": \"integer\", \"minimum\": 5000000000}", LLAMAC_ERR_LIMIT, "32-bit");
    assert_refused("{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 2}", LLAMAC_ERR_FORMAT, "above");
    assert_refused("{\"$ref\": \"#/definitions/missing\"}", LLAMAC_ERR_FORMAT, "missing");
    assert_refused("{\"$ref\": \"https://example.com/s.json\"}", LLAMAC_ERR_UNSUPPORTED, "https");
    assert_refused("{\"$ref\": 3}", LLAMAC_ERR_FORMAT, "$ref");
    assert_refused("{\"type\": \"object\", \"type\": \"string\"}", LLAMAC_ERR_FORMAT, "duplicate");
    assert_refused("{\"type\": \"float\"}", LLAMAC_ERR_FORMAT, "Unrecognized schema");
    assert_refused("{\"type\": 123}", LLAMAC_ERR_FORMAT, "Unrecognized schema");
    assert_refused("{\"type\": \"string\", \"format\": 3}", LLAMAC_ERR_FORMAT, "format");
    assert_refused("[1, 2", LLAMAC_ERR_FORMAT, "line 1");
    /* A chain of allOf references to itself, and one through two names. */
    assert_refused("{\"allOf\": [{\"$ref\": \"#\"}], \"$defs\": {}}", LLAMAC_ERR_UNSUPPORTED, "$ref");
    assert_refused("{\"allOf\": [{\"$ref\": \"#/$defs/a\"}], \"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, "
                   "\"b\": {\"$ref\": \"#/$defs/a\"}}}",
                   LLAMAC_ERR_LIMIT, "allOf");
    /* Nesting past the bounds. */
    char *deep = repeat("", "{\"items\":", 70, "{}");
    char *deep2 = repeat(deep, "}", 70, "");
    assert_refused(deep2, LLAMAC_ERR_FORMAT, "JSON");
    free(deep);
    free(deep2);
    /* A chain of 100 $refs, each an array of the next. */
    char chain[8192];
    size_t at = (size_t)snprintf(chain, sizeof chain, "{\"$ref\": \"#/$defs/a0\", \"$defs\": {");
    for (int i = 0; i < 100; i++)
        at += (size_t)snprintf(chain + at, sizeof chain - at, "\"a%d\": {\"items\": {\"$ref\": \"#/$defs/a%d\"}}, ", i,
                               i + 1);
    snprintf(chain + at, sizeof chain - at, "\"a100\": {}}}");
    assert_refused(chain, LLAMAC_ERR_LIMIT, "nested deeper");
    char *parens = repeat("{\"pattern\": \"^", "(", 60000, "$\"}");
    assert_refused(parens, LLAMAC_ERR_LIMIT, "groups nested");
    free(parens);
    /* One big subschema reached through many allOf references expands
     * until the work budget stops it (about 0.2 s in an -O3 build, 2.5 s
     * under ASan: the bound allows for sanitizers). */
    char *big = repeat("{\"$defs\": {\"p\": {\"properties\": {\"x\": {\"enum\": [", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",", 2000,
                       "1]}}}}, \"allOf\": [");
    char *refs = repeat(big, "{\"$ref\": \"#/$defs/p\"},", 20000, "{}]}");
    const clock_t t0 = clock();
    size_t n = 0;
    llamac_status st = llamac_json_schema_to_grammar(refs, strlen(refs), 0, NULL, NULL, 0, &n);
    const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (st != LLAMAC_ERR_LIMIT || !strstr(llamac_last_error(), "work budget")) fail_msg("%s", llamac_last_error());
    if (secs > 5.0) fail_msg("an expanding schema took %.2f s", secs);
    free(big);
    free(refs);
}

int main(void) {
    return run_cases(NULL, NULL, peer_conversion_cases_match_byte_for_byte, short_buffer_gets_prefix_and_size_needed,
                     flags_select_compact_space_and_dotall, ref_cycle_becomes_a_recursive_rule,
                     additional_key_rule_keeps_code_points_whole, type_list_inside_any_of,
                     every_allocation_failure_is_clean,
                     hostile_schemas_are_refused_with_a_message);
}
