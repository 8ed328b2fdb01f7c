/* `llamac chat`: a terminal chat with a model (docs/tools.md, "llamac
 * chat"). Each stdin line is a user turn. Every turn renders the whole
 * conversation with the chat template (a built-in of llamac.h section 10,
 * else the Jinja engine of section 11), tokenizes it with BOS once, and
 * decodes only from the first token that differs from what the KV cache of
 * sequence 0 holds; the answer streams to stdout and becomes the
 * assistant's message. Uses the public API, and the library's JSON reader
 * for /load. */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "default_model.h"
#include "run_state.h"
#include "sampling_opts.h"
#include "session.h"

#include "common/json.h"
#include "llamac.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STOP_MAX 64 /* bytes of the end-of-turn stop string */

typedef struct chat_args {
    const char *model, *system, *tmpl;
    int32_t n_predict, n_keep;
    uint32_t n_ctx;
    tool_sampling smp;
} chat_args;

static void chat_usage(FILE *f) {
    fprintf(f,
            "usage: llamac chat [-m MODEL] [--system TEXT] [--template NAME|FILE]\n"
            "                   [-c N_CTX] [-n N] [--keep N] [--temp T] [--top-k K]\n"
            "                   [--top-p P] [--min-p P] [--repeat-penalty R]\n"
            "                   [--repeat-last-n N] [--seed S] [-t THREADS]\n"
            "\n"
            "A chat on the terminal, or through a pipe: each line read from stdin is a\n"
            "user turn. The whole conversation is formatted with the chat template and\n"
            "tokenized (BOS once, special-token text parsed); only the tokens from the\n"
            "first one that differs from what the KV cache holds are decoded. The answer\n"
            "streams to stdout and ends at an end-of-generation token, at the template's\n"
            "end-of-turn text (e.g. <|im_end|>, a stop string), after N tokens, or when\n"
            "the context is full. After each answer stderr gets one line:\n"
            "  prompt: reused R, decoded D tokens; generated G tokens, X t/s\n"
            "Commands (a line starting with '/'):\n"
            "  /reset       forget the conversation (the --system message stays)\n"
            "  /save FILE   save the KV cache to FILE (a state file) and the messages\n"
            "               to FILE.json\n"
            "  /load FILE   restore both (the cache only speeds up the next turn)\n"
            "  /quit        leave (so does the end of the input)\n"
            "Ctrl-C stops the current answer, not the program.\n"
            "\n"
            "  -m MODEL             GGUF model (default: the model shipped with llamac)\n"
            "  --system TEXT        a system message first in the conversation\n"
            "  --template NAME|FILE the chat format: an existing FILE (Jinja text, as in\n"
            "                       tokenizer.chat_template: its detected built-in, else the\n"
            "                       Jinja engine) wins over a built-in's NAME (chatml,\n"
            "                       llama3, ...). Default: the model's\n"
            "                       tokenizer.chat_template, the same way\n"
            "  -c N_CTX             context size in tokens (default: the model's, at most\n"
            "                       4096)\n"
            "  -n N                 most tokens per answer (default -1: no limit)\n"
            "  --keep N             when the context is full, keep its first N tokens, drop\n"
            "                       half of the rest and go on (default -1: the answer stops\n"
            "                       with a message)\n");
    tool_sampling_usage(f);
    fprintf(f, "Exit status: 0 done, 1 failure (model, template), 2 bad arguments.\n");
}

