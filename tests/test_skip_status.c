/* The exit status that makes skips visible to meson (tests/test_util.h):
 * this program runs itself with --child KIND, where KIND picks a group of
 * passing, skipping and failing cases, and checks the status it returns:
 * 0 when all passed, 77 (meson's SKIP) when some skipped and none failed,
 * 1 when any failed (never the failure count, which could read as 77). */
#include "test_util.h"

#include <string.h>

static const char *self;

static void passes(void **state) {
    (void)state;
    assert_true(1);
}

static void skips(void **state) {
    (void)state;
    skip();
}

static void fails(void **state) {
    (void)state;
    fail_msg("deliberate failure (child of test_skip_status)");
}

static int run_child(const char *kind) {
    const struct CMUnitTest all_pass[] = {cmocka_unit_test(passes), cmocka_unit_test(passes)};
    const struct CMUnitTest one_skips[] = {cmocka_unit_test(passes), cmocka_unit_test(skips)};
    const struct CMUnitTest all_skip[] = {cmocka_unit_test(skips), cmocka_unit_test(skips)};
    const struct CMUnitTest skip_and_fail[] = {cmocka_unit_test(skips), cmocka_unit_test(fails)};
    /* 77 failures: a runner that returned the count would report SKIP. */
    struct CMUnitTest many_fail[77];
    for (size_t i = 0; i < 77; i++) many_fail[i] = (struct CMUnitTest)cmocka_unit_test(fails);
    if (!strcmp(kind, "all_pass")) return run_test_group(all_pass, NULL, NULL);
    if (!strcmp(kind, "one_skips")) return run_test_group(one_skips, NULL, NULL);
    if (!strcmp(kind, "all_skip")) return run_test_group(all_skip, NULL, NULL);
    if (!strcmp(kind, "skip_and_fail")) return run_test_group(skip_and_fail, NULL, NULL);
    if (!strcmp(kind, "many_fail")) return run_test_group(many_fail, NULL, NULL);
    fprintf(stderr, "unknown child kind %s\n", kind);
    return 2;
}

static int child_status(const char *kind) {
    cli_result r;
    cli_run(&r, self, (const char *const[]){"--child", kind, NULL});
    if (r.signal) fail_msg("child %s died of signal %d", kind, r.signal);
    return r.exit_code;
}

/* Each child group's exit status, as meson reads it. */
static void exit_status_follows_the_meson_protocol(void **state) {
    (void)state;
    static const struct {
        const char *kind;
        int want;
    } rows[] = {
        {"all_pass", 0},      /* all passing exits 0 */
        {"one_skips", 77},    /* a skip among passes exits 77 */
        {"all_skip", 77},     /* all skipping exits 77 */
        {"skip_and_fail", 1}, /* a failure wins over a skip */
        {"many_fail", 1},     /* 77 failures are not a skip */
    };
    for (size_t k = 0; k < N_ELEMS(rows); k++) {
        const int got = child_status(rows[k].kind);
        if (got != rows[k].want) fail_msg("child %s: exit %d, want %d", rows[k].kind, got, rows[k].want);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--child")) return run_child(argv[2]);
    self = argv[0];
    return run_cases(NULL, NULL, exit_status_follows_the_meson_protocol);
}
