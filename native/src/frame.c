/* frame.c - one frame: the blob prefix, the payload (header, group table,
 * palette, pixel data), decoding and encoding (FORMAT.md sections 3 and 4). */
#include "internal.h"

#include <lz4.h>
#define ZSTD_STATIC_LINKING_ONLY /* the bufferless block API, for header-only reads */
#include <zstd.h>
#include <zstd_errors.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_IS_BIG_ENDIAN 1
#else
#define HOST_IS_BIG_ENDIAN 0
#endif

/* Big-endian 16-bit samples (file order) <-> host order. In place allowed. */
static void be16_host(uint8_t *dst, const uint8_t *src, size_t samples) {
    if (HOST_IS_BIG_ENDIAN) {
        if (dst != src) memmove(dst, src, samples * 2);
    } else {
        pzp__swap16(dst, src, samples);
    }
}

/* The most a compressed block can expand to; a declared payload beyond it is
 * a lie, refused before allocating. zstd: 128 KiB from a 3-byte RLE block;
 * LZ4: 255 bytes per byte of match-length extension. */
static uint64_t max_expansion(uint32_t codec, uint64_t compressed) {
    return codec == PZP_CODEC_LZ4 ? compressed * 256 + 64 : compressed * 43691 + 64;
}

int pzp__parse_prefix(const uint8_t *blob, size_t blob_size, uint32_t *codec, uint64_t *payload_size) {
    if (blob_size < 4) return pzp__fail(PZP_E_TRUNCATED, "frame blob of %zu bytes, shorter than its 4-byte prefix", blob_size);
    uint32_t prefix = rd32(blob);
    *codec = (prefix & PREFIX_LZ4_BIT) ? PZP_CODEC_LZ4 : PZP_CODEC_ZSTD;
    *payload_size = prefix & PREFIX_SIZE_MASK;
    if (*payload_size < FRAME_HEADER_BYTES)
        return pzp__fail(PZP_E_CORRUPT, "declared payload of %llu bytes, smaller than the 40-byte frame header",
                         (unsigned long long)*payload_size);
    if (*payload_size > max_expansion(*codec, blob_size - 4))
        return pzp__fail(PZP_E_CORRUPT, "declared payload of %llu bytes cannot come from %zu compressed bytes",
                         (unsigned long long)*payload_size, blob_size - 4);
    return pzp__check_alloc(*payload_size, "the frame payload");
}

static int check_group(const uint8_t g[4], uint32_t configuration, int writing) {
    int code = writing ? PZP_E_INVALID_ARGUMENT : PZP_E_CORRUPT;
    if (g[0] == 0) return pzp__fail(code, "channel group with 0 channels");
    if (g[3] != 0) return pzp__fail(code, "channel group with a non-zero reserved byte");
    if (g[1] == 8) {
        if (g[2] != PZP_PREDICT_NONE && g[2] != PZP_PREDICT_LEFT)
            return pzp__fail(code, "8-bit channel group with predictor %u (only none or left)", g[2]);
    } else if (g[1] == 16) {
        if (g[0] != 2 || g[2] != PZP_PREDICT_GRADIENT)
            return pzp__fail(code, "16-bit channel group must be 2 byte channels with the gradient predictor");
        if (configuration & PZP_USE_PALETTE) return pzp__fail(code, "a 16-bit channel group cannot be combined with a palette");
    } else {
        return pzp__fail(code, "channel group with %u-bit samples (only 8 or 16)", g[1]);
    }
    return PZP_OK;
}

static int check_groups(const uint8_t (*groups)[4], uint32_t count, uint32_t channels_internal, uint32_t configuration,
                        int writing) {
    int code = writing ? PZP_E_INVALID_ARGUMENT : PZP_E_CORRUPT;
    if (count < 1 || count > PZP_MAX_GROUPS) return pzp__fail(code, "%u channel groups (1 to 8 allowed)", count);
    uint32_t sum = 0;
    for (uint32_t g = 0; g < count; g++) {
        int rc = check_group(groups[g], configuration, writing);
        if (rc) return rc;
        sum += groups[g][0];
    }
    if (sum != channels_internal)
        return pzp__fail(code, "channel groups cover %u byte channels, the image has %u", sum, channels_internal);
    return PZP_OK;
}

/* max_pixels, checked before anything sized by the image is allocated. */
static int check_pixel_limit(uint32_t width, uint32_t height) {
    pzp_limits lim;
    pzp__limits(&lim);
    if (lim.max_pixels && (uint64_t)width * height > lim.max_pixels)
        return pzp__fail(PZP_E_LIMIT, "%u x %u image is over max_pixels (%llu)", width, height,
                         (unsigned long long)lim.max_pixels);
    return PZP_OK;
}

