/* The escaper of error messages (escape.h). */
#include "escape.h"

#include <stdio.h>
#include <string.h>

const char *lc_escape(char *dst, size_t cap, const void *s, size_t len) {
    const unsigned char *p = s;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 8 >= cap) { /* room for one \xNN, or "..." and the NUL */
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') dst[o++] = (char)c;
        else o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
    }
    dst[o] = '\0';
    return dst;
}
