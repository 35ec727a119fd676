/* io_sink.c - encode RGB24, RGBA or YUV420P frames and mux them, with
 * passthrough audio. */
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/avstring.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

#define DEFAULT_CRF 20
#define DEFAULT_PRESET "veryfast"
#define DEFAULT_TIMEOUT_MS 10000
/* After a stop, the longest a write may make no progress before it is
 * given up: a healthy output still gets its trailer, a stalled one does
 * not hold the stop up. */
#define STOP_GRACE_US 1000000
/* SRT in live mode hands each packet over one latency after it was sent
 * and drops what it still holds when the sender closes: the sender keeps
 * the connection open that long (plus this, for acknowledgements and
 * retransmissions) after the last write. The latency is the larger of the
 * two ends' and the sender cannot see the receiver's through FFmpeg: it
 * assumes at least 1 s (SRT's default is 120 ms; receivers on the internet
 * often ask for more) unless the URL asks for more. */
#define SRT_MIN_LATENCY_US 1000000
#define SRT_DRAIN_MARGIN_US 250000
#define SRT_DRAIN_MAX_US 30000000

struct io_sink {
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *vst;           /* encoded video */
    AVStream *ast;           /* copied audio, NULL = none or dropped */
    AVFrame *frame;          /* preallocated encoder input */
    AVPacket *pkt;
    struct SwsContext *sws;  /* frames -> encoder pixel format, same size; NULL when
                                YUV420P frames go to a yuv420p encoder as they are */
    char *url;               /* for messages */
    char *final_path;        /* a regular file: its name (a symlink resolved) ... */
    char *tmp_path;          /* ... and the temporary file written until finish */
    int overwrite;           /* the final name may replace a file */
    io_fdio *fdio;           /* a FIFO or pipe written with poll(); NULL otherwise */
    /* Stalls: time since the output last moved, seen from the interrupt
     * callback (which runs on the writing thread, inside FFmpeg's writes). */
    int64_t timeout_us;
    int (*ext_stop)(void *);
    void *ext_opaque;
    AVIOContext *watched;    /* fmt->pb while it is open: its position is the progress
                                (cleared before closing: avio_close frees it, then
                                closes the protocol, which may still ask the callback) */
    int64_t stall_mark;      /* output position when stall_since was set */
    int64_t stall_since;     /* av_gettime_relative(); 0 = not yet */
    int timed_out;           /* the callback gave up: no progress for timeout_us */
    int stopped;             /* ... or a stop while it made none for STOP_GRACE_US */
    int64_t srt_drain_us;    /* SRT: wait this long after the trailer; 0 = not SRT */
    int64_t frames;          /* frames given to the encoder */
    AVRational in_tb;        /* time base of seg_image.pts */
    int64_t offset_us;       /* the input's start time: subtracted from all timestamps */
    int in_w, in_h;          /* size of the frames we are given */
    int rgba;                /* frames are RGBA (alpha kept) */
    int yuv;                 /* frames are YUV420P */
    int64_t frame_dur;       /* one nominal frame in the encoder time base */
    int64_t last_pts;
    int have_pts;
    int header_written;
    int one_picture;         /* a picture name without a %d pattern: one frame only */
    int audio_cut;           /* the input's audio changed codec: no more audio */
    int finished;
    int status;              /* first error (sticky), SEG_OK while all is well */
    int64_t warnings;
    char err[IO_MSG_SIZE];
    char warn[IO_MSG_SIZE];
};

static int fail(io_sink *snk, int status)
{
    if (snk->status == SEG_OK)
        snk->status = status;
    return status;
}

static enum AVPixelFormat choose_pix_fmt(const AVCodec *codec, const AVOutputFormat *f)
{
    /* Raw video is only readable in a layout the container has a tag for:
     * BGR24 in MOV ('raw '), AVI and NUT (DIB); Matroska takes only Y'CbCr
     * (ffmpeg warns "output file will be unreadable" about the rest). */
    if (codec->id == AV_CODEC_ID_RAWVIDEO && strcmp(f->name, "matroska") != 0)
        return AV_PIX_FMT_BGR24;
    if (!codec->pix_fmts)
        return AV_PIX_FMT_YUV420P;
    /* JPEG is full range: what every picture viewer assumes. */
    if (codec->id == AV_CODEC_ID_MJPEG)
        return AV_PIX_FMT_YUVJ420P;
    for (const enum AVPixelFormat *p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == AV_PIX_FMT_YUV420P)
            return *p;
    return codec->pix_fmts[0];
}

/* A pixel format with alpha: 8-bit RGB ones first (lossless alpha and
 * colour), then 8-bit Y'CbCr (VP9's yuva420p), then deeper ones (ProRes
 * 4444's yuva444p10le); AV_PIX_FMT_NONE when the encoder has none. */
static enum AVPixelFormat choose_alpha_pix_fmt(const AVCodec *codec)
{
    enum AVPixelFormat any8 = AV_PIX_FMT_NONE, deep = AV_PIX_FMT_NONE;
    if (!codec->pix_fmts)
        return AV_PIX_FMT_NONE;
    for (const enum AVPixelFormat *p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; p++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*p);
        if (!d || !(d->flags & AV_PIX_FMT_FLAG_ALPHA) || (d->flags & AV_PIX_FMT_FLAG_PAL) ||
            d->comp[0].depth < 8 || d->comp[0].depth > 16)
            continue;
        if (d->comp[0].depth != 8) {
            if (deep == AV_PIX_FMT_NONE)
                deep = *p;
            continue;
        }
        if (d->flags & AV_PIX_FMT_FLAG_RGB)
            return *p;
        if (any8 == AV_PIX_FMT_NONE)
            any8 = *p;
    }
    return any8 != AV_PIX_FMT_NONE ? any8 : deep;
}

/* Containers players and editors read no alpha from (FFmpeg would write
 * PNG in MP4, which most of them refuse). */
static int refuses_alpha(const AVOutputFormat *f)
{
    return strcmp(f->name, "mp4") == 0 || strcmp(f->name, "ipod") == 0 ||
           strcmp(f->name, "3gp") == 0 || strcmp(f->name, "3g2") == 0 ||
           strcmp(f->name, "mpegts") == 0 || strcmp(f->name, "flv") == 0;
}

