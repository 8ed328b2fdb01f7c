/* Loading a llama-architecture GGUF: hyperparameters from the llama.* keys,
 * then every tensor found by name and checked for shape and type. Weights
 * stay where the GGUF reader put them (the mapping or its buffer). */
#include "model.h"

#include "vocab/vocab.h"
#include "common/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void llamac_model_params_init(llamac_model_params *params, size_t size) {
    static const llamac_model_params defaults = {
        .use_mmap = true,
        .repack = true,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

/* ---- hyperparameters ---- */

/* A getter's status as the loader reports it: an absent optional key is
 * *absent (and OK), an absent required one NOT_FOUND, any other failure
 * (a value of the wrong type) prefixed with the key. */
static llamac_status key_status(llamac_status st, const char *key, bool required, bool *absent) {
    *absent = st == LLAMAC_ERR_NOT_FOUND;
    if (*absent) return required ? lc_fail(st, "model: required key %s is missing", key) : LLAMAC_OK;
    if (st != LLAMAC_OK) lc_error_prefix("model: key %s", key);
    return st;
}

/* An optional key that is not there: tolerated, and asked without a getter
 * so that no message is left behind. */
static bool optional_absent(const llamac_gguf *g, const char *key, bool required) {
    return !required && llamac_gguf_find_key(g, key) < 0;
}

/* An unsigned key that must fit an int32 and be >= min (`def` when absent
 * and not required). */
static llamac_status key_i32(const llamac_gguf *g, const char *key, bool required, int32_t def, int32_t min,
                             int32_t *out) {
    uint32_t v;
    bool absent;
    if (optional_absent(g, key, required)) {
        *out = def;
        return LLAMAC_OK;
    }
    llamac_status st = key_status(llamac_gguf_get_u32(g, key, &v), key, required, &absent);
    if (st != LLAMAC_OK) return st; /* present, or required: `absent` cannot be set here */
    if (v > INT32_MAX || (int32_t)v < min)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: key %s is %u, expected %d..%d", key, v, min, INT32_MAX);
    *out = (int32_t)v;
    return LLAMAC_OK;
}

/* A float key that must be finite (`def` when absent and not required). */
static llamac_status key_f32(const llamac_gguf *g, const char *key, bool required, float def, float *out) {
    float v;
    bool absent;
    if (optional_absent(g, key, required)) {
        *out = def;
        return LLAMAC_OK;
    }
    llamac_status st = key_status(llamac_gguf_get_f32(g, key, &v), key, required, &absent);
    if (st != LLAMAC_OK) return st; /* present, or required: `absent` cannot be set here */
    if (!isfinite(v)) return lc_fail(LLAMAC_ERR_FORMAT, "model: key %s is %g, expected a finite number", key, v);
    *out = v;
    return LLAMAC_OK;
}

static llamac_status read_rope_scaling(const llamac_gguf *g, lc_hparams *hp) {
    const char *type = NULL;
    bool absent = llamac_gguf_find_key(g, "llama.rope.scaling.type") < 0; /* no message left */
    llamac_status st = absent ? LLAMAC_OK
                              : key_status(llamac_gguf_get_string(g, "llama.rope.scaling.type", &type, NULL),
                                           "llama.rope.scaling.type", false, &absent);
    if (st != LLAMAC_OK) return st;
    if (!absent && strcmp(type, "none") != 0 && strcmp(type, "linear") != 0)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "model: llama.rope.scaling.type is \"%s\"; only \"none\" and \"linear\" are supported", type);
    /* The factor applies whenever present, as in the reference; older files
     * spell it rope.scale_linear. 0 means no scaling. */
    const char *key = "llama.rope.scaling.factor";
    if (llamac_gguf_find_key(g, key) < 0) key = "llama.rope.scale_linear";
    float factor = 0.0f;
    st = key_f32(g, key, false, 0.0f, &factor);
    if (st != LLAMAC_OK) return st;
    if (factor < 0.0f) return lc_fail(LLAMAC_ERR_FORMAT, "model: key %s is %g, expected >= 0", key, factor);
    hp->rope_freq_scale = factor == 0.0f ? 1.0f : 1.0f / factor;
    /* A subnormal factor makes the scale +inf, and every angle inf or NaN. */
    if (!isfinite(hp->rope_freq_scale))
        return lc_fail(LLAMAC_ERR_FORMAT, "model: key %s is %g, too small to invert as a float", key,
                       (double)factor);
    return LLAMAC_OK;
}

