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

static void golden_file_that_matches_passes_and_output_reads_back(void **state) {
    (void)state;
    char mb[512], gb[512], fb[512], dir[256], out_path[300], err[256];
    SKIP_WITHOUT_SHARED(model, mb, "models/tiny-F16.gguf");
    SKIP_WITHOUT_SHARED(gold, gb, "golden/tiny-F16.golden");
    SKIP_WITHOUT_SHARED(gold32, fb, "golden/tiny-F32.golden");
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    snprintf(out_path, sizeof out_path, "%s/out.golden", dir);
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
    test_tmpdir_remove(dir);
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
    char dir[256], model[300], out_path[300], err[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    snprintf(model, sizeof model, "%s/m.gguf", dir);
    snprintf(out_path, sizeof out_path, "%s/out.golden", dir);
    tm_spec s;
    tm_spec_default(&s);
    assert_int_equal(tm_write(&s, model), LLAMAC_OK);
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
    test_tmpdir_remove(dir);
}

/* A golden file may hold continuation rows only (its header allows
 * n_prompt 0), but then nothing predicts the first continuation token:
 * criterion 3 must not index the row before the first. */
static void golden_file_without_prompt_is_refused(void **state) {
    (void)state;
    char dir[256], model[300], gold[300], err[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    snprintf(model, sizeof model, "%s/m.gguf", dir);
    snprintf(gold, sizeof gold, "%s/tiny-F32.golden", dir);
    tm_spec s;
    tm_spec_default(&s);
    assert_int_equal(tm_write(&s, model), LLAMAC_OK);
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
    test_tmpdir_remove(dir);
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
    return run_parts(test_part(argc, argv, "--shared"), NULL, NULL,
                     CASES(token_lists_are_decoded_and_written, golden_file_without_prompt_is_refused,
                           bad_usage_exits_2),
                     CASES(golden_file_that_matches_passes_and_output_reads_back,
                           golden_file_of_another_model_fails));
}