/* What muxers that answer no avformat_query_codec() carry so that players
 * (and ffprobe) see it; from their sources in FFmpeg 5.1 (mpegtsenc.c's
 * stream types, mpegenc.c, oggenc.c, mxfenc.c). Anything else written into
 * them is an unnamed data stream (MPEG-TS) or an error at the header. */
static const struct carries {
    const char *muxer;
    enum AVCodecID ids[16]; /* video and audio; AV_CODEC_ID_NONE ends */
} CARRIES[] = {
    {"mpegts", {AV_CODEC_ID_MPEG1VIDEO, AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MPEG4,
                AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_DIRAC, AV_CODEC_ID_VC1,
                AV_CODEC_ID_MP2, AV_CODEC_ID_MP3, AV_CODEC_ID_AAC, AV_CODEC_ID_AC3,
                AV_CODEC_ID_EAC3, AV_CODEC_ID_DTS, AV_CODEC_ID_OPUS, AV_CODEC_ID_NONE}},
    {"mpeg", {AV_CODEC_ID_MPEG1VIDEO, AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MP2, AV_CODEC_ID_MP3,
              AV_CODEC_ID_AC3, AV_CODEC_ID_NONE}},
    {"vob", {AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MPEG1VIDEO, AV_CODEC_ID_MP2, AV_CODEC_ID_AC3,
             AV_CODEC_ID_NONE}},
    {"ogg", {AV_CODEC_ID_THEORA, AV_CODEC_ID_VP8, AV_CODEC_ID_VORBIS, AV_CODEC_ID_OPUS,
             AV_CODEC_ID_FLAC, AV_CODEC_ID_SPEEX, AV_CODEC_ID_NONE}},
    {"mxf", {AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_H264, AV_CODEC_ID_DNXHD, AV_CODEC_ID_PRORES,
             AV_CODEC_ID_DVVIDEO, AV_CODEC_ID_PCM_S16LE, AV_CODEC_ID_PCM_S24LE,
             AV_CODEC_ID_NONE}},
};

/* Whether format @p f carries codec @p id: the muxer's own answer where it
 * gives one (a query_codec or its codec tags), else the table above, else
 * (an elementary-stream muxer: .h264, .m4v, .mjpeg...) only its own codec.
 * MPEG-TS says nothing and writes anything as data. */
static int container_takes(const AVOutputFormat *f, enum AVCodecID id)
{
    int r = avformat_query_codec(f, id, FF_COMPLIANCE_NORMAL);
    if (r >= 0)
        return r;
    for (size_t i = 0; i < sizeof CARRIES / sizeof CARRIES[0]; i++) {
        if (strcmp(f->name, CARRIES[i].muxer) != 0)
            continue;
        for (const enum AVCodecID *p = CARRIES[i].ids; *p != AV_CODEC_ID_NONE; p++)
            if (*p == id)
                return 1;
        return 0;
    }
    return id == f->video_codec || id == f->audio_codec;
}

#define ALPHA_HINT "for video with alpha use .mov (ProRes 4444: --codec prores_ks; or the " \
                   "default QuickTime Animation), .webm (VP9 with alpha) or .mkv (FFV1), or " \
                   "RGBA PNG pictures (out_%%04d.png, or --dump-frames DIR)"

/* A picture or a numbered sequence of them (image2): its encoder follows
 * the extension (.png, .jpg, .webp, .tif, .bmp). */
static int is_picture_format(const AVOutputFormat *f)
{
    return strcmp(f->name, "image2") == 0 || strcmp(f->name, "image2pipe") == 0;
}

static int is_x264(const AVCodec *codec)
{
    return strncmp(codec->name, "libx264", 7) == 0;
}

static const AVCodec *choose_encoder(io_sink *snk, const io_sink_params *p, int *ret)
{
    const AVOutputFormat *ofmt = snk->fmt->oformat;
    const AVCodec *codec = NULL;

    if (p->rgba && refuses_alpha(ofmt)) {
        IO_SET_ERROR(snk, "OUTPUT '%s': %s files do not keep an alpha channel that players "
                     "and editors read; " ALPHA_HINT, snk->url, ofmt->name);
        *ret = SEG_ERR_UNSUPPORTED;
        return NULL;
    }
    if (p->codec) {
        codec = avcodec_find_encoder_by_name(p->codec);
        if (!codec || codec->type != AVMEDIA_TYPE_VIDEO) {
            IO_SET_ERROR(snk, "OUTPUT '%s': unknown video encoder '%s'", snk->url, p->codec);
            *ret = SEG_ERR_INVALID;
            return NULL;
        }
    } else if (is_picture_format(ofmt)) {
        enum AVCodecID id = av_guess_codec(ofmt, NULL, snk->url, NULL, AVMEDIA_TYPE_VIDEO);
        if (id == AV_CODEC_ID_NONE || !(codec = avcodec_find_encoder(id))) {
            IO_SET_ERROR(snk, "OUTPUT '%s': no picture encoder for this extension (%s); use "
                         ".png, .jpg or .webp", snk->url,
                         id == AV_CODEC_ID_NONE ? "unknown" : avcodec_get_name(id));
            *ret = SEG_ERR_UNSUPPORTED;
            return NULL;
        }
        return codec; /* image2 takes any codec; query_codec cannot tell */
    } else if (strcmp(ofmt->name, "webp") == 0 || strcmp(ofmt->name, "apng") == 0 ||
               strcmp(ofmt->name, "gif") == 0) {
        /* Picture formats with a muxer of their own (one picture, or an
         * animation): their one codec. */
        if (!(codec = avcodec_find_encoder(ofmt->video_codec))) {
            IO_SET_ERROR(snk, "OUTPUT '%s': this FFmpeg has no %s encoder", snk->url,
                         avcodec_get_name(ofmt->video_codec));
            *ret = SEG_ERR_UNSUPPORTED;
            return NULL;
        }
    } else if (p->rgba) {
        /* Alpha needs an encoder that keeps it: the container's own first
         * (VP9 for WebM), then the first of these it takes. */
        static const char *const ALPHA_CODECS[] = {"qtrle", "ffv1", "png", NULL};
        if (strcmp(ofmt->name, "webm") == 0)
            codec = avcodec_find_encoder_by_name("libvpx-vp9");
        for (int i = 0; ALPHA_CODECS[i] && !codec; i++) {
            const AVCodec *c = avcodec_find_encoder_by_name(ALPHA_CODECS[i]);
            if (c && container_takes(ofmt, c->id))
                codec = c;
        }
        if (!codec) {
            IO_SET_ERROR(snk, "OUTPUT '%s': format '%s' holds no video codec with an alpha "
                         "channel; " ALPHA_HINT, snk->url, ofmt->name);
            *ret = SEG_ERR_UNSUPPORTED;
            return NULL;
        }
    } else {
        const AVCodec *x264 = avcodec_find_encoder_by_name("libx264");
        if (x264 && container_takes(ofmt, AV_CODEC_ID_H264))
            codec = x264;
        else if (ofmt->video_codec != AV_CODEC_ID_NONE)
            codec = avcodec_find_encoder(ofmt->video_codec);
        if (!codec) {
            IO_SET_ERROR(snk, "OUTPUT '%s': no video encoder for format '%s'", snk->url,
                         ofmt->name);
            *ret = SEG_ERR_UNSUPPORTED;
            return NULL;
        }
    }
    if (!container_takes(ofmt, codec->id)) {
        IO_SET_ERROR(snk, "OUTPUT '%s': format '%s' cannot hold %s video (players would not "
                     "see it); choose another --codec or container", snk->url, ofmt->name,
                     avcodec_get_name(codec->id));
        *ret = SEG_ERR_INVALID;
        return NULL;
    }
    return codec;
}

