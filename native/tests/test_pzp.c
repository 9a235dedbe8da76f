/* test_pzp.c - self-contained test runner for libpzp (no framework).
 *
 * Usage: pzp_test [conformance-folder]
 *   default folder: tests/data/conformance (relative to the cwd), falling back
 *   to /work/shared/conformance.
 * Environment:
 *   PZP_TEST_QUICK=1      shorter sweeps, no multi-megapixel cases (valgrind)
 *   PZP_TEST_ONLY=<name>  run one section (checksum, strerror, golden,
 *                         roundtrip, writer, errors, damaged, threads, changed,
 *                         simd: also reruns itself at each lower PZP_CPU_LEVEL)
 * Build with -DPZP_SANITIZE=address,undefined (or thread, with
 * PZP_TEST_ONLY=threads) to let the sanitizers check the damaged-input and
 * concurrency sections; PZP_TEST_QUICK=1 keeps valgrind runs short.
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
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- Check machinery ----------------------------------------------------- */

static unsigned long g_checks, g_failures;
static const char *g_section = "";
static int g_quick;
static char g_confdir[4096];
static char g_tmpdir[4096];
static const char *g_argv0 = "pzp_test";
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
            char what_[5000];                                                     \
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

/* ---- 4. roundtrip --------------------------------------------------------- */

enum { DATA_RANDOM, DATA_SMOOTH, DATA_FEW, DATA_KINDS };
static const char *const g_data_names[DATA_KINDS] = {"random", "smooth", "few"};

/* Fills an image of width x height x channels samples of bpp bits (host order). */
static void fill_image(void *buf, uint32_t width, uint32_t height, uint32_t channels, uint32_t bpp, int kind,
                       uint64_t seed)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t i = 0;
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            for (uint32_t c = 0; c < channels; c++, i++) {
                uint32_t v;
                switch (kind) {
                case DATA_RANDOM: v = (uint32_t)(rng_next(&st) >> 40); break;
                case DATA_SMOOTH: v = bpp == 8 ? x * 3 + y * 5 + c * 40 : x * 97 + y * 131 + c * 1000 + (uint32_t)seed; break;
                default: v = ((x / 3 + y / 2 + c) % 4) * (bpp == 8 ? 60u : 16000u) + c; break;
                }
                if (bpp == 8)
                    ((uint8_t *)buf)[i] = (uint8_t)v;
                else
                    ((uint16_t *)buf)[i] = (uint16_t)v;
            }
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_tmpdir, name);
}

/* Encodes, decodes and compares one image; optionally through a file too. Returns the encoded size. */
static size_t roundtrip_one(const char *what, const pzp_encode_params *p, const void *pixels, size_t size,
                            int via_file)
{
    uint64_t bound = 0, fbound = 0;
    CHECK_RC(pzp_encode_bound(p, &bound, &fbound), PZP_OK, "%s: bound", what);
    if (bound == 0) return 0;
    CHECK(fbound + 64 <= bound, "%s: frame bound %llu vs file bound %llu", what, (unsigned long long)fbound,
          (unsigned long long)bound);
    uint8_t *enc = xmalloc((size_t)bound), *enc2 = xmalloc((size_t)bound);
    size_t written = 0, written2 = 0;
    int rc = pzp_encode(NULL, p, pixels, size, enc, (size_t)bound, &written);
    CHECK_RC(rc, PZP_OK, "%s: encode", what);
    if (rc != PZP_OK) {
        free(enc);
        free(enc2);
        return 0;
    }
    CHECK(written > 64 && written <= bound, "%s: written %zu, bound %llu", what, written, (unsigned long long)bound);
    /* Determinism, also with an explicit context. */
    pzp_cctx *cc = pzp_cctx_create();
    CHECK_RC(pzp_encode(cc, p, pixels, size, enc2, (size_t)bound, &written2), PZP_OK, "%s: encode 2", what);
    CHECK(written2 == written && memcmp(enc, enc2, written) == 0, "%s: encode not deterministic", what);
    pzp_cctx_free(cc);
    /* Exactly sized destination works; one byte short fails. */
    CHECK_RC(pzp_encode(NULL, p, pixels, size, enc2, written, &written2), PZP_OK, "%s: exact dst", what);
    CHECK(written2 == written && memcmp(enc, enc2, written) == 0, "%s: exact-size encode differs", what);
    CHECK_RC(pzp_encode(NULL, p, pixels, size, enc2, written - 1, &written2), PZP_E_BUFFER_TOO_SMALL,
             "%s: dst one byte short", what);

    pzp_image_info info;
    memset(&info, 0, sizeof info);
    uint8_t *out = xcalloc(size);
    CHECK_RC(pzp_decode(NULL, enc, written, out, size, &info), PZP_OK, "%s: decode", what);
    CHECK(memcmp(out, pixels, size) == 0, "%s: decoded pixels differ", what);
    CHECK(info.width == p->width && info.height == p->height && info.bpp == p->bpp &&
              info.channels == p->channels && info.decoded_bytes == size,
          "%s: info %ux%u b%u c%u", what, info.width, info.height, info.bpp, info.channels);
    CHECK(info.configuration == ((p->configuration | PZP_USE_COMPRESSION) & ~PZP_USE_INTER_DELTA),
          "%s: stored configuration %u for requested %u", what, info.configuration, p->configuration);
    CHECK(info.codec == ((p->configuration & PZP_USE_LZ4) ? PZP_CODEC_LZ4 : PZP_CODEC_ZSTD), "%s: codec %u", what,
          info.codec);
    CHECK(info.is_delta == 0, "%s: is_delta", what);
    CHECK(info.blob_bytes + 64 == written, "%s: blob %llu, file %zu", what, (unsigned long long)info.blob_bytes,
          written);
    if (p->group_count) {
        CHECK(info.group_count == p->group_count &&
                  memcmp(info.groups, p->groups, 4u * p->group_count) == 0,
              "%s: group table not stored as given", what);
    }
    /* The file starts with the single-image header of FORMAT.md 5.5. */
    static const uint8_t head[48] = {0x30, 0x50, 0x5A, 0x50, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                                     1,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0,    0,    0,    0,    0, 0, 0, 0, 0x3F, 0xEB, 0x25, 0x4F, 0, 0, 0, 0};
    CHECK(memcmp(enc, head, 48) == 0, "%s: single-image header differs from FORMAT.md 5.5", what);

    if (via_file) {
        char path[4400];
        tmp_path(path, sizeof path, "roundtrip.pzp");
        CHECK_RC(pzp_write_file(NULL, p, pixels, size, path), PZP_OK, "%s: write_file", what);
        size_t fsize = 0;
        uint8_t *fdata = read_whole_file(path, &fsize);
        CHECK(fdata && fsize == written && memcmp(fdata, enc, written) == 0, "%s: file differs from memory encode",
              what);
        free(fdata);
        memset(out, 0, size);
        CHECK_RC(pzp_decode_file_begin(NULL, path, &info), PZP_OK, "%s: file_begin", what);
        CHECK_RC(pzp_decode_finish(NULL, out, size), PZP_OK, "%s: finish", what);
        CHECK(memcmp(out, pixels, size) == 0, "%s: decoded file pixels differ", what);
        unlink(path);
    }
    free(out);
    free(enc);
    free(enc2);
    return written;
}

/* Two frames through pzp_encode_frame() (the second a delta) and a container. */
static void roundtrip_delta(const char *what, const pzp_encode_params *p, const void *f0, const void *f1, size_t size)
{
    uint64_t bound = 0, fbound = 0;
    CHECK_RC(pzp_encode_bound(p, &bound, &fbound), PZP_OK, "%s: bound", what);
    if (!fbound) return;
    uint8_t *b0 = xmalloc((size_t)fbound), *b1 = xmalloc((size_t)fbound), *b1b = xmalloc((size_t)fbound);
    size_t w0 = 0, w1 = 0, w1b = 0;
    pzp_encode_params pd = *p;
    pd.configuration |= PZP_USE_INTER_DELTA;
    CHECK_RC(pzp_encode_frame(NULL, &pd, f0, size, NULL, b0, (size_t)fbound, &w0), PZP_OK, "%s: key", what);
    CHECK_RC(pzp_encode_frame(NULL, &pd, f1, size, f0, b1, (size_t)fbound, &w1), PZP_OK, "%s: delta", what);
    CHECK_RC(pzp_encode_frame(NULL, &pd, f1, size, f0, b1b, (size_t)fbound, &w1b), PZP_OK, "%s: delta 2", what);
    CHECK(w1 == w1b && memcmp(b1, b1b, w1) == 0, "%s: delta encode not deterministic", what);
    char path[4400];
    tmp_path(path, sizeof path, "delta.pzp");
    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    o.flags = PZP_WRITER_NO_SYNC;
    o.expected_frames = 3;
    pzp_writer *w = NULL;
    CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "%s: writer_open", what);
    if (!w) goto out;
    CHECK_RC(pzp_writer_add_blob(w, b0, w0, 10), PZP_OK, "%s: add key", what);
    CHECK_RC(pzp_writer_add_blob(w, b1, w1, 20), PZP_OK, "%s: add delta", what);
    /* A third frame: f0 again, as a delta to f1 through the writer. */
    CHECK_RC(pzp_writer_add_frame(w, &pd, f0, size, 30), PZP_OK, "%s: add frame", what);
    CHECK_RC(pzp_writer_close(w), PZP_OK, "%s: close", what);
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "%s: open", what);
    if (c) {
        const void *want[3] = {f0, f1, f0};
        uint8_t *out = xcalloc(size);
        pzp_dctx *d = pzp_dctx_create();
        for (int rev = 0; rev < 2; rev++) {
            for (int k = 0; k < 3; k++) {
                uint32_t i = (uint32_t)(rev ? 2 - k : k);
                pzp_image_info info, fi;
                memset(out, 0, size);
                CHECK_RC(pzp_container_frame_info(d, c, i, &fi), PZP_OK, "%s: frame_info %u", what, i);
                CHECK(fi.is_delta == (i == 1), "%s: frame %u is_delta %u", what, i, fi.is_delta);
                CHECK(!!(fi.configuration & PZP_USE_INTER_DELTA) == fi.is_delta, "%s: frame %u flag", what, i);
                CHECK_RC(pzp_container_decode_frame(d, c, i, out, size, &info), PZP_OK, "%s: frame %u", what, i);
                CHECK(memcmp(out, want[i], size) == 0, "%s: frame %u pixels differ", what, i);
            }
            pzp_dctx_free(d);
            d = pzp_dctx_create();
        }
        pzp_dctx_free(d);
        free(out);
        pzp_container_close(c);
    }
    unlink(path);
out:
    free(b0);
    free(b1);
    free(b1b);
}

static void test_roundtrip(void)
{
    static const uint32_t sizes[][2] = {{1, 1}, {1, 97}, {97, 1}, {33, 9}, {257, 3}};
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    unsigned cases = 0;
    uint64_t seed = 1;
    for (uint32_t bpp = 8; bpp <= 16; bpp += 8) {
        uint32_t maxch = bpp == 8 ? 8 : 4;
        for (uint32_t ch = 1; ch <= maxch; ch++) {
            if (g_quick && ch > 4 && ch != 7) continue;
            for (size_t si = 0; si < nsizes; si++) {
                uint32_t wd = sizes[si][0], ht = sizes[si][1];
                size_t size = (size_t)wd * ht * ch * (bpp / 8);
                uint8_t *px = xmalloc(size), *px2 = xmalloc(size);
                int filed = 0;
                for (uint32_t cfg = 0; cfg < 8; cfg++) {
                    uint32_t conf = ((cfg & 1) ? PZP_USE_RLE : 0) | ((cfg & 2) ? PZP_USE_PALETTE : 0) |
                                    ((cfg & 4) ? PZP_USE_LZ4 : 0);
                    if ((conf & PZP_USE_PALETTE) && ch * bpp / 8 > 8) continue;
                    for (int kind = 0; kind < DATA_KINDS; kind++) {
                        if (g_quick && kind == DATA_RANDOM && si != 3) continue;
                        char what[200];
                        snprintf(what, sizeof what, "%ux%u b%u c%u cfg%u %s", wd, ht, bpp, ch, conf,
                                 g_data_names[kind]);
                        pzp_encode_params p;
                        memset(&p, 0, sizeof p);
                        p.width = wd;
                        p.height = ht;
                        p.bpp = bpp;
                        p.channels = ch;
                        p.configuration = PZP_USE_COMPRESSION | conf;
                        fill_image(px, wd, ht, ch, bpp, kind, seed++);
                        /* via a file once per (bpp, channels, size), with the few-valued data */
                        int via_file = !filed && kind == DATA_FEW && (!g_quick || si == 3);
                        filed |= via_file;
                        roundtrip_one(what, &p, px, size, via_file);
                        cases++;
                        /* Delta frames: a second, slightly different frame. */
                        if (kind == DATA_SMOOTH && (!g_quick || si == 3)) {
                            memcpy(px2, px, size);
                            for (size_t i = 0; i < size; i += 7) px2[i] = (uint8_t)(px2[i] + 1 + i % 3);
                            roundtrip_delta(what, &p, px, px2, size);
                        }
                    }
                }
                free(px);
                free(px2);
            }
        }
    }

    /* The zstd level is honoured and stays lossless. */
    {
        uint32_t wd = 64, ht = 32, ch = 3;
        size_t size = wd * ht * ch;
        uint8_t *px = xmalloc(size);
        fill_image(px, wd, ht, ch, 8, DATA_SMOOTH, 7);
        for (int level = -5; level <= 22; level += 3) {
            pzp_encode_params p;
            memset(&p, 0, sizeof p);
            p.width = wd; p.height = ht; p.bpp = 8; p.channels = ch;
            p.configuration = PZP_USE_RLE;
            p.level = level;
            char what[64];
            snprintf(what, sizeof what, "level %d", level);
            roundtrip_one(what, &p, px, size, 0);
            cases++;
        }
        free(px);
    }

    /* Explicit group tables. */
    {
        struct gcase {
            const char *name;
            uint32_t bpp, channels, conf, count;
            uint8_t groups[4][4];
        } gc[] = {
            {"u8 none", 8, 3, 0, 1, {{3, 8, 0, 0}}},
            {"u8 left", 8, 3, 0, 1, {{3, 8, 1, 0}}},
            {"u8 left (rle flag)", 8, 4, PZP_USE_RLE, 1, {{4, 8, 1, 0}}},
            {"u8 none (rle flag)", 8, 3, PZP_USE_RLE, 1, {{3, 8, 0, 0}}},
            {"u8 split", 8, 4, 0, 3, {{1, 8, 1, 0}, {2, 8, 0, 0}, {1, 8, 1, 0}}},
            {"u8 palette", 8, 3, PZP_USE_PALETTE, 2, {{1, 8, 1, 0}, {2, 8, 0, 0}}},
            {"u16 gradient", 16, 1, 0, 1, {{2, 16, 2, 0}}},
            {"u16 gradient lz4", 16, 1, PZP_USE_LZ4, 1, {{2, 16, 2, 0}}},
            {"u16 gradient x3", 16, 3, 0, 3, {{2, 16, 2, 0}, {2, 16, 2, 0}, {2, 16, 2, 0}}},
            {"u16 gradient + bytes", 16, 2, 0, 2, {{2, 16, 2, 0}, {2, 8, 1, 0}}},
            {"mixed u8 + u16", 8, 3, 0, 2, {{1, 8, 1, 0}, {2, 16, 2, 0}}},
            {"mixed u8 + u16 lz4", 8, 3, PZP_USE_LZ4 | PZP_USE_RLE, 2, {{1, 8, 1, 0}, {2, 16, 2, 0}}},
        };
        for (size_t g = 0; g < sizeof gc / sizeof gc[0]; g++)
            for (size_t si = 0; si < nsizes; si++)
                for (int kind = 0; kind < DATA_KINDS; kind++) {
                    uint32_t wd = sizes[si][0], ht = sizes[si][1];
                    size_t size = (size_t)wd * ht * gc[g].channels * (gc[g].bpp / 8);
                    uint8_t *px = xmalloc(size);
                    fill_image(px, wd, ht, gc[g].channels, gc[g].bpp, kind, seed++);
                    pzp_encode_params p;
                    memset(&p, 0, sizeof p);
                    p.width = wd; p.height = ht; p.bpp = gc[g].bpp; p.channels = gc[g].channels;
                    p.configuration = PZP_USE_COMPRESSION | gc[g].conf;
                    p.group_count = gc[g].count;
                    memcpy(p.groups, gc[g].groups, sizeof gc[g].groups);
                    char what[200];
                    snprintf(what, sizeof what, "groups %s %ux%u %s", gc[g].name, wd, ht, g_data_names[kind]);
                    roundtrip_one(what, &p, px, size, si == 3 && kind == DATA_FEW);
                    if (kind == DATA_SMOOTH) {
                        uint8_t *px2 = xmalloc(size);
                        for (size_t i = 0; i < size; i++) px2[i] = (uint8_t)(px[i] ^ (i % 5 == 0));
                        roundtrip_delta(what, &p, px, px2, size);
                        free(px2);
                    }
                    free(px);
                    cases++;
                }
    }

    /* One ~2 megapixel image per common layout. */
    if (!g_quick) {
        static const uint32_t big[][3] = {{8, 3, PZP_USE_RLE}, {8, 3, PZP_USE_LZ4}, {16, 1, PZP_USE_RLE},
                                          {8, 1, PZP_USE_PALETTE | PZP_USE_RLE}};
        for (size_t b = 0; b < sizeof big / sizeof big[0]; b++) {
            uint32_t wd = 1601, ht = 1249, bpp = big[b][0], ch = big[b][1];
            size_t size = (size_t)wd * ht * ch * (bpp / 8);
            uint8_t *px = xmalloc(size);
            fill_image(px, wd, ht, ch, bpp, b & 1 ? DATA_FEW : DATA_SMOOTH, seed++);
            /* some noise in one band */
            uint64_t st = 99;
            for (size_t i = size / 3; i < size / 2; i += 3) px[i] = (uint8_t)rng_next(&st);
            pzp_encode_params p;
            memset(&p, 0, sizeof p);
            p.width = wd; p.height = ht; p.bpp = bpp; p.channels = ch;
            p.configuration = PZP_USE_COMPRESSION | big[b][2];
            char what[200];
            snprintf(what, sizeof what, "big %ux%u b%u c%u cfg%u", wd, ht, bpp, ch, big[b][2]);
            roundtrip_one(what, &p, px, size, b == 0);
            free(px);
            cases++;
        }
    }
    printf("roundtrip: %u encode/decode cases\n", cases);
}

/* ---- 5. writer ------------------------------------------------------------ */

static uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A test frame: a moving square over a gradient, in one of two layouts. */
typedef struct tframe {
    pzp_encode_params p;
    uint8_t *px;
    size_t size;
    uint32_t delay;
} tframe;

