/* Saving and restoring a sampler's state (RNG position, mirostat mu,
 * penalty window, each member of a chain) as a self-checking blob:
 *
 *   "LCSS"  u32 version (1)  u32 record bytes  u32 CRC-32 of the record
 *   record: u8 name length, name, u32 body length, body
 *
 * A chain's body is u32 count followed by each member's record, so a blob
 * restores only into a sampler of the same composition (kinds and order);
 * anything else is LLAMAC_ERR_MISMATCH. Loading checks the whole blob
 * before changing anything. */
#include "sampler.h"

#include "common/bytes.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define BLOB_MAGIC "LCSS"
#define BLOB_VERSION 1u
#define BLOB_HEADER 16u

void lc_rng_state_write(const lc_rng *rng, uint8_t *out) {
    for (int i = 0; i < 4; i++) lc_put_u64(out + 8 * i, rng->s[i]);
}

llamac_status lc_rng_state_check(const uint8_t *in, const char *who) {
    for (int i = 0; i < LC_RNG_STATE_BYTES; i++)
        if (in[i]) return LLAMAC_OK;
    return lc_fail(LLAMAC_ERR_FORMAT, "%s: random generator state is all zeros (not a state xoshiro256** reaches)",
                   who);
}

void lc_rng_state_read(lc_rng *rng, const uint8_t *in) {
    for (int i = 0; i < 4; i++) rng->s[i] = lc_get_u64(in + 8 * i);
}

static size_t body_size(const llamac_sampler *smpl) {
    return smpl->vt->state_size ? smpl->vt->state_size(smpl) : 0;
}

size_t lc_sampler_record_size(const llamac_sampler *smpl) {
    return 1 + strlen(smpl->vt->name) + 4 + body_size(smpl);
}

uint8_t *lc_sampler_record_write(const llamac_sampler *smpl, uint8_t *out) {
    const size_t name_len = strlen(smpl->vt->name), body = body_size(smpl);
    *out++ = (uint8_t)name_len;
    memcpy(out, smpl->vt->name, name_len);
    out += name_len;
    lc_put_u32(out, (uint32_t)body);
    out += 4;
    if (body) smpl->vt->state_write(smpl, out);
    return out + body;
}

/* Reads a record's framing: name and body within n bytes. */
static llamac_status record_frame(const uint8_t *in, size_t n, const char **name, size_t *name_len,
                                  const uint8_t **body, size_t *body_len, const char *where) {
    if (n < 1 || n - 1 < (size_t)in[0] + 4)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s: the record is cut short (%zu bytes left)", where, n);
    *name_len = in[0];
    *name = (const char *)in + 1;
    *body_len = lc_get_u32(in + 1 + *name_len);
    *body = in + 1 + *name_len + 4;
    if (*body_len > n - 1 - *name_len - 4)
        return lc_fail(LLAMAC_ERR_FORMAT, "%s: body of %zu bytes, only %zu left", where, *body_len,
                       n - 1 - *name_len - 4);
    return LLAMAC_OK;
}

llamac_status lc_sampler_record_check(llamac_sampler *smpl, const uint8_t *in, size_t n, size_t *used,
                                      const char *where) {
    const char *name = NULL;
    size_t name_len = 0, body_len = 0;
    const uint8_t *body = NULL;
    llamac_status st = record_frame(in, n, &name, &name_len, &body, &body_len, where);
    if (st != LLAMAC_OK) return st;
    if (name_len != strlen(smpl->vt->name) || memcmp(name, smpl->vt->name, name_len) != 0)
        return lc_fail(LLAMAC_ERR_MISMATCH, "%s: the state is of a '%.*s' sampler, this one is '%s'", where,
                       (int)name_len, name, smpl->vt->name);
    if (!smpl->vt->state_check) {
        if (body_len != 0)
            return lc_fail(LLAMAC_ERR_FORMAT, "%s ('%s'): keeps no state, but the record has %zu bytes", where,
                           smpl->vt->name, body_len);
    } else if ((st = smpl->vt->state_check(smpl, body, body_len)) != LLAMAC_OK) {
        lc_error_prefix("%s ('%s')", where, smpl->vt->name);
        return st;
    }
    *used = 1 + name_len + 4 + body_len;
    return LLAMAC_OK;
}

