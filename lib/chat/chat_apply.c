/* The public chat-template calls (llamac.h, section 10): argument checks,
 * the choice of a built-in, the buffer convention. */
#include "chat_builtin.h"

#include "common/escape.h"

#include <string.h>

#define KEY_CHAT_TEMPLATE "tokenizer.chat_template"

const char *llamac_chat_detect_template(const char *tmpl) {
    return tmpl ? lc_chat_builtin_name(lc_chat_detect(tmpl)) : NULL;
}

int32_t llamac_chat_builtin_count(void) { return LC_CHAT_N_BUILTIN; }

const char *llamac_chat_builtin_name(int32_t i) { return lc_chat_builtin_name(i); }

/* The template text to detect from: tmpl itself, or the model's. */
static llamac_status template_text(const llamac_model *model, const char *tmpl, const char **text) {
    if (tmpl) {
        *text = tmpl;
        return LLAMAC_OK;
    }
    if (!model) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_chat_apply_template: tmpl and model are both NULL");
    const llamac_gguf *gguf = llamac_model_gguf(model);
    if (llamac_gguf_find_key(gguf, KEY_CHAT_TEMPLATE) < 0)
        return lc_fail(LLAMAC_ERR_NOT_FOUND,
                       "llamac_chat_apply_template: the model has no chat template (" KEY_CHAT_TEMPLATE
                       " is absent); pass a template or a built-in name");
    llamac_status st = llamac_gguf_get_string(gguf, KEY_CHAT_TEMPLATE, text, NULL);
    if (st) lc_error_prefix("llamac_chat_apply_template: the model's " KEY_CHAT_TEMPLATE ": ");
    return st;
}

static llamac_status check_messages(const llamac_chat_message *messages, size_t n) {
    if (n > 0 && !messages) return lc_null_arg("llamac_chat_apply_template", "messages");
    for (size_t i = 0; i < n; i++) {
        if (!messages[i].role)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_chat_apply_template: messages[%zu].role is NULL", i);
        if (!messages[i].content)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_chat_apply_template: messages[%zu].content is NULL", i);
    }
    return LLAMAC_OK;
}

static llamac_status apply(const llamac_model *model, const char *tmpl, const llamac_chat_message *messages,
                           size_t n_messages, bool add_generation_prompt, char *buf, size_t buf_size,
                           size_t *n_out) {
    if (buf_size > 0 && !buf) return lc_null_arg("llamac_chat_apply_template", "buf");
    llamac_status st = check_messages(messages, n_messages);
    if (st) return st;
    const char *text;
    st = template_text(model, tmpl, &text);
    if (st) return st;
    lc_chat_builtin id = lc_chat_detect(text);
    if (id == LC_CHAT_UNKNOWN) {
        char quoted[96];
        return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                       "llamac_chat_apply_template: %s'%s' is no built-in chat format's name and none of "
                       "llama.cpp's detection rules matches it",
                       tmpl ? "" : "the model's template ", lc_escape(quoted, sizeof quoted, text, strlen(text)));
    }
    lc_chat_sink sink = {.buf = buf, .cap = buf_size};
    lc_chat_format(id, messages, n_messages, add_generation_prompt, &sink);
    if (sink.overflow)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_chat_apply_template: the prompt's length overflows size_t");
    *n_out = sink.len;
    if (sink.len > buf_size)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                       "llamac_chat_apply_template: the prompt needs %zu bytes, the buffer holds %zu", sink.len,
                       buf_size);
    return LLAMAC_OK;
}

llamac_status llamac_chat_apply_template(const llamac_model *model, const char *tmpl,
                                         const llamac_chat_message *messages, size_t n_messages,
                                         bool add_generation_prompt, char *buf, size_t buf_size, size_t *n_out) {
    LC_REQUIRE(n_out);
    *n_out = 0;
    return apply(model, tmpl, messages, n_messages, add_generation_prompt, buf, buf_size, n_out);
}
