/* Golden logits files, KLD, the README's criteria, the reference decode. */
#include "golden.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GOLDEN_HEADER 20u

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Bytes of the whole file for these counts, or 0 if absurd. */
static uint64_t file_bytes(uint64_t n_vocab, uint64_t n_prompt, uint64_t n_gen) {
    const uint64_t rows = n_prompt + n_gen;
    if (n_vocab == 0 || rows == 0 || n_vocab > (1u << 24) || rows > (1u << 20)) return 0;
    return GOLDEN_HEADER + 4 * rows + 4 * rows * n_vocab;
}

void golden_free(golden *g) {
    free(g->prompt);
    free(g->logits);
    memset(g, 0, sizeof *g);
}

int golden_read(const char *path, golden *g, char *err, size_t err_size) {
    memset(g, 0, sizeof *g);
    /* O_NONBLOCK: a FIFO given by mistake must not block the open; only a
     * regular file goes on (its reads ignore the flag). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) || !S_ISREG(sb.st_mode))) {
        close(fd);
        snprintf(err, err_size, "%s: not a regular file", path);
        return -1;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        snprintf(err, err_size, "%s: cannot open", path);
        return -1;
    }
    unsigned char h[GOLDEN_HEADER];
    unsigned char *body = NULL;
    int rc = -1;
    if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, "LGLD", 4) != 0 || get_u32(h + 4) != 1) {
        snprintf(err, err_size, "%s: not a version-1 golden file (magic \"LGLD\", version 1)", path);
        goto done;
    }
    g->n_vocab = get_u32(h + 8);
    g->n_prompt = get_u32(h + 12);
    g->n_gen = get_u32(h + 16);
    const uint64_t total = file_bytes(g->n_vocab, g->n_prompt, g->n_gen);
    if (total == 0) {
        snprintf(err, err_size, "%s: implausible header (n_vocab %u, n_prompt %u, n_gen %u)", path, g->n_vocab,
                 g->n_prompt, g->n_gen);
        goto done;
    }
    /* The header alone can claim 2^46 bytes: the file must hold them
     * before anything is allocated for them. */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || (uint64_t)size != total || fseek(f, GOLDEN_HEADER, SEEK_SET) != 0) {
        snprintf(err, err_size, "%s: size %ld differs from the %llu bytes its header implies", path, size,
                 (unsigned long long)total);
        goto done;
    }
    const size_t rows = (size_t)g->n_prompt + g->n_gen, body_bytes = (size_t)(total - GOLDEN_HEADER);
    body = malloc(body_bytes);
    g->prompt = malloc(rows * sizeof(int32_t));
    g->logits = malloc(rows * g->n_vocab * sizeof(float));
    if (!body || !g->prompt || !g->logits) {
        snprintf(err, err_size, "%s: out of memory", path);
        goto done;
    }
    if (fread(body, 1, body_bytes, f) != body_bytes || fgetc(f) != EOF) {
        snprintf(err, err_size, "%s: size differs from the %llu bytes its header implies", path,
                 (unsigned long long)total);
        goto done;
    }
    g->gen = g->prompt + g->n_prompt;
    for (size_t i = 0; i < rows; i++) g->prompt[i] = (int32_t)get_u32(body + 4 * i);
    const unsigned char *lp = body + 4 * rows;
    for (size_t i = 0; i < rows * g->n_vocab; i++) {
        uint32_t bits = get_u32(lp + 4 * i);
        memcpy(&g->logits[i], &bits, sizeof bits);
    }
    rc = 0;
done:
    free(body);
    fclose(f);
    if (rc != 0) golden_free(g);
    return rc;
}

int golden_write(const char *path, const golden *g, char *err, size_t err_size) {
    const uint64_t total = file_bytes(g->n_vocab, g->n_prompt, g->n_gen);
    if (total == 0) {
        snprintf(err, err_size, "%s: nothing sensible to write (n_vocab %u, %u + %u rows)", path, g->n_vocab,
                 g->n_prompt, g->n_gen);
        return -1;
    }
    unsigned char *buf = malloc((size_t)total);
    if (!buf) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    memcpy(buf, "LGLD", 4);
    put_u32(buf + 4, 1);
    put_u32(buf + 8, g->n_vocab);
    put_u32(buf + 12, g->n_prompt);
    put_u32(buf + 16, g->n_gen);
    const size_t rows = (size_t)g->n_prompt + g->n_gen;
    unsigned char *p = buf + GOLDEN_HEADER;
    for (size_t i = 0; i < g->n_prompt; i++, p += 4) put_u32(p, (uint32_t)g->prompt[i]);
    for (size_t i = 0; i < g->n_gen; i++, p += 4) put_u32(p, (uint32_t)g->gen[i]);
    for (size_t i = 0; i < rows * g->n_vocab; i++, p += 4) {
        uint32_t bits;
        memcpy(&bits, &g->logits[i], sizeof bits);
        put_u32(p, bits);
    }
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (!f) snprintf(err, err_size, "%s: cannot create", path);
    else if (fwrite(buf, 1, (size_t)total, f) != (size_t)total) snprintf(err, err_size, "%s: write failed", path);
    else rc = 0;
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, err_size, "%s: write failed", path);
        rc = -1;
    }
    free(buf);
    return rc;
}

