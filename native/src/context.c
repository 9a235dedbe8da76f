/* context.c - decompression/compression contexts, the per-thread contexts,
 * limits, scratch buffers and version queries. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <zstd.h>

unsigned pzp_version_number(void) { return PZP_VERSION_NUMBER; }
const char *pzp_version_string(void) { return PZP_VERSION_STRING; }

/* ---- limits ---- */

static uint64_t limit_values[5] = {1ull << 28, 1ull << 24, 1ull << 28, 1ull << 30, 1ull << 30};

void pzp_default_limits(pzp_limits *l) {
    if (l == NULL) return;
    l->max_pixels = 1ull << 28;
    l->max_frames = 1ull << 24;
    l->max_metadata_bytes = 1ull << 28;
    l->max_audio_bytes = 1ull << 30;
    l->max_alloc_bytes = 1ull << 30;
}

void pzp__limits(pzp_limits *l) {
    l->max_pixels = __atomic_load_n(&limit_values[0], __ATOMIC_RELAXED);
    l->max_frames = __atomic_load_n(&limit_values[1], __ATOMIC_RELAXED);
    l->max_metadata_bytes = __atomic_load_n(&limit_values[2], __ATOMIC_RELAXED);
    l->max_audio_bytes = __atomic_load_n(&limit_values[3], __ATOMIC_RELAXED);
    l->max_alloc_bytes = __atomic_load_n(&limit_values[4], __ATOMIC_RELAXED);
}

void pzp_get_limits(pzp_limits *l) {
    if (l != NULL) pzp__limits(l);
}

int pzp_set_limits(const pzp_limits *l) {
    pzp_limits d;
    if (l == NULL) {
        pzp_default_limits(&d);
        l = &d;
    }
    __atomic_store_n(&limit_values[0], l->max_pixels, __ATOMIC_RELAXED);
    __atomic_store_n(&limit_values[1], l->max_frames, __ATOMIC_RELAXED);
    __atomic_store_n(&limit_values[2], l->max_metadata_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&limit_values[3], l->max_audio_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&limit_values[4], l->max_alloc_bytes, __ATOMIC_RELAXED);
    return PZP_OK;
}

int pzp__check_alloc(uint64_t size, const char *what) {
    uint64_t max = __atomic_load_n(&limit_values[4], __ATOMIC_RELAXED);
    if (max != 0 && size > max)
        return pzp__fail(PZP_E_LIMIT, "%s needs %llu bytes, over max_alloc_bytes (%llu)", what,
                         (unsigned long long)size, (unsigned long long)max);
    if (size > (uint64_t)SIZE_MAX) return pzp__fail(PZP_E_TOO_LARGE, "%s does not fit in memory", what);
    return PZP_OK;
}

/* ---- buffers ---- */

int pzp__buf_reserve(pzp_buf *b, uint64_t size) {
    /* Keep a big buffer only while it is used: a context that once held a huge
     * frame must not pin that memory for the rest of the thread's life. */
    int oversized = b->capacity > ((size_t)64 << 20) && b->capacity / 4 > size;
    if (b->capacity >= size && !oversized) return PZP_OK;
    int rc = pzp__check_alloc(size, "a buffer");
    if (rc) return rc;
    free(b->data);
    b->capacity = 0;
    b->data = malloc(size ? (size_t)size : 1);
    if (b->data == NULL) return pzp__fail(PZP_E_NO_MEMORY, "cannot allocate %llu bytes", (unsigned long long)size);
    b->capacity = (size_t)size;
    return PZP_OK;
}

void pzp__buf_free(pzp_buf *b) {
    free(b->data);
    b->data = NULL;
    b->capacity = 0;
}

/* ---- contexts ---- */