size_t lc_sampler_record_commit(llamac_sampler *smpl, const uint8_t *in) {
    const size_t name_len = in[0], body_len = lc_get_u32(in + 1 + name_len);
    if (smpl->vt->state_commit) smpl->vt->state_commit(smpl, in + 1 + name_len + 4, body_len);
    return 1 + name_len + 4 + body_len;
}

/* ---- the public blob ---- */

size_t llamac_sampler_state_size(const llamac_sampler *smpl) {
    return smpl ? BLOB_HEADER + lc_sampler_record_size(smpl) : 0;
}

llamac_status llamac_sampler_state_save(const llamac_sampler *smpl, void *buf, size_t cap, size_t *size) {
    LC_REQUIRE(smpl);
    LC_REQUIRE(size);
    const size_t need = llamac_sampler_state_size(smpl);
    *size = need;
    if (!buf || cap < need)
        return lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL,
                       "llamac_sampler_state_save: the state of '%s' needs %zu bytes, the buffer has %zu",
                       smpl->vt->name, need, buf ? cap : 0);
    uint8_t *p = buf;
    const size_t record = need - BLOB_HEADER;
    if (record > UINT32_MAX)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "llamac_sampler_state_save: a state of %zu bytes is too large",
                       record);
    memcpy(p, BLOB_MAGIC, 4);
    lc_put_u32(p + 4, BLOB_VERSION);
    lc_put_u32(p + 8, (uint32_t)record);
    lc_sampler_record_write(smpl, p + BLOB_HEADER);
    lc_put_u32(p + 12, (uint32_t)crc32(0L, p + BLOB_HEADER, (uInt)record));
    return LLAMAC_OK;
}

llamac_status lc_sampler_blob_check(llamac_sampler *smpl, const uint8_t *p, size_t size) {
    if (size < BLOB_HEADER || memcmp(p, BLOB_MAGIC, 4) != 0)
        return lc_fail(LLAMAC_ERR_FORMAT, "sampler state: %s",
                       size < BLOB_HEADER ? "shorter than its 16-byte header" : "magic is not \"LCSS\"");
    const uint32_t version = lc_get_u32(p + 4), record = lc_get_u32(p + 8);
    if (version > BLOB_VERSION)
        return lc_fail(LLAMAC_ERR_UNSUPPORTED, "sampler state: version %u, this library reads up to %u", version,
                       BLOB_VERSION);
    if (version == 0) return lc_fail(LLAMAC_ERR_FORMAT, "sampler state: version 0");
    if ((uint64_t)record != (uint64_t)(size - BLOB_HEADER))
        return lc_fail(LLAMAC_ERR_FORMAT, "sampler state: header declares %u record bytes, %zu follow", record,
                       size - BLOB_HEADER);
    const uint32_t crc = (uint32_t)crc32(0L, p + BLOB_HEADER, (uInt)record);
    if (crc != lc_get_u32(p + 12))
        return lc_fail(LLAMAC_ERR_FORMAT, "sampler state: CRC-32 %08x, header says %08x", crc, lc_get_u32(p + 12));
    size_t used = 0;
    llamac_status st = lc_sampler_record_check(smpl, p + BLOB_HEADER, record, &used, "sampler");
    if (st != LLAMAC_OK) return st;
    if (used != record)
        return lc_fail(LLAMAC_ERR_FORMAT, "sampler state: %zu bytes after the record", (size_t)record - used);
    return LLAMAC_OK;
}

void lc_sampler_blob_commit(llamac_sampler *smpl, const uint8_t *p) {
    lc_sampler_record_commit(smpl, p + BLOB_HEADER);
}

llamac_status llamac_sampler_state_load(llamac_sampler *smpl, const void *data, size_t size) {
    LC_REQUIRE(smpl);
    LC_REQUIRE(data);
    llamac_status st = lc_sampler_blob_check(smpl, data, size);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_sampler_state_load");
        return st;
    }
    lc_sampler_blob_commit(smpl, data);
    return LLAMAC_OK;
}
