/* The error model (docs/api.md, "Error model") over every exported
 * function: each is called with NULL for each pointer argument and with
 * zero or negative sizes, through the shared library.
 *   - status calls return LLAMAC_ERR_INVALID_ARG and set a message naming
 *     the function and the argument;
 *   - getters return their documented neutral value and leave the message
 *     alone; void calls do nothing and leave it alone;
 *   - constructors that return a handle return NULL with such a message.
 * The export list is read from the ELF dynamic symbol table of the built
 * libllamac.so (argv[1]); an exported function without an entry in the
 * table below fails the test, so every new function must be added here.
 * argv[2] is the shipped model, which gives real handles for the calls
 * whose other arguments must be valid. */
#include "test_util.h"

#include "llamac.h"

#include <elf.h>
#include <stdbool.h>
#include <string.h>

static const char *lib_path, *model_path;

/* ---- message checks ---- */

/* A failure whose message no call under test can produce: set before each
 * check, so "unchanged" and "replaced" are both visible. */
static char sentinel[512];

static void set_sentinel(void) {
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open("/nonexistent-dir/llamac-null-sentinel.gguf", NULL, &g), LLAMAC_ERR_IO);
    snprintf(sentinel, sizeof sentinel, "%s", llamac_last_error());
    assert_non_null(strstr(sentinel, "llamac-null-sentinel"));
}

static void message_unchanged(const char *expr) {
    if (strcmp(llamac_last_error(), sentinel) != 0)
        fail_msg("%s changed the thread's message to '%s'", expr, llamac_last_error());
}

static void message_names(const char *expr, const char *function, const char *argument) {
    const char *msg = llamac_last_error();
    if (!strstr(msg, function) || !strstr(msg, argument))
        fail_msg("%s: message '%s' does not name %s and %s", expr, msg, function, argument);
}

static void expect_refused(llamac_status st, const char *expr, const char *function, const char *argument) {
    if (st != LLAMAC_ERR_INVALID_ARG)
        fail_msg("%s returned %s, expected LLAMAC_ERR_INVALID_ARG", expr, llamac_status_name(st));
    message_names(expr, function, argument);
}

/* The exported function the running probe covers. */
static const char *fn;

