/* Version, status names, error messages, allocator hooks. */
#include "test_alloc.h"
#include "test_util.h"

#include "common/internal.h"

#include <string.h>

static void version_macros_match_library(void **state) {
    (void)state;
    assert_string_equal(llamac_version(), LLAMAC_VERSION_STRING);
    assert_int_equal(llamac_version_number(), LLAMAC_VERSION_NUMBER);
}

static void every_status_has_a_name(void **state) {
    (void)state;
    for (int s = LLAMAC_OK; s <= LLAMAC_ERR_LIMIT; s++)
        assert_string_not_equal(llamac_status_name((llamac_status)s), "LLAMAC_ERR_UNKNOWN");
    assert_string_equal(llamac_status_name((llamac_status)999), "LLAMAC_ERR_UNKNOWN");
}

static void failure_message_is_thread_local_and_prefixable(void **state) {
    (void)state;
    assert_int_equal(lc_fail(LLAMAC_ERR_FORMAT, "bad byte at offset %d", 17), LLAMAC_ERR_FORMAT);
    assert_string_equal(llamac_last_error(), "bad byte at offset 17");
    lc_error_prefix("reading %s", "x.gguf");
    assert_string_equal(llamac_last_error(), "reading x.gguf: bad byte at offset 17");
}

static void caller_allocator_sees_every_allocation(void **state) {
    (void)state;
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    lc_env env;
    lc_env_init(&env, &a, NULL, NULL);
    void *p = lc_malloc(&env, 10);
    void *q = lc_malloc_aligned(&env, 100, 64);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 64, 0);
    assert_int_equal(c.live, 2);
    lc_free(&env, p);
    lc_free_aligned(&env, q);
    assert_int_equal(c.live, 0);
    c.fail_after = 0;
    assert_null(lc_malloc(&env, 10));
    assert_non_null(strstr(llamac_last_error(), "out of memory"));
    assert_null(lc_calloc(&env, SIZE_MAX, 2));
}

int main(void) {
    return run_cases(NULL, NULL,
                     version_macros_match_library,
                     every_status_has_a_name,
                     failure_message_is_thread_local_and_prefixable,
                     caller_allocator_sees_every_allocation);
}
