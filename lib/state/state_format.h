/* The state file's header and payload layout (docs/state-format.md is the
 * specification; this is its one implementation). Everything is little
 * endian. */
#ifndef LLAMAC_STATE_FORMAT_H
#define LLAMAC_STATE_FORMAT_H

#include "common/internal.h"

#define LC_STATE_MAGIC "LLCSTATE"
#define LC_STATE_VERSION 1u
#define LC_STATE_HEADER LLAMAC_STATE_HEADER_BYTES

/* flags */
#define LC_STATE_DEFLATE 0x1u  /* payload deflated (zlib stream) */
#define LC_STATE_SHUFFLE 0x2u  /* K/V rows byte-shuffled per chunk */
#define LC_STATE_SEQUENCE 0x4u /* one sequence (else the whole context) */
#define LC_STATE_LOGITS 0x8u   /* logits section present */
#define LC_STATE_SAMPLER 0x10u /* sampler section present */
#define LC_STATE_KNOWN_FLAGS 0x1fu

/* Cells per shuffle chunk: bounds the scratch a save or load needs for the
 * filter, whatever the context size. */
#define LC_STATE_CHUNK_CELLS 256

/* Caps that hold whatever the context: a load never inflates more than the
 * context can use plus these. */
#define LC_STATE_MAX_TOKENS (1 << 24)
#define LC_STATE_MAX_SAMPLER (1u << 28)

/* What identifies a model: a state loads only into a model with equal
 * fields. */
typedef struct lc_fingerprint {
    char arch[16];
    int32_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff, head_dim, n_rot;
    float rms_eps, rope_base, rope_freq_scale;
    uint32_t n_tensors;
    uint64_t tensors_hash, vocab_hash;
} lc_fingerprint;

typedef struct lc_state_header {
    uint32_t version, flags, level;
    lc_fingerprint fp;
    llamac_type kv_type;
    int32_t n_cells, cell_span, n_seq, n_logits, n_batch_last, n_tokens;
    uint32_t sampler_bytes;
    uint64_t raw_bytes, stored_bytes;
    uint32_t payload_crc;
} lc_state_header;

/* The payload's sections in order, their sizes from the header's counts:
 *   tokens   n_tokens x i32
 *   cells    n_cells x (i32 index, i32 pos)
 *   seqs     n_cells x seq_words x u64   (whole context only; seq_words =
 *            (n_seq + 63) / 64)
 *   rows     per layer: K rows then V rows, n_cells x row_bytes each, in
 *            chunks of LC_STATE_CHUNK_CELLS cells, each chunk byte-shuffled
 *            when LC_STATE_SHUFFLE is set
 *   logits   n_logits x n_vocab x f32, n_batch_last x i32 (row of each
 *            batch token or -1), i32 image cell of the last row's token or -1
 *   sampler  sampler_bytes (llamac_sampler_state_save's blob)
 * row_bytes = n_head_kv * head_dim * element size of kv_type. */
typedef struct lc_state_layout {
    size_t row_bytes;
    int32_t seq_words;
    uint64_t tokens, cells, seqs, rows, logits, sampler; /* section offsets */
    uint64_t total;
} lc_state_layout;

/* Sizes every section from the header's counts; false if a size overflows. */
bool lc_state_layout_of(const lc_state_header *h, lc_state_layout *l);

/* Encodes a header (its CRC included) into out[LC_STATE_HEADER]. */
void lc_state_header_encode(const lc_state_header *h, uint8_t *out);
/* Decodes and checks what a header can check alone: magic, version, flags,
 * header CRC, ranges and the payload size against the counts.
 * LLAMAC_ERR_FORMAT / LLAMAC_ERR_UNSUPPORTED with a message naming the
 * field. */
llamac_status lc_state_header_decode(const uint8_t *in, lc_state_header *h);

/* The fingerprint of a loaded model. */
void lc_fingerprint_of(const llamac_model *model, lc_fingerprint *fp);
/* LLAMAC_ERR_MISMATCH naming the first field that differs. */
llamac_status lc_fingerprint_check(const lc_fingerprint *file, const lc_fingerprint *model);

/* Opens a state file for reading, decodes its header and checks the
 * file's size against it; *fd is left at the payload (state_load.c). */
llamac_status lc_state_file_open(const char *path, int *fd, lc_state_header *h);

/* Fills the public info from a decoded header. */
void lc_state_info_of(const lc_state_header *h, llamac_state_info *info);

#endif
