/* The worker of llamac.h section 14: a thread the library owns loads the
 * model, then runs the budgeted generators of every slot (one sequence of
 * one shared context each) while the game thread submits, cancels and
 * polls.
 *
 * The game thread's calls never wait for a decode: they take the mutex
 * only to link or unlink a list node (allocation and freeing happen
 * outside it), and the worker never holds it while it computes. A cancel
 * (and the shutdown) raises an atomic flag that the context's abort
 * callback reads before every unit, so the pass in progress stops within
 * one unit; the other slots' tokens in that pass are decoded again (the
 * bits do not change). A load in progress stops at its next progress
 * report. An idle worker sleeps on a condition variable (the context's
 * pool threads sleep 1 ms after the last decode: docs/threading.md). */
#include "generator_private.h"
#include "common/os.h"
#include "common/params.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define DEFAULT_N_CTX_PER_SLOT 256u
#define MAX_SLOTS 64
/* Past this many unread events, text is appended to the slot's last
 * unread text event instead of queued as a new one: an unpolled worker's
 * memory stays bounded by the text it generated. */
#define MAX_EVENTS 1024

typedef struct request {
    struct request *next;
    int32_t slot;
    uint64_t id;
    size_t len;
    char text[];
} request;

typedef struct event_node {
    struct event_node *next;
    llamac_worker_event ev;
    size_t len, cap;
    char *text; /* cap bytes, NUL after len */
} event_node;

typedef struct slot {
    llamac_sampler *smpl;
    llamac_generator *gen;
    uint64_t id;    /* the request it answers */
    bool active;    /* a response in progress */
} slot;

struct llamac_worker {
    lc_env env;
    llamac_worker_params params;
    char *model_path;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    /* under mu */
    request *req_head, *req_tail;
    event_node *ev_head, *ev_tail;
    int32_t n_events;
    uint64_t next_id;
    bool *cancel; /* [n_slots] */
    bool any_cancel;

    atomic_bool stop;      /* llamac_worker_free: everything ends */
    atomic_bool interrupt; /* stop, or a cancel of an active slot: the pass ends */
    atomic_int state;      /* llamac_worker_state */
    atomic_bool *busy;     /* [n_slots]: a response in progress, for cancel */

    /* the worker thread's alone */
    llamac_model *model;
    const llamac_model *use_model;
    llamac_context *ctx;
    slot *slots;
    llamac_token *tokens; /* n_ctx */
    llamac_generator **gens;
    int32_t *gen_slot;
    llamac_step *steps;

    /* the polling thread's alone */
    event_node *polled; /* the event whose text the caller holds */
};

