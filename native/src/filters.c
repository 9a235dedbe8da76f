/* filters.c - the predictors and byte transforms of FORMAT.md section 4.
 * Each function works on a group of byte channels inside an interleaved
 * buffer of `stride` bytes per pixel. */
#include "internal.h"

#if PZP_X86_SIMD
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))
#endif

/* ---- LEFT, decode: v[i] = s[i] + v[i-1] per channel, raster order, v[-1] = 0 ----
 * For a group that is the whole pixel this is one running sum over bytes
 * `stride` apart. The SIMD kernels sum inside a 16-byte vector with shifted
 * adds (log2 steps), then add the previous vector's last pixel broadcast to
 * every pixel; that carry is the only serial dependency (2 instructions per
 * vector). They return how many bytes they did; unleft_tail finishes. */

/* Bytes [from, n) of the contiguous case. With swap16 the two bytes of each
 * 16-bit sample trade places on output (stride even: the byte `stride` before
 * output byte i^1 is output byte (i^1) - stride). */
static void unleft_tail(uint8_t *dst, const uint8_t *src, size_t from, size_t n, unsigned stride, int swap16) {
    size_t x = swap16 ? 1 : 0;
    for (size_t i = from; i < n && i < stride; i++) dst[i ^ x] = src[i];
    for (size_t i = from > stride ? from : stride; i < n; i++) dst[i ^ x] = (uint8_t)(src[i] + dst[(i ^ x) - stride]);
}

#if PZP_X86_SIMD
static inline __m128i bswap16_sse2(__m128i v) { return _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8)); }

/* SSE2 (x86-64 baseline): strides 1, 2, 4 and 8, which tile 16 bytes and can
 * broadcast their last pixel with plain shuffles. */
static size_t unleft_sse2(uint8_t *dst, const uint8_t *src, size_t n, unsigned stride, int swap16) {
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        switch (stride) { /* shifts by compile-time constants; the branch is loop-invariant */
        case 1: v = _mm_add_epi8(v, _mm_slli_si128(v, 1)); /* fall through */
        case 2: v = _mm_add_epi8(v, _mm_slli_si128(v, 2)); /* fall through */
        case 4: v = _mm_add_epi8(v, _mm_slli_si128(v, 4)); /* fall through */
        default: v = _mm_add_epi8(v, _mm_slli_si128(v, 8));
        }
        v = _mm_add_epi8(v, carry);
        switch (stride) {
        case 1: carry = _mm_unpackhi_epi8(v, v); /* byte 15 doubled into word 7, then as stride 2 */
                carry = _mm_shufflehi_epi16(carry, 0xFF); carry = _mm_unpackhi_epi64(carry, carry); break;
        case 2: carry = _mm_shufflehi_epi16(v, 0xFF); carry = _mm_unpackhi_epi64(carry, carry); break;
        case 4: carry = _mm_shuffle_epi32(v, 0xFF); break;
        default: carry = _mm_unpackhi_epi64(v, v);
        }
        _mm_storeu_si128((__m128i *)(dst + i), swap16 ? bswap16_sse2(v) : v);
    }
    return i;
}

/* AVX2 machines: any stride up to 16 with pshufb. A vector advances by the
 * whole pixels it holds (step bytes: 15 for RGB); the bytes past step are
 * stored too and then overwritten by the next vector. Shift masks for a
 * distance of 16 or more select nothing, so every stride runs the same four
 * shifted adds. 128-bit vectors: the carry chain, not the width, is the limit. */
