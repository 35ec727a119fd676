/* disp_refine.c - from the model's probability map to the frame-sized alpha:
 * temporal smoothing, bilinear or guided upsampling, threshold, feather.
 * (The steps and their order are described in disp.h.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disp_internal.h"

/* The guided filter's regulariser, in (luma 0..1)^2 units: an edge in the
 * picture steers the mask where the local luma variance is well above it
 * (a step of about 0.02, 5 grey levels); flat areas just smooth it. Chosen
 * by eye on the sample pictures against 1e-3 (softer edges, hair lost). */
#define GUIDED_EPS 1e-4f

/* Pixels per chunk in the guided filter's plain-area skip. */
#define CHUNK 64

static inline float clamp01(float p)
{
    /* !(p > 0) also catches NaN. */
    return !(p > 0.0f) ? 0.0f : (p > 1.0f ? 1.0f : p);
}

static inline uint8_t to_u8(float p)
{
    float v = p * 255.0f + 0.5f;
    return v <= 0.0f ? 0 : (v >= 255.0f ? 255 : (uint8_t)v);
}

/* ==== 1. temporal smoothing ============================================= */

/* How unsure the model is at p: 1 at 0.5, 0 at 0 and 1, and small already at
 * 0.1 / 0.9 (0.13), so a confident change passes almost untouched. */
static inline float uncertainty(float p)
{
    float c = 2.0f * p - 1.0f;
    float u = 1.0f - c * c;
    return u * u;
}

static int smooth_mask(disp_compositor *c, const float *mask, int mw, int mh)
{
    size_t n = (size_t)mw * (size_t)mh;
    if (n * sizeof(float) > c->sm_cap) {
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        if (!a || !b) {
            free(a);
            free(b);
            return SEG_ERR_NOMEM;
        }
        free(c->sm);
        free(c->hist);
        c->sm = a;
        c->hist = b;
        c->sm_cap = n * sizeof(float);
        c->hw = c->hh = 0; /* history lost with the old buffer */
    }
    float k = c->opt.smooth;
    if (k > 0.0f && c->hw == mw && c->hh == mh) {
        const float *prev = c->hist;
        for (size_t i = 0; i < n; i++) {
            float p = clamp01(mask[i]);
            c->sm[i] = p + (prev[i] - p) * (k * uncertainty(p));
        }
    } else {
        for (size_t i = 0; i < n; i++)
            c->sm[i] = clamp01(mask[i]);
    }
    /* This frame's map becomes the history: swap, no copy. */
    float *t = c->hist;
    c->hist = c->sm;
    c->sm = t;
    c->hw = mw;
    c->hh = mh;
    return SEG_OK;
}

/* ==== 2a. bilinear upsampling =========================================== */

/* Source coordinate of destination index d with half-pixel centres, split
 * into a clamped left index and the weight of its right neighbour. Float
 * arithmetic exactly as disp_upsample_mask(), so the bytes agree. */
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

/* The fast twin of disp_upsample_mask: every mask row is first interpolated
 * across to the frame width (the same `top`/`bot` values the reference
 * computes), then each frame row is one vectorisable blend of two of them.
 * Same operations in the same order, so the same bytes. */
static int bilinear(disp_compositor *c, int w, int h)
{
    const float *m = c->hist;
    int mw = c->hw, mh = c->hh, nt = c->nt;
    (void)nt;
    if (disp_buf_reserve(&c->xi0, sizeof(int) * (size_t)w) ||
        disp_buf_reserve(&c->xw, sizeof(float) * (size_t)w) ||
        disp_buf_reserve(&c->rows, sizeof(float) * (size_t)w * (size_t)mh))
        return SEG_ERR_NOMEM;
    int *x0 = c->xi0.p;
    float *wx = c->xw.p, *rows = c->rows.p;
    for (int x = 0; x < w; x++)
        coord(x, mw, w, &x0[x], &wx[x]);
    DISP_OMP_FOR
    for (int y = 0; y < mh; y++)
        disp_row_hup_f(m + (size_t)y * mw, x0, wx, rows + (size_t)y * w, w, 1.0f);
    float thr = c->opt.threshold;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        int y0;
        float wy;
        coord(y, mh, h, &y0, &wy);
        int y1 = y0 + (wy > 0.0f);
        disp_row_bilinear(rows + (size_t)y0 * w, rows + (size_t)y1 * w, wy, thr,
                          c->alpha + (size_t)y * w, w);
    }
    return SEG_OK;
}

