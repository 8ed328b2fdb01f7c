/* `llamac SUBCOMMAND ...`: dispatch to one file per subcommand. */
#include "commands.h"

#include "llamac.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"version", cmd_version, "print the library version"},
    {"logits", cmd_logits, "decode tokens, write/compare logits (golden files)"},
    {"info", cmd_info, "validate a GGUF file, show its metadata and tensors; --cpu"},
    {"tokenize", cmd_tokenize, "text to token ids with a model's tokenizer; --bench"},
    {"run", cmd_run, "generate text from a prompt"},
    {"perplexity", cmd_perplexity, "perplexity of a model on a text file"},
    {"synth", cmd_synth, "write a llama GGUF of a real shape with random weights"},
    {"quantize", cmd_quantize, "re-encode a model's weights (Q4_K_M, Q8_0, ...)"},
    {"bench", cmd_bench, "measure prompt and generation speed (like llama-bench)"},
    {"state", cmd_state, "show a state file's header (llamac run --save-state)"},
    {"chat", cmd_chat, "chat with a model on the terminal or through a pipe (its chat template)"},
    {"chat-template", cmd_chat_template, "format a JSON conversation with a built-in chat format"},
    {"grammar", cmd_grammar, "check a GBNF grammar and match a file with it, or print a JSON Schema's grammar"},
    /* one line per subcommand, in the order `llamac --help` lists them */
};

int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("llamac %s\n", llamac_version());
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: llamac COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`llamac COMMAND --help` describes one command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "llamac: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
