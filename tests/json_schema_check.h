/* A small JSON Schema validator for the tests: whether a parsed document
 * satisfies a schema, for the keywords the generation tests use: type
 * (one or a list), properties, required, additionalProperties (false or
 * absent/true), items, minItems, maxItems, enum, const, minLength and
 * maxLength (in code points), minimum, maximum, anyOf, oneOf (as anyOf,
 * like the converter), $ref to "#/$defs/NAME" or "#/definitions/NAME".
 * Written for the tests from the JSON Schema specification, independent of
 * the converter. Other keywords are an error (so a test cannot silently
 * check less than it claims). */
#ifndef LLAMAC_TESTS_JSON_SCHEMA_CHECK_H
#define LLAMAC_TESTS_JSON_SCHEMA_CHECK_H

#include "common/json.h"

#include <stddef.h>

/* true when doc satisfies schema (root is the whole schema, for $ref);
 * false with the reason in why[0..why_size). */
bool json_schema_check(const lc_json *root, const lc_json *schema, const lc_json *doc, char *why, size_t why_size);

#endif
