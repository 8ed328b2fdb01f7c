/* NPCs that keep talking in a simulated 60 FPS game loop (docs/games.md).
 *
 * Each frame (16.7 ms) does a few ms of synthetic game work, then gives
 * llamac a time budget: either in-frame stepping (llamac_generators_step:
 * all NPCs are sequences of one context, their tokens decoded in one
 * batch) or, with --worker, a library-owned thread that the frame only
 * polls (llamac_worker_*). Each NPC takes the next line of a fixed list of
 * prompts, answers with up to 48 tokens and starts its next prompt at
 * once; when its sequence is full it is cleared and starts over.
 *
 *   npc [-m MODEL] [--budget-ms B] [--frames N] [--npcs K] [-c N_CTX]
 *       [--worker] [--no-budget] [-t THREADS] [--game-ms G] [--quiet]
 *       [--min-tokens T]
 *
 * The last line is exactly
 *   frames N over_budget K max_ms X p99_ms Y tokens T tok_per_s Z
 * stepping: X, Y are the maximum and 99th percentile of the library's time
 * in a frame, K the frames over the budget, Z = tokens / seconds inside
 * the library; worker: X, Y are the maximum and 99.9th percentile of one
 * submit/poll/cancel call, K the calls over 0.2 ms, Z = tokens / wall time. */
#include <llamac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef NPC_DEFAULT_MODEL
#define NPC_DEFAULT_MODEL "models/kjv-6m-f16.gguf"
#endif
#define MAX_NPCS 16
#define N_PREDICT 48
#define FRAME_US 16667
#define MORE_FRAMES_S 120

static const char *const lines[] = {
    "And the king said unto the prophet,",
    "Then the stranger answered and said,",
    "And the woman of the village spake, saying,",
    "And the captain of the guard said unto them,",
    "Now the merchant came to the gate and said,",
    "And the old man lifted up his voice and said,",
    "Then said the shepherd unto his brethren,",
    "And the child asked his father, saying,",
};
#define N_LINES (int)(sizeof lines / sizeof lines[0])

