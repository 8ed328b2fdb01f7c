/* The Jinja engine (llamac_chat_render_jinja) against Python's jinja2:
 * every case of tests/data/jinja/cases.json (written by
 * tests/jinja_expected.py, expected strings from jinja2 with Hugging Face's
 * settings; published templates from llama.cpp's models/templates, see
 * tests/data/jinja/SOURCES.md) rendered and compared byte for byte; cases
 * where jinja2 raised must fail. Then the call's own contract: the buffer
 * convention, params, line and column in errors, the system polyfill. */
#include "test_files.h"
#include "test_util.h"

#include "common/json.h"

#include <string.h>

static const char *data_dir(void) {
    const char *d = getenv("LLAMAC_TEST_DATA");
    return d ? d : "tests/data";
}

static const char *opt_string(const lc_json *c, const char *key) {
    const lc_json *v = lc_json_get(c, key);
    return v && lc_json_kind_of(v) == LC_JSON_STRING ? lc_json_string(v, NULL) : NULL;
}

static bool opt_bool(const lc_json *c, const char *key) {
    const lc_json *v = lc_json_get(c, key);
    return v && lc_json_bool(v);
}

/* Renders one case; returns true when it matches jinja2. */
static bool run_case(const lc_json *c, char *out, size_t out_cap) {
    const char *name = opt_string(c, "name");
    const char *file = opt_string(c, "template_file");
    char *text = NULL;
    const char *tmpl = opt_string(c, "template");
    if (file) {
        char path[1024];
        snprintf(path, sizeof path, "%s/jinja/templates/%s", data_dir(), file);
        size_t len;
        text = test_read_file(path, &len);
        if (!text) {
            printf("case %s: cannot read %s\n", name, path);
            return false;
        }
        tmpl = text;
    }
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.messages_json = opt_string(c, "messages_json");
    p.tools_json = opt_string(c, "tools_json");
    p.documents_json = opt_string(c, "documents_json");
    p.extra_json = opt_string(c, "extra_json");
    p.bos_token = opt_string(c, "bos_token");
    p.eos_token = opt_string(c, "eos_token");
    p.add_generation_prompt = opt_bool(c, "add_generation_prompt");
    p.system_polyfill = opt_bool(c, "polyfill");
    p.now = 1735787045;
    size_t n = 0;
    const llamac_status st = llamac_chat_render_jinja(tmpl, NULL, 0, &p, out, out_cap, &n);
    const char *expected = opt_string(c, "expected");
    bool ok;
    if (!expected) {
        ok = st == LLAMAC_ERR_FORMAT || st == LLAMAC_ERR_UNSUPPORTED || st == LLAMAC_ERR_LIMIT;
        if (!ok) printf("case %s: jinja2 raised (%s) but the engine gave %s\n", name, opt_string(c, "jinja2_error"),
                        llamac_status_name(st));
        else if (!strstr(llamac_last_error(), "line ")) {
            printf("case %s: the error has no line: %s\n", name, llamac_last_error());
            ok = false;
        }
    } else if (st) {
        printf("case %s: %s: %s\n", name, llamac_status_name(st), llamac_last_error());
        ok = false;
    } else {
        size_t elen;
        lc_json_string(lc_json_get(c, "expected"), &elen);
        ok = n == elen && memcmp(out, expected, n) == 0;
        if (!ok) {
            size_t i = 0;
            while (i < n && i < elen && out[i] == expected[i]) i++;
            printf("case %s: differs at byte %zu\n  want: %.*s\n  got:  %.*s\n", name, i, (int)LC_MIN(elen - i, 160),
                   expected + i, (int)LC_MIN(n - i, 160), out + i);
        }
    }
    free(text);
    return ok;
}

static void matches_jinja2(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/jinja/cases.json", data_dir());
    size_t len;
    char *doc = test_read_file(path, &len);
    assert_non_null(doc);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    assert_int_equal(lc_json_parse(&env, doc, len, NULL, &root), LLAMAC_OK);
    const lc_json *cases = lc_json_get(root, "cases");
    const size_t n = lc_json_count(cases);
    assert_true(n >= 60);
    const size_t cap = 1 << 20;
    char *out = malloc(cap);
    size_t failed = 0, templates = 0;
    for (size_t i = 0; i < n; i++) {
        const lc_json *c = lc_json_at(cases, i);
        if (opt_string(c, "template_file")) templates++;
        if (!run_case(c, out, cap)) failed++;
    }
    printf("%zu cases (%zu through published templates), %zu differ from jinja2\n", n, templates, failed);
    free(out);
    lc_json_free(&env, root);
    free(doc);
    assert_true(templates >= 60);
    assert_int_equal(failed, 0);
}

static llamac_status render(const char *tmpl, const llamac_jinja_params *p, char *buf, size_t cap, size_t *n) {
    static const llamac_chat_message msgs[] = {{"system", "S"}, {"user", "U"}};
    return llamac_chat_render_jinja(tmpl, msgs, 2, p, buf, cap, n);
}

