/* test_pzp.c - self-contained test runner for libpzp (no framework).
 *
 * Usage: pzp_test [conformance-folder]
 *   default folder: tests/data/conformance (relative to the cwd), falling back
 *   to /work/shared/conformance.
 * Environment:
 *   PZP_TEST_QUICK=1      shorter sweeps, no multi-megapixel cases (valgrind)
 *   PZP_TEST_ONLY=<name>  run one section (checksum, strerror, golden,
 *                         roundtrip, writer, errors, damaged, threads)
 * Exit status: 0 if every check passed, 1 otherwise.
 */
#define _GNU_SOURCE
#include "pzp.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Check machinery ----------------------------------------------------- */

static unsigned long g_checks, g_failures;
static const char *g_section = "";
static int g_quick;
static char g_confdir[4096];
static char g_tmpdir[4096];
static pthread_mutex_t g_check_lock = PTHREAD_MUTEX_INITIALIZER;

static void check_failed(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&g_check_lock);
    g_failures++;
    fprintf(stderr, "FAIL [%s] %s:%d: ", g_section, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&g_check_lock);
}

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        __atomic_fetch_add(&g_checks, 1, __ATOMIC_RELAXED);                      \
        if (!(cond)) check_failed(__FILE__, __LINE__, __VA_ARGS__);              \
    } while (0)

/* CHECK_RC(expr, expected, what...): expr returned the expected PZP code. */
#define CHECK_RC(expr, expected, ...)                                            \
    do {                                                                         \
        int rc_ = (expr);                                                        \
        __atomic_fetch_add(&g_checks, 1, __ATOMIC_RELAXED);                      \
        if (rc_ != (expected)) {                                                 \
            char what_[1024];                                                     \
            snprintf(what_, sizeof what_, __VA_ARGS__);                          \
            check_failed(__FILE__, __LINE__, "%s: %s -> %d (%s: %s), expected %d (%s)", \
                         what_, #expr, rc_, pzp_strerror(rc_), pzp_last_error(),  \
                         (int)(expected), pzp_strerror(expected));               \
        }                                                                        \
    } while (0)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static void *xcalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Deterministic PRNG (xorshift64*). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- Files, .npy, conformance folder -------------------------------------- */

static uint8_t *read_whole_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    *size = n;
    return buf;
}

static int write_whole_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, size, f);
    int rc = fclose(f);
    return (w == size && rc == 0) ? 0 : -1;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

typedef struct npy {
    uint8_t *data;      /* samples in host byte order */
    size_t bytes;
    uint32_t itemsize;  /* 1 or 2 */
    uint32_t ndim;
    uint64_t shape[3];
} npy;

static void npy_free(npy *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* A minimal .npy reader: versions 1-3, dtypes '|u1', '<u1', '<u2', C order, 2 or 3 dims. */
static int npy_load(const char *path, npy *a)
{
    memset(a, 0, sizeof *a);
    size_t size = 0;
    uint8_t *buf = read_whole_file(path, &size);
    if (!buf) return -1;
    size_t hlen, hstart;
    if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) goto bad;
    if (buf[6] == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (buf[6] == 2 || buf[6] == 3) {
        if (size < 12) goto bad;
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        goto bad;
    }
    if (hstart + hlen > size) goto bad;
    char hdr[1024];
    if (hlen >= sizeof hdr) goto bad;
    memcpy(hdr, buf + hstart, hlen);
    hdr[hlen] = '\0';
    if (strstr(hdr, "'fortran_order': True")) goto bad;
    if (strstr(hdr, "'descr': '|u1'") || strstr(hdr, "'descr': '<u1'"))
        a->itemsize = 1;
    else if (strstr(hdr, "'descr': '<u2'"))
        a->itemsize = 2;
    else
        goto bad;
    const char *sh = strstr(hdr, "'shape':");
    if (!sh) goto bad;
    sh = strchr(sh, '(');
    if (!sh) goto bad;
    sh++;
    while (a->ndim < 3) {
        while (*sh == ' ' || *sh == ',') sh++;
        if (*sh == ')') break;
        char *end;
        unsigned long long v = strtoull(sh, &end, 10);
        if (end == sh) goto bad;
        a->shape[a->ndim++] = v;
        sh = end;
    }
    if (a->ndim < 2) goto bad;
    uint64_t count = a->itemsize;
    for (uint32_t i = 0; i < a->ndim; i++) count *= a->shape[i];
    if (size - hstart - hlen != count) goto bad;
    a->bytes = (size_t)count;
    a->data = xmalloc(a->bytes);
    memcpy(a->data, buf + hstart + hlen, a->bytes);
    if (a->itemsize == 2) { /* little endian on disk -> host order */
        for (size_t i = 0; i < a->bytes; i += 2) {
            uint16_t v = (uint16_t)(a->data[i] | a->data[i + 1] << 8);
            memcpy(a->data + i, &v, 2);
        }
    }
    free(buf);
    return 0;
bad:
    free(buf);
    npy_free(a);
    return -1;
}

static uint32_t npy_channels(const npy *a) { return a->ndim == 3 ? (uint32_t)a->shape[2] : 1; }

/* Sorted list of the base names (without ".pzp") of the conformance folder. */
static char **g_names;
static size_t g_name_count;

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void load_names(void)
{
    if (g_names) return;
    DIR *d = opendir(g_confdir);
    if (!d) return;
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pzp") != 0) continue;
        if (g_name_count == cap) {
            cap = cap ? cap * 2 : 64;
            g_names = realloc(g_names, cap * sizeof *g_names);
            if (!g_names) exit(2);
        }
        g_names[g_name_count] = xmalloc(n - 3);
        memcpy(g_names[g_name_count], e->d_name, n - 4);
        g_names[g_name_count][n - 4] = '\0';
        g_name_count++;
    }
    closedir(d);
    qsort(g_names, g_name_count, sizeof *g_names, cmp_str);
}

