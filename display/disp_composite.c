/* disp_composite.c - the compositor object and the modes: overlay, mask,
 * blur, replace, matte, alpha, side-by-side. The mask refinement that feeds
 * them is in disp_refine.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disp_internal.h"

/* ==== lifecycle ========================================================= */

static int team(int threads)
{
#ifdef _OPENMP
    return threads < 1 ? omp_get_num_procs() : threads;
#else
    (void)threads;
    return 1;
#endif
}

int disp_compositor_create(disp_compositor **out, const disp_options *opt)
{
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    if (disp_options_check(opt))
        return SEG_ERR_INVALID;
    disp_compositor *c = calloc(1, sizeof(*c));
    if (!c)
        return SEG_ERR_NOMEM;
    c->opt = *opt;
    c->nt = team(opt->threads);
    for (int i = 0; i < 256; i++)
        disp_palette_color(i, c->pal[i]);
    *out = c;
    return SEG_OK;
}

void disp_compositor_free(disp_compositor **pc)
{
    if (!pc || !*pc)
        return;
    disp_compositor *c = *pc;
    free(c->alpha);
    free(c->hist);
    free(c->sm);
    disp_buf *bufs[] = {&c->xi0, &c->xw,  &c->yi0, &c->yw, &c->yw8,   &c->gi0,
                        &c->gwx, &c->gw8, &c->gw,  &c->tls, &c->luma, &c->rows,
                        &c->rows2, &c->lx, &c->cls};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        disp_buf_free(bufs[i]);
    for (int i = 0; i < 10; i++)
        disp_buf_free(&c->plane[i]);
    seg_image_free(&c->bg_src);
    seg_image_free(&c->bg_fit);
    seg_image_free(&c->bg_tmp);
    free(c);
    *pc = NULL;
}

int disp_compositor_set_options(disp_compositor *c, const disp_options *opt)
{
    if (!c || disp_options_check(opt))
        return SEG_ERR_INVALID;
    c->opt = *opt;
    c->nt = team(opt->threads);
    return SEG_OK;
}

const disp_options *disp_compositor_options(const disp_compositor *c)
{
    return c ? &c->opt : NULL;
}

void disp_compositor_reset(disp_compositor *c)
{
    if (c)
        c->hw = c->hh = 0;
}

static int image_ok(const seg_image *im, seg_pixfmt f)
{
    return im && im->data && im->format == f && im->width >= 1 && im->height >= 1 &&
           im->width <= SEG_MAX_DIM && im->height <= SEG_MAX_DIM &&
           (long long)im->width * im->height <= SEG_MAX_PIXELS &&
           im->stride >= im->width * seg_pixfmt_bpp(f);
}

/* (Re)allocate @p im to w x h in format f unless it already is. */
static int ensure_image(seg_image *im, int w, int h, seg_pixfmt f)
{
    if (im->data && im->width == w && im->height == h && im->format == f)
        return SEG_OK;
    seg_image_free(im);
    return seg_image_alloc(im, w, h, f);
}

int disp_compositor_set_background(disp_compositor *c, const seg_image *bg)
{
    if (!c)
        return SEG_ERR_INVALID;
    c->bg_fit_valid = 0;
    if (!bg) {
        seg_image_free(&c->bg_src);
        return SEG_OK;
    }
    if (!image_ok(bg, SEG_PIX_RGB24))
        return SEG_ERR_INVALID;
    int st = ensure_image(&c->bg_src, bg->width, bg->height, SEG_PIX_RGB24);
    if (st)
        return st;
    for (int y = 0; y < bg->height; y++)
        memcpy(c->bg_src.data + (size_t)y * c->bg_src.stride,
               bg->data + (size_t)y * bg->stride, (size_t)bg->width * 3);
    return SEG_OK;
}

/* ==== cover scaling ===================================================== */

void disp_cover_rect(int src_w, int src_h, int dst_w, int dst_h, int *x, int *y, int *w,
                     int *h)
{
    int cx = 0, cy = 0, cw = src_w, ch = src_h;
    if (src_w > 0 && src_h > 0 && dst_w > 0 && dst_h > 0) {
        if ((long long)src_w * dst_h > (long long)src_h * dst_w) {
            /* wider than the frame: full height, crop the sides */
            cw = (int)(((long long)src_h * dst_w * 2 + dst_h) / (2LL * dst_h));
            cw = cw < 1 ? 1 : (cw > src_w ? src_w : cw);
            cx = (src_w - cw) / 2;
        } else {
            ch = (int)(((long long)src_w * dst_h * 2 + dst_w) / (2LL * dst_w));
            ch = ch < 1 ? 1 : (ch > src_h ? src_h : ch);
            cy = (src_h - ch) / 2;
        }
    }
    *x = cx;
    *y = cy;
    *w = cw;
    *h = ch;
}

