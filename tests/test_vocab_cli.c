/* `llamac tokenize` as a user runs it.
 * Usage: test_vocab_cli PATH/TO/llamac [--shared] */
#include "test_util.h"

#include <string.h>
#include <unistd.h>

static const char *llamac_bin;

static void run(cli_result *r, const char *const *args) { cli_run(r, llamac_bin, args); }

#define VOCAB(var, buf, name) SKIP_WITHOUT_SHARED(var, buf, "vocab/ggml-vocab-" name ".gguf")

static void ids_of_hello_world_with_bos(void **state) {
    (void)state;
    char buf[512];
    VOCAB(bpe, buf, "llama-bpe");
    cli_result r;
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-p", "Hello world", "--ids", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "128000 9906 1917\n");
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-p", "Hello world", "--ids", "--no-bos", NULL});
    assert_string_equal(r.out, "9906 1917\n");
}

static void special_text_is_plain_unless_asked(void **state) {
    (void)state;
    char buf[512];
    VOCAB(bpe, buf, "llama-bpe");
    cli_result r;
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-p", "a<|eot_id|>b", "--ids", "--no-bos", "--parse-special", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "64 128009 65\n");
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-p", "a<|eot_id|>b", "--ids", "--no-bos", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_null(strstr(r.out, "128009"));
}

static void pieces_are_listed_one_per_line(void **state) {
    (void)state;
    char buf[512];
    VOCAB(spm, buf, "llama-spm");
    cli_result r;
    run(&r, (const char *[]){"tokenize", "-m", spm, "-p", "Hello world\n", NULL});
    assert_int_equal(r.exit_code, 0);
    /* 13 is <0x0A>: the newline falls back to its byte token. */
    assert_string_equal(r.out, "1 '<s>'\n15043 ' Hello'\n3186 ' world'\n13 '\\n'\n");
}

static void file_input_reads_raw_bytes(void **state) {
    (void)state;
    char buf[512];
    VOCAB(bpe, buf, "llama-bpe");
    char path[] = "/tmp/llamac-tok-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "Hello world", 11), 11);
    close(fd);
    cli_result r;
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-f", path, "--ids", NULL});
    unlink(path);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "128000 9906 1917\n");
}

static void usage_errors_exit_2_and_bad_files_exit_1(void **state) {
    (void)state;
    cli_result r;
    run(&r, (const char *[]){"tokenize", "-p", "x", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"tokenize", "-m", "x.gguf", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"tokenize", "-m", "x.gguf", "-p", "a", "-f", "b", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"tokenize", "--bogus", NULL});
    assert_int_equal(r.exit_code, 2);
    run(&r, (const char *[]){"tokenize", "-m", "/nonexistent/x.gguf", "-p", "a", NULL});
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "/nonexistent/x.gguf"));
    run(&r, (const char *[]){"tokenize", "--help", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--parse-special"));
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac [--shared]");
    return run_parts(test_part(argc, argv, "--shared"), NULL, NULL,
                     CASES(usage_errors_exit_2_and_bad_files_exit_1),
                     CASES(ids_of_hello_world_with_bos, special_text_is_plain_unless_asked,
                           pieces_are_listed_one_per_line, file_input_reads_raw_bytes));
}
