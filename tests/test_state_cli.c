/* `llamac run --save-state / --load-state / --prompt-cache` and `llamac
 * state` as a user meets them (issue 14, item 4), on the shipped model:
 * a saved prompt continues with the ids an uninterrupted run prints (greedy,
 * and sampled with the sampler's state restored); a prompt cache reuses a
 * ~300-token prefix, decodes only the rest and changes no output; `llamac
 * state` prints the header; hostile state files exit 1 with one line.
 * Usage: test_state_cli PATH/TO/llamac */
#include "test_util.h"

#include "test_files.h"
#include "test_tmpdir.h"

#include "llamac.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *llamac_bin;

static const char prompt_text[] = "In the beginning God created the heaven and the earth.";

static void run(cli_result *r, const char *const *args) { cli_run_command(r, llamac_bin, "run", args); }

static void run_ok(cli_result *r, const char *const *args) {
    run(r, args);
    if (r->exit_code != 0) fail_msg("llamac run: exit %d: %s", r->exit_code, r->err);
}

/* Tokens of text[0..len) as `llamac run` tokenizes a prompt (BOS, special
 * text parsed) into ids[0..cap); returns the count. */
static int32_t tokenize(const char *text, size_t len, llamac_token *ids, int32_t cap) {
    llamac_model *m = test_load_model(shipped_model_path());
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(llamac_model_vocab(m), text, len, ids, cap, true, true, &n), LLAMAC_OK);
    llamac_model_free(m);
    return n;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The two numbers of "(WHAT: R reused, D decoded)" on the prompt line. */
