/* io.h - media input and output on FFmpeg: demux + decode, scale, encode + mux.
 *
 * Nothing from FFmpeg leaks through this header: frames are seg_image (RGB24
 * or YUV420P),
 * passthrough audio packets are the opaque io_packet. Every object carries its
 * last error message (io_*_last_error); constructors that fail before an
 * object exists write their message into the caller's err[errlen].
 *
 * Typical use (one thread):
 *     io_source *src; io_sink *snk; io_packet *pkt = NULL; seg_image frame;
 *     io_source_open(&src, "in.mp4", NULL, err, sizeof err);
 *     io_sink_open(&snk, "out.mp4", &(io_sink_params){...}, src, err, sizeof err);
 *     for (;;) {
 *         int kind = io_source_read(src, &frame, &pkt);
 *         if (kind == IO_READ_VIDEO) { ...composite...; io_sink_write_video(snk, &frame); }
 *         else if (kind == IO_READ_AUDIO) io_sink_write_audio(snk, &pkt);
 *         else if (kind == SEG_EOF) break; else fail;
 *     }
 *     io_sink_close(&snk);  // flushes the encoder and writes the trailer
 *     io_source_close(&src);
 */
#ifndef IO_IO_H
#define IO_IO_H

#include <stdint.h>
#include <stdio.h>

#include "seg_image.h"
#include "seg_status.h"

typedef struct io_source io_source;
typedef struct io_sink io_sink;
typedef struct io_scaler io_scaler;
/** One compressed audio packet on its way from a source to a sink, owned by
 *  whoever holds the pointer; free with io_packet_free(). */
typedef struct io_packet io_packet;

/** How a source turns its pictures upright (io_source_opts.orient). */
typedef enum io_orient {
    IO_ORIENT_AUTO = 0, /**< as the stream's display matrix says, rotation and
                             flips, the way ffmpeg's autorotate does; and
                             non-square pixels resampled to square */
    IO_ORIENT_NONE,     /**< the pictures as stored: no rotation, no flip,
                             pixels of any shape (--no-autorotate) */
    IO_ORIENT_0,        /**< no rotation whatever the matrix says; square pixels */
    IO_ORIENT_90,       /**< turned 90 degrees clockwise, matrix ignored; square pixels */
    IO_ORIENT_180,      /**< turned 180 degrees, matrix ignored; square pixels */
    IO_ORIENT_270,      /**< turned 270 degrees clockwise, matrix ignored; square pixels */
    IO_ORIENT_COUNT
} io_orient;

/** "auto", "none", "0", "90", "180", "270"; NULL if out of range. */
const char *io_orient_name(io_orient o);

/** Options for opening a source; zero-initialise and set what you need. */
typedef struct io_source_opts {
    const char *format;      /**< forced input format (ffmpeg -f), e.g. "v4l2", "lavfi"; NULL = probe */
    const char *video_size;  /**< "1280x720" for devices, NULL = default */
    const char *framerate;   /**< "30" for devices, NULL = default */
    const char *pixel_format;/**< device pixel/input format ("mjpeg"), NULL = default */
    int timeout_ms;          /**< network/read timeout; 0 = 10000 */
    int decoder_threads;     /**< libavcodec threads; 0 = 1 */
    int want_audio;          /**< non-zero: return the best audio stream's packets */
    /** Asked during every blocking call (opening, probing, reading): non-zero
     *  ends it with SEG_ERR_INTERRUPTED, e.g. a job's stop flag. NULL = none.
     *  Called from the thread that opens or reads. */
    int (*interrupt)(void *opaque);
    void *interrupt_opaque;  /**< its argument */
    seg_pixfmt pixfmt;       /**< frames out: SEG_PIX_RGB24 (0, the default) or
                                  SEG_PIX_YUV420P (the decoder's planes copied as
                                  they are when it gives 4:2:0, else converted;
                                  matrix and range from the stream) */
    io_orient orient;        /**< rotation, flips and pixel shape (default: auto) */
} io_source_opts;

