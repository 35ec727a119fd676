/* disp_rows.c - the per-row inner loops of display/, written so the
 * compiler vectorises them (plain counted loops over restrict pointers, no
 * calls), and built three times on x86-64 (AVX-512, AVX2 and baseline,
 * picked at load time; see DISP_HOT). Integer arithmetic is exact and float
 * arithmetic is element-wise in a fixed order (ISO C mode: no FMA
 * contraction), so every build gives the same bytes. */
#include <string.h>

#include "disp_internal.h"

/* 255 when every a[0..n) is 255 (all foreground), 0 when every one is 0
 * (all background), else 1: most chunks of a real frame are one or the
 * other, and then the work is simpler (a blend is a copy). */
static inline int uniform(const uint8_t *restrict a, int n)
{
    uint8_t all = 255, any = 0; /* bytes: the reductions stay in byte lanes */
    for (int x = 0; x < n; x++) {
        all &= a[x];
        any |= a[x];
    }
    return all == 255 ? 255 : (any == 0 ? 0 : 1);
}


DISP_HOT void disp_row_luma(const uint8_t *restrict rgb, uint8_t *restrict y, int w)
{
    for (int x = 0; x < w; x++)
        y[x] = (uint8_t)((77 * rgb[3 * x] + 150 * rgb[3 * x + 1] + 29 * rgb[3 * x + 2] + 128) >>
                         8);
}

DISP_HOT void disp_row_acc_u8(const uint8_t *restrict src, uint32_t *restrict acc, int n)
{
    for (int x = 0; x < n; x++)
        acc[x] += src[x];
}

/* disp_div255() in 16 bits, for x <= 65279 (so x + 1 + (x >> 8) fits):
 * the loops that use it run in 16-bit lanes, twice as many per vector. */
static inline uint8_t div255_16(uint16_t x)
{
    return (uint8_t)((uint16_t)(x + 1u + (x >> 8u)) >> 8);
}

/* ==== temporal smoothing ================================================ */

/* p clamped to [0, 1]; !(p > 0) also catches NaN. */
static inline float clamp01(float p)
{
    return !(p > 0.0f) ? 0.0f : (p > 1.0f ? 1.0f : p);
}

DISP_HOT void disp_row_smooth(const float *restrict m, const float *restrict prev, float k,
                              float *restrict o, int n)
{
    /* Two passes: in one, GCC threads the clamp's constant cases through
     * the blend and the loop no longer vectorises. */
    for (int x = 0; x < n; x++)
        o[x] = clamp01(m[x]);
    if (!prev)
        return;
    for (int x = 0; x < n; x++) {
        /* how unsure the model is at p: 1 at 0.5, 0 at 0 and 1, and small
         * already at 0.1 / 0.9 (0.13), so a confident change passes almost
         * untouched */
        float p = o[x], c = 2.0f * p - 1.0f, u = 1.0f - c * c;
        o[x] = p + (prev[x] - p) * (k * (u * u));
    }
}

/* ==== R'G'B' to Y'CbCr ================================================== */

static inline uint8_t clamp_to(int32_t v, int lo, int hi)
{
    return (uint8_t)(v < lo ? lo : (v > hi ? hi : v));
}

DISP_HOT void disp_row_rgb_to_y(const uint8_t *restrict rgb, uint8_t *restrict y, int w,
                                const disp_yuv_coef *k)
{
    int32_t kr = k->y[0], kg = k->y[1], kb = k->y[2], add = k->y_add;
    int lo = k->lo, hi = k->hi;
    for (int x = 0; x < w; x++)
        y[x] = clamp_to((kr * rgb[3 * x] + kg * rgb[3 * x + 1] + kb * rgb[3 * x + 2] + add) >> 16,
                        lo, hi);
}

