/* io_source.c - demux + decode with libavformat/libavcodec: frames out in
 * the decoder's YUV 4:2:0 planes (or converted to it, or to RGB24). */
#include "io_internal.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavdevice/avdevice.h>
#include <libavutil/dict.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

#define DEFAULT_TIMEOUT_MS 10000

/* ==== source ============================================================ */

/* An in-memory input: the caller's bytes and a read position. */
typedef struct io_mem {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} io_mem;

/* Bytes given to the AVIOContext per read: small, the input is in memory. */
#define MEM_IO_BUFFER 4096

struct io_source {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int sws_key[8];          /* w, h, pix_fmt, matrix, full range, output format,
                                output w, h of the last setup */
    io_orient_op orient;     /* what turns the stored pictures upright */
    int square;              /* resample non-square pixels (sar below) */
    AVRational sar;          /* the stream's sample aspect ratio, 0/1 if unknown */
    seg_image stage;         /* a converted picture on its way to being turned */
    seg_pixfmt out_fmt;      /* RGB24 or YUV420P */
    int vidx, aidx;          /* video / passthrough audio stream, -1 = none */
    AVRational vtb;          /* video stream time base */
    AVRational rate;         /* guessed frame rate, 0/1 if unknown */
    io_video_info info;
    char *url;               /* as given, for messages */
    int network;             /* a network URL */
    int deadline_on;         /* the deadline applies: network, FIFO or pipe */
    io_fdio *fdio;           /* a FIFO or pipe read with poll(); NULL otherwise */
    int (*ext_stop)(void *); /* the caller's interrupt (opts->interrupt) */
    void *ext_opaque;
    int64_t timeout_us;
    _Atomic int64_t deadline_us; /* av_gettime_relative() bound of the blocking call, INT64_MAX = none */
    atomic_int interrupted;
    int draining;            /* NULL packet sent */
    int done;                /* decoder drained: every read returns end_status */
    int end_status;          /* SEG_EOF, or the read error found before draining */
    int64_t next_index;
    int64_t last_pts;
    int have_pts;
    int have_file_id;
    dev_t dev;
    ino_t ino;
    int64_t warnings;
    /* Timestamp discontinuities (a reset in a joined MPEG-TS, a camera
     * restart): one offset for every stream, as ffmpeg keeps, in
     * AV_TIME_BASE; each stream's last dts and the dts expected next. */
    int discont_check;       /* the format allows discontinuities, or a live source */
    int64_t ts_offset;
    int64_t last_dts[2], next_dts[2]; /* [0] video, [1] audio; AV_NOPTS_VALUE = none yet */
    int64_t discontinuities;
    io_mem mem;              /* in-memory input (io_source_open_memory) */
    AVIOContext *mem_io;     /* custom I/O over mem; NULL for URLs */
    char err[IO_MSG_SIZE];
    char warn[IO_MSG_SIZE];
};

static pthread_once_t devices_once = PTHREAD_ONCE_INIT;

static void register_devices(void)
{
    avdevice_register_all();
}

/* A stop asked for: io_source_interrupt() or the caller's callback. */
static int stop_asked(const io_source *src)
{
    return atomic_load_explicit(&src->interrupted, memory_order_relaxed) ||
           (src->ext_stop && src->ext_stop(src->ext_opaque));
}

static int interrupt_cb(void *opaque)
{
    io_source *src = opaque;
    if (stop_asked(src))
        return 1;
    int64_t deadline = atomic_load_explicit(&src->deadline_us, memory_order_relaxed);
    return deadline != INT64_MAX && av_gettime_relative() > deadline;
}

/* Start the clock for one blocking call (network sources only). */
static void arm_deadline(io_source *src, int64_t extra_us)
{
    if (src->deadline_on)
        atomic_store_explicit(&src->deadline_us,
                              av_gettime_relative() + src->timeout_us + extra_us,
                              memory_order_relaxed);
}

static void disarm_deadline(io_source *src)
{
    atomic_store_explicit(&src->deadline_us, INT64_MAX, memory_order_relaxed);
}

static int timed_out(const io_source *src)
{
    return src->deadline_on && !stop_asked(src) &&
           av_gettime_relative() > atomic_load(&src->deadline_us);
}

static int format_is_device(const AVInputFormat *f)
{
    if (!f)
        return 0;
    if (strcmp(f->name, "lavfi") == 0)
        return 1;
    return f->priv_class && AV_IS_INPUT_DEVICE(f->priv_class->category);
}

/* Protocols whose "timeout" option is a read/connect timeout in
 * microseconds. Not rtmp: there "timeout" means "listen" in seconds. */
