/* seg.h - the segstream job: input -> model -> composite -> output.
 *
 * pipeline/ is the only module that sees all the others: it drives io/
 * (decode, scale, encode), nn/ (inference) and display/ (compositing). */
#ifndef SEG_SEG_H
#define SEG_SEG_H

#include <signal.h>
#include <stdint.h>

#include "disp.h"
#include "seg_status.h"

/** Where a failure came from; main() turns it into the exit code. */
typedef enum seg_where {
    SEG_WHERE_NONE = 0,
    SEG_WHERE_INPUT,  /**< the input could not be opened or decoded */
    SEG_WHERE_MODEL,  /**< the model could not be loaded or does not fit */
    SEG_WHERE_OUTPUT, /**< the output could not be created or written */
    SEG_WHERE_OTHER,
} seg_where;

typedef struct seg_config {
    const char *input;        /**< file, URL, device or lavfi:GRAPH */
    const char *input_format; /**< forced input format (-i format), NULL = probe */
    const char *output;       /**< output file or URL; NULL = no output */
    const char *format;       /**< output container (-f), NULL = by extension */
    const char *codec;        /**< output video encoder, NULL = libx264 or default */
    const char *model;        /**< .tflite path */
    int overwrite;            /**< -y */
    int threads;              /**< inference threads (0 = all cores) */
    int quiet;                /**< no progress line */
    int64_t max_frames;       /**< stop after this many frames (0 = all) */
    float in_lo, in_hi;       /**< model input range: byte x -> lo + x/255*(hi-lo) */
    disp_options disp;
} seg_config;

/** Defaults for every field (model models/selfie_segmentation.tflite, 1 thread... ). */
seg_config seg_config_default(void);

typedef struct seg_stats {
    int64_t frames;         /**< video frames written */
    int64_t audio_packets;  /**< audio packets passed through */
    int64_t decode_warnings;/**< corrupt packets skipped */
    double seconds;         /**< wall time of the job */
    double infer_ms;        /**< total inference time */
    double decode_ms, convert_ms, composite_ms, encode_ms;
    int in_w, in_h;         /**< frame size */
    int model_w, model_h;   /**< model input size */
    seg_where where;        /**< where a failure came from */
} seg_stats;

/** Set by the signal handler; the job stops at the next frame and still
 *  finalises its output. */
extern volatile sig_atomic_t seg_stop_requested;

/**
 * Run the whole job. Messages go to err; progress to stderr unless quiet.
 * @return SEG_OK, SEG_ERR_INTERRUPTED when stopped by a signal (the output is
 *         still complete), or the first error.
 */
int seg_run(const seg_config *cfg, seg_stats *stats, char *err, size_t errlen);

/**
 * --run-model: read one raw little-endian float32 NHWC tensor from in_path
 * (exactly the model input's size), run the model once, write the raw output.
 */
int seg_run_model_file(const char *model, const char *in_path, const char *out_path,
                       int threads, int overwrite, seg_where *where, char *err, size_t errlen);

#endif
