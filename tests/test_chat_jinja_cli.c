/* `llamac chat-template --jinja` end to end. First, llama.cpp's
 * chat-template test at c392e50 (tests/data/chat/peer_cases.txt): every
 * case the peer marks as supported by its Jinja engine, its template
 * written to a file and rendered with the peer's BOS/EOS texts, stdout
 * compared byte for byte with what the peer's test expects from its Jinja
 * path (expected_jinja where it gives one, else its expected output) —
 * except where that expectation disagrees with Python's jinja2, which the
 * engine follows: there jinja2's output (recorded in the data file) is
 * required, and the disagreement must persist (ChatGLM3: one case).
 * Then the options, on small templates whose outputs are worked out by
 * hand in the comments: the BOS/EOS rule of llama.cpp's common/chat.cpp
 * (one leading BOS text and one trailing EOS text dropped), --now, --tools,
 * --documents, messages with members beyond role and content, the system
 * polyfill, and the refusals (exit 1 with the engine's message, exit 2 for
 * options that need --jinja). */
#include "test_util.h"

#include "chat_cases.h"
#include "test_tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *llamac_bin;
static peer_cases data;

static int setup(void **state) {
    if (test_tmpdir_setup(state) != 0) return -1;
    return peer_cases_load(&data);
}

static int teardown(void **state) {
    peer_cases_free(&data);
    return test_tmpdir_teardown(state);
}

static void chat_template(cli_result *r, const char *const *args) {
    cli_run_command(r, llamac_bin, "chat-template", args);
}

static void expect_ok(const cli_result *r, const char *what, const char *want) {
    if (r->exit_code != 0) fail_msg("%s: exit %d: %s", what, r->exit_code, r->err);
    if (strcmp(r->out, want) != 0) fail_msg("%s:\n  got  '%s'\n  want '%s'", what, r->out, want);
}

/* Exit `code`, nothing on stdout, stderr containing needle. */
static void expect_refused(const cli_result *r, int code, const char *what, const char *needle) {
    if (r->exit_code != code) fail_msg("%s: exit %d (want %d): %s", what, r->exit_code, code, r->err);
    assert_string_equal(r->out, "");
    if (!strstr(r->err, needle)) fail_msg("%s: '%s' lacks '%s'", what, r->err, needle);
}

/* A file in the test's folder holding text; its path in a static slot
 * (8 slots, reused in turn). */
static const char *file_with(const char *name, const char *text) {
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    chat_write_text(test_tmpdir_path(p, 512, name), text);
    return p;
}

/* ---- the peer's cases ---- */

static void every_peer_case_supported_by_its_jinja_engine_prints_its_jinja_expectation(void **state) {
    (void)state;
    char msgs[512];
    peer_conversation_write_json(test_tmpdir_path(msgs, sizeof msgs, "conversation.json"));
    int supported = 0, jinja2_differs = 0;
    for (int i = 0; i < data.n; i++) {
        const peer_case *c = &data.cases[i];
        if (!c->jinja_expected) continue;
        supported++;
        char name[32];
        snprintf(name, sizeof name, "case%02d.jinja", i);
        const char *tmpl = file_with(name, c->tmpl);
        cli_result r;
        chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs,
                                           "--add-generation-prompt", "--bos", c->bos, "--eos", c->eos, NULL});
        if (c->jinja2_expected) {
            jinja2_differs++;
            assert_string_not_equal(c->jinja2_expected, c->jinja_expected);
        }
        expect_ok(&r, c->name, c->jinja2_expected ? c->jinja2_expected : c->jinja_expected);
    }
    assert_int_equal(jinja2_differs, 1);
    /* 30 cases, GigaChat marked unsupported (it needs
     * additional_special_tokens). */
    assert_int_equal(data.n, 30);
    assert_int_equal(supported, 29);
}

/* ---- llama.cpp's BOS/EOS rule ---- */

