/* The tests' JSON Schema validator (json_schema_check.h). Recursive: the
 * schemas and documents are the tests' own, small and trusted. */
#include "json_schema_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *why, size_t n, const char *msg, const char *detail) {
    snprintf(why, n, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
    return false;
}

static bool values_equal(const lc_json *a, const lc_json *b) {
    if (lc_json_kind_of(a) != lc_json_kind_of(b)) return false;
    switch (lc_json_kind_of(a)) {
    case LC_JSON_NULL: return true;
    case LC_JSON_BOOL: return lc_json_bool(a) == lc_json_bool(b);
    case LC_JSON_NUMBER: return lc_json_number(a) == lc_json_number(b);
    case LC_JSON_STRING: {
        size_t an, bn;
        const char *as = lc_json_string(a, &an), *bs = lc_json_string(b, &bn);
        return an == bn && memcmp(as, bs, an) == 0;
    }
    case LC_JSON_ARRAY:
    case LC_JSON_OBJECT:
        if (lc_json_count(a) != lc_json_count(b)) return false;
        for (size_t i = 0; i < lc_json_count(a); i++) {
            if (lc_json_kind_of(a) == LC_JSON_OBJECT) {
                size_t kn;
                const char *k = lc_json_key_at(a, i, &kn);
                const lc_json *bv = lc_json_get(b, k);
                if (!bv || !values_equal(lc_json_at(a, i), bv)) return false;
            } else if (!values_equal(lc_json_at(a, i), lc_json_at(b, i))) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static bool type_is(const lc_json *doc, const char *t) {
    const lc_json_kind k = lc_json_kind_of(doc);
    if (!strcmp(t, "null")) return k == LC_JSON_NULL;
    if (!strcmp(t, "boolean")) return k == LC_JSON_BOOL;
    if (!strcmp(t, "number")) return k == LC_JSON_NUMBER;
    if (!strcmp(t, "integer")) return k == LC_JSON_NUMBER && lc_json_number(doc) == floor(lc_json_number(doc));
    if (!strcmp(t, "string")) return k == LC_JSON_STRING;
    if (!strcmp(t, "array")) return k == LC_JSON_ARRAY;
    if (!strcmp(t, "object")) return k == LC_JSON_OBJECT;
    return false;
}

static size_t code_points(const char *s, size_t n) {
    size_t cps = 0;
    for (size_t i = 0; i < n; i++) cps += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cps;
}

static const char *const KNOWN[] = {"type", "properties", "required", "additionalProperties", "items", "minItems",
                                    "maxItems", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
                                    "anyOf", "oneOf", "$ref", "$defs", "definitions", "description", "title"};

bool json_schema_check(const lc_json *root, const lc_json *schema, const lc_json *doc, char *why, size_t why_size) {
    if (lc_json_kind_of(schema) == LC_JSON_BOOL) return lc_json_bool(schema) || fail(why, why_size, "schema false", NULL);
    if (lc_json_kind_of(schema) != LC_JSON_OBJECT) return fail(why, why_size, "schema is not an object", NULL);
    for (size_t i = 0; i < lc_json_count(schema); i++) {
        const char *k = lc_json_key_at(schema, i, NULL);
        bool known = false;
        for (size_t j = 0; j < sizeof KNOWN / sizeof KNOWN[0]; j++) known |= !strcmp(k, KNOWN[j]);
        if (!known) return fail(why, why_size, "keyword the checker does not know", k);
    }
    const lc_json *v;
    if ((v = lc_json_get(schema, "$ref"))) {
        const char *ref = lc_json_string(v, NULL);
        const char *slash = ref ? strrchr(ref, '/') : NULL;
        const lc_json *defs = lc_json_get(root, strstr(ref, "#/$defs/") == ref ? "$defs" : "definitions");
        const lc_json *target = slash && defs ? lc_json_get(defs, slash + 1) : NULL;
        if (!target) return fail(why, why_size, "unresolved $ref", ref);
        return json_schema_check(root, target, doc, why, why_size);
    }
    if ((v = lc_json_get(schema, "anyOf")) || (v = lc_json_get(schema, "oneOf"))) {
        for (size_t i = 0; i < lc_json_count(v); i++)
            if (json_schema_check(root, lc_json_at(v, i), doc, why, why_size)) return true;
        return fail(why, why_size, "no alternative of anyOf/oneOf matches", NULL);
    }
    if ((v = lc_json_get(schema, "type"))) {
        bool ok = false;
        if (lc_json_kind_of(v) == LC_JSON_ARRAY) {
            for (size_t i = 0; i < lc_json_count(v); i++) ok |= type_is(doc, lc_json_string(lc_json_at(v, i), NULL));
        } else {
            ok = type_is(doc, lc_json_string(v, NULL));
        }
        if (!ok) return fail(why, why_size, "wrong type", NULL);
    }
    if ((v = lc_json_get(schema, "const")) && !values_equal(v, doc)) return fail(why, why_size, "not the const", NULL);
    if ((v = lc_json_get(schema, "enum"))) {
        bool ok = false;
        for (size_t i = 0; i < lc_json_count(v); i++) ok |= values_equal(lc_json_at(v, i), doc);
        if (!ok) return fail(why, why_size, "not in the enum", NULL);
    }
    if (lc_json_kind_of(doc) == LC_JSON_STRING) {
        size_t n;
        const char *s = lc_json_string(doc, &n);
        const size_t cps = code_points(s, n);
        if ((v = lc_json_get(schema, "minLength")) && cps < lc_json_number(v)) return fail(why, why_size, "too short", s);
        if ((v = lc_json_get(schema, "maxLength")) && cps > lc_json_number(v)) return fail(why, why_size, "too long", s);
    }
    if (lc_json_kind_of(doc) == LC_JSON_NUMBER) {
        const double x = lc_json_number(doc);
        if ((v = lc_json_get(schema, "minimum")) && x < lc_json_number(v)) return fail(why, why_size, "below minimum", NULL);
        if ((v = lc_json_get(schema, "maximum")) && x > lc_json_number(v)) return fail(why, why_size, "above maximum", NULL);
    }
    if (lc_json_kind_of(doc) == LC_JSON_ARRAY) {
        const double n = (double)lc_json_count(doc);
        if ((v = lc_json_get(schema, "minItems")) && n < lc_json_number(v)) return fail(why, why_size, "too few items", NULL);
        if ((v = lc_json_get(schema, "maxItems")) && n > lc_json_number(v)) return fail(why, why_size, "too many items", NULL);
        if ((v = lc_json_get(schema, "items")))
            for (size_t i = 0; i < lc_json_count(doc); i++)
                if (!json_schema_check(root, v, lc_json_at(doc, i), why, why_size)) return false;
    }
    if (lc_json_kind_of(doc) == LC_JSON_OBJECT) {
        const lc_json *props = lc_json_get(schema, "properties"), *req = lc_json_get(schema, "required");
        const lc_json *extra = lc_json_get(schema, "additionalProperties");
        for (size_t i = 0; i < lc_json_count(req); i++) {
            const char *k = lc_json_string(lc_json_at(req, i), NULL);
            if (!lc_json_get(doc, k)) return fail(why, why_size, "required property missing", k);
        }
        for (size_t i = 0; i < lc_json_count(doc); i++) {
            const char *k = lc_json_key_at(doc, i, NULL);
            for (size_t j = 0; j < i; j++)
                if (!strcmp(lc_json_key_at(doc, j, NULL), k)) return fail(why, why_size, "duplicate key", k);
            const lc_json *ps = props ? lc_json_get(props, k) : NULL;
            if (ps) {
                if (!json_schema_check(root, ps, lc_json_at(doc, i), why, why_size)) return false;
            } else if (extra && lc_json_kind_of(extra) == LC_JSON_BOOL && !lc_json_bool(extra)) {
                return fail(why, why_size, "property not allowed", k);
            } else if (extra && lc_json_kind_of(extra) == LC_JSON_OBJECT &&
                       !json_schema_check(root, extra, lc_json_at(doc, i), why, why_size)) {
                return false;
            }
        }
    }
    return true;
}