pzp_dctx *pzp_dctx_create(void) {
    pzp_dctx *d = calloc(1, sizeof *d);
    if (d == NULL) return NULL;
    d->zstd = ZSTD_createDCtx();
    if (d->zstd == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

void pzp_dctx_free(pzp_dctx *d) {
    if (d == NULL) return;
    ZSTD_freeDCtx(d->zstd);
    pzp__buf_free(&d->input);
    pzp__buf_free(&d->payload);
    pzp__buf_free(&d->head);
    pzp__buf_free(&d->cache[0].pixels);
    pzp__buf_free(&d->cache[1].pixels);
    free(d);
}

uint64_t pzp_dctx_decode_count(const pzp_dctx *d) {
    if (d == NULL) d = pzp__thread_dctx();
    return d ? d->decode_count : 0;
}

int pzp_dctx_set_options(pzp_dctx *d, uint32_t options) {
    int rc = pzp__resolve_dctx(&d);
    if (rc) return rc;
    if (options & ~PZP_DECODE_VERIFY_CHECKSUM) return pzp__fail(PZP_E_INVALID_ARGUMENT, "unknown decode option bits 0x%x", options);
    d->options = options;
    return PZP_OK;
}

pzp_cctx *pzp_cctx_create(void) {
    pzp_cctx *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->zstd = ZSTD_createCCtx();
    if (c->zstd == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void pzp_cctx_free(pzp_cctx *c) {
    if (c == NULL) return;
    ZSTD_freeCCtx(c->zstd);
    pzp__buf_free(&c->work);
    pzp__buf_free(&c->payload);
    pzp__buf_free(&c->spill);
    free(c);
}

/* ---- per-thread contexts ----
 * Kept in a pthread key so they are freed when the thread exits; the main
 * thread's are freed by the library destructor. */

typedef struct {
    pzp_dctx *dctx;
    pzp_cctx *cctx;
} thread_contexts;

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static int thread_key_ok;

static void free_thread_contexts(void *p) {
    thread_contexts *t = p;
    if (t == NULL) return;
    pzp_dctx_free(t->dctx);
    pzp_cctx_free(t->cctx);
    free(t);
}

static void make_thread_key(void) { thread_key_ok = pthread_key_create(&thread_key, free_thread_contexts) == 0; }

static thread_contexts *thread_slot(int create) {
    pthread_once(&thread_key_once, make_thread_key);
    if (!thread_key_ok) return NULL;
    thread_contexts *t = pthread_getspecific(thread_key);
    if (t == NULL && create) {
        t = calloc(1, sizeof *t);
        if (t != NULL && pthread_setspecific(thread_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

pzp_dctx *pzp__thread_dctx(void) {
    thread_contexts *t = thread_slot(1);
    if (t == NULL) return NULL;
    if (t->dctx == NULL) t->dctx = pzp_dctx_create();
    return t->dctx;
}

pzp_cctx *pzp__thread_cctx(void) {
    thread_contexts *t = thread_slot(1);
    if (t == NULL) return NULL;
    if (t->cctx == NULL) t->cctx = pzp_cctx_create();
    return t->cctx;
}

int pzp__resolve_dctx(pzp_dctx **d) {
    pzp__clear_error();
    if (*d == NULL) *d = pzp__thread_dctx();
    return *d ? PZP_OK : pzp__fail(PZP_E_NO_MEMORY, "cannot create the thread's decompression context");
}

int pzp__resolve_cctx(pzp_cctx **c) {
    pzp__clear_error();
    if (*c == NULL) *c = pzp__thread_cctx();
    return *c ? PZP_OK : pzp__fail(PZP_E_NO_MEMORY, "cannot create the thread's compression context");
}

int pzp_thread_init(void) {
    pzp__clear_error();
    if (pzp__thread_dctx() == NULL || pzp__thread_cctx() == NULL)
        return pzp__fail(PZP_E_NO_MEMORY, "cannot create the thread's contexts");
    return PZP_OK;
}

void pzp_thread_cleanup(void) {
    thread_contexts *t = thread_slot(0);
    if (t == NULL) return;
    pthread_setspecific(thread_key, NULL);
    free_thread_contexts(t);
}

__attribute__((destructor)) static void pzp_library_exit(void) {
    pzp_thread_cleanup();
}
