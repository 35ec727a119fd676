/* disp_legend.c - the class legend drawn into a frame (see disp.h). */
#include <string.h>

#include "disp_internal.h"

/* Layout, in font pixels (px frame pixels each): a line is a swatch and the
 * name, 8 high, 10 apart; the box has 3 of padding and sits 4 from the
 * frame's top and right edges. A glyph is 5x7 in a 6-wide cell. */
enum { LG_MARGIN = 4, LG_PAD = 3, LG_LINE = 10, LG_SWATCH = 8, LG_GAP = 3, LG_CELL = 6 };

/* How much of the scene shows through the box: 96/256, dark enough for white
 * text on snow, light enough to see what is under it. */
#define LG_KEEP 96

static int font_px(int h)
{
    int px = (h + 100) / 200; /* 342 rows: 2, 576: 3, 720: 4, 1080: 5 */
    return px < 1 ? 1 : px;
}

static int name_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > DISP_LEGEND_MAX_CHARS ? DISP_LEGEND_MAX_CHARS : (int)n;
}

int disp_legend_box(int w, int h, const disp_legend_entry *e, int n, int box[4])
{
    box[0] = box[1] = box[2] = box[3] = 0;
    if (w < 1 || h < 1 || n < 1 || !e)
        return 0;
    int px = font_px(h), chars = 1;
    for (int i = 0; i < n; i++)
        chars = name_len(e[i].name) > chars ? name_len(e[i].name) : chars;
    /* Lines that fit in the frame's height; the rest are left out. */
    int avail = h - 2 * LG_MARGIN * px - 2 * LG_PAD * px - LG_SWATCH * px;
    int lines = avail < 0 ? 0 : 1 + avail / (LG_LINE * px);
    if (lines > n)
        lines = n;
    if (lines < 1)
        return 0;
    int bw = (2 * LG_PAD + LG_SWATCH + LG_GAP + chars * LG_CELL - 1) * px;
    int bh = (2 * LG_PAD + (lines - 1) * LG_LINE + LG_SWATCH) * px;
    box[0] = w - LG_MARGIN * px - bw;
    box[1] = LG_MARGIN * px;
    if (box[0] < 0) { /* narrower than the legend: cut on the right */
        box[0] = 0;
        if (bw > w)
            bw = w;
    }
    box[2] = bw;
    box[3] = bh;
    return lines;
}

/* ==== pixels, in any of the frame formats ================================== */

/* A rectangle clipped to the frame; 0 when nothing is left. */
static int clip(const seg_image *im, int *x, int *y, int *w, int *h)
{
    int x1 = *x + *w, y1 = *y + *h;
    *x = *x < 0 ? 0 : *x;
    *y = *y < 0 ? 0 : *y;
    x1 = x1 > im->width ? im->width : x1;
    y1 = y1 > im->height ? im->height : y1;
    *w = x1 - *x;
    *h = y1 - *y;
    return *w > 0 && *h > 0;
}

/* Scale v towards @p zero by LG_KEEP/256. */
static uint8_t dim(uint8_t v, int zero)
{
    return (uint8_t)(zero + (((int)v - zero) * LG_KEEP) / 256);
}

/* Darken a rectangle (RGBA: and make it opaque, so it shows in editors
 * too). A YUV frame's chroma goes grey: the text is then white. A chroma
 * sample belongs to a rectangle when its block's top-left pixel does (the
 * compositor's rule for labels). */
static void shade(seg_image *im, int x, int y, int w, int h)
{
    if (!clip(im, &x, &y, &w, &h))
        return;
    if (im->format == SEG_PIX_YUV420P) {
        int black = im->full_range ? 0 : 16;
        for (int r = y; r < y + h; r++)
            for (int c = x; c < x + w; c++)
                im->data[(size_t)r * im->stride + c] = dim(im->data[(size_t)r * im->stride + c],
                                                           black);
        for (int r = (y + 1) / 2; 2 * r < y + h; r++)
            for (int c = (x + 1) / 2; 2 * c < x + w; c++) {
                im->cb[(size_t)r * im->cstride + c] = 128;
                im->cr[(size_t)r * im->cstride + c] = 128;
            }
        return;
    }
    int bpp = seg_pixfmt_bpp(im->format);
    for (int r = y; r < y + h; r++) {
        uint8_t *p = im->data + (size_t)r * im->stride + (size_t)x * bpp;
        for (int c = 0; c < w; c++, p += bpp) {
            for (int k = 0; k < 3; k++)
                p[k] = dim(p[k], 0);
            if (bpp == 4)
                p[3] = 255;
        }
    }
}