/* The head size. As in the reference, key_length and value_length each
 * default to embedding_length / head_count; llamac needs them equal. Each
 * check names the keys that disagree, in the order a reader would look:
 * how heads group, whether the size is defined, whether keys and values
 * agree, whether a head is usable. `basis` receives how the head size was
 * found, for later messages. key_len and val_len are 0 when absent. */
static llamac_status size_heads(lc_hparams *hp, int32_t key_len, int32_t val_len, char *basis, size_t basis_size) {
    if (hp->n_head % hp->n_head_kv != 0)
        return lc_fail(LLAMAC_ERR_FORMAT,
                       "model: llama.attention.head_count (%d) is not a multiple of llama.attention.head_count_kv "
                       "(%d): each KV head serves a whole group of query heads",
                       hp->n_head, hp->n_head_kv);
    char split_basis[96];
    snprintf(split_basis, sizeof split_basis, "llama.embedding_length %d / llama.attention.head_count %d",
             hp->n_embd, hp->n_head);
    int32_t split = 0;
    if (!key_len || !val_len) {
        if (hp->n_embd % hp->n_head != 0)
            return lc_fail(LLAMAC_ERR_FORMAT,
                           "model: llama.attention.head_count %d does not divide llama.embedding_length %d into "
                           "heads of equal size (and the file does not give llama.attention.%s)",
                           hp->n_head, hp->n_embd, key_len ? "value_length" : "key_length");
        split = hp->n_embd / hp->n_head;
    }
    char key_basis[96], val_basis[96];
    snprintf(key_basis, sizeof key_basis, "llama.attention.key_length %d", key_len);
    snprintf(val_basis, sizeof val_basis, "llama.attention.value_length %d", val_len);
    const int32_t k = key_len ? key_len : split, v = val_len ? val_len : split;
    snprintf(basis, basis_size, "%s", key_len ? key_basis : split_basis);
    if ((int64_t)k * hp->n_head > INT32_MAX)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: llama.attention.head_count %d x head size %d (%s) overflows",
                       hp->n_head, k, basis);
    if (k != v)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "model: the key head size %d (%s) differs from the value head size %d (%s); llamac needs "
                       "one head size for both",
                       k, basis, v, val_len ? val_basis : split_basis);
    hp->head_dim = k;
    /* Rotary embedding turns pairs of dimensions: a head needs one pair. */
    if (k < 2)
        return lc_fail(LLAMAC_ERR_FORMAT,
                       "model: a head size of %d (%s) is too small: rotary position embedding needs at least 2 "
                       "dimensions per head",
                       k, basis);
    return LLAMAC_OK;
}

/* llama.rope.dimension_count: how many of a head's dimensions rotate, an
 * even number from 2 to the head size; absent, the whole head. */
static llamac_status read_rope_dims(const llamac_gguf *g, lc_hparams *hp, const char *head_basis) {
    const char *key = "llama.rope.dimension_count";
    uint32_t n_rot;
    bool absent;
    llamac_status st = key_status(llamac_gguf_get_u32(g, key, &n_rot), key, false, &absent);
    if (st != LLAMAC_OK) return st;
    if (absent) {
        if (hp->head_dim % 2 != 0)
            return lc_fail(LLAMAC_ERR_FORMAT,
                           "model: %s is absent, so all %d dimensions of a head (%s) would rotate, but rotary "
                           "position embedding turns pairs: the file must give an even %s",
                           key, hp->head_dim, head_basis, key);
        hp->n_rot = hp->head_dim;
        return LLAMAC_OK;
    }
    if (n_rot < 2 || n_rot % 2 != 0 || n_rot > (uint32_t)hp->head_dim)
        return lc_fail(LLAMAC_ERR_FORMAT,
                       "model: %s is %u; expected an even number from 2 to the head size %d (%s)", key, n_rot,
                       hp->head_dim, head_basis);
    hp->n_rot = (int32_t)n_rot;
    return LLAMAC_OK;
}

