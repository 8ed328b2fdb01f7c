/* GGUF files built byte by byte, independently of the library's writer:
 * one small valid file and a table of malformed ones, shared by the reader
 * tests, the mutation test and the `llamac info` driver. */
#ifndef LLAMAC_TEST_GGUF_CASES_H
#define LLAMAC_TEST_GGUF_CASES_H

#include "llamac.h"

#include <stddef.h>
#include <stdint.h>

typedef struct gbuf {
    unsigned char *p;
    size_t len, cap;
} gbuf;

void gb_free(gbuf *b);
void gb_bytes(gbuf *b, const void *src, size_t n);
void gb_u8(gbuf *b, uint8_t v);
void gb_u16(gbuf *b, uint16_t v);
void gb_u32(gbuf *b, uint32_t v);
void gb_u64(gbuf *b, uint64_t v);
void gb_str(gbuf *b, const char *s); /* u64 length + bytes */
void gb_pad(gbuf *b, size_t align);  /* zeros up to a multiple of align */

/* The valid reference file: v3, 16 key/values (every scalar type, an
 * array of u32, an array of 3 strings, a nested array), 3 tensors:
 *   "a" F32 [8]       offset 0    32 bytes
 *   "b" Q8_0 [32, 2]  offset 32   68 bytes
 *   "c" F16 [4, 3]    offset 128  24 bytes, then 8 bytes of padding
 * (ggml's placement: each tensor where the previous one's padded data ends).
 * Tensor bytes are i*7+1 for i from the start of the data section. */
void gguf_build_valid(gbuf *b);
#define GGUF_VALID_N_KV 16
#define GGUF_VALID_N_TENSORS 3
/* Offset of the data section in the valid file, and where "c" ends. */
size_t gguf_valid_data_offset(void);
size_t gguf_valid_data_end(void);


typedef struct gguf_case {
    const char *name;        /* the property, as a test name */
    void (*build)(gbuf *b);
    llamac_status status;    /* what llamac_gguf_open_memory must return */
    const char *message;     /* a substring the error message must contain */
} gguf_case;

extern const gguf_case gguf_bad_cases[];
extern const size_t gguf_n_bad_cases;

#endif
