/* Temporary folders for the files a test writes. Needs no cmocka, so the
 * fixture programs can use it too. */
#ifndef LLAMAC_TEST_TMPDIR_H
#define LLAMAC_TEST_TMPDIR_H

#include <stddef.h>

/* Makes a fresh folder $TMPDIR/llamac-test-XXXXXX (or under /tmp) and
 * writes its path into buf. Returns buf, or NULL when it could not be made. */
const char *test_tmpdir_new(char *buf, size_t size);

/* Deletes dir and everything below it. */
void test_tmpdir_remove(const char *dir);

/* For a program whose cases share one folder:
 *     return run_test_group(tests, test_tmpdir_setup, test_tmpdir_teardown);
 * makes test_tmpdir (with test_tmpdir_new) before the group and
 * deletes it after; test_tmpdir_path names a file inside it. */
extern char test_tmpdir[256];
int test_tmpdir_setup(void **state);
int test_tmpdir_teardown(void **state);
const char *test_tmpdir_path(char *buf, size_t size, const char *name);

/* For cases that each want a fresh folder of their own:
 *     return run_cases_each(test_case_dir_setup, test_case_dir_teardown, ...);
 * makes one before each case and hands it in as *state (a test_case_dir);
 * the teardown deletes it with whatever the case wrote. */
typedef struct test_case_dir {
    char dir[256];
    char path[300]; /* dir/case.gguf: the file the case writes */
    char base[300]; /* dir/base.gguf: a second file, for cases that derive one from another */
} test_case_dir;
int test_case_dir_setup(void **state);
int test_case_dir_teardown(void **state);

#endif
