/* checksum.c - the format's 32-bit checksum (FORMAT.md section 8).
 * Four lanes, byte k of every 4-byte group feeding lane k. Each lane is a
 * serial xor-multiply chain, so the four lanes run side by side. */
#include "internal.h"

uint32_t pzp__checksum(const uint8_t *p, size_t n) {
    uint32_t h0 = 0x12345678u, h1 = 0x9ABCDEF0u, h2 = 0xFEDCBA98u, h3 = 0x87654321u;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        h0 = (h0 ^ p[i]) * 31u;
        h1 = (h1 ^ p[i + 1]) * 37u;
        h2 = (h2 ^ p[i + 2]) * 41u;
        h3 = (h3 ^ p[i + 3]) * 43u;
    }
    size_t r = n - i;
    if (r > 0) h0 = (h0 ^ p[i]) * 31u;
    if (r > 1) h1 = (h1 ^ p[i + 1]) * 37u;
    if (r > 2) h2 = (h2 ^ p[i + 2]) * 41u;
    return (h0 ^ (h1 >> 3)) + (h2 ^ (h3 << 5));
}

uint32_t pzp_checksum(const void *data, size_t size) {
    if (data == NULL) size = 0;
    return pzp__checksum((const uint8_t *)data, size);
}
