/* Golden logits files (the format of ../shared/golden/README.md), the KL
 * divergence metric and the pass criteria stated there, plus the decode
 * procedure the reference used to record them. Shared by `llamac logits`
 * and the golden tests; uses only the public API. */
#ifndef LLAMAC_TOOLS_GOLDEN_H
#define LLAMAC_TOOLS_GOLDEN_H

#include "llamac.h"

#include <stddef.h>
#include <stdint.h>

/* Little-endian file layout:
 *   "LGLD" | u32 version = 1 | u32 n_vocab | u32 n_prompt | u32 n_gen
 *   i32 prompt[n_prompt] | i32 gen[n_gen]
 *   f32 logits[n_prompt + n_gen][n_vocab]   (prompt rows, then gen rows) */
typedef struct golden {
    uint32_t n_vocab;
    uint32_t n_prompt;
    uint32_t n_gen;
    int32_t *prompt;
    int32_t *gen;
    float *logits; /* [n_prompt + n_gen][n_vocab] */
} golden;

/* Reads a golden file. 0 on success; otherwise -1 with a message in err. */
int golden_read(const char *path, golden *g, char *err, size_t err_size);
/* Writes one. 0 on success; otherwise -1 with a message in err. */
int golden_write(const char *path, const golden *g, char *err, size_t err_size);
void golden_free(golden *g);

/* KLD(P||Q) = sum p (log p - log q) with p = softmax(ref), q = softmax(test),
 * in double precision. */
double golden_kld(const float *ref, const float *test, uint32_t n_vocab);
/* Mean KLD over rows [row0, row1) of two logits arrays of n_vocab columns. */
double golden_mean_kld(const float *ref, const float *test, uint32_t n_vocab, uint32_t row0, uint32_t row1);
int32_t golden_argmax(const float *row, uint32_t n_vocab);

/* The README's thresholds for a file TYPE ("F32", "Q4_K_M", ...):
 * criterion 1's maximum mean KLD, and criterion 2's KLD_q (negative when
 * the table has no entry). Returns 0, or -1 for an unknown type. */
int golden_criteria(const char *type, double *kld_same_max, double *kld_q);
/* Criterion 2's bound: 1.10 * KLD_q + 2e-5. */
double golden_faithful_max(double kld_q);

/* Decodes the prompt with logits at every position — as one batch when
 * chunk <= 0, else in batches of `chunk` tokens — then each gen token alone
 * at the following positions, writing n_prompt + n_gen rows of logits to
 * `out`. Sequence 0, starting from an empty cache. */
llamac_status golden_decode(llamac_context *ctx, const int32_t *prompt, uint32_t n_prompt, const int32_t *gen,
                            uint32_t n_gen, int32_t chunk, float *out);

#endif
