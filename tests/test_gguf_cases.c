/* Raw GGUF bytes for the tests (see test_gguf_cases.h). Everything here is
 * written from the format description, not with llamac's writer, so the
 * reader is checked against an independent encoder. */
#include "test_gguf_cases.h"

#include <stdlib.h>
#include <string.h>

void gb_free(gbuf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void gb_bytes(gbuf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) abort(); /* test helper: no memory means no test */
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void gb_le(gbuf *b, uint64_t v, int n) {
    for (int i = 0; i < n; i++) gb_u8(b, (uint8_t)(v >> (8 * i)));
}
void gb_u8(gbuf *b, uint8_t v) { gb_bytes(b, &v, 1); }
void gb_u16(gbuf *b, uint16_t v) { gb_le(b, v, 2); }
void gb_u32(gbuf *b, uint32_t v) { gb_le(b, v, 4); }
void gb_u64(gbuf *b, uint64_t v) { gb_le(b, v, 8); }

static void gb_strn(gbuf *b, const char *s, size_t n) {
    gb_u64(b, n);
    gb_bytes(b, s, n);
}
void gb_str(gbuf *b, const char *s) { gb_strn(b, s, strlen(s)); }

void gb_pad(gbuf *b, size_t align) {
    while (b->len % align) gb_u8(b, 0);
}

static void header(gbuf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, version);
    gb_u64(b, n_tensors);
    gb_u64(b, n_kv);
}

static void kv_u32(gbuf *b, const char *key, uint32_t v) {
    gb_str(b, key);
    gb_u32(b, LLAMAC_GGUF_UINT32);
    gb_u32(b, v);
}

static void kv_str(gbuf *b, const char *key, const char *v) {
    gb_str(b, key);
    gb_u32(b, LLAMAC_GGUF_STRING);
    gb_str(b, v);
}

static void tensor_info(gbuf *b, const char *name, uint32_t n_dims, const uint64_t *ne,
                        uint32_t type, uint64_t offset) {
    gb_str(b, name);
    gb_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) gb_u64(b, ne[d]);
    gb_u32(b, type);
    gb_u64(b, offset);
}

static void data_bytes(gbuf *b, size_t n) {
    for (size_t i = 0; i < n; i++) gb_u8(b, (uint8_t)(i * 7 + 1));
}

/* ---- the valid file ---- */

static void valid_kvs(gbuf *b) {
    kv_str(b, "general.architecture", "llama");
    gb_str(b, "test.u8"), gb_u32(b, LLAMAC_GGUF_UINT8), gb_u8(b, 200);
    gb_str(b, "test.i8"), gb_u32(b, LLAMAC_GGUF_INT8), gb_u8(b, (uint8_t)-100);
    gb_str(b, "test.u16"), gb_u32(b, LLAMAC_GGUF_UINT16), gb_u16(b, 60000);
    gb_str(b, "test.i16"), gb_u32(b, LLAMAC_GGUF_INT16), gb_u16(b, (uint16_t)-30000);
    kv_u32(b, "test.u32", 4000000000u);
    gb_str(b, "test.i32"), gb_u32(b, LLAMAC_GGUF_INT32), gb_u32(b, (uint32_t)-2000000000);
    gb_str(b, "test.f32"), gb_u32(b, LLAMAC_GGUF_FLOAT32), gb_u32(b, 0x3fc00000u); /* 1.5 */
    gb_str(b, "test.bool"), gb_u32(b, LLAMAC_GGUF_BOOL), gb_u8(b, 1);
    gb_str(b, "test.u64"), gb_u32(b, LLAMAC_GGUF_UINT64), gb_u64(b, ((uint64_t)1 << 40) + 3);
    gb_str(b, "test.i64"), gb_u32(b, LLAMAC_GGUF_INT64), gb_u64(b, (uint64_t)-((int64_t)1 << 40));
    gb_str(b, "test.f64"), gb_u32(b, LLAMAC_GGUF_FLOAT64), gb_u64(b, 0xc002000000000000u); /* -2.25 */
    gb_str(b, "test.u32s"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, LLAMAC_GGUF_UINT32);
    gb_u64(b, 4);
    for (uint32_t i = 1; i <= 4; i++) gb_u32(b, i);
    gb_str(b, "test.strings"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, LLAMAC_GGUF_STRING);
    gb_u64(b, 3);
    gb_str(b, "alpha"), gb_str(b, ""), gb_strn(b, "x\0y", 3);
    /* [[1, 2] as INT8, ["z"]] */
    gb_str(b, "test.nested"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, LLAMAC_GGUF_ARRAY);
    gb_u64(b, 2);
    gb_u32(b, LLAMAC_GGUF_INT8), gb_u64(b, 2), gb_u8(b, 1), gb_u8(b, 2);
    gb_u32(b, LLAMAC_GGUF_STRING), gb_u64(b, 1), gb_str(b, "z");
    kv_str(b, "test.name", "h\xc3\xa9llo"); /* UTF-8 e-acute */
}

