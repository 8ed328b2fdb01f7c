/* Mirostat 2.0 (Basu et al., 2021): keeps the surprise of sampled tokens,
 * -log2 p, near a target tau by feeding the error back into a threshold mu
 * that truncates the distribution before each draw. */
#include "sampler.h"

#include "common/bytes.h"

#include <math.h>

typedef struct mirostat_state {
    uint64_t seed;
    float tau, eta;
    float mu; /* truncation threshold in bits; starts at 2 tau */
    lc_rng rng;
} mirostat_state;

static llamac_status mirostat_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    mirostat_state *s = smpl->state;
    llamac_status st = lc_cand_softmax(cur);
    if (st != LLAMAC_OK) return st;
    /* Keep the tokens no more surprising than mu (stable compaction, so a
     * sorted array stays sorted); if none is, keep the most likely one. */
    const size_t best = lc_cand_argmax(cur);
    size_t w = 0;
    for (size_t i = 0; i < cur->size; i++)
        if (!(-log2f(cur->data[i].p) > s->mu)) cur->data[w++] = cur->data[i];
    if (w == 0) {
        cur->data[0] = cur->data[best];
        w = 1;
    }
    cur->size = w;
    st = lc_cand_softmax(cur);
    if (st != LLAMAC_OK) return st;
    const size_t pick = lc_cand_draw(cur, &s->rng);
    cur->selected = (int64_t)pick;
    const float surprise = -log2f(cur->data[pick].p);
    s->mu -= s->eta * (surprise - s->tau);
    return LLAMAC_OK;
}

static void mirostat_reset(llamac_sampler *smpl) {
    mirostat_state *s = smpl->state;
    s->mu = 2.0f * s->tau;
    lc_rng_seed(&s->rng, s->seed);
}

/* Saved: mu (f32) then the generator's position. */
static size_t mirostat_state_size(const llamac_sampler *smpl) {
    LC_UNUSED(smpl);
    return 4 + LC_RNG_STATE_BYTES;
}

static void mirostat_state_write(const llamac_sampler *smpl, uint8_t *out) {
    const mirostat_state *s = smpl->state;
    lc_put_f32(out, s->mu);
    lc_rng_state_write(&s->rng, out + 4);
}

static llamac_status mirostat_state_check(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(smpl);
    if (n != 4 + LC_RNG_STATE_BYTES)
        return lc_fail(LLAMAC_ERR_FORMAT, "state of %zu bytes, expected %d", n, 4 + LC_RNG_STATE_BYTES);
    if (!isfinite(lc_get_f32(in))) return lc_fail(LLAMAC_ERR_FORMAT, "mu is not finite");
    return lc_rng_state_check(in + 4, "rng");
}

static void mirostat_state_commit(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(n);
    mirostat_state *s = smpl->state;
    s->mu = lc_get_f32(in);
    lc_rng_state_read(&s->rng, in + 4);
}

static const lc_sampler_vtable mirostat_vt = {
    .name = "mirostat-v2",
    .apply = mirostat_apply,
    .reset = mirostat_reset,
    LC_SAMPLER_STATE_HOOKS(mirostat),
};

llamac_sampler *llamac_sampler_init_mirostat_v2(uint64_t seed, float tau, float eta,
                                                const llamac_allocator *allocator) {
    if (!(tau >= 0.0f) || isinf(tau) || !(eta >= 0.0f) || isinf(eta))
        return lc_sampler_refuse("llamac_sampler_init_mirostat_v2: tau %g and eta %g must be finite and >= 0",
                                 (double)tau, (double)eta);
    llamac_sampler *smpl = lc_sampler_new(allocator, &mirostat_vt, sizeof(mirostat_state));
    if (!smpl) return NULL; /* lc_sampler_new recorded the failure */
    mirostat_state *s = smpl->state;
    s->seed = seed;
    s->tau = tau;
    s->eta = eta;
    mirostat_reset(smpl);
    return smpl;
}
