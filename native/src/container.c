/* container.c - recognising PZP files, the container header and index
 * (FORMAT.md sections 2 and 5), decoding single images and container frames,
 * and the inter-frame delta chain (section 7). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define ZSTD_MAGIC 0xFD2FB528u
#define FIRST_READ 4096u /* one read covers header, early index and small frames */

typedef struct {
    int bare;              /* legacy bare frame: the whole file is frame 0's blob */
    uint32_t frames, loop, flags;
    uint32_t meta_off, meta_len, audio_off, audio_len, audio_format, checksum;
} file_header;

static uint64_t next_container_id = 1;

/* Recognises a PZP file from its first bytes (avail of them, file_size in
 * all) and parses the container header. */
static int parse_file_header(pzp_dctx *d, const uint8_t *p, size_t avail, uint64_t file_size, file_header *h) {
    memset(h, 0, sizeof *h);
    static const uint8_t magic[4] = {0x30, 0x50, 0x5A, 0x50};
    if (file_size < 4) {
        if (file_size > 0 && memcmp(p, magic, (size_t)file_size) == 0)
            return pzp__fail(PZP_E_TRUNCATED, "file of %llu bytes ends inside the magic", (unsigned long long)file_size);
        return pzp__fail(PZP_E_NOT_PZP, "file of %llu bytes", (unsigned long long)file_size);
    }
    if (rd32(p) == CONTAINER_MAGIC) {
        if (file_size < CONTAINER_HEADER_BYTES || avail < CONTAINER_HEADER_BYTES)
            return pzp__fail(PZP_E_TRUNCATED, "file ends inside the 48-byte container header");
        uint32_t version = rd32(p + 4);
        if (version != CONTAINER_VERSION)
            return pzp__fail(PZP_E_UNSUPPORTED, "container version %u (this reader knows version 1)", version);
        h->flags = rd32(p + 8);
        h->frames = rd32(p + 12);
        h->loop = rd32(p + 16);
        h->meta_off = rd32(p + 20);
        h->meta_len = rd32(p + 24);
        h->audio_off = rd32(p + 28);
        h->audio_len = rd32(p + 32);
        h->audio_format = rd32(p + 36);
        h->checksum = rd32(p + 40);
#ifndef PZP_FUZZING /* fuzz builds only: mutated headers then reach the checks below */
        if (pzp__checksum(p, 40) != h->checksum) return pzp__fail(PZP_E_CHECKSUM, "container header checksum mismatch");
#endif
        if (h->frames == 0) return pzp__fail(PZP_E_CORRUPT, "container with 0 frames");
        pzp_limits lim;
        pzp__limits(&lim);
        if (lim.max_frames && h->frames > lim.max_frames)
            return pzp__fail(PZP_E_LIMIT, "%u frames, over max_frames (%llu)", h->frames, (unsigned long long)lim.max_frames);
        if (CONTAINER_HEADER_BYTES + (uint64_t)INDEX_ENTRY_BYTES * h->frames > file_size)
            return pzp__fail(PZP_E_TRUNCATED, "the index of %u frames runs past the end of the file", h->frames);
        return PZP_OK;
    }
    /* Not a container: a legacy bare frame (zstd, so a zstd frame follows the
     * prefix), or a bare LZ4 frame whose header decodes; else not PZP. */
    h->bare = 1;
    h->frames = 1;
    h->loop = 1;
    uint32_t prefix = rd32(p);
    if (!(prefix & PREFIX_LZ4_BIT)) {
        uint32_t m = avail >= 8 ? rd32(p + 4) : 0;
        if (avail < 8 || (m != ZSTD_MAGIC && (m & 0xFFFFFFF0u) != 0x184D2A50u))
            return pzp__fail(PZP_E_NOT_PZP, "no PZP container magic and no bare PZP frame");
        return PZP_OK;
    }
    pzp_image_info info;
    if (pzp__blob_info(d, p, avail, (size_t)file_size, &info) != PZP_OK)
        return pzp__fail(PZP_E_NOT_PZP, "no PZP container magic and no bare PZP frame");
    return PZP_OK;
}

