/* Untrusted bytes (a GGUF key, a token's text) made safe to put in an error
 * message. */
#ifndef LLAMAC_ESCAPE_H
#define LLAMAC_ESCAPE_H

#include <stddef.h>

/* Writes the len bytes at s into dst (cap >= 16 bytes) as one printable line:
 * printable ASCII stays, except the backslash and the single quote (messages
 * quote names in '...'), every other byte becomes \xNN; input that does not
 * fit is cut and ends in "...". Returns dst. */
const char *lc_escape(char *dst, size_t cap, const void *s, size_t len);

#endif