void llamac_worker_params_init(llamac_worker_params *params, size_t size) {
    static const llamac_worker_params defaults = {
        .n_slots = 1,
        .n_predict = 128,
        .stop_at_eog = true,
        .budget_us = 4000,
        .n_threads = 1,
        .repack = true,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

/* ---- events (worker -> game) ---- */

static void free_event(const lc_env *env, event_node *e) {
    if (!e) return;
    lc_free(env, e->text);
    lc_free(env, e);
}

/* Queues an event; text is copied. Out of memory drops the event (the
 * game sees the slot's DONE or ERROR later, which are small). */
static void push_event(llamac_worker *w, llamac_worker_event_kind kind, int32_t slot, uint64_t id, llamac_token tok,
                       const char *text, size_t len, llamac_stop_reason stop, llamac_status status) {
    event_node *e = lc_calloc(&w->env, 1, sizeof *e);
    if (!e) return;
    e->cap = len + 1;
    e->text = lc_malloc(&w->env, e->cap);
    if (!e->text) {
        lc_free(&w->env, e);
        return;
    }
    if (len) memcpy(e->text, text, len);
    e->text[len] = '\0';
    e->len = len;
    e->ev = (llamac_worker_event){.kind = kind, .slot = slot, .request = id, .token = tok, .stop = stop,
                                  .status = status};
    bool merged = false;
    pthread_mutex_lock(&w->mu);
    event_node *tail = w->ev_tail;
    if (kind == LLAMAC_EVENT_TEXT && w->n_events >= MAX_EVENTS && tail && tail->ev.kind == LLAMAC_EVENT_TEXT &&
        tail->ev.slot == slot) {
        /* rare (nobody polls): the one allocation made under the lock */
        char *grown = lc_realloc(&w->env, tail->text, tail->len + len + 1);
        if (grown) {
            memcpy(grown + tail->len, text, len);
            tail->text = grown;
            tail->len += len;
            tail->text[tail->len] = '\0';
            tail->cap = tail->len + 1;
            tail->ev.token = LLAMAC_TOKEN_NULL; /* several tokens now */
            merged = true;
        }
    }
    if (!merged) {
        if (tail) tail->next = e;
        else w->ev_head = e;
        w->ev_tail = e;
        w->n_events++;
    }
    pthread_mutex_unlock(&w->mu);
    if (merged) free_event(&w->env, e);
}

static void push_text(llamac_worker *w, int32_t slot, uint64_t id, llamac_token tok, const char *text, size_t len) {
    push_event(w, LLAMAC_EVENT_TEXT, slot, id, tok, text, len, LLAMAC_STOP_NONE, LLAMAC_OK);
}

static void push_error(llamac_worker *w, int32_t slot, uint64_t id, llamac_status st) {
    const char *msg = llamac_last_error();
    push_event(w, LLAMAC_EVENT_ERROR, slot, id, LLAMAC_TOKEN_NULL, msg, strlen(msg), LLAMAC_STOP_NONE, st);
}

/* ---- the worker thread ---- */

static bool load_progress(float fraction, void *user) {
    (void)fraction;
    const llamac_worker *w = user;
    return !atomic_load_explicit(&w->stop, memory_order_relaxed);
}

static bool interrupted(void *user) {
    const llamac_worker *w = user;
    return atomic_load_explicit(&w->interrupt, memory_order_relaxed);
}

static llamac_status make_sampler(const llamac_worker *w, int32_t i, llamac_sampler **out) {
    llamac_sampler *chain = llamac_sampler_chain_new(NULL);
    if (!chain) return LLAMAC_ERR_NO_MEMORY;
    llamac_status st;
    if (w->params.temp > 0) {
        st = llamac_sampler_chain_add(chain, llamac_sampler_init_temp(w->params.temp, NULL));
        if (st == LLAMAC_OK)
            st = llamac_sampler_chain_add(chain, llamac_sampler_init_dist(w->params.seed + (uint64_t)i, NULL));
    } else {
        st = llamac_sampler_chain_add(chain, llamac_sampler_init_greedy(NULL));
    }
    if (st != LLAMAC_OK) {
        llamac_sampler_free(chain);
        return st;
    }
    *out = chain;
    return LLAMAC_OK;
}

static llamac_status new_generator(llamac_worker *w, int32_t i) {
    llamac_generator_free(w->slots[i].gen);
    w->slots[i].gen = NULL;
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = w->params.n_predict;
    gp.stop_at_eog = w->params.stop_at_eog;
    gp.seq_id = i;
    return llamac_generator_new(w->ctx, w->slots[i].smpl, &gp, &w->slots[i].gen);
}

/* Model (unless given), context, a sampler and generator per slot. */
static llamac_status set_up(llamac_worker *w) {
    llamac_status st;
    if (!w->use_model) {
        llamac_model_params mp = llamac_model_default_params();
        mp.progress = load_progress;
        mp.progress_user = w;
        mp.repack = w->params.repack;
        if ((st = llamac_model_load(w->model_path, &mp, &w->model))) return st;
        w->use_model = w->model;
    }
    const int32_t n = w->params.n_slots;
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = w->params.n_ctx ? w->params.n_ctx : DEFAULT_N_CTX_PER_SLOT * (uint32_t)n;
    cp.n_seq_max = (uint32_t)n;
    cp.n_threads = w->params.n_threads;
    cp.abort_fn = interrupted;
    cp.abort_user = w;
    if ((st = llamac_context_new(w->use_model, &cp, &w->ctx))) return st;
    const uint32_t n_ctx = llamac_context_n_ctx(w->ctx);
    w->slots = lc_calloc(&w->env, (size_t)n, sizeof *w->slots);
    w->tokens = lc_calloc(&w->env, n_ctx, sizeof *w->tokens);
    w->gens = lc_calloc(&w->env, (size_t)n, sizeof *w->gens);
    w->gen_slot = lc_calloc(&w->env, (size_t)n, sizeof *w->gen_slot);
    w->steps = lc_calloc(&w->env, (size_t)n, sizeof *w->steps);
    if (!w->slots || !w->tokens || !w->gens || !w->gen_slot || !w->steps)
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_worker: out of memory for %d slots", (int)n);
    for (int32_t i = 0; i < n; i++) {
        if ((st = make_sampler(w, i, &w->slots[i].smpl))) return st;
        if ((st = new_generator(w, i))) return st;
    }
    return LLAMAC_OK;
}

static void set_busy(llamac_worker *w, int32_t i, bool busy) {
    w->slots[i].active = busy;
    atomic_store(&w->busy[i], busy);
}

/* Tokenizes and submits a request; false when it must wait (it is then
 * queued again, ahead of the slot's later requests). Each slot owns an
 * equal share of the context's cells: a request whose text and answer
 * (n_predict tokens) would not fit in the rest of the slot's share clears
 * the sequence first, so it starts over (clearing only when the context is
 * full is not enough: the cells may be held by the other slots). The cache
 * cannot change while the other slots' budgeted pass is paused halfway
 * (llamac_kv_seq_rm refuses), so such a request waits for the pass to end:
 * at most the few slices one pass takes. */
static bool start_request(llamac_worker *w, const request *r) {
    slot *s = &w->slots[r->slot];
    const llamac_vocab *vocab = llamac_model_vocab(w->use_model);
    const int32_t n_ctx = (int32_t)llamac_context_n_ctx(w->ctx);
    const int64_t share = n_ctx / w->params.n_slots;
    const int64_t answer = w->params.n_predict > 0 ? w->params.n_predict : 0;
    const bool empty = llamac_kv_seq_pos_max(w->ctx, r->slot) < 0;
    int32_t n = 0;
    llamac_status st = llamac_tokenize(vocab, r->text, r->len, w->tokens, n_ctx, empty, false, &n);
    if (st == LLAMAC_OK && n == 0) st = lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_submit: the text has no tokens");
    /* + 1: a sampled token not yet decoded is decoded before the text */
    const bool over_share = !empty && (int64_t)llamac_kv_seq_pos_max(w->ctx, r->slot) + 2 + n + answer > share;
    if (st == LLAMAC_OK && !over_share) st = llamac_generator_submit(s->gen, w->tokens, n);
    if ((st == LLAMAC_OK && over_share) || (st == LLAMAC_ERR_CONTEXT_FULL && !empty)) {
        if (llamac_kv_seq_rm(w->ctx, r->slot, 0, -1) != LLAMAC_OK) return false; /* a pass is paused */
        llamac_sampler_reset(s->smpl);
        st = new_generator(w, r->slot);
        if (st == LLAMAC_OK) st = llamac_tokenize(vocab, r->text, r->len, w->tokens, n_ctx, true, false, &n);
        if (st == LLAMAC_OK) st = llamac_generator_submit(s->gen, w->tokens, n);
    }
    if (st != LLAMAC_OK) {
        push_error(w, r->slot, r->id, st);
        return true;
    }
    s->id = r->id;
    set_busy(w, r->slot, true);
    return true;
}

/* Under mu: applies the cancels (cancelled[i]: slot i's response ended
 * here); unlinks the requests of idle slots (in order, one per slot)
 * into *take. */
static void take_work(llamac_worker *w, request **take, bool *cancelled) {
    if (w->any_cancel) {
        for (int32_t i = 0; i < w->params.n_slots; i++) {
            if (!w->cancel[i]) continue;
            w->cancel[i] = false;
            if (w->slots[i].active) {
                llamac_generator_cancel(w->slots[i].gen); /* never waits */
                set_busy(w, i, false);
                cancelled[i] = true;
            }
        }
        w->any_cancel = false;
    }
    atomic_store(&w->interrupt, atomic_load(&w->stop));
    request **link = &w->req_head, *last = NULL;
    request **tail = take;
    bool claimed[MAX_SLOTS] = {false};
    while (*link) {
        request *r = *link;
        if (w->slots[r->slot].active || claimed[r->slot]) {
            last = r;
            link = &r->next;
            continue;
        }
        claimed[r->slot] = true;
        *link = r->next;
        r->next = NULL;
        *tail = r;
        tail = &r->next;
    }
    w->req_tail = last;
}

static bool any_active(const llamac_worker *w) {
    for (int32_t i = 0; i < w->params.n_slots; i++)
        if (w->slots[i].active) return true;
    return false;
}

/* Sleeps until `until_us` (monotonic) or the shutdown. */
static void pause_until(llamac_worker *w, int64_t until_us) {
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&w->stop) && !w->any_cancel) {
        const int64_t left = until_us - lc_now_us();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const int64_t ns = ts.tv_nsec + (left % 1000000) * 1000;
        ts.tv_sec += (time_t)(left / 1000000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&w->wake, &w->mu, &ts);
    }
    pthread_mutex_unlock(&w->mu);
}

