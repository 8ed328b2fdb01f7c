/* File types and the choice of encoding per tensor.
 *
 * The choice mirrors llama.cpp's llama_tensor_get_type (src/llama-quant.cpp
 * at c392e50) for the llama architecture without an importance matrix, so
 * that a llamac-quantized file has the same mix as llama-quantize's. Two
 * details of llama.cpp are kept on purpose:
 *   - "more bits" layers are counted by a running index of attn_v and
 *     ffn_down tensors in llama.cpp's tensor order, which sorts by layer
 *     number; for a llama model that index is the layer number, so it is
 *     read from the name ("blk.N.").
 *   - names are matched by substring, as there ("attn_v.weight" anywhere).
 * Mixture-of-experts rules are left out: llamac does not run such models. */
#include "quantize.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct ftype_row {
    llamac_ftype ftype;
    const char *name;
    llamac_type base;
} ftype_row;

static const ftype_row ftypes[] = {
    {LLAMAC_FTYPE_ALL_F32, "F32", LLAMAC_TYPE_F32},
    {LLAMAC_FTYPE_MOSTLY_F16, "F16", LLAMAC_TYPE_F16},
    {LLAMAC_FTYPE_MOSTLY_BF16, "BF16", LLAMAC_TYPE_BF16},
    {LLAMAC_FTYPE_MOSTLY_Q8_0, "Q8_0", LLAMAC_TYPE_Q8_0},
    {LLAMAC_FTYPE_MOSTLY_Q4_0, "Q4_0", LLAMAC_TYPE_Q4_0},
    {LLAMAC_FTYPE_MOSTLY_Q4_1, "Q4_1", LLAMAC_TYPE_Q4_1},
    {LLAMAC_FTYPE_MOSTLY_Q5_0, "Q5_0", LLAMAC_TYPE_Q5_0},
    {LLAMAC_FTYPE_MOSTLY_Q5_1, "Q5_1", LLAMAC_TYPE_Q5_1},
    {LLAMAC_FTYPE_MOSTLY_Q2_K, "Q2_K", LLAMAC_TYPE_Q2_K},
    {LLAMAC_FTYPE_MOSTLY_Q3_K_S, "Q3_K_S", LLAMAC_TYPE_Q3_K},
    {LLAMAC_FTYPE_MOSTLY_Q3_K_M, "Q3_K_M", LLAMAC_TYPE_Q3_K},
    {LLAMAC_FTYPE_MOSTLY_Q3_K_L, "Q3_K_L", LLAMAC_TYPE_Q3_K},
    {LLAMAC_FTYPE_MOSTLY_Q4_K_S, "Q4_K_S", LLAMAC_TYPE_Q4_K},
    {LLAMAC_FTYPE_MOSTLY_Q4_K_M, "Q4_K_M", LLAMAC_TYPE_Q4_K},
    {LLAMAC_FTYPE_MOSTLY_Q5_K_S, "Q5_K_S", LLAMAC_TYPE_Q5_K},
    {LLAMAC_FTYPE_MOSTLY_Q5_K_M, "Q5_K_M", LLAMAC_TYPE_Q5_K},
    {LLAMAC_FTYPE_MOSTLY_Q6_K, "Q6_K", LLAMAC_TYPE_Q6_K},
    {LLAMAC_FTYPE_MOSTLY_IQ4_NL, "IQ4_NL", LLAMAC_TYPE_IQ4_NL},
    {LLAMAC_FTYPE_MOSTLY_IQ4_XS, "IQ4_XS", LLAMAC_TYPE_IQ4_XS},
};
#define N_FTYPES (sizeof ftypes / sizeof ftypes[0])

static const ftype_row *ftype_find(llamac_ftype ftype) {
    for (size_t i = 0; i < N_FTYPES; i++)
        if (ftypes[i].ftype == ftype) return &ftypes[i];
    return NULL;
}

const char *llamac_ftype_name(llamac_ftype ftype) {
    const ftype_row *r = ftype_find(ftype);
    return r ? r->name : NULL;
}

