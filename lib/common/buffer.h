/* Growable storage through the caller's allocator: the one growth rule of
 * every array the library extends as it goes, and a byte buffer on top of it
 * for text streams and string arenas. */
#ifndef LLAMAC_BUFFER_H
#define LLAMAC_BUFFER_H

#include "internal.h"

/* Makes the array at *array_ptr (a `T **`, passed as `&items`; *cap
 * elements of elem_size bytes) hold at least n elements. lc_reserve grows it
 * to exactly n (scratch sized once, e.g. to the vocabulary); lc_grow to at
 * least twice its old capacity (16 at first), so that adding one element at
 * a time costs amortized O(1). Nothing changes when n already fits. On
 * failure the array and *cap are as they were and the status is
 * LLAMAC_ERR_NO_MEMORY (the allocator refused, or n * elem_size overflows). */
llamac_status lc_reserve(const lc_env *env, void *array_ptr, size_t *cap, size_t n, size_t elem_size);
llamac_status lc_grow_slow(const lc_env *env, void *array_ptr, size_t *cap, size_t n, size_t elem_size);
/* Inline, so that the per-element calls of a tokenizer loop cost a compare. */
static inline llamac_status lc_grow(const lc_env *env, void *array_ptr, size_t *cap, size_t n,
                                    size_t elem_size) {
    return n <= *cap ? LLAMAC_OK : lc_grow_slow(env, array_ptr, cap, n, elem_size);
}

/* Bytes with a NUL kept after the last one, so `data` always reads as a C
 * string once something was added. Zero-initialize; free `data` with lc_free. */
typedef struct lc_bytes {
    char *data;
    size_t len; /* bytes held, not counting the NUL after them */
    size_t cap;
} lc_bytes;

/* Appends the n bytes at s (s may be NULL when n is 0). */
llamac_status lc_bytes_append(const lc_env *env, lc_bytes *b, const void *s, size_t n);
/* Appends the n bytes at s and their NUL as one arena entry: the NUL is
 * counted, so the next entry starts after it. *off gets the entry's offset. */
llamac_status lc_bytes_add_entry(const lc_env *env, lc_bytes *b, const void *s, size_t n, size_t *off);
/* Drops the first n (<= len) bytes. */
void lc_bytes_consume(lc_bytes *b, size_t n);

#endif
