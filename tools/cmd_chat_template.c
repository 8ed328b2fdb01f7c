/* `llamac chat-template`: a conversation (a JSON file of {"role",
 * "content"} messages) formatted with one of the library's built-in chat
 * formats (llamac.h section 10), picked by name or detected from a Jinja
 * template file. The prompt goes to stdout byte for byte, so it can be
 * compared or piped into `llamac run -f -`. Rendering Jinja itself is not
 * here yet (no engine exists): a template no built-in matches is an error,
 * never a guess. Reads the messages with the library's internal JSON reader
 * (common/json.h). */
#include "cmd_parse.h"
#include "commands.h"

#include "args.h"
#include "common/json.h"
#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void chat_template_usage(FILE *f) {
    fprintf(f,
            "usage: llamac chat-template --template NAME|FILE --messages FILE.json\n"
            "                            [--add-generation-prompt] [--prompt-limit BYTES]\n"
            "       llamac chat-template --template NAME|FILE --detect\n"
            "\n"
            "Formats the conversation in FILE.json (a JSON array of objects with exactly\n"
            "the string members \"role\" and \"content\") with one of the 33 built-in chat\n"
            "formats of llama.cpp (at its commit c392e50) and writes the prompt to stdout\n"
            "exactly, without an added newline.\n"
            "  --template NAME|FILE   an existing FILE wins over a NAME: its text (a Jinja\n"
            "                         template, as in tokenizer.chat_template) picks the\n"
            "                         built-in by llama.cpp's substring rules; else NAME\n"
            "                         is a built-in's name (chatml, llama3, mistral-v7, ...)\n"
            "  --add-generation-prompt  end with the opening of the assistant's turn\n"
            "  --detect               print the name of the built-in the template selects\n"
            "                         (one line) instead of formatting\n"
            "  --prompt-limit BYTES   refuse a template or messages file larger than this\n"
            "                         (default 64M; K, M, G suffixes count KiB, MiB, GiB)\n"
            "Jinja templates are not rendered (no --jinja yet): a template without a\n"
            "matching built-in is an error.\n"
            "Exit status: 0 done, 1 failure (unknown template, bad messages), 2 bad arguments.\n");
}

/* Set by chat_template_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

static size_t file_limit = TOOL_PROMPT_LIMIT_DEFAULT;

static char *read_whole(const char *path, size_t *len) {
    char err[512];
    char *buf = tool_read_file(path, file_limit, len, err, sizeof err);
    if (!buf) fprintf(stderr, "llamac chat-template: %s\n", err);
    return buf;
}

/* The built-in that --template ARG selects, or NULL after a message. An
 * existing path is read and detected; anything else is taken as a name
 * (the library also accepts Jinja text given inline, so detection runs on
 * the argument itself). */
static const char *resolve_template(const char *arg) {
    struct stat sb;
    if (stat(arg, &sb) != 0) {
        const char *name = llamac_chat_detect_template(arg);
        if (!name)
            fprintf(stderr,
                    "llamac chat-template: '%s' is neither a file nor a built-in chat format "
                    "(chatml, llama3, ...; docs/tools.md lists the %d)\n",
                    arg, (int)llamac_chat_builtin_count());
        return name;
    }
    size_t len = 0;
    char *text = read_whole(arg, &len);
    if (!text) return NULL;
    const char *name = NULL;
    if (memchr(text, '\0', len))
        fprintf(stderr, "llamac chat-template: %s: the template contains a NUL byte\n", arg);
    else {
        char *z = realloc(text, len + 1);
        if (!z) {
            fprintf(stderr, "llamac chat-template: out of memory\n");
        } else {
            text = z;
            text[len] = '\0';
            name = llamac_chat_detect_template(text);
            if (!name)
                fprintf(stderr,
                        "llamac chat-template: %s: no built-in chat format detected in this template "
                        "(rendering Jinja is not supported yet)\n",
                        arg);
        }
    }
    free(text);
    return name;
}

/* A JSON string member as a C string: refused when absent, of another
 * kind, or holding a NUL (the library's messages are C strings). */
static const char *message_field(const char *path, size_t i, const lc_json *msg, const char *key) {
    const lc_json *v = lc_json_get(msg, key);
    size_t len = 0;
    const char *s = v ? lc_json_string(v, &len) : NULL;
    if (!v)
        fprintf(stderr, "llamac chat-template: %s: messages[%zu] has no \"%s\"\n", path, i, key);
    else if (!s)
        fprintf(stderr, "llamac chat-template: %s: messages[%zu].%s is not a string\n", path, i, key);
    else if (strlen(s) != len)
        fprintf(stderr, "llamac chat-template: %s: messages[%zu].%s contains a NUL character\n", path, i, key);
    else
        return s;
    return NULL;
}

/* Fills msgs[0..n) from the array root (pointers into the tree); prints
 * what is wrong and returns false otherwise. Only "role" and "content" are
 * read, so any other member (or a repeated one) is refused rather than
 * silently dropped. */
