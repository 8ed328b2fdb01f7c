/* `llamac chat-template`: a conversation (a JSON file of {"role",
 * "content"} messages) formatted with one of the library's built-in chat
 * formats (llamac.h section 10), picked by name or detected from a Jinja
 * template file. The prompt goes to stdout byte for byte, so it can be
 * compared or piped into `llamac run -f -`. A template no built-in matches
 * is an error, never a guess; --jinja renders the file through the
 * library's Jinja engine (llamac.h section 11) instead. Reads the messages
 * with the library's internal JSON reader (common/json.h). */
#include "cmd_parse.h"
#include "commands.h"

#include "args.h"
#include "common/json.h"
#include "llamac.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void chat_template_usage(FILE *f) {
    fprintf(f,
            "usage: llamac chat-template --template NAME|FILE --messages FILE.json\n"
            "                            [--add-generation-prompt] [--prompt-limit BYTES]\n"
            "       llamac chat-template --template NAME|FILE --detect\n"
            "       llamac chat-template --jinja --template FILE --messages FILE.json\n"
            "                            [--add-generation-prompt] [--bos TEXT] [--eos TEXT]\n"
            "                            [--tools FILE.json] [--documents FILE.json] [--now EPOCH]\n"
            "                            [--no-system-polyfill] [--keep-bos-eos] [--prompt-limit BYTES]\n"
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
            "Without --jinja, a template without a matching built-in is an error.\n"
            "  --jinja                render FILE with the library's Jinja engine as Hugging\n"
            "                         Face's apply_chat_template does; FILE.json may then\n"
            "                         hold any members (tool_calls, name, ...)\n"
            "  --bos TEXT, --eos TEXT the template's bos_token and eos_token (default \"\")\n"
            "  --tools FILE.json      a JSON array bound to `tools`\n"
            "  --documents FILE.json  a JSON array bound to `documents`\n"
            "  --now EPOCH            strftime_now's clock, seconds since 1970 UTC (default:\n"
            "                         the system clock)\n"
            "  --no-system-polyfill   do not merge a system message into the first user\n"
            "                         message for templates that reject one\n"
            "  --keep-bos-eos         keep a leading BOS text and a trailing EOS text (by\n"
            "                         default one of each is dropped, as llama.cpp does)\n"
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
                        "(--jinja renders it with the Jinja engine)\n",
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
                        "and \"content\" are read without --jinja)\n",
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

/* What --jinja takes besides the template and the messages. */
typedef struct jinja_opts {
    const char *bos, *eos, *tools_path, *documents_path;
    int64_t now;
    bool polyfill, keep_bos_eos;
} jinja_opts;

/* A whole file as a NUL-terminated string, refused when it holds a NUL
 * byte (the library takes C strings); NULL after a message. */
static char *read_text(const char *path) {
    size_t len = 0;
    char *text = read_whole(path, &len);
    if (!text) return NULL;
    const char *why = NULL;
    char *z = tool_cstring(text, len, &why);
    if (!z) fprintf(stderr, "llamac chat-template: %s: %s\n", path, why);
    return z;
}

/* llama.cpp's rule (common/chat.cpp, apply(), at c392e50): one leading BOS
 * text and one trailing EOS text are dropped from the rendered prompt, since
 * tokenization adds them again. An empty token text drops nothing. */
static void drop_bos_eos(const char *out, size_t *start, size_t *len, const char *bos, const char *eos) {
    const size_t nb = strlen(bos), ne = strlen(eos);
    if (nb && *len >= nb && memcmp(out + *start, bos, nb) == 0) {
        *start += nb;
        *len -= nb;
    }
    if (ne && *len >= ne && memcmp(out + *start + *len - ne, eos, ne) == 0) *len -= ne;
}

/* Renders the template file through llamac_chat_render_jinja and writes
 * the prompt; 0 or 1. */
static int render_jinja(const char *tmpl_path, const char *messages_path, bool add_gen, const jinja_opts *o) {
    char *tmpl = read_text(tmpl_path);
    char *msgs = tmpl ? read_text(messages_path) : NULL;
    char *tools = msgs && o->tools_path ? read_text(o->tools_path) : NULL;
    char *docs = msgs && (!o->tools_path || tools) && o->documents_path ? read_text(o->documents_path) : NULL;
    char *buf = NULL;
    int rc = 1;
    if (!msgs || (o->tools_path && !tools) || (o->documents_path && !docs)) goto done;
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.add_generation_prompt = add_gen;
    p.bos_token = o->bos;
    p.eos_token = o->eos;
    p.messages_json = msgs;
    p.tools_json = tools;
    p.documents_json = docs;
    p.now = o->now;
    p.system_polyfill = o->polyfill;
    size_t cap = 1 << 16, need = 0;
    llamac_status st = LLAMAC_ERR_NO_MEMORY;
    /* One render when the prompt fits the first buffer, two otherwise. */
    for (int attempt = 0; attempt < 2; attempt++) {
        char *nb = realloc(buf, cap);
        if (!nb) {
            st = LLAMAC_ERR_NO_MEMORY;
            break;
        }
        buf = nb;
        st = llamac_chat_render_jinja(tmpl, NULL, 0, &p, buf, cap, &need);
        if (st != LLAMAC_ERR_BUFFER_TOO_SMALL) break;
        cap = need ? need : 1;
    }
    if (st != LLAMAC_OK) {
        fprintf(stderr, "llamac chat-template: %s: %s\n", tmpl_path,
                st == LLAMAC_ERR_NO_MEMORY && !buf ? "out of memory" : llamac_last_error());
        goto done;
    }
    size_t start = 0;
    if (!o->keep_bos_eos) drop_bos_eos(buf, &start, &need, o->bos, o->eos);
    if (fwrite(buf + start, 1, need, stdout) != need || fflush(stdout) != 0)
        fprintf(stderr, "llamac chat-template: cannot write the prompt to stdout\n");
    else
        rc = 0;
done:
    free(buf);
    free(docs);
    free(tools);
    free(msgs);
    free(tmpl);
    return rc;
}

int cmd_chat_template(int argc, char **argv) {
    const char *tmpl_arg = NULL, *messages_path = NULL;
    bool add_gen = false, detect = false, jinja = false;
    jinja_opts jo = {.bos = "", .eos = "", .now = LLAMAC_JINJA_NOW_CURRENT, .polyfill = true};
    const char *jinja_only = NULL; /* the first option that needs --jinja */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bool has_value = i + 1 < argc;
        const bool takes_value =
            !strcmp(a, "--template") || !strcmp(a, "--messages") || !strcmp(a, "--prompt-limit") ||
            !strcmp(a, "--bos") || !strcmp(a, "--eos") || !strcmp(a, "--tools") || !strcmp(a, "--documents") ||
            !strcmp(a, "--now");
        const bool needs_jinja = !strcmp(a, "--bos") || !strcmp(a, "--eos") || !strcmp(a, "--tools") ||
                                 !strcmp(a, "--documents") || !strcmp(a, "--now") ||
                                 !strcmp(a, "--no-system-polyfill") || !strcmp(a, "--keep-bos-eos");
        if (needs_jinja && !jinja_only) jinja_only = a;
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
        } else if (!strcmp(a, "--jinja")) {
            jinja = true;
        } else if (!strcmp(a, "--bos")) {
            jo.bos = argv[++i];
        } else if (!strcmp(a, "--eos")) {
            jo.eos = argv[++i];
        } else if (!strcmp(a, "--tools")) {
            jo.tools_path = argv[++i];
        } else if (!strcmp(a, "--documents")) {
            jo.documents_path = argv[++i];
        } else if (!strcmp(a, "--now")) {
            uint64_t now = 0;
            if (!tool_opt_u64("chat-template", a, argv[++i], &now)) return 2;
            if (now > (uint64_t)INT64_MAX) {
                fprintf(stderr, "llamac chat-template: --now takes seconds since 1970 up to %lld, not '%s'\n",
                        (long long)INT64_MAX, argv[i]);
                return 2;
            }
            jo.now = (int64_t)now;
        } else if (!strcmp(a, "--no-system-polyfill")) {
            jo.polyfill = false;
        } else if (!strcmp(a, "--keep-bos-eos")) {
            jo.keep_bos_eos = true;
        } else {
            fprintf(stderr, "llamac chat-template: unexpected argument '%s'\n", a);
            chat_template_usage(stderr);
            return 2;
        }
    }
    char needs[96];
    snprintf(needs, sizeof needs, "%s needs --jinja", jinja_only ? jinja_only : "");
    const char *missing = !tmpl_arg                     ? "need --template NAME|FILE"
                          : jinja && detect             ? "--jinja renders; it takes no --detect"
                          : !jinja && jinja_only        ? needs
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

    if (jinja) {
        struct stat sb;
        if (stat(tmpl_arg, &sb) != 0) {
            fprintf(stderr, "llamac chat-template: --jinja renders a template file; '%s' is not one\n", tmpl_arg);
            return 1;
        }
        return render_jinja(tmpl_arg, messages_path, add_gen, &jo);
    }

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
