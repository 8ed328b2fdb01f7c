/* Saving a context or one sequence: plan (which cells, logits, sampler),
 * then stream the payload through deflate into a buffer or a file, then
 * write the header that the stream's size and CRC complete. */
#include "state.h"
#include "state_plan.h"
#include "state_stream.h"

#include "runtime/context.h"
#include "runtime/state_access.h"
#include "common/params.h"
#include "sampling/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The byte-shuffle filter before deflate (docs/state-format.md has the
 * measurements that chose it). */
#define SHUFFLE_WHEN_DEFLATING true
#define DEFAULT_LEVEL 1

void llamac_state_params_init(llamac_state_params *params, size_t size) {
    static const llamac_state_params defaults = {.compression = DEFAULT_LEVEL};
    lc_params_init(params, size, &defaults, sizeof defaults);
}

static llamac_status check_args(const char *fn, const llamac_context *ctx, int32_t seq,
                                const llamac_state_params *in, llamac_state_params *p) {
    llamac_state_params_init(p, sizeof *p);
    llamac_status st = lc_params_read(p, sizeof *p, in, fn, "llamac_state");
    if (st != LLAMAC_OK) return st;
    const int32_t n_seq_max = (int32_t)llamac_context_n_seq_max(ctx);
    if (seq != LLAMAC_STATE_ALL_SEQS && (seq < 0 || seq >= n_seq_max))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "%s: seq %d is neither LLAMAC_STATE_ALL_SEQS (-1) nor a sequence id of the context (0..%d)",
                       fn, seq, n_seq_max - 1);
    if (p->compression < 0 || p->compression > 9)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: compression is %d, expected 0 (stored) .. 9", fn,
                       p->compression);
    if (p->n_tokens < 0 || p->n_tokens > LC_STATE_MAX_TOKENS)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: n_tokens is %d, expected 0..%d", fn, p->n_tokens,
                       LC_STATE_MAX_TOKENS);
    if (p->n_tokens > 0 && !p->tokens)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: tokens is NULL with n_tokens %d", fn, p->n_tokens);
    return LLAMAC_OK;
}

static void plan_free(lc_save_plan *p) {
    lc_free(p->env, p->cells);
    lc_free(p->env, p->sampler);
    p->cells = NULL;
    p->sampler = NULL;
}

/* Decides what the state holds and fills the header but for the stored
 * size and payload CRC. */
