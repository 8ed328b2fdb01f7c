/* `llamac tokenize`: text to token ids with a model's (or a vocab-only
 * GGUF's) tokenizer, and a throughput benchmark. Uses the public API, and
 * the library's one UTF-8 decoder (common/unicode.h) to print pieces. */
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"

#include "args.h"
#include "common/unicode.h"
#include "llamac.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_BYTES (1u << 20)
/* Plain English that every Debian system has (package base-files). */
#define BENCH_CORPUS "/usr/share/common-licenses"

static void tokenize_usage(FILE *f) {
    fprintf(f,
            "usage: llamac tokenize -m MODEL.gguf (-p TEXT | -f FILE) [--ids] [--no-bos]\n"
            "                       [--parse-special] [--prompt-limit BYTES]\n"
            "       llamac tokenize -m MODEL.gguf --bench [-f FILE] [--repeat N]\n\n"
            "Tokenizes TEXT (or the bytes of FILE) with the tokenizer stored in MODEL.gguf\n"
            "(a model or a vocabulary-only file) and prints one `id 'piece'` line per\n"
            "token, or with --ids one line of space-separated ids.\n"
            "  --no-bos          do not add BOS/EOS (default: as the vocabulary says)\n"
            "  --parse-special   text such as <|eot_id|> becomes that special token\n"
            "                    (default: special-token text is plain text)\n"
            "  --bench           time tokenizing 1 MiB of FILE (default: the files of\n"
            "                    " BENCH_CORPUS ", repeated), N times (default 5)\n"
            "                    and print the best throughput\n"
            "  --repeat N        timed runs, 1 to 1000 (default 5)\n"
            "  --prompt-limit BYTES  refuse a FILE larger than this (default 64M; a K, M\n"
            "                    or G suffix counts KiB, MiB, GiB); pipes and devices\n"
            "                    are read up to it\n");
}

static size_t prompt_limit = TOOL_PROMPT_LIMIT_DEFAULT;

static char *read_file(const char *path, size_t *len) {
    char err[512];
    char *buf = tool_read_file(path, prompt_limit, len, err, sizeof err);
    if (!buf) fprintf(stderr, "llamac tokenize: %s\n", err);
    return buf;
}

/* A piece on one line: printable text as is, the rest escaped. */
static void print_piece(const char *s, size_t n) {
    putchar('\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\\' || c == '\'') printf("\\%c", c);
        else if (c < 0x20 || c == 0x7F) printf("\\x%02x", c);
        else if (c >= 0x80) {
            /* Whole UTF-8 characters print as they are; stray bytes escaped. */
            uint32_t cp;
            size_t len = lc_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (len) {
                fwrite(s + i, 1, len, stdout);
                i += len - 1;
            } else {
                printf("\\x%02x", c);
            }
        } else {
            putchar(c);
        }
    }
    putchar('\'');
}

/* The default corpus: every regular file of BENCH_CORPUS, in a fixed order. */
static char *default_corpus(size_t *len) {
    static const char *const names[] = {"Apache-2.0", "Artistic", "BSD",     "CC0-1.0",  "GFDL-1.2",
                                        "GFDL-1.3",   "GPL-1",    "GPL-2",   "GPL-3",    "LGPL-2",
                                        "LGPL-2.1",   "LGPL-3",   "MPL-1.1", "MPL-2.0"};
    char *all = NULL;
    size_t total = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", BENCH_CORPUS, names[i]);
        char *part = read_file(path, &n);
        if (!part) continue;
        char *grown = realloc(all, total + n);
        if (!grown) {
            free(part);
            break;
        }
        all = grown;
        memcpy(all + total, part, n);
        total += n;
        free(part);
    }
    *len = total;
    return all;
}

static int bench(const llamac_vocab *vocab, const char *file, int32_t repeat, bool add_special, bool parse_special) {
    size_t n;
    char *src = file ? read_file(file, &n) : default_corpus(&n);
    if (!src || n == 0) {
        fprintf(stderr, "llamac tokenize: no benchmark text%s\n", file ? "" : " (is " BENCH_CORPUS " there?)");
        free(src);
        return 1;
    }
    /* Repeat the text up to 1 MiB, cut at a character boundary. */
    char *text = malloc(BENCH_BYTES);
    size_t len = 0;
    while (text && len < BENCH_BYTES) {
        size_t take = n < BENCH_BYTES - len ? n : BENCH_BYTES - len;
        memcpy(text + len, src, take);
        len += take;
    }
    while (len > 0 && ((unsigned char)text[len - 1] & 0xC0) == 0x80) len--;
    if (len > 0 && (unsigned char)text[len - 1] >= 0xC0) len--;
    llamac_token *tokens = malloc(sizeof *tokens * (len + 2));
    if (!text || !tokens) {
        fprintf(stderr, "llamac tokenize: out of memory\n");
        free(src);
        free(text);
        free(tokens);
        return 1;
    }
    /* Wall time is what a user waits; CPU time is steadier on a busy machine. */
    double best = 1e30, best_cpu = 1e30;
    int32_t count = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = tool_seconds(CLOCK_MONOTONIC), c0 = tool_seconds(CLOCK_PROCESS_CPUTIME_ID);
        llamac_status st = llamac_tokenize(vocab, text, len, tokens, (int32_t)len + 2, add_special,
                                           parse_special, &count);
        double t = tool_seconds(CLOCK_MONOTONIC) - t0, c = tool_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (c < best_cpu) best_cpu = c;
        if (st != LLAMAC_OK) {
            fprintf(stderr, "llamac tokenize: %s\n", llamac_last_error());
            free(src);
            free(text);
            free(tokens);
            return 1;
        }
        if (t < best) best = t;
    }
    printf("%s: %zu bytes -> %d tokens (%.2f bytes/token), best of %d: %.1f ms wall (%.2f MB/s), "
           "%.1f ms CPU (%.2f MB/s)\n",
           llamac_vocab_get_type(vocab) == LLAMAC_VOCAB_SPM ? "SPM" : "BPE", len, count,
           count ? (double)len / count : 0.0, repeat, best * 1e3, (double)len / best / 1e6, best_cpu * 1e3,
           (double)len / best_cpu / 1e6);
    free(src);
    free(text);
    free(tokens);
    return 0;
}

