/*
 * llamac — run Llama-family GGUF models on the CPU from plain C.
 *
 * This header is the whole public API and its manual. Read it top to bottom:
 *   1. version, status codes and error messages
 *   2. allocator and logging hooks
 *   3. GGUF files: reading, typed metadata access, tensor table, writing
 *   4. tokenizer (vocabulary): queries, text -> tokens, tokens -> text
 *   5. model: load, hyperparameters, weight repacking
 *   6. context: kernel choice, batches, decoding, logits, KV cache
 *   7. sampling: samplers and chains; the generator, which runs tokenize,
 *      decode, sample and detokenize in a loop
 *   8. model quantization and synthesis
 * docs/api.md shows a whole program using sections 4 to 7.
 *
 * Conventions that hold for every function unless its comment says otherwise:
 *   - Fallible calls return llamac_status (LLAMAC_OK == 0) or NULL; the reason
 *     is then available from llamac_last_error() on the same thread.
 *   - Error model (docs/api.md, "Error model"):
 *     * A NULL handle or NULL required pointer makes a status-returning call
 *       return LLAMAC_ERR_INVALID_ARG with a message naming the function and
 *       the argument ("llamac_kv_seq_rm: ctx is NULL"). Getters (calls that
 *       return a value, not a status) return a neutral value instead: 0,
 *       0.0f, false, NULL, -1 for indices and positions, LLAMAC_TOKEN_NULL
 *       for tokens, as each comment says, and leave the message alone.
 *       Functions returning void do nothing.
 *     * An output buffer that is too small is LLAMAC_ERR_BUFFER_TOO_SMALL,
 *       with the size needed written; LLAMAC_ERR_INVALID_ARG always means a
 *       broken precondition.
 *     * A metadata key holding the wrong type is LLAMAC_ERR_TYPE.
 *     * A successful call never changes llamac_last_error().
 *   - Every llamac_X_params_init(params, size) does nothing when params is
 *     NULL or size < sizeof(size_t) (too small to hold struct_size).
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
#define LLAMAC_VERSION_MINOR 3
#define LLAMAC_VERSION_PATCH 0
#define LLAMAC_VERSION_NUMBER \
    (LLAMAC_VERSION_MAJOR * 10000 + LLAMAC_VERSION_MINOR * 100 + LLAMAC_VERSION_PATCH)
#define LLAMAC_VERSION_STRING "0.3.0"

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
    LLAMAC_ERR_INTERNAL = 10,    /* a bug in llamac; please report it */
    LLAMAC_ERR_BUFFER_TOO_SMALL = 11, /* a caller's output buffer is too small; the
                                        size needed was written (since 0.2.0) */
    LLAMAC_ERR_MISMATCH = 12,    /* valid data for another model, context or sampler
                                    (a state file; since 0.3.0) */
    LLAMAC_ERR_LIMIT = 13        /* untrusted input (a template, a grammar) exceeded a
                                    documented bound: steps, depth, size (since 0.4.0) */
} llamac_status;

/* Short constant name of a status ("LLAMAC_ERR_FORMAT"); never NULL. */
LLAMAC_API const char *llamac_status_name(llamac_status status);

/* Message describing the most recent failure of a llamac call on the calling
 * thread (the message is thread-local, so threads do not see each other's
 * errors). It names the problem precisely: key, tensor, byte offset,
 * expected vs found. Successful calls neither clear nor change it (also not
 * calls that tolerate a failure inside, such as a load whose optional keys
 * are absent), and getters given NULL do not touch it, so it always belongs
 * to the last call that reported a failure. Valid until the next failing
 * call on this thread; never NULL ("" if nothing failed yet). */
LLAMAC_API const char *llamac_last_error(void);

/* ======================================================================== */
/* 2. Allocator and logging hooks                                           */
/* ======================================================================== */

/* Every allocation the library makes for a handle goes through the allocator
 * given in that handle's params (NULL means the C library's malloc family).
 * The functions must be thread-safe if handles created with them are used
 * from several threads. malloc_fn/realloc_fn return NULL on failure, which
 * the library reports as LLAMAC_ERR_NO_MEMORY. The struct is read at handle
 * creation and must outlive the handle. The library calls no C-library
 * function that allocates behind the hook's back, with two exceptions it
 * cannot route: thread-local storage (the per-thread error message) and
 * what pthread_create allocates for a context's worker threads. */
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
                                         false, or a failed mmap, reads it
                                         into memory instead */
    const llamac_allocator *allocator;/* NULL: C library malloc */
    llamac_log_fn log_fn;             /* NULL: silent */
    void *log_user;
} llamac_gguf_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Call it through
 * llamac_gguf_default_params(); bindings call it with their struct size. */
LLAMAC_API void llamac_gguf_params_init(llamac_gguf_params *params, size_t size);
static inline llamac_gguf_params llamac_gguf_default_params(void) {
    llamac_gguf_params p;
    llamac_gguf_params_init(&p, sizeof p);
    return p;
}

/* Opens and fully validates a GGUF v2 or v3 file (v1 and big-endian files
 * are refused with LLAMAC_ERR_UNSUPPORTED): header, every key/value
 * (non-empty, valid UTF-8, unique keys; known value types; bools 0 or 1;
 * general.alignment a UINT32 power of two), the tensor table (unique names,
 * n_dims 1..4, every dimension >= 1, known type, element count and byte
 * size within 64 bits, rows a whole number of blocks) and tensor placement
 * (offsets aligned, data inside the file, no two tensors overlapping).
 * Counts are compared with the bytes left in the file before anything is
 * allocated for them.
 * Returns LLAMAC_OK and *out, which owns the file (mapping or buffer) until
 * llamac_gguf_free. On failure *out is NULL and the status is
 * LLAMAC_ERR_INVALID_ARG (NULL path/out, bad params struct_size),
 * LLAMAC_ERR_IO (cannot open/read), LLAMAC_ERR_FORMAT (malformed),
 * LLAMAC_ERR_UNSUPPORTED (version, unknown tensor type) or
 * LLAMAC_ERR_NO_MEMORY; the message is one line naming the path, the
 * key/value or tensor, the byte offset and expected vs found. `params`
 * may be NULL for defaults. Thread-safe (no shared state). */
LLAMAC_API llamac_status llamac_gguf_open(const char *path, const llamac_gguf_params *params,
                                          llamac_gguf **out);
/* Same, from a caller-owned buffer of `size` bytes that must outlive the
 * handle (it is not copied; tensor data points into it). Messages carry no
 * path. Used by fuzzing and by callers who ship a model in memory. */
LLAMAC_API llamac_status llamac_gguf_open_memory(const void *data, size_t size,
                                                 const llamac_gguf_params *params,
                                                 llamac_gguf **out);
/* Releases the handle, its mapping or buffer, and every string and tensor
 * pointer it handed out. NULL is a no-op. */
LLAMAC_API void llamac_gguf_free(llamac_gguf *gguf);

/* The accessors below never fail on a valid handle; given NULL they return
 * 0 / -1 / NULL (or LLAMAC_ERR_INVALID_ARG for status-returning ones). */

/* 2 or 3. */
LLAMAC_API uint32_t llamac_gguf_version(const llamac_gguf *gguf);
/* general.alignment, or 32 when absent. */
LLAMAC_API uint32_t llamac_gguf_alignment(const llamac_gguf *gguf);
/* Byte offset of the data section from the start of the file (the end of
 * the tensor table rounded up to the alignment; for a file without
 * tensors, the end of the metadata). */
LLAMAC_API uint64_t llamac_gguf_data_offset(const llamac_gguf *gguf);

/* ---- metadata ---- */
/* Number of key/value pairs; entries are indexed 0..n-1 in file order. */
LLAMAC_API int64_t llamac_gguf_n_kv(const llamac_gguf *gguf);
/* Index of `key`, or -1 if absent. Hashed: O(length of key). */
LLAMAC_API int64_t llamac_gguf_find_key(const llamac_gguf *gguf, const char *key);
/* Key (NUL-terminated, valid UTF-8, owned by the handle) and value type of
 * entry i; NULL / (llamac_gguf_type)-1 when i is out of range. */
LLAMAC_API const char *llamac_gguf_key(const llamac_gguf *gguf, int64_t i);
LLAMAC_API llamac_gguf_type llamac_gguf_kv_type(const llamac_gguf *gguf, int64_t i);

/* Typed getters by key. LLAMAC_ERR_NOT_FOUND if the key is absent,
 * LLAMAC_ERR_TYPE if it holds another type, LLAMAC_ERR_INVALID_ARG if gguf
 * or key is NULL. Integer getters accept any integer value type whose value
 * fits the requested type (writers disagree on u32 vs i32 vs u64), else
 * LLAMAC_ERR_TYPE naming the value; float getters accept FLOAT32 and
 * FLOAT64 (get_f32 refuses a finite FLOAT64 beyond float range); BOOL is
 * not an integer. *out is untouched on failure; out may be NULL to test
 * a key's type. */
LLAMAC_API llamac_status llamac_gguf_get_u32(const llamac_gguf *gguf, const char *key, uint32_t *out);
LLAMAC_API llamac_status llamac_gguf_get_i32(const llamac_gguf *gguf, const char *key, int32_t *out);
LLAMAC_API llamac_status llamac_gguf_get_u64(const llamac_gguf *gguf, const char *key, uint64_t *out);
LLAMAC_API llamac_status llamac_gguf_get_i64(const llamac_gguf *gguf, const char *key, int64_t *out);
LLAMAC_API llamac_status llamac_gguf_get_f32(const llamac_gguf *gguf, const char *key, float *out);
LLAMAC_API llamac_status llamac_gguf_get_f64(const llamac_gguf *gguf, const char *key, double *out);
LLAMAC_API llamac_status llamac_gguf_get_bool(const llamac_gguf *gguf, const char *key, bool *out);
/* String value: *str points into the handle (not NUL-terminated in the file
 * format, but the library guarantees a terminating NUL), *len its byte
 * length (strings may contain NUL bytes; trust len). String values are not
 * checked for UTF-8 (vocabularies hold raw bytes). Either out pointer may
 * be NULL. */
LLAMAC_API llamac_status llamac_gguf_get_string(const llamac_gguf *gguf, const char *key,
                                                const char **str, uint64_t *len);
/* Array value: element type and count. For arrays of fixed-size elements
 * *data points at n packed little-endian elements inside the handle
 * (possibly unaligned: copy with memcpy; BOOL elements are bytes 0 or 1);
 * for arrays of strings *data is NULL: use llamac_gguf_get_array_string.
 * Nested arrays are reported with elem_type LLAMAC_GGUF_ARRAY and data
 * NULL (their contents are validated but not accessible; nesting deeper
 * than 8 levels is refused at open). Any out pointer may be NULL. */
LLAMAC_API llamac_status llamac_gguf_get_array(const llamac_gguf *gguf, const char *key,
                                               llamac_gguf_type *elem_type, uint64_t *n,
                                               const void **data);
/* Element idx of an array of strings (NUL-terminated, owned by the handle,
 * as in llamac_gguf_get_string). LLAMAC_ERR_TYPE if the key is not an
 * array of strings, LLAMAC_ERR_INVALID_ARG if idx >= n. O(1). */
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
    const void *data;    /* the tensor's bytes inside the mapping/buffer;
                            aligned to the file's alignment relative to the
                            data section (the mapping itself is page-aligned) */
} llamac_tensor_info;

/* Number of tensors; indexed 0..n-1 in file order. */
LLAMAC_API int64_t llamac_gguf_n_tensors(const llamac_gguf *gguf);
/* Index of tensor `name`, or -1 if absent. Hashed. */
LLAMAC_API int64_t llamac_gguf_find_tensor(const llamac_gguf *gguf, const char *name);
/* Fills *out for tensor i (pointers owned by the handle);
 * LLAMAC_ERR_INVALID_ARG if i is out of range. */
LLAMAC_API llamac_status llamac_gguf_tensor(const llamac_gguf *gguf, int64_t i,
                                            llamac_tensor_info *out);

/* ---- writing ---- */
/* Collects metadata and tensors, then writes a GGUF v3 file laid out as
 * ggml writes it: keys in insertion order (setting an existing key
 * replaces its value in place), then the tensor table, then each tensor's
 * data in insertion order at the next multiple of the alignment, padded
 * with zeros. Values and names are copied; tensor data is borrowed and must
 * stay valid until llamac_gguf_writer_write returns. Setters return
 * LLAMAC_ERR_INVALID_ARG for a NULL writer, a NULL, empty or non-UTF-8 key,
 * or a bad argument (message says which), LLAMAC_ERR_NO_MEMORY otherwise
 * on failure; a failed call leaves the writer as it was. One thread at a
 * time per writer. */
typedef struct llamac_gguf_writer llamac_gguf_writer;

/* New empty writer in *out; free with llamac_gguf_writer_free. `allocator`
 * may be NULL (C library malloc). */
LLAMAC_API llamac_status llamac_gguf_writer_new(const llamac_allocator *allocator,
                                                llamac_gguf_writer **out);
/* NULL is a no-op. */
LLAMAC_API void llamac_gguf_writer_free(llamac_gguf_writer *w);

