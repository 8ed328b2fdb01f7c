/* Read-only questions about a vocabulary: sizes, special ids, token types
 * and texts. Every answer is precomputed at load, so these never fail and
 * may run on any thread. */
#include "vocab_private.h"

#include <string.h>

static bool in_range(const llamac_vocab *v, llamac_token t) { return v && t >= 0 && t < v->n_tokens; }

llamac_vocab_type llamac_vocab_get_type(const llamac_vocab *v) { return v ? (llamac_vocab_type)v->kind : 0; }
int32_t llamac_vocab_n_tokens(const llamac_vocab *v) { return v ? v->n_tokens : 0; }
llamac_token llamac_vocab_bos(const llamac_vocab *v) { return v ? v->bos : LLAMAC_TOKEN_NULL; }
llamac_token llamac_vocab_eos(const llamac_vocab *v) { return v ? v->eos : LLAMAC_TOKEN_NULL; }
llamac_token llamac_vocab_eot(const llamac_vocab *v) { return v ? v->eot : LLAMAC_TOKEN_NULL; }
llamac_token llamac_vocab_eom(const llamac_vocab *v) { return v ? v->eom : LLAMAC_TOKEN_NULL; }
llamac_token llamac_vocab_unk(const llamac_vocab *v) { return v ? v->unk : LLAMAC_TOKEN_NULL; }
llamac_token llamac_vocab_pad(const llamac_vocab *v) { return v ? v->pad : LLAMAC_TOKEN_NULL; }
bool llamac_vocab_add_bos(const llamac_vocab *v) { return v && v->add_bos; }
bool llamac_vocab_add_eos(const llamac_vocab *v) { return v && v->add_eos; }

bool llamac_vocab_is_eog(const llamac_vocab *v, llamac_token t) {
    if (!in_range(v, t)) return false;
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == t) return true;
    return false;
}

bool llamac_vocab_is_control(const llamac_vocab *v, llamac_token t) {
    return in_range(v, t) && v->tokens[t].type == LC_TT_CONTROL;
}

llamac_token_type llamac_vocab_token_type(const llamac_vocab *v, llamac_token t) {
    return in_range(v, t) ? (llamac_token_type)v->tokens[t].type : LLAMAC_TOKEN_TYPE_UNDEFINED;
}

float llamac_vocab_token_score(const llamac_vocab *v, llamac_token t) {
    return in_range(v, t) ? v->tokens[t].score : 0.0f;
}

const char *llamac_vocab_token_text(const llamac_vocab *v, llamac_token t, size_t *len) {
    if (!in_range(v, t)) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->tokens[t].text_len;
    return lc_token_text(v, t);
}

llamac_token llamac_vocab_find(const llamac_vocab *v, const char *text, size_t len) {
    if (!v || (!text && len)) return LLAMAC_TOKEN_NULL;
    return lc_strmap_get(&v->text_map, text ? text : "", len);
}
