/* What the layers above the runtime (the generator, tools, tests) may ask
 * of a context besides the public llamac_context_* API. The structure
 * itself is private to lib/runtime/ (context_private.h). */
#ifndef LLAMAC_CONTEXT_H
#define LLAMAC_CONTEXT_H

#include "common/internal.h"
#include "kernels/kernels.h"

/* The environment (allocator, logging) of the context's model, which
 * everything the context owns is allocated from. */
const lc_env *lc_context_env(const llamac_context *ctx);

/* Switches the context to the kernels of `backend` (resolved against the
 * CPU). For tests and tools that compare back ends; the public API always
 * runs the best one. */
void lc_context_set_backend(llamac_context *ctx, lc_backend backend);

#endif
