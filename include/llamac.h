/*
 * llamac — run Llama-family GGUF models on the CPU from plain C.
 *
 * This header is the whole public API and its manual. Read it top to bottom:
 *   1. version, status codes and error messages
 *   2. allocator and logging hooks
 *   3. GGUF files: reading, typed metadata access, tensor table, writing
 *   (later sections: model, context/decode, tokenizer, sampling, state)
 *
 * Conventions that hold for every function unless its comment says otherwise:
 *   - Fallible calls return llamac_status (LLAMAC_OK == 0) or NULL; the reason
 *     is then available from llamac_last_error() on the same thread.
 *   - Handles are opaque; each `_new`/`_open`/`_load` has one `_free`.
 *     `_free(NULL)` is a no-op.
 *   - Strings handed out by the library are owned by the handle they came
 *     from and live as long as it does.
 *   - A handle may be used from several threads only if the comment says so;
 *     otherwise the caller serializes calls on it. Distinct handles are
 *     independent. The library never prints, aborts or exits.
 *   - Params structs begin with `struct_size`; always initialize them from the
 *     matching `_default_params()` call so fields added later get defaults
 *     (see docs/abi.md).
 */
#ifndef LLAMAC_H
#define LLAMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(LLAMAC_BUILDING_DLL)
#define LLAMAC_API __declspec(dllexport)
#elif defined(__GNUC__)
#define LLAMAC_API __attribute__((visibility("default")))
#else
#define LLAMAC_API
#endif

/* ======================================================================== */
/* 1. Version, status, errors                                               */
/* ======================================================================== */

#define LLAMAC_VERSION_MAJOR 0
#define LLAMAC_VERSION_MINOR 1
#define LLAMAC_VERSION_PATCH 0
#define LLAMAC_VERSION_NUMBER \
    (LLAMAC_VERSION_MAJOR * 10000 + LLAMAC_VERSION_MINOR * 100 + LLAMAC_VERSION_PATCH)
#define LLAMAC_VERSION_STRING "0.1.0"

/* Version of the library actually linked, as "MAJOR.MINOR.PATCH". Static
 * string; thread-safe. Compare with LLAMAC_VERSION_STRING to detect a header
 * and library mismatch. */
LLAMAC_API const char *llamac_version(void);
/* Same, as MAJOR*10000 + MINOR*100 + PATCH. */
LLAMAC_API int llamac_version_number(void);

typedef enum llamac_status {
    LLAMAC_OK = 0,
    LLAMAC_ERR_INVALID_ARG = 1,  /* the caller broke a documented precondition */
    LLAMAC_ERR_IO = 2,           /* a file could not be opened, read, mapped or written */
    LLAMAC_ERR_FORMAT = 3,       /* input data is malformed (GGUF, state file, ...) */
    LLAMAC_ERR_UNSUPPORTED = 4,  /* well-formed but not supported (version, arch, type) */
    LLAMAC_ERR_NOT_FOUND = 5,    /* a key, tensor or token asked for does not exist */
    LLAMAC_ERR_TYPE = 6,         /* a key exists but holds another type */
    LLAMAC_ERR_NO_MEMORY = 7,    /* an allocation failed */
    LLAMAC_ERR_CANCELLED = 8,    /* a caller callback asked to stop */
    LLAMAC_ERR_CONTEXT_FULL = 9, /* no room left in the context (KV cache) */
    LLAMAC_ERR_INTERNAL = 10     /* a bug in llamac; please report it */
} llamac_status;

/* Short constant name of a status ("LLAMAC_ERR_FORMAT"); never NULL. */
LLAMAC_API const char *llamac_status_name(llamac_status status);

/* Message describing the most recent failure of a llamac call on the calling
 * thread (the message is thread-local, so threads do not see each other's
 * errors). It names the problem precisely: key, tensor, byte offset,
 * expected vs found. Successful calls do not clear it. Valid until the next
 * failing call on this thread; never NULL ("" if nothing failed yet). */
LLAMAC_API const char *llamac_last_error(void);

/* ======================================================================== */
/* 2. Allocator and logging hooks                                           */
/* ======================================================================== */

/* Every allocation the library makes for a handle goes through the allocator
 * given in that handle's params (NULL means the C library's malloc family).
 * The functions must be thread-safe if handles created with them are used
 * from several threads. malloc_fn/realloc_fn return NULL on failure, which
 * the library reports as LLAMAC_ERR_NO_MEMORY. The struct is read at handle
 * creation and must outlive the handle. */
typedef struct llamac_allocator {
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *user;
} llamac_allocator;

typedef enum llamac_log_level {
    LLAMAC_LOG_ERROR = 0,
    LLAMAC_LOG_WARN = 1,
    LLAMAC_LOG_INFO = 2,
    LLAMAC_LOG_DEBUG = 3
} llamac_log_level;

