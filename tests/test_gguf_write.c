/* GGUF writer: write -> read gives back every value and tensor; the bytes
 * match an independent encoding and ggml's tensor placement; copy_kv
 * reproduces a file byte for byte; bad input is refused up front. */
#include "test_files.h"
#include "test_alloc.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "llamac.h"
#include "test_gguf_cases.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef test_case_dir tmpdir;

static int count_entries(const char *dir) {
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* Tensor payloads used by the round trip. */
static float f32_data[15];
static unsigned char q4k_data[2 * 144];
static int8_t i8_data[3] = {-1, 0, 127};
static uint16_t bf16_data[16];

static void fill_payloads(void) {
    for (int i = 0; i < 15; i++) f32_data[i] = (float)i * 0.5f - 3.0f;
    for (size_t i = 0; i < sizeof q4k_data; i++) q4k_data[i] = (unsigned char)(i * 13 + 5);
    for (int i = 0; i < 16; i++) bf16_data[i] = (uint16_t)(0x3f80 + i);
}

static void add_round_trip_content(llamac_gguf_writer *w) {
    assert_int_equal(llamac_gguf_writer_set_string(w, "general.architecture", "llama"), LLAMAC_OK);
    uint8_t u8 = 250;
    int8_t i8 = -7;
    uint16_t u16 = 65535;
    int16_t i16 = -32768;
    int64_t i64 = INT64_MIN;
    double f64 = 0.1;
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.u8", LLAMAC_GGUF_UINT8, false, &u8, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.i8", LLAMAC_GGUF_INT8, false, &i8, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.u16", LLAMAC_GGUF_UINT16, false, &u16, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.i16", LLAMAC_GGUF_INT16, false, &i16, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "v.u32", 1), LLAMAC_OK); /* replaced below */
    assert_int_equal(llamac_gguf_writer_set_i32(w, "v.i32", -5), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_f32(w, "v.f32", 0.25f), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_bool(w, "v.bool", true), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u64(w, "v.u64", UINT64_MAX), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.i64", LLAMAC_GGUF_INT64, false, &i64, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "v.f64", LLAMAC_GGUF_FLOAT64, false, &f64, 1), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "v.u32", 123456789), LLAMAC_OK);
    float scores[4] = {-1.5f, 0.0f, 2.0f, 1e30f};
    assert_int_equal(llamac_gguf_writer_set_value(w, "a.f32", LLAMAC_GGUF_FLOAT32, true, scores, 4), LLAMAC_OK);
    int32_t types[3] = {1, -2, 3};
    assert_int_equal(llamac_gguf_writer_set_value(w, "a.i32", LLAMAC_GGUF_INT32, true, types, 3), LLAMAC_OK);
    bool flags[3] = {true, false, true};
    assert_int_equal(llamac_gguf_writer_set_value(w, "a.bool", LLAMAC_GGUF_BOOL, true, flags, 3), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_value(w, "a.empty", LLAMAC_GGUF_UINT64, true, NULL, 0), LLAMAC_OK);
    const char *toks[] = {"<s>", "", "\xe2\x96\x81hello"};
    assert_int_equal(llamac_gguf_writer_set_string_array(w, "a.str", toks, 3), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_alignment(w, 64), LLAMAC_OK);
    fill_payloads();
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "f32", LLAMAC_TYPE_F32, 2, (int64_t[]){5, 3},
                                                   f32_data, sizeof f32_data), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "q4k", LLAMAC_TYPE_Q4_K, 2, (int64_t[]){256, 2},
                                                   q4k_data, sizeof q4k_data), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "i8", LLAMAC_TYPE_I8, 1, (int64_t[]){3},
                                                   i8_data, sizeof i8_data), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "bf16", LLAMAC_TYPE_BF16, 4,
                                                   (int64_t[]){2, 2, 2, 2}, bf16_data,
                                                   sizeof bf16_data), LLAMAC_OK);
}

