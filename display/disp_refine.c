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

/* The guided filter's largest window radius, in grid pixels (its box sums
 * are unrolled for each radius up to this). */
#define MAX_RADIUS 8

static inline uint8_t to_u8(float p)
{
    float v = p * 255.0f + 0.5f;
    return v <= 0.0f ? 0 : (v >= 255.0f ? 255 : (uint8_t)v);
}

/* ==== 1. temporal smoothing ============================================= */

static int smooth_mask(disp_compositor *c, const float *mask, int mw, int mh)
{
    size_t n = (size_t)mw * (size_t)mh;
    if (n * sizeof(float) > c->map_cap) {
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        if (!a || !b) {
            free(a);
            free(b);
            return SEG_ERR_NOMEM;
        }
        free(c->cur_map);
        free(c->prev_map);
        c->cur_map = a;
        c->prev_map = b;
        c->map_cap = n * sizeof(float);
        c->prev_w = c->prev_h = 0; /* history lost with the old buffer */
    }
    float k = c->opt.smooth;
    const float *prev = k > 0.0f && c->prev_w == mw && c->prev_h == mh ? c->prev_map : NULL;
    for (int y = 0; y < mh; y++) {
        size_t o = (size_t)y * mw;
        disp_row_smooth(mask + o, prev ? prev + o : NULL, k, c->cur_map + o, mw);
    }
    /* This frame's map becomes the history: swap, no copy. */
    float *t = c->prev_map;
    c->prev_map = c->cur_map;
    c->cur_map = t;
    c->prev_w = mw;
    c->prev_h = mh;
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

/* --solid: p / solid, at most 1 (opaque from `solid` up, a ramp below). */
static void shape_solid(float *p, size_t n, float solid)
{
    float k = 1.0f / solid;
    for (size_t i = 0; i < n; i++) {
        float v = p[i] * k;
        p[i] = v < 1.0f ? v : 1.0f;
    }
}

/* The fast twin of disp_upsample_mask: every mask row is first interpolated
 * across to the frame width (the same `top`/`bot` values the reference
 * computes), then each frame row is one vectorisable blend of two of them.
 * Same operations in the same order, so the same bytes. */
static int bilinear(disp_compositor *c, int w, int h)
{
    const float *m = c->prev_map;
    int mw = c->prev_w, mh = c->prev_h, nt = c->nt;
    (void)nt;
    if (disp_buf_reserve(&c->col_i0, sizeof(int) * (size_t)w) ||
        disp_buf_reserve(&c->col_w, sizeof(float) * (size_t)w) ||
        disp_buf_reserve(&c->rows, sizeof(float) * (size_t)w * (size_t)mh))
        return SEG_ERR_NOMEM;
    int *x0 = c->col_i0.p;
    float *wx = c->col_w.p, *rows = c->rows.p;
    for (int x = 0; x < w; x++)
        coord(x, mw, w, &x0[x], &wx[x]);
    DISP_OMP_FOR
    for (int y = 0; y < mh; y++)
        disp_row_hup_f(m + (size_t)y * mw, x0, wx, rows + (size_t)y * w, w, 1.0f);
    /* A threshold is a hard cut of the probability itself: no shaping
     * before it (it would move the cut to solid x threshold). */
    if (c->opt.solid < 1.0f && c->opt.threshold <= 0.0f)
        shape_solid(rows, (size_t)w * (size_t)mh, c->opt.solid);
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
 * factor s, scaled by k, into rows @p ds floats apart: each thread sums the
 * block's rows into its own row of column sums, then the columns in blocks.
 * With @p rgb, the plane is first made from it (its luma, written to src). */
static int down_blocks(disp_compositor *c, const seg_image *rgb, uint8_t *src, size_t stride,
                       int w, int h, int s, float k, float *dst, size_t ds)
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
        float *d = dst + (size_t)gy * ds;
        disp_row_blocks(acc, w, s, d, k / (float)(s * (yb - ya)));
        if (w % s)
            d[gw - 1] *= (float)s / (float)(w % s);
    }
    return SEG_OK;
}

