/* Params structs across header versions (params.h). */
#include "params.h"

#include <string.h>

void lc_params_init(void *params, size_t size, const void *defaults, size_t full) {
    if (!params || size < sizeof(size_t)) return;
    memcpy(params, defaults, LC_MIN(size, full));
    memcpy(params, &size, sizeof size);
}

llamac_status lc_params_read(void *dst, size_t dst_size, const void *src, const char *function,
                             const char *api) {
    if (!src) return LLAMAC_OK;
    size_t src_size;
    memcpy(&src_size, src, sizeof src_size);
    if (src_size < sizeof(size_t) || src_size > dst_size)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "%s: %s_params.struct_size is %zu but this library accepts %zu..%zu; "
                       "initialize params with %s_default_params()",
                       function, api, src_size, sizeof(size_t), dst_size, api);
    memcpy(dst, src, src_size);
    memcpy(dst, &dst_size, sizeof dst_size); /* the internal copy is full size */
    return LLAMAC_OK;
}
