/* The library's one JSON reader and writer (RFC 8259), for chat templates
 * (`tools` and `documents` values, the `tojson` filter) and JSON Schema.
 * Internal: nothing here is exported.
 *
 * Documents are untrusted: the reader is strict (no comments, no trailing
 * commas, no byte order mark, UTF-8 validated, lone surrogates refused),
 * bounded (depth, size and node count limits; no C recursion driven by the
 * input: both reader and writer keep an explicit stack) and every refusal is
 * LLAMAC_ERR_FORMAT with "JSON line L, column C: expected ..." (column in
 * bytes, both 1-based), or LLAMAC_ERR_NO_MEMORY. All memory comes from the
 * lc_env allocator. A parsed tree is immutable, so several threads may read
 * it at once. */
#ifndef LLAMAC_JSON_H
#define LLAMAC_JSON_H

#include "buffer.h"
#include "internal.h"

typedef enum lc_json_kind {
    LC_JSON_NULL,
    LC_JSON_BOOL,
    LC_JSON_NUMBER,
    LC_JSON_STRING,
    LC_JSON_ARRAY,
    LC_JSON_OBJECT
} lc_json_kind;

/* One value. A parsed document is a tree owned by its root: one allocation,
 * freed with lc_json_free; every value in it lives as long as the root. */
typedef struct lc_json lc_json;

/* 0 in a field means its default: depth 256, bytes 64 MiB, nodes 4M (every
 * value counts one node, members' keys are part of their value's node). */
typedef struct lc_json_limits {
    size_t max_depth, max_bytes, max_nodes;
} lc_json_limits;

/* Parses the len bytes at text (no NUL needed; NULL only when len is 0) as
 * one JSON value with optional whitespace around it. lim may be NULL (all
 * defaults). On success *out is the root; on failure *out is NULL and the
 * status is LLAMAC_ERR_FORMAT (message with line and column) or
 * LLAMAC_ERR_NO_MEMORY. Numbers keep their nearest double; a number too
 * large for a double is refused (JSON has no infinity to write it back as).
 * Duplicate keys are kept, in document order. */
llamac_status lc_json_parse(const lc_env *env, const char *text, size_t len, const lc_json_limits *lim,
                            lc_json **out);
/* Frees a tree returned by lc_json_parse (NULL is fine). */
void lc_json_free(const lc_env *env, lc_json *root);

/* Readers. Each is safe on a value of another kind: it then answers false,
 * 0 or NULL (and *len 0). */
lc_json_kind lc_json_kind_of(const lc_json *v);
bool lc_json_bool(const lc_json *v);     /* false unless a true BOOL */
double lc_json_number(const lc_json *v); /* 0 unless a NUMBER */
/* A STRING's bytes, NUL-terminated; *len (if len is not NULL) excludes the
 * NUL. A "\u0000" escape is a NUL byte inside len. NULL for other kinds. */
const char *lc_json_string(const lc_json *v, size_t *len);
/* Array elements or object members; 0 for other kinds. */
size_t lc_json_count(const lc_json *v);
/* Array element i, or object member i's value; NULL when i >= count. */
const lc_json *lc_json_at(const lc_json *v, size_t i);
/* Object member i's key (NUL-terminated, may hold NULs inside *len); NULL
 * when v is not an object or i >= count. */
const char *lc_json_key_at(const lc_json *v, size_t i, size_t *len);
/* The first member whose key equals the C string key, or NULL. */
const lc_json *lc_json_get(const lc_json *obj, const char *key);

/* Appends the JSON text of v to out, laid out byte for byte as Python's
 * json.dumps(v, ensure_ascii=False, indent=...) does: indent <= 0 is the
 * one-line form with Python's default separators ", " and ": "; indent > 0
 * puts each element on its own line indented by `indent` spaces per level,
 * with "," and ": " (Python's indent=0, newlines without spaces, has no
 * spelling here). Strings keep non-ASCII as UTF-8 and do not escape <>&';
 * numbers that are integers below 1e16 print without a fraction ("3", "-0"),
 * others in Python's repr form, the shortest that reads back as the same
 * double ("0.1", "1e+16", "1.5e-07"). indent above 1024 is
 * LLAMAC_ERR_INVALID_ARG. On failure out keeps what was appended so far. */
llamac_status lc_json_write(const lc_env *env, lc_bytes *out, const lc_json *v, int indent);
/* Appends the len bytes at s as a JSON string literal, escaped as above.
 * s must be valid UTF-8 (else LLAMAC_ERR_FORMAT, nothing appended). */
llamac_status lc_json_write_string(const lc_env *env, lc_bytes *out, const char *s, size_t len);
/* Appends the number as lc_json_write writes it; a non-finite one is
 * LLAMAC_ERR_INVALID_ARG (JSON cannot hold it). */
llamac_status lc_json_write_number(const lc_env *env, lc_bytes *out, double x);

/* Python's repr of a float into buf (size >= 32): "0.1", "2.0", "1e+16",
 * "-inf", "nan" (the Jinja engine prints floats this way). Fails only when
 * the C locale cannot be made (LLAMAC_ERR_NO_MEMORY). */
llamac_status lc_python_float_repr(double x, char *buf, size_t size);

#endif
