/* fuzz_container.c - a container in memory: open, index, every frame in order,
 * random access, metadata, audio and raw blobs.
 * Invariants: a frame that decodes when read in order decodes to the same
 * pixels by random access on a second context (which walks the inter-frame
 * delta chain back to a key frame); frame_info agrees with the decode. */
#include "fuzz.h"

#include <string.h>

#define MAX_FRAMES 48u   /* frames decoded per input (a chain costs O(n) each) */
#define MAX_RANDOM 12u   /* random accesses checked per input */

typedef struct {
    int rc;
    int digest;
    uint64_t bytes;
} frame_result;

static void read_blob_kinds(pzp_container *c, const pzp_container_info *ci) {
    uint64_t sizes[2] = {ci->metadata_bytes, ci->audio_bytes};
    for (int k = 0; k < 2; k++) {
        size_t cap = sizes[k] <= FUZZ_MAX_BLOB ? (size_t)sizes[k] : 16;
        uint8_t *buf = malloc(cap ? cap : 1);
        if (buf == NULL) continue;
        int rc = k == 0 ? pzp_container_read_metadata(c, buf, cap) : pzp_container_read_audio(c, buf, cap);
        fuzz_note(rc);
        if (rc == PZP_OK) fuzz_note(fuzz_digest(buf, cap));
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pzp_dctx *d = fuzz_dctx();
    pzp_container *c = NULL;
    int rc = pzp_container_open_memory(data, size, &c);
    fuzz_note(rc);
    if (rc != PZP_OK) return 0;
    pzp_container_info ci;
    FUZZ_ASSERT(pzp_container_get_info(c, &ci) == PZP_OK, "get_info");
    FUZZ_ASSERT(ci.frame_count >= 1 && ci.frame_count <= FUZZ_MAX_FRAMES, "%u frames", ci.frame_count);
    uint32_t frames = ci.frame_count < MAX_FRAMES ? ci.frame_count : MAX_FRAMES;
    frame_result results[MAX_FRAMES];
    uint8_t *pixels = NULL;
    size_t pixels_cap = 0;
    for (uint32_t i = 0; i < frames; i++) {
        pzp_frame_entry e;
        FUZZ_ASSERT(pzp_container_get_entries(c, i, 1, &e) == PZP_OK, "entry %u", i);
        if (e.valid) {
            FUZZ_ASSERT(e.offset + e.size <= size, "valid entry %u outside the file", i);
            uint8_t *blob = malloc((size_t)e.size);
            if (blob != NULL) {
                FUZZ_ASSERT(pzp_container_read_blob(c, i, blob, (size_t)e.size) == PZP_OK, "read_blob %u", i);
                FUZZ_ASSERT(memcmp(blob, data + e.offset, (size_t)e.size) == 0, "blob %u differs", i);
                free(blob);
            }
        }
        pzp_image_info head, info;
        int hrc = pzp_container_frame_info(d, c, i, &head);
        fuzz_note(hrc);
        results[i] = (frame_result){0, 0, 0};
        rc = pzp_container_decode_frame_begin(d, c, i, &info);
        if (rc == PZP_OK) {
            FUZZ_ASSERT(hrc == PZP_OK, "frame %u stages but frame_info fails (%d)", i, hrc);
            FUZZ_ASSERT(fuzz_same_info(&head, &info) && head.is_delta == info.is_delta, "frame %u: info differs", i);
            size_t n = (size_t)info.decoded_bytes;
            if (n > pixels_cap) {
                free(pixels);
                pixels = malloc(n);
                pixels_cap = pixels ? n : 0;
            }
            rc = pixels ? pzp_decode_finish(d, pixels, n) : PZP_E_NO_MEMORY;
            results[i].bytes = n;
            if (rc == PZP_OK) results[i].digest = fuzz_digest(pixels, n);
        }
        results[i].rc = rc;
        fuzz_note(rc);
        if (rc == PZP_OK) fuzz_note(results[i].digest);
    }
    /* Random access on a second context (it holds no frame of this container): same answer for every frame that decoded. */
    static pzp_dctx *fresh;
    if (fresh == NULL) fresh = pzp_dctx_create();
    if (fresh != NULL && pzp_dctx_set_options(fresh, fuzz_setup()) == PZP_OK) {
        uint32_t h = pzp_checksum(data, size < 64 ? size : 64);
        for (uint32_t k = 0; k < MAX_RANDOM && k < frames; k++) {
            uint32_t i = (h + k * 2654435761u) % frames;
            if (results[i].rc != PZP_OK) continue;
            pzp_image_info info;
            rc = pzp_container_decode_frame(fresh, c, i, pixels, pixels_cap, &info);
            FUZZ_ASSERT(rc == PZP_OK, "frame %u decodes in order but not by random access (%d)", i, rc);
            FUZZ_ASSERT(fuzz_digest(pixels, (size_t)results[i].bytes) == results[i].digest,
                        "frame %u: random access gives other pixels", i);
        }
    }
    free(pixels);
    read_blob_kinds(c, &ci);
    pzp_container_close(c);
    return 0;
}