/* Fill a rectangle with an RGB colour (@p yuv: the same in the frame's
 * Y'CbCr). */
static void fill(seg_image *im, int x, int y, int w, int h, const uint8_t rgb[3],
                 const uint8_t yuv[3])
{
    if (!clip(im, &x, &y, &w, &h))
        return;
    if (im->format == SEG_PIX_YUV420P) {
        for (int r = y; r < y + h; r++)
            memset(im->data + (size_t)r * im->stride + x, yuv[0], (size_t)w);
        for (int r = (y + 1) / 2; 2 * r < y + h; r++)
            for (int c = (x + 1) / 2; 2 * c < x + w; c++) {
                im->cb[(size_t)r * im->cstride + c] = yuv[1];
                im->cr[(size_t)r * im->cstride + c] = yuv[2];
            }
        return;
    }
    int bpp = seg_pixfmt_bpp(im->format);
    for (int r = y; r < y + h; r++) {
        uint8_t *p = im->data + (size_t)r * im->stride + (size_t)x * bpp;
        for (int c = 0; c < w; c++, p += bpp) {
            memcpy(p, rgb, 3);
            if (bpp == 4)
                p[3] = 255;
        }
    }
}

int disp_legend_draw(seg_image *im, const disp_legend_entry *e, int n)
{
    if (!im || !im->data || im->width < 1 || im->height < 1 || n < 0 || (n > 0 && !e) ||
        (im->format != SEG_PIX_RGB24 && im->format != SEG_PIX_RGBA &&
         im->format != SEG_PIX_YUV420P) ||
        (im->format == SEG_PIX_YUV420P && (!im->cb || !im->cr)))
        return SEG_ERR_INVALID;
    int box[4];
    int lines = disp_legend_box(im->width, im->height, e, n, box);
    if (!lines)
        return SEG_OK;
    int px = font_px(im->height), yuv = im->format == SEG_PIX_YUV420P;
    static const uint8_t white[3] = {255, 255, 255};
    uint8_t white_yuv[3], col_yuv[3];
    if (yuv)
        seg_rgb_to_yuv(white, im->matrix, im->full_range != 0, white_yuv);
    shade(im, box[0], box[1], box[2], box[3]);
    int x0 = box[0] + LG_PAD * px;
    for (int i = 0; i < lines; i++) {
        int y = box[1] + (LG_PAD + i * LG_LINE) * px;
        /* The swatch: a white frame (dark colours such as VOC's (64,0,0)
         * still stand out from the box) around the class colour. */
        int b = px > 1 ? px / 2 : 1, s = LG_SWATCH * px;
        if (yuv)
            seg_rgb_to_yuv(e[i].rgb, im->matrix, im->full_range != 0, col_yuv);
        fill(im, x0, y, s, s, white, white_yuv);
        fill(im, x0 + b, y + b, s - 2 * b, s - 2 * b, e[i].rgb, col_yuv);
        /* The name, vertically centred on the swatch. */
        int tx = x0 + (LG_SWATCH + LG_GAP) * px, ty = y + px / 2, len = name_len(e[i].name);
        for (int k = 0; k < len; k++, tx += LG_CELL * px) {
            const uint8_t *g = disp_font_glyph(e[i].name[k]);
            for (int r = 0; g && r < 7; r++)
                for (int c = 0; c < 5; c++)
                    if (g[r] & (0x10 >> c))
                        fill(im, tx + c * px, ty + r * px, px, px, white, white_yuv);
        }
    }
    return SEG_OK;
}
