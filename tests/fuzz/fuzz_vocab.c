/* libFuzzer target for the tokenizer loader (docs/fuzzing.md): each input
 * is a GGUF file handed to llamac_gguf_open_memory and then to
 * llamac_vocab_from_gguf. A refusal must leave a one-line message and no
 * vocab; a vocabulary that loads must answer every query for every id and
 * tokenize, detokenize and stream a fixed text with special tokens in it,
 * so a table built wrongly from hostile keys shows under ASan/UBSan. */
#include "llamac.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sample[] = "<s>Hello world, it's 123 caf\xC3\xA9\n\n <tool><|eot_id|></s> \xE2\x96\x81x\xFF";

static void query_every_token(const llamac_vocab *v) {
    volatile size_t sink = 0;
    const int32_t n = llamac_vocab_n_tokens(v);
    for (llamac_token t = -1; t <= n; t++) {
        size_t len = 0, need = 0;
        const char *text = llamac_vocab_token_text(v, t, &len);
        if (text) sink += len + (size_t)llamac_vocab_find(v, text, len);
        sink += (size_t)llamac_vocab_token_type(v, t) + llamac_vocab_is_eog(v, t) + llamac_vocab_is_control(v, t);
        sink += llamac_vocab_token_score(v, t) > 0;
        char piece[64];
        llamac_status st = llamac_token_to_piece(v, t, piece, sizeof piece, 1, true, &need);
        if ((t < 0 || t >= n) != (st == LLAMAC_ERR_NOT_FOUND)) abort();
    }
    sink += (size_t)llamac_vocab_bos(v) + (size_t)llamac_vocab_eos(v) + (size_t)llamac_vocab_eot(v) +
            (size_t)llamac_vocab_eom(v) + (size_t)llamac_vocab_unk(v) + (size_t)llamac_vocab_pad(v) +
            llamac_vocab_add_bos(v) + llamac_vocab_add_eos(v);
    (void)sink;
}

static void use_sample(const llamac_vocab *v, bool special) {
    int32_t n = 0;
    llamac_token t[256];
    llamac_status st = llamac_tokenize(v, sample, sizeof sample - 1, t, 256, special, special, &n);
    if (st == LLAMAC_ERR_BUFFER_TOO_SMALL && n > 256) n = 256; /* the prefix written is enough */
    else if (st != LLAMAC_OK) abort();
    char out[1024];
    size_t len = 0;
    st = llamac_detokenize(v, t, n, out, sizeof out, special, special, &len);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) abort();
    llamac_detok *d;
    if (llamac_detok_new(v, NULL, &d) != LLAMAC_OK) abort();
    const char *chunk;
    for (int32_t i = 0; i < n; i++)
        if (llamac_detok_push(d, t[i], &chunk, &len) != LLAMAC_OK) abort();
    if (llamac_detok_flush(d, &chunk, &len) != LLAMAC_OK) abort();
    llamac_detok_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llamac_gguf *g = NULL;
    if (llamac_gguf_open_memory(data, size, NULL, &g) != LLAMAC_OK) return 0; /* fuzz_gguf's ground */
    llamac_vocab *v = NULL;
    if (llamac_vocab_from_gguf(g, NULL, &v) != LLAMAC_OK) {
        const char *msg = llamac_last_error();
        if (v || !msg[0] || strchr(msg, '\n')) abort();
        llamac_gguf_free(g);
        return 0;
    }
    llamac_gguf_free(g); /* the vocab owns what it needs */
    query_every_token(v);
    use_sample(v, false);
    use_sample(v, true);
    llamac_vocab_free(v);
    return 0;
}