int pzp__parse_frame_head(const uint8_t *h, size_t head_size, uint64_t payload_size, frame_layout *out) {
    memset(out, 0, sizeof *out);
    pzp_image_info *info = &out->info;
    if (payload_size < FRAME_HEADER_BYTES || head_size < FRAME_HEADER_BYTES)
        return pzp__fail(PZP_E_CORRUPT, "frame payload shorter than its 40-byte header");
    uint32_t magic = rd32(h);
    if (magic == FRAME_MAGIC_V1) {
        info->frame_version = 1;
    } else if (magic == FRAME_MAGIC_V0) {
        info->frame_version = 0;
    } else if ((magic & 0xFFFFFF00u) == 0x505A5000u) {
        return pzp__fail(PZP_E_UNSUPPORTED, "frame version 'PZP%c' (this reader knows PZP0 and PZP1)", (char)(magic & 0xFF));
    } else {
        return pzp__fail(PZP_E_CORRUPT, "bad frame magic 0x%08X", magic);
    }
    info->bpp = rd32(h + 4);
    info->channels = rd32(h + 8);
    info->width = rd32(h + 12);
    info->height = rd32(h + 16);
    uint32_t bpp_internal = rd32(h + 20);
    info->channels_internal = rd32(h + 24);
    info->checksum = rd32(h + 28);
    info->configuration = rd32(h + 32);
    info->palette_bytes = rd32(h + 36);
    info->payload_bytes = payload_size;

    if (info->bpp != 8 && info->bpp != 16) return pzp__fail(PZP_E_CORRUPT, "%u bits per sample (8 or 16 expected)", info->bpp);
    if (bpp_internal != 8) return pzp__fail(PZP_E_CORRUPT, "internal sample size %u (8 expected)", bpp_internal);
    if (info->channels == 0) return pzp__fail(PZP_E_CORRUPT, "0 channels");
    if ((uint64_t)info->channels * (info->bpp / 8) != info->channels_internal)
        return pzp__fail(PZP_E_CORRUPT, "%u byte channels stored for %u channels of %u bits", info->channels_internal,
                         info->channels, info->bpp);
    if (info->width == 0 || info->height == 0)
        return pzp__fail(PZP_E_CORRUPT, "empty image (%u x %u)", info->width, info->height);
    uint32_t ci = info->channels_internal;
    uint64_t pixels = (uint64_t)info->width * info->height;
    int rc = check_pixel_limit(info->width, info->height);
    if (rc) return rc;
    if (ci > MAX_INTERNAL_CHANNELS * PZP_MAX_GROUPS) return pzp__fail(PZP_E_UNSUPPORTED, "%u byte channels", ci);
    if (__builtin_mul_overflow(pixels, (uint64_t)ci, &out->pixel_bytes))
        return pzp__fail(PZP_E_CORRUPT, "image size overflows");
    info->decoded_bytes = out->pixel_bytes;

    uint64_t offset = FRAME_HEADER_BYTES;
    if (info->frame_version == 1) {
        if (payload_size < offset + 1 || head_size < offset + 1) return pzp__fail(PZP_E_CORRUPT, "payload ends before the group table");
        info->group_count = h[offset];
        if (info->group_count < 1 || info->group_count > PZP_MAX_GROUPS)
            return pzp__fail(PZP_E_CORRUPT, "%u channel groups (1 to 8 allowed)", info->group_count);
        uint64_t table_end = offset + 1 + 4ull * info->group_count;
        if (payload_size < table_end || head_size < table_end)
            return pzp__fail(PZP_E_CORRUPT, "payload ends inside the group table");
        memcpy(info->groups, h + offset + 1, 4u * info->group_count);
        out->table_offset = (uint32_t)offset;
        offset = table_end;
    } else {
        if (ci > MAX_INTERNAL_CHANNELS) return pzp__fail(PZP_E_UNSUPPORTED, "PZP0 frame with %u byte channels", ci);
        info->group_count = 1;
        info->groups[0][0] = (uint8_t)ci;
        info->groups[0][1] = 8;
        info->groups[0][2] = (info->configuration & PZP_USE_RLE) ? PZP_PREDICT_LEFT : PZP_PREDICT_NONE;
    }
    rc = check_groups((const uint8_t(*)[4])info->groups, info->group_count, ci, info->configuration, 0);
    if (rc) return rc;

    if (info->configuration & PZP_USE_PALETTE) {
        if (ci > MAX_PALETTE_CHANNELS) return pzp__fail(PZP_E_CORRUPT, "palette on %u byte channels (at most 8)", ci);
        if (info->palette_bytes < 2u * ci || info->palette_bytes > 257u * ci)
            return pzp__fail(PZP_E_CORRUPT, "palette block of %u bytes for %u channels", info->palette_bytes, ci);
    } else if (info->palette_bytes != 0) {
        return pzp__fail(PZP_E_CORRUPT, "palette block of %u bytes without the palette flag", info->palette_bytes);
    }
    out->palette_offset = (uint32_t)offset;
    out->pixel_offset = offset + info->palette_bytes;
    if (payload_size < out->pixel_offset + out->pixel_bytes)
        return pzp__fail(PZP_E_CORRUPT, "payload of %llu bytes is too short for a %u x %u x %u image",
                         (unsigned long long)payload_size, info->width, info->height, ci);
    info->is_delta = (info->configuration & PZP_USE_INTER_DELTA) ? 1 : 0;
    return PZP_OK;
}

