/* pnm.c - binary PNM/PAM reading and writing (see pnm.h). Never prints. */
#define _GNU_SOURCE
#include "pnm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const messages[] = {
    [PNM_OK] = "success",
    [PNM_E_NOT_PNM] = "not a PNM file",
    [PNM_E_UNSUPPORTED] = "unsupported PNM file",
    [PNM_E_BAD_HEADER] = "malformed PNM header",
    [PNM_E_TRUNCATED] = "truncated PNM file",
    [PNM_E_TOO_LARGE] = "PNM image too large",
    [PNM_E_NO_MEMORY] = "out of memory",
    [PNM_E_IO] = "input/output error",
    [PNM_E_INVALID_ARGUMENT] = "invalid argument",
};

const char *pnm_strerror(int code) {
    if (code < 0 || code >= (int)(sizeof messages / sizeof messages[0]) || messages[code] == NULL)
        return "unknown error code";
    return messages[code];
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(pnm_error *err, int code, const char *fmt, ...) {
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int io_fail(pnm_error *err, const char *what) {
    return fail(err, PNM_E_IO, "%s: %s", what, strerror(errno));
}

static void clear(pnm_error *err) {
    if (err != NULL) err->message[0] = '\0';
}

int pnm_data_size(uint32_t width, uint32_t height, uint32_t channels, uint32_t bpp, uint64_t *size,
                  pnm_error *err) {
    if (size == NULL) return fail(err, PNM_E_INVALID_ARGUMENT, "NULL size");
    *size = 0;
    if (bpp != 8 && bpp != 16) return fail(err, PNM_E_INVALID_ARGUMENT, "%u bits per sample (8 or 16)", bpp);
    if (width == 0 || height == 0) return fail(err, PNM_E_INVALID_ARGUMENT, "empty image (%ux%u)", width, height);
    if (channels == 0 || channels > PNM_MAX_DEPTH)
        return fail(err, PNM_E_INVALID_ARGUMENT, "%u channels (1..%u)", channels, PNM_MAX_DEPTH);
    if (width > PNM_MAX_DIMENSION || height > PNM_MAX_DIMENSION)
        return fail(err, PNM_E_TOO_LARGE, "%ux%u pixels", width, height);
    uint64_t pixels = (uint64_t)width * height; /* < 2^62 */
    uint64_t per_pixel = (uint64_t)channels * (bpp / 8);
    if (pixels > PNM_MAX_DATA_BYTES / per_pixel)
        return fail(err, PNM_E_TOO_LARGE, "%ux%ux%u samples of %u bits: over the %llu-byte limit", width, height,
                    channels, bpp, (unsigned long long)PNM_MAX_DATA_BYTES);
    uint64_t bytes = pixels * per_pixel;
    if (bytes > (uint64_t)SIZE_MAX)
        return fail(err, PNM_E_TOO_LARGE, "%llu bytes of pixels", (unsigned long long)bytes);
    *size = bytes;
    return PNM_OK;
}

/* ---- byte order ---- */

/* Big-endian 16-bit samples to host order, in place. */
static void from_big_endian(uint8_t *p, size_t bytes) {
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        uint16_t v = (uint16_t)(p[i] << 8 | p[i + 1]);
        memcpy(p + i, &v, 2);
    }
}

/* Host-order samples to file order (big-endian for 16-bit). */
static void to_file_order(uint8_t *dst, const uint8_t *src, size_t bytes, uint32_t bpp) {
    if (bpp == 8) {
        memcpy(dst, src, bytes);
        return;
    }
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        uint16_t v;
        memcpy(&v, src + i, 2);
        dst[i] = (uint8_t)(v >> 8);
        dst[i + 1] = (uint8_t)v;
    }
}

/* ---- reading ---- */

typedef struct {
    FILE *f;            /* file source, or NULL for memory */
    const uint8_t *mem; /* memory source */
    uint64_t size;      /* total bytes, if size_known */
    int size_known;
    uint64_t pos;       /* bytes consumed */
    pnm_error *err;
    int rc;             /* first error while reading the header */
} reader;

