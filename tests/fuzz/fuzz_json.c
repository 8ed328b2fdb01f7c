/* libFuzzer target for the JSON reader and writer (lib/common/json.h; see
 * docs/fuzzing.md). Each input is one document. A refusal must be
 * LLAMAC_ERR_FORMAT with a "JSON line L, column C" message; an accepted
 * document is written compact and indented, each text must parse again to
 * an equal tree (numbers bit for bit) and write again to the same text, and
 * every string and key must be well-formed UTF-8. */
#include "common/json.h"
#include "common/unicode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static lc_env env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    lc_env_init(&env, NULL, NULL, NULL);
    return 0;
}

static void check_utf8(const char *s, size_t len) {
    if (!s || s[len] != '\0' || !lc_utf8_valid((const unsigned char *)s, len)) abort();
}

/* Depth is at most the reader's default limit (256), so recursion is fine
 * here. */
static bool equal(const lc_json *a, const lc_json *b) {
    const lc_json_kind k = lc_json_kind_of(a);
    if (k != lc_json_kind_of(b)) return false;
    size_t la, lb;
    switch (k) {
    case LC_JSON_NULL: return true;
    case LC_JSON_BOOL: return lc_json_bool(a) == lc_json_bool(b);
    case LC_JSON_NUMBER: {
        const double x = lc_json_number(a), y = lc_json_number(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    case LC_JSON_STRING: {
        const char *sa = lc_json_string(a, &la), *sb = lc_json_string(b, &lb);
        check_utf8(sa, la);
        return la == lb && !memcmp(sa, sb, la);
    }
    case LC_JSON_ARRAY:
    case LC_JSON_OBJECT: break;
    }
    const size_t n = lc_json_count(a);
    if (n != lc_json_count(b) || lc_json_at(a, n) || lc_json_at(b, n)) return false;
    for (size_t i = 0; i < n; i++) {
        if (k == LC_JSON_OBJECT) {
            const char *ka = lc_json_key_at(a, i, &la), *kb = lc_json_key_at(b, i, &lb);
            check_utf8(ka, la);
            if (la != lb || memcmp(ka, kb, la)) return false;
            /* lc_json_get finds a member with that key at or before i */
            if (strlen(ka) == la) {
                const lc_json *g = lc_json_get(a, ka);
                if (!g || g > lc_json_at(a, i)) return false;
            }
        }
        if (!equal(lc_json_at(a, i), lc_json_at(b, i))) return false;
    }
    return true;
}

static void round_trip(const lc_json *root, int indent) {
    lc_bytes t1 = {0}, t2 = {0};
    lc_json *again = NULL;
    if (lc_json_write(&env, &t1, root, indent)) abort();
    if (lc_json_parse(&env, t1.data, t1.len, NULL, &again)) abort();
    if (!equal(root, again)) abort();
    if (lc_json_write(&env, &t2, again, indent)) abort();
    if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len)) abort();
    lc_json_free(&env, again);
    lc_free(&env, t1.data);
    lc_free(&env, t2.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lc_json *root = NULL;
    const llamac_status st = lc_json_parse(&env, (const char *)data, size, NULL, &root);
    if (st) {
        if (st != LLAMAC_ERR_FORMAT || root || strncmp(llamac_last_error(), "JSON line ", 10)) abort();
        return 0;
    }
    round_trip(root, 0);
    round_trip(root, 2);
    lc_json_free(&env, root);
    return 0;
}
