/* What one save writes, decided before any byte is: the header and the
 * cells, logits and sampler it covers (state_save.c). */
#ifndef LLAMAC_STATE_PLAN_H
#define LLAMAC_STATE_PLAN_H

#include "state_format.h"

typedef struct lc_save_plan {
    const llamac_context *ctx;
    const lc_env *env;
    int32_t seq;              /* LLAMAC_STATE_ALL_SEQS or the saved sequence */
    lc_state_header h;
    lc_state_layout layout;
    int32_t *cells;           /* [h.n_cells] context cells, ascending */
    int32_t last_cell;        /* image cell behind the last logits row, or -1 */
    const llamac_token *tokens;
    uint8_t *sampler;         /* [h.sampler_bytes] blob */
} lc_save_plan;


#endif