/* Log sink: receives one complete line (no trailing newline) per call. Called
 * on whichever thread did the work; must not call back into the same handle.
 * Without a callback the library is silent. */
typedef void (*llamac_log_fn)(void *user, llamac_log_level level, const char *message);

/* ======================================================================== */
/* 3. GGUF files                                                            */
/* ======================================================================== */

/* Tensor element types, numbered exactly as GGML/GGUF numbers them. Ids that
 * GGML retired (4, 5, 31-33, 36-38) are not valid in a file. */
typedef enum llamac_type {
    LLAMAC_TYPE_F32 = 0,
    LLAMAC_TYPE_F16 = 1,
    LLAMAC_TYPE_Q4_0 = 2,
    LLAMAC_TYPE_Q4_1 = 3,
    LLAMAC_TYPE_Q5_0 = 6,
    LLAMAC_TYPE_Q5_1 = 7,
    LLAMAC_TYPE_Q8_0 = 8,
    LLAMAC_TYPE_Q8_1 = 9,
    LLAMAC_TYPE_Q2_K = 10,
    LLAMAC_TYPE_Q3_K = 11,
    LLAMAC_TYPE_Q4_K = 12,
    LLAMAC_TYPE_Q5_K = 13,
    LLAMAC_TYPE_Q6_K = 14,
    LLAMAC_TYPE_Q8_K = 15,
    LLAMAC_TYPE_IQ2_XXS = 16,
    LLAMAC_TYPE_IQ2_XS = 17,
    LLAMAC_TYPE_IQ3_XXS = 18,
    LLAMAC_TYPE_IQ1_S = 19,
    LLAMAC_TYPE_IQ4_NL = 20,
    LLAMAC_TYPE_IQ3_S = 21,
    LLAMAC_TYPE_IQ2_S = 22,
    LLAMAC_TYPE_IQ4_XS = 23,
    LLAMAC_TYPE_I8 = 24,
    LLAMAC_TYPE_I16 = 25,
    LLAMAC_TYPE_I32 = 26,
    LLAMAC_TYPE_I64 = 27,
    LLAMAC_TYPE_F64 = 28,
    LLAMAC_TYPE_IQ1_M = 29,
    LLAMAC_TYPE_BF16 = 30,
    LLAMAC_TYPE_TQ1_0 = 34,
    LLAMAC_TYPE_TQ2_0 = 35,
    LLAMAC_TYPE_MXFP4 = 39,
    LLAMAC_TYPE_COUNT = 40 /* one past the largest id; not a type */
} llamac_type;

/* Name of a tensor type ("Q4_K"), or NULL if `type` is not a valid id. */
LLAMAC_API const char *llamac_type_name(llamac_type type);
/* Elements per block (1 for F32/F16/..., 32 for Q4_0, 256 for K-quants),
 * or 0 if `type` is not a valid id. */
LLAMAC_API int64_t llamac_type_block_size(llamac_type type);
/* Bytes per block, or 0 if `type` is not a valid id. */
LLAMAC_API size_t llamac_type_block_bytes(llamac_type type);

/* GGUF metadata value types, numbered as in the GGUF specification. */
typedef enum llamac_gguf_type {
    LLAMAC_GGUF_UINT8 = 0,
    LLAMAC_GGUF_INT8 = 1,
    LLAMAC_GGUF_UINT16 = 2,
    LLAMAC_GGUF_INT16 = 3,
    LLAMAC_GGUF_UINT32 = 4,
    LLAMAC_GGUF_INT32 = 5,
    LLAMAC_GGUF_FLOAT32 = 6,
    LLAMAC_GGUF_BOOL = 7,
    LLAMAC_GGUF_STRING = 8,
    LLAMAC_GGUF_ARRAY = 9,
    LLAMAC_GGUF_UINT64 = 10,
    LLAMAC_GGUF_INT64 = 11,
    LLAMAC_GGUF_FLOAT64 = 12
} llamac_gguf_type;

/* Name of a value type ("UINT32"), or NULL if invalid. */
LLAMAC_API const char *llamac_gguf_type_name(llamac_gguf_type type);

/* An open GGUF file: its metadata, tensor table and data section. Read-only
 * after opening, so one handle may be queried from several threads at once. */
typedef struct llamac_gguf llamac_gguf;

typedef struct llamac_gguf_params {
    size_t struct_size;               /* sizeof(llamac_gguf_params) */
    bool use_mmap;                    /* map the file read-only (default true);
                                         false reads it into memory */
    const llamac_allocator *allocator;/* NULL: C library malloc */
    llamac_log_fn log_fn;             /* NULL: silent */
    void *log_user;
} llamac_gguf_params;