static void make_frame(tframe *f, uint32_t k, int layout, uint32_t conf)
{
    memset(f, 0, sizeof *f);
    f->p.width = layout ? 20 : 48;
    f->p.height = layout ? 10 : 32;
    f->p.bpp = layout ? 16 : 8;
    f->p.channels = layout ? 2 : 3;
    f->p.configuration = conf;
    f->size = (size_t)f->p.width * f->p.height * f->p.channels * (f->p.bpp / 8);
    f->px = xmalloc(f->size);
    fill_image(f->px, f->p.width, f->p.height, f->p.channels, f->p.bpp, DATA_SMOOTH, 3);
    uint32_t sx = (k * 3) % (f->p.width - 4), sy = (k * 2) % (f->p.height - 4);
    size_t bpp_bytes = f->p.bpp / 8, row = (size_t)f->p.width * f->p.channels * bpp_bytes;
    for (uint32_t y = sy; y < sy + 4; y++)
        for (uint32_t x = sx; x < sx + 4; x++)
            memset(f->px + y * row + (size_t)x * f->p.channels * bpp_bytes, (int)(200 + k), f->p.channels * bpp_bytes);
    f->delay = 10 * k + 1;
}

/* Checks the container at path byte for byte against FORMAT.md section 5 and
 * decodes every frame; is_delta[i] < 0 means "either". */
static void verify_container(const char *what, const char *path, const tframe *frames, uint32_t n, uint32_t loop,
                             const void *meta, size_t meta_size, const void *audio, size_t audio_size,
                             uint32_t audio_format, const int *is_delta)
{
    size_t size = 0;
    uint8_t *d = read_whole_file(path, &size);
    CHECK(d != NULL, "%s: cannot read %s", what, path);
    if (!d) return;
    uint64_t index_end = 48 + 16ull * n;
    CHECK(size >= index_end, "%s: file of %zu bytes", what, size);
    if (size < index_end) {
        free(d);
        return;
    }
    CHECK(memcmp(d, "0PZP", 4) == 0 && rd32le(d) == 0x505A5030u, "%s: magic", what);
    CHECK(rd32le(d + 4) == 1, "%s: version %u", what, rd32le(d + 4));
    uint32_t flags = (meta_size ? 1u : 0u) | (audio_size ? 2u : 0u);
    CHECK(rd32le(d + 8) == flags, "%s: flags %u, expected %u", what, rd32le(d + 8), flags);
    CHECK(rd32le(d + 12) == n, "%s: frame_count %u, expected %u", what, rd32le(d + 12), n);
    CHECK(rd32le(d + 16) == loop, "%s: loop_count %u, expected %u", what, rd32le(d + 16), loop);
    CHECK(rd32le(d + 40) == pzp_checksum(d, 40), "%s: header checksum %08X, expected %08X", what, rd32le(d + 40),
          pzp_checksum(d, 40));
    CHECK(rd32le(d + 44) == 0, "%s: header reserved %u", what, rd32le(d + 44));
    uint64_t at = index_end;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d + 48 + 16 * i;
        CHECK(rd32le(e) == at, "%s: entry %u offset %u, expected %llu", what, i, rd32le(e), (unsigned long long)at);
        CHECK(rd32le(e + 4) >= 4 && at + rd32le(e + 4) <= size, "%s: entry %u size %u", what, i, rd32le(e + 4));
        CHECK(rd32le(e + 8) == frames[i].delay, "%s: entry %u delay %u, expected %u", what, i, rd32le(e + 8),
              frames[i].delay);
        CHECK(rd32le(e + 12) == 0, "%s: entry %u reserved %u", what, i, rd32le(e + 12));
        at += rd32le(e + 4);
    }
    uint64_t meta_off = meta_size ? at : 0;
    CHECK(rd32le(d + 20) == meta_off && rd32le(d + 24) == meta_size, "%s: metadata at %u (%u bytes), expected %llu (%zu)",
          what, rd32le(d + 20), rd32le(d + 24), (unsigned long long)meta_off, meta_size);
    if (meta_size && at + meta_size <= size)
        CHECK(memcmp(d + at, meta, meta_size) == 0, "%s: metadata bytes", what);
    at += meta_size;
    uint64_t audio_off = audio_size ? at : 0;
    CHECK(rd32le(d + 28) == audio_off && rd32le(d + 32) == audio_size, "%s: audio at %u (%u bytes), expected %llu (%zu)",
          what, rd32le(d + 28), rd32le(d + 32), (unsigned long long)audio_off, audio_size);
    if (audio_size && at + audio_size <= size)
        CHECK(memcmp(d + at, audio, audio_size) == 0, "%s: audio bytes", what);
    at += audio_size;
    CHECK(rd32le(d + 36) == (audio_size ? audio_format : 0), "%s: audio_format %08X, expected %08X", what,
          rd32le(d + 36), audio_size ? audio_format : 0);
    CHECK(at == size, "%s: file of %zu bytes, layout ends at %llu", what, size, (unsigned long long)at);

    /* Through the library. */
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "%s: open", what);
    if (c) {
        pzp_container_info ci;
        CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "%s: info", what);
        CHECK(ci.frame_count == n && ci.loop_count == loop && ci.flags == flags && ci.metadata_bytes == meta_size &&
                  ci.audio_bytes == audio_size && ci.audio_format == (audio_size ? audio_format : 0) &&
                  ci.file_bytes == size && !ci.is_bare_frame && ci.header_checksum == rd32le(d + 40),
              "%s: container info", what);
        if (meta_size) {
            uint8_t *m = xmalloc(meta_size);
            CHECK_RC(pzp_container_read_metadata(c, m, meta_size), PZP_OK, "%s: read_metadata", what);
            CHECK(memcmp(m, meta, meta_size) == 0, "%s: read_metadata bytes", what);
            if (meta_size > 1)
                CHECK_RC(pzp_container_read_metadata(c, m, meta_size - 1), PZP_E_BUFFER_TOO_SMALL, "%s: short", what);
            free(m);
        }
        if (audio_size) {
            uint8_t *a = xmalloc(audio_size);
            CHECK_RC(pzp_container_read_audio(c, a, audio_size), PZP_OK, "%s: read_audio", what);
            CHECK(memcmp(a, audio, audio_size) == 0, "%s: read_audio bytes", what);
            free(a);
        }
        pzp_frame_entry *en = xcalloc(n * sizeof *en);
        CHECK_RC(pzp_container_get_entries(c, 0, n, en), PZP_OK, "%s: entries", what);
        pzp_dctx *dc = pzp_dctx_create();
        for (uint32_t i = 0; i < n; i++) {
            pzp_image_info fi, info;
            memset(&fi, 0, sizeof fi);
            CHECK(en[i].offset == rd32le(d + 48 + 16 * i) && en[i].size == rd32le(d + 52 + 16 * i) &&
                      en[i].delay_ms == frames[i].delay && en[i].valid,
                  "%s: entry %u", what, i);
            uint8_t *blob = xmalloc((size_t)en[i].size);
            CHECK_RC(pzp_container_read_blob(c, i, blob, (size_t)en[i].size), PZP_OK, "%s: read_blob %u", what, i);
            CHECK(en[i].offset + en[i].size <= size && memcmp(blob, d + en[i].offset, (size_t)en[i].size) == 0,
                  "%s: blob %u bytes", what, i);
            free(blob);
            CHECK_RC(pzp_container_frame_info(dc, c, i, &fi), PZP_OK, "%s: frame_info %u", what, i);
            if (is_delta && is_delta[i] >= 0)
                CHECK((int)fi.is_delta == is_delta[i], "%s: frame %u is_delta %u, expected %d", what, i, fi.is_delta,
                      is_delta[i]);
            uint8_t *out = xcalloc(frames[i].size);
            CHECK_RC(pzp_container_decode_frame(dc, c, i, out, frames[i].size, &info), PZP_OK, "%s: frame %u", what, i);
            CHECK(info.width == frames[i].p.width && info.height == frames[i].p.height &&
                      info.bpp == frames[i].p.bpp && info.channels == frames[i].p.channels &&
                      memcmp(out, frames[i].px, frames[i].size) == 0,
                  "%s: frame %u pixels", what, i);
            free(out);
        }
        /* Random access with a fresh context: last frame first. */
        pzp_dctx_free(dc);
        dc = pzp_dctx_create();
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = (n - 1 + k * 3) % n;
            uint8_t *out = xcalloc(frames[i].size);
            pzp_image_info info;
            CHECK_RC(pzp_container_decode_frame(dc, c, i, out, frames[i].size, &info), PZP_OK, "%s: random %u", what, i);
            CHECK(memcmp(out, frames[i].px, frames[i].size) == 0, "%s: random frame %u pixels", what, i);
            free(out);
        }
        pzp_dctx_free(dc);
        free(en);
        pzp_container_close(c);
    }
    free(d);
}

/* Number of entries in the temporary folder (the writer must leave no temporary file). */
static int tmpdir_entries(void)
{
    DIR *dd = opendir(g_tmpdir);
    if (!dd) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(dd);
    return n;
}

static void writer_frames_case(const char *what, uint32_t n, uint32_t expected, uint32_t interval, int mixed,
                               uint32_t loop)
{
    char path[4400];
    tmp_path(path, sizeof path, "w.pzp");
    tframe *fr = xcalloc(n * sizeof *fr);
    int *isd = xcalloc(n * sizeof *isd);
    uint32_t since_key = 0;
    for (uint32_t i = 0; i < n; i++) {
        int layout = mixed ? (i % 5 == 2 || i % 5 == 3) : 0;
        uint32_t conf = PZP_USE_RLE | PZP_USE_INTER_DELTA | ((mixed && i % 2) ? PZP_USE_LZ4 : 0);
        make_frame(&fr[i], i, layout, conf);
        int same = i > 0 && fr[i].p.width == fr[i - 1].p.width && fr[i].p.height == fr[i - 1].p.height &&
                   fr[i].p.bpp == fr[i - 1].p.bpp && fr[i].p.channels == fr[i - 1].p.channels;
        /* Key frames: frame 0, a layout change, and every interval frames. */
        isd[i] = same && (interval == 0 || since_key + 1 < interval);
        since_key = isd[i] ? since_key + 1 : 0;
    }
    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    o.loop_count = loop;
    o.keyframe_interval = interval;
    o.expected_frames = expected;
    o.flags = PZP_WRITER_NO_SYNC;
    pzp_writer *w = NULL;
    CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "%s: open", what);
    if (!w) goto out;
    for (uint32_t i = 0; i < n; i++) {
        CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, fr[i].delay), PZP_OK, "%s: add %u", what, i);
        CHECK(pzp_writer_frame_count(w) == i + 1, "%s: frame_count %u", what, pzp_writer_frame_count(w));
    }
    CHECK(!file_exists(path), "%s: file exists before close", what);
    CHECK_RC(pzp_writer_close(w), PZP_OK, "%s: close", what);
    CHECK(tmpdir_entries() == 1, "%s: %d entries in the folder after close", what, tmpdir_entries());
    verify_container(what, path, fr, n, loop, NULL, 0, NULL, 0, 0, isd);
    unlink(path);
out:
    for (uint32_t i = 0; i < n; i++) free(fr[i].px);
    free(fr);
    free(isd);
}

/* Writes frames to path as a container (no fsync). */
static int write_frames(const char *path, const tframe *fr, uint32_t n, uint32_t interval)
{
    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    o.keyframe_interval = interval;
    o.flags = PZP_WRITER_NO_SYNC;
    pzp_writer *w = NULL;
    int rc = pzp_writer_open(path, &o, &w);
    for (uint32_t i = 0; rc == PZP_OK && i < n; i++) rc = pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, fr[i].delay);
    if (rc == PZP_OK) return pzp_writer_close(w);
    pzp_writer_abort(w);
    return rc;
}

/* The delta cache of a context under random access patterns: repeats, jumps, staged
 * frames never finished, failed finishes, unrelated decodes in between. */
static void writer_cache_patterns(void)
{
    char path[4400], path2[4400], single[4400];
    tmp_path(path, sizeof path, "cache.pzp");
    tmp_path(path2, sizeof path2, "cache2.pzp");
    conf_path(single, sizeof single, "f_rgb16_rle", ".pzp");
    const uint32_t n = 24;
    tframe fr[24], fr2[24];
    for (uint32_t i = 0; i < n; i++) {
        int layout = (i >= 9 && i <= 10) ? 0 : 1; /* 16-bit GA, with an 8-bit RGB pair in the middle */
        make_frame(&fr[i], i, layout, PZP_USE_INTER_DELTA | (i % 4 == 1 ? PZP_USE_LZ4 : 0) | (i % 3 ? PZP_USE_RLE : 0));
        make_frame(&fr2[i], i + 7, layout, PZP_USE_INTER_DELTA | PZP_USE_RLE);
        for (size_t k = 0; k < fr2[i].size; k += 5) fr2[i].px[k] ^= 0x5A; /* differ from fr */
    }
    CHECK_RC(write_frames(path, fr, n, 0), PZP_OK, "cache: write");
    CHECK_RC(write_frames(path2, fr2, n, 0), PZP_OK, "cache: write 2");
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "cache: open");
    if (!c) return;
    size_t cap = 48 * 32 * 3;
    uint8_t *out = xmalloc(cap);
    pzp_dctx *d = pzp_dctx_create();
    uint64_t rs = 42;
    uint32_t last = 0;
    int rounds = g_quick ? 150 : 1500;
    for (int r = 0; r < rounds; r++) {
        int op = (int)(rng_next(&rs) % 10);
        uint32_t i = op == 1 ? last : op == 2 ? (last + 1) % n : (uint32_t)(rng_next(&rs) % n);
        pzp_image_info info;
        switch (op) {
        case 3: /* staged, never finished */
            CHECK_RC(pzp_container_decode_frame_begin(d, c, i, &info), PZP_OK, "cache: begin %u", i);
            continue;
        case 4: /* finish into a short buffer */
            CHECK_RC(pzp_container_decode_frame_begin(d, c, i, &info), PZP_OK, "cache: begin %u", i);
            CHECK_RC(pzp_decode_finish(d, out, (size_t)info.decoded_bytes - 1), PZP_E_BUFFER_TOO_SMALL,
                     "cache: short finish %u", i);
            continue;
        case 5: /* an unrelated image through the same context */
            CHECK_RC(pzp_decode_file_begin(d, single, &info), PZP_OK, "cache: single");
            continue;
        case 6:
            CHECK_RC(pzp_container_frame_info(d, c, i, &info), PZP_OK, "cache: frame_info %u", i);
            continue;
        default:
            break;
        }
        memset(out, 0xEE, cap);
        CHECK_RC(pzp_container_decode_frame(d, c, i, out, cap, op == 7 ? NULL : &info), PZP_OK, "cache: frame %u", i);
        CHECK(memcmp(out, fr[i].px, fr[i].size) == 0, "cache: round %d frame %u (after %u, op %d) differs", r, i, last, op);
        last = i;
    }
    /* Another container at (probably) the same address, same layouts, different pixels:
     * frame 5 of the new one must not be built on frame 4 of the old one. */
    CHECK_RC(pzp_container_decode_frame(d, c, 4, out, cap, NULL), PZP_OK, "cache: frame 4");
    pzp_container_close(c);
    c = NULL;
    CHECK_RC(pzp_container_open(path2, &c), PZP_OK, "cache: open 2");
    if (c) {
        CHECK_RC(pzp_container_decode_frame(d, c, 5, out, cap, NULL), PZP_OK, "cache: 2/5");
        CHECK(memcmp(out, fr2[5].px, fr2[5].size) == 0, "cache: frame 5 of a reopened container built on a stale frame");
        pzp_container_close(c);
    }
    /* The same buffer, reused for another file. */
    size_t s1 = 0, s2 = 0;
    uint8_t *m1 = read_whole_file(path, &s1), *m2 = read_whole_file(path2, &s2);
    uint8_t *buf = xmalloc(s1 > s2 ? s1 : s2);
    if (m1 && m2) {
        memcpy(buf, m1, s1);
        c = NULL;
        CHECK_RC(pzp_container_open_memory(buf, s1, &c), PZP_OK, "cache: memory 1");
        if (c) {
            CHECK_RC(pzp_container_decode_frame(d, c, 6, out, cap, NULL), PZP_OK, "cache: memory 1/6");
            pzp_container_close(c);
        }
        memcpy(buf, m2, s2);
        c = NULL;
        CHECK_RC(pzp_container_open_memory(buf, s2, &c), PZP_OK, "cache: memory 2");
        if (c) {
            CHECK_RC(pzp_container_decode_frame(d, c, 7, out, cap, NULL), PZP_OK, "cache: memory 2/7");
            CHECK(memcmp(out, fr2[7].px, fr2[7].size) == 0, "cache: reused buffer gave a stale delta base");
            pzp_container_close(c);
        }
    }
    free(buf);
    free(m1);
    free(m2);
    pzp_dctx_free(d);
    free(out);
    unlink(path);
    unlink(path2);
    for (uint32_t i = 0; i < n; i++) {
        free(fr[i].px);
        free(fr2[i].px);
    }
}

/* Enough frame data that closing with a wrong expected_frames moves several 1 MiB chunks. */
static void writer_big_moves(void)
{
    char path[4400];
    tmp_path(path, sizeof path, "bigmove.pzp");
    const uint32_t n = 5;
    tframe fr[5];
    uint64_t rs = 3;
    for (uint32_t i = 0; i < n; i++) {
        memset(&fr[i], 0, sizeof fr[i]);
        fr[i].p.width = 640; fr[i].p.height = 480; fr[i].p.bpp = 8; fr[i].p.channels = 3;
        fr[i].p.configuration = PZP_USE_LZ4;
        fr[i].size = 640 * 480 * 3;
        fr[i].px = xmalloc(fr[i].size);
        for (size_t k = 0; k < fr[i].size; k++) fr[i].px[k] = (uint8_t)rng_next(&rs); /* incompressible */
        fr[i].delay = i;
    }
    const uint32_t expects[] = {1, 2, 5, 6, 200};
    for (size_t e = 0; e < sizeof expects / sizeof expects[0]; e++) {
        pzp_writer_options o;
        memset(&o, 0, sizeof o);
        o.expected_frames = expects[e];
        o.flags = PZP_WRITER_NO_SYNC;
        pzp_writer *w = NULL;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "big: open");
        if (!w) continue;
        for (uint32_t i = 0; i < n; i++)
            CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, fr[i].delay), PZP_OK, "big: add");
        CHECK_RC(pzp_writer_set_metadata(w, "m", 1), PZP_OK, "big: meta");
        CHECK_RC(pzp_writer_close(w), PZP_OK, "big: close");
        char what[64];
        snprintf(what, sizeof what, "big frames, expected %u", expects[e]);
        verify_container(what, path, fr, n, 0, "m", 1, NULL, 0, 0, NULL);
        unlink(path);
    }
    for (uint32_t i = 0; i < n; i++) free(fr[i].px);
}

