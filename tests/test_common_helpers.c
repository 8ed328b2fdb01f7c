/* The shared helpers of lib/common: growable arrays and byte buffers, the
 * message escaper, the params protocol, the CPU count. Expected values are
 * worked out by hand from each helper's contract. */
#include "test_util.h"

#include "common/buffer.h"
#include "common/escape.h"
#include "common/os.h"
#include "common/params.h"
#include "common/sort.h"

#include <stdlib.h>
#include <string.h>

static void *refuse_malloc(void *u, size_t n) { (void)u; (void)n; return NULL; }
static void *refuse_realloc(void *u, void *p, size_t n) { (void)u; (void)p; (void)n; return NULL; }
static void plain_free(void *u, void *p) { (void)u; free(p); }

static void grow_doubles_and_reserve_is_exact(void **state) {
    (void)state;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(lc_grow(&env, &a, &cap, 1, sizeof *a), LLAMAC_OK);
    assert_int_equal(cap, 16); /* the first growth */
    assert_int_equal(lc_grow(&env, &a, &cap, 17, sizeof *a), LLAMAC_OK);
    assert_int_equal(cap, 32); /* twice the old capacity */
    assert_int_equal(lc_grow(&env, &a, &cap, 100, sizeof *a), LLAMAC_OK);
    assert_int_equal(cap, 100); /* n itself when more than twice */
    assert_int_equal(lc_reserve(&env, &a, &cap, 101, sizeof *a), LLAMAC_OK);
    assert_int_equal(cap, 101);
    assert_int_equal(lc_reserve(&env, &a, &cap, 50, sizeof *a), LLAMAC_OK);
    assert_int_equal(cap, 101); /* never shrinks */
    a[100] = 7;
    int *before = a;
    assert_int_equal(lc_reserve(&env, &a, &cap, SIZE_MAX / 2, sizeof *a), LLAMAC_ERR_NO_MEMORY);
    assert_ptr_equal(a, before); /* a failure leaves the array as it was */
    assert_int_equal(cap, 101);
    lc_free(&env, a);
}

static void a_refused_growth_keeps_the_array(void **state) {
    (void)state;
    llamac_allocator refuse = {refuse_malloc, refuse_realloc, plain_free, NULL};
    lc_env env;
    lc_env_init(&env, &refuse, NULL, NULL);
    lc_bytes b = {0};
    assert_int_equal(lc_bytes_append(&env, &b, "x", 1), LLAMAC_ERR_NO_MEMORY);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void bytes_keep_a_nul_and_entries_count_theirs(void **state) {
    (void)state;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_bytes b = {0};
    assert_int_equal(lc_bytes_append(&env, &b, "abc", 3), LLAMAC_OK);
    assert_int_equal(lc_bytes_append(&env, &b, "de", 2), LLAMAC_OK);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "abcde");
    lc_bytes_consume(&b, 2);
    assert_string_equal(b.data, "cde");
    lc_bytes arena = {0};
    size_t off1, off2;
    assert_int_equal(lc_bytes_add_entry(&env, &arena, "key", 3, &off1), LLAMAC_OK);
    assert_int_equal(lc_bytes_add_entry(&env, &arena, "", 0, &off2), LLAMAC_OK);
    assert_int_equal(off1, 0);
    assert_int_equal(off2, 4); /* after "key" and its NUL */
    assert_string_equal(arena.data + off1, "key");
    assert_string_equal(arena.data + off2, "");
    assert_int_equal(arena.len, 5);
    lc_free(&env, b.data);
    lc_free(&env, arena.data);
}

static void escape_keeps_printable_ascii_and_cuts_long_input(void **state) {
    (void)state;
    char out[64];
    assert_string_equal(lc_escape(out, sizeof out, "a'b\\c\n\xff", 7), "a\\x27b\\x5cc\\x0a\\xff");
    char small[16];
    /* 16 bytes: a character goes in while 8 bytes stay free after it (room
     * for one more \xNN or the cut mark), so 8 do, then "...". */
    assert_string_equal(lc_escape(small, sizeof small, "0123456789", 10), "01234567...");
    assert_string_equal(lc_escape(small, sizeof small, "", 0), "");
}

typedef struct demo_params {
    size_t struct_size;
    int a, b;
} demo_params;

static void params_fill_defaults_and_refuse_newer_headers(void **state) {
    (void)state;
    static const demo_params defaults = {.a = 1, .b = 2};
    demo_params p;
    memset(&p, 0xAB, sizeof p);
    lc_params_init(&p, sizeof p, &defaults, sizeof defaults);
    assert_int_equal(p.struct_size, sizeof p);
    assert_int_equal(p.a, 1);
    assert_int_equal(p.b, 2);
    /* An older caller knew struct_size and a only: b keeps its default. */
    demo_params older = {.struct_size = offsetof(demo_params, b), .a = 5, .b = 99};
    demo_params full = defaults;
    assert_int_equal(lc_params_read(&full, sizeof full, &older, "demo_new", "demo"), LLAMAC_OK);
    assert_int_equal(full.struct_size, sizeof full);
    assert_int_equal(full.a, 5);
    assert_int_equal(full.b, 2);
    demo_params newer = {.struct_size = sizeof newer + 8};
    assert_int_equal(lc_params_read(&full, sizeof full, &newer, "demo_new", "demo"), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "demo_new: demo_params.struct_size"));
    assert_non_null(strstr(llamac_last_error(), "demo_default_params()"));
    assert_int_equal(lc_params_read(&full, sizeof full, NULL, "demo_new", "demo"), LLAMAC_OK);
}

static void cpu_count_stays_in_range(void **state) {
    (void)state;
    assert_int_equal(lc_cpu_count(1), 1);
    int n = lc_cpu_count(4096);
    assert_true(n >= 1 && n <= 4096);
    char buf[128];
    assert_true(strlen(lc_errno_text(2 /* ENOENT */, buf, sizeof buf)) > 0);
}

typedef struct keyed { int key, tag; } keyed;
static bool keyed_less(const void *x, const void *y) {
    const keyed *a = x, *b = y;
    return a->key != b->key ? a->key < b->key : a->tag < b->tag;
}

/* Expected orders worked by hand. */
static void heapsort_orders_any_input_in_place(void **state) {
    (void)state;
    keyed v[] = {{5, 0}, {1, 1}, {4, 2}, {1, 0}, {9, 3}, {-2, 4}, {4, 1}};
    lc_heapsort(v, 7, sizeof v[0], keyed_less);
    const keyed want[] = {{-2, 4}, {1, 0}, {1, 1}, {4, 1}, {4, 2}, {5, 0}, {9, 3}};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(v[i].key, want[i].key);
        assert_int_equal(v[i].tag, want[i].tag);
    }
    keyed one = {3, 3};
    lc_heapsort(&one, 1, sizeof one, keyed_less); /* n = 1 and n = 0 are no-ops */
    lc_heapsort(NULL, 0, sizeof one, keyed_less);
    assert_int_equal(one.key, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grow_doubles_and_reserve_is_exact),
        cmocka_unit_test(a_refused_growth_keeps_the_array),
        cmocka_unit_test(bytes_keep_a_nul_and_entries_count_theirs),
        cmocka_unit_test(escape_keeps_printable_ascii_and_cuts_long_input),
        cmocka_unit_test(params_fill_defaults_and_refuse_newer_headers),
        cmocka_unit_test(cpu_count_stays_in_range),
        cmocka_unit_test(heapsort_orders_any_input_in_place),
    };
    return run_test_group(tests, NULL, NULL);
}
