/* `llamac grammar`: checks a GBNF grammar file, and optionally whether an
 * input file matches it (llamac.h section 12). Exit status: 0 ok / match,
 * 1 the grammar is refused (or a file cannot be read), 2 bad usage, 3 the
 * input does not match. */
#include "args.h"
#include "cmd_parse.h"
#include "commands.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_only;

static void grammar_usage(FILE *f) {
    fprintf(f,
            "usage: llamac grammar -g FILE [-i INPUT_FILE] [--root NAME] [--limit BYTES]\n"
            "       llamac grammar --json-schema FILE [--compact-spaces] [--dotall]\n"
            "\n"
            "Checks the GBNF grammar in FILE (llama.cpp's grammar language; docs/grammar.md):\n"
            "prints 'ok' and exits 0, or prints 'FILE:LINE:COL: message' and exits 1.\n"
            "With -i, also checks whether the whole content of INPUT_FILE (UTF-8; '.' and\n"
            "classes match one code point) matches the start rule: prints 'match' and\n"
            "exits 0, or 'no match at byte N' and exits 3, N being the offset of the first\n"
            "byte no parse can continue with, or the input's length when the input is a\n"
            "proper prefix of a match.\n"
            "  -g FILE        the grammar\n"
            "  -i INPUT_FILE  the text to match\n"
            "  --root NAME    the start rule (default root)\n"
            "  --limit BYTES  refuse files larger than this (default 64M; K, M, G suffixes)\n"
            "Exit status: 0 ok / match, 1 grammar refused or file unreadable, 2 bad usage,\n"
            "3 no match.\n");
}

int cmd_grammar(int argc, char **argv) {
    /* `llamac grammar --json-schema FILE` prints a schema's grammar instead
     * (cmd_grammar_schema.c). */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--json-schema")) return cmd_grammar_json_schema(argc, argv);
    const char *gfile = NULL, *ifile = NULL, *root = NULL;
    size_t limit = TOOL_PROMPT_LIMIT_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            grammar_usage(stdout);
            return 0;
        }
        if (strcmp(o, "-g") && strcmp(o, "-i") && strcmp(o, "--root") && strcmp(o, "--limit")) {
            fprintf(stderr, "llamac grammar: unknown option %s\n", o);
            grammar_usage(stderr);
            return 2;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            fprintf(stderr, "llamac grammar: %s needs a value\n", o);
            grammar_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "-g")) gfile = v;
        else if (!strcmp(o, "-i")) ifile = v;
        else if (!strcmp(o, "--root")) root = v;
        else if (!tool_opt_bytes("grammar", o, v, &limit)) {
            grammar_usage(stderr);
            return 2;
        }
    }
    if (!gfile) {
        fprintf(stderr, "llamac grammar: need -g FILE\n");
        grammar_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;
    char err[512];
    size_t glen = 0, ilen = 0;
    char *gtext = tool_read_file(gfile, limit, &glen, err, sizeof err);
    if (!gtext) {
        fprintf(stderr, "llamac grammar: %s\n", err);
        return 1;
    }
    int32_t line = 0, col = 0;
    llamac_status st = llamac_grammar_check(gtext, glen, root, &line, &col);
    if (st != LLAMAC_OK) {
        /* the message starts "grammar: line L, column C: "; print the rest after FILE:L:C */
        const char *msg = llamac_last_error();
        const char *rest = strstr(msg, ": ");
        if (line > 0 && rest && (rest = strstr(rest + 2, ": "))) rest += 2;
        else rest = strncmp(msg, "grammar: ", 9) == 0 ? msg + 9 : msg;
        printf("%s:%d:%d: %s\n", gfile, (int)line, (int)col, rest);
        free(gtext);
        return 1;
    }
    if (!ifile) {
        printf("ok\n");
        free(gtext);
        return 0;
    }
    char *itext = tool_read_file(ifile, limit, &ilen, err, sizeof err);
    if (!itext) {
        fprintf(stderr, "llamac grammar: %s\n", err);
        free(gtext);
        return 1;
    }
    llamac_grammar_matcher *m = NULL;
    int rc = 1;
    size_t used = 0;
    bool done = false;
    st = llamac_grammar_matcher_new(gtext, glen, root, NULL, &m);
    if (st == LLAMAC_OK) st = llamac_grammar_matcher_feed(m, itext, ilen, &used);
    if (st == LLAMAC_OK) st = llamac_grammar_matcher_complete(m, &done);
    if (st != LLAMAC_OK) {
        fprintf(stderr, "llamac grammar: %s: %s: %s\n", ifile, llamac_status_name(st), llamac_last_error());
    } else if (used == ilen && done) {
        printf("match\n");
        rc = 0;
    } else {
        printf("no match at byte %zu\n", used);
        rc = 3;
    }
    llamac_grammar_matcher_free(m);
    free(itext);
    free(gtext);
    return rc;
}

int grammar_parse_only(int argc, char **argv) { return tool_parse_only(cmd_grammar, &parse_only, argc, argv); }
