/* GGUF reader: validates every byte of a file's header (layout in
 * gguf_private.h) and indexes it, so the getters never see a bad value.
 * Untrusted counts are compared with the bytes left in the file before
 * anything is allocated for them; all sizes are overflow-checked. */
#include "gguf_private.h"

#include "common/sort.h"

#include "common/escape.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- where we are, for error messages ---- */

typedef enum section { SEC_HEADER, SEC_KV, SEC_TENSOR } section;
#define NO_ELEM UINT64_MAX

typedef struct parser {
    llamac_gguf *g;
    uint64_t pos;
    section sec;
    int64_t index;              /* key/value or tensor being read */
    const unsigned char *name;  /* its key or name once read, else NULL */
    uint64_t name_len;
    uint64_t elem;              /* array element being read, or NO_ELEM */
} parser;

static void describe(const parser *ps, char *buf, size_t cap) {
    char name[100] = "";
    if (ps->name) {
        char esc[90];
        lc_escape(esc, sizeof esc, ps->name, (size_t)ps->name_len);
        snprintf(name, sizeof name, " '%s'", esc);
    }
    int n;
    switch (ps->sec) {
    case SEC_HEADER: n = snprintf(buf, cap, "header"); break;
    case SEC_KV: n = snprintf(buf, cap, "key/value #%" PRId64 "%s", ps->index, name); break;
    default: n = snprintf(buf, cap, "tensor #%" PRId64 "%s", ps->index, name); break;
    }
    if (ps->elem != NO_ELEM && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, ", array element %" PRIu64, ps->elem);
}

static llamac_status pfail(const parser *ps, llamac_status st, const char *fmt, ...) LC_PRINTF(3, 4);
static llamac_status pfail(const parser *ps, llamac_status st, const char *fmt, ...) {
    char where[200], detail[300];
    describe(ps, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return lc_fail(st, "%s: %s", where, detail);
}

/* ---- primitive reads (little-endian, from ps->pos) ---- */

static uint64_t left(const parser *ps) { return ps->g->size - ps->pos; }

static llamac_status need(parser *ps, uint64_t n, const char *field) {
    if (n <= left(ps)) return LLAMAC_OK;
    return pfail(ps, LLAMAC_ERR_FORMAT,
                 "file truncated: %s at byte %" PRIu64 " needs %" PRIu64 " bytes, only %" PRIu64
                 " left (file is %" PRIu64 " bytes)",
                 field, ps->pos, n, left(ps), ps->g->size);
}

static llamac_status rd_u32(parser *ps, const char *field, uint32_t *v) {
    llamac_status st = need(ps, 4, field);
    if (st) return st;
    *v = lc_le32(ps->g->base + ps->pos);
    ps->pos += 4;
    return LLAMAC_OK;
}

static llamac_status rd_u64(parser *ps, const char *field, uint64_t *v) {
    llamac_status st = need(ps, 8, field);
    if (st) return st;
    *v = lc_le64(ps->g->base + ps->pos);
    ps->pos += 8;
    return LLAMAC_OK;
}

/* A string: u64 length, then that many bytes, which must all be present. */
static llamac_status rd_str(parser *ps, const char *field, const unsigned char **s, uint64_t *len) {
    uint64_t at = ps->pos;
    llamac_status st = need(ps, 8, field);
    if (st) return st;
    *len = lc_le64(ps->g->base + at);
    ps->pos += 8;
    if (*len > left(ps))
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "%s at byte %" PRIu64 " has length %" PRIu64 " but only %" PRIu64
                     " bytes follow in the file",
                     field, at, *len, left(ps));
    *s = ps->g->base + ps->pos;
    ps->pos += *len;
    return LLAMAC_OK;
}

/* ---- string arena and name index ---- */

static llamac_status arena_add(llamac_gguf *g, const unsigned char *s, uint64_t len, lc_gguf_str *out) {
    size_t off; /* len fits a size_t: the bytes are in memory */
    llamac_status st = lc_bytes_add_entry(&g->env, &g->arena, s, (size_t)len, &off);
    if (st) return st;
    out->off = off;
    out->len = len;
    return LLAMAC_OK;
}

