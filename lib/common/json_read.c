/* The JSON reader (json.h): one pass over the text with an explicit stack of
 * open containers, so the input's nesting never becomes C recursion. */
#include "json_private.h"

#include "escape.h"
#include "unicode.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEPTH ((size_t)256)
#define DEFAULT_BYTES ((size_t)64 << 20)
#define DEFAULT_NODES ((size_t)4 << 20)
#define NO_KEY SIZE_MAX

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

locale_t lc_json_c_locale(void) {
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale;
}

/* A value while parsing: offsets, since the arrays it points into still
 * grow. */
typedef struct pnode {
    lc_json_kind kind;
    bool b;
    double num;
    size_t off; /* STRING: offset in strings; ARRAY, OBJECT: first child in done */
    size_t len;
    size_t key_off; /* NO_KEY unless a member of an object */
    size_t key_len;
} pnode;

/* An open container: its finished children are vals[start..]. */
typedef struct frame {
    lc_json_kind kind;
    size_t start;
    size_t key_off, key_len; /* OBJECT: the key of the member being read */
} frame;

typedef struct parser {
    const lc_env *env;
    const unsigned char *s;
    size_t n, pos;
    lc_json_limits lim;
    size_t nodes; /* values started so far */
    pnode *vals;  /* finished values whose container is still open */
    size_t vals_len, vals_cap;
    pnode *done; /* children of closed containers, each family contiguous */
    size_t done_len, done_cap;
    frame *stack;
    size_t depth, stack_cap;
    lc_bytes strings; /* string and key bytes, each followed by a NUL */
} parser;

/* "JSON line L, column C: MESSAGE" as LLAMAC_ERR_FORMAT; the position is
 * recomputed from the byte offset only when something failed. */
static llamac_status fail_at(const parser *p, size_t at, const char *fmt, ...) LC_PRINTF(3, 4);
static llamac_status fail_at(const parser *p, size_t at, const char *fmt, ...) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at >= p->n) return lc_fail(LLAMAC_ERR_FORMAT, "JSON line %zu, column %zu: %s, found the end", line, col, what);
    char found[32];
    lc_escape(found, sizeof found, p->s + at, LC_MIN(p->n - at, (size_t)8));
    return lc_fail(LLAMAC_ERR_FORMAT, "JSON line %zu, column %zu: %s, found '%s'", line, col, what, found);
}

static void skip_space(parser *p) {
    while (p->pos < p->n) {
        const unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
        p->pos++;
    }
}

static bool is_digit(const parser *p, size_t i) { return i < p->n && p->s[i] >= '0' && p->s[i] <= '9'; }

/* Counts one more value against max_nodes. */
static llamac_status count_node(parser *p) {
    if (p->nodes >= p->lim.max_nodes)
        return fail_at(p, p->pos, "more than %zu values (the document's limit)", p->lim.max_nodes);
    p->nodes++;
    return LLAMAC_OK;
}

/* Adds a finished value to its open container (or as the root), with the
 * key that container's member is being read under. */
static llamac_status push_value(parser *p, pnode v) {
    v.key_off = NO_KEY;
    v.key_len = 0;
    if (p->depth && p->stack[p->depth - 1].kind == LC_JSON_OBJECT) {
        v.key_off = p->stack[p->depth - 1].key_off;
        v.key_len = p->stack[p->depth - 1].key_len;
    }
    llamac_status st = lc_grow(p->env, &p->vals, &p->vals_cap, p->vals_len + 1, sizeof *p->vals);
    if (st) return st;
    p->vals[p->vals_len++] = v;
    return LLAMAC_OK;
}