/* Bilinear, 8-bit weights; xi/xw hold dst->width entries. */
static void cover(const seg_image *src, seg_image *dst, int *xi, uint16_t *xw)
{
    int rx, ry, rw, rh;
    disp_cover_rect(src->width, src->height, dst->width, dst->height, &rx, &ry, &rw, &rh);
    double sx = (double)rw / dst->width, sy = (double)rh / dst->height;
    for (int x = 0; x < dst->width; x++) {
        double s = rx + ((double)x + 0.5) * sx - 0.5;
        s = s < 0.0 ? 0.0 : (s > src->width - 1 ? src->width - 1 : s);
        int i = (int)s;
        int w8 = (int)lrint((s - i) * 256.0);
        if (i >= src->width - 1) {
            i = src->width - 1;
            w8 = 0;
        }
        if (w8 == 256) { /* rounds onto the next pixel */
            i++;
            w8 = 0;
        }
        xi[x] = i;
        xw[x] = (uint16_t)w8;
    }
    for (int y = 0; y < dst->height; y++) {
        double s = ry + ((double)y + 0.5) * sy - 0.5;
        s = s < 0.0 ? 0.0 : (s > src->height - 1 ? src->height - 1 : s);
        int j = (int)s;
        int wy = (int)lrint((s - j) * 256.0);
        if (j >= src->height - 1) {
            j = src->height - 1;
            wy = 0;
        }
        if (wy == 256) {
            j++;
            wy = 0;
        }
        const uint8_t *r0 = src->data + (size_t)j * src->stride;
        const uint8_t *r1 = wy ? r0 + src->stride : r0;
        uint8_t *o = dst->data + (size_t)y * dst->stride;
        for (int x = 0; x < dst->width; x++) {
            int i = xi[x], wx = xw[x], i1 = wx ? i + 1 : i;
            for (int k = 0; k < 3; k++) {
                int top = r0[3 * i + k] * (256 - wx) + r0[3 * i1 + k] * wx;
                int bot = r1[3 * i + k] * (256 - wx) + r1[3 * i1 + k] * wx;
                o[3 * x + k] = (uint8_t)((top * (256 - wy) + bot * wy + 32768) >> 16);
            }
        }
    }
}

int disp_background_cover(const seg_image *src, seg_image *dst)
{
    if (!image_ok(src, SEG_PIX_RGB24) || !image_ok(dst, SEG_PIX_RGB24))
        return SEG_ERR_INVALID;
    int *xi = malloc(sizeof(int) * (size_t)dst->width);
    uint16_t *xw = malloc(sizeof(uint16_t) * (size_t)dst->width);
    if (!xi || !xw) {
        free(xi);
        free(xw);
        return SEG_ERR_NOMEM;
    }
    cover(src, dst, xi, xw);
    free(xi);
    free(xw);
    return SEG_OK;
}

static int cover_scratch(disp_compositor *c, const seg_image *src, seg_image *dst)
{
    if (disp_buf_reserve(&c->gi0, sizeof(int) * (size_t)dst->width) ||
        disp_buf_reserve(&c->gw8, sizeof(uint16_t) * (size_t)dst->width))
        return SEG_ERR_NOMEM;
    cover(src, dst, c->gi0.p, c->gw8.p);
    return SEG_OK;
}

/* The frame-sized picture replace mode shows. */
static int background_for(disp_compositor *c, const seg_image *given, int w, int h,
                          const seg_image **bg)
{
    int st;
    if (given) {
        if (!image_ok(given, SEG_PIX_RGB24))
            return SEG_ERR_INVALID;
        if (given->width == w && given->height == h) {
            *bg = given;
            return SEG_OK;
        }
        if ((st = ensure_image(&c->bg_tmp, w, h, SEG_PIX_RGB24)) ||
            (st = cover_scratch(c, given, &c->bg_tmp)))
            return st;
        *bg = &c->bg_tmp;
        return SEG_OK;
    }
    if (!c->bg_src.data)
        return SEG_ERR_INVALID;
    if (!c->bg_fit_valid || c->bg_fit.width != w || c->bg_fit.height != h) {
        if ((st = ensure_image(&c->bg_fit, w, h, SEG_PIX_RGB24)) ||
            (st = cover_scratch(c, &c->bg_src, &c->bg_fit)))
            return st;
        c->bg_fit_valid = 1;
    }
    *bg = &c->bg_fit;
    return SEG_OK;
}

