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
    for (int i = 0; i < 256; i++) {
        disp_palette_color(i, c->pal[i]);
        /* An outline in the class's hue at full brightness: VOC's
         * (64,0,0) is lost on a dark scene and its person (192,128,128)
         * on a grey one; (255,0,0) and (255,170,170) are not. */
        int m = c->pal[i][0];
        m = c->pal[i][1] > m ? c->pal[i][1] : m;
        m = c->pal[i][2] > m ? c->pal[i][2] : m;
        for (int k = 0; k < 3; k++)
            c->edge[i][k] = (uint8_t)(m ? (c->pal[i][k] * 255 + m / 2) / m : 0);
    }
    *out = c;
    return SEG_OK;
}

void disp_compositor_free(disp_compositor **pc)
{
    if (!pc || !*pc)
        return;
    disp_compositor *c = *pc;
    free(c->alpha);
    free(c->prev_map);
    free(c->cur_map);
    disp_buf *bufs[] = {&c->col_i0, &c->col_w,  &c->row_i0, &c->row_w, &c->row_w8,   &c->grid_i0,
                        &c->grid_w, &c->grid_w8, &c->box_w,  &c->tls, &c->luma, &c->rows,
                        &c->label_col, &c->cls, &c->calpha};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        disp_buf_free(bufs[i]);
    for (int i = 0; i < 10; i++)
        disp_buf_free(&c->plane[i]);
    seg_image_free(&c->bg_src);
    seg_image_free(&c->bg_fit);
    seg_image_free(&c->bg_fit_yuv);
    seg_image_free(&c->bg_tmp);
    seg_image_free(&c->bg_tmp_yuv);
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
        c->prev_w = c->prev_h = 0;
}

static int image_ok(const seg_image *im, seg_pixfmt f)
{
    return im && im->data && im->format == f && im->width >= 1 && im->height >= 1 &&
           im->width <= SEG_MAX_DIM && im->height <= SEG_MAX_DIM &&
           (long long)im->width * im->height <= SEG_MAX_PIXELS &&
           im->stride >= im->width * seg_pixfmt_bpp(f) &&
           (f != SEG_PIX_YUV420P ||
            (im->cb && im->cr && im->cstride >= seg_chroma_w(im->width) &&
             (unsigned)im->matrix < SEG_YUV_COUNT));
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
    c->bg_fit_valid = c->bg_yuv_valid = 0;
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
    if (disp_buf_reserve(&c->grid_i0, sizeof(int) * (size_t)dst->width) ||
        disp_buf_reserve(&c->grid_w8, sizeof(uint16_t) * (size_t)dst->width))
        return SEG_ERR_NOMEM;
    cover(src, dst, c->grid_i0.p, c->grid_w8.p);
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
        c->bg_yuv_valid = 0;
        if ((st = ensure_image(&c->bg_fit, w, h, SEG_PIX_RGB24)) ||
            (st = cover_scratch(c, &c->bg_src, &c->bg_fit)))
            return st;
        c->bg_fit_valid = 1;
    }
    *bg = &c->bg_fit;
    return SEG_OK;
}

/* ==== Y'CbCr ============================================================ */

/* The 16.16 fixed-point R'G'B' -> Y'CbCr coefficients of a matrix and range
 * (the formulas of seg_rgb_to_yuv()). */
static void yuv_coef(disp_yuv_coef *k, seg_yuv_matrix m, int full)
{
    double kr, kb;
    seg_yuv_matrix_k(m, &kr, &kb);
    double kg = 1.0 - kr - kb;
    double ys = (full ? 255.0 : 219.0) / 255.0, cs = (full ? 255.0 : 224.0) / 255.0;
    /* Y' = Kr R + Kg G + Kb B; Cb = (B - Y') / (2 (1 - Kb)), Cr = (R - Y') /
     * (2 (1 - Kr)); each scaled to the range */
    const double y[3] = {kr, kg, kb}, cb[3] = {-kr, -kg, 1.0 - kb}, cr[3] = {1.0 - kr, -kg, -kb};
    for (int i = 0; i < 3; i++) {
        k->y[i] = (int32_t)lrint(y[i] * ys * 65536.0);
        k->cb[i] = (int32_t)lrint(cb[i] * cs / (2.0 * (1.0 - kb)) * 65536.0);
        k->cr[i] = (int32_t)lrint(cr[i] * cs / (2.0 * (1.0 - kr)) * 65536.0);
    }
    k->y_add = ((full ? 0 : 16) << 16) + (1 << 15);
    k->c_add = (128 << 18) + (1 << 17); /* chroma from sums of four pixels */
    k->lo = k->clo = full ? 0 : 16;
    k->hi = full ? 255 : 235;
    k->chi = full ? 255 : 240;
}

