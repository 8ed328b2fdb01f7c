/* Faults a new user met with the `llamac` program (issue 12, faults 1, 2
 * and the CLI half of 9): paths that are not regular files, prompt files
 * without an end, and option errors that did not say what is allowed.
 * Every child runs under a wall-clock limit, so a hang fails the case
 * instead of the whole program.
 * Usage: test_cli_faults PATH/TO/llamac (env LLAMAC_SHIPPED_MODEL: a model). */
#include "test_tmpdir.h"
#include "test_util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *llamac_bin;
static const char *model;
static char fifo_path[300], dir_path[300];

/* A hang shows as a timeout of this many seconds; the slowest legitimate
 * case (64 MiB from /dev/zero) takes well under one. */
#define TIMEOUT_S 20.0

static void run_llamac(cli_result *r, const char *const *args) {
    bool timed_out;
    /* An unbounded read of /dev/zero must fail in the child (ENOMEM) rather
     * than take the machine's memory (except under ASan: see cli_limits). */
    cli_limits lim = {TIMEOUT_S, (size_t)4 << 30};
    cli_run_limited(r, &timed_out, llamac_bin, args, lim);
    if (timed_out) fail_msg("llamac %s %s ... still running after %.0f s (killed)", args[0], args[1], TIMEOUT_S);
    assert_int_equal(r->signal, 0);
}

/* Exit status `code` and every given text on stderr. */
static void expect(const cli_result *r, int code, const char *text, const char *text2) {
    if (r->exit_code != code || !strstr(r->err, text) || (text2 && !strstr(r->err, text2)))
        fail_msg("exit %d (want %d); stderr lacks '%s'%s%s:\n%s", r->exit_code, code, text,
                 text2 ? " or " : "", text2 ? text2 : "", r->err);
}

static int setup(void **state) {
    if (test_tmpdir_setup(state)) return -1;
    test_tmpdir_path(fifo_path, sizeof fifo_path, "fifo");
    test_tmpdir_path(dir_path, sizeof dir_path, "dir");
    return mkfifo(fifo_path, 0600) || mkdir(dir_path, 0700);
}

static void write_file(const char *path, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) fputc("abc de "[i % 7], f);
    assert_int_equal(fclose(f), 0);
}

/* Fault 1: a FIFO without a writer used to block open() for ever. */
static void fifo_as_model_fails_at_once(void **state) {
    (void)state;
    cli_result r;
    run_llamac(&r, (const char *[]){"info", fifo_path, NULL});
    expect(&r, 1, "is a FIFO/named pipe", fifo_path);
    run_llamac(&r, (const char *[]){"run", "-m", fifo_path, "-p", "x", "-n", "2", NULL});
    expect(&r, 1, "is a FIFO/named pipe", NULL);
    run_llamac(&r, (const char *[]){"tokenize", "-m", fifo_path, "-p", "x", NULL});
    expect(&r, 1, "is a FIFO/named pipe", NULL);
}

static void directory_and_device_as_model_say_what_they_are(void **state) {
    (void)state;
    cli_result r;
    run_llamac(&r, (const char *[]){"info", dir_path, NULL});
    expect(&r, 1, "is a directory", NULL);
    run_llamac(&r, (const char *[]){"info", "/dev/zero", NULL});
    expect(&r, 1, "is a character device", NULL);
    run_llamac(&r, (const char *[]){"tokenize", "-m", "/dev/urandom", "-p", "x", NULL});
    expect(&r, 1, "is a character device", NULL);
}

/* Fault 2: /dev/zero never ends; the read stops at the default limit. */
static void endless_prompt_file_stops_at_the_limit(void **state) {
    (void)state;
    cli_result r;
    run_llamac(&r, (const char *[]){"run", "-m", model, "-f", "/dev/zero", "-n", "4", NULL});
    expect(&r, 1, "character device", "more than the limit of 67108864 bytes");
    run_llamac(&r, (const char *[]){"tokenize", "-m", model, "-f", "/dev/zero", NULL});
    expect(&r, 1, "character device", "more than the limit of 67108864 bytes");
    run_llamac(&r, (const char *[]){"run", "-m", model, "-f", "/dev/urandom", "--prompt-limit", "4K", NULL});
    expect(&r, 1, "more than the limit of 4096 bytes", NULL);
}

static void prompt_limit_refuses_a_larger_regular_file(void **state) {
    (void)state;
    char path[300];
    test_tmpdir_path(path, sizeof path, "prompt.txt");
    write_file(path, 100);
    cli_result r;
    run_llamac(&r, (const char *[]){"run", "-m", model, "-f", path, "-n", "1", "--prompt-limit", "99", NULL});
    expect(&r, 1, "is 100 bytes, over the limit of 99 bytes", "--prompt-limit");
    run_llamac(&r, (const char *[]){"tokenize", "-m", model, "-f", path, "--prompt-limit", "99", NULL});
    expect(&r, 1, "is 100 bytes, over the limit of 99 bytes", NULL);
    run_llamac(&r, (const char *[]){"perplexity", "-m", model, "-f", path, "--prompt-limit", "99", NULL});
    expect(&r, 1, "is 100 bytes, over the limit of 99 bytes", NULL);
    /* exactly at the limit is allowed */
    run_llamac(&r, (const char *[]){"tokenize", "-m", model, "-f", path, "--prompt-limit", "100", "--ids", NULL});
    expect(&r, 0, "", NULL);
    assert_true(strlen(r.out) > 2);
    unlink(path);
}

