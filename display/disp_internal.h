/* disp_internal.h - what the files of display/ share: the compositor's
 * state, the grid kernels (disp_kernels.c) and the mask refinement
 * (disp_refine.c). Private to display/. */
#ifndef DISP_DISP_INTERNAL_H
#define DISP_DISP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "disp.h"

#ifdef _OPENMP
#include <omp.h>
/* Splits the following for loop over a team of `nt` threads (a local every
 * caller declares: the pragma cannot take a macro argument). Every loop so
 * split writes disjoint rows or columns, so results do not depend on nt. */
#define DISP_OMP_FOR _Pragma("omp parallel for num_threads(nt) schedule(static)")
#else
#define DISP_OMP_FOR
#endif

/** A growable scratch buffer: grown when a size first needs more, never per
 *  frame at constant sizes. */
typedef struct disp_buf {
    void *p;
    size_t cap; /* bytes */
} disp_buf;

/** Make b hold at least @p bytes (contents not kept). SEG_OK or SEG_ERR_NOMEM. */
int disp_buf_reserve(disp_buf *b, size_t bytes);
void disp_buf_free(disp_buf *b);

/** One axis of a resampling: for each destination index, the left source
 *  index (clamped) and the right neighbour's weight (float and 0..256). */
typedef struct disp_axis {
    int *i0;
    float *w;
    uint16_t *w8;
} disp_axis;

/** Fill @p ax for @p n_dst destination samples: source coordinate
 *  (d + 0.5) * scale - 0.5, clamped to [0, n_src - 1] (half-pixel centres).
 *  ax's arrays must hold n_dst entries. */
void disp_axis_fill(disp_axis *ax, int n_dst, int n_src, double scale);

/** The compositor. Fields are owned; buffers grow with disp_buf_reserve. */
struct disp_compositor {
    disp_options opt;
    int nt;               /* threads for the row loops */

    /* frame-sized results */
    uint8_t *alpha;       /* the refined alpha, alpha_w x alpha_h, stride alpha_w */
    size_t alpha_cap;
    int alpha_w, alpha_h;
    int64_t pts, index;   /* of the frame the alpha belongs to */

    /* temporal smoothing at the mask's size */
    float *prev_map;      /* the previous refined probability map */
    int prev_w, prev_h;   /* its size; 0 = no history */
    float *cur_map;       /* this frame's smoothed map (then swapped into prev_map) */
    size_t map_cap;       /* bytes in each of prev_map and cur_map */

    /* scratch for the refinement and the modes */
    /* axis arrays (disp_axis) of frame-sized axes: per frame column the
     * left mask column and its weight, per frame row the same (and 0..256) */
    disp_buf col_i0, col_w, row_i0, row_w, row_w8;
    disp_buf grid_i0, grid_w, grid_w8;   /* axis arrays for other axes */
    disp_buf box_w;       /* box filter column factors */
    disp_buf tls;         /* per-thread scratch rows */
    disp_buf luma;        /* the frame's luma, frame-sized (guided filter) */
    disp_buf rows;        /* horizontally upsampled rows (float or bytes) */
    disp_buf plane[10];   /* grid planes */
    disp_buf label_col;   /* overlay labels: nearest mask column per frame column */
    disp_buf cls;         /* guided filter: flat-0 / flat-1 / edge class per grid
                             cell, then per grid row and 64-pixel chunk */
    disp_buf calpha;      /* YUV frames: the alpha per chroma sample (2x2 means),
                             (alpha_w+1)/2 x (alpha_h+1)/2,
                             stride (alpha_w+1)/2 */
    uint8_t pal[256][3];  /* overlay palette by class */
    uint8_t pal_yuv[256][3]; /* the palette in pal_key's Y'CbCr */
    uint8_t edge[256][3];  /* the class outlines' colours: the palette's
                              lifted to full brightness (disp_composite.c) */
    uint8_t edge_yuv[256][3]; /* ... in pal_key's Y'CbCr */
    int pal_key;          /* 1 + 2 * matrix + full_range of pal_yuv; 0 = none */

    /* replace mode's stored background and its cover-scaled copy */
    seg_image bg_src;     /* copy of what set_background gave, or empty */
    seg_image bg_fit;     /* bg_src scaled to cover the frame */
    int bg_fit_valid;     /* bg_fit matches bg_src at the frame size */
    seg_image bg_fit_yuv; /* bg_fit in its matrix and range (YUV frames) */
    int bg_yuv_valid;     /* bg_fit_yuv was made from the current bg_fit */
    seg_image bg_tmp;     /* scaled copy of a per-frame disp_input.background */
    seg_image bg_tmp_yuv; /* a per-frame RGB background converted (YUV frames) */
};