AVX2 static size_t unleft_avx2(uint8_t *dst, const uint8_t *src, size_t n, unsigned stride, int swap16) {
    unsigned step = 16 - 16 % stride;
    uint8_t masks[6][16];
    for (unsigned b = 0; b < 16; b++) {
        for (unsigned k = 0; k < 4; k++) {
            unsigned distance = stride << k;
            masks[k][b] = distance < 16 && b >= distance ? (uint8_t)(b - distance) : 0x80;
        }
        masks[4][b] = (uint8_t)(step - stride + b % stride); /* the last whole pixel, repeated */
        masks[5][b] = (uint8_t)(b ^ 1);                     /* 16-bit byte swap */
    }
    const __m128i s0 = _mm_loadu_si128((const __m128i *)masks[0]), s1 = _mm_loadu_si128((const __m128i *)masks[1]);
    const __m128i s2 = _mm_loadu_si128((const __m128i *)masks[2]), s3 = _mm_loadu_si128((const __m128i *)masks[3]);
    const __m128i last = _mm_loadu_si128((const __m128i *)masks[4]), swap = _mm_loadu_si128((const __m128i *)masks[5]);
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += step) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        v = _mm_add_epi8(v, _mm_shuffle_epi8(v, s0));
        v = _mm_add_epi8(v, _mm_shuffle_epi8(v, s1));
        v = _mm_add_epi8(v, _mm_shuffle_epi8(v, s2));
        v = _mm_add_epi8(v, _mm_shuffle_epi8(v, s3));
        v = _mm_add_epi8(v, carry);
        carry = _mm_shuffle_epi8(v, last);
        _mm_storeu_si128((__m128i *)(dst + i), swap16 ? _mm_shuffle_epi8(v, swap) : v);
    }
    return i;
}
#endif

void pzp__unleft_u8(uint8_t *dst, const uint8_t *src, size_t pixels, unsigned stride, unsigned channels, int swap16) {
    if (pixels == 0) return;
    if (channels == stride) {
        size_t n = pixels * channels, done = 0;
#if PZP_X86_SIMD
        int level = pzp__cpu_level();
        if (level >= PZP_CPU_AVX2 && stride <= 16)
            done = unleft_avx2(dst, src, n, stride, swap16);
        else if (level >= PZP_CPU_SSE2 && (stride == 1 || stride == 2 || stride == 4 || stride == 8))
            done = unleft_sse2(dst, src, n, stride, swap16);
#endif
        unleft_tail(dst, src, done, n, stride, swap16);
        return;
    }
    /* One group of several: its channels sit inside a wider pixel. */
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

/* GRADIENT, decode, one 16-bit channel: the same sums, written as host-order
 * samples (no byte-order pass afterwards). SSE2 does 8 samples at a time:
 * un-zigzag, running sum of the row with shifted adds plus the carry of the
 * previous 8, then add the row above. */
static inline uint16_t load16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2); /* dst need not be 2-byte aligned */
    return v;
}

void pzp__ungradient_u16_host(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height) {
    size_t n = (size_t)width * height;
    const uint8_t *hi = planes, *lo = planes + n;
#if PZP_X86_SIMD
    int simd = pzp__cpu_level() >= PZP_CPU_SSE2;
    const __m128i one = _mm_set1_epi16(1);
#endif
    for (uint32_t y = 0; y < height; y++) {
        size_t row = (size_t)y * width;
        uint8_t *out = dst + 2 * row;
        const uint8_t *up = y ? out - 2 * (size_t)width : NULL;
        uint16_t e = 0;
        uint32_t x = 0;
#if PZP_X86_SIMD
        if (simd) {
            __m128i carry = _mm_setzero_si128();
            for (; x + 8 <= width; x += 8) {
                __m128i z = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(lo + row + x)),
                                              _mm_loadl_epi64((const __m128i *)(hi + row + x)));
                __m128i r = _mm_xor_si128(_mm_srli_epi16(z, 1), _mm_sub_epi16(_mm_setzero_si128(), _mm_and_si128(z, one)));
                r = _mm_add_epi16(r, _mm_slli_si128(r, 2));
                r = _mm_add_epi16(r, _mm_slli_si128(r, 4));
                r = _mm_add_epi16(r, _mm_slli_si128(r, 8));
                r = _mm_add_epi16(r, carry);
                carry = _mm_shufflehi_epi16(r, 0xFF);
                carry = _mm_unpackhi_epi64(carry, carry);
                if (up) r = _mm_add_epi16(r, _mm_loadu_si128((const __m128i *)(up + 2 * x)));
                _mm_storeu_si128((__m128i *)(out + 2 * x), r);
            }
            e = (uint16_t)_mm_extract_epi16(carry, 7);
        }
#endif
        for (; x < width; x++) {
            e = (uint16_t)(e + unzigzag16((uint16_t)(hi[row + x] << 8 | lo[row + x])));
            uint16_t v = (uint16_t)(e + (up ? load16(up + 2 * x) : 0));
            memcpy(out + 2 * x, &v, 2);
        }
    }
}