/* Fault 9: `run -f DIR` said "Input/output error". */
static void directory_as_prompt_file_says_directory(void **state) {
    (void)state;
    const char *const cmds[][8] = {
        {"run", "-m", NULL, "-f", NULL, "-n", "1", NULL},
        {"tokenize", "-m", NULL, "-f", NULL, NULL},
        {"perplexity", "-m", NULL, "-f", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *args[8];
        memcpy(args, cmds[i], sizeof args);
        args[2] = model;
        args[4] = dir_path;
        cli_result r;
        run_llamac(&r, args);
        expect(&r, 1, "is a directory", dir_path);
        assert_null(strstr(r.err, "Input/output error"));
    }
}

/* A FIFO as the prompt file: no writer means an empty prompt, not a hang. */
static void fifo_as_prompt_file_does_not_block(void **state) {
    (void)state;
    cli_result r;
    run_llamac(&r, (const char *[]){"tokenize", "-m", model, "-f", fifo_path, "--ids", NULL});
    expect(&r, 0, "", NULL);
}

/* Fault 9: the 17th --stop was "bad value 'x16'". 16 are accepted. */
static void seventeenth_stop_names_the_limit(void **state) {
    (void)state;
    static char vals[17][8];
    const char *args[48] = {"run", "-m", model, "-p", "x", "-n", "1", "--temp", "0"};
    int k = 9;
    for (int i = 0; i < 16; i++) {
        snprintf(vals[i], sizeof vals[i], "x%d", i);
        args[k++] = "--stop";
        args[k++] = vals[i];
    }
    args[k] = NULL;
    cli_result r;
    run_llamac(&r, args);
    expect(&r, 0, "", NULL);
    args[k++] = "--stop";
    args[k++] = "x16";
    args[k] = NULL;
    run_llamac(&r, args);
    expect(&r, 2, "at most 16 --stop strings", "'x16'");
    assert_null(strstr(r.err, "bad value"));
}

/* Fault 9: every numeric option's error names the allowed range. */
static void numeric_option_errors_name_the_range(void **state) {
    (void)state;
    static const struct {
        const char *cmd, *opt, *value, *range;
    } cases[] = {
        {"run", "--temp", "1e30", "from 0 to 1000000"},
        {"run", "--temp", "-1", "from 0 to 1000000"},
        {"run", "-n", "x", "from -1 to 2147483647"},
        {"run", "--top-k", "-1", "from 0 to 2147483647"},
        {"run", "--top-p", "1.5", "from 0 to 1"},
        {"run", "--min-p", "nan", "from 0 to 1"},
        {"run", "--repeat-penalty", "0", "from 1e-06 to 1000000"},
        {"run", "--repeat-last-n", "-2", "from 0 to 2147483647"},
        {"run", "--seed", "-1", "from 0 to 18446744073709551615"},
        {"run", "-t", "0", "from 1 to 1024"},
        {"run", "-c", "0", "from 1 to 2147483647"},
        {"run", "--prompt-limit", "0", "from 1 to 1099511627776"},
        {"run", "--prompt-limit", "2T", "from 1 to 1099511627776"},
        {"tokenize", "--repeat", "0", "from 1 to 1000"},
        {"tokenize", "--prompt-limit", "x", "from 1 to 1099511627776"},
        {"perplexity", "-c", "1", "from 2 to 1048576"},
        {"perplexity", "-t", "2000", "from 1 to 1024"},
        {"perplexity", "--prompt-limit", "-5", "from 1 to 1099511627776"},
        {"bench", "-p", "x", "from 0 to 1048576"},
        {"bench", "-r", "0", "from 1 to"},
        {"bench", "-o", "xml", "md or csv"},
        {"logits", "-t", "-1", "from 0 to 1024"},
        {"logits", "--chunk", "x", "from 0 to 2147483647"},
        {"quantize", "-t", "0", "from 1 to 1024"},
        {"synth", "-t", "0", "from 1 to 1024"},
        {"synth", "--seed", "x", "from 0 to 18446744073709551615"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        run_llamac(&r, (const char *[]){cases[i].cmd, cases[i].opt, cases[i].value, NULL});
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", cases[i].value);
        if (r.exit_code != 2 || !strstr(r.err, cases[i].range) || !strstr(r.err, quoted) ||
            !strstr(r.err, cases[i].opt))
            fail_msg("llamac %s %s %s: exit %d, want 2 and '%s' on stderr:\n%s", cases[i].cmd,
                     cases[i].opt, cases[i].value, r.exit_code, cases[i].range, r.err);
    }
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac");
    model = getenv("LLAMAC_SHIPPED_MODEL");
    if (!model || access(model, R_OK) != 0) {
        fprintf(stderr, "LLAMAC_SHIPPED_MODEL is not set to a readable model\n");
        return 1;
    }
    return run_cases(setup, test_tmpdir_teardown,
                     fifo_as_model_fails_at_once,
                     directory_and_device_as_model_say_what_they_are,
                     endless_prompt_file_stops_at_the_limit,
                     prompt_limit_refuses_a_larger_regular_file,
                     directory_as_prompt_file_says_directory,
                     fifo_as_prompt_file_does_not_block,
                     seventeenth_stop_names_the_limit,
                     numeric_option_errors_name_the_range);
}
