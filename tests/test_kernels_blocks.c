/* Hand-built blocks of every encoding decode to hand-computed values.
 *
 * Each test writes the bytes of one block the way ggml lays them out (the
 * rule restated in the test, independently of lib/kernels), decodes it with
 * the scalar reference, and compares every element exactly. Scales are
 * powers of two or small integers so every expected value is exact; a few
 * elements are also checked against numbers worked out by hand. */
#include "test_util.h"

#include "kernels/blocks.h"
#include "kernels/kernels.h"

#include <string.h>

/* ggml's kvalues_iq4nl, copied from the format description. */
static const int iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void decode(llamac_type type, const void *block, float *out, int64_t n) {
    const lc_type_traits *t = lc_scalar_traits(type);
    assert_non_null(t);
    assert_non_null(t->to_float);
    t->to_float(block, out, n);
}

#define ASSERT_ELEM(out, i, want)                                                        \
    do {                                                                                 \
        if ((out)[i] != (float)(want))                                                   \
            fail_msg("element %d: decoded %.9g, expected %.9g", (int)(i), (double)(out)[i], \
                     (double)(want));                                                    \
    } while (0)

static void f32_f16_bf16_rows_decode_exactly(void **state) {
    (void)state;
    float out[4];
    const float f[4] = {1.5f, -0.25f, 1e30f, 0.0f};
    decode(LLAMAC_TYPE_F32, f, out, 4);
    for (int i = 0; i < 4; i++) ASSERT_ELEM(out, i, f[i]);
    const uint16_t h[4] = {0x3C00, 0xC000, 0x3800, 0x0001};
    decode(LLAMAC_TYPE_F16, h, out, 4);
    ASSERT_ELEM(out, 0, 1.0f);
    ASSERT_ELEM(out, 1, -2.0f);
    ASSERT_ELEM(out, 2, 0.5f);
    ASSERT_ELEM(out, 3, 5.9604644775390625e-8f); /* 2^-24 */
    const uint16_t b[4] = {0x3F80, 0xC000, 0x4049, 0xBE00};
    decode(LLAMAC_TYPE_BF16, b, out, 4);
    ASSERT_ELEM(out, 0, 1.0f);
    ASSERT_ELEM(out, 1, -2.0f);
    ASSERT_ELEM(out, 2, 3.140625f);
    ASSERT_ELEM(out, 3, -0.125f);
}

/* Q4_0: d fp16 then 16 bytes; byte j low nibble = element j, high = j+16;
 * value d * (nibble - 8). */
static void q4_0_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[18];
    float out[32];
    put_u16(blk, 0x3800); /* d = 0.5 */
    for (int j = 0; j < 16; j++) blk[2 + j] = (uint8_t)(j | (15 - j) << 4);
    decode(LLAMAC_TYPE_Q4_0, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        ASSERT_ELEM(out, j, 0.5f * (j - 8));
        ASSERT_ELEM(out, j + 16, 0.5f * (15 - j - 8));
    }
    ASSERT_ELEM(out, 0, -4.0f);  /* nibble 0 */
    ASSERT_ELEM(out, 16, 3.5f);  /* high nibble of byte 0 = 15 */
    ASSERT_ELEM(out, 31, -4.0f); /* high nibble of byte 15 = 0 */
}

/* Q4_1: d, m fp16 then nibbles as Q4_0; value d * nibble + m. */
static void q4_1_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[20];
    float out[32];
    put_u16(blk, 0x3800);     /* d = 0.5 */
    put_u16(blk + 2, 0xBC00); /* m = -1 */
    for (int j = 0; j < 16; j++) blk[4 + j] = (uint8_t)(j | (j ^ 5) << 4);
    decode(LLAMAC_TYPE_Q4_1, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        ASSERT_ELEM(out, j, 0.5f * j - 1.0f);
        ASSERT_ELEM(out, j + 16, 0.5f * (j ^ 5) - 1.0f);
    }
    ASSERT_ELEM(out, 16, 1.5f); /* 0 ^ 5 = 5: 2.5 - 1 */
}

/* Q5_0: d, 4 bytes qh (LE word, bit i = bit 4 of element i), nibbles;
 * value d * (q - 16). */
