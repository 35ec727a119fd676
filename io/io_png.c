/* io_png.c - PNG pictures with FFmpeg's PNG encoder, frame dumps, and still
 * pictures loaded through io_source. */
#include "io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

/* ==== the PNG writer ==================================================== */

struct io_png_writer {
    AVCodecContext *enc;   /* open for (w, h, fmt); remade when they change */
    AVFrame *frame;        /* encoder input at that size */
    AVPacket *pkt;         /* the last encoded picture */
    int w, h;
    seg_pixfmt fmt;
    int64_t count;         /* pictures encoded (their pts) */
    seg_image rgb;         /* a YUV420P picture converted to RGB24 */
    char err[IO_MSG_SIZE];
};

static enum AVPixelFormat av_fmt(seg_pixfmt f)
{
    switch (f) {
    case SEG_PIX_RGB24: return AV_PIX_FMT_RGB24;
    case SEG_PIX_RGBA: return AV_PIX_FMT_RGBA;
    case SEG_PIX_GRAY8: return AV_PIX_FMT_GRAY8;
    default: return AV_PIX_FMT_NONE;
    }
}

int io_png_writer_open(io_png_writer **out)
{
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    io_png_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return SEG_ERR_NOMEM;
    if (!(w->pkt = av_packet_alloc()) || !(w->frame = av_frame_alloc())) {
        io_png_writer_close(&w);
        return SEG_ERR_NOMEM;
    }
    *out = w;
    return SEG_OK;
}

/* Open the encoder and the input frame for a new size or format. */
static int setup(io_png_writer *w, const seg_image *img)
{
    int ret;
    avcodec_free_context(&w->enc);
    av_frame_unref(w->frame);
    w->w = w->h = 0;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec) {
        IO_SET_ERROR(w, "this FFmpeg has no PNG encoder");
        return SEG_ERR_UNSUPPORTED;
    }
    AVCodecContext *c = w->enc = avcodec_alloc_context3(codec);
    if (!c) {
        IO_SET_ERROR(w, "out of memory");
        return SEG_ERR_NOMEM;
    }
    c->width = img->width;
    c->height = img->height;
    c->pix_fmt = av_fmt(img->format);
    c->time_base = (AVRational){1, 25};
    /* One thread, no version strings: the same picture gives the same bytes. */
    c->thread_count = 1;
    c->flags |= AV_CODEC_FLAG_BITEXACT;
    /* Paeth prediction: close to "mixed" in size at a fraction of its time. */
    av_opt_set(c->priv_data, "pred", "paeth", 0);
    if ((ret = avcodec_open2(c, codec, NULL)) < 0) {
        IO_SET_ERROR(w, "cannot open the PNG encoder for %dx%d: %s", img->width, img->height,
                     av_err2str(ret));
        avcodec_free_context(&w->enc);
        return io_status_from_averror(ret);
    }
    w->frame->width = img->width;
    w->frame->height = img->height;
    w->frame->format = c->pix_fmt;
    if ((ret = av_frame_get_buffer(w->frame, 0)) < 0) {
        IO_SET_ERROR(w, "out of memory for a %dx%d picture", img->width, img->height);
        avcodec_free_context(&w->enc);
        return SEG_ERR_NOMEM;
    }
    w->w = img->width;
    w->h = img->height;
    w->fmt = img->format;
    return SEG_OK;
}

