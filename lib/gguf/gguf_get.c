/* Read access to an open GGUF file: typed metadata getters and the tensor
 * table. Everything was validated at open, so these only look up and
 * convert. */
#include "gguf_private.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>


uint32_t llamac_gguf_version(const llamac_gguf *g) { return g ? g->version : 0; }
uint32_t llamac_gguf_alignment(const llamac_gguf *g) { return g ? g->alignment : 0; }
uint64_t llamac_gguf_data_offset(const llamac_gguf *g) { return g ? g->data_offset : 0; }
int64_t llamac_gguf_n_kv(const llamac_gguf *g) { return g ? g->n_kv : 0; }
int64_t llamac_gguf_n_tensors(const llamac_gguf *g) { return g ? g->n_tensors : 0; }

int64_t llamac_gguf_find_key(const llamac_gguf *g, const char *key) {
    return g && key ? lc_gguf_lookup(g, false, key, strlen(key)) : -1;
}

const char *llamac_gguf_key(const llamac_gguf *g, int64_t i) {
    return g && i >= 0 && i < g->n_kv ? lc_gguf_cstr(g, g->kv[i].key) : NULL;
}

llamac_gguf_type llamac_gguf_kv_type(const llamac_gguf *g, int64_t i) {
    return g && i >= 0 && i < g->n_kv ? g->kv[i].type : (llamac_gguf_type)-1;
}

/* The entry for `key`, or NOT_FOUND. */
static llamac_status find(const char *function, const llamac_gguf *g, const char *key,
                          const lc_gguf_kv **kv) {
    if (!g) return lc_null_arg(function, "gguf");
    if (!key) return lc_null_arg(function, "key");
    int64_t i = lc_gguf_lookup(g, false, key, strlen(key));
    if (i < 0) return lc_fail(LLAMAC_ERR_NOT_FOUND, "key '%.200s' not found", key);
    *kv = &g->kv[i];
    return LLAMAC_OK;
}

static llamac_status wrong_type(const char *key, const lc_gguf_kv *kv, const char *wanted) {
    return lc_fail(LLAMAC_ERR_TYPE, "key '%.200s' holds %s, expected %s", key,
                   llamac_gguf_type_name(kv->type), wanted);
}

/* An integer value of any width and signedness, widened without loss. */
typedef struct int_val {
    bool is_signed;
    int64_t s;
    uint64_t u;
} int_val;

static bool read_int(const lc_gguf_kv *kv, int_val *v) {
    const unsigned char *d = kv->data;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    v->is_signed = true;
    switch (kv->type) {
    case LLAMAC_GGUF_INT8: v->s = (int8_t)d[0]; return true;
    case LLAMAC_GGUF_INT16: u16 = lc_le16(d); memcpy(&i16, &u16, 2); v->s = i16; return true;
    case LLAMAC_GGUF_INT32: u32 = lc_le32(d); memcpy(&i32, &u32, 4); v->s = i32; return true;
    case LLAMAC_GGUF_INT64: u64 = lc_le64(d); memcpy(&i64, &u64, 8); v->s = i64; return true;
    default: break;
    }
    v->is_signed = false;
    switch (kv->type) {
    case LLAMAC_GGUF_UINT8: v->u = d[0]; return true;
    case LLAMAC_GGUF_UINT16: v->u = lc_le16(d); return true;
    case LLAMAC_GGUF_UINT32: v->u = lc_le32(d); return true;
    case LLAMAC_GGUF_UINT64: v->u = lc_le64(d); return true;
    default: return false;
    }
}

/* Finds an integer key whose value lies in [min, max]. */
static llamac_status get_int(const char *function, const llamac_gguf *g, const char *key, int64_t min,
                             uint64_t max, const char *target, int_val *v) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(function, g, key, &kv);
    if (st) return st;
    if (!read_int(kv, v)) return wrong_type(key, kv, "an integer");
    bool fits = v->is_signed ? v->s >= min && (v->s < 0 || (uint64_t)v->s <= max) : v->u <= max;
    if (fits) return LLAMAC_OK;
    if (v->is_signed)
        return lc_fail(LLAMAC_ERR_TYPE, "key '%.200s' holds %" PRId64 ", which does not fit %s",
                       key, v->s, target);
    return lc_fail(LLAMAC_ERR_TYPE, "key '%.200s' holds %" PRIu64 ", which does not fit %s", key,
                   v->u, target);
}

llamac_status llamac_gguf_get_u32(const llamac_gguf *g, const char *key, uint32_t *out) {
    int_val v = {false, 0, 0};
    llamac_status st = get_int(__func__, g, key, 0, UINT32_MAX, "UINT32", &v);
    if (!st && out) *out = (uint32_t)(v.is_signed ? (uint64_t)v.s : v.u);
    return st;
}

llamac_status llamac_gguf_get_i32(const llamac_gguf *g, const char *key, int32_t *out) {
    int_val v = {false, 0, 0};
    llamac_status st = get_int(__func__, g, key, INT32_MIN, INT32_MAX, "INT32", &v);
    if (!st && out) *out = (int32_t)(v.is_signed ? v.s : (int64_t)v.u);
    return st;
}