DISP_HOT void disp_row_rgb_to_cbcr(const uint8_t *restrict r0, const uint8_t *restrict r1,
                                   uint8_t *restrict cb, uint8_t *restrict cr, int w,
                                   const disp_yuv_coef *k)
{
    int32_t add = k->c_add;
    int lo = k->clo, hi = k->chi;
    int n = (w + 1) / 2;
    for (int i = 0; i < n; i++) {
        /* the block's sums; an odd last column counts its pixels twice, which
         * is the mean of the two */
        int x0 = 2 * i, x1 = 2 * i + 1 < w ? 2 * i + 1 : 2 * i;
        int32_t s[3];
        for (int c = 0; c < 3; c++)
            s[c] = r0[3 * x0 + c] + r0[3 * x1 + c] + r1[3 * x0 + c] + r1[3 * x1 + c];
        cb[i] = clamp_to((k->cb[0] * s[0] + k->cb[1] * s[1] + k->cb[2] * s[2] + add) >> 18, lo,
                         hi);
        cr[i] = clamp_to((k->cr[0] * s[0] + k->cr[1] * s[1] + k->cr[2] * s[2] + add) >> 18, lo,
                         hi);
    }
}

DISP_HOT void disp_row_alpha_2x2(const uint8_t *restrict a0, const uint8_t *restrict a1,
                                 uint8_t *restrict o, int w)
{
    int n = w / 2;
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)((a0[2 * i] + a0[2 * i + 1] + a1[2 * i] + a1[2 * i + 1] + 2) >> 2);
    if (w & 1)
        o[n] = (uint8_t)((a0[w - 1] + a1[w - 1] + 1) >> 1);
}

/* ==== the blur's weighted sums ========================================== */

_Static_assert(DISP_BG_WEIGHT(0) == 65281u && DISP_BG_WEIGHT(255) == 1u,
               "the fast paths below use these weights");

/* Adds channel k * weight and the weight into four rows of acc; channel k
 * of pixel x is ck[step x]: RGB24 is step 3 (c1, c2 = rgb + 1, + 2), three
 * planes step 1. Inlined with a constant step into each caller, so both are
 * plain vectorisable loops. */
static inline void weighted(const uint8_t *restrict c0, const uint8_t *restrict c1,
                            const uint8_t *restrict c2, int step, const uint8_t *restrict a,
                            uint32_t *restrict acc, int w)
{
    uint32_t *restrict a0 = acc, *restrict a1 = acc + w, *restrict a2 = acc + 2 * (size_t)w,
                       *restrict wsum = acc + 3 * (size_t)w;
    for (int x0 = 0; x0 < w; x0 += 64) {
        int x1 = w - x0 < 64 ? w : x0 + 64, u = uniform(a + x0, x1 - x0);
        if (u == 0) { /* all background: the weight is the constant 65281 */
            for (int x = x0; x < x1; x++) {
                a0[x] += c0[step * x] * 65281u;
                a1[x] += c1[step * x] * 65281u;
                a2[x] += c2[step * x] * 65281u;
                wsum[x] += 65281u;
            }
        } else if (u == 255) { /* all foreground: weight 1 */
            for (int x = x0; x < x1; x++) {
                a0[x] += c0[step * x];
                a1[x] += c1[step * x];
                a2[x] += c2[step * x];
                wsum[x] += 1u;
            }
        } else {
            for (int x = x0; x < x1; x++) {
                uint32_t wt = DISP_BG_WEIGHT(a[x]);
                a0[x] += c0[step * x] * wt;
                a1[x] += c1[step * x] * wt;
                a2[x] += c2[step * x] * wt;
                wsum[x] += wt;
            }
        }
    }
}

DISP_HOT void disp_row_weighted(const uint8_t *restrict rgb, const uint8_t *restrict a,
                                uint32_t *restrict acc, int w)
{
    weighted(rgb, rgb + 1, rgb + 2, 3, a, acc, w);
}

DISP_HOT void disp_row_weighted_yuv(const uint8_t *restrict y, const uint8_t *restrict cb,
                                    const uint8_t *restrict cr, const uint8_t *restrict a,
                                    uint32_t *restrict acc, int w)
{
    weighted(y, cb, cr, 1, a, acc, w);
}

DISP_HOT void disp_row_widen2(const uint8_t *restrict c, uint8_t *restrict o, int w)
{
    int n = w / 2;
    for (int i = 0; i < n; i++)
        o[2 * i] = o[2 * i + 1] = c[i];
    if (w & 1)
        o[w - 1] = c[n];
}

