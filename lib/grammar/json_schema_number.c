/* Repetitions and integer ranges as the peer writes them
 * (build_repetition and _build_min_max_int of llama.cpp's
 * json-schema-to-grammar.cpp at c392e50). The recursion of the range
 * builder follows the decimal digits of 32-bit bounds: at most a dozen
 * levels whatever the schema. */
#include "json_schema_private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void lc_js_repetition(lc_js *c, lc_bytes *out, const char *item, size_t item_len, int64_t min, int64_t max,
                      const char *sep) {
    const bool has_max = max >= 0;
    if (min == 0 && max == 1) {
        lc_js_put(c, out, item, item_len);
        lc_js_putc(c, out, '?');
        return;
    }
    if (!sep) {
        lc_js_put(c, out, item, item_len);
        if (min == 1 && !has_max) {
            lc_js_putc(c, out, '+');
        } else if (min == 0 && !has_max) {
            lc_js_putc(c, out, '*');
        } else {
            lc_js_putc(c, out, '{');
            lc_js_puti(c, out, min);
            lc_js_putc(c, out, ',');
            if (has_max) lc_js_puti(c, out, max);
            lc_js_putc(c, out, '}');
        }
        return;
    }
    /* item (sep item){min-1,max-1}, optional as a whole when min is 0. The
     * peer writes "{0,-1}" for max 0; no item at all is what max 0 means. */
    if (max == 0) return;
    lc_bytes rest = {0};
    lc_js_putc(c, &rest, '(');
    lc_js_puts(c, &rest, sep);
    lc_js_putc(c, &rest, ' ');
    lc_js_put(c, &rest, item, item_len);
    lc_js_putc(c, &rest, ')');
    if (min == 0) lc_js_putc(c, out, '(');
    lc_js_put(c, out, item, item_len);
    lc_js_putc(c, out, ' ');
    if (!c->st) lc_js_repetition(c, out, rest.data, rest.len, min == 0 ? 0 : min - 1, has_max ? max - 1 : -1, NULL);
    if (min == 0) lc_js_puts(c, out, ")?");
    lc_js_bytes_free(c, &rest);
}

static void digit_range(lc_js *c, lc_bytes *out, char from, char to) {
    lc_js_putc(c, out, '[');
    lc_js_putc(c, out, from);
    if (from != to) {
        lc_js_putc(c, out, '-');
        lc_js_putc(c, out, to);
    }
    lc_js_putc(c, out, ']');
}

static void more_digits(lc_js *c, lc_bytes *out, int64_t min_digits, int64_t max_digits) {
    lc_js_puts(c, out, "[0-9]");
    if (min_digits == max_digits && min_digits == 1) return;
    lc_js_putc(c, out, '{');
    lc_js_puti(c, out, min_digits);
    if (max_digits != min_digits) {
        lc_js_putc(c, out, ',');
        lc_js_puti(c, out, max_digits);
    }
    lc_js_putc(c, out, '}');
}

static bool all_of(const char *s, size_t n, char ch) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ch) return false;
    return true;
}

/* The numbers from `from` to `to`, two digit strings of one length. */
static void uniform_range(lc_js *c, lc_bytes *out, const char *from, size_t from_len, const char *to, size_t to_len) {
    static const char ZEROS[] = "00000000000000000000", NINES[] = "99999999999999999999";
    size_t i = 0;
    while (i < from_len && i < to_len && from[i] == to[i]) i++;
    if (i > 0) {
        lc_js_putc(c, out, '"');
        lc_js_put(c, out, from, i);
        lc_js_putc(c, out, '"');
    }
    if (i >= from_len || i >= to_len) return;
    if (i > 0) lc_js_putc(c, out, ' ');
    const size_t sub_len = from_len - i - 1;
    if (sub_len == 0) {
        digit_range(c, out, from[i], to[i]);
        return;
    }
    const char *from_sub = from + i + 1, *to_sub = to + i + 1;
    const size_t to_sub_len = to_len - i - 1;
    bool to_reached = false;
    lc_js_putc(c, out, '(');
    if (all_of(from_sub, sub_len, '0')) {
        digit_range(c, out, from[i], (char)(to[i] - 1));
        lc_js_putc(c, out, ' ');
        more_digits(c, out, (int64_t)sub_len, (int64_t)sub_len);
    } else {
        lc_js_putc(c, out, '[');
        lc_js_putc(c, out, from[i]);
        lc_js_puts(c, out, "] (");
        uniform_range(c, out, from_sub, sub_len, NINES, sub_len);
        lc_js_putc(c, out, ')');
        if (from[i] < to[i] - 1) {
            lc_js_puts(c, out, " | ");
            if (to_sub_len == sub_len && all_of(to_sub, to_sub_len, '9')) {
                digit_range(c, out, (char)(from[i] + 1), to[i]);
                to_reached = true;
            } else {
                digit_range(c, out, (char)(from[i] + 1), (char)(to[i] - 1));
            }
            lc_js_putc(c, out, ' ');
            more_digits(c, out, (int64_t)sub_len, (int64_t)sub_len);
        }
    }
    if (!to_reached) {
        lc_js_puts(c, out, " | ");
        digit_range(c, out, to[i], to[i]);
        lc_js_putc(c, out, ' ');
        uniform_range(c, out, ZEROS, sub_len, to_sub, to_sub_len);
    }
    lc_js_putc(c, out, ')');
}