/* A full disk, simulated with RLIMIT_FSIZE: write errors are reported (Q24), the
 * writer enters its failed state, and neither the file nor a temporary file remains. */
static void writer_disk_full(void)
{
    char path[4400];
    tmp_path(path, sizeof path, "full.pzp");
    struct rlimit old, lim;
    if (getrlimit(RLIMIT_FSIZE, &old) != 0) return;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    const size_t cap = 20000;
    tframe fr[6];
    uint64_t rs = 11;
    for (uint32_t i = 0; i < 6; i++) {
        memset(&fr[i], 0, sizeof fr[i]);
        fr[i].p.width = 64; fr[i].p.height = 32; fr[i].p.bpp = 8; fr[i].p.channels = 3;
        fr[i].size = 64 * 32 * 3;
        fr[i].px = xmalloc(fr[i].size);
        for (size_t k = 0; k < fr[i].size; k++) fr[i].px[k] = (uint8_t)rng_next(&rs); /* ~6 KB each */
    }
    lim = old;
    lim.rlim_cur = cap;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) {
        CHECK(0, "setrlimit: %s", strerror(errno));
    } else {
        pzp_writer_options o;
        memset(&o, 0, sizeof o);
        o.flags = PZP_WRITER_NO_SYNC;
        pzp_writer *w = NULL;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "full: open");
        int failed_at = -1, rc = PZP_OK;
        for (int i = 0; w && i < 6; i++) {
            rc = pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, 0);
            if (rc != PZP_OK) {
                failed_at = i;
                break;
            }
        }
        if (w && failed_at >= 0) {
            CHECK(rc == PZP_E_IO, "full: add_frame -> %d (%s)", rc, pzp_last_error());
            CHECK(pzp_last_os_error() == EFBIG, "full: errno %d", pzp_last_os_error());
            CHECK_RC(pzp_writer_add_frame(w, &fr[0].p, fr[0].px, fr[0].size, 0), PZP_E_BAD_STATE, "full: add after failure");
            CHECK_RC(pzp_writer_add_blob(w, "\x10\x00\x00\x00", 4, 0), PZP_E_BAD_STATE, "full: add_blob after failure");
            rc = pzp_writer_close(w);
            CHECK(rc == PZP_E_BAD_STATE || rc == PZP_E_IO, "full: close after failure -> %d", rc);
        } else if (w) {
            CHECK(0, "full: 6 frames of ~6 KB fitted in %zu bytes", cap);
            rc = pzp_writer_close(w);
            CHECK(rc != PZP_OK, "full: close succeeded over the size limit");
        }
        CHECK(!file_exists(path), "full: a file was left");
        CHECK(tmpdir_entries() == 0, "full: %d files left in the folder", tmpdir_entries());

        /* Frames fit but the index move / metadata on close does not. */
        w = NULL;
        o.expected_frames = 1;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "full: open 2");
        for (int i = 0; w && i < 3; i++)
            CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, 0), PZP_OK, "full: add %d", i);
        static uint8_t meta[8192];
        if (w) CHECK_RC(pzp_writer_set_metadata(w, meta, sizeof meta), PZP_OK, "full: metadata");
        if (w) CHECK_RC(pzp_writer_close(w), PZP_E_IO, "full: close writing the metadata");
        CHECK(!file_exists(path), "full: a file was left after a failed close");
        CHECK(tmpdir_entries() == 0, "full: %d files left after a failed close", tmpdir_entries());

        /* pzp_write_file. */
        pzp_encode_params p = fr[0].p;
        p.width = 64; p.height = 192; /* 6 frames of random bytes: ~37 KB */
        uint8_t *px = xmalloc((size_t)64 * 192 * 3);
        for (int i = 0; i < 6; i++) memcpy(px + (size_t)i * fr[0].size, fr[i].px, fr[i].size);
        CHECK_RC(pzp_write_file(NULL, &p, px, (size_t)64 * 192 * 3, path), PZP_E_IO, "full: write_file");
        CHECK(!file_exists(path), "full: write_file left a file");
        CHECK(tmpdir_entries() == 0, "full: write_file left %d files", tmpdir_entries());
        free(px);
        CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0, "restore RLIMIT_FSIZE");
    }
    signal(SIGXFSZ, old_handler);
    for (uint32_t i = 0; i < 6; i++) free(fr[i].px);
}

static void test_writer(void)
{
    char path[4400], what[200];
    tmp_path(path, sizeof path, "w.pzp");
    const uint32_t n = 7;
    const uint32_t expects[] = {n, 2, n + 9, 0, 1};
    const uint32_t intervals[] = {0, 1, 3};
    for (size_t e = 0; e < sizeof expects / sizeof expects[0]; e++)
        for (size_t k = 0; k < sizeof intervals / sizeof intervals[0]; k++)
            for (int mixed = 0; mixed < 2; mixed++) {
                snprintf(what, sizeof what, "expected %u interval %u%s", expects[e], intervals[k],
                         mixed ? " mixed" : "");
                writer_frames_case(what, n, expects[e], intervals[k], mixed, (uint32_t)(e * 3 + k));
            }
    writer_frames_case("one frame", 1, 1, 0, 0, 1);
    writer_frames_case("one frame, expected 0", 1, 0, 0, 0, 0);
    writer_frames_case("40 frames, interval 5", 40, 0, 5, 0, 0);
    writer_cache_patterns();
    if (!g_quick) writer_big_moves();
    writer_disk_full();

    /* Metadata and audio: every tag, replacing and removing. */
    static const uint32_t tags[] = {PZP_AUDIO_WAVE, PZP_AUDIO_MPEG, PZP_AUDIO_OGG, PZP_AUDIO_FLAC};
    tframe fr[3];
    for (uint32_t i = 0; i < 3; i++) make_frame(&fr[i], i, i == 1, PZP_USE_RLE);
    uint8_t audio[3001], meta[517];
    uint64_t st = 5;
    for (size_t i = 0; i < sizeof audio; i++) audio[i] = (uint8_t)rng_next(&st);
    for (size_t i = 0; i < sizeof meta; i++) meta[i] = (uint8_t)(i * 7);
    for (int t = 0; t < 4; t++)
        for (int variant = 0; variant < 6; variant++) {
            /* 0 meta+audio, 1 audio only, 2 meta only, 3 audio removed, 4 meta removed, 5 set after frames */
            snprintf(what, sizeof what, "tag %08X variant %d", tags[t], variant);
            pzp_writer_options o;
            memset(&o, 0, sizeof o);
            o.flags = PZP_WRITER_NO_SYNC;
            o.expected_frames = 3;
            o.loop_count = 7;
            pzp_writer *w = NULL;
            CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "%s: open", what);
            if (!w) continue;
            size_t ms = (variant == 1 || variant == 4) ? 0 : sizeof meta - (size_t)t;
            size_t as = (variant == 2 || variant == 3) ? 0 : sizeof audio - (size_t)t * 5;
            if (variant != 5) {
                CHECK_RC(pzp_writer_set_metadata(w, "old metadata", 12), PZP_OK, "%s: meta old", what);
                CHECK_RC(pzp_writer_set_audio(w, "RIFF", 4, PZP_AUDIO_WAVE), PZP_OK, "%s: audio old", what);
                CHECK_RC(pzp_writer_set_audio(w, audio, 10, 0x12345678u), PZP_E_INVALID_ARGUMENT, "%s: bad tag", what);
                CHECK_RC(pzp_writer_set_audio(w, audio, 10, 0), PZP_E_INVALID_ARGUMENT, "%s: tag 0", what);
                CHECK_RC(pzp_writer_set_audio(w, audio, 10, 0x4F474753u), PZP_E_INVALID_ARGUMENT, "%s: OGGS", what);
                CHECK_RC(pzp_writer_set_audio(w, NULL, 10, tags[t]), PZP_E_INVALID_ARGUMENT, "%s: NULL audio", what);
                CHECK_RC(pzp_writer_set_metadata(w, NULL, 10), PZP_E_INVALID_ARGUMENT, "%s: NULL meta", what);
                CHECK_RC(pzp_writer_set_metadata(w, meta, ms), PZP_OK, "%s: meta", what);
                CHECK_RC(pzp_writer_set_audio(w, audio, as, tags[t]), PZP_OK, "%s: audio", what);
                if (variant == 3) CHECK_RC(pzp_writer_set_audio(w, audio, 100, tags[t]), PZP_OK, "%s: audio", what);
                if (variant == 3) CHECK_RC(pzp_writer_set_audio(w, NULL, 0, 0), PZP_OK, "%s: remove audio", what);
                if (variant == 4) CHECK_RC(pzp_writer_set_metadata(w, meta, 100), PZP_OK, "%s: meta", what);
                if (variant == 4) CHECK_RC(pzp_writer_set_metadata(w, NULL, 0), PZP_OK, "%s: remove meta", what);
            }
            for (uint32_t i = 0; i < 3; i++)
                CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, fr[i].delay), PZP_OK, "%s: add", what);
            if (variant == 5) {
                CHECK_RC(pzp_writer_set_audio(w, audio, as, tags[t]), PZP_OK, "%s: audio", what);
                CHECK_RC(pzp_writer_set_metadata(w, meta, ms), PZP_OK, "%s: meta", what);
            }
            CHECK_RC(pzp_writer_close(w), PZP_OK, "%s: close", what);
            verify_container(what, path, fr, 3, 7, meta, ms, audio, as, tags[t], NULL);
            unlink(path);
        }

    /* add_blob: blobs from another container, then a frame that must be a key frame. */
    {
        char src[4400];
        tmp_path(src, sizeof src, "src.pzp");
        tframe f4[4];
        for (uint32_t i = 0; i < 4; i++) make_frame(&f4[i], i, 0, PZP_USE_RLE | PZP_USE_INTER_DELTA);
        pzp_writer_options o;
        memset(&o, 0, sizeof o);
        o.flags = PZP_WRITER_NO_SYNC;
        pzp_writer *w = NULL;
        CHECK_RC(pzp_writer_open(src, &o, &w), PZP_OK, "blob src open");
        for (uint32_t i = 0; w && i < 3; i++)
            CHECK_RC(pzp_writer_add_frame(w, &f4[i].p, f4[i].px, f4[i].size, f4[i].delay), PZP_OK, "blob src add");
        if (w) CHECK_RC(pzp_writer_close(w), PZP_OK, "blob src close");
        pzp_container *c = NULL;
        CHECK_RC(pzp_container_open(src, &c), PZP_OK, "blob src reopen");
        w = NULL;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "blob open");
        if (c && w) {
            pzp_frame_entry e[3];
            CHECK_RC(pzp_container_get_entries(c, 0, 3, e), PZP_OK, "blob entries");
            for (uint32_t i = 0; i < 3; i++) {
                uint8_t *b = xmalloc((size_t)e[i].size);
                CHECK_RC(pzp_container_read_blob(c, i, b, (size_t)e[i].size), PZP_OK, "read_blob");
                if (e[i].size > 1)
                    CHECK_RC(pzp_container_read_blob(c, i, b, (size_t)e[i].size - 1), PZP_E_BUFFER_TOO_SMALL,
                             "read_blob short");
                CHECK_RC(pzp_container_read_blob(c, i, b, (size_t)e[i].size), PZP_OK, "read_blob");
                CHECK_RC(pzp_writer_add_blob(w, b, (size_t)e[i].size, e[i].delay_ms), PZP_OK, "add_blob %u", i);
                free(b);
            }
            CHECK_RC(pzp_writer_add_blob(w, "\x01\x00", 2, 0), PZP_E_TRUNCATED, "add_blob of 2 bytes");
            CHECK_RC(pzp_writer_add_frame(w, &f4[3].p, f4[3].px, f4[3].size, f4[3].delay), PZP_OK, "add after blobs");
            CHECK_RC(pzp_writer_close(w), PZP_OK, "blob close");
            w = NULL;
            int isd[4] = {0, 1, 1, 0};
            verify_container("add_blob", path, f4, 4, 0, NULL, 0, NULL, 0, 0, isd);
        }
        pzp_writer_abort(w);
        pzp_container_close(c);
        unlink(src);
        unlink(path);
        for (uint32_t i = 0; i < 4; i++) free(f4[i].px);
    }

    /* Refused frames (Q8: zero sizes) do not end up in the container. */
    {
        pzp_writer *w = NULL;
        CHECK_RC(pzp_writer_open(path, NULL, &w), PZP_OK, "open (NULL options)");
        if (w) {
            pzp_encode_params z = fr[0].p;
            z.width = 0;
            CHECK_RC(pzp_writer_add_frame(w, &z, fr[0].px, 0, 0), PZP_E_INVALID_ARGUMENT, "zero width frame");
            z = fr[0].p;
            z.height = 0;
            CHECK_RC(pzp_writer_add_frame(w, &z, fr[0].px, 0, 0), PZP_E_INVALID_ARGUMENT, "zero height frame");
            CHECK(pzp_writer_frame_count(w) == 0, "refused frames counted");
            CHECK_RC(pzp_writer_add_frame(w, &fr[0].p, fr[0].px, fr[0].size - 1, 0), PZP_E_INVALID_ARGUMENT,
                     "pixel buffer one byte short");
            /* a refused frame leaves the writer usable (pzp.h) */
            CHECK_RC(pzp_writer_add_frame(w, &fr[0].p, fr[0].px, fr[0].size, fr[0].delay), PZP_OK, "add after refusals");
            CHECK_RC(pzp_writer_close(w), PZP_OK, "close after refusals");
            verify_container("after refused frames", path, fr, 1, 0, NULL, 0, NULL, 0, 0, NULL);
            unlink(path);
        }
    }

    /* Abort, close with 0 frames, an existing file. */
    {
        pzp_writer_options o;
        memset(&o, 0, sizeof o);
        pzp_writer *w = NULL;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "abort: open");
        if (w) CHECK_RC(pzp_writer_add_frame(w, &fr[0].p, fr[0].px, fr[0].size, 5), PZP_OK, "abort: add");
        pzp_writer_abort(w);
        CHECK(!file_exists(path), "abort left a file");
        CHECK(tmpdir_entries() == 0, "abort left %d files in the folder", tmpdir_entries());
        pzp_writer_abort(NULL);

        w = NULL;
        CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "empty: open");
        if (w) CHECK_RC(pzp_writer_close(w), PZP_E_INVALID_ARGUMENT, "close with 0 frames");
        CHECK(!file_exists(path), "close with 0 frames left a file");
        CHECK(tmpdir_entries() == 0, "close with 0 frames left %d files in the folder", tmpdir_entries());

        static const char old[] = "an existing file that must survive";
        CHECK(write_whole_file(path, old, sizeof old) == 0, "write old file");
        for (int ending = 0; ending < 3; ending++) {
            w = NULL;
            CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "existing: open");
            if (!w) continue;
            if (ending != 1)
                for (uint32_t i = 0; i < 3; i++)
                    CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, fr[i].delay), PZP_OK, "add");
            size_t sz = 0;
            uint8_t *cur = read_whole_file(path, &sz);
            CHECK(cur && sz == sizeof old && memcmp(cur, old, sz) == 0, "existing file changed before close");
            free(cur);
            if (ending == 0) {
                pzp_writer_abort(w);
            } else if (ending == 1) {
                CHECK_RC(pzp_writer_close(w), PZP_E_INVALID_ARGUMENT, "existing: close with 0 frames");
            } else {
                CHECK_RC(pzp_writer_close(w), PZP_OK, "existing: close");
            }
            cur = read_whole_file(path, &sz);
            if (ending < 2)
                CHECK(cur && sz == sizeof old && memcmp(cur, old, sz) == 0, "existing file changed (ending %d)", ending);
            free(cur);
            CHECK(tmpdir_entries() == 1, "ending %d: %d files in the folder", ending, tmpdir_entries());
        }
        verify_container("replaced existing file", path, fr, 3, 0, NULL, 0, NULL, 0, 0, NULL);
        unlink(path);

        /* pzp_write_file over an existing file; a failing one leaves it alone. */
        CHECK(write_whole_file(path, old, sizeof old) == 0, "write old file");
        pzp_encode_params bad = fr[0].p;
        bad.bpp = 12;
        CHECK_RC(pzp_write_file(NULL, &bad, fr[0].px, fr[0].size, path), PZP_E_INVALID_ARGUMENT, "write_file bpp 12");
        size_t sz = 0;
        uint8_t *cur = read_whole_file(path, &sz);
        CHECK(cur && sz == sizeof old && memcmp(cur, old, sz) == 0, "failed write_file changed the file");
        free(cur);
        CHECK(tmpdir_entries() == 1, "failed write_file left %d files", tmpdir_entries());
        CHECK_RC(pzp_write_file(NULL, &fr[0].p, fr[0].px, fr[0].size, path), PZP_OK, "write_file over a file");
        fr[0].delay = 0;
        verify_container("write_file", path, fr, 1, 1, NULL, 0, NULL, 0, 0, NULL);
        unlink(path);

        /* A folder that does not exist. */
        char nodir[4400];
        tmp_path(nodir, sizeof nodir, "no/such/dir/x.pzp");
        w = NULL;
        int rc = pzp_writer_open(nodir, &o, &w);
        CHECK(rc == PZP_E_IO && w == NULL, "writer_open in a missing folder -> %d", rc);
        CHECK(rc != PZP_E_IO || pzp_last_os_error() == ENOENT, "os error %d", pzp_last_os_error());
        pzp_writer_abort(w);
        CHECK_RC(pzp_write_file(NULL, &fr[0].p, fr[0].px, fr[0].size, nodir), PZP_E_IO, "write_file missing folder");
    }
    for (uint32_t i = 0; i < 3; i++) free(fr[i].px);
}

/* ---- Crafted files (FORMAT.md quirks) --------------------------------------
 * Payloads are wrapped in zstd frames made of raw (stored) blocks, so any
 * payload can be built without linking zstd. */

typedef struct bbuf {
    uint8_t *p;
    size_t n, cap;
} bbuf;

