/* `llamac info FILE.gguf`: what a GGUF file holds: header, every key/value
 * (arrays summarized by element type, length and first items), the tensor
 * table and the totals, after the CPU features the kernels' probe found
 * (also alone: `llamac info --cpu`). The file through the public API; the
 * CPU through the kernels' probe (kernels/cpu.h). */
#include "cmd_parse.h"
#include "commands.h"

#include "kernels/cpu.h"
#include "llamac.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ITEMS_SHOWN 3   /* leading array elements printed */
#define STRING_SHOWN 60 /* bytes of a string value printed */

static void info_usage(FILE *f) {
    fprintf(f,
            "usage: llamac info FILE.gguf\n"
            "       llamac info --cpu\n\n"
            "Validates a GGUF file and prints its version, metadata (arrays summarized)\n"
            "and tensor table, after a 'cpu:' line naming the instruction set\n"
            "extensions this CPU and OS can run (as /proc/cpuinfo names them).\n"
            "--cpu prints only that line. Exit status: 0 valid, 1 invalid or\n"
            "unreadable (reason on stderr), 2 usage error.\n");
}

/* "cpu:         avx2 fma f16c ..." (or "none"): the probe's single flags. */
static void print_cpu(void) {
    char names[160];
    lc_cpu_features_describe(lc_cpu_features_get(), names, sizeof names);
    printf("cpu:         %s\n", names);
}

/* Prints untrusted bytes quoted on one line: printable ASCII and UTF-8 as
 * they are, control bytes and quotes escaped, long values cut. */
static void print_quoted(const char *s, uint64_t len) {
    putchar('"');
    uint64_t shown = len < STRING_SHOWN ? len : STRING_SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
    if (shown < len) printf("... (%" PRIu64 " bytes)", len);
}

/* Prints a key or tensor name (untrusted bytes) left-aligned in `width`
 * bytes: control bytes and backslashes escaped, so that a crafted name
 * cannot move the cursor or change the terminal's state. */
static void print_name(const char *s, int width) {
    int n = 0;
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '\\') n += printf("\\\\");
        else if (c < 0x20 || c == 0x7f) n += printf("\\x%02x", c);
        else n += putchar(c) == EOF ? 0 : 1;
    }
    for (; n < width; n++) putchar(' ');
}

