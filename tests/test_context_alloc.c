/* Context creation asks for every block before it writes to any, so an
 * impossible size fails at allocation with nothing touched (issue 12, fault
 * 3: `run -c 2147483647` zero-filled ~17 GB of cell bitsets before the K/V
 * allocation failed). The model and its contexts get memory from a guard
 * allocator that fills each block it hands out with a canary, can refuse a
 * chosen request or any request above a size, and at a refusal checks that
 * every block the context already holds still holds the canary. */
#include "decode_util.h"
#include "test_tmpdir.h"

#include "runtime/kv_cache.h"

#include <string.h>
#include <time.h>

#define CANARY 0xA5
#define MAX_BLOCKS 64

typedef struct guard {
    bool armed;             /* only requests made while armed are counted */
    long refuse_at;         /* refuse the n-th armed request (1-based), 0: none */
    size_t refuse_above;    /* refuse armed requests larger than this, 0: none */
    long n_requests;
    size_t bytes_given;     /* armed requests served */
    size_t refused_size;    /* the last refused request */
    long n_refused;
    bool written_early;     /* a refusal found a held block already written */
    void *live[MAX_BLOCKS]; /* armed blocks not freed yet */
    size_t live_size[MAX_BLOCKS];
    int n_live;
} guard;

static guard g;

/* lc_malloc_aligned keeps the block's own address in the pointer-sized slot
 * just below the aligned address it returns: the only byte range the
 * library writes into a block while it allocates. */
static bool is_alignment_slot(const unsigned char *block, size_t i) {
    uintptr_t aligned = ((uintptr_t)block + sizeof(void *) + 63) & ~(uintptr_t)63;
    uintptr_t at = (uintptr_t)block + i;
    return at >= aligned - sizeof(void *) && at < aligned;
}

static bool still_canary(const unsigned char *block, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (block[i] != CANARY && !is_alignment_slot(block, i)) return false;
    return true;
}

static bool refuse(size_t n) {
    return g.refuse_at == g.n_requests || (g.refuse_above && n > g.refuse_above) || g.n_live == MAX_BLOCKS;
}

static void *guard_malloc(void *user, size_t n) {
    (void)user;
    if (!g.armed) return malloc(n);
    g.n_requests++;
    if (refuse(n)) {
        g.n_refused++;
        g.refused_size = n;
        for (int i = 0; i < g.n_live; i++)
            if (!still_canary(g.live[i], g.live_size[i])) g.written_early = true;
        return NULL;
    }
    unsigned char *p = malloc(n);
    if (!p) return NULL;
    memset(p, CANARY, n);
    g.live[g.n_live] = p;
    g.live_size[g.n_live++] = n;
    g.bytes_given += n;
    return p;
}

static bool forget(void *p) {
    for (int i = 0; i < g.n_live; i++)
        if (g.live[i] == p) {
            g.live[i] = g.live[--g.n_live];
            g.live_size[i] = g.live_size[g.n_live];
            return true;
        }
    return false;
}

static void *guard_realloc(void *user, void *p, size_t n) {
    (void)user;
    if (g.armed) fail_msg("context creation reallocated a block (the guard does not follow reallocations)");
    return realloc(p, n);
}

static void guard_free(void *user, void *p) {
    (void)user;
    forget(p);
    free(p);
}

static const llamac_allocator guard_alloc = {guard_malloc, guard_realloc, guard_free, NULL};

static void arm(long refuse_at, size_t refuse_above) {
    memset(&g, 0, sizeof g);
    g.armed = true;
    g.refuse_at = refuse_at;
    g.refuse_above = refuse_above;
}

typedef struct fixture {
    char dir[256];
    llamac_model *model;
} fixture;

/* tm_spec_default: 2 layers, 2 KV heads of 32 / 4 = 8 dims, vocab 64. */
#define N_LAYER 2
#define N_EMBD_KV (2 * 8)

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || !test_tmpdir_new(f->dir, sizeof f->dir)) return -1;
    char path[320];
    snprintf(path, sizeof path, "%s/model.gguf", f->dir);
    tm_spec s;
    tm_spec_default(&s);
    if (tm_write(&s, path) != LLAMAC_OK) return -1;
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &guard_alloc;
    if (llamac_model_load(path, &mp, &f->model) != LLAMAC_OK) return -1;
    if (llamac_model_n_layer(f->model) != N_LAYER ||
        llamac_model_n_head_kv(f->model) * (llamac_model_n_embd(f->model) / llamac_model_n_head(f->model)) !=
            N_EMBD_KV)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    llamac_model_free(f->model);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static llamac_context_params small_params(void) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 8;
    cp.n_threads = 2; /* the thread pool's worker table is a block too */
    return cp;
}

/* Refusing each request of a context creation in turn: the call fails with
 * NO_MEMORY, nothing it held was written before the refusal, nothing leaks,
 * and the message says how many bytes were asked for. */