static void conf_path(char *out, size_t cap, const char *base, const char *suffix)
{
    snprintf(out, cap, "%s/%s%s", g_confdir, base, suffix);
}

enum { KIND_INVALID = 0, KIND_SINGLE = 1, KIND_CONTAINER = 2 };

static int conf_kind(const char *base)
{
    char p[4400];
    conf_path(p, sizeof p, base, ".npy");
    if (file_exists(p)) return KIND_SINGLE;
    conf_path(p, sizeof p, base, ".f0.npy");
    if (file_exists(p)) return KIND_CONTAINER;
    return KIND_INVALID;
}

/* Expected frames of a container vector: base.f0.npy, base.f1.npy, ... */
static size_t load_frames(const char *base, npy **frames)
{
    size_t n = 0, cap = 0;
    *frames = NULL;
    for (;;) {
        char p[4400], suffix[32];
        snprintf(suffix, sizeof suffix, ".f%zu.npy", n);
        conf_path(p, sizeof p, base, suffix);
        if (!file_exists(p)) break;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            *frames = realloc(*frames, cap * sizeof **frames);
            if (!*frames) exit(2);
        }
        if (npy_load(p, &(*frames)[n]) != 0) {
            CHECK(0, "cannot read %s", p);
            break;
        }
        n++;
    }
    return n;
}

static void free_frames(npy *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) npy_free(&frames[i]);
    free(frames);
}

/* Do pixels decoded with info match the expected array? Reports the first difference. */
static int pixels_match(const char *what, const pzp_image_info *info, const void *got, const npy *exp)
{
    int ok = 1;
    CHECK(info->height == exp->shape[0] && info->width == exp->shape[1] &&
              info->channels == npy_channels(exp) && info->bpp == exp->itemsize * 8,
          "%s: decoded %ux%u c%u b%u, expected %llux%llu c%u b%u", what, info->width, info->height,
          info->channels, info->bpp, (unsigned long long)exp->shape[1], (unsigned long long)exp->shape[0],
          npy_channels(exp), exp->itemsize * 8);
    if (info->decoded_bytes != exp->bytes) {
        CHECK(0, "%s: decoded_bytes %llu, expected %zu", what, (unsigned long long)info->decoded_bytes,
              exp->bytes);
        return 0;
    }
    if (memcmp(got, exp->data, exp->bytes) != 0) {
        size_t i = 0;
        while (((const uint8_t *)got)[i] == exp->data[i]) i++;
        CHECK(0, "%s: pixels differ first at byte %zu (%u != %u)", what, i, ((const uint8_t *)got)[i],
              exp->data[i]);
        ok = 0;
    } else {
        CHECK(1, "");
    }
    return ok;
}

