/* Float operations of the transformer; see ops.h for the contracts. */
#include "ops.h"

#include <math.h>
#include <string.h>

void lc_rmsnorm(float *out, const float *x, const float *weight, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    /* (x * scale) * w, in that order: the reference scales, then multiplies. */
    for (int64_t i = 0; i < n; i++) out[i] = (x[i] * scale) * weight[i];
}

void lc_add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

void lc_softmax(float *x, int64_t n, lc_exp_fn exp_row) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    for (int64_t i = 0; i < n; i++) x[i] = x[i] - max;
    exp_row(x, x, n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i];
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void lc_rope_init(lc_rope *rope, int n_rot, float base, float freq_scale, const float *freq_factors) {
    rope->n_rot = n_rot;
    rope->theta_scale = powf(base, -2.0f / (float)n_rot);
    rope->freq_scale = freq_scale;
    rope->freq_factors = freq_factors;
}

void lc_rope_table(const lc_rope *rope, float pos, float *cs) {
    /* The angle of pair i is built as pos * theta_scale^i by repeated float
     * multiplication, as the reference does; powf per pair would differ in
     * the last bits at large positions. */
    float theta = pos;
    for (int i = 0; i < rope->n_rot / 2; i++) {
        const float ff = rope->freq_factors ? rope->freq_factors[i] : 1.0f;
        const float angle = rope->freq_scale * (theta / ff);
        cs[2 * i] = cosf(angle);
        cs[2 * i + 1] = sinf(angle);
        theta *= rope->theta_scale;
    }
}

void lc_rope_apply(float *x, int n_heads, int head_dim, int n_rot, const float *cs) {
    for (int h = 0; h < n_heads; h++) {
        float *hx = x + (int64_t)h * head_dim;
        for (int i = 0; i < n_rot; i += 2) {
            const float c = cs[i], s = cs[i + 1];
            const float x0 = hx[i], x1 = hx[i + 1];
            hx[i] = x0 * c - x1 * s;
            hx[i + 1] = x0 * s + x1 * c;
        }
    }
}

void lc_attend_heads(float *out, const float *q, int m, int head_dim, float scale, const lc_kv_head *kv,
                     const int32_t *cells, int64_t n, lc_attn_scratch *scratch) {
    /* Scores: the queries are converted once into the cache's vec_dot_type
     * (fp16 for an F16 cache, as the reference's K*Q product does). */
    const uint8_t *qd = (const uint8_t *)q;
    size_t q_bytes = (size_t)head_dim * sizeof(float);
    if (kv->traits->vec_dot_type != LLAMAC_TYPE_F32) {
        for (int h = 0; h < m; h++)
            kv->q_traits->from_float(q + (size_t)h * (size_t)head_dim,
                                     (uint8_t *)scratch->q_conv + (size_t)h * scratch->q_conv_bytes, head_dim);
        qd = scratch->q_conv;
        q_bytes = scratch->q_conv_bytes;
    }
    float *const scores = scratch->scores;
    const int64_t ss = scratch->score_stride;
    for (int64_t j0 = 0, j1; j0 < n; j0 = j1) {
        /* a run of consecutive cells is a strided matrix of key rows */
        for (j1 = j0 + 1; j1 < n && cells[j1] == cells[j1 - 1] + 1; j1++) continue;
        const uint8_t *k0 = kv->k + (size_t)cells[j0] * kv->stride;
        if (kv->gemm) {
            kv->gemm(head_dim, j1 - j0, m, k0, kv->stride, qd, q_bytes, scores + j0, (size_t)ss);
        } else {
            for (int64_t j = j0; j < j1; j++)
                for (int h = 0; h < m; h++)
                    kv->traits->vec_dot(head_dim, &scores[h * ss + j], k0 + (size_t)(j - j0) * kv->stride,
                                        qd + (size_t)h * q_bytes);
        }
    }
    for (int h = 0; h < m; h++) {
        float *sh = scores + h * ss;
        for (int64_t j = 0; j < n; j++) sh[j] = sh[j] * scale;
        lc_softmax(sh, n, kv->exp);
        /* Values: the reference multiplies V by the probabilities converted
         * to the cache type, so an F16 cache sees fp16-rounded ones. */
        if (kv->type == LLAMAC_TYPE_F16) {
            uint16_t half[64];
            for (int64_t j = 0; j < n; j += 64) {
                const int64_t c = LC_MIN((int64_t)64, n - j);
                kv->traits->from_float(sh + j, half, c);
                kv->traits->to_float(half, sh + j, c);
            }
        }
    }
    if (kv->values && head_dim % 8 == 0) {
        kv->values(n, m, head_dim, scores, ss, kv->v, kv->stride, cells, out);
        return;
    }
    memset(out, 0, (size_t)m * (size_t)head_dim * sizeof *out);
    for (int64_t j = 0; j < n; j++) {
        const uint8_t *v = kv->v + (size_t)cells[j] * kv->stride;
        if (kv->axpy) {
            for (int h = 0; h < m; h++) kv->axpy(head_dim, scores[h * ss + j], v, out + (size_t)h * (size_t)head_dim);
            continue;
        }
        kv->traits->to_float(v, scratch->v_row, head_dim);
        for (int h = 0; h < m; h++) {
            float *oh = out + (size_t)h * (size_t)head_dim;
            const float p = scores[h * ss + j];
            for (int d = 0; d < head_dim; d++) oh[d] = oh[d] + p * scratch->v_row[d];
        }
    }
}
