/* GGUF reader: every malformed case is refused with a precise message and
 * without oversized allocations or leaks; a valid file exposes every value
 * type, the tensor table and the data exactly as encoded. */
#include "test_alloc.h"
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"
#include "test_gguf_cases.h"

#include <float.h>
#include <string.h>
#include <unistd.h>

static void run_bad_case(void **state) {
    const gguf_case *bc = *state;
    gbuf b = {0};
    bc->build(&b);
    /* An exact-size copy, so any read past the end hits ASan's redzone. */
    unsigned char *copy = malloc(b.len ? b.len : 1);
    assert_non_null(copy);
    if (b.len) memcpy(copy, b.p, b.len);
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_gguf_params p = llamac_gguf_default_params();
    p.allocator = &a;
    llamac_gguf *g = (llamac_gguf *)&c; /* must be overwritten with NULL */
    llamac_status st = llamac_gguf_open_memory(copy, b.len, &p, &g);
    const char *msg = llamac_last_error();
    if (st != bc->status || !strstr(msg, bc->message))
        fail_msg("%s: got %s '%s', expected %s with '%s'", bc->name, llamac_status_name(st), msg,
                 llamac_status_name(bc->status), bc->message);
    assert_null(g);
    assert_null(strchr(msg, '\n'));
    assert_int_equal(c.live, 0);
    /* Counts are checked against the file before allocating for them. */
    assert_true(c.largest <= 4096 + 16 * b.len);
    free(copy);
    gb_free(&b);
}

/* ---- the valid file ---- */

typedef struct opened {
    gbuf bytes;
    llamac_gguf *g;
} opened;

static int open_valid(void **state) {
    opened *o = calloc(1, sizeof *o);
    if (!o) return -1;
    gguf_build_valid(&o->bytes);
    if (llamac_gguf_open_memory(o->bytes.p, o->bytes.len, NULL, &o->g)) {
        fprintf(stderr, "valid file refused: %s\n", llamac_last_error());
        return -1;
    }
    *state = o;
    return 0;
}

static int close_valid(void **state) {
    opened *o = *state;
    llamac_gguf_free(o->g);
    gb_free(&o->bytes);
    free(o);
    return 0;
}

static void header_fields_are_read(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    assert_int_equal(llamac_gguf_version(g), 3);
    assert_int_equal(llamac_gguf_alignment(g), 32);
    assert_int_equal(llamac_gguf_n_kv(g), GGUF_VALID_N_KV);
    assert_int_equal(llamac_gguf_n_tensors(g), GGUF_VALID_N_TENSORS);
    assert_int_equal(llamac_gguf_data_offset(g), gguf_valid_data_offset());
    assert_int_equal(llamac_gguf_data_offset(g) % 32, 0);
}

static void keys_keep_file_order_and_types(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    assert_string_equal(llamac_gguf_key(g, 0), "general.architecture");
    assert_int_equal(llamac_gguf_kv_type(g, 0), LLAMAC_GGUF_STRING);
    assert_string_equal(llamac_gguf_key(g, 1), "test.u8");
    assert_int_equal(llamac_gguf_kv_type(g, 1), LLAMAC_GGUF_UINT8);
    assert_int_equal(llamac_gguf_kv_type(g, 12), LLAMAC_GGUF_ARRAY);
    assert_null(llamac_gguf_key(g, GGUF_VALID_N_KV));
    assert_null(llamac_gguf_key(g, -1));
    assert_int_equal(llamac_gguf_kv_type(g, GGUF_VALID_N_KV), (llamac_gguf_type)-1);
    for (int64_t i = 0; i < llamac_gguf_n_kv(g); i++)
        assert_int_equal(llamac_gguf_find_key(g, llamac_gguf_key(g, i)), i);
    assert_int_equal(llamac_gguf_find_key(g, "test.u"), -1);
    assert_int_equal(llamac_gguf_find_key(g, "missing"), -1);
    assert_int_equal(llamac_gguf_find_key(g, NULL), -1);
}

