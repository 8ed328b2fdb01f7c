/* Save and restore (llamac.h section 9): exact resume, sequence moves,
 * sampler state, and hostile state files that must be refused with the
 * context left exactly as it was. The resume cases run on the shipped
 * model; the hostile loops on a small synthetic model (fast); the cross-
 * model cases of ../shared in their own group (--shared). */
#include "decode_util.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include "common/bytes.h"
#include "state/state.h"
#include "state/state_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define N_GEN 32

static llamac_model *load_model(const char *path) {
    llamac_model *m = NULL;
    if (llamac_model_load(path, NULL, &m) != LLAMAC_OK) fail_msg("loading %s: %s", path, llamac_last_error());
    return m;
}

static void ok(llamac_status st, const char *what) {
    if (st != LLAMAC_OK) fail_msg("%s: %s (%s)", what, llamac_status_name(st), llamac_last_error());
}

/* The state of `seq` of c (LLAMAC_STATE_ALL_SEQS: every sequence) saved
 * with sp (NULL: defaults) into a malloc'd buffer of llamac_state_save_size
 * bytes, which the caller frees; *size gets the bytes written, which must
 * fit the bound. */
static uint8_t *save_state(llamac_context *c, llamac_seq_id seq, const llamac_state_params *sp, size_t *size) {
    size_t bound = 0;
    ok(llamac_state_save_size(c, seq, sp, &bound), "save size");
    uint8_t *buf = malloc(bound);
    assert_non_null(buf);
    ok(llamac_state_save(c, seq, sp, buf, bound, size), "save");
    assert_true(*size <= bound);
    return buf;
}

/* One token at pos in seq with logits. */
static void decode_one(llamac_context *ctx, llamac_token t, llamac_pos pos, llamac_seq_id seq) {
    ok(du_decode(ctx, &t, 1, pos, seq, NULL), "decode");
}

/* The prompt as one batch, logits only for its last token (as the
 * generator does). */
static void decode_prompt(llamac_context *ctx, const llamac_token *t, int32_t n, llamac_seq_id seq) {
    llamac_batch b;
    ok(llamac_batch_init(&b, n, 1, NULL), "batch");
    for (int32_t i = 0; i < n; i++) llamac_batch_add(&b, t[i], i, &seq, 1, i == n - 1);
    ok(llamac_decode(ctx, &b), "decode prompt");
    llamac_batch_free(&b);
}

/* N_GEN steps from the context's current logits: pick (sampler, or
 * greedy when NULL), record the logits that were picked from, decode. */
static void generate(llamac_context *ctx, llamac_sampler *smpl, llamac_pos pos, llamac_seq_id seq,
                     llamac_token *toks, float *logits) {
    const int32_t nv = llamac_model_n_vocab(llamac_context_model(ctx));
    for (int32_t i = 0; i < N_GEN; i++) {
        const float *row = llamac_get_logits(ctx, -1);
        if (!row) fail_msg("step %d: no logits: %s", i, llamac_last_error());
        memcpy(logits + (size_t)i * (size_t)nv, row, (size_t)nv * sizeof(float));
        if (smpl) {
            ok(llamac_sampler_sample(smpl, row, nv, &toks[i]), "sample");
        } else {
            int32_t best = 0;
            for (int32_t k = 1; k < nv; k++)
                if (row[k] > row[best]) best = k;
            toks[i] = best;
        }
        decode_one(ctx, toks[i], pos + i, seq);
    }
}

static const llamac_token prompt[] = {1, 569, 389, 390, 13, 569, 389, 390, 100, 200, 300, 17};
#define N_PROMPT ((int32_t)(sizeof prompt / sizeof prompt[0]))

static llamac_context *make_ctx(const llamac_model *m, uint32_t n_ctx, uint32_t n_seq_max, llamac_type kv) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = 32;
    cp.n_seq_max = n_seq_max;
    cp.n_threads = 2;
    cp.kv_type = kv;
    llamac_context *ctx = NULL;
    ok(llamac_context_new(m, &cp, &ctx), "context");
    return ctx;
}

/* ---- exact resume ---- */

