/* Files in the tests: whole-file reads and comparisons, and GGUF files and
 * models opened or failing the running case with the library's message. */
#ifndef LLAMAC_TEST_FILES_H
#define LLAMAC_TEST_FILES_H

#include "llamac.h"

#include <stdbool.h>
#include <stddef.h>

/* Whole file into a malloc'd buffer with a NUL after its end; NULL if
 * unreadable. *len (when len is not NULL) gets the size. */
char *test_read_file(const char *path, size_t *len);

/* Whether the two files hold the same bytes (both must be readable). */
bool test_files_equal(const char *a, const char *b);

/* llamac_gguf_open / llamac_model_load with default parameters; a failure
 * fails the running case, naming the path, status and message. */
llamac_gguf *test_open_gguf(const char *path);
llamac_model *test_load_model(const char *path);

/* The same for a file of ../shared (`relative` to it, e.g.
 * "models/tiny-f32.gguf"): NULL after a SKIP line when it is absent (see
 * shared_path in test_util.h); callers then skip(). */
llamac_gguf *test_open_shared_gguf(const char *relative);
llamac_model *test_load_shared_model(const char *relative);

#endif