void gguf_build_valid(gbuf *b) {
    header(b, 3, GGUF_VALID_N_TENSORS, GGUF_VALID_N_KV);
    valid_kvs(b);
    tensor_info(b, "a", 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 0);
    tensor_info(b, "b", 2, (const uint64_t[]){32, 2}, LLAMAC_TYPE_Q8_0, 32);
    tensor_info(b, "c", 2, (const uint64_t[]){4, 3}, LLAMAC_TYPE_F16, 128);
    gb_pad(b, 32);
    data_bytes(b, 160); /* c ends at 152; the rest is the padding ggml writes */
}

size_t gguf_valid_data_offset(void) {
    gbuf b = {0};
    gguf_build_valid(&b);
    size_t off = b.len - 160;
    gb_free(&b);
    return off;
}

size_t gguf_valid_data_end(void) { return gguf_valid_data_offset() + 152; }

/* ---- malformed files ---- */

/* A file with no tensors and the given key/values written by kvs(). */
static void kv_file(gbuf *b, uint64_t n_kv, void (*kvs)(gbuf *)) {
    header(b, 3, 0, n_kv);
    kvs(b);
}

/* A file with one tensor. */
static void tensor_file(gbuf *b, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                        uint64_t offset, size_t n_data) {
    header(b, 3, 1, 1);
    kv_str(b, "general.architecture", "llama");
    tensor_info(b, "t", n_dims, ne, type, offset);
    gb_pad(b, 32);
    data_bytes(b, n_data);
}

static void truncated_header(gbuf *b) {
    gguf_build_valid(b);
    b->len = 10;
}
static void truncated_tensor_data(gbuf *b) {
    gguf_build_valid(b);
    b->len -= 20; /* "c" now ends past the end of the file */
}
static void truncated_in_string_array(gbuf *b) {
    gguf_build_valid(b);
    b->len = 400; /* inside the metadata */
}
static void empty_file(gbuf *b) { (void)b; }
static void bad_magic(gbuf *b) {
    gguf_build_valid(b);
    b->p[3] = 'G';
}
static void version_1(gbuf *b) {
    header(b, 1, 0, 0);
}
static void version_4(gbuf *b) { header(b, 4, 0, 0); }
static void big_endian(gbuf *b) { header(b, 0x03000000u, 0, 0); }
static void huge_tensor_count(gbuf *b) { header(b, 3, (uint64_t)1 << 40, 0); }
static void huge_kv_count(gbuf *b) { header(b, 3, 0, UINT64_MAX); }

static void kv_huge_array(gbuf *b) {
    gb_str(b, "big"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, LLAMAC_GGUF_UINT32);
    gb_u64(b, (uint64_t)1 << 62);
    gb_u32(b, 1);
}
static void huge_array(gbuf *b) { kv_file(b, 1, kv_huge_array); }