static void every_block_is_allocated_before_any_is_written(void **state) {
    fixture *f = *state;
    const llamac_context_params cp = small_params();
    llamac_context *ctx = NULL;
    arm(0, 0);
    assert_int_equal(llamac_context_new(f->model, &cp, &ctx), LLAMAC_OK);
    const long n_blocks = g.n_requests;
    g.armed = false;
    llamac_context_free(ctx);
    assert_true(n_blocks >= 5); /* K, V, positions, sequence sets, scratch, ... */

    for (long k = 1; k <= n_blocks; k++) {
        arm(k, 0);
        ctx = (llamac_context *)&ctx;
        const llamac_status st = llamac_context_new(f->model, &cp, &ctx);
        g.armed = false;
        if (st != LLAMAC_ERR_NO_MEMORY)
            fail_msg("request %ld of %ld refused: status %s (%s)", k, n_blocks, llamac_status_name(st),
                     llamac_last_error());
        assert_null(ctx);
        if (g.written_early) fail_msg("request %ld of %ld refused after a held block was written", k, n_blocks);
        if (g.n_live != 0) fail_msg("request %ld refused: %d blocks leaked", k, g.n_live);
        if (!strstr(llamac_last_error(), "bytes"))
            fail_msg("request %ld refused: message \"%s\" names no byte count", k, llamac_last_error());
    }
}

/* A context made through the guard (canary-filled memory) decodes to the
 * same bits as one made with libc memory: initialization still happens. */
static void a_context_from_canary_memory_decodes_like_any_other(void **state) {
    fixture *f = *state;
    const llamac_context_params cp = small_params();
    llamac_context *guarded = NULL;
    arm(0, 0);
    assert_int_equal(llamac_context_new(f->model, &cp, &guarded), LLAMAC_OK);
    g.armed = false;
    llamac_context *plain = du_context(f->model, cp.n_ctx, cp.n_batch, 1, cp.n_threads);
    llamac_token toks[8];
    du_tokens(toks, 8, llamac_model_n_vocab(f->model), 7);
    const size_t n = 8 * (size_t)llamac_model_n_vocab(f->model);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    assert_int_equal(du_decode(guarded, toks, 8, 0, 0, a), LLAMAC_OK);
    assert_int_equal(du_decode(plain, toks, 8, 0, 0, b), LLAMAC_OK);
    du_assert_same_bits(a, b, n, "logits");
    free(a);
    free(b);
    llamac_context_free(plain);
    llamac_context_free(guarded);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The fault's own request: n_ctx 2^31 - 1. Refused at the first block larger
 * than 256 MiB, before any memory is written, in well under a second, with
 * the K/V size in the message (computed here from the model's shape). */
static void an_impossible_n_ctx_fails_at_allocation_naming_its_bytes(void **state) {
    fixture *f = *state;
    const llamac_type types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32};
    const unsigned long long elem[] = {2, 4};
    for (int t = 0; t < 2; t++) {
        llamac_context_params cp = llamac_context_default_params();
        cp.n_ctx = 2147483647u;
        cp.n_threads = 2;
        cp.kv_type = types[t];
        llamac_context *ctx = NULL;
        arm(0, (size_t)256 << 20);
        const double t0 = now_s();
        const llamac_status st = llamac_context_new(f->model, &cp, &ctx);
        const double seconds = now_s() - t0;
        g.armed = false;
        assert_int_equal(st, LLAMAC_ERR_NO_MEMORY);
        assert_null(ctx);
        assert_true(g.n_refused >= 1);
        assert_false(g.written_early);
        assert_int_equal(g.n_live, 0);
        if (g.bytes_given > ((size_t)1 << 20))
            fail_msg("%zu bytes were handed out before the refusal", g.bytes_given);
        if (seconds > 0.5) fail_msg("refusing took %.2f s", seconds);
        char kv_bytes[32];
        snprintf(kv_bytes, sizeof kv_bytes, "%llu", 2147483647ull * N_LAYER * N_EMBD_KV * elem[t]);
        const char *msg = llamac_last_error();
        if (!strstr(msg, kv_bytes) || !strstr(msg, "2147483647") || !strstr(msg, "bytes in all"))
            fail_msg("message \"%s\" should name n_ctx 2147483647, the %s bytes of the keys and the total", msg,
                     kv_bytes);
    }
}

/* A size past size_t is a bad argument, not a lack of memory. Contexts
 * cannot reach it on a 64-bit host (n_ctx <= 2^31 - 1 and the model's
 * tensors bound the rest), so the KV sizing is asked directly. */
static void a_kv_size_past_size_t_is_an_invalid_argument(void **state) {
    (void)state;
    lc_kv_shape shape;
    assert_int_equal(lc_kv_shape_init(&shape, INT32_MAX, 1, INT32_MAX, (int64_t)1 << 40, LLAMAC_TYPE_F16),
                     LLAMAC_ERR_INVALID_ARG);
    if (!strstr(llamac_last_error(), "size_t")) fail_msg("message \"%s\"", llamac_last_error());
    assert_int_equal(lc_kv_shape_init(&shape, 64, 1, 2, 16, LLAMAC_TYPE_F16), LLAMAC_OK);
    assert_int_equal(shape.kv_bytes, 64 * 2 * 16 * 2);
    assert_int_equal(shape.pos_bytes, 64 * 4);
    assert_int_equal(shape.seqs_bytes, 64 * 8);
}

int main(void) {
    return run_cases(setup, teardown,
                     every_block_is_allocated_before_any_is_written,
                     a_context_from_canary_memory_decodes_like_any_other,
                     an_impossible_n_ctx_fails_at_allocation_naming_its_bytes,
                     a_kv_size_past_size_t_is_an_invalid_argument);
}
