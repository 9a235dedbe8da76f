/* io.c - reading by position from a file or memory, and atomic output files. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local int last_os_error;

int pzp_last_os_error(void) { return last_os_error; }

static int io_fail(const char *what, const char *path) {
    last_os_error = errno;
    return pzp__fail(PZP_E_IO, "%s '%s': %s", what, path, strerror(errno));
}

int pzp__open_source_file(const char *path, pzp_source *s) {
    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (path == NULL) return pzp__fail(PZP_E_INVALID_ARGUMENT, "NULL path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_fail("cannot open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = io_fail("cannot stat", path);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return pzp__fail(PZP_E_IO, "'%s' is not a regular file", path);
    }
    s->fd = fd;
    s->size = (uint64_t)st.st_size;
    return PZP_OK;
}

void pzp__close_source(pzp_source *s) {
    if (s->mem == NULL && s->fd >= 0) close(s->fd);
    s->fd = -1;
}

/* pread until done; a file that shrank under us reads short: truncated. */
static int read_exact(int fd, uint8_t *dst, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        ssize_t r = pread(fd, dst + done, size - done, (off_t)(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            last_os_error = errno;
            return pzp__fail(PZP_E_IO, "read failed: %s", strerror(errno));
        }
        if (r == 0) return pzp__fail(PZP_E_TRUNCATED, "file ended early (it changed while being read?)");
        done += (size_t)r;
    }
    return PZP_OK;
}

int pzp__source_read(const pzp_source *s, uint64_t offset, size_t size, pzp_buf *buf, const uint8_t **out) {
    if (offset > s->size || size > s->size - offset)
        return pzp__fail(PZP_E_TRUNCATED, "range %llu+%zu is past the end of the data (%llu bytes)",
                         (unsigned long long)offset, size, (unsigned long long)s->size);
    if (s->mem != NULL) {
        *out = s->mem + offset;
        return PZP_OK;
    }
    int rc = pzp__buf_reserve(buf, size);
    if (rc) return rc;
    rc = read_exact(s->fd, buf->data, size, offset);
    if (rc) return rc;
    *out = buf->data;
    return PZP_OK;
}

int pzp__source_copy(const pzp_source *s, uint64_t offset, size_t size, uint8_t *dst) {
    if (offset > s->size || size > s->size - offset)
        return pzp__fail(PZP_E_TRUNCATED, "range %llu+%zu is past the end of the data", (unsigned long long)offset, size);
    if (s->mem != NULL) {
        memcpy(dst, s->mem + offset, size);
        return PZP_OK;
    }
    return read_exact(s->fd, dst, size, offset);
}

/* ---- atomic output ----
 * Data goes to an unnamed temporary (O_TMPFILE) in the target's folder, or a
 * named hidden one where that is not supported; commit names it and renames
 * it over the target. A crash before commit leaves the target as it was. */

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* The mode a new file gets: the existing target's, else 0666 minus the umask. */
static mode_t new_file_mode(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) return st.st_mode & 07777;
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "re");
    if (f != NULL) {
        char line[128];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "Umask:", 6) == 0) mask = (mode_t)strtoul(line + 6, NULL, 8);
        fclose(f);
    }
    return 0666 & ~mask;
}

int pzp__outfile_open(pzp_outfile *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (path == NULL || path[0] == '\0') return pzp__fail(PZP_E_INVALID_ARGUMENT, "empty output path");
    f->path = strdup(path);
    char *dir = dir_of(path);
    if (f->path == NULL || dir == NULL) {
        free(dir);
        pzp__outfile_discard(f);
        return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
    }
    mode_t mode = new_file_mode(path);
#ifdef O_TMPFILE
    if (access("/proc/self/fd", X_OK) == 0) f->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
#endif
    if (f->fd < 0) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t len = strlen(dir) + strlen(base) + 16;
        f->tmp_path = malloc(len);
        if (f->tmp_path == NULL) {
            free(dir);
            pzp__outfile_discard(f);
            return pzp__fail(PZP_E_NO_MEMORY, "out of memory");
        }
        snprintf(f->tmp_path, len, "%s/.%s.XXXXXX", dir, base);
        f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
        if (f->fd < 0) {
            int rc = io_fail("cannot create a temporary file beside", path);
            free(f->tmp_path);
            f->tmp_path = NULL;
            free(dir);
            pzp__outfile_discard(f);
            return rc;
        }
    }
    fchmod(f->fd, mode);
    free(dir);
    return PZP_OK;
}

int pzp__outfile_pwrite(pzp_outfile *f, const void *data, size_t size, uint64_t offset) {
    const uint8_t *p = data;
    size_t done = 0;
    while (done < size) {
        ssize_t r = pwrite(f->fd, p + done, size - done, (off_t)(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return io_fail("cannot write", f->path);
        }
        done += (size_t)r;
    }
    if (offset + size > f->written) f->written = offset + size;
    return PZP_OK;
}

int pzp__outfile_write(pzp_outfile *f, const void *data, size_t size) {
    return pzp__outfile_pwrite(f, data, size, f->written);
}

int pzp__outfile_commit(pzp_outfile *f, int sync) {
    int rc = PZP_OK;
    if (ftruncate(f->fd, (off_t)f->written) != 0) rc = io_fail("cannot size", f->path);
    if (!rc && sync && fsync(f->fd) != 0) rc = io_fail("cannot flush", f->path);
    if (!rc && f->tmp_path == NULL) {
        /* Give the unnamed temporary a name beside the target, then rename. */
        char *dir = dir_of(f->path);
        size_t len = (dir ? strlen(dir) : 0) + 64;
        f->tmp_path = dir ? malloc(len) : NULL;
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
        for (int attempt = 0; f->tmp_path != NULL; attempt++) {
            snprintf(f->tmp_path, len, "%s/.pzp-%ld-%d.tmp", dir, (long)getpid(), attempt);
            if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp_path, AT_SYMLINK_FOLLOW) == 0) break;
            if (errno != EEXIST || attempt > 100) {
                rc = io_fail("cannot name the temporary file for", f->path);
                free(f->tmp_path);
                f->tmp_path = NULL;
                break;
            }
        }
        if (!rc && f->tmp_path == NULL) rc = pzp__fail(PZP_E_NO_MEMORY, "out of memory");
        free(dir);
    }
    if (!rc && rename(f->tmp_path, f->path) != 0) rc = io_fail("cannot rename the temporary file to", f->path);
    if (!rc) {
        free(f->tmp_path);
        f->tmp_path = NULL; /* renamed: nothing to remove */
    }
    if (close(f->fd) != 0 && !rc) rc = io_fail("cannot close", f->path);
    f->fd = -1;
    pzp__outfile_discard(f);
    return rc;
}

void pzp__outfile_discard(pzp_outfile *f) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp_path != NULL) unlink(f->tmp_path);
    free(f->tmp_path);
    f->tmp_path = NULL;
    free(f->path);
    f->path = NULL;
}
