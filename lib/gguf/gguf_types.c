/* Sizes and names of GGUF value types and tensor sizes: the facts about the
 * format that the reader, the getters and the writer all need. A file of
 * their own so that none of those three depends on another for them. */
#include "gguf_private.h"

const char *llamac_gguf_type_name(llamac_gguf_type type) {
    static const char *const names[] = {"UINT8",  "INT8",    "UINT16", "INT16", "UINT32",
                                        "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                        "UINT64", "INT64",   "FLOAT64"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

size_t lc_gguf_scalar_size(uint32_t type) {
    switch (type) {
    case LLAMAC_GGUF_UINT8: case LLAMAC_GGUF_INT8: case LLAMAC_GGUF_BOOL: return 1;
    case LLAMAC_GGUF_UINT16: case LLAMAC_GGUF_INT16: return 2;
    case LLAMAC_GGUF_UINT32: case LLAMAC_GGUF_INT32: case LLAMAC_GGUF_FLOAT32: return 4;
    case LLAMAC_GGUF_UINT64: case LLAMAC_GGUF_INT64: case LLAMAC_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

lc_tensor_size_result lc_tensor_size(llamac_type type, const int64_t ne[LC_GGUF_MAX_DIMS],
                                     uint64_t *n_bytes) {
    int64_t bs = llamac_type_block_size(type);
    size_t bb = llamac_type_block_bytes(type);
    if (bs <= 0 || bb == 0) return LC_TENSOR_SIZE_BAD_TYPE;
    uint64_t nel = 1;
    for (int d = 0; d < LC_GGUF_MAX_DIMS; d++)
        if (lc_mul_overflow_u64(nel, (uint64_t)ne[d], &nel) || nel > INT64_MAX)
            return LC_TENSOR_SIZE_OVERFLOW_ELEMENTS;
    if (ne[0] % bs) return LC_TENSOR_SIZE_BAD_ROW;
    if (lc_mul_overflow_u64(nel / (uint64_t)bs, bb, n_bytes)) return LC_TENSOR_SIZE_OVERFLOW_BYTES;
    return LC_TENSOR_SIZE_OK;
}
