/* `llamac bench -m MODEL [-p 128] [-n 32] [-t N] [-r 3]`: prompt processing
 * and generation speed, measured as llama-bench measures them so the two
 * can be compared side by side:
 *   pp<P>: a P-token prompt (BOS, then random tokens) decoded as one batch
 *          into an empty cache, logits for the last token only;
 *   tg<N>: N random tokens decoded one at a time into an empty cache.
 * Each test runs once unmeasured (warm-up: page faults, thread start-up),
 * then r times; the table gives mean +- standard deviation and median of
 * the r tokens/s samples. The CPU kernels that ran (LLAMAC_KERNELS, else the
 * best this CPU runs) are named on stderr, as "llamac bench: kernels avx512",
 * before the table. Uses only the public API, except for that name
 * (runtime/context.h). */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "session.h"

#include "llamac.h"
#include "runtime/context.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_REPS 1000

typedef struct bench_args {
    const char *model;
    int32_t n_prompt, n_gen, threads, reps;
    bool warmup, csv, repack;
} bench_args;

static void bench_usage(FILE *f) {
    fprintf(f,
            "usage: llamac bench -m MODEL [-p N] [-n N] [-t THREADS] [-r REPS]\n"
            "                    [--no-warmup] [--no-repack] [-o md|csv]\n\n"
            "Measures tokens/s as llama-bench does: ppN decodes an N-token prompt as one\n"
            "batch, tgN generates N tokens one at a time, both from an empty cache with\n"
            "random tokens. Each test runs once to warm up, then REPS times; the table\n"
            "shows mean +- stddev and the median.\n\n"
            "  -m MODEL      GGUF model (required)\n"
            "  -p N          prompt tokens (default 128; 0 skips pp)\n"
            "  -n N          generated tokens (default 32; 0 skips tg)\n"
            "  -t THREADS    threads (default: all CPUs, at most 16)\n"
            "  -r REPS       measured repetitions (default 3)\n"
            "  --no-warmup   measure from the first run\n"
            "  --no-repack   compute on the file's rows as they are (no load-time\n"
            "                repacking; see llamac_model_params.repack)\n"
            "  -o md|csv     markdown table (default) or CSV with every sample\n"
            "Load time and peak resident memory go to stderr.\n"
            "Exit status: 0 done, 1 failure, 2 bad arguments.\n");
}

static int parse_args(int argc, char **argv, bench_args *a) {
    *a = (bench_args){NULL, 128, 32, 0, 3, true, false, true};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const bool more = i + 1 < argc;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(s, "-m") && more) {
            a->model = argv[++i];
        } else if (!strcmp(s, "-p") && more) {
            if (!tool_opt_i32("bench", s, argv[++i], 0, 1 << 20, &a->n_prompt)) return 2;
        } else if (!strcmp(s, "-n") && more) {
            if (!tool_opt_i32("bench", s, argv[++i], 0, 1 << 20, &a->n_gen)) return 2;
        } else if (!strcmp(s, "-t") && more) {
            if (!tool_opt_i32("bench", s, argv[++i], 1, 1024, &a->threads)) return 2;
        } else if (!strcmp(s, "-r") && more) {
            if (!tool_opt_i32("bench", s, argv[++i], 1, MAX_REPS, &a->reps)) return 2;
        } else if (!strcmp(s, "--no-warmup")) {
            a->warmup = false;
        } else if (!strcmp(s, "--no-repack")) {
            a->repack = false;
        } else if (!strcmp(s, "-o") && more) {
            const char *o = argv[++i];
            if (!strcmp(o, "csv")) a->csv = true;
            else if (strcmp(o, "md")) {
                fprintf(stderr, "llamac bench: -o takes md or csv, not '%s'\n", o);
                return 2;
            }
        } else {
            fprintf(stderr, "llamac bench: unknown or incomplete argument '%s'\n", s);
            bench_usage(stderr);
            return 2;
        }
    }
    if (!a->model) {
        fprintf(stderr, "llamac bench: -m MODEL is required\n");
        bench_usage(stderr);
        return 2;
    }
    if (!a->n_prompt && !a->n_gen) {
        fprintf(stderr, "llamac bench: nothing to measure (-p 0 and -n 0)\n");
        return 2;
    }
    return -1;
}

