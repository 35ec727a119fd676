/* disp_composite.c - mask upsampling and the compositing modes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disp.h"

static const char *const MODE_NAMES[DISP_MODE_COUNT] = {"overlay", "mask"};
_Static_assert(sizeof(MODE_NAMES) / sizeof(MODE_NAMES[0]) == DISP_MODE_COUNT,
               "name every disp_mode");

const char *disp_mode_name(disp_mode m)
{
    return (m >= 0 && m < DISP_MODE_COUNT) ? MODE_NAMES[m] : NULL;
}

int disp_mode_parse(const char *name)
{
    for (int i = 0; i < DISP_MODE_COUNT; i++)
        if (name && strcmp(name, MODE_NAMES[i]) == 0)
            return i;
    return -1;
}

disp_options disp_options_default(void)
{
    disp_options o;
    memset(&o, 0, sizeof o);
    o.mode = DISP_MODE_OVERLAY;
    o.color[0] = 0;
    o.color[1] = 255;
    o.color[2] = 0;
    o.opacity = 0.5f;
    return o;
}

struct disp_compositor {
    disp_options opt;
    uint8_t *alpha; /* frame-sized 8-bit mask */
    int aw, ah;
    int *x0;        /* per output column: left source column, */
    float *wx;      /* and the weight of the right one */
};

int disp_compositor_create(disp_compositor **out, const disp_options *opt)
{
    *out = NULL;
    if (!opt || opt->mode < 0 || opt->mode >= DISP_MODE_COUNT || !(opt->opacity >= 0.0f) ||
        opt->opacity > 1.0f)
        return SEG_ERR_INVALID;
    disp_compositor *c = calloc(1, sizeof(*c));
    if (!c)
        return SEG_ERR_NOMEM;
    c->opt = *opt;
    *out = c;
    return SEG_OK;
}

void disp_compositor_free(disp_compositor **pc)
{
    if (!pc || !*pc)
        return;
    free((*pc)->alpha);
    free((*pc)->x0);
    free((*pc)->wx);
    free(*pc);
    *pc = NULL;
}

static int ensure_size(disp_compositor *c, int w, int h)
{
    if (c->aw == w && c->ah == h)
        return SEG_OK;
    free(c->alpha);
    free(c->x0);
    free(c->wx);
    c->alpha = malloc((size_t)w * (size_t)h);
    c->x0 = malloc(sizeof(int) * (size_t)w);
    c->wx = malloc(sizeof(float) * (size_t)w);
    if (!c->alpha || !c->x0 || !c->wx) {
        free(c->alpha);
        free(c->x0);
        free(c->wx);
        c->alpha = NULL;
        c->x0 = NULL;
        c->wx = NULL;
        c->aw = c->ah = 0;
        return SEG_ERR_NOMEM;
    }
    c->aw = w;
    c->ah = h;
    return SEG_OK;
}

/* Source coordinate of destination index d with half-pixel centres, split
 * into a clamped left index and the weight of its right neighbour. */
static void coord(int d, int src, int dst, int *i0, float *w)
{
    float s = ((float)d + 0.5f) * (float)src / (float)dst - 0.5f;
    if (s <= 0.0f) {
        *i0 = 0;
        *w = 0.0f;
        return;
    }
    int i = (int)s;
    if (i >= src - 1) {
        *i0 = src - 1;
        *w = 0.0f;
        return;
    }
    *i0 = i;
    *w = s - (float)i;
}

static inline uint8_t to_u8(float p)
{
    float v = p * 255.0f + 0.5f;
    return v <= 0.0f ? 0 : (v >= 255.0f ? 255 : (uint8_t)v);
}