static void every_scalar_type_reads_back(void **state) {
    static const gguf_key_value want[] = {
        {"test.u8", GK_U32, .i = 200},
        {"test.i8", GK_I32, .i = -100},
        {"test.u16", GK_U32, .i = 60000},
        {"test.i16", GK_I32, .i = -30000},
        {"test.u32", GK_U32, .i = 4000000000u},
        {"test.i32", GK_I32, .i = -2000000000},
        {"test.u64", GK_U64, .u = ((uint64_t)1 << 40) + 3},
        {"test.i64", GK_I64, .i = -((int64_t)1 << 40)},
        {"test.f32", GK_F32, .f = 1.5f},
        {"test.f64", GK_F64, .d = -2.25},
        {"test.bool", GK_BOOL, .i = 1},
        {"test.name", GK_STR, .s = "h\xc3\xa9llo"}, /* 6 bytes */
        {"general.architecture", GK_STR, .s = "llama"},
    };
    assert_gguf_keys(((opened *)*state)->g, want, N_ELEMS(want));
}

static void integer_getters_convert_only_when_the_value_fits(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    int64_t i64;
    uint64_t u64;
    int32_t i32 = 7;
    uint32_t u32 = 7;
    assert_int_equal(llamac_gguf_get_i64(g, "test.u32", &i64), LLAMAC_OK);
    assert_int_equal(i64, 4000000000);
    assert_int_equal(llamac_gguf_get_u64(g, "test.u8", &u64), LLAMAC_OK);
    assert_int_equal(u64, 200);
    assert_int_equal(llamac_gguf_get_i32(g, "test.u32", &i32), LLAMAC_ERR_TYPE);
    assert_non_null(strstr(llamac_last_error(), "4000000000"));
    assert_int_equal(i32, 7);
    assert_int_equal(llamac_gguf_get_u32(g, "test.i8", &u32), LLAMAC_ERR_TYPE);
    assert_int_equal(u32, 7);
    assert_int_equal(llamac_gguf_get_u64(g, "test.i64", &u64), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_u32(g, "test.u64", &u32), LLAMAC_ERR_TYPE);
    /* non-integers are not integers */
    assert_int_equal(llamac_gguf_get_u32(g, "test.bool", &u32), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_u32(g, "test.f32", &u32), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_u32(g, "test.name", &u32), LLAMAC_ERR_TYPE);
    assert_non_null(strstr(llamac_last_error(), "holds STRING"));
    assert_int_equal(u32, 7);
    /* out may be NULL to test a key */
    assert_int_equal(llamac_gguf_get_u32(g, "test.u16", NULL), LLAMAC_OK);
}

static void getters_report_missing_keys_and_wrong_types(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    float f = 3;
    bool b = false;
    const char *s = "untouched";
    assert_int_equal(llamac_gguf_get_f32(g, "nope", &f), LLAMAC_ERR_NOT_FOUND);
    assert_non_null(strstr(llamac_last_error(), "'nope'"));
    assert_true(f == 3);
    assert_int_equal(llamac_gguf_get_f32(g, "test.u32", &f), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_bool(g, "test.u8", &b), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_string(g, "test.strings", &s, NULL), LLAMAC_ERR_TYPE);
    assert_string_equal(s, "untouched");
    assert_int_equal(llamac_gguf_get_array(g, "test.name", NULL, NULL, NULL), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_array_string(g, "test.u32s", 0, &s, NULL), LLAMAC_ERR_TYPE);
    assert_int_equal(llamac_gguf_get_u32(NULL, "x", NULL), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_get_u32(g, NULL, NULL), LLAMAC_ERR_INVALID_ARG);
}

static void float_getters_accept_both_widths(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    float f;
    double d;
    assert_int_equal(llamac_gguf_get_f32(g, "test.f64", &f), LLAMAC_OK);
    assert_true(f == -2.25f);
    assert_int_equal(llamac_gguf_get_f64(g, "test.f32", &d), LLAMAC_OK);
    assert_true(d == 1.5);
}

