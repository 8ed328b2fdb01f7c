#include "decode_util.h"
#include "test_tmpdir.h"

#include <string.h>

void du_model_open(du_model *m, const tm_spec *spec) {
    memset(m, 0, sizeof *m);
    tm_spec def;
    if (!spec) {
        tm_spec_default(&def);
        spec = &def;
    }
    if (!test_tmpdir_new(m->dir, sizeof m->dir)) fail_msg("cannot create a temporary directory");
    char path[300];
    snprintf(path, sizeof path, "%s/model.gguf", m->dir);
    if (tm_write(spec, path) != LLAMAC_OK) fail_msg("writing test model: %s", llamac_last_error());
    if (llamac_model_load(path, NULL, &m->model) != LLAMAC_OK) fail_msg("loading test model: %s", llamac_last_error());
    m->n_vocab = llamac_model_n_vocab(m->model);
}

bool du_model_open_shared(du_model *m, const char *name) {
    memset(m, 0, sizeof *m);
    char buf[512], rel[128];
    snprintf(rel, sizeof rel, "models/%s", name);
    const char *path = shared_path(buf, sizeof buf, rel);
    if (!path) return false;
    if (llamac_model_load(path, NULL, &m->model) != LLAMAC_OK) fail_msg("loading %s: %s", path, llamac_last_error());
    m->n_vocab = llamac_model_n_vocab(m->model);
    return true;
}

void du_model_close(du_model *m) {
    llamac_model_free(m->model);
    if (m->dir[0]) test_tmpdir_remove(m->dir);
    memset(m, 0, sizeof *m);
}

int du_default_model_setup(void **state) {
    static du_model m;
    du_model_open(&m, NULL);
    *state = &m;
    return 0;
}

int du_default_model_teardown(void **state) {
    du_model_close(*state);
    return 0;
}

llamac_context *du_context(const llamac_model *model, uint32_t n_ctx, uint32_t n_batch, uint32_t n_seq_max,
                           int32_t n_threads) {
    llamac_context_params p = llamac_context_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_seq_max = n_seq_max;
    p.n_threads = n_threads ? n_threads : 2;
    llamac_context *ctx;
    llamac_status st = llamac_context_new(model, &p, &ctx);
    if (st != LLAMAC_OK) fail_msg("context: %s: %s", llamac_status_name(st), llamac_last_error());
    return ctx;
}

llamac_status du_decode(llamac_context *ctx, const llamac_token *tokens, int32_t n, llamac_pos pos0,
                        llamac_seq_id seq, float *out) {
    llamac_batch b;
    if (llamac_batch_init(&b, n, 1, NULL) != LLAMAC_OK) fail_msg("batch: %s", llamac_last_error());
    for (int32_t i = 0; i < n; i++) llamac_batch_add(&b, tokens[i], pos0 + i, &seq, 1, true);
    llamac_status st = llamac_decode(ctx, &b);
    if (st == LLAMAC_OK && out) {
        const size_t nv = (size_t)llamac_model_n_vocab(llamac_context_model(ctx));
        for (int32_t i = 0; i < n; i++) memcpy(out + (size_t)i * nv, llamac_get_logits(ctx, i), nv * sizeof(float));
    }
    llamac_batch_free(&b);
    return st;
}

void du_tokens(llamac_token *out, int32_t n, int32_t n_vocab, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 12345u;
    for (int32_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (llamac_token)(x % (uint32_t)n_vocab);
    }
}

void du_assert_same_bits(const float *a, const float *b, size_t n, const char *what) {
    if (memcmp(a, b, n * sizeof *a) == 0) return;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0) fail_msg("%s: element %zu differs: %.9g vs %.9g", what, i, a[i], b[i]);
}