/* Checks a palette block: per channel a count byte and strictly ascending values. */
static int check_palette(const uint8_t *p, uint32_t size, uint32_t channels) {
    uint32_t at = 0;
    for (uint32_t c = 0; c < channels; c++) {
        if (at >= size) return pzp__fail(PZP_E_CORRUPT, "palette block ends before channel %u", c);
        uint32_t n = (uint32_t)p[at] + 1;
        if (at + 1 + n > size) return pzp__fail(PZP_E_CORRUPT, "palette of channel %u runs past the block", c);
        for (uint32_t k = 1; k < n; k++)
            if (p[at + 1 + k] <= p[at + k]) return pzp__fail(PZP_E_CORRUPT, "palette of channel %u is not ascending", c);
        at += 1 + n;
    }
    if (at != size) return pzp__fail(PZP_E_CORRUPT, "palette block is %u bytes, its lists take %u", size, at);
    return PZP_OK;
}

/* zstd says "srcSize wrong" both for data cut short and for bytes after the
 * last frame: walk the whole frames to tell which. */
static int zstd_error(size_t r, const uint8_t *src, size_t size) {
    if (ZSTD_getErrorCode(r) != ZSTD_error_srcSize_wrong) return pzp__fail(PZP_E_CORRUPT, "zstd: %s", ZSTD_getErrorName(r));
    size_t at = 0, n;
    while (src != NULL && at < size && !ZSTD_isError(n = ZSTD_findFrameCompressedSize(src + at, size - at))) at += n;
    int next_is_frame = size - at >= 4 && rd32(src + at) == 0xFD2FB528u;
    if (src != NULL && at > 0 && !next_is_frame) return pzp__fail(PZP_E_CORRUPT, "zstd: bytes after the compressed data");
    return pzp__fail(PZP_E_TRUNCATED, "zstd data ends early");
}

/* A payload starts with a standard zstd frame: legacy and skippable frames,
 * which the reference never writes, are refused alike by header-only reads
 * and decodes. */
static int check_zstd_magic(const uint8_t *src, size_t have, size_t size) {
    if (have < 4) return pzp__fail(size < 4 ? PZP_E_CORRUPT : PZP_E_TRUNCATED, "zstd data ends before its magic number");
    if (rd32(src) != ZSTD_MAGICNUMBER) return pzp__fail(PZP_E_CORRUPT, "payload is not a zstd frame");
    return PZP_OK;
}

/* Payloads above this size have their header checked before they are allocated. */
#define LARGE_PAYLOAD (8u << 20)