llamac_type lc_ftype_base_type(llamac_ftype ftype) {
    const ftype_row *r = ftype_find(ftype);
    return r ? r->base : LLAMAC_TYPE_COUNT;
}

static bool same_name(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return false;
    return *a == *b;
}

llamac_status llamac_ftype_from_name(const char *name, llamac_ftype *out) {
    LC_REQUIRE(name);
    LC_REQUIRE(out);
    for (size_t i = 0; i < N_FTYPES; i++) {
        if (same_name(name, ftypes[i].name)) {
            *out = ftypes[i].ftype;
            return LLAMAC_OK;
        }
    }
    char list[256];
    size_t pos = 0;
    for (size_t i = 0; i < N_FTYPES && pos < sizeof list; i++)
        pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "", ftypes[i].name);
    return lc_fail(LLAMAC_ERR_NOT_FOUND, "unknown file type '%.64s'; known: %s", name, list);
}

/* ---- which tensors ---- */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

static bool contains(const char *s, const char *part) { return strstr(s, part) != NULL; }

bool lc_quant_wants(const char *name, uint32_t n_dims) {
    if (!ends_with(name, "weight") || n_dims < 2) return false;
    /* norms, expert gates, position/type embeddings and the small 2-D
     * tensors of other architectures stay as they are (llama.cpp's list) */
    static const char *const keep_parts[] = {
        "_norm.weight",           "ffn_gate_inp.weight",      "ssm_conv1d.weight",
        "time_mix_first.weight",  "time_mix_w1.weight",       "time_mix_w2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight",
    };
    for (size_t i = 0; i < sizeof keep_parts / sizeof keep_parts[0]; i++)
        if (contains(name, keep_parts[i])) return false;
    return strcmp(name, "position_embd.weight") && strcmp(name, "token_types.weight");
}

/* ---- which encoding ---- */

/* llama.cpp's use_more_bits: the first and last eighth of the layers and
 * every third layer in between. */
static bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static int layer_of(const char *name) {
    int layer = 0;
    if (sscanf(name, "blk.%d.", &layer) != 1 || layer < 0) layer = 0;
    return layer;
}

static bool is_ftype(llamac_ftype f, llamac_ftype a, llamac_ftype b) { return f == a || f == b; }

