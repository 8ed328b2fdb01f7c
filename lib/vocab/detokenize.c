/* Tokens back to text: single pieces, whole sequences, and a streaming
 * detokenizer that never hands out half a UTF-8 character.
 *
 * The one rule beyond concatenating pieces: an SPM vocabulary with
 * add_space_prefix makes the tokenizer put a space (▁) before the text and
 * after every special token, so detokenizing drops one leading space from
 * the first text token at those places. That makes detokenize the exact
 * inverse of tokenize. */
#include "common/unicode.h"
#include "vocab_private.h"
#include "common/params.h"

#include <string.h>

static bool is_special_type(uint8_t type) {
    return type == LC_TT_CONTROL || type == LC_TT_UNKNOWN || type == LC_TT_USER_DEFINED;
}

/* The bytes token t prints as (t in range). */
static const char *piece_of(const llamac_vocab *v, llamac_token t, bool special, size_t *len) {
    const lc_token_rec *r = &v->tokens[t];
    if (!special && (r->type == LC_TT_CONTROL || r->type == LC_TT_UNKNOWN)) {
        *len = 0;
        return "";
    }
    *len = r->piece_len;
    return lc_token_piece(v, t);
}

static const char *lstrip_spaces(const char *s, size_t *len, int32_t lstrip) {
    for (int32_t i = 0; i < lstrip && *len && *s == ' '; i++) {
        s++;
        (*len)--;
    }
    return s;
}

llamac_status llamac_token_to_piece(const llamac_vocab *v, llamac_token token, char *buf, size_t buf_size,
                                    int32_t lstrip, bool special, size_t *n_out) {
    if (n_out) *n_out = 0;
    if (!v) return lc_null_arg(__func__, "vocab");
    LC_REQUIRE(n_out);
    if (!buf && buf_size) return lc_null_arg(__func__, "buf");
    if (token < 0 || token >= v->n_tokens)
        return lc_fail(LLAMAC_ERR_NOT_FOUND, "token id %d is outside the vocabulary (0..%d)", token,
                       v->n_tokens - 1);
    size_t len;
    const char *p = lstrip_spaces(piece_of(v, token, special, &len), &len, lstrip);
    *n_out = len;
    if (len > buf_size)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                       "llamac_token_to_piece: the piece of token %d is %zu bytes, the buffer holds %zu", token, len,
                       buf_size);
    if (len) memcpy(buf, p, len);
    return LLAMAC_OK;
}

/* The leading-space state machine shared by both detokenizers. With
 * `strip`, the space the tokenizer put at the start of the text and after
 * each special token is dropped; without it, pieces print as they are. */
static const char *next_piece(const llamac_vocab *v, llamac_token t, bool special, bool strip, bool *strip_next,
                              size_t *len) {
    const char *p = piece_of(v, t, special, len);
    if (is_special_type(v->tokens[t].type)) {
        *strip_next = strip;
        return p;
    }
    if (*strip_next) p = lstrip_spaces(p, len, 1);
    *strip_next = false;
    return p;
}

llamac_status llamac_detokenize(const llamac_vocab *v, const llamac_token *tokens, int32_t n_tokens, char *buf,
                                size_t buf_size, bool remove_special, bool unparse_special, size_t *n_out) {
    if (n_out) *n_out = 0;
    if (!v) return lc_null_arg(__func__, "vocab");
    LC_REQUIRE(n_out);
    if (n_tokens < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_detokenize: n_tokens is %d, expected >= 0", n_tokens);
    if (!tokens && n_tokens) return lc_null_arg(__func__, "tokens");
    if (!buf && buf_size) return lc_null_arg(__func__, "buf");
    for (int32_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= v->n_tokens)
            return lc_fail(LLAMAC_ERR_NOT_FOUND, "tokens[%d] = %d is outside the vocabulary (0..%d)", i,
                           tokens[i], v->n_tokens - 1);
    if (remove_special && v->add_bos && n_tokens > 0 && tokens[0] == v->bos) {
        tokens++;
        n_tokens--;
    }
    if (remove_special && v->add_eos && n_tokens > 0 && tokens[n_tokens - 1] == v->eos) n_tokens--;

    bool strip_next = v->add_space_prefix;
    size_t total = 0;
    for (int32_t i = 0; i < n_tokens; i++) {
        size_t len;
        const char *p = next_piece(v, tokens[i], unparse_special, v->add_space_prefix, &strip_next, &len);
        if (total < buf_size) memcpy(buf + total, p, LC_MIN(len, buf_size - total));
        total += len; /* cannot overflow: pieces are < 4 GiB and n_tokens < 2^31 */
    }
    *n_out = total;
    if (total > buf_size)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                       "llamac_detokenize: the text is %zu bytes, the buffer holds %zu", total,
                       buf_size);
    return LLAMAC_OK;
}