/** What one video stream looks like, as far as the demuxer knows. */
typedef struct io_video_info {
    int width, height;          /**< size of the frames io_source_read() gives:
                                     upright and with square pixels unless
                                     opts->orient is IO_ORIENT_NONE */
    int stored_width, stored_height; /**< coded picture size, as stored */
    int rotation;               /**< degrees the pictures are turned clockwise on
                                     the way out: 0, 90, 180 or 270 */
    int flip;                   /**< non-zero: after the turn they are also
                                     mirrored left to right (every one of the
                                     eight orientations is a turn and a flip) */
    int squared;                /**< non-zero: non-square pixels are resampled
                                     (then sar is 1:1 and stored_sar the input's) */
    int stored_sar_num, stored_sar_den; /**< the input's sample aspect ratio */
    int time_base_num, time_base_den; /**< time base of seg_image.pts */
    int frame_rate_num, frame_rate_den; /**< average or guessed rate; 0/0 if unknown */
    int sar_num, sar_den;       /**< sample aspect ratio of the frames given;
                                     0/1 if unknown */
    int64_t nb_frames;          /**< container's frame count; 0 if unknown */
    double duration_s;          /**< container duration; <0 if unknown */
    int has_audio;              /**< an audio stream will be passed through */
    int is_live;                /**< a device, lavfi or network source */
    const char *format_name;    /**< demuxer name, e.g. "avi" (static storage) */
    const char *codec_name;     /**< video codec, e.g. "mpeg4" */
    seg_yuv_matrix matrix;      /**< the YUV frames' matrix, as far as the stream
                                     header says (each frame carries its own) */
    int full_range;             /**< ... and range */
} io_video_info;

/** io_source_read() results besides errors. */
enum { IO_READ_VIDEO = 1, IO_READ_AUDIO = 2 };

/**
 * Open @p url: a file path, a URL (udp://, rtsp://, http://, ...), a device
 * (/dev/video0: format v4l2 unless opts->format says otherwise) or
 * "lavfi:GRAPH" (shorthand for format "lavfi" and GRAPH).
 * Finds the best video stream and opens its decoder.
 * is_live is set for devices (the demuxer's class is a device, or lavfi) and for
 * URLs with "://" other than file:. Network URLs get "rw_timeout"/"timeout"
 * options and a deadline of timeout_ms after each read starts, so a dead
 * server gives SEG_ERR_IO ("timed out") instead of a hang. FIFOs and pipes
 * (a FIFO path, or pipe:N on a pipe) are read with poll() (io_fdio) under
 * the same deadline: a writer that stops sending, before or after the
 * header, ends the read after timeout_ms. opts->interrupt ends any wait
 * within 50 ms.
 * @return SEG_OK; SEG_ERR_IO when it cannot be opened; SEG_ERR_BAD_INPUT when it
 *         holds no decodable video; SEG_ERR_LIMIT for a video stream whose
 *         declared size is over SEG_MAX_DIM or SEG_MAX_PIXELS (checked right
 *         after the header is read, before probing decodes anything; probing
 *         and the decoder also get max_pixels = SEG_MAX_PIXELS, so libavcodec
 *         allocates no larger picture even when the size changes mid-stream);
 *         SEG_ERR_INVALID for bad arguments or an unknown opts->format;
 *         SEG_ERR_INTERRUPTED; SEG_ERR_NOMEM.
 */
int io_source_open(io_source **out, const char *url, const io_source_opts *opts,
                   char *err, size_t errlen);

/**
 * Open media held in memory (probed, or opts->format), e.g. for fuzzing or a
 * picture already read. Reads and seeks stay inside [buf, buf + len); the
 * demuxer may not open anything else (a playlist or concat list in the bytes
 * gets EPERM for every entry), and device formats are refused. Otherwise it
 * is io_source_open(): same limits, same reads, same errors.
 * The source borrows @p buf: keep it valid and unchanged until
 * io_source_close(). @p name appears in messages (NULL = "memory").
 * @return as io_source_open(); SEG_ERR_INVALID for buf == NULL with len > 0.
 */
int io_source_open_memory(io_source **out, const void *buf, size_t len, const char *name,
                          const io_source_opts *opts, char *err, size_t errlen);

/** Stream description; valid until io_source_close(). */
const io_video_info *io_source_info(const io_source *src);

