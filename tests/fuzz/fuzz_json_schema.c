/* libFuzzer target for the JSON Schema converter
 * (llamac_json_schema_to_grammar; see docs/fuzzing.md). Input: one byte
 * whose low two bits are the flags, then the schema. The call must return
 * a rule listing with a root rule, or a refusal status with a message; a
 * buffer one byte short must give LLAMAC_ERR_BUFFER_TOO_SMALL, the same
 * size and the same prefix (so the second conversion equals the first). */
#include "llamac.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool rule_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
}

/* The listing starts with "NAME ::= ", ends with a newline and has a root
 * rule. (A pattern's raw newline stays raw inside a literal, as in the
 * peer, so a body may span lines: lines are not checked one by one.) */
static void check_listing(const char *g, size_t n) {
    if (n == 0 || g[n - 1] != '\n') abort();
    size_t i = 0;
    while (i < n && rule_char(g[i])) i++;
    if (i == 0 || n - i < 5 || memcmp(g + i, " ::= ", 5) != 0) abort();
    bool root = n >= 9 && memcmp(g, "root ::= ", 9) == 0;
    for (size_t at = 0; at + 10 <= n && !root; at++) root = memcmp(g + at, "\nroot ::= ", 10) == 0;
    if (!root) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint32_t flags = data[0] & 3u;
    const char *schema = (const char *)data + 1;
    const size_t len = size - 1;
    size_t n = 12345;
    llamac_status st = llamac_json_schema_to_grammar(schema, len, flags, NULL, NULL, 0, &n);
    if (st != LLAMAC_ERR_BUFFER_TOO_SMALL) {
        if (st == LLAMAC_OK) abort(); /* a grammar always has root and space */
        if (st != LLAMAC_ERR_FORMAT && st != LLAMAC_ERR_LIMIT && st != LLAMAC_ERR_UNSUPPORTED &&
            st != LLAMAC_ERR_NO_MEMORY)
            abort();
        if (n != 0 || llamac_last_error()[0] == '\0') abort();
        return 0;
    }
    char *g = malloc(n), *short_buf = malloc(n);
    if (!g || !short_buf) abort();
    size_t n2 = 0, n3 = 0;
    if (llamac_json_schema_to_grammar(schema, len, flags, NULL, g, n, &n2) != LLAMAC_OK || n2 != n) abort();
    check_listing(g, n);
    if (llamac_json_schema_to_grammar(schema, len, flags, NULL, short_buf, n - 1, &n3) !=
            LLAMAC_ERR_BUFFER_TOO_SMALL ||
        n3 != n || memcmp(short_buf, g, n - 1) != 0)
        abort();
    free(g);
    free(short_buf);
    return 0;
}