static llamac_status plan_save(lc_save_plan *p, const char *fn, const llamac_context *ctx, int32_t seq,
                               const llamac_state_params *params, bool shuffle) {
    memset(p, 0, sizeof *p);
    llamac_state_params sp;
    llamac_status st = check_args(fn, ctx, seq, params, &sp);
    if (st != LLAMAC_OK) return st;
    p->ctx = ctx;
    p->env = lc_context_env(ctx);
    p->seq = seq;
    p->tokens = sp.tokens;
    p->last_cell = -1;
    lc_ctx_dims d;
    lc_ctx_state_dims(ctx, &d);
    lc_state_header *h = &p->h;
    h->version = LC_STATE_VERSION;
    h->level = (uint32_t)sp.compression;
    h->flags = (sp.compression > 0 ? LC_STATE_DEFLATE : 0) |
               (sp.compression > 0 && shuffle ? LC_STATE_SHUFFLE : 0) |
               (seq >= 0 ? LC_STATE_SEQUENCE : 0);
    lc_fingerprint_of(llamac_context_model(ctx), &h->fp);
    h->kv_type = d.kv_type;
    h->n_tokens = sp.n_tokens;

    if (!(p->cells = lc_malloc(p->env, (size_t)LC_MAX(d.hi, 1) * sizeof *p->cells))) return LLAMAC_ERR_NO_MEMORY;
    const int32_t logits_cell = lc_ctx_last_logits_cell(ctx);
    for (int32_t c = 0; c < d.hi; c++) {
        if (lc_ctx_cell_pos(ctx, c) < 0 || (seq >= 0 && !lc_ctx_cell_has_seq(ctx, c, seq))) continue;
        if (c == logits_cell) p->last_cell = h->n_cells;
        p->cells[h->n_cells++] = c;
        if (seq < 0) {
            h->cell_span = c + 1;
            const uint64_t *w = lc_ctx_cell_seqs(ctx, c);
            for (int32_t i = 0; i < (d.n_seq_max + 63) / 64; i++)
                if (w[i]) h->n_seq = LC_MAX(h->n_seq, i * 64 + 64 - __builtin_clzll(w[i]));
        }
    }
    if (seq >= 0) {
        h->cell_span = h->n_cells;
        h->n_seq = 1;
        if (lc_ctx_last_logits_are_seq(ctx, seq)) h->n_logits = h->n_batch_last = 1;
        else p->last_cell = -1;
    } else {
        h->n_logits = d.n_outputs;
        h->n_batch_last = d.n_outputs > 0 ? d.n_batch_last : 0;
        if (d.n_outputs == 0) p->last_cell = -1;
    }
    if (h->n_logits > 0) h->flags |= LC_STATE_LOGITS;

    if (sp.sampler) {
        const size_t n = llamac_sampler_state_size(sp.sampler);
        if (n > LC_STATE_MAX_SAMPLER)
            return lc_fail(LLAMAC_ERR_UNSUPPORTED, "%s: the sampler's state is %zu bytes, at most %u fit a state",
                           fn, n, LC_STATE_MAX_SAMPLER);
        if (!(p->sampler = lc_malloc(p->env, n))) return LLAMAC_ERR_NO_MEMORY;
        size_t written;
        if ((st = llamac_sampler_state_save(sp.sampler, p->sampler, n, &written)) != LLAMAC_OK) return st;
        h->sampler_bytes = (uint32_t)written;
        h->flags |= LC_STATE_SAMPLER;
    }
    if (!lc_state_layout_of(h, &p->layout))
        return lc_fail(LLAMAC_ERR_INTERNAL, "%s: the state's size overflows", fn);
    h->raw_bytes = p->layout.total;
    return LLAMAC_OK;
}

/* Rows of `layer` for image cells [i0, i1) into out, shuffled or not. */
static void gather_rows(const lc_save_plan *p, bool keys, int32_t layer, int32_t i0, int32_t i1, uint8_t *out) {
    const size_t rb = p->layout.row_bytes, n = (size_t)(i1 - i0);
    const size_t elem = p->h.kv_type == LLAMAC_TYPE_F32 ? 4 : 2, per_row = rb / elem, total = n * per_row;
    for (int32_t i = i0; i < i1; i++) {
        const uint8_t *row = keys ? lc_ctx_k_row(p->ctx, layer, p->cells[i]) : lc_ctx_v_row(p->ctx, layer, p->cells[i]);
        const size_t r = (size_t)(i - i0);
        if (!(p->h.flags & LC_STATE_SHUFFLE)) {
            memcpy(out + r * rb, row, rb);
            continue;
        }
        for (size_t e = 0; e < per_row; e++)
            for (size_t j = 0; j < elem; j++) out[j * total + r * per_row + e] = row[e * elem + j];
    }
}

static void put_i32(lc_sink *s, int32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)((uint32_t)v >> (8 * i));
    lc_sink_write(s, b, 4);
}