/* An RGB24 picture into a YUV420P one of its size, in dst's matrix and
 * range: per frame for a video background, so in fixed point rather than
 * with seg_image_convert() (they differ by a level at most). */
static void to_yuv(const disp_compositor *c, const seg_image *rgb, seg_image *dst)
{
    disp_yuv_coef k;
    yuv_coef(&k, dst->matrix, dst->full_range != 0);
    int w = dst->width, h = dst->height, ch = seg_chroma_h(h), nt = c->nt;
    (void)nt;
    DISP_OMP_FOR
    for (int j = 0; j < ch; j++) {
        int y0 = 2 * j, y1 = y0 + 1 < h ? y0 + 1 : y0;
        const uint8_t *r0 = rgb->data + (size_t)y0 * rgb->stride;
        const uint8_t *r1 = rgb->data + (size_t)y1 * rgb->stride;
        disp_row_rgb_to_y(r0, dst->data + (size_t)y0 * dst->stride, w, &k);
        if (y1 != y0)
            disp_row_rgb_to_y(r1, dst->data + (size_t)y1 * dst->stride, w, &k);
        disp_row_rgb_to_cbcr(r0, r1, dst->cb + (size_t)j * dst->cstride,
                             dst->cr + (size_t)j * dst->cstride, w, &k);
    }
}

/* The frame-sized YUV picture replace mode shows on the YUV frame @p f: a
 * YUV420P background of the frame's size as it is; an RGB one (or the
 * stored one) cover-scaled as for RGB frames, then converted to f's matrix
 * and range (the stored one once, until its picture, the frame's size,
 * matrix or range change). */
static int background_yuv(disp_compositor *c, const seg_image *given, const seg_image *f,
                          const seg_image **bg)
{
    int w = f->width, h = f->height, full = f->full_range != 0, st;
    if (given && given->format == SEG_PIX_YUV420P) {
        if (!image_ok(given, SEG_PIX_YUV420P) || given->width != w || given->height != h)
            return SEG_ERR_INVALID;
        *bg = given;
        return SEG_OK;
    }
    const seg_image *rgb;
    if ((st = background_for(c, given, w, h, &rgb)))
        return st;
    seg_image *dst = given ? &c->bg_tmp_yuv : &c->bg_fit_yuv;
    *bg = dst;
    if (!given && c->bg_yuv_valid && dst->width == w && dst->height == h &&
        dst->matrix == f->matrix && dst->full_range == full)
        return SEG_OK;
    if ((st = ensure_image(dst, w, h, SEG_PIX_YUV420P)))
        return st;
    dst->matrix = f->matrix;
    dst->full_range = full;
    to_yuv(c, rgb, dst);
    if (!given)
        c->bg_yuv_valid = 1;
    return SEG_OK;
}

/* @p rgb as the frame's colours: itself for an RGB frame, else converted
 * into @p yuv. */
static const uint8_t *colour(const seg_image *f, const uint8_t rgb[3], uint8_t yuv[3])
{
    if (f->format != SEG_PIX_YUV420P)
        return rgb;
    seg_rgb_to_yuv(rgb, f->matrix, f->full_range != 0, yuv);
    return yuv;
}

/* The overlay palette in the frame's colours (the YUV one made once per
 * matrix and range), and the outlines' in *edge. */
static const uint8_t (*palette(disp_compositor *c, const seg_image *f,
                               const uint8_t (**edge)[3]))[3]
{
    if (f->format != SEG_PIX_YUV420P) {
        *edge = (const uint8_t(*)[3])c->edge;
        return (const uint8_t(*)[3])c->pal;
    }
    int key = 1 + 2 * (int)f->matrix + (f->full_range != 0);
    if (c->pal_key != key) {
        for (int i = 0; i < 256; i++) {
            seg_rgb_to_yuv(c->pal[i], f->matrix, f->full_range != 0, c->pal_yuv[i]);
            seg_rgb_to_yuv(c->edge[i], f->matrix, f->full_range != 0, c->edge_yuv[i]);
        }
        c->pal_key = key;
    }
    *edge = (const uint8_t(*)[3])c->edge_yuv;
    return (const uint8_t(*)[3])c->pal_yuv;
}

