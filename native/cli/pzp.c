/* pzp.c - the `pzp` command-line tool: a thin layer over libpzp and pnm.c.
 * The only C code of the project that prints or exits. Every failure ends the
 * program with status 1 (2 for a usage error) and one line on stderr:
 *   pzp: <command>: <file>: <reason>
 */
#include "pnm.h"
#include "pzp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define EXIT_USAGE 2

static const char *command = NULL; /* the command being run, for messages */

static const char usage_text[] =
    "usage: pzp <command> [arguments]\n"
    "\n"
    "Images (binary PNM: P5 gray, P6 RGB, P7 PAM of any depth, e.g. gray+alpha or RGBA; maxval\n"
    "up to 255 = 8-bit, 256-65535 = 16-bit):\n"
    "  pzp compress in.pnm out.pzp [--lz4]           left-neighbour filter (configuration 3)\n"
    "  pzp compress-palette in.pnm out.pzp [--lz4]   filter + per-channel palette (7)\n"
    "  pzp pack in.pnm out.pzp [--lz4]               no filter (1)\n"
    "  pzp decompress in.pzp out.pnm [--no-verify]   frame 0 as P5, P6 or P7 (PAM)\n"
    "  pzp extract-frame in.pzp N out.pnm [--no-verify]  frame N (counting from 0)\n"
    "  pzp info in.pzp                               header, frame index, metadata, audio\n"
    "\n"
    "Containers:\n"
    "  pzp pack-frames out.pzp LOOP DELAY_MS [--delta] [--keyframe-interval N] [--lz4] f1.pnm f2.pnm ...\n"
    "      one frame per file (configuration 3, +8 with --delta, +16 with --lz4), DELAY_MS for\n"
    "      every frame, LOOP plays (0 = forever); --keyframe-interval N: with --delta, a key\n"
    "      frame at least every N frames (default 30; 0: only the first, as the reference)\n"
    "  pzp attach-meta in.pzp TEXT out.pzp           replace the metadata (\"\" removes it)\n"
    "  pzp attach-audio in.pzp FILE.EXT out.pzp      replace the audio; the tag comes from the\n"
    "      extension: wav/wave (WAVE), mp3/mpeg (MPEG), ogg/oga (OGGX), flac (FLAC)\n"
    "      attach-* copy the frames unchanged and keep the loop count, the delays and the\n"
    "      other blob; out.pzp may be in.pzp.\n"
    "\n"
    "  --lz4          LZ4 instead of Zstandard (faster, larger)\n"
    "  --allow-large  write frames over 100,000,000 bytes, which the reference reader refuses\n"
    "  --no-verify    (decompress, extract-frame) skip the frame checksum check\n"
    "  --             ends the options: later arguments starting with '-' are file names or text\n"
    "  pzp --help | help     this text\n"
    "  pzp --version         the library version\n"
    "\n"
    "Exit status: 0 on success, 1 on failure, 2 on a usage error; the reason is one line on stderr.\n";

/* ---- messages ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int report(int status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = ' '; /* one line, whatever the file names hold */
    fflush(stdout);
    if (command)
        fprintf(stderr, "pzp: %s: %s\n", command, msg);
    else
        fprintf(stderr, "pzp: %s\n", msg);
    return status;
}

#define usage_error(...) report(EXIT_USAGE, __VA_ARGS__)
#define failure(...) report(EXIT_FAILURE, __VA_ARGS__)

/* A libpzp failure: its detail, prefixed with the file name unless it names it already. */
static int lib_failure(int rc, const char *path) {
    const char *detail = pzp_last_error();
    if (detail == NULL || detail[0] == '\0') detail = pzp_strerror(rc);
    if (path != NULL && strstr(detail, path) == NULL) return failure("%s: %s", path, detail);
    return failure("%s", detail);
}

static int pnm_failure(const char *path, int rc, const pnm_error *err) {
    return failure("%s: %s", path, err->message[0] ? err->message : pnm_strerror(rc));
}

/* ---- arguments ---- */

enum { OPT_LZ4 = 1, OPT_DELTA = 2, OPT_KEYFRAME = 4, OPT_LARGE = 8, OPT_NO_VERIFY = 16 };

typedef struct {
    unsigned given;            /* OPT_* seen */
    uint32_t keyframe_interval;
    int count;                 /* positional arguments */
    char **pos;
} args;

