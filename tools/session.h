/* The model and the context that `bench`, `logits`, `perplexity` and `run`
 * work with, opened and closed one way, a library failure reported as
 * "llamac CMD: STATUS: message" on stderr. */
#ifndef LLAMAC_TOOLS_SESSION_H
#define LLAMAC_TOOLS_SESSION_H

#include "llamac.h"

#include <stdbool.h>

typedef struct tool_session {
    const char *cmd; /* "run": the messages' prefix */
    llamac_model *model;
    llamac_context *ctx;
} tool_session;

/* Loads the model at `path` (mp NULL: the defaults). False after printing
 * the failure; the session is to be closed either way. */
bool tool_session_load(tool_session *s, const char *cmd, const char *path, const llamac_model_params *mp);

/* Creates s->ctx from cp, with the kernels LLAMAC_KERNELS names
 * (tool_kernels_from_env). False after printing the failure. */
bool tool_session_context(tool_session *s, llamac_context_params cp);

/* Prints "llamac CMD: STATUS: last error" for a failed library call. */
void tool_session_fail(const tool_session *s, llamac_status st);

/* Frees the context and the model; the session is then empty. */
void tool_session_close(tool_session *s);

#endif
