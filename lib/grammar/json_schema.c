/* llamac_json_schema_to_grammar: parse the schema with the library's JSON
 * reader, check its $refs, walk it, print the rules. */
#include "json_schema_private.h"

#include <string.h>

static llamac_status convert(const lc_env *env, const char *schema, size_t len, uint32_t flags, lc_bytes *grammar) {
    lc_json_limits lim = {.max_depth = LC_JS_MAX_JSON_DEPTH, .max_bytes = LC_JS_MAX_SCHEMA_BYTES};
    lc_json *root = NULL;
    llamac_status st = lc_json_parse(env, schema, len, &lim, &root);
    if (st) {
        lc_error_prefix("llamac_json_schema_to_grammar");
        return st;
    }
    lc_js c = {.env = env,
               .dotall = (flags & LLAMAC_JSON_SCHEMA_DOTALL) != 0,
               .compact = (flags & LLAMAC_JSON_SCHEMA_COMPACT_SPACES) != 0,
               .root = root};
    /* The peer's constructor adds "space" first. */
    const char *space = c.compact ? "\" \"?" : "| \" \" | \"\\n\" [ \\t]{0,20}";
    lc_js_add_rule(&c, "space", 5, space, strlen(space), NULL);
    lc_js_check_schema(&c);
    lc_bytes ignored = {0};
    if (!c.st) lc_js_visit(&c, root, "", 0, &ignored);
    lc_js_bytes_free(&c, &ignored);
    lc_js_emit(&c, grammar);
    lc_js_rules_free(&c);
    lc_free(env, c.resolving);
    lc_json_free(env, root);
    if (c.st) lc_error_prefix("llamac_json_schema_to_grammar");
    return c.st;
}

llamac_status llamac_json_schema_to_grammar(const char *schema, size_t len, uint32_t flags,
                                            const llamac_allocator *allocator, char *buf, size_t buf_size,
                                            size_t *n_out) {
    LC_REQUIRE(n_out);
    *n_out = 0;
    LC_REQUIRE(schema);
    if (buf_size > 0 && !buf) return lc_null_arg(__func__, "buf");
    const uint32_t known = LLAMAC_JSON_SCHEMA_COMPACT_SPACES | LLAMAC_JSON_SCHEMA_DOTALL;
    if (flags & ~known)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_json_schema_to_grammar: unknown flags 0x%x", flags & ~known);
    if (len > LC_JS_MAX_SCHEMA_BYTES)
        return lc_fail(LLAMAC_ERR_LIMIT, "llamac_json_schema_to_grammar: the schema has %zu bytes, above the limit of %d",
                       len, LC_JS_MAX_SCHEMA_BYTES);
    lc_env env;
    lc_env_init(&env, allocator, NULL, NULL);
    lc_bytes grammar = {0};
    llamac_status st = convert(&env, schema, len, flags, &grammar);
    if (!st) {
        if (grammar.len && buf_size) memcpy(buf, grammar.data, LC_MIN(grammar.len, buf_size));
        *n_out = grammar.len;
        if (grammar.len > buf_size)
            st = lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                         "llamac_json_schema_to_grammar: the grammar needs %zu bytes, the buffer holds %zu",
                         grammar.len, buf_size);
    }
    lc_free(&env, grammar.data);
    return st;
}
