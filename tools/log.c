#include "log.h"

#include <stdio.h>

void tool_print_log(void *user, llamac_log_level level, const char *msg) {
    (void)user;
    if (level <= LLAMAC_LOG_INFO) fprintf(stderr, "%s\n", msg);
}