static llamac_status write_payload(const lc_save_plan *p, lc_sink *s) {
    const lc_state_header *h = &p->h;
    const llamac_context *ctx = p->ctx;
    for (int32_t i = 0; i < h->n_tokens; i++) put_i32(s, p->tokens[i]);
    for (int32_t i = 0; i < h->n_cells; i++) {
        put_i32(s, p->cells[i]);
        put_i32(s, lc_ctx_cell_pos(ctx, p->cells[i]));
    }
    for (int32_t i = 0; i < h->n_cells && p->layout.seq_words > 0; i++) {
        const uint64_t *w = lc_ctx_cell_seqs(ctx, p->cells[i]);
        for (int32_t k = 0; k < p->layout.seq_words; k++) {
            uint8_t b[8];
            for (int j = 0; j < 8; j++) b[j] = (uint8_t)(w[k] >> (8 * j));
            lc_sink_write(s, b, 8);
        }
    }
    const size_t chunk_bytes = (size_t)LC_MIN(h->n_cells, LC_STATE_CHUNK_CELLS) * p->layout.row_bytes;
    uint8_t *chunk = chunk_bytes ? lc_malloc(p->env, chunk_bytes) : NULL;
    if (chunk_bytes && !chunk) return LLAMAC_ERR_NO_MEMORY;
    for (int32_t l = 0; l < h->fp.n_layer; l++)
        for (int kv = 0; kv < 2; kv++)
            for (int32_t i0 = 0; i0 < h->n_cells; i0 += LC_STATE_CHUNK_CELLS) {
                const int32_t i1 = LC_MIN(h->n_cells, i0 + LC_STATE_CHUNK_CELLS);
                gather_rows(p, kv == 0, l, i0, i1, chunk);
                lc_sink_write(s, chunk, (size_t)(i1 - i0) * p->layout.row_bytes);
            }
    lc_free(p->env, chunk);
    if (h->n_logits > 0) {
        /* floats as their bits, little endian like everything else; this
         * library only builds for little-endian hosts, where that is memcpy */
        const float *logits = p->seq >= 0 ? lc_ctx_logits(ctx) + (size_t)(llamac_n_outputs(ctx) - 1) * (size_t)h->fp.n_vocab
                                          : lc_ctx_logits(ctx);
        lc_sink_write(s, logits, (size_t)h->n_logits * (size_t)h->fp.n_vocab * sizeof(float));
        if (p->seq >= 0) put_i32(s, 0);
        else for (int32_t i = 0; i < h->n_batch_last; i++) put_i32(s, lc_ctx_out_rows(ctx)[i]);
        put_i32(s, p->last_cell);
    }
    if (h->sampler_bytes) lc_sink_write(s, p->sampler, h->sampler_bytes);
    return LLAMAC_OK;
}

static uint64_t bound_of(const lc_save_plan *p) {
    uint64_t stored = p->h.raw_bytes;
    if (p->h.flags & LC_STATE_DEFLATE)
        stored = (uint64_t)deflateBound(Z_NULL, (uLong)p->h.raw_bytes); /* zlib's bound without a stream */
    return stored + LC_STATE_HEADER;
}

llamac_status llamac_state_save_size(const llamac_context *ctx, llamac_seq_id seq, const llamac_state_params *params,
                                     size_t *size) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(size);
    lc_save_plan p;
    llamac_status st = plan_save(&p, __func__, ctx, seq, params, SHUFFLE_WHEN_DEFLATING);
    if (st == LLAMAC_OK) {
        const uint64_t b = bound_of(&p);
        if (b > SIZE_MAX) st = lc_fail(LLAMAC_ERR_NO_MEMORY, "%s: a state of %llu bytes", __func__, (unsigned long long)b);
        else *size = (size_t)b;
    }
    plan_free(&p);
    return st;
}

_Static_assert(sizeof(float) == 4, "floats are stored as 4 bytes");
/* K/V rows and logits are written as they lie in memory */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "state files are little endian");

static llamac_status stream_to(const lc_save_plan *p, uint8_t *buf, size_t cap, int fd, const char *path,
                               lc_state_header *h) {
    lc_sink s;
    llamac_status st = lc_sink_open(&s, p->env, (int)p->h.level, buf, cap, fd, path);
    if (st != LLAMAC_OK) return st;
    st = write_payload(p, &s);
    if (st == LLAMAC_OK) st = lc_sink_finish(&s);
    lc_sink_close(&s);
    if (st == LLAMAC_OK && s.raw != p->h.raw_bytes)
        st = lc_fail(LLAMAC_ERR_INTERNAL, "state: wrote %llu payload bytes, planned %llu", (unsigned long long)s.raw,
                     (unsigned long long)p->h.raw_bytes);
    *h = p->h;
    h->stored_bytes = s.stored;
    h->payload_crc = s.crc;
    return st;
}

