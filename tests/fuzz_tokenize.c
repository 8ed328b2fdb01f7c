/* libFuzzer target for the tokenizers (built with -Dfuzz=true and clang;
 * see docs/tokenizer.md). The first input byte picks the vocabulary of
 * ../shared/vocab (LLAMAC_SHARED) and the flags; the rest is the text. Every
 * input must tokenize, detokenize back to the same bytes (with the flags
 * mirrored), and stream through the detokenizer to the same bytes in whole
 * characters; anything else aborts, which libFuzzer reports. */
#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static llamac_vocab *vocabs[2];

static llamac_vocab *load(const char *name) {
    const char *root = getenv("LLAMAC_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-%s.gguf", root && *root ? root : "../shared", name);
    llamac_vocab *v = NULL;
    if (llamac_vocab_load(path, NULL, &v) != LLAMAC_OK) {
        fprintf(stderr, "fuzz_tokenize: %s\n", llamac_last_error());
        abort();
    }
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    vocabs[0] = load("llama-spm");
    vocabs[1] = load("llama-bpe");
    return 0;
}

/* SPM reads a typed U+2581 back as a space: such input cannot round-trip. */
static bool has_spm_space(const char *s, size_t n) {
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, "\xE2\x96\x81", 3) == 0) return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const llamac_vocab *v = vocabs[data[0] & 1];
    bool parse_special = data[0] & 2, add_special = data[0] & 4;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    int32_t n = 0;
    llamac_status st = llamac_tokenize(v, text, len, NULL, 0, add_special, parse_special, &n);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    llamac_token *t = malloc(sizeof *t * (size_t)(n + 1));
    if (llamac_tokenize(v, text, len, t, n, add_special, parse_special, &n) != LLAMAC_OK) abort();

    size_t out_len = 0;
    st = llamac_detokenize(v, t, n, NULL, 0, add_special, parse_special, &out_len);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    char *out = malloc(out_len + 1);
    if (llamac_detokenize(v, t, n, out, out_len, add_special, parse_special, &out_len) != LLAMAC_OK) abort();
    bool spm = llamac_vocab_get_type(v) == LLAMAC_VOCAB_SPM;
    /* With parse_special, "<s>" typed after BOS can be taken for the BOS
     * that remove_special drops; only check the plain round trip then. */
    if (!(spm && has_spm_space(text, len)) && !(parse_special && add_special) &&
        (out_len != len || memcmp(out, text, len) != 0))
        abort();

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
    llamac_detok_free(d);
    free(out);
    free(t);
    return 0;
}
