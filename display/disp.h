/* disp.h - turning a frame and a model mask into what the user sees.
 *
 * The compositor takes a frame, RGB24 or YUV420P, and the model's foreground
 * probability map (float, any size, values in [0,1]) and draws the chosen
 * mode. A YUV420P frame (what decoders give and encoders take) is drawn in
 * Y'CbCr directly, at half the bytes per pixel and with no conversion, for
 * every mode that keeps the frame's size and format (disp_mode_takes_yuv());
 * see disp_render() for what changes.
 *
 * Mask refinement, in this order, every frame:
 *   1. temporal smoothing at the model's resolution: the new probability p is
 *      blended with the previous refined one only where the model is unsure,
 *      p' = p + (prev - p) * smooth * u(p), u(p) = (1 - (2p-1)^2)^2, so a
 *      confident change (motion) is followed at once and noise at 0.5 is
 *      damped (no ghosting);
 *   2. upsampling to the frame size: either bilinear (half-pixel centres, the
 *      convention of the model's own RESIZE_BILINEAR; `edge` off), or
 *      edge-aware: a fast guided filter (He, Sun, Tang, "Guided Image
 *      Filtering", and He & Sun, "Fast Guided Filter", 2015) on a grid 1/s of
 *      the frame (s = min(w, h) / 256 rounded, 1..8), guided by the luma
 *      (of an RGB frame its BT.601 luma; of a YUV frame its Y plane as it
 *      is, scaled by its range, 219 or 255 levels from black to white, so
 *      both guides are on the same scale and give nearly the same alpha),
 *      whose linear coefficients are upsampled and applied at full
 *      resolution, so the edge follows the picture (hair, shoulders) rather
 *      than the model's grid; its output within 1% of 0 or 255 is snapped
 *      there (the filter's ripple on flat ground);
 *   3. `threshold` (hard cut at a probability; applied to the probability that
 *      enters step 2, so with `edge` on the guided filter re-softens the cut
 *      along the picture's edges);
 *   4. `feather`: a soft edge about that many pixels wide, outward by default
 *      (the foreground keeps full alpha; the ramp lies outside it).
 * The result is an 8-bit, frame-sized alpha (disp_compositor_alpha()).
 *
 * Blur mode blurs by normalised convolution, bg = blur(in * w) / blur(w) with
 * the background weight w = 256 * max(0, 255 - 2a) + 1: pixels that are more
 * than half foreground weigh 1/65281 of a background pixel, so the person's
 * colours do not bleed into the blurred background (no halo), while deep
 * inside the person, with no background near, bg is the person's own blur
 * instead of 0/0. The blur (three box passes, about a Gaussian of standard
 * deviation `blur`) runs on a grid about blur/4 pixels coarse (for a YUV
 * frame an even factor, so chroma is upsampled from it by an integer) and
 * is upsampled bilinearly.
 *
 * All buffers are allocated when a size (frame, mask, background) or an
 * option that sizes them first needs them; compositing frames of unchanged
 * sizes allocates nothing. A compositor is used by one thread at a time; with
 * OpenMP it runs its row loops on `threads` threads (results are identical
 * for any thread count).
 */
#ifndef DISP_DISP_H
#define DISP_DISP_H

#include <stddef.h>
#include <stdint.h>

#include "seg_image.h"
#include "seg_status.h"

/* ==== modes and options ================================================= */

typedef enum disp_mode {
    DISP_MODE_OVERLAY = 0,  /**< tint the foreground (one colour, or a palette by class) */
    DISP_MODE_MASK,         /**< the alpha as grey (white = foreground) */
    DISP_MODE_BLUR,         /**< background blurred, foreground sharp */
    DISP_MODE_REPLACE,      /**< background replaced by a picture */
    DISP_MODE_MATTE,        /**< foreground over a solid key colour (green screen) */
    DISP_MODE_ALPHA,        /**< RGBA: the frame with the alpha as its alpha channel */
    DISP_MODE_SIDE_BY_SIDE, /**< input | mask | composite, three times as wide */
    DISP_MODE_COUNT
} disp_mode;

/** Where the feather ramp lies relative to the mask's edge. */
typedef enum disp_feather_dir {
    DISP_FEATHER_OUT = 0, /**< outside: the foreground keeps full alpha (default) */
    DISP_FEATHER_CENTER,  /**< centred on the edge */
    DISP_FEATHER_IN,      /**< inside: nothing outside the edge gets alpha */
    DISP_FEATHER_COUNT
} disp_feather_dir;

/** "overlay", "mask", "blur", "replace", "matte", "alpha", "side-by-side";
 *  NULL for an unknown mode. */
