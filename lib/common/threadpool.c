/* Persistent pthread workers; see threadpool.h.
 *
 * A decode runs a few tasks per layer, each often shorter than a condition
 * variable wake-up (tens of microseconds, more in a VM), so both sides
 * first poll an atomic and only then sleep on the condition variable. The
 * poll lasts up to YIELD_NS of wall time (yielding the CPU after SPIN_NS,
 * see spin_until): long enough to bridge the serial steps between two
 * tasks of one decode, short enough that a pool idle between decodes gives
 * its CPUs back within a millisecond. Measured on tinyllama-1.1b Q4_0 with 2
 * threads, the former 4096-poll bound put about 8% of generation time in
 * futex wake-ups.
 *
 * Hand-over protocol:
 *   start: the caller writes task/arg and `pending`, then bumps `generation`
 *          (release); a worker that sees the new generation (acquire) reads
 *          task/arg. Sleepers are counted under the mutex, and the caller
 *          broadcasts under the mutex after the bump, so a worker that
 *          checked the generation under the mutex cannot miss it.
 *   done:  each worker decrements `pending` (acq_rel); the last one signals
 *          under the mutex if the caller announced (under the mutex, after
 *          re-checking `pending`) that it sleeps. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getcpu, CPU_SET, pthread_{get,set}affinity_np: see steer_workers */
#endif
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* Wall time a waiting thread polls with `pause` alone, then with
 * sched_yield between polls, before it sleeps. */
#define SPIN_NS 50000
#define YIELD_NS 1000000
/* Polls between two looks at the clock. */
#define POLLS_PER_CLOCK 64

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls until done(arg) holds or YIELD_NS passes; returns done(arg). After
 * SPIN_NS each poll also yields the CPU: when the machine has more runnable
 * threads than cores (a game's own threads, other processes), the thread
 * this one waits for may be the one that needs this core, and a pure spin
 * would burn the time slice it is waiting for (measured: 2-thread
 * generation fell to a quarter of 1-thread speed on a loaded 2-core VM). */
static bool spin_until(bool (*done)(void *), void *arg) {
    const int64_t start = now_ns();
    bool yielding = false;
    for (;;) {
        for (int i = 0; i < POLLS_PER_CLOCK; i++) {
            if (done(arg)) return true;
            if (yielding) sched_yield();
            else cpu_relax();
        }
        const int64_t waited = now_ns() - start;
        if (waited >= YIELD_NS) return done(arg);
        yielding = waited >= SPIN_NS;
    }
}

typedef struct worker {
    lc_threadpool *pool;
    pthread_t thread;
    int ith;
#ifdef __linux__
    cpu_set_t home;      /* the CPUs it may run on: its creator's, read before it starts */
    bool has_home;
    atomic_bool steered; /* its mask is `home` minus the caller's CPU until it restores it */
#endif
} worker;

struct lc_threadpool {
    const lc_env *env;
    int n_threads;
    worker *workers; /* n_threads - 1 entries (any of them may run any part but 0) */
    int n_started;

    atomic_uint_fast64_t generation; /* bumped once per task */
    /* The parts of the current task not yet taken: the task's generation
     * (low 32 bits) above the next part index. A part runs on whichever
     * thread takes it first, so a worker that wakes late (a sleeping
     * thread can take milliseconds to run again in a VM) leaves its part
     * to the caller instead of making the caller wait. A part computes the
     * same values on any thread (task(arg, part, n) depends on the part,
     * not on who runs it), so results are unchanged. */
    atomic_uint_fast64_t claim;
    atomic_int pending;              /* parts 1..n-1 not finished yet */
    atomic_bool quit;
    lc_task_fn task;                 /* published by the generation bump */
    void *arg;

    pthread_mutex_t mutex;
    pthread_cond_t start; /* generation changed or quitting */
    pthread_cond_t done;  /* pending reached zero */
    int sleepers;         /* workers waiting on `start` (under mutex) */
    bool caller_waiting;  /* the caller waits on `done` (under mutex) */
};

typedef struct task_watch {
    lc_threadpool *pool;
    uint_fast64_t seen;
} task_watch;

static bool task_posted(void *arg) {
    const task_watch *w = arg;
    return atomic_load_explicit(&w->pool->generation, memory_order_acquire) != w->seen ||
           atomic_load_explicit(&w->pool->quit, memory_order_acquire);
}

static bool workers_done(void *arg) {
    lc_threadpool *pool = arg;
    return atomic_load_explicit(&pool->pending, memory_order_acquire) == 0;
}

/* Linux places a thread woken from sleep next to the thread that woke it
 * when it sees no idle CPU, and in a VM an idle vCPU often does not count
 * as idle (it looks preempted to the guest). Measured on a 2-vCPU KVM
 * guest: a worker woken after a game frame's pause was put on the
 * caller's CPU 98 times in 100, and then waited there behind the caller
 * (2 ms and more) until the caller yielded. Budgeted stepping wakes the
 * pool once per frame, so 2-thread stepping ran at 1-thread speed. So
 * before waking sleepers the caller takes its own CPU out of each
 * worker's affinity mask (the scheduler then wakes it elsewhere), and a
 * worker restores its mask as soon as it runs: the CPUs the application
 * allowed are kept, only the placement of this one wake-up changes. Best
 * effort: a failure changes nothing but speed. Elsewhere a no-op. */
static void steer_workers(lc_threadpool *pool) {
#ifdef __linux__
    const int cpu = sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    for (int i = 0; i < pool->n_started; i++) {
        worker *w = &pool->workers[i];
        if (!w->has_home || !CPU_ISSET(cpu, &w->home) || CPU_COUNT(&w->home) < 2) continue;
        cpu_set_t others = w->home;
        CPU_CLR(cpu, &others);
        if (pthread_setaffinity_np(w->thread, sizeof others, &others) == 0)
            atomic_store_explicit(&w->steered, true, memory_order_release);
    }
#else
    (void)pool;
#endif
}

static void restore_home(worker *w) {
#ifdef __linux__
    if (atomic_exchange_explicit(&w->steered, false, memory_order_acq_rel))
        (void)pthread_setaffinity_np(pthread_self(), sizeof w->home, &w->home);
#else
    (void)w;
#endif
}

/* Waits until the generation differs from `seen` or the pool quits. */
static uint_fast64_t wait_for_task(lc_threadpool *pool, uint_fast64_t seen) {
    uint_fast64_t g;
    task_watch w = {pool, seen};
    if (spin_until(task_posted, &w)) return atomic_load_explicit(&pool->generation, memory_order_acquire);
    pthread_mutex_lock(&pool->mutex);
    pool->sleepers++;
    while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&pool->quit, memory_order_acquire))
        pthread_cond_wait(&pool->start, &pool->mutex);
    pool->sleepers--;
    pthread_mutex_unlock(&pool->mutex);
    return g;
}