/**
 * Read on until the next decoded video frame or passthrough audio packet.
 * A video frame is converted to RGB24 (or YUV420P, see opts->pixfmt) at its
 * own size into @p frame, which the
 * source (re)allocates as needed (reuse the same seg_image between calls and
 * free it with seg_image_free(); no allocation per frame at a constant size).
 * frame->pts is best_effort_timestamp in the stream time base (or a synthesised
 * one when the input has none), frame->index counts video frames from 0.
 * Timestamp discontinuities (in a format with AVFMT_TS_DISCONT, or a live
 * source: back by more than 0.1 s, or more than 10 s either way) are evened
 * out as ffmpeg does: one offset for the video and the audio packets moves
 * the stream on from the timestamp expected next; a warning each (to the
 * log callback; not counted in io_source_warnings()).
 * An audio packet is returned in *pkt (caller owns it).
 * Corrupt packets are skipped with a warning counted in io_source_warnings();
 * a demuxer that stops on corrupt data ends the stream (drained, then SEG_EOF)
 * with a warning; other read errors drain the decoder first, then return the
 * error. *pkt is written only when IO_READ_AUDIO is returned.
 * @return IO_READ_VIDEO, IO_READ_AUDIO, SEG_EOF at the end (decoder drained,
 *         and again on every later call), SEG_ERR_INTERRUPTED after
 *         io_source_interrupt(), or a negative error (message in
 *         io_source_last_error()); SEG_ERR_LIMIT for a picture over the limits.
 */
int io_source_read(io_source *src, seg_image *frame, io_packet **pkt);

/** Number of decode errors skipped so far. */
int64_t io_source_warnings(const io_source *src);
/** The message of the latest warning counted by io_source_warnings() ("" if
 *  none); valid until the next io_source_read() or io_source_close(). */
const char *io_source_last_warning(const io_source *src);
/** Ask a blocking read to return soon (thread-safe, async-signal-safe). */
void io_source_interrupt(io_source *src);
const char *io_source_last_error(const io_source *src);
/** Close and free; NULL-safe, sets *src = NULL. */
void io_source_close(io_source **src);

/** Free a packet from io_source_read(); NULL-safe, sets *pkt = NULL. */
void io_packet_free(io_packet **pkt);

/** How the sink encodes. Zero-initialise, then fill. */
typedef struct io_sink_params {
    int width, height;                 /**< frames given to io_sink_write_video */
    int time_base_num, time_base_den;  /**< time base of seg_image.pts */
    int frame_rate_num, frame_rate_den;/**< nominal rate (for the encoder); 0 = 25 */
    int sar_num, sar_den;              /**< sample aspect ratio to keep */
    const char *format;                /**< container (ffmpeg -f); NULL = by extension */
    const char *codec;                 /**< video encoder name; NULL = libx264 if
                                            available, else the container's default */
    int crf;                           /**< quality for x264 (0 = 20) */
    const char *preset;                /**< x264 preset; NULL = "veryfast" */
    int overwrite;                     /**< non-zero: replace an existing file */
    int encoder_threads;               /**< 0 = 1 */
    int yuv;                           /**< non-zero: frames are YUV420P (matrix and
                                            range in each frame; the encoder is
                                            tagged with the first's, below): an
                                            encoder that takes yuv420p gets the
                                            planes as they are, no conversion;
                                            colour primaries and transfer are the
                                            input's (audio_from) as in a plain
                                            transcode */
    seg_yuv_matrix matrix;             /**< yuv: the frames' matrix */
    int full_range;                    /**< yuv: the frames' range */
    int timeout_ms;                    /**< the longest one write may make no progress
                                            (a receiver that stops reading) before
                                            the output fails with "timed out";
                                            0 = 10000 */
    /** Asked while a write blocks: once it says stop, a write that has made
     *  no progress for 1 s is given up (SEG_ERR_INTERRUPTED), so a stop
     *  never waits on a stalled receiver; writes that progress go on, so a
     *  stop still finalises a healthy output. NULL = none. */
    int (*interrupt)(void *opaque);
    void *interrupt_opaque;            /**< its argument */
    int rgba;                          /**< non-zero: frames are RGBA and the alpha is
                                            kept: a pixel format with alpha is chosen,
                                            and without a codec the first of qtrle
                                            (.mov), ffv1 (.mkv), png the container
                                            takes; an encoder without alpha formats
                                            is refused (SEG_ERR_UNSUPPORTED) */
} io_sink_params;