/* Frame 0's blob range in a container. */
static int first_frame_range(const uint8_t *p, const file_header *h, uint64_t file_size, uint64_t *off, uint64_t *size) {
    if (h->bare) {
        *off = 0;
        *size = file_size;
        return PZP_OK;
    }
    uint64_t index_end = CONTAINER_HEADER_BYTES + (uint64_t)INDEX_ENTRY_BYTES * h->frames;
    *off = rd32(p + CONTAINER_HEADER_BYTES);
    *size = rd32(p + CONTAINER_HEADER_BYTES + 4);
    if (*off < index_end || *size < 4)
        return pzp__frame_error(pzp__fail(PZP_E_CORRUPT, "index entry overlaps the header or index"), 0);
    if (*off + *size > file_size)
        return pzp__frame_error(pzp__fail(PZP_E_TRUNCATED, "frame data runs past the end of the file"), 0);
    return PZP_OK;
}

/* ---- single images (frame 0) from memory ---- */

static int locate_first_blob(pzp_dctx *d, const void *src, size_t size, const uint8_t **blob, uint64_t *blob_size) {
    if (src == NULL && size) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL source");
    file_header h;
    int rc = parse_file_header(d, src, size, size, &h);
    if (rc) return rc;
    uint64_t off;
    rc = first_frame_range(src, &h, size, &off, blob_size);
    if (rc) return rc;
    *blob = (const uint8_t *)src + off;
    return PZP_OK;
}

int pzp_info(pzp_dctx *d, const void *src, size_t size, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    if (info == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL info");
    const uint8_t *blob = NULL;
    uint64_t n = 0;
    rc = locate_first_blob(d, src, size, &blob, &n);
    if (rc) return rc;
    rc = pzp__blob_info(d, blob, (size_t)n, (size_t)n, info);
    info->is_delta = 0; /* frame 0 is always a key frame */
    return rc;
}

int pzp_decode_begin(pzp_dctx *d, const void *src, size_t size, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    d->has_staged = 0;
    const uint8_t *blob = NULL;
    uint64_t n = 0;
    rc = locate_first_blob(d, src, size, &blob, &n);
    if (!rc) rc = pzp__stage_blob(d, blob, (size_t)n);
    if (rc) return rc;
    d->staged.info.is_delta = 0;
    if (info) *info = d->staged.info;
    return PZP_OK;
}

int pzp_decode_finish(pzp_dctx *d, void *dst, size_t cap) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    int cache_after = d->cache_after_finish;
    const frame_layout L = d->staged;
    uint64_t id = d->staged_container_id;
    uint32_t index = d->staged_index;
    rc = pzp__finish_staged(d, dst, cap, d->delta_base);
    /* Refused before any work (NULL or short dst): the frame stays prepared,
     * with its delta base, for a retry. */
    if (rc && d->has_staged) return id ? pzp__frame_error(rc, index) : rc;
    d->delta_base = NULL;
    d->cache_after_finish = 0;
    if (rc) return id ? pzp__frame_error(rc, index) : rc;
    if (cache_after) {
        /* Keep this frame: the next one is stored as a difference to it. */
        frame_cache *fc = &d->cache[0];
        fc->container_id = 0;
        if (pzp__buf_reserve(&fc->pixels, L.pixel_bytes) == PZP_OK) {
            memcpy(fc->pixels.data, dst, (size_t)L.pixel_bytes);
            fc->container_id = id;
            fc->index = index;
            fc->width = L.info.width;
            fc->height = L.info.height;
            fc->channels_internal = L.info.channels_internal;
            fc->bpp = L.info.bpp;
            fc->bytes = L.pixel_bytes;
        }
        pzp__clear_error(); /* a failed cache fill only costs a later re-decode */
    }
    return PZP_OK;
}

int pzp_decode(pzp_dctx *d, const void *src, size_t size, void *dst, size_t cap, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    rc = pzp_decode_begin(d, src, size, info);
    return rc ? rc : pzp_decode_finish(d, dst, cap);
}

/* ---- single images from a file: header, index entry and blob only ---- */

