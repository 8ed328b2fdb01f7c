/* Internals of model quantization and synthesis (API section 8).
 *
 *   quantize_policy.c  file types, and which encoding each tensor gets
 *   quantize_rows.c    row encoders/decoders by type, llamac_quantize_rows
 *   quantize_iq4.c     IQ4_NL / IQ4_XS encoders with llama-quantize's search
 *   quantize_stream.c  writing a GGUF whose tensors are produced one by one
 *   quantize_model.c   llamac_model_quantize
 *   quantize_synth.c   llamac_model_synth
 */
#ifndef LLAMAC_QUANTIZE_H
#define LLAMAC_QUANTIZE_H

#include "common/internal.h"

#include "kernels/kernels.h"

/* ---- file types and the per-tensor choice (quantize_policy.c) ---- */

/* The encoding most tensors of `ftype` get (Q4_K for Q4_K_M), or
 * LLAMAC_TYPE_COUNT if llamac does not write that file type. */
llamac_type lc_ftype_base_type(llamac_ftype ftype);

/* What llama.cpp's choice depends on besides the tensor itself. */
typedef struct lc_quant_model {
    int32_t n_layer;   /* llama.block_count */
    int32_t n_head;    /* for the grouped-query ratio n_head / n_head_kv */
    int32_t n_head_kv;
    int32_t n_attn_v;  /* tensors whose name contains "attn_v.weight" */
    bool has_output;   /* output.weight exists (else the output is tied) */
} lc_quant_model;

/* Whether llama-quantize re-encodes a tensor at all: a "*weight" of two or
 * more dimensions that is not a norm (or another small special tensor). */
bool lc_quant_wants(const char *name, uint32_t n_dims);

/* The encoding llama-quantize (no importance matrix) gives tensor `name`
 * with row length ne0 in a model of file type `ftype`, including the
 * fallback for rows the block size does not divide. Returns
 * LLAMAC_ERR_UNSUPPORTED (naming the tensor) when llama.cpp would refuse
 * too, e.g. Q4_0 rows that are not a multiple of 32. Only for tensors
 * lc_quant_wants accepts. */
llamac_status lc_quant_choose(llamac_ftype ftype, bool pure, const lc_quant_model *m,
                              const char *name, int64_t ne0, llamac_type *out);

/* ---- rows (quantize_rows.c) ---- */

/* Encoder of `type` with llama-quantize's rounding and searches, or NULL. */
lc_from_float_fn lc_quant_encoder(llamac_type type);
/* Decoder of `type` to float (F32 included), or NULL. */
lc_to_float_fn lc_quant_decoder(llamac_type type);
/* Bytes of one row of n elements, or 0 if the block size does not divide
 * n or the size overflows. */
size_t lc_quant_row_bytes(llamac_type type, int64_t n);

/* quantize_iq4.c: the search llama-quantize runs for these types
 * (ggml's quantize_iq4_nl / quantize_iq4_xs without importance). */
void lc_iq4_nl_quantize_search(const float *src, void *dst, int64_t n);
void lc_iq4_xs_quantize_search(const float *src, void *dst, int64_t n);

/* ---- streamed GGUF writing (quantize_stream.c) ---- */

/* One output tensor; its bytes are produced by the fill callback. */
typedef struct lc_stream_tensor {
    const char *name;
    llamac_type type;
    uint32_t n_dims;
    int64_t ne[4];
    uint64_t n_bytes;
} lc_stream_tensor;

/* Produces tensor i's n_bytes into dst (n_bytes == t[i].n_bytes). */
typedef llamac_status (*lc_stream_fill_fn)(void *user, int64_t i, void *dst, uint64_t n_bytes);

/* Writes `path` from the key/values already in w plus tensors t[0..n_t),
 * asking fill for each tensor's bytes in order, into one reused buffer of
 * the largest tensor's size (llamac_gguf_writer_add_tensor_fn): memory
 * stays near one tensor whatever the model's size. The file appears
 * atomically (temporary name, renamed on success; nothing left behind on
 * failure). The tensors are added to w, which must have none before. */
llamac_status lc_gguf_write_streamed(const lc_env *env, llamac_gguf_writer *w,
                                     const lc_stream_tensor *t, int64_t n_t,
                                     lc_stream_fill_fn fill, void *user, const char *path);

/* Threads a quantization uses when n_threads is 0: the CPUs online, at
 * most this many (lc_cpu_count). */
#define LC_QUANT_MAX_AUTO_THREADS 1024

#endif
