/* The start-up of the targets that run on fuzz_vocabs.c's two vocabularies
 * (tokenize, detokenize): both are loaded once, before the first input. */
#include "fuzz_vocabs.h"

#include <stdlib.h>

llamac_vocab *fv_target_vocabs[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fv_target_vocabs[FV_SPM] = fv_load_for_target(FV_SPM);
    fv_target_vocabs[FV_BPE] = fv_load_for_target(FV_BPE);
    if (!fv_target_vocabs[FV_SPM] || !fv_target_vocabs[FV_BPE]) abort();
    return 0;
}
