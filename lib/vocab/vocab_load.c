/* Building a llamac_vocab from the tokenizer.ggml.* keys of a GGUF file:
 * validation of every array, the lookup tables the tokenizers need (built
 * once here so tokenizing never hashes a string twice), each token's printed
 * piece, the special-token trie, and the special ids. */
#include "common/unicode.h"
#include "vocab_private.h"
#include "common/buffer.h"
#include "common/escape.h"
#include "common/params.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define KEY_MODEL "tokenizer.ggml.model"
#define KEY_PRE "tokenizer.ggml.pre"
#define KEY_TOKENS "tokenizer.ggml.tokens"
#define KEY_SCORES "tokenizer.ggml.scores"
#define KEY_TYPES "tokenizer.ggml.token_type"
#define KEY_MERGES "tokenizer.ggml.merges"

/* Adds a NUL-terminated entry to a string arena whose entries are
 * referenced by 32-bit offsets (checked). */
static llamac_status arena_add(const lc_env *env, lc_bytes *a, const void *s, size_t n, uint32_t *off) {
    if (n >= UINT32_MAX - a->len) return lc_fail(LLAMAC_ERR_FORMAT, "tokenizer strings exceed 4 GiB in total");
    size_t at = 0;
    llamac_status st = lc_bytes_add_entry(env, a, s, n, &at);
    *off = (uint32_t)at;
    return st;
}

/* An optional key is looked up here first: an absent one is not a failure,
 * so it must not leave a "not found" message behind (a successful load
 * never changes llamac_last_error()). */
static bool has_key(const llamac_gguf *g, const char *key) { return llamac_gguf_find_key(g, key) >= 0; }

/* A key of the wrong type is LLAMAC_ERR_TYPE, as for every getter. */
static llamac_status wrong_type(const char *key, const char *expected) {
    return lc_fail(LLAMAC_ERR_TYPE, "%s is not %s", key, expected);
}

/* ---- reading typed arrays ---- */

static llamac_status get_array(const llamac_gguf *g, const char *key, bool required,
                               llamac_gguf_type want, uint64_t n_want, uint64_t *n,
                               const void **data, bool *present) {
    llamac_gguf_type et;
    *present = false;
    if (!has_key(g, key)) return required ? lc_fail(LLAMAC_ERR_FORMAT, "%s is missing", key) : LLAMAC_OK;
    llamac_status st = llamac_gguf_get_array(g, key, &et, n, data);
    *present = st == LLAMAC_OK;
    if (st != LLAMAC_OK) return wrong_type(key, "an array");
    if (et != want)
        return lc_fail(LLAMAC_ERR_TYPE, "%s holds %s elements, expected %s", key,
                       llamac_gguf_type_name(et) ? llamac_gguf_type_name(et) : "invalid",
                       llamac_gguf_type_name(want));
    if (n_want && *n != n_want)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s has %" PRIu64 " entries but " KEY_TOKENS " has %" PRIu64,
                       key, *n, n_want);
    return LLAMAC_OK;
}

static llamac_status read_tokens(llamac_vocab *v, const llamac_gguf *g, lc_bytes *a) {
    uint64_t n;
    const void *unused;
    bool present;
    llamac_status st = get_array(g, KEY_TOKENS, true, LLAMAC_GGUF_STRING, 0, &n, &unused, &present);
    if (st) return st;
    if (n == 0) return lc_fail(LLAMAC_ERR_FORMAT, KEY_TOKENS " is empty");
    if (n > (uint64_t)INT32_MAX / 2)
        return lc_fail(LLAMAC_ERR_FORMAT, KEY_TOKENS " has %" PRIu64 " entries (at most %d supported)",
                       n, INT32_MAX / 2);
    v->n_tokens = (int32_t)n;
    v->tokens = lc_calloc(&v->env, (size_t)n, sizeof *v->tokens);
    if (!v->tokens) return LLAMAC_ERR_NO_MEMORY;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        uint64_t len;
        if ((st = llamac_gguf_get_array_string(g, KEY_TOKENS, i, &s, &len)))
            return lc_fail(LLAMAC_ERR_FORMAT, "cannot read %s[%" PRIu64 "]", KEY_TOKENS, i);
        if (len > UINT32_MAX) return lc_fail(LLAMAC_ERR_FORMAT, "%s[%" PRIu64 "] is too long", KEY_TOKENS, i);
        lc_token_rec *t = &v->tokens[i];
        if ((st = arena_add(&v->env, a, s, (size_t)len, &t->text_off))) return st;
        t->text_len = (uint32_t)len;
        t->type = LC_TT_NORMAL;
    }
    return LLAMAC_OK;
}