static void reuse_counts(const char *err, const char *what, int *reused, int *decoded) {
    char key[64];
    snprintf(key, sizeof key, "(%s: ", what);
    const char *p = strstr(err, key);
    if (!p) fail_msg("no '%s' in: %s", key, err);
    if (sscanf(p + strlen(key), "%d reused, %d decoded)", reused, decoded) != 2) fail_msg("unparsed: %s", p);
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The round trip: -n 0 --save-state, then --load-state -n 24 prints
 * the ids of one uninterrupted -n 24 run. */
static void saved_prompt_continues_with_the_uninterrupted_greedy_ids(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    char s[300];
    test_tmpdir_path(s, sizeof s, "round.state");
    cli_result save, resumed, whole;
    run_ok(&save, (const char *[]){"-m", model, "-p", prompt_text, "-n", "0", "--save-state", s, "--temp", "0",
                                  NULL});
    run_ok(&resumed, (const char *[]){"-m", model, "--load-state", s, "-n", "24", "--temp", "0", "--ids", NULL});
    run_ok(&whole, (const char *[]){"-m", model, "-p", prompt_text, "-n", "24", "--temp", "0", "--ids", NULL});
    assert_true(strlen(whole.out) > 24);
    assert_string_equal(resumed.out, whole.out);
    /* the state held the prompt's logits' cell: only its last token is decoded again */
    llamac_token ids[64];
    const int32_t n = tokenize(prompt_text, strlen(prompt_text), ids, 64);
    int reused, decoded;
    reuse_counts(resumed.err, "state file", &reused, &decoded);
    assert_int_equal(reused, n - 1);
    assert_int_equal(decoded, 1);
}

/* Sampled generation (temperature, top-k/p, min-p, repeat penalty): 10
 * tokens, saved with the sampler's state, then 14 more equal the last 14 of
 * one 24-token run with the same seed. A resumed run that appends text
 * matches one run of the prompt and the text. */
static void sampled_generation_continues_identically(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    char s[300], t[300];
    test_tmpdir_path(s, sizeof s, "sampled.state");
    test_tmpdir_path(t, sizeof t, "sampled2.state");
    cli_result first, second, whole;
#define SAMPLING "--seed", "11", "--temp", "0.9", "--repeat-penalty", "1.1", "--top-k", "20", "--ids"
    run_ok(&first, (const char *[]){"-m", model, "-p", prompt_text, "-n", "10", "--save-state", s, SAMPLING, NULL});
    run_ok(&second, (const char *[]){"-m", model, "--load-state", s, "-n", "14", "--save-state", t, SAMPLING, NULL});
    run_ok(&whole, (const char *[]){"-m", model, "-p", prompt_text, "-n", "24", SAMPLING, NULL});
    char joined[sizeof first.out + sizeof second.out];
    snprintf(joined, sizeof joined, "%.*s %s", (int)strlen(first.out) - 1, first.out, second.out);
    assert_string_equal(joined, whole.out);
    /* the second state holds the prompt and all 24 tokens */
    cli_result info;
    cli_run_command(&info, llamac_bin, "state", (const char *[]){t, NULL});
    assert_int_equal(info.exit_code, 0);
    llamac_token ids[64];
    const int32_t n = tokenize(prompt_text, strlen(prompt_text), ids, 64);
    char want[64];
    snprintf(want, sizeof want, "tokens:      %d\n", (int)n + 24);
    assert_non_null(strstr(info.out, want));
#undef SAMPLING
}

/* Text after a loaded state is tokenized without BOS, as text of its own
 * (an SPM model puts its one leading space before it): here those are the
 * tokens of the prompt and the text in one string, so the greedy ids equal
 * one run of that string. */
static void text_after_a_state_continues_it(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    static const char more[] = "And God said";
    char s[300], both[256];
    test_tmpdir_path(s, sizeof s, "text.state");
    snprintf(both, sizeof both, "%s %s", prompt_text, more);
    llamac_token p[64], m[16], b[80];
    const int32_t np = tokenize(prompt_text, strlen(prompt_text), p, 64);
    const int32_t nb = tokenize(both, strlen(both), b, 80);
    llamac_model *mod = test_load_model(model);
    int32_t nm = 0;
    assert_int_equal(llamac_tokenize(llamac_model_vocab(mod), more, strlen(more), m, 16, false, true, &nm),
                     LLAMAC_OK);
    llamac_model_free(mod);
    assert_int_equal(np + nm, nb);
    assert_memory_equal(b, p, (size_t)np * sizeof *p);
    assert_memory_equal(b + np, m, (size_t)nm * sizeof *m);

    cli_result save, cont, once;
    run_ok(&save, (const char *[]){"-m", model, "-p", prompt_text, "-n", "0", "--save-state", s, NULL});
    run_ok(&cont, (const char *[]){"-m", model, "--load-state", s, "-p", more, "-n", "16", "--temp", "0", "--ids",
                                  NULL});
    run_ok(&once, (const char *[]){"-m", model, "-p", both, "-n", "16", "--temp", "0", "--ids", NULL});
    assert_true(strlen(once.out) > 16);
    assert_string_equal(cont.out, once.out);
    /* the state's last cell is there: only the text is decoded */
    int reused, decoded;
    reuse_counts(cont.err, "state file", &reused, &decoded);
    assert_int_equal(reused, np);
    assert_int_equal(decoded, nm);
}

/* The file's first whole lines, at least min_bytes of them. */
static char *text_prefix(const char *text, size_t min_bytes, size_t *len) {
    const char *nl = strchr(text + min_bytes, '\n');
    assert_non_null(nl);
    *len = (size_t)(nl + 1 - text);
    char *p = malloc(*len + 1);
    assert_non_null(p);
    memcpy(p, text, *len);
    p[*len] = 0;
    return p;
}

/* The prompt cache, on the shipped model with -c 1024: a ~300-token
 * prefix cached by a first run; a second run with text appended restores
 * it, decodes only the appended tokens and prints what a run without the
 * cache prints. */
static void prompt_cache_decodes_only_the_new_tokens(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    const char *valid = getenv("LLAMAC_VALID_TEXT");
    assert_non_null(valid);
    char *text = test_read_file(valid, NULL);
    assert_non_null(text);
    size_t plen = 0;
    char *prefix = text_prefix(text, 1000, &plen);
    static const char extra[] = "And the LORD spake unto Moses, saying, Speak unto the children of Israel.\n";
    const size_t flen = plen + strlen(extra);
    char *full = malloc(flen + 1);
    assert_non_null(full);
    memcpy(full, prefix, plen);
    memcpy(full + plen, extra, strlen(extra) + 1);

    static llamac_token tp[2048], tf[2048];
    const int32_t np = tokenize(prefix, plen, tp, 2048), nf = tokenize(full, flen, tf, 2048);
    assert_true(np >= 250 && np <= 400); /* "a 300-token prefix" */
    assert_true(nf > np);
    assert_memory_equal(tp, tf, (size_t)np * sizeof *tp); /* the prefix tokenizes alike in both */

    char pf[300], ff[300], cache[300];
    write_file(test_tmpdir_path(pf, sizeof pf, "prefix.txt"), prefix, plen);
    write_file(test_tmpdir_path(ff, sizeof ff, "full.txt"), full, flen);
    test_tmpdir_path(cache, sizeof cache, "prompt.cache");
    unlink(cache);

    cli_result first, second, plain, info;
    int reused, decoded;
    run_ok(&first, (const char *[]){"-m", model, "-c", "1024", "-f", pf, "--prompt-cache", cache, "-n", "16",
                                   "--temp", "0", "--ids", NULL});
    reuse_counts(first.err, "prompt cache", &reused, &decoded);
    assert_int_equal(reused, 0);
    assert_int_equal(decoded, np);
    /* the cache holds the prompt (not the generated tokens) */
    cli_run_command(&info, llamac_bin, "state", (const char *[]){cache, NULL});
    assert_int_equal(info.exit_code, 0);
    char want[64];
    snprintf(want, sizeof want, "tokens:      %d\n", (int)np);
    assert_non_null(strstr(info.out, want));

    run_ok(&second, (const char *[]){"-m", model, "-c", "1024", "-f", ff, "--prompt-cache", cache, "-n", "16",
                                    "--temp", "0", "--ids", NULL});
    reuse_counts(second.err, "prompt cache", &reused, &decoded);
    print_message("prefix %d tokens, full prompt %d: reused %d, decoded %d\n", (int)np, (int)nf, reused, decoded);
    assert_int_equal(reused, np);
    assert_int_equal(decoded, nf - np);
    run_ok(&plain, (const char *[]){"-m", model, "-c", "1024", "-f", ff, "-n", "16", "--temp", "0", "--ids", NULL});
    assert_true(strlen(plain.out) > 16);
    assert_string_equal(second.out, plain.out);

    /* the same prompt once more: all of it is cached, its last token is
     * decoded again for the logits; same output */
    cli_result third;
    run_ok(&third, (const char *[]){"-m", model, "-c", "1024", "-f", ff, "--prompt-cache", cache, "-n", "16",
                                   "--temp", "0", "--ids", NULL});
    reuse_counts(third.err, "prompt cache", &reused, &decoded);
    assert_int_equal(reused, nf - 1);
    assert_int_equal(decoded, 1);
    assert_string_equal(third.out, plain.out);
    free(full);
    free(prefix);
    free(text);
}

/* `llamac state FILE` on a state the round trip's first run writes: the
 * prompt's token count and ids, the model's numbers from
 * models/MODEL_CARD.md, the file's real size. */
static void state_command_prints_the_header(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    char s[300];
    test_tmpdir_path(s, sizeof s, "header.state");
    cli_result save, info, ids;
    run_ok(&save, (const char *[]){"-m", model, "-p", prompt_text, "-n", "0", "--save-state", s, "--temp", "0",
                                  NULL});
    cli_run_command(&info, llamac_bin, "state", (const char *[]){s, NULL});
    if (info.exit_code != 0) fail_msg("exit %d: %s", info.exit_code, info.err);
    llamac_token tok[64];
    const int32_t n = tokenize(prompt_text, strlen(prompt_text), tok, 64);
    struct stat sb;
    assert_int_equal(stat(s, &sb), 0);
    char tokens[64], cells[64], size[64];
    snprintf(tokens, sizeof tokens, "tokens:      %d\n", (int)n);
    snprintf(cells, sizeof cells, "cells:       %d ", (int)n);
    snprintf(size, sizeof size, "file %lld bytes\n", (long long)sb.st_size);
    assert_has_all(info.out, (const char *const[]){
        "format:      version 1\n", "kind:        sequence\n",
        /* MODEL_CARD.md: 6 layers, 8 heads, 4 KV heads of 32, n_embd 256, n_ff 768, vocab 2048 */
        "model:       llama, n_vocab 2048, n_ctx_train 256, n_embd 256, n_layer 6, n_head 8, n_head_kv 4,",
        "n_ff 768, head_dim 32, n_rot 32, rms_eps 1e-05, rope_base 10000",
        tokens, cells, "kv cache:    F16\n", "logits:      yes", "sampler:     yes", size,
        "compression: deflate, level 1, K/V rows byte-shuffled\n", NULL});
    /* --tokens: the prompt's ids */
    cli_run_command(&ids, llamac_bin, "state", (const char *[]){"--tokens", s, NULL});
    assert_int_equal(ids.exit_code, 0);
    char want[1024] = "ids:        ";
    for (int32_t i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), " %d", (int)tok[i]);
    strcat(want, "\n");
    assert_non_null(strstr(ids.out, want));
}

