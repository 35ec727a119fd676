/* disp_kernels.c - the grid kernels behind the refinement and the blur:
 * block-mean downscaling, separable box filters, bilinear resampling.
 *
 * Row loops are split over OpenMP threads; every split writes disjoint rows
 * or column strips and sums in a fixed order, so the bytes do not depend on
 * the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disp_internal.h"

/* ==== scratch buffers and axes ========================================== */

int disp_buf_reserve(disp_buf *b, size_t bytes)
{
    if (bytes <= b->cap)
        return SEG_OK;
    /* 64-byte aligned, size rounded up: rows are read with vector loads. */
    size_t size = (bytes + 63u) & ~(size_t)63u;
    void *p = aligned_alloc(64, size);
    if (!p)
        return SEG_ERR_NOMEM;
    free(b->p);
    b->p = p;
    b->cap = size;
    return SEG_OK;
}

void disp_buf_free(disp_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

int disp_planes(disp_compositor *c, int n, size_t count, float **p)
{
    for (int i = 0; i < n; i++) {
        if (disp_buf_reserve(&c->plane[i], sizeof(float) * count))
            return SEG_ERR_NOMEM;
        p[i] = c->plane[i].p;
    }
    return SEG_OK;
}

void *disp_tls(disp_compositor *c, size_t bytes)
{
    if (disp_buf_reserve(&c->tls, disp_tls_stride(bytes) * (size_t)c->nt))
        return NULL;
    return c->tls.p;
}

/* Source index and right-neighbour weight of destination index d. */
static void axis_at(int d, int n_src, double scale, int *i0, float *w)
{
    double s = ((double)d + 0.5) * scale - 0.5;
    int i = 0;
    *w = 0.0f;
    if (s > 0.0) {
        i = (int)s;
        *w = (float)(s - (double)i);
        if (i >= n_src - 1) {
            i = n_src - 1;
            *w = 0.0f;
        }
    }
    *i0 = i;
}

void disp_axis_fill(disp_axis *ax, int n_dst, int n_src, double scale)
{
    for (int d = 0; d < n_dst; d++) {
        float w;
        axis_at(d, n_src, scale, &ax->i0[d], &w);
        if (ax->w)
            ax->w[d] = w;
        if (ax->w8)
            ax->w8[d] = (uint16_t)lrintf(w * 256.0f);
    }
}

int disp_grid_factor(int w, int h)
{
    int m = w < h ? w : h;
    int s = (m + 128) / 256;
    return s < 1 ? 1 : (s > 8 ? 8 : s);
}

/* ==== box filters ======================================================= */

/* Columns per vertical strip: the strip's running sums live in a local
 * double array of this size. */
#define STRIP 64

/* Separable box of radius r, zero padded, summed in a fixed order (the same
 * bytes for any thread count). mean != 0 divides by the number of in-plane
 * samples (a true local mean, edges not darkened); else by (2r+1)^2 (a
 * normalised convolution's numerator and denominator scale alike). */
static int box2d(disp_compositor *c, const float *src, float *dst, float *tmp, int gw, int gh,
                 int r, int mean)
{
    int nt = c->nt;
    (void)nt;
    if (disp_buf_reserve(&c->box_w, sizeof(float) * (size_t)gw))
        return SEG_ERR_NOMEM;
    float *kx = c->box_w.p;
    for (int x = 0; x < gw; x++) {
        int lo = x - r < 0 ? 0 : x - r, hi = x + r >= gw ? gw - 1 : x + r;
        kx[x] = mean ? 1.0f / (float)(hi - lo + 1) : 1.0f / (float)(2 * r + 1);
    }
    /* across: each output a sum of 2r+1 inputs, vectorised over x */
    DISP_OMP_FOR
    for (int y = 0; y < gh; y++)
        disp_row_box(src + (size_t)y * gw, tmp + (size_t)y * gw, gw, r);
    /* down: running sums in double (no drift over a column), vectorised
     * over a strip of columns; strips are split over the threads */
    int strips = (gw + STRIP - 1) / STRIP;
    DISP_OMP_FOR
    for (int si = 0; si < strips; si++) {
        int c0 = si * STRIP, n = gw - c0 < STRIP ? gw - c0 : STRIP;
        double acc[STRIP];
        for (int i = 0; i < n; i++)
            acc[i] = 0.0;
        for (int k = 0; k <= r && k < gh; k++)
            disp_strip_add(acc, tmp + (size_t)k * gw + c0, n);
        for (int y = 0; y < gh; y++) {
            int lo = y - r < 0 ? 0 : y - r, hi = y + r >= gh ? gh - 1 : y + r;
            float ky = mean ? 1.0f / (float)(hi - lo + 1) : 1.0f / (float)(2 * r + 1);
            disp_strip_out(acc, kx + c0, ky, dst + (size_t)y * gw + c0, n);
            if (y + r + 1 < gh)
                disp_strip_add(acc, tmp + (size_t)(y + r + 1) * gw + c0, n);
            if (y - r >= 0)
                disp_strip_sub(acc, tmp + (size_t)(y - r) * gw + c0, n);
        }
    }
    return SEG_OK;
}

int disp_box_sum(disp_compositor *c, const float *src, float *dst, float *tmp, int gw, int gh,
                 int r)
{
    return box2d(c, src, dst, tmp, gw, gh, r, 0);
}

int disp_box_mean(disp_compositor *c, const float *src, float *dst, float *tmp, int gw, int gh,
                  int r)
{
    return box2d(c, src, dst, tmp, gw, gh, r, 1);
}

/* ==== resampling ======================================================== */

int disp_resample_f(disp_compositor *c, const float *src, int sw, int sh, float *dst,
                    size_t ds, int dw, int dh, double sx, double sy)
{
    size_t tstride = disp_tls_stride(sizeof(float) * ((size_t)sw + 1));
    uint8_t *tls = disp_tls(c, sizeof(float) * ((size_t)sw + 1));
    if (!tls || disp_buf_reserve(&c->grid_i0, sizeof(int) * (size_t)dw) ||
        disp_buf_reserve(&c->grid_w, sizeof(float) * (size_t)dw))
        return SEG_ERR_NOMEM;
    disp_axis ax = {c->grid_i0.p, c->grid_w.p, NULL};
    disp_axis_fill(&ax, dw, sw, sx);
    int nt = c->nt;
    (void)nt;
    DISP_OMP_FOR
    for (int y = 0; y < dh; y++) {
        int y0;
        float wy;
        axis_at(y, sh, sy, &y0, &wy);
        /* down first, across the source width (contiguous, vectorised),
         * into a row with its last sample repeated after it, then across:
         * one indexed pass per output row */
        const float *row = src + (size_t)y0 * sw;
        float *t = (float *)(tls + tstride * (size_t)disp_thread());
        if (wy > 0.0f)
            disp_row_lerp(row, row + sw, wy, t, sw);
        else
            memcpy(t, row, sizeof(float) * (size_t)sw);
        t[sw] = t[sw - 1];
        disp_row_hup_pad(t, ax.i0, ax.w, dst + (size_t)y * ds, dw);
    }
    return SEG_OK;
}
