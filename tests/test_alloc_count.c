/* Every allocation the library makes goes through the caller's allocator
 * (issue 12, fault 7: glibc's qsort took a merge buffer from malloc inside
 * llamac_gguf_open). This program defines malloc and friends itself, which
 * replaces them for the whole process (glibc's documented way to replace
 * the allocator), forwarding to glibc's __libc_* functions and counting the
 * calls made while a library call is in progress. The library gets a
 * counting llamac_allocator that goes to __libc_* directly, so its own
 * allocations are not counted by the replacement.
 *
 * Outside the rule (include/llamac.h): thread-local storage and what
 * pthread_create allocates for a new thread. Contexts with worker threads
 * are therefore created before the counter is armed; everything else
 * (loads, the one-thread context, decodes on both, sampling, the
 * generator, frees) runs armed.
 *
 * gcc builds only: sanitizers replace malloc themselves.
 * Env LLAMAC_SHIPPED_MODEL: a model with a tokenizer. */
#include "test_util.h"

#include "llamac.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);

static atomic_int armed;
static atomic_long libc_calls;
#define MAX_CALLERS 8
static void *callers[MAX_CALLERS];

static void count_libc_call(void *caller) {
    if (!atomic_load(&armed)) return;
    long k = atomic_fetch_add(&libc_calls, 1);
    if (k < MAX_CALLERS) callers[k] = caller;
}