static void q5_0_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[22];
    float out[32];
    put_u16(blk, 0x3C00); /* d = 1 */
    const uint32_t qh = 0xAAAA5555u; /* elements 0,2,..,14 and 17,19,..,31 get bit 4 */
    for (int k = 0; k < 4; k++) blk[2 + k] = (uint8_t)(qh >> (8 * k));
    for (int j = 0; j < 16; j++) blk[6 + j] = (uint8_t)(j | (15 - j) << 4);
    decode(LLAMAC_TYPE_Q5_0, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        ASSERT_ELEM(out, j, (float)(j + (int)((qh >> j) & 1) * 16 - 16));
        ASSERT_ELEM(out, j + 16, (float)((15 - j) + (int)((qh >> (j + 16)) & 1) * 16 - 16));
    }
    ASSERT_ELEM(out, 0, 0.0f);   /* 0 | 16 */
    ASSERT_ELEM(out, 1, -15.0f); /* 1, no high bit */
    ASSERT_ELEM(out, 17, 14.0f); /* 14 | 16 = 30 */
}

/* Q5_1: d, m, qh, nibbles; value d * q + m. */
static void q5_1_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[24];
    float out[32];
    put_u16(blk, 0x3400);     /* d = 0.25 */
    put_u16(blk + 2, 0x4000); /* m = 2 */
    const uint8_t qhb[4] = {0x0F, 0x00, 0xF0, 0x81};
    memcpy(blk + 4, qhb, 4);
    for (int j = 0; j < 16; j++) blk[8 + j] = (uint8_t)((3 * j) & 15) | (uint8_t)(j << 4);
    decode(LLAMAC_TYPE_Q5_1, blk, out, 32);
    for (int i = 0; i < 32; i++) {
        int nib = i < 16 ? (3 * i) & 15 : i - 16;
        int hi = (qhb[i / 8] >> (i % 8)) & 1;
        ASSERT_ELEM(out, i, 0.25f * (float)(nib + 16 * hi) + 2.0f);
    }
    ASSERT_ELEM(out, 3, 8.25f);  /* nibble 9, bit 4 set: 25 * 0.25 + 2 */
    ASSERT_ELEM(out, 31, 9.75f); /* nibble 15, bit 31 set (0x81): 31 * 0.25 + 2 */
}

/* Q8_0: d then 32 int8; Q8_1: d, s then 32 int8 (s does not enter decoding). */
static void q8_0_and_q8_1_blocks_decode_by_hand(void **state) {
    (void)state;
    uint8_t b0[34], b1[36];
    float out[32];
    put_u16(b0, 0x3800); /* 0.5 */
    put_u16(b1, 0xB400); /* -0.25 */
    put_u16(b1 + 2, 0x7BFF);
    for (int j = 0; j < 32; j++) {
        int8_t q = (int8_t)(j == 0 ? -128 : 4 * j - 64);
        memcpy(b0 + 2 + j, &q, 1);
        memcpy(b1 + 4 + j, &q, 1);
    }
    decode(LLAMAC_TYPE_Q8_0, b0, out, 32);
    ASSERT_ELEM(out, 0, -64.0f);
    for (int j = 1; j < 32; j++) ASSERT_ELEM(out, j, 0.5f * (4 * j - 64));
    decode(LLAMAC_TYPE_Q8_1, b1, out, 32);
    ASSERT_ELEM(out, 0, 32.0f);
    for (int j = 1; j < 32; j++) ASSERT_ELEM(out, j, -0.25f * (4 * j - 64));
}

/* IQ4_NL: d then nibbles as Q4_0, each selecting a table level. */
static void iq4_nl_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[18];
    float out[32];
    put_u16(blk, 0x4000); /* d = 2 */
    for (int j = 0; j < 16; j++) blk[2 + j] = (uint8_t)(j | (15 - j) << 4);
    decode(LLAMAC_TYPE_IQ4_NL, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        ASSERT_ELEM(out, j, 2.0f * iq4nl[j]);
        ASSERT_ELEM(out, j + 16, 2.0f * iq4nl[15 - j]);
    }
    ASSERT_ELEM(out, 0, -254.0f);
    ASSERT_ELEM(out, 16, 226.0f);
}

/* Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
 * Element 128h + 32k + l takes bits 2k..2k+1 of qs[32h + l]; sub-block e/16;
 * value d * sc * q - dmin * mn. */