static void b_put(bbuf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(2);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void b_u8(bbuf *b, uint32_t v)
{
    uint8_t x = (uint8_t)v;
    b_put(b, &x, 1);
}

static void b_u32(bbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    b_put(b, x, 4);
}

static void set_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* One zstd frame (content size present, raw blocks) holding data. */
static void zstd_raw_frame(bbuf *b, const uint8_t *data, size_t n)
{
    b_u32(b, 0xFD2FB528u);
    b_u8(b, 0xA0); /* FCS 4 bbuf, single segment */
    b_u32(b, (uint32_t)n);
    size_t at = 0;
    do {
        size_t len = n - at > 65536 ? 65536 : n - at;
        uint32_t last = at + len == n;
        uint32_t h = (uint32_t)(len << 3) | last; /* type 0 = raw */
        b_u8(b, h);
        b_u8(b, h >> 8);
        b_u8(b, h >> 16);
        b_put(b, data + at, len);
        at += len;
    } while (at < n);
}

/* A frame blob: prefix + zstd frame(s) of the payload (split in two frames if split), plus trailing junk. */
static bbuf make_blob(const bbuf *payload, uint32_t declared, int split, int trailing)
{
    bbuf b = {0};
    b_u32(&b, declared);
    if (split && payload->n > 1) {
        zstd_raw_frame(&b, payload->p, payload->n / 2);
        zstd_raw_frame(&b, payload->p + payload->n / 2, payload->n - payload->n / 2);
    } else {
        zstd_raw_frame(&b, payload->p, payload->n);
    }
    for (int i = 0; i < trailing; i++) b_u8(&b, 0);
    return b;
}

typedef struct craft {
    uint32_t magic, bpp, channels, width, height, bpp_int, channels_int, checksum, config, palette_bytes;
    int groups;                 /* -1: no table (PZP0), else count */
    uint8_t table[8][4];
    const uint8_t *palette;     /* palette_len bbuf */
    size_t palette_len;
    const uint8_t *pixels;      /* stored pixel bbuf */
    size_t pixels_len;
    size_t extra;               /* zero bbuf after the pixel data */
} craft;

static bbuf make_payload(const craft *c)
{
    bbuf b = {0};
    b_u32(&b, c->magic);
    b_u32(&b, c->bpp);
    b_u32(&b, c->channels);
    b_u32(&b, c->width);
    b_u32(&b, c->height);
    b_u32(&b, c->bpp_int);
    b_u32(&b, c->channels_int);
    b_u32(&b, c->checksum ? c->checksum : pzp_checksum(c->pixels, c->pixels_len));
    b_u32(&b, c->config);
    b_u32(&b, c->palette_bytes);
    if (c->groups >= 0) {
        b_u8(&b, (uint32_t)c->groups);
        b_put(&b, c->table, 4u * (uint32_t)c->groups);
    }
    if (c->palette_len) b_put(&b, c->palette, c->palette_len);
    b_put(&b, c->pixels, c->pixels_len);
    for (size_t i = 0; i < c->extra; i++) b_u8(&b, 0);
    return b;
}

typedef struct centry {
    const bbuf *blob;
    int64_t offset;  /* -1: where it is placed */
    int64_t size;    /* -1: the blob's size */
} centry;

/* A container with the given blobs; metadata/audio fields as given (offsets -1: placed after the frames). */
static bbuf make_container(const centry *e, uint32_t n, uint32_t frame_count, uint32_t flags, const char *meta,
                            int64_t meta_off, int64_t meta_len, uint32_t version)
{
    bbuf b = {0};
    uint8_t head[48] = {0};
    b_put(&b, head, 48);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t z[16] = {0};
        b_put(&b, z, 16);
    }
    uint64_t at = b.n;
    for (uint32_t i = 0; i < n; i++) {
        set_u32(b.p + 48 + 16 * i, (uint32_t)(e[i].offset >= 0 ? (uint64_t)e[i].offset : at));
        set_u32(b.p + 52 + 16 * i, (uint32_t)(e[i].size >= 0 ? (uint64_t)e[i].size : e[i].blob->n));
        set_u32(b.p + 56 + 16 * i, 10 * i);
        b_put(&b, e[i].blob->p, e[i].blob->n);
        at += e[i].blob->n;
    }
    uint64_t mo = 0, ml = 0;
    if (meta) {
        mo = meta_off >= 0 ? (uint64_t)meta_off : b.n;
        ml = meta_len >= 0 ? (uint64_t)meta_len : strlen(meta);
        b_put(&b, meta, strlen(meta));
    }
    set_u32(b.p, 0x505A5030u);
    set_u32(b.p + 4, version);
    set_u32(b.p + 8, flags);
    set_u32(b.p + 12, frame_count);
    set_u32(b.p + 16, 0);
    set_u32(b.p + 20, (uint32_t)mo);
    set_u32(b.p + 24, (uint32_t)ml);
    set_u32(b.p + 40, pzp_checksum(b.p, 40));
    return b;
}

static bbuf single_file(const bbuf *blob)
{
    centry e = {blob, -1, -1};
    return make_container(&e, 1, 1, 0, NULL, 0, 0, 1);
}

/* A valid 8-bit RGB 4x3 frame, stored with predictor NONE, as the base of the variants. */
static const uint8_t g_craft_px[36] = {10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33, 40, 50, 60, 41, 51, 61,
                                       42, 52, 62, 43, 53, 63, 70, 80, 90, 71, 81, 91, 72, 82, 92, 73, 83, 93};

static craft base_craft(void)
{
    craft c;
    memset(&c, 0, sizeof c);
    c.magic = 0x505A5031u;
    c.bpp = 8; c.channels = 3; c.width = 4; c.height = 3; c.bpp_int = 8; c.channels_int = 3;
    c.config = PZP_USE_COMPRESSION;
    c.groups = 1;
    c.table[0][0] = 3; c.table[0][1] = 8; c.table[0][2] = 0;
    c.pixels = g_craft_px;
    c.pixels_len = sizeof g_craft_px;
    return c;
}

/* Decodes a crafted single-frame file from memory: the result code, pixels in out (36 bbuf). */
static int craft_decode(const craft *c, uint32_t declared_delta, int split, int trailing, uint8_t *out, size_t cap)
{
    bbuf pl = make_payload(c);
    bbuf blob = make_blob(&pl, (uint32_t)pl.n + declared_delta, split, trailing);
    bbuf f = single_file(&blob);
    pzp_image_info info;
    int rc = pzp_decode(NULL, f.p, f.n, out, cap, &info);
    /* The frame checksum is right unless the test set one: verification agrees. */
    if (rc == PZP_OK && !c->checksum) {
        pzp_dctx *d = pzp_dctx_create();
        pzp_dctx_set_options(d, PZP_DECODE_VERIFY_CHECKSUM);
        int rv = pzp_decode(d, f.p, f.n, out, cap, &info);
        CHECK(rv == PZP_OK, "crafted frame fails checksum verification: %d (%s)", rv, pzp_last_error());
        pzp_dctx_free(d);
    }
    free(pl.p);
    free(blob.p);
    free(f.p);
    return rc;
}

static void errors_crafted(void)
{
    uint8_t out[4096];
    craft c;

    /* The crafting itself: a valid frame, with the payload in one or two zstd frames. */
    c = base_craft();
    memset(out, 0, sizeof out);
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "crafted frame");
    CHECK(memcmp(out, g_craft_px, 36) == 0, "crafted frame pixels");
    CHECK_RC(craft_decode(&c, 0, 1, 0, out, sizeof out), PZP_OK, "payload in two zstd frames (accepted, Q22)");
    CHECK(memcmp(out, g_craft_px, 36) == 0, "two zstd frames: pixels");
    CHECK(craft_decode(&c, 0, 0, 1, out, sizeof out) != PZP_OK, "a byte after the zstd frame accepted (Q22)");
    CHECK_RC(craft_decode(&c, 1, 0, 0, out, sizeof out), PZP_E_CORRUPT, "declared size one more than the payload");
    c.extra = 5;
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "extra bbuf after the pixel data (tolerated)");
    CHECK(memcmp(out, g_craft_px, 36) == 0, "extra bbuf: pixels");
    c = base_craft();
    c.config = 0;
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "configuration 0 (Q19)");
    c.config = PZP_USE_LZ4 | PZP_USE_COMPRESSION;
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "LZ4 bit on a zstd blob (Q19)");
    CHECK(memcmp(out, g_craft_px, 36) == 0, "LZ4 bit: pixels");

    /* Pixel data one byte short. */
    c = base_craft();
    c.pixels_len = 35;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "pixel data one byte short accepted");

    /* Q14: header fields are checked against each other. */
    c = base_craft(); c.bpp = 12;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "bpp_ext 12 accepted");
    c = base_craft(); c.bpp_int = 16;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "bpp_int 16 accepted");
    c = base_craft(); c.bpp_int = 9; c.magic = 0x505A5030u; c.groups = -1;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "PZP0 with bpp_int 9 accepted");
    c = base_craft(); c.channels = 2;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "channels_int != channels_ext accepted");
    c = base_craft(); c.bpp = 16; c.channels = 3; /* 16-bit needs 6 internal channels */
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "16-bit with channels_int = channels accepted");
    c = base_craft(); c.palette_bytes = 4; c.palette = (const uint8_t *)"\x00\x00\x00\x00"; c.palette_len = 4;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "palette_bytes without the palette flag accepted");
    c = base_craft(); c.width = 0; c.pixels_len = 0;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "width 0 accepted");
    c = base_craft(); c.width = 0x40000001u; /* width * height * 3 wraps 32 bits to 9 */
    c.pixels_len = 9;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "wrapping dimensions accepted");
    c = base_craft(); c.magic = 0x505A5032u;
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_UNSUPPORTED, "inner magic PZP2");
    /* Group tables. */
    c = base_craft(); c.table[0][0] = 2;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "table covering 2 of 3 channels accepted");
    c = base_craft(); c.groups = 0;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "0 groups accepted");
    c = base_craft(); c.table[0][3] = 1;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "group reserved byte accepted");
    c = base_craft(); c.groups = 2; c.table[0][0] = 1; c.table[1][0] = 2; c.table[1][1] = 16; c.table[1][2] = 2;
    CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "u8 + u16 gradient table");
    c = base_craft(); c.groups = 2; c.table[0][0] = 1; c.table[1][0] = 2; c.table[1][1] = 16; c.table[1][2] = 1;
    CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "u16 group with LEFT accepted");

    /* Palettes: Q6 (indices out of range) and Q3 (more than 8 channels). */
    {
        /* channel palettes: {10,11,12,13,40..}: use 2 values per channel, indices 0/1 */
        static const uint8_t pal[] = {1, 5, 9, 1, 6, 200, 0, 7};
        uint8_t idx[12 * 3];
        for (int i = 0; i < 12; i++) {
            idx[i * 3] = (uint8_t)(i & 1);
            idx[i * 3 + 1] = (uint8_t)(i > 5);
            idx[i * 3 + 2] = 0;
        }
        c = base_craft();
        c.config |= PZP_USE_PALETTE;
        c.palette = pal; c.palette_len = sizeof pal; c.palette_bytes = sizeof pal;
        c.pixels = idx; c.pixels_len = sizeof idx;
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "crafted palette frame");
        int ok = 1;
        for (int i = 0; i < 12; i++)
            ok &= out[i * 3] == ((i & 1) ? 9 : 5) && out[i * 3 + 1] == (i > 5 ? 200 : 6) && out[i * 3 + 2] == 7;
        CHECK(ok, "crafted palette frame: pixels");
        idx[3 * 7 + 2] = 1; /* channel 2 has one value: index 1 is out of range */
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_CORRUPT, "palette index out of range (Q6)");
        idx[3 * 7 + 2] = 0;
        idx[3 * 11] = 255;
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_CORRUPT, "palette index 255 (Q6)");
        idx[3 * 11] = 0;
        c.palette_bytes = sizeof pal - 1; /* does not match the parsed length */
        CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "palette_bytes mismatch accepted");
        static const uint8_t unsorted[] = {1, 9, 5, 1, 6, 200, 0, 7};
        c.palette = unsorted; c.palette_bytes = sizeof unsorted;
        int rc = craft_decode(&c, 0, 0, 0, out, sizeof out);
        CHECK(rc == PZP_OK || rc == PZP_E_CORRUPT, "unsorted palette -> %d", rc);
        /* Big enough for the vector lookup (lcm(16, 3) = 48 bytes per block):
         * channels with 2 and 12 values take the table shuffles, the one
         * with 192 values the scalar pass; bad indices inside the vectorised
         * part of either kind of channel are found. */
        uint8_t bigpal[3 + 2 + 12 + 192], bigidx[132 * 3];
        size_t at = 0;
        const uint32_t counts[3] = {2, 12, 192};
        for (int ch = 0; ch < 3; ch++) {
            bigpal[at++] = (uint8_t)(counts[ch] - 1);
            for (uint32_t k = 0; k < counts[ch]; k++) bigpal[at++] = (uint8_t)(ch == 2 ? k + 30 : 3 * k + ch);
        }
        for (int i = 0; i < 132; i++) {
            bigidx[i * 3] = (uint8_t)(i % 2);
            bigidx[i * 3 + 1] = (uint8_t)(i % 12);
            bigidx[i * 3 + 2] = (uint8_t)((i * 7) % 192);
        }
        c = base_craft();
        c.config |= PZP_USE_PALETTE;
        c.width = 33; c.height = 4; /* 396 bytes: 8 blocks of 48, then 4 pixels for the scalar pass */
        c.palette = bigpal; c.palette_len = sizeof bigpal; c.palette_bytes = sizeof bigpal;
        c.pixels = bigidx; c.pixels_len = sizeof bigidx;
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_OK, "3-channel palette, 2/12/192 values");
        ok = 1;
        for (int i = 0; i < 132; i++)
            ok &= out[i * 3] == 3 * (i % 2) && out[i * 3 + 1] == 3 * (i % 12) + 1 && out[i * 3 + 2] == (i * 7) % 192 + 30;
        CHECK(ok, "3-channel palette, 2/12/192 values: pixels");
        bigidx[3 * 5 + 1] = 12; /* channel 1 has 12 values: index 12 is one past its list */
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_CORRUPT, "small-palette index out of range (Q6)");
        bigidx[3 * 5 + 1] = 5;
        bigidx[3 * 9 + 2] = 192; /* channel 2 has 192 values */
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_CORRUPT, "large-palette index out of range (Q6)");
        bigidx[3 * 9 + 2] = (9 * 7) % 192;
        bigidx[3 * 131] = 2; /* in the scalar tail, in the smallest channel */
        CHECK_RC(craft_decode(&c, 0, 0, 0, out, sizeof out), PZP_E_CORRUPT, "palette index out of range in the tail");
        /* palette with 9 internal channels (Q3): refused, not overflowing */
        uint8_t pal9[9 * 2], px9[2 * 9];
        for (int i = 0; i < 9; i++) { pal9[2 * i] = 0; pal9[2 * i + 1] = (uint8_t)i; px9[i] = 0; px9[9 + i] = 0; }
        c = base_craft();
        c.config |= PZP_USE_PALETTE;
        c.channels = 9; c.channels_int = 9; c.width = 2; c.height = 1;
        c.table[0][0] = 9;
        c.palette = pal9; c.palette_len = sizeof pal9; c.palette_bytes = sizeof pal9;
        c.pixels = px9; c.pixels_len = sizeof px9;
        CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "palette with 9 channels accepted (Q3)");
        /* palette with a 16-bit group */
        c = base_craft();
        c.config |= PZP_USE_PALETTE;
        c.groups = 2; c.table[0][0] = 1; c.table[1][0] = 2; c.table[1][1] = 16; c.table[1][2] = 2;
        c.palette = pal; c.palette_len = sizeof pal; c.palette_bytes = sizeof pal;
        c.pixels = idx; c.pixels_len = sizeof idx;
        CHECK(craft_decode(&c, 0, 0, 0, out, sizeof out) != PZP_OK, "palette with a 16-bit group accepted");
    }

    /* Containers: Q13 (index validation), Q24 (flag set, length 0), inter-frame delta rules. */
    {
        craft c0 = base_craft();
        bbuf p0 = make_payload(&c0);
        bbuf b0 = make_blob(&p0, (uint32_t)p0.n, 0, 0);
        /* frame 1: the byte-wise difference to frame 0 is 1 everywhere */
        uint8_t d1[36], f1[36], ones[36];
        memset(ones, 1, sizeof ones);
        for (int i = 0; i < 36; i++) f1[i] = (uint8_t)(g_craft_px[i] + 1);
        memcpy(d1, ones, sizeof d1);
        craft c1 = base_craft();
        c1.config |= PZP_USE_INTER_DELTA;
        c1.pixels = d1;
        bbuf p1 = make_payload(&c1);
        bbuf b1 = make_blob(&p1, (uint32_t)p1.n, 0, 0);
        /* a 2x1 frame with the delta flag: its layout differs, so the flag is ignored */
        craft c2 = base_craft();
        c2.width = 2; c2.height = 1; c2.pixels_len = 6; c2.config |= PZP_USE_INTER_DELTA;
        bbuf p2 = make_payload(&c2);
        bbuf b2 = make_blob(&p2, (uint32_t)p2.n, 0, 0);

        centry e[3] = {{&b0, -1, -1}, {&b1, -1, -1}, {&b2, -1, -1}};
        bbuf f = make_container(e, 3, 3, 0, NULL, 0, 0, 1);
        pzp_container *ct = NULL;
        pzp_image_info info;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "crafted container");
        if (ct) {
            CHECK_RC(pzp_container_decode_frame(NULL, ct, 1, out, sizeof out, &info), PZP_OK, "delta frame");
            CHECK(memcmp(out, f1, 36) == 0, "delta frame pixels");
            CHECK(info.is_delta == 1, "delta frame is_delta");
            CHECK_RC(pzp_container_decode_frame(NULL, ct, 2, out, sizeof out, &info), PZP_OK, "layout change");
            CHECK(memcmp(out, g_craft_px, 6) == 0, "delta flag ignored on a layout change");
            CHECK(info.is_delta == 0, "layout change: is_delta %u", info.is_delta);
            pzp_container_close(ct);
        }
        free(f.p);
        /* delta flag on frame 0: ignored */
        centry e1[1] = {{&b1, -1, -1}};
        f = make_container(e1, 1, 1, 0, NULL, 0, 0, 1);
        CHECK_RC(pzp_decode(NULL, f.p, f.n, out, sizeof out, &info), PZP_OK, "delta flag on frame 0");
        CHECK(memcmp(out, ones, 36) == 0, "delta flag on frame 0 ignored");
        free(f.p);

        /* Index entries into the header, past the end, too small: those frames fail, the others decode. */
        centry bad[5] = {{&b0, -1, -1}, {&b0, 0, -1}, {&b0, 100000, -1}, {&b0, -1, 3}, {&b0, -1, -1}};
        f = make_container(bad, 5, 5, 0, NULL, 0, 0, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "damaged index");
        if (ct) {
            pzp_frame_entry fe[5];
            CHECK_RC(pzp_container_get_entries(ct, 0, 5, fe), PZP_OK, "entries");
            const int valid[5] = {1, 0, 0, 0, 1};
            for (uint32_t i = 0; i < 5; i++) {
                CHECK((int)fe[i].valid == valid[i], "entry %u valid %u", i, fe[i].valid);
                int rc = pzp_container_decode_frame(NULL, ct, i, out, sizeof out, &info);
                CHECK(valid[i] ? rc == PZP_OK : rc != PZP_OK, "damaged index: frame %u -> %d", i, rc);
                if (valid[i]) CHECK(memcmp(out, g_craft_px, 36) == 0, "damaged index: frame %u pixels", i);
            }
            pzp_container_close(ct);
        }
        free(f.p);
        /* frame_count larger than the index written: the extra entries overlap the frame data */
        f = make_container(e, 3, 6, 0, NULL, 0, 0, 1);
        set_u32(f.p + 40, pzp_checksum(f.p, 40));
        ct = NULL;
        int rc = pzp_container_open_memory(f.p, f.n, &ct);
        if (ct) {
            for (uint32_t i = 0; i < 6; i++) {
                rc = pzp_container_decode_frame(NULL, ct, i, out, sizeof out, &info);
                CHECK(rc != PZP_OK || i < 3, "frame_count 6 of 3: bogus frame %u decoded", i);
            }
            pzp_container_close(ct);
        }
        free(f.p);
        /* frame_count 0 */
        f = make_container(e, 1, 0, 0, NULL, 0, 0, 1);
        CHECK(pzp_container_open_memory(f.p, f.n, &ct) != PZP_OK, "frame_count 0 accepted");
        free(f.p);

        /* Q24: metadata flag set with length 0 = no metadata; length without the flag = none. */
        pzp_container_info ci;
        f = make_container(e, 1, 1, 1, "", 0, 0, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "metadata flag, length 0");
        if (ct) {
            CHECK_RC(pzp_container_get_info(ct, &ci), PZP_OK, "info");
            CHECK(ci.metadata_bytes == 0 && (ci.flags & 1) == 0, "flag set, length 0: metadata %llu flags %u",
                  (unsigned long long)ci.metadata_bytes, ci.flags);
            pzp_container_close(ct);
        }
        free(f.p);
        f = make_container(e, 1, 1, 0, "hello", -1, -1, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "metadata without its flag");
        if (ct) {
            CHECK_RC(pzp_container_get_info(ct, &ci), PZP_OK, "info");
            CHECK(ci.metadata_bytes == 0 && (ci.flags & 1) == 0, "metadata without the flag: %llu",
                  (unsigned long long)ci.metadata_bytes);
            pzp_container_close(ct);
        }
        free(f.p);
        f = make_container(e, 1, 1, 1, "hello", -1, -1, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "metadata");
        if (ct) {
            char m[8] = {0};
            CHECK_RC(pzp_container_get_info(ct, &ci), PZP_OK, "info");
            CHECK(ci.metadata_bytes == 5 && (ci.flags & 1), "metadata: %llu", (unsigned long long)ci.metadata_bytes);
            CHECK_RC(pzp_container_read_metadata(ct, m, sizeof m), PZP_OK, "read_metadata");
            CHECK(memcmp(m, "hello", 5) == 0, "metadata bbuf");
            pzp_container_close(ct);
        }
        free(f.p);
        /* metadata running past the end of the file: the frames stay readable */
        f = make_container(e, 1, 1, 1, "hello", -1, 50, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "metadata past the end");
        if (ct) {
            char m[64];
            CHECK(pzp_container_read_metadata(ct, m, sizeof m) != PZP_OK, "metadata past the end read");
            CHECK_RC(pzp_container_decode_frame(NULL, ct, 0, out, sizeof out, &info), PZP_OK, "frame with bad metadata");
            pzp_container_close(ct);
        }
        free(f.p);
        /* metadata inside the header */
        f = make_container(e, 1, 1, 1, "hello", 8, 5, 1);
        ct = NULL;
        CHECK_RC(pzp_container_open_memory(f.p, f.n, &ct), PZP_OK, "metadata in the header");
        if (ct) {
            char m[64];
            CHECK(pzp_container_read_metadata(ct, m, sizeof m) != PZP_OK, "metadata inside the header read");
            pzp_container_close(ct);
        }
        free(f.p);
        free(p0.p); free(b0.p); free(p1.p); free(b1.p); free(p2.p); free(b2.p);
    }
}

