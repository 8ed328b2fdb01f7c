/* Hostile-input sweep of the `llamac` program (issue 12): seeded mutations
 * of valid GGUF models (random byte changes, truncations, metadata bit
 * flips, boundary integers written over header fields), each run through
 * `llamac info`, `llamac run -n 2 -p x` and `llamac tokenize -p x`, plus the
 * odd paths (FIFO, directory, /dev/zero, /dev/urandom, an empty file) as the
 * model and as the prompt file. Every child has a wall-clock limit and is
 * classified: clean error (exit 1 or 2, a message on stderr, no signal),
 * success (exit 0), crash (a signal), hang (killed at the limit), other (any
 * other exit, or an error exit without a message). Fails on anything but
 * clean errors and successes; prints the counts as one line.
 *
 * Usage: test_hostile_sweep PATH/TO/llamac [N_FILES [SEED [TIMEOUT_S]]]
 * (default 10000 files, seed 1, 10 s). Models: ../shared/models/tiny-*.gguf
 * (env LLAMAC_SHARED) and the shipped model (env LLAMAC_SHIPPED_MODEL);
 * without ../shared, two models written by model_builder take the place of
 * the tiny ones. A file whose run failed is kept for reproduction. */
#include "test_util.h"
#include "test_tmpdir.h"

#include "llamac.h"
#include "model_builder.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BASES 24

typedef struct base_file {
    char path[512];
    unsigned char *bytes;
    size_t size;
    size_t header; /* bytes before the tensor data: keys, tensor infos */
} base_file;

typedef struct tally {
    long clean, success, crash, hang, other;
} tally;

static const char *llamac_bin;
static long n_files = 10000;
static uint64_t seed = 1;
static double timeout_s = 10.0;
static base_file bases[MAX_BASES];
static int n_bases;
static char work_dir[256];
static tm_spec built_spec; /* only for the fallback models */

static uint64_t next_random(uint64_t *s) { /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t *s, uint64_t n) { return n ? next_random(s) % n : 0; }

static bool load_base(const char *path) {
    if (n_bases == MAX_BASES) return false;
    base_file *b = &bases[n_bases];
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    b->bytes = n > 0 ? malloc((size_t)n) : NULL;
    bool ok = b->bytes && fread(b->bytes, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    llamac_gguf *g = NULL;
    if (ok && llamac_gguf_open_memory(b->bytes, (size_t)n, NULL, &g) == LLAMAC_OK) {
        b->size = (size_t)n;
        b->header = (size_t)llamac_gguf_data_offset(g);
        snprintf(b->path, sizeof b->path, "%s", path);
        llamac_gguf_free(g);
        n_bases++;
        return true;
    }
    free(b->bytes);
    b->bytes = NULL;
    return false;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ../shared/models/tiny-*.gguf in name order; false when there are none. */
static bool load_shared_bases(void) {
    const char *root = getenv("LLAMAC_SHARED");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", root && *root ? root : "../shared");
    DIR *d = opendir(dir);
    if (!d) return false;
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, "tiny-", 5) && len > 5 && !strcmp(e->d_name + len - 5, ".gguf"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, compare_names);
    int loaded = 0;
    for (int i = 0; i < n; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        loaded += load_base(path);
        free(names[i]);
    }
    return loaded > 0;
}

static void build_fallback_bases(void) {
    static const llamac_type types[] = {LLAMAC_TYPE_F32, LLAMAC_TYPE_Q8_0};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s/built-%zu.gguf", work_dir, i);
        tm_spec_default(&built_spec);
        built_spec.wtype = types[i];
        built_spec.seed = 100 + i;
        if (tm_write(&built_spec, path) == LLAMAC_OK) load_base(path);
        unlink(path);
    }
}

/* One mutation: a copy of the base with some bytes changed and maybe cut. */
typedef struct mutation {
    const base_file *base;
    size_t size;
    const char *kind;
} mutation;

static void poke_u64(unsigned char *p, size_t room, uint64_t v) {
    for (size_t k = 0; k < 8 && k < room; k++) p[k] = (unsigned char)(v >> (8 * k));
}

