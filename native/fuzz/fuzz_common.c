/* fuzz_common.c - outcome notes, limits and the shared decode context. */
#include "fuzz.h"

#include <string.h>

#define MAX_NOTES 96

static int notes[MAX_NOTES];
static unsigned note_count; /* may exceed MAX_NOTES: the rest are counted, not kept */
static char outcome_text[MAX_NOTES * 4 + 32];
static uint32_t decode_options;
static pzp_dctx *shared_dctx;

void fuzz_note(int code) {
    if (note_count < MAX_NOTES) notes[note_count] = code;
    note_count++;
}

void fuzz_outcome_reset(void) { note_count = 0; }

const char *fuzz_outcome(void) {
    size_t at = 0;
    outcome_text[0] = '\0';
    unsigned kept = note_count < MAX_NOTES ? note_count : MAX_NOTES;
    for (unsigned i = 0; i < kept; i++)
        at += (size_t)snprintf(outcome_text + at, sizeof outcome_text - at, "%s%d", i ? " " : "", notes[i]);
    if (note_count > MAX_NOTES) snprintf(outcome_text + at, sizeof outcome_text - at, " +%u", note_count - MAX_NOTES);
    return outcome_text;
}

uint32_t fuzz_setup(void) {
    static int done;
    if (done) return decode_options;
    done = 1;
    pzp_limits lim;
    pzp_default_limits(&lim);
    lim.max_pixels = FUZZ_MAX_PIXELS;
    lim.max_alloc_bytes = FUZZ_MAX_ALLOC;
    lim.max_frames = FUZZ_MAX_FRAMES;
    lim.max_metadata_bytes = FUZZ_MAX_BLOB;
    lim.max_audio_bytes = FUZZ_MAX_BLOB;
    if (pzp_set_limits(&lim) != PZP_OK) abort();
    const char *verify = getenv("PZP_FUZZ_VERIFY");
    decode_options = verify && strcmp(verify, "1") == 0 ? PZP_DECODE_VERIFY_CHECKSUM : 0;
    /* The per-thread context (used by calls given NULL) gets the same options. */
    if (pzp_dctx_set_options(NULL, decode_options) != PZP_OK) abort();
    return decode_options;
}

pzp_dctx *fuzz_dctx(void) {
    if (shared_dctx == NULL) {
        shared_dctx = pzp_dctx_create();
        if (shared_dctx == NULL || pzp_dctx_set_options(shared_dctx, fuzz_setup()) != PZP_OK) abort();
    }
    return shared_dctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int fuzz_same_info(const pzp_image_info *a, const pzp_image_info *b) {
    if (a->width != b->width || a->height != b->height || a->bpp != b->bpp || a->channels != b->channels ||
        a->channels_internal != b->channels_internal || a->configuration != b->configuration ||
        a->codec != b->codec || a->frame_version != b->frame_version || a->group_count != b->group_count ||
        a->palette_bytes != b->palette_bytes || a->checksum != b->checksum ||
        a->payload_bytes != b->payload_bytes || a->blob_bytes != b->blob_bytes ||
        a->decoded_bytes != b->decoded_bytes)
        return 0;
    return memcmp(a->groups, b->groups, sizeof a->groups) == 0;
}

int fuzz_digest(const void *data, size_t size) { return (int)(pzp_checksum(data, size) & 0x7FFFFFFF); }