/* Block sums of a row of column sums: out[gx] = k * sum of acc[gx*s ..
 * gx*s+s-1] (fewer in the last block); s a constant per case, so the inner
 * sum unrolls. */
#define BLOCKS(S)                                                                      \
    static inline void blocks_##S(const uint32_t *restrict acc, float *restrict out,   \
                                  int full, float k)                                   \
    {                                                                                  \
        for (int gx = 0; gx < full; gx++) {                                            \
            uint32_t sum = 0;                                                          \
            for (int j = 0; j < (S); j++)                                              \
                sum += acc[gx * (S) + j];                                              \
            out[gx] = (float)sum * k;                                                  \
        }                                                                              \
    }
BLOCKS(1)
BLOCKS(2)
BLOCKS(3)
BLOCKS(4)
BLOCKS(5)
BLOCKS(6)
BLOCKS(7)
BLOCKS(8)

DISP_HOT void disp_row_blocks(const uint32_t *restrict acc, int w, int s, float *restrict out,
                              float k)
{
    int full = w / s;
    switch (s) {
    case 1: blocks_1(acc, out, full, k); break;
    case 2: blocks_2(acc, out, full, k); break;
    case 3: blocks_3(acc, out, full, k); break;
    case 4: blocks_4(acc, out, full, k); break;
    case 5: blocks_5(acc, out, full, k); break;
    case 6: blocks_6(acc, out, full, k); break;
    case 7: blocks_7(acc, out, full, k); break;
    case 8: blocks_8(acc, out, full, k); break;
    default:
        for (int gx = 0; gx < full; gx++) {
            uint64_t sum = 0;
            for (int j = 0; j < s; j++)
                sum += acc[gx * s + j];
            out[gx] = (float)sum * k;
        }
    }
    if (full * s < w) { /* the last, partial block */
        uint64_t sum = 0;
        for (int x = full * s; x < w; x++)
            sum += acc[x];
        out[full] = (float)sum * k;
    }
}

DISP_HOT void disp_row_box(const float *restrict in, float *restrict out, int n, int r)
{
    /* out[x] = sum of in[x-r .. x+r] inside the row. The interior is a sum of
     * 2r+1 shifted rows (vectorised across x); the few edge samples add up
     * their in-row part. */
    int lo = r, hi = n - r; /* interior: [lo, hi) */
    if (hi < lo)
        hi = lo = n;
    for (int x = lo; x < hi; x++)
        out[x] = 0.0f;
    for (int k = -r; k <= r; k++) {
        const float *restrict src = in + k;
        for (int x = lo; x < hi; x++)
            out[x] += src[x];
    }
    for (int x = 0; x < n; x++) {
        if (x == lo && hi > lo) {
            x = hi - 1;
            continue;
        }
        float s = 0.0f;
        int a = x - r < 0 ? 0 : x - r, b = x + r >= n ? n - 1 : x + r;
        for (int i = a; i <= b; i++)
            s += in[i];
        out[x] = s;
    }
}

DISP_HOT void disp_strip_add(double *restrict acc, const float *restrict src, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += (double)src[i];
}

DISP_HOT void disp_strip_sub(double *restrict acc, const float *restrict src, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] -= (double)src[i];
}

DISP_HOT void disp_strip_out(const double *restrict acc, const float *restrict k, float k2,
                             float *restrict o, int n)
{
    for (int i = 0; i < n; i++)
        o[i] = (float)acc[i] * k[i] * k2;
}

DISP_HOT void disp_row_hup_f(const float *restrict g, const int *restrict i0,
                             const float *restrict wx, float *restrict o, int w, float k)
{
    for (int x = 0; x < w; x++) {
        float a = g[i0[x]], b = g[i0[x] + (wx[x] > 0.0f)];
        o[x] = (a + (b - a) * wx[x]) * k;
    }
}

/* Not cloned: the indexed loads are scalar in every build (emulated
 * gathers), and the 512-bit build's are a third slower than the others. */