static void run_slice(llamac_worker *w) {
    int32_t n = 0;
    for (int32_t i = 0; i < w->params.n_slots; i++)
        if (w->slots[i].active) {
            w->gen_slot[n] = i;
            w->gens[n++] = w->slots[i].gen;
        }
    if (n == 0) return;
    const int64_t t0 = lc_now_us();
    /* On an error too the steps say what each generator produced before it. */
    llamac_status st = llamac_generators_step(w->gens, n, w->params.budget_us, w->steps);
    const bool failed = st != LLAMAC_OK && st != LLAMAC_ERR_CANCELLED; /* cancelled: a cancel or the shutdown */
    for (int32_t k = 0; k < n; k++) {
        const int32_t i = w->gen_slot[k];
        const llamac_step *s = &w->steps[k];
        /* every token, so a game can count them; text may be empty (held back) */
        if (s->kind == LLAMAC_STEP_TOKEN || s->text_len > 0)
            push_text(w, i, w->slots[i].id, s->token, s->text, s->text_len);
        if (failed) {
            push_error(w, i, w->slots[i].id, st);
            llamac_generator_cancel(w->slots[i].gen);
            set_busy(w, i, false);
        } else if (s->kind == LLAMAC_STEP_DONE || (s->kind == LLAMAC_STEP_TOKEN && s->stop != LLAMAC_STOP_NONE)) {
            push_event(w, LLAMAC_EVENT_DONE, i, w->slots[i].id, LLAMAC_TOKEN_NULL, "", 0, s->stop, LLAMAC_OK);
            set_busy(w, i, false);
        }
    }
    if (w->params.period_us > 0 && st == LLAMAC_OK) pause_until(w, t0 + w->params.period_us);
}

