/* What the layers above GGUF (the model loader) may use besides the public
 * llamac_gguf_* API: page release for mapped files. The parsed structure
 * itself stays private to lib/gguf/ (gguf_private.h). */
#ifndef LLAMAC_GGUF_H
#define LLAMAC_GGUF_H

#include "common/internal.h"

/* Drops the whole pages inside [p, p + n) of a mapped file from the
 * process's memory (they read back from the file if touched again); a
 * no-op for a file read into memory. */
void lc_gguf_release_pages(const llamac_gguf *g, const void *p, size_t n);
/* Whether the file is mapped (else read into one buffer). */
bool lc_gguf_is_mapped(const llamac_gguf *g);

#endif
