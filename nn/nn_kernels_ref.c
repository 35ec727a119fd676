/* nn_kernels_ref.c - plain reference kernels: the oracle for the tests.
 * Written for clarity, one output value at a time, in TFLite's order. */
#include <math.h>
#include <string.h>

#include "nn_kernels.h"

static const char *const ACT_NAMES[] = {
    "NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "HARD_SWISH", "LOGISTIC",
};
_Static_assert(sizeof(ACT_NAMES) / sizeof(ACT_NAMES[0]) == NN_ACT_COUNT, "name every nn_act");

const char *nn_act_name(nn_act a)
{
    return (a >= 0 && a < NN_ACT_COUNT) ? ACT_NAMES[a] : "?";
}

float nn_ref_act(nn_act a, float x)
{
    switch (a) {
    case NN_ACT_NONE: return x;
    case NN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case NN_ACT_RELU_N1_TO_1: return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case NN_ACT_RELU6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case NN_ACT_TANH: return tanhf(x);
    case NN_ACT_HARD_SWISH: {
        float r = x + 3.0f;
        r = r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r);
        return x * r / 6.0f;
    }
    case NN_ACT_LOGISTIC: return 1.0f / (1.0f + expf(-x));
    default: return x;
    }
}

int nn_conv_out_size(int in, int k, int stride, int dil, int same, int *pad_before)
{
    int eff = (k - 1) * dil + 1;
    int out, total;
    if (same) {
        out = (in + stride - 1) / stride;
        total = (out - 1) * stride + eff - in;
        if (total < 0)
            total = 0;
    } else {
        out = in >= eff ? (in - eff) / stride + 1 : 0;
        total = 0;
    }
    if (pad_before)
        *pad_before = total / 2; /* the extra pixel goes after, as in TFLite */
    return out;
}

void nn_ref_conv2d(const float *in, int ih, int iw, int ic,
                   const float *w, const float *bias, int oc,
                   float *out, int oh, int ow, const nn_window *g, nn_act act)
{
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int o = 0; o < oc; o++) {
                float acc = bias ? bias[o] : 0.0f;
                for (int ky = 0; ky < g->kh; ky++) {
                    int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                    if (y < 0 || y >= ih)
                        continue;
                    for (int kx = 0; kx < g->kw; kx++) {
                        int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                        if (x < 0 || x >= iw)
                            continue;
                        const float *ip = in + ((size_t)y * iw + x) * ic;
                        const float *wp = w + (((size_t)o * g->kh + ky) * g->kw + kx) * ic;
                        for (int i = 0; i < ic; i++)
                            acc += ip[i] * wp[i];
                    }
                }
                out[((size_t)oy * ow + ox) * oc + o] = nn_ref_act(act, acc);
            }
}

void nn_ref_depthwise(const float *in, int ih, int iw, int ic, int mult,
                      const float *w, const float *bias,
                      float *out, int oh, int ow, const nn_window *g, nn_act act)
{
    int oc = ic * mult;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int i = 0; i < ic; i++)
                for (int m = 0; m < mult; m++) {
                    int o = i * mult + m;
                    float acc = bias ? bias[o] : 0.0f;
                    for (int ky = 0; ky < g->kh; ky++) {
                        int y = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                        if (y < 0 || y >= ih)
                            continue;
                        for (int kx = 0; kx < g->kw; kx++) {
                            int x = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                            if (x < 0 || x >= iw)
                                continue;
                            acc += in[((size_t)y * iw + x) * ic + i] *
                                   w[((size_t)ky * g->kw + kx) * oc + o];
                        }
                    }
                    out[((size_t)oy * ow + ox) * oc + o] = nn_ref_act(act, acc);
                }
}

void nn_ref_transpose_conv(const float *in, int ih, int iw, int ic,
                           const float *w, const float *bias, int oc,
                           float *out, int oh, int ow, const nn_window *g, nn_act act)
{
    size_t n = (size_t)oh * ow * oc;
    memset(out, 0, n * sizeof(float));
    for (int y = 0; y < ih; y++)
        for (int x = 0; x < iw; x++)
            for (int ky = 0; ky < g->kh; ky++) {
                int oy = y * g->stride_h - g->pad_top + ky;
                if (oy < 0 || oy >= oh)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int ox = x * g->stride_w - g->pad_left + kx;
                    if (ox < 0 || ox >= ow)
                        continue;
                    for (int o = 0; o < oc; o++) {
                        const float *ip = in + ((size_t)y * iw + x) * ic;
                        const float *wp = w + (((size_t)o * g->kh + ky) * g->kw + kx) * ic;
                        float acc = 0.0f;
                        for (int i = 0; i < ic; i++)
                            acc += ip[i] * wp[i];
                        out[((size_t)oy * ow + ox) * oc + o] += acc;
                    }
                }
            }
    for (size_t p = 0; p < (size_t)oh * ow; p++)
        for (int o = 0; o < oc; o++)
            out[p * oc + o] = nn_ref_act(act, out[p * oc + o] + (bias ? bias[o] : 0.0f));
}

