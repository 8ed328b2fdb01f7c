/* The sampler object (public dispatch through the vtable), the chain that
 * runs samplers in order, and llamac_sampler_sample. */
#include "sampler.h"
#include "common/params.h"

#include "common/bytes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The state block follows the object, aligned for any member type. */
#define LC_STATE_ALIGN 16
static size_t state_offset(void) {
    return (sizeof(llamac_sampler) + LC_STATE_ALIGN - 1) / LC_STATE_ALIGN * LC_STATE_ALIGN;
}

/* The lc_error_serial() of the last failure a sampler constructor returned
 * NULL for on this thread (0: none). */
static _Thread_local uint64_t ctor_failure_serial;

llamac_sampler *lc_sampler_ctor_failed(void) {
    ctor_failure_serial = lc_error_serial();
    return NULL;
}

llamac_sampler *lc_sampler_refuse(const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lc_fail(LLAMAC_ERR_INVALID_ARG, "%s", msg);
    return lc_sampler_ctor_failed();
}

llamac_sampler *lc_sampler_new(const llamac_allocator *allocator, const lc_sampler_vtable *vt,
                               size_t state_size) {
    lc_env env;
    lc_env_init(&env, allocator, NULL, NULL);
    size_t total;
    if (lc_add_overflow_size(state_offset(), state_size, &total)) {
        lc_fail(LLAMAC_ERR_NO_MEMORY, "sampler '%s': state of %zu bytes overflows", vt->name,
                state_size);
        return lc_sampler_ctor_failed();
    }
    unsigned char *block = lc_calloc(&env, 1, total);
    if (!block) {
        lc_error_prefix("creating sampler '%s'", vt->name);
        return lc_sampler_ctor_failed();
    }
    llamac_sampler *s = (llamac_sampler *)block;
    s->vt = vt;
    s->env = env;
    s->state = state_size ? block + state_offset() : NULL;
    s->state_size = state_size;
    return s;
}

/* ---- public dispatch ---- */

/* -inf masks a token; NaN and +inf have no meaning as a logit and would
 * poison every softmax downstream. */
static bool bad_logit(float l) { return isnan(l) || (isinf(l) && l > 0); }

const char *llamac_sampler_name(const llamac_sampler *smpl) {
    return smpl ? smpl->vt->name : "(null)";
}

llamac_status llamac_sampler_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    LC_REQUIRE(smpl);
    LC_REQUIRE(cur);
    if (!cur->data || cur->size == 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_sampler_apply('%s'): candidate array is NULL or empty",
                       smpl->vt->name);
    for (size_t i = 0; i < cur->size; i++)
        if (bad_logit(cur->data[i].logit))
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "llamac_sampler_apply('%s'): candidate %zu (token %d) has logit %s",
                           smpl->vt->name, i, (int)cur->data[i].id,
                           isnan(cur->data[i].logit) ? "NaN" : "+inf");
    return smpl->vt->apply(smpl, cur);
}

llamac_status llamac_sampler_accept(llamac_sampler *smpl, llamac_token token) {
    LC_REQUIRE(smpl);
    if (token < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_sampler_accept('%s'): token %d is negative",
                       smpl->vt->name, (int)token);
    return smpl->vt->accept ? smpl->vt->accept(smpl, token) : LLAMAC_OK;
}

void llamac_sampler_reset(llamac_sampler *smpl) {
    if (smpl && smpl->vt->reset) smpl->vt->reset(smpl);
}

void llamac_sampler_free(llamac_sampler *smpl) {
    if (!smpl) return;
    if (smpl->vt->free_state) smpl->vt->free_state(smpl);
    lc_env env = smpl->env;
    lc_free(&env, smpl->cand);
    lc_free(&env, smpl);
}

llamac_sampler *llamac_sampler_clone(const llamac_sampler *smpl) {
    if (!smpl) {
        lc_null_arg(__func__, "smpl");
        return lc_sampler_ctor_failed();
    }
    llamac_sampler *c = lc_sampler_new(&smpl->env.alloc, smpl->vt, smpl->state_size);
    if (!c) return NULL;
    if (smpl->state_size) memcpy(c->state, smpl->state, smpl->state_size);
    if (smpl->vt->clone_deep) {
        llamac_status st = smpl->vt->clone_deep(c, smpl);
        if (st != LLAMAC_OK) {
            lc_error_prefix("cloning sampler '%s'", smpl->vt->name);
            llamac_sampler_free(c);
            return lc_sampler_ctor_failed();
        }
    }
    return c;
}

