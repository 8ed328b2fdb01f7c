/* Replays a libFuzzer target over files, without libFuzzer: linked with a
 * target's LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize when it has
 * one), it feeds every regular file of each directory argument (in name
 * order) or each file argument to the target once. `meson test` runs it on
 * the committed corpus (tests/fuzz/corpus/TARGET), so a change that breaks
 * a target - it no longer builds, aborts, or trips ASan/UBSan/LSan in the
 * sanitizer pass - fails the tests (zstd's regression-driver idea).
 * Exit status: 0 when every input ran; 1 when an argument is missing or
 * unreadable, or when no input was found (an empty corpus checks nothing). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: a target without an initializer leaves it NULL. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;

static int push_name(name_list *l, const char *name) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **grown = realloc(l->names, cap * sizeof *grown);
        if (!grown) return -1;
        l->names = grown;
        l->cap = cap;
    }
    l->names[l->n] = strdup(name);
    return l->names[l->n++] ? 0 : -1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one file; the buffer is exactly the file's size, so ASan sees any
 * read past the end. Returns -1 if the file cannot be read. */
static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long size = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return -1;
    }
    uint8_t *data = malloc(size ? (size_t)size : 1);
    int ok = data && fread(data, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    if (ok) {
        /* so that the log of a crash ends with the input that caused it */
        fprintf(stderr, "replay: %s\n", path);
        LLVMFuzzerTestOneInput(data, (size_t)size);
    }
    free(data);
    return ok ? 0 : -1;
}

/* Every regular, non-hidden file directly in `dir`, in name order. */
static int run_dir(const char *dir, size_t *n_run) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    name_list l = {0};
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));)
        if (e->d_name[0] != '.') rc = push_name(&l, e->d_name);
    closedir(d);
    if (l.n) qsort(l.names, l.n, sizeof *l.names, by_name);
    for (size_t i = 0; i < l.n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, l.names[i]);
        if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(path);
            if (rc) fprintf(stderr, "replay: cannot read %s\n", path);
            else (*n_run)++;
        }
        free(l.names[i]);
    }
    free(l.names);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 1;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    size_t n_run = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = stat(argv[i], &st) ? -1 : S_ISDIR(st.st_mode) ? run_dir(argv[i], &n_run) : run_file(argv[i]);
        if (rc) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) n_run++;
    }
    printf("replay: ran %zu inputs\n", n_run);
    if (n_run == 0) {
        fprintf(stderr, "replay: no inputs found (empty corpus)\n");
        return 1;
    }
    return 0;
}
