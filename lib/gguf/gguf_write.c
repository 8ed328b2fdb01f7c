/* GGUF writer: collects metadata and borrowed tensor data, then writes a
 * v3 file laid out the way ggml lays it out (gguf_private.h): tensors in
 * insertion order, each starting where the previous one's data, padded
 * to the alignment, ends. llama.cpp requires exactly that placement. */
#include "gguf_private.h"

#include "common/os.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A value or header being built; the first failed growth sticks in
 * `failed`, so a run of puts is checked once at its end. */
typedef struct bytes {
    const lc_env *env;
    lc_bytes buf;
    bool failed;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (!b->failed && lc_bytes_append(b->env, &b->buf, src, n)) b->failed = true;
}

static void put_le(bytes *b, uint64_t v, size_t n) {
    unsigned char le[8];
    for (size_t i = 0; i < n; i++) le[i] = (unsigned char)(v >> (8 * i));
    put(b, le, n);
}

static void put_str(bytes *b, const char *s, size_t len) {
    put_le(b, len, 8);
    put(b, s, len);
}

typedef struct wkv {
    char *key;
    unsigned char *val; /* the value as GGUF bytes, from its type tag on */
    size_t val_len;
} wkv;

typedef struct wtensor {
    char *name;
    uint32_t n_dims;
    int64_t ne[LC_GGUF_MAX_DIMS];
    llamac_type type;
    const void *data;
    uint64_t n_bytes;
    llamac_gguf_tensor_fill_fn fill; /* set: bytes produced at write time */
    void *fill_user;
} wtensor;

struct llamac_gguf_writer {
    lc_env env;
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
};

llamac_status llamac_gguf_writer_new(const llamac_allocator *allocator, llamac_gguf_writer **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_gguf_writer_new: out is NULL");
    lc_env env;
    lc_env_init(&env, allocator, NULL, NULL);
    *out = lc_calloc(&env, 1, sizeof **out);
    if (!*out) return LLAMAC_ERR_NO_MEMORY;
    (*out)->env = env;
    return LLAMAC_OK;
}

void llamac_gguf_writer_free(llamac_gguf_writer *w) {
    if (!w) return;
    lc_env env = w->env;
    for (size_t i = 0; i < w->n_kv; i++) {
        lc_free(&env, w->kv[i].key);
        lc_free(&env, w->kv[i].val);
    }
    for (size_t i = 0; i < w->n_t; i++) lc_free(&env, w->t[i].name);
    lc_free(&env, w->kv);
    lc_free(&env, w->t);
    lc_free(&env, w);
}

/* Stores the value bytes of b under `key` (taking b's buffer), replacing
 * an existing value in place. */
static llamac_status set_raw(llamac_gguf_writer *w, const char *key, bytes *b) {
    llamac_status st = LLAMAC_OK;
    size_t len = key ? strlen(key) : 0;
    if (!w || !key) st = lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: writer or key is NULL");
    else if (!len) st = lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: empty key");
    else if (!lc_utf8_valid((const unsigned char *)key, len))
        st = lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: key '%.200s' is not valid UTF-8", key);
    else if (b->failed) st = LLAMAC_ERR_NO_MEMORY;
    if (st) {
        if (w) lc_free(&w->env, b->buf.data);
        return st;
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key)) continue;
        lc_free(&w->env, w->kv[i].val);
        w->kv[i].val = (unsigned char *)b->buf.data;
        w->kv[i].val_len = b->buf.len;
        return LLAMAC_OK;
    }
    char *k = lc_strdup(&w->env, key);
    if (!k || lc_grow(&w->env, &w->kv, &w->cap_kv, w->n_kv + 1, sizeof *w->kv)) {
        lc_free(&w->env, k);
        lc_free(&w->env, b->buf.data);
        return LLAMAC_ERR_NO_MEMORY;
    }
    w->kv[w->n_kv++] = (wkv){k, (unsigned char *)b->buf.data, b->buf.len};
    return LLAMAC_OK;
}

