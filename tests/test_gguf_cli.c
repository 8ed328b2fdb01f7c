/* `llamac info` as a user meets it: each malformed file of
 * test_gguf_cases.c gives exit status 1 and exactly one line on stderr
 * (never a signal), a valid file exit 0, bad usage exit 2.
 * Usage: test_gguf_cli PATH/TO/llamac [--shared] */
#include "test_tmpdir.h"
#include "test_util.h"

#include "test_gguf_cases.h"

#include "kernels/cpu.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *llamac_bin;

/* Runs `llamac` with up to three arguments (a NULL ends them early). */
static void run(cli_result *r, const char *a1, const char *a2, const char *a3) {
    const char *const args[] = {a1, a2, a3, NULL};
    cli_run(r, llamac_bin, args);
}

static void write_file(const char *path, const gbuf *b) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
    close(fd);
}

static bool one_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return s[0] && nl && nl[1] == '\0';
}

static void malformed_files_exit_1_with_one_line(void **state) {
    (void)state;
    char path[300];
    for (size_t i = 0; i < gguf_n_bad_cases; i++) {
        const gguf_case *c = &gguf_bad_cases[i];
        gbuf b = {0};
        c->build(&b);
        snprintf(path, sizeof path, "%s/case%zu.gguf", test_tmpdir, i);
        write_file(path, &b);
        cli_result r;
        run(&r, "info", path, NULL);
        if (r.signal) fail_msg("%s: llamac info died of signal %d", c->name, r.signal);
        if (r.exit_code != 1 || !one_line(r.err) || !strstr(r.err, c->message) ||
            !strstr(r.err, path))
            fail_msg("%s: exit %d, stderr '%s'", c->name, r.exit_code, r.err);
        unlink(path);
        gb_free(&b);
    }
}

/* The line `llamac info` prints for this CPU: the probe's names
 * (test_cpu_features checks those against /proc/cpuinfo). */
static void expected_cpu_line(char *buf, size_t size) {
    char names[200];
    lc_cpu_features_describe(lc_cpu_features_get(), names, sizeof names);
    snprintf(buf, size, "cpu:         %s\n", names);
}

static void cpu_option_prints_the_probed_features_alone(void **state) {
    (void)state;
    char want[256];
    expected_cpu_line(want, sizeof want);
    cli_result r;
    run(&r, "info", "--cpu", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, want);
    fprintf(stderr, "llamac info --cpu: %s", r.out);
}

static void valid_file_is_described(void **state) {
    (void)state;
    char path[300];
    test_tmpdir_path(path, sizeof path, "valid.gguf");
    gbuf b = {0};
    gguf_build_valid(&b);
    write_file(path, &b);
    cli_result r;
    run(&r, "info", path, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    char cpu[256];
    expected_cpu_line(cpu, sizeof cpu);
    assert_memory_equal(r.out, cpu, strlen(cpu)); /* the first line */
    assert_has_all(r.out, (const char *const[]){
        "version:     3", "metadata:    16 keys", "STRING[3] \"alpha\", \"\", \"x\\x00y\"",
        "UINT32[4] 1, 2, 3, ...", "INT8     -100", "ARRAY[2]", "tensors:     3", "Q8_0", "32 x 2",
        "3 tensors, 84 elements, 124 bytes", NULL});
    unlink(path);
    gb_free(&b);
}

/* A key and a tensor name carrying terminal control bytes (ESC, BEL) are
 * printed escaped: nothing but printable text reaches the terminal. */
static void control_bytes_in_names_are_escaped(void **state) {
    (void)state;
    char path[300];
    test_tmpdir_path(path, sizeof path, "names.gguf");
    gbuf b = {0};
    gb_bytes(&b, "GGUF", 4);
    gb_u32(&b, 3);
    gb_u64(&b, 1); /* tensors */
    gb_u64(&b, 1); /* keys */
    gb_str(&b, "a\x1b[2Jb\\c");
    gb_u32(&b, 8); /* STRING */
    gb_str(&b, "v");
    gb_str(&b, "t\x07x");
    gb_u32(&b, 1);  /* n_dims */
    gb_u64(&b, 32); /* ne[0] */
    gb_u32(&b, 0);  /* F32 */
    gb_u64(&b, 0);  /* offset */
    gb_pad(&b, 32);
    for (int i = 0; i < 32; i++) gb_u32(&b, 0);
    write_file(path, &b);
    cli_result r;
    run(&r, "info", path, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_null(strchr(r.out, '\x1b'));
    assert_null(strchr(r.out, '\x07'));
    assert_non_null(strstr(r.out, "a\\x1b[2Jb\\\\c"));
    assert_non_null(strstr(r.out, "t\\x07x"));
    unlink(path);
    gb_free(&b);
}

static void shared_model_shows_tensors_and_tokenizer(void **state) {
    (void)state;
    char buf[512];
    SKIP_WITHOUT_SHARED(path, buf, "models/tiny-Q4_K_M.gguf");
    cli_result r;
    run(&r, "info", path, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_has_all(r.out, (const char *const[]){
        "tensors:     21", "tokenizer.ggml.tokens",
        "STRING[2048] \"<unk>\", \"<s>\", \"</s>\", ...", "blk.1.attn_v.weight", "Q6_K", "Q4_K",
        "F32", "1673984 bytes", NULL});
}

static void usage_errors_exit_2(void **state) {
    (void)state;
    cli_result r;
    run(&r, "info", NULL, NULL);
    assert_int_equal(r.exit_code, 2);
    run(&r, "info", "a.gguf", "b.gguf");
    assert_int_equal(r.exit_code, 2);
    run(&r, "info", "--bogus", NULL);
    assert_int_equal(r.exit_code, 2);
    run(&r, "info", "--cpu", "a.gguf"); /* a file or --cpu, not both */
    assert_int_equal(r.exit_code, 2);
    run(&r, "info", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "usage: llamac info"));
}

static void missing_file_exits_1(void **state) {
    (void)state;
    cli_result r;
    run(&r, "info", "/nonexistent/x.gguf", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_true(one_line(r.err));
    assert_non_null(strstr(r.err, "/nonexistent/x.gguf"));
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac [--shared]");
    return run_parts(test_part(argc, argv, "--shared"), test_tmpdir_setup, test_tmpdir_teardown,
                     CASES(malformed_files_exit_1_with_one_line, valid_file_is_described,
                           cpu_option_prints_the_probed_features_alone, control_bytes_in_names_are_escaped,
                           usage_errors_exit_2, missing_file_exits_1),
                     CASES(shared_model_shows_tensors_and_tokenizer));
}
