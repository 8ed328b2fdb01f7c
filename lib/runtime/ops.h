/* Float operations of the transformer that are not matrix products: RMS
 * norm, the residual add, rotary position embedding, softmax, and attention
 * of up to LC_ATTN_HEADS query heads that share a KV head over the KV cache.
 * (SwiGLU and exp are kernels: lib/kernels/.)
 *
 * Each mirrors the arithmetic of the reference implementation (ggml) where it
 * changes results measurably: sums of squares and softmax denominators are
 * accumulated in double, rope angles are built by repeated multiplication in
 * float, attention probabilities take the KV cache's precision before they
 * weight the values. Same inputs, same bits: no function depends on
 * anything but its arguments (lc_attend_heads also writes its scratch). */
#ifndef LLAMAC_OPS_H
#define LLAMAC_OPS_H

#include "common/internal.h"
#include "kernels/kernels.h"

/* out = x / sqrt(mean(x^2) + eps) * weight, n elements. out may equal x. */
void lc_rmsnorm(float *out, const float *x, const float *weight, int64_t n, float eps);

/* y += x, n elements. */
void lc_add(float *y, const float *x, int64_t n);

/* In-place softmax of n scores (n >= 1), exp by exp_row (lc_expf's bits
 * in every back end, so the same on every platform), summed in double in
 * order. */
void lc_softmax(float *x, int64_t n, lc_exp_fn exp_row);

/* "Normal" rotary embedding as the llama architecture in GGUF uses it: the
 * pair (x[2i], x[2i+1]) of each head is rotated by the angle
 *     pos * freq_scale * base^(-2i/n_rot) / freq_factors[i]
 * for i < n_rot/2; dimensions from n_rot on are left alone. (Converters
 * permute the q/k weights of Hugging Face checkpoints so that their
 * "rotate half" layout becomes adjacent pairs.) */
typedef struct lc_rope {
    int n_rot;                 /* rotated dimensions per head, even */
    float theta_scale;         /* base^(-2/n_rot) */
    float freq_scale;          /* 1 / linear scaling factor */
    const float *freq_factors; /* n_rot/2 divisors (Llama 3.1 rope_freqs), or NULL */
} lc_rope;

void lc_rope_init(lc_rope *rope, int n_rot, float base, float freq_scale, const float *freq_factors);
/* cos/sin of every pair's angle at `pos`: cs[2i] = cos, cs[2i+1] = sin.
 * cs holds n_rot floats. Rotations compose, so applying the table of pos a
 * and then that of delta equals (up to rounding) the table of a + delta. */
void lc_rope_table(const lc_rope *rope, float pos, float *cs);
/* Rotates the first n_rot dims of each of n_heads consecutive heads. */
void lc_rope_apply(float *x, int n_heads, int head_dim, int n_rot, const float *cs);

/* One head's slice of one layer of the KV cache. Cell c's key for this head
 * starts at k + c*stride, its value at v + c*stride. */
typedef struct lc_kv_head {
    const uint8_t *k;
    const uint8_t *v;
    size_t stride;
    llamac_type type;             /* F16 or F32 */
    const lc_type_traits *traits; /* of `type` */
    const lc_type_traits *q_traits; /* of traits->vec_dot_type (converts q) */
    lc_axpy_fn axpy;              /* of `type`, or NULL: to_float, then add */
    lc_gemm_fn gemm;              /* of `type`, or NULL: vec_dot per score */
    lc_attn_values_fn values;     /* of `type`, or NULL: axpy per head and cell */
    lc_exp_fn exp;                /* the back end's exp (softmax) */
} lc_kv_head;

/* Query heads one lc_attend_heads call takes: the width of the float gemm's
 * token tile, so the scores of one key row against them are one tile. */
#define LC_ATTN_HEADS 4

/* Per-thread scratch of lc_attend_heads, sized for n_ctx cells. */
typedef struct lc_attn_scratch {
    float *scores;        /* LC_ATTN_HEADS rows of score_stride */
    int64_t score_stride; /* n_ctx */
    void *q_conv;         /* the queries in the cache's vec_dot_type, q_conv_bytes apart */
    size_t q_conv_bytes;
    float *v_row;         /* head_dim */
} lc_attn_scratch;

/* For the m <= LC_ATTN_HEADS query heads at q (head_dim apart), which share
 * one KV head: out[h * head_dim ..] = sum_j softmax_j(scale * k_j . q_h) v_j
 * over the n cells listed (in that order; n >= 1). Each head's result is
 * what it would be alone (the gemm gives vec_dot's bits, and every head
 * adds its cells in list order), so equal lists give equal bits, whatever
 * heads share a call. */
void lc_attend_heads(float *out, const float *q, int m, int head_dim, float scale, const lc_kv_head *kv,
                     const int32_t *cells, int64_t n, lc_attn_scratch *scratch);

#endif