int io_png_writer_encode(io_png_writer *w, const seg_image *img, const uint8_t **data,
                         size_t *size)
{
    int ret, st;
    if (!w || !img || !img->data || !data || !size)
        return SEG_ERR_INVALID;
    if (img->width > SEG_MAX_DIM || img->height > SEG_MAX_DIM ||
        (long long)img->width * img->height > SEG_MAX_PIXELS) {
        IO_SET_ERROR(w, "picture %dx%d is over the size limits", img->width, img->height);
        return SEG_ERR_LIMIT;
    }
    int yuv = img->format == SEG_PIX_YUV420P && img->cb && img->cr;
    int bpp = yuv ? 1 : av_fmt(img->format) == AV_PIX_FMT_NONE ? 0 : seg_pixfmt_bpp(img->format);
    if (bpp == 0 || img->width < 1 || img->height < 1 || img->stride < img->width * bpp) {
        IO_SET_ERROR(w, "not a picture PNG can hold (%dx%d %s)", img->width, img->height,
                     seg_pixfmt_name(img->format));
        return SEG_ERR_INVALID;
    }
    if (yuv) {
        /* PNG holds RGB: convert with the picture's own matrix and range. */
        if (w->rgb.width != img->width || w->rgb.height != img->height) {
            seg_image_free(&w->rgb);
            if ((st = seg_image_alloc(&w->rgb, img->width, img->height, SEG_PIX_RGB24))) {
                IO_SET_ERROR(w, "out of memory for a %dx%d picture", img->width, img->height);
                return st;
            }
        }
        (void)seg_image_convert(img, &w->rgb);
        img = &w->rgb;
        bpp = 3;
    }
    if (!w->enc || w->w != img->width || w->h != img->height || w->fmt != img->format)
        if ((st = setup(w, img)))
            return st;
    av_packet_unref(w->pkt);
    if ((ret = av_frame_make_writable(w->frame)) < 0) {
        IO_SET_ERROR(w, "out of memory: %s", av_err2str(ret));
        return SEG_ERR_NOMEM;
    }
    av_image_copy_plane(w->frame->data[0], w->frame->linesize[0], img->data, img->stride,
                        img->width * bpp, img->height);
    w->frame->pts = w->count++;
    if ((ret = avcodec_send_frame(w->enc, w->frame)) < 0 ||
        (ret = avcodec_receive_packet(w->enc, w->pkt)) < 0) {
        IO_SET_ERROR(w, "PNG encoding failed: %s", av_err2str(ret));
        return io_status_from_averror(ret);
    }
    *data = w->pkt->data;
    *size = (size_t)w->pkt->size;
    return SEG_OK;
}

/* io_png_writer_write(), with extra open(2) @p flags (O_NOFOLLOW). */
static int write_png(io_png_writer *w, const char *path, const seg_image *img, int flags)
{
    const uint8_t *data;
    size_t size;
    int st;
    if (!w || !path)
        return SEG_ERR_INVALID;
    if ((st = io_png_writer_encode(w, img, &data, &size)))
        return st;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | flags, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        IO_SET_ERROR(w, "cannot create '%s': %s", path,
                     e == ELOOP && (flags & O_NOFOLLOW) ? "it is a symbolic link (not followed)"
                                                        : strerror(e));
        return SEG_ERR_IO;
    }
    size_t n = fwrite(data, 1, size, f);
    int werr = n != size ? errno : 0;
    if (fclose(f) != 0 && !werr)
        werr = errno ? errno : EIO;
    if (n != size || werr) {
        IO_SET_ERROR(w, "writing '%s' failed: %s", path, strerror(werr ? werr : EIO));
        unlink(path); /* no half picture left behind */
        return SEG_ERR_IO;
    }
    return SEG_OK;
}

int io_png_writer_write(io_png_writer *w, const char *path, const seg_image *img)
{
    return write_png(w, path, img, 0);
}

const char *io_png_writer_last_error(const io_png_writer *w)
{
    return w ? w->err : "no writer";
}

void io_png_writer_close(io_png_writer **pw)
{
    if (!pw || !*pw)
        return;
    io_png_writer *w = *pw;
    avcodec_free_context(&w->enc);
    av_frame_free(&w->frame);
    av_packet_free(&w->pkt);
    seg_image_free(&w->rgb);
    free(w);
    *pw = NULL;
}

int io_png_save(const char *path, const seg_image *img, char *err, size_t errlen)
{
    io_png_writer *w = NULL;
    int st = io_png_writer_open(&w);
    if (st) {
        seg_format_error(err, errlen, __func__, "out of memory");
        return st;
    }
    if ((st = io_png_writer_write(w, path, img)))
        seg_format_error(err, errlen, __func__, "%s", w->err);
    io_png_writer_close(&w);
    return st;
}

/* ==== frame dumps ======================================================= */

struct io_dump {
    io_png_writer *png;
    char *dir;
    char *path;        /* dir + "/frame_NNNNNN.png" */
    size_t path_cap;
    int every;
    char err[IO_MSG_SIZE];
};

/* The first file of a dump in @p dir (frame_*.png, mask_*.png, ids_*.png,
 * legend.txt) into name[size]; 0 when there is none. */
static int find_dumped(const char *dir, char *name, size_t size)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        int png = n > 4 && strcmp(e->d_name + n - 4, ".png") == 0;
        if ((png && (strncmp(e->d_name, "frame_", 6) == 0 || strncmp(e->d_name, "mask_", 5) == 0 ||
                     strncmp(e->d_name, "ids_", 4) == 0)) ||
            strcmp(e->d_name, "legend.txt") == 0) {
            snprintf(name, size, "%s", e->d_name);
            found = 1;
        }
    }
    closedir(dp);
    return found;
}