static uint64_t hash_name(const char *s, uint64_t len) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (uint64_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

static lc_gguf_str name_of(const llamac_gguf *g, bool tensors, int64_t i) {
    return tensors ? g->tensors[i].name : g->kv[i].key;
}

static llamac_status index_init(llamac_gguf *g, lc_name_index *ix, int64_t n) {
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)n) cap *= 2;
    ix->slots = lc_calloc(&g->env, (size_t)cap, sizeof *ix->slots);
    if (!ix->slots) return LLAMAC_ERR_NO_MEMORY;
    ix->mask = cap - 1;
    return LLAMAC_OK;
}

/* Probes for (name, len); returns its index, or -1 with *slot the empty
 * slot where it would go. The table is never more than half full, so the
 * probe always ends. */
static int64_t index_probe(const llamac_gguf *g, bool tensors, const char *name, uint64_t len,
                           uint64_t *slot) {
    const lc_name_index *ix = tensors ? &g->tensor_index : &g->kv_index;
    for (uint64_t i = hash_name(name, len) & ix->mask;; i = (i + 1) & ix->mask) {
        int64_t e = ix->slots[i];
        if (!e) {
            *slot = i;
            return -1;
        }
        lc_gguf_str s = name_of(g, tensors, e - 1);
        if (s.len == len && !memcmp(g->arena.data + s.off, name, (size_t)len)) return e - 1;
    }
}

int64_t lc_gguf_lookup(const llamac_gguf *g, bool tensors, const char *name, uint64_t len) {
    uint64_t slot;
    if (!(tensors ? g->tensor_index.slots : g->kv_index.slots)) return -1;
    return index_probe(g, tensors, name, len, &slot);
}

/* Adds entry i (whose name is already set) unless the name is taken;
 * returns the earlier entry's index on a duplicate, else -1. */
static int64_t index_insert(llamac_gguf *g, bool tensors, int64_t i) {
    lc_gguf_str s = name_of(g, tensors, i);
    uint64_t slot;
    int64_t dup = index_probe(g, tensors, g->arena.data + s.off, s.len, &slot);
    if (dup >= 0) return dup;
    (tensors ? &g->tensor_index : &g->kv_index)->slots[slot] = i + 1;
    return -1;
}

/* ---- header ---- */

/* The least bytes one entry can occupy, used to refuse counts the file
 * cannot hold before allocating for them. */
#define MIN_KV_BYTES 13     /* key length 8, value type 4, a one-byte value */
#define MIN_TENSOR_BYTES 32 /* name length 8, n_dims 4, one dim 8, type 4, offset 8 */

static llamac_status parse_header(parser *ps, uint64_t *n_tensors, uint64_t *n_kv) {
    llamac_gguf *g = ps->g;
    llamac_status st = need(ps, 4, "magic");
    if (st) return st;
    if (memcmp(g->base, "GGUF", 4)) {
        char esc[40];
        lc_escape(esc, sizeof esc, g->base, 4);
        return pfail(ps, LLAMAC_ERR_FORMAT, "bad magic '%s' at byte 0, expected 'GGUF'", esc);
    }
    ps->pos = 4;
    uint32_t v;
    if ((st = rd_u32(ps, "version", &v))) return st;
    if (v == 1)
        return pfail(ps, LLAMAC_ERR_UNSUPPORTED,
                     "GGUF version 1 is not supported (only 2 and 3); convert the file with a "
                     "current llama.cpp");
    if (v > 3 && (v & 0xffff) == 0)
        return pfail(ps, LLAMAC_ERR_UNSUPPORTED,
                     "version field at byte 4 is 0x%08" PRIx32 ": a big-endian GGUF file? only "
                     "little-endian files are supported",
                     v);
    if (v != 2 && v != 3)
        return pfail(ps, LLAMAC_ERR_UNSUPPORTED,
                     "GGUF version %" PRIu32 " at byte 4 is not supported (only 2 and 3)", v);
    g->version = v;
    if ((st = rd_u64(ps, "tensor count", n_tensors))) return st;
    if ((st = rd_u64(ps, "key/value count", n_kv))) return st;
    if (*n_kv > left(ps) / MIN_KV_BYTES)
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "key/value count %" PRIu64 " (byte 16) cannot fit: each needs at least %d "
                     "bytes and only %" PRIu64 " bytes follow the header",
                     *n_kv, MIN_KV_BYTES, left(ps));
    if (*n_tensors > left(ps) / MIN_TENSOR_BYTES)
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "tensor count %" PRIu64 " (byte 8) cannot fit: each tensor info needs at "
                     "least %d bytes and only %" PRIu64 " bytes follow the header",
                     *n_tensors, MIN_TENSOR_BYTES, left(ps));
    return LLAMAC_OK;
}