static void check_greedy_resume(llamac_type kv, int32_t level, bool via_file) {
    llamac_model *m = load_model(shipped_model_path());
    const int32_t nv = llamac_model_n_vocab(m);
    llamac_context *a = make_ctx(m, 128, 1, kv);
    decode_prompt(a, prompt, N_PROMPT, 0);
    llamac_state_params sp = llamac_state_default_params();
    sp.compression = level;
    sp.tokens = prompt;
    sp.n_tokens = N_PROMPT;
    size_t size = 0;
    uint8_t *buf = save_state(a, LLAMAC_STATE_ALL_SEQS, &sp, &size);
    char dir[256], path[512];
    if (via_file) {
        assert_non_null(test_tmpdir_new(dir, sizeof dir));
        snprintf(path, sizeof path, "%s/s.state", dir);
        ok(llamac_state_save_file(a, LLAMAC_STATE_ALL_SEQS, &sp, path), "save file");
    }
    /* the uninterrupted run */
    llamac_token t1[N_GEN], t2[N_GEN], t3[N_GEN];
    float *l1 = malloc(sizeof(float) * N_GEN * (size_t)nv), *l2 = malloc(sizeof(float) * N_GEN * (size_t)nv),
          *l3 = malloc(sizeof(float) * N_GEN * (size_t)nv);
    generate(a, NULL, N_PROMPT, 0, t1, l1);
    /* restored into the same context, which went on meanwhile */
    llamac_token got[64];
    size_t n_got = 0;
    if (via_file) ok(llamac_state_load_file(a, LLAMAC_STATE_ALL_SEQS, path, NULL, got, 64, &n_got), "load file");
    else ok(llamac_state_load(a, LLAMAC_STATE_ALL_SEQS, buf, size, NULL, got, 64, &n_got), "load");
    assert_int_equal(n_got, N_PROMPT);
    assert_memory_equal(got, prompt, sizeof prompt);
    assert_int_equal(llamac_kv_n_used(a), N_PROMPT);
    generate(a, NULL, N_PROMPT, 0, t2, l2);
    /* restored into a fresh context of the same model */
    llamac_context *b = make_ctx(m, 128, 1, kv);
    ok(llamac_state_load(b, LLAMAC_STATE_ALL_SEQS, buf, size, NULL, NULL, 0, NULL), "load fresh");
    generate(b, NULL, N_PROMPT, 0, t3, l3);
    assert_memory_equal(t1, t2, sizeof t1);
    assert_memory_equal(t1, t3, sizeof t1);
    du_assert_same_bits(l1, l2, (size_t)N_GEN * (size_t)nv, "logits after restoring into the same context");
    du_assert_same_bits(l1, l3, (size_t)N_GEN * (size_t)nv, "logits after restoring into a fresh context");
    if (via_file) test_tmpdir_remove(dir);
    free(l1); free(l2); free(l3); free(buf);
    llamac_context_free(a);
    llamac_context_free(b);
    llamac_model_free(m);
}

static void greedy_resume_is_bit_identical_deflated(void **state) {
    (void)state;
    check_greedy_resume(LLAMAC_TYPE_F16, 1, false);
}
static void greedy_resume_is_bit_identical_stored(void **state) {
    (void)state;
    check_greedy_resume(LLAMAC_TYPE_F16, 0, false);
}
static void greedy_resume_is_bit_identical_from_file_f32_cache(void **state) {
    (void)state;
    check_greedy_resume(LLAMAC_TYPE_F32, 9, true);
}

typedef enum { CHAIN_DIST, CHAIN_MIROSTAT } chain_kind;

static llamac_sampler *make_chain(chain_kind kind) {
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    ok(llamac_sampler_chain_add(c, llamac_sampler_init_penalties(64, 1.2f, 0.1f, 0.1f, NULL)), "penalties");
    if (kind == CHAIN_DIST) {
        ok(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(40, NULL)), "top_k");
        ok(llamac_sampler_chain_add(c, llamac_sampler_init_temp(0.8f, NULL)), "temp");
        ok(llamac_sampler_chain_add(c, llamac_sampler_init_dist(1234, NULL)), "dist");
    } else {
        ok(llamac_sampler_chain_add(c, llamac_sampler_init_temp(0.8f, NULL)), "temp");
        ok(llamac_sampler_chain_add(c, llamac_sampler_init_mirostat_v2(77, 5.0f, 0.1f, NULL)), "mirostat");
    }
    return c;
}

static void check_sampled_resume(chain_kind kind) {
    llamac_model *m = load_model(shipped_model_path());
    const int32_t nv = llamac_model_n_vocab(m);
    llamac_context *a = make_ctx(m, 160, 1, LLAMAC_TYPE_F16);
    llamac_sampler *sa = make_chain(kind);
    decode_prompt(a, prompt, N_PROMPT, 0);
    /* a first stretch, so the sampler's window, RNG and mu have moved */
    llamac_token warm[N_GEN];
    float *lw = malloc(sizeof(float) * N_GEN * (size_t)nv);
    for (int32_t i = 0; i < N_PROMPT; i++) llamac_sampler_accept(sa, prompt[i]);
    generate(a, sa, N_PROMPT, 0, warm, lw);
    llamac_state_params sp = llamac_state_default_params();
    sp.sampler = sa;
    size_t size = 0;
    uint8_t *buf = save_state(a, LLAMAC_STATE_ALL_SEQS, &sp, &size);
    llamac_token t1[N_GEN], t2[N_GEN];
    float *l1 = malloc(sizeof(float) * N_GEN * (size_t)nv), *l2 = malloc(sizeof(float) * N_GEN * (size_t)nv);
    generate(a, sa, N_PROMPT + N_GEN, 0, t1, l1);
    /* a fresh context and a freshly built chain (its own initial state) */
    llamac_context *b = make_ctx(m, 160, 1, LLAMAC_TYPE_F16);
    llamac_sampler *sb = make_chain(kind);
    ok(llamac_state_load(b, LLAMAC_STATE_ALL_SEQS, buf, size, sb, NULL, 0, NULL), "load");
    generate(b, sb, N_PROMPT + N_GEN, 0, t2, l2);
    assert_memory_equal(t1, t2, sizeof t1);
    du_assert_same_bits(l1, l2, (size_t)N_GEN * (size_t)nv, "sampled continuation logits");
    /* without the sampler state the continuation differs: the test can fail */
    llamac_context *c = make_ctx(m, 160, 1, LLAMAC_TYPE_F16);
    llamac_sampler *sc = make_chain(kind);
    ok(llamac_state_load(c, LLAMAC_STATE_ALL_SEQS, buf, size, NULL, NULL, 0, NULL), "load without sampler");
    llamac_token t3[N_GEN];
    generate(c, sc, N_PROMPT + N_GEN, 0, t3, l2);
    assert_memory_not_equal(t1, t3, sizeof t1);
    llamac_sampler_free(sa); llamac_sampler_free(sb); llamac_sampler_free(sc);
    llamac_context_free(a); llamac_context_free(b); llamac_context_free(c);
    free(buf); free(l1); free(l2); free(lw);
    llamac_model_free(m);
}

