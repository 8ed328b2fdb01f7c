/* Repetition, frequency and presence penalties over the last N accepted
 * tokens (the CTRL-paper repetition penalty, with the usual fix for negative
 * logits, plus OpenAI-style frequency / presence terms). */
#include "sampler.h"

#include "common/bytes.h"

#include <math.h>
#include <string.h>

typedef struct count_slot {
    llamac_token id; /* -1: empty */
    int32_t count;
} count_slot;

typedef struct penalties_state {
    int32_t last_n;
    float repeat, freq, present;
    /* The window: grows by appending until it holds last_n tokens (so head
     * stays 0 until then), after which the oldest is overwritten at head. */
    llamac_token *ring;
    size_t ring_cap, head, count;
    /* Scratch: token -> occurrences in the window, rebuilt by each apply
     * (O(window)), open addressing with linear probing, 2^table_bits slots. */
    count_slot *table;
    size_t table_cap;
    unsigned table_bits;
} penalties_state;

static llamac_status penalties_accept(llamac_sampler *smpl, llamac_token token) {
    penalties_state *s = smpl->state;
    if (s->last_n == 0) return LLAMAC_OK;
    const size_t last_n = (size_t)s->last_n;
    if (s->count < last_n) {
        if (s->count == s->ring_cap) {
            size_t want = LC_MIN(last_n, LC_MAX((size_t)16, s->ring_cap * 2));
            llamac_status st = lc_reserve(&smpl->env, &s->ring, &s->ring_cap, want, sizeof *s->ring);
            if (st != LLAMAC_OK) return st;
        }
        s->ring[s->count++] = token;
    } else {
        s->ring[s->head] = token;
        s->head = (s->head + 1) % last_n;
    }
    return LLAMAC_OK;
}

static size_t slot_of(const penalties_state *s, llamac_token id) {
    /* Fibonacci hashing: the top bits of id * 2^64/phi spread nearby ids. */
    const uint64_t h = (uint64_t)(uint32_t)id * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> (64 - s->table_bits));
}

static llamac_status build_counts(llamac_sampler *smpl) {
    penalties_state *s = smpl->state;
    unsigned bits = 1;
    while (((uint64_t)1 << bits) < 2 * (uint64_t)s->count) bits++; /* load <= 1/2 */
    if (bits >= sizeof(size_t) * 8 - 4)
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "penalties: a window of %zu tokens is too large",
                       s->count);
    const size_t cap = (size_t)1 << bits;
    llamac_status st = lc_reserve(&smpl->env, &s->table, &s->table_cap, cap, sizeof *s->table);
    if (st != LLAMAC_OK) return st;
    s->table_bits = bits;
    for (size_t i = 0; i < cap; i++) s->table[i] = (count_slot){-1, 0};
    for (size_t i = 0; i < s->count; i++) {
        const llamac_token id = s->ring[i];
        size_t j = slot_of(s, id);
        while (s->table[j].id != -1 && s->table[j].id != id) j = (j + 1) & (cap - 1);
        s->table[j].id = id;
        s->table[j].count++;
    }
    return LLAMAC_OK;
}

static int32_t count_of(const penalties_state *s, llamac_token id) {
    if (id < 0) return 0;
    const size_t mask = ((size_t)1 << s->table_bits) - 1;
    for (size_t j = slot_of(s, id);; j = (j + 1) & mask) {
        if (s->table[j].id == id) return s->table[j].count;
        if (s->table[j].id == -1) return 0;
    }
}

static llamac_status penalties_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    penalties_state *s = smpl->state;
    if (s->count == 0 || (s->repeat == 1.0f && s->freq == 0.0f && s->present == 0.0f))
        return LLAMAC_OK;
    llamac_status st = build_counts(smpl);
    if (st != LLAMAC_OK) return st;
    for (size_t i = 0; i < cur->size; i++) {
        llamac_token_data *t = &cur->data[i];
        const int32_t n = count_of(s, t->id);
        if (n == 0) continue;
        /* Dividing a negative logit would make the token MORE likely, so
         * those are multiplied instead. */
        float v = t->logit <= 0.0f ? t->logit * s->repeat : t->logit / s->repeat;
        v -= (float)n * s->freq + s->present;
        t->logit = lc_logit_clamp(v, t->logit);
    }
    cur->sorted = false;
    return LLAMAC_OK;
}

static void penalties_reset(llamac_sampler *smpl) {
    penalties_state *s = smpl->state;
    s->head = s->count = 0;
}

