/* nn_kernels.c - the kernels the graph runs: packed weights, channel-inner
 * loops the compiler vectorises, OpenMP over output rows. Each is tested
 * against its nn_ref_* twin in tests/test_nn_kernels.c. */
#include <math.h>
#include <string.h>

#include "nn_kernels.h"
#include "nn_omp.h"

/* ==== activations ======================================================= */

static inline float relu6f(float x) { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }

/* Apply act over n values in place; written per activation so each loop
 * vectorises (LOGISTIC and TANH call libm). */
static void act_span(nn_act act, float *x, size_t n)
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
        for (size_t i = 0; i < n; i++) x[i] = x[i] * relu6f(x[i] + 3.0f) / 6.0f;
        break;
    default:
        for (size_t i = 0; i < n; i++) x[i] = nn_ref_act(act, x[i]);
        break;
    }
}

void nn_activation(nn_act act, float *x, size_t n, int threads)
{
    if (act == NN_ACT_NONE)
        return;
    const size_t chunk = 4096;
    long nchunks = (long)((n + chunk - 1) / chunk);
    int nt = nn_team(threads, (double)n * 4.0);
    (void)nt;
    NN_OMP_FOR
    for (long k = 0; k < nchunks; k++) {
        size_t lo = (size_t)k * chunk;
        size_t len = n - lo < chunk ? n - lo : chunk;
        act_span(act, x + lo, len);
    }
}

/* ==== convolution ======================================================= */

void nn_pack_conv_weights(const float *w, int oc, int kh, int kw, int ic, float *dst)
{
    for (int o = 0; o < oc; o++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < ic; i++)
                    dst[(((size_t)y * kw + x) * ic + i) * oc + o] =
                        w[(((size_t)o * kh + y) * kw + x) * ic + i];
}

void nn_conv2d(const float *in, int ih, int iw, int ic,
               const float *wp, const float *bias, int oc,
               float *out, int oh, int ow, const nn_window *g, nn_act act, int threads)
{
    int nt = nn_team(threads, (double)oh * ow * oc * ic * g->kh * g->kw);
    (void)nt;
    NN_OMP_FOR
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * oc;
            for (int o = 0; o < oc; o++)
                acc[o] = bias ? bias[o] : 0.0f;
            for (int ky = 0; ky < g->kh; ky++) {
                int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                if (y < 0 || y >= ih)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                    if (x < 0 || x >= iw)
                        continue;
                    const float *ip = in + ((size_t)y * iw + x) * ic;
                    const float *wt = wp + ((size_t)ky * g->kw + kx) * ic * oc;
                    for (int i = 0; i < ic; i++) {
                        float a = ip[i];
                        const float *wr = wt + (size_t)i * oc;
                        for (int o = 0; o < oc; o++)
                            acc[o] += a * wr[o];
                    }
                }
            }
            act_span(act, acc, (size_t)oc);
        }
    }
}

void nn_depthwise(const float *in, int ih, int iw, int ic, int mult,
                  const float *w, const float *bias,
                  float *out, int oh, int ow, const nn_window *g, nn_act act, int threads)
{
    if (mult != 1) {
        nn_ref_depthwise(in, ih, iw, ic, mult, w, bias, out, oh, ow, g, act);
        return;
    }
    int nt = nn_team(threads, (double)oh * ow * ic * g->kh * g->kw);
    (void)nt;
    NN_OMP_FOR
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * ic;
            for (int c = 0; c < ic; c++)
                acc[c] = bias ? bias[c] : 0.0f;
            for (int ky = 0; ky < g->kh; ky++) {
                int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                if (y < 0 || y >= ih)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                    if (x < 0 || x >= iw)
                        continue;
                    const float *ip = in + ((size_t)y * iw + x) * ic;
                    const float *wt = w + ((size_t)ky * g->kw + kx) * ic;
                    for (int c = 0; c < ic; c++)
                        acc[c] += ip[c] * wt[c];
                }
            }
            act_span(act, acc, (size_t)ic);
        }
    }
}

/* Gather form of the transposed conv: each output pixel sums the input pixels
 * whose scatter window covers it, so rows can be split across threads without
 * write conflicts. w is OHWI as in the file. */
void nn_transpose_conv(const float *in, int ih, int iw, int ic,
                       const float *w, const float *bias, int oc,
                       float *out, int oh, int ow, const nn_window *g, nn_act act,
                       int threads)
{
    int nt = nn_team(threads, (double)oh * ow * oc * ic);
    (void)nt;
    NN_OMP_FOR
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * oc;
            for (int o = 0; o < oc; o++)
                acc[o] = bias ? bias[o] : 0.0f;
            for (int ky = 0; ky < g->kh; ky++) {
                int ty = oy + g->pad_top - ky;
                if (ty < 0 || ty % g->stride_h)
                    continue;
                int y = ty / g->stride_h;
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
            act_span(act, acc, (size_t)oc);
        }
    }
}

/* ==== pooling, resize, elementwise ===================================== */

