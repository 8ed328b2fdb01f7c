/* Restoring a state, all or nothing: the header is checked against the
 * model and the context, the payload is decoded into scratch (its size
 * fixed by the header and bounded by what the context holds), every value
 * is validated, and only then is the context (and the sampler) changed. */
#include "state_plan.h"
#include "state_stream.h"

#include "common/bytes.h"
#include "common/sort.h"
#include "runtime/context.h"
#include "runtime/state_access.h"
#include "sampling/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool u64_less(const void *x, const void *y) { return *(const uint64_t *)x < *(const uint64_t *)y; }

/* The decoded payload, in one allocation. */
typedef struct scratch {
    uint8_t *block;
    llamac_token *tokens;
    int32_t *index, *pos;
    uint64_t *seqs;
    uint8_t *k, *v, *chunk;
    float *logits;
    int32_t *out_rows;
    int32_t last_cell;
    uint8_t *sampler;
} scratch;

/* Everything the header alone lets us check against this context, before
 * a byte of payload is decoded. */
static llamac_status check_fit(const char *what, const lc_state_header *h, const llamac_context *ctx, int32_t seq,
                               const llamac_sampler *sampler, size_t tokens_cap, bool want_tokens, size_t *n_tokens) {
    lc_fingerprint fp;
    lc_fingerprint_of(llamac_context_model(ctx), &fp);
    llamac_status st = lc_fingerprint_check(&h->fp, &fp);
    if (st != LLAMAC_OK) return st;
    lc_ctx_dims d;
    lc_ctx_state_dims(ctx, &d);
    const bool seq_state = h->flags & LC_STATE_SEQUENCE;
    if (seq_state && seq < 0)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s holds one sequence: give the destination sequence id, not -1", what);
    if (!seq_state && seq >= 0)
        return lc_fail(LLAMAC_ERR_MISMATCH,
                       "%s holds a whole context: load it with seq LLAMAC_STATE_ALL_SEQS (-1), not %d", what, seq);
    if (h->kv_type != d.kv_type)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s: KV cache type is %s, this context's is %s (no conversion)", what,
                       llamac_type_name(h->kv_type), llamac_type_name(d.kv_type));
    if (h->cell_span > d.n_cells)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s: %s %d cells, this context has n_ctx %d", what,
                       seq_state ? "n_cells: the sequence has" : "cell_span: the state spans", h->cell_span, d.n_cells);
    if (h->n_seq > d.n_seq_max)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s: n_seq: the state uses sequence ids up to %d, this context has n_seq_max %d",
                       what, h->n_seq - 1, d.n_seq_max);
    if (h->n_batch_last > d.n_batch)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s: n_batch_last: the saved logits come from a batch of %d tokens, this "
                       "context has n_batch %d", what, h->n_batch_last, d.n_batch);
    if (seq_state) {
        const int32_t avail = lc_ctx_cells_available_for(ctx, seq);
        if (h->n_cells > avail)
            return lc_fail(LLAMAC_ERR_CONTEXT_FULL, "%s: n_cells: the sequence needs %d cells, %d are free for sequence %d",
                           what, h->n_cells, avail, seq);
    }
    if (sampler && !(h->flags & LC_STATE_SAMPLER))
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s holds no sampler state, but a sampler was given to restore", what);
    if (n_tokens) *n_tokens = (size_t)h->n_tokens;
    if (want_tokens && tokens_cap < (size_t)h->n_tokens)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL, "%s holds %d tokens, the tokens buffer has room for %zu", what,
                       h->n_tokens, tokens_cap);
    return LLAMAC_OK;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* One block for every section; the sizes were bounded by check_fit. */
