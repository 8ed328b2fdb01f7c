/* Built-in names and the detection of a built-in from template text: the
 * rules of llama.cpp's llm_chat_detect_template at c392e50, in its order
 * (the first rule that matches wins, so the order is part of the facts). */
#include "chat_builtin.h"

#include <string.h>

static const char *const builtin_names[LC_CHAT_N_BUILTIN] = {
    [LC_CHAT_CHATGLM3] = "chatglm3",
    [LC_CHAT_CHATGLM4] = "chatglm4",
    [LC_CHAT_CHATML] = "chatml",
    [LC_CHAT_COMMAND_R] = "command-r",
    [LC_CHAT_DEEPSEEK] = "deepseek",
    [LC_CHAT_DEEPSEEK2] = "deepseek2",
    [LC_CHAT_DEEPSEEK3] = "deepseek3",
    [LC_CHAT_EXAONE3] = "exaone3",
    [LC_CHAT_FALCON3] = "falcon3",
    [LC_CHAT_GEMMA] = "gemma",
    [LC_CHAT_GIGACHAT] = "gigachat",
    [LC_CHAT_GLMEDGE] = "glmedge",
    [LC_CHAT_GRANITE] = "granite",
    [LC_CHAT_LLAMA2] = "llama2",
    [LC_CHAT_LLAMA2_SYS] = "llama2-sys",
    [LC_CHAT_LLAMA2_SYS_BOS] = "llama2-sys-bos",
    [LC_CHAT_LLAMA2_SYS_STRIP] = "llama2-sys-strip",
    [LC_CHAT_LLAMA3] = "llama3",
    [LC_CHAT_MEGREZ] = "megrez",
    [LC_CHAT_MINICPM] = "minicpm",
    [LC_CHAT_MISTRAL_V1] = "mistral-v1",
    [LC_CHAT_MISTRAL_V3] = "mistral-v3",
    [LC_CHAT_MISTRAL_V3_TEKKEN] = "mistral-v3-tekken",
    [LC_CHAT_MISTRAL_V7] = "mistral-v7",
    [LC_CHAT_MONARCH] = "monarch",
    [LC_CHAT_OPENCHAT] = "openchat",
    [LC_CHAT_ORION] = "orion",
    [LC_CHAT_PHI3] = "phi3",
    [LC_CHAT_PHI4] = "phi4",
    [LC_CHAT_RWKV_WORLD] = "rwkv-world",
    [LC_CHAT_VICUNA] = "vicuna",
    [LC_CHAT_VICUNA_ORCA] = "vicuna-orca",
    [LC_CHAT_ZEPHYR] = "zephyr",
};

const char *lc_chat_builtin_name(int32_t id) {
    return id >= 0 && id < LC_CHAT_N_BUILTIN ? builtin_names[id] : NULL;
}

lc_chat_builtin lc_chat_builtin_by_name(const char *name) {
    for (int i = 0; i < LC_CHAT_N_BUILTIN; i++)
        if (strcmp(builtin_names[i], name) == 0) return (lc_chat_builtin)i;
    return LC_CHAT_UNKNOWN;
}

static bool has(const char *tmpl, const char *needle) { return strstr(tmpl, needle) != NULL; }

/* The Llama 2 family and the Mistral formats share "[INST]"; the peer tells
 * them apart by marks of the official Mistral templates first. */
static lc_chat_builtin detect_inst(const char *t) {
    if (has(t, "[SYSTEM_PROMPT]")) return LC_CHAT_MISTRAL_V7;
    if (has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]")) {
        if (has(t, " [INST]")) return LC_CHAT_MISTRAL_V1;
        if (has(t, "\"[INST]\"")) return LC_CHAT_MISTRAL_V3_TEKKEN;
        return LC_CHAT_MISTRAL_V3;
    }
    if (has(t, "content.strip()")) return LC_CHAT_LLAMA2_SYS_STRIP;
    if (has(t, "bos_token + '[INST]")) return LC_CHAT_LLAMA2_SYS_BOS;
    if (has(t, "<<SYS>>")) return LC_CHAT_LLAMA2_SYS;
    return LC_CHAT_LLAMA2;
}

lc_chat_builtin lc_chat_detect(const char *t) {
    lc_chat_builtin named = lc_chat_builtin_by_name(t);
    if (named != LC_CHAT_UNKNOWN) return named;

    if (has(t, "<|im_start|>")) return has(t, "<|im_sep|>") ? LC_CHAT_PHI4 : LC_CHAT_CHATML;
    /* "mistral" only as a prefix: a name-like value, not text inside a template */
    if (strncmp(t, "mistral", 7) == 0 || has(t, "[INST]")) return detect_inst(t);
    if (has(t, "<|assistant|>") && has(t, "<|end|>")) return LC_CHAT_PHI3;
    if (has(t, "<|assistant|>") && has(t, "<|user|>"))
        return has(t, "</s>") ? LC_CHAT_FALCON3 : LC_CHAT_GLMEDGE;
    if (has(t, "<|user|>") && has(t, "<|endoftext|>")) return LC_CHAT_ZEPHYR;
    if (has(t, "bos_token + message['role']")) return LC_CHAT_MONARCH;
    if (has(t, "<start_of_turn>")) return LC_CHAT_GEMMA;
    if (has(t, "'\\n\\nAssistant: ' + eos_token")) return LC_CHAT_ORION;
    if (has(t, "GPT4 Correct ")) return LC_CHAT_OPENCHAT;
    if (has(t, "USER: ") && has(t, "ASSISTANT: "))
        return has(t, "SYSTEM: ") ? LC_CHAT_VICUNA_ORCA : LC_CHAT_VICUNA;
    if (has(t, "### Instruction:") && has(t, "<|EOT|>")) return LC_CHAT_DEEPSEEK;
    if (has(t, "<|START_OF_TURN_TOKEN|>") && has(t, "<|USER_TOKEN|>")) return LC_CHAT_COMMAND_R;
    if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) return LC_CHAT_LLAMA3;
    if (has(t, "[gMASK]sop")) return LC_CHAT_CHATGLM3;
    if (has(t, "[gMASK]<sop>")) return LC_CHAT_CHATGLM4;
    if (has(t, "<\xe7\x94\xa8\xe6\x88\xb7>")) return LC_CHAT_MINICPM; /* "<用户>" */
    if (has(t, "'Assistant: ' + message['content'] + eos_token")) return LC_CHAT_DEEPSEEK2;
    /* "<｜Assistant｜>", "<｜User｜>", "<｜end▁of▁sentence｜>" (full-width bars) */
    if (has(t, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>") && has(t, "<\xef\xbd\x9c" "User\xef\xbd\x9c>") &&
        has(t, "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"))
        return LC_CHAT_DEEPSEEK3;
    if (has(t, "[|system|]") && has(t, "[|assistant|]") && has(t, "[|endofturn|]")) return LC_CHAT_EXAONE3;
    if (has(t, "rwkv-world")) return LC_CHAT_RWKV_WORLD;
    if (has(t, "<|start_of_role|>")) return LC_CHAT_GRANITE;
    if (has(t, "message['role'] + additional_special_tokens[0] + message['content'] + "
               "additional_special_tokens[1]"))
        return LC_CHAT_GIGACHAT;
    if (has(t, "<|role_start|>")) return LC_CHAT_MEGREZ;
    return LC_CHAT_UNKNOWN;
}