int pzp__stage_blob(pzp_dctx *d, const uint8_t *blob, size_t blob_size) {
    d->has_staged = 0;
    uint32_t codec = 0;
    uint64_t psize = 0;
    int rc = pzp__parse_prefix(blob, blob_size, &codec, &psize);
    if (rc) return rc;
    /* A large payload is allocated only after its header passed the checks
     * (max_pixels, dimensions against the declared size): a few bytes of
     * hostile input must not make a call allocate and fill it first. */
    if (psize > LARGE_PAYLOAD) {
        pzp_image_info head;
        rc = pzp__blob_info(d, blob, blob_size, blob_size, &head);
        if (rc) return rc;
    }
    rc = pzp__buf_reserve(&d->payload, psize);
    if (rc) return rc;
    const uint8_t *src = blob + 4;
    size_t src_size = blob_size - 4;
    if (codec == PZP_CODEC_ZSTD) {
        rc = check_zstd_magic(src, src_size, src_size);
        if (rc) return rc;
        size_t r = ZSTD_decompressDCtx(d->zstd, d->payload.data, (size_t)psize, src, src_size);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
                return pzp__fail(PZP_E_CORRUPT, "payload is larger than its declared %llu bytes", (unsigned long long)psize);
            return zstd_error(r, src, src_size);
        }
        if (r != psize)
            return pzp__fail(PZP_E_CORRUPT, "payload is %zu bytes, %llu declared", r, (unsigned long long)psize);
    } else {
        if (src_size > (size_t)LZ4_MAX_INPUT_SIZE) return pzp__fail(PZP_E_CORRUPT, "LZ4 block too large");
        int r = LZ4_decompress_safe((const char *)src, (char *)d->payload.data, (int)src_size, (int)psize);
        if (r < 0) return pzp__fail(PZP_E_CORRUPT, "LZ4 block is damaged");
        if ((uint64_t)r != psize)
            return pzp__fail(PZP_E_CORRUPT, "payload is %d bytes, %llu declared", r, (unsigned long long)psize);
    }
    frame_layout *L = &d->staged;
    rc = pzp__parse_frame_head(d->payload.data, (size_t)psize, psize, L);
    if (rc) return rc;
    L->info.codec = codec;
    L->info.blob_bytes = blob_size;
    if (L->info.configuration & PZP_USE_PALETTE) {
        rc = check_palette(d->payload.data + L->palette_offset, L->info.palette_bytes, L->info.channels_internal);
        if (rc) return rc;
    }
    if ((d->options & PZP_DECODE_VERIFY_CHECKSUM) &&
        pzp__checksum(d->payload.data + L->pixel_offset, (size_t)L->pixel_bytes) != L->info.checksum)
        return pzp__fail(PZP_E_CHECKSUM, "pixel data does not match the frame checksum");
    d->has_staged = 1;
    d->delta_base = NULL;
    d->cache_after_finish = 0;
    d->staged_container_id = 0;
    return PZP_OK;
}

/* Bytes of a payload's header region (inner header and group table) given
 * its first `have` bytes: the table's length is in byte 40. */
static size_t head_need(const uint8_t *head, size_t have) {
    if (have < FRAME_HEADER_BYTES + 1 || rd32(head) != FRAME_MAGIC_V1) return FRAME_HEADER_BYTES + 1;
    size_t need = FRAME_HEADER_BYTES + 1 + 4u * head[FRAME_HEADER_BYTES];
    return need < FRAME_HEAD_MAX ? need : FRAME_HEAD_MAX;
}

int pzp__blob_info(pzp_dctx *d, const uint8_t *blob, size_t avail, size_t blob_size, pzp_image_info *info) {
    uint32_t codec = 0;
    uint64_t psize = 0;
    if (avail > blob_size) avail = blob_size;
    if (avail < 4) return pzp__fail(PZP_E_TRUNCATED, "frame blob shorter than its 4-byte prefix");
    int rc = pzp__parse_prefix(blob, blob_size, &codec, &psize);
    if (rc) return rc;
    /* Zeroed: liblz4 1.9.4's partial decode can report bytes it did not write
     * (a damaged block), which must not read as stack garbage. */
    uint8_t head[FRAME_HEAD_MAX] = {0};
    size_t want = psize < FRAME_HEAD_MAX ? (size_t)psize : FRAME_HEAD_MAX;
    size_t got = 0;
    if (codec == PZP_CODEC_ZSTD) {
        /* Block by block (zstd's bufferless API) into a scratch buffer, until
         * header and group table are out: our writer puts them in a block of
         * their own. Nothing is sized by the window the frame declares (up to
         * 2 GiB for the reference's single-segment frames), and each read
         * starts from a fresh frame state, so a damaged frame fails the same
         * way whatever was read before. The last block read adds at most
         * ZSTD_BLOCKSIZE_MAX to fewer than `want` bytes. */
        rc = check_zstd_magic(blob + 4, avail - 4, blob_size - 4);
        if (!rc) rc = pzp__buf_reserve(&d->head, (uint64_t)ZSTD_BLOCKSIZE_MAX + FRAME_HEAD_MAX);
        if (rc) return rc;
        size_t r = ZSTD_decompressBegin(d->zstd);
        if (ZSTD_isError(r)) return zstd_error(r, NULL, 0);
        const uint8_t *src = blob + 4;
        size_t left = avail - 4;
        while (got < want && got < head_need(d->head.data, got)) {
            size_t need = ZSTD_nextSrcSizeToDecompress(d->zstd);
            if (need == 0 && left >= 4 && rd32(src) == ZSTD_MAGICNUMBER) { /* another frame follows */
                r = ZSTD_decompressBegin(d->zstd);
                if (ZSTD_isError(r)) return zstd_error(r, NULL, 0);
                continue;
            }
            if (need == 0 || need > left) break; /* the data or the input ends */
            r = ZSTD_decompressContinue(d->zstd, d->head.data + got, d->head.capacity - got, src, need);
            if (ZSTD_isError(r)) return zstd_error(r, NULL, 0);
            src += need;
            left -= need;
            got += r;
        }
        if (got > want) got = want;
        memcpy(head, d->head.data, got);
    } else {
        if (avail - 4 > (size_t)LZ4_MAX_INPUT_SIZE) return pzp__fail(PZP_E_CORRUPT, "LZ4 block too large");
        int r = LZ4_decompress_safe_partial((const char *)blob + 4, (char *)head, (int)(avail - 4), (int)want, (int)want);
        if (r < 0) {
            if (avail < blob_size) return pzp__fail(PZP_E_TRUNCATED, "more input needed");
            return pzp__fail(PZP_E_CORRUPT, "LZ4 block is damaged");
        }
        got = (size_t)r;
    }
    if (got < want && got < head_need(head, got))
        return pzp__fail(PZP_E_TRUNCATED, "compressed data ends inside the frame header");
    frame_layout L;
    rc = pzp__parse_frame_head(head, got, psize, &L);
    if (rc) return rc;
    *info = L.info;
    info->codec = codec;
    info->blob_bytes = blob_size;
    return PZP_OK;
}

