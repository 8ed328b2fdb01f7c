#include "test_files.h"

#include "test_util.h"

#include <string.h>

char *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (size_t r; b && (r = fread(b + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            char *grown = realloc(b, (cap *= 2) + 1);
            if (!grown) free(b);
            b = grown;
        }
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = '\0';
    if (len) *len = n;
    return b;
}

bool test_files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    bool eq = true;
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        eq = ca == cb;
    } while (eq && ca != EOF);
    fclose(fa);
    fclose(fb);
    return eq;
}

llamac_gguf *test_open_gguf(const char *path) {
    llamac_gguf *g = NULL;
    const llamac_status st = llamac_gguf_open(path, NULL, &g);
    if (st != LLAMAC_OK) fail_msg("opening %s: %s: %s", path, llamac_status_name(st), llamac_last_error());
    return g;
}

llamac_model *test_load_model(const char *path) {
    llamac_model *m = NULL;
    const llamac_status st = llamac_model_load(path, NULL, &m);
    if (st != LLAMAC_OK) fail_msg("loading %s: %s: %s", path, llamac_status_name(st), llamac_last_error());
    return m;
}

llamac_gguf *test_open_shared_gguf(const char *relative) {
    char buf[1024];
    const char *path = shared_path(buf, sizeof buf, relative);
    return path ? test_open_gguf(path) : NULL;
}

llamac_model *test_load_shared_model(const char *relative) {
    char buf[1024];
    const char *path = shared_path(buf, sizeof buf, relative);
    return path ? test_load_model(path) : NULL;
}
