/* Round-trip properties on seeded random input: tokenize then detokenize
 * gives the input back, for valid UTF-8 of many scripts and for arbitrary
 * bytes; the streaming detokenizer emits the same bytes, never splitting a
 * character; and SPM's word-by-word merging equals merging the whole text. */
#include "test_vocab_util.h"

#include "vocab/vocab_private.h"

#include <string.h>

/* Strings per property: the default suite's 10,000; --long (registered
 * with -Dlong_tests=true) runs 100 times as many. */
static int scale = 1;
#define N_STRINGS (10000 * scale)

static void expect_round_trip(const llamac_vocab *v, const char *text, size_t len, int i) {
    int32_t n;
    llamac_token *t = tv_tokenize(v, text, len, false, false, &n);
    size_t back_len;
    char *back = tv_detokenize(v, t, n, false, false, &back_len);
    if (back_len != len || memcmp(back, text, len) != 0)
        fail_msg("string %d: \"%.*s\" came back as \"%.*s\"", i, (int)len, text, (int)back_len, back);
    free(back);
    free(t);
}

static void random_utf8_round_trips(const llamac_vocab *v, uint64_t seed) {
    if (!v) {
        skip();
        return;
    }
    char buf[512];
    bool spm = llamac_vocab_get_type(v) == LLAMAC_VOCAB_SPM;
    for (int i = 0; i < N_STRINGS; i++) {
        size_t len = tv_random_text(&seed, buf, 0, sizeof buf, spm);
        assert_true(tv_valid_utf8(buf, len));
        expect_round_trip(v, buf, len, i);
    }
}

static void spm_random_utf8_round_trips(void **state) { random_utf8_round_trips(((tv_vocabs *)*state)->spm, 1); }
static void bpe_random_utf8_round_trips(void **state) { random_utf8_round_trips(((tv_vocabs *)*state)->bpe, 2); }

/* Any bytes at all, including ill-formed UTF-8 and NUL. SPM cannot tell a
 * typed U+2581 from a space, so that one sequence is kept out of its input. */
static void random_bytes_round_trip(const llamac_vocab *v, uint64_t seed) {
    if (!v) {
        skip();
        return;
    }
    char buf[256];
    bool spm = llamac_vocab_get_type(v) == LLAMAC_VOCAB_SPM;
    for (int i = 0; i < 2000 * scale; i++) {
        size_t len = (size_t)(tv_rand(&seed) % sizeof buf);
        for (size_t k = 0; k < len; k++) {
            uint64_t r = tv_rand(&seed);
            /* Bias towards bytes that make interesting sequences. */
            static const unsigned char pool[] = {' ', 'a', 'Z', '1', '\n', 0, 0x80, 0xBF, 0xC2, 0xE2, 0xF0, 0xFF};
            buf[k] = (char)((r & 1) ? pool[(r >> 1) % sizeof pool] : (unsigned char)(r >> 8));
        }
        if (spm)
            for (size_t k = 0; k + 3 <= len; k++)
                if (memcmp(buf + k, "\xE2\x96\x81", 3) == 0) buf[k] = 'x';
        expect_round_trip(v, buf, len, i);
    }
}

static void spm_random_bytes_round_trip(void **state) { random_bytes_round_trip(((tv_vocabs *)*state)->spm, 3); }
static void bpe_random_bytes_round_trip(void **state) { random_bytes_round_trip(((tv_vocabs *)*state)->bpe, 4); }

/* Pushing tokens one at a time: every chunk handed out is whole UTF-8
 * characters, and all chunks plus the flush equal llamac_detokenize. */
static void streaming_detok_never_splits_a_character(const llamac_vocab *v, uint64_t seed) {
    if (!v) {
        skip();
        return;
    }
    llamac_detok *d;
    assert_int_equal(llamac_detok_new(v, NULL, &d), LLAMAC_OK);
    char buf[512];
    int split_pieces = 0;
    for (int i = 0; i < 2000 * scale; i++) {
        size_t len = tv_random_text(&seed, buf, 0, sizeof buf, true);
        int32_t n;
        llamac_token *t = tv_tokenize(v, buf, len, false, false, &n);
        char *joined = malloc(len + 8);
        size_t total = 0;
        for (int32_t k = 0; k < n; k++) {
            const char *chunk;
            size_t clen;
            assert_int_equal(llamac_detok_push(d, t[k], &chunk, &clen), LLAMAC_OK);
            if (!tv_valid_utf8(chunk, clen)) fail_msg("string %d token %d: chunk is not whole UTF-8", i, k);
            char piece[256];
            size_t plen;
            assert_int_equal(llamac_token_to_piece(v, t[k], piece, sizeof piece, 0, false, &plen), LLAMAC_OK);
            if (!tv_valid_utf8(piece, plen)) split_pieces++;
            assert_true(total + clen <= len);
            memcpy(joined + total, chunk, clen);
            total += clen;
        }
        const char *rest;
        size_t rlen;
        assert_int_equal(llamac_detok_flush(d, &rest, &rlen), LLAMAC_OK);
        assert_int_equal(rlen, 0); /* valid input leaves nothing incomplete */
        assert_int_equal(total, len);
        assert_memory_equal(joined, buf, len);
        free(joined);
        free(t);
    }
    assert_true(split_pieces > 0); /* some tokens carried part of a character */
    llamac_detok_free(d);
}

static void spm_streaming_detok_never_splits_a_character(void **state) {
    streaming_detok_never_splits_a_character(((tv_vocabs *)*state)->spm, 5);
}
static void bpe_streaming_detok_never_splits_a_character(void **state) {
    streaming_detok_never_splits_a_character(((tv_vocabs *)*state)->bpe, 6);
}

/* Merging SPM text one word at a time (what the vocabulary's pieces allow)
 * must give exactly what merging the whole text as one run gives. */
static void spm_word_by_word_merging_equals_whole_text_merging(void **state) {
    llamac_vocab *v = ((tv_vocabs *)*state)->spm;
    if (!v) {
        skip();
        return;
    }
    assert_true(v->spm_word_split); /* the Llama vocabulary qualifies */
    uint64_t seed = 7;
    char buf[2048];
    for (int i = 0; i < 300; i++) {
        size_t len = 0;
        for (int k = 0; k < 6; k++) len = tv_random_text(&seed, buf, len, sizeof buf, true);
        int32_t n1, n2;
        llamac_token *a = tv_tokenize(v, buf, len, true, false, &n1);
        v->spm_word_split = false;
        llamac_token *b = tv_tokenize(v, buf, len, true, false, &n2);
        v->spm_word_split = true;
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, sizeof *a * (size_t)n1);
        free(a);
        free(b);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--long") == 0) scale = 100;
    return run_cases(tv_vocabs_setup, tv_vocabs_teardown,
                     spm_random_utf8_round_trips,
                     bpe_random_utf8_round_trips,
                     spm_random_bytes_round_trip,
                     bpe_random_bytes_round_trip,
                     spm_streaming_detok_never_splits_a_character,
                     bpe_streaming_detok_never_splits_a_character,
                     spm_word_by_word_merging_equals_whole_text_merging);
}
