/* `llamac logits`: decode a prompt (and teacher-forced continuation) and
 * write every position's logits in the golden file format; optionally
 * compare with reference logits by the criteria of
 * ../shared/golden/README.md and fail when one is not met. */
#include "args.h"
#include "cmd_parse.h"
#include "commands.h"
#include "golden.h"
#include "session.h"

#include "llamac.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void logits_usage(FILE *f) {
    fprintf(f,
            "usage: llamac logits -m MODEL (--tokens 1,2,3 | --golden FILE) [--gen 4,5,6]\n"
            "                     [-t THREADS] [--chunk K] [--kv f16|f32] [-o OUT]\n"
            "                     [--golden-f32 FILE] [--type TYPE]\n"
            "\n"
            "Decodes the prompt tokens in one batch (or in batches of K) with logits at\n"
            "every position, then each --gen token alone at the following positions,\n"
            "and writes all rows to OUT in the golden file format.\n"
            "\n"
            "  --golden FILE      take prompt and gen tokens from FILE and compare with its\n"
            "                     logits: criterion 1 (mean KLD over all positions), and\n"
            "                     for F32/F16 criterion 3 (greedy continuation = gen)\n"
            "  --golden-f32 FILE  criterion 2: mean KLD over the prompt to these F32\n"
            "                     logits <= 1.10 * KLD_q(TYPE) + 2e-5\n"
            "  --type TYPE        file type for the limits (F32, Q4_K_M, ...); by default\n"
            "                     taken from a --golden name like tiny-Q4_K_M.golden\n"
            "Exit status 1 when a criterion fails.\n");
}

/* Parses "1,2,3" into a new array. */
static int parse_tokens(const char *s, int32_t **out, uint32_t *n) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int32_t *v = malloc(cap * sizeof *v);
    if (!v) return -1;
    uint32_t k = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long t = strtol(p, &end, 10);
        if (end == p || errno || t < INT32_MIN || t > INT32_MAX || (*end != ',' && *end != '\0')) {
            free(v);
            return -1;
        }
        v[k++] = (int32_t)t;
        if (*end == '\0') break;
        p = end + 1;
    }
    *out = v;
    *n = k;
    return 0;
}

/* "…/tiny-Q4_K_M.golden" -> "Q4_K_M" */
static void type_from_golden_name(const char *path, char *type, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dash = strrchr(base, '-'), *dot = strstr(base, ".golden");
    type[0] = '\0';
    if (dash && dot && dot > dash + 1 && (size_t)(dot - dash - 1) < size) {
        memcpy(type, dash + 1, (size_t)(dot - dash - 1));
        type[dot - dash - 1] = '\0';
    }
}

/* For files outside the README's table: the limit of criterion 1 by the
 * most lossy tensor type of the model. */
static double same_file_limit_from_model(const llamac_model *model, const char **cls) {
    const llamac_gguf *g = llamac_model_gguf(model);
    bool quant = false, bf16 = false;
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info ti;
        if (llamac_gguf_tensor(g, i, &ti) != LLAMAC_OK) continue;
        if (ti.type == LLAMAC_TYPE_BF16) bf16 = true;
        else if (ti.type != LLAMAC_TYPE_F32 && ti.type != LLAMAC_TYPE_F16) quant = true;
    }
    *cls = quant ? "quantized" : bf16 ? "BF16" : "F32/F16";
    return quant ? 5e-3 : bf16 ? 2e-4 : 2e-5;
}

typedef struct logits_args {
    const char *model, *tokens, *gen, *golden, *golden_f32, *out, *type;
    int32_t threads, chunk;
    llamac_type kv;
} logits_args;