void disp_row_hup_pad(const float *restrict g, const int *restrict i0, const float *restrict wx,
                      float *restrict o, int n)
{
    for (int x = 0; x < n; x++) {
        float a = g[i0[x]], b = g[i0[x] + 1];
        o[x] = a + (b - a) * wx[x];
    }
}

DISP_HOT void disp_row_lerp(const float *restrict a, const float *restrict b, float wt,
                            float *restrict o, int n)
{
    for (int x = 0; x < n; x++)
        o[x] = a[x] + (b[x] - a[x]) * wt;
}

/* ==== upsampling by an integer factor ================================== */

/* Output x = gx*S + j lies at source position gx + f_j, f_j = (j + 1/2)/S -
 * 1/2 (half-pixel centres), so every output of phase j blends the same two
 * neighbours with the same weight. With S a constant the phases unroll into
 * constant weights and the loop over gx vectorises: no per-pixel index
 * loads. The first and last grid cell, where the source is clamped, go
 * through the plain formula. */

/* Source index and weight of output x (clamped), the reference formula. */
static inline void up_src(int x, int s, int gw, int *i, float *f)
{
    float p = ((float)x + 0.5f) / (float)s - 0.5f;
    if (p <= 0.0f) {
        *i = 0;
        *f = 0.0f;
        return;
    }
    int k = (int)p;
    if (k >= gw - 1) {
        *i = gw - 1;
        *f = 0.0f;
        return;
    }
    *i = k;
    *f = p - (float)k;
}

#define PHASE_OFF(S, j) ((2 * (j) + 1 < (S)) ? -1 : 0)
#define PHASE_W(S, j) \
    ((float)(2 * (j) + 1 - (S)) / (float)(2 * (S)) + (PHASE_OFF(S, j) ? 1.0f : 0.0f))

#define UP_F(S)                                                                        \
    static inline void up_f_##S(const float *restrict g, int g0, int g1,               \
                                float *restrict o, float k)                            \
    {                                                                                  \
        for (int gx = g0; gx < g1; gx++)                                               \
            for (int j = 0; j < (S); j++) {                                            \
                float l = g[gx + PHASE_OFF(S, j)], r = g[gx + PHASE_OFF(S, j) + 1];    \
                o[gx * (S) + j] = (l + (r - l) * PHASE_W(S, j)) * k;                   \
            }                                                                          \
    }
UP_F(2)
UP_F(3)
UP_F(4)
UP_F(5)
UP_F(6)
UP_F(7)
UP_F(8)

/* An output is computed by the same formula whichever range it is part of,
 * so parts give the bytes of the whole row. */
DISP_HOT void disp_row_up_f_part(const float *restrict g, int gw, int s, float *restrict o,
                                 int w, float k, int x0, int x1)
{
    int lo = x0, hi = x0; /* [lo, hi): done by the unrolled interior, cells 1..gw-2 */
    if (s >= 2 && s <= 8 && gw >= 3 && (gw - 1) * s <= w) {
        int g0 = x0 / s < 1 ? 1 : x0 / s, g1 = (x1 + s - 1) / s;
        g1 = g1 > gw - 1 ? gw - 1 : g1;
        if (g0 < g1) {
            lo = g0 * s;
            hi = g1 * s;
            switch (s) {
            case 2: up_f_2(g, g0, g1, o, k); break;
            case 3: up_f_3(g, g0, g1, o, k); break;
            case 4: up_f_4(g, g0, g1, o, k); break;
            case 5: up_f_5(g, g0, g1, o, k); break;
            case 6: up_f_6(g, g0, g1, o, k); break;
            case 7: up_f_7(g, g0, g1, o, k); break;
            default: up_f_8(g, g0, g1, o, k); break;
            }
        }
    }
    for (int x = x0; x < x1; x++) {
        if (x >= lo && x < hi) {
            x = hi - 1;
            continue;
        }
        int i;
        float f;
        up_src(x, s, gw, &i, &f);
        float l = g[i], r = g[i + (f > 0.0f)];
        o[x] = (l + (r - l) * f) * k;
    }
}