/**
 * Create the output: pick the container, add an encoded video stream and,
 * when @p audio_from has an audio stream, a copied audio stream with the same
 * codec parameters. Refuses an existing file unless params->overwrite
 * (SEG_ERR_EXISTS, nothing touched) and an output that is the input file
 * (pass the source as @p audio_from whenever there is one, even without
 * audio: that is how the sink knows the input).
 * A regular file is written to a temporary file next to it
 * (".NAME.segstream-PID-N"), created here, so an unwritable place fails
 * here; io_sink_finish() renames it into place, so an existing file is
 * replaced only by a finished output (see there). A symlink at the output
 * path is followed (the file it points to is replaced). FIFOs and pipes
 * (pipe:N) are written with poll() (io_fdio), network outputs by FFmpeg's
 * protocols; both under params->timeout_ms and params->interrupt, opening
 * included (a FIFO without a reader, an RTMP server that never answers).
 * An audio codec the container cannot hold is dropped with a warning.
 * Timing: the output starts at 0. The input's start time (known from
 * @p audio_from; 0 without it) is subtracted from video pts and audio
 * timestamps alike, so audio stays in sync and no player shows a blank lead.
 * Odd sizes: an encoder pixel format with subsampled chroma (yuv420p) needs
 * even sizes, so the last column/row is cropped (161x121 -> 160x120); pixels
 * are never resampled.
 * @return SEG_OK, SEG_ERR_EXISTS, SEG_ERR_IO (not writable, unknown format),
 *         SEG_ERR_INVALID (bad params, unknown encoder, output is the input),
 *         SEG_ERR_UNSUPPORTED (the encoder refuses the settings), SEG_ERR_LIMIT,
 *         SEG_ERR_NOMEM.
 */
int io_sink_open(io_sink **out, const char *url, const io_sink_params *params,
                 const io_source *audio_from, char *err, size_t errlen);
/** Encode one RGB24 (RGBA with params->rgba, YUV420P with params->yuv) frame
 *  of params->width x height (pts in params' time
 *  base, strictly increasing: a pts not above the previous one is moved to
 *  previous + 1 with a warning). Nothing is allocated per frame.
 *  @return SEG_OK, SEG_ERR_INVALID (wrong size/format), SEG_ERR_IO (write
 *  failed, FFmpeg's words in io_sink_last_error()); errors are sticky. */
int io_sink_write_video(io_sink *snk, const seg_image *frame);
/** Mux one passthrough audio packet; takes ownership (sets *pkt = NULL).
 *  Without an audio stream in the output the packet is freed and SEG_OK. */
int io_sink_write_audio(io_sink *snk, io_packet **pkt);
/** Flush the encoder, write the trailer and close the file; the file is
 *  complete after this. A regular file's temporary file is then renamed to
 *  the output's name (replacing an old file only with -y / overwrite) when
 *  the sink had no error and holds at least one frame; otherwise it is
 *  removed and an old file at that name stays as it was. Idempotent: later
 *  calls return the first result. */
int io_sink_finish(io_sink *snk);
const char *io_sink_last_error(const io_sink *snk);
/** Warnings so far (audio dropped, pts moved) and the latest one's text. */
int64_t io_sink_warnings(const io_sink *snk);
const char *io_sink_last_warning(const io_sink *snk);
/** Free; calls io_sink_finish() first if it was not called. NULL-safe. */
void io_sink_close(io_sink **snk);

/** Bilinear RGB24 -> RGB24 resize with libswscale (no per-call allocation).
 *  @return SEG_OK, SEG_ERR_INVALID (size <= 0), SEG_ERR_LIMIT, SEG_ERR_NOMEM. */
int io_scaler_create(io_scaler **out, int src_w, int src_h, int dst_w, int dst_h);
/** The same between any of RGB24, YUV420P and YUV444P (and RGBA to RGBA,
 *  alpha resized like the colour), e.g. a decoded
 *  4:2:0 frame straight to a 4:4:4 model input: resize and conversion in
 *  one pass.
 *  @return as io_scaler_create(); SEG_ERR_INVALID for other formats. */
int io_scaler_create_fmt(io_scaler **out, int src_w, int src_h, seg_pixfmt src_f, int dst_w,
                         int dst_h, seg_pixfmt dst_f);
/** Resize @p src (the scaler's source format, src_w x src_h) into @p dst. dst
 *  is allocated on the first call when dst->data is NULL, otherwise it must
 *  be the destination format at dst_w x dst_h. A YUV source is read with its
 *  own matrix and range, which a YUV destination keeps; an RGB source is
 *  written with a YUV destination's. pts and index are copied.
 *  @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_NOMEM. */