static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* The next header byte without consuming it; -1 at the end or after an error. */
static int peek(reader *r) {
    if (r->rc) return -1;
    if (r->pos >= PNM_MAX_HEADER_BYTES) {
        r->rc = fail(r->err, PNM_E_TOO_LARGE, "header longer than %u bytes", PNM_MAX_HEADER_BYTES);
        return -1;
    }
    if (r->f == NULL) return r->pos < r->size ? r->mem[r->pos] : -1;
    int c = getc(r->f);
    if (c == EOF) {
        if (ferror(r->f)) r->rc = io_fail(r->err, "cannot read");
        return -1;
    }
    ungetc(c, r->f);
    return c;
}

static int next(reader *r) {
    int c = peek(r);
    if (c < 0) return -1;
    if (r->f != NULL) getc(r->f);
    r->pos++;
    return c;
}

/* The error for a header that ended early (or the error that ended it). */
static int header_end(reader *r, const char *what) {
    if (r->rc) return r->rc;
    return r->rc = fail(r->err, PNM_E_TRUNCATED, "truncated: the header ends before the %s", what);
}

static const char *show_char(int c, char buf[8]) {
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", (unsigned)c & 0xFFu);
    return buf;
}

/* P5/P6: whitespace and '#' comments (to the end of the line) between tokens. */
static void skip_space(reader *r) {
    for (;;) {
        int c = peek(r);
        if (c == '#') {
            do c = next(r);
            while (c >= 0 && c != '\n' && c != '\r');
        } else if (c >= 0 && is_space(c)) {
            next(r);
        } else {
            return;
        }
    }
}

static int read_number(reader *r, const char *what, uint32_t *out) {
    char shown[8];
    skip_space(r);
    int c = peek(r);
    if (c < 0) return header_end(r, what);
    if (!is_digit(c))
        return r->rc = fail(r->err, PNM_E_BAD_HEADER, "expected the %s, found %s", what, show_char(c, shown));
    uint64_t v = 0;
    while ((c = peek(r)) >= 0 && is_digit(c)) {
        v = v * 10 + (uint64_t)(c - '0');
        if (v > 0xFFFFFFFFu) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "%s too large", what);
        next(r);
    }
    if (r->rc) return r->rc;
    if (c >= 0 && !is_space(c) && c != '#')
        return r->rc = fail(r->err, PNM_E_BAD_HEADER, "bad character %s after the %s", show_char(c, shown), what);
    *out = (uint32_t)v;
    return PNM_OK;
}

static int parse_pnm_header(reader *r, int kind, pnm_image *img) {
    uint32_t w, h, maxval;
    int rc = read_number(r, "width", &w);
    if (!rc) rc = read_number(r, "height", &h);
    if (!rc) rc = read_number(r, "maxval", &maxval);
    if (rc) return rc;
    /* Exactly one whitespace byte separates maxval from the pixels. */
    int c = next(r);
    if (c < 0) return header_end(r, "pixel data");
    if (!is_space(c)) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "a comment after the maxval");
    img->width = w;
    img->height = h;
    img->maxval = maxval;
    img->channels = kind == '5' ? 1 : 3;
    return PNM_OK;
}

/* A strict decimal number: digits only, < 2^32. */
static int parse_uint(const char *s, uint32_t *out) {
    if (*s == '\0') return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!is_digit((unsigned char)*s)) return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > 0xFFFFFFFFu) return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