/* GRADIENT, decode, 2 to 8 interleaved 16-bit channels with one group each
 * (what the writer picks for 16-bit images with use_rle): channel k's planes
 * are at planes + 2 * k * n. The channels' running sums are independent, so
 * SSE2 sums 8 pixels of each channel at once (as above), interleaves them
 * (unpacks for 2 and 4 channels, pshufb for 3 on AVX2 machines, through a
 * small buffer otherwise), adds the row above and stores host order: one
 * pass, where one strided pass per channel and a byte swap took 4-5x longer.
 * 256-bit vectors would not pay: 2 channels already run at memcpy speed. */
#if PZP_X86_SIMD
static inline __m128i ungradient8(const uint8_t *hi, const uint8_t *lo, __m128i *carry) {
    __m128i z = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)lo), _mm_loadl_epi64((const __m128i *)hi));
    __m128i r = _mm_xor_si128(_mm_srli_epi16(z, 1), _mm_sub_epi16(_mm_setzero_si128(), _mm_and_si128(z, _mm_set1_epi16(1))));
    r = _mm_add_epi16(r, _mm_slli_si128(r, 2));
    r = _mm_add_epi16(r, _mm_slli_si128(r, 4));
    r = _mm_add_epi16(r, _mm_slli_si128(r, 8));
    r = _mm_add_epi16(r, *carry);
    __m128i last = _mm_shufflehi_epi16(r, 0xFF);
    *carry = _mm_unpackhi_epi64(last, last);
    return r;
}

/* Adds the row above (if any) to 8 host-order samples and stores them. */
static inline void store_up(uint8_t *out, const uint8_t *up, __m128i v) {
    if (up) v = _mm_add_epi16(v, _mm_loadu_si128((const __m128i *)up));
    _mm_storeu_si128((__m128i *)out, v);
}

/* 3 channels: output vector v takes sample 8v + w (pixel (8v + w) / 3,
 * channel (8v + w) % 3) from that channel's sums; pshufb with these masks
 * picks it, the other channels' masks give zero there. */
AVX2 static uint32_t ungradient3_ssse3(uint8_t *out, const uint8_t *up, const uint8_t *const *hi,
                                       const uint8_t *const *lo, uint32_t width, uint16_t *e) {
    uint8_t m[3][3][16];
    for (unsigned v = 0; v < 3; v++)
        for (unsigned k = 0; k < 3; k++)
            for (unsigned b = 0; b < 16; b++) {
                unsigned sample = 8 * v + b / 2;
                m[v][k][b] = sample % 3 == k ? (uint8_t)(2 * (sample / 3) + (b & 1)) : 0x80;
            }
    __m128i mask[3][3], carry[3];
    for (unsigned v = 0; v < 3; v++)
        for (unsigned k = 0; k < 3; k++) mask[v][k] = _mm_loadu_si128((const __m128i *)m[v][k]);
    for (unsigned k = 0; k < 3; k++) carry[k] = _mm_set1_epi16((short)e[k]);
    uint32_t x = 0;
    for (; x + 8 <= width; x += 8) {
        __m128i r0 = ungradient8(hi[0] + x, lo[0] + x, &carry[0]);
        __m128i r1 = ungradient8(hi[1] + x, lo[1] + x, &carry[1]);
        __m128i r2 = ungradient8(hi[2] + x, lo[2] + x, &carry[2]);
        for (unsigned v = 0; v < 3; v++) {
            __m128i o = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r0, mask[v][0]), _mm_shuffle_epi8(r1, mask[v][1])),
                                     _mm_shuffle_epi8(r2, mask[v][2]));
            store_up(out + 6 * x + 16 * v, up ? up + 6 * x + 16 * v : NULL, o);
        }
    }
    for (unsigned k = 0; k < 3; k++) e[k] = (uint16_t)_mm_extract_epi16(carry[k], 7);
    return x;
}

/* Any count of channels: each channel's sums scattered with pextrw (the
 * whole row, tail included), then the row above added 8 samples at a time. */