/* Returns -1 when the chat should go on, else the exit status. */
static int parse_args(int argc, char **argv, chat_args *a) {
    *a = (chat_args){.n_predict = -1, .n_keep = -1, .smp = tool_sampling_defaults()};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            chat_usage(stdout);
            return 0;
        }
        const bool known = tool_sampling_is_option(o) || !strcmp(o, "-m") || !strcmp(o, "--system") ||
                           !strcmp(o, "--template") || !strcmp(o, "-c") || !strcmp(o, "-n") ||
                           !strcmp(o, "--keep");
        if (!known) {
            fprintf(stderr, "llamac chat: unknown option %s\n", o);
            goto bad;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llamac chat: %s needs a value\n", o);
            goto bad;
        }
        const char *v = argv[++i];
        int32_t n = 0;
        bool ok = true;
        if (tool_sampling_is_option(o)) ok = tool_sampling_parse("chat", o, v, &a->smp);
        else if (!strcmp(o, "-m")) a->model = v;
        else if (!strcmp(o, "--system")) a->system = v;
        else if (!strcmp(o, "--template")) a->tmpl = v;
        else if (!strcmp(o, "-n")) ok = tool_opt_i32("chat", o, v, -1, INT32_MAX, &a->n_predict);
        else if (!strcmp(o, "--keep")) ok = tool_opt_i32("chat", o, v, -1, INT32_MAX, &a->n_keep);
        else if (!strcmp(o, "-c")) {
            ok = tool_opt_i32("chat", o, v, 1, INT32_MAX, &n);
            a->n_ctx = ok ? (uint32_t)n : 0;
        }
        if (!ok) goto bad;
    }
    return -1;
bad:
    chat_usage(stderr);
    return 2;
}

/* ---- the conversation ---- */

typedef struct conversation {
    llamac_chat_message *m; /* roles and contents malloc'd */
    size_t n, cap;
} conversation;

static bool conv_add(conversation *c, const char *role, const char *content, size_t len) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        llamac_chat_message *m = realloc(c->m, cap * sizeof *m);
        if (!m) return false;
        c->m = m;
        c->cap = cap;
    }
    char *r = strdup(role), *t = malloc(len + 1);
    if (!r || !t) {
        free(r);
        free(t);
        return false;
    }
    memcpy(t, content, len);
    t[len] = '\0';
    c->m[c->n++] = (llamac_chat_message){r, t};
    return true;
}

/* Drops the messages from index n on. */
static void conv_truncate(conversation *c, size_t n) {
    while (c->n > n) {
        c->n--;
        free((char *)c->m[c->n].role);
        free((char *)c->m[c->n].content);
    }
}

static void conv_free(conversation *c) {
    conv_truncate(c, 0);
    free(c->m);
    *c = (conversation){0};
}

/* ---- the template ---- */

typedef struct chat_template {
    const char *builtin; /* a built-in's name (static), or NULL: Jinja */
    char *jinja;         /* the Jinja text when no built-in was detected */
    char bos[64], eos[64]; /* the vocabulary's BOS/EOS text, for the Jinja variables */
    char stop[STOP_MAX];   /* the end-of-turn text, or "" */
} chat_template;

/* Renders c (ending with the assistant's opening when add_gen) into a
 * malloc'd string, *len its length. NULL after printing the reason. */
static char *render(const chat_template *t, const llamac_chat_message *m, size_t n, bool add_gen, size_t *len,
                    bool quiet) {
    llamac_jinja_params jp;
    llamac_jinja_params_init(&jp, sizeof jp);
    jp.add_generation_prompt = add_gen;
    jp.bos_token = t->bos;
    jp.eos_token = t->eos;
    char *buf = NULL;
    size_t cap = 4096, need = 0;
    llamac_status st = LLAMAC_ERR_NO_MEMORY;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            st = LLAMAC_ERR_NO_MEMORY;
            break;
        }
        buf = nb;
        st = t->builtin ? llamac_chat_apply_template(NULL, t->builtin, m, n, add_gen, buf, cap, &need)
                        : llamac_chat_render_jinja(t->jinja, m, n, &jp, buf, cap, &need);
        if (st != LLAMAC_ERR_BUFFER_TOO_SMALL) break;
        cap = need;
    }
    if (st != LLAMAC_OK) {
        if (!quiet)
            fprintf(stderr, "llamac chat: the template failed: %s: %s\n", llamac_status_name(st),
                    st == LLAMAC_ERR_NO_MEMORY ? "out of memory" : llamac_last_error());
        free(buf);
        return NULL;
    }
    buf[need] = '\0';
    *len = need;
    return buf;
}

/* The end-of-turn text: what the template writes right after an
 * assistant's message (up to the first whitespace after it), found by
 * rendering a conversation that ends with a marker answer. Empty when the
 * template writes nothing there or refuses the conversation. */
