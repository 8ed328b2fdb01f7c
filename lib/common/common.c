/* Version, status names, thread-local errors, allocation and logging. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *llamac_version(void) { return LLAMAC_VERSION_STRING; }
int llamac_version_number(void) { return LLAMAC_VERSION_NUMBER; }

const char *llamac_status_name(llamac_status status) {
    switch (status) {
    case LLAMAC_OK: return "LLAMAC_OK";
    case LLAMAC_ERR_INVALID_ARG: return "LLAMAC_ERR_INVALID_ARG";
    case LLAMAC_ERR_IO: return "LLAMAC_ERR_IO";
    case LLAMAC_ERR_FORMAT: return "LLAMAC_ERR_FORMAT";
    case LLAMAC_ERR_UNSUPPORTED: return "LLAMAC_ERR_UNSUPPORTED";
    case LLAMAC_ERR_NOT_FOUND: return "LLAMAC_ERR_NOT_FOUND";
    case LLAMAC_ERR_TYPE: return "LLAMAC_ERR_TYPE";
    case LLAMAC_ERR_NO_MEMORY: return "LLAMAC_ERR_NO_MEMORY";
    case LLAMAC_ERR_CANCELLED: return "LLAMAC_ERR_CANCELLED";
    case LLAMAC_ERR_CONTEXT_FULL: return "LLAMAC_ERR_CONTEXT_FULL";
    case LLAMAC_ERR_INTERNAL: return "LLAMAC_ERR_INTERNAL";
    case LLAMAC_ERR_BUFFER_TOO_SMALL: return "LLAMAC_ERR_BUFFER_TOO_SMALL";
    case LLAMAC_ERR_MISMATCH: return "LLAMAC_ERR_MISMATCH";
    case LLAMAC_ERR_LIMIT: return "LLAMAC_ERR_LIMIT";
    }
    return "LLAMAC_ERR_UNKNOWN";
}

/* The one piece of per-thread state: the last error message (documented in
 * llamac.h). 512 bytes holds any message we format; longer ones truncate. */
static _Thread_local char lc_error_buf[512];
static _Thread_local llamac_status lc_error_last;
static _Thread_local uint64_t lc_error_count;

uint64_t lc_error_serial(void) { return lc_error_count; }
llamac_status lc_error_status(void) { return lc_error_last; }

const char *llamac_last_error(void) { return lc_error_buf; }

llamac_status lc_fail(llamac_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lc_error_buf, sizeof lc_error_buf, fmt, ap);
    va_end(ap);
    lc_error_last = status;
    lc_error_count++;
    return status;
}

void lc_error_prefix(const char *fmt, ...) {
    char prefix[256], old[sizeof lc_error_buf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, lc_error_buf, sizeof old);
    /* Truncation is acceptable: the message is for people. */
    size_t np = strlen(prefix), no = strnlen(old, sizeof old - 1), cap = sizeof lc_error_buf - 1;
    size_t pos = 0;
    memcpy(lc_error_buf, prefix, LC_MIN(np, cap));
    pos = LC_MIN(np, cap);
    if (pos + 2 <= cap) { memcpy(lc_error_buf + pos, ": ", 2); pos += 2; }
    size_t take = LC_MIN(no, cap - pos);
    memcpy(lc_error_buf + pos, old, take);
    lc_error_buf[pos + take] = '\0';
}

llamac_status lc_null_arg(const char *function, const char *argument) {
    return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: %s is NULL", function, argument);
}

_Static_assert(sizeof(lc_error_saved) == sizeof lc_error_buf, "lc_error_saved holds the whole message");

void lc_error_save(lc_error_saved *saved) { memcpy(saved->text, lc_error_buf, sizeof saved->text); }

void lc_error_restore(const lc_error_saved *saved) { memcpy(lc_error_buf, saved->text, sizeof lc_error_buf); }

static void *libc_malloc(void *user, size_t n) { (void)user; return malloc(n); }
static void *libc_realloc(void *user, void *p, size_t n) { (void)user; return realloc(p, n); }
static void libc_free(void *user, void *p) { (void)user; free(p); }

void lc_env_init(lc_env *env, const llamac_allocator *alloc, llamac_log_fn log_fn, void *log_user) {
    if (alloc && alloc->malloc_fn && alloc->realloc_fn && alloc->free_fn) {
        env->alloc = *alloc;
    } else {
        env->alloc.malloc_fn = libc_malloc;
        env->alloc.realloc_fn = libc_realloc;
        env->alloc.free_fn = libc_free;
        env->alloc.user = NULL;
    }
    env->log_fn = log_fn;
    env->log_user = log_user;
}

void *lc_malloc(const lc_env *env, size_t n) {
    void *p = env->alloc.malloc_fn(env->alloc.user, n ? n : 1);
    if (!p) lc_fail(LLAMAC_ERR_NO_MEMORY, "out of memory allocating %zu bytes", n);
    return p;
}

void *lc_calloc(const lc_env *env, size_t count, size_t size) {
    size_t n;
    if (lc_mul_overflow_size(count, size, &n)) {
        lc_fail(LLAMAC_ERR_NO_MEMORY, "allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    void *p = lc_malloc(env, n);
    if (p) memset(p, 0, n);
    return p;
}

void *lc_realloc(const lc_env *env, void *p, size_t n) {
    void *q = env->alloc.realloc_fn(env->alloc.user, p, n ? n : 1);
    if (!q) lc_fail(LLAMAC_ERR_NO_MEMORY, "out of memory reallocating to %zu bytes", n);
    return q;
}

void lc_free(const lc_env *env, void *p) {
    if (p) env->alloc.free_fn(env->alloc.user, p);
}

/* Aligned blocks over-allocate and keep the original pointer just below the
 * returned address, so any malloc-like hook can serve them. */
void *lc_malloc_aligned(const lc_env *env, size_t n, size_t align) {
    if (align < sizeof(void *) || (align & (align - 1))) align = 64;
    size_t total;
    if (lc_add_overflow_size(n, align + sizeof(void *), &total)) {
        lc_fail(LLAMAC_ERR_NO_MEMORY, "aligned allocation of %zu bytes overflows", n);
        return NULL;
    }
    unsigned char *raw = lc_malloc(env, total);
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)(raw + sizeof(void *)) + align - 1) & ~(uintptr_t)(align - 1);
    memcpy((unsigned char *)a - sizeof(void *), &raw, sizeof raw);
    return (void *)a;
}

void lc_free_aligned(const lc_env *env, void *p) {
    if (!p) return;
    void *raw;
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof raw);
    lc_free(env, raw);
}

char *lc_strdup(const lc_env *env, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = lc_malloc(env, n);
    if (d) memcpy(d, s, n);
    return d;
}

void lc_log(const lc_env *env, llamac_log_level level, const char *fmt, ...) {
    if (!env || !env->log_fn) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    env->log_fn(env->log_user, level, buf);
}
