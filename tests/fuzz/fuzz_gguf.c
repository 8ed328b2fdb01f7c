/* libFuzzer target for the GGUF reader (built with -Dfuzz=true and clang;
 * see docs/fuzzing.md). Each input is handed to llamac_gguf_open_memory as
 * a whole file; when it opens, everything the handle offers is read and
 * its metadata is re-encoded through the writer, so a bad index, pointer
 * or length computed from hostile bytes surfaces under ASan/UBSan. */
#include "llamac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void read_everything(const llamac_gguf *g) {
    volatile uint64_t sink = 0;
    for (int64_t i = 0; i < llamac_gguf_n_kv(g); i++) {
        const char *key = llamac_gguf_key(g, i), *s;
        uint64_t len, n;
        llamac_gguf_type et;
        const void *data;
        double d;
        int64_t v;
        uint64_t u;
        bool b;
        sink += strlen(key) + (uint64_t)llamac_gguf_find_key(g, key);
        switch (llamac_gguf_kv_type(g, i)) {
        case LLAMAC_GGUF_STRING:
            if (!llamac_gguf_get_string(g, key, &s, &len)) sink += (unsigned char)s[len];
            break;
        case LLAMAC_GGUF_ARRAY:
            if (llamac_gguf_get_array(g, key, &et, &n, &data)) break;
            if (et == LLAMAC_GGUF_STRING)
                for (uint64_t k = 0; k < n; k++)
                    if (!llamac_gguf_get_array_string(g, key, k, &s, &len)) sink += (unsigned char)s[len];
            if (data && n) sink += ((const unsigned char *)data)[0];
            break;
        case LLAMAC_GGUF_BOOL:
            if (!llamac_gguf_get_bool(g, key, &b)) sink += b;
            break;
        case LLAMAC_GGUF_FLOAT32:
        case LLAMAC_GGUF_FLOAT64:
            if (!llamac_gguf_get_f64(g, key, &d)) sink += d > 0;
            float f;
            if (!llamac_gguf_get_f32(g, key, &f)) sink += f > 0;
            break;
        default:
            if (!llamac_gguf_get_i64(g, key, &v)) sink += (uint64_t)v;
            if (!llamac_gguf_get_u64(g, key, &u)) sink += u;
            break;
        }
    }
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info t;
        if (llamac_gguf_tensor(g, i, &t)) continue;
        const unsigned char *p = t.data;
        sink += p[0] + p[t.n_bytes - 1] + (uint64_t)llamac_gguf_find_tensor(g, t.name);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llamac_gguf *g = NULL;
    if (llamac_gguf_open_memory(data, size, NULL, &g) != LLAMAC_OK) {
        /* a failure must leave a one-line message and no handle */
        const char *msg = llamac_last_error();
        if (g || !msg[0] || strchr(msg, '\n')) abort();
        return 0;
    }
    read_everything(g);
    llamac_gguf_writer *w;
    if (llamac_gguf_writer_new(NULL, &w) == LLAMAC_OK) {
        if (llamac_gguf_writer_copy_kv(w, g) != LLAMAC_OK) abort();
        llamac_gguf_writer_free(w);
    }
    llamac_gguf_free(g);
    return 0;
}
