/* fuzz_info.c - header-only reads: pzp_info() from memory and
 * pzp_info_file() / pzp_container_open() on the same bytes as a file.
 * Invariants: memory and file paths give the same code and description; when
 * the header is good and the frame decodes, the decode agrees with it. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char memfd_path[64];

/* The input as a file: a memfd reached through /proc/self/fd. */
static int as_file(const uint8_t *data, size_t size) {
    if (memfd < 0) {
        memfd = memfd_create("pzp-fuzz", MFD_CLOEXEC);
        if (memfd < 0) return 0;
        snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0) return 0;
    return size == 0 || pwrite(memfd, data, size, 0) == (ssize_t)size;
}

static int same_container(pzp_container *a, pzp_container *b) {
    pzp_container_info ia, ib;
    if (pzp_container_get_info(a, &ia) || pzp_container_get_info(b, &ib)) return 0;
    if (ia.frame_count != ib.frame_count || ia.loop_count != ib.loop_count || ia.flags != ib.flags ||
        ia.audio_format != ib.audio_format || ia.metadata_bytes != ib.metadata_bytes ||
        ia.audio_bytes != ib.audio_bytes || ia.file_bytes != ib.file_bytes || ia.is_bare_frame != ib.is_bare_frame ||
        ia.header_checksum != ib.header_checksum)
        return 0;
    for (uint32_t i = 0; i < ia.frame_count; i++) {
        pzp_frame_entry ea, eb;
        if (pzp_container_get_entries(a, i, 1, &ea) || pzp_container_get_entries(b, i, 1, &eb)) return 0;
        if (ea.offset != eb.offset || ea.size != eb.size || ea.delay_ms != eb.delay_ms || ea.valid != eb.valid)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pzp_dctx *d = fuzz_dctx();
    pzp_image_info mem_info, file_info;
    int rc = pzp_info(d, data, size, &mem_info);
    fuzz_note(rc);
    if (!as_file(data, size)) return 0;
    int frc = pzp_info_file(d, memfd_path, &file_info);
    FUZZ_ASSERT(frc == rc, "pzp_info_file gives %d, pzp_info %d", frc, rc);
    if (rc == PZP_OK) FUZZ_ASSERT(fuzz_same_info(&mem_info, &file_info), "pzp_info_file and pzp_info disagree");

    pzp_container *cm = NULL, *cf = NULL;
    int orc = pzp_container_open_memory(data, size, &cm);
    int ofrc = pzp_container_open(memfd_path, &cf);
    fuzz_note(orc);
    FUZZ_ASSERT(orc == ofrc, "pzp_container_open gives %d, pzp_container_open_memory %d", ofrc, orc);
    if (orc == PZP_OK) {
        FUZZ_ASSERT(same_container(cm, cf), "file and memory containers differ");
        /* Header-only description of every frame, through both. */
        pzp_container_info ci;
        pzp_container_get_info(cm, &ci);
        for (uint32_t i = 0; i < ci.frame_count && i < 64; i++) {
            pzp_image_info a, b;
            int ra = pzp_container_frame_info(d, cm, i, &a);
            int rb = pzp_container_frame_info(d, cf, i, &b);
            fuzz_note(ra);
            FUZZ_ASSERT(ra == rb, "frame %u: frame_info file %d, memory %d", i, rb, ra);
            if (ra == PZP_OK) FUZZ_ASSERT(fuzz_same_info(&a, &b) && a.is_delta == b.is_delta, "frame %u info", i);
            if (i == 0 && rc == PZP_OK && ra == PZP_OK)
                FUZZ_ASSERT(fuzz_same_info(&a, &mem_info), "frame 0: frame_info and pzp_info disagree");
        }
    }
    pzp_container_close(cm);
    pzp_container_close(cf);

    /* A decode that works agrees with the header. */
    pzp_image_info staged;
    int drc = pzp_decode_begin(d, data, size, &staged);
    if (drc == PZP_OK) {
        FUZZ_ASSERT(rc == PZP_OK, "pzp_decode_begin works where pzp_info fails (%d)", rc);
        FUZZ_ASSERT(fuzz_same_info(&staged, &mem_info), "pzp_decode_begin and pzp_info disagree");
        int dfrc = pzp_decode_file_begin(d, memfd_path, &file_info);
        FUZZ_ASSERT(dfrc == PZP_OK && fuzz_same_info(&staged, &file_info), "decode_file_begin %d", dfrc);
    }
    return 0;
}
