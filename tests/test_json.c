/* The JSON reader and writer (lib/common/json.h): every kind of value,
 * round trips, Python's json.dumps layout, refusals with line and column,
 * hostile documents, allocation failures. */
#include "test_alloc.h"
#include "test_util.h"

#include "common/json.h"

#include <locale.h>
#include <string.h>
#include <time.h>

static lc_env plain_env(void) {
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    return env;
}

static lc_json *parse_ok(const lc_env *env, const char *text) {
    lc_json *root = NULL;
    const llamac_status st = lc_json_parse(env, text, strlen(text), NULL, &root);
    if (st) fail_msg("parse of %s: %s", text, llamac_last_error());
    assert_non_null(root);
    return root;
}

/* Parses text and writes it back with indent; compares to want. */
static void assert_rewrites(const char *text, int indent, const char *want) {
    const lc_env env = plain_env();
    lc_json *root = parse_ok(&env, text);
    lc_bytes out = {0};
    assert_int_equal(lc_json_write(&env, &out, root, indent), LLAMAC_OK);
    assert_string_equal(out.data, want);
    lc_free(&env, out.data);
    lc_json_free(&env, root);
}

/* Parses text, expects LLAMAC_ERR_FORMAT and a message with every needle. */
static void assert_refused(const char *text, size_t len, const char *const *needles) {
    const lc_env env = plain_env();
    lc_json *root = (lc_json *)&env; /* must be reset to NULL */
    assert_int_equal(lc_json_parse(&env, text, len, NULL, &root), LLAMAC_ERR_FORMAT);
    assert_null(root);
    assert_has_all(llamac_last_error(), needles);
}

static void every_kind_reads_back(void **state) {
    (void)state;
    const lc_env env = plain_env();
    lc_json *root = parse_ok(&env, " {\"n\": null, \"t\": true, \"f\": false, \"x\": -12.5e1,\n"
                                   "  \"s\": \"a\\u0000b\", \"a\": [1, [], {}], \"n\": 2} ");
    assert_int_equal(lc_json_kind_of(root), LC_JSON_OBJECT);
    assert_int_equal(lc_json_count(root), 7);
    assert_int_equal(lc_json_kind_of(lc_json_get(root, "n")), LC_JSON_NULL); /* the first "n" */
    assert_true(lc_json_bool(lc_json_get(root, "t")));
    assert_int_equal(lc_json_kind_of(lc_json_get(root, "f")), LC_JSON_BOOL);
    assert_false(lc_json_bool(lc_json_get(root, "f")));
    assert_true(lc_json_number(lc_json_get(root, "x")) == -125.0);
    size_t len = 99;
    const char *s = lc_json_string(lc_json_get(root, "s"), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a\0b", 4); /* the NUL after the bytes too */
    const lc_json *a = lc_json_get(root, "a");
    assert_int_equal(lc_json_count(a), 3);
    assert_true(lc_json_number(lc_json_at(a, 0)) == 1.0);
    assert_int_equal(lc_json_kind_of(lc_json_at(a, 1)), LC_JSON_ARRAY);
    assert_int_equal(lc_json_count(lc_json_at(a, 2)), 0);
    assert_null(lc_json_at(a, 3));
    assert_null(lc_json_key_at(a, 0, &len)); /* not an object */
    /* duplicate keys stay, in order */
    assert_string_equal(lc_json_key_at(root, 6, &len), "n");
    assert_true(lc_json_number(lc_json_at(root, 6)) == 2.0);
    assert_null(lc_json_get(root, "missing"));
    /* readers on the wrong kind */
    assert_null(lc_json_string(a, &len));
    assert_int_equal(len, 0);
    assert_true(lc_json_number(a) == 0.0);
    assert_int_equal(lc_json_count(lc_json_get(root, "s")), 0);
    lc_json_free(&env, root);

    const char *scalars[] = {"0", "-0", "\"\"", "null", "true", "1E+2", "[\"\\ud83d\\ude00\"]"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) lc_json_free(&env, parse_ok(&env, scalars[i]));
}

static void escapes_and_surrogate_pairs_decode(void **state) {
    (void)state;
    const lc_env env = plain_env();
    lc_json *root = parse_ok(&env, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\uD83D\\uDE00\xc3\xa9\"");
    size_t len;
    const char *s = lc_json_string(root, &len);
    const char want[] = "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(s, want, sizeof want);
    lc_json_free(&env, root);
}

/* Expected strings below are Python 3's output of
 * json.dumps(json.loads(TEXT), ensure_ascii=False[, indent=N]). */
static void writer_matches_python_json_dumps(void **state) {
    (void)state;
    const char *doc = "{\"a\": [1, 2.5, \"x\"], \"b\": {}, \"c\": [], \"d\": null, \"e\": true, "
                      "\"\xc3\xa9\": \"<>&' \\u00e9\\n\\u0001\\u007f\\\\\\\"\\/\"}";
    assert_rewrites(doc, 0,
                    "{\"a\": [1, 2.5, \"x\"], \"b\": {}, \"c\": [], \"d\": null, \"e\": true, "
                    "\"\xc3\xa9\": \"<>&' \xc3\xa9\\n\\u0001\x7f\\\\\\\"/\"}");
    assert_rewrites(doc, 2,
                    "{\n  \"a\": [\n    1,\n    2.5,\n    \"x\"\n  ],\n  \"b\": {},\n  \"c\": [],\n"
                    "  \"d\": null,\n  \"e\": true,\n  \"\xc3\xa9\": \"<>&' \xc3\xa9\\n\\u0001\x7f\\\\\\\"/\"\n}");
    assert_rewrites("[[1,[2]],{\"k\":{\"z\":[]}}]", 3,
                    "[\n   [\n      1,\n      [\n         2\n      ]\n   ],\n   {\n      \"k\": {\n"
                    "         \"z\": []\n      }\n   }\n]");
    assert_rewrites("[]", 4, "[]");
    assert_rewrites("\"\\u001f\\b\\t\"", 0, "\"\\u001f\\b\\t\"");
}

/* Python's repr of each float (its json.dumps writes the same). */
static void numbers_print_like_python(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"0.1", "0.1"},
        {"1e16", "1e+16"},
        {"1.5e-7", "1.5e-07"},
        {"1e-5", "1e-05"},
        {"0.0001", "0.0001"},
        {"123.456", "123.456"},
        {"-2.5", "-2.5"},
        {"1e300", "1e+300"},
        {"1.7976931348623157e308", "1.7976931348623157e+308"},
        {"5e-324", "5e-324"},
        {"1e22", "1e+22"},
        {"1152921504606846976", "1.152921504606847e+18"}, /* 2**60 as a float */
        {"0.30000000000000004", "0.30000000000000004"},
        {"1234567890123456.7", "1234567890123456.8"},
        /* integers below 1e16 print without a fraction (Python: ints) */
        {"3", "3"},
        {"3.0", "3"},
        {"-42", "-42"},
        {"9007199254740993", "9007199254740992"}, /* the nearest double */
        {"9999999999999998", "9999999999999998"},
        {"1e-400", "0"},
        {"-0", "-0"},
        {"123456789012345678901234567890", "1.2345678901234568e+29"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) assert_rewrites(cases[i].in, 0, cases[i].out);
}

