/* --json-schema FILE_OR_TEXT -> GBNF (json_schema_arg.h). */
#include "json_schema_arg.h"

#include "args.h"
#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library refuses schemas above 4 MiB; read one byte more so that
 * such a file reaches it and gets its message. */
#define SCHEMA_FILE_LIMIT (((size_t)4 << 20) + 1)

char *tool_json_schema_grammar(const char *cmd, const char *arg, bool text_if_brace, uint32_t flags) {
    const bool is_text = text_if_brace && arg[0] == '{';
    size_t len = 0;
    char *file_text = NULL;
    const char *schema = arg;
    if (is_text) {
        len = strlen(arg);
    } else {
        char err[512];
        file_text = tool_read_file(arg, SCHEMA_FILE_LIMIT, &len, err, sizeof err);
        if (!file_text) {
            fprintf(stderr, "llamac %s: --json-schema: %s\n", cmd, err);
            return NULL;
        }
        schema = file_text;
    }
    size_t n = 0;
    llamac_status st = llamac_json_schema_to_grammar(schema, len, flags, NULL, NULL, 0, &n);
    char *grammar = NULL;
    if (st == LLAMAC_ERR_BUFFER_TOO_SMALL) {
        grammar = malloc(n + 1);
        st = grammar ? llamac_json_schema_to_grammar(schema, len, flags, NULL, grammar, n, &n) : LLAMAC_ERR_NO_MEMORY;
    }
    if (st == LLAMAC_OK && !grammar) grammar = calloc(1, 1); /* an empty grammar: never, but safe */
    if (st == LLAMAC_OK && grammar) {
        grammar[n] = '\0';
    } else {
        fprintf(stderr, "llamac %s: --json-schema %s: %s\n", cmd, is_text ? "(text)" : arg,
                grammar || st != LLAMAC_ERR_NO_MEMORY ? llamac_last_error() : "out of memory");
        free(grammar);
        grammar = NULL;
    }
    free(file_text);
    return grammar;
}
