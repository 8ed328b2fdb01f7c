/* The sampling options `llamac run` and `llamac chat` share (--temp,
 * --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n, --seed,
 * -t), their help lines, the sampler chain they build, and the prompt
 * tokenization both use (BOS once, special text parsed). */
#ifndef LLAMAC_TOOLS_SAMPLING_OPTS_H
#define LLAMAC_TOOLS_SAMPLING_OPTS_H

#include "llamac.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tool_sampling {
    float temp, top_p, min_p, repeat_penalty;
    int32_t top_k, repeat_last_n;
    int32_t threads; /* -t; 0: the library's default */
    uint64_t seed;
    bool seed_given;
} tool_sampling;

/* llama.cpp's defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05, no
 * repeat penalty (window 64), seed from the clock. */
tool_sampling tool_sampling_defaults(void);

/* Whether `opt` is one of the options above (each takes a value). */
bool tool_sampling_is_option(const char *opt);

/* Parses the value v of option `opt` (tool_sampling_is_option(opt)) into
 * *s; false after printing "llamac CMD: OPT takes ..." to stderr. */
bool tool_sampling_parse(const char *cmd, const char *opt, const char *v, tool_sampling *s);

/* Picks a seed from the clock unless --seed was given. */
void tool_sampling_pick_seed(tool_sampling *s);

/* The help lines of the options, in the layout of `llamac run --help`. */
void tool_sampling_usage(FILE *f);

/* The llama.cpp default order: penalties, top-k, top-p, min-p, temp,
 * dist; temperature 0 is greedy after the penalties. A grammar (GBNF text
 * of grammar_len bytes, or NULL) comes first, so every later step sees only
 * the tokens it allows. NULL when the library refuses a step (its message
 * is in llamac_last_error()). */
llamac_sampler *tool_sampling_chain(const tool_sampling *s, const llamac_vocab *vocab, const char *grammar,
                                    size_t grammar_len);

/* Tokenizes a prompt into a malloc'd array (*out, caller frees; *n the
 * count), special-token text parsed, and with add_special a BOS in front
 * once (LLAMAC_TOKENIZE_BOS_ONCE: none added when the text begins with the
 * BOS text, as a rendered chat template does). */
llamac_status tool_tokenize_prompt(const llamac_vocab *vocab, const char *text, size_t len, bool add_special,
                                   llamac_token **out, int32_t *n);

#endif
