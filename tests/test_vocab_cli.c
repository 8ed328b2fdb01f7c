/* `llamac tokenize` as a user runs it.
 * Usage: test_vocab_cli PATH/TO/llamac [--shared] */
#include "test_util.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *llamac_bin;

typedef struct run_result {
    int exit_code; /* -1 if killed by a signal */
    char out[8192];
    char err[2048];
} run_result;

static void drain(int fd, char *buf, size_t cap) {
    size_t n = 0;
    ssize_t r;
    char sink[512];
    while ((r = read(fd, n < cap - 1 ? buf + n : sink, n < cap - 1 ? cap - 1 - n : sizeof sink)) > 0)
        if (n < cap - 1) n += (size_t)r;
    buf[n] = '\0';
}

/* Runs llamac with a NULL-terminated argument list (outputs are small:
 * stdout is read to the end before stderr). */
static void run(run_result *r, const char *const *args) {
    int out[2], err[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]), close(err[0]), close(out[1]), close(err[1]);
        char *argv[16] = {(char *)llamac_bin};
        for (int i = 0; args[i] && i < 14; i++) argv[i + 1] = (char *)args[i];
        execv(llamac_bin, argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    drain(out[0], r->out, sizeof r->out);
    drain(err[0], r->err, sizeof r->err);
    close(out[0]);
    close(err[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define VOCAB(var, buf, name) SKIP_WITHOUT_SHARED(var, buf, "vocab/ggml-vocab-" name ".gguf")

static void ids_of_hello_world_with_bos(void **state) {
    (void)state;
    char buf[512];
    VOCAB(bpe, buf, "llama-bpe");
    run_result r;
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
    run_result r;
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
    run_result r;
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
    run_result r;
    run(&r, (const char *[]){"tokenize", "-m", bpe, "-f", path, "--ids", NULL});
    unlink(path);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "128000 9906 1917\n");
}

static void usage_errors_exit_2_and_bad_files_exit_1(void **state) {
    (void)state;
    run_result r;
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
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/llamac [--shared]\n", argv[0]);
        return 2;
    }
    llamac_bin = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_errors_exit_2_and_bad_files_exit_1),
    };
    const struct CMUnitTest needs_shared[] = {
        cmocka_unit_test(ids_of_hello_world_with_bos),
        cmocka_unit_test(special_text_is_plain_unless_asked),
        cmocka_unit_test(pieces_are_listed_one_per_line),
        cmocka_unit_test(file_input_reads_raw_bytes),
    };
    if (test_part(argc, argv, "--shared")) return run_test_group(needs_shared, NULL, NULL);
    return run_test_group(tests, NULL, NULL);
}