static void q2_K_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[84];
    float out[256];
    for (int s = 0; s < 16; s++) blk[s] = (uint8_t)(s | (15 - s) << 4);
    for (int b = 0; b < 64; b++) blk[16 + b] = (uint8_t)(b * 37 + 11);
    put_u16(blk + 80, 0x3C00); /* d = 1 */
    put_u16(blk + 82, 0x3800); /* dmin = 0.5 */
    decode(LLAMAC_TYPE_Q2_K, blk, out, 256);
    for (int e = 0; e < 256; e++) {
        int h = e / 128, k = (e % 128) / 32, l = e % 32, s = e / 16;
        int q = (blk[16 + 32 * h + l] >> (2 * k)) & 3;
        ASSERT_ELEM(out, e, 1.0f * (float)s * (float)q - 0.5f * (float)(15 - s));
    }
    /* element 37: h 0, k 1, l 5; qs[5] = 196 = 0b11000100, bits 2..3 = 1;
     * sub-block 2: sc 2, mn 13 -> 2 * 1 - 6.5 */
    ASSERT_ELEM(out, 37, -4.5f);
    /* element 200: h 1, k 2, l 8; qs[40] = (40*37+11)&255 = 211 = 0b11010011,
     * bits 4..5 = 1; sub-block 12: sc 12, mn 3 -> 12 - 1.5 */
    ASSERT_ELEM(out, 200, 10.5f);
}

/* Packs sixteen 6-bit values as Q3_K's 12 scale bytes (rule in blocks.h). */
static void pack_q3_K_scales(const int v[16], uint8_t p[12]) {
    memset(p, 0, 12);
    for (int s = 0; s < 16; s++) {
        if (s < 8) p[s] |= (uint8_t)(v[s] & 15);
        else p[s - 8] |= (uint8_t)((v[s] & 15) << 4);
        p[8 + s % 4] |= (uint8_t)(((v[s] >> 4) & 3) << (2 * (s / 4)));
    }
}

/* Q3_K: hmask[32], qs[64], scales[12], d. q = low2 - (hmask bit ? 0 : 4),
 * hmask bit of element e is bit e/32 of hmask[e%32]; value d * (v - 32) * q. */
static void q3_K_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[110];
    float out[256];
    int v[16];
    for (int b = 0; b < 32; b++) blk[b] = b % 2 ? 0xF0 : 0x0F;
    for (int b = 0; b < 64; b++) blk[32 + b] = 0xE4; /* 2-bit fields k = 0,1,2,3 hold k */
    for (int s = 0; s < 16; s++) v[s] = 24 + s;       /* scale s - 8 */
    pack_q3_K_scales(v, blk + 96);
    put_u16(blk + 108, 0x3C00);
    decode(LLAMAC_TYPE_Q3_K, blk, out, 256);
    for (int e = 0; e < 256; e++) {
        int low = (e % 128) / 32;
        int high = (blk[e % 32] >> (e / 32)) & 1;
        ASSERT_ELEM(out, e, (float)((e / 16 - 8) * (low - (high ? 0 : 4))));
    }
    /* e 40: scale 2-8 = -6, low 1, hmask[8] = 0x0F bit 1 set -> q 1 -> -6 */
    ASSERT_ELEM(out, 40, -6.0f);
    /* e 200: scale 12-8 = 4, low 2, hmask[8] bit 6 clear -> q -2 -> -8 */
    ASSERT_ELEM(out, 200, -8.0f);
    /* e 255: scale 7, low 3, hmask[31] = 0xF0 bit 7 set -> q 3 -> 21 */
    ASSERT_ELEM(out, 255, 21.0f);
}

