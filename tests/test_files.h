/* Files in the tests: whole-file reads and comparisons, and GGUF files and
 * models opened or failing the running case with the library's message. */
#ifndef LLAMAC_TEST_FILES_H
#define LLAMAC_TEST_FILES_H

#include "llamac.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whole file into a malloc'd buffer with a NUL after its end; NULL if
 * unreadable. *len (when len is not NULL) gets the size. */
char *test_read_file(const char *path, size_t *len);

/* Whether the two files hold the same bytes (both must be readable). */
bool test_files_equal(const char *a, const char *b);

/* llamac_gguf_open / llamac_model_load with default parameters; a failure
 * fails the running case, naming the path, status and message. */
llamac_gguf *test_open_gguf(const char *path);
llamac_model *test_load_model(const char *path);

/* For a group setup, which cannot fail a case: the model at `path` (the
 * value of the environment variable `env`, which meson sets), or NULL after
 * a line on stderr naming what is missing or the load's status and message. */
llamac_model *test_load_model_from_env(const char *env);

/* Group fixtures for programs whose cases share the shipped model
 * (LLAMAC_SHIPPED_MODEL), loaded once: *state is a model_fixture. */
typedef struct model_fixture {
    llamac_model *model;
    const llamac_vocab *vocab;
    int32_t n_vocab;
} model_fixture;
int shipped_model_setup(void **state);
int shipped_model_teardown(void **state);

/* llamac_gguf_writer_new with default parameters; a failure fails the
 * running case. */
llamac_gguf_writer *test_new_writer(void);

/* The same for a file of ../shared (`relative` to it, e.g.
 * "models/tiny-f32.gguf"): NULL after a SKIP line when it is absent (see
 * shared_path in test_util.h); callers then skip(). */
llamac_gguf *test_open_shared_gguf(const char *relative);
llamac_model *test_load_shared_model(const char *relative);

/* One metadata value a GGUF file must hold, read through the getter its kind
 * names (so a kind also checks that the stored value converts to it). The
 * expected value sits in the field of that kind: i for U32, I32, I64 and BOOL
 * (non-zero = true), u for U64, f for F32, d for F64, s for STR (whose
 * reported length must be strlen(s) too). */
typedef enum { GK_U32, GK_I32, GK_U64, GK_I64, GK_F32, GK_F64, GK_BOOL, GK_STR } gguf_key_kind;
typedef struct gguf_key_value {
    const char *key;
    gguf_key_kind kind;
    int64_t i;
    uint64_t u;
    float f;
    double d;
    const char *s;
} gguf_key_value;

/* Fails the running case, naming the key, unless each of the n keys reads
 * back through its getter with LLAMAC_OK and exactly the expected value. */
void assert_gguf_keys(const llamac_gguf *g, const gguf_key_value *keys, size_t n);

/* The data of the array `key` (NULL for an array of strings or of arrays),
 * after failing the running case unless it reads with LLAMAC_OK as n
 * elements of `type`. */
const void *assert_gguf_array(const llamac_gguf *g, const char *key, llamac_gguf_type type, uint64_t n);

/* Fails the running case unless element i of the string array `key` reads
 * with LLAMAC_OK as the len bytes of `want` followed by a NUL. */
void assert_gguf_array_string(const llamac_gguf *g, const char *key, uint64_t i, const char *want, uint64_t len);

/* The shape a loaded model must report (every field is checked). */
typedef struct model_shape {
    int32_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff;
} model_shape;

/* ../shared/README.md: the shared tiny model's shape (what `llamac synth
 * tiny` writes too). */
#define TINY_SHAPE ((model_shape){2048, 2048, 256, 2, 8, 4, 768})

/* Fails the running case, naming the first getter that differs. */
void assert_model_shape(const llamac_model *m, model_shape want);

#endif
