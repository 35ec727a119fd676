/* nn_kernels.c - the kernels the graph runs, their portable (plain C) inner
 * loops, and the choice of instruction set.
 *
 * The heavy lifting goes through three per-ISA entry points (nn_isa): a
 * register-blocked GEMM with a fused epilogue, the depthwise conv, and the
 * activations. The drivers here (conv with im2col, transposed conv, pooling,
 * resize, elementwise) are shared by every ISA. Each kernel is tested against
 * its nn_ref_* twin in tests/test_nn_kernels.c, on every ISA the CPU has. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_kernels.h"
#include "seg_clock.h"

/* ==== activations ======================================================= */

static inline float relu6f(float x) { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }

void nn_act_portable(nn_act act, float *x, size_t n)
{
    switch (act) {
    case NN_ACT_NONE: break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_ACT_RELU6:
        for (size_t i = 0; i < n; i++) x[i] = relu6f(x[i]);
        break;
    case NN_ACT_RELU_N1_TO_1:
        for (size_t i = 0; i < n; i++) x[i] = x[i] < -1.0f ? -1.0f : (x[i] > 1.0f ? 1.0f : x[i]);
        break;
    case NN_ACT_HARD_SWISH:
        for (size_t i = 0; i < n; i++) x[i] = x[i] * relu6f(x[i] + 3.0f) * (1.0f / 6.0f);
        break;
    default:
        for (size_t i = 0; i < n; i++) x[i] = nn_ref_act(act, x[i]);
        break;
    }
}

void nn_activation(nn_act act, const float *src, float *dst, size_t n, int ith, int nth)
{
    long lo, hi;
    nn_split((long)n, ith, nth, 64, &lo, &hi);
    if (hi <= lo)
        return;
    if (src != dst)
        memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
    nn_isa_current()->act(act, dst + lo, (size_t)(hi - lo));
}

/* ==== packing ========================================================== */

static int panels(int n) { return (n + NN_PW - 1) / NN_PW; }

size_t nn_pack_size(int n, int k)
{
    return (size_t)panels(n) * NN_PW * ((size_t)k + 1);
}

void nn_pack_conv(const float *w, const float *bias, int oc, int k, float *dst)
{
    int np = panels(oc);
    for (int p = 0; p < np; p++)
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < NN_PW; j++) {
                int o = p * NN_PW + j;
                dst[((size_t)p * k + kk) * NN_PW + j] = o < oc ? w[(size_t)o * k + kk] : 0.0f;
            }
    float *b = dst + (size_t)np * NN_PW * k;
    for (int o = 0; o < np * NN_PW; o++)
        b[o] = (bias && o < oc) ? bias[o] : 0.0f;
}

size_t nn_pack_tconv_size(int oc, int kh, int kw, int ic)
{
    int n = kw * oc;
    return (size_t)kh * panels(n) * NN_PW * (size_t)ic + (size_t)panels(n) * NN_PW;
}

/* Per kernel row ky: a GEMM from ic inputs to kw*oc columns ordered (kx, o),
 * which is exactly the memory order of kw adjacent NHWC output pixels. */
void nn_pack_tconv(const float *w, const float *bias, int oc, int kh, int kw, int ic, float *dst)
{
    int n = kw * oc, np = panels(n);
    size_t per_ky = (size_t)np * NN_PW * ic;
    for (int ky = 0; ky < kh; ky++)
        for (int p = 0; p < np; p++)
            for (int k = 0; k < ic; k++)
                for (int j = 0; j < NN_PW; j++) {
                    int col = p * NN_PW + j;
                    float v = 0.0f;
                    if (col < n) {
                        int kx = col / oc, o = col % oc;
                        v = w[(((size_t)o * kh + ky) * kw + kx) * ic + k];
                    }
                    dst[ky * per_ky + ((size_t)p * ic + k) * NN_PW + j] = v;
                }
    float *b = dst + (size_t)kh * per_ky;
    for (int col = 0; col < np * NN_PW; col++)
        b[col] = (bias && col < n) ? bias[col % oc] : 0.0f;
}

/* ==== GEMM (portable) =================================================== */

void nn_gemm_portable(const nn_gemm_args *g, long r0, long r1)
{
    int np = panels(g->n);
    for (long r = r0; r < r1; r++) {
        const float *a = g->a + (size_t)r * g->lda;
        float *c = g->c + (size_t)r * g->ldc;
        const float *res = g->res ? g->res + (size_t)r * g->ldr : NULL;
        for (int p = 0; p < np; p++) {
            float acc[NN_PW];
            const float *b = g->b + (size_t)p * g->k * NN_PW;
            for (int j = 0; j < NN_PW; j++)
                acc[j] = g->bias[p * NN_PW + j];
            int nseg = g->nseg > 1 ? g->nseg : 1, kseg = g->k / nseg;
            for (int sg = 0; sg < nseg; sg++) {
                const float *as = a + (size_t)sg * g->seg_stride;
                for (int k = 0; k < kseg; k++) {
                    float av = as[k];
                    const float *br = b + ((size_t)sg * kseg + k) * NN_PW;
                    for (int j = 0; j < NN_PW; j++)
                        acc[j] += av * br[j];
                }
            }
            nn_act_portable(g->act, acc, NN_PW);
            int cols = g->n - p * NN_PW < NN_PW ? g->n - p * NN_PW : NN_PW;
            if (res) {
                for (int j = 0; j < cols; j++)
                    acc[j] += res[p * NN_PW + j];
                nn_act_portable(g->act2, acc, (size_t)cols);
            }
            memcpy(c + p * NN_PW, acc, (size_t)cols * sizeof(float));
        }
    }
}

/* ==== depthwise (portable) ============================================= */