static llamac_status read_hparams(const llamac_gguf *g, lc_hparams *hp) {
    const char *arch = NULL;
    bool absent;
    llamac_status st =
        key_status(llamac_gguf_get_string(g, "general.architecture", &arch, NULL), "general.architecture", true,
                   &absent);
    if (st != LLAMAC_OK) return st;
    if (strcmp(arch, "llama") != 0)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "model: architecture \"%s\" is not supported (only \"llama\")", arch);

    int32_t n_expert = 0, key_len = 0, val_len = 0;
    if ((st = key_i32(g, "llama.context_length", true, 0, 1, &hp->n_ctx_train)) ||
        (st = key_i32(g, "llama.embedding_length", true, 0, 1, &hp->n_embd)) ||
        (st = key_i32(g, "llama.block_count", true, 0, 1, &hp->n_layer)) ||
        (st = key_i32(g, "llama.feed_forward_length", true, 0, 1, &hp->n_ff)) ||
        (st = key_i32(g, "llama.attention.head_count", true, 0, 1, &hp->n_head)) ||
        (st = key_i32(g, "llama.attention.head_count_kv", false, hp->n_head, 1, &hp->n_head_kv)) ||
        (st = key_i32(g, "llama.expert_count", false, 0, 0, &n_expert)) ||
        (st = key_i32(g, "llama.attention.key_length", false, 0, 1, &key_len)) ||
        (st = key_i32(g, "llama.attention.value_length", false, 0, 1, &val_len)) ||
        (st = key_f32(g, "llama.attention.layer_norm_rms_epsilon", true, 0.0f, &hp->rms_eps)) ||
        (st = key_f32(g, "llama.rope.freq_base", false, 10000.0f, &hp->rope_base)) ||
        (st = read_rope_scaling(g, hp)))
        return st;

    if (n_expert > 0)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "model: llama.expert_count is %d; mixture-of-experts models are not supported",
                       n_expert);
    char head_basis[160];
    if ((st = size_heads(hp, key_len, val_len, head_basis, sizeof head_basis)) ||
        (st = read_rope_dims(g, hp, head_basis)))
        return st;
    if (hp->rms_eps < 0.0f)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: llama.attention.layer_norm_rms_epsilon is %g, expected >= 0",
                       hp->rms_eps);
    if (!(hp->rope_base > 0.0f))
        return lc_fail(LLAMAC_ERR_FORMAT, "model: llama.rope.freq_base is %g, expected > 0", hp->rope_base);
    /* The angle step between pairs is base^(-2/n_rot); if it overflows, the
     * angles are inf * 0 = NaN from position 0 on. */
    if (!isfinite(powf(hp->rope_base, -2.0f / (float)hp->n_rot)))
        return lc_fail(LLAMAC_ERR_FORMAT,
                       "model: llama.rope.freq_base is %g, too small: base^(-2/%d) overflows a float",
                       (double)hp->rope_base, hp->n_rot);
    /* Each block has nine tensors: a block_count the file cannot back is
     * refused before anything is sized by it. */
    if ((int64_t)hp->n_layer * 9 > llamac_gguf_n_tensors(g))
        return lc_fail(LLAMAC_ERR_FORMAT, "model: llama.block_count is %d but the file has only %lld tensors",
                       hp->n_layer, (long long)llamac_gguf_n_tensors(g));
    return LLAMAC_OK;
}

/* ---- tensors ---- */

static const char *type_name(llamac_type t) {
    const char *n = llamac_type_name(t);
    return n ? n : "(invalid)";
}

/* Finds `name`; *found false (and OK) when absent and not required. */
static llamac_status find_tensor(const llamac_gguf *g, const char *name, bool required, llamac_tensor_info *ti,
                                 bool *found) {
    int64_t idx = llamac_gguf_find_tensor(g, name);
    *found = idx >= 0;
    if (idx < 0)
        return required ? lc_fail(LLAMAC_ERR_NOT_FOUND, "model: required tensor %s is missing", name) : LLAMAC_OK;
    llamac_status st = llamac_gguf_tensor(g, idx, ti);
    if (st != LLAMAC_OK) return st;
    /* Rows are read as floats or as blocks with 2- and 4-byte fields. */
    if ((uintptr_t)ti->data % 4 != 0)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: tensor %s data at file offset %llu is not 4-byte aligned", name,
                       (unsigned long long)(llamac_gguf_data_offset(g) + ti->offset));
    return LLAMAC_OK;
}

