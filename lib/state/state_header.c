/* The state header: encoding, the checks a header allows alone, the
 * payload layout its counts imply, and the public info. */
#include "state_format.h"

#include "common/bytes.h"

#include <string.h>
#include <zlib.h>

/* byte offsets in the header */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_FLAGS = 12, H_SIZE = 16, H_LEVEL = 20, H_ARCH = 24, H_HPARAMS = 40,
    H_FLOATS = 76, H_TENSORS_HASH = 88, H_VOCAB_HASH = 96, H_N_TENSORS = 104, H_KV_TYPE = 108,
    H_N_CELLS = 112, H_CELL_SPAN = 116, H_N_SEQ = 120, H_N_LOGITS = 124, H_N_BATCH_LAST = 128,
    H_N_TOKENS = 132, H_SAMPLER = 136, H_RESERVED = 140, H_RAW = 144, H_STORED = 152, H_PAYLOAD_CRC = 160,
    H_HEADER_CRC = 164, H_END = 168
};
_Static_assert(H_END == LC_STATE_HEADER, "header layout and LLAMAC_STATE_HEADER_BYTES differ");

static int32_t *hparam(lc_fingerprint *fp, int i) {
    int32_t *f[] = {&fp->n_vocab, &fp->n_ctx_train, &fp->n_embd, &fp->n_layer, &fp->n_head,
                    &fp->n_head_kv, &fp->n_ff, &fp->head_dim, &fp->n_rot};
    return f[i];
}
static const char *const hparam_names[] = {"n_vocab", "n_ctx_train", "n_embd", "n_layer", "n_head",
                                           "n_head_kv", "n_ff", "head_dim", "n_rot"};
#define N_HPARAMS 9

bool lc_state_layout_of(const lc_state_header *h, lc_state_layout *l) {
    memset(l, 0, sizeof *l);
    const bool whole = !(h->flags & LC_STATE_SEQUENCE);
    const uint64_t elem = h->kv_type == LLAMAC_TYPE_F32 ? 4 : 2, cells = (uint64_t)h->n_cells;
    uint64_t row = 0, rows = 0, seqs = 0, logits = 0, t = 0;
    l->seq_words = whole ? (h->n_seq + 63) / 64 : 0;
    bool over = lc_mul_overflow_u64((uint64_t)h->fp.n_head_kv * (uint64_t)h->fp.head_dim, elem, &row) ||
                row > SIZE_MAX || lc_mul_overflow_u64(row, cells, &rows) ||
                lc_mul_overflow_u64(rows, 2 * (uint64_t)h->fp.n_layer, &rows) ||
                lc_mul_overflow_u64(cells, 8 * (uint64_t)l->seq_words, &seqs) ||
                lc_mul_overflow_u64((uint64_t)h->n_logits, 4 * (uint64_t)h->fp.n_vocab, &logits);
    if (over) return false;
    l->row_bytes = (size_t)row;
    if (h->n_logits > 0) logits += 4 * (uint64_t)h->n_batch_last + 4;
    l->tokens = 0;
    l->cells = 4 * (uint64_t)h->n_tokens;
    l->seqs = l->cells + 8 * cells;
    over = lc_add_overflow_u64(l->seqs, seqs, &l->rows) || lc_add_overflow_u64(l->rows, rows, &l->logits) ||
           lc_add_overflow_u64(l->logits, logits, &l->sampler) ||
           lc_add_overflow_u64(l->sampler, h->sampler_bytes, &t);
    l->total = t;
    return !over;
}

void lc_state_header_encode(const lc_state_header *h, uint8_t *out) {
    memset(out, 0, LC_STATE_HEADER);
    memcpy(out + H_MAGIC, LC_STATE_MAGIC, 8);
    lc_put_u32(out + H_VERSION, h->version);
    lc_put_u32(out + H_FLAGS, h->flags);
    lc_put_u32(out + H_SIZE, LC_STATE_HEADER);
    lc_put_u32(out + H_LEVEL, h->level);
    memcpy(out + H_ARCH, h->fp.arch, sizeof h->fp.arch);
    lc_fingerprint fp = h->fp;
    for (int i = 0; i < N_HPARAMS; i++) lc_put_u32(out + H_HPARAMS + 4 * i, (uint32_t)*hparam(&fp, i));
    lc_put_f32(out + H_FLOATS, h->fp.rms_eps);
    lc_put_f32(out + H_FLOATS + 4, h->fp.rope_base);
    lc_put_f32(out + H_FLOATS + 8, h->fp.rope_freq_scale);
    lc_put_u64(out + H_TENSORS_HASH, h->fp.tensors_hash);
    lc_put_u64(out + H_VOCAB_HASH, h->fp.vocab_hash);
    lc_put_u32(out + H_N_TENSORS, h->fp.n_tensors);
    lc_put_u32(out + H_KV_TYPE, (uint32_t)h->kv_type);
    lc_put_u32(out + H_N_CELLS, (uint32_t)h->n_cells);
    lc_put_u32(out + H_CELL_SPAN, (uint32_t)h->cell_span);
    lc_put_u32(out + H_N_SEQ, (uint32_t)h->n_seq);
    lc_put_u32(out + H_N_LOGITS, (uint32_t)h->n_logits);
    lc_put_u32(out + H_N_BATCH_LAST, (uint32_t)h->n_batch_last);
    lc_put_u32(out + H_N_TOKENS, (uint32_t)h->n_tokens);
    lc_put_u32(out + H_SAMPLER, h->sampler_bytes);
    lc_put_u64(out + H_RAW, h->raw_bytes);
    lc_put_u64(out + H_STORED, h->stored_bytes);
    lc_put_u32(out + H_PAYLOAD_CRC, h->payload_crc);
    lc_put_u32(out + H_HEADER_CRC, (uint32_t)crc32(0L, out, H_HEADER_CRC));
}

