/* pzp.h - libpzp, the PZP ("Portable Zipped PNM") lossless image codec.
 *
 * PZP stores 8- or 16-bit images of any channel count: a small header, the
 * samples through an optional left-neighbour or gradient predictor and an
 * optional per-channel palette, compressed with Zstandard or LZ4. A container
 * holds many frames with per-frame delays, a loop count, optional inter-frame
 * delta, an audio blob and a metadata blob. Files are byte-compatible with the
 * reference implementation (AmmarkoV/PZP v0.03); docs/format.md is the spec.
 *
 * Synopsis
 *
 *   Decode an image (frame 0 of a container, or a legacy bare frame):
 *     pzp_image_info info;
 *     if (pzp_decode_file_begin(NULL, "x.pzp", &info) != PZP_OK) ...;
 *     void *pixels = malloc(info.decoded_bytes);
 *     pzp_decode_finish(NULL, pixels, info.decoded_bytes);
 *   Samples are interleaved, row by row; 16-bit samples are in host byte order.
 *
 *   Encode an image to a file (atomically) or to memory:
 *     pzp_encode_params p = {0};
 *     p.width = w; p.height = h; p.bpp = 8; p.channels = 3;
 *     p.configuration = PZP_USE_COMPRESSION | PZP_USE_RLE;
 *     pzp_write_file(NULL, &p, pixels, size, "x.pzp");
 *
 *   Containers: pzp_container_open() parses the header and index once; frames
 *   are then decoded by index (pzp_container_decode_frame()), from any number
 *   of threads. pzp_writer_*() streams frames into a new container.
 *
 * Conventions
 *   - Every function returning int returns PZP_OK (0) or a PZP_E_* code;
 *     pzp_strerror() names the code and pzp_last_error() gives the detail of
 *     the last failure on the calling thread.
 *   - Buffers belong to the caller: query the size, then decode into caller
 *     memory. The library never prints and never exits.
 *   - A context argument (pzp_dctx / pzp_cctx) may be NULL: the calling
 *     thread's own context is then used, created on first use and freed by
 *     pzp_thread_cleanup() or at thread exit. One context per thread.
 *   - Input is untrusted: every size is checked in 64-bit arithmetic and
 *     against the limits (pzp_set_limits()) before anything is allocated.
 */
#ifndef PZP_H
#define PZP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PZP_BUILDING_LIBRARY) && defined(__GNUC__)
#define PZP_API __attribute__((visibility("default")))
#else
#define PZP_API
#endif

#define PZP_VERSION_MAJOR 1
#define PZP_VERSION_MINOR 0
#define PZP_VERSION_PATCH 0
#define PZP_VERSION_NUMBER (PZP_VERSION_MAJOR * 10000 + PZP_VERSION_MINOR * 100 + PZP_VERSION_PATCH)
#define PZP_VERSION_STRING "1.0.0"

/*! pzp_version_number() : PZP_VERSION_NUMBER of the library actually loaded. */
PZP_API unsigned pzp_version_number(void);
/*! pzp_version_string() : "MAJOR.MINOR.PATCH" of the library actually loaded. */
PZP_API const char *pzp_version_string(void);

/* ---- Errors ------------------------------------------------------------- */

/* Codes are pinned: new ones are only ever appended. */
enum {
    PZP_OK = 0,
    PZP_E_NOT_PZP = 1,          /* the data is not a PZP file at all */
    PZP_E_TRUNCATED = 2,        /* the data ends before the structure it declares */
    PZP_E_CORRUPT = 3,          /* inconsistent or damaged PZP data */
    PZP_E_CHECKSUM = 4,         /* a stored checksum does not match */
    PZP_E_UNSUPPORTED = 5,      /* a well-formed file using a feature or version this build does not read */
    PZP_E_INVALID_ARGUMENT = 6, /* a caller error (NULL pointer, bad flags, bad sizes) */
    PZP_E_TOO_LARGE = 7,        /* more than the format can hold (payload >= 2^31, container >= 2^32 bytes) */
    PZP_E_LIMIT = 8,            /* more than a configured limit allows (see pzp_limits) */
    PZP_E_NO_MEMORY = 9,        /* an allocation failed */
    PZP_E_IO = 10,              /* the operating system refused a file operation (errno in the detail) */
    PZP_E_BUFFER_TOO_SMALL = 11,/* the destination buffer is smaller than the result */
    PZP_E_OUT_OF_RANGE = 12,    /* a frame index past the end of the container */
    PZP_E_BAD_STATE = 13,       /* a call out of order (finish without begin, use after a failed write) */
    PZP_E_CODEC = 14            /* the zstd or LZ4 compressor failed */
};
#define PZP_ERROR_COUNT 15

