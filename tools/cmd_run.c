/* `llamac run`: generate text from a prompt, streaming it to stdout, with
 * timings on stderr. Uses only the public API. */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "default_model.h"
#include "json_schema_arg.h"
#include "run_state.h"
#include "sampling_opts.h"
#include "session.h"

#include "llamac.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STOPS 16

typedef struct run_args {
    const char *model, *prompt, *prompt_file;
    const char *save_state, *load_state, *prompt_cache;
    const char *json_schema; /* --json-schema FILE_OR_TEXT */
    const char *grammar, *grammar_file; /* GBNF text, or a file of it */
    int32_t n_predict, n_keep;
    uint32_t n_ctx;
    tool_sampling smp; /* --temp ... --seed, -t (sampling_opts.h) */
    bool ids, compact_spaces;
    const char *stops[MAX_STOPS];
    int32_t n_stop;
    size_t prompt_limit;
} run_args;

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: llamac run [-m MODEL] (-p PROMPT | -f PROMPT_FILE) [-n N] [--temp T]\n"
            "                  [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
            "                  [--repeat-last-n N] [--seed S] [-t THREADS] [-c N_CTX]\n"
            "                  [--stop STRING]... [--keep N] [--ids] [--prompt-limit BYTES]\n"
            "                  [--save-state FILE] [--load-state FILE] [--prompt-cache FILE]\n"
            "                  [--grammar TEXT | --grammar-file FILE]\n"
            "\n"
            "Generates a continuation of the prompt (tokenized with BOS, once: a prompt\n"
            "that starts with the BOS text, e.g. <|begin_of_text|> from a chat template,\n"
            "gets no second one; special-token text like <|eot_id|> is parsed) and\n"
            "streams it to stdout, without the prompt. Stops at an end-of-generation\n"
            "token, after N tokens, at a stop string (not printed), or when the context\n"
            "is full (unless --keep is given). Load time and prompt / generation speeds\n"
            "go to stderr.\n"
            "\n"
            "  -m MODEL             GGUF model (default: the model shipped with llamac)\n"
            "  -n N                 tokens to generate (default -1: no limit)\n");
    tool_sampling_usage(f);
    fprintf(f,
            "  -c N_CTX             context size in tokens (default: the model's, at most 4096)\n"
            "  --stop STRING        stop before this text (repeatable, up to %d)\n"
            "  --keep N             endless generation: when the context is full, keep its\n"
            "                       first N tokens (BOS included; at most the prompt's),\n"
            "                       drop half of the rest and go on; a prompt longer than\n"
            "                       the context is cut in its middle instead of refused\n"
            "                       (default -1: off)\n"
            "  --save-state FILE    after the run, save the sequence (prompt and generated\n"
            "                       tokens, their ids, the sampler's state) to FILE\n"
            "  --load-state FILE    continue the sequence saved in FILE (its sampler state\n"
            "                       too when the sampling options are the same); -p / -f\n"
            "                       are then optional and add text after it, without BOS\n"
            "  --prompt-cache FILE  reuse the longest common prefix of the prompt saved in\n"
            "                       FILE (decode only the rest), then save this prompt there\n"
            "  --grammar TEXT       constrain the output to this GBNF grammar (start rule\n"
            "                       'root'; docs/grammar.md); generation can then end only\n"
            "                       where the grammar is complete\n"
            "  --grammar-file FILE  the same, the grammar read from FILE (e.g. grammars/json.gbnf)\n"
            "  --ids                print token ids (one line, space-separated) instead of text\n"
            "  --json-schema SCHEMA constrain the output to JSON that the JSON Schema SCHEMA\n"
            "                       describes (text when it starts with '{', else a file;\n"
            "                       the grammar of `llamac grammar --json-schema`); the\n"
            "                       output ends once the document is complete\n"
            "  --compact-spaces     with --json-schema: at most one space between tokens of the\n"
            "                       JSON (default, as llama.cpp: up to a newline and 20 blanks)\n"
            "  --prompt-limit BYTES refuse a PROMPT_FILE larger than this (default 64M; a K, M\n"
            "                       or G suffix counts KiB, MiB, GiB); pipes and devices are\n"
            "                       read up to it\n"
            "Exit status: 0 done, 1 failure, 2 bad arguments.\n",
            MAX_STOPS);
}