/* ---- streaming ---- */

struct llamac_detok {
    const llamac_vocab *v;
    bool unparse_special;
    bool strip_first; /* params.strip_leading_space and the vocab adds a space prefix */
    bool strip_next;
    char *out; /* bytes handed to the caller by the last call */
    size_t cap;
    unsigned char held[4]; /* start of a character still incomplete */
    size_t n_held;
};

/* Number of bytes at the end of s[0..n) that begin a well-formed UTF-8
 * character but stop before its end (0..3). Bytes that can never complete a
 * character are not counted: they are passed through, not held forever. */
static size_t incomplete_tail(const unsigned char *s, size_t n) {
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char b = s[n - back];
        if ((b & 0xC0) == 0x80) continue; /* continuation: look further back */
        size_t need = lc_utf8_lead_len(b);
        if (b < 0xC2 || b > 0xF4 || need <= back) return 0;
        /* The second byte of E0, ED, F0, F4 sequences has a narrower range. */
        if (back >= 2) {
            unsigned char c = s[n - back + 1];
            if ((b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) || (b == 0xF0 && c < 0x90) ||
                (b == 0xF4 && c > 0x8F))
                return 0;
        }
        return back;
    }
    return 0;
}

void llamac_detok_params_init(llamac_detok_params *params, size_t size) {
    static const llamac_detok_params defaults = {
        .strip_leading_space = true,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

llamac_status llamac_detok_new(const llamac_vocab *v, const llamac_detok_params *params, llamac_detok **out) {
    if (out) *out = NULL;
    if (!v) return lc_null_arg(__func__, "vocab");
    LC_REQUIRE(out);
    llamac_detok_params p;
    llamac_detok_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, params, "llamac_detok_new", "llamac_detok");
    if (params_st) return params_st;
    llamac_detok *d = lc_calloc(&v->env, 1, sizeof *d);
    if (!d) return LLAMAC_ERR_NO_MEMORY;
    d->v = v;
    d->unparse_special = p.unparse_special;
    d->strip_first = p.strip_leading_space && v->add_space_prefix;
    d->strip_next = d->strip_first;
    *out = d;
    return LLAMAC_OK;
}

static llamac_status reserve(llamac_detok *d, size_t n) {
    return lc_grow(&d->v->env, &d->out, &d->cap, n, 1);
}

llamac_status llamac_detok_push(llamac_detok *d, llamac_token token, const char **text, size_t *len) {
    if (text) *text = "";
    if (len) *len = 0;
    if (!d) return lc_null_arg(__func__, "detok");
    LC_REQUIRE(text);
    LC_REQUIRE(len);
    const llamac_vocab *v = d->v;
    if (token < 0 || token >= v->n_tokens)
        return lc_fail(LLAMAC_ERR_NOT_FOUND, "token id %d is outside the vocabulary (0..%d)", token,
                       v->n_tokens - 1);
    bool strip = d->strip_next;
    size_t plen;
    const char *p = next_piece(v, token, d->unparse_special, d->strip_first, &strip, &plen);
    llamac_status st = reserve(d, d->n_held + plen + 4);
    if (st) return st; /* state untouched: strip_next not yet updated */
    d->strip_next = strip;
    memcpy(d->out, d->held, d->n_held);
    if (plen) memcpy(d->out + d->n_held, p, plen);
    size_t n = d->n_held + plen;
    size_t keep = incomplete_tail((const unsigned char *)d->out, n);
    memcpy(d->held, d->out + n - keep, keep);
    d->n_held = keep;
    *text = d->out;
    *len = n - keep;
    return LLAMAC_OK;
}

llamac_status llamac_detok_flush(llamac_detok *d, const char **text, size_t *len) {
    if (text) *text = "";
    if (len) *len = 0;
    if (!d) return lc_null_arg(__func__, "detok");
    LC_REQUIRE(text);
    LC_REQUIRE(len);
    llamac_status st = reserve(d, 4);
    if (st) return st;
    memcpy(d->out, d->held, d->n_held);
    *text = d->out;
    *len = d->n_held;
    d->n_held = 0;
    d->strip_next = d->strip_first;
    return LLAMAC_OK;
}

void llamac_detok_free(llamac_detok *d) {
    if (!d) return;
    lc_env env = d->v->env;
    lc_free(&env, d->out);
    lc_free(&env, d);
}