static void arrays_expose_packed_elements(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    const unsigned char *bytes = assert_gguf_array(g, "test.u32s", LLAMAC_GGUF_UINT32, 4);
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t v;
        memcpy(&v, bytes + 4 * i, 4); /* the test host is little-endian */
        assert_int_equal(v, i + 1);
    }
    assert_null(assert_gguf_array(g, "test.strings", LLAMAC_GGUF_STRING, 3));
    assert_null(assert_gguf_array(g, "test.nested", LLAMAC_GGUF_ARRAY, 2));
}

static void string_array_elements_are_nul_terminated_and_keep_length(void **state) {
    const llamac_gguf *g = ((opened *)*state)->g;
    const char *s;
    uint64_t len;
    assert_gguf_array_string(g, "test.strings", 0, "alpha", 5);
    assert_gguf_array_string(g, "test.strings", 1, "", 0);
    assert_gguf_array_string(g, "test.strings", 2, "x\0y", 3); /* embedded NUL kept, terminator added */
    assert_int_equal(llamac_gguf_get_array_string(g, "test.strings", 3, &s, &len),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "index 3"));
}

static void tensor_table_matches_the_encoded_file(void **state) {
    opened *o = *state;
    const llamac_gguf *g = o->g;
    static const struct {
        const char *name;
        uint32_t n_dims;
        int64_t ne[4];
        llamac_type type;
        uint64_t offset, n_bytes;
    } want[] = {
        {"a", 1, {8, 1, 1, 1}, LLAMAC_TYPE_F32, 0, 32},
        {"b", 2, {32, 2, 1, 1}, LLAMAC_TYPE_Q8_0, 32, 68},
        {"c", 2, {4, 3, 1, 1}, LLAMAC_TYPE_F16, 128, 24},
    };
    size_t data_off = gguf_valid_data_offset();
    for (int64_t i = 0; i < 3; i++) {
        llamac_tensor_info t;
        assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
        assert_string_equal(t.name, want[i].name);
        assert_int_equal(t.n_dims, want[i].n_dims);
        assert_memory_equal(t.ne, want[i].ne, sizeof t.ne);
        assert_int_equal(t.type, want[i].type);
        assert_int_equal(t.offset, want[i].offset);
        assert_int_equal(t.n_bytes, want[i].n_bytes);
        assert_ptr_equal(t.data, o->bytes.p + data_off + t.offset);
        const unsigned char *d = t.data;
        assert_int_equal(d[0], (uint8_t)(t.offset * 7 + 1));
        assert_int_equal(llamac_gguf_find_tensor(g, want[i].name), i);
    }
    llamac_tensor_info t;
    assert_int_equal(llamac_gguf_tensor(g, 3, &t), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_tensor(g, -1, &t), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_find_tensor(g, "d"), -1);
}

/* ---- files on disk and params ---- */

static char *write_temp(const gbuf *b) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/llamac-test-gguf-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, b->p, b->len) != (ssize_t)b->len) return NULL;
    close(fd);
    return path;
}

static void mapped_and_read_files_agree(void **state) {
    (void)state;
    gbuf b = {0};
    gguf_build_valid(&b);
    char *path = write_temp(&b);
    assert_non_null(path);
    llamac_gguf *m, *r;
    llamac_gguf_params p = llamac_gguf_default_params();
    assert_int_equal(llamac_gguf_open(path, &p, &m), LLAMAC_OK);
    p.use_mmap = false;
    assert_int_equal(llamac_gguf_open(path, &p, &r), LLAMAC_OK);
    assert_int_equal(llamac_gguf_n_kv(m), llamac_gguf_n_kv(r));
    for (int64_t i = 0; i < llamac_gguf_n_tensors(m); i++) {
        llamac_tensor_info tm, tr;
        assert_int_equal(llamac_gguf_tensor(m, i, &tm), LLAMAC_OK);
        assert_int_equal(llamac_gguf_tensor(r, i, &tr), LLAMAC_OK);
        assert_int_equal(tm.n_bytes, tr.n_bytes);
        assert_memory_equal(tm.data, tr.data, tm.n_bytes);
        assert_memory_equal(tm.data, b.p + gguf_valid_data_offset() + tm.offset, tm.n_bytes);
    }
    llamac_gguf_free(m);
    llamac_gguf_free(r);
    unlink(path);
    gb_free(&b);
}

