/* The Llama 3 pre-tokenizer: cuts text into the pieces that byte-level BPE
 * then merges independently. It implements, without a regex engine, the
 * pattern Llama 3 (tiktoken) uses:
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)        contractions
 *   | [^\r\n\p{L}\p{N}]?\p{L}+           a letter run, with one optional lead
 *   | \p{N}{1,3}                         digits in groups of up to three
 *   | ' '?[^\s\p{L}\p{N}]+[\r\n]*        punctuation run (+ trailing newlines)
 *   | \s*[\r\n]+                         whitespace ending in newlines
 *   | \s+(?!\S)                          whitespace not followed by a non-space
 *   | \s+                                other whitespace
 *
 * trying the alternatives in that order at each position, like the regex,
 * with the same answers as llama.cpp's hand-written matcher for it.
 *
 * Bytes that are not well-formed UTF-8 are taken one at a time as a
 * character of no class (llama.cpp replaces each by U+FFFD, which has no
 * class either, so the cuts are the same; llamac keeps the bytes).
 * "Case-insensitive" only concerns ASCII here: no other codepoint lowercases
 * to s, t, r, e, v, m, l or d. */
#include "common/unicode.h"
#include "vocab_private.h"

typedef struct ch {
    uint32_t cp;
    uint32_t len; /* 0: past the end */
    unsigned cls;
} ch;

#define NO_CP 0xFFFFFFFFu

static ch char_at(const unsigned char *t, size_t n, size_t pos) {
    ch c = {NO_CP, 0, 0};
    if (pos >= n) return c;
    size_t len = lc_utf8_decode(t + pos, n - pos, &c.cp);
    if (len == 0) {
        c.cp = NO_CP - 1; /* ill-formed byte: no class, not a space */
        c.len = 1;
        return c;
    }
    c.len = (uint32_t)len;
    c.cls = lc_unicode_class(c.cp);
    return c;
}

static uint32_t ascii_lower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

static bool is_newline(uint32_t cp) { return cp == '\r' || cp == '\n'; }

size_t lc_llama3_pretoken_end(const unsigned char *t, size_t n, size_t pos) {
    const ch c = char_at(t, n, pos);
    const size_t after = pos + c.len;

    if (c.cp == '\'' && after < n) {
        const ch c1 = char_at(t, n, after);
        const uint32_t l1 = ascii_lower(c1.cp);
        if (l1 == 's' || l1 == 't' || l1 == 'm' || l1 == 'd') return after + c1.len;
        const ch c2 = char_at(t, n, after + c1.len);
        const uint32_t l2 = ascii_lower(c2.cp);
        if (c2.len && ((l1 == 'r' && l2 == 'e') || (l1 == 'v' && l2 == 'e') || (l1 == 'l' && l2 == 'l')))
            return after + c1.len + c2.len;
    }

    if (!is_newline(c.cp) && !(c.cls & LC_UCD_NUMBER)) {
        if ((c.cls & LC_UCD_LETTER) || (char_at(t, n, after).cls & LC_UCD_LETTER)) {
            size_t p = after;
            for (ch d = char_at(t, n, p); d.cls & LC_UCD_LETTER; d = char_at(t, n, p)) p += d.len;
            return p;
        }
    }

    if (c.cls & LC_UCD_NUMBER) {
        size_t p = after;
        for (int k = 1; k < 3; k++) {
            const ch d = char_at(t, n, p);
            if (!(d.cls & LC_UCD_NUMBER)) break;
            p += d.len;
        }
        return p;
    }

    /* ' '?[^\s\p{L}\p{N}]+[\r\n]* : after an optional space, a run of
     * characters of none of the three classes. A lone space at the very
     * end also lands here (as the last \s+ alternative would take it). */
    const unsigned any = LC_UCD_WHITESPACE | LC_UCD_LETTER | LC_UCD_NUMBER;
    const ch lead = (c.cp == ' ') ? char_at(t, n, after) : c;
    if (!(lead.cls & any)) {
        size_t p = (c.cp == ' ') ? after : pos;
        for (ch d = char_at(t, n, p); d.len && !(d.cls & any); d = char_at(t, n, p)) p += d.len;
        while (p < n && (t[p] == '\r' || t[p] == '\n')) p++;
        return p;
    }

    /* c is whitespace. */
    size_t p = pos, last_newline_end = 0, last_len = 0, count = 0;
    for (ch d = char_at(t, n, p); d.cls & LC_UCD_WHITESPACE; d = char_at(t, n, p)) {
        p += d.len;
        if (is_newline(d.cp)) last_newline_end = p;
        last_len = d.len;
        count++;
    }
    if (last_newline_end) return last_newline_end;  /* \s*[\r\n]+ */
    if (count > 1 && p < n) return p - last_len;    /* \s+(?!\S) */
    if (count > 0) return p;                        /* \s+ */
    return after; /* not reached: every character matches some branch */
}
