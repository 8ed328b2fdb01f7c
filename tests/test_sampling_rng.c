/* The library's random generator: a fixed, documented stream per seed. */
#include "test_util.h"

#include "common/rng.h"

#include <math.h>

/* Expected words from an independent Python implementation of splitmix64
 * seeding + xoshiro256** (the published algorithms), not from this code. */
static void stream_matches_reference_xoshiro256starstar(void **state) {
    (void)state;
    static const struct {
        uint64_t seed;
        uint64_t words[4];
    } ref[] = {
        {0, {0x99ec5f36cb75f2b4u, 0xbf6e1f784956452au, 0x1a5f849d4933e6e0u, 0x6aa594f1262d2d2cu}},
        {42, {0x15780b2e0c2ec716u, 0x6104d9866d113a7eu, 0xae17533239e499a1u, 0xecb8ad4703b360a1u}},
        {UINT64_MAX,
         {0x8f5520d52a7ead08u, 0xc476a018caa1802du, 0x81de31c0d260469eu, 0xbf658d7e065f3c2fu}},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        lc_rng r;
        lc_rng_seed(&r, ref[i].seed);
        for (int j = 0; j < 4; j++) assert_true(lc_rng_next_u64(&r) == ref[i].words[j]);
    }
}

static void uniform_stays_in_unit_interval_with_mean_one_half(void **state) {
    (void)state;
    lc_rng r;
    lc_rng_seed(&r, 7);
    double sum = 0.0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = lc_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    /* Standard error of the mean of U(0,1) over n draws: sqrt(1/12/n) ~ 6.5e-4. */
    assert_true(fabs(sum / n - 0.5) < 5 * 6.5e-4);
}

static void uniform_uses_the_top_53_bits(void **state) {
    (void)state;
    lc_rng a, b;
    lc_rng_seed(&a, 99);
    lc_rng_seed(&b, 99);
    for (int i = 0; i < 100; i++) {
        uint64_t w = lc_rng_next_u64(&a);
        assert_true(lc_rng_uniform(&b) == (double)(w >> 11) / 9007199254740992.0);
    }
}

int main(void) {
    return run_cases(NULL, NULL,
                     stream_matches_reference_xoshiro256starstar,
                     uniform_stays_in_unit_interval_with_mean_one_half,
                     uniform_uses_the_top_53_bits);
}