/* The alpha of every chroma sample of a YUV frame: its 2x2 block's mean. */
static int chroma_alpha(disp_compositor *c)
{
    int w = c->alpha_w, h = c->alpha_h, cw = seg_chroma_w(w), ch = seg_chroma_h(h), nt = c->nt;
    (void)nt;
    if (disp_buf_reserve(&c->calpha, (size_t)cw * (size_t)ch))
        return SEG_ERR_NOMEM;
    uint8_t *o = c->calpha.p;
    DISP_OMP_FOR
    for (int j = 0; j < ch; j++) {
        const uint8_t *a0 = c->alpha + (size_t)(2 * j) * w;
        disp_row_alpha_2x2(a0, 2 * j + 1 < h ? a0 + w : a0, o + (size_t)j * cw, w);
    }
    return SEG_OK;
}

/* ==== planes ============================================================ */

/* The modes work on planes: an RGB24 frame is one plane of 3-byte samples
 * with the alpha; a YUV420P frame three of 1-byte samples, Y with the alpha
 * and Cb, Cr with the chroma alpha. A row loop runs over the rows of all
 * planes, one plane after the other (plane_row()). */
typedef struct plane {
    const uint8_t *in;  /* first row of the input */
    uint8_t *out;       /* of the output */
    const uint8_t *a;   /* of the alpha per sample */
    size_t is, os, as;  /* their strides */
    int w, h;           /* samples */
    int bpp;            /* bytes per sample: 3 (RGB24) or 1 */
    int comp;           /* colour component of the first byte (and plane index):
                           0 R or Y, 1 Cb, 2 Cr */
    int sub;            /* frame pixels per sample on each axis, as a shift:
                           0, chroma 1 */
} plane;

/* First row and stride of plane i (0 the only one of an RGB image). */
static uint8_t *plane_data(const seg_image *im, int i, size_t *stride)
{
    *stride = (size_t)(i ? im->cstride : im->stride);
    return i == 0 ? im->data : (i == 1 ? im->cb : im->cr);
}

/* The planes of in -> out (same format and size, the frame's); returns
 * their total row count. The chroma alpha must be made (chroma_alpha()). */
static int frame_planes(const disp_compositor *c, const seg_image *in, seg_image *out,
                        plane pl[3])
{
    int yuv = in->format == SEG_PIX_YUV420P, n = yuv ? 3 : 1, rows = 0;
    for (int i = 0; i < n; i++) {
        plane *p = &pl[i];
        p->in = plane_data(in, i, &p->is);
        p->out = plane_data(out, i, &p->os);
        p->sub = i > 0;
        p->w = i ? seg_chroma_w(in->width) : in->width;
        p->h = i ? seg_chroma_h(in->height) : in->height;
        p->a = i ? (const uint8_t *)c->calpha.p : c->alpha;
        p->as = (size_t)(i ? p->w : c->alpha_w);
        p->bpp = yuv ? 1 : 3;
        p->comp = i;
        rows += p->h;
    }
    return rows;
}

/* The plane of row r of frame_planes()'s rows, and the row in it. */
static inline const plane *plane_row(const plane *pl, int r, int *y)
{
    while (r >= pl->h)
        r -= pl++->h;
    *y = r;
    return pl;
}

/* ==== the modes ========================================================= */

/* All modes read `in` and write `out` sample by sample at the same place,
 * so out may be in. c->alpha is frame-sized with stride alpha_w. */

/* The frame rows the class outline of a row looks at: the alpha and label
 * rows of the row's frame pixel and of those d pixels above and below. */
typedef struct label_rows {
    const uint8_t *a, *a_up, *a_down; /* frame-sized alpha */
    const uint8_t *l, *l_up, *l_down; /* mask rows */
} label_rows;

/* Overlay with a colour per class on row y of plane p: sample x takes the
 * class at frame column label_col[x << sub] of its mask row (a chroma
 * sample: its block's top-left pixel's). A class's outline, the pixels (at
 * least half foreground) within d of a pixel that is less than half
 * foreground or of another class, takes the outline colour at full
 * strength, so every class keeps a visible edge on any scene; a chroma
 * sample is outline when its block's top-left pixel is. */