/* Takes the next part of the task of generation `gen`; -1 when none is left
 * (or the pool moved on to another task). */
static int take_part(lc_threadpool *pool, uint_fast64_t gen) {
    const uint_fast64_t tag = (uint_fast64_t)(uint32_t)gen << 32;
    uint_fast64_t c = atomic_load_explicit(&pool->claim, memory_order_acquire);
    for (;;) {
        if ((c & ~(uint_fast64_t)0xffffffffu) != tag || (int)(c & 0xffffffffu) >= pool->n_threads) return -1;
        if (atomic_compare_exchange_weak_explicit(&pool->claim, &c, c + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return (int)(c & 0xffffffffu);
    }
}

/* Runs the parts of generation gen's task this thread can take. */
static void run_parts(lc_threadpool *pool, uint_fast64_t gen) {
    for (int part; (part = take_part(pool, gen)) >= 0;) {
        pool->task(pool->arg, part, pool->n_threads);
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->mutex);
            if (pool->caller_waiting) pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

static void *worker_main(void *p) {
    worker *w = p;
    lc_threadpool *pool = w->pool;
    uint_fast64_t seen = 0;
    for (;;) {
        seen = wait_for_task(pool, seen);
        restore_home(w);
        if (atomic_load_explicit(&pool->quit, memory_order_acquire)) break;
        run_parts(pool, seen);
    }
    return NULL;
}

static void stop_workers(lc_threadpool *pool) {
    atomic_store_explicit(&pool->quit, true, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 0; i < pool->n_started; i++) pthread_join(pool->workers[i].thread, NULL);
    pool->n_started = 0;
}

llamac_status lc_threadpool_new(const lc_env *env, int n_threads, lc_threadpool **out) {
    *out = NULL;
    if (n_threads < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "thread pool: n_threads is %d, expected at least 1", n_threads);
    /* Both blocks before either is written (a context allocates everything
     * before it initializes anything). */
    size_t workers_bytes;
    if (lc_mul_overflow_size((size_t)n_threads - 1, sizeof(worker), &workers_bytes))
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "thread pool: %d threads overflow size_t", n_threads);
    lc_threadpool *pool = lc_malloc(env, sizeof *pool);
    worker *workers = NULL;
    if (pool && workers_bytes) workers = lc_malloc(env, workers_bytes);
    if (!pool || (workers_bytes && !workers)) {
        const size_t refused = pool ? workers_bytes : sizeof *pool;
        lc_free(env, pool);
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "thread pool: out of memory for %zu bytes (%d threads)", refused,
                       n_threads);
    }
    memset(pool, 0, sizeof *pool);
    if (workers) memset(workers, 0, workers_bytes);
    pool->workers = workers;
    pool->env = env;
    pool->n_threads = n_threads;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->quit, false);
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&pool->start, NULL) != 0) goto fail_start;
    if (pthread_cond_init(&pool->done, NULL) != 0) goto fail_done;
#ifdef __linux__
    cpu_set_t home; /* a new thread inherits its creator's mask */
    const bool has_home = pthread_getaffinity_np(pthread_self(), sizeof home, &home) == 0;
#endif
    for (int i = 0; i < n_threads - 1; i++) {
        worker *w = &pool->workers[i];
        w->pool = pool;
        w->ith = i + 1;
#ifdef __linux__
        w->home = home;
        w->has_home = has_home;
        atomic_init(&w->steered, false);
#endif
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
    pool->task = task;
    pool->arg = arg;
    atomic_store_explicit(&pool->pending, pool->n_threads - 1, memory_order_relaxed);
    const uint_fast64_t gen = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    /* part 0 is the caller's; parts 1.. go to whoever takes them */
    atomic_store_explicit(&pool->claim, ((uint_fast64_t)(uint32_t)gen << 32) | 1u, memory_order_release);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    if (pool->sleepers > 0) {
        steer_workers(pool);
        pthread_cond_broadcast(&pool->start);
    }
    pthread_mutex_unlock(&pool->mutex);

    task(arg, 0, pool->n_threads);
    run_parts(pool, gen);

    if (spin_until(workers_done, pool)) return;
    pthread_mutex_lock(&pool->mutex);
    pool->caller_waiting = true;
    while (atomic_load_explicit(&pool->pending, memory_order_acquire) != 0)
        pthread_cond_wait(&pool->done, &pool->mutex);
    pool->caller_waiting = false;
    pthread_mutex_unlock(&pool->mutex);
}
