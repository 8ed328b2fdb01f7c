/* Wall-clock and CPU-time readings for the subcommands' timing lines. */
#ifndef LLAMAC_TOOLS_CLOCK_H
#define LLAMAC_TOOLS_CLOCK_H

#include <time.h>

/* Seconds on `clock` (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, ...), from
 * an arbitrary origin: only differences mean anything. */
double tool_seconds(clockid_t clock);

/* tool_seconds(CLOCK_MONOTONIC): elapsed time that no clock change moves. */
double tool_now_seconds(void);

#endif