/* ---- 6. errors ------------------------------------------------------------ */

static void errors_null_arguments(const uint8_t *file, size_t size, const char *path)
{
    pzp_image_info info;
    pzp_encode_params p;
    memset(&p, 0, sizeof p);
    p.width = 4; p.height = 4; p.bpp = 8; p.channels = 1;
    uint8_t px[16] = {0}, out[4096];
    size_t written = 0;
    uint64_t b1 = 0, b2 = 0;
    const int E = PZP_E_INVALID_ARGUMENT;

    CHECK_RC(pzp_info(NULL, NULL, size, &info), E, "info src");
    CHECK_RC(pzp_info(NULL, file, size, NULL), E, "info info");
    CHECK_RC(pzp_decode_begin(NULL, NULL, size, &info), E, "decode_begin src");
    /* info is optional where pixels are the result (the library writes it only if given). */
    CHECK_RC(pzp_decode_begin(NULL, file, size, NULL), PZP_OK, "decode_begin without info");
    CHECK_RC(pzp_decode_finish(NULL, out, sizeof out), PZP_E_BUFFER_TOO_SMALL, "finish into 4 KiB");
    CHECK_RC(pzp_decode(NULL, NULL, size, out, sizeof out, &info), E, "decode src");
    CHECK_RC(pzp_decode(NULL, file, size, NULL, sizeof out, &info), E, "decode dst");
    CHECK_RC(pzp_info_file(NULL, NULL, &info), E, "info_file path");
    CHECK_RC(pzp_info_file(NULL, path, NULL), E, "info_file info");
    CHECK_RC(pzp_decode_file_begin(NULL, NULL, &info), E, "file_begin path");
    CHECK_RC(pzp_decode_file_begin(NULL, path, NULL), PZP_OK, "file_begin without info");
    CHECK_RC(pzp_decode_begin(NULL, file, size, &info), PZP_OK, "begin");
    CHECK_RC(pzp_decode_finish(NULL, NULL, sizeof out), E, "finish dst");

    CHECK_RC(pzp_encode_bound(NULL, &b1, &b2), E, "bound params");
    CHECK_RC(pzp_encode_bound(&p, NULL, NULL), PZP_OK, "bound with NULL outputs (optional)");
    CHECK_RC(pzp_encode_frame(NULL, NULL, px, sizeof px, NULL, out, sizeof out, &written), E, "encode_frame params");
    CHECK_RC(pzp_encode_frame(NULL, &p, NULL, sizeof px, NULL, out, sizeof out, &written), E, "encode_frame pixels");
    CHECK_RC(pzp_encode_frame(NULL, &p, px, sizeof px, NULL, NULL, sizeof out, &written), E, "encode_frame dst");
    CHECK_RC(pzp_encode_frame(NULL, &p, px, sizeof px, NULL, out, sizeof out, NULL), E, "encode_frame written");
    CHECK_RC(pzp_encode(NULL, NULL, px, sizeof px, out, sizeof out, &written), E, "encode params");
    CHECK_RC(pzp_encode(NULL, &p, NULL, sizeof px, out, sizeof out, &written), E, "encode pixels");
    CHECK_RC(pzp_encode(NULL, &p, px, sizeof px, NULL, sizeof out, &written), E, "encode dst");
    CHECK_RC(pzp_encode(NULL, &p, px, sizeof px, out, sizeof out, NULL), E, "encode written");
    CHECK_RC(pzp_write_file(NULL, NULL, px, sizeof px, path), E, "write_file params");
    CHECK_RC(pzp_write_file(NULL, &p, NULL, sizeof px, path), E, "write_file pixels");
    CHECK_RC(pzp_write_file(NULL, &p, px, sizeof px, NULL), E, "write_file path");

    pzp_container *c = (pzp_container *)1;
    CHECK_RC(pzp_container_open(NULL, &c), E, "open path");
    CHECK_RC(pzp_container_open(path, NULL), E, "open out");
    CHECK_RC(pzp_container_open_memory(NULL, size, &c), E, "open_memory data");
    CHECK_RC(pzp_container_open_memory(file, size, NULL), E, "open_memory out");
    pzp_container_info ci;
    pzp_frame_entry fe;
    CHECK_RC(pzp_container_get_info(NULL, &ci), E, "get_info c");
    CHECK_RC(pzp_container_get_entries(NULL, 0, 1, &fe), E, "get_entries c");
    CHECK_RC(pzp_container_frame_info(NULL, NULL, 0, &info), E, "frame_info c");
    CHECK_RC(pzp_container_decode_frame_begin(NULL, NULL, 0, &info), E, "decode_frame_begin c");
    CHECK_RC(pzp_container_decode_frame(NULL, NULL, 0, out, sizeof out, &info), E, "decode_frame c");
    CHECK_RC(pzp_container_read_metadata(NULL, out, sizeof out), E, "read_metadata c");
    CHECK_RC(pzp_container_read_audio(NULL, out, sizeof out), E, "read_audio c");
    CHECK_RC(pzp_container_read_blob(NULL, 0, out, sizeof out), E, "read_blob c");
    c = NULL;
    CHECK_RC(pzp_container_open_memory(file, size, &c), PZP_OK, "open_memory");
    if (c) {
        CHECK_RC(pzp_container_get_info(c, NULL), E, "get_info info");
        CHECK_RC(pzp_container_get_entries(c, 0, 1, NULL), E, "get_entries entries");
        CHECK_RC(pzp_container_frame_info(NULL, c, 0, NULL), E, "frame_info info");
        CHECK_RC(pzp_container_decode_frame(NULL, c, 0, NULL, sizeof out, &info), E, "decode_frame dst");
        CHECK_RC(pzp_container_read_blob(c, 0, NULL, sizeof out), E, "read_blob dst");
        pzp_container_close(c);
    }
    pzp_container_close(NULL);

    pzp_writer *w = (pzp_writer *)1;
    CHECK_RC(pzp_writer_open(NULL, NULL, &w), E, "writer_open path");
    char wpath[4400];
    tmp_path(wpath, sizeof wpath, "null.pzp");
    CHECK_RC(pzp_writer_open(wpath, NULL, NULL), E, "writer_open out");
    CHECK_RC(pzp_writer_add_frame(NULL, &p, px, sizeof px, 0), E, "add_frame w");
    CHECK_RC(pzp_writer_add_blob(NULL, out, 10, 0), E, "add_blob w");
    CHECK_RC(pzp_writer_set_metadata(NULL, "x", 1), E, "set_metadata w");
    CHECK_RC(pzp_writer_set_audio(NULL, "x", 1, PZP_AUDIO_WAVE), E, "set_audio w");
    CHECK_RC(pzp_writer_close(NULL), E, "close w");
    CHECK(pzp_writer_frame_count(NULL) == 0, "frame_count(NULL)");
    w = NULL;
    CHECK_RC(pzp_writer_open(wpath, NULL, &w), PZP_OK, "writer_open");
    if (w) {
        CHECK_RC(pzp_writer_add_frame(w, NULL, px, sizeof px, 0), E, "add_frame params");
        CHECK_RC(pzp_writer_add_frame(w, &p, NULL, sizeof px, 0), E, "add_frame pixels");
        CHECK_RC(pzp_writer_add_blob(w, NULL, 10, 0), E, "add_blob blob");
        pzp_writer_abort(w);
    }
    CHECK(!file_exists(wpath), "writer file left behind");
    pzp_writer_abort(NULL);
    pzp_dctx_free(NULL);
    pzp_cctx_free(NULL);
    CHECK(pzp_dctx_decode_count(NULL) == 0 || 1, "decode_count(NULL) does not crash");
    pzp_get_limits(NULL);
    pzp_default_limits(NULL);
}

static int contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

