/* The payload of a state as a byte stream: written through deflate (or
 * stored) with a running CRC-32 into a caller buffer or a file, and read
 * back the same way from a buffer or a file. zlib allocates through the
 * model's allocator. Neither side ever holds more than a 64 KiB staging
 * block besides the caller's data. */
#ifndef LLAMAC_STATE_STREAM_H
#define LLAMAC_STATE_STREAM_H

#include "common/internal.h"

#include <zlib.h>

#define LC_STAGE_BYTES 65536u

typedef struct lc_sink {
    const lc_env *env;
    uint8_t *buf;      /* buffer target: stored bytes go to buf[0..cap) */
    size_t cap;
    int fd;            /* file target (buf == NULL) */
    const char *path;
    uint64_t stored;   /* stored bytes produced (beyond cap too: then only counted) */
    uint64_t raw;      /* payload bytes given */
    uint32_t crc;      /* CRC-32 of the payload bytes */
    bool deflate, z_live;
    z_stream z;
    uint8_t *stage;    /* deflate output before it goes to the target */
    llamac_status st;  /* first failure; later writes do nothing */
} lc_sink;

/* level 0: stored; 1..9: deflate. Targets: buf/cap, or fd/path when buf is
 * NULL; with neither (fd < 0) the sink only counts. */
llamac_status lc_sink_open(lc_sink *s, const lc_env *env, int level, uint8_t *buf, size_t cap, int fd,
                           const char *path);
void lc_sink_write(lc_sink *s, const void *data, size_t n);
/* Flushes deflate; returns the first failure of the whole stream. */
llamac_status lc_sink_finish(lc_sink *s);
void lc_sink_close(lc_sink *s);

typedef struct lc_source {
    const lc_env *env;
    const uint8_t *buf; /* buffer source, or NULL: fd */
    int fd;
    const char *what;   /* names the input in messages */
    uint64_t left;      /* stored bytes not yet handed to inflate / copied */
    uint64_t raw_left;  /* payload bytes still to come */
    uint32_t crc;
    bool inflate, z_live;
    z_stream z;
    uint8_t *stage;     /* file input block */
} lc_source;

/* The payload of `stored` bytes that must give exactly `raw` bytes. For a
 * buffer, buf points at the payload; for a file, fd is positioned at it. */
llamac_status lc_source_open(lc_source *s, const lc_env *env, bool inflate, const uint8_t *buf, int fd,
                             const char *what, uint64_t stored, uint64_t raw);
/* Exactly n payload bytes into dst (n <= what is left). */
llamac_status lc_source_read(lc_source *s, void *dst, size_t n);
/* After every payload byte was read: the stream must end here, with no
 * stored byte left over and no further output. */
llamac_status lc_source_end(lc_source *s);
void lc_source_close(lc_source *s);

/* The byte-shuffle filter over n elements of `elem` bytes: byte j of every
 * element, for j = 0 .. elem-1 (all low bytes, then all high bytes of F16). */
void lc_shuffle(const uint8_t *in, uint8_t *out, size_t n, size_t elem);
void lc_unshuffle(const uint8_t *in, uint8_t *out, size_t n, size_t elem);

/* read()/write() loops that survive EINTR and short transfers. */
llamac_status lc_read_all(int fd, void *buf, size_t n, const char *path);
llamac_status lc_write_all(int fd, const void *buf, size_t n, const char *path);

#endif
