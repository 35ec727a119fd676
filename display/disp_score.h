/* disp_score.h - scoring a run's masks against ground truth, frame by frame.
 *
 * The metrics core of `segstream --eval`: feed it, frame after frame, the
 * predicted alpha (what the compositor produces, disp_compositor_mask_image())
 * and the ground truth (GT) of the same frame, both GRAY8 images of one size;
 * read the accumulated result at any time and print it as text or JSON.
 *
 * Ground truth. Each GT byte is one of foreground, background or ignored,
 * through a 256-entry table built at creation:
 *   - binary masks (grey 0/255 pictures): foreground where the byte >= 128;
 *   - class ids (e.g. PASCAL VOC label pictures): foreground where
 *     fg_classes[byte] is non-zero;
 *   - in both, an optional `ignore` byte (e.g. VOC's 255 "void") marks pixels
 *     that no metric counts (see each metric for the details).
 * The prediction is foreground where alpha >= 128 (DISP_SCORE_FG_ALPHA).
 *
 * Frames. A frame whose GT has at least one foreground pixel is a "people"
 * frame: it feeds IoU, boundary F and see-through. A frame whose GT has no
 * foreground is an "empty" frame: it feeds only the false-positive share
 * (so an empty frame cannot inflate the IoU with a vacuous 1, nor sink it
 * with a 0 for one stray pixel). A frame whose every pixel is ignored is a
 * "void" frame and feeds nothing but the flicker history and the counts.
 * Every frame (after the first of a sequence) feeds flicker.
 *
 * Metrics (a frame-sized w x h, N = its pixels that are not ignored):
 *   - IoU = |GT fg & pred fg| / |GT fg | pred fg| over non-ignored pixels, per
 *     people frame; mean, and the 10th percentile and median by nearest rank
 *     (the value at rank ceil(p/100 * n) of the n sorted values, rank >= 1) of
 *     the per-frame IoUs kept at 1/DISP_SCORE_IOU_BINS resolution (each
 *     rounded to the nearest bin; the mean is exact);
 *   - boundary F, as in the DAVIS benchmark (Perazzi et al., 2016): the
 *     boundary of a mask is its foreground pixels with a background
 *     4-neighbour inside the frame (the frame's edge is no boundary; for the
 *     GT, ignored pixels are background there); a boundary pixel is matched
 *     when the other mask's boundary has a pixel within Euclidean distance
 *     `tolerance` (a disk, as DAVIS's dilation); precision = matched / all
 *     predicted boundary pixels (those on ignored GT pixels left out of both),
 *     recall = matched / all GT boundary pixels, F = 2PR / (P + R) (0 when
 *     P + R = 0). No predicted boundary: P = 1; no GT boundary (the GT covers
 *     the frame): R = 1; neither: F = 1. Mean over people frames, as are the
 *     reported precision and recall;
 *   - false-positive share = predicted fg pixels / N per empty frame (ignored
 *     pixels in neither); mean and max over empty frames;
 *   - see-through share: the GT interior is the GT foreground pixels farther
 *     than `margin` (Euclidean) from every background or ignored pixel (the
 *     frame's edge erodes nothing: a body cut by the frame goes on beyond
 *     it); share = interior pixels with alpha < DISP_SCORE_SOLID_ALPHA (230,
 *     0.9 * 255) / interior pixels, pixel-weighted over all frames;
 *   - flicker = mean |alpha_t - alpha_t-1| / 255 over the pixels whose GT
 *     class (fg or bg) is the same in both frames and ignored in neither,
 *     pixel-weighted over all pairs of successive frames. The first frame
 *     of a sequence (after creation, disp_score_new_sequence(), or a size
 *     change) has no predecessor and contributes nothing.
 * A metric with nothing to average over (no people frames, no empty frames,
 * no interior, no frame pairs) is NAN in the result and the frame record,
 * null in JSON and "n/a" in text.
 *
 * Defaults: tolerance = max(1, round(0.008 * sqrt(w^2 + h^2))) (DAVIS's
 * 0.008 of the diagonal; 12 px at 1280x720), margin = max(2, round(0.01 *
 * h)) (7 px at 720 lines); both capped at DISP_SCORE_MAX_RADIUS.
 *
 * Cost: O(w*h) per frame whatever the radii (distance transforms: a vertical
 * distance sweep, then Felzenszwalb & Huttenlocher's lower envelope of
 * parabolas per row). Buffers (about 6 bytes per pixel) are allocated when
 * a frame size first appears; frames of an unchanged size allocate nothing.
 * A scorer is used by one thread at a time.
 */
