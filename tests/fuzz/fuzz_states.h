/* The model and contexts the state fuzz target and its seeds share: the
 * small synthetic model of tests/model_builder.c (vocab 64, 2 layers),
 * written to a temporary directory and loaded. */
#ifndef LLAMAC_FUZZ_STATES_H
#define LLAMAC_FUZZ_STATES_H

#include "llamac.h"

/* NULL (with a line on stderr) on failure. */
llamac_model *fs_model_load(void);
/* n_ctx 32, n_batch 8, n_seq_max 2, one thread. */
llamac_context *fs_context(const llamac_model *model);
/* penalties, top-k, temperature, dist: the chain saved in the seeds. */
llamac_sampler *fs_sampler(void);

#endif
