/* internal.h - shared by the libpzp sources; not installed. */
#ifndef PZP_INTERNAL_H
#define PZP_INTERNAL_H

#include "pzp.h"

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define CONTAINER_MAGIC 0x505A5030u /* "PZP0" */
#define FRAME_MAGIC_V0 0x505A5030u  /* "PZP0" inner frame (legacy) */
#define FRAME_MAGIC_V1 0x505A5031u  /* "PZP1" inner frame */
#define CONTAINER_VERSION 1u
#define CONTAINER_HEADER_BYTES 48u
#define INDEX_ENTRY_BYTES 16u
#define FRAME_HEADER_BYTES 40u
#define PREFIX_LZ4_BIT 0x80000000u
#define PREFIX_SIZE_MASK 0x7FFFFFFFu
#define CONTAINER_HAS_METADATA 1u
#define CONTAINER_HAS_AUDIO 2u
#define MAX_PALETTE_CHANNELS 8u
#define MAX_INTERNAL_CHANNELS 255u
#define KNOWN_CONFIGURATION \
    (PZP_USE_COMPRESSION | PZP_USE_RLE | PZP_USE_PALETTE | PZP_USE_INTER_DELTA | PZP_USE_LZ4)
/* Largest header region (inner header + group table) a header-only read needs. */
#define FRAME_HEAD_MAX (FRAME_HEADER_BYTES + 1u + 4u * PZP_MAX_GROUPS)

/* ---- little-endian access (files are little-endian on every host) ---- */
static inline uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ---- errors (errors.c) ---- */
/* Records a detail for pzp_last_error() and returns code. */
int pzp__fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void pzp__clear_error(void);
/* Prefixes the current detail with "frame N: ". Returns code. */
int pzp__frame_error(int code, uint32_t index);

/* ---- growable byte buffer ---- */
typedef struct {
    uint8_t *data;
    size_t capacity;
} pzp_buf;
/* Ensures capacity >= size (contents not kept). Checks max_alloc_bytes. */
int pzp__buf_reserve(pzp_buf *b, uint64_t size);
void pzp__buf_free(pzp_buf *b);

/* ---- limits (limits.c) ---- */
void pzp__limits(pzp_limits *out);
int pzp__check_alloc(uint64_t size, const char *what);

/* ---- checksum.c ---- */
uint32_t pzp__checksum(const uint8_t *p, size_t n);

/* ---- frame layout: a parsed payload (frame.c) ---- */
typedef struct {
    pzp_image_info info;
    uint32_t table_offset;   /* offset of the group table in the payload (0 for PZP0) */
    uint32_t palette_offset; /* offset of the palette block */
    uint64_t pixel_offset;   /* offset of the pixel data */
    uint64_t pixel_bytes;    /* N * Ci */
} frame_layout;

/* Parses and validates the header region of a payload: head_size bytes of a
 * payload_size-byte payload (head_size may be less than the whole payload for
 * header-only reads; needs FRAME_HEAD_MAX or the whole payload). */
int pzp__parse_frame_head(const uint8_t *head, size_t head_size, uint64_t payload_size, frame_layout *out);

/* Reads the 4-byte prefix of a blob: codec and declared payload size, validated
 * against the limits. */
int pzp__parse_prefix(const uint8_t *blob, size_t blob_size, uint32_t *codec, uint64_t *payload_size);

/* ---- contexts (context.c) ---- */
struct ZSTD_DCtx_s;
struct ZSTD_CCtx_s;

typedef struct {
    uint64_t container_id; /* 0 = empty */
    uint32_t index;
    uint32_t width, height, channels_internal, bpp;
    uint64_t bytes;
    pzp_buf pixels;        /* the frame's decoded pixels (host order) */
} frame_cache;

struct pzp_dctx {
    struct ZSTD_DCtx_s *zstd;
    uint32_t options;
    pzp_buf input;         /* compressed bytes read from a file */
    pzp_buf payload;       /* decompressed payload of the staged frame */
    pzp_buf head;          /* the first blocks of a payload, for header-only reads */
    frame_layout staged;   /* the frame prepared by *_begin */
    int has_staged;
    const uint8_t *delta_base;  /* previous frame for the staged delta frame (a cache buffer) */
    int cache_after_finish;     /* copy the finished frame into the cache */
    uint64_t staged_container_id;
    uint32_t staged_index;
    frame_cache cache[2];  /* [0] = last decoded frame; [1] = spare for chain decoding */
    uint64_t decode_count;
};

struct pzp_cctx {
    struct ZSTD_CCtx_s *zstd;
    pzp_buf work;          /* internal bytes (delta, palette indices) */
    pzp_buf payload;       /* uncompressed payload */
    pzp_buf spill;         /* compressed output when dst is smaller than the zstd bound */
};

pzp_dctx *pzp__thread_dctx(void);
pzp_cctx *pzp__thread_cctx(void);
int pzp__resolve_dctx(pzp_dctx **dctx);
int pzp__resolve_cctx(pzp_cctx **cctx);

