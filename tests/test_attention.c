/* lc_attend_heads: heads computed together (with the fused value sums
 * where the back end has them) give each head's bits alone (axpy per cell),
 * over cell lists with gaps (runs of consecutive cells and single cells),
 * and the result is attention: checked against a double-precision
 * evaluation of softmax(scale * K q) V on the decoded cache. Both back
 * ends, F16 and F32 caches. */
#include "test_util.h"

#include "model/model.h"
#include "runtime/ops.h"
#include "test_kernels_simd_util.h"

#include <math.h>

enum { HEAD_DIM = 64, N_CELLS = 40, KV_HEADS = 2, MAX_M = LC_ATTN_HEADS };

static uint64_t rng_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}
static float rng_f(uint64_t *s) { return (float)rng_next(s) / (float)(1u << 31) - 0.5f; }

typedef struct cache {
    uint8_t *k, *v;
    size_t stride; /* bytes per cell: KV_HEADS heads */
} cache;

static void fill_cache(llamac_type type, cache *c, uint64_t *seed) {
    const lc_type_traits *tr = lc_scalar_traits(type);
    c->stride = lc_row_size(type, (int64_t)KV_HEADS * HEAD_DIM);
    c->k = malloc(c->stride * N_CELLS);
    c->v = malloc(c->stride * N_CELLS);
    assert_true(c->k && c->v);
    float row[KV_HEADS * HEAD_DIM];
    for (int cell = 0; cell < N_CELLS; cell++) {
        for (int i = 0; i < KV_HEADS * HEAD_DIM; i++) row[i] = 2.f * rng_f(seed);
        tr->from_float(row, c->k + (size_t)cell * c->stride, KV_HEADS * HEAD_DIM);
        for (int i = 0; i < KV_HEADS * HEAD_DIM; i++) row[i] = rng_f(seed);
        tr->from_float(row, c->v + (size_t)cell * c->stride, KV_HEADS * HEAD_DIM);
    }
}

static lc_kv_head view_of(const cache *c, int kv_head, llamac_type type, const lc_kernel_table *kt) {
    const size_t off = lc_row_size(type, (int64_t)kv_head * HEAD_DIM);
    const lc_type_traits *tr = lc_kt_traits(kt, type);
    return (lc_kv_head){.k = c->k + off, .v = c->v + off, .stride = c->stride, .type = type, .traits = tr,
                        .q_traits = lc_kt_traits(kt, tr->vec_dot_type), .axpy = lc_kt_axpy(kt, type),
                        .gemm = lc_kt_gemm(kt, type), .values = NULL, .exp = kt->exp};
}

typedef struct scratch_mem {
    float scores[MAX_M * N_CELLS];
    _Alignas(64) uint8_t q_conv[MAX_M * HEAD_DIM * 4];
    float v_row[HEAD_DIM];
    lc_attn_scratch s;
} scratch_mem;

static void scratch_init(scratch_mem *m) {
    m->s = (lc_attn_scratch){m->scores, N_CELLS, m->q_conv, HEAD_DIM * 4, m->v_row};
}

/* softmax(scale * k . q) v in double on the decoded cache. */
static void reference(const cache *c, int kv_head, llamac_type type, const float *q, float scale, const int32_t *cells,
                      int n, double *out) {
    const lc_type_traits *tr = lc_scalar_traits(type);
    const size_t off = lc_row_size(type, (int64_t)kv_head * HEAD_DIM);
    double s[N_CELLS], max = -INFINITY, sum = 0.0;
    float k[HEAD_DIM], v[HEAD_DIM];
    for (int j = 0; j < n; j++) {
        tr->to_float(c->k + (size_t)cells[j] * c->stride + off, k, HEAD_DIM);
        s[j] = 0.0;
        for (int d = 0; d < HEAD_DIM; d++) s[j] += (double)k[d] * q[d];
        s[j] *= scale;
        max = fmax(max, s[j]);
    }
    for (int d = 0; d < HEAD_DIM; d++) out[d] = 0.0;
    for (int j = 0; j < n; j++) sum += exp(s[j] - max);
    for (int j = 0; j < n; j++) {
        tr->to_float(c->v + (size_t)cells[j] * c->stride + off, v, HEAD_DIM);
        for (int d = 0; d < HEAD_DIM; d++) out[d] += exp(s[j] - max) / sum * v[d];
    }
}

/* The check on one back end's kernels (the same caches for every back end:
 * the seed starts over). */
static void heads_together_give_each_heads_bits_alone(const lc_kernel_table *kt) {
    const llamac_type types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32};
    /* runs of 1, 3, 7 and 12 cells with gaps, out of order between runs */
    const int32_t cells[] = {3, 20, 21, 22, 0, 1, 2, 5, 6, 7, 8, 9, 10, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 12};
    const int n = (int)(sizeof cells / sizeof cells[0]);
    uint64_t seed = 99;
    for (size_t ti = 0; ti < 2; ti++) {
        cache c;
        fill_cache(types[ti], &c, &seed);
        float q[MAX_M * HEAD_DIM];
        for (int i = 0; i < MAX_M * HEAD_DIM; i++) q[i] = rng_f(&seed);
        for (int kvh = 0; kvh < KV_HEADS; kvh++) {
            const lc_kv_head view = view_of(&c, kvh, types[ti], kt);
            lc_kv_head fused = view; /* value sums of all heads in one kernel, where there is one */
            fused.values = lc_kt_attn_values(kt, types[ti]);
            scratch_mem sm;
            scratch_init(&sm);
            for (int len = 1; len <= n; len += len < 5 ? 1 : 7) {
                float together[MAX_M * HEAD_DIM], alone[HEAD_DIM];
                lc_attend_heads(together, q, MAX_M, HEAD_DIM, 0.125f, &fused, cells, len, &sm.s);
                for (int h = 0; h < MAX_M; h++) {
                    lc_attend_heads(alone, q + h * HEAD_DIM, 1, HEAD_DIM, 0.125f, &view, cells, len, &sm.s);
                    assert_memory_equal(alone, together + h * HEAD_DIM, sizeof alone);
                    double want[HEAD_DIM];
                    reference(&c, kvh, types[ti], q + h * HEAD_DIM, 0.125f, cells, len, want);
                    /* an F16 cache rounds q and the probabilities to fp16 */
                    const double tol = types[ti] == LLAMAC_TYPE_F16 ? 2e-3 : 1e-5;
                    for (int d = 0; d < HEAD_DIM; d++) assert_true(fabs(alone[d] - want[d]) <= tol);
                }
            }
        }
        free(c.k);
        free(c.v);
    }
}

static void scalar_heads_together_give_each_heads_bits_alone(void **state) {
    (void)state;
    heads_together_give_each_heads_bits_alone(simd_kernels(LLAMAC_KERNELS_SCALAR));
}

static void avx2_heads_together_give_each_heads_bits_alone(void **state) {
    (void)state;
    if (!simd_kernels(LLAMAC_KERNELS_AVX2)) {
        fprintf(stderr, "SKIP: no AVX2 kernels on this CPU\n");
        skip();
    }
    heads_together_give_each_heads_bits_alone(simd_kernels(LLAMAC_KERNELS_AVX2));
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--avx2"), NULL, NULL,
                     CASES(scalar_heads_together_give_each_heads_bits_alone),
                     CASES(avx2_heads_together_give_each_heads_bits_alone));
}