static void buffer_convention(void **state) {
    (void)state;
    char buf[64];
    size_t n = 99;
    const char *t = "{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}";
    assert_int_equal(render(t, NULL, NULL, 0, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, strlen("[system:S][user:U]"));
    memset(buf, '#', sizeof buf);
    assert_int_equal(render(t, NULL, buf, 5, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_memory_equal(buf, "[syst#", 6);
    assert_int_equal(render(t, NULL, buf, sizeof buf, &n), LLAMAC_OK);
    assert_int_equal(n, 18);
    assert_memory_equal(buf, "[system:S][user:U]", 18);
}

static void errors_name_line_and_column(void **state) {
    (void)state;
    char buf[64];
    size_t n = 7;
    assert_int_equal(render("line one\n  {{ 1 + }}", NULL, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    assert_int_equal(n, 0);
    assert_has_all(llamac_last_error(), (const char *const[]){"llamac_chat_render_jinja", "line 2, column", NULL});
    assert_int_equal(render("\n\n{{ raise_exception('bad input') }}", NULL, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"line 3, column", "bad input", NULL});
    assert_int_equal(render("{% include 'x' %}", NULL, buf, sizeof buf, &n), LLAMAC_ERR_UNSUPPORTED);
    assert_has_all(llamac_last_error(), (const char *const[]){"include", NULL});
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.tools_json = "[1, ";
    assert_int_equal(render("x", &p, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"tools_json", "line 1", NULL});
    p.tools_json = "{}";
    assert_int_equal(render("x", &p, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
}

static void params_defaults_and_struct_size(void **state) {
    (void)state;
    llamac_jinja_params p;
    memset(&p, 0x55, sizeof p);
    llamac_jinja_params_init(&p, sizeof p);
    assert_int_equal(p.struct_size, sizeof p);
    assert_true(p.system_polyfill);
    assert_false(p.add_generation_prompt);
    assert_true(p.now == LLAMAC_JINJA_NOW_CURRENT);
    assert_null(p.bos_token);
    assert_int_equal(p.max_steps, 0);
    char buf[64];
    size_t n;
    p.struct_size = sizeof p + 8; /* a newer header than the library */
    assert_int_equal(render("x", &p, buf, sizeof buf, &n), LLAMAC_ERR_INVALID_ARG);
    /* an older caller's struct: only the first fields */
    llamac_jinja_params_init(&p, sizeof p);
    p.struct_size = offsetof(llamac_jinja_params, bos_token);
    p.add_generation_prompt = true;
    assert_int_equal(render("{{ add_generation_prompt }}", &p, buf, sizeof buf, &n), LLAMAC_OK);
    assert_memory_equal(buf, "True", 4);
}

/* Gemma 2 raises on a system message; with the polyfill (the default) the
 * system text is merged into the first user turn, as llama.cpp does. */
static void system_polyfill(void **state) {
    (void)state;
    const char *t = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system') }}{% endif %}"
                    "<{{ m.role }}>{{ m.content }}{% endfor %}";
    static const llamac_chat_message msgs[] = {{"system", "S1"}, {"system", "S2"}, {"user", "U"},
                                               {"system", "S3"}, {"assistant", "A"}, {"system", "S4"}};
    char buf[128];
    size_t n;
    assert_int_equal(llamac_chat_render_jinja(t, msgs, 6, NULL, buf, sizeof buf, &n), LLAMAC_OK);
    const char want[] = "<user>S1\nS2\nU<user>S3<assistant>A<user>S4";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.system_polyfill = false;
    assert_int_equal(llamac_chat_render_jinja(t, msgs, 6, &p, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    assert_has_all(llamac_last_error(), (const char *const[]){"no system", NULL});
    /* a template that shows the system text is rendered as given */
    const char *shows = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}";
    assert_int_equal(llamac_chat_render_jinja(shows, msgs, 3, NULL, buf, sizeof buf, &n), LLAMAC_OK);
    assert_int_equal(n, strlen("<system>S1<system>S2<user>U"));
}

static void strftime_now_and_clock(void **state) {
    (void)state;
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.now = 0;
    char buf[64];
    size_t n;
    assert_int_equal(render("{{ strftime_now('%Y-%m-%d') }}", &p, buf, sizeof buf, &n), LLAMAC_OK);
    assert_memory_equal(buf, "1970-01-01", 10);
    p.now = LLAMAC_JINJA_NOW_CURRENT; /* the system clock: some year after 2020 */
    assert_int_equal(render("{{ strftime_now('%Y')|int > 2020 }}", &p, buf, sizeof buf, &n), LLAMAC_OK);
    assert_memory_equal(buf, "True", 4);
}

static void extra_variables_and_messages_argument(void **state) {
    (void)state;
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.system_polyfill = false; /* else the probe finds no system text and merges it */
    p.extra_json = "{\"x\": [1, 2.5, \"é\"], \"messages\": \"shadowed\"}";
    p.bos_token = "<s>";
    char buf[128];
    size_t n;
    assert_int_equal(render("{{ bos_token }}{{ x }}{{ messages|length }}", &p, buf, sizeof buf, &n), LLAMAC_OK);
    const char want[] = "<s>[1, 2.5, 'é']2";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
}

int main(void) {
    return run_cases(NULL, NULL, matches_jinja2, buffer_convention, errors_name_line_and_column,
                     params_defaults_and_struct_size, system_polyfill, strftime_now_and_clock,
                     extra_variables_and_messages_argument);
}