/* Allocate and open snk->enc with encoder time base @p tb. */
static int open_encoder(io_sink *snk, const AVCodec *codec, const io_sink_params *p,
                        const io_source *src, AVRational tb, AVRational rate, int w, int h,
                        enum AVPixelFormat pix)
{
    AVCodecContext *c;
    int ret;

    avcodec_free_context(&snk->enc);
    if (!(c = snk->enc = avcodec_alloc_context3(codec))) {
        IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", snk->url);
        return SEG_ERR_NOMEM;
    }
    c->width = w;
    c->height = h;
    c->pix_fmt = pix;
    c->time_base = tb;
    c->framerate = rate;
    if (p->sar_num > 0 && p->sar_den > 0)
        av_reduce(&c->sample_aspect_ratio.num, &c->sample_aspect_ratio.den, p->sar_num,
                  p->sar_den, INT_MAX);
    c->thread_count = p->encoder_threads > 0 ? p->encoder_threads : 1;
    if (io_pix_fmt_is_yuv(pix)) {
        if (p->yuv) {
            /* The frames' own matrix and range; primaries and transfer as
             * the input said (a plain transcode passes them on). */
            const AVStream *in = io_source_video_stream(src);
            c->colorspace = p->matrix == SEG_YUV_BT709    ? AVCOL_SPC_BT709
                            : p->matrix == SEG_YUV_BT2020 ? AVCOL_SPC_BT2020_NCL
                                                          : AVCOL_SPC_SMPTE170M;
            if (in && in->codecpar->color_space == AVCOL_SPC_UNSPECIFIED)
                c->colorspace = AVCOL_SPC_UNSPECIFIED; /* ours was the players' guess */
            c->color_primaries = in ? in->codecpar->color_primaries : AVCOL_PRI_UNSPECIFIED;
            c->color_trc = in ? in->codecpar->color_trc : AVCOL_TRC_UNSPECIFIED;
            c->color_range = p->full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
        } else {
            /* What the swscale setup below writes: BT.709, limited range. */
            c->colorspace = AVCOL_SPC_BT709;
            c->color_primaries = AVCOL_PRI_BT709;
            c->color_trc = AVCOL_TRC_BT709;
            c->color_range = AVCOL_RANGE_MPEG;
        }
    }
    if (pix == AV_PIX_FMT_YUVJ420P)
        c->color_range = AVCOL_RANGE_JPEG;
    if (snk->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (strcmp(codec->name, "libvpx-vp9") == 0) {
        /* Constant quality (libvpx's default is a 256 kb/s target) and a
         * speed for a tool that keeps up with its input. */
        c->bit_rate = 0;
        ret = av_opt_set_int(c->priv_data, "crf", p->crf > 0 ? p->crf : 32, 0);
        if (ret >= 0)
            ret = av_opt_set(c->priv_data, "deadline", "realtime", 0);
        if (ret >= 0)
            ret = av_opt_set_int(c->priv_data, "cpu-used", 8, 0);
        if (ret >= 0)
            ret = av_opt_set_int(c->priv_data, "row-mt", 1, 0);
        if (ret < 0) {
            IO_SET_ERROR(snk, "OUTPUT '%s': VP9 options: %s", snk->url, av_err2str(ret));
            return SEG_ERR_INVALID;
        }
    }
    if (is_x264(codec)) {
        ret = av_opt_set(c->priv_data, "preset", p->preset ? p->preset : DEFAULT_PRESET, 0);
        if (ret >= 0)
            ret = av_opt_set_double(c->priv_data, "crf", p->crf > 0 ? p->crf : DEFAULT_CRF, 0);
        if (ret < 0) {
            IO_SET_ERROR(snk, "OUTPUT '%s': x264 options: %s", snk->url, av_err2str(ret));
            return SEG_ERR_INVALID;
        }
    }
    ret = avcodec_open2(c, codec, NULL);
    if (ret < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': cannot open encoder %s (%dx%d %s): %s", snk->url,
                     codec->name, w, h, av_get_pix_fmt_name(pix), av_err2str(ret));
        return ret == AVERROR(ENOMEM) ? SEG_ERR_NOMEM : SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

static int setup_video(io_sink *snk, const io_sink_params *p, const io_source *src)
{
    const AVCodec *codec;
    AVRational rate = p->frame_rate_num > 0 && p->frame_rate_den > 0
                          ? av_make_q(p->frame_rate_num, p->frame_rate_den)
                          : av_make_q(25, 1);
    enum AVPixelFormat pix;
    const AVPixFmtDescriptor *d;
    int ret = SEG_OK, w, h;

    if (!(codec = choose_encoder(snk, p, &ret)))
        return ret;
    snk->one_picture = is_picture_format(snk->fmt->oformat) &&
                       !av_filename_number_test(snk->url);
    if (p->rgba) {
        pix = choose_alpha_pix_fmt(codec);
        if (pix == AV_PIX_FMT_NONE) {
            if (is_picture_format(snk->fmt->oformat))
                IO_SET_ERROR(snk, "OUTPUT '%s': %s pictures have no alpha channel; use .png or "
                             ".webp", snk->url, codec->name);
            else
                IO_SET_ERROR(snk, "OUTPUT '%s': encoder %s cannot keep an alpha channel; "
                             ALPHA_HINT, snk->url, codec->name);
            return SEG_ERR_UNSUPPORTED;
        }
    } else {
        pix = choose_pix_fmt(codec, snk->fmt->oformat);
    }
    d = av_pix_fmt_desc_get(pix);
    /* Subsampled chroma needs sizes divisible by the subsampling: crop the
     * last column/row instead of resampling every pixel. */
    w = p->width & ~((1 << d->log2_chroma_w) - 1);
    h = p->height & ~((1 << d->log2_chroma_h) - 1);
    if (w <= 0 || h <= 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': %dx%d is too small for %s", snk->url, p->width,
                     p->height, d->name);
        return SEG_ERR_INVALID;
    }
    if (w != p->width || h != p->height)
        io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': %dx%d cropped to %dx%d for %s",
                snk->url, p->width, p->height, w, h, d->name);

