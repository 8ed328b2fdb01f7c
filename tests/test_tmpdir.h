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

#endif
