/* Python's str operations the filters and methods share: case mapping,
 * strip, split, replace, find. Case mapping covers ASCII letters only (a
 * documented difference: Python maps every cased Unicode letter). */
#include "jinja_str.h"

#include <string.h>

static bool is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static bool is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }
static bool is_alpha(char ch) { return is_upper(ch) || is_lower(ch) || ((unsigned char)ch & 0x80); }
static char to_upper(char ch) { return is_lower(ch) ? (char)(ch - 32) : ch; }
static char to_lower(char ch) { return is_upper(ch) ? (char)(ch + 32) : ch; }

bool jstr_is_space(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1c && ch <= 0x1f); }

jv jstr_case(jctx *c, jv s, jcase mode) {
    char *out = jalloc(c, s.u.s.n + 1);
    bool word_start = true; /* for str.title(): after a non-letter */
    for (size_t i = 0; i < s.u.s.n; i++) {
        char ch = s.u.s.p[i];
        switch (mode) {
        case JCASE_UPPER: ch = to_upper(ch); break;
        case JCASE_LOWER: ch = to_lower(ch); break;
        case JCASE_CAPITALIZE: ch = i == 0 ? to_upper(ch) : to_lower(ch); break;
        case JCASE_TITLE:
            ch = word_start ? to_upper(ch) : to_lower(ch);
            word_start = !is_alpha(ch);
            break;
        }
        out[i] = ch;
    }
    return jv_str(out, s.u.s.n);
}

/* Does chars (a set of code points, or whitespace when NULL) hold the
 * character of `len` bytes at p? */
static bool in_set(const char *p, size_t len, const jv *chars) {
    if (!chars) return len == 1 && jstr_is_space(p[0]);
    for (size_t i = 0; i < chars->u.s.n;) {
        size_t k = lc_utf8_lead_len((unsigned char)chars->u.s.p[i]);
        if (k == len && memcmp(chars->u.s.p + i, p, len) == 0) return true;
        i += k;
    }
    return false;
}

jv jstr_strip(jv s, const jv *chars, bool left, bool right) {
    const char *p = s.u.s.p;
    size_t a = 0, b = s.u.s.n;
    if (left)
        while (a < b) {
            size_t k = lc_utf8_lead_len((unsigned char)p[a]);
            if (k > b - a || !in_set(p + a, k, chars)) break;
            a += k;
        }
    if (right)
        while (b > a) {
            size_t k = 1;
            while (k < b - a && k < 4 && ((unsigned char)p[b - k] & 0xC0) == 0x80) k++;
            if (!in_set(p + b - k, k, chars)) break;
            b -= k;
        }
    return jv_str(p + a, b - a);
}

ptrdiff_t jstr_find(jv hay, jv needle, size_t from) {
    if (needle.u.s.n == 0) return from <= hay.u.s.n ? (ptrdiff_t)from : -1;
    for (size_t i = from; i + needle.u.s.n <= hay.u.s.n; i++)
        if (memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n) == 0) return (ptrdiff_t)i;
    return -1;
}

jv jstr_replace(jctx *c, const jnode *at, jv s, jv old, jv rep, int64_t count) {
    jbuf b = {0};
    if (old.u.s.n == 0) { /* Python inserts rep before every character and at the end */
        int64_t done = 0;
        for (size_t i = 0; i <= s.u.s.n;) {
            jstep(c, at);
            if (count < 0 || done < count) {
                jbuf_put(c, &b, rep.u.s.p, rep.u.s.n);
                done++;
            }
            if (i == s.u.s.n) break;
            size_t k = lc_utf8_lead_len((unsigned char)s.u.s.p[i]);
            if (k > s.u.s.n - i) k = s.u.s.n - i;
            jbuf_put(c, &b, s.u.s.p + i, k);
            i += k;
        }
        return jv_str(b.p ? b.p : "", b.n);
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        ptrdiff_t hit = jstr_find(s, old, pos);
        if (hit < 0) break;
        jstep(c, at);
        jbuf_put(c, &b, s.u.s.p + pos, (size_t)hit - pos);
        jbuf_put(c, &b, rep.u.s.p, rep.u.s.n);
        pos = (size_t)hit + old.u.s.n;
        done++;
    }
    jbuf_put(c, &b, s.u.s.p + pos, s.u.s.n - pos);
    return jv_str(b.p ? b.p : "", b.n);
}

jv jstr_split(jctx *c, const jnode *at, jv s, const jv *sep, int64_t maxsplit) {
    jv out = jv_list_new(c, 0);
    const char *p = s.u.s.p;
    const size_t n = s.u.s.n;
    if (!sep) { /* runs of whitespace, no empty strings */
        size_t i = 0;
        int64_t done = 0;
        for (;;) {
            while (i < n && jstr_is_space(p[i])) i++;
            if (i >= n) break;
            if (maxsplit >= 0 && done >= maxsplit) {
                size_t e = n;
                while (e > i && jstr_is_space(p[e - 1])) e--;
                jlist_push(c, out.u.l, jv_str(p + i, e - i));
                break;
            }
            size_t j = i;
            while (j < n && !jstr_is_space(p[j])) j++;
            jstep(c, at);
            jlist_push(c, out.u.l, jv_str(p + i, j - i));
            done++;
            i = j;
        }
        return out;
    }
    if (sep->u.s.n == 0) jfail_at(c, at, "split: empty separator");
    size_t pos = 0;
    int64_t done = 0;
    for (;;) {
        ptrdiff_t hit = maxsplit >= 0 && done >= maxsplit ? -1 : jstr_find(s, *sep, pos);
        jstep(c, at);
        if (hit < 0) {
            jlist_push(c, out.u.l, jv_str(p + pos, n - pos));
            return out;
        }
        jlist_push(c, out.u.l, jv_str(p + pos, (size_t)hit - pos));
        pos = (size_t)hit + sep->u.s.n;
        done++;
    }
}

bool jstr_starts(jv s, jv prefix) { return prefix.u.s.n <= s.u.s.n && memcmp(s.u.s.p, prefix.u.s.p, prefix.u.s.n) == 0; }
bool jstr_ends(jv s, jv suffix) {
    return suffix.u.s.n <= s.u.s.n && memcmp(s.u.s.p + s.u.s.n - suffix.u.s.n, suffix.u.s.p, suffix.u.s.n) == 0;
}

size_t jstr_len(jv s) {
    size_t count = 0;
    for (size_t i = 0; i < s.u.s.n; i++)
        if (((unsigned char)s.u.s.p[i] & 0xC0) != 0x80) count++;
    return count;
}