    ret = open_encoder(snk, codec, p, src, snk->in_tb, rate, w, h, pix);
    /* Some encoders only take time bases of their standard (MPEG-1/2: the
     * frame rate; MPEG-4: 16-bit denominators): retry with 1/rate, and
     * write_video rescales the pts. */
    if (ret == SEG_ERR_UNSUPPORTED && av_cmp_q(snk->in_tb, av_inv_q(rate)) != 0) {
        ret = open_encoder(snk, codec, p, src, av_inv_q(rate), rate, w, h, pix);
        if (ret == SEG_OK)
            io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': %s refused time base %d/%d, "
                    "using %d/%d", snk->url, codec->name, snk->in_tb.num, snk->in_tb.den,
                    snk->enc->time_base.num, snk->enc->time_base.den);
    }
    if (ret < 0)
        return ret;
    snk->frame_dur = av_rescale_q(1, av_inv_q(rate), snk->enc->time_base);
    if (snk->frame_dur < 1)
        snk->frame_dur = 1;

    enum AVPixelFormat in_pix = snk->rgba  ? AV_PIX_FMT_RGBA
                                : snk->yuv ? AV_PIX_FMT_YUV420P
                                           : AV_PIX_FMT_RGB24;
    if (in_pix != pix) { /* else the planes are copied as they are */
        if (!(snk->sws = sws_getContext(w, h, in_pix, w, h, pix, SWS_BILINEAR, NULL, NULL,
                                        NULL))) {
            IO_SET_ERROR(snk, "OUTPUT '%s': cannot convert %s to %s", snk->url,
                         av_get_pix_fmt_name(in_pix), d->name);
            return SEG_ERR_UNSUPPORTED;
        }
        int yuv_out = io_pix_fmt_is_yuv(pix);
        int full = snk->enc->color_range == AVCOL_RANGE_JPEG || strstr(d->name, "yuvj") != NULL;
        if (snk->yuv || yuv_out)
            io_sws_colorspace(snk->sws, snk->yuv ? p->matrix : SEG_YUV_BT709,
                              snk->yuv ? p->full_range : 1, yuv_out ? full : 1);
    }
    if (!(snk->frame = av_frame_alloc()) || !(snk->pkt = av_packet_alloc())) {
        IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", snk->url);
        return SEG_ERR_NOMEM;
    }
    snk->frame->format = pix;
    snk->frame->width = w;
    snk->frame->height = h;
    if ((ret = av_frame_get_buffer(snk->frame, 0)) < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': frame buffer: %s", snk->url, av_err2str(ret));
        return SEG_ERR_NOMEM;
    }

    if (!(snk->vst = avformat_new_stream(snk->fmt, NULL))) {
        IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", snk->url);
        return SEG_ERR_NOMEM;
    }
    if ((ret = avcodec_parameters_from_context(snk->vst->codecpar, snk->enc)) < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': stream parameters: %s", snk->url, av_err2str(ret));
        return SEG_ERR_NOMEM;
    }
    snk->vst->time_base = snk->enc->time_base; /* a hint: the muxer may change it */
    snk->vst->avg_frame_rate = rate;
    snk->vst->sample_aspect_ratio = snk->enc->sample_aspect_ratio;
    return SEG_OK;
}

static int setup_audio(io_sink *snk, const io_source *audio_from)
{
    const AVStream *in = io_source_audio_stream(audio_from);
    const AVOutputFormat *ofmt = snk->fmt->oformat;
    int ret;

    if (!in)
        return SEG_OK;
    if (!container_takes(ofmt, in->codecpar->codec_id)) {
        io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': audio dropped: format '%s' cannot "
                "hold %s", snk->url, ofmt->name, avcodec_get_name(in->codecpar->codec_id));
        return SEG_OK;
    }
    if (!(snk->ast = avformat_new_stream(snk->fmt, NULL))) {
        IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", snk->url);
        return SEG_ERR_NOMEM;
    }
    if ((ret = avcodec_parameters_copy(snk->ast->codecpar, in->codecpar)) < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': audio parameters: %s", snk->url, av_err2str(ret));
        return SEG_ERR_NOMEM;
    }
    snk->ast->codecpar->codec_tag = 0; /* the input container's tag means nothing here */
    snk->ast->time_base = in->time_base;
    return SEG_OK;
}

