/* Byte layouts of the GGML block encodings llamac computes on.
 *
 * These structs must match, byte for byte, what llama.cpp/ggml writes into
 * GGUF files (all fields little-endian; `uint16_t` scale fields hold IEEE
 * binary16 bits unless marked otherwise). Every struct is followed by a
 * static assertion of its size against the GGUF block size.
 *
 * Conventions used in the byte maps below:
 *   - "element i" is the i-th value of the block after decoding, i.e. the
 *     i-th column of the weight row inside this block.
 *   - A "nibble pair" byte b holds two 4-bit codes: low nibble (b & 15) and
 *     high nibble (b >> 4).
 *   - K-quant super-blocks hold 256 elements split into sub-blocks of 16 or
 *     32, each with its own small integer scale (and min), multiplied by the
 *     block's fp16 super-scale(s) d (and dmin).
 */
#ifndef LLAMAC_KERNELS_BLOCKS_H
#define LLAMAC_KERNELS_BLOCKS_H

#include <stdint.h>

#define LC_QK4_0 32
#define LC_QK4_1 32
#define LC_QK5_0 32
#define LC_QK5_1 32
#define LC_QK8_0 32
#define LC_QK8_1 32
#define LC_QK4_NL 32
#define LC_QK_K 256

/* The 16 levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl): a non-uniform
 * 4-bit grid, denser near zero, so that code c decodes to d * lc_iq4nl_values[c]. */
extern const int8_t lc_iq4nl_values[16];

/* ---- 32-element blocks ------------------------------------------------- */

/* Q4_0, 18 bytes: x[i] = d * (q[i] - 8), q in 0..15.
 *   0..1   d   fp16
 *   2..17  qs  nibble pairs: qs[j] low = q[j], high = q[j + 16]   (j = 0..15) */
typedef struct lc_block_q4_0 {
    uint16_t d;
    uint8_t qs[LC_QK4_0 / 2];
} lc_block_q4_0;
_Static_assert(sizeof(lc_block_q4_0) == 18, "Q4_0 block is 18 bytes");

/* Q4_0 packed eight rows at a time (lc_pack8), 144 bytes per block
 * index b of a group of rows 8g..8g+7:
 *   0..15     the eight rows' d, row j at 2j
 *   16..143   four chunks of 32 bytes; chunk i holds qs[4i..4i+3] of row j
 *             at 16 + 32i + 4j
 * Groups follow one another and a group's blocks are in order, so the
 * image of rows r.. (r % 8 == 0) starts r unpacked rows into it. This is
 * llamac's own in-memory layout, never written to a file. */
#define LC_Q4_0X8_BYTES 144

/* Q4_1, 20 bytes: x[i] = d * q[i] + m, q in 0..15 (m is the block minimum).
 *   0..1   d   fp16
 *   2..3   m   fp16
 *   4..19  qs  nibble pairs as in Q4_0 */
typedef struct lc_block_q4_1 {
    uint16_t d;
    uint16_t m;
    uint8_t qs[LC_QK4_1 / 2];
} lc_block_q4_1;
_Static_assert(sizeof(lc_block_q4_1) == 20, "Q4_1 block is 20 bytes");

/* Q5_0, 22 bytes: x[i] = d * (q[i] - 16), q in 0..31.
 *   0..1   d   fp16
 *   2..5   qh  32-bit little-endian word; bit i is bit 4 of q[i]
 *   6..21  qs  nibble pairs holding bits 0..3: qs[j] low = q[j], high = q[j + 16] */
typedef struct lc_block_q5_0 {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[LC_QK5_0 / 2];
} lc_block_q5_0;
_Static_assert(sizeof(lc_block_q5_0) == 22, "Q5_0 block is 22 bytes");

/* Q5_1, 24 bytes: x[i] = d * q[i] + m, q in 0..31.
 *   0..1   d   fp16
 *   2..3   m   fp16
 *   4..7   qh  as in Q5_0
 *   8..23  qs  as in Q5_0 */
