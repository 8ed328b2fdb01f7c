/* Grammar sampling time per token (apply + accept) on a real vocabulary:
 * `bench_grammar VOCAB.gguf GRAMMAR.gbnf [ROUNDS [DUMP]]`. The accepted tokens spell
 * out a long valid JSON document (the tokenizer's own tokens for it), the
 * logits are fixed pseudo-random values, and every step masks the whole
 * vocabulary. Prints ms per token. Not run by `meson test` (docs/grammar.md
 * has the numbers). With DUMP, writes the run to that file for a like-for-like
 * comparison with another grammar sampler (scripts/bench_grammar_vs_peer.sh):
 * a line `n_vocab N n_tokens T seed S`, then one line per step
 * `TOKEN ALLOWED HASH` (the accepted token, how many tokens the mask left,
 * and an FNV-1a hash of the allowed ids in increasing order). */
#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    *n = fread(s, 1, (size_t)len, f);
    s[*n] = 0;
    fclose(f);
    return s;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_grammar VOCAB.gguf GRAMMAR.gbnf [ROUNDS [DUMP]]\n");
        return 2;
    }
    const int rounds = argc > 3 ? atoi(argv[3]) : 1;
    llamac_vocab *vocab = NULL;
    if (llamac_vocab_load(argv[1], NULL, &vocab) != LLAMAC_OK) {
        fprintf(stderr, "%s\n", llamac_last_error());
        return 1;
    }
    size_t glen;
    char *g = read_all(argv[2], &glen);
    const double tb = now_s();
    llamac_sampler *s = g ? llamac_sampler_init_grammar(vocab, g, glen, NULL, NULL) : NULL;
    if (!s) {
        fprintf(stderr, "grammar: %s\n", llamac_last_error());
        return 1;
    }
    const double t_build = now_s() - tb;
    /* A JSON document with nested objects, arrays, numbers, escapes, long strings. */
    char doc[16384];
    size_t dl = 0;
    dl += (size_t)snprintf(doc + dl, sizeof doc - dl, "{\"records\": [");
    for (int i = 0; i < 40; i++)
        dl += (size_t)snprintf(doc + dl, sizeof doc - dl,
                               "%s{\"id\": %d, \"name\": \"item number %d with a longer description\", "
                               "\"price\": %d.%02d, \"tags\": [\"alpha\", \"beta\\n\"], \"ok\": %s, \"note\": null}",
                               i ? ", " : "", i, i * 7, i * 3, i % 100, i % 2 ? "true" : "false");
    dl += (size_t)snprintf(doc + dl, sizeof doc - dl, "]}");
    const int32_t nv = llamac_vocab_n_tokens(vocab);
    llamac_token *toks = malloc(sizeof *toks * 8192);
    int32_t nt = 0;
    if (llamac_tokenize(vocab, doc, dl, toks, 8192, false, false, &nt) != LLAMAC_OK) return 1;
    /* An SPM tokenizer adds a leading space: drop it by tokenizing after "{" instead when needed. */
    char piece[256];
    size_t pn;
    llamac_token_to_piece(vocab, toks[0], piece, sizeof piece, 0, false, &pn);
    if (pn && piece[0] == ' ') {
        /* replace the first token by the byte-exact "{" */
        llamac_token brace = LLAMAC_TOKEN_NULL;
        for (int32_t i = 0; i < nv && brace == LLAMAC_TOKEN_NULL; i++) {
            llamac_token_to_piece(vocab, i, piece, sizeof piece, 0, false, &pn);
            if (pn == 1 && piece[0] == '{') brace = i;
        }
        int32_t n2 = 0;
        llamac_tokenize(vocab, doc + 1, dl - 1, toks + 1, 8191, false, false, &n2);
        llamac_token_to_piece(vocab, toks[1], piece, sizeof piece, 0, false, &pn);
        if (pn && piece[0] == ' ') { /* "▁\"" would add a space: ws allows one after "{" */ }
        toks[0] = brace;
        nt = n2 + 1;
    }
    llamac_token_data *d = malloc(sizeof *d * (size_t)nv);
    float *logits = malloc(sizeof *logits * (size_t)nv);
    const uint64_t seed = 88172645463325252ull;
    uint64_t x = seed;
    for (int32_t i = 0; i < nv; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        logits[i] = (float)(x % 20000) / 1000.0f - 10.0f;
    }
    FILE *dump = argc > 4 ? fopen(argv[4], "w") : NULL;
    if (argc > 4 && !dump) {
        fprintf(stderr, "cannot write %s\n", argv[4]);
        return 1;
    }
    if (dump) fprintf(dump, "n_vocab %d n_tokens %d seed %llu\n", (int)nv, (int)nt, (unsigned long long)seed);
    double best = 1e30;
    int32_t allowed_sum = 0;
    for (int r = 0; r < rounds; r++) {
        llamac_sampler_reset(s);
        double t = 0; /* apply + accept only: not the refill of d, not the checks below */
        for (int32_t k = 0; k < nt; k++) {
            for (int32_t i = 0; i < nv; i++) d[i] = (llamac_token_data){.id = i, .logit = logits[i]};
            llamac_token_data_array cur = {.data = d, .size = (size_t)nv, .selected = -1, .sorted = false};
            const double t0 = now_s();
            const int bad = llamac_sampler_apply(s, &cur) != LLAMAC_OK || llamac_sampler_accept(s, toks[k]) != LLAMAC_OK;
            t += now_s() - t0;
            if (bad) {
                fprintf(stderr, "token %d (%d): %s\n", (int)k, (int)toks[k], llamac_last_error());
                return 1;
            }
            if (r == 0) {
                int32_t allowed = 0;
                uint64_t h = 1469598103934665603ull;
                for (int32_t i = 0; i < nv; i++)
                    if (d[i].logit > -1e30f) {
                        allowed++;
                        h = (h ^ (uint64_t)(uint32_t)d[i].id) * 1099511628211ull;
                    }
                allowed_sum += allowed;
                if (dump) fprintf(dump, "%d %d %016llx\n", (int)toks[k], (int)allowed, (unsigned long long)h);
            }
        }
        if (t < best) best = t;
    }
    printf("vocab %d tokens, grammar %s, trie built in %.1f ms, %d tokens (%zu bytes of JSON), "
           "%.3f ms/token (apply + accept, best of %d), %.0f tokens allowed per step on average\n",
           (int)nv, argv[2], t_build * 1e3, (int)nt, dl, best * 1e3 / nt, rounds, (double)allowed_sum / nt);
    if (dump) fclose(dump);
    llamac_sampler_free(s);
    llamac_vocab_free(vocab);
    free(g);
    free(toks);
    free(d);
    free(logits);
    return 0;
}
