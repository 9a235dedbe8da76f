/* fuzz_roundtrip.c - encode -> decode. The input chooses the parameters
 * (first 6 bytes) and the pixels (the rest, repeated to fill the image).
 * Invariants: valid parameters always encode; the encoder is deterministic
 * (a second context, and a destination of exactly the written size, give the
 * same bytes; one byte less is refused); the decode gives back the pixels and
 * the parameters; a second frame stored as an inter-frame delta in a
 * 2-frame container decodes back too. */
#include "fuzz.h"

#include <string.h>

#define HEADER_BYTES 6u

/* Little-endian store, for the container built here by hand. */
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* Parameters from the first bytes:
 *   0: width - 1 (1..64)       1: height - 1 (1..64)
 *   2: bit 0 16-bit; bits 1-4 RLE, PALETTE, LZ4, INTER_DELTA; bits 5-6 group table; bit 7 default level
 *   3: channels: 1 + (b % 8), or up to the 255-byte-channel maximum when b >= 0xF8
 *   4: zstd level (-3..3) and the group split
 *   5: how the second frame differs from the first */
static int parse(const uint8_t *data, size_t size, pzp_encode_params *p) {
    if (size < HEADER_BYTES) return 0;
    memset(p, 0, sizeof *p);
    p->width = 1u + data[0] % 64u;
    p->height = 1u + data[1] % 64u;
    p->bpp = (data[2] & 1) ? 16 : 8;
    p->configuration = ((data[2] >> 1) & 1 ? PZP_USE_RLE : 0) | ((data[2] >> 2) & 1 ? PZP_USE_PALETTE : 0) |
                       ((data[2] >> 3) & 1 ? PZP_USE_LZ4 : 0) | ((data[2] >> 4) & 1 ? PZP_USE_INTER_DELTA : 0);
    uint32_t max_channels = 255u / (p->bpp / 8);
    p->channels = data[3] >= 0xF8 ? max_channels - (data[3] & 7) : 1u + data[3] % 8u;
    /* zstd level 19 (the default with a palette) only on small images: it is slow. */
    int default_level = (data[2] >> 7) && p->width * p->height <= 256;
    p->level = default_level ? 0 : (int)(data[4] % 7) - 3;
    if (p->level == 0 && !default_level) p->level = 1;
    uint32_t ci = p->channels * (p->bpp / 8);
    uint32_t mode = (data[2] >> 5) & 3;
    if (mode != 0 && ci <= 2u * PZP_MAX_GROUPS) {
        /* A group table: 16-bit images get u16 gradient groups per channel
         * (or byte groups for some), 8-bit ones a split of the byte channels. */
        uint32_t at = 0, g = 0, split = data[4];
        while (at < ci && g < PZP_MAX_GROUPS) {
            uint32_t left = ci - at;
            uint32_t groups_left = PZP_MAX_GROUPS - g;
            uint8_t *t = p->groups[g];
            if (p->bpp == 16 && left >= 2 && (mode & 1) && (at % 2 == 0)) {
                t[0] = 2; t[1] = 16; t[2] = PZP_PREDICT_GRADIENT;
            } else {
                uint32_t want = groups_left == 1 ? left : 1u + (split & 3) % left;
                split = split >> 1 | (split & 1) << 7;
                t[0] = (uint8_t)want; t[1] = 8; t[2] = (mode & 2) ? PZP_PREDICT_LEFT : PZP_PREDICT_NONE;
            }
            at += t[0];
            g++;
        }
        p->group_count = at == ci ? g : 0;
        if (p->group_count == 0) memset(p->groups, 0, sizeof p->groups);
    }
    return 1;
}

static void fill(uint8_t *dst, size_t n, const uint8_t *src, size_t src_size) {
    if (src_size == 0) {
        memset(dst, 0, n);
        return;
    }
    for (size_t i = 0; i < n; i++) dst[i] = src[i % src_size];
}

