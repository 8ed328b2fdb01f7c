/* Little-endian integers in byte buffers, for file formats that must read
 * the same on every host (the state files). */
#ifndef LLAMAC_BYTES_H
#define LLAMAC_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void lc_put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void lc_put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t lc_get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static inline uint64_t lc_get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static inline void lc_put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    lc_put_u32(p, v);
}
static inline float lc_get_f32(const uint8_t *p) {
    uint32_t v = lc_get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

#endif
