/* The parsed form of an open GGUF file, shared by the parser (gguf_read.c),
 * open/free (gguf_open.c), the getters (gguf_get.c) and the writer
 * (gguf_write.c, for copy_kv and the shared checks) and the type sizes
 * (gguf_types.c). Private to lib/gguf/; other layers use gguf.h.
 *
 * GGUF v2/v3 byte layout (little-endian throughout, no implicit padding):
 *
 *   u32 magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
 *   n_kv times:      string key | u32 value type | value
 *   n_tensors times: string name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset
 *   zero padding up to a multiple of the alignment (only when n_tensors > 0)
 *   data section: each tensor at data_offset + offset
 *
 *   string = u64 byte length | bytes (no NUL terminator)
 *   value  = the scalar (bool is one byte), a string, or an array:
 *            u32 element type | u64 count | count values of that type
 *
 * Strings in the file carry no terminating NUL, so the reader copies every
 * key, tensor name and string value into one arena of NUL-terminated
 * strings. Entries refer to the arena by offset (the arena grows while
 * parsing, which would move pointers). */
#ifndef LLAMAC_GGUF_INTERNAL_H
#define LLAMAC_GGUF_INTERNAL_H

#include "common/buffer.h"
#include "common/internal.h"
#include "common/unicode.h"
#include "gguf.h"

#define LC_GGUF_DEFAULT_ALIGNMENT 32u
#define LC_GGUF_MAX_DIMS 4
/* Arrays of arrays are legal GGUF but no model uses them; deeper nesting
 * than this is refused so a hostile file cannot exhaust the stack. */
#define LC_GGUF_MAX_NESTING 8
/* ggml stores tensor names in char[64]: a longer name cannot be loaded by
 * llama.cpp, so the writer refuses it (the reader accepts any length). */
#define LC_GGUF_MAX_TENSOR_NAME 63

/* A string in the arena: `off` is where its bytes start, a NUL follows the
 * `len` bytes. */
typedef struct lc_gguf_str {
    uint64_t off;
    uint64_t len;
} lc_gguf_str;

typedef struct lc_gguf_kv {
    lc_gguf_str key;
    llamac_gguf_type type;
    llamac_gguf_type elem_type;  /* ARRAY only */
    uint64_t n;                  /* ARRAY only: element count */
    const unsigned char *data;   /* fixed-size scalar or array elements, in the file */
    lc_gguf_str str;             /* STRING only */
    uint64_t *str_offs;          /* ARRAY of STRING: n+1 arena offsets; element i
                                    is [str_offs[i], str_offs[i+1]-1), then a NUL */
    const unsigned char *raw;    /* the value as stored, from its type tag on */
    uint64_t raw_len;
} lc_gguf_kv;

typedef struct lc_gguf_tensor {
    lc_gguf_str name;
    uint32_t n_dims;
    int64_t ne[LC_GGUF_MAX_DIMS];
    llamac_type type;
    uint64_t offset;  /* from the start of the data section */
    uint64_t n_bytes;
} lc_gguf_tensor;

/* Open-addressing hash from names to entry indices (slot value index+1,
 * 0 = empty); capacity a power of two at least twice the entry count. */
typedef struct lc_name_index {
    int64_t *slots;
    uint64_t mask;
} lc_name_index;

struct llamac_gguf {
    lc_env env;
    const unsigned char *base; /* the whole file */
    uint64_t size;
    void *map;                 /* mmap'ed region (munmap on free), or NULL */
    unsigned char *buf;        /* read-into-memory copy (lc_free_aligned), or NULL */

    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;

    int64_t n_kv;
    lc_gguf_kv *kv;
    lc_name_index kv_index;

    int64_t n_tensors;
    lc_gguf_tensor *tensors;
    lc_name_index tensor_index;

    lc_bytes arena;
};

/* Little-endian decoding that works on any host and any alignment. */
static inline uint16_t lc_le16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }
static inline uint32_t lc_le32(const unsigned char *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t lc_le64(const unsigned char *b) {
    return lc_le32(b) | (uint64_t)lc_le32(b + 4) << 32;
}

static inline const char *lc_gguf_cstr(const llamac_gguf *g, lc_gguf_str s) {
    return g->arena.data + s.off;
}

/* Index of the key (tensors false) or tensor (tensors true) named by the
 * len bytes at name, or -1. Hashed: O(1) on average. */
int64_t lc_gguf_lookup(const llamac_gguf *g, bool tensors, const char *name, uint64_t len);

/* Byte size of one value of a fixed-size GGUF type, 0 for STRING, ARRAY or
 * an invalid id. */
size_t lc_gguf_scalar_size(uint32_t type);

/* Size check shared by reader and writer. */
typedef enum lc_tensor_size_result {
    LC_TENSOR_SIZE_OK = 0,
    LC_TENSOR_SIZE_BAD_TYPE,       /* not a known llamac_type id */
    LC_TENSOR_SIZE_BAD_ROW,        /* ne[0] is not a multiple of the block size */
    LC_TENSOR_SIZE_OVERFLOW_ELEMENTS, /* the element count exceeds INT64_MAX */
    LC_TENSOR_SIZE_OVERFLOW_BYTES  /* the byte size exceeds UINT64_MAX */
} lc_tensor_size_result;

/* Bytes of a tensor of `type` with element counts ne[0..3] (all >= 1). */
lc_tensor_size_result lc_tensor_size(llamac_type type, const int64_t ne[LC_GGUF_MAX_DIMS],
                                     uint64_t *n_bytes);

/* Parses and validates g->base[0..g->size) into g (gguf_read.c). On
 * failure the thread's error names the field and byte offset; g keeps
 * whatever was allocated so far for lc_gguf_destroy to release. */
llamac_status lc_gguf_parse(llamac_gguf *g);
#endif