/* Packs eight 6-bit scales and mins as the Q4_K/Q5_K 12-byte field. */
static void pack_k_scales(const int sc[8], const int mn[8], uint8_t p[12]) {
    for (int j = 0; j < 4; j++) {
        p[j] = (uint8_t)((sc[j] & 63) | (sc[j + 4] >> 4) << 6);
        p[j + 4] = (uint8_t)((mn[j] & 63) | (mn[j + 4] >> 4) << 6);
        p[j + 8] = (uint8_t)((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
    }
}

static const int k_sc[8] = {1, 2, 3, 63, 17, 33, 49, 5};
static const int k_mn[8] = {0, 5, 10, 15, 16, 20, 40, 63};

/* Q4_K: d, dmin, scales[12], qs[128]; chunk c of 32 bytes holds sub-block
 * 2c (low nibbles) and 2c+1 (high); value d * sc * q - dmin * mn. */
static void q4_K_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[144];
    float out[256];
    put_u16(blk, 0x3C00);     /* d = 1 */
    put_u16(blk + 2, 0x3800); /* dmin = 0.5 */
    pack_k_scales(k_sc, k_mn, blk + 4);
    for (int b = 0; b < 128; b++) blk[16 + b] = (uint8_t)((b & 15) | (15 - (b & 15)) << 4);
    decode(LLAMAC_TYPE_Q4_K, blk, out, 256);
    for (int e = 0; e < 256; e++) {
        int c = e / 64, r = e % 64, j = e / 32;
        int byte = blk[16 + 32 * c + r % 32];
        int q = r < 32 ? byte & 15 : byte >> 4;
        ASSERT_ELEM(out, e, (float)k_sc[j] * (float)q - 0.5f * (float)k_mn[j]);
    }
    /* e 100: chunk 1, high nibble of byte 36 (low 4 -> high 11); j 3: 63 * 11 - 7.5 */
    ASSERT_ELEM(out, 100, 685.5f);
    /* e 130: chunk 2, low nibble of byte 66 = 2; j 4: 17 * 2 - 8 */
    ASSERT_ELEM(out, 130, 26.0f);
}

/* Q5_K: d, dmin, scales[12], qh[32], qs[128]; bit 4 of element e is bit e/32
 * of qh[e%32]. */
static void q5_K_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[176];
    float out[256];
    put_u16(blk, 0x3C00);
    put_u16(blk + 2, 0x3800);
    pack_k_scales(k_sc, k_mn, blk + 4);
    for (int l = 0; l < 32; l++) blk[16 + l] = (uint8_t)(l * 7 + 3);
    for (int b = 0; b < 128; b++) blk[48 + b] = (uint8_t)((b & 15) | (15 - (b & 15)) << 4);
    decode(LLAMAC_TYPE_Q5_K, blk, out, 256);
    for (int e = 0; e < 256; e++) {
        int c = e / 64, r = e % 64, j = e / 32;
        int byte = blk[48 + 32 * c + r % 32];
        int q = (r < 32 ? byte & 15 : byte >> 4) | ((blk[16 + e % 32] >> j) & 1) << 4;
        ASSERT_ELEM(out, e, (float)k_sc[j] * (float)q - 0.5f * (float)k_mn[j]);
    }
    /* e 33: j 1, high nibble of byte 1 = 14; qh[1] = 10 = 0b1010, bit 1 set
     * -> q 30; 2 * 30 - 2.5 */
    ASSERT_ELEM(out, 33, 57.5f);
}

/* Q6_K: ql[128], qh[64], scales[16] int8, d. In half h, element 128h + 32p + l
 * takes nibble (p >= 2 ? high : low) of ql[64h + 32(p & 1) + l] and bits
 * 2p..2p+1 of qh[32h + l]; value d * sc[e/16] * (q - 32). */
static void q6_K_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[210];
    float out[256];
    int sc[16];
    for (int b = 0; b < 128; b++) blk[b] = (uint8_t)b;
    for (int b = 0; b < 64; b++) blk[128 + b] = (uint8_t)(b * 37);
    for (int s = 0; s < 16; s++) {
        sc[s] = (s % 2 ? -1 : 1) * (s + 1);
        int8_t v = (int8_t)sc[s];
        memcpy(blk + 192 + s, &v, 1);
    }
    put_u16(blk + 208, 0x3800); /* d = 0.5 */
    decode(LLAMAC_TYPE_Q6_K, blk, out, 256);
    for (int e = 0; e < 256; e++) {
        int h = e / 128, p = (e % 128) / 32, l = e % 32;
        int byte = blk[64 * h + 32 * (p & 1) + l];
        int low = p >= 2 ? byte >> 4 : byte & 15;
        int high = (blk[128 + 32 * h + l] >> (2 * p)) & 3;
        ASSERT_ELEM(out, e, 0.5f * (float)sc[e / 16] * (float)((low | high << 4) - 32));
    }
    /* e 0: all zero bits -> q - 32 = -32, sc 1 -> -16 */
    ASSERT_ELEM(out, 0, -16.0f);
    /* e 100: p 3, l 4: high nibble of ql[36] = 0x24 -> 2; qh[4] = 148 =
     * 0b10010100, bits 6..7 = 2 -> q 34; sc[6] = 7 -> 0.5 * 7 * 2 */
    ASSERT_ELEM(out, 100, 7.0f);
}

/* IQ4_XS: d, scales_h (u16), scales_l[4], qs[128]; 6-bit ls of sub-block j:
 * low nibble from scales_l[j/2] (high nibble for odd j), high 2 bits from
 * bits 2j..2j+1 of scales_h; value d * (ls - 32) * level. */
