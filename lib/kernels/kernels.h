/* Numeric kernels: per-type block codecs and dot products.
 *
 * A matmul multiplies weight rows (any supported llamac_type) by activation
 * rows. Activations are first converted ONCE per matmul into the weight
 * type's `vec_dot_type` (F32 for F32 weights, F16 for F16, Q8_0/Q8_1/Q8_K
 * int8 blocks for quantized weights), then every weight row is dotted with
 * that converted row. Each back end is a table of these function pointers
 * (backend.h); the scalar versions declared here are the reference the
 * others are tested against and fall back to.
 *
 * Determinism contract: vec_dot's result for (x row, y row) depends only on
 * those bytes — never on threads or batch shape. */
#ifndef LLAMAC_KERNELS_H
#define LLAMAC_KERNELS_H

#include "common/internal.h"

#include <string.h>

/* A kernel body written once and specialized per type: its varying parts
 * (block size, unpack function, constants) are compile-time-constant
 * arguments, so every caller gets its own copy as a macro would give. */
#define LC_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Converts n elements (a multiple of the type's block size) to float. */
typedef void (*lc_to_float_fn)(const void *src, float *dst, int64_t n);
/* Encodes n floats (a multiple of the block size) into blocks
 * (round-to-nearest reference encoder; for weight types the quantizer of
 * issue 6 may add importance-weighted search on top). */
typedef void (*lc_from_float_fn)(const float *src, void *dst, int64_t n);
/* *s = dot(x, y) over n elements; x is a row of the weight type, y a row of
 * its vec_dot_type, both n elements long (n a multiple of both block sizes). */
typedef void (*lc_vec_dot_fn)(int64_t n, float *s, const void *x, const void *y);

/* y[i] = y[i] + a * x[i] for i in 0..n-1, in float, a multiply and then an
 * add (never fused), x a row of the type: attention's weighted sum of
 * value rows. Every back end gives the reference's bits. */
typedef void (*lc_axpy_fn)(int64_t n, float a, const void *x, float *y);

/* gate[i] = gate[i] / (1 + lc_expf(-gate[i])) * up[i]: SwiGLU. Every back
 * end gives the reference's bits, whatever an element's index. */
typedef void (*lc_swiglu_fn)(float *gate, const float *up, int64_t n);

/* Attention's weighted value sums for m <= 4 heads at once: out[h * hd + d]
 * = sum over j in 0..n-1, in order from 0, of p[h * ps + j] * v_j[d], where
 * v_j is the row of the type at v + cells[j] * v_stride: each step a
 * multiply and then an add, as lc_axpy_fn's, so the same bits as n axpy
 * calls on a zeroed out. */
typedef void (*lc_attn_values_fn)(int64_t n, int m, int hd, const float *p, int64_t ps, const uint8_t *v,
                                  size_t v_stride, const int32_t *cells, float *out);

typedef struct lc_type_traits {
    llamac_type vec_dot_type;  /* encoding activations take for vec_dot */
    lc_to_float_fn to_float;   /* NULL if not decodable */
    lc_from_float_fn from_float; /* NULL if no encoder */
    lc_vec_dot_fn vec_dot;     /* NULL if not computable */
} lc_type_traits;

/* Scalar reference traits of `type`, or NULL if llamac cannot compute on it.
 *
 * Weight encodings (vec_dot set): F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS. Their vec_dot_type is
 * the one ggml's CPU backend uses, so logits match llama.cpp's:
 *   F32 -> F32, F16 -> F16, BF16 -> BF16,
 *   Q4_0, Q5_0, Q8_0, IQ4_NL -> Q8_0,   Q4_1, Q5_1 -> Q8_1,
 *   Q2_K..Q6_K, IQ4_XS -> Q8_K.
 * Activation-only encodings Q8_1 and Q8_K also have an entry (to_float and
 * from_float, vec_dot NULL, vec_dot_type = themselves).
 *
 * from_float is set for every vec_dot_type (F32, F16, BF16, Q8_0, Q8_1,
 * Q8_K: ggml's reference rounding, so activations quantize exactly as in
 * llama.cpp) and for the simple weight encoders Q4_0, Q4_1, Q5_0, Q5_1,
 * IQ4_NL. K-quants and IQ4_XS have no encoder here (from_float NULL).
 * The table is constant; safe from any thread. */
const lc_type_traits *lc_scalar_traits(llamac_type type);

