/* Persistent pthread workers; see threadpool.h. Workers sleep on a condition
 * variable between tasks (no spinning: the machine may be shared). */
#include "threadpool.h"

#include <pthread.h>

typedef struct worker {
    lc_threadpool *pool;
    pthread_t thread;
    int ith;
} worker;

struct lc_threadpool {
    const lc_env *env;
    int n_threads;
    worker *workers; /* n_threads - 1 entries; worker i runs as ith = i + 1 */
    int n_started;

    pthread_mutex_t mutex;
    pthread_cond_t start; /* generation changed or quitting */
    pthread_cond_t done;  /* pending reached zero */
    uint64_t generation;  /* bumped once per task */
    int pending;          /* workers still running the current task */
    bool quit;
    lc_task_fn task;
    void *arg;
};

static void *worker_main(void *p) {
    worker *w = p;
    lc_threadpool *pool = w->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        while (pool->generation == seen && !pool->quit) pthread_cond_wait(&pool->start, &pool->mutex);
        if (pool->quit) break;
        seen = pool->generation;
        lc_task_fn task = pool->task;
        void *arg = pool->arg;
        pthread_mutex_unlock(&pool->mutex);

        task(arg, w->ith, pool->n_threads);

        pthread_mutex_lock(&pool->mutex);
        if (--pool->pending == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

static void stop_workers(lc_threadpool *pool) {
    pthread_mutex_lock(&pool->mutex);
    pool->quit = true;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 0; i < pool->n_started; i++) pthread_join(pool->workers[i].thread, NULL);
    pool->n_started = 0;
}

llamac_status lc_threadpool_new(const lc_env *env, int n_threads, lc_threadpool **out) {
    *out = NULL;
    if (n_threads < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "thread pool: n_threads is %d, expected at least 1", n_threads);
    lc_threadpool *pool = lc_calloc(env, 1, sizeof *pool);
    if (!pool) return LLAMAC_ERR_NO_MEMORY;
    pool->env = env;
    pool->n_threads = n_threads;
    if (n_threads > 1) {
        pool->workers = lc_calloc(env, (size_t)n_threads - 1, sizeof *pool->workers);
        if (!pool->workers) {
            lc_free(env, pool);
            return LLAMAC_ERR_NO_MEMORY;
        }
    }
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&pool->start, NULL) != 0) goto fail_start;
    if (pthread_cond_init(&pool->done, NULL) != 0) goto fail_done;
    for (int i = 0; i < n_threads - 1; i++) {
        worker *w = &pool->workers[i];
        w->pool = pool;
        w->ith = i + 1;
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            stop_workers(pool);
            pthread_cond_destroy(&pool->done);
            pthread_cond_destroy(&pool->start);
            pthread_mutex_destroy(&pool->mutex);
            lc_free(env, pool->workers);
            lc_free(env, pool);
            return lc_fail(LLAMAC_ERR_NO_MEMORY, "thread pool: starting worker %d of %d failed (pthread_create error %d)",
                           i + 1, n_threads - 1, rc);
        }
        pool->n_started++;
    }
    *out = pool;
    return LLAMAC_OK;

fail_done:
    pthread_cond_destroy(&pool->start);
fail_start:
    pthread_mutex_destroy(&pool->mutex);
fail_mutex:
    lc_free(env, pool->workers);
    lc_free(env, pool);
    return lc_fail(LLAMAC_ERR_NO_MEMORY, "thread pool: cannot create synchronization objects");
}

void lc_threadpool_free(lc_threadpool *pool) {
    if (!pool) return;
    stop_workers(pool);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->start);
    pthread_mutex_destroy(&pool->mutex);
    const lc_env *env = pool->env;
    lc_free(env, pool->workers);
    lc_free(env, pool);
}

int lc_threadpool_size(const lc_threadpool *pool) { return pool->n_threads; }

void lc_threadpool_run(lc_threadpool *pool, lc_task_fn task, void *arg) {
    if (pool->n_threads == 1) {
        task(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool->mutex);
    pool->task = task;
    pool->arg = arg;
    pool->pending = pool->n_threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->mutex);

    task(arg, 0, pool->n_threads);

    pthread_mutex_lock(&pool->mutex);
    while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
}