static void free_requests(const lc_env *env, request *r) {
    while (r) {
        request *next = r->next;
        lc_free(env, r);
        r = next;
    }
}

static void *worker_main(void *arg) {
    llamac_worker *w = arg;
    llamac_status st = set_up(w);
    if (st != LLAMAC_OK) {
        if (!atomic_load(&w->stop)) push_error(w, -1, 0, st);
        atomic_store(&w->state, LLAMAC_WORKER_FAILED);
        return NULL;
    }
    atomic_store(&w->state, LLAMAC_WORKER_READY);
    push_event(w, LLAMAC_EVENT_LOADED, -1, 0, LLAMAC_TOKEN_NULL, "", 0, LLAMAC_STOP_NONE, LLAMAC_OK);
    for (;;) {
        request *take = NULL;
        bool cancelled[MAX_SLOTS] = {false};
        pthread_mutex_lock(&w->mu);
        while (!atomic_load(&w->stop) && !w->req_head && !w->any_cancel && !any_active(w))
            pthread_cond_wait(&w->wake, &w->mu);
        if (atomic_load(&w->stop)) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        take_work(w, &take, cancelled);
        pthread_mutex_unlock(&w->mu);
        /* the cancelled responses' DONE events, now that mu is free */
        for (int32_t i = 0; i < w->params.n_slots; i++)
            if (cancelled[i])
                push_event(w, LLAMAC_EVENT_DONE, i, w->slots[i].id, LLAMAC_TOKEN_NULL, "", 0, LLAMAC_STOP_CANCELLED,
                           LLAMAC_OK);
        request *wait = NULL, *wait_last = NULL;
        while (take) {
            request *r = take;
            take = r->next;
            r->next = NULL;
            if (start_request(w, r)) {
                lc_free(&w->env, r);
                continue;
            }
            if (wait_last) wait_last->next = r;
            else wait = r;
            wait_last = r;
        }
        if (wait) { /* back at the head of the queue: each is its slot's oldest */
            pthread_mutex_lock(&w->mu);
            wait_last->next = w->req_head;
            if (!w->req_head) w->req_tail = wait_last;
            w->req_head = wait;
            pthread_mutex_unlock(&w->mu);
        }
        run_slice(w);
    }
    return NULL;
}

