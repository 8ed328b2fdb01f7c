/* Row encoders and decoders by type, and llamac_quantize_rows.
 *
 * Encoders are the scalar references, which reproduce ggml's bytes (SIMD
 * back ends speed up dot products, not weight encoding, and must not
 * change a file's bytes). IQ4_NL/IQ4_XS use llama-quantize's search rather
 * than the kernels' quick IQ4_NL encoder. */
#include "quantize.h"

#include "kernels/quant_k_ref.h"

#include <inttypes.h>

lc_from_float_fn lc_quant_encoder(llamac_type type) {
    switch (type) {
    case LLAMAC_TYPE_Q2_K: return lc_q2_K_from_float_ref;
    case LLAMAC_TYPE_Q3_K: return lc_q3_K_from_float_ref;
    case LLAMAC_TYPE_Q4_K: return lc_q4_K_from_float_ref;
    case LLAMAC_TYPE_Q5_K: return lc_q5_K_from_float_ref;
    case LLAMAC_TYPE_Q6_K: return lc_q6_K_from_float_ref;
    case LLAMAC_TYPE_IQ4_NL: return lc_iq4_nl_quantize_search;
    case LLAMAC_TYPE_IQ4_XS: return lc_iq4_xs_quantize_search;
    case LLAMAC_TYPE_F32:
    case LLAMAC_TYPE_F16:
    case LLAMAC_TYPE_BF16:
    case LLAMAC_TYPE_Q4_0:
    case LLAMAC_TYPE_Q4_1:
    case LLAMAC_TYPE_Q5_0:
    case LLAMAC_TYPE_Q5_1:
    case LLAMAC_TYPE_Q8_0: return lc_scalar_traits(type)->from_float;
    default: return NULL;
    }
}

lc_to_float_fn lc_quant_decoder(llamac_type type) {
    const lc_type_traits *t = lc_scalar_traits(type);
    return t ? t->to_float : NULL;
}

size_t lc_quant_row_bytes(llamac_type type, int64_t n) {
    const int64_t bs = llamac_type_block_size(type);
    size_t bytes;
    if (bs <= 0 || n < 0 || n % bs) return 0;
    if (lc_mul_overflow_size((size_t)(n / bs), llamac_type_block_bytes(type), &bytes)) return 0;
    return bytes;
}

llamac_status llamac_quantize_rows(llamac_type type, const float *src, int64_t n_rows,
                                   int64_t n_per_row, void *dst, size_t dst_size,
                                   size_t *written) {
    if (written) *written = 0;
    const lc_from_float_fn enc = lc_quant_encoder(type);
    if (!enc)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "llamac_quantize_rows: no encoder for type %s (%d)",
                       llamac_type_name(type) ? llamac_type_name(type) : "invalid", (int)type);
    if (n_rows < 0 || n_per_row < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_quantize_rows: negative count (%" PRId64 " rows of %" PRId64 ")",
                       n_rows, n_per_row);
    if ((n_rows && n_per_row) && !src) return lc_null_arg(__func__, "src");
    if ((n_rows && n_per_row) && !dst) return lc_null_arg(__func__, "dst");
    const size_t row = lc_quant_row_bytes(type, n_per_row);
    if (!row && n_per_row)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_quantize_rows: rows of %" PRId64 " elements are not a whole number "
                       "of %s blocks (%" PRId64 " elements)",
                       n_per_row, llamac_type_name(type), llamac_type_block_size(type));
    size_t need;
    if (lc_mul_overflow_size(row, (size_t)n_rows, &need))
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_quantize_rows: output size overflows");
    if (dst_size < need) {
        if (written) *written = need;
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                       "llamac_quantize_rows: dst holds %zu bytes, %" PRId64 " rows of %s need %zu",
                       dst_size, n_rows, llamac_type_name(type), need);
    }
    for (int64_t r = 0; r < n_rows && row; r++)
        enc(src + r * n_per_row, (uint8_t *)dst + (size_t)r * row, n_per_row);
    if (written) *written = need;
    return LLAMAC_OK;
}
