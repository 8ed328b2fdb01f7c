/* `llamac run` as a user meets it: greedy output reproduces the golden
 * tokens, a seed fixes the output across thread counts, a stop string is
 * not printed, --keep generates past the context size, bad arguments give
 * the usage and exit status 2.
 * Usage: test_generate_cli PATH/TO/llamac [--shared] */
#include "test_util.h"

#include "../tools/golden.h"
#include "llamac.h"

#include <string.h>
#include <unistd.h>

static const char *llamac_bin;

static const char golden_text[] =
    "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village";

/* Runs `llamac run ARGS...` (NULL-terminated). */
static void run(cli_result *r, const char *const *args) { cli_run_command(r, llamac_bin, "run", args); }

static void greedy_run_prints_the_golden_token_ids(void **state) {
    (void)state;
    char mbuf[512], gbuf[512], err[256];
    SKIP_WITHOUT_SHARED(model, mbuf, "models/tiny-F32.gguf");
    SKIP_WITHOUT_SHARED(gpath, gbuf, "golden/tiny-F32.golden");
    golden g;
    assert_int_equal(golden_read(gpath, &g, err, sizeof err), 0);
    char n[16];
    snprintf(n, sizeof n, "%u", g.n_gen);
    cli_result r;
    run(&r, (const char *[]){"-m", model, "-p", golden_text, "--temp", "0", "-n", n, "--ids", NULL});
    if (r.exit_code != 0) fail_msg("exit %d: %s", r.exit_code, r.err);
    char want[1024];
    size_t w = 0;
    for (uint32_t i = 0; i < g.n_gen; i++)
        w += (size_t)snprintf(want + w, sizeof want - w, "%s%d", i ? " " : "", (int)g.gen[i]);
    snprintf(want + w, sizeof want - w, "\n");
    assert_string_equal(r.out, want);
    /* the timings the issue asks for */
    assert_non_null(strstr(r.err, "load"));
    assert_non_null(strstr(r.err, "tokens/s"));
    print_message("%s", r.err);
    golden_free(&g);
}

static void seed_fixes_the_text_across_thread_counts(void **state) {
    (void)state;
    const char *model = shipped_model_path(); /* any model will do */
    cli_result a, b, c;
    run(&a, (const char *[]){"-m", model, "-p", golden_text, "-n", "24", "--seed", "9", "-t", "1", NULL});
    run(&b, (const char *[]){"-m", model, "-p", golden_text, "-n", "24", "--seed", "9", "-t", "2", NULL});
    run(&c, (const char *[]){"-m", model, "-p", golden_text, "-n", "24", "--seed", "10", "-t", "2", NULL});
    assert_int_equal(a.exit_code, 0);
    assert_int_equal(b.exit_code, 0);
    assert_int_equal(c.exit_code, 0);
    assert_true(strlen(a.out) > 10);
    assert_string_equal(a.out, b.out);
    assert_string_not_equal(a.out, c.out);
}

static void stop_string_is_not_printed(void **state) {
    (void)state;
    const char *model = shipped_model_path(); /* any model will do */
    cli_result full, cut;
    run(&full, (const char *[]){"-m", model, "-p", golden_text, "--temp", "0", "-n", "32", NULL});
    assert_int_equal(full.exit_code, 0);
    /* 3 bytes from the middle of the output (any boundary) */
    const size_t len = strlen(full.out), mid = len / 2;
    char stop[4] = {full.out[mid], full.out[mid + 1], full.out[mid + 2], '\0'};
    const size_t at = (size_t)(strstr(full.out, stop) - full.out);
    run(&cut, (const char *[]){"-m", model, "-p", golden_text, "--temp", "0", "-n", "32", "--stop", stop, NULL});
    assert_int_equal(cut.exit_code, 0);
    assert_int_equal(strlen(cut.out), at + 1); /* the text before it, then the final newline */
    assert_memory_equal(cut.out, full.out, at);
    assert_non_null(strstr(cut.err, "stop string"));
}

/* Space-separated ids on one line (the --ids output). */
static int count_ids(const char *out) {
    int n = 0;
    for (const char *p = out; *p; p++)
        if (*p >= '0' && *p <= '9' && (p == out || p[-1] == ' ')) n++;
    return n;
}