/* ---- key/values ---- */

static llamac_status check_bools(parser *ps, const unsigned char *b, uint64_t n, uint64_t at) {
    for (uint64_t i = 0; i < n; i++)
        if (b[i] > 1)
            return pfail(ps, LLAMAC_ERR_FORMAT, "bool at byte %" PRIu64 " is %u, expected 0 or 1",
                         at + i, b[i]);
    return LLAMAC_OK;
}

/* Parses one value of `type` at ps->pos. A top-level value (kv non-NULL) is
 * recorded; the contents of nested arrays are validated and skipped. */
static llamac_status parse_value(parser *ps, uint32_t type, lc_gguf_kv *kv, int depth) {
    llamac_gguf *g = ps->g;
    llamac_status st;
    size_t size = lc_gguf_scalar_size(type);
    if (size) {
        if ((st = need(ps, size, "value"))) return st;
        if (type == LLAMAC_GGUF_BOOL && (st = check_bools(ps, g->base + ps->pos, 1, ps->pos)))
            return st;
        if (kv) kv->data = g->base + ps->pos;
        ps->pos += size;
        return LLAMAC_OK;
    }
    if (type == LLAMAC_GGUF_STRING) {
        const unsigned char *s;
        uint64_t len;
        if ((st = rd_str(ps, "string", &s, &len))) return st;
        return kv ? arena_add(g, s, len, &kv->str) : LLAMAC_OK;
    }
    if (type != LLAMAC_GGUF_ARRAY)
        return pfail(ps, LLAMAC_ERR_FORMAT, "unknown value type %" PRIu32 " (valid: 0..12)", type);

    if (depth >= LC_GGUF_MAX_NESTING)
        return pfail(ps, LLAMAC_ERR_FORMAT, "arrays nested deeper than %d levels at byte %" PRIu64,
                     LC_GGUF_MAX_NESTING, ps->pos);
    uint64_t at = ps->pos, n;
    uint32_t et;
    if ((st = rd_u32(ps, "array element type", &et))) return st;
    if (et > LLAMAC_GGUF_FLOAT64)
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "array at byte %" PRIu64 " has unknown element type %" PRIu32 " (valid: 0..12)",
                     at, et);
    if ((st = rd_u64(ps, "array length", &n))) return st;
    size = lc_gguf_scalar_size(et);
    uint64_t min = size ? size : et == LLAMAC_GGUF_STRING ? 8 : 12;
    if (n > left(ps) / min)
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "array at byte %" PRIu64 " claims %" PRIu64 " %s elements (at least %" PRIu64
                     " bytes each) but only %" PRIu64 " bytes follow",
                     at, n, llamac_gguf_type_name((llamac_gguf_type)et), min, left(ps));
    if (kv) {
        kv->elem_type = (llamac_gguf_type)et;
        kv->n = n;
    }
    if (size) {
        const unsigned char *elems = g->base + ps->pos;
        if (et == LLAMAC_GGUF_BOOL && (st = check_bools(ps, elems, n, ps->pos))) return st;
        if (kv) kv->data = elems;
        ps->pos += n * size;
        return LLAMAC_OK;
    }
    if (kv && et == LLAMAC_GGUF_STRING) {
        kv->str_offs = lc_calloc(&g->env, (size_t)n + 1, sizeof *kv->str_offs);
        if (!kv->str_offs) return LLAMAC_ERR_NO_MEMORY;
    }
    for (uint64_t i = 0; i < n; i++) {
        ps->elem = i;
        if (et == LLAMAC_GGUF_ARRAY) {
            st = parse_value(ps, et, NULL, depth + 1);
        } else {
            const unsigned char *s;
            uint64_t len;
            lc_gguf_str out = {0};
            st = rd_str(ps, "string", &s, &len);
            if (!st && kv) {
                st = arena_add(g, s, len, &out);
                kv->str_offs[i] = out.off;
            }
        }
        if (st) return st;
    }
    ps->elem = NO_ELEM;
    if (kv && kv->str_offs) kv->str_offs[n] = g->arena.len; /* strings are contiguous */
    return LLAMAC_OK;
}

