/* A llamac_allocator that counts what goes through it and can refuse, to
 * catch leaks, stray allocations and unhandled out-of-memory paths. Needs
 * no cmocka. */
#ifndef LLAMAC_TEST_ALLOC_H
#define LLAMAC_TEST_ALLOC_H

#include "llamac.h"

#include <stddef.h>

typedef struct alloc_counter {
    long live;       /* blocks handed out and not freed yet */
    long blocks;     /* new blocks handed out: malloc, realloc(NULL, n) */
    long grants;     /* malloc and realloc calls that succeeded */
    long calls;      /* calls of malloc, realloc and free, refused ones included */
    size_t largest;  /* the largest size asked of malloc or realloc */
    long fail_after; /* malloc/realloc calls left to grant before every later one
                        is refused (returns NULL); -1: never refuse */
} alloc_counter;

/* Zeroes *c, sets c->fail_after and returns an allocator that counts into
 * c (its user pointer). Blocks come from the C library's malloc. */
llamac_allocator counting_allocator(alloc_counter *c, long fail_after);

#endif