llamac_status llamac_gguf_get_u64(const llamac_gguf *g, const char *key, uint64_t *out) {
    int_val v = {false, 0, 0};
    llamac_status st = get_int(__func__, g, key, 0, UINT64_MAX, "UINT64", &v);
    if (!st && out) *out = v.is_signed ? (uint64_t)v.s : v.u;
    return st;
}

llamac_status llamac_gguf_get_i64(const llamac_gguf *g, const char *key, int64_t *out) {
    int_val v = {false, 0, 0};
    llamac_status st = get_int(__func__, g, key, INT64_MIN, INT64_MAX, "INT64", &v);
    if (!st && out) *out = v.is_signed ? v.s : (int64_t)v.u;
    return st;
}

static llamac_status get_float(const char *function, const llamac_gguf *g, const char *key, double *out) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(function, g, key, &kv);
    if (st) return st;
    if (kv->type == LLAMAC_GGUF_FLOAT32) {
        uint32_t bits = lc_le32(kv->data);
        float f;
        memcpy(&f, &bits, sizeof f);
        *out = f;
    } else if (kv->type == LLAMAC_GGUF_FLOAT64) {
        uint64_t bits = lc_le64(kv->data);
        memcpy(out, &bits, sizeof *out);
    } else {
        return wrong_type(key, kv, "FLOAT32 or FLOAT64");
    }
    return LLAMAC_OK;
}

llamac_status llamac_gguf_get_f32(const llamac_gguf *g, const char *key, float *out) {
    double d;
    llamac_status st = get_float(__func__, g, key, &d);
    if (st) return st;
    /* Converting a finite double beyond FLT_MAX to float is undefined. */
    if (isfinite(d) && fabs(d) > FLT_MAX)
        return lc_fail(LLAMAC_ERR_TYPE, "key '%.200s' holds %g, which does not fit FLOAT32", key, d);
    if (out) *out = (float)d;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_get_f64(const llamac_gguf *g, const char *key, double *out) {
    double d;
    llamac_status st = get_float(__func__, g, key, &d);
    if (!st && out) *out = d;
    return st;
}

llamac_status llamac_gguf_get_bool(const llamac_gguf *g, const char *key, bool *out) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(__func__, g, key, &kv);
    if (st) return st;
    if (kv->type != LLAMAC_GGUF_BOOL) return wrong_type(key, kv, "BOOL");
    if (out) *out = kv->data[0] != 0;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_get_string(const llamac_gguf *g, const char *key, const char **str,
                                     uint64_t *len) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(__func__, g, key, &kv);
    if (st) return st;
    if (kv->type != LLAMAC_GGUF_STRING) return wrong_type(key, kv, "STRING");
    if (str) *str = lc_gguf_cstr(g, kv->str);
    if (len) *len = kv->str.len;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_get_array(const llamac_gguf *g, const char *key,
                                    llamac_gguf_type *elem_type, uint64_t *n, const void **data) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(__func__, g, key, &kv);
    if (st) return st;
    if (kv->type != LLAMAC_GGUF_ARRAY) return wrong_type(key, kv, "ARRAY");
    if (elem_type) *elem_type = kv->elem_type;
    if (n) *n = kv->n;
    if (data) *data = lc_gguf_scalar_size(kv->elem_type) ? kv->data : NULL;
    return LLAMAC_OK;
}

llamac_status llamac_gguf_get_array_string(const llamac_gguf *g, const char *key, uint64_t idx,
                                           const char **str, uint64_t *len) {
    const lc_gguf_kv *kv = NULL;
    llamac_status st = find(__func__, g, key, &kv);
    if (st) return st;
    if (kv->type != LLAMAC_GGUF_ARRAY || kv->elem_type != LLAMAC_GGUF_STRING)
        return lc_fail(LLAMAC_ERR_TYPE, "key '%.200s' is not an array of strings", key);
    if (idx >= kv->n)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "index %" PRIu64 " is out of range for key '%.200s' (%" PRIu64 " strings)",
                       idx, key, kv->n);
    if (str) *str = g->arena.data + kv->str_offs[idx];
    if (len) *len = kv->str_offs[idx + 1] - kv->str_offs[idx] - 1;
    return LLAMAC_OK;
}

int64_t llamac_gguf_find_tensor(const llamac_gguf *g, const char *name) {
    return g && name ? lc_gguf_lookup(g, true, name, strlen(name)) : -1;
}

llamac_status llamac_gguf_tensor(const llamac_gguf *g, int64_t i, llamac_tensor_info *out) {
    if (!g) return lc_null_arg(__func__, "gguf");
    LC_REQUIRE(out);
    if (i < 0 || i >= g->n_tensors)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "tensor index %" PRId64 " is out of range (file has %" PRId64 " tensors)", i,
                       g->n_tensors);
    const lc_gguf_tensor *t = &g->tensors[i];
    out->name = lc_gguf_cstr(g, t->name);
    out->n_dims = t->n_dims;
    memcpy(out->ne, t->ne, sizeof out->ne);
    out->type = t->type;
    out->offset = t->offset;
    out->n_bytes = t->n_bytes;
    out->data = g->base + g->data_offset + t->offset;
    return LLAMAC_OK;
}