/* The keys each tensor's dimensions follow from (head size: see size_heads). */
#define BASIS_EMBD "[llama.embedding_length]"
#define BASIS_Q "[llama.embedding_length, llama.attention.head_count x head size]"
#define BASIS_KV "[llama.embedding_length, llama.attention.head_count_kv x head size]"
#define BASIS_O "[llama.attention.head_count x head size, llama.embedding_length]"
#define BASIS_FF "[llama.embedding_length, llama.feed_forward_length]"
#define BASIS_DOWN "[llama.feed_forward_length, llama.embedding_length]"
#define BASIS_VOCAB "[llama.embedding_length, token_embd.weight's row count]"

/* Shape must be exactly [ne0] (ne1 == 0) or [ne0, ne1]. `basis` names the
 * keys the expected dimensions come from: a wrong key shows up as a
 * mis-shaped tensor, and the message must point at both. */
static llamac_status check_shape(const llamac_tensor_info *ti, int64_t ne0, int64_t ne1, const char *basis) {
    bool ok = ti->ne[0] == ne0 && ti->ne[1] == (ne1 ? ne1 : 1) && ti->ne[2] == 1 && ti->ne[3] == 1;
    if (ok) return LLAMAC_OK;
    char want[64];
    if (ne1) snprintf(want, sizeof want, "[%lld, %lld]", (long long)ne0, (long long)ne1);
    else snprintf(want, sizeof want, "[%lld]", (long long)ne0);
    return lc_fail(LLAMAC_ERR_FORMAT, "model: tensor %s has shape [%lld, %lld, %lld, %lld], expected %s = %s", ti->name,
                   (long long)ti->ne[0], (long long)ti->ne[1], (long long)ti->ne[2], (long long)ti->ne[3], want,
                   basis);
}

static llamac_status norm_vector(const llamac_gguf *g, const char *name, int64_t n, const char *basis,
                                 bool required, const float **out) {
    llamac_tensor_info ti;
    bool found;
    *out = NULL;
    llamac_status st = find_tensor(g, name, required, &ti, &found);
    if (st != LLAMAC_OK || !found) return st;
    if ((st = check_shape(&ti, n, 0, basis))) return st;
    if (ti.type != LLAMAC_TYPE_F32)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "model: tensor %s has type %s, expected F32", name, type_name(ti.type));
    *out = ti.data;
    return LLAMAC_OK;
}

/* A matrix of n_out rows by n_in. `for_matmul`: it multiplies activations
 * (needs vec_dot); otherwise rows are only decoded (token embeddings). */
static llamac_status weight_view(const llamac_tensor_info *ti, int64_t n_in, int64_t n_out, const char *basis,
                                 bool for_matmul, lc_weight *w) {
    llamac_status st = check_shape(ti, n_in, n_out, basis);
    if (st != LLAMAC_OK) return st;
    const lc_type_traits *tr = lc_scalar_traits(ti->type);
    if (!tr || !tr->to_float || (for_matmul && !tr->vec_dot))
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "model: tensor %s has type %s, which llamac cannot compute on",
                       ti->name, type_name(ti->type));
    if (for_matmul) {
        const lc_type_traits *act = lc_scalar_traits(tr->vec_dot_type);
        int64_t bs = llamac_type_block_size(tr->vec_dot_type);
        if (!act || !act->from_float || bs <= 0 || n_in % bs != 0)
            return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                           "model: tensor %s: rows of %lld elements cannot be multiplied as %s (blocks of %lld)",
                           ti->name, (long long)n_in, type_name(tr->vec_dot_type), (long long)bs);
    }
    w->name = ti->name;
    w->data = ti->data;
    w->type = ti->type;
    w->n_in = n_in;
    w->n_out = n_out;
    w->row_bytes = (size_t)(ti->n_bytes / (uint64_t)n_out);
    w->vec_dot_type = tr->vec_dot_type;
    return LLAMAC_OK;
}