static void kv_huge_string_array(gbuf *b) {
    gb_str(b, "big"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, LLAMAC_GGUF_STRING);
    gb_u64(b, (uint64_t)1 << 60);
    gb_str(b, "x");
}
static void huge_string_array(gbuf *b) { kv_file(b, 1, kv_huge_string_array); }

static void kv_huge_string(gbuf *b) {
    gb_str(b, "big"), gb_u32(b, LLAMAC_GGUF_STRING);
    gb_u64(b, (uint64_t)1 << 63);
    gb_bytes(b, "abc", 3);
}
static void huge_string(gbuf *b) { kv_file(b, 1, kv_huge_string); }

static void kv_huge_key(gbuf *b) {
    gb_u64(b, UINT64_MAX);
    gb_bytes(b, "key", 3);
    gb_u32(b, LLAMAC_GGUF_UINT8);
}
static void huge_key(gbuf *b) { kv_file(b, 1, kv_huge_key); }

static void kv_duplicate(gbuf *b) {
    kv_u32(b, "llama.block_count", 2);
    kv_u32(b, "llama.block_count", 3);
}
static void duplicate_key(gbuf *b) { kv_file(b, 2, kv_duplicate); }

static void duplicate_tensor(gbuf *b) {
    header(b, 3, 2, 0);
    tensor_info(b, "w", 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 0);
    tensor_info(b, "w", 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 32);
    gb_pad(b, 32);
    data_bytes(b, 64);
}

static void kv_unknown_type(gbuf *b) {
    gb_str(b, "k"), gb_u32(b, 13), gb_u32(b, 0);
}
static void unknown_value_type(gbuf *b) { kv_file(b, 1, kv_unknown_type); }

static void kv_unknown_elem(gbuf *b) {
    gb_str(b, "k"), gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u32(b, 99), gb_u64(b, 1), gb_u32(b, 0);
}
static void unknown_array_element_type(gbuf *b) { kv_file(b, 1, kv_unknown_elem); }

static void unknown_tensor_type(gbuf *b) { tensor_file(b, 1, (const uint64_t[]){32}, 40, 0, 64); }
static void retired_tensor_type(gbuf *b) { tensor_file(b, 1, (const uint64_t[]){32}, 31, 0, 64); }
static void zero_dims(gbuf *b) { tensor_file(b, 0, NULL, LLAMAC_TYPE_F32, 0, 64); }
static void five_dims(gbuf *b) {
    tensor_file(b, 5, (const uint64_t[]){1, 1, 1, 1, 1}, LLAMAC_TYPE_F32, 0, 64);
}
static void zero_dimension(gbuf *b) { tensor_file(b, 2, (const uint64_t[]){8, 0}, LLAMAC_TYPE_F32, 0, 64); }
static void negative_dimension(gbuf *b) {
    tensor_file(b, 2, (const uint64_t[]){8, UINT64_MAX}, LLAMAC_TYPE_F32, 0, 64);
}
static void element_count_overflow(gbuf *b) {
    tensor_file(b, 3, (const uint64_t[]){(uint64_t)1 << 32, (uint64_t)1 << 31, 2}, LLAMAC_TYPE_F32, 0, 64);
}
static void byte_size_overflow(gbuf *b) {
    /* 2^62 elements fit int64, 2^62 * 8 bytes do not fit 64 bits */
    tensor_file(b, 1, (const uint64_t[]){(uint64_t)1 << 62}, LLAMAC_TYPE_F64, 0, 64);
}
static void row_not_whole_blocks(gbuf *b) {
    tensor_file(b, 2, (const uint64_t[]){33, 2}, LLAMAC_TYPE_Q4_0, 0, 64);
}
static void data_past_end(gbuf *b) { tensor_file(b, 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 64, 64); }
static void data_offset_wraps(gbuf *b) {
    tensor_file(b, 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, UINT64_MAX - 31, 64);
}
static void misaligned_offset(gbuf *b) { tensor_file(b, 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 16, 64); }