/* The fast guided filter's coefficients on the gw x gh grid: from the guide
 * I and the probability P (planes padded with r zeros at both ends of each
 * row, ps floats a row; `zero` a row of zeros), with windows of radius r,
 *   per row: the window sums of I, P, I^2 and I P (down 2r+1 rows, then
 *            across), and a = cov / (var + eps), b = mean P - a mean I;
 *   per row, once 2r+1 rows of a and b are there: their window means,
 *            scaled into A and B of alpha = A Y + B, and each cell's class
 *            (disp_row_guided_mean()).
 * Bands of rows, one per thread, stream through a ring of 2r+1 rows of a
 * and b, so the work stays in cache. A band recomputes the 2r rows of a and
 * b it shares with each neighbour, with the same arithmetic: the bytes do
 * not depend on the thread count. */
static int guided_coefs(disp_compositor *c, const float *I, const float *P, const float *zero,
                        size_t ps, int gw, int gh, int r, float ka, float kb, float *A, float *B,
                        uint8_t *cls)
{
    int nt = c->nt, R = 2 * r + 1, pw = gw + 2 * r;
    /* per thread: 4 rows of sums down, 4 of window sums, the ring */
    size_t bytes = sizeof(float) * ps * (size_t)(8 + 2 * R);
    size_t tstride = disp_tls_stride(bytes);
    uint8_t *tls = disp_tls(c, bytes);
    if (!tls || disp_buf_reserve(&c->box_w, sizeof(float) * (size_t)gw))
        return SEG_ERR_NOMEM;
    float *kx = c->box_w.p; /* 1 / the samples of a window in a row */
    for (int x = 0; x < gw; x++)
        kx[x] = 1.0f / (float)((x + r < gw ? x + r : gw - 1) - (x - r > 0 ? x - r : 0) + 1);
    DISP_OMP_FOR
    for (int t = 0; t < nt; t++) {
        float *down = (float *)(tls + tstride * (size_t)disp_thread()), *win = down + 4 * ps,
              *ring = win + 4 * ps;
        memset(ring, 0, sizeof(float) * ps * (size_t)(2 * R)); /* the pads stay zero */
        const float *ri[2 * MAX_RADIUS + 1], *rp[2 * MAX_RADIUS + 1];
        int y0 = (int)((int64_t)gh * t / nt), y1 = (int)((int64_t)gh * (t + 1) / nt);
        int next = y0 - r > 0 ? y0 - r : 0; /* the next row of a and b to make */
        for (int y = y0; y < y1; y++) {
            for (; next <= y + r && next < gh; next++) {
                for (int k = 0; k < R; k++) {
                    int v = next - r + k;
                    ri[k] = v >= 0 && v < gh ? I + (size_t)v * ps : zero;
                    rp[k] = v >= 0 && v < gh ? P + (size_t)v * ps : zero;
                }
                disp_rows_guided_sums(ri, rp, r, down, ps, pw);
                for (int q = 0; q < 4; q++)
                    disp_row_hsum(down + q * ps, r, win + q * ps, gw);
                int lo = next - r > 0 ? next - r : 0, hi = next + r < gh ? next + r : gh - 1;
                float *a = ring + (size_t)(next % R) * ps + r;
                disp_row_guided_coef(win, ps, kx, 1.0f / (float)(hi - lo + 1), GUIDED_EPS, a,
                                     a + (size_t)R * ps, gw);
            }
            for (int k = 0; k < R; k++) {
                int v = y - r + k;
                ri[k] = v >= 0 && v < gh ? ring + (size_t)(v % R) * ps : zero;
                rp[k] = v >= 0 && v < gh ? ring + (size_t)(R + v % R) * ps : zero;
            }
            disp_rows_sum(ri, r, down, pw);
            disp_rows_sum(rp, r, down + ps, pw);
            disp_row_hsum(down, r, win, gw);
            disp_row_hsum(down + ps, r, win + ps, gw);
            int lo = y - r > 0 ? y - r : 0, hi = y + r < gh ? y + r : gh - 1;
            size_t o = (size_t)y * gw;
            disp_row_guided_mean(win, win + ps, kx, 1.0f / (float)(hi - lo + 1), ka, kb, A + o,
                                 B + o, cls + o, gw);
        }
    }
    return SEG_OK;
}