static llamac_status read_scores_and_types(llamac_vocab *v, const llamac_gguf *g) {
    uint64_t n;
    const void *data;
    bool present;
    llamac_status st = get_array(g, KEY_SCORES, false, LLAMAC_GGUF_FLOAT32, (uint64_t)v->n_tokens, &n,
                                 &data, &present);
    if (st) return st;
    for (int32_t i = 0; present && i < v->n_tokens; i++) {
        float f;
        memcpy(&f, (const char *)data + (size_t)i * 4, 4);
        if (isnan(f)) return lc_fail(LLAMAC_ERR_FORMAT, "%s[%d] is NaN", KEY_SCORES, i);
        v->tokens[i].score = f;
    }
    llamac_gguf_type et;
    if (!has_key(g, KEY_TYPES)) return LLAMAC_OK; /* every token NORMAL */
    st = llamac_gguf_get_array(g, KEY_TYPES, &et, &n, &data);
    if (st) return wrong_type(KEY_TYPES, "an array");
    if (et != LLAMAC_GGUF_INT32 && et != LLAMAC_GGUF_UINT32)
        return lc_fail(LLAMAC_ERR_TYPE, "%s holds %s elements, expected INT32", KEY_TYPES,
                       llamac_gguf_type_name(et) ? llamac_gguf_type_name(et) : "invalid");
    if (n != (uint64_t)v->n_tokens)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s has %" PRIu64 " entries but " KEY_TOKENS " has %d",
                       KEY_TYPES, n, v->n_tokens);
    for (int32_t i = 0; i < v->n_tokens; i++) {
        int32_t t;
        memcpy(&t, (const char *)data + (size_t)i * 4, 4);
        if (t < LC_TT_UNDEFINED || t > LC_TT_BYTE)
            return lc_fail(LLAMAC_ERR_FORMAT, "%s[%d] is %d, expected 0..6", KEY_TYPES, i, t);
        v->tokens[i].type = (uint8_t)t;
    }
    return LLAMAC_OK;
}

/* ---- special ids ---- */

static llamac_status read_id(llamac_vocab *v, const llamac_gguf *g, const char *key, llamac_token *id) {
    int64_t x;
    if (!has_key(g, key)) return LLAMAC_OK;
    lc_error_saved saved;
    lc_error_save(&saved);
    llamac_status st = llamac_gguf_get_i64(g, key, &x);
    if (st != LLAMAC_OK) {
        uint64_t u;
        if (llamac_gguf_get_u64(g, key, &u) != LLAMAC_OK) return wrong_type(key, "an integer");
        x = INT64_MAX; /* huge: out of range below */
        lc_error_restore(&saved); /* tolerated: the INT64 miss is not this load's error */
    }
    if (x < 0) {
        *id = LLAMAC_TOKEN_NULL; /* some converters write -1 for "none" */
    } else if (x >= v->n_tokens) {
        lc_log(&v->env, LLAMAC_LOG_WARN, "vocab: %s = %" PRId64 " is outside the %d tokens; ignored", key,
               x, v->n_tokens);
    } else {
        *id = (llamac_token)x;
    }
    return LLAMAC_OK;
}

static llamac_status read_flag(const llamac_gguf *g, const char *key, bool *flag) {
    if (!has_key(g, key)) return LLAMAC_OK;
    if (llamac_gguf_get_bool(g, key, flag) != LLAMAC_OK) return wrong_type(key, "a bool");
    return LLAMAC_OK;
}

static llamac_token find_text(const llamac_vocab *v, const char *s) {
    return lc_strmap_get(&v->text_map, s, strlen(s));
}

static void add_eog(llamac_vocab *v, llamac_token id) {
    if (id == LLAMAC_TOKEN_NULL) return;
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id) return;
    if (v->n_eog < LC_MAX_EOG) v->eog[v->n_eog++] = id;
}