static void written_file_reads_back_identically(void **state) {
    tmpdir *t = *state;
    llamac_gguf_writer *w = test_new_writer();
    add_round_trip_content(w);
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    llamac_gguf_writer_free(w);

    llamac_gguf *g;
    assert_int_equal(llamac_gguf_open(t->path, NULL, &g), LLAMAC_OK);
    assert_int_equal(llamac_gguf_version(g), 3);
    assert_int_equal(llamac_gguf_alignment(g), 64);
    assert_int_equal(llamac_gguf_n_kv(g), 18);
    /* replacing a key keeps its place */
    assert_string_equal(llamac_gguf_key(g, 5), "v.u32");
    static const gguf_key_value scalars[] = {
        {"v.u32", GK_U32, .i = 123456789},
        {"v.u8", GK_U32, .i = 250},
        {"v.i8", GK_I32, .i = -7},
        {"v.u16", GK_U32, .i = 65535},
        {"v.i16", GK_I32, .i = -32768},
        {"v.i32", GK_I32, .i = -5},
        {"v.f32", GK_F32, .f = 0.25f},
        {"v.bool", GK_BOOL, .i = 1},
        {"v.u64", GK_U64, .u = UINT64_MAX},
        {"v.i64", GK_I64, .i = INT64_MIN},
        {"v.f64", GK_F64, .d = 0.1},
    };
    assert_gguf_keys(g, scalars, N_ELEMS(scalars));
    float scores[4];
    memcpy(scores, assert_gguf_array(g, "a.f32", LLAMAC_GGUF_FLOAT32, 4), sizeof scores);
    assert_true(scores[0] == -1.5f && scores[1] == 0.0f && scores[2] == 2.0f && scores[3] == 1e30f);
    int32_t types[3];
    memcpy(types, assert_gguf_array(g, "a.i32", LLAMAC_GGUF_INT32, 3), sizeof types);
    assert_true(types[1] == -2);
    assert_memory_equal(assert_gguf_array(g, "a.bool", LLAMAC_GGUF_BOOL, 3), "\1\0\1", 3);
    assert_gguf_array(g, "a.empty", LLAMAC_GGUF_UINT64, 0);
    assert_gguf_array_string(g, "a.str", 2, "\xe2\x96\x81hello", 8);
    assert_gguf_array_string(g, "a.str", 1, "", 0);

    static const struct { const char *name; llamac_type type; const void *data; uint64_t n; } want[] = {
        {"f32", LLAMAC_TYPE_F32, f32_data, sizeof f32_data},
        {"q4k", LLAMAC_TYPE_Q4_K, q4k_data, sizeof q4k_data},
        {"i8", LLAMAC_TYPE_I8, i8_data, sizeof i8_data},
        {"bf16", LLAMAC_TYPE_BF16, bf16_data, sizeof bf16_data},
    };
    assert_int_equal(llamac_gguf_n_tensors(g), 4);
    uint64_t expect_offset = 0;
    for (int64_t i = 0; i < 4; i++) {
        llamac_tensor_info ti;
        assert_int_equal(llamac_gguf_tensor(g, i, &ti), LLAMAC_OK);
        assert_string_equal(ti.name, want[i].name);
        assert_int_equal(ti.type, want[i].type);
        assert_int_equal(ti.n_bytes, want[i].n);
        assert_memory_equal(ti.data, want[i].data, want[i].n);
        /* ggml's placement: each tensor right after the previous, padded */
        assert_int_equal(ti.offset, expect_offset);
        expect_offset += (ti.n_bytes + 63) / 64 * 64;
    }
    llamac_tensor_info ti;
    assert_int_equal(llamac_gguf_tensor(g, 3, &ti), LLAMAC_OK);
    assert_int_equal(ti.n_dims, 4);
    assert_true(ti.ne[3] == 2);
    /* data is padded to the alignment at the end too */
    size_t len_file;
    unsigned char *bytes = (unsigned char *)test_read_file(t->path, &len_file);
    assert_non_null(bytes);
    assert_int_equal(len_file, llamac_gguf_data_offset(g) + expect_offset);
    free(bytes);
    llamac_gguf_free(g);
}

/* A small file encoded by hand (test_gguf_cases.c helpers) must equal the
 * writer's output byte for byte. */