static bytes new_bytes(const llamac_gguf_writer *w) {
    bytes b = {w ? &w->env : NULL, {0}, w == NULL};
    return b;
}

/* Appends n host-order elements of a fixed-size type as little-endian. */
static void put_elems(bytes *b, llamac_gguf_type type, const void *data, uint64_t n) {
    size_t size = lc_gguf_scalar_size(type);
    const unsigned char *src = data;
    for (uint64_t i = 0; i < n && !b->failed; i++) {
        uint64_t v = 0;
        if (type == LLAMAC_GGUF_BOOL) {
            bool x;
            memcpy(&x, src + i * sizeof x, sizeof x);
            v = x;
        } else if (size == 1) {
            v = src[i];
        } else if (size == 2) {
            uint16_t x;
            memcpy(&x, src + i * 2, 2);
            v = x;
        } else if (size == 4) {
            uint32_t x;
            memcpy(&x, src + i * 4, 4);
            v = x;
        } else {
            memcpy(&v, src + i * 8, 8);
        }
        put_le(b, v, size);
    }
}

llamac_status llamac_gguf_writer_set_value(llamac_gguf_writer *w, const char *key,
                                           llamac_gguf_type type, bool is_array, const void *data,
                                           uint64_t n) {
    LC_REQUIRE(w);
    LC_REQUIRE(key);
    size_t size = lc_gguf_scalar_size(type);
    if (!size)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "GGUF writer: key '%.200s': type %d is not a fixed-size value type",
                       key ? key : "(null)", (int)type);
    if (!is_array && n != 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: key '%.200s': a scalar needs n == 1",
                       key ? key : "(null)");
    if (!data && n) return lc_null_arg(__func__, "data");
    if (n > SIZE_MAX / 8)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: key '%.200s': %" PRIu64
                       " elements is too many", key ? key : "(null)", n);
    bytes b = new_bytes(w);
    if (is_array) {
        put_le(&b, LLAMAC_GGUF_ARRAY, 4);
        put_le(&b, (uint64_t)type, 4);
        put_le(&b, n, 8);
    } else {
        put_le(&b, (uint64_t)type, 4);
    }
    put_elems(&b, type, data, n);
    return set_raw(w, key, &b);
}

/* One scalar value: the typed setters below differ only in the type. The
 * NULL checks name the public function that was called. */
static llamac_status set_scalar(const char *fn, llamac_gguf_writer *w, const char *key, llamac_gguf_type type,
                                const void *v) {
    if (!w) return lc_null_arg(fn, "w");
    if (!key) return lc_null_arg(fn, "key");
    return llamac_gguf_writer_set_value(w, key, type, false, v, 1);
}

llamac_status llamac_gguf_writer_set_u32(llamac_gguf_writer *w, const char *key, uint32_t v) {
    return set_scalar(__func__, w, key, LLAMAC_GGUF_UINT32, &v);
}
llamac_status llamac_gguf_writer_set_i32(llamac_gguf_writer *w, const char *key, int32_t v) {
    return set_scalar(__func__, w, key, LLAMAC_GGUF_INT32, &v);
}
llamac_status llamac_gguf_writer_set_u64(llamac_gguf_writer *w, const char *key, uint64_t v) {
    return set_scalar(__func__, w, key, LLAMAC_GGUF_UINT64, &v);
}
llamac_status llamac_gguf_writer_set_f32(llamac_gguf_writer *w, const char *key, float v) {
    return set_scalar(__func__, w, key, LLAMAC_GGUF_FLOAT32, &v);
}
llamac_status llamac_gguf_writer_set_bool(llamac_gguf_writer *w, const char *key, bool v) {
    return set_scalar(__func__, w, key, LLAMAC_GGUF_BOOL, &v);
}