int pzp__finish_staged(pzp_dctx *d, uint8_t *dst, size_t cap, const uint8_t *delta_base) {
    if (!d->has_staged) return pzp__fail(PZP_E_BAD_STATE, "no frame prepared: call a *_begin function first");
    frame_layout *L = &d->staged;
    const pzp_image_info *info = &L->info;
    if (dst == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL destination");
    if (cap < L->pixel_bytes)
        return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination holds %zu bytes, the image needs %llu", cap,
                         (unsigned long long)L->pixel_bytes);
    d->has_staged = 0;
    const uint8_t *block = d->payload.data + L->pixel_offset;
    size_t n = (size_t)info->width * info->height;
    uint32_t ci = info->channels_internal;
    int palette = (info->configuration & PZP_USE_PALETTE) != 0;
    /* 16-bit samples leave the filters in file (big-endian) order and are
     * swapped at the end, unless the one filter that covers the whole pixel
     * writes host order itself. */
    int host_order = !HOST_IS_BIG_ENDIAN && info->bpp == 16 && !palette && info->group_count == 1;
    int swapped = 0;
    uint32_t start = 0;
    /* One 16-bit group per channel (what the writer picks): every channel in
     * one pass, in host order. */
    uint32_t gradients = 0;
    for (uint32_t g = 0; g < info->group_count; g++) gradients += info->groups[g][1] == 16;
    if (!HOST_IS_BIG_ENDIAN && info->bpp == 16 && !palette && gradients == info->group_count) {
        pzp__ungradient_u16_channels_host(dst, block, info->width, info->height, info->group_count);
        swapped = 1;
        start = ci; /* every group done */
    }
    for (uint32_t g = 0; g < info->group_count && start < ci; g++) {
        uint32_t ch = info->groups[g][0], bits = info->groups[g][1], pred = info->groups[g][2];
        if (bits == 16) {
            pzp__ungradient_u16(dst + start, block, info->width, info->height, ci);
        } else if (pred == PZP_PREDICT_LEFT) {
            pzp__unleft_u8(dst + start, block, n, ci, ch, host_order);
            swapped = host_order;
        } else if (ch == ci) {
            memcpy(dst, block, n * ci);
        } else {
            for (size_t i = 0; i < n; i++) memcpy(dst + i * ci + start, block + i * ch, ch);
        }
        block += n * ch;
        start += ch;
    }
    if (palette) {
        /* An index past a channel's list is an error (the reference reads stale memory). */
        if (pzp__unpalette(dst, n, ci, d->payload.data + L->palette_offset))
            return pzp__fail(PZP_E_CORRUPT, "palette index out of range");
    }
    if (info->bpp == 16 && !swapped) be16_host(dst, dst, n * info->channels);
    if (delta_base != NULL) pzp__add_bytes(dst, delta_base, (size_t)L->pixel_bytes);
    d->decode_count++;
    return PZP_OK;
}

/* ---- encoding ---- */

static void default_group(const pzp_encode_params *p, uint32_t ci, uint8_t groups[PZP_MAX_GROUPS][4], uint32_t *count) {
    if (p->group_count) {
        memcpy(groups, p->groups, sizeof p->groups);
        *count = p->group_count;
        return;
    }
    memset(groups, 0, PZP_MAX_GROUPS * 4);
    groups[0][0] = (uint8_t)ci;
    groups[0][1] = 8;
    groups[0][2] = (p->configuration & PZP_USE_RLE) ? PZP_PREDICT_LEFT : PZP_PREDICT_NONE;
    *count = 1;
}