void *malloc(size_t n) {
    count_libc_call(__builtin_return_address(0));
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
    count_libc_call(__builtin_return_address(0));
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
    count_libc_call(__builtin_return_address(0));
    return __libc_realloc(p, n);
}
void free(void *p) {
    if (p) count_libc_call(__builtin_return_address(0));
    __libc_free(p);
}
void *aligned_alloc(size_t align, size_t n) {
    count_libc_call(__builtin_return_address(0));
    return __libc_memalign(align, n);
}
void *memalign(size_t align, size_t n) {
    count_libc_call(__builtin_return_address(0));
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
    count_libc_call(__builtin_return_address(0));
    void *p = __libc_memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

/* The caller's allocator: counts, and never touches the replaced malloc. */
static atomic_long hook_calls, hook_live;
static void *hook_malloc(void *user, size_t n) {
    (void)user;
    atomic_fetch_add(&hook_calls, 1);
    void *p = __libc_malloc(n);
    if (p) atomic_fetch_add(&hook_live, 1);
    return p;
}
static void *hook_realloc(void *user, void *p, size_t n) {
    (void)user;
    atomic_fetch_add(&hook_calls, 1);
    void *q = __libc_realloc(p, n);
    if (q && !p) atomic_fetch_add(&hook_live, 1);
    return q;
}
static void hook_free(void *user, void *p) {
    (void)user;
    if (p) atomic_fetch_sub(&hook_live, 1);
    __libc_free(p);
}
static const llamac_allocator counting = {hook_malloc, hook_realloc, hook_free, NULL};

static void arm(void) {
    atomic_store(&libc_calls, 0);
    atomic_store(&armed, 1);
}

/* Disarms, then fails naming the step and the callers if libc was used. */
static void disarm_expect_none(const char *step) {
    atomic_store(&armed, 0);
    long n = atomic_load(&libc_calls);
    if (n == 0) return;
    fprintf(stderr, "%s: %ld libc allocator call(s) bypassed the caller's allocator; first callers:",
            step, n);
    for (long i = 0; i < n && i < MAX_CALLERS; i++) fprintf(stderr, " %p", callers[i]);
    fprintf(stderr, "\n(addr2line -f -e THIS_PROGRAM ADDRESS names them)\n");
    fail_msg("%s: %ld libc allocations", step, n);
}

static const char *model_path;

/* The replacement itself works: a plain malloc while armed is seen. */
static void replacement_counts_a_plain_malloc(void **state) {
    (void)state;
    arm();
    void *volatile p = malloc(16);
    free(p);
    atomic_store(&armed, 0);
    assert_int_equal(atomic_load(&libc_calls), 2);
}

static void gguf_open_uses_only_the_allocator(void **state) {
    (void)state;
    llamac_gguf_params gp = llamac_gguf_default_params();
    gp.allocator = &counting;
    for (int mapped = 0; mapped < 2; mapped++) {
        gp.use_mmap = mapped;
        llamac_gguf *g = NULL;
        long before = atomic_load(&hook_calls);
        arm();
        llamac_status st = llamac_gguf_open(model_path, &gp, &g);
        llamac_gguf_free(g);
        disarm_expect_none(mapped ? "llamac_gguf_open (mmap)" : "llamac_gguf_open (read)");
        assert_int_equal(st, LLAMAC_OK);
        assert_true(atomic_load(&hook_calls) > before);
        assert_int_equal(atomic_load(&hook_live), 0);
    }
}

/* Failures format messages (vsnprintf, strerror_r): no malloc either. */
static void failed_loads_use_only_the_allocator(void **state) {
    (void)state;
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &counting;
    llamac_model *m = NULL;
    arm();
    llamac_status st1 = llamac_model_load("/nonexistent/llamac/model.gguf", &mp, &m);
    llamac_status st2 = llamac_model_load("/dev/null", &mp, &m);
    llamac_status st3 = llamac_model_load("/tmp", &mp, &m);
    disarm_expect_none("failed llamac_model_load");
    assert_int_equal(st1, LLAMAC_ERR_IO);
    assert_int_not_equal(st2, LLAMAC_OK);
    assert_int_equal(st3, LLAMAC_ERR_IO);
    assert_int_equal(atomic_load(&hook_live), 0);
}

/* Decodes the prompt on ctx and samples a few tokens through a chain. */
static void decode_and_sample(llamac_context *ctx, const llamac_model *model, const char *step) {
    const llamac_vocab *vocab = llamac_model_vocab(model);
    assert_non_null(vocab);
    llamac_token tokens[64];
    int32_t n = 0;
    llamac_batch batch;
    llamac_sampler_chain_params sp = llamac_sampler_chain_default_params();
    sp.allocator = &counting;
    arm();
    llamac_status st = llamac_tokenize(vocab, "In the beginning", 16, tokens, 64, true, false, &n);
    llamac_status bst = llamac_batch_init(&batch, 64, 1, &counting);
    llamac_sampler *chain = llamac_sampler_chain_new(&sp);
    llamac_status cst = chain ? llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(20, &counting))
                              : LLAMAC_ERR_NO_MEMORY;
    if (!cst) cst = llamac_sampler_chain_add(chain, llamac_sampler_init_temp(0.8f, &counting));
    if (!cst) cst = llamac_sampler_chain_add(chain, llamac_sampler_init_dist(7, &counting));
    const llamac_seq_id seq = 0;
    for (int32_t i = 0; !st && !bst && i < n; i++) st = llamac_batch_add(&batch, tokens[i], i, &seq, 1, i == n - 1);
    llamac_pos pos = n;
    llamac_token next = 0;
    char piece[64];
    size_t piece_len;
    for (int k = 0; k < 4 && !st && !bst && !cst; k++) {
        st = llamac_decode(ctx, &batch);
        if (!st) st = llamac_sampler_sample(chain, llamac_get_logits_ith(ctx, batch.n_tokens - 1),
                                            llamac_model_n_vocab(model), &next);
        if (!st) st = llamac_token_to_piece(vocab, next, piece, sizeof piece, 0, false, &piece_len);
        batch.n_tokens = 0;
        if (!st) st = llamac_batch_add(&batch, next, pos++, &seq, 1, true);
    }
    llamac_sampler_free(chain);
    llamac_batch_free(&batch);
    disarm_expect_none(step);
    assert_int_equal(bst, LLAMAC_OK);
    assert_int_equal(cst, LLAMAC_OK);
    assert_int_equal(st, LLAMAC_OK);
    assert_true(n > 1);
}

