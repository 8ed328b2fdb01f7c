/* The library's own seeded random generator: xoshiro256** (Blackman and
 * Vigna), its state filled from the seed by splitmix64. Only fixed-width
 * integer arithmetic is involved, so a seed yields the same stream on every
 * platform, compiler and thread count; rand() would not. */
#ifndef LLAMAC_RNG_H
#define LLAMAC_RNG_H

#include <stdint.h>

typedef struct lc_rng {
    uint64_t s[4];
} lc_rng;

/* Every 64-bit seed (0 included) gives a valid, distinct state. */
void lc_rng_seed(lc_rng *rng, uint64_t seed);
uint64_t lc_rng_next_u64(lc_rng *rng);
/* Uniform double in [0, 1): the top 53 bits of one draw times 2^-53, so every
 * value is exact and 1.0 can never come out. */
double lc_rng_uniform(lc_rng *rng);

#endif