/* Status call: INVALID_ARG, message naming fn and `argument`. */
#define REFUSED(call, argument)                              \
    do {                                                     \
        set_sentinel();                                      \
        expect_refused((call), #call, fn, argument);         \
    } while (0)
/* Status call refused for a reason other than a NULL: INVALID_ARG, message set. */
#define INVALID(call)                                                                      \
    do {                                                                                   \
        set_sentinel();                                                                    \
        llamac_status st_ = (call);                                                        \
        if (st_ != LLAMAC_ERR_INVALID_ARG)                                                 \
            fail_msg("%s returned %s, expected LLAMAC_ERR_INVALID_ARG", #call,             \
                     llamac_status_name(st_));                                             \
        if (strcmp(llamac_last_error(), sentinel) == 0) fail_msg("%s set no message", #call); \
    } while (0)
/* Any documented status other than OK, with a message (no crash is the point). */
#define FAILS_WITH(call, status)                                                              \
    do {                                                                                      \
        set_sentinel();                                                                       \
        llamac_status st_ = (call);                                                           \
        if (st_ != (status))                                                                  \
            fail_msg("%s returned %s, expected %s", #call, llamac_status_name(st_), #status); \
        if (strcmp(llamac_last_error(), sentinel) == 0) fail_msg("%s set no message", #call); \
    } while (0)
/* A call that succeeds: OK and the message untouched. */
#define SUCCEEDS(call)                                                                      \
    do {                                                                                    \
        set_sentinel();                                                                     \
        llamac_status st_ = (call);                                                         \
        if (st_ != LLAMAC_OK) fail_msg("%s returned %s", #call, llamac_status_name(st_));  \
        message_unchanged(#call);                                                           \
    } while (0)
/* Getter: the condition on its neutral value holds, the message is untouched. */
#define NEUTRAL(cond)                                   \
    do {                                                \
        set_sentinel();                                 \
        if (!(cond)) fail_msg("not true: %s", #cond);   \
        message_unchanged(#cond);                       \
    } while (0)
/* Void call: returns, message untouched. */
#define QUIET(call)                \
    do {                           \
        set_sentinel();            \
        call;                      \
        message_unchanged(#call);  \
    } while (0)
/* Constructor: NULL with a message naming fn and `argument`. */
#define CTOR_REFUSED(call, argument)                                     \
    do {                                                                 \
        set_sentinel();                                                  \
        if ((call) != NULL) fail_msg("%s did not return NULL", #call);   \
        message_names(#call, fn, argument);                              \
    } while (0)

/* Every *_params_init: NULL or a size below sizeof(size_t) writes nothing;
 * size sizeof(size_t) writes struct_size only. */
#define PARAMS_INIT_PROBE(type, init)                                      \
    do {                                                                   \
        type p_;                                                           \
        QUIET(init(NULL, sizeof p_));                                      \
        QUIET(init(NULL, 0));                                              \
        memset(&p_, 0xAB, sizeof p_);                                      \
        QUIET(init(&p_, 0));                                               \
        QUIET(init(&p_, sizeof(size_t) - 1));                              \
        unsigned char b_[sizeof p_];                                       \
        memset(b_, 0xAB, sizeof b_);                                       \
        assert_memory_equal(&p_, b_, sizeof p_);                           \
        QUIET(init(&p_, sizeof(size_t)));                                  \
        assert_int_equal(p_.struct_size, sizeof(size_t));                  \
        assert_memory_equal((unsigned char *)&p_ + sizeof(size_t), b_ + sizeof(size_t), \
                            sizeof p_ - sizeof(size_t));                   \
        QUIET(init(&p_, sizeof p_));                                       \
        assert_int_equal(p_.struct_size, sizeof p_);                       \
    } while (0)

/* ---- real handles for the arguments that must be valid ---- */

static struct {
    llamac_model *model;
    const llamac_vocab *vocab;
    const llamac_gguf *gguf;
    llamac_context *ctx;
    llamac_gguf_writer *writer;
    llamac_sampler *chain; /* greedy */
    llamac_detok *detok;
    llamac_generator *gen;
    llamac_batch batch;
} F;

static int setup(void **state) {
    (void)state;
    if (llamac_model_load(model_path, NULL, &F.model) != LLAMAC_OK) {
        fprintf(stderr, "loading %s: %s\n", model_path, llamac_last_error());
        return -1;
    }
    F.vocab = llamac_model_vocab(F.model);
    F.gguf = llamac_model_gguf(F.model);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 16;
    cp.n_threads = 1;
    F.chain = llamac_sampler_chain_new(NULL);
    if (!F.vocab || !F.gguf || llamac_context_new(F.model, &cp, &F.ctx) != LLAMAC_OK ||
        llamac_gguf_writer_new(NULL, &F.writer) != LLAMAC_OK || !F.chain ||
        llamac_sampler_chain_add(F.chain, llamac_sampler_init_greedy(NULL)) != LLAMAC_OK ||
        llamac_detok_new(F.vocab, NULL, &F.detok) != LLAMAC_OK ||
        llamac_generator_new(F.ctx, F.chain, NULL, &F.gen) != LLAMAC_OK ||
        llamac_batch_init(&F.batch, 4, 1, NULL) != LLAMAC_OK) {
        fprintf(stderr, "fixture: %s\n", llamac_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    llamac_generator_free(F.gen);
    llamac_detok_free(F.detok);
    llamac_sampler_free(F.chain);
    llamac_batch_free(&F.batch);
    llamac_gguf_writer_free(F.writer);
    llamac_context_free(F.ctx);
    llamac_model_free(F.model);
    return 0;
}

/* ---- 1. version, status, errors; types ---- */

static void p_version(void) { NEUTRAL(strcmp(llamac_version(), LLAMAC_VERSION_STRING) == 0); }
static void p_version_number(void) { NEUTRAL(llamac_version_number() == LLAMAC_VERSION_NUMBER); }
static void p_status_name(void) {
    NEUTRAL(strcmp(llamac_status_name((llamac_status)-1), "LLAMAC_ERR_UNKNOWN") == 0);
    NEUTRAL(strcmp(llamac_status_name(LLAMAC_ERR_BUFFER_TOO_SMALL), "LLAMAC_ERR_BUFFER_TOO_SMALL") == 0);
    NEUTRAL(strcmp(llamac_status_name(LLAMAC_ERR_MISMATCH), "LLAMAC_ERR_MISMATCH") == 0);
    NEUTRAL(strcmp(llamac_status_name(LLAMAC_ERR_LIMIT), "LLAMAC_ERR_LIMIT") == 0);
}
static void p_last_error(void) { NEUTRAL(llamac_last_error() != NULL && strcmp(llamac_last_error(), sentinel) == 0); }
static void p_type_name(void) {
    NEUTRAL(llamac_type_name((llamac_type)-1) == NULL && llamac_type_name(LLAMAC_TYPE_COUNT) == NULL &&
            llamac_type_name((llamac_type)4) == NULL);
}
static void p_type_block_size(void) { NEUTRAL(llamac_type_block_size((llamac_type)-1) == 0); }
static void p_type_block_bytes(void) { NEUTRAL(llamac_type_block_bytes((llamac_type)-1) == 0); }
static void p_gguf_type_name(void) {
    NEUTRAL(llamac_gguf_type_name((llamac_gguf_type)-1) == NULL && llamac_gguf_type_name((llamac_gguf_type)13) == NULL);
}

/* ---- 3. GGUF reading ---- */

static void p_gguf_params_init(void) { PARAMS_INIT_PROBE(llamac_gguf_params, llamac_gguf_params_init); }
static void p_gguf_open(void) {
    llamac_gguf *g = (llamac_gguf *)&g;
    REFUSED(llamac_gguf_open(NULL, NULL, &g), "path");
    assert_null(g);
    REFUSED(llamac_gguf_open(model_path, NULL, NULL), "out");
    llamac_gguf_params p = llamac_gguf_default_params();
    p.struct_size = 0;
    INVALID(llamac_gguf_open(model_path, &p, &g));
}
static void p_gguf_open_memory(void) {
    llamac_gguf *g = NULL;
    static const char bytes[8] = "GGUF";
    REFUSED(llamac_gguf_open_memory(NULL, 10, NULL, &g), "data");
    REFUSED(llamac_gguf_open_memory(bytes, sizeof bytes, NULL, NULL), "out");
    FAILS_WITH(llamac_gguf_open_memory(NULL, 0, NULL, &g), LLAMAC_ERR_FORMAT);
    assert_null(g);
}
static void p_gguf_free(void) { QUIET(llamac_gguf_free(NULL)); }
static void p_gguf_version(void) { NEUTRAL(llamac_gguf_version(NULL) == 0); }
static void p_gguf_alignment(void) { NEUTRAL(llamac_gguf_alignment(NULL) == 0); }
static void p_gguf_data_offset(void) { NEUTRAL(llamac_gguf_data_offset(NULL) == 0); }
static void p_gguf_n_kv(void) { NEUTRAL(llamac_gguf_n_kv(NULL) == 0); }
static void p_gguf_find_key(void) {
    NEUTRAL(llamac_gguf_find_key(NULL, "general.name") == -1 && llamac_gguf_find_key(F.gguf, NULL) == -1);
}
static void p_gguf_key(void) {
    NEUTRAL(llamac_gguf_key(NULL, 0) == NULL && llamac_gguf_key(F.gguf, -1) == NULL &&
            llamac_gguf_key(F.gguf, llamac_gguf_n_kv(F.gguf)) == NULL);
}
static void p_gguf_kv_type(void) {
    NEUTRAL(llamac_gguf_kv_type(NULL, 0) == (llamac_gguf_type)-1 &&
            llamac_gguf_kv_type(F.gguf, -1) == (llamac_gguf_type)-1);
}
#define GETTER_PROBE(suffix, ctype, key)                                      \
    static void p_gguf_get_##suffix(void) {                                   \
        ctype v;                                                              \
        REFUSED(llamac_gguf_get_##suffix(NULL, key, &v), "gguf");             \
        REFUSED(llamac_gguf_get_##suffix(F.gguf, NULL, &v), "key");           \
        SUCCEEDS(llamac_gguf_get_##suffix(F.gguf, key, NULL));                \
    }
GETTER_PROBE(u32, uint32_t, "llama.block_count")
GETTER_PROBE(i32, int32_t, "llama.block_count")
GETTER_PROBE(u64, uint64_t, "llama.block_count")
GETTER_PROBE(i64, int64_t, "llama.block_count")
GETTER_PROBE(f32, float, "llama.rope.freq_base")
GETTER_PROBE(f64, double, "llama.rope.freq_base")
GETTER_PROBE(bool, bool, "tokenizer.ggml.add_bos_token")
static void p_gguf_get_string(void) {
    const char *s;
    uint64_t n;
    REFUSED(llamac_gguf_get_string(NULL, "general.name", &s, &n), "gguf");
    REFUSED(llamac_gguf_get_string(F.gguf, NULL, &s, &n), "key");
    SUCCEEDS(llamac_gguf_get_string(F.gguf, "general.name", NULL, NULL));
}
static void p_gguf_get_array(void) {
    uint64_t n;
    REFUSED(llamac_gguf_get_array(NULL, "tokenizer.ggml.tokens", NULL, &n, NULL), "gguf");
    REFUSED(llamac_gguf_get_array(F.gguf, NULL, NULL, &n, NULL), "key");
    SUCCEEDS(llamac_gguf_get_array(F.gguf, "tokenizer.ggml.tokens", NULL, NULL, NULL));
}
static void p_gguf_get_array_string(void) {
    const char *s;
    REFUSED(llamac_gguf_get_array_string(NULL, "tokenizer.ggml.tokens", 0, &s, NULL), "gguf");
    REFUSED(llamac_gguf_get_array_string(F.gguf, NULL, 0, &s, NULL), "key");
    SUCCEEDS(llamac_gguf_get_array_string(F.gguf, "tokenizer.ggml.tokens", 0, NULL, NULL));
    INVALID(llamac_gguf_get_array_string(F.gguf, "tokenizer.ggml.tokens", UINT64_MAX, &s, NULL));
}
static void p_gguf_n_tensors(void) { NEUTRAL(llamac_gguf_n_tensors(NULL) == 0); }
static void p_gguf_find_tensor(void) {
    NEUTRAL(llamac_gguf_find_tensor(NULL, "output_norm.weight") == -1 && llamac_gguf_find_tensor(F.gguf, NULL) == -1);
}
static void p_gguf_tensor(void) {
    llamac_tensor_info ti;
    REFUSED(llamac_gguf_tensor(NULL, 0, &ti), "gguf");
    REFUSED(llamac_gguf_tensor(F.gguf, 0, NULL), "out");
    INVALID(llamac_gguf_tensor(F.gguf, -1, &ti));
}

/* ---- 3. GGUF writing ---- */

static void p_gguf_writer_new(void) { REFUSED(llamac_gguf_writer_new(NULL, NULL), "out"); }
static void p_gguf_writer_free(void) { QUIET(llamac_gguf_writer_free(NULL)); }
#define SETTER_PROBE(suffix, value)                                              \
    static void p_gguf_writer_set_##suffix(void) {                               \
        REFUSED(llamac_gguf_writer_set_##suffix(NULL, "k", value), "w");         \
        REFUSED(llamac_gguf_writer_set_##suffix(F.writer, NULL, value), "key");  \
        INVALID(llamac_gguf_writer_set_##suffix(F.writer, "", value));           \
    }
SETTER_PROBE(u32, 1u)
SETTER_PROBE(i32, -1)
SETTER_PROBE(u64, 1u)
SETTER_PROBE(f32, 1.0f)
SETTER_PROBE(bool, true)
static void p_gguf_writer_set_string(void) {
    REFUSED(llamac_gguf_writer_set_string(NULL, "k", "v"), "w");
    REFUSED(llamac_gguf_writer_set_string(F.writer, NULL, "v"), "key");
    REFUSED(llamac_gguf_writer_set_string(F.writer, "k", NULL), "str");
}
static void p_gguf_writer_set_value(void) {
    const uint32_t v[2] = {1, 2};
    REFUSED(llamac_gguf_writer_set_value(NULL, "k", LLAMAC_GGUF_UINT32, true, v, 2), "w");
    REFUSED(llamac_gguf_writer_set_value(F.writer, NULL, LLAMAC_GGUF_UINT32, true, v, 2), "key");
    REFUSED(llamac_gguf_writer_set_value(F.writer, "k", LLAMAC_GGUF_UINT32, true, NULL, 2), "data");
    INVALID(llamac_gguf_writer_set_value(F.writer, "k", LLAMAC_GGUF_UINT32, false, v, 0));
}
static void p_gguf_writer_set_string_array(void) {
    const char *strs[2] = {"a", NULL};
    REFUSED(llamac_gguf_writer_set_string_array(NULL, "k", strs, 1), "w");
    REFUSED(llamac_gguf_writer_set_string_array(F.writer, NULL, strs, 1), "key");
    REFUSED(llamac_gguf_writer_set_string_array(F.writer, "k", NULL, 2), "strs");
    INVALID(llamac_gguf_writer_set_string_array(F.writer, "k", strs, 2));
}
static void p_gguf_writer_copy_kv(void) {
    REFUSED(llamac_gguf_writer_copy_kv(NULL, F.gguf), "w");
    REFUSED(llamac_gguf_writer_copy_kv(F.writer, NULL), "src");
}
static void p_gguf_writer_set_alignment(void) {
    REFUSED(llamac_gguf_writer_set_alignment(NULL, 32), "w");
    INVALID(llamac_gguf_writer_set_alignment(F.writer, 0));
}
static void p_gguf_writer_add_tensor(void) {
    const int64_t ne[1] = {4};
    const float data[4] = {0};
    REFUSED(llamac_gguf_writer_add_tensor(NULL, "t", LLAMAC_TYPE_F32, 1, ne, data, sizeof data), "w");
    REFUSED(llamac_gguf_writer_add_tensor(F.writer, NULL, LLAMAC_TYPE_F32, 1, ne, data, sizeof data), "name");
    REFUSED(llamac_gguf_writer_add_tensor(F.writer, "t", LLAMAC_TYPE_F32, 1, NULL, data, sizeof data), "ne");
    REFUSED(llamac_gguf_writer_add_tensor(F.writer, "t", LLAMAC_TYPE_F32, 1, ne, NULL, sizeof data), "data");
    INVALID(llamac_gguf_writer_add_tensor(F.writer, "t", LLAMAC_TYPE_F32, 0, ne, data, sizeof data));
}
static llamac_status fill_zeros(void *user, const char *name, void *dst, uint64_t n_bytes) {
    (void)user;
    (void)name;
    memset(dst, 0, (size_t)n_bytes);
    return LLAMAC_OK;
}
static void p_gguf_writer_add_tensor_fn(void) {
    const int64_t ne[1] = {4};
    REFUSED(llamac_gguf_writer_add_tensor_fn(NULL, "t", LLAMAC_TYPE_F32, 1, ne, 16, fill_zeros, NULL), "w");
    REFUSED(llamac_gguf_writer_add_tensor_fn(F.writer, NULL, LLAMAC_TYPE_F32, 1, ne, 16, fill_zeros, NULL), "name");
    REFUSED(llamac_gguf_writer_add_tensor_fn(F.writer, "t", LLAMAC_TYPE_F32, 1, NULL, 16, fill_zeros, NULL), "ne");
    REFUSED(llamac_gguf_writer_add_tensor_fn(F.writer, "t", LLAMAC_TYPE_F32, 1, ne, 16, NULL, NULL), "fill");
}
static void p_gguf_writer_write(void) {
    REFUSED(llamac_gguf_writer_write(NULL, "/nonexistent-dir/x.gguf"), "w");
    REFUSED(llamac_gguf_writer_write(F.writer, NULL), "path");
}

/* ---- 4. tokenizer ---- */

static void p_vocab_params_init(void) { PARAMS_INIT_PROBE(llamac_vocab_params, llamac_vocab_params_init); }
static void p_vocab_load(void) {
    llamac_vocab *v = NULL;
    REFUSED(llamac_vocab_load(NULL, NULL, &v), "path");
    REFUSED(llamac_vocab_load(model_path, NULL, NULL), "out");
}
static void p_vocab_from_gguf(void) {
    llamac_vocab *v = NULL;
    REFUSED(llamac_vocab_from_gguf(NULL, NULL, &v), "gguf");
    REFUSED(llamac_vocab_from_gguf(F.gguf, NULL, NULL), "out");
}
static void p_vocab_free(void) { QUIET(llamac_vocab_free(NULL)); }
static void p_vocab_get_type(void) { NEUTRAL(llamac_vocab_get_type(NULL) == 0); }
static void p_vocab_n_tokens(void) { NEUTRAL(llamac_vocab_n_tokens(NULL) == 0); }
static void p_vocab_bos(void) { NEUTRAL(llamac_vocab_bos(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_eos(void) { NEUTRAL(llamac_vocab_eos(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_eot(void) { NEUTRAL(llamac_vocab_eot(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_eom(void) { NEUTRAL(llamac_vocab_eom(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_unk(void) { NEUTRAL(llamac_vocab_unk(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_pad(void) { NEUTRAL(llamac_vocab_pad(NULL) == LLAMAC_TOKEN_NULL); }
static void p_vocab_add_bos(void) { NEUTRAL(!llamac_vocab_add_bos(NULL)); }
static void p_vocab_add_eos(void) { NEUTRAL(!llamac_vocab_add_eos(NULL)); }
static void p_vocab_is_eog(void) { NEUTRAL(!llamac_vocab_is_eog(NULL, 2) && !llamac_vocab_is_eog(F.vocab, -1)); }
static void p_vocab_is_control(void) {
    NEUTRAL(!llamac_vocab_is_control(NULL, 1) && !llamac_vocab_is_control(F.vocab, -1));
}
static void p_vocab_token_type(void) {
    NEUTRAL(llamac_vocab_token_type(NULL, 1) == LLAMAC_TOKEN_TYPE_UNDEFINED &&
            llamac_vocab_token_type(F.vocab, -1) == LLAMAC_TOKEN_TYPE_UNDEFINED);
}
static void p_vocab_token_score(void) {
    NEUTRAL(llamac_vocab_token_score(NULL, 1) == 0.0f && llamac_vocab_token_score(F.vocab, -1) == 0.0f);
}
static void p_vocab_token_text(void) {
    size_t len = 7;
    NEUTRAL(llamac_vocab_token_text(NULL, 1, &len) == NULL && len == 0);
    NEUTRAL(llamac_vocab_token_text(F.vocab, -1, NULL) == NULL);
}
static void p_vocab_find(void) {
    NEUTRAL(llamac_vocab_find(NULL, "<s>", 3) == LLAMAC_TOKEN_NULL &&
            llamac_vocab_find(F.vocab, NULL, 3) == LLAMAC_TOKEN_NULL);
}
static void p_tokenize(void) {
    llamac_token t[4];
    int32_t n = 9;
    REFUSED(llamac_tokenize(NULL, "a", 1, t, 4, false, false, &n), "vocab");
    assert_int_equal(n, 0);
    REFUSED(llamac_tokenize(F.vocab, "a", 1, t, 4, false, false, NULL), "n_out");
    REFUSED(llamac_tokenize(F.vocab, NULL, 1, t, 4, false, false, &n), "text");
    REFUSED(llamac_tokenize(F.vocab, "a", 1, NULL, 4, false, false, &n), "tokens");
    REFUSED(llamac_tokenize(F.vocab, "a", 1, t, -1, false, false, &n), "n_tokens_max");
    FAILS_WITH(llamac_tokenize(F.vocab, "a b c", 5, NULL, 0, true, false, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_true(n > 0);
}
static void p_tokenize_flags(void) {
    llamac_token t[4];
    int32_t n = 9;
    REFUSED(llamac_tokenize_flags(NULL, "a", 1, t, 4, LLAMAC_TOKENIZE_BOS_ONCE, &n), "vocab");
    assert_int_equal(n, 0);
    REFUSED(llamac_tokenize_flags(F.vocab, "a", 1, t, 4, 0, NULL), "n_out");
    REFUSED(llamac_tokenize_flags(F.vocab, NULL, 1, t, 4, 0, &n), "text");
    REFUSED(llamac_tokenize_flags(F.vocab, "a", 1, NULL, 4, 0, &n), "tokens");
    REFUSED(llamac_tokenize_flags(F.vocab, "a", 1, t, -1, 0, &n), "n_tokens_max");
    INVALID(llamac_tokenize_flags(F.vocab, "a", 1, t, 4, 1u << 3, &n));
    FAILS_WITH(llamac_tokenize_flags(F.vocab, "a b c", 5, NULL, 0, LLAMAC_TOKENIZE_ADD_SPECIAL, &n),
               LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_true(n > 0);
}
static void p_token_to_piece(void) {
    char buf[8];
    size_t n = 9;
    REFUSED(llamac_token_to_piece(NULL, 1, buf, sizeof buf, 0, false, &n), "vocab");
    REFUSED(llamac_token_to_piece(F.vocab, 1, buf, sizeof buf, 0, false, NULL), "n_out");
    REFUSED(llamac_token_to_piece(F.vocab, 1, NULL, sizeof buf, 0, false, &n), "buf");
    FAILS_WITH(llamac_token_to_piece(F.vocab, -1, buf, sizeof buf, 0, false, &n), LLAMAC_ERR_NOT_FOUND);
    FAILS_WITH(llamac_token_to_piece(F.vocab, 1, NULL, 0, 0, true, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3); /* "<s>" */
}
static void p_detokenize(void) {
    const llamac_token t[2] = {1, 100};
    char buf[64];
    size_t n = 9;
    REFUSED(llamac_detokenize(NULL, t, 2, buf, sizeof buf, false, false, &n), "vocab");
    REFUSED(llamac_detokenize(F.vocab, t, 2, buf, sizeof buf, false, false, NULL), "n_out");
    REFUSED(llamac_detokenize(F.vocab, NULL, 2, buf, sizeof buf, false, false, &n), "tokens");
    REFUSED(llamac_detokenize(F.vocab, t, 2, NULL, sizeof buf, false, false, &n), "buf");
    REFUSED(llamac_detokenize(F.vocab, t, -1, buf, sizeof buf, false, false, &n), "n_tokens");
}
static void p_detok_params_init(void) { PARAMS_INIT_PROBE(llamac_detok_params, llamac_detok_params_init); }
static void p_detok_new(void) {
    llamac_detok *d = NULL;
    REFUSED(llamac_detok_new(NULL, NULL, &d), "vocab");
    REFUSED(llamac_detok_new(F.vocab, NULL, NULL), "out");
}
static void p_detok_push(void) {
    const char *text;
    size_t len;
    REFUSED(llamac_detok_push(NULL, 1, &text, &len), "detok");
    REFUSED(llamac_detok_push(F.detok, 1, NULL, &len), "text");
    REFUSED(llamac_detok_push(F.detok, 1, &text, NULL), "len");
}
static void p_detok_flush(void) {
    const char *text;
    size_t len;
    REFUSED(llamac_detok_flush(NULL, &text, &len), "detok");
    REFUSED(llamac_detok_flush(F.detok, NULL, &len), "text");
    REFUSED(llamac_detok_flush(F.detok, &text, NULL), "len");
}
static void p_detok_free(void) { QUIET(llamac_detok_free(NULL)); }

/* ---- 5. model ---- */

static void p_model_params_init(void) { PARAMS_INIT_PROBE(llamac_model_params, llamac_model_params_init); }
static void p_model_load(void) {
    llamac_model *m = NULL;
    REFUSED(llamac_model_load(NULL, NULL, &m), "path");
    REFUSED(llamac_model_load(model_path, NULL, NULL), "out");
}
static void p_model_free(void) { QUIET(llamac_model_free(NULL)); }
static void p_model_n_vocab(void) { NEUTRAL(llamac_model_n_vocab(NULL) == 0); }
static void p_model_n_ctx_train(void) { NEUTRAL(llamac_model_n_ctx_train(NULL) == 0); }
static void p_model_n_embd(void) { NEUTRAL(llamac_model_n_embd(NULL) == 0); }
static void p_model_n_layer(void) { NEUTRAL(llamac_model_n_layer(NULL) == 0); }
static void p_model_n_head(void) { NEUTRAL(llamac_model_n_head(NULL) == 0); }
static void p_model_n_head_kv(void) { NEUTRAL(llamac_model_n_head_kv(NULL) == 0); }
static void p_model_n_ff(void) { NEUTRAL(llamac_model_n_ff(NULL) == 0); }
static void p_model_rope_freq_base(void) { NEUTRAL(llamac_model_rope_freq_base(NULL) == 0.0f); }
static void p_model_desc(void) { NEUTRAL(llamac_model_desc(NULL) == NULL); }
static void p_model_size(void) { NEUTRAL(llamac_model_size(NULL) == 0); }
static void p_model_n_params(void) { NEUTRAL(llamac_model_n_params(NULL) == 0); }
static void p_model_gguf(void) { NEUTRAL(llamac_model_gguf(NULL) == NULL); }
static void p_model_vocab(void) { NEUTRAL(llamac_model_vocab(NULL) == NULL); }

/* ---- 6. context, batches, decoding, KV cache ---- */

static void p_context_params_init(void) { PARAMS_INIT_PROBE(llamac_context_params, llamac_context_params_init); }
static void p_context_new(void) {
    llamac_context *c = NULL;
    REFUSED(llamac_context_new(NULL, NULL, &c), "model");
    REFUSED(llamac_context_new(F.model, NULL, NULL), "out");
}
static void p_context_free(void) { QUIET(llamac_context_free(NULL)); }
static void p_context_model(void) { NEUTRAL(llamac_context_model(NULL) == NULL); }
static void p_context_n_ctx(void) { NEUTRAL(llamac_context_n_ctx(NULL) == 0); }
static void p_context_n_batch(void) { NEUTRAL(llamac_context_n_batch(NULL) == 0); }
static void p_context_n_seq_max(void) { NEUTRAL(llamac_context_n_seq_max(NULL) == 0); }
static void p_context_n_threads(void) { NEUTRAL(llamac_context_n_threads(NULL) == 0); }
static void p_batch_init(void) {
    llamac_batch b;
    REFUSED(llamac_batch_init(NULL, 4, 1, NULL), "batch");
    INVALID(llamac_batch_init(&b, 0, 1, NULL));
    INVALID(llamac_batch_init(&b, 4, -1, NULL));
}
static void p_batch_free(void) {
    llamac_batch b;
    memset(&b, 0, sizeof b);
    QUIET(llamac_batch_free(NULL));
    QUIET(llamac_batch_free(&b));
}
static void p_batch_add(void) {
    const llamac_seq_id s = 0;
    REFUSED(llamac_batch_add(NULL, 1, 0, &s, 1, true), "batch");
    REFUSED(llamac_batch_add(&F.batch, 1, 0, NULL, 1, true), "seq_ids");
    INVALID(llamac_batch_add(&F.batch, 1, 0, &s, 0, true));
    INVALID(llamac_batch_add(&F.batch, 1, 0, &s, -1, true));
}
static void p_decode(void) {
    llamac_batch empty;
    memset(&empty, 0, sizeof empty);
    REFUSED(llamac_decode(NULL, &F.batch), "ctx");
    REFUSED(llamac_decode(F.ctx, NULL), "batch");
    INVALID(llamac_decode(F.ctx, &empty));
}
static void p_n_outputs(void) { NEUTRAL(llamac_n_outputs(NULL) == 0); }
static void p_get_logits(void) { NEUTRAL(llamac_get_logits(NULL, 0) == NULL && llamac_get_logits(NULL, -1) == NULL); }
static void p_get_logits_ith(void) {
    NEUTRAL(llamac_get_logits_ith(NULL, 0) == NULL && llamac_get_logits_ith(NULL, -1) == NULL);
}
static void p_kv_clear(void) { QUIET(llamac_kv_clear(NULL)); }
static void p_kv_seq_rm(void) {
    REFUSED(llamac_kv_seq_rm(NULL, 0, 0, -1), "ctx");
    INVALID(llamac_kv_seq_rm(F.ctx, 0, -1, -1));
    INVALID(llamac_kv_seq_rm(F.ctx, -1, 0, -1));
}
static void p_kv_seq_cp(void) {
    REFUSED(llamac_kv_seq_cp(NULL, 0, 0, 0, -1), "ctx");
    INVALID(llamac_kv_seq_cp(F.ctx, 0, -1, 0, -1));
}
static void p_kv_seq_keep(void) {
    REFUSED(llamac_kv_seq_keep(NULL, 0), "ctx");
    INVALID(llamac_kv_seq_keep(F.ctx, -1));
}
static void p_kv_seq_add(void) {
    REFUSED(llamac_kv_seq_add(NULL, 0, 0, -1, 1), "ctx");
    INVALID(llamac_kv_seq_add(F.ctx, 0, -1, -1, 1));
}
static void p_kv_seq_pos_min(void) {
    NEUTRAL(llamac_kv_seq_pos_min(NULL, 0) == -1 && llamac_kv_seq_pos_min(F.ctx, -1) == -1);
}
static void p_kv_seq_pos_max(void) {
    NEUTRAL(llamac_kv_seq_pos_max(NULL, 0) == -1 && llamac_kv_seq_pos_max(F.ctx, -1) == -1);
}
static void p_kv_n_used(void) { NEUTRAL(llamac_kv_n_used(NULL) == 0); }

/* ---- 7. sampling ---- */

static void p_sampler_apply(void) {
    llamac_token_data d[2] = {{0, 1.0f, 0.0f}, {1, 2.0f, 0.0f}};
    llamac_token_data_array cur = {d, 2, -1, false};
    llamac_token_data_array empty = {NULL, 0, -1, false};
    REFUSED(llamac_sampler_apply(NULL, &cur), "smpl");
    REFUSED(llamac_sampler_apply(F.chain, NULL), "cur");
    INVALID(llamac_sampler_apply(F.chain, &empty));
}
static void p_sampler_accept(void) {
    REFUSED(llamac_sampler_accept(NULL, 1), "smpl");
    INVALID(llamac_sampler_accept(F.chain, -1));
}
static void p_sampler_reset(void) { QUIET(llamac_sampler_reset(NULL)); }
static void p_sampler_clone(void) { CTOR_REFUSED(llamac_sampler_clone(NULL), "smpl"); }
static void p_sampler_free(void) { QUIET(llamac_sampler_free(NULL)); }
static void p_sampler_name(void) { NEUTRAL(strcmp(llamac_sampler_name(NULL), "(null)") == 0); }
static void p_sampler_sample(void) {
    const float logits[2] = {1.0f, 2.0f};
    llamac_token t;
    REFUSED(llamac_sampler_sample(NULL, logits, 2, &t), "smpl");
    REFUSED(llamac_sampler_sample(F.chain, NULL, 2, &t), "logits");
    REFUSED(llamac_sampler_sample(F.chain, logits, 2, NULL), "out");
    REFUSED(llamac_sampler_sample(F.chain, logits, 0, &t), "n_vocab");
    REFUSED(llamac_sampler_sample(F.chain, logits, -1, &t), "n_vocab");
}
static void p_sampler_chain_params_init(void) {
    PARAMS_INIT_PROBE(llamac_sampler_chain_params, llamac_sampler_chain_params_init);
}
static void p_sampler_chain_new(void) {
    llamac_sampler_chain_params p = llamac_sampler_chain_default_params();
    p.struct_size = 1;
    CTOR_REFUSED(llamac_sampler_chain_new(&p), "struct_size");
}
static void p_sampler_chain_add(void) {
    /* chain NULL: smpl is still taken (freed), as for every failure */
    REFUSED(llamac_sampler_chain_add(NULL, llamac_sampler_init_greedy(NULL)), "chain");
    /* a NULL smpl that no failed constructor explains is the caller's */
    REFUSED(llamac_sampler_chain_add(F.chain, NULL), "smpl");
}
static void p_sampler_chain_n(void) { NEUTRAL(llamac_sampler_chain_n(NULL) == -1); }
static void p_sampler_chain_get(void) {
    NEUTRAL(llamac_sampler_chain_get(NULL, 0) == NULL && llamac_sampler_chain_get(F.chain, -1) == NULL);
}
/* Constructors whose only pointer is the optional allocator: NULL means libc. */
#define CTOR_OK(call)                                                   \
    do {                                                                \
        set_sentinel();                                                 \
        llamac_sampler *s_ = (call);                                    \
        if (!s_) fail_msg("%s failed: %s", #call, llamac_last_error()); \
        message_unchanged(#call);                                       \
        llamac_sampler_free(s_);                                        \
    } while (0)
static void p_sampler_init_greedy(void) { CTOR_OK(llamac_sampler_init_greedy(NULL)); }
static void p_sampler_init_dist(void) { CTOR_OK(llamac_sampler_init_dist(0, NULL)); }
static void p_sampler_init_temp(void) {
    CTOR_OK(llamac_sampler_init_temp(0.0f, NULL));
    CTOR_REFUSED(llamac_sampler_init_temp(-1.0f, NULL), "-1");
}
static void p_sampler_init_top_k(void) {
    CTOR_OK(llamac_sampler_init_top_k(0, NULL));
    CTOR_REFUSED(llamac_sampler_init_top_k(-1, NULL), "-1");
}
static void p_sampler_init_top_p(void) {
    CTOR_OK(llamac_sampler_init_top_p(1.0f, 0, NULL));
    CTOR_REFUSED(llamac_sampler_init_top_p(-1.0f, 0, NULL), "-1");
}
static void p_sampler_init_min_p(void) {
    CTOR_OK(llamac_sampler_init_min_p(0.0f, 0, NULL));
    CTOR_REFUSED(llamac_sampler_init_min_p(-1.0f, 0, NULL), "-1");
}
static void p_sampler_init_typical(void) {
    CTOR_OK(llamac_sampler_init_typical(1.0f, 0, NULL));
    CTOR_REFUSED(llamac_sampler_init_typical(-1.0f, 0, NULL), "-1");
}
static void p_sampler_init_penalties(void) {
    CTOR_OK(llamac_sampler_init_penalties(0, 1.0f, 0.0f, 0.0f, NULL));
    CTOR_REFUSED(llamac_sampler_init_penalties(-1, 1.0f, 0.0f, 0.0f, NULL), "-1");
}
static void p_sampler_init_logit_bias(void) {
    CTOR_OK(llamac_sampler_init_logit_bias(2, 0, NULL, NULL));
    CTOR_REFUSED(llamac_sampler_init_logit_bias(2, 1, NULL, NULL), "biases");
    CTOR_REFUSED(llamac_sampler_init_logit_bias(2, -1, NULL, NULL), "-1");
    CTOR_REFUSED(llamac_sampler_init_logit_bias(0, 0, NULL, NULL), "n_vocab");
}
static void p_sampler_init_mirostat_v2(void) {
    CTOR_OK(llamac_sampler_init_mirostat_v2(0, 5.0f, 0.1f, NULL));
    CTOR_REFUSED(llamac_sampler_init_mirostat_v2(0, -1.0f, 0.1f, NULL), "-1");
}

/* ---- 7. generation ---- */

static void p_generator_params_init(void) {
    PARAMS_INIT_PROBE(llamac_generator_params, llamac_generator_params_init);
}
static void p_generator_new(void) {
    llamac_generator *g = NULL;
    REFUSED(llamac_generator_new(NULL, F.chain, NULL, &g), "ctx");
    REFUSED(llamac_generator_new(F.ctx, NULL, NULL, &g), "smpl");
    REFUSED(llamac_generator_new(F.ctx, F.chain, NULL, NULL), "out");
}
static void p_generator_free(void) { QUIET(llamac_generator_free(NULL)); }
static void p_generator_prompt(void) {
    const llamac_token t[1] = {1};
    REFUSED(llamac_generator_prompt(NULL, t, 1), "gen");
    REFUSED(llamac_generator_prompt(F.gen, NULL, 1), "tokens");
    REFUSED(llamac_generator_prompt(F.gen, t, 0), "n_tokens");
    REFUSED(llamac_generator_prompt(F.gen, t, -1), "n_tokens");
}
static void p_generator_resume(void) {
    const llamac_token t[1] = {1};
    REFUSED(llamac_generator_resume(NULL, t, 1), "gen");
    REFUSED(llamac_generator_resume(F.gen, NULL, 1), "tokens");
    REFUSED(llamac_generator_resume(F.gen, t, 0), "n_tokens");
    REFUSED(llamac_generator_resume(F.gen, t, -1), "n_tokens");
}
static void p_generator_next(void) {
    llamac_generation_step step;
    REFUSED(llamac_generator_next(NULL, &step), "gen");
    REFUSED(llamac_generator_next(F.gen, NULL), "step");
}
static void p_generator_n_generated(void) { NEUTRAL(llamac_generator_n_generated(NULL) == 0); }

/* ---- 14. games ---- */

static void p_context_set_n_threads(void) { REFUSED(llamac_context_set_n_threads(NULL, 1), "ctx"); }
static void p_generator_submit(void) {
    const llamac_token t[1] = {1};
    REFUSED(llamac_generator_submit(NULL, t, 1), "gen");
    REFUSED(llamac_generator_submit(F.gen, NULL, 1), "tokens");
    REFUSED(llamac_generator_submit(F.gen, t, 0), "n_tokens");
}
static void p_generator_step(void) {
    llamac_step step;
    REFUSED(llamac_generator_step(NULL, 0, &step), "gen");
    REFUSED(llamac_generator_step(F.gen, 0, NULL), "step");
}
static void p_generators_step(void) {
    llamac_step step;
    llamac_generator *none[1] = {NULL};
    REFUSED(llamac_generators_step(NULL, 1, 0, &step), "gens");
    REFUSED(llamac_generators_step(&F.gen, 1, 0, NULL), "steps");
    REFUSED(llamac_generators_step(none, 1, 0, &step), "gens[0]");
}
static void p_generators_next_us(void) {
    int64_t us;
    llamac_generator *none[1] = {NULL};
    REFUSED(llamac_generators_next_us(NULL, 1, 0, &us), "gens");
    REFUSED(llamac_generators_next_us(&F.gen, 1, 0, NULL), "us");
    REFUSED(llamac_generators_next_us(none, 1, 0, &us), "gens[0]");
}
static void p_generator_cancel(void) { REFUSED(llamac_generator_cancel(NULL), "gen"); }
static void p_worker_params_init(void) { PARAMS_INIT_PROBE(llamac_worker_params, llamac_worker_params_init); }
static void p_worker_new(void) {
    llamac_worker *w = NULL;
    llamac_worker_params wp = llamac_worker_default_params();
    REFUSED(llamac_worker_new(NULL, &w), "params");
    REFUSED(llamac_worker_new(&wp, NULL), "out");
}
static void p_estimate_memory(void) {
    llamac_memory_estimate e;
    REFUSED(llamac_estimate_memory(NULL, NULL, NULL, &e), "model_path");
    REFUSED(llamac_estimate_memory("x.gguf", NULL, NULL, NULL), "out");
}
static void p_worker_free(void) { QUIET(llamac_worker_free(NULL)); }
static void p_worker_get_state(void) { NEUTRAL(llamac_worker_get_state(NULL) == LLAMAC_WORKER_FAILED); }
static void p_worker_submit(void) { REFUSED(llamac_worker_submit(NULL, 0, "x", 1, NULL), "w"); }
static void p_worker_cancel(void) { REFUSED(llamac_worker_cancel(NULL, 0), "w"); }
static void p_worker_poll(void) {
    llamac_worker_event ev;
    REFUSED(llamac_worker_poll(NULL, &ev), "w");
}

/* ---- 8. quantization and synthesis ---- */

static void p_ftype_name(void) { NEUTRAL(llamac_ftype_name((llamac_ftype)-1) == NULL); }
static void p_ftype_from_name(void) {
    llamac_ftype f;
    REFUSED(llamac_ftype_from_name(NULL, &f), "name");
    REFUSED(llamac_ftype_from_name("Q8_0", NULL), "out");
}
static void p_quantize_params_init(void) { PARAMS_INIT_PROBE(llamac_quantize_params, llamac_quantize_params_init); }
static void p_model_quantize(void) {
    REFUSED(llamac_model_quantize(NULL, "/nonexistent-dir/out.gguf", NULL), "in_path");
    REFUSED(llamac_model_quantize(model_path, NULL, NULL), "out_path");
}
static void p_quantize_rows(void) {
    float src[32] = {0};
    unsigned char dst[34];
    size_t written = 0;
    REFUSED(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, NULL, 1, 32, dst, sizeof dst, NULL), "src");
    REFUSED(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, src, 1, 32, NULL, sizeof dst, NULL), "dst");
    INVALID(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, src, -1, 32, dst, sizeof dst, NULL));
    INVALID(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, src, 1, -32, dst, sizeof dst, NULL));
    FAILS_WITH(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, src, 1, 32, dst, 0, &written), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(written, 34);
}
static void p_synth_params_init(void) { PARAMS_INIT_PROBE(llamac_synth_params, llamac_synth_params_init); }
static void p_synth_shape_name(void) {
    NEUTRAL(llamac_synth_shape_name(-1) == NULL && llamac_synth_shape_name(INT32_MAX) == NULL);
}
static void p_model_synth(void) { REFUSED(llamac_model_synth(NULL, NULL), "path"); }

/* ---- 9. state ---- */

static void p_state_params_init(void) { PARAMS_INIT_PROBE(llamac_state_params, llamac_state_params_init); }
static void p_state_save_size(void) {
    size_t n = 0;
    REFUSED(llamac_state_save_size(NULL, -1, NULL, &n), "ctx");
    REFUSED(llamac_state_save_size(F.ctx, -1, NULL, NULL), "size");
    INVALID(llamac_state_save_size(F.ctx, -2, NULL, &n));
    INVALID(llamac_state_save_size(F.ctx, 1, NULL, &n));
    llamac_state_params sp = llamac_state_default_params();
    sp.compression = 10;
    INVALID(llamac_state_save_size(F.ctx, -1, &sp, &n));
    sp.compression = 1;
    sp.n_tokens = 3;
    INVALID(llamac_state_save_size(F.ctx, -1, &sp, &n));
    sp.n_tokens = -1;
    INVALID(llamac_state_save_size(F.ctx, -1, &sp, &n));
    sp = llamac_state_default_params();
    sp.struct_size = sizeof sp + 8;
    INVALID(llamac_state_save_size(F.ctx, -1, &sp, &n));
    SUCCEEDS(llamac_state_save_size(F.ctx, -1, NULL, &n));
}
static void p_state_save(void) {
    unsigned char b[16];
    size_t n = 0;
    REFUSED(llamac_state_save(NULL, -1, NULL, b, sizeof b, &n), "ctx");
    REFUSED(llamac_state_save(F.ctx, -1, NULL, b, sizeof b, NULL), "size");
    REFUSED(llamac_state_save(F.ctx, -1, NULL, NULL, sizeof b, &n), "buf");
    FAILS_WITH(llamac_state_save(F.ctx, -1, NULL, NULL, 0, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_true(n > sizeof b);
    INVALID(llamac_state_save(F.ctx, 7, NULL, b, sizeof b, &n));
}
static void p_state_save_file(void) {
    REFUSED(llamac_state_save_file(NULL, -1, NULL, "/nonexistent-dir/s"), "ctx");
    REFUSED(llamac_state_save_file(F.ctx, -1, NULL, NULL), "path");
    FAILS_WITH(llamac_state_save_file(F.ctx, -1, NULL, "/nonexistent-dir/s"), LLAMAC_ERR_IO);
}
static void p_state_load(void) {
    unsigned char b[8] = {0};
    REFUSED(llamac_state_load(NULL, -1, b, sizeof b, NULL, NULL, 0, NULL), "ctx");
    REFUSED(llamac_state_load(F.ctx, -1, NULL, sizeof b, NULL, NULL, 0, NULL), "data");
    INVALID(llamac_state_load(F.ctx, 5, b, sizeof b, NULL, NULL, 0, NULL));
    FAILS_WITH(llamac_state_load(F.ctx, -1, b, sizeof b, NULL, NULL, 0, NULL), LLAMAC_ERR_FORMAT);
}
static void p_state_load_file(void) {
    REFUSED(llamac_state_load_file(NULL, -1, "/nonexistent", NULL, NULL, 0, NULL), "ctx");
    REFUSED(llamac_state_load_file(F.ctx, -1, NULL, NULL, NULL, 0, NULL), "path");
    FAILS_WITH(llamac_state_load_file(F.ctx, -1, "/nonexistent-dir/s", NULL, NULL, 0, NULL), LLAMAC_ERR_IO);
}
static void p_state_info_read(void) {
    unsigned char b[8] = {0};
    llamac_state_info info;
    REFUSED(llamac_state_info_read(NULL, 0, &info), "data");
    REFUSED(llamac_state_info_read(b, sizeof b, NULL), "info");
    FAILS_WITH(llamac_state_info_read(b, sizeof b, &info), LLAMAC_ERR_FORMAT);
}
static void p_state_file_info(void) {
    llamac_state_info info;
    REFUSED(llamac_state_file_info(NULL, &info), "path");
    REFUSED(llamac_state_file_info("/nonexistent", NULL), "info");
    FAILS_WITH(llamac_state_file_info("/nonexistent-dir/s", &info), LLAMAC_ERR_IO);
}
static void p_state_tokens(void) {
    unsigned char b[8] = {0};
    size_t n;
    REFUSED(llamac_state_tokens(NULL, 0, NULL, 0, &n), "data");
    REFUSED(llamac_state_tokens(b, sizeof b, NULL, 0, NULL), "n_tokens");
    FAILS_WITH(llamac_state_tokens(b, sizeof b, NULL, 0, &n), LLAMAC_ERR_FORMAT);
}
static void p_state_file_tokens(void) {
    size_t n;
    REFUSED(llamac_state_file_tokens(NULL, NULL, 0, &n), "path");
    REFUSED(llamac_state_file_tokens("/nonexistent", NULL, 0, NULL), "n_tokens");
    FAILS_WITH(llamac_state_file_tokens("/nonexistent-dir/s", NULL, 0, &n), LLAMAC_ERR_IO);
}
static void p_sampler_state_size(void) { NEUTRAL(llamac_sampler_state_size(NULL) == 0); }
static void p_sampler_state_save(void) {
    unsigned char b[4];
    size_t n = 0;
    REFUSED(llamac_sampler_state_save(NULL, b, sizeof b, &n), "smpl");
    REFUSED(llamac_sampler_state_save(F.chain, b, sizeof b, NULL), "size");
    FAILS_WITH(llamac_sampler_state_save(F.chain, b, sizeof b, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, llamac_sampler_state_size(F.chain));
}
static void p_sampler_state_load(void) {
    unsigned char b[4] = {0};
    REFUSED(llamac_sampler_state_load(NULL, b, sizeof b), "smpl");
    REFUSED(llamac_sampler_state_load(F.chain, NULL, sizeof b), "data");
    FAILS_WITH(llamac_sampler_state_load(F.chain, b, sizeof b), LLAMAC_ERR_FORMAT);
}

/* ---- 10. chat templates ---- */

static void p_chat_apply_template(void) {
    const llamac_chat_message msgs[1] = {{"user", "Hi"}};
    char buf[64];
    size_t n = 9;
    REFUSED(llamac_chat_apply_template(NULL, "chatml", msgs, 1, true, buf, sizeof buf, NULL), "n_out");
    REFUSED(llamac_chat_apply_template(NULL, NULL, msgs, 1, true, buf, sizeof buf, &n), "tmpl");
    assert_int_equal(n, 0);
    REFUSED(llamac_chat_apply_template(NULL, "chatml", NULL, 1, true, buf, sizeof buf, &n), "messages");
    REFUSED(llamac_chat_apply_template(NULL, "chatml", msgs, 1, true, NULL, sizeof buf, &n), "buf");
    /* the shipped model has no tokenizer.chat_template */
    FAILS_WITH(llamac_chat_apply_template(F.model, NULL, msgs, 1, true, buf, sizeof buf, &n), LLAMAC_ERR_NOT_FOUND);
    FAILS_WITH(llamac_chat_apply_template(NULL, "no-such-format", msgs, 1, true, buf, sizeof buf, &n),
               LLAMAC_ERR_UNSUPPORTED);
    FAILS_WITH(llamac_chat_apply_template(NULL, "chatml", msgs, 1, true, NULL, 0, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, strlen("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    SUCCEEDS(llamac_chat_apply_template(NULL, "chatml", msgs, 1, true, buf, sizeof buf, &n));
}
static void p_chat_detect_template(void) {
    NEUTRAL(llamac_chat_detect_template(NULL) == NULL);
    NEUTRAL(llamac_chat_detect_template("no-such-format") == NULL);
}
static void p_chat_builtin_count(void) { NEUTRAL(llamac_chat_builtin_count() == 33); }
static void p_chat_builtin_name(void) {
    NEUTRAL(llamac_chat_builtin_name(-1) == NULL && llamac_chat_builtin_name(33) == NULL);
}

/* ---- 11. chat templates: the Jinja engine ---- */

static void p_jinja_params_init(void) { PARAMS_INIT_PROBE(llamac_jinja_params, llamac_jinja_params_init); }
static void p_chat_render_jinja(void) {
    const llamac_chat_message msgs[1] = {{"user", "Hi"}};
    const llamac_chat_message no_role[1] = {{NULL, "Hi"}};
    const llamac_chat_message no_content[1] = {{"user", NULL}};
    const char *t = "{% for m in messages %}{{ m.content }}{% endfor %}";
    char buf[64];
    size_t n = 9;
    REFUSED(llamac_chat_render_jinja(NULL, msgs, 1, NULL, buf, sizeof buf, &n), "tmpl");
    assert_int_equal(n, 0);
    REFUSED(llamac_chat_render_jinja(t, msgs, 1, NULL, buf, sizeof buf, NULL), "n_out");
    REFUSED(llamac_chat_render_jinja(t, NULL, 1, NULL, buf, sizeof buf, &n), "messages");
    REFUSED(llamac_chat_render_jinja(t, msgs, 1, NULL, NULL, sizeof buf, &n), "buf");
    INVALID(llamac_chat_render_jinja(t, no_role, 1, NULL, buf, sizeof buf, &n));
    INVALID(llamac_chat_render_jinja(t, no_content, 1, NULL, buf, sizeof buf, &n));
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.struct_size = 1;
    INVALID(llamac_chat_render_jinja(t, msgs, 1, &p, buf, sizeof buf, &n));
    FAILS_WITH(llamac_chat_render_jinja("{% if %}", msgs, 1, NULL, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    FAILS_WITH(llamac_chat_render_jinja(t, msgs, 1, NULL, NULL, 0, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    SUCCEEDS(llamac_chat_render_jinja(t, msgs, 1, NULL, buf, sizeof buf, &n));
    SUCCEEDS(llamac_chat_render_jinja(t, NULL, 0, NULL, buf, sizeof buf, &n));
}

/* ---- 12. grammars ---- */

static const char gram[] = "root ::= \"a\"+\n";
static void p_grammar_check(void) {
    int32_t l = 7, c = 7;
    REFUSED(llamac_grammar_check(NULL, 0, NULL, &l, &c), "text");
    SUCCEEDS(llamac_grammar_check(gram, sizeof gram - 1, NULL, NULL, NULL));
    FAILS_WITH(llamac_grammar_check("root ::= (", 10, NULL, &l, &c), LLAMAC_ERR_FORMAT);
}
static void p_grammar_matcher_new(void) {
    llamac_grammar_matcher *m = NULL;
    REFUSED(llamac_grammar_matcher_new(gram, sizeof gram - 1, NULL, NULL, NULL), "out");
    REFUSED(llamac_grammar_matcher_new(NULL, 0, NULL, NULL, &m), "text");
    NEUTRAL(m == NULL);
    FAILS_WITH(llamac_grammar_matcher_new("x ::= y", 7, NULL, NULL, &m), LLAMAC_ERR_FORMAT);
    NEUTRAL(m == NULL);
}
static void p_grammar_matcher_free(void) { QUIET(llamac_grammar_matcher_free(NULL)); }
static void p_grammar_matcher_reset(void) { QUIET(llamac_grammar_matcher_reset(NULL)); }
static void p_grammar_matcher_feed(void) {
    size_t n = 9;
    REFUSED(llamac_grammar_matcher_feed(NULL, "a", 1, &n), "m");
    NEUTRAL(n == 0);
    llamac_grammar_matcher *m = NULL;
    SUCCEEDS(llamac_grammar_matcher_new(gram, sizeof gram - 1, NULL, NULL, &m));
    REFUSED(llamac_grammar_matcher_feed(m, NULL, 1, &n), "bytes");
    SUCCEEDS(llamac_grammar_matcher_feed(m, NULL, 0, NULL));
    llamac_grammar_matcher_free(m);
}
static void p_grammar_matcher_complete(void) {
    bool done = true;
    REFUSED(llamac_grammar_matcher_complete(NULL, &done), "m");
    NEUTRAL(!done);
    REFUSED(llamac_grammar_matcher_complete(NULL, NULL), "complete");
}
static void p_sampler_init_grammar(void) {
    CTOR_REFUSED(llamac_sampler_init_grammar(NULL, gram, sizeof gram - 1, NULL, NULL), "vocab");
    CTOR_REFUSED(llamac_sampler_init_grammar(F.vocab, NULL, 0, NULL, NULL), "grammar");
    CTOR_OK(llamac_sampler_init_grammar(F.vocab, gram, sizeof gram - 1, NULL, NULL));
}
static void p_sampler_grammar_allows(void) {
    bool ok = true;
    REFUSED(llamac_sampler_grammar_allows(NULL, 0, &ok), "smpl");
    NEUTRAL(!ok);
    REFUSED(llamac_sampler_grammar_allows(F.chain, 0, NULL), "allowed");
    INVALID(llamac_sampler_grammar_allows(F.chain, 0, &ok));
}

/* ---- 13. JSON Schema ---- */

static void p_json_schema_to_grammar(void) {
    const char *schema = "{\"type\": \"null\"}";
    char buf[128];
    size_t n = 9;
    REFUSED(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, buf, sizeof buf, NULL), "n_out");
    REFUSED(llamac_json_schema_to_grammar(NULL, 3, 0, NULL, buf, sizeof buf, &n), "schema");
    assert_int_equal(n, 0);
    REFUSED(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, NULL, sizeof buf, &n), "buf");
    FAILS_WITH(llamac_json_schema_to_grammar(schema, strlen(schema), 0x80, NULL, buf, sizeof buf, &n),
               LLAMAC_ERR_INVALID_ARG);
    FAILS_WITH(llamac_json_schema_to_grammar("{", 1, 0, NULL, buf, sizeof buf, &n), LLAMAC_ERR_FORMAT);
    FAILS_WITH(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, NULL, 0, &n),
               LLAMAC_ERR_BUFFER_TOO_SMALL);
    SUCCEEDS(llamac_json_schema_to_grammar(schema, strlen(schema), 0, NULL, buf, sizeof buf, &n));
}

/* ---- the table ---- */

typedef struct probe {
    const char *name;
    void (*run)(void);
} probe;

#define P(name) {"llamac_" #name, p_##name}
static const probe probes[] = {
    P(version), P(version_number), P(status_name), P(last_error), P(type_name), P(type_block_size),
    P(type_block_bytes), P(gguf_type_name),
    P(gguf_params_init), P(gguf_open), P(gguf_open_memory), P(gguf_free), P(gguf_version), P(gguf_alignment),
    P(gguf_data_offset), P(gguf_n_kv), P(gguf_find_key), P(gguf_key), P(gguf_kv_type), P(gguf_get_u32),
    P(gguf_get_i32), P(gguf_get_u64), P(gguf_get_i64), P(gguf_get_f32), P(gguf_get_f64), P(gguf_get_bool),
    P(gguf_get_string), P(gguf_get_array), P(gguf_get_array_string), P(gguf_n_tensors), P(gguf_find_tensor),
    P(gguf_tensor),
    P(gguf_writer_new), P(gguf_writer_free), P(gguf_writer_set_u32), P(gguf_writer_set_i32),
    P(gguf_writer_set_u64), P(gguf_writer_set_f32), P(gguf_writer_set_bool), P(gguf_writer_set_string),
    P(gguf_writer_set_value), P(gguf_writer_set_string_array), P(gguf_writer_copy_kv),
    P(gguf_writer_set_alignment), P(gguf_writer_add_tensor), P(gguf_writer_add_tensor_fn),
    P(gguf_writer_write),
    P(vocab_params_init), P(vocab_load), P(vocab_from_gguf), P(vocab_free), P(vocab_get_type), P(vocab_n_tokens),
    P(vocab_bos), P(vocab_eos), P(vocab_eot), P(vocab_eom), P(vocab_unk), P(vocab_pad), P(vocab_add_bos),
    P(vocab_add_eos), P(vocab_is_eog), P(vocab_is_control), P(vocab_token_type), P(vocab_token_score),
    P(vocab_token_text), P(vocab_find), P(tokenize), P(tokenize_flags), P(token_to_piece), P(detokenize), P(detok_params_init),
    P(detok_new), P(detok_push), P(detok_flush), P(detok_free),
    P(model_params_init), P(model_load), P(model_free), P(model_n_vocab), P(model_n_ctx_train), P(model_n_embd),
    P(model_n_layer), P(model_n_head), P(model_n_head_kv), P(model_n_ff), P(model_rope_freq_base),
    P(model_desc), P(model_size), P(model_n_params), P(model_gguf), P(model_vocab),
    P(context_params_init), P(context_new), P(context_free), P(context_model), P(context_n_ctx),
    P(context_n_batch), P(context_n_seq_max), P(context_n_threads), P(batch_init), P(batch_free), P(batch_add),
    P(decode), P(n_outputs), P(get_logits), P(get_logits_ith), P(kv_clear), P(kv_seq_rm), P(kv_seq_cp),
    P(kv_seq_keep), P(kv_seq_add), P(kv_seq_pos_min), P(kv_seq_pos_max), P(kv_n_used),
    P(sampler_apply), P(sampler_accept), P(sampler_reset), P(sampler_clone), P(sampler_free), P(sampler_name),
    P(sampler_sample), P(sampler_chain_params_init), P(sampler_chain_new), P(sampler_chain_add),
    P(sampler_chain_n), P(sampler_chain_get), P(sampler_init_greedy), P(sampler_init_dist), P(sampler_init_temp),
    P(sampler_init_top_k), P(sampler_init_top_p), P(sampler_init_min_p), P(sampler_init_typical),
    P(sampler_init_penalties), P(sampler_init_logit_bias), P(sampler_init_mirostat_v2),
    P(generator_params_init), P(generator_new), P(generator_free), P(generator_prompt), P(generator_next),
    P(generator_n_generated), P(generator_resume),
    P(ftype_name), P(ftype_from_name), P(quantize_params_init), P(model_quantize), P(quantize_rows),
    P(synth_params_init), P(synth_shape_name), P(model_synth),
    P(state_params_init), P(state_save_size), P(state_save), P(state_save_file), P(state_load), P(state_load_file),
    P(state_info_read), P(state_file_info), P(state_tokens), P(state_file_tokens), P(sampler_state_size),
    P(sampler_state_save), P(sampler_state_load),
    P(chat_apply_template), P(chat_detect_template), P(chat_builtin_count), P(chat_builtin_name),
    P(jinja_params_init), P(chat_render_jinja),
    P(grammar_check), P(grammar_matcher_new), P(grammar_matcher_free), P(grammar_matcher_reset),
    P(grammar_matcher_feed), P(grammar_matcher_complete), P(sampler_init_grammar), P(sampler_grammar_allows),
    P(json_schema_to_grammar),
    P(context_set_n_threads), P(generator_submit), P(generator_step), P(generators_step), P(generators_next_us), P(generator_cancel),
    P(worker_params_init), P(worker_new), P(worker_free), P(worker_get_state), P(worker_submit), P(worker_cancel),
    P(worker_poll), P(estimate_memory),
};
#define N_PROBES (sizeof probes / sizeof probes[0])

static void run_probe(void **state) {
    const probe *p = *state;
    fn = p->name;
    p->run();
}

/* ---- the export list, from the ELF dynamic symbol table ---- */

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
            fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *size = n > 0 ? (size_t)n : 0;
    }
    fclose(f);
    return buf;
}

/* Names of the functions the library defines and exports (global or weak,
 * default visibility), pointing into `elf`; -1 if it is not a 64-bit ELF
 * file this reader understands. */
static int exported_functions(const unsigned char *elf, size_t size, const char **names, int max) {
    Elf64_Ehdr eh;
    if (size < sizeof eh || memcmp(elf, ELFMAG, SELFMAG) != 0 || elf[EI_CLASS] != ELFCLASS64) return -1;
    memcpy(&eh, elf, sizeof eh);
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > size ||
        (size - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
        return -1;
    int n = 0;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh, strs;
        memcpy(&sh, elf + eh.e_shoff + (size_t)i * sizeof sh, sizeof sh);
        if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= eh.e_shnum) continue;
        memcpy(&strs, elf + eh.e_shoff + (size_t)sh.sh_link * sizeof strs, sizeof strs);
        if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset || strs.sh_offset > size ||
            strs.sh_size > size - strs.sh_offset)
            return -1;
        for (size_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); k++) {
            Elf64_Sym sym;
            memcpy(&sym, elf + sh.sh_offset + k * sizeof sym, sizeof sym);
            const int bind = ELF64_ST_BIND(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
                (bind != STB_GLOBAL && bind != STB_WEAK) || ELF64_ST_VISIBILITY(sym.st_other) != STV_DEFAULT)
                continue;
            if (sym.st_name >= strs.sh_size || !memchr(elf + strs.sh_offset + sym.st_name, 0,
                                                       strs.sh_size - sym.st_name))
                return -1;
            if (n == max) return -1;
            names[n++] = (const char *)elf + strs.sh_offset + sym.st_name;
        }
    }
    return n;
}

static void every_export_has_a_probe(void **state) {
    (void)state;
    size_t size = 0;
    unsigned char *elf = read_file(lib_path, &size);
    if (!elf) fail_msg("cannot read %s", lib_path);
    const char *names[1024];
    const int n = exported_functions(elf, size, names, 1024);
    if (n < 0) {
        free(elf);
        fail_msg("%s: not a 64-bit ELF shared library this test can read", lib_path);
    }
    int missing = 0;
    for (int i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < N_PROBES && !found; k++) found = strcmp(names[i], probes[k].name) == 0;
        if (!found) {
            fprintf(stderr, "exported function without a probe in tests/test_api_null.c: %s\n", names[i]);
            missing++;
        }
    }
    /* The table must not list what the library does not export either
     * (it would then test a function no program can call). */
    int stale = 0;
    for (size_t k = 0; k < N_PROBES; k++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++) found = strcmp(names[i], probes[k].name) == 0;
        if (!found) {
            fprintf(stderr, "probe for a function the library does not export: %s\n", probes[k].name);
            stale++;
        }
    }
    printf("%d exported functions, %zu probes\n", n, N_PROBES);
    free(elf);
    assert_int_equal(missing, 0);
    assert_int_equal(stale, 0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBLLAMAC.so MODEL.gguf\n", argv[0]);
        return 2;
    }
    lib_path = argv[1];
    model_path = argv[2];
    static struct CMUnitTest tests[N_PROBES + 1];
    tests[0] = (struct CMUnitTest){"every_export_has_a_probe", every_export_has_a_probe, NULL, NULL, NULL};
    for (size_t i = 0; i < N_PROBES; i++)
        tests[i + 1] = (struct CMUnitTest){probes[i].name, run_probe, NULL, NULL, (void *)&probes[i]};
    return test_exit_status(_cmocka_run_group_tests("api_null", tests, N_PROBES + 1, setup, teardown));
}
