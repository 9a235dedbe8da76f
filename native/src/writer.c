/* writer.c - single-image files and the streaming container writer.
 *
 * Layout written (FORMAT.md section 5): header, index, frame blobs in order,
 * metadata, audio, with no gaps. The index size depends on the frame count,
 * so the writer reserves room for the expected count and, if the final count
 * differs, moves the frame data once on close. */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

int pzp_encode(pzp_cctx *c, const pzp_encode_params *p, const void *pixels, size_t pixels_size, void *dst, size_t cap,
               size_t *written) {
    int rc = pzp__resolve_cctx(&c);
    if (rc) return rc;
    const size_t head = CONTAINER_HEADER_BYTES + INDEX_ENTRY_BYTES;
    if (dst == NULL || written == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL buffer");
    if (cap < head) return pzp__fail(PZP_E_BUFFER_TOO_SMALL, "destination holds %zu bytes", cap);
    size_t blob;
    rc = pzp_encode_frame(c, p, pixels, pixels_size, NULL, (uint8_t *)dst + head, cap - head, &blob);
    if (rc) return rc;
    /* As the reference writes a single image: 1 frame, loop count 1, delay 0. */
    uint8_t *out = dst;
    pzp__write_container_header(out, 0, 1, 1, 0, 0, 0, 0, 0);
    wr32(out + CONTAINER_HEADER_BYTES, (uint32_t)head);
    wr32(out + CONTAINER_HEADER_BYTES + 4, (uint32_t)blob);
    wr32(out + CONTAINER_HEADER_BYTES + 8, 0);
    wr32(out + CONTAINER_HEADER_BYTES + 12, 0);
    *written = head + blob;
    return PZP_OK;
}

int pzp_write_file(pzp_cctx *c, const pzp_encode_params *p, const void *pixels, size_t pixels_size, const char *path) {
    int rc = pzp__resolve_cctx(&c);
    if (rc) return rc;
    uint64_t bound;
    rc = pzp_encode_bound(p, &bound, NULL);
    if (rc) return rc;
    pzp_buf out = {0};
    size_t n;
    rc = pzp__buf_reserve(&out, bound);
    if (!rc) rc = pzp_encode(c, p, pixels, pixels_size, out.data, out.capacity, &n);
    pzp_outfile f;
    if (!rc) rc = pzp__outfile_open(&f, path);
    if (!rc) {
        rc = pzp__outfile_write(&f, out.data, n);
        if (!rc)
            rc = pzp__outfile_commit(&f, 1);
        else
            pzp__outfile_discard(&f);
    }
    pzp__buf_free(&out);
    return rc;
}

/* ---- streaming container writer ---- */

typedef struct {
    uint32_t size, delay;
} writer_entry;

struct pzp_writer {
    pzp_outfile out;
    pzp_writer_options options;
    pzp_cctx *cctx;
    uint32_t reserved;      /* index entries reserved before the frame data */
    uint64_t data_bytes;    /* frame data written so far */
    writer_entry *entries;
    uint32_t frames, entries_capacity;
    pzp_buf blob;           /* one encoded frame */
    pzp_buf previous;       /* previous frame's pixels, for inter-frame delta */
    pzp_encode_params previous_params;
    int has_previous;
    uint32_t since_key;     /* frames since the last key frame */
    pzp_buf metadata, audio;
    uint64_t metadata_bytes, audio_bytes;
    uint32_t audio_format;
    int failed;
};

int pzp_writer_open(const char *path, const pzp_writer_options *options, pzp_writer **out) {
    pzp__clear_error();
    if (out == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL output");
    *out = NULL;
    pzp_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
    if (options) w->options = *options;
    if (w->options.flags & ~PZP_WRITER_NO_SYNC) {
        uint32_t flags = w->options.flags;
        free(w);
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "unknown writer flag bits 0x%x", flags);
    }
    w->reserved = w->options.expected_frames;
    if ((uint64_t)w->reserved * INDEX_ENTRY_BYTES > 0xFFFFFFFFull) w->reserved = 0;
    w->cctx = pzp_cctx_create();
    if (w->cctx == NULL) {
        free(w);
        return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
    }
    int rc = pzp__outfile_open(&w->out, path);
    if (rc) {
        pzp_cctx_free(w->cctx);
        free(w);
        return rc;
    }
    *out = w;
    return PZP_OK;
}

static uint64_t data_start(uint32_t index_entries) {
    return CONTAINER_HEADER_BYTES + (uint64_t)INDEX_ENTRY_BYTES * index_entries;
}

/* The file must stay under 4 GiB: offsets and sizes are 32-bit. */
static int check_file_size(const pzp_writer *w, uint64_t extra_data, uint32_t frames) {
    uint64_t total = data_start(frames) + w->data_bytes + extra_data + w->metadata_bytes + w->audio_bytes;
    if (total > 0xFFFFFFFFull)
        return pzp__fail(PZP_E_TOO_LARGE, "the container would reach %llu bytes; the format stops at 4 GiB",
                         (unsigned long long)total);
    return PZP_OK;
}

static int append_blob(pzp_writer *w, const uint8_t *blob, size_t size, uint32_t delay) {
    if (size > 0xFFFFFFFFull) return pzp__fail(PZP_E_TOO_LARGE, "frame blob over 4 GiB");
    int rc = check_file_size(w, size, w->frames + 1);
    if (rc) return rc;
    pzp_limits lim;
    pzp__limits(&lim);
    if (w->frames == 0xFFFFFFFFu || (lim.max_frames && w->frames >= lim.max_frames))
        return pzp__fail(PZP_E_LIMIT, "over max_frames (%llu)", (unsigned long long)lim.max_frames);
    if (w->frames == w->entries_capacity) {
        uint32_t cap = w->entries_capacity ? w->entries_capacity * 2 : 64;
        writer_entry *e = realloc(w->entries, (size_t)cap * sizeof *e);
        if (e == NULL) return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
        w->entries = e;
        w->entries_capacity = cap;
    }
    /* A failed write (e.g. a full disk) is final: the frame is missing, so a
     * later close must not report a container without it as a success. */
    rc = pzp__outfile_pwrite(&w->out, blob, size, data_start(w->reserved) + w->data_bytes);
    if (rc) {
        w->failed = 1;
        return rc;
    }
    w->entries[w->frames++] = (writer_entry){(uint32_t)size, delay};
    w->data_bytes += size;
    return PZP_OK;
}

static int same_params(const pzp_encode_params *a, const pzp_encode_params *b) {
    return a->width == b->width && a->height == b->height && a->bpp == b->bpp && a->channels == b->channels;
}

int pzp_writer_add_frame(pzp_writer *w, const pzp_encode_params *p, const void *pixels, size_t pixels_size,
                         uint32_t delay_ms) {
    pzp__clear_error();
    if (w == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL writer");
    if (w->failed) return pzp__fail(PZP_E_BAD_STATE, "the writer failed earlier");
    uint64_t bytes, bound;
    int rc = pzp__check_params(p, &bytes, &bound);
    if (rc) return rc;
    int want_delta = (p->configuration & PZP_USE_INTER_DELTA) != 0;
    int interval = w->options.keyframe_interval;
    int delta = want_delta && w->has_previous && same_params(p, &w->previous_params) &&
                (interval == 0 || w->since_key + 1 < (uint32_t)interval);
    rc = pzp__buf_reserve(&w->blob, bound);
    size_t n = 0;
    if (!rc)
        rc = pzp_encode_frame(w->cctx, p, pixels, pixels_size, delta ? w->previous.data : NULL, w->blob.data,
                              w->blob.capacity, &n);
    if (!rc) rc = append_blob(w, w->blob.data, n, delay_ms);
    if (rc) return rc;
    w->since_key = delta ? w->since_key + 1 : 0;
    w->has_previous = 0;
    if (want_delta && pzp__buf_reserve(&w->previous, bytes) == PZP_OK) {
        memcpy(w->previous.data, pixels, (size_t)bytes);
        w->previous_params = *p;
        w->has_previous = 1;
    }
    pzp__clear_error(); /* without a copy of this frame the next one is a key frame */
    return PZP_OK;
}

int pzp_writer_add_blob(pzp_writer *w, const void *blob, size_t size, uint32_t delay_ms) {
    pzp__clear_error();
    if (w == NULL || blob == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL argument");
    if (w->failed) return pzp__fail(PZP_E_BAD_STATE, "the writer failed earlier");
    uint32_t codec;
    uint64_t payload;
    int rc = pzp__parse_prefix(blob, size, &codec, &payload);
    if (rc) return rc;
    rc = append_blob(w, blob, size, delay_ms);
    if (rc) return rc;
    w->has_previous = 0;
    return PZP_OK;
}

static int keep_copy(pzp_buf *b, uint64_t *kept, const void *data, size_t size) {
    if (size && data == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL data");
    int rc = pzp__buf_reserve(b, size);
    if (rc) return rc;
    if (size) memcpy(b->data, data, size);
    *kept = size;
    return PZP_OK;
}

int pzp_writer_set_metadata(pzp_writer *w, const void *data, size_t size) {
    pzp__clear_error();
    if (w == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL writer");
    pzp_limits lim;
    pzp__limits(&lim);
    if (lim.max_metadata_bytes && size > lim.max_metadata_bytes)
        return pzp__fail(PZP_E_LIMIT, "%zu bytes of metadata, over max_metadata_bytes", size);
    uint64_t old = w->metadata_bytes;
    w->metadata_bytes = 0;
    int rc = check_file_size(w, size, w->frames);
    if (!rc) rc = keep_copy(&w->metadata, &w->metadata_bytes, data, size);
    if (rc) w->metadata_bytes = old;
    return rc;
}

int pzp_writer_set_audio(pzp_writer *w, const void *data, size_t size, uint32_t format) {
    pzp__clear_error();
    if (w == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL writer");
    if (size && !pzp__is_audio_format(format))
        return pzp__fail(PZP_E_INVALID_ARGUMENT, "audio format 0x%08X (WAVE, MPEG, OGGX or FLAC)", format);
    pzp_limits lim;
    pzp__limits(&lim);
    if (lim.max_audio_bytes && size > lim.max_audio_bytes)
        return pzp__fail(PZP_E_LIMIT, "%zu bytes of audio, over max_audio_bytes", size);
    uint64_t old = w->audio_bytes;
    w->audio_bytes = 0;
    int rc = check_file_size(w, size, w->frames);
    if (!rc) rc = keep_copy(&w->audio, &w->audio_bytes, data, size);
    if (rc) {
        w->audio_bytes = old;
        return rc;
    }
    w->audio_format = size ? format : 0;
    return PZP_OK;
}

uint32_t pzp_writer_frame_count(const pzp_writer *w) { return w ? w->frames : 0; }

/* Moves [from, from+size) to [to, to+size) inside the file, in the direction
 * that never overwrites bytes still to be moved. */
static int move_data(pzp_outfile *f, uint64_t from, uint64_t to, uint64_t size) {
    if (from == to || size == 0) return PZP_OK;
    pzp_buf buf = {0};
    size_t chunk = size < (1u << 20) ? (size_t)size : (1u << 20);
    int rc = pzp__buf_reserve(&buf, chunk);
    for (uint64_t done = 0; !rc && done < size;) {
        size_t n = size - done < chunk ? (size_t)(size - done) : chunk;
        uint64_t at = to > from ? size - done - n : done; /* backwards when moving right */
        ssize_t r = pread(f->fd, buf.data, n, (off_t)(from + at));
        if (r != (ssize_t)n)
            rc = pzp__fail(PZP_E_IO, "cannot read back the temporary file of '%s'", f->path);
        else
            rc = pzp__outfile_pwrite(f, buf.data, n, to + at);
        done += n;
    }
    pzp__buf_free(&buf);
    return rc;
}

int pzp_writer_close(pzp_writer *w) {
    pzp__clear_error();
    if (w == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL writer");
    int rc = PZP_OK;
    if (w->failed)
        rc = pzp__fail(PZP_E_BAD_STATE, "the writer failed earlier");
    else if (w->frames == 0)
        rc = pzp__fail(PZP_E_INVALID_ARGUMENT, "a container needs at least one frame");
    if (!rc) rc = check_file_size(w, 0, w->frames);
    uint64_t start = data_start(w->frames);
    if (!rc) rc = move_data(&w->out, data_start(w->reserved), start, w->data_bytes);
    if (!rc) {
        w->out.written = start + w->data_bytes;
        uint64_t meta_off = 0, audio_off = 0;
        uint32_t flags = 0;
        if (w->metadata_bytes) {
            meta_off = w->out.written;
            flags |= CONTAINER_HAS_METADATA;
            rc = pzp__outfile_write(&w->out, w->metadata.data, (size_t)w->metadata_bytes);
        }
        if (!rc && w->audio_bytes) {
            audio_off = w->out.written;
            flags |= CONTAINER_HAS_AUDIO;
            rc = pzp__outfile_write(&w->out, w->audio.data, (size_t)w->audio_bytes);
        }
        size_t head_size = (size_t)start;
        pzp_buf head = {0};
        if (!rc) rc = pzp__buf_reserve(&head, head_size);
        if (!rc) {
            pzp__write_container_header(head.data, flags, w->frames, w->options.loop_count, (uint32_t)meta_off,
                                        (uint32_t)w->metadata_bytes, (uint32_t)audio_off, (uint32_t)w->audio_bytes,
                                        w->audio_format);
            uint64_t offset = start;
            for (uint32_t i = 0; i < w->frames; i++) {
                uint8_t *e = head.data + CONTAINER_HEADER_BYTES + (size_t)i * INDEX_ENTRY_BYTES;
                wr32(e, (uint32_t)offset);
                wr32(e + 4, w->entries[i].size);
                wr32(e + 8, w->entries[i].delay);
                wr32(e + 12, 0);
                offset += w->entries[i].size;
            }
            uint64_t end = w->out.written;
            rc = pzp__outfile_pwrite(&w->out, head.data, head_size, 0);
            w->out.written = end;
        }
        pzp__buf_free(&head);
    }
    if (!rc) {
        rc = pzp__outfile_commit(&w->out, !(w->options.flags & PZP_WRITER_NO_SYNC));
    } else {
        /* keep the first error's detail */
        pzp__outfile_discard(&w->out);
    }
    w->out.fd = -1;
    pzp_writer_abort(w);
    return rc;
}

void pzp_writer_abort(pzp_writer *w) {
    if (w == NULL) return;
    pzp__outfile_discard(&w->out);
    pzp_cctx_free(w->cctx);
    free(w->entries);
    pzp__buf_free(&w->blob);
    pzp__buf_free(&w->previous);
    pzp__buf_free(&w->metadata);
    pzp__buf_free(&w->audio);
    free(w);
}