void disp_row_up_f(const float *restrict g, int gw, int s, float *restrict o, int w, float k)
{
    disp_row_up_f_part(g, gw, s, o, w, k, 0, w);
}

/* v rounded and clamped to a byte. */
static inline uint8_t pack1(float v)
{
    v += 0.5f;
    v = v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v);
    return (uint8_t)(int)v;
}

DISP_HOT void disp_row_pack_rgb(const float *restrict r, const float *restrict g,
                                const float *restrict b, uint8_t *restrict o, int w)
{
    for (int x = 0; x < w; x++) {
        o[3 * x] = pack1(r[x]);
        o[3 * x + 1] = pack1(g[x]);
        o[3 * x + 2] = pack1(b[x]);
    }
}

DISP_HOT void disp_row_pack(const float *restrict f, uint8_t *restrict o, int w)
{
    for (int x = 0; x < w; x++)
        o[x] = pack1(f[x]);
}

DISP_HOT void disp_row_bilinear(const float *restrict top, const float *restrict bot, float wy,
                                float thr, uint8_t *restrict o, int w)
{
    if (thr > 0.0f) {
        for (int x = 0; x < w; x++)
            o[x] = top[x] + (bot[x] - top[x]) * wy >= thr ? 255 : 0;
        return;
    }
    for (int x = 0; x < w; x++) {
        /* round(255 p), clamped: the reference's to_u8() */
        float v = (top[x] + (bot[x] - top[x]) * wy) * 255.0f + 0.5f;
        v = v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v);
        o[x] = (uint8_t)(int)v;
    }
}

DISP_HOT void disp_row_guided(const float *restrict a0, const float *restrict a1,
                              const float *restrict b0, const float *restrict b1, float wy,
                              const uint8_t *restrict Y, uint8_t *restrict o, int w)
{
    for (int x = 0; x < w; x++) {
        float a = a0[x] + (a1[x] - a0[x]) * wy;
        float b = b0[x] + (b1[x] - b0[x]) * wy;
        float v = a * (float)Y[x] + b + 0.5f;
        /* Within 1% of 0 or 1 is the filter's ripple on flat ground: snap
         * it, so the background is exactly 0 and the body exactly 255. */
        v = v < 3.0f ? 0.0f : (v >= 253.0f ? 255.0f : v);
        o[x] = (uint8_t)(int)v;
    }
}

/* ==== the guided filter's box sums ===================================== */

/* A window is R = 2r + 1 rows or columns. Rows are padded with r zeros at
 * each end and a row outside the plane is a row of zeros, so every sum has
 * R terms in a fixed order (the outside ones exact zeros): no edge cases,
 * and a sample's sum is the same whichever band of rows computes it. R is a
 * constant per case, so the sum over the window unrolls (forced: GCC stops
 * at 16 by itself) and the loop over x vectorises. */
#define BOX_SUMS(R)                                                                     \
    static inline void gsums_##R(const float *const *I, const float *const *P,         \
                                 float *restrict o, size_t os, int n)                   \
    {                                                                                   \
        float *restrict o1 = o + os, *restrict o2 = o + 2 * os, *restrict o3 = o + 3 * os; \
        for (int x = 0; x < n; x++) {                                                   \
            float si = 0.0f, sp = 0.0f, sii = 0.0f, sip = 0.0f;                         \
            _Pragma("GCC unroll 17") for (int k = 0; k < (R); k++) {                    \
                float i = I[k][x], p = P[k][x];                                         \
                si += i;                                                                \
                sp += p;                                                                \
                sii += i * i;                                                           \
                sip += i * p;                                                           \
            }                                                                           \
            o[x] = si;                                                                  \
            o1[x] = sp;                                                                 \
            o2[x] = sii;                                                                \
            o3[x] = sip;                                                                \
        }                                                                               \
    }                                                                                   \
    static inline void vsum_##R(const float *const *a, float *restrict o, int n)        \
    {                                                                                   \
        for (int x = 0; x < n; x++) {                                                   \
            float sum = 0.0f;                                                           \
            _Pragma("GCC unroll 17") for (int k = 0; k < (R); k++)                      \
                sum += a[k][x];                                                         \
            o[x] = sum;                                                                 \
        }                                                                               \
    }                                                                                   \
    static inline void hsum_##R(const float *restrict a, float *restrict o, int n)      \
    {                                                                                   \
        for (int x = 0; x < n; x++) {                                                   \
            float sum = 0.0f;                                                           \
            _Pragma("GCC unroll 17") for (int k = 0; k < (R); k++)                      \
                sum += a[x + k];                                                        \
            o[x] = sum;                                                                 \
        }                                                                               \
    }