/* Two descriptions of the same frame agree. */
static void info_agree(const char *what, const pzp_image_info *a, const pzp_image_info *b)
{
    CHECK(a->width == b->width && a->height == b->height && a->bpp == b->bpp && a->channels == b->channels &&
              a->configuration == b->configuration,
          "%s: info %ux%u b%u c%u cfg %u vs %ux%u b%u c%u cfg %u", what, a->width, a->height, a->bpp,
          a->channels, a->configuration, b->width, b->height, b->bpp, b->channels, b->configuration);
    CHECK(a->channels_internal == b->channels_internal && a->codec == b->codec &&
              a->frame_version == b->frame_version && a->group_count == b->group_count &&
              memcmp(a->groups, b->groups, sizeof a->groups) == 0 && a->palette_bytes == b->palette_bytes &&
              a->checksum == b->checksum && a->is_delta == b->is_delta,
          "%s: info details differ (ci %u/%u codec %u/%u ver %u/%u groups %u/%u pal %u/%u sum %08X/%08X "
          "delta %u/%u)",
          what, a->channels_internal, b->channels_internal, a->codec, b->codec, a->frame_version,
          b->frame_version, a->group_count, b->group_count, a->palette_bytes, b->palette_bytes, a->checksum,
          b->checksum, a->is_delta, b->is_delta);
    CHECK(a->payload_bytes == b->payload_bytes && a->blob_bytes == b->blob_bytes &&
              a->decoded_bytes == b->decoded_bytes,
          "%s: sizes differ (payload %llu/%llu blob %llu/%llu decoded %llu/%llu)", what,
          (unsigned long long)a->payload_bytes, (unsigned long long)b->payload_bytes,
          (unsigned long long)a->blob_bytes, (unsigned long long)b->blob_bytes,
          (unsigned long long)a->decoded_bytes, (unsigned long long)b->decoded_bytes);
}

/* ---- 3. golden ------------------------------------------------------------ */

static void golden_single(const char *base)
{
    char path[4400], npath[4400];
    conf_path(path, sizeof path, base, ".pzp");
    conf_path(npath, sizeof npath, base, ".npy");
    npy exp;
    if (npy_load(npath, &exp) != 0) {
        CHECK(0, "%s: cannot read %s", base, npath);
        return;
    }
    pzp_dctx *dctx = pzp_dctx_create();
    CHECK(dctx != NULL, "pzp_dctx_create");
    pzp_image_info fi, ffi, mi, mdi, ci;
    memset(&fi, 0, sizeof fi);
    memset(&ffi, 0, sizeof ffi);
    memset(&mi, 0, sizeof mi);
    memset(&mdi, 0, sizeof mdi);
    memset(&ci, 0, sizeof ci);
    uint8_t *out = xcalloc(exp.bytes);

    /* File path: begin + finish. */
    CHECK_RC(pzp_decode_file_begin(dctx, path, &fi), PZP_OK, "%s", base);
    CHECK(fi.decoded_bytes == exp.bytes, "%s: decoded_bytes %llu != %zu", base,
          (unsigned long long)fi.decoded_bytes, exp.bytes);
    CHECK_RC(pzp_decode_finish(dctx, out, exp.bytes), PZP_OK, "%s: finish", base);
    pixels_match(base, &fi, out, &exp);
    CHECK_RC(pzp_decode_finish(dctx, out, exp.bytes), PZP_E_BAD_STATE, "%s: second finish", base);

    /* The same with the thread's own context. */
    memset(out, 0, exp.bytes);
    CHECK_RC(pzp_decode_file_begin(NULL, path, &fi), PZP_OK, "%s (NULL ctx)", base);
    CHECK_RC(pzp_decode_finish(NULL, out, exp.bytes), PZP_OK, "%s: finish (NULL ctx)", base);
    pixels_match(base, &fi, out, &exp);

    CHECK_RC(pzp_info_file(dctx, path, &ffi), PZP_OK, "%s: info_file", base);
    info_agree(base, &ffi, &fi);

    /* Memory path. */
    size_t size = 0;
    uint8_t *data = read_whole_file(path, &size);
    CHECK(data != NULL, "%s: read", base);
    if (data) {
        CHECK_RC(pzp_info(dctx, data, size, &mi), PZP_OK, "%s: info", base);
        info_agree(base, &mi, &fi);
        memset(out, 0, exp.bytes);
        CHECK_RC(pzp_decode(dctx, data, size, out, exp.bytes, &mdi), PZP_OK, "%s: decode", base);
        pixels_match(base, &mdi, out, &exp);
        info_agree(base, &mdi, &fi);
        /* Staged memory decode; src need not outlive begin. */
        uint8_t *copy = xmalloc(size);
        memcpy(copy, data, size);
        memset(out, 0, exp.bytes);
        CHECK_RC(pzp_decode_begin(dctx, copy, size, &mdi), PZP_OK, "%s: decode_begin", base);
        memset(copy, 0xA5, size);
        free(copy);
        CHECK_RC(pzp_decode_finish(dctx, out, exp.bytes), PZP_OK, "%s: decode_finish", base);
        pixels_match(base, &mdi, out, &exp);
        /* With checksum verification on: reference-written files verify. */
        CHECK_RC(pzp_dctx_set_options(dctx, PZP_DECODE_VERIFY_CHECKSUM), PZP_OK, "set_options");
        memset(out, 0, exp.bytes);
        CHECK_RC(pzp_decode(dctx, data, size, out, exp.bytes, &mdi), PZP_OK, "%s: decode (verify)", base);
        pixels_match(base, &mdi, out, &exp);
        CHECK_RC(pzp_dctx_set_options(dctx, 0), PZP_OK, "set_options 0");
    }

    /* As a 1-frame container. */
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "%s: container_open", base);
    if (c) {
        pzp_container_info cinfo;
        CHECK_RC(pzp_container_get_info(c, &cinfo), PZP_OK, "%s: get_info", base);
        CHECK(cinfo.frame_count == 1, "%s: frame_count %u", base, cinfo.frame_count);
        CHECK(cinfo.file_bytes == size, "%s: file_bytes %llu != %zu", base,
              (unsigned long long)cinfo.file_bytes, size);
        CHECK(cinfo.is_bare_frame == (strncmp(base, "legacy_v001", 11) == 0), "%s: is_bare_frame %u", base,
              cinfo.is_bare_frame);
        CHECK_RC(pzp_container_frame_info(dctx, c, 0, &ci), PZP_OK, "%s: frame_info", base);
        info_agree(base, &ci, &fi);
        memset(out, 0, exp.bytes);
        CHECK_RC(pzp_container_decode_frame(dctx, c, 0, out, exp.bytes, &ci), PZP_OK, "%s: decode_frame", base);
        pixels_match(base, &ci, out, &exp);
        CHECK_RC(pzp_container_decode_frame(dctx, c, 1, out, exp.bytes, &ci), PZP_E_OUT_OF_RANGE,
                 "%s: frame 1", base);
        pzp_container_close(c);
    }
    free(data);
    free(out);
    npy_free(&exp);
    pzp_dctx_free(dctx);
}