/* The free half of io_sink_close(); also the failure path of io_sink_open(). */
static void sink_free(io_sink *snk)
{
    if (!snk)
        return;
    sws_freeContext(snk->sws);
    av_frame_free(&snk->frame);
    av_packet_free(&snk->pkt);
    avcodec_free_context(&snk->enc);
    snk->watched = NULL;
    if (snk->fmt) {
        if (!(snk->fmt->oformat->flags & AVFMT_NOFILE) && !snk->fdio)
            avio_closep(&snk->fmt->pb);
        snk->fmt->pb = NULL;
        avformat_free_context(snk->fmt);
        snk->fmt = NULL;
    }
    io_fdio_close(&snk->fdio);
    if (snk->tmp_path)
        unlink(snk->tmp_path); /* never published: the old file stays */
    av_free(snk->url);
    av_free(snk->final_path);
    av_free(snk->tmp_path);
    free(snk);
}

/* How long an SRT sender waits after its last write: the latency asked for
 * in the URL (FFmpeg's "latency" and "peerlatency", in microseconds), at
 * least SRT_MIN_LATENCY_US, plus a margin. A receiver asking for more than
 * that loses the end of the stream unless the URL names its latency. */
static int64_t srt_drain_us(const char *url)
{
    const char *query = strchr(url, '?');
    int64_t latency = SRT_MIN_LATENCY_US;
    static const char *const tags[] = { "latency", "peerlatency" };
    for (size_t i = 0; query && i < sizeof tags / sizeof *tags; i++) {
        char val[32];
        if (av_find_info_tag(val, sizeof val, tags[i], query)) {
            char *end;
            long long v = strtoll(val, &end, 10);
            if (end != val && *end == '\0' && v > latency)
                latency = v;
        }
    }
    return FFMIN(latency + SRT_DRAIN_MARGIN_US, SRT_DRAIN_MAX_US);
}

/* ==== stalls ============================================================= */

/* The interrupt callback of every blocking write: FFmpeg's network
 * protocols and io_fdio ask it while they wait, file writes before each
 * write. Runs on the writing thread. Progress is the output's position
 * (or io_fdio's byte count) having moved since the previous call, so a
 * slow encoder between two writes is no stall, a write that waits is. */
static int sink_interrupt(void *opaque)
{
    io_sink *snk = opaque;
    if (snk->timed_out || snk->stopped)
        return 1;
    int64_t now = av_gettime_relative();
    int64_t mark = (snk->watched ? snk->watched->pos : -1) + io_fdio_moved(snk->fdio);
    if (!snk->stall_since || mark != snk->stall_mark) {
        snk->stall_mark = mark;
        snk->stall_since = now;
        return 0;
    }
    int64_t idle = now - snk->stall_since;
    if (idle > snk->timeout_us)
        snk->timed_out = 1;
    else if (idle > STOP_GRACE_US && snk->ext_stop && snk->ext_stop(snk->ext_opaque))
        snk->stopped = 1;
    return snk->timed_out || snk->stopped;
}

/* A failed FFmpeg write (@p what failed with @p averr): say why, a stall
 * the callback gave up on or FFmpeg's words, and make it the sink's error. */
static int write_failed(io_sink *snk, int averr, const char *what)
{
    if (snk->timed_out) {
        IO_SET_ERROR(snk, "OUTPUT '%s': %s: timed out after %lld ms: the receiver takes no data",
                     snk->url, what, (long long)(snk->timeout_us / 1000));
        return fail(snk, SEG_ERR_IO);
    }
    if (snk->stopped) {
        IO_SET_ERROR(snk, "OUTPUT '%s': %s: given up after the stop: the receiver takes no data",
                     snk->url, what);
        return fail(snk, SEG_ERR_INTERRUPTED);
    }
    IO_SET_ERROR(snk, "OUTPUT '%s': %s: %s", snk->url, what, av_err2str(averr));
    return fail(snk, averr == AVERROR(ENOMEM) ? SEG_ERR_NOMEM : SEG_ERR_IO);
}

/* ==== the file: a temporary name, published at the end ==================== */

/* Create DIR/.BASE.segstream-PID-N next to snk->final_path (O_EXCL; mode
 * 0666 less the umask, or @p old's permissions when it replaces a file)
 * into snk->tmp_path. Closed again: avio opens it by name. */
static int create_temp(io_sink *snk, const struct stat *old)
{
    const char *path = snk->final_path;
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t cap = strlen(path) + 64;
    if (!(snk->tmp_path = av_malloc(cap))) {
        IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", snk->url);
        return SEG_ERR_NOMEM;
    }
    for (unsigned k = 0; k < 100; k++) {
        /* The base cut to 200 bytes: the name stays under NAME_MAX. */
        snprintf(snk->tmp_path, cap, "%.*s.%.200s.segstream-%ld-%u", dirlen, path, base,
                 (long)getpid(), k);
        int fd = open(snk->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            if (old)
                (void)fchmod(fd, old->st_mode & 07777);
            close(fd);
            return SEG_OK;
        }
        if (errno != EEXIST) {
            int e = errno;
            av_freep(&snk->tmp_path);
            IO_SET_ERROR(snk, "OUTPUT '%s': %s", snk->url, strerror(e));
            return SEG_ERR_IO;
        }
    }
    av_freep(&snk->tmp_path);
    IO_SET_ERROR(snk, "OUTPUT '%s': cannot find a free temporary name next to it", snk->url);
    return SEG_ERR_IO;
}

/* Put the finished temporary file in place: rename over an old file with
 * overwrite, else only where no file is (one that appeared while the job
 * ran is not replaced: the result stays under its temporary name). A sink
 * that failed, or holds no frame, is removed instead. */
