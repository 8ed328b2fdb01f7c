/* Opening a GGUF file: map it read-only (or read it into memory), hand the
 * bytes to the parser, and release everything on free. */
#include "gguf_private.h"
#include "common/os.h"
#include "common/params.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void llamac_gguf_params_init(llamac_gguf_params *params, size_t size) {
    static const llamac_gguf_params defaults = {
        .use_mmap = true,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

static llamac_status new_handle(const char *function, const llamac_gguf_params *in, llamac_gguf **out,
                                bool *use_mmap) {
    llamac_gguf_params p;
    llamac_gguf_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, in, function, "llamac_gguf");
    if (params_st) return params_st;
    lc_env env;
    lc_env_init(&env, p.allocator, p.log_fn, p.log_user);
    llamac_gguf *g = lc_calloc(&env, 1, sizeof *g);
    if (!g) return LLAMAC_ERR_NO_MEMORY;
    g->env = env;
    *out = g;
    *use_mmap = p.use_mmap;
    return LLAMAC_OK;
}

static llamac_status io_fail(int err, const char *what, const char *path) {
    char msg[128];
    return lc_fail(LLAMAC_ERR_IO, "%s '%s': %s", what, path, lc_errno_text(err, msg, sizeof msg));
}

static llamac_status read_all(llamac_gguf *g, int fd, size_t n, const char *path) {
    g->buf = lc_malloc_aligned(&g->env, n, 64);
    if (!g->buf) return LLAMAC_ERR_NO_MEMORY;
    size_t got = 0;
    while (got < n) {
        size_t chunk = LC_MIN(n - got, (size_t)1 << 30);
        ssize_t r = read(fd, g->buf + got, chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return io_fail(errno, "cannot read", path);
        if (r == 0)
            return lc_fail(LLAMAC_ERR_IO, "'%s' shrank while being read: %zu of %zu bytes", path,
                           got, n);
        got += (size_t)r;
    }
    g->base = g->buf;
    g->size = n;
    return LLAMAC_OK;
}

/* What a non-regular file is, in words a user recognizes. */
static const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO/named pipe";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

/* O_NONBLOCK keeps open() from waiting for a writer when the path is a FIFO
 * (or for carrier on some devices); only a regular file is accepted after
 * fstat, and for one the flag is dropped again so reads are plain. */
static llamac_status open_regular(const char *path, int *fd_out, struct stat *sb) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return io_fail(errno, "cannot open", path);
    llamac_status st = LLAMAC_OK;
    int flags;
    if (fstat(fd, sb)) st = io_fail(errno, "cannot stat", path);
    else if (!S_ISREG(sb->st_mode))
        st = lc_fail(LLAMAC_ERR_IO, "'%s' is %s, not a regular file", path,
                     file_kind(sb->st_mode));
    else if ((uint64_t)sb->st_size > SIZE_MAX)
        st = lc_fail(LLAMAC_ERR_UNSUPPORTED, "'%s' is larger than this platform can address", path);
    else if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        st = io_fail(errno, "cannot clear O_NONBLOCK on", path);
    if (st) {
        close(fd);
        return st;
    }
    *fd_out = fd;
    return LLAMAC_OK;
}

static llamac_status load_file(llamac_gguf *g, const char *path, bool use_mmap) {
    int fd = -1;
    struct stat sb;
    llamac_status st = open_regular(path, &fd, &sb);
    if (st) return st;
    size_t n = (size_t)sb.st_size;
    if (use_mmap && n > 0) {
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            g->map = m;
            g->base = m;
            g->size = n;
            close(fd);
            return LLAMAC_OK;
        }
        lc_log(&g->env, LLAMAC_LOG_WARN, "mmap of '%s' failed (errno %d); reading it instead",
               path, errno);
    }
    st = read_all(g, fd, n, path);
    close(fd);
    return st;
}

llamac_status llamac_gguf_open(const char *path, const llamac_gguf_params *params,
                               llamac_gguf **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_gguf_open: out is NULL");
    *out = NULL;
    if (!path) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_gguf_open: path is NULL");
    llamac_gguf *g = NULL;
    bool use_mmap;
    llamac_status st = new_handle(__func__, params, &g, &use_mmap);
    if (st) return st;
    st = load_file(g, path, use_mmap);
    if (!st) {
        st = lc_gguf_parse(g);
        if (st) lc_error_prefix("%s", path);
    }
    if (st) {
        llamac_gguf_free(g);
        return st;
    }
    lc_log(&g->env, LLAMAC_LOG_INFO, "%s: GGUF v%u, %lld keys, %lld tensors%s", path,
           (unsigned)g->version, (long long)g->n_kv, (long long)g->n_tensors,
           g->map ? " (mapped)" : "");
    *out = g;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_open_memory(const void *data, size_t size,
                                      const llamac_gguf_params *params, llamac_gguf **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_gguf_open_memory: out is NULL");
    *out = NULL;
    if (!data && size)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_gguf_open_memory: data is NULL, size %zu",
                       size);
    llamac_gguf *g = NULL;
    bool use_mmap;
    llamac_status st = new_handle(__func__, params, &g, &use_mmap);
    if (st) return st;
    g->base = data;
    g->size = size;
    st = lc_gguf_parse(g);
    if (st) {
        llamac_gguf_free(g);
        return st;
    }
    *out = g;
    return LLAMAC_OK;
}

void llamac_gguf_free(llamac_gguf *g) {
    if (!g) return;
    lc_env env = g->env;
    for (int64_t i = 0; g->kv && i < g->n_kv; i++) lc_free(&env, g->kv[i].str_offs);
    lc_free(&env, g->kv);
    lc_free(&env, g->tensors);
    lc_free(&env, g->kv_index.slots);
    lc_free(&env, g->tensor_index.slots);
    lc_free(&env, g->arena.data);
    if (g->map) munmap(g->map, (size_t)g->size);
    lc_free_aligned(&env, g->buf);
    lc_free(&env, g);
}

void lc_gguf_release_pages(const llamac_gguf *g, const void *p, size_t n) {
#ifdef MADV_DONTNEED
    if (!g->map || n == 0) return;
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    const uintptr_t a = (uintptr_t)p, sz = (uintptr_t)page;
    const uintptr_t lo = (a + sz - 1) / sz * sz, hi = (a + n) / sz * sz;
    /* advice only: a failure leaves the pages resident, nothing else */
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
#else
    (void)g, (void)p, (void)n;
#endif
}

bool lc_gguf_is_mapped(const llamac_gguf *g) { return g->map != NULL; }
