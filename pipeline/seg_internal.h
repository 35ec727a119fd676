/* seg_internal.h - what the files of pipeline/ share: the frame slots that
 * travel through the rings, the job's shared state, the stage threads and
 * the timing histogram. Private to pipeline/. */
#ifndef SEG_INTERNAL_H
#define SEG_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "disp.h"
#include "io.h"
#include "nn.h"
#include "seg.h"
#include "seg_model.h"
#include "seg_ring.h"

/** Most inference workers a job may have. */
#define SEG_MAX_WORKERS 16

/* ==== timing ============================================================ */

/** Monotonic clock in milliseconds. */
double seg_now_ms(void);

/** Log-spaced buckets from 1 us to 100 s, ~1.8% apart: percentiles of any
 *  number of samples in fixed memory, no allocation per sample. */
#define SEG_HIST_BUCKETS 1024

typedef struct seg_hist {
    uint32_t count[SEG_HIST_BUCKETS]; /**< samples per bucket */
    int64_t n;                        /**< samples in all */
    double sum;                       /**< ms, for the mean */
    double max;                       /**< ms, exact */
} seg_hist;

/** Add one sample (ms; negative counts as 0). */
void seg_hist_add(seg_hist *h, double ms);
/** dst += src. */
void seg_hist_merge(seg_hist *dst, const seg_hist *src);
/** p50/p95/p99 (bucket centres, clamped to max), mean and max. */
seg_pctl seg_hist_pctl(const seg_hist *h);

/** Depth of a ring, sampled by its producer after each push. */
typedef struct seg_depth {
    int64_t n, sum;
    int max;
} seg_depth;

static inline void seg_depth_add(seg_depth *d, size_t depth)
{
    d->n++;
    d->sum += (int64_t)depth;
    if ((int)depth > d->max)
        d->max = (int)depth;
}

/* ==== waiting =========================================================== */

/** Back-off for a stage that found its ring full or empty: a few yields,
 *  then sleeps growing from 20 us to 1 ms (the cap bounds the latency a
 *  wait adds; the sleeps keep a waiting stage off the 2 cores). */
typedef struct seg_backoff {
    unsigned n;
} seg_backoff;

void seg_backoff_wait(seg_backoff *b);

static inline void seg_backoff_reset(seg_backoff *b)
{
    b->n = 0;
}

/* ==== --fit ============================================================= */

/** How a W x H frame meets the model: the scaler maps src (a rectangle of the
 *  frame) onto dst (a rectangle of the model input); the slot mask is
 *  mask_w x mask_h. Letterbox: the mask is the part of the model output at
 *  (mx, my) that the picture covers. Crop: the model output sits at (mx, my)
 *  in a mask that covers the whole frame (the rest is background). */
typedef struct seg_fit_geom {
    seg_fit fit;
    int frame_w, frame_h;
    int src_x, src_y, src_w, src_h;
    int dst_x, dst_y, dst_w, dst_h;
    int mask_w, mask_h;
    int mx, my;
} seg_fit_geom;

void seg_fit_geometry(seg_fit fit, int frame_w, int frame_h, nn_shape in, nn_shape out,
                      seg_fit_geom *g);

/* ==== slots and messages ================================================ */

typedef enum seg_msg_kind {
    SEG_MSG_FRAME = 0, /**< a frame from the pool */
    SEG_MSG_END,       /**< the last message a producer sends on a ring */
} seg_msg_kind;

/**
 * What travels through the frame and result rings, always by pointer.
 * Frames come from the job's pool and go back to the decoder through a
 * return ring; an END message is a stage's own slot and never returned.
 * Exactly one stage owns a slot at a time: the one that popped it.
 */
typedef struct seg_slot {
    seg_msg_kind kind;
    int status;        /**< END: SEG_EOF, SEG_ERR_INTERRUPTED or the error that ended it */
    seg_image image;   /**< the full-size frame in job->work_fmt (pts, index from
                            the decoder) */
    float *mask;       /**< mask_h x mask_w foreground probabilities (the model's
                            output, with letterbox bars cut away or, for crop,
                            widened to cover the whole frame) */
    uint8_t *labels;   /**< multi-class models: mask_h x mask_w class ids, else NULL */
    size_t mask_cap;   /**< floats (and labels) allocated */
    int mask_w, mask_h;
    seg_image out;     /**< the composite when it differs from the frame
                            (alpha: RGBA, side-by-side: 3x wide); else unused */
    const seg_image *shown; /**< what the encoder writes: &image or &out */
    double infer_ms;   /**< this frame's inference time (for the window's title) */
    double t_decoded;  /**< seg_now_ms() when the decoder had it */
} seg_slot;

/* ==== the job =========================================================== */

typedef struct seg_job seg_job;

