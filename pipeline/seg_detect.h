/* seg_detect.h - finding people before segmenting them: MediaPipe's pose
 * detector (BlazePose's 224x224 SSD, pose_detection.tflite), its anchors,
 * its box decoding and weighted non-maximum suppression, and the square
 * region of interest each person gets; sampling a frame into a model's
 * input over any rectangle, and pasting a region's mask back.
 *
 * Facts (anchor options, decoding, NMS, keypoints, ROI) are those of
 * MediaPipe's pose_detection_cpu.pbtxt and pose_detection_to_roi.pbtxt, as
 * collected in the team's notes; the code is our own.
 *
 * Example: a 1280x720 frame is letterboxed into 224x224 (scale 0.175, bars
 * of 49 rows at -1.0), the model gives 2254 boxes of 12 numbers and 2254
 * score logits; those scoring >= 0.5 are merged by weighted NMS (IoU > 0.3)
 * into people, each mapped back to frame pixels; a person's region is the
 * square of side 2.5 * |full-body point - hip centre| around the hip centre.
 * Private to pipeline/. */
#ifndef SEG_DETECT_H
#define SEG_DETECT_H

#include "nn.h"
#include "seg_image.h"

/** Anchors of the 224x224 pose detector (28x28x2 + 14x14x2 + 7x7x6). */
#define SEG_POSE_ANCHORS 2254
/** Anchors of the 128x128 short-range face detector (16x16x2 + 8x8x6). */
#define SEG_FACE_ANCHORS 896
/** Anchors of the 300x300 Open Images person detector (19x19x3 +
 *  (10x10 + 5x5 + 3x3 + 2x2 + 1x1)x6). */
#define SEG_OID_ANCHORS 1917
/** Its classes (a sigmoid score each) and the one that is "Person". */
#define SEG_OID_CLASSES 24
#define SEG_OID_PERSON 4
/** The most anchors a detector here has. */
#define SEG_MAX_ANCHORS SEG_POSE_ANCHORS

/** How a detector's boxes are coded. */
typedef enum seg_ssd_kind {
    /** MediaPipe's BlazeFace/BlazePose: anchors of size 1, box centre and
     *  size in input pixels, keypoints, one score logit per anchor, input
     *  letterboxed. */
    SEG_SSD_BLAZE,
    /** The TensorFlow object detection API's SSD (MediaPipe's Objectron
     *  detector): anchors of 6 layers with scales and aspect ratios, box
     *  (y, x, h, w) scaled by 10, 10, 5, 5 with exponential sizes, a score
     *  logit per class, input stretched to the square. */
    SEG_SSD_TFOD
} seg_ssd_kind;

/** An SSD detector: its input, anchors and outputs. */
typedef struct seg_ssd_spec {
    const char *name;        /**< for messages */
    seg_ssd_kind kind;
    int size;                /**< square input, pixels */
    int n_anchors;
    int coords;              /**< numbers per box: 4 + 2 per keypoint */
    int classes;             /**< score logits per anchor */
    int strides[8];          /**< SSD layers' strides (BLAZE: equal ones share a grid) */
    int layers;
    float min_score;         /**< a person (or face) from this score */
    float tile_new_score;    /**< a square's search starts following a person
                                  only from this score (look-alikes score
                                  higher zoomed in: seg_worker.c) */
} seg_ssd_spec;

/** MediaPipe's pose detector (pose_detection.tflite). */
extern const seg_ssd_spec SEG_SSD_POSE;
/** MediaPipe's short-range face detector (face_detection_short_range.tflite). */
extern const seg_ssd_spec SEG_SSD_FACE;
/** MediaPipe Objectron's SSD MobileNetV2 on 24 Open Images classes, its
 *  "Person" class (person_detection_oidv4.tflite). */
extern const seg_ssd_spec SEG_SSD_OID;
/** Most people a frame is searched for. */
#define SEG_MAX_PEOPLE 16

/** A person found, in frame pixels. */
typedef struct seg_person {
    float score;             /**< 0..1 */
    float x0, y0, x1, y1;    /**< the detector's box (head and shoulders) */
    float kp[4][2];          /**< hip centre, full-body point, shoulder centre,
                                  upper-body point */
    float roi_x, roi_y;      /**< the region's top-left corner (may be outside) */
    float roi_side;          /**< its side (a square) */
} seg_person;