LLAMAC_API llamac_gguf_params llamac_gguf_default_params(void);

/* Opens and fully validates a GGUF v2 or v3 file (v1 is refused): header,
 * every key/value, the tensor table (names, dims, types, offsets: in-bounds,
 * aligned, non-overlapping), with overflow-checked arithmetic throughout.
 * On success *out owns the file (mapping or buffer) until llamac_gguf_free.
 * On failure *out is NULL and the status says why; the message names the
 * byte offset and the field. `params` may be NULL for defaults. */
LLAMAC_API llamac_status llamac_gguf_open(const char *path, const llamac_gguf_params *params,
                                          llamac_gguf **out);
/* Same, from a caller-owned buffer that must outlive the handle (not
 * copied). Used by fuzzing and by callers who ship a model in memory. */
LLAMAC_API llamac_status llamac_gguf_open_memory(const void *data, size_t size,
                                                 const llamac_gguf_params *params,
                                                 llamac_gguf **out);
LLAMAC_API void llamac_gguf_free(llamac_gguf *gguf);

LLAMAC_API uint32_t llamac_gguf_version(const llamac_gguf *gguf);
/* general.alignment, or 32 when absent. */
LLAMAC_API uint32_t llamac_gguf_alignment(const llamac_gguf *gguf);
/* Byte offset of the data section from the start of the file. */
LLAMAC_API uint64_t llamac_gguf_data_offset(const llamac_gguf *gguf);

/* ---- metadata ---- */
LLAMAC_API int64_t llamac_gguf_n_kv(const llamac_gguf *gguf);
/* Index of `key`, or -1 if absent. */
LLAMAC_API int64_t llamac_gguf_find_key(const llamac_gguf *gguf, const char *key);
/* Key (NUL-terminated, valid UTF-8) and value type of entry i; NULL/-1 when
 * i is out of range. */
LLAMAC_API const char *llamac_gguf_key(const llamac_gguf *gguf, int64_t i);
LLAMAC_API llamac_gguf_type llamac_gguf_kv_type(const llamac_gguf *gguf, int64_t i);

/* Typed getters by key. LLAMAC_ERR_NOT_FOUND if the key is absent,
 * LLAMAC_ERR_TYPE if it holds another type. Integer getters accept any
 * integer value type whose value fits the requested type (writers disagree
 * on u32 vs i32 vs u64); float getters accept FLOAT32 and FLOAT64. *out is
 * untouched on failure. */
LLAMAC_API llamac_status llamac_gguf_get_u32(const llamac_gguf *gguf, const char *key, uint32_t *out);
LLAMAC_API llamac_status llamac_gguf_get_i32(const llamac_gguf *gguf, const char *key, int32_t *out);
LLAMAC_API llamac_status llamac_gguf_get_u64(const llamac_gguf *gguf, const char *key, uint64_t *out);
LLAMAC_API llamac_status llamac_gguf_get_i64(const llamac_gguf *gguf, const char *key, int64_t *out);
LLAMAC_API llamac_status llamac_gguf_get_f32(const llamac_gguf *gguf, const char *key, float *out);
LLAMAC_API llamac_status llamac_gguf_get_f64(const llamac_gguf *gguf, const char *key, double *out);
LLAMAC_API llamac_status llamac_gguf_get_bool(const llamac_gguf *gguf, const char *key, bool *out);
/* String value: *str points into the handle (not NUL-terminated in the file
 * format, but the library guarantees a terminating NUL), *len its byte
 * length (strings may contain NUL bytes; trust len). `len` may be NULL. */
LLAMAC_API llamac_status llamac_gguf_get_string(const llamac_gguf *gguf, const char *key,
                                                const char **str, uint64_t *len);
/* Array value: element type and count. For arrays of fixed-size elements
 * *data points at n packed little-endian elements inside the handle
 * (possibly unaligned: copy with memcpy); for arrays of strings *data is
 * NULL: use llamac_gguf_get_array_string. Nested arrays are reported with
 * elem_type LLAMAC_GGUF_ARRAY and data NULL. Any out pointer may be NULL. */
LLAMAC_API llamac_status llamac_gguf_get_array(const llamac_gguf *gguf, const char *key,
                                               llamac_gguf_type *elem_type, uint64_t *n,
                                               const void **data);
/* Element idx of an array of strings (see llamac_gguf_get_string).
 * LLAMAC_ERR_INVALID_ARG if idx >= n. O(1). */
LLAMAC_API llamac_status llamac_gguf_get_array_string(const llamac_gguf *gguf, const char *key,
                                                      uint64_t idx, const char **str,
                                                      uint64_t *len);