/* A 2-frame container around two blobs (header, index, blobs). */
static uint8_t *two_frames(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t *size) {
    *size = 48 + 32 + an + bn;
    uint8_t *f = calloc(1, *size);
    if (f == NULL) return NULL;
    put32(f, 0x505A5030u);
    put32(f + 4, 1);
    put32(f + 12, 2);
    put32(f + 40, pzp_checksum(f, 40));
    put32(f + 48, 80);
    put32(f + 52, (uint32_t)an);
    put32(f + 64, (uint32_t)(80 + an));
    put32(f + 68, (uint32_t)bn);
    memcpy(f + 80, a, an);
    memcpy(f + 80 + an, b, bn);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static pzp_cctx *second;
    if (second == NULL && (second = pzp_cctx_create()) == NULL) abort();
    pzp_encode_params p;
    if (!parse(data, size, &p)) return 0;
    const uint8_t *src = data + HEADER_BYTES;
    size_t src_size = size - HEADER_BYTES;
    uint64_t file_bound = 0, frame_bound = 0;
    int rc = pzp_encode_bound(&p, &file_bound, &frame_bound);
    fuzz_note(rc);
    /* The invalid combinations parse() can make: a palette with a 16-bit
     * group or on more than 8 byte channels. */
    int refused = 0;
    for (uint32_t g = 0; g < p.group_count; g++) refused |= p.groups[g][1] == 16;
    refused |= p.channels * (p.bpp / 8) > 8;
    refused &= (p.configuration & PZP_USE_PALETTE) != 0;
    FUZZ_ASSERT(rc == (refused ? PZP_E_INVALID_ARGUMENT : PZP_OK), "encode_bound %d", rc);
    if (rc != PZP_OK) return 0;
    size_t n = (size_t)p.width * p.height * p.channels * (p.bpp / 8);
    uint8_t *px = malloc(n), *px2 = malloc(n), *enc = malloc((size_t)file_bound), *enc2 = malloc((size_t)file_bound);
    uint8_t *out = malloc(n), *blob_a = malloc((size_t)frame_bound), *blob_b = malloc((size_t)frame_bound);
    if (!px || !px2 || !enc || !enc2 || !out || !blob_a || !blob_b) goto done;
    fill(px, n, src, src_size);
    if (p.configuration & PZP_USE_PALETTE) /* at most a few values per channel, so palettes stay small */
        for (size_t i = 0; i < n; i++) px[i] &= 0x83;

    size_t written = 0, written2 = 0;
    rc = pzp_encode(NULL, &p, px, n, enc, (size_t)file_bound, &written);
    fuzz_note(rc);
    FUZZ_ASSERT(rc == PZP_OK, "valid parameters refused: %d", rc);
    FUZZ_ASSERT(written <= file_bound, "%zu bytes written, bound %llu", written, (unsigned long long)file_bound);
    rc = pzp_encode(second, &p, px, n, enc2, written, &written2);
    FUZZ_ASSERT(rc == PZP_OK && written2 == written && memcmp(enc, enc2, written) == 0,
                "a second context into an exact destination gives other bytes (%d, %zu vs %zu)", rc, written2, written);
    rc = pzp_encode(second, &p, px, n, enc2, written - 1, &written2);
    FUZZ_ASSERT(rc == PZP_E_BUFFER_TOO_SMALL, "one byte short: %d", rc);
    fuzz_note(fuzz_digest(enc, written));

    pzp_image_info info;
    rc = pzp_decode(fuzz_dctx(), enc, written, out, n, &info);
    FUZZ_ASSERT(rc == PZP_OK, "own output does not decode: %d", rc);
    FUZZ_ASSERT(memcmp(out, px, n) == 0, "decoded pixels differ");
    FUZZ_ASSERT(info.width == p.width && info.height == p.height && info.bpp == p.bpp && info.channels == p.channels &&
                    info.decoded_bytes == n && info.is_delta == 0,
                "decoded description differs");

    /* Frame 2: frame 1 with some samples changed, as a delta when asked. */
    memcpy(px2, px, n);
    for (size_t i = data[5] % 7; i < n; i += 1u + data[5] % 13u) px2[i] = (uint8_t)(px2[i] + data[5]);
    if (p.configuration & PZP_USE_PALETTE)
        for (size_t i = 0; i < n; i++) px2[i] &= 0x83;
    size_t an = 0, bn = 0;
    rc = pzp_encode_frame(NULL, &p, px, n, NULL, blob_a, (size_t)frame_bound, &an);
    FUZZ_ASSERT(rc == PZP_OK, "encode_frame 1: %d", rc);
    rc = pzp_encode_frame(NULL, &p, px2, n, px, blob_b, (size_t)frame_bound, &bn);
    FUZZ_ASSERT(rc == PZP_OK, "encode_frame 2: %d", rc);
    size_t cn = 0;
    uint8_t *file = two_frames(blob_a, an, blob_b, bn, &cn);
    pzp_container *c = NULL;
    if (file != NULL) {
        rc = pzp_container_open_memory(file, cn, &c);
        FUZZ_ASSERT(rc == PZP_OK, "own 2-frame container does not open: %d", rc);
        rc = pzp_container_decode_frame(fuzz_dctx(), c, 1, out, n, &info);
        FUZZ_ASSERT(rc == PZP_OK && memcmp(out, px2, n) == 0, "frame 2 (delta %u) decodes wrong: %d", info.is_delta, rc);
        FUZZ_ASSERT(info.is_delta == ((p.configuration & PZP_USE_INTER_DELTA) != 0), "frame 2 is_delta %u",
                    info.is_delta);
        rc = pzp_container_decode_frame(fuzz_dctx(), c, 0, out, n, &info);
        FUZZ_ASSERT(rc == PZP_OK && memcmp(out, px, n) == 0, "frame 1 decodes wrong: %d", rc);
        pzp_container_close(c);
        free(file);
    }
done:
    free(px); free(px2); free(enc); free(enc2); free(out); free(blob_a); free(blob_b);
    return 0;
}
