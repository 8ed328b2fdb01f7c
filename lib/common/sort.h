/* The library's one sort. qsort is not used because glibc's allocates a
 * merge buffer with malloc, behind the caller's allocator; a heapsort needs
 * no memory and no recursion and is O(n log n) on any input. */
#ifndef LLAMAC_SORT_H
#define LLAMAC_SORT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether element *x orders before element *y. Give a total order (break
 * ties) when the order of equal elements matters: a heapsort is not stable. */
typedef bool (*lc_less_fn)(const void *x, const void *y);

/* Sorts n elements of `size` bytes (size <= 64) at base in place. */
void lc_heapsort(void *base, size_t n, size_t size, lc_less_fn less);

#endif