static void overlay_labels(const plane *p, int y, int k, const label_rows *lr, int d, int fw,
                           const int *label_col, const uint8_t (*pal)[3],
                           const uint8_t (*edge)[3], const uint8_t *col0)
{
    const uint8_t *in = p->in + y * p->is, *a = p->a + y * p->as;
    uint8_t *o = p->out + y * p->os;
    for (int x = 0; x < p->w; x++, in += p->bpp, o += p->bpp) {
        int t = (a[x] * k + 127) / 255; /* 0..256 */
        int fx = x << p->sub, l = lr->l[label_col[fx]];
        const uint8_t *col = (l ? pal[l] : col0) + p->comp;
        if (l && lr->a[fx] >= 128) {
            int xl = fx - d < 0 ? 0 : fx - d, xr = fx + d >= fw ? fw - 1 : fx + d;
            if (lr->a[xl] < 128 || lr->a[xr] < 128 || lr->a_up[fx] < 128 ||
                lr->a_down[fx] < 128 || lr->l[label_col[xl]] != l || lr->l[label_col[xr]] != l ||
                lr->l_up[label_col[fx]] != l || lr->l_down[label_col[fx]] != l) {
                t = 256;
                col = edge[l] + p->comp;
            }
        }
        for (int j = 0; j < p->bpp; j++)
            o[j] = (uint8_t)(in[j] + (((col[j] - in[j]) * t) >> 8));
    }
}

/* The nearest mask row to frame row fy (of a chroma row: its blocks' top
 * row), half-pixel centres. */
static const uint8_t *mask_row(const uint8_t *labels, int mw, int mh, int fy, int h)
{
    int ly = (int)(((double)fy + 0.5) * mh / h);
    return labels + (size_t)(ly < mh ? ly : mh - 1) * mw;
}

/* col0 and pal in the frame's colours; pal is used with labels only. */
static void overlay(const disp_compositor *c, const seg_image *in, seg_image *out,
                    const uint8_t col0[3], const uint8_t (*pal)[3], const uint8_t (*edge)[3],
                    const uint8_t *labels, int mw, int mh)
{
    /* The outline's width: 1 frame pixel per 240 rows (576p: 2, 1080p: 4). */
    int d = in->height / 240 > 1 ? in->height / 240 : 1;
    /* out = in + (colour - in) * a * opacity, in 8.8 fixed point. */
    int k = (int)lrintf(c->opt.opacity * 256.0f), nt = c->nt, h = in->height;
    const int *label_col = c->label_col.p;
    (void)nt;
    plane pl[3];
    int rows = frame_planes(c, in, out, pl);
    DISP_OMP_FOR
    for (int r = 0; r < rows; r++) {
        int y;
        const plane *p = plane_row(pl, r, &y);
        if (!labels) {
            disp_row_overlay(p->in + y * p->is, p->a + y * p->as, k, col0 + p->comp,
                             p->out + y * p->os, p->w, p->bpp);
            continue;
        }
        int fy = y << p->sub, aw = c->alpha_w;
        int yu = fy - d < 0 ? 0 : fy - d, yd = fy + d >= h ? h - 1 : fy + d;
        label_rows lr = {c->alpha + (size_t)fy * aw, c->alpha + (size_t)yu * aw,
                         c->alpha + (size_t)yd * aw, mask_row(labels, mw, mh, fy, h),
                         mask_row(labels, mw, mh, yu, h), mask_row(labels, mw, mh, yd, h)};
        overlay_labels(p, y, k, &lr, d, in->width, label_col, pal, edge, col0);
    }
}

/* Mask mode: (a, a, a), or in Y'CbCr a mapped to the range's black..white
 * with neutral chroma. */
static void grey(const disp_compositor *c, seg_image *out)
{
    int nt = c->nt, w = c->alpha_w, h = c->alpha_h, yuv = out->format == SEG_PIX_YUV420P;
    int limited = yuv && !out->full_range;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        const uint8_t *a = c->alpha + (size_t)y * c->alpha_w;
        uint8_t *o = out->data + (size_t)y * out->stride;
        if (yuv)
            disp_row_grey_y(a, o, w, limited ? 219 : 255, limited ? 16 : 0);
        else
            disp_row_grey(a, o, w);
    }
    if (yuv)
        for (int j = 0; j < seg_chroma_h(h); j++) {
            memset(out->cb + (size_t)j * out->cstride, 128, (size_t)seg_chroma_w(w));
            memset(out->cr + (size_t)j * out->cstride, 128, (size_t)seg_chroma_w(w));
        }
}

