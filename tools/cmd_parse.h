/* The argument parsers of the subcommands, callable without running the
 * command, for the CLI fuzz target (tests/fuzz/fuzz_cli.c). Each parses
 * argv (argv[0] is the subcommand's name) as the command would, printing
 * the same messages, and returns -1 when the command would go on, else the
 * exit status it would return (0 after --help, 2 for bad usage). Nothing is
 * opened, loaded or written. Not thread-safe: the commands whose parsing is
 * inline (tokenize, info, quantize, synth, state, chat-template) run with
 * a file-static flag that makes them return right after it. */
#ifndef LLAMAC_TOOLS_CMD_PARSE_H
#define LLAMAC_TOOLS_CMD_PARSE_H

#include <stdbool.h>

int run_parse_only(int argc, char **argv);
int logits_parse_only(int argc, char **argv);
int perplexity_parse_only(int argc, char **argv);
int bench_parse_only(int argc, char **argv);
int tokenize_parse_only(int argc, char **argv);
int info_parse_only(int argc, char **argv);
int quantize_parse_only(int argc, char **argv);
int synth_parse_only(int argc, char **argv);
int state_parse_only(int argc, char **argv);
int chat_template_parse_only(int argc, char **argv);
int chat_parse_only(int argc, char **argv);
int grammar_parse_only(int argc, char **argv);

/* The parse-only run of a command whose parsing is inline: `cmd` runs with
 * *flag set, which makes it return -1 right after its arguments. */
static inline int tool_parse_only(int (*cmd)(int argc, char **argv), bool *flag, int argc, char **argv) {
    *flag = true;
    const int rc = cmd(argc, argv);
    *flag = false;
    return rc;
}

#endif