static llamac_status scratch_alloc(scratch *s, const lc_env *env, const lc_state_header *h, const lc_state_layout *l) {
    memset(s, 0, sizeof *s);
    const size_t rows = (size_t)h->fp.n_layer * (size_t)h->n_cells * l->row_bytes;
    const size_t sizes[] = {4 * (size_t)h->n_tokens, 4 * (size_t)h->n_cells, 4 * (size_t)h->n_cells,
                            8 * (size_t)h->n_cells * (size_t)l->seq_words, rows, rows,
                            (size_t)LC_MIN(h->n_cells, LC_STATE_CHUNK_CELLS) * l->row_bytes,
                            4 * (size_t)h->n_logits * (size_t)h->fp.n_vocab, 4 * (size_t)h->n_batch_last,
                            h->sampler_bytes};
    size_t total = 0, off[10];
    for (int i = 0; i < 10; i++) {
        off[i] = total;
        total += align64(sizes[i]);
    }
    if (!(s->block = lc_malloc_aligned(env, LC_MAX(total, 64), 64))) return LLAMAC_ERR_NO_MEMORY;
    s->tokens = (llamac_token *)(s->block + off[0]);
    s->index = (int32_t *)(s->block + off[1]);
    s->pos = (int32_t *)(s->block + off[2]);
    s->seqs = (uint64_t *)(s->block + off[3]);
    s->k = s->block + off[4];
    s->v = s->block + off[5];
    s->chunk = s->block + off[6];
    s->logits = (float *)(s->block + off[7]);
    s->out_rows = (int32_t *)(s->block + off[8]);
    s->sampler = s->block + off[9];
    return LLAMAC_OK;
}

static llamac_status read_i32s(lc_source *src, int32_t *out, size_t n) {
    llamac_status st = lc_source_read(src, out, 4 * n);
    /* little-endian host (state_save.c asserts it): bytes are the values */
    return st;
}

/* Decodes the whole payload into scratch and checks the stream's end and CRC. */
static llamac_status decode(lc_source *src, const lc_state_header *h, const lc_state_layout *l, scratch *s) {
    llamac_status st = read_i32s(src, s->tokens, (size_t)h->n_tokens);
    for (int32_t i = 0; i < h->n_cells && st == LLAMAC_OK; i++) {
        int32_t pair[2];
        if ((st = read_i32s(src, pair, 2)) == LLAMAC_OK) {
            s->index[i] = pair[0];
            s->pos[i] = pair[1];
        }
    }
    if (st == LLAMAC_OK) st = lc_source_read(src, s->seqs, 8 * (size_t)h->n_cells * (size_t)l->seq_words);
    const size_t rb = l->row_bytes, elem = h->kv_type == LLAMAC_TYPE_F32 ? 4 : 2;
    const bool shuffled = h->flags & LC_STATE_SHUFFLE;
    for (int32_t layer = 0; layer < h->fp.n_layer && st == LLAMAC_OK; layer++)
        for (int kv = 0; kv < 2 && st == LLAMAC_OK; kv++)
            for (int32_t i0 = 0; i0 < h->n_cells && st == LLAMAC_OK; i0 += LC_STATE_CHUNK_CELLS) {
                const size_t n = (size_t)(LC_MIN(h->n_cells, i0 + LC_STATE_CHUNK_CELLS) - i0);
                uint8_t *dst = (kv ? s->v : s->k) + ((size_t)layer * (size_t)h->n_cells + (size_t)i0) * rb;
                if (!shuffled) {
                    st = lc_source_read(src, dst, n * rb);
                } else if ((st = lc_source_read(src, s->chunk, n * rb)) == LLAMAC_OK) {
                    lc_unshuffle(s->chunk, dst, n * rb / elem, elem);
                }
            }
    s->last_cell = -1;
    if (h->n_logits > 0 && st == LLAMAC_OK) {
        st = lc_source_read(src, s->logits, 4 * (size_t)h->n_logits * (size_t)h->fp.n_vocab);
        if (st == LLAMAC_OK) st = read_i32s(src, s->out_rows, (size_t)h->n_batch_last);
        if (st == LLAMAC_OK) st = read_i32s(src, &s->last_cell, 1);
    }
    if (st == LLAMAC_OK) st = lc_source_read(src, s->sampler, h->sampler_bytes);
    if (st == LLAMAC_OK) st = lc_source_end(src);
    if (st == LLAMAC_OK && src->crc != h->payload_crc)
        st = lc_fail(LLAMAC_ERR_FORMAT, "%s: payload CRC-32 is %08x, the header says %08x", src->what, src->crc,
                     h->payload_crc);
    return st;
}

