/* What tests and tools may ask of lib/state/ besides the public API. */
#ifndef LLAMAC_STATE_H
#define LLAMAC_STATE_H

#include "common/internal.h"

/* llamac_state_save with the byte-shuffle filter chosen by the caller (the
 * public call uses the library's choice): for measuring the filter. */
llamac_status lc_state_save_filtered(const llamac_context *ctx, int32_t seq, const llamac_state_params *params,
                                     bool shuffle, void *buf, size_t cap, size_t *size);

#endif