/* Writes mutation i of the sweep into buf (base-sized) and describes it. */
static mutation mutate(uint64_t *rng, unsigned char *buf) {
    const base_file *b = &bases[below(rng, (uint64_t)n_bases)];
    mutation m = {b, b->size, ""};
    memcpy(buf, b->bytes, b->size);
    /* Most changes land in the header, where the parser and the loaders make
     * their decisions; some in the tensor data (weights may turn to NaN). */
    const size_t region = below(rng, 8) ? b->header : b->size;
    switch (below(rng, 5)) {
    case 0: {
        m.kind = "random bytes";
        for (uint64_t k = 1 + below(rng, 8); k-- > 0;) buf[below(rng, region)] = (unsigned char)next_random(rng);
        break;
    }
    case 1:
        m.kind = "truncation";
        m.size = below(rng, 4) ? below(rng, b->header + 64) : below(rng, b->size);
        if (m.size > b->size) m.size = b->size - 1;
        break;
    case 2: {
        m.kind = "bit flips";
        for (uint64_t k = 1 + below(rng, 4); k-- > 0;) buf[below(rng, b->header)] ^= (unsigned char)(1u << below(rng, 8));
        break;
    }
    case 3: {
        /* Counts, lengths, types and dimensions are 4- or 8-byte fields. */
        static const uint64_t values[] = {0, 1, 2, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                                          0xFFFFFFFF, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull,
                                          0xFFFFFFFFFFFFFFFFull, 4096, 65536, 1u << 30};
        m.kind = "boundary integer";
        size_t at = below(rng, b->header) & ~(size_t)3;
        uint64_t v = values[below(rng, sizeof values / sizeof values[0])];
        poke_u64(buf + at, b->size - at, below(rng, 2) ? v : v & 0xFFFFFFFFu);
        break;
    }
    default: {
        m.kind = "bytes and a cut";
        for (uint64_t k = 1 + below(rng, 4); k-- > 0;) buf[below(rng, region)] = (unsigned char)next_random(rng);
        m.size = b->size - below(rng, b->size / 2 + 1);
        break;
    }
    }
    return m;
}

static bool write_file(const char *path, const unsigned char *bytes, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, bytes + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    return close(fd) == 0 && done == n;
}

/* Runs one child, tallies it; true if it was a clean error or a success. */
static bool run_one(tally *t, const char *const *args) {
    cli_result r;
    bool timed_out;
    /* A cap on address space turns a runaway allocation into a failed one
     * on this shared machine (not under ASan: see cli_limits). */
    cli_limits lim = {timeout_s, (size_t)8 << 30};
    cli_run_limited(&r, &timed_out, llamac_bin, args, lim);
    if (timed_out) {
        t->hang++;
        fprintf(stderr, "HANG (> %.0f s): llamac %s %s %s\n", timeout_s, args[0], args[1], args[2] ? args[2] : "");
        return false;
    }
    if (r.signal) {
        t->crash++;
        fprintf(stderr, "CRASH (signal %d): llamac %s %s %s\n%s\n", r.signal, args[0], args[1],
                args[2] ? args[2] : "", r.err);
        return false;
    }
    if (r.exit_code == 0) {
        t->success++;
        return true;
    }
    if ((r.exit_code == 1 || r.exit_code == 2) && r.err[0]) {
        t->clean++;
        return true;
    }
    t->other++;
    fprintf(stderr, "OTHER (exit %d, stderr '%s'): llamac %s %s\n", r.exit_code, r.err, args[0], args[1]);
    return false;
}

/* The three commands on one model file. */
static bool run_commands(tally *t, const char *model) {
    bool ok = run_one(t, (const char *[]){"info", model, NULL});
    ok &= run_one(t, (const char *[]){"run", "-m", model, "-n", "2", "-p", "x", "-t", "1", NULL});
    ok &= run_one(t, (const char *[]){"tokenize", "-m", model, "-p", "x", NULL});
    return ok;
}