/* ==== 2b. guided upsampling ============================================= */

/* Fill a grid -> frame axis (factor s) into the frame-axis buffers. */
static int frame_axis(disp_buf *bi, disp_buf *bw, disp_buf *bw8, int n, int n_grid, int s,
                      disp_axis *ax)
{
    if (disp_buf_reserve(bi, sizeof(int) * (size_t)n) ||
        disp_buf_reserve(bw, sizeof(float) * (size_t)n) ||
        (bw8 && disp_buf_reserve(bw8, sizeof(uint16_t) * (size_t)n)))
        return SEG_ERR_NOMEM;
    ax->i0 = bi->p;
    ax->w = bw->p;
    ax->w8 = bw8 ? bw8->p : NULL;
    disp_axis_fill(ax, n, n_grid, 1.0 / (double)s);
    return SEG_OK;
}

/* Interpolate every grid row (factor s) across to the frame width, scaled
 * by k. */
static void hup_rows(const float *g, int gw, int gh, int s, float *rows, int w, float k, int nt)
{
    (void)nt;
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++)
        disp_row_up_f(g + (size_t)gy * gw, gw, s, rows + (size_t)gy * w, w, k);
}

/* Block means of an 8-bit plane (rows @p stride bytes apart) on a grid of
 * factor s, scaled by k: each thread sums the block's rows into its own row
 * of column sums, then the columns in blocks. With @p rgb, the plane is
 * first made from it (its luma, written to src). */
static int down_blocks(disp_compositor *c, const seg_image *rgb, uint8_t *src, size_t stride,
                       int w, int h, int s, float k, float *dst)
{
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s, nt = c->nt;
    (void)nt;
    size_t tstride = disp_tls_stride(sizeof(uint32_t) * (size_t)w);
    uint8_t *tls = disp_tls(c, sizeof(uint32_t) * (size_t)w);
    if (!tls)
        return SEG_ERR_NOMEM;
    DISP_OMP_FOR
    for (int gy = 0; gy < gh; gy++) {
        uint32_t *acc = (uint32_t *)(tls + tstride * (size_t)disp_thread());
        memset(acc, 0, sizeof(uint32_t) * (size_t)w);
        int ya = gy * s, yb = ya + s < h ? ya + s : h;
        for (int y = ya; y < yb; y++) {
            uint8_t *row = src + (size_t)y * stride;
            if (rgb)
                disp_row_luma(rgb->data + (size_t)y * rgb->stride, row, w);
            disp_row_acc_u8(row, acc, w);
        }
        /* means: divided by the block's pixel count (the last row and
         * column of blocks may be partial) */
        float *d = dst + (size_t)gy * gw;
        disp_row_blocks(acc, w, s, d, k / (float)(s * (yb - ya)));
        if (w % s)
            d[gw - 1] *= (float)s / (float)(w % s);
    }
    return SEG_OK;
}

