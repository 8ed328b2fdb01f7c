/* Math on candidate arrays shared by the sampler kinds: softmax, partial
 * sort by heap selection, argmax and the random draw. */
#include "sampler.h"

#include "common/assert.h"

#include <float.h>
#include <math.h>

float lc_logit_clamp(float v, float old) {
    if (isinf(old)) return old;
    if (isinf(v)) return copysignf(FLT_MAX, v);
    return v;
}

size_t lc_cand_argmax(const llamac_token_data_array *cur) {
    if (cur->sorted) return 0;
    size_t best = 0;
    for (size_t i = 1; i < cur->size; i++)
        if (lc_cand_before(&cur->data[i], &cur->data[best])) best = i;
    return best;
}

llamac_status lc_cand_softmax(llamac_token_data_array *cur) {
    llamac_token_data *d = cur->data;
    float max = d[lc_cand_argmax(cur)].logit;
    if (isinf(max))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "softmax: all %zu candidates have logit -inf, no token is left to sample",
                       cur->size);
    double sum = 0.0;
    for (size_t i = 0; i < cur->size; i++) {
        d[i].p = expf(d[i].logit - max);
        sum += d[i].p;
    }
    /* sum >= 1: the maximum contributes exp(0). */
    const float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < cur->size; i++) d[i].p *= inv;
    return LLAMAC_OK;
}

/* The heap below keeps its WORST element at the root, so one comparison
 * decides whether a new candidate enters the current top set. */
static void sift_down(llamac_token_data *h, size_t n, size_t i) {
    llamac_token_data x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && lc_cand_before(&h[c], &h[c + 1])) c++; /* the worse child */
        if (!lc_cand_before(&x, &h[c])) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

void lc_cand_sort_prefix(llamac_token_data *data, size_t n, size_t done, size_t k) {
    if (k > n) k = n;
    if (k <= done) return;
    llamac_token_data *h = data + done;
    const size_t m = k - done, rest = n - done;
    for (size_t i = m / 2; i-- > 0;) sift_down(h, m, i);
    for (size_t i = m; i < rest; i++) {
        if (lc_cand_before(&h[i], &h[0])) {
            llamac_token_data t = h[0];
            h[0] = h[i];
            h[i] = t;
            sift_down(h, m, 0);
        }
    }
    /* Heap sort: repeatedly move the worst to the end, leaving best first. */
    for (size_t end = m; end-- > 1;) {
        llamac_token_data t = h[0];
        h[0] = h[end];
        h[end] = t;
        sift_down(h, end, 0);
    }
}

size_t lc_cand_draw(const llamac_token_data_array *cur, lc_rng *rng) {
    const llamac_token_data *d = cur->data;
    double total = 0.0;
    for (size_t i = 0; i < cur->size; i++) total += d[i].p;
    LC_ASSERT(total > 0.0); /* after lc_cand_softmax, which fails when no token has mass */
    const double target = lc_rng_uniform(rng) * total;
    /* Walk the cumulative sum in the same order it was totalled; a strict
     * comparison never picks a zero-probability token. */
    double run = 0.0;
    size_t last_positive = 0;
    for (size_t i = 0; i < cur->size; i++) {
        if (d[i].p <= 0.0f) continue;
        run += d[i].p;
        last_positive = i;
        if (run > target) return i;
    }
    /* Only reachable when target rounds up to total. */
    return last_positive;
}

/* A mass cut first sorts this many of the best candidates, then four times
 * as many, up to MASS_LAZY_LIMIT; a peaked distribution over a large
 * vocabulary is thus never fully sorted. Past the limit the nucleus is wide,
 * and the rest is cut through a histogram by logit (bucket_cut) in O(n). */
#define MASS_FIRST_PREFIX 256
#define MASS_LAZY_LIMIT 1024
#define MASS_BUCKETS 1024

static bool mass_reached(double cum, float p, bool strict) { return strict ? cum > p : cum >= p; }

static size_t mass_cut_from(llamac_token_data *a, size_t n, bool *sorted, float p, bool strict,
                            size_t min_keep, double cum, bool may_bucket);

