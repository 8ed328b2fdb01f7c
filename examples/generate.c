/* The smallest complete llamac program: load a model, tokenize a prompt,
 * and stream a sampled continuation to stdout.
 *
 *   cc generate.c $(pkg-config --cflags --libs llamac) -o generate
 *   ./generate MODEL.gguf "Once upon a time" 64
 */
#include <llamac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, llamac_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [N_TOKENS]\n", argv[0]);
        return 2;
    }
    const char *prompt = argv[2];
    int32_t n_predict = argc > 3 ? atoi(argv[3]) : 32;

    llamac_model *model = NULL;
    if (llamac_model_load(argv[1], NULL, &model) != LLAMAC_OK) return fail("load");
    const llamac_vocab *vocab = llamac_model_vocab(model);
    if (!vocab) {
        fprintf(stderr, "the model has no tokenizer\n");
        llamac_model_free(model);
        return 1;
    }

    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 512;
    cp.n_threads = 2;
    llamac_context *ctx = NULL;
    if (llamac_context_new(model, &cp, &ctx) != LLAMAC_OK) {
        llamac_model_free(model);
        return fail("context");
    }

    /* One call sizes the token buffer, the second fills it. */
    int32_t n_prompt = 0;
    llamac_tokenize(vocab, prompt, strlen(prompt), NULL, 0, true, false, &n_prompt);
    llamac_token *tokens = malloc(sizeof *tokens * (size_t)(n_prompt > 0 ? n_prompt : 1));
    int rc = 1;
    llamac_sampler *chain = NULL;
    llamac_generator *gen = NULL;
    if (!tokens ||
        llamac_tokenize(vocab, prompt, strlen(prompt), tokens, n_prompt, true, false, &n_prompt) != LLAMAC_OK) {
        fail("tokenize");
        goto done;
    }

    chain = llamac_sampler_chain_new(NULL);
    llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(40, NULL));
    llamac_sampler_chain_add(chain, llamac_sampler_init_temp(0.8f, NULL));
    llamac_sampler_chain_add(chain, llamac_sampler_init_dist(1234, NULL));

    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = n_predict;
    if (!chain || llamac_generator_new(ctx, chain, &gp, &gen) != LLAMAC_OK) {
        fail("generator");
        goto done;
    }
    if (llamac_generator_prompt(gen, tokens, n_prompt) != LLAMAC_OK) {
        fail("prompt");
        goto done;
    }

    fputs(prompt, stdout);
    for (;;) {
        llamac_generation_step step;
        if (llamac_generator_next(gen, &step) != LLAMAC_OK) {
            fail("generate");
            goto done;
        }
        fwrite(step.text, 1, step.text_len, stdout);
        fflush(stdout);
        if (step.stop != LLAMAC_STOP_NONE) break;
    }
    putchar('\n');
    rc = 0;

done:
    llamac_generator_free(gen);
    llamac_sampler_free(chain);
    free(tokens);
    llamac_context_free(ctx);
    llamac_model_free(model);
    return rc;
}
