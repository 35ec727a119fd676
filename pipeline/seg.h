/* seg.h - the segstream job: input -> model -> composite -> output.
 *
 * pipeline/ is the only module that sees all the others: it drives io/
 * (decode, scale, encode), nn/ (inference) and display/ (compositing).
 *
 * A job runs as four kinds of threads joined by SPSC rings (seg_ring.h):
 *
 *   decoder --frames--> inference worker 0 --results--> renderer --encode--> encoder -> sink
 *           --frames--> inference worker 1 --results-->    ^                   ^
 *           --audio packets------------------------------------------------------'
 *
 * The decoder reads and converts frames into slots of a fixed pool, the
 * workers scale, normalise, infer and turn the model output into a mask in
 * the slot, the renderer composites (in frame order, one display call per
 * frame), the encoder encodes and muxes, and every slot goes back to the
 * decoder through a return ring. Nothing is allocated per frame.
 *
 * Exact mode (files): nothing is dropped; a full ring makes the producer
 * wait, and the renderer takes the workers' results round-robin, which is
 * the decode order. Live mode (devices, lavfi, network, or forced): the
 * decoder never waits on a full ring and drops the frame instead, each
 * worker skips to the newest frame waiting for it, and the renderer to the
 * newest result; every drop is counted.
 *
 * End of stream and errors travel down the rings as end messages after the
 * last frame, so every stage drains and joins. A stop (signal, error, frame
 * limit in live mode) makes the decoder end the stream early, the others
 * discard what is in flight, and the output is still finalised. */
#ifndef SEG_SEG_H
#define SEG_SEG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "disp.h"
#include "disp_score.h"
#include "seg_status.h"

/** Where a failure came from; main() turns it into the exit code. */
typedef enum seg_where {
    SEG_WHERE_NONE = 0,
    SEG_WHERE_INPUT,  /**< the input could not be opened or decoded */
    SEG_WHERE_MODEL,  /**< the model could not be loaded or does not fit */
    SEG_WHERE_OUTPUT, /**< the output could not be created or written */
    SEG_WHERE_OTHER,
} seg_where;

/** How the pipeline treats a full ring. */
typedef enum seg_mode {
    SEG_MODE_AUTO = -1, /**< live for devices, lavfi and network inputs, else exact */
    SEG_MODE_EXACT = 0, /**< never drop: producers wait */
    SEG_MODE_LIVE = 1,  /**< never wait: drop stale frames, bound the latency */
} seg_mode;

/** How a frame of another aspect ratio meets the model input (--fit). */
typedef enum seg_fit {
    SEG_FIT_STRETCH = 0, /**< scale to the model size, aspect ratio not kept (default) */
    SEG_FIT_LETTERBOX,   /**< aspect kept, bars of the model's mean colour; the bars
                              are cut away again from the mask */
    SEG_FIT_CROP,        /**< aspect kept, the centre cropped to the model's aspect;
                              outside the crop the mask is background */
    SEG_FIT_COUNT
} seg_fit;

/** Where the model looks (--find). */
typedef enum seg_find {
    SEG_FIND_NONE = 0, /**< the whole frame, as --fit says */
    SEG_FIND_POSE,     /**< people first (MediaPipe's pose detector), then each
                            person's square region at the model's size, pasted
                            back; nobody found = an empty mask */
    SEG_FIND_AUTO,     /**< the command line's default: pose with MediaPipe's
                            selfie models (made for people; measured best on
                            the evaluation set) when the detectors are there,
                            else none */
    SEG_FIND_COUNT
} seg_find;

/** "none", "pose", "auto"; NULL if out of range. */
const char *seg_find_name(seg_find f);
/** Parse a --find value; -1 when unknown. */
int seg_find_parse(const char *name);

/** "stretch", "letterbox", "crop"; NULL if out of range. */
const char *seg_fit_name(seg_fit f);
/** Parse a --fit value; -1 when unknown. */
int seg_fit_parse(const char *name);