/* ---- tensors ---- */
typedef struct llamac_tensor_info {
    const char *name;    /* NUL-terminated, owned by the handle */
    uint32_t n_dims;     /* 1..4 */
    int64_t ne[4];       /* elements per dim, ne[0] fastest; unused dims are 1 */
    llamac_type type;
    uint64_t offset;     /* from the start of the data section */
    uint64_t n_bytes;    /* size of the data */
    const void *data;    /* the tensor's bytes inside the mapping/buffer */
} llamac_tensor_info;

LLAMAC_API int64_t llamac_gguf_n_tensors(const llamac_gguf *gguf);
/* Index of tensor `name`, or -1 if absent. */
LLAMAC_API int64_t llamac_gguf_find_tensor(const llamac_gguf *gguf, const char *name);
/* Fills *out for tensor i; LLAMAC_ERR_INVALID_ARG if out of range. */
LLAMAC_API llamac_status llamac_gguf_tensor(const llamac_gguf *gguf, int64_t i,
                                            llamac_tensor_info *out);

/* ---- writing ---- */
/* Builds a GGUF v3 file in memory (metadata + tensor table) and writes it
 * with each tensor's data at an aligned offset. Keys keep insertion order;
 * setting an existing key replaces its value. Tensor data is borrowed: it
 * must stay valid until llamac_gguf_writer_write returns. */
typedef struct llamac_gguf_writer llamac_gguf_writer;

/* `allocator` may be NULL. */
LLAMAC_API llamac_status llamac_gguf_writer_new(const llamac_allocator *allocator,
                                                llamac_gguf_writer **out);
LLAMAC_API void llamac_gguf_writer_free(llamac_gguf_writer *w);

LLAMAC_API llamac_status llamac_gguf_writer_set_u32(llamac_gguf_writer *w, const char *key, uint32_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_i32(llamac_gguf_writer *w, const char *key, int32_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_u64(llamac_gguf_writer *w, const char *key, uint64_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_f32(llamac_gguf_writer *w, const char *key, float v);
LLAMAC_API llamac_status llamac_gguf_writer_set_bool(llamac_gguf_writer *w, const char *key, bool v);
LLAMAC_API llamac_status llamac_gguf_writer_set_string(llamac_gguf_writer *w, const char *key,
                                                       const char *str);
/* Generic scalar or fixed-size array value (copied). For a scalar, n is 1 and
 * is_array false. type must not be STRING or ARRAY here. */
LLAMAC_API llamac_status llamac_gguf_writer_set_value(llamac_gguf_writer *w, const char *key,
                                                      llamac_gguf_type type, bool is_array,
                                                      const void *data, uint64_t n);
/* Array of n NUL-terminated strings (copied). */
LLAMAC_API llamac_status llamac_gguf_writer_set_string_array(llamac_gguf_writer *w, const char *key,
                                                             const char *const *strs, uint64_t n);
/* Copies every key/value of `src` (e.g. to re-write a model with new tensors). */
LLAMAC_API llamac_status llamac_gguf_writer_copy_kv(llamac_gguf_writer *w, const llamac_gguf *src);
/* Sets general.alignment (power of two, default 32). */
LLAMAC_API llamac_status llamac_gguf_writer_set_alignment(llamac_gguf_writer *w, uint32_t alignment);
/* Adds a tensor; n_bytes must equal the size implied by type and ne. */
LLAMAC_API llamac_status llamac_gguf_writer_add_tensor(llamac_gguf_writer *w, const char *name,
                                                       llamac_type type, uint32_t n_dims,
                                                       const int64_t *ne, const void *data,
                                                       uint64_t n_bytes);
/* Writes the file (atomically: to a temporary name, then renamed). */
LLAMAC_API llamac_status llamac_gguf_writer_write(llamac_gguf_writer *w, const char *path);

/* ==== end of section 3 ==== */

/* ======================================================================== */
/* 4. Tokenizer (vocabulary)                                                */
/* ======================================================================== */

/* A token id: index into the model's vocabulary. */
typedef int32_t llamac_token;
#define LLAMAC_TOKEN_NULL ((llamac_token)-1)

/* A tokenizer vocabulary: token texts, scores, types, merges, special ids.
 * Immutable once loaded, so every function taking a `const llamac_vocab *`
 * may be called from several threads at once. */
typedef struct llamac_vocab llamac_vocab;

/* ==== end of section 4 ==== */

/* ======================================================================== */
/* 5. Model                                                                 */
/* ======================================================================== */

/* ==== end of section 5 ==== */

/* ======================================================================== */
/* 6. Context, batches, decoding, KV cache                                  */
/* ======================================================================== */

/* ==== end of section 6 ==== */

/* ======================================================================== */
/* 7. Sampling                                                              */
/* ======================================================================== */

/* ==== end of section 7 ==== */

#ifdef __cplusplus
}
#endif
#endif /* LLAMAC_H */
