/* seg_job.h - what the stages of one job share, and nothing else: the
 * configuration (read-only once the threads start), the pool of frame slots
 * and the rings that carry them, the stop flag, the first error and the
 * progress counters. Each stage's own state lives in its own struct
 * (seg_stages.h) and is touched only by its thread until it has joined.
 * Private to pipeline/.
 *
 * Also the job's small tools: the timing histogram, ring-depth samples, the
 * back-off of a stage that waits, and the waits on a ring. */
#ifndef SEG_JOB_H
#define SEG_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "io.h"
#include "nn.h"
#include "seg.h"
#include "seg_clock.h"
#include "seg_model.h"
#include "seg_ring.h"

/** Most inference workers a job may have. */
#define SEG_MAX_WORKERS 16

/** Frame and result ring slots per worker. Two let a worker skip to the
 *  newer of two waiting frames in live mode and absorb one slow frame in
 *  exact mode; more only adds memory (a slot is a whole frame). */
#define SEG_FRAMES_RING_CAP 2
#define SEG_RESULTS_RING_CAP 2
/** Composited frames waiting for the encoder. */
#define SEG_ENCODE_RING_CAP 2
/** Passthrough audio packets in flight (~5 s of AAC). */
#define SEG_AUDIO_RING_CAP 256

/** The cap on a job's planned memory: the frame pool (frames, masks,
 *  composites), every inference worker's own buffers and model instance
 *  (activations, scratch). Checked before the workers' model instances and
 *  the pool are allocated (seg_job_plan), and refused with a message naming
 *  the cap and the figures. README.md, "Limits". */
#define SEG_MAX_JOB_BYTES ((size_t)4 << 30)

/** A model output with more elements than this many times the frame's
 *  pixels is a model's whim, not detail: with --fit stretch the worker
 *  box-filters it down to the frame's size (seg_mask_clamp), so the pool's
 *  masks stay at the size the compositor needs. */
#define SEG_MASK_OVERSIZE 4

/** Whether a mw x mh model mask is shrunk for a fw x fh frame, and to what
 *  (*cw x *ch: each side at most the frame's). */
static inline int seg_mask_clamp(int mw, int mh, int fw, int fh, int *cw, int *ch)
{
    if ((size_t)mw * (size_t)mh <= (size_t)SEG_MASK_OVERSIZE * (size_t)fw * (size_t)fh)
        return 0;
    *cw = mw < fw ? mw : fw;
    *ch = mh < fh ? mh : fh;
    return 1;
}

/* ==== timing ============================================================ */

/** Log-spaced buckets from 1 us to 100 s, ~1.8% apart: percentiles of any
 *  number of samples in fixed memory, no allocation per sample. */
#define SEG_TIMES_BUCKETS 1024

/** A histogram of durations (one per timed step of a stage). */
typedef struct seg_times {
    uint32_t count[SEG_TIMES_BUCKETS]; /**< samples per bucket */
    int64_t n;                         /**< samples in all */
    double sum;                        /**< ms, for the mean */
    double max;                        /**< ms, exact */
} seg_times;

/** Add one sample (ms; negative counts as 0). */
void seg_times_add(seg_times *h, double ms);
/** dst += src. */
void seg_times_merge(seg_times *dst, const seg_times *src);
/** p50/p95/p99 (bucket centres, clamped to max), mean and max. */
seg_pctl seg_times_pctl(const seg_times *h);

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

/** Occupancy of @p n rings of capacity @p cap from their samples. */
seg_ring_stat seg_depth_stat(const seg_depth *d, int cap, int n);

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

/** Sleep @p us microseconds (restarted after a signal). */
void seg_sleep_us(long us);

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
    int model;         /**< the model (index in job->models) that made the mask */
    double t_decoded;  /**< seg_clock_ms() when the decoder had it */
} seg_slot;

/* ==== the job =========================================================== */

