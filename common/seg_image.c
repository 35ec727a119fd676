#include "seg_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seg_status.h"

int seg_pixfmt_bpp(seg_pixfmt f)
{
    switch (f) {
    case SEG_PIX_RGB24: return 3;
    case SEG_PIX_RGBA: return 4;
    case SEG_PIX_GRAY8: return 1;
    case SEG_PIX_YUV420P: return 1;
    case SEG_PIX_YUV444P: return 1;
    default: return 0;
    }
}

const char *seg_pixfmt_name(seg_pixfmt f)
{
    switch (f) {
    case SEG_PIX_RGB24: return "rgb24";
    case SEG_PIX_RGBA: return "rgba";
    case SEG_PIX_GRAY8: return "gray8";
    case SEG_PIX_YUV420P: return "yuv420p";
    case SEG_PIX_YUV444P: return "yuv444p";
    default: return "?";
    }
}

static size_t round64(size_t n)
{
    return (n + 63u) & ~(size_t)63u;
}

int seg_image_alloc(seg_image *img, int width, int height, seg_pixfmt f)
{
    int bpp = seg_pixfmt_bpp(f);
    if (!img || bpp == 0 || width <= 0 || height <= 0)
        return SEG_ERR_INVALID;
    if (width > SEG_MAX_DIM || height > SEG_MAX_DIM ||
        (long long)width * height > SEG_MAX_PIXELS)
        return SEG_ERR_LIMIT;
    /* Rows padded to 64 bytes so SIMD loads of a row never cross into a
     * foreign allocation, plus 64 bytes of tail slack for the same reason. */
    size_t stride = round64((size_t)width * (size_t)bpp);
    size_t luma = stride * (size_t)height, cstride = 0, chroma = 0;
    if (f == SEG_PIX_YUV420P) {
        cstride = round64((size_t)seg_chroma_w(width));
        chroma = cstride * (size_t)seg_chroma_h(height);
    } else if (f == SEG_PIX_YUV444P) {
        cstride = stride;
        chroma = luma;
    }
    size_t size = luma + 2 * chroma + 64u;
    uint8_t *p = aligned_alloc(64, size);
    if (!p)
        return SEG_ERR_NOMEM;
    memset(img, 0, sizeof(*img));
    img->data = p;
    img->width = width;
    img->height = height;
    img->stride = (int)stride;
    img->format = f;
    if (seg_pixfmt_is_yuv(f)) {
        memset(p, 16, luma);
        memset(p + luma, 128, 2 * chroma + 64u);
        img->cb = p + luma;
        img->cr = p + luma + chroma;
        img->cstride = (int)cstride;
    } else {
        memset(p, 0, size);
    }
    return SEG_OK;
}

void seg_image_free(seg_image *img)
{
    if (!img)
        return;
    free(img->data);
    img->data = img->cb = img->cr = NULL;
    img->width = img->height = img->stride = img->cstride = 0;
}

/* ==== colour ============================================================ */

void seg_yuv_matrix_k(seg_yuv_matrix m, double *kr, double *kb)
{
    switch (m) {
    case SEG_YUV_BT709: *kr = 0.2126; *kb = 0.0722; break;
    case SEG_YUV_BT2020: *kr = 0.2627; *kb = 0.0593; break;
    default: *kr = 0.299; *kb = 0.114; break;
    }
}

static uint8_t clamp_u8(double v, double lo, double hi)
{
    v = v < lo ? lo : (v > hi ? hi : v);
    return (uint8_t)lrint(v);
}

void seg_yuv_tables_init(seg_yuv_tables *t, seg_yuv_matrix m, int full_range)
{
    double kr, kb;
    seg_yuv_matrix_k(m, &kr, &kb);
    double kg = 1.0 - kr - kb, ys = full_range ? 1.0 / 255.0 : 1.0 / 219.0;
    double cs = full_range ? 1.0 / 255.0 : 1.0 / 224.0, y0 = full_range ? 0.0 : 16.0;
    for (int i = 0; i < 256; i++) {
        double y = (i - y0) * ys * 255.0, c = (i - 128.0) * cs * 255.0;
        t->y[i] = (int32_t)lrint(y * 65536.0 + 32768.0); /* + 1/2: the shift rounds */
        t->rv[i] = (int32_t)lrint(2.0 * (1.0 - kr) * c * 65536.0);
        t->bu[i] = (int32_t)lrint(2.0 * (1.0 - kb) * c * 65536.0);
        t->gu[i] = (int32_t)lrint(-2.0 * (1.0 - kb) * kb / kg * c * 65536.0);
        t->gv[i] = (int32_t)lrint(-2.0 * (1.0 - kr) * kr / kg * c * 65536.0);
    }
}