/* ==== the modes ========================================================= */

/* All modes read `in` and write `out` pixel by pixel at the same place, so
 * out may be in. c->alpha is frame-sized with stride aw. */

static void overlay(const disp_compositor *c, const seg_image *in, seg_image *out,
                    const uint8_t *labels, int mw, int mh)
{
    /* out = in + (colour - in) * a * opacity, in 8.8 fixed point. */
    int k = (int)lrintf(c->opt.opacity * 256.0f), nt = c->nt;
    int w = in->width, h = in->height;
    const uint8_t *col0 = c->opt.color;
    const int *lx = c->lx.p;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        const uint8_t *p = in->data + (size_t)y * in->stride;
        uint8_t *o = out->data + (size_t)y * out->stride;
        const uint8_t *a = c->alpha + (size_t)y * c->aw;
        if (!labels) {
            disp_row_overlay(p, a, k, col0, o, w);
            continue;
        }
        /* nearest mask row, half-pixel centres */
        int ly = (int)(((double)y + 0.5) * mh / h);
        const uint8_t *lrow = labels + (size_t)(ly < mh ? ly : mh - 1) * mw;
        for (int x = 0; x < w; x++, p += 3, o += 3) {
            int t = (a[x] * k + 127) / 255; /* 0..256 */
            const uint8_t *col = lrow[lx[x]] ? c->pal[lrow[lx[x]]] : col0;
            o[0] = (uint8_t)(p[0] + (((col[0] - p[0]) * t) >> 8));
            o[1] = (uint8_t)(p[1] + (((col[1] - p[1]) * t) >> 8));
            o[2] = (uint8_t)(p[2] + (((col[2] - p[2]) * t) >> 8));
        }
    }
}

static void grey(const disp_compositor *c, seg_image *out)
{
    int nt = c->nt, w = c->aw, h = c->ah;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++)
        disp_row_grey(c->alpha + (size_t)y * c->aw, out->data + (size_t)y * out->stride, w);
}

/* out = (a * in + (255 - a) * bg + 127) / 255 against a picture (bg != NULL)
 * or a constant colour. */
static void blend(const disp_compositor *c, const seg_image *in, const seg_image *bg,
                  const uint8_t col[3], seg_image *out)
{
    int nt = c->nt, w = in->width, h = in->height;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        const uint8_t *p = in->data + (size_t)y * in->stride;
        const uint8_t *a = c->alpha + (size_t)y * c->aw;
        uint8_t *o = out->data + (size_t)y * out->stride;
        if (bg)
            disp_row_blend(p, bg->data + (size_t)y * bg->stride, a, o, w);
        else
            disp_row_blend_const(p, col, a, o, w);
    }
}

static void to_rgba(const disp_compositor *c, const seg_image *in, seg_image *out)
{
    int nt = c->nt, w = in->width, h = in->height;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++)
        disp_row_rgba(in->data + (size_t)y * in->stride, c->alpha + (size_t)y * c->aw,
                      out->data + (size_t)y * out->stride, w);
}

/* Blur mode: the background by normalised convolution on a grid (see
 * disp.h and DISP_BG_WEIGHT): bg = blur(in * u) / blur(u). */