static llamac_status matrix(const llamac_gguf *g, const char *name, int64_t n_in, int64_t n_out, const char *basis,
                            lc_weight *w) {
    llamac_tensor_info ti;
    bool found;
    llamac_status st = find_tensor(g, name, true, &ti, &found);
    return st != LLAMAC_OK ? st : weight_view(&ti, n_in, n_out, basis, true, w);
}

static llamac_status load_layer(llamac_model *m, int32_t il) {
    const lc_hparams *hp = &m->hp;
    const llamac_gguf *g = m->gguf;
    lc_layer *L = &m->layers[il];
    const int64_t n_q = (int64_t)hp->n_head * hp->head_dim, n_kv = (int64_t)hp->n_head_kv * hp->head_dim;
    char name[96];
    llamac_status st;
#define NAME(suffix) (snprintf(name, sizeof name, "blk.%d." suffix, il), name)
    static const char *const biases[] = {"attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.bias",
                                         "ffn_gate.bias", "ffn_up.bias", "ffn_down.bias"};
    for (size_t i = 0; i < sizeof biases / sizeof biases[0]; i++) {
        snprintf(name, sizeof name, "blk.%d.%s", il, biases[i]);
        if (llamac_gguf_find_tensor(g, name) >= 0)
            return lc_fail(LLAMAC_ERR_UNSUPPORTED, "model: tensor %s: linear-layer biases are not supported", name);
    }
    if ((st = norm_vector(g, NAME("attn_norm.weight"), hp->n_embd, BASIS_EMBD, true, &L->attn_norm)) ||
        (st = matrix(g, NAME("attn_q.weight"), hp->n_embd, n_q, BASIS_Q, &L->wq)) ||
        (st = matrix(g, NAME("attn_k.weight"), hp->n_embd, n_kv, BASIS_KV, &L->wk)) ||
        (st = matrix(g, NAME("attn_v.weight"), hp->n_embd, n_kv, BASIS_KV, &L->wv)) ||
        (st = matrix(g, NAME("attn_output.weight"), n_q, hp->n_embd, BASIS_O, &L->wo)) ||
        (st = norm_vector(g, NAME("ffn_norm.weight"), hp->n_embd, BASIS_EMBD, true, &L->ffn_norm)) ||
        (st = matrix(g, NAME("ffn_gate.weight"), hp->n_embd, hp->n_ff, BASIS_FF, &L->w_gate)) ||
        (st = matrix(g, NAME("ffn_up.weight"), hp->n_embd, hp->n_ff, BASIS_FF, &L->w_up)) ||
        (st = matrix(g, NAME("ffn_down.weight"), hp->n_ff, hp->n_embd, BASIS_DOWN, &L->w_down)))
        return st;
#undef NAME
    return LLAMAC_OK;
}

static llamac_status load_globals(llamac_model *m) {
    const llamac_gguf *g = m->gguf;
    lc_hparams *hp = &m->hp;
    llamac_tensor_info ti;
    bool found;
    llamac_status st = find_tensor(g, "token_embd.weight", true, &ti, &found);
    if (st != LLAMAC_OK) return st;
    if (ti.ne[1] < 1 || ti.ne[1] > INT32_MAX)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: tensor token_embd.weight has %lld rows, expected 1..%d",
                       (long long)ti.ne[1], INT32_MAX);
    hp->n_vocab = (int32_t)ti.ne[1];
    int32_t vocab_key = 0;
    if ((st = key_i32(g, "llama.vocab_size", false, hp->n_vocab, 1, &vocab_key))) return st;
    if (vocab_key != hp->n_vocab)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: llama.vocab_size is %d but token_embd.weight has %d rows", vocab_key,
                       hp->n_vocab);

    llamac_tensor_info out;
    if ((st = find_tensor(g, "output.weight", false, &out, &found))) return st;
    m->tied_output = !found;
    /* Tied (Llama 3.2 style): the embedding matrix is also the output
     * projection, so it must support vec_dot as well. */
    if ((st = weight_view(&ti, hp->n_embd, hp->n_vocab, BASIS_VOCAB, m->tied_output, &m->tok_embd))) return st;
    if (m->tied_output) m->output = m->tok_embd;
    else if ((st = weight_view(&out, hp->n_embd, hp->n_vocab, BASIS_VOCAB, true, &m->output))) return st;

    if ((st = norm_vector(g, "output_norm.weight", hp->n_embd, BASIS_EMBD, true, &m->output_norm)) ||
        (st = norm_vector(g, "rope_freqs.weight", hp->n_rot / 2, "[llama.rope.dimension_count / 2]", false,
                          &m->rope_freqs)))
        return st;
    /* Each pair's angle is divided by its factor: zero, negative or
     * non-finite factors give infinite or NaN angles. */
    for (int32_t i = 0; m->rope_freqs && i < hp->n_rot / 2; i++)
        if (!isfinite(m->rope_freqs[i]) || !(m->rope_freqs[i] > 0.0f))
            return lc_fail(LLAMAC_ERR_FORMAT, "model: tensor rope_freqs.weight element %d is %g, expected a finite "
                           "number > 0", i, (double)m->rope_freqs[i]);
    return LLAMAC_OK;
}

