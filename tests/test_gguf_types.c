/* The tensor type table (lib/common/types.c) against ggml's block layouts, so the
 * sizes of tensors llamac cannot compute on are still checked right. Each
 * expected size is the sum of the fields of ggml's block struct
 * (ggml-common.h); fp16 fields count 2 bytes, QK_K is 256. */
#include "test_util.h"

#include "llamac.h"

#include <string.h>

static const struct {
    llamac_type type;
    const char *name;
    int64_t block;
    size_t bytes;
} ggml[] = {
    {LLAMAC_TYPE_F32, "F32", 1, 4},
    {LLAMAC_TYPE_F16, "F16", 1, 2},
    {LLAMAC_TYPE_Q4_0, "Q4_0", 32, 2 + 16},                    /* d, qs[16] */
    {LLAMAC_TYPE_Q4_1, "Q4_1", 32, 2 + 2 + 16},                /* d, m, qs[16] */
    {LLAMAC_TYPE_Q5_0, "Q5_0", 32, 2 + 4 + 16},                /* d, qh[4], qs[16] */
    {LLAMAC_TYPE_Q5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
    {LLAMAC_TYPE_Q8_0, "Q8_0", 32, 2 + 32},
    {LLAMAC_TYPE_Q8_1, "Q8_1", 32, 2 + 2 + 32},                /* d, s, qs[32] */
    {LLAMAC_TYPE_Q2_K, "Q2_K", 256, 16 + 64 + 2 + 2},          /* scales, qs, d, dmin */
    {LLAMAC_TYPE_Q3_K, "Q3_K", 256, 32 + 64 + 12 + 2},         /* hmask, qs, scales, d */
    {LLAMAC_TYPE_Q4_K, "Q4_K", 256, 2 + 2 + 12 + 128},         /* d, dmin, scales, qs */
    {LLAMAC_TYPE_Q5_K, "Q5_K", 256, 2 + 2 + 12 + 32 + 128},    /* + qh */
    {LLAMAC_TYPE_Q6_K, "Q6_K", 256, 128 + 64 + 16 + 2},        /* ql, qh, scales, d */
    {LLAMAC_TYPE_Q8_K, "Q8_K", 256, 4 + 256 + 16 * 2},         /* float d, qs, bsums */
    {LLAMAC_TYPE_IQ2_XXS, "IQ2_XXS", 256, 2 + 32 * 2},         /* d, u16 qs[32] */
    {LLAMAC_TYPE_IQ2_XS, "IQ2_XS", 256, 2 + 32 * 2 + 8},       /* + scales[8] */
    {LLAMAC_TYPE_IQ3_XXS, "IQ3_XXS", 256, 2 + 96},
    {LLAMAC_TYPE_IQ1_S, "IQ1_S", 256, 2 + 32 + 8 * 2},         /* d, qs, u16 qh[8] */
    {LLAMAC_TYPE_IQ4_NL, "IQ4_NL", 32, 2 + 16},
    {LLAMAC_TYPE_IQ3_S, "IQ3_S", 256, 2 + 64 + 8 + 32 + 4},    /* d, qs, qh, signs, scales */
    {LLAMAC_TYPE_IQ2_S, "IQ2_S", 256, 2 + 64 + 8 + 8},         /* d, qs, qh, scales */
    {LLAMAC_TYPE_IQ4_XS, "IQ4_XS", 256, 2 + 2 + 4 + 128},      /* d, scales_h, scales_l, qs */
    {LLAMAC_TYPE_I8, "I8", 1, 1},
    {LLAMAC_TYPE_I16, "I16", 1, 2},
    {LLAMAC_TYPE_I32, "I32", 1, 4},
    {LLAMAC_TYPE_I64, "I64", 1, 8},
    {LLAMAC_TYPE_F64, "F64", 1, 8},
    {LLAMAC_TYPE_IQ1_M, "IQ1_M", 256, 32 + 16 + 8},            /* qs, qh, scales; no d */
    {LLAMAC_TYPE_BF16, "BF16", 1, 2},
    {LLAMAC_TYPE_TQ1_0, "TQ1_0", 256, 48 + 4 + 2},             /* qs[(256-16)/5], qh, d */
    {LLAMAC_TYPE_TQ2_0, "TQ2_0", 256, 64 + 2},
    {LLAMAC_TYPE_MXFP4, "MXFP4", 32, 1 + 16},                  /* e8m0 e, qs[16] */
};

static void type_table_matches_ggml_block_layouts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof ggml / sizeof ggml[0]; i++) {
        const char *name = llamac_type_name(ggml[i].type);
        if (!name || strcmp(name, ggml[i].name) || llamac_type_block_size(ggml[i].type) != ggml[i].block ||
            llamac_type_block_bytes(ggml[i].type) != ggml[i].bytes)
            fail_msg("type %d: table says %s/%lld/%zu, ggml %s/%lld/%zu", (int)ggml[i].type,
                     name ? name : "(null)", (long long)llamac_type_block_size(ggml[i].type),
                     llamac_type_block_bytes(ggml[i].type), ggml[i].name,
                     (long long)ggml[i].block, ggml[i].bytes);
    }
}

static void retired_and_unknown_ids_have_no_size(void **state) {
    (void)state;
    const int retired[] = {4, 5, 31, 32, 33, 36, 37, 38, LLAMAC_TYPE_COUNT, 1000, -1};
    for (size_t i = 0; i < sizeof retired / sizeof retired[0]; i++) {
        llamac_type t = (llamac_type)retired[i];
        assert_null(llamac_type_name(t));
        assert_int_equal(llamac_type_block_size(t), 0);
        assert_int_equal(llamac_type_block_bytes(t), 0);
    }
    /* every other id below COUNT is one of the table's rows */
    int known = 0;
    for (int t = 0; t < LLAMAC_TYPE_COUNT; t++) known += llamac_type_name((llamac_type)t) != NULL;
    assert_int_equal(known, (int)(sizeof ggml / sizeof ggml[0]));
}

static void value_type_names_follow_the_spec(void **state) {
    (void)state;
    static const char *names[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                  "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
    for (int t = 0; t < 13; t++) assert_string_equal(llamac_gguf_type_name((llamac_gguf_type)t), names[t]);
    assert_null(llamac_gguf_type_name((llamac_gguf_type)13));
}

int main(void) {
    return run_cases(NULL, NULL,
                     type_table_matches_ggml_block_layouts,
                     retired_and_unknown_ids_have_no_size,
                     value_type_names_follow_the_spec);
}