static void file_errors_name_the_path(void **state) {
    (void)state;
    gbuf b = {0};
    gguf_build_valid(&b);
    b.p[0] = 'X';
    char *path = write_temp(&b);
    assert_non_null(path);
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open(path, NULL, &g), LLAMAC_ERR_FORMAT);
    assert_null(g);
    assert_non_null(strstr(llamac_last_error(), path));
    assert_non_null(strstr(llamac_last_error(), "bad magic"));
    unlink(path);
    assert_int_equal(llamac_gguf_open(path, NULL, &g), LLAMAC_ERR_IO);
    assert_non_null(strstr(llamac_last_error(), path));
    assert_int_equal(llamac_gguf_open("/tmp", NULL, &g), LLAMAC_ERR_IO);
    assert_non_null(strstr(llamac_last_error(), "not a regular file"));
    gb_free(&b);
}

static void params_from_a_newer_header_are_refused(void **state) {
    (void)state;
    gbuf b = {0};
    gguf_build_valid(&b);
    struct {
        llamac_gguf_params p;
        int added_later;
    } bigger;
    llamac_gguf_params_init(&bigger.p, sizeof bigger);
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open_memory(b.p, b.len, &bigger.p, &g), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "struct_size"));
    /* an older, smaller struct gets defaults for what it lacks */
    llamac_gguf_params older;
    llamac_gguf_params_init(&older, sizeof(size_t) + sizeof(bool));
    assert_int_equal(llamac_gguf_open_memory(b.p, b.len, &older, &g), LLAMAC_OK);
    llamac_gguf_free(g);
    gb_free(&b);
}

static void null_arguments_are_rejected(void **state) {
    (void)state;
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open(NULL, NULL, &g), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_open("x", NULL, NULL), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_open_memory(NULL, 10, NULL, &g), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_gguf_n_kv(NULL), 0);
    assert_int_equal(llamac_gguf_find_tensor(NULL, "a"), -1);
    llamac_gguf_free(NULL);
}

/* The built bytes opened in memory with default parameters (must succeed). */
static llamac_gguf *open_built(const gbuf *b) {
    llamac_gguf *g = NULL;
    llamac_status st = llamac_gguf_open_memory(b->p, b->len, NULL, &g);
    if (st != LLAMAC_OK) fail_msg("open: %s (%s)", llamac_status_name(st), llamac_last_error());
    return g;
}

static void f64_beyond_float_range_is_not_a_float32(void **state) {
    (void)state;
    gbuf b = {0};
    gb_bytes(&b, "GGUF", 4), gb_u32(&b, 2), gb_u64(&b, 0), gb_u64(&b, 1); /* v2 works too */
    gb_str(&b, "huge"), gb_u32(&b, LLAMAC_GGUF_FLOAT64), gb_u64(&b, 0x7e37e43c8800759cu); /* 1e300 */
    llamac_gguf *g = open_built(&b);
    assert_int_equal(llamac_gguf_version(g), 2);
    double d;
    float f = 1;
    assert_int_equal(llamac_gguf_get_f64(g, "huge", &d), LLAMAC_OK);
    assert_true(d == 1e300);
    assert_int_equal(llamac_gguf_get_f32(g, "huge", &f), LLAMAC_ERR_TYPE);
    assert_true(f == 1);
    llamac_gguf_free(g);
    gb_free(&b);
}