void nn_depthwise_portable(const nn_dw_args *a, int y0, int y1)
{
    const nn_window *g = &a->g;
    int c = a->c;
    for (int oy = y0; oy < y1; oy++) {
        for (int ox = 0; ox < a->ow; ox++) {
            float *acc = a->out + ((size_t)oy * a->ow + ox) * c;
            for (int ch = 0; ch < c; ch++)
                acc[ch] = a->bias ? a->bias[ch] : 0.0f;
            for (int ky = 0; ky < g->kh; ky++) {
                int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                if (y < 0 || y >= a->ih)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                    if (x < 0 || x >= a->iw)
                        continue;
                    const float *ip = a->in + ((size_t)y * a->iw + x) * c;
                    const float *wt = a->w + ((size_t)ky * g->kw + kx) * c;
                    for (int ch = 0; ch < c; ch++)
                        acc[ch] += ip[ch] * wt[ch];
                }
            }
            nn_act_portable(a->act, acc, (size_t)c);
            if (a->res) {
                const float *r = a->res + ((size_t)oy * a->ow + ox) * c;
                for (int ch = 0; ch < c; ch++)
                    acc[ch] += r[ch];
                nn_act_portable(a->act2, acc, (size_t)c);
            }
        }
    }
}

/* ==== instruction sets ================================================= */

static double fma_loop_portable(long iters)
{
    float acc[12];
    for (int j = 0; j < 12; j++)
        acc[j] = (float)j * 1e-3f;
    for (long it = 0; it < iters; it++)
        for (int j = 0; j < 12; j++)
            acc[j] = acc[j] * 0.999999f + 1e-7f;
    volatile float sink = acc[0] + acc[11];
    (void)sink;
    return (double)iters * 12.0;
}

static double wall_s(void)
{
    return seg_clock_ms() * 1e-3;
}

double nn_measure_peak_macs(int threads)
{
    (void)threads; /* unused without OpenMP */
    const nn_isa *isa = nn_isa_current();
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) { /* best of three: the machine is shared */
        double macs = 0.0, t0 = wall_s();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads > 0 ? threads : 1) reduction(+ : macs)
#endif
        macs += isa->fma_loop(1L << 20);
        double rate = macs / (wall_s() - t0);
        best = rate > best ? rate : best;
    }
    return best;
}

static void wino_portable(const nn_wino_args *a, long t0, long t1);
static const nn_isa ISA_PORTABLE = {"portable",        nn_gemm_portable, nn_depthwise_portable,
                                    nn_act_portable,   nn_resize_portable, NULL,
                                    fma_loop_portable, wino_portable, NULL};
#ifdef NN_HAVE_X86_SIMD
extern const nn_isa nn_isa_avx2;
extern const nn_isa nn_isa_avx512;
#endif

static const nn_isa *isa_by_name(const char *name)
{
    if (!name || strcmp(name, "portable") == 0)
        return &ISA_PORTABLE;
#ifdef NN_HAVE_X86_SIMD
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return &nn_isa_avx2;
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma"))
        return &nn_isa_avx512;
#endif
    return NULL;
}

static const nn_isa *isa_current;
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

static void isa_init(void)
{
    const char *env = getenv("SEG_ISA");
    const nn_isa *i = env ? isa_by_name(env) : NULL;
    if (!i)
        i = isa_by_name("avx512");
    if (!i)
        i = isa_by_name("avx2");
    if (!i)
        i = &ISA_PORTABLE;
    __atomic_store_n(&isa_current, i, __ATOMIC_RELEASE);
}

const nn_isa *nn_isa_current(void)
{
    pthread_once(&isa_once, isa_init);
    return __atomic_load_n(&isa_current, __ATOMIC_ACQUIRE);
}

int nn_isa_supported(const char *name)
{
    return isa_by_name(name) != NULL;
}

int nn_isa_select(const char *name)
{
    const nn_isa *i = isa_by_name(name);
    if (!i)
        return -5; /* SEG_ERR_UNSUPPORTED */
    pthread_once(&isa_once, isa_init);
    __atomic_store_n(&isa_current, i, __ATOMIC_RELEASE);
    return 0;
}

/* ==== convolution ======================================================= */

static void conv_im2col(const float *in, int ih, int iw, int ic, float *out, int ow,
                        const nn_window *g, const nn_gemm_args *proto, const float *res,
                        int oc, float *scratch, long lo, long hi);

size_t nn_conv_scratch_size(int kh, int kw, int ic)
{
    return (size_t)NN_IM2COL_ROWS * kh * kw * ic;
}

void nn_conv(const float *in, int ih, int iw, int ic, const float *packed, int oc,
             float *out, int oh, int ow, const nn_window *g, nn_act act,
             const float *res, nn_act act2, float *scratch, int ith, int nth)
{
    const nn_isa *isa = nn_isa_current();
    int k = g->kh * g->kw * ic;
    nn_gemm_args ga = {
        .n = oc, .k = k, .b = packed, .bias = packed + (size_t)panels(oc) * NN_PW * k,
        .ldc = (size_t)oc, .act = act, .ldr = (size_t)oc, .act2 = act2,
    };
    long npix = (long)oh * ow, lo, hi;
    if (g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 &&
        g->pad_top == 0 && g->pad_left == 0 && oh == ih && ow == iw) {
        /* 1x1: the input rows are A itself. */
        ga.a = in;
        ga.lda = (size_t)ic;
        ga.c = out;
        ga.res = res;
        nn_split(npix, ith, nth, 16, &lo, &hi);
        if (hi > lo)
            isa->gemm(&ga, lo, hi);
        return;
    }
    if (g->dil_w == 1) {
        /* Direct: for the output pixels whose window lies inside the input,
         * the window's kh rows are each kw*ic contiguous floats, and the next
         * pixel's window starts stride*ic floats later: a GEMM with kh depth
         * segments and lda = stride*ic, reading the input in place. Only the
         * border pixels go through im2col. */
        int ox_lo = (g->pad_left + g->stride_w - 1) / g->stride_w;
        if (ox_lo > ow) /* a kernel wider than the input: no interior pixel */
            ox_lo = ow;
        int ox_hi = ox_lo;
        while (ox_hi < ow && ox_hi * g->stride_w - g->pad_left + g->kw - 1 < iw)
            ox_hi++;
        nn_split(oh, ith, nth, 1, &lo, &hi);
        for (long oy = lo; oy < hi; oy++) {
            int ybase = (int)oy * g->stride_h - g->pad_top;
            int interior_row = ybase >= 0 && ybase + (g->kh - 1) * g->dil_h < ih;
            int a0 = interior_row ? ox_lo : ow, a1 = interior_row ? ox_hi : ow;
            if (a1 > a0) {
                nn_gemm_args gd = ga;
                gd.a = in + ((size_t)ybase * iw + (size_t)(a0 * g->stride_w - g->pad_left)) * ic;
                gd.lda = (size_t)g->stride_w * ic;
                gd.nseg = g->kh;
                gd.seg_stride = (size_t)g->dil_h * iw * ic;
                gd.c = out + ((size_t)oy * ow + a0) * oc;
                gd.res = res ? res + ((size_t)oy * ow + a0) * oc : NULL;
                isa->gemm(&gd, 0, a1 - a0);
            }
            /* The rest of the row, [0, a0) and [a1, ow), by im2col. */
            conv_im2col(in, ih, iw, ic, out, ow, g, &ga, res, oc, scratch, oy * ow,
                        oy * ow + a0);
            conv_im2col(in, ih, iw, ic, out, ow, g, &ga, res, oc, scratch, oy * ow + a1,
                        (oy + 1) * ow);
        }
        return;
    }
    nn_split(npix, ith, nth, NN_IM2COL_ROWS, &lo, &hi);
    conv_im2col(in, ih, iw, ic, out, ow, g, &ga, res, oc, scratch, lo, hi);
}