void nn_avgpool(const float *in, int ih, int iw, int c,
                float *out, int oh, int ow, const nn_window *g, nn_act act, int threads)
{
    int nt = nn_team(threads, (double)ih * iw * c);
    (void)nt;
    NN_OMP_FOR
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *acc = out + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c; ch++)
                acc[ch] = 0.0f;
            int count = 0;
            for (int ky = 0; ky < g->kh; ky++) {
                int y = oy * g->stride_h - g->pad_top + ky;
                if (y < 0 || y >= ih)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int x = ox * g->stride_w - g->pad_left + kx;
                    if (x < 0 || x >= iw)
                        continue;
                    const float *ip = in + ((size_t)y * iw + x) * c;
                    for (int ch = 0; ch < c; ch++)
                        acc[ch] += ip[ch];
                    count++;
                }
            }
            float inv = count ? 1.0f / (float)count : 0.0f;
            for (int ch = 0; ch < c; ch++)
                acc[ch] *= inv;
            act_span(act, acc, (size_t)c);
        }
    }
}

void nn_resize_bilinear(const float *in, int ih, int iw, int c,
                        float *out, int oh, int ow, int align_corners, int half_pixel,
                        int threads)
{
    float sy = nn_resize_scale(ih, oh, align_corners);
    float sx = nn_resize_scale(iw, ow, align_corners);
    int nt = nn_team(threads, (double)oh * ow * c * 4.0);
    (void)nt;
    NN_OMP_FOR
    for (int y = 0; y < oh; y++) {
        float fy = half_pixel ? ((float)y + 0.5f) * sy - 0.5f : (float)y * sy;
        int y0 = (int)floorf(fy), y1 = (int)ceilf(fy);
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 > ih - 1 ? ih - 1 : y1;
        float wy = fy - (float)y0;
        for (int x = 0; x < ow; x++) {
            float fx = half_pixel ? ((float)x + 0.5f) * sx - 0.5f : (float)x * sx;
            int x0 = (int)floorf(fx), x1 = (int)ceilf(fx);
            x0 = x0 < 0 ? 0 : x0;
            x1 = x1 > iw - 1 ? iw - 1 : x1;
            float wx = fx - (float)x0;
            const float *p00 = in + ((size_t)y0 * iw + x0) * c;
            const float *p01 = in + ((size_t)y0 * iw + x1) * c;
            const float *p10 = in + ((size_t)y1 * iw + x0) * c;
            const float *p11 = in + ((size_t)y1 * iw + x1) * c;
            float *o = out + ((size_t)y * ow + x) * c;
            float w00 = (1.0f - wy) * (1.0f - wx), w10 = wy * (1.0f - wx);
            float w01 = (1.0f - wy) * wx, w11 = wy * wx;
            for (int ch = 0; ch < c; ch++)
                o[ch] = p00[ch] * w00 + p10[ch] * w10 + p01[ch] * w01 + p11[ch] * w11;
        }
    }
}

static int same_shape(const int a[4], const int b[4])
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* b is [1,1,1,C] against a full [N,H,W,C] (a per-channel scale or bias). */
static int is_channel_vector(const int s[4], const int full[4])
{
    return s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == full[3];
}

#define BIN_LOOP(EXPR)                                                        \
    NN_OMP_FOR                                                                \
    for (long r = 0; r < rows; r++) {                                         \
        float *o = out + (size_t)r * cols;                                    \
        const float *pa = a + (size_t)r * cols * a_row;                       \
        const float *pb = b + (size_t)r * cols * b_row;                       \
        for (long j = 0; j < cols; j++) {                                     \
            float x = pa[j], y = pb[j];                                       \
            o[j] = (EXPR);                                                    \
        }                                                                     \
        act_span(act, o, (size_t)cols);                                       \
    }

void nn_binary(nn_binop op, const float *a, const int as[4],
               const float *b, const int bs[4],
               float *out, const int os[4], nn_act act, int threads)
{
    int a_row, b_row;
    if (same_shape(as, os) && same_shape(bs, os)) {
        a_row = b_row = 1;
    } else if (same_shape(as, os) && is_channel_vector(bs, os)) {
        a_row = 1; b_row = 0;
    } else if (same_shape(bs, os) && is_channel_vector(as, os)) {
        a_row = 0; b_row = 1;
    } else {
        nn_ref_binary(op, a, as, b, bs, out, os, act);
        return;
    }
    long cols = os[3];
    long rows = (long)os[0] * os[1] * os[2];
    int nt = nn_team(threads, (double)rows * cols);
    (void)nt;
    switch (op) {
    case NN_BIN_ADD: BIN_LOOP(x + y) break;
    case NN_BIN_MUL: BIN_LOOP(x * y) break;
    case NN_BIN_SUB: BIN_LOOP(x - y) break;
    case NN_BIN_DIV: BIN_LOOP(x / y) break;
    case NN_BIN_MAX: BIN_LOOP(x > y ? x : y) break;
    case NN_BIN_MIN: BIN_LOOP(x < y ? x : y) break;
    default: nn_ref_binary(op, a, as, b, bs, out, os, act); break;
    }
}
