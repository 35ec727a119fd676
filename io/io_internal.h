/* io_internal.h - what io_source.c, io_sink.c and io_scaler.c share.
 * Private to io/: FFmpeg types appear here, never in io.h. */
#ifndef IO_IO_INTERNAL_H
#define IO_IO_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libswscale/swscale.h>

#include "io.h"
#include "seg_status.h"

/** Size of every io object's last-error and last-warning buffers. */
#define IO_MSG_SIZE SEG_MSG_SIZE

/** A passthrough packet and the time base its timestamps are in. */
struct io_packet {
    AVPacket *pkt;           /**< owned */
    AVRational time_base;    /**< the input stream's time base */
    enum AVCodecID codec_id; /**< its codec when the packet was read (a
                                  stream may change codec mid-stream) */
};

/** Record a printf-style message in obj->err (any struct with char err[]). */
#define IO_SET_ERROR(obj, ...) \
    seg_format_error((obj)->err, sizeof((obj)->err), __func__, __VA_ARGS__)

/** Map an AVERROR to the closest seg_status (never SEG_OK for err < 0). */
int io_status_from_averror(int averr);

/** Count a warning on an object: ++*counter, format into msg[IO_MSG_SIZE] and
 *  hand it to the log callback (if any) at IO_LOG_WARNING. */
void io_warn(int64_t *counter, char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The source's passthrough audio stream, NULL when there is none. */
const AVStream *io_source_audio_stream(const io_source *src);

/** Resizing one 8-bit plane with a tent filter (io_resample.c): bilinear
 *  when growing, a triangle over each output sample's footprint when
 *  shrinking; edges repeat. Source coordinate of destination sample i:
 *  (i + 1/2) * scale - 1/2 on each axis. Integer arithmetic, within a level
 *  of the same filter in double precision. Used by one thread at a time. */
typedef struct io_resampler io_resampler;
/** NULL when out of memory or when a scale needs more than 16 taps
 *  (shrinking more than 8:1): use swscale then. */
io_resampler *io_resampler_create(int src_w, int src_h, int dst_w, int dst_h, double sx,
                                  double sy);
void io_resampler_run(io_resampler *r, const uint8_t *src, int src_stride, uint8_t *dst,
                      int dst_stride);
void io_resampler_free(io_resampler **r);

/** swscale's coefficient table for a Y'CbCr matrix (sws_setColorspaceDetails). */
const int *io_sws_matrix(seg_yuv_matrix m);

/** Tell @p sws which matrix and ranges to convert with (the same matrix on
 *  both sides; a range flag is ignored on an RGB side). Best effort: a
 *  refusal leaves swscale's defaults. */
void io_sws_colorspace(struct SwsContext *sws, seg_yuv_matrix m, int in_full, int out_full);

/** Non-zero for a Y'CbCr pixel format with colour (not RGB, not grey). */
int io_pix_fmt_is_yuv(enum AVPixelFormat f);

/** The source's video stream, NULL without a source. */
const AVStream *io_source_video_stream(const io_source *src);

/** The input's start time in AV_TIME_BASE units (0 when unknown). */
int64_t io_source_start_time(const io_source *src);

/** The input's device and inode when it is a local file; 0 if it is not. */
int io_source_file_id(const io_source *src, dev_t *dev, ino_t *ino);

/** Non-zero when @p url names a network resource ("scheme://", not file:). */
int io_url_is_network(const char *url);

/** @p url without a leading "file:" (the part the file protocol opens). */
const char *io_url_file_path(const char *url);

/* ==== poll()ed I/O for FIFOs and pipes (io_fdio.c) ======================== */

/** An AVIOContext over a file descriptor whose every wait is a poll() of at
 *  most 50 ms with the interrupt callback asked in between: FFmpeg's file
 *  and pipe protocols block in open()/read()/write() without asking it. */
typedef struct io_fdio io_fdio;

/** Non-zero when @p url should go through io_fdio: a local FIFO, or
 *  "pipe:N" (N = 0 for reading, 1 for writing by default) whose descriptor
 *  is a pipe or socket. Regular files, devices and URLs are left to FFmpeg. */
int io_fdio_wanted(const char *url, int write);

/** Open @p url (a FIFO path or "pipe:N") for reading or writing. Opening a
 *  FIFO for writing waits for a reader, asking @p cb. The descriptor of a
 *  pipe:N is borrowed; a path's is owned. Message in err.
 *  @return SEG_OK, SEG_ERR_IO, SEG_ERR_INTERRUPTED (cb said stop while
 *  waiting), SEG_ERR_NOMEM. */
int io_fdio_open(io_fdio **out, const char *url, int write, const AVIOInterruptCB *cb,
                 char *err, size_t errlen);
/** Its AVIOContext (not seekable), owned by the io_fdio. */
AVIOContext *io_fdio_context(io_fdio *f);
/** Bytes moved so far: progress, for a stall check. */
int64_t io_fdio_moved(const io_fdio *f);
/** Free the context and close an owned descriptor (flush first); NULL-safe,
 *  sets *f = NULL. */
void io_fdio_close(io_fdio **f);
/* ==== orientation (io_orient.c) ============================================ */

/** One of the eight axis-aligned orientations, as what is done to a stored
 *  picture: transpose (x <-> y), then mirror left-right, then top-bottom.
 *  Output pixel (X, Y) of a transposed picture is stored pixel (Y', X'),
 *  (X', Y') being (X, Y) after the mirrors. */
typedef struct io_orient_op {
    int transpose, hflip, vflip;
} io_orient_op;

/** The operation ffmpeg's autorotate (fftools, 5.1 to 7.x) applies for a
 *  display matrix (AV_PKT_DATA_DISPLAYMATRIX; NULL = none): a turn by
 *  -av_display_rotation_get() rounded, with the flips the matrix's signs
 *  ask for. *odd_deg is set to the angle when it is not a multiple of 90
 *  (then the op is none), else -1. */
io_orient_op io_orient_from_matrix(const int32_t *matrix, int *odd_deg);

/** The op that turns a picture @p deg (0, 90, 180, 270) clockwise. */
io_orient_op io_orient_from_degrees(int deg);

/** Non-zero unless the op leaves pictures as they are. */
int io_orient_op_any(io_orient_op op);

/** The op as a clockwise turn then an optional left-right mirror. */
void io_orient_op_describe(io_orient_op op, int *rotation, int *flip);

/** Apply @p op to @p src (RGB24 or YUV420P) into @p dst, which must be
 *  allocated in the same format at the turned size (height x width when
 *  transposed). Copies matrix, range, pts and index. */
void io_orient_apply(io_orient_op op, const seg_image *src, seg_image *dst);

/** Apply @p op to one plane of @p w x @p h pixels of @p bpp bytes. */
void io_orient_plane(io_orient_op op, const uint8_t *src, int src_stride, int w, int h,
                     int bpp, uint8_t *dst, int dst_stride);

/** The size that shows pixels of aspect @p sar_num:@p sar_den as square:
 *  the longer side grows (never a loss of resolution), rounded to even. */
void io_square_size(int w, int h, int sar_num, int sar_den, int *sw, int *sh);

#endif
