/* io_scaler.c - bilinear resize (and RGB24 <-> YUV420P conversion) with
 * libswscale; 4:2:0 -> 4:4:4 (the model input) with io_resample.c. */
#include "io_internal.h"

#include <stdlib.h>

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

struct io_scaler {
    struct SwsContext *sws; /* made once in io_scaler_create_fmt, or NULL: */
    io_resampler *luma, *chroma; /* 4:2:0 -> 4:4:4 without swscale */
    int src_w, src_h, dst_w, dst_h;
    seg_pixfmt src_f, dst_f;
    int cs_key[2];          /* matrix + 1 and range of the YUV side last set up */
};

static int bad_size(int w, int h)
{
    if (w <= 0 || h <= 0)
        return SEG_ERR_INVALID;
    if (w > SEG_MAX_DIM || h > SEG_MAX_DIM || (long long)w * h > SEG_MAX_PIXELS)
        return SEG_ERR_LIMIT;
    return SEG_OK;
}

static enum AVPixelFormat av_fmt(seg_pixfmt f)
{
    return f == SEG_PIX_RGB24     ? AV_PIX_FMT_RGB24
           : f == SEG_PIX_YUV420P ? AV_PIX_FMT_YUV420P
           : f == SEG_PIX_YUV444P ? AV_PIX_FMT_YUV444P
           : f == SEG_PIX_RGBA    ? AV_PIX_FMT_RGBA
                                  : AV_PIX_FMT_NONE;
}

int io_scaler_create_fmt(io_scaler **out, int src_w, int src_h, seg_pixfmt src_f, int dst_w,
                         int dst_h, seg_pixfmt dst_f)
{
    io_scaler *sc;
    int ret;
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    if (av_fmt(src_f) == AV_PIX_FMT_NONE || av_fmt(dst_f) == AV_PIX_FMT_NONE)
        return SEG_ERR_INVALID;
    if ((ret = bad_size(src_w, src_h)) < 0 || (ret = bad_size(dst_w, dst_h)) < 0)
        return ret;
    if (!(sc = calloc(1, sizeof(*sc))))
        return SEG_ERR_NOMEM;
    if (src_f == SEG_PIX_YUV420P && dst_f == SEG_PIX_YUV444P) {
        /* Three planes resized on their own: the chroma samples are taken
         * at the centre of their 2x2 block (seg_image.h), so the chroma
         * plane's scale is half the luma's. Past 8:1 swscale takes over. */
        double sx = (double)src_w / dst_w, sy = (double)src_h / dst_h;
        sc->luma = io_resampler_create(src_w, src_h, dst_w, dst_h, sx, sy);
        sc->chroma = io_resampler_create(seg_chroma_w(src_w), seg_chroma_h(src_h), dst_w,
                                         dst_h, sx / 2, sy / 2);
        if (!sc->luma || !sc->chroma) {
            io_resampler_free(&sc->luma);
            io_resampler_free(&sc->chroma);
        }
    }
    if (!sc->luma) {
        /* Bilinear (swscale widens the filter to the footprint when
         * shrinking, so there is no aliasing). swscale works in YUV inside,
         * with chroma at half horizontal resolution unless told otherwise:
         * the FULL_CHR flags keep RGB edges sharp (without them a YUV
         * frame's model input differs by 4 levels on average from the RGB
         * path's), and ACCURATE_RND avoids a bias of one or two levels.
         * (SWS_AREA would be 40% faster, but at 20:1 it is 21 levels off:
         * not used.) */
        int flags = SWS_BILINEAR | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP | SWS_ACCURATE_RND;
        sc->sws = sws_getContext(src_w, src_h, av_fmt(src_f), dst_w, dst_h, av_fmt(dst_f),
                                 flags, NULL, NULL, NULL);
        if (!sc->sws) {
            free(sc);
            return SEG_ERR_NOMEM;
        }
    }
    sc->src_w = src_w;
    sc->src_h = src_h;
    sc->dst_w = dst_w;
    sc->dst_h = dst_h;
    sc->src_f = src_f;
    sc->dst_f = dst_f;
    *out = sc;
    return SEG_OK;
}

int io_scaler_create(io_scaler **out, int src_w, int src_h, int dst_w, int dst_h)
{
    return io_scaler_create_fmt(out, src_w, src_h, SEG_PIX_RGB24, dst_w, dst_h, SEG_PIX_RGB24);
}

int io_scaler_run(io_scaler *sc, const seg_image *src, seg_image *dst)
{
    int ret;
    if (!sc || !src || !dst || !src->data || src->format != sc->src_f ||
        src->width != sc->src_w || src->height != sc->src_h ||
        (seg_pixfmt_is_yuv(src->format) && (!src->cb || !src->cr)))
        return SEG_ERR_INVALID;
    if (!dst->data) {
        if ((ret = seg_image_alloc(dst, sc->dst_w, sc->dst_h, sc->dst_f)) < 0)
            return ret;
    } else if (dst->format != sc->dst_f || dst->width != sc->dst_w ||
               dst->height != sc->dst_h ||
               (seg_pixfmt_is_yuv(dst->format) && (!dst->cb || !dst->cr))) {
        return SEG_ERR_INVALID;
    }
    /* The YUV side's matrix and range: a YUV source's own (a YUV output
     * keeps them), else the YUV destination's. */
    int yuv_in = seg_pixfmt_is_yuv(src->format), yuv_out = seg_pixfmt_is_yuv(dst->format);
    const seg_image *yuv = yuv_in ? src : yuv_out ? dst : NULL;
    if (yuv_in && yuv_out) {
        dst->matrix = src->matrix;
        dst->full_range = src->full_range;
    }
    if (sc->luma) {
        io_resampler_run(sc->luma, src->data, src->stride, dst->data, dst->stride);
        io_resampler_run(sc->chroma, src->cb, src->cstride, dst->cb, dst->cstride);
        io_resampler_run(sc->chroma, src->cr, src->cstride, dst->cr, dst->cstride);
        dst->pts = src->pts;
        dst->index = src->index;
        return SEG_OK;
    }
    if (yuv) {
        int key[2] = {(int)yuv->matrix + 1, yuv->full_range};
        if (key[0] != sc->cs_key[0] || key[1] != sc->cs_key[1]) {
            io_sws_colorspace(sc->sws, yuv->matrix, yuv_in ? src->full_range : 1,
                              yuv_out ? dst->full_range : 1);
            sc->cs_key[0] = key[0];
            sc->cs_key[1] = key[1];
        }
    }
    const uint8_t *in[4] = {src->data, src->cb, src->cr, NULL};
    int in_stride[4] = {src->stride, src->cstride, src->cstride, 0};
    uint8_t *outp[4] = {dst->data, dst->cb, dst->cr, NULL};
    int out_stride[4] = {dst->stride, dst->cstride, dst->cstride, 0};
    if (sws_scale(sc->sws, in, in_stride, 0, sc->src_h, outp, out_stride) != sc->dst_h)
        return SEG_ERR_INVALID;
    dst->pts = src->pts;
    dst->index = src->index;
    return SEG_OK;
}

void io_scaler_free(io_scaler **sc)
{
    if (!sc || !*sc)
        return;
    sws_freeContext((*sc)->sws);
    io_resampler_free(&(*sc)->luma);
    io_resampler_free(&(*sc)->chroma);
    free(*sc);
    *sc = NULL;
}