static uint64_t compress_bound(uint64_t payload) {
    uint64_t z = ZSTD_compressBound((size_t)payload);
    uint64_t l = payload <= LZ4_MAX_INPUT_SIZE ? (uint64_t)LZ4_compressBound((int)payload) : 0;
    return 4 + (z > l ? z : l);
}

int pzp__check_params(const pzp_encode_params *p, uint64_t *pixels_bytes, uint64_t *frame_bound) {
    if (p == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL parameters");
    if (p->bpp != 8 && p->bpp != 16) return pzp__fail(PZP_E_INVALID_ARGUMENT, "bpp %u (8 or 16)", p->bpp);
    if (p->width == 0 || p->height == 0 || p->channels == 0)
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "empty image (%u x %u x %u)", p->width, p->height, p->channels);
    uint64_t ci = (uint64_t)p->channels * (p->bpp / 8);
    if (ci > MAX_INTERNAL_CHANNELS)
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "%u channels of %u bits: the format stores at most 255 byte channels",
                         p->channels, p->bpp);
    if (p->options & ~PZP_ENCODE_ALLOW_LARGE) return pzp__fail(PZP_E_INVALID_ARGUMENT, "unknown encode option bits 0x%x", p->options);
    if (p->configuration & ~KNOWN_CONFIGURATION)
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "configuration 0x%x has bits the format does not define (1, 2, 4, 8, 16)",
                         p->configuration);
    if (p->level != 0 && (p->level < ZSTD_minCLevel() || p->level > ZSTD_maxCLevel()))
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "zstd level %d (%d to %d)", p->level, ZSTD_minCLevel(), ZSTD_maxCLevel());
    if ((p->configuration & PZP_USE_PALETTE) && ci > MAX_PALETTE_CHANNELS)
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "a palette holds at most 8 byte channels, this image has %llu",
                         (unsigned long long)ci);
    int rc = p->group_count ? check_groups((const uint8_t(*)[4])p->groups, p->group_count, (uint32_t)ci,
                                           p->configuration, 1) : PZP_OK;
    if (!rc) rc = check_pixel_limit(p->width, p->height);
    if (rc) return rc;
    uint64_t pixels = (uint64_t)p->width * p->height;
    uint64_t bytes = pixels * ci; /* < 2^64: pixels < 2^64 / 255 is not guaranteed, so check */
    if (ci && bytes / ci != pixels) return pzp__fail(PZP_E_TOO_LARGE, "image size overflows");
    uint64_t payload_max = FRAME_HEADER_BYTES + 1 + 4 * PZP_MAX_GROUPS + 257 * MAX_PALETTE_CHANNELS + bytes;
    if (payload_max - 257 * MAX_PALETTE_CHANNELS - 4 * PZP_MAX_GROUPS - 1 > PREFIX_SIZE_MASK || bytes > PREFIX_SIZE_MASK)
        return pzp__fail(PZP_E_TOO_LARGE, "a %u x %u x %u frame needs a payload over 2^31 bytes", p->width, p->height,
                         p->channels);
    *pixels_bytes = bytes;
    *frame_bound = compress_bound(payload_max);
    return PZP_OK;
}

int pzp_encode_bound(const pzp_encode_params *p, uint64_t *file_bound, uint64_t *frame_bound) {
    pzp__clear_error();
    uint64_t bytes = 0, bound = 0;
    int rc = pzp__check_params(p, &bytes, &bound);
    if (rc) return rc;
    if (frame_bound) *frame_bound = bound;
    if (file_bound) *file_bound = bound + CONTAINER_HEADER_BYTES + INDEX_ENTRY_BYTES;
    return PZP_OK;
}

/* Builds the per-channel palettes of data (interleaved, ci channels), writes
 * the palette block to out and replaces data by indices. Returns its size. */
static uint32_t build_palette(uint8_t *data, size_t pixels, uint32_t ci, uint8_t *out) {
    uint8_t seen[MAX_PALETTE_CHANNELS][256];
    uint8_t index[MAX_PALETTE_CHANNELS][256];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < pixels; i++)
        for (uint32_t c = 0; c < ci; c++) seen[c][data[i * ci + c]] = 1;
    uint32_t at = 0;
    for (uint32_t c = 0; c < ci; c++) {
        uint32_t count_at = at++, n = 0;
        for (uint32_t v = 0; v < 256; v++)
            if (seen[c][v]) {
                index[c][v] = (uint8_t)n++;
                out[at++] = (uint8_t)v;
            }
        out[count_at] = (uint8_t)(n - 1);
    }
    for (size_t i = 0; i < pixels; i++)
        for (uint32_t c = 0; c < ci; c++) data[i * ci + c] = index[c][data[i * ci + c]];
    return at;
}