/* ==== the 5x7 font (disp_font.c) ======================================== */

/** The rows of @p c's glyph, top to bottom, bit 4 the leftmost of 5 columns
 *  (lower case letters give the upper case glyph); NULL for a character the
 *  font lacks (drawn as a blank). */
const uint8_t *disp_font_glyph(char c);

/* ==== kernels (disp_kernels.c) ========================================== */

/** Point p[0..n-1] at c->plane[0..n-1], each grown to @p count floats.
 *  SEG_OK or SEG_ERR_NOMEM. */
int disp_planes(disp_compositor *c, int n, size_t count, float **p);

/** Grid factor for a frame: min(w, h) / 256 rounded, clamped to 1..8, so the
 *  grid's short side is about 180..360 pixels (720p: 3, 1080p: 4, 4K: 8). */
int disp_grid_factor(int w, int h);

/** Zero-padded box sum of radius r over a gw x gh plane, divided by
 *  (2r+1)^2; src -> dst (may be the same plane), tmp a gw x gh scratch
 *  plane. SEG_OK or SEG_ERR_NOMEM. */
int disp_box_sum(disp_compositor *c, const float *src, float *dst, float *tmp, int gw, int gh,
                 int r);

/** Box mean (divided by the number of in-plane samples: edges are not
 *  darkened); as disp_box_sum() otherwise. */
int disp_box_mean(disp_compositor *c, const float *src, float *dst, float *tmp, int gw, int gh,
                  int r);

/** Bilinear resample of a float map (sw x sh) to dw x dh (rows ds floats
 *  apart) with the given source-per-destination scales (half-pixel centres,
 *  clamped). */
int disp_resample_f(disp_compositor *c, const float *src, int sw, int sh, float *dst, size_t ds,
                    int dw, int dh, double sx, double sy);

/** Exact x / 255 for 0 <= x <= 65534. */
static inline int disp_div255(int x)
{
    return (x + 1 + (x >> 8)) >> 8;
}

/** This thread's index in the current team (0 outside one, or without
 *  OpenMP), for per-thread scratch rows. */
