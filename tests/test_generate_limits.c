/* Refusals that must come before any work, on the model that ships in
 * models/ (issue 12):
 *   - fault 4: a prompt longer than the free cells is refused by
 *     llamac_generator_prompt (and so by `llamac run`) before anything is
 *     decoded, naming the prompt's length and the free cells; llamac_decode
 *     refuses a batch larger than the free cells before it computes;
 *   - fault 9: NaN logits computed by the model are reported as the model's,
 *     while llamac_sampler_sample keeps refusing a caller's NaN as before.
 * "Nothing was decoded" is shown without timing: the abort callbacks that
 * every decode polls were never called, and the cache holds no cell.
 * Usage: test_generate_limits PATH/TO/llamac; env LLAMAC_SHIPPED_MODEL. */
#include "test_files.h"
#include "test_util.h"
#include "test_tmpdir.h"

#include "llamac.h"
#include "model_builder.h"

#include <math.h>
#include <string.h>

static const char *llamac_bin;
static const char *model_path;

typedef struct counter {
    int calls;
} counter;

/* Never aborts: counts that a decode (context) or a prompt batch
 * (generator) was about to run. */
static bool count_calls(void *user) {
    ((counter *)user)->calls++;
    return false;
}

typedef model_fixture fixture;

static llamac_context *new_ctx(const fixture *f, uint32_t n_ctx, uint32_t n_batch, counter *decodes) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_threads = 2;
    cp.abort_fn = decodes ? count_calls : NULL;
    cp.abort_user = decodes;
    llamac_context *ctx = NULL;
    if (llamac_context_new(f->model, &cp, &ctx) != LLAMAC_OK) fail_msg("context: %s", llamac_last_error());
    return ctx;
}

/* Token ids of ordinary words, spread over the vocabulary (ids 3.. are
 * the SentencePiece pieces; 0..2 are unk, BOS, EOS). */
static void some_tokens(llamac_token *out, int32_t n, int32_t n_vocab) {
    for (int32_t i = 0; i < n; i++) out[i] = 3 + (llamac_token)((i * 37 + 11) % (n_vocab - 3));
}

/* Greedy tokens after `prompt` on a generator over ctx. */
static void greedy_after(llamac_context *ctx, const llamac_token *prompt, int32_t n, llamac_token *out, int n_out) {
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = n_out;
    gp.stop_at_eog = false;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, prompt, n), LLAMAC_OK);
    for (int i = 0; i < n_out; i++) {
        llamac_generation_step step;
        assert_int_equal(llamac_generator_next(gen, &step), LLAMAC_OK);
        out[i] = step.token;
    }
    llamac_generator_free(gen);
    llamac_sampler_free(s);
}

/* A context (n_ctx cells, batches of 8; `decodes` counts its decodes when
 * not NULL) with a greedy generator over it (gp NULL: default parameters). */
typedef struct greedy_run {
    llamac_context *ctx;
    llamac_sampler *s;
    llamac_generator *gen;
} greedy_run;

static greedy_run open_greedy(const fixture *f, uint32_t n_ctx, counter *decodes,
                              const llamac_generator_params *gp) {
    greedy_run r = {new_ctx(f, n_ctx, 8, decodes), llamac_sampler_init_greedy(NULL), NULL};
    assert_int_equal(llamac_generator_new(r.ctx, r.s, gp, &r.gen), LLAMAC_OK);
    return r;
}

static void close_greedy(greedy_run *r) {
    llamac_generator_free(r->gen);
    llamac_sampler_free(r->s);
    llamac_context_free(r->ctx);
}

static void assert_mentions(const char *msg, const char *what) {
    if (!strstr(msg, what)) fail_msg("message \"%s\" does not mention \"%s\"", msg, what);
}

/* 33 tokens into 32 cells: refused at once (neither abort callback was
 * polled, no cell taken), both numbers named; the same generator and
 * context then run a shorter prompt exactly as a fresh pair does. */
