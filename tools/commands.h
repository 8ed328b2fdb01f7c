/* Subcommands of the `llamac` program. Each returns the process exit status:
 * 0 success, 1 failure (message already on stderr), 2 bad usage. Tools use
 * only the public API in llamac.h. */
#ifndef LLAMAC_TOOLS_COMMANDS_H
#define LLAMAC_TOOLS_COMMANDS_H

#include "llamac.h"

#include <stdlib.h>
#include <string.h>

/* LLAMAC_KERNELS=auto|scalar|avx2|avx512 picks the CPU kernels of a tool's context
 * (the library never reads the environment; tools pass it in params).
 * Unknown values keep AUTO. */
static inline llamac_kernels tool_kernels_from_env(void) {
    const char *v = getenv("LLAMAC_KERNELS");
    if (v && !strcmp(v, "scalar")) return LLAMAC_KERNELS_SCALAR;
    if (v && !strcmp(v, "avx2")) return LLAMAC_KERNELS_AVX2;
    if (v && !strcmp(v, "avx512")) return LLAMAC_KERNELS_AVX512;
    return LLAMAC_KERNELS_AUTO;
}

int cmd_version(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_chat_template(int argc, char **argv);
int cmd_chat(int argc, char **argv);
/* `llamac grammar --json-schema FILE` (cmd_grammar_schema.c). */
int cmd_grammar_json_schema(int argc, char **argv);
int cmd_grammar(int argc, char **argv);

#endif
