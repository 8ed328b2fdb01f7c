/* What the library asks the operating system for: the text of an errno
 * value the number of CPUs online and a
 * monotonic clock. */
#ifndef LLAMAC_OS_H
#define LLAMAC_OS_H

#include <stddef.h>
#include <stdint.h>

/* The text of errno value err (strerror_r: safe on any thread), written into
 * buf; empty if the system has none. Returns buf. */
const char *lc_errno_text(int err, char *buf, size_t cap);

/* CPUs online now, within 1..max (1 when the system does not say). */
int lc_cpu_count(int max);

/* Microseconds of a monotonic clock (CLOCK_MONOTONIC): for measuring
 * durations only. */
int64_t lc_now_us(void);

#endif
