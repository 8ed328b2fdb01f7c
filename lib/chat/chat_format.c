/* The 33 built-in chat formats, byte for byte as llama.cpp's
 * llm_chat_apply_template at c392e50 writes them. Quirks of the peer are
 * kept on purpose (they are what models were prompted with): Llama 2 and
 * Mistral v7 ignore add_generation_prompt, Orion ends every user turn with
 * "\n\nAssistant: </s>", a Gemma or Orion system message is merged into the
 * next user turn, roles the format does not name are dropped by some
 * formats and printed as they are by others. */
#include "chat_builtin.h"

#include "common/assert.h"

#include <string.h>

#define U8_USER "<\xe7\x94\xa8\xe6\x88\xb7>"                                   /* <用户> */
#define U8_DS_USER "<\xef\xbd\x9c" "User\xef\xbd\x9c>"                          /* <｜User｜> */
#define U8_DS_ASSISTANT "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"                /* <｜Assistant｜> */
#define U8_DS_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>" /* <｜end▁of▁sentence｜> */

static void put_n(lc_chat_sink *s, const char *text, size_t n) {
    if (s->overflow || n == 0) return;
    if (n > SIZE_MAX - s->len) {
        s->overflow = true;
        return;
    }
    if (s->len < s->cap) {
        size_t room = s->cap - s->len;
        memcpy(s->buf + s->len, text, n < room ? n : room);
    }
    s->len += n;
}

static void put(lc_chat_sink *s, const char *text) { put_n(s, text, strlen(text)); }

/* The peer's trim(): C-locale isspace at both ends. */
static bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void put_trimmed(lc_chat_sink *s, const char *text) {
    size_t end = strlen(text), start = 0;
    while (start < end && is_space((unsigned char)text[start])) start++;
    while (end > start && is_space((unsigned char)text[end - 1])) end--;
    put_n(s, text + start, end - start);
}

static bool role_is(const llamac_chat_message *m, const char *role) { return strcmp(m->role, role) == 0; }

/* Llama 2 and its variants: one "[INST] ... [/INST]" per user turn, the
 * assistant's answer and "</s>" after it; the first "[INST] " is written
 * before any message. */
static void format_llama2(lc_chat_builtin id, const llamac_chat_message *msgs, size_t n, lc_chat_sink *s) {
    bool system_block = id != LC_CHAT_LLAMA2;
    bool bos_in_history = id == LC_CHAT_LLAMA2_SYS_BOS;
    bool strip = id == LC_CHAT_LLAMA2_SYS_STRIP;
    bool in_turn = true;
    put(s, "[INST] ");
    for (size_t i = 0; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        if (!in_turn) {
            in_turn = true;
            put(s, bos_in_history ? "<s>[INST] " : "[INST] ");
        }
        bool sys = role_is(m, "system");
        if (sys && system_block) put(s, "<<SYS>>\n");
        if (strip)
            put_trimmed(s, m->content);
        else
            put(s, m->content);
        if (sys)
            put(s, system_block ? "\n<</SYS>>\n\n" : "\n");
        else if (role_is(m, "user"))
            put(s, " [/INST]");
        else {
            put(s, "</s>");
            in_turn = false;
        }
    }
}

/* Mistral v1, v3 and v3-tekken differ in the spaces around [INST] and in
 * v3 trimming the assistant's answers. */
static void format_mistral(lc_chat_builtin id, const llamac_chat_message *msgs, size_t n, lc_chat_sink *s) {
    const char *lead = id == LC_CHAT_MISTRAL_V1 ? " " : "";
    const char *trail = id == LC_CHAT_MISTRAL_V3_TEKKEN ? "" : " ";
    bool in_turn = false;
    for (size_t i = 0; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        if (!in_turn) {
            put(s, lead);
            put(s, "[INST]");
            put(s, trail);
            in_turn = true;
        }
        if (role_is(m, "system")) {
            put(s, m->content);
            put(s, "\n\n");
        } else if (role_is(m, "user")) {
            put(s, m->content);
            put(s, lead);
            put(s, "[/INST]");
        } else {
            put(s, trail);
            if (id == LC_CHAT_MISTRAL_V3)
                put_trimmed(s, m->content);
            else
                put(s, m->content);
            put(s, "</s>");
            in_turn = false;
        }
    }
}