/** One inference worker: its own model instance, scaler and rings. */
typedef struct seg_worker {
    seg_job *job;
    int id;
    seg_model sm;          /**< its own model instance, loaded by seg_run() */
    io_scaler *scaler;     /**< frame size -> model size, rebuilt on a size change */
    int scaler_w, scaler_h;
    seg_image small;       /**< the frame at model size: RGB24, or YUV444P for a
                                YUV frame (then made RGB with yuv_tab) */
    seg_yuv_tables yuv_tab;/**< for small's matrix and range (made with the scaler) */
    seg_fit_geom geom;     /**< --fit geometry for the current frame size */
    float *raw_mask;       /**< letterbox/crop: the model-output-sized mask */
    uint8_t *raw_labels;   /**< ... and labels (multi-class) */
    seg_ring *in;          /**< frames from the decoder */
    seg_ring *out;         /**< results for the renderer */
    seg_ring *ret;         /**< skipped frames back to the decoder */
    seg_slot end;          /**< this worker's END message */
    /* Written by this thread only; read after join. */
    seg_hist convert, infer;
    seg_depth out_depth;
    int64_t dropped;
    pthread_t thread;
    int started;
} seg_worker;

struct seg_job {
    const seg_config *cfg;
    int live;              /**< SEG_MODE_LIVE rules apply */
    int nworkers;
    int64_t max_frames;
    io_source *src;
    io_sink *snk;
    disp_compositor *comp;
    nn_shape in_shape, out_shape;
    int out_w, out_h;      /**< the sink's frame size (disp_output_size of the input's first) */
    int out_rgba;          /**< the sink takes RGBA frames (alpha mode) */
    seg_pixfmt work_fmt;   /**< frames from decoder to encoder: YUV420P as decoded
                                (no conversion) unless the mode needs RGB24 */
    int multiclass;        /**< the model gives class labels: slots carry them */
    int overlay_labels;    /**< multi-class overlay: labels = best non-background
                                class, mask = anything but background */
    /* Renderer's: the background video, dumps, the legend, the window. */
    io_source *bg_src;     /**< a video background, NULL for a picture or none */
    seg_image bg_frame;    /**< its current frame */
    int64_t bg_frames;     /**< frames read since it was (re)opened */
    io_dump *dump;
    int64_t class_first[SEG_MAX_CLASSES]; /**< frame a class was first seen, -1 = not yet */
    int classes_seen;
    const io_video_info *info;
    float lut[3][256];     /**< byte -> model input value, per channel */

    seg_slot *slots;       /**< the pool */
    int nslots;
    seg_worker *workers;
    seg_ring *to_encoder;  /**< renderer -> encoder, composited frames */
    seg_ring *audio;       /**< decoder -> encoder, passthrough packets */
    seg_ring *render_ret;  /**< renderer -> decoder, dropped or discarded slots */
    seg_ring *encode_ret;  /**< encoder -> decoder, written slots */

    atomic_int stop;       /**< end the stream now (signal, error, frame limit) */
    atomic_int interrupted;/**< the stop came from seg_request_stop() */
    atomic_int encoder_done; /**< the last stage has finished */
    /* Progress, relaxed: written by one stage, read by the supervisor. */
    atomic_llong progress_written, progress_dropped;

    /* Decoder's, read after join. */
    seg_slot dec_end;      /**< the decoder's END message, sent to every worker */
    seg_slot **free_slots; /**< the decoder's stack of free slots */
    int nfree;
    seg_hist decode;
    seg_depth in_depth;
    int64_t decoded, dropped_decoder, audio_dropped;
    /* Renderer's, read after join. */
    seg_slot render_end;   /**< the renderer's END message to the encoder */
    seg_hist composite, latency;
    seg_depth encode_depth;
    int64_t composited, dropped_render, index_gaps;
    /* Encoder's, read after join. */
    seg_hist encode;
    int64_t written, audio_packets;

    /* The first error, from whichever thread found it. */
    pthread_mutex_t err_lock;
    int err_status;
    seg_where err_where;
    char err[1024];

    double t0;
};

/** Record an error (the first one wins). Any thread. */
void seg_job_record(seg_job *job, int status, seg_where where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Record an error (the first one wins) and stop the job. Any thread. */
void seg_job_fail(seg_job *job, int status, seg_where where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Stop the job: the decoder ends the stream, the rest discards and drains.
 *  Any thread; idempotent. */
void seg_job_stop(seg_job *job);
static inline int seg_job_stopping(seg_job *job)
{
    return atomic_load_explicit(&job->stop, memory_order_acquire);
}

/** The stage threads (arg: seg_job *, or seg_worker * for a worker). Each
 *  returns NULL; results are in the job. */
void *seg_decoder_main(void *arg);
void *seg_worker_main(void *arg);
void *seg_renderer_main(void *arg);
void *seg_encoder_main(void *arg);

/** Wait until @p item is pushed onto @p r; gives up (SEG_ERR_INTERRUPTED)
 *  when @p give_up_on_stop and the job is stopping. */
int seg_push_wait(seg_job *job, seg_ring *r, void *item, int give_up_on_stop);

#endif