/* Decodes every frame of an open container in the given order and compares. */
static void container_frames_match(const char *what, pzp_container *c, pzp_dctx *dctx, const npy *exp, size_t n,
                                   int reverse)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = reverse ? n - 1 - k : k;
        char w[600];
        snprintf(w, sizeof w, "%s frame %zu%s", what, i, reverse ? " (reverse)" : "");
        uint8_t *out = xcalloc(exp[i].bytes);
        pzp_image_info info, finfo;
        memset(&info, 0, sizeof info);
        memset(&finfo, 0, sizeof finfo);
        CHECK_RC(pzp_container_frame_info(dctx, c, (uint32_t)i, &finfo), PZP_OK, "%s: frame_info", w);
        CHECK_RC(pzp_container_decode_frame(dctx, c, (uint32_t)i, out, exp[i].bytes, &info), PZP_OK, "%s", w);
        pixels_match(w, &info, out, &exp[i]);
        info_agree(w, &finfo, &info);
        free(out);
    }
}

static void golden_container(const char *base)
{
    char path[4400];
    conf_path(path, sizeof path, base, ".pzp");
    npy *exp = NULL;
    size_t n = load_frames(base, &exp);
    CHECK(n > 0, "%s: no frames", base);

    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "%s: container_open", base);
    if (c) {
        pzp_container_info ci;
        CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "%s: get_info", base);
        CHECK(ci.frame_count == n, "%s: frame_count %u, expected %zu", base, ci.frame_count, n);
        pzp_frame_entry *e = xcalloc(n * sizeof *e);
        CHECK_RC(pzp_container_get_entries(c, 0, (uint32_t)n, e), PZP_OK, "%s: entries", base);
        for (size_t i = 0; i < n; i++)
            CHECK(e[i].valid && e[i].offset + e[i].size <= ci.file_bytes, "%s: entry %zu", base, i);
        free(e);
        pzp_dctx *d1 = pzp_dctx_create();
        container_frames_match(base, c, d1, exp, n, 0);
        pzp_dctx_free(d1);
        pzp_dctx *d2 = pzp_dctx_create();
        container_frames_match(base, c, d2, exp, n, 1);
        pzp_dctx_free(d2);
        /* The thread's own context, in order. */
        container_frames_match(base, c, NULL, exp, n, 0);
        pzp_container_close(c);
    }

    size_t size = 0;
    uint8_t *data = read_whole_file(path, &size);
    CHECK(data != NULL, "%s: read", base);
    if (data) {
        c = NULL;
        CHECK_RC(pzp_container_open_memory(data, size, &c), PZP_OK, "%s: open_memory", base);
        if (c) {
            pzp_dctx *d3 = pzp_dctx_create();
            container_frames_match(base, c, d3, exp, n, 0);
            pzp_dctx_free(d3);
            pzp_dctx *d4 = pzp_dctx_create();
            container_frames_match(base, c, d4, exp, n, 1);
            pzp_dctx_free(d4);
            pzp_container_close(c);
        }
        /* pzp_decode() / pzp_decode_file_begin() give frame 0. */
        pzp_image_info info;
        uint8_t *out = xcalloc(exp[0].bytes);
        CHECK_RC(pzp_decode(NULL, data, size, out, exp[0].bytes, &info), PZP_OK, "%s: decode frame 0", base);
        pixels_match(base, &info, out, &exp[0]);
        memset(out, 0, exp[0].bytes);
        CHECK_RC(pzp_decode_file_begin(NULL, path, &info), PZP_OK, "%s: file_begin", base);
        CHECK_RC(pzp_decode_finish(NULL, out, exp[0].bytes), PZP_OK, "%s: finish", base);
        pixels_match(base, &info, out, &exp[0]);
        free(out);
        free(data);
    }
    free_frames(exp, n);
}