static void find_stop(chat_template *t, const char *system) {
    static const char marker[] = "\x01llamac-answer\x01";
    llamac_chat_message m[3];
    size_t n = 0;
    if (system) m[n++] = (llamac_chat_message){"system", system};
    m[n++] = (llamac_chat_message){"user", "Hi"};
    m[n++] = (llamac_chat_message){"assistant", marker};
    size_t len = 0;
    char *text = render(t, m, n, false, &len, true);
    t->stop[0] = '\0';
    const char *at = text ? strstr(text, marker) : NULL;
    if (at) {
        const char *s = at + strlen(marker);
        while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
        size_t k = 0;
        while (s[k] && s[k] != ' ' && s[k] != '\n' && s[k] != '\r' && s[k] != '\t' && k + 1 < STOP_MAX) k++;
        memcpy(t->stop, s, k);
        t->stop[k] = '\0';
    }
    free(text);
}

/* Picks the template from `arg` (--template) or the model's
 * tokenizer.chat_template. False after printing why. */
static bool load_template(chat_template *t, const char *arg, const llamac_model *model) {
    char *text = NULL;
    const char *from = arg;
    struct stat sb;
    if (arg && stat(arg, &sb) != 0) {
        t->builtin = llamac_chat_detect_template(arg);
        if (!t->builtin)
            fprintf(stderr,
                    "llamac chat: --template '%s' is neither a file nor a built-in chat format "
                    "(chatml, llama3, ...; `llamac chat-template --help`)\n",
                    arg);
        return t->builtin != NULL;
    }
    size_t len = 0;
    if (arg) {
        char err[512];
        if (!(text = tool_read_file(arg, TOOL_PROMPT_LIMIT_DEFAULT, &len, err, sizeof err))) {
            fprintf(stderr, "llamac chat: --template: %s\n", err);
            return false;
        }
    } else {
        const char *s = NULL;
        uint64_t n = 0;
        from = "the model's tokenizer.chat_template";
        if (llamac_gguf_get_string(llamac_model_gguf(model), "tokenizer.chat_template", &s, &n) != LLAMAC_OK) {
            fprintf(stderr, "llamac chat: the model has no usable tokenizer.chat_template (%s); "
                            "give --template NAME|FILE\n", llamac_last_error());
            return false;
        }
        if (!(text = malloc((size_t)n + 1))) {
            fprintf(stderr, "llamac chat: out of memory\n");
            return false;
        }
        memcpy(text, s, (size_t)n);
        len = (size_t)n;
    }
    const char *why = NULL;
    char *z = tool_cstring(text, len, &why);
    if (!z) {
        fprintf(stderr, "llamac chat: %s: the template: %s\n", from, why);
        return false;
    }
    t->builtin = llamac_chat_detect_template(z);
    if (t->builtin) free(z);
    else t->jinja = z;
    return true;
}

/* ---- the KV cache and what it holds ---- */

/* The conversation's state besides its messages: sequence 0 of ctx holds
 * seq.ids (one cell per token, positions 0..seq.n-1). */
typedef struct chat {
    const chat_args *a;
    llamac_context *ctx;
    const llamac_vocab *vocab;
    llamac_sampler *chain;
    chat_template tmpl;
    conversation conv;
    run_tokens seq;
    /* After a context shift the cache no longer holds a rendering of the
     * conversation from its start; then new turns are appended as the text
     * the new rendering adds after `said` (the text the cache stands for). */
    bool shifted;
    char *said;
    size_t said_len;
} chat;

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}
static bool abort_on_sigint(void *user) {
    (void)user;
    return interrupted != 0;
}

static void forget_cache(chat *c) {
    llamac_kv_clear(c->ctx);
    c->seq.n = 0;
    c->shifted = false;
}

/* Makes room for `need` more cells by llama.cpp's context shift: keep the
 * first `keep` tokens, drop half of the rest, move the others down. */
static bool make_room(chat *c, int32_t keep, int32_t need) {
    const int32_t n_ctx = (int32_t)llamac_context_n_ctx(c->ctx);
    if (keep > c->seq.n) keep = c->seq.n;
    while (n_ctx - c->seq.n < need) {
        const int32_t d = (c->seq.n - keep) / 2;
        if (d <= 0) return false;
        if (llamac_kv_seq_rm(c->ctx, 0, keep, keep + d) || llamac_kv_seq_add(c->ctx, 0, keep + d, -1, -d)) {
            forget_cache(c);
            return false;
        }
        memmove(c->seq.ids + keep, c->seq.ids + keep + d, (size_t)(c->seq.n - keep - d) * sizeof *c->seq.ids);
        c->seq.n -= d;
        c->shifted = true;
    }
    return true;
}

