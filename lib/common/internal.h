/* Shared internals of libllamac: allocation through the caller's allocator,
 * thread-local error messages, logging, overflow-checked arithmetic.
 * Nothing here is exported. */
#ifndef LLAMAC_INTERNAL_H
#define LLAMAC_INTERNAL_H

#include "llamac.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LC_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define LC_PRINTF(fmt_idx, arg_idx)
#endif

/* What every handle carries: whose memory, where logs go. Copied from the
 * params at creation; child handles (a context of a model) copy the parent's. */
typedef struct lc_env {
    llamac_allocator alloc; /* always filled: libc wrappers when none given */
    llamac_log_fn log_fn;
    void *log_user;
} lc_env;

/* Fills env from optional caller hooks (NULL allocator -> libc). */
void lc_env_init(lc_env *env, const llamac_allocator *alloc, llamac_log_fn log_fn, void *log_user);

/* Allocation. All return NULL on failure (and on size 0 overflow) and set the
 * thread's error message to LLAMAC_ERR_NO_MEMORY text naming `n`. */
void *lc_malloc(const lc_env *env, size_t n);
void *lc_calloc(const lc_env *env, size_t count, size_t size); /* zeroed, overflow-checked */
void *lc_realloc(const lc_env *env, void *p, size_t n);
void lc_free(const lc_env *env, void *p);
/* 64-byte (or `align`, a power of two) aligned block; free with lc_free_aligned. */
void *lc_malloc_aligned(const lc_env *env, size_t n, size_t align);
void lc_free_aligned(const lc_env *env, void *p);
char *lc_strdup(const lc_env *env, const char *s);

/* Records `status` and a formatted message as the calling thread's last error
 * and returns `status`, so failures read `return lc_fail(LLAMAC_ERR_X, ...)`. */
llamac_status lc_fail(llamac_status status, const char *fmt, ...) LC_PRINTF(2, 3);
/* Prefixes the current thread error message with context ("loading x: ..."). */
void lc_error_prefix(const char *fmt, ...) LC_PRINTF(1, 2);
/* Every lc_fail on a thread counts one failure and records its status, so a
 * call handed the result of an earlier failed call (chain_add given a NULL
 * sampler) can tell whether that failure is still the latest one and report
 * its status. */
uint64_t lc_error_serial(void);
llamac_status lc_error_status(void);
/* The error model's NULL-argument failure (docs/api.md, "Error model"):
 * LLAMAC_ERR_INVALID_ARG with "FUNCTION: ARGUMENT is NULL". */
llamac_status lc_null_arg(const char *function, const char *argument);
/* Guard for the first lines of an exported status-returning function whose
 * parameter is named as in llamac.h. */
#define LC_REQUIRE(arg) \
    do { \
        if (!(arg)) return lc_null_arg(__func__, #arg); \
    } while (0)

/* A step whose failure is tolerated (an optional key, a best-effort repack)
 * must not leave its message behind: a successful call never changes
 * llamac_last_error(). Save before such a step, restore after it. */
typedef struct lc_error_saved {
    char text[512];
} lc_error_saved;
void lc_error_save(lc_error_saved *saved);
void lc_error_restore(const lc_error_saved *saved);

void lc_log(const lc_env *env, llamac_log_level level, const char *fmt, ...) LC_PRINTF(3, 4);

/* Overflow-checked arithmetic: return true on overflow (result unspecified). */
static inline bool lc_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *r) {
    return __builtin_add_overflow(a, b, r);
}
static inline bool lc_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *r) {
    return __builtin_mul_overflow(a, b, r);
}
static inline bool lc_mul_overflow_size(size_t a, size_t b, size_t *r) {
    return __builtin_mul_overflow(a, b, r);
}
static inline bool lc_add_overflow_size(size_t a, size_t b, size_t *r) {
    return __builtin_add_overflow(a, b, r);
}

#define LC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define LC_UNUSED(x) ((void)(x))

#endif