static void min_max(lc_js *c, lc_bytes *out, bool has_min, int64_t min, bool has_max, int64_t max,
                    int64_t decimals_left, bool top_level) {
    if (c->st) return;
    if (has_min && has_max) {
        if (min < 0 && max < 0) {
            lc_js_puts(c, out, "\"-\" (");
            min_max(c, out, true, -max, true, -min, decimals_left, true);
            lc_js_putc(c, out, ')');
            return;
        }
        if (min < 0) {
            lc_js_puts(c, out, "\"-\" (");
            min_max(c, out, true, 0, true, -min, decimals_left, true);
            lc_js_puts(c, out, ") | ");
            min = 0;
        }
        char min_s[24], max_s[24];
        snprintf(min_s, sizeof min_s, "%" PRId64, min);
        snprintf(max_s, sizeof max_s, "%" PRId64, max);
        const size_t max_digits = strlen(max_s);
        for (size_t digits = strlen(min_s); digits < max_digits; digits++) {
            char nines[24];
            memset(nines, '9', digits);
            uniform_range(c, out, min_s, strlen(min_s), nines, digits);
            min_s[0] = '1';
            memset(min_s + 1, '0', digits);
            min_s[digits + 1] = '\0';
            lc_js_puts(c, out, " | ");
        }
        uniform_range(c, out, min_s, strlen(min_s), max_s, max_digits);
        return;
    }
    const int64_t less_decimals = decimals_left - 1 > 1 ? decimals_left - 1 : 1;
    if (has_min) {
        if (min < 0) {
            lc_js_puts(c, out, "\"-\" (");
            min_max(c, out, false, 0, true, -min, decimals_left, false);
            lc_js_puts(c, out, ") | [0] | [1-9] ");
            more_digits(c, out, 0, decimals_left - 1);
        } else if (min == 0) {
            if (top_level) {
                lc_js_puts(c, out, "[0] | [1-9] ");
                more_digits(c, out, 0, less_decimals);
            } else {
                more_digits(c, out, 1, decimals_left);
            }
        } else if (min <= 9) {
            const char ch = (char)('0' + min), range_start = top_level ? '1' : '0';
            if (ch > range_start) {
                digit_range(c, out, range_start, (char)(ch - 1));
                lc_js_putc(c, out, ' ');
                more_digits(c, out, 1, less_decimals);
                lc_js_puts(c, out, " | ");
            }
            digit_range(c, out, ch, '9');
            lc_js_putc(c, out, ' ');
            more_digits(c, out, 0, less_decimals);
        } else {
            char min_s[24];
            snprintf(min_s, sizeof min_s, "%" PRId64, min);
            const int64_t len = (int64_t)strlen(min_s);
            const char ch = min_s[0];
            if (ch > '1') {
                digit_range(c, out, top_level ? '1' : '0', (char)(ch - 1));
                lc_js_putc(c, out, ' ');
                more_digits(c, out, len, less_decimals);
                lc_js_puts(c, out, " | ");
            }
            digit_range(c, out, ch, ch);
            lc_js_puts(c, out, " (");
            int64_t rest = 0;
            for (const char *p = min_s + 1; *p; p++) rest = rest * 10 + (*p - '0');
            min_max(c, out, true, rest, false, 0, less_decimals, false);
            lc_js_putc(c, out, ')');
            if (ch < '9') {
                lc_js_puts(c, out, " | ");
                digit_range(c, out, (char)(ch + 1), '9');
                lc_js_putc(c, out, ' ');
                more_digits(c, out, len - 1, less_decimals);
            }
        }
        return;
    }
    if (max >= 0) {
        if (top_level) {
            lc_js_puts(c, out, "\"-\" [1-9] ");
            more_digits(c, out, 0, less_decimals);
            lc_js_puts(c, out, " | ");
        }
        min_max(c, out, true, 0, true, max, decimals_left, true);
    } else {
        lc_js_puts(c, out, "\"-\" (");
        min_max(c, out, true, -max, false, 0, decimals_left, false);
        lc_js_putc(c, out, ')');
    }
}

void lc_js_int_range(lc_js *c, lc_bytes *out, bool has_min, int64_t min, bool has_max, int64_t max) {
    min_max(c, out, has_min, min, has_max, max, 16, true);
}