typedef struct options {
    const char *model;
    double budget_ms, game_ms;
    int frames, npcs, threads;
    unsigned n_ctx;
    int worker, no_budget, quiet;
    long min_tokens; /* run past --frames until this many tokens (at most MORE_FRAMES_S longer) */
} options;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(int64_t t_us) {
    const int64_t left = t_us - now_us();
    if (left <= 0) return;
    struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Whether frame f runs: the first --frames, then more while fewer than
 * --min-tokens tokens came and the extra time is under MORE_FRAMES_S (a
 * smoke test on a loaded machine asks for at least one token). */
static int more_frames(const options *o, int f, long tokens, int64_t extra_start) {
    if (f < o->frames) return 1;
    return tokens < o->min_tokens && now_us() - extra_start < (int64_t)MORE_FRAMES_S * 1000000;
}

/* The game's own work: a busy loop (so it competes for the CPU). */
static volatile double sink;
static void game_work(double ms) {
    const int64_t end = now_us() + (int64_t)(ms * 1000);
    double x = 1.0;
    while (now_us() < end)
        for (int i = 0; i < 1000; i++) x = x * 1.0000001 + 1e-9;
    sink = x;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of n values, sorted in place. */
static double quantile(double *v, int n, double q) {
    if (n == 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = (int)(q * n + 0.999999) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return v[k];
}

static int last_npc = -1;
static void show(const options *o, int npc, const char *text, size_t len) {
    if (o->quiet || len == 0) return;
    if (npc != last_npc) printf("\n[npc %d] ", npc);
    fwrite(text, 1, len, stdout);
    last_npc = npc;
}

static int fail(const char *what) {
    fprintf(stderr, "npc: %s: %s\n", what, llamac_last_error());
    return 1;
}

/* ---- in-frame stepping ---- */

typedef struct npc {
    llamac_sampler *smpl;
    llamac_generator *gen;
    int line;
    int waiting; /* its next line waits for the cache to be free to change */
} npc;

static llamac_status new_gen(llamac_context *ctx, npc *n, int i) {
    llamac_generator_free(n->gen);
    n->gen = NULL;
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = N_PREDICT;
    gp.seq_id = i;
    return llamac_generator_new(ctx, n->smpl, &gp, &n->gen);
}

/* The NPC's next line. Each NPC owns an equal share of the context's
 * cells: when its line and answer would not fit in its share, its sequence
 * is cleared and it starts over. (Clearing only on LLAMAC_ERR_CONTEXT_FULL
 * is not enough: the cells may be held by the other NPCs.) The cache
 * cannot change while a budgeted pass of the other NPCs is paused halfway
 * (llamac_kv_seq_rm refuses): the NPC then waits and tries again next
 * frame. */
static llamac_status next_prompt(llamac_context *ctx, const llamac_vocab *vocab, npc *n, int i, int n_npcs) {
    const char *text = lines[n->line % N_LINES];
    const int32_t share = (int32_t)(llamac_context_n_ctx(ctx) / (uint32_t)n_npcs);
    llamac_token toks[128];
    int32_t nt = 0;
    llamac_status st = llamac_tokenize(vocab, text, strlen(text), toks, 128, true, false, &nt);
    if (st != LLAMAC_OK) return st;
    n->waiting = 0;
    /* + 2: BOS may be left out below, and a sampled token not yet decoded comes first */
    if (llamac_kv_seq_pos_max(ctx, i) + 2 + nt + N_PREDICT > share) {
        if (llamac_kv_seq_rm(ctx, i, 0, -1) != LLAMAC_OK) {
            n->waiting = 1;
            return LLAMAC_OK;
        }
        llamac_sampler_reset(n->smpl);
        if ((st = new_gen(ctx, n, i)) != LLAMAC_OK) return st;
    }
    /* BOS only at the start of the sequence */
    const bool empty = llamac_kv_seq_pos_max(ctx, i) < 0;
    if (!empty && (st = llamac_tokenize(vocab, text, strlen(text), toks, 128, false, false, &nt)) != LLAMAC_OK)
        return st;
    n->line++;
    return llamac_generator_submit(n->gen, toks, nt);
}

static int run_stepping(const options *o) {
    llamac_model *model = NULL;
    if (llamac_model_load(o->model, NULL, &model) != LLAMAC_OK) return fail("load");
    const llamac_vocab *vocab = llamac_model_vocab(model);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = o->n_ctx;
    if (cp.n_ctx > (uint32_t)llamac_model_n_ctx_train(model)) cp.n_ctx = (uint32_t)llamac_model_n_ctx_train(model);
    cp.n_seq_max = (uint32_t)o->npcs;
    cp.n_threads = o->threads;
    llamac_context *ctx = NULL;
    if (llamac_context_new(model, &cp, &ctx) != LLAMAC_OK) return fail("context");
    npc npcs[MAX_NPCS];
    llamac_generator *gens[MAX_NPCS];
    memset(npcs, 0, sizeof npcs);
    for (int i = 0; i < o->npcs; i++) {
        npcs[i].smpl = llamac_sampler_chain_new(NULL);
        npcs[i].line = i;
        if (!npcs[i].smpl || llamac_sampler_chain_add(npcs[i].smpl, llamac_sampler_init_greedy(NULL)) != LLAMAC_OK ||
            new_gen(ctx, &npcs[i], i) != LLAMAC_OK || next_prompt(ctx, vocab, &npcs[i], i, o->npcs) != LLAMAC_OK)
            return fail("npc");
    }
    /* --no-budget: each call runs until every NPC has its next token (one whole decode step) */
    const int64_t budget_us = o->no_budget ? INT64_MAX / 4 : (int64_t)(o->budget_ms * 1000);
    int cap = o->frames;
    double *lib_ms = calloc((size_t)cap, sizeof *lib_ms);
    if (!lib_ms) return 1;
    long tokens = 0, over = 0;
    double lib_total_s = 0, max_ms = 0;
    llamac_step steps[MAX_NPCS];
    int64_t frame_start = now_us(), extra_start = 0;
    int f = 0;
    for (; more_frames(o, f, tokens, extra_start); f++) {
        if (f == o->frames) extra_start = now_us();
        if (f == cap) {
            double *grown = realloc(lib_ms, (size_t)(cap *= 2) * sizeof *grown);
            if (!grown) return 1;
            lib_ms = grown;
        }
        game_work(o->game_ms);
        const int64_t t0 = now_us();
        /* One call gives at most one token per NPC. A small model decodes
         * a token in a fraction of the budget, so step again while the
         * next unit's predicted cost fits in what is left (never with
         * --no-budget: one decode step per frame). A call that stopped
         * mid-pass (no token, no end) has used up the budget. */
        for (int64_t left = budget_us;;) {
            for (int i = 0; i < o->npcs; i++) gens[i] = npcs[i].gen;
            if (llamac_generators_step(gens, o->npcs, left, steps) != LLAMAC_OK) return fail("step");
            int progressed = 0;
            for (int i = 0; i < o->npcs; i++) {
                show(o, i, steps[i].text, steps[i].text_len);
                if (steps[i].kind == LLAMAC_STEP_TOKEN) tokens++;
                progressed |= steps[i].kind != LLAMAC_STEP_BUSY;
                if ((steps[i].kind == LLAMAC_STEP_DONE || npcs[i].waiting) &&
                    next_prompt(ctx, vocab, &npcs[i], i, o->npcs) != LLAMAC_OK)
                    return fail("prompt");
            }
            left = budget_us - (now_us() - t0);
            int64_t next = 0;
            for (int i = 0; i < o->npcs; i++) gens[i] = npcs[i].gen;
            if (o->no_budget || !progressed || llamac_generators_next_us(gens, o->npcs, left, &next) != LLAMAC_OK ||
                next <= 0 || next > left)
                break;
        }
        const double ms = (double)(now_us() - t0) / 1000.0;
        lib_ms[f] = ms;
        lib_total_s += ms / 1000.0;
        if (ms > max_ms) max_ms = ms;
        if (ms > o->budget_ms) over++;
        frame_start += FRAME_US;
        sleep_until(frame_start);
    }
    const double p99 = quantile(lib_ms, f, 0.99);
    if (!o->quiet) printf("\n");
    printf("frames %d over_budget %ld max_ms %.3f p99_ms %.3f tokens %ld tok_per_s %.2f\n", f, over, max_ms,
           p99, tokens, lib_total_s > 0 ? (double)tokens / lib_total_s : 0.0);
    free(lib_ms);
    for (int i = 0; i < o->npcs; i++) {
        llamac_generator_free(npcs[i].gen);
        llamac_sampler_free(npcs[i].smpl);
    }
    llamac_context_free(ctx);
    llamac_model_free(model);
    return 0;
}

/* ---- worker mode ---- */

typedef struct call_times {
    double *ms;
    long n, cap, over;
    double max;
} call_times;

static void timed(call_times *c, int64_t t0) {
    const double ms = (double)(now_us() - t0) / 1000.0;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        double *grown = realloc(c->ms, (size_t)c->cap * sizeof *grown);
        if (!grown) exit(1);
        c->ms = grown;
    }
    c->ms[c->n++] = ms;
    if (ms > c->max) c->max = ms;
    if (ms > 0.2) c->over++;
}

static int run_worker(const options *o) {
    llamac_worker_params wp = llamac_worker_default_params();
    wp.model_path = o->model;
    wp.n_slots = o->npcs;
    wp.n_ctx = o->n_ctx;
    wp.n_threads = o->threads;
    wp.n_predict = N_PREDICT;
    wp.budget_us = (int64_t)(o->budget_ms * 1000);
    llamac_worker *w = NULL;
    const int64_t start = now_us();
    if (llamac_worker_new(&wp, &w) != LLAMAC_OK) return fail("worker");
    call_times ct = {0};
    int line[MAX_NPCS];
    long tokens = 0;
    for (int i = 0; i < o->npcs; i++) {
        line[i] = i + 1;
        const int64_t t0 = now_us();
        if (llamac_worker_submit(w, i, lines[i % N_LINES], strlen(lines[i % N_LINES]), NULL) != LLAMAC_OK)
            return fail("submit");
        timed(&ct, t0);
    }
    int64_t frame_start = now_us(), extra_start = 0;
    int f = 0;
    for (; more_frames(o, f, tokens, extra_start); f++) {
        if (f == o->frames) extra_start = now_us();
        game_work(o->game_ms);
        for (;;) {
            llamac_worker_event ev;
            const int64_t t0 = now_us();
            llamac_worker_poll(w, &ev);
            timed(&ct, t0);
            if (ev.kind == LLAMAC_EVENT_NONE) break;
            if (ev.kind == LLAMAC_EVENT_ERROR) {
                fprintf(stderr, "npc: worker error (slot %d): %s\n", ev.slot, ev.text);
                if (ev.slot < 0) return 1;
            }
            if (ev.kind == LLAMAC_EVENT_TEXT) {
                show(o, ev.slot, ev.text, ev.text_len);
                tokens++;
            }
            if (ev.kind == LLAMAC_EVENT_DONE || ev.kind == LLAMAC_EVENT_ERROR) {
                const char *text = lines[line[ev.slot]++ % N_LINES];
                const int64_t t1 = now_us();
                if (llamac_worker_submit(w, ev.slot, text, strlen(text), NULL) != LLAMAC_OK) return fail("submit");
                timed(&ct, t1);
            }
        }
        frame_start += FRAME_US;
        sleep_until(frame_start);
    }
    const double wall_s = (double)(now_us() - start) / 1e6;
    llamac_worker_free(w);
    const double p999 = quantile(ct.ms, (int)ct.n, 0.999);
    if (!o->quiet) printf("\n");
    printf("frames %d over_budget %ld max_ms %.3f p99_ms %.3f tokens %ld tok_per_s %.2f\n", f, ct.over, ct.max,
           p999, tokens, (double)tokens / wall_s);
    free(ct.ms);
    return 0;
}

int main(int argc, char **argv) {
    options o = {NPC_DEFAULT_MODEL, 4.0, 3.0, 600, 3, 2, 0, 0, 0, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-m") && v) o.model = v, i++;
        else if (!strcmp(a, "--budget-ms") && v) o.budget_ms = atof(v), i++;
        else if (!strcmp(a, "--game-ms") && v) o.game_ms = atof(v), i++;
        else if (!strcmp(a, "--frames") && v) o.frames = atoi(v), i++;
        else if (!strcmp(a, "--npcs") && v) o.npcs = atoi(v), i++;
        else if (!strcmp(a, "-c") && v) o.n_ctx = (unsigned)atoi(v), i++;
        else if (!strcmp(a, "-t") && v) o.threads = atoi(v), i++;
        else if (!strcmp(a, "--worker")) o.worker = 1;
        else if (!strcmp(a, "--no-budget")) o.no_budget = 1;
        else if (!strcmp(a, "--quiet")) o.quiet = 1;
        else if (!strcmp(a, "--min-tokens") && v) o.min_tokens = atol(v), i++;
        else {
            fprintf(stderr,
                    "usage: %s [-m MODEL] [--budget-ms B] [--frames N] [--npcs K] [-c N_CTX] [--worker] "
                    "[--no-budget] [-t THREADS] [--game-ms G] [--quiet] [--min-tokens T]\n",
                    argv[0]);
            return 2;
        }
    }
    if (o.npcs < 1 || o.npcs > MAX_NPCS || o.frames < 1 || o.budget_ms < 0 || o.threads < 0 || o.min_tokens < 0) {
        fprintf(stderr, "npc: --npcs 1..%d, --frames >= 1, --budget-ms >= 0, -t >= 0\n", MAX_NPCS);
        return 2;
    }
    if (o.n_ctx == 0) o.n_ctx = 256u * (unsigned)o.npcs;
    return o.worker ? run_worker(&o) : run_stepping(&o);
}
