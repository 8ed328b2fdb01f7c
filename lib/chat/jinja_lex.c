/* The lexer: template text to tokens, with jinja2's whitespace rules
 * (jinja2/lexer.py, 3.1) applied here so the parser sees final text:
 *   - newlines normalized to "\n", one trailing newline dropped
 *     (keep_trailing_newline=False);
 *   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`,
 *     `-#}` all whitespace after it;
 *   - trim_blocks: the first newline after `%}` or `#}` goes (not after
 *     `}}`, not after `+%}`);
 *   - lstrip_blocks: spaces and tabs between a line's start and `{%` or
 *     `{#` go (not before `{{`, not before `{%+`);
 *   - `{% raw %}...{% endraw %}` is text.
 * Tag ends are only recognized outside brackets, as jinja2's balancing
 * stack does, so `{{ {'a': {'b': 1}} }}` works. */
#include "jinja.h"

#include "common/escape.h"
#include "common/unicode.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    jctx *c;
    const char *s;
    size_t n, pos;
    /* line/column of `at` (advanced monotonically) */
    size_t at, line, line_start;
    size_t cap;
} lexer;

static void locate(lexer *L, size_t pos, uint32_t *line, uint32_t *col) {
    if (pos < L->at) { /* rare: restart */
        L->at = 0;
        L->line = 1;
        L->line_start = 0;
    }
    for (; L->at < pos; L->at++)
        if (L->s[L->at] == '\n') {
            L->line++;
            L->line_start = L->at + 1;
        }
    *line = (uint32_t)(L->line > UINT32_MAX ? UINT32_MAX : L->line);
    size_t column = pos - L->line_start + 1;
    *col = (uint32_t)(column > UINT32_MAX ? UINT32_MAX : column);
}

_Noreturn static void lex_fail(lexer *L, size_t pos, const char *fmt, const char *what) {
    uint32_t line, col;
    locate(L, pos, &line, &col);
    jfail(L->c, LLAMAC_ERR_FORMAT, line, col, fmt, what);
}

