/* `llamac quantize IN.gguf OUT.gguf TYPE`: re-encode a model's weights, as
 * llama-quantize does (same per-tensor mix, same bytes). Uses only the
 * public API. */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "log.h"

#include "llamac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quantize_usage(FILE *f) {
    fprintf(f,
            "usage: llamac quantize [options] IN.gguf OUT.gguf TYPE\n\n"
            "Writes OUT.gguf: IN.gguf with its weight matrices re-encoded as TYPE, picking\n"
            "per tensor what llama.cpp's llama-quantize picks (e.g. Q4_K_M: Q4_K, with Q6_K\n"
            "for output.weight and for attn_v/ffn_down in some layers) and writing the\n"
            "same blocks. Norms and other 1-D tensors are copied.\n\n"
            "TYPE: ");
    for (int ft = 0; ft < 64; ft++) {
        const char *name = llamac_ftype_name((llamac_ftype)ft);
        if (name) fprintf(f, "%s ", name);
    }
    fprintf(f,
            "\n\noptions:\n"
            "  -t, --threads N       encoding threads (default: all CPUs)\n"
            "  --allow-requantize    accept an already-quantized IN (quality suffers)\n"
            "  --pure                base encoding everywhere: no mix, no Q6_K output\n"
            "  -q, --quiet           no per-tensor lines\n"
            "Exit status: 0 done, 1 failure (reason on stderr), 2 usage error.\n");
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    fclose(f);
    return n;
}

/* Set by quantize_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

int cmd_quantize(int argc, char **argv) {
    llamac_quantize_params p = llamac_quantize_default_params();
    p.log_fn = tool_print_log;
    const char *pos[3];
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            quantize_usage(stdout);
            return 0;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && i + 1 < argc) {
            if (!tool_opt_i32("quantize", a, argv[++i], 1, 1024, &p.n_threads)) return 2;
        } else if (!strcmp(a, "--allow-requantize")) {
            p.allow_requantize = true;
        } else if (!strcmp(a, "--pure")) {
            p.pure = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            p.log_fn = NULL;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llamac quantize: unknown option '%s'\n", a);
            quantize_usage(stderr);
            return 2;
        } else if (n_pos < 3) {
            pos[n_pos++] = a;
        } else {
            fprintf(stderr, "llamac quantize: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (n_pos != 3) {
        quantize_usage(stderr);
        return 2;
    }
    llamac_ftype ftype;
    if (llamac_ftype_from_name(pos[2], &ftype)) {
        fprintf(stderr, "llamac quantize: %s\n", llamac_last_error());
        return 2;
    }
    p.ftype = ftype;
    if (parse_only) return -1;
    const double t0 = tool_now_seconds();
    if (llamac_model_quantize(pos[0], pos[1], &p)) {
        fprintf(stderr, "llamac quantize: %s\n", llamac_last_error());
        return 1;
    }
    const long in = file_size(pos[0]), out = file_size(pos[1]);
    fprintf(stderr, "llamac quantize: %s -> %s (%s): %.2f MiB -> %.2f MiB in %.1f s\n", pos[0],
            pos[1], llamac_ftype_name(ftype), (double)in / 1048576.0, (double)out / 1048576.0,
            tool_now_seconds() - t0);
    return 0;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int quantize_parse_only(int argc, char **argv) { return tool_parse_only(cmd_quantize, &parse_only, argc, argv); }