static int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The four hex digits at s[i..i+4) as a number, or -1. */
static long hex4(const parser *p, size_t i) {
    if (i > p->n || p->n - i < 4) return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        const int d = hex_digit(p->s[i + k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Reads the string starting at the '"' at pos into strings: *off and *len
 * give its bytes (escapes decoded), followed there by a NUL. */
static llamac_status parse_string(parser *p, size_t *off, size_t *len) {
    const size_t start = p->strings.len;
    size_t i = p->pos + 1;
    llamac_status st;
    for (;;) {
        const size_t run = i;
        while (i < p->n && p->s[i] >= 0x20 && p->s[i] < 0x80 && p->s[i] != '"' && p->s[i] != '\\') i++;
        if ((st = lc_bytes_append(p->env, &p->strings, p->s + run, i - run))) return st;
        if (i >= p->n) return fail_at(p, i, "expected '\"' to end the string started at byte %zu", p->pos + 1);
        const unsigned char c = p->s[i];
        if (c == '"') {
            i++;
            break;
        }
        if (c < 0x20) return fail_at(p, i, "expected a string character (a control byte must be escaped)");
        if (c >= 0x80) {
            uint32_t cp;
            const size_t k = lc_utf8_decode(p->s + i, p->n - i, &cp);
            if (!k) return fail_at(p, i, "expected UTF-8 text (these bytes are not well-formed UTF-8)");
            if ((st = lc_bytes_append(p->env, &p->strings, p->s + i, k))) return st;
            i += k;
            continue;
        }
        /* a backslash */
        if (i + 1 >= p->n) return fail_at(p, i + 1, "expected an escape after '\\'");
        char one;
        switch (p->s[i + 1]) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            long cp = hex4(p, i + 2);
            if (cp < 0) return fail_at(p, i, "expected four hex digits after '\\u'");
            size_t used = 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(p, i, "expected a character, not a lone low surrogate \\u%04lX", (unsigned long)cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                const long lo = i + 7 < p->n && p->s[i + 6] == '\\' && p->s[i + 7] == 'u' ? hex4(p, i + 8) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail_at(p, i, "expected a low surrogate escape after the high surrogate \\u%04lX",
                                   (unsigned long)cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 12;
            }
            unsigned char utf8[4];
            const size_t k = lc_utf8_encode((uint32_t)cp, utf8);
            if ((st = lc_bytes_append(p->env, &p->strings, utf8, k))) return st;
            i += used;
            continue;
        }
        default:
            return fail_at(p, i, "expected one of the escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
        }
        if ((st = lc_bytes_append(p->env, &p->strings, &one, 1))) return st;
        i += 2;
    }
    if ((st = lc_bytes_append(p->env, &p->strings, "", 1))) return st;
    *off = start;
    *len = p->strings.len - start - 1;
    p->pos = i;
    return LLAMAC_OK;
}

/* Reads `"key"` and ':' into the open object's frame. */
static llamac_status parse_key(parser *p) {
    skip_space(p);
    if (p->pos >= p->n || p->s[p->pos] != '"') return fail_at(p, p->pos, "expected a string key");
    frame *f = &p->stack[p->depth - 1];
    llamac_status st = parse_string(p, &f->key_off, &f->key_len);
    if (st) return st;
    skip_space(p);
    if (p->pos >= p->n || p->s[p->pos] != ':') return fail_at(p, p->pos, "expected ':' after the key");
    p->pos++;
    return LLAMAC_OK;
}

/* number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ] */
static llamac_status parse_number(parser *p, double *out) {
    size_t i = p->pos;
    if (p->s[i] == '-') i++;
    if (i < p->n && p->s[i] == '0') {
        i++;
    } else if (is_digit(p, i)) {
        while (is_digit(p, i)) i++;
    } else {
        return fail_at(p, i, "expected a digit");
    }
    if (i < p->n && p->s[i] == '.') {
        i++;
        if (!is_digit(p, i)) return fail_at(p, i, "expected a digit after '.'");
        while (is_digit(p, i)) i++;
    }
    if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->n && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (!is_digit(p, i)) return fail_at(p, i, "expected a digit in the exponent");
        while (is_digit(p, i)) i++;
    }
    const size_t span = i - p->pos;
    char small[64];
    char *buf = span < sizeof small ? small : lc_malloc(p->env, span + 1);
    if (!buf) return LLAMAC_ERR_NO_MEMORY;
    memcpy(buf, p->s + p->pos, span);
    buf[span] = '\0';
    const locale_t c = lc_json_c_locale();
    llamac_status st = LLAMAC_OK;
    if (!c) {
        st = lc_fail(LLAMAC_ERR_NO_MEMORY, "JSON: cannot make the C locale to read numbers");
    } else {
        const locale_t old = uselocale(c);
        char *end;
        *out = strtod(buf, &end);
        uselocale(old);
        if (end != buf + span) {
            st = fail_at(p, p->pos, "expected a number strtod reads whole");
        } else if (isinf(*out)) {
            st = fail_at(p, p->pos, "expected a number within the range of a double (magnitude below 1.8e308)");
        }
    }
    if (buf != small) lc_free(p->env, buf);
    if (!st) p->pos = i;
    return st;
}

static bool literal(parser *p, const char *word) {
    const size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k)) return false;
    p->pos += k;
    return true;
}

