/* Subcommands of the `llamac` program. Each returns the process exit status:
 * 0 success, 1 failure (message already on stderr), 2 bad usage. Tools use
 * only the public API in llamac.h. */
#ifndef LLAMAC_TOOLS_COMMANDS_H
#define LLAMAC_TOOLS_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