/* Tokens of `text` as `llamac run` tokenizes it (BOS, special text parsed). */
static int32_t prompt_tokens(const char *model_path, const char *text) {
    llamac_model *m = NULL;
    assert_int_equal(llamac_model_load(model_path, NULL, &m), LLAMAC_OK);
    llamac_token toks[256];
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(llamac_model_vocab(m), text, strlen(text), toks, 256, true, true, &n),
                     LLAMAC_OK);
    llamac_model_free(m);
    return n;
}

/* The example: 300 greedy ids through a 64-token context with
 * --keep 8. Without --keep the run stops when the context is full: the
 * prompt's p cells plus 64 - p decoded responses, and one more response
 * sampled that finds no cell, so 65 - p ids. */
static void keep_generates_past_the_context_size(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    const char *prompt = "In the beginning";
    const int32_t p = prompt_tokens(model, prompt);
    assert_true(p > 1 && p < 16);
    cli_result keep, again, plain;
    run(&keep, (const char *[]){"-m", model, "-p", prompt, "-c", "64", "--keep", "8", "-n", "300", "--temp", "0",
                               "--ids", NULL});
    if (keep.exit_code != 0) fail_msg("exit %d: %s", keep.exit_code, keep.err);
    assert_int_equal(count_ids(keep.out), 300);
    assert_non_null(strstr(keep.err, "token limit"));
    run(&again, (const char *[]){"-m", model, "-p", prompt, "-c", "64", "--keep", "8", "-n", "300", "--temp",
                                "0", "--ids", "-t", "1", NULL});
    assert_int_equal(again.exit_code, 0);
    assert_string_equal(keep.out, again.out);

    run(&plain, (const char *[]){"-m", model, "-p", prompt, "-c", "64", "-n", "300", "--temp", "0", "--ids",
                                NULL});
    assert_int_equal(plain.exit_code, 0);
    assert_int_equal(count_ids(plain.out), 65 - p);
    assert_non_null(strstr(plain.err, "context full"));
    /* the same ids up to the first shift */
    assert_memory_equal(keep.out, plain.out, strlen(plain.out) - 1);
}

/* A prompt longer than the context: refused without --keep (the refusal is
 * test_generate_limits'), cut in its middle with it. */
static void keep_cuts_an_over_long_prompt(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    static const char text[] = "In the beginning God created the heaven and the earth. And the earth was "
                               "without form, and void; and darkness was upon the face of the deep.";
    assert_true(prompt_tokens(model, text) > 16);
    cli_result r;
    run(&r, (const char *[]){"-m", model, "-c", "16", "--keep", "4", "-n", "8", "--temp", "0", "--ids", "-p",
                            text, NULL});
    if (r.exit_code != 0) fail_msg("exit %d: %s", r.exit_code, r.err);
    assert_int_equal(count_ids(r.out), 8);
}

static void bad_arguments_print_usage_and_exit_2(void **state) {
    (void)state;
    /* A real model, so that exit 2 can only come from the arguments. */
    const char *model = shipped_model_path();
    const char *const cases[][8] = {
        {NULL},                                   /* no model, no prompt */
        {"-m", model, NULL},                      /* no prompt */
        {"-m", model, "-p", "x", "-f", "y", NULL}, /* two prompts */
        {"-m", model, "-p", "x", "--temp", "-1", NULL},
        {"-m", model, "-p", "x", "--top-p", "1.5", NULL},
        {"-m", model, "-p", "x", "-n", "ten", NULL},
        {"-m", model, "-p", "x", "--seed", "-3", NULL},
        {"-m", model, "-p", "x", "--bogus", NULL},
        {"-m", model, "-p", "x", "--keep", "-2", NULL},
        {"-m", model, "-p", "x", "--keep", NULL},
        {"-m", model, "-p", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        run(&r, cases[i]);
        if (r.exit_code != 2) fail_msg("case %zu: exit %d", i, r.exit_code);
        assert_non_null(strstr(r.err, "usage: llamac run"));
        assert_string_equal(r.out, "");
    }
    cli_result r;
    run(&r, (const char *[]){"-m", "/nonexistent.gguf", "-p", "x", NULL});
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "nonexistent"));
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac [--shared]");
    return run_parts(test_part(argc, argv, "--shared"), NULL, NULL,
                     CASES(bad_arguments_print_usage_and_exit_2, stop_string_is_not_printed,
                           seed_fixes_the_text_across_thread_counts, keep_generates_past_the_context_size,
                           keep_cuts_an_over_long_prompt),
                     CASES(greedy_run_prints_the_golden_token_ids));
}
