/* Synthetic llama-architecture GGUF files for tests, written with llamac's
 * own GGUF writer: seeded pseudo-random weights scaled so that every layer
 * matters, with switches for the variants and defects tests need. */
#ifndef LLAMAC_TEST_MODEL_BUILDER_H
#define LLAMAC_TEST_MODEL_BUILDER_H

#include "llamac.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct tm_spec {
    const char *arch;      /* general.architecture, "llama" */
    int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx_train;
    float rope_base;
    float rms_eps;
    float rope_scale_linear;  /* written as llama.rope.scaling.factor when > 0 */
    const char *rope_scaling_type; /* llama.rope.scaling.type, NULL: absent */
    bool tied;             /* no output.weight (Llama 3.2 style) */
    bool rope_freqs;       /* a rope_freqs.weight of Llama 3.1-like factors */
    llamac_type wtype;     /* type of the weight matrices (F32 by default) */
    const char *omit;      /* tensor left out, or NULL */
    const char *misshape;  /* tensor written with its last dimension + 1, or NULL */
    const char *retype;    /* tensor written with type `retype_as`, or NULL */
    llamac_type retype_as;
    uint64_t seed;
} tm_spec;

/* A small model: vocab 64, n_embd 32, 2 layers, 4 heads (2 KV), n_ff 48. */
void tm_spec_default(tm_spec *s);

/* Writes the model to `path`; returns the writer's status (the message is in
 * llamac_last_error()). */
llamac_status tm_write(const tm_spec *s, const char *path);

#endif