/* im2col the output pixels [lo, hi) a tile at a time into scratch (patch
 * order ky, kx, i, as the packed weights) and run the GEMM on each tile. */
static void conv_im2col(const float *in, int ih, int iw, int ic, float *out, int ow,
                        const nn_window *g, const nn_gemm_args *proto, const float *res,
                        int oc, float *scratch, long lo, long hi)
{
    nn_gemm_args ga = *proto;
    int k = g->kh * g->kw * ic;
    ga.a = scratch;
    ga.lda = (size_t)k;
    size_t row_bytes = (size_t)ic * sizeof(float);
    for (long t = lo; t < hi; t += NN_IM2COL_ROWS) {
        long rows = hi - t < NN_IM2COL_ROWS ? hi - t : NN_IM2COL_ROWS;
        for (long r = 0; r < rows; r++) {
            long pix = t + r;
            int oy = (int)(pix / ow), ox = (int)(pix % ow);
            float *dst = scratch + (size_t)r * k;
            for (int ky = 0; ky < g->kh; ky++) {
                int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                for (int kx = 0; kx < g->kw; kx++, dst += ic) {
                    int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                    if (y < 0 || y >= ih || x < 0 || x >= iw)
                        memset(dst, 0, row_bytes);
                    else
                        memcpy(dst, in + ((size_t)y * iw + x) * ic, row_bytes);
                }
            }
        }
        ga.c = out + (size_t)t * oc;
        ga.res = res ? res + (size_t)t * oc : NULL;
        nn_isa_current()->gemm(&ga, 0, rows);
    }
}

/* ==== Winograd F(4x4, 3x3) ============================================== */

#define WINO_NAME wino_portable
#define WINO_GEMM nn_gemm_portable
#define WINO_ACT nn_act_portable
#include "nn_wino_impl.h"
#undef WINO_NAME
#undef WINO_GEMM
#undef WINO_ACT

int nn_wino_worth(const nn_window *g, int ic, int oc, int oh, int ow)
{
    if (g->kh != 3 || g->kw != 3 || g->stride_h != 1 || g->stride_w != 1 || g->dil_h != g->dil_w)
        return 0;
    /* The transforms cost about as much as 8 input and 8 output channels of
     * products, and a phase grid under 8x8 is mostly padding tiles. */
    int d = g->dil_h;
    return ic >= 8 && oc >= 8 && oh / d >= 8 && ow / d >= 8;
}

size_t nn_wino_pack_size(int oc, int ic)
{
    return 36 * nn_pack_size(oc, ic) + (size_t)panels(oc) * NN_PW;
}

size_t nn_wino_scratch_size(int ic, int oc)
{
    int cmax = ic > oc ? ic : oc;
    return (size_t)36 * NN_WINO_TILES * ((size_t)ic + oc) + (size_t)36 * cmax +
           (size_t)36 * ic + (size_t)16 * oc;
}

/* U = G g G^T for every (output, input) channel pair, scattered into 36
 * packed GEMM operands ([ic] x [oc] each, zero bias), then the bias. */
void nn_wino_pack(const float *w, const float *bias, int oc, int ic, float *dst)
{
    static const double G[6][3] = {
        {1.0 / 4, 0, 0},
        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6},
        {1.0 / 24, -1.0 / 12, 1.0 / 6},
        {0, 0, 1},
    };
    size_t psize = nn_pack_size(oc, ic);
    memset(dst, 0, nn_wino_pack_size(oc, ic) * sizeof(float));
    for (int o = 0; o < oc; o++) {
        int pan = o / NN_PW, j = o % NN_PW;
        for (int i = 0; i < ic; i++) {
            double gg[6][3];
            for (int r = 0; r < 6; r++)
                for (int kx = 0; kx < 3; kx++) {
                    double v = 0.0;
                    for (int ky = 0; ky < 3; ky++)
                        v += G[r][ky] * (double)w[(((size_t)o * 3 + ky) * 3 + kx) * ic + i];
                    gg[r][kx] = v;
                }
            for (int r = 0; r < 6; r++)
                for (int c = 0; c < 6; c++) {
                    double v = 0.0;
                    for (int kx = 0; kx < 3; kx++)
                        v += gg[r][kx] * G[c][kx];
                    dst[(size_t)(r * 6 + c) * psize + ((size_t)pan * ic + i) * NN_PW + j] =
                        (float)v;
                }
        }
    }
    float *b = dst + 36 * psize;
    for (int o = 0; o < oc; o++)
        b[o] = bias ? bias[o] : 0.0f;
}

int nn_conv_dot_takes(const nn_window *g, int ic, int oc)
{
    return oc <= NN_DOT_MAX_OC && g->dil_w == 1 && g->kw * ic >= 16 &&
           nn_isa_current()->conv_dot != NULL;
}

