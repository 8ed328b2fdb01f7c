/* `llamac perplexity`: the perplexity of a model on a text file, computed
 * exactly as the trainer of the shipped model defines it (see
 * perplexity.h and tools/train/evaluate.py), so the two figures can be
 * compared. Uses only the public API. */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "default_model.h"
#include "perplexity.h"
#include "session.h"

#include "llamac.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void perplexity_usage(FILE *f) {
    fprintf(f,
            "usage: llamac perplexity [-m MODEL] -f TEXT [-c N_CTX] [-t THREADS] [-q]\n"
            "                         [--prompt-limit BYTES]\n"
            "\n"
            "Tokenizes the whole file as one string (with the tokenizer's leading space,\n"
            "without BOS/EOS, special-token text taken literally), cuts the tokens into\n"
            "consecutive windows of N_CTX - 1, and decodes each window alone from an\n"
            "empty cache after a BOS token. Every token is scored, the first of a window\n"
            "being predicted from BOS alone. Prints the token count, the mean negative\n"
            "log-likelihood (nats per token) and perplexity = exp(mean NLL).\n"
            "\n"
            "  -m MODEL    GGUF model (default: the model shipped with llamac)\n"
            "  -f TEXT     text file\n"
            "  -c N_CTX    window + 1 (default: the model's context length, at most 4096)\n"
            "  -t THREADS  threads (default: all CPUs, at most 16)\n"
            "  -q          no progress lines on stderr\n"
            "  --prompt-limit BYTES  refuse a TEXT larger than this (default 256M; a K, M\n"
            "              or G suffix counts KiB, MiB, GiB); pipes and devices are read\n"
            "              up to it\n"
            "Exit status: 0 done, 1 failure, 2 bad arguments.\n");
}

/* Evaluation texts are larger than prompts (the usual benchmark sets are
 * 1-10 MB), and no larger text can be scored in a sensible time anyway. */
#define PPL_TEXT_LIMIT_DEFAULT ((size_t)256 << 20)

typedef struct ppl_args {
    const char *model, *text;
    int32_t n_ctx, threads;
    bool quiet;
    size_t text_limit;
} ppl_args;


/* Returns -1 when the run should go on, else the exit status. */
static int parse_args(int argc, char **argv, ppl_args *a) {
    *a = (ppl_args){.text_limit = PPL_TEXT_LIMIT_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            perplexity_usage(stdout);
            return 0;
        }
        if (!strcmp(o, "-q")) {
            a->quiet = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llamac perplexity: %s needs a value\n", o);
            goto bad;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (!strcmp(o, "-m")) a->model = v;
        else if (!strcmp(o, "-f")) a->text = v;
        else if (!strcmp(o, "-c")) ok = tool_opt_i32("perplexity", o, v, 2, 1 << 20, &a->n_ctx);
        else if (!strcmp(o, "-t")) ok = tool_opt_i32("perplexity", o, v, 1, 1024, &a->threads);
        else if (!strcmp(o, "--prompt-limit")) ok = tool_opt_bytes("perplexity", o, v, &a->text_limit);
        else {
            fprintf(stderr, "llamac perplexity: unknown option %s\n", o);
            goto bad;
        }
        if (!ok) goto bad; /* the message is printed */
    }
    if (!a->text) {
        fprintf(stderr, "llamac perplexity: need -f TEXT\n");
        goto bad;
    }
    return -1;
bad:
    perplexity_usage(stderr);
    return 2;
}


/* Tokens of the text as one string: no BOS/EOS, no special-token parsing. */
static llamac_status tokenize_text(const llamac_vocab *vocab, const char *text, size_t len,
                                   llamac_token **out, int32_t *n) {
    int32_t need = 0;
    llamac_status st = llamac_tokenize(vocab, text, len, NULL, 0, false, false, &need);
    if (st == LLAMAC_OK) need = need > 0 ? need : 1;
    else if (st != LLAMAC_ERR_BUFFER_TOO_SMALL) return st;
    if (!(*out = malloc((size_t)need * sizeof **out))) return LLAMAC_ERR_NO_MEMORY;
    return llamac_tokenize(vocab, text, len, *out, need, false, false, n);
}

