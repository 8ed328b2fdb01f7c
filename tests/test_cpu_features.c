/* The CPU probe (kernels/cpu.h): the names `llamac info` prints for it, and,
 * on Linux, agreement with the kernel's own reading of cpuid in
 * /proc/cpuinfo (group --cpuinfo; it skips where that file is absent). */
#include "test_util.h"

#include "kernels/cpu.h"

#include <string.h>

static void features_are_named_in_a_fixed_order_separated_by_spaces(void **state) {
    (void)state;
    char buf[200];
    lc_cpu_features f = {0};
    assert_int_equal(lc_cpu_features_describe(f, buf, sizeof buf), 4);
    assert_string_equal(buf, "none");
    f.avx512_bf16 = f.avx2 = f.avx_vnni = true;
    assert_int_equal(lc_cpu_features_describe(f, buf, sizeof buf), strlen("avx2 avx512_bf16 avx_vnni"));
    assert_string_equal(buf, "avx2 avx512_bf16 avx_vnni");
    lc_cpu_features all = {.avx2 = true, .fma = true, .f16c = true, .avx512f = true, .avx512bw = true,
                           .avx512vl = true, .avx512_vnni = true, .avx512_bf16 = true, .avx_vnni = true};
    lc_cpu_features_describe(all, buf, sizeof buf);
    assert_string_equal(buf, "avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx_vnni");
}

/* Like snprintf: cut to the buffer, NUL-terminated, the full length returned. */
static void a_short_buffer_gets_a_cut_terminated_prefix(void **state) {
    (void)state;
    lc_cpu_features f = {.avx2 = true, .fma = true};
    char buf[8];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(lc_cpu_features_describe(f, buf, 6), strlen("avx2 fma"));
    assert_string_equal(buf, "avx2 ");
    assert_int_equal(buf[6], 'x');
    assert_int_equal(lc_cpu_features_describe(f, NULL, 0), strlen("avx2 fma"));
    assert_int_equal(lc_cpu_features_describe(f, buf, 1), strlen("avx2 fma"));
    assert_string_equal(buf, "");
}

static void the_combined_flags_are_their_parts_together(void **state) {
    (void)state;
    const lc_cpu_features f = lc_cpu_features_get();
    assert_int_equal(f.avx2_fma_f16c, f.avx2 && f.fma && f.f16c);
    assert_int_equal(f.avx512, f.avx512f && f.avx512bw && f.avx512vl);
}

/* Whether `word` is a whole space-separated word of `list`. */
static bool has_word(const char *list, const char *word) {
    const size_t n = strlen(word);
    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ' || p[-1] == '\t') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* Linux lists a flag only when the CPU has it and the kernel enabled its
 * register state, the same two questions the probe asks. */
static void the_probe_agrees_with_proc_cpuinfo(void **state) {
    (void)state;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        fprintf(stderr, "SKIP: no /proc/cpuinfo (not Linux)\n");
        skip();
        return;
    }
    static char line[16384];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) found = strncmp(line, "flags", 5) == 0;
    fclose(f);
    if (!found) {
        fprintf(stderr, "SKIP: /proc/cpuinfo has no flags line (not x86)\n");
        skip();
        return;
    }
    char ours[200];
    lc_cpu_features_describe(lc_cpu_features_get(), ours, sizeof ours);
    const char *const names[] = {"avx2",     "fma",         "f16c",        "avx512f", "avx512bw",
                                 "avx512vl", "avx512_vnni", "avx512_bf16", "avx_vnni"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (has_word(line, names[i]) != has_word(ours, names[i]))
            fail_msg("%s: /proc/cpuinfo %s, the probe %s (\"%s\")", names[i], has_word(line, names[i]) ? "has it" : "not",
                     has_word(ours, names[i]) ? "has it" : "not", ours);
    fprintf(stderr, "probe: %s\n", ours);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(features_are_named_in_a_fixed_order_separated_by_spaces),
        cmocka_unit_test(a_short_buffer_gets_a_cut_terminated_prefix),
        cmocka_unit_test(the_combined_flags_are_their_parts_together),
    };
    const struct CMUnitTest needs_cpuinfo[] = {
        cmocka_unit_test(the_probe_agrees_with_proc_cpuinfo),
    };
    if (test_part(argc, argv, "--cpuinfo")) return run_test_group(needs_cpuinfo, NULL, NULL);
    return run_test_group(tests, NULL, NULL);
}