void nn_conv_dot(const nn_dot_args *a, int ith, int nth)
{
    long lo, hi;
    nn_split(a->oh, ith, nth, 1, &lo, &hi);
    if (hi > lo)
        nn_isa_current()->conv_dot(a, (int)lo, (int)hi);
}

void nn_conv_wino(const nn_wino_args *a, int ith, int nth)
{
    long lo, hi;
    nn_split(nn_wino_tiles(a->oh, a->ow, a->dil), ith, nth, NN_WINO_TILES, &lo, &hi);
    if (hi > lo)
        nn_isa_current()->wino(a, lo, hi);
}

void nn_depthwise(const nn_dw_args *a, int ith, int nth)
{
    long lo, hi;
    nn_split(a->oh, ith, nth, 1, &lo, &hi);
    if (hi <= lo)
        return;
    if (a->mult != 1) {
        /* Rare (no shipped model has it): the reference loop, by rows. */
        for (long y = lo; y < hi; y++) {
            for (int ox = 0; ox < a->ow; ox++)
                for (int i = 0; i < a->c; i++)
                    for (int m = 0; m < a->mult; m++) {
                        int o = i * a->mult + m, oc = a->c * a->mult;
                        float acc = a->bias ? a->bias[o] : 0.0f;
                        for (int ky = 0; ky < a->g.kh; ky++) {
                            int yy = (int)y * a->g.stride_h - a->g.pad_top + ky * a->g.dil_h;
                            if (yy < 0 || yy >= a->ih)
                                continue;
                            for (int kx = 0; kx < a->g.kw; kx++) {
                                int xx = ox * a->g.stride_w - a->g.pad_left + kx * a->g.dil_w;
                                if (xx < 0 || xx >= a->iw)
                                    continue;
                                acc += a->in[((size_t)yy * a->iw + xx) * a->c + i] *
                                       a->w[((size_t)ky * a->g.kw + kx) * oc + o];
                            }
                        }
                        acc = nn_ref_act(a->act, acc);
                        size_t at = ((size_t)y * a->ow + ox) * oc + o;
                        if (a->res)
                            acc = nn_ref_act(a->act2, acc + a->res[at]);
                        a->out[at] = acc;
                    }
        }
        return;
    }
    nn_isa_current()->depthwise(a, (int)lo, (int)hi);
}

/* ==== transposed convolution =========================================== */

void nn_transpose_conv(const float *in, int ih, int iw, int ic,
                       const float *w, const float *packed, const float *bias, int oc,
                       float *out, int oh, int ow, const nn_window *g, nn_act act,
                       int ith, int nth)
{
    long lo, hi;
    if (packed && g->kh == g->stride_h && g->kw == g->stride_w && g->pad_top == 0 &&
        g->pad_left == 0 && oh == ih * g->kh && ow == iw * g->kw) {
        /* Non-overlapping blocks: input row y, kernel row ky writes output
         * row y*kh+ky, kw*oc contiguous floats per input pixel. */
        const nn_isa *isa = nn_isa_current();
        nn_split(ih, ith, nth, 1, &lo, &hi);
        if (isa->tconv_small && hi > lo &&
            isa->tconv_small(in, ih, iw, ic, w, bias, oc, g->kh, g->kw, out, act, (int)lo,
                             (int)hi) == 0)
            return;
        int n = g->kw * oc;
        size_t per_ky = (size_t)panels(n) * NN_PW * ic;
        nn_gemm_args ga = {
            .n = n, .k = ic, .lda = (size_t)ic, .bias = packed + (size_t)g->kh * per_ky,
            .ldc = (size_t)n, .act = NN_ACT_NONE, .act2 = NN_ACT_NONE,
        };
        for (long y = lo; y < hi; y++) {
            for (int ky = 0; ky < g->kh; ky++) {
                ga.a = in + (size_t)y * iw * ic;
                ga.b = packed + ky * per_ky;
                ga.c = out + ((size_t)y * g->kh + ky) * ow * oc;
                isa->gemm(&ga, 0, iw);
            }
            /* The activation runs on the dense output rows afterwards: in
             * the GEMM's epilogue a 1-channel output would use 2 of 16 lanes. */
            isa->act(act, out + (size_t)y * g->kh * ow * oc, (size_t)g->kh * ow * oc);
        }
        return;
    }
    /* General case, gather form: each output pixel sums the input pixels
     * whose scatter window covers it, so rows split across threads. */
    nn_split(oh, ith, nth, 1, &lo, &hi);
    for (long oy = lo; oy < hi; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * oc;
            for (int o = 0; o < oc; o++)
                acc[o] = bias ? bias[o] : 0.0f;
            for (int ky = 0; ky < g->kh; ky++) {
                long ty = oy + g->pad_top - ky;
                if (ty < 0 || ty % g->stride_h)
                    continue;
                long y = ty / g->stride_h;
                if (y >= ih)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int tx = ox + g->pad_left - kx;
                    if (tx < 0 || tx % g->stride_w)
                        continue;
                    int x = tx / g->stride_w;
                    if (x >= iw)
                        continue;
                    const float *ip = in + ((size_t)y * iw + x) * ic;
                    for (int o = 0; o < oc; o++) {
                        const float *wr = w + (((size_t)o * g->kh + ky) * g->kw + kx) * ic;
                        float s = 0.0f;
                        for (int i = 0; i < ic; i++)
                            s += ip[i] * wr[i];
                        acc[o] += s;
                    }
                }
            }
            nn_isa_current()->act(act, acc, (size_t)oc);
        }
    }
}

/* ==== pooling, resize, elementwise ===================================== */