llamac_status llamac_sampler_sample(llamac_sampler *smpl, const float *logits, int32_t n_vocab,
                                    llamac_token *out) {
    LC_REQUIRE(smpl);
    LC_REQUIRE(logits);
    LC_REQUIRE(out);
    if (n_vocab <= 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_sampler_sample: n_vocab %d must be > 0",
                       (int)n_vocab);
    llamac_status st =
        lc_reserve(&smpl->env, &smpl->cand, &smpl->cand_cap, (size_t)n_vocab, sizeof *smpl->cand);
    if (st != LLAMAC_OK) return st;
    bool any_bad = false;
    for (int32_t i = 0; i < n_vocab; i++) {
        smpl->cand[i] = (llamac_token_data){i, logits[i], 0.0f};
        any_bad |= bad_logit(logits[i]);
    }
    if (any_bad)
        for (int32_t i = 0; i < n_vocab; i++)
            if (bad_logit(logits[i]))
                return lc_fail(LLAMAC_ERR_INVALID_ARG,
                               "llamac_sampler_sample('%s'): logit of token %d is %s",
                               smpl->vt->name, (int)i, isnan(logits[i]) ? "NaN" : "+inf");
    llamac_token_data_array cur = {smpl->cand, (size_t)n_vocab, -1, false};
    st = smpl->vt->apply(smpl, &cur);
    if (st != LLAMAC_OK) return st;
    if (cur.selected < 0 || (uint64_t)cur.selected >= cur.size)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_sampler_sample('%s'): no token was selected (selected index %lld "
                       "of %zu candidates); end the chain with greedy, dist or mirostat_v2",
                       smpl->vt->name, (long long)cur.selected, cur.size);
    const llamac_token tok = cur.data[cur.selected].id;
    st = llamac_sampler_accept(smpl, tok);
    if (st != LLAMAC_OK) return st;
    *out = tok;
    return LLAMAC_OK;
}

/* ---- chain ---- */

typedef struct chain_state {
    llamac_sampler **items;
    size_t n, cap;
} chain_state;

static llamac_status chain_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    chain_state *c = smpl->state;
    for (size_t i = 0; i < c->n; i++) {
        llamac_status st = c->items[i]->vt->apply(c->items[i], cur);
        if (st != LLAMAC_OK) return st;
    }
    return LLAMAC_OK;
}

static llamac_status chain_accept(llamac_sampler *smpl, llamac_token token) {
    chain_state *c = smpl->state;
    for (size_t i = 0; i < c->n; i++) {
        llamac_status st = llamac_sampler_accept(c->items[i], token);
        if (st != LLAMAC_OK) return st;
    }
    return LLAMAC_OK;
}

static void chain_reset(llamac_sampler *smpl) {
    chain_state *c = smpl->state;
    for (size_t i = 0; i < c->n; i++) llamac_sampler_reset(c->items[i]);
}

