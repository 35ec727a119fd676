/* io_fdio.c - an AVIOContext over a file descriptor that never blocks
 * without asking its interrupt callback, for the inputs and outputs where
 * FFmpeg's file and pipe protocols would sit in open(), read() or write()
 * with no way out: FIFOs and pipes (a writer that stops sending, a reader
 * that stops reading). FFmpeg's network protocols poll and ask the callback
 * themselves; its file protocol does not.
 *
 * Every wait is a poll() of at most FDIO_POLL_MS; between two the callback
 * is asked, so a stop or a timeout ends any wait within that time. */
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/mem.h>

/* The longest a wait goes without asking the interrupt callback. */
#define FDIO_POLL_MS 50
/* The AVIOContext's buffer. */
#define FDIO_BUFFER 32768

struct io_fdio {
    int fd;
    int own;             /* opened here, so closed here */
    int chunk;           /* most bytes one write() takes: all of them on an fd we
                            opened non-blocking; PIPE_BUF on a shared blocking fd
                            (after POLLOUT a pipe takes PIPE_BUF without blocking) */
    int64_t moved;       /* bytes read or written so far (progress) */
    AVIOInterruptCB cb;
    AVIOContext *pb;
};

static int asked_to_stop(const io_fdio *f)
{
    return f->cb.callback && f->cb.callback(f->cb.opaque);
}

/* Wait until @p events or an error is ready on the fd, asking the callback
 * every FDIO_POLL_MS. 0 when ready, AVERROR_EXIT when told to stop. */
static int wait_fd(io_fdio *f, short events)
{
    for (;;) {
        if (asked_to_stop(f))
            return AVERROR_EXIT;
        struct pollfd p = {f->fd, events, 0};
        int r = poll(&p, 1, FDIO_POLL_MS);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return AVERROR(errno);
    }
}

static int fdio_read(void *opaque, uint8_t *buf, int size)
{
    io_fdio *f = opaque;
    for (;;) {
        int ret = wait_fd(f, POLLIN);
        if (ret < 0)
            return ret;
        ssize_t n = read(f->fd, buf, (size_t)size);
        if (n > 0) {
            f->moved += n;
            return (int)n;
        }
        if (n == 0)
            return AVERROR_EOF;
        if (errno != EAGAIN && errno != EINTR)
            return AVERROR(errno);
    }
}

static int fdio_write(void *opaque, uint8_t *buf, int size)
{
    io_fdio *f = opaque;
    int done = 0;
    while (done < size) {
        int ret = wait_fd(f, POLLOUT);
        if (ret < 0)
            return ret;
        size_t want = (size_t)(size - done);
        if (want > (size_t)f->chunk)
            want = (size_t)f->chunk;
        ssize_t n = write(f->fd, buf + done, want);
        if (n > 0) {
            done += (int)n;
            f->moved += n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return AVERROR(errno); /* EPIPE: the reader is gone (SIGPIPE ignored) */
        }
    }
    return size;
}

/* "pipe:N" (N defaults to @p dflt) -> N; -1 when @p url is no pipe: URL. */
static int pipe_fd(const char *url, int dflt)
{
    if (strncmp(url, "pipe:", 5) != 0)
        return -1;
    const char *p = url + 5;
    if (!*p)
        return dflt;
    char *end;
    long n = strtol(p, &end, 10);
    return *end || n < 0 || n > INT_MAX ? -1 : (int)n;
}

int io_fdio_wanted(const char *url, int write)
{
    struct stat sb;
    int fd = pipe_fd(url, write ? 1 : 0);
    if (fd >= 0)
        return fstat(fd, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
    if (io_url_is_network(url) || strncmp(url, "pipe:", 5) == 0)
        return 0;
    return stat(io_url_file_path(url), &sb) == 0 && S_ISFIFO(sb.st_mode);
}

int io_fdio_open(io_fdio **out, const char *url, int write, const AVIOInterruptCB *cb,
                 char *err, size_t errlen)
{
    io_fdio *f = calloc(1, sizeof *f);
    uint8_t *buf = NULL;
    int ret;
    *out = NULL;
    if (!f) {
        seg_format_error(err, errlen, __func__, "'%s': out of memory", url);
        return SEG_ERR_NOMEM;
    }
    f->fd = -1;
    if (cb)
        f->cb = *cb;
    int fd = pipe_fd(url, write ? 1 : 0);
    if (fd >= 0) {
        /* Shared with the parent (stdin, stdout): left blocking, so every
         * write is at most PIPE_BUF, which a pipe with room takes whole. */
        f->fd = fd;
        f->chunk = PIPE_BUF;
    } else {
        const char *path = io_url_file_path(url);
        /* Non-blocking: opening a FIFO for reading does not wait for a
         * writer (poll() then waits for data); for writing it fails with
         * ENXIO until a reader opens it, so that is tried again. */
        int flags = (write ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC;
        while ((f->fd = open(path, flags)) < 0) {
            if (errno == ENXIO && write) {
                if (asked_to_stop(f)) {
                    ret = AVERROR_EXIT;
                    goto fail;
                }
                poll(NULL, 0, FDIO_POLL_MS);
            } else if (errno != EINTR) {
                ret = AVERROR(errno);
                goto fail;
            }
        }
        f->own = 1;
        f->chunk = INT_MAX;
    }
    if (!(buf = av_malloc(FDIO_BUFFER)) ||
        !(f->pb = avio_alloc_context(buf, FDIO_BUFFER, write, f, write ? NULL : fdio_read,
                                     write ? fdio_write : NULL, NULL))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    f->pb->seekable = 0;
    *out = f;
    return SEG_OK;
fail:
    av_free(buf);
    if (ret == AVERROR_EXIT)
        seg_format_error(err, errlen, __func__, "'%s': interrupted while waiting for a reader",
                         url);
    else
        seg_format_error(err, errlen, __func__, "'%s': %s", url, av_err2str(ret));
    io_fdio_close(&f);
    return ret == AVERROR_EXIT ? SEG_ERR_INTERRUPTED
           : ret == AVERROR(ENOMEM) ? SEG_ERR_NOMEM
                                    : SEG_ERR_IO;
}

AVIOContext *io_fdio_context(io_fdio *f)
{
    return f ? f->pb : NULL;
}

int64_t io_fdio_moved(const io_fdio *f)
{
    return f ? f->moved : 0;
}

void io_fdio_close(io_fdio **pf)
{
    if (!pf || !*pf)
        return;
    io_fdio *f = *pf;
    if (f->pb) {
        av_freep(&f->pb->buffer);
        avio_context_free(&f->pb);
    }
    if (f->own && f->fd >= 0)
        close(f->fd);
    free(f);
    *pf = NULL;
}