void nn_avgpool(const float *in, int ih, int iw, int c,
                float *out, int oh, int ow, const nn_window *g, nn_act act, int ith, int nth)
{
    long lo, hi;
    if (oh == 1 && ow == 1 && g->pad_top == 0 && g->pad_left == 0 && g->kh == ih &&
        g->kw == iw) {
        /* Global pooling (squeeze-excite): split the channels across
         * threads, sum rows of pixels into a few independent partial sums so
         * the adds pipeline, one pass over the input. */
        nn_split(c, ith, nth, 16, &lo, &hi);
        if (hi <= lo)
            return;
        long cn = hi - lo;
        size_t npix = (size_t)ih * iw;
        float part[4][64];
        for (long c0 = lo; c0 < hi; c0 += 64) {
            long cb = hi - c0 < 64 ? hi - c0 : 64;
            for (int q = 0; q < 4; q++)
                for (long j = 0; j < cb; j++)
                    part[q][j] = 0.0f;
            size_t p = 0;
            for (; p + 4 <= npix; p += 4)
                for (int q = 0; q < 4; q++) {
                    const float *ip = in + (p + q) * c + c0;
                    for (long j = 0; j < cb; j++)
                        part[q][j] += ip[j];
                }
            for (; p < npix; p++)
                for (long j = 0; j < cb; j++)
                    part[0][j] += in[p * c + c0 + j];
            float inv = 1.0f / (float)npix;
            for (long j = 0; j < cb; j++)
                out[c0 + j] = ((part[0][j] + part[1][j]) + (part[2][j] + part[3][j])) * inv;
        }
        (void)cn;
        nn_isa_current()->act(act, out + lo, (size_t)(hi - lo));
        return;
    }
    nn_split(oh, ith, nth, 1, &lo, &hi);
    for (long oy = lo; oy < hi; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c; ch++)
                acc[ch] = 0.0f;
            int count = 0;
            /* Only the taps inside the input: a hostile window of 65536
             * must not cost 65536 iterations of nothing. */
            long yb = oy * g->stride_h - g->pad_top;
            int xb = ox * g->stride_w - g->pad_left;
            int ky0 = yb < 0 ? (int)-yb : 0, kx0 = xb < 0 ? -xb : 0;
            int ky1 = g->kh < ih - yb ? g->kh : (int)(ih - yb);
            int kx1 = g->kw < iw - xb ? g->kw : iw - xb;
            for (int ky = ky0; ky < ky1; ky++) {
                long y = yb + ky;
                for (int kx = kx0; kx < kx1; kx++) {
                    int x = xb + kx;
                    const float *ip = in + ((size_t)y * iw + x) * c;
                    for (int ch = 0; ch < c; ch++)
                        acc[ch] += ip[ch];
                    count++;
                }
            }
            float inv = count ? 1.0f / (float)count : 0.0f;
            for (int ch = 0; ch < c; ch++)
                acc[ch] *= inv;
            nn_isa_current()->act(act, acc, (size_t)c);
        }
    }
}

void nn_resize_portable(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
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
        float wy = fy - (float)ya;
        for (int x = 0; x < ow; x++) {
            float fx = half_pixel ? ((float)x + 0.5f) * sx - 0.5f : (float)x * sx;
            int xa = (int)floorf(fx), xb = (int)ceilf(fx);
            xa = xa < 0 ? 0 : xa;
            xb = xb > iw - 1 ? iw - 1 : xb;
            float wx = fx - (float)xa;
            const float *p00 = in + ((size_t)ya * iw + xa) * c;
            const float *p01 = in + ((size_t)ya * iw + xb) * c;
            const float *p10 = in + ((size_t)yb * iw + xa) * c;
            const float *p11 = in + ((size_t)yb * iw + xb) * c;
            float *o = out + ((size_t)y * ow + x) * c;
            for (int ch = 0; ch < c; ch++) {
                float t = p00[ch] + (p01[ch] - p00[ch]) * wx;
                float u = p10[ch] + (p11[ch] - p10[ch]) * wx;
                o[ch] = t + (u - t) * wy;
            }
            if (res) {
                const float *r = res + ((size_t)y * ow + x) * c;
                for (int ch = 0; ch < c; ch++)
                    o[ch] += r[ch];
                nn_act_portable(act2, o, (size_t)c);
            }
        }
    }
}

void nn_resize_bilinear(const float *in, int ih, int iw, int c,
                        float *out, int oh, int ow, int align_corners, int half_pixel,
                        const float *res, nn_act act2, int ith, int nth)
{
    long lo, hi;
    nn_split(oh, ith, nth, 1, &lo, &hi);
    if (hi > lo)
        nn_isa_current()->resize(in, ih, iw, c, out, oh, ow, align_corners, half_pixel, res,
                                 act2, (int)lo, (int)hi);
}

void nn_muladd(const float *a, const float *s, const float *c, float *out, long rows, int cols,
               nn_act act, int ith, int nth)
{
    long lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        const float *ar = a + (size_t)r * cols, *cr = c + (size_t)r * cols;
        float *o = out + (size_t)r * cols;
        for (int j = 0; j < cols; j++)
            o[j] = ar[j] * s[j] + cr[j];
    }
    if (hi > lo)
        nn_isa_current()->act(act, out + (size_t)lo * cols, (size_t)(hi - lo) * cols);
}

static int same_shape(const int a[4], const int b[4])
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* s is [1,1,1,C] against a full [N,H,W,C] (a per-channel scale or bias). */
static int is_channel_vector(const int s[4], const int full[4])
{
    return s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == full[3];
}

#define BIN_LOOP(EXPR)                                                        \
    for (long r = lo; r < hi; r++) {                                          \
        float *o = out + (size_t)r * cols;                                    \
        const float *pa = a + (size_t)r * cols * a_row;                       \
        const float *pb = b + (size_t)r * cols * b_row;                       \
        for (long j = 0; j < cols; j++) {                                     \
            float x = pa[j], y = pb[j];                                       \
            o[j] = (EXPR);                                                    \
        }                                                                     \
    }

