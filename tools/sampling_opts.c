#include "sampling_opts.h"

#include "args.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

tool_sampling tool_sampling_defaults(void) {
    return (tool_sampling){.temp = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f, .repeat_penalty = 1.0f,
                           .repeat_last_n = 64};
}

static const char *const options[] = {"--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty",
                                      "--repeat-last-n", "--seed", "-t"};

bool tool_sampling_is_option(const char *opt) {
    for (size_t k = 0; k < sizeof options / sizeof options[0]; k++)
        if (!strcmp(opt, options[k])) return true;
    return false;
}

bool tool_sampling_parse(const char *cmd, const char *o, const char *v, tool_sampling *s) {
    if (!strcmp(o, "--temp")) return tool_opt_f32(cmd, o, v, 0.0f, 1e6f, &s->temp);
    if (!strcmp(o, "--top-k")) return tool_opt_i32(cmd, o, v, 0, INT32_MAX, &s->top_k);
    if (!strcmp(o, "--top-p")) return tool_opt_f32(cmd, o, v, 0.0f, 1.0f, &s->top_p);
    if (!strcmp(o, "--min-p")) return tool_opt_f32(cmd, o, v, 0.0f, 1.0f, &s->min_p);
    if (!strcmp(o, "--repeat-penalty")) return tool_opt_f32(cmd, o, v, 1e-6f, 1e6f, &s->repeat_penalty);
    if (!strcmp(o, "--repeat-last-n")) return tool_opt_i32(cmd, o, v, 0, INT32_MAX, &s->repeat_last_n);
    if (!strcmp(o, "--seed")) return s->seed_given = tool_opt_u64(cmd, o, v, &s->seed);
    if (!strcmp(o, "-t")) return tool_opt_i32(cmd, o, v, 1, 1024, &s->threads);
    fprintf(stderr, "llamac %s: %s is no sampling option\n", cmd, o);
    return false;
}

void tool_sampling_pick_seed(tool_sampling *s) {
    if (!s->seed_given) s->seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

void tool_sampling_usage(FILE *f) {
    fputs("  --temp T             temperature (default 0.8); 0 means greedy\n"
          "  --top-k K            keep the K most likely tokens (default 40; 0: off)\n"
          "  --top-p P            nucleus mass (default 0.95; 1: off)\n"
          "  --min-p P            drop tokens below P x the best one's probability\n"
          "                       (default 0.05; 0: off)\n"
          "  --repeat-penalty R   penalize the last --repeat-last-n tokens (default 1: off)\n"
          "  --repeat-last-n N    window of the repeat penalty (default 64)\n"
          "  --seed S             random seed (default: from the clock, printed)\n"
          "  -t THREADS           threads (default: all CPUs, at most 16)\n",
          f);
}

llamac_sampler *tool_sampling_chain(const tool_sampling *s, const llamac_vocab *vocab, const char *grammar,
                                    size_t grammar_len) {
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    if (!c) return NULL;
    llamac_status st = LLAMAC_OK;
    if (grammar) st = llamac_sampler_chain_add(c, llamac_sampler_init_grammar(vocab, grammar, grammar_len, NULL, NULL));
    if (!st && s->repeat_penalty != 1.0f)
        st = llamac_sampler_chain_add(
            c, llamac_sampler_init_penalties(s->repeat_last_n, s->repeat_penalty, 0, 0, NULL));
    if (s->temp == 0.0f) {
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_greedy(NULL));
    } else {
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_top_k(s->top_k, NULL));
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_top_p(s->top_p, 1, NULL));
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_min_p(s->min_p, 1, NULL));
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_temp(s->temp, NULL));
        if (!st) st = llamac_sampler_chain_add(c, llamac_sampler_init_dist(s->seed, NULL));
    }
    if (st) {
        llamac_sampler_free(c);
        return NULL;
    }
    return c;
}

llamac_status tool_tokenize_prompt(const llamac_vocab *vocab, const char *text, size_t len, bool add_special,
                                   llamac_token **out, int32_t *n) {
    const uint32_t flags = LLAMAC_TOKENIZE_PARSE_SPECIAL |
                           (add_special ? LLAMAC_TOKENIZE_ADD_SPECIAL | LLAMAC_TOKENIZE_BOS_ONCE : 0u);
    int32_t need = 0;
    *out = NULL;
    llamac_status st = llamac_tokenize_flags(vocab, text, len, NULL, 0, flags, &need);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL) return st;
    *out = malloc((size_t)(need > 0 ? need : 1) * sizeof **out);
    if (!*out) return LLAMAC_ERR_NO_MEMORY;
    return llamac_tokenize_flags(vocab, text, len, *out, need, flags, n);
}
