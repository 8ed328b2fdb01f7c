/* Persistent worker threads owned by a context.
 *
 * A pool of n threads runs one task at a time on all of them at once: the
 * calling thread is worker 0 and n-1 pthreads are the others. Threads are
 * created with the pool and joined when it is freed, so a decode never pays
 * for thread creation. Work is split by the task itself from (ith, nth);
 * callers split by output rows or heads so that every result element is
 * computed by exactly one thread with the same arithmetic whatever nth is. */
#ifndef LLAMAC_THREADPOOL_H
#define LLAMAC_THREADPOOL_H

#include "internal.h"

typedef struct lc_threadpool lc_threadpool;

/* Runs on every thread of the pool: ith in [0, nth). */
typedef void (*lc_task_fn)(void *arg, int ith, int nth);

/* Starts n_threads - 1 workers (n_threads >= 1). Memory comes from env,
 * which must outlive the pool. */
llamac_status lc_threadpool_new(const lc_env *env, int n_threads, lc_threadpool **out);
/* Stops and joins the workers. NULL is a no-op. */
void lc_threadpool_free(lc_threadpool *pool);
int lc_threadpool_size(const lc_threadpool *pool);
/* Runs task(arg, ith, nth) on all threads and returns when every one has
 * finished. Not reentrant: a task must not call run on the same pool. */
void lc_threadpool_run(lc_threadpool *pool, lc_task_fn task, void *arg);

/* The contiguous share [*begin, *end) of n items that thread ith of nth
 * takes; shares differ in size by at most one and cover [0, n) in order. */
static inline void lc_split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    int64_t base = n / nth, extra = n % nth;
    *begin = ith * base + LC_MIN((int64_t)ith, extra);
    *end = *begin + base + (ith < extra ? 1 : 0);
}

#endif
