/* Long run (meson -Dlong_tests=true): a llama-2-7b-shaped F16 file (13.5
 * GB) is synthesized with memory near one tensor, re-opens with the
 * promised table, and quantizes to Q4_K_M with llama.cpp's mix. Needs
 * about 17 GB of disk under $TMPDIR (default /tmp) and tens of minutes on
 * two cores. */
#include "test_tmpdir.h"
#include "test_util.h"

#include "llamac.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

/* Runs fn(arg) in a child process; returns its peak resident set in KiB
 * and fails unless it returned LLAMAC_OK. */
static long in_child(llamac_status (*fn)(const void *), const void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        llamac_status st = fn(arg);
        if (st) fprintf(stderr, "child: %s: %s\n", llamac_status_name(st), llamac_last_error());
        _exit(st ? 1 : 0);
    }
    int status;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return ru.ru_maxrss;
}

static const char *path(const char *name) {
    static char buf[2][320];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static llamac_status synth_7b(const void *arg) {
    (void)arg;
    llamac_synth_params p = llamac_synth_default_params();
    p.shape = "llama-2-7b";
    p.type = LLAMAC_TYPE_F16;
    p.seed = 1;
    return llamac_model_synth(path("7b-f16.gguf"), &p);
}

static llamac_status quantize_7b(const void *arg) {
    (void)arg;
    llamac_quantize_params p = llamac_quantize_default_params();
    p.ftype = LLAMAC_FTYPE_MOSTLY_Q4_K_M;
    return llamac_model_quantize(path("7b-f16.gguf"), path("7b-q4km.gguf"), &p);
}

static void seven_b_synthesis_and_quantization(void **state) {
    (void)state;
    /* largest tensor: token_embd / output, 4096 x 32000 F16 = 250 MiB */
    const long rss = in_child(synth_7b, NULL);
    print_message("synth llama-2-7b F16: peak RSS %.0f MiB\n", rss / 1024.0);
    assert_true(rss < 1024 * 1024);
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open(path("7b-f16.gguf"), NULL, &g), LLAMAC_OK);
    assert_int_equal(llamac_gguf_n_tensors(g), 3 + 32 * 9);
    uint64_t bytes = 0;
    for (int64_t i = 0; i < llamac_gguf_n_tensors(g); i++) {
        llamac_tensor_info t;
        assert_int_equal(llamac_gguf_tensor(g, i, &t), LLAMAC_OK);
        bytes += t.n_bytes;
    }
    /* 6.74 B weights in F16 (norms F32) */
    assert_true(bytes > 13400000000ull && bytes < 13600000000ull);
    llamac_gguf_free(g);

    in_child(quantize_7b, NULL);
    unlink(path("7b-f16.gguf"));
    assert_int_equal(llamac_gguf_open(path("7b-q4km.gguf"), NULL, &g), LLAMAC_OK);
    /* layers 0-3, 6, 9, ..., 27, 28-31 get Q6_K attn_v and ffn_down */
    for (int l = 0; l < 32; l++) {
        char name[64];
        const bool more = l < 4 || l >= 28 || (l - 4) % 3 == 2;
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        llamac_tensor_info t;
        assert_int_equal(llamac_gguf_tensor(g, llamac_gguf_find_tensor(g, name), &t), LLAMAC_OK);
        assert_int_equal(t.type, more ? LLAMAC_TYPE_Q6_K : LLAMAC_TYPE_Q4_K);
    }
    llamac_gguf_free(g);
    unlink(path("7b-q4km.gguf"));
}

int main(void) {
    if (!test_tmpdir_new(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    int rc = run_cases(NULL, NULL, seven_b_synthesis_and_quantization);
    test_tmpdir_remove(dir);
    return rc;
}
