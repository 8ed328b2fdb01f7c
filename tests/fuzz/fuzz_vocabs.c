#include "fuzz_vocabs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_TOKENS = 400, MAX_TEXT = 32 };

typedef struct vocab_table {
    char text[MAX_TOKENS][MAX_TEXT];
    const char *texts[MAX_TOKENS];
    float scores[MAX_TOKENS];
    int32_t types[MAX_TOKENS];
    int n;
} vocab_table;

static void add_token(vocab_table *t, const char *text, float score, int32_t type) {
    snprintf(t->text[t->n], MAX_TEXT, "%s", text);
    t->texts[t->n] = t->text[t->n];
    t->scores[t->n] = score;
    t->types[t->n] = type;
    t->n++;
}

/* ---- SentencePiece: <unk> <s> </s>, 256 byte tokens, then pieces ---- */

#define SP "\xE2\x96\x81" /* U+2581, SentencePiece's space */

/* Pieces from most to least likely to merge (higher score first); single
 * characters last, so multi-character pieces always win. */
static const char *const spm_pieces[] = {
    SP "the", SP "t", "he", SP "hello", "hello", "hell", "ell", "ll", SP "wor", SP "world", "or",
    "ld", SP "w", "in", "er", "on", SP "a", "\xC3\xA9", SP "\xC3\xA9", "123", "12", SP "1", SP SP,
    SP, "e", "t", "h", "l", "o", "w", "r", "d", "a", "n", "i", "s", "1", "2", "3", "\xC3\xA9",
};