/* After a shift: the cache stands for text[0..len) (the rendered prompt
 * and the answer). On failure the cache is forgotten (the next turn
 * decodes the conversation afresh). */
static void set_said(chat *c, const char *text, size_t len, const char *answer, size_t answer_len) {
    char *s = realloc(c->said, len + answer_len + 1);
    if (!s) {
        forget_cache(c);
        return;
    }
    memcpy(s, text, len);
    if (answer_len) memcpy(s + len, answer, answer_len);
    s[len + answer_len] = '\0';
    c->said = s;
    c->said_len = len + answer_len;
}

/* The text of tokens[0..n) as the generator prints it (its detok
 * settings: every piece as it is, special tokens as nothing), malloc'd;
 * NULL when memory runs out. */
static char *tokens_text(const llamac_vocab *vocab, const llamac_token *tokens, int32_t n, size_t *len) {
    llamac_detok_params dp = llamac_detok_default_params();
    dp.strip_leading_space = false;
    llamac_detok *d = NULL;
    char *out = malloc(1);
    size_t cap = 1;
    *len = 0;
    if (!out || llamac_detok_new(vocab, &dp, &d)) goto fail;
    for (int32_t i = 0; i <= n; i++) {
        const char *piece = NULL;
        size_t k = 0;
        if ((i < n ? llamac_detok_push(d, tokens[i], &piece, &k) : llamac_detok_flush(d, &piece, &k))) goto fail;
        if (*len + k + 1 > cap) {
            while (cap < *len + k + 1) cap *= 2;
            char *g = realloc(out, cap);
            if (!g) goto fail;
            out = g;
        }
        memcpy(out + *len, piece, k);
        *len += k;
    }
    out[*len] = '\0';
    llamac_detok_free(d);
    return out;
fail:
    llamac_detok_free(d);
    free(out);
    return NULL;
}

/* One user turn: render, reuse the cache's common prefix, decode the rest,
 * stream the answer. The user's message is dropped again when no answer
 * could start. */
