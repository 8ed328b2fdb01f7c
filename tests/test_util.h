/* Test helpers: cmocka include order, visible skips, locating ../shared.
 *
 * EVERY TEST PROGRAM ENDS ITS main WITH run_cases (or run_cases_each,
 * run_test_group), never with cmocka_run_group_tests:
 *
 *     return run_cases(setup, teardown, first_case, second_case);
 *
 * cmocka's runner returns only the number of failed cases, so a program whose
 * cases skipped would exit 0 and meson would print it as OK. run_test_group
 * returns 1 if any case failed, else 77 (meson's SKIP under its default
 * exitcode protocol) if any case skipped, else 0. Skips are counted by
 * skip(), which this header redefines: skip through it (or
 * SKIP_WITHOUT_SHARED), never through cmocka's _skip.
 *
 * A program must not mix cases that always run with cases that may skip
 * (they need ../shared, or a CPU feature such as AVX2): one skip makes the
 * whole program SKIP and would hide the cases that did run. Such a program
 * keeps the skippable cases in a group of their own, chosen by a flag:
 *
 *     if (test_part(argc, argv, "--shared")) return run_cases(NULL, NULL, needs_shared_case);
 *     return run_cases(NULL, NULL, first_case, second_case);
 *
 * and tests/meson.build registers the group as a test of its own (NAME_shared,
 * NAME_avx2: see test_parts there). A case that needs some real model, but no
 * particular one, uses shipped_model_path() (or tests/model_builder.h) and
 * never skips. */
#ifndef LLAMAC_TEST_UTIL_H
#define LLAMAC_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* How many elements the array `a` (not a pointer) holds: for case tables. */
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka's skip(), counted. Ends the running case like cmocka's. */
void test_skip(const char *file, int line);
#undef skip
#define skip() test_skip(__FILE__, __LINE__)

/* The exit status for a group run that had `failures` failed cases (see the
 * top of this file). */
int test_exit_status(int failures);
#define run_test_group(group_tests, group_setup, group_teardown) \
    test_exit_status(cmocka_run_group_tests(group_tests, group_setup, group_teardown))

/* Runs the named test functions as one group, the way run_test_group does
 * (same exit status), without spelling out a CMUnitTest array:
 *
 *     return run_cases(group_setup, group_teardown, first_case, second_case);
 *
 * run_cases_each gives every case its own setup and teardown instead (cmocka's
 * cmocka_unit_test_setup_teardown) and no group fixture. The names come from
 * the stringified argument list, so each argument must be a plain function
 * name; the compound literal checks that each one is a test function. */
int run_named_tests(const char *names, const CMUnitTestFunction *funcs, CMFixtureFunction group_setup,
                    CMFixtureFunction group_teardown, CMFixtureFunction setup, CMFixtureFunction teardown);
#define run_cases(group_setup, group_teardown, ...)                                                    \
    run_named_tests(#__VA_ARGS__, (const CMUnitTestFunction[]){__VA_ARGS__, NULL}, group_setup,      \
                    group_teardown, NULL, NULL)
#define run_cases_each(setup, teardown, ...)                                                           \
    run_named_tests(#__VA_ARGS__, (const CMUnitTestFunction[]){__VA_ARGS__, NULL}, NULL, NULL, setup, \
                    teardown)

/* A program whose cases come in two parts, the second registered by
 * tests/meson.build as its own run (needs ../shared, AVX2 or a long run):
 *
 *     return run_parts(test_part(argc, argv, "--shared"), NULL, NULL,
 *                      CASES(first_case, second_case), CASES(shared_case));
 *
 * runs the second list when `second` is true, else the first, as one group
 * with the given group fixtures, the way run_cases does. */
typedef struct test_cases {
    const char *names;
    const CMUnitTestFunction *funcs;
} test_cases;
#define CASES(...) ((test_cases){#__VA_ARGS__, (const CMUnitTestFunction[]){__VA_ARGS__, NULL}})
int run_parts(bool second, CMFixtureFunction group_setup, CMFixtureFunction group_teardown, test_cases first,
              test_cases other);

/* Fails unless `text` contains every string of the NULL-terminated list
 * `needles` (names the first that is missing). */
void assert_has_all(const char *text, const char *const *needles);

/* Whether `flag` is one of the program's arguments (after argv[0]). */
bool test_part(int argc, char **argv, const char *flag);

/* argv[1], which tests/meson.build always passes (the `llamac` program, a
 * model): without it, prints "usage: PROGRAM <usage>" and exits 2. */
const char *test_first_arg(int argc, char **argv, const char *usage);

/* Path of a file under the reference data folder (env LLAMAC_SHARED, set by
 * meson to ../shared), written into buf. Returns NULL (and prints a loud
 * SKIP line) when the folder or file is absent: callers then skip(). With
 * CI=true in the environment an absent file fails the running case instead:
 * CI must run every case. */
const char *shared_path(char *buf, size_t size, const char *relative);

/* The model that ships in models/ (env LLAMAC_SHIPPED_MODEL, set by meson):
 * for cases that need *a* real model but not a particular one, so that they
 * never skip. Fails the running case when the variable is unset. */
const char *shipped_model_path(void);

/* What one run of a command-line program left behind. */
typedef struct cli_result {
    int exit_code; /* -1 if killed by a signal */
    int signal;    /* the signal that killed it, else 0 */
    char out[16384];
    char err[8192];
} cli_result;

/* Runs `bin ARGS...` (args NULL-terminated, at most 62) and waits for it.
 * stdout comes through a pipe that is drained while waiting, stderr through
 * a temporary file, so a chatty child can never block on a full pipe; output
 * beyond the buffers is dropped. Fails the calling test on a system error. */
void cli_run(cli_result *r, const char *bin, const char *const *args);
/* The same for `bin COMMAND ARGS...` (at most 61 args). */
void cli_run_command(cli_result *r, const char *bin, const char *command, const char *const *args);

/* cli_run with limits: a child still running after timeout_s seconds (when
 * positive) is killed (SIGKILL) and *timed_out set (then r->signal is
 * SIGKILL too). A nonzero mem_limit caps the child's address space
 * (RLIMIT_AS), so a runaway allocation fails inside the child instead of
 * swapping the machine; in an AddressSanitizer build, whose children reserve
 * terabytes of shadow address space, the cap is not set. */
typedef struct cli_limits {
    double timeout_s;
    size_t mem_limit;
} cli_limits;
void cli_run_limited(cli_result *r, bool *timed_out, const char *bin, const char *const *args,
                     cli_limits limits);

#define SKIP_WITHOUT_SHARED(var, buf, rel)                                  \
    const char *var = shared_path(buf, sizeof buf, rel);                    \
    if (!var) { skip(); return; }

#endif