/*! pzp_strerror() : a short phrase for an error code; never NULL (unknown codes included). */
PZP_API const char *pzp_strerror(int code);

/*! pzp_last_error() : the detail of the last error raised on the calling thread
 * (e.g. "frame 3: palette index out of range"), or "" after a success.
 * The text stays valid until the next libpzp call on this thread. */
PZP_API const char *pzp_last_error(void);

/*! pzp_last_os_error() : the errno of the last PZP_E_IO failure on the calling thread. */
PZP_API int pzp_last_os_error(void);

/* ---- Flags and constants ------------------------------------------------ */

#define PZP_USE_COMPRESSION 1u  /* informational: compression is always on */
#define PZP_USE_RLE 2u          /* left-neighbour delta filter (not run-length coding) */
#define PZP_USE_PALETTE 4u      /* per-channel palette indexing */
#define PZP_USE_INTER_DELTA 8u  /* inter-frame delta (containers) */
#define PZP_USE_LZ4 16u         /* LZ4 block codec instead of Zstandard */

#define PZP_CODEC_ZSTD 0u
#define PZP_CODEC_LZ4 1u

#define PZP_PREDICT_NONE 0u
#define PZP_PREDICT_LEFT 1u
#define PZP_PREDICT_GRADIENT 2u
#define PZP_MAX_GROUPS 8

/* Audio tags: four characters, the first in the most significant byte. */
#define PZP_AUDIO_WAVE 0x57415645u
#define PZP_AUDIO_MPEG 0x4D504547u
#define PZP_AUDIO_OGG 0x4F474758u
#define PZP_AUDIO_FLAC 0x464C4143u

/* The reference reader refuses payloads above this many bytes (FORMAT.md 3.3). */
#define PZP_REFERENCE_MAX_PAYLOAD 100000000u

/* ---- Limits ------------------------------------------------------------- */

/* Process-wide limits, checked before any allocation that depends on input.
 * Defaults (pzp_default_limits()):
 *   max_pixels          2^28  (268 Mpixel per frame)
 *   max_frames          2^24  (16.7 million frames per container)
 *   max_metadata_bytes  2^28  (256 MiB)
 *   max_audio_bytes     2^30  (1 GiB)
 *   max_alloc_bytes     2^30  (1 GiB: the largest single buffer one call may allocate)
 * A field of 0 means "no limit beyond what the format allows". */
typedef struct pzp_limits {
    uint64_t max_pixels;
    uint64_t max_frames;
    uint64_t max_metadata_bytes;
    uint64_t max_audio_bytes;
    uint64_t max_alloc_bytes;
} pzp_limits;

/*! pzp_default_limits() : fills *limits with the defaults above. */
PZP_API void pzp_default_limits(pzp_limits *limits);
/*! pzp_get_limits() : the limits in force. Thread-safe. */
PZP_API void pzp_get_limits(pzp_limits *limits);
/*! pzp_set_limits() : replaces the limits for every thread (NULL restores the defaults).
 * Takes effect for calls that start afterwards. */
PZP_API int pzp_set_limits(const pzp_limits *limits);

/* ---- Image description -------------------------------------------------- */

typedef struct pzp_image_info {
    uint32_t width;
    uint32_t height;
    uint32_t bpp;               /* bits per sample: 8 or 16 */
    uint32_t channels;          /* samples per pixel */
    uint32_t channels_internal; /* stored byte channels: channels * bpp / 8 */
    uint32_t configuration;     /* the flag word as stored (PZP_USE_*) */
    uint32_t codec;             /* PZP_CODEC_ZSTD or PZP_CODEC_LZ4 (from the blob prefix) */
    uint32_t frame_version;     /* 0 = legacy PZP0 frame, 1 = PZP1 frame */
    uint32_t group_count;       /* channel groups (PZP0 frames: the one implied group) */
    uint8_t groups[PZP_MAX_GROUPS][4]; /* channels, sample_bits, predictor, reserved */
    uint32_t palette_bytes;     /* size of the palette block, 0 without palette */
    uint32_t checksum;          /* the stored frame checksum */
    uint32_t is_delta;          /* 1 if the frame is stored as a difference to the previous one */
    uint32_t reserved;
    uint64_t payload_bytes;     /* decompressed payload size */
    uint64_t blob_bytes;        /* frame blob size, 4-byte prefix included */
    uint64_t decoded_bytes;     /* width * height * channels * bpp / 8: what a decode writes */
} pzp_image_info;

