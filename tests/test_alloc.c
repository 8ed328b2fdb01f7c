#include "test_alloc.h"

#include <stdlib.h>

/* Whether the next malloc/realloc is refused; counts down the grants left. */
static int refuse(alloc_counter *c, size_t n) {
    c->calls++;
    if (n > c->largest) c->largest = n;
    if (c->fail_after == 0) return 1;
    if (c->fail_after > 0) c->fail_after--;
    c->grants++;
    return 0;
}

static void *count_malloc(void *user, size_t n) {
    alloc_counter *c = user;
    if (refuse(c, n)) return NULL;
    c->live++;
    c->blocks++;
    return malloc(n);
}

static void *count_realloc(void *user, void *p, size_t n) {
    alloc_counter *c = user;
    if (refuse(c, n)) return NULL;
    if (!p) {
        c->live++;
        c->blocks++;
    }
    return realloc(p, n);
}

static void count_free(void *user, void *p) {
    alloc_counter *c = user;
    c->calls++;
    if (p) c->live--;
    free(p);
}

llamac_allocator counting_allocator(alloc_counter *c, long fail_after) {
    *c = (alloc_counter){.fail_after = fail_after};
    return (llamac_allocator){count_malloc, count_realloc, count_free, c};
}