static void test_errors(void)
{
    char path[4400], cpath[4400], mpath[4400];
    conf_path(path, sizeof path, "f_rgb8_none", ".pzp");
    conf_path(cpath, sizeof cpath, "c_12frames_small_loop65535", ".pzp");
    conf_path(mpath, sizeof mpath, "c_audio_meta_loop7", ".pzp");
    size_t size = 0, csize = 0;
    uint8_t *file = read_whole_file(path, &size);
    uint8_t *cfile = read_whole_file(cpath, &csize);
    CHECK(file && cfile, "cannot read conformance files");
    if (!file || !cfile) {
        free(file);
        free(cfile);
        return;
    }
    errors_null_arguments(file, size, path);
    errors_crafted();

    /* Destination one byte short. */
    pzp_image_info info;
    CHECK_RC(pzp_info(NULL, file, size, &info), PZP_OK, "info");
    size_t need = (size_t)info.decoded_bytes;
    uint8_t *out = xmalloc(need), *ref = xmalloc(need);
    CHECK_RC(pzp_decode(NULL, file, size, ref, need, &info), PZP_OK, "decode");
    memset(out, 0, need);
    CHECK_RC(pzp_decode(NULL, file, size, out, need, NULL), PZP_OK, "decode without info");
    CHECK(memcmp(out, ref, need) == 0, "decode without info: pixels");
    CHECK_RC(pzp_decode(NULL, file, size, out, need - 1, &info), PZP_E_BUFFER_TOO_SMALL, "decode short");
    CHECK_RC(pzp_decode(NULL, file, size, out, 0, &info), PZP_E_BUFFER_TOO_SMALL, "decode 0");
    CHECK_RC(pzp_decode_file_begin(NULL, path, &info), PZP_OK, "file_begin");
    CHECK_RC(pzp_decode_finish(NULL, out, need - 1), PZP_E_BUFFER_TOO_SMALL, "finish short");
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(cpath, &c), PZP_OK, "open 12 frames");
    if (c) {
        pzp_image_info fi;
        CHECK_RC(pzp_container_frame_info(NULL, c, 11, &fi), PZP_OK, "frame_info 11");
        uint8_t *fo = xmalloc((size_t)fi.decoded_bytes);
        CHECK_RC(pzp_container_decode_frame(NULL, c, 11, fo, (size_t)fi.decoded_bytes - 1, &fi),
                 PZP_E_BUFFER_TOO_SMALL, "decode_frame short");
        CHECK_RC(pzp_container_decode_frame(NULL, c, 11, fo, (size_t)fi.decoded_bytes, &fi), PZP_OK,
                 "decode_frame after a short one");
        CHECK_RC(pzp_container_decode_frame(NULL, c, 10, fo, (size_t)fi.decoded_bytes, NULL), PZP_OK,
                 "decode_frame without info");
        /* Out of range. */
        const uint32_t bad_index[] = {12, 13, 1000, 0xFFFFFFFFu};
        for (size_t i = 0; i < sizeof bad_index / sizeof bad_index[0]; i++) {
            uint32_t k = bad_index[i];
            pzp_frame_entry e[2];
            CHECK_RC(pzp_container_decode_frame(NULL, c, k, fo, (size_t)fi.decoded_bytes, &fi), PZP_E_OUT_OF_RANGE,
                     "decode_frame %u", k);
            CHECK_RC(pzp_container_decode_frame_begin(NULL, c, k, &fi), PZP_E_OUT_OF_RANGE, "begin %u", k);
            CHECK_RC(pzp_container_frame_info(NULL, c, k, &fi), PZP_E_OUT_OF_RANGE, "frame_info %u", k);
            CHECK_RC(pzp_container_read_blob(c, k, fo, (size_t)fi.decoded_bytes), PZP_E_OUT_OF_RANGE, "read_blob %u", k);
            CHECK_RC(pzp_container_get_entries(c, k, 1, e), PZP_E_OUT_OF_RANGE, "get_entries %u", k);
        }
        pzp_frame_entry e[2];
        CHECK_RC(pzp_container_get_entries(c, 11, 2, e), PZP_E_OUT_OF_RANGE, "get_entries 11+2");
        CHECK_RC(pzp_container_get_entries(c, 0xFFFFFFFFu, 2, e), PZP_E_OUT_OF_RANGE, "get_entries wrapping");
        CHECK_RC(pzp_container_get_entries(c, 11, 1, e), PZP_OK, "get_entries 11+1");
        uint8_t m[4];
        pzp_container_info ci;
        CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "info");
        if (ci.metadata_bytes == 0) CHECK_RC(pzp_container_read_metadata(c, m, sizeof m), PZP_OK, "no metadata");
        free(fo);
        pzp_container_close(c);
    }
    c = NULL;
    CHECK_RC(pzp_container_open(mpath, &c), PZP_OK, "open audio+meta");
    if (c) {
        pzp_container_info ci;
        CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "info");
        uint8_t *m = xmalloc((size_t)ci.metadata_bytes + (size_t)ci.audio_bytes + 1);
        CHECK(ci.metadata_bytes > 1 && ci.audio_bytes > 1, "audio+meta sizes");
        CHECK_RC(pzp_container_read_metadata(c, m, (size_t)ci.metadata_bytes - 1), PZP_E_BUFFER_TOO_SMALL, "meta short");
        CHECK_RC(pzp_container_read_audio(c, m, (size_t)ci.audio_bytes - 1), PZP_E_BUFFER_TOO_SMALL, "audio short");
        CHECK_RC(pzp_container_read_metadata(c, m, (size_t)ci.metadata_bytes), PZP_OK, "meta");
        CHECK_RC(pzp_container_read_audio(c, m, (size_t)ci.audio_bytes), PZP_OK, "audio");
        free(m);
        pzp_container_close(c);
    }

    /* Finish without begin, twice, after a failed begin. */
    pzp_dctx *d = pzp_dctx_create();
    CHECK_RC(pzp_decode_finish(d, out, need), PZP_E_BAD_STATE, "finish on a fresh context");
    CHECK_RC(pzp_decode_begin(d, file, size, &info), PZP_OK, "begin");
    CHECK_RC(pzp_decode_finish(d, out, need), PZP_OK, "finish");
    CHECK(memcmp(out, ref, need) == 0, "pixels");
    CHECK_RC(pzp_decode_finish(d, out, need), PZP_E_BAD_STATE, "second finish");
    CHECK_RC(pzp_decode_begin(d, file, size, &info), PZP_OK, "begin");
    CHECK_RC(pzp_decode_begin(d, "junkjunkjunk", 12, &info), PZP_E_NOT_PZP, "failed begin");
    CHECK_RC(pzp_decode_finish(d, out, need), PZP_E_BAD_STATE, "finish after a failed begin");
    CHECK_RC(pzp_info(d, file, size, &info), PZP_OK, "info");
    CHECK_RC(pzp_decode_finish(d, out, need), PZP_E_BAD_STATE, "finish after info");
    pzp_dctx_free(d);

    /* Not PZP data. */
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                  0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE};
    uint8_t rnd[4096];
    uint64_t st = 77;
    for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)rng_next(&st);
    rnd[0] = 'x';
    struct {
        const char *name;
        const void *data;
        size_t size;
    } junk[] = {{"PNG header", png, sizeof png}, {"random bytes", rnd, sizeof rnd}, {"empty", "", 0},
                {"text", "P6\n1 1\n255\nabc", 15}, {"PZP0 magic only", "0PZP", 4}};
    char jpath[4400];
    tmp_path(jpath, sizeof jpath, "junk.bin");
    for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
        const char *n = junk[j].name;
        /* the bare magic is a truncated PZP file, the rest is not PZP at all */
        const int E = junk[j].size == 4 ? PZP_E_TRUNCATED : PZP_E_NOT_PZP;
        CHECK_RC(pzp_info(NULL, junk[j].data, junk[j].size, &info), E, "info %s", n);
        CHECK_RC(pzp_decode(NULL, junk[j].data, junk[j].size, out, need, &info), E, "decode %s", n);
        c = (pzp_container *)1;
        CHECK_RC(pzp_container_open_memory(junk[j].data, junk[j].size, &c), E, "open_memory %s", n);
        CHECK(c == NULL, "open_memory %s: *out not NULL on failure", n);
        CHECK(write_whole_file(jpath, junk[j].data, junk[j].size) == 0, "write %s", n);
        CHECK_RC(pzp_info_file(NULL, jpath, &info), E, "info_file %s", n);
        CHECK_RC(pzp_decode_file_begin(NULL, jpath, &info), E, "file_begin %s", n);
        c = (pzp_container *)1;
        CHECK_RC(pzp_container_open(jpath, &c), E, "open %s", n);
        CHECK(c == NULL, "open %s: *out not NULL on failure", n);
        CHECK(pzp_last_error()[0] != '\0', "no detail for %s", n);
    }
    unlink(jpath);
    tmp_path(jpath, sizeof jpath, "does-not-exist.pzp");
    CHECK_RC(pzp_decode_file_begin(NULL, jpath, &info), PZP_E_IO, "missing file");
    CHECK(pzp_last_os_error() == ENOENT, "missing file: errno %d", pzp_last_os_error());
    CHECK_RC(pzp_container_open(jpath, &c), PZP_E_IO, "open missing file");
    CHECK_RC(pzp_container_open(g_tmpdir, &c), PZP_E_IO, "open a folder");

    /* Encode refusals. */
    {
        pzp_encode_params p;
        uint64_t fb = 0, bb = 0;
        uint8_t px[64] = {0}, enc[4096];
        size_t written = 0;
#define BASE() (memset(&p, 0, sizeof p), p.width = 4, p.height = 4, p.bpp = 8, p.channels = 1)
        BASE();
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "bound 4x4");
        CHECK_RC(pzp_encode(NULL, &p, px, 15, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT, "pixels_size short");
        CHECK_RC(pzp_encode(NULL, &p, px, 17, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT, "pixels_size long");
        CHECK_RC(pzp_encode(NULL, &p, px, 16, enc, sizeof enc, &written), PZP_OK, "4x4");
        CHECK_RC(pzp_encode(NULL, &p, px, 16, enc, written - 1, &written), PZP_E_BUFFER_TOO_SMALL, "dst short");
        CHECK_RC(pzp_encode(NULL, &p, px, 16, enc, 10, &written), PZP_E_BUFFER_TOO_SMALL, "dst 10");
        CHECK_RC(pzp_encode_frame(NULL, &p, px, 16, NULL, enc, 3, &written), PZP_E_BUFFER_TOO_SMALL, "frame dst 3");
        BASE(); p.width = 0;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "width 0");
        CHECK_RC(pzp_encode(NULL, &p, px, 0, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT, "encode width 0");
        BASE(); p.height = 0;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "height 0");
        CHECK_RC(pzp_encode_frame(NULL, &p, px, 0, NULL, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT,
                 "encode_frame height 0");
        BASE(); p.channels = 0;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "channels 0");
        const uint32_t bad_bpp[] = {0, 1, 4, 12, 24, 32};
        for (size_t i = 0; i < sizeof bad_bpp / sizeof bad_bpp[0]; i++) {
            BASE(); p.bpp = bad_bpp[i];
            CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "bpp %u", bad_bpp[i]);
            CHECK_RC(pzp_encode(NULL, &p, px, 16, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT, "encode bpp %u",
                     bad_bpp[i]);
        }
        /* Flag bits the format does not define are refused, not written. */
        const uint32_t bad_flags[] = {32u, 64u, 1u << 31};
        for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
            BASE(); p.configuration = PZP_USE_RLE | bad_flags[i];
            CHECK_RC(pzp_encode(NULL, &p, px, 16, enc, sizeof enc, &written), PZP_E_INVALID_ARGUMENT,
                     "configuration bit 0x%x", bad_flags[i]);
        }
        /* Palette with more than 8 byte channels (Q3). */
        BASE(); p.channels = 9; p.configuration = PZP_USE_PALETTE;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "palette 9 channels");
        BASE(); p.channels = 5; p.bpp = 16; p.configuration = PZP_USE_PALETTE;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "palette 16-bit 5 channels");
        BASE(); p.channels = 4; p.bpp = 16; p.configuration = PZP_USE_PALETTE;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "palette 16-bit 4 channels");
        BASE(); p.channels = 8; p.configuration = PZP_USE_PALETTE;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "palette 8 channels");
        /* More than 255 byte channels (Q7). */
        BASE(); p.channels = 255;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "255 channels");
        BASE(); p.channels = 256;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "256 channels");
        BASE(); p.channels = 128; p.bpp = 16;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "16-bit 128 channels");
        BASE(); p.channels = 0x80000001u; p.bpp = 16;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "16-bit 2^31+1 channels (wraps to 2)");
        /* Invalid group tables. */
        BASE(); p.channels = 3; p.group_count = 1; p.groups[0][0] = 2; p.groups[0][1] = 8;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "groups not covering");
        BASE(); p.channels = 3; p.group_count = 9;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "9 groups");
        BASE(); p.channels = 1; p.bpp = 16; p.group_count = 1; p.groups[0][0] = 2; p.groups[0][1] = 16;
        p.groups[0][2] = PZP_PREDICT_LEFT;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "u16 left");
        p.groups[0][2] = PZP_PREDICT_GRADIENT;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "u16 gradient");
        p.configuration = PZP_USE_PALETTE;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "u16 gradient with palette");
        BASE(); p.channels = 2; p.group_count = 1; p.groups[0][0] = 2; p.groups[0][1] = 8; p.groups[0][2] = 2;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "u8 gradient");
        p.groups[0][2] = 0; p.groups[0][3] = 1;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_E_INVALID_ARGUMENT, "reserved byte");

        /* Sizes wrapping 32 and 64 bits: refused, never wrapped (default limits: max_pixels;
         * without limits: too large for the format). */
        pzp_limits none;
        memset(&none, 0, sizeof none);
        for (int lim = 0; lim < 2; lim++) {
            CHECK_RC(pzp_set_limits(lim ? &none : NULL), PZP_OK, "set_limits");
            int want = lim ? PZP_E_TOO_LARGE : PZP_E_LIMIT;
            struct {
                uint32_t w, h, bpp, ch;
                size_t wrapped; /* the size a wrapping computation would expect */
            } big[] = {
                {65536, 65537, 8, 1, 65536},
                {65536, 65536, 8, 1, 0},
                {65536, 65537, 16, 2, 262144},
                {0xFFFFFFFFu, 0xFFFFFFFFu, 8, 1, 1},
                {0xFFFFFFFFu, 0xFFFFFFFFu, 16, 128, 0},
                {0xFFFFFFFFu, 0xFFFFFFFFu, 8, 255, 255},
                {0x80000000u, 2, 8, 1, 0},
            };
            for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
                BASE();
                p.width = big[i].w; p.height = big[i].h; p.bpp = big[i].bpp; p.channels = big[i].ch;
                int ok_alt = big[i].ch * big[i].bpp / 8 > 255 ? PZP_E_INVALID_ARGUMENT : want;
                int rc = pzp_encode_bound(&p, &fb, &bb);
                CHECK(rc == ok_alt, "bound %ux%u b%u c%u (limits %d) -> %d (%s), expected %d", p.width, p.height,
                      p.bpp, p.channels, lim, rc, pzp_last_error(), ok_alt);
                uint8_t *tiny = xcalloc(big[i].wrapped + 1);
                rc = pzp_encode(NULL, &p, tiny, big[i].wrapped, enc, sizeof enc, &written);
                CHECK(rc == ok_alt, "encode %ux%u b%u c%u with %zu bytes (limits %d) -> %d (%s), expected %d",
                      p.width, p.height, p.bpp, p.channels, big[i].wrapped, lim, rc, pzp_last_error(), ok_alt);
                free(tiny);
            }
            /* 2^31 bytes of payload: the format's limit (Q2). */
            BASE(); p.width = 46341; p.height = 46341; p.bpp = 8; p.channels = 1;
            CHECK_RC(pzp_encode_bound(&p, &fb, &bb), want, "46341^2 (payload > 2^31, limits %d)", lim);
            BASE(); p.width = 32768; p.height = 16384; p.bpp = 16; p.channels = 2;
            CHECK_RC(pzp_encode_bound(&p, &fb, &bb), want, "2^31 bytes exactly (limits %d)", lim);
        }
        CHECK_RC(pzp_set_limits(NULL), PZP_OK, "restore limits");

        /* Payload over the reference reader's 100,000,000 bytes (Q1). The pixel buffer is
         * calloc'ed and refused before any compression, so this is cheap. */
        BASE(); p.width = 10001; p.height = 10000; p.bpp = 8; p.channels = 1;
        size_t bsize = (size_t)p.width * p.height;
        uint8_t *bigpx = calloc(1, bsize);
        CHECK(bigpx != NULL, "calloc 100 MB");
        if (bigpx) {
            CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "bound 10001x10000");
            CHECK_RC(pzp_encode(NULL, &p, bigpx, bsize, enc, sizeof enc, &written), PZP_E_TOO_LARGE,
                     "encode 100,010,000 bytes");
            CHECK(contains(pzp_last_error(), "100,000,000") || contains(pzp_last_error(), "100000000"),
                  "detail does not mention the reference limit: '%s'", pzp_last_error());
            CHECK_RC(pzp_encode_frame(NULL, &p, bigpx, bsize, NULL, enc, sizeof enc, &written), PZP_E_TOO_LARGE,
                     "encode_frame 100,010,000 bytes");
            char bpath[4400];
            tmp_path(bpath, sizeof bpath, "big.pzp");
            CHECK_RC(pzp_write_file(NULL, &p, bigpx, bsize, bpath), PZP_E_TOO_LARGE, "write_file 100 MB");
            CHECK(!file_exists(bpath), "refused write_file left a file");
            if (!g_quick) {
                /* Allowed explicitly, and readable by this library. */
                p.options = PZP_ENCODE_ALLOW_LARGE;
                bigpx[bsize / 2] = 7;
                uint8_t *benc = xmalloc((size_t)fb);
                CHECK_RC(pzp_encode(NULL, &p, bigpx, bsize, benc, (size_t)fb, &written), PZP_OK, "ALLOW_LARGE");
                uint8_t *bout = xmalloc(bsize);
                CHECK_RC(pzp_decode(NULL, benc, written, bout, bsize, &info), PZP_OK, "decode a large payload");
                CHECK(memcmp(bout, bigpx, bsize) == 0, "large payload pixels");
                free(bout);
                free(benc);
            }
            free(bigpx);
        }
#undef BASE
    }

    /* Limits. */
    {
        pzp_limits def, cur, lim;
        pzp_default_limits(&def);
        CHECK(def.max_pixels == (1ull << 28) && def.max_frames == (1ull << 24) &&
                  def.max_metadata_bytes == (1ull << 28) && def.max_audio_bytes == (1ull << 30) &&
                  def.max_alloc_bytes == (1ull << 30),
              "default limits differ from pzp.h");
        pzp_get_limits(&cur);
        CHECK(memcmp(&cur, &def, sizeof cur) == 0, "limits in force are not the defaults");
        pzp_image_info fi;
        char apath[4400], dpath[4400];
        conf_path(apath, sizeof apath, "c_audio_meta_loop7", ".pzp");
        conf_path(dpath, sizeof dpath, "c_5frames_rle_delays", ".pzp");
        struct {
            const char *name;
            int field;
            uint64_t value;
        } cases[] = {{"max_pixels", 0, 100}, {"max_frames", 1, 5}, {"max_metadata_bytes", 2, 1},
                     {"max_audio_bytes", 3, 1}, {"max_alloc_bytes", 4, 1000}};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            lim = def;
            uint64_t *f[5] = {&lim.max_pixels, &lim.max_frames, &lim.max_metadata_bytes, &lim.max_audio_bytes,
                              &lim.max_alloc_bytes};
            *f[cases[i].field] = cases[i].value;
            CHECK_RC(pzp_set_limits(&lim), PZP_OK, "set %s", cases[i].name);
            pzp_get_limits(&cur);
            CHECK(memcmp(&cur, &lim, sizeof cur) == 0, "get_limits after setting %s", cases[i].name);
            int rc;
            const char *which;
            if (cases[i].field == 0 || cases[i].field == 4) {
                which = "decode f_rgb8_none";
                rc = pzp_decode(NULL, file, size, out, need, &info);
                CHECK(rc == PZP_E_LIMIT, "%s: %s -> %d (%s)", cases[i].name, which, rc, pzp_last_error());
                CHECK(contains(pzp_last_error(), cases[i].name), "%s: detail '%s'", cases[i].name, pzp_last_error());
                rc = pzp_decode_file_begin(NULL, path, &info);
                CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name), "%s: file_begin -> %d (%s)",
                      cases[i].name, rc, pzp_last_error());
                c = NULL;
                rc = pzp_container_open(dpath, &c); /* 48x36 RGB frames */
                if (rc == PZP_OK) rc = pzp_container_decode_frame(NULL, c, 3, out, need, &fi);
                CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name), "%s: container frame -> %d (%s)",
                      cases[i].name, rc, pzp_last_error());
                pzp_container_close(c);
                if (cases[i].field == 0) {
                    pzp_encode_params p;
                    memset(&p, 0, sizeof p);
                    p.width = 11; p.height = 10; p.bpp = 8; p.channels = 1;
                    uint64_t fb, bb;
                    rc = pzp_encode_bound(&p, &fb, &bb);
                    CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), "max_pixels"), "encode over max_pixels -> %d",
                          rc);
                }
            } else if (cases[i].field == 1) {
                c = NULL;
                rc = pzp_container_open(cpath, &c);
                CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name), "%s: open 12 frames -> %d (%s)",
                      cases[i].name, rc, pzp_last_error());
                pzp_container_close(c);
                c = NULL;
                rc = pzp_container_open_memory(cfile, csize, &c);
                CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name),
                      "%s: open_memory 12 frames -> %d (%s)", cases[i].name, rc, pzp_last_error());
                pzp_container_close(c);
            } else {
                /* metadata/audio: refused at open or when read */
                c = NULL;
                rc = pzp_container_open(apath, &c);
                if (rc == PZP_OK) {
                    uint8_t buf[65536];
                    rc = cases[i].field == 2 ? pzp_container_read_metadata(c, buf, sizeof buf)
                                             : pzp_container_read_audio(c, buf, sizeof buf);
                }
                CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name), "%s: -> %d (%s)", cases[i].name,
                      rc, pzp_last_error());
                pzp_container_close(c);
                /* and the writer refuses to attach more */
                char wpath[4400];
                tmp_path(wpath, sizeof wpath, "lim.pzp");
                pzp_writer *w = NULL;
                CHECK_RC(pzp_writer_open(wpath, NULL, &w), PZP_OK, "writer open");
                if (w) {
                    rc = cases[i].field == 2 ? pzp_writer_set_metadata(w, "ab", 2)
                                             : pzp_writer_set_audio(w, "ab", 2, PZP_AUDIO_WAVE);
                    CHECK(rc == PZP_E_LIMIT && contains(pzp_last_error(), cases[i].name), "%s: writer -> %d (%s)",
                          cases[i].name, rc, pzp_last_error());
                    pzp_writer_abort(w);
                }
            }
        }
        /* 0 = no limit. */
        memset(&lim, 0, sizeof lim);
        CHECK_RC(pzp_set_limits(&lim), PZP_OK, "set no limits");
        CHECK_RC(pzp_decode(NULL, file, size, out, need, &info), PZP_OK, "decode without limits");
        CHECK_RC(pzp_set_limits(NULL), PZP_OK, "set_limits(NULL)");
        pzp_get_limits(&cur);
        CHECK(memcmp(&cur, &def, sizeof cur) == 0, "set_limits(NULL) does not restore the defaults");
        CHECK_RC(pzp_decode(NULL, file, size, out, need, &info), PZP_OK, "decode after restoring limits");
        CHECK(memcmp(out, ref, need) == 0, "pixels after restoring limits");
    }
    free(out);
    free(ref);
    free(file);
    free(cfile);
}

/* ---- 7. damaged ----------------------------------------------------------- */

#define DAMAGED_MAX_OUT (32u << 20) /* decode buffers above this are not allocated */

typedef struct damage_stats {
    unsigned long inputs, decoded_frames, failed_frames;
} damage_stats;

/* Decodes everything a (possibly damaged) file holds through every memory entry
 * point; any return code is acceptable, a crash or a sanitizer report is not. */
static void damaged_decode_memory(pzp_dctx *d, const uint8_t *data, size_t size, damage_stats *st)
{
    static uint8_t small[4096];
    pzp_image_info info;
    int rc = pzp_info(d, data, size, &info);
    CHECK(rc >= 0 && rc < PZP_ERROR_COUNT, "info returned %d", rc);
    uint8_t *out = NULL;
    if (rc == PZP_OK && info.decoded_bytes <= DAMAGED_MAX_OUT) out = xmalloc((size_t)info.decoded_bytes);
    size_t cap = out ? (size_t)info.decoded_bytes : sizeof small;
    rc = pzp_decode(d, data, size, out ? out : small, cap, &info);
    CHECK(rc >= 0 && rc < PZP_ERROR_COUNT, "decode returned %d", rc);
    if (rc == PZP_OK) CHECK(pzp_last_error()[0] == '\0', "detail after a success");
    else CHECK(pzp_last_error()[0] != '\0', "no detail after error %d", rc);
    rc = pzp_decode_begin(d, data, size, &info);
    if (rc == PZP_OK) {
        rc = pzp_decode_finish(d, out ? out : small, cap);
        /* finish may still find damage (e.g. palette indices out of range, Q6) */
        CHECK(rc >= 0 && rc < PZP_ERROR_COUNT && rc != PZP_E_BAD_STATE && rc != PZP_E_INVALID_ARGUMENT,
              "finish returned %d", rc);
    }
    free(out);

    pzp_container *c = NULL;
    rc = pzp_container_open_memory(data, size, &c);
    CHECK((rc == PZP_OK) == (c != NULL), "open_memory rc %d with container %p", rc, (void *)c);
    if (!c) return;
    pzp_container_info ci;
    CHECK_RC(pzp_container_get_info(c, &ci), PZP_OK, "get_info");
    CHECK(ci.file_bytes == size, "file_bytes %llu of %zu", (unsigned long long)ci.file_bytes, size);
    uint32_t n = ci.frame_count < 64 ? ci.frame_count : 64;
    pzp_frame_entry *e = xcalloc((n ? n : 1) * sizeof *e);
    if (n) CHECK_RC(pzp_container_get_entries(c, 0, n, e), PZP_OK, "get_entries");
    for (uint32_t k = 0; k < n; k++) {
        /* in order, then one backwards jump */
        uint32_t i = k + 1 == n && n > 2 ? n / 2 : k;
        pzp_image_info fi;
        rc = pzp_container_frame_info(d, c, i, &fi);
        out = NULL;
        if (rc == PZP_OK && fi.decoded_bytes <= DAMAGED_MAX_OUT) out = xmalloc((size_t)fi.decoded_bytes);
        cap = out ? (size_t)fi.decoded_bytes : sizeof small;
        rc = pzp_container_decode_frame(d, c, i, out ? out : small, cap, &fi);
        CHECK(rc >= 0 && rc < PZP_ERROR_COUNT && rc != PZP_E_OUT_OF_RANGE && rc != PZP_E_INVALID_ARGUMENT,
              "decode_frame %u returned %d (%s)", i, rc, pzp_last_error());
        if (rc == PZP_OK) st->decoded_frames++;
        else st->failed_frames++;
        free(out);
        if (e[i].valid && e[i].size <= DAMAGED_MAX_OUT) {
            uint8_t *b = xmalloc((size_t)e[i].size);
            rc = pzp_container_read_blob(c, i, b, (size_t)e[i].size);
            CHECK(rc == PZP_OK || rc == PZP_E_TRUNCATED || rc == PZP_E_IO || rc == PZP_E_CORRUPT,
                  "read_blob %u returned %d", i, rc);
            free(b);
        }
    }
    if (ci.metadata_bytes <= DAMAGED_MAX_OUT) {
        uint8_t *m = xmalloc((size_t)ci.metadata_bytes);
        rc = pzp_container_read_metadata(c, m, (size_t)ci.metadata_bytes);
        CHECK(rc != PZP_E_BUFFER_TOO_SMALL && rc != PZP_E_INVALID_ARGUMENT, "read_metadata returned %d", rc);
        free(m);
    }
    if (ci.audio_bytes <= DAMAGED_MAX_OUT) {
        uint8_t *a = xmalloc((size_t)ci.audio_bytes);
        rc = pzp_container_read_audio(c, a, (size_t)ci.audio_bytes);
        CHECK(rc != PZP_E_BUFFER_TOO_SMALL && rc != PZP_E_INVALID_ARGUMENT, "read_audio returned %d", rc);
        free(a);
    }
    free(e);
    pzp_container_close(c);
}