/* Exit 1, one line on stderr naming the problem, nothing on stdout, no signal. */
static void assert_one_line_failure(const cli_result *r, const char *needle) {
    if (r->signal) fail_msg("killed by signal %d: %s", r->signal, r->err);
    if (r->exit_code != 1 || count_lines(r->err) != 1 || strlen(r->out) > 0)
        fail_msg("exit %d, stdout '%s', stderr '%s'", r->exit_code, r->out, r->err);
    if (needle && !strstr(r->err, needle)) fail_msg("no '%s' in '%s'", needle, r->err);
}

/* Truncated files, another model's state, files that are no state: --load-state
 * and `llamac state` exit 1 with one line; --prompt-cache warns, runs
 * without the cache and replaces it only if it was a state file. */
static void hostile_state_files_fail_with_one_line(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    char s[300], cut[300], other_model[300], other[300], dir[300], fifo[300], cache[300];
    test_tmpdir_path(s, sizeof s, "good.state");
    test_tmpdir_path(cut, sizeof cut, "cut.state");
    test_tmpdir_path(other_model, sizeof other_model, "other.gguf");
    test_tmpdir_path(other, sizeof other, "other.state");
    test_tmpdir_path(dir, sizeof dir, "dir.state");
    test_tmpdir_path(fifo, sizeof fifo, "fifo.state");
    test_tmpdir_path(cache, sizeof cache, "not-a-state.cache");
    cli_result r;
    run_ok(&r, (const char *[]){"-m", model, "-p", prompt_text, "-n", "4", "--save-state", s, NULL});
    size_t len = 0;
    char *bytes = test_read_file(s, &len);
    assert_non_null(bytes);
    const size_t cuts[] = {0, 1, 100, 167, 168, 169, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(cut, bytes, cuts[i]);
        run(&r, (const char *[]){"-m", model, "--load-state", cut, "-n", "4", NULL});
        assert_one_line_failure(&r, "--load-state");
        cli_run_command(&r, llamac_bin, "state", (const char *[]){cut, NULL});
        assert_one_line_failure(&r, NULL);
    }
    /* a flipped payload byte: the header reads, the load refuses (CRC) */
    bytes[len - 10] ^= 0x40;
    write_file(cut, bytes, len);
    run(&r, (const char *[]){"-m", model, "--load-state", cut, "-n", "4", NULL});
    assert_one_line_failure(&r, "LLAMAC_ERR_FORMAT");

    /* another model: same vocabulary size and width, 2 layers */
    cli_run_command(&r, llamac_bin, "synth", (const char *[]){"--shape", "tiny", "-q", "-o", other_model, NULL});
    if (r.exit_code != 0) fail_msg("synth: %s", r.err);
    run_ok(&r, (const char *[]){"-m", other_model, "-p", "a b c", "-n", "2", "--save-state", other, NULL});
    run(&r, (const char *[]){"-m", model, "--load-state", other, "-n", "4", NULL});
    assert_one_line_failure(&r, "LLAMAC_ERR_MISMATCH");
    run(&r, (const char *[]){"-m", other_model, "--load-state", s, "-n", "4", NULL});
    assert_one_line_failure(&r, "LLAMAC_ERR_MISMATCH");

    /* not state files at all */
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *const not_states[] = {model, dir, fifo, "/nonexistent/x.state"};
    for (size_t i = 0; i < sizeof not_states / sizeof not_states[0]; i++) {
        run(&r, (const char *[]){"-m", model, "--load-state", not_states[i], "-n", "4", NULL});
        assert_one_line_failure(&r, "--load-state");
        cli_run_command(&r, llamac_bin, "state", (const char *[]){not_states[i], NULL});
        assert_one_line_failure(&r, NULL);
    }

    /* --prompt-cache: another model's state is used for nothing and replaced */
    run_ok(&r, (const char *[]){"-m", model, "-p", prompt_text, "-n", "4", "--prompt-cache", other, NULL});
    assert_non_null(strstr(r.err, "LLAMAC_ERR_MISMATCH"));
    assert_non_null(strstr(r.err, "(prompt cache: 0 reused"));
    cli_run_command(&r, llamac_bin, "state", (const char *[]){other, NULL});
    assert_non_null(strstr(r.out, "n_layer 6,"));
    /* a file that is no state is left as it was */
    write_file(cache, "not a state file, keep me", 25);
    run_ok(&r, (const char *[]){"-m", model, "-p", prompt_text, "-n", "4", "--prompt-cache", cache, NULL});
    assert_non_null(strstr(r.err, "left as it is"));
    char *kept = test_read_file(cache, &len);
    assert_non_null(kept);
    assert_int_equal(len, 25);
    free(kept);
    free(bytes);
}