/* The class of the cells c[0..n): theirs if they all have the same, else
 * DISP_EDGE. Eight at a time as a 64-bit word (the last word overlapping
 * the one before), with no branch per cell: those would mispredict at
 * every edge. */
static inline uint8_t run_class(const uint8_t *c, int n)
{
    uint64_t all = c[0] * UINT64_C(0x0101010101010101), diff = 0;
    if (n < 8) {
        for (int i = 1; i < n; i++)
            diff |= c[i] ^ c[0];
    } else {
        for (int i = 0; i < n; i += 8) {
            uint64_t v;
            memcpy(&v, c + (i + 8 <= n ? i : n - 8), 8);
            diff |= v ^ all;
        }
    }
    return diff ? DISP_EDGE : c[0];
}

/* Most of a frame is plainly background or plainly foreground: where every
 * grid cell a chunk of 64 pixels interpolates from gives 0 (or 255) for any
 * luma, the chunk is filled without computing it: alpha is linear in Y, so
 * its extremes lie at Y = 0 and 255. The test holds for the interpolated
 * coefficients too: max(B, B + 255 A) is convex and min(B, B + 255 A)
 * concave in (A, B). From the cells' classes (gw x gh), chunk[gy * nch + k]
 * is chunk k's class on grid row gy; and as a frame row interpolates from
 * grid rows g and g + 1 and computes the chunks not flat in both, need[gy *
 * nch + k] marks where grid row gy's coefficients are needed across at full
 * width: its chunks that are not flat or differ from a neighbouring row's. */
static void classify_chunks(const uint8_t *cls, int gw, int gh, int s, int w, uint8_t *chunk,
                            uint8_t *need)
{
    int nch = (w + CHUNK - 1) / CHUNK;
    for (int k = 0; k < nch; k++) {
        int x1 = (k + 1) * CHUNK < w ? (k + 1) * CHUNK : w;
        int lo = k * CHUNK / s - 1, hi = (x1 - 1) / s + 1;
        lo = lo < 0 ? 0 : lo;
        hi = hi > gw - 1 ? gw - 1 : hi;
        for (int gy = 0; gy < gh; gy++)
            chunk[(size_t)gy * nch + k] = run_class(cls + (size_t)gy * gw + lo, hi - lo + 1);
    }
    for (int gy = 0; gy < gh; gy++)
        for (int k = 0; k < nch; k++) {
            size_t i = (size_t)gy * nch + k;
            need[i] = chunk[i] == DISP_EDGE || (gy > 0 && chunk[i - nch] != chunk[i]) ||
                      (gy + 1 < gh && chunk[i + nch] != chunk[i]);
        }
}

/* Grid row g's coefficients A and B interpolated across to the frame width
 * (into a and b), in the chunks that @p need marks. */
static void up_needed(const float *A, const float *B, int gw, int s, int g, const uint8_t *need,
                      int w, float *a, float *b)
{
    int nch = (w + CHUNK - 1) / CHUNK;
    const uint8_t *nd = need + (size_t)g * nch;
    for (int k = 0; k < nch;) {
        if (!nd[k]) {
            k++;
            continue;
        }
        int k1 = k + 1;
        while (k1 < nch && nd[k1])
            k1++;
        int x0 = k * CHUNK, x1 = k1 * CHUNK < w ? k1 * CHUNK : w;
        disp_row_up_f_part(A + (size_t)g * gw, gw, s, a, w, 1.0f, x0, x1);
        disp_row_up_f_part(B + (size_t)g * gw, gw, s, b, w, 1.0f, x0, x1);
        k = k1;
    }
}

