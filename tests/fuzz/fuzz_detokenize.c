/* libFuzzer target for tokens -> text on arbitrary token ids (docs/
 * fuzzing.md): llamac_detokenize, llamac_token_to_piece and the streaming
 * detokenizer, on both vocabularies of fuzz_vocabs.c. Input: one byte of
 * switches (vocabulary, remove/unparse special, strip_leading_space,
 * lstrip 0..3), then two bytes per token id, read modulo n_tokens + 4 and
 * shifted by -2, so ids -2, -1, n_tokens and n_tokens + 1 occur too.
 * Out-of-range ids must give LLAMAC_ERR_NOT_FOUND, sizes must agree
 * between the query and the call, and the stream must add up to
 * llamac_detokenize of the in-range ids. Anything else aborts. */
#include "fuzz_vocabs.h"

#include "llamac.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_IDS = 2048 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_range(const llamac_vocab *v, llamac_token t) {
    return t >= 0 && t < llamac_vocab_n_tokens(v);
}

/* Query, then a buffer one byte short (when there is a byte), then the
 * exact size: all three must agree on the length. */
static size_t check_detokenize(const llamac_vocab *v, const llamac_token *t, int32_t n, bool remove_special,
                               bool unparse_special, bool any_bad) {
    size_t need = 7;
    llamac_status st = llamac_detokenize(v, t, n, NULL, 0, remove_special, unparse_special, &need);
    if (any_bad) {
        if (st != LLAMAC_ERR_NOT_FOUND || need != 0) abort();
        return 0;
    }
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    char *buf = malloc(need + 1);
    size_t got = 0;
    if (!buf) abort();
    if (need > 0 && (llamac_detokenize(v, t, n, buf, need - 1, remove_special, unparse_special, &got) !=
                         LLAMAC_ERR_BUFFER_TOO_SMALL ||
                     got != need))
        abort();
    if (llamac_detokenize(v, t, n, buf, need, remove_special, unparse_special, &got) != LLAMAC_OK || got != need)
        abort();
    free(buf);
    return need;
}

static void check_pieces(const llamac_vocab *v, const llamac_token *t, int32_t n, int32_t lstrip, bool special) {
    for (int32_t i = 0; i < n; i++) {
        char piece[256];
        size_t need = 0, got = 0;
        llamac_status st = llamac_token_to_piece(v, t[i], NULL, 0, lstrip, special, &need);
        if (!in_range(v, t[i])) {
            if (st != LLAMAC_ERR_NOT_FOUND) abort();
            continue;
        }
        if ((st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) || need > sizeof piece) abort();
        if (llamac_token_to_piece(v, t[i], piece, need, lstrip, special, &got) != LLAMAC_OK || got != need)
            abort();
    }
}

/* The stream skips out-of-range ids (NOT_FOUND leaves it unchanged), so
 * it must equal llamac_detokenize of the in-range ones. */
static void check_stream(const llamac_vocab *v, const llamac_token *t, int32_t n, bool unparse_special,
                         bool strip_leading_space) {
    llamac_detok_params p = llamac_detok_default_params();
    p.unparse_special = unparse_special;
    p.strip_leading_space = strip_leading_space;
    llamac_detok *d;
    if (llamac_detok_new(v, &p, &d) != LLAMAC_OK) abort();
    llamac_token *kept = malloc(sizeof *kept * (size_t)(n + 1));
    int32_t n_kept = 0;
    size_t total = 0;
    if (!kept) abort();
    for (int32_t i = 0; i < n; i++) {
        const char *chunk;
        size_t clen;
        llamac_status st = llamac_detok_push(d, t[i], &chunk, &clen);
        if (st != (in_range(v, t[i]) ? LLAMAC_OK : LLAMAC_ERR_NOT_FOUND)) abort();
        if (st == LLAMAC_OK) {
            kept[n_kept++] = t[i];
            total += clen;
        }
    }
    const char *rest;
    size_t rlen;
    if (llamac_detok_flush(d, &rest, &rlen) != LLAMAC_OK || rlen > 3) abort();
    if (strip_leading_space && total + rlen != check_detokenize(v, kept, n_kept, false, unparse_special, false))
        abort();
    free(kept);
    llamac_detok_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t sw = data[0];
    const llamac_vocab *v = fv_target_vocabs[sw & 1];
    const bool remove_special = sw & 2, unparse_special = sw & 4, strip = sw & 8;
    const int32_t lstrip = (sw >> 4) & 3;
    const int32_t n_tokens = llamac_vocab_n_tokens(v);
    llamac_token ids[MAX_IDS];
    int32_t n = 0;
    bool any_bad = false;
    for (size_t i = 1; i + 1 < size && n < MAX_IDS; i += 2) {
        const uint32_t raw = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8;
        ids[n] = (llamac_token)(raw % (uint32_t)(n_tokens + 4)) - 2;
        any_bad |= !in_range(v, ids[n]);
        n++;
    }
    check_detokenize(v, ids, n, remove_special, unparse_special, any_bad);
    check_pieces(v, ids, n, lstrip, unparse_special);
    check_stream(v, ids, n, unparse_special, strip);
    return 0;
}
