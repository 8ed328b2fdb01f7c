/* Writes the test GGUF files (the valid reference file and every malformed
 * case of test_gguf_cases.c) into a directory, as a seed corpus for the
 * fuzzer: `test_gguf_seeds DIR` (docs/fuzzing.md). */
#include "test_gguf_cases.h"

#include <stdio.h>

static int save(const char *dir, const char *name, const gbuf *b) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f)) {
        fprintf(stderr, "test_gguf_seeds: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    gbuf b = {0};
    gguf_build_valid(&b);
    int rc = save(argv[1], "valid", &b);
    gb_free(&b);
    for (size_t i = 0; i < gguf_n_bad_cases && !rc; i++) {
        gguf_bad_cases[i].build(&b);
        rc = save(argv[1], gguf_bad_cases[i].name, &b);
        gb_free(&b);
    }
    return rc;
}
