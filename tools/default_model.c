#include "default_model.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if !defined(LLAMAC_DEFAULT_MODEL_NAME) || !defined(LLAMAC_SOURCE_MODELS_DIR) || \
    !defined(LLAMAC_INSTALL_MODELS_DIR)
#error "models/meson.build passes LLAMAC_DEFAULT_MODEL_NAME and the model folders"
#endif

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

const char *default_model_name(void) { return LLAMAC_DEFAULT_MODEL_NAME; }

/* Directory part of `path` into dir ("" when it has no '/'). */
static void dir_of(const char *path, char *dir, size_t size) {
    const char *slash = strrchr(path, '/');
    dir[0] = '\0';
    if (!slash) return;
    const size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/llamac" -> "/" */
    if (n < size) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
}

typedef struct search {
    char *out;
    size_t out_size;
    char tried[2048]; /* "dir1, dir2, ..." for the not-found message */
    size_t tried_len;
} search;

/* Tries dir/suffix/NAME; true when readable (then copied to out). */
static int try_dir(search *s, const char *dir, const char *suffix) {
    if (!dir[0]) return 0;
    char path[PATH_MAX];
    const int n = snprintf(path, sizeof path, "%s%s/%s", dir, suffix, LLAMAC_DEFAULT_MODEL_NAME);
    if (n < 0 || (size_t)n >= sizeof path) return 0;
    if (access(path, R_OK) == 0 && (size_t)n < s->out_size) {
        memcpy(s->out, path, (size_t)n + 1);
        return 1;
    }
    if (s->tried_len < sizeof s->tried) {
        const int m = snprintf(s->tried + s->tried_len, sizeof s->tried - s->tried_len, "%s%s%s",
                               s->tried_len ? ", " : "", dir, suffix);
        if (m > 0) s->tried_len += (size_t)m;
    }
    return 0;
}

int find_default_model(const char *argv0, char *out, size_t out_size) {
    if (!out || out_size == 0) return -1;
    search s = {.out = out, .out_size = out_size};
    char exe[PATH_MAX], exe_dir[PATH_MAX], arg_dir[PATH_MAX];
    exe_dir[0] = arg_dir[0] = '\0';
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        dir_of(exe, exe_dir, sizeof exe_dir);
    }
    if (argv0) dir_of(argv0, arg_dir, sizeof arg_dir);
    if (!strcmp(arg_dir, exe_dir)) arg_dir[0] = '\0'; /* same place: try it once */

    if (try_dir(&s, exe_dir, "") || try_dir(&s, arg_dir, "") ||
        try_dir(&s, exe_dir, "/../share/llamac") || try_dir(&s, arg_dir, "/../share/llamac") ||
        try_dir(&s, LLAMAC_SOURCE_MODELS_DIR, "") || try_dir(&s, LLAMAC_INSTALL_MODELS_DIR, ""))
        return 0;
    snprintf(out, out_size, "%s not found in %s", LLAMAC_DEFAULT_MODEL_NAME, s.tried);
    return -1;
}
