#include "model_builder.h"

#include "kernels/kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tm_spec_default(tm_spec *s) {
    memset(s, 0, sizeof *s);
    s->arch = "llama";
    s->n_vocab = 64;
    s->n_embd = 32;
    s->n_layer = 2;
    s->n_head = 4;
    s->n_head_kv = 2;
    s->n_ff = 48;
    s->n_ctx_train = 256;
    s->rope_base = 10000.0f;
    s->rms_eps = 1e-5f;
    s->wtype = LLAMAC_TYPE_F32;
    s->seed = 1;
}

/* splitmix64: a tiny seeded generator, the same on every platform. */
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float next_unit(uint64_t *state) { return (float)((double)(next_u64(state) >> 11) * 0x1p-52 - 1.0); }

typedef struct builder {
    const tm_spec *spec;
    llamac_gguf_writer *w;
    uint64_t rng;
    void **blocks; /* tensor data kept alive until the file is written */
    int n_blocks;
    llamac_status st;
} builder;

static void add(builder *b, const char *name, int64_t ne0, int64_t ne1, llamac_type type, const float *values) {
    if (b->st != LLAMAC_OK || (b->spec->omit && !strcmp(name, b->spec->omit))) return;
    if (b->spec->retype && !strcmp(name, b->spec->retype)) type = b->spec->retype_as;
    const int64_t n = ne0 * ne1;
    const int64_t bs = llamac_type_block_size(type);
    size_t bytes = (size_t)(n / bs) * llamac_type_block_bytes(type);
    void *data = calloc(1, bytes ? bytes : 1);
    const lc_type_traits *tr = lc_scalar_traits(type);
    if (tr && tr->from_float) tr->from_float(values, data, n);
    else if (type == LLAMAC_TYPE_F32) memcpy(data, values, bytes);
    /* other types keep zero bytes: only their type matters to the test */
    b->blocks[b->n_blocks++] = data;
    int64_t ne[2] = {ne0, ne1};
    uint32_t n_dims = ne1 > 1 ? 2 : 1;
    if (b->spec->misshape && !strcmp(name, b->spec->misshape)) {
        /* one more row (or element) than expected, with data to match */
        ne[n_dims - 1] += 1;
        size_t grown = bytes + (size_t)(bytes / (size_t)(ne[n_dims - 1] - 1));
        void *bigger = calloc(1, grown);
        memcpy(bigger, data, bytes);
        free(data);
        b->blocks[b->n_blocks - 1] = bigger;
        data = bigger;
        bytes = grown;
    }
    b->st = llamac_gguf_writer_add_tensor(b->w, name, type, n_dims, ne, data, bytes);
}

/* A matrix of n_out rows by n_in, entries uniform with std 1/sqrt(n_in). */
static void add_matrix(builder *b, const char *name, int64_t n_in, int64_t n_out, float gain) {
    float *v = malloc((size_t)(n_in * n_out) * sizeof *v);
    const float scale = gain * sqrtf(3.0f / (float)n_in);
    for (int64_t i = 0; i < n_in * n_out; i++) v[i] = scale * next_unit(&b->rng);
    add(b, name, n_in, n_out, b->spec->wtype, v);
    free(v);
}

static void add_norm(builder *b, const char *name, int64_t n) {
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = 1.0f + 0.2f * next_unit(&b->rng);
    add(b, name, n, 1, LLAMAC_TYPE_F32, v);
    free(v);
}

llamac_status tm_write(const tm_spec *s, const char *path) {
    builder b = {s, NULL, s->seed, NULL, 0, LLAMAC_OK};
    b.blocks = calloc((size_t)(16 + 12 * s->n_layer), sizeof *b.blocks);
    b.st = llamac_gguf_writer_new(NULL, &b.w);
    if (b.st != LLAMAC_OK) {
        free(b.blocks);
        return b.st;
    }
    llamac_gguf_writer *w = b.w;
    const int head_dim = s->n_embd / s->n_head;
    if (!b.st) b.st = llamac_gguf_writer_set_string(w, "general.architecture", s->arch);
    if (!b.st) b.st = llamac_gguf_writer_set_string(w, "general.name", "test-model");
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.context_length", (uint32_t)s->n_ctx_train);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.embedding_length", (uint32_t)s->n_embd);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.block_count", (uint32_t)s->n_layer);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)s->n_ff);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)s->n_head);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv);
    if (!b.st) b.st = llamac_gguf_writer_set_u32(w, "llama.rope.dimension_count", (uint32_t)head_dim);
    if (!b.st) b.st = llamac_gguf_writer_set_f32(w, "llama.rope.freq_base", s->rope_base);
    if (!b.st) b.st = llamac_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", s->rms_eps);
    if (!b.st && s->rope_scaling_type) b.st = llamac_gguf_writer_set_string(w, "llama.rope.scaling.type", s->rope_scaling_type);
    if (!b.st && s->rope_scale_linear > 0.0f)
        b.st = llamac_gguf_writer_set_f32(w, "llama.rope.scaling.factor", s->rope_scale_linear);

    /* Embeddings larger than the projections so logits have a useful spread. */
    float *emb = malloc((size_t)s->n_embd * (size_t)s->n_vocab * sizeof *emb);
    for (int64_t i = 0; i < (int64_t)s->n_embd * s->n_vocab; i++) emb[i] = next_unit(&b.rng);
    add(&b, "token_embd.weight", s->n_embd, s->n_vocab, s->wtype, emb);
    free(emb);
    add_norm(&b, "output_norm.weight", s->n_embd);
    if (!s->tied) add_matrix(&b, "output.weight", s->n_embd, s->n_vocab, 4.0f);
    if (s->rope_freqs) {
        /* Llama 3.1's shape of factors: 1 for high frequencies rising to 8
         * for low ones. */
        const int n = head_dim / 2;
        float *ff = malloc((size_t)n * sizeof *ff);
        for (int i = 0; i < n; i++) ff[i] = 1.0f + 7.0f * (float)i / (float)(n > 1 ? n - 1 : 1);
        add(&b, "rope_freqs.weight", n, 1, LLAMAC_TYPE_F32, ff);
        free(ff);
    }
    const int64_t n_q = (int64_t)s->n_head * head_dim, n_kv = (int64_t)s->n_head_kv * head_dim;
    for (int il = 0; il < s->n_layer; il++) {
        char name[64];
#define BLK(suffix) (snprintf(name, sizeof name, "blk.%d." suffix, il), name)
        add_norm(&b, BLK("attn_norm.weight"), s->n_embd);
        add_matrix(&b, BLK("attn_q.weight"), s->n_embd, n_q, 2.0f);
        add_matrix(&b, BLK("attn_k.weight"), s->n_embd, n_kv, 2.0f);
        add_matrix(&b, BLK("attn_v.weight"), s->n_embd, n_kv, 1.0f);
        add_matrix(&b, BLK("attn_output.weight"), n_q, s->n_embd, 1.0f);
        add_norm(&b, BLK("ffn_norm.weight"), s->n_embd);
        add_matrix(&b, BLK("ffn_gate.weight"), s->n_embd, s->n_ff, 1.0f);
        add_matrix(&b, BLK("ffn_up.weight"), s->n_embd, s->n_ff, 1.0f);
        add_matrix(&b, BLK("ffn_down.weight"), s->n_ff, s->n_embd, 1.0f);
#undef BLK
    }
    if (!b.st) b.st = llamac_gguf_writer_write(w, path);
    llamac_gguf_writer_free(w);
    for (int i = 0; i < b.n_blocks; i++) free(b.blocks[i]);
    free(b.blocks);
    return b.st;
}