static void a_prompt_longer_than_the_context_is_refused_before_decoding(void **state) {
    fixture *f = *state;
    counter decodes = {0}, batches = {0};
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = 6;
    gp.stop_at_eog = false;
    gp.abort_fn = count_calls;
    gp.abort_user = &batches;
    greedy_run r = open_greedy(f, 32, &decodes, &gp);

    llamac_token prompt[40];
    some_tokens(prompt, 40, f->n_vocab);
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 33), LLAMAC_ERR_CONTEXT_FULL);
    assert_mentions(llamac_last_error(), "33 tokens");
    assert_mentions(llamac_last_error(), "32");
    assert_int_equal(decodes.calls, 0);
    assert_int_equal(batches.calls, 0);
    assert_int_equal(llamac_kv_n_used(r.ctx), 0);

    /* the context and the generator are as before: 10 tokens continue like
     * on a fresh context */
    llamac_token after_refusal[6], fresh[6];
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 10), LLAMAC_OK);
    for (int i = 0; i < 6; i++) {
        llamac_generation_step step;
        assert_int_equal(llamac_generator_next(r.gen, &step), LLAMAC_OK);
        after_refusal[i] = step.token;
    }
    llamac_context *ctx2 = new_ctx(f, 32, 8, NULL);
    greedy_after(ctx2, prompt, 10, fresh, 6);
    assert_memory_equal(after_refusal, fresh, sizeof fresh);
    llamac_context_free(ctx2);

    /* 10 prompt + 5 decoded responses: 17 cells free, and the 6th response
     * token still waits to be decoded, so 17 more prompt tokens need 18 */
    assert_int_equal(llamac_kv_n_used(r.ctx), 15);
    const int before = decodes.calls;
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 17), LLAMAC_ERR_CONTEXT_FULL);
    assert_mentions(llamac_last_error(), "17 tokens");
    assert_mentions(llamac_last_error(), "17 of the context's 32");
    assert_int_equal(decodes.calls, before);
    assert_int_equal(llamac_kv_n_used(r.ctx), 15);
    /* exactly the free cells fit */
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 16), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(r.ctx), 32);

    close_greedy(&r);
}

/* An id outside the vocabulary anywhere in a long prompt is also known up
 * front: refused before the first batch. */
static void a_bad_token_late_in_a_prompt_is_refused_before_decoding(void **state) {
    fixture *f = *state;
    counter decodes = {0};
    greedy_run r = open_greedy(f, 64, &decodes, NULL);
    llamac_token prompt[40];
    some_tokens(prompt, 40, f->n_vocab);
    prompt[37] = f->n_vocab;
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 40), LLAMAC_ERR_INVALID_ARG);
    assert_mentions(llamac_last_error(), "index 37");
    assert_int_equal(decodes.calls, 0);
    assert_int_equal(llamac_kv_n_used(r.ctx), 0);
    close_greedy(&r);
}

/* llamac_decode on its own: a batch larger than the free cells is refused
 * before the forward pass (the abort callback it polls per layer is not
 * called) and the previous logits survive. */
static void decode_refuses_a_batch_larger_than_the_free_cells_before_computing(void **state) {
    fixture *f = *state;
    counter decodes = {0};
    llamac_context *ctx = new_ctx(f, 16, 16, &decodes);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 16, 1, NULL), LLAMAC_OK);
    llamac_token toks[16];
    some_tokens(toks, 16, f->n_vocab);
    const llamac_seq_id seq = 0;
    for (int i = 0; i < 10; i++) assert_int_equal(llamac_batch_add(&b, toks[i], i, &seq, 1, i == 9), LLAMAC_OK);
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    const int after_first = decodes.calls;
    assert_true(after_first > 0);
    float *kept = malloc((size_t)f->n_vocab * sizeof *kept);
    memcpy(kept, llamac_get_logits(ctx, 0), (size_t)f->n_vocab * sizeof *kept);

    b.n_tokens = 0;
    for (int i = 0; i < 8; i++) assert_int_equal(llamac_batch_add(&b, toks[i], 10 + i, &seq, 1, true), LLAMAC_OK);
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_ERR_CONTEXT_FULL);
    assert_mentions(llamac_last_error(), "8 free KV cells");
    assert_mentions(llamac_last_error(), "only 6 of n_ctx 16");
    assert_int_equal(decodes.calls, after_first);
    assert_int_equal(llamac_kv_n_used(ctx), 10);
    assert_int_equal(llamac_n_outputs(ctx), 1);
    assert_memory_equal(llamac_get_logits(ctx, 0), kept, (size_t)f->n_vocab * sizeof *kept);
    free(kept);
    llamac_batch_free(&b);
    llamac_context_free(ctx);
}

/* Copies the shipped model with output_norm.weight[0] = NaN: every logit it
 * computes is NaN. */