BOX_SUMS(3)
BOX_SUMS(5)
BOX_SUMS(7)
BOX_SUMS(9)
BOX_SUMS(11)
BOX_SUMS(13)
BOX_SUMS(15)
BOX_SUMS(17)

/* fn##_R(...) for the window of radius r (1..8). */
#define BY_RADIUS(r, fn, ...)                  \
    switch (r) {                               \
    case 1: fn##_3(__VA_ARGS__); break;        \
    case 2: fn##_5(__VA_ARGS__); break;        \
    case 3: fn##_7(__VA_ARGS__); break;        \
    case 4: fn##_9(__VA_ARGS__); break;        \
    case 5: fn##_11(__VA_ARGS__); break;       \
    case 6: fn##_13(__VA_ARGS__); break;       \
    case 7: fn##_15(__VA_ARGS__); break;       \
    default: fn##_17(__VA_ARGS__); break;      \
    }

DISP_HOT void disp_rows_guided_sums(const float *const *I, const float *const *P, int r,
                                    float *restrict o, size_t os, int n)
{
    BY_RADIUS(r, gsums, I, P, o, os, n)
}

DISP_HOT void disp_rows_sum(const float *const *a, int r, float *restrict o, int n)
{
    BY_RADIUS(r, vsum, a, o, n)
}

DISP_HOT void disp_row_hsum(const float *restrict a, int r, float *restrict o, int n)
{
    BY_RADIUS(r, hsum, a, o, n)
}

DISP_HOT void disp_row_guided_coef(const float *restrict s, size_t ss,
                                   const float *restrict kx, float ky, float eps,
                                   float *restrict a, float *restrict b, int n)
{
    const float *restrict sp = s + ss, *restrict sii = s + 2 * ss, *restrict sip = s + 3 * ss;
    for (int x = 0; x < n; x++) {
        float k = kx[x] * ky;
        float mi = s[x] * k, mp = sp[x] * k, mii = sii[x] * k, mip = sip[x] * k;
        float av = (mip - mi * mp) / (mii - mi * mi + eps);
        a[x] = av;
        b[x] = mp - av * mi;
    }
}

DISP_HOT void disp_row_guided_mean(const float *restrict sa, const float *restrict sb,
                                   const float *restrict kx, float ky, float ka, float kb,
                                   float *restrict A, float *restrict B, uint8_t *restrict cls,
                                   int n)
{
    for (int x = 0; x < n; x++) {
        float k = kx[x] * ky;
        float av = sa[x] * (k * ka), bv = sb[x] * (k * kb), e = bv + 255.0f * av;
        float lo = bv < e ? bv : e, hi = bv < e ? e : bv;
        A[x] = av;
        B[x] = bv;
        /* the margins against the 2.5 and 252.5 that disp_row_guided() snaps
         * at absorb the interpolation's rounding; a sum of two comparisons
         * (lo >= 252.6 implies hi >= 2.4) vectorises better than selects */
        cls[x] = (uint8_t)((hi >= 2.4f) + (lo >= 252.6f));
    }
}

DISP_HOT void disp_row_feather(const float *restrict t0, const float *restrict t1, float wy,
                               uint8_t *restrict a, int w, int dir)
{
    for (int x = 0; x < w; x++) {
        float b = t0[x] + (t1[x] - t0[x]) * wy, v = (float)a[x];
        if (dir == DISP_FEATHER_OUT) {
            float d = 2.0f * b;
            d = d > 255.0f ? 255.0f : d;
            v = v > d ? v : d;
        } else if (dir == DISP_FEATHER_IN) {
            float d = 2.0f * b - 255.0f;
            d = d < 0.0f ? 0.0f : d;
            v = v < d ? v : d;
        } else {
            v = b;
        }
        v += 0.5f;
        v = v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v);
        a[x] = (uint8_t)(int)v;
    }
}

