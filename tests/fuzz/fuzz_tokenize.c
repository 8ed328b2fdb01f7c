/* libFuzzer target for text -> tokens -> text (docs/fuzzing.md). The first
 * input byte picks one of the two vocabularies of fuzz_vocabs.c (SPM or
 * BPE, built at start-up from tables in the repository) and the flags; the
 * rest is the text. Every input must tokenize (also into a too-small array,
 * which must report the full count and hold its prefix), detokenize back to
 * the same bytes (flags mirrored), give pieces through llamac_token_to_piece
 * that add up to the text, and stream through the detokenizer to the same
 * bytes; anything else aborts, which libFuzzer (or the replay) reports. */
#include "fuzz_vocabs.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SPM reads a typed U+2581 back as a space: such input cannot round-trip. */
static bool has_spm_space(const char *s, size_t n) {
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, "\xE2\x96\x81", 3) == 0) return true;
    return false;
}

/* An UNUSED piece can come out of SPM merging but prints as nothing (as in
 * llama.cpp; fuzz_vocabs.c's SPM vocabulary has one, "zz"). */
static bool has_unused(const llamac_vocab *v, const llamac_token *t, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (llamac_vocab_token_type(v, t[i]) == LLAMAC_TOKEN_TYPE_UNUSED) return true;
    return false;
}

static llamac_token *tokenize(const llamac_vocab *v, const char *text, size_t len, bool add_special,
                              bool parse_special, int32_t *n) {
    *n = 0;
    llamac_status st = llamac_tokenize(v, text, len, NULL, 0, add_special, parse_special, n);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    llamac_token *t = malloc(sizeof *t * (size_t)(*n + 1));
    if (!t || llamac_tokenize(v, text, len, t, *n, add_special, parse_special, n) != LLAMAC_OK) abort();
    /* Half the array: the status says so, the count is the full one, and
     * the part written is the same prefix. */
    const int32_t half = *n / 2;
    if (half > 0) {
        llamac_token *part = malloc(sizeof *part * (size_t)half);
        int32_t need = 0;
        if (!part || llamac_tokenize(v, text, len, part, half, add_special, parse_special, &need) !=
                         LLAMAC_ERR_BUFFER_TOO_SMALL)
            abort();
        if (need != *n || memcmp(part, t, sizeof *part * (size_t)half) != 0) abort();
        free(part);
    }
    return t;
}

static void check_round_trip(const llamac_vocab *v, const llamac_token *t, int32_t n, const char *text,
                             size_t len, bool add_special, bool parse_special) {
    size_t out_len = 0;
    llamac_status st = llamac_detokenize(v, t, n, NULL, 0, add_special, parse_special, &out_len);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    char *out = malloc(out_len + 1);
    if (!out || llamac_detokenize(v, t, n, out, out_len, add_special, parse_special, &out_len) != LLAMAC_OK)
        abort();
    const bool spm = llamac_vocab_get_type(v) == LLAMAC_VOCAB_SPM;
    /* With parse_special, "<s>" typed after BOS can be taken for the BOS
     * that remove_special drops; only check the plain round trip then. */
    if (!(spm && has_spm_space(text, len)) && !(parse_special && add_special) && !has_unused(v, t, n) &&
        (out_len != len || memcmp(out, text, len) != 0))
        abort();
    free(out);
}

/* Each token's piece: a size query that names the length a full call then
 * writes. Detokenizing drops at most one SPM space per token from the
 * pieces, so the pieces add up to `full` plus at most n bytes. */
static void check_pieces(const llamac_vocab *v, const llamac_token *t, int32_t n, bool special, size_t full) {
    size_t sum = 0;
    for (int32_t i = 0; i < n; i++) {
        char piece[256];
        size_t need = 0, got = 0;
        llamac_status st = llamac_token_to_piece(v, t[i], NULL, 0, 0, special, &need);
        if ((st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) || need > sizeof piece) abort();
        if (llamac_token_to_piece(v, t[i], piece, need, 0, special, &got) != LLAMAC_OK || got != need) abort();
        sum += got;
    }
    if (sum < full || sum - full > (size_t)n) abort();
}

static void check_stream(const llamac_vocab *v, const llamac_token *t, int32_t n, bool parse_special) {
    llamac_detok_params p = llamac_detok_default_params();
    p.unparse_special = parse_special;
    llamac_detok *d;
    if (llamac_detok_new(v, &p, &d) != LLAMAC_OK) abort();
    size_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        const char *chunk;
        size_t clen;
        if (llamac_detok_push(d, t[i], &chunk, &clen) != LLAMAC_OK) abort();
        total += clen;
    }
    const char *rest;
    size_t rlen;
    if (llamac_detok_flush(d, &rest, &rlen) != LLAMAC_OK || rlen > 3) abort();
    size_t full;
    if (llamac_detokenize(v, t, n, NULL, 0, false, parse_special, &full) == LLAMAC_ERR_NOT_FOUND) abort();
    if (total + rlen != full) abort();
    check_pieces(v, t, n, parse_special, full);
    llamac_detok_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const llamac_vocab *v = fv_target_vocabs[data[0] & 1];
    const bool parse_special = data[0] & 2, add_special = data[0] & 4;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    int32_t n;
    llamac_token *t = tokenize(v, text, len, add_special, parse_special, &n);
    check_round_trip(v, t, n, text, len, add_special, parse_special);
    check_stream(v, t, n, parse_special);
    free(t);
    return 0;
}