void nn_binary(nn_binop op, const float *a, const int as[4],
               const float *b, const int bs[4],
               float *out, const int os[4], nn_act act, int ith, int nth)
{
    int a_row, b_row;
    if (same_shape(as, os) && same_shape(bs, os)) {
        a_row = b_row = 1;
    } else if (same_shape(as, os) && is_channel_vector(bs, os)) {
        a_row = 1;
        b_row = 0;
    } else if (same_shape(bs, os) && is_channel_vector(as, os)) {
        a_row = 0;
        b_row = 1;
    } else {
        if (ith == 0) /* general broadcasting: rare, tiny; one thread */
            nn_ref_binary(op, a, as, b, bs, out, os, act);
        return;
    }
    long cols = os[3];
    long rows = (long)os[0] * os[1] * os[2], lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    if (hi <= lo)
        return;
    switch (op) {
    case NN_BIN_ADD: BIN_LOOP(x + y) break;
    case NN_BIN_MUL: BIN_LOOP(x * y) break;
    case NN_BIN_SUB: BIN_LOOP(x - y) break;
    case NN_BIN_DIV: BIN_LOOP(x / y) break;
    case NN_BIN_MAX: BIN_LOOP(x > y ? x : y) break;
    case NN_BIN_MIN: BIN_LOOP(x < y ? x : y) break;
    case NN_BIN_PRELU: BIN_LOOP(x >= 0.0f ? x : x * y) break;
    default: break;
    }
    nn_isa_current()->act(act, out + (size_t)lo * cols, (size_t)(hi - lo) * cols);
}

/* ==== small ops (multi-class heads, padding) ============================ */

void nn_softmax(const float *in, long rows, int cols, float beta, float *out, int ith, int nth)
{
    long lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        const float *x = in + (size_t)r * cols;
        float *y = out + (size_t)r * cols;
        float mx = x[0];
        for (int j = 1; j < cols; j++)
            mx = x[j] > mx ? x[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j < cols; j++) {
            y[j] = expf(beta * (x[j] - mx));
            sum += y[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < cols; j++)
            y[j] *= inv;
    }
}

void nn_argmax(const float *in, long rows, int cols, float *out, int ith, int nth)
{
    long lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    if (hi > lo)
        nn_ref_argmax(in + (size_t)lo * cols, hi - lo, cols, out + lo);
}

/* The input index of padded index i (-1: the constant). */
static int pad_src(int i, int n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == NN_PAD_EDGE)
        return i < 0 ? 0 : n - 1;
    if (mode == NN_PAD_REFLECT)
        return i < 0 ? -i : 2 * (n - 1) - i;
    return -1;
}

void nn_reduce(const float *in, const int s[4], const int reduce[4], int op, float *out,
               int ith, int nth)
{
    if (!(reduce[3] && !reduce[0] && !reduce[1] && !reduce[2])) {
        if (ith == 0)
            nn_ref_reduce(in, s, reduce, op, out);
        return;
    }
    long rows = (long)s[0] * s[1] * s[2], lo, hi;
    int c = s[3];
    nn_split(rows, ith, nth, 16, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        const float *x = in + (size_t)r * c;
        float acc; /* max and min from the infinities: NaN never wins, as in the reference */
        if (op == NN_REDUCE_MAX) {
            acc = -INFINITY;
            for (int k = 0; k < c; k++)
                acc = x[k] > acc ? x[k] : acc;
        } else if (op == NN_REDUCE_MIN) {
            acc = INFINITY;
            for (int k = 0; k < c; k++)
                acc = x[k] < acc ? x[k] : acc;
        } else {
            double sum = 0.0;
            for (int k = 0; k < c; k++)
                sum += (double)x[k];
            acc = (float)(op == NN_REDUCE_MEAN ? sum / (double)c : sum);
        }
        out[r] = acc;
    }
}

/* Each thread a range of channels: sums along the pixels (a row of its
 * channels at a time, contiguous), then the normalised row. */
void nn_instance_norm(const float *in, int n, long hw, int c, const float *scale,
                      const float *bias, float eps, nn_act act, float *out, int ith, int nth)
{
    long lo, hi;
    nn_split(c, ith, nth, 8, &lo, &hi);
    int w = (int)(hi - lo);
    if (w <= 0)
        return;
    double acc[64];
    float a[64], b[64];
    for (int b0 = 0; b0 < n; b0++)
        for (long c0 = lo; c0 < hi; c0 += 64) {
            int k = hi - c0 < 64 ? (int)(hi - c0) : 64;
            const float *x = in + (size_t)b0 * hw * c + c0;
            float *y = out + (size_t)b0 * hw * c + c0;
            for (int j = 0; j < k; j++)
                acc[j] = 0.0;
            for (long p = 0; p < hw; p++)
                for (int j = 0; j < k; j++)
                    acc[j] += (double)x[(size_t)p * c + j];
            for (int j = 0; j < k; j++) {
                a[j] = (float)(acc[j] / (double)hw); /* the mean, for now */
                acc[j] = 0.0;
            }
            for (long p = 0; p < hw; p++)
                for (int j = 0; j < k; j++) {
                    double d = (double)x[(size_t)p * c + j] - (double)a[j];
                    acc[j] += d * d;
                }
            for (int j = 0; j < k; j++) {
                float s = (float)(1.0 / sqrt(acc[j] / (double)hw + (double)eps)) * scale[c0 + j];
                b[j] = bias[c0 + j] - a[j] * s;
                a[j] = s;
            }
            for (long p = 0; p < hw; p++) {
                float *yr = y + (size_t)p * c;
                const float *xr = x + (size_t)p * c;
                for (int j = 0; j < k; j++)
                    yr[j] = xr[j] * a[j] + b[j];
                nn_isa_current()->act(act, yr, (size_t)k);
            }
        }
}

void nn_slice(const float *in, const int s[4], const int begin[4], const int step[4], float *out,
              const int os[4], int ith, int nth)
{
    long rows = (long)os[0] * os[1] * os[2], lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        int w = (int)(r % os[2]), h = (int)(r / os[2] % os[1]), n = (int)(r / os[2] / os[1]);
        const float *src = in + ((((size_t)begin[0] + (size_t)n * step[0]) * s[1] + begin[1] +
                                  (size_t)h * step[1]) * s[2] + begin[2] + (size_t)w * step[2]) *
                                    s[3] + begin[3];
        float *o = out + (size_t)r * os[3];
        if (step[3] == 1)
            memcpy(o, src, (size_t)os[3] * sizeof(float));
        else
            for (int c = 0; c < os[3]; c++)
                o[c] = src[(size_t)c * step[3]];
    }
}