static llamac_status read_specials(llamac_vocab *v, const llamac_gguf *g) {
    /* Texts that end a turn in Llama and common chat formats. Files rarely
     * list them all as ids, so they are recognized by text (as llama.cpp
     * does) and forced to CONTROL so they never print as text. */
    static const char *const eot_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                            "<|endoftext|>", "<EOT>"};
    static const char *const eog_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                            "<|endoftext|>", "<|eom_id|>", "<EOT>", "<|end_of_text|>"};
    v->bos = v->eos = v->eot = v->eom = v->unk = v->pad = LLAMAC_TOKEN_NULL;
    v->add_bos = true;
    v->add_eos = false;
    v->add_space_prefix = v->kind == LLAMAC_VOCAB_SPM;
    if (v->kind == LLAMAC_VOCAB_SPM) {
        if (v->n_tokens > 0) v->unk = 0;
        if (v->n_tokens > 1) v->bos = 1;
        if (v->n_tokens > 2) v->eos = 2;
    }
    llamac_status st;
    if ((st = read_id(v, g, "tokenizer.ggml.bos_token_id", &v->bos)) ||
        (st = read_id(v, g, "tokenizer.ggml.eos_token_id", &v->eos)) ||
        (st = read_id(v, g, "tokenizer.ggml.eot_token_id", &v->eot)) ||
        (st = read_id(v, g, "tokenizer.ggml.eom_token_id", &v->eom)) ||
        (st = read_id(v, g, "tokenizer.ggml.unknown_token_id", &v->unk)) ||
        (st = read_id(v, g, "tokenizer.ggml.padding_token_id", &v->pad)) ||
        (st = read_flag(g, "tokenizer.ggml.add_bos_token", &v->add_bos)) ||
        (st = read_flag(g, "tokenizer.ggml.add_eos_token", &v->add_eos)) ||
        (st = read_flag(g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix)))
        return st;
    for (size_t i = 0; v->eot == LLAMAC_TOKEN_NULL && i < sizeof eot_texts / sizeof *eot_texts; i++)
        v->eot = find_text(v, eot_texts[i]);
    if (v->eom == LLAMAC_TOKEN_NULL) v->eom = find_text(v, "<|eom_id|>");
    add_eog(v, v->eos);
    add_eog(v, v->eot);
    add_eog(v, v->eom);
    for (size_t i = 0; i < sizeof eog_texts / sizeof *eog_texts; i++) {
        llamac_token id = find_text(v, eog_texts[i]);
        if (id == LLAMAC_TOKEN_NULL) continue;
        add_eog(v, id);
        if (v->tokens[id].type != LC_TT_CONTROL) {
            lc_log(&v->env, LLAMAC_LOG_DEBUG, "vocab: token %d '%s' ends generation; treated as CONTROL",
                   id, eog_texts[i]);
            v->tokens[id].type = LC_TT_CONTROL;
        }
    }
    if (v->add_bos && v->bos == LLAMAC_TOKEN_NULL) {
        lc_log(&v->env, LLAMAC_LOG_WARN, "vocab: add_bos_token is set but there is no BOS token");
        v->add_bos = false;
    }
    if (v->add_eos && v->eos == LLAMAC_TOKEN_NULL) {
        lc_log(&v->env, LLAMAC_LOG_WARN, "vocab: add_eos_token is set but there is no EOS token");
        v->add_eos = false;
    }
    return LLAMAC_OK;
}