/* P7: one "KEYWORD value" per line up to ENDHDR; '#' lines are comments. */
static int parse_pam_header(reader *r, pnm_image *img) {
    uint32_t values[4] = {0, 0, 0, 0};
    int seen[4] = {0, 0, 0, 0};
    static const char *const names[4] = {"WIDTH", "HEIGHT", "DEPTH", "MAXVAL"};
    size_t tlen = 0;
    img->tupltype[0] = '\0';
    for (;;) {
        char line[256];
        size_t n = 0;
        int c;
        /* leading blanks and empty lines */
        while ((c = peek(r)) >= 0 && is_space(c)) next(r);
        if (c < 0) return header_end(r, "ENDHDR line");
        if (c == '#') {
            while ((c = next(r)) >= 0 && c != '\n') {
            }
            if (c < 0) return header_end(r, "ENDHDR line");
            continue;
        }
        while ((c = next(r)) >= 0 && c != '\n') {
            if (n + 1 >= sizeof line) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "PAM header line too long");
            if (c == '\0') return r->rc = fail(r->err, PNM_E_BAD_HEADER, "NUL byte in the PAM header");
            line[n++] = (char)c;
        }
        if (r->rc) return r->rc;
        while (n > 0 && is_space((unsigned char)line[n - 1])) n--;
        line[n] = '\0';
        char *value = line;
        while (*value && !is_space((unsigned char)*value)) value++;
        if (*value) *value++ = '\0';
        while (*value && is_space((unsigned char)*value)) value++;
        if (strcmp(line, "ENDHDR") == 0) {
            if (*value) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "text after ENDHDR");
            if (c < 0) return header_end(r, "pixel data");
            break;
        }
        if (strcmp(line, "TUPLTYPE") == 0) {
            /* Several TUPLTYPE lines are joined with spaces (netpbm). */
            const size_t cap = sizeof img->tupltype;
            for (const char *s = tlen ? " " : ""; *s && tlen + 1 < cap; s++) img->tupltype[tlen++] = *s;
            for (const char *s = value; *s && tlen + 1 < cap; s++) img->tupltype[tlen++] = *s;
            img->tupltype[tlen] = '\0';
            continue;
        }
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(line, names[i]) == 0) k = i;
        if (k < 0) {
            if (strlen(line) > 32) line[32] = '\0';
            return r->rc = fail(r->err, PNM_E_BAD_HEADER, "unknown PAM header keyword '%s'", line);
        }
        if (seen[k]) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "%s given twice", names[k]);
        if (!parse_uint(value, &values[k]))
            return r->rc = fail(r->err, PNM_E_BAD_HEADER, "%s is not a number below 2^32", names[k]);
        seen[k] = 1;
    }
    for (int i = 0; i < 4; i++)
        if (!seen[i]) return r->rc = fail(r->err, PNM_E_BAD_HEADER, "PAM header without %s", names[i]);
    img->width = values[0];
    img->height = values[1];
    img->channels = values[2];
    img->maxval = values[3];
    if (img->channels == 0 || img->channels > PNM_MAX_DEPTH)
        return r->rc = fail(r->err, PNM_E_UNSUPPORTED, "DEPTH %u (1..%u)", img->channels, PNM_MAX_DEPTH);
    return PNM_OK;
}

/* The error for a file that gave fewer pixel bytes than declared. */
static int short_read(reader *r) {
    if (ferror(r->f)) return io_fail(r->err, "cannot read");
    return fail(r->err, PNM_E_TRUNCATED, "truncated: the file ends inside the pixel data");
}

