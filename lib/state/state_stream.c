/* Payload streams of state files; see state_stream.h. */
#include "state_stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* zlib's allocations through the model's allocator. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    size_t n;
    if (lc_mul_overflow_size(items, size, &n)) return Z_NULL;
    return lc_malloc(opaque, n);
}

static void z_free(voidpf opaque, voidpf p) { lc_free(opaque, p); }

static void z_hooks(z_stream *z, const lc_env *env) {
    memset(z, 0, sizeof *z);
    z->zalloc = z_alloc;
    z->zfree = z_free;
    z->opaque = (voidpf)env;
}

llamac_status lc_read_all(int fd, void *buf, size_t n, const char *path) {
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return lc_fail(LLAMAC_ERR_IO, "reading '%s' failed (errno %d)", path, errno);
        if (r == 0) return lc_fail(LLAMAC_ERR_FORMAT, "'%s' ends %zu bytes early (truncated)", path, n);
        p += r;
        n -= (size_t)r;
    }
    return LLAMAC_OK;
}

llamac_status lc_write_all(int fd, const void *buf, size_t n, const char *path) {
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return lc_fail(LLAMAC_ERR_IO, "writing '%s' failed (errno %d)", path, errno);
        p += w;
        n -= (size_t)w;
    }
    return LLAMAC_OK;
}

void lc_shuffle(const uint8_t *in, uint8_t *out, size_t n, size_t elem) {
    for (size_t j = 0; j < elem; j++)
        for (size_t i = 0; i < n; i++) out[j * n + i] = in[i * elem + j];
}

void lc_unshuffle(const uint8_t *in, uint8_t *out, size_t n, size_t elem) {
    for (size_t j = 0; j < elem; j++)
        for (size_t i = 0; i < n; i++) out[i * elem + j] = in[j * n + i];
}

/* ---- sink ---- */

static void emit(lc_sink *s, const uint8_t *p, size_t n) {
    if (s->st != LLAMAC_OK || n == 0) return;
    if (s->buf || s->fd < 0) { /* no buffer and no file: only count */
        if (s->buf && s->stored < s->cap) memcpy(s->buf + s->stored, p, LC_MIN((uint64_t)n, s->cap - s->stored));
    } else {
        s->st = lc_write_all(s->fd, p, n, s->path);
    }
    s->stored += n;
}

llamac_status lc_sink_open(lc_sink *s, const lc_env *env, int level, uint8_t *buf, size_t cap, int fd,
                           const char *path) {
    memset(s, 0, sizeof *s);
    s->env = env;
    s->buf = buf;
    s->cap = cap;
    s->fd = fd;
    s->path = path;
    s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    s->deflate = level > 0;
    if (!s->deflate) return LLAMAC_OK;
    if (!(s->stage = lc_malloc(env, LC_STAGE_BYTES))) return LLAMAC_ERR_NO_MEMORY;
    z_hooks(&s->z, env);
    const int zr = deflateInit2(&s->z, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
    if (zr != Z_OK) {
        lc_sink_close(s);
        return lc_fail(zr == Z_MEM_ERROR ? LLAMAC_ERR_NO_MEMORY : LLAMAC_ERR_INTERNAL,
                       "starting deflate (level %d) failed: zlib status %d", level, zr);
    }
    s->z_live = true;
    return LLAMAC_OK;
}

static void deflate_run(lc_sink *s, int flush) {
    int zr;
    do {
        s->z.next_out = s->stage;
        s->z.avail_out = LC_STAGE_BYTES;
        zr = deflate(&s->z, flush);
        if (zr == Z_STREAM_ERROR) {
            s->st = lc_fail(LLAMAC_ERR_INTERNAL, "deflate failed: zlib status %d", zr);
            return;
        }
        emit(s, s->stage, LC_STAGE_BYTES - s->z.avail_out);
    } while (s->st == LLAMAC_OK && (s->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END)));
}

void lc_sink_write(lc_sink *s, const void *data, size_t n) {
    if (s->st != LLAMAC_OK || n == 0) return;
    const uint8_t *p = data;
    s->raw += n;
    /* zlib's counters are 32-bit: feed at most 1 GiB at a time */
    for (size_t off = 0; off < n && s->st == LLAMAC_OK;) {
        const size_t k = LC_MIN(n - off, (size_t)1 << 30);
        s->crc = (uint32_t)crc32(s->crc, p + off, (uInt)k);
        if (!s->deflate) {
            emit(s, p + off, k);
        } else {
            s->z.next_in = (Bytef *)(uintptr_t)(p + off);
            s->z.avail_in = (uInt)k;
            deflate_run(s, Z_NO_FLUSH);
        }
        off += k;
    }
}

llamac_status lc_sink_finish(lc_sink *s) {
    if (s->deflate && s->st == LLAMAC_OK) {
        s->z.next_in = Z_NULL;
        s->z.avail_in = 0;
        deflate_run(s, Z_FINISH);
    }
    return s->st;
}

void lc_sink_close(lc_sink *s) {
    if (s->z_live) deflateEnd(&s->z);
    s->z_live = false;
    lc_free(s->env, s->stage);
    s->stage = NULL;
}

/* ---- source ---- */

