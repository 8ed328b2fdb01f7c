/* Growable arrays and byte buffers (buffer.h). */
#include "buffer.h"

#include "assert.h"

#include <string.h>

/* The array pointer travels as `void *` (the address of a `T *`) and is read
 * and written with memcpy, so no `T **` is ever accessed as a `void **`. */
llamac_status lc_reserve(const lc_env *env, void *array_ptr, size_t *cap, size_t n, size_t elem_size) {
    if (n <= *cap) return LLAMAC_OK;
    size_t bytes;
    if (lc_mul_overflow_size(n, elem_size, &bytes))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "an array of %zu x %zu bytes overflows", n, elem_size);
    void *old;
    memcpy(&old, array_ptr, sizeof old);
    void *p = lc_realloc(env, old, bytes);
    if (!p) return LLAMAC_ERR_NO_MEMORY;
    memcpy(array_ptr, &p, sizeof p);
    *cap = n;
    return LLAMAC_OK;
}

llamac_status lc_grow_slow(const lc_env *env, void *array_ptr, size_t *cap, size_t n, size_t elem_size) {
    size_t want = *cap ? *cap : 8;
    want = want <= SIZE_MAX / 2 / elem_size ? LC_MAX(n, want * 2) : n;
    return lc_reserve(env, array_ptr, cap, want, elem_size);
}

static llamac_status bytes_put(const lc_env *env, lc_bytes *b, const void *s, size_t n) {
    size_t need;
    if (lc_add_overflow_size(b->len, n, &need) || lc_add_overflow_size(need, 1, &need))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "a buffer of %zu + %zu bytes overflows", b->len, n);
    llamac_status st = lc_grow(env, &b->data, &b->cap, need, 1);
    if (st) return st;
    if (n) memcpy(b->data + b->len, s, n);
    b->data[b->len + n] = '\0';
    return LLAMAC_OK;
}

llamac_status lc_bytes_append(const lc_env *env, lc_bytes *b, const void *s, size_t n) {
    llamac_status st = bytes_put(env, b, s, n);
    if (!st) b->len += n;
    return st;
}

llamac_status lc_bytes_add_entry(const lc_env *env, lc_bytes *b, const void *s, size_t n, size_t *off) {
    llamac_status st = bytes_put(env, b, s, n);
    if (st) return st;
    *off = b->len;
    b->len += n + 1;
    return LLAMAC_OK;
}

void lc_bytes_consume(lc_bytes *b, size_t n) {
    LC_ASSERT(n <= b->len);
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    if (b->cap) b->data[b->len] = '\0';
}
