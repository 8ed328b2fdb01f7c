/* Chat templates (llamac.h section 10) against llama.cpp's own chat-template
 * test at c392e50 (tests/data/chat/peer_cases.txt: its inputs and published
 * expected outputs): every case's built-in, reached by detection from the
 * case's Jinja text and by name, writes the peer's expected bytes. Also the
 * buffer convention, the errors, and the model's own template. */
#include "test_util.h"

#include "chat_cases.h"
#include "llamac.h"
#include "model_builder.h"
#include "test_files.h"
#include "test_tmpdir.h"

#include <string.h>

/* The peer test's one conversation (chat_cases.c). */
#define conversation peer_conversation
#define N_CONV PEER_CONVERSATION_LEN

/* ---- the data file ---- */

static peer_cases data;

static int load_cases(void **state) {
    (void)state;
    return peer_cases_load(&data);
}

static int free_cases(void **state) {
    (void)state;
    peer_cases_free(&data);
    return 0;
}

/* Applies tmpl to messages and returns the text (malloc'd), asking for the
 * size first as callers do. */
static char *apply(const llamac_model *model, const char *tmpl, const llamac_chat_message *msgs, size_t n,
                   bool add_gen) {
    size_t need = 0;
    llamac_status st = llamac_chat_apply_template(model, tmpl, msgs, n, add_gen, NULL, 0, &need);
    if (st != LLAMAC_OK && st != LLAMAC_ERR_BUFFER_TOO_SMALL)
        fail_msg("apply(%s): %s: %s", tmpl ? tmpl : "(model)", llamac_status_name(st), llamac_last_error());
    char *buf = malloc(need + 1);
    assert_non_null(buf);
    size_t got = 0;
    assert_int_equal(llamac_chat_apply_template(model, tmpl, msgs, n, add_gen, buf, need, &got), LLAMAC_OK);
    assert_int_equal(got, need);
    buf[got] = '\0';
    return buf;
}

static void expect_text(const char *what, const char *got, const char *want) {
    if (strcmp(got, want) != 0) fail_msg("%s:\n  got  '%s'\n  want '%s'", what, got, want);
}

/* ---- the peer's cases ---- */

static void every_peer_case_detects_its_builtin_and_formats_the_expected_bytes(void **state) {
    (void)state;
    assert_int_equal(data.n, 30);
    for (int i = 0; i < data.n; i++) {
        const char *name = llamac_chat_detect_template(data.cases[i].tmpl);
        if (!name || strcmp(name, data.cases[i].builtin) != 0)
            fail_msg("%s: detected %s, expected %s", data.cases[i].name, name ? name : "(none)", data.cases[i].builtin);
        char *out = apply(NULL, data.cases[i].tmpl, conversation, N_CONV, true);
        expect_text(data.cases[i].name, out, data.cases[i].expected);
        free(out);
    }
}

static void every_peer_case_builtin_by_name_formats_the_expected_bytes(void **state) {
    (void)state;
    for (int i = 0; i < data.n; i++) {
        char *out = apply(NULL, data.cases[i].builtin, conversation, N_CONV, true);
        expect_text(data.cases[i].builtin, out, data.cases[i].expected);
        free(out);
    }
}

/* The peer's test also formats a lone system message (fmt_sys, no
 * generation prompt) with these built-in names; "mistral" is its name-like
 * prefix rule for old Mistral templates (the Llama 2 format). */
static void a_lone_system_message_formats_as_the_peer_test_expects(void **state) {
    (void)state;
    static const struct {
        const char *tmpl, *want;
    } sys[] = {
        {"chatml", "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"},
        {"mistral-v1", " [INST] You are a helpful assistant\n\n"},
        {"mistral-v3", "[INST] You are a helpful assistant\n\n"},
        {"mistral-v3-tekken", "[INST]You are a helpful assistant\n\n"},
        {"mistral-v7", "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT]"},
        {"llama2", "[INST] You are a helpful assistant\n"},
        {"llama2-sys", "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\n"},
        {"mistral", "[INST] You are a helpful assistant\n"},
        {"gemma", ""},
        {"llama3", "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"},
        {"gigachat", "<s>You are a helpful assistant<|message_sep|>"},
    };
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++) {
        char *out = apply(NULL, sys[i].tmpl, conversation, 1, false);
        expect_text(sys[i].tmpl, out, sys[i].want);
        free(out);
    }
}

