/* `llamac chat-template` end to end: llama.cpp's chat-template test at
 * c392e50 (tests/data/chat/peer_cases.txt) through the command line — each
 * case's Jinja text written to a file (the built-in detected from it) and
 * each case's built-in by name, the conversation as a JSON file, stdout
 * compared byte for byte with the peer's expected output; --detect; the
 * refusals (one line on stderr, exit 1) and usage errors (exit 2). */
#include "test_util.h"

#include "chat_cases.h"
#include "test_tmpdir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The peer's conversation as FILE.json, once per program. */
static const char *conversation_json(void) {
    static char path[512];
    if (!path[0]) peer_conversation_write_json(test_tmpdir_path(path, sizeof path, "conversation.json"));
    return path;
}

static void chat_template(cli_result *r, const char *const *args) {
    cli_run_command(r, llamac_bin, "chat-template", args);
}

static void expect_ok(const cli_result *r, const char *what, const char *want) {
    if (r->exit_code != 0) fail_msg("%s: exit %d: %s", what, r->exit_code, r->err);
    if (strcmp(r->out, want) != 0) fail_msg("%s:\n  got  '%s'\n  want '%s'", what, r->out, want);
}

/* Exit 1, nothing on stdout, exactly one line on stderr containing needle. */
static void expect_refused(const cli_result *r, const char *what, const char *needle) {
    if (r->exit_code != 1) fail_msg("%s: exit %d (want 1): %s", what, r->exit_code, r->err);
    assert_string_equal(r->out, "");
    const char *nl = strchr(r->err, '\n');
    if (!nl || nl[1] != '\0') fail_msg("%s: want one line on stderr, got '%s'", what, r->err);
    if (!strstr(r->err, needle)) fail_msg("%s: '%s' lacks '%s'", what, r->err, needle);
}

/* ---- the peer's cases ---- */

static void every_peer_case_from_its_template_file_prints_the_expected_bytes(void **state) {
    (void)state;
    assert_int_equal(data.n, 30);
    const char *msgs = conversation_json();
    for (int i = 0; i < data.n; i++) {
        char tmpl[512];
        char name[32];
        snprintf(name, sizeof name, "case%02d.jinja", i);
        chat_write_text(test_tmpdir_path(tmpl, sizeof tmpl, name), data.cases[i].tmpl);
        cli_result r;
        chat_template(&r, (const char *[]){"--template", tmpl, "--messages", msgs, "--add-generation-prompt",
                                           NULL});
        expect_ok(&r, data.cases[i].name, data.cases[i].expected);
    }
}

static void every_peer_case_by_builtin_name_prints_the_expected_bytes(void **state) {
    (void)state;
    const char *msgs = conversation_json();
    for (int i = 0; i < data.n; i++) {
        cli_result r;
        chat_template(&r, (const char *[]){"--add-generation-prompt", "--messages", msgs, "--template",
                                           data.cases[i].builtin, NULL});
        expect_ok(&r, data.cases[i].builtin, data.cases[i].expected);
    }
}

static void detect_prints_each_cases_recorded_builtin(void **state) {
    (void)state;
    for (int i = 0; i < data.n; i++) {
        char tmpl[512], want[64];
        char name[32];
        snprintf(name, sizeof name, "detect%02d.jinja", i);
        chat_write_text(test_tmpdir_path(tmpl, sizeof tmpl, name), data.cases[i].tmpl);
        snprintf(want, sizeof want, "%s\n", data.cases[i].builtin);
        cli_result r;
        chat_template(&r, (const char *[]){"--template", tmpl, "--detect", NULL});
        expect_ok(&r, data.cases[i].name, want);
        chat_template(&r, (const char *[]){"--detect", "--template", data.cases[i].builtin, NULL});
        expect_ok(&r, data.cases[i].builtin, want);
    }
}

/* ---- the conversation file ---- */

/* chatml by hand: "<|im_start|>" ROLE "\n" CONTENT "<|im_end|>\n" per
 * message, "<|im_start|>assistant\n" only with --add-generation-prompt. */
