/* Load-time weight repacking; see the packed_gemm entry of a kernel table
 * (kernels/kernels.h, kernels/backend.h) for the contract. */
#include "gguf/gguf.h"
#include "kernels/backend.h"
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

/* Rows copied between releases: a multiple of 8 (packed groups). */
#define SLICE_ROWS 256

/* Packed for the best back end of this CPU: a context forcing another
 * one without a packed gemm reads the original rows. */
static bool packable(const lc_weight *w) {
    lc_kernel_table best;
    lc_kernels_resolve(LLAMAC_KERNELS_AUTO, &best);
    return best.packed_gemm[w->type] && w->n_out % 8 == 0;
}

/* An owned copy of w's rows, packed where a packed gemm takes them, and
 * the file's pages under them released. */
static llamac_status own_weight(llamac_model *m, lc_weight *w) {
    /* the loader checked n_out * row_bytes against the tensor's size */
    const size_t n = (size_t)w->n_out * w->row_bytes;
    w->packed = packable(w);
    const bool huge = w->packed && w->type == LLAMAC_TYPE_Q4_0 && n >= HUGE_PAGE;
    w->owned = lc_malloc_aligned(&m->env, n, huge ? HUGE_PAGE : 64);
    if (!w->owned) { /* the matrix stays in the file (the caller's allocator said no) */
        w->packed = false;
        return LLAMAC_ERR_NO_MEMORY;
    }
    if (huge) advise_huge(w->owned, n);
    /* in slices of rows, each slice's file pages released as soon as it
     * is copied, so the peak stays near the model's size (a packed image
     * of rows r.. starts r rows in) */
    for (int64_t r0 = 0; r0 < w->n_out; r0 += SLICE_ROWS) {
        const int64_t rows = LC_MIN((int64_t)SLICE_ROWS, w->n_out - r0);
        const size_t off = (size_t)r0 * w->row_bytes, len = (size_t)rows * w->row_bytes;
        if (!w->packed || !lc_pack8(w->type, w->data + off, w->row_bytes, rows, w->n_in, w->owned + off)) {
            w->packed = false;
            memcpy(w->owned + off, w->data + off, len);
        }
        lc_gguf_release_pages(m->gguf, w->data + off, len);
    }
    return LLAMAC_OK;
}

static lc_weight *layer_weight(lc_layer *l, int i) {
    lc_weight *const all[] = {&l->wq, &l->wk, &l->wv, &l->wo, &l->w_gate, &l->w_up, &l->w_down};
    return i < (int)(sizeof all / sizeof all[0]) ? all[i] : NULL;
}

/* The norms (read every layer) and rope_freqs: copied too, first, as a
 * fault on the pages they share with the matrices would map those back
 * in (see below). */
static llamac_status own_vectors(llamac_model *m) {
    const size_t e = (size_t)m->hp.n_embd, n_layer = (size_t)m->hp.n_layer;
    const size_t n_rope = m->rope_freqs ? (size_t)m->hp.n_rot / 2 : 0;
    size_t total;
    if (lc_mul_overflow_size(2 * e, n_layer, &total) || lc_add_overflow_size(total, e + n_rope, &total))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "model: norm sizes overflow");
    float *v = m->owned_vectors = lc_calloc(&m->env, total, sizeof *v);
    if (!v) return LLAMAC_ERR_NO_MEMORY;
    for (size_t il = 0; il < n_layer; il++) {
        lc_layer *l = &m->layers[il];
        memcpy(v, l->attn_norm, e * sizeof *v), l->attn_norm = v, v += e;
        memcpy(v, l->ffn_norm, e * sizeof *v), l->ffn_norm = v, v += e;
    }
    memcpy(v, m->output_norm, e * sizeof *v), m->output_norm = v, v += e;
    if (n_rope) memcpy(v, m->rope_freqs, n_rope * sizeof *v), m->rope_freqs = v;
    return LLAMAC_OK;
}

static void repack(llamac_model *m) {
    /* a model with nothing to pack stays a pure file mapping */
    bool any = !m->tied_output && packable(&m->output);
    for (int32_t il = 0; il < m->hp.n_layer && !any; il++)
        for (int i = 0; layer_weight(&m->layers[il], i); i++) any = any || packable(layer_weight(&m->layers[il], i));
    if (!any) return;
    /* A file read into memory stays whole: copying what is not packed
     * would only double it. */
    const bool mapped = lc_gguf_is_mapped(m->gguf);
    llamac_status st = mapped ? own_vectors(m) : LLAMAC_OK;
    if (st) return; /* out of memory: nothing copied, all read from the file */
    const lc_weight *prev = NULL; /* released again after its successor, to keep the peak low */
    for (int32_t il = 0; il < m->hp.n_layer && !st; il++)
        for (int i = 0; !st && layer_weight(&m->layers[il], i); i++) {
            lc_weight *w = layer_weight(&m->layers[il], i);
            if (!mapped && !packable(w)) continue;
            st = own_weight(m, w);
            if (prev) lc_gguf_release_pages(m->gguf, prev->data, (size_t)prev->n_out * prev->row_bytes);
            prev = w;
        }
    if (!st && !m->tied_output && (mapped || packable(&m->output))) st = own_weight(m, &m->output);
    /* (Out of memory part way, st != OK: the matrices copied so far stay
     * copied and the rest are read from the file, as correct, only slower.
     * Repacking is an optimization, never a reason for a load to fail.)
     *
     * The page cache holds the file in folios of up to 2 MiB, and a fault
     * maps a whole folio: reading one matrix mapped the tail of the one
     * before it back in. Release every range once more now that all are
     * read. */
    for (int32_t il = 0; il < m->hp.n_layer; il++)
        for (int i = 0; layer_weight(&m->layers[il], i); i++) {
            const lc_weight *w = layer_weight(&m->layers[il], i);
            if (w->owned) lc_gguf_release_pages(m->gguf, w->data, (size_t)w->n_out * w->row_bytes);
        }
    if (!m->tied_output && m->output.owned)
        lc_gguf_release_pages(m->gguf, m->output.data, (size_t)m->output.n_out * m->output.row_bytes);
}

void lc_model_repack(llamac_model *m) {
    lc_error_saved saved; /* a refused allocation is tolerated: no message is left behind */
    lc_error_save(&saved);
    repack(m);
    lc_error_restore(&saved);
}

void lc_model_free_packed(llamac_model *m) {
    if (m->layers)
        for (int32_t il = 0; il < m->hp.n_layer; il++)
            for (int i = 0; layer_weight(&m->layers[il], i); i++) {
                lc_weight *w = layer_weight(&m->layers[il], i);
                lc_free_aligned(&m->env, w->owned);
                w->owned = NULL;
            }
    lc_free_aligned(&m->env, m->output.owned);
    m->output.owned = NULL;
    lc_free(&m->env, m->owned_vectors);
    m->owned_vectors = NULL;
}
