/* Generation constrained by a JSON Schema on the shipped model (issue 16,
 * "Generation"): `llamac run --json-schema FILE -n 256 --seed S` for
 * several seeds; every output ends by itself (end of generation, not the
 * token limit) and is a JSON document that satisfies the schema, checked
 * by the tests' own validator (json_schema_check.c). The schema's strings
 * are bounded (enums, maxLength), with integer ranges, a nested object and
 * an array with maxItems, so a model that rarely writes quotes still
 * finishes. --compact-spaces: with the peer's default space rule (a
 * newline and up to 20 blanks) this small model spends its 256-token
 * context on blanks and is cut off before closing the document. 3 seeds
 * by default; 100 with --long (-Dlong_tests=true); `--model PATH` runs
 * on another model (the tinyllama-shaped one), `--seeds N` sets
 * the count. */
#include "json_schema_check.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *llamac_bin;
static int n_seeds = 3;
static const char *model_path; /* NULL: llamac run's default, the shipped model */

static const char SCHEMA[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"name\": {\"type\": \"string\", \"maxLength\": 8}, "
    "\"hp\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 100}, "
    "\"mood\": {\"enum\": [\"calm\", \"angry\", \"afraid\"]}, "
    "\"stats\": {\"type\": \"object\", \"properties\": {\"str\": {\"type\": \"integer\", \"minimum\": 1, "
    "\"maximum\": 20}, \"luck\": {\"type\": \"integer\", \"minimum\": -5, \"maximum\": 5}}, "
    "\"required\": [\"str\"], \"additionalProperties\": false}, "
    "\"items\": {\"type\": \"array\", \"items\": {\"enum\": [\"sword\", \"shield\", \"potion\"]}, \"maxItems\": 3}}, "
    "\"required\": [\"name\", \"hp\", \"mood\", \"stats\", \"items\"], \"additionalProperties\": false}";

static void outputs_end_by_themselves_and_satisfy_the_schema(void **state) {
    (void)state;
    char file[512];
    test_tmpdir_path(file, sizeof file, "npc.schema.json");
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs(SCHEMA, f);
    assert_int_equal(fclose(f), 0);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *schema = NULL;
    assert_int_equal(lc_json_parse(&env, SCHEMA, strlen(SCHEMA), NULL, &schema), LLAMAC_OK);
    for (int seed = 1; seed <= n_seeds; seed++) {
        char seed_s[16];
        snprintf(seed_s, sizeof seed_s, "%d", seed);
        cli_result r;
        const char *const args[] = {"--json-schema", file, "--compact-spaces", "-p", "The hero met", "-n", "256",
                                    "--seed", seed_s, "-t", "2", model_path ? "-m" : NULL, model_path, NULL};
        cli_run_command(&r, llamac_bin, "run", args);
        if (r.exit_code != 0) fail_msg("seed %d: exit %d: %s", seed, r.exit_code, r.err);
        if (!strstr(r.err, "stopped: end of generation"))
            fail_msg("seed %d: did not end by itself:\n%s\n%s", seed, r.out, r.err);
        lc_json *doc = NULL;
        if (lc_json_parse(&env, r.out, strlen(r.out), NULL, &doc) != LLAMAC_OK)
            fail_msg("seed %d: not JSON (%s):\n%s", seed, llamac_last_error(), r.out);
        char why[256];
        if (!json_schema_check(schema, schema, doc, why, sizeof why))
            fail_msg("seed %d: %s:\n%s", seed, why, r.out);
        lc_json_free(&env, doc);
        if (model_path) print_message("seed %d: %s\n", seed, r.out);
    }
    lc_json_free(&env, schema);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LLAMAC [--long] [--model PATH] [--seeds N]\n", argv[0]);
        return 2;
    }
    llamac_bin = argv[1];
    if (test_part(argc, argv, "--long")) n_seeds = 100;
    for (int i = 2; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--model")) model_path = argv[i + 1];
        if (!strcmp(argv[i], "--seeds")) n_seeds = atoi(argv[i + 1]);
    }
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown, outputs_end_by_themselves_and_satisfy_the_schema);
}