int io_scaler_run(io_scaler *sc, const seg_image *src, seg_image *dst);
/** NULL-safe, sets *sc = NULL. */
void io_scaler_free(io_scaler **sc);

/** Severity of a log line, most severe first. */
typedef enum io_log_level {
    IO_LOG_ERROR = 0,
    IO_LOG_WARNING = 1,
    IO_LOG_INFO = 2,
    IO_LOG_DEBUG = 3,
    IO_LOG_COUNT
} io_log_level;

/** Receives one log line (no trailing newline needed; may contain one). */
typedef void (*io_log_fn)(void *user, io_log_level level, const char *msg);

/**
 * Route FFmpeg's log (av_log) and io's own warnings to @p fn, for lines at
 * @p max_level or more severe. fn == NULL silences FFmpeg and io entirely.
 * Until this is called FFmpeg logs to stderr as it does by default and io
 * logs nothing (warnings still go to the *_warnings() counters).
 * Process-wide: call before opening sources or sinks, not concurrently.
 * @p fn may be called from FFmpeg's decoder/encoder threads.
 */
void io_set_log_callback(io_log_fn fn, void *user, io_log_level max_level);

/* ==== PNG pictures, frame dumps, still pictures (io_png.c) ============== */

/** Encodes pictures with FFmpeg's PNG encoder; keeps the encoder open while
 *  the size and format stay the same. One thread at a time. */
typedef struct io_png_writer io_png_writer;

/** @return SEG_OK or SEG_ERR_NOMEM. Close with io_png_writer_close(). */
int io_png_writer_open(io_png_writer **out);
/**
 * Encode @p img (RGB24, RGBA or GRAY8: the PNG gets the same colour type;
 * YUV420P: converted to RGB24 with its matrix and range)
 * into memory. *data / *size stay valid until the next call or close. The
 * bytes depend only on the pixels: the same picture gives the same file.
 * @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_LIMIT, SEG_ERR_UNSUPPORTED (no PNG
 *         encoder), SEG_ERR_NOMEM.
 */
int io_png_writer_encode(io_png_writer *w, const seg_image *img, const uint8_t **data,
                         size_t *size);
/** Encode and write @p img to @p path (replaced if it exists; removed again
 *  if the write fails). @return as io_png_writer_encode(), or SEG_ERR_IO. */
int io_png_writer_write(io_png_writer *w, const char *path, const seg_image *img);
const char *io_png_writer_last_error(const io_png_writer *w);
/** NULL-safe, sets *w = NULL. */
void io_png_writer_close(io_png_writer **w);
/** One picture to one file (opens and closes a writer); message in err. */
int io_png_save(const char *path, const seg_image *img, char *err, size_t errlen);

/** --dump-frames: composites and masks as numbered PNG files. */
typedef struct io_dump io_dump;

/**
 * Dump into @p dir (created if missing; its parent must exist) every
 * @p every-th frame: frames whose index is a multiple of @p every.
 * Files: DIR/frame_NNNNNN.png (the composite) and DIR/mask_NNNNNN.png (the
 * mask), NNNNNN the frame's 0-based index, zero-padded to six digits (more
 * when it needs them). A folder that already holds such files (or a
 * legend.txt) is refused unless @p overwrite; then they are replaced. A
 * symlink in the folder is never followed: writing through one fails.
 * @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_EXISTS (frames there, no
 *         @p overwrite), SEG_ERR_IO (cannot create or write the directory),
 *         SEG_ERR_NOMEM; message in err.
 */
int io_dump_open(io_dump **out, const char *dir, int every, int overwrite, char *err,
                 size_t errlen);
/** Non-zero when frame @p index is to be dumped (so a caller can skip
 *  preparing what would not be written). */
int io_dump_wants(const io_dump *d, int64_t index);
/**
 * Write the composite (RGB24 or RGBA) and the mask (GRAY8, e.g. the
 * compositor's alpha) of one frame, numbered by composite->index (mask->index
 * when there is no composite); either may be NULL. Does nothing (SEG_OK) for
 * a frame io_dump_wants() refuses.
 * @return SEG_OK or the writer's error (message in io_dump_last_error()).
 */
