/* Fault 5 on the reference files of ../shared: loading each tiny model and
 * each vocabulary successfully leaves llamac_last_error() as it was. Its
 * own program because it skips without ../shared. */
#include "test_util.h"

#include "llamac.h"

#include <string.h>

static const char *const models[] = {
    "models/tiny-F32.gguf",  "models/tiny-F16.gguf",    "models/tiny-BF16.gguf",   "models/tiny-Q8_0.gguf",
    "models/tiny-Q4_0.gguf", "models/tiny-Q4_1.gguf",   "models/tiny-Q5_0.gguf",   "models/tiny-Q5_1.gguf",
    "models/tiny-Q2_K.gguf", "models/tiny-Q3_K_M.gguf", "models/tiny-Q4_K_M.gguf", "models/tiny-Q5_K_M.gguf",
    "models/tiny-Q6_K.gguf", "models/tiny-IQ4_NL.gguf", "models/tiny-IQ4_XS.gguf",
};
static const char *const vocabs[] = {"vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-bpe.gguf"};

static void known_message(char *buf, size_t size) {
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open("/nonexistent-dir/llamac-known-failure.gguf", NULL, &g), LLAMAC_ERR_IO);
    snprintf(buf, size, "%s", llamac_last_error());
}

/* Loads `path` as a vocabulary or a model, keeps llamac_last_error() in msg
 * while the object is alive, then frees it; returns the load status. */
static llamac_status load(const char *path, bool vocab, char *msg, size_t size) {
    llamac_model *m = NULL;
    llamac_vocab *v = NULL;
    const llamac_status st = vocab ? llamac_vocab_load(path, NULL, &v) : llamac_model_load(path, NULL, &m);
    snprintf(msg, size, "%s", llamac_last_error());
    llamac_vocab_free(v);
    llamac_model_free(m);
    return st;
}

/* Every file of `files` that ../shared holds loads after a known failure
 * and leaves its message; skips when none is there. */
static void loads_leave_the_message(const char *const *files, size_t n, bool vocab) {
    char buf[4096], want[512], msg[4096];
    int loaded = 0;
    for (size_t i = 0; i < n; i++) {
        const char *path = shared_path(buf, sizeof buf, files[i]);
        if (!path) continue;
        known_message(want, sizeof want);
        if (load(path, vocab, msg, sizeof msg) != LLAMAC_OK) fail_msg("%s: %s", files[i], msg);
        if (strcmp(msg, want) != 0) fail_msg("loading %s changed the message to '%s'", files[i], msg);
        loaded++;
    }
    if (loaded == 0) skip();
}

static void model_loads_leave_the_message(void **state) {
    (void)state;
    loads_leave_the_message(models, sizeof models / sizeof models[0], false);
}

static void vocab_loads_leave_the_message(void **state) {
    (void)state;
    loads_leave_the_message(vocabs, sizeof vocabs / sizeof vocabs[0], true);
}

int main(void) {
    return run_cases(NULL, NULL, model_loads_leave_the_message, vocab_loads_leave_the_message);
}