static llamac_status parse_kvs(parser *ps) {
    llamac_gguf *g = ps->g;
    llamac_status st;
    ps->sec = SEC_KV;
    for (int64_t i = 0; i < g->n_kv; i++) {
        lc_gguf_kv *kv = &g->kv[i];
        const unsigned char *key;
        uint64_t key_at = ps->pos, len;
        uint32_t type;
        ps->index = i;
        ps->name = NULL;
        if ((st = rd_str(ps, "key", &key, &len))) return st;
        if (len == 0) return pfail(ps, LLAMAC_ERR_FORMAT, "empty key at byte %" PRIu64, key_at);
        ps->name = key;
        ps->name_len = len;
        if (!lc_utf8_valid(key, len) || memchr(key, 0, (size_t)len))
            return pfail(ps, LLAMAC_ERR_FORMAT,
                         "key at byte %" PRIu64 " is not valid UTF-8 (or contains a NUL byte)", key_at);
        if ((st = arena_add(g, key, len, &kv->key))) return st;
        int64_t dup = index_insert(g, false, i);
        if (dup >= 0)
            return pfail(ps, LLAMAC_ERR_FORMAT, "duplicate key (also key/value #%" PRId64 ")", dup);
        kv->raw = g->base + ps->pos;
        if ((st = rd_u32(ps, "value type", &type))) return st;
        if (type > LLAMAC_GGUF_FLOAT64)
            return pfail(ps, LLAMAC_ERR_FORMAT,
                         "unknown value type %" PRIu32 " at byte %" PRIu64 " (valid: 0..12)", type,
                         ps->pos - 4);
        kv->type = (llamac_gguf_type)type;
        if ((st = parse_value(ps, type, kv, 0))) return st;
        kv->raw_len = (uint64_t)(g->base + ps->pos - kv->raw);
    }
    return LLAMAC_OK;
}

static llamac_status read_alignment(parser *ps) {
    llamac_gguf *g = ps->g;
    static const char key[] = "general.alignment";
    int64_t i = lc_gguf_lookup(g, false, key, sizeof key - 1);
    g->alignment = LC_GGUF_DEFAULT_ALIGNMENT;
    if (i < 0) return LLAMAC_OK;
    ps->sec = SEC_KV;
    ps->index = i;
    ps->name = (const unsigned char *)key;
    ps->name_len = sizeof key - 1;
    if (g->kv[i].type != LLAMAC_GGUF_UINT32)
        return pfail(ps, LLAMAC_ERR_FORMAT, "has type %s, must be UINT32",
                     llamac_gguf_type_name(g->kv[i].type));
    uint32_t a = lc_le32(g->kv[i].data);
    if (a == 0 || (a & (a - 1)))
        return pfail(ps, LLAMAC_ERR_FORMAT, "alignment %" PRIu32 " is not a power of two", a);
    g->alignment = a;
    return LLAMAC_OK;
}

/* ---- tensor infos and data placement ---- */

