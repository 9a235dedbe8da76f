/* filters.c - the predictors and byte transforms of FORMAT.md section 4.
 * Each function works on a group of byte channels inside an interleaved
 * buffer of `stride` bytes per pixel. */
#include "internal.h"

/* LEFT, decode: v[i] = s[i] + v[i-1] per channel, raster order, v[-1] = 0. */
void pzp__unleft_u8(uint8_t *dst, const uint8_t *src, size_t pixels, unsigned stride, unsigned channels) {
    if (pixels == 0) return;
    if (channels == stride) {
        /* Contiguous block: one running sum over bytes channels apart. */
        size_t n = pixels * channels;
        memcpy(dst, src, channels);
        for (size_t i = channels; i < n; i++) dst[i] = (uint8_t)(src[i] + dst[i - channels]);
        return;
    }
    for (unsigned k = 0; k < channels; k++) dst[k] = src[k];
    for (size_t i = 1; i < pixels; i++) {
        const uint8_t *s = src + i * channels;
        uint8_t *d = dst + i * stride;
        for (unsigned k = 0; k < channels; k++) d[k] = (uint8_t)(s[k] + d[(ptrdiff_t)k - (ptrdiff_t)stride]);
    }
}

/* LEFT, encode: s[i] = v[i] - v[i-1]. dst is the group's contiguous block. */
void pzp__left_u8(uint8_t *dst, const uint8_t *src, size_t pixels, unsigned stride, unsigned channels) {
    if (pixels == 0) return;
    for (unsigned k = 0; k < channels; k++) dst[k] = src[k];
    for (size_t i = 1; i < pixels; i++) {
        const uint8_t *v = src + i * stride;
        uint8_t *d = dst + i * channels;
        for (unsigned k = 0; k < channels; k++) d[k] = (uint8_t)(v[k] - v[(ptrdiff_t)k - (ptrdiff_t)stride]);
    }
}

static inline uint16_t zigzag16(uint16_t r) {
    int16_t s = (int16_t)r;
    return (uint16_t)(((uint16_t)s << 1) ^ (uint16_t)(s >> 15));
}

static inline uint16_t unzigzag16(uint16_t z) { return (uint16_t)((z >> 1) ^ (uint16_t)-(int16_t)(z & 1)); }

/* GRADIENT, decode: planes = N high bytes then N low bytes of the zigzagged
 * residuals; writes the samples as (high, low) byte pairs at dst (stride apart).
 * d = running sum of residuals along the row + the sample above. */
void pzp__ungradient_u16(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height, unsigned stride) {
    size_t n = (size_t)width * height;
    const uint8_t *hi = planes, *lo = planes + n;
    for (uint32_t y = 0; y < height; y++) {
        uint16_t e = 0;
        size_t row = (size_t)y * width;
        for (uint32_t x = 0; x < width; x++) {
            size_t i = row + x;
            e = (uint16_t)(e + unzigzag16((uint16_t)(hi[i] << 8 | lo[i])));
            uint8_t *d = dst + i * stride;
            uint16_t up = y ? (uint16_t)(d[-(ptrdiff_t)width * stride] << 8 | d[-(ptrdiff_t)width * stride + 1]) : 0;
            uint16_t v = (uint16_t)(e + up);
            d[0] = (uint8_t)(v >> 8);
            d[1] = (uint8_t)v;
        }
    }
}

/* GRADIENT, encode: the inverse of the above. */
void pzp__gradient_u16(uint8_t *planes, const uint8_t *src, uint32_t width, uint32_t height, unsigned stride) {
    size_t n = (size_t)width * height;
    uint8_t *hi = planes, *lo = planes + n;
    for (uint32_t y = 0; y < height; y++) {
        uint16_t left_e = 0;
        size_t row = (size_t)y * width;
        for (uint32_t x = 0; x < width; x++) {
            size_t i = row + x;
            const uint8_t *s = src + i * stride;
            uint16_t v = (uint16_t)(s[0] << 8 | s[1]);
            uint16_t up = y ? (uint16_t)(s[-(ptrdiff_t)width * stride] << 8 | s[-(ptrdiff_t)width * stride + 1]) : 0;
            uint16_t e = (uint16_t)(v - up);
            uint16_t z = zigzag16((uint16_t)(e - left_e));
            left_e = e;
            hi[i] = (uint8_t)(z >> 8);
            lo[i] = (uint8_t)z;
        }
    }
}

/* Swaps the bytes of each 16-bit sample (big-endian file order <-> host order
 * on little-endian hosts). dst may equal src. */
void pzp__swap16(uint8_t *dst, const uint8_t *src, size_t samples) {
    for (size_t i = 0; i < samples; i++) {
        uint8_t a = src[2 * i], b = src[2 * i + 1];
        dst[2 * i] = b;
        dst[2 * i + 1] = a;
    }
}

void pzp__add_bytes(uint8_t *dst, const uint8_t *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(dst[i] + src[i]);
}

void pzp__sub_bytes(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(a[i] - b[i]);
}