/* Decimal digits only, < 2^32. */
static int parse_u32(const char *s, uint32_t *out) {
    if (s == NULL || *s == '\0') return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > 0xFFFFFFFFu) return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

/* Splits argv[first..] into options (any position; "--" ends them) and
 * positional arguments. Returns 0, or the exit status after a usage error. */
static int parse_args(int argc, char **argv, int first, unsigned allowed, args *a) {
    memset(a, 0, sizeof *a);
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (a->pos == NULL) return failure("out of memory");
    int options_done = 0;
    for (int i = first; i < argc; i++) {
        char *s = argv[i];
        if (options_done || s[0] != '-' || s[1] == '\0') {
            a->pos[a->count++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            options_done = 1;
            continue;
        }
        unsigned opt = 0;
        const char *value = NULL;
        if (strcmp(s, "--lz4") == 0) {
            opt = OPT_LZ4;
        } else if (strcmp(s, "--delta") == 0) {
            opt = OPT_DELTA;
        } else if (strcmp(s, "--allow-large") == 0) {
            opt = OPT_LARGE;
        } else if (strcmp(s, "--no-verify") == 0) {
            opt = OPT_NO_VERIFY;
        } else if (strcmp(s, "--keyframe-interval") == 0) {
            opt = OPT_KEYFRAME;
            if (i + 1 >= argc) return usage_error("--keyframe-interval needs a number");
            value = argv[++i];
        } else if (strncmp(s, "--keyframe-interval=", 20) == 0) {
            opt = OPT_KEYFRAME;
            value = s + 20;
        }
        if (opt == 0 || !(opt & allowed)) return usage_error("unknown option '%s' (try 'pzp --help')", s);
        if (opt == OPT_KEYFRAME && !parse_u32(value, &a->keyframe_interval))
            return usage_error("--keyframe-interval: '%s' is not a number from 0 to 4294967295", value);
        a->given |= opt;
    }
    return 0;
}

static int want_args(const args *a, int min, int max, const char *synopsis) {
    if (a->count < min || (max >= 0 && a->count > max))
        return usage_error("expected %s, got %d argument%s (try 'pzp --help')", synopsis, a->count,
                           a->count == 1 ? "" : "s");
    return 0;
}

/* ---- helpers ---- */

static pzp_encode_params params_for(const pnm_image *img, uint32_t configuration, const args *a) {
    pzp_encode_params p;
    memset(&p, 0, sizeof p);
    p.width = img->width;
    p.height = img->height;
    p.bpp = img->bpp;
    p.channels = img->channels;
    p.configuration = configuration | PZP_USE_COMPRESSION | ((a->given & OPT_LZ4) ? PZP_USE_LZ4 : 0);
    p.options = (a->given & OPT_LARGE) ? PZP_ENCODE_ALLOW_LARGE : 0;
    return p;
}

/* Decodes the frame staged by a *_begin() call and writes it as PNM/PAM. */
static int finish_to_pnm(const pzp_image_info *info, const char *in, const char *out) {
    if (info->decoded_bytes > (uint64_t)SIZE_MAX) return failure("%s: image too large for memory", in);
    size_t n = (size_t)info->decoded_bytes;
    void *pixels = malloc(n ? n : 1);
    if (pixels == NULL) return failure("%s: out of memory for %zu bytes of pixels", in, n);
    int rc = pzp_decode_finish(NULL, pixels, n);
    if (rc) {
        int status = lib_failure(rc, in);
        free(pixels);
        return status;
    }
    pnm_image img;
    memset(&img, 0, sizeof img);
    img.width = info->width;
    img.height = info->height;
    img.channels = info->channels;
    img.bpp = info->bpp;
    img.pixels = pixels;
    img.size = n;
    pnm_error err;
    rc = pnm_write_file(out, &img, &err);
    free(pixels);
    if (rc) return pnm_failure(out, rc, &err);
    return EXIT_SUCCESS;
}

static const char *flag_names(uint32_t cfg, char *buf, size_t cap) {
    static const char *const names[] = {"COMPRESSION", "RLE", "PALETTE", "INTER_DELTA", "LZ4"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 5; i++)
        if (cfg & (1u << i)) len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "|" : "", names[i]);
    if ((cfg & ~0x1Fu) && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "%s0x%X", len ? "|" : "", cfg & ~0x1Fu);
    if (len == 0) snprintf(buf, cap, "none");
    return buf;
}