static void turn(chat *c, const char *line, size_t len) {
    const size_t n_before = c->conv.n;
    if (!conv_add(&c->conv, "user", line, len)) {
        fprintf(stderr, "llamac chat: out of memory\n");
        return;
    }
    size_t text_len = 0;
    char *text = render(&c->tmpl, c->conv.m, c->conv.n, true, &text_len, false);
    llamac_token *tokens = NULL;
    int32_t n_tokens = 0, n_reused = 0;
    llamac_generator *gen = NULL;
    char *answer = NULL;
    size_t answer_len = 0, answer_cap = 0;
    run_tokens sampled = {0}; /* this answer's tokens */
    llamac_status st;
    if (!text) goto drop;
    if (c->shifted) {
        /* only what the new rendering adds after the text the cache holds */
        if (text_len < c->said_len || memcmp(text, c->said, c->said_len) != 0) {
            fprintf(stderr, "llamac chat: after a context shift the template renders the conversation "
                            "differently; /reset starts over\n");
            goto drop;
        }
        st = tool_tokenize_prompt(c->vocab, text + c->said_len, text_len - c->said_len, false, &tokens, &n_tokens);
        n_reused = c->seq.n;
    } else {
        st = tool_tokenize_prompt(c->vocab, text, text_len, true, &tokens, &n_tokens);
        if (!st) {
            while (n_reused < c->seq.n && n_reused < n_tokens && c->seq.ids[n_reused] == tokens[n_reused]) n_reused++;
            /* the first sample needs the logits of the last token */
            if (n_reused == n_tokens) n_reused--;
        }
    }
    if (st) {
        fprintf(stderr, "llamac chat: tokenizing the conversation: %s: %s\n", llamac_status_name(st),
                llamac_last_error());
        goto drop;
    }
    if (n_tokens - (c->shifted ? 0 : n_reused) < 1) {
        fprintf(stderr, "llamac chat: the template added no text for this turn\n");
        goto drop;
    }
    const int32_t n_ctx = (int32_t)llamac_context_n_ctx(c->ctx);
    const llamac_token *fresh = c->shifted ? tokens : tokens + n_reused; /* after the cached prefix */
    const int32_t n_fresh = c->shifted ? n_tokens : n_tokens - n_reused;
    if (!c->shifted && n_reused < c->seq.n) {
        if ((st = llamac_kv_seq_rm(c->ctx, 0, n_reused, -1))) {
            fprintf(stderr, "llamac chat: %s: %s\n", llamac_status_name(st), llamac_last_error());
            forget_cache(c);
            goto drop;
        }
        c->seq.n = n_reused;
    }
    /* room for the prompt and the first answer token */
    if (n_ctx - c->seq.n < n_fresh + 1 && !(c->a->n_keep >= 0 && make_room(c, c->a->n_keep, n_fresh + 1))) {
        fprintf(stderr,
                "llamac chat: the conversation (%d tokens, %d of them to decode) does not fit the "
                "context of %d tokens%s; /reset starts over\n",
                (int)(c->seq.n + n_fresh), (int)n_fresh, (int)n_ctx,
                c->a->n_keep >= 0 ? "" : " (--keep N shifts it)");
        goto drop;
    }

    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = c->a->n_predict;
    const char *stops[1] = {c->tmpl.stop};
    gp.stop_strings = stops;
    gp.n_stop = c->tmpl.stop[0] ? 1 : 0;
    gp.n_keep = c->a->n_keep;
    gp.abort_fn = abort_on_sigint;
    if ((st = llamac_generator_new(c->ctx, c->chain, &gp, &gen))) {
        fprintf(stderr, "llamac chat: %s: %s\n", llamac_status_name(st), llamac_last_error());
        goto drop;
    }
    interrupted = 0;
    st = llamac_generator_prompt(gen, fresh, n_fresh);
    if (st) {
        fprintf(stderr, "llamac chat: %s\n", st == LLAMAC_ERR_CANCELLED ? "interrupted" : llamac_last_error());
        goto drop;
    }
    if (!run_tokens_append(&c->seq, fresh, n_fresh)) goto oom;
    /* the generator's keep count (llamac.h, "Context shift") */
    int32_t keep = c->a->n_keep < c->seq.n ? c->a->n_keep : c->seq.n;
    if (keep > n_ctx - 4) keep = n_ctx - 4 > 0 ? n_ctx - 4 : 0;

    const double t1 = tool_now_seconds();
    llamac_generation_step step = {0};
    llamac_pos held = llamac_kv_seq_pos_max(c->ctx, 0) + 1;
    do {
        if ((st = llamac_generator_next(gen, &step))) break;
        const llamac_pos now = llamac_kv_seq_pos_max(c->ctx, 0) + 1;
        if (now < held && c->a->n_keep >= 0) {
            /* the generator shifted the context before its decode, with
             * n_past = held (llamac.h, "Context shift"): mirror it */
            const int32_t d = (held - keep) / 2;
            if (d > 0 && keep + d <= c->seq.n) {
                memmove(c->seq.ids + keep, c->seq.ids + keep + d,
                        (size_t)(c->seq.n - keep - d) * sizeof *c->seq.ids);
                c->seq.n -= d;
            }
            c->shifted = true;
        }
        held = now;
        if (step.token != LLAMAC_TOKEN_NULL &&
            (!run_tokens_append(&c->seq, &step.token, 1) || !run_tokens_append(&sampled, &step.token, 1)))
            goto oom;
        fwrite(step.text, 1, step.text_len, stdout);
        fflush(stdout);
        if (answer_len + step.text_len + 1 > answer_cap) {
            size_t cap = answer_cap ? answer_cap * 2 : 256;
            while (cap < answer_len + step.text_len + 1) cap *= 2;
            char *g = realloc(answer, cap);
            if (!g) goto oom;
            answer = g;
            answer_cap = cap;
        }
        memcpy(answer + answer_len, step.text, step.text_len);
        answer_len += step.text_len;
        answer[answer_len] = '\0';
    } while (step.stop == LLAMAC_STOP_NONE);
    const double t_gen = tool_now_seconds() - t1;
    printf("\n");
    fflush(stdout);
    /* The cache holds every token but the last sampled one (not decoded). */
    held = llamac_kv_seq_pos_max(c->ctx, 0) + 1;
    if (held >= 0 && held < c->seq.n) c->seq.n = held;
    if (c->shifted) {
        /* The cache stands for the prompt and the answer's tokens but the
         * last (never decoded), including the start of a stop string that
         * ended the answer: the next turn goes on from that text. */
        size_t tail_len = 0;
        char *tail = tokens_text(c->vocab, sampled.ids, sampled.n > 0 ? sampled.n - 1 : 0, &tail_len);
        if (!tail) goto oom;
        set_said(c, text, text_len, tail, tail_len);
        free(tail);
    }
    if (st == LLAMAC_ERR_CANCELLED) fprintf(stderr, "llamac chat: interrupted\n");
    else if (st) fprintf(stderr, "llamac chat: %s: %s\n", llamac_status_name(st), llamac_last_error());
    else if (step.stop == LLAMAC_STOP_CONTEXT_FULL)
        fprintf(stderr, "llamac chat: the context (%d tokens) is full: the answer stops here "
                        "(--keep N shifts the context; /reset starts over)\n", (int)n_ctx);
    const int32_t n_gen = llamac_generator_n_generated(gen);
    if (!conv_add(&c->conv, "assistant", answer ? answer : "", answer_len)) goto oom;
    fprintf(stderr, "prompt: reused %d, decoded %d tokens; generated %d tokens, %.2f t/s\n", (int)n_reused,
            (int)n_fresh, (int)n_gen, t_gen > 0 ? n_gen / t_gen : 0.0);
    goto done;
oom:
    fprintf(stderr, "llamac chat: out of memory; the cache is cleared\n");
    forget_cache(c);
drop:
    conv_truncate(&c->conv, n_before);
done:
    llamac_generator_free(gen);
    run_tokens_free(&sampled);
    free(answer);
    free(tokens);
    free(text);
}

