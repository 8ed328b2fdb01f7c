/* The argument parsers of the subcommands, callable without running the
 * command, for the CLI fuzz target (tests/fuzz/fuzz_cli.c). Each parses
 * argv (argv[0] is the subcommand's name) as the command would, printing
 * the same messages, and returns -1 when the command would go on, else the
 * exit status it would return (0 after --help, 2 for bad usage). Nothing is
 * opened, loaded or written. Not thread-safe: the commands whose parsing is
 * inline (tokenize, info, quantize, synth) run with a file-static flag that
 * makes them return right after it. */
#ifndef LLAMAC_TOOLS_CMD_PARSE_H
#define LLAMAC_TOOLS_CMD_PARSE_H

int run_parse_only(int argc, char **argv);
int logits_parse_only(int argc, char **argv);
int perplexity_parse_only(int argc, char **argv);
int bench_parse_only(int argc, char **argv);
int tokenize_parse_only(int argc, char **argv);
int info_parse_only(int argc, char **argv);
int quantize_parse_only(int argc, char **argv);
int synth_parse_only(int argc, char **argv);

#endif