#define BADV(...) return lc_fail(LLAMAC_ERR_FORMAT, __VA_ARGS__)

/* Every value of the decoded payload against the header and the context. */
static llamac_status validate(const char *what, const lc_state_header *h, const lc_state_layout *l, const scratch *s,
                              const lc_env *env) {
    for (int32_t i = 0; i < h->n_tokens; i++)
        if (s->tokens[i] < 0 || s->tokens[i] >= h->fp.n_vocab)
            BADV("%s: token %d is id %d, outside the vocabulary (0..%d)", what, i, s->tokens[i], h->fp.n_vocab - 1);
    const bool whole = !(h->flags & LC_STATE_SEQUENCE);
    for (int32_t i = 0; i < h->n_cells; i++) {
        if (s->index[i] < 0 || (i > 0 && s->index[i] <= s->index[i - 1]) || (whole && s->index[i] >= h->cell_span))
            BADV("%s: cell %d has index %d: indexes must ascend%s", what, i, s->index[i],
                 whole ? " below cell_span" : "");
        if (s->pos[i] < 0 || s->pos[i] == INT32_MAX)
            BADV("%s: cell %d has position %d, expected 0..%d", what, i, s->pos[i], INT32_MAX - 1);
    }
    if (whole && h->n_cells > 0 && s->index[h->n_cells - 1] != h->cell_span - 1)
        BADV("%s: the last cell's index is %d, cell_span says %d", what, s->index[h->n_cells - 1], h->cell_span - 1);
    const int32_t words = l->seq_words;
    for (int32_t i = 0; i < h->n_cells && whole; i++) {
        const uint64_t *w = s->seqs + (size_t)i * (size_t)words;
        bool any = false;
        for (int32_t k = 0; k < words; k++) {
            const int32_t bits_ok = LC_MIN(64, h->n_seq - 64 * k);
            if (bits_ok < 64 && (w[k] >> bits_ok)) BADV("%s: cell %d belongs to a sequence id >= n_seq %d", what, i, h->n_seq);
            any |= w[k] != 0;
        }
        if (!any) BADV("%s: cell %d belongs to no sequence", what, i);
    }
    /* Positions are distinct within each sequence: sort (pos, cell) and
     * check that cells at one position share no sequence. */
    if (h->n_cells > 1) {
        uint64_t *keys = lc_malloc(env, (size_t)h->n_cells * sizeof *keys);
        uint64_t *acc = lc_calloc(env, (size_t)LC_MAX(words, 1), sizeof *acc);
        if (!keys || !acc) {
            lc_free(env, keys);
            lc_free(env, acc);
            return LLAMAC_ERR_NO_MEMORY;
        }
        for (int32_t i = 0; i < h->n_cells; i++) keys[i] = (uint64_t)(uint32_t)s->pos[i] << 32 | (uint32_t)i;
        lc_heapsort(keys, (size_t)h->n_cells, sizeof *keys, u64_less);
        llamac_status st = LLAMAC_OK;
        for (int32_t a = 0; a < h->n_cells && st == LLAMAC_OK;) {
            int32_t b = a + 1;
            while (b < h->n_cells && keys[b] >> 32 == keys[a] >> 32) b++;
            if (b - a > 1) {
                if (!whole) {
                    st = lc_fail(LLAMAC_ERR_FORMAT, "%s: two cells hold position %u", what, (unsigned)(keys[a] >> 32));
                    break;
                }
                memset(acc, 0, (size_t)words * sizeof *acc);
                for (int32_t j = a; j < b && st == LLAMAC_OK; j++) {
                    const uint64_t *w = s->seqs + (size_t)(uint32_t)keys[j] * (size_t)words;
                    for (int32_t k = 0; k < words; k++) {
                        if (acc[k] & w[k]) {
                            st = lc_fail(LLAMAC_ERR_FORMAT, "%s: sequence %d holds position %u twice", what,
                                         64 * k + __builtin_ctzll(acc[k] & w[k]), (unsigned)(keys[a] >> 32));
                            break;
                        }
                        acc[k] |= w[k];
                    }
                }
            }
            a = b;
        }
        lc_free(env, keys);
        lc_free(env, acc);
        if (st != LLAMAC_OK) return st;
    }
    if (h->n_logits > 0) {
        int32_t next = 0;
        for (int32_t i = 0; i < h->n_batch_last; i++) {
            if (s->out_rows[i] == -1) continue;
            if (s->out_rows[i] != next)
                BADV("%s: batch token %d maps to logits row %d, expected -1 or %d", what, i, s->out_rows[i], next);
            next++;
        }
        if (next != h->n_logits) BADV("%s: the batch map names %d logits rows, n_logits is %d", what, next, h->n_logits);
        if (s->last_cell < -1 || s->last_cell >= h->n_cells)
            BADV("%s: the last logits row's cell is %d, expected -1..%d", what, s->last_cell, h->n_cells - 1);
    }
    return LLAMAC_OK;
}

