/* io_util.c - what the files of io/ share (io_internal.h): FFmpeg's log
 * callback and warnings, AVERROR -> seg_status, URL helpers and swscale's
 * colour set-up. */
#include "io_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* ==== log and warnings ==================================================== */

/* Set once by io_set_log_callback() before any thread runs (documented), so
 * plain globals: readers never race with the single writer. */
static io_log_fn log_fn;
static void *log_user;
static io_log_level log_max_level = IO_LOG_ERROR;

static io_log_level level_from_av(int av_level)
{
    if (av_level <= AV_LOG_ERROR)
        return IO_LOG_ERROR;
    if (av_level <= AV_LOG_WARNING)
        return IO_LOG_WARNING;
    if (av_level <= AV_LOG_INFO)
        return IO_LOG_INFO;
    return IO_LOG_DEBUG;
}

static void forward_av_log(void *avcl, int level, const char *fmt, va_list vl)
{
    io_log_fn fn = log_fn;
    if (!fn || level < 0 /* AV_LOG_QUIET */)
        return;
    level &= 0xff; /* higher bits may carry a colour (AV_LOG_C) */
    if (level_from_av(level) > log_max_level)
        return;
    char line[1024];
    /* Always prefix: FFmpeg's own "did the last line end" state is a racy
     * static and we may be called from several codec threads. */
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, (int)sizeof(line), &print_prefix);
    /* What FFmpeg prints may quote a server or a file (an HTTP reason
     * phrase, a tag): control characters become '?', as ffmpeg's own log
     * does (libavutil/log.c, sanitize()), so no escape sequence reaches the
     * terminal. Stricter than it: CR and DEL too; the line's tabs and
     * newlines stay. */
    for (unsigned char *c = (unsigned char *)line; *c; c++)
        if ((*c < 0x20 && *c != '\t' && *c != '\n') || *c == 0x7f)
            *c = '?';
    fn(log_user, level_from_av(level), line);
}

void io_set_log_callback(io_log_fn fn, void *user, io_log_level max_level)
{
    log_fn = fn;
    log_user = user;
    log_max_level = max_level;
    /* With fn == NULL forward_av_log drops everything: FFmpeg stays quiet. */
    av_log_set_callback(forward_av_log);
}

void io_warn(int64_t *counter, char *msg, const char *fmt, ...)
{
    va_list ap;
    (*counter)++;
    va_start(ap, fmt);
    vsnprintf(msg, IO_MSG_SIZE, fmt, ap);
    va_end(ap);
    if (log_fn && log_max_level >= IO_LOG_WARNING)
        log_fn(log_user, IO_LOG_WARNING, msg);
}

int io_status_from_averror(int averr)
{
    if (averr >= 0)
        return SEG_OK;
    switch (averr) {
    case AVERROR(ENOMEM): return SEG_ERR_NOMEM;
    case AVERROR_EOF: return SEG_EOF;
    case AVERROR(EAGAIN): return SEG_ERR_AGAIN;
    case AVERROR_EXIT: return SEG_ERR_INTERRUPTED;
    case AVERROR_INVALIDDATA:
    case AVERROR_STREAM_NOT_FOUND:
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
        return SEG_ERR_BAD_INPUT;
    case AVERROR(EINVAL):
    case AVERROR_OPTION_NOT_FOUND:
        return SEG_ERR_INVALID;
    case AVERROR_PATCHWELCOME:
    case AVERROR(ENOSYS):
    case AVERROR_ENCODER_NOT_FOUND:
        return SEG_ERR_UNSUPPORTED;
    default:
        return SEG_ERR_IO;
    }
}

int io_url_is_network(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url || strncmp(url, "file:", 5) == 0)
        return 0;
    /* Only "scheme://": a local path such as "dir/a://b" is not a URL. */
    for (const char *p = url; p < sep; p++)
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
            return 0;
    return 1;
}

const char *io_url_file_path(const char *url)
{
    return strncmp(url, "file:", 5) == 0 ? url + 5 : url;
}

/* ==== swscale colours ===================================================== */

const int *io_sws_matrix(seg_yuv_matrix m)
{
    return sws_getCoefficients(m == SEG_YUV_BT709    ? SWS_CS_ITU709
                               : m == SEG_YUV_BT2020 ? SWS_CS_BT2020
                                                     : SWS_CS_ITU601);
}

void io_sws_colorspace(struct SwsContext *sws, seg_yuv_matrix m, int in_full, int out_full)
{
    const int *k = io_sws_matrix(m);
    (void)sws_setColorspaceDetails(sws, k, in_full, k, out_full, 0, 1 << 16, 1 << 16);
}

int io_pix_fmt_is_yuv(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
}