/* ---- Decoding ----------------------------------------------------------- */

typedef struct pzp_dctx pzp_dctx;

/*! pzp_dctx_create() : a decompression context (zstd context, scratch buffers,
 * the last decoded frame of a container for inter-frame delta). NULL if out of memory.
 * Use one context per thread. */
PZP_API pzp_dctx *pzp_dctx_create(void);
/*! pzp_dctx_free() : releases a context; NULL is a no-op. */
PZP_API void pzp_dctx_free(pzp_dctx *dctx);

#define PZP_DECODE_VERIFY_CHECKSUM 1u /* verify the frame checksum (the header checksum is always verified) */

/*! pzp_dctx_set_options() : PZP_DECODE_* bits for later decodes with this context
 * (NULL = the calling thread's context). Default 0: see docs/python-api.md
 * ("Checksums") for the measured cost of checksum verification. */
PZP_API int pzp_dctx_set_options(pzp_dctx *dctx, uint32_t options);

/*! pzp_info() : describes the image of a PZP file held in memory (frame 0 of a
 * container, or a bare frame) from its headers alone: no pixel is decoded. */
PZP_API int pzp_info(pzp_dctx *dctx, const void *src, size_t src_size, pzp_image_info *info);

/*! pzp_decode_begin() : decompresses and validates the image of a PZP file held
 * in memory and fills *info; pzp_decode_finish() then writes the pixels. The
 * staged form lets a caller allocate exactly info->decoded_bytes in between.
 * src need not outlive this call. */
PZP_API int pzp_decode_begin(pzp_dctx *dctx, const void *src, size_t src_size, pzp_image_info *info);

/*! pzp_decode_finish() : writes the pixels of the frame prepared by the last
 * *_begin() call on this context into dst (at least decoded_bytes). Each begin
 * allows one finish; PZP_E_BAD_STATE otherwise. */
PZP_API int pzp_decode_finish(pzp_dctx *dctx, void *dst, size_t dst_capacity);

/*! pzp_decode() : pzp_decode_begin() then pzp_decode_finish(). */
PZP_API int pzp_decode(pzp_dctx *dctx, const void *src, size_t src_size,
                       void *dst, size_t dst_capacity, pzp_image_info *info);

/*! pzp_info_file(), pzp_decode_file_begin() : as above for a file; only the
 * header, the index entry and the frame blob are read. */
PZP_API int pzp_info_file(pzp_dctx *dctx, const char *path, pzp_image_info *info);
PZP_API int pzp_decode_file_begin(pzp_dctx *dctx, const char *path, pzp_image_info *info);

/* ---- Encoding ----------------------------------------------------------- */

#define PZP_ENCODE_ALLOW_LARGE 1u /* allow payloads above PZP_REFERENCE_MAX_PAYLOAD,
                                     which the reference reader cannot read */

typedef struct pzp_encode_params {
    uint32_t width;
    uint32_t height;
    uint32_t bpp;               /* 8 or 16 */
    uint32_t channels;          /* >= 1; channels * bpp / 8 <= 255 */
    uint32_t configuration;     /* PZP_USE_* bits; PZP_USE_COMPRESSION is always added */
    int32_t level;              /* zstd level; 0 = 1, or 19 with a palette. Levels 16 and up look for
                                   matches of at least 4 bytes: within 1-5 % of their usual size,
                                   decoding ~30 % faster */
    uint32_t group_count;       /* 0 = the default group {all channels, 8, LEFT if USE_RLE else NONE} */
    uint8_t groups[PZP_MAX_GROUPS][4]; /* channels, sample_bits (8|16), predictor, 0 */
    uint32_t options;           /* PZP_ENCODE_* bits */
} pzp_encode_params;

typedef struct pzp_cctx pzp_cctx;

/*! pzp_cctx_create() / pzp_cctx_free() : a compression context; one per thread. */
PZP_API pzp_cctx *pzp_cctx_create(void);
PZP_API void pzp_cctx_free(pzp_cctx *cctx);

/*! pzp_encode_bound() : the largest single-image file pzp_encode() can write for
 * these parameters (*frame_bound: the largest frame blob). Validates params. */
PZP_API int pzp_encode_bound(const pzp_encode_params *params, uint64_t *file_bound, uint64_t *frame_bound);

