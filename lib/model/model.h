/* A loaded llama-architecture model: hyperparameters and the weight tensors.
 * Each tensor's `data` points into the open GGUF file (mapped or read);
 * repacking at load (model_repack.c) may give a matrix an `owned` copy and
 * the norms `owned_vectors`, which are then what inference reads. */
#ifndef LLAMAC_MODEL_H
#define LLAMAC_MODEL_H

#include "common/internal.h"
#include "kernels/kernels.h"

/* Bytes of n elements of `type` (n a multiple of its block size). */
static inline size_t lc_row_size(llamac_type type, int64_t n) {
    return (size_t)(n / llamac_type_block_size(type)) * llamac_type_block_bytes(type);
}

/* A weight matrix as GGUF stores it: n_out rows of n_in elements (ne[0] =
 * n_in is the contiguous dimension), each row row_bytes long. */
typedef struct lc_weight {
    const char *name; /* tensor name, owned by the GGUF handle */
    const uint8_t *data;      /* the rows in the file; released when `owned` is set on a mapped file */
    llamac_type type;
    int64_t n_in;
    int64_t n_out;
    size_t row_bytes;
    llamac_type vec_dot_type; /* what activations are converted to for it */
    uint8_t *owned;           /* the rows copied at load (model_repack.c), or NULL: read `data` */
    bool packed;              /* `owned` is lc_pack8's layout, read only by the table's
                                 packed_gemm; a table without one reads `data` (faulting the
                                 pages back in) */
} lc_weight;

typedef struct lc_layer {
    const float *attn_norm; /* [n_embd] */
    lc_weight wq;           /* n_embd -> n_head * head_dim */
    lc_weight wk;           /* n_embd -> n_head_kv * head_dim */
    lc_weight wv;           /* n_embd -> n_head_kv * head_dim */
    lc_weight wo;           /* n_head * head_dim -> n_embd */
    const float *ffn_norm;  /* [n_embd] */
    lc_weight w_gate;       /* n_embd -> n_ff */
    lc_weight w_up;         /* n_embd -> n_ff */
    lc_weight w_down;       /* n_ff -> n_embd */
} lc_layer;

typedef struct lc_hparams {
    int32_t n_vocab;
    int32_t n_ctx_train;
    int32_t n_embd;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t n_ff;
    int32_t head_dim;   /* per head, keys and values alike */
    int32_t n_rot;      /* rotated dims per head (<= head_dim, even) */
    float rms_eps;
    float rope_base;
    float rope_freq_scale; /* 1 / linear scaling factor */
} lc_hparams;

struct llamac_model {
    lc_env env;
    llamac_gguf *gguf;
    lc_hparams hp;
    lc_weight tok_embd;        /* n_embd -> n_vocab rows, read by row */
    lc_weight output;          /* a copy of tok_embd's view when tied */
    bool tied_output;
    const float *output_norm;  /* [n_embd] */
    const float *rope_freqs;   /* [n_rot/2] or NULL */
    lc_layer *layers;          /* [n_layer] */
    llamac_vocab *vocab;       /* NULL without tokenizer.ggml.model */
    char *desc;
    uint64_t n_bytes;
    uint64_t n_params;
    float *owned_vectors;      /* the norms and rope_freqs copied at load, or NULL */
};

/* model_repack.c: when the best back end of this CPU has a packed gemm for some
 * matrix (of a multiple of 8 rows), gives the matrices owned copies:
 * - mapped file: every matrix but token_embd (and a tied output) is
 *   copied, packed where a packed kernel takes it, the norms and
 *   rope_freqs too, and the file's pages under them are released, so
 *   inference touches no file page but token_embd's rows;
 * - file read into memory: only the packable matrices are copied (the
 *   buffer stays whole, so they take twice their size).
 * Never fails and leaves llamac_last_error() alone: a refused allocation
 * leaves the remaining matrices read from the file, which is only slower.
 * lc_model_free_packed frees the copies. */
void lc_model_repack(llamac_model *m);
void lc_model_free_packed(llamac_model *m);

#endif
