/* seg_image.h - the plain pixel buffer that crosses module boundaries.
 *
 * io/ produces and consumes these, display/ composites them, pipeline/ moves
 * them between stages. No FFmpeg or SDL type appears here. */
#ifndef SEG_IMAGE_H
#define SEG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/** Pixel layouts we use: packed 8-bit, R first. */
typedef enum seg_pixfmt {
    SEG_PIX_RGB24 = 0, /**< 3 bytes per pixel: R, G, B */
    SEG_PIX_RGBA = 1,  /**< 4 bytes per pixel: R, G, B, A (A = 255 opaque) */
    SEG_PIX_GRAY8 = 2, /**< 1 byte per pixel */
    SEG_PIX_COUNT
} seg_pixfmt;

/** An owned or borrowed image. When it owns its pixels (seg_image_alloc),
 *  data is 64-byte aligned and stride is a multiple of 64. */
typedef struct seg_image {
    uint8_t *data;    /**< first row */
    int width;        /**< pixels */
    int height;       /**< rows */
    int stride;       /**< bytes from one row to the next */
    seg_pixfmt format;
    int64_t pts;      /**< presentation time in the source's time base */
    int64_t index;    /**< 0-based decode order of the video frame */
} seg_image;

/** Largest picture side we accept anywhere (decoder, background, window). */
#define SEG_MAX_DIM 16384
/** Largest picture area we accept (pixels); 8K UHD and a margin. */
#define SEG_MAX_PIXELS (8192LL * 8192LL)

/** Bytes per pixel of @p f (1, 3 or 4; 0 for an unknown format). */
int seg_pixfmt_bpp(seg_pixfmt f);

/** Allocate img->data for width x height in format f (64-byte aligned rows).
 *  Fails with SEG_ERR_LIMIT for sizes outside SEG_MAX_DIM/SEG_MAX_PIXELS,
 *  SEG_ERR_NOMEM when allocation fails. Free with seg_image_free(). */
int seg_image_alloc(seg_image *img, int width, int height, seg_pixfmt f);

/** Release pixels allocated by seg_image_alloc(); safe on a zeroed image. */
void seg_image_free(seg_image *img);

#endif
