/* LC_ASSERT (lib/common/assert.h): in a debug or sanitizer build a broken
 * internal invariant stops the program, in the library as in this file; in a
 * release build the check is compiled out and its condition not evaluated.
 * Which cases run depends on how this program was compiled (decided below
 * from the compiler's own facts, not from assert.h's rule), so none skips. */
#include "test_util.h"

#include "common/assert.h"
#include "kernels/kernels.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A sanitizer build, as the compiler reports it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#if SANITIZED || !defined(NDEBUG)
#define MUST_BE_ACTIVE 1
#else
#define MUST_BE_ACTIVE 0
#endif

/* common_assert_off.c: the same header compiled as a release build sees it. */
int assert_off_probe(int *evaluated);

int assert_probe_calls;
int assert_probe(void) { return ++assert_probe_calls; }

static void a_release_assert_evaluates_nothing_and_never_stops(void **state) {
    (void)state;
    int evaluated = -1;
    assert_int_equal(assert_off_probe(&evaluated), 0); /* LC_ASSERT_ACTIVE there */
    assert_int_equal(evaluated, 0);
}

static void this_build_and_the_library_agree_on_asserts(void **state) {
    (void)state;
    assert_int_equal(LC_ASSERT_ACTIVE, MUST_BE_ACTIVE);
    assert_int_equal(lc_assert_active(), MUST_BE_ACTIVE);
}

#if MUST_BE_ACTIVE
/* Runs fn in a child process with its stderr captured into err; true if
 * the child was killed by SIGABRT. */
static bool dies_by_abort(void (*fn)(void), char *err, size_t cap) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], err + n, cap - 1 - n)) > 0) n += (size_t)r;
    err[n] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void false_assert(void) {
    volatile int zero = 0;
    LC_ASSERT(zero == 1);
}

static void true_assert(void) {
    volatile int one = 1;
    LC_ASSERT(one == 1);
}

static void pack_seven_rows(void) {
    unsigned char src[7 * 18] = {0}, dst[8 * 18];
    lc_pack8(LLAMAC_TYPE_Q4_0, src, 18, 7, 32, dst);
}

static void a_false_assert_aborts_and_names_its_condition(void **state) {
    (void)state;
    char err[512];
    assert_true(dies_by_abort(false_assert, err, sizeof err));
    assert_non_null(strstr(err, "internal assertion failed"));
    assert_non_null(strstr(err, "zero == 1"));
    assert_non_null(strstr(err, "test_common_assert.c"));
}

static void a_true_assert_lets_the_program_go_on(void **state) {
    (void)state;
    char err[512];
    assert_false(dies_by_abort(true_assert, err, sizeof err));
    assert_string_equal(err, "");
    int before = assert_probe_calls;
    LC_ASSERT(assert_probe() > 0); /* evaluated exactly once */
    assert_int_equal(assert_probe_calls, before + 1);
}

static void the_library_checks_its_own_preconditions(void **state) {
    (void)state;
    char err[512];
    assert_true(dies_by_abort(pack_seven_rows, err, sizeof err));
    assert_non_null(strstr(err, "n_rows % 8 == 0"));
}
#else
static void a_release_assert_here_is_compiled_out(void **state) {
    (void)state;
    int before = assert_probe_calls;
    LC_ASSERT(assert_probe() == 12345);
    LC_ASSERT(0);
    assert_int_equal(assert_probe_calls, before);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_release_assert_evaluates_nothing_and_never_stops),
        cmocka_unit_test(this_build_and_the_library_agree_on_asserts),
#if MUST_BE_ACTIVE
        cmocka_unit_test(a_false_assert_aborts_and_names_its_condition),
        cmocka_unit_test(a_true_assert_lets_the_program_go_on),
        cmocka_unit_test(the_library_checks_its_own_preconditions),
#else
        cmocka_unit_test(a_release_assert_here_is_compiled_out),
#endif
    };
    return run_test_group(tests, NULL, NULL);
}