llamac_status llamac_gguf_writer_set_string(llamac_gguf_writer *w, const char *key,
                                            const char *str) {
    LC_REQUIRE(w);
    LC_REQUIRE(key);
    LC_REQUIRE(str);
    bytes b = new_bytes(w);
    put_le(&b, LLAMAC_GGUF_STRING, 4);
    put_str(&b, str, strlen(str));
    return set_raw(w, key, &b);
}

llamac_status llamac_gguf_writer_set_string_array(llamac_gguf_writer *w, const char *key,
                                                  const char *const *strs, uint64_t n) {
    LC_REQUIRE(w);
    LC_REQUIRE(key);
    if (!strs && n) return lc_null_arg(__func__, "strs");
    for (uint64_t i = 0; i < n; i++)
        if (!strs || !strs[i])
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "GGUF writer: key '%.200s': string %" PRIu64 " is NULL",
                           key ? key : "(null)", i);
    bytes b = new_bytes(w);
    put_le(&b, LLAMAC_GGUF_ARRAY, 4);
    put_le(&b, LLAMAC_GGUF_STRING, 4);
    put_le(&b, n, 8);
    for (uint64_t i = 0; i < n && !b.failed; i++) put_str(&b, strs[i], strlen(strs[i]));
    return set_raw(w, key, &b);
}

llamac_status llamac_gguf_writer_copy_kv(llamac_gguf_writer *w, const llamac_gguf *src) {
    LC_REQUIRE(w);
    LC_REQUIRE(src);
    for (int64_t i = 0; i < src->n_kv; i++) {
        /* The source was validated at open: its raw value bytes are a
         * well-formed GGUF value and can be copied as they are. */
        const lc_gguf_kv *kv = &src->kv[i];
        bytes b = new_bytes(w);
        put(&b, kv->raw, (size_t)kv->raw_len);
        llamac_status st = set_raw(w, lc_gguf_cstr(src, kv->key), &b);
        if (st) return st;
    }
    return LLAMAC_OK;
}

llamac_status llamac_gguf_writer_set_alignment(llamac_gguf_writer *w, uint32_t alignment) {
    LC_REQUIRE(w);
    if (!alignment || (alignment & (alignment - 1)))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "GGUF writer: alignment %" PRIu32 " is not a power of two", alignment);
    return llamac_gguf_writer_set_u32(w, "general.alignment", alignment);
}

/* Adds a tensor whose bytes are `data` or, when fill is set, produced by
 * fill at write time. */
static llamac_status add_tensor(llamac_gguf_writer *w, const char *name, llamac_type type,
                                uint32_t n_dims, const int64_t *ne, const void *data,
                                uint64_t n_bytes, llamac_gguf_tensor_fill_fn fill, void *fill_user) {
    if (!w || !name || !ne)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: writer, name or ne is NULL");
    size_t len = strlen(name);
    if (!len || len > LC_GGUF_MAX_TENSOR_NAME)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "GGUF writer: tensor name '%.200s' has %zu bytes; llama.cpp accepts 1..%d",
                       name, len, LC_GGUF_MAX_TENSOR_NAME);
    for (size_t i = 0; i < w->n_t; i++)
        if (!strcmp(w->t[i].name, name))
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: duplicate tensor '%s'", name);
    if (n_dims < 1 || n_dims > LC_GGUF_MAX_DIMS)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: tensor '%s': n_dims %" PRIu32
                       " is not 1..4", name, n_dims);
    wtensor t = {NULL, n_dims, {1, 1, 1, 1}, type, data, n_bytes, fill, fill_user};
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] < 1)
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "GGUF writer: tensor '%s': dimension %" PRIu32 " is %" PRId64, name, d,
                           ne[d]);
        t.ne[d] = ne[d];
    }
    uint64_t expected = 0;
    if ((unsigned)type >= LLAMAC_TYPE_COUNT || lc_tensor_size(type, t.ne, &expected))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "GGUF writer: tensor '%s': type %d with shape [%" PRId64 ", %" PRId64
                       ", %" PRId64 ", %" PRId64 "] is not a valid tensor",
                       name, (int)type, t.ne[0], t.ne[1], t.ne[2], t.ne[3]);
    if (n_bytes != expected)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "GGUF writer: tensor '%s': n_bytes is %" PRIu64 ", its type and shape need %" PRIu64,
                       name, n_bytes, expected);
    if (!data && !fill)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: tensor '%s': data is NULL", name);
    t.name = lc_strdup(&w->env, name);
    if (!t.name || lc_grow(&w->env, &w->t, &w->cap_t, w->n_t + 1, sizeof *w->t)) {
        lc_free(&w->env, t.name);
        return LLAMAC_ERR_NO_MEMORY;
    }
    w->t[w->n_t++] = t;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_writer_add_tensor(llamac_gguf_writer *w, const char *name,
                                            llamac_type type, uint32_t n_dims, const int64_t *ne,
                                            const void *data, uint64_t n_bytes) {
    LC_REQUIRE(w);
    LC_REQUIRE(name);
    LC_REQUIRE(ne);
    LC_REQUIRE(data);
    return add_tensor(w, name, type, n_dims, ne, data, n_bytes, NULL, NULL);
}