#ifndef DISP_DISP_SCORE_H
#define DISP_DISP_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "seg_image.h"
#include "seg_status.h"

/** Alpha at or above this is predicted foreground (a 0.5 probability). */
#define DISP_SCORE_FG_ALPHA 128
/** Interior alpha below this is "see-through" (0.9 * 255, rounded up). */
#define DISP_SCORE_SOLID_ALPHA 230
/** Largest tolerance and margin accepted, in pixels. */
#define DISP_SCORE_MAX_RADIUS 254
/** Resolution of the kept per-frame IoUs (for the percentiles). */
#define DISP_SCORE_IOU_BINS 10000

/** How GT bytes are read. */
typedef enum disp_score_gt {
    DISP_SCORE_GT_BINARY = 0, /**< foreground where the byte >= 128 */
    DISP_SCORE_GT_CLASSES,    /**< class ids: foreground where fg_classes[id] != 0 */
    DISP_SCORE_GT_COUNT
} disp_score_gt;

/** "binary", "classes"; NULL for an unknown value. */
const char *disp_score_gt_name(disp_score_gt g);

typedef struct disp_score_options {
    disp_score_gt gt;          /**< how GT bytes are read */
    uint8_t fg_classes[256];   /**< DISP_SCORE_GT_CLASSES: non-zero entries are
                                    foreground ids (unused for binary) */
    int ignore;                /**< -1: none; 0..255: GT pixels with this byte are
                                    ignored (takes precedence over both readings) */
    int tolerance;             /**< boundary match distance in px, 0..DISP_SCORE_MAX_RADIUS;
                                    -1: the default for the frame's size */
    int margin;                /**< see-through erosion in px, 0..DISP_SCORE_MAX_RADIUS;
                                    -1: the default for the frame's size */
} disp_score_options;

/** Binary GT, no ignore value, fg_classes all zero, tolerance and margin -1
 *  (size-dependent defaults). */
disp_score_options disp_score_options_default(void);

/** SEG_OK when every field is in range, else SEG_ERR_INVALID. */
int disp_score_options_check(const disp_score_options *o);

/** The default tolerance and margin for a w x h frame (see the top). */
int disp_score_default_tolerance(int w, int h);
int disp_score_default_margin(int w, int h);

/** One frame's scores, as disp_score_add() reports them. */
typedef struct disp_score_frame {
    int people;          /**< 1: GT has foreground; 0: empty; -1: void (all ignored) */
    int64_t gt_pixels;   /**< GT foreground pixels */
    int64_t pred_pixels; /**< predicted foreground pixels, ignored ones left out */
    int64_t valid_pixels;/**< pixels not ignored (N) */
    double iou;          /**< people frames; else NAN */
    double boundary_f;   /**< people frames; else NAN */
    double precision;    /**< boundary precision; people frames; else NAN */
    double recall;       /**< boundary recall; people frames; else NAN */
    double fp_share;     /**< empty frames; else NAN */
    int64_t interior_pixels; /**< GT interior pixels (see-through's denominator) */
    int64_t see_through_pixels; /**< of those, alpha < DISP_SCORE_SOLID_ALPHA */
    double flicker;      /**< mean |change| 0..1 against the previous frame; NAN
                              for a sequence's first frame or no stable pixel */
    int tolerance;       /**< the tolerance used, px */
    int margin;          /**< the margin used, px */
} disp_score_frame;

/** The accumulated scores (disp_score_result_get()). */
typedef struct disp_score_result {
    int64_t frames;          /**< frames added */
    int64_t frames_people;   /**< frames whose GT has foreground */
    int64_t frames_empty;    /**< frames whose GT has none (and some pixel not ignored) */
    int64_t frames_void;     /**< frames with every pixel ignored */
    double iou_mean;         /**< mean IoU over people frames */
    double iou_p10;          /**< nearest-rank 10th percentile of the per-frame IoUs */
    double iou_p50;          /**< nearest-rank median */
    double boundary_f;       /**< mean boundary F over people frames */
    double boundary_precision; /**< mean boundary precision over people frames */
    double boundary_recall;  /**< mean boundary recall over people frames */
    double fp_mean;          /**< mean false-positive share over empty frames */
    double fp_max;           /**< largest false-positive share of an empty frame */
    double see_through;      /**< see-through interior pixels / interior pixels */
    int64_t interior_pixels; /**< GT interior pixels over all frames */
    double flicker;          /**< mean |alpha change| (0..1) over stable pixels */
    int64_t flicker_pixels;  /**< stable pixels counted over all frame pairs */
    int tolerance;           /**< tolerance of the last frame, px (0 before any) */
    int margin;              /**< margin of the last frame, px (0 before any) */
} disp_score_result;