/* ---- /save and /load ---- */

/* FILE.json: the messages as a JSON array of {"role", "content"}, the
 * strings escaped by the library's JSON writer (the one /load's parser
 * pairs with). A message that is not UTF-8 could not be read back: it is
 * refused before the file is written. */
static bool save_messages(const conversation *conv, const char *path) {
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_bytes doc = {0};
    llamac_status st = lc_bytes_append(&env, &doc, "[", 1);
    for (size_t i = 0; i < conv->n && st == LLAMAC_OK; i++) {
        const char *sep = i ? ",\n {\"role\": " : "{\"role\": ";
        st = lc_bytes_append(&env, &doc, sep, strlen(sep));
        if (st == LLAMAC_OK) st = lc_json_write_string(&env, &doc, conv->m[i].role, strlen(conv->m[i].role));
        if (st == LLAMAC_OK) st = lc_bytes_append(&env, &doc, ", \"content\": ", 13);
        if (st == LLAMAC_OK)
            st = lc_json_write_string(&env, &doc, conv->m[i].content, strlen(conv->m[i].content));
        if (st == LLAMAC_OK) st = lc_bytes_append(&env, &doc, "}", 1);
    }
    if (st == LLAMAC_OK) st = lc_bytes_append(&env, &doc, "]\n", 2);
    if (st != LLAMAC_OK) {
        fprintf(stderr, "llamac chat: cannot save the messages: %s\n", llamac_last_error());
        lc_free(&env, doc.data);
        return false;
    }
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(doc.data, 1, doc.len, f) == doc.len;
    if (f) ok = (fclose(f) == 0) && ok;
    if (!ok) fprintf(stderr, "llamac chat: cannot write '%s': %s\n", path, strerror(errno));
    lc_free(&env, doc.data);
    return ok;
}

