/* `llamac synth --shape NAME --type f16|f32 [--seed S] -o FILE`: a llama
 * GGUF of a real model's shape with seeded random weights, for benchmarks
 * and quantizer tests. Uses only the public API. */
#include "args.h"
#include "clock.h"
#include "cmd_parse.h"
#include "commands.h"
#include "log.h"

#include "llamac.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: llamac synth --shape NAME [--type f16|f32] [--seed S] [-t N] -o FILE\n\n"
            "Writes a llama-architecture GGUF with the shape of a real model, random\n"
            "normal weights scaled by 1/sqrt(fan-in) (norms 1), the hyperparameters\n"
            "llama.cpp needs and a synthetic SentencePiece vocabulary. The same seed\n"
            "gives the same file on any thread count.\n\n"
            "shapes:");
    for (int32_t i = 0; llamac_synth_shape_name(i); i++) fprintf(f, " %s", llamac_synth_shape_name(i));
    fprintf(f,
            "\n\noptions:\n"
            "  --shape NAME      model shape (required)\n"
            "  --type f16|f32    weight encoding (default f16; norms are always f32)\n"
            "  --seed S          random seed, an unsigned 64-bit integer (default 42)\n"
            "  -t, --threads N   generating threads (default: all CPUs)\n"
            "  -o, --output FILE where to write (required)\n"
            "  -q, --quiet       no per-tensor lines\n"
            "Exit status: 0 done, 1 failure (reason on stderr), 2 usage error.\n");
}

/* Set by synth_parse_only: return -1 once the arguments are parsed. */
static bool parse_only;

int cmd_synth(int argc, char **argv) {
    llamac_synth_params p = llamac_synth_default_params();
    p.log_fn = tool_print_log;
    p.shape = NULL;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bool has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            synth_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--shape") && has_value) {
            p.shape = argv[++i];
        } else if (!strcmp(a, "--type") && has_value) {
            const char *t = argv[++i];
            if (!strcasecmp(t, "f16")) p.type = LLAMAC_TYPE_F16;
            else if (!strcasecmp(t, "f32")) p.type = LLAMAC_TYPE_F32;
            else {
                fprintf(stderr, "llamac synth: --type must be f16 or f32, not '%s'\n", t);
                return 2;
            }
        } else if (!strcmp(a, "--seed") && has_value) {
            if (!tool_opt_u64("synth", a, argv[++i], &p.seed)) return 2;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has_value) {
            if (!tool_opt_i32("synth", a, argv[++i], 1, 1024, &p.n_threads)) return 2;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_value) {
            out = argv[++i];
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            p.log_fn = NULL;
        } else {
            fprintf(stderr, "llamac synth: unknown or incomplete argument '%s'\n", a);
            synth_usage(stderr);
            return 2;
        }
    }
    if (!p.shape || !out) {
        fprintf(stderr, "llamac synth: --shape and -o are required\n");
        synth_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;
    const double t0 = tool_now_seconds();
    if (llamac_model_synth(out, &p)) {
        fprintf(stderr, "llamac synth: %s\n", llamac_last_error());
        return 1;
    }
    fprintf(stderr, "llamac synth: wrote %s (%s, %s, seed %" PRIu64 ") in %.1f s\n", out, p.shape,
            llamac_type_name(p.type), p.seed, tool_now_seconds() - t0);
    return 0;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int synth_parse_only(int argc, char **argv) { return tool_parse_only(cmd_synth, &parse_only, argc, argv); }
