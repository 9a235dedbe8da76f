/* fuzz.h - shared by the libpzp fuzz targets (libFuzzer entry points) and
 * fuzz_main.c, the standalone replay program.
 *
 * Every target defines LLVMFuzzerTestOneInput(). Targets may only crash
 * (abort) when an invariant the library promises is broken; any error code is
 * a fine answer to hostile input. Each target records the codes it saw with
 * fuzz_note() so the replay program can print one outcome line per input (the
 * same line with and without sanitizers, or the run differs).
 */
#ifndef PZP_FUZZ_H
#define PZP_FUZZ_H

#include "pzp.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Records a result code (or any small number) for the outcome line. */
void fuzz_note(int code);
/* The outcome of the last input ("0 3 11 ..."), and a reset before the next one. */
const char *fuzz_outcome(void);
void fuzz_outcome_reset(void);

/* Sets up what every target needs once: small limits (so a hostile header
 * cannot make one input allocate a gigabyte) and the frame checksum option
 * from PZP_FUZZ_VERIFY (1 = verify, 0 = skip, so mutated pixels reach the
 * filters). Returns the decode options to use. */
uint32_t fuzz_setup(void);

/* A decode context with the options of fuzz_setup(), created once. */
pzp_dctx *fuzz_dctx(void);

/* Whether two image descriptions agree field by field (is_delta aside). */
int fuzz_same_info(const pzp_image_info *a, const pzp_image_info *b);

/* A short hash of decoded bytes for the outcome line (non-negative). */
int fuzz_digest(const void *data, size_t size);

/* Aborts with a message: a broken invariant (libFuzzer records the input). */
#define FUZZ_ASSERT(cond, ...)                                                        \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, " (last error: %s)\n", pzp_last_error());                 \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* Limits in force while fuzzing (see fuzz_setup). */
#define FUZZ_MAX_PIXELS (1u << 22)
#define FUZZ_MAX_ALLOC (64u << 20)
#define FUZZ_MAX_FRAMES 4096u
#define FUZZ_MAX_BLOB (1u << 20)

#endif