/* The tokenizer, when the file has one. Its token count must match the
 * embedding rows, as in the reference: a token id the vocabulary produces
 * must name a row. */
static llamac_status load_vocab(llamac_model *m) {
    if (llamac_gguf_find_key(m->gguf, "tokenizer.ggml.model") < 0) return LLAMAC_OK;
    llamac_status st = lc_vocab_from_gguf(m->gguf, &m->env, &m->vocab);
    if (st != LLAMAC_OK) return st;
    const int32_t n_tokens = llamac_vocab_n_tokens(m->vocab);
    if (n_tokens != m->hp.n_vocab)
        return lc_fail(LLAMAC_ERR_FORMAT, "model: the vocabulary has %d tokens but token_embd.weight has %d rows",
                       n_tokens, m->hp.n_vocab);
    return LLAMAC_OK;
}

/* ---- whole-file facts ---- */

static llamac_status summarize(llamac_model *m) {
    const llamac_gguf *g = m->gguf;
    int64_t count[LLAMAC_TYPE_COUNT] = {0};
    int64_t n = llamac_gguf_n_tensors(g);
    for (int64_t i = 0; i < n; i++) {
        llamac_tensor_info ti;
        llamac_status st = llamac_gguf_tensor(g, i, &ti);
        if (st != LLAMAC_OK) return st;
        uint64_t elems = 1;
        for (uint32_t d = 0; d < 4; d++) elems *= (uint64_t)ti.ne[d]; /* the reader bounded sizes */
        m->n_params += elems;
        m->n_bytes += ti.n_bytes;
        if ((unsigned)ti.type < LLAMAC_TYPE_COUNT) count[ti.type]++;
    }
    const lc_hparams *hp = &m->hp;
    char buf[512];
    int len = snprintf(buf, sizeof buf,
                       "llama: %d layers, n_embd %d, %d heads (%d KV) of %d, n_ff %d, vocab %d%s; tensors", hp->n_layer,
                       hp->n_embd, hp->n_head, hp->n_head_kv, hp->head_dim, hp->n_ff, hp->n_vocab,
                       m->tied_output ? ", tied output" : "");
    const char *sep = " ";
    for (int t = 0; t < LLAMAC_TYPE_COUNT && len > 0 && (size_t)len < sizeof buf; t++) {
        if (!count[t]) continue;
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%lld x %s", sep, (long long)count[t],
                        type_name((llamac_type)t));
        sep = ", ";
    }
    m->desc = lc_strdup(&m->env, buf);
    return m->desc ? LLAMAC_OK : LLAMAC_ERR_NO_MEMORY;
}

/* ---- public ---- */

static bool report(const llamac_model_params *p, float fraction) {
    return !p->progress || p->progress(fraction, p->progress_user);
}

static llamac_status cancelled(float fraction) {
    return lc_fail(LLAMAC_ERR_CANCELLED, "model load cancelled by the progress callback at %.0f%%",
                   (double)(fraction * 100.0f));
}