static void publish(io_sink *snk)
{
    if (!snk->tmp_path)
        return;
    if (snk->status != SEG_OK || snk->frames == 0) {
        unlink(snk->tmp_path);
        av_freep(&snk->tmp_path);
        return;
    }
    int rc;
    if (snk->overwrite) {
        rc = rename(snk->tmp_path, snk->final_path);
    } else {
        rc = renameat2(AT_FDCWD, snk->tmp_path, AT_FDCWD, snk->final_path, RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
            /* A file system without RENAME_NOREPLACE: a hard link refuses
             * an existing name as well. */
            rc = link(snk->tmp_path, snk->final_path);
            if (rc == 0)
                unlink(snk->tmp_path);
        }
    }
    if (rc != 0) {
        int e = errno;
        if (e == EEXIST) {
            IO_SET_ERROR(snk, "OUTPUT '%s' appeared while the job ran (overwriting was not "
                         "allowed); the result is in '%s'", snk->url, snk->tmp_path);
            fail(snk, SEG_ERR_EXISTS);
        } else {
            IO_SET_ERROR(snk, "OUTPUT '%s': cannot move the result into place: %s", snk->url,
                         strerror(e));
            fail(snk, SEG_ERR_IO);
            unlink(snk->tmp_path);
        }
    }
    av_freep(&snk->tmp_path); /* kept on EEXIST: the message names it */
}

/* ==== open ============================================================== */

int io_sink_open(io_sink **out, const char *url, const io_sink_params *params,
                 const io_source *audio_from, char *err, size_t errlen)
{
    io_sink *snk = NULL;
    const char *path;
    int local, exists, ret;
    struct stat sb;

    if (err && errlen)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!out || !url || !*url || !params || params->width <= 0 || params->height <= 0 ||
        params->time_base_num <= 0 || params->time_base_den <= 0 || params->sar_num < 0 ||
        params->sar_den < 0 || params->timeout_ms < 0) {
        seg_format_error(err, errlen, __func__, "OUTPUT: invalid arguments");
        return SEG_ERR_INVALID;
    }
    if (params->width > SEG_MAX_DIM || params->height > SEG_MAX_DIM ||
        (long long)params->width * params->height > SEG_MAX_PIXELS) {
        seg_format_error(err, errlen, __func__, "OUTPUT '%s': %dx%d is over the limit", url,
                         params->width, params->height);
        return SEG_ERR_LIMIT;
    }
    if (!(snk = calloc(1, sizeof(*snk))) || !(snk->url = av_strdup(url))) {
        free(snk);
        seg_format_error(err, errlen, __func__, "OUTPUT '%s': out of memory", url);
        return SEG_ERR_NOMEM;
    }
    snk->in_tb = av_make_q(params->time_base_num, params->time_base_den);
    snk->in_w = params->width;
    snk->in_h = params->height;
    snk->rgba = params->rgba != 0;
    snk->yuv = !snk->rgba && params->yuv != 0;
    snk->offset_us = io_source_start_time(audio_from);
    snk->overwrite = params->overwrite != 0;
    snk->timeout_us = (int64_t)(params->timeout_ms ? params->timeout_ms : DEFAULT_TIMEOUT_MS) *
                      1000;
    snk->ext_stop = params->interrupt;
    snk->ext_opaque = params->interrupt_opaque;
    AVIOInterruptCB icb = {sink_interrupt, snk};

    ret = avformat_alloc_output_context2(&snk->fmt, NULL, params->format, url);
    if (ret < 0 || !snk->fmt) {
        if (params->format)
            IO_SET_ERROR(snk, "OUTPUT '%s': unknown format '%s'", url, params->format);
        else
            IO_SET_ERROR(snk, "OUTPUT '%s': cannot guess the format from the name: %s", url,
                         av_err2str(ret < 0 ? ret : AVERROR_MUXER_NOT_FOUND));
        ret = SEG_ERR_IO;
        goto end;
    }
    snk->fmt->interrupt_callback = icb; /* for what a muxer opens itself */

    /* Checks on the file, before anything touches it. */
    local = !io_url_is_network(url) && strncmp(url, "pipe:", 5) != 0;
    path = io_url_file_path(url);
    exists = local && stat(path, &sb) == 0;
    if (exists) {
        dev_t dev;
        ino_t ino;
        if (io_source_file_id(audio_from, &dev, &ino) && dev == sb.st_dev && ino == sb.st_ino) {
            IO_SET_ERROR(snk, "OUTPUT '%s' is the input file", url);
            ret = SEG_ERR_INVALID;
            goto end;
        }
        /* A FIFO is written into, not replaced: nothing is lost. */
        if (!params->overwrite && !S_ISFIFO(sb.st_mode)) {
            IO_SET_ERROR(snk, "OUTPUT '%s' exists (overwriting was not allowed)", url);
            ret = SEG_ERR_EXISTS;
            goto end;
        }
    }

    if ((ret = setup_video(snk, params, audio_from)) < 0 ||
        (ret = setup_audio(snk, audio_from)) < 0)
        goto end;

    if (!(snk->fmt->oformat->flags & AVFMT_NOFILE)) {
        AVDictionary *proto = NULL;
        const char *open_url = url;
        char *file_url = NULL;
        if (!io_url_is_network(url) && io_fdio_wanted(url, 1)) {
            /* A FIFO or pipe: FFmpeg's protocols would block in open() (no
             * reader yet) and write() (a reader that stopped) for good. */
            char msg[IO_MSG_SIZE];
            if ((ret = io_fdio_open(&snk->fdio, url, 1, &icb, msg, sizeof msg)) < 0) {
                if (snk->timed_out) {
                    IO_SET_ERROR(snk, "OUTPUT '%s': timed out after %lld ms waiting for a "
                                 "reader", url, (long long)(snk->timeout_us / 1000));
                    ret = SEG_ERR_IO;
                } else
                    IO_SET_ERROR(snk, "OUTPUT %s", msg);
                goto end;
            }
            snk->fmt->pb = io_fdio_context(snk->fdio);
            snk->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
            goto header;
        }
        if (local && (!exists || S_ISREG(sb.st_mode))) {
            /* A regular file: written under a temporary name next to it, put
             * in place by io_sink_finish(). Through a symlink, the file it
             * points to is the one replaced. */
            char *real = NULL;
            struct stat lsb;
            if (exists && lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode))
                real = realpath(path, NULL);
            snk->final_path = av_strdup(real ? real : path);
            free(real);
            if (!snk->final_path) {
                IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", url);
                ret = SEG_ERR_NOMEM;
                goto end;
            }
            if ((ret = create_temp(snk, exists ? &sb : NULL)) < 0)
                goto end;
            if (!(file_url = av_asprintf("file:%s", snk->tmp_path))) {
                IO_SET_ERROR(snk, "OUTPUT '%s': out of memory", url);
                ret = SEG_ERR_NOMEM;
                goto end;
            }
            open_url = file_url;
        }
        /* SRT in live mode drops what is still queued when the socket
         * closes (linger 0): the end of the stream would be lost. Wait up
         * to 5 s for it to go out (a linger in the URL's query wins). */
        if (strncmp(url, "srt://", 6) == 0) {
            av_dict_set(&proto, "linger", "5", 0);
            snk->srt_drain_us = srt_drain_us(url);
        }
        ret = avio_open2(&snk->fmt->pb, open_url, AVIO_FLAG_WRITE, &icb, &proto);
        av_dict_free(&proto);
        av_free(file_url);
        if (ret < 0) {
            write_failed(snk, ret, "opening");
            /* Keep the words users know: "OUTPUT 'x': Not a directory". */
            if (!snk->timed_out && !snk->stopped)
                IO_SET_ERROR(snk, "OUTPUT '%s': %s", url, av_err2str(ret));
            ret = snk->status;
            goto end;
        }
    }