void nn_pad(const float *in, const int s[4], const int pads[4][2], float value, int mode,
            float *out, int ith, int nth)
{
    int os[4];
    for (int d = 0; d < 4; d++)
        os[d] = s[d] + pads[d][0] + pads[d][1];
    /* Rows of the output's last dimension, split across threads. */
    long rows = (long)os[0] * os[1] * os[2], lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        int w = (int)(r % os[2]), h = (int)(r / os[2] % os[1]), n = (int)(r / os[2] / os[1]);
        float *o = out + (size_t)r * os[3];
        int in_n = n - pads[0][0], in_h = h - pads[1][0], in_w = w - pads[2][0];
        if (mode != NN_PAD_CONSTANT) { /* every index has a source */
            in_n = pad_src(in_n, s[0], mode);
            in_h = pad_src(in_h, s[1], mode);
            in_w = pad_src(in_w, s[2], mode);
            const float *src = in + (((size_t)in_n * s[1] + in_h) * s[2] + in_w) * s[3];
            for (int c = 0; c < os[3]; c++)
                o[c] = src[pad_src(c - pads[3][0], s[3], mode)];
            continue;
        }
        if (in_n < 0 || in_n >= s[0] || in_h < 0 || in_h >= s[1] || in_w < 0 || in_w >= s[2]) {
            for (int c = 0; c < os[3]; c++)
                o[c] = value;
            continue;
        }
        for (int c = 0; c < pads[3][0]; c++)
            o[c] = value;
        memcpy(o + pads[3][0], in + (((size_t)in_n * s[1] + in_h) * s[2] + in_w) * s[3],
               (size_t)s[3] * sizeof(float));
        for (int c = pads[3][0] + s[3]; c < os[3]; c++)
            o[c] = value;
    }
}

void nn_resize_nearest(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                       int align_corners, int half_pixel, int ith, int nth)
{
    long lo, hi;
    nn_split(oh, ith, nth, 1, &lo, &hi);
    /* Whole rows are independent; the reference handles a row range when
     * given the matching input and output offsets, so reuse it row by row. */
    for (long y = lo; y < hi; y++) {
        float tmp_scale = (align_corners && oh > 1) ? (float)(ih - 1) / (float)(oh - 1)
                                                    : (float)ih / (float)oh;
        float off = half_pixel ? 0.5f : 0.0f;
        int sy = align_corners ? (int)roundf(((float)y + off) * tmp_scale)
                               : (int)floorf(((float)y + off) * tmp_scale);
        sy = sy < ih - 1 ? sy : ih - 1;
        sy = sy < 0 ? 0 : sy;
        nn_ref_resize_nearest(in + (size_t)sy * iw * c, 1, iw, c, out + (size_t)y * ow * c, 1, ow,
                              align_corners, half_pixel);
    }
}

void nn_maxpool(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                const nn_window *g, nn_act act, int ith, int nth)
{
    long lo, hi;
    nn_split(oh, ith, nth, 1, &lo, &hi);
    for (long oy = lo; oy < hi; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * c;
            int first = 1;
            long yb = oy * g->stride_h - g->pad_top;
            int xb = ox * g->stride_w - g->pad_left;
            int ky0 = yb < 0 ? (int)-yb : 0, kx0 = xb < 0 ? -xb : 0;
            int ky1 = g->kh < ih - yb ? g->kh : (int)(ih - yb);
            int kx1 = g->kw < iw - xb ? g->kw : iw - xb;
            for (int ky = ky0; ky < ky1; ky++) {
                long y = yb + ky;
                for (int kx = kx0; kx < kx1; kx++) {
                    int x = xb + kx;
                    const float *ip = in + ((size_t)y * iw + x) * c;
                    if (first)
                        memcpy(acc, ip, (size_t)c * sizeof(float));
                    else
                        for (int ch = 0; ch < c; ch++)
                            acc[ch] = ip[ch] > acc[ch] ? ip[ch] : acc[ch];
                    first = 0;
                }
            }
            if (first)
                memset(acc, 0, (size_t)c * sizeof(float));
            nn_isa_current()->act(act, acc, (size_t)c);
        }
    }
}

void nn_depth_to_space(const float *in, int ih, int iw, int ic, int block, float *out, int ith,
                       int nth)
{
    /* Output row y is input row y / block; within it, each run of oc
     * channels is one memcpy. */
    int oc = ic / block / block, oh = ih * block, ow = iw * block;
    long lo, hi;
    nn_split(oh, ith, nth, 1, &lo, &hi);
    for (long y = lo; y < hi; y++) {
        const float *row = in + (size_t)(y / block) * iw * ic + (size_t)(y % block) * block * oc;
        float *o = out + (size_t)y * ow * oc;
        for (int x = 0; x < ow; x++)
            memcpy(o + (size_t)x * oc, row + (size_t)(x / block) * ic + (size_t)(x % block) * oc,
                   (size_t)oc * sizeof(float));
    }
}

/* ---- DENSIFY: where each stored value of a sparse tensor goes ----------- */

typedef struct sparse_walk {
    const nn_sparsity *sp;
    int ext[NN_SPARSE_MAX_LEVELS];   /* extent of each traversal level */
    int block_size[4];
    size_t stride[4];                /* dense strides of the original dims */
    int idx[NN_SPARSE_MAX_LEVELS];
    size_t n_values, next;
    size_t *pos;
    const char *why;
} sparse_walk;

