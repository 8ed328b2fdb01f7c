/* The model fingerprint a state is bound to: architecture, every
 * hyperparameter, a hash of the tensor table and one of the vocabulary.
 * The hashes are FNV-1a 64: they detect another model, they are not a
 * defence against someone forging a state (nothing in a state can make a
 * load unsafe; a forged one only gives wrong numbers). */
#include "state_format.h"

#include "model/model.h"

#include <string.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return fnv(h, b, 8);
}

/* Every tensor in file order: name, type, dimensions. */
static uint64_t tensors_hash(const llamac_gguf *g, uint32_t *n) {
    uint64_t h = FNV_OFFSET;
    const int64_t count = llamac_gguf_n_tensors(g);
    *n = (uint32_t)count;
    for (int64_t i = 0; i < count; i++) {
        llamac_tensor_info t;
        if (llamac_gguf_tensor(g, i, &t) != LLAMAC_OK) continue; /* i < count: cannot fail */
        h = fnv(h, t.name, strlen(t.name) + 1);
        h = fnv_u64(h, (uint64_t)t.type);
        h = fnv_u64(h, t.n_dims);
        for (uint32_t d = 0; d < t.n_dims; d++) h = fnv_u64(h, (uint64_t)t.ne[d]);
    }
    return h;
}

/* Every token's text, score and type, and the special ids. */
static uint64_t vocab_hash(const llamac_vocab *v) {
    if (!v) return 0;
    uint64_t h = FNV_OFFSET;
    const int32_t n = llamac_vocab_n_tokens(v);
    h = fnv_u64(h, (uint64_t)n);
    for (int32_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *text = llamac_vocab_token_text(v, i, &len);
        h = fnv_u64(h, len);
        if (text) h = fnv(h, text, len);
        const float score = llamac_vocab_token_score(v, i);
        uint32_t bits;
        memcpy(&bits, &score, 4);
        h = fnv_u64(h, bits);
        h = fnv_u64(h, (uint64_t)llamac_vocab_token_type(v, i));
    }
    const llamac_token special[] = {llamac_vocab_bos(v), llamac_vocab_eos(v), llamac_vocab_eot(v),
                                    llamac_vocab_unk(v), llamac_vocab_pad(v)};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) h = fnv_u64(h, (uint64_t)(uint32_t)special[i]);
    return h;
}

void lc_fingerprint_of(const llamac_model *model, lc_fingerprint *fp) {
    memset(fp, 0, sizeof *fp);
    const lc_hparams *hp = &model->hp;
    const char *arch = NULL;
    if (llamac_gguf_get_string(model->gguf, "general.architecture", &arch, NULL) != LLAMAC_OK || !arch)
        arch = "llama"; /* the loader accepted the file: llama is what it runs */
    strncpy(fp->arch, arch, sizeof fp->arch - 1);
    fp->n_vocab = hp->n_vocab;
    fp->n_ctx_train = hp->n_ctx_train;
    fp->n_embd = hp->n_embd;
    fp->n_layer = hp->n_layer;
    fp->n_head = hp->n_head;
    fp->n_head_kv = hp->n_head_kv;
    fp->n_ff = hp->n_ff;
    fp->head_dim = hp->head_dim;
    fp->n_rot = hp->n_rot;
    fp->rms_eps = hp->rms_eps;
    fp->rope_base = hp->rope_base;
    fp->rope_freq_scale = hp->rope_freq_scale;
    fp->tensors_hash = tensors_hash(model->gguf, &fp->n_tensors);
    fp->vocab_hash = vocab_hash(model->vocab);
}

static bool same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

#define DIFF(field, fmt)                                                                                    \
    if (file->field != model->field)                                                                        \
    return lc_fail(LLAMAC_ERR_MISMATCH, "model fingerprint: " #field " is " fmt " in the state, " fmt       \
                   " in this model", file->field, model->field)

llamac_status lc_fingerprint_check(const lc_fingerprint *file, const lc_fingerprint *model) {
    if (strncmp(file->arch, model->arch, sizeof file->arch) != 0)
        return lc_fail(LLAMAC_ERR_MISMATCH, "model fingerprint: architecture is '%s' in the state, '%s' in this model",
                       file->arch, model->arch);
    DIFF(n_vocab, "%d");
    DIFF(n_ctx_train, "%d");
    DIFF(n_embd, "%d");
    DIFF(n_layer, "%d");
    DIFF(n_head, "%d");
    DIFF(n_head_kv, "%d");
    DIFF(n_ff, "%d");
    DIFF(head_dim, "%d");
    DIFF(n_rot, "%d");
    if (!same_float(file->rms_eps, model->rms_eps))
        return lc_fail(LLAMAC_ERR_MISMATCH, "model fingerprint: rms_eps is %g in the state, %g in this model",
                       (double)file->rms_eps, (double)model->rms_eps);
    if (!same_float(file->rope_base, model->rope_base))
        return lc_fail(LLAMAC_ERR_MISMATCH, "model fingerprint: rope_base is %g in the state, %g in this model",
                       (double)file->rope_base, (double)model->rope_base);
    if (!same_float(file->rope_freq_scale, model->rope_freq_scale))
        return lc_fail(LLAMAC_ERR_MISMATCH,
                       "model fingerprint: rope_freq_scale is %g in the state, %g in this model",
                       (double)file->rope_freq_scale, (double)model->rope_freq_scale);
    DIFF(n_tensors, "%u");
    if (file->tensors_hash != model->tensors_hash)
        return lc_fail(LLAMAC_ERR_MISMATCH,
                       "model fingerprint: the tensor table (names, types, shapes) differs: hash %016llx in the "
                       "state, %016llx in this model (same shape, other weight types?)",
                       (unsigned long long)file->tensors_hash, (unsigned long long)model->tensors_hash);
    if (file->vocab_hash != model->vocab_hash)
        return lc_fail(LLAMAC_ERR_MISMATCH,
                       "model fingerprint: the vocabulary differs: hash %016llx in the state, %016llx in this model",
                       (unsigned long long)file->vocab_hash, (unsigned long long)model->vocab_hash);
    return LLAMAC_OK;
}
