/* The state files of `llamac run` (docs/tools.md, "State files"):
 * --load-state restores a saved sequence, --prompt-cache reuses the longest
 * common prefix of a saved prompt, --save-state writes what the run ends
 * with. The run keeps sequence 0 of its context; these helpers restore into
 * it and save it. Uses only the public API (include/llamac.h, section 9). */
#ifndef LLAMAC_TOOLS_RUN_STATE_H
#define LLAMAC_TOOLS_RUN_STATE_H

#include "llamac.h"

#include <stdbool.h>
#include <stdint.h>

/* A growable list of token ids: the tokens the sequence holds, in order. */
typedef struct run_tokens {
    llamac_token *ids;
    int32_t n, cap;
} run_tokens;

/* Appends n ids; false when memory runs out (the list is unchanged). */
bool run_tokens_append(run_tokens *t, const llamac_token *ids, int32_t n);
void run_tokens_free(run_tokens *t);

/* --load-state: restores the sequence state at `path` into sequence 0 of
 * the empty `ctx` and appends its token ids to *tokens. If the file holds a
 * sampler state, it is restored into `chain` too, so sampled generation
 * goes on as if the run had never stopped; when the chain is built
 * differently (other sampling options) the state is restored without it
 * and *sampler_note says so (else it is set to false). On failure returns
 * the status, with llamac_last_error() naming the field, and ctx is as
 * before. A whole-context state is refused (LLAMAC_ERR_MISMATCH): `run`
 * saves sequences. */
llamac_status run_state_restore(llamac_context *ctx, llamac_sampler *chain, const char *path,
                                run_tokens *tokens, bool *sampler_note);

/* What --prompt-cache found. */
typedef struct prompt_cache_use {
    int32_t n_reused; /* first tokens of the prompt now in sequence 0 */
    bool write;       /* whether the file may be (re)written after the prompt */
    bool unchanged;   /* the file already holds exactly this prompt */
} prompt_cache_use;

/* --prompt-cache: if `path` holds a state of this model whose token ids
 * share a prefix with prompt[0..n_prompt), restores it into sequence 0 of
 * the empty `ctx` and removes what follows the common prefix. Never fails:
 * a missing file is a cache not yet written; a file it cannot use is named
 * on stderr with the reason and the run goes on without it. A file whose
 * header is not a state header (another kind of file, a newer format) is
 * left alone (write = false); a state of another model or a damaged one is
 * replaced (a cache holds nothing worth keeping). */
void prompt_cache_restore(llamac_context *ctx, const char *path, const llamac_token *prompt,
                          int32_t n_prompt, prompt_cache_use *use);

/* Saves sequence 0 with its token ids (and the sampler's state when
 * `chain` is not NULL) to `path`, atomically. *file_bytes gets the file's
 * size. */
llamac_status run_state_save(const llamac_context *ctx, const llamac_sampler *chain, const char *path,
                             const run_tokens *tokens, uint64_t *file_bytes);

#endif