static void one_leading_bos_and_one_trailing_eos_are_dropped_unless_kept(void **state) {
    (void)state;
    const char *msgs = file_with("m.json", "[]");
    static const struct {
        const char *tmpl, *dropped, *kept;
    } cases[] = {
        {"{{ bos_token }}x{{ eos_token }}", "x", "<s>x</s>"},
        /* only one of each goes */
        {"{{ bos_token * 2 }}x{{ eos_token * 2 }}", "<s>x</s>", "<s><s>x</s></s>"},
        /* not at the very start or end: kept */
        {" {{ bos_token }}x{{ eos_token }} ", " <s>x</s> ", " <s>x</s> "},
        /* the whole output is BOS then EOS */
        {"{{ bos_token }}{{ eos_token }}", "", "<s></s>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *tmpl = file_with("t.jinja", cases[i].tmpl);
        cli_result r;
        chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--bos", "<s>",
                                           "--eos", "</s>", NULL});
        expect_ok(&r, cases[i].tmpl, cases[i].dropped);
        chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--bos", "<s>",
                                           "--eos", "</s>", "--keep-bos-eos", NULL});
        expect_ok(&r, cases[i].tmpl, cases[i].kept);
    }
    /* Empty token texts (the default) drop nothing. */
    const char *tmpl = file_with("t.jinja", "[{{ bos_token }}|{{ eos_token }}]");
    cli_result r;
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, NULL});
    expect_ok(&r, "defaults", "[|]");
}

/* ---- the other inputs ---- */

static void now_fixes_strftime_now(void **state) {
    (void)state;
    const char *msgs = file_with("m.json", "[]");
    const char *tmpl = file_with("t.jinja", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }}");
    cli_result r;
    /* 86461 s = one day, one minute and one second after the epoch; 951782400 = 2000-02-29 00:00:00 UTC
     * (10,957 days to 2000-01-01, then 31 + 28). */
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--now", "86461", NULL});
    expect_ok(&r, "--now 86461", "1970-01-02 00:01:01");
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--now", "951782400", NULL});
    expect_ok(&r, "--now 951782400", "2000-02-29 00:00:00");
}

static void tools_documents_and_extra_message_members_reach_the_template(void **state) {
    (void)state;
    const char *msgs = file_with(
        "m.json", "[{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\": \"function\", "
                  "\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}}]}]");
    const char *tools = file_with("tools.json", "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]");
    const char *docs = file_with("docs.json", "[{\"title\": \"T1\"}, {\"title\": \"T2\"}]");
    const char *tmpl = file_with(
        "t.jinja", "{{ tools[0].function.name }}|{{ documents|map(attribute='title')|join(',') }}|"
                   "{% for m in messages %}{{ m.content is none }} {{ m.tool_calls[0].function.arguments|tojson }}"
                   "{% endfor %}|{{ tools|tojson }}");
    cli_result r;
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--tools", tools,
                                       "--documents", docs, NULL});
    /* tojson is json.dumps(ensure_ascii=False): ", " and ": " separators. */
    expect_ok(&r, "tools and documents",
              "f|T1,T2|True {\"city\": \"Zürich\"}|[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]");

    /* Without --tools, `tools` is undefined. */
    const char *t2 = file_with("t2.jinja", "{{ tools is defined }} {{ documents is defined }}");
    chat_template(&r, (const char *[]){"--jinja", "--template", t2, "--messages", msgs, NULL});
    expect_ok(&r, "no tools", "False False");
}

/* llama.cpp's polyfill for a template that rejects a system message: the
 * system text goes in front of the first user message, joined by "\n". */
static void system_polyfill_merges_system_text_unless_disabled(void **state) {
    (void)state;
    const char *msgs = file_with("m.json", "[{\"role\": \"system\", \"content\": \"S\"}, "
                                           "{\"role\": \"user\", \"content\": \"U\"}]");
    const char *tmpl = file_with("t.jinja", "{% for m in messages %}{% if m.role == 'system' %}"
                                            "{{ raise_exception('System role not supported') }}{% endif %}"
                                            "[{{ m.role }}:{{ m.content }}]{% endfor %}");
    cli_result r;
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, NULL});
    expect_ok(&r, "polyfill", "[user:S\nU]");
    chat_template(&r, (const char *[]){"--jinja", "--template", tmpl, "--messages", msgs, "--no-system-polyfill",
                                       NULL});
    expect_refused(&r, 1, "no polyfill", "System role not supported");
}

/* ---- refusals ---- */

