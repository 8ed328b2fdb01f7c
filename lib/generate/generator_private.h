/* The generator's inside, shared by the plain loop (generate.c) and the
 * budgeted stepping (step.c). */
#ifndef LLAMAC_GENERATOR_PRIVATE_H
#define LLAMAC_GENERATOR_PRIVATE_H

#include "runtime/context.h"
#include "common/buffer.h"
#include "common/internal.h"

struct llamac_generator {
    llamac_context *ctx;
    llamac_sampler *smpl;
    const lc_env *env; /* the model's */
    const llamac_vocab *vocab;
    int32_t n_vocab;
    llamac_generator_params params;
    char **stops; /* params.n_stop copies */
    size_t *stop_len;
    llamac_detok *detok;
    llamac_batch batch; /* n_batch tokens, one sequence each */

    int64_t pos_next;     /* position of the next token decoded; may pass INT32_MAX */
    int32_t keep;         /* context shift: tokens kept at the sequence's start,
                             fixed by the first prompt or resume (keep_fixed) */
    bool keep_fixed;
    llamac_token pending; /* sampled but not decoded yet, or LLAMAC_TOKEN_NULL */
    bool have_logits;     /* the last decode left logits for the last token */
    llamac_stop_reason stop;
    int32_t n_generated;
    lc_bytes held; /* printable text not released yet: may begin a stop string */
    lc_bytes out;  /* the text of the current step */
    int32_t logit_index;  /* batch index of the row have_logits refers to */

    /* budgeted stepping (step.c) */
    llamac_token *queue;     /* a submitted prompt's tokens still to decode */
    int32_t queue_n, queue_done, queue_cap;
    int64_t queue_pos0;      /* pos_next when it was submitted: undone on failure */
    llamac_token queue_pending; /* pending at submission, restored on failure */
    int32_t queue_keep;      /* keep count it fixes when done */
    bool queue_first;        /* it went into an empty sequence (fix keep as given) */
    bool produced;           /* a token or stop was reported in the current call */
    int32_t pass_first, pass_n; /* this generator's tokens in the pass in progress */
    bool pass_pending;       /* its pending token is the first of them */
    double sample_us;        /* moving average of a sampling */
    /* a pass this generator started (it owns the batch) */
    llamac_batch group;
    bool group_ready;
    llamac_generator **members;
    int32_t n_members, members_cap;
};


/* generate.c's pieces the stepping reuses; see there. */
bool lc_gen_shift_on(const llamac_generator *gen);
bool lc_gen_context_is_full(const llamac_generator *gen);
bool lc_gen_shift_context(llamac_generator *gen);
void lc_gen_fix_keep(llamac_generator *gen, int32_t keep);
int32_t lc_gen_clamp_keep(const llamac_generator *gen, int64_t seq_len, int32_t room);
llamac_status lc_gen_check_ids(const llamac_generator *gen, const char *fn, const llamac_token *tokens,
                               int32_t n_tokens);
llamac_status lc_gen_check_prompt_fits(const llamac_generator *gen, int32_t n_tokens);
/* The truncation plan of a first prompt into an empty sequence with the
 * shift on: sets *n (tokens decoded), *head, *skip and *keep. */
bool lc_gen_plan_prompt(const llamac_generator *gen, int32_t n_tokens, int32_t *n, int32_t *head, int32_t *skip,
                        int32_t *keep);
llamac_status lc_gen_finish(llamac_generator *gen, llamac_stop_reason why);
llamac_status lc_gen_check_length(llamac_generator *gen);
/* Samples from the logits row gen->logit_index, emits the token's text;
 * *tok is the token (LLAMAC_TOKEN_NULL if the response stopped first). */
llamac_status lc_gen_sample(llamac_generator *gen, llamac_token *tok);
void lc_gen_start_response(llamac_generator *gen);
void lc_gen_step_free(llamac_generator *gen);

#endif