static int guided(disp_compositor *c, const seg_image *f)
{
    int w = f->width, h = f->height, nt = c->nt;
    (void)nt;
    int s = disp_grid_factor(w, h);
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    size_t gn = (size_t)gw * (size_t)gh;
    float *p[9];
    if (disp_planes(c, 9, gn, p))
        return SEG_ERR_NOMEM;
    float *I = p[0], *P = p[1], *II = p[2], *IP = p[3], *mI = p[4], *mP = p[5], *mII = p[6],
          *mIP = p[7], *tmp = p[8];
    /* The guide: a YUV frame's own Y plane, or the luma of an RGB frame,
     * made here (kept at full size for the last step), as I = Y / span:
     * black to white is 1, the scale GUIDED_EPS is chosen for, also for
     * limited-range Y (16..235, span 219). Where black lies does not
     * matter: the filter works on local means and variances. */
    const seg_image *rgb = f->format == SEG_PIX_YUV420P ? NULL : f;
    uint8_t *Y = f->data;
    size_t ys = (size_t)f->stride;
    float span = !rgb && !f->full_range ? 219.0f : 255.0f;
    if (rgb) {
        if (disp_buf_reserve(&c->luma, (size_t)w * (size_t)h))
            return SEG_ERR_NOMEM;
        Y = c->luma.p;
        ys = (size_t)w;
    }

    /* Radius: one model pixel, in grid pixels. The window then spans the
     * model's uncertain band at the edge, while in flat places, where the
     * filter only smooths, the mask gets no softer than about two model
     * pixels (it is averaged twice over the window). */
    double cell = fmax((double)w / c->hw, (double)h / c->hh) / s;
    int r = (int)ceil(cell);
    r = r < 1 ? 1 : (r > 8 ? 8 : r);

    if (down_blocks(c, rgb, Y, ys, w, h, s, 1.0f / span, I) ||
        disp_resample_f(c, c->hist, c->hw, c->hh, P, gw, gh, (double)s * c->hw / w,
                        (double)s * c->hh / h))
        return SEG_ERR_NOMEM;
    float thr = c->opt.threshold;
    if (thr > 0.0f)
        for (size_t i = 0; i < gn; i++)
            P[i] = P[i] >= thr ? 1.0f : 0.0f;
    for (size_t i = 0; i < gn; i++) {
        II[i] = I[i] * I[i];
        IP[i] = I[i] * P[i];
    }
    if (disp_box_mean(c, I, mI, tmp, gw, gh, r) || disp_box_mean(c, P, mP, tmp, gw, gh, r) ||
        disp_box_mean(c, II, mII, tmp, gw, gh, r) || disp_box_mean(c, IP, mIP, tmp, gw, gh, r))
        return SEG_ERR_NOMEM;
    /* q = a * I + b per window, a = cov(I, p) / (var(I) + eps); then the
     * coefficients are averaged over the windows covering each pixel. */
    float *A = II, *B = IP;
    for (size_t i = 0; i < gn; i++) {
        float var = mII[i] - mI[i] * mI[i];
        float cov = mIP[i] - mI[i] * mP[i];
        float a = cov / (var + GUIDED_EPS);
        A[i] = a;
        B[i] = mP[i] - a * mI[i];
    }
    if (disp_box_mean(c, A, A, tmp, gw, gh, r) || disp_box_mean(c, B, B, tmp, gw, gh, r))
        return SEG_ERR_NOMEM;
    /* alpha = 255 (A I + B) = ga A Y + 255 B, Y the 8-bit guide, with the
     * gain ga = 255 / span (exactly 1 for a 0..255 guide). */
    float ga = 255.0f / span;

    disp_axis ay;
    if (frame_axis(&c->yi0, &c->yw, NULL, h, gh, s, &ay) ||
        disp_buf_reserve(&c->rows, sizeof(float) * (size_t)w * gh) ||
        disp_buf_reserve(&c->rows2, sizeof(float) * (size_t)w * gh))
        return SEG_ERR_NOMEM;
    float *Ah = c->rows.p, *Bh = c->rows2.p;
    hup_rows(A, gw, gh, s, Ah, w, ga, nt);
    hup_rows(B, gw, gh, s, Bh, w, 255.0f, nt);
    /* Most of a frame is plainly background or plainly foreground: where
     * every grid cell a chunk of 64 pixels interpolates from gives 0 (or
     * 255) for any luma, the chunk is filled without computing it: alpha
     * is linear in Y, so its extremes lie at Y = 0 and 255. The test holds
     * for the interpolated coefficients too: max(B, B + A) is convex and
     * min(B, B + A) concave in (A, B). The margins (2.4, 252.6
     * against the 2.5 / 252.5 that row_guided() snaps at) absorb rounding,
     * so the bytes are those of the full computation. */
    int nch = (w + CHUNK - 1) / CHUNK;
    if (disp_buf_reserve(&c->cls, gn + (size_t)gh * nch))
        return SEG_ERR_NOMEM;
    uint8_t *cls = c->cls.p, *chunk = cls + gn;
    for (size_t i = 0; i < gn; i++) {
        float b = 255.0f * B[i], e = b + 255.0f * ga * A[i];
        float lo = b < e ? b : e, hi = b < e ? e : b;
        cls[i] = hi < 2.4f ? 0 : (lo >= 252.6f ? 1 : 2);
    }
    for (int gy = 0; gy < gh; gy++)
        for (int k = 0; k < nch; k++) {
            int x1 = (k + 1) * CHUNK < w ? (k + 1) * CHUNK : w;
            int lo = k * CHUNK / s - 1, hi = (x1 - 1) / s + 1;
            lo = lo < 0 ? 0 : lo;
            hi = hi > gw - 1 ? gw - 1 : hi;
            const uint8_t *cr = cls + (size_t)gy * gw;
            uint8_t v = cr[lo];
            for (int g = lo + 1; g <= hi && v != 2; g++)
                v = cr[g] == v ? v : 2;
            chunk[(size_t)gy * nch + k] = v;
        }
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        int y0 = ay.i0[y], y1 = y0 + (ay.w[y] > 0.0f);
        const uint8_t *c0 = chunk + (size_t)y0 * nch, *c1 = chunk + (size_t)y1 * nch;
        uint8_t *o = c->alpha + (size_t)y * w;
        int run = -1; /* first chunk of a pending run to compute */
        for (int k = 0; k <= nch; k++) {
            int flat = k < nch && c0[k] == c1[k] && c0[k] != 2;
            if (k < nch && !flat) {
                if (run < 0)
                    run = k;
                continue;
            }
            if (run >= 0) {
                size_t x0 = (size_t)run * CHUNK;
                int n = (k * CHUNK < w ? k * CHUNK : w) - run * CHUNK;
                disp_row_guided(Ah + (size_t)y0 * w + x0, Ah + (size_t)y1 * w + x0,
                                Bh + (size_t)y0 * w + x0, Bh + (size_t)y1 * w + x0, ay.w[y],
                                Y + (size_t)y * ys + x0, o + x0, n);
                run = -1;
            }
            if (k < nch) {
                int x1 = (k + 1) * CHUNK < w ? (k + 1) * CHUNK : w;
                memset(o + (size_t)k * CHUNK, c0[k] ? 255 : 0, (size_t)(x1 - k * CHUNK));
            }
        }
    }
    return SEG_OK;
}