/* The common path of both loads once the header is read and the payload
 * source is open. */
static llamac_status load_body(const char *what, llamac_context *ctx, int32_t seq, const lc_state_header *h,
                               lc_source *src, llamac_sampler *sampler, llamac_token *tokens) {
    const lc_env *env = lc_context_env(ctx);
    lc_state_layout l;
    lc_state_layout_of(h, &l); /* the header decoder checked it */
    scratch s;
    llamac_status st = scratch_alloc(&s, env, h, &l);
    if (st != LLAMAC_OK) return st;
    st = decode(src, h, &l, &s);
    if (st == LLAMAC_OK) st = validate(what, h, &l, &s, env);
    if (st == LLAMAC_OK && sampler) {
        st = lc_sampler_blob_check(sampler, s.sampler, h->sampler_bytes);
        if (st != LLAMAC_OK) lc_error_prefix("%s", what);
    }
    if (st == LLAMAC_OK) {
        const lc_kv_image img = {.n_cells = h->n_cells, .index = s.index, .pos = s.pos, .seq_words = l.seq_words,
                                 .seqs = s.seqs, .k = s.k, .v = s.v, .n_logits = h->n_logits,
                                 .n_batch_last = h->n_batch_last, .logits = s.logits, .out_rows = s.out_rows,
                                 .last_cell = s.last_cell};
        lc_ctx_state_commit(ctx, &img, seq);
        if (sampler) lc_sampler_blob_commit(sampler, s.sampler);
        if (tokens && h->n_tokens) memcpy(tokens, s.tokens, (size_t)h->n_tokens * sizeof *tokens);
    }
    lc_free_aligned(env, s.block);
    return st;
}

static llamac_status check_seq_arg(const char *fn, const llamac_context *ctx, int32_t seq) {
    const int32_t n = (int32_t)llamac_context_n_seq_max(ctx);
    if (seq != LLAMAC_STATE_ALL_SEQS && (seq < 0 || seq >= n))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "%s: seq %d is neither LLAMAC_STATE_ALL_SEQS (-1) nor a sequence id of the context (0..%d)", fn,
                       seq, n - 1);
    return LLAMAC_OK;
}