static int scheme_takes_timeout(const char *url)
{
    static const char *const schemes[] = {"http://", "https://", "tcp://", "tls://",
                                          "udp://", "rtsp://", "rtsps://", "rtp://"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
            return 1;
    return 0;
}

static int build_options(io_source *src, const io_source_opts *o, const char *url,
                         AVDictionary **dict)
{
    int ret = 0;
    if (o->video_size && ret >= 0)
        ret = av_dict_set(dict, "video_size", o->video_size, 0);
    if (o->framerate && ret >= 0)
        ret = av_dict_set(dict, "framerate", o->framerate, 0);
    if (o->pixel_format && ret >= 0) {
        /* v4l2 takes a codec ("mjpeg") or a raw format as input_format;
         * other devices know "pixel_format", which must be a pixel format. */
        ret = av_dict_set(dict, "input_format", o->pixel_format, 0);
        if (ret >= 0 && av_get_pix_fmt(o->pixel_format) != AV_PIX_FMT_NONE)
            ret = av_dict_set(dict, "pixel_format", o->pixel_format, 0);
    }
    if (src->network && ret >= 0) {
        ret = av_dict_set_int(dict, "rw_timeout", src->timeout_us, 0);
        if (ret >= 0 && scheme_takes_timeout(url))
            ret = av_dict_set_int(dict, "timeout", src->timeout_us, 0);
    }
    if (ret < 0) {
        IO_SET_ERROR(src, "INPUT '%s': out of memory", src->url);
        return SEG_ERR_NOMEM;
    }
    return SEG_OK;
}

/* Deprecated full-range "J" formats: the plain format plus a range flag,
 * which is how swscale wants them (and it stops warning). */
static enum AVPixelFormat plain_pix_fmt(enum AVPixelFormat f, int *full_range)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full_range = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full_range = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full_range = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full_range = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full_range = 1; return AV_PIX_FMT_YUV411P;
    default: return f;
    }
}

/* Whether YUV frames from pictures in @p f with range @p r are full range:
 * only a YUV input keeps its range (the J formats are full); everything
 * converted into YUV (RGB, grey, palettes) becomes limited range. */
static int frames_full_range(enum AVPixelFormat f, enum AVColorRange r)
{
    int full = r == AVCOL_RANGE_JPEG;
    return io_pix_fmt_is_yuv(plain_pix_fmt(f, &full)) && full;
}

/* The Y'CbCr matrix of a picture: its own tag, else what players assume for
 * untagged video (BT.709 from 720 lines up, BT.601 below). */
static seg_yuv_matrix yuv_matrix(enum AVColorSpace cs, int height)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return SEG_YUV_BT709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SEG_YUV_BT2020;
    case AVCOL_SPC_UNSPECIFIED:
    case AVCOL_SPC_RESERVED: return height >= 720 ? SEG_YUV_BT709 : SEG_YUV_BT601;
    default: return SEG_YUV_BT601; /* BT.470BG, SMPTE 170M/240M, FCC */
    }
}

static int size_over_limits(int w, int h);

static void fill_info(io_source *src, const AVCodec *codec)
{
    AVStream *st = src->fmt->streams[src->vidx];
    io_video_info *in = &src->info;
    AVRational r = av_guess_frame_rate(src->fmt, st, NULL);
    AVRational sar = av_guess_sample_aspect_ratio(src->fmt, st, NULL);

    in->stored_width = src->dec->width;
    in->stored_height = src->dec->height;
    in->time_base_num = st->time_base.num;
    in->time_base_den = st->time_base.den;
    if (r.num > 0 && r.den > 0) {
        in->frame_rate_num = r.num;
        in->frame_rate_den = r.den;
        src->rate = r;
    } else {
        src->rate = av_make_q(0, 1);
    }
    if (sar.num > 0 && sar.den > 0) {
        in->sar_num = in->stored_sar_num = sar.num;
        in->sar_den = in->stored_sar_den = sar.den;
        src->sar = sar;
    } else {
        in->sar_num = in->stored_sar_num = 0;
        in->sar_den = in->stored_sar_den = 1;
        src->sar = av_make_q(0, 1);
    }
    /* Upright and square, as the frames will come out. */
    int sw = in->stored_width, sh = in->stored_height;
    if (src->square && sar.num > 0 && sar.den > 0 && sar.num != sar.den) {
        int qw, qh;
        io_square_size(sw, sh, sar.num, sar.den, &qw, &qh);
        if (size_over_limits(qw, qh)) {
            /* An aspect so extreme that square pixels would pass the size
             * limits: the frames stay as stored, their aspect in sar. */
            src->square = 0;
        } else {
            sw = qw;
            sh = qh;
            in->squared = 1;
            in->sar_num = in->sar_den = 1;
        }
    }
    in->width = src->orient.transpose ? sh : sw;
    in->height = src->orient.transpose ? sw : sh;
    if (src->orient.transpose && !in->squared && in->sar_num > 0)
        FFSWAP(int, in->sar_num, in->sar_den); /* tall pixels on their side are wide */
    io_orient_op_describe(src->orient, &in->rotation, &in->flip);
    in->nb_frames = st->nb_frames > 0 ? st->nb_frames : 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        in->duration_s = (double)st->duration * av_q2d(st->time_base);
    else if (src->fmt->duration != AV_NOPTS_VALUE && src->fmt->duration > 0)
        in->duration_s = (double)src->fmt->duration / AV_TIME_BASE;
    else
        in->duration_s = -1.0;
    in->has_audio = src->aidx >= 0;
    in->format_name = src->fmt->iformat->name;
    in->codec_name = avcodec_get_name(codec->id);
    in->matrix = yuv_matrix(src->dec->colorspace, in->height);
    in->full_range = frames_full_range(src->dec->pix_fmt, src->dec->color_range);
}

/* How the pictures come out: turned as the display matrix or @p o says,
 * pixels made square unless IO_ORIENT_NONE. */
