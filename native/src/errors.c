/* errors.c - error codes, their phrases, and the per-thread error detail. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[PZP_ERROR_COUNT] = {
    [PZP_OK] = "success",
    [PZP_E_NOT_PZP] = "not a PZP file",
    [PZP_E_TRUNCATED] = "truncated PZP data",
    [PZP_E_CORRUPT] = "corrupt PZP data",
    [PZP_E_CHECKSUM] = "checksum mismatch",
    [PZP_E_UNSUPPORTED] = "unsupported PZP feature or version",
    [PZP_E_INVALID_ARGUMENT] = "invalid argument",
    [PZP_E_TOO_LARGE] = "too large for the PZP format",
    [PZP_E_LIMIT] = "exceeds a configured limit",
    [PZP_E_NO_MEMORY] = "out of memory",
    [PZP_E_IO] = "input/output error",
    [PZP_E_BUFFER_TOO_SMALL] = "destination buffer too small",
    [PZP_E_OUT_OF_RANGE] = "frame index out of range",
    [PZP_E_BAD_STATE] = "call out of order",
    [PZP_E_CODEC] = "compressor failure",
};

const char *pzp_strerror(int code) {
    if (code < 0 || code >= PZP_ERROR_COUNT || messages[code] == NULL) return "unknown error code";
    return messages[code];
}

static _Thread_local char detail[512];

const char *pzp_last_error(void) { return detail; }

void pzp__clear_error(void) { detail[0] = '\0'; }

int pzp__fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return code;
}

int pzp__frame_error(int code, uint32_t index) {
    char previous[sizeof detail];
    memcpy(previous, detail, sizeof previous);
    /* %.480s: the prefix fits, a long detail is cut (sizeof detail is 512). */
    snprintf(detail, sizeof detail, "frame %u: %.480s", index, previous[0] ? previous : pzp_strerror(code));
    return code;
}
