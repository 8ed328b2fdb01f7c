/* The layout of a parsed JSON tree, shared by the reader and the writer. */
#ifndef LLAMAC_JSON_PRIVATE_H
#define LLAMAC_JSON_PRIVATE_H

#include "json.h"

#include <locale.h>

/* A document is one block: the root node, then every other node (the
 * children of each container contiguous, so element i is items[i]), then the
 * bytes of every string and key, each followed by a NUL. */
struct lc_json {
    lc_json_kind kind;
    bool b;
    double num;
    const char *str;       /* STRING: its bytes */
    size_t len;            /* STRING: byte count; ARRAY, OBJECT: child count */
    const lc_json *items;  /* ARRAY, OBJECT: the children (NULL when none) */
    const char *key;       /* a member of an OBJECT: its key, else NULL */
    size_t key_len;
};

/* The "C" locale, so that strtod and snprintf read and write '.' whatever
 * locale the application set; (locale_t)0 if it could not be made. */
locale_t lc_json_c_locale(void);

#endif
