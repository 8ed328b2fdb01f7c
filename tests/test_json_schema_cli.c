/* `llamac grammar --json-schema FILE` end to end: each of llama.cpp's
 * conversion cases (tests/data/json_schema/peer_cases.json, from its
 * tests/test-json-schema-to-grammar.cpp at c392e50) written to a file and
 * converted by the command: stdout is the peer's grammar byte for byte, or
 * for the peer's failure cases exit 1 with one line on stderr; the flags;
 * usage errors exit 2. */
#include "test_files.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *llamac_bin;

static void write_bytes(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void every_peer_case_through_the_command(void **state) {
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/json_schema/peer_cases.json", getenv("LLAMAC_TEST_DATA"));
    size_t len = 0;
    char *text = test_read_file(path, &len);
    assert_non_null(text);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    assert_int_equal(lc_json_parse(&env, text, len, NULL, &root), LLAMAC_OK);
    const lc_json *cases = lc_json_get(root, "cases");
    size_t n_ok = 0;
    char file[512];
    test_tmpdir_path(file, sizeof file, "schema.json");
    for (size_t i = 0; i < lc_json_count(cases); i++) {
        const lc_json *tc = lc_json_at(cases, i);
        const char *name = lc_json_string(lc_json_get(tc, "name"), NULL);
        size_t slen;
        const char *schema = lc_json_string(lc_json_get(tc, "schema"), &slen);
        const char *want = lc_json_string(lc_json_get(tc, "grammar"), NULL);
        const bool success = strcmp(lc_json_string(lc_json_get(tc, "status"), NULL), "SUCCESS") == 0;
        write_bytes(file, schema, slen);
        cli_result r;
        cli_run_command(&r, llamac_bin, "grammar", (const char *const[]){"--json-schema", file, NULL});
        if (success) {
            if (r.exit_code != 0) fail_msg("case '%s': exit %d: %s", name, r.exit_code, r.err);
            if (strcmp(r.out, want) != 0) fail_msg("case '%s':\n-- want:\n%s-- got:\n%s", name, want, r.out);
        } else {
            if (r.exit_code != 1) fail_msg("case '%s': exit %d, want 1", name, r.exit_code);
            assert_string_equal(r.out, "");
            const char *nl = strchr(r.err, '\n');
            if (!nl || nl[1] != '\0') fail_msg("case '%s': want one line on stderr, got '%s'", name, r.err);
        }
        n_ok++;
    }
    assert_int_equal(n_ok, 65);
    lc_json_free(&env, root);
    free(text);
}

/* The expected texts follow the peer's space rule choice and get_dot. */
static void flags_reach_the_converter(void **state) {
    (void)state;
    char file[512];
    test_tmpdir_path(file, sizeof file, "dot.json");
    const char *schema = "{\"type\": \"string\", \"pattern\": \"^.$\"}";
    write_bytes(file, schema, strlen(schema));
    cli_result r;
    cli_run_command(&r, llamac_bin, "grammar",
                    (const char *const[]){"--dotall", "--json-schema", file, "--compact-spaces", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "dot ::= [\\U00000000-\\U0010FFFF]\nroot ::= \"\\\"\" (dot) \"\\\"\" space\n"
                               "space ::= \" \"?\n");
}

static void usage_errors_exit_2_and_missing_files_exit_1(void **state) {
    (void)state;
    cli_result r;
    cli_run_command(&r, llamac_bin, "grammar", (const char *const[]){NULL});
    assert_int_equal(r.exit_code, 2);
    cli_run_command(&r, llamac_bin, "grammar", (const char *const[]){"--json-schema", NULL});
    assert_int_equal(r.exit_code, 2);
    cli_run_command(&r, llamac_bin, "grammar", (const char *const[]){"--no-such-flag", NULL});
    assert_int_equal(r.exit_code, 2);
    cli_run_command(&r, llamac_bin, "grammar", (const char *const[]){"--help", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--json-schema"));
    char file[512];
    cli_run_command(&r, llamac_bin, "grammar",
                    (const char *const[]){"--json-schema", test_tmpdir_path(file, sizeof file, "absent.json"), NULL});
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "absent.json"));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LLAMAC\n", argv[0]);
        return 2;
    }
    llamac_bin = argv[1];
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown, every_peer_case_through_the_command,
                     flags_reach_the_converter, usage_errors_exit_2_and_missing_files_exit_1);
}