header:
    snk->watched = snk->fmt->pb;
    /* FLV rewrites its header at the end, which a stream (RTMP) cannot
     * take: say so up front instead of warning at the end. */
    AVDictionary *mux = NULL;
    if (!local && strcmp(snk->fmt->oformat->name, "flv") == 0)
        av_dict_set(&mux, "flvflags", "no_duration_filesize", 0);
    ret = avformat_write_header(snk->fmt, &mux);
    av_dict_free(&mux);
    if (ret < 0) {
        int st = io_status_from_averror(ret);
        write_failed(snk, ret, "cannot write the header");
        ret = snk->timed_out || snk->stopped ? snk->status
              : st == SEG_ERR_INVALID ? SEG_ERR_INVALID
                                      : SEG_ERR_IO;
        goto end;
    }
    snk->header_written = 1;
    ret = SEG_OK;

end:
    if (ret < 0) {
        seg_format_error(err, errlen, __func__, "%s", snk->err);
        sink_free(snk); /* closes, and removes the temporary file */
        return ret;
    }
    snk->err[0] = '\0'; /* a refused first encoder try is no error */
    snk->status = SEG_OK;
    *out = snk;
    return SEG_OK;
}

/* Take every packet the encoder has ready and mux it. */
static int drain_encoder(io_sink *snk)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_packet(snk->enc, snk->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return SEG_OK;
        if (ret < 0) {
            IO_SET_ERROR(snk, "OUTPUT '%s': encoding failed: %s", snk->url, av_err2str(ret));
            return fail(snk, io_status_from_averror(ret) == SEG_ERR_NOMEM ? SEG_ERR_NOMEM
                                                                        : SEG_ERR_IO);
        }
        /* x264 leaves duration 0: the muxer needs it for the last frame. */
        if (snk->pkt->duration <= 0)
            snk->pkt->duration = snk->frame_dur;
        av_packet_rescale_ts(snk->pkt, snk->enc->time_base, snk->vst->time_base);
        snk->pkt->stream_index = snk->vst->index;
        ret = av_interleaved_write_frame(snk->fmt, snk->pkt); /* takes the reference */
        if (ret < 0) {
            av_packet_unref(snk->pkt);
            return write_failed(snk, ret, "writing video failed");
        }
    }
}

int io_sink_write_video(io_sink *snk, const seg_image *frame)
{
    int ret;
    if (!snk || !frame)
        return SEG_ERR_INVALID;
    if (snk->status < 0)
        return snk->status;
    if (snk->finished) {
        IO_SET_ERROR(snk, "OUTPUT '%s': already finished", snk->url);
        return SEG_ERR_INVALID;
    }
    seg_pixfmt want = snk->rgba ? SEG_PIX_RGBA : snk->yuv ? SEG_PIX_YUV420P : SEG_PIX_RGB24;
    if (!frame->data || frame->format != want || frame->width != snk->in_w ||
        frame->height != snk->in_h || (snk->yuv && (!frame->cb || !frame->cr))) {
        IO_SET_ERROR(snk, "OUTPUT '%s': got a %dx%d %s frame, expected %dx%d %s", snk->url,
                     frame->width, frame->height, seg_pixfmt_name(frame->format), snk->in_w,
                     snk->in_h, seg_pixfmt_name(want));
        return SEG_ERR_INVALID;
    }
    if (snk->one_picture && snk->have_pts) {
        IO_SET_ERROR(snk, "OUTPUT '%s' is one picture and the input has more frames: name a "
                     "numbered sequence (such as frame_%%04d%s) or add --frames 1", snk->url,
                     strrchr(snk->url, '.') ? strrchr(snk->url, '.') : ".png");
        return fail(snk, SEG_ERR_INVALID);
    }
    /* Only allocates if the encoder still holds the previous buffer. */
    if ((ret = av_frame_make_writable(snk->frame)) < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': frame buffer: %s", snk->url, av_err2str(ret));
        return fail(snk, SEG_ERR_NOMEM);
    }
    /* Source rectangle = encoder size: odd sizes lose their last column/row. */
    const uint8_t *src_data[4] = {frame->data, frame->cb, frame->cr, NULL};
    int src_stride[4] = {frame->stride, frame->cstride, frame->cstride, 0};
    if (snk->sws) {
        if (sws_scale(snk->sws, src_data, src_stride, 0, snk->enc->height, snk->frame->data,
                      snk->frame->linesize) != snk->enc->height) {
            IO_SET_ERROR(snk, "OUTPUT '%s': pixel conversion to %s failed", snk->url,
                         av_get_pix_fmt_name(snk->enc->pix_fmt));
            return fail(snk, SEG_ERR_IO);
        }
    } else /* the encoder takes the frames' own format (yuv420p, or rgb24/rgba for PNG) */
        av_image_copy(snk->frame->data, snk->frame->linesize, src_data, src_stride,
                      snk->enc->pix_fmt, snk->enc->width, snk->enc->height);

    int64_t pts;
    if (frame->pts == AV_NOPTS_VALUE) /* none given: one nominal frame on */
        pts = snk->have_pts ? snk->last_pts + snk->frame_dur : 0;
    else
        pts = av_rescale_q(frame->pts - av_rescale_q(snk->offset_us, AV_TIME_BASE_Q, snk->in_tb),
                           snk->in_tb, snk->enc->time_base);
    if (snk->have_pts && pts <= snk->last_pts) {
        io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': frame %lld: pts %lld not after "
                "%lld, moved", snk->url, (long long)frame->index, (long long)pts,
                (long long)snk->last_pts);
        pts = snk->last_pts + 1;
    }
    snk->last_pts = pts;
    snk->have_pts = 1;
    snk->frame->pts = pts;
    snk->frame->pkt_duration = snk->frame_dur;

    ret = avcodec_send_frame(snk->enc, snk->frame);
    if (ret < 0) {
        IO_SET_ERROR(snk, "OUTPUT '%s': encoding failed: %s", snk->url, av_err2str(ret));
        return fail(snk, ret == AVERROR(ENOMEM) ? SEG_ERR_NOMEM : SEG_ERR_IO);
    }
    snk->frames++;
    return drain_encoder(snk);
}

