/* The priority queue of candidate merges, ordered by (key, left).
 *
 * A plain heap works but is slow on a huge word: every pop walks log n
 * levels of a multi-million-entry array. Candidates with the same key,
 * though, are nearly always queued in increasing `left` order (the initial
 * pairs left to right, and new ones as merges sweep the text). So each key
 * gets a "lane", an append-only array sorted by left; a small heap orders the
 * lanes by their front entry; the rare candidate that arrives out of order
 * goes to an ordinary overflow heap. The minimum is the smaller of the best
 * lane front and the overflow top, so the order is exactly that of one heap,
 * while a pop on a long run of equal keys costs O(1). */
#include "vocab_private.h"

#include <string.h>

static uint32_t key_hash(uint32_t key) {
    uint32_t h = key * 0x9E3779B1u;
    return h ^ (h >> 15);
}

static const lc_mq_item *front(const lc_mq_lane *l) { return &l->items[l->head]; }

static bool lane_less(const lc_merge_queue *q, uint32_t a, uint32_t b) {
    const lc_mq_lane *x = &q->lanes[a], *y = &q->lanes[b];
    return x->key < y->key || (x->key == y->key && front(x)->left < front(y)->left);
}

static void active_up(lc_merge_queue *q, uint32_t i) {
    uint32_t lane = q->active[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!lane_less(q, lane, q->active[p])) break;
        q->active[i] = q->active[p];
        i = p;
    }
    q->active[i] = lane;
}

static void active_down(lc_merge_queue *q, uint32_t i) {
    uint32_t lane = q->active[i], n = q->n_active;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && lane_less(q, q->active[c + 1], q->active[c])) c++;
        if (!lane_less(q, q->active[c], lane)) break;
        q->active[i] = q->active[c];
        i = c;
    }
    q->active[i] = lane;
}

void lc_mq_reset(lc_merge_queue *q) {
    for (uint32_t i = 0; i < q->n_lanes; i++) {
        q->map[q->lanes[i].slot] = -1;
        q->lanes[i].head = q->lanes[i].len = 0;
    }
    q->n_lanes = 0;
    q->n_active = 0;
    q->overflow.n = 0;
}

/* Rebuilds the key -> lane map at twice the size. */
static llamac_status grow_map(lc_merge_queue *q, const lc_env *env) {
    uint32_t cap = q->map ? (q->map_mask + 1) * 2 : 64;
    int32_t *map = lc_malloc(env, (size_t)cap * sizeof *map);
    if (!map) return LLAMAC_ERR_NO_MEMORY;
    for (uint32_t i = 0; i < cap; i++) map[i] = -1;
    for (uint32_t l = 0; l < q->n_lanes; l++) {
        uint32_t s = key_hash(q->lanes[l].key) & (cap - 1);
        while (map[s] >= 0) s = (s + 1) & (cap - 1);
        map[s] = (int32_t)l;
        q->lanes[l].slot = s;
    }
    lc_free(env, q->map);
    q->map = map;
    q->map_mask = cap - 1;
    return LLAMAC_OK;
}

static llamac_status lane_for(lc_merge_queue *q, const lc_env *env, uint32_t key, lc_mq_lane **out) {
    if (!q->map || (uint64_t)(q->n_lanes + 1) * 2 > (uint64_t)q->map_mask + 1) {
        llamac_status st = grow_map(q, env);
        if (st) return st;
    }
    uint32_t s = key_hash(key) & q->map_mask;
    for (; q->map[s] >= 0; s = (s + 1) & q->map_mask) {
        if (q->lanes[q->map[s]].key == key) {
            *out = &q->lanes[q->map[s]];
            return LLAMAC_OK;
        }
    }
    if (q->n_lanes == q->cap_lanes) {
        uint32_t cap = q->cap_lanes ? q->cap_lanes * 2 : 16;
        lc_mq_lane *lanes = lc_realloc(env, q->lanes, (size_t)cap * sizeof *lanes);
        uint32_t *active = lanes ? lc_realloc(env, q->active, (size_t)cap * sizeof *active) : NULL;
        if (lanes) q->lanes = lanes;
        if (!lanes || !active) return LLAMAC_ERR_NO_MEMORY;
        q->active = active;
        memset(q->lanes + q->cap_lanes, 0, (size_t)(cap - q->cap_lanes) * sizeof *lanes);
        q->cap_lanes = cap;
    }
    lc_mq_lane *l = &q->lanes[q->n_lanes]; /* may hold a buffer from an earlier word */
    l->key = key;
    l->slot = s;
    l->head = l->len = 0;
    q->map[s] = (int32_t)q->n_lanes++;
    *out = l;
    return LLAMAC_OK;
}

llamac_status lc_mq_push(lc_merge_queue *q, const lc_env *env, uint32_t key, int32_t left, uint32_t size) {
    lc_mq_lane *l;
    llamac_status st = lane_for(q, env, key, &l);
    if (st) return st;
    bool empty = l->head == l->len;
    if (!empty && left < l->items[l->len - 1].left)
        return lc_heap_push(&q->overflow, env, (lc_merge){key, left, size});
    if (empty) l->head = l->len = 0;
    if (l->len == l->cap) {
        size_t cap = l->cap ? (size_t)l->cap * 2 : 16, bytes;
        if (cap > UINT32_MAX || lc_mul_overflow_size(cap, sizeof(lc_mq_item), &bytes))
            return lc_fail(LLAMAC_ERR_NO_MEMORY, "merge queue lane of %zu entries overflows", cap);
        lc_mq_item *items = lc_realloc(env, l->items, bytes);
        if (!items) return LLAMAC_ERR_NO_MEMORY;
        l->items = items;
        l->cap = (uint32_t)cap;
    }
    l->items[l->len++] = (lc_mq_item){left, size};
    if (empty) {
        q->active[q->n_active] = (uint32_t)(l - q->lanes);
        active_up(q, q->n_active++);
    }
    return LLAMAC_OK;
}

bool lc_mq_pop(lc_merge_queue *q, lc_merge *out) {
    bool have_lane = q->n_active > 0, have_over = q->overflow.n > 0;
    if (!have_lane && !have_over) return false;
    if (have_lane) {
        lc_mq_lane *l = &q->lanes[q->active[0]];
        const lc_merge *o = have_over ? &q->overflow.items[0] : NULL;
        if (!o || l->key < o->key || (l->key == o->key && front(l)->left <= o->left)) {
            *out = (lc_merge){l->key, front(l)->left, front(l)->size};
            if (++l->head == l->len) {
                q->active[0] = q->active[--q->n_active];
            }
            if (q->n_active > 0) active_down(q, 0);
            return true;
        }
    }
    return lc_heap_pop(&q->overflow, out);
}

void lc_mq_free(lc_merge_queue *q, const lc_env *env) {
    for (uint32_t i = 0; i < q->cap_lanes; i++) lc_free(env, q->lanes[i].items);
    lc_free(env, q->lanes);
    lc_free(env, q->active);
    lc_free(env, q->map);
    lc_heap_free(&q->overflow, env);
    memset(q, 0, sizeof *q);
}
