/* The JSON Schema -> GBNF converter's shared state (json_schema*.c).
 *
 * The conversion follows llama.cpp's SchemaConverter (common/
 * json-schema-to-grammar.cpp at c392e50) rule for rule, so that its output
 * matches the peer's byte for byte: the same rule names, the same rule text,
 * rules printed in byte order of their names. The differences are limits
 * (the schema is untrusted) and refusals where the peer crashes, loops or
 * reads past a string.
 *
 * Failure is sticky: the first lc_js_fail records the status and the
 * thread's message, and every later append or rule does nothing, so the
 * walk reads as the happy path and checks c->st where it must stop. */
#ifndef LLAMAC_JSON_SCHEMA_PRIVATE_H
#define LLAMAC_JSON_SCHEMA_PRIVATE_H

#include "common/buffer.h"
#include "common/internal.h"
#include "common/json.h"

/* Bounds on untrusted schemas (docs/grammar.md, "JSON Schema"). */
enum {
    LC_JS_MAX_SCHEMA_BYTES = 4 << 20, /* schema text */
    LC_JS_MAX_JSON_DEPTH = 64,        /* nesting of the schema's JSON */
    LC_JS_MAX_VISIT_DEPTH = 64,       /* nested subschemas, $ref and allOf chains */
    LC_JS_MAX_GROUP_DEPTH = 64,       /* nested ( ) in a pattern */
    LC_JS_MAX_COUNT = 1000000,        /* minItems, maxLength, {m,n} in patterns ... */
    LC_JS_MAX_RULES = 100000,
    LC_JS_MAX_NAME = 65536,           /* bytes of one rule name */
    LC_JS_MAX_OUTPUT = 16 << 20,      /* bytes of the grammar */
};
/* Work units (bytes built plus rule lookups) one conversion may spend:
 * bounds the time of schemas that expand (one subschema reached through
 * many allOf references). */
#define LC_JS_MAX_WORK ((size_t)64 << 20)

/* The JSON readers, taking NULL (an absent key) as an absent value: the
 * walk asks about keys that are usually missing. */
static inline lc_json_kind lc_js_kind(const lc_json *v) {
    return v ? lc_json_kind_of(v) : LC_JSON_NULL;
}
static inline const lc_json *lc_js_get(const lc_json *v, const char *key) {
    return v ? lc_json_get(v, key) : NULL;
}
static inline size_t lc_js_count(const lc_json *v) {
    return v ? lc_json_count(v) : 0;
}
static inline const lc_json *lc_js_at(const lc_json *v, size_t i) {
    return v ? lc_json_at(v, i) : NULL;
}
static inline const char *lc_js_string(const lc_json *v, size_t *len) {
    if (!v && len) *len = 0;
    return v ? lc_json_string(v, len) : NULL;
}
static inline double lc_js_number(const lc_json *v) {
    return v ? lc_json_number(v) : 0.0;
}
static inline bool lc_js_bool(const lc_json *v) {
    return v && lc_json_bool(v);
}

typedef struct lc_js_rule {
    char *name, *body; /* NUL-terminated, allocated */
    size_t name_len, body_len;
} lc_js_rule;

/* A $ref being visited, to stop at a cycle (the peer's
 * _refs_being_resolved). */
typedef struct lc_js_ref {
    const char *ref;
    size_t len;
} lc_js_ref;

typedef struct lc_js {
    const lc_env *env;
    bool dotall, compact;
    llamac_status st;     /* first failure, or LLAMAC_OK */
    const lc_json *root;  /* the schema: "#/..." pointers start here */
    lc_js_rule *rules;    /* in insertion order */
    size_t n_rules, cap_rules;
    uint32_t *slots;      /* open addressing by name: rule index + 1, 0 empty */
    size_t n_slots;
    lc_js_ref *resolving; /* $refs on the visit stack */
    size_t n_resolving, cap_resolving;
    size_t work;          /* units spent, against LC_JS_MAX_WORK */
    unsigned depth;       /* visit depth */
} lc_js;

/* ---- json_schema_text.c: failure, text building, literals ---- */

/* Records the first failure (status and message); later calls keep it.
 * Returns the sticky status. */
llamac_status lc_js_fail(lc_js *c, llamac_status st, const char *fmt, ...) LC_PRINTF(3, 4);
/* Counts n units of work; false (and LLAMAC_ERR_LIMIT) past the budget. */
bool lc_js_spend(lc_js *c, size_t n);
void lc_js_put(lc_js *c, lc_bytes *b, const void *s, size_t n);
void lc_js_puts(lc_js *c, lc_bytes *b, const char *s);
void lc_js_putc(lc_js *c, lc_bytes *b, char ch);
void lc_js_putu(lc_js *c, lc_bytes *b, uint64_t v);
void lc_js_puti(lc_js *c, lc_bytes *b, int64_t v);
/* The peer's format_literal: the bytes in quotes, with CR, LF and '"'
 * escaped (nothing else: a backslash stays as it is). */