/* ---- frame codec (frame.c) ---- */
/* Decompresses a blob into dctx->payload, parses and validates it, verifies
 * the checksum when asked; on success dctx->staged describes it. */
int pzp__stage_blob(pzp_dctx *dctx, const uint8_t *blob, size_t blob_size);
/* Header-only description of a blob of blob_size bytes of which the first
 * avail are given (partial decompression). PZP_E_TRUNCATED if avail is too few. */
int pzp__blob_info(pzp_dctx *dctx, const uint8_t *blob, size_t avail, size_t blob_size, pzp_image_info *info);
/* Writes the staged frame's pixels to dst (host order); adds delta_base if given. */
int pzp__finish_staged(pzp_dctx *dctx, uint8_t *dst, size_t cap, const uint8_t *delta_base);
/* Validates encode parameters and computes payload and bound sizes. */
int pzp__check_params(const pzp_encode_params *p, uint64_t *pixels_bytes, uint64_t *frame_bound);

/* ---- SIMD level (cpu.c) ---- */
#if defined(__GNUC__) && defined(__x86_64__)
#define PZP_X86_SIMD 1
#else
#define PZP_X86_SIMD 0
#endif
enum { PZP_CPU_SCALAR = 0, PZP_CPU_SSE2 = 1, PZP_CPU_AVX2 = 2 };
/* The best kernel level this CPU runs (lowered by PZP_CPU_LEVEL). Thread-safe. */
int pzp__cpu_level(void);

/* ---- filters (filters.c) ---- */
/* LEFT undo of one group (channels of the stride bytes of each pixel). With
 * swap16 (only when channels == stride, even) the output is also turned from
 * big-endian 16-bit samples to host order in the same pass. */
void pzp__unleft_u8(uint8_t *dst, const uint8_t *src, size_t pixels, unsigned stride, unsigned channels, int swap16);
/* GRADIENT undo of a 16-bit image with one channel (the group is the whole
 * pixel): writes host-order samples straight to dst. */
void pzp__ungradient_u16_host(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height);
/* GRADIENT undo of a 16-bit image of 1 to PZP_MAX_GROUPS channels, one group
 * each in channel order (planes one channel after another): host order. */
void pzp__ungradient_u16_channels_host(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height,
                                       unsigned channels);
void pzp__left_u8(uint8_t *dst, const uint8_t *src, size_t pixels, unsigned stride, unsigned channels);
/* Maps palette indices back to values in place (block: the checked palette
 * block of FORMAT.md 4.3). Returns nonzero if an index is past its channel's list. */
int pzp__unpalette(uint8_t *data, size_t pixels, uint32_t channels, const uint8_t *block);
void pzp__ungradient_u16(uint8_t *dst, const uint8_t *planes, uint32_t width, uint32_t height, unsigned stride);
void pzp__gradient_u16(uint8_t *planes, const uint8_t *src, uint32_t width, uint32_t height, unsigned stride);
void pzp__swap16(uint8_t *dst, const uint8_t *src, size_t samples);
void pzp__add_bytes(uint8_t *dst, const uint8_t *src, size_t n);
void pzp__sub_bytes(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n);

/* ---- sources: a file or a memory buffer read by position (io.c) ---- */
typedef struct {
    const uint8_t *mem;    /* non-NULL: the data is in memory */
    int fd;
    uint64_t size;
} pzp_source;
/* Points *out at size bytes at offset: straight into memory, or read into buf. */
int pzp__source_read(const pzp_source *s, uint64_t offset, size_t size, pzp_buf *buf, const uint8_t **out);
int pzp__source_copy(const pzp_source *s, uint64_t offset, size_t size, uint8_t *dst);
int pzp__open_source_file(const char *path, pzp_source *s);
void pzp__close_source(pzp_source *s);

/* Atomic output file: a temporary in the target's folder renamed into place. */
typedef struct {
    int fd;
    char *path;            /* target */
    char *tmp_path;        /* named temporary, or NULL while unnamed (O_TMPFILE) */
    uint64_t written;
} pzp_outfile;
int pzp__outfile_open(pzp_outfile *f, const char *path);
int pzp__outfile_write(pzp_outfile *f, const void *data, size_t size);
int pzp__outfile_pwrite(pzp_outfile *f, const void *data, size_t size, uint64_t offset);
int pzp__outfile_commit(pzp_outfile *f, int sync);
void pzp__outfile_discard(pzp_outfile *f);

/* ---- container bits shared by the reader and the writer (container.c) ---- */
void pzp__write_container_header(uint8_t out[CONTAINER_HEADER_BYTES], uint32_t flags, uint32_t frames,
                                 uint32_t loop, uint32_t meta_off, uint32_t meta_len, uint32_t audio_off,
                                 uint32_t audio_len, uint32_t audio_format);
int pzp__is_audio_format(uint32_t tag);

#endif