/* Bucket of a logit within [lo, hi] (lo < hi): non-decreasing in the logit,
 * so every candidate of a higher bucket precedes every candidate of a lower
 * one in the best-first order. -inf goes to bucket 0. */
static size_t bucket_of(float logit, double lo, double scale) {
    if (isinf(logit)) return 0;
    const double b = ((double)logit - lo) * scale;
    return b >= MASS_BUCKETS - 1 ? MASS_BUCKETS - 1 : (size_t)b;
}

/* Three-way partition of a[0..n) by bucket against b: buckets above b
 * first, then bucket b, then the rest. Sets *n_above and *n_in_b. */
static void partition_buckets(llamac_token_data *a, size_t n, double lo, double scale, size_t b,
                              size_t *n_above, size_t *n_in_b) {
    size_t top = 0, i = 0, end = n; /* [0,top) above, [top,i) in b, [end,n) below */
    while (i < end) {
        const size_t k = bucket_of(a[i].logit, lo, scale);
        llamac_token_data t = a[i];
        if (k > b) {
            a[i++] = a[top];
            a[top++] = t;
        } else if (k == b) {
            i++;
        } else {
            a[i] = a[--end];
            a[end] = t;
        }
    }
    *n_above = top;
    *n_in_b = i - top;
}

/* The cut on an unsorted a[0..n) after mass `cum` already taken: find the
 * logit bucket in which the cumulated mass reaches p, keep every bucket
 * above it (unsorted), and cut inside that one bucket by sorting it. */
static size_t bucket_cut(llamac_token_data *a, size_t n, float p, bool strict, size_t min_keep,
                         double cum) {
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const float l = a[i].logit;
        if (isinf(l)) continue;
        lo = l < lo ? l : lo;
        hi = l > hi ? l : hi;
    }
    bool sorted = false;
    if (!(lo < hi)) /* at most one distinct finite logit: only ids order them */
        return mass_cut_from(a, n, &sorted, p, strict, min_keep, cum, false);
    const double scale = (double)MASS_BUCKETS / ((double)hi - (double)lo);
    double mass[MASS_BUCKETS] = {0};
    size_t count[MASS_BUCKETS] = {0};
    for (size_t i = 0; i < n; i++) {
        const size_t k = bucket_of(a[i].logit, lo, scale);
        mass[k] += a[i].p;
        count[k]++;
    }
    size_t b = MASS_BUCKETS, above = 0;
    for (size_t k = MASS_BUCKETS; k-- > 0;) {
        if (count[k] > 0 && mass_reached(cum + mass[k], p, strict) &&
            above + count[k] >= min_keep) {
            b = k;
            break;
        }
        cum += mass[k];
        above += count[k];
    }
    if (b == MASS_BUCKETS) return n; /* not reached (rounding): keep all */
    size_t h, m;
    partition_buckets(a, n, lo, scale, b, &h, &m);
    return h + mass_cut_from(a + h, m, &sorted, p, strict, min_keep > h ? min_keep - h : 0, cum,
                             false);
}

static size_t mass_cut_from(llamac_token_data *a, size_t n, bool *sorted, float p, bool strict,
                            size_t min_keep, double cum, bool may_bucket) {
    size_t sorted_upto = *sorted ? n : 0;
    for (size_t i = 0; i < n; i++) {
        if (i == sorted_upto) {
            if (may_bucket && sorted_upto >= MASS_LAZY_LIMIT) {
                *sorted = false;
                return i + bucket_cut(a + i, n - i, p, strict, min_keep > i ? min_keep - i : 0, cum);
            }
            size_t next = sorted_upto ? sorted_upto * 4 : MASS_FIRST_PREFIX;
            if (next > n) next = n;
            lc_cand_sort_prefix(a, n, sorted_upto, next);
            sorted_upto = next;
        }
        cum += a[i].p;
        if (mass_reached(cum, p, strict) && i + 1 >= min_keep) {
            *sorted = true;
            return i + 1;
        }
    }
    *sorted = true;
    return n;
}

size_t lc_cand_mass_cut(llamac_token_data *data, size_t n, bool *sorted, float p, bool strict,
                        size_t min_keep) {
    return mass_cut_from(data, n, sorted, p, strict, min_keep, 0.0, true);
}
