#include "clock.h"

double tool_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double tool_now_seconds(void) { return tool_seconds(CLOCK_MONOTONIC); }