static jtoken *push(lexer *L, jtok kind, size_t pos, const char *p, size_t n) {
    jctx *c = L->c;
    if (c->n_toks == L->cap) {
        /* The token array grows in place (not in the arena, where every old
         * copy would stay); its bytes count against max_memory_bytes and
         * jarena_free frees it. */
        size_t cap = L->cap ? L->cap * 2 : 256;
        size_t old = L->cap * sizeof(jtoken), bytes = cap * sizeof(jtoken);
        if (c->used_memory - c->toks_bytes + bytes > c->max_memory || bytes / sizeof(jtoken) != cap)
            jfail(c, LLAMAC_ERR_LIMIT, L->line > UINT32_MAX ? UINT32_MAX : (uint32_t)L->line, 1,
                  "the template's tokens need more than max_memory_bytes (%zu)", c->max_memory);
        jtoken *t = lc_realloc(c->env, c->toks, bytes);
        if (!t) jfail(c, LLAMAC_ERR_NO_MEMORY, 1, 1, "out of memory for %zu tokens", cap);
        c->toks = t;
        c->used_memory += bytes - old;
        c->toks_bytes = bytes;
        L->cap = cap;
    }
    jtoken *t = &c->toks[c->n_toks++];
    t->kind = (uint8_t)kind;
    locate(L, pos, &t->line, &t->col);
    t->p = p;
    t->n = n;
    return t;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static bool is_name_start(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
static bool is_name_char(char ch) { return is_name_start(ch) || is_digit(ch); }

static bool starts(const lexer *L, size_t pos, const char *lit) {
    size_t k = strlen(lit);
    return pos <= L->n && L->n - pos >= k && memcmp(L->s + pos, lit, k) == 0;
}

static size_t skip_space(const lexer *L, size_t pos) {
    while (pos < L->n && is_space(L->s[pos])) pos++;
    return pos;
}

/* The end of a block or comment tag at pos (closer is "%}" or "#}"):
 * returns the position after it (with trim/strip applied) or 0. */
static size_t match_block_end(const lexer *L, size_t pos, const char *closer) {
    if (L->s[pos] == '+' && starts(L, pos + 1, closer)) return pos + 3;
    if (L->s[pos] == '-' && starts(L, pos + 1, closer)) return skip_space(L, pos + 3);
    if (starts(L, pos, closer)) {
        pos += 2;
        if (pos < L->n && L->s[pos] == '\n') pos++; /* trim_blocks */
        return pos;
    }
    return 0;
}

static size_t match_var_end(const lexer *L, size_t pos) {
    if (L->s[pos] == '-' && starts(L, pos + 1, "}}")) return skip_space(L, pos + 3);
    if (starts(L, pos, "}}")) return pos + 2;
    return 0;
}

/* Emits the text s[from, to) before a tag whose sign is `sign` ('-', '+'
 * or 0), of kind '{' (variable), '%' or '#'. */
static void emit_text(lexer *L, size_t from, size_t to, char sign, char kind, bool line_starting) {
    if (sign == '-') {
        while (to > from && is_space(L->s[to - 1])) to--;
    } else if (sign != '+' && kind != '{') {
        size_t l = to;
        while (l > from && L->s[l - 1] != '\n') l--;
        if (l > from || line_starting) {
            size_t k = l;
            while (k < to && is_space(L->s[k])) k++;
            if (k == to && to > l) to = l;
        }
    }
    if (to > from) push(L, T_TEXT, from, L->s + from, to - from);
}

/* A string literal at pos (quote q); jinja2 unescapes as Python's
 * unicode-escape does. Returns the position after it. */
static size_t lex_string(lexer *L, size_t pos) {
    const char q = L->s[pos];
    size_t end = pos + 1;
    while (end < L->n && L->s[end] != q) end += L->s[end] == '\\' ? 2 : 1;
    if (end >= L->n) lex_fail(L, pos, "unterminated string literal%s", "");
    char *out = jalloc(L->c, end - pos);
    size_t n = 0;
    for (size_t i = pos + 1; i < end; i++) {
        char ch = L->s[i];
        if (ch != '\\') {
            out[n++] = ch;
            continue;
        }
        char e = L->s[++i];
        uint32_t cp = 0;
        int hex = 0;
        switch (e) {
        case 'n': out[n++] = '\n'; continue;
        case 't': out[n++] = '\t'; continue;
        case 'r': out[n++] = '\r'; continue;
        case '\\': out[n++] = '\\'; continue;
        case '\'': out[n++] = '\''; continue;
        case '"': out[n++] = '"'; continue;
        case 'a': out[n++] = '\a'; continue;
        case 'b': out[n++] = '\b'; continue;
        case 'f': out[n++] = '\f'; continue;
        case 'v': out[n++] = '\v'; continue;
        case '\n': continue;
        case 'x': hex = 2; break;
        case 'u': hex = 4; break;
        case 'U': hex = 8; break;
        default:
            if (e >= '0' && e <= '7') {
                int k = 0;
                while (k < 3 && i < end && L->s[i] >= '0' && L->s[i] <= '7') cp = cp * 8 + (uint32_t)(L->s[i++] - '0'), k++;
                i--;
                hex = -1;
                break;
            }
            out[n++] = '\\';
            out[n++] = e;
            continue;
        }
        if (hex > 0) {
            for (int k = 0; k < hex; k++) {
                char h = ++i < end ? L->s[i] : 0;
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) lex_fail(L, pos, "a string literal has a truncated \\%s escape", e == 'x' ? "x" : e == 'u' ? "u" : "U");
                cp = cp * 16 + (uint32_t)d;
            }
        }
        unsigned char u8[4];
        size_t k = (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : lc_utf8_encode(cp, u8);
        if (!k) lex_fail(L, pos, "a string literal escapes an invalid code point%s", "");
        memcpy(out + n, u8, k);
        n += k;
    }
    jtoken *t = push(L, T_STRING, pos, out, n);
    (void)t;
    return end + 1;
}

/* digits with optional single underscores between them */
static size_t digits(const lexer *L, size_t pos) {
    size_t p = pos;
    while (p < L->n && is_digit(L->s[p])) {
        p++;
        if (p + 1 < L->n && L->s[p] == '_' && is_digit(L->s[p + 1])) p++;
    }
    return p;
}

static size_t lex_number(lexer *L, size_t pos) {
    size_t p = digits(L, pos);
    bool is_float = false;
    if (p + 1 < L->n && L->s[p] == '.' && is_digit(L->s[p + 1])) {
        p = digits(L, p + 1);
        is_float = true;
    }
    if (p < L->n && (L->s[p] == 'e' || L->s[p] == 'E')) {
        size_t q = p + 1;
        if (q < L->n && (L->s[q] == '+' || L->s[q] == '-')) q++;
        if (q < L->n && is_digit(L->s[q])) {
            p = digits(L, q);
            is_float = true;
        }
    }
    char tmp[128];
    size_t k = 0;
    for (size_t i = pos; i < p && k + 1 < sizeof tmp; i++)
        if (L->s[i] != '_') tmp[k++] = L->s[i];
    tmp[k] = '\0';
    jtoken *t = push(L, is_float ? T_FLOAT : T_INT, pos, L->s + pos, p - pos);
    if (p - pos >= sizeof tmp - 1) lex_fail(L, pos, "a number literal is too long%s", "");
    if (is_float) {
        t->f = strtod(tmp, NULL);
    } else {
        errno = 0;
        unsigned long long v = strtoull(tmp, NULL, 10);
        if (errno || v > INT64_MAX) lex_fail(L, pos, "the integer literal %s does not fit in 64 bits", tmp);
        t->i = (int64_t)v;
    }
    return p;
}

static const char *const ops2[] = {"//", "**", "==", "!=", "<=", ">="};
static const char ops1[] = "+-/*%~[](){}<>=.:|,;";

/* Tokens of a `{{ }}` or `{% %}` tag from pos; returns the position after
 * its end. */
static size_t lex_tag(lexer *L, size_t pos, size_t tag_start, bool block, bool *line_starting) {
    size_t balance = 0;
    for (;;) {
        pos = skip_space(L, pos);
        if (pos >= L->n) lex_fail(L, tag_start, "this tag is never closed (%s expected)", block ? "%}" : "}}");
        if (balance == 0) {
            size_t end = block ? match_block_end(L, pos, "%}") : match_var_end(L, pos);
            if (end) {
                push(L, block ? T_BLOCK_END : T_VAR_END, pos, L->s + pos, end - pos);
                *line_starting = L->s[end - 1] == '\n';
                return end;
            }
        }
        const char ch = L->s[pos];
        if (is_digit(ch)) {
            pos = lex_number(L, pos);
        } else if (is_name_start(ch)) {
            size_t p = pos;
            while (p < L->n && is_name_char(L->s[p])) p++;
            push(L, T_NAME, pos, L->s + pos, p - pos);
            pos = p;
        } else if (ch == '\'' || ch == '"') {
            pos = lex_string(L, pos);
        } else {
            size_t k = 0;
            for (size_t i = 0; i < sizeof ops2 / sizeof ops2[0]; i++)
                if (starts(L, pos, ops2[i])) k = 2;
            if (!k && strchr(ops1, ch) && ch) k = 1;
            if (!k) {
                char what[8];
                lex_fail(L, pos, "unexpected character '%s' in a tag", lc_escape(what, sizeof what, &L->s[pos], 1));
            }
            if (ch == '(' || ch == '[' || ch == '{') {
                /* bounded here already: the parser's depth would refuse it,
                 * but only after holding every token */
                if (++balance > L->c->max_depth) {
                    uint32_t line, col;
                    locate(L, pos, &line, &col);
                    jfail(L->c, LLAMAC_ERR_LIMIT, line, col, "brackets nested deeper than max_depth (%u)",
                          (unsigned)L->c->max_depth);
                }
            } else if (k == 1 && (ch == ')' || ch == ']' || ch == '}')) {
                if (balance == 0) lex_fail(L, pos, "unexpected '%s'", ch == ')' ? ")" : ch == ']' ? "]" : "}");
                balance--;
            }
            push(L, T_OP, pos, L->s + pos, k);
            pos += k;
        }
    }
}

/* `{%[-+]? raw [-]?%}` at pos: the position after it, or 0. */
static size_t match_raw(const lexer *L, size_t pos, const char *word, bool trim) {
    size_t p = pos + 2;
    if (p < L->n && (L->s[p] == '-' || L->s[p] == '+')) p++;
    p = skip_space(L, p);
    size_t k = strlen(word);
    if (!starts(L, p, word)) return 0;
    p = skip_space(L, p + k);
    if (p >= L->n) return 0;
    if (trim) return match_block_end(L, p, "%}");
    if (L->s[p] == '-' && starts(L, p + 1, "%}")) return skip_space(L, p + 3);
    if (starts(L, p, "%}")) return p + 2;
    return 0;
}

static void validate_utf8(lexer *L) {
    const unsigned char *s = (const unsigned char *)L->s;
    for (size_t i = 0; i < L->n;) {
        uint32_t cp;
        size_t k = lc_utf8_decode(s + i, L->n - i, &cp);
        if (!k) lex_fail(L, i, "the template is not valid UTF-8 (byte 0x%s)", (char[3]){"0123456789abcdef"[s[i] >> 4], "0123456789abcdef"[s[i] & 15], 0});
        i += k;
    }
}

void jlex(jctx *c, const char *src, size_t len) {
    /* newlines normalized, one trailing newline dropped */
    char *s = jalloc(c, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            s[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            s[n++] = src[i];
        }
    }
    if (n && s[n - 1] == '\n') n--;
    s[n] = '\0';
    lexer L = {.c = c, .s = s, .n = n, .line = 1};
    validate_utf8(&L);
    bool line_starting = true;
    size_t pos = 0;
    while (pos < n) {
        const char *hit = NULL;
        for (size_t i = pos; i + 1 < n; i++)
            if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) {
                hit = s + i;
                break;
            }
        if (!hit) {
            push(&L, T_TEXT, pos, s + pos, n - pos);
            break;
        }
        const size_t t = (size_t)(hit - s);
        const char kind = s[t + 1];
        char sign = t + 2 < n && (s[t + 2] == '-' || s[t + 2] == '+') ? s[t + 2] : 0;
        size_t raw_end = kind == '%' ? match_raw(&L, t, "raw", false) : 0;
        emit_text(&L, pos, t, sign, kind, line_starting);
        if (raw_end) {
            /* find `{% endraw %}` */
            size_t p = raw_end, end = 0, body_end = 0;
            for (; p + 1 < n; p++)
                if (s[p] == '{' && s[p + 1] == '%' && (end = match_raw(&L, p, "endraw", true))) break;
            if (!end) lex_fail(&L, t, "{%% raw %%} is never closed by {%% endraw %%}%s", "");
            body_end = p;
            char esign = s[p + 2] == '-' || s[p + 2] == '+' ? s[p + 2] : 0;
            emit_text(&L, raw_end, body_end, esign, '%', false);
            line_starting = s[end - 1] == '\n';
            pos = end;
            continue;
        }
        if (kind == '#') {
            size_t p = t + 2, end = 0;
            for (; p < n; p++)
                if ((end = match_block_end(&L, p, "#}"))) break;
            if (!end) lex_fail(&L, t, "a comment is never closed (#} expected)%s", "");
            line_starting = s[end - 1] == '\n';
            pos = end;
            continue;
        }
        push(&L, kind == '%' ? T_BLOCK_BEGIN : T_VAR_BEGIN, t, s + t, 2);
        pos = lex_tag(&L, t + 2 + (sign ? 1 : 0), t, kind == '%', &line_starting);
    }
    push(&L, T_EOF, n, s + n, 0);
}