static void choose_orientation(io_source *src, io_orient o)
{
    src->square = o != IO_ORIENT_NONE;
    switch (o) {
    case IO_ORIENT_AUTO: {
        const AVStream *st = src->fmt->streams[src->vidx];
        size_t size = 0;
        const int32_t *m = (const int32_t *)av_stream_get_side_data(
            st, AV_PKT_DATA_DISPLAYMATRIX, &size);
        int odd = -1;
        int64_t not_counted = 0; /* io_source_warnings() counts corrupt data only */
        src->orient = io_orient_from_matrix(size >= 9 * sizeof(int32_t) ? m : NULL, &odd);
        if (odd >= 0)
            io_warn(&not_counted, src->warn, "INPUT '%s': a rotation of %d degrees is not a "
                    "multiple of 90: the pictures are used as stored (--rotate turns them)",
                    src->url, odd);
        break;
    }
    case IO_ORIENT_90: src->orient = io_orient_from_degrees(90); break;
    case IO_ORIENT_180: src->orient = io_orient_from_degrees(180); break;
    case IO_ORIENT_270: src->orient = io_orient_from_degrees(270); break;
    default: src->orient = io_orient_from_degrees(0); break;
    }
}

static int open_error(io_source *src, int averr, const char *what)
{
    if (averr == AVERROR_EXIT && stop_asked(src)) {
        IO_SET_ERROR(src, "INPUT '%s': interrupted", src->url);
        return SEG_ERR_INTERRUPTED;
    }
    if (averr == AVERROR_EXIT || timed_out(src)) {
        IO_SET_ERROR(src, "INPUT '%s': timed out after %lld ms%s", src->url,
                     (long long)(src->timeout_us / 1000), what);
        return SEG_ERR_IO;
    }
    IO_SET_ERROR(src, "INPUT '%s'%s: %s", src->url, what, av_err2str(averr));
    int st = io_status_from_averror(averr);
    /* Opening: a refusal to parse is bad input, everything else is I/O. */
    if (st == SEG_EOF || st == SEG_ERR_AGAIN || st == SEG_ERR_UNSUPPORTED)
        st = SEG_ERR_BAD_INPUT;
    return st;
}

static int size_over_limits(int w, int h)
{
    return w > SEG_MAX_DIM || h > SEG_MAX_DIM || (long long)w * h > SEG_MAX_PIXELS;
}

/* ---- in-memory input ---------------------------------------------------- */

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    io_mem *m = opaque;
    if (m->pos >= m->len)
        return AVERROR_EOF;
    size_t n = m->len - m->pos;
    if (size >= 0 && n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, m->buf + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    io_mem *m = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)m->len;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->pos; break;
    case SEEK_END: base = (int64_t)m->len; break;
    default: return AVERROR(EINVAL);
    }
    /* Both operands are at most the buffer's length or the caller's offset:
     * check before adding so that a hostile offset cannot overflow. */
    if (offset < -base || offset > (int64_t)m->len - base)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + offset);
    return (int64_t)m->pos;
}

/* A demuxer reading from memory must not open anything else: a playlist or
 * a concat list in the bytes would otherwise reach files and the network. */
static int refuse_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url,
                          int flags, AVDictionary **options)
{
    (void)s;
    (void)pb;
    (void)url;
    (void)flags;
    (void)options;
    return AVERROR(EPERM);
}

/* ---- open --------------------------------------------------------------- */

/* Declared sizes over the limits, checked as soon as the demuxer has read
 * the header: before probing decodes anything. Refused when every video
 * stream the header describes is over (an oversized extra stream, say a
 * cover picture, is left to the decoders' max_pixels cap). */
static int check_declared_sizes(io_source *src)
{
    const AVCodecParameters *over = NULL;
    for (unsigned i = 0; i < src->fmt->nb_streams; i++) {
        const AVCodecParameters *par = src->fmt->streams[i]->codecpar;
        if (par->codec_type != AVMEDIA_TYPE_VIDEO)
            continue;
        if (!size_over_limits(par->width, par->height))
            return SEG_OK;
        over = par;
    }
    if (over) {
        IO_SET_ERROR(src, "INPUT '%s': %dx%d video is over the limit (%d per side, %lld pixels)",
                     src->url, over->width, over->height, SEG_MAX_DIM, (long long)SEG_MAX_PIXELS);
        return SEG_ERR_LIMIT;
    }
    return SEG_OK;
}

/* Per-stream decoder options for probing: the same picture-area cap as our
 * decoder, so that avformat_find_stream_info() cannot allocate a picture
 * over the limit either. NULL when out of memory. */
static AVDictionary **probe_options(const AVFormatContext *fmt)
{
    AVDictionary **o = av_calloc(fmt->nb_streams ? fmt->nb_streams : 1, sizeof(*o));
    if (!o)
        return NULL;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        if (av_dict_set_int(&o[i], "max_pixels", SEG_MAX_PIXELS, 0) < 0) {
            for (unsigned k = 0; k <= i; k++)
                av_dict_free(&o[k]);
            av_free(o);
            return NULL;
        }
    }
    return o;
}

static void free_probe_options(AVDictionary ***o, unsigned n)
{
    if (!*o)
        return;
    for (unsigned i = 0; i < n; i++)
        av_dict_free(&(*o)[i]);
    av_freep(o);
}