static int blur(disp_compositor *c, const seg_image *in, seg_image *out)
{
    int w = in->width, h = in->height, nt = c->nt;
    (void)nt;
    int R = c->opt.blur > 0 ? c->opt.blur : (h / 40 > 1 ? h / 40 : 1);
    /* A grid of about R/4: three box passes of radius r have a standard
     * deviation of sqrt(r (r + 1)) ~ r + 1/2 grid pixels, so r ~ R/s - 1/2,
     * about 3, and the bilinear upsampling of so smooth a picture is smooth. */
    int s = (int)lrint(R / 4.0);
    s = s < 1 ? 1 : (s > 8 ? 8 : s); /* wider blurs get a larger r */
    int r = (int)lrint((double)R / s - 0.5);
    r = r < 1 ? 1 : r;
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    size_t gn = (size_t)gw * (size_t)gh;
    float *p[5];
    if (disp_planes(c, 5, gn, p))
        return SEG_ERR_NOMEM;
    size_t stride = disp_tls_stride(4 * sizeof(uint32_t) * (size_t)w);
    uint8_t *tls = disp_tls(c, 4 * sizeof(uint32_t) * (size_t)w);
    if (!tls)
        return SEG_ERR_NOMEM;
    /* Sums over full blocks, normalised so the weight is 0..1 and colours
     * times weight 0..255; a partial block at the border weighs less, as it
     * should. */
    float norm = 1.0f / ((255.0f * 256.0f + 1.0f) * (float)(s * s));
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++) {
        uint32_t *acc = (uint32_t *)(tls + stride * (size_t)disp_thread());
        memset(acc, 0, 4 * sizeof(uint32_t) * (size_t)w);
        int ya = gy * s, yb = ya + s < h ? ya + s : h;
        for (int y = ya; y < yb; y++)
            disp_row_weighted(in->data + (size_t)y * in->stride, c->alpha + (size_t)y * c->aw,
                              acc, w);
        for (int k = 0; k < 4; k++)
            disp_row_blocks(acc + (size_t)k * w, w, s, p[k] + (size_t)gy * gw, norm);
    }
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < 4; i++)
            if (disp_box_sum(c, p[i], p[i], p[4], gw, gh, r))
                return SEG_ERR_NOMEM;
    /* The background colour per grid pixel, P / W (W > 0: every weight is
     * at least 1), into the numerator planes. */
    for (size_t i = 0; i < gn; i++) {
        float inv = 1.0f / p[3][i];
        p[0][i] *= inv;
        p[1][i] *= inv;
        p[2][i] *= inv;
    }
    /* Interpolate each grid row across to the frame width and pack it as
     * RGB bytes; then every frame row is a vertical blend of two of those
     * and the alpha blend. */
    if (disp_buf_reserve(&c->yi0, sizeof(int) * (size_t)h) ||
        disp_buf_reserve(&c->yw8, sizeof(uint16_t) * (size_t)h) ||
        disp_buf_reserve(&c->rows, (size_t)gh * w * 3))
        return SEG_ERR_NOMEM;
    size_t fstride = disp_tls_stride(3 * sizeof(float) * (size_t)w);
    uint8_t *ftls = disp_tls(c, 3 * sizeof(float) * (size_t)w);
    if (!ftls)
        return SEG_ERR_NOMEM;
    disp_axis ay = {c->yi0.p, NULL, c->yw8.p};
    disp_axis_fill(&ay, h, gh, 1.0 / s);
    uint8_t *rows = c->rows.p;
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++) {
        float *t = (float *)(ftls + fstride * (size_t)disp_thread());
        for (int k = 0; k < 3; k++)
            disp_row_up_f(p[k] + (size_t)gy * gw, gw, s, t + (size_t)k * w, w, 1.0f);
        disp_row_pack_rgb(t, t + w, t + 2 * (size_t)w, rows + (size_t)gy * w * 3, w);
    }
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        int y0 = ay.i0[y], wy = ay.w8[y], y1 = wy ? y0 + 1 : y0;
        disp_row_blend_rows(in->data + (size_t)y * in->stride, rows + (size_t)y0 * w * 3,
                            rows + (size_t)y1 * w * 3, wy, c->alpha + (size_t)y * c->aw,
                            out->data + (size_t)y * out->stride, w);
    }
    return SEG_OK;
}

/* One same-size RGB24 mode from in to out (out may be in). */
static int draw(disp_compositor *c, disp_mode m, const seg_image *in, seg_image *out,
                const disp_input *inp)
{
    int st;
    switch (m) {
    case DISP_MODE_OVERLAY:
        if (inp->labels) {
            if (disp_buf_reserve(&c->lx, sizeof(int) * (size_t)in->width))
                return SEG_ERR_NOMEM;
            int *lx = c->lx.p;
            for (int x = 0; x < in->width; x++) {
                int v = (int)(((double)x + 0.5) * inp->mask_w / in->width);
                lx[x] = v < inp->mask_w ? v : inp->mask_w - 1;
            }
        }
        overlay(c, in, out, inp->labels, inp->mask_w, inp->mask_h);
        return SEG_OK;
    case DISP_MODE_MASK: grey(c, out); return SEG_OK;
    case DISP_MODE_BLUR: return blur(c, in, out);
    case DISP_MODE_REPLACE: {
        const seg_image *bg = NULL;
        if ((st = background_for(c, inp->background, in->width, in->height, &bg)))
            return st;
        blend(c, in, bg, NULL, out);
        return SEG_OK;
    }
    case DISP_MODE_MATTE: blend(c, in, NULL, c->opt.matte_color, out); return SEG_OK;
    default: return SEG_ERR_INVALID;
    }
}