const char *disp_mode_name(disp_mode m);
/** Parse a mode name (also "sbs" for side-by-side); -1 when unknown. */
int disp_mode_parse(const char *name);
/** The mode after @p m for a "cycle the mode" key: every mode in order,
 *  skipping replace when @p have_background is zero. */
disp_mode disp_mode_next(disp_mode m, int have_background);

typedef struct disp_options {
    disp_mode mode;
    uint8_t color[3];       /**< overlay tint, RGB (without a label map) */
    float opacity;          /**< overlay strength at alpha 255, in [0,1] */
    uint8_t matte_color[3]; /**< matte mode's background, RGB */
    float threshold;        /**< 0 = off; in (0,1): foreground where p >= threshold */
    int solid_set;          /**< solid was given (not the default): matting models,
                                 whose alpha is used as it is, keep it then */
    float solid;            /**< in (0,1]: probabilities >= solid are opaque, those
                                 below ramp as p / solid, before the upsampling
                                 (so interiors the model is fairly sure of do
                                 not show the background through); 1 = off */
    int feather;            /**< soft edge width in frame pixels, 0..DISP_MAX_FEATHER; 0 = off */
    disp_feather_dir feather_dir; /**< where the feather ramp lies */
    float smooth;           /**< temporal smoothing strength in [0,1]; 0 = off */
    int edge;               /**< non-zero: guided (edge-aware) upsampling; 0: bilinear */
    int blur;               /**< blur mode's radius in frame pixels (about one
                                 standard deviation); 0 = auto, frame height / 40 */
    disp_mode side_mode;    /**< the third panel of side-by-side: an RGB24
                                 same-size mode (not alpha or side-by-side) */
    int threads;            /**< compositing threads; 1 (default) = the caller's
                                 thread only, 0 = all cores. More than one pays
                                 only when cores are idle: next to inference
                                 that uses every core, extra threads wait for
                                 a core at each of the ~20 joins per frame. */
} disp_options;

/** Largest feather and blur radius accepted, in pixels. */
#define DISP_MAX_FEATHER 256
#define DISP_MAX_BLUR 512

/** Defaults: overlay, green (0,255,0) at opacity 0.5, matte colour (0,255,0),
 *  no threshold, no feather (outward when set), smooth 0.6, edge on, blur
 *  auto, side-by-side panel overlay, threads 1. */
disp_options disp_options_default(void);

/** SEG_OK when every field is in range, else SEG_ERR_INVALID. */
int disp_options_check(const disp_options *o);

/**
 * Parse one command-line option into @p o. @p name may carry its leading
 * dashes ("--mode" or "mode"). The options (all take a value):
 *   mode MODE, color RRGGBB, opacity F, matte-color RRGGBB, threshold F,
 *   feather PX, feather-dir out|center|in, smooth F, edge on|off,
 *   blur PX, side-mode MODE, composite-threads N.
 * @return SEG_OK; SEG_ERR_INVALID for a bad value (message in err);
 *         SEG_ERR_UNSUPPORTED when @p name is not a display option (message
 *         in err; o untouched), so a caller can try its own options first or
 *         after.
 */
int disp_parse_option(disp_options *o, const char *name, const char *value, char *err,
                      size_t errlen);

/** The names disp_parse_option() takes, without dashes, NULL-terminated
 *  (static storage): a CLI adds them to its getopt_long table, all with a
 *  required argument. */
const char *const *disp_option_names(void);

/** Help lines for those options (static, '\n'-terminated lines, two-space
 *  indented, 80 columns). */
const char *disp_options_help(void);

/** Non-zero when @p m draws YUV420P frames: overlay, mask, blur, replace and
 *  matte do (the output is YUV420P too); alpha and side-by-side do not (they
 *  need an RGB24 frame), nor does an unknown mode. */
int disp_mode_takes_yuv(disp_mode m);

/**
 * What disp_render() produces for a @p w x @p h RGB24 frame in @p mode:
 * side-by-side is 3w x h RGB24, alpha is w x h RGBA, every other mode
 * w x h RGB24. Any out-pointer may be NULL.
 * @return SEG_OK; SEG_ERR_INVALID for a bad size or mode; SEG_ERR_LIMIT when
 *         the output would exceed SEG_MAX_DIM / SEG_MAX_PIXELS.
 */
int disp_output_size(disp_mode mode, int w, int h, int *out_w, int *out_h,
                     seg_pixfmt *out_format);

/** disp_output_size() for a frame of format @p in_format: RGB24 as there;
 *  YUV420P gives w x h YUV420P in the modes that take it and
 *  SEG_ERR_INVALID in alpha and side-by-side; any other format is
 *  SEG_ERR_INVALID. */
