#include "args.h"

#include "common/os.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool tool_parse_i32(const char *s, int32_t lo, int32_t hi, int32_t *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return false;
    *out = (int32_t)v;
    return true;
}

bool tool_opt_i32(const char *cmd, const char *opt, const char *v, int32_t lo, int32_t hi,
                  int32_t *out) {
    if (tool_parse_i32(v, lo, hi, out)) return true;
    fprintf(stderr, "llamac %s: %s takes an integer from %" PRId32 " to %" PRId32 ", not '%s'\n",
            cmd, opt, lo, hi, v);
    return false;
}

bool tool_opt_f32(const char *cmd, const char *opt, const char *v, float lo, float hi, float *out) {
    char *end;
    errno = 0;
    float f = strtof(v, &end);
    if (end != v && !*end && !errno && f >= lo && f <= hi) {
        *out = f;
        return true;
    }
    fprintf(stderr, "llamac %s: %s takes a number from %.7g to %.7g, not '%s'\n", cmd, opt, (double)lo,
            (double)hi, v);
    return false;
}

static bool parse_u64(const char *s, uint64_t *out, char **end) {
    errno = 0;
    if (*s < '0' || *s > '9') return false; /* strtoull would accept a sign or spaces */
    unsigned long long v = strtoull(s, end, 10);
    if (errno) return false;
    *out = (uint64_t)v;
    return true;
}

bool tool_opt_u64(const char *cmd, const char *opt, const char *v, uint64_t *out) {
    char *end;
    if (parse_u64(v, out, &end) && !*end) return true;
    fprintf(stderr, "llamac %s: %s takes an integer from 0 to %" PRIu64 ", not '%s'\n", cmd, opt,
            UINT64_MAX, v);
    return false;
}

bool tool_opt_bytes(const char *cmd, const char *opt, const char *v, size_t *out) {
    char *end;
    uint64_t n;
    bool ok = parse_u64(v, &n, &end);
    int shift = 0;
    if (ok && *end) {
        shift = end[1] ? -1 : *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : -1;
        ok = shift >= 0;
    }
    ok = ok && n >= 1 && n <= TOOL_BYTES_MAX >> shift && (n << shift) <= SIZE_MAX;
    if (ok) {
        *out = (size_t)(n << shift);
        return true;
    }
    fprintf(stderr,
            "llamac %s: %s takes a byte count from 1 to %" PRIu64
            " (a K, M or G suffix multiplies by 1024, 1024^2, 1024^3), not '%s'\n",
            cmd, opt, TOOL_BYTES_MAX, v);
    return false;
}

static const char *special_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO/named pipe";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

/* Reads fd to its end into *buf (grown by doubling), failing as soon as
 * more than limit bytes have arrived. Returns 0, or an errno value (EFBIG:
 * over the limit). */
static int read_bounded(int fd, size_t limit, size_t cap, char **buf, size_t *len) {
    size_t n = 0;
    char *b = malloc(cap);
    if (!b) return ENOMEM;
    for (;;) {
        if (n == cap) {
            /* limit + 1 bytes of room are enough to see that a stream is over it */
            size_t want = cap > (limit + 1) / 2 ? limit + 1 : cap * 2;
            char *g = realloc(b, want);
            if (!g) {
                free(b);
                return ENOMEM;
            }
            b = g;
            cap = want;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(b);
            return e;
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > limit) {
            free(b);
            return EFBIG;
        }
    }
    *buf = b;
    *len = n;
    return 0;
}

char *tool_read_file(const char *path, size_t limit, size_t *len, char *err, size_t err_size) {
    if (limit > SIZE_MAX / 2) limit = SIZE_MAX / 2;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. It is cleared
     * before reading, so a pipe that has a writer is read normally. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        char msg[128];
        snprintf(err, err_size, "cannot open '%s': %s", path, lc_errno_text(errno, msg, sizeof msg));
        return NULL;
    }
    struct stat sb;
    int flags, e = 0;
    char *buf = NULL;
    if (fstat(fd, &sb) || (flags = fcntl(fd, F_GETFL)) < 0 ||
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        e = errno;
    } else if (S_ISDIR(sb.st_mode)) {
        e = EISDIR;
    } else if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > limit) {
        close(fd);
        snprintf(err, err_size,
                 "'%s' is %jd bytes, over the limit of %zu bytes (--prompt-limit BYTES raises it)",
                 path, (intmax_t)sb.st_size, limit);
        return NULL;
    } else {
        /* a regular file's size is only a hint: it may grow while read */
        size_t first = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 1 : (size_t)1 << 16;
        e = read_bounded(fd, limit, first < limit + 1 ? first : limit + 1, &buf, len);
    }
    close(fd);
    if (e == EISDIR)
        snprintf(err, err_size, "cannot read '%s': it is a directory", path);
    else if (e == EFBIG)
        snprintf(err, err_size,
                 "'%s'%s%s%s gave more than the limit of %zu bytes (--prompt-limit BYTES raises it)",
                 path, S_ISREG(sb.st_mode) ? "" : " (", S_ISREG(sb.st_mode) ? "" : special_kind(sb.st_mode),
                 S_ISREG(sb.st_mode) ? "" : ")", limit);
    else if (e) {
        char msg[128];
        snprintf(err, err_size, "cannot read '%s': %s", path, lc_errno_text(e, msg, sizeof msg));
    }
    return e ? NULL : buf;
}

char *tool_cstring(char *text, size_t len, const char **why) {
    if (memchr(text, '\0', len)) {
        *why = "it contains a NUL byte";
        free(text);
        return NULL;
    }
    char *z = realloc(text, len + 1);
    if (!z) {
        *why = "out of memory";
        free(text);
        return NULL;
    }
    z[len] = '\0';
    return z;
}