static void build_spm(vocab_table *t) {
    add_token(t, "<unk>", 0, LLAMAC_TOKEN_TYPE_UNKNOWN);
    add_token(t, "<s>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    add_token(t, "</s>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        add_token(t, name, 0, LLAMAC_TOKEN_TYPE_BYTE);
    }
    const int n_pieces = (int)(sizeof spm_pieces / sizeof spm_pieces[0]);
    for (int i = 0; i < n_pieces; i++) {
        bool seen = false; /* "é" is listed twice on purpose: keep one */
        for (int k = 0; k < t->n; k++) seen |= !strcmp(t->texts[k], spm_pieces[i]);
        if (!seen) add_token(t, spm_pieces[i], -(float)(i + 1), LLAMAC_TOKEN_TYPE_NORMAL);
    }
    add_token(t, "<tool>", 0, LLAMAC_TOKEN_TYPE_USER_DEFINED);
    add_token(t, "<|im_end|>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    add_token(t, "zz", -1000, LLAMAC_TOKEN_TYPE_UNUSED);
}

/* ---- byte-level BPE: 256 byte tokens in the GPT-2 alphabet, merges ---- */

static bool gpt2_prints_as_itself(unsigned b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
}

/* The GPT-2 byte-to-character table: printable Latin-1 bytes stand for
 * themselves, the others for U+0100 upwards in byte order. */
static void gpt2_char(unsigned b, char out[3]) {
    unsigned cp = b;
    if (!gpt2_prints_as_itself(b)) {
        cp = 256;
        for (unsigned c = 0; c < b; c++) cp += !gpt2_prints_as_itself(c);
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = 0;
    } else {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        out[2] = 0;
    }
}

#define G_SP "\xC4\xA0" /* Ġ: a space */
#define G_NL "\xC4\x8A" /* Ċ: a newline */

/* In rank order; each merge's result is added as a token. */
static const char *const bpe_merges[][2] = {
    {G_SP, "t"}, {"h", "e"}, {G_SP "t", "he"}, {"i", "n"}, {"e", "r"}, {"o", "n"},
    {"l", "l"}, {"e", "ll"}, {"h", "ell"}, {"hell", "o"}, {G_SP, "hello"}, {G_SP, "w"},
    {"o", "r"}, {G_SP "w", "or"}, {"l", "d"}, {G_SP "wor", "ld"}, {"\xC3\x83", "\xC2\xA9"},
    {"1", "2"}, {"12", "3"}, {G_NL, G_NL}, {G_SP, G_SP}, {"'", "s"},
};
enum { N_BPE_MERGES = sizeof bpe_merges / sizeof bpe_merges[0] };

static void build_bpe(vocab_table *t, char merges[][2 * MAX_TEXT], const char **merge_texts) {
    for (unsigned b = 0; b < 256; b++) {
        char c[3];
        gpt2_char(b, c);
        add_token(t, c, 0, LLAMAC_TOKEN_TYPE_NORMAL);
    }
    for (int i = 0; i < N_BPE_MERGES; i++) {
        char joined[MAX_TEXT];
        snprintf(joined, sizeof joined, "%s%s", bpe_merges[i][0], bpe_merges[i][1]);
        add_token(t, joined, 0, LLAMAC_TOKEN_TYPE_NORMAL);
        snprintf(merges[i], 2 * MAX_TEXT, "%s %s", bpe_merges[i][0], bpe_merges[i][1]);
        merge_texts[i] = merges[i];
    }
    add_token(t, "<|begin_of_text|>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    add_token(t, "<|end_of_text|>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    add_token(t, "<|eot_id|>", 0, LLAMAC_TOKEN_TYPE_CONTROL);
    add_token(t, "<tool>", 0, LLAMAC_TOKEN_TYPE_USER_DEFINED);
}

static llamac_status set_arrays(llamac_gguf_writer *w, const vocab_table *t, const fv_variant *v) {
    llamac_status st = llamac_gguf_writer_set_string_array(w, "tokenizer.ggml.tokens", t->texts, (uint64_t)t->n);
    if (!st && !v->no_scores)
        st = llamac_gguf_writer_set_value(w, "tokenizer.ggml.scores", LLAMAC_GGUF_FLOAT32, true, t->scores,
                                          (uint64_t)t->n);
    if (!st && !v->no_types)
        st = llamac_gguf_writer_set_value(w, "tokenizer.ggml.token_type", LLAMAC_GGUF_INT32, true, t->types,
                                          (uint64_t)t->n);
    return st;
}

static llamac_status set_keys(llamac_gguf_writer *w, fv_kind kind, const fv_variant *v) {
    static vocab_table t;
    static char merges[N_BPE_MERGES][2 * MAX_TEXT];
    static const char *merge_texts[N_BPE_MERGES];
    memset(&t, 0, sizeof t);
    const bool spm = kind == FV_SPM;
    if (spm) build_spm(&t);
    else build_bpe(&t, merges, merge_texts);
    if (v->bad_merge) merge_texts[N_BPE_MERGES - 1] = "hello";
    llamac_status st = llamac_gguf_writer_set_string(w, "general.architecture", "llama");
    if (!st) st = llamac_gguf_writer_set_string(w, "tokenizer.ggml.model", v->model ? v->model : spm ? "llama" : "gpt2");
    if (!st && (v->pre || !spm))
        st = llamac_gguf_writer_set_string(w, "tokenizer.ggml.pre", v->pre ? v->pre : "llama-bpe");
    if (!st) st = set_arrays(w, &t, v);
    if (!st && !spm && !v->no_merges)
        st = llamac_gguf_writer_set_string_array(w, "tokenizer.ggml.merges", merge_texts, N_BPE_MERGES);
    /* BPE: the specials follow the byte tokens and the merges. */
    const uint32_t bpe_bos = 256 + N_BPE_MERGES;
    if (!st) st = llamac_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id",
                                             v->bos_id ? (uint32_t)v->bos_id : spm ? 1u : bpe_bos);
    if (!st) st = llamac_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", spm ? 2u : bpe_bos + 1);
    if (!st && v->add_eos) st = llamac_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", true);
    if (!st && v->no_space_prefix) st = llamac_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", false);
    return st;
}

llamac_status fv_write(fv_kind kind, const fv_variant *variant, const char *path) {
    const fv_variant plain = {0};
    llamac_gguf_writer *w;
    llamac_status st = llamac_gguf_writer_new(NULL, &w);
    if (st) return st;
    st = set_keys(w, kind, variant ? variant : &plain);
    if (!st) st = llamac_gguf_writer_write(w, path);
    llamac_gguf_writer_free(w);
    return st;
}

llamac_vocab *fv_load(fv_kind kind) {
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/llamac-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_vocabs: mkdtemp");
        return NULL;
    }
    snprintf(path, sizeof path, "%s/vocab.gguf", dir);
    llamac_vocab *v = NULL;
    llamac_status st = fv_write(kind, NULL, path);
    if (!st) st = llamac_vocab_load(path, NULL, &v);
    if (st) fprintf(stderr, "fuzz_vocabs: %s\n", llamac_last_error());
    remove(path);
    rmdir(dir);
    return v;
}

llamac_vocab *fv_load_for_target(fv_kind kind) {
    const char *dir = getenv("LLAMAC_FUZZ_VOCAB_DIR");
    if (!dir || !*dir) return fv_load(kind);
    char path[1024];
    snprintf(path, sizeof path, "%s/ggml-vocab-llama-%s.gguf", dir, kind == FV_SPM ? "spm" : "bpe");
    llamac_vocab *v = NULL;
    if (llamac_vocab_load(path, NULL, &v) != LLAMAC_OK) fprintf(stderr, "fuzz_vocabs: %s\n", llamac_last_error());
    return v;
}