/* ---- pieces (what each token prints as) ---- */

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* SPM byte tokens are spelled <0xNN>. */
static int parse_byte_token(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    int hi = hex_digit(s[3]), lo = hex_digit(s[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* Decodes byte-level BPE text (GPT-2 alphabet) into raw bytes in out (at
 * least n bytes). Returns the length, or -1 if some character is not in the
 * alphabet; with `lenient`, such characters are copied through instead. */
static long decode_bpe_text(const char *s, size_t n, char *out, bool lenient) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = lc_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        int b = len ? lc_bpe_cp_to_byte(cp) : -1;
        if (b < 0) {
            if (!lenient) return -1;
            len = len ? len : 1;
            memcpy(out + o, s + i, len);
            o += len;
        } else {
            out[o++] = (char)b;
        }
        i += len;
    }
    return (long)o;
}

static llamac_status build_pieces(llamac_vocab *v, lc_bytes *a, char *tmp) {
    for (int32_t i = 0; i < v->n_tokens; i++) {
        lc_token_rec *t = &v->tokens[i];
        const char *s = a->data + t->text_off;
        size_t n = t->text_len, m = 0;
        switch (t->type) {
        case LC_TT_CONTROL:
        case LC_TT_UNKNOWN:
        case LC_TT_USER_DEFINED:
            memcpy(tmp, s, n);
            m = n;
            break;
        case LC_TT_NORMAL:
            if (v->kind == LLAMAC_VOCAB_BPE) {
                m = (size_t)decode_bpe_text(s, n, tmp, true);
            } else {
                for (size_t k = 0; k < n;) {
                    if (k + 3 <= n && memcmp(s + k, "\xE2\x96\x81", 3) == 0) { tmp[m++] = ' '; k += 3; }
                    else tmp[m++] = s[k++];
                }
            }
            break;
        case LC_TT_BYTE:
            if (v->kind == LLAMAC_VOCAB_SPM) {
                int b = parse_byte_token(s, n);
                char buf[64];
                if (b < 0)
                    return lc_fail(LLAMAC_ERR_FORMAT, "token %d is a BYTE token but its text '%s' is not <0xNN>",
                                   i, lc_escape(buf, sizeof buf, s, n));
                tmp[m++] = (char)b;
            }
            break; /* byte-level BPE has no use for BYTE tokens: they print as nothing */
        default:
            break; /* UNUSED, UNDEFINED: print as nothing */
        }
        llamac_status st = arena_add(&v->env, a, tmp, m, &t->piece_off);
        if (st) return st;
        t->piece_len = (uint32_t)m;
    }
    return LLAMAC_OK;
}

/* ---- SentencePiece tables ---- */

/* True if every ▁ in s[0..n) past the first byte directly follows another ▁. */
static bool ws_only_after_ws(const char *s, size_t n) {
    static const char ws[3] = {'\xE2', '\x96', '\x81'};
    for (size_t i = 1; i + 3 <= n; i++)
        if (memcmp(s + i, ws, 3) == 0 && (i < 3 || memcmp(s + i - 3, ws, 3) != 0)) return false;
    return true;
}

static llamac_status build_spm(llamac_vocab *v) {
    bool split = true;
    llamac_status st = lc_strmap_init(&v->spm_map, &v->env, (size_t)v->n_tokens,
                                      (const char *const *)&v->arena);
    for (int32_t i = 0; st == LLAMAC_OK && i < v->n_tokens; i++) {
        const lc_token_rec *t = &v->tokens[i];
        /* What SentencePiece lets merges produce: not control, unknown or
         * byte pieces, so "<s>" or "<0x41>" typed as text stays text. */
        if (t->type != LC_TT_NORMAL && t->type != LC_TT_USER_DEFINED && t->type != LC_TT_UNUSED) continue;
        st = lc_strmap_put(&v->spm_map, &v->env, t->text_off, t->text_len, i);
        v->max_piece_len = LC_MAX(v->max_piece_len, t->text_len);
        if (!ws_only_after_ws(v->arena + t->text_off, t->text_len)) split = false;
    }
    v->spm_word_split = split;
    for (int b = 0; b < 256; b++) {
        char name[7];
        snprintf(name, sizeof name, "<0x%02X>", b);
        llamac_token id = lc_strmap_get(&v->text_map, name, 6);
        if (id < 0) {
            char one = (char)b;
            id = lc_strmap_get(&v->text_map, &one, 1);
        }
        v->byte_token[b] = id;
    }
    return st;
}

/* ---- byte-level BPE tables ---- */

typedef struct bpe_build {
    llamac_vocab *v;
    lc_bytes raw; /* raw bytes of every sid */
} bpe_build;

/* sid of raw string s (copied into the raw arena when new). */
static llamac_status sid_of(bpe_build *b, const char *s, size_t n, int32_t *sid) {
    llamac_vocab *v = b->v;
    *sid = lc_strmap_get(&v->raw_map, s, n);
    if (*sid >= 0) return LLAMAC_OK;
    if (v->n_sids == INT32_MAX) return lc_fail(LLAMAC_ERR_FORMAT, "too many distinct merge strings");
    uint32_t off = 0;
    llamac_status st = arena_add(&v->env, &b->raw, s, n, &off);
    v->raw_arena = b->raw.data;
    if (st) return st;
    *sid = v->n_sids++;
    return lc_strmap_put(&v->raw_map, &v->env, off, (uint32_t)n, *sid);
}

static llamac_status build_bpe(llamac_vocab *v, const llamac_gguf *g, char *tmp, size_t tmp_size) {
    bpe_build b = {v, {0}};
    llamac_status st = lc_strmap_init(&v->raw_map, &v->env, (size_t)v->n_tokens,
                                      (const char *const *)&v->raw_arena);
    v->n_sids = v->n_tokens;
    /* Tokens whose text is spelled in the byte alphabet get their raw form
     * as sid == id; others (never produced by merging) are left out. */
    for (int32_t i = 0; st == LLAMAC_OK && i < v->n_tokens; i++) {
        const lc_token_rec *t = &v->tokens[i];
        long m = decode_bpe_text(v->arena + t->text_off, t->text_len, tmp, false);
        if (m < 0) continue;
        uint32_t off = 0;
        st = arena_add(&v->env, &b.raw, tmp, (size_t)m, &off);
        v->raw_arena = b.raw.data;
        if (st == LLAMAC_OK) st = lc_strmap_put(&v->raw_map, &v->env, off, (uint32_t)m, i);
    }
    for (int c = 0; st == LLAMAC_OK && c < 256; c++) {
        char one = (char)c;
        st = sid_of(&b, &one, 1, &v->byte_sid[c]);
    }
    if (st) return st;

    uint64_t n;
    const void *unused;
    bool present;
    if ((st = get_array(g, KEY_MERGES, true, LLAMAC_GGUF_STRING, 0, &n, &unused, &present))) return st;
    if (n > (uint64_t)INT32_MAX / 4)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s has %" PRIu64 " entries, too many", KEY_MERGES, n);
    if ((st = lc_pairmap_init(&v->merges, &v->env, (size_t)n))) return st;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        uint64_t len;
        char buf[64];
        if ((st = llamac_gguf_get_array_string(g, KEY_MERGES, i, &s, &len)))
            return lc_fail(LLAMAC_ERR_FORMAT, "cannot read %s[%" PRIu64 "]", KEY_MERGES, i);
        /* "left right": the separator is the first space after the first
         * byte (a space itself is spelled Ġ, never ' '). */
        const char *sp = len > 1 ? memchr(s + 1, ' ', (size_t)len - 1) : NULL;
        if (!sp || sp + 1 == s + len)
            return lc_fail(LLAMAC_ERR_FORMAT, "%s[%" PRIu64 "] '%s' is not two parts separated by a space",
                           KEY_MERGES, i, lc_escape(buf, sizeof buf, s, (size_t)len));
        size_t nl = (size_t)(sp - s), nr = (size_t)len - nl - 1;
        if (len >= tmp_size) /* the decoded halves must fit the scratch */
            return lc_fail(LLAMAC_ERR_FORMAT, "%s[%" PRIu64 "] is %" PRIu64 " bytes long, longer than two tokens",
                           KEY_MERGES, i, len);
        long ml = decode_bpe_text(s, nl, tmp, false);
        long mr = ml < 0 ? -1 : decode_bpe_text(sp + 1, nr, tmp + ml, false);
        if (ml < 0 || mr < 0)
            return lc_fail(LLAMAC_ERR_FORMAT, "%s[%" PRIu64 "] '%s' has a character outside the byte-level alphabet",
                           KEY_MERGES, i, lc_escape(buf, sizeof buf, s, (size_t)len));
        int32_t left, right, result;
        if ((st = sid_of(&b, tmp, (size_t)ml, &left)) || (st = sid_of(&b, tmp + ml, (size_t)mr, &right)) ||
            (st = sid_of(&b, tmp, (size_t)(ml + mr), &result)))
            return st;
        lc_pairmap_put(&v->merges, left, right, (int32_t)i, result); /* first listing wins */
    }
    return LLAMAC_OK;
}