static void overlapping(gbuf *b) {
    header(b, 3, 2, 0);
    tensor_info(b, "big", 1, (const uint64_t[]){16}, LLAMAC_TYPE_F32, 0);   /* [0, 64) */
    tensor_info(b, "small", 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 32); /* [32, 64) */
    gb_pad(b, 32);
    data_bytes(b, 96);
}

static void header_without_data_section(gbuf *b) {
    header(b, 3, 1, 0);
    tensor_info(b, "t", 1, (const uint64_t[]){8}, LLAMAC_TYPE_F32, 0);
    /* no padding, no data: the aligned data section starts past the end */
}

static void kv_align_48(gbuf *b) { kv_u32(b, "general.alignment", 48); }
static void alignment_48(gbuf *b) { kv_file(b, 1, kv_align_48); }
static void kv_align_0(gbuf *b) { kv_u32(b, "general.alignment", 0); }
static void alignment_0(gbuf *b) { kv_file(b, 1, kv_align_0); }
static void kv_align_u64(gbuf *b) {
    gb_str(b, "general.alignment"), gb_u32(b, LLAMAC_GGUF_UINT64), gb_u64(b, 64);
}
static void alignment_u64(gbuf *b) { kv_file(b, 1, kv_align_u64); }

static void kv_bad_utf8(gbuf *b) { kv_u32(b, "bad\xff\xfekey", 1); }
static void key_not_utf8(gbuf *b) { kv_file(b, 1, kv_bad_utf8); }
static void kv_overlong(gbuf *b) { kv_u32(b, "slash\xc0\xaf", 1); }
static void key_overlong_utf8(gbuf *b) { kv_file(b, 1, kv_overlong); }
static void kv_surrogate(gbuf *b) { kv_u32(b, "half\xed\xa0\x80", 1); }
static void key_surrogate(gbuf *b) { kv_file(b, 1, kv_surrogate); }
static void kv_cut_utf8(gbuf *b) { kv_u32(b, "cut\xe2\x82", 1); }
static void key_cut_utf8(gbuf *b) { kv_file(b, 1, kv_cut_utf8); }
static void kv_empty_key(gbuf *b) { kv_u32(b, "", 1); }
static void empty_key(gbuf *b) { kv_file(b, 1, kv_empty_key); }

static void kv_bool_2(gbuf *b) { gb_str(b, "flag"), gb_u32(b, LLAMAC_GGUF_BOOL), gb_u8(b, 2); }
static void bool_2(gbuf *b) { kv_file(b, 1, kv_bool_2); }

static void kv_deep(gbuf *b) {
    gb_str(b, "deep"), gb_u32(b, LLAMAC_GGUF_ARRAY);
    for (int i = 0; i < 20; i++) gb_u32(b, LLAMAC_GGUF_ARRAY), gb_u64(b, 1);
    gb_u32(b, LLAMAC_GGUF_UINT8), gb_u64(b, 0);
}
static void deep_nesting(gbuf *b) { kv_file(b, 1, kv_deep); }

static void tensor_name_with_nul(gbuf *b) {
    header(b, 3, 1, 0);
    gb_strn(b, "a\0b", 3);
    gb_u32(b, 1), gb_u64(b, 8), gb_u32(b, LLAMAC_TYPE_F32), gb_u64(b, 0);
    gb_pad(b, 32);
    data_bytes(b, 32);
}