/* out = (a * in + (255 - a) * bg + 127) / 255 against a picture (bg != NULL,
 * the frame's size and format) or a constant colour (the frame's colours). */
static void blend(const disp_compositor *c, const seg_image *in, const seg_image *bg,
                  const uint8_t col[3], seg_image *out)
{
    int nt = c->nt;
    (void)nt;
    plane pl[3];
    int rows = frame_planes(c, in, out, pl);
    DISP_OMP_FOR
    for (int r = 0; r < rows; r++) {
        int y;
        const plane *p = plane_row(pl, r, &y);
        const uint8_t *pi = p->in + y * p->is, *a = p->a + y * p->as;
        uint8_t *o = p->out + y * p->os;
        if (bg) {
            size_t bs;
            const uint8_t *b = plane_data(bg, p->comp, &bs);
            disp_row_blend(pi, b + y * bs, a, o, p->w, p->bpp);
        } else {
            disp_row_blend_const(pi, col + p->comp, a, o, p->w, p->bpp);
        }
    }
}

static void to_rgba(const disp_compositor *c, const seg_image *in, seg_image *out)
{
    int nt = c->nt, w = in->width, h = in->height;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++)
        disp_row_rgba(in->data + (size_t)y * in->stride, c->alpha + (size_t)y * c->alpha_w,
                      out->data + (size_t)y * out->stride, w);
}

/* Blur mode: the background by normalised convolution on a grid (see
 * disp.h and DISP_BG_WEIGHT): bg = blur(in * u) / blur(u), per channel of
 * RGB or Y'CbCr. */