static void template_and_input_errors_exit_1_with_the_engines_message(void **state) {
    (void)state;
    const char *msgs = file_with("m.json", "[{\"role\": \"user\", \"content\": \"x\"}]");
    char missing[512];
    test_tmpdir_path(missing, sizeof missing, "no-such.jinja");
    cli_result r;
    /* a syntax error on line 2 */
    const char *bad = file_with("bad.jinja", "ok\n{% if %}");
    chat_template(&r, (const char *[]){"--jinja", "--template", bad, "--messages", msgs, NULL});
    expect_refused(&r, 1, "syntax", "bad.jinja");
    if (!strstr(r.err, "line 2")) fail_msg("no line 2 in '%s'", r.err);
    /* raise_exception's message */
    const char *raise = file_with("raise.jinja", "{{ raise_exception('Roles must alternate') }}");
    chat_template(&r, (const char *[]){"--jinja", "--template", raise, "--messages", msgs, NULL});
    expect_refused(&r, 1, "raise", "Roles must alternate");
    /* a name is not a file */
    chat_template(&r, (const char *[]){"--jinja", "--template", "chatml", "--messages", msgs, NULL});
    expect_refused(&r, 1, "name", "'chatml' is not one");
    chat_template(&r, (const char *[]){"--jinja", "--template", missing, "--messages", msgs, NULL});
    expect_refused(&r, 1, "missing", "no-such.jinja");
    /* malformed JSON in each input file */
    const char *ok = file_with("ok.jinja", "{{ messages|length }}");
    const char *broken = file_with("broken.json", "[{\"role\": ");
    chat_template(&r, (const char *[]){"--jinja", "--template", ok, "--messages", broken, NULL});
    expect_refused(&r, 1, "messages json", "messages");
    chat_template(&r, (const char *[]){"--jinja", "--template", ok, "--messages", msgs, "--tools", broken, NULL});
    expect_refused(&r, 1, "tools json", "tools");
    chat_template(&r, (const char *[]){"--jinja", "--template", ok, "--messages", msgs, "--documents", broken, NULL});
    expect_refused(&r, 1, "documents json", "documents");
    chat_template(&r, (const char *[]){"--jinja", "--template", ok, "--messages", missing, NULL});
    expect_refused(&r, 1, "missing messages", "no-such.jinja");
    /* the same template and messages render */
    chat_template(&r, (const char *[]){"--jinja", "--template", ok, "--messages", msgs, NULL});
    expect_ok(&r, "control", "1");
}

static void jinja_options_without_jinja_are_usage_errors(void **state) {
    (void)state;
    const char *msgs = file_with("m.json", "[]");
    static const char *const opts[][2] = {{"--bos", "<s>"}, {"--eos", "</s>"}, {"--tools", "x.json"},
                                          {"--documents", "x.json"}, {"--now", "0"},
                                          {"--no-system-polyfill", NULL}, {"--keep-bos-eos", NULL}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        cli_result r;
        chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, opts[i][0], opts[i][1], NULL});
        char want[64];
        snprintf(want, sizeof want, "%s needs --jinja", opts[i][0]);
        expect_refused(&r, 2, opts[i][0], want);
    }
    cli_result r;
    chat_template(&r, (const char *[]){"--jinja", "--template", "chatml", "--detect", NULL});
    expect_refused(&r, 2, "--jinja --detect", "takes no --detect");
    chat_template(&r, (const char *[]){"--jinja", "--template", "t.jinja", "--messages", msgs, "--now", "-1", NULL});
    expect_refused(&r, 2, "--now -1", "--now");
    chat_template(&r, (const char *[]){"--jinja", "--template", "t.jinja", "--messages", msgs, "--now",
                                       "9223372036854775808", NULL});
    expect_refused(&r, 2, "--now 2^63", "--now");
    chat_template(&r, (const char *[]){"--jinja", "--template", "t.jinja", NULL});
    expect_refused(&r, 2, "no messages", "need --messages");
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac");
    return run_cases(setup, teardown, every_peer_case_supported_by_its_jinja_engine_prints_its_jinja_expectation,
                     one_leading_bos_and_one_trailing_eos_are_dropped_unless_kept, now_fixes_strftime_now,
                     tools_documents_and_extra_message_members_reach_the_template,
                     system_polyfill_merges_system_text_unless_disabled,
                     template_and_input_errors_exit_1_with_the_engines_message,
                     jinja_options_without_jinja_are_usage_errors);
}
