/* `llamac grammar --json-schema FILE`: prints the GBNF grammar a JSON
 * Schema converts to (llamac.h section 13), byte for byte as
 * llama.cpp's json_schema_to_grammar writes it. The rest of `llamac
 * grammar` (checking a grammar, matching a file) belongs to the GBNF
 * engine; when it lands, its command hands --json-schema to
 * cmd_grammar_json_schema. */
#include "commands.h"

#include "json_schema_arg.h"
#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grammar_schema_usage(FILE *f) {
    fprintf(f,
            "usage: llamac grammar --json-schema FILE [--compact-spaces] [--dotall]\n"
            "\n"
            "Prints the GBNF grammar the JSON Schema in FILE converts to, exactly as\n"
            "llama.cpp's json_schema_to_grammar (at its commit c392e50) writes it: one\n"
            "`name ::= body` line per rule, in byte order of the names (docs/json-schema.md).\n"
            "  --compact-spaces  the space rule is \" \"? (default: up to a newline and\n"
            "                    20 blanks)\n"
            "  --dotall          '.' in patterns matches newlines too\n"
            "Exit status: 0 done, 1 a schema that cannot be converted (the reason on\n"
            "stderr), 2 bad arguments.\n");
}

int cmd_grammar_json_schema(int argc, char **argv) {
    const char *file = NULL;
    uint32_t flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            grammar_schema_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json-schema") && i + 1 < argc && !file) {
            file = argv[++i];
        } else if (!strcmp(a, "--compact-spaces")) {
            flags |= LLAMAC_JSON_SCHEMA_COMPACT_SPACES;
        } else if (!strcmp(a, "--dotall")) {
            flags |= LLAMAC_JSON_SCHEMA_DOTALL;
        } else {
            fprintf(stderr, "llamac grammar: unexpected argument '%s'\n", a);
            grammar_schema_usage(stderr);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "llamac grammar: --json-schema FILE is required\n");
        grammar_schema_usage(stderr);
        return 2;
    }
    char *grammar = tool_json_schema_grammar("grammar", file, false, flags);
    if (!grammar) return 1;
    const size_t n = strlen(grammar);
    const bool ok = fwrite(grammar, 1, n, stdout) == n && fflush(stdout) == 0;
    free(grammar);
    if (!ok) {
        fprintf(stderr, "llamac grammar: cannot write the grammar to stdout\n");
        return 1;
    }
    return 0;
}
