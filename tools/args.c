#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

bool tool_parse_i32(const char *s, int32_t lo, int32_t hi, int32_t *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return false;
    *out = (int32_t)v;
    return true;
}

char *tool_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = b;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    *len = n;
    return buf;
}