#define F LLAMAC_ERR_FORMAT
#define U LLAMAC_ERR_UNSUPPORTED
const gguf_case gguf_bad_cases[] = {
    {"truncated_header_is_rejected_with_offset", truncated_header, F, "tensor count at byte 8 needs 8 bytes, only 2 left"},
    {"truncated_tensor_data_is_rejected", truncated_tensor_data, F, "past the end of the file"},
    {"truncated_metadata_is_rejected", truncated_in_string_array, F, "file truncated"},
    {"empty_file_is_rejected", empty_file, F, "magic at byte 0 needs 4 bytes, only 0 left"},
    {"bad_magic_is_rejected", bad_magic, F, "bad magic 'GGUG'"},
    {"version_1_is_refused", version_1, U, "version 1"},
    {"version_4_is_refused", version_4, U, "version 4"},
    {"big_endian_file_is_refused", big_endian, U, "big-endian"},
    {"tensor_count_larger_than_file_is_rejected", huge_tensor_count, F, "tensor count 1099511627776"},
    {"kv_count_larger_than_file_is_rejected", huge_kv_count, F, "key/value count 18446744073709551615"},
    {"array_length_larger_than_file_is_rejected", huge_array, F, "claims 4611686018427387904 UINT32 elements"},
    {"string_array_length_larger_than_file_is_rejected", huge_string_array, F, "claims 1152921504606846976 STRING"},
    {"string_length_larger_than_file_is_rejected", huge_string, F, "has length 9223372036854775808"},
    {"key_length_larger_than_file_is_rejected", huge_key, F, "key at byte 24 has length 18446744073709551615"},
    {"duplicate_key_is_rejected", duplicate_key, F, "duplicate key"},
    {"duplicate_tensor_name_is_rejected", duplicate_tensor, F, "duplicate tensor name"},
    {"unknown_value_type_is_rejected", unknown_value_type, F, "unknown value type 13"},
    {"unknown_array_element_type_is_rejected", unknown_array_element_type, F, "unknown element type 99"},
    {"unknown_tensor_type_is_rejected", unknown_tensor_type, U, "unknown tensor type 40"},
    {"retired_tensor_type_is_rejected", retired_tensor_type, U, "unknown tensor type 31"},
    {"zero_dims_is_rejected", zero_dims, F, "is 0, must be 1..4"},
    {"five_dims_is_rejected", five_dims, F, "is 5, must be 1..4"},
    {"zero_dimension_is_rejected", zero_dimension, F, "dimension 1 at byte"},
    {"negative_dimension_is_rejected", negative_dimension, F, "is -1, must be at least 1"},
    {"element_count_overflow_is_rejected", element_count_overflow, F, "more elements than fit"},
    {"byte_size_overflow_is_rejected", byte_size_overflow, F, "more bytes than fit in 64 bits"},
    {"row_not_whole_blocks_is_rejected", row_not_whole_blocks, F, "not a multiple of the Q4_0 block size 32"},
    {"tensor_data_outside_file_is_rejected", data_past_end, F, "past the end of the file"},
    {"tensor_offset_near_2_pow_64_is_rejected", data_offset_wraps, F, "past the end of the file"},
    {"misaligned_tensor_offset_is_rejected", misaligned_offset, F, "not a multiple of the alignment 32"},
    {"overlapping_tensors_are_rejected", overlapping, F, "overlaps tensor #0 'big'"},
    {"data_section_past_end_is_rejected", header_without_data_section, F, "past the end of the"},
    {"alignment_not_power_of_two_is_rejected", alignment_48, F, "alignment 48 is not a power of two"},
    {"alignment_zero_is_rejected", alignment_0, F, "alignment 0 is not a power of two"},
    {"alignment_of_wrong_type_is_rejected", alignment_u64, F, "has type UINT64, must be UINT32"},
    {"key_not_utf8_is_rejected", key_not_utf8, F, "not valid UTF-8"},
    {"key_with_overlong_utf8_is_rejected", key_overlong_utf8, F, "not valid UTF-8"},
    {"key_with_surrogate_is_rejected", key_surrogate, F, "not valid UTF-8"},
    {"key_with_cut_utf8_sequence_is_rejected", key_cut_utf8, F, "not valid UTF-8"},
    {"empty_key_is_rejected", empty_key, F, "empty key at byte 24"},
    {"bool_other_than_0_or_1_is_rejected", bool_2, F, "is 2, expected 0 or 1"},
    {"deeply_nested_array_is_rejected", deep_nesting, F, "nested deeper than 8 levels"},
    {"tensor_name_with_nul_is_rejected", tensor_name_with_nul, F, "contains a NUL byte"},
};
const size_t gguf_n_bad_cases = sizeof gguf_bad_cases / sizeof gguf_bad_cases[0];
