/* The GGML tensor type table: name, elements per block, bytes per block.
 * Known for every id of the format (even types llamac does not compute on)
 * so that tensor sizes in any GGUF file can be checked. */
#include "internal.h"

typedef struct type_row {
    const char *name;
    int64_t block_size;
    size_t block_bytes;
} type_row;

/* Byte maps of the block formats live beside their kernels (lib/kernels/);
 * here only sizes. Retired ids (4, 5, 31-33, 36-38) stay empty. */
static const type_row lc_types[LLAMAC_TYPE_COUNT] = {
    [LLAMAC_TYPE_F32] = {"F32", 1, 4},
    [LLAMAC_TYPE_F16] = {"F16", 1, 2},
    [LLAMAC_TYPE_Q4_0] = {"Q4_0", 32, 18},
    [LLAMAC_TYPE_Q4_1] = {"Q4_1", 32, 20},
    [LLAMAC_TYPE_Q5_0] = {"Q5_0", 32, 22},
    [LLAMAC_TYPE_Q5_1] = {"Q5_1", 32, 24},
    [LLAMAC_TYPE_Q8_0] = {"Q8_0", 32, 34},
    [LLAMAC_TYPE_Q8_1] = {"Q8_1", 32, 36},
    [LLAMAC_TYPE_Q2_K] = {"Q2_K", 256, 84},
    [LLAMAC_TYPE_Q3_K] = {"Q3_K", 256, 110},
    [LLAMAC_TYPE_Q4_K] = {"Q4_K", 256, 144},
    [LLAMAC_TYPE_Q5_K] = {"Q5_K", 256, 176},
    [LLAMAC_TYPE_Q6_K] = {"Q6_K", 256, 210},
    [LLAMAC_TYPE_Q8_K] = {"Q8_K", 256, 292},
    [LLAMAC_TYPE_IQ2_XXS] = {"IQ2_XXS", 256, 66},
    [LLAMAC_TYPE_IQ2_XS] = {"IQ2_XS", 256, 74},
    [LLAMAC_TYPE_IQ3_XXS] = {"IQ3_XXS", 256, 98},
    [LLAMAC_TYPE_IQ1_S] = {"IQ1_S", 256, 50},
    [LLAMAC_TYPE_IQ4_NL] = {"IQ4_NL", 32, 18},
    [LLAMAC_TYPE_IQ3_S] = {"IQ3_S", 256, 110},
    [LLAMAC_TYPE_IQ2_S] = {"IQ2_S", 256, 82},
    [LLAMAC_TYPE_IQ4_XS] = {"IQ4_XS", 256, 136},
    [LLAMAC_TYPE_I8] = {"I8", 1, 1},
    [LLAMAC_TYPE_I16] = {"I16", 1, 2},
    [LLAMAC_TYPE_I32] = {"I32", 1, 4},
    [LLAMAC_TYPE_I64] = {"I64", 1, 8},
    [LLAMAC_TYPE_F64] = {"F64", 1, 8},
    [LLAMAC_TYPE_IQ1_M] = {"IQ1_M", 256, 56},
    [LLAMAC_TYPE_BF16] = {"BF16", 1, 2},
    [LLAMAC_TYPE_TQ1_0] = {"TQ1_0", 256, 54},
    [LLAMAC_TYPE_TQ2_0] = {"TQ2_0", 256, 66},
    [LLAMAC_TYPE_MXFP4] = {"MXFP4", 32, 17},
};

static const type_row *row_of(llamac_type type) {
    if ((unsigned)type >= LLAMAC_TYPE_COUNT || !lc_types[type].name) return NULL;
    return &lc_types[type];
}

const char *llamac_type_name(llamac_type type) {
    const type_row *r = row_of(type);
    return r ? r->name : NULL;
}

int64_t llamac_type_block_size(llamac_type type) {
    const type_row *r = row_of(type);
    return r ? r->block_size : 0;
}

size_t llamac_type_block_bytes(llamac_type type) {
    const type_row *r = row_of(type);
    return r ? r->block_bytes : 0;
}