int disp_output_size_for(disp_mode mode, seg_pixfmt in_format, int w, int h, int *out_w,
                         int *out_h, seg_pixfmt *out_format);

/** The colour of class @p label in the overlay palette (the PASCAL VOC
 *  colour map: 1 = (128,0,0), 2 = (0,128,0), 15 "person" = (192,128,128)...;
 *  0, background, is black). */
void disp_palette_color(int label, uint8_t rgb[3]);

/* ==== the class legend ================================================== */

/** Longest class name a legend shows, in characters (the rest is cut). */
#define DISP_LEGEND_MAX_CHARS 20

/** One line of a legend. */
typedef struct disp_legend_entry {
    uint8_t rgb[3];   /**< the class's colour, RGB (disp_palette_color()) */
    const char *name; /**< its name, drawn in upper case in the 5x7 font (letters,
                           digits and . : - / % = , ( ) + _ [ ]; anything else is
                           a blank); borrowed for the call */
} disp_legend_entry;

/**
 * Where disp_legend_draw() puts the legend of @p n entries on a @p w x @p h
 * frame: box = {x, y, width, height}, a dark box in the top right corner
 * with a line per entry (a colour swatch framed in white, then the name in
 * white), in font pixels of max(1, (h + 100) / 200) frame pixels (576 rows:
 * 3). Lines that do not fit in the height are left out; a frame narrower
 * than the box cuts it on the right.
 * @return the number of lines drawn (0: nothing, box all 0).
 */
int disp_legend_box(int w, int h, const disp_legend_entry *e, int n, int box[4]);

/**
 * Draw the legend of @p n entries into @p img in place (RGB24, RGBA: the box
 * made opaque, or YUV420P: colours converted with the frame's matrix and
 * range, the box's chroma grey). The box darkens what is under it to 3/8.
 * n = 0 draws nothing.
 * @return SEG_OK or SEG_ERR_INVALID (no pixels, another format).
 */
int disp_legend_draw(seg_image *img, const disp_legend_entry *e, int n);

/* ==== the compositor ==================================================== */

typedef struct disp_compositor disp_compositor;

/** Create a compositor (no pixel buffers yet).
 *  @return SEG_OK, SEG_ERR_INVALID (disp_options_check fails), SEG_ERR_NOMEM. */
int disp_compositor_create(disp_compositor **out, const disp_options *opt);
/** Free; NULL-safe, sets *c = NULL. */
void disp_compositor_free(disp_compositor **c);

/** Replace the options (e.g. a mode key in the window). Buffers are kept;
 *  the temporal history is kept too. @return SEG_OK or SEG_ERR_INVALID. */
int disp_compositor_set_options(disp_compositor *c, const disp_options *opt);
/** The options in use (valid until the next set_options or free). */
const disp_options *disp_compositor_options(const disp_compositor *c);
/** Forget the temporal history (after a seek or a new input). */
void disp_compositor_reset(disp_compositor *c);

/**
 * Set the picture replace mode uses when disp_input.background is NULL:
 * copied (any size, RGB24); scaled to cover the frame once, when the first
 * frame of a (new) size arrives, and for YUV frames converted once to their
 * matrix and range (again when those change). NULL clears it. Call again
 * for a video background, or pass each picture in disp_input.background
 * instead.
 * @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_LIMIT, SEG_ERR_NOMEM.
 */
int disp_compositor_set_background(disp_compositor *c, const seg_image *bg);

/** One frame's inputs. Everything is borrowed for the call only. */
typedef struct disp_input {
    const seg_image *frame;  /**< RGB24 or YUV420P, the decoded picture */
    const float *mask;       /**< mask_h x mask_w foreground probabilities, row-major */
    int mask_w, mask_h;
    const uint8_t *labels;   /**< optional, mask_h x mask_w class ids for overlay's
                                  palette (pipeline/ makes it from the model's
                                  class scores);
                                  NULL = one colour (options.color) */
    const seg_image *background; /**< replace mode: RGB24, any size (scaled to
                                  cover the frame, centred, cropped; for a YUV
                                  frame then converted to its matrix and
                                  range), or, for a YUV frame, YUV420P at the
                                  frame's size (used as it is, taken to be in
                                  the frame's matrix and range); NULL = the
                                  one from disp_compositor_set_background() */
} disp_input;

