/* A state's header and token ids without a model or context: for
 * `llamac state FILE` and for a prompt cache deciding whether a file's
 * tokens are a prefix of a new prompt before loading it. */
#include "state_format.h"
#include "state_stream.h"

#include <string.h>
#include <unistd.h>

/* The header at the start of `size` bytes, decoded and checked. */
static llamac_status header_of(const void *data, size_t size, lc_state_header *h) {
    if (size < LC_STATE_HEADER)
        return lc_fail(LLAMAC_ERR_FORMAT, "state: %zu bytes, shorter than the %d-byte header", size, LC_STATE_HEADER);
    return lc_state_header_decode(data, h);
}

llamac_status llamac_state_info_read(const void *data, size_t size, llamac_state_info *info) {
    LC_REQUIRE(data);
    LC_REQUIRE(info);
    lc_state_header h;
    llamac_status st = header_of(data, size, &h);
    if (st == LLAMAC_OK) lc_state_info_of(&h, info);
    return st;
}

llamac_status llamac_state_file_info(const char *path, llamac_state_info *info) {
    LC_REQUIRE(path);
    LC_REQUIRE(info);
    int fd;
    lc_state_header h;
    llamac_status st = lc_state_file_open(path, &fd, &h);
    if (st != LLAMAC_OK) return st;
    close(fd);
    lc_state_info_of(&h, info);
    return LLAMAC_OK;
}

/* The tokens are the payload's first section: inflate only that far. */
static llamac_status read_tokens(const lc_state_header *h, const uint8_t *buf, int fd, const char *what,
                                 llamac_token *tokens, size_t tokens_cap, size_t *n_tokens) {
    *n_tokens = (size_t)h->n_tokens;
    if (tokens_cap < (size_t)h->n_tokens || (!tokens && h->n_tokens > 0))
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL, "%s holds %d tokens, the buffer has room for %zu", what,
                       h->n_tokens, tokens ? tokens_cap : 0);
    if (h->n_tokens == 0) return LLAMAC_OK;
    /* no model here: the C library's allocator */
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_source src;
    llamac_status st = lc_source_open(&src, &env, h->flags & LC_STATE_DEFLATE, buf, fd, what, h->stored_bytes,
                                      h->raw_bytes);
    if (st != LLAMAC_OK) return st;
    st = lc_source_read(&src, tokens, 4 * (size_t)h->n_tokens);
    lc_source_close(&src);
    for (int32_t i = 0; i < h->n_tokens && st == LLAMAC_OK; i++)
        if (tokens[i] < 0 || tokens[i] >= h->fp.n_vocab)
            st = lc_fail(LLAMAC_ERR_FORMAT, "%s: token %d is id %d, outside the vocabulary (0..%d)", what, i,
                         tokens[i], h->fp.n_vocab - 1);
    return st;
}

llamac_status llamac_state_tokens(const void *data, size_t size, llamac_token *tokens, size_t tokens_cap,
                                  size_t *n_tokens) {
    LC_REQUIRE(data);
    LC_REQUIRE(n_tokens);
    lc_state_header h;
    llamac_status st = header_of(data, size, &h);
    if (st != LLAMAC_OK) return st;
    if (h.stored_bytes != size - LC_STATE_HEADER)
        return lc_fail(LLAMAC_ERR_FORMAT, "state: %zu bytes, the header declares %llu", size,
                       (unsigned long long)(h.stored_bytes + LC_STATE_HEADER));
    return read_tokens(&h, (const uint8_t *)data + LC_STATE_HEADER, -1, "state", tokens, tokens_cap, n_tokens);
}

llamac_status llamac_state_file_tokens(const char *path, llamac_token *tokens, size_t tokens_cap, size_t *n_tokens) {
    LC_REQUIRE(path);
    LC_REQUIRE(n_tokens);
    int fd;
    lc_state_header h;
    llamac_status st = lc_state_file_open(path, &fd, &h);
    if (st != LLAMAC_OK) return st;
    st = read_tokens(&h, NULL, fd, path, tokens, tokens_cap, n_tokens);
    close(fd);
    return st;
}
