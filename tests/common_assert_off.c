/* lib/common/assert.h as a release build compiles it (NDEBUG, no
 * LC_ENABLE_ASSERT), whatever this build's own flags: for
 * test_common_assert.c. */
#undef LC_ENABLE_ASSERT
#ifndef NDEBUG
#define NDEBUG
#endif
#include "common/assert.h"

int assert_probe(void);
int assert_off_probe(int *evaluated);

/* Returns LC_ASSERT_ACTIVE as seen here; *evaluated says how often the
 * asserted conditions ran (none should). */
int assert_off_probe(int *evaluated) {
    extern int assert_probe_calls;
    int before = assert_probe_calls;
    LC_ASSERT(assert_probe() == 12345);
    LC_ASSERT(0); /* would stop an active build */
    *evaluated = assert_probe_calls - before;
    return LC_ASSERT_ACTIVE;
}
