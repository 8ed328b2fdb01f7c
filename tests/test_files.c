#include "test_files.h"

#include "test_util.h"

#include <string.h>

char *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (size_t r; b && (r = fread(b + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            char *grown = realloc(b, (cap *= 2) + 1);
            if (!grown) free(b);
            b = grown;
        }
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = '\0';
    if (len) *len = n;
    return b;
}

bool test_files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    bool eq = true;
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        eq = ca == cb;
    } while (eq && ca != EOF);
    fclose(fa);
    fclose(fb);
    return eq;
}

llamac_gguf *test_open_gguf(const char *path) {
    llamac_gguf *g = NULL;
    const llamac_status st = llamac_gguf_open(path, NULL, &g);
    if (st != LLAMAC_OK) fail_msg("opening %s: %s: %s", path, llamac_status_name(st), llamac_last_error());
    return g;
}

llamac_model *test_load_model(const char *path) {
    llamac_model *m = NULL;
    const llamac_status st = llamac_model_load(path, NULL, &m);
    if (st != LLAMAC_OK) fail_msg("loading %s: %s: %s", path, llamac_status_name(st), llamac_last_error());
    return m;
}

llamac_gguf *test_open_shared_gguf(const char *relative) {
    char buf[1024];
    const char *path = shared_path(buf, sizeof buf, relative);
    return path ? test_open_gguf(path) : NULL;
}

llamac_model *test_load_shared_model(const char *relative) {
    char buf[1024];
    const char *path = shared_path(buf, sizeof buf, relative);
    return path ? test_load_model(path) : NULL;
}

void assert_gguf_keys(const llamac_gguf *g, const gguf_key_value *keys, size_t n) {
    for (size_t k = 0; k < n; k++) {
        const gguf_key_value *e = &keys[k];
        uint32_t u32;
        int32_t i32;
        uint64_t u64, len = 0;
        int64_t i64;
        float f;
        double d;
        bool b;
        const char *s = NULL;
        llamac_status st = LLAMAC_ERR_INVALID_ARG;
        bool same = false;
        switch (e->kind) {
        case GK_U32: st = llamac_gguf_get_u32(g, e->key, &u32), same = u32 == e->i; break;
        case GK_I32: st = llamac_gguf_get_i32(g, e->key, &i32), same = i32 == e->i; break;
        case GK_U64: st = llamac_gguf_get_u64(g, e->key, &u64), same = u64 == e->u; break;
        case GK_I64: st = llamac_gguf_get_i64(g, e->key, &i64), same = i64 == e->i; break;
        case GK_F32: st = llamac_gguf_get_f32(g, e->key, &f), same = f == e->f; break;
        case GK_F64: st = llamac_gguf_get_f64(g, e->key, &d), same = d == e->d; break;
        case GK_BOOL: st = llamac_gguf_get_bool(g, e->key, &b), same = b == (e->i != 0); break;
        case GK_STR:
            st = llamac_gguf_get_string(g, e->key, &s, &len);
            same = st == LLAMAC_OK && strcmp(s, e->s) == 0 && len == strlen(e->s);
            break;
        }
        if (st != LLAMAC_OK) fail_msg("%s: status %d (%s)", e->key, (int)st, llamac_last_error());
        if (!same) fail_msg("%s: not the expected value", e->key);
    }
}

void assert_model_shape(const llamac_model *m, model_shape want) {
    const struct {
        const char *name;
        int32_t got, want;
    } rows[] = {
        {"n_vocab", llamac_model_n_vocab(m), want.n_vocab},
        {"n_ctx_train", llamac_model_n_ctx_train(m), want.n_ctx_train},
        {"n_embd", llamac_model_n_embd(m), want.n_embd},
        {"n_layer", llamac_model_n_layer(m), want.n_layer},
        {"n_head", llamac_model_n_head(m), want.n_head},
        {"n_head_kv", llamac_model_n_head_kv(m), want.n_head_kv},
        {"n_ff", llamac_model_n_ff(m), want.n_ff},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        if (rows[k].got != rows[k].want)
            fail_msg("%s: %d, want %d", rows[k].name, (int)rows[k].got, (int)rows[k].want);
}

llamac_model *test_load_model_from_env(const char *env) {
    const char *path = getenv(env);
    if (!path) {
        fprintf(stderr, "%s must be set (meson does)\n", env);
        return NULL;
    }
    llamac_model *m = NULL;
    llamac_status st = llamac_model_load(path, NULL, &m);
    if (st != LLAMAC_OK) fprintf(stderr, "loading %s: %s: %s\n", path, llamac_status_name(st), llamac_last_error());
    return m;
}

int shipped_model_setup(void **state) {
    static model_fixture f;
    if (!(f.model = test_load_model_from_env("LLAMAC_SHIPPED_MODEL"))) return -1;
    f.vocab = llamac_model_vocab(f.model);
    f.n_vocab = llamac_model_n_vocab(f.model);
    *state = &f;
    return 0;
}

int shipped_model_teardown(void **state) {
    model_fixture *f = *state;
    llamac_model_free(f->model);
    f->model = NULL;
    return 0;
}

const void *assert_gguf_array(const llamac_gguf *g, const char *key, llamac_gguf_type type, uint64_t n) {
    llamac_gguf_type et;
    uint64_t got;
    const void *data;
    llamac_status st = llamac_gguf_get_array(g, key, &et, &got, &data);
    if (st != LLAMAC_OK) fail_msg("%s: status %d (%s)", key, (int)st, llamac_last_error());
    if (et != type || got != n)
        fail_msg("%s: %llu elements of type %d, want %llu of type %d", key, (unsigned long long)got, (int)et,
                 (unsigned long long)n, (int)type);
    return data;
}

void assert_gguf_array_string(const llamac_gguf *g, const char *key, uint64_t i, const char *want, uint64_t len) {
    const char *s;
    uint64_t got;
    llamac_status st = llamac_gguf_get_array_string(g, key, i, &s, &got);
    if (st != LLAMAC_OK) fail_msg("%s[%llu]: status %d (%s)", key, (unsigned long long)i, (int)st, llamac_last_error());
    if (got != len || memcmp(s, want, (size_t)len + 1) != 0)
        fail_msg("%s[%llu]: %llu bytes \"%s\", want %llu", key, (unsigned long long)i, (unsigned long long)got, s,
                 (unsigned long long)len);
}

llamac_gguf_writer *test_new_writer(void) {
    llamac_gguf_writer *w = NULL;
    llamac_status st = llamac_gguf_writer_new(NULL, &w);
    if (st != LLAMAC_OK) fail_msg("gguf writer: %s (%s)", llamac_status_name(st), llamac_last_error());
    return w;
}