/* R'G'B' in 0..1 -> Y' 0..1, Pb/Pr -0.5..0.5 -> bytes. */
static void to_yuv(double r, double g, double b, seg_yuv_matrix m, int full, uint8_t yuv[3])
{
    double kr, kb;
    seg_yuv_matrix_k(m, &kr, &kb);
    double y = kr * r + (1.0 - kr - kb) * g + kb * b;
    double pb = 0.5 * (b - y) / (1.0 - kb), pr = 0.5 * (r - y) / (1.0 - kr);
    if (full) {
        yuv[0] = clamp_u8(255.0 * y, 0, 255);
        yuv[1] = clamp_u8(128.0 + 255.0 * pb, 0, 255);
        yuv[2] = clamp_u8(128.0 + 255.0 * pr, 0, 255);
    } else {
        yuv[0] = clamp_u8(16.0 + 219.0 * y, 16, 235);
        yuv[1] = clamp_u8(128.0 + 224.0 * pb, 16, 240);
        yuv[2] = clamp_u8(128.0 + 224.0 * pr, 16, 240);
    }
}

void seg_rgb_to_yuv(const uint8_t rgb[3], seg_yuv_matrix m, int full_range, uint8_t yuv[3])
{
    to_yuv(rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0, m, full_range, yuv);
}

void seg_yuv_to_rgb(const uint8_t yuv[3], seg_yuv_matrix m, int full_range, uint8_t rgb[3])
{
    double kr, kb;
    seg_yuv_matrix_k(m, &kr, &kb);
    double y, pb, pr;
    if (full_range) {
        y = yuv[0] / 255.0;
        pb = (yuv[1] - 128.0) / 255.0;
        pr = (yuv[2] - 128.0) / 255.0;
    } else {
        y = (yuv[0] - 16.0) / 219.0;
        pb = (yuv[1] - 128.0) / 224.0;
        pr = (yuv[2] - 128.0) / 224.0;
    }
    double r = y + 2.0 * (1.0 - kr) * pr, b = y + 2.0 * (1.0 - kb) * pb;
    double g = (y - kr * r - kb * b) / (1.0 - kr - kb);
    rgb[0] = clamp_u8(255.0 * r, 0, 255);
    rgb[1] = clamp_u8(255.0 * g, 0, 255);
    rgb[2] = clamp_u8(255.0 * b, 0, 255);
}

static int plain_ok(const seg_image *im)
{
    return im && im->data && im->width >= 1 && im->height >= 1 &&
           (im->format == SEG_PIX_RGB24 || (im->format == SEG_PIX_YUV420P && im->cb && im->cr));
}

int seg_image_convert(const seg_image *src, seg_image *dst)
{
    if (!plain_ok(src) || !plain_ok(dst) || src->width != dst->width ||
        src->height != dst->height)
        return SEG_ERR_INVALID;
    int w = src->width, h = src->height, cw = seg_chroma_w(w), ch = seg_chroma_h(h);
    if (src->format == dst->format) {
        size_t row = (size_t)w * (size_t)seg_pixfmt_bpp(src->format);
        for (int y = 0; y < h; y++)
            memcpy(dst->data + (size_t)y * dst->stride, src->data + (size_t)y * src->stride, row);
        if (src->format == SEG_PIX_YUV420P)
            for (int y = 0; y < ch; y++) {
                memcpy(dst->cb + (size_t)y * dst->cstride, src->cb + (size_t)y * src->cstride,
                       (size_t)cw);
                memcpy(dst->cr + (size_t)y * dst->cstride, src->cr + (size_t)y * src->cstride,
                       (size_t)cw);
            }
    } else if (src->format == SEG_PIX_RGB24) {
        uint8_t yuv[3];
        for (int y = 0; y < h; y++) {
            const uint8_t *p = src->data + (size_t)y * src->stride;
            uint8_t *o = dst->data + (size_t)y * dst->stride;
            for (int x = 0; x < w; x++) {
                seg_rgb_to_yuv(p + 3 * x, dst->matrix, dst->full_range, yuv);
                o[x] = yuv[0];
            }
        }
        for (int j = 0; j < ch; j++)
            for (int i = 0; i < cw; i++) {
                double s[3] = {0, 0, 0};
                int n = 0;
                for (int y = 2 * j; y < 2 * j + 2 && y < h; y++)
                    for (int x = 2 * i; x < 2 * i + 2 && x < w; x++, n++)
                        for (int k = 0; k < 3; k++)
                            s[k] += src->data[(size_t)y * src->stride + 3 * (size_t)x + k];
                to_yuv(s[0] / (255.0 * n), s[1] / (255.0 * n), s[2] / (255.0 * n),
                       dst->matrix, dst->full_range, yuv);
                dst->cb[(size_t)j * dst->cstride + i] = yuv[1];
                dst->cr[(size_t)j * dst->cstride + i] = yuv[2];
            }
    } else {
        for (int y = 0; y < h; y++) {
            const uint8_t *Y = src->data + (size_t)y * src->stride;
            const uint8_t *U = src->cb + (size_t)(y / 2) * src->cstride;
            const uint8_t *V = src->cr + (size_t)(y / 2) * src->cstride;
            uint8_t *o = dst->data + (size_t)y * dst->stride;
            for (int x = 0; x < w; x++) {
                uint8_t yuv[3] = {Y[x], U[x / 2], V[x / 2]};
                seg_yuv_to_rgb(yuv, src->matrix, src->full_range, o + 3 * x);
            }
        }
    }
    dst->pts = src->pts;
    dst->index = src->index;
    return SEG_OK;
}