static void json_escapes_arrive_decoded_and_nothing_is_added(void **state) {
    (void)state;
    char msgs[512];
    chat_write_text(test_tmpdir_path(msgs, sizeof msgs, "escapes.json"),
               "[{\"role\":\"user\",\"content\":\"a\\\"b\\\\c\\nd \\u00e9\\ud83d\\ude00\\t\"}]");
    cli_result r;
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, NULL});
    expect_ok(&r, "escapes", "<|im_start|>user\na\"b\\c\nd \xc3\xa9\xf0\x9f\x98\x80\t<|im_end|>\n");

    chat_write_text(msgs, " [ ] ");
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, NULL});
    expect_ok(&r, "no messages", "");
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, "--add-generation-prompt", NULL});
    expect_ok(&r, "no messages, generation prompt", "<|im_start|>assistant\n");
}

static void bad_messages_exit_1_naming_the_index_and_field(void **state) {
    (void)state;
    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"role\":\"user\",\"content\":\"x\"}", "expected an array of messages, not an object"},
        {"\"hi\"", "not a string"},
        {"[{\"role\":\"user\",\"content\":\"x\"}, 3]", "messages[1] is a number, not an object"},
        {"[{\"role\":\"user\"}]", "messages[0] has no \"content\""},
        {"[{\"content\":\"x\"}]", "messages[0] has no \"role\""},
        {"[{\"role\":\"user\",\"content\":null}]", "messages[0].content is not a string"},
        {"[{\"role\":1,\"content\":\"x\"}]", "messages[0].role is not a string"},
        {"[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]", "messages[0].content contains a NUL"},
        {"[{\"role\":\"user\",\"content\":\"x\",\"name\":\"n\"}]", "messages[0] has an unexpected member \"name\""},
        {"[{\"role\":\"user\",\"content\":\"x\",\"role\":\"system\"}]", "messages[0] has a repeated member \"role\""},
        {"[{\"role\":\"user\",\"content\":\"x\"},]", "JSON line 1, column"},
        {"[\n{\"role\":\"user\" \"content\":\"x\"}]", "JSON line 2, column"},
        {"", "JSON line 1, column 1"},
    };
    char msgs[512];
    test_tmpdir_path(msgs, sizeof msgs, "bad.json");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        chat_write_text(msgs, bad[i].json);
        cli_result r;
        chat_template(&r, (const char *[]){"--template", "llama3", "--messages", msgs, NULL});
        expect_refused(&r, bad[i].json, bad[i].needle);
        assert_non_null(strstr(r.err, "bad.json"));
    }
}

/* ---- templates ---- */