/* io_source_open() and io_source_open_memory(): @p mem is NULL for a URL. */
static int source_open(io_source **out, const char *url, const io_mem *mem,
                       const io_source_opts *opts, char *err, size_t errlen)
{
    io_source *src = NULL;
    AVDictionary *dict = NULL;
    AVDictionary **probe_opts = NULL;
    unsigned probe_n = 0;
    const AVInputFormat *ifmt = NULL;
    const AVCodec *codec = NULL;
    io_source_opts o = {0};
    const char *format, *open_url = url;
    AVStream *st;
    int ret;

    if (err && errlen)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (opts)
        o = *opts;
    if (!out || !url || !*url || o.timeout_ms < 0 || o.decoder_threads < 0 ||
        (o.pixfmt != SEG_PIX_RGB24 && o.pixfmt != SEG_PIX_YUV420P) ||
        (unsigned)o.orient >= IO_ORIENT_COUNT) {
        seg_format_error(err, errlen, __func__, "INPUT: invalid arguments");
        return SEG_ERR_INVALID;
    }
    src = calloc(1, sizeof(*src));
    if (!src || !(src->url = av_strdup(url))) {
        free(src);
        seg_format_error(err, errlen, __func__, "INPUT '%s': out of memory", url);
        return SEG_ERR_NOMEM;
    }
    src->vidx = src->aidx = -1;
    for (int k = 0; k < 2; k++)
        src->last_dts[k] = src->next_dts[k] = AV_NOPTS_VALUE;
    src->out_fmt = o.pixfmt;
    src->end_status = SEG_EOF;
    atomic_init(&src->interrupted, 0);
    atomic_init(&src->deadline_us, INT64_MAX);
    src->timeout_us = (int64_t)(o.timeout_ms ? o.timeout_ms : DEFAULT_TIMEOUT_MS) * 1000;
    src->ext_stop = o.interrupt;
    src->ext_opaque = o.interrupt_opaque;
    pthread_once(&devices_once, register_devices);

    format = o.format;
    if (mem) {
        open_url = ""; /* the bytes are the input; the name is for messages */
    } else if (strncmp(url, "lavfi:", 6) == 0) {
        format = "lavfi";
        open_url = url + 6;
    } else if (!format && strncmp(url, "/dev/video", 10) == 0 && av_find_input_format("v4l2")) {
        format = "v4l2"; /* probing cannot recognise a device node */
    }
    if (format && !(ifmt = av_find_input_format(format))) {
        IO_SET_ERROR(src, "INPUT '%s': unknown input format '%s'", url, format);
        ret = SEG_ERR_INVALID;
        goto end;
    }
    if (mem && format_is_device(ifmt)) {
        IO_SET_ERROR(src, "INPUT '%s': format '%s' cannot read from memory", url, format);
        ret = SEG_ERR_INVALID;
        goto end;
    }
    src->network = !mem && !format_is_device(ifmt) && io_url_is_network(open_url);
    src->deadline_on = src->network;
    if (!mem && !src->network && !format_is_device(ifmt)) {
        /* Plain words for two common mistakes; the demuxers would say
         * "Invalid data found" or "moov atom not found" for an empty file. */
        struct stat sb;
        if (stat(io_url_file_path(open_url), &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                IO_SET_ERROR(src, "INPUT '%s': is a directory, not a video", url);
                ret = SEG_ERR_IO;
                goto end;
            }
            if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
                IO_SET_ERROR(src, "INPUT '%s': the file is empty", url);
                ret = SEG_ERR_BAD_INPUT;
                goto end;
            }
        }
    }
    if ((ret = build_options(src, &o, open_url, &dict)) < 0)
        goto end;

    if (!(src->fmt = avformat_alloc_context())) {
        IO_SET_ERROR(src, "INPUT '%s': out of memory", url);
        ret = SEG_ERR_NOMEM;
        goto end;
    }
    src->fmt->interrupt_callback.callback = interrupt_cb;
    src->fmt->interrupt_callback.opaque = src;
    if (mem) {
        src->mem = *mem;
        uint8_t *iobuf = av_malloc(MEM_IO_BUFFER);
        if (iobuf)
            src->mem_io = avio_alloc_context(iobuf, MEM_IO_BUFFER, 0, &src->mem, mem_read, NULL,
                                             mem_seek);
        if (!src->mem_io) {
            av_free(iobuf);
            IO_SET_ERROR(src, "INPUT '%s': out of memory", url);
            ret = SEG_ERR_NOMEM;
            goto end;
        }
        src->fmt->pb = src->mem_io; /* custom I/O: avformat never closes it */
        src->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
        src->fmt->io_open = refuse_io_open;
    } else if (!format_is_device(ifmt) && io_fdio_wanted(open_url, 0)) {
        /* A FIFO or pipe: FFmpeg's protocols would block in open() and
         * read() for as long as the writer pleases. */
        char msg[IO_MSG_SIZE];
        src->deadline_on = 1;
        if ((ret = io_fdio_open(&src->fdio, open_url, 0, &src->fmt->interrupt_callback, msg,
                                sizeof msg)) < 0) {
            IO_SET_ERROR(src, "INPUT %s", msg);
            goto end;
        }
        src->fmt->pb = io_fdio_context(src->fdio);
        src->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    arm_deadline(src, 0);
    ret = avformat_open_input(&src->fmt, open_url, ifmt, &dict); /* frees fmt on failure */
    if (ret < 0) {
        ret = open_error(src, ret, "");
        goto end;
    }
    if ((ret = check_declared_sizes(src)) < 0)
        goto end;
    probe_n = src->fmt->nb_streams;
    if (!(probe_opts = probe_options(src->fmt))) {
        IO_SET_ERROR(src, "INPUT '%s': out of memory", url);
        ret = SEG_ERR_NOMEM;
        goto end;
    }
    /* Probing reads up to max_analyze_duration of stream time, which for a
     * live stream is wall time: allow that on top of the timeout. */
    arm_deadline(src, src->fmt->max_analyze_duration > 0 ? 2 * src->fmt->max_analyze_duration
                                                         : 10 * (int64_t)AV_TIME_BASE);
    /* The options array has one entry per stream that existed before the
     * call; streams found while probing get none (FFmpeg's contract). */
    ret = avformat_find_stream_info(src->fmt, probe_opts);
    if (ret < 0) {
        ret = open_error(src, ret, " (reading stream info)");
        goto end;
    }
    disarm_deadline(src);

    ret = av_find_best_stream(src->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (ret < 0) {
        IO_SET_ERROR(src, "INPUT '%s': no video stream", url);
        ret = SEG_ERR_BAD_INPUT;
        goto end;
    }
    src->vidx = ret;
    st = src->fmt->streams[src->vidx];
    src->vtb = st->time_base;
    if (!(codec = avcodec_find_decoder(st->codecpar->codec_id))) {
        IO_SET_ERROR(src, "INPUT '%s': no decoder for video codec '%s'", url,
                     avcodec_get_name(st->codecpar->codec_id));
        ret = SEG_ERR_BAD_INPUT;
        goto end;
    }
    if (size_over_limits(st->codecpar->width, st->codecpar->height)) {
        IO_SET_ERROR(src, "INPUT '%s': %dx%d video is over the limit (%d per side, %lld pixels)",
                     url, st->codecpar->width, st->codecpar->height, SEG_MAX_DIM,
                     (long long)SEG_MAX_PIXELS);
        ret = SEG_ERR_LIMIT;
        goto end;
    }
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
        /* Probing decoded nothing that gives a size: a picture cut short or
         * junk with a picture's name (the pipeline would go on with 0x0). */
        IO_SET_ERROR(src, "INPUT '%s': no %s picture could be decoded from it (truncated or "
                     "corrupt?)", url, avcodec_get_name(st->codecpar->codec_id));
        ret = SEG_ERR_BAD_INPUT;
        goto end;
    }
    if (!(src->dec = avcodec_alloc_context3(codec)) || !(src->pkt = av_packet_alloc()) ||
        !(src->frame = av_frame_alloc())) {
        IO_SET_ERROR(src, "INPUT '%s': out of memory", url);
        ret = SEG_ERR_NOMEM;
        goto end;
    }
    if ((ret = avcodec_parameters_to_context(src->dec, st->codecpar)) < 0) {
        ret = open_error(src, ret, " (decoder parameters)");
        goto end;
    }
    src->dec->pkt_timebase = st->time_base;
    src->dec->thread_count = o.decoder_threads > 0 ? o.decoder_threads : 1;
    /* libavcodec refuses to allocate a picture larger than this, so a size
     * change in the middle of a stream is capped before any allocation too
     * (deliver_frame() checks the sides). */
    src->dec->max_pixels = SEG_MAX_PIXELS;
    src->info.is_live = format_is_device(src->fmt->iformat) || src->network;
    /* Frame threading holds thread_count - 1 frames back: latency a live
     * source should not pay. */
    if (src->info.is_live)
        src->dec->thread_type = FF_THREAD_SLICE;
    if ((ret = avcodec_open2(src->dec, codec, NULL)) < 0) {
        ret = open_error(src, ret, " (opening the video decoder)");
        goto end;
    }

    if (o.want_audio) {
        ret = av_find_best_stream(src->fmt, AVMEDIA_TYPE_AUDIO, -1, src->vidx, NULL, 0);
        src->aidx = ret >= 0 ? ret : -1;
    }
    for (unsigned i = 0; i < src->fmt->nb_streams; i++)
        if ((int)i != src->vidx && (int)i != src->aidx)
            src->fmt->streams[i]->discard = AVDISCARD_ALL;

    if (!mem && !src->network && !format_is_device(src->fmt->iformat)) {
        struct stat sb;
        if (stat(io_url_file_path(open_url), &sb) == 0) {
            src->have_file_id = 1;
            src->dev = sb.st_dev;
            src->ino = sb.st_ino;
        }
    }
    choose_orientation(src, o.orient);
    fill_info(src, codec);
    src->discont_check = (src->fmt->iformat->flags & AVFMT_TS_DISCONT) || src->info.is_live;
    ret = SEG_OK;

end:
    av_dict_free(&dict);
    free_probe_options(&probe_opts, probe_n);
    if (ret < 0) {
        seg_format_error(err, errlen, __func__, "%s", src->err);
        io_source_close(&src);
        return ret;
    }
    *out = src;
    return SEG_OK;
}