static void odd_paths(tally *t, const char *good_model) {
    char fifo[300], dir[300], empty[300];
    snprintf(fifo, sizeof fifo, "%s/fifo", work_dir);
    snprintf(dir, sizeof dir, "%s/dir", work_dir);
    snprintf(empty, sizeof empty, "%s/empty", work_dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_true(write_file(empty, (const unsigned char *)"", 0));
    const char *odd[] = {fifo, dir, "/dev/zero", "/dev/urandom", empty};
    bool ok = true;
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ok &= run_commands(t, odd[i]);
        ok &= run_one(t, (const char *[]){"run", "-m", good_model, "-n", "2", "-f", odd[i], "-t", "1", NULL});
        ok &= run_one(t, (const char *[]){"tokenize", "-m", good_model, "-f", odd[i], NULL});
    }
    unlink(fifo);
    rmdir(dir);
    unlink(empty);
    (void)ok;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sweep(void **state) {
    (void)state;
    const double t0 = now_s();
    assert_non_null(test_tmpdir_new(work_dir, sizeof work_dir));
    const char *shipped = getenv("LLAMAC_SHIPPED_MODEL");
    const bool shared = load_shared_bases();
    if (!shared) build_fallback_bases();
    if (shipped && *shipped) load_base(shipped);
    assert_true(n_bases > 0);
    const base_file *good = &bases[n_bases - 1]; /* the shipped one when present */
    size_t biggest = 0;
    for (int i = 0; i < n_bases; i++) biggest = bases[i].size > biggest ? bases[i].size : biggest;
    unsigned char *buf = malloc(biggest);
    assert_non_null(buf);

    tally t = {0};
    odd_paths(&t, good->path);
    char path[400];
    snprintf(path, sizeof path, "%s/mutated.gguf", work_dir);
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    long kept = 0;
    for (long i = 0; i < n_files; i++) {
        const mutation m = mutate(&rng, buf);
        assert_true(write_file(path, buf, m.size));
        if (!run_commands(&t, path) && kept < 20) {
            char keep[400];
            snprintf(keep, sizeof keep, "/tmp/llamac-sweep-seed%llu-file%ld.gguf", (unsigned long long)seed, i);
            write_file(keep, buf, m.size);
            fprintf(stderr, "  file %ld (%s of %s, %zu bytes) kept as %s\n", i, m.kind, m.base->path, m.size, keep);
            kept++;
        }
        if ((i + 1) % 1000 == 0)
            fprintf(stderr, "  %ld files, %.0f s: clean %ld, success %ld, crash %ld, hang %ld, other %ld\n",
                    i + 1, now_s() - t0, t.clean, t.success, t.crash, t.hang, t.other);
    }
    unlink(path);
    test_tmpdir_remove(work_dir);
    free(buf);
    for (int i = 0; i < n_bases; i++) free(bases[i].bytes);
    printf("hostile sweep: %ld mutated files x 3 commands + 25 odd-path runs = %ld runs "
           "(%d base models%s, seed %llu, %.0f s timeout): clean errors %ld, successes %ld, "
           "crashes %ld, hangs %ld, other %ld; %.0f s\n",
           n_files, t.clean + t.success + t.crash + t.hang + t.other, n_bases,
           shared ? "" : ", built ones for ../shared", (unsigned long long)seed, timeout_s, t.clean,
           t.success, t.crash, t.hang, t.other, now_s() - t0);
    fflush(stdout);
    assert_int_equal(t.crash, 0);
    assert_int_equal(t.hang, 0);
    assert_int_equal(t.other, 0);
}

int main(int argc, char **argv) {
    llamac_bin = test_first_arg(argc, argv, "PATH/TO/llamac [N_FILES [SEED [TIMEOUT_S]]]");
    if (argc > 2) n_files = strtol(argv[2], NULL, 10);
    if (argc > 3) seed = strtoull(argv[3], NULL, 10);
    if (argc > 4) timeout_s = strtod(argv[4], NULL);
    if (n_files < 0 || timeout_s <= 0) {
        fprintf(stderr, "%s: N_FILES >= 0 and TIMEOUT_S > 0\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    return run_cases(NULL, NULL, sweep);
}
