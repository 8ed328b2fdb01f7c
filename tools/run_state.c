/* The state files of `llamac run`: restore, prompt-cache prefix reuse, save. */
#include "run_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool run_tokens_append(run_tokens *t, const llamac_token *ids, int32_t n) {
    if (n <= 0) return true;
    if (n > INT32_MAX - t->n) return false;
    if (t->n + n > t->cap) {
        int32_t cap = t->cap ? t->cap : 64;
        while (cap < t->n + n) cap = cap > INT32_MAX / 2 ? INT32_MAX : cap * 2;
        llamac_token *p = realloc(t->ids, (size_t)cap * sizeof *p);
        if (!p) return false;
        t->ids = p;
        t->cap = cap;
    }
    memcpy(t->ids + t->n, ids, (size_t)n * sizeof *ids);
    t->n += n;
    return true;
}

void run_tokens_free(run_tokens *t) {
    free(t->ids);
    *t = (run_tokens){0};
}

/* The token ids a state file holds (info already read), appended to *out. */
static llamac_status read_tokens(const char *path, const llamac_state_info *info, run_tokens *out) {
    if (info->n_tokens == 0) return LLAMAC_OK;
    llamac_token *ids = malloc((size_t)info->n_tokens * sizeof *ids);
    if (!ids) return LLAMAC_ERR_NO_MEMORY;
    size_t n = 0;
    llamac_status st = llamac_state_file_tokens(path, ids, (size_t)info->n_tokens, &n);
    if (st == LLAMAC_OK && !run_tokens_append(out, ids, (int32_t)n)) st = LLAMAC_ERR_NO_MEMORY;
    free(ids);
    return st;
}

llamac_status run_state_restore(llamac_context *ctx, llamac_sampler *chain, const char *path,
                                run_tokens *tokens, bool *sampler_note) {
    *sampler_note = false;
    llamac_state_info info;
    llamac_status st = llamac_state_file_info(path, &info);
    if (st) return st;
    /* run's context has one sequence, so a whole-context state (of a context
     * with one sequence) restores as well as a sequence state does */
    const llamac_seq_id seq = info.sequence ? 0 : LLAMAC_STATE_ALL_SEQS;
    /* the ids come with the load, checked by its CRC */
    llamac_token *ids = malloc((size_t)(info.n_tokens > 0 ? info.n_tokens : 1) * sizeof *ids);
    if (!ids) return LLAMAC_ERR_NO_MEMORY;
    size_t n = 0;
    st = llamac_state_load_file(ctx, seq, path, info.has_sampler ? chain : NULL, ids, (size_t)info.n_tokens, &n);
    if (st == LLAMAC_ERR_MISMATCH && info.has_sampler) {
        /* maybe only the chain differs (other sampling options): the cells
         * are still good; if the model differs, this fails the same way */
        st = llamac_state_load_file(ctx, seq, path, NULL, ids, (size_t)info.n_tokens, &n);
        *sampler_note = st == LLAMAC_OK;
    }
    if (st == LLAMAC_OK && !run_tokens_append(tokens, ids, (int32_t)n)) {
        llamac_kv_clear(ctx);
        st = LLAMAC_ERR_NO_MEMORY;
    }
    free(ids);
    return st;
}

/* The sequence's cells must be its tokens' positions 0..n-1 (or 0..n-2,
 * the last token not decoded yet) for a prefix of them to be reused. */
static int32_t positions_held(const llamac_context *ctx, int32_t n_tokens) {
    const llamac_pos lo = llamac_kv_seq_pos_min(ctx, 0), hi = llamac_kv_seq_pos_max(ctx, 0);
    if (lo != 0 || (hi + 1 != n_tokens && hi + 2 != n_tokens)) return -1;
    return hi + 1;
}

void prompt_cache_restore(llamac_context *ctx, const char *path, const llamac_token *prompt,
                          int32_t n_prompt, prompt_cache_use *use) {
    *use = (prompt_cache_use){.write = true};
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) return; /* written after the prompt */
    llamac_state_info info;
    llamac_status st = llamac_state_file_info(path, &info);
    if (st) {
        fprintf(stderr, "llamac run: prompt cache not used, and '%s' left as it is: %s: %s\n", path,
                llamac_status_name(st), llamac_last_error());
        use->write = false;
        return;
    }
    run_tokens cached = {0};
    if ((st = read_tokens(path, &info, &cached))) goto unusable;
    int32_t n_common = 0;
    while (n_common < cached.n && n_common < n_prompt && cached.ids[n_common] == prompt[n_common]) n_common++;
    use->unchanged = n_common == n_prompt && cached.n == n_prompt;
    if (n_common == 0) goto done; /* nothing to reuse: not worth a load */
    const llamac_seq_id seq = info.sequence ? 0 : LLAMAC_STATE_ALL_SEQS;
    if ((st = llamac_state_load_file(ctx, seq, path, NULL, NULL, 0, NULL))) goto unusable;
    const int32_t held = positions_held(ctx, cached.n);
    if (held < 0) {
        fprintf(stderr, "llamac run: prompt cache '%s' not used: its cells are not its %d tokens' positions\n",
                path, (int)cached.n);
        llamac_kv_clear(ctx);
        use->unchanged = false;
        goto done;
    }
    use->n_reused = n_common < held ? n_common : held;
    use->unchanged = use->unchanged && held == n_prompt;
    if ((st = llamac_kv_seq_rm(ctx, 0, use->n_reused, -1))) {
        llamac_kv_clear(ctx);
        use->n_reused = 0;
        goto unusable;
    }
    goto done;
unusable:
    fprintf(stderr, "llamac run: prompt cache '%s' not used (it will be replaced): %s: %s\n", path,
            llamac_status_name(st), llamac_last_error());
    use->unchanged = false;
done:
    run_tokens_free(&cached);
}

llamac_status run_state_save(const llamac_context *ctx, const llamac_sampler *chain, const char *path,
                             const run_tokens *tokens, uint64_t *file_bytes) {
    llamac_state_params sp = llamac_state_default_params();
    sp.tokens = tokens->ids;
    sp.n_tokens = tokens->n;
    sp.sampler = chain;
    llamac_status st = llamac_state_save_file(ctx, 0, &sp, path);
    llamac_state_info info;
    if (st == LLAMAC_OK && (st = llamac_state_file_info(path, &info)) == LLAMAC_OK) *file_bytes = info.file_bytes;
    return st;
}