/* ==== 4. feather ======================================================== */

/* A box blur applied twice (a tent) of the alpha gives, across a straight
 * edge, 0.5 on the edge falling smoothly to 0 one tent radius out; doubling
 * it (outward) puts full alpha on the edge and the ramp outside, so the
 * foreground is never dimmed. Runs on a grid for wide feathers. */
static int feather(disp_compositor *c, int w, int h)
{
    int F = c->opt.feather, nt = c->nt;
    (void)nt;
    int s = F / 8;
    s = s < 1 ? 1 : (s > 8 ? 8 : s);
    int r = (F + s) / (2 * s);
    r = r < 1 ? 1 : r;
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    size_t gn = (size_t)gw * (size_t)gh;
    float *p[2];
    if (disp_planes(c, 2, gn, p) ||
        down_blocks(c, NULL, c->alpha, (size_t)w, w, h, s, 1.0f, p[0]) ||
        disp_box_mean(c, p[0], p[0], p[1], gw, gh, r) ||
        disp_box_mean(c, p[0], p[0], p[1], gw, gh, r))
        return SEG_ERR_NOMEM;
    disp_axis ay;
    if (frame_axis(&c->yi0, &c->yw, NULL, h, gh, s, &ay) ||
        disp_buf_reserve(&c->rows, sizeof(float) * (size_t)w * gh))
        return SEG_ERR_NOMEM;
    float *rows = c->rows.p;
    hup_rows(p[0], gw, gh, s, rows, w, 1.0f, nt);
    int dir = (int)c->opt.feather_dir;
    DISP_OMP_FOR
    for (int y = 0; y < h; y++) {
        int y0 = ay.i0[y], y1 = y0 + (ay.w[y] > 0.0f);
        disp_row_feather(rows + (size_t)y0 * w, rows + (size_t)y1 * w, ay.w[y],
                         c->alpha + (size_t)y * w, w, dir);
    }
    return SEG_OK;
}

/* ==== the whole refinement ============================================== */

int disp_refine(disp_compositor *c, const seg_image *f, const float *mask, int mw, int mh)
{
    int w = f->width, h = f->height, st;
    size_t n = (size_t)w * (size_t)h;
    if (n > c->alpha_cap) {
        uint8_t *a = aligned_alloc(64, (n + 63u) & ~(size_t)63u);
        if (!a)
            return SEG_ERR_NOMEM;
        free(c->alpha);
        c->alpha = a;
        c->alpha_cap = (n + 63u) & ~(size_t)63u;
    }
    c->aw = w;
    c->ah = h;
    c->pts = f->pts;
    c->index = f->index;
    if ((st = smooth_mask(c, mask, mw, mh)))
        return st;
    st = c->opt.edge ? guided(c, f) : bilinear(c, w, h);
    if (st)
        return st;
    if (c->opt.feather > 0 && (st = feather(c, w, h)))
        return st;
    return SEG_OK;
}
