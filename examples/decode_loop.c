/* A whole llamac program with every step written out: load a model, make a
 * context and a sampler chain, tokenize a prompt, decode it, then sample,
 * print and decode one token at a time until an end-of-generation token or
 * N tokens. (examples/generate.c does the same through llamac_generator,
 * which wraps this loop.) docs/api.md shows this file as it is; the test
 * `docs_example` fails when the two differ.
 *
 *   cc decode_loop.c $(pkg-config --cflags --libs llamac) -o decode_loop
 *   ./decode_loop MODEL.gguf "Once upon a time" 32
 */
#include <llamac.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every failed call leaves its reason in llamac_last_error(). */
static bool ok(llamac_status st, const char *what) {
    if (st != LLAMAC_OK) fprintf(stderr, "%s: %s (%s)\n", what, llamac_last_error(), llamac_status_name(st));
    return st == LLAMAC_OK;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [N_TOKENS]\n", argv[0]);
        return 2;
    }
    const char *prompt = argv[2];
    const int n_predict = argc > 3 ? atoi(argv[3]) : 32;

    llamac_model *model = NULL;
    const llamac_vocab *vocab = NULL;
    llamac_context *ctx = NULL;
    llamac_sampler *chain = NULL;
    llamac_token *tokens = NULL;
    llamac_batch batch = {0};
    llamac_detok *detok = NULL;
    llamac_status st;
    int rc = 1;

    /* 1. The model (memory-mapped) and its vocabulary. */
    llamac_model_params mp = llamac_model_default_params();
    if (!ok(llamac_model_load(argv[1], &mp, &model), "load")) goto done;
    vocab = llamac_model_vocab(model);
    if (!vocab) {
        fprintf(stderr, "%s has no tokenizer\n", argv[1]);
        goto done;
    }

    /* 2. A context: the KV cache, scratch memory and worker threads. */
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 1024;                  /* tokens the KV cache holds */
    cp.n_threads = 0;                 /* one per online CPU */
    cp.kernels = LLAMAC_KERNELS_AUTO; /* LLAMAC_KERNELS_SCALAR forces the reference kernels */
    if (!ok(llamac_context_new(model, &cp, &ctx), "context")) goto done;

    /* 3. The sampler chain: top-k, temperature, then a seeded random pick.
     * A constructor's failure (NULL) makes chain_add return its status. */
    chain = llamac_sampler_chain_new(NULL);
    if (!chain) {
        ok(LLAMAC_ERR_NO_MEMORY, "sampler chain");
        goto done;
    }
    if (!ok(llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(40, NULL)), "top-k") ||
        !ok(llamac_sampler_chain_add(chain, llamac_sampler_init_temp(0.8f, NULL)), "temp") ||
        !ok(llamac_sampler_chain_add(chain, llamac_sampler_init_dist(1234, NULL)), "dist"))
        goto done;

    /* 4. Tokenize: the first call (no room) returns the count needed. */
    int32_t n_prompt = 0;
    st = llamac_tokenize(vocab, prompt, strlen(prompt), NULL, 0, true, false, &n_prompt);
    if (st != LLAMAC_ERR_BUFFER_TOO_SMALL && !ok(st, "tokenize")) goto done;
    if (n_prompt < 1) {
        fprintf(stderr, "the prompt has no tokens\n");
        goto done;
    }
    tokens = malloc(sizeof *tokens * (size_t)n_prompt);
    if (!tokens) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    if (!ok(llamac_tokenize(vocab, prompt, strlen(prompt), tokens, n_prompt, true, false, &n_prompt), "tokenize"))
        goto done;

    /* 5. Decode the prompt in batches of at most n_batch tokens, sequence 0,
     * positions 0, 1, 2, ...; only its last token's logits are needed. */
    const int32_t n_batch = (int32_t)llamac_context_n_batch(ctx);
    const llamac_seq_id seq = 0;
    if (!ok(llamac_batch_init(&batch, n_batch, 1, NULL), "batch")) goto done;
    llamac_pos pos = 0;
    while (pos < n_prompt) {
        batch.n_tokens = 0;
        for (; pos < n_prompt && batch.n_tokens < n_batch; pos++)
            if (!ok(llamac_batch_add(&batch, tokens[pos], pos, &seq, 1, pos == n_prompt - 1), "batch")) goto done;
        if (!ok(llamac_decode(ctx, &batch), "decode")) goto done;
    }

    /* 6. Generate: sample from the last logits, print the token's text,
     * decode it to get the next logits. The streaming detokenizer never
     * splits a UTF-8 character; its pieces continue the prompt's text. */
    llamac_detok_params dp = llamac_detok_default_params();
    dp.strip_leading_space = false;
    if (!ok(llamac_detok_new(vocab, &dp, &detok), "detokenizer")) goto done;
    fputs(prompt, stdout);
    const char *text;
    size_t len;
    for (int n = 0; n < n_predict; n++) {
        const float *logits = llamac_get_logits(ctx, -1); /* the last row the decode kept */
        llamac_token next;
        if (!logits) {
            fprintf(stderr, "logits: %s\n", llamac_last_error());
            goto done;
        }
        if (!ok(llamac_sampler_sample(chain, logits, llamac_model_n_vocab(model), &next), "sample")) goto done;
        if (llamac_vocab_is_eog(vocab, next)) break;
        if (!ok(llamac_detok_push(detok, next, &text, &len), "detokenize")) goto done;
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        if (n + 1 == n_predict) break; /* no need for its logits */
        batch.n_tokens = 0;
        if (!ok(llamac_batch_add(&batch, next, pos++, &seq, 1, true), "batch")) goto done;
        st = llamac_decode(ctx, &batch);
        if (st == LLAMAC_ERR_CONTEXT_FULL) break; /* no cell left: the text ends here */
        if (!ok(st, "decode")) goto done;
    }
    if (!ok(llamac_detok_flush(detok, &text, &len), "detokenize")) goto done;
    fwrite(text, 1, len, stdout);
    putchar('\n');
    rc = 0;

done:
    llamac_detok_free(detok);
    llamac_batch_free(&batch);
    free(tokens);
    llamac_sampler_free(chain);
    llamac_context_free(ctx);
    llamac_model_free(model);
    return rc;
}