typedef struct lc_block_q5_1 {
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[LC_QK5_1 / 2];
} lc_block_q5_1;
_Static_assert(sizeof(lc_block_q5_1) == 24, "Q5_1 block is 24 bytes");

/* Q8_0, 34 bytes: x[i] = d * qs[i].
 *   0..1   d   fp16
 *   2..33  qs  int8, element order */
typedef struct lc_block_q8_0 {
    uint16_t d;
    int8_t qs[LC_QK8_0];
} lc_block_q8_0;
_Static_assert(sizeof(lc_block_q8_0) == 34, "Q8_0 block is 34 bytes");

/* Q8_0 packed eight rows at a time like Q4_0 (see above), 272 bytes per
 * block index: the eight d, then eight chunks of 32 bytes, chunk i holding
 * qs[4i..4i+3] of row j at 16 + 32i + 4j. */
#define LC_Q8_0X8_BYTES 272

/* Q8_1, 36 bytes (activations for Q4_1/Q5_1 only): x[i] = d * qs[i].
 *   0..1   d   fp16
 *   2..3   s   fp16: d * sum(qs), so the weight minimum m contributes m * s
 *              to a dot product without touching the quants
 *   4..35  qs  int8, element order */
typedef struct lc_block_q8_1 {
    uint16_t d;
    uint16_t s;
    int8_t qs[LC_QK8_1];
} lc_block_q8_1;
_Static_assert(sizeof(lc_block_q8_1) == 36, "Q8_1 block is 36 bytes");

/* IQ4_NL, 18 bytes: x[i] = d * lc_iq4nl_values[c[i]], c in 0..15.
 *   0..1   d   fp16
 *   2..17  qs  nibble pairs: qs[j] low = c[j], high = c[j + 16] */
typedef struct lc_block_iq4_nl {
    uint16_t d;
    uint8_t qs[LC_QK4_NL / 2];
} lc_block_iq4_nl;
_Static_assert(sizeof(lc_block_iq4_nl) == 18, "IQ4_NL block is 18 bytes");

/* ---- 256-element super-blocks ------------------------------------------- */

/* Q2_K, 84 bytes: 16 sub-blocks of 16; sub-block s has 4-bit scale sc[s] and
 * 4-bit min mn[s]: x = d * sc[s] * q - dmin * mn[s], q in 0..3.
 *   0..15   scales  byte s: low nibble sc[s], high nibble mn[s]
 *   16..79  qs      2-bit codes; two halves of 128 elements, 32 bytes each:
 *                   element 128*h + 32*k + l (k = 0..3, l = 0..31) is bits
 *                   2k..2k+1 of qs[32*h + l]
 *   80..81  d       fp16
 *   82..83  dmin    fp16
 * (sub-block s covers elements 16*s .. 16*s+15) */
typedef struct lc_block_q2_K {
    uint8_t scales[LC_QK_K / 16];
    uint8_t qs[LC_QK_K / 4];
    uint16_t d;
    uint16_t dmin;
} lc_block_q2_K;
_Static_assert(sizeof(lc_block_q2_K) == 84, "Q2_K block is 84 bytes");

/* Q3_K, 110 bytes: 16 sub-blocks of 16 with signed 6-bit scales:
 * x = d * (sc[s] - 32) * q, q = (2 low bits) - (high bit ? 0 : 4), so q in -4..3.
 *   0..31    hmask   high bits: element e is bit (e / 32) of hmask[e % 32]
 *   32..95   qs      low 2 bits, same arrangement as Q2_K's qs
 *   96..107  scales  12 bytes packing sixteen 6-bit values sc[0..15]:
 *                    low 4 bits of sc[s]: s < 8 ? scales[s] & 15
 *                                               : scales[s - 8] >> 4
 *                    high 2 bits of sc[s]: bits 2*(s/4)..2*(s/4)+1 of
 *                                          scales[8 + s % 4]
 *   108..109 d       fp16 */
