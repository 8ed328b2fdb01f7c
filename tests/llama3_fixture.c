/* Writes a small Llama-3-style model with llamac's GGUF writer — tied
 * embeddings (no output.weight), rope_freqs, 8 query heads sharing 2 KV heads
 * (ratio 4), rope theta 500000 — decodes fixed tokens with it, and writes the
 * logits in the golden file format, once with an F32 and once with an F16 KV
 * cache. llama3_reference.py checks them against an independent float64
 * numpy forward pass that reads the same GGUF.
 *
 * usage: llama3_fixture DIR   (writes DIR/llama3.gguf, DIR/llama3-kv-f32.golden,
 *                              DIR/llama3-kv-f16.golden) */
#include "model_builder.h"

#include "../tools/golden.h"

#include <stdio.h>
#include <stdlib.h>

static const int32_t prompt[] = {1, 200, 17, 45, 99, 3, 250, 128, 64, 7, 31, 180};
static const int32_t gen[] = {42, 5, 211};
#define N_PROMPT (sizeof prompt / sizeof prompt[0])
#define N_GEN (sizeof gen / sizeof gen[0])

static int run(const char *model_path, llamac_type kv, const char *out_path) {
    llamac_model *model = NULL;
    llamac_context *ctx = NULL;
    float *logits = NULL;
    int rc = 1;
    llamac_status st = llamac_model_load(model_path, NULL, &model);
    if (st == LLAMAC_OK) {
        llamac_context_params cp = llamac_context_default_params();
        cp.n_ctx = 32;
        cp.n_batch = 16;
        cp.kv_type = kv;
        st = llamac_context_new(model, &cp, &ctx);
    }
    if (st == LLAMAC_OK) {
        const uint32_t nv = (uint32_t)llamac_model_n_vocab(model);
        logits = malloc((N_PROMPT + N_GEN) * nv * sizeof(float));
        st = golden_decode(ctx, prompt, N_PROMPT, gen, N_GEN, 0, logits);
        if (st == LLAMAC_OK) {
            golden g = {nv, N_PROMPT, N_GEN, (int32_t *)prompt, (int32_t *)gen, logits};
            char err[256];
            if (golden_write(out_path, &g, err, sizeof err) == 0) rc = 0;
            else fprintf(stderr, "llama3_fixture: %s\n", err);
        }
    }
    if (st != LLAMAC_OK) fprintf(stderr, "llama3_fixture: %s: %s\n", llamac_status_name(st), llamac_last_error());
    free(logits);
    llamac_context_free(ctx);
    llamac_model_free(model);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: llama3_fixture DIR\n");
        return 2;
    }
    tm_spec s;
    tm_spec_default(&s);
    s.n_vocab = 256;
    s.n_embd = 128;
    s.n_layer = 2;
    s.n_head = 8;
    s.n_head_kv = 2;
    s.n_ff = 320;
    s.n_ctx_train = 8192;
    s.rope_base = 500000.0f;
    s.tied = true;
    s.rope_freqs = true;
    s.seed = 2024;
    char path[1024], out[1024];
    snprintf(path, sizeof path, "%s/llama3.gguf", argv[1]);
    if (tm_write(&s, path) != LLAMAC_OK) {
        fprintf(stderr, "llama3_fixture: writing %s: %s\n", path, llamac_last_error());
        return 1;
    }
    snprintf(out, sizeof out, "%s/llama3-kv-f32.golden", argv[1]);
    if (run(path, LLAMAC_TYPE_F32, out)) return 1;
    snprintf(out, sizeof out, "%s/llama3-kv-f16.golden", argv[1]);
    return run(path, LLAMAC_TYPE_F16, out);
}
