/* `llamac logits` as a user runs it: judging a golden file (exit 0 when the
 * README's criteria hold, 1 when one fails), writing golden-format output
 * that reads back with the tokens it was given, and exit 2 on bad usage.
 * Usage: test_decode_logits_cli PATH/TO/llamac [--shared] */
#include "test_util.h"
#include "test_tmpdir.h"

#include "../tools/golden.h"
#include "model_builder.h"

#include <string.h>
#include <unistd.h>

static const char *llamac_bin;

/* Runs `llamac logits ARGS...` (NULL-terminated). */
static void run(cli_result *r, const char *const *args) { cli_run_command(r, llamac_bin, "logits", args); }

/* The group's folder (test_tmpdir) holding the builder's default model (64
 * tokens) as m.gguf, for the cases that need no particular model. */
static int dir_with_default_model(void **state) {
    char model[300];
    tm_spec s;
    tm_spec_default(&s);
    return test_tmpdir_setup(state) || tm_write(&s, test_tmpdir_path(model, sizeof model, "m.gguf")) != LLAMAC_OK;
}

static void golden_file_that_matches_passes_and_output_reads_back(void **state) {
    (void)state;
    char mb[512], gb[512], fb[512], out_path[300], err[256];
    SKIP_WITHOUT_SHARED(model, mb, "models/tiny-F16.gguf");
    SKIP_WITHOUT_SHARED(gold, gb, "golden/tiny-F16.golden");
    SKIP_WITHOUT_SHARED(gold32, fb, "golden/tiny-F32.golden");
    test_tmpdir_path(out_path, sizeof out_path, "out.golden");
    cli_result r;
    const char *args[] = {"-m", model, "--golden", gold, "--golden-f32", gold32, "--chunk", "5", "-t", "2",
                          "-o", out_path, NULL};
    run(&r, args);
    if (r.exit_code != 0) fail_msg("exit %d:\n%s", r.exit_code, r.out);
    assert_non_null(strstr(r.out, "criterion 1 (same file, F16)"));
    assert_non_null(strstr(r.out, "criterion 2"));
    assert_non_null(strstr(r.out, "criterion 3 (greedy): 16/16"));
    assert_null(strstr(r.out, "FAIL"));

    golden ref, ours;
    assert_int_equal(golden_read(gold, &ref, err, sizeof err), 0);
    assert_int_equal(golden_read(out_path, &ours, err, sizeof err), 0);
    assert_int_equal(ours.n_vocab, ref.n_vocab);
    assert_int_equal(ours.n_prompt, ref.n_prompt);
    assert_int_equal(ours.n_gen, ref.n_gen);
    assert_memory_equal(ours.prompt, ref.prompt, (ref.n_prompt + ref.n_gen) * sizeof(int32_t));
    assert_true(golden_mean_kld(ref.logits, ours.logits, ref.n_vocab, 0, ref.n_prompt + ref.n_gen) <= 2e-5);
    golden_free(&ref);
    golden_free(&ours);
}

static void golden_file_of_another_model_fails(void **state) {
    (void)state;
    char mb[512], gb[512];
    SKIP_WITHOUT_SHARED(model, mb, "models/tiny-Q4_0.gguf");
    SKIP_WITHOUT_SHARED(gold, gb, "golden/tiny-F16.golden");
    cli_result r;
    const char *args[] = {"-m", model, "--golden", gold, NULL};
    run(&r, args);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.out, "criterion 1 (same file, F16)"));
    assert_non_null(strstr(r.out, "FAIL"));
}

static void token_lists_are_decoded_and_written(void **state) {
    (void)state;
    char model[300], out_path[300], err[256];
    test_tmpdir_path(model, sizeof model, "m.gguf");
    test_tmpdir_path(out_path, sizeof out_path, "out.golden");
    cli_result r;
    const char *args[] = {"-m", model, "--tokens", "1,2,3", "--gen", "4,5", "--chunk", "2", "--kv", "f32",
                          "-o", out_path, NULL};
    run(&r, args);
    assert_int_equal(r.exit_code, 0);
    golden g;
    assert_int_equal(golden_read(out_path, &g, err, sizeof err), 0);
    assert_int_equal(g.n_vocab, 64);
    assert_int_equal(g.n_prompt, 3);
    assert_int_equal(g.n_gen, 2);
    assert_int_equal(g.prompt[2], 3);
    assert_int_equal(g.gen[1], 5);
    golden_free(&g);

    /* a token outside the vocabulary is a decode error: exit 1 */
    const char *bad[] = {"-m", model, "--tokens", "1,64", NULL};
    run(&r, bad);
    assert_int_equal(r.exit_code, 1);
}

/* A golden file may hold continuation rows only (its header allows
 * n_prompt 0), but then nothing predicts the first continuation token:
 * criterion 3 must not index the row before the first. */
static void golden_file_without_prompt_is_refused(void **state) {
    (void)state;
    char model[300], gold[300], err[256];
    test_tmpdir_path(model, sizeof model, "m.gguf");
    test_tmpdir_path(gold, sizeof gold, "tiny-F32.golden");
    int32_t gen[2] = {4, 5};
    static float logits[2 * 64];
    golden g = {64, 0, 2, gen, gen, logits};
    assert_int_equal(golden_write(gold, &g, err, sizeof err), 0);
    cli_result r;
    const char *args[] = {"-m", model, "--golden", gold, NULL};
    run(&r, args);
    if (r.signal) fail_msg("llamac logits died of signal %d", r.signal);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "no prompt"));
}

static void bad_usage_exits_2(void **state) {
    (void)state;
    cli_result r;
    const char *no_model[] = {"--tokens", "1,2", NULL};
    run(&r, no_model);
    assert_int_equal(r.exit_code, 2);
    const char *both[] = {"-m", "x.gguf", "--tokens", "1", "--golden", "y.golden", NULL};
    run(&r, both);
    assert_int_equal(r.exit_code, 2);
    const char *bad_list[] = {"-m", "x.gguf", "--tokens", "1,,2", NULL};
    run(&r, bad_list);
    assert_int_equal(r.exit_code, 2);
    const char *bad_kv[] = {"-m", "x.gguf", "--tokens", "1", "--kv", "q8", NULL};
    run(&r, bad_kv);
    assert_int_equal(r.exit_code, 2);
    /* numbers are parsed whole: "two" is not 0 (automatic threads) */
    const char *bad_threads[] = {"-m", "x.gguf", "--tokens", "1", "-t", "two", NULL};
    run(&r, bad_threads);
    assert_int_equal(r.exit_code, 2);
    const char *bad_chunk[] = {"-m", "x.gguf", "--tokens", "1", "--chunk", "4x", NULL};
    run(&r, bad_chunk);
    assert_int_equal(r.exit_code, 2);
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac [--shared]");
    return run_parts(test_part(argc, argv, "--shared"), dir_with_default_model, test_tmpdir_teardown,
                     CASES(token_lists_are_decoded_and_written, golden_file_without_prompt_is_refused,
                           bad_usage_exits_2),
                     CASES(golden_file_that_matches_passes_and_output_reads_back,
                           golden_file_of_another_model_fails));
}