llamac_status llamac_state_load(llamac_context *ctx, llamac_seq_id seq, const void *data, size_t size,
                                llamac_sampler *sampler, llamac_token *tokens, size_t tokens_cap, size_t *n_tokens) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(data);
    const char *what = "state";
    llamac_status st = check_seq_arg(__func__, ctx, seq);
    if (st != LLAMAC_OK) return st;
    if (size < LC_STATE_HEADER)
        return lc_fail(LLAMAC_ERR_FORMAT, "state: %zu bytes, shorter than the %d-byte header (truncated)", size,
                       LC_STATE_HEADER);
    lc_state_header h;
    if ((st = lc_state_header_decode(data, &h)) != LLAMAC_OK) return st;
    if (h.stored_bytes != size - LC_STATE_HEADER)
        return lc_fail(LLAMAC_ERR_FORMAT, "state: %zu bytes, the header declares %llu (%s)", size,
                       (unsigned long long)(h.stored_bytes + LC_STATE_HEADER),
                       h.stored_bytes > size - LC_STATE_HEADER ? "truncated" : "trailing bytes");
    if ((st = check_fit(what, &h, ctx, seq, sampler, tokens_cap, tokens != NULL, n_tokens)) != LLAMAC_OK) return st;
    lc_source src;
    if ((st = lc_source_open(&src, lc_context_env(ctx), h.flags & LC_STATE_DEFLATE,
                             (const uint8_t *)data + LC_STATE_HEADER, -1, what, h.stored_bytes, h.raw_bytes)))
        return st;
    st = load_body(what, ctx, seq, &h, &src, sampler, tokens);
    lc_source_close(&src);
    return st;
}

/* Opens a state file and reads its header; checks the file's size.
 * O_NONBLOCK keeps open() from waiting for a writer when the path is a FIFO
 * (refused just after as not a regular file); on a regular file it changes
 * nothing. */
llamac_status lc_state_file_open(const char *path, int *fd_out, lc_state_header *h) {
    *fd_out = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return lc_fail(LLAMAC_ERR_IO, "cannot open state file '%s' (errno %d)", path, errno);
    struct stat sb;
    uint8_t header[LC_STATE_HEADER];
    llamac_status st = LLAMAC_OK;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
        st = lc_fail(LLAMAC_ERR_IO, "'%s' is not a regular file", path);
    else if ((uint64_t)sb.st_size < LC_STATE_HEADER)
        st = lc_fail(LLAMAC_ERR_FORMAT, "'%s': %lld bytes, shorter than the %d-byte header (truncated)", path,
                     (long long)sb.st_size, LC_STATE_HEADER);
    else if ((st = lc_read_all(fd, header, sizeof header, path)) == LLAMAC_OK &&
             (st = lc_state_header_decode(header, h)) == LLAMAC_OK &&
             h->stored_bytes != (uint64_t)sb.st_size - LC_STATE_HEADER)
        st = lc_fail(LLAMAC_ERR_FORMAT, "'%s': %lld bytes, the header declares %llu (%s)", path, (long long)sb.st_size,
                     (unsigned long long)(h->stored_bytes + LC_STATE_HEADER),
                     h->stored_bytes > (uint64_t)sb.st_size - LC_STATE_HEADER ? "truncated" : "trailing bytes");
    if (st != LLAMAC_OK) {
        if (st == LLAMAC_ERR_FORMAT || st == LLAMAC_ERR_UNSUPPORTED) lc_error_prefix("'%s'", path);
        close(fd);
        return st;
    }
    *fd_out = fd;
    return LLAMAC_OK;
}

llamac_status llamac_state_load_file(llamac_context *ctx, llamac_seq_id seq, const char *path, llamac_sampler *sampler,
                                     llamac_token *tokens, size_t tokens_cap, size_t *n_tokens) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(path);
    llamac_status st = check_seq_arg(__func__, ctx, seq);
    if (st != LLAMAC_OK) return st;
    int fd;
    lc_state_header h;
    if ((st = lc_state_file_open(path, &fd, &h)) != LLAMAC_OK) return st;
    if ((st = check_fit(path, &h, ctx, seq, sampler, tokens_cap, tokens != NULL, n_tokens)) == LLAMAC_OK) {
        lc_source src;
        if ((st = lc_source_open(&src, lc_context_env(ctx), h.flags & LC_STATE_DEFLATE, NULL, fd, path, h.stored_bytes,
                                 h.raw_bytes)) == LLAMAC_OK) {
            st = load_body(path, ctx, seq, &h, &src, sampler, tokens);
            lc_source_close(&src);
        }
    }
    close(fd);
    return st;
}