static int file_first_blob(pzp_dctx *d, const char *path, pzp_source *s, uint8_t *first, const uint8_t **blob,
                           uint64_t *blob_size) {
    int rc = pzp__open_source_file(path, s);
    if (rc) return rc;
    size_t avail = s->size < FIRST_READ ? (size_t)s->size : FIRST_READ;
    rc = pzp__source_copy(s, 0, avail, first);
    file_header h;
    if (!rc) rc = parse_file_header(d, first, avail, s->size, &h);
    uint64_t off = 0;
    if (!rc) rc = first_frame_range(first, &h, s->size, &off, blob_size);
    if (!rc) {
        if (off + *blob_size <= avail)
            *blob = first + off;
        else
            rc = pzp__source_read(s, off, (size_t)*blob_size, &d->input, blob);
    }
    return rc;
}

/* Adds the file's name to the error detail. */
static int name_file(int rc, const char *path) {
    if (rc && rc != PZP_E_IO) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", pzp_last_error());
        pzp__fail(rc, "%s: %s", path ? path : "(null)", detail[0] ? detail : pzp_strerror(rc));
    }
    return rc;
}

int pzp_info_file(pzp_dctx *d, const char *path, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    if (info == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL info");
    uint8_t first[FIRST_READ];
    pzp_source s;
    const uint8_t *blob = NULL;
    uint64_t n = 0;
    rc = file_first_blob(d, path, &s, first, &blob, &n);
    if (!rc) {
        /* A prefix of the blob is enough for the header, except for
         * reference-written zstd frames whose first block is large. */
        rc = pzp__blob_info(d, blob, (size_t)n, (size_t)n, info);
        info->is_delta = 0;
    }
    pzp__close_source(&s);
    return name_file(rc, path);
}

int pzp_decode_file_begin(pzp_dctx *d, const char *path, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    d->has_staged = 0;
    uint8_t first[FIRST_READ];
    pzp_source s;
    const uint8_t *blob = NULL;
    uint64_t n = 0;
    rc = file_first_blob(d, path, &s, first, &blob, &n);
    if (!rc) rc = pzp__stage_blob(d, blob, (size_t)n);
    pzp__close_source(&s);
    if (rc) return name_file(rc, path);
    d->staged.info.is_delta = 0;
    if (info) *info = d->staged.info;
    return PZP_OK;
}

/* ---- containers ---- */

struct pzp_container {
    pzp_source src;
    uint64_t id;
    pzp_container_info info;
    uint64_t index_end;
    uint32_t meta_off, audio_off;
    int meta_error, audio_error; /* PZP_OK, or why the blob cannot be read */
    pzp_frame_entry *entries;
    uint8_t *kinds;              /* per frame: 0 unknown, KIND_KEY, KIND_DELTA (atomic) */
};

#define KIND_KEY 1
#define KIND_DELTA 2

static int blob_range_error(uint64_t off, uint64_t len, uint64_t index_end, uint64_t file_size) {
    if (off < index_end) return PZP_E_CORRUPT;
    if (off + len > file_size) return PZP_E_TRUNCATED;
    return PZP_OK;
}

static int open_source(pzp_source *s, pzp_container **out) {
    pzp_dctx *d = NULL;
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    uint8_t first[FIRST_READ];
    size_t avail = s->size < FIRST_READ ? (size_t)s->size : FIRST_READ;
    rc = pzp__source_copy(s, 0, avail, first);
    file_header h;
    if (!rc) rc = parse_file_header(d, first, avail, s->size, &h);
    if (rc) return rc;
    pzp_container *c = calloc(1, sizeof *c);
    if (c == NULL) return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
    c->src = *s;
    c->id = __atomic_fetch_add(&next_container_id, 1, __ATOMIC_RELAXED);
    c->info.frame_count = h.frames;
    c->info.loop_count = h.loop;
    c->info.file_bytes = s->size;
    c->info.is_bare_frame = (uint32_t)h.bare;
    c->info.header_checksum = h.checksum;
    c->index_end = h.bare ? 0 : CONTAINER_HEADER_BYTES + (uint64_t)INDEX_ENTRY_BYTES * h.frames;
    rc = pzp__check_alloc((uint64_t)h.frames * (sizeof(pzp_frame_entry) + 1), "the frame index");
    if (!rc) {
        c->entries = calloc(h.frames, sizeof(pzp_frame_entry));
        c->kinds = calloc(h.frames, 1);
        if (c->entries == NULL || c->kinds == NULL) rc = pzp__fail(PZP_E_NO_MEMORY, "out of memory");
    }
    if (!rc && h.bare) {
        c->entries[0] = (pzp_frame_entry){0, s->size, 0, 1};
    } else if (!rc) {
        /* Validate the whole index: a bad entry makes only its frame unreadable. */
        const uint8_t *index;
        pzp_buf buf = {0};
        rc = pzp__source_read(s, CONTAINER_HEADER_BYTES, (size_t)(c->index_end - CONTAINER_HEADER_BYTES), &buf, &index);
        for (uint32_t i = 0; !rc && i < h.frames; i++) {
            pzp_frame_entry *e = &c->entries[i];
            const uint8_t *p = index + (size_t)i * INDEX_ENTRY_BYTES;
            e->offset = rd32(p);
            e->size = rd32(p + 4);
            e->delay_ms = rd32(p + 8);
            e->valid = e->size >= 4 && blob_range_error(e->offset, e->size, c->index_end, s->size) == PZP_OK;
        }
        pzp__buf_free(&buf);
        /* "Flag set, length 0" means absent (files of older reference revisions). */
        pzp_limits lim;
        pzp__limits(&lim);
        if ((h.flags & CONTAINER_HAS_METADATA) && h.meta_len) {
            c->info.flags |= CONTAINER_HAS_METADATA;
            c->info.metadata_bytes = h.meta_len;
            c->meta_off = h.meta_off;
            c->meta_error = blob_range_error(h.meta_off, h.meta_len, c->index_end, s->size);
            if (!c->meta_error && lim.max_metadata_bytes && h.meta_len > lim.max_metadata_bytes) c->meta_error = PZP_E_LIMIT;
        }
        if ((h.flags & CONTAINER_HAS_AUDIO) && h.audio_len) {
            c->info.flags |= CONTAINER_HAS_AUDIO;
            c->info.audio_bytes = h.audio_len;
            c->info.audio_format = h.audio_format;
            c->audio_off = h.audio_off;
            c->audio_error = blob_range_error(h.audio_off, h.audio_len, c->index_end, s->size);
            if (!c->audio_error && lim.max_audio_bytes && h.audio_len > lim.max_audio_bytes) c->audio_error = PZP_E_LIMIT;
        }
    }
    if (rc) {
        free(c->entries);
        free(c->kinds);
        free(c);
        return rc;
    }
    *out = c;
    return PZP_OK;
}

int pzp_container_open(const char *path, pzp_container **out) {
    pzp__clear_error();
    if (out == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL output");
    *out = NULL;
    pzp_source s;
    int rc = pzp__open_source_file(path, &s);
    if (rc) return rc;
    rc = open_source(&s, out);
    if (rc) pzp__close_source(&s);
    return name_file(rc, path);
}

int pzp_container_open_memory(const void *data, size_t size, pzp_container **out) {
    pzp__clear_error();
    if (out == NULL || (data == NULL && size)) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    *out = NULL;
    pzp_source s = {data ? data : (const uint8_t *)"", -1, size};
    return open_source(&s, out);
}

void pzp_container_close(pzp_container *c) {
    if (c == NULL) return;
    pzp__close_source(&c->src);
    free(c->entries);
    free(c->kinds);
    free(c);
}

int pzp_container_get_info(const pzp_container *c, pzp_container_info *info) {
    pzp__clear_error();
    if (c == NULL || info == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    *info = c->info;
    return PZP_OK;
}

int pzp_container_get_entries(const pzp_container *c, uint32_t first, uint32_t count, pzp_frame_entry *entries) {
    pzp__clear_error();
    if (c == NULL || (entries == NULL && count)) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    if (first > c->info.frame_count || count > c->info.frame_count - first)
        return pzp__fail(PZP_E_OUT_OF_RANGE, "entries %u..%llu of a %u-frame container", first,
                         (unsigned long long)first + count, c->info.frame_count);
    memcpy(entries, c->entries + first, (size_t)count * sizeof *entries);
    return PZP_OK;
}

static int check_index(const pzp_container *c, uint32_t index) {
    if (c == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL container");
    if (index >= c->info.frame_count)
        return pzp__fail(PZP_E_OUT_OF_RANGE, "frame %u of a %u-frame container", index, c->info.frame_count);
    const pzp_frame_entry *e = &c->entries[index];
    if (!e->valid) {
        int code = e->size < 4 ? PZP_E_CORRUPT : blob_range_error(e->offset, e->size, c->index_end, c->src.size);
        return pzp__frame_error(pzp__fail(code, code == PZP_E_TRUNCATED ? "frame data runs past the end of the file"
                                                                        : "index entry overlaps the header or index"),
                                index);
    }
    return PZP_OK;
}

/* Header-only description of a frame, reading a prefix of its blob first. */
static int peek_frame(pzp_dctx *d, pzp_container *c, uint32_t index, pzp_image_info *info) {
    int rc = check_index(c, index);
    if (rc) return rc;
    const pzp_frame_entry *e = &c->entries[index];
    const uint8_t *blob;
    size_t part = e->size < 512 ? (size_t)e->size : 512;
    rc = pzp__source_read(&c->src, e->offset, part, &d->input, &blob);
    if (!rc) rc = pzp__blob_info(d, blob, part, (size_t)e->size, info);
    if (rc == PZP_E_TRUNCATED && part < e->size) {
        rc = pzp__source_read(&c->src, e->offset, (size_t)e->size, &d->input, &blob);
        if (!rc) rc = pzp__blob_info(d, blob, (size_t)e->size, (size_t)e->size, info);
    }
    return rc ? pzp__frame_error(rc, index) : PZP_OK;
}

static int same_layout(const pzp_image_info *a, uint32_t w, uint32_t h, uint32_t ci) {
    return a->width == w && a->height == h && a->channels_internal == ci;
}

/* Whether frame index is decoded as a difference to the previous frame: its
 * flag is set and the previous frame has the same layout (as the reference). */
static int frame_kind(pzp_dctx *d, pzp_container *c, uint32_t index, int *kind) {
    int rc = check_index(c, index);
    if (rc) return rc;
    int k = __atomic_load_n(&c->kinds[index], __ATOMIC_RELAXED);
    if (k == 0) {
        pzp_image_info cur, prev;
        k = KIND_KEY;
        if (index > 0) {
            rc = peek_frame(d, c, index, &cur);
            if (rc) return rc;
            if (cur.configuration & PZP_USE_INTER_DELTA) {
                rc = peek_frame(d, c, index - 1, &prev);
                if (rc) return rc;
                if (same_layout(&prev, cur.width, cur.height, cur.channels_internal)) k = KIND_DELTA;
            }
        }
        __atomic_store_n(&c->kinds[index], (uint8_t)k, __ATOMIC_RELAXED);
    }
    *kind = k;
    return PZP_OK;
}

static int stage_frame(pzp_dctx *d, pzp_container *c, uint32_t index) {
    int rc = check_index(c, index);
    if (rc) return rc;
    const pzp_frame_entry *e = &c->entries[index];
    const uint8_t *blob;
    rc = pzp__source_read(&c->src, e->offset, (size_t)e->size, &d->input, &blob);
    if (!rc) rc = pzp__stage_blob(d, blob, (size_t)e->size);
    return rc ? pzp__frame_error(rc, index) : PZP_OK;
}

static int cache_holds(const pzp_dctx *d, const pzp_container *c, uint32_t index) {
    return d->cache[0].container_id == c->id && d->cache[0].index == index;
}

/* Makes the delta base in the cache match a frame of bpp bits: the delta works
 * on the stored big-endian bytes, the cache holds host-order samples. */
static void cache_as_bpp(frame_cache *fc, uint32_t bpp) {
    if (fc->bpp != bpp) {
        pzp__swap16(fc->pixels.data, fc->pixels.data, (size_t)fc->bytes / 2);
        fc->bpp = bpp;
    }
}

/* Decodes frame target into cache[0], starting from the nearest key frame or
 * from the cached frame when it is on the way. */
static int decode_into_cache(pzp_dctx *d, pzp_container *c, uint32_t target) {
    uint32_t start = target;
    for (;;) {
        if (cache_holds(d, c, start)) {
            if (start == target) return PZP_OK;
            start++;
            break;
        }
        int kind;
        int rc = frame_kind(d, c, start, &kind);
        if (rc) return rc;
        if (kind == KIND_KEY) break;
        start--;
    }
    for (uint32_t m = start; m <= target; m++) {
        int kind;
        int rc = frame_kind(d, c, m, &kind);
        if (!rc) rc = stage_frame(d, c, m);
        if (rc) return rc;
        const frame_layout *L = &d->staged;
        const uint8_t *base = NULL;
        if (kind == KIND_DELTA) {
            /* The kind was learnt from earlier reads: a file rewritten in place
             * since then may hold frames of another size. */
            if (!same_layout(&L->info, d->cache[0].width, d->cache[0].height, d->cache[0].channels_internal))
                return pzp__frame_error(pzp__fail(PZP_E_CORRUPT, "the previous frame changed size (file modified "
                                                                 "while open?)"), m);
            cache_as_bpp(&d->cache[0], L->info.bpp);
            base = d->cache[0].pixels.data;
        }
        frame_cache *next = &d->cache[1];
        rc = pzp__buf_reserve(&next->pixels, L->pixel_bytes);
        if (!rc) rc = pzp__finish_staged(d, next->pixels.data, next->pixels.capacity, base);
        if (rc) return pzp__frame_error(rc, m);
        next->container_id = c->id;
        next->index = m;
        next->width = L->info.width;
        next->height = L->info.height;
        next->channels_internal = L->info.channels_internal;
        next->bpp = L->info.bpp;
        next->bytes = L->pixel_bytes;
        frame_cache t = d->cache[0];
        d->cache[0] = d->cache[1];
        d->cache[1] = t;
    }
    return PZP_OK;
}

int pzp_container_frame_info(pzp_dctx *d, pzp_container *c, uint32_t index, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    if (info == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL info");
    int kind;
    rc = peek_frame(d, c, index, info);
    if (!rc) rc = frame_kind(d, c, index, &kind);
    if (rc) return rc;
    info->is_delta = kind == KIND_DELTA;
    return PZP_OK;
}

int pzp_container_scan(pzp_dctx *d, pzp_container *c, uint32_t first, uint32_t count, pzp_image_info *infos) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    if (c == NULL || (infos == NULL && count)) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    if (first > c->info.frame_count || count > c->info.frame_count - first)
        return pzp__fail(PZP_E_OUT_OF_RANGE, "frames %u..%llu of a %u-frame container", first,
                         (unsigned long long)first + count, c->info.frame_count);
    pzp_image_info before;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t index = first + k;
        pzp_image_info *info = &infos[k];
        rc = peek_frame(d, c, index, info);
        if (rc) return rc;
        /* A delta frame needs the previous frame's layout: the one just read,
         * or for the first of the range one more header. */
        int delta = 0;
        if (index > 0 && (info->configuration & PZP_USE_INTER_DELTA)) {
            const pzp_image_info *prev = &before;
            if (k > 0)
                prev = &infos[k - 1];
            else if ((rc = peek_frame(d, c, index - 1, &before)) != PZP_OK)
                return rc;
            delta = same_layout(prev, info->width, info->height, info->channels_internal);
        }
        info->is_delta = (uint32_t)delta;
        __atomic_store_n(&c->kinds[index], (uint8_t)(delta ? KIND_DELTA : KIND_KEY), __ATOMIC_RELAXED);
    }
    return PZP_OK;
}

int pzp_container_decode_frame_begin(pzp_dctx *d, pzp_container *c, uint32_t index, pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    d->has_staged = 0;
    /* A delta frame needs the previous frame in the cache. Its kind comes from
     * the headers (cheap, and remembered), so the chain is decoded before this
     * frame is staged and no payload has to be set aside meanwhile. */
    if (index > 0 && !cache_holds(d, c, index - 1)) {
        int kind;
        rc = frame_kind(d, c, index, &kind);
        if (!rc && kind == KIND_DELTA) rc = decode_into_cache(d, c, index - 1);
        if (rc) return rc;
    }
    rc = stage_frame(d, c, index);
    if (rc) return rc;
    frame_layout L = d->staged;
    int delta = 0;
    if (index > 0 && (L.info.configuration & PZP_USE_INTER_DELTA) && cache_holds(d, c, index - 1)) {
        frame_cache *fc = &d->cache[0];
        delta = fc->width == L.info.width && fc->height == L.info.height &&
                fc->channels_internal == L.info.channels_internal;
        if (delta) cache_as_bpp(fc, L.info.bpp);
    }
    __atomic_store_n(&c->kinds[index], (uint8_t)(delta ? KIND_DELTA : KIND_KEY), __ATOMIC_RELAXED);
    int keep = delta;
    if (!keep && index + 1 < c->info.frame_count) {
        int next_kind;
        /* A damaged next frame is reported when it is read, not now. */
        if (frame_kind(d, c, index + 1, &next_kind) == PZP_OK) keep = next_kind == KIND_DELTA;
        pzp__clear_error();
    }
    d->staged = L;
    d->staged.info.is_delta = (uint32_t)delta;
    d->has_staged = 1;
    d->delta_base = delta ? d->cache[0].pixels.data : NULL;
    d->cache_after_finish = keep;
    d->staged_container_id = c->id;
    d->staged_index = index;
    if (info) *info = d->staged.info;
    return PZP_OK;
}

int pzp_container_decode_frame(pzp_dctx *d, pzp_container *c, uint32_t index, void *dst, size_t cap,
                               pzp_image_info *info) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    rc = pzp_container_decode_frame_begin(d, c, index, info);
    return rc ? rc : pzp_decode_finish(d, dst, cap);
}

static int read_blob_range(pzp_container *c, uint32_t off, uint64_t len, int error, const char *what, void *dst,
                           size_t cap) {
    pzp__clear_error();
    if (c == NULL || (dst == NULL && len)) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    if (error == PZP_E_LIMIT)
        return pzp__fail(PZP_E_LIMIT, "%s of %llu bytes is over max_%s_bytes", what, (unsigned long long)len, what);
    if (error)
        return pzp__fail(error, "%s range %u+%llu is %s", what, off, (unsigned long long)len,
                         error == PZP_E_TRUNCATED ? "past the end of the file" : "inside the header or index");
    if (cap < len) return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "%s needs %llu bytes", what, (unsigned long long)len);
    return pzp__source_copy(&c->src, off, (size_t)len, dst);
}

int pzp_container_read_metadata(pzp_container *c, void *dst, size_t cap) {
    if (c == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL container");
    return read_blob_range(c, c->meta_off, c->info.metadata_bytes, c->meta_error, "metadata", dst, cap);
}

int pzp_container_read_audio(pzp_container *c, void *dst, size_t cap) {
    if (c == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL container");
    return read_blob_range(c, c->audio_off, c->info.audio_bytes, c->audio_error, "audio", dst, cap);
}

int pzp_container_read_blob(pzp_container *c, uint32_t index, void *dst, size_t cap) {
    pzp__clear_error();
    int rc = check_index(c, index);
    if (rc) return rc;
    const pzp_frame_entry *e = &c->entries[index];
    if (dst == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL destination");
    if (cap < e->size) return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "frame blob needs %llu bytes", (unsigned long long)e->size);
    return pzp__source_copy(&c->src, e->offset, (size_t)e->size, dst);
}

/* ---- shared with the writer ---- */

void pzp__write_container_header(uint8_t out[CONTAINER_HEADER_BYTES], uint32_t flags, uint32_t frames, uint32_t loop,
                                 uint32_t meta_off, uint32_t meta_len, uint32_t audio_off, uint32_t audio_len,
                                 uint32_t audio_format) {
    wr32(out, CONTAINER_MAGIC);
    wr32(out + 4, CONTAINER_VERSION);
    wr32(out + 8, flags);
    wr32(out + 12, frames);
    wr32(out + 16, loop);
    wr32(out + 20, meta_off);
    wr32(out + 24, meta_len);
    wr32(out + 28, audio_off);
    wr32(out + 32, audio_len);
    wr32(out + 36, audio_format);
    wr32(out + 40, pzp__checksum(out, 40));
    wr32(out + 44, 0);
}

int pzp__is_audio_format(uint32_t tag) {
    return tag == PZP_AUDIO_WAVE || tag == PZP_AUDIO_MPEG || tag == PZP_AUDIO_OGG || tag == PZP_AUDIO_FLAC;
}
