/* Numeric kernels: per-type block codecs and dot products.
 *
 * A matmul multiplies weight rows (any supported llamac_type) by activation
 * rows. Activations are first converted ONCE per matmul into the weight
 * type's `vec_dot_type` (F32 for F32 weights, F16 for F16, Q8_0/Q8_1/Q8_K
 * int8 blocks for quantized weights), then every weight row is dotted with
 * that converted row. SIMD back ends replace the function pointers; the
 * scalar versions here are the reference they are tested against.
 *
 * Determinism contract: vec_dot's result for (x row, y row) depends only on
 * those bytes — never on threads or batch shape. */
#ifndef LLAMAC_KERNELS_H
#define LLAMAC_KERNELS_H

#include "../internal.h"

/* Converts n elements (a multiple of the type's block size) to float. */
typedef void (*lc_to_float_fn)(const void *src, float *dst, int64_t n);
/* Encodes n floats (a multiple of the block size) into blocks
 * (round-to-nearest reference encoder; for weight types the quantizer of
 * issue 6 may add importance-weighted search on top). */
typedef void (*lc_from_float_fn)(const float *src, void *dst, int64_t n);
/* *s = dot(x, y) over n elements; x is a row of the weight type, y a row of
 * its vec_dot_type, both n elements long (n a multiple of both block sizes). */
typedef void (*lc_vec_dot_fn)(int64_t n, float *s, const void *x, const void *y);

typedef struct lc_type_traits {
    llamac_type vec_dot_type;  /* encoding activations take for vec_dot */
    lc_to_float_fn to_float;   /* NULL if not decodable */
    lc_from_float_fn from_float; /* NULL if no encoder */
    lc_vec_dot_fn vec_dot;     /* NULL if not computable */
} lc_type_traits;

/* Scalar reference traits of `type`, or NULL if llamac cannot compute on it. */
const lc_type_traits *lc_scalar_traits(llamac_type type);

/* fp16 / bf16 scalar conversions (IEEE binary16, round-to-nearest-even). */
float lc_fp16_to_fp32(uint16_t h);
uint16_t lc_fp32_to_fp16(float f);
float lc_bf16_to_fp32(uint16_t h);
uint16_t lc_fp32_to_bf16(float f);

#endif