/* About ten progress lines per run. */
static bool report_progress(const ppl_result *r, int64_t total, void *user) {
    const bool *quiet = user;
    const int64_t step = total / 10 > 0 ? total / 10 : 1;
    if (!*quiet && (r->n_windows % step == 0 || r->n_windows == total))
        fprintf(stderr, "  window %lld/%lld: %lld tokens, perplexity so far %.4f\n",
                (long long)r->n_windows, (long long)total, (long long)r->n_scored,
                exp(r->nll_sum / (double)r->n_scored));
    return true;
}

int cmd_perplexity(int argc, char **argv) {
    ppl_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;

    char found[4096];
    if (!a.model) {
        if (find_default_model(NULL, found, sizeof found) != 0) {
            fprintf(stderr, "llamac perplexity: no -m MODEL and no shipped model: %s\n", found);
            return 1;
        }
        a.model = found;
    }
    size_t text_len = 0;
    char read_err[512];
    char *text = tool_read_file(a.text, a.text_limit, &text_len, read_err, sizeof read_err);
    if (!text) {
        fprintf(stderr, "llamac perplexity: %s\n", read_err);
        return 1;
    }

    tool_session ss;
    llamac_token *tokens = NULL;
    int32_t n_tokens = 0;
    llamac_status st;
    rc = 1;
    if (!tool_session_load(&ss, "perplexity", a.model, NULL)) goto done;
    const llamac_model *model = ss.model;
    const llamac_vocab *vocab = llamac_model_vocab(model);
    if (!vocab) {
        fprintf(stderr, "llamac perplexity: %s has no tokenizer\n", a.model);
        goto done;
    }
    const llamac_token bos = llamac_vocab_bos(vocab);
    if (bos == LLAMAC_TOKEN_NULL) {
        fprintf(stderr, "llamac perplexity: %s has no BOS token, which every window starts with\n",
                a.model);
        goto done;
    }
    if (!a.n_ctx) {
        const int32_t train = llamac_model_n_ctx_train(model);
        a.n_ctx = train >= 2 && train < 4096 ? train : 4096;
    }
    if ((st = tokenize_text(vocab, text, text_len, &tokens, &n_tokens))) goto lib_fail;
    if (n_tokens < 1) {
        fprintf(stderr, "llamac perplexity: %s holds no tokens\n", a.text);
        goto done;
    }

    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = (uint32_t)a.n_ctx;
    cp.n_batch = (uint32_t)a.n_ctx;
    cp.n_threads = a.threads;
    if (!tool_session_context(&ss, cp)) goto done;
    llamac_context *ctx = ss.ctx;

    const int32_t window = a.n_ctx - 1;
    printf("%s: %zu bytes, %d tokens, %lld windows of <= %d tokens after BOS\n", a.text, text_len,
           (int)n_tokens, (long long)((n_tokens - 1) / window + 1), (int)window);
    fflush(stdout);
    const double t0 = tool_now_seconds();
    ppl_result r;
    char err[1024];
    if ((st = ppl_score(ctx, bos, tokens, n_tokens, window, report_progress, &a.quiet, &r, err,
                        sizeof err))) {
        fprintf(stderr, "llamac perplexity: %s\n", err);
        goto done;
    }
    const double secs = tool_now_seconds() - t0;
    const double mean = r.nll_sum / (double)r.n_scored;
    printf("%s: mean NLL %.6f nats/token, perplexity %.4f over %lld tokens\n", a.model, mean,
           exp(mean), (long long)r.n_scored);
    fflush(stdout);
    fprintf(stderr, "llamac perplexity: %.1f s, %.1f tokens/s, %d threads\n", secs,
            secs > 0 ? (double)r.n_scored / secs : 0.0, (int)llamac_context_n_threads(ctx));
    rc = 0;
    goto done;

lib_fail:
    tool_session_fail(&ss, st);
done:
    tool_session_close(&ss);
    free(tokens);
    free(text);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int perplexity_parse_only(int argc, char **argv) { return parse_args(argc, argv, &(ppl_args){0}); }