int io_sink_write_audio(io_sink *snk, io_packet **ppkt)
{
    io_packet *p;
    int ret;
    if (!snk || !ppkt || !*ppkt) {
        io_packet_free(ppkt);
        return SEG_ERR_INVALID;
    }
    p = *ppkt;
    *ppkt = NULL;
    if (snk->status < 0 || snk->finished || !snk->ast) {
        io_packet_free(&p);
        if (snk->status < 0)
            return snk->status;
        if (snk->finished) {
            IO_SET_ERROR(snk, "OUTPUT '%s': already finished", snk->url);
            return SEG_ERR_INVALID;
        }
        return SEG_OK; /* no audio stream in the output: dropped by design */
    }
    if (p->codec_id != snk->ast->codecpar->codec_id || snk->audio_cut) {
        /* The input's audio changed codec mid-stream: the output's stream
         * was made for the first one and passthrough cannot go on. The
         * video does, to its end; the audio stops here, said once. */
        if (!snk->audio_cut) {
            int64_t at = p->pkt->pts != AV_NOPTS_VALUE
                             ? av_rescale_q(p->pkt->pts, p->time_base, AV_TIME_BASE_Q) -
                                   snk->offset_us
                             : 0;
            io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': audio dropped from %.3f s on: the "
                    "input's audio changed from %s to %s mid-stream", snk->url,
                    (double)at / 1e6, avcodec_get_name(snk->ast->codecpar->codec_id),
                    avcodec_get_name(p->codec_id));
            snk->audio_cut = 1;
        }
        io_packet_free(&p);
        return SEG_OK;
    }
    int64_t off = av_rescale_q(snk->offset_us, AV_TIME_BASE_Q, p->time_base);
    if (p->pkt->pts != AV_NOPTS_VALUE)
        p->pkt->pts -= off;
    if (p->pkt->dts != AV_NOPTS_VALUE)
        p->pkt->dts -= off;
    av_packet_rescale_ts(p->pkt, p->time_base, snk->ast->time_base);
    p->pkt->stream_index = snk->ast->index;
    p->pkt->pos = -1;
    ret = av_interleaved_write_frame(snk->fmt, p->pkt);
    io_packet_free(&p);
    if (ret == AVERROR(EINVAL)) {
        /* The muxer refused this packet's timestamps (non-monotonic dts in
         * the input): lose the packet, not the file. */
        io_warn(&snk->warnings, snk->warn, "OUTPUT '%s': audio packet dropped: %s", snk->url,
                av_err2str(ret));
        return SEG_OK;
    }
    if (ret < 0)
        return write_failed(snk, ret, "writing audio failed");
    return SEG_OK;
}

int io_sink_finish(io_sink *snk)
{
    int ret;
    if (!snk)
        return SEG_ERR_INVALID;
    if (snk->finished)
        return snk->status;
    snk->finished = 1;
    if (snk->header_written) {
        if (snk->status == SEG_OK) {
            ret = avcodec_send_frame(snk->enc, NULL);
            if (ret < 0 && ret != AVERROR_EOF) {
                IO_SET_ERROR(snk, "OUTPUT '%s': flushing the encoder: %s", snk->url,
                             av_err2str(ret));
                fail(snk, SEG_ERR_IO);
            } else {
                drain_encoder(snk);
            }
        }
        /* Even after an error: a trailer may make the partial file playable. */
        ret = av_write_trailer(snk->fmt);
        if (ret < 0 && snk->status == SEG_OK)
            write_failed(snk, ret, "writing the trailer");
    }
    if (snk->srt_drain_us && snk->header_written && snk->fmt->pb && !snk->fmt->pb->error) {
        /* Everything is in SRT's send buffer now; the receiver plays it
         * out over the next latency (SRT's maintainers: keep the
         * connection open that long, then close). */
        avio_flush(snk->fmt->pb);
        av_usleep((unsigned)snk->srt_drain_us);
    }
    snk->watched = NULL;
    if (snk->fdio) {
        avio_flush(snk->fmt->pb);
        ret = snk->fmt->pb->error;
        snk->fmt->pb = NULL;
        io_fdio_close(&snk->fdio);
        if (ret < 0 && snk->status == SEG_OK)
            write_failed(snk, ret, "closing");
    } else if (!(snk->fmt->oformat->flags & AVFMT_NOFILE) && snk->fmt->pb) {
        ret = avio_closep(&snk->fmt->pb);
        if (ret < 0 && snk->status == SEG_OK)
            write_failed(snk, ret, "closing");
    }
    publish(snk);
    return snk->status;
}

const char *io_sink_last_error(const io_sink *snk)
{
    return snk ? snk->err : "no sink";
}

int64_t io_sink_warnings(const io_sink *snk)
{
    return snk ? snk->warnings : 0;
}

const char *io_sink_last_warning(const io_sink *snk)
{
    return snk ? snk->warn : "";
}

void io_sink_close(io_sink **psnk)
{
    if (!psnk || !*psnk)
        return;
    io_sink_finish(*psnk);
    sink_free(*psnk);
    *psnk = NULL;
}
