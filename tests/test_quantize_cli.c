/* `llamac synth`, `llamac quantize` and `llamac bench` as a user runs them:
 * exit status 0 with the promised output, 2 for bad usage, 1 (one message
 * on stderr) for a failure.
 * Usage: test_quantize_cli PATH/TO/llamac */
#include "test_tmpdir.h"
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <string.h>
#include <unistd.h>

static const char *llamac_bin;
static void run(cli_result *r, const char *const *args) { cli_run(r, llamac_bin, args); }

static int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void synth_then_quantize_then_bench(void **state) {
    (void)state;
    char f32[128], q[128];
    test_tmpdir_path(f32, sizeof f32, "tiny-f32.gguf");
    test_tmpdir_path(q, sizeof q, "tiny-q4km.gguf");
    cli_result r;
    run(&r, (const char *[]){"synth", "--shape", "tiny", "--type", "f32", "--seed", "3", "-q", "-o", f32, NULL});
    if (r.exit_code != 0) fail_msg("synth: exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "seed 3"));
    run(&r, (const char *[]){"quantize", "-q", "-t", "2", f32, q, "q4_k_m", NULL});
    if (r.exit_code != 0) fail_msg("quantize: exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "Q4_K_M"));
    llamac_gguf *g = test_open_gguf(q);
    assert_gguf_keys(g, &(gguf_key_value){"general.file_type", GK_U32, .i = LLAMAC_FTYPE_MOSTLY_Q4_K_M}, 1);
    llamac_gguf_free(g);

    /* markdown: header, rule, one row per test with a positive rate */
    run(&r, (const char *[]){"bench", "-m", q, "-p", "16", "-n", "4", "-r", "2", "-t", "2", NULL});
    if (r.exit_code != 0) fail_msg("bench: exit %d: %s", r.exit_code, r.err);
    assert_int_equal(lines(r.out), 4);
    assert_non_null(strstr(r.out, "| model | size | params | threads | test |"));
    const char *pp = strstr(r.out, "| pp16 | "), *tg = strstr(r.out, "| tg4 | ");
    assert_non_null(pp);
    assert_non_null(tg);
    assert_true(strtod(pp + strlen("| pp16 | "), NULL) > 0);
    assert_true(strtod(tg + strlen("| tg4 | "), NULL) > 0);
    assert_non_null(strstr(r.out, "Q4_K_M"));
    assert_non_null(strstr(r.err, "peak RSS"));
    /* csv: a header and one line per sample */
    run(&r, (const char *[]){"bench", "-m", q, "-p", "8", "-n", "2", "-r", "3", "-o", "csv", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(lines(r.out), 1 + 2 * 3);
    unlink(f32);
    unlink(q);
}

static void bad_usage_exits_2_and_failures_exit_1(void **state) {
    (void)state;
    char out[128], missing[128];
    test_tmpdir_path(out, sizeof out, "x.gguf");
    test_tmpdir_path(missing, sizeof missing, "missing.gguf");
    cli_result r;
    run(&r, (const char *[]){"synth", "--shape", "tiny", NULL}); /* no -o */
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"synth", "--shape", "tiny", "--type", "q4_0", "-o", out, NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"synth", "--shape", "llama-9000", "-o", out, NULL});
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "tinyllama-1.1b"));
    assert_int_equal(lines(r.err), 1);
    run(&r, (const char *[]){"quantize", missing, out, "Q4_K_Q", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "Q4_K_Q"));
    run(&r, (const char *[]){"quantize", missing, out, "Q8_0", NULL});
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "missing.gguf"));
    assert_int_equal(lines(r.err), 1);
    run(&r, (const char *[]){"quantize", missing, out, NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"bench", "-p", "8", NULL}); /* no -m */
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"bench", "-m", missing, "-p", "0", "-n", "0", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"bench", "-m", missing, "-r", "0", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"bench", "-m", missing, NULL});
    assert_int_equal(r.exit_code, 1);
    assert_int_equal(access(out, F_OK), -1);
    for (int i = 0; i < 3; i++) {
        static const char *const cmds[] = {"synth", "quantize", "bench"};
        run(&r, (const char *[]){cmds[i], "--help", NULL});
        assert_int_equal(r.exit_code, 0);
        assert_non_null(strstr(r.out, "usage: llamac"));
    }
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac");
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown,
                     synth_then_quantize_then_bench,
                     bad_usage_exits_2_and_failures_exit_1);
}