/* The same through a file: pzp_info_file, pzp_decode_file_begin, pzp_container_open. */
static void damaged_decode_file(pzp_dctx *d, const uint8_t *data, size_t size)
{
    static uint8_t small[4096];
    char path[4400];
    tmp_path(path, sizeof path, "damaged.pzp");
    if (write_whole_file(path, data, size) != 0) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    pzp_image_info info;
    int rc = pzp_info_file(d, path, &info);
    uint8_t *out = NULL;
    if (rc == PZP_OK && info.decoded_bytes <= DAMAGED_MAX_OUT) out = xmalloc((size_t)info.decoded_bytes);
    rc = pzp_decode_file_begin(d, path, &info);
    if (rc == PZP_OK) pzp_decode_finish(d, out ? out : small, out ? (size_t)info.decoded_bytes : sizeof small);
    free(out);
    pzp_container *c = NULL;
    rc = pzp_container_open(path, &c);
    if (c) {
        pzp_container_info ci;
        pzp_container_get_info(c, &ci);
        uint32_t n = ci.frame_count < 64 ? ci.frame_count : 64;
        for (uint32_t k = n; k-- > 0;) { /* backwards: every frame decodes its chain */
            pzp_image_info fi;
            out = NULL;
            if (pzp_container_frame_info(d, c, k, &fi) == PZP_OK && fi.decoded_bytes <= DAMAGED_MAX_OUT)
                out = xmalloc((size_t)fi.decoded_bytes);
            rc = pzp_container_decode_frame(d, c, k, out ? out : small, out ? (size_t)fi.decoded_bytes : sizeof small,
                                            &fi);
            CHECK(rc >= 0 && rc < PZP_ERROR_COUNT && rc != PZP_E_OUT_OF_RANGE, "file frame %u returned %d", k, rc);
            free(out);
        }
        if (ci.metadata_bytes <= DAMAGED_MAX_OUT && ci.audio_bytes <= DAMAGED_MAX_OUT) {
            uint8_t *m = xmalloc((size_t)(ci.metadata_bytes > ci.audio_bytes ? ci.metadata_bytes : ci.audio_bytes));
            pzp_container_read_metadata(c, m, (size_t)ci.metadata_bytes);
            pzp_container_read_audio(c, m, (size_t)ci.audio_bytes);
            free(m);
        }
        pzp_container_close(c);
    }
    unlink(path);
}

static void damaged_data(const char *base, const uint8_t *orig, size_t size)
{
    uint8_t *buf = xmalloc(size);
    damage_stats st = {0, 0, 0};
    pzp_dctx *d = pzp_dctx_create();
    pzp_dctx *dv = pzp_dctx_create(); /* verifying checksums */
    pzp_dctx_set_options(dv, PZP_DECODE_VERIFY_CHECKSUM);
    const char *saved = g_section;
    char label[256];
    snprintf(label, sizeof label, "damaged %s", base);
    g_section = label;

    /* The undamaged file decodes. */
    damaged_decode_memory(d, orig, size, &st);
    CHECK(st.failed_frames == 0 && st.decoded_frames > 0, "%s: undamaged file fails", base);

    /* Every prefix up to 4 KiB (sampled in quick mode), then sampled. Each prefix is
     * copied to its own allocation so that ASan sees any read past its end. */
    size_t step_small = g_quick ? 7 : 1;
    for (size_t len = 0; len < size; len += (len < 4096 ? step_small : 1 + size / (g_quick ? 40 : 300))) {
        uint8_t *pre = xmalloc(len);
        memcpy(pre, orig, len);
        damaged_decode_memory(len % 2 ? d : dv, pre, len, &st);
        if (len % (g_quick ? 211 : 37) == 0) damaged_decode_file(d, pre, len);
        free(pre);
        st.inputs++;
    }
    /* Every single-byte flip in the first 256 bytes. */
    size_t flips = size < 256 ? size : 256;
    for (size_t i = 0; i < flips; i += g_quick ? 3 : 1) {
        memcpy(buf, orig, size);
        buf[i] ^= 0xFF;
        damaged_decode_memory(i % 2 ? d : dv, buf, size, &st);
        if (!g_quick || i % 16 == 0) damaged_decode_file(i % 2 ? dv : d, buf, size);
        st.inputs++;
    }
    /* Random multi-byte corruptions, fixed seed. */
    uint64_t rs = 0xC0FFEEull ^ size;
    int rounds = g_quick ? 60 : 300;
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, orig, size);
        int kind = (int)(rng_next(&rs) % 4);
        int count = 1 + (int)(rng_next(&rs) % 8);
        for (int k = 0; k < count; k++) {
            /* bias towards the headers, the index and the start of each blob */
            size_t at = (rng_next(&rs) % 2) ? (size_t)(rng_next(&rs) % (size < 512 ? size : 512))
                                            : (size_t)(rng_next(&rs) % size);
            if (kind == 0) {
                buf[at] = (uint8_t)rng_next(&rs);
            } else if (kind == 1 && at + 4 <= size) {
                static const uint32_t edge[] = {0,          1,          3,          4,          0x7FFFFFFFu,
                                                0x80000000u, 0xFFFFFFFFu, 0x80000004u, 0x0000FFFFu, 0x00010000u};
                uint32_t v = edge[rng_next(&rs) % (sizeof edge / sizeof edge[0])];
                if (rng_next(&rs) % 3 == 0) v = (uint32_t)size + (uint32_t)(rng_next(&rs) % 9) - 4;
                buf[at] = (uint8_t)v;
                buf[at + 1] = (uint8_t)(v >> 8);
                buf[at + 2] = (uint8_t)(v >> 16);
                buf[at + 3] = (uint8_t)(v >> 24);
            } else if (kind == 2) {
                buf[at] ^= (uint8_t)(1u << (rng_next(&rs) % 8));
            } else {
                size_t len = 1 + (size_t)(rng_next(&rs) % 64);
                if (at + len > size) len = size - at;
                memset(buf + at, (int)(rng_next(&rs) & 0xFF), len);
            }
        }
        damaged_decode_memory(r % 2 ? d : dv, buf, size, &st);
        if (!g_quick || r % 10 == 0) damaged_decode_file(d, buf, size);
        st.inputs++;
    }
    g_section = saved;
    printf("damaged %-42s %6lu inputs, %7lu frames decoded, %7lu refused\n", base, st.inputs, st.decoded_frames,
           st.failed_frames);
    pzp_dctx_free(d);
    pzp_dctx_free(dv);
    free(buf);
}

static void damaged_file(const char *base)
{
    char path[4400];
    conf_path(path, sizeof path, base, ".pzp");
    size_t size = 0;
    uint8_t *orig = read_whole_file(path, &size);
    CHECK(orig != NULL && size > 64, "%s: cannot read", base);
    if (!orig) return;
    damaged_data(base, orig, size);
    free(orig);
}

/* A container whose frames are stored zstd blocks (see errors_crafted), so that
 * damage reaches the payload parsers directly instead of failing in zstd:
 * a plain frame, a palette frame, a delta frame, a u8 + u16 gradient frame, metadata. */
static void damaged_crafted(void)
{
    static const uint8_t pal[] = {1, 5, 9, 1, 6, 200, 0, 7};
    uint8_t idx[36], d1[36], g16[36];
    for (int i = 0; i < 12; i++) {
        idx[i * 3] = (uint8_t)(i & 1);
        idx[i * 3 + 1] = (uint8_t)(i > 5);
        idx[i * 3 + 2] = 0;
    }
    for (int i = 0; i < 36; i++) {
        d1[i] = (uint8_t)(i % 3);
        g16[i] = (uint8_t)(i * 37);
    }
    craft c[4];
    c[0] = base_craft();
    c[1] = base_craft();
    c[1].config |= PZP_USE_PALETTE;
    c[1].palette = pal; c[1].palette_len = sizeof pal; c[1].palette_bytes = sizeof pal;
    c[1].pixels = idx;
    c[2] = base_craft();
    c[2].config |= PZP_USE_INTER_DELTA | PZP_USE_RLE;
    c[2].table[0][2] = PZP_PREDICT_LEFT;
    c[2].pixels = d1;
    c[3] = base_craft();
    c[3].groups = 2;
    c[3].table[0][0] = 1; c[3].table[1][0] = 2; c[3].table[1][1] = 16; c[3].table[1][2] = PZP_PREDICT_GRADIENT;
    c[3].pixels = g16;
    bbuf pl[4], bl[4];
    centry e[4];
    for (int i = 0; i < 4; i++) {
        pl[i] = make_payload(&c[i]);
        bl[i] = make_blob(&pl[i], (uint32_t)pl[i].n, i == 3, 0);
        e[i].blob = &bl[i];
        e[i].offset = -1;
        e[i].size = -1;
    }
    bbuf f = make_container(e, 4, 4, 1, "crafted metadata", -1, -1, 1);
    damaged_data("crafted stored-block container", f.p, f.n);
    /* and its frames as single images */
    for (int i = 0; i < 4; i += 3) {
        bbuf one = single_file(&bl[i]);
        damaged_data(i ? "crafted u8+u16 gradient image" : "crafted image", one.p, one.n);
        free(one.p);
    }
    free(f.p);
    for (int i = 0; i < 4; i++) {
        free(pl[i].p);
        free(bl[i].p);
    }
}

static void test_damaged(void)
{
    static const char *const files[] = {
        "noise_64x48_rgb8_rle",          /* zstd */
        "f_rgba8_lz4",                   /* LZ4 */
        "f_rgb8_rle_pal",                /* palette */
        "grp_g16_gradient_w33_h5_noise", /* u16 gradient group */
        "grp_rgb8_palette_mixed",        /* group table + palette */
        "c_5frames_rle_interdelta_loop3", /* container, inter-frame delta */
        "c_4frames_interdelta_pal_lz4",  /* container, delta + palette + LZ4 */
        "c_audio_meta_loop7",            /* container, audio + metadata */
        "legacy_v001_rgb8_rle_pal",      /* legacy bare frame */
        "legacy_v002_container_g16_interdelta_lz4",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (g_quick && i >= 8) break;
        damaged_file(files[i]);
    }
    damaged_crafted();
}

/* ---- 8. threads ----------------------------------------------------------- */

#define NTHREADS 16

typedef struct decoded_file {
    char path[4400];
    uint32_t frames;     /* 0 = single image through pzp_decode_file_begin */
    uint8_t **pixels;    /* per frame */
    size_t *bytes;
} decoded_file;

static decoded_file *g_tfiles;
static size_t g_tfile_count;

/* Decodes a conformance file completely (frames in order); returns 0 on success. */
static int decode_whole(pzp_dctx *d, decoded_file *f, uint8_t ***pixels, size_t **bytes)
{
    if (f->frames == 0) {
        pzp_image_info info;
        int rc = pzp_decode_file_begin(d, f->path, &info);
        if (rc) return rc;
        *pixels = xcalloc(sizeof **pixels);
        *bytes = xcalloc(sizeof **bytes);
        (*pixels)[0] = xmalloc((size_t)info.decoded_bytes);
        (*bytes)[0] = (size_t)info.decoded_bytes;
        return pzp_decode_finish(d, (*pixels)[0], (size_t)info.decoded_bytes);
    }
    pzp_container *c = NULL;
    int rc = pzp_container_open(f->path, &c);
    if (rc) return rc;
    *pixels = xcalloc(f->frames * sizeof **pixels);
    *bytes = xcalloc(f->frames * sizeof **bytes);
    for (uint32_t i = 0; i < f->frames && !rc; i++) {
        pzp_image_info info;
        rc = pzp_container_frame_info(d, c, i, &info);
        if (rc) break;
        (*pixels)[i] = xmalloc((size_t)info.decoded_bytes);
        (*bytes)[i] = (size_t)info.decoded_bytes;
        rc = pzp_container_decode_frame(d, c, i, (*pixels)[i], (*bytes)[i], &info);
    }
    pzp_container_close(c);
    return rc;
}

static void free_decoded(uint8_t **pixels, size_t *bytes, uint32_t n)
{
    for (uint32_t i = 0; i < (n ? n : 1); i++) free(pixels ? pixels[i] : NULL);
    free(pixels);
    free(bytes);
}

typedef struct thread_arg {
    int id;
    int explicit_ctx;
    int rounds;
    pzp_container *shared;
    uint8_t **shared_ref;
    size_t shared_bytes;
    uint32_t shared_frames;
    const uint8_t *enc_px;
    const pzp_encode_params *enc_p;
    const uint8_t *enc_ref;
    size_t enc_size, enc_ref_size;
} thread_arg;

static void *thread_decode_files(void *p)
{
    thread_arg *a = p;
    pzp_dctx *d = a->explicit_ctx ? pzp_dctx_create() : NULL;
    if (a->id % 3 == 0) CHECK_RC(pzp_thread_init(), PZP_OK, "thread_init in thread %d", a->id);
    for (int r = 0; r < a->rounds; r++)
        for (size_t k = 0; k < g_tfile_count; k++) {
            decoded_file *f = &g_tfiles[(k + (size_t)a->id * 7) % g_tfile_count];
            uint8_t **px = NULL;
            size_t *by = NULL;
            int rc = decode_whole(d, f, &px, &by);
            CHECK_RC(rc, PZP_OK, "thread %d: %s", a->id, f->path);
            for (uint32_t i = 0; rc == PZP_OK && i < (f->frames ? f->frames : 1); i++)
                CHECK(by[i] == f->bytes[i] && memcmp(px[i], f->pixels[i], by[i]) == 0,
                      "thread %d: %s frame %u differs from the sequential decode", a->id, f->path, i);
            free_decoded(px, by, f->frames);
        }
    /* Per-thread options: only this thread's context verifies checksums. */
    char path[4400];
    conf_path(path, sizeof path, "chk_bad_pixel_checksum", ".pzp");
    pzp_image_info info;
    int verify = a->id % 2;
    CHECK_RC(pzp_dctx_set_options(d, verify ? PZP_DECODE_VERIFY_CHECKSUM : 0), PZP_OK, "set_options");
    for (int r = 0; r < 4; r++) {
        int rc = pzp_decode_file_begin(d, path, &info);
        CHECK(rc == (verify ? PZP_E_CHECKSUM : PZP_OK), "thread %d (verify %d): chk_bad_pixel_checksum -> %d",
              a->id, verify, rc);
        if (rc == PZP_OK) {
            uint8_t *out = xmalloc((size_t)info.decoded_bytes);
            CHECK_RC(pzp_decode_finish(d, out, (size_t)info.decoded_bytes), PZP_OK, "finish");
            free(out);
        }
    }
    CHECK_RC(pzp_dctx_set_options(d, 0), PZP_OK, "set_options 0");
    pzp_dctx_free(d);
    if (a->id % 4 == 1) pzp_thread_cleanup(); /* others: freed at thread exit */
    return NULL;
}

static void *thread_shared_container(void *p)
{
    thread_arg *a = p;
    pzp_dctx *d = a->explicit_ctx ? pzp_dctx_create() : NULL;
    uint64_t rs = 1234 + (uint64_t)a->id;
    uint8_t *out = xmalloc(a->shared_bytes);
    for (int r = 0; r < a->rounds; r++) {
        uint32_t i = (uint32_t)(rng_next(&rs) % a->shared_frames);
        /* sometimes a short run forward, as a player would */
        uint32_t run = (uint32_t)(rng_next(&rs) % 3);
        for (uint32_t k = i; k <= i + run && k < a->shared_frames; k++) {
            pzp_image_info info;
            memset(out, 0, a->shared_bytes);
            int rc = pzp_container_decode_frame(d, a->shared, k, out, a->shared_bytes, &info);
            CHECK_RC(rc, PZP_OK, "thread %d: shared frame %u", a->id, k);
            CHECK(rc != PZP_OK || memcmp(out, a->shared_ref[k], a->shared_bytes) == 0,
                  "thread %d: shared frame %u differs", a->id, k);
        }
    }
    free(out);
    pzp_dctx_free(d);
    return NULL;
}

static void *thread_encode(void *p)
{
    thread_arg *a = p;
    pzp_cctx *cc = a->explicit_ctx ? pzp_cctx_create() : NULL;
    uint8_t *enc = xmalloc(a->enc_ref_size + 1024);
    for (int r = 0; r < a->rounds; r++) {
        size_t written = 0;
        CHECK_RC(pzp_encode(cc, a->enc_p, a->enc_px, a->enc_size, enc, a->enc_ref_size + 1024, &written), PZP_OK,
                 "thread %d: encode", a->id);
        CHECK(written == a->enc_ref_size && memcmp(enc, a->enc_ref, written) == 0, "thread %d: encode differs", a->id);
    }
    free(enc);
    pzp_cctx_free(cc);
    return NULL;
}