int io_source_open(io_source **out, const char *url, const io_source_opts *opts,
                   char *err, size_t errlen)
{
    return source_open(out, url, NULL, opts, err, errlen);
}

int io_source_open_memory(io_source **out, const void *buf, size_t len, const char *name,
                          const io_source_opts *opts, char *err, size_t errlen)
{
    if (!buf && len) {
        seg_format_error(err, errlen, __func__, "INPUT: invalid arguments");
        if (out)
            *out = NULL;
        return SEG_ERR_INVALID;
    }
    io_mem mem = {buf ? buf : (const void *)"", len, 0};
    return source_open(out, name && *name ? name : "memory", &mem, opts, err, errlen);
}

const io_video_info *io_source_info(const io_source *src)
{
    return src ? &src->info : NULL;
}

/* A pts for a frame that has none: the previous one plus the frame's
 * duration (or one nominal frame), or index / rate for the first. */
static int64_t synthesise_pts(const io_source *src, const AVFrame *f)
{
    int64_t step = 1;
    if (f->pkt_duration > 0)
        step = f->pkt_duration;
    else if (src->rate.num > 0)
        step = av_rescale_q(1, av_inv_q(src->rate), src->vtb);
    if (step < 1)
        step = 1;
    if (src->have_pts)
        return src->last_pts + step;
    if (src->rate.num > 0)
        return av_rescale_q(src->next_index, av_inv_q(src->rate), src->vtb);
    return src->next_index * step;
}