static const char *tag_name(uint32_t tag, char buf[16]) {
    char c[4] = {(char)(tag >> 24), (char)(tag >> 16), (char)(tag >> 8), (char)tag};
    for (int i = 0; i < 4; i++)
        if (c[i] < 0x20 || c[i] > 0x7E) {
            snprintf(buf, 16, "0x%08X", tag);
            return buf;
        }
    snprintf(buf, 16, "%.4s", c);
    return buf;
}

/* Length of the UTF-8 sequence at p (n bytes available) if it is a printable
 * character (tab and newlines allowed; other controls, C1 and invalid
 * sequences are not), else 0. */
static size_t printable_char(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    if (c < 0x80) return (c >= 0x20 && c != 0x7F) || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0)) return 0;
    return len;
}

static int is_printable_utf8(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t len = printable_char(p + i, n - i);
        if (len == 0) return 0;
        i += len;
    }
    return 1;
}

/* Prints text quoted on one line, escaping newlines, tabs, quotes and
 * backslashes, cut after about limit bytes on a character boundary. */
static void print_quoted(const unsigned char *p, size_t n, size_t limit) {
    putchar('"');
    size_t i = 0;
    while (i < n && i < limit) {
        size_t len = printable_char(p + i, n - i);
        unsigned char c = p[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else fwrite(p + i, 1, len, stdout);
        i += len;
    }
    putchar('"');
    if (i < n) printf(" ... (%zu more bytes)", n - i);
}

/* Reads a whole file, at most max bytes. */
static int read_whole_file(const char *path, uint64_t max, unsigned char **data, size_t *size) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rbe");
    if (f == NULL) return failure("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return failure("%s: not a regular file", path);
    }
    uint64_t n = (uint64_t)st.st_size;
    if (n > max || n > (uint64_t)SIZE_MAX) {
        fclose(f);
        return failure("%s: %llu bytes, over the %llu-byte limit", path, (unsigned long long)n,
                       (unsigned long long)max);
    }
    unsigned char *buf = malloc(n ? (size_t)n : 1);
    if (buf == NULL) {
        fclose(f);
        return failure("%s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    int bad = got != (size_t)n || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return failure("%s: cannot read the whole file", path);
    }
    *data = buf;
    *size = (size_t)n;
    return EXIT_SUCCESS;
}

/* ---- commands ---- */

static int cmd_compress(args *a, uint32_t configuration) {
    int status = want_args(a, 2, 2, "in.pnm out.pzp");
    if (status) return status;
    const char *in = a->pos[0], *out = a->pos[1];
    pnm_image img;
    pnm_error err;
    int rc = pnm_read_file(in, &img, &err);
    if (rc) return pnm_failure(in, rc, &err);
    pzp_encode_params p = params_for(&img, configuration, a);
    rc = pzp_write_file(NULL, &p, img.pixels, img.size, out);
    status = rc ? lib_failure(rc, out) : EXIT_SUCCESS;
    pnm_free(&img);
    return status;
}

static int cmd_decompress(args *a) {
    int status = want_args(a, 2, 2, "in.pzp out.pnm");
    if (status) return status;
    const char *in = a->pos[0], *out = a->pos[1];
    pzp_image_info info;
    int rc = pzp_decode_file_begin(NULL, in, &info);
    if (rc) return lib_failure(rc, in);
    return finish_to_pnm(&info, in, out);
}

static int cmd_extract_frame(args *a) {
    int status = want_args(a, 3, 3, "in.pzp N out.pnm");
    if (status) return status;
    const char *in = a->pos[0], *out = a->pos[2];
    uint32_t index;
    if (!parse_u32(a->pos[1], &index)) return usage_error("'%s' is not a frame number", a->pos[1]);
    pzp_container *c;
    int rc = pzp_container_open(in, &c);
    if (rc) return lib_failure(rc, in);
    pzp_image_info info;
    rc = pzp_container_decode_frame_begin(NULL, c, index, &info);
    status = rc ? lib_failure(rc, in) : finish_to_pnm(&info, in, out);
    pzp_container_close(c);
    return status;
}

static int cmd_info(args *a) {
    int status = want_args(a, 1, 1, "in.pzp");
    if (status) return status;
    const char *in = a->pos[0];
    pzp_container *c;
    int rc = pzp_container_open(in, &c);
    if (rc) return lib_failure(rc, in);
    pzp_container_info ci;
    pzp_container_get_info(c, &ci);
    pzp_frame_entry *entries = malloc((size_t)ci.frame_count * sizeof *entries);
    if (entries == NULL) {
        pzp_container_close(c);
        return failure("%s: out of memory for the frame index", in);
    }
    pzp_container_get_entries(c, 0, ci.frame_count, entries);

    char first_error[600] = "";
    printf("file: %s (%llu bytes)\n", in, (unsigned long long)ci.file_bytes);
    printf("layout: %s\n", ci.is_bare_frame ? "legacy bare frame (read as a 1-frame container)" : "container");
    printf("frames: %u\n", ci.frame_count);
    if (ci.loop_count == 0)
        printf("loop count: 0 (forever)\n");
    else
        printf("loop count: %u\n", ci.loop_count);
    for (uint32_t i = 0; i < ci.frame_count; i++) {
        const pzp_frame_entry *e = &entries[i];
        printf("frame %u: offset %llu, size %llu, delay %u ms", i, (unsigned long long)e->offset,
               (unsigned long long)e->size, e->delay_ms);
        pzp_image_info fi;
        rc = pzp_container_frame_info(NULL, c, i, &fi);
        if (rc) {
            const char *detail = pzp_last_error()[0] ? pzp_last_error() : pzp_strerror(rc);
            printf(", error: %s\n", detail);
            if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", detail);
            continue;
        }
        char flags[96];
        printf(", %ux%ux%u, %u bpp, flags %s (%u), %s, %s, %s\n", fi.width, fi.height, fi.channels, fi.bpp,
               flag_names(fi.configuration, flags, sizeof flags), fi.configuration,
               fi.codec == PZP_CODEC_LZ4 ? "lz4" : "zstd", fi.frame_version ? "PZP1" : "PZP0",
               fi.is_delta ? "delta" : "key");
    }
    free(entries);

    if (ci.metadata_bytes == 0) {
        printf("metadata: none\n");
    } else {
        printf("metadata: %llu bytes", (unsigned long long)ci.metadata_bytes);
        unsigned char *meta = ci.metadata_bytes <= SIZE_MAX ? malloc((size_t)ci.metadata_bytes) : NULL;
        rc = meta ? pzp_container_read_metadata(c, meta, (size_t)ci.metadata_bytes) : PZP_E_NO_MEMORY;
        if (rc) {
            const char *detail = meta && pzp_last_error()[0] ? pzp_last_error() : pzp_strerror(rc);
            printf(", error: %s\n", detail);
            if (!first_error[0]) snprintf(first_error, sizeof first_error, "metadata: %s", detail);
        } else if (is_printable_utf8(meta, (size_t)ci.metadata_bytes)) {
            printf(": ");
            print_quoted(meta, (size_t)ci.metadata_bytes, 200);
            printf("\n");
        } else {
            printf(" (binary)\n");
        }
        free(meta);
    }
    if (ci.audio_bytes == 0) {
        printf("audio: none\n");
    } else {
        char tag[16];
        printf("audio: %llu bytes, format %s\n", (unsigned long long)ci.audio_bytes, tag_name(ci.audio_format, tag));
    }
    pzp_container_close(c);
    if (first_error[0]) {
        if (strstr(first_error, in) == NULL) return failure("%s: %s", in, first_error);
        return failure("%s", first_error);
    }
    return EXIT_SUCCESS;
}

static int cmd_pack_frames(args *a) {
    int status = want_args(a, 4, -1, "out.pzp LOOP DELAY_MS f1.pnm ...");
    if (status) return status;
    const char *out = a->pos[0];
    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    uint32_t delay;
    if (!parse_u32(a->pos[1], &o.loop_count)) return usage_error("loop count '%s' is not a number", a->pos[1]);
    if (!parse_u32(a->pos[2], &delay)) return usage_error("delay '%s' is not a number of milliseconds", a->pos[2]);
    if ((a->given & OPT_KEYFRAME) && !(a->given & OPT_DELTA)) return usage_error("--keyframe-interval needs --delta");
    /* Bounded random access by default; --keyframe-interval 0 writes as the reference (Q15). */
    o.keyframe_interval = (a->given & OPT_KEYFRAME) ? a->keyframe_interval : PZP_DEFAULT_KEYFRAME_INTERVAL;
    o.expected_frames = (uint32_t)(a->count - 3);
    pzp_writer *w;
    int rc = pzp_writer_open(out, &o, &w);
    if (rc) return lib_failure(rc, out);
    uint32_t configuration = PZP_USE_RLE | ((a->given & OPT_DELTA) ? PZP_USE_INTER_DELTA : 0);
    for (int i = 3; i < a->count; i++) {
        const char *in = a->pos[i];
        pnm_image img;
        pnm_error err;
        rc = pnm_read_file(in, &img, &err);
        if (rc) {
            status = pnm_failure(in, rc, &err);
            pzp_writer_abort(w);
            return status;
        }
        pzp_encode_params p = params_for(&img, configuration, a);
        rc = pzp_writer_add_frame(w, &p, img.pixels, img.size, delay);
        pnm_free(&img);
        if (rc) {
            status = lib_failure(rc, in);
            pzp_writer_abort(w);
            return status;
        }
    }
    rc = pzp_writer_close(w);
    return rc ? lib_failure(rc, out) : EXIT_SUCCESS;
}

static int audio_tag_for(const char *path, uint32_t *tag) {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot[1] == '\0')
        return usage_error("%s: no file extension to tell the audio format (wav, mp3, ogg or flac)", path);
    static const struct {
        const char *ext;
        uint32_t tag;
    } known[] = {{"wav", PZP_AUDIO_WAVE}, {"wave", PZP_AUDIO_WAVE}, {"mp3", PZP_AUDIO_MPEG}, {"mpeg", PZP_AUDIO_MPEG},
                 {"ogg", PZP_AUDIO_OGG},  {"oga", PZP_AUDIO_OGG},   {"flac", PZP_AUDIO_FLAC}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcasecmp(dot + 1, known[i].ext) == 0) {
            *tag = known[i].tag;
            return 0;
        }
    return usage_error("%s: unknown audio extension '%s' (wav, wave, mp3, mpeg, ogg, oga or flac)", path, dot);
}