/* A damaged container: open succeeds, frame k decodes iff good[k], good frames equal the original's. */
static void golden_partial(const char *base, const char *original)
{
    char path[4400];
    conf_path(path, sizeof path, base, ".pzp");
    npy *exp = NULL;
    size_t n = load_frames(original, &exp);
    CHECK(n > 1, "%s: no frames of %s", base, original);
    size_t size = 0;
    uint8_t *data = read_whole_file(path, &size);
    CHECK(data != NULL, "%s: read", base);
    for (int mem = 0; mem < 2 && data; mem++) {
        pzp_container *c = NULL;
        int rc = mem ? pzp_container_open_memory(data, size, &c) : pzp_container_open(path, &c);
        CHECK_RC(rc, PZP_OK, "%s: open (%s)", base, mem ? "memory" : "file");
        if (rc != PZP_OK) continue;
        pzp_container_info ci;
        CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "%s: info", base);
        CHECK(ci.frame_count == n, "%s: frame_count %u != %zu", base, ci.frame_count, n);
        uint32_t fc = ci.frame_count < n ? ci.frame_count : (uint32_t)n;
        pzp_frame_entry *e = xcalloc(fc * sizeof *e);
        CHECK_RC(pzp_container_get_entries(c, 0, fc, e), PZP_OK, "%s: entries", base);
        unsigned bad = 0;
        for (int pass = 0; pass < 2; pass++) {
            pzp_dctx *d = pzp_dctx_create();
            for (uint32_t k = 0; k < fc; k++) {
                uint32_t i = pass ? fc - 1 - k : k;
                int good = e[i].valid && e[i].offset + e[i].size <= size;
                uint8_t *out = xcalloc(exp[i].bytes);
                pzp_image_info info;
                rc = pzp_container_decode_frame(d, c, i, out, exp[i].bytes, &info);
                if (good) {
                    char w[600];
                    snprintf(w, sizeof w, "%s frame %u (pass %d)", base, i, pass);
                    CHECK_RC(rc, PZP_OK, "%s", w);
                    if (rc == PZP_OK) pixels_match(w, &info, out, &exp[i]);
                } else {
                    CHECK(rc != PZP_OK, "%s: damaged frame %u decoded", base, i);
                    CHECK(pzp_last_error()[0] != '\0', "%s: no detail for frame %u", base, i);
                    bad++;
                }
                free(out);
            }
            pzp_dctx_free(d);
        }
        CHECK(e[0].valid, "%s: frame 0 should be intact", base);
        CHECK(bad > 0, "%s: no damaged frame found", base);
        free(e);
        pzp_container_close(c);
    }
    /* The single-image entry points give frame 0. */
    if (data) {
        uint8_t *out = xcalloc(exp[0].bytes);
        pzp_image_info info;
        CHECK_RC(pzp_decode(NULL, data, size, out, exp[0].bytes, &info), PZP_OK, "%s: decode", base);
        pixels_match(base, &info, out, &exp[0]);
        CHECK_RC(pzp_decode_file_begin(NULL, path, &info), PZP_OK, "%s: file_begin", base);
        CHECK_RC(pzp_decode_finish(NULL, out, exp[0].bytes), PZP_OK, "%s: finish", base);
        pixels_match(base, &info, out, &exp[0]);
        free(out);
    }
    free(data);
    free_frames(exp, n);
}