/* The blends work on chunks of CHUNK samples. With three channels the
 * per-pixel alpha is first spread to one byte per channel (a3), so that
 * every byte is one independent 16-bit computation, which vectorises well;
 * per pixel with three channels it does not. A plane of one byte per sample
 * uses its alpha as it is. */
#define CHUNK 64

/* The alpha of each of the chunk's n * bpp bytes. */
static inline const uint8_t *per_byte(const uint8_t *restrict a, uint8_t *restrict a3, int n,
                                      int bpp)
{
    if (bpp == 1)
        return a;
    for (int x = 0; x < n; x++)
        a3[3 * x] = a3[3 * x + 1] = a3[3 * x + 2] = a[x];
    return a3;
}

/* bpp copies of col[0..bpp) side by side, a chunk's worth. */
static inline void pattern(const uint8_t *col, int bpp, uint8_t *restrict c3)
{
    if (bpp == 1) {
        memset(c3, col[0], CHUNK);
        return;
    }
    for (int x = 0; x < CHUNK; x++) {
        c3[3 * x] = col[0];
        c3[3 * x + 1] = col[1];
        c3[3 * x + 2] = col[2];
    }
}

/* (A in + (255 - A) bg + 127) / 255 in 16 bits (the sum is at most 65152). */
static inline uint8_t mix(unsigned A, unsigned in, unsigned bg)
{
    return div255_16((uint16_t)(A * in + (255u - A) * bg + 127u));
}

/* lerp(b0, b1, wy / 256), rounded; at most 65408 before the shift. */
static inline unsigned lerp8(unsigned b0, unsigned b1, unsigned wy)
{
    return (uint16_t)(b0 * (256u - wy) + b1 * wy + 128u) >> 8;
}

static inline void copy_bytes(const uint8_t *in, uint8_t *o, int n)
{
    if (in != o)
        for (int j = 0; j < n; j++)
            o[j] = in[j];
}

DISP_HOT void disp_row_blend_rows(const uint8_t *in, const uint8_t *restrict b0,
                                  const uint8_t *restrict b1, int wy, const uint8_t *restrict a,
                                  uint8_t *o, int w, int bpp)
{
    uint8_t a3[3 * CHUNK];
    for (int x0 = 0; x0 < w; x0 += CHUNK) {
        int n = w - x0 < CHUNK ? w - x0 : CHUNK, nb = bpp * n;
        size_t off = (size_t)bpp * x0;
        const uint8_t *pi = in + off, *p0 = b0 + off, *p1 = b1 + off;
        uint8_t *po = o + off;
        int u = uniform(a + x0, n);
        if (u == 255) {
            copy_bytes(pi, po, nb);
            continue;
        }
        if (u == 0) {
            for (int j = 0; j < nb; j++)
                po[j] = (uint8_t)lerp8(p0[j], p1[j], (unsigned)wy);
            continue;
        }
        const uint8_t *A = per_byte(a + x0, a3, n, bpp);
        for (int j = 0; j < nb; j++)
            po[j] = mix(A[j], pi[j], lerp8(p0[j], p1[j], (unsigned)wy));
    }
}

DISP_HOT void disp_row_blend(const uint8_t *in, const uint8_t *restrict bg,
                             const uint8_t *restrict a, uint8_t *o, int w, int bpp)
{
    uint8_t a3[3 * CHUNK];
    for (int x0 = 0; x0 < w; x0 += CHUNK) {
        int n = w - x0 < CHUNK ? w - x0 : CHUNK, nb = bpp * n;
        size_t off = (size_t)bpp * x0;
        const uint8_t *pi = in + off, *pb = bg + off;
        uint8_t *po = o + off;
        int u = uniform(a + x0, n);
        if (u != 1) {
            copy_bytes(u ? pi : pb, po, nb);
            continue;
        }
        const uint8_t *A = per_byte(a + x0, a3, n, bpp);
        for (int j = 0; j < nb; j++)
            po[j] = mix(A[j], pi[j], pb[j]);
    }
}