typedef struct lc_block_q3_K {
    uint8_t hmask[LC_QK_K / 8];
    uint8_t qs[LC_QK_K / 4];
    uint8_t scales[12];
    uint16_t d;
} lc_block_q3_K;
_Static_assert(sizeof(lc_block_q3_K) == 110, "Q3_K block is 110 bytes");

/* The 12-byte scale field shared by Q4_K and Q5_K: eight 6-bit scales sc[j]
 * and eight 6-bit mins mn[j] (j = 0..7, one per 32-element sub-block):
 *   j < 4:  sc[j] = scales[j] & 63          mn[j] = scales[j + 4] & 63
 *   j >= 4: sc[j] = (scales[j + 4] & 15) | (scales[j - 4] >> 6) << 4
 *           mn[j] = (scales[j + 4] >> 4) | (scales[j]     >> 6) << 4
 * i.e. bytes 0..3 carry sc[0..3] plus the top bits of sc[4..7], bytes 4..7
 * carry mn[0..3] plus the top bits of mn[4..7], bytes 8..11 the low nibbles
 * of sc[4..7] (low) and mn[4..7] (high). */
#define LC_K_SCALE_SIZE 12

/* Q4_K, 144 bytes: 8 sub-blocks of 32: x = d * sc[j] * q - dmin * mn[j], q in 0..15.
 *   0..1    d       fp16
 *   2..3    dmin    fp16
 *   4..15   scales  see LC_K_SCALE_SIZE
 *   16..143 qs      four chunks of 32 bytes; chunk c holds sub-block 2c in
 *                   the low nibbles and sub-block 2c+1 in the high nibbles:
 *                   element 64c + l = qs[32c + l] & 15, 64c + 32 + l = qs[32c + l] >> 4 */
typedef struct lc_block_q4_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[LC_K_SCALE_SIZE];
    uint8_t qs[LC_QK_K / 2];
} lc_block_q4_K;
_Static_assert(sizeof(lc_block_q4_K) == 144, "Q4_K block is 144 bytes");

/* Q4_K packed eight rows at a time (lc_pack8), 1152 bytes per super-block
 * index of a group of rows 8g..8g+7:
 *   0..15      the eight d (row j at 2j)
 *   16..31     the eight dmin
 *   32..127    the eight 12-byte scale fields, row j at 32 + 12j
 *   128..1151  the quants in 4-byte columns: 32 bytes per (chunk c, dword
 *              k), at 128 + 256c + 32k, holding qs[32c + 4k ..+3] of row j
 *              at + 4j
 * Groups and super-blocks in order, as for Q4_0 above. */
#define LC_Q4_KX8_BYTES 1152
#define LC_Q4_KX8_SCALES 32
#define LC_Q4_KX8_QS 128

/* Q5_K, 176 bytes: like Q4_K with a fifth bit, q in 0..31.
 *   0..1    d       fp16
 *   2..3    dmin    fp16
 *   4..15   scales  see LC_K_SCALE_SIZE
 *   16..47  qh      bit 4 of element 32*j + l (sub-block j) is bit j of qh[l]
 *   48..175 qs      low 4 bits, arranged as Q4_K's qs */
typedef struct lc_block_q5_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[LC_K_SCALE_SIZE];
    uint8_t qh[LC_QK_K / 8];
    uint8_t qs[LC_QK_K / 2];
} lc_block_q5_K;
_Static_assert(sizeof(lc_block_q5_K) == 176, "Q5_K block is 176 bytes");

/* Q5_K packed eight rows at a time (lc_pack8), 1408 bytes per super-block
 * index: d, dmin and the scale fields as in Q4_K's packed layout, then
 *   128..383   qh in 4-byte columns: column k (qh[4k..4k+3]) at 128 + 32k,
 *              row j at + 4j
 *   384..1407  qs as Q4_K's packed quants */