static inline int disp_thread(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/** Per-thread scratch of @p bytes each (64-byte aligned), c->tls; returns
 *  the base or NULL. Thread t uses base + t * disp_tls_stride(bytes). */
void *disp_tls(disp_compositor *c, size_t bytes);
static inline size_t disp_tls_stride(size_t bytes)
{
    return (bytes + 63u) & ~(size_t)63u;
}

/* ==== row loops (disp_rows.c) =========================================== */

/* The hottest loops are compiled for AVX-512 (x86-64-v4: 16 floats a
 * vector, about a third off the guided filter against AVX2), AVX2 and the
 * baseline on x86-64 with GCC, and the best one is picked when the program
 * loads (an ifunc). Not under ThreadSanitizer: its instrumented ifunc
 * resolvers would run before its runtime is up. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_THREAD__) && !defined(DISP_NO_CLONES)
#define DISP_HOT __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define DISP_HOT
#endif

/** The blur's background weight of a pixel with alpha a: 255*256+1 at a = 0,
 *  falling to 1 at a >= 128 (more than half foreground). The floor of 1 keeps
 *  every sum positive, so deep inside the foreground the ratio is the
 *  foreground's own blur instead of 0/0, while next to any background pixel
 *  the foreground's share is below 1/65000. */
#define DISP_BG_WEIGHT(a) (((a) < 128 ? (uint32_t)(255 - 2 * (a)) << 8 : 0u) + 1u)

/** y = BT.601 luma of rgb, rounded, 0..255. */
void disp_row_luma(const uint8_t *restrict rgb, uint8_t *restrict y, int w);

/** R'G'B' -> Y'CbCr in 16.16 fixed point for one matrix and range (made in
 *  disp_composite.c for a frame's): Y' = (y . rgb + y_add) >> 16, Cb and Cr
 *  from the sum S of a 2x2 block's four pixels, (cb . S + c_add) >> 18;
 *  results clamped to [lo, hi] (luma) and [clo, chi] (chroma). */
typedef struct disp_yuv_coef {
    int32_t y[3], cb[3], cr[3];
    int32_t y_add, c_add;
    int lo, hi, clo, chi;
} disp_yuv_coef;

/** y = Y' of an RGB24 row. */
void disp_row_rgb_to_y(const uint8_t *restrict rgb, uint8_t *restrict y, int w,
                       const disp_yuv_coef *k);
/** Cb, Cr of two RGB24 rows (r1 may be r0, for the last row of an odd
 *  height): (w+1)/2 samples from the 2x2 blocks' mean R'G'B' (an odd last
 *  column: its two pixels). */
void disp_row_rgb_to_cbcr(const uint8_t *restrict r0, const uint8_t *restrict r1,
                          uint8_t *restrict cb, uint8_t *restrict cr, int w,
                          const disp_yuv_coef *k);
/** o[i] = rounded mean of the 2x2 block of alpha at columns 2i, 2i+1 of a0
 *  and a1 ((w+1)/2 outputs; a1 may be a0, and an odd last column averages
 *  its two pixels), the alpha of a chroma sample. */
void disp_row_alpha_2x2(const uint8_t *restrict a0, const uint8_t *restrict a1,
                        uint8_t *restrict o, int w);
/** acc[x] += src[x]. */
void disp_row_acc_u8(const uint8_t *restrict src, uint32_t *restrict acc, int n);
/** acc holds four rows of w: sums of r*u, g*u, b*u and u, u = DISP_BG_WEIGHT(a). */
void disp_row_weighted(const uint8_t *restrict rgb, const uint8_t *restrict a,
                       uint32_t *restrict acc, int w);
/** The same for a YUV420P row: sums of Y*u, Cb*u, Cr*u and u, cb and cr
 *  each pixel's chroma sample (chroma rows widened by disp_row_widen2()). */
void disp_row_weighted_yuv(const uint8_t *restrict y, const uint8_t *restrict cb,
                           const uint8_t *restrict cr, const uint8_t *restrict a,
                           uint32_t *restrict acc, int w);
/** o[x] = c[x / 2], x < w: a chroma row at the luma width. */
void disp_row_widen2(const uint8_t *restrict c, uint8_t *restrict o, int w);
/** out[gx] = k * (sum of acc over block gx of s columns; the last block may
 *  be partial). Sums must fit 32 bits for s <= 8. */
void disp_row_blocks(const uint32_t *restrict acc, int w, int s, float *restrict out, float k);
/** out[x] = sum of in[max(0,x-r) .. min(n-1,x+r)]. */
void disp_row_box(const float *restrict in, float *restrict out, int n, int r);
/** acc[i] += src[i] / acc[i] -= src[i], in double. */
void disp_strip_add(double *restrict acc, const float *restrict src, int n);
void disp_strip_sub(double *restrict acc, const float *restrict src, int n);
/** o[i] = acc[i] * k[i] * k2, as float. */
void disp_strip_out(const double *restrict acc, const float *restrict k, float k2,
                    float *restrict o, int n);
/** o[x] = k * lerp(g[i0[x]], g[i0[x]+1], wx[x]) (the right one only when wx > 0). */
void disp_row_hup_f(const float *restrict g, const int *restrict i0, const float *restrict wx,
                    float *restrict o, int w, float k);
/** o[x] = lerp(g[i0[x]], g[i0[x]+1], wx[x]), g readable at i0[x] + 1 also
 *  where wx[x] = 0 (then it adds (b - a) * 0: the same value, for finite
 *  samples): disp_row_hup_f() without its compare per sample. */
void disp_row_hup_pad(const float *restrict g, const int *restrict i0, const float *restrict wx,
                      float *restrict o, int n);
/** o = a + (b - a) wt. */
void disp_row_lerp(const float *restrict a, const float *restrict b, float wt,
                   float *restrict o, int n);
/** Bilinear upsampling of a grid row (gw samples) by the integer factor s
 *  (1..8) to w outputs, half-pixel centres, clamped: o[x] = k * g(x), the
 *  source at (x + 1/2)/s - 1/2. */
void disp_row_up_f(const float *restrict g, int gw, int s, float *restrict o, int w, float k);
/** The outputs [x0, x1) of disp_row_up_f() (it may write more of o, up to
 *  the grid cells' edges), the same bytes as the whole row's. */
void disp_row_up_f_part(const float *restrict g, int gw, int s, float *restrict o, int w,
                        float k, int x0, int x1);
/** Temporal smoothing (disp.h, step 1) of n probabilities: p = m clamped to
 *  [0,1] (NaN as 0), o = p + (prev - p) k u(p), u(p) = (1 - (2p-1)^2)^2;
 *  o = p when prev is NULL. */
void disp_row_smooth(const float *restrict m, const float *restrict prev, float k,
                     float *restrict o, int n);
/* The guided filter's box sums (r 1..8) run over rows padded with r zeros
 * at both ends, and take 2r+1 row pointers, a row of zeros standing for
 * each row outside the plane. */
/** Sums over the 2r+1 rows I[k] and P[k] of I, P, I^2 and I P, into the
 *  rows o, o + os, o + 2 os, o + 3 os; n samples. */
void disp_rows_guided_sums(const float *const *I, const float *const *P, int r,
                           float *restrict o, size_t os, int n);
/** o[x] = sum of the 2r+1 rows a[k][x]. */
void disp_rows_sum(const float *const *a, int r, float *restrict o, int n);
/** o[x] = a[x] + ... + a[x + 2r]: the window of radius r around a[x + r]. */
void disp_row_hsum(const float *restrict a, int r, float *restrict o, int n);
/** The guided filter's coefficients from the window sums of I, p, I^2, I p
 *  (rows s, s + ss, s + 2 ss, s + 3 ss) with k = kx[x] ky the inverse of the
 *  window's sample count: a = cov(I, p) / (var(I) + eps), b = mean p -
 *  a mean I. */
void disp_row_guided_coef(const float *restrict s, size_t ss, const float *restrict kx,
                          float ky, float eps, float *restrict a, float *restrict b, int n);
/** The class of a cell of the guided filter's grid: its alpha A Y + B is 0
 *  for every Y in 0..255 (disp_row_guided() snaps it there), 255 for every
 *  Y, or depends on Y. */
enum { DISP_FLAT0 = 0, DISP_EDGE = 1, DISP_FLAT1 = 2 };
/** From the window sums of the coefficients: A = ka k sa, B = kb k sb (k as
 *  above), and the class of each cell. */
void disp_row_guided_mean(const float *restrict sa, const float *restrict sb,
                          const float *restrict kx, float ky, float ka, float kb,
                          float *restrict A, float *restrict B, uint8_t *restrict cls, int n);
/** o = RGB bytes of three float rows, rounded and clamped. */
void disp_row_pack_rgb(const float *restrict r, const float *restrict g, const float *restrict b,
                       uint8_t *restrict o, int w);
/** o = bytes of a float row, rounded and clamped. */
void disp_row_pack(const float *restrict f, uint8_t *restrict o, int w);
/** o = to_u8(lerp(top, bot, wy)), or (>= thr ? 255 : 0) when thr > 0. */
void disp_row_bilinear(const float *restrict top, const float *restrict bot, float wy, float thr,
                       uint8_t *restrict o, int w);
/** o = round(clamp(lerp(a0,a1,wy) * Y + lerp(b0,b1,wy))): the guided filter's output. */
void disp_row_guided(const float *restrict a0, const float *restrict a1,
                     const float *restrict b0, const float *restrict b1, float wy,
                     const uint8_t *restrict Y, uint8_t *restrict o, int w);
/** The feather's combination of the alpha with its blurred copy lerp(t0, t1, wy). */
void disp_row_feather(const float *restrict t0, const float *restrict t1, float wy,
                      uint8_t *restrict a, int w, int dir);
/* The blends below take w samples of bpp bytes (3: RGB24 pixels; 1: one
 * plane of a YUV420P frame), a[x] the alpha of sample x; col holds bpp
 * bytes. They may run in place (o == in): every output byte is written
 * after the only input byte it depends on is read. */
/** Blur: bg = lerp(b0, b1, wy / 256), o = (a in + (255 - a) bg + 127) / 255. */
void disp_row_blend_rows(const uint8_t *in, const uint8_t *restrict b0,
                         const uint8_t *restrict b1, int wy, const uint8_t *restrict a,
                         uint8_t *o, int w, int bpp);
/** Replace: o = (a in + (255 - a) bg + 127) / 255. */
void disp_row_blend(const uint8_t *in, const uint8_t *restrict bg, const uint8_t *restrict a,
                    uint8_t *o, int w, int bpp);
/** Matte: the same against a constant colour. */
void disp_row_blend_const(const uint8_t *in, const uint8_t *col, const uint8_t *restrict a,
                          uint8_t *o, int w, int bpp);
/** Overlay: t = (a k + 127) / 255, o = in + (((col - in) t) >> 8). */
void disp_row_overlay(const uint8_t *in, const uint8_t *restrict a, int k, const uint8_t *col,
                      uint8_t *o, int w, int bpp);
/** o = (a, a, a). */
void disp_row_grey(const uint8_t *restrict a, uint8_t *restrict o, int w);
/** o = add + (a mul + 127) / 255 (mask mode's luma: 16 + 219 a / 255 in
 *  limited range, a itself with mul 255, add 0). */
void disp_row_grey_y(const uint8_t *restrict a, uint8_t *restrict o, int w, int mul, int add);
/** o = (in, a) as RGBA. */
void disp_row_rgba(const uint8_t *restrict in, const uint8_t *restrict a, uint8_t *restrict o,
                   int w);

/* ==== refinement (disp_refine.c) ======================================== */

/** Steps 1-4 of disp.h: smoothing, upsampling (bilinear or guided),
 *  threshold, feather, into c->alpha for @p f's size. */
int disp_refine(disp_compositor *c, const seg_image *f, const float *mask, int mw, int mh);

#endif
