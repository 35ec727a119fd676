/* seg_fit.h - --fit: how a frame of any size meets the model's input, and
 * how the model's output becomes a mask over the frame again. Pure
 * geometry: no state, no threads. Private to pipeline/. */
#ifndef SEG_FIT_H
#define SEG_FIT_H

#include <stdint.h>

#include "nn.h"
#include "seg.h"

/** How a W x H frame meets the model: the scaler maps src (a rectangle of the
 *  frame) onto dst (a rectangle of the model input); the slot mask is
 *  mask_w x mask_h. Letterbox: the mask is the part of the model output at
 *  (mx, my) that the picture covers. Crop: the model output sits at (mx, my)
 *  in a mask that covers the whole frame (the rest is background).
 *
 *  Example: a 1280x720 frame, a 256x256 model with a 256x256 output.
 *    stretch:   src 0,0 1280x720 -> dst 0,0 256x256; mask 256x256
 *    letterbox: src 0,0 1280x720 -> dst 0,56 256x144; mask 256x144 from (0,56)
 *    crop:      src 280,0 720x720 -> dst 0,0 256x256; mask 455x256, the
 *               output at (100,0) */
typedef struct seg_fit_geom {
    seg_fit fit;
    int frame_w, frame_h;
    int src_x, src_y, src_w, src_h;
    int dst_x, dst_y, dst_w, dst_h;
    int mask_w, mask_h;
    int mx, my;
} seg_fit_geom;

/** The geometry of @p fit for a @p frame_w x @p frame_h frame, a model
 *  input @p in and output @p out. */
void seg_fit_geometry(seg_fit fit, int frame_w, int frame_h, nn_shape in, nn_shape out,
                      seg_fit_geom *g);

/**
 * The model output's mask @p m (and labels @p l, or NULL), ow x oh, into
 * @p mask (and @p labels), g->mask_w x g->mask_h, as the geometry says:
 * letterbox bars cut away, or a crop widened to the frame with background
 * (0, label 0) around it. Not for stretch (the output is the mask).
 */
void seg_fit_place_mask(const seg_fit_geom *g, int ow, int oh, const float *m, const uint8_t *l,
                        float *mask, uint8_t *labels);

/** --find pose: the mask grid of a @p fw x @p fh frame whose people are
 *  segmented region by region: the frame at most SEG_REGION_GRID pixels on
 *  its long side (1280x720 -> 640x360); the compositor upsamples it. */
#define SEG_REGION_GRID 640
void seg_region_grid(int fw, int fh, int *gw, int *gh);

#endif
