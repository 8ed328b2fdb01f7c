/* lc_expf against the C library's expf, and the AVX2 exp and SwiGLU
 * against the scalar ones bit for bit (including NaN, the range ends and
 * every tail length). */
#include "test_util.h"

#include "kernels/avx2_kernels.h"
#include "test_kernels_simd_util.h"

#include <math.h>

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Distance in units in the last place between two finite positive floats. */
static int64_t ulps(float a, float b) { return llabs((int64_t)bits_of(a) - (int64_t)bits_of(b)); }

static void expf_is_within_a_few_ulp_of_the_c_library(void **state) {
    (void)state;
    int64_t worst = 0;
    for (float x = -87.f; x < 88.f; x += 0.001713f) {
        const int64_t d = ulps(lc_expf(x), expf(x));
        if (d > worst) worst = d;
    }
    printf("lc_expf: worst %lld ulp from expf over [-87, 88]\n", (long long)worst);
    assert_true(worst <= 4);
    assert_true(lc_expf(0.f) == 1.f);
    assert_true(lc_expf(1.f) == expf(1.f) || ulps(lc_expf(1.f), expf(1.f)) <= 1);
    assert_true(isinf(lc_expf(89.f)) && isinf(lc_expf(INFINITY)));
    assert_true(lc_expf(-INFINITY) > 0.f && lc_expf(-INFINITY) <= 0x1p-126f);
    assert_true(isnan(lc_expf(NAN)));
}

static void avx2_exp_and_swiglu_give_the_reference_bits(void **state) {
    (void)state;
    if (!simd_have_avx2("exp")) { skip(); return; }
    enum { N = 4099 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *g = malloc(N * sizeof *g),
          *u = malloc(N * sizeof *u), *g2 = malloc(N * sizeof *g2);
    assert_true(x && y && g && u && g2);
    const float special[] = {NAN, INFINITY, -INFINITY, LC_EXP_HI, nextafterf(LC_EXP_HI, 100.f), LC_EXP_LO,
                             nextafterf(LC_EXP_LO, -100.f), 0.f, -0.f, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    for (int pass = 0; pass < 4; pass++) {
        for (int i = 0; i < N; i++)
            x[i] = i < n_special ? special[i] : (float)((i * 7919 % N) * (200.0 / N) - 100.0) * (pass + 1) * 0.5f;
        lc_exp_avx2(x, y, N);
        for (int i = 0; i < N; i++) {
            const float want = lc_expf(x[i]);
            if (bits_of(y[i]) != bits_of(want) && !(isnan(y[i]) && isnan(want)))
                fail_msg("exp(%.9g): avx2 %.9g, reference %.9g", (double)x[i], (double)y[i], (double)want);
        }
    }
    for (int i = 0; i < N; i++) g[i] = x[i] * 0.1f, u[i] = 1.f - x[i] * 0.01f;
    for (int64_t n = 0; n <= 40; n++) { /* tails: element i's bits whatever its offset */
        memcpy(g2, g + 3, (size_t)n * sizeof *g2);
        lc_swiglu_avx2(g2, u + 3, n);
        for (int64_t i = 0; i < n; i++) {
            float want = g[3 + i];
            lc_swiglu_ref(&want, &u[3 + i], 1);
            assert_int_equal(bits_of(g2[i]), bits_of(want));
        }
    }
    memcpy(g2, g, N * sizeof *g2);
    lc_swiglu_avx2(g2, u, N);
    lc_swiglu_ref(g, u, N);
    assert_memory_equal(g, g2, N * sizeof *g);
    free(x), free(y), free(g), free(u), free(g2);
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--avx2"), NULL, NULL,
                     CASES(expf_is_within_a_few_ulp_of_the_c_library),
                     CASES(avx2_exp_and_swiglu_give_the_reference_bits));
}