/*! pzp_encode_frame() : compresses one frame into a frame blob (size prefix +
 * payload) in dst. pixels: height rows of width * channels samples, 16-bit
 * samples in host byte order, pixels_size = width*height*channels*bpp/8.
 * previous: the previous frame's pixels for an inter-frame delta frame (same
 * width, height, bpp and channels) or NULL; the delta is stored only if
 * configuration has PZP_USE_INTER_DELTA and previous is given (the stored flag
 * tells which, as in the reference). Deterministic: same input, same bytes. */
PZP_API int pzp_encode_frame(pzp_cctx *cctx, const pzp_encode_params *params,
                             const void *pixels, size_t pixels_size, const void *previous,
                             void *dst, size_t dst_capacity, size_t *written);

/*! pzp_encode() : a complete single-image PZP file in memory (a 1-frame
 * container, exactly as the reference writes one). */
PZP_API int pzp_encode(pzp_cctx *cctx, const pzp_encode_params *params,
                       const void *pixels, size_t pixels_size,
                       void *dst, size_t dst_capacity, size_t *written);

/*! pzp_write_file() : pzp_encode() to a file, atomically: the data goes to a
 * temporary file in the same folder, is flushed to disk, then renamed over path.
 * On failure path is untouched. */
PZP_API int pzp_write_file(pzp_cctx *cctx, const pzp_encode_params *params,
                           const void *pixels, size_t pixels_size, const char *path);

/* ---- Containers: reading ------------------------------------------------ */

typedef struct pzp_container pzp_container;

typedef struct pzp_container_info {
    uint32_t frame_count;
    uint32_t loop_count;        /* 0 = forever */
    uint32_t flags;             /* bit 0 metadata present, bit 1 audio present (as effective) */
    uint32_t audio_format;      /* PZP_AUDIO_* tag, 0 without audio */
    uint64_t metadata_bytes;    /* 0 = no metadata */
    uint64_t audio_bytes;       /* 0 = no audio */
    uint64_t file_bytes;
    uint32_t is_bare_frame;     /* 1 for a legacy bare frame (read as a 1-frame container) */
    uint32_t header_checksum;
} pzp_container_info;

typedef struct pzp_frame_entry {
    uint64_t offset;            /* absolute offset of the frame blob */
    uint64_t size;              /* blob size, 4-byte prefix included */
    uint32_t delay_ms;
    uint32_t valid;             /* 0 if the index entry points outside the file or into the header */
} pzp_frame_entry;

/*! pzp_container_open() : opens a PZP file (container or legacy bare frame),
 * reads and validates its header and whole index, and keeps the file open for
 * positional reads. The container is immutable afterwards: any number of
 * threads may read frames concurrently, each with its own pzp_dctx. */
PZP_API int pzp_container_open(const char *path, pzp_container **out);
/*! pzp_container_open_memory() : the same over a buffer that must outlive the container. */
PZP_API int pzp_container_open_memory(const void *data, size_t size, pzp_container **out);
/*! pzp_container_close() : NULL is a no-op. No other call may use c afterwards. */
PZP_API void pzp_container_close(pzp_container *c);

PZP_API int pzp_container_get_info(const pzp_container *c, pzp_container_info *info);
/*! pzp_container_get_entries() : count index entries starting at first. */
PZP_API int pzp_container_get_entries(const pzp_container *c, uint32_t first, uint32_t count,
                                      pzp_frame_entry *entries);

/*! pzp_container_frame_info() : frame index's description from its headers;
 * is_delta tells whether decoding it needs the previous frame. */
PZP_API int pzp_container_frame_info(pzp_dctx *dctx, pzp_container *c, uint32_t index,
                                     pzp_image_info *info);

/*! pzp_container_scan() : pzp_container_frame_info() for count frames from
 * first, into infos[0 .. count-1], in one call: header-only reads, no pixel
 * decoded (e.g. to learn at open whether every frame has the same shape).
 * Fails on the first frame whose header cannot be read, naming it. */
PZP_API int pzp_container_scan(pzp_dctx *dctx, pzp_container *c, uint32_t first, uint32_t count,
                               pzp_image_info *infos);

/*! pzp_container_decode_frame_begin() : prepares frame index for
 * pzp_decode_finish(). A delta frame needs the previous frame: the context keeps
 * the last frame it decoded, so reading frames in order costs one decode each,
 * and a random access decodes back to the nearest key frame only. */
PZP_API int pzp_container_decode_frame_begin(pzp_dctx *dctx, pzp_container *c, uint32_t index,
                                             pzp_image_info *info);
/*! pzp_container_decode_frame() : begin + finish. */
PZP_API int pzp_container_decode_frame(pzp_dctx *dctx, pzp_container *c, uint32_t index,
                                       void *dst, size_t dst_capacity, pzp_image_info *info);

