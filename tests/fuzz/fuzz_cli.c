/* libFuzzer target for the `llamac` subcommands' argument parsers
 * (tools/cmd_parse.h; docs/fuzzing.md). The first input byte picks the
 * subcommand; the rest is split at NUL bytes into its arguments (at most
 * MAX_ARGS; an input without NULs is one argument). A parser must return
 * -1 (go on), 0 (--help) or 2 (bad usage) and nothing else, and must not
 * crash, read out of bounds or leak. Its usage text and messages go to
 * /dev/null where the C library allows replacing stdout/stderr (glibc);
 * the sanitizers write their reports to file descriptor 2 directly, so
 * those are never hidden. */
#include "cmd_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 64 };

typedef struct parser {
    const char *name;
    int (*parse)(int argc, char **argv);
} parser;

static const parser parsers[] = {
    {"run", run_parse_only},
    {"logits", logits_parse_only},
    {"perplexity", perplexity_parse_only},
    {"bench", bench_parse_only},
    {"tokenize", tokenize_parse_only},
    {"info", info_parse_only},
    {"quantize", quantize_parse_only},
    {"synth", synth_parse_only},
    {"state", state_parse_only},
    {"chat-template", chat_template_parse_only},
    {"grammar", grammar_parse_only},
    {"chat", chat_parse_only}, /* appended: the seeds' parser bytes keep their meaning */
};
enum { N_PARSERS = sizeof parsers / sizeof parsers[0] };

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    sink = fopen("/dev/null", "w");
    return 0;
}

static int parse_quietly(const parser *p, int argc, char **argv) {
#ifdef __GLIBC__
    FILE *out = stdout, *err = stderr;
    if (sink) stdout = stderr = sink;
#endif
    int rc = p->parse(argc, argv);
#ifdef __GLIBC__
    stdout = out;
    stderr = err;
#endif
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const parser *p = &parsers[data[0] % N_PARSERS];
    /* A NUL-terminated copy, so the last argument ends inside the buffer. */
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)p->name;
    for (char *s = text; argc <= MAX_ARGS && s < text + size - 1; s += strlen(s) + 1) argv[argc++] = s;
    argv[argc] = NULL;
    const int rc = parse_quietly(p, argc, argv);
    if (rc != -1 && rc != 0 && rc != 2) abort();
    free(text);
    return 0;
}