#define BAD(...) return lc_fail(LLAMAC_ERR_FORMAT, "state header: " __VA_ARGS__)

/* A count field: a non-negative int32 up to `max`. */
static llamac_status count_field(const uint8_t *in, int off, const char *name, uint32_t max, int32_t *out) {
    const uint32_t v = lc_get_u32(in + off);
    if (v > max) BAD("%s is %u, at most %u allowed", name, v, max);
    *out = (int32_t)v;
    return LLAMAC_OK;
}

static llamac_status decode_fingerprint(const uint8_t *in, lc_fingerprint *fp) {
    memcpy(fp->arch, in + H_ARCH, sizeof fp->arch);
    if (!memchr(fp->arch, 0, sizeof fp->arch)) BAD("architecture name is not NUL-terminated within 16 bytes");
    for (int i = 0; i < N_HPARAMS; i++) {
        const uint32_t v = lc_get_u32(in + H_HPARAMS + 4 * i);
        /* every hyperparameter of a loadable model is positive and fits int32 */
        if (v == 0 || v > INT32_MAX) BAD("%s is %u", hparam_names[i], v);
        *hparam(fp, i) = (int32_t)v;
    }
    fp->rms_eps = lc_get_f32(in + H_FLOATS);
    fp->rope_base = lc_get_f32(in + H_FLOATS + 4);
    fp->rope_freq_scale = lc_get_f32(in + H_FLOATS + 8);
    fp->tensors_hash = lc_get_u64(in + H_TENSORS_HASH);
    fp->vocab_hash = lc_get_u64(in + H_VOCAB_HASH);
    fp->n_tensors = lc_get_u32(in + H_N_TENSORS);
    return LLAMAC_OK;
}

