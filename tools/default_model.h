/* The model that ships with llamac (models/, see models/MODEL_CARD.md):
 * where `llamac run` and `llamac perplexity` find it when they get no -m.
 *
 * The build passes three strings (models/meson.build):
 *   LLAMAC_DEFAULT_MODEL_NAME   the file name, e.g. "kjv-6m-f16.gguf"
 *   LLAMAC_SOURCE_MODELS_DIR    <source root>/models: a binary run from the
 *                               build tree finds the checked-in file
 *   LLAMAC_INSTALL_MODELS_DIR   <prefix>/<datadir>/llamac, where
 *                               `meson install` puts it */
#ifndef LLAMAC_TOOLS_DEFAULT_MODEL_H
#define LLAMAC_TOOLS_DEFAULT_MODEL_H

#include <stddef.h>

/* Looks for the shipped model, first readable file wins:
 *   1. beside the running binary (the directory of /proc/self/exe, then
 *      of argv0 when it contains a '/'),
 *   2. in ../share/llamac relative to that directory (an installed tree
 *      that was moved to another prefix),
 *   3. in the source tree's models/ folder (binaries in the build tree),
 *   4. in the install prefix's datadir/llamac.
 * argv0 may be NULL. Returns 0 with the path in out; -1 when no place has
 * it (or every candidate path is longer than out_size), with out holding
 * "NAME not found in DIR1, DIR2, ..." (truncated to fit) for the user. */
int find_default_model(const char *argv0, char *out, size_t out_size);

/* The file name the search looks for. Static string. */
const char *default_model_name(void);

#endif