/* attach-meta / attach-audio: re-wraps in into out with the frame blobs copied
 * unchanged, the loop count and delays kept, one blob replaced and the other kept. */
static int cmd_attach(args *a, int audio) {
    int status = want_args(a, 3, 3, audio ? "in.pzp FILE.EXT out.pzp" : "in.pzp TEXT out.pzp");
    if (status) return status;
    const char *in = a->pos[0], *what = a->pos[1], *out = a->pos[2];

    unsigned char *audio_data = NULL, *meta_data = NULL, *blob = NULL;
    size_t audio_size = 0, meta_size = 0, blob_cap = 0;
    uint32_t audio_tag = 0;
    pzp_frame_entry *entries = NULL;
    pzp_container *c = NULL;
    pzp_writer *w = NULL;

    if (audio) {
        status = audio_tag_for(what, &audio_tag);
        if (status) return status;
        pzp_limits lim;
        pzp_get_limits(&lim);
        uint64_t max = lim.max_audio_bytes ? lim.max_audio_bytes : 0xFFFFFFFFull;
        status = read_whole_file(what, max, &audio_data, &audio_size);
        if (status) return status;
        if (audio_size == 0) {
            free(audio_data);
            return failure("%s: empty audio file", what);
        }
    } else {
        meta_data = (unsigned char *)what;
        meta_size = strlen(what);
    }

    int rc = pzp_container_open(in, &c);
    if (rc) {
        status = lib_failure(rc, in);
        goto done;
    }
    pzp_container_info ci;
    pzp_container_get_info(c, &ci);
    /* The blob that is not being replaced is kept. */
    if (audio && ci.metadata_bytes) {
        meta_size = (size_t)ci.metadata_bytes;
        meta_data = malloc(meta_size);
        rc = meta_data ? pzp_container_read_metadata(c, meta_data, meta_size) : PZP_E_NO_MEMORY;
    } else if (!audio && ci.audio_bytes) {
        audio_size = (size_t)ci.audio_bytes;
        audio_tag = ci.audio_format;
        audio_data = malloc(audio_size);
        rc = audio_data ? pzp_container_read_audio(c, audio_data, audio_size) : PZP_E_NO_MEMORY;
    }
    if (rc) {
        status = lib_failure(rc, in);
        goto done;
    }
    entries = malloc((size_t)ci.frame_count * sizeof *entries);
    if (entries == NULL) {
        status = failure("%s: out of memory for the frame index", in);
        goto done;
    }
    pzp_container_get_entries(c, 0, ci.frame_count, entries);

    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    o.loop_count = ci.loop_count;
    o.expected_frames = ci.frame_count;
    rc = pzp_writer_open(out, &o, &w);
    if (rc) {
        status = lib_failure(rc, out);
        goto done;
    }
    for (uint32_t i = 0; i < ci.frame_count; i++) {
        size_t n = (size_t)entries[i].size;
        if (n > blob_cap) {
            unsigned char *nb = realloc(blob, n);
            if (nb == NULL) {
                status = failure("%s: out of memory for frame %u", in, i);
                goto done;
            }
            blob = nb;
            blob_cap = n;
        }
        rc = pzp_container_read_blob(c, i, blob, n);
        if (rc) {
            status = lib_failure(rc, in);
            goto done;
        }
        rc = pzp_writer_add_blob(w, blob, n, entries[i].delay_ms);
        if (rc) {
            status = lib_failure(rc, in);
            goto done;
        }
    }
    rc = pzp_writer_set_metadata(w, meta_data, meta_size);
    if (!rc) rc = pzp_writer_set_audio(w, audio_data, audio_size, audio_size ? audio_tag : 0);
    if (rc) {
        status = lib_failure(rc, audio ? what : in);
        goto done;
    }
    /* Everything is read: the container may be replaced now. */
    pzp_container_close(c);
    c = NULL;
    rc = pzp_writer_close(w);
    w = NULL;
    status = rc ? lib_failure(rc, out) : EXIT_SUCCESS;

done:
    pzp_writer_abort(w);
    pzp_container_close(c);
    free(entries);
    free(blob);
    free(audio_data);
    if (audio) free(meta_data);
    return status;
}