static void pool(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                 const nn_window *g, nn_act act, int is_max)
{
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int ch = 0; ch < c; ch++) {
                float acc = is_max ? -INFINITY : 0.0f;
                int count = 0;
                for (int ky = 0; ky < g->kh; ky++) {
                    int y = oy * g->stride_h - g->pad_top + ky;
                    if (y < 0 || y >= ih)
                        continue;
                    for (int kx = 0; kx < g->kw; kx++) {
                        int x = ox * g->stride_w - g->pad_left + kx;
                        if (x < 0 || x >= iw)
                            continue;
                        float v = in[((size_t)y * iw + x) * c + ch];
                        if (is_max)
                            acc = v > acc ? v : acc;
                        else
                            acc += v;
                        count++;
                    }
                }
                float r = is_max ? (count ? acc : 0.0f) : (count ? acc / (float)count : 0.0f);
                out[((size_t)oy * ow + ox) * c + ch] = nn_ref_act(act, r);
            }
}

void nn_ref_avgpool(const float *in, int ih, int iw, int c,
                    float *out, int oh, int ow, const nn_window *g, nn_act act)
{
    pool(in, ih, iw, c, out, oh, ow, g, act, 0);
}

void nn_ref_maxpool(const float *in, int ih, int iw, int c,
                    float *out, int oh, int ow, const nn_window *g, nn_act act)
{
    pool(in, ih, iw, c, out, oh, ow, g, act, 1);
}

/* TFLite's ComputeInterpolationValues: the source coordinate, its clamped
 * lower and upper neighbours. The weight is src - lower (clamping makes the
 * two neighbours equal wherever that weight would leave [0,1]). */
static void interp(int dst, float scale, int half_pixel, int in_size,
                   float *src, int *lo, int *hi)
{
    float s = half_pixel ? ((float)dst + 0.5f) * scale - 0.5f : (float)dst * scale;
    int l = (int)floorf(s);
    int h = (int)ceilf(s);
    *src = s;
    *lo = l < 0 ? 0 : l;
    *hi = h > in_size - 1 ? in_size - 1 : h;
}

