/* Samplers that shrink the candidate set: top-k, top-p (nucleus), min-p and
 * locally typical sampling. None of them picks a token; each keeps at least
 * one candidate, so a selecting sampler after them always has a choice. */
#include "sampler.h"

#include <math.h>
#include <string.h>

static bool bad_probability(float p) { return !(p >= 0.0f && p <= 1.0f); }

/* ---- top-k ---- */

typedef struct top_k_state {
    int32_t k;
} top_k_state;

static llamac_status top_k_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    const int32_t k = ((top_k_state *)smpl->state)->k;
    if (k <= 0) return LLAMAC_OK;
    const size_t keep = LC_MIN((size_t)k, cur->size);
    if (!cur->sorted) lc_cand_sort_prefix(cur->data, cur->size, 0, keep);
    cur->size = keep;
    cur->sorted = true;
    return LLAMAC_OK;
}

static const lc_sampler_vtable top_k_vt = {.name = "top-k", .apply = top_k_apply};

llamac_sampler *llamac_sampler_init_top_k(int32_t k, const llamac_allocator *allocator) {
    if (k < 0)
        return lc_sampler_refuse("llamac_sampler_init_top_k: k %d must be >= 0 (0 = off)",
                                 (int)k);
    llamac_sampler *smpl = lc_sampler_new(allocator, &top_k_vt, sizeof(top_k_state));
    if (smpl) ((top_k_state *)smpl->state)->k = k;
    return smpl;
}

/* ---- top-p ---- */

typedef struct mass_state {
    float p;
    size_t min_keep;
} mass_state;


static llamac_status top_p_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    const mass_state *s = smpl->state;
    if (s->p >= 1.0f) return LLAMAC_OK;
    llamac_status st = lc_cand_softmax(cur);
    if (st != LLAMAC_OK) return st;
    /* The token that crosses p is kept. */
    cur->size = lc_cand_mass_cut(cur->data, cur->size, &cur->sorted, s->p, false, s->min_keep);
    return LLAMAC_OK;
}

static const lc_sampler_vtable top_p_vt = {.name = "top-p", .apply = top_p_apply};

static llamac_sampler *new_mass_sampler(const char *fn, const lc_sampler_vtable *vt, float p,
                                        size_t min_keep, const llamac_allocator *allocator) {
    if (bad_probability(p))
        return lc_sampler_refuse("%s: p %g must be in [0, 1]", fn, (double)p);
    llamac_sampler *smpl = lc_sampler_new(allocator, vt, sizeof(mass_state));
    if (smpl) *(mass_state *)smpl->state = (mass_state){p, min_keep};
    return smpl;
}

llamac_sampler *llamac_sampler_init_top_p(float p, size_t min_keep,
                                          const llamac_allocator *allocator) {
    return new_mass_sampler("llamac_sampler_init_top_p", &top_p_vt, p, min_keep, allocator);
}

/* ---- min-p ---- */

static llamac_status min_p_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    const mass_state *s = smpl->state;
    if (s->p <= 0.0f) return LLAMAC_OK;
    llamac_token_data *d = cur->data;
    const float max = d[lc_cand_argmax(cur)].logit;
    /* p_i >= p * p_max  <=>  logit_i >= logit_max + log(p): no softmax needed. */
    const float min_logit = max + logf(s->p);
    size_t kept = 0;
    for (size_t i = 0; i < cur->size; i++)
        if (d[i].logit >= min_logit) kept++;
    if (kept >= s->min_keep) {
        /* Stable in-place compaction keeps a sorted array sorted. */
        size_t w = 0;
        for (size_t i = 0; i < cur->size; i++)
            if (d[i].logit >= min_logit) d[w++] = d[i];
        cur->size = w;
        return LLAMAC_OK;
    }
    /* Too few pass the bar: keep the min_keep best instead. */
    const size_t keep = LC_MIN(s->min_keep, cur->size);
    if (!cur->sorted) lc_cand_sort_prefix(d, cur->size, 0, keep);
    cur->size = keep;
    cur->sorted = true;
    return LLAMAC_OK;
}

