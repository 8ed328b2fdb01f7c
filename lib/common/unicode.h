/* UTF-8 decoding and the Unicode character classes the tokenizers need.
 * The class table (lib/common/unicode_table.c) is generated from the Unicode
 * Character Database by scripts/gen_unicode_table.py. */
#ifndef LLAMAC_UNICODE_H
#define LLAMAC_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Codepoint classes, as bits: \p{L}, \p{N} and \s (White_Space). */
enum {
    LC_UCD_LETTER = 1,
    LC_UCD_NUMBER = 2,
    LC_UCD_WHITESPACE = 4
};

#define LC_UCD_SHIFT 8
extern const uint16_t lc_ucd_stage1[0x110000 >> LC_UCD_SHIFT];
extern const uint8_t lc_ucd_stage2[];

/* Class bits of codepoint cp; 0 for cp > 0x10FFFF. */
static inline unsigned lc_unicode_class(uint32_t cp) {
    if (cp >= 0x110000) return 0;
    return lc_ucd_stage2[((size_t)lc_ucd_stage1[cp >> LC_UCD_SHIFT] << LC_UCD_SHIFT) |
                         (cp & ((1u << LC_UCD_SHIFT) - 1))];
}

/* Decodes one well-formed UTF-8 character at s[0..n) (n >= 1): returns its
 * length 1..4 and stores the codepoint, or returns 0 when the bytes there do
 * not start a well-formed character (stray continuation byte, truncated
 * sequence, overlong form, surrogate, value above U+10FFFF). */
size_t lc_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* True if the len bytes at s are well-formed UTF-8 (each character as
 * lc_utf8_decode accepts it). The one validator of the library: GGUF keys
 * and strings, vocab texts and the writer all check with it. */
bool lc_utf8_valid(const unsigned char *s, uint64_t len);

/* Length a UTF-8 lead byte announces, judged by its high four bits only:
 * 1 for ASCII and stray continuation bytes, 2, 3 or 4 otherwise. This is the
 * rule SentencePiece-style tokenizers use to cut text into characters
 * without validating it. */
static inline size_t lc_utf8_lead_len(unsigned char b) {
    static const unsigned char len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[b >> 4];
}

/* Writes the UTF-8 form of cp (<= 0x10FFFF) into out[0..4), returns its
 * length; 0 if cp is out of range. */
size_t lc_utf8_encode(uint32_t cp, unsigned char out[4]);

/* Byte-level BPE (GPT-2, Llama 3) spells every byte as one printable
 * codepoint so that token texts are valid UTF-8: printable Latin-1 bytes stand
 * for themselves, the other 68 bytes (controls, space, DEL, NBSP, soft hyphen)
 * become U+0100.. in byte order. */
uint32_t lc_byte_to_bpe_cp(unsigned char b);
/* Inverse: the byte codepoint cp stands for, or -1 if it stands for none. */
int lc_bpe_cp_to_byte(uint32_t cp);

#endif