static void write_nan_model(const char *path) {
    llamac_gguf *g;
    assert_int_equal(llamac_gguf_open(model_path, NULL, &g), LLAMAC_OK);
    llamac_gguf_writer *w = test_new_writer();
    assert_int_equal(llamac_gguf_writer_copy_kv(w, g), LLAMAC_OK);
    float *norm = NULL;
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info ti;
        assert_int_equal(llamac_gguf_tensor(g, i, &ti), LLAMAC_OK);
        const void *data = ti.data;
        if (strcmp(ti.name, "output_norm.weight") == 0) {
            assert_int_equal(ti.type, LLAMAC_TYPE_F32);
            norm = malloc(ti.n_bytes);
            memcpy(norm, ti.data, ti.n_bytes);
            norm[0] = NAN;
            data = norm;
        }
        assert_int_equal(llamac_gguf_writer_add_tensor(w, ti.name, ti.type, ti.n_dims, ti.ne, data, ti.n_bytes),
                         LLAMAC_OK);
    }
    assert_non_null(norm);
    assert_int_equal(llamac_gguf_writer_write(w, path), LLAMAC_OK);
    free(norm);
    llamac_gguf_writer_free(w);
    llamac_gguf_free(g);
}

static void nan_logits_from_the_model_are_blamed_on_the_model(void **state) {
    (void)state;
    char dir[256], path[320];
    assert_non_null(test_tmpdir_new(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/nan-norm.gguf", dir);
    write_nan_model(path);
    llamac_model *m;
    assert_int_equal(llamac_model_load(path, NULL, &m), LLAMAC_OK);
    fixture nf = {m, llamac_model_vocab(m), llamac_model_n_vocab(m)};
    greedy_run r = open_greedy(&nf, 32, NULL, NULL);
    llamac_token prompt[4];
    some_tokens(prompt, 4, nf.n_vocab);
    assert_int_equal(llamac_generator_prompt(r.gen, prompt, 4), LLAMAC_OK);
    llamac_generation_step step;
    assert_int_equal(llamac_generator_next(r.gen, &step), LLAMAC_ERR_FORMAT);
    const char *msg = llamac_last_error();
    assert_mentions(msg, "the model produced");
    assert_mentions(msg, "NaN");
    assert_mentions(msg, "position 3"); /* the last prompt token's */
    assert_mentions(msg, "weights");

    /* the same logits handed to the sampler by a caller: the caller's
     * mistake, as documented */
    const float *logits = llamac_get_logits(r.ctx, -1);
    assert_non_null(logits);
    assert_true(isnan(logits[0]));
    llamac_token tok;
    assert_int_equal(llamac_sampler_sample(r.s, logits, nf.n_vocab, &tok), LLAMAC_ERR_INVALID_ARG);
    assert_null(strstr(llamac_last_error(), "model"));
    assert_mentions(llamac_last_error(), "llamac_sampler_sample");

    close_greedy(&r);
    llamac_model_free(m);
    test_tmpdir_remove(dir);
}

/* `llamac run` passes the library's refusal on: exit 1, both numbers, and
 * no timing report (nothing ran). */
static void run_refuses_a_prompt_longer_than_its_context(void **state) {
    fixture *f = *state;
    if (!llamac_bin) fail_msg("usage: test_generate_limits PATH/TO/llamac");
    static const char text[] = "In the beginning God created the heaven and the earth. And the earth was "
                               "without form, and void; and darkness was upon the face of the deep.";
    llamac_token toks[256];
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(llamac_model_vocab(f->model), text, strlen(text), toks, 256, true, true, &n),
                     LLAMAC_OK);
    assert_true(n > 16);
    cli_result r;
    const char *args[] = {"-m", model_path, "-c", "16", "-n", "4", "-p", text, NULL};
    cli_run_command(&r, llamac_bin, "run", args);
    assert_int_equal(r.exit_code, 1);
    char want[64];
    snprintf(want, sizeof want, "%d tokens", (int)n);
    assert_mentions(r.err, "LLAMAC_ERR_CONTEXT_FULL");
    assert_mentions(r.err, want);
    assert_mentions(r.err, "16 of the context's 16 cells");
    assert_null(strstr(r.err, "tokens/s"));
    assert_int_equal(r.out[0], '\0');
}

int main(int argc, char **argv) {
    llamac_bin = argc > 1 ? argv[1] : NULL;
    model_path = getenv("LLAMAC_SHIPPED_MODEL");
    return run_cases(shipped_model_setup, shipped_model_teardown,
                     a_prompt_longer_than_the_context_is_refused_before_decoding,
                     a_bad_token_late_in_a_prompt_is_refused_before_decoding,
                     decode_refuses_a_batch_larger_than_the_free_cells_before_computing,
                     nan_logits_from_the_model_are_blamed_on_the_model,
                     run_refuses_a_prompt_longer_than_its_context);
}