/* Every entry point refuses the file; expected = a specific code or -1 for "any error". */
static void golden_rejected(const char *base, int expected)
{
    char path[4400];
    conf_path(path, sizeof path, base, ".pzp");
    size_t size = 0;
    uint8_t *data = read_whole_file(path, &size);
    CHECK(data != NULL, "%s: read", base);
    if (!data) return;
    uint8_t *out = xcalloc(1 << 20);
    pzp_image_info info;
    int rcs[5];
    rcs[0] = pzp_decode(NULL, data, size, out, 1 << 20, &info);
    rcs[1] = pzp_decode_file_begin(NULL, path, &info);
    pzp_container *c = NULL;
    rcs[2] = pzp_container_open(path, &c);
    if (rcs[2] == PZP_OK) {
        rcs[2] = pzp_container_decode_frame(NULL, c, 0, out, 1 << 20, &info);
        pzp_container_close(c);
    }
    c = NULL;
    rcs[3] = pzp_container_open_memory(data, size, &c);
    if (rcs[3] == PZP_OK) {
        rcs[3] = pzp_container_decode_frame(NULL, c, 0, out, 1 << 20, &info);
        pzp_container_close(c);
    }
    pzp_dctx *d = pzp_dctx_create();
    pzp_dctx_set_options(d, PZP_DECODE_VERIFY_CHECKSUM);
    rcs[4] = pzp_decode(d, data, size, out, 1 << 20, &info);
    pzp_dctx_free(d);
    static const char *const names[5] = {"decode", "file_begin", "container_open", "open_memory", "verify"};
    for (int i = 0; i < 5; i++) {
        if (expected < 0)
            CHECK(rcs[i] != PZP_OK, "%s: %s succeeded", base, names[i]);
        else
            CHECK(rcs[i] == expected, "%s: %s -> %d (%s), expected %d (%s)", base, names[i], rcs[i],
                  pzp_strerror(rcs[i]), expected, pzp_strerror(expected));
    }
    free(out);
    free(data);
}

static void golden_checksum_vectors(void)
{
    char path[4400], npath[4400];
    /* A stale header checksum: the header checksum is always verified. */
    golden_rejected("chk_stale_header_checksum", PZP_E_CHECKSUM);
    conf_path(path, sizeof path, "chk_stale_header_checksum", ".pzp");
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_E_CHECKSUM, "chk_stale_header_checksum: open");
    pzp_container_close(c);

    /* A bad frame checksum: decodes by default, fails when verifying. */
    conf_path(path, sizeof path, "chk_bad_pixel_checksum", ".pzp");
    conf_path(npath, sizeof npath, "f_rgb8_none", ".npy");
    npy exp;
    if (npy_load(npath, &exp) != 0) {
        CHECK(0, "cannot read %s", npath);
        return;
    }
    size_t size = 0;
    uint8_t *data = read_whole_file(path, &size);
    CHECK(data != NULL, "read %s", path);
    uint8_t *out = xcalloc(exp.bytes);
    pzp_image_info info;
    pzp_dctx *d = pzp_dctx_create();
    CHECK_RC(pzp_decode(d, data, size, out, exp.bytes, &info), PZP_OK, "chk_bad_pixel_checksum default");
    pixels_match("chk_bad_pixel_checksum", &info, out, &exp);
    CHECK_RC(pzp_decode_file_begin(d, path, &info), PZP_OK, "chk_bad_pixel_checksum file");
    CHECK_RC(pzp_decode_finish(d, out, exp.bytes), PZP_OK, "chk_bad_pixel_checksum file finish");
    CHECK_RC(pzp_dctx_set_options(d, PZP_DECODE_VERIFY_CHECKSUM), PZP_OK, "set_options");
    CHECK_RC(pzp_decode(d, data, size, out, exp.bytes, &info), PZP_E_CHECKSUM, "chk_bad_pixel_checksum verify");
    CHECK_RC(pzp_decode_file_begin(d, path, &info), PZP_E_CHECKSUM, "chk_bad_pixel_checksum verify file");
    c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "chk_bad_pixel_checksum open");
    if (c) {
        CHECK_RC(pzp_container_decode_frame(d, c, 0, out, exp.bytes, &info), PZP_E_CHECKSUM,
                 "chk_bad_pixel_checksum verify frame");
        pzp_container_close(c);
    }
    /* The thread's context honours the option too. */
    CHECK_RC(pzp_dctx_set_options(NULL, PZP_DECODE_VERIFY_CHECKSUM), PZP_OK, "set_options NULL");
    CHECK_RC(pzp_decode(NULL, data, size, out, exp.bytes, &info), PZP_E_CHECKSUM, "verify (NULL ctx)");
    CHECK_RC(pzp_dctx_set_options(NULL, 0), PZP_OK, "set_options NULL 0");
    CHECK_RC(pzp_decode(NULL, data, size, out, exp.bytes, &info), PZP_OK, "no verify (NULL ctx)");
    pzp_dctx_free(d);
    free(out);
    free(data);
    npy_free(&exp);
}