/* ---- the list of built-ins ---- */

static void the_33_builtins_are_listed_in_name_order_and_detect_as_themselves(void **state) {
    (void)state;
    static const char *const names[] = {
        "chatglm3", "chatglm4", "chatml", "command-r", "deepseek", "deepseek2", "deepseek3",
        "exaone3", "falcon3", "gemma", "gigachat", "glmedge", "granite", "llama2", "llama2-sys",
        "llama2-sys-bos", "llama2-sys-strip", "llama3", "megrez", "minicpm", "mistral-v1",
        "mistral-v3", "mistral-v3-tekken", "mistral-v7", "monarch", "openchat", "orion", "phi3",
        "phi4", "rwkv-world", "vicuna", "vicuna-orca", "zephyr",
    };
    assert_int_equal(llamac_chat_builtin_count(), 33);
    for (int32_t i = 0; i < 33; i++) {
        const char *name = llamac_chat_builtin_name(i);
        assert_non_null(name);
        assert_string_equal(name, names[i]);
        assert_ptr_equal(llamac_chat_detect_template(name), name);
        /* every built-in formats without error, with and without the prompt */
        free(apply(NULL, name, conversation, N_CONV, false));
        free(apply(NULL, name, conversation, 0, true));
    }
    assert_null(llamac_chat_builtin_name(33));
    assert_null(llamac_chat_builtin_name(-1));
}

/* ---- buffers and errors ---- */

static void a_short_buffer_gets_the_prefix_and_the_full_length(void **state) {
    (void)state;
    const char *want = "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>assistant\n";
    size_t len = strlen(want), n = 7;
    char buf[256];
    memset(buf, '#', sizeof buf);
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", conversation, 1, true, NULL, 0, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, len);
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", conversation, 1, true, buf, 10, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, len);
    assert_memory_equal(buf, want, 10);
    assert_int_equal(buf[10], '#');
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", conversation, 1, true, buf, len - 1, &n),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, len);
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", conversation, 1, true, buf, len, &n), LLAMAC_OK);
    assert_int_equal(n, len);
    assert_memory_equal(buf, want, len);
    assert_int_equal(buf[len], '#'); /* not NUL-terminated, nothing past the text */
}

