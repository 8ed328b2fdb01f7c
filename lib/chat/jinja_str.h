/* Python str operations for the Jinja engine's filters and methods
 * (jinja_str.c). Strings are JV_STR values (valid UTF-8). */
#ifndef LLAMAC_JINJA_STR_H
#define LLAMAC_JINJA_STR_H

#include "jinja.h"

#include "common/unicode.h"

#include <stddef.h>

typedef enum jcase { JCASE_UPPER, JCASE_LOWER, JCASE_CAPITALIZE, JCASE_TITLE } jcase;

bool jstr_is_space(char ch); /* Python's isspace for ASCII */
jv jstr_case(jctx *c, jv s, jcase mode);
/* str.strip/lstrip/rstrip: chars NULL strips whitespace */
jv jstr_strip(jv s, const jv *chars, bool left, bool right);
/* byte offset of needle in hay from `from`, or -1 */
ptrdiff_t jstr_find(jv hay, jv needle, size_t from);
/* str.replace (count < 0: all) */
jv jstr_replace(jctx *c, const jnode *at, jv s, jv old, jv rep, int64_t count);
/* str.split (sep NULL: whitespace runs; maxsplit < 0: no limit) */
jv jstr_split(jctx *c, const jnode *at, jv s, const jv *sep, int64_t maxsplit);
bool jstr_starts(jv s, jv prefix);
bool jstr_ends(jv s, jv suffix);
size_t jstr_len(jv s); /* code points */

#endif
