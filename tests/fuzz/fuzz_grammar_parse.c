/* libFuzzer target for the GBNF parser (llamac.h section 12; see
 * docs/fuzzing.md). Each input is one grammar. A refusal must be
 * LLAMAC_ERR_FORMAT or LLAMAC_ERR_LIMIT with a one-line message starting
 * "grammar: " and a place inside the text (line and column 0 only when the
 * message names no place); an accepted grammar must build a matcher that
 * answers at the start of input and after a few bytes. */
#include "llamac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    int32_t line = -1, col = -1;
    llamac_status st = llamac_grammar_check(text, size, NULL, &line, &col);
    if (st != LLAMAC_OK) {
        if (st != LLAMAC_ERR_FORMAT && st != LLAMAC_ERR_LIMIT && st != LLAMAC_ERR_NO_MEMORY) abort();
        const char *msg = llamac_last_error();
        if (st != LLAMAC_ERR_NO_MEMORY && strncmp(msg, "grammar: ", 9) != 0) abort();
        if (strchr(msg, '\n')) abort();
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
        if (line < 0 || col < 0 || (size_t)line > lines || (size_t)col > size + 1) abort();
        if ((line == 0) != (col == 0)) abort();
        return 0;
    }
    if (line != 0 || col != 0) abort();
    llamac_grammar_matcher *m = NULL;
    if (llamac_grammar_matcher_new(text, size, NULL, NULL, &m) != LLAMAC_OK) {
        /* the start state alone may exceed the stack bound */
        if (llamac_grammar_matcher_new(text, size, NULL, NULL, &m) != LLAMAC_OK) return 0;
    }
    bool done;
    if (llamac_grammar_matcher_complete(m, &done) != LLAMAC_OK) abort();
    size_t used;
    llamac_status fs = llamac_grammar_matcher_feed(m, text, size < 64 ? size : 64, &used);
    if (fs != LLAMAC_OK && fs != LLAMAC_ERR_LIMIT) abort();
    if (used > 64) abort();
    llamac_grammar_matcher_reset(m);
    llamac_grammar_matcher_free(m);
    return 0;
}