/* ---- the game thread's calls ---- */

static void worker_free_all(llamac_worker *w) {
    if (w->slots)
        for (int32_t i = 0; i < w->params.n_slots; i++) {
            llamac_generator_free(w->slots[i].gen);
            llamac_sampler_free(w->slots[i].smpl);
        }
    llamac_context_free(w->ctx);
    llamac_model_free(w->model);
    const lc_env *env = &w->env;
    lc_free(env, w->slots);
    lc_free(env, w->tokens);
    lc_free(env, w->gens);
    lc_free(env, w->gen_slot);
    lc_free(env, w->steps);
    free_requests(env, w->req_head);
    for (event_node *e = w->ev_head; e;) {
        event_node *next = e->next;
        free_event(env, e);
        e = next;
    }
    free_event(env, w->polled);
    lc_free(env, w->cancel);
    lc_free(env, (void *)w->busy);
    lc_free(env, w->model_path);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    lc_free(env, w);
}

llamac_status llamac_worker_new(const llamac_worker_params *params, llamac_worker **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_new: out is NULL");
    *out = NULL;
    if (!params) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_new: params is NULL");
    llamac_worker_params p;
    llamac_worker_params_init(&p, sizeof p);
    llamac_status st = lc_params_read(&p, sizeof p, params, "llamac_worker_new", "llamac_worker");
    if (st) return st;
    if (!p.model_path == !p.model)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_new: give exactly one of model_path and model");
    if (p.n_slots < 1 || p.n_slots > MAX_SLOTS)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_new: n_slots is %d, expected 1..%d", (int)p.n_slots,
                       MAX_SLOTS);
    if (p.n_predict < -1 || p.budget_us < 0 || p.period_us < 0 || p.n_threads < 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_worker_new: n_predict (%d) must be >= -1, budget_us, period_us and n_threads >= 0",
                       (int)p.n_predict);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    llamac_worker *w = lc_calloc(&env, 1, sizeof *w);
    if (!w) return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_worker_new: out of memory");
    w->env = env;
    w->params = p;
    w->use_model = p.model;
    w->params.model_path = NULL;
    w->cancel = lc_calloc(&env, (size_t)p.n_slots, sizeof *w->cancel);
    w->busy = lc_calloc(&env, (size_t)p.n_slots, sizeof *w->busy);
    w->model_path = p.model_path ? lc_strdup(&env, p.model_path) : NULL;
    if (!w->cancel || !w->busy || (p.model_path && !w->model_path)) {
        lc_free(&env, w->cancel);
        lc_free(&env, (void *)w->busy);
        lc_free(&env, w->model_path);
        lc_free(&env, w);
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_worker_new: out of memory");
    }
    for (int32_t i = 0; i < p.n_slots; i++) atomic_init(&w->busy[i], false);
    atomic_init(&w->stop, false);
    atomic_init(&w->interrupt, false);
    atomic_init(&w->state, LLAMAC_WORKER_LOADING);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    const int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        worker_free_all(w);
        return lc_fail(rc == EAGAIN ? LLAMAC_ERR_NO_MEMORY : LLAMAC_ERR_IO,
                       "llamac_worker_new: starting the thread failed (pthread_create error %d)", rc);
    }
    *out = w;
    return LLAMAC_OK;
}

