/* The JSON writer (json.h): Python's json.dumps layout, with an explicit
 * stack so a deep tree never becomes deep C recursion. */
#include "json_private.h"

#include "unicode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INDENT = 1024 };

static llamac_status put(const lc_env *env, lc_bytes *out, const char *s) {
    return lc_bytes_append(env, out, s, strlen(s));
}

llamac_status lc_json_write_string(const lc_env *env, lc_bytes *out, const char *s, size_t len) {
    if (!s && len) return lc_null_arg(__func__, "s");
    if (len && !lc_utf8_valid((const unsigned char *)s, len))
        return lc_fail(LLAMAC_ERR_FORMAT, "JSON: a string to write is not well-formed UTF-8");
    llamac_status st = put(env, out, "\"");
    size_t run = 0;
    for (size_t i = 0; i < len && !st; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        char esc[8];
        switch (c) {
        case '"': strcpy(esc, "\\\""); break;
        case '\\': strcpy(esc, "\\\\"); break;
        case '\b': strcpy(esc, "\\b"); break;
        case '\f': strcpy(esc, "\\f"); break;
        case '\n': strcpy(esc, "\\n"); break;
        case '\r': strcpy(esc, "\\r"); break;
        case '\t': strcpy(esc, "\\t"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); break; /* Python's lower-case hex */
        }
        st = lc_bytes_append(env, out, s + run, i - run);
        if (!st) st = put(env, out, esc);
        run = i + 1;
    }
    if (!st) st = lc_bytes_append(env, out, s + run, len - run);
    if (!st) st = put(env, out, "\"");
    return st;
}

/* The shortest "%.*e" spelling of x that reads back as x: its digits (no
 * point) into digits, the decimal exponent into *exp10. */
static void shortest_digits(double x, char digits[32], int *exp10) {
    char e[48];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, x);
        if (strtod(e, NULL) == x) break;
    }
    size_t n = 0;
    const char *q = e;
    if (*q == '-') q++;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[n++] = *q;
    digits[n] = '\0';
    *exp10 = atoi(q + 1);
}

/* Python's float repr: scientific below 1e-4 and from 1e16 up, with at least
 * two exponent digits; fixed notation with at least one fraction digit
 * between. */
static void python_repr(double x, char *buf, size_t size) {
    if (isnan(x)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, size, "%sinf", x < 0 ? "-" : "");
        return;
    }
    char digits[32];
    int exp10;
    shortest_digits(x, digits, &exp10);
    const int nd = (int)strlen(digits);
    const char *sign = signbit(x) ? "-" : "";
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(buf, size, "%s%c%s%.*se%c%02d", sign, digits[0], nd > 1 ? "." : "", nd - 1, digits + 1,
                 exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        snprintf(buf, size, "%s0.%.*s%s", sign, -exp10 - 1, "000", digits);
    } else if (nd > exp10 + 1) {
        snprintf(buf, size, "%s%.*s.%s", sign, exp10 + 1, digits, digits + exp10 + 1);
    } else {
        snprintf(buf, size, "%s%s%.*s.0", sign, digits, exp10 + 1 - nd, "0000000000000000");
    }
}

llamac_status lc_json_write_number(const lc_env *env, lc_bytes *out, double x) {
    if (!isfinite(x)) return lc_fail(LLAMAC_ERR_INVALID_ARG, "JSON: cannot write the non-finite number %g", x);
    const locale_t c = lc_json_c_locale();
    if (!c) return lc_fail(LLAMAC_ERR_NO_MEMORY, "JSON: cannot make the C locale to write numbers");
    const locale_t old = uselocale(c);
    char buf[64];
    if (x == floor(x) && fabs(x) < 1e16) {
        snprintf(buf, sizeof buf, "%.0f", x); /* exact: every such double is an integer below 2^54 */
    } else {
        python_repr(x, buf, sizeof buf);
    }
    uselocale(old);
    return put(env, out, buf);
}

llamac_status lc_python_float_repr(double x, char *buf, size_t size) {
    const locale_t c = lc_json_c_locale();
    if (!c) return lc_fail(LLAMAC_ERR_NO_MEMORY, "cannot make the C locale to write numbers");
    const locale_t old = uselocale(c);
    python_repr(x, buf, size);
    uselocale(old);
    return LLAMAC_OK;
}

static llamac_status newline(const lc_env *env, lc_bytes *out, int indent, size_t depth) {
    static const char spaces[] = "                                                                ";
    llamac_status st = put(env, out, "\n");
    size_t n;
    if (lc_mul_overflow_size((size_t)indent, depth, &n)) return lc_fail(LLAMAC_ERR_NO_MEMORY, "JSON: indent overflows");
    while (n && !st) {
        const size_t k = LC_MIN(n, sizeof spaces - 1);
        st = lc_bytes_append(env, out, spaces, k);
        n -= k;
    }
    return st;
}

typedef struct wframe {
    const lc_json *v;
    size_t next; /* the child to write next */
} wframe;

/* Writes a scalar or an empty container whole, or the opening bracket of a
 * container, which is then pushed. */
static llamac_status begin_value(const lc_env *env, lc_bytes *out, const lc_json *v, wframe **stack, size_t *depth,
                                 size_t *cap) {
    switch (v->kind) {
    case LC_JSON_NULL: return put(env, out, "null");
    case LC_JSON_BOOL: return put(env, out, v->b ? "true" : "false");
    case LC_JSON_NUMBER: return lc_json_write_number(env, out, v->num);
    case LC_JSON_STRING: return lc_json_write_string(env, out, v->str, v->len);
    case LC_JSON_ARRAY:
    case LC_JSON_OBJECT: break;
    }
    const bool array = v->kind == LC_JSON_ARRAY;
    if (!v->len) return put(env, out, array ? "[]" : "{}");
    llamac_status st = lc_grow(env, stack, cap, *depth + 1, sizeof **stack);
    if (st) return st;
    (*stack)[(*depth)++] = (wframe){v, 0};
    return put(env, out, array ? "[" : "{");
}

llamac_status lc_json_write(const lc_env *env, lc_bytes *out, const lc_json *v, int indent) {
    if (indent > MAX_INDENT)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "JSON: indent %d is over the limit of %d", indent, MAX_INDENT);
    const bool pretty = indent > 0;
    wframe *stack = NULL;
    size_t depth = 0, cap = 0;
    llamac_status st = begin_value(env, out, v, &stack, &depth, &cap);
    while (!st && depth) {
        wframe *f = &stack[depth - 1];
        const bool array = f->v->kind == LC_JSON_ARRAY;
        if (f->next == f->v->len) {
            depth--;
            if (pretty) st = newline(env, out, indent, depth);
            if (!st) st = put(env, out, array ? "]" : "}");
            continue;
        }
        const lc_json *child = &f->v->items[f->next++];
        if (f->next > 1) st = put(env, out, pretty ? "," : ", ");
        if (!st && pretty) st = newline(env, out, indent, depth);
        if (!st && !array) {
            st = lc_json_write_string(env, out, child->key, child->key_len);
            if (!st) st = put(env, out, ": ");
        }
        if (!st) st = begin_value(env, out, child, &stack, &depth, &cap);
    }
    lc_free(env, stack);
    return st;
}
