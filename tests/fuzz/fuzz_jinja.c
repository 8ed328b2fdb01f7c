/* libFuzzer target for the Jinja engine (llamac_chat_render_jinja; see
 * docs/fuzzing.md and docs/chat.md). Input: one switch byte, then the
 * template text (not NUL-terminated; copied and terminated here).
 *   bit 0: add_generation_prompt;  bit 1: system_polyfill;
 *   bit 2: pass tools and documents;  bit 3: messages from messages_json
 *   (with a tool call and typed content) instead of the array.
 * Small limits keep every input fast. Properties: the status is one the
 * call documents; a failure has a "line L, column C" message and *n_out 0;
 * a success fits max_output_bytes, renders the same text again (the clock
 * is fixed) and fills a one-byte-short buffer with the same prefix and
 * LLAMAC_ERR_BUFFER_TOO_SMALL. */
#include "llamac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_LIMIT ((size_t)64 << 10)

static const llamac_chat_message msgs[] = {
    {"system", "You are {{ helpful }}."},
    {"user", "Hi \xc3\xa9 \xf0\x9f\x98\x80 {% if %}"},
    {"assistant", ""},
    {"user", "  spaced\n"},
};

static const char *const messages_json =
    "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"T\"}]},"
    " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\": \"function\", \"function\": "
    "{\"name\": \"f\", \"arguments\": {\"x\": 1.5, \"y\": [true, null]}}}]},"
    " {\"role\": \"tool\", \"content\": \"42\", \"name\": \"f\"}]";

static llamac_status render(const char *tmpl, unsigned sw, char *buf, size_t cap, size_t *n) {
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.add_generation_prompt = sw & 1;
    p.system_polyfill = (sw >> 1) & 1;
    if (sw & 4) {
        p.tools_json = "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}]";
        p.documents_json = "[{\"title\": \"d\", \"text\": \"body\"}]";
    }
    if (sw & 8) p.messages_json = messages_json;
    p.bos_token = "<s>";
    p.eos_token = "</s>";
    p.now = 1735787045;
    p.max_steps = 200000;
    p.max_depth = 100;
    p.max_output_bytes = OUT_LIMIT;
    p.max_memory_bytes = (size_t)8 << 20;
    return llamac_chat_render_jinja(tmpl, msgs, sizeof msgs / sizeof msgs[0], &p, buf, cap, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned sw = data[0];
    char *tmpl = malloc(size);
    if (!tmpl) return 0;
    memcpy(tmpl, data + 1, size - 1);
    tmpl[size - 1] = '\0';
    char *out = malloc(OUT_LIMIT + 1), *again = malloc(OUT_LIMIT + 1);
    if (!out || !again) abort();
    size_t n = 7;
    const llamac_status st = render(tmpl, sw, out, OUT_LIMIT + 1, &n);
    if (st == LLAMAC_OK) {
        if (n > OUT_LIMIT) abort();
        size_t m = 0;
        if (render(tmpl, sw, again, OUT_LIMIT + 1, &m) != LLAMAC_OK || m != n || memcmp(out, again, n) != 0) abort();
        if (n > 0) {
            if (render(tmpl, sw, again, n - 1, &m) != LLAMAC_ERR_BUFFER_TOO_SMALL || m != n) abort();
            if (memcmp(out, again, n - 1) != 0) abort();
        }
    } else if (st == LLAMAC_ERR_FORMAT || st == LLAMAC_ERR_UNSUPPORTED || st == LLAMAC_ERR_LIMIT) {
        if (n != 0 || !strstr(llamac_last_error(), "line ") || !strstr(llamac_last_error(), ", column ")) abort();
    } else {
        abort();
    }
    free(out);
    free(again);
    free(tmpl);
    return 0;
}