static void test_golden(void)
{
    load_names();
    CHECK(g_name_count > 50, "only %zu .pzp files in %s", g_name_count, g_confdir);
    size_t singles = 0, containers = 0, invalid = 0;
    for (size_t i = 0; i < g_name_count; i++) {
        switch (conf_kind(g_names[i])) {
        case KIND_SINGLE: golden_single(g_names[i]); singles++; break;
        case KIND_CONTAINER: golden_container(g_names[i]); containers++; break;
        default: invalid++; break;
        }
    }
    CHECK(singles > 0 && containers > 0, "singles %zu containers %zu", singles, containers);

    golden_rejected("inv_container_version_2", PZP_E_UNSUPPORTED);
    golden_checksum_vectors();
    golden_partial("inv_truncated_container", "c_5frames_rle_delays");
    golden_partial("inv_frame_offset_past_eof", "c_5frames_rle_delays");
    golden_rejected("inv_payload_size_mismatch", -1);
    golden_rejected("inv_inner_magic_PZP2", PZP_E_UNSUPPORTED);
    golden_rejected("inv_group_table_not_covering", -1);
    golden_rejected("inv_lz4_frame_format", -1);
    printf("golden: %zu single images, %zu containers, %zu damaged vectors\n", singles, containers, invalid);
}

/* ---- 1. checksum ---------------------------------------------------------- */

