/* Small helpers the subcommands share: strict number parsing, whole-file
 * reads. */
#ifndef LLAMAC_TOOLS_ARGS_H
#define LLAMAC_TOOLS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The whole string is a base-10 integer within [lo, hi]. */
bool tool_parse_i32(const char *s, int32_t lo, int32_t hi, int32_t *out);

/* The whole file in a malloc'd buffer (caller frees), its size in *len;
 * NULL with errno set on failure. */
char *tool_read_file(const char *path, size_t *len);

#endif