/* A file name option: any non-empty string. */
static bool file_opt(const char *opt, const char *v, const char **out) {
    if (!v[0]) {
        fprintf(stderr, "llamac run: %s takes a file name, not ''\n", opt);
        return false;
    }
    *out = v;
    return true;
}

/* Returns -1 when the run should go on, else the exit status. */
static int parse_args(int argc, char **argv, run_args *a) {
    *a = (run_args){.n_predict = -1, .n_keep = -1, .smp = tool_sampling_defaults(),
                    .prompt_limit = TOOL_PROMPT_LIMIT_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            run_usage(stdout);
            return 0;
        }
        if (!strcmp(o, "--ids")) {
            a->ids = true;
            continue;
        }
        if (!strcmp(o, "--compact-spaces")) {
            a->compact_spaces = true;
            continue;
        }
        static const char *const valued[] = {"-m", "-p", "-f", "-n", "-c", "--stop",
                                             "--prompt-limit", "--keep", "--save-state",
                                             "--load-state", "--prompt-cache", "--json-schema",
                                             "--grammar", "--grammar-file"};
        bool known = tool_sampling_is_option(o);
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) known |= !strcmp(o, valued[k]);
        if (!known) {
            fprintf(stderr, "llamac run: unknown option %s\n", o);
            goto bad;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llamac run: %s needs a value\n", o);
            goto bad;
        }
        const char *v = argv[++i];
        int32_t n;
        bool ok = true;
        if (tool_sampling_is_option(o)) ok = tool_sampling_parse("run", o, v, &a->smp);
        else if (!strcmp(o, "-m")) a->model = v;
        else if (!strcmp(o, "-p")) a->prompt = v;
        else if (!strcmp(o, "-f")) a->prompt_file = v;
        else if (!strcmp(o, "--save-state")) ok = file_opt(o, v, &a->save_state);
        else if (!strcmp(o, "--load-state")) ok = file_opt(o, v, &a->load_state);
        else if (!strcmp(o, "--prompt-cache")) ok = file_opt(o, v, &a->prompt_cache);
        else if (!strcmp(o, "--json-schema")) ok = file_opt(o, v, &a->json_schema);
        else if (!strcmp(o, "--grammar")) a->grammar = v;
        else if (!strcmp(o, "--grammar-file")) ok = file_opt(o, v, &a->grammar_file);
        else if (!strcmp(o, "-n")) ok = tool_opt_i32("run", o, v, -1, INT32_MAX, &a->n_predict);
        else if (!strcmp(o, "--keep")) ok = tool_opt_i32("run", o, v, -1, INT32_MAX, &a->n_keep);
        else if (!strcmp(o, "--prompt-limit")) ok = tool_opt_bytes("run", o, v, &a->prompt_limit);
        else if (!strcmp(o, "-c")) {
            ok = tool_opt_i32("run", o, v, 1, INT32_MAX, &n);
            a->n_ctx = ok ? (uint32_t)n : 0;
        } else if (!strcmp(o, "--stop")) {
            if (a->n_stop == MAX_STOPS)
                fprintf(stderr, "llamac run: at most %d --stop strings; '%s' is one too many\n",
                        MAX_STOPS, v);
            else if (!v[0]) fprintf(stderr, "llamac run: --stop takes a non-empty string\n");
            ok = a->n_stop < MAX_STOPS && v[0];
            if (ok) a->stops[a->n_stop++] = v;
        }
        if (!ok) goto bad; /* the message is printed */
    }
    if (a->prompt && a->prompt_file) {
        fprintf(stderr, "llamac run: give -p PROMPT or -f FILE, not both\n");
        goto bad;
    }
    if (!a->prompt && !a->prompt_file && !a->load_state) {
        fprintf(stderr, "llamac run: need -p PROMPT or -f FILE (or --load-state FILE)\n");
        goto bad;
    }
    if (a->compact_spaces && !a->json_schema) {
        fprintf(stderr, "llamac run: --compact-spaces needs --json-schema\n");
        goto bad;
    }
    if ((a->grammar != NULL) + (a->grammar_file != NULL) + (a->json_schema != NULL) > 1) {
        fprintf(stderr, "llamac run: give one of --grammar TEXT, --grammar-file FILE, --json-schema SCHEMA\n");
        goto bad;
    }
    if (a->load_state && a->prompt_cache) {
        fprintf(stderr, "llamac run: --load-state and --prompt-cache cannot be combined\n");
        goto bad;
    }
    if (a->n_keep >= 0 && (a->save_state || a->prompt_cache)) {
        /* after a shift the cells no longer hold the tokens at their positions */
        fprintf(stderr, "llamac run: --keep cannot be combined with --save-state or --prompt-cache\n");
        goto bad;
    }
    return -1;