static void test_checksum(void)
{
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    CHECK(pzp_checksum("", 0) == 0x13D8AC5Eu, "empty: %08X", pzp_checksum("", 0));
    CHECK(pzp_checksum(NULL, 0) == 0x13D8AC5Eu, "NULL,0: %08X", pzp_checksum(NULL, 0));
    CHECK(pzp_checksum("a", 1) == 0x3976D591u, "a: %08X", pzp_checksum("a", 1));
    CHECK(pzp_checksum("abcd", 4) == 0x51104937u, "abcd: %08X", pzp_checksum("abcd", 4));
    CHECK(pzp_checksum("abcdefg", 7) == 0xA125D557u, "abcdefg: %08X", pzp_checksum("abcdefg", 7));
    CHECK(pzp_checksum(all, 256) == 0x9D07CBDEu, "0..255: %08X", pzp_checksum(all, 256));
    /* The single-image container header of FORMAT.md 5.5. */
    static const uint8_t hdr[40] = {0x30, 0x50, 0x5A, 0x50, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                                    1,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(pzp_checksum(hdr, 40) == 0x4F25EB3Fu, "single-image header: %08X", pzp_checksum(hdr, 40));
    /* Unaligned input gives the same result as aligned input. */
    uint8_t buf[300];
    memcpy(buf + 3, all, 256);
    CHECK(pzp_checksum(buf + 3, 256) == 0x9D07CBDEu, "unaligned 0..255: %08X", pzp_checksum(buf + 3, 256));
}

/* ---- 2. strerror ---------------------------------------------------------- */

static void test_strerror(void)
{
    for (int i = 0; i < PZP_ERROR_COUNT; i++) {
        const char *a = pzp_strerror(i);
        CHECK(a != NULL && a[0] != '\0', "pzp_strerror(%d) empty", i);
        if (!a) continue;
        for (int j = 0; j < i; j++) {
            const char *b = pzp_strerror(j);
            CHECK(b == NULL || strcmp(a, b) != 0, "pzp_strerror(%d) == pzp_strerror(%d) = '%s'", i, j, a);
        }
    }
    const int unknown[] = {-1, PZP_ERROR_COUNT, 999, -2147483647 - 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = pzp_strerror(unknown[i]);
        CHECK(u != NULL && u[0] != '\0', "pzp_strerror(%d) NULL or empty", unknown[i]);
    }

    /* pzp_last_error(): a detail after a failure, "" after a success. */
    pzp_image_info info;
    static const uint8_t junk[64] = "this is not a PZP file at all, just some text.......";
    CHECK_RC(pzp_info(NULL, junk, sizeof junk, &info), PZP_E_NOT_PZP, "junk");
    CHECK(pzp_last_error() != NULL && pzp_last_error()[0] != '\0', "no detail after a failure");
    CHECK_RC(pzp_decode_finish(NULL, NULL, 0), PZP_E_BAD_STATE, "finish without begin");
    CHECK(pzp_last_error()[0] != '\0', "no detail after BAD_STATE");
    /* A success: encode and read a tiny image. */
    uint8_t px[4] = {1, 2, 3, 4}, file[1024];
    size_t written = 0;
    pzp_encode_params p;
    memset(&p, 0, sizeof p);
    p.width = 2; p.height = 2; p.bpp = 8; p.channels = 1;
    CHECK_RC(pzp_encode(NULL, &p, px, sizeof px, file, sizeof file, &written), PZP_OK, "encode 2x2");
    CHECK(pzp_last_error()[0] == '\0', "detail after a successful encode: '%s'", pzp_last_error());
    CHECK_RC(pzp_info(NULL, junk, sizeof junk, &info), PZP_E_NOT_PZP, "junk again");
    CHECK_RC(pzp_info(NULL, file, written, &info), PZP_OK, "info");
    CHECK(pzp_last_error()[0] == '\0', "detail after a successful info: '%s'", pzp_last_error());
    CHECK_RC(pzp_info(NULL, junk, sizeof junk, &info), PZP_E_NOT_PZP, "junk again");
    uint8_t out[4];
    CHECK_RC(pzp_decode(NULL, file, written, out, sizeof out, &info), PZP_OK, "decode");
    CHECK(pzp_last_error()[0] == '\0', "detail after a successful decode: '%s'", pzp_last_error());
    CHECK(memcmp(out, px, 4) == 0, "2x2 round trip");

    /* Version. */
    CHECK(pzp_version_number() == PZP_VERSION_NUMBER, "version number %u != %u", pzp_version_number(),
          (unsigned)PZP_VERSION_NUMBER);
    CHECK(pzp_version_string() != NULL && strcmp(pzp_version_string(), PZP_VERSION_STRING) == 0,
          "version string '%s' != '%s'", pzp_version_string() ? pzp_version_string() : "(null)",
          PZP_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", PZP_VERSION_MAJOR, PZP_VERSION_MINOR, PZP_VERSION_PATCH);
    CHECK(strcmp(expect, PZP_VERSION_STRING) == 0, "PZP_VERSION_STRING '%s' != macros '%s'",
          PZP_VERSION_STRING, expect);
    CHECK(PZP_VERSION_NUMBER == PZP_VERSION_MAJOR * 10000 + PZP_VERSION_MINOR * 100 + PZP_VERSION_PATCH,
          "PZP_VERSION_NUMBER");
}

/* ---- Runner --------------------------------------------------------------- */

typedef struct section {
    const char *name;
    void (*fn)(void);
} section;

static const section g_sections[] = {
    {"checksum", test_checksum},
    {"strerror", test_strerror},
    {"golden", test_golden},
};

static int dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
    const char *only = getenv("PZP_TEST_ONLY");
    const char *quick = getenv("PZP_TEST_QUICK");
    g_quick = quick && *quick && strcmp(quick, "0") != 0;

    if (argc > 1)
        snprintf(g_confdir, sizeof g_confdir, "%s", argv[1]);
    else if (dir_exists("tests/data/conformance"))
        snprintf(g_confdir, sizeof g_confdir, "%s", "tests/data/conformance");
    else
        snprintf(g_confdir, sizeof g_confdir, "%s", "/work/shared/conformance");
    if (!dir_exists(g_confdir)) {
        fprintf(stderr, "conformance folder not found: %s\n", g_confdir);
        return 2;
    }

    const char *t = getenv("TMPDIR");
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/pzp_test.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(g_tmpdir)) {
        fprintf(stderr, "mkdtemp failed: %s\n", strerror(errno));
        return 2;
    }

    int ran = 0;
    double t_all = now_seconds();
    for (size_t i = 0; i < sizeof g_sections / sizeof g_sections[0]; i++) {
        if (only && *only && strcmp(only, g_sections[i].name) != 0) continue;
        unsigned long f0 = g_failures, c0 = g_checks;
        double t0 = now_seconds();
        g_section = g_sections[i].name;
        g_sections[i].fn();
        printf("%-10s %8lu checks %6lu failures %7.2f s\n", g_sections[i].name, g_checks - c0,
               g_failures - f0, now_seconds() - t0);
        fflush(stdout);
        ran++;
    }
    rmdir(g_tmpdir);
    if (!ran) {
        fprintf(stderr, "no section named '%s'\n", only ? only : "");
        return 2;
    }
    printf("%s: %lu checks, %lu failures, %.2f s (conformance: %s%s)\n",
           g_failures ? "FAILED" : "OK", g_checks, g_failures, now_seconds() - t_all, g_confdir,
           g_quick ? ", quick" : "");
    return g_failures ? 1 : 0;
}
