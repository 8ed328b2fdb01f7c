#include "test_vocab_util.h"

#include <string.h>

llamac_vocab *tv_load_shared(const char *name) {
    char rel[128], buf[512];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    const char *path = shared_path(buf, sizeof buf, rel);
    if (!path) return NULL;
    llamac_vocab *v = NULL;
    llamac_status st = llamac_vocab_load(path, NULL, &v);
    if (st != LLAMAC_OK) fail_msg("loading %s: %s: %s", path, llamac_status_name(st), llamac_last_error());
    return v;
}

int tv_vocabs_setup(void **state) {
    tv_vocabs *v = calloc(1, sizeof *v);
    if (!v) return -1;
    v->spm = tv_load_shared("llama-spm");
    v->bpe = tv_load_shared("llama-bpe");
    *state = v;
    return 0;
}

int tv_vocabs_teardown(void **state) {
    tv_vocabs *v = *state;
    llamac_vocab_free(v->spm);
    llamac_vocab_free(v->bpe);
    free(v);
    return 0;
}

const char *tv_data_path(char *buf, size_t size, const char *file) {
    const char *root = getenv("LLAMAC_TEST_DATA");
    if (!root || !*root) root = "../tests/data";
    snprintf(buf, size, "%s/%s", root, file);
    return buf;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool tv_hex_decode(const char *hex, size_t n, char *out) {
    if (n % 2) return false;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i / 2] = (char)(hi * 16 + lo);
    }
    return true;
}

bool tv_valid_utf8(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

uint64_t tv_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t put_cp(char *out, unsigned cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Codepoint ranges the generator draws runs from. */
static const unsigned ranges[][2] = {
    {0x61, 0x7A},       {0x41, 0x5A},       {0x30, 0x39},       {0x21, 0x2F},     {0x3A, 0x40},
    {0xC0, 0xFF},       {0x100, 0x17F},     {0x300, 0x36F},     {0x391, 0x3C9},   {0x410, 0x44F},
    {0x5D0, 0x5EA},     {0x621, 0x64A},     {0x660, 0x669},     {0x900, 0x97F},   {0xE01, 0xE5B},
    {0x1100, 0x11FF},   {0x2000, 0x206F},   {0x2190, 0x22FF},   {0x2460, 0x24FF}, {0x3040, 0x30FF},
    {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},   {0xE000, 0xE0FF},   {0xFF01, 0xFF5E}, {0x10400, 0x1044F},
    {0x1D400, 0x1D4FF}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x0, 0x1F},
    {0x370, 0x37F},     {0xFFF0, 0xFFFD},   {0x20000, 0x2A6DF},
};
static const char *const words[] = {"the", "Hello", "world", "don't", "I'm", "we'LL", "it's", "Y'ALL",
                                    "token", "<s>", "</s>", "<unk>", "<0x41>", "<|eot_id|>",
                                    "<|begin_of_text|>", "naïve", "👨‍👩‍👧", "🇺🇸", "❤️", "x86_64"};
static const char *const spaces[] = {" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r",
                                     " \n", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\xA8", "\v", "\f",
                                     "\xC2\x85", "\xEF\xBB\xBF", "    ", "\t\t"};

size_t tv_random_text(uint64_t *st, char *buf, size_t len, size_t cap, bool no_spm_space) {
    int pieces = 1 + (int)(tv_rand(st) % 10);
    for (int p = 0; p < pieces; p++) {
        char tmp[64];
        size_t n = 0;
        unsigned kind = (unsigned)(tv_rand(st) % 8);
        if (kind == 0) {
            const char *w = words[tv_rand(st) % (sizeof words / sizeof *words)];
            n = strlen(w);
            memcpy(tmp, w, n);
        } else if (kind <= 2) {
            const char *w = spaces[tv_rand(st) % (sizeof spaces / sizeof *spaces)];
            n = strlen(w);
            memcpy(tmp, w, n);
        } else {
            const unsigned *r = ranges[tv_rand(st) % (sizeof ranges / sizeof *ranges)];
            int run = 1 + (int)(tv_rand(st) % 6);
            for (int k = 0; k < run; k++) {
                unsigned cp = r[0] + (unsigned)(tv_rand(st) % (r[1] - r[0] + 1));
                if (cp >= 0xD800 && cp <= 0xDFFF) continue;
                if (no_spm_space && cp == 0x2581) continue;
                n += put_cp(tmp + n, cp);
            }
        }
        if (len + n > cap) break;
        memcpy(buf + len, tmp, n);
        len += n;
    }
    return len;
}

llamac_token *tv_tokenize(const llamac_vocab *v, const char *text, size_t len, bool add_special,
                          bool parse_special, int32_t *n) {
    int32_t need = 0;
    llamac_status st = llamac_tokenize(v, text, len, NULL, 0, add_special, parse_special, &need);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) fail_msg("tokenize: %s", llamac_last_error());
    llamac_token *t = malloc(sizeof *t * (size_t)(need + 1));
    st = llamac_tokenize(v, text, len, t, need, add_special, parse_special, n);
    if (st != LLAMAC_OK) fail_msg("tokenize: %s", llamac_last_error());
    assert_int_equal(*n, need);
    return t;
}

char *tv_detokenize(const llamac_vocab *v, const llamac_token *tokens, int32_t n, bool remove_special,
                    bool unparse_special, size_t *len) {
    size_t need = 0;
    llamac_status st = llamac_detokenize(v, tokens, n, NULL, 0, remove_special, unparse_special, &need);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) fail_msg("detokenize: %s", llamac_last_error());
    char *b = malloc(need + 1);
    st = llamac_detokenize(v, tokens, n, b, need, remove_special, unparse_special, len);
    if (st != LLAMAC_OK) fail_msg("detokenize: %s", llamac_last_error());
    assert_int_equal(*len, need);
    return b;
}