LLAMAC_API llamac_status llamac_gguf_writer_set_u32(llamac_gguf_writer *w, const char *key, uint32_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_i32(llamac_gguf_writer *w, const char *key, int32_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_u64(llamac_gguf_writer *w, const char *key, uint64_t v);
LLAMAC_API llamac_status llamac_gguf_writer_set_f32(llamac_gguf_writer *w, const char *key, float v);
LLAMAC_API llamac_status llamac_gguf_writer_set_bool(llamac_gguf_writer *w, const char *key, bool v);
/* A NUL-terminated string value (copied without its NUL). */
LLAMAC_API llamac_status llamac_gguf_writer_set_string(llamac_gguf_writer *w, const char *key,
                                                       const char *str);
/* Generic scalar or fixed-size array value (copied): `data` holds n
 * host-order C values of the type (uint8_t ... double; C bool for BOOL),
 * which are written little-endian. For a scalar, n is 1 and is_array
 * false. type must not be STRING or ARRAY here. */
LLAMAC_API llamac_status llamac_gguf_writer_set_value(llamac_gguf_writer *w, const char *key,
                                                      llamac_gguf_type type, bool is_array,
                                                      const void *data, uint64_t n);
/* Array of n NUL-terminated strings (copied). */
LLAMAC_API llamac_status llamac_gguf_writer_set_string_array(llamac_gguf_writer *w, const char *key,
                                                             const char *const *strs, uint64_t n);
/* Copies every key/value of `src` byte for byte, nested arrays and
 * embedded NULs included (e.g. to re-write a model with new tensors).
 * general.alignment is copied too. */
LLAMAC_API llamac_status llamac_gguf_writer_copy_kv(llamac_gguf_writer *w, const llamac_gguf *src);
/* Sets general.alignment (a UINT32 power of two; default 32). */
LLAMAC_API llamac_status llamac_gguf_writer_set_alignment(llamac_gguf_writer *w, uint32_t alignment);
/* Adds a tensor. name: 1..63 bytes (ggml's limit) and unique; n_dims 1..4;
 * ne[0..n_dims-1] >= 1 with ne[0] a multiple of the type's block size;
 * n_bytes must equal the size implied by type and ne. */
LLAMAC_API llamac_status llamac_gguf_writer_add_tensor(llamac_gguf_writer *w, const char *name,
                                                       llamac_type type, uint32_t n_dims,
                                                       const int64_t *ne, const void *data,
                                                       uint64_t n_bytes);
/* Produces a tensor's bytes while the file is written: fills dst[0..n_bytes)
 * and returns LLAMAC_OK, or a failure status (after setting the message,
 * e.g. through another llamac call) to abort the write. */
typedef llamac_status (*llamac_gguf_tensor_fill_fn)(void *user, const char *name, void *dst,
                                                    uint64_t n_bytes);
/* Adds a tensor like llamac_gguf_writer_add_tensor (same checks, data
 * excepted) whose bytes are not held but produced at write time:
 * llamac_gguf_writer_write calls fill(user, name, dst, n_bytes) once per
 * such tensor, in file order, on the calling thread, into a buffer it owns
 * (one, sized for the largest such tensor, reused), and writes what fill
 * left there. So a file larger than memory can be written with memory near
 * one tensor. A failing fill aborts the write with its status (nothing is
 * left behind). LLAMAC_ERR_INVALID_ARG if fill is NULL. */
LLAMAC_API llamac_status llamac_gguf_writer_add_tensor_fn(llamac_gguf_writer *w, const char *name,
                                                          llamac_type type, uint32_t n_dims,
                                                          const int64_t *ne, uint64_t n_bytes,
                                                          llamac_gguf_tensor_fill_fn fill,
                                                          void *user);
/* Writes the file atomically: to a temporary name beside `path`, synced,
 * then renamed over `path`; on failure nothing is left behind and `path`
 * is untouched. LLAMAC_ERR_IO names the file and the system error;
 * LLAMAC_ERR_INVALID_ARG if general.alignment was set to something other
 * than a UINT32 power of two. The writer stays usable. */
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
 * may be called from several threads at once (tokenizing allocates its
 * scratch per call; there are no caches). Two kinds are supported:
 *   - LLAMAC_VOCAB_SPM: SentencePiece BPE with byte fallback (Llama 1/2,
 *     TinyLlama, Mistral): tokenizer.ggml.model = "llama".
 *   - LLAMAC_VOCAB_BPE: byte-level BPE with the Llama 3 pre-tokenizer:
 *     tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre = "llama-bpe" or
 *     "llama3" (also "llama-v3").
 * A model's vocabulary comes from llamac_model_vocab() and lives as long as
 * the model; a vocabulary-only GGUF loads with llamac_vocab_load(). */
typedef struct llamac_vocab llamac_vocab;

typedef enum llamac_vocab_type {
    LLAMAC_VOCAB_SPM = 1, /* SentencePiece BPE, byte fallback */
    LLAMAC_VOCAB_BPE = 2  /* byte-level BPE, Llama 3 pre-tokenizer */
} llamac_vocab_type;

/* Token types, numbered as in tokenizer.ggml.token_type. The type decides
 * what is special: CONTROL and UNKNOWN tokens are only produced from text
 * when asked to parse special tokens and only printed when asked to render
 * them; USER_DEFINED tokens are always matched whole and always printed. */
typedef enum llamac_token_type {
    LLAMAC_TOKEN_TYPE_UNDEFINED = 0,
    LLAMAC_TOKEN_TYPE_NORMAL = 1,
    LLAMAC_TOKEN_TYPE_UNKNOWN = 2,
    LLAMAC_TOKEN_TYPE_CONTROL = 3,
    LLAMAC_TOKEN_TYPE_USER_DEFINED = 4,
    LLAMAC_TOKEN_TYPE_UNUSED = 5,
    LLAMAC_TOKEN_TYPE_BYTE = 6   /* <0xNN>: stands for one raw byte */
} llamac_token_type;

typedef struct llamac_vocab_params {
    size_t struct_size;                /* sizeof(llamac_vocab_params) */
    const llamac_allocator *allocator; /* NULL: C library malloc */
    llamac_log_fn log_fn;              /* NULL: silent */
    void *log_user;
} llamac_vocab_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * struct_size = size (see docs/abi.md); use llamac_vocab_default_params(). */
LLAMAC_API void llamac_vocab_params_init(llamac_vocab_params *params, size_t size);
static inline llamac_vocab_params llamac_vocab_default_params(void) {
    llamac_vocab_params p;
    llamac_vocab_params_init(&p, sizeof p);
    return p;
}

/* Loads the vocabulary of any GGUF file (a vocab-only file or a whole
 * model; tensors are not read). Reads tokenizer.ggml.model/pre/tokens/
 * scores/token_type/merges, the special ids (bos, eos, eot, eom, unknown,
 * padding) and add_bos_token/add_eos_token/add_space_prefix. Defaults when a
 * key is absent: scores 0, every token NORMAL; SPM: bos 1, eos 2, unk 0,
 * add_bos true, add_space_prefix true; BPE: no special ids, add_bos true,
 * add_space_prefix false; add_eos false. A special id outside the vocabulary
 * is logged and ignored. `params` may be NULL.
 * Tokens that end a turn by their text (see llamac_vocab_is_eog) are
 * treated as CONTROL whatever their stored type.
 * On success *out owns everything it needs (the file is closed); free with
 * llamac_vocab_free. Errors (*out is then NULL; the message names the key,
 * index and values): LLAMAC_ERR_IO/FORMAT/UNSUPPORTED from opening the
 * file; LLAMAC_ERR_NOT_FOUND if the file has no tokenizer.ggml.model;
 * LLAMAC_ERR_UNSUPPORTED for any other tokenizer.ggml.model/pre;
 * LLAMAC_ERR_TYPE when a tokenizer key holds the wrong type (a string
 * where an array is expected, an array of the wrong element type, a
 * non-integer special id, a non-bool flag; LLAMAC_ERR_FORMAT before 0.2.0);
 * LLAMAC_ERR_FORMAT when a needed key is missing (tokens; merges for BPE)
 * or inconsistent (array lengths differ, a NaN score, a
 * token type outside 0..6, a BYTE token not spelled <0xNN>, a merge that is
 * not two byte-level parts); LLAMAC_ERR_INVALID_ARG for NULL path/out or a
 * params struct from a newer header; LLAMAC_ERR_NO_MEMORY. Thread-safe. */
LLAMAC_API llamac_status llamac_vocab_load(const char *path, const llamac_vocab_params *params,
                                           llamac_vocab **out);
/* Same from an open GGUF handle, which is only read (it may be freed
 * afterwards, and used by other threads meanwhile). */
LLAMAC_API llamac_status llamac_vocab_from_gguf(const llamac_gguf *gguf,
                                                const llamac_vocab_params *params,
                                                llamac_vocab **out);
/* Frees a vocab from llamac_vocab_load/llamac_vocab_from_gguf. Never pass a
 * model's vocab: the model frees it. */
LLAMAC_API void llamac_vocab_free(llamac_vocab *vocab);

/* ---- queries (all O(1), thread-safe, never fail; a NULL vocab gives 0,
 * false, NULL or LLAMAC_TOKEN_NULL, as for an id out of range) ---- */
LLAMAC_API llamac_vocab_type llamac_vocab_get_type(const llamac_vocab *vocab);
LLAMAC_API int32_t llamac_vocab_n_tokens(const llamac_vocab *vocab);
/* Special ids, LLAMAC_TOKEN_NULL when the vocabulary has none. eot is
 * end-of-turn (<|eot_id|>), eom end-of-message (<|eom_id|>). */
LLAMAC_API llamac_token llamac_vocab_bos(const llamac_vocab *vocab);
LLAMAC_API llamac_token llamac_vocab_eos(const llamac_vocab *vocab);
LLAMAC_API llamac_token llamac_vocab_eot(const llamac_vocab *vocab);
LLAMAC_API llamac_token llamac_vocab_eom(const llamac_vocab *vocab);
LLAMAC_API llamac_token llamac_vocab_unk(const llamac_vocab *vocab);
LLAMAC_API llamac_token llamac_vocab_pad(const llamac_vocab *vocab);
/* Whether tokenizing with add_special prepends BOS / appends EOS. */
LLAMAC_API bool llamac_vocab_add_bos(const llamac_vocab *vocab);
LLAMAC_API bool llamac_vocab_add_eos(const llamac_vocab *vocab);
/* True if generating `token` should end generation: eos, eot, eom, and the
 * tokens named <|end_of_text|>, <|eot_id|>, <|eom_id|>, <|im_end|>, <|end|>,
 * <end_of_turn>, <|endoftext|>, <EOT> when present (such tokens are also
 * treated as CONTROL). False for ids out of range. */
LLAMAC_API bool llamac_vocab_is_eog(const llamac_vocab *vocab, llamac_token token);
/* True for CONTROL tokens (BOS, EOS, <|eot_id|>...). */
LLAMAC_API bool llamac_vocab_is_control(const llamac_vocab *vocab, llamac_token token);
/* Type of a token; LLAMAC_TOKEN_TYPE_UNDEFINED for ids out of range. */
LLAMAC_API llamac_token_type llamac_vocab_token_type(const llamac_vocab *vocab, llamac_token token);
/* Score (SPM merge priority); 0 for ids out of range. */
LLAMAC_API float llamac_vocab_token_score(const llamac_vocab *vocab, llamac_token token);
/* The token's text exactly as stored in the file (SPM spells spaces as
 * U+2581 "▁", byte-level BPE spells bytes in the GPT-2 alphabet, "Ġ" for a
 * space), NUL-terminated, owned by the vocab; *len (may be NULL) gets its
 * byte length. NULL for ids out of range. For readable text use
 * llamac_token_to_piece. */
LLAMAC_API const char *llamac_vocab_token_text(const llamac_vocab *vocab, llamac_token token,
                                               size_t *len);
/* Id of the token whose stored text is exactly text[0..len), or
 * LLAMAC_TOKEN_NULL. */
LLAMAC_API llamac_token llamac_vocab_find(const llamac_vocab *vocab, const char *text, size_t len);

/* ---- text -> tokens ---- */

/* Tokenizes text[0..text_len) (any bytes; NUL is an ordinary byte; at most
 * 512 MiB) into tokens[0..n_tokens_max).
 *   add_special:   prepend BOS / append EOS as llamac_vocab_add_bos/eos say.
 *   parse_special: text spelling a CONTROL or UNKNOWN token ("<|eot_id|>",
 *                  "<s>") becomes that token; otherwise it is plain text.
 * SPM adds one leading space (▁) before the text and after every special
 * token when add_space_prefix is set, as the Llama tokenizer does.
 * Returns LLAMAC_OK with *n_out = tokens written. If the array is too small,
 * returns LLAMAC_ERR_BUFFER_TOO_SMALL (LLAMAC_ERR_INVALID_ARG before 0.2.0)
 * with *n_out = the number needed (larger than n_tokens_max), having written
 * the first n_tokens_max; call again with a larger array (tokens may be NULL
 * when n_tokens_max is 0). Any other failure sets *n_out to 0 (when n_out is
 * not NULL): LLAMAC_ERR_NO_MEMORY, LLAMAC_ERR_INVALID_ARG for a NULL vocab
 * or n_out, NULL text with text_len > 0, NULL tokens with n_tokens_max > 0,
 * a negative n_tokens_max or text_len over the limit. Ill-formed UTF-8 is
 * tokenized byte-exactly (SPM byte fallback, byte-level BPE) and round-trips.
 * Thread-safe on a shared vocab. Time linear in text_len (times log). */
LLAMAC_API llamac_status llamac_tokenize(const llamac_vocab *vocab, const char *text,
                                         size_t text_len, llamac_token *tokens,
                                         int32_t n_tokens_max, bool add_special,
                                         bool parse_special, int32_t *n_out);

/* Flags of llamac_tokenize_flags. */
#define LLAMAC_TOKENIZE_ADD_SPECIAL 1u   /* llamac_tokenize's add_special */
#define LLAMAC_TOKENIZE_PARSE_SPECIAL 2u /* llamac_tokenize's parse_special */
/* "BOS once": with ADD_SPECIAL, no BOS is prepended when the text's own
 * tokens already begin with the BOS token, i.e. (with PARSE_SPECIAL) when
 * the text starts with the BOS token's text ("<s>", "<|begin_of_text|>"),
 * as a prompt rendered from a chat template that writes bos_token does.
 * Without PARSE_SPECIAL such text is plain text and BOS is prepended as
 * usual. Only the BOS is affected: EOS is appended as ADD_SPECIAL says.
 * Without ADD_SPECIAL (or for a vocabulary that adds no BOS) it changes
 * nothing. */
#define LLAMAC_TOKENIZE_BOS_ONCE 4u

/* llamac_tokenize with its two booleans as flags, plus
 * LLAMAC_TOKENIZE_BOS_ONCE: llamac_tokenize(v, t, l, out, n, a, p, n_out)
 * equals llamac_tokenize_flags(v, t, l, out, n, (a ? ADD_SPECIAL : 0) |
 * (p ? PARSE_SPECIAL : 0), n_out). Same results and errors, and
 * LLAMAC_ERR_INVALID_ARG (with *n_out 0) for a flag bit not defined above.
 * Thread-safe on a shared vocab. */
LLAMAC_API llamac_status llamac_tokenize_flags(const llamac_vocab *vocab, const char *text,
                                               size_t text_len, llamac_token *tokens,
                                               int32_t n_tokens_max, uint32_t flags, int32_t *n_out);

/* ---- tokens -> text ---- */

/* Writes the bytes token `token` stands for into buf[0..buf_size) (not
 * NUL-terminated; may hold any byte, including NUL): a BYTE token yields its
 * raw byte, SPM's ▁ becomes a space, byte-level BPE text is decoded to its
 * bytes. CONTROL and UNKNOWN tokens yield their text only if `special`,
 * otherwise nothing; USER_DEFINED yield their text; UNUSED/UNDEFINED
 * nothing. Up to `lstrip` leading spaces are dropped. *n_out gets the length.
 * LLAMAC_ERR_NOT_FOUND if the id is out of range; LLAMAC_ERR_BUFFER_TOO_SMALL
 * (LLAMAC_ERR_INVALID_ARG before 0.2.0) with *n_out = the length needed if
 * buf_size is too small, nothing written (buf may be NULL when buf_size is
 * 0); LLAMAC_ERR_INVALID_ARG for a NULL vocab or n_out, or NULL buf with
 * buf_size > 0. A single piece may be split UTF-8: see llamac_detok
 * for printing streams. Thread-safe. */
LLAMAC_API llamac_status llamac_token_to_piece(const llamac_vocab *vocab, llamac_token token,
                                               char *buf, size_t buf_size, int32_t lstrip,
                                               bool special, size_t *n_out);

/* Detokenizes tokens[0..n_tokens) into buf[0..buf_size) (not NUL-
 * terminated), the inverse of llamac_tokenize: the pieces concatenated,
 * dropping the one leading space an SPM vocab's add_space_prefix put before
 * the text. remove_special: drop a leading BOS / trailing EOS if the vocab
 * adds them. unparse_special: render CONTROL/UNKNOWN tokens as their text
 * (else they print as nothing). *n_out = bytes written. Errors:
 * LLAMAC_ERR_NOT_FOUND naming the first out-of-range id and its index (*n_out
 * 0); LLAMAC_ERR_BUFFER_TOO_SMALL (LLAMAC_ERR_INVALID_ARG before 0.2.0) with
 * *n_out = the length needed if buf_size is too small, having written the
 * first buf_size bytes (buf may be NULL when buf_size is 0);
 * LLAMAC_ERR_INVALID_ARG for a NULL vocab or n_out, a negative n_tokens, or a
 * NULL tokens/buf with a non-zero count. Thread-safe. */
LLAMAC_API llamac_status llamac_detokenize(const llamac_vocab *vocab, const llamac_token *tokens,
                                           int32_t n_tokens, char *buf, size_t buf_size,
                                           bool remove_special, bool unparse_special,
                                           size_t *n_out);

/* Streaming detokenizer: feed generated tokens one at a time, get back the
 * bytes ready to print. It holds back the start of a UTF-8 character until
 * the character is complete, so output never ends inside a character (bytes
 * that can never complete one are passed through as they are). With the
 * default params, the output of every push plus the final flush equals
 * llamac_detokenize of the same tokens (remove_special false,
 * unparse_special the same). One detok per stream; it borrows the vocab,
 * which must outlive it. Not thread-safe (one thread at a time per detok). */
typedef struct llamac_detok llamac_detok;

typedef struct llamac_detok_params {
    size_t struct_size;       /* sizeof(llamac_detok_params) */
    bool unparse_special;     /* render CONTROL/UNKNOWN tokens as text (default false) */
    bool strip_leading_space; /* drop the space an SPM vocabulary puts before the
                                 text and after each special token (default
                                 true: the stream is a whole text, as in
                                 llamac_detokenize); false prints every piece
                                 as it is, for continuing a prompt mid-text */
} llamac_detok_params;

/* Defaults into the first `size` bytes (see docs/abi.md). */
LLAMAC_API void llamac_detok_params_init(llamac_detok_params *params, size_t size);
static inline llamac_detok_params llamac_detok_default_params(void) {
    llamac_detok_params p;
    llamac_detok_params_init(&p, sizeof p);
    return p;
}
/* `params` may be NULL. LLAMAC_ERR_NO_MEMORY, or LLAMAC_ERR_INVALID_ARG
 * for a NULL vocab or a params struct from a newer header. */
LLAMAC_API llamac_status llamac_detok_new(const llamac_vocab *vocab,
                                          const llamac_detok_params *params,
                                          llamac_detok **out);
/* Adds one token. *text and *len get the bytes that became printable (possibly
 * none); *text stays valid until the next call on this detok. Errors:
 * LLAMAC_ERR_NOT_FOUND for an out-of-range id (the detok is unchanged),
 * LLAMAC_ERR_NO_MEMORY. */
LLAMAC_API llamac_status llamac_detok_push(llamac_detok *detok, llamac_token token,
                                           const char **text, size_t *len);
/* Ends the stream: returns the bytes still held back (an incomplete
 * character, as is) and resets the detok for a new text. */
LLAMAC_API llamac_status llamac_detok_flush(llamac_detok *detok, const char **text, size_t *len);
LLAMAC_API void llamac_detok_free(llamac_detok *detok);

/* ==== end of section 4 ==== */

/* ======================================================================== */
/* 5. Model                                                                 */
/* ======================================================================== */

/* A model: the hyperparameters and weights of a GGUF file of the `llama`
 * architecture (Llama 1/2/3, Mistral-style, TinyLlama, ...), with its
 * vocabulary. The file stays open (memory-mapped by default) for the life of
 * the model. Weights are used where the file holds them, unless repacking
 * (llamac_model_params.repack, below) copied them at load: then inference
 * reads the copies and the mapped pages under them are given back.
 *
 * Thread-safety: a loaded model is read-only. Any number of contexts, on any
 * threads, may use one model at the same time; the model must outlive them. */
typedef struct llamac_model llamac_model;

/* Load progress, called with a fraction in [0, 1] (0 first, 1 last) on the
 * loading thread. Returning false cancels the load: llamac_model_load then
 * returns LLAMAC_ERR_CANCELLED after releasing everything it took. */
typedef bool (*llamac_progress_fn)(float fraction, void *user);

typedef struct llamac_model_params {
    size_t struct_size;                /* set by llamac_model_default_params() */
    bool use_mmap;                     /* map the file (default true); false reads it into memory */
    llamac_progress_fn progress;       /* NULL: no progress reports */
    void *progress_user;
    const llamac_allocator *allocator; /* NULL: C library malloc; also used by the model's contexts */
    llamac_log_fn log_fn;              /* NULL: silent */
    void *log_user;
    /* Repack the matrices whose kernels read a packed layout faster
     * (today: Q4_0, Q8_0, Q4_K, Q5_K and Q6_K on AVX2 CPUs) into memory
     * allocated at load (for Q4_0 with transparent huge pages requested).
     * Default true. When any matrix is packed, the other matrices (all
     * but token_embd, which a tied output shares), the norm vectors and
     * rope_freqs are copied as they are too, matrix by matrix, and the
     * file's pages under each are released as soon as it is copied, so
     * memory stays about the size of the model and inference reads
     * nothing from the file but token_embd's rows. Costs load time
     * (docs/performance.md has measurements; false loads in milliseconds)
     * and never fails a load: if the allocator refuses, the remaining
     * matrices are read from the file. With use_mmap false only the
     * packed matrices are copied and the file buffer stays as well, so
     * they take twice their size. Contexts forced to the scalar kernels
     * read the original rows of packed matrices (on a mapped file that
     * maps their pages back in); copies made as they are serve every
     * kernel set. Logits are bit-identical either way. */
    bool repack;
} llamac_model_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_model_params_init(llamac_model_params *params, size_t size);
static inline llamac_model_params llamac_model_default_params(void) {
    llamac_model_params p;
    llamac_model_params_init(&p, sizeof p);
    return p;
}

/* Opens `path`, reads the llama.* hyperparameters (context_length,
 * embedding_length, block_count, feed_forward_length, attention.head_count,
 * attention.head_count_kv, attention.layer_norm_rms_epsilon,
 * rope.dimension_count, rope.freq_base, rope.scaling.type/factor with
 * "linear" or "none" scaling), finds and shape-checks every tensor
 * (token_embd, output_norm, output — absent means tied to token_embd —,
 * optional rope_freqs, and per block attn_norm, attn_q, attn_k, attn_v,
 * attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down) and loads the
 * vocabulary when the file has tokenizer.ggml.model.
 * On success *out owns the model (llamac_model_free). On failure *out is
 * NULL and nothing is leaked; the status is LLAMAC_ERR_IO (cannot open or
 * map), LLAMAC_ERR_FORMAT (malformed file, a mis-shaped tensor, a value out
 * of range), LLAMAC_ERR_NOT_FOUND (a required key or tensor is absent),
 * LLAMAC_ERR_UNSUPPORTED
 * (another architecture, a tensor type llamac cannot compute on, yarn rope
 * scaling, mixture of experts), LLAMAC_ERR_TYPE (a key of the wrong type),
 * LLAMAC_ERR_CANCELLED (the progress callback returned false) or
 * LLAMAC_ERR_NO_MEMORY; the message names the key or tensor with expected
 * and found values. `params` may be NULL for defaults. */
LLAMAC_API llamac_status llamac_model_load(const char *path, const llamac_model_params *params,
                                           llamac_model **out);
/* Frees the model, its vocabulary and the file. No context of the model may
 * be alive. NULL is a no-op. */
LLAMAC_API void llamac_model_free(llamac_model *model);

/* Hyperparameters (never fail for a loaded model; a NULL model gives 0, and
 * the pointer getters below give NULL). */
LLAMAC_API int32_t llamac_model_n_vocab(const llamac_model *model);     /* rows of token_embd */
LLAMAC_API int32_t llamac_model_n_ctx_train(const llamac_model *model); /* llama.context_length */
LLAMAC_API int32_t llamac_model_n_embd(const llamac_model *model);
LLAMAC_API int32_t llamac_model_n_layer(const llamac_model *model);
LLAMAC_API int32_t llamac_model_n_head(const llamac_model *model);
LLAMAC_API int32_t llamac_model_n_head_kv(const llamac_model *model);
LLAMAC_API int32_t llamac_model_n_ff(const llamac_model *model);
LLAMAC_API float llamac_model_rope_freq_base(const llamac_model *model);
/* One line describing the model ("llama: 2 layers, n_embd 256, ..., tensors
 * 5 x F32, 12 x Q4_K, ..."). Owned by the model. */
LLAMAC_API const char *llamac_model_desc(const llamac_model *model);
/* Bytes of all tensor data in the file. */
LLAMAC_API uint64_t llamac_model_size(const llamac_model *model);
/* Number of weights (elements of all tensors). */
LLAMAC_API uint64_t llamac_model_n_params(const llamac_model *model);
/* The open GGUF file, for metadata by key with the llamac_gguf_get_*
 * functions (e.g. "general.name"). Owned by the model, valid while it is. */
LLAMAC_API const llamac_gguf *llamac_model_gguf(const llamac_model *model);
/* The model's vocabulary, or NULL if the file has none (no
 * tokenizer.ggml.model key). Owned by the model. */
LLAMAC_API const llamac_vocab *llamac_model_vocab(const llamac_model *model);

/* ==== end of section 5 ==== */

/* ======================================================================== */
/* 6. Context, batches, decoding, KV cache                                  */
/* ======================================================================== */

/* A context runs a model: it owns the KV cache (the keys and values of every
 * token decoded so far, for each sequence), the scratch memory of the
 * forward pass, the logits of the last decode and a pool of worker threads.
 * All of it is allocated by llamac_context_new; decoding allocates nothing.
 *
 * Thread-safety: one thread at a time per context (the caller serializes);
 * the context's own worker threads are internal. Contexts are independent,
 * also when they share a model.
 *
 * Determinism: logits are bit-identical whatever n_threads is, and whether a
 * prompt is decoded in one batch or in several smaller ones, or together
 * with other sequences in the same batch (see docs/threading.md). */
typedef struct llamac_context llamac_context;

/* A token's position in its sequence (0, 1, 2, ...). */
typedef int32_t llamac_pos;
/* A sequence id, in [0, n_seq_max) of the context. */
typedef int32_t llamac_seq_id;

/* Which CPU kernels a context computes with. AUTO (the default) picks the
 * fastest the CPU supports, probed once per process; SCALAR forces the
 * portable reference kernels; AVX2 forces the AVX2+FMA+F16C kernels;
 * AVX512 forces the AVX-512 F/BW/VL + VNNI kernels (which fall back to the
 * AVX2 ones for what they do not cover; the CPU needs both sets). A
 * forced back end that this library was built without, or that the CPU
 * cannot run, makes llamac_context_new fail with LLAMAC_ERR_UNSUPPORTED.
 * Logits are bit-exact for one choice whatever the thread count or batch
 * split; two choices may differ in the last bits for some weight types
 * (see docs/kernels.md). Each new back end appends a value. */
typedef enum llamac_kernels {
    LLAMAC_KERNELS_AUTO = 0,
    LLAMAC_KERNELS_SCALAR = 1,
    LLAMAC_KERNELS_AVX2 = 2,
    LLAMAC_KERNELS_AVX512 = 3
} llamac_kernels;

/* Polled between layers of a decode; returning true stops the decode with
 * LLAMAC_ERR_CANCELLED (the batch then has no effect). */
typedef bool (*llamac_abort_fn)(void *user);

typedef struct llamac_context_params {
    size_t struct_size;         /* set by llamac_context_default_params() */
    uint32_t n_ctx;             /* KV cache cells = tokens it holds over all sequences;
                                   default 4096, 0 = the model's n_ctx_train */
    uint32_t n_batch;           /* most tokens one llamac_decode accepts (default 512,
                                   at most n_ctx); scratch and the logits buffer are
                                   sized for it */
    int32_t n_threads;          /* worker threads incl. the caller; default 0 = the
                                   number of online CPUs (at most 16) */
    uint32_t n_seq_max;         /* sequence ids allowed: 0 .. n_seq_max-1 (default 1) */
    llamac_type kv_type;        /* LLAMAC_TYPE_F16 (default) or LLAMAC_TYPE_F32 */
    llamac_abort_fn abort_fn;   /* NULL: never abort */
    void *abort_user;
    llamac_kernels kernels;     /* CPU kernels (default LLAMAC_KERNELS_AUTO) */
} llamac_context_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_context_params_init(llamac_context_params *params, size_t size);
static inline llamac_context_params llamac_context_default_params(void) {
    llamac_context_params p;
    llamac_context_params_init(&p, sizeof p);
    return p;
}

/* Creates a context for `model` (which must outlive it), with memory from
 * the model's allocator. `params` may be NULL for defaults. Sizes: the KV
 * cache takes 2 * n_layer * n_ctx * n_head_kv * head_dim * (2 or 4) bytes,
 * the logits buffer n_batch * n_vocab floats. Every buffer is sized first
 * and all are allocated before any is written, so a request too large for
 * memory fails at the allocator without touching memory. Fails with
 * LLAMAC_ERR_INVALID_ARG (a zero or absurd size, a size that overflows
 * size_t, an unknown kv_type or kernels value), LLAMAC_ERR_UNSUPPORTED
 * (kv_type other than F16/F32, forced kernels this build or CPU lacks) or
 * LLAMAC_ERR_NO_MEMORY (the message names the refused buffer's
 * bytes and the context's total); *out is then NULL. */
LLAMAC_API llamac_status llamac_context_new(const llamac_model *model, const llamac_context_params *params,
                                            llamac_context **out);
/* Stops the worker threads and frees everything. NULL is a no-op. */
LLAMAC_API void llamac_context_free(llamac_context *ctx);

/* The context's model and its resolved parameters (defaults applied,
 * n_batch reduced to n_ctx if larger, n_threads 0 replaced by the CPU
 * count). Never fail for a live context; NULL gives NULL or 0. */
LLAMAC_API const llamac_model *llamac_context_model(const llamac_context *ctx);
LLAMAC_API uint32_t llamac_context_n_ctx(const llamac_context *ctx);
LLAMAC_API uint32_t llamac_context_n_batch(const llamac_context *ctx);
LLAMAC_API uint32_t llamac_context_n_seq_max(const llamac_context *ctx);
LLAMAC_API int32_t llamac_context_n_threads(const llamac_context *ctx);

/* ---- batches ---- */

/* The tokens of one llamac_decode call. Token i has id token[i], position
 * pos[i], belongs to the n_seq_id[i] sequences seq_id[i][0..n_seq_id[i]-1]
 * (distinct; a token shared by several sequences, like a common prompt,
 * is computed and stored once) and wants its logits kept if logits[i] is
 * non-zero. A NULL `logits` array means "only the last token's".
 * The arrays are the caller's: fill them directly (e.g. pointing at your own
 * buffers, with `owned` NULL) or get them from llamac_batch_init. The
 * library only reads a batch. */
typedef struct llamac_batch {
    int32_t n_tokens;
    llamac_token *token;
    llamac_pos *pos;
    int32_t *n_seq_id;
    llamac_seq_id **seq_id;
    int8_t *logits;
    void *owned;  /* set by llamac_batch_init; NULL in batches you build */
} llamac_batch;

/* Allocates arrays for up to n_tokens_max tokens with up to n_seq_max
 * sequence ids each, in one block from `allocator` (NULL: malloc), and sets
 * batch->n_tokens = 0. Free with llamac_batch_free. LLAMAC_ERR_INVALID_ARG
 * if a count is < 1; LLAMAC_ERR_NO_MEMORY. On failure *batch is zeroed.
 * Thread-safe (touches only *batch). */
LLAMAC_API llamac_status llamac_batch_init(llamac_batch *batch, int32_t n_tokens_max, int32_t n_seq_max,
                                           const llamac_allocator *allocator);
/* Frees what llamac_batch_init allocated and zeroes *batch; no-op for a
 * batch whose `owned` is NULL (and for NULL). */
LLAMAC_API void llamac_batch_free(llamac_batch *batch);
/* Appends one token to a batch made by llamac_batch_init (copies seq_ids).
 * LLAMAC_ERR_INVALID_ARG if the batch is full, was not made by
 * llamac_batch_init, or n_seq_ids is outside [1, n_seq_max of the batch].
 * Values are checked by llamac_decode, not here. */
LLAMAC_API llamac_status llamac_batch_add(llamac_batch *batch, llamac_token token, llamac_pos pos,
                                          const llamac_seq_id *seq_ids, int32_t n_seq_ids, bool logits);

/* ---- decoding ---- */

/* Runs the model on the batch: appends every token's keys and values to the
 * KV cache (each in a free cell) and computes the logits of the tokens that
 * asked for them. Attention is causal within each sequence: a token sees the
 * cached tokens that share a sequence with it at positions <= its own
 * (earlier tokens of the same batch included).
 * The whole batch is validated before anything changes:
 *   LLAMAC_ERR_INVALID_ARG: n_tokens outside [1, n_batch]; a NULL array; a
 *     token id outside [0, n_vocab); a negative position; n_seq_id outside
 *     [1, n_seq_max]; a sequence id outside [0, n_seq_max) or repeated in one
 *     token; a position not greater than the last one of its sequence (in the
 *     cache or earlier in the batch).
 *   LLAMAC_ERR_CONTEXT_FULL: fewer free cells than tokens (free some with
 *     llamac_kv_seq_rm, or use a larger n_ctx).
 *   LLAMAC_ERR_CANCELLED: the abort callback returned true.
 * On any failure the cache and the previous decode's logits are unchanged
 * and the context stays usable; the message names the token index and the
 * offending value.
 * Uses up to about 48 KiB of the calling thread's stack (kernel tiles);
 * docs/threading.md. */
LLAMAC_API llamac_status llamac_decode(llamac_context *ctx, const llamac_batch *batch);

/* Number of logits rows the last successful decode produced (0 for NULL). */
LLAMAC_API int32_t llamac_n_outputs(const llamac_context *ctx);
/* The n_vocab logits of the i-th token (in batch order) of the last
 * successful decode that asked for logits; i < 0 counts from the end (-1 is
 * the last). NULL with LLAMAC_ERR_INVALID_ARG in llamac_last_error() when
 * out of range. Owned by the context; valid until the next llamac_decode or
 * llamac_context_free. */
LLAMAC_API const float *llamac_get_logits(const llamac_context *ctx, int32_t i);
/* The same row addressed by the token's index in the batch; NULL (with a
 * message) if that token did not ask for logits or the index is out of
 * range. As in llama.cpp's function of the same name, a negative index
 * counts output rows from the end: -1 is the last row produced (the last
 * token's when it asked for logits), -n_outputs the first; below that,
 * NULL with a message. A NULL ctx gives NULL for both calls, without a
 * message. */
LLAMAC_API const float *llamac_get_logits_ith(const llamac_context *ctx, int32_t batch_index);

/* ---- KV cache ----
 * Position ranges are [p0, p1): p0 >= 0, and p1 >= p0 or p1 == -1 for "to
 * the end". A negative p0, a p1 below -1, a reversed range or a sequence id
 * outside [0, n_seq_max) fails with LLAMAC_ERR_INVALID_ARG and changes
 * nothing. These calls do not touch the logits of the last decode. */

/* Empties the cache: every sequence starts over. NULL is a no-op. The
 * status calls below return LLAMAC_ERR_INVALID_ARG for a NULL ctx. */
LLAMAC_API void llamac_kv_clear(llamac_context *ctx);
/* Removes the positions [p0, p1) of sequence seq (cells shared with other
 * sequences stay for them). */
LLAMAC_API llamac_status llamac_kv_seq_rm(llamac_context *ctx, llamac_seq_id seq, llamac_pos p0, llamac_pos p1);
/* Makes dst share src's cells at positions [p0, p1) (no copy of keys or
 * values: a shared prompt prefix is stored once). dst's own cells in that
 * range are removed first. src == dst is a no-op. */
LLAMAC_API llamac_status llamac_kv_seq_cp(llamac_context *ctx, llamac_seq_id src, llamac_seq_id dst,
                                          llamac_pos p0, llamac_pos p1);
/* Removes every sequence but seq. */
LLAMAC_API llamac_status llamac_kv_seq_keep(llamac_context *ctx, llamac_seq_id seq);
/* Adds delta (may be negative) to the positions [p0, p1) of sequence seq and
 * re-rotates their cached keys to match, as if they had been decoded at the
 * new positions (up to rounding). Cells shared with other sequences are
 * copied first, so the others keep their positions. Fails, changing
 * nothing, with LLAMAC_ERR_INVALID_ARG if a position would go below zero or
 * past INT32_MAX, or if the moved positions would land on or between
 * positions of seq outside [p0, p1) (remove those first); with
 * LLAMAC_ERR_CONTEXT_FULL if shared cells need more free cells than exist.
 * Typical context shift: seq_rm(s, keep, keep + n) then
 * seq_add(s, keep + n, -1, -n). */
LLAMAC_API llamac_status llamac_kv_seq_add(llamac_context *ctx, llamac_seq_id seq, llamac_pos p0,
                                           llamac_pos p1, llamac_pos delta);
/* Lowest / highest position of sequence seq in the cache; -1 if it is empty,
 * seq is not a valid id or ctx is NULL. The next token of seq must have a position
 * greater than pos_max. */
LLAMAC_API llamac_pos llamac_kv_seq_pos_min(const llamac_context *ctx, llamac_seq_id seq);
LLAMAC_API llamac_pos llamac_kv_seq_pos_max(const llamac_context *ctx, llamac_seq_id seq);
/* Cells in use (<= n_ctx); 0 for NULL. */
LLAMAC_API int32_t llamac_kv_n_used(const llamac_context *ctx);

/* ==== end of section 6 ==== */

/* ======================================================================== */
/* 7. Sampling                                                              */
/* ======================================================================== */

/* Choosing the next token from a row of logits. A sampler transforms a
 * candidate array (token id, logit, probability) in place: it may rescale
 * logits, drop candidates, reorder them, or select one. Samplers are
 * composed into a chain that runs them in order; the chain's last member
 * selects. The usual chain, as llama.cpp users know it:
 *
 *     llamac_sampler *chain = llamac_sampler_chain_new(NULL);
 *     llamac_sampler_chain_add(chain, llamac_sampler_init_penalties(64, 1.1f, 0, 0, NULL));
 *     llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(40, NULL));
 *     llamac_sampler_chain_add(chain, llamac_sampler_init_top_p(0.95f, 1, NULL));
 *     llamac_sampler_chain_add(chain, llamac_sampler_init_temp(0.8f, NULL));
 *     llamac_sampler_chain_add(chain, llamac_sampler_init_dist(seed, NULL));
 *     ... llamac_sampler_sample(chain, logits, n_vocab, &token) per step ...
 *     llamac_sampler_free(chain);
 *
 * (checking each status; a failed constructor's NULL makes chain_add fail
 * with the constructor's status and message.)
 *
 * Errors: constructors return NULL and set llamac_last_error(); every other
 * fallible call returns a status. Allocation: every constructor takes an
 * optional allocator (NULL: the C library's malloc family) used for the
 * sampler and all its buffers, including clones.
 * Determinism: random samplers use llamac's own generator (xoshiro256**
 * seeded by splitmix64), and every sort breaks ties by token id, so a given
 * seed and input produce the same tokens on every platform and thread count.
 * Thread-safety: a sampler (or chain) is used by one thread at a time;
 * distinct samplers are independent. */

typedef struct llamac_token_data {
    llamac_token id;
    float logit;
    float p;      /* probability; valid only after a sampler computed it */
} llamac_token_data;

/* A view of caller- or library-owned candidates; samplers shrink `size`,
 * reorder `data` and set `selected`, never reallocate. */
typedef struct llamac_token_data_array {
    llamac_token_data *data;
    size_t size;
    int64_t selected; /* index into data of the chosen token; -1 before */
    bool sorted;      /* data is in descending logit order (set it only if
                         true; samplers keep it up to date) */
} llamac_token_data_array;

typedef struct llamac_logit_bias {
    llamac_token token;
    float bias;   /* added to the token's logit; -INFINITY bans the token */
} llamac_logit_bias;

/* Opaque sampler: a single sampler or a chain of them. */
typedef struct llamac_sampler llamac_sampler;

/* ---- using any sampler ---- */

/* Runs the sampler (a chain: each member in order) on `cur`. The array must
 * be non-empty and every logit must be finite or -inf (NaN and +inf are
 * refused with LLAMAC_ERR_INVALID_ARG naming the candidate). Also fails with
 * LLAMAC_ERR_INVALID_ARG if a sampler needs probabilities and every logit
 * is -inf, or LLAMAC_ERR_NO_MEMORY if a scratch buffer cannot grow. On
 * failure `cur` may be partly transformed. Truncating samplers always keep
 * at least one candidate. Selecting samplers set cur->selected. */
LLAMAC_API llamac_status llamac_sampler_apply(llamac_sampler *smpl, llamac_token_data_array *cur);
/* Tells the sampler (every member of a chain) which token was emitted, so
 * history-based samplers (penalties) update. Tokens must be >= 0
 * (LLAMAC_ERR_INVALID_ARG); LLAMAC_ERR_NO_MEMORY if a history cannot grow. */
LLAMAC_API llamac_status llamac_sampler_accept(llamac_sampler *smpl, llamac_token token);
/* Returns the sampler to its state right after construction: empties
 * penalty history, reseeds random generators with their original seed,
 * resets mirostat's mu. NULL is a no-op. */
LLAMAC_API void llamac_sampler_reset(llamac_sampler *smpl);
/* An independent copy with the same parameters and state (history, random
 * generator position, mu), using the same allocator: it continues exactly
 * as the original would. The caller owns it (llamac_sampler_free). NULL
 * (a constructor's failure, with the message set) on allocation failure or
 * for a NULL smpl (LLAMAC_ERR_INVALID_ARG). */
LLAMAC_API llamac_sampler *llamac_sampler_clone(const llamac_sampler *smpl);
/* Frees the sampler; a chain frees its members. NULL is a no-op. */
LLAMAC_API void llamac_sampler_free(llamac_sampler *smpl);
/* Static name of the sampler's kind ("top-k", "chain", ...); "(null)" for
 * NULL. */
LLAMAC_API const char *llamac_sampler_name(const llamac_sampler *smpl);

/* Picks the next token from one row of n_vocab logits: builds the candidate
 * array (id i, logits[i]) in a buffer the sampler keeps between calls (so a
 * generation loop allocates only on the first call), applies the sampler,
 * then accepts the selected token into it and stores it in *out.
 * LLAMAC_ERR_INVALID_ARG if an argument is NULL, n_vocab <= 0, a logit is
 * NaN or +inf, or no sampler selected a token (end the chain with greedy,
 * dist or mirostat_v2); LLAMAC_ERR_NO_MEMORY. *out is untouched on failure. */
LLAMAC_API llamac_status llamac_sampler_sample(llamac_sampler *smpl, const float *logits,
                                               int32_t n_vocab, llamac_token *out);

/* ---- chains ---- */

typedef struct llamac_sampler_chain_params {
    size_t struct_size;                /* sizeof(llamac_sampler_chain_params) */
    const llamac_allocator *allocator; /* for the chain itself; NULL: libc */
} llamac_sampler_chain_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Call it through
 * llamac_sampler_chain_default_params(); bindings call it with their size. */
LLAMAC_API void llamac_sampler_chain_params_init(llamac_sampler_chain_params *params, size_t size);
static inline llamac_sampler_chain_params llamac_sampler_chain_default_params(void) {
    llamac_sampler_chain_params p;
    llamac_sampler_chain_params_init(&p, sizeof p);
    return p;
}

/* An empty chain. `params` may be NULL for defaults. NULL on failure
 * (LLAMAC_ERR_INVALID_ARG for a bad struct_size, LLAMAC_ERR_NO_MEMORY). */
LLAMAC_API llamac_sampler *llamac_sampler_chain_new(const llamac_sampler_chain_params *params);
/* Appends `smpl` to `chain`, which takes ownership. Written for
 * `llamac_sampler_chain_add(chain, llamac_sampler_init_x(...))`: when smpl
 * is NULL because a sampler constructor (llamac_sampler_init_*,
 * llamac_sampler_chain_new, llamac_sampler_clone) failed, and that failure
 * is still the latest on this thread, chain_add returns the constructor's
 * status (LLAMAC_ERR_NO_MEMORY if it ran out of memory,
 * LLAMAC_ERR_INVALID_ARG for a bad argument) with its message kept after
 * chain_add's; any other NULL smpl is LLAMAC_ERR_INVALID_ARG ("smpl is
 * NULL"). If `chain` is NULL or not a chain, or growing it fails, smpl is
 * freed and the status returned. If smpl is already inside this chain (or contains it),
 * nothing changes and LLAMAC_ERR_INVALID_ARG is returned. A sampler must be
 * in at most one chain. */
LLAMAC_API llamac_status llamac_sampler_chain_add(llamac_sampler *chain, llamac_sampler *smpl);
/* Number of members, or -1 if `chain` is NULL or not a chain. */
LLAMAC_API int32_t llamac_sampler_chain_n(const llamac_sampler *chain);
/* Member i (still owned by the chain), or NULL if out of range, or chain is
 * NULL or not a chain. */
LLAMAC_API llamac_sampler *llamac_sampler_chain_get(const llamac_sampler *chain, int32_t i);

/* ---- samplers ----
 * Each returns a new sampler owned by the caller (or by a chain it is added
 * to), or NULL with LLAMAC_ERR_INVALID_ARG naming the bad argument or
 * LLAMAC_ERR_NO_MEMORY. `allocator` may be NULL (libc). */

/* Selects the candidate with the highest logit (lowest id among ties). */
LLAMAC_API llamac_sampler *llamac_sampler_init_greedy(const llamac_allocator *allocator);
/* Computes the softmax of the candidates' logits into .p and selects one at
 * random with those probabilities. Any seed is valid. */
LLAMAC_API llamac_sampler *llamac_sampler_init_dist(uint64_t seed, const llamac_allocator *allocator);
/* Divides logits by t (finite, >= 0). t == 0 keeps only the best candidate
 * (the others' logits become -inf): greedy decoding through any chain. */
LLAMAC_API llamac_sampler *llamac_sampler_init_temp(float t, const llamac_allocator *allocator);
/* Keeps the k highest logits, sorted (k >= 0; 0 disables). Selects the k
 * best by a heap, O(n log k): no full sort of a large vocabulary. */
LLAMAC_API llamac_sampler *llamac_sampler_init_top_k(int32_t k, const llamac_allocator *allocator);
/* Nucleus: computes the softmax, keeps the smallest set of best candidates
 * whose probability mass reaches p (the candidate crossing p included), and
 * at least min_keep. p in [0, 1]; p == 1 disables. Sorts only as far as
 * needed: the kept set is best-first (cur->sorted true) unless it is wider
 * than about a thousand candidates, when it is cut through a histogram in
 * O(n) and left unsorted (cur->sorted false). Leaves .p as computed before
 * truncation (not renormalized). */
LLAMAC_API llamac_sampler *llamac_sampler_init_top_p(float p, size_t min_keep,
                                                     const llamac_allocator *allocator);
/* Keeps candidates whose probability is at least p times the best one's
 * (compared on logits: logit >= max + log p), and at least min_keep. p in
 * [0, 1]; p == 0 disables. Keeps the input order when enough pass. */
LLAMAC_API llamac_sampler *llamac_sampler_init_min_p(float p, size_t min_keep,
                                                     const llamac_allocator *allocator);
/* Locally typical sampling (Meister et al.): computes the softmax and the
 * entropy H (nats), orders candidates by |-log p - H| (most typical first),
 * keeps the shortest prefix whose mass exceeds p, and at least min_keep.
 * p in [0, 1]; p == 1 disables. The result is in typicality order, so
 * cur->sorted becomes false. */
LLAMAC_API llamac_sampler *llamac_sampler_init_typical(float p, size_t min_keep,
                                                       const llamac_allocator *allocator);
/* Penalizes tokens accepted among the last `last_n` (>= 0; 0 disables).
 * For a token seen c > 0 times in that window: its logit is divided by
 * `repeat` if positive, multiplied by it if not (repeat > 0, finite; 1
 * disables), then c * freq + present is subtracted (finite; 0 disables).
 * Memory grows with the window as tokens are accepted. */
LLAMAC_API llamac_sampler *llamac_sampler_init_penalties(int32_t last_n, float repeat, float freq,
                                                         float present,
                                                         const llamac_allocator *allocator);
/* Adds fixed biases to token logits. Tokens must be in [0, n_vocab); a bias
 * must be finite or -INFINITY (ban); biases given twice for a token add up.
 * The list is copied. */
LLAMAC_API llamac_sampler *llamac_sampler_init_logit_bias(int32_t n_vocab, int32_t n,
                                                          const llamac_logit_bias *biases,
                                                          const llamac_allocator *allocator);
/* Mirostat 2.0: targets an average surprise of tau bits per token. Each
 * apply computes the softmax, drops candidates whose surprise -log2 p
 * exceeds mu (keeping the best if none remains), renormalizes, selects at
 * random, then updates mu -= eta * (surprise of the pick - tau). mu starts
 * at 2 tau. tau and eta finite and >= 0. Selects: put it last. */
LLAMAC_API llamac_sampler *llamac_sampler_init_mirostat_v2(uint64_t seed, float tau, float eta,
                                                           const llamac_allocator *allocator);

/* ---- generation ----
 * A generator drives one sequence of a context with a sampler, one token
 * per call, for an application loop:
 *
 *     llamac_generator *gen;
 *     llamac_generator_new(ctx, chain, NULL, &gen);
 *     llamac_generator_prompt(gen, prompt_tokens, n_prompt);
 *     llamac_generation_step step;
 *     do {
 *         if (llamac_generator_next(gen, &step) != LLAMAC_OK) break;
 *         fwrite(step.text, 1, step.text_len, stdout);
 *     } while (step.stop == LLAMAC_STOP_NONE);
 *     llamac_generator_free(gen);
 *
 * Each call samples from the logits of the previous decode, then decodes
 * the sampled token only when the next call needs its logits, so stopping
 * at any point wastes no decode. Text comes from a streaming detokenizer:
 * never a partial UTF-8 character, and bytes that may begin a stop string
 * are held back until it is clear whether they do.
 *
 * Context shift (params.n_keep >= 0; off by default). The kept count is
 * fixed when the generator's first llamac_generator_prompt or
 * llamac_generator_resume succeeds: n_keep, clamped to the sequence's
 * length at that point and to n_ctx - 4 (at least 0). Then:
 *  - when the next token needs a cell and none is free (or its position
 *    would pass INT32_MAX), with n_past the sequence's length (positions
 *    p0..p0+n_past-1, p0 its first), n_left = n_past - keep and
 *    n_discard = n_left / 2: the positions [p0+keep, p0+keep+n_discard)
 *    are removed (llamac_kv_seq_rm) and the later ones moved down by
 *    n_discard (llamac_kv_seq_add, which re-rotates their keys), then the
 *    token is decoded and generation goes on. The sampler's history is
 *    untouched. If n_discard is 0 or no cell came free (cells shared with
 *    other sequences), the response stops with LLAMAC_STOP_CONTEXT_FULL.
 *  - a first prompt into an empty sequence that has at least as many
 *    tokens as there are free cells (n_free; n_ctx for a context of one
 *    sequence) is truncated instead of refused: with keep as above (here
 *    also clamped to n_free - 4), n_left = n_free - keep,
 *    block = n_left / 2, erased = (n_tokens - keep - block) / block, the
 *    tokens decoded are the first keep and those from
 *    keep + erased * block to the end (fewer than n_free). Later prompts
 *    that do not fit are refused as without a shift.
 * The arithmetic is llama.cpp's (tools/main and tools/server), except that
 * the shift happens when no cell is left rather than one token earlier.
 * A shift is not a fresh decode of the kept tokens: the moved cells keep
 * what attention to the dropped tokens put into them, and their keys are
 * rotated from the cached values. Generation through shifts is still
 * bit-identical from run to run and across thread counts. */

typedef enum llamac_stop_reason {
    LLAMAC_STOP_NONE = 0,        /* still generating */
    LLAMAC_STOP_EOG = 1,         /* the sampled token ends generation (llamac_vocab_is_eog) */
    LLAMAC_STOP_MAX_TOKENS = 2,  /* n_predict tokens were generated */
    LLAMAC_STOP_STRING = 3,      /* the text reached one of the stop strings */
    LLAMAC_STOP_CONTEXT_FULL = 4, /* the context has no cell left for the next token */
    LLAMAC_STOP_CANCELLED = 5    /* llamac_generator_cancel (section 14) */
} llamac_stop_reason;

typedef struct llamac_generator llamac_generator;

typedef struct llamac_generator_params {
    size_t struct_size;               /* set by llamac_generator_default_params() */
    int32_t n_predict;                /* most tokens per response; -1 (default): no limit */
    const char *const *stop_strings;  /* n_stop non-empty NUL-terminated strings, copied
                                         at creation; default none */
    int32_t n_stop;
    bool stop_at_eog;                 /* stop at end-of-generation tokens (default true) */
    bool unparse_special;             /* print CONTROL tokens as text (default false) */
    llamac_seq_id seq_id;             /* the context sequence to extend (default 0) */
    llamac_abort_fn abort_fn;         /* polled before every decode, i.e. between the
                                         batches of a long prompt; NULL: never */
    void *abort_user;
    int32_t n_keep;                   /* context shift ("endless generation"), as in
                                         llama.cpp: -1 (default) off, a full context
                                         stops the response; >= 0 on: the first n_keep
                                         tokens of the sequence (BOS included) are
                                         always kept. See "Context shift" above. */
} llamac_generator_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_generator_params_init(llamac_generator_params *params, size_t size);
static inline llamac_generator_params llamac_generator_default_params(void) {
    llamac_generator_params p;
    llamac_generator_params_init(&p, sizeof p);
    return p;
}

/* What one llamac_generator_next call produced. */
typedef struct llamac_generation_step {
    llamac_token token;     /* the sampled token; LLAMAC_TOKEN_NULL if none was
                               sampled (context full, or already stopped) */
    const char *text;       /* bytes ready to print now (possibly none): the token's
                               piece minus held-back bytes plus released ones; owned
                               by the generator, valid until its next call; NUL
                               follows the bytes but text may hold NULs: use text_len */
    size_t text_len;
    llamac_stop_reason stop; /* LLAMAC_STOP_NONE while generation goes on */
} llamac_generation_step;

/* Creates a generator that extends sequence params->seq_id of `ctx` (after
 * whatever the cache already holds for it) and picks tokens with `smpl`
 * (a chain that ends in a selecting sampler). Both are borrowed: they must
 * outlive the generator and not be used elsewhere meanwhile. Memory comes
 * from the model's allocator. `params` may be NULL. Fails with
 * LLAMAC_ERR_INVALID_ARG (NULL ctx or smpl, a model without vocabulary, a
 * bad seq_id, n_predict or n_keep < -1, a NULL or empty stop string, bad
 * struct_size) or LLAMAC_ERR_NO_MEMORY; *out is then NULL. */
LLAMAC_API llamac_status llamac_generator_new(llamac_context *ctx, llamac_sampler *smpl,
                                              const llamac_generator_params *params,
                                              llamac_generator **out);
/* NULL is a no-op. The context keeps what was decoded. */
LLAMAC_API void llamac_generator_free(llamac_generator *gen);

/* Decodes n_tokens (>= 1) more input tokens, in batches of the context's
 * n_batch, after the last sampled token if it was not decoded yet (so a
 * chat can alternate prompts and responses). Starts a new response: the
 * stop state and the n_predict count reset. The tokens are not given to
 * the sampler's history. All or nothing: on failure the cache is as
 * before the call. A prompt that cannot fit is refused before anything is
 * decoded (with a context shift on, a generator's first prompt into an
 * empty sequence is truncated instead: see "Context shift"). Errors: LLAMAC_ERR_INVALID_ARG (NULL tokens, n_tokens < 1, an
 * id outside the vocabulary: checked before decoding), LLAMAC_ERR_CONTEXT_FULL
 * (more tokens than free cells, the message naming both counts; or
 * positions would pass INT32_MAX: both checked before decoding), LLAMAC_ERR_CANCELLED (abort_fn returned true between batches, or the
 * context's own abort callback fired), LLAMAC_ERR_NO_MEMORY. */
LLAMAC_API llamac_status llamac_generator_prompt(llamac_generator *gen, const llamac_token *tokens,
                                                 int32_t n_tokens);

/* Continues a sequence that is already in the cache, e.g. restored from a
 * state: sequence params->seq_id must hold exactly `tokens` at positions
 * 0..n_tokens-1, or only its first n_tokens - 1 tokens (positions
 * 0..n_tokens-2; an empty sequence for n_tokens == 1). The cache does not
 * store token ids, so only the positions are checked (llamac_kv_seq_pos_min
 * and _max): the caller vouches for the ids. The generator needs the logits
 * of the last token, so its cell is removed (llamac_kv_seq_rm of position
 * n_tokens-1, if present) and the token decoded again; by the determinism
 * contract (docs/architecture.md: bits independent of batch split and
 * thread count) they are the bits the original decode produced, unless a
 * context shift moved the sequence after that decode. Then it is like the
 * end of llamac_generator_prompt: a new response starts (stop state and
 * n_predict count reset), nothing is pending. Whatever this generator had
 * pending, held back or half-detokenized is dropped: text held back for stop
 * strings is not part of a state, so a resumed response may print bytes of
 * a stop string that began before the state was saved. The sampler is not
 * touched (restore its state separately). The first resume or prompt fixes
 * the context-shift keep count (see above).
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL gen or tokens, n_tokens < 1, an id
 * outside the vocabulary, or the sequence not holding positions as above:
 * the message names the range found and the one expected; nothing
 * changed), LLAMAC_ERR_CANCELLED, LLAMAC_ERR_NO_MEMORY; after a failed
 * decode the sequence holds the first n_tokens - 1 tokens, and calling
 * again with the same tokens retries it. */
LLAMAC_API llamac_status llamac_generator_resume(llamac_generator *gen, const llamac_token *tokens,
                                                 int32_t n_tokens);

/* Produces the next token: decodes the previously sampled one if needed,
 * samples (the sampler accepts the token), and fills *step. Stops are
 * reported in step->stop together with the final text, which then
 * includes everything held back (an EOG token's own text is not printed;
 * at a stop string, the text before it is printed and the string itself
 * and anything after it are not). Once stopped, further calls return the
 * same stop with no token and no text until the next prompt. A full
 * context is a stop (LLAMAC_STOP_CONTEXT_FULL), not an error, unless a
 * context shift (params.n_keep) makes room. Errors:
 * LLAMAC_ERR_INVALID_ARG (no prompt was given yet, NULL step),
 * LLAMAC_ERR_CANCELLED (abort_fn fired before the decode; calling again
 * retries it), LLAMAC_ERR_FORMAT (the model computed a NaN or +inf logit:
 * its weights are likely bad; the message names the position), other
 * errors of the sampler, LLAMAC_ERR_NO_MEMORY; the generator
 * then stays usable and *step is untouched. */
LLAMAC_API llamac_status llamac_generator_next(llamac_generator *gen, llamac_generation_step *step);

/* Tokens sampled since the last prompt; 0 for NULL. */
LLAMAC_API int32_t llamac_generator_n_generated(const llamac_generator *gen);

/* ==== end of section 7 ==== */

/* ======================================================================== */
/* 8. Model quantization and synthesis                                      */
/* ======================================================================== */

/* Re-encoding a model's weights into smaller block formats (what llama.cpp's
 * llama-quantize does), and writing models of real shapes with random
 * weights for benchmarks. Both write GGUF files that llama.cpp loads.
 *
 * Faithfulness: llamac_model_quantize picks the same encoding for every
 * tensor as llama.cpp (commit c392e50) does without an importance matrix,
 * and writes the same blocks, byte for byte: the reference encoders follow
 * ggml's scale searches and rounding exactly. Only the order of tensors in
 * the file may differ (llamac keeps the input's order). */

/* A file type: the mix of encodings a model's tensors get. Numbered as
 * llama.cpp's LLAMA_FTYPE_* (the value written to general.file_type). Only
 * the values below are accepted; the gaps are retired or not supported. */
typedef enum llamac_ftype {
    LLAMAC_FTYPE_ALL_F32 = 0,
    LLAMAC_FTYPE_MOSTLY_F16 = 1,
    LLAMAC_FTYPE_MOSTLY_Q4_0 = 2,
    LLAMAC_FTYPE_MOSTLY_Q4_1 = 3,
    LLAMAC_FTYPE_MOSTLY_Q8_0 = 7,
    LLAMAC_FTYPE_MOSTLY_Q5_0 = 8,
    LLAMAC_FTYPE_MOSTLY_Q5_1 = 9,
    LLAMAC_FTYPE_MOSTLY_Q2_K = 10,
    LLAMAC_FTYPE_MOSTLY_Q3_K_S = 11,
    LLAMAC_FTYPE_MOSTLY_Q3_K_M = 12,
    LLAMAC_FTYPE_MOSTLY_Q3_K_L = 13,
    LLAMAC_FTYPE_MOSTLY_Q4_K_S = 14,
    LLAMAC_FTYPE_MOSTLY_Q4_K_M = 15,
    LLAMAC_FTYPE_MOSTLY_Q5_K_S = 16,
    LLAMAC_FTYPE_MOSTLY_Q5_K_M = 17,
    LLAMAC_FTYPE_MOSTLY_Q6_K = 18,
    LLAMAC_FTYPE_MOSTLY_IQ4_NL = 25,
    LLAMAC_FTYPE_MOSTLY_IQ4_XS = 30,
    LLAMAC_FTYPE_MOSTLY_BF16 = 32
} llamac_ftype;

/* Short name of a file type as llama-quantize spells it ("Q4_K_M", "F16",
 * "F32", "BF16"); NULL if llamac does not write that file type. Static
 * string; thread-safe. */
LLAMAC_API const char *llamac_ftype_name(llamac_ftype ftype);
/* The file type named `name`, compared case-insensitively ("q4_k_m").
 * LLAMAC_ERR_INVALID_ARG if name or out is NULL, LLAMAC_ERR_NOT_FOUND
 * (message lists the accepted names) if no file type has that name; *out
 * is untouched on failure. Thread-safe. */
LLAMAC_API llamac_status llamac_ftype_from_name(const char *name, llamac_ftype *out);

typedef struct llamac_quantize_params {
    size_t struct_size;           /* set by llamac_quantize_default_params() */
    llamac_ftype ftype;           /* default LLAMAC_FTYPE_MOSTLY_Q4_K_M */
    int32_t n_threads;            /* encoding threads; 0 (default) = online CPUs */
    bool allow_requantize;        /* accept already-quantized inputs (decoded,
                                     then re-encoded: quality is lost twice);
                                     default false */
    bool pure;                    /* every quantizable tensor gets the
                                     ftype's base encoding: no Q6_K output,
                                     no mixes; default false */
    llamac_progress_fn progress;  /* fraction of input bytes done; returning
                                     false cancels. NULL: no reports */
    void *progress_user;
    const llamac_allocator *allocator; /* NULL: C library malloc */
    llamac_log_fn log_fn;         /* one INFO line per tensor; NULL: silent */
    void *log_user;
} llamac_quantize_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_quantize_params_init(llamac_quantize_params *params, size_t size);
static inline llamac_quantize_params llamac_quantize_default_params(void) {
    llamac_quantize_params p;
    llamac_quantize_params_init(&p, sizeof p);
    return p;
}

/* Reads the GGUF model at in_path and writes it to out_path with its weight
 * matrices re-encoded for params->ftype. Which tensors change, as in
 * llama.cpp: tensors named "*weight" with two or more dimensions, except
 * norms (*_norm.weight); 1-D tensors and norms are copied unchanged. Which
 * encoding each gets, as in llama.cpp: the ftype's base encoding (Q4_K for
 * Q4_K_M), except that output.weight (token_embd.weight when the output is
 * tied) gets Q6_K unless the base is Q8_0, and the K-quant mixes give
 * attn_v / ffn_down / attn_output more bits in chosen layers (Q4_K_M: Q6_K
 * for attn_v and ffn_down in layers i < n/8, i >= 7n/8 and every third
 * layer between). A row length that the chosen block size does not divide
 * falls back as llama.cpp does (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0,
 * Q2_K/Q3_K -> IQ4_NL, then F16). Inputs may be F32, F16, BF16 or (with
 * allow_requantize) any encoding llamac decodes. All metadata is copied;
 * general.file_type and general.quantization_version (2) are set.
 * Memory: the input is mapped; one tensor's output is held at a time.
 * The output appears atomically (written under a temporary name, renamed
 * on success); on failure out_path is untouched.
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL path, bad params struct_size, an
 * ftype llamac does not write, n_threads < 0),
 * LLAMAC_ERR_IO / LLAMAC_ERR_FORMAT from reading or writing,
 * LLAMAC_ERR_FORMAT for a NaN or infinity in a weight (tensor and element
 * named), LLAMAC_ERR_UNSUPPORTED for a split file, a quantized input
 * without allow_requantize, or a tensor that cannot be encoded (named),
 * LLAMAC_ERR_CANCELLED, LLAMAC_ERR_NO_MEMORY. `params` may be NULL for
 * defaults. Thread-safe (no shared state). */
LLAMAC_API llamac_status llamac_model_quantize(const char *in_path, const char *out_path,
                                               const llamac_quantize_params *params);

/* Encodes n_rows rows of n_per_row floats (src, row after row) into `type`
 * with the reference encoder llamac_model_quantize uses (ggml's rounding,
 * no importance matrix), writing n_rows * row size bytes to dst. Encodable
 * types: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K, IQ4_NL, IQ4_XS. n_per_row must be a multiple of the type's
 * block size.
 * Returns LLAMAC_OK and *written (may be NULL) = bytes written;
 * LLAMAC_ERR_UNSUPPORTED for another type; LLAMAC_ERR_INVALID_ARG for NULL
 * src/dst (with rows to encode), negative counts or a row length the block
 * size does not divide; LLAMAC_ERR_BUFFER_TOO_SMALL (LLAMAC_ERR_INVALID_ARG
 * before 0.2.0) if dst_size is below what the rows need: nothing is
 * encoded, *written gets the bytes needed and the message gives both. Values are
 * not checked: NaN in gives unspecified blocks out. Thread-safe. */
LLAMAC_API llamac_status llamac_quantize_rows(llamac_type type, const float *src, int64_t n_rows,
                                              int64_t n_per_row, void *dst, size_t dst_size,
                                              size_t *written);

typedef struct llamac_synth_params {
    size_t struct_size;           /* set by llamac_synth_default_params() */
    const char *shape;            /* a name from llamac_synth_shape_name();
                                     default "tinyllama-1.1b" */
    llamac_type type;             /* F32 or F16 (default) for weight matrices;
                                     norm weights are always F32 */
    uint64_t seed;                /* default 42; every seed is valid */
    int32_t n_threads;            /* 0 (default) = online CPUs */
    llamac_progress_fn progress;  /* fraction of bytes written; false cancels */
    void *progress_user;
    const llamac_allocator *allocator; /* NULL: C library malloc */
    llamac_log_fn log_fn;         /* NULL: silent */
    void *log_user;
} llamac_synth_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_synth_params_init(llamac_synth_params *params, size_t size);
static inline llamac_synth_params llamac_synth_default_params(void) {
    llamac_synth_params p;
    llamac_synth_params_init(&p, sizeof p);
    return p;
}

/* Name of the i-th known shape (i from 0), NULL past the last:
 *   "tinyllama-1.1b": n_embd 2048, 22 layers, 32 heads, 4 KV heads,
 *                     n_ff 5632, vocab 32000, context 2048
 *   "llama-3.2-1b":   2048, 16 layers, 32 heads, 8 KV heads, n_ff 8192,
 *                     vocab 128256, context 131072, rope base 500000,
 *                     output tied to token_embd (no output.weight)
 *   "llama-2-7b":     4096, 32 layers, 32 heads, 32 KV heads, n_ff 11008,
 *                     vocab 32000, context 4096
 *   "tiny":           256, 2 layers, 8 heads, 4 KV heads, n_ff 768,
 *                     vocab 2048, context 2048 (for tests)
 * Static strings; thread-safe. */
LLAMAC_API const char *llamac_synth_shape_name(int32_t i);

/* Writes a llama-architecture GGUF of the given shape to `path`: every
 * llama.* hyperparameter llama.cpp needs, general.file_type, a synthetic
 * SentencePiece ("llama") vocabulary (<unk>, <s>, </s>, the 256 byte
 * tokens <0x00>..<0xFF>, then letter pieces with descending scores), and
 * weights drawn from a normal distribution scaled by 1 / sqrt(ne[0]) (the
 * matrix's fan-in), so activations stay in a sane range; norm weights are
 * 1. The weights depend only on the seed (xoshiro256**, Box-Muller per
 * row), never on n_threads. Tensors are generated one at a time, so memory
 * stays near one tensor (a 7B F16 file needs about 0.3 GB, not 13.5).
 * The file appears atomically; on failure `path` is untouched.
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL path, bad struct_size, a type other
 * than F32/F16, n_threads < 0), LLAMAC_ERR_NOT_FOUND (unknown shape; the
 * message lists the known ones), LLAMAC_ERR_IO, LLAMAC_ERR_CANCELLED,
 * LLAMAC_ERR_NO_MEMORY. `params` may be NULL for defaults. Thread-safe. */
LLAMAC_API llamac_status llamac_model_synth(const char *path, const llamac_synth_params *params);

/* ==== end of section 8 ==== */

/* ======================================================================== */
/* 9. State: save and restore a context, a sequence, a sampler             */
/* ======================================================================== */

/* A state file (docs/state-format.md) holds what a context needs to go on
 * as if it had never stopped: the KV cells in use (positions, sequence
 * ids, key and value rows), the logits of the last decode when they belong
 * to what is saved, the caller's token ids of the saved text (so a prompt
 * cache can match prefixes) and, optionally, a sampler's state. It is
 * bound to its model: architecture, every hyperparameter, the tensor table
 * (names, types, shapes) and a hash of the vocabulary are checked on load,
 * and a state of another model is LLAMAC_ERR_MISMATCH. The payload is
 * deflated (zlib) or stored, and protected by a CRC-32.
 *
 * Loading treats the bytes as untrusted: every size, count, cell index,
 * position, sequence id, token id, the CRCs and the fingerprint are checked
 * and the payload is decoded into scratch memory before the context
 * changes, and the inflated size is bounded by the header and by what the
 * context can hold (no decompression bomb). A failed load returns a
 * specific status with a message naming the field and leaves the context
 * (and the sampler) exactly as they were.
 *
 * Exactness: a restored context continues bit-identically to the one that
 * was saved (same build, same back end): a whole-context state puts every
 * cell back at its own index; a sequence state is placed into the lowest
 * free cells in its saved order, so a sequence saved from an otherwise empty
 * context and restored into an empty one lands on the same cells.
 *
 * Logits: a whole-context state holds the last decode's logits rows (if
 * any); llamac_get_logits and llamac_get_logits_ith answer after a restore
 * as before the save. A sequence state holds the last row only when it is
 * that sequence's prediction after its last token (the last decode ended
 * with it); after restoring it, llamac_get_logits(ctx, -1) returns that row
 * (a one-token batch). Otherwise the state has no logits: decode the last
 * token again (remove its position with llamac_kv_seq_rm first), which gives
 * the same bits; the generator does this by itself. A sequence restore
 * without logits clears the context's logits only if they were the
 * destination sequence's; with logits it replaces them.
 *
 * The KV cache type must match (an F16 state does not load into an F32
 * cache: LLAMAC_ERR_MISMATCH; no conversion). Memory: zlib's allocations
 * and the load scratch go through the model's allocator; a save to a file
 * streams through deflate without a second copy of the state in memory. */

/* The `seq` argument that means the whole context. */
#define LLAMAC_STATE_ALL_SEQS (-1)
/* Bytes of a state file's header: enough for llamac_state_info_read. */
#define LLAMAC_STATE_HEADER_BYTES 168

typedef struct llamac_state_params {
    size_t struct_size;          /* set by llamac_state_default_params() */
    const llamac_token *tokens;  /* token ids of the saved text, stored as given
                                    (may be NULL when n_tokens is 0) */
    int32_t n_tokens;            /* 0..2^24; default 0 */
    int32_t compression;         /* 0: stored (no deflate); 1..9: deflate level;
                                    default 1 (fastest) */
    const llamac_sampler *sampler; /* saved into the same file if not NULL */
} llamac_state_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_state_params_init(llamac_state_params *params, size_t size);
static inline llamac_state_params llamac_state_default_params(void) {
    llamac_state_params p;
    llamac_state_params_init(&p, sizeof p);
    return p;
}

/* An upper bound of the bytes llamac_state_save will write for the same
 * arguments into *size (the exact size is known only after compressing).
 * seq is LLAMAC_STATE_ALL_SEQS or a sequence id of the context (an empty
 * sequence gives a state with no cells). `params` may be NULL for defaults.
 * LLAMAC_ERR_INVALID_ARG for NULL ctx/size, a bad seq, params (struct_size,
 * compression outside 0..9, n_tokens outside 0..2^24, NULL tokens with
 * n_tokens > 0). */
LLAMAC_API llamac_status llamac_state_save_size(const llamac_context *ctx, llamac_seq_id seq,
                                                const llamac_state_params *params, size_t *size);

/* Saves the whole context (seq == LLAMAC_STATE_ALL_SEQS) or one sequence
 * into buf[0..cap). *size gets the bytes written; if cap is too small,
 * LLAMAC_ERR_BUFFER_TOO_SMALL with the exact size needed in *size (buf's
 * contents are then unspecified; buf may be NULL with cap 0 to ask, which
 * costs one compression). The context is not changed. Errors as
 * llamac_state_save_size, plus LLAMAC_ERR_NO_MEMORY. */
LLAMAC_API llamac_status llamac_state_save(const llamac_context *ctx, llamac_seq_id seq,
                                           const llamac_state_params *params, void *buf, size_t cap,
                                           size_t *size);

/* The same into a file that appears atomically (written to a temporary
 * file beside `path`, synced, renamed): on failure `path` is untouched.
 * The state is streamed through deflate, never held whole in memory.
 * LLAMAC_ERR_IO names the file and the system error. */
LLAMAC_API llamac_status llamac_state_save_file(const llamac_context *ctx, llamac_seq_id seq,
                                                const llamac_state_params *params, const char *path);

/* Restores a state into ctx. seq: LLAMAC_STATE_ALL_SEQS for a whole-context
 * state (replaces every cell and the logits), or the destination sequence
 * id for a sequence state (replaces that sequence's cells; any sequence id
 * of any context of the same model whose cache type matches and which has
 * room). `sampler` (may be NULL) gets the sampler state saved in the file.
 * `tokens` (may be NULL) gets the saved token ids, tokens_cap of room;
 * *n_tokens (may be NULL) gets their count.
 * Errors, each leaving ctx and sampler unchanged:
 *   LLAMAC_ERR_INVALID_ARG  NULL ctx/data, seq not a sequence id of ctx;
 *   LLAMAC_ERR_FORMAT       malformed: magic, sizes, CRC-32s, a cell index,
 *                           position, sequence id or token id out of range,
 *                           duplicate positions, a stream that inflates to
 *                           more or fewer bytes than the header declares;
 *   LLAMAC_ERR_UNSUPPORTED  a newer format version or unknown flags;
 *   LLAMAC_ERR_MISMATCH     another model (the message names the differing
 *                           hyperparameter, tensor table or vocabulary),
 *                           another KV cache type, more cells, sequences or
 *                           logits rows than ctx has room for (n_ctx,
 *                           n_seq_max, n_batch), a whole-context state given
 *                           a sequence id or the reverse, a sampler given
 *                           but the file holds none or one of another
 *                           composition;
 *   LLAMAC_ERR_CONTEXT_FULL a sequence state needs more cells than are free
 *                           (counting the destination sequence's own);
 *   LLAMAC_ERR_BUFFER_TOO_SMALL tokens_cap is below the saved count, which
 *                           is written to *n_tokens;
 *   LLAMAC_ERR_NO_MEMORY.
 * One thread at a time per context (and sampler). */
LLAMAC_API llamac_status llamac_state_load(llamac_context *ctx, llamac_seq_id seq, const void *data,
                                           size_t size, llamac_sampler *sampler, llamac_token *tokens,
                                           size_t tokens_cap, size_t *n_tokens);
/* The same from a file (read as a stream; LLAMAC_ERR_IO names the file). */
LLAMAC_API llamac_status llamac_state_load_file(llamac_context *ctx, llamac_seq_id seq, const char *path,
                                                llamac_sampler *sampler, llamac_token *tokens,
                                                size_t tokens_cap, size_t *n_tokens);

/* What a state file's header says, filled by llamac_state_info_read /
 * llamac_state_file_info without a model or context. */
typedef struct llamac_state_info {
    uint32_t version;        /* format version */
    bool sequence;           /* one sequence's state (else the whole context) */
    bool compressed;         /* payload deflated (else stored) */
    bool shuffled;           /* K/V rows byte-shuffled before deflate */
    bool has_logits;
    bool has_sampler;
    int32_t compression;     /* level it was written with, 0..9 */
    llamac_type kv_type;     /* F16 or F32 */
    int32_t n_cells;         /* KV cells saved */
    int32_t cell_span;       /* whole context: n_ctx needed (highest saved cell + 1) */
    int32_t n_seq;           /* whole context: n_seq_max needed; 1 for a sequence */
    int32_t n_logits;        /* logits rows saved */
    int32_t n_batch_last;    /* tokens of the last decode's batch (n_batch needed) */
    int32_t n_tokens;        /* caller token ids saved */
    uint32_t sampler_bytes;  /* the sampler state inside, 0 if none */
    uint64_t payload_bytes;  /* payload uncompressed */
    uint64_t stored_bytes;   /* payload as stored */
    uint64_t file_bytes;     /* header + stored payload */
    /* the model fingerprint */
    char arch[16];           /* general.architecture, NUL-terminated */
    int32_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff, head_dim, n_rot;
    float rms_eps, rope_base, rope_freq_scale;
    uint32_t n_tensors;
    uint64_t tensors_hash;   /* FNV-1a 64 of the tensor table */
    uint64_t vocab_hash;     /* FNV-1a 64 of the vocabulary (0: none) */
} llamac_state_info;

/* Reads the header at data[0..size) (size >= LLAMAC_STATE_HEADER_BYTES; the
 * payload is not read nor checked) into *info. LLAMAC_ERR_INVALID_ARG for
 * NULL arguments, LLAMAC_ERR_FORMAT / LLAMAC_ERR_UNSUPPORTED as for a load.
 * Thread-safe. */
LLAMAC_API llamac_status llamac_state_info_read(const void *data, size_t size, llamac_state_info *info);
/* The same for a file; also checks that the file's size matches the header
 * (LLAMAC_ERR_FORMAT for a truncated file). Thread-safe. */
LLAMAC_API llamac_status llamac_state_file_info(const char *path, llamac_state_info *info);

/* The token ids saved in a state (buffer or file) without a context: only
 * the start of the payload is inflated, so the payload's CRC is checked by
 * the load, not here. *n_tokens gets the count; LLAMAC_ERR_BUFFER_TOO_SMALL
 * if tokens_cap is below it (tokens may be NULL with tokens_cap 0 to ask).
 * Other errors as llamac_state_info_read. Thread-safe. */
LLAMAC_API llamac_status llamac_state_tokens(const void *data, size_t size, llamac_token *tokens,
                                             size_t tokens_cap, size_t *n_tokens);
LLAMAC_API llamac_status llamac_state_file_tokens(const char *path, llamac_token *tokens, size_t tokens_cap,
                                                  size_t *n_tokens);

/* A sampler's state alone: random generator positions, mirostat's mu, the
 * penalty window, each member of a chain in order. Parameters (seed,
 * temperature, k ...) are not saved: restore into a sampler built the same
 * way. The blob is small, self-checking (CRC-32) and independent of any
 * model. */

/* Bytes llamac_sampler_state_save writes for smpl now (it grows with the
 * penalty window); 0 for NULL. */
LLAMAC_API size_t llamac_sampler_state_size(const llamac_sampler *smpl);
/* Writes the state into buf[0..cap); *size gets the bytes written, or the
 * bytes needed with LLAMAC_ERR_BUFFER_TOO_SMALL (buf may be NULL to ask).
 * LLAMAC_ERR_INVALID_ARG for NULL smpl/size. */
LLAMAC_API llamac_status llamac_sampler_state_save(const llamac_sampler *smpl, void *buf, size_t cap,
                                                   size_t *size);
/* Restores a saved state into smpl, all or nothing: LLAMAC_ERR_MISMATCH if
 * smpl is not of the same composition (kind of each member, in order; a
 * penalty window longer than smpl's last_n), LLAMAC_ERR_FORMAT for a
 * damaged blob (CRC, sizes, values), LLAMAC_ERR_UNSUPPORTED for a newer
 * version, LLAMAC_ERR_NO_MEMORY; smpl is unchanged on any failure. */
LLAMAC_API llamac_status llamac_sampler_state_load(llamac_sampler *smpl, const void *data, size_t size);

/* ==== end of section 9 ==== */

/* ======================================================================== */
/* 10. Chat templates: llama.cpp's built-in formats                        */
/* ======================================================================== */

/* A conversation is an array of messages; the library reads the strings
 * during the call only. Roles are free text ("system", "user",
 * "assistant", ...): each format treats the roles it knows as llama.cpp
 * does and the rest as that format does. */
typedef struct llamac_chat_message {
    const char *role;    /* NUL-terminated */
    const char *content; /* NUL-terminated */
} llamac_chat_message;

/* Formats messages[0..n_messages) as a prompt with one of the 33 built-in
 * formats of llama.cpp's llama_chat_apply_template (at its commit c392e50),
 * byte for byte as it does; add_generation_prompt appends the opening of
 * the assistant's turn where the format has one. `tmpl` selects the format:
 *   - a built-in's name ("chatml", "llama3", ...; see
 *     llamac_chat_builtin_name), or
 *   - a Jinja template's text, from which a built-in is detected by the
 *     peer's substring rules (llamac_chat_detect_template);
 *   - NULL: the model's own template, the string tokenizer.chat_template
 *     of its GGUF file, detected the same way. (llama.cpp takes NULL as
 *     "chatml"; llamac never guesses a format.)
 * `model` is read only when tmpl is NULL and may then not be NULL.
 * The text is written into buf[0..buf_size) (not NUL-terminated) and
 * *n_out gets its length. If buf_size is too small the status is
 * LLAMAC_ERR_BUFFER_TOO_SMALL with *n_out = the length needed, having
 * written the first buf_size bytes (buf may be NULL when buf_size is 0:
 * ask, allocate, call again).
 * Other failures set *n_out to 0 (when n_out is not NULL):
 *   LLAMAC_ERR_INVALID_ARG   NULL n_out; tmpl and model both NULL; NULL
 *                            messages with n_messages > 0; a message with a
 *                            NULL role or content (named by its index);
 *                            NULL buf with buf_size > 0; a prompt longer
 *                            than SIZE_MAX bytes;
 *   LLAMAC_ERR_UNSUPPORTED   tmpl (or the model's template) is no built-in's
 *                            name and no built-in is detected in it; the
 *                            message quotes its start (no silent fallback);
 *   LLAMAC_ERR_NOT_FOUND     tmpl is NULL and the model's file has no
 *                            tokenizer.chat_template;
 *   LLAMAC_ERR_TYPE          that key is not a string.
 * No memory is allocated. Thread-safe (a model may be shared). */
LLAMAC_API llamac_status llamac_chat_apply_template(const llamac_model *model, const char *tmpl,
                                                    const llamac_chat_message *messages, size_t n_messages,
                                                    bool add_generation_prompt, char *buf, size_t buf_size,
                                                    size_t *n_out);

/* The built-in that llamac_chat_apply_template would use for `tmpl`: its
 * name if tmpl is exactly a built-in's name, else the first of llama.cpp's
 * substring rules (in the peer's order) that tmpl satisfies, e.g. a text
 * containing "<|im_start|>" gives "chatml" (or "phi4" with "<|im_sep|>"),
 * one containing "<|start_header_id|>" and "<|end_header_id|>" "llama3".
 * Returns the built-in's name (static storage, the same pointer
 * llamac_chat_builtin_name gives), or NULL when none matches or tmpl is
 * NULL. Leaves the thread's message alone. Thread-safe. */
LLAMAC_API const char *llamac_chat_detect_template(const char *tmpl);

/* The built-in formats, for listing: llamac_chat_builtin_count() (33) and
 * the name of built-in i in 0..count-1, in byte order of the names
 * ("chatglm3" first, "zephyr" last); NULL for i out of range. Names are
 * static storage. Thread-safe. */
LLAMAC_API int32_t llamac_chat_builtin_count(void);
LLAMAC_API const char *llamac_chat_builtin_name(int32_t i);

/* ==== end of section 10 ==== */

/* ======================================================================== */
/* 11. Chat templates: the Jinja engine                                    */
/* ======================================================================== */

/* Renders a chat template written in Jinja (the text a model ships in
 * tokenizer.chat_template) the way Hugging Face's apply_chat_template does:
 * a sandboxed environment with trim_blocks and lstrip_blocks, the variables
 * `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, and, when
 * given, `tools` and `documents`; `raise_exception(msg)` and
 * `strftime_now(fmt)` as functions. The template is untrusted input: every
 * run is bounded in evaluation steps, nesting depth, output bytes and
 * memory, and any violation, syntax error or raised exception is an error
 * whose message gives the template's line and column. */
typedef struct llamac_jinja_params {
    size_t struct_size;
    const llamac_allocator *allocator; /* NULL: C library malloc */
    bool add_generation_prompt;        /* default false */
    const char *bos_token;             /* NULL: "" (default) */
    const char *eos_token;             /* NULL: "" (default) */
    /* Optional JSON texts (UTF-8, RFC 8259). NULL leaves the variable
     * undefined (messages: taken from the call's messages argument). */
    const char *messages_json;  /* an array of message objects, used instead of
                                   the messages argument (tool_calls, ...) */
    const char *tools_json;     /* an array, bound to `tools` */
    const char *documents_json; /* an array, bound to `documents` */
    const char *extra_json;     /* an object whose members become variables */
    /* strftime_now's clock, seconds since 1970-01-01 UTC;
     * LLAMAC_JINJA_NOW_CURRENT (default) reads the system clock. */
    int64_t now;
    /* Limits; 0 selects the default given. */
    size_t max_output_bytes;  /* default 4 MiB */
    uint64_t max_steps;       /* evaluation steps (loop iterations, calls,
                                 expression nodes), default 10,000,000 */
    uint32_t max_depth;       /* nesting of blocks, expressions and macro
                                 calls, default 200 */
    size_t max_memory_bytes;  /* bytes the renderer may allocate, default 64 MiB */
    /* Templates that reject a "system" message (they raise an exception, or
     * drop its text): when true (default) the system text is merged into the
     * first user message as llama.cpp's chat layer does at c392e50
     * (docs/chat.md states the rule). */
    bool system_polyfill;
} llamac_jinja_params;

#define LLAMAC_JINJA_NOW_CURRENT INT64_MIN

LLAMAC_API void llamac_jinja_params_init(llamac_jinja_params *params, size_t size);

/* Renders `tmpl` (NUL-terminated Jinja text) with messages[0..n_messages)
 * (or params->messages_json). Output buffer convention as
 * llamac_chat_apply_template: the text goes into buf[0..buf_size), *n_out
 * gets its full length, LLAMAC_ERR_BUFFER_TOO_SMALL when it does not fit.
 * params may be NULL (defaults).
 *   LLAMAC_ERR_INVALID_ARG  NULL tmpl or n_out, NULL messages with
 *                           n_messages > 0, a NULL role/content, bad
 *                           struct_size, NULL buf with buf_size > 0;
 *   LLAMAC_ERR_FORMAT       the template's syntax, an error while rendering
 *                           (undefined call, wrong type, raise_exception),
 *                           invalid UTF-8, or malformed JSON in a *_json
 *                           field; the message gives line:column;
 *   LLAMAC_ERR_UNSUPPORTED  a Jinja feature the engine does not have (named);
 *   LLAMAC_ERR_NO_MEMORY    the allocator failed;
 *   LLAMAC_ERR_LIMIT        max_steps, max_depth, max_output_bytes or
 *                           max_memory_bytes was reached (the message names
 *                           which, and where in the template).
 * Thread-safe: no state outside the call. */
LLAMAC_API llamac_status llamac_chat_render_jinja(const char *tmpl, const llamac_chat_message *messages,
                                                  size_t n_messages, const llamac_jinja_params *params,
                                                  char *buf, size_t buf_size, size_t *n_out);

/* ==== end of section 11 ==== */

/* ======================================================================== */
/* 12. Grammars: GBNF-constrained output                                    */
/* ======================================================================== */

/* Grammars in llama.cpp's GBNF language (as of its commit c392e50; the
 * guide is docs/grammar.md): rules `name ::= ...` with alternatives `|`,
 * groups `( )`, literals "..." with the escapes \n \t \r \\ \" \[ \]
 * \xHH \uHHHH \UHHHHHHHH, character classes `[a-z]`, `[^...]`, `.` (any
 * code point), repetitions `* + ? {m} {m,} {m,n}` (counts up to 10,000),
 * `#` comments, LF or CRLF line ends. Rule names are [a-zA-Z0-9-]+.
 * Input is matched as UTF-8 text; classes and `.` match one code point.
 *
 * A grammar is untrusted input: parentheses nest at most 256 deep, the
 * grammar expands (repetitions copy their item) to at most 2^21 elements
 * and 200,000 rules, and matching keeps at most 32,768 parse stacks alive;
 * past a bound the status is LLAMAC_ERR_LIMIT with a message. Syntax
 * errors, undefined rules, a missing start rule, a rule defined twice and
 * left recursion (a rule reaching itself without reading input, directly,
 * through other rules or past rules that can be empty) are
 * LLAMAC_ERR_FORMAT. Every message reads "grammar: line L, column C: what
 * was expected and found" (line and column 1-based, the column in bytes).
 * `root` names the start rule everywhere below; NULL means "root". */

/* Checks grammar text[0..len). LLAMAC_OK when it is usable; otherwise the
 * error status above with the message in llamac_last_error(), and *line
 * and *col (each may be NULL) the place (0 when none, such as a missing
 * start rule); on success they are set to 0. LLAMAC_ERR_INVALID_ARG for
 * NULL text. Thread-safe. */
LLAMAC_API llamac_status llamac_grammar_check(const char *text, size_t len, const char *root,
                                              int32_t *line, int32_t *col);

/* A matcher: feeds bytes through a grammar without a model. Not
 * thread-safe (one thread at a time per matcher). */
typedef struct llamac_grammar_matcher llamac_grammar_matcher;

/* Compiles grammar text[0..len) into a new matcher at the start of input.
 * Errors as llamac_grammar_check (the message names line and column);
 * LLAMAC_ERR_INVALID_ARG for NULL text or out; LLAMAC_ERR_NO_MEMORY.
 * *out is NULL on failure. */
LLAMAC_API llamac_status llamac_grammar_matcher_new(const char *text, size_t len, const char *root,
                                                    const llamac_allocator *allocator,
                                                    llamac_grammar_matcher **out);
LLAMAC_API void llamac_grammar_matcher_free(llamac_grammar_matcher *m);
/* Back to the start of input. */
LLAMAC_API void llamac_grammar_matcher_reset(llamac_grammar_matcher *m);
/* Feeds bytes[0..n). *n_accepted (may be NULL) gets how many were taken:
 * n when every byte continues some parse; else the offset of the first byte
 * none can continue with, and the matcher stays after the bytes before it.
 * A UTF-8 sequence may be split over calls. LLAMAC_OK in both cases;
 * LLAMAC_ERR_LIMIT when an ambiguous grammar needs more live parse stacks
 * than the bound, or one call more than max(2^20, 64 n) stack steps
 * (bounded time; the matcher then stays after the bytes it took, which
 * *n_accepted counts, and feeding may continue);
 * LLAMAC_ERR_INVALID_ARG for NULL m, or NULL bytes with n > 0. */
LLAMAC_API llamac_status llamac_grammar_matcher_feed(llamac_grammar_matcher *m, const void *bytes, size_t n,
                                                     size_t *n_accepted);
/* *complete: whether the input fed so far is a whole match of the start
 * rule (more may still follow). LLAMAC_ERR_INVALID_ARG for NULL
 * arguments. */
LLAMAC_API llamac_status llamac_grammar_matcher_complete(const llamac_grammar_matcher *m, bool *complete);

/* The grammar sampler: masks (sets to -inf) every candidate whose text
 * (llamac_token_to_piece without special rendering) cannot continue a
 * parse of the text accepted so far, including tokens that end inside a
 * UTF-8 sequence no allowed code point begins with, and tokens with empty
 * text; end-of-generation tokens (llamac_vocab_is_eog) stay only when the
 * parse can be complete. llamac_sampler_accept advances the parse by the
 * token's text (an end-of-generation token changes nothing). Put it first
 * in a chain, before top-k and the draw. Reset goes back to the start;
 * clone copies the parse. Its saved state (llamac_sampler_state_save) is
 * the text accepted since the start, replayed on load.
 * Token texts are kept in a byte trie so a prefix shared by many tokens is
 * checked once per step (docs/grammar.md has timings).
 * Errors (NULL returned, message in llamac_last_error()): the grammar's
 * error status and message as llamac_grammar_check; LLAMAC_ERR_INVALID_ARG
 * for NULL vocab or grammar. apply fails with LLAMAC_ERR_INVALID_ARG if the
 * parse is stuck (an earlier accepted token broke it) and LLAMAC_ERR_LIMIT
 * past the stack bound or past 2^22 stack steps in one call; accept fails with LLAMAC_ERR_INVALID_ARG for a
 * token the grammar rejects (the parse is left unchanged). */
LLAMAC_API llamac_sampler *llamac_sampler_init_grammar(const llamac_vocab *vocab, const char *grammar,
                                                       size_t len, const char *root,
                                                       const llamac_allocator *allocator);

/* The fast path llama.cpp's common sampler takes: sample without the
 * grammar, then ask whether the grammar sampler `smpl` allows the chosen
 * token (*allowed); only when it does not, apply the grammar to the
 * logits and sample again. This changes the sampled distribution
 * (tokens the grammar allows keep the probability they had among all
 * tokens rather than among the allowed ones), so it is opt-in; full
 * masking is the default and the reference. LLAMAC_ERR_INVALID_ARG for
 * NULL arguments or a sampler that is not a grammar sampler;
 * LLAMAC_ERR_NOT_FOUND for a token outside the vocabulary. */
LLAMAC_API llamac_status llamac_sampler_grammar_allows(llamac_sampler *smpl, llamac_token token,
                                                       bool *allowed);

/* ==== end of section 12 ==== */

/* ======================================================================== */
/* 13. JSON Schema: conversion to a GBNF grammar                           */
/* ======================================================================== */

/* Flags of llamac_json_schema_to_grammar (the peer's options). */
/* space ::= " "? (default: up to a newline and 20 blanks) */
#define LLAMAC_JSON_SCHEMA_COMPACT_SPACES (1u << 0)
#define LLAMAC_JSON_SCHEMA_DOTALL (1u << 1)         /* '.' in a pattern matches newlines too */

/* Converts a JSON Schema (the len bytes at schema, UTF-8 JSON, no NUL
 * needed) to a GBNF grammar whose root rule matches the JSON documents the
 * schema describes, byte for byte the text llama.cpp's
 * json_schema_to_grammar writes (common/json-schema-to-grammar.cpp at
 * c392e50): the same rule names and bodies, one "name ::= body\n" line
 * per rule in byte order of the names. Supported: "type" (one or a list),
 * "properties", "required", "additionalProperties", "items" (one schema
 * or a list), "prefixItems", "minItems", "maxItems", "enum", "const",
 * "anyOf", "oneOf", "allOf" (of objects), "$ref" to "#/..." within the
 * schema ("#/definitions/x", "#/$defs/x"; recursion allowed), string
 * "minLength", "maxLength", "pattern" (^...$; the peer's regex subset),
 * "format" (date, time, date-time, uuid), integer "minimum", "maximum",
 * "exclusiveMinimum", "exclusiveMaximum"; docs/json-schema.md lists the
 * rest and the few deliberate differences from the peer.
 * The grammar is written into buf[0..buf_size) (not NUL-terminated) and
 * *n_out gets its length. If buf_size is too small the status is
 * LLAMAC_ERR_BUFFER_TOO_SMALL with *n_out = the length needed, having
 * written the first buf_size bytes (buf may be NULL when buf_size is 0:
 * ask, allocate, call again). Other failures set *n_out to 0 (when n_out
 * is not NULL) with a message naming the problem:
 *   LLAMAC_ERR_INVALID_ARG   NULL schema or n_out; NULL buf with
 *                            buf_size > 0; unknown flags;
 *   LLAMAC_ERR_FORMAT        the text is not JSON (line and column), or a
 *                            keyword has the wrong type or value, an
 *                            unknown "type", a pattern not in ^...$ or
 *                            malformed, a $ref that does not resolve, a
 *                            duplicate key;
 *   LLAMAC_ERR_UNSUPPORTED   a $ref outside the schema ("https://...");
 *   LLAMAC_ERR_LIMIT         the schema is past a bound: 4 MiB of text,
 *                            JSON nesting 64, subschema nesting 64
 *                            (counting $ref and allOf chains), pattern
 *                            groups nested 64, a count (minItems,
 *                            maxLength, {m,n}, ...) above 1,000,000, an
 *                            integer bound outside 32 bits, 100,000
 *                            rules, a 16 MiB grammar, or a work budget
 *                            that stops schemas that expand
 *                            exponentially;
 *   LLAMAC_ERR_NO_MEMORY     the allocator refused.
 * allocator may be NULL (the C library's). Thread-safe (no shared state). */
LLAMAC_API llamac_status llamac_json_schema_to_grammar(const char *schema, size_t len, uint32_t flags,
                                                       const llamac_allocator *allocator, char *buf,
                                                       size_t buf_size, size_t *n_out);

/* ==== end of section 13 ==== */

/* ======================================================================== */
/* 14. Games: budgeted decoding, worker                                     */
/* ======================================================================== */

/* Changes the number of threads the context computes with (its own pool
 * is replaced: n_threads - 1 new threads). n_threads: 1 up to the count
 * the context was created with (its per-thread scratch is sized for
 * that), or 0 for the number of online CPUs within that bound. Allowed
 * between the units of a budgeted decode: the thread count never changes
 * a bit. Not thread-safe with other calls on the context. Errors:
 * LLAMAC_ERR_INVALID_ARG (NULL ctx, n_threads out of range),
 * LLAMAC_ERR_NO_MEMORY / LLAMAC_ERR_IO (thread creation failed; the old
 * pool stays). */
LLAMAC_API llamac_status llamac_context_set_n_threads(llamac_context *ctx, int32_t n_threads);

/* ---- memory planning ---- */

/* What a model and one context would add to the process's resident
 * memory, in bytes: an upper bound, known before anything is allocated. */
typedef struct llamac_memory_estimate {
    uint64_t weights;     /* tensor data: mapped pages a decode reads (token_embd counted
                             whole), or the repacked copies that replace them; with
                             use_mmap false the file buffer (and the packed copies) */
    uint64_t model_other; /* the model's own structures: vocabulary, metadata */
    uint64_t kv_cache;    /* keys and values of n_ctx cells, positions, sequence sets */
    uint64_t compute;     /* the scratch arena (activations, logits of n_batch tokens),
                             the threads' stacks, allocator slack */
    uint64_t total;       /* the sum */
} llamac_memory_estimate;

/* Estimates what llamac_model_load(model_path, model_params) followed by
 * llamac_context_new(model, context_params) and decoding a full context
 * will add to the resident memory (docs/games.md compares it with
 * measurements). Opens the file as a pure mapping: reads its metadata and
 * the vocabulary, no tensor data (milliseconds). Either params may be
 * NULL (defaults). Errors: those of llamac_model_load and of
 * llamac_context_new's argument checks (LLAMAC_ERR_INVALID_ARG for NULL
 * model_path or out); *out is zeroed. Thread-safe. */
LLAMAC_API llamac_status llamac_estimate_memory(const char *model_path, const llamac_model_params *model_params,
                                                const llamac_context_params *context_params,
                                                llamac_memory_estimate *out);

/* ---- budgeted generation ----
 * A game advances generation a few milliseconds per frame on its own
 * thread:
 *
 *     llamac_generator_submit(gen, prompt, n_prompt);
 *     each frame:
 *         llamac_step step;
 *         llamac_generator_step(gen, 3000, &step);       // at most ~3 ms
 *         if (step.kind == LLAMAC_STEP_TOKEN) show(step.text, step.text_len);
 *         if (step.kind == LLAMAC_STEP_DONE) ...          // response over
 *
 * The work is cut into units: each layer of a forward pass, the output
 * projection in chunks of rows (about half a layer's weight bytes each),
 * the sampling of one generator; long prompts are decoded in sub-batches
 * small enough that one layer of one sub-batch is predicted to fit the
 * budget. A unit starts only when its predicted cost (a moving average of
 * what units of its kind and batch size took on this context) fits in
 * what is left of the budget; the first unit of a call always runs, so
 * every call makes progress. Overshoot bound: a call returns within
 * max(budget + e, u), u being the cost of one unit and e how much the
 * last unit exceeded its prediction (docs/games.md has measurements).
 * Between calls the pass waits in the context. The tokens and logits are
 * bit-identical to llamac_generator_prompt + llamac_generator_next
 * (pausing between units, prompt sub-batches and batching several
 * sequences never change a bit: docs/threading.md).
 *
 * While a budgeted pass is in progress the context refuses llamac_decode
 * and the cell-changing KV operations (llamac_kv_seq_rm, _cp, _keep,
 * _add: LLAMAC_ERR_INVALID_ARG); llamac_kv_clear and a state load abandon
 * it. Every generator stepping on one context should be stepped in the
 * same llamac_generators_step call (their tokens share one batch). */

typedef enum llamac_step_kind {
    LLAMAC_STEP_BUSY = 0,  /* work remains and no token came out in this call */
    LLAMAC_STEP_TOKEN = 1, /* a token was sampled: token, text, stop as in llamac_generation_step */
    LLAMAC_STEP_DONE = 2   /* no response in progress: it stopped (stop says why,
                              text holds its last bytes), was cancelled, or none was submitted */
} llamac_step_kind;

typedef struct llamac_step {
    llamac_step_kind kind;
    llamac_token token;       /* LLAMAC_TOKEN_NULL unless kind is TOKEN */
    const char *text;         /* bytes to print now, owned by the generator, valid until its
                                 next call; NUL-terminated, may hold NULs: use text_len */
    size_t text_len;
    llamac_stop_reason stop;  /* LLAMAC_STOP_NONE while the response goes on */
    int64_t used_us;          /* wall time this call spent */
} llamac_step;

/* Queues a prompt for llamac_generator_step: nothing is decoded here.
 * Starts a new response (stop state and n_predict count reset); a token
 * sampled and not decoded yet goes first, as with llamac_generator_prompt,
 * whose checks and truncation this shares (an id outside the vocabulary,
 * a prompt that cannot fit: refused here, nothing queued). The tokens are
 * copied. Errors: LLAMAC_ERR_INVALID_ARG (NULL, n_tokens < 1, bad id, a
 * prompt still being decoded), LLAMAC_ERR_CONTEXT_FULL,
 * LLAMAC_ERR_NO_MEMORY. */
LLAMAC_API llamac_status llamac_generator_submit(llamac_generator *gen, const llamac_token *tokens,
                                                 int32_t n_tokens);

/* Advances the generator by at most about budget_us microseconds (see the
 * overshoot bound above; 0 runs one unit) and fills *step. At most one
 * token per call. Errors: LLAMAC_ERR_INVALID_ARG (NULL argument),
 * LLAMAC_ERR_CANCELLED (the context's abort callback fired: the pass in
 * progress is dropped, nothing advanced; the next call starts it again),
 * the errors of llamac_generator_next's sampling. */
LLAMAC_API llamac_status llamac_generator_step(llamac_generator *gen, int64_t budget_us, llamac_step *step);

/* The same for n generators on different sequences of one context: their
 * prompts' next sub-batches and sampled tokens are decoded together in one
 * batch per pass, and each samples with its own chain and stop strings.
 * steps[i] is gens[i]'s result; at most one token per generator per call.
 * A generator whose next token finds no free cell stops with
 * LLAMAC_STOP_CONTEXT_FULL (a context shift, n_keep, is tried first).
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL gens or steps, n < 1, a NULL entry,
 * generators of different contexts, the same generator or sequence
 * twice), and those of llamac_generator_step. */
LLAMAC_API llamac_status llamac_generators_step(llamac_generator *const *gens, int32_t n, int64_t budget_us,
                                                llamac_step *steps);

/* The predicted wall time, in microseconds, of the first unit of work a
 * llamac_generators_step(gens, n, budget_us, ...) call would run now: the
 * next unit of the pass in progress, the sampling of a generator whose
 * logits are ready, or the first layer of the pass it would start (with
 * the prompt sub-batch budget_us allows). *us is 0 when there is nothing
 * to do or no unit of that kind was measured yet on this context. Since
 * the first unit of a call always runs, a game that steps several times
 * in one frame (a small model decodes many tokens per frame; each call
 * gives at most one per generator) calls step again only while this fits
 * in what is left of its budget:
 *
 *     int64_t left = budget_us, next;
 *     do {
 *         llamac_generators_step(gens, n, left, steps);   ... use steps ...
 *         left = budget_us - (now - frame_start);
 *     } while (some step is TOKEN or DONE
 *              && llamac_generators_next_us(gens, n, left, &next) == LLAMAC_OK
 *              && next > 0 && next <= left);
 *
 * Changes nothing (it reads the context's cost figures: one thread at a
 * time per context, as for every call on it); *us is written only on
 * success. Errors: those of llamac_generators_step's arguments,
 * LLAMAC_ERR_INVALID_ARG for a NULL us. */
LLAMAC_API llamac_status llamac_generators_next_us(llamac_generator *const *gens, int32_t n, int64_t budget_us,
                                                   int64_t *us);

/* Ends the generator's response at once: a pass it takes part in is
 * dropped (with the tokens of the other generators in it, which are
 * decoded again by their next step), a prompt being decoded is removed
 * from the cache (the cache is as before llamac_generator_submit), and
 * the response stops with LLAMAC_STOP_CANCELLED. A sampled token not yet
 * decoded stays pending for the next prompt. Never waits. Errors:
 * LLAMAC_ERR_INVALID_ARG (NULL gen). */
LLAMAC_API llamac_status llamac_generator_cancel(llamac_generator *gen);

/* ---- worker mode ----
 * The library runs generation on a thread it owns; the game thread only
 * submits text, cancels and polls events, and none of these calls waits
 * for a decode (each takes a mutex for a list update: no allocation,
 * computation or I/O under it). The worker can load the model itself, so
 * a game never blocks on a load either:
 *
 *     llamac_worker_params wp = llamac_worker_default_params();
 *     wp.model_path = "npc.gguf";  wp.n_slots = 3;
 *     llamac_worker *w;  llamac_worker_new(&wp, &w);      // returns at once
 *     llamac_worker_submit(w, 0, "Hello", 5, NULL);          // queued even while loading
 *     each frame:
 *         llamac_worker_event ev;
 *         while (llamac_worker_poll(w, &ev) == LLAMAC_OK && ev.kind != LLAMAC_EVENT_NONE)
 *             if (ev.kind == LLAMAC_EVENT_TEXT) show(ev.slot, ev.text, ev.text_len);
 *     llamac_worker_free(w);                                 // at any moment
 *
 * Each slot is one NPC: a sequence of one shared context, with its own
 * sampler; the slots' tokens are decoded together in one batch
 * (llamac_generators_step). A slot answers its requests in order. Each
 * slot owns n_ctx / n_slots cells: a request whose text and n_predict
 * answer tokens would not fit in what is left of that share (or that
 * finds the context full) clears the slot's sequence and starts it over. The worker works in slices of budget_us (see the
 * budgeted generation above) and, with period_us > 0, starts at most one
 * slice per period: a CPU budget of budget_us / period_us of its threads.
 * Idle (nothing to do, or between slices) it sleeps on a condition
 * variable; the context's pool threads sleep 1 ms after the last decode
 * (docs/threading.md), so an idle worker uses no CPU.
 * A cancel, and llamac_worker_free, stop the pass in progress within one
 * unit (a layer, a chunk of output rows): the context's abort callback
 * reads an atomic flag; the other slots' tokens of that pass are decoded
 * again, with the same bits. A load in progress stops at its next
 * progress report. llamac_worker_free joins the thread and frees
 * everything, unread events included. */

typedef struct llamac_worker llamac_worker;

typedef struct llamac_worker_params {
    size_t struct_size;        /* set by llamac_worker_default_params() */
    const char *model_path;    /* the worker thread loads this model (path copied), or: */
    const llamac_model *model; /* an already loaded model (borrowed: it must outlive the
                                  worker); exactly one of model_path and model */
    bool repack;               /* model_path's llamac_model_params.repack (default true) */
    int32_t n_slots;           /* NPCs: sequences of the context, 1..64 (default 1) */
    uint32_t n_ctx;            /* context cells shared by the slots (default 0: 256 per slot) */
    int32_t n_threads;         /* the context's threads, the worker's own included (default 1;
                                  0: online CPUs) */
    int32_t n_predict;         /* most tokens per response (default 128; -1: no limit) */
    bool stop_at_eog;          /* default true */
    float temp;                /* <= 0 (default): greedy; else temperature + random pick */
    uint64_t seed;             /* slot i's random pick uses seed + i */
    int64_t budget_us;         /* work per slice (default 4000) */
    int64_t period_us;         /* >0: at most one slice per period (default 0: back to back) */
} llamac_worker_params;

/* Writes the defaults into the first `size` bytes of *params and sets
 * params->struct_size = size (see docs/abi.md). Thread-safe. */
LLAMAC_API void llamac_worker_params_init(llamac_worker_params *params, size_t size);
static inline llamac_worker_params llamac_worker_default_params(void) {
    llamac_worker_params p;
    llamac_worker_params_init(&p, sizeof p);
    return p;
}

typedef enum llamac_worker_state {
    LLAMAC_WORKER_LOADING = 0, /* loading the model, creating the context */
    LLAMAC_WORKER_READY = 1,
    LLAMAC_WORKER_FAILED = 2   /* the load failed (an ERROR event with slot -1 says why) */
} llamac_worker_state;

typedef enum llamac_worker_event_kind {
    LLAMAC_EVENT_NONE = 0,   /* the queue was empty */
    LLAMAC_EVENT_LOADED = 1, /* the model is loaded (slot -1) */
    LLAMAC_EVENT_TEXT = 2,   /* a token of a response and its text (may be empty: bytes held
                                back for stop strings or an unfinished character) */
    LLAMAC_EVENT_DONE = 3,   /* a response ended: stop says why (LLAMAC_STOP_CANCELLED after a cancel) */
    LLAMAC_EVENT_ERROR = 4   /* a request failed, or the load (slot -1): status, text = message */
} llamac_worker_event_kind;

typedef struct llamac_worker_event {
    llamac_worker_event_kind kind;
    int32_t slot;            /* -1 for the worker's own events */
    uint64_t request;        /* the id llamac_worker_submit gave; 0 for the worker's own */
    llamac_token token;      /* TEXT: the token, LLAMAC_TOKEN_NULL when it holds several */
    const char *text;        /* owned by the worker, valid until the next poll; NUL-terminated */
    size_t text_len;
    llamac_stop_reason stop; /* DONE */
    llamac_status status;    /* ERROR */
} llamac_worker_event;

/* Starts the worker thread and returns at once (the model loads on it).
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL, neither or both of model_path
 * and model, n_slots outside 1..64, negative budget_us, period_us or
 * n_threads, n_predict < -1, bad struct_size), LLAMAC_ERR_NO_MEMORY,
 * LLAMAC_ERR_IO (the thread could not start); *out is then NULL. A load
 * failure comes later as an ERROR event. */
LLAMAC_API llamac_status llamac_worker_new(const llamac_worker_params *params, llamac_worker **out);
/* Stops the worker at any point (loading, mid-prompt, mid-token), joins
 * its thread and frees everything. NULL is a no-op. Call from one thread,
 * with no other call on the worker running. */
LLAMAC_API void llamac_worker_free(llamac_worker *w);
/* Where the worker is; FAILED for NULL. Thread-safe. */
LLAMAC_API llamac_worker_state llamac_worker_get_state(const llamac_worker *w);
/* Queues text (copied; tokenized by the worker, with BOS when the slot's
 * sequence is empty) for slot's next response; *request_id (may be NULL)
 * gets the id its events carry. Allowed while loading. Errors:
 * LLAMAC_ERR_INVALID_ARG (NULL w, NULL text with text_len > 0, bad slot,
 * a worker whose load failed), LLAMAC_ERR_NO_MEMORY. Thread-safe. */
LLAMAC_API llamac_status llamac_worker_submit(llamac_worker *w, int32_t slot, const char *text, size_t text_len,
                                              uint64_t *request_id);
/* Ends slot's response in progress and drops its queued requests: each
 * of them gets its DONE event with LLAMAC_STOP_CANCELLED (every request
 * ends with exactly one DONE or ERROR event). Takes effect within one
 * unit of work. Errors: LLAMAC_ERR_INVALID_ARG (NULL w,
 * bad slot). Thread-safe. */
LLAMAC_API llamac_status llamac_worker_cancel(llamac_worker *w, int32_t slot);
/* Takes the oldest event, or kind LLAMAC_EVENT_NONE when there is none.
 * Its text stays valid until the next poll. Errors: LLAMAC_ERR_INVALID_ARG
 * (NULL w or event). Call from one thread at a time. */
LLAMAC_API llamac_status llamac_worker_poll(llamac_worker *w, llamac_worker_event *event);

/* ==== end of section 14 ==== */

#ifdef __cplusplus
}
#endif
#endif /* LLAMAC_H */
