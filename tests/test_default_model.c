/* Where the tools find the shipped model without -m (tools/default_model.h):
 * each place in turn, and that earlier places win. Built with stand-in
 * source and install folders inside the build tree (tests/meson.build), so
 * every rule is exercised whether or not the real model is present. */
#include "test_tmpdir.h"
#include "test_util.h"

#include "../tools/default_model.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];           /* a fresh folder per run */
static char exe_dir[PATH_MAX];  /* where this test binary lives */

static void path_join(char *out, size_t size, const char *dir, const char *rel) {
    const int n = snprintf(out, size, "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < size);
}

/* mkdir -p for the few levels used here. */
static void make_dirs(const char *path) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
}

static void put_model(const char *dir) {
    make_dirs(dir);
    char p[PATH_MAX];
    path_join(p, sizeof p, dir, default_model_name());
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fclose(f);
}

static void remove_model(const char *dir) {
    char p[PATH_MAX];
    path_join(p, sizeof p, dir, default_model_name());
    unlink(p);
}

static void expect_found(const char *argv0, const char *dir) {
    char out[PATH_MAX], want[PATH_MAX];
    path_join(want, sizeof want, dir, default_model_name());
    if (find_default_model(argv0, out, sizeof out) != 0) fail_msg("not found: %s", out);
    assert_string_equal(out, want);
}

/* Every test starts with no model anywhere. */
static int clean(void **state) {
    (void)state;
    char p[PATH_MAX];
    remove_model(exe_dir);
    remove_model(LLAMAC_SOURCE_MODELS_DIR);
    remove_model(LLAMAC_INSTALL_MODELS_DIR);
    remove_model(tmp);
    path_join(p, sizeof p, tmp, "share/llamac");
    remove_model(p);
    return 0;
}

static void missing_model_names_every_place_searched(void **state) {
    (void)state;
    char out[PATH_MAX * 2], argv0[PATH_MAX];
    path_join(argv0, sizeof argv0, tmp, "bin/llamac");
    assert_int_equal(find_default_model(argv0, out, sizeof out), -1);
    assert_non_null(strstr(out, default_model_name()));
    assert_non_null(strstr(out, exe_dir));
    assert_non_null(strstr(out, LLAMAC_SOURCE_MODELS_DIR));
    assert_non_null(strstr(out, LLAMAC_INSTALL_MODELS_DIR));
    char bin[PATH_MAX];
    path_join(bin, sizeof bin, tmp, "bin/../share/llamac");
    assert_non_null(strstr(out, bin));
}

static void install_prefix_is_searched_last(void **state) {
    (void)state;
    put_model(LLAMAC_INSTALL_MODELS_DIR);
    expect_found(NULL, LLAMAC_INSTALL_MODELS_DIR);
}

static void source_tree_wins_over_install_prefix(void **state) {
    (void)state;
    put_model(LLAMAC_INSTALL_MODELS_DIR);
    put_model(LLAMAC_SOURCE_MODELS_DIR);
    expect_found(NULL, LLAMAC_SOURCE_MODELS_DIR);
}

static void relocated_install_finds_share_beside_bin(void **state) {
    (void)state;
    char share[PATH_MAX], bin[PATH_MAX], argv0[PATH_MAX];
    path_join(share, sizeof share, tmp, "share/llamac");
    path_join(bin, sizeof bin, tmp, "bin");
    path_join(argv0, sizeof argv0, tmp, "bin/llamac");
    make_dirs(bin);
    put_model(share);
    put_model(LLAMAC_SOURCE_MODELS_DIR);
    char want[PATH_MAX];
    path_join(want, sizeof want, bin, "../share/llamac");
    expect_found(argv0, want);
}

static void directory_of_argv0_wins_over_source_tree(void **state) {
    (void)state;
    char argv0[PATH_MAX];
    path_join(argv0, sizeof argv0, tmp, "llamac");
    put_model(tmp);
    put_model(LLAMAC_SOURCE_MODELS_DIR);
    expect_found(argv0, tmp);
}

static void running_binary_directory_wins_over_everything(void **state) {
    (void)state;
    char argv0[PATH_MAX];
    path_join(argv0, sizeof argv0, tmp, "llamac");
    put_model(tmp);
    put_model(exe_dir);
    expect_found(argv0, exe_dir);
    remove_model(exe_dir);
}

static void output_buffer_too_small_fails_with_terminated_message(void **state) {
    (void)state;
    put_model(LLAMAC_SOURCE_MODELS_DIR);
    char out[12];
    memset(out, 'x', sizeof out);
    assert_int_equal(find_default_model(NULL, out, sizeof out), -1);
    assert_int_equal(out[sizeof out - 1], '\0');
    assert_int_equal(find_default_model(NULL, NULL, 10), -1);
}

int main(void) {
    if (!test_tmpdir_new(tmp, sizeof tmp)) return 1;
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 1;
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(exe_dir, sizeof exe_dir, "%s", exe);

    const int rc = run_cases_each(clean, NULL,
                                  missing_model_names_every_place_searched,
                                  install_prefix_is_searched_last,
                                  source_tree_wins_over_install_prefix,
                                  relocated_install_finds_share_beside_bin,
                                  directory_of_argv0_wins_over_source_tree,
                                  running_binary_directory_wins_over_everything,
                                  output_buffer_too_small_fails_with_terminated_message);
    clean(NULL);
    test_tmpdir_remove(tmp);
    return rc;
}
