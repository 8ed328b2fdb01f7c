/* Operating-system queries (os.h). */
#include "os.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

const char *lc_errno_text(int err, char *buf, size_t cap) {
    /* The POSIX strerror_r (this build defines _POSIX_C_SOURCE without
     * _GNU_SOURCE): 0 on success, and buf is unspecified otherwise. */
    if (strerror_r(err, buf, cap)) buf[0] = '\0';
    return buf;
}

int lc_cpu_count(int max) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > max ? max : (int)n;
}

int64_t lc_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