void llamac_worker_free(llamac_worker *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, true);
    atomic_store(&w->interrupt, true);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    worker_free_all(w);
}

llamac_worker_state llamac_worker_get_state(const llamac_worker *w) {
    return w ? (llamac_worker_state)atomic_load(&((llamac_worker *)w)->state) : LLAMAC_WORKER_FAILED;
}

llamac_status llamac_worker_submit(llamac_worker *w, int32_t slot, const char *text, size_t text_len,
                                   uint64_t *request_id) {
    LC_REQUIRE(w);
    if (!text && text_len > 0) return lc_null_arg(__func__, "text");
    if (slot < 0 || slot >= w->params.n_slots)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_submit: slot %d is outside 0..%d", (int)slot,
                       (int)w->params.n_slots - 1);
    if (atomic_load(&w->state) == LLAMAC_WORKER_FAILED)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_submit: the worker failed to load its model");
    size_t size;
    if (lc_add_overflow_size(sizeof(request), text_len, &size))
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_submit: text_len %zu is too large", text_len);
    request *r = lc_malloc(&w->env, size);
    if (!r) return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_worker_submit: out of memory for %zu bytes", text_len);
    r->next = NULL;
    r->slot = slot;
    r->len = text_len;
    if (text_len) memcpy(r->text, text, text_len);
    pthread_mutex_lock(&w->mu);
    r->id = ++w->next_id;
    if (w->req_tail) w->req_tail->next = r;
    else w->req_head = r;
    w->req_tail = r;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    if (request_id) *request_id = r->id;
    return LLAMAC_OK;
}

llamac_status llamac_worker_cancel(llamac_worker *w, int32_t slot) {
    LC_REQUIRE(w);
    if (slot < 0 || slot >= w->params.n_slots)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_worker_cancel: slot %d is outside 0..%d", (int)slot,
                       (int)w->params.n_slots - 1);
    request *dropped = NULL, **tail = &dropped;
    pthread_mutex_lock(&w->mu);
    request **link = &w->req_head, *last = NULL;
    while (*link) {
        request *r = *link;
        if (r->slot != slot) {
            last = r;
            link = &r->next;
            continue;
        }
        *link = r->next;
        r->next = NULL;
        *tail = r;
        tail = &r->next;
    }
    w->req_tail = last;
    w->cancel[slot] = true;
    w->any_cancel = true;
    if (atomic_load(&w->busy[slot])) atomic_store(&w->interrupt, true);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    /* every request ends with one DONE or ERROR event, also one that never started */
    for (const request *r = dropped; r; r = r->next)
        push_event(w, LLAMAC_EVENT_DONE, slot, r->id, LLAMAC_TOKEN_NULL, "", 0, LLAMAC_STOP_CANCELLED, LLAMAC_OK);
    free_requests(&w->env, dropped);
    return LLAMAC_OK;
}

llamac_status llamac_worker_poll(llamac_worker *w, llamac_worker_event *event) {
    LC_REQUIRE(w);
    if (!event) return lc_null_arg(__func__, "event");
    pthread_mutex_lock(&w->mu);
    event_node *e = w->ev_head;
    if (e) {
        w->ev_head = e->next;
        if (!w->ev_head) w->ev_tail = NULL;
        w->n_events--;
    }
    pthread_mutex_unlock(&w->mu);
    free_event(&w->env, w->polled);
    w->polled = e;
    if (!e) {
        *event = (llamac_worker_event){.kind = LLAMAC_EVENT_NONE, .slot = -1, .text = "", .token = LLAMAC_TOKEN_NULL};
        return LLAMAC_OK;
    }
    *event = e->ev;
    event->text = e->text;
    event->text_len = e->len;
    return LLAMAC_OK;
}
