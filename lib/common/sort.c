/* Heapsort over elements of any size (sort.h says why not qsort). */
#include "sort.h"

#include "assert.h"

#include <string.h>

static void swap(unsigned char *a, unsigned char *b, size_t size) {
    unsigned char t[64];
    memcpy(t, a, size);
    memcpy(a, b, size);
    memcpy(b, t, size);
}

static void sift_down(unsigned char *a, size_t root, size_t n, size_t size, lc_less_fn less) {
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && less(a + child * size, a + (child + 1) * size)) child++;
        if (!less(a + root * size, a + child * size)) return;
        swap(a + root * size, a + child * size, size);
    }
}

void lc_heapsort(void *base, size_t n, size_t size, lc_less_fn less) {
    LC_ASSERT(size <= 64);
    unsigned char *a = base;
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n, size, less);
    for (size_t end = n; end > 1; end--) {
        swap(a, a + (end - 1) * size, size);
        sift_down(a, 0, end - 1, size, less);
    }
}