static int parse_args(int argc, char **argv, logits_args *a) {
    memset(a, 0, sizeof *a);
    a->kv = LLAMAC_TYPE_F16;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "-h") || !strcmp(k, "--help")) {
            logits_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llamac logits: %s needs a value\n", k);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(k, "-m")) a->model = v;
        else if (!strcmp(k, "--tokens")) a->tokens = v;
        else if (!strcmp(k, "--gen")) a->gen = v;
        else if (!strcmp(k, "--golden")) a->golden = v;
        else if (!strcmp(k, "--golden-f32")) a->golden_f32 = v;
        else if (!strcmp(k, "-o")) a->out = v;
        else if (!strcmp(k, "--type")) a->type = v;
        else if (!strcmp(k, "-t")) {
            if (!tool_opt_i32("logits", k, v, 0, 1024, &a->threads)) return 2;
        } else if (!strcmp(k, "--chunk")) {
            if (!tool_opt_i32("logits", k, v, 0, INT32_MAX, &a->chunk)) return 2;
        }
        else if (!strcmp(k, "--kv")) {
            if (!strcmp(v, "f16")) a->kv = LLAMAC_TYPE_F16;
            else if (!strcmp(v, "f32")) a->kv = LLAMAC_TYPE_F32;
            else {
                fprintf(stderr, "llamac logits: --kv takes f16 or f32, not %s\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "llamac logits: unknown option %s\n", k);
            logits_usage(stderr);
            return 2;
        }
    }
    const char *wrong = !a->model                ? "need -m MODEL"
                        : !a->tokens == !a->golden ? "need exactly one of --tokens, --golden"
                        : a->golden && a->gen      ? "--gen comes from the --golden file; give one or the other"
                                                   : NULL;
    if (wrong) {
        fprintf(stderr, "llamac logits: %s\n", wrong);
        logits_usage(stderr);
        return 2;
    }
    return -1; /* go on */
}

/* Prints the criteria; returns the number that failed. */
static int compare(const logits_args *a, const llamac_model *model, const golden *ref, const float *ours) {
    char err[512], type[32];
    const uint32_t rows = ref->n_prompt + ref->n_gen, nv = ref->n_vocab;
    int failed = 0;
    if (a->type) snprintf(type, sizeof type, "%s", a->type);
    else type_from_golden_name(a->golden, type, sizeof type);
    double same_max, kld_q = -1.0;
    const char *cls = type;
    if (!type[0] || golden_criteria(type, &same_max, &kld_q) != 0) {
        same_max = same_file_limit_from_model(model, &cls);
        kld_q = -1.0;
    }

    double worst = 0.0;
    uint32_t top1 = 0;
    for (uint32_t r = 0; r < rows; r++) {
        const double k = golden_kld(ref->logits + (size_t)r * nv, ours + (size_t)r * nv, nv);
        worst = k > worst ? k : worst;
        top1 += golden_argmax(ref->logits + (size_t)r * nv, nv) == golden_argmax(ours + (size_t)r * nv, nv);
    }
    const double kld = golden_mean_kld(ref->logits, ours, nv, 0, rows);
    const bool ok1 = kld <= same_max;
    failed += !ok1;
    printf("criterion 1 (same file, %s): mean KLD %.4e over %u positions (max %.4e, top-1 agree %u/%u), "
           "limit %.1e: %s\n",
           cls, kld, rows, worst, top1, rows, same_max, ok1 ? "PASS" : "FAIL");

    if (a->golden_f32) {
        golden f32;
        if (golden_read(a->golden_f32, &f32, err, sizeof err) != 0) {
            fprintf(stderr, "llamac logits: %s\n", err);
            return failed + 1;
        }
        if (f32.n_vocab != nv || f32.n_prompt != ref->n_prompt ||
            memcmp(f32.prompt, ref->prompt, ref->n_prompt * sizeof(int32_t)) != 0) {
            fprintf(stderr, "llamac logits: %s holds another prompt than %s\n", a->golden_f32, a->golden);
            golden_free(&f32);
            return failed + 1;
        }
        const double k2 = golden_mean_kld(f32.logits, ours, nv, 0, ref->n_prompt);
        if (kld_q >= 0.0) {
            const double lim = golden_faithful_max(kld_q);
            const bool ok2 = k2 <= lim;
            failed += !ok2;
            printf("criterion 2 (faithful to F32): mean KLD %.4e over %u prompt positions, limit 1.10 x %.3e + 2e-5 = "
                   "%.4e: %s\n",
                   k2, ref->n_prompt, kld_q, lim, ok2 ? "PASS" : "FAIL");
        } else {
            printf("criterion 2 (faithful to F32): mean KLD %.4e over %u prompt positions (no KLD_q for type "
                   "\"%s\"; not judged)\n",
                   k2, ref->n_prompt, type);
        }
        golden_free(&f32);
    }

    if (!strcmp(type, "F32") || !strcmp(type, "F16")) {
        /* Teacher-forced argmax = gen at every step is exactly "greedy
         * generation reproduces gen": each step then sees the same input. */
        uint32_t match = 0;
        for (uint32_t i = 0; i < ref->n_gen; i++)
            match += golden_argmax(ours + (size_t)(ref->n_prompt - 1 + i) * nv, nv) == ref->gen[i];
        const bool ok3 = match == ref->n_gen;
        failed += !ok3;
        printf("criterion 3 (greedy): %u/%u continuation tokens reproduced: %s\n", match, ref->n_gen,
               ok3 ? "PASS" : "FAIL");
    }
    return failed;
}

int cmd_logits(int argc, char **argv) {
    logits_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;

    golden ref = {0};
    char err[512];
    int32_t *prompt = NULL, *gen = NULL;
    uint32_t n_prompt = 0, n_gen = 0;
    if (a.golden) {
        if (golden_read(a.golden, &ref, err, sizeof err) != 0) {
            fprintf(stderr, "llamac logits: %s\n", err);
            return 1;
        }
        /* Row n_prompt - 1 + i predicts gen[i] (criterion 3): without a
         * prompt the first continuation token has no row. */
        if (ref.n_prompt == 0) {
            fprintf(stderr, "llamac logits: %s has no prompt tokens (n_prompt 0); nothing predicts its first "
                    "continuation token\n", a.golden);
            golden_free(&ref);
            return 1;
        }
        prompt = ref.prompt;
        n_prompt = ref.n_prompt;
        gen = ref.gen;
        n_gen = ref.n_gen;
    } else if (parse_tokens(a.tokens, &prompt, &n_prompt) != 0 || (a.gen && parse_tokens(a.gen, &gen, &n_gen) != 0)) {
        fprintf(stderr, "llamac logits: token lists are comma-separated integers\n");
        free(prompt);
        return 2;
    }

    tool_session ss;
    float *logits = NULL;
    llamac_status st;
    rc = 1;
    if (!tool_session_load(&ss, "logits", a.model, NULL)) goto done;
    const llamac_model *model = ss.model;
    const uint32_t n_vocab = (uint32_t)llamac_model_n_vocab(model), rows = n_prompt + n_gen;
    if (a.golden && ref.n_vocab != n_vocab) {
        fprintf(stderr, "llamac logits: %s has %u logits per row, the model %u\n", a.golden, ref.n_vocab, n_vocab);
        goto done;
    }
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = rows;
    cp.n_batch = a.chunk > 0 ? (uint32_t)a.chunk : (n_prompt > 0 ? n_prompt : 1);
    cp.n_threads = a.threads;
    cp.kv_type = a.kv;
    if (!tool_session_context(&ss, cp)) goto done;
    logits = malloc((size_t)rows * n_vocab * sizeof(float));
    if (!logits) {
        fprintf(stderr, "llamac logits: out of memory\n");
        goto done;
    }
    if ((st = golden_decode(ss.ctx, prompt, n_prompt, gen, n_gen, a.chunk, logits))) goto fail;

    if (a.out) {
        golden g = {n_vocab, n_prompt, n_gen, prompt, gen, logits};
        if (golden_write(a.out, &g, err, sizeof err) != 0) {
            fprintf(stderr, "llamac logits: %s\n", err);
            goto done;
        }
    }
    rc = a.golden && compare(&a, model, &ref, logits) > 0 ? 1 : 0;
    goto done;

fail:
    tool_session_fail(&ss, st);
done:
    free(logits);
    tool_session_close(&ss);
    if (a.golden) {
        golden_free(&ref);
    } else {
        free(prompt);
        free(gen);
    }
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int logits_parse_only(int argc, char **argv) { return parse_args(argc, argv, &(logits_args){0}); }