/* Convert src->frame into @p image (src->out_fmt, upright and with square
 * pixels as src->orient and src->square say) and unref it. Pictures to be
 * turned are converted (and resampled) into src->stage first; 4:2:0 planes
 * that need no resampling are turned straight from the decoder's. */
static int deliver_frame(io_source *src, seg_image *image)
{
    AVFrame *f = src->frame;
    int w = f->width, h = f->height, ret;
    int full_range = f->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat pf = plain_pix_fmt((enum AVPixelFormat)f->format, &full_range);
    seg_pixfmt of = src->out_fmt;
    int turn = io_orient_op_any(src->orient);
    int sw = w, sh = h; /* size before the turn */

    if (w <= 0 || h <= 0 || pf == AV_PIX_FMT_NONE) {
        IO_SET_ERROR(src, "INPUT '%s': decoder gave an empty %dx%d frame", src->url, w, h);
        ret = SEG_ERR_BAD_INPUT;
        goto end;
    }
    if (src->square)
        io_square_size(w, h, src->sar.num, src->sar.den, &sw, &sh);
    if (size_over_limits(w, h) || size_over_limits(sw, sh)) { /* before any allocation */
        IO_SET_ERROR(src, "INPUT '%s': %dx%d frame is over the limit (%d per side, %lld pixels)",
                     src->url, sw, sh, SEG_MAX_DIM, (long long)SEG_MAX_PIXELS);
        ret = SEG_ERR_LIMIT;
        goto end;
    }
    int ow = src->orient.transpose ? sh : sw, oh = src->orient.transpose ? sw : sh;
    if (!image->data || image->width != ow || image->height != oh || image->format != of) {
        seg_image_free(image);
        if ((ret = seg_image_alloc(image, ow, oh, of)) < 0) {
            IO_SET_ERROR(src, "INPUT '%s': cannot allocate a %dx%d frame: %s", src->url, ow, oh,
                         seg_status_str(ret));
            goto end;
        }
    }
    /* Where the conversion goes: the frame itself, or the stage to turn. */
    seg_image *conv = image;
    if (turn && !(of == SEG_PIX_YUV420P && pf == AV_PIX_FMT_YUV420P && sw == w && sh == h)) {
        conv = &src->stage;
        if (!conv->data || conv->width != sw || conv->height != sh || conv->format != of) {
            seg_image_free(conv);
            if ((ret = seg_image_alloc(conv, sw, sh, of)) < 0) {
                IO_SET_ERROR(src, "INPUT '%s': cannot allocate a %dx%d frame: %s", src->url, sw,
                             sh, seg_status_str(ret));
                goto end;
            }
        }
    }
    int yuv_in = io_pix_fmt_is_yuv(pf);
    seg_yuv_matrix matrix = yuv_matrix(f->colorspace, h);
    if (of == SEG_PIX_YUV420P) {
        /* Planes the encoder will take as they are: a YUV input keeps its
         * matrix and range; anything else becomes limited range. */
        image->matrix = conv->matrix = matrix;
        image->full_range = conv->full_range =
            frames_full_range((enum AVPixelFormat)f->format, f->color_range);
        if (pf == AV_PIX_FMT_YUV420P && sw == w && sh == h) {
            /* nearly every video: a copy (or the turn) */
            io_orient_op op = src->orient;
            io_orient_plane(op, f->data[0], f->linesize[0], w, h, 1, image->data, image->stride);
            io_orient_plane(op, f->data[1], f->linesize[1], seg_chroma_w(w), seg_chroma_h(h), 1,
                            image->cb, image->cstride);
            io_orient_plane(op, f->data[2], f->linesize[2], seg_chroma_w(w), seg_chroma_h(h), 1,
                            image->cr, image->cstride);
            goto timing;
        }
    }
    /* A pixel format conversion, and the resampling to square pixels. The
     * cached context is rebuilt when the size or format changes mid-stream. */
    enum AVPixelFormat opf = of == SEG_PIX_YUV420P ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_RGB24;
    src->sws = sws_getCachedContext(src->sws, w, h, pf, sw, sh, opf, SWS_BILINEAR, NULL, NULL,
                                    NULL);
    if (!src->sws) {
        IO_SET_ERROR(src, "INPUT '%s': cannot convert %s to %s", src->url,
                     av_get_pix_fmt_name(pf) ? av_get_pix_fmt_name(pf) : "?",
                     seg_pixfmt_name(of));
        memset(src->sws_key, 0, sizeof src->sws_key); /* a new context needs its set-up */
        ret = SEG_ERR_UNSUPPORTED;
        goto end;
    }
    int key[8] = {w, h, (int)pf, (int)matrix, full_range, (int)of, sw, sh};
    if (memcmp(key, src->sws_key, sizeof(key)) != 0) {
        /* Honour the stream's matrix and range (swscale assumes BT.601
         * limited otherwise); YUV out gets the image's (a YUV input's own,
         * else limited), so the tags the sink writes are true. Into RGB,
         * other inputs (grey, palettes) keep swscale's defaults. Best
         * effort: ignore refusal. */
        if (yuv_in || of == SEG_PIX_YUV420P)
            io_sws_colorspace(src->sws, matrix, full_range,
                              of == SEG_PIX_YUV420P ? image->full_range : 1);
        memcpy(src->sws_key, key, sizeof(key));
    }
    uint8_t *dst[4] = {conv->data, conv->cb, conv->cr, NULL};
    int dst_stride[4] = {conv->stride, conv->cstride, conv->cstride, 0};
    if (sws_scale(src->sws, (const uint8_t *const *)f->data, f->linesize, 0, h, dst,
                  dst_stride) != sh) {
        IO_SET_ERROR(src, "INPUT '%s': pixel conversion failed", src->url);
        ret = SEG_ERR_UNSUPPORTED;
        goto end;
    }
    if (conv != image)
        io_orient_apply(src->orient, conv, image);

timing:;
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = synthesise_pts(src, f);
    image->pts = pts;
    image->index = src->next_index++;
    src->last_pts = pts;
    src->have_pts = 1;
    ret = IO_READ_VIDEO;

end:
    av_frame_unref(f);
    return ret;
}

