/* Writing a GGUF whose tensors are produced one at a time.
 *
 * The writer's fill callbacks take a tensor name; quantization and
 * synthesis think in tensor indices, so each tensor gets a small adapter
 * that carries its index. The writer produces tensors in order into one
 * reused buffer: a 7B model is written with memory near its largest
 * tensor, not 13.5 GB. */
#include "quantize.h"

typedef struct fill_adapter {
    lc_stream_fill_fn fill;
    void *user;
    int64_t index;
} fill_adapter;

static llamac_status fill_by_index(void *user, const char *name, void *dst, uint64_t n_bytes) {
    (void)name;
    const fill_adapter *a = user;
    return a->fill(a->user, a->index, dst, n_bytes);
}

llamac_status lc_gguf_write_streamed(const lc_env *env, llamac_gguf_writer *w,
                                     const lc_stream_tensor *t, int64_t n_t,
                                     lc_stream_fill_fn fill, void *user, const char *path) {
    fill_adapter *a = lc_calloc(env, (size_t)n_t + 1, sizeof *a);
    if (!a) return LLAMAC_ERR_NO_MEMORY;
    llamac_status st = LLAMAC_OK;
    for (int64_t i = 0; i < n_t && !st; i++) {
        a[i] = (fill_adapter){fill, user, i};
        st = llamac_gguf_writer_add_tensor_fn(w, t[i].name, t[i].type, t[i].n_dims, t[i].ne,
                                              t[i].n_bytes, fill_by_index, &a[i]);
    }
    if (!st) st = llamac_gguf_writer_write(w, path);
    lc_free(env, a);
    return st;
}