static void *thread_init_cleanup(void *p)
{
    thread_arg *a = p;
    char path[4400];
    conf_path(path, sizeof path, "odd_5x7_rgb8_lz4", ".pzp");
    uint8_t out[5 * 7 * 3];
    pzp_image_info info;
    switch (a->id % 4) {
    case 0: /* cleanup before anything, then init twice */
        pzp_thread_cleanup();
        pzp_thread_cleanup();
        CHECK_RC(pzp_thread_init(), PZP_OK, "init");
        CHECK_RC(pzp_thread_init(), PZP_OK, "init again");
        break;
    case 1: /* init only: freed at thread exit */
        CHECK_RC(pzp_thread_init(), PZP_OK, "init");
        break;
    case 2: /* nothing: created on first use */
        break;
    default: /* init, cleanup, then use (recreated) */
        CHECK_RC(pzp_thread_init(), PZP_OK, "init");
        pzp_thread_cleanup();
        break;
    }
    for (int r = 0; r < 3; r++) {
        CHECK_RC(pzp_decode_file_begin(NULL, path, &info), PZP_OK, "thread %d: begin", a->id);
        CHECK_RC(pzp_decode_finish(NULL, out, sizeof out), PZP_OK, "thread %d: finish", a->id);
        if (r == 1) pzp_thread_cleanup();
    }
    if (a->id % 2) {
        pzp_thread_cleanup();
        pzp_thread_cleanup();
    }
    return NULL;
}

static int g_stop_limits;

/* Flips the process-wide limits between two settings that both allow every decode. */
static void *thread_flip_limits(void *unused)
{
    pzp_limits none, got;
    memset(&none, 0, sizeof none);
    unsigned long flips = 0, bad = 0;
    while (!__atomic_load_n(&g_stop_limits, __ATOMIC_RELAXED) || flips < 10) {
        bad += pzp_set_limits(flips % 2 ? &none : NULL) != PZP_OK;
        pzp_get_limits(&got);
        flips++;
        usleep(50);
    }
    CHECK(bad == 0, "pzp_set_limits failed %lu of %lu times", bad, flips);
    return NULL;
}

static void run_threads(void *(*fn)(void *), thread_arg *args)
{
    pthread_t th[NTHREADS];
    int started[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        started[t] = pthread_create(&th[t], NULL, fn, &args[t]) == 0;
        CHECK(started[t], "pthread_create %d", t);
    }
    for (int t = 0; t < NTHREADS; t++)
        if (started[t]) pthread_join(th[t], NULL);
}

static void test_threads(void)
{
    /* pzp_thread_init / pzp_thread_cleanup on the main thread, in any order. */
    pzp_thread_cleanup();
    CHECK_RC(pzp_thread_init(), PZP_OK, "init");
    CHECK_RC(pzp_thread_init(), PZP_OK, "init twice");
    pzp_thread_cleanup();
    pzp_thread_cleanup();
    CHECK_RC(pzp_thread_init(), PZP_OK, "init after cleanup");

    /* Sequential reference decodes of the conformance files. */
    load_names();
    g_tfiles = xcalloc(g_name_count * sizeof *g_tfiles);
    for (size_t i = 0; i < g_name_count; i++) {
        int kind = conf_kind(g_names[i]);
        if (kind == KIND_INVALID) continue;
        if (g_quick && i % 3) continue;
        decoded_file *f = &g_tfiles[g_tfile_count];
        conf_path(f->path, sizeof f->path, g_names[i], ".pzp");
        if (kind == KIND_CONTAINER) {
            pzp_container *c = NULL;
            pzp_container_info ci;
            if (pzp_container_open(f->path, &c) != PZP_OK) continue;
            pzp_container_get_info(c, &ci);
            pzp_container_close(c);
            f->frames = ci.frame_count;
        }
        CHECK_RC(decode_whole(NULL, f, &f->pixels, &f->bytes), PZP_OK, "sequential %s", f->path);
        g_tfile_count++;
    }
    thread_arg args[NTHREADS];
    pthread_t flipper;
    __atomic_store_n(&g_stop_limits, 0, __ATOMIC_RELAXED);
    int flipping = pthread_create(&flipper, NULL, thread_flip_limits, NULL) == 0;
    CHECK(flipping, "pthread_create (limits)");
    for (int mode = 0; mode < 2; mode++) {
        for (int t = 0; t < NTHREADS; t++) {
            memset(&args[t], 0, sizeof args[t]);
            args[t].id = t;
            args[t].explicit_ctx = mode ? 1 : (t % 2); /* mode 0: NULL contexts and explicit ones mixed */
            args[t].rounds = g_quick ? 1 : 3;
        }
        run_threads(thread_decode_files, args);
    }
    __atomic_store_n(&g_stop_limits, 1, __ATOMIC_RELAXED);
    if (flipping) pthread_join(flipper, NULL);
    CHECK_RC(pzp_set_limits(NULL), PZP_OK, "restore limits");
    for (size_t i = 0; i < g_tfile_count; i++) free_decoded(g_tfiles[i].pixels, g_tfiles[i].bytes, g_tfiles[i].frames);
    free(g_tfiles);
    g_tfiles = NULL;
    g_tfile_count = 0;

    /* One shared container: 40 frames of a moving square, inter-frame delta, key frame every 5. */
    char path[4400];
    tmp_path(path, sizeof path, "shared.pzp");
    const uint32_t nf = 40;
    tframe *fr = xcalloc(nf * sizeof *fr);
    pzp_writer_options o;
    memset(&o, 0, sizeof o);
    o.keyframe_interval = 5;
    o.expected_frames = nf;
    o.flags = PZP_WRITER_NO_SYNC;
    pzp_writer *w = NULL;
    CHECK_RC(pzp_writer_open(path, &o, &w), PZP_OK, "shared: writer");
    for (uint32_t i = 0; i < nf; i++) {
        make_frame(&fr[i], i, 0, PZP_USE_RLE | PZP_USE_INTER_DELTA | (i % 7 == 3 ? PZP_USE_LZ4 : 0));
        if (w) CHECK_RC(pzp_writer_add_frame(w, &fr[i].p, fr[i].px, fr[i].size, 40), PZP_OK, "shared: add %u", i);
    }
    if (w) CHECK_RC(pzp_writer_close(w), PZP_OK, "shared: close");
    pzp_container *c = NULL;
    CHECK_RC(pzp_container_open(path, &c), PZP_OK, "shared: open");
    if (c) {
        uint8_t **ref = xcalloc(nf * sizeof *ref);
        pzp_dctx *d = pzp_dctx_create();
        for (uint32_t i = 0; i < nf; i++) {
            pzp_image_info info;
            ref[i] = xmalloc(fr[0].size);
            CHECK_RC(pzp_container_frame_info(d, c, i, &info), PZP_OK, "shared: frame_info %u", i);
            CHECK(info.is_delta == (i % 5 != 0), "shared: frame %u is_delta %u", i, info.is_delta);
            CHECK_RC(pzp_container_decode_frame(d, c, i, ref[i], fr[0].size, &info), PZP_OK, "shared: frame %u", i);
            CHECK(memcmp(ref[i], fr[i].px, fr[i].size) == 0, "shared: frame %u differs from its source", i);
        }
        uint64_t seq = pzp_dctx_decode_count(d);
        CHECK(seq == nf, "reading %u frames in order decoded %llu", nf, (unsigned long long)seq);
        pzp_dctx_free(d);
        /* Random access decodes back to the nearest key frame only. */
        for (uint32_t i = 0; i < nf; i += 3) {
            d = pzp_dctx_create();
            uint8_t *out = xmalloc(fr[0].size);
            pzp_image_info info;
            CHECK_RC(pzp_container_decode_frame(d, c, i, out, fr[0].size, &info), PZP_OK, "random %u", i);
            CHECK(memcmp(out, ref[i], fr[0].size) == 0, "random %u pixels", i);
            CHECK(pzp_dctx_decode_count(d) == i % 5 + 1, "frame %u cost %llu decodes, expected %u", i,
                  (unsigned long long)pzp_dctx_decode_count(d), i % 5 + 1);
            free(out);
            pzp_dctx_free(d);
        }
        for (int mode = 0; mode < 2; mode++) {
            for (int t = 0; t < NTHREADS; t++) {
                memset(&args[t], 0, sizeof args[t]);
                args[t].id = t;
                args[t].explicit_ctx = mode ? (t % 2) : 1;
                args[t].rounds = g_quick ? 30 : 300;
                args[t].shared = c;
                args[t].shared_ref = ref;
                args[t].shared_bytes = fr[0].size;
                args[t].shared_frames = nf;
            }
            run_threads(thread_shared_container, args);
        }
        for (uint32_t i = 0; i < nf; i++) free(ref[i]);
        free(ref);
        pzp_container_close(c);
    }
    /* The same container from memory. */
    size_t msize = 0;
    uint8_t *mem = read_whole_file(path, &msize);
    c = NULL;
    if (mem) CHECK_RC(pzp_container_open_memory(mem, msize, &c), PZP_OK, "shared: open_memory");
    if (c) {
        uint8_t **ref = xcalloc(nf * sizeof *ref);
        for (uint32_t i = 0; i < nf; i++) ref[i] = fr[i].px;
        for (int t = 0; t < NTHREADS; t++) {
            memset(&args[t], 0, sizeof args[t]);
            args[t].id = t;
            args[t].explicit_ctx = t % 2;
            args[t].rounds = g_quick ? 20 : 200;
            args[t].shared = c;
            args[t].shared_ref = ref;
            args[t].shared_bytes = fr[0].size;
            args[t].shared_frames = nf;
        }
        run_threads(thread_shared_container, args);
        free(ref);
        pzp_container_close(c);
    }
    free(mem);
    unlink(path);

    /* Concurrent encoding gives the same bytes. */
    {
        pzp_encode_params p = fr[0].p;
        p.configuration = PZP_USE_RLE | PZP_USE_PALETTE;
        uint64_t fb = 0, bb = 0;
        CHECK_RC(pzp_encode_bound(&p, &fb, &bb), PZP_OK, "bound");
        uint8_t *ref = xmalloc((size_t)fb);
        size_t written = 0;
        CHECK_RC(pzp_encode(NULL, &p, fr[0].px, fr[0].size, ref, (size_t)fb, &written), PZP_OK, "encode");
        for (int t = 0; t < NTHREADS; t++) {
            memset(&args[t], 0, sizeof args[t]);
            args[t].id = t;
            args[t].explicit_ctx = t % 2;
            args[t].rounds = g_quick ? 3 : 20;
            args[t].enc_p = &p;
            args[t].enc_px = fr[0].px;
            args[t].enc_size = fr[0].size;
            args[t].enc_ref = ref;
            args[t].enc_ref_size = written;
        }
        run_threads(thread_encode, args);
        free(ref);
    }
    for (uint32_t i = 0; i < nf; i++) free(fr[i].px);
    free(fr);

    /* Thread init/cleanup in every order, concurrently. */
    for (int t = 0; t < NTHREADS; t++) {
        memset(&args[t], 0, sizeof args[t]);
        args[t].id = t;
    }
    run_threads(thread_init_cleanup, args);
    pzp_thread_cleanup();
}

/* ---- SIMD kernels at every level ------------------------------------------
 * The kernel level is picked once per process, so this section runs here at
 * the best level, then runs itself again with PZP_CPU_LEVEL=sse2 and scalar.
 * Round trips are exact against the pixels encoded (the encoders are scalar). */

static void simd_cases(const char *level)
{
    static const uint32_t heights[] = {1, 2, 5};
    uint64_t seed = 7;
    unsigned cases = 0;
    for (uint32_t bpp = 8; bpp <= 16; bpp += 8)
        for (uint32_t ch = 1; ch <= 8; ch++)
            for (uint32_t wd = 1; wd <= 260; wd = wd < 40 ? wd + 1 : wd < 63 ? 63 : wd < 66 ? wd + 1 : wd < 255 ? 255 : wd + 1) {
                if (g_quick && wd > 40 && wd != 257) continue;
                for (size_t hi = 0; hi < sizeof heights / sizeof heights[0]; hi++)
                    for (int kind = 0; kind < DATA_KINDS; kind++)
                        for (int gradient = 0; gradient <= (bpp == 16); gradient++) {
                            uint32_t ht = heights[hi];
                            size_t size = (size_t)wd * ht * ch * (bpp / 8);
                            uint8_t *px = xmalloc(size);
                            fill_image(px, wd, ht, ch, bpp, kind, seed++);
                            pzp_encode_params p;
                            memset(&p, 0, sizeof p);
                            p.width = wd; p.height = ht; p.bpp = bpp; p.channels = ch;
                            p.configuration = PZP_USE_COMPRESSION | PZP_USE_RLE; /* left filter */
                            if (gradient) { /* one u16 gradient group per channel */
                                p.group_count = ch;
                                for (uint32_t g = 0; g < ch; g++) {
                                    p.groups[g][0] = 2;
                                    p.groups[g][1] = 16;
                                    p.groups[g][2] = PZP_PREDICT_GRADIENT;
                                }
                            }
                            char what[200];
                            snprintf(what, sizeof what, "%s: %ux%u b%u c%u %s %s", level, wd, ht, bpp, ch,
                                     gradient ? "gradient" : "left", g_data_names[kind]);
                            roundtrip_one(what, &p, px, size, 0);
                            if (kind == DATA_SMOOTH) {
                                uint8_t *px2 = xmalloc(size);
                                for (size_t i = 0; i < size; i++) px2[i] = (uint8_t)(px[i] + (i % 3 == 0));
                                roundtrip_delta(what, &p, px, px2, size);
                                free(px2);
                            }
                            free(px);
                            cases++;
                        }
            }
    printf("simd: %u round trips at level %s\n", cases, level);
}

static void test_simd(void)
{
    const char *forced = getenv("PZP_CPU_LEVEL");
    simd_cases(forced ? forced : "best");
    /* The lower levels rerun this section in a child; under valgrind (its preload
       library is in LD_PRELOAD) the child cannot start, and the plain and ASan
       runs cover them. */
    const char *preload = getenv("LD_PRELOAD");
    if (forced || (preload && strstr(preload, "vgpreload"))) return;
    static const char *const lower[] = {"sse2", "scalar"};
    for (size_t k = 0; k < sizeof lower / sizeof lower[0]; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("PZP_CPU_LEVEL", lower[k], 1);
            setenv("PZP_TEST_ONLY", "simd", 1);
            /* argv[0], not /proc/self/exe: under valgrind that is valgrind's tool */
            execlp(g_argv0, g_argv0, g_confdir, (char *)NULL);
            _exit(127);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the simd section at PZP_CPU_LEVEL=%s failed (status %d)", lower[k], status);
    }
}

/* ---- 9. changed: data that changes under an open container ----------------
 * A container reads its file by position after opening it; a file rewritten in
 * place (not through an atomic rename) changes under it. Decoding must then
 * fail or give some pixels, never read past a buffer: here frames are replaced
 * by same-sized frames of another size in memory, after the container has
 * learnt that they are delta frames. */

static bbuf changed_blob(uint32_t width, uint32_t height, uint32_t config, uint8_t shade, size_t extra)
{
    uint8_t px[12 * 6 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(shade + i);
    craft c = base_craft();
    c.width = width;
    c.height = height;
    c.config = config;
    c.pixels = px;
    c.pixels_len = (size_t)width * height * 3;
    c.extra = extra;
    bbuf payload = make_payload(&c);
    bbuf blob = make_blob(&payload, (uint32_t)payload.n, 0, 0);
    free(payload.p);
    return blob;
}

static void test_changed(void)
{
    const uint32_t nf = 6, delta = PZP_USE_COMPRESSION | PZP_USE_INTER_DELTA;
    const size_t small = 4 * 3 * 3, big = 12 * 6 * 3;
    bbuf blobs[6], bigs[6];
    centry e[6];
    for (uint32_t i = 0; i < nf; i++) {
        /* 4x3 frames padded to the payload size of 12x6 ones, so the blobs can be swapped in place */
        blobs[i] = changed_blob(4, 3, i ? delta : PZP_USE_COMPRESSION, (uint8_t)i, big - small);
        bigs[i] = changed_blob(12, 6, delta, (uint8_t)(100 + i), 0);
        CHECK(blobs[i].n == bigs[i].n, "blob sizes %zu and %zu", blobs[i].n, bigs[i].n);
        e[i] = (centry){&blobs[i], -1, -1};
    }
    bbuf file = make_container(e, nf, nf, 0, NULL, 0, 0, 1);
    for (int via_info = 0; via_info < 2; via_info++) {
        bbuf copy = {0};
        b_put(&copy, file.p, file.n);
        pzp_container *c = NULL;
        CHECK_RC(pzp_container_open_memory(copy.p, copy.n, &c), PZP_OK, "open");
        pzp_dctx *d = pzp_dctx_create();
        uint8_t out[12 * 6 * 3];
        pzp_image_info info;
        for (uint32_t i = 0; c && i < 4; i++) /* in order: the cache holds frame 3 */
            CHECK_RC(pzp_container_decode_frame(d, c, i, out, sizeof out, &info), PZP_OK, "frame %u", i);
        for (uint32_t i = 4; via_info && c && i < nf; i++) /* known to be deltas of the frames before */
            CHECK_RC(pzp_container_frame_info(d, c, i, &info), PZP_OK, "frame_info %u", i);
        pzp_frame_entry entries[6];
        if (c) pzp_container_get_entries(c, 0, nf, entries);
        for (uint32_t i = 4; c && i < nf; i++) /* the file changes: frames 4 and 5 become 12x6 */
            memcpy(copy.p + entries[i].offset, bigs[i].p, bigs[i].n);
        for (uint32_t i = 5; c && i >= 4; i--) {
            int rc = pzp_container_decode_frame(d, c, i, out, sizeof out, &info);
            CHECK(rc == PZP_OK || rc == PZP_E_CORRUPT || rc == PZP_E_BUFFER_TOO_SMALL, "changed frame %u -> %d (%s)",
                  i, rc, pzp_last_error());
        }
        pzp_dctx_free(d);
        pzp_container_close(c);
        free(copy.p);
    }
    for (uint32_t i = 0; i < nf; i++) {
        free(blobs[i].p);
        free(bigs[i].p);
    }
    free(file.p);
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
    {"roundtrip", test_roundtrip},
    {"writer", test_writer},
    {"errors", test_errors},
    {"damaged", test_damaged},
    {"threads", test_threads},
    {"changed", test_changed},
    {"simd", test_simd},
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
    if (argc > 0 && argv[0] != NULL) g_argv0 = argv[0];
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
    for (size_t i = 0; i < g_name_count; i++) free(g_names[i]);
    free(g_names);
    if (!ran) {
        fprintf(stderr, "no section named '%s'\n", only ? only : "");
        return 2;
    }
    printf("%s: %lu checks, %lu failures, %.2f s (conformance: %s%s)\n",
           g_failures ? "FAILED" : "OK", g_checks, g_failures, now_seconds() - t_all, g_confdir,
           g_quick ? ", quick" : "");
    return g_failures ? 1 : 0;
}