static uint32_t ungradient_n_sse2(uint8_t *out, const uint8_t *up, const uint8_t *const *hi, const uint8_t *const *lo,
                                  uint32_t width, unsigned channels, uint16_t *e) {
    size_t step = 2 * (size_t)channels;
    for (unsigned k = 0; k < channels; k++) {
        __m128i carry = _mm_setzero_si128();
        uint8_t *o = out + 2 * k;
        uint32_t x = 0;
        for (; x + 8 <= width; x += 8, o += 8 * step) {
            __m128i r = ungradient8(hi[k] + x, lo[k] + x, &carry);
            uint16_t v[8] = {(uint16_t)_mm_extract_epi16(r, 0), (uint16_t)_mm_extract_epi16(r, 1),
                             (uint16_t)_mm_extract_epi16(r, 2), (uint16_t)_mm_extract_epi16(r, 3),
                             (uint16_t)_mm_extract_epi16(r, 4), (uint16_t)_mm_extract_epi16(r, 5),
                             (uint16_t)_mm_extract_epi16(r, 6), (uint16_t)_mm_extract_epi16(r, 7)};
            for (unsigned j = 0; j < 8; j++) memcpy(o + j * step, &v[j], 2);
        }
        uint16_t s = (uint16_t)_mm_extract_epi16(carry, 7);
        for (; x < width; x++, o += step) {
            s = (uint16_t)(s + unzigzag16((uint16_t)(hi[k][x] << 8 | lo[k][x])));
            memcpy(o, &s, 2);
        }
        e[k] = s;
    }
    if (up) {
        size_t n = (size_t)width * step, i = 0;
        for (; i + 16 <= n; i += 16)
            _mm_storeu_si128((__m128i *)(out + i), _mm_add_epi16(_mm_loadu_si128((const __m128i *)(out + i)),
                                                                 _mm_loadu_si128((const __m128i *)(up + i))));
        for (; i < n; i += 2) {
            uint16_t v = (uint16_t)(load16(out + i) + load16(up + i));
            memcpy(out + i, &v, 2);
        }
    }
    return width;
}

static uint32_t ungradient_sse2(uint8_t *out, const uint8_t *up, const uint8_t *const *hi, const uint8_t *const *lo,
                                uint32_t width, unsigned channels, uint16_t *e, int level) {
    if (channels == 3 && level >= PZP_CPU_AVX2) return ungradient3_ssse3(out, up, hi, lo, width, e);
    if (channels != 2 && channels != 4) return ungradient_n_sse2(out, up, hi, lo, width, channels, e);
    __m128i carry[4];
    for (unsigned k = 0; k < channels; k++) carry[k] = _mm_set1_epi16((short)e[k]);
    uint32_t x = 0;
    for (; x + 8 <= width; x += 8) {
        size_t at = 2 * (size_t)x * channels;
        __m128i r0 = ungradient8(hi[0] + x, lo[0] + x, &carry[0]);
        __m128i r1 = ungradient8(hi[1] + x, lo[1] + x, &carry[1]);
        __m128i a = _mm_unpacklo_epi16(r0, r1), b = _mm_unpackhi_epi16(r0, r1); /* pixels 0-3, 4-7 */
        if (channels == 2) {
            store_up(out + at, up ? up + at : NULL, a);
            store_up(out + at + 16, up ? up + at + 16 : NULL, b);
            continue;
        }
        __m128i r2 = ungradient8(hi[2] + x, lo[2] + x, &carry[2]);
        __m128i r3 = ungradient8(hi[3] + x, lo[3] + x, &carry[3]);
        __m128i c = _mm_unpacklo_epi16(r2, r3), d = _mm_unpackhi_epi16(r2, r3);
        store_up(out + at, up ? up + at : NULL, _mm_unpacklo_epi32(a, c));
        store_up(out + at + 16, up ? up + at + 16 : NULL, _mm_unpackhi_epi32(a, c));
        store_up(out + at + 32, up ? up + at + 32 : NULL, _mm_unpacklo_epi32(b, d));
        store_up(out + at + 48, up ? up + at + 48 : NULL, _mm_unpackhi_epi32(b, d));
    }
    for (unsigned k = 0; k < channels; k++) e[k] = (uint16_t)_mm_extract_epi16(carry[k], 7);
    return x;
}
#endif