/* Options that cannot go together are usage errors (exit 2). */
static void conflicting_state_options_are_usage_errors(void **state) {
    (void)state;
    const char *model = shipped_model_path();
    const char *const cases[][10] = {
        {"-m", model, "-n", "1", NULL}, /* no prompt, no state */
        {"-m", model, "--load-state", "a", "--prompt-cache", "b", NULL},
        {"-m", model, "-p", "x", "--keep", "4", "--save-state", "a", NULL},
        {"-m", model, "-p", "x", "--keep", "4", "--prompt-cache", "a", NULL},
        {"-m", model, "-p", "x", "--save-state", "", NULL},
        {"-m", model, "-p", "x", "--load-state", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        run(&r, cases[i]);
        if (r.exit_code != 2) fail_msg("case %zu: exit %d: %s", i, r.exit_code, r.err);
        assert_non_null(strstr(r.err, "usage: llamac run"));
    }
    cli_result r;
    cli_run_command(&r, llamac_bin, "state", (const char *[]){"a", "b", NULL});
    assert_int_equal(r.exit_code, 2);
    cli_run_command(&r, llamac_bin, "state", (const char *[]){NULL});
    assert_int_equal(r.exit_code, 2);
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac");
    return run_cases(test_tmpdir_setup, test_tmpdir_teardown,
                     saved_prompt_continues_with_the_uninterrupted_greedy_ids,
                     sampled_generation_continues_identically,
                     text_after_a_state_continues_it,
                     prompt_cache_decodes_only_the_new_tokens,
                     state_command_prints_the_header,
                     hostile_state_files_fail_with_one_line,
                     conflicting_state_options_are_usage_errors);
}