static llamac_status penalties_clone_deep(llamac_sampler *dst, const llamac_sampler *src) {
    const penalties_state *from = src->state;
    penalties_state *s = dst->state;
    s->ring = NULL;
    s->table = NULL;
    s->ring_cap = s->table_cap = 0;
    llamac_status st = lc_reserve(&dst->env, &s->ring, &s->ring_cap, from->ring_cap, sizeof *s->ring);
    if (st != LLAMAC_OK) {
        s->head = s->count = 0;
        return st;
    }
    if (from->count) memcpy(s->ring, from->ring, from->count * sizeof *s->ring);
    return LLAMAC_OK;
}

static void penalties_free_state(llamac_sampler *smpl) {
    penalties_state *s = smpl->state;
    lc_free(&smpl->env, s->ring);
    lc_free(&smpl->env, s->table);
}

/* Saved: u32 count, u32 head, then the window as stored (count tokens),
 * so the oldest-first order and the next slot to overwrite come back. */
static size_t penalties_state_size(const llamac_sampler *smpl) {
    const penalties_state *s = smpl->state;
    return 8 + 4 * s->count;
}

static void penalties_state_write(const llamac_sampler *smpl, uint8_t *out) {
    const penalties_state *s = smpl->state;
    lc_put_u32(out, (uint32_t)s->count);
    lc_put_u32(out + 4, (uint32_t)s->head);
    for (size_t i = 0; i < s->count; i++) lc_put_u32(out + 8 + 4 * i, (uint32_t)s->ring[i]);
}

static llamac_status penalties_state_check(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    penalties_state *s = smpl->state;
    if (n < 8) return lc_fail(LLAMAC_ERR_FORMAT, "state of %zu bytes, expected at least 8", n);
    const uint32_t count = lc_get_u32(in), head = lc_get_u32(in + 4);
    if ((n - 8) / 4 != count || (n - 8) % 4)
        return lc_fail(LLAMAC_ERR_FORMAT, "window of %u tokens in %zu bytes", count, n - 8);
    if (count > (uint32_t)s->last_n)
        return lc_fail(LLAMAC_ERR_MISMATCH, "window of %u tokens, this sampler keeps last_n %d", count,
                       (int)s->last_n);
    /* head moves only once the window is full */
    if (count < (uint32_t)s->last_n ? head != 0 : head >= count)
        return lc_fail(LLAMAC_ERR_FORMAT, "window head %u for %u tokens of last_n %d", head, count, (int)s->last_n);
    for (uint32_t i = 0; i < count; i++)
        if ((int32_t)lc_get_u32(in + 8 + 4 * (size_t)i) < 0)
            return lc_fail(LLAMAC_ERR_FORMAT, "window token %u is negative", i);
    /* capacity is not observable: reserving now lets the commit not fail */
    return lc_reserve(&smpl->env, &s->ring, &s->ring_cap, count, sizeof *s->ring);
}

static void penalties_state_commit(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(n);
    penalties_state *s = smpl->state;
    s->count = lc_get_u32(in);
    s->head = lc_get_u32(in + 4);
    for (size_t i = 0; i < s->count; i++) s->ring[i] = (llamac_token)lc_get_u32(in + 8 + 4 * i);
}

static const lc_sampler_vtable penalties_vt = {
    .name = "penalties",
    .apply = penalties_apply,
    .accept = penalties_accept,
    .reset = penalties_reset,
    .clone_deep = penalties_clone_deep,
    .free_state = penalties_free_state,
    LC_SAMPLER_STATE_HOOKS(penalties),
};

llamac_sampler *llamac_sampler_init_penalties(int32_t last_n, float repeat, float freq,
                                              float present, const llamac_allocator *allocator) {
    const char *bad = last_n < 0                         ? "last_n must be >= 0"
                      : !(repeat > 0.0f) || isinf(repeat) ? "repeat must be finite and > 0"
                      : !isfinite(freq)                   ? "freq must be finite"
                      : !isfinite(present)                ? "present must be finite"
                                                          : NULL;
    if (bad)
        return lc_sampler_refuse("llamac_sampler_init_penalties(last_n %d, repeat %g, freq %g, present %g): %s",
                                 (int)last_n, (double)repeat, (double)freq, (double)present, bad);
    llamac_sampler *smpl = lc_sampler_new(allocator, &penalties_vt, sizeof(penalties_state));
    if (!smpl) return NULL; /* lc_sampler_new recorded the failure */
    penalties_state *s = smpl->state;
    s->last_n = last_n;
    s->repeat = repeat;
    s->freq = freq;
    s->present = present;
    return smpl;
}
