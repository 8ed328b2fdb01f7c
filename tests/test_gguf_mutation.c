/* Seeded mutation of valid GGUF files: every truncation and many random
 * byte changes must give either a handle or an error status with a
 * one-line message -- never a crash, an out-of-bounds read (run under
 * ASan: every buffer is exactly the file's size) or a leak (a counting
 * allocator must be back to zero). `--long` soaks for minutes. */
#include "test_alloc.h"
#include "test_util.h"

#include "llamac.h"
#include "test_gguf_cases.h"

#include <string.h>
#include <sys/stat.h>

static bool long_run;

static uint64_t next_random(uint64_t *s) { /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* Reads everything an open handle offers, so a bad index or pointer built
 * from a mutated file shows up under ASan. Returns a checksum. */
static uint64_t touch_everything(const llamac_gguf *g) {
    uint64_t sum = 0;
    for (int64_t i = 0; i < llamac_gguf_n_kv(g); i++) {
        const char *key = llamac_gguf_key(g, i);
        sum += strlen(key);
        const char *s;
        uint64_t len, n;
        llamac_gguf_type et;
        const void *data;
        double d;
        int64_t v;
        switch (llamac_gguf_kv_type(g, i)) {
        case LLAMAC_GGUF_STRING:
            if (llamac_gguf_get_string(g, key, &s, &len) == LLAMAC_OK) sum += len + (unsigned char)s[len];
            break;
        case LLAMAC_GGUF_ARRAY:
            if (llamac_gguf_get_array(g, key, &et, &n, &data)) break;
            if (et == LLAMAC_GGUF_STRING)
                for (uint64_t k = 0; k < n; k++)
                    if (llamac_gguf_get_array_string(g, key, k, &s, &len) == LLAMAC_OK)
                        sum += len + (unsigned char)s[len];
            if (data && n) sum += ((const unsigned char *)data)[0];
            break;
        case LLAMAC_GGUF_FLOAT32:
        case LLAMAC_GGUF_FLOAT64:
            if (llamac_gguf_get_f64(g, key, &d) == LLAMAC_OK) sum += d == d;
            break;
        default:
            if (llamac_gguf_get_i64(g, key, &v) == LLAMAC_OK) sum += (uint64_t)v;
            break;
        }
    }
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info t;
        if (llamac_gguf_tensor(g, i, &t)) continue;
        const unsigned char *d = t.data;
        sum += d[0] + d[t.n_bytes - 1] + strlen(t.name);
    }
    return sum;
}

/* Opens `size` bytes at p; checks the outcome; returns true on success. */
static bool open_checked(const unsigned char *p, size_t size, uint64_t *sum) {
    alloc_counter c;
    llamac_allocator a = counting_allocator(&c, -1);
    llamac_gguf_params params = llamac_gguf_default_params();
    params.allocator = &a;
    llamac_gguf *g = NULL;
    llamac_status st = llamac_gguf_open_memory(p, size, &params, &g);
    if (st == LLAMAC_OK) {
        assert_non_null(g);
        *sum += touch_everything(g);
        /* re-encoding what was read must work too */
        llamac_gguf_writer *w;
        assert_int_equal(llamac_gguf_writer_new(&a, &w), LLAMAC_OK);
        assert_int_equal(llamac_gguf_writer_copy_kv(w, g), LLAMAC_OK);
        llamac_gguf_writer_free(w);
        llamac_gguf_free(g);
    } else {
        assert_null(g);
        const char *msg = llamac_last_error();
        assert_true(st == LLAMAC_ERR_FORMAT || st == LLAMAC_ERR_UNSUPPORTED);
        assert_true(msg[0] != '\0');
        assert_null(strchr(msg, '\n'));
    }
    assert_int_equal(c.live, 0);
    return st == LLAMAC_OK;
}

static void every_truncation_fails_cleanly(void **state) {
    (void)state;
    gbuf b = {0};
    gguf_build_valid(&b);
    size_t data_end = gguf_valid_data_end();
    uint64_t sum = 0;
    for (size_t len = 0; len <= b.len; len++) {
        unsigned char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, b.p, len);
        bool ok = open_checked(copy, len, &sum);
        /* only cutting the final padding leaves a valid file */
        assert_int_equal(ok, len >= data_end);
        free(copy);
    }
    gb_free(&b);
}

/* Changes 1..4 random bytes of `src` per round; returns how many rounds
 * produced a file that still opened. */
static long mutate_rounds(const unsigned char *src, size_t len, long rounds, uint64_t seed) {
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, src, len);
    uint64_t rng = seed, sum = 0;
    long opened = 0;
    for (long r = 0; r < rounds; r++) {
        size_t pos[4];
        int n = 1 + (int)(next_random(&rng) % 4);
        for (int k = 0; k < n; k++) {
            uint64_t x = next_random(&rng);
            pos[k] = (size_t)(x % len);
            /* mostly single-bit flips, sometimes a whole random or extreme byte */
            switch ((x >> 32) % 4) {
            case 0: buf[pos[k]] = (unsigned char)(x >> 40); break;
            case 1: buf[pos[k]] = (x >> 40) & 1 ? 0xff : 0x00; break;
            default: buf[pos[k]] ^= (unsigned char)(1u << ((x >> 40) % 8)); break;
            }
        }
        opened += open_checked(buf, len, &sum);
        for (int k = 0; k < n; k++) buf[pos[k]] = src[pos[k]];
    }
    free(buf);
    return opened;
}

static void random_byte_changes_never_crash_or_leak(void **state) {
    (void)state;
    gbuf b = {0};
    gguf_build_valid(&b);
    long rounds = long_run ? 3000000 : 10000;
    long opened = mutate_rounds(b.p, b.len, rounds, 0x9e3779b97f4a7c15ULL);
    /* both outcomes must occur, or the mutations test nothing */
    assert_true(opened > 0);
    assert_true(opened < rounds);
    printf("    %ld of %ld mutated files still valid\n", opened, rounds);
    gb_free(&b);
}

/* The long run also mutates the metadata of a real model file. */
static void real_model_mutations_never_crash_or_leak(void **state) {
    (void)state;
    char buf[512];
    SKIP_WITHOUT_SHARED(path, buf, "models/tiny-Q4_K_M.gguf");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    size_t len = (size_t)sb.st_size;
    unsigned char *file = malloc(len);
    assert_non_null(file);
    assert_int_equal(fread(file, 1, len, f), len);
    fclose(f);
    /* Mutate only the header and metadata (the first 44864 bytes hold all
     * of it), but hand the reader the whole file. */
    unsigned char *head = malloc(len);
    assert_non_null(head);
    memcpy(head, file, len);
    uint64_t rng = 12345, sum = 0;
    long rounds = long_run ? 200000 : 300, opened = 0;
    for (long r = 0; r < rounds; r++) {
        uint64_t x = next_random(&rng);
        size_t pos = (size_t)(x % 44864);
        head[pos] ^= (unsigned char)(1u << ((x >> 32) % 8));
        opened += open_checked(head, len, &sum);
        head[pos] = file[pos];
    }
    assert_true(opened > 0);
    free(head);
    free(file);
}

int main(int argc, char **argv) {
    long_run = test_part(argc, argv, "--long");
    return run_parts(test_part(argc, argv, "--shared"), NULL, NULL,
                     CASES(every_truncation_fails_cleanly, random_byte_changes_never_crash_or_leak),
                     CASES(real_model_mutations_never_crash_or_leak));
}