static void writer_bytes_match_an_independent_encoding(void **state) {
    tmpdir *t = *state;
    gbuf want = {0};
    gb_bytes(&want, "GGUF", 4), gb_u32(&want, 3), gb_u64(&want, 1), gb_u64(&want, 3);
    gb_str(&want, "general.architecture"), gb_u32(&want, LLAMAC_GGUF_STRING), gb_str(&want, "llama");
    gb_str(&want, "x.n"), gb_u32(&want, LLAMAC_GGUF_UINT32), gb_u32(&want, 7);
    gb_str(&want, "x.s"), gb_u32(&want, LLAMAC_GGUF_ARRAY), gb_u32(&want, LLAMAC_GGUF_STRING);
    gb_u64(&want, 2), gb_str(&want, "a"), gb_str(&want, "bc");
    gb_str(&want, "w"), gb_u32(&want, 2), gb_u64(&want, 2), gb_u64(&want, 3);
    gb_u32(&want, LLAMAC_TYPE_F32), gb_u64(&want, 0);
    gb_pad(&want, 32);
    const float w6[6] = {1, 2, 3, 4, 5, 6};
    static const uint32_t w6_bits[6] = {0x3f800000, 0x40000000, 0x40400000,
                                        0x40800000, 0x40a00000, 0x40c00000};
    for (int i = 0; i < 6; i++) gb_u32(&want, w6_bits[i]);
    gb_pad(&want, 32);

    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_set_string(w, "general.architecture", "llama"), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "x.n", 7), LLAMAC_OK);
    const char *strs[] = {"a", "bc"};
    assert_int_equal(llamac_gguf_writer_set_string_array(w, "x.s", strs, 2), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "w", LLAMAC_TYPE_F32, 2, (int64_t[]){2, 3},
                                                   w6, sizeof w6), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    size_t len;
    unsigned char *got = (unsigned char *)test_read_file(t->path, &len);
    assert_non_null(got);
    assert_int_equal(len, want.len);
    assert_memory_equal(got, want.p, len);
    free(got);
    gb_free(&want);
}

/* Re-writing an opened file (copy_kv + its tensors) reproduces it: the
 * hand-encoded reference file, nested array included, comes back with the
 * same metadata bytes and tensor bytes. */
static void copy_kv_reproduces_a_file(void **state) {
    tmpdir *t = *state;
    gbuf src = {0};
    gguf_build_valid(&src);
    llamac_gguf *g;
    assert_int_equal(llamac_gguf_open_memory(src.p, src.len, NULL, &g), LLAMAC_OK);
    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_copy_kv(w, g), LLAMAC_OK);
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info ti;
        assert_int_equal(llamac_gguf_tensor(g, i, &ti), LLAMAC_OK);
        assert_int_equal(llamac_gguf_writer_add_tensor(w, ti.name, ti.type, ti.n_dims, ti.ne,
                                                       ti.data, ti.n_bytes), LLAMAC_OK);
    }
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    size_t len;
    unsigned char *got = (unsigned char *)test_read_file(t->path, &len);
    assert_non_null(got);
    size_t data_off = gguf_valid_data_offset();
    assert_int_equal(len, src.len);
    assert_memory_equal(got, src.p, data_off); /* header, metadata, tensor table */
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info ti;
        llamac_gguf_tensor(g, i, &ti);
        assert_memory_equal(got + data_off + ti.offset, ti.data, ti.n_bytes);
    }
    free(got);
    llamac_gguf_free(g);
    gb_free(&src);
}

