#include "test_util.h"

#include <unistd.h>

const char *shared_path(char *buf, size_t size, const char *relative) {
    const char *root = getenv("LLAMAC_SHARED");
    if (!root || !*root) root = "../shared";
    snprintf(buf, size, "%s/%s", root, relative);
    if (access(buf, R_OK) != 0) {
        fprintf(stderr, "SKIP: reference file %s not found (../shared absent?)\n", buf);
        return NULL;
    }
    return buf;
}
