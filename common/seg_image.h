/* seg_image.h - the plain pixel buffer that crosses module boundaries.
 *
 * io/ produces and consumes these, display/ composites them, pipeline/ moves
 * them between stages. No FFmpeg or SDL type appears here. */
#ifndef SEG_IMAGE_H
#define SEG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/** Pixel layouts we use: packed 8-bit with R first, or planar 4:2:0 YUV. */
typedef enum seg_pixfmt {
    SEG_PIX_RGB24 = 0, /**< 3 bytes per pixel: R, G, B */
    SEG_PIX_RGBA = 1,  /**< 4 bytes per pixel: R, G, B, A (A = 255 opaque) */
    SEG_PIX_GRAY8 = 2, /**< 1 byte per pixel */
    SEG_PIX_YUV420P = 3, /**< planar 8-bit Y'CbCr 4:2:0, what video decoders give
                              and encoders take: luma (1 byte per pixel) at
                              data/stride, the two chroma planes of
                              (width+1)/2 x (height+1)/2 at cb/cr with cstride;
                              chroma sample (i, j) covers luma pixels
                              (2i..2i+1, 2j..2j+1) (MPEG-2/H.264 "left" siting
                              horizontally, centred vertically: we treat it as
                              the 2x2 block's average). matrix and full_range
                              say how it maps to RGB. */
    SEG_PIX_YUV444P = 4, /**< planar Y'CbCr 4:4:4: as YUV420P with chroma planes
                              of the full width x height (a model input on its
                              way to RGB) */
    SEG_PIX_COUNT
} seg_pixfmt;

/** The Y'CbCr <-> R'G'B' matrix of a YUV image (the luma weights Kr, Kb). */
typedef enum seg_yuv_matrix {
    SEG_YUV_BT601 = 0,  /**< Kr 0.299, Kb 0.114: SD video, JPEG */
    SEG_YUV_BT709 = 1,  /**< Kr 0.2126, Kb 0.0722: HD video */
    SEG_YUV_BT2020 = 2, /**< Kr 0.2627, Kb 0.0593 (non-constant luminance) */
    SEG_YUV_COUNT
} seg_yuv_matrix;

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
    /* SEG_PIX_YUV420P and SEG_PIX_YUV444P only (zero otherwise): */
    uint8_t *cb, *cr; /**< chroma planes, (width+1)/2 x (height+1)/2 (4:4:4:
                           width x height) */
    int cstride;      /**< bytes from one chroma row to the next */
    seg_yuv_matrix matrix; /**< how Y'CbCr maps to RGB */
    int full_range;   /**< 0: limited ("tv": Y 16..235, Cb/Cr 16..240);
                           1: full ("pc", JPEG: 0..255) */
} seg_image;

/** Largest picture side we accept anywhere (decoder, background, window). */
#define SEG_MAX_DIM 16384
/** Largest picture area we accept (pixels); 8K UHD and a margin. */
#define SEG_MAX_PIXELS (8192LL * 8192LL)

/** Bytes per pixel of @p f in its first plane (1, 3 or 4; YUV420P: 1, the
 *  luma plane; 0 for an unknown format). */
int seg_pixfmt_bpp(seg_pixfmt f);

/** "rgb24", "rgba", "gray8", "yuv420p"; "?" for an unknown format. */
const char *seg_pixfmt_name(seg_pixfmt f);

/** Allocate img->data for width x height in format f (64-byte aligned rows;
 *  YUV420P: the three planes in one block, BT.601 limited range until the
 *  caller sets matrix and full_range). Pixels start black: zero, or for
 *  YUV420P luma 16 and chroma 128.
 *  Fails with SEG_ERR_LIMIT for sizes outside SEG_MAX_DIM/SEG_MAX_PIXELS,
 *  SEG_ERR_NOMEM when allocation fails. Free with seg_image_free(). */
int seg_image_alloc(seg_image *img, int width, int height, seg_pixfmt f);

/** Release pixels allocated by seg_image_alloc(); safe on a zeroed image. */
void seg_image_free(seg_image *img);

/** Chroma plane size of a YUV420P image of width x height. */
static inline int seg_chroma_w(int width)
{
    return (width + 1) / 2;
}
static inline int seg_chroma_h(int height)
{
    return (height + 1) / 2;
}

/** The luma weights Kr and Kb of matrix @p m (BT.601 for an unknown one). */
void seg_yuv_matrix_k(seg_yuv_matrix m, double *kr, double *kb);

/** Non-zero for the planar Y'CbCr formats. */
static inline int seg_pixfmt_is_yuv(seg_pixfmt f)
{
    return f == SEG_PIX_YUV420P || f == SEG_PIX_YUV444P;
}

/** Tables for converting many Y'CbCr pixels to R'G'B' bytes quickly: 16.16
 *  fixed point contributions of each byte value (seg_yuv_pixel()). */
typedef struct seg_yuv_tables {
    int32_t y[256];        /**< luma's share of every channel, with the rounding */
    int32_t rv[256];       /**< Cr's share of R */
    int32_t gu[256], gv[256]; /**< Cb's and Cr's shares of G */
    int32_t bu[256];       /**< Cb's share of B */
} seg_yuv_tables;

/** Fill @p t for matrix @p m and range. */
void seg_yuv_tables_init(seg_yuv_tables *t, seg_yuv_matrix m, int full_range);

static inline uint8_t seg_clamp_fx(int32_t v)
{
    v >>= 16;
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

/** One pixel through the tables: within one level of seg_yuv_to_rgb(). */
static inline void seg_yuv_pixel(const seg_yuv_tables *t, uint8_t y, uint8_t u, uint8_t v,
                                 uint8_t rgb[3])
{
    int32_t l = t->y[y];
    rgb[0] = seg_clamp_fx(l + t->rv[v]);
    rgb[1] = seg_clamp_fx(l + t->gu[u] + t->gv[v]);
    rgb[2] = seg_clamp_fx(l + t->bu[u]);
}

/** One colour from R'G'B' to Y'CbCr (rounded, clamped to the range). */
void seg_rgb_to_yuv(const uint8_t rgb[3], seg_yuv_matrix m, int full_range, uint8_t yuv[3]);
/** One colour from Y'CbCr to R'G'B' (rounded, clamped to 0..255). */
void seg_yuv_to_rgb(const uint8_t yuv[3], seg_yuv_matrix m, int full_range, uint8_t rgb[3]);

/**
 * Convert between RGB24 and YUV420P at the same size (plain C, exact
 * rounding; for pictures converted once or now and then, not for every
 * frame of a video). @p dst must be allocated at src's size; RGB24 ->
 * YUV420P uses dst->matrix and dst->full_range and averages each 2x2 block
 * for chroma (in R'G'B', then converted); YUV420P -> RGB24 uses src's and
 * takes each pixel's chroma sample as it is. Same-format calls copy.
 * pts and index are copied.
 * @return SEG_OK, or SEG_ERR_INVALID for other formats or sizes.
 */
int seg_image_convert(const seg_image *src, seg_image *dst);

#endif