#define LC_Q5_KX8_BYTES 1408
#define LC_Q5_KX8_QH 128
#define LC_Q5_KX8_QS 384

/* Q6_K, 210 bytes: 16 sub-blocks of 16 with int8 scales: x = d * sc[s] * (q - 32),
 * q in 0..63. Two halves h of 128 elements; inside half h, for l = 0..31:
 *   element 128h +  0 + l: low nibble  of ql[64h + l],      bits 0..1 of qh[32h + l]
 *   element 128h + 32 + l: low nibble  of ql[64h + 32 + l], bits 2..3 of qh[32h + l]
 *   element 128h + 64 + l: high nibble of ql[64h + l],      bits 4..5 of qh[32h + l]
 *   element 128h + 96 + l: high nibble of ql[64h + 32 + l], bits 6..7 of qh[32h + l]
 * (the qh bits are bits 4..5 of q).
 *   0..127   ql      low 4 bits
 *   128..191 qh      high 2 bits
 *   192..207 scales  int8 sc[0..15], sub-block s = elements 16s..16s+15
 *   208..209 d       fp16 */
typedef struct lc_block_q6_K {
    uint8_t ql[LC_QK_K / 2];
    uint8_t qh[LC_QK_K / 4];
    int8_t scales[LC_QK_K / 16];
    uint16_t d;
} lc_block_q6_K;
_Static_assert(sizeof(lc_block_q6_K) == 210, "Q6_K block is 210 bytes");

/* Q6_K packed eight rows at a time (lc_pack8), 1680 bytes per super-block
 * index of a group of rows 8g..8g+7:
 *   0..15      the eight d (row j at 2j)
 *   16..143    the eight rows' 16 int8 scales, row j at 16 + 16j
 *   144..1167  ql in 4-byte columns: column m (ql[4m..4m+3]) at 144 + 32m,
 *              row j at + 4j
 *   1168..1679 qh likewise: column m (qh[4m..4m+3]) at 1168 + 32m */
#define LC_Q6_KX8_BYTES 1680
#define LC_Q6_KX8_SCALES 16
#define LC_Q6_KX8_QL 144
#define LC_Q6_KX8_QH 1168

/* Q8_K, 292 bytes (activations for the K-quants and IQ4_XS only; never in
 * files): x[i] = d * qs[i], with d a plain float32.
 *   0..3     d      float32
 *   4..259   qs     int8, element order
 *   260..291 bsums  int16 sums of qs over each group of 16 elements, so the
 *                   K-quant minimums cost 16 multiplies instead of 256 */
typedef struct lc_block_q8_K {
    float d;
    int8_t qs[LC_QK_K];
    int16_t bsums[LC_QK_K / 16];
} lc_block_q8_K;
_Static_assert(sizeof(lc_block_q8_K) == 292, "Q8_K block is 292 bytes");

/* IQ4_XS, 136 bytes: 8 sub-blocks of 32 with 6-bit scales:
 * x = d * (ls[j] - 32) * lc_iq4nl_values[c], c in 0..15.
 *   0..1    d         fp16
 *   2..3    scales_h  uint16 LE: bits 2j..2j+1 are bits 4..5 of ls[j]
 *   4..7    scales_l  nibbles: bits 0..3 of ls[j] = (scales_l[j/2] >> 4*(j%2)) & 15
 *   8..135  qs        16 bytes per sub-block j: qs[16j + l] low nibble =
 *                     c of element 32j + l, high nibble = c of 32j + 16 + l */
typedef struct lc_block_iq4_xs {
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[LC_QK_K / 64];
    uint8_t qs[LC_QK_K / 2];
} lc_block_iq4_xs;
_Static_assert(sizeof(lc_block_iq4_xs) == 136, "IQ4_XS block is 136 bytes");

#endif
