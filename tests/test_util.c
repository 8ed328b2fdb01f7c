#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ASan's children need their shadow reserve: no address-space cap there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Cases of this process that called skip(); cmocka does not report it. */
static int skipped_cases;

void test_skip(const char *file, int line) {
    skipped_cases++;
    _skip(file, line);
}

int test_exit_status(int failures) {
    if (failures > 0) return 1; /* not the count: 77 failures would read as SKIP */
    if (skipped_cases > 0) {
        fprintf(stderr, "%d case(s) skipped: exiting 77 so that meson reports SKIP\n", skipped_cases);
        return 77;
    }
    return 0;
}

int run_named_tests(const char *names, const CMUnitTestFunction *funcs, CMFixtureFunction group_setup,
                    CMFixtureFunction group_teardown, CMFixtureFunction setup, CMFixtureFunction teardown) {
    size_t n = 0;
    while (funcs[n]) n++;
    char *copy = strdup(names);
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (!copy || !tests) {
        fprintf(stderr, "out of memory listing %zu tests\n", n);
        exit(1);
    }
    /* "a, b,c": cut at each comma, skip the white space that follows. */
    char *name = copy;
    for (size_t i = 0; i < n; i++) {
        while (*name == ' ') name++;
        char *comma = strchr(name, ',');
        if (comma) *comma = '\0';
        if ((comma == NULL) != (i + 1 == n)) {
            fprintf(stderr, "test list \"%s\" does not hold %zu plain names\n", names, n);
            exit(1);
        }
        tests[i] = (struct CMUnitTest){name, funcs[i], setup, teardown, NULL};
        if (comma) name = comma + 1;
    }
    const int failures = _cmocka_run_group_tests("tests", tests, n, group_setup, group_teardown);
    free(tests);
    free(copy);
    return test_exit_status(failures);
}

int run_parts(bool second, CMFixtureFunction group_setup, CMFixtureFunction group_teardown, test_cases first,
              test_cases other) {
    const test_cases run = second ? other : first;
    return run_named_tests(run.names, run.funcs, group_setup, group_teardown, NULL, NULL);
}

void assert_has_all(const char *text, const char *const *needles) {
    for (; *needles; needles++)
        if (!strstr(text, *needles)) fail_msg("\"%s\" not found in:\n%s", *needles, text);
}

bool test_part(int argc, char **argv, const char *flag) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0) return true;
    return false;
}

static bool ci_requires_shared(void) {
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

const char *shared_path(char *buf, size_t size, const char *relative) {
    const char *root = getenv("LLAMAC_SHARED");
    if (!root || !*root) root = "../shared";
    snprintf(buf, size, "%s/%s", root, relative);
    if (access(buf, R_OK) != 0) {
        if (ci_requires_shared())
            fail_msg("reference file %s not found, and CI=true requires ../shared (set LLAMAC_SHARED "
                     "or meson's -Dshared_dir)", buf);
        fprintf(stderr, "SKIP: reference file %s not found (../shared absent?)\n", buf);
        return NULL;
    }
    return buf;
}

const char *test_first_arg(int argc, char **argv, const char *usage) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        exit(2);
    }
    return argv[1];
}

const char *shipped_model_path(void) {
    const char *path = getenv("LLAMAC_SHIPPED_MODEL");
    if (!path || !*path) fail_msg("LLAMAC_SHIPPED_MODEL is not set (meson sets it to models/*.gguf)");
    return path;
}

void cli_run(cli_result *r, const char *bin, const char *const *args) {
    bool timed_out;
    cli_run_limited(r, &timed_out, bin, args, (cli_limits){0, 0});
}

void cli_run_command(cli_result *r, const char *bin, const char *command, const char *const *args) {
    const char *argv[63] = {command};
    int n = 1;
    for (; *args; args++) {
        if (n == 62) fail_msg("cli_run_command: more than 61 arguments");
        argv[n++] = *args;
    }
    argv[n] = NULL;
    cli_run(r, bin, argv);
}

static double monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Keeps the first cap - 1 bytes of what fd has now. Returns 1 after data,
 * 0 at end of file, -1 when nothing is there yet (or on an error). */
static int drain_some(int fd, char *buf, size_t cap, size_t *n) {
    char sink[512];
    ssize_t r = read(fd, *n < cap - 1 ? buf + *n : sink, *n < cap - 1 ? cap - 1 - *n : sizeof sink);
    if (r > 0 && *n < cap - 1) *n += (size_t)r;
    buf[*n] = '\0';
    return r > 0 ? 1 : r == 0 ? 0 : -1;
}

void cli_run_limited(cli_result *r, bool *timed_out, const char *bin, const char *const *args,
                     cli_limits limits) {
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; *args; args++) {
        if (n == 63) fail_msg("cli_run_limited: more than 62 arguments");
        argv[n++] = (char *)*args;
    }
    argv[n] = NULL;
    int out[2];
    assert_int_equal(pipe(out), 0);
    FILE *err = tmpfile();
    assert_non_null(err);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (limits.mem_limit && !UNDER_ASAN) {
            struct rlimit rl = {limits.mem_limit, limits.mem_limit};
            setrlimit(RLIMIT_AS, &rl);
        }
        dup2(out[1], 1);
        dup2(fileno(err), 2);
        close(out[0]);
        close(out[1]);
        execv(bin, argv);
        _exit(127);
    }
    close(out[1]);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    const double deadline = monotonic_s() + limits.timeout_s;
    size_t got = 0;
    bool open_out = true;
    int status = 0;
    *timed_out = false;
    r->out[0] = '\0';
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        assert_true(w >= 0);
        if (w == pid) break;
        if (limits.timeout_s > 0 && monotonic_s() > deadline) {
            *timed_out = true;
            kill(pid, SIGKILL);
            assert_int_equal(waitpid(pid, &status, 0), pid);
            break;
        }
        /* Wait for output or 10 ms, whichever comes first; the child's exit
         * is noticed at the next waitpid. */
        struct pollfd pf = {out[0], POLLIN, 0};
        if (open_out && poll(&pf, 1, 10) > 0) open_out = drain_some(out[0], r->out, sizeof r->out, &got) != 0;
        else if (!open_out) poll(NULL, 0, 10);
    }
    while (open_out && drain_some(out[0], r->out, sizeof r->out, &got) == 1) {
    }
    close(out[0]);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    rewind(err);
    size_t k = fread(r->err, 1, sizeof r->err - 1, err);
    r->err[k] = '\0';
    fclose(err);
}
