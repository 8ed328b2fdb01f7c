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

#endif
