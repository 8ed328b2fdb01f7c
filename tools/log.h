/* The library's progress messages on the terminal. */
#ifndef LLAMAC_TOOLS_LOG_H
#define LLAMAC_TOOLS_LOG_H

#include "llamac.h"

/* A llamac log_fn: messages of level INFO and more severe go to stderr, one
 * line each; DEBUG is dropped. `user` is unused (pass NULL). */
void tool_print_log(void *user, llamac_log_level level, const char *msg);

#endif