static llamac_status parse_tensor(parser *ps, lc_gguf_tensor *t, int64_t i) {
    llamac_gguf *g = ps->g;
    llamac_status st;
    const unsigned char *name;
    uint64_t len, at;
    uint32_t n_dims, type;
    ps->index = i;
    ps->name = NULL;
    if ((st = rd_str(ps, "tensor name", &name, &len))) return st;
    if (memchr(name, 0, (size_t)len))
        return pfail(ps, LLAMAC_ERR_FORMAT, "tensor name at byte %" PRIu64 " contains a NUL byte",
                     ps->pos - len - 8);
    ps->name = name;
    ps->name_len = len;
    if ((st = arena_add(g, name, len, &t->name))) return st;
    int64_t dup = index_insert(g, true, i);
    if (dup >= 0)
        return pfail(ps, LLAMAC_ERR_FORMAT, "duplicate tensor name (also tensor #%" PRId64 ")", dup);

    at = ps->pos;
    if ((st = rd_u32(ps, "n_dims", &n_dims))) return st;
    if (n_dims < 1 || n_dims > LC_GGUF_MAX_DIMS)
        return pfail(ps, LLAMAC_ERR_FORMAT, "n_dims at byte %" PRIu64 " is %" PRIu32 ", must be 1..4",
                     at, n_dims);
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < LC_GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        at = ps->pos;
        if (d < n_dims && (st = rd_u64(ps, "dimension", &ne))) return st;
        if (ne == 0 || ne > INT64_MAX)
            return pfail(ps, LLAMAC_ERR_FORMAT,
                         "dimension %" PRIu32 " at byte %" PRIu64 " is %" PRId64
                         ", must be at least 1",
                         d, at, (int64_t)ne);
        t->ne[d] = (int64_t)ne;
    }
    at = ps->pos;
    if ((st = rd_u32(ps, "tensor type", &type))) return st;
    const char *tn = type < LLAMAC_TYPE_COUNT ? llamac_type_name((llamac_type)type) : NULL;
    if (!tn)
        return pfail(ps, LLAMAC_ERR_UNSUPPORTED,
                     "unknown tensor type %" PRIu32 " at byte %" PRIu64
                     " (retired or newer than this library)",
                     type, at);
    t->type = (llamac_type)type;
    switch (lc_tensor_size(t->type, t->ne, &t->n_bytes)) {
    case LC_TENSOR_SIZE_OK: break;
    case LC_TENSOR_SIZE_BAD_ROW:
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "row of %" PRId64 " elements is not a multiple of the %s block size %" PRId64,
                     t->ne[0], tn, llamac_type_block_size(t->type));
    case LC_TENSOR_SIZE_OVERFLOW_ELEMENTS:
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "shape [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                     "] has more elements than fit in 63 bits",
                     t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    default:
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "shape [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                     "] of type %s needs more bytes than fit in 64 bits",
                     t->ne[0], t->ne[1], t->ne[2], t->ne[3], tn);
    }
    return rd_u64(ps, "tensor data offset", &t->offset);
}

typedef struct span {
    uint64_t begin, end;
    int64_t index;
} span;

/* Spans order by start, ties by tensor index: a total order, so the sort
 * below gives the same sequence as any other correct sort. */
static bool span_less(const void *xp, const void *yp) {
    const span *x = xp, *y = yp;
    if (x->begin != y->begin) return x->begin < y->begin;
    return x->index < y->index;
}

static void point_at_tensor(parser *ps, int64_t i) {
    const lc_gguf_tensor *t = &ps->g->tensors[i];
    ps->sec = SEC_TENSOR;
    ps->index = i;
    ps->name = (const unsigned char *)lc_gguf_cstr(ps->g, t->name);
    ps->name_len = t->name.len;
}

