/* climit.c - the numbers that bound PZP decoding, measured in C.
 *
 *   climit [--repeat N] FILE.pzp ...
 *
 * For frame 0 of each file (the file in the page cache), prints one CSV row:
 *   file, codec, payload_bytes, decoded_bytes,
 *   read_s      open + read + close of the whole file
 *   raw_s       zstd or LZ4 decompression of the frame's payload alone
 *   memcpy_s    memcpy of decoded_bytes (one pass over the output)
 *   undo_s      libpzp's filter undo alone (pzp_decode_finish of a staged frame)
 *   decode_s    libpzp pzp_decode() from memory into a reused buffer
 *   file_s      libpzp pzp_decode_file_begin() + pzp_decode_finish() (what pzp.read does in C)
 * Each time is the median of N runs (default 21). The "C limit" of a file is
 * read_s + raw_s + undo_s: the bytes must be read and decompressed, and the
 * filters undone; everything pzp.read adds beyond it is overhead.
 *
 * Built by bench/run.py with the same compiler flags as the library (no
 * -march=native); links libpzp, libzstd and liblz4.
 */
#define _GNU_SOURCE
#include "pzp.h"

#include <fcntl.h>
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return v[n / 2];
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *read_file(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    uint8_t *data = malloc((size_t)st.st_size + 1);
    ssize_t got = data ? read(fd, data, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(data);
        return NULL;
    }
    *size = (size_t)st.st_size;
    return data;
}

/* A sink the compiler cannot see through, so timed work is not removed. */
static volatile uint8_t sink;

static int measure(const char *path, int repeat) {
    size_t size = 0;
    uint8_t *file = read_file(path, &size);
    if (file == NULL || size < 64 || rd32(file) != 0x505A5030u) {
        fprintf(stderr, "%s: not a PZP container\n", path);
        free(file);
        return 1;
    }
    const uint8_t *blob = file + rd32(file + 48);
    size_t blob_size = rd32(file + 52);
    uint32_t prefix = rd32(blob);
    int lz4 = (prefix & 0x80000000u) != 0;
    size_t payload_size = prefix & 0x7FFFFFFFu;
    pzp_dctx *d = pzp_dctx_create();
    pzp_image_info info;
    if (pzp_info(d, file, size, &info) != PZP_OK) {
        fprintf(stderr, "%s: %s\n", path, pzp_last_error());
        return 1;
    }
    size_t decoded = (size_t)info.decoded_bytes;
    uint8_t *payload = malloc(payload_size);
    uint8_t *out = malloc(decoded);
    uint8_t *copy = malloc(decoded);
    ZSTD_DCtx *z = ZSTD_createDCtx();
    double *t = malloc(sizeof(double) * (size_t)repeat * 6);
    double *t_read = t, *t_raw = t + repeat, *t_copy = t + 2 * repeat, *t_undo = t + 3 * repeat;
    double *t_decode = t + 4 * repeat, *t_file = t + 5 * repeat;
    memset(out, 1, decoded);
    memset(copy, 2, decoded);
    for (int r = -1; r < repeat; r++) { /* r = -1: warm-up, not kept */
        int k = r < 0 ? 0 : r;
        double t0 = now();
        size_t got = 0;
        uint8_t *again = read_file(path, &got);
        double t1 = now();
        sink = again ? again[got - 1] : 0;
        free(again);
        double t2 = now();
        size_t n;
        if (lz4)
            n = (size_t)LZ4_decompress_safe((const char *)blob + 4, (char *)payload, (int)(blob_size - 4), (int)payload_size);
        else
            n = ZSTD_decompressDCtx(z, payload, payload_size, blob + 4, blob_size - 4);
        double t3 = now();
        if (n != payload_size) {
            fprintf(stderr, "%s: raw decompression failed\n", path);
            return 1;
        }
        memcpy(copy, payload + payload_size - decoded, decoded);
        double t4 = now();
        sink = copy[decoded / 2];
        pzp_decode_begin(d, file, size, NULL);
        double t5 = now();
        pzp_decode_finish(d, out, decoded);
        double t6 = now();
        pzp_decode(d, file, size, out, decoded, NULL);
        double t7 = now();
        int rc = pzp_decode_file_begin(d, path, NULL);
        if (rc == PZP_OK) rc = pzp_decode_finish(d, out, decoded);
        double t8 = now();
        if (rc != PZP_OK) {
            fprintf(stderr, "%s: %s\n", path, pzp_last_error());
            return 1;
        }
        t_read[k] = t1 - t0;
        t_raw[k] = t3 - t2;
        t_copy[k] = t4 - t3;
        t_undo[k] = t6 - t5;
        t_decode[k] = t7 - t6;
        t_file[k] = t8 - t7;
    }
    printf("%s,%s,%zu,%zu,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f\n", path, lz4 ? "lz4" : "zstd", payload_size, decoded,
           median(t_read, repeat), median(t_raw, repeat), median(t_copy, repeat), median(t_undo, repeat),
           median(t_decode, repeat), median(t_file, repeat));
    free(t);
    ZSTD_freeDCtx(z);
    free(copy);
    free(out);
    free(payload);
    pzp_dctx_free(d);
    free(file);
    return 0;
}

int main(int argc, char **argv) {
    int repeat = 21, first = 1, failed = 0;
    if (argc > 2 && strcmp(argv[1], "--repeat") == 0) {
        repeat = atoi(argv[2]);
        first = 3;
    }
    if (repeat < 1 || first >= argc) {
        fprintf(stderr, "usage: climit [--repeat N] FILE.pzp ...\n");
        return 2;
    }
    printf("file,codec,payload_bytes,decoded_bytes,read_s,raw_s,memcpy_s,undo_s,decode_s,file_s\n");
    for (int i = first; i < argc; i++) failed |= measure(argv[i], repeat);
    return failed;
}
