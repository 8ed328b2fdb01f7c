/* Samplers that pick a token or rescale logits: greedy, dist, temperature. */
#include "sampler.h"

#include <math.h>
#include <stddef.h>

/* ---- greedy ---- */

static llamac_status greedy_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    LC_UNUSED(smpl);
    cur->selected = (int64_t)lc_cand_argmax(cur);
    return LLAMAC_OK;
}

static const lc_sampler_vtable greedy_vt = {.name = "greedy", .apply = greedy_apply};

llamac_sampler *llamac_sampler_init_greedy(const llamac_allocator *allocator) {
    return lc_sampler_new(allocator, &greedy_vt, 0);
}

/* ---- dist ---- */

typedef struct dist_state {
    uint64_t seed;
    lc_rng rng;
} dist_state;

static llamac_status dist_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    dist_state *s = smpl->state;
    llamac_status st = lc_cand_softmax(cur);
    if (st != LLAMAC_OK) return st;
    cur->selected = (int64_t)lc_cand_draw(cur, &s->rng);
    return LLAMAC_OK;
}

static void dist_reset(llamac_sampler *smpl) {
    dist_state *s = smpl->state;
    lc_rng_seed(&s->rng, s->seed);
}

/* Saved: the generator's position (the seed is a parameter). */
static size_t dist_state_size(const llamac_sampler *smpl) {
    LC_UNUSED(smpl);
    return LC_RNG_STATE_BYTES;
}

static void dist_state_write(const llamac_sampler *smpl, uint8_t *out) {
    lc_rng_state_write(&((const dist_state *)smpl->state)->rng, out);
}

static llamac_status dist_state_check(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(smpl);
    if (n != LC_RNG_STATE_BYTES)
        return lc_fail(LLAMAC_ERR_FORMAT, "state of %zu bytes, expected %d", n, LC_RNG_STATE_BYTES);
    return lc_rng_state_check(in, "rng");
}

static void dist_state_commit(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(n);
    lc_rng_state_read(&((dist_state *)smpl->state)->rng, in);
}

static const lc_sampler_vtable dist_vt = {.name = "dist", .apply = dist_apply, .reset = dist_reset,
                                          LC_SAMPLER_STATE_HOOKS(dist)};

llamac_sampler *llamac_sampler_init_dist(uint64_t seed, const llamac_allocator *allocator) {
    llamac_sampler *smpl = lc_sampler_new(allocator, &dist_vt, sizeof(dist_state));
    if (!smpl) return NULL; /* lc_sampler_new recorded the failure */
    ((dist_state *)smpl->state)->seed = seed;
    dist_reset(smpl);
    return smpl;
}

/* ---- temperature ---- */

typedef struct temp_state {
    float t;
} temp_state;

static llamac_status temp_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    const float t = ((temp_state *)smpl->state)->t;
    llamac_token_data *d = cur->data;
    if (t == 0.0f) {
        /* The limit t -> 0: all mass on the best token. The others are
         * masked rather than dropped so later samplers see the same array. */
        const size_t best = lc_cand_argmax(cur);
        for (size_t i = 0; i < cur->size; i++)
            if (i != best) d[i].logit = -INFINITY;
        return LLAMAC_OK;
    }
    /* Dividing by t > 0 keeps the order, so a sorted array stays sorted. */
    for (size_t i = 0; i < cur->size; i++) d[i].logit = lc_logit_clamp(d[i].logit / t, d[i].logit);
    return LLAMAC_OK;
}

static const lc_sampler_vtable temp_vt = {.name = "temp", .apply = temp_apply};

llamac_sampler *llamac_sampler_init_temp(float t, const llamac_allocator *allocator) {
    if (!(t >= 0.0f) || isinf(t))
        return lc_sampler_refuse("llamac_sampler_init_temp: temperature %g must be finite and >= 0 (0 = greedy)",
                                 (double)t);
    llamac_sampler *smpl = lc_sampler_new(allocator, &temp_vt, sizeof(temp_state));
    if (smpl) ((temp_state *)smpl->state)->t = t;
    return smpl;
}
