/* nn_simd.c - the x86 SIMD kernels, compiled twice: once with AVX2+FMA
 * (NN_SIMD_AVX2, 8 lanes) and once with AVX-512 (NN_SIMD_AVX512, 16 lanes),
 * each defining its own nn_isa table. nn_kernels.c picks one at run time.
 *
 * GEMM: a register-blocked microkernel in the BLIS/XNNPACK style. A tile of
 * MR rows x NV vectors of columns is held in registers; per depth step it
 * loads NV weight vectors from the packed panels and broadcasts one A value
 * per row from memory into an FMA. Bias, activation and a residual add are
 * applied on the registers before the only store (the "epilogue"). */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "nn_kernels.h"

#if defined(NN_SIMD_AVX512)
#define SFX(x) x##_avx512
#define ISA_NAME "avx512"
typedef __m512 V;
#define VL 16
#define MR 8 /* rows per tile: 8 x 2 vectors = 16 accumulators of 32 registers */
#define NP 2 /* panels per tile */
static inline V vzero(void) { return _mm512_setzero_ps(); }
static inline V vld(const float *p) { return _mm512_loadu_ps(p); }
static inline void vst(float *p, V v) { _mm512_storeu_ps(p, v); }
static inline V vset(float x) { return _mm512_set1_ps(x); }
static inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
static inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
static inline V vmin(V a, V b) { return _mm512_min_ps(a, b); }
static inline V vld_n(const float *p, int n)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
static inline void vst_n(float *p, V v, int n)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
static inline V vround(V x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline V vrcp_approx(V x) { return _mm512_rcp14_ps(x); }
/* y * 2^n for integral n in float */
static inline V vldexp(V y, V n) { return _mm512_scalef_ps(y, n); }
#elif defined(NN_SIMD_AVX2)
#define SFX(x) x##_avx2
#define ISA_NAME "avx2"
typedef __m256 V;
#define VL 8
#define MR 6 /* 6 x 2 vectors = 12 accumulators of 16 registers */
#define NP 1
static inline V vzero(void) { return _mm256_setzero_ps(); }
static inline V vld(const float *p) { return _mm256_loadu_ps(p); }
static inline void vst(float *p, V v) { _mm256_storeu_ps(p, v); }
static inline V vset(float x) { return _mm256_set1_ps(x); }
static inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
static inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
static inline V vmin(V a, V b) { return _mm256_min_ps(a, b); }
static const int32_t MASK_TAB[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i mask_n(int n) { return _mm256_loadu_si256((const __m256i *)(const void *)(MASK_TAB + 8 - n)); }
static inline V vld_n(const float *p, int n) { return _mm256_maskload_ps(p, mask_n(n)); }
static inline void vst_n(float *p, V v, int n) { _mm256_maskstore_ps(p, mask_n(n), v); }
static inline V vround(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline V vrcp_approx(V x) { return _mm256_rcp_ps(x); }
static inline V vldexp(V y, V n)
{
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
#else
#error "compile nn_simd.c with NN_SIMD_AVX512 or NN_SIMD_AVX2"
#endif

#define VPP (NN_PW / VL) /* vectors per packed panel */

/* Store the first @p n (0 < n <= 2 * VL) of two vectors' 2 * VL floats. */
static inline void store2_n(float *p, V first, V second, int n)
{
    if (n >= 2 * VL) {
        vst(p, first);
        vst(p + VL, second);
    } else {
        vst_n(p, first, n < VL ? n : VL);
        if (n > VL)
            vst_n(p + VL, second, n - VL);
    }
}

#if defined(NN_SIMD_AVX512)
/* A masked load costs the same as a plain one with AVX-512, so tiles take
 * channel tails too; with AVX2 they only run on whole vectors. */
typedef __mmask16 M;
static inline M mask_of(int n) { return (M)((1u << n) - 1u); }
static inline V vld_m(const float *p, M m) { return _mm512_maskz_loadu_ps(m, p); }
#define TILES_TAKE_TAILS 1
#else
typedef int M;
static inline M mask_of(int n) { return n; }
static inline V vld_m(const float *p, M m) { (void)m; return vld(p); }
#define TILES_TAKE_TAILS 0
#endif

/* ==== activations ====================================================== */

/* e^x, Cephes' expf: x = n ln2 + r, |r| <= ln2/2, degree-5 polynomial.
 * Relative error about 2 ulp; the clamp keeps 2^n a normal float. */
static inline V vexp(V x)
{
    x = vmin(x, vset(88.0f));
    x = vmax(x, vset(-87.0f));
    V n = vround(vmul(x, vset(1.44269504088896341f)));
    V r = vsub(x, vmul(n, vset(0.693359375f)));
    r = vsub(r, vmul(n, vset(-2.12194440e-4f)));
    V y = vset(1.9875691500e-4f);
    y = vfma(y, r, vset(1.3981999507e-3f));
    y = vfma(y, r, vset(8.3334519073e-3f));
    y = vfma(y, r, vset(4.1665795894e-2f));
    y = vfma(y, r, vset(1.6666665459e-1f));
    y = vfma(y, r, vset(5.0000001201e-1f));
    y = vfma(y, vmul(r, r), vadd(r, vset(1.0f)));
    return vldexp(y, n);
}

/* 1/x: the hardware estimate (12 or 14 bits) and one Newton step (the
 * error squares: about 1 ulp), cheaper than a divide. x is in [1, inf). */
static inline V vrcp(V x)
{
    V r = vrcp_approx(x);
    return vmul(r, vsub(vset(2.0f), vmul(x, r)));
}

static inline V vact(nn_act act, V x)
{
    switch (act) {
    case NN_ACT_NONE: return x;
    case NN_ACT_RELU: return vmax(x, vzero());
    case NN_ACT_RELU6: return vmin(vmax(x, vzero()), vset(6.0f));
    case NN_ACT_RELU_N1_TO_1: return vmin(vmax(x, vset(-1.0f)), vset(1.0f));
    case NN_ACT_HARD_SWISH:
        return vmul(vmul(x, vmin(vmax(vadd(x, vset(3.0f)), vzero()), vset(6.0f))),
                    vset(1.0f / 6.0f));
    case NN_ACT_LOGISTIC:
        return vrcp(vadd(vset(1.0f), vexp(vsub(vzero(), x))));
    case NN_ACT_TANH: {
        /* tanh x = 1 - 2 / (e^2x + 1) */
        V e = vexp(vadd(x, x));
        return vsub(vset(1.0f), vdiv(vset(2.0f), vadd(e, vset(1.0f))));
    }
    default: return x;
    }
}

static void act_span(nn_act act, float *x, size_t n)
{
    if (act == NN_ACT_NONE)
        return;
    size_t i = 0;
    for (; i + VL <= n; i += VL)
        vst(x + i, vact(act, vld(x + i)));
    if (i < n)
        vst_n(x + i, vact(act, vld_n(x + i, (int)(n - i))), (int)(n - i));
}

/* ==== GEMM ============================================================= */

/* One tile: ROWS rows x NV vectors of columns starting at panel bp. cols is
 * how many of the NV*VL columns exist (the rest are padding, not stored). */
#define DEFINE_TILE(NAME, ROWS, NV)                                                        \
    static void NAME(const nn_gemm_args *g, const float *a, const float *bp,              \
                     const float *bias, float *c, const float *res, int cols)             \
    {                                                                                      \
        V acc[ROWS][NV];                                                                   \
        const float *bv[NV];                                                               \
        const size_t lda = g->lda;                                                         \
        const int k_end = g->k;                                                            \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                               \
            bv[v] = bp + (size_t)(v / VPP) * k_end * NN_PW + (v % VPP) * VL;               \
        _Pragma("GCC unroll 16") for (int i = 0; i < ROWS; i++)                            \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                           \
                acc[i][v] = vld(bias + v * VL);                                            \
        const int nseg = g->nseg > 1 ? g->nseg : 1;                                        \
        const int kseg = k_end / nseg;                                                     \
        for (int s = 0; s < nseg; s++) {                                                   \
            const float *as = a + (size_t)s * g->seg_stride;                               \
            const size_t kb = (size_t)s * kseg;                                            \
            for (int k = 0; k < kseg; k++) {                                               \
                V w[NV];                                                                   \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                       \
                    w[v] = vld(bv[v] + (kb + k) * NN_PW);                                  \
                /* Rows i and i + 8 share the offset i*lda from two bases,  \
                 * so 16 rows need 8 offset registers, not 16. */              \
                const float *ah = as + (ROWS > 8 ? 8 * lda : 0);                           \
                _Pragma("GCC unroll 16") for (int i = 0; i < ROWS; i++) {                  \
                    V x = vset(i < 8 ? as[i * lda + k] : ah[(i - 8) * lda + k]);           \
                    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                   \
                        acc[i][v] = vfma(x, w[v], acc[i][v]);                              \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 16") for (int i = 0; i < ROWS; i++) {                          \
            float *ci = c + i * g->ldc;                                                    \
            const float *ri = res ? res + i * g->ldr : NULL;                               \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                         \
                int nv = cols - v * VL;                                                    \
                if (nv <= 0)                                                               \
                    break;                                                                 \
                V x = vact(g->act, acc[i][v]);                                             \
                if (nv >= VL) {                                                            \
                    if (ri)                                                                \
                        x = vact(g->act2, vadd(x, vld(ri + v * VL)));                      \
                    vst(ci + v * VL, x);                                                   \
                } else {                                                                   \
                    if (ri)                                                                \
                        x = vact(g->act2, vadd(x, vld_n(ri + v * VL, nv)));                \
                    vst_n(ci + v * VL, x, nv);                                             \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

DEFINE_TILE(tile_full_wide, MR, NP * VPP)
DEFINE_TILE(tile_row_wide, 1, NP * VPP)
#if NP > 1
/* One panel (16 columns) leaves registers for twice the rows. */
#define MR_ONE (2 * MR)
DEFINE_TILE(tile_full_one, MR_ONE, VPP)
DEFINE_TILE(tile_part_one, MR, VPP)
DEFINE_TILE(tile_row_one, 1, VPP)
#endif

static void gemm(const nn_gemm_args *g, long r0, long r1)
{
    int npan = (g->n + NN_PW - 1) / NN_PW;
#if NP > 1
    if (npan == 1) {
        /* Narrow outputs (16 channels or fewer): taller tiles. */
        const float *bias = g->bias;
        long r = r0;
        for (; r + MR_ONE <= r1; r += MR_ONE)
            tile_full_one(g, g->a + (size_t)r * g->lda, g->b, bias, g->c + (size_t)r * g->ldc,
                          g->res ? g->res + (size_t)r * g->ldr : NULL, g->n);
        for (; r + MR <= r1; r += MR)
            tile_part_one(g, g->a + (size_t)r * g->lda, g->b, bias, g->c + (size_t)r * g->ldc,
                          g->res ? g->res + (size_t)r * g->ldr : NULL, g->n);
        for (; r < r1; r++)
            tile_row_one(g, g->a + (size_t)r * g->lda, g->b, bias, g->c + (size_t)r * g->ldc,
                         g->res ? g->res + (size_t)r * g->ldr : NULL, g->n);
        return;
    }
#endif
    for (long r = r0; r < r1; r += MR) {
        long mr = r1 - r < MR ? r1 - r : MR;
        const float *a = g->a + (size_t)r * g->lda;
        float *c = g->c + (size_t)r * g->ldc;
        const float *res = g->res ? g->res + (size_t)r * g->ldr : NULL;
        for (int p = 0; p < npan; p += NP) {
            int nph = npan - p < NP ? npan - p : NP;
            int cols = g->n - p * NN_PW;
            const float *bp = g->b + (size_t)p * g->k * NN_PW;
            const float *bias = g->bias + p * NN_PW;
            float *cp = c + p * NN_PW;
            const float *rp = res ? res + p * NN_PW : NULL;
#if NP > 1
            if (nph < NP) {
                if (mr == MR)
                    tile_part_one(g, a, bp, bias, cp, rp, cols);
                else
                    for (long i = 0; i < mr; i++)
                        tile_row_one(g, a + i * g->lda, bp, bias, cp + i * g->ldc,
                                     rp ? rp + i * g->ldr : NULL, cols);
                continue;
            }
#else
            (void)nph;
#endif
            if (mr == MR)
                tile_full_wide(g, a, bp, bias, cp, rp, cols);
            else
                for (long i = 0; i < mr; i++)
                    tile_row_wide(g, a + i * g->lda, bp, bias, cp + i * g->ldc,
                                  rp ? rp + i * g->ldr : NULL, cols);
        }
    }
}

/* ==== depthwise ======================================================== */

/* Interior tiles of the depthwise conv, specialised for the kernel widths
 * and strides MobileNet-style models use (dilation 1, whole vectors): for
 * each kernel row, the (T-1)*SW+KW input vectors a tile of T outputs needs
 * are loaded once into registers, then each weight vector serves T FMAs. */
#define DEFINE_DW_TILE(NAME, KW, SW, T)                                                   \
    static void NAME(const float *const *rows, int nrows, const float *const *wrows,     \
                     size_t cs, V b, V *out, M m)                                         \
    {                                                                                    \
        V acc[T];                                                                        \
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) acc[j] = b;                  \
        for (int r = 0; r < nrows; r++) {                                                \
            V x[(T - 1) * SW + KW];                                                      \
            const float *p = rows[r];                                                    \
            _Pragma("GCC unroll 32") for (int q = 0; q < (T - 1) * SW + KW; q++) {       \
                x[q] = vld_m(p, m);                                                      \
                p += cs;                                                                 \
            }                                                                            \
            const float *wp = wrows[r];                                                  \
            _Pragma("GCC unroll 8") for (int kx = 0; kx < KW; kx++) {                    \
                V w = vld_m(wp + (size_t)kx * cs, m);                                    \
                _Pragma("GCC unroll 8") for (int j = 0; j < T; j++)                      \
                    acc[j] = vfma(x[j * SW + kx], w, acc[j]);                            \
            }                                                                            \
        }                                                                                \
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) out[j] = acc[j];             \
    }

DEFINE_DW_TILE(dw_tile_3_1, 3, 1, 8)
DEFINE_DW_TILE(dw_tile_3_2, 3, 2, 8)
DEFINE_DW_TILE(dw_tile_5_1, 5, 1, 8)
DEFINE_DW_TILE(dw_tile_5_2, 5, 2, 4)
/* Narrower tiles for what is left of a row after the wide ones (at 16 or 32
 * columns, up to 7 outputs a row, which one output at a time took about
 * half of the selfie model's depthwise time). */
DEFINE_DW_TILE(dw_tile_3_1_n, 3, 1, 4)
DEFINE_DW_TILE(dw_tile_3_2_n, 3, 2, 4)
DEFINE_DW_TILE(dw_tile_5_1_n, 5, 1, 4)
DEFINE_DW_TILE(dw_tile_5_2_n, 5, 2, 2)

typedef void (*dw_tile_fn)(const float *const *, int, const float *const *, size_t, V, V *, M);

static void depthwise(const nn_dw_args *a, int y0, int y1)
{
    const nn_window *g = &a->g;
    const int C = a->c, iw = a->iw, kw = g->kw, sw = g->stride_w, dw = g->dil_w;
    /* Output columns whose window is inside the input horizontally. */
    int ox_lo = (g->pad_left + sw - 1) / sw, ox_hi = ox_lo;
    while (ox_hi < a->ow && ox_hi * sw - g->pad_left + (kw - 1) * dw < iw)
        ox_hi++;
    if (ox_hi < ox_lo)
        ox_hi = ox_lo;
    dw_tile_fn tile = NULL, tile_n = NULL;
    int T = 0, Tn = 0;
    if (dw == 1 && g->kh <= 8) {
        if (kw == 3 && sw == 1) { tile = dw_tile_3_1; T = 8; tile_n = dw_tile_3_1_n; Tn = 4; }
        else if (kw == 3 && sw == 2) { tile = dw_tile_3_2; T = 8; tile_n = dw_tile_3_2_n; Tn = 4; }
        else if (kw == 5 && sw == 1) { tile = dw_tile_5_1; T = 8; tile_n = dw_tile_5_1_n; Tn = 4; }
        else if (kw == 5 && sw == 2) { tile = dw_tile_5_2; T = 4; tile_n = dw_tile_5_2_n; Tn = 2; }
    }
    for (int oy = y0; oy < y1; oy++) {
        int ybase = oy * g->stride_h - g->pad_top;
        int ky0 = 0, ky1 = g->kh;
        while (ky0 < ky1 && ybase + ky0 * g->dil_h < 0)
            ky0++;
        while (ky1 > ky0 && ybase + (ky1 - 1) * g->dil_h >= a->ih)
            ky1--;
        float *orow = a->out + (size_t)oy * a->ow * C;
        const float *rrow = a->res ? a->res + (size_t)oy * a->ow * C : NULL;
        for (int c0 = 0; c0 < C; c0 += VL) {
            int nc = C - c0 < VL ? C - c0 : VL;
            V b = a->bias ? vld_n(a->bias + c0, nc) : vzero();
            const float *rows[8], *wrows[8];
            int nrows = 0;
            int use_tile = tile && (nc == VL || TILES_TAKE_TAILS);
            if (use_tile)
                for (int ky = ky0; ky < ky1; ky++, nrows++) {
                    rows[nrows] = a->in + (size_t)(ybase + ky * g->dil_h) * iw * C + c0;
                    wrows[nrows] = a->w + (size_t)ky * kw * C + c0;
                }
            int ox = 0;
            while (ox < a->ow) {
                int t = !use_tile || ox < ox_lo ? 0 : ox + T <= ox_hi ? T : ox + Tn <= ox_hi ? Tn : 0;
                if (t) {
                    const float *tr[8];
                    size_t xoff = (size_t)(ox * sw - g->pad_left) * C;
                    for (int r = 0; r < nrows; r++)
                        tr[r] = rows[r] + xoff;
                    V acc[8];
                    (t == T ? tile : tile_n)(tr, nrows, wrows, (size_t)C, b, acc, mask_of(nc));
                    for (int j = 0; j < t; j++) {
                        size_t at = (size_t)(ox + j) * C + c0;
                        V x = vact(a->act, acc[j]);
                        if (nc == VL) {
                            if (rrow)
                                x = vact(a->act2, vadd(x, vld(rrow + at)));
                            vst(orow + at, x);
                        } else {
                            if (rrow)
                                x = vact(a->act2, vadd(x, vld_n(rrow + at, nc)));
                            vst_n(orow + at, x, nc);
                        }
                    }
                    ox += t;
                    continue;
                }
                /* Borders, channel tails and other shapes: one output. */
                int xbase = ox * sw - g->pad_left;
                V acc = b;
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *ip = a->in + ((size_t)(ybase + ky * g->dil_h) * iw) * C + c0;
                    const float *wp = a->w + (size_t)ky * kw * C + c0;
                    for (int kx = 0; kx < kw; kx++) {
                        int x = xbase + kx * dw;
                        if (x < 0 || x >= iw)
                            continue;
                        if (nc == VL) /* masked loads cost more (AVX2's vmaskmovps) */
                            acc = vfma(vld(ip + (size_t)x * C), vld(wp + (size_t)kx * C), acc);
                        else
                            acc = vfma(vld_n(ip + (size_t)x * C, nc), vld_n(wp + (size_t)kx * C, nc),
                                       acc);
                    }
                }
                acc = vact(a->act, acc);
                size_t at = (size_t)ox * C + c0;
                if (nc == VL) {
                    if (rrow)
                        acc = vact(a->act2, vadd(acc, vld(rrow + at)));
                    vst(orow + at, acc);
                } else {
                    if (rrow)
                        acc = vact(a->act2, vadd(acc, vld_n(rrow + at, nc)));
                    vst_n(orow + at, acc, nc);
                }
                ox++;
            }
        }
    }
}

/* ==== bilinear resize ================================================== */

static void resize(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                   int align_corners, int half_pixel, const float *res, nn_act act2,
                   int y0, int y1)
{
    float sy = nn_resize_scale(ih, oh, align_corners);
    float sx = nn_resize_scale(iw, ow, align_corners);
    for (int y = y0; y < y1; y++) {
        float fy = half_pixel ? ((float)y + 0.5f) * sy - 0.5f : (float)y * sy;
        int ya = (int)floorf(fy), yb = (int)ceilf(fy);
        ya = ya < 0 ? 0 : ya;
        yb = yb > ih - 1 ? ih - 1 : yb;
        V wy = vset(fy - (float)ya);
        for (int x = 0; x < ow; x++) {
            float fx = half_pixel ? ((float)x + 0.5f) * sx - 0.5f : (float)x * sx;
            int xa = (int)floorf(fx), xb = (int)ceilf(fx);
            xa = xa < 0 ? 0 : xa;
            xb = xb > iw - 1 ? iw - 1 : xb;
            V wx = vset(fx - (float)xa);
            const float *p00 = in + ((size_t)ya * iw + xa) * c;
            const float *p01 = in + ((size_t)ya * iw + xb) * c;
            const float *p10 = in + ((size_t)yb * iw + xa) * c;
            const float *p11 = in + ((size_t)yb * iw + xb) * c;
            float *o = out + ((size_t)y * ow + x) * c;
            const float *r = res ? res + ((size_t)y * ow + x) * c : NULL;
            int ch = 0;
            /* top + (bottom - top) * wy with top/bottom lerped in x. */
            for (; ch + VL <= c; ch += VL) {
                V t = vld(p00 + ch), u = vld(p10 + ch);
                t = vfma(vsub(vld(p01 + ch), t), wx, t);
                u = vfma(vsub(vld(p11 + ch), u), wx, u);
                V v = vfma(vsub(u, t), wy, t);
                if (r)
                    v = vact(act2, vadd(v, vld(r + ch)));
                vst(o + ch, v);
            }
            if (ch < c) {
                int n = c - ch;
                V t = vld_n(p00 + ch, n), u = vld_n(p10 + ch, n);
                t = vfma(vsub(vld_n(p01 + ch, n), t), wx, t);
                u = vfma(vsub(vld_n(p11 + ch, n), u), wx, u);
                V v = vfma(vsub(u, t), wy, t);
                if (r)
                    v = vact(act2, vadd(v, vld_n(r + ch, n)));
                vst_n(o + ch, v, n);
            }
        }
    }
}


/* ==== transposed conv with a narrow output ============================== */

#if defined(NN_SIMD_AVX512)
/* 16x16 transpose in registers: r[p][i] -> r[i][p]. */
static inline void transpose16(V r[16])
{
    V t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
        __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int i = 0; i < 2; i++)
        for (int q = 0; q < 4; q++) {
            t[8 * i + q] = _mm512_shuffle_f32x4(r[8 * i + q], r[8 * i + 4 + q], 0x88);
            t[8 * i + 4 + q] = _mm512_shuffle_f32x4(r[8 * i + q], r[8 * i + 4 + q], 0xdd);
        }
    for (int q = 0; q < 8; q++) {
        r[q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0x88);
        r[q + 8] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0xdd);
    }
}

/* tconv_small's input: channels 0..15 of pixels x0..x0+np-1 (np <= VL)
 * of a 16-channel row, channel-major: r[i] holds channel i of each pixel,
 * lanes past np zero. */
static inline void tsmall_load(const float *ip, int np, V r[16])
{
    for (int p = 0; p < 16; p++)
        r[p] = p < np ? vld(ip + (size_t)p * 16) : vzero();
    transpose16(r);
}

/* Two outputs per pixel, a (kx = 0) and c (kx = 1), interleaved into @p n
 * floats (n = 2 * np) of @p orow. */
static inline void tsmall_store2(float *orow, V a, V c, int n)
{
    const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi_idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    store2_n(orow, _mm512_permutex2var_ps(a, lo_idx, c), _mm512_permutex2var_ps(a, hi_idx, c),
             n);
}
#define HAVE_TSMALL 1
#elif defined(NN_SIMD_AVX2)
/* 8x8 transpose in registers: r[p][i] -> r[i][p]. */
static inline void transpose8(V r[8])
{
    V t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        V *a = t + 4 * i, *o = u + 4 * i;
        o[0] = _mm256_shuffle_ps(a[0], a[2], _MM_SHUFFLE(1, 0, 1, 0));
        o[1] = _mm256_shuffle_ps(a[0], a[2], _MM_SHUFFLE(3, 2, 3, 2));
        o[2] = _mm256_shuffle_ps(a[1], a[3], _MM_SHUFFLE(1, 0, 1, 0));
        o[3] = _mm256_shuffle_ps(a[1], a[3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int q = 0; q < 4; q++) {
        r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
        r[q + 4] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
    }
}

/* tsmall_load (AVX-512's above) for 8 pixels: their 16 channels
 * transposed as two 8x8 blocks, channels 0..7 then 8..15. */
static inline void tsmall_load(const float *ip, int np, V r[16])
{
    for (int p = 0; p < 8; p++) {
        r[p] = p < np ? vld(ip + (size_t)p * 16) : vzero();
        r[8 + p] = p < np ? vld(ip + (size_t)p * 16 + 8) : vzero();
    }
    transpose8(r);
    transpose8(r + 8);
}

static inline void tsmall_store2(float *orow, V a, V c, int n)
{
    V u = _mm256_unpacklo_ps(a, c);
    V v = _mm256_unpackhi_ps(a, c);
    store2_n(orow, _mm256_permute2f128_ps(u, v, 0x20), _mm256_permute2f128_ps(u, v, 0x31), n);
}
#define HAVE_TSMALL 1
#endif

#ifdef HAVE_TSMALL
/* One output channel, 16 input channels, kernel == stride, no padding (the
 * MediaPipe decoder head). A GEMM over 1 output column wastes all lanes
 * but one, so this works on VL input pixels at once: transposed to
 * channel-major (tsmall_load), each of the kh*kw outputs for all VL pixels
 * is 16 broadcast FMAs, in the same order (bias, then channels 0 to 15)
 * whatever VL, so both ISAs give the same floats. Returns -1 for shapes it
 * does not handle. */
static int tconv_small(const float *in, int ih, int iw, int ic, const float *w,
                       const float *bias, int oc, int kh, int kw, float *out, nn_act act,
                       int y0, int y1)
{
    (void)ih;
    if (ic != 16 || oc != 1 || kh * kw > 16 || kh < 1 || kw < 1)
        return -1;
    const int J = kh * kw, ow = iw * kw;
    const V b = vset(bias ? bias[0] : 0.0f);
    for (int y = y0; y < y1; y++) {
        for (int x0 = 0; x0 < iw; x0 += VL) {
            int np = iw - x0 < VL ? iw - x0 : VL;
            V r[16];
            tsmall_load(in + ((size_t)y * iw + x0) * 16, np, r);
            V acc[16];
            for (int j = 0; j < J; j++) {
                V a = b;
                const float *wj = w + (size_t)j * 16;
                for (int i = 0; i < 16; i++)
                    a = vfma(vset(wj[i]), r[i], a);
                acc[j] = vact(act, a);
            }
            for (int ky = 0; ky < kh; ky++) {
                float *orow = out + ((size_t)y * kh + ky) * ow + (size_t)x0 * kw;
                if (kw == 2) {
                    tsmall_store2(orow, acc[ky * 2], acc[ky * 2 + 1], 2 * np);
                } else {
                    float tmp[16][VL];
                    for (int kx = 0; kx < kw; kx++)
                        vst(tmp[kx], acc[ky * kw + kx]);
                    for (int p = 0; p < np; p++)
                        for (int kx = 0; kx < kw; kx++)
                            orow[p * kw + kx] = tmp[kx][p];
                }
            }
        }
    }
    return 0;
}
#define TCONV_SMALL tconv_small
#else
#define TCONV_SMALL NULL
#endif

/* ==== peak ============================================================== */

/* A run of independent FMAs (12 chains, enough to cover the latency), for
 * measuring the machine's real multiply-add rate; returns MACs done. */
static double fma_loop(long iters)
{
    V acc[12];
    for (int j = 0; j < 12; j++)
        acc[j] = vset((float)j * 1e-3f);
    V m = vset(0.999999f), c = vset(1e-7f);
    for (long it = 0; it < iters; it++)
        _Pragma("GCC unroll 12") for (int j = 0; j < 12; j++)
            acc[j] = vfma(acc[j], m, c);
    V sum = vzero();
    for (int j = 0; j < 12; j++)
        sum = vadd(sum, acc[j]);
    float out[VL];
    vst(out, sum);
    volatile float sink = out[0];
    (void)sink;
    return (double)iters * 12.0 * VL;
}

/* ==== narrow convolution (a few output channels) ========================= */

static inline float vhsum(V v)
{
#if defined(NN_SIMD_AVX512)
    return _mm512_reduce_add_ps(v);
#else
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
#endif
}

/* One output pixel's OC dot products: each kernel row's window is kx_hi -
 * kx_lo pixels of contiguous channels in the input and in the OHWI weights. */
static inline __attribute__((always_inline)) void dot_pixel(const nn_dot_args *a, int oy, int ox,
                                                            float *dst, const int OC)
{
    const nn_window *g = &a->g;
    const int ic = a->ic;
    V acc[4][2];
    for (int o = 0; o < OC; o++)
        acc[o][0] = acc[o][1] = vzero();
    int xs = ox * g->stride_w - g->pad_left;
    int kx_lo = xs < 0 ? -xs : 0, kx_hi = a->iw - xs < g->kw ? a->iw - xs : g->kw;
    if (kx_hi > kx_lo) {
        size_t per_o = (size_t)g->kh * g->kw * ic;
        for (int ky = 0; ky < g->kh; ky++) {
            int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
            if (y < 0 || y >= a->ih)
                continue;
            const float *ip = a->in + ((size_t)y * a->iw + xs + kx_lo) * ic;
            const float *wp = a->w + ((size_t)ky * g->kw + kx_lo) * ic;
            int len = (kx_hi - kx_lo) * ic, k = 0;
            for (; k + 2 * VL <= len; k += 2 * VL) {
                V x0 = vld(ip + k), x1 = vld(ip + k + VL);
                for (int o = 0; o < OC; o++) {
                    acc[o][0] = vfma(x0, vld(wp + o * per_o + k), acc[o][0]);
                    acc[o][1] = vfma(x1, vld(wp + o * per_o + k + VL), acc[o][1]);
                }
            }
            for (; k < len; k += VL) {
                int n = len - k < VL ? len - k : VL;
                V x0 = vld_n(ip + k, n);
                for (int o = 0; o < OC; o++)
                    acc[o][0] = vfma(x0, vld_n(wp + o * per_o + k, n), acc[o][0]);
            }
        }
    }
    for (int o = 0; o < OC; o++)
        dst[o] = vhsum(vadd(acc[o][0], acc[o][1])) + (a->bias ? a->bias[o] : 0.0f);
}

static void conv_dot(const nn_dot_args *a, int y0, int y1)
{
    for (int oy = y0; oy < y1; oy++)
        for (int ox = 0; ox < a->ow; ox++) {
            size_t at = ((size_t)oy * a->ow + ox) * a->oc;
            float v[VL]; /* whole vectors: GCC sizes act_span's masked tail by the type */
            switch (a->oc) {
            case 1: dot_pixel(a, oy, ox, v, 1); break;
            case 2: dot_pixel(a, oy, ox, v, 2); break;
            case 3: dot_pixel(a, oy, ox, v, 3); break;
            default: dot_pixel(a, oy, ox, v, 4); break;
            }
            act_span(a->act, v, (size_t)a->oc);
            if (a->res) {
                for (int o = 0; o < a->oc; o++)
                    v[o] += a->res[at + o];
                act_span(a->act2, v, (size_t)a->oc);
            }
            for (int o = 0; o < a->oc; o++)
                a->out[at + o] = v[o];
        }
}

/* ==== Winograd F(4x4, 3x3) ============================================== */

#define WINO_NAME SFX(wino)
#define WINO_GEMM gemm
#define WINO_ACT act_span
#include "nn_wino_impl.h"

const nn_isa SFX(nn_isa) = {ISA_NAME, gemm,     depthwise, act_span,  resize,
                            TCONV_SMALL, fma_loop, SFX(wino), conv_dot};