/* log(sum exp(x)) with the max taken out, in double. */
static double log_sum_exp(const float *x, uint32_t n) {
    double max = -INFINITY, sum = 0.0;
    for (uint32_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    for (uint32_t i = 0; i < n; i++) sum += exp((double)x[i] - max);
    return max + log(sum);
}

double golden_kld(const float *ref, const float *test, uint32_t n_vocab) {
    const double lse_p = log_sum_exp(ref, n_vocab), lse_q = log_sum_exp(test, n_vocab);
    double kld = 0.0;
    for (uint32_t i = 0; i < n_vocab; i++) {
        const double log_p = (double)ref[i] - lse_p, log_q = (double)test[i] - lse_q;
        kld += exp(log_p) * (log_p - log_q);
    }
    return kld;
}

double golden_mean_kld(const float *ref, const float *test, uint32_t n_vocab, uint32_t row0, uint32_t row1) {
    double sum = 0.0;
    for (uint32_t r = row0; r < row1; r++)
        sum += golden_kld(ref + (size_t)r * n_vocab, test + (size_t)r * n_vocab, n_vocab);
    return row1 > row0 ? sum / (double)(row1 - row0) : 0.0;
}

int32_t golden_argmax(const float *row, uint32_t n_vocab) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < n_vocab; i++)
        if (row[i] > row[best]) best = i;
    return (int32_t)best;
}

int golden_criteria(const char *type, double *kld_same_max, double *kld_q) {
    /* ../shared/golden/README.md, criteria 1 and 2 */
    static const struct {
        const char *type;
        double kld_q;
    } table[] = {
        {"F32", 0.0},         {"F16", 1.932e-06},   {"BF16", 1.021e-04},  {"Q8_0", 1.190e-03},
        {"Q4_0", 1.414e-01},  {"Q4_1", 1.197e-01},  {"Q5_0", 3.951e-02},  {"Q5_1", 3.221e-02},
        {"Q2_K", 1.158e+00},  {"Q3_K_M", 3.561e-01}, {"Q4_K_M", 9.781e-02}, {"Q5_K_M", 2.674e-02},
        {"Q6_K", 8.749e-03},  {"IQ4_NL", 1.222e-01}, {"IQ4_XS", 1.238e-01},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(type, table[i].type) != 0) continue;
        *kld_q = table[i].kld_q;
        if (!strcmp(type, "F32") || !strcmp(type, "F16")) *kld_same_max = 2e-5;
        else if (!strcmp(type, "BF16")) *kld_same_max = 2e-4;
        else *kld_same_max = 5e-3;
        return 0;
    }
    return -1;
}

double golden_faithful_max(double kld_q) { return 1.10 * kld_q + 2e-5; }

static llamac_status decode_span(llamac_context *ctx, llamac_batch *b, const int32_t *tokens, uint32_t n,
                                 uint32_t pos0, float *out, uint32_t n_vocab) {
    const llamac_seq_id seq0 = 0;
    b->n_tokens = 0;
    for (uint32_t i = 0; i < n; i++) {
        llamac_status st = llamac_batch_add(b, tokens[i], (llamac_pos)(pos0 + i), &seq0, 1, true);
        if (st != LLAMAC_OK) return st;
    }
    llamac_status st = llamac_decode(ctx, b);
    if (st != LLAMAC_OK) return st;
    for (uint32_t i = 0; i < n; i++) {
        const float *row = llamac_get_logits(ctx, (int32_t)i);
        if (!row) return LLAMAC_ERR_INTERNAL;
        memcpy(out + (size_t)i * n_vocab, row, n_vocab * sizeof(float));
    }
    return LLAMAC_OK;
}

llamac_status golden_decode(llamac_context *ctx, const int32_t *prompt, uint32_t n_prompt, const int32_t *gen,
                            uint32_t n_gen, int32_t chunk, float *out) {
    const uint32_t n_vocab = (uint32_t)llamac_model_n_vocab(llamac_context_model(ctx));
    const uint32_t step = chunk > 0 ? (uint32_t)chunk : (n_prompt > 0 ? n_prompt : 1);
    llamac_batch b;
    llamac_status st = llamac_batch_init(&b, (int32_t)step, 1, NULL);
    if (st != LLAMAC_OK) return st;
    llamac_kv_clear(ctx);
    for (uint32_t p = 0; p < n_prompt && st == LLAMAC_OK; p += step) {
        const uint32_t n = n_prompt - p < step ? n_prompt - p : step;
        st = decode_span(ctx, &b, prompt + p, n, p, out + (size_t)p * n_vocab, n_vocab);
    }
    for (uint32_t i = 0; i < n_gen && st == LLAMAC_OK; i++)
        st = decode_span(ctx, &b, gen + i, 1, n_prompt + i, out + (size_t)(n_prompt + i) * n_vocab, n_vocab);
    llamac_batch_free(&b);
    return st;
}
