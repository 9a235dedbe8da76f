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
            char what_[512];                                                     \
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