/* Compresses a payload given in two pieces: the header region (header, group
 * table, palette) and the pixel data, which need not follow it in memory
 * (unfiltered pixels are compressed from where they are). For LZ4, which
 * compresses one block, the pixels must follow the header (body == payload + head). */
static int compress_payload(pzp_cctx *c, const uint8_t *payload, size_t head, const uint8_t *body, size_t body_size,
                            int lz4, int level, int min_match, uint8_t *dst, size_t cap, size_t *written) {
    if (cap < 4) return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination holds %zu bytes", cap);
    size_t size = head + body_size;
    size_t out_size;
    if (lz4) {
        if (size > (size_t)LZ4_MAX_INPUT_SIZE) return pzp__fail(PZP_E_TOO_LARGE, "payload too large for LZ4");
        size_t room = cap - 4 > (size_t)INT32_MAX ? (size_t)INT32_MAX : cap - 4;
        int r = LZ4_compress_default((const char *)payload, (char *)dst + 4, (int)size, (int)room);
        if (r <= 0) {
            if (room < (size_t)LZ4_compressBound((int)size))
                return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination too small for the compressed frame");
            return pzp__fail(PZP_E_CODEC, "LZ4 compression failed");
        }
        out_size = (size_t)r;
    } else {
        /* One zstd frame (content size recorded, no checksum) whose first
         * block holds only the header region, so header-only reads are cheap. */
        ZSTD_CCtx *z = c->zstd;
        ZSTD_CCtx_reset(z, ZSTD_reset_session_and_parameters);
        size_t r = ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level);
        if (!ZSTD_isError(r) && min_match) r = ZSTD_CCtx_setParameter(z, ZSTD_c_minMatch, min_match);
        if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
        if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 0);
        if (!ZSTD_isError(r)) r = ZSTD_CCtx_setPledgedSrcSize(z, size);
        if (ZSTD_isError(r)) return pzp__fail(PZP_E_CODEC, "zstd: %s", ZSTD_getErrorName(r));
        /* zstd's streaming output depends on the room it is given (below the
         * bound it compresses through its own buffer and ends the frame
         * differently), so compress with at least the bound and copy: the
         * bytes never depend on cap, and an exactly sized dst works. */
        size_t zbound = ZSTD_compressBound(size);
        uint8_t *target = dst + 4;
        size_t room = cap - 4;
        if (room < zbound) {
            int brc = pzp__buf_reserve(&c->spill, zbound);
            if (brc) return brc;
            target = c->spill.data;
            room = zbound;
        }
        ZSTD_outBuffer out = {target, room, 0};
        ZSTD_inBuffer in = {payload, head, 0};
        do {
            r = ZSTD_compressStream2(z, &out, &in, ZSTD_e_flush);
        } while (!ZSTD_isError(r) && r != 0 && out.pos < out.size);
        if (!ZSTD_isError(r) && r == 0) {
            in.src = body;
            in.size = body_size;
            in.pos = 0;
            do {
                r = ZSTD_compressStream2(z, &out, &in, ZSTD_e_end);
            } while (!ZSTD_isError(r) && r != 0 && out.pos < out.size);
        }
        if (ZSTD_isError(r) || r != 0) {
            ZSTD_CCtx_reset(z, ZSTD_reset_session_only);
            if (ZSTD_isError(r) && ZSTD_getErrorCode(r) != ZSTD_error_dstSize_tooSmall)
                return pzp__fail(PZP_E_CODEC, "zstd: %s", ZSTD_getErrorName(r));
            return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination too small for the compressed frame");
        }
        out_size = out.pos;
        if (target != dst + 4) {
            if (out_size > cap - 4)
                return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination too small for the compressed frame");
            memcpy(dst + 4, target, out_size);
        }
    }
    wr32(dst, (uint32_t)size | (lz4 ? PREFIX_LZ4_BIT : 0));
    *written = 4 + out_size;
    return PZP_OK;
}