void pzp__ungradient_u16_channels_host(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height,
                                       unsigned channels) {
    if (channels == 1) {
        pzp__ungradient_u16_host(dst, planes, width, height);
        return;
    }
    size_t n = (size_t)width * height, row_bytes = 2 * (size_t)width * channels;
    const uint8_t *hi[PZP_MAX_GROUPS], *lo[PZP_MAX_GROUPS];
#if PZP_X86_SIMD
    int level = pzp__cpu_level();
#endif
    for (uint32_t y = 0; y < height; y++) {
        size_t row = (size_t)y * width;
        for (unsigned k = 0; k < channels; k++) {
            hi[k] = planes + 2 * k * n + row;
            lo[k] = hi[k] + n;
        }
        uint8_t *out = dst + y * row_bytes;
        const uint8_t *up = y ? out - row_bytes : NULL;
        uint16_t e[PZP_MAX_GROUPS] = {0};
        uint32_t x = 0;
#if PZP_X86_SIMD
        if (level >= PZP_CPU_SSE2) x = ungradient_sse2(out, up, hi, lo, width, channels, e, level);
#endif
        for (; x < width; x++) {
            for (unsigned k = 0; k < channels; k++) {
                size_t at = 2 * ((size_t)x * channels + k);
                e[k] = (uint16_t)(e[k] + unzigzag16((uint16_t)(hi[k][x] << 8 | lo[k][x])));
                uint16_t v = (uint16_t)(e[k] + (up ? load16(up + at) : 0));
                memcpy(out + at, &v, 2);
            }
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

/* ---- palette lookup ----
 * A channel whose list is 0, 1, ..., n-1 (every 8-bit channel that uses all
 * 256 values, and label maps numbered from 0) maps each index to itself:
 * only the range check remains. One-channel images with up to 64 values
 * (label maps) use AVX2 table shuffles, as do the channels of several-channel
 * images (RGB label maps) that have at most 16 values; the rest one table
 * load per byte. */

/* The largest byte of data (vectorised by the compiler). */
static uint8_t max_byte(const uint8_t *data, size_t n) {
    uint8_t m = 0;
    for (size_t i = 0; i < n; i++) m = data[i] > m ? data[i] : m;
    return m;
}

#if PZP_X86_SIMD
/* 32 indices at a time: each 16-entry slice of the list is a vpshufb table,
 * and the index's high nibble picks the slice. Returns the bytes done. */
AVX2 static size_t unpalette1_avx2(uint8_t *data, size_t n, const uint8_t *values, uint32_t count) {
    uint8_t tables[4][16] = {{0}};
    memcpy(tables, values, count);
    __m256i table[4], slice_id[4];
    uint32_t slices = (count + 15) / 16;
    for (uint32_t j = 0; j < slices; j++) {
        table[j] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)tables[j]));
        slice_id[j] = _mm256_set1_epi8((char)j);
    }
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i idx = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i high = _mm256_and_si256(_mm256_srli_epi16(idx, 4), nibble);
        __m256i out = _mm256_setzero_si256();
        for (uint32_t j = 0; j < slices; j++)
            out = _mm256_or_si256(out, _mm256_and_si256(_mm256_shuffle_epi8(table[j], idx),
                                                        _mm256_cmpeq_epi8(high, slice_id[j])));
        _mm256_storeu_si256((__m256i *)(data + i), out);
    }
    return i;
}
#endif

#if PZP_X86_SIMD
/* Several interleaved channels; those in `small` have at most 16 values.
 * Index + 16 x channel addresses one table of 16 x channels bytes, looked up
 * 16 bytes at a time (the saturating add sets bit 7, which pshufb reads as
 * zero, outside each 16-byte slice). The channel of each byte repeats every
 * lcm(16, channels) bytes, so each vector of such a block has fixed offsets.
 * Bytes of the other channels pass through for the scalar pass. Returns the
 * bytes done; *bad is set if an index is past its channel's list. */