/* ---- special-token trie ---- */

static llamac_status trie_add(llamac_vocab *v, int32_t *cap, const char *s, size_t n, llamac_token id) {
    int32_t node = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int32_t cur = i == 0 ? v->trie_root[c] : v->trie[node].child, prev = -1;
        while (cur >= 0 && v->trie[cur].byte != c) {
            prev = cur;
            cur = v->trie[cur].sibling;
        }
        if (cur < 0) {
            if (v->n_trie == *cap) {
                int32_t nc = *cap ? *cap * 2 : 256;
                lc_trie_node *t = lc_realloc(&v->env, v->trie, (size_t)nc * sizeof *t);
                if (!t) return LLAMAC_ERR_NO_MEMORY;
                v->trie = t;
                *cap = nc;
            }
            cur = v->n_trie++;
            v->trie[cur] = (lc_trie_node){-1, -1, -1, c};
            if (i == 0) v->trie_root[c] = cur;
            else if (prev >= 0) v->trie[prev].sibling = cur;
            else v->trie[node].child = cur;
        }
        node = cur;
    }
    v->trie[node].token = id;
    return LLAMAC_OK;
}

static llamac_status build_trie(llamac_vocab *v) {
    int32_t cap = 0;
    for (int b = 0; b < 256; b++) v->trie_root[b] = -1;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        const lc_token_rec *t = &v->tokens[i];
        if (t->text_len == 0) continue;
        if (t->type != LC_TT_CONTROL && t->type != LC_TT_UNKNOWN && t->type != LC_TT_USER_DEFINED) continue;
        if (t->text_len > (uint32_t)INT32_MAX - (uint32_t)v->n_trie)
            return lc_fail(LLAMAC_ERR_FORMAT, "special token texts are too long");
        llamac_status st = trie_add(v, &cap, v->arena + t->text_off, t->text_len, i);
        if (st) return st;
    }
    return LLAMAC_OK;
}