static llamac_status open_container(parser *p, lc_json_kind kind) {
    llamac_status st = count_node(p);
    if (st) return st;
    if (p->depth >= p->lim.max_depth)
        return fail_at(p, p->pos, "expected nesting at most %zu deep (the document's limit)", p->lim.max_depth);
    if ((st = lc_grow(p->env, &p->stack, &p->stack_cap, p->depth + 1, sizeof *p->stack))) return st;
    p->stack[p->depth++] = (frame){.kind = kind, .start = p->vals_len, .key_off = NO_KEY};
    p->pos++;
    return LLAMAC_OK;
}

/* Moves the innermost container's children to done and adds the container
 * to its parent. */
static llamac_status close_container(parser *p) {
    const frame f = p->stack[--p->depth];
    const size_t k = p->vals_len - f.start;
    llamac_status st = lc_grow(p->env, &p->done, &p->done_cap, p->done_len + k, sizeof *p->done);
    if (st) return st;
    if (k) memcpy(p->done + p->done_len, p->vals + f.start, k * sizeof *p->done);
    const pnode node = {.kind = f.kind, .off = p->done_len, .len = k};
    p->done_len += k;
    p->vals_len = f.start;
    p->pos++;
    return push_value(p, node);
}

/* Reads a value that does not open a container. */
static llamac_status parse_scalar(parser *p) {
    llamac_status st = count_node(p);
    if (st) return st;
    pnode v = {.kind = LC_JSON_NULL};
    const unsigned char c = p->s[p->pos];
    if (c == '"') {
        v.kind = LC_JSON_STRING;
        st = parse_string(p, &v.off, &v.len);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v.kind = LC_JSON_NUMBER;
        st = parse_number(p, &v.num);
    } else if (literal(p, "true")) {
        v.kind = LC_JSON_BOOL;
        v.b = true;
    } else if (literal(p, "false")) {
        v.kind = LC_JSON_BOOL;
    } else if (!literal(p, "null")) {
        return fail_at(p, p->pos, "expected a value");
    }
    return st ? st : push_value(p, v);
}

static llamac_status parse_all(parser *p) {
    bool want_value = true;
    llamac_status st;
    for (;;) {
        skip_space(p);
        if (want_value) {
            if (p->pos >= p->n) return fail_at(p, p->pos, "expected a value");
            const unsigned char c = p->s[p->pos];
            if (c == '[' || c == '{') {
                const lc_json_kind kind = c == '[' ? LC_JSON_ARRAY : LC_JSON_OBJECT;
                if ((st = open_container(p, kind))) return st;
                skip_space(p);
                if (p->pos < p->n && p->s[p->pos] == (c == '[' ? ']' : '}')) {
                    if ((st = close_container(p))) return st;
                    want_value = false;
                } else if (kind == LC_JSON_OBJECT && (st = parse_key(p))) {
                    return st;
                }
                continue;
            }
            if ((st = parse_scalar(p))) return st;
            want_value = false;
            continue;
        }
        if (!p->depth) {
            if (p->pos < p->n) return fail_at(p, p->pos, "expected the end of the document");
            return LLAMAC_OK;
        }
        const bool in_array = p->stack[p->depth - 1].kind == LC_JSON_ARRAY;
        const unsigned char close = in_array ? ']' : '}';
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            if (!in_array && (st = parse_key(p))) return st;
            want_value = true;
        } else if (p->pos < p->n && p->s[p->pos] == close) {
            if ((st = close_container(p))) return st;
        } else {
            return fail_at(p, p->pos, in_array ? "expected ',' or ']'" : "expected ',' or '}'");
        }
    }
}