/* ---- main ---- */

static int run(int argc, char **argv) {
    if (argc < 2) return usage_error("no command (try 'pzp --help')");
    const char *cmd = argv[1];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || (i == 1 && strcmp(cmd, "help") == 0)) {
            fputs(usage_text, stdout);
            return EXIT_SUCCESS;
        }
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("pzp %s (libpzp %s)\n", PZP_VERSION_STRING, pzp_version_string());
        return EXIT_SUCCESS;
    }
    static const struct {
        const char *name;
        unsigned options;
    } commands[] = {
        {"compress", OPT_LZ4 | OPT_LARGE},
        {"compress-palette", OPT_LZ4 | OPT_LARGE},
        {"pack", OPT_LZ4 | OPT_LARGE},
        {"decompress", OPT_NO_VERIFY},
        {"extract-frame", OPT_NO_VERIFY},
        {"info", 0},
        {"pack-frames", OPT_LZ4 | OPT_DELTA | OPT_KEYFRAME | OPT_LARGE},
        {"attach-meta", 0},
        {"attach-audio", 0},
    };
    int k = -1;
    for (int i = 0; i < (int)(sizeof commands / sizeof commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0) k = i;
    if (k < 0) return usage_error("unknown command '%s' (try 'pzp --help')", cmd);
    command = commands[k].name;
    args a;
    int status = parse_args(argc, argv, 2, commands[k].options, &a);
    if (status) {
        free(a.pos);
        return status;
    }
    /* The tool checks frame checksums unless told not to (the library's default is not to). */
    if (!(a.given & OPT_NO_VERIFY)) pzp_dctx_set_options(NULL, PZP_DECODE_VERIFY_CHECKSUM);
    switch (k) {
    case 0: status = cmd_compress(&a, PZP_USE_RLE); break;
    case 1: status = cmd_compress(&a, PZP_USE_RLE | PZP_USE_PALETTE); break;
    case 2: status = cmd_compress(&a, 0); break;
    case 3: status = cmd_decompress(&a); break;
    case 4: status = cmd_extract_frame(&a); break;
    case 5: status = cmd_info(&a); break;
    case 6: status = cmd_pack_frames(&a); break;
    case 7: status = cmd_attach(&a, 0); break;
    default: status = cmd_attach(&a, 1); break;
    }
    free(a.pos);
    return status;
}

int main(int argc, char **argv) {
    int status = run(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (status == EXIT_SUCCESS) status = failure("cannot write to standard output: %s", strerror(errno));
    }
    pzp_thread_cleanup();
    return status;
}