/* Set by tokenize_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL, *file = NULL;
    bool ids = false, add_special = true, parse_special = false, do_bench = false;
    int32_t repeat = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tokenize_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-m") && has_value) {
            model = argv[++i];
        } else if (!strcmp(a, "-p") && has_value) {
            prompt = argv[++i];
        } else if (!strcmp(a, "-f") && has_value) {
            file = argv[++i];
        } else if (!strcmp(a, "--repeat") && has_value) {
            if (!tool_opt_i32("tokenize", a, argv[++i], 1, 1000, &repeat)) return 2;
        } else if (!strcmp(a, "--prompt-limit") && has_value) {
            if (!tool_opt_bytes("tokenize", a, argv[++i], &prompt_limit)) return 2;
        } else if (!strcmp(a, "--ids")) {
            ids = true;
        } else if (!strcmp(a, "--no-bos")) {
            add_special = false;
        } else if (!strcmp(a, "--parse-special")) {
            parse_special = true;
        } else if (!strcmp(a, "--bench")) {
            do_bench = true;
        } else if (!has_value && (!strcmp(a, "-m") || !strcmp(a, "-p") || !strcmp(a, "-f") ||
                                  !strcmp(a, "--repeat") || !strcmp(a, "--prompt-limit"))) {
            fprintf(stderr, "llamac tokenize: %s needs a value\n", a);
            tokenize_usage(stderr);
            return 2;
        } else {
            fprintf(stderr, "llamac tokenize: unexpected argument '%s'\n", a);
            tokenize_usage(stderr);
            return 2;
        }
    }
    const char *missing = !model ? "need -m MODEL.gguf"
                          : do_bench && prompt ? "--bench takes -f FILE, not -p"
                          : !do_bench && !prompt == !file ? "need exactly one of -p TEXT, -f FILE"
                                                          : NULL;
    if (missing) {
        fprintf(stderr, "llamac tokenize: %s\n", missing);
        tokenize_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;

    llamac_vocab *vocab;
    llamac_status st = llamac_vocab_load(model, NULL, &vocab);
    if (st != LLAMAC_OK) {
        fprintf(stderr, "llamac tokenize: %s\n", llamac_last_error());
        return 1;
    }
    if (do_bench) {
        int rc = bench(vocab, file, repeat, add_special, parse_special);
        llamac_vocab_free(vocab);
        return rc;
    }

    size_t len = prompt ? strlen(prompt) : 0;
    char *data = NULL;
    if (file && !(data = read_file(file, &len))) {
        llamac_vocab_free(vocab);
        return 1;
    }
    const char *text = prompt ? prompt : data;
    int32_t n = 0;
    llamac_token *tokens = NULL;
    st = llamac_tokenize(vocab, text, len, NULL, 0, add_special, parse_special, &n);
    if (st == LLAMAC_OK || st == LLAMAC_ERR_BUFFER_TOO_SMALL) {
        tokens = malloc(sizeof *tokens * (size_t)(n > 0 ? n : 1));
        st = tokens ? llamac_tokenize(vocab, text, len, tokens, n, add_special, parse_special, &n)
                    : LLAMAC_ERR_NO_MEMORY;
    }
    int rc = 0;
    if (st != LLAMAC_OK) {
        fprintf(stderr, "llamac tokenize: %s\n", tokens ? llamac_last_error() : "out of memory");
        rc = 1;
    } else if (ids) {
        for (int32_t i = 0; i < n; i++) printf(i ? " %d" : "%d", tokens[i]);
        putchar('\n');
    } else {
        for (int32_t i = 0; i < n; i++) {
            char piece[1024];
            size_t plen = 0;
            llamac_status ps = llamac_token_to_piece(vocab, tokens[i], piece, sizeof piece, 0, true, &plen);
            printf("%d ", tokens[i]);
            if (ps == LLAMAC_OK) print_piece(piece, plen);
            else fputs("'...'", stdout); /* a piece longer than 1 KiB */
            putchar('\n');
        }
    }
    free(tokens);
    free(data);
    llamac_vocab_free(vocab);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int tokenize_parse_only(int argc, char **argv) { return tool_parse_only(cmd_tokenize, &parse_only, argc, argv); }