/* How far timestamps may jump before they count as a discontinuity:
 * ffmpeg's defaults (-dts_delta_threshold 10 s; back by more than 0.1 s). */
#define DISCONT_FORWARD_US (10 * (int64_t)AV_TIME_BASE)
#define DISCONT_BACK_US (AV_TIME_BASE / 10)

/* Timestamps that jump (a reset where two MPEG-TS files were joined, a
 * camera that restarts): the input's offset moves so that the stream goes
 * on from where it was expected next, for video and audio alike, as ffmpeg
 * does for formats that allow discontinuities (AVFMT_TS_DISCONT) and here
 * for live sources too. One warning per discontinuity. Applies the offset
 * to src->pkt, a packet of the video or audio stream. */
static void fix_discontinuity(io_source *src)
{
    AVPacket *p = src->pkt;
    const AVStream *st = src->fmt->streams[p->stream_index];
    int k = p->stream_index == src->vidx ? 0 : 1;
    int64_t off = av_rescale_q(src->ts_offset, AV_TIME_BASE_Q, st->time_base);
    if (p->dts != AV_NOPTS_VALUE)
        p->dts += off;
    if (p->pts != AV_NOPTS_VALUE)
        p->pts += off;
    if (p->dts == AV_NOPTS_VALUE)
        return;
    int64_t dts = av_rescale_q(p->dts, st->time_base, AV_TIME_BASE_Q);
    if (src->discont_check && src->next_dts[k] != AV_NOPTS_VALUE) {
        int64_t delta = dts - src->next_dts[k];
        if (delta > DISCONT_FORWARD_US || delta < -DISCONT_FORWARD_US ||
            dts + DISCONT_BACK_US < src->last_dts[k]) {
            src->ts_offset -= delta;
            int64_t d = av_rescale_q(delta, AV_TIME_BASE_Q, st->time_base);
            p->dts -= d;
            if (p->pts != AV_NOPTS_VALUE)
                p->pts -= d;
            dts -= delta;
            io_warn(&src->discontinuities, src->warn,
                    "INPUT '%s': timestamps jump %s by %.3f s near frame %lld; the timing "
                    "goes on from %.3f s (offset %+.3f s, video and audio)", src->url,
                    delta < 0 ? "back" : "forward", fabs((double)delta / AV_TIME_BASE),
                    (long long)src->next_index, (double)dts / AV_TIME_BASE,
                    (double)src->ts_offset / AV_TIME_BASE);
        }
    }
    /* The next packet is expected one duration on (one nominal frame for
     * video without one). */
    int64_t dur = p->duration > 0 ? av_rescale_q(p->duration, st->time_base, AV_TIME_BASE_Q) : 0;
    if (dur <= 0 && k == 0 && src->rate.num > 0)
        dur = av_rescale_q(1, av_inv_q(src->rate), AV_TIME_BASE_Q);
    if (src->last_dts[k] == AV_NOPTS_VALUE || dts > src->last_dts[k])
        src->last_dts[k] = dts;
    src->next_dts[k] = dts + dur;
}

/* Read one packet into src->pkt. 1 = got one, 0 = the input ended (drain
 * now; src->end_status says how it ended), <0 = stop now. */
static int read_packet(io_source *src)
{
    int ret;
    for (;;) {
        arm_deadline(src, 0);
        ret = av_read_frame(src->fmt, src->pkt);
        if (ret >= 0) {
            disarm_deadline(src);
            if (src->pkt->stream_index == src->vidx || src->pkt->stream_index == src->aidx)
                fix_discontinuity(src);
            return 1;
        }
        if (ret != AVERROR(EAGAIN) || timed_out(src))
            break;
        if (stop_asked(src))
            break;
        av_usleep(1000); /* a non-blocking device with nothing yet */
    }
    if (stop_asked(src)) {
        IO_SET_ERROR(src, "INPUT '%s': interrupted", src->url);
        disarm_deadline(src);
        return SEG_ERR_INTERRUPTED;
    }
    if (timed_out(src)) {
        /* Whatever the demuxer made of the aborted read (some say EOF). */
        src->end_status = open_error(src, AVERROR_EXIT, " (reading)");
    } else if (ret == AVERROR_EOF) {
        src->end_status = SEG_EOF;
    } else if (ret == AVERROR_INVALIDDATA) {
        /* A demuxer that gives up on corrupt data: keep what was decoded. */
        io_warn(&src->warnings, src->warn, "INPUT '%s': stopped reading at corrupt data: %s",
                src->url, av_err2str(ret));
        src->end_status = SEG_EOF;
    } else {
        src->end_status = open_error(src, ret, " (reading)");
    }
    disarm_deadline(src);
    return 0;
}

