// peer_grammar: the llama.cpp side of llamac's grammar sampling benchmark.
//
// NOT part of llamac's build, never compiled by meson. It is compiled OUTSIDE
// the repository (in a temporary directory) against a built llama.cpp checkout
// by scripts/bench_grammar_vs_peer.sh; it only calls llama.cpp's public
// include/llama.h API and contains none of llama.cpp's code. It replays the run that
// `tests/bench_grammar VOCAB GRAMMAR ROUNDS DUMP` recorded in DUMP:
// the same JSON document (re-made here and tokenized with llama.cpp's own
// tokenizer; the ids must equal the ones in DUMP), the same pseudo-random
// logits (xorshift64 from the seed in DUMP), and times llama.cpp's grammar
// sampler apply (the whole vocabulary) + accept per token. On the first round
// it checks, at every step, that the set of allowed tokens has the same size
// and hash as llamac's.
//
// usage: peer_grammar VOCAB.gguf GRAMMAR.gbnf DUMP [ROUNDS]
#include "llama.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <time.h>
#include <vector>

static double now_s() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static std::string slurp(const char *path) {
    std::string s;
    FILE *f = fopen(path, "rb");
    if (!f) return s;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    fclose(f);
    return s;
}

static void quiet_log(ggml_log_level, const char *, void *) {}

static std::string piece_of(const llama_vocab *v, llama_token t) {
    char buf[256];
    int n = llama_token_to_piece(v, t, buf, sizeof buf, 0, false);
    return n > 0 ? std::string(buf, (size_t)n) : std::string();
}

static std::vector<llama_token> tok(const llama_vocab *v, const std::string &s) {
    std::vector<llama_token> out(s.size() + 16);
    int n = llama_tokenize(v, s.data(), (int32_t)s.size(), out.data(), (int32_t)out.size(), false, false);
    out.resize(n > 0 ? (size_t)n : 0);
    return out;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: peer_grammar VOCAB.gguf GRAMMAR.gbnf DUMP [ROUNDS]\n");
        return 2;
    }
    const int rounds = argc > 4 ? atoi(argv[4]) : 1;
    llama_log_set(quiet_log, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab *vocab = llama_model_get_vocab(model);
    const int32_t nv = llama_vocab_n_tokens(vocab);

    // The recorded run.
    FILE *df = fopen(argv[3], "r");
    if (!df) { fprintf(stderr, "cannot read %s\n", argv[3]); return 1; }
    int dnv = 0, dnt = 0;
    unsigned long long seed = 0;
    if (fscanf(df, "n_vocab %d n_tokens %d seed %llu", &dnv, &dnt, &seed) != 3 || dnv != nv || dnt <= 0) {
        fprintf(stderr, "bad dump header (or vocab size %d differs)\n", nv);
        return 1;
    }
    std::vector<llama_token> ref(dnt);
    std::vector<int> ref_allowed(dnt);
    std::vector<unsigned long long> ref_hash(dnt);
    for (int k = 0; k < dnt; k++)
        if (fscanf(df, "%d %d %llx", &ref[k], &ref_allowed[k], &ref_hash[k]) != 3) {
            fprintf(stderr, "dump truncated at step %d\n", k);
            return 1;
        }
    fclose(df);

    // The same document as tests/bench_grammar.c.
    std::string doc = "{\"records\": [";
    char rec[512];
    for (int i = 0; i < 40; i++) {
        snprintf(rec, sizeof rec,
                 "%s{\"id\": %d, \"name\": \"item number %d with a longer description\", "
                 "\"price\": %d.%02d, \"tags\": [\"alpha\", \"beta\\n\"], \"ok\": %s, \"note\": null}",
                 i ? ", " : "", i, i * 7, i * 3, i % 100, i % 2 ? "true" : "false");
        doc += rec;
    }
    doc += "]}";
    // Tokenized the same way: with a space-prefixing (SPM) tokenizer, the
    // first token becomes the single-byte "{" and the rest is tokenized alone.
    std::vector<llama_token> toks = tok(vocab, doc);
    if (!toks.empty() && piece_of(vocab, toks[0]).substr(0, 1) == " ") {
        llama_token brace = -1;
        for (int32_t i = 0; i < nv && brace < 0; i++)
            if (piece_of(vocab, i) == "{") brace = i;
        std::vector<llama_token> rest = tok(vocab, doc.substr(1));
        toks.assign(1, brace);
        toks.insert(toks.end(), rest.begin(), rest.end());
    }
    if ((int)toks.size() != dnt) {
        fprintf(stderr, "token count differs: llama.cpp %zu, llamac %d\n", toks.size(), dnt);
        return 1;
    }
    for (int k = 0; k < dnt; k++)
        if (toks[k] != ref[k]) {
            fprintf(stderr, "token %d differs: llama.cpp %d, llamac %d\n", k, toks[k], ref[k]);
            return 1;
        }

    std::vector<float> logits(nv);
    uint64_t x = seed;
    for (int32_t i = 0; i < nv; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        logits[i] = (float)(x % 20000) / 1000.0f - 10.0f;
    }

    const std::string g = slurp(argv[2]);
    const double tb = now_s();
    llama_sampler *s = llama_sampler_init_grammar(vocab, g.c_str(), "root");
    const double t_build = now_s() - tb;
    if (!s) { fprintf(stderr, "grammar did not parse\n"); return 1; }

    std::vector<llama_token_data> d(nv);
    double best = 1e30;
    long long allowed_sum = 0;
    int mismatches = 0;
    for (int r = 0; r < rounds; r++) {
        llama_sampler_reset(s);
        double t = 0; // apply + accept only, as in tests/bench_grammar.c
        for (int k = 0; k < dnt; k++) {
            for (int32_t i = 0; i < nv; i++) d[i] = llama_token_data{i, logits[i], 0.0f};
            llama_token_data_array cur = {d.data(), (size_t)nv, -1, false};
            const double t0 = now_s();
            llama_sampler_apply(s, &cur);
            llama_sampler_accept(s, toks[k]);
            t += now_s() - t0;
            if (r == 0) {
                int allowed = 0;
                uint64_t h = 1469598103934665603ull;
                for (int32_t i = 0; i < nv; i++)
                    if (d[i].logit > -1e30f) {
                        allowed++;
                        h = (h ^ (uint64_t)(uint32_t)d[i].id) * 1099511628211ull;
                    }
                allowed_sum += allowed;
                if (allowed != ref_allowed[k] || h != ref_hash[k]) {
                    if (mismatches < 5)
                        fprintf(stderr, "step %d (token %d): llama.cpp allows %d, llamac %d%s\n", k, toks[k],
                                allowed, ref_allowed[k], allowed == ref_allowed[k] ? " (different sets)" : "");
                    mismatches++;
                }
            }
        }
        if (t < best) best = t;
    }
    printf("llama.cpp: vocab %d tokens, grammar %s, built in %.1f ms, %d tokens (%zu bytes of JSON), "
           "%.3f ms/token (apply + accept, best of %d), %.0f tokens allowed per step on average, "
           "%d steps whose allowed set differs from llamac's\n",
           (int)nv, argv[2], t_build * 1e3, dnt, doc.size(), best * 1e3 / dnt, rounds,
           (double)allowed_sum / dnt, mismatches);
    llama_sampler_free(s);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