/* Copies the parsed values into one block: root, then done[] in order, then
 * the strings; offsets become pointers. */
static llamac_status build_tree(parser *p, lc_json **out) {
    const size_t count = p->done_len + 1;
    size_t bytes;
    if (lc_mul_overflow_size(count, sizeof(lc_json), &bytes) || lc_add_overflow_size(bytes, p->strings.len, &bytes))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "JSON: a tree of %zu values overflows", count);
    lc_json *nodes = lc_malloc(p->env, bytes);
    if (!nodes) return LLAMAC_ERR_NO_MEMORY;
    char *text = (char *)(nodes + count);
    if (p->strings.len) memcpy(text, p->strings.data, p->strings.len);
    for (size_t j = 0; j < count; j++) {
        const pnode *v = j ? &p->done[j - 1] : &p->vals[0];
        lc_json *o = &nodes[j];
        *o = (lc_json){.kind = v->kind, .b = v->b, .num = v->num, .len = v->len, .key_len = v->key_len};
        if (v->kind == LC_JSON_STRING) o->str = text + v->off;
        if ((v->kind == LC_JSON_ARRAY || v->kind == LC_JSON_OBJECT) && v->len) o->items = nodes + 1 + v->off;
        if (v->key_off != NO_KEY) o->key = text + v->key_off;
    }
    *out = nodes;
    return LLAMAC_OK;
}

llamac_status lc_json_parse(const lc_env *env, const char *text, size_t len, const lc_json_limits *lim,
                            lc_json **out) {
    LC_REQUIRE(out);
    *out = NULL;
    if (!text && len) return lc_null_arg(__func__, "text");
    parser p = {.env = env, .s = (const unsigned char *)text, .n = len};
    if (lim) p.lim = *lim;
    if (!p.lim.max_depth) p.lim.max_depth = DEFAULT_DEPTH;
    if (!p.lim.max_bytes) p.lim.max_bytes = DEFAULT_BYTES;
    if (!p.lim.max_nodes) p.lim.max_nodes = DEFAULT_NODES;
    llamac_status st;
    if (len > p.lim.max_bytes) {
        st = lc_fail(LLAMAC_ERR_FORMAT, "JSON: a document of %zu bytes is over the limit of %zu", len,
                     p.lim.max_bytes);
    } else {
        st = parse_all(&p);
        if (!st) st = build_tree(&p, out);
    }
    lc_free(env, p.vals);
    lc_free(env, p.done);
    lc_free(env, p.stack);
    lc_free(env, p.strings.data);
    return st;
}

void lc_json_free(const lc_env *env, lc_json *root) { lc_free(env, root); }

lc_json_kind lc_json_kind_of(const lc_json *v) { return v->kind; }

bool lc_json_bool(const lc_json *v) { return v->kind == LC_JSON_BOOL && v->b; }

double lc_json_number(const lc_json *v) { return v->kind == LC_JSON_NUMBER ? v->num : 0.0; }

const char *lc_json_string(const lc_json *v, size_t *len) {
    if (v->kind != LC_JSON_STRING) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->len;
    return v->str;
}

size_t lc_json_count(const lc_json *v) {
    return v->kind == LC_JSON_ARRAY || v->kind == LC_JSON_OBJECT ? v->len : 0;
}

const lc_json *lc_json_at(const lc_json *v, size_t i) { return i < lc_json_count(v) ? &v->items[i] : NULL; }

const char *lc_json_key_at(const lc_json *v, size_t i, size_t *len) {
    if (v->kind != LC_JSON_OBJECT || i >= v->len) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->items[i].key_len;
    return v->items[i].key;
}

const lc_json *lc_json_get(const lc_json *obj, const char *key) {
    if (obj->kind != LC_JSON_OBJECT) return NULL;
    const size_t k = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->items[i].key_len == k && !memcmp(obj->items[i].key, key, k)) return &obj->items[i];
    return NULL;
}