/* Gemma has no system turn: the (trimmed) system text opens the next
 * non-model turn; "assistant" is called "model". */
static void format_gemma(const llamac_chat_message *msgs, size_t n, bool add_gen, lc_chat_sink *s) {
    const char *system = NULL; /* pending, not yet written */
    for (size_t i = 0; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        if (role_is(m, "system")) {
            system = m->content;
            continue;
        }
        const char *role = role_is(m, "assistant") ? "model" : m->role;
        put(s, "<start_of_turn>");
        put(s, role);
        put(s, "\n");
        if (system && strcmp(role, "model") != 0) {
            /* the peer keeps the trimmed text and skips it when empty */
            lc_chat_sink probe = {0};
            put_trimmed(&probe, system);
            if (probe.len > 0) {
                put_trimmed(s, system);
                put(s, "\n\n");
                system = NULL;
            }
        }
        put_trimmed(s, m->content);
        put(s, "<end_of_turn>\n");
    }
    if (add_gen) put(s, "<start_of_turn>model\n");
}

/* Orion: the system text opens the next user turn (untrimmed). */
static void format_orion(const llamac_chat_message *msgs, size_t n, lc_chat_sink *s) {
    const char *system = NULL;
    for (size_t i = 0; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        if (role_is(m, "system")) {
            system = m->content;
        } else if (role_is(m, "user")) {
            put(s, "Human: ");
            if (system && system[0]) {
                put(s, system);
                put(s, "\n\n");
                system = NULL;
            }
            put(s, m->content);
            put(s, "\n\nAssistant: </s>");
        } else {
            put(s, m->content);
            put(s, "</s>");
        }
    }
}

/* <|ROLE|>\n CONTENT END: phi3 (END "<|end|>\n"), falcon3 ("\n"), zephyr
 * ("<|endoftext|>\n"); chatglm4 and glmedge use it with no end. */
static void format_role_tags(const llamac_chat_message *msgs, size_t n, const char *after_tag,
                             const char *end, lc_chat_sink *s) {
    for (size_t i = 0; i < n; i++) {
        put(s, "<|");
        put(s, msgs[i].role);
        put(s, "|>");
        put(s, after_tag);
        put(s, msgs[i].content);
        put(s, end);
    }
}

/* Formats whose messages are "PREFIX[role] CONTENT SUFFIX[role]" by a
 * fixed table keyed on system/user/assistant, other roles dropped. */
typedef struct role_frame {
    const char *pre, *post;
    bool trim;
} role_frame;

static void format_framed(const llamac_chat_message *msgs, size_t n, const role_frame *system,
                          const role_frame *user, const role_frame *assistant, lc_chat_sink *s) {
    for (size_t i = 0; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        const role_frame *f = role_is(m, "system")      ? system
                              : role_is(m, "user")      ? user
                              : role_is(m, "assistant") ? assistant
                                                        : NULL;
        if (!f) continue;
        put(s, f->pre);
        if (f->trim)
            put_trimmed(s, m->content);
        else
            put(s, m->content);
        put(s, f->post);
    }
}

static void format_gigachat(const llamac_chat_message *msgs, size_t n, bool add_gen, lc_chat_sink *s) {
    size_t first = 0;
    put(s, "<s>");
    if (n > 0 && role_is(&msgs[0], "system")) {
        put(s, msgs[0].content);
        put(s, "<|message_sep|>");
        first = 1;
    }
    for (size_t i = first; i < n; i++) {
        const llamac_chat_message *m = &msgs[i];
        if (role_is(m, "user")) {
            put(s, "user<|role_sep|>");
            put(s, m->content);
            put(s, "<|message_sep|>available functions<|role_sep|>[]<|message_sep|>");
        } else if (role_is(m, "assistant")) {
            put(s, "assistant<|role_sep|>");
            put(s, m->content);
            put(s, "<|message_sep|>");
        }
    }
    if (add_gen) put(s, "assistant<|role_sep|>");
}

