/* The thread pool behind decode: every task runs once on every thread with
 * its own index, tasks never overlap, and work splitting covers each item
 * exactly once. */
#include "test_util.h"

#include "common/threadpool.h"

#include <stdatomic.h>
#include <string.h>

typedef struct tally {
    atomic_int hits[8];
    atomic_int running;
    atomic_int overlap;
    int nth_seen[8];
} tally;

static void count_task(void *arg, int ith, int nth) {
    tally *t = arg;
    if (atomic_fetch_add(&t->running, 1) >= nth) atomic_store(&t->overlap, 1);
    atomic_fetch_add(&t->hits[ith], 1);
    t->nth_seen[ith] = nth;
    atomic_fetch_sub(&t->running, 1);
}

static void every_thread_runs_every_task_once(void **state) {
    (void)state;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    for (int n = 1; n <= 4; n++) {
        lc_threadpool *pool;
        assert_int_equal(lc_threadpool_new(&env, n, &pool), LLAMAC_OK);
        assert_int_equal(lc_threadpool_size(pool), n);
        tally t;
        memset(&t, 0, sizeof t);
        const int runs = 500;
        for (int r = 0; r < runs; r++) lc_threadpool_run(pool, count_task, &t);
        for (int i = 0; i < n; i++) {
            assert_int_equal(atomic_load(&t.hits[i]), runs);
            assert_int_equal(t.nth_seen[i], n);
        }
        for (int i = n; i < 8; i++) assert_int_equal(atomic_load(&t.hits[i]), 0);
        assert_int_equal(atomic_load(&t.overlap), 0);
        lc_threadpool_free(pool);
    }
    lc_threadpool_free(NULL);
}

static void zero_threads_are_refused(void **state) {
    (void)state;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_threadpool *pool = (lc_threadpool *)&pool;
    assert_int_equal(lc_threadpool_new(&env, 0, &pool), LLAMAC_ERR_INVALID_ARG);
    assert_null(pool);
}

static void split_covers_each_item_once_in_order(void **state) {
    (void)state;
    for (int64_t n = 0; n < 40; n++) {
        for (int nth = 1; nth <= 7; nth++) {
            int64_t next = 0;
            for (int ith = 0; ith < nth; ith++) {
                int64_t b, e;
                lc_split_range(n, ith, nth, &b, &e);
                assert_int_equal(b, next);
                assert_true(e >= b && e - b <= n / nth + 1);
                next = e;
            }
            assert_int_equal(next, n);
        }
    }
}

int main(void) {
    return run_cases(NULL, NULL,
                     every_thread_runs_every_task_once,
                     zero_threads_are_refused,
                     split_covers_each_item_once_in_order);
}