bad:
    run_usage(stderr);
    return 2;
}


static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}
static bool abort_on_sigint(void *user) {
    (void)user;
    return interrupted != 0;
}

static double per_s(int32_t n, double t) { return t > 0 ? n / t : 0.0; }

int cmd_run(int argc, char **argv) {
    run_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    tool_sampling_pick_seed(&a.smp);
    char default_model[4096];
    if (!a.model) {
        if (find_default_model(NULL, default_model, sizeof default_model) != 0) {
            fprintf(stderr, "llamac run: no -m MODEL and no shipped model: %s\n", default_model);
            return 1;
        }
        a.model = default_model;
    }

    char *file_text = NULL;
    size_t prompt_len = a.prompt ? strlen(a.prompt) : 0;
    char read_err[512];
    if (a.prompt_file && !(file_text = tool_read_file(a.prompt_file, a.prompt_limit, &prompt_len,
                                                      read_err, sizeof read_err))) {
        fprintf(stderr, "llamac run: prompt file: %s\n", read_err);
        return 1;
    }
    const char *prompt = a.prompt ? a.prompt : file_text;
    char *grammar_text = NULL;
    const char *grammar = a.grammar;
    size_t grammar_len = a.grammar ? strlen(a.grammar) : 0;
    if (a.grammar_file) {
        if (!(grammar_text = tool_read_file(a.grammar_file, a.prompt_limit, &grammar_len, read_err, sizeof read_err))) {
            fprintf(stderr, "llamac run: grammar file: %s\n", read_err);
            free(file_text);
            return 1;
        }
        grammar = grammar_text;
    }

    tool_session ss;
    llamac_sampler *chain = NULL;
    llamac_generator *gen = NULL;
    llamac_token *tokens = NULL; /* the prompt, or the text after a loaded state */
    int32_t n_tokens = 0;
    run_tokens seq = {0};        /* sequence 0's tokens in order, for --save-state */
    const char *fail_opt = NULL, *fail_file = NULL; /* the state file a failure is about */
    llamac_status st = LLAMAC_OK;
    rc = 1;

    const double t0 = tool_now_seconds();
    if (!tool_session_load(&ss, "run", a.model, NULL)) goto done;
    const llamac_model *model = ss.model;
    const llamac_vocab *vocab = llamac_model_vocab(model);
    if (!vocab) {
        fprintf(stderr, "llamac run: %s has no tokenizer\n", a.model);
        goto done;
    }
    llamac_context_params cp = llamac_context_default_params();
    const int32_t n_train = llamac_model_n_ctx_train(model);
    cp.n_ctx = a.n_ctx ? a.n_ctx : (uint32_t)(n_train > 0 && n_train < 4096 ? n_train : 4096);
    cp.n_threads = a.smp.threads;
    cp.abort_fn = abort_on_sigint;
    if (!tool_session_context(&ss, cp)) goto done;
    llamac_context *ctx = ss.ctx;
    const double t_load = tool_now_seconds() - t0;

    /* after a loaded state, the text continues it: no BOS */
    if (prompt && (prompt_len > 0 || !a.load_state) &&
        (st = tool_tokenize_prompt(vocab, prompt, prompt_len, !a.load_state, &tokens, &n_tokens)))
        goto fail;
    if (a.json_schema) {
        if (!(grammar_text = tool_json_schema_grammar("run", a.json_schema, true,
                                                      a.compact_spaces ? LLAMAC_JSON_SCHEMA_COMPACT_SPACES : 0)))
            goto done;
        grammar = grammar_text;
        grammar_len = strlen(grammar_text);
    }
    if (!(chain = tool_sampling_chain(&a.smp, vocab, grammar, grammar_len))) {
        st = LLAMAC_ERR_INVALID_ARG;
        if (grammar) {
            fprintf(stderr, "llamac run: %s: %s\n",
                    a.grammar_file ? a.grammar_file : a.json_schema ? "--json-schema" : "--grammar",
                    llamac_last_error());
            goto done;
        }
        goto fail;
    }

    /* What a state file gave: n_reused tokens of the sequence are in the
     * cache without being decoded by this run. */
    const char *reuse_from = NULL;
    const char *restore_path = a.load_state ? a.load_state : a.prompt_cache;
    int32_t n_reused = 0, n_decoded = 0;
    double t_restore = 0;
    bool cache_write = false;
    if (a.load_state) {
        const double ts = tool_now_seconds();
        bool sampler_note;
        if ((st = run_state_restore(ctx, chain, a.load_state, &seq, &sampler_note))) {
            fail_opt = "--load-state";
            fail_file = a.load_state;
            goto fail;
        }
        t_restore = tool_now_seconds() - ts;
        if (sampler_note)
            fprintf(stderr, "llamac run: the sampler state in '%s' belongs to other sampling options; "
                            "the sampler starts afresh\n", a.load_state);
        if (seq.n == 0) {
            fprintf(stderr, "llamac run: '%s' holds no token ids to continue from\n", a.load_state);
            goto done;
        }
        reuse_from = "state file";
    } else if (a.prompt_cache) {
        const double ts = tool_now_seconds();
        prompt_cache_use use;
        prompt_cache_restore(ctx, a.prompt_cache, tokens, n_tokens, &use);
        t_restore = tool_now_seconds() - ts;
        n_reused = use.n_reused;
        cache_write = use.write && !use.unchanged;
        reuse_from = "prompt cache";
    }

    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = a.n_predict;
    gp.stop_strings = a.stops;
    gp.n_stop = a.n_stop;
    gp.n_keep = a.n_keep;
    gp.abort_fn = abort_on_sigint;
    if ((st = llamac_generator_new(ctx, chain, &gp, &gen))) goto fail;

    signal(SIGINT, on_sigint);
    const double t1 = tool_now_seconds();
    if (a.load_state) {
        /* Text after the state needs no logits of the state's last token,
         * so when its cell is there the text is decoded right after it;
         * otherwise resume decodes that token again (the same bits). */
        if (n_tokens > 0 && llamac_kv_seq_pos_max(ctx, 0) + 1 == seq.n) {
            n_reused = seq.n;
        } else {
            n_reused = seq.n - 1;
            n_decoded = 1;
            st = llamac_generator_resume(gen, seq.ids, seq.n);
        }
        if (!st && n_tokens > 0) {
            st = llamac_generator_prompt(gen, tokens, n_tokens);
            n_decoded += n_tokens;
        }
    } else if (n_reused > 0 && n_reused == n_tokens) {
        /* the whole prompt was cached: its last token is decoded again for
         * the logits the first sample needs */
        n_reused = n_tokens - 1;
        n_decoded = 1;
        st = llamac_generator_resume(gen, tokens, n_tokens);
    } else {
        n_decoded = n_tokens - n_reused;
        st = llamac_generator_prompt(gen, tokens + n_reused, n_decoded);
    }
    if (st) goto fail;
    const double t_prompt = tool_now_seconds() - t1;
    if (!run_tokens_append(&seq, tokens, n_tokens)) {
        st = LLAMAC_ERR_NO_MEMORY;
        goto fail;
    }

    /* The prompt cache holds the prompt, as llama.cpp's does without
     * --prompt-cache-all; written only when it changes. */
    double t_cache_save = -1;
    uint64_t cache_bytes = 0;
    if (cache_write) {
        const double ts = tool_now_seconds();
        llamac_status cst = run_state_save(ctx, NULL, a.prompt_cache, &seq, &cache_bytes);
        if (cst)
            fprintf(stderr, "llamac run: prompt cache not saved: %s: %s\n", llamac_status_name(cst),
                    llamac_last_error());
        else t_cache_save = tool_now_seconds() - ts;
    }

    const double t2 = tool_now_seconds();
    llamac_generation_step step;
    const char *sep = "";
    do {
        if ((st = llamac_generator_next(gen, &step))) break;
        if (a.save_state && step.token != LLAMAC_TOKEN_NULL && !run_tokens_append(&seq, &step.token, 1)) {
            st = LLAMAC_ERR_NO_MEMORY;
            break;
        }
        if (a.ids && step.token != LLAMAC_TOKEN_NULL && step.stop != LLAMAC_STOP_EOG) {
            printf("%s%d", sep, (int)step.token);
            sep = " ";
        } else if (!a.ids) {
            fwrite(step.text, 1, step.text_len, stdout);
        }
        fflush(stdout);
    } while (step.stop == LLAMAC_STOP_NONE);
    const double t_gen = tool_now_seconds() - t2;
    printf("\n");
    const int32_t n_gen = llamac_generator_n_generated(gen);

    static const char *const why[] = {"-", "end of generation", "token limit", "stop string",
                                      "context full"};
    const char *ended = st == LLAMAC_ERR_CANCELLED ? "interrupted" : st ? "error" : why[step.stop];
    fprintf(stderr, "\nllamac run: %s\n  load       %8.1f ms\n", llamac_model_desc(model), t_load * 1e3);
    if (reuse_from)
        fprintf(stderr, "  %-10s %8.1f ms  '%s'\n", a.load_state ? "state load" : "cache load", t_restore * 1e3,
                restore_path);
    fprintf(stderr, "  prompt     %8.1f ms  %5d tokens  %8.2f tokens/s", t_prompt * 1e3, (int)n_decoded,
            per_s(n_decoded, t_prompt));
    if (reuse_from) fprintf(stderr, "  (%s: %d reused, %d decoded)", reuse_from, (int)n_reused, (int)n_decoded);
    fprintf(stderr, "\n");
    if (t_cache_save >= 0)
        fprintf(stderr, "  cache save %8.1f ms  %d tokens, %llu bytes\n", t_cache_save * 1e3, (int)n_tokens,
                (unsigned long long)cache_bytes);
    fprintf(stderr,
            "  generation %8.1f ms  %5d tokens  %8.2f tokens/s  (stopped: %s)\n"
            "  seed %llu, %d threads\n",
            t_gen * 1e3, (int)n_gen, per_s(n_gen, t_gen), ended, (unsigned long long)a.smp.seed,
            (int)llamac_context_n_threads(ctx));
    if (st) goto fail;

    if (a.save_state) {
        const double ts = tool_now_seconds();
        uint64_t bytes = 0;
        if ((st = run_state_save(ctx, chain, a.save_state, &seq, &bytes))) {
            fail_opt = "--save-state";
            fail_file = a.save_state;
            goto fail;
        }
        fprintf(stderr, "  state save %8.1f ms  %d tokens, %llu bytes\n", (tool_now_seconds() - ts) * 1e3,
                (int)seq.n, (unsigned long long)bytes);
    }
    rc = 0;
    goto done;

fail:
    if (fail_opt)
        fprintf(stderr, "llamac run: %s '%s': %s: %s\n", fail_opt, fail_file, llamac_status_name(st),
                llamac_last_error());
    else
        tool_session_fail(&ss, st);
done:
    llamac_generator_free(gen);
    llamac_sampler_free(chain);
    tool_session_close(&ss);
    run_tokens_free(&seq);
    free(tokens);
    free(file_text);
    free(grammar_text);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int run_parse_only(int argc, char **argv) { return parse_args(argc, argv, &(run_args){0}); }
