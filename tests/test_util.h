/* Test helpers: cmocka include order, and locating ../shared. */
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

/* Path of a file under the reference data folder (env LLAMAC_SHARED, set by
 * meson to ../shared), written into buf. Returns NULL (and prints a loud
 * SKIP line) when the folder or file is absent: callers then skip(). */
const char *shared_path(char *buf, size_t size, const char *relative);

/* What one run of a command-line program left behind. */
typedef struct cli_result {
    int exit_code; /* -1 if killed by a signal */
    int signal;    /* the signal that killed it, else 0 */
    char out[16384];
    char err[8192];
} cli_result;

/* Runs `bin ARGS...` (args NULL-terminated, at most 30) and waits for it.
 * stdout comes through a pipe that is read to its end, stderr through a
 * temporary file, so a chatty child can never block on a full pipe; output
 * beyond the buffers is dropped. Fails the calling test on a system error. */
void cli_run(cli_result *r, const char *bin, const char *const *args);
/* The same for `bin COMMAND ARGS...` (at most 29 args). */
void cli_run_command(cli_result *r, const char *bin, const char *command, const char *const *args);

/* cli_run (up to 62 args) with a wall-clock limit: a child still running after timeout_s
 * seconds is killed (SIGKILL) and r->timed_out set (then r->signal is
 * SIGKILL too). A nonzero mem_limit caps the child's address space
 * (RLIMIT_AS), so a runaway allocation fails inside the child instead of
 * swapping the machine. stdout is drained while waiting. Returns nothing;
 * fails the calling test on a system error. */
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
