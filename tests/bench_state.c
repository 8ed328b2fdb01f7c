/* State size and speed (docs/state-format.md): decodes the first N tokens
 * of a text file with a model (F16 cache), then saves the whole context
 * stored, deflated with and without the byte-shuffle filter at levels 1
 * and 6, and times saving to a file and loading it back. Numbers, not
 * assertions; built by meson, never run by `meson test`.
 * Usage: bench_state MODEL.gguf TEXT_FILE N_TOKENS[,N_TOKENS...] [N_THREADS]
 * (ascending counts: one decode, measured at each). */
#include "state/state.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "bench_state: %s: %s\n", what, llamac_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL TEXT N_TOKENS [N_THREADS]\n", argv[0]);
        return 2;
    }
    int32_t counts[8], n_counts = 0;
    for (char *p = argv[3]; *p && n_counts < 8;) {
        counts[n_counts++] = (int32_t)strtol(p, &p, 10);
        if (*p == ',') p++;
    }
    const int32_t n = counts[n_counts - 1];
    llamac_model *m;
    if (llamac_model_load(argv[1], NULL, &m)) die("model");
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 1;
    static char text[1 << 22];
    const size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    llamac_token *toks = malloc(sizeof *toks * (len + 2));
    int32_t nt = 0;
    if (llamac_tokenize(llamac_model_vocab(m), text, len, toks, (int32_t)len + 2, true, false, &nt)) die("tokenize");
    if (nt < n) {
        fprintf(stderr, "only %d tokens in the text\n", nt);
        return 1;
    }
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = (uint32_t)n;
    cp.n_batch = 512;
    cp.n_threads = argc > 4 ? atoi(argv[4]) : 2;
    llamac_context *ctx;
    if (llamac_context_new(m, &cp, &ctx)) die("context");
    llamac_context *c2;
    if (llamac_context_new(m, &cp, &c2)) die("context 2");
    llamac_batch b;
    llamac_batch_init(&b, 512, 1, NULL);
    const llamac_seq_id seq = 0;
    int32_t done = 0;
    for (int32_t ci = 0; ci < n_counts; ci++) {
    const int32_t upto = counts[ci];
    for (int32_t i0 = done; i0 < upto; i0 += 512) {
        b.n_tokens = 0;
        for (int32_t i = i0; i < upto && i < i0 + 512; i++) llamac_batch_add(&b, toks[i], i, &seq, 1, i == upto - 1);
        if (llamac_decode(ctx, &b)) die("decode");
    }
    done = upto;
    printf("%s, %d tokens, F16 cache\n", llamac_model_desc(m), upto);
    printf("%-22s %12s %8s %10s %10s\n", "mode", "bytes", "ratio", "save ms", "load ms");
    const struct { int level; bool shuffle; const char *name; } modes[] = {
        {0, false, "stored"}, {1, false, "deflate 1"}, {1, true, "deflate 1 + shuffle"},
        {6, false, "deflate 6"}, {6, true, "deflate 6 + shuffle"}, {9, true, "deflate 9 + shuffle"},
    };
    size_t raw = 0;
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        llamac_state_params sp = llamac_state_default_params();
        sp.compression = modes[k].level;
        size_t bound, size;
        if (llamac_state_save_size(ctx, -1, &sp, &bound)) die("size");
        unsigned char *buf = malloc(bound);
        double t0 = now();
        if (lc_state_save_filtered(ctx, -1, &sp, modes[k].shuffle, buf, bound, &size)) die("save");
        const double save_ms = 1e3 * (now() - t0);
        t0 = now();
        if (llamac_state_load(c2, -1, buf, size, NULL, NULL, 0, NULL)) die("load");
        const double load_ms = 1e3 * (now() - t0);
        if (k == 0) raw = size;
        printf("%-22s %12zu %8.3f %10.1f %10.1f\n", modes[k].name, size, (double)raw / (double)size, save_ms,
               load_ms);
        free(buf);
    }
    /* the public default through a file */
    const char *path = "/tmp/bench_state.state";
    double t0 = now();
    if (llamac_state_save_file(ctx, -1, NULL, path)) die("save file");
    const double save_ms = 1e3 * (now() - t0);
    t0 = now();
    if (llamac_state_load_file(c2, -1, path, NULL, NULL, 0, NULL)) die("load file");
    const double load_ms = 1e3 * (now() - t0);
    llamac_state_info info;
    llamac_state_file_info(path, &info);
    printf("%-22s %12llu %8.3f %10.1f %10.1f\n", "default, file", (unsigned long long)info.file_bytes,
           (double)raw / (double)info.file_bytes, save_ms, load_ms);
    remove(path);
    }
    llamac_batch_free(&b);
    llamac_context_free(ctx);
    llamac_context_free(c2);
    llamac_model_free(m);
    free(toks);
    return 0;
}