static const lc_sampler_vtable min_p_vt = {.name = "min-p", .apply = min_p_apply};

llamac_sampler *llamac_sampler_init_min_p(float p, size_t min_keep,
                                          const llamac_allocator *allocator) {
    return new_mass_sampler("llamac_sampler_init_min_p", &min_p_vt, p, min_keep, allocator);
}

/* ---- typical ---- */

typedef struct typical_state {
    mass_state m;
    /* Scratch, grown on demand: `rank` holds one entry per candidate with
     * .logit = -|surprise - entropy| (so "higher logit" = more typical) and
     * .id = the candidate's index; `kept` gathers the result. */
    llamac_token_data *rank, *kept;
    size_t rank_cap, kept_cap;
} typical_state;

static llamac_status typical_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    typical_state *s = smpl->state;
    if (s->m.p >= 1.0f) return LLAMAC_OK;
    llamac_status st = lc_cand_softmax(cur);
    if (st != LLAMAC_OK) return st;
    const size_t n = cur->size;
    llamac_token_data *d = cur->data;

    /* Entropy in nats; tokens with p == 0 contribute 0 (the limit). */
    double entropy = 0.0;
    for (size_t i = 0; i < n; i++)
        if (d[i].p > 0.0f) entropy -= (double)d[i].p * log((double)d[i].p);

    if (n > (size_t)INT32_MAX)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "typical: %zu candidates exceed the int32 index",
                       n);
    st = lc_reserve(&smpl->env, &s->rank, &s->rank_cap, n, sizeof *s->rank);
    if (st != LLAMAC_OK) return st;
    for (size_t i = 0; i < n; i++) {
        /* -log p is +inf for p == 0: such a token is least typical of all. */
        const float shift = d[i].p > 0.0f ? (float)fabs(-log((double)d[i].p) - entropy) : INFINITY;
        s->rank[i] = (llamac_token_data){(llamac_token)i, -shift, d[i].p};
    }

    /* Unlike top-p, the kept mass must strictly exceed p. */
    bool rank_sorted = false;
    const size_t keep = lc_cand_mass_cut(s->rank, n, &rank_sorted, s->m.p, true, s->m.min_keep);

    st = lc_reserve(&smpl->env, &s->kept, &s->kept_cap, keep, sizeof *s->kept);
    if (st != LLAMAC_OK) return st;
    for (size_t i = 0; i < keep; i++) s->kept[i] = d[s->rank[i].id];
    memcpy(d, s->kept, keep * sizeof *d);
    cur->size = keep;
    cur->sorted = false; /* ordered by typicality, not by logit */
    return LLAMAC_OK;
}

static llamac_status typical_clone_deep(llamac_sampler *dst, const llamac_sampler *src) {
    LC_UNUSED(src);
    typical_state *s = dst->state;
    s->rank = s->kept = NULL; /* scratch is not state */
    s->rank_cap = s->kept_cap = 0;
    return LLAMAC_OK;
}

static void typical_free_state(llamac_sampler *smpl) {
    typical_state *s = smpl->state;
    lc_free(&smpl->env, s->rank);
    lc_free(&smpl->env, s->kept);
}

static const lc_sampler_vtable typical_vt = {
    .name = "typical",
    .apply = typical_apply,
    .clone_deep = typical_clone_deep,
    .free_state = typical_free_state,
};

llamac_sampler *llamac_sampler_init_typical(float p, size_t min_keep,
                                            const llamac_allocator *allocator) {
    if (bad_probability(p))
        return lc_sampler_refuse("llamac_sampler_init_typical: p %g must be in [0, 1]",
                                 (double)p);
    llamac_sampler *smpl = lc_sampler_new(allocator, &typical_vt, sizeof(typical_state));
    if (smpl) ((typical_state *)smpl->state)->m = (mass_state){p, min_keep};
    return smpl;
}