static void numbers_ignore_the_applications_locale(void **state) {
    (void)state;
    /* a locale whose decimal point is ',' if the system has one */
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "C.UTF-8"};
    const char *set = NULL;
    for (size_t i = 0; i < 4 && !set; i++) set = setlocale(LC_NUMERIC, names[i]);
    assert_rewrites("[2.5, 1e-7]", 0, "[2.5, 1e-07]");
    setlocale(LC_NUMERIC, "C");
}

static void round_trips_are_fixed_points(void **state) {
    (void)state;
    const lc_env env = plain_env();
    const char *docs[] = {
        "{\"k\": [1, {\"x\": [[], {}]}, \"\xe2\x82\xac\\u0000\", -0.001, 1e+200], \"k\": false}",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]",
        "\"\\ud800\\udc00\"",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        for (int indent = 0; indent <= 2; indent += 2) {
            lc_json *a = parse_ok(&env, docs[i]);
            lc_bytes t1 = {0}, t2 = {0};
            assert_int_equal(lc_json_write(&env, &t1, a, indent), LLAMAC_OK);
            lc_json *b = parse_ok(&env, t1.data);
            assert_int_equal(lc_json_write(&env, &t2, b, indent), LLAMAC_OK);
            assert_string_equal(t1.data, t2.data);
            lc_free(&env, t1.data);
            lc_free(&env, t2.data);
            lc_json_free(&env, a);
            lc_json_free(&env, b);
        }
}