/* The alpha, w x h, from the coefficients A and B on the grid (factor s)
 * and the guide Y (rows ys bytes apart): flat chunks filled, the others
 * computed from the two grid rows the frame row lies between. Each thread
 * draws a band of rows and keeps the two grid rows in use interpolated
 * across (up_needed()), each made once per band. */
static int draw_rows(disp_compositor *c, const float *A, const float *B, int gw, int gh, int s,
                     const uint8_t *chunk, const uint8_t *need, const uint8_t *Y, size_t ys,
                     int w, int h)
{
    int nt = c->nt, nch = (w + CHUNK - 1) / CHUNK;
    disp_axis ay;
    if (frame_axis(&c->row_i0, &c->row_w, NULL, h, gh, s, &ay))
        return SEG_ERR_NOMEM;
    /* per thread: two slots of a grid row interpolated across (A, B) */
    size_t rs = ((size_t)w + 15u) & ~(size_t)15u;
    size_t tstride = disp_tls_stride(sizeof(float) * 4 * rs);
    uint8_t *tls = disp_tls(c, sizeof(float) * 4 * rs);
    if (!tls)
        return SEG_ERR_NOMEM;
    DISP_OMP_FOR
    for (int t = 0; t < nt; t++) {
        float *rows = (float *)(tls + tstride * (size_t)disp_thread());
        int held[2] = {-1, -1}; /* the grid row in each slot */
        for (int y = (int)((int64_t)h * t / nt); y < (int)((int64_t)h * (t + 1) / nt); y++) {
            int y0 = ay.i0[y], y1 = y0 + (ay.w[y] > 0.0f), sl[2];
            for (int e = 0; e < 2; e++) {
                int g = e ? y1 : y0;
                sl[e] = held[0] == g ? 0 : (held[1] == g ? 1 : -1);
                if (sl[e] < 0) { /* into a slot not holding the other row */
                    sl[e] = e ? 1 - sl[0] : (held[0] == y1 ? 1 : 0);
                    held[sl[e]] = g;
                    up_needed(A, B, gw, s, g, need, w, rows + (size_t)sl[e] * 2 * rs,
                              rows + ((size_t)sl[e] * 2 + 1) * rs);
                }
            }
            const float *a0 = rows + (size_t)sl[0] * 2 * rs, *a1 = rows + (size_t)sl[1] * 2 * rs;
            const uint8_t *c0 = chunk + (size_t)y0 * nch, *c1 = chunk + (size_t)y1 * nch;
            uint8_t *o = c->alpha + (size_t)y * w;
            int run = -1; /* first chunk of a pending run to compute */
            for (int k = 0; k <= nch; k++) {
                int flat = k < nch && c0[k] == c1[k] && c0[k] != DISP_EDGE;
                if (k < nch && !flat) {
                    if (run < 0)
                        run = k;
                    continue;
                }
                if (run >= 0) {
                    size_t x0 = (size_t)run * CHUNK;
                    int n = (k * CHUNK < w ? k * CHUNK : w) - run * CHUNK;
                    disp_row_guided(a0 + x0, a1 + x0, a0 + rs + x0, a1 + rs + x0, ay.w[y],
                                    Y + (size_t)y * ys + x0, o + x0, n);
                    run = -1;
                }
                if (k < nch) {
                    int x1 = (k + 1) * CHUNK < w ? (k + 1) * CHUNK : w;
                    memset(o + (size_t)k * CHUNK, c0[k] == DISP_FLAT1 ? 255 : 0,
                           (size_t)(x1 - k * CHUNK));
                }
            }
        }
    }
    return SEG_OK;
}