static int hand_out_audio(io_source *src, io_packet **pkt_out)
{
    io_packet *p = NULL;
    if (!pkt_out) {
        av_packet_unref(src->pkt);
        return 0;
    }
    if (!(p = calloc(1, sizeof(*p))) || !(p->pkt = av_packet_alloc())) {
        free(p);
        av_packet_unref(src->pkt);
        IO_SET_ERROR(src, "INPUT '%s': out of memory", src->url);
        return SEG_ERR_NOMEM;
    }
    av_packet_move_ref(p->pkt, src->pkt);
    p->time_base = src->fmt->streams[src->aidx]->time_base;
    p->codec_id = src->fmt->streams[src->aidx]->codecpar->codec_id;
    *pkt_out = p;
    return IO_READ_AUDIO;
}

int io_source_read(io_source *src, seg_image *frame, io_packet **pkt)
{
    int ret;
    if (!src || !frame)
        return SEG_ERR_INVALID;
    if (src->done)
        return src->end_status;
    for (;;) {
        if (stop_asked(src)) {
            IO_SET_ERROR(src, "INPUT '%s': interrupted", src->url);
            return SEG_ERR_INTERRUPTED;
        }
        ret = avcodec_receive_frame(src->dec, src->frame);
        if (ret >= 0)
            return deliver_frame(src, frame);
        if (ret == AVERROR_EOF) {
            src->done = 1;
            return src->end_status;
        }
        if (ret == AVERROR_INVALIDDATA) {
            io_warn(&src->warnings, src->warn, "INPUT '%s': frame %lld: %s (skipped)", src->url,
                    (long long)src->next_index, av_err2str(ret));
            continue;
        }
        if (ret != AVERROR(EAGAIN)) {
            IO_SET_ERROR(src, "INPUT '%s': decoding failed: %s", src->url, av_err2str(ret));
            return io_status_from_averror(ret) == SEG_ERR_NOMEM ? SEG_ERR_NOMEM : SEG_ERR_BAD_INPUT;
        }
        if (src->draining) { /* cannot happen: a draining decoder never asks for input */
            src->done = 1;
            return src->end_status;
        }

        /* The decoder wants input. */
        ret = read_packet(src);
        if (ret < 0)
            return ret;
        if (ret == 0) {
            src->draining = 1;
            ret = avcodec_send_packet(src->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF) {
                IO_SET_ERROR(src, "INPUT '%s': draining the decoder: %s", src->url,
                             av_err2str(ret));
                src->done = 1;
                src->end_status = SEG_ERR_BAD_INPUT;
                return src->end_status;
            }
            continue;
        }
        if (src->pkt->stream_index == src->aidx) {
            ret = hand_out_audio(src, pkt);
            if (ret != 0)
                return ret;
            continue;
        }
        if (src->pkt->stream_index != src->vidx) {
            av_packet_unref(src->pkt);
            continue;
        }
        /* receive_frame said EAGAIN, so send_packet cannot say it too. */
        ret = avcodec_send_packet(src->dec, src->pkt);
        av_packet_unref(src->pkt);
        if (ret == AVERROR_INVALIDDATA) {
            io_warn(&src->warnings, src->warn, "INPUT '%s': corrupt packet near frame %lld: %s "
                    "(skipped)", src->url, (long long)src->next_index, av_err2str(ret));
        } else if (ret < 0) {
            IO_SET_ERROR(src, "INPUT '%s': decoding failed: %s", src->url, av_err2str(ret));
            return io_status_from_averror(ret) == SEG_ERR_NOMEM ? SEG_ERR_NOMEM : SEG_ERR_BAD_INPUT;
        }
    }
}

int64_t io_source_warnings(const io_source *src)
{
    return src ? src->warnings : 0;
}

const char *io_source_last_warning(const io_source *src)
{
    return src ? src->warn : "";
}

void io_source_interrupt(io_source *src)
{
    if (src)
        atomic_store(&src->interrupted, 1);
}

const char *io_source_last_error(const io_source *src)
{
    return src ? src->err : "no source";
}

void io_source_close(io_source **psrc)
{
    if (!psrc || !*psrc)
        return;
    io_source *src = *psrc;
    sws_freeContext(src->sws);
    seg_image_free(&src->stage);
    av_frame_free(&src->frame);
    av_packet_free(&src->pkt);
    avcodec_free_context(&src->dec);
    avformat_close_input(&src->fmt);
    if (src->mem_io) { /* custom I/O is ours to free, after the demuxer */
        av_freep(&src->mem_io->buffer);
        avio_context_free(&src->mem_io);
    }
    io_fdio_close(&src->fdio);
    av_free(src->url);
    free(src);
    *psrc = NULL;
}

void io_packet_free(io_packet **pkt)
{
    if (!pkt || !*pkt)
        return;
    av_packet_free(&(*pkt)->pkt);
    free(*pkt);
    *pkt = NULL;
}

const AVStream *io_source_audio_stream(const io_source *src)
{
    return src && src->aidx >= 0 ? src->fmt->streams[src->aidx] : NULL;
}

const AVStream *io_source_video_stream(const io_source *src)
{
    return src && src->vidx >= 0 ? src->fmt->streams[src->vidx] : NULL;
}

int64_t io_source_start_time(const io_source *src)
{
    if (!src || src->fmt->start_time == AV_NOPTS_VALUE)
        return 0;
    return src->fmt->start_time;
}

int io_source_file_id(const io_source *src, dev_t *dev, ino_t *ino)
{
    if (!src || !src->have_file_id)
        return 0;
    *dev = src->dev;
    *ino = src->ino;
    return 1;
}
