/* llama.cpp's chat-template test cases at c392e50, as kept in
 * tests/data/chat/peer_cases.txt (its header describes the format), and
 * the one conversation every case formats. Shared by the library's test
 * (test_chat.c) and the CLI's (test_chat_cli.c). */
#ifndef LLAMAC_TESTS_CHAT_CASES_H
#define LLAMAC_TESTS_CHAT_CASES_H

#include "llamac.h"

#include <stddef.h>

/* The peer test's fixed conversation (system, user, assistant, user,
 * assistant, user). */
extern const llamac_chat_message peer_conversation[];
#define PEER_CONVERSATION_LEN 6

typedef struct peer_case {
    char *name, *builtin, *tmpl, *expected, *bos, *eos;
    /* What the peer's Jinja path prints: expected_jinja when the file gives
     * one, else expected. NULL when the peer marks the case unsupported by
     * its Jinja engine. */
    char *jinja_expected;
    /* Python's jinja2 output where it disagrees with jinja_expected (the
     * peer's engine differs from jinja2 there), else NULL. */
    char *jinja2_expected;
} peer_case;

#define PEER_MAX_CASES 64
typedef struct peer_cases {
    peer_case cases[PEER_MAX_CASES];
    int n;
    char *text; /* the file's bytes; the fields point into it */
} peer_cases;

/* Reads $LLAMAC_TEST_DATA/chat/peer_cases.txt (tests/data when unset) into
 * pc. Returns 0, or -1 (with a line on stderr for a missing file) when the
 * file is absent or malformed; a bad escape fails the running test. */
int peer_cases_load(peer_cases *pc);
void peer_cases_free(peer_cases *pc);

/* Writes text to path (the running case fails when it cannot). */
void chat_write_text(const char *path, const char *text);
/* Writes the peer's conversation to path as a JSON array of {"role",
 * "content"} objects (escapes written by hand here, so the tests do not lean
 * on the JSON writer of the library they test). */
void peer_conversation_write_json(const char *path);

#endif
