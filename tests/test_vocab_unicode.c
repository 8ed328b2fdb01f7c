/* UTF-8 decoding, the generated Unicode class table, the byte-level BPE
 * alphabet, and the Llama 3 pre-tokenizer's cuts. Expected values are
 * Unicode facts (UnicodeData.txt, PropList.txt) and splits worked out by
 * hand from the Llama 3 pattern. */
#include "test_util.h"

#include "common/unicode.h"
#include "vocab/vocab_private.h"

#include <string.h>

static size_t decode(const char *s, uint32_t *cp) {
    return lc_utf8_decode((const unsigned char *)s, strlen(s), cp);
}

static void utf8_decoding_accepts_exactly_well_formed_characters(void **state) {
    (void)state;
    uint32_t cp;
    assert_int_equal(decode("A", &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(decode("\x7F", &cp), 1);
    assert_int_equal(decode("\xC2\x80", &cp), 2);
    assert_int_equal(cp, 0x80);
    assert_int_equal(decode("\xE2\x82\xAC", &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(decode("\xF0\x9F\x98\x80", &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(decode("\xF4\x8F\xBF\xBF", &cp), 4);
    assert_int_equal(cp, 0x10FFFF);
    assert_int_equal(decode("\xEF\xBF\xBD", &cp), 3);
    static const char *const bad[] = {
        "\x80",             /* stray continuation */
        "\xC0\x80",         /* overlong NUL */
        "\xC1\xBF",         /* overlong */
        "\xE0\x9F\xBF",     /* overlong 3-byte */
        "\xF0\x8F\xBF\xBF", /* overlong 4-byte */
        "\xED\xA0\x80",     /* surrogate D800 */
        "\xED\xBF\xBF",     /* surrogate DFFF */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xF5\x80\x80\x80", "\xFF", "\xE2\x82", "\xE2\x28\xA1", "\xC3\x28",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_int_equal(decode(bad[i], &cp), 0);
    /* A truncated sequence at the end of the buffer is not well-formed. */
    assert_int_equal(lc_utf8_decode((const unsigned char *)"\xE2\x82\xAC", 2, &cp), 0);
}

static void utf8_encoding_inverts_decoding(void **state) {
    (void)state;
    for (uint32_t cp = 0; cp < 0x110000; cp += (cp < 0x1000 ? 1 : 37)) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        unsigned char buf[4];
        size_t n = lc_utf8_encode(cp, buf);
        uint32_t back;
        assert_int_equal(lc_utf8_decode(buf, n, &back), n);
        assert_int_equal(back, cp);
    }
    unsigned char buf[4];
    assert_int_equal(lc_utf8_encode(0x110000, buf), 0);
}

static void class_table_matches_the_unicode_database(void **state) {
    (void)state;
    static const struct { uint32_t cp; unsigned cls; } facts[] = {
        {'A', LC_UCD_LETTER},      {'z', LC_UCD_LETTER},      {'0', LC_UCD_NUMBER},
        {' ', LC_UCD_WHITESPACE},  {'\t', LC_UCD_WHITESPACE}, {'\n', LC_UCD_WHITESPACE},
        {0x0B, LC_UCD_WHITESPACE}, {0x0D, LC_UCD_WHITESPACE}, {0x85, LC_UCD_WHITESPACE},
        {0xA0, LC_UCD_WHITESPACE}, {0x1680, LC_UCD_WHITESPACE}, {0x2000, LC_UCD_WHITESPACE},
        {0x200A, LC_UCD_WHITESPACE}, {0x2028, LC_UCD_WHITESPACE}, {0x2029, LC_UCD_WHITESPACE},
        {0x202F, LC_UCD_WHITESPACE}, {0x205F, LC_UCD_WHITESPACE}, {0x3000, LC_UCD_WHITESPACE},
        {0x1C, 0},   /* file separator: Python's isspace says yes, Unicode does not */
        {0x200B, 0}, /* zero width space is Cf, not White_Space */
        {0xFEFF, 0}, {0x180E, 0}, /* BOM; Mongolian vowel separator (Cf since 6.3) */
        {'!', 0},    {'_', 0},    {0x0301, 0}, /* combining acute: Mn */
        {0x0663, LC_UCD_NUMBER},  /* Arabic-Indic three: Nd */
        {0x00B2, LC_UCD_NUMBER},  /* superscript two: No */
        {0x2167, LC_UCD_NUMBER},  /* Roman numeral eight: Nl */
        {0xFF11, LC_UCD_NUMBER},  /* fullwidth one */
        {0x00AA, LC_UCD_LETTER},  /* feminine ordinal: Lo */
        {0x02B0, LC_UCD_LETTER},  /* modifier letter small h: Lm */
        {0x01C5, LC_UCD_LETTER},  /* Dž: Lt */
        {0x3400, LC_UCD_LETTER},  /* CJK extension A, first of a UnicodeData range */
        {0x4DBF, LC_UCD_LETTER},  /* ... and its last */
        {0x4E00, LC_UCD_LETTER},  {0x9FFF, LC_UCD_LETTER}, {0xAC00, LC_UCD_LETTER},
        {0xD7A3, LC_UCD_LETTER},  {0x20000, LC_UCD_LETTER}, {0x1D400, LC_UCD_LETTER},
        {0x10400, LC_UCD_LETTER}, {0x0E01, LC_UCD_LETTER}, {0x0E31, 0}, /* Thai mai han-akat: Mn */
        {0x0378, 0}, /* unassigned */
        {0xE000, 0}, {0x1F600, 0}, {0x2581, 0}, {0xD800, 0}, {0x10FFFF, 0}, {0x110000, 0}, {0xFFFFFFFF, 0},
    };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
        if (lc_unicode_class(facts[i].cp) != facts[i].cls)
            fail_msg("U+%04X: class %u, expected %u", facts[i].cp, lc_unicode_class(facts[i].cp), facts[i].cls);
    }
    unsigned n_ws = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) n_ws += (lc_unicode_class(cp) & LC_UCD_WHITESPACE) != 0;
    assert_int_equal(n_ws, 25); /* PropList.txt lists 25 White_Space codepoints */
}

static void byte_alphabet_is_a_bijection_with_gpt2_spellings(void **state) {
    (void)state;
    bool seen[0x200] = {false};
    for (int b = 0; b < 256; b++) {
        uint32_t cp = lc_byte_to_bpe_cp((unsigned char)b);
        assert_true(cp < 0x200);
        assert_false(seen[cp]);
        seen[cp] = true;
        assert_int_equal(lc_bpe_cp_to_byte(cp), b);
    }
    assert_int_equal(lc_byte_to_bpe_cp('A'), 'A');
    assert_int_equal(lc_byte_to_bpe_cp(' '), 0x120);  /* Ġ */
    assert_int_equal(lc_byte_to_bpe_cp('\n'), 0x10A); /* Ċ */
    assert_int_equal(lc_byte_to_bpe_cp(0x00), 0x100); /* Ā */
    assert_int_equal(lc_byte_to_bpe_cp(0x7F), 0x121); /* ġ */
    assert_int_equal(lc_byte_to_bpe_cp(0xAD), 0x143); /* Ń */
    assert_int_equal(lc_byte_to_bpe_cp(0xE9), 0xE9);  /* é stands for itself */
    assert_int_equal(lc_bpe_cp_to_byte(' '), -1);
    assert_int_equal(lc_bpe_cp_to_byte(0x7F), -1);
    assert_int_equal(lc_bpe_cp_to_byte(0xAD), -1);
    assert_int_equal(lc_bpe_cp_to_byte(0x144), -1);
    assert_int_equal(lc_bpe_cp_to_byte(0x2581), -1);
}

/* Cuts text with the pre-tokenizer and compares with "|"-separated parts. */
static void expect_split(const char *text, size_t len, const char *const *parts, size_t n_parts) {
    size_t pos = 0, k = 0;
    while (pos < len) {
        size_t end = lc_llama3_pretoken_end((const unsigned char *)text, len, pos);
        assert_true(end > pos && end <= len);
        if (k >= n_parts || strlen(parts[k]) != end - pos || memcmp(parts[k], text + pos, end - pos) != 0)
            fail_msg("\"%s\": piece %zu is \"%.*s\", expected \"%s\"", text, k, (int)(end - pos), text + pos,
                     k < n_parts ? parts[k] : "(none)");
        pos = end;
        k++;
    }
    assert_int_equal(k, n_parts);
}

#define SPLIT(text, ...)                                                                     \
    do {                                                                                     \
        static const char *const parts_[] = {__VA_ARGS__};                                   \
        expect_split(text, sizeof(text) - 1, parts_, sizeof parts_ / sizeof *parts_);        \
    } while (0)

static void llama3_pretokenizer_cuts_as_the_pattern_says(void **state) {
    (void)state;
    SPLIT("Hello world", "Hello", " world");
    SPLIT("I'm here", "I", "'m", " here");
    SPLIT("DON'T 'Ll 'VE", "DON", "'T", " '", "Ll", " '", "VE"); /* case-insensitive contractions */
    SPLIT("we'll've", "we", "'ll", "'ve");
    SPLIT("'x", "'x");                                /* not a contraction: lead + letters */
    SPLIT("12345", "123", "45");                      /* digits in threes */
    SPLIT("3.14", "3", ".", "14");
    SPLIT("\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6", "\xD9\xA3\xD9\xA4\xD9\xA5", "\xD9\xA6"); /* Arabic-Indic */
    SPLIT("  Hello", " ", " Hello");                 /* \s+(?!\S) leaves one space for the word */
    SPLIT("hi   ", "hi", "   ");                     /* trailing whitespace kept together */
    SPLIT("a\n\nb", "a", "\n\n", "b");
    SPLIT("a  \n b", "a", "  \n", " b");             /* \s*[\r\n]+ */
    SPLIT("a \tb", "a", " ", "\tb");                 /* any non-letter may lead a word */
    SPLIT("x!!!\n\ny", "x", "!!!\n\n", "y");         /* punctuation takes trailing newlines */
    SPLIT("x !?", "x", " !?");
    SPLIT("\r\n", "\r\n");
    SPLIT("e\xCC\x81x", "e", "\xCC\x81x");          /* a combining mark is not a letter */
    SPLIT("\xF0\x9F\x98\x80\xF0\x9F\x98\x80 ok", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80", " ok");
    SPLIT("a\xC2\xA0" "b", "a", "\xC2\xA0" "b");      /* NBSP leads the word */
    SPLIT("a\xE3\x80\x80\xE3\x80\x80" "b", "a", "\xE3\x80\x80", "\xE3\x80\x80" "b");
    SPLIT("Hello\xFFworld", "Hello", "\xFFworld");   /* an ill-formed byte is a non-letter */
    SPLIT("\xE6\x88\x91\xE6\x83\xB3" "apple1314", "\xE6\x88\x91\xE6\x83\xB3" "apple", "131", "4");
}

int main(void) {
    return run_cases(NULL, NULL,
                     utf8_decoding_accepts_exactly_well_formed_characters,
                     utf8_encoding_inverts_decoding,
                     class_table_matches_the_unicode_database,
                     byte_alphabet_is_a_bijection_with_gpt2_spellings,
                     llama3_pretokenizer_cuts_as_the_pattern_says);
}