static uint64_t le_bytes(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static size_t elem_size(llamac_gguf_type t) {
    switch (t) {
    case LLAMAC_GGUF_UINT8: case LLAMAC_GGUF_INT8: case LLAMAC_GGUF_BOOL: return 1;
    case LLAMAC_GGUF_UINT16: case LLAMAC_GGUF_INT16: return 2;
    case LLAMAC_GGUF_UINT32: case LLAMAC_GGUF_INT32: case LLAMAC_GGUF_FLOAT32: return 4;
    case LLAMAC_GGUF_UINT64: case LLAMAC_GGUF_INT64: case LLAMAC_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

/* One little-endian element of a fixed-size type. */
static void print_elem(llamac_gguf_type t, const unsigned char *p) {
    uint64_t v = le_bytes(p, elem_size(t));
    switch (t) {
    case LLAMAC_GGUF_INT8: printf("%d", (int)(int8_t)v); break;
    case LLAMAC_GGUF_INT16: printf("%d", (int)(int16_t)v); break;
    case LLAMAC_GGUF_INT32: printf("%" PRId32, (int32_t)v); break;
    case LLAMAC_GGUF_INT64: printf("%" PRId64, (int64_t)v); break;
    case LLAMAC_GGUF_BOOL: printf("%s", v ? "true" : "false"); break;
    case LLAMAC_GGUF_FLOAT32: {
        uint32_t bits = (uint32_t)v;
        float f;
        memcpy(&f, &bits, sizeof f);
        printf("%.7g", f);
        break;
    }
    case LLAMAC_GGUF_FLOAT64: {
        double d;
        memcpy(&d, &v, sizeof d);
        printf("%.17g", d);
        break;
    }
    default: printf("%" PRIu64, v); break;
    }
}

static int print_array(const llamac_gguf *g, const char *key) {
    llamac_gguf_type et;
    uint64_t n;
    const void *data;
    if (llamac_gguf_get_array(g, key, &et, &n, &data)) return 1;
    printf("%s[%" PRIu64 "]", llamac_gguf_type_name(et), n);
    uint64_t shown = n < ITEMS_SHOWN ? n : ITEMS_SHOWN;
    for (uint64_t i = 0; i < shown && et != LLAMAC_GGUF_ARRAY; i++) {
        printf(i ? ", " : " ");
        if (et == LLAMAC_GGUF_STRING) {
            const char *s;
            uint64_t len;
            if (llamac_gguf_get_array_string(g, key, i, &s, &len)) return 1;
            print_quoted(s, len);
        } else {
            print_elem(et, (const unsigned char *)data + i * elem_size(et));
        }
    }
    if (shown < n && et != LLAMAC_GGUF_ARRAY) printf(", ...");
    return 0;
}

/* The value of entry i, on the current line. */
static int print_value(const llamac_gguf *g, int64_t i) {
    const char *key = llamac_gguf_key(g, i);
    llamac_gguf_type t = llamac_gguf_kv_type(g, i);
    if (t == LLAMAC_GGUF_ARRAY) return print_array(g, key);
    if (t == LLAMAC_GGUF_STRING) {
        const char *s;
        uint64_t len;
        if (llamac_gguf_get_string(g, key, &s, &len)) return 1;
        print_quoted(s, len);
        return 0;
    }
    if (t == LLAMAC_GGUF_BOOL) {
        bool b;
        if (llamac_gguf_get_bool(g, key, &b)) return 1;
        printf("%s", b ? "true" : "false");
        return 0;
    }
    if (t == LLAMAC_GGUF_FLOAT32 || t == LLAMAC_GGUF_FLOAT64) {
        double d;
        if (llamac_gguf_get_f64(g, key, &d)) return 1;
        printf(t == LLAMAC_GGUF_FLOAT32 ? "%.7g" : "%.17g", d);
        return 0;
    }
    int64_t s;
    uint64_t u;
    if (llamac_gguf_get_i64(g, key, &s) == LLAMAC_OK) printf("%" PRId64, s);
    else if (llamac_gguf_get_u64(g, key, &u) == LLAMAC_OK) printf("%" PRIu64, u);
    else return 1;
    return 0;
}

static void print_shape(const llamac_tensor_info *t) {
    char shape[96];
    int n = 0;
    for (uint32_t d = 0; d < t->n_dims && n >= 0 && (size_t)n < sizeof shape; d++)
        n += snprintf(shape + n, sizeof shape - (size_t)n, d ? " x %" PRId64 : "%" PRId64, t->ne[d]);
    printf("%-22s", shape);
}

static int report(const char *path, const llamac_gguf *g) {
    int64_t n_kv = llamac_gguf_n_kv(g), n_t = llamac_gguf_n_tensors(g);
    print_cpu();
    printf("file:        %s\n", path);
    printf("version:     %" PRIu32 "\n", llamac_gguf_version(g));
    printf("alignment:   %" PRIu32 "\n", llamac_gguf_alignment(g));
    printf("data offset: %" PRIu64 "\n", llamac_gguf_data_offset(g));
    printf("metadata:    %" PRId64 " keys\n", n_kv);
    int width = 0;
    for (int64_t i = 0; i < n_kv; i++) {
        int len = (int)strlen(llamac_gguf_key(g, i));
        if (len > width) width = len;
    }
    if (width > 48) width = 48;
    for (int64_t i = 0; i < n_kv; i++) {
        fputs("  ", stdout);
        print_name(llamac_gguf_key(g, i), width);
        printf("  %-7s  ", llamac_gguf_type_name(llamac_gguf_kv_type(g, i)));
        if (print_value(g, i)) return 1;
        putchar('\n');
    }
    printf("tensors:     %" PRId64 "\n", n_t);
    if (n_t) printf("  %-5s %-32s %-8s %-22s %12s %12s\n", "#", "name", "type", "shape", "offset", "bytes");
    uint64_t total = 0, elements = 0;
    for (int64_t i = 0; i < n_t; i++) {
        llamac_tensor_info t;
        if (llamac_gguf_tensor(g, i, &t)) return 1;
        printf("  %-5" PRId64 " ", i);
        print_name(t.name, 32);
        printf(" %-8s ", llamac_type_name(t.type));
        print_shape(&t);
        printf(" %12" PRIu64 " %12" PRIu64 "\n", t.offset, t.n_bytes);
        total += t.n_bytes; /* validated: tensors are disjoint inside the file */
        uint64_t ne = 1;
        for (int d = 0; d < 4; d++) ne *= (uint64_t)t.ne[d];
        elements += ne;
    }
    printf("total:       %" PRId64 " tensors, %" PRIu64 " elements, %" PRIu64 " bytes (%.2f MiB)\n",
           n_t, elements, total, (double)total / (1024.0 * 1024.0));
    return 0;
}

/* The library's message, kept on one line whatever the path contained. */
static void print_error(void) {
    fputs("llamac info: ", stderr);
    for (const char *p = llamac_last_error(); *p; p++)
        fputc((unsigned char)*p < 0x20 ? '?' : *p, stderr);
    fputc('\n', stderr);
}

/* Set by info_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    bool cpu_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            info_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--cpu")) {
            cpu_only = true;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "llamac info: unknown option '%s'\n", argv[i]);
            info_usage(stderr);
            return 2;
        }
        if (path) {
            fprintf(stderr, "llamac info: one file at a time\n");
            info_usage(stderr);
            return 2;
        }
        path = argv[i];
    }
    if (cpu_only == (path != NULL)) { /* exactly one of a file and --cpu */
        info_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;
    if (cpu_only) {
        print_cpu();
        return 0;
    }
    llamac_gguf *g;
    if (llamac_gguf_open(path, NULL, &g) != LLAMAC_OK) {
        print_error();
        return 1;
    }
    int rc = report(path, g);
    if (rc) print_error();
    llamac_gguf_free(g);
    return rc;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int info_parse_only(int argc, char **argv) { return tool_parse_only(cmd_info, &parse_only, argc, argv); }
