/* io_scaler.c - bilinear RGB24 -> RGB24 resize with libswscale. */
#include "io_internal.h"

#include <stdlib.h>

#include <libswscale/swscale.h>

struct io_scaler {
    struct SwsContext *sws; /* made once in io_scaler_create */
    int src_w, src_h, dst_w, dst_h;
};

static int bad_size(int w, int h)
{
    if (w <= 0 || h <= 0)
        return SEG_ERR_INVALID;
    if (w > SEG_MAX_DIM || h > SEG_MAX_DIM || (long long)w * h > SEG_MAX_PIXELS)
        return SEG_ERR_LIMIT;
    return SEG_OK;
}

int io_scaler_create(io_scaler **out, int src_w, int src_h, int dst_w, int dst_h)
{
    io_scaler *sc;
    int ret;
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    if ((ret = bad_size(src_w, src_h)) < 0 || (ret = bad_size(dst_w, dst_h)) < 0)
        return ret;
    if (!(sc = calloc(1, sizeof(*sc))))
        return SEG_ERR_NOMEM;
    /* swscale works in YUV inside, with chroma at half horizontal resolution
     * unless told otherwise: the FULL_CHR flags keep RGB edges sharp, and
     * ACCURATE_RND avoids a bias of one or two levels. */
    sc->sws = sws_getContext(src_w, src_h, AV_PIX_FMT_RGB24, dst_w, dst_h, AV_PIX_FMT_RGB24,
                             SWS_BILINEAR | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP |
                                 SWS_ACCURATE_RND,
                             NULL, NULL, NULL);
    if (!sc->sws) {
        free(sc);
        return SEG_ERR_NOMEM;
    }
    sc->src_w = src_w;
    sc->src_h = src_h;
    sc->dst_w = dst_w;
    sc->dst_h = dst_h;
    *out = sc;
    return SEG_OK;
}

int io_scaler_run(io_scaler *sc, const seg_image *src, seg_image *dst)
{
    int ret;
    if (!sc || !src || !dst || !src->data || src->format != SEG_PIX_RGB24 ||
        src->width != sc->src_w || src->height != sc->src_h)
        return SEG_ERR_INVALID;
    if (!dst->data) {
        if ((ret = seg_image_alloc(dst, sc->dst_w, sc->dst_h, SEG_PIX_RGB24)) < 0)
            return ret;
    } else if (dst->format != SEG_PIX_RGB24 || dst->width != sc->dst_w ||
               dst->height != sc->dst_h) {
        return SEG_ERR_INVALID;
    }
    const uint8_t *in[4] = {src->data, NULL, NULL, NULL};
    int in_stride[4] = {src->stride, 0, 0, 0};
    uint8_t *outp[4] = {dst->data, NULL, NULL, NULL};
    int out_stride[4] = {dst->stride, 0, 0, 0};
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
    free(*sc);
    *sc = NULL;
}