void lc_chat_format(lc_chat_builtin id, const llamac_chat_message *msgs, size_t n, bool add_gen,
                    lc_chat_sink *s) {
    switch (id) {
    case LC_CHAT_CHATML:
        for (size_t i = 0; i < n; i++) {
            put(s, "<|im_start|>");
            put(s, msgs[i].role);
            put(s, "\n");
            put(s, msgs[i].content);
            put(s, "<|im_end|>\n");
        }
        if (add_gen) put(s, "<|im_start|>assistant\n");
        break;
    case LC_CHAT_MISTRAL_V7:
        for (size_t i = 0; i < n; i++) {
            const llamac_chat_message *m = &msgs[i];
            if (role_is(m, "system")) {
                put(s, "[SYSTEM_PROMPT] ");
                put(s, m->content);
                put(s, "[/SYSTEM_PROMPT]");
            } else if (role_is(m, "user")) {
                put(s, "[INST] ");
                put(s, m->content);
                put(s, "[/INST]");
            } else {
                put(s, " ");
                put(s, m->content);
                put(s, "</s>");
            }
        }
        break;
    case LC_CHAT_MISTRAL_V1:
    case LC_CHAT_MISTRAL_V3:
    case LC_CHAT_MISTRAL_V3_TEKKEN:
        format_mistral(id, msgs, n, s);
        break;
    case LC_CHAT_LLAMA2:
    case LC_CHAT_LLAMA2_SYS:
    case LC_CHAT_LLAMA2_SYS_BOS:
    case LC_CHAT_LLAMA2_SYS_STRIP:
        format_llama2(id, msgs, n, s);
        break;
    case LC_CHAT_PHI3:
        format_role_tags(msgs, n, "\n", "<|end|>\n", s);
        if (add_gen) put(s, "<|assistant|>\n");
        break;
    case LC_CHAT_PHI4:
        for (size_t i = 0; i < n; i++) {
            put(s, "<|im_start|>");
            put(s, msgs[i].role);
            put(s, "<|im_sep|>");
            put(s, msgs[i].content);
            put(s, "<|im_end|>");
        }
        if (add_gen) put(s, "<|im_start|>assistant<|im_sep|>");
        break;
    case LC_CHAT_FALCON3:
        format_role_tags(msgs, n, "\n", "\n", s);
        if (add_gen) put(s, "<|assistant|>\n");
        break;
    case LC_CHAT_ZEPHYR:
        format_role_tags(msgs, n, "\n", "<|endoftext|>\n", s);
        if (add_gen) put(s, "<|assistant|>\n");
        break;
    case LC_CHAT_MONARCH:
        /* the BOS text opens every message but the first */
        for (size_t i = 0; i < n; i++) {
            if (i > 0) put(s, "<s>");
            put(s, msgs[i].role);
            put(s, "\n");
            put(s, msgs[i].content);
            put(s, "</s>\n");
        }
        if (add_gen) put(s, "<s>assistant\n");
        break;
    case LC_CHAT_GEMMA:
        format_gemma(msgs, n, add_gen, s);
        break;
    case LC_CHAT_ORION:
        format_orion(msgs, n, s);
        break;
    case LC_CHAT_OPENCHAT:
        for (size_t i = 0; i < n; i++) {
            const llamac_chat_message *m = &msgs[i];
            if (role_is(m, "system")) {
                put(s, m->content);
            } else {
                /* the role with its first byte upper-cased (ASCII, C locale) */
                char first = m->role[0];
                if (first >= 'a' && first <= 'z') first = (char)(first - 'a' + 'A');
                put(s, "GPT4 Correct ");
                if (first) {
                    put_n(s, &first, 1);
                    put(s, m->role + 1);
                }
                put(s, ": ");
                put(s, m->content);
            }
            put(s, "<|end_of_turn|>");
        }
        if (add_gen) put(s, "GPT4 Correct Assistant:");
        break;
    case LC_CHAT_VICUNA:
    case LC_CHAT_VICUNA_ORCA: {
        role_frame sys = id == LC_CHAT_VICUNA_ORCA ? (role_frame){"SYSTEM: ", "\n", false}
                                                   : (role_frame){"", "\n\n", false};
        format_framed(msgs, n, &sys, &(role_frame){"USER: ", "\n", false},
                      &(role_frame){"ASSISTANT: ", "</s>\n", false}, s);
        if (add_gen) put(s, "ASSISTANT:");
        break;
    }
    case LC_CHAT_DEEPSEEK:
        format_framed(msgs, n, &(role_frame){"", "", false}, &(role_frame){"### Instruction:\n", "\n", false},
                      &(role_frame){"### Response:\n", "\n<|EOT|>\n", false}, s);
        if (add_gen) put(s, "### Response:\n");
        break;
    case LC_CHAT_COMMAND_R:
        format_framed(msgs, n, &(role_frame){"<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true},
                      &(role_frame){"<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true},
                      &(role_frame){"<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true}, s);
        if (add_gen) put(s, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
        break;
    case LC_CHAT_LLAMA3:
        for (size_t i = 0; i < n; i++) {
            put(s, "<|start_header_id|>");
            put(s, msgs[i].role);
            put(s, "<|end_header_id|>\n\n");
            put_trimmed(s, msgs[i].content);
            put(s, "<|eot_id|>");
        }
        if (add_gen) put(s, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        break;
    case LC_CHAT_CHATGLM3:
        put(s, "[gMASK]sop");
        format_role_tags(msgs, n, "\n ", "", s);
        if (add_gen) put(s, "<|assistant|>");
        break;
    case LC_CHAT_CHATGLM4:
        put(s, "[gMASK]<sop>");
        format_role_tags(msgs, n, "\n", "", s);
        if (add_gen) put(s, "<|assistant|>");
        break;
    case LC_CHAT_GLMEDGE:
        format_role_tags(msgs, n, "\n", "", s);
        if (add_gen) put(s, "<|assistant|>");
        break;
    case LC_CHAT_MINICPM:
        for (size_t i = 0; i < n; i++) {
            bool user = role_is(&msgs[i], "user");
            if (user) put(s, U8_USER);
            put_trimmed(s, msgs[i].content);
            if (user) put(s, "<AI>");
        }
        break;
    case LC_CHAT_DEEPSEEK2:
        format_framed(msgs, n, &(role_frame){"", "\n\n", false}, &(role_frame){"User: ", "\n\n", false},
                      &(role_frame){"Assistant: ", U8_DS_EOS, false}, s);
        if (add_gen) put(s, "Assistant:");
        break;
    case LC_CHAT_DEEPSEEK3:
        format_framed(msgs, n, &(role_frame){"", "\n\n", false}, &(role_frame){U8_DS_USER, "", false},
                      &(role_frame){U8_DS_ASSISTANT, U8_DS_EOS, false}, s);
        if (add_gen) put(s, U8_DS_ASSISTANT);
        break;
    case LC_CHAT_EXAONE3:
        format_framed(msgs, n, &(role_frame){"[|system|]", "[|endofturn|]\n", true},
                      &(role_frame){"[|user|]", "\n", true},
                      &(role_frame){"[|assistant|]", "[|endofturn|]\n", true}, s);
        if (add_gen) put(s, "[|assistant|]");
        break;
    case LC_CHAT_RWKV_WORLD:
        for (size_t i = 0; i < n; i++) {
            if (role_is(&msgs[i], "user")) {
                put(s, "User: ");
                put(s, msgs[i].content);
                put(s, "\n\nAssistant:");
            } else {
                put(s, msgs[i].content);
                put(s, "\n\n");
            }
        }
        break;
    case LC_CHAT_GRANITE:
        for (size_t i = 0; i < n; i++) {
            put(s, "<|start_of_role|>");
            put(s, msgs[i].role);
            put(s, "<|end_of_role|>");
            if (role_is(&msgs[i], "assistant_tool_call")) put(s, "<|tool_call|>");
            put(s, msgs[i].content);
            put(s, "<|end_of_text|>\n");
        }
        if (add_gen) put(s, "<|start_of_role|>assistant<|end_of_role|>\n");
        break;
    case LC_CHAT_GIGACHAT:
        format_gigachat(msgs, n, add_gen, s);
        break;
    case LC_CHAT_MEGREZ:
        for (size_t i = 0; i < n; i++) {
            put(s, "<|role_start|>");
            put(s, msgs[i].role);
            put(s, "<|role_end|>");
            put(s, msgs[i].content);
            put(s, "<|turn_end|>");
        }
        if (add_gen) put(s, "<|role_start|>assistant<|role_end|>");
        break;
    case LC_CHAT_N_BUILTIN:
    case LC_CHAT_UNKNOWN:
        LC_ASSERT(false);
        break;
    }
}
