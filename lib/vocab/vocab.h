/* Internal side of the tokenizer: how other parts of the library (the model
 * loader) obtain a vocabulary from an already-open GGUF file. The public
 * calls on a llamac_vocab are declared in llamac.h, section 4. */
#ifndef LLAMAC_VOCAB_H
#define LLAMAC_VOCAB_H

#include "common/internal.h"

/* Builds a vocabulary from the tokenizer.ggml.* keys of `gguf`. Everything
 * needed is copied, so the vocab outlives the gguf handle. Memory comes from
 * `env` (copied into the vocab). On failure *out is NULL and the status and
 * thread error message name the offending key (missing array, wrong length,
 * out-of-range special id, unsupported tokenizer.ggml.model/pre). */
llamac_status lc_vocab_from_gguf(const llamac_gguf *gguf, const lc_env *env, llamac_vocab **out);

/* Frees a vocab made by lc_vocab_from_gguf (the model owns the vocab it
 * loaded and calls this from its own free). NULL is a no-op. */
void lc_vocab_destroy(llamac_vocab *vocab);

#endif