static int guided(disp_compositor *c, const seg_image *f)
{
    int w = f->width, h = f->height;
    int s = disp_grid_factor(w, h);
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    size_t gn = (size_t)gw * (size_t)gh;
    /* Radius: one model pixel, in grid pixels. The window then spans the
     * model's uncertain band at the edge, while in flat places, where the
     * filter only smooths, the mask gets no softer than about two model
     * pixels (it is averaged twice over the window). */
    double cell = fmax((double)w / c->prev_w, (double)h / c->prev_h) / s;
    int r = (int)ceil(cell);
    r = r < 1 ? 1 : (r > MAX_RADIUS ? MAX_RADIUS : r);
    /* I and P with r zeros at both ends of each row (64-byte rows), and a
     * row of zeros after I; A and B */
    size_t ps = ((size_t)gw + 2 * (size_t)r + 15u) & ~(size_t)15u;
    float *p[4];
    if (disp_planes(c, 4, ps * (size_t)(gh + 1), p))
        return SEG_ERR_NOMEM;
    float *I = p[0], *P = p[1], *A = p[2], *B = p[3], *zero = I + (size_t)gh * ps;
    memset(zero, 0, sizeof(float) * ps);
    for (int gy = 0; gy < gh; gy++)
        for (int k = 0; k < 2; k++) {
            float *row = p[k] + (size_t)gy * ps;
            memset(row, 0, sizeof(float) * (size_t)r);
            memset(row + r + gw, 0, sizeof(float) * (ps - (size_t)(r + gw)));
        }
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
    if (down_blocks(c, rgb, Y, ys, w, h, s, 1.0f / span, I + r, ps) ||
        disp_resample_f(c, c->prev_map, c->prev_w, c->prev_h, P + r, ps, gw, gh, (double)s * c->prev_w / w,
                        (double)s * c->prev_h / h))
        return SEG_ERR_NOMEM;
    float thr = c->opt.threshold;
    if (thr > 0.0f)
        for (int gy = 0; gy < gh; gy++)
            for (int x = 0; x < gw; x++) {
                float *q = P + (size_t)gy * ps + r + x;
                *q = *q >= thr ? 1.0f : 0.0f;
            }
    if (c->opt.solid < 1.0f && thr <= 0.0f)
        for (int gy = 0; gy < gh; gy++)
            shape_solid(P + (size_t)gy * ps + r, (size_t)gw, c->opt.solid);
    /* q = a I + b per window, a = cov(I, p) / (var(I) + eps); the
     * coefficients averaged over the windows covering each pixel give
     * alpha = 255 (A I + B) = ga A Y + 255 B, Y the 8-bit guide, with the
     * gain ga = 255 / span (exactly 1 for a 0..255 guide). A and B are
     * stored so scaled. */
    size_t nc = (size_t)gh * (size_t)((w + CHUNK - 1) / CHUNK);
    if (disp_buf_reserve(&c->cls, gn + 2 * nc))
        return SEG_ERR_NOMEM;
    uint8_t *cls = c->cls.p, *chunk = cls + gn, *need = chunk + nc;
    if (guided_coefs(c, I, P, zero, ps, gw, gh, r, 255.0f / span, 255.0f, A, B, cls))
        return SEG_ERR_NOMEM;
    classify_chunks(cls, gw, gh, s, w, chunk, need);
    return draw_rows(c, A, B, gw, gh, s, chunk, need, Y, ys, w, h);
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
        down_blocks(c, NULL, c->alpha, (size_t)w, w, h, s, 1.0f, p[0], (size_t)gw) ||
        disp_box_mean(c, p[0], p[0], p[1], gw, gh, r) ||
        disp_box_mean(c, p[0], p[0], p[1], gw, gh, r))
        return SEG_ERR_NOMEM;
    disp_axis ay;
    if (frame_axis(&c->row_i0, &c->row_w, NULL, h, gh, s, &ay) ||
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
    c->alpha_w = w;
    c->alpha_h = h;
    c->pts = f->pts;
    c->index = f->index;
    if ((st = smooth_mask(c, mask, mw, mh)) == SEG_OK &&
        (st = c->opt.edge ? guided(c, f) : bilinear(c, w, h)) == SEG_OK && c->opt.feather > 0)
        st = feather(c, w, h);
    if (st)
        c->alpha_w = c->alpha_h = 0; /* no alpha to hand out (disp_compositor_alpha) */
    return st;
}