/** The timed steps of a frame, in pipeline order. */
typedef enum seg_stage {
    SEG_STAGE_DECODE = 0, /**< io_source_read: demux, decode, copy out the planes
                               (or convert: to YUV 4:2:0, or RGB for the modes
                               that need it)
                               (for a live source: includes waiting for it) */
    SEG_STAGE_CONVERT,    /**< scale to the model size and normalise */
    SEG_STAGE_INFER,      /**< run the model, output -> mask */
    SEG_STAGE_COMPOSITE,  /**< upsample the mask and draw it into the frame */
    SEG_STAGE_ENCODE,     /**< hand the planes (or convert an RGB frame) to the
                               encoder, encode, mux */
    SEG_STAGE_COUNT
} seg_stage;

/** "decode", "convert", "infer", "composite", "encode"; NULL if out of range. */
const char *seg_stage_name(seg_stage s);

typedef struct seg_config {
    const char *input;        /**< file, URL, device or lavfi:GRAPH */
    const char *input_format; /**< forced input format (ffmpeg -f before -i), NULL = probe */
    const char *video_size;   /**< device capture size "1280x720", NULL = device default */
    const char *framerate;    /**< device capture rate "30", NULL = device default */
    const char *pixel_format; /**< device input format ("mjpeg", "yuyv422"), NULL = default */
    int timeout_ms;           /**< network open/read timeout, 0 = io's default (10 s) */
    int orient;               /**< an io_orient (io.h): 0 = upright as the display
                                   matrix says, with square pixels (--rotate,
                                   --no-autorotate) */
    const char *output;       /**< output file or URL; NULL = null sink (encode, discard) */
    const char *format;       /**< output container (-f), NULL = by extension */
    const char *codec;        /**< output video encoder, NULL = libx264 or default */
    const char *model;        /**< .tflite path */
    int overwrite;            /**< -y */
    seg_mode mode;            /**< exact, live or by input (default) */
    int workers;              /**< inference workers (one model, a clone each); 0 = auto */
    int threads;              /**< OpenMP threads per worker; 0 = auto */
    int decoder_threads;      /**< libavcodec decoding threads (0 = 1) */
    int encoder_threads;      /**< libavcodec encoding threads (0 = auto: 2 for a
                                   file job on 2+ cores, else 1) */
    int crf;                  /**< x264 quality (0 = io's default, 20; lower = better) */
    const char *preset;       /**< x264 preset, NULL = io's default (veryfast) */
    int compose_rgb;          /**< non-zero: decode to RGB and composite in RGB even
                                   where YUV would do (slower; for comparisons) */
    int quiet;                /**< no progress line */
    int64_t max_frames;       /**< stop after this many output frames (0 = all) */
    const char *input_range;  /**< "0,1" or "-1,1": overrides the model's normalisation;
                                   NULL = its metadata, a known model's, else 0,1 */
    const char *input_values[8]; /**< --input "NAME=V[,V...]": values for other inputs
                                      of an ONNX model (fixed at load time) */
    int n_input_values;
    const char *state[8];     /**< --state "OUT=IN" (or "none"): an ONNX model's outputs
                                   fed back as inputs on the next frame */
    int n_state;
    const char *model_output; /**< --model-output NAME: the output that makes the mask */
    int input_w, input_h;     /**< --input-size: an ONNX model's free input size */
    const char *input_mean;   /**< "R,G,B" (or one value) in units of x/255: the model
                                   gets (x/255 - mean)/std; overrides the rest */
    const char *input_std;    /**< likewise; NULL = 1 (with input_mean) */
    const char *labels;       /**< class names, one per line; NULL = VOC for 21 classes */
    const char *classes;      /**< foreground classes of a multi-class model, "person,dog"
                                   or numbers; NULL = person (VOC), else all but 0 */
    disp_options disp;        /**< compositing, handed to display/ unchanged */
    const char *background;   /**< replace mode's background: a picture, or a video
                                   played one frame per output frame, looping */
    int display;              /**< non-zero: show the composite in a window (the
                                   renderer thread owns it) */
    int no_pacing;            /**< window: do not play files at their own pace (--bench) */
    const char *dump_dir;     /**< --dump-frames DIR: composite + mask PNGs; NULL = none */
    int dump_every;           /**< dump every N-th frame (0 = 1) */
    seg_fit fit;              /**< --fit (whole-frame segmentation) */
    seg_find find;            /**< --find: the whole frame, or people first */
    const char *detector;     /**< --detector: the person detector for --find pose
                                   (default models/person_detection_oidv4.tflite;
                                   MediaPipe's pose_detection.tflite also works) */
    const char *closeup_model;/**< --closeup-model: --find pose segments a
                                   landscape close-up's whole frame with it;
                                   NULL = the default (the landscape selfie
                                   model beside the general one), "none" = the
                                   main model */
    int64_t next_model_at;    /**< test hook: after this many composited frames the
                                   renderer picks the next model, as the M key
                                   does (0 = never) */
    int infer_delay_us;       /**< test hook: extra sleep after each inference,
                                   to play a slow model (0 = none) */
    const char *eval_gt;      /**< --eval: ground truth to score the masks against,
                                   frame by frame (a grey mask video, or a
                                   folder of grey PNGs, one per frame); exact
                                   mode only; NULL = no scoring */
    const char *eval_void;    /**< --eval-void: masks of the pixels not to score
                                   (white), like eval_gt; NULL = score all */
    int mirror_preview;       /**< --mirror preview|both: the window shows the
                                   composite flipped left-right (selfie view) */
    int mirror_output;        /**< --mirror output|both: the composite itself is
                                   flipped (what -o, dumps and screenshots get) */
    const char *const *models; /**< every -m given, in order (the window's M key
                                   cycles through them; all are loaded and
                                   checked before the first frame); NULL = just
                                   `model`. models[0] must be `model` */
    int nmodels;
    const char *const *backgrounds; /**< every --background given, in order (the
                                   window's n key steps through them); NULL =
                                   just `background` */
    int nbackgrounds;
    int opacity_given;        /**< --opacity was given: a multi-class overlay keeps
                                   it instead of SEG_MULTICLASS_OPACITY */
    int legend;               /**< --legend on (the default): a multi-class model's
                                   overlay gets a legend of the classes in the
                                   picture (colour and name); 0 = off */
    int instances;            /**< --instances: a colour per person found (overlay) */
    int stats_overlay;        /**< --stats: the window starts with its stats overlay
                                   (fps, inference, latency, drops, settings) */
    const char *config_file;  /**< --config FILE: display options, background and
                                   mirror, applied over these and reread when the
                                   file changes or on SIGHUP; NULL = none */
} seg_config;

