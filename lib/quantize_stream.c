/* Writing a GGUF whose tensors are produced one at a time.
 *
 * The GGUF writer borrows every tensor's bytes until it writes the file, so
 * handing it a whole model would hold the model in memory (13.5 GB for a
 * 7B F16 file). Instead the writer lays the file out with every tensor
 * pointing at one zeroed buffer (sized for the largest tensor), which puts
 * the header, table and padding exactly where llama.cpp expects them; then
 * each tensor is produced into that same buffer and written over its
 * placeholder at the offset the file's own table gives. The price is
 * writing the data area twice; the gain is memory near one tensor.
 * (A writer entry point with a per-tensor producer callback would remove
 * the first pass; see the report in docs/tools.md.) */
#include "quantize.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static llamac_status io_error(const char *what, const char *path, int err) {
    char msg[128];
    if (strerror_r(err, msg, sizeof msg)) snprintf(msg, sizeof msg, "errno %d", err);
    return lc_fail(LLAMAC_ERR_IO, "%s '%s': %s", what, path, msg);
}

static llamac_status pwrite_all(int fd, const uint8_t *p, uint64_t n, uint64_t off, const char *path) {
    while (n) {
        ssize_t r = pwrite(fd, p, (size_t)LC_MIN(n, (uint64_t)1 << 30), (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return io_error("writing", path, r < 0 ? errno : EIO);
        p += r;
        n -= (uint64_t)r;
        off += (uint64_t)r;
    }
    return LLAMAC_OK;
}

/* Absolute file offset of every tensor, read back from the file's table,
 * checking that the writer kept our order and sizes. */
static llamac_status read_offsets(const lc_env *env, const char *tmp, const lc_stream_tensor *t,
                                  int64_t n_t, uint64_t *offsets) {
    llamac_gguf_params gp = llamac_gguf_default_params();
    gp.allocator = &env->alloc;
    llamac_gguf *g = NULL;
    llamac_status st = llamac_gguf_open(tmp, &gp, &g);
    if (st) return st;
    if (llamac_gguf_n_tensors(g) != n_t)
        st = lc_fail(LLAMAC_ERR_INTERNAL, "'%s' has %" PRId64 " tensors, %" PRId64 " were added",
                     tmp, llamac_gguf_n_tensors(g), n_t);
    for (int64_t i = 0; i < n_t && !st; i++) {
        llamac_tensor_info info;
        st = llamac_gguf_tensor(g, i, &info);
        if (!st && (strcmp(info.name, t[i].name) || info.n_bytes != t[i].n_bytes))
            st = lc_fail(LLAMAC_ERR_INTERNAL, "'%s': tensor %" PRId64 " is '%s' (%" PRIu64
                         " bytes), expected '%s' (%" PRIu64 " bytes)",
                         tmp, i, info.name, info.n_bytes, t[i].name, t[i].n_bytes);
        if (!st) offsets[i] = llamac_gguf_data_offset(g) + info.offset;
    }
    llamac_gguf_free(g);
    return st;
}

static llamac_status fill_all(const char *tmp, const lc_stream_tensor *t, int64_t n_t,
                              const uint64_t *offsets, uint8_t *buf, lc_stream_fill_fn fill,
                              void *user) {
    int fd = open(tmp, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot reopen", tmp, errno);
    llamac_status st = LLAMAC_OK;
    for (int64_t i = 0; i < n_t && !st; i++) {
        st = fill(user, i, buf, t[i].n_bytes);
        if (!st) st = pwrite_all(fd, buf, t[i].n_bytes, offsets[i], tmp);
    }
    if (!st && fsync(fd)) st = io_error("syncing", tmp, errno);
    if (close(fd) && !st) st = io_error("closing", tmp, errno);
    return st;
}

llamac_status lc_gguf_write_streamed(const lc_env *env, llamac_gguf_writer *w,
                                     const lc_stream_tensor *t, int64_t n_t,
                                     lc_stream_fill_fn fill, void *user, const char *path) {
    uint64_t max = 1;
    for (int64_t i = 0; i < n_t; i++) max = LC_MAX(max, t[i].n_bytes);
    if (max > SIZE_MAX)
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "a tensor of %" PRIu64 " bytes does not fit in memory", max);
    uint8_t *buf = lc_calloc(env, 1, (size_t)max);
    uint64_t *offsets = lc_calloc(env, (size_t)n_t + 1, sizeof *offsets);
    size_t tmp_len = strlen(path) + 64;
    char *tmp = lc_malloc(env, tmp_len);
    llamac_status st = buf && offsets && tmp ? LLAMAC_OK : LLAMAC_ERR_NO_MEMORY;
    for (int64_t i = 0; i < n_t && !st; i++)
        st = llamac_gguf_writer_add_tensor(w, t[i].name, t[i].type, t[i].n_dims, t[i].ne, buf,
                                           t[i].n_bytes);
    bool created = false;
    if (!st) {
        /* pid + buffer address: unique among concurrent writers */
        snprintf(tmp, tmp_len, "%s.part-%ld-%p", path, (long)getpid(), (void *)buf);
        st = llamac_gguf_writer_write(w, tmp);
        created = !st;
    }
    if (!st) st = read_offsets(env, tmp, t, n_t, offsets);
    if (!st) st = fill_all(tmp, t, n_t, offsets, buf, fill, user);
    if (!st && rename(tmp, path)) st = io_error("cannot rename the finished file to", path, errno);
    if (st && created) unlink(tmp);
    lc_free(env, tmp);
    lc_free(env, offsets);
    lc_free(env, buf);
    return st;
}
