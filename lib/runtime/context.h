/* What the layers above the runtime (the generator, tools, tests) may ask
 * of a context besides the public llamac_context_* API. The structure
 * itself is private to lib/runtime/ (context_private.h). */
#ifndef LLAMAC_CONTEXT_H
#define LLAMAC_CONTEXT_H

#include "common/internal.h"
#include "kernels/backend.h"

/* The environment (allocator, logging) of the context's model, which
 * everything the context owns is allocated from. */
const lc_env *lc_context_env(const llamac_context *ctx);

/* llamac_context_new with the kernels of `table` (resolved against its
 * parents here) instead of the back end params->kernels names, which is
 * ignored. The caller has checked that this CPU runs the table
 * (lc_kernel_table_runs_here). llamac_context_new is this with the table
 * dispatch.c picks; a test uses it to run a back end that is not built in. */
llamac_status lc_context_new_with_kernels(const llamac_model *model, const llamac_context_params *params,
                                          const lc_kernel_table *table, llamac_context **out);

/* The name of the back end the context computes with ("scalar", "avx2"),
 * or "custom" for a table given to lc_context_new_with_kernels. */
const char *lc_context_kernels_name(const llamac_context *ctx);

/* What llamac_context_new(model, params) would allocate, without
 * allocating: the KV cache's blocks and the scratch arena (logits
 * included) plus the context itself; *n_threads: the resolved count.
 * The errors of llamac_context_new's checks. */
llamac_status lc_context_plan(const llamac_model *model, const llamac_context_params *params, size_t *kv_bytes,
                              size_t *scratch_bytes, int32_t *n_threads);

/* ---- a decode in units (step.c) ----
 * llamac_decode is lc_decode_begin, then lc_decode_unit until done. A
 * caller may stop between units and go on later (other work, another
 * context, a changed thread count in between): the bits are those of an
 * uninterrupted decode. While a pass is in progress the context refuses
 * llamac_decode and the KV operations that change cells. */

/* What a unit does: a layer of the batch, or a chunk of output rows. */
typedef enum lc_unit_kind { LC_UNIT_LAYER = 0, LC_UNIT_OUTPUT = 1, LC_UNIT_KINDS = 2 } lc_unit_kind;

/* Validates `batch` and takes its cells, as llamac_decode does (same
 * errors); the batch must stay unchanged until the pass ends. `owner`
 * tags the pass for lc_decode_owner (NULL for llamac_decode). */
llamac_status lc_decode_begin(llamac_context *ctx, const llamac_batch *batch, void *owner);
/* Runs the next unit of the pass and measures it; *done: the pass ended
 * and its logits are published. On an error (the abort callback) the
 * pass is abandoned as by lc_decode_abandon. */
llamac_status lc_decode_unit(llamac_context *ctx, bool *done);
/* Ends a pass early: releases its cells; the logits are then empty if
 * the output projection had started, else those of the previous decode. */
void lc_decode_abandon(llamac_context *ctx);
/* Whether a pass is in progress, and the batch it decodes. */
bool lc_decode_busy(const llamac_context *ctx);
const llamac_batch *lc_decode_batch(const llamac_context *ctx);
void *lc_decode_owner(const llamac_context *ctx);
/* Predicted microseconds of the next unit (0 when no pass is in progress
 * or nothing similar was measured yet). */
double lc_decode_predict_next_us(const llamac_context *ctx);
/* Predicted microseconds of one layer over n tokens (0: unknown). */
double lc_decode_predict_layer_us(const llamac_context *ctx, int32_t n);

#endif