/* Reads the whole image from r into *img. */
static int read_image(reader *r, pnm_image *img) {
    memset(img, 0, sizeof *img);
    int m0 = next(r), m1 = next(r);
    if (r->rc) return r->rc;
    if (m0 != 'P' || m1 < 0) return fail(r->err, PNM_E_NOT_PNM, "not a PNM file");
    if (m1 >= '1' && m1 <= '4')
        return fail(r->err, PNM_E_UNSUPPORTED, "P%c (ASCII or bitmap) PNM files are not supported; use P5, P6 or P7",
                    m1);
    if (m1 != '5' && m1 != '6' && m1 != '7') return fail(r->err, PNM_E_NOT_PNM, "not a PNM file");
    int c = peek(r);
    if (r->rc) return r->rc;
    if (c < 0) return fail(r->err, PNM_E_TRUNCATED, "truncated: the header ends after the magic");
    if (!is_space(c) && !(c == '#' && m1 != '7')) return fail(r->err, PNM_E_NOT_PNM, "not a PNM file");
    int rc = m1 == '7' ? parse_pam_header(r, img) : parse_pnm_header(r, m1, img);
    if (rc) return rc;
    if (img->width == 0 || img->height == 0)
        return fail(r->err, PNM_E_BAD_HEADER, "empty image (%ux%u)", img->width, img->height);
    if (img->maxval == 0 || img->maxval > 65535)
        return fail(r->err, PNM_E_BAD_HEADER, "maxval %u (1..65535)", img->maxval);
    img->bpp = img->maxval > 255 ? 16 : 8;
    uint64_t bytes;
    rc = pnm_data_size(img->width, img->height, img->channels, img->bpp, &bytes, r->err);
    if (rc) return rc == PNM_E_INVALID_ARGUMENT ? PNM_E_BAD_HEADER : rc;
    if (r->size_known && r->size - r->pos < bytes)
        return fail(r->err, PNM_E_TRUNCATED,
                    "truncated: a %ux%ux%u %u-bit image needs %llu bytes of pixels, the file holds %llu", img->width,
                    img->height, img->channels, img->bpp, (unsigned long long)bytes,
                    (unsigned long long)(r->size - r->pos));
    size_t need = (size_t)bytes;
    uint8_t *px = NULL;
    if (r->f == NULL || r->size_known) {
        px = malloc(need);
        if (px == NULL) return fail(r->err, PNM_E_NO_MEMORY, "out of memory for %zu bytes of pixels", need);
        if (r->f == NULL) {
            memcpy(px, r->mem + r->pos, need);
        } else if (fread(px, 1, need, r->f) != need) {
            rc = short_read(r);
        }
    } else {
        /* A pipe or device: grow the buffer as the data arrives. */
        size_t have = 0, cap = 0;
        while (!rc && have < need) {
            if (have == cap) {
                size_t ncap = cap ? (cap > need / 2 ? need : cap * 2) : (need < (1u << 20) ? need : (1u << 20));
                uint8_t *np = realloc(px, ncap);
                if (np == NULL) {
                    rc = fail(r->err, PNM_E_NO_MEMORY, "out of memory for %zu bytes of pixels", need);
                    break;
                }
                px = np;
                cap = ncap;
            }
            size_t got = fread(px + have, 1, cap - have, r->f);
            have += got;
            if (got == 0)
                rc = short_read(r);
        }
    }
    if (rc) {
        free(px);
        memset(img, 0, sizeof *img);
        return rc;
    }
    if (img->bpp == 16) from_big_endian(px, need);
    img->pixels = px;
    img->size = need;
    return PNM_OK;
}

int pnm_parse(const void *data, size_t size, pnm_image *img, pnm_error *err) {
    clear(err);
    if (img == NULL || (data == NULL && size)) return fail(err, PNM_E_INVALID_ARGUMENT, "NULL argument");
    reader r = {NULL, data, size, 1, 0, err, 0};
    int rc = read_image(&r, img);
    if (rc) memset(img, 0, sizeof *img);
    return rc;
}

int pnm_read_file(const char *path, pnm_image *img, pnm_error *err) {
    clear(err);
    if (img == NULL || path == NULL) return fail(err, PNM_E_INVALID_ARGUMENT, "NULL argument");
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rbe");
    if (f == NULL) return io_fail(err, "cannot open");
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int rc = io_fail(err, "cannot stat");
        fclose(f);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        return fail(err, PNM_E_IO, "is a directory");
    }
    reader r = {f, NULL, (uint64_t)st.st_size, S_ISREG(st.st_mode), 0, err, 0};
    int rc = read_image(&r, img);
    fclose(f);
    if (rc) memset(img, 0, sizeof *img);
    return rc;
}

