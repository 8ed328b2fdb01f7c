/* Test helpers: cmocka include order, and locating ../shared. */
#ifndef LLAMAC_TEST_UTIL_H
#define LLAMAC_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* Path of a file under the reference data folder (env LLAMAC_SHARED, set by
 * meson to ../shared), written into buf. Returns NULL (and prints a loud
 * SKIP line) when the folder or file is absent: callers then skip(). */
const char *shared_path(char *buf, size_t size, const char *relative);

#define SKIP_WITHOUT_SHARED(var, buf, rel)                                  \
    const char *var = shared_path(buf, sizeof buf, rel);                    \
    if (!var) { skip(); return; }

#endif
