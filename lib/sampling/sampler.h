/* Internals of the sampler objects (llamac.h section 7): the vtable every
 * sampler kind fills, the object layout, and the candidate-array helpers the
 * kinds share (softmax, partial sort, random draw). */
#ifndef LLAMAC_SAMPLER_H
#define LLAMAC_SAMPLER_H

#include "common/buffer.h"
#include "common/internal.h"
#include "common/rng.h"

typedef struct lc_sampler_vtable {
    const char *name;
    /* Required. `cur` is non-empty and free of NaN / +inf logits (checked
     * once at the public entry point). */
    llamac_status (*apply)(llamac_sampler *smpl, llamac_token_data_array *cur);
    /* Optional (NULL: the kind keeps no history). */
    llamac_status (*accept)(llamac_sampler *smpl, llamac_token token);
    /* Optional: back to the state right after construction. */
    void (*reset)(llamac_sampler *smpl);
    /* Optional: copy the kind's heap-owned members from src into dst after
     * the generic clone copied the state struct bytewise; on failure leave
     * dst's pointers NULL (free_state must cope) and return the status. */
    llamac_status (*clone_deep)(llamac_sampler *dst, const llamac_sampler *src);
    /* Optional: release heap-owned members of the state. */
    void (*free_state)(llamac_sampler *smpl);
    /* State save/restore (llamac_sampler_state_*), all four or none (none:
     * the kind keeps nothing between calls but its parameters, and its
     * saved body is empty). state_write writes exactly state_size bytes.
     * state_check validates a body of n bytes against this sampler and
     * reserves whatever state_commit will need, changing nothing a caller
     * can observe; LLAMAC_ERR_FORMAT for bad values, LLAMAC_ERR_MISMATCH
     * when the body cannot belong to a sampler with these parameters.
     * state_commit, after a successful check of the same bytes, cannot
     * fail. */
    size_t (*state_size)(const llamac_sampler *smpl);
    void (*state_write)(const llamac_sampler *smpl, uint8_t *out);
    llamac_status (*state_check)(llamac_sampler *smpl, const uint8_t *in, size_t n);
    void (*state_commit)(llamac_sampler *smpl, const uint8_t *in, size_t n);
} lc_sampler_vtable;

/* The four state hooks of a kind whose functions are named KIND_state_size,
 * KIND_state_write, KIND_state_check and KIND_state_commit. */
#define LC_SAMPLER_STATE_HOOKS(kind)                                                              \
    .state_size = kind##_state_size, .state_write = kind##_state_write,                          \
    .state_check = kind##_state_check, .state_commit = kind##_state_commit

struct llamac_sampler {
    const lc_sampler_vtable *vt;
    lc_env env;
    void *state;       /* kind-specific; allocated in the same block */
    size_t state_size;
    /* Candidate buffer of llamac_sampler_sample, kept between calls so a
     * generation loop allocates once. */
    llamac_token_data *cand;
    size_t cand_cap;
};

/* Records that a sampler constructor (llamac_sampler_init_*, chain_new,
 * clone) is returning NULL because of the failure just reported, so that
 * llamac_sampler_chain_add(chain, NULL) can forward its status. Returns NULL. */
llamac_sampler *lc_sampler_ctor_failed(void);

/* A constructor refusing its arguments: LLAMAC_ERR_INVALID_ARG with the
 * formatted message, recorded as a constructor's failure. Returns NULL. */
llamac_sampler *lc_sampler_refuse(const char *fmt, ...) LC_PRINTF(1, 2);

/* Allocates a sampler with a zeroed state of state_size bytes using
 * `allocator` (NULL: libc). NULL with the error set (and recorded as a
 * constructor's failure) on failure. */
llamac_sampler *lc_sampler_new(const llamac_allocator *allocator, const lc_sampler_vtable *vt,
                               size_t state_size);

/* One sampler's saved state (sampler_state.c): u8 name length, the kind's
 * name, u32 body length, the body (a chain's: u32 count, then each
 * member's record). `where` names the sampler in messages ("sampler 2"). */
size_t lc_sampler_record_size(const llamac_sampler *smpl);
uint8_t *lc_sampler_record_write(const llamac_sampler *smpl, uint8_t *out); /* returns the end */
llamac_status lc_sampler_record_check(llamac_sampler *smpl, const uint8_t *in, size_t n, size_t *used,
                                      const char *where);
/* After a successful check of the same bytes; returns the bytes used. */
size_t lc_sampler_record_commit(llamac_sampler *smpl, const uint8_t *in);

/* The public blob (llamac_sampler_state_save's bytes): checked whole,
 * then committed; lib/state/ embeds the same blob in state files. */
llamac_status lc_sampler_blob_check(llamac_sampler *smpl, const uint8_t *blob, size_t size);
void lc_sampler_blob_commit(llamac_sampler *smpl, const uint8_t *blob);

/* The saved state of the xoshiro generator: 32 bytes; an all-zero state
 * (which would only ever give 0) is LLAMAC_ERR_FORMAT. */
#define LC_RNG_STATE_BYTES 32
void lc_rng_state_write(const lc_rng *rng, uint8_t *out);
llamac_status lc_rng_state_check(const uint8_t *in, const char *who);
void lc_rng_state_read(lc_rng *rng, const uint8_t *in);

/* ---- candidate-array helpers (sampler_candidates.c) ---- */

/* Fills every .p with the softmax of the logits (max subtracted, exp in
 * float, sum in double). Fails with LLAMAC_ERR_INVALID_ARG if every logit is
 * -inf, when no distribution exists. */
llamac_status lc_cand_softmax(llamac_token_data_array *cur);

/* The order every sort uses: higher logit first, then lower id, a total
 * order, so results never depend on the sort algorithm or platform. */
static inline int lc_cand_before(const llamac_token_data *a, const llamac_token_data *b) {
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

/* Given that data[0..done) already holds the `done` best candidates in
 * order, moves the k best (k <= size) into data[0..k) in order, leaving the
 * rest after them in unspecified order. O(n log(k - done)) by heap selection,
 * without allocating. */
void lc_cand_sort_prefix(llamac_token_data *data, size_t n, size_t done, size_t k);

/* Reorders data so that a prefix reaching probability mass p (cumulated
 * .p > p if strict, >= p otherwise) comes first, and returns its length:
 * the shortest such prefix of the best-first order, but at least min_keep
 * long and at most n. *sorted says on entry whether data is already in
 * order and on return whether the prefix is (it is unless the cut was wide,
 * when the bulk of the prefix is left unsorted to stay O(n)). */
size_t lc_cand_mass_cut(llamac_token_data *data, size_t n, bool *sorted, float p, bool strict,
                        size_t min_keep);

/* Index of the best candidate by lc_cand_before (data[0] when sorted). */
size_t lc_cand_argmax(const llamac_token_data_array *cur);

/* Draws an index with probability proportional to .p (which must be
 * non-negative with a positive sum, as after lc_cand_softmax). */
size_t lc_cand_draw(const llamac_token_data_array *cur, lc_rng *rng);

/* The logit to store after a penalty, bias or temperature turned `old` into
 * `v`: a masked (-inf) logit stays masked, and a finite one that overflowed
 * is pinned to +-FLT_MAX, so softmax never meets +inf and an overflow never
 * masks a token by accident. */
float lc_logit_clamp(float v, float old);

#endif