static void iq4_xs_block_decodes_by_hand(void **state) {
    (void)state;
    uint8_t blk[136];
    float out[256];
    const int ls[8] = {0, 31, 32, 33, 63, 16, 48, 40};
    uint16_t sh = 0;
    memset(blk + 4, 0, 4);
    for (int j = 0; j < 8; j++) {
        blk[4 + j / 2] |= (uint8_t)((ls[j] & 15) << (4 * (j % 2)));
        sh |= (uint16_t)(((ls[j] >> 4) & 3) << (2 * j));
    }
    put_u16(blk, 0x3C00);
    put_u16(blk + 2, sh);
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 16; l++) blk[8 + 16 * j + l] = (uint8_t)(l | (15 - l) << 4);
    decode(LLAMAC_TYPE_IQ4_XS, blk, out, 256);
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 16; l++) {
            ASSERT_ELEM(out, 32 * j + l, (float)((ls[j] - 32) * iq4nl[l]));
            ASSERT_ELEM(out, 32 * j + 16 + l, (float)((ls[j] - 32) * iq4nl[15 - l]));
        }
    ASSERT_ELEM(out, 0, 4064.0f);    /* -32 * -127 */
    ASSERT_ELEM(out, 37, 35.0f);     /* sub-block 1, l 5: -1 * -35 */
    ASSERT_ELEM(out, 144, 3503.0f);  /* sub-block 4, upper half l 0: 31 * 113 */
}

/* Q8_K: float d, 256 int8, 16 int16 bsums (not used for decoding). */
static void q8_K_block_decodes_by_hand(void **state) {
    (void)state;
    lc_block_q8_K b;
    float out[256];
    memset(&b, 0, sizeof b);
    b.d = -0.25f;
    for (int j = 0; j < 256; j++) b.qs[j] = (int8_t)(j - 128);
    decode(LLAMAC_TYPE_Q8_K, &b, out, 256);
    for (int j = 0; j < 256; j++) ASSERT_ELEM(out, j, -0.25f * (float)(j - 128));
}

static void block_structs_match_the_gguf_type_table(void **state) {
    (void)state;
    assert_int_equal(sizeof(lc_block_q4_0), llamac_type_block_bytes(LLAMAC_TYPE_Q4_0));
    assert_int_equal(sizeof(lc_block_q4_1), llamac_type_block_bytes(LLAMAC_TYPE_Q4_1));
    assert_int_equal(sizeof(lc_block_q5_0), llamac_type_block_bytes(LLAMAC_TYPE_Q5_0));
    assert_int_equal(sizeof(lc_block_q5_1), llamac_type_block_bytes(LLAMAC_TYPE_Q5_1));
    assert_int_equal(sizeof(lc_block_q8_0), llamac_type_block_bytes(LLAMAC_TYPE_Q8_0));
    assert_int_equal(sizeof(lc_block_q8_1), llamac_type_block_bytes(LLAMAC_TYPE_Q8_1));
    assert_int_equal(sizeof(lc_block_q2_K), llamac_type_block_bytes(LLAMAC_TYPE_Q2_K));
    assert_int_equal(sizeof(lc_block_q3_K), llamac_type_block_bytes(LLAMAC_TYPE_Q3_K));
    assert_int_equal(sizeof(lc_block_q4_K), llamac_type_block_bytes(LLAMAC_TYPE_Q4_K));
    assert_int_equal(sizeof(lc_block_q5_K), llamac_type_block_bytes(LLAMAC_TYPE_Q5_K));
    assert_int_equal(sizeof(lc_block_q6_K), llamac_type_block_bytes(LLAMAC_TYPE_Q6_K));
    assert_int_equal(sizeof(lc_block_q8_K), llamac_type_block_bytes(LLAMAC_TYPE_Q8_K));
    assert_int_equal(sizeof(lc_block_iq4_nl), llamac_type_block_bytes(LLAMAC_TYPE_IQ4_NL));
    assert_int_equal(sizeof(lc_block_iq4_xs), llamac_type_block_bytes(LLAMAC_TYPE_IQ4_XS));
    for (int k = 0; k < 16; k++) assert_int_equal(lc_iq4nl_values[k], iq4nl[k]);
}

int main(void) {
    return run_cases(NULL, NULL,
                     f32_f16_bf16_rows_decode_exactly,
                     q4_0_block_decodes_by_hand,
                     q4_1_block_decodes_by_hand,
                     q5_0_block_decodes_by_hand,
                     q5_1_block_decodes_by_hand,
                     q8_0_and_q8_1_blocks_decode_by_hand,
                     iq4_nl_block_decodes_by_hand,
                     q2_K_block_decodes_by_hand,
                     q3_K_block_decodes_by_hand,
                     q4_K_block_decodes_by_hand,
                     q5_K_block_decodes_by_hand,
                     q6_K_block_decodes_by_hand,
                     iq4_xs_block_decodes_by_hand,
                     q8_K_block_decodes_by_hand,
                     block_structs_match_the_gguf_type_table);
}