void pnm_free(pnm_image *img) {
    if (img == NULL) return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* ---- writing ---- */

static int check_image(const pnm_image *img, pnm_error *err) {
    if (img == NULL || img->pixels == NULL) return fail(err, PNM_E_INVALID_ARGUMENT, "NULL image");
    uint64_t bytes;
    int rc = pnm_data_size(img->width, img->height, img->channels, img->bpp, &bytes, err);
    if (rc) return rc;
    if (img->size != bytes)
        return fail(err, PNM_E_INVALID_ARGUMENT, "%zu bytes of pixels for a %ux%ux%u %u-bit image (%llu expected)",
                    img->size, img->width, img->height, img->channels, img->bpp, (unsigned long long)bytes);
    return PNM_OK;
}

static int format_header(const pnm_image *img, char *buf, size_t cap) {
    unsigned maxval = img->bpp == 16 ? 65535u : 255u;
    if (img->channels == 1 || img->channels == 3)
        return snprintf(buf, cap, "P%c\n%u %u\n%u\n", img->channels == 1 ? '5' : '6', img->width, img->height, maxval);
    const char *tuple = img->channels == 2   ? "TUPLTYPE GRAYSCALE_ALPHA\n"
                        : img->channels == 4 ? "TUPLTYPE RGB_ALPHA\n"
                                             : "";
    return snprintf(buf, cap, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u\n%sENDHDR\n", img->width, img->height,
                    img->channels, maxval, tuple);
}

int pnm_encode(const pnm_image *img, uint8_t **out, size_t *out_size, pnm_error *err) {
    clear(err);
    if (out == NULL || out_size == NULL) return fail(err, PNM_E_INVALID_ARGUMENT, "NULL output");
    *out = NULL;
    *out_size = 0;
    int rc = check_image(img, err);
    if (rc) return rc;
    char head[160];
    size_t hlen = (size_t)format_header(img, head, sizeof head);
    if (img->size > SIZE_MAX - hlen) return fail(err, PNM_E_TOO_LARGE, "image too large for memory");
    uint8_t *buf = malloc(hlen + img->size);
    if (buf == NULL) return fail(err, PNM_E_NO_MEMORY, "out of memory");
    memcpy(buf, head, hlen);
    to_file_order(buf + hlen, img->pixels, img->size, img->bpp);
    *out = buf;
    *out_size = hlen + img->size;
    return PNM_OK;
}

/* The mode a new file gets: the existing target's, else 0666 minus the umask. */
static mode_t new_file_mode(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "re");
    if (f != NULL) {
        char line[128];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "Umask:", 6) == 0) mask = (mode_t)strtoul(line + 6, NULL, 8);
        fclose(f);
    }
    return 0666 & ~mask;
}

int pnm_write_file(const char *path, const pnm_image *img, pnm_error *err) {
    clear(err);
    if (path == NULL || path[0] == '\0') return fail(err, PNM_E_INVALID_ARGUMENT, "empty output path");
    int rc = check_image(img, err);
    if (rc) return rc;
    /* temporary: "<dir>/.<base>.XXXXXX" */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    if (*base == '\0') return fail(err, PNM_E_INVALID_ARGUMENT, "output path ends with '/'");
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (tmp == NULL) return fail(err, PNM_E_NO_MEMORY, "out of memory");
    snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dir_len, path, base);
    mode_t mode = new_file_mode(path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = io_fail(err, "cannot create a temporary file");
        free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        rc = io_fail(err, "cannot open the temporary file");
        close(fd);
        unlink(tmp);
        free(tmp);
        return rc;
    }
    (void)fchmod(fd, mode);
    char head[160];
    size_t hlen = (size_t)format_header(img, head, sizeof head);
    if (fwrite(head, 1, hlen, f) != hlen) rc = io_fail(err, "cannot write");
    if (!rc && img->bpp == 8) {
        if (fwrite(img->pixels, 1, img->size, f) != img->size) rc = io_fail(err, "cannot write");
    } else if (!rc) {
        uint8_t chunk[1 << 16];
        const uint8_t *src = img->pixels;
        for (size_t done = 0; !rc && done < img->size;) {
            size_t n = img->size - done < sizeof chunk ? img->size - done : sizeof chunk;
            to_file_order(chunk, src + done, n, 16);
            if (fwrite(chunk, 1, n, f) != n) rc = io_fail(err, "cannot write");
            done += n;
        }
    }
    if (!rc && fflush(f) != 0) rc = io_fail(err, "cannot write");
    if (!rc && fsync(fd) != 0 && errno != EINVAL && errno != EROFS) rc = io_fail(err, "cannot flush");
    if (fclose(f) != 0 && !rc) rc = io_fail(err, "cannot close");
    if (!rc && rename(tmp, path) != 0) rc = io_fail(err, "cannot rename the temporary file into place");
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}
