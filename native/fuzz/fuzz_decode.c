/* fuzz_decode.c - the image of a PZP file in memory (frame 0 of a container or
 * a legacy bare frame): pzp_decode_begin() + pzp_decode_finish().
 * Invariants: the staged description agrees with the header-only pzp_info();
 * decoded_bytes is width * height * channels * bpp / 8; the one-shot
 * pzp_decode() on the thread's context gives the same pixels. */
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pzp_dctx *d = fuzz_dctx();
    pzp_image_info info, head;
    int rc = pzp_decode_begin(d, data, size, &info);
    fuzz_note(rc);
    if (rc != PZP_OK) return 0;
    FUZZ_ASSERT(info.decoded_bytes == (uint64_t)info.width * info.height * info.channels * (info.bpp / 8),
                "decoded_bytes %llu for %u x %u x %u x %u bits", (unsigned long long)info.decoded_bytes, info.width,
                info.height, info.channels, info.bpp);
    FUZZ_ASSERT(info.decoded_bytes <= FUZZ_MAX_ALLOC, "decoded_bytes %llu over max_alloc_bytes",
                (unsigned long long)info.decoded_bytes);
    size_t n = (size_t)info.decoded_bytes;
    uint8_t *pixels = malloc(n ? n : 1);
    if (pixels == NULL) return 0;
    rc = pzp_decode_finish(d, pixels, n);
    fuzz_note(rc);
    if (rc == PZP_OK) {
        fuzz_note(fuzz_digest(pixels, n));
        rc = pzp_info(d, data, size, &head);
        FUZZ_ASSERT(rc == PZP_OK, "pzp_info fails (%d) on an image that decodes", rc);
        FUZZ_ASSERT(fuzz_same_info(&info, &head), "pzp_info and pzp_decode_begin disagree");
        uint8_t *again = malloc(n ? n : 1);
        if (again != NULL) {
            pzp_image_info info2;
            rc = pzp_decode(NULL, data, size, again, n, &info2);
            FUZZ_ASSERT(rc == PZP_OK && memcmp(again, pixels, n) == 0, "second decode differs (%d)", rc);
            free(again);
        }
    }
    free(pixels);
    return 0;
}