static void bad_tensors_are_refused(void **state) {
    (void)state;
    llamac_gguf_writer *w = test_new_writer();
    float x[64] = {0};
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_F32, 1, (int64_t[]){8}, x, 31),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "need 32"));
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_Q4_0, 1, (int64_t[]){33}, x, 18),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", (llamac_type)4, 1, (int64_t[]){32}, x, 18),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_F32, 0, (int64_t[]){8}, x, 32),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_F32, 5,
                                                   (int64_t[]){1, 1, 1, 1, 8}, x, 32),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_F32, 2, (int64_t[]){8, 0}, x, 0),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, "t", LLAMAC_TYPE_F32, 1, (int64_t[]){8}, NULL, 32),
                     LLAMAC_ERR_INVALID_ARG);
    char long_name[65];
    memset(long_name, 'n', 64);
    long_name[64] = '\0';
    assert_int_equal(llamac_gguf_writer_add_tensor(w, long_name, LLAMAC_TYPE_F32, 1, (int64_t[]){8}, x, 32),
                     LLAMAC_ERR_INVALID_ARG);
    long_name[63] = '\0'; /* 63 bytes is ggml's maximum */
    assert_int_equal(llamac_gguf_writer_add_tensor(w, long_name, LLAMAC_TYPE_F32, 1, (int64_t[]){8}, x, 32),
                     LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_add_tensor(w, long_name, LLAMAC_TYPE_F32, 1, (int64_t[]){8}, x, 32),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "duplicate"));
    llamac_gguf_writer_free(w);
}

static void bad_keys_and_values_are_refused(void **state) {
    (void)state;
    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_set_u32(w, "", 1), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_u32(w, NULL, 1), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "bad\xff", 1), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "UTF-8"));
    assert_int_equal(llamac_gguf_writer_set_u32(NULL, "k", 1), LLAMAC_ERR_INVALID_ARG);
    uint32_t two[2] = {1, 2};
    assert_int_equal(llamac_gguf_writer_set_value(w, "k", LLAMAC_GGUF_UINT32, false, two, 2),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_value(w, "k", LLAMAC_GGUF_STRING, false, two, 1),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_value(w, "k", (llamac_gguf_type)13, true, two, 2),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_string(w, "k", NULL), LLAMAC_ERR_INVALID_ARG);
    const char *strs[] = {"a", NULL};
    assert_int_equal(llamac_gguf_writer_set_string_array(w, "k", strs, 2), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_alignment(w, 48), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_writer_set_alignment(w, 0), LLAMAC_ERR_INVALID_ARG);
    llamac_gguf_writer_free(w);
}

static void alignment_key_of_wrong_type_fails_the_write(void **state) {
    tmpdir *t = *state;
    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_set_u64(w, "general.alignment", 64), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "UINT32"));
    assert_int_equal(count_entries(t->dir), 0);
    llamac_gguf_writer_free(w);
}

static void failed_write_leaves_nothing_behind(void **state) {
    tmpdir *t = *state;
    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_set_u32(w, "k", 1), LLAMAC_OK);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.gguf", t->dir);
    assert_int_equal(llamac_gguf_writer_write(w, bad), LLAMAC_ERR_IO);
    assert_non_null(strstr(llamac_last_error(), "no/such/dir"));
    assert_int_equal(count_entries(t->dir), 0);
    /* the writer stays usable and replaces an existing file atomically */
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_u32(w, "k", 2), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    assert_int_equal(count_entries(t->dir), 1);
    llamac_gguf *g;
    uint32_t k;
    assert_int_equal(llamac_gguf_open(t->path, NULL, &g), LLAMAC_OK);
    assert_int_equal(llamac_gguf_get_u32(g, "k", &k), LLAMAC_OK);
    assert_int_equal(k, 2);
    llamac_gguf_free(g);
    llamac_gguf_writer_free(w);
}

static void writer_memory_goes_through_the_allocator(void **state) {
    tmpdir *t = *state;
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_gguf_writer *w;
    assert_int_equal(llamac_gguf_writer_new(&a, &w), LLAMAC_OK);
    add_round_trip_content(w);
    assert_true(c.live > 0);
    assert_int_equal(llamac_gguf_writer_write(w, t->path), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    assert_int_equal(c.live, 0);
}

int main(void) {
    return run_cases_each(test_case_dir_setup, test_case_dir_teardown,
                          written_file_reads_back_identically,
                          writer_bytes_match_an_independent_encoding,
                          copy_kv_reproduces_a_file,
                          bad_tensors_are_refused,
                          bad_keys_and_values_are_refused,
                          alignment_key_of_wrong_type_fails_the_write,
                          failed_write_leaves_nothing_behind,
                          writer_memory_goes_through_the_allocator);
}
