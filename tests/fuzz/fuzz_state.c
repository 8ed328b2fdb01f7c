/* libFuzzer target for the state reader (docs/fuzzing.md, docs/state-format.md):
 * each input is a state file loaded into a context of the small model of
 * fuzz_states.c, as a whole context and into sequence 1, with a sampler.
 * A refused load must leave a message and the context and sampler exactly
 * as they were (cells and the logits' bits); an accepted one is undone by
 * loading the baseline state saved at start-up. The same input is then
 * loaded once more with its CRC-32s recomputed (when it is a stored state),
 * so mutations reach the checks behind the CRC; llamac_state_info_read and
 * llamac_state_tokens read it too. Anything else aborts. */
#include "fuzz_states.h"

#include "common/bytes.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static llamac_model *model;
static llamac_context *ctx;
static llamac_sampler *smpl;
static uint8_t *baseline;
static size_t baseline_size;
static float *logits;
static int32_t n_vocab, n_used;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (!(model = fs_model_load()) || !(ctx = fs_context(model)) || !(smpl = fs_sampler())) abort();
    n_vocab = llamac_model_n_vocab(model);
    llamac_batch b;
    if (llamac_batch_init(&b, 5, 1, NULL)) abort();
    const llamac_seq_id seq = 0;
    for (int32_t i = 0; i < 5; i++) llamac_batch_add(&b, 3 + i, i, &seq, 1, i == 4);
    if (llamac_decode(ctx, &b)) abort();
    llamac_batch_free(&b);
    llamac_state_params sp = llamac_state_default_params();
    sp.sampler = smpl;
    if (llamac_state_save_size(ctx, LLAMAC_STATE_ALL_SEQS, &sp, &baseline_size)) abort();
    if (!(baseline = malloc(baseline_size))) abort();
    if (llamac_state_save(ctx, LLAMAC_STATE_ALL_SEQS, &sp, baseline, baseline_size, &baseline_size)) abort();
    n_used = llamac_kv_n_used(ctx);
    if (!(logits = malloc(sizeof(float) * (size_t)n_vocab))) abort();
    memcpy(logits, llamac_get_logits(ctx, -1), sizeof(float) * (size_t)n_vocab);
    return 0;
}

static void unchanged_or_abort(void) {
    const float *row = llamac_get_logits(ctx, -1);
    if (llamac_kv_n_used(ctx) != n_used || llamac_kv_seq_pos_max(ctx, 1) != -1 || !row ||
        memcmp(row, logits, sizeof(float) * (size_t)n_vocab) != 0)
        abort();
}

static void try_load(const uint8_t *data, size_t size, llamac_seq_id seq) {
    llamac_token tokens[64];
    size_t n = 0;
    const llamac_status st = llamac_state_load(ctx, seq, data, size, smpl, tokens, 64, &n);
    if (st == LLAMAC_OK) {
        if (llamac_state_load(ctx, LLAMAC_STATE_ALL_SEQS, baseline, baseline_size, smpl, NULL, 0, NULL)) abort();
    } else if (!llamac_last_error()[0]) {
        abort();
    }
    unchanged_or_abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_load(data, size, LLAMAC_STATE_ALL_SEQS);
    try_load(data, size, 1);
    llamac_state_info info;
    llamac_token tokens[16];
    size_t n;
    (void)llamac_state_info_read(data, size, &info);
    (void)llamac_state_tokens(data, size, tokens, 16, &n);
    /* Past the CRCs: a stored state with both recomputed. */
    if (size >= LLAMAC_STATE_HEADER_BYTES && memcmp(data, "LLCSTATE", 8) == 0 && !(lc_get_u32(data + 12) & 1u)) {
        uint8_t *copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        const size_t payload = size - LLAMAC_STATE_HEADER_BYTES;
        lc_put_u32(copy + 160, (uint32_t)crc32(0L, copy + LLAMAC_STATE_HEADER_BYTES, (uInt)payload));
        lc_put_u32(copy + 164, (uint32_t)crc32(0L, copy, 164));
        try_load(copy, size, LLAMAC_STATE_ALL_SEQS);
        try_load(copy, size, 1);
        free(copy);
    }
    return 0;
}