float nn_resize_scale(int in, int out, int align_corners)
{
    if (align_corners && out > 1)
        return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

void nn_ref_resize_bilinear(const float *in, int ih, int iw, int c,
                            float *out, int oh, int ow, int align_corners, int half_pixel)
{
    float sy = nn_resize_scale(ih, oh, align_corners);
    float sx = nn_resize_scale(iw, ow, align_corners);
    for (int y = 0; y < oh; y++) {
        float fy; int y0, y1;
        interp(y, sy, half_pixel, ih, &fy, &y0, &y1);
        float wy = fy - (float)y0;
        for (int x = 0; x < ow; x++) {
            float fx; int x0, x1;
            interp(x, sx, half_pixel, iw, &fx, &x0, &x1);
            float wx = fx - (float)x0;
            for (int ch = 0; ch < c; ch++) {
                float v00 = in[((size_t)y0 * iw + x0) * c + ch];
                float v01 = in[((size_t)y0 * iw + x1) * c + ch];
                float v10 = in[((size_t)y1 * iw + x0) * c + ch];
                float v11 = in[((size_t)y1 * iw + x1) * c + ch];
                out[((size_t)y * ow + x) * c + ch] =
                    v00 * (1.0f - wy) * (1.0f - wx) + v10 * wy * (1.0f - wx) +
                    v01 * (1.0f - wy) * wx + v11 * wy * wx;
            }
        }
    }
}

static float binop(nn_binop op, float a, float b)
{
    switch (op) {
    case NN_BIN_ADD: return a + b;
    case NN_BIN_MUL: return a * b;
    case NN_BIN_SUB: return a - b;
    case NN_BIN_DIV: return a / b;
    case NN_BIN_MAX: return a > b ? a : b;
    case NN_BIN_MIN: return a < b ? a : b;
    case NN_BIN_PRELU: return a >= 0.0f ? a : a * b;
    default: return 0.0f;
    }
}

void nn_ref_binary(nn_binop op, const float *a, const int as[4],
                   const float *b, const int bs[4],
                   float *out, const int os[4], nn_act act)
{
    for (int n = 0; n < os[0]; n++)
        for (int h = 0; h < os[1]; h++)
            for (int w = 0; w < os[2]; w++)
                for (int c = 0; c < os[3]; c++) {
                    size_t ai = (((size_t)(as[0] == 1 ? 0 : n) * as[1] + (as[1] == 1 ? 0 : h)) *
                                 as[2] + (as[2] == 1 ? 0 : w)) * as[3] + (as[3] == 1 ? 0 : c);
                    size_t bi = (((size_t)(bs[0] == 1 ? 0 : n) * bs[1] + (bs[1] == 1 ? 0 : h)) *
                                 bs[2] + (bs[2] == 1 ? 0 : w)) * bs[3] + (bs[3] == 1 ? 0 : c);
                    size_t oi = (((size_t)n * os[1] + h) * os[2] + w) * os[3] + c;
                    out[oi] = nn_ref_act(act, binop(op, a[ai], b[bi]));
                }
}

void nn_ref_mean(const float *in, const int s[4], const int reduce[4], float *out)
{
    nn_ref_reduce(in, s, reduce, NN_REDUCE_MEAN, out);
}

void nn_ref_reduce(const float *in, const int s[4], const int reduce[4], int op, float *out)
{
    int os[4];
    size_t count = 1, on = 1;
    for (int d = 0; d < 4; d++) {
        os[d] = reduce[d] ? 1 : s[d];
        if (reduce[d])
            count *= (size_t)s[d];
        on *= (size_t)os[d];
    }
    /* Accumulate in double: the reference should not depend on order. */
    for (size_t i = 0; i < on; i++)
        out[i] = 0.0f;
    for (int n = 0; n < os[0]; n++)
        for (int h = 0; h < os[1]; h++)
            for (int w = 0; w < os[2]; w++)
                for (int c = 0; c < os[3]; c++) {
                    double acc = op == NN_REDUCE_MAX ? -(double)INFINITY
                               : op == NN_REDUCE_MIN ? (double)INFINITY : 0.0;
                    for (int n2 = 0; n2 < (reduce[0] ? s[0] : 1); n2++)
                        for (int h2 = 0; h2 < (reduce[1] ? s[1] : 1); h2++)
                            for (int w2 = 0; w2 < (reduce[2] ? s[2] : 1); w2++)
                                for (int c2 = 0; c2 < (reduce[3] ? s[3] : 1); c2++) {
                                    int nn = reduce[0] ? n2 : n, hh = reduce[1] ? h2 : h;
                                    int ww = reduce[2] ? w2 : w, cc = reduce[3] ? c2 : c;
                                    double v = (double)in[(((size_t)nn * s[1] + hh) * s[2] + ww) * s[3] + cc];
                                    if (op == NN_REDUCE_MAX)
                                        acc = v > acc ? v : acc;
                                    else if (op == NN_REDUCE_MIN)
                                        acc = v < acc ? v : acc;
                                    else
                                        acc += v;
                                }
                    out[(((size_t)n * os[1] + h) * os[2] + w) * os[3] + c] =
                        (float)(op == NN_REDUCE_MEAN ? acc / (double)count : acc);
                }
}

void nn_ref_softmax(const float *in, long rows, int cols, float beta, float *out)
{
    for (long r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * cols;
        float *y = out + (size_t)r * cols;
        float mx = x[0];
        for (int j = 1; j < cols; j++)
            mx = x[j] > mx ? x[j] : mx;
        double sum = 0.0;
        for (int j = 0; j < cols; j++)
            sum += (double)expf(beta * (x[j] - mx));
        for (int j = 0; j < cols; j++)
            y[j] = (float)((double)expf(beta * (x[j] - mx)) / sum);
    }
}

void nn_ref_argmax(const float *in, long rows, int cols, float *out)
{
    for (long r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * cols;
        int best = 0;
        for (int j = 1; j < cols; j++)
            if (x[j] > x[best])
                best = j;
        out[r] = (float)best;
    }
}

/* The input index of padded index i (-1: the constant). Reflection as a
 * walk back and forth over the input, period 2(n-1); the edge clamped. */
static int pad_source(int i, int n, int mode)
{
    if (mode == NN_PAD_CONSTANT)
        return i >= 0 && i < n ? i : -1;
    if (mode == NN_PAD_EDGE || n == 1)
        return i < 0 ? 0 : i > n - 1 ? n - 1 : i;
    int period = 2 * (n - 1), j = ((i % period) + period) % period;
    return j < n ? j : period - j;
}

void nn_ref_pad(const float *in, const int s[4], const int pads[4][2], float value, int mode,
                float *out)
{
    int os[4];
    for (int d = 0; d < 4; d++)
        os[d] = s[d] + pads[d][0] + pads[d][1];
    for (int n = 0; n < os[0]; n++)
        for (int h = 0; h < os[1]; h++)
            for (int w = 0; w < os[2]; w++)
                for (int c = 0; c < os[3]; c++) {
                    int i[4] = {n - pads[0][0], h - pads[1][0], w - pads[2][0], c - pads[3][0]};
                    int inside = 1;
                    for (int d = 0; d < 4; d++) {
                        i[d] = pad_source(i[d], s[d], mode);
                        inside &= i[d] >= 0;
                    }
                    out[(((size_t)n * os[1] + h) * os[2] + w) * os[3] + c] =
                        inside ? in[(((size_t)i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3]]
                               : value;
                }
}

void nn_ref_instance_norm(const float *in, int n, long hw, int c, const float *scale,
                          const float *bias, float eps, float *out)
{
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            const float *x = in + (size_t)b * hw * c + ch;
            float *y = out + (size_t)b * hw * c + ch;
            double sum = 0.0, sq = 0.0;
            for (long p = 0; p < hw; p++)
                sum += (double)x[p * c];
            double mean = sum / (double)hw;
            for (long p = 0; p < hw; p++)
                sq += ((double)x[p * c] - mean) * ((double)x[p * c] - mean);
            double inv = 1.0 / sqrt(sq / (double)hw + (double)eps);
            for (long p = 0; p < hw; p++)
                y[p * c] = (float)(((double)x[p * c] - mean) * inv * (double)scale[ch] + (double)bias[ch]);
        }
}

void nn_ref_slice(const float *in, const int s[4], const int begin[4], const int step[4],
                  float *out, const int os[4])
{
    size_t k = 0;
    for (int n = 0; n < os[0]; n++)
        for (int h = 0; h < os[1]; h++)
            for (int w = 0; w < os[2]; w++)
                for (int c = 0; c < os[3]; c++) {
                    int i[4] = {begin[0] + n * step[0], begin[1] + h * step[1],
                                begin[2] + w * step[2], begin[3] + c * step[3]};
                    out[k++] = in[(((size_t)i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3]];
                }
}

/* TFLite's GetNearestNeighbor. */
static int nearest(int o, int in_size, int out_size, int align_corners, int half_pixel)
{
    float scale = (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                  : (float)in_size / (float)out_size;
    float off = half_pixel ? 0.5f : 0.0f;
    int v = align_corners ? (int)roundf(((float)o + off) * scale)
                          : (int)floorf(((float)o + off) * scale);
    v = v < in_size - 1 ? v : in_size - 1;
    return half_pixel && v < 0 ? 0 : v;
}

void nn_ref_resize_nearest(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                           int align_corners, int half_pixel)
{
    for (int y = 0; y < oh; y++) {
        int sy = nearest(y, ih, oh, align_corners, half_pixel);
        for (int x = 0; x < ow; x++) {
            int sx = nearest(x, iw, ow, align_corners, half_pixel);
            memcpy(out + ((size_t)y * ow + x) * c, in + ((size_t)sy * iw + sx) * c,
                   (size_t)c * sizeof(float));
        }
    }
}

void nn_ref_depth_to_space(const float *in, int ih, int iw, int ic, int block, float *out)
{
    int oc = ic / (block * block), ow = iw * block;
    for (int y = 0; y < ih * block; y++)
        for (int x = 0; x < ow; x++)
            for (int c = 0; c < oc; c++)
                out[((size_t)y * ow + x) * oc + c] =
                    in[((size_t)(y / block) * iw + x / block) * ic +
                       ((y % block) * block + x % block) * oc + c];
}