/* ---- entry points ---- */

static llamac_status read_kind(llamac_vocab *v, const llamac_gguf *g) {
    const char *model, *pre = NULL;
    uint64_t model_len, pre_len = 0;
    char buf[64], buf2[64];
    if (!has_key(g, KEY_MODEL))
        return lc_fail(LLAMAC_ERR_NOT_FOUND, "the file has no tokenizer (" KEY_MODEL " is absent)");
    if (llamac_gguf_get_string(g, KEY_MODEL, &model, &model_len)) return wrong_type(KEY_MODEL, "a string");
    if (has_key(g, KEY_PRE) && llamac_gguf_get_string(g, KEY_PRE, &pre, &pre_len))
        return wrong_type(KEY_PRE, "a string");
    if (model_len == 5 && memcmp(model, "llama", 5) == 0) {
        v->kind = LLAMAC_VOCAB_SPM;
        return LLAMAC_OK;
    }
    if (model_len == 4 && memcmp(model, "gpt2", 4) == 0) {
        if (pre && (strcmp(pre, "llama-bpe") == 0 || strcmp(pre, "llama3") == 0 || strcmp(pre, "llama-v3") == 0) &&
            strlen(pre) == pre_len) {
            v->kind = LLAMAC_VOCAB_BPE;
            v->ignore_merges = true; /* Llama 3 keeps a pre-token that is a token whole */
            return LLAMAC_OK;
        }
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "unsupported tokenizer: " KEY_MODEL " 'gpt2' with " KEY_PRE " '%s' (supported: "
                       "'llama-bpe', 'llama3')",
                       pre ? lc_escape(buf2, sizeof buf2, pre, (size_t)pre_len) : "(absent)");
    }
    return lc_fail(LLAMAC_ERR_UNSUPPORTED, "unsupported tokenizer: " KEY_MODEL " '%s' (supported: 'llama', 'gpt2')",
                   lc_escape(buf, sizeof buf, model, (size_t)model_len));
}

void lc_vocab_destroy(llamac_vocab *v) {
    if (!v) return;
    lc_env env = v->env;
    lc_strmap_free(&v->text_map, &env);
    lc_strmap_free(&v->spm_map, &env);
    lc_strmap_free(&v->raw_map, &env);
    lc_pairmap_free(&v->merges, &env);
    lc_free(&env, v->raw_arena);
    lc_free(&env, v->trie);
    lc_free(&env, v->tokens);
    lc_free(&env, v->arena);
    lc_free(&env, v);
}