/* ---- fp16 / bf16 ----------------------------------------------------------
 * Scalar conversions, inline because kernels call them per element.
 * fp16 is IEEE binary16: round-to-nearest-even, subnormals kept, overflow
 * to inf, NaN stays NaN (quiet, top payload bits kept). bf16 is the top half
 * of a float32 rounded to nearest-even (NaN stays NaN, made quiet) — the
 * rounding ggml uses, so converted activations match llama.cpp's bits. */

static inline uint32_t lc_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float lc_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Branch-free so that row loops vectorize: move exponent and mantissa into
 * float position and rebias by 127 - 15 (inf/nan by another 128 - 16, to
 * exponent 255); a subnormal half m * 2^-24 is made as the normal float
 * 2^-14 * (1 + m/1024) minus 2^-14, which is exact. */
static inline float lc_fp16_to_fp32(uint16_t h) {
    const uint32_t exp = h & 0x7c00u;
    const uint32_t is_special = 0u - (uint32_t)(exp == 0x7c00u); /* all-ones masks */
    const uint32_t is_sub = 0u - (uint32_t)(exp == 0);
    const uint32_t o = ((uint32_t)(h & 0x7fffu) << 13) + (112u << 23) + (is_special & 112u << 23);
    const uint32_t sub = lc_f32_bits(lc_bits_f32(o + (1u << 23)) - 0x1p-14f);
    return lc_bits_f32((sub & is_sub) | (o & ~is_sub) | (uint32_t)(h & 0x8000u) << 16);
}

static inline uint16_t lc_fp32_to_fp16(float f) {
    uint32_t x = lc_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* nan: keep the top payload bits, force quiet */
        return (uint16_t)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
    if (ax >= 0x477ff000u) /* >= 65520 rounds past 65504 (odd mantissa): inf */
        return (uint16_t)(sign | 0x7c00);
    uint32_t exp = ax >> 23;
    if (exp >= 113) { /* normal half: rebias, round the 13 dropped bits */
        uint32_t h = ((exp - 112) << 10) | ((ax >> 13) & 0x3ff);
        uint32_t rem = ax & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* may carry into exp */
        return (uint16_t)(sign | h);
    }
    /* subnormal half (value < 2^-14): h = round(value / 2^-24) */
    uint32_t shift = 126 - exp; /* >= 14 */
    if (exp == 0 || shift > 24) return sign; /* below 2^-25: rounds to zero */
    uint32_t m = (ax & 0x7fffff) | 0x800000;
    uint32_t h = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++; /* 0x400 is the smallest normal */
    return (uint16_t)(sign | h);
}

static inline float lc_bf16_to_fp32(uint16_t h) { return lc_bits_f32((uint32_t)h << 16); }