/* A fixed pseudo-random token stream (xorshift), so runs are comparable. */
static llamac_token next_token(uint64_t *state, int32_t n_vocab) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (llamac_token)(*state % (uint64_t)n_vocab);
}

/* Decodes tokens [0, n) at positions pos0.. as one batch, logits for the
 * last one only. */
static llamac_status decode(llamac_context *ctx, llamac_batch *b, const llamac_token *tok, int32_t n,
                            llamac_pos pos0) {
    b->n_tokens = 0;
    const llamac_seq_id seq = 0;
    for (int32_t i = 0; i < n; i++) {
        llamac_status st = llamac_batch_add(b, tok[i], pos0 + i, &seq, 1, i == n - 1);
        if (st) return st;
    }
    return llamac_decode(ctx, b);
}

/* One timed run of pp (gen == false) or tg; tokens/s in *tps. */
static llamac_status run_once(llamac_context *ctx, llamac_batch *b, llamac_token *tok, int32_t n,
                              bool gen, int32_t n_vocab, llamac_token bos, uint64_t *rng,
                              double *tps) {
    for (int32_t i = 0; i < n; i++) tok[i] = next_token(rng, n_vocab);
    if (!gen && bos != LLAMAC_TOKEN_NULL) tok[0] = bos;
    llamac_kv_clear(ctx);
    const double t0 = tool_now_seconds();
    llamac_status st = LLAMAC_OK;
    if (gen) {
        for (int32_t i = 0; i < n && !st; i++) st = decode(ctx, b, tok + i, 1, i);
    } else {
        st = decode(ctx, b, tok, n, 0);
    }
    const double dt = tool_now_seconds() - t0;
    *tps = dt > 0 ? (double)n / dt : INFINITY;
    return st;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct stats {
    double mean, sd, median;
} stats;

static stats summarize(const double *v, int n) {
    stats s = {0, 0, 0};
    for (int i = 0; i < n; i++) s.mean += v[i];
    s.mean /= n;
    for (int i = 0; i < n; i++) s.sd += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd = n > 1 ? sqrt(s.sd / (n - 1)) : 0;
    double sorted[MAX_REPS];
    memcpy(sorted, v, (size_t)n * sizeof *v);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    s.median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    return s;
}

/* "llama 1.1B Q4_K_M": architecture, parameter count, file type. */
static void model_type(const llamac_model *m, char *out, size_t size) {
    const llamac_gguf *g = llamac_model_gguf(m);
    const char *arch = "llama", *ft_name = NULL;
    llamac_gguf_get_string(g, "general.architecture", &arch, NULL);
    uint32_t ft;
    if (llamac_gguf_get_u32(g, "general.file_type", &ft) == LLAMAC_OK) ft_name = llamac_ftype_name((llamac_ftype)ft);
    const double params = (double)llamac_model_n_params(m);
    char count[32];
    if (params >= 1e9) snprintf(count, sizeof count, "%.1fB", params / 1e9);
    else snprintf(count, sizeof count, "%.0fM", params / 1e6);
    snprintf(out, size, "%s %s %s", arch, count, ft_name ? ft_name : "(file type ?)");
}

static void size_text(uint64_t bytes, char *out, size_t size) {
    if (bytes >= (1ull << 30)) snprintf(out, size, "%.2f GiB", (double)bytes / (1ull << 30));
    else snprintf(out, size, "%.2f MiB", (double)bytes / (1ull << 20));
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;

    const double t_load = tool_now_seconds();
    tool_session ss;
    llamac_model_params mp = llamac_model_default_params();
    mp.repack = a.repack;
    if (!tool_session_load(&ss, "bench", a.model, &mp)) return 1;
    const llamac_model *model = ss.model;
    const double load_s = tool_now_seconds() - t_load;
    const int32_t n_max = a.n_prompt > a.n_gen ? a.n_prompt : a.n_gen;
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = (uint32_t)n_max;
    cp.n_batch = (uint32_t)(a.n_prompt > 0 ? a.n_prompt : 1);
    cp.n_threads = a.threads;
    llamac_batch batch = {0};
    llamac_token *tok = malloc((size_t)n_max * sizeof *tok);
    double *samples = malloc((size_t)a.reps * sizeof *samples);
    rc = 1;
    if (!tok || !samples) {
        fprintf(stderr, "llamac bench: out of memory\n");
        goto done;
    }
    if (!tool_session_context(&ss, cp)) goto done;
    llamac_context *ctx = ss.ctx;
    if (llamac_batch_init(&batch, (int32_t)cp.n_batch, 1, NULL)) {
        fprintf(stderr, "llamac bench: %s\n", llamac_last_error());
        goto done;
    }
    const int32_t n_vocab = llamac_model_n_vocab(model);
    const llamac_vocab *vocab = llamac_model_vocab(model);
    const llamac_token bos = vocab ? llamac_vocab_bos(vocab) : LLAMAC_TOKEN_NULL;
    char type[96], size[32], params[32];
    model_type(model, type, sizeof type);
    size_text(llamac_model_size(model), size, sizeof size);
    const double n_params = (double)llamac_model_n_params(model);
    if (n_params >= 1e9) snprintf(params, sizeof params, "%.2f B", n_params / 1e9);
    else snprintf(params, sizeof params, "%.2f M", n_params / 1e6);
    const int32_t threads = llamac_context_n_threads(ctx);
    fprintf(stderr, "llamac bench: kernels %s\n", lc_context_kernels_name(ctx));

    if (a.csv) printf("model,size_bytes,params,threads,test,rep,tokens_per_s\n");
    else printf("| model | size | params | threads | test | t/s (mean ± sd) | t/s (median) |\n"
                "| --- | ---: | ---: | ---: | --- | ---: | ---: |\n");
    fflush(stdout);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 2; k++) {
        const bool gen = k == 1;
        const int32_t n = gen ? a.n_gen : a.n_prompt;
        if (!n) continue;
        double tps;
        if (a.warmup && run_once(ctx, &batch, tok, n, gen, n_vocab, bos, &rng, &tps)) {
            fprintf(stderr, "llamac bench: %s\n", llamac_last_error());
            goto done;
        }
        for (int32_t r = 0; r < a.reps; r++) {
            if (run_once(ctx, &batch, tok, n, gen, n_vocab, bos, &rng, &samples[r])) {
                fprintf(stderr, "llamac bench: %s\n", llamac_last_error());
                goto done;
            }
            if (a.csv)
                printf("\"%s\",%" PRIu64 ",%" PRIu64 ",%d,%s%d,%d,%.3f\n", type, llamac_model_size(model),
                       llamac_model_n_params(model), threads, gen ? "tg" : "pp", n, r, samples[r]);
        }
        const stats s = summarize(samples, a.reps);
        if (!a.csv)
            printf("| %s | %s | %s | %d | %s%d | %.2f ± %.2f | %.2f |\n", type, size, params, threads,
                   gen ? "tg" : "pp", n, s.mean, s.sd, s.median);
        fflush(stdout);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "llamac bench: %s: load %.0f ms, peak RSS %.1f MiB, %d run%s per test after %s\n",
            a.model, 1e3 * load_s, (double)ru.ru_maxrss / 1024.0, a.reps, a.reps == 1 ? "" : "s",
            a.warmup ? "one warm-up" : "no warm-up");
    rc = 0;
done:
    llamac_batch_free(&batch);
    tool_session_close(&ss);
    free(tok);
    free(samples);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int bench_parse_only(int argc, char **argv) { return parse_args(argc, argv, &(bench_args){0}); }
