/* fuzz_main.c - runs a fuzz target without libFuzzer (as libspng's
 * fuzz_main.c): replays files and folders, and sweeps damaged variants.
 *
 * Usage: fuzz_<target>_replay [--sweep] [--random N] PATH...
 *   PATH: files, or folders whose files (not hidden ones) are replayed in name order.
 *   Prints one outcome line per input: "<path>: <codes>", the result codes the
 *   target saw (and short digests of what it decoded).
 *   --sweep: for each file, instead of the file itself, runs every prefix up to
 *   64 KiB (every 4093rd beyond), every single-bit flip in the first 256 bytes
 *   and N (default 200) random multi-byte corruptions, printing one line per
 *   file and kind: the count, a histogram of first codes and a hash of all
 *   outcomes.
 * Environment: PZP_FUZZ_VERIFY=1 verifies frame checksums (see fuzz.h);
 *   PZP_FUZZ_CRASH_DIR: where an input that crashes is saved (crash-<hash>).
 * Exit status: 0 when every input ran (a crash ends the program). */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the input being run, saved if it crashes ---- */

static const uint8_t *current;
static size_t current_size;
static char current_name[4200];

static void save_current(void) {
    const char *dir = getenv("PZP_FUZZ_CRASH_DIR");
    fprintf(stderr, "fuzz_main: crashed on %s (%zu bytes)\n", current_name, current_size);
    if (dir == NULL || current == NULL) return;
    char path[4400];
    snprintf(path, sizeof path, "%s/crash-%08x", dir, pzp_checksum(current, current_size));
    FILE *f = fopen(path, "wb");
    if (f == NULL) return;
    fwrite(current, 1, current_size, f);
    fclose(f);
    fprintf(stderr, "fuzz_main: input saved to %s\n", path);
}

static void on_signal(int sig) {
    save_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Sanitizers report and exit through their own path: ask to be called. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void run(const uint8_t *data, size_t size) {
    current = data;
    current_size = size;
    fuzz_outcome_reset();
    /* A copy of exactly size bytes, so reads past the input are caught. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) abort();
    if (size) memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
    current = NULL;
}

/* ---- files ---- */

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    *size = n;
    return buf;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- sweeps ---- */

static uint64_t rng_state;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct {
    const char *kind;
    unsigned long count;
    unsigned long first_codes[PZP_ERROR_COUNT + 1]; /* last slot: other first notes */
    uint64_t hash;
} sweep_stats;

static void sweep_run(sweep_stats *s, const uint8_t *data, size_t size, const char *name, const char *kind,
                      size_t variant) {
    snprintf(current_name, sizeof current_name, "%s %s %zu", name, kind, variant);
    run(data, size);
    const char *o = fuzz_outcome();
    int first = atoi(o);
    s->first_codes[first >= 0 && first < PZP_ERROR_COUNT ? first : PZP_ERROR_COUNT]++;
    for (const char *c = o; *c; c++) s->hash = (s->hash ^ (uint8_t)*c) * 0x100000001B3ull;
    s->hash = (s->hash ^ '\n') * 0x100000001B3ull;
    s->count++;
}

static void sweep_print(const char *name, const sweep_stats *s) {
    printf("%s %s: %lu inputs, first codes", name, s->kind, s->count);
    for (int k = 0; k <= PZP_ERROR_COUNT; k++)
        if (s->first_codes[k]) printf(" %s%d:%lu", k == PZP_ERROR_COUNT ? ">" : "", k, s->first_codes[k]);
    printf(", hash %016llx\n", (unsigned long long)s->hash);
    fflush(stdout);
}

static void sweep(const char *name, const uint8_t *data, size_t size, unsigned random_count) {
    uint8_t *v = malloc(size + 64);
    if (v == NULL) abort();
    sweep_stats s;

    memset(&s, 0, sizeof s);
    s.kind = "prefix";
    s.hash = 0xCBF29CE484222325ull;
    for (size_t n = 0; n < size; n = n < 65536 ? n + 1 : n + 4093) sweep_run(&s, data, n, name, "prefix", n);
    sweep_print(name, &s);

    memset(&s, 0, sizeof s);
    s.kind = "bitflip";
    s.hash = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < size && i < 256; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(v, data, size);
            v[i] ^= (uint8_t)(1u << bit);
            sweep_run(&s, v, size, name, "bitflip", i * 8 + (size_t)bit);
        }
    sweep_print(name, &s);

    memset(&s, 0, sizeof s);
    s.kind = "random";
    s.hash = 0xCBF29CE484222325ull;
    rng_state = 0x9E3779B97F4A7C15ull ^ pzp_checksum(data, size) ^ size;
    for (unsigned k = 0; k < random_count && size > 0; k++) {
        memcpy(v, data, size);
        size_t n = size;
        unsigned edits = 1 + (unsigned)(rng() % 8);
        for (unsigned e = 0; e < edits; e++) {
            size_t at = (size_t)(rng() % n), len = 1 + (size_t)(rng() % 16);
            if (at + len > n) len = n - at;
            switch (rng() % 5) {
            case 0: v[at] = (uint8_t)rng(); break;                  /* one byte */
            case 1: memset(v + at, (int)(rng() % 2 ? 0xFF : 0), len); break; /* a run of 0 or 0xFF */
            case 2: for (size_t i = 0; i < len; i++) v[at + i] = (uint8_t)rng(); break;
            case 3: { size_t from = (size_t)(rng() % n); if (from + len > n) len = n - from;
                      memmove(v + at, v + from, len); break; }      /* bytes from elsewhere */
            default: if (at > 0) n = at; break;                      /* cut short */
            }
        }
        sweep_run(&s, v, n, name, "random", k);
    }
    sweep_print(name, &s);
    free(v);
}

/* ---- main ---- */

static void replay_file(const char *path, int do_sweep, unsigned random_count) {
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    if (data == NULL) {
        fprintf(stderr, "fuzz_main: cannot read %s\n", path);
        exit(2);
    }
    if (do_sweep) {
        sweep(path, data, size, random_count);
    } else {
        snprintf(current_name, sizeof current_name, "%s", path);
        run(data, size);
        printf("%s: %s\n", path, fuzz_outcome());
        fflush(stdout);
    }
    free(data);
}

static void replay_path(const char *path, int do_sweep, unsigned random_count) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_main: no such file or folder: %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path, do_sweep, random_count);
        return;
    }
    DIR *dir = opendir(path);
    if (dir == NULL) exit(2);
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (names == NULL) abort();
        }
        names[count++] = strdup(e->d_name);
    }
    closedir(dir);
    if (count > 0) qsort(names, count, sizeof *names, by_name);
    for (size_t i = 0; i < count; i++) {
        char full[4200];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) replay_file(full, do_sweep, random_count);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    int do_sweep = 0;
    unsigned random_count = 200;
    LLVMFuzzerInitialize(&argc, &argv);
    signal(SIGABRT, on_signal); /* a broken invariant */
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(save_current); /* the sanitizers own the fault signals */
    } else {
        signal(SIGSEGV, on_signal);
        signal(SIGBUS, on_signal);
        signal(SIGFPE, on_signal);
    }
    int paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sweep") == 0) {
            do_sweep = 1;
        } else if (strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
            random_count = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            replay_path(argv[i], do_sweep, random_count);
            paths++;
        }
    }
    if (paths == 0) {
        fprintf(stderr, "usage: %s [--sweep] [--random N] PATH...\n", argv[0]);
        return 2;
    }
    return 0;
}
