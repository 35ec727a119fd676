/* seg_fit.c - see seg_fit.h. */
#include "seg_fit.h"

#include <math.h>
#include <string.h>

#include "disp.h"

static const char *const FIT_NAMES[] = {"stretch", "letterbox", "crop"};
_Static_assert(sizeof(FIT_NAMES) / sizeof(FIT_NAMES[0]) == SEG_FIT_COUNT, "name every seg_fit");
static const char *const FIND_NAMES[] = {"none", "pose", "auto"};
_Static_assert(sizeof(FIND_NAMES) / sizeof(FIND_NAMES[0]) == SEG_FIND_COUNT,
               "name every seg_find");

/* The index of @p name in names[0..n-1], or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *seg_fit_name(seg_fit f)
{
    return ((int)f >= 0 && f < SEG_FIT_COUNT) ? FIT_NAMES[f] : NULL;
}

int seg_fit_parse(const char *name)
{
    return name_index(FIT_NAMES, SEG_FIT_COUNT, name);
}

const char *seg_find_name(seg_find f)
{
    return ((int)f >= 0 && f < SEG_FIND_COUNT) ? FIND_NAMES[f] : NULL;
}

int seg_find_parse(const char *name)
{
    return name_index(FIND_NAMES, SEG_FIND_COUNT, name);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void seg_fit_geometry(seg_fit fit, int fw, int fh, nn_shape in, nn_shape out, seg_fit_geom *g)
{
    memset(g, 0, sizeof *g);
    g->fit = fit;
    g->frame_w = fw;
    g->frame_h = fh;
    g->src_w = fw;
    g->src_h = fh;
    g->dst_w = in.w;
    g->dst_h = in.h;
    g->mask_w = out.w;
    g->mask_h = out.h;
    if (fit == SEG_FIT_LETTERBOX) {
        double s = fmin((double)in.w / fw, (double)in.h / fh);
        g->dst_w = clampi((int)lround(fw * s), 1, in.w);
        g->dst_h = clampi((int)lround(fh * s), 1, in.h);
        g->dst_x = (in.w - g->dst_w) / 2;
        g->dst_y = (in.h - g->dst_h) / 2;
        /* The same rectangle in the model output's grid. */
        int x0 = (int)lround((double)g->dst_x * out.w / in.w);
        int x1 = (int)lround((double)(g->dst_x + g->dst_w) * out.w / in.w);
        int y0 = (int)lround((double)g->dst_y * out.h / in.h);
        int y1 = (int)lround((double)(g->dst_y + g->dst_h) * out.h / in.h);
        g->mx = clampi(x0, 0, out.w - 1);
        g->my = clampi(y0, 0, out.h - 1);
        g->mask_w = clampi(x1, g->mx + 1, out.w) - g->mx;
        g->mask_h = clampi(y1, g->my + 1, out.h) - g->my;
    } else if (fit == SEG_FIT_CROP) {
        disp_cover_rect(fw, fh, in.w, in.h, &g->src_x, &g->src_y, &g->src_w, &g->src_h);
        g->src_w = clampi(g->src_w, 1, fw);
        g->src_h = clampi(g->src_h, 1, fh);
        g->src_x = clampi(g->src_x, 0, fw - g->src_w);
        g->src_y = clampi(g->src_y, 0, fh - g->src_h);
        /* The output covers the crop; widen it, at its own scale, to the frame. */
        g->mask_w = clampi((int)lround((double)out.w * fw / g->src_w), out.w, SEG_MAX_DIM);
        g->mask_h = clampi((int)lround((double)out.h * fh / g->src_h), out.h, SEG_MAX_DIM);
        g->mx = clampi((int)lround((double)out.w * g->src_x / g->src_w), 0, g->mask_w - out.w);
        g->my = clampi((int)lround((double)out.h * g->src_y / g->src_h), 0, g->mask_h - out.h);
    }
}

void seg_region_grid(int fw, int fh, int *gw, int *gh)
{
    int k = ((fw > fh ? fw : fh) + SEG_REGION_GRID - 1) / SEG_REGION_GRID;
    *gw = (fw + k - 1) / k;
    *gh = (fh + k - 1) / k;
}

void seg_fit_place_mask(const seg_fit_geom *g, int ow, int oh, const float *m, const uint8_t *l,
                        float *mask, uint8_t *labels)
{
    if (g->fit == SEG_FIT_LETTERBOX) {
        for (int y = 0; y < g->mask_h; y++) {
            size_t so = (size_t)(g->my + y) * ow + g->mx, d = (size_t)y * g->mask_w;
            memcpy(mask + d, m + so, (size_t)g->mask_w * sizeof(float));
            if (l)
                memcpy(labels + d, l + so, (size_t)g->mask_w);
        }
        return;
    }
    /* crop: background (0, label 0) around the model's output */
    for (int y = 0; y < g->mask_h; y++) {
        float *mr = mask + (size_t)y * g->mask_w;
        uint8_t *lr = l ? labels + (size_t)y * g->mask_w : NULL;
        int in = y >= g->my && y < g->my + oh;
        if (!in) {
            memset(mr, 0, (size_t)g->mask_w * sizeof(float));
            if (lr)
                memset(lr, 0, (size_t)g->mask_w);
            continue;
        }
        memset(mr, 0, (size_t)g->mx * sizeof(float));
        memcpy(mr + g->mx, m + (size_t)(y - g->my) * ow, (size_t)ow * sizeof(float));
        memset(mr + g->mx + ow, 0, (size_t)(g->mask_w - g->mx - ow) * sizeof(float));
        if (lr) {
            memset(lr, 0, (size_t)g->mx);
            memcpy(lr + g->mx, l + (size_t)(y - g->my) * ow, (size_t)ow);
            memset(lr + g->mx + ow, 0, (size_t)(g->mask_w - g->mx - ow));
        }
    }
}