static void unknown_names_missing_files_and_undetected_templates_exit_1(void **state) {
    (void)state;
    const char *msgs = conversation_json();
    char path[512], missing[512], unknown[512], dir[512];
    test_tmpdir_path(missing, sizeof missing, "no-such.jinja");
    chat_write_text(test_tmpdir_path(unknown, sizeof unknown, "unknown.jinja"), "{{ messages }} an unknown format");
    test_tmpdir_path(dir, sizeof dir, "");
    cli_result r;
    chat_template(&r, (const char *[]){"--template", "llama-3", "--messages", msgs, NULL});
    expect_refused(&r, "unknown name", "'llama-3' is neither a file nor a built-in chat format");
    chat_template(&r, (const char *[]){"--template", "llama-3", "--detect", NULL});
    expect_refused(&r, "unknown name, --detect", "llama-3");
    chat_template(&r, (const char *[]){"--template", missing, "--messages", msgs, NULL});
    expect_refused(&r, "missing file", "no-such.jinja");
    chat_template(&r, (const char *[]){"--template", unknown, "--messages", msgs, NULL});
    expect_refused(&r, "undetected", "no built-in chat format detected");
    chat_template(&r, (const char *[]){"--template", unknown, "--detect", NULL});
    expect_refused(&r, "undetected, --detect", "unknown.jinja");
    chat_template(&r, (const char *[]){"--template", dir, "--detect", NULL});
    expect_refused(&r, "a directory", "directory");
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", missing, NULL});
    expect_refused(&r, "missing messages", "cannot open");
    /* a template file with a NUL byte is refused, not cut at it */
    FILE *f = fopen(test_tmpdir_path(path, sizeof path, "nul.jinja"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("x\0<|im_start|>", 1, 14, f), 14);
    assert_int_equal(fclose(f), 0);
    chat_template(&r, (const char *[]){"--template", path, "--detect", NULL});
    expect_refused(&r, "NUL in template", "NUL byte");
}

/* A file named like a built-in, in the current folder, is read as a
 * template: "chatml" holding a Llama 3 template formats as llama3. */
static void an_existing_file_wins_over_a_name(void **state) {
    (void)state;
    const peer_case *llama3 = NULL;
    for (int i = 0; i < data.n; i++)
        if (!strcmp(data.cases[i].builtin, "llama3")) llama3 = &data.cases[i];
    assert_non_null(llama3);
    char file[512], cwd[1024];
    chat_write_text(test_tmpdir_path(file, sizeof file, "chatml"), llama3->tmpl);
    const char *msgs = conversation_json();
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(test_tmpdir), 0);
    cli_result r, d;
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, "--add-generation-prompt",
                                       NULL});
    chat_template(&d, (const char *[]){"--template", "chatml", "--detect", NULL});
    assert_int_equal(chdir(cwd), 0);
    expect_ok(&r, "file named chatml", llama3->expected);
    expect_ok(&d, "file named chatml, --detect", "llama3\n");
}

static void a_file_over_the_prompt_limit_is_refused(void **state) {
    (void)state;
    const char *msgs = conversation_json();
    cli_result r;
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, "--prompt-limit", "16", NULL});
    expect_refused(&r, "limit", "over the limit of 16 bytes");
    chat_template(&r, (const char *[]){"--template", "chatml", "--messages", msgs, "--prompt-limit", "1K", NULL});
    assert_int_equal(r.exit_code, 0);
}

static void usage_errors_exit_2(void **state) {
    (void)state;
    static const char *const cases[][8] = {
        {NULL},
        {"--template", NULL},
        {"--messages", "m.json", NULL},
        {"--template", "chatml", NULL},
        {"--template", "chatml", "--messages", NULL},
        {"--template", "chatml", "--detect", "--messages", "m.json", NULL},
        {"--template", "chatml", "--detect", "--add-generation-prompt", NULL},
        {"--template", "chatml", "--messages", "m.json", "--bos", "<s>", NULL},
        {"--template", "chatml", "--messages", "m.json", "extra", NULL},
        {"--template", "chatml", "--messages", "m.json", "--prompt-limit", "0", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        chat_template(&r, (const char *const *)cases[i]);
        if (r.exit_code != 2) fail_msg("case %zu: exit %d: %s", i, r.exit_code, r.err);
        assert_string_equal(r.out, "");
    }
    cli_result r;
    chat_template(&r, (const char *[]){"--help", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "usage: llamac chat-template"));
}

int main(int argc, char **argv) {
    /* absolute, because one case runs it from another folder */
    static char bin[4096];
    const char *given = test_first_arg(argc, argv, "PATH/TO/llamac");
    llamac_bin = realpath(given, bin) ? bin : given;
    return run_cases(setup, teardown, every_peer_case_from_its_template_file_prints_the_expected_bytes,
                     every_peer_case_by_builtin_name_prints_the_expected_bytes,
                     detect_prints_each_cases_recorded_builtin,
                     json_escapes_arrive_decoded_and_nothing_is_added,
                     bad_messages_exit_1_naming_the_index_and_field,
                     unknown_names_missing_files_and_undetected_templates_exit_1,
                     an_existing_file_wins_over_a_name, a_file_over_the_prompt_limit_is_refused,
                     usage_errors_exit_2);
}