/* The per-name rules, before the row-length fallback. */
static llamac_type pick(llamac_ftype ft, const lc_quant_model *m, const char *name, int64_t ne0,
                        llamac_type base) {
    const int n_gqa = m->n_head_kv > 0 ? m->n_head / m->n_head_kv : 1;
    /* llama.cpp's LLM_TYPE_70B: 80 layers with grouped-query attention */
    const bool is_70b = m->n_layer == 80 && m->n_head != m->n_head_kv;
    llamac_type t = base;

    if (!strcmp(name, "output.weight") || (!m->has_output && !strcmp(name, "token_embd.weight"))) {
        if (ne0 % llamac_type_block_size(base)) return LLAMAC_TYPE_Q8_0;
        return base == LLAMAC_TYPE_Q8_0 ? base : LLAMAC_TYPE_Q6_K;
    }
    if (!strcmp(name, "token_embd.weight")) return base;

    if (contains(name, "attn_v.weight")) {
        const int i = layer_of(name), n = m->n_attn_v;
        if (ft == LLAMAC_FTYPE_MOSTLY_Q2_K) t = n_gqa >= 4 ? LLAMAC_TYPE_Q4_K : LLAMAC_TYPE_Q3_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_M) t = i < 2 ? LLAMAC_TYPE_Q5_K : LLAMAC_TYPE_Q4_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_L) t = LLAMAC_TYPE_Q5_K;
        else if (is_ftype(ft, LLAMAC_FTYPE_MOSTLY_IQ4_NL, LLAMAC_FTYPE_MOSTLY_IQ4_XS) && n_gqa >= 4)
            t = LLAMAC_TYPE_Q5_K;
        else if (is_ftype(ft, LLAMAC_FTYPE_MOSTLY_Q4_K_M, LLAMAC_FTYPE_MOSTLY_Q5_K_M) && more_bits(i, n))
            t = LLAMAC_TYPE_Q6_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q4_K_S && i < 4) t = LLAMAC_TYPE_Q5_K;
        if (is_70b && (t == LLAMAC_TYPE_Q3_K || t == LLAMAC_TYPE_Q4_K)) t = LLAMAC_TYPE_Q5_K;
    } else if (contains(name, "ffn_down")) {
        const int i = layer_of(name), n = m->n_layer;
        if (ft == LLAMAC_FTYPE_MOSTLY_Q2_K) t = LLAMAC_TYPE_Q3_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_M) t = i < n / 16 ? LLAMAC_TYPE_Q5_K : LLAMAC_TYPE_Q4_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_L) t = LLAMAC_TYPE_Q5_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q4_K_M) {
            if (more_bits(i, n)) t = LLAMAC_TYPE_Q6_K;
        } else if (i < n / 8 && is_ftype(ft, LLAMAC_FTYPE_MOSTLY_IQ4_NL, LLAMAC_FTYPE_MOSTLY_IQ4_XS)) {
            t = LLAMAC_TYPE_Q5_K;
        } else if (ft == LLAMAC_FTYPE_MOSTLY_Q5_K_M && more_bits(i, n)) {
            t = LLAMAC_TYPE_Q6_K;
        } else if (ft == LLAMAC_FTYPE_MOSTLY_Q4_K_S && i < n / 8) {
            t = LLAMAC_TYPE_Q5_K;
        }
    } else if (contains(name, "attn_output.weight")) {
        if (ft == LLAMAC_FTYPE_MOSTLY_Q2_K) t = LLAMAC_TYPE_Q3_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_M) t = LLAMAC_TYPE_Q4_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q3_K_L) t = LLAMAC_TYPE_Q5_K;
    } else if (contains(name, "attn_qkv.weight")) {
        if (is_ftype(ft, LLAMAC_FTYPE_MOSTLY_Q3_K_M, LLAMAC_FTYPE_MOSTLY_Q3_K_L)) t = LLAMAC_TYPE_Q4_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q4_K_M) t = LLAMAC_TYPE_Q5_K;
        else if (ft == LLAMAC_FTYPE_MOSTLY_Q5_K_M) t = LLAMAC_TYPE_Q6_K;
    }
    return t;
}

static bool is_quantized(llamac_type t) {
    return t != LLAMAC_TYPE_F32 && t != LLAMAC_TYPE_F16 && t != LLAMAC_TYPE_BF16;
}

llamac_status lc_quant_choose(llamac_ftype ftype, bool pure, const lc_quant_model *m,
                              const char *name, int64_t ne0, llamac_type *out) {
    const llamac_type base = lc_ftype_base_type(ftype);
    if (base == LLAMAC_TYPE_COUNT)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "file type %d is not one llamac writes", (int)ftype);
    llamac_type t = base;
    /* like llama.cpp: the mix rules apply only to quantized file types */
    if (!pure && is_quantized(base)) t = pick(ftype, m, name, ne0, base);
    if (ne0 % llamac_type_block_size(t) == 0) {
        *out = t;
        return LLAMAC_OK;
    }
    llamac_type fb;
    switch (t) {
    case LLAMAC_TYPE_Q2_K:
    case LLAMAC_TYPE_Q3_K:
    case LLAMAC_TYPE_IQ4_XS: fb = LLAMAC_TYPE_IQ4_NL; break;
    case LLAMAC_TYPE_Q4_K: fb = LLAMAC_TYPE_Q5_0; break;
    case LLAMAC_TYPE_Q5_K: fb = LLAMAC_TYPE_Q5_1; break;
    case LLAMAC_TYPE_Q6_K: fb = LLAMAC_TYPE_Q8_0; break;
    default:
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "tensor '%s': rows of %" PRId64 " elements cannot be encoded as %s "
                       "(blocks of %" PRId64 ")",
                       name, ne0, llamac_type_name(t), llamac_type_block_size(t));
    }
    if (ne0 % llamac_type_block_size(fb)) fb = LLAMAC_TYPE_F16;
    *out = fb;
    return LLAMAC_OK;
}
