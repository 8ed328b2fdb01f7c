/* Two small tokenizer vocabularies built from tables in this directory's
 * code, one of each kind llamac supports (SentencePiece "llama" and
 * byte-level BPE "gpt2"/"llama-bpe"), so the fuzz targets and the corpus
 * never depend on files outside the repository. Both have a full byte
 * fallback (SPM <0xNN> tokens; all 256 BPE byte tokens), so any text
 * round-trips, plus a few merges, control and user-defined tokens. */
#ifndef LLAMAC_FUZZ_VOCABS_H
#define LLAMAC_FUZZ_VOCABS_H

#include "llamac.h"

#include <stdbool.h>

typedef enum fv_kind { FV_SPM, FV_BPE } fv_kind;

/* Ways to spoil or vary a vocabulary file, for the loader's seeds. */
typedef struct fv_variant {
    const char *model;      /* tokenizer.ggml.model instead of the kind's */
    const char *pre;        /* tokenizer.ggml.pre instead of the kind's (BPE) */
    bool no_scores;         /* leave tokenizer.ggml.scores out */
    bool no_types;          /* leave tokenizer.ggml.token_type out */
    bool no_merges;         /* leave tokenizer.ggml.merges out (BPE) */
    bool bad_merge;         /* a merge that is not two parts */
    bool add_eos;           /* tokenizer.ggml.add_eos_token = true */
    bool no_space_prefix;   /* tokenizer.ggml.add_space_prefix = false (SPM) */
    int32_t bos_id;         /* tokenizer.ggml.bos_token_id override; 0: the kind's */
} fv_variant;

/* Writes the vocabulary (variant may be NULL) as a GGUF file at `path`
 * with llamac's writer; the status and message are the writer's. */
llamac_status fv_write(fv_kind kind, const fv_variant *variant, const char *path);

/* The plain vocabulary of `kind`, loaded through a temporary file (the
 * library's writer only writes files); NULL after a message on stderr. */
llamac_vocab *fv_load(fv_kind kind);

/* For the targets: fv_load(kind), unless LLAMAC_FUZZ_VOCAB_DIR names a
 * folder holding ggml-vocab-llama-spm.gguf and ggml-vocab-llama-bpe.gguf
 * (e.g. ../shared/vocab): then those real vocabularies, for deeper fuzzing
 * by hand. The replay never sets it, so the corpus means the same there. */
llamac_vocab *fv_load_for_target(fv_kind kind);

/* Both vocabularies of fv_load_for_target, indexed by fv_kind, loaded by
 * the LLVMFuzzerInitialize of fuzz_vocab_targets.c. */
extern llamac_vocab *fv_target_vocabs[2];

#endif