AVX2 static size_t unpalette_small_avx2(uint8_t *data, size_t n, uint32_t channels, const uint8_t *const *values,
                                        const uint32_t *count, uint32_t small, int *bad) {
    uint32_t block = 16;
    while (block % channels) block += 16;
    uint32_t vectors = block / 16;
    __m128i table[MAX_PALETTE_CHANNELS], offset[MAX_PALETTE_CHANNELS], limit[MAX_PALETTE_CHANNELS],
        mapped[MAX_PALETTE_CHANNELS];
    for (uint32_t c = 0; c < channels; c++) {
        uint8_t t[16] = {0};
        if (small >> c & 1) memcpy(t, values[c], count[c]);
        table[c] = _mm_loadu_si128((const __m128i *)t);
    }
    for (uint32_t v = 0; v < vectors; v++) {
        uint8_t off[16], lim[16], map[16];
        for (uint32_t lane = 0; lane < 16; lane++) {
            uint32_t c = (v * 16 + lane) % channels;
            int is_small = small >> c & 1;
            off[lane] = (uint8_t)(16 * c);
            lim[lane] = is_small ? (uint8_t)(count[c] - 1) : 0xFF; /* other channels: checked by the scalar pass */
            map[lane] = is_small ? 0xFF : 0x00;
        }
        offset[v] = _mm_loadu_si128((const __m128i *)off);
        limit[v] = _mm_loadu_si128((const __m128i *)lim);
        mapped[v] = _mm_loadu_si128((const __m128i *)map);
    }
    const __m128i clear = _mm_set1_epi8(0x70);
    __m128i wrong = _mm_setzero_si128();
    size_t i = 0;
    for (; i + block <= n; i += block) {
        for (uint32_t v = 0; v < vectors; v++) {
            __m128i idx = _mm_loadu_si128((const __m128i *)(data + i + 16 * v));
            wrong = _mm_or_si128(wrong, _mm_xor_si128(_mm_max_epu8(idx, limit[v]), limit[v]));
            __m128i x = _mm_add_epi8(idx, offset[v]), out = _mm_setzero_si128();
            for (uint32_t c = 0; c < channels; c++)
                out = _mm_or_si128(out, _mm_shuffle_epi8(table[c], _mm_adds_epu8(_mm_sub_epi8(x, _mm_set1_epi8((char)(16 * c))), clear)));
            _mm_storeu_si128((__m128i *)(data + i + 16 * v), _mm_blendv_epi8(idx, out, mapped[v]));
        }
    }
    *bad = !_mm_testz_si128(wrong, wrong);
    return i;
}
#endif

int pzp__unpalette(uint8_t *data, size_t pixels, uint32_t channels, const uint8_t *block) {
    const uint8_t *values[MAX_PALETTE_CHANNELS];
    uint32_t count[MAX_PALETTE_CHANNELS], at = 0, identity = 1;
    uint32_t untouched = 0; /* channels listing all 256 values in order: nothing to map or check */
    for (uint32_t c = 0; c < channels; c++) {
        count[c] = (uint32_t)block[at] + 1;
        values[c] = block + at + 1;
        uint32_t same = 1;
        for (uint32_t k = 0; k < count[c]; k++) same &= values[c][k] == k;
        identity &= same;
        untouched |= (uint32_t)(same && count[c] == 256) << c;
        at += 1 + count[c];
    }
    if (channels == 1) {
        /* Range check first (a cheap vector pass), then the lookup. */
        size_t n = pixels;
        if (max_byte(data, n) >= count[0]) return 1;
        if (identity) return 0;
        size_t done = 0;
#if PZP_X86_SIMD
        if (count[0] <= 64 && pzp__cpu_level() >= PZP_CPU_AVX2) done = unpalette1_avx2(data, n, values[0], count[0]);
#endif
        for (size_t i = done; i < n; i++) data[i] = values[0][data[i]];
        return 0;
    }
    uint32_t all = (1u << channels) - 1;
    if (untouched == all) return 0;
    /* Channels with at most 16 values first, 16 bytes at a time; then the
     * rest of the pixels, and the other channels of the pixels done. */
    uint32_t small = 0;
    size_t first = 0; /* pixels whose small channels are done */
#if PZP_X86_SIMD
    for (uint32_t c = 0; c < channels; c++) small |= (uint32_t)(count[c] <= 16) << c;
    if (small && pzp__cpu_level() >= PZP_CPU_AVX2) {
        int bad = 0;
        first = unpalette_small_avx2(data, pixels * channels, channels, values, count, small, &bad) / channels;
        if (bad) return 1;
    }
#endif
    /* Entries past a list carry 0x100: one OR over the outputs finds them. */
    uint16_t lut[MAX_PALETTE_CHANNELS][256];
    for (uint32_t c = 0; c < channels; c++)
        for (uint32_t k = 0; k < 256; k++) lut[c][k] = k < count[c] ? values[c][k] : 0x100;
    uint16_t bad = 0;
    for (uint32_t c = 0; c < channels; c++) {
        if (untouched >> c & 1) continue;
        /* each channel on its own: the pixels the vector pass left, or all */
        for (size_t i = (small >> c & 1) ? first : 0; i < pixels; i++) {
            uint8_t *p = data + i * channels + c;
            uint16_t v = lut[c][*p];
            bad |= v;
            *p = (uint8_t)v;
        }
    }
    return (bad & 0x100) != 0;
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