/* Reads FILE.json into *out (empty on entry). False after a message. */
static bool load_messages(const char *path, conversation *out) {
    char err[512];
    size_t len = 0;
    char *text = tool_read_file(path, TOOL_PROMPT_LIMIT_DEFAULT, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "llamac chat: %s\n", err);
        return false;
    }
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    bool ok = false;
    if (lc_json_parse(&env, text, len, NULL, &root) != LLAMAC_OK) {
        fprintf(stderr, "llamac chat: %s: %s\n", path, llamac_last_error());
    } else if (lc_json_kind_of(root) != LC_JSON_ARRAY) {
        fprintf(stderr, "llamac chat: %s: expected an array of messages\n", path);
    } else {
        ok = true;
        for (size_t i = 0; ok && i < lc_json_count(root); i++) {
            const lc_json *m = lc_json_at(root, i);
            const lc_json *r = lc_json_get(m, "role"), *c = lc_json_get(m, "content");
            size_t rl = 0, cl = 0;
            const char *rs = r ? lc_json_string(r, &rl) : NULL, *cs = c ? lc_json_string(c, &cl) : NULL;
            if (!rs || !cs || strlen(rs) != rl || strlen(cs) != cl) {
                fprintf(stderr, "llamac chat: %s: messages[%zu] needs string \"role\" and \"content\" "
                                "(without NUL characters)\n", path, i);
                ok = false;
            } else if (!conv_add(out, rs, cs, cl)) {
                fprintf(stderr, "llamac chat: out of memory\n");
                ok = false;
            }
        }
    }
    lc_json_free(&env, root);
    free(text);
    return ok;
}

static char *json_path(const char *path) {
    char *p = malloc(strlen(path) + 6);
    if (p) sprintf(p, "%s.json", path);
    return p;
}

static void cmd_save(chat *c, const char *path) {
    char *jp = json_path(path);
    uint64_t bytes = 0;
    llamac_status st;
    if (!jp) {
        fprintf(stderr, "llamac chat: out of memory\n");
    } else if (c->shifted) {
        fprintf(stderr, "llamac chat: /save: the context was shifted, so the cache no longer holds the "
                        "conversation from its start; not saved\n");
    } else if ((st = run_state_save(c->ctx, NULL, path, &c->seq, &bytes))) {
        fprintf(stderr, "llamac chat: /save '%s': %s: %s\n", path, llamac_status_name(st), llamac_last_error());
    } else if (save_messages(&c->conv, jp)) {
        fprintf(stderr, "llamac chat: saved %d tokens (%llu bytes) to '%s', %zu messages to '%s'\n",
                (int)c->seq.n, (unsigned long long)bytes, path, c->conv.n, jp);
    }
    free(jp);
}

static void cmd_load(chat *c, const char *path) {
    char *jp = json_path(path);
    conversation conv = {0};
    if (!jp) {
        fprintf(stderr, "llamac chat: out of memory\n");
    } else if (load_messages(jp, &conv)) {
        forget_cache(c);
        bool note = false;
        llamac_status st = run_state_restore(c->ctx, NULL, path, &c->seq, &note);
        conv_free(&c->conv);
        c->conv = conv;
        conv = (conversation){0};
        if (st) {
            forget_cache(c);
            fprintf(stderr, "llamac chat: /load '%s': %s: %s; the %zu messages of '%s' are loaded, the next "
                            "turn decodes them\n", path, llamac_status_name(st), llamac_last_error(), c->conv.n, jp);
        } else {
            fprintf(stderr, "llamac chat: loaded %d tokens from '%s', %zu messages from '%s'\n", (int)c->seq.n,
                    path, c->conv.n, jp);
        }
    }
    conv_free(&conv);
    free(jp);
}

/* A line that starts with '/'. False for /quit. */
static bool command(chat *c, char *line) {
    char *arg = line + strcspn(line, " \t");
    if (*arg) *arg++ = '\0';
    arg += strspn(arg, " \t");
    const bool needs_file = !strcmp(line, "/save") || !strcmp(line, "/load");
    if (!strcmp(line, "/quit") || !strcmp(line, "/exit")) return false;
    if (needs_file && !*arg) {
        fprintf(stderr, "llamac chat: %s needs a file name\n", line);
    } else if (!needs_file && *arg) {
        fprintf(stderr, "llamac chat: %s takes no argument\n", line);
    } else if (!strcmp(line, "/reset")) {
        forget_cache(c);
        conv_truncate(&c->conv, c->a->system ? 1 : 0);
        fprintf(stderr, "llamac chat: the conversation starts over\n");
    } else if (!strcmp(line, "/save")) {
        cmd_save(c, arg);
    } else if (!strcmp(line, "/load")) {
        cmd_load(c, arg);
    } else {
        fprintf(stderr, "llamac chat: unknown command '%s' (/reset, /save FILE, /load FILE, /quit)\n", line);
    }
    return true;
}