static void write_string_escapes_and_refuses_bad_utf8(void **state) {
    (void)state;
    const lc_env env = plain_env();
    lc_bytes out = {0};
    const char in[] = "a\"b\\\n\x01</b>&'\xe4\xb8\xad";
    assert_int_equal(lc_json_write_string(&env, &out, in, sizeof in - 1), LLAMAC_OK);
    assert_string_equal(out.data, "\"a\\\"b\\\\\\n\\u0001</b>&'\xe4\xb8\xad\"");
    const size_t before = out.len;
    assert_int_equal(lc_json_write_string(&env, &out, "\xc3(", 2), LLAMAC_ERR_FORMAT);
    assert_int_equal(out.len, before);
    assert_int_equal(lc_json_write_number(&env, &out, 1.0 / 0.0), LLAMAC_ERR_INVALID_ARG);
    lc_json *root = parse_ok(&env, "1");
    assert_int_equal(lc_json_write(&env, &out, root, 1025), LLAMAC_ERR_INVALID_ARG);
    lc_json_free(&env, root);
    lc_free(&env, out.data);
}

#define REFUSED(text, ...) assert_refused(text, sizeof text - 1, (const char *const[]){__VA_ARGS__, NULL})

static void malformed_documents_name_line_and_column(void **state) {
    (void)state;
    REFUSED("", "line 1, column 1", "expected a value", "found the end");
    REFUSED("  ", "line 1, column 3", "expected a value");
    REFUSED("[1,]", "line 1, column 4", "expected a value", "found ']'");
    REFUSED("{\"a\":1,}", "line 1, column 8", "expected a string key");
    REFUSED("{\"a\" 1}", "line 1, column 6", "expected ':'");
    REFUSED("[1 2]", "line 1, column 4", "expected ',' or ']'");
    REFUSED("{\"a\":1]", "line 1, column 7", "expected ',' or '}'");
    REFUSED("[1]\n x", "line 2, column 2", "expected the end of the document");
    REFUSED("// c\n1", "line 1, column 1", "expected a value");
    REFUSED("[\n\n  tru]", "line 3, column 3", "expected a value");
    REFUSED("01", "line 1, column 2", "expected the end");
    REFUSED("-", "line 1, column 2", "expected a digit");
    REFUSED("1.", "line 1, column 3", "expected a digit after '.'");
    REFUSED("1e+", "line 1, column 4", "digit in the exponent");
    REFUSED("+1", "expected a value");
    REFUSED(".5", "expected a value");
    REFUSED("NaN", "expected a value");
    REFUSED("[1e400]", "line 1, column 2", "range of a double");
    REFUSED("[-1e309]", "range of a double");
    REFUSED("\"abc", "line 1, column 5", "to end the string");
    REFUSED("\"a\tb\"", "line 1, column 3", "control byte");
    REFUSED("\"\\x\"", "line 1, column 2", "expected one of the escapes");
    REFUSED("\"\\u12g4\"", "four hex digits");
    REFUSED("\"\\", "line 1, column 3", "escape");
    REFUSED("\xef\xbb\xbf{}", "line 1, column 1", "expected a value"); /* no byte order mark */
    REFUSED("['a']", "expected a value");
}

static void invalid_utf8_and_lone_surrogates_are_refused(void **state) {
    (void)state;
    REFUSED("\"ab\xc3(\"", "line 1, column 4", "UTF-8");
    REFUSED("\"\xed\xa0\x80\"", "UTF-8");     /* a surrogate encoded in UTF-8 */
    REFUSED("\"\xc0\xaf\"", "UTF-8");         /* overlong '/' */
    REFUSED("\"\xf4\x90\x80\x80\"", "UTF-8"); /* above U+10FFFF */
    REFUSED("\"\xe2\x82\"", "UTF-8");         /* cut */
    REFUSED("[\xc3\xa9]", "expected a value");
    REFUSED("\"\\ud800\"", "line 1, column 2", "low surrogate", "D800");
    REFUSED("\"\\ud800\\u0041\"", "low surrogate");
    REFUSED("\"\\ud800x\"", "low surrogate");
    REFUSED("\"\\udc00\\ud800\"", "lone low surrogate \\uDC00");
    REFUSED("\"\\ud800\\ud800\"", "low surrogate");
}

static double seconds_since(struct timespec t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
}