/* Every tensor's bytes must be aligned, inside the file and disjoint. */
static llamac_status place_data(parser *ps) {
    llamac_gguf *g = ps->g;
    if (g->n_tensors == 0) {
        g->data_offset = ps->pos; /* vocab-only files may end without padding */
        return LLAMAC_OK;
    }
    uint64_t a = g->alignment, off;
    if (lc_add_overflow_u64(ps->pos, a - 1, &off)) off = UINT64_MAX;
    off -= off % a;
    if (off > g->size)
        return pfail(ps, LLAMAC_ERR_FORMAT,
                     "file truncated: the tensor infos end at byte %" PRIu64
                     ", so the data section starts at byte %" PRIu64 " (alignment %" PRIu64
                     "), past the end of the %" PRIu64 "-byte file",
                     ps->pos, off, a, g->size);
    g->data_offset = off;
    uint64_t data_size = g->size - off;
    span *spans = lc_calloc(&g->env, (size_t)g->n_tensors, sizeof *spans);
    if (!spans) return LLAMAC_ERR_NO_MEMORY;
    llamac_status st = LLAMAC_OK;
    for (int64_t i = 0; i < g->n_tensors && !st; i++) {
        const lc_gguf_tensor *t = &g->tensors[i];
        point_at_tensor(ps, i);
        if (t->offset % a)
            st = pfail(ps, LLAMAC_ERR_FORMAT,
                       "data offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
                       t->offset, a);
        else if (t->offset > data_size || t->n_bytes > data_size - t->offset)
            st = pfail(ps, LLAMAC_ERR_FORMAT,
                       "data at offset %" PRIu64 " with %" PRIu64
                       " bytes ends past the end of the file (the data section starts at byte %" PRIu64
                       " and holds %" PRIu64 " bytes)",
                       t->offset, t->n_bytes, off, data_size);
        spans[i] = (span){t->offset, t->offset + t->n_bytes, i};
    }
    if (!st) lc_heapsort(spans, (size_t)g->n_tensors, sizeof *spans, span_less);
    for (int64_t i = 1; i < g->n_tensors && !st; i++) {
        if (spans[i - 1].end <= spans[i].begin) continue;
        char other[90];
        lc_gguf_str s = g->tensors[spans[i - 1].index].name;
        lc_escape(other, sizeof other, lc_gguf_cstr(g, s), (size_t)s.len);
        point_at_tensor(ps, spans[i].index);
        st = pfail(ps, LLAMAC_ERR_FORMAT,
                   "data [%" PRIu64 ", %" PRIu64 ") overlaps tensor #%" PRId64 " '%s' at [%" PRIu64
                   ", %" PRIu64 ")",
                   spans[i].begin, spans[i].end, spans[i - 1].index, other, spans[i - 1].begin,
                   spans[i - 1].end);
    }
    lc_free(&g->env, spans);
    return st;
}

/* ---- the whole file ---- */

llamac_status lc_gguf_parse(llamac_gguf *g) {
    parser ps = {.g = g, .sec = SEC_HEADER, .index = -1, .elem = NO_ELEM};
    uint64_t n_tensors, n_kv;
    llamac_status st = parse_header(&ps, &n_tensors, &n_kv);
    if (st) return st;
    /* Both counts are bounded by the file size now. */
    g->kv = lc_calloc(&g->env, (size_t)n_kv, sizeof *g->kv);
    g->tensors = lc_calloc(&g->env, (size_t)n_tensors, sizeof *g->tensors);
    if (!g->kv || !g->tensors) return LLAMAC_ERR_NO_MEMORY;
    if ((st = index_init(g, &g->kv_index, (int64_t)n_kv))) return st;
    if ((st = index_init(g, &g->tensor_index, (int64_t)n_tensors))) return st;
    g->n_kv = (int64_t)n_kv;
    if ((st = parse_kvs(&ps))) return st;
    if ((st = read_alignment(&ps))) return st;
    g->n_tensors = (int64_t)n_tensors;
    ps.sec = SEC_TENSOR;
    for (int64_t i = 0; i < g->n_tensors; i++)
        if ((st = parse_tensor(&ps, &g->tensors[i], i))) return st;
    return place_data(&ps);
}