llamac_status llamac_gguf_writer_add_tensor_fn(llamac_gguf_writer *w, const char *name,
                                               llamac_type type, uint32_t n_dims,
                                               const int64_t *ne, uint64_t n_bytes,
                                               llamac_gguf_tensor_fill_fn fill, void *user) {
    LC_REQUIRE(w);
    LC_REQUIRE(name);
    LC_REQUIRE(ne);
    LC_REQUIRE(fill);
    return add_tensor(w, name, type, n_dims, ne, NULL, n_bytes, fill, user);
}

/* ---- writing the file ---- */

static uint64_t pad_to(uint64_t n, uint64_t a) { return (a - n % a) % a; }

/* The alignment the file will declare (general.alignment if set). */
static llamac_status file_alignment(const llamac_gguf_writer *w, uint32_t *a) {
    *a = LC_GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, "general.alignment")) continue;
        const wkv *kv = &w->kv[i];
        if (kv->val_len != 8 || lc_le32(kv->val) != LLAMAC_GGUF_UINT32)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: general.alignment must be UINT32");
        *a = lc_le32(kv->val + 4);
        if (!*a || (*a & (*a - 1)))
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "GGUF writer: general.alignment %" PRIu32 " is not a power of two", *a);
    }
    return LLAMAC_OK;
}

/* Everything before the data section, padded to the alignment. */
static llamac_status build_header(const llamac_gguf_writer *w, uint32_t align, bytes *b) {
    put(b, "GGUF", 4);
    put_le(b, 3, 4);
    put_le(b, w->n_t, 8);
    put_le(b, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(b, w->kv[i].key, strlen(w->kv[i].key));
        put(b, w->kv[i].val, w->kv[i].val_len);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        put_str(b, t->name, strlen(t->name));
        put_le(b, t->n_dims, 4);
        for (uint32_t d = 0; d < t->n_dims; d++) put_le(b, (uint64_t)t->ne[d], 8);
        put_le(b, (uint64_t)t->type, 4);
        put_le(b, offset, 8);
        if (lc_add_overflow_u64(offset, t->n_bytes, &offset) ||
            lc_add_overflow_u64(offset, pad_to(offset, align), &offset))
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "GGUF writer: total tensor data overflows 64 bits");
    }
    static const unsigned char zeros[64];
    for (uint64_t pad = w->n_t ? pad_to(b->buf.len, align) : 0; pad && !b->failed;) {
        size_t k = (size_t)LC_MIN(pad, sizeof zeros);
        put(b, zeros, k);
        pad -= k;
    }
    return b->failed ? LLAMAC_ERR_NO_MEMORY : LLAMAC_OK;
}

