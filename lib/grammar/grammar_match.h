/* A grammar with its parse state (the stacks after the input so far): what
 * the public matcher and the grammar sampler both hold. */
#ifndef LLAMAC_GRAMMAR_MATCH_H
#define LLAMAC_GRAMMAR_MATCH_H

#include "grammar.h"

typedef struct lc_gmatch {
    lc_env env;
    lc_grammar *g;
    lc_gpool pool;
    lc_gstacks cur, next;
    size_t compacted; /* pool size after the last compaction */
} lc_gmatch;

llamac_status lc_gmatch_init(lc_gmatch *m, const lc_env *env, const char *text, size_t len, const char *root,
                             int32_t *line, int32_t *col);
void lc_gmatch_free(lc_gmatch *m);
llamac_status lc_gmatch_reset(lc_gmatch *m);
/* Feeds b[0..n); *used = bytes taken before the first one no parse
 * continues with (the state stays after them). */
llamac_status lc_gmatch_feed(lc_gmatch *m, const uint8_t *b, size_t n, size_t *used);
llamac_status lc_gmatch_clone(lc_gmatch *dst, const lc_gmatch *src);

#endif