static int64_t sparse_read(const void *a, int bytes, size_t i)
{
    const unsigned char *p = (const unsigned char *)a + i * (size_t)bytes;
    if (bytes == 1)
        return p[0];
    if (bytes == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* TFLite's FormatConverter::Populate, with every index checked. prev is the
 * position of the current entry among the previous level's entries. */
static int sparse_visit(sparse_walk *w, int level, size_t prev)
{
    const nn_sparsity *sp = w->sp;
    if (level == sp->n_levels) {
        int orig[4] = {0, 0, 0, 0};
        for (int i = 0; i < sp->rank; i++)
            orig[sp->traversal[i]] = w->idx[i];
        for (int i = sp->rank; i < sp->n_levels; i++) {
            int b = sp->traversal[i] - sp->rank;
            int d = sp->block_map[b];
            orig[d] = orig[d] * w->block_size[b] + w->idx[i];
        }
        size_t flat = 0;
        for (int d = 0; d < sp->rank; d++) {
            if (orig[d] < 0 || orig[d] >= sp->shape[d]) { /* cannot happen after the checks */
                w->why = "an index falls outside the dense shape";
                return -1;
            }
            flat += (size_t)orig[d] * w->stride[d];
        }
        if (w->next >= w->n_values) {
            w->why = "the sparsity lists more entries than the tensor stores";
            return -1;
        }
        w->pos[w->next++] = flat;
        return 0;
    }
    const nn_sparse_dim *dm = &sp->dim[level];
    int ext = w->ext[level];
    if (!dm->sparse) {
        for (int i = 0; i < ext; i++) {
            w->idx[level] = i;
            if (sparse_visit(w, level + 1, prev * (size_t)ext + (size_t)i))
                return -1;
        }
        return 0;
    }
    if (prev >= dm->n_segments || dm->n_segments - prev < 2) {
        w->why = "a sparse level has too few segments";
        return -1;
    }
    int64_t lo = sparse_read(dm->segments, dm->seg_bytes, prev);
    int64_t hi = sparse_read(dm->segments, dm->seg_bytes, prev + 1);
    if (lo < 0 || hi < lo || (uint64_t)hi > dm->n_indices) {
        w->why = "a segment is out of order or past the index list";
        return -1;
    }
    for (int64_t i = lo; i < hi; i++) {
        int64_t v = sparse_read(dm->indices, dm->idx_bytes, (size_t)i);
        if (v < 0 || v >= ext) {
            w->why = "a sparse index is out of range";
            return -1;
        }
        w->idx[level] = (int)v;
        if (sparse_visit(w, level + 1, (size_t)i))
            return -1;
    }
    return 0;
}

int nn_sparse_positions(const nn_sparsity *sp, size_t n_values, size_t *pos, const char **why)
{
    sparse_walk w;
    memset(&w, 0, sizeof w);
    w.sp = sp;
    w.n_values = n_values;
    w.pos = pos;
    *why = NULL;
    int rank = sp->rank, nl = sp->n_levels, nb = sp->n_blocks;
    if (rank < 1 || rank > 4 || nb < 0 || nb > rank || nl != rank + nb ||
        nl > NN_SPARSE_MAX_LEVELS) {
        *why = "bad rank, block count or level count";
        return -1;
    }
    int seen[NN_SPARSE_MAX_LEVELS] = {0};
    for (int i = 0; i < nl; i++) {
        int t = sp->traversal[i];
        if (t < 0 || t >= nl || seen[t] || (i < rank) != (t < rank)) {
            *why = "the traversal order is not a permutation with the blocks last";
            return -1;
        }
        seen[t] = 1;
    }
    int blocked[4], dim_blocked[4] = {0, 0, 0, 0};
    for (int d = 0; d < rank; d++) {
        if (sp->shape[d] < 1) {
            *why = "empty dense shape";
            return -1;
        }
        blocked[d] = sp->shape[d];
    }
    for (int b = 0; b < nb; b++) {
        int d = sp->block_map[b];
        const nn_sparse_dim *bd = &sp->dim[rank + b]; /* TFLite takes the size from here */
        if (d < 0 || d >= rank || dim_blocked[d] || bd->sparse || bd->dense_size < 1 ||
            sp->shape[d] % bd->dense_size) {
            *why = "a block map entry or block size is invalid";
            return -1;
        }
        dim_blocked[d] = 1;
        w.block_size[b] = bd->dense_size;
        blocked[d] = sp->shape[d] / bd->dense_size;
    }
    w.stride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; d--)
        w.stride[d] = w.stride[d + 1] * (size_t)sp->shape[d + 1];
    for (int i = 0; i < nl; i++) {
        int t = sp->traversal[i];
        w.ext[i] = t < rank ? blocked[t] : w.block_size[t - rank];
        const nn_sparse_dim *dm = &sp->dim[i];
        if (!dm->sparse && dm->dense_size != w.ext[i]) {
            *why = "a dense level's size differs from the shape";
            return -1;
        }
        if (dm->sparse && (!dm->segments || !dm->indices ||
                           (dm->seg_bytes != 1 && dm->seg_bytes != 2 && dm->seg_bytes != 4) ||
                           (dm->idx_bytes != 1 && dm->idx_bytes != 2 && dm->idx_bytes != 4))) {
            *why = "a sparse level lacks its segments or indices";
            return -1;
        }
    }
    if (sparse_visit(&w, 0, 0)) {
        *why = w.why;
        return -1;
    }
    if (w.next != n_values) {
        *why = "the tensor stores more values than the sparsity lists";
        return -1;
    }
    return 0;
}

void nn_transpose4(const float *in, const int shape[4], const int perm[4], float *out, int ith,
                   int nth)
{
    size_t istr[4];
    istr[3] = 1;
    for (int d = 2; d >= 0; d--)
        istr[d] = istr[d + 1] * (size_t)shape[d + 1];
    int os[4];
    size_t st[4];
    for (int d = 0; d < 4; d++) {
        os[d] = shape[perm[d]];
        st[d] = istr[perm[d]];
    }
    long rows = (long)os[0] * os[1], lo, hi;
    nn_split(rows, ith, nth, 1, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        long i0 = r / os[1], i1 = r % os[1];
        const float *src = in + (size_t)i0 * st[0] + (size_t)i1 * st[1];
        float *dst = out + (size_t)r * os[2] * os[3];
        if (st[3] == 1) {
            for (int i2 = 0; i2 < os[2]; i2++)
                memcpy(dst + (size_t)i2 * os[3], src + (size_t)i2 * st[2],
                       (size_t)os[3] * sizeof(float));
        } else {
            for (int i2 = 0; i2 < os[2]; i2++)
                for (int i3 = 0; i3 < os[3]; i3++)
                    dst[(size_t)i2 * os[3] + i3] = src[(size_t)i2 * st[2] + (size_t)i3 * st[3]];
        }
    }
}
