/* disp.h - turning a frame and a model mask into what the user sees.
 *
 * The compositor takes an RGB24 frame and the model's foreground probability
 * map (float, any size, values in [0,1]), upsamples the map bilinearly to the
 * frame size (half-pixel centres, the same convention as the model's own
 * RESIZE_BILINEAR) and draws the chosen mode into the frame in place.
 * All buffers are allocated at creation or when the frame size changes;
 * compositing a frame of an unchanged size allocates nothing. */
#ifndef DISP_DISP_H
#define DISP_DISP_H

#include <stdint.h>

#include "seg_image.h"
#include "seg_status.h"

typedef enum disp_mode {
    DISP_MODE_OVERLAY = 0, /**< tint the foreground with a colour */
    DISP_MODE_MASK,        /**< the mask as grey (white = foreground) */
    DISP_MODE_COUNT
} disp_mode;

/** "overlay", "mask"; NULL for an unknown mode. */
const char *disp_mode_name(disp_mode m);
/** Parse a mode name; -1 when unknown. */
int disp_mode_parse(const char *name);

typedef struct disp_options {
    disp_mode mode;
    uint8_t color[3];  /**< overlay tint, RGB */
    float opacity;     /**< overlay strength at probability 1, in [0,1] */
} disp_options;

/** Defaults: overlay, green (0,255,0), opacity 0.5. */
disp_options disp_options_default(void);

typedef struct disp_compositor disp_compositor;

int disp_compositor_create(disp_compositor **out, const disp_options *opt);
void disp_compositor_free(disp_compositor **c);

/**
 * Composite in place.
 * @param frame  RGB24 picture, modified in place
 * @param mask   mh x mw foreground probabilities (row-major, 1 channel)
 * @return SEG_OK, SEG_ERR_NOMEM when a new frame size needs buffers,
 *         SEG_ERR_INVALID for a wrong format or size.
 */
int disp_composite(disp_compositor *c, seg_image *frame, const float *mask, int mw, int mh);

/** The last upsampled mask, frame-sized, 0..255 (for dumps and tests). */
const uint8_t *disp_compositor_alpha(const disp_compositor *c, int *width, int *height);

/** Bilinear upsampling of a probability map to an 8-bit alpha map
 *  (round(255 * p), clamped), half-pixel centres, edges clamped. The plain
 *  reference; the compositor's own upsampler gives the same bytes. */
void disp_upsample_mask(const float *mask, int mw, int mh, uint8_t *alpha, int dw, int dh,
                        int alpha_stride);

#endif