llamac_status llamac_model_load(const char *path, const llamac_model_params *params, llamac_model **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_load: out is NULL");
    *out = NULL;
    if (!path) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_model_load: path is NULL");
    llamac_model_params p;
    llamac_model_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, params, "llamac_model_load", "llamac_model");
    if (params_st) return params_st;

    lc_env env;
    lc_env_init(&env, p.allocator, p.log_fn, p.log_user);
    llamac_model *m = lc_calloc(&env, 1, sizeof *m);
    if (!m) return LLAMAC_ERR_NO_MEMORY;
    m->env = env;

    llamac_status st = LLAMAC_OK;
    if (!report(&p, 0.0f)) {
        st = cancelled(0.0f);
        goto fail;
    }
    llamac_gguf_params gp = llamac_gguf_default_params();
    gp.use_mmap = p.use_mmap;
    gp.allocator = p.allocator;
    gp.log_fn = p.log_fn;
    gp.log_user = p.log_user;
    if ((st = llamac_gguf_open(path, &gp, &m->gguf))) goto fail;
    if ((st = read_hparams(m->gguf, &m->hp)) || (st = load_globals(m))) goto fail;

    m->layers = lc_calloc(&m->env, (size_t)m->hp.n_layer, sizeof *m->layers);
    if (!m->layers) {
        st = LLAMAC_ERR_NO_MEMORY;
        goto fail;
    }
    for (int32_t il = 0; il < m->hp.n_layer; il++) {
        if ((st = load_layer(m, il))) goto fail;
        float fraction = (float)(il + 1) / (float)(m->hp.n_layer + 1);
        if (!report(&p, fraction)) {
            st = cancelled(fraction);
            goto fail;
        }
    }
    if ((st = load_vocab(m)) || (st = summarize(m))) goto fail;
    /* last: it never fails the load (out of memory leaves matrices in the file) */
    if (p.repack) lc_model_repack(m);
    if (!report(&p, 1.0f)) {
        st = cancelled(1.0f);
        goto fail;
    }
    lc_log(&m->env, LLAMAC_LOG_INFO, "loaded %s: %s", path, m->desc);
    *out = m;
    return LLAMAC_OK;

fail:
    if (st != LLAMAC_ERR_CANCELLED && st != LLAMAC_ERR_NO_MEMORY) lc_error_prefix("loading %s", path);
    llamac_model_free(m);
    return st;
}

void llamac_model_free(llamac_model *model) {
    if (!model) return;
    lc_env env = model->env;
    lc_vocab_destroy(model->vocab);
    lc_model_free_packed(model);
    llamac_gguf_free(model->gguf);
    lc_free(&env, model->layers);
    lc_free(&env, model->desc);
    lc_free(&env, model);
}

/* Getters: a NULL model gives the neutral value (0, 0.0f, NULL), no message. */
int32_t llamac_model_n_vocab(const llamac_model *model) { return model ? model->hp.n_vocab : 0; }
int32_t llamac_model_n_ctx_train(const llamac_model *model) { return model ? model->hp.n_ctx_train : 0; }
int32_t llamac_model_n_embd(const llamac_model *model) { return model ? model->hp.n_embd : 0; }
int32_t llamac_model_n_layer(const llamac_model *model) { return model ? model->hp.n_layer : 0; }
int32_t llamac_model_n_head(const llamac_model *model) { return model ? model->hp.n_head : 0; }
int32_t llamac_model_n_head_kv(const llamac_model *model) { return model ? model->hp.n_head_kv : 0; }
int32_t llamac_model_n_ff(const llamac_model *model) { return model ? model->hp.n_ff : 0; }
float llamac_model_rope_freq_base(const llamac_model *model) { return model ? model->hp.rope_base : 0.0f; }
const char *llamac_model_desc(const llamac_model *model) { return model ? model->desc : NULL; }
uint64_t llamac_model_size(const llamac_model *model) { return model ? model->n_bytes : 0; }
uint64_t llamac_model_n_params(const llamac_model *model) { return model ? model->n_params : 0; }
const llamac_gguf *llamac_model_gguf(const llamac_model *model) { return model ? model->gguf : NULL; }
const llamac_vocab *llamac_model_vocab(const llamac_model *model) { return model ? model->vocab : NULL; }
