/* What the library asks the operating system for: the text of an errno
 * value and the number of CPUs online. */
#ifndef LLAMAC_OS_H
#define LLAMAC_OS_H

#include <stddef.h>

/* The text of errno value err (strerror_r: safe on any thread), written into
 * buf; empty if the system has none. Returns buf. */
const char *lc_errno_text(int err, char *buf, size_t cap);

/* CPUs online now, within 1..max (1 when the system does not say). */
int lc_cpu_count(int max);

#endif
