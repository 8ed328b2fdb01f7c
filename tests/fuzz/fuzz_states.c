#include "fuzz_states.h"

#include "../model_builder.h"
#include "../test_tmpdir.h"

#include <stdio.h>

llamac_model *fs_model_load(void) {
    char dir[256], path[300];
    if (!test_tmpdir_new(dir, sizeof dir)) return NULL;
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    tm_spec s;
    tm_spec_default(&s);
    llamac_model *m = NULL;
    llamac_model_params mp = llamac_model_default_params();
    mp.use_mmap = false; /* the directory goes away below */
    if (tm_write(&s, path) != LLAMAC_OK || llamac_model_load(path, &mp, &m) != LLAMAC_OK)
        fprintf(stderr, "fuzz_states: %s\n", llamac_last_error());
    test_tmpdir_remove(dir);
    return m;
}

llamac_context *fs_context(const llamac_model *model) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 32;
    cp.n_batch = 8;
    cp.n_seq_max = 2;
    cp.n_threads = 1;
    llamac_context *ctx = NULL;
    if (llamac_context_new(model, &cp, &ctx) != LLAMAC_OK) fprintf(stderr, "fuzz_states: %s\n", llamac_last_error());
    return ctx;
}

llamac_sampler *fs_sampler(void) {
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    if (!c || llamac_sampler_chain_add(c, llamac_sampler_init_penalties(16, 1.1f, 0.1f, 0.0f, NULL)) ||
        llamac_sampler_chain_add(c, llamac_sampler_init_top_k(10, NULL)) ||
        llamac_sampler_chain_add(c, llamac_sampler_init_temp(0.8f, NULL)) ||
        llamac_sampler_chain_add(c, llamac_sampler_init_dist(5, NULL))) {
        llamac_sampler_free(c);
        return NULL;
    }
    return c;
}
