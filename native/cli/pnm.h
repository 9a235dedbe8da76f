/* pnm.h - binary PNM/PAM images for the pzp tool and the C tests.
 *
 * Reads P5 (gray), P6 (RGB) and P7 (PAM: WIDTH, HEIGHT, DEPTH, MAXVAL,
 * TUPLTYPE, ENDHDR); writes P5 for one channel, P6 for three and P7 otherwise.
 * A maxval of 1..255 means 8-bit samples, 256..65535 16-bit samples (stored
 * big-endian in the file). In memory (pnm_image.pixels) samples are interleaved,
 * row by row, and 16-bit samples are in HOST byte order, as libpzp wants them.
 * Sample values are kept as they are (not rescaled to the full range).
 *
 * Like libpzp this module never prints and never exits: every function returns
 * PNM_OK (0) or a PNM_E_* code and, if err is not NULL, a one-line detail in
 * err->message (without the file name; the caller adds it). Input is untrusted:
 * every size is checked in 64-bit arithmetic before anything is allocated, and a
 * file is checked to hold the pixel data it declares before the buffer is made.
 */
#ifndef PZP_PNM_H
#define PZP_PNM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PNM_OK = 0,
    PNM_E_NOT_PNM = 1,          /* no P5/P6/P7 magic */
    PNM_E_UNSUPPORTED = 2,      /* a PNM kind or feature this module does not handle (P1-P4, ASCII) */
    PNM_E_BAD_HEADER = 3,       /* malformed or inconsistent header */
    PNM_E_TRUNCATED = 4,        /* the data ends before the pixels the header declares */
    PNM_E_TOO_LARGE = 5,        /* over PNM_MAX_DATA_BYTES, PNM_MAX_HEADER_BYTES or size_t */
    PNM_E_NO_MEMORY = 6,
    PNM_E_IO = 7,               /* the operating system refused a file operation */
    PNM_E_INVALID_ARGUMENT = 8  /* a caller error (NULL, bad sizes, bpp not 8/16) */
};

#define PNM_MAX_DEPTH 255u                 /* samples per pixel */
#define PNM_MAX_DIMENSION 0x7FFFFFFFu      /* width and height */
#define PNM_MAX_DATA_BYTES (1ull << 32)    /* pixel data of one image: 4 GiB */
#define PNM_MAX_HEADER_BYTES (1u << 20)    /* header including comments: 1 MiB */

typedef struct pnm_error {
    char message[256];
} pnm_error;

typedef struct pnm_image {
    uint32_t width;
    uint32_t height;
    uint32_t channels;  /* 1..PNM_MAX_DEPTH (P5: 1, P6: 3, P7: DEPTH) */
    uint32_t bpp;       /* 8 or 16 bits per sample */
    uint32_t maxval;    /* as read (1..65535); ignored when writing (255 or 65535 is written) */
    char tupltype[32];  /* P7 TUPLTYPE as read (truncated), "" if none; ignored when writing */
    void *pixels;       /* width*height*channels samples, 16-bit ones in host order */
    size_t size;        /* bytes at pixels: width*height*channels*bpp/8 */
} pnm_image;

/*! pnm_strerror() : a short phrase for a PNM_E_* code; never NULL. */
const char *pnm_strerror(int code);

/*! pnm_data_size() : width*height*channels*bpp/8 with overflow and limit checks. */
int pnm_data_size(uint32_t width, uint32_t height, uint32_t channels, uint32_t bpp, uint64_t *size,
                  pnm_error *err);

/*! pnm_read_file() : reads the first image of a PNM/PAM file into *img
 * (img->pixels malloc'd; release with pnm_free()). Trailing bytes after the
 * image are ignored. On failure *img is zeroed. */
int pnm_read_file(const char *path, pnm_image *img, pnm_error *err);

/*! pnm_parse() : the same over a buffer held in memory (pixels are copied). */
int pnm_parse(const void *data, size_t size, pnm_image *img, pnm_error *err);

/*! pnm_write_file() : writes img as P5 (1 channel), P6 (3) or P7 (any other
 * count; TUPLTYPE GRAYSCALE_ALPHA for 2, RGB_ALPHA for 4) with maxval 255 or
 * 65535, atomically: the data goes to a temporary file in the same folder,
 * is flushed, then renamed over path. On failure path is untouched and the
 * temporary file is removed. img->maxval and img->tupltype are not used. */
int pnm_write_file(const char *path, const pnm_image *img, pnm_error *err);

/*! pnm_encode() : the file pnm_write_file() would write, in a malloc'd buffer
 * (*out, *out_size); release it with free(). */
int pnm_encode(const pnm_image *img, uint8_t **out, size_t *out_size, pnm_error *err);

/*! pnm_free() : frees img->pixels and zeroes *img; NULL is a no-op. */
void pnm_free(pnm_image *img);

#ifdef __cplusplus
}
#endif
#endif /* PZP_PNM_H */
