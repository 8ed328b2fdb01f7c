/* `llamac state FILE`: what a state file's header says (the model it is
 * bound to, what it holds, its sizes), read without a model; --tokens adds
 * the saved token ids. Uses only the public API (llamac.h, section 9). */
#include "cmd_parse.h"
#include "commands.h"

#include "llamac.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_only;

static void state_usage(FILE *f) {
    fprintf(f,
            "usage: llamac state [--tokens] FILE\n"
            "\n"
            "Prints the header of a state file (written by `llamac run --save-state` or\n"
            "--prompt-cache, or llamac_state_save_file): the model it belongs to, whether\n"
            "it holds a sequence or a whole context, its tokens, cells, logits and sampler\n"
            "state, its sizes raw and stored, and the compression. Checks the header and\n"
            "the file's size, not the payload (a load checks that).\n"
            "\n"
            "  --tokens   also print the saved token ids (one line, space-separated)\n"
            "Exit status: 0 done, 1 failure, 2 bad arguments.\n");
}

static void print_info(const char *path, const llamac_state_info *in) {
    printf("file:        %s\n", path);
    printf("format:      version %u\n", (unsigned)in->version);
    if (in->sequence) printf("kind:        sequence\n");
    else printf("kind:        context (%d sequence%s)\n", (int)in->n_seq, in->n_seq == 1 ? "" : "s");
    printf("model:       %s, n_vocab %d, n_ctx_train %d, n_embd %d, n_layer %d, n_head %d, n_head_kv %d,\n"
           "             n_ff %d, head_dim %d, n_rot %d, rms_eps %g, rope_base %g, rope_freq_scale %g\n",
           in->arch, (int)in->n_vocab, (int)in->n_ctx_train, (int)in->n_embd, (int)in->n_layer,
           (int)in->n_head, (int)in->n_head_kv, (int)in->n_ff, (int)in->head_dim, (int)in->n_rot,
           (double)in->rms_eps, (double)in->rope_base, (double)in->rope_freq_scale);
    printf("tensors:     %u, table hash %016" PRIx64 "\n", (unsigned)in->n_tensors, in->tensors_hash);
    printf("vocabulary:  hash %016" PRIx64 "\n", in->vocab_hash);
    printf("tokens:      %d\n", (int)in->n_tokens);
    printf("cells:       %d (context size needed: %d)\n", (int)in->n_cells, (int)in->cell_span);
    printf("kv cache:    %s\n", llamac_type_name(in->kv_type));
    if (in->has_logits)
        printf("logits:      yes, %d row%s (last batch: %d token%s)\n", (int)in->n_logits,
               in->n_logits == 1 ? "" : "s", (int)in->n_batch_last, in->n_batch_last == 1 ? "" : "s");
    else printf("logits:      no\n");
    if (in->has_sampler) printf("sampler:     yes, %u bytes\n", (unsigned)in->sampler_bytes);
    else printf("sampler:     no\n");
    printf("size:        %" PRIu64 " bytes raw, %" PRIu64 " stored (%.3fx), file %" PRIu64 " bytes\n",
           in->payload_bytes, in->stored_bytes,
           in->stored_bytes ? (double)in->payload_bytes / (double)in->stored_bytes : 1.0, in->file_bytes);
    if (in->compressed)
        printf("compression: deflate, level %d%s\n", (int)in->compression,
               in->shuffled ? ", K/V rows byte-shuffled" : "");
    else printf("compression: none (stored)\n");
}

static int print_tokens(const char *path, int32_t n) {
    llamac_token *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
    if (!ids) {
        fprintf(stderr, "llamac state: out of memory for %d token ids\n", (int)n);
        return 1;
    }
    size_t got = 0;
    llamac_status st = llamac_state_file_tokens(path, ids, (size_t)n, &got);
    if (st) {
        fprintf(stderr, "llamac state: %s: %s\n", llamac_status_name(st), llamac_last_error());
        free(ids);
        return 1;
    }
    printf("ids:        ");
    for (size_t i = 0; i < got; i++) printf(" %d", (int)ids[i]);
    printf("\n");
    free(ids);
    return 0;
}

int cmd_state(int argc, char **argv) {
    const char *path = NULL;
    bool tokens = false;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            state_usage(stdout);
            return 0;
        }
        if (!strcmp(o, "--tokens")) {
            tokens = true;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "llamac state: unknown option %s\n", o);
            state_usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "llamac state: one FILE only; '%s' is a second\n", o);
            state_usage(stderr);
            return 2;
        } else {
            path = o;
        }
    }
    if (!path || !path[0]) {
        fprintf(stderr, "llamac state: need a FILE\n");
        state_usage(stderr);
        return 2;
    }
    if (parse_only) return -1;

    llamac_state_info info;
    llamac_status st = llamac_state_file_info(path, &info);
    if (st) {
        fprintf(stderr, "llamac state: %s: %s\n", llamac_status_name(st), llamac_last_error());
        return 1;
    }
    print_info(path, &info);
    return tokens ? print_tokens(path, info.n_tokens) : 0;
}

/* The parser alone, for the CLI fuzz target (cmd_parse.h). */
int state_parse_only(int argc, char **argv) { return tool_parse_only(cmd_state, &parse_only, argc, argv); }
