/* The --json-schema argument of `llamac run` and `llamac grammar`: a
 * schema's text or a file holding it, converted to a GBNF grammar with
 * llamac_json_schema_to_grammar. */
#ifndef LLAMAC_TOOLS_JSON_SCHEMA_ARG_H
#define LLAMAC_TOOLS_JSON_SCHEMA_ARG_H

#include <stdbool.h>
#include <stdint.h>

/* The grammar for `arg` (malloc'd, NUL-terminated; the caller frees), or
 * NULL after printing "llamac CMD: ..." with the reason (the file's name
 * and llamac's message) to stderr. With text_if_brace, an argument whose
 * first byte is '{' is the schema itself (the peer's --json-schema on
 * run); otherwise it is always a file name. flags are
 * LLAMAC_JSON_SCHEMA_*. */
char *tool_json_schema_grammar(const char *cmd, const char *arg, bool text_if_brace, uint32_t flags);

#endif