int io_dump_write(io_dump *d, const seg_image *composite, const seg_image *mask);
/** Write a map of instance ids (GRAY8, 0 = nobody, 1..255 the people,
 *  --instances) as ids_NNNNNN.png, numbered by ids->index; like
 *  io_dump_write() otherwise. */
int io_dump_write_ids(io_dump *d, const seg_image *ids);
const char *io_dump_last_error(const io_dump *d);
/** NULL-safe, sets *d = NULL. */
void io_dump_close(io_dump **d);

/**
 * Decode the first picture of @p path (any picture or video FFmpeg reads;
 * e.g. a --background image) into @p out as RGB24, allocating it (zero it
 * first; free with seg_image_free(), also after a failure).
 * @return SEG_OK or io_source_open()'s and io_source_read()'s errors
 *         (SEG_ERR_BAD_INPUT when nothing decodes); message in err.
 */
int io_image_load(const char *path, seg_image *out, char *err, size_t errlen);

/* ==== virtual camera: a V4L2 video output (io_vcam.c) =================== */

/** A V4L2 video output device (v4l2loopback) that composites are written
 *  to, as YUYV (packed 4:2:2; why in io_vcam.c). One thread at a time. */
typedef struct io_vcam io_vcam;

/** How frames come to io_vcam_write(). Zero-initialise, then fill. */
typedef struct io_vcam_params {
    int width, height;          /**< frames given to io_vcam_write (an odd width
                                     loses its last column: YUYV pairs pixels) */
    seg_pixfmt format;          /**< SEG_PIX_YUV420P (planes packed as they are)
                                     or SEG_PIX_RGB24 (converted, BT.601 limited) */
    seg_yuv_matrix matrix;      /**< YUV frames' matrix and range, announced to */
    int full_range;             /**< ... clients in the format's colorspace */
    int fps_num, fps_den;       /**< the rate announced (VIDIOC_S_PARM); 0 = none */
} io_vcam_params;

/** Non-zero when @p path is meant as a V4L2 device: it starts with
 *  "/dev/video", or it is a video4linux character device (major 81, e.g.
 *  /dev/v4l/by-id/...). */
int io_vcam_is_device(const char *path);

/**
 * Open @p path, check with VIDIOC_QUERYCAP that it is a video output that
 * takes write(), and set the output format with VIDIOC_S_FMT
 * (V4L2_BUF_TYPE_VIDEO_OUTPUT, YUYV, params' size, colorspace from params)
 * and the frame rate with VIDIOC_S_PARM (best effort).
 * @return SEG_OK; SEG_ERR_IO when it cannot be opened, is not a V4L2 device
 *         or not a video output (a webcam: the message says so and how to
 *         make a v4l2loopback device); SEG_ERR_UNSUPPORTED when it refuses
 *         write() or the format (e.g. another program fixed another size);
 *         SEG_ERR_INVALID; SEG_ERR_NOMEM. Message in err.
 */
int io_vcam_open(io_vcam **out, const char *path, const io_vcam_params *params, char *err,
                 size_t errlen);
/** Convert one frame (params' size and format) to YUYV and write() it as
 *  one frame; nothing is allocated. @return SEG_OK, SEG_ERR_INVALID (wrong
 *  size or format), SEG_ERR_IO (the write failed or was short; sticky). */
int io_vcam_write(io_vcam *vc, const seg_image *frame);
/** The negotiated format: width, height, bytes per line, bytes per frame
 *  (any pointer may be NULL). */
int io_vcam_format(const io_vcam *vc, int *width, int *height, int *bytesperline,
                   size_t *sizeimage);
const char *io_vcam_last_error(const io_vcam *vc);
/** Close; NULL-safe, sets *vc = NULL. */
void io_vcam_close(io_vcam **vc);

/** --list-devices: every @p dir/videoN (dir NULL = /dev) that captures or
 *  outputs video, one line each: path, capture/output, card name, driver,
 *  bus. @return how many were listed (a "none found" line when 0). */
int io_v4l2_list_devices(FILE *f, const char *dir);
/** --list-formats: the formats (ENUM_FMT), frame sizes (ENUM_FRAMESIZES) and
 *  rates (ENUM_FRAMEINTERVALS) of @p path's capture and output sides.
 *  @return SEG_OK, SEG_ERR_IO (message in err). */
int io_v4l2_list_formats(FILE *f, const char *path, char *err, size_t errlen);

#endif
