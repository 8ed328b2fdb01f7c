#include "session.h"

#include "commands.h"

#include <stdio.h>

bool tool_session_load(tool_session *s, const char *cmd, const char *path, const llamac_model_params *mp) {
    *s = (tool_session){.cmd = cmd};
    const llamac_status st = llamac_model_load(path, mp, &s->model);
    if (st) tool_session_fail(s, st);
    return !st;
}

bool tool_session_context(tool_session *s, llamac_context_params cp) {
    cp.kernels = tool_kernels_from_env();
    const llamac_status st = llamac_context_new(s->model, &cp, &s->ctx);
    if (st) tool_session_fail(s, st);
    return !st;
}

void tool_session_fail(const tool_session *s, llamac_status st) {
    fprintf(stderr, "llamac %s: %s: %s\n", s->cmd, llamac_status_name(st), llamac_last_error());
}

void tool_session_close(tool_session *s) {
    llamac_context_free(s->ctx);
    llamac_model_free(s->model);
    s->ctx = NULL;
    s->model = NULL;
}