int pzp_encode_frame(pzp_cctx *c, const pzp_encode_params *p, const void *pixels, size_t pixels_size,
                     const void *previous, void *dst, size_t cap, size_t *written) {
    int rc = pzp__resolve_cctx(&c);
    if (rc) return rc;
    uint64_t bytes = 0, bound = 0;
    rc = pzp__check_params(p, &bytes, &bound);
    if (rc) return rc;
    if (pixels == NULL || dst == NULL || written == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL buffer");
    if (pixels_size != bytes)
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "pixel buffer of %zu bytes for a %u x %u x %u image of %u bits (%llu bytes)",
                         pixels_size, p->width, p->height, p->channels, p->bpp, (unsigned long long)bytes);
    uint32_t ci = p->channels * (p->bpp / 8);
    size_t n = (size_t)p->width * p->height;
    uint32_t config = p->configuration | PZP_USE_COMPRESSION;
    int delta = (config & PZP_USE_INTER_DELTA) && previous != NULL;
    if (!delta) config &= ~PZP_USE_INTER_DELTA;
    int palette = (config & PZP_USE_PALETTE) != 0;

    /* The internal bytes: big-endian samples, minus the previous frame for a
     * delta frame, palette indices with a palette. */
    const uint8_t *internal = pixels;
    if (delta || palette || p->bpp == 16) {
        rc = pzp__buf_reserve(&c->work, bytes);
        if (rc) return rc;
        if (delta)
            pzp__sub_bytes(c->work.data, pixels, previous, (size_t)bytes);
        else if (p->bpp == 8)
            memcpy(c->work.data, pixels, (size_t)bytes);
        if (p->bpp == 16) be16_host(c->work.data, delta ? c->work.data : pixels, n * p->channels);
        internal = c->work.data;
    }
    uint8_t groups[PZP_MAX_GROUPS][4];
    uint32_t group_count;
    default_group(p, ci, groups, &group_count);

    /* Unfiltered data is the pixel data as it is: zstd reads it in place, so
     * the payload buffer holds only the header region. LZ4 needs one block. */
    int lz4 = (config & PZP_USE_LZ4) != 0;
    int in_place = group_count == 1 && groups[0][1] == 8 && groups[0][2] == PZP_PREDICT_NONE && !lz4;
    uint64_t head = FRAME_HEADER_BYTES + 1 + 4ull * group_count;
    uint64_t payload_max = head + (palette ? 257ull * ci : 0) + (in_place ? 0 : bytes);
    rc = pzp__buf_reserve(&c->payload, payload_max);
    if (rc) return rc;
    uint8_t *pl = c->payload.data;
    uint32_t palette_bytes = palette ? build_palette(c->work.data, n, ci, pl + head) : 0;
    uint64_t payload_size = head + palette_bytes + bytes;
    if (payload_size > PREFIX_SIZE_MASK)
        return pzp__fail(PZP_E_TOO_LARGE, "a %llu-byte payload is over the format's 2^31-byte limit",
                         (unsigned long long)payload_size);
    if (payload_size > PZP_REFERENCE_MAX_PAYLOAD && !(p->options & PZP_ENCODE_ALLOW_LARGE))
        return pzp__fail(PZP_E_TOO_LARGE,
                         "a %llu-byte payload is over the reference reader's limit of 100,000,000 bytes "
                         "(allow it explicitly to write it anyway)",
                         (unsigned long long)payload_size);
    uint8_t *px = pl + head + palette_bytes;
    const uint8_t *body = in_place ? internal : px;
    uint32_t start = 0;
    for (uint32_t g = 0; g < group_count && !in_place; g++) {
        uint32_t ch = groups[g][0];
        if (groups[g][1] == 16) {
            pzp__gradient_u16(px, internal + start, p->width, p->height, ci);
        } else if (groups[g][2] == PZP_PREDICT_LEFT) {
            pzp__left_u8(px, internal + start, n, ci, ch);
        } else if (ch == ci) {
            memcpy(px, internal, (size_t)bytes);
        } else {
            for (size_t i = 0; i < n; i++) memcpy(px + i * ch, internal + i * ci + start, ch);
        }
        px += n * ch;
        start += ch;
    }
    wr32(pl, FRAME_MAGIC_V1);
    wr32(pl + 4, p->bpp);
    wr32(pl + 8, p->channels);
    wr32(pl + 12, p->width);
    wr32(pl + 16, p->height);
    wr32(pl + 20, 8);
    wr32(pl + 24, ci);
    wr32(pl + 28, pzp__checksum(body, (size_t)bytes));
    wr32(pl + 32, config);
    wr32(pl + 36, palette_bytes);
    pl[FRAME_HEADER_BYTES] = (uint8_t)group_count;
    memcpy(pl + FRAME_HEADER_BYTES + 1, groups, 4u * group_count);
    /* Levels 16 and up (the optimal parsers; 19 is the default with a palette)
     * look for matches of at least 4 bytes: 1-5 % larger than their own
     * choice of 3, whose many short matches decode up to twice as slowly. */
    int level = p->level ? p->level : (palette ? 19 : 1);
    int min_match = level >= 16 ? 4 : 0;
    return compress_payload(c, pl, (size_t)(head + palette_bytes), body, (size_t)bytes, lz4, level, min_match, dst,
                            cap, written);
}
