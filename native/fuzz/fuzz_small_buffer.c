/* fuzz_small_buffer.c - destinations one byte short (allocated exactly, so
 * AddressSanitizer sees any write past them), NULL and empty ones, then the
 * retry with the right size.
 * Invariants: a short destination gives PZP_E_BUFFER_TOO_SMALL and changes
 * nothing: the retry decodes the same pixels as a first-time decode. */
#include "fuzz.h"

#include <string.h>

#define MAX_FRAMES 16u

/* Finishes the staged frame into a short, a NULL and then a right-sized
 * buffer; returns the code of the last and the pixels in *out. */
static int finish_after_refusals(pzp_dctx *d, size_t n, uint8_t **out) {
    *out = NULL;
    if (n > 0) {
        uint8_t *shorter = malloc(n - 1 ? n - 1 : 1);
        if (shorter == NULL) return PZP_E_NO_MEMORY;
        int rc = pzp_decode_finish(d, n - 1 ? shorter : NULL, n - 1);
        free(shorter);
        FUZZ_ASSERT(rc == PZP_E_BUFFER_TOO_SMALL || (n == 1 && rc == PZP_E_INVALID_ARGUMENT),
                    "a %zu-byte destination for %zu bytes gives %d", n - 1, n, rc);
    }
    int rc = pzp_decode_finish(d, NULL, n);
    FUZZ_ASSERT(rc == PZP_E_INVALID_ARGUMENT, "a NULL destination gives %d", rc);
    *out = malloc(n ? n : 1);
    if (*out == NULL) return PZP_E_NO_MEMORY;
    return pzp_decode_finish(d, *out, n);
}

static void single_image(pzp_dctx *d, const uint8_t *data, size_t size) {
    pzp_image_info info;
    int rc = pzp_decode_begin(d, data, size, &info);
    fuzz_note(rc);
    if (rc != PZP_OK) return;
    size_t n = (size_t)info.decoded_bytes;
    uint8_t *retried = NULL;
    rc = finish_after_refusals(d, n, &retried);
    fuzz_note(rc);
    uint8_t *direct = malloc(n ? n : 1);
    if (direct != NULL) {
        int drc = pzp_decode(d, data, size, direct, n, &info);
        FUZZ_ASSERT(drc == rc, "retry after refusals gives %d, a direct decode %d", rc, drc);
        if (rc == PZP_OK) FUZZ_ASSERT(memcmp(direct, retried, n) == 0, "the retry decodes other pixels");
    }
    free(direct);
    free(retried);
}

static void container(pzp_dctx *d, const uint8_t *data, size_t size) {
    static pzp_dctx *direct_ctx;
    if (direct_ctx == NULL) {
        direct_ctx = pzp_dctx_create();
        if (direct_ctx == NULL || pzp_dctx_set_options(direct_ctx, fuzz_setup()) != PZP_OK) abort();
    }
    pzp_container *c = NULL;
    if (pzp_container_open_memory(data, size, &c) != PZP_OK) return;
    pzp_container_info ci;
    pzp_container_get_info(c, &ci);
    for (uint32_t i = 0; i < ci.frame_count && i < MAX_FRAMES; i++) {
        pzp_image_info info;
        int rc = pzp_container_decode_frame_begin(d, c, i, &info);
        fuzz_note(rc);
        if (rc != PZP_OK) continue;
        size_t n = (size_t)info.decoded_bytes;
        uint8_t *retried = NULL;
        rc = finish_after_refusals(d, n, &retried);
        fuzz_note(rc);
        uint8_t *direct = malloc(n ? n : 1);
        if (direct != NULL) {
            /* In order on its own context, as the first context went. */
            int drc = pzp_container_decode_frame(direct_ctx, c, i, direct, n, &info);
            FUZZ_ASSERT(drc == rc, "frame %u: retry after refusals gives %d, a direct decode %d", i, rc, drc);
            if (rc == PZP_OK) FUZZ_ASSERT(memcmp(direct, retried, n) == 0, "frame %u: the retry decodes other pixels", i);
        }
        free(direct);
        free(retried);
    }
    /* Blobs: one byte short. */
    uint64_t sizes[2] = {ci.metadata_bytes, ci.audio_bytes};
    for (int k = 0; k < 2; k++) {
        if (sizes[k] == 0 || sizes[k] > FUZZ_MAX_BLOB) continue;
        size_t cap = (size_t)sizes[k] - 1;
        uint8_t *buf = malloc(cap ? cap : 1);
        if (buf == NULL) continue;
        int rc = k == 0 ? pzp_container_read_metadata(c, cap ? buf : NULL, cap)
                        : pzp_container_read_audio(c, cap ? buf : NULL, cap);
        fuzz_note(rc);
        FUZZ_ASSERT(rc != PZP_OK, "a %zu-byte buffer took %llu bytes of %s", cap, (unsigned long long)sizes[k],
                    k ? "audio" : "metadata");
        free(buf);
    }
    pzp_frame_entry e;
    if (pzp_container_get_entries(c, 0, 1, &e) == PZP_OK && e.size > 0 && e.size <= FUZZ_MAX_BLOB) {
        uint8_t *buf = malloc((size_t)e.size - 1 ? (size_t)e.size - 1 : 1);
        if (buf != NULL) {
            int rc = pzp_container_read_blob(c, 0, buf, (size_t)e.size - 1);
            FUZZ_ASSERT(rc != PZP_OK, "a blob of %llu bytes fit in one byte less", (unsigned long long)e.size);
            free(buf);
        }
    }
    pzp_container_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pzp_dctx *d = fuzz_dctx();
    single_image(d, data, size);
    container(d, data, size);
    return 0;
}