DISP_HOT void disp_row_blend_const(const uint8_t *in, const uint8_t *col,
                                   const uint8_t *restrict a, uint8_t *o, int w, int bpp)
{
    uint8_t a3[3 * CHUNK], c3[3 * CHUNK];
    pattern(col, bpp, c3);
    for (int x0 = 0; x0 < w; x0 += CHUNK) {
        int n = w - x0 < CHUNK ? w - x0 : CHUNK, nb = bpp * n;
        const uint8_t *pi = in + (size_t)bpp * x0;
        uint8_t *po = o + (size_t)bpp * x0;
        int u = uniform(a + x0, n);
        if (u != 1) {
            copy_bytes(u ? pi : c3, po, nb);
            continue;
        }
        const uint8_t *A = per_byte(a + x0, a3, n, bpp);
        for (int j = 0; j < nb; j++)
            po[j] = mix(A[j], pi[j], c3[j]);
    }
}

DISP_HOT void disp_row_overlay(const uint8_t *in, const uint8_t *restrict a, int k,
                               const uint8_t *col, uint8_t *o, int w, int bpp)
{
    uint8_t c3[3 * CHUNK];
    uint16_t t3[3 * CHUNK];
    pattern(col, bpp, c3);
    for (int x0 = 0; x0 < w; x0 += CHUNK) {
        int n = w - x0 < CHUNK ? w - x0 : CHUNK, nb = bpp * n;
        const uint8_t *pi = in + (size_t)bpp * x0;
        uint8_t *po = o + (size_t)bpp * x0;
        int u = uniform(a + x0, n);
        if (u == 0) { /* untouched background */
            copy_bytes(pi, po, nb);
            continue;
        }
        /* t = (a k + 127) / 255, 0..256, per byte (one value inside the
         * foreground); then in + (((col - in) t) >> 8) as (in (256 - t) +
         * col t) >> 8, the same value (in 256 is a multiple of 256) with no
         * negative term. Everything fits 16 bits (a k + 127 <= 65407; the
         * blend <= 65280), so the loops run in 16-bit lanes; the division
         * by the constant is a high multiply. */
        if (u == 255) {
            uint16_t t = (uint16_t)((uint16_t)(255 * k + 127) / 255u);
            for (int j = 0; j < nb; j++)
                t3[j] = t;
        } else if (bpp == 1) {
            for (int x = 0; x < n; x++)
                t3[x] = (uint16_t)((uint16_t)(a[x0 + x] * k + 127) / 255u);
        } else {
            for (int x = 0; x < n; x++) {
                uint16_t t = (uint16_t)((uint16_t)(a[x0 + x] * k + 127) / 255u);
                t3[3 * x] = t3[3 * x + 1] = t3[3 * x + 2] = t;
            }
        }
        for (int j = 0; j < nb; j++)
            po[j] = (uint8_t)((uint16_t)(pi[j] * (256 - t3[j]) + c3[j] * t3[j]) >> 8);
    }
}

DISP_HOT void disp_row_grey(const uint8_t *restrict a, uint8_t *restrict o, int w)
{
    for (int x = 0; x < w; x++)
        o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = a[x];
}

DISP_HOT void disp_row_grey_y(const uint8_t *restrict a, uint8_t *restrict o, int w, int mul,
                              int add)
{
    for (int x = 0; x < w; x++)
        o[x] = (uint8_t)(add + div255_16((uint16_t)(a[x] * mul + 127)));
}

DISP_HOT void disp_row_rgba(const uint8_t *restrict in, const uint8_t *restrict a,
                            uint8_t *restrict o, int w)
{
    for (int x = 0; x < w; x++) {
        o[4 * x] = in[3 * x];
        o[4 * x + 1] = in[3 * x + 1];
        o[4 * x + 2] = in[3 * x + 2];
        o[4 * x + 3] = a[x];
    }
}
