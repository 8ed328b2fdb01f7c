/* The inside of a context, private to lib/runtime/ (layers above use
 * context.h). A context: the KV cache (its own blocks, n_ctx cells), a
 * thread pool, and one arena holding the forward pass's scratch and the
 * logits, sized for n_batch tokens; all allocated at creation. */
#ifndef LLAMAC_CONTEXT_PRIVATE_H
#define LLAMAC_CONTEXT_PRIVATE_H

#include "context.h"
#include "kv_cache.h"
#include "model/model.h"
#include "ops.h"
#include "common/threadpool.h"

/* Activations of the tokens of one batch, row-major [token][feature]. */
typedef struct lc_activations {
    float *x;    /* residual stream [n_batch][n_embd] */
    float *xb;   /* normed input / projection output [n_batch][n_embd] */
    float *q;    /* [n_batch][n_q]  (n_q = n_head * head_dim) */
    float *k;    /* [n_batch][n_kv] (n_kv = n_head_kv * head_dim) */
    float *v;    /* [n_batch][n_kv] */
    float *att;  /* attention output [n_batch][n_q] */
    float *hb;   /* feed-forward gate [n_batch][n_ff] */
    float *hb2;  /* feed-forward up [n_batch][n_ff] */
    float *rope; /* cos/sin table per token [n_batch][n_rot] */
    void *conv;  /* activations converted for lc_matmul */
} lc_activations;

/* What one worker thread needs for attention and key re-rotation. */
typedef struct lc_thread_scratch {
    lc_attn_scratch attn;
    int32_t *cells; /* [n_ctx]: the cells one token attends to */
    float *row;     /* [n_kv]: one cached key or value row as floats */
} lc_thread_scratch;

/* Buckets of the unit-cost predictor: units over n tokens fall in bucket
 * floor(log2 n), capped. */
#define LC_COST_BUCKETS 12

/* A forward pass being run one unit at a time (step.c): the units are
 * the layers (the first also embeds), then the output projection in row
 * chunks of out_chunk_rows (the first also normalizes). */
typedef struct lc_pass {
    const llamac_batch *batch; /* the caller's, kept for the pass; NULL: no pass */
    void *owner;               /* lc_decode_begin's tag */
    int32_t n_out;             /* tokens that want logits */
    int32_t il;                /* next layer; n_layer: output chunks */
    int64_t row;               /* next output row */
} lc_pass;

/* What units cost here: per unit kind and token bucket, exponential
 * moving averages of microseconds per token (0: never measured) and of
 * how far a measurement fell from that average. */
typedef struct lc_unit_costs {
    double us_per_token[LC_UNIT_KINDS][LC_COST_BUCKETS];
    double us_spread[LC_UNIT_KINDS][LC_COST_BUCKETS];
} lc_unit_costs;

struct llamac_context {
    const llamac_model *model;
    const lc_env *env; /* the model's */
    llamac_context_params params; /* resolved: no zeros left */
    lc_threadpool *pool;
    lc_kv_cache kv;
    lc_rope rope;
    float kq_scale;
    const char *kernels_name;  /* its back end's, "custom" for lc_context_new_with_kernels' */
    lc_kernel_table kernels;   /* resolved once at creation: every entry filled from its parents */

    void *arena;       /* one block holding every buffer below */
    lc_activations act;
    lc_thread_scratch *threads; /* [n_threads] */
    int32_t *batch_cells; /* [n_batch]: the cell each token of the batch took */
    int32_t *seq_pos;     /* [n_seq_max]: scratch for validation */
    int32_t *shifted;     /* [n_ctx]: cells moved by seq_add */

    float *logits;        /* [n_batch][n_vocab] */
    int32_t *out_row;     /* [n_batch]: logits row of batch token i, or -1 */
    int32_t n_outputs;
    int32_t n_batch_last; /* tokens in the batch the outputs came from */

    lc_pass pass;
    int64_t out_chunk_rows; /* output projection rows per unit */
    lc_unit_costs costs;
    int32_t n_threads_max;  /* per-thread scratch exists for this many */
};

/* The transformer (forward.c) on a validated batch whose tokens already
 * hold ctx->batch_cells, in the pieces step.c runs: the embedding and
 * rope tables; one layer (fills the KV cache of layer il); the output
 * norm of the tokens that want logits (returns how many, their rows
 * packed in batch order); the output projection of rows [r0, r1) for
 * those rows into ctx->logits. */
void lc_forward_embed(llamac_context *ctx, const llamac_batch *batch);
void lc_forward_layer(llamac_context *ctx, const llamac_batch *batch, int32_t il);
int32_t lc_forward_output_norm(llamac_context *ctx, const llamac_batch *batch);
void lc_forward_output_rows(llamac_context *ctx, int32_t n_out, int64_t r0, int64_t r1);

/* The rows of the output projection one unit computes: about half the
 * weight bytes of a layer, in whole row tiles. */
int64_t lc_output_chunk_rows(const llamac_model *model);

/* Re-rotates the cached keys of cells[0..n) by a position change of delta. */
void lc_kv_rerotate(llamac_context *ctx, const int32_t *cells, int32_t n, int32_t delta);

#endif
