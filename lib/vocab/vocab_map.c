/* The tokenizer's data structures: text -> id and pair -> merge hash maps,
 * and the heap behind the merge queue's overflow. */
#include "vocab_private.h"

#include <string.h>

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

uint32_t lc_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        h = mix64(h ^ k);
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++) tail |= (uint64_t)p[i] << (8 * i);
    return (uint32_t)mix64(h ^ tail ^ 0xA5ull);
}

/* Capacity: a power of two at least 1.5 times `expected` (load at most
 * two thirds), so linear probes stay short and the table never fills. */
static bool table_capacity(size_t expected, uint32_t *cap) {
    uint64_t c = 16;
    while (c < (uint64_t)expected + (uint64_t)expected / 2) {
        c <<= 1;
        if (c > (1ull << 31)) return false;
    }
    *cap = (uint32_t)c;
    return true;
}

llamac_status lc_strmap_init(lc_strmap *m, const lc_env *env, size_t expected,
                             const char *const *arena) {
    uint32_t cap;
    memset(m, 0, sizeof *m);
    if (!table_capacity(expected, &cap))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "text map for %zu entries is too large", expected);
    m->slots = lc_malloc(env, (size_t)cap * sizeof *m->slots);
    if (!m->slots) return LLAMAC_ERR_NO_MEMORY;
    for (uint32_t i = 0; i < cap; i++) m->slots[i].id = -1;
    m->mask = cap - 1;
    m->arena = arena;
    return LLAMAC_OK;
}

void lc_strmap_free(lc_strmap *m, const lc_env *env) {
    lc_free(env, m->slots);
    m->slots = NULL;
}

static lc_strmap_slot *find_slot(const lc_strmap *m, const void *key, size_t len, uint32_t h) {
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        lc_strmap_slot *s = &m->slots[i];
        if (s->id < 0) return s;
        if (s->hash == h && s->len == len && memcmp(*m->arena + s->off, key, len) == 0) return s;
    }
}

/* Doubles the table, keeping it at most half full. */
static llamac_status grow_strmap(lc_strmap *m, const lc_env *env) {
    uint64_t cap = ((uint64_t)m->mask + 1) * 2;
    if (cap > (1ull << 31)) return lc_fail(LLAMAC_ERR_NO_MEMORY, "text map of %u entries is too large", m->count);
    lc_strmap_slot *slots = lc_malloc(env, (size_t)cap * sizeof *slots);
    if (!slots) return LLAMAC_ERR_NO_MEMORY;
    for (uint64_t i = 0; i < cap; i++) slots[i].id = -1;
    lc_strmap bigger = *m;
    bigger.slots = slots;
    bigger.mask = (uint32_t)(cap - 1);
    for (uint32_t i = 0; i <= m->mask; i++) {
        const lc_strmap_slot *s = &m->slots[i];
        if (s->id < 0) continue;
        for (uint32_t j = s->hash & bigger.mask;; j = (j + 1) & bigger.mask) {
            if (slots[j].id < 0) { slots[j] = *s; break; }
        }
    }
    lc_free(env, m->slots);
    *m = bigger;
    return LLAMAC_OK;
}

llamac_status lc_strmap_put(lc_strmap *m, const lc_env *env, uint32_t off, uint32_t len, int32_t id) {
    if (((uint64_t)m->count + 1) * 2 > (uint64_t)m->mask + 1) {
        llamac_status st = grow_strmap(m, env);
        if (st != LLAMAC_OK) return st;
    }
    const char *key = *m->arena + off;
    uint32_t h = lc_hash_bytes(key, len);
    lc_strmap_slot *s = find_slot(m, key, len, h);
    if (s->id < 0) m->count++;
    *s = (lc_strmap_slot){h, id, off, len};
    return LLAMAC_OK;
}

int32_t lc_strmap_get(const lc_strmap *m, const void *s, size_t len) {
    if (len > UINT32_MAX) return -1;
    return find_slot(m, s, len, lc_hash_bytes(s, len))->id;
}

static uint32_t pair_hash(int32_t left, int32_t right) {
    return (uint32_t)mix64(((uint64_t)(uint32_t)left << 32) | (uint32_t)right);
}

llamac_status lc_pairmap_init(lc_pairmap *m, const lc_env *env, size_t expected) {
    uint32_t cap;
    memset(m, 0, sizeof *m);
    if (!table_capacity(expected, &cap))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "merge table for %zu merges is too large", expected);
    m->slots = lc_malloc(env, (size_t)cap * sizeof *m->slots);
    if (!m->slots) return LLAMAC_ERR_NO_MEMORY;
    for (uint32_t i = 0; i < cap; i++) m->slots[i].left = -1;
    m->mask = cap - 1;
    return LLAMAC_OK;
}

void lc_pairmap_free(lc_pairmap *m, const lc_env *env) {
    lc_free(env, m->slots);
    m->slots = NULL;
}

bool lc_pairmap_put(lc_pairmap *m, int32_t left, int32_t right, int32_t rank, int32_t result) {
    for (uint32_t i = pair_hash(left, right) & m->mask;; i = (i + 1) & m->mask) {
        lc_pairmap_slot *s = &m->slots[i];
        if (s->left < 0) {
            *s = (lc_pairmap_slot){left, right, rank, result};
            return true;
        }
        if (s->left == left && s->right == right) return false;
    }
}

const lc_pairmap_slot *lc_pairmap_get(const lc_pairmap *m, int32_t left, int32_t right) {
    for (uint32_t i = pair_hash(left, right) & m->mask;; i = (i + 1) & m->mask) {
        const lc_pairmap_slot *s = &m->slots[i];
        if (s->left < 0) return NULL;
        if (s->left == left && s->right == right) return s;
    }
}

static bool merge_less(lc_merge a, lc_merge b) {
    return a.key < b.key || (a.key == b.key && a.left < b.left);
}

/* A 4-ary heap: half the depth of a binary one, and the four children of a
 * node share a cache line or two, which matters when one enormous word
 * queues millions of candidate merges. */
#define HEAP_ARITY 4

static void sift_down(lc_merge *items, size_t n, size_t i) {
    lc_merge x = items[i];
    for (;;) {
        size_t c = HEAP_ARITY * i + 1;
        if (c >= n) break;
        size_t best = c, end = LC_MIN(c + HEAP_ARITY, n);
        for (size_t k = c + 1; k < end; k++)
            if (merge_less(items[k], items[best])) best = k;
        if (!merge_less(items[best], x)) break;
        items[i] = items[best];
        i = best;
    }
    items[i] = x;
}

llamac_status lc_heap_push(lc_merge_heap *h, const lc_env *env, lc_merge m) {
    llamac_status st = lc_grow(env, &h->items, &h->cap, h->n + 1, sizeof *h->items);
    if (st) return st;
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / HEAP_ARITY;
        if (!merge_less(m, h->items[parent])) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = m;
    return LLAMAC_OK;
}

bool lc_heap_pop(lc_merge_heap *h, lc_merge *out) {
    if (h->n == 0) return false;
    *out = h->items[0];
    h->items[0] = h->items[--h->n];
    if (h->n > 1) sift_down(h->items, h->n, 0);
    return true;
}

void lc_heap_free(lc_merge_heap *h, const lc_env *env) {
    lc_free(env, h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}