static void sampled_resume_with_penalties_top_k_temp_dist(void **state) {
    (void)state;
    check_sampled_resume(CHAIN_DIST);
}
static void sampled_resume_with_penalties_mirostat(void **state) {
    (void)state;
    check_sampled_resume(CHAIN_MIROSTAT);
}

/* seq 0 of one context into seq 3 of another, empty one. */
static void sequence_moves_to_seq_3_of_another_context(void **state) {
    (void)state;
    llamac_model *m = load_model(shipped_model_path());
    const int32_t nv = llamac_model_n_vocab(m);
    llamac_context *a = make_ctx(m, 128, 1, LLAMAC_TYPE_F16);
    decode_prompt(a, prompt, N_PROMPT, 0);
    size_t size = 0;
    uint8_t *buf = save_state(a, 0, NULL, &size);
    llamac_state_info info;
    ok(llamac_state_info_read(buf, size, &info), "info");
    assert_true(info.sequence);
    assert_true(info.has_logits);
    assert_int_equal(info.n_cells, N_PROMPT);
    llamac_token t1[N_GEN], t2[N_GEN];
    float *l1 = malloc(sizeof(float) * N_GEN * (size_t)nv), *l2 = malloc(sizeof(float) * N_GEN * (size_t)nv);
    generate(a, NULL, N_PROMPT, 0, t1, l1);
    llamac_context *b = make_ctx(m, 128, 4, LLAMAC_TYPE_F16);
    assert_int_equal(llamac_state_load(b, LLAMAC_STATE_ALL_SEQS, buf, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    ok(llamac_state_load(b, 3, buf, size, NULL, NULL, 0, NULL), "load into seq 3");
    assert_int_equal(llamac_kv_seq_pos_max(b, 3), N_PROMPT - 1);
    assert_int_equal(llamac_kv_seq_pos_max(b, 0), -1);
    generate(b, NULL, N_PROMPT, 3, t2, l2);
    assert_memory_equal(t1, t2, sizeof t1);
    du_assert_same_bits(l1, l2, (size_t)N_GEN * (size_t)nv, "seq 3 continuation logits");
    free(buf); free(l1); free(l2);
    llamac_context_free(a);
    llamac_context_free(b);
    llamac_model_free(m);
}

/* A sequence state whose logits are not its own (another sequence decoded
 * last) has none; re-decoding its last token gives the same bits. */
static void sequence_without_logits_redecodes_last_token_to_same_bits(void **state) {
    (void)state;
    llamac_model *m = load_model(shipped_model_path());
    const int32_t nv = llamac_model_n_vocab(m);
    llamac_context *a = make_ctx(m, 128, 2, LLAMAC_TYPE_F16);
    decode_prompt(a, prompt, N_PROMPT, 0);
    float *want = malloc(sizeof(float) * (size_t)nv);
    memcpy(want, llamac_get_logits(a, -1), sizeof(float) * (size_t)nv);
    decode_one(a, 5, 0, 1); /* seq 1 decoded last */
    size_t size = 0;
    uint8_t *buf = save_state(a, 0, NULL, &size);
    llamac_state_info info;
    ok(llamac_state_info_read(buf, size, &info), "info");
    assert_false(info.has_logits);
    llamac_context *b = make_ctx(m, 128, 1, LLAMAC_TYPE_F16);
    ok(llamac_state_load(b, 0, buf, size, NULL, NULL, 0, NULL), "load");
    assert_int_equal(llamac_n_outputs(b), 0);
    ok(llamac_kv_seq_rm(b, 0, N_PROMPT - 1, -1), "rm last");
    decode_one(b, prompt[N_PROMPT - 1], N_PROMPT - 1, 0);
    du_assert_same_bits(want, llamac_get_logits(b, -1), (size_t)nv, "re-decoded last token");
    free(want); free(buf);
    llamac_context_free(a);
    llamac_context_free(b);
    llamac_model_free(m);
}

/* ---- API details ---- */

static void buffer_too_small_reports_exact_size_and_tokens_query(void **state) {
    (void)state;
    llamac_model *m = load_model(shipped_model_path());
    llamac_context *a = make_ctx(m, 64, 1, LLAMAC_TYPE_F16);
    decode_prompt(a, prompt, N_PROMPT, 0);
    llamac_state_params sp = llamac_state_default_params();
    sp.tokens = prompt;
    sp.n_tokens = N_PROMPT;
    size_t need = 0, size = 0;
    uint8_t small[100];
    assert_int_equal(llamac_state_save(a, -1, &sp, small, sizeof small, &need), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_true(need > sizeof small);
    uint8_t *buf = malloc(need);
    ok(llamac_state_save(a, -1, &sp, buf, need, &size), "save exact");
    assert_int_equal(size, need);
    assert_int_equal(llamac_state_save(a, -1, &sp, buf, need - 1, &size), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(size, need);
    ok(llamac_state_save(a, -1, &sp, buf, need, &size), "save again");
    size_t n = 0;
    assert_int_equal(llamac_state_tokens(buf, size, NULL, 0, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, N_PROMPT);
    llamac_token toks[N_PROMPT];
    ok(llamac_state_tokens(buf, size, toks, N_PROMPT, &n), "tokens");
    assert_memory_equal(toks, prompt, sizeof toks);
    /* a load whose token buffer is too small changes nothing */
    llamac_context *b = make_ctx(m, 64, 1, LLAMAC_TYPE_F16);
    assert_int_equal(llamac_state_load(b, -1, buf, size, NULL, toks, 3, &n), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, N_PROMPT);
    assert_int_equal(llamac_kv_n_used(b), 0);
    llamac_state_info info;
    ok(llamac_state_info_read(buf, size, &info), "info");
    assert_int_equal(info.n_tokens, N_PROMPT);
    assert_int_equal(info.n_layer, llamac_model_n_layer(m));
    assert_int_equal(info.n_vocab, llamac_model_n_vocab(m));
    assert_string_equal(info.arch, "llama");
    assert_int_equal(info.file_bytes, size);
    free(buf);
    llamac_context_free(a);
    llamac_context_free(b);
    llamac_model_free(m);
}

static void sampler_state_round_trip_and_mismatch(void **state) {
    (void)state;
    llamac_sampler *a = make_chain(CHAIN_DIST), *b = make_chain(CHAIN_DIST), *c = make_chain(CHAIN_MIROSTAT);
    float logits[50];
    for (int i = 0; i < 50; i++) logits[i] = sinf((float)i);
    llamac_token t;
    for (int i = 0; i < 10; i++) ok(llamac_sampler_sample(a, logits, 50, &t), "sample");
    size_t n = llamac_sampler_state_size(a), got = 0;
    uint8_t *blob = malloc(n);
    assert_int_equal(llamac_sampler_state_save(a, NULL, 0, &got), LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(got, n);
    ok(llamac_sampler_state_save(a, blob, n, &got), "save");
    ok(llamac_sampler_state_load(b, blob, n), "load");
    for (int i = 0; i < 20; i++) {
        llamac_token ta, tb;
        ok(llamac_sampler_sample(a, logits, 50, &ta), "a");
        ok(llamac_sampler_sample(b, logits, 50, &tb), "b");
        assert_int_equal(ta, tb);
    }
    /* other composition: refused, c unchanged (same draws as its twin) */
    llamac_sampler *twin = make_chain(CHAIN_MIROSTAT);
    assert_int_equal(llamac_sampler_state_load(c, blob, n), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "sampler"));
    /* every byte flipped: refused (CRC) */
    for (size_t i = 0; i < n; i++) {
        blob[i] ^= 0x20;
        assert_int_not_equal(llamac_sampler_state_load(b, blob, n), LLAMAC_OK);
        blob[i] ^= 0x20;
    }
    for (size_t k = 0; k < n; k++) assert_int_not_equal(llamac_sampler_state_load(b, blob, k), LLAMAC_OK);
    for (int i = 0; i < 20; i++) {
        llamac_token tc, tt;
        ok(llamac_sampler_sample(c, logits, 50, &tc), "c");
        ok(llamac_sampler_sample(twin, logits, 50, &tt), "twin");
        assert_int_equal(tc, tt);
    }
    free(blob);
    llamac_sampler_free(a); llamac_sampler_free(b); llamac_sampler_free(c); llamac_sampler_free(twin);
}

/* ---- hostile states on a small synthetic model ---- */

typedef struct hostile {
    du_model dm;
    llamac_context *ctx;   /* the target, holding its own state */
    float *logits;         /* its last logits before any load */
    int32_t nv, n_used;
    llamac_pos pos_max;
} hostile;

static void hostile_open(hostile *h) {
    du_model_open(&h->dm, NULL);
    h->nv = h->dm.n_vocab;
    h->ctx = du_context(h->dm.model, 32, 8, 2, 1);
    llamac_token t[5];
    du_tokens(t, 5, h->nv, 3);
    ok(du_decode(h->ctx, t, 5, 0, 0, NULL), "target prompt");
    h->logits = malloc(sizeof(float) * (size_t)h->nv);
    memcpy(h->logits, llamac_get_logits(h->ctx, -1), sizeof(float) * (size_t)h->nv);
    h->n_used = llamac_kv_n_used(h->ctx);
    h->pos_max = llamac_kv_seq_pos_max(h->ctx, 0);
}

static void hostile_close(hostile *h) {
    free(h->logits);
    llamac_context_free(h->ctx);
    du_model_close(&h->dm);
}

/* The target is exactly as before: cells, last logits bits. */
static void target_unchanged(const hostile *h, const char *what) {
    if (llamac_kv_n_used(h->ctx) != h->n_used || llamac_kv_seq_pos_max(h->ctx, 0) != h->pos_max ||
        llamac_kv_seq_pos_max(h->ctx, 1) != -1)
        fail_msg("%s: the context's cells changed", what);
    const float *row = llamac_get_logits(h->ctx, -1);
    if (!row || memcmp(row, h->logits, sizeof(float) * (size_t)h->nv) != 0) fail_msg("%s: the logits changed", what);
}

/* A state of a source context of the same model: 2 sequences, logits. */
static uint8_t *source_state(const hostile *h, int32_t seq, int32_t level, size_t *size, bool with_sampler) {
    llamac_context *src = du_context(h->dm.model, 32, 8, 2, 1);
    llamac_token t[9];
    du_tokens(t, 9, h->nv, 11);
    ok(du_decode(src, t, 6, 0, 1, NULL), "source seq 1");
    ok(du_decode(src, t + 6, 3, 0, 0, NULL), "source seq 0");
    llamac_sampler *smpl = with_sampler ? make_chain(CHAIN_DIST) : NULL;
    llamac_state_params sp = llamac_state_default_params();
    sp.compression = level;
    sp.tokens = t;
    sp.n_tokens = 9;
    sp.sampler = smpl;
    uint8_t *buf = save_state(src, seq, &sp, size);
    llamac_sampler_free(smpl);
    llamac_context_free(src);
    return buf;
}

/* Refused with a message, target unchanged. */
static llamac_status expect_refused(hostile *h, int32_t seq, const uint8_t *p, size_t n, llamac_sampler *smpl,
                                    const char *what) {
    llamac_last_error();
    const llamac_status st = llamac_state_load(h->ctx, seq, p, n, smpl, NULL, 0, NULL);
    if (st == LLAMAC_OK) fail_msg("%s: accepted", what);
    if (!llamac_last_error()[0]) fail_msg("%s: no message", what);
    target_unchanged(h, what);
    return st;
}

static void every_truncation_is_refused(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    for (int32_t level = 0; level <= 1; level++)
        for (int32_t seq = -1; seq <= 1; seq += 2) {
            size_t size;
            uint8_t *buf = source_state(&h, seq, level, &size, true);
            llamac_sampler *smpl = make_chain(CHAIN_DIST);
            int32_t dest = seq < 0 ? -1 : 1;
            for (size_t k = 0; k < size; k++) {
                uint8_t *cut = malloc(k ? k : 1); /* exact size: ASan sees any overread */
                memcpy(cut, buf, k);
                expect_refused(&h, dest, cut, k, smpl, "truncated state");
                free(cut);
            }
            /* the whole one loads, into a copy of the target */
            llamac_context *c = du_context(h.dm.model, 32, 8, 2, 1);
            ok(llamac_state_load(c, dest, buf, size, smpl, NULL, 0, NULL), "untruncated");
            llamac_context_free(c);
            llamac_sampler_free(smpl);
            free(buf);
        }
    hostile_close(&h);
}

static uint32_t lcg(uint32_t *x) {
    *x = *x * 1664525u + 1013904223u;
    return *x >> 8;
}

/* Every single-byte change is caught (CRC-32 catches any burst of up to
 * 32 bits), whatever byte it hits. */
static void random_byte_flips_are_refused(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    uint32_t x = 99;
    int flips = 0;
    for (int32_t level = 0; level <= 1; level++) {
        size_t size;
        uint8_t *buf = source_state(&h, -1, level, &size, false);
        for (int i = 0; i < 2500; i++, flips++) {
            const size_t at = lcg(&x) % size;
            const uint8_t mask = (uint8_t)(1 + lcg(&x) % 255);
            buf[at] ^= mask;
            expect_refused(&h, -1, buf, size, NULL, "flipped state");
            buf[at] ^= mask;
        }
        free(buf);
    }
    assert_int_equal(flips, 5000);
    /* still usable: one more decode works */
    decode_one(h.ctx, 1, h.pos_max + 1, 0);
    hostile_close(&h);
}

/* Rewrites a stored (level 0) state's CRCs after a change to its payload,
 * so the change reaches the value checks. */
static void fix_crcs(uint8_t *buf, size_t size) {
    lc_put_u32(buf + 160, (uint32_t)crc32(0L, buf + LC_STATE_HEADER, (uInt)(size - LC_STATE_HEADER)));
    lc_put_u32(buf + 164, (uint32_t)crc32(0L, buf, 164));
}

/* Byte changes with valid CRCs: each load either succeeds (a K/V or logit
 * byte) or is refused with the context unchanged; the structural bytes
 * (cells, positions, sequence sets, batch map, tokens) are refused. */
static void value_flips_with_valid_crc_are_checked(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    size_t size;
    uint8_t *orig = source_state(&h, -1, 0, &size, true);
    uint8_t *buf = malloc(size);
    lc_state_header hd;
    ok(lc_state_header_decode(orig, &hd), "decode header");
    lc_state_layout l;
    assert_true(lc_state_layout_of(&hd, &l));
    llamac_sampler *smpl = make_chain(CHAIN_DIST);
    int refused = 0, accepted = 0, structural_refused = 0;
    uint32_t x = 7;
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, orig, size);
        const size_t at = LC_STATE_HEADER + lcg(&x) % (size - LC_STATE_HEADER);
        buf[at] ^= (uint8_t)(1 + lcg(&x) % 255);
        fix_crcs(buf, size);
        const uint64_t off = at - LC_STATE_HEADER;
        const bool structural = off < l.rows && off >= l.cells; /* cell table and sequence sets */
        llamac_context *c = du_context(h.dm.model, 32, 8, 2, 1);
        const llamac_status st = llamac_state_load(c, -1, buf, size, smpl, NULL, 0, NULL);
        llamac_context_free(c);
        if (st == LLAMAC_OK) {
            accepted++;
            /* an index or sequence-bit change can still be valid (another
             * free cell, another sequence id below n_seq), a position one
             * can land on a free position: allowed */
            continue;
        }
        refused++;
        if (!llamac_last_error()[0]) fail_msg("no message");
        expect_refused(&h, -1, buf, size, smpl, "value flip");
        if (structural) structural_refused++;
    }
    printf("value flips with valid CRCs: %d refused (%d in the cell table), %d accepted\n", refused,
           structural_refused, accepted);
    assert_true(refused > 0 && accepted > 0);
    llamac_sampler_free(smpl);
    free(buf);
    free(orig);
    hostile_close(&h);
}

/* Forged sections with valid CRCs, one field at a time. */
static void forged_fields_are_refused_by_name(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    size_t size;
    uint8_t *orig = source_state(&h, -1, 0, &size, false);
    lc_state_header hd;
    ok(lc_state_header_decode(orig, &hd), "header");
    lc_state_layout l;
    assert_true(lc_state_layout_of(&hd, &l));
    uint8_t *buf = malloc(size);
    const struct {
        uint64_t off;
        int32_t value;
        const char *message;
    } cases[] = {
        {l.tokens, h.nv, "outside the vocabulary"},
        {l.tokens + 4, -1, "outside the vocabulary"},
        {l.cells, 40, "index"},           /* first cell index past cell_span */
        {l.cells + 4, -5, "position"},     /* negative position */
        {l.cells + 12, 0, "position"},     /* cell 1 at position 0: cell 0's in its sequence */
        {l.logits + 4 * (uint64_t)h.nv * (uint64_t)hd.n_logits, 5, "logits row"}, /* batch map */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(buf, orig, size);
        lc_put_u32(buf + LC_STATE_HEADER + cases[i].off, (uint32_t)cases[i].value);
        fix_crcs(buf, size);
        assert_int_equal(expect_refused(&h, -1, buf, size, NULL, cases[i].message), LLAMAC_ERR_FORMAT);
        if (!strstr(llamac_last_error(), cases[i].message))
            fail_msg("case %zu: message '%s' does not name '%s'", i, llamac_last_error(), cases[i].message);
    }
    free(buf);
    free(orig);
    hostile_close(&h);
}

static void newer_version_and_flags_are_unsupported(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    size_t size;
    uint8_t *buf = source_state(&h, -1, 1, &size, false);
    lc_put_u32(buf + 8, 2);
    lc_put_u32(buf + 164, (uint32_t)crc32(0L, buf, 164));
    assert_int_equal(expect_refused(&h, -1, buf, size, NULL, "version 2"), LLAMAC_ERR_UNSUPPORTED);
    lc_put_u32(buf + 8, 1);
    lc_put_u32(buf + 12, lc_get_u32(buf + 12) | 0x100);
    lc_put_u32(buf + 164, (uint32_t)crc32(0L, buf, 164));
    assert_int_equal(expect_refused(&h, -1, buf, size, NULL, "unknown flag"), LLAMAC_ERR_UNSUPPORTED);
    free(buf);
    hostile_close(&h);
}

/* A context too small, a sequence state with no room, wrong cache type. */
static void states_that_do_not_fit_are_refused(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    size_t size;
    uint8_t *whole = source_state(&h, -1, 1, &size, false);
    llamac_context *small = du_context(h.dm.model, 8, 8, 2, 1);
    assert_int_equal(llamac_state_load(small, -1, whole, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "n_ctx"));
    llamac_context *one_seq = du_context(h.dm.model, 32, 8, 1, 1);
    assert_int_equal(llamac_state_load(one_seq, -1, whole, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "n_seq_max"));
    llamac_sampler *smpl = make_chain(CHAIN_DIST);
    assert_int_equal(expect_refused(&h, -1, whole, size, smpl, "no sampler inside"), LLAMAC_ERR_MISMATCH);
    llamac_sampler_free(smpl);
    free(whole);
    /* seq 1 has 6 cells; the target has 32 - 5 free */
    uint8_t *seq = source_state(&h, 1, 1, &size, false);
    llamac_context *tiny = du_context(h.dm.model, 4, 4, 2, 1);
    assert_int_equal(llamac_state_load(tiny, 1, seq, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    llamac_context *full = du_context(h.dm.model, 8, 8, 2, 1);
    llamac_token t[4] = {1, 2, 3, 4};
    ok(du_decode(full, t, 4, 0, 0, NULL), "fill");
    assert_int_equal(llamac_state_load(full, 1, seq, size, NULL, NULL, 0, NULL), LLAMAC_ERR_CONTEXT_FULL);
    assert_int_equal(llamac_kv_n_used(full), 4);
    /* replacing seq 0's own 4 cells frees them: then it fits */
    ok(llamac_state_load(full, 0, seq, size, NULL, NULL, 0, NULL), "into the replaced sequence");
    assert_int_equal(llamac_kv_n_used(full), 6);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 32;
    cp.n_seq_max = 2;
    cp.kv_type = LLAMAC_TYPE_F32;
    llamac_context *f32;
    ok(llamac_context_new(h.dm.model, &cp, &f32), "f32 ctx");
    assert_int_equal(llamac_state_load(f32, 1, seq, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "KV cache type"));
    assert_int_equal(expect_refused(&h, 9, seq, size, NULL, "bad seq"), LLAMAC_ERR_INVALID_ARG);
    free(seq);
    llamac_context_free(small); llamac_context_free(one_seq); llamac_context_free(tiny);
    llamac_context_free(full); llamac_context_free(f32);
    hostile_close(&h);
}

/* The shipped model's state into the small model: another fingerprint. */
static void other_model_state_is_a_mismatch(void **state) {
    (void)state;
    hostile h;
    hostile_open(&h);
    llamac_model *m = load_model(shipped_model_path());
    llamac_context *a = make_ctx(m, 32, 1, LLAMAC_TYPE_F16);
    decode_prompt(a, prompt, 4, 0);
    size_t size = 0;
    uint8_t *buf = save_state(a, -1, NULL, &size);
    assert_int_equal(expect_refused(&h, -1, buf, size, NULL, "shipped into small"), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "model fingerprint"));
    free(buf);
    llamac_context_free(a);
    llamac_model_free(m);
    hostile_close(&h);
}

/* The model's allocator, counting the largest block asked for. */
static size_t biggest;
static void *big_malloc(void *u, size_t n) {
    (void)u;
    if (n > biggest) biggest = n;
    return malloc(n);
}
static void *big_realloc(void *u, void *p, size_t n) {
    (void)u;
    if (n > biggest) biggest = n;
    return realloc(p, n);
}
static void big_free(void *u, void *p) {
    (void)u;
    free(p);
}

/* Re-deflates a stored state's payload followed by `extra` zero bytes
 * (the header still declares the true size), or cut to `keep` bytes. */
static uint8_t *redeflate(const uint8_t *stored, size_t size, size_t extra, size_t keep, size_t *out_size) {
    const size_t raw = size - LC_STATE_HEADER, n = LC_MIN(raw, keep);
    uint8_t *payload = calloc(n + extra, 1);
    memcpy(payload, stored + LC_STATE_HEADER, n);
    uLongf cap = compressBound((uLong)(n + extra));
    uint8_t *out = malloc(LC_STATE_HEADER + cap);
    if (compress2(out + LC_STATE_HEADER, &cap, payload, (uLong)(n + extra), 9) != Z_OK) fail_msg("compress2");
    memcpy(out, stored, LC_STATE_HEADER);
    uint32_t flags = lc_get_u32(out + 12) | LC_STATE_DEFLATE;
    lc_put_u32(out + 12, flags);
    lc_put_u32(out + 20, 9);
    lc_put_u64(out + 152, cap);
    lc_put_u32(out + 164, (uint32_t)crc32(0L, out, 164));
    *out_size = LC_STATE_HEADER + cap;
    free(payload);
    return out;
}

static void decompression_bombs_are_refused_both_ways(void **state) {
    (void)state;
    hostile h;
    const llamac_allocator counting = {big_malloc, big_realloc, big_free, NULL};
    du_model_open(&h.dm, NULL);
    llamac_model_free(h.dm.model);
    char path[512];
    snprintf(path, sizeof path, "%s/model.gguf", h.dm.dir);
    llamac_model_params mp = llamac_model_default_params();
    mp.allocator = &counting;
    ok(llamac_model_load(path, &mp, &h.dm.model), "model with counting allocator");
    h.nv = h.dm.n_vocab;
    h.ctx = du_context(h.dm.model, 32, 8, 2, 1);
    llamac_token t[5];
    du_tokens(t, 5, h.nv, 3);
    ok(du_decode(h.ctx, t, 5, 0, 0, NULL), "prompt");
    h.logits = malloc(sizeof(float) * (size_t)h.nv);
    memcpy(h.logits, llamac_get_logits(h.ctx, -1), sizeof(float) * (size_t)h.nv);
    h.n_used = llamac_kv_n_used(h.ctx);
    h.pos_max = llamac_kv_seq_pos_max(h.ctx, 0);
    size_t size, bomb_size;
    uint8_t *stored = source_state(&h, -1, 0, &size, false);
    /* header claims the true small size; the stream inflates 64 MiB more */
    uint8_t *bomb = redeflate(stored, size, (size_t)64 << 20, SIZE_MAX, &bomb_size);
    biggest = 0;
    assert_int_equal(expect_refused(&h, -1, bomb, bomb_size, NULL, "bomb"), LLAMAC_ERR_FORMAT);
    assert_non_null(strstr(llamac_last_error(), "more than"));
    assert_true(biggest < ((size_t)1 << 20));
    free(bomb);
    /* the reverse: the stream gives less than the header declares */
    bomb = redeflate(stored, size, 0, (size - LC_STATE_HEADER) / 2, &bomb_size);
    assert_int_equal(expect_refused(&h, -1, bomb, bomb_size, NULL, "short stream"), LLAMAC_ERR_FORMAT);
    free(bomb);
    /* header claims huge (counts far beyond the context), stream tiny */
    bomb = redeflate(stored, size, 0, SIZE_MAX, &bomb_size);
    lc_put_u32(bomb + 112, 1u << 30); /* n_cells */
    lc_put_u32(bomb + 116, 1u << 30);
    lc_state_header hd;
    ok(lc_state_header_decode(stored, &hd), "header");
    hd.n_cells = hd.cell_span = 1 << 30;
    lc_state_layout l;
    assert_true(lc_state_layout_of(&hd, &l));
    lc_put_u64(bomb + 144, l.total);
    lc_put_u32(bomb + 164, (uint32_t)crc32(0L, bomb, 164));
    biggest = 0;
    assert_int_equal(expect_refused(&h, -1, bomb, bomb_size, NULL, "huge header"), LLAMAC_ERR_MISMATCH);
    assert_true(biggest < ((size_t)1 << 20));
    free(bomb);
    free(stored);
    hostile_close(&h);
}

/* ---- ../shared: same shape, other weight types ---- */

static void tiny_q8_0_state_into_tiny_f32_is_a_mismatch(void **state) {
    (void)state;
    du_model q8, f32;
    if (!du_model_open_shared(&q8, "tiny-Q8_0.gguf")) {
        skip();
        return;
    }
    if (!du_model_open_shared(&f32, "tiny-F32.gguf")) {
        du_model_close(&q8);
        skip();
        return;
    }
    llamac_context *a = du_context(q8.model, 32, 8, 1, 1);
    llamac_token t[6];
    du_tokens(t, 6, q8.n_vocab, 5);
    ok(du_decode(a, t, 6, 0, 0, NULL), "q8 decode");
    size_t size = 0;
    uint8_t *buf = save_state(a, -1, NULL, &size);
    llamac_context *b = du_context(f32.model, 32, 8, 1, 1);
    ok(du_decode(b, t, 3, 0, 0, NULL), "f32 decode");
    float *before = malloc(sizeof(float) * (size_t)f32.n_vocab);
    memcpy(before, llamac_get_logits(b, -1), sizeof(float) * (size_t)f32.n_vocab);
    assert_int_equal(llamac_state_load(b, -1, buf, size, NULL, NULL, 0, NULL), LLAMAC_ERR_MISMATCH);
    assert_non_null(strstr(llamac_last_error(), "tensor table"));
    assert_int_equal(llamac_kv_n_used(b), 3);
    du_assert_same_bits(before, llamac_get_logits(b, -1), (size_t)f32.n_vocab, "f32 logits after refusal");
    /* the Q8_0 state loads into a Q8_0 context */
    llamac_context *c = du_context(q8.model, 32, 8, 1, 1);
    ok(llamac_state_load(c, -1, buf, size, NULL, NULL, 0, NULL), "q8 into q8");
    free(before); free(buf);
    llamac_context_free(a); llamac_context_free(b); llamac_context_free(c);
    du_model_close(&q8);
    du_model_close(&f32);
}

int main(int argc, char **argv) {
    if (test_part(argc, argv, "--shared")) return run_cases(NULL, NULL, tiny_q8_0_state_into_tiny_f32_is_a_mismatch);
    return run_cases(NULL, NULL,
                     greedy_resume_is_bit_identical_deflated,
                     greedy_resume_is_bit_identical_stored,
                     greedy_resume_is_bit_identical_from_file_f32_cache,
                     sampled_resume_with_penalties_top_k_temp_dist,
                     sampled_resume_with_penalties_mirostat,
                     sequence_moves_to_seq_3_of_another_context,
                     sequence_without_logits_redecodes_last_token_to_same_bits,
                     buffer_too_small_reports_exact_size_and_tokens_query,
                     sampler_state_round_trip_and_mismatch,
                     every_truncation_is_refused,
                     random_byte_flips_are_refused,
                     value_flips_with_valid_crc_are_checked,
                     forged_fields_are_refused_by_name,
                     newer_version_and_flags_are_unsupported,
                     states_that_do_not_fit_are_refused,
                     other_model_state_is_a_mismatch,
                     decompression_bombs_are_refused_both_ways);
}