/*! pzp_container_read_metadata(), pzp_container_read_audio() : copy the blob
 * (size from pzp_container_info) into dst. */
PZP_API int pzp_container_read_metadata(pzp_container *c, void *dst, size_t dst_capacity);
PZP_API int pzp_container_read_audio(pzp_container *c, void *dst, size_t dst_capacity);

/*! pzp_container_read_blob() : copies frame index's raw blob (for re-wrapping
 * without re-encoding; size from pzp_container_get_entries()). */
PZP_API int pzp_container_read_blob(pzp_container *c, uint32_t index, void *dst, size_t dst_capacity);

/*! pzp_dctx_decode_count() : frames this context has decoded (chain frames
 * included) since it was created; for tests and profiling. */
PZP_API uint64_t pzp_dctx_decode_count(const pzp_dctx *dctx);

/* ---- Containers: writing ------------------------------------------------ */

#define PZP_WRITER_NO_SYNC 1u   /* skip fsync before the rename (faster, not power-loss safe) */
/* The key-frame interval the CLI and the Python writer use: on the static-camera
   video of the corpus 5 % larger than delta alone, random access bounded at 30
   decodes (docs/python-api.md, "Key frames"). */
#define PZP_DEFAULT_KEYFRAME_INTERVAL 30u

typedef struct pzp_writer_options {
    uint32_t loop_count;        /* 0 = forever */
    uint32_t keyframe_interval; /* with inter-frame delta, a key frame at least every N frames; 0 = never */
    uint32_t expected_frames;   /* frames the caller will add, 0 if unknown: when right, the
                                   index is reserved up front and no data is copied on close */
    uint32_t flags;             /* PZP_WRITER_* */
} pzp_writer_options;

typedef struct pzp_writer pzp_writer;

/*! pzp_writer_open() : starts a container at path (options may be NULL). Frames
 * are streamed to a temporary file in the same folder; only one frame is held in
 * memory (the previous one, for inter-frame delta). Nothing appears at path
 * until pzp_writer_close() succeeds. Not thread-safe: one thread per writer. */
PZP_API int pzp_writer_open(const char *path, const pzp_writer_options *options, pzp_writer **out);

/*! pzp_writer_add_frame() : encodes and appends a frame (frames may differ in
 * size, depth, channels and flags). With PZP_USE_INTER_DELTA the frame is stored
 * as a delta to the previous frame when their layouts match and the key-frame
 * interval allows. A failed write puts the writer in a failed state (later calls
 * and pzp_writer_close() give PZP_E_BAD_STATE; nothing appears at path); a frame
 * refused before anything is written (invalid parameters, limits) leaves it usable. */
PZP_API int pzp_writer_add_frame(pzp_writer *w, const pzp_encode_params *params,
                                 const void *pixels, size_t pixels_size, uint32_t delay_ms);

/*! pzp_writer_add_blob() : appends an already encoded frame blob unchanged (from
 * pzp_encode_frame() or another container). The next pzp_writer_add_frame()
 * writes a key frame. */
PZP_API int pzp_writer_add_blob(pzp_writer *w, const void *blob, size_t blob_size, uint32_t delay_ms);

PZP_API int pzp_writer_set_metadata(pzp_writer *w, const void *data, size_t size);
/*! pzp_writer_set_audio() : format must be one of PZP_AUDIO_*; size 0 removes the audio. */
PZP_API int pzp_writer_set_audio(pzp_writer *w, const void *data, size_t size, uint32_t format);

/*! pzp_writer_frame_count() : frames added so far. */
PZP_API uint32_t pzp_writer_frame_count(const pzp_writer *w);

/*! pzp_writer_close() : writes header and index, syncs and renames the file into
 * place, then frees w (also on failure, after removing the temporary file).
 * A container needs at least one frame. */
PZP_API int pzp_writer_close(pzp_writer *w);
/*! pzp_writer_abort() : discards everything written and frees w; NULL is a no-op. */
PZP_API void pzp_writer_abort(pzp_writer *w);

/* ---- Utilities ---------------------------------------------------------- */

/*! pzp_checksum() : the format's 32-bit checksum (FORMAT.md section 8). */
PZP_API uint32_t pzp_checksum(const void *data, size_t size);

/*! pzp_thread_init() : creates the calling thread's contexts now (optional;
 * idempotent). pzp_thread_cleanup() frees them (also idempotent); they are
 * recreated on next use and freed at thread exit in any case. */
PZP_API int pzp_thread_init(void);
PZP_API void pzp_thread_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif /* PZP_H */