typedef struct seg_job {
    /* Configuration: set by seg_run() before any thread starts, then only
     * read. */
    const seg_config *cfg;
    const seg_model *model;  /**< the first model (models[0]) */
    const seg_model *models[SEG_MAX_MODELS]; /**< every -m: the models the
                                  workers' instances share, all of one kind
                                  (one foreground, or classes) */
    int nmodels;
    float luts[SEG_MAX_MODELS][3][256]; /**< models[i]'s byte -> input value */
    nn_model *detector;      /**< --find pose: the person detector the workers'
                                  instances share; NULL otherwise */
    const struct seg_ssd_spec *detector_spec; /**< which kind it is (seg_detect.h) */
    nn_model *face_detector; /**< --find pose: the face detector (close-ups) */
    const seg_model *closeup;/**< --find pose: segments a landscape close-up's
                                  whole frame; NULL = the main model does */
    const io_video_info *info; /**< the input's, valid while src is open */
    int live;                /**< SEG_MODE_LIVE rules apply */
    int nworkers;
    int64_t max_frames;
    nn_shape in_shape, out_shape;
    int out_w, out_h;        /**< the output's frame size (disp_output_size of the
                                  input's first) */
    int out_rgba;            /**< the output takes RGBA frames (alpha mode) */
    int vcam;                /**< the output is a virtual camera (seg_output_is_vcam) */
    seg_pixfmt work_fmt;     /**< frames from decoder to encoder: YUV420P as decoded
                                  (no conversion) unless the mode needs RGB24 */
    int multiclass;          /**< the model gives class labels: slots carry them */
    int instances;           /**< --instances: slots carry each person's number
                                  (1 = leftmost) as labels, coloured in overlay */
    int overlay_labels;      /**< multi-class overlay: labels = best non-background
                                  class, mask = anything but background */
    float lut[3][256];       /**< byte -> model input value, per channel */
    float closeup_lut[3][256]; /**< ... for the close-up model */

    /** The input. The decoder reads it; any thread may interrupt a read
     *  (seg_job_stop); the supervisor reads its warning count after join. */
    io_source *src;

    /* The pool and the rings. Each ring has one producer and one consumer. */
    seg_slot *slots;
    int nslots;
    seg_ring *frames[SEG_MAX_WORKERS];  /**< decoder -> worker i */
    seg_ring *results[SEG_MAX_WORKERS]; /**< worker i -> renderer */
    seg_ring *skipped[SEG_MAX_WORKERS]; /**< worker i -> decoder: frames it skipped */
    seg_ring *to_encoder;    /**< renderer -> encoder, composited frames */
    seg_ring *audio;         /**< decoder -> encoder, passthrough packets */
    seg_ring *render_ret;    /**< renderer -> decoder, dropped or discarded slots */
    seg_ring *encode_ret;    /**< encoder -> decoder, written slots */

    atomic_int model_pick;   /**< the model (index in models) the workers use
                                  from their next frame on: the renderer
                                  stores it (release, the window's M key),
                                  each worker loads it (acquire) before a
                                  frame and switches to its own instance */
    atomic_int stop;         /**< end the stream now (signal, error, frame limit);
                                  also the workers' models' cancel flag */
    const atomic_int *requested; /**< the process's stop request (seg_request_stop),
                                  seen before the supervisor passes it on to
                                  stop; NULL = none */
    atomic_int interrupted;  /**< the stop came from seg_request_stop() */
    atomic_int encoder_done; /**< the last stage has finished */
    /* Progress, relaxed: written by one stage, read by the supervisor. */
    atomic_llong progress_written, progress_dropped;

    /* The first error, from whichever thread found it. */
    pthread_mutex_t err_lock;
    int err_status;
    seg_where err_where;
    char err[SEG_MSG_SIZE];

    double t0;               /**< seg_clock_ms() when the threads started */
} seg_job;

/** A job with its error lock, for @p cfg; SEG_ERR_NOMEM. Free with
 *  seg_job_free(). */
int seg_job_create(seg_job **out, const seg_config *cfg);

/** What a job plans to allocate, in bytes (seg_job_plan). */
typedef struct seg_job_mem {
    size_t frames;   /**< the pool's frames and composites */
    size_t masks;    /**< the pool's masks and labels, the workers' model-size masks */
    size_t models;   /**< the workers' model instances (activations, scratch) and
                          model-size input frames */
    size_t total;
} seg_job_mem;

/** The job's planned memory for frames of the input's first size (the same
 *  settings as seg_job_create_pool, and @p instance_bytes per worker's model
 *  instance: nn_model_instance_bytes). */
seg_job_mem seg_job_plan(const seg_job *job, size_t instance_bytes);

/** Allocate the pool for frames of the input's first size and every ring
 *  (job->nworkers, work_fmt, in/out shapes, multiclass and cfg set first).
 *  SEG_ERR_NOMEM. */
int seg_job_create_pool(seg_job *job);

/** Free the pool, the rings (and audio packets still in one) and close the
 *  input; NULL-safe, sets *job = NULL. The stages' states are their own. */
void seg_job_free(seg_job **job);

/** Record an error (the first one wins). Any thread. */
void seg_job_record(seg_job *job, int status, seg_where where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Record an error (the first one wins) and stop the job. Any thread. */
void seg_job_fail(seg_job *job, int status, seg_where where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Stop the job: the decoder ends the stream, the rest discards and drains,
 *  a running inference returns early. Any thread; idempotent. */
void seg_job_stop(seg_job *job);

static inline int seg_job_stopping(seg_job *job)
{
    return atomic_load_explicit(&job->stop, memory_order_acquire);
}

/** The interrupt callback of every FFmpeg input and output the job opens
 *  (io_source_opts.interrupt, io_sink_params.interrupt; @p job is the
 *  seg_job): non-zero once the job stops or a stop was requested, so a
 *  blocked open, read or write of the job returns. Any thread. */
int seg_job_interrupt_cb(void *job);
/** Non-zero once for each seg_request_reload() (the renderer takes it). */
int seg_take_reload_request(void);

/** Wait until @p item is pushed onto @p r; gives up (SEG_ERR_INTERRUPTED)
 *  when @p give_up_on_stop and the job is stopping. */
int seg_push_wait(seg_job *job, seg_ring *r, void *item, int give_up_on_stop);

/** Hand a slot back to the decoder through return ring @p ret. Return rings
 *  hold the whole pool, so this never waits long. */
void seg_give_back(seg_job *job, seg_ring *ret, seg_slot *s);

/** Wait for the next message on @p r (its producer always ends with END). */
seg_slot *seg_pop_wait(seg_ring *r);

#endif
