/* Helpers shared by the tokenizer tests (tests/test_vocab_*.c). */
#ifndef LLAMAC_TEST_VOCAB_UTIL_H
#define LLAMAC_TEST_VOCAB_UTIL_H

#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <stdbool.h>

/* Loads ../shared/vocab/ggml-vocab-<name>.gguf ("llama-spm", "llama-bpe").
 * Returns NULL (after a loud SKIP line) when the file is absent; a load
 * failure fails the test. */
llamac_vocab *tv_load_shared(const char *name);

/* Both Llama vocabularies of ../shared for a group of cases:
 *     return run_test_group(tests, tv_vocabs_setup, tv_vocabs_teardown);
 * loads them into a tv_vocabs at *state (either NULL, after a SKIP line,
 * when its file is absent: the cases that need it skip) and frees them. */
typedef struct tv_vocabs {
    llamac_vocab *spm, *bpe;
} tv_vocabs;
int tv_vocabs_setup(void **state);
int tv_vocabs_teardown(void **state);

/* Path of tests/data/<file> (env LLAMAC_TEST_DATA, set by meson). */
const char *tv_data_path(char *buf, size_t size, const char *file);

/* Decodes n hex digits into out (n/2 bytes); false on a bad digit. */
bool tv_hex_decode(const char *hex, size_t n, char *out);

/* Strict UTF-8 check written independently of the library. */
bool tv_valid_utf8(const char *s, size_t n);

/* splitmix64: the tests' seeded random numbers. */
uint64_t tv_rand(uint64_t *state);

/* Appends a random mix of scripts, emoji, digits, punctuation and
 * whitespace runs (valid UTF-8) to buf, at most cap bytes in total; returns
 * the new length. With no_spm_space, U+2581 never appears (an SPM
 * vocabulary reads it back as a space). */
size_t tv_random_text(uint64_t *state, char *buf, size_t len, size_t cap, bool no_spm_space);

/* Tokenize into a malloc'd array (asserting success); *n gets the count. */
llamac_token *tv_tokenize(const llamac_vocab *v, const char *text, size_t len, bool add_special,
                          bool parse_special, int32_t *n);

/* Detokenize into a malloc'd buffer (asserting success). */
char *tv_detokenize(const llamac_vocab *v, const llamac_token *tokens, int32_t n, bool remove_special,
                    bool unparse_special, size_t *len);

#endif