/** The most -m models one job cycles through. */
#define SEG_MAX_MODELS 8

/** The overlay opacity of a multi-class model unless --opacity says otherwise
 *  (one-class models keep display/'s default, 0.5). */
#define SEG_MULTICLASS_OPACITY 0.65f

/** Defaults for every field: model models/selfie_segmentation.tflite, auto
 *  mode, auto workers and threads, one decoder thread, auto encoder threads, the
 *  model's own normalisation and classes. */
seg_config seg_config_default(void);

/** Non-zero when cfg->output is a virtual camera (a V4L2 video output such
 *  as a v4l2loopback device: a /dev/video* path, a video4linux device, or
 *  -f v4l2): frames are written to it as raw YUYV, paced like a window. */
int seg_output_is_vcam(const seg_config *cfg);

/** Workers and threads per worker that @p cfg's zeros stand for on a machine
 *  with @p cores cores: 2 workers (1 on one core), and (cores - 2) / workers
 *  threads each, at least 1 (the choice measured in BENCHMARKS.md). */
void seg_config_resolve_threads(const seg_config *cfg, int cores, int *workers, int *threads);

/** Percentiles of one timed quantity, in milliseconds (0 when n == 0). */
typedef struct seg_pctl {
    int64_t n;                       /**< samples */
    double p50, p95, p99, mean, max; /**< ms; percentiles within ~2% */
} seg_pctl;

