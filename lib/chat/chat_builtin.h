/* The built-in chat formats: llama.cpp's hand-written formatters at commit
 * c392e50 (src/llama-chat.cpp), their names, and the substring rules that
 * pick one from a Jinja template's text. Interface of lib/chat/ to the
 * public calls in chat_apply.c and to the tests. */
#ifndef LLAMAC_CHAT_BUILTIN_H
#define LLAMAC_CHAT_BUILTIN_H

#include "common/internal.h"

/* In the order of the name table (byte order of the names, as the peer's
 * std::map lists them), so an id is also the index llamac_chat_builtin_name
 * takes. */
typedef enum lc_chat_builtin {
    LC_CHAT_CHATGLM3,
    LC_CHAT_CHATGLM4,
    LC_CHAT_CHATML,
    LC_CHAT_COMMAND_R,
    LC_CHAT_DEEPSEEK,
    LC_CHAT_DEEPSEEK2,
    LC_CHAT_DEEPSEEK3,
    LC_CHAT_EXAONE3,
    LC_CHAT_FALCON3,
    LC_CHAT_GEMMA,
    LC_CHAT_GIGACHAT,
    LC_CHAT_GLMEDGE,
    LC_CHAT_GRANITE,
    LC_CHAT_LLAMA2,
    LC_CHAT_LLAMA2_SYS,
    LC_CHAT_LLAMA2_SYS_BOS,
    LC_CHAT_LLAMA2_SYS_STRIP,
    LC_CHAT_LLAMA3,
    LC_CHAT_MEGREZ,
    LC_CHAT_MINICPM,
    LC_CHAT_MISTRAL_V1,
    LC_CHAT_MISTRAL_V3,
    LC_CHAT_MISTRAL_V3_TEKKEN,
    LC_CHAT_MISTRAL_V7,
    LC_CHAT_MONARCH,
    LC_CHAT_OPENCHAT,
    LC_CHAT_ORION,
    LC_CHAT_PHI3,
    LC_CHAT_PHI4,
    LC_CHAT_RWKV_WORLD,
    LC_CHAT_VICUNA,
    LC_CHAT_VICUNA_ORCA,
    LC_CHAT_ZEPHYR,
    LC_CHAT_N_BUILTIN,
    LC_CHAT_UNKNOWN = -1,
} lc_chat_builtin;

/* The name of a built-in ("chatml"), NULL for an id out of range. */
const char *lc_chat_builtin_name(int32_t id);
/* The built-in called exactly `name`, or LC_CHAT_UNKNOWN. */
lc_chat_builtin lc_chat_builtin_by_name(const char *name);
/* The peer's llm_chat_detect_template: a built-in's exact name first, then
 * the first substring rule the text satisfies; LC_CHAT_UNKNOWN if none. */
lc_chat_builtin lc_chat_detect(const char *tmpl);

/* Where formatted text goes: the first `cap` bytes land in buf, `len`
 * counts them all, so one pass gives both the text and the size needed. */
typedef struct lc_chat_sink {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow; /* len would not fit a size_t */
} lc_chat_sink;

/* Formats messages[0..n) with built-in `id` into the sink, as the peer's
 * llm_chat_apply_template does (add_ass = add_generation_prompt). Every
 * message has non-NULL role and content (the caller checked). */
void lc_chat_format(lc_chat_builtin id, const llamac_chat_message *messages, size_t n,
                    bool add_generation_prompt, lc_chat_sink *sink);

#endif
