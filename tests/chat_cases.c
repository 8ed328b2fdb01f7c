/* The parser of tests/data/chat/peer_cases.txt (chat_cases.h). */
#include "chat_cases.h"

#include "test_files.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const llamac_chat_message peer_conversation[PEER_CONVERSATION_LEN] = {
    {"system", "You are a helpful assistant"},
    {"user", "Hello"},
    {"assistant", "Hi there"},
    {"user", "Who are you"},
    {"assistant", "   I am an assistant   "},
    {"user", "Another question"},
};

/* Decodes the quoted value starting at p (at its opening quote) in place;
 * returns the value, NUL-terminated. */
static char *unquote(char *p) {
    assert_int_equal(*p, '"');
    char *out = p, *in = p + 1, *start = p;
    for (;; in++) {
        assert_true(*in != '\0' && *in != '\n');
        if (*in == '"') break;
        if (*in == '\\') {
            in++;
            switch (*in) {
            case 'n': *out++ = '\n'; break;
            case 't': *out++ = '\t'; break;
            case 'r': *out++ = '\r'; break;
            case '\\': *out++ = '\\'; break;
            case '"': *out++ = '"'; break;
            default: fail_msg("unknown escape \\%c in %s", *in, "peer_cases.txt");
            }
        } else {
            *out++ = *in;
        }
    }
    assert_true(in[1] == '\0' || in[1] == '\n');
    *out = '\0';
    return start;
}

/* The marker of `jinja "unsupported"` while a record is read. */
static char unsupported[] = "unsupported";

int peer_cases_load(peer_cases *pc) {
    memset(pc, 0, sizeof *pc);
    const char *dir = getenv("LLAMAC_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/chat/peer_cases.txt", dir ? dir : "tests/data");
    pc->text = test_read_file(path, NULL);
    if (!pc->text) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    peer_case *c = NULL;
    for (char *line = pc->text, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        if (*line == '#' || *line == '\0') continue;
        char *sp = strchr(line, ' ');
        if (strcmp(line, "end") == 0) {
            if (!c || !c->builtin || !c->tmpl || !c->expected || !c->bos || !c->eos) return -1;
            if (c->jinja_expected == unsupported) c->jinja_expected = NULL;
            else if (!c->jinja_expected) c->jinja_expected = c->expected;
            c = NULL;
            continue;
        }
        if (!sp) return -1;
        *sp = '\0';
        if (sp[1] != '"') return -1;
        if (strcmp(line, "case") == 0) {
            if (c || pc->n == PEER_MAX_CASES) return -1;
            c = &pc->cases[pc->n++];
            c->name = unquote(sp + 1);
            continue;
        }
        if (!c) return -1;
        char **field = strcmp(line, "builtin") == 0    ? &c->builtin
                       : strcmp(line, "template") == 0 ? &c->tmpl
                       : strcmp(line, "expected") == 0 ? &c->expected
                       : strcmp(line, "bos") == 0      ? &c->bos
                       : strcmp(line, "eos") == 0      ? &c->eos
                       : strcmp(line, "expected_jinja") == 0 || strcmp(line, "jinja") == 0 ? &c->jinja_expected
                       : strcmp(line, "jinja2_expected") == 0                               ? &c->jinja2_expected
                                                                                            : NULL;
        if (!field || *field) return -1; /* unknown or repeated */
        *field = unquote(sp + 1);
        if (strcmp(line, "jinja") == 0) {
            if (strcmp(*field, "unsupported") != 0) return -1;
            *field = unsupported;
        }
    }
    return c || pc->n == 0 ? -1 : 0;
}

void peer_cases_free(peer_cases *pc) {
    free(pc->text);
    pc->text = NULL;
    pc->n = 0;
}

void chat_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Appends s as a JSON string literal. */
static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

void peer_conversation_write_json(const char *path) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("[\n", f);
    for (int i = 0; i < PEER_CONVERSATION_LEN; i++) {
        fputs(i ? ",\n  {\"role\": " : "  {\"role\": ", f);
        json_string(f, peer_conversation[i].role);
        fputs(", \"content\": ", f);
        json_string(f, peer_conversation[i].content);
        fputc('}', f);
    }
    fputs("\n]\n", f);
    assert_int_equal(fclose(f), 0);
}