/** Occupancy of one kind of ring, sampled by its producer after every push. */
typedef struct seg_ring_stat {
    int capacity;  /**< slots per ring */
    int count;     /**< rings of this kind (one per worker) */
    double mean;   /**< average items after a push */
    int max;       /**< most items seen */
} seg_ring_stat;

typedef struct seg_stats {
    int64_t frames;           /**< video frames composited and written */
    int64_t decoded;          /**< video frames decoded */
    int64_t dropped;          /**< live mode: frames decoded but not written */
    int64_t dropped_decoder;  /**< ... because the frames ring was full */
    int64_t dropped_infer;    /**< ... skipped by a worker for a newer frame */
    int64_t dropped_render;   /**< ... skipped by the renderer for a newer result */
    int64_t index_gaps;       /**< written frames whose decode index is not the
                                   previous + 1 (0 in exact mode) */
    int64_t audio_packets;    /**< audio packets passed through */
    int64_t audio_dropped;    /**< live mode: audio packets dropped on a full ring */
    int64_t decode_warnings;  /**< corrupt packets skipped */
    double seconds;           /**< wall time from the first read to the end */
    seg_pctl stage[SEG_STAGE_COUNT]; /**< per-frame time of each step */
    seg_pctl latency;         /**< decoded -> composited, per written frame */
    seg_pctl latency_window;  /**< decoded -> on the window (present returned) */
    seg_pctl latency_vcam;    /**< decoded -> written to the virtual camera */
    double cpu_seconds;       /**< user + system CPU time of the process */
    seg_ring_stat frames_ring;  /**< decoder -> workers */
    seg_ring_stat results_ring; /**< workers -> renderer */
    seg_ring_stat encode_ring;  /**< renderer -> encoder */
    int live;                 /**< the mode the job ran in */
    int workers, threads;     /**< what the job ran with */
    int decoder_threads, encoder_threads;
    int in_w, in_h;           /**< frame size */
    const char *frame_format; /**< what frames travel as: "yuv420p" or "rgb24" */
    int model_w, model_h;     /**< model input size */
    int find_people;          /**< people were searched for (--find pose, or auto
                                   that chose it) */
    char norm[96];            /**< where the model's input normalisation came from */
    int norm_guessed;         /**< ... nowhere: 0..1 assumed (worth a warning) */
    seg_where where;          /**< where a failure came from */
    int out_w, out_h;         /**< size of what is written/shown (side-by-side: 3x wide) */
    int classes_seen;         /**< multi-class models: classes present so far (legend) */
    int has_eval;             /**< --eval ran: eval holds its scores */
    disp_score_result eval;   /**< the masks against cfg->eval_gt */
} seg_stats;

/** Ask a running job to stop: the decoder ends the stream, in-flight frames
 *  are discarded and the output is finalised; seg_run() then returns
 *  SEG_ERR_INTERRUPTED. Async-signal-safe and thread-safe: call it from a
 *  signal handler. The request stays pending (a job started later stops at
 *  once) until seg_stop_clear(). */
void seg_request_stop(void);
/** Forget a pending stop request (before starting a new job). */
void seg_stop_clear(void);

/** Ask a running job to reread its --config file now (SIGHUP). Async-signal-
 *  safe; a job without a config file ignores it. */
void seg_request_reload(void);

/**
 * Run the whole job; returns when it is finished and every thread joined.
 * Messages go to err; a progress line to stderr unless cfg->quiet.
 * @return SEG_OK, SEG_ERR_INTERRUPTED when stopped by seg_request_stop() (the
 *         output is still complete), or the first error (stats->where says
 *         whose: input, model, output, other).
 */
int seg_run(const seg_config *cfg, seg_stats *stats, char *err, size_t errlen);

/** The benchmark report (--bench): fps, drops, per-stage p50/p95/p99, latency,
 *  ring depths, CPU, threads, model, resolution; human-readable. */
void seg_report_text(FILE *f, const seg_config *cfg, const seg_stats *st);
/** The same as one JSON object on one line (--json). */
void seg_report_json(FILE *f, const seg_config *cfg, const seg_stats *st);

#endif