llamac_status lc_state_header_decode(const uint8_t *in, lc_state_header *h) {
    memset(h, 0, sizeof *h);
    if (memcmp(in + H_MAGIC, LC_STATE_MAGIC, 8) != 0) BAD("magic is not \"" LC_STATE_MAGIC "\": not a llamac state");
    h->version = lc_get_u32(in + H_VERSION);
    if (h->version == 0) BAD("version is 0");
    if (h->version > LC_STATE_VERSION)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "state header: format version %u, this library reads up to %u",
                       h->version, LC_STATE_VERSION);
    if (lc_get_u32(in + H_SIZE) != LC_STATE_HEADER)
        BAD("header size is %u, version 1 has %d", lc_get_u32(in + H_SIZE), LC_STATE_HEADER);
    const uint32_t crc = (uint32_t)crc32(0L, in, H_HEADER_CRC);
    if (crc != lc_get_u32(in + H_HEADER_CRC))
        BAD("header CRC-32 is %08x, the bytes give %08x", lc_get_u32(in + H_HEADER_CRC), crc);
    h->flags = lc_get_u32(in + H_FLAGS);
    if (h->flags & ~LC_STATE_KNOWN_FLAGS)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "state header: unknown flags 0x%x", h->flags & ~LC_STATE_KNOWN_FLAGS);
    h->level = lc_get_u32(in + H_LEVEL);
    if (h->level > 9) BAD("compression level is %u, expected 0..9", h->level);
    if (!!(h->flags & LC_STATE_DEFLATE) != (h->level > 0))
        BAD("compression level %u with the deflate flag %s", h->level, h->flags & LC_STATE_DEFLATE ? "set" : "clear");
    if ((h->flags & LC_STATE_SHUFFLE) && !(h->flags & LC_STATE_DEFLATE)) BAD("shuffle flag without deflate");
    llamac_status st = decode_fingerprint(in, &h->fp);
    if (st != LLAMAC_OK) return st;
    const uint32_t kv_type = lc_get_u32(in + H_KV_TYPE);
    if (kv_type != LLAMAC_TYPE_F16 && kv_type != LLAMAC_TYPE_F32) BAD("KV cache type %u is not F16 or F32", kv_type);
    h->kv_type = (llamac_type)kv_type;
    const bool seq = h->flags & LC_STATE_SEQUENCE;
    if ((st = count_field(in, H_N_CELLS, "n_cells", INT32_MAX, &h->n_cells)) ||
        (st = count_field(in, H_CELL_SPAN, "cell_span", INT32_MAX, &h->cell_span)) ||
        (st = count_field(in, H_N_SEQ, "n_seq", 1u << 16, &h->n_seq)) ||
        (st = count_field(in, H_N_LOGITS, "n_logits", INT32_MAX, &h->n_logits)) ||
        (st = count_field(in, H_N_BATCH_LAST, "n_batch_last", INT32_MAX, &h->n_batch_last)) ||
        (st = count_field(in, H_N_TOKENS, "n_tokens", LC_STATE_MAX_TOKENS, &h->n_tokens)))
        return st;
    if (seq ? h->cell_span != h->n_cells : h->cell_span < h->n_cells)
        BAD("cell_span %d with n_cells %d", h->cell_span, h->n_cells);
    if (seq ? h->n_seq != 1 : (h->n_cells == 0) != (h->n_seq == 0))
        BAD("n_seq %d with n_cells %d in a %s state", h->n_seq, h->n_cells, seq ? "sequence" : "whole-context");
    if (!!(h->flags & LC_STATE_LOGITS) != (h->n_logits > 0))
        BAD("n_logits %d with the logits flag %s", h->n_logits, h->flags & LC_STATE_LOGITS ? "set" : "clear");
    if (h->n_logits > h->n_batch_last || (h->n_logits == 0 && h->n_batch_last != 0) ||
        (seq && (h->n_logits > 1 || h->n_batch_last != h->n_logits)))
        BAD("n_logits %d with n_batch_last %d", h->n_logits, h->n_batch_last);
    h->sampler_bytes = lc_get_u32(in + H_SAMPLER);
    if (h->sampler_bytes > LC_STATE_MAX_SAMPLER) BAD("sampler section of %u bytes", h->sampler_bytes);
    if (!!(h->flags & LC_STATE_SAMPLER) != (h->sampler_bytes > 0))
        BAD("sampler_bytes %u with the sampler flag %s", h->sampler_bytes,
            h->flags & LC_STATE_SAMPLER ? "set" : "clear");
    if (lc_get_u32(in + H_RESERVED) != 0) BAD("reserved field is %u, expected 0", lc_get_u32(in + H_RESERVED));
    h->raw_bytes = lc_get_u64(in + H_RAW);
    h->stored_bytes = lc_get_u64(in + H_STORED);
    h->payload_crc = lc_get_u32(in + H_PAYLOAD_CRC);
    if (h->stored_bytes > UINT64_MAX - LC_STATE_HEADER)
        BAD("stored_bytes %llu", (unsigned long long)h->stored_bytes);
    lc_state_layout l;
    if (!lc_state_layout_of(h, &l)) BAD("the counts give a payload larger than 2^64 bytes");
    if (h->raw_bytes != l.total)
        BAD("payload_bytes is %llu, the counts give %llu", (unsigned long long)h->raw_bytes,
            (unsigned long long)l.total);
    if (!(h->flags & LC_STATE_DEFLATE) && h->stored_bytes != h->raw_bytes)
        BAD("stored_bytes %llu differs from payload_bytes %llu in a stored (uncompressed) state",
            (unsigned long long)h->stored_bytes, (unsigned long long)h->raw_bytes);
    return LLAMAC_OK;
}

void lc_state_info_of(const lc_state_header *h, llamac_state_info *info) {
    memset(info, 0, sizeof *info);
    info->version = h->version;
    info->sequence = h->flags & LC_STATE_SEQUENCE;
    info->compressed = h->flags & LC_STATE_DEFLATE;
    info->shuffled = h->flags & LC_STATE_SHUFFLE;
    info->has_logits = h->flags & LC_STATE_LOGITS;
    info->has_sampler = h->flags & LC_STATE_SAMPLER;
    info->compression = (int32_t)h->level;
    info->kv_type = h->kv_type;
    info->n_cells = h->n_cells;
    info->cell_span = h->cell_span;
    info->n_seq = h->n_seq;
    info->n_logits = h->n_logits;
    info->n_batch_last = h->n_batch_last;
    info->n_tokens = h->n_tokens;
    info->sampler_bytes = h->sampler_bytes;
    info->payload_bytes = h->raw_bytes;
    info->stored_bytes = h->stored_bytes;
    info->file_bytes = h->stored_bytes + LC_STATE_HEADER;
    memcpy(info->arch, h->fp.arch, sizeof info->arch);
    info->n_vocab = h->fp.n_vocab;
    info->n_ctx_train = h->fp.n_ctx_train;
    info->n_embd = h->fp.n_embd;
    info->n_layer = h->fp.n_layer;
    info->n_head = h->fp.n_head;
    info->n_head_kv = h->fp.n_head_kv;
    info->n_ff = h->fp.n_ff;
    info->head_dim = h->fp.head_dim;
    info->n_rot = h->fp.n_rot;
    info->rms_eps = h->fp.rms_eps;
    info->rope_base = h->fp.rope_base;
    info->rope_freq_scale = h->fp.rope_freq_scale;
    info->n_tensors = h->fp.n_tensors;
    info->tensors_hash = h->fp.tensors_hash;
    info->vocab_hash = h->fp.vocab_hash;
}
