/* Logit bias: fixed per-token additions, -inf to ban a token. */
#include "sampler.h"

#include <math.h>
#include <string.h>

typedef struct bias_state {
    int32_t n_vocab;
    /* Sorted by token, one entry per token (duplicates summed at creation). */
    llamac_logit_bias *items;
    size_t n;
} bias_state;

static float biased(float logit, float bias) {
    if (isinf(bias)) return bias; /* a ban stays a ban, whatever the logit */
    return lc_logit_clamp(logit + bias, logit);
}

static const llamac_logit_bias *find_bias(const bias_state *s, llamac_token id) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (s->items[mid].token < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n && s->items[lo].token == id ? &s->items[lo] : NULL;
}

static llamac_status bias_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    const bias_state *s = smpl->state;
    if (s->n == 0) return LLAMAC_OK;
    /* The usual array is the untouched vocabulary (data[i].id == i): then
     * each bias is one indexed store. Otherwise look every candidate up. */
    bool indexed = true;
    for (size_t j = 0; j < s->n && indexed; j++) {
        const size_t t = (size_t)s->items[j].token;
        indexed = t < cur->size && cur->data[t].id == s->items[j].token;
    }
    if (indexed) {
        for (size_t j = 0; j < s->n; j++) {
            llamac_token_data *d = &cur->data[s->items[j].token];
            d->logit = biased(d->logit, s->items[j].bias);
        }
    } else {
        for (size_t i = 0; i < cur->size; i++) {
            const llamac_logit_bias *b = find_bias(s, cur->data[i].id);
            if (b) cur->data[i].logit = biased(cur->data[i].logit, b->bias);
        }
    }
    cur->sorted = false;
    return LLAMAC_OK;
}

static llamac_status bias_clone_deep(llamac_sampler *dst, const llamac_sampler *src) {
    const bias_state *from = src->state;
    bias_state *s = dst->state;
    s->items = NULL;
    size_t cap = 0;
    llamac_status st = lc_reserve(&dst->env, &s->items, &cap, from->n, sizeof *s->items);
    if (st != LLAMAC_OK) return st;
    if (from->n) memcpy(s->items, from->items, from->n * sizeof *s->items);
    return LLAMAC_OK;
}

static void bias_free_state(llamac_sampler *smpl) {
    bias_state *s = smpl->state;
    lc_free(&smpl->env, s->items);
}

static const lc_sampler_vtable bias_vt = {
    .name = "logit-bias",
    .apply = bias_apply,
    .clone_deep = bias_clone_deep,
    .free_state = bias_free_state,
};

/* Insertion sort by token: bias lists are short and this keeps equal tokens
 * in the caller's order, which makes their sum reproducible. */
static void sort_by_token(llamac_logit_bias *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        llamac_logit_bias x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].token > x.token; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

llamac_sampler *llamac_sampler_init_logit_bias(int32_t n_vocab, int32_t n,
                                               const llamac_logit_bias *biases,
                                               const llamac_allocator *allocator) {
    static const char fn[] = "llamac_sampler_init_logit_bias";
    if (n > 0 && !biases) {
        lc_null_arg(fn, "biases");
        return lc_sampler_ctor_failed();
    }
    if (n_vocab <= 0 || n < 0)
        return lc_sampler_refuse("%s: need n_vocab > 0 (got %d) and n >= 0 (got %d)", fn, (int)n_vocab, (int)n);
    for (int32_t i = 0; i < n; i++) {
        const llamac_logit_bias b = biases[i];
        if (b.token < 0 || b.token >= n_vocab)
            return lc_sampler_refuse("%s: entry %d: token %d is outside the vocabulary [0, %d)",
                                     fn, (int)i, (int)b.token, (int)n_vocab);
        if (isnan(b.bias) || (isinf(b.bias) && b.bias > 0))
            return lc_sampler_refuse("%s: entry %d (token %d): bias %g must be finite or -inf (to ban the token)",
                                     fn, (int)i, (int)b.token, (double)b.bias);
    }
    llamac_sampler *smpl = lc_sampler_new(allocator, &bias_vt, sizeof(bias_state));
    if (!smpl) return NULL; /* lc_sampler_new recorded the failure */
    bias_state *s = smpl->state;
    s->n_vocab = n_vocab;
    if (n == 0) return smpl;
    s->items = lc_calloc(&smpl->env, (size_t)n, sizeof *s->items);
    if (!s->items) {
        llamac_sampler_free(smpl);
        return lc_sampler_ctor_failed();
    }
    memcpy(s->items, biases, (size_t)n * sizeof *biases);
    sort_by_token(s->items, (size_t)n);
    size_t w = 0; /* merge duplicates */
    for (size_t i = 0; i < (size_t)n; i++) {
        if (w > 0 && s->items[w - 1].token == s->items[i].token) {
            float sum = s->items[w - 1].bias + s->items[i].bias;
            if (isinf(sum) && sum > 0) {
                lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: the biases given for token %d sum to +inf",
                        fn, (int)s->items[i].token);
                llamac_sampler_free(smpl);
                return lc_sampler_ctor_failed();
            }
            s->items[w - 1].bias = sum;
        } else {
            s->items[w++] = s->items[i];
        }
    }
    s->n = w;
    return smpl;
}