llamac_status lc_source_open(lc_source *s, const lc_env *env, bool inflate, const uint8_t *buf, int fd,
                             const char *what, uint64_t stored, uint64_t raw) {
    memset(s, 0, sizeof *s);
    s->env = env;
    s->buf = buf;
    s->fd = fd;
    s->what = what;
    s->left = stored;
    s->raw_left = raw;
    s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    s->inflate = inflate;
    if (!buf && !(s->stage = lc_malloc(env, LC_STAGE_BYTES))) return LLAMAC_ERR_NO_MEMORY;
    if (!inflate) return LLAMAC_OK;
    z_hooks(&s->z, env);
    const int zr = inflateInit2(&s->z, 15);
    if (zr != Z_OK) {
        lc_source_close(s);
        return lc_fail(zr == Z_MEM_ERROR ? LLAMAC_ERR_NO_MEMORY : LLAMAC_ERR_INTERNAL,
                       "starting inflate failed: zlib status %d", zr);
    }
    s->z_live = true;
    return LLAMAC_OK;
}

/* The next block of stored bytes (at most `want`, never past what the
 * header declares): a pointer into the buffer, or the file's next block. */
static llamac_status next_block(lc_source *s, uint64_t want, const uint8_t **p, size_t *n) {
    size_t k = (size_t)LC_MIN(s->left, LC_MIN(want, (uint64_t)(s->buf ? (size_t)1 << 30 : LC_STAGE_BYTES)));
    if (s->buf) {
        *p = s->buf;
        s->buf += k;
    } else {
        llamac_status st = lc_read_all(s->fd, s->stage, k, s->what);
        if (st != LLAMAC_OK) return st;
        *p = s->stage;
    }
    s->left -= k;
    *n = k;
    return LLAMAC_OK;
}

static llamac_status zerr(const lc_source *s, int zr) {
    if (zr == Z_MEM_ERROR) return lc_fail(LLAMAC_ERR_NO_MEMORY, "%s: out of memory inflating the payload", s->what);
    return lc_fail(LLAMAC_ERR_FORMAT, "%s: the payload's deflate stream is damaged (%s)", s->what,
                   s->z.msg ? s->z.msg : "zlib status");
}

/* Inflates into next_out/avail_out as set by the caller until it is full
 * or the stream ends; *ended says which. */
static llamac_status inflate_into(lc_source *s, bool *ended) {
    *ended = false;
    while (s->z.avail_out > 0) {
        if (s->z.avail_in == 0 && s->left > 0) {
            const uint8_t *p;
            size_t n;
            llamac_status st = next_block(s, UINT64_MAX, &p, &n);
            if (st != LLAMAC_OK) return st;
            s->z.next_in = (Bytef *)(uintptr_t)p;
            s->z.avail_in = (uInt)n;
        }
        const uInt before_in = s->z.avail_in, before_out = s->z.avail_out;
        const int zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            *ended = true;
            return LLAMAC_OK;
        }
        if (zr == Z_BUF_ERROR || (zr == Z_OK && before_in == s->z.avail_in && before_out == s->z.avail_out)) {
            if (s->z.avail_in == 0 && s->left == 0)
                return lc_fail(LLAMAC_ERR_FORMAT, "%s: the deflate stream ends before the payload does (truncated)",
                               s->what);
            continue;
        }
        if (zr != Z_OK) return zerr(s, zr);
    }
    return LLAMAC_OK;
}

llamac_status lc_source_read(lc_source *s, void *dst, size_t n) {
    if (n == 0) return LLAMAC_OK;
    if ((uint64_t)n > s->raw_left)
        return lc_fail(LLAMAC_ERR_INTERNAL, "%s: read of %zu bytes past the payload", s->what, n);
    uint8_t *out = dst;
    for (size_t off = 0; off < n;) {
        const size_t k = LC_MIN(n - off, (size_t)1 << 30);
        if (!s->inflate) {
            for (size_t got = 0; got < k;) {
                const uint8_t *p;
                size_t m;
                llamac_status st = next_block(s, k - got, &p, &m);
                if (st != LLAMAC_OK) return st;
                if (m == 0) /* the header checks make this unreachable; never spin */
                    return lc_fail(LLAMAC_ERR_FORMAT, "%s: the stored payload ends early", s->what);
                memcpy(out + off + got, p, m);
                got += m;
            }
        } else {
            s->z.next_out = out + off;
            s->z.avail_out = (uInt)k;
            bool ended;
            llamac_status st = inflate_into(s, &ended);
            if (st != LLAMAC_OK) return st;
            if (s->z.avail_out > 0)
                return lc_fail(LLAMAC_ERR_FORMAT,
                               "%s: the deflate stream ends after %lu payload bytes, before the end the header "
                               "declares",
                               s->what, (unsigned long)s->z.total_out);
        }
        s->crc = (uint32_t)crc32(s->crc, out + off, (uInt)k);
        off += k;
    }
    s->raw_left -= n;
    return LLAMAC_OK;
}

llamac_status lc_source_end(lc_source *s) {
    if (s->inflate) {
        /* The stream must end now: one more byte of output would be more
         * than the header declared (the bomb case). */
        uint8_t extra;
        s->z.next_out = &extra;
        s->z.avail_out = 1;
        bool ended;
        llamac_status st = inflate_into(s, &ended);
        if (st != LLAMAC_OK) return st;
        if (!ended)
            return lc_fail(LLAMAC_ERR_FORMAT,
                           "%s: the deflate stream inflates to more than the %llu payload bytes the header declares",
                           s->what, (unsigned long long)s->z.total_out - 1);
    }
    const uint64_t unused = s->left + (s->inflate ? s->z.avail_in : 0);
    if (unused)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s: %llu stored bytes follow the end of the payload stream", s->what,
                       (unsigned long long)unused);
    return LLAMAC_OK;
}

void lc_source_close(lc_source *s) {
    if (s->z_live) inflateEnd(&s->z);
    s->z_live = false;
    lc_free(s->env, s->stage);
    s->stage = NULL;
}
