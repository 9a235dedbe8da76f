/* cpu.c - which SIMD kernels this CPU can run, decided once, lazily.
 *
 * The library is built for the baseline of its target (x86-64: SSE2) and
 * carries AVX2 kernels compiled with __attribute__((target("avx2"))); the
 * level is read with __builtin_cpu_supports on first use. Every thread that
 * races on the first call computes the same value and stores it atomically,
 * so no lock is needed. PZP_CPU_LEVEL=scalar|sse2|avx2 in the environment
 * lowers the level (never raises it): tests use it to check that every
 * kernel gives the same bytes. */
#include "internal.h"

#include <stdlib.h>

static int detect(void) {
    int level = PZP_CPU_SCALAR;
#if PZP_X86_SIMD
    level = PZP_CPU_SSE2; /* part of x86-64 */
    if (__builtin_cpu_supports("avx2")) level = PZP_CPU_AVX2;
#endif
    const char *forced = getenv("PZP_CPU_LEVEL");
    if (forced != NULL) {
        int cap = strcmp(forced, "scalar") == 0 ? PZP_CPU_SCALAR
                  : strcmp(forced, "sse2") == 0 ? PZP_CPU_SSE2
                                                : PZP_CPU_AVX2;
        if (cap < level) level = cap;
    }
    return level;
}

int pzp__cpu_level(void) {
    static int level = -1;
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = detect();
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}
