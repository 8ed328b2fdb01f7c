/* LC_ASSERT(cond): an internal invariant, checked in debug and sanitizer
 * builds and compiled out of release builds.
 *
 * Only for what no caller, file or allocator can break: a precondition that
 * the library's own code guarantees before it calls (a free KV cell exists
 * when lc_kv_take_cell runs; rows come in multiples of 8 to lc_pack8).
 * Anything a caller or a file controls is checked with a status code
 * instead, in every build: the library never aborts on its own.
 *
 * Active when NDEBUG is not defined (meson's debug and debugoptimized
 * buildtypes; release defines it through b_ndebug=if-release) or when
 * LC_ENABLE_ASSERT is defined (the root meson.build defines it in every
 * sanitizer build, whatever its buildtype). A failed assertion is a bug in
 * llamac: the active form prints the condition and its place on stderr and
 * aborts, so the test or the sanitizer run stops right there. The inactive
 * form does not evaluate the condition (sizeof only type-checks it) and
 * generates no code. */
#ifndef LLAMAC_ASSERT_H
#define LLAMAC_ASSERT_H

#if !defined(NDEBUG) || defined(LC_ENABLE_ASSERT)
#define LC_ASSERT_ACTIVE 1
#else
#define LC_ASSERT_ACTIVE 0
#endif

#if LC_ASSERT_ACTIVE
_Noreturn void lc_assert_fail(const char *cond, const char *file, int line);
#define LC_ASSERT(cond) ((cond) ? (void)0 : lc_assert_fail(#cond, __FILE__, __LINE__))
#else
#define LC_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

/* LC_ASSERT_ACTIVE as the library itself was compiled: lets a test check
 * that a debug or sanitizer build really carries its assertions. */
int lc_assert_active(void);

#endif