static llamac_status load(llamac_vocab *v, const llamac_gguf *g) {
    lc_bytes a = {0};
    char *tmp = NULL;
    llamac_status st = read_kind(v, g);
    if (st == LLAMAC_OK) st = read_tokens(v, g, &a);
    v->arena = a.data;
    if (st == LLAMAC_OK) st = read_scores_and_types(v, g);
    if (st == LLAMAC_OK) st = lc_strmap_init(&v->text_map, &v->env, (size_t)v->n_tokens, (const char *const *)&v->arena);
    for (int32_t i = 0; st == LLAMAC_OK && i < v->n_tokens; i++)
        st = lc_strmap_put(&v->text_map, &v->env, v->tokens[i].text_off, v->tokens[i].text_len, i);
    if (st == LLAMAC_OK) st = read_specials(v, g);
    /* Scratch for one decoded token or merge: no longer than the longest
     * token text, twice over for a merge's two halves. */
    size_t longest = 0;
    for (int32_t i = 0; st == LLAMAC_OK && i < v->n_tokens; i++) longest = LC_MAX(longest, v->tokens[i].text_len);
    size_t tmp_size = 2 * longest + 16;
    if (st == LLAMAC_OK && !(tmp = lc_malloc(&v->env, tmp_size))) st = LLAMAC_ERR_NO_MEMORY;
    if (st == LLAMAC_OK) st = build_pieces(v, &a, tmp);
    v->arena = a.data;
    v->arena_size = a.len;
    if (st == LLAMAC_OK) st = v->kind == LLAMAC_VOCAB_SPM ? build_spm(v) : build_bpe(v, g, tmp, tmp_size);
    if (st == LLAMAC_OK) st = build_trie(v);
    lc_free(&v->env, tmp);
    return st;
}

llamac_status lc_vocab_from_gguf(const llamac_gguf *gguf, const lc_env *env, llamac_vocab **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "vocab: out is NULL");
    *out = NULL;
    if (!gguf || !env) return lc_fail(LLAMAC_ERR_INVALID_ARG, "vocab: gguf or env is NULL");
    llamac_vocab *v = lc_calloc(env, 1, sizeof *v);
    if (!v) return LLAMAC_ERR_NO_MEMORY;
    v->env = *env;
    llamac_status st = load(v, gguf);
    if (st != LLAMAC_OK) {
        lc_error_prefix("vocab");
        lc_vocab_destroy(v);
        return st;
    }
    lc_log(env, LLAMAC_LOG_INFO, "vocab: %s, %d tokens, bos %d, eos %d, eot %d",
           v->kind == LLAMAC_VOCAB_SPM ? "SentencePiece BPE" : "byte-level BPE (Llama 3)", v->n_tokens, v->bos,
           v->eos, v->eot);
    *out = v;
    return LLAMAC_OK;
}

void llamac_vocab_params_init(llamac_vocab_params *params, size_t size) {
    static const llamac_vocab_params defaults = {0};
    lc_params_init(params, size, &defaults, sizeof defaults);
}

/* The caller's params over the defaults, and the environment they name. */
static llamac_status read_params(const llamac_vocab_params *in, llamac_vocab_params *p, lc_env *env,
                                 const char *function) {
    llamac_vocab_params_init(p, sizeof *p);
    llamac_status st = lc_params_read(p, sizeof *p, in, function, "llamac_vocab");
    if (st == LLAMAC_OK) lc_env_init(env, p->allocator, p->log_fn, p->log_user);
    return st;
}

llamac_status llamac_vocab_from_gguf(const llamac_gguf *gguf, const llamac_vocab_params *params,
                                     llamac_vocab **out) {
    llamac_vocab_params p;
    lc_env env;
    if (out) *out = NULL;
    LC_REQUIRE(gguf);
    LC_REQUIRE(out);
    llamac_status st = read_params(params, &p, &env, __func__);
    return st ? st : lc_vocab_from_gguf(gguf, &env, out);
}

llamac_status llamac_vocab_load(const char *path, const llamac_vocab_params *params, llamac_vocab **out) {
    llamac_vocab_params p;
    lc_env env;
    if (out) *out = NULL;
    LC_REQUIRE(path);
    LC_REQUIRE(out);
    llamac_status st = read_params(params, &p, &env, __func__);
    if (st) return st;
    llamac_gguf_params gp = llamac_gguf_default_params();
    gp.allocator = p.allocator;
    gp.log_fn = p.log_fn;
    gp.log_user = p.log_user;
    llamac_gguf *g = NULL;
    if ((st = llamac_gguf_open(path, &gp, &g))) return st;
    st = lc_vocab_from_gguf(g, &env, out);
    if (st) lc_error_prefix("%s", path);
    llamac_gguf_free(g);
    return st;
}

void llamac_vocab_free(llamac_vocab *vocab) { lc_vocab_destroy(vocab); }