static llamac_status write_all(int fd, const void *data, uint64_t n, const char *path) {
    const unsigned char *p = data;
    while (n) {
        ssize_t r = write(fd, p, (size_t)LC_MIN(n, (uint64_t)1 << 30));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            char msg[128];
            return lc_fail(LLAMAC_ERR_IO, "writing '%s': %s", path, lc_errno_text(errno, msg, sizeof msg));
        }
        p += r;
        n -= (uint64_t)r;
    }
    return LLAMAC_OK;
}

static llamac_status write_zeros(int fd, uint64_t n, const char *path) {
    static const unsigned char zeros[4096];
    llamac_status st = LLAMAC_OK;
    while (n && !st) {
        uint64_t k = LC_MIN(n, sizeof zeros);
        st = write_all(fd, zeros, k, path);
        n -= k;
    }
    return st;
}

/* Tensors added with a fill callback are produced one at a time into one
 * buffer sized for the largest of them, so memory stays near one tensor. */
static llamac_status write_body(const llamac_gguf_writer *w, int fd, const bytes *header,
                                uint32_t align, const char *tmp) {
    uint64_t fill_max = 0;
    for (size_t i = 0; i < w->n_t; i++)
        if (w->t[i].fill) fill_max = LC_MAX(fill_max, w->t[i].n_bytes);
    if (fill_max > SIZE_MAX)
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "GGUF writer: a tensor of %" PRIu64 " bytes does not fit in memory",
                       fill_max);
    void *buf = NULL;
    if (fill_max && !(buf = lc_malloc(&w->env, (size_t)fill_max))) return LLAMAC_ERR_NO_MEMORY;
    llamac_status st = write_all(fd, header->buf.data, header->buf.len, tmp);
    for (size_t i = 0; i < w->n_t && !st; i++) {
        const wtensor *t = &w->t[i];
        if (t->fill) st = t->fill(t->fill_user, t->name, buf, t->n_bytes);
        if (!st) st = write_all(fd, t->fill ? buf : t->data, t->n_bytes, tmp);
        if (!st) st = write_zeros(fd, pad_to(t->n_bytes, align), tmp);
    }
    lc_free(&w->env, buf);
    if (!st && fsync(fd)) st = lc_fail(LLAMAC_ERR_IO, "syncing '%s' failed (errno %d)", tmp, errno);
    return st;
}

llamac_status llamac_gguf_writer_write(llamac_gguf_writer *w, const char *path) {
    LC_REQUIRE(w);
    LC_REQUIRE(path);
    uint32_t align;
    llamac_status st = file_alignment(w, &align);
    if (st) return st;
    bytes header = new_bytes(w);
    size_t tmp_len = strlen(path) + 64;
    char *tmp = lc_malloc(&w->env, tmp_len);
    if (!tmp) return LLAMAC_ERR_NO_MEMORY;
    /* pid + handle address make the name unique among concurrent writers. */
    snprintf(tmp, tmp_len, "%s.tmp-%ld-%p", path, (long)getpid(), (void *)w);
    st = build_header(w, align, &header);
    int fd = -1;
    if (!st) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            char msg[128];
            st = lc_fail(LLAMAC_ERR_IO, "cannot create '%s': %s", tmp, lc_errno_text(errno, msg, sizeof msg));
        }
    }
    if (!st) st = write_body(w, fd, &header, align, tmp);
    if (fd >= 0 && close(fd) && !st) st = lc_fail(LLAMAC_ERR_IO, "closing '%s' failed", tmp);
    if (!st && rename(tmp, path))
        st = lc_fail(LLAMAC_ERR_IO, "cannot rename '%s' to '%s' (errno %d)", tmp, path, errno);
    if (st && fd >= 0) unlink(tmp);
    lc_free(&w->env, tmp);
    lc_free(&w->env, header.buf.data);
    return st;
}
