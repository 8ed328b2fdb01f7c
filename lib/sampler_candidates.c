/* Math on candidate arrays shared by the sampler kinds: softmax, partial
 * sort by heap selection, argmax and the random draw. */
#include "sampler.h"

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
