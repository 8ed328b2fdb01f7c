#include "test_tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char test_tmpdir[256];

const char *test_tmpdir_new(char *buf, size_t size) {
    const char *root = getenv("TMPDIR");
    const int n = snprintf(buf, size, "%s/llamac-test-XXXXXX", root && *root ? root : "/tmp");
    if (n < 0 || (size_t)n >= size) return NULL;
    return mkdtemp(buf);
}

void test_tmpdir_remove(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (unlink(path) != 0) test_tmpdir_remove(path); /* a folder */
        }
        closedir(d);
    }
    rmdir(dir);
}

int test_tmpdir_setup(void **state) {
    (void)state;
    return test_tmpdir_new(test_tmpdir, sizeof test_tmpdir) ? 0 : -1;
}

int test_tmpdir_teardown(void **state) {
    (void)state;
    test_tmpdir_remove(test_tmpdir);
    return 0;
}

int test_case_dir_setup(void **state) {
    test_case_dir *d = calloc(1, sizeof *d);
    if (!d || !test_tmpdir_new(d->dir, sizeof d->dir)) {
        free(d);
        return -1;
    }
    snprintf(d->path, sizeof d->path, "%s/case.gguf", d->dir);
    snprintf(d->base, sizeof d->base, "%s/base.gguf", d->dir);
    *state = d;
    return 0;
}

int test_case_dir_teardown(void **state) {
    test_case_dir *d = *state;
    test_tmpdir_remove(d->dir);
    free(d);
    return 0;
}

const char *test_tmpdir_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", test_tmpdir, name);
    return buf;
}
