/* Small helpers the subcommands share: strict number parsing with errors
 * that name the allowed range, bounded whole-file reads. */
#ifndef LLAMAC_TOOLS_ARGS_H
#define LLAMAC_TOOLS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default --prompt-limit of `run` and `tokenize`: a prompt file larger than
 * this is refused rather than read (64 MiB is ~16M tokens, far beyond any
 * context). */
#define TOOL_PROMPT_LIMIT_DEFAULT ((size_t)64 << 20)

/* The whole string is a base-10 integer within [lo, hi]. */
bool tool_parse_i32(const char *s, int32_t lo, int32_t hi, int32_t *out);

/* Option parsers for `llamac CMD`: on a bad value each prints
 * "llamac CMD: OPT takes <what is allowed>, not 'VALUE'" to stderr and
 * returns false; *out is written only on success. */
bool tool_opt_i32(const char *cmd, const char *opt, const char *v, int32_t lo, int32_t hi,
                  int32_t *out);
/* A finite decimal number within [lo, hi] (strtof syntax). */
bool tool_opt_f32(const char *cmd, const char *opt, const char *v, float lo, float hi, float *out);
/* A base-10 integer in [0, 2^64 - 1], no sign. */
bool tool_opt_u64(const char *cmd, const char *opt, const char *v, uint64_t *out);
/* A byte count: a base-10 integer, optionally followed by K, M or G
 * (binary: 1K = 1024), within [1, TOOL_BYTES_MAX]. */
#define TOOL_BYTES_MAX ((uint64_t)1 << 40)
bool tool_opt_bytes(const char *cmd, const char *opt, const char *v, size_t *out);

/* Reads the file at `path` into a malloc'd buffer (caller frees), its
 * size in *len. At most `limit` bytes are accepted: a larger
 * regular file is refused without being read, and a pipe or device is read
 * only until it has given more than `limit` bytes. A FIFO without a writer
 * reads as empty instead of blocking. Directories are refused. On failure
 * returns NULL with a one-line reason in err (which names the path). */
char *tool_read_file(const char *path, size_t limit, size_t *len, char *err, size_t err_size);

/* Takes `text` (len bytes, malloc'd) and returns it NUL-terminated for the
 * library's C-string calls. NULL when it holds a NUL byte or memory runs
 * out: text is then freed and *why says which. */
char *tool_cstring(char *text, size_t len, const char **why);

#endif