static void deep_nesting_is_refused_quickly(void **state) {
    (void)state;
    enum { DEPTH = 100000 };
    char *text = malloc(2 * DEPTH);
    assert_non_null(text);
    memset(text, '[', DEPTH);
    memset(text + DEPTH, ']', DEPTH);
    const lc_env env = plain_env();
    lc_json *root = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lc_json_parse(&env, text, 2 * DEPTH, NULL, &root), LLAMAC_ERR_FORMAT);
    assert_true(seconds_since(t0) < 0.5);
    assert_has_all(llamac_last_error(), (const char *const[]){"line 1, column 257", "256 deep", NULL});
    for (size_t i = 0; i < DEPTH; i += 2) text[i] = '{'; /* mixed: "{[{[..." refused at the first '[' after a '{' */
    assert_int_equal(lc_json_parse(&env, text, 2 * DEPTH, NULL, &root), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"column 2", "string key", NULL});

    /* a caller's larger limit is honoured, and writing does not recurse */
    memset(text, '[', DEPTH);
    const lc_json_limits lim = {.max_depth = DEPTH};
    assert_int_equal(lc_json_parse(&env, text, 2 * DEPTH, &lim, &root), LLAMAC_OK);
    lc_bytes out = {0};
    assert_int_equal(lc_json_write(&env, &out, root, 0), LLAMAC_OK);
    assert_int_equal(out.len, 2 * DEPTH);
    assert_memory_equal(out.data, text, 2 * DEPTH);
    lc_free(&env, out.data);
    lc_json_free(&env, root);
    free(text);
}

static void size_and_node_limits_hold(void **state) {
    (void)state;
    const lc_env env = plain_env();
    lc_json *root = NULL;
    const char *text = "[1, 2, 3, 4]";
    lc_json_limits lim = {.max_nodes = 4};
    assert_int_equal(lc_json_parse(&env, text, strlen(text), &lim, &root), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"column 11", "more than 4 values", NULL});
    lim.max_nodes = 5;
    assert_int_equal(lc_json_parse(&env, text, strlen(text), &lim, &root), LLAMAC_OK);
    lc_json_free(&env, root);
    lim = (lc_json_limits){.max_bytes = 11};
    assert_int_equal(lc_json_parse(&env, text, strlen(text), &lim, &root), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"12 bytes", "limit of 11", NULL});
}

static void huge_numbers_and_long_digit_strings(void **state) {
    (void)state;
    enum { DIGITS = 100000 };
    char *text = malloc(DIGITS + 8);
    assert_non_null(text);
    text[0] = '[';
    memset(text + 1, '9', DIGITS);
    memcpy(text + 1 + DIGITS, "]", 2);
    const lc_env env = plain_env();
    lc_json *root = NULL;
    assert_int_equal(lc_json_parse(&env, text, strlen(text), NULL, &root), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"range of a double", NULL});
    memcpy(text + 1, "0.", 2); /* 0.999...9 rounds to 1 */
    assert_int_equal(lc_json_parse(&env, text, strlen(text), NULL, &root), LLAMAC_OK);
    assert_true(lc_json_number(lc_json_at(root, 0)) == 1.0);
    lc_json_free(&env, root);
    free(text);
}

/* Every allocation the reader and writer make may be refused: the call
 * then fails with LLAMAC_ERR_NO_MEMORY and leaks nothing. */
static void refused_allocations_fail_cleanly(void **state) {
    (void)state;
    const char *text = "{\"a\": [1, \"two\", {\"b\": [null, true, 1e-9]}], \"c\": \"\\u00e9\"}";
    bool finished = false;
    for (long k = 0; !finished; k++) {
        alloc_counter c;
        const llamac_allocator a = counting_allocator(&c, k);
        lc_env env;
        lc_env_init(&env, &a, NULL, NULL);
        lc_json *root = NULL;
        llamac_status st = lc_json_parse(&env, text, strlen(text), NULL, &root);
        lc_bytes out = {0};
        if (!st) {
            st = lc_json_write(&env, &out, root, 2);
            lc_free(&env, out.data);
            lc_json_free(&env, root);
        }
        if (st) assert_int_equal(st, LLAMAC_ERR_NO_MEMORY);
        finished = !st;
        assert_int_equal(c.live, 0);
        assert_true(k < 1000);
    }
}

int main(void) {
    return run_cases(NULL, NULL, every_kind_reads_back, escapes_and_surrogate_pairs_decode,
                     writer_matches_python_json_dumps, numbers_print_like_python,
                     numbers_ignore_the_applications_locale, round_trips_are_fixed_points,
                     write_string_escapes_and_refuses_bad_utf8, malformed_documents_name_line_and_column,
                     invalid_utf8_and_lone_surrogates_are_refused, deep_nesting_is_refused_quickly,
                     size_and_node_limits_hold, huge_numbers_and_long_digit_strings,
                     refused_allocations_fail_cleanly);
}