static bool read_messages(const char *path, const lc_json *root, llamac_chat_message *msgs) {
    static const char *const kind_names[] = {"null", "a boolean", "a number", "a string", "an array",
                                             "an object"};
    if (lc_json_kind_of(root) != LC_JSON_ARRAY) {
        fprintf(stderr, "llamac chat-template: %s: expected an array of messages, not %s\n", path,
                kind_names[lc_json_kind_of(root)]);
        return false;
    }
    for (size_t i = 0; i < lc_json_count(root); i++) {
        const lc_json *m = lc_json_at(root, i);
        if (lc_json_kind_of(m) != LC_JSON_OBJECT) {
            fprintf(stderr, "llamac chat-template: %s: messages[%zu] is %s, not an object\n", path, i,
                    kind_names[lc_json_kind_of(m)]);
            return false;
        }
        for (size_t k = 0; k < lc_json_count(m); k++) {
            size_t klen = 0;
            const char *key = lc_json_key_at(m, k, &klen);
            const bool known = strlen(key) == klen && (!strcmp(key, "role") || !strcmp(key, "content"));
            if (!known || lc_json_get(m, key) != lc_json_at(m, k)) {
                fprintf(stderr,
                        "llamac chat-template: %s: messages[%zu] has %s member \"%s\" (only \"role\" "
                        "and \"content\" are read)\n",
                        path, i, known ? "a repeated" : "an unexpected", key);
                return false;
            }
        }
        msgs[i].role = message_field(path, i, m, "role");
        msgs[i].content = msgs[i].role ? message_field(path, i, m, "content") : NULL;
        if (!msgs[i].content) return false;
    }
    return true;
}

/* Formats and writes the prompt; 0 or 1. */
static int format(const char *tmpl, const char *path, const lc_json *root, bool add_gen) {
    const size_t n = lc_json_count(root);
    llamac_chat_message *msgs = calloc(n ? n : 1, sizeof *msgs);
    char *buf = NULL;
    int rc = 1;
    size_t need = 0;
    if (!msgs) {
        fprintf(stderr, "llamac chat-template: out of memory\n");
    } else if (read_messages(path, root, msgs)) {
        llamac_status st = llamac_chat_apply_template(NULL, tmpl, msgs, n, add_gen, NULL, 0, &need);
        if (st == LLAMAC_ERR_BUFFER_TOO_SMALL || st == LLAMAC_OK) {
            buf = malloc(need ? need : 1);
            st = buf ? llamac_chat_apply_template(NULL, tmpl, msgs, n, add_gen, buf, need, &need)
                     : LLAMAC_ERR_NO_MEMORY;
        }
        if (st != LLAMAC_OK) {
            fprintf(stderr, "llamac chat-template: %s\n", buf ? llamac_last_error() : "out of memory");
        } else if (fwrite(buf, 1, need, stdout) != need || fflush(stdout) != 0) {
            fprintf(stderr, "llamac chat-template: cannot write the prompt to stdout\n");
        } else {
            rc = 0;
        }
    }
    free(buf);
    free(msgs);
    return rc;
}

int cmd_chat_template(int argc, char **argv) {
    const char *tmpl_arg = NULL, *messages_path = NULL;
    bool add_gen = false, detect = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bool has_value = i + 1 < argc;
        const bool takes_value =
            !strcmp(a, "--template") || !strcmp(a, "--messages") || !strcmp(a, "--prompt-limit");
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            chat_template_usage(stdout);
            return 0;
        } else if (takes_value && !has_value) {
            fprintf(stderr, "llamac chat-template: %s needs a value\n", a);
            chat_template_usage(stderr);
            return 2;
        } else if (!strcmp(a, "--template")) {
            tmpl_arg = argv[++i];
        } else if (!strcmp(a, "--messages")) {
            messages_path = argv[++i];
        } else if (!strcmp(a, "--prompt-limit")) {
            if (!tool_opt_bytes("chat-template", a, argv[++i], &file_limit)) return 2;
        } else if (!strcmp(a, "--add-generation-prompt")) {
            add_gen = true;
        } else if (!strcmp(a, "--detect")) {
            detect = true;
        } else {
            fprintf(stderr, "llamac chat-template: unexpected argument '%s'\n", a);
            chat_template_usage(stderr);
            return 2;
        }
    }
    const char *missing = !tmpl_arg                     ? "need --template NAME|FILE"
                          : detect && messages_path     ? "--detect takes no --messages"
                          : detect && add_gen           ? "--detect takes no --add-generation-prompt"
                          : !detect && !messages_path   ? "need --messages FILE.json (or --detect)"
                                                        : NULL;
    if (missing) {
        fprintf(stderr, "llamac chat-template: %s\n", missing);
        chat_template_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;

    const char *name = resolve_template(tmpl_arg);
    if (!name) return 1;
    if (detect) {
        printf("%s\n", name);
        return fflush(stdout) == 0 ? 0 : 1;
    }

    size_t len = 0;
    char *text = read_whole(messages_path, &len);
    if (!text) return 1;
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_json *root = NULL;
    int rc = 1;
    if (lc_json_parse(&env, text, len, NULL, &root) != LLAMAC_OK)
        fprintf(stderr, "llamac chat-template: %s: %s\n", messages_path, llamac_last_error());
    else
        rc = format(name, messages_path, root, add_gen);
    lc_json_free(&env, root);
    free(text);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int chat_template_parse_only(int argc, char **argv) {
    return tool_parse_only(cmd_chat_template, &parse_only, argc, argv);
}