static void custom_alignment_places_the_data_section(void **state) {
    (void)state;
    gbuf b = {0};
    gb_bytes(&b, "GGUF", 4), gb_u32(&b, 3), gb_u64(&b, 1), gb_u64(&b, 1);
    gb_str(&b, "general.alignment"), gb_u32(&b, LLAMAC_GGUF_UINT32), gb_u32(&b, 256);
    gb_str(&b, "t"), gb_u32(&b, 1), gb_u64(&b, 4), gb_u32(&b, LLAMAC_TYPE_F32), gb_u64(&b, 0);
    gb_pad(&b, 256);
    gb_u32(&b, 0x3f800000u), gb_u32(&b, 0), gb_u32(&b, 0), gb_u32(&b, 0);
    llamac_gguf *g = open_built(&b);
    assert_int_equal(llamac_gguf_alignment(g), 256);
    assert_int_equal(llamac_gguf_data_offset(g), 256);
    llamac_tensor_info t;
    assert_int_equal(llamac_gguf_tensor(g, 0, &t), LLAMAC_OK);
    float one;
    memcpy(&one, t.data, 4);
    assert_true(one == 1.0f);
    llamac_gguf_free(g);
    gb_free(&b);
}

static void tensorless_file_may_end_without_padding(void **state) {
    (void)state;
    gbuf b = {0};
    gb_bytes(&b, "GGUF", 4), gb_u32(&b, 3), gb_u64(&b, 0), gb_u64(&b, 1);
    gb_str(&b, "k"), gb_u32(&b, LLAMAC_GGUF_UINT8), gb_u8(&b, 5); /* 38 bytes, not aligned */
    llamac_gguf *g = open_built(&b);
    assert_int_equal(llamac_gguf_data_offset(g), 38);
    assert_int_equal(llamac_gguf_n_tensors(g), 0);
    llamac_gguf_free(g);
    gb_free(&b);
}

int main(void) {
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(header_fields_are_read, open_valid, close_valid),
        cmocka_unit_test_setup_teardown(keys_keep_file_order_and_types, open_valid, close_valid),
        cmocka_unit_test_setup_teardown(every_scalar_type_reads_back, open_valid, close_valid),
        cmocka_unit_test_setup_teardown(integer_getters_convert_only_when_the_value_fits, open_valid,
                                        close_valid),
        cmocka_unit_test_setup_teardown(getters_report_missing_keys_and_wrong_types, open_valid,
                                        close_valid),
        cmocka_unit_test_setup_teardown(float_getters_accept_both_widths, open_valid, close_valid),
        cmocka_unit_test_setup_teardown(arrays_expose_packed_elements, open_valid, close_valid),
        cmocka_unit_test_setup_teardown(string_array_elements_are_nul_terminated_and_keep_length,
                                        open_valid, close_valid),
        cmocka_unit_test_setup_teardown(tensor_table_matches_the_encoded_file, open_valid, close_valid),
        cmocka_unit_test(mapped_and_read_files_agree),
        cmocka_unit_test(file_errors_name_the_path),
        cmocka_unit_test(params_from_a_newer_header_are_refused),
        cmocka_unit_test(null_arguments_are_rejected),
        cmocka_unit_test(f64_beyond_float_range_is_not_a_float32),
        cmocka_unit_test(custom_alignment_places_the_data_section),
        cmocka_unit_test(tensorless_file_may_end_without_padding),
    };
    size_t n_fixed = sizeof fixed / sizeof fixed[0], n = n_fixed + gguf_n_bad_cases;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (!tests) return 1;
    memcpy(tests, fixed, sizeof fixed);
    /* One named test per malformed case (names in test_gguf_cases.c). */
    for (size_t i = 0; i < gguf_n_bad_cases; i++) {
        tests[n_fixed + i].name = gguf_bad_cases[i].name;
        tests[n_fixed + i].test_func = run_bad_case;
        tests[n_fixed + i].initial_state = (void *)&gguf_bad_cases[i];
    }
    int rc = test_exit_status(_cmocka_run_group_tests("gguf_read", tests, n, NULL, NULL));
    free(tests);
    return rc;
}