void disp_upsample_mask(const float *mask, int mw, int mh, uint8_t *alpha, int dw, int dh,
                        int alpha_stride)
{
    for (int y = 0; y < dh; y++) {
        int y0;
        float wy;
        coord(y, mh, dh, &y0, &wy);
        int y1 = y0 + (wy > 0.0f);
        const float *r0 = mask + (size_t)y0 * mw, *r1 = mask + (size_t)y1 * mw;
        uint8_t *o = alpha + (size_t)y * alpha_stride;
        for (int x = 0; x < dw; x++) {
            int x0;
            float wx;
            coord(x, mw, dw, &x0, &wx);
            int x1 = x0 + (wx > 0.0f);
            float top = r0[x0] + (r0[x1] - r0[x0]) * wx;
            float bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
            o[x] = to_u8(top + (bot - top) * wy);
        }
    }
}

/* The fast twin of disp_upsample_mask: column coordinates computed once per
 * frame size, rows blended first. Same rounding, so the same bytes. */
static void upsample(disp_compositor *c, const float *mask, int mw, int mh)
{
    int dw = c->aw, dh = c->ah;
    for (int x = 0; x < dw; x++)
        coord(x, mw, dw, &c->x0[x], &c->wx[x]);
    for (int y = 0; y < dh; y++) {
        int y0;
        float wy;
        coord(y, mh, dh, &y0, &wy);
        int y1 = y0 + (wy > 0.0f);
        const float *r0 = mask + (size_t)y0 * mw, *r1 = mask + (size_t)y1 * mw;
        uint8_t *o = c->alpha + (size_t)y * dw;
        for (int x = 0; x < dw; x++) {
            int x0 = c->x0[x];
            float wx = c->wx[x];
            int x1 = x0 + (wx > 0.0f);
            float top = r0[x0] + (r0[x1] - r0[x0]) * wx;
            float bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
            o[x] = to_u8(top + (bot - top) * wy);
        }
    }
}

static void overlay(const disp_compositor *c, seg_image *f)
{
    /* out = in + (colour - in) * a * opacity, in 8.8 fixed point. */
    int k = (int)lrintf(c->opt.opacity * 256.0f);
    int cr = c->opt.color[0], cg = c->opt.color[1], cb = c->opt.color[2];
    for (int y = 0; y < f->height; y++) {
        uint8_t *p = f->data + (size_t)y * f->stride;
        const uint8_t *a = c->alpha + (size_t)y * c->aw;
        for (int x = 0; x < f->width; x++, p += 3) {
            int t = (a[x] * k + 127) / 255; /* 0..256 */
            p[0] = (uint8_t)(p[0] + (((cr - p[0]) * t) >> 8));
            p[1] = (uint8_t)(p[1] + (((cg - p[1]) * t) >> 8));
            p[2] = (uint8_t)(p[2] + (((cb - p[2]) * t) >> 8));
        }
    }
}

static void grey(const disp_compositor *c, seg_image *f)
{
    for (int y = 0; y < f->height; y++) {
        uint8_t *p = f->data + (size_t)y * f->stride;
        const uint8_t *a = c->alpha + (size_t)y * c->aw;
        for (int x = 0; x < f->width; x++, p += 3)
            p[0] = p[1] = p[2] = a[x];
    }
}

int disp_composite(disp_compositor *c, seg_image *frame, const float *mask, int mw, int mh)
{
    if (!c || !frame || !frame->data || frame->format != SEG_PIX_RGB24 || !mask || mw < 1 ||
        mh < 1 || frame->width < 1 || frame->height < 1)
        return SEG_ERR_INVALID;
    int st = ensure_size(c, frame->width, frame->height);
    if (st)
        return st;
    upsample(c, mask, mw, mh);
    switch (c->opt.mode) {
    case DISP_MODE_OVERLAY: overlay(c, frame); break;
    case DISP_MODE_MASK: grey(c, frame); break;
    default: return SEG_ERR_INVALID;
    }
    return SEG_OK;
}

const uint8_t *disp_compositor_alpha(const disp_compositor *c, int *width, int *height)
{
    if (width)
        *width = c->aw;
    if (height)
        *height = c->ah;
    return c->alpha;
}