static void copy_rgb(const seg_image *in, uint8_t *dst, int dst_stride)
{
    for (int y = 0; y < in->height; y++)
        memcpy(dst + (size_t)y * dst_stride, in->data + (size_t)y * in->stride,
               (size_t)in->width * 3);
}

int disp_render(disp_compositor *c, const disp_input *in, seg_image *out)
{
    if (!c || !in || !out || !image_ok(in->frame, SEG_PIX_RGB24) || !in->mask ||
        in->mask_w < 1 || in->mask_h < 1 || in->mask_w > SEG_MAX_DIM ||
        in->mask_h > SEG_MAX_DIM || (long long)in->mask_w * in->mask_h > SEG_MAX_PIXELS)
        return SEG_ERR_INVALID;
    const seg_image *f = in->frame;
    int w = f->width, h = f->height, ow, oh, st;
    seg_pixfmt ofmt;
    disp_mode mode = c->opt.mode;
    if ((st = disp_output_size(mode, w, h, &ow, &oh, &ofmt)))
        return st;
    if (!out->data) {
        if ((st = seg_image_alloc(out, ow, oh, ofmt)))
            return st;
    } else if (!image_ok(out, ofmt) || out->width != ow || out->height != oh) {
        return SEG_ERR_INVALID;
    }
    /* The replace background is checked before any work is done. */
    int need_bg = mode == DISP_MODE_REPLACE ||
                  (mode == DISP_MODE_SIDE_BY_SIDE && c->opt.side_mode == DISP_MODE_REPLACE);
    if (need_bg && !in->background && !c->bg_src.data)
        return SEG_ERR_INVALID;
    if ((st = disp_refine(c, f, in->mask, in->mask_w, in->mask_h)))
        return st;
    int64_t pts = f->pts, index = f->index; /* f may be out */
    if (mode == DISP_MODE_ALPHA) {
        to_rgba(c, f, out);
    } else if (mode == DISP_MODE_SIDE_BY_SIDE) {
        seg_image panel = *out;
        panel.width = w;
        copy_rgb(f, out->data, out->stride);
        panel.data = out->data + (size_t)w * 3;
        grey(c, &panel);
        panel.data = out->data + (size_t)w * 6;
        copy_rgb(f, panel.data, panel.stride);
        if ((st = draw(c, c->opt.side_mode, &panel, &panel, in)))
            return st;
    } else if ((st = draw(c, mode, f, out, in))) {
        return st;
    }
    out->pts = pts;
    out->index = index;
    return SEG_OK;
}

int disp_output_prepare(const disp_compositor *c, int w, int h, seg_image *out)
{
    int ow, oh, st;
    seg_pixfmt f;
    if (!c || !out)
        return SEG_ERR_INVALID;
    if ((st = disp_output_size(c->opt.mode, w, h, &ow, &oh, &f)))
        return st;
    return ensure_image(out, ow, oh, f);
}

int disp_composite(disp_compositor *c, seg_image *frame, const float *mask, int mw, int mh)
{
    if (!c || c->opt.mode == DISP_MODE_ALPHA || c->opt.mode == DISP_MODE_SIDE_BY_SIDE)
        return SEG_ERR_INVALID;
    disp_input in = {frame, mask, mw, mh, NULL, NULL};
    return disp_render(c, &in, frame);
}

const uint8_t *disp_compositor_alpha(const disp_compositor *c, int *width, int *height)
{
    if (width)
        *width = c->aw;
    if (height)
        *height = c->ah;
    return c->aw ? c->alpha : NULL;
}

int disp_compositor_mask_image(const disp_compositor *c, seg_image *view)
{
    if (!c || !view || !c->aw)
        return SEG_ERR_INVALID;
    memset(view, 0, sizeof *view);
    view->data = c->alpha;
    view->width = c->aw;
    view->height = c->ah;
    view->stride = c->aw;
    view->format = SEG_PIX_GRAY8;
    view->pts = c->pts;
    view->index = c->index;
    return SEG_OK;
}