/** The anchors of @p spec, in 0..1 of its input, in the model's order
 *  (layer, row, column, anchor). BLAZE: 2 per layer and cell (aspect 1 and
 *  the interpolated scale), size 1 (@p w and @p h may be NULL). TFOD:
 *  layer l of 6 has scale 0.2 + 0.75 l / 5 on a ceil(size / stride) grid;
 *  layer 0 has 3 anchors a cell (aspect 1 at scale 0.1, 2 and 0.5), the
 *  others 6 (aspects 1, 2, 0.5, 3, 0.3333 and aspect 1 at the geometric
 *  mean of the scale and the next, 1 after the last); width scale *
 *  sqrt(aspect), height scale / sqrt(aspect). Returns their number
 *  (spec->n_anchors). */
int seg_ssd_anchors(const seg_ssd_spec *spec, float *cx, float *cy, float *w, float *h);

/**
 * Decode the detector's outputs into people in the letterboxed input's
 * 0..1 coordinates: score = sigmoid(logit clipped to +-100) >= @p min_score;
 * box centre and keypoints relative to the anchor, sizes in input pixels;
 * boxes of negative size dropped. Then weighted NMS: the best remaining
 * detection and every other with IoU > @p iou are averaged by score (box
 * corners and keypoints), keeping the best score. At most @p max people,
 * best first. @return their number.
 */
int seg_ssd_decode(const seg_ssd_spec *spec, const float *boxes, const float *logits,
                   const float *ax, const float *ay, float min_score, float iou, seg_person *out,
                   int max);

/**
 * seg_ssd_decode() for a TFOD detector: the score is the sigmoid of the
 * person class's logit (spec->classes per anchor, SEG_OID_PERSON); a box is
 * centre (x, y) = (r1 / 10 * aw + ax, r0 / 10 * ah + ay), size
 * (exp(r3 / 5) * aw, exp(r2 / 5) * ah), in the stretched input's 0..1; no
 * keypoints. Same weighted NMS.
 */
int seg_tfod_decode(const seg_ssd_spec *spec, const float *boxes, const float *logits,
                    const float *ax, const float *ay, const float *aw, const float *ah,
                    float min_score, float iou, seg_person *out, int max);

/**
 * Bilinear samples of @p f (RGB24 or YUV420P; @p t: tables for its matrix
 * and range) on a w x h grid whose pixel (i, j) has its centre at frame
 * position (x0 + (i + 0.5) * sx, y0 + (j + 0.5) * sy), normalised through
 * @p lut into @p dst (w * h * 3 floats, NHWC). Outside the frame: the
 * nearest edge pixel (@p outside < 0) or the byte value @p outside.
 */
void seg_sample_rgb(const seg_image *f, const seg_yuv_tables *t, float x0, float y0, float sx,
                    float sy, int w, int h, int outside, float lut[3][256], float *dst);

/** A detector: the model, its anchors, its input normalisation. */
typedef struct seg_detector {
    const seg_ssd_spec *spec;
    nn_model *nn;
    int owns_nn;
    int boxes_out;           /**< which output holds the boxes (the other: scores) */
    float ax[SEG_MAX_ANCHORS], ay[SEG_MAX_ANCHORS];
    float aw[SEG_MAX_ANCHORS], ah[SEG_MAX_ANCHORS]; /**< TFOD anchors' sizes */
    float lut[3][256];       /**< byte -> [-1, 1] */
    seg_yuv_tables yuv;      /**< for frame_key's matrix and range */
    int yuv_key;
} seg_detector;

/** Check that @p m is the detector @p spec describes (its input size, its
 *  box and score outputs). SEG_ERR_UNSUPPORTED with a message naming what
 *  differs. */
int seg_detector_check(const seg_ssd_spec *spec, const nn_model *m, char *err, size_t errlen);

/** Set up @p d to run @p m, checked against @p spec (borrowed unless
 *  @p owns). */
void seg_detector_init(seg_detector *d, const seg_ssd_spec *spec, nn_model *m, int owns);
void seg_detector_close(seg_detector *d);

/**
 * Find the people (or faces) in @p f (BLAZE: letterboxed as MediaPipe does,
 * aspect kept, centred, bars at -1; TFOD: stretched to the input, as
 * MediaPipe's Objectron does), best first, in frame pixels; people get
 * their regions (pose: from the keypoints; TFOD: the square of 1.25 times
 * the box's longer side around its centre).
 * @return their number (0..max), or a negative status (inference failed or
 *         was interrupted).
 */
int seg_detector_run(seg_detector *d, const seg_image *f, seg_person *out, int max);

/** seg_detector_run() on the square tile @p tx, @p ty, @p side of @p f (a
 *  view, no copy; clipped to the frame; its corner rounded down to even
 *  pixels), the people moved to frame coordinates. */
int seg_detector_run_tile(seg_detector *d, const seg_image *f, int tx, int ty, int side,
                          seg_person *out, int max);

#endif