/* Set by chat_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

int cmd_chat(int argc, char **argv) {
    chat_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0 || parse_only) return rc;
    tool_sampling_pick_seed(&a.smp);
    char default_model[4096];
    if (!a.model) {
        if (find_default_model(NULL, default_model, sizeof default_model) != 0) {
            fprintf(stderr, "llamac chat: no -m MODEL and no shipped model: %s\n", default_model);
            return 1;
        }
        a.model = default_model;
    }
    tool_session ss;
    chat c = {.a = &a};
    char *line = NULL;
    size_t line_cap = 0;
    rc = 1;
    if (!tool_session_load(&ss, "chat", a.model, NULL)) goto done;
    if (!(c.vocab = llamac_model_vocab(ss.model))) {
        fprintf(stderr, "llamac chat: %s has no tokenizer\n", a.model);
        goto done;
    }
    if (!load_template(&c.tmpl, a.tmpl, ss.model)) goto done;
    const char *bos = llamac_vocab_token_text(c.vocab, llamac_vocab_bos(c.vocab), NULL);
    const char *eos = llamac_vocab_token_text(c.vocab, llamac_vocab_eos(c.vocab), NULL);
    snprintf(c.tmpl.bos, sizeof c.tmpl.bos, "%s", bos ? bos : "");
    snprintf(c.tmpl.eos, sizeof c.tmpl.eos, "%s", eos ? eos : "");
    find_stop(&c.tmpl, a.system);
    if (a.system && !conv_add(&c.conv, "system", a.system, strlen(a.system))) {
        fprintf(stderr, "llamac chat: out of memory\n");
        goto done;
    }
    llamac_context_params cp = llamac_context_default_params();
    const int32_t n_train = llamac_model_n_ctx_train(ss.model);
    cp.n_ctx = a.n_ctx ? a.n_ctx : (uint32_t)(n_train > 0 && n_train < 4096 ? n_train : 4096);
    cp.n_threads = a.smp.threads;
    cp.abort_fn = abort_on_sigint;
    if (!tool_session_context(&ss, cp)) goto done;
    c.ctx = ss.ctx;
    if (!(c.chain = tool_sampling_chain(&a.smp, c.vocab, NULL, 0))) {
        fprintf(stderr, "llamac chat: the sampler: %s\n", llamac_last_error());
        goto done;
    }
    fprintf(stderr, "llamac chat: %s, template %s%s%s%s, context %u, seed %llu\n", llamac_model_desc(ss.model),
            c.tmpl.builtin ? c.tmpl.builtin : "(Jinja)", c.tmpl.stop[0] ? ", end of turn '" : "", c.tmpl.stop,
            c.tmpl.stop[0] ? "'" : "", llamac_context_n_ctx(c.ctx), (unsigned long long)a.smp.seed);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART; /* a read in progress goes on: Ctrl-C only ends answers */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    const bool tty = isatty(0);
    for (;;) {
        if (tty) fputs("> ", stderr);
        errno = 0;
        ssize_t n = getline(&line, &line_cap, stdin);
        if (n < 0) break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        if (memchr(line, '\0', (size_t)n)) {
            fprintf(stderr, "llamac chat: the line holds a NUL byte; ignored\n");
            continue;
        }
        if (line[0] == '/') {
            if (!command(&c, line)) break;
            continue;
        }
        turn(&c, line, (size_t)n);
    }
    rc = 0;
done:
    free(line);
    free(c.said);
    free(c.tmpl.jinja);
    conv_free(&c.conv);
    run_tokens_free(&c.seq);
    llamac_sampler_free(c.chain);
    tool_session_close(&ss);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int chat_parse_only(int argc, char **argv) { return tool_parse_only(cmd_chat, &parse_only, argc, argv); }