int io_dump_open(io_dump **out, const char *dir, int every, int overwrite, char *err,
                 size_t errlen)
{
    int st;
    if (!out || !dir || !*dir || every < 1) {
        seg_format_error(err, errlen, __func__, "a dump needs a directory and every >= 1");
        return SEG_ERR_INVALID;
    }
    *out = NULL;
    if (mkdir(dir, 0777) != 0) {
        struct stat sb;
        if (errno != EEXIST || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            seg_format_error(err, errlen, __func__, "cannot create the dump directory '%s': %s",
                             dir, errno == EEXIST ? "a file is in the way" : strerror(errno));
            return SEG_ERR_IO;
        }
    }
    if (access(dir, W_OK) != 0) {
        seg_format_error(err, errlen, __func__, "cannot write into '%s': %s", dir,
                         strerror(errno));
        return SEG_ERR_IO;
    }
    char old[256];
    if (!overwrite && find_dumped(dir, old, sizeof old)) {
        seg_format_error(err, errlen, __func__, "'%s' already holds frames ('%s'), which this "
                         "dump would replace", dir, old);
        return SEG_ERR_EXISTS;
    }
    io_dump *d = calloc(1, sizeof(*d));
    size_t n = strlen(dir);
    if (!d || !(d->dir = malloc(n + 1)) || !(d->path = malloc(n + 64))) {
        st = SEG_ERR_NOMEM;
        goto fail;
    }
    memcpy(d->dir, dir, n + 1);
    d->path_cap = n + 64;
    d->every = every;
    if ((st = io_png_writer_open(&d->png)))
        goto fail;
    *out = d;
    return SEG_OK;
fail:
    seg_format_error(err, errlen, __func__, "out of memory");
    io_dump_close(&d);
    return st;
}

int io_dump_wants(const io_dump *d, int64_t index)
{
    return d && index >= 0 && index % d->every == 0;
}

static int dump_one(io_dump *d, const char *kind, int64_t index, const seg_image *img)
{
    snprintf(d->path, d->path_cap, "%s/%s_%06" PRId64 ".png", d->dir, kind, index);
    /* Never through a symlink: a link planted in the folder must not
     * make the dump overwrite the file it points to. */
    int st = write_png(d->png, d->path, img, O_NOFOLLOW);
    if (st)
        IO_SET_ERROR(d, "%s", io_png_writer_last_error(d->png));
    return st;
}

int io_dump_write(io_dump *d, const seg_image *composite, const seg_image *mask)
{
    int st;
    if (!d || (!composite && !mask))
        return SEG_ERR_INVALID;
    int64_t index = composite ? composite->index : mask->index;
    if (!io_dump_wants(d, index))
        return SEG_OK;
    if (composite && (st = dump_one(d, "frame", index, composite)))
        return st;
    if (mask && (st = dump_one(d, "mask", index, mask)))
        return st;
    return SEG_OK;
}

int io_dump_write_ids(io_dump *d, const seg_image *ids)
{
    if (!d || !ids || ids->format != SEG_PIX_GRAY8)
        return SEG_ERR_INVALID;
    return io_dump_wants(d, ids->index) ? dump_one(d, "ids", ids->index, ids) : SEG_OK;
}

const char *io_dump_last_error(const io_dump *d)
{
    return d ? d->err : "no dump";
}

void io_dump_close(io_dump **pd)
{
    if (!pd || !*pd)
        return;
    io_dump *d = *pd;
    io_png_writer_close(&d->png);
    free(d->dir);
    free(d->path);
    free(d);
    *pd = NULL;
}

/* ==== still pictures ==================================================== */

int io_image_load(const char *path, seg_image *out, char *err, size_t errlen)
{
    io_source *src = NULL;
    io_packet *pkt = NULL;
    io_source_opts so = {0};
    if (!path || !out) {
        seg_format_error(err, errlen, __func__, "no picture given");
        return SEG_ERR_INVALID;
    }
    so.decoder_threads = 1;
    int st = io_source_open(&src, path, &so, err, errlen);
    if (st)
        return st;
    for (;;) {
        int kind = io_source_read(src, out, &pkt);
        if (kind == IO_READ_VIDEO) {
            st = SEG_OK;
            break;
        }
        if (kind == IO_READ_AUDIO) {
            io_packet_free(&pkt);
            continue;
        }
        st = kind == SEG_EOF ? SEG_ERR_BAD_INPUT : kind;
        seg_format_error(err, errlen, __func__, "'%s': %s", path,
                         kind == SEG_EOF ? "no picture could be decoded"
                                         : io_source_last_error(src));
        break;
    }
    io_source_close(&src);
    return st;
}