static int blur(disp_compositor *c, const seg_image *in, seg_image *out)
{
    int w = in->width, h = in->height, nt = c->nt, yuv = in->format == SEG_PIX_YUV420P;
    (void)nt;
    int R = c->opt.blur > 0 ? c->opt.blur : (h / 40 > 1 ? h / 40 : 1);
    /* A grid of about R/4: three box passes of radius r have a standard
     * deviation of sqrt(r (r + 1)) ~ r + 1/2 grid pixels, so r ~ R/s - 1/2,
     * about 3, and the bilinear upsampling of so smooth a picture is smooth. */
    int s = (int)lrint(R / 4.0);
    s = s < 1 ? 1 : (s > 8 ? 8 : s); /* wider blurs get a larger r */
    /* A YUV frame's chroma is upsampled from the grid by s/2: an even s
     * (the nearer one; r follows) keeps that an integer factor, which the
     * fast upsampler takes. */
    if (yuv && (s & 1) && s > 1)
        s += R / 4.0 > s ? 1 : -1;
    int r = (int)lrint((double)R / s - 0.5);
    r = r < 1 ? 1 : r;
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    size_t gn = (size_t)gw * (size_t)gh;
    float *p[5];
    if (disp_planes(c, 5, gn, p))
        return SEG_ERR_NOMEM;
    /* per thread: four rows of sums, and a YUV frame's chroma rows widened
     * to the luma width */
    size_t sums = 4 * sizeof(uint32_t) * (size_t)w, tbytes = sums + (yuv ? 2 * (size_t)w : 0);
    size_t stride = disp_tls_stride(tbytes);
    uint8_t *tls = disp_tls(c, tbytes);
    if (!tls)
        return SEG_ERR_NOMEM;
    /* Sums over full blocks, normalised so the weight is 0..1 and colours
     * times weight 0..255; a partial block at the border weighs less, as it
     * should. */
    float norm = 1.0f / ((255.0f * 256.0f + 1.0f) * (float)(s * s));
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++) {
        uint8_t *t = tls + stride * (size_t)disp_thread();
        uint32_t *acc = (uint32_t *)t;
        uint8_t *cb = t + sums, *cr = cb + w;
        memset(acc, 0, sums);
        int ya = gy * s, yb = ya + s < h ? ya + s : h;
        for (int y = ya; y < yb; y++) {
            const uint8_t *a = c->alpha + (size_t)y * c->alpha_w;
            if (!yuv) {
                disp_row_weighted(in->data + (size_t)y * in->stride, a, acc, w);
                continue;
            }
            if (y == ya || !(y & 1)) { /* a new chroma row */
                disp_row_widen2(in->cb + (size_t)(y >> 1) * in->cstride, cb, w);
                disp_row_widen2(in->cr + (size_t)(y >> 1) * in->cstride, cr, w);
            }
            disp_row_weighted_yuv(in->data + (size_t)y * in->stride, cb, cr, a, acc, w);
        }
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
    /* Interpolate each grid row across to the width of each plane and pack
     * it as bytes (RGB: one plane of three channels; YUV: Y, and Cb, Cr at
     * the chroma samples' centres, the middle of their 2x2 blocks); then
     * every row of a plane is a vertical blend of two of those and the
     * alpha blend. The chroma axes are the luma ones at half the
     * resolution, source (i + 1/2) 2/s - 1/2: upsampling by s/2 (an integer
     * but for s = 1, where chroma is the mean of two grid pixels). */
    plane pl[3];
    int rows = frame_planes(c, in, out, pl), np = yuv ? 3 : 1;
    size_t off[4] = {0}; /* packed rows of each plane, gh rows of w * bpp bytes */
    for (int i = 0; i < np; i++)
        off[i + 1] = off[i] + (size_t)gh * pl[i].w * pl[i].bpp;
    int cw = yuv ? pl[1].w : 0, ch = yuv ? pl[1].h : 0;
    if (disp_buf_reserve(&c->row_i0, sizeof(int) * ((size_t)h + ch)) ||
        disp_buf_reserve(&c->row_w8, sizeof(uint16_t) * ((size_t)h + ch)) ||
        disp_buf_reserve(&c->grid_i0, sizeof(int) * (size_t)cw) ||
        disp_buf_reserve(&c->grid_w, sizeof(float) * (size_t)cw) ||
        disp_buf_reserve(&c->rows, off[np]))
        return SEG_ERR_NOMEM;
    size_t fstride = disp_tls_stride(3 * sizeof(float) * (size_t)w);
    uint8_t *ftls = disp_tls(c, 3 * sizeof(float) * (size_t)w);
    if (!ftls)
        return SEG_ERR_NOMEM;
    disp_axis ay[2] = {{c->row_i0.p, NULL, c->row_w8.p},
                       {(int *)c->row_i0.p + h, NULL, (uint16_t *)c->row_w8.p + h}};
    disp_axis cx = {c->grid_i0.p, c->grid_w.p, NULL};
    disp_axis_fill(&ay[0], h, gh, 1.0 / s);
    if (yuv) {
        disp_axis_fill(&ay[1], ch, gh, 2.0 / s);
        if (s == 1)
            disp_axis_fill(&cx, cw, gw, 2.0);
    }
    uint8_t *packed = c->rows.p;
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++) {
        float *t = (float *)(ftls + fstride * (size_t)disp_thread());
        const float *g[3] = {p[0] + (size_t)gy * gw, p[1] + (size_t)gy * gw,
                             p[2] + (size_t)gy * gw};
        if (!yuv) {
            for (int k = 0; k < 3; k++)
                disp_row_up_f(g[k], gw, s, t + (size_t)k * w, w, 1.0f);
            disp_row_pack_rgb(t, t + w, t + 2 * (size_t)w, packed + (size_t)gy * w * 3, w);
            continue;
        }
        disp_row_up_f(g[0], gw, s, t, w, 1.0f);
        disp_row_pack(t, packed + (size_t)gy * w, w);
        for (int k = 1; k < 3; k++) {
            if (s > 1)
                disp_row_up_f(g[k], gw, s / 2, t, cw, 1.0f);
            else
                disp_row_hup_f(g[k], cx.i0, cx.w, t, cw, 1.0f);
            disp_row_pack(t, packed + off[k] + (size_t)gy * cw, cw);
        }
    }
    DISP_OMP_FOR
    for (int rr = 0; rr < rows; rr++) {
        int y;
        const plane *q = plane_row(pl, rr, &y);
        const disp_axis *ax = &ay[q->sub];
        int y0 = ax->i0[y], wy = ax->w8[y], y1 = wy ? y0 + 1 : y0;
        const uint8_t *b = packed + off[q->comp];
        size_t rb = (size_t)q->w * q->bpp;
        disp_row_blend_rows(q->in + y * q->is, b + y0 * rb, b + y1 * rb, wy, q->a + y * q->as,
                            q->out + y * q->os, q->w, q->bpp);
    }
    return SEG_OK;
}

