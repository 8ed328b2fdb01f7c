/* llamac_tokenize: cuts special-token text out of the input (when asked),
 * adds BOS/EOS, and hands each plain-text fragment to the vocabulary's
 * tokenizer (tokenize_spm.c or tokenize_bpe.c). */
#include "vocab_private.h"

#include <inttypes.h>

/* Largest input accepted: keeps every internal index (SPM escapes a space
 * into 3 bytes) inside int32. */
#define LC_MAX_TEXT ((size_t)1 << 29)

static bool special_allowed(const llamac_vocab *v, llamac_token t, bool parse_special) {
    /* User-defined tokens are always cut out whole (as SentencePiece and
     * HF tokenizers do); control and unknown only when asked. */
    return parse_special || v->tokens[t].type == LC_TT_USER_DEFINED;
}

/* Longest special token spelled at text[pos..]; returns its length (0: none). */
static size_t match_special(const llamac_vocab *v, const unsigned char *t, size_t n, size_t pos,
                            bool parse_special, llamac_token *tok) {
    size_t best = 0;
    int32_t node = v->trie_root[t[pos]];
    for (size_t k = pos; node >= 0;) {
        const lc_trie_node *nd = &v->trie[node];
        if (nd->token >= 0 && special_allowed(v, nd->token, parse_special)) {
            best = k + 1 - pos;
            *tok = nd->token;
        }
        if (++k >= n) break;
        for (node = nd->child; node >= 0 && v->trie[node].byte != t[k]; node = v->trie[node].sibling) {}
    }
    return best;
}

static llamac_status fragment(const llamac_vocab *v, const char *text, size_t len, bool *after_special,
                              lc_tok_out *out) {
    if (len == 0) return LLAMAC_OK;
    llamac_status st;
    if (v->kind == LLAMAC_VOCAB_SPM)
        st = lc_tokenize_spm(v, text, len, v->add_space_prefix && *after_special, out);
    else
        st = lc_tokenize_bpe(v, text, len, out);
    *after_special = false;
    return st;
}

#define KNOWN_FLAGS (LLAMAC_TOKENIZE_ADD_SPECIAL | LLAMAC_TOKENIZE_PARSE_SPECIAL | LLAMAC_TOKENIZE_BOS_ONCE)

/* Both public entry points; `fn` names the one called in messages. */
static llamac_status tokenize(const char *fn, const llamac_vocab *v, const char *text, size_t text_len,
                              llamac_token *tokens, int32_t n_tokens_max, uint32_t flags, int32_t *n_out) {
    if (n_out) *n_out = 0;
    if (!v) return lc_null_arg(fn, "vocab");
    if (!n_out) return lc_null_arg(fn, "n_out");
    if (flags & ~KNOWN_FLAGS)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: unknown flag bits 0x%x", fn, (unsigned)(flags & ~KNOWN_FLAGS));
    const bool add_special = flags & LLAMAC_TOKENIZE_ADD_SPECIAL;
    const bool parse_special = flags & LLAMAC_TOKENIZE_PARSE_SPECIAL;
    if (!text && text_len) return lc_null_arg(fn, "text");
    if (n_tokens_max < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: n_tokens_max is %d, expected >= 0", fn,
                       n_tokens_max);
    if (!tokens && n_tokens_max > 0) return lc_null_arg(fn, "tokens");
    if (text_len > LC_MAX_TEXT)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: text of %zu bytes exceeds the %zu byte limit", fn,
                       text_len, LC_MAX_TEXT);
    if (!text) text = ""; /* NULL with length 0 */
    const unsigned char *t = (const unsigned char *)text;
    lc_tok_out out = {tokens, n_tokens_max, 0};
    llamac_status st = LLAMAC_OK;
    bool after_special = true; /* SPM puts a space before the text and after each special token */
    if (add_special && v->add_bos) {
        /* BOS once: the text's first token would be BOS itself */
        llamac_token first = LLAMAC_TOKEN_NULL;
        const bool starts_with_bos = (flags & LLAMAC_TOKENIZE_BOS_ONCE) && text_len > 0 &&
                                     v->trie_root[t[0]] >= 0 &&
                                     match_special(v, t, text_len, 0, parse_special, &first) > 0 &&
                                     first == v->bos;
        if (!starts_with_bos) lc_tok_push(&out, v->bos);
    }

    size_t start = 0;
    for (size_t pos = 0; pos < text_len && st == LLAMAC_OK;) {
        llamac_token tok = LLAMAC_TOKEN_NULL;
        size_t m = v->trie_root[t[pos]] >= 0 ? match_special(v, t, text_len, pos, parse_special, &tok) : 0;
        if (m == 0) {
            pos++;
            continue;
        }
        st = fragment(v, text + start, pos - start, &after_special, &out);
        lc_tok_push(&out, tok);
        after_special = true;
        pos += m;
        start = pos;
    }
    if (st == LLAMAC_OK) st = fragment(v, text + start, text_len - start, &after_special, &out);
    if (st != LLAMAC_OK) return st;
    if (add_special && v->add_eos) lc_tok_push(&out, v->eos);

    if (out.n > INT32_MAX) return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: more than INT32_MAX tokens", fn);
    *n_out = (int32_t)out.n;
    if (out.n > out.cap)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL, "%s: %" PRId64 " tokens do not fit the %d given", fn,
                       out.n, n_tokens_max);
    return LLAMAC_OK;
}

llamac_status llamac_tokenize(const llamac_vocab *v, const char *text, size_t text_len,
                              llamac_token *tokens, int32_t n_tokens_max, bool add_special,
                              bool parse_special, int32_t *n_out) {
    const uint32_t flags =
        (add_special ? LLAMAC_TOKENIZE_ADD_SPECIAL : 0u) | (parse_special ? LLAMAC_TOKENIZE_PARSE_SPECIAL : 0u);
    return tokenize(__func__, v, text, text_len, tokens, n_tokens_max, flags, n_out);
}

llamac_status llamac_tokenize_flags(const llamac_vocab *v, const char *text, size_t text_len,
                                    llamac_token *tokens, int32_t n_tokens_max, uint32_t flags,
                                    int32_t *n_out) {
    return tokenize(__func__, v, text, text_len, tokens, n_tokens_max, flags, n_out);
}
