/* Text building for the JSON Schema converter: sticky failure, appends
 * counted against the work budget, GBNF literals and nlohmann-style JSON
 * dumps of const/enum values. */
#include "json_schema_private.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

llamac_status lc_js_fail(lc_js *c, llamac_status st, const char *fmt, ...) {
    if (c->st) return c->st;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->st = lc_fail(st, "JSON schema: %s", msg);
    return c->st;
}

bool lc_js_spend(lc_js *c, size_t n) {
    if (c->st) return false;
    if (n > LC_JS_MAX_WORK - c->work) {
        lc_js_fail(c, LLAMAC_ERR_LIMIT, "the conversion exceeds its work budget (%zu units; the schema expands "
                   "too much)", LC_JS_MAX_WORK);
        return false;
    }
    c->work += n;
    return true;
}

void lc_js_put(lc_js *c, lc_bytes *b, const void *s, size_t n) {
    if (!lc_js_spend(c, n)) return;
    if (n > LC_JS_MAX_OUTPUT - LC_MIN(b->len, (size_t)LC_JS_MAX_OUTPUT)) {
        lc_js_fail(c, LLAMAC_ERR_LIMIT, "a rule or the grammar exceeds %d bytes", LC_JS_MAX_OUTPUT);
        return;
    }
    llamac_status st = lc_bytes_append(c->env, b, s, n);
    if (st) lc_js_fail(c, st, "out of memory building the grammar");
}

void lc_js_puts(lc_js *c, lc_bytes *b, const char *s) {
    lc_js_put(c, b, s, strlen(s));
}

void lc_js_putc(lc_js *c, lc_bytes *b, char ch) {
    lc_js_put(c, b, &ch, 1);
}

void lc_js_putu(lc_js *c, lc_bytes *b, uint64_t v) {
    char t[24];
    snprintf(t, sizeof t, "%" PRIu64, v);
    lc_js_puts(c, b, t);
}

void lc_js_puti(lc_js *c, lc_bytes *b, int64_t v) {
    char t[24];
    snprintf(t, sizeof t, "%" PRId64, v);
    lc_js_puts(c, b, t);
}

void lc_js_put_literal(lc_js *c, lc_bytes *b, const char *s, size_t n) {
    lc_js_putc(c, b, '"');
    if (!s) n = 0;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '\r' ? "\\r" : s[i] == '\n' ? "\\n" : s[i] == '"' ? "\\\"" : NULL;
        if (!esc) continue;
        lc_js_put(c, b, s + run, i - run);
        lc_js_puts(c, b, esc);
        run = i + 1;
    }
    if (n) lc_js_put(c, b, s + run, n - run);
    lc_js_putc(c, b, '"');
}

static void put_json_string(lc_js *c, lc_bytes *b, const char *s, size_t n) {
    if (!lc_js_spend(c, n + 2)) return;
    /* nlohmann escapes as Python does without ensure_ascii (\uXXXX in lower
     * case for other control bytes, UTF-8 kept), which lc_json_write_string
     * writes. */
    llamac_status st = lc_json_write_string(c->env, b, s, n);
    if (st) lc_js_fail(c, st, "cannot write a string of the schema");
}

static void put_json_number(lc_js *c, lc_bytes *b, double x) {
    /* The reader keeps only a double, so 1 and 1.0 look alike; both are
     * written as the integer (nlohmann writes the source's 1.0 as "1.0"). */
    if (x == floor(x) && fabs(x) < 9.2e18) {
        lc_js_puti(c, b, (int64_t)x);
        return;
    }
    if (!lc_js_spend(c, 32)) return;
    llamac_status st = lc_json_write_number(c->env, b, x);
    if (st) lc_js_fail(c, st, "cannot write a number of the schema");
}

/* Recursive on the value's nesting, which the parse bounded to
 * LC_JS_MAX_JSON_DEPTH levels. */
void lc_js_put_dump(lc_js *c, lc_bytes *b, const lc_json *v) {
    if (c->st) return;
    switch (lc_js_kind(v)) {
    case LC_JSON_NULL: lc_js_puts(c, b, "null"); break;
    case LC_JSON_BOOL: lc_js_puts(c, b, lc_js_bool(v) ? "true" : "false"); break;
    case LC_JSON_NUMBER: put_json_number(c, b, lc_js_number(v)); break;
    case LC_JSON_STRING: {
        size_t n;
        const char *s = lc_js_string(v, &n);
        put_json_string(c, b, s, n);
        break;
    }
    case LC_JSON_ARRAY:
    case LC_JSON_OBJECT: {
        const bool obj = lc_js_kind(v) == LC_JSON_OBJECT;
        lc_js_putc(c, b, obj ? '{' : '[');
        for (size_t i = 0; i < lc_js_count(v) && !c->st; i++) {
            if (i) lc_js_putc(c, b, ',');
            if (obj) {
                size_t kn;
                const char *k = lc_json_key_at(v, i, &kn);
                put_json_string(c, b, k, kn);
                lc_js_putc(c, b, ':');
            }
            lc_js_put_dump(c, b, lc_js_at(v, i));
        }
        lc_js_putc(c, b, obj ? '}' : ']');
        break;
    }
    }
}

void lc_js_put_child(lc_js *c, lc_bytes *b, const char *name, size_t name_len, const char *suffix, size_t suffix_len) {
    lc_js_put(c, b, name, name_len);
    if (name_len) lc_js_putc(c, b, '-');
    lc_js_put(c, b, suffix, suffix_len);
    if (b->len > LC_JS_MAX_NAME)
        lc_js_fail(c, LLAMAC_ERR_LIMIT, "a rule name exceeds %d bytes (nesting of long property names)",
                   LC_JS_MAX_NAME);
}

void lc_js_bytes_free(lc_js *c, lc_bytes *b) {
    lc_free(c->env, b->data);
    *b = (lc_bytes){0};
}

bool lc_js_str_eq(const char *a, size_t an, const char *b, size_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}