/* One same-size mode from in to out (out may be in), RGB24 or YUV420P. */
static int draw(disp_compositor *c, disp_mode m, const seg_image *in, seg_image *out,
                const disp_input *inp)
{
    int st, yuv = in->format == SEG_PIX_YUV420P;
    uint8_t col[3];
    if (yuv && m != DISP_MODE_MASK && (st = chroma_alpha(c)))
        return st;
    switch (m) {
    case DISP_MODE_OVERLAY:
        if (inp->labels) {
            if (disp_buf_reserve(&c->label_col, sizeof(int) * (size_t)in->width))
                return SEG_ERR_NOMEM;
            int *label_col = c->label_col.p;
            for (int x = 0; x < in->width; x++) {
                int v = (int)(((double)x + 0.5) * inp->mask_w / in->width);
                label_col[x] = v < inp->mask_w ? v : inp->mask_w - 1;
            }
        }
        {
            const uint8_t (*edge)[3] = NULL;
            const uint8_t (*pal)[3] = inp->labels ? palette(c, in, &edge) : NULL;
            overlay(c, in, out, colour(in, c->opt.color, col), pal, edge, inp->labels,
                    inp->mask_w, inp->mask_h);
        }
        return SEG_OK;
    case DISP_MODE_MASK: grey(c, out); return SEG_OK;
    case DISP_MODE_BLUR: return blur(c, in, out);
    case DISP_MODE_REPLACE: {
        const seg_image *bg = NULL;
        if ((st = yuv ? background_yuv(c, inp->background, in, &bg)
                      : background_for(c, inp->background, in->width, in->height, &bg)))
            return st;
        blend(c, in, bg, NULL, out);
        return SEG_OK;
    }
    case DISP_MODE_MATTE:
        blend(c, in, NULL, colour(in, c->opt.matte_color, col), out);
        return SEG_OK;
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
    if (!c || !in || !out || !in->frame ||
        !(image_ok(in->frame, SEG_PIX_RGB24) || image_ok(in->frame, SEG_PIX_YUV420P)) ||
        !in->mask || in->mask_w < 1 || in->mask_h < 1 || in->mask_w > SEG_MAX_DIM ||
        in->mask_h > SEG_MAX_DIM || (long long)in->mask_w * in->mask_h > SEG_MAX_PIXELS)
        return SEG_ERR_INVALID;
    const seg_image *f = in->frame;
    int w = f->width, h = f->height, ow, oh, st;
    seg_pixfmt ofmt;
    disp_mode mode = c->opt.mode;
    if ((st = disp_output_size_for(mode, f->format, w, h, &ow, &oh, &ofmt)))
        return st;
    if (!out->data) {
        if ((st = seg_image_alloc(out, ow, oh, ofmt)))
            return st;
    } else if (!image_ok(out, ofmt) || out->width != ow || out->height != oh) {
        return SEG_ERR_INVALID;
    }
    if (ofmt == SEG_PIX_YUV420P) { /* f may be out */
        out->matrix = f->matrix;
        out->full_range = f->full_range;
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
        if ((st = draw(c, c->opt.side_mode, f, &panel, in)))
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
    return disp_output_prepare_for(c, w, h, SEG_PIX_RGB24, out);
}

int disp_output_prepare_for(const disp_compositor *c, int w, int h, seg_pixfmt in_format,
                            seg_image *out)
{
    int ow, oh, st;
    seg_pixfmt f;
    if (!c || !out)
        return SEG_ERR_INVALID;
    if ((st = disp_output_size_for(c->opt.mode, in_format, w, h, &ow, &oh, &f)))
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
        *width = c ? c->alpha_w : 0;
    if (height)
        *height = c ? c->alpha_h : 0;
    return c && c->alpha_w ? c->alpha : NULL;
}

int disp_compositor_mask_image(const disp_compositor *c, seg_image *view)
{
    if (!c || !view || !c->alpha_w)
        return SEG_ERR_INVALID;
    memset(view, 0, sizeof *view);
    view->data = c->alpha;
    view->width = c->alpha_w;
    view->height = c->alpha_h;
    view->stride = c->alpha_w;
    view->format = SEG_PIX_GRAY8;
    view->pts = c->pts;
    view->index = c->index;
    return SEG_OK;
}