void lc_js_put_literal(lc_js *c, lc_bytes *b, const char *s, size_t n);
/* A value's compact JSON text as nlohmann's dump() spells it (no spaces;
 * a number with an integral value as an integer). */
void lc_js_put_dump(lc_js *c, lc_bytes *b, const lc_json *v);
/* "name-suffix", or "suffix" alone when name is empty: the peer's child
 * names (name + (name.empty() ? "" : "-") + suffix). */
void lc_js_put_child(lc_js *c, lc_bytes *b, const char *name, size_t name_len, const char *suffix, size_t suffix_len);
void lc_js_bytes_free(lc_js *c, lc_bytes *b);
bool lc_js_str_eq(const char *a, size_t an, const char *b, size_t bn);

/* ---- json_schema_rules.c: the rule table ---- */

/* The peer's _add_rule: the name with each run of bytes outside
 * [a-zA-Z0-9-] replaced by '-', then, if a rule of that name exists with
 * another body, the first of name0, name1, ... that is free or holds the
 * same body. Appends the name used to `out` (when not NULL). */
void lc_js_add_rule(lc_js *c, const char *name, size_t name_len, const char *body, size_t body_len, lc_bytes *out);
bool lc_js_has_rule(lc_js *c, const char *name, size_t name_len);
/* The peer's _add_primitive with one of its built-in rules ("boolean",
 * "number", "object", "char", "date-string", ...): adds it under `name`
 * and adds its dependencies under their own names when absent. false when
 * `prim` is not a built-in (nothing added). */
bool lc_js_add_primitive(lc_js *c, const char *name, size_t name_len, const char *prim, lc_bytes *out);
/* Whether a name is the peer's PRIMITIVE_RULES key (type names it takes). */
bool lc_js_is_primitive(const char *s, size_t n);
/* Whether `name` is reserved (root, a primitive, a string format). */
bool lc_js_is_reserved(const char *s, size_t n);
/* Whether "FORMAT-string" is a string format rule (date, time, date-time). */
bool lc_js_is_string_format(const char *s, size_t n);
/* Every rule as "name ::= body\n", in byte order of the names. */
void lc_js_emit(lc_js *c, lc_bytes *out);
void lc_js_rules_free(lc_js *c);

/* ---- json_schema_number.c: repetitions and integer ranges ---- */

/* The peer's build_repetition; max < 0 means no upper bound. sep may be
 * NULL (no separator). */
void lc_js_repetition(lc_js *c, lc_bytes *out, const char *item, size_t item_len, int64_t min, int64_t max,
                      const char *sep);
/* The alternatives matching the decimal integers in [min, max] as the
 * peer's _build_min_max_int writes them; has_min/has_max false for an open
 * end. At least one end is set. */
void lc_js_int_range(lc_js *c, lc_bytes *out, bool has_min, int64_t min, bool has_max, int64_t max);

/* ---- json_schema_pattern.c ---- */

/* The peer's _visit_pattern: a rule `name` matching a JSON string whose
 * content matches the regular expression (which must start with '^' and
 * end with '$'), appending the rule's name to out. */
void lc_js_pattern(lc_js *c, const char *pattern, size_t len, const char *name, size_t name_len, lc_bytes *out);

/* ---- json_schema_object.c ---- */

/* One property as the object builder takes it. */
typedef struct lc_js_prop {
    const char *key;
    size_t key_len;
    const lc_json *schema;
} lc_js_prop;

/* The peer's _build_object_rule: the body of an object rule (appended to
 * out). required[i] says whether props[i] is required; `additional` is the
 * additionalProperties value or NULL. */
void lc_js_object_rule(lc_js *c, const lc_js_prop *props, size_t n_props, const bool *required, const char *name,
                       size_t name_len, const lc_json *additional, lc_bytes *out);

/* ---- json_schema_visit.c ---- */

/* The peer's visit: converts `schema` under `name`, appending the name of
 * the rule that matches it to out. */
void lc_js_visit(lc_js *c, const lc_json *schema, const char *name, size_t name_len, lc_bytes *out);
/* The target of a "#/a/b" reference, or NULL (with a failure recorded). */
const lc_json *lc_js_resolve_pointer(lc_js *c, const char *ref, size_t len);
/* Checks the whole schema before the visit as the peer's resolve_refs
 * does: each $ref is a string that starts with "#/" and resolves. Also
 * refuses duplicate keys in an object (the peer silently keeps the last). */
void lc_js_check_schema(lc_js *c);

#endif
