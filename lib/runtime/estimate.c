/* llamac_estimate_memory (llamac.h section 14): what a model and a
 * context will cost before either is allocated. The model is opened as a
 * pure mapping (no repacking, no page of tensor data read), through a
 * counting allocator that measures its own structures (vocabulary,
 * metadata); the context's blocks come from the same plan
 * llamac_context_new allocates by. */
#include "context.h"
#include "common/internal.h"
#include "common/params.h"

#include <stdlib.h>
#include <string.h>

/* Stack pages a thread touches while decoding (docs/threading.md measured
 * up to 48 KiB), rounded up. */
#define THREAD_STACK_BYTES (64u * 1024u)
/* Pages a released matrix may keep at its two unaligned ends. */
#define PAGES_KEPT_PER_TENSOR (2u * 4096u)
/* Pages an owned (repacked) copy may touch beyond its size: it is not
 * page-aligned, so its first and last pages are partly other memory, and
 * a huge-page-aligned copy keeps the pointer lc_malloc_aligned stores
 * before it on a page of its own (tinyllama Q4_0: anonymous memory after
 * the load 0.7 MiB over the copies' sizes without this). */
#define PAGES_OWNED_PER_TENSOR (2u * 4096u)
/* malloc's headers and page rounding of the context's few blocks. */
#define BLOCK_SLACK (64u * 1024u)

typedef struct counting {
    size_t now, peak;
} counting;

/* Each block carries its size in front of it (16 bytes keep alignment). */
static void *count_malloc(void *user, size_t n) {
    counting *c = user;
    if (n > SIZE_MAX - 16) return NULL;
    size_t *p = malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    c->now += n;
    if (c->now > c->peak) c->peak = c->now;
    return (uint8_t *)p + 16;
}

static void count_free(void *user, void *ptr) {
    if (!ptr) return;
    counting *c = user;
    size_t *p = (size_t *)((uint8_t *)ptr - 16);
    c->now -= p[0];
    free(p);
}

static void *count_realloc(void *user, void *ptr, size_t n) {
    if (!ptr) return count_malloc(user, n);
    counting *c = user;
    size_t *p = (size_t *)((uint8_t *)ptr - 16);
    const size_t old = p[0];
    if (n > SIZE_MAX - 16) return NULL;
    size_t *q = realloc(p, n + 16);
    if (!q) return NULL;
    q[0] = n;
    c->now = c->now - old + n;
    if (c->now > c->peak) c->peak = c->now;
    return (uint8_t *)q + 16;
}

llamac_status llamac_estimate_memory(const char *model_path, const llamac_model_params *model_params,
                                     const llamac_context_params *context_params, llamac_memory_estimate *out) {
    LC_REQUIRE(model_path);
    LC_REQUIRE(out);
    memset(out, 0, sizeof *out);
    llamac_model_params mp;
    llamac_model_params_init(&mp, sizeof mp);
    llamac_status st = lc_params_read(&mp, sizeof mp, model_params, "llamac_estimate_memory", "llamac_model");
    if (st != LLAMAC_OK) return st;
    const bool use_mmap = mp.use_mmap, repack = mp.repack;
    counting c = {0, 0};
    const llamac_allocator counter = {count_malloc, count_realloc, count_free, &c};
    llamac_model_params probe = llamac_model_default_params();
    probe.use_mmap = true;
    probe.repack = false;
    probe.allocator = &counter;
    llamac_model *model = NULL;
    st = llamac_model_load(model_path, &probe, &model);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_estimate_memory");
        return st;
    }
    size_t kv = 0, scratch = 0;
    int32_t n_threads = 1;
    st = lc_context_plan(model, context_params, &kv, &scratch, &n_threads);
    const uint64_t tensors = llamac_model_size(model);
    const uint64_t n_tensors = (uint64_t)llamac_gguf_n_tensors(llamac_model_gguf(model));
    const uint64_t model_heap = c.peak;
    llamac_model_free(model);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_estimate_memory");
        return st;
    }
    /* Mapped: the pages a decode reads (every matrix; token_embd only in
     * the rows used, counted whole). Repacked: the copies are as large
     * as the rows they replace, plus their partial pages. Read into memory: the file buffer, plus
     * the packed copies when repacking (counted as the whole size). */
    out->weights = tensors + (use_mmap ? n_tensors * PAGES_KEPT_PER_TENSOR : 0) +
                   (repack ? n_tensors * PAGES_OWNED_PER_TENSOR : 0) + (!use_mmap && repack ? tensors : 0);
    out->model_other = model_heap;
    out->kv_cache = kv;
    out->compute = scratch + (uint64_t)n_threads * THREAD_STACK_BYTES + BLOCK_SLACK;
    out->total = out->weights + out->model_other + out->kv_cache + out->compute;
    return LLAMAC_OK;
}