static void chain_free_state(llamac_sampler *smpl) {
    chain_state *c = smpl->state;
    for (size_t i = 0; i < c->n; i++) llamac_sampler_free(c->items[i]);
    lc_free(&smpl->env, c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

static llamac_status chain_clone_deep(llamac_sampler *dst, const llamac_sampler *src) {
    const chain_state *s = src->state;
    chain_state *d = dst->state;
    d->items = NULL;
    d->n = d->cap = 0;
    llamac_status st = lc_reserve(&dst->env, &d->items, &d->cap, s->n, sizeof *d->items);
    if (st != LLAMAC_OK) return st;
    for (size_t i = 0; i < s->n; i++) {
        llamac_sampler *c = llamac_sampler_clone(s->items[i]);
        if (!c) return LLAMAC_ERR_NO_MEMORY;
        d->items[d->n++] = c;
    }
    return LLAMAC_OK;
}

/* Saved: u32 member count, then each member's record in order. */
static size_t chain_state_size(const llamac_sampler *smpl) {
    const chain_state *c = smpl->state;
    size_t n = 4;
    for (size_t i = 0; i < c->n; i++) n += lc_sampler_record_size(c->items[i]);
    return n;
}

static void chain_state_write(const llamac_sampler *smpl, uint8_t *out) {
    const chain_state *c = smpl->state;
    lc_put_u32(out, (uint32_t)c->n);
    out += 4;
    for (size_t i = 0; i < c->n; i++) out = lc_sampler_record_write(c->items[i], out);
}

static llamac_status chain_state_check(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    const chain_state *c = smpl->state;
    if (n < 4) return lc_fail(LLAMAC_ERR_FORMAT, "state of %zu bytes, expected at least 4", n);
    if (lc_get_u32(in) != c->n)
        return lc_fail(LLAMAC_ERR_MISMATCH, "the state has %u samplers, this chain %zu", lc_get_u32(in), c->n);
    size_t off = 4;
    for (size_t i = 0; i < c->n; i++) {
        char where[48];
        snprintf(where, sizeof where, "member %zu", i);
        size_t used = 0;
        llamac_status st = lc_sampler_record_check(c->items[i], in + off, n - off, &used, where);
        if (st != LLAMAC_OK) return st;
        off += used;
    }
    if (off != n) return lc_fail(LLAMAC_ERR_FORMAT, "%zu bytes after the last member", n - off);
    return LLAMAC_OK;
}

static void chain_state_commit(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    LC_UNUSED(n);
    const chain_state *c = smpl->state;
    size_t off = 4;
    for (size_t i = 0; i < c->n; i++) off += lc_sampler_record_commit(c->items[i], in + off);
}

static const lc_sampler_vtable chain_vt = {
    .name = "chain",
    .apply = chain_apply,
    .accept = chain_accept,
    .reset = chain_reset,
    .clone_deep = chain_clone_deep,
    .free_state = chain_free_state,
    LC_SAMPLER_STATE_HOOKS(chain),
};

void llamac_sampler_chain_params_init(llamac_sampler_chain_params *params, size_t size) {
    static const llamac_sampler_chain_params defaults = {0};
    lc_params_init(params, size, &defaults, sizeof defaults);
}

llamac_sampler *llamac_sampler_chain_new(const llamac_sampler_chain_params *params) {
    llamac_sampler_chain_params p;
    llamac_sampler_chain_params_init(&p, sizeof p);
    if (lc_params_read(&p, sizeof p, params, "llamac_sampler_chain_new", "llamac_sampler_chain")) return lc_sampler_ctor_failed();
    return lc_sampler_new(p.allocator, &chain_vt, sizeof(chain_state));
}

static bool is_chain(const llamac_sampler *s) { return s && s->vt == &chain_vt; }

/* True if `needle` is `hay` or is held anywhere inside it. */
static bool contains(const llamac_sampler *hay, const llamac_sampler *needle) {
    if (hay == needle) return true;
    if (!is_chain(hay)) return false;
    const chain_state *c = hay->state;
    for (size_t i = 0; i < c->n; i++)
        if (contains(c->items[i], needle)) return true;
    return false;
}

llamac_status llamac_sampler_chain_add(llamac_sampler *chain, llamac_sampler *smpl) {
    if (!smpl) {
        /* Usually chain_add(chain, llamac_sampler_init_x(...)) with a failed
         * constructor. If that failure is still the thread's latest, report
         * its status (NO_MEMORY stays NO_MEMORY) and keep its message after
         * ours; otherwise a NULL smpl is the caller's own mistake. */
        const uint64_t serial = lc_error_serial();
        if (serial == 0 || serial != ctor_failure_serial) return lc_null_arg(__func__, "smpl");
        lc_error_prefix("llamac_sampler_chain_add: smpl is NULL because its constructor failed");
        return lc_error_status();
    }
    if (!chain) {
        llamac_sampler_free(smpl); /* owned from here on, as for any failure */
        return lc_null_arg(__func__, "chain");
    }
    if (!is_chain(chain)) {
        llamac_sampler_free(smpl);
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_sampler_chain_add: target '%s' is not a chain",
                       llamac_sampler_name(chain));
    }
    if (contains(smpl, chain) || contains(chain, smpl))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_sampler_chain_add: sampler '%s' is already in this chain (or "
                       "contains it); nothing was changed",
                       smpl->vt->name);
    chain_state *c = chain->state;
    llamac_status st = lc_grow(&chain->env, &c->items, &c->cap, c->n + 1, sizeof *c->items);
    if (st != LLAMAC_OK) {
        llamac_sampler_free(smpl);
        return st;
    }
    c->items[c->n++] = smpl;
    return LLAMAC_OK;
}

int32_t llamac_sampler_chain_n(const llamac_sampler *chain) {
    if (!is_chain(chain)) return -1;
    return (int32_t)((const chain_state *)chain->state)->n;
}

llamac_sampler *llamac_sampler_chain_get(const llamac_sampler *chain, int32_t i) {
    if (!is_chain(chain)) return NULL;
    const chain_state *c = chain->state;
    if (i < 0 || (size_t)i >= c->n) return NULL;
    return c->items[i];
}