static void load_decode_free_use_only_the_allocator(void **state) {
    (void)state;
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &counting;
    llamac_model *model = NULL;
    long before = atomic_load(&hook_calls);
    arm();
    llamac_status st = llamac_model_load(model_path, &mp, &model);
    disarm_expect_none("llamac_model_load");
    assert_int_equal(st, LLAMAC_OK);
    assert_true(atomic_load(&hook_calls) > before);

    /* One thread: no pthread_create, so the whole context is armed. */
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 256;
    cp.n_threads = 1;
    llamac_context *ctx1 = NULL;
    arm();
    st = llamac_context_new(model, &cp, &ctx1);
    disarm_expect_none("llamac_context_new (1 thread)");
    assert_int_equal(st, LLAMAC_OK);
    decode_and_sample(ctx1, model, "decode and sample (1 thread)");

    /* Two threads: created unarmed (pthread_create allocates the new
     * thread's TLS block), then decoded armed. */
    cp.n_threads = 2;
    llamac_context *ctx2 = NULL;
    assert_int_equal(llamac_context_new(model, &cp, &ctx2), LLAMAC_OK);
    decode_and_sample(ctx2, model, "decode and sample (2 threads)");
    llamac_context_free(ctx2);

    /* The generator, on the one-thread context. */
    llamac_sampler_chain_params sp = llamac_sampler_chain_default_params();
    sp.allocator = &counting;
    llamac_generator *gen = NULL;
    llamac_token prompt[2] = {1, 100};
    llamac_generation_step step;
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = 3;
    arm();
    llamac_kv_clear(ctx1);
    llamac_sampler *chain = llamac_sampler_chain_new(&sp);
    llamac_status gst = chain ? llamac_sampler_chain_add(chain, llamac_sampler_init_greedy(&counting))
                              : LLAMAC_ERR_NO_MEMORY;
    if (!gst) gst = llamac_generator_new(ctx1, chain, &gp, &gen);
    if (!gst) gst = llamac_generator_prompt(gen, prompt, 2);
    for (int k = 0; k < 3 && !gst; k++) gst = llamac_generator_next(gen, &step);
    llamac_generator_free(gen);
    llamac_sampler_free(chain);
    llamac_context_free(ctx1);
    llamac_model_free(model);
    disarm_expect_none("generator, then freeing context and model");
    assert_int_equal(gst, LLAMAC_OK);
    assert_int_equal(atomic_load(&hook_live), 0);
}

/* Quantizing (one thread: no pthread_create) and loading the result, whose
 * Q8_0 matrices are repacked at load. */
static void quantize_and_repacked_load_use_only_the_allocator(void **state) {
    (void)state;
    char out[64];
    snprintf(out, sizeof out, "/tmp/llamac-alloc-count-%d.gguf", (int)getpid());
    llamac_quantize_params qp = llamac_quantize_default_params();
    qp.ftype = LLAMAC_FTYPE_MOSTLY_Q8_0;
    qp.n_threads = 1;
    qp.allocator = &counting;
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &counting;
    llamac_model *model = NULL;
    arm();
    llamac_status qst = llamac_model_quantize(model_path, out, &qp);
    llamac_status lst = qst ? qst : llamac_model_load(out, &mp, &model);
    llamac_model_free(model);
    disarm_expect_none("llamac_model_quantize, then loading the Q8_0 file");
    unlink(out);
    assert_int_equal(qst, LLAMAC_OK);
    assert_int_equal(lst, LLAMAC_OK);
    assert_int_equal(atomic_load(&hook_live), 0);
}

int main(void) {
    model_path = getenv("LLAMAC_SHIPPED_MODEL");
    if (!model_path || access(model_path, R_OK) != 0) {
        fprintf(stderr, "LLAMAC_SHIPPED_MODEL is not set to a readable model\n");
        return 1;
    }
    return run_cases(NULL, NULL,
                     replacement_counts_a_plain_malloc,
                     gguf_open_uses_only_the_allocator,
                     failed_loads_use_only_the_allocator,
                     load_decode_free_use_only_the_allocator,
                     quantize_and_repacked_load_use_only_the_allocator);
}
