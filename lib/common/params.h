/* The versioned params structs of the public API (llamac.h: every
 * llamac_*_params starts with `size_t struct_size`, filled by its
 * *_params_init from the caller's sizeof). Both directions live here: giving
 * a caller the defaults, and reading a caller's struct of any older size. */
#ifndef LLAMAC_PARAMS_H
#define LLAMAC_PARAMS_H

#include "internal.h"

/* The body of every *_params_init: writes the first `size` bytes of the
 * defaults (`full` bytes at `defaults`) into params, with struct_size set to
 * `size`. A NULL params or a size that cannot even hold struct_size writes
 * nothing (documented once in llamac.h). */
void lc_params_init(void *params, size_t size, const void *defaults, size_t full);

/* Reads the caller's params `src` (NULL: keep the defaults) over `dst`, a
 * full-size struct already holding the defaults: the caller's known prefix
 * overrides them, fields its (older) header did not know keep their default,
 * and dst's struct_size becomes dst_size. A struct_size smaller than the
 * field itself or larger than dst_size (a newer header than this library) is
 * LLAMAC_ERR_INVALID_ARG naming the public function that was called and
 * the struct: `api` is its prefix, e.g. "llamac_model" for
 * llamac_model_params. */
llamac_status lc_params_read(void *dst, size_t dst_size, const void *src, const char *function,
                             const char *api);

#endif