static void an_unknown_template_is_an_error_naming_it_never_chatml(void **state) {
    (void)state;
    char buf[256];
    size_t n = 7;
    assert_int_equal(llamac_chat_apply_template(NULL, "INVALID TEMPLATE", conversation, N_CONV, true, buf,
                                                sizeof buf, &n),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_int_equal(n, 0);
    assert_non_null(strstr(llamac_last_error(), "INVALID TEMPLATE"));
    assert_null(llamac_chat_detect_template("INVALID TEMPLATE"));
    assert_null(llamac_chat_detect_template("chatml2"));
    assert_null(llamac_chat_detect_template(""));
    assert_null(llamac_chat_detect_template(NULL));
    assert_int_equal(llamac_chat_apply_template(NULL, "llama-3", conversation, N_CONV, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_non_null(strstr(llamac_last_error(), "llama-3"));
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    char buf[64];
    size_t n = 7;
    llamac_chat_message bad[] = {{"user", NULL}};
    assert_int_equal(llamac_chat_apply_template(NULL, NULL, conversation, 1, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", bad, 1, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "messages[0].content"));
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", NULL, 1, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_INVALID_ARG);
    /* no messages at all is a valid (if odd) conversation */
    assert_int_equal(llamac_chat_apply_template(NULL, "chatml", NULL, 0, true, buf, sizeof buf, &n), LLAMAC_OK);
    assert_int_equal(n, strlen("<|im_start|>assistant\n"));
}

/* ---- the model's own template ---- */

/* A synthetic model file, with tokenizer.chat_template set to `tmpl`
 * unless it is NULL; loaded. */
static llamac_model *model_with_template(const char *dir, const char *tmpl) {
    char plain[512], with[512];
    snprintf(plain, sizeof plain, "%s/plain.gguf", dir);
    snprintf(with, sizeof with, "%s/with.gguf", dir);
    tm_spec spec;
    tm_spec_default(&spec);
    assert_int_equal(tm_write(&spec, plain), LLAMAC_OK);
    if (!tmpl) return test_load_model(plain);
    llamac_gguf *g = test_open_gguf(plain);
    llamac_gguf_writer *w = NULL;
    assert_int_equal(llamac_gguf_writer_new(NULL, &w), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_copy_kv(w, g), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_string(w, "tokenizer.chat_template", tmpl), LLAMAC_OK);
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info t;
        assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
        assert_int_equal(llamac_gguf_writer_add_tensor(w, t.name, t.type, t.n_dims, t.ne, t.data, t.n_bytes),
                         LLAMAC_OK);
    }
    assert_int_equal(llamac_gguf_writer_write(w, with), LLAMAC_OK);
    llamac_gguf_writer_free(w);
    llamac_gguf_free(g);
    return test_load_model(with);
}

static void a_null_template_uses_the_models_own(void **state) {
    (void)state;
    const peer_case *llama3 = NULL;
    for (int i = 0; i < data.n; i++)
        if (strcmp(data.cases[i].builtin, "llama3") == 0) llama3 = &data.cases[i];
    assert_non_null(llama3);
    char dir[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    llamac_model *m = model_with_template(dir, llama3->tmpl);
    char *out = apply(m, NULL, conversation, N_CONV, true);
    expect_text("the model's template", out, llama3->expected);
    free(out);
    /* a template given wins over the model's */
    out = apply(m, "chatml", conversation, 1, false);
    expect_text("chatml over the model's", out, "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n");
    free(out);
    llamac_model_free(m);

    /* a model template no built-in matches is an error naming it */
    m = model_with_template(dir, "{{ messages }} unknown format");
    char buf[64];
    size_t n = 7;
    assert_int_equal(llamac_chat_apply_template(m, NULL, conversation, N_CONV, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_non_null(strstr(llamac_last_error(), "unknown format"));
    llamac_model_free(m);
    test_tmpdir_remove(dir);
}

static void a_model_without_a_template_is_an_error_not_a_guess(void **state) {
    (void)state;
    char dir[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    llamac_model *m = model_with_template(dir, NULL);
    char buf[256];
    size_t n = 7;
    assert_int_equal(llamac_chat_apply_template(m, NULL, conversation, N_CONV, true, buf, sizeof buf, &n),
                     LLAMAC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_non_null(strstr(llamac_last_error(), "tokenizer.chat_template"));
    llamac_model_free(m);
    test_tmpdir_remove(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_peer_case_detects_its_builtin_and_formats_the_expected_bytes),
        cmocka_unit_test(every_peer_case_builtin_by_name_formats_the_expected_bytes),
        cmocka_unit_test(a_lone_system_message_formats_as_the_peer_test_expects),
        cmocka_unit_test(the_33_builtins_are_listed_in_name_order_and_detect_as_themselves),
        cmocka_unit_test(a_short_buffer_gets_the_prefix_and_the_full_length),
        cmocka_unit_test(an_unknown_template_is_an_error_naming_it_never_chatml),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(a_null_template_uses_the_models_own),
        cmocka_unit_test(a_model_without_a_template_is_an_error_not_a_guess),
    };
    return run_test_group(tests, load_cases, free_cases);
}