llamac_status llamac_state_save(const llamac_context *ctx, llamac_seq_id seq, const llamac_state_params *params,
                                void *buf, size_t cap, size_t *size) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(size);
    if (!buf && cap > 0) return lc_null_arg(__func__, "buf");
    return lc_state_save_filtered(ctx, seq, params, SHUFFLE_WHEN_DEFLATING, buf, cap, size);
}

llamac_status lc_state_save_filtered(const llamac_context *ctx, int32_t seq, const llamac_state_params *params,
                                     bool shuffle, void *buf, size_t cap, size_t *size) {
    lc_save_plan p;
    llamac_status st = plan_save(&p, "llamac_state_save", ctx, seq, params, shuffle);
    lc_state_header h;
    if (st == LLAMAC_OK) {
        uint8_t *out = buf;
        const bool room = cap >= LC_STATE_HEADER;
        st = stream_to(&p, room ? out + LC_STATE_HEADER : NULL, room ? cap - LC_STATE_HEADER : 0, -1, NULL, &h);
        if (st == LLAMAC_OK) {
            const uint64_t total = h.stored_bytes + LC_STATE_HEADER;
            *size = (size_t)total;
            if (total > cap)
                st = lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL, "%s: the state needs %llu bytes, the buffer has %zu", __func__,
                             (unsigned long long)total, cap);
            else
                lc_state_header_encode(&h, out);
        }
    }
    plan_free(&p);
    return st;
}

llamac_status llamac_state_save_file(const llamac_context *ctx, llamac_seq_id seq, const llamac_state_params *params,
                                     const char *path) {
    LC_REQUIRE(ctx);
    LC_REQUIRE(path);
    lc_save_plan p;
    llamac_status st = plan_save(&p, __func__, ctx, seq, params, SHUFFLE_WHEN_DEFLATING);
    if (st != LLAMAC_OK) {
        plan_free(&p);
        return st;
    }
    const size_t tmp_len = strlen(path) + 64;
    char *tmp = lc_malloc(p.env, tmp_len);
    if (!tmp) {
        plan_free(&p);
        return LLAMAC_ERR_NO_MEMORY;
    }
    /* pid + context address: unique among concurrent writers */
    snprintf(tmp, tmp_len, "%s.tmp-%ld-%p", path, (long)getpid(), (const void *)ctx);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        st = lc_fail(LLAMAC_ERR_IO, "llamac_state_save_file: cannot create '%s' (errno %d)", tmp, errno);
    } else {
        uint8_t header[LC_STATE_HEADER];
        memset(header, 0, sizeof header); /* placeholder until size and CRC are known */
        lc_state_header h;
        st = lc_write_all(fd, header, sizeof header, tmp);
        if (st == LLAMAC_OK) st = stream_to(&p, NULL, 0, fd, tmp, &h);
        if (st == LLAMAC_OK) {
            lc_state_header_encode(&h, header);
            if (pwrite(fd, header, sizeof header, 0) != (ssize_t)sizeof header)
                st = lc_fail(LLAMAC_ERR_IO, "writing the header of '%s' failed (errno %d)", tmp, errno);
        }
        if (st == LLAMAC_OK && fsync(fd)) st = lc_fail(LLAMAC_ERR_IO, "syncing '%s' failed (errno %d)", tmp, errno);
        if (close(fd) && st == LLAMAC_OK) st = lc_fail(LLAMAC_ERR_IO, "closing '%s' failed (errno %d)", tmp, errno);
        if (st == LLAMAC_OK && rename(tmp, path))
            st = lc_fail(LLAMAC_ERR_IO, "cannot rename '%s' to '%s' (errno %d)", tmp, path, errno);
        if (st != LLAMAC_OK) unlink(tmp);
    }
    lc_free(p.env, tmp);
    plan_free(&p);
    return st;
}