static inline uint16_t lc_fp32_to_bf16(float f) {
    uint32_t x = lc_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

/* ggml's nearest_int: round to nearest, ties to even, by the float
 * magic-number trick (adding 1.5 * 2^23 leaves the integer in the low
 * mantissa bits). Exact for |v| <= 2^22; other inputs (including NaN) give
 * an unspecified int but never undefined behaviour. K-quant and Q8_K
 * rounding must use this, not roundf, to produce ggml's bytes. */
static inline int lc_nearest_int(float v) {
    uint32_t u = lc_f32_bits(v + 12582912.f);
    return (int)(u & 0x007fffffu) - 0x00400000;
}

/* Row conversions (n elements, any n >= 0); the F16/BF16 to_float and
 * from_float entries, also for callers that store F16 caches. */
void lc_fp16_to_fp32_row(const uint16_t *src, float *dst, int64_t n);
void lc_fp32_to_fp16_row(const float *src, uint16_t *dst, int64_t n);
void lc_bf16_to_fp32_row(const uint16_t *src, float *dst, int64_t n);
void lc_fp32_to_bf16_row(const float *src, uint16_t *dst, int64_t n);

/* ---- scalar reference entries -------------------------------------------
 * What lc_scalar_traits hands out, declared so that SIMD versions can be
 * tested against them one by one. Each has the signature of its typedef:
 * *_to_float_ref: lc_to_float_fn, *_from_float_ref: lc_from_float_fn,
 * lc_vec_dot_<weight>_<activation>_ref: lc_vec_dot_fn. */

/* scalar_float.c */
void lc_f32_to_float_ref(const void *src, float *dst, int64_t n);
void lc_f32_from_float_ref(const float *src, void *dst, int64_t n);
void lc_f16_to_float_ref(const void *src, float *dst, int64_t n);
void lc_f16_from_float_ref(const float *src, void *dst, int64_t n);
void lc_bf16_to_float_ref(const void *src, float *dst, int64_t n);
void lc_bf16_from_float_ref(const float *src, void *dst, int64_t n);
void lc_vec_dot_f32_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_f16_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_bf16_ref(int64_t n, float *s, const void *x, const void *y);
void lc_axpy_f32_ref(int64_t n, float a, const void *x, float *y);
void lc_axpy_f16_ref(int64_t n, float a, const void *x, float *y);

/* scalar_q.c: 32-element blocks */
void lc_q4_0_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q4_1_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q5_0_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q5_1_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q8_0_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q8_1_to_float_ref(const void *src, float *dst, int64_t n);
void lc_iq4_nl_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q4_0_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q4_1_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q5_0_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q5_1_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q8_0_from_float_ref(const float *src, void *dst, int64_t n);
void lc_q8_1_from_float_ref(const float *src, void *dst, int64_t n);
void lc_iq4_nl_from_float_ref(const float *src, void *dst, int64_t n);
void lc_vec_dot_q4_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q4_1_q8_1_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_1_q8_1_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q8_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_iq4_nl_q8_0_ref(int64_t n, float *s, const void *x, const void *y);

/* scalar_k.c: 256-element super-blocks */
void lc_q2_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q3_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q4_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q5_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q6_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q8_K_to_float_ref(const void *src, float *dst, int64_t n);
void lc_iq4_xs_to_float_ref(const void *src, float *dst, int64_t n);
void lc_q8_K_from_float_ref(const float *src, void *dst, int64_t n);
void lc_vec_dot_q2_K_q8_K_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q3_K_q8_K_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q4_K_q8_K_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q5_K_q8_K_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_q6_K_q8_K_ref(int64_t n, float *s, const void *x, const void *y);
void lc_vec_dot_iq4_xs_q8_K_ref(int64_t n, float *s, const void *x, const void *y);

/* ---- batched and element-wise kernels -----------------------------------
 * Entries of a back end's kernel table (backend.h) besides the traits. */

/* Many dot products at once, for prompt processing: for r < n_rows and
 * t < n_tok,
 *     out[t * out_stride + r] = vec_dot(n, x + r * x_stride, y + t * y_stride)
 * (strides in bytes for x and y, in floats for out), every element
 * bit-identical to the same table's vec_dot of the type — so a matmul may use
 * it for any subset of rows and tokens without breaking the determinism
 * contract. Faster than the loop because each unpacked weight block serves
 * several tokens, and for Q4_0/Q8_0 because it works on 8 rows at once —
 * which makes it the fast path for a single token too (AVX2 Q4_0: about 3x
 * a vec_dot loop at n_tok = 1). Call it with all tokens and a tile of rows
 * that stays in cache (16 or more rows; the row count need not be a
 * multiple of 8). */
typedef void (*lc_gemm_fn)(int64_t n, int64_t n_rows, int64_t n_tok, const void *x, size_t x_stride,
                           const void *y, size_t y_stride, float *out, size_t out_stride);
/* A table's packed_gemm is a gemm on weights repacked at load (see
 * blocks.h): its matrix argument is the packed image, x_stride the
 * unpacked row size; n_rows and the first row a multiple of 8.
 * Bit-identical to the table's gemm on the unpacked rows. */

/* pack.c: packs rows 0..n_rows-1 (n_rows % 8 == 0) of n elements each,
 * row_bytes apart, into dst (n_rows * lc_row_size(type, n) bytes), for
 * Q4_0, Q8_0, Q4_K, Q5_K and Q6_K (the layouts in blocks.h); false
 * (nothing written) for other types. */
bool lc_pack8(llamac_type type, const void *src, size_t row_bytes, int64_t n_rows, int64_t n, void *dst);

/* y[i] = lc_expf(x[i]) for a row (x == y allowed); every back end gives
 * lc_expf's bits. */
typedef void (*lc_exp_fn)(const float *x, float *y, int64_t n);
void lc_exp_ref(const float *x, float *y, int64_t n);
void lc_swiglu_ref(float *gate, const float *up, int64_t n);
/* exp in float with the same bits on every platform and back end
 * (scalar_float.c says how; within a few ulp of expf). Inputs above
 * LC_EXP_HI = 127 ln 2 give +inf (expf overflows a little later, at
 * 88.72), inputs below LC_EXP_LO = -126 ln 2 are taken as LC_EXP_LO (2^-126,
 * where expf goes subnormal), NaN stays NaN: k stays in -126..127. */
#define LC_EXP_HI 88.0296919311f
#define LC_EXP_LO (-87.3365447504f)
float lc_expf(float x);

#endif
