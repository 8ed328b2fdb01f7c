/* Load-time weight repacking; see lc_packed_gemm for the contract. */
#include "gguf_internal.h"
#include "kernels/kernels.h"
#include "model.h"

#include <sys/mman.h>

/* Transparent huge pages for the copy, where the system allows them on
 * request: generation streams every byte once per token and walks 512x
 * fewer TLB entries. Only where it measured faster, because fresh huge
 * pages can be slow to fault in (on the test VM, whose host backs memory
 * lazily, 1-3 s per GB against 0.5-1 s for small pages): Q4_0 generation
 * +15 %, Q8_0 no change (tinyllama tg32, 2 threads, 6 interleaved A/B
 * rounds each; docs/performance.md). */
#define HUGE_PAGE ((size_t)2 << 20)
static void advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* advice only: may fail, changes nothing else */
#else
    (void)p, (void)n;
#endif
}

static llamac_status pack_weight(llamac_model *m, lc_weight *w) {
    if (!lc_packed_gemm(LC_BACKEND_AUTO, w->type) || w->n_out % 8 != 0) return LLAMAC_OK;
    /* the loader checked n_out * row_bytes against the tensor's size */
    const size_t n = (size_t)w->n_out * w->row_bytes;
    const bool huge = w->type == LLAMAC_TYPE_Q4_0 && n >= HUGE_PAGE;
    w->packed = lc_malloc_aligned(&m->env, n, huge ? HUGE_PAGE : 64);
    if (!w->packed) return LLAMAC_ERR_NO_MEMORY;
    if (huge) advise_huge(w->packed, n);
    if (!lc_pack8(w->type, w->data, w->row_bytes, w->n_out, w->n_in, w->packed)) { /* a gemm without a packer */
        lc_free_aligned(&m->env, w->packed);
        w->packed = NULL;
        return LLAMAC_OK;
    }
    lc_gguf_release_pages(m->gguf, w->data, n);
    return LLAMAC_OK;
}

static lc_weight *layer_weight(lc_layer *l, int i) {
    lc_weight *const all[] = {&l->wq, &l->wk, &l->wv, &l->wo, &l->w_gate, &l->w_up, &l->w_down};
    return i < (int)(sizeof all / sizeof all[0]) ? all[i] : NULL;
}

llamac_status lc_model_repack(llamac_model *m) {
    llamac_status st = LLAMAC_OK;
    for (int32_t il = 0; il < m->hp.n_layer; il++)
        for (int i = 0; layer_weight(&m->layers[il], i); i++)
            if ((st = pack_weight(m, layer_weight(&m->layers[il], i)))) return st;
    return m->tied_output ? LLAMAC_OK : pack_weight(m, &m->output);
}

void lc_model_free_packed(llamac_model *m) {
    if (m->layers)
        for (int32_t il = 0; il < m->hp.n_layer; il++)
            for (int i = 0; layer_weight(&m->layers[il], i); i++) {
                lc_weight *w = layer_weight(&m->layers[il], i);
                lc_free_aligned(&m->env, w->packed);
                w->packed = NULL;
            }
    lc_free_aligned(&m->env, m->output.packed);
    m->output.packed = NULL;
}