typedef struct disp_score disp_score;

/** Create a scorer with @p opt (copied; NULL = disp_score_options_default()).
 *  No pixel buffers yet. @return SEG_OK, SEG_ERR_INVALID (NULL @p out or
 *  options out of range), SEG_ERR_NOMEM. */
int disp_score_create(disp_score **out, const disp_score_options *opt);

/** Free; NULL-safe, sets *s = NULL. */
void disp_score_free(disp_score **s);

/**
 * Score one frame and add it to the totals.
 * @param alpha  the predicted alpha, GRAY8, 0..255 (borrowed for the call)
 * @param gt     the ground truth, GRAY8, same size (borrowed for the call)
 * @param frame  optional (may be NULL): this frame's scores
 * A frame of another size than the last starts a new sequence (flicker) and
 * reallocates the buffers.
 * @return SEG_OK; SEG_ERR_INVALID (NULL, not GRAY8, sizes differ, a zero or
 *         negative size, a stride below the width, no pixels); SEG_ERR_LIMIT
 *         (beyond SEG_MAX_DIM / SEG_MAX_PIXELS); SEG_ERR_NOMEM. On an error
 *         nothing is added (message in disp_score_last_error()).
 */
int disp_score_add(disp_score *s, const seg_image *alpha, const seg_image *gt,
                   disp_score_frame *frame);

/** Start a new sequence: the next frame has no predecessor for flicker.
 *  The totals are kept. NULL-safe. */
void disp_score_new_sequence(disp_score *s);

/** Forget every total and the flicker history (buffers are kept). NULL-safe. */
void disp_score_reset(disp_score *s);

/** Fill @p r with the totals so far. @return SEG_OK or SEG_ERR_INVALID. */
int disp_score_result_get(const disp_score *s, disp_score_result *r);

/** The nearest-rank @p p-th percentile (0..100) of the people frames'
 *  IoUs (at 1/DISP_SCORE_IOU_BINS resolution); p = 0 gives the smallest.
 *  NAN when there are no people frames or p is out of range. */
double disp_score_iou_percentile(const disp_score *s, double p);

/** The last error's message ("" when none); valid until the next call. */
const char *disp_score_last_error(const disp_score *s);

/**
 * The result as a few human-readable lines, '\n'-terminated, like
 *   frames           120 (people 100, empty 18, void 2)
 *   IoU              mean 0.9123  p10 0.8011  median 0.9300
 *   boundary F       0.8012 (precision 0.8200, recall 0.7900; tolerance 12 px)
 *   false positives  mean 0.0012  max 0.0100 (share of the frame)
 *   see-through      0.0231 (of 1234567 interior px; margin 7 px)
 *   flicker          0.0042 (mean alpha change, 0..1, over 98765432 px)
 * (an undefined value reads "n/a"). snprintf's contract: writes at most
 * @p size bytes, NUL-terminated when size > 0; @p buf may be NULL when
 * @p size is 0.
 * @return the length of the whole text (excluding the NUL), or
 *         SEG_ERR_INVALID for a NULL @p r (or NULL @p buf with size > 0).
 */
int disp_score_format_text(const disp_score_result *r, char *buf, size_t size);

/**
 * The result as one JSON object on one line (no newline), keys in this order:
 * "frames", "frames_people", "frames_empty", "frames_void" (integers),
 * "iou_mean", "iou_p10", "iou_p50", "boundary_f", "boundary_precision",
 * "boundary_recall", "fp_mean", "fp_max", "see_through" (numbers with 6
 * decimals, null when undefined), "interior_pixels" (integer), "flicker"
 * (number or null), "flicker_pixels" (integer), "tolerance_px", "margin_px"
 * (integers). The same contract as disp_score_format_text().
 */
int disp_score_format_json(const disp_score_result *r, char *buf, size_t size);

#endif
