/* llamac_gguf_writer_add_tensor_fn, the streaming entry point quantization
 * and synthesis write through: same bytes as borrowed data, tensors
 * produced in file order with memory near one tensor, and a failing
 * producer leaves nothing behind. */
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <string.h>
#include <unistd.h>

#define N_T 3
#define T_ELEMS (256 * 1024) /* 1 MiB of F32 per tensor */

static float *tensor_data(int i) {
    static float data[N_T][T_ELEMS];
    for (int k = 0; k < T_ELEMS; k++) data[i][k] = (float)(i * 1000 + k % 977);
    return data[i];
}

typedef struct producer {
    int calls;
    char order[N_T][32];
    int fail_at; /* call index that fails, -1 never */
} producer;

static llamac_status produce(void *user, const char *name, void *dst, uint64_t n_bytes) {
    producer *p = user;
    assert_int_equal(n_bytes, T_ELEMS * sizeof(float));
    if (p->calls == p->fail_at) {
        p->calls++;
        return LLAMAC_ERR_CANCELLED;
    }
    snprintf(p->order[p->calls], sizeof p->order[0], "%s", name);
    int i = name[1] - '0';
    memcpy(dst, tensor_data(i), (size_t)n_bytes);
    p->calls++;
    return LLAMAC_OK;
}

typedef struct counting {
    size_t largest;
} counting;
static void *count_malloc(void *u, size_t n) {
    counting *c = u;
    if (n > c->largest) c->largest = n;
    return malloc(n);
}
static void *count_realloc(void *u, void *p, size_t n) {
    counting *c = u;
    if (n > c->largest) c->largest = n;
    return realloc(p, n);
}
static void count_free(void *u, void *p) {
    (void)u;
    free(p);
}

/* Tensors t0, t1, t2; with_fn[i] picks the producer for tensor i. */
static llamac_status write_file(const char *path, const bool with_fn[N_T], producer *p, const llamac_allocator *a) {
    llamac_gguf_writer *w = NULL;
    assert_int_equal(llamac_gguf_writer_new(a, &w), LLAMAC_OK);
    assert_int_equal(llamac_gguf_writer_set_string(w, "general.architecture", "llama"), LLAMAC_OK);
    const int64_t ne[2] = {1024, 256};
    for (int i = 0; i < N_T; i++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", i);
        llamac_status st = with_fn[i]
            ? llamac_gguf_writer_add_tensor_fn(w, name, LLAMAC_TYPE_F32, 2, ne, T_ELEMS * sizeof(float), produce, p)
            : llamac_gguf_writer_add_tensor(w, name, LLAMAC_TYPE_F32, 2, ne, tensor_data(i), T_ELEMS * sizeof(float));
        assert_int_equal(st, LLAMAC_OK);
    }
    llamac_status st = llamac_gguf_writer_write(w, path);
    llamac_gguf_writer_free(w);
    return st;
}

static void produced_tensors_write_the_same_bytes(void **state) {
    (void)state;
    char dir[] = "/tmp/llamac-test-stream-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char borrowed[128], streamed[128], mixed[128];
    snprintf(borrowed, sizeof borrowed, "%s/borrowed.gguf", dir);
    snprintf(streamed, sizeof streamed, "%s/streamed.gguf", dir);
    snprintf(mixed, sizeof mixed, "%s/mixed.gguf", dir);
    const bool none[N_T] = {false, false, false}, all[N_T] = {true, true, true}, some[N_T] = {true, false, true};
    producer p = {0, {{0}}, -1};
    assert_int_equal(write_file(borrowed, none, &p, NULL), LLAMAC_OK);
    assert_int_equal(p.calls, 0);
    counting c = {0};
    llamac_allocator a = {count_malloc, count_realloc, count_free, &c};
    assert_int_equal(write_file(streamed, all, &p, &a), LLAMAC_OK);
    assert_int_equal(p.calls, 3);
    assert_string_equal(p.order[0], "t0");
    assert_string_equal(p.order[1], "t1");
    assert_string_equal(p.order[2], "t2");
    /* one tensor's buffer, not three */
    assert_true(c.largest >= T_ELEMS * sizeof(float));
    assert_true(c.largest < 2 * T_ELEMS * sizeof(float));
    assert_true(test_files_equal(borrowed, streamed));
    p.calls = 0;
    assert_int_equal(write_file(mixed, some, &p, NULL), LLAMAC_OK);
    assert_int_equal(p.calls, 2);
    assert_true(test_files_equal(borrowed, mixed));
    unlink(borrowed);
    unlink(streamed);
    unlink(mixed);
    assert_int_equal(rmdir(dir), 0);
}

static void failing_producer_leaves_nothing(void **state) {
    (void)state;
    char dir[] = "/tmp/llamac-test-stream-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/x.gguf", dir);
    const bool all[N_T] = {true, true, true};
    producer p = {0, {{0}}, 1};
    assert_int_equal(write_file(path, all, &p, NULL), LLAMAC_ERR_CANCELLED);
    assert_int_equal(p.calls, 2); /* stopped at the failure */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rmdir(dir), 0); /* empty: no temporary file remains */

    llamac_gguf_writer *w = NULL;
    assert_int_equal(llamac_gguf_writer_new(NULL, &w), LLAMAC_OK);
    const int64_t ne[1] = {32};
    assert_int_equal(llamac_gguf_writer_add_tensor_fn(w, "t", LLAMAC_TYPE_F32, 1, ne, 128, NULL, NULL),
                     LLAMAC_ERR_INVALID_ARG);
    /* the usual checks hold: size must match type and shape */
    assert_int_equal(llamac_gguf_writer_add_tensor_fn(w, "t", LLAMAC_TYPE_F32, 1, ne, 100, produce, &p),
                     LLAMAC_ERR_INVALID_ARG);
    llamac_gguf_writer_free(w);
}

int main(void) {
    return run_cases(NULL, NULL,
                     produced_tensors_write_the_same_bytes,
                     failing_producer_leaves_nothing);
}
