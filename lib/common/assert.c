/* The failing end of LC_ASSERT (assert.h). Release builds compile none of
 * it except lc_assert_active, so the library they produce cannot print or
 * abort. */
#include "assert.h"

#if LC_ASSERT_ACTIVE
#include <stdio.h>
#include <stdlib.h>

_Noreturn void lc_assert_fail(const char *cond, const char *file, int line) {
    fprintf(stderr, "llamac: internal assertion failed at %s:%d: %s\n", file, line, cond);
    abort();
}
#endif

int lc_assert_active(void) { return LC_ASSERT_ACTIVE; }