/**
 * Refine the mask and draw the mode into @p out.
 * @p out: when out->data is NULL it is allocated to disp_output_size() (the
 * caller frees it with seg_image_free()); otherwise it must already have that
 * size and format. @p out may be the input frame itself (in place) for every
 * mode that keeps the frame's size and format (all but alpha and
 * side-by-side). out->pts and out->index are copied from the frame.
 * Pixel values, with a = the refined alpha (0..255):
 *   overlay: t = (a*k + 127)/255 with k = round(opacity*256), out = in +
 *            (((colour - in) * t) >> 8) (colour = palette[label] with labels);
 *   mask:    (a, a, a);
 *   blur, replace, matte: out = (a*in + (255-a)*bg + 127)/255 per channel, bg
 *            the blurred background, the picture, or matte_color;
 *   alpha:   (in, a);
 *   side-by-side: [in | (a,a,a) | side_mode's composite].
 * A YUV420P frame (overlay, mask, blur, replace, matte; alpha and
 * side-by-side refuse it with SEG_ERR_INVALID) gives YUV420P of the same
 * size, matrix and range (disp_render() sets out->matrix and
 * out->full_range). The formulas above hold per plane, with the colours
 * (overlay colour and palette, matte colour, the stored background)
 * converted to the frame's Y'CbCr once (seg_rgb_to_yuv()); luma samples use
 * a, each chroma sample the rounded mean alpha of its 2x2 block (of the
 * pixels present, at an odd edge) and, with labels, the label of the
 * block's top-left pixel. Mask mode is Y = a mapped into the range (limited:
 * 16 + (219 a + 127) / 255, full: a), Cb = Cr = 128. Blur's normalised
 * convolution runs on Y, Cb and Cr alike (each pixel with its block's
 * chroma sample).
 * @return SEG_OK; SEG_ERR_INVALID (bad format or sizes, replace without a
 *         background, side_mode not usable, a YUV frame in alpha or
 *         side-by-side); SEG_ERR_LIMIT; SEG_ERR_NOMEM.
 */
int disp_render(disp_compositor *c, const disp_input *in, seg_image *out);

/**
 * Make @p out what disp_render() needs for a @p w x @p h frame in the current
 * mode: (re)allocated with seg_image_alloc() when its size or format differ
 * (free it with seg_image_free()), untouched otherwise. For a renderer that
 * lets the user change the mode (side-by-side and alpha change the output):
 * call it before each disp_render(); it allocates only on a change.
 * @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_LIMIT, SEG_ERR_NOMEM.
 */
int disp_output_prepare(const disp_compositor *c, int w, int h, seg_image *out);

/** disp_output_prepare() for frames of format @p in_format (see
 *  disp_output_size_for()). A YUV420P output is allocated BT.601 limited
 *  range; disp_render() gives it the frame's matrix and range. */
int disp_output_prepare_for(const disp_compositor *c, int w, int h, seg_pixfmt in_format,
                            seg_image *out);

/**
 * Composite in place: disp_render() with out = frame, no labels, the stored
 * background. For the modes that keep the frame's format and size.
 * @param frame  RGB24 or YUV420P picture, modified in place
 * @param mask   mh x mw foreground probabilities (row-major, 1 channel)
 * @return SEG_OK, SEG_ERR_NOMEM when a new frame size needs buffers,
 *         SEG_ERR_INVALID for a wrong format or size, or for alpha and
 *         side-by-side (use disp_render()).
 */
int disp_composite(disp_compositor *c, seg_image *frame, const float *mask, int mw, int mh);

/** The last refined alpha: frame-sized, 0..255, stride = width (for dumps
 *  and tests). Valid until the next render or free; NULL before the first. */
const uint8_t *disp_compositor_alpha(const disp_compositor *c, int *width, int *height);

/** The last refined alpha as a borrowed GRAY8 image (pts and index of the
 *  last frame), e.g. for io_dump_write(). @return SEG_OK or SEG_ERR_INVALID
 *  before the first frame. */
int disp_compositor_mask_image(const disp_compositor *c, seg_image *view);

/* ==== building blocks (also used by the tests) ========================== */

/** Bilinear upsampling of a probability map to an 8-bit alpha map
 *  (round(255 * p), clamped), half-pixel centres, edges clamped. The plain
 *  reference; the compositor's own upsampler gives the same bytes. */
void disp_upsample_mask(const float *mask, int mw, int mh, uint8_t *alpha, int dw, int dh,
                        int alpha_stride);


/**
 * Scale @p src to cover @p dst (RGB24, preallocated at the wanted size):
 * aspect ratio kept, centred, the excess cropped; bilinear. Use it once for a
 * still background.
 * @return SEG_OK or SEG_ERR_INVALID.
 */
int disp_background_cover(const seg_image *src, seg_image *dst);

/** The part of a src_w x src_h picture that disp_background_cover() shows in
 *  a dst_w x dst_h frame (x, y, w, h in source pixels), for callers that
 *  scale with another scaler (crop, then resize). */
void disp_cover_rect(int src_w, int src_h, int dst_w, int dst_h, int *x, int *y, int *w,
                     int *h);

#endif
