/* make_seeds.c - writes the model seed corpus with tests/tflite_builder.
 *
 * usage: fuzz_make_seeds OUTDIR
 *
 * One small model per op the engine runs (with the options that change its
 * code path: strides, SAME/VALID, dilation, multipliers, align_corners /
 * half_pixel_centers, broadcasting, fused activations, fp16 weights behind
 * DEQUANTIZE, MediaPipe's custom transposed convolution), a miniature of the
 * selfie model's encoder-decoder, and the refusals (unsupported, custom and
 * quantised ops, an overflowing shape, a wrong declared shape). All inputs are float32
 * [1,H,W,C] with H, W <= 16, so the run harness runs every one. The output
 * is deterministic: make_corpus.sh regenerates the committed files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_builder.h"

enum {
    ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4,
    DEQUANTIZE = 6, LOGISTIC = 14, MAX_POOL_2D = 17, MUL = 18, RELU = 19, RELU_N1_TO_1 = 20,
    RELU6 = 21, RESHAPE = 22, RESIZE_BILINEAR = 23, TANH = 28, CUSTOM = 32, GATHER = 36,
    MEAN = 40, SUB = 41, DIV = 42, SQUEEZE = 43, MAXIMUM = 55, MINIMUM = 57,
    TRANSPOSE_CONV = 67, HARD_SWISH = 117,
};
/* BuiltinOptions union types */
enum {
    O_CONV = 1, O_DW = 2, O_POOL = 5, O_CONCAT = 10, O_ADD = 11, O_RESIZE = 15, O_MUL = 21,
    O_REDUCER = 27, O_SUB = 28, O_DIV = 29, O_TCONV = 49,
};
enum { SAME = 0, VALID = 1 };
enum { A_NONE = 0, A_RELU = 1, A_RELU_N1_TO_1 = 2, A_RELU6 = 3, A_TANH = 4 };

/* ---- a model under construction ---------------------------------------- */

typedef struct mb {
    tb_tensor t[48];
    int nt;
    tb_op o[24];
    int no;
    int input, output;
} mb;

static float pool_f[1 << 15];
static size_t pool_at;
static uint32_t rng = 2024u;

/* n floats in [-1, 1), deterministic. */
static const float *floats(size_t n)
{
    if (pool_at + n > sizeof pool_f / sizeof pool_f[0]) {
        fprintf(stderr, "make_seeds: float pool exhausted\n");
        exit(1);
    }
    float *p = pool_f + pool_at;
    for (size_t i = 0; i < n; i++) {
        rng = rng * 1664525u + 1013904223u;
        p[i] = (float)(rng >> 8) / (float)(1u << 23) - 1.0f;
    }
    pool_at += n;
    return p;
}

static int tensor(mb *b, const char *name, int type, int rank, int d0, int d1, int d2, int d3,
                  const void *data, size_t len)
{
    tb_tensor *t = &b->t[b->nt];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->type = type;
    t->rank = rank;
    int d[4] = {d0, d1, d2, d3};
    for (int i = 0; i < rank; i++)
        t->shape[i] = d[i];
    t->data = data;
    t->data_len = len;
    return b->nt++;
}

/* A float activation [1,h,w,c]. */
static int act4(mb *b, const char *name, int h, int w, int c)
{
    return tensor(b, name, TB_FLOAT32, 4, 1, h, w, c, NULL, 0);
}

/* A constant float tensor of the given shape (rank <= 4). */
static int constf(mb *b, const char *name, int rank, int d0, int d1, int d2, int d3)
{
    int d[4] = {d0, d1, d2, d3};
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)d[i];
    return tensor(b, name, TB_FLOAT32, rank, d0, d1, d2, d3, floats(n), n * 4);
}

static int32_t pool_i[256];
static size_t pool_i_at;

static int consti(mb *b, const char *name, int n, const int32_t *v)
{
    if (pool_i_at + (size_t)n > sizeof pool_i / sizeof pool_i[0]) {
        fprintf(stderr, "make_seeds: int pool exhausted\n");
        exit(1);
    }
    int32_t *copy = pool_i + pool_i_at;
    pool_i_at += (size_t)n;
    memcpy(copy, v, (size_t)n * 4);
    return tensor(b, name, TB_INT32, 1, n, 0, 0, 0, copy, (size_t)n * 4);
}

static tb_op *op(mb *b, int builtin, int out, int n_in, int i0, int i1, int i2, int i3)
{
    tb_op *o = &b->o[b->no++];
    memset(o, 0, sizeof *o);
    o->builtin = builtin;
    o->out = out;
    o->n_in = n_in;
    int in[4] = {i0, i1, i2, i3};
    for (int i = 0; i < n_in && i < 4; i++)
        o->in[i] = in[i];
    return o;
}

static void opt(tb_op *o, int type, int id, int size, int64_t value)
{
    o->options_type = type;
    o->opts[o->n_opts++] = (tb_opt){id, size, value};
}

/* CONV_2D / DEPTHWISE_CONV_2D options. */
static void conv_opts(tb_op *o, int dw, int pad, int stride, int dil, int act)
{
    int t = dw ? O_DW : O_CONV;
    opt(o, t, 0, 1, pad);
    opt(o, t, 1, 4, stride);
    opt(o, t, 2, 4, stride);
    if (dw) {
        opt(o, t, 4, 1, act);
        opt(o, t, 5, 4, dil);
        opt(o, t, 6, 4, dil);
    } else {
        opt(o, t, 3, 1, act);
        opt(o, t, 4, 4, dil);
        opt(o, t, 5, 4, dil);
    }
}

static void pool_opts(tb_op *o, int pad, int stride, int k, int act)
{
    opt(o, O_POOL, 0, 1, pad);
    opt(o, O_POOL, 1, 4, stride);
    opt(o, O_POOL, 2, 4, stride);
    opt(o, O_POOL, 3, 4, k);
    opt(o, O_POOL, 4, 4, k);
    opt(o, O_POOL, 5, 1, act);
}

static const char *outdir;
static int failures;

static void save(mb *b, const char *name)
{
    uint8_t *buf;
    size_t len;
    char path[1024];
    if (tb_build(b->t, b->nt, b->o, b->no, b->input, b->output, &buf, &len)) {
        fprintf(stderr, "make_seeds: cannot build %s\n", name);
        failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/%s.tflite", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        failures++;
    }
    free(buf);
    memset(b, 0, sizeof *b);
}

/* ---- the seeds ---------------------------------------------------------- */

static void conv_models(mb *b)
{
    /* 1x1 conv + fused RELU (fused again by the graph). */
    b->input = act4(b, "input", 4, 4, 3);
    int w = constf(b, "w", 4, 2, 1, 1, 3), bias = constf(b, "b", 1, 2, 0, 0, 0);
    int c = act4(b, "conv", 4, 4, 2);
    conv_opts(op(b, CONV_2D, c, 3, b->input, w, bias, 0), 0, SAME, 1, 1, A_NONE);
    b->output = act4(b, "relu", 4, 4, 2);
    op(b, RELU, b->output, 1, c, 0, 0, 0);
    save(b, "conv1x1_relu");

    /* 3x3 stride 2 SAME + RELU6, then 3x3 dilation 2 VALID, no bias. */
    b->input = act4(b, "input", 9, 9, 3);
    int w1 = constf(b, "w1", 4, 4, 3, 3, 3), b1 = constf(b, "b1", 1, 4, 0, 0, 0);
    int c1 = act4(b, "c1", 5, 5, 4);
    conv_opts(op(b, CONV_2D, c1, 3, b->input, w1, b1, 0), 0, SAME, 2, 1, A_RELU6);
    int w2 = constf(b, "w2", 4, 2, 3, 3, 4);
    b->output = act4(b, "c2", 1, 1, 2);
    conv_opts(op(b, CONV_2D, b->output, 3, c1, w2, -1, 0), 0, VALID, 1, 2, A_TANH);
    save(b, "conv3x3_stride_dilation");

    /* Depthwise 3x3, multiplier 2, SAME, stride 1, then stride 2 VALID. */
    b->input = act4(b, "input", 6, 6, 3);
    int dw = constf(b, "dw", 4, 1, 3, 3, 6), db = constf(b, "db", 1, 6, 0, 0, 0);
    int d1 = act4(b, "d1", 6, 6, 6);
    conv_opts(op(b, DEPTHWISE_CONV_2D, d1, 3, b->input, dw, db, 0), 1, SAME, 1, 1, A_RELU);
    int dw2 = constf(b, "dw2", 4, 1, 3, 3, 6);
    b->output = act4(b, "d2", 2, 2, 6);
    conv_opts(op(b, DEPTHWISE_CONV_2D, b->output, 2, d1, dw2, 0, 0), 1, VALID, 2, 1,
              A_RELU_N1_TO_1);
    save(b, "depthwise_mult2");

    /* Depthwise with dilation 2 and a 5x5 kernel over a 7x7 input. */
    b->input = act4(b, "input", 7, 7, 4);
    int dwd = constf(b, "dw", 4, 1, 5, 5, 4), dbd = constf(b, "db", 1, 4, 0, 0, 0);
    b->output = act4(b, "d", 7, 7, 4);
    conv_opts(op(b, DEPTHWISE_CONV_2D, b->output, 3, b->input, dwd, dbd, 0), 1, SAME, 1, 2,
              A_NONE);
    save(b, "depthwise_dilated");
}

static void tconv_models(mb *b)
{
    /* Builtin TRANSPOSE_CONV: (output_shape, weights OHWI, input, bias). */
    b->input = act4(b, "input", 4, 4, 3);
    const int32_t shp[4] = {1, 8, 8, 2};
    int s = consti(b, "shape", 4, shp);
    int w = constf(b, "w", 4, 2, 3, 3, 3), bias = constf(b, "b", 1, 2, 0, 0, 0);
    b->output = act4(b, "tconv", 8, 8, 2);
    tb_op *o = op(b, TRANSPOSE_CONV, b->output, 4, s, w, b->input, bias);
    opt(o, O_TCONV, 0, 1, SAME);
    opt(o, O_TCONV, 1, 4, 2);
    opt(o, O_TCONV, 2, 4, 2);
    save(b, "transpose_conv");

    /* MediaPipe's custom Convolution2DTransposeBias, stride 2 SAME. */
    static const int32_t copts[3] = {1, 2, 2};
    b->input = act4(b, "input", 4, 6, 4);
    int cw = constf(b, "w", 4, 2, 2, 2, 4), cb = constf(b, "b", 1, 2, 0, 0, 0);
    b->output = act4(b, "up", 8, 12, 2);
    o = op(b, CUSTOM, b->output, 3, b->input, cw, cb, 0);
    o->custom = "Convolution2DTransposeBias";
    o->custom_options = (const uint8_t *)copts;
    o->custom_len = sizeof copts;
    save(b, "transpose_conv_custom");

    /* The custom op with VALID padding and a 3x3 kernel. */
    static const int32_t vopts[3] = {2, 2, 1};
    b->input = act4(b, "input", 3, 3, 2);
    int vw = constf(b, "w", 4, 3, 3, 3, 2), vb = constf(b, "b", 1, 3, 0, 0, 0);
    b->output = act4(b, "up", 5, 7, 3);
    o = op(b, CUSTOM, b->output, 3, b->input, vw, vb, 0);
    o->custom = "Convolution2DTransposeBias";
    o->custom_options = (const uint8_t *)vopts;
    o->custom_len = sizeof vopts;
    save(b, "transpose_conv_custom_valid");
}

static void pool_models(mb *b)
{
    b->input = act4(b, "input", 8, 8, 3);
    int p1 = act4(b, "avg", 4, 4, 3);
    pool_opts(op(b, AVERAGE_POOL_2D, p1, 1, b->input, 0, 0, 0), VALID, 2, 2, A_NONE);
    int p2 = act4(b, "max", 4, 4, 3);
    pool_opts(op(b, MAX_POOL_2D, p2, 1, p1, 0, 0, 0), SAME, 1, 3, A_RELU);
    b->output = act4(b, "global", 1, 1, 3);
    pool_opts(op(b, AVERAGE_POOL_2D, b->output, 1, p2, 0, 0, 0), VALID, 1, 4, A_NONE);
    save(b, "pools");

    /* MEAN over H, W (the squeeze-excite form), then over C. */
    b->input = act4(b, "input", 5, 6, 4);
    const int32_t hw[2] = {1, 2}, ch[1] = {-1};
    int ax = consti(b, "axes", 2, hw), ax2 = consti(b, "axes_c", 1, ch);
    int m1 = act4(b, "mean_hw", 1, 1, 4);
    opt(op(b, MEAN, m1, 2, b->input, ax, 0, 0), O_REDUCER, 0, 1, 1);
    b->output = act4(b, "mean_c", 1, 1, 1);
    opt(op(b, MEAN, b->output, 2, m1, ax2, 0, 0), O_REDUCER, 0, 1, 1);
    save(b, "mean");
}

static void resize_models(mb *b)
{
    const int32_t up[2] = {8, 7}, down[2] = {3, 2};
    b->input = act4(b, "input", 4, 4, 3);
    int s1 = consti(b, "size_up", 2, up), s2 = consti(b, "size_down", 2, down);
    int r1 = act4(b, "up", 8, 7, 3);
    tb_op *o = op(b, RESIZE_BILINEAR, r1, 2, b->input, s1, 0, 0);
    opt(o, O_RESIZE, 2, 1, 1); /* align_corners */
    b->output = act4(b, "down", 3, 2, 3);
    o = op(b, RESIZE_BILINEAR, b->output, 2, r1, s2, 0, 0);
    opt(o, O_RESIZE, 3, 1, 1); /* half_pixel_centers */
    save(b, "resize_bilinear");

    /* Plain (neither flag), 1x1 -> 5x5 and a single channel. */
    const int32_t big[2] = {5, 5};
    b->input = act4(b, "input", 1, 1, 1);
    int s3 = consti(b, "size", 2, big);
    b->output = act4(b, "up", 5, 5, 1);
    op(b, RESIZE_BILINEAR, b->output, 2, b->input, s3, 0, 0);
    save(b, "resize_plain");
}

static void binary_models(mb *b)
{
    /* Every elementwise op with broadcasting: per-channel, per-pixel, scalar. */
    b->input = act4(b, "input", 4, 4, 3);
    int k_c = constf(b, "per_channel", 1, 3, 0, 0, 0);
    int k_hw = constf(b, "per_pixel", 4, 1, 4, 4, 1);
    int k_1 = constf(b, "scalar", 0, 0, 0, 0, 0);
    int a = act4(b, "add", 4, 4, 3), m = act4(b, "mul", 4, 4, 3), s = act4(b, "sub", 4, 4, 3);
    int d = act4(b, "div", 4, 4, 3), mx = act4(b, "max", 4, 4, 3);
    opt(op(b, ADD, a, 2, b->input, k_c, 0, 0), O_ADD, 0, 1, A_RELU6);
    opt(op(b, MUL, m, 2, a, k_hw, 0, 0), O_MUL, 0, 1, A_NONE);
    opt(op(b, SUB, s, 2, k_1, m, 0, 0), O_SUB, 0, 1, A_RELU);
    opt(op(b, DIV, d, 2, s, k_c, 0, 0), O_DIV, 0, 1, A_NONE);
    op(b, MAXIMUM, mx, 2, d, b->input, 0, 0);
    b->output = act4(b, "min", 4, 4, 3);
    op(b, MINIMUM, b->output, 2, mx, k_1, 0, 0);
    save(b, "binary_broadcast");

    /* Two activations of different shapes broadcast against each other. */
    b->input = act4(b, "input", 4, 1, 3);
    int w = constf(b, "w", 4, 3, 1, 1, 3);
    int col = act4(b, "col", 4, 1, 3);
    conv_opts(op(b, CONV_2D, col, 2, b->input, w, 0, 0), 0, SAME, 1, 1, A_NONE);
    int row = act4(b, "row", 1, 1, 3);
    const int32_t ax[1] = {1};
    opt(op(b, MEAN, row, 2, col, consti(b, "axes", 1, ax), 0, 0), O_REDUCER, 0, 1, 1);
    b->output = act4(b, "sum", 4, 1, 3);
    op(b, ADD, b->output, 2, col, row, 0, 0);
    save(b, "binary_two_activations");
}

static void misc_models(mb *b)
{
    /* CONCATENATION on the channel axis (-1) with the input itself. */
    b->input = act4(b, "input", 4, 4, 3);
    int w = constf(b, "w", 4, 2, 1, 1, 3);
    int c = act4(b, "conv", 4, 4, 2);
    conv_opts(op(b, CONV_2D, c, 2, b->input, w, 0, 0), 0, SAME, 1, 1, A_NONE);
    b->output = act4(b, "cat", 4, 4, 5);
    tb_op *o = op(b, CONCATENATION, b->output, 2, b->input, c, 0, 0);
    opt(o, O_CONCAT, 0, 4, -1);
    opt(o, O_CONCAT, 1, 1, A_RELU);
    save(b, "concat_channels");

    /* Concatenation along H of three inputs. */
    b->input = act4(b, "input", 2, 3, 2);
    int r = act4(b, "relu", 2, 3, 2);
    op(b, RELU, r, 1, b->input, 0, 0, 0);
    b->output = act4(b, "cat", 6, 3, 2);
    o = op(b, CONCATENATION, b->output, 3, b->input, r, b->input, 0);
    opt(o, O_CONCAT, 0, 4, 1);
    save(b, "concat_height");

    /* RESHAPE to rank 3 and back, SQUEEZE to rank 2, each a copy or view. */
    b->input = act4(b, "input", 4, 4, 3);
    const int32_t s3[3] = {1, 16, 3};
    int sh = consti(b, "shape", 3, s3);
    int r3 = tensor(b, "r3", TB_FLOAT32, 3, 1, 16, 3, 0, NULL, 0);
    op(b, RESHAPE, r3, 2, b->input, sh, 0, 0);
    int t = tensor(b, "tanh", TB_FLOAT32, 3, 1, 16, 3, 0, NULL, 0);
    op(b, TANH, t, 1, r3, 0, 0, 0);
    b->output = tensor(b, "sq", TB_FLOAT32, 2, 16, 3, 0, 0, NULL, 0);
    op(b, SQUEEZE, b->output, 1, t, 0, 0, 0);
    save(b, "reshape_squeeze");

    /* The activations as ops of their own. */
    b->input = act4(b, "input", 3, 3, 3);
    int h = act4(b, "hswish", 3, 3, 3), th = act4(b, "tanh", 3, 3, 3);
    int lg = act4(b, "logistic", 3, 3, 3), r6 = act4(b, "relu6", 3, 3, 3);
    op(b, HARD_SWISH, h, 1, b->input, 0, 0, 0);
    op(b, TANH, th, 1, h, 0, 0, 0);
    op(b, LOGISTIC, lg, 1, th, 0, 0, 0);
    op(b, RELU6, r6, 1, lg, 0, 0, 0);
    b->output = act4(b, "relu_n1_to_1", 3, 3, 3);
    op(b, RELU_N1_TO_1, b->output, 1, r6, 0, 0, 0);
    save(b, "activations");

    /* fp16 weights behind DEQUANTIZE (folded at load). */
    static uint16_t half[2 * 3 * 3 * 3];
    for (size_t i = 0; i < sizeof half / 2; i++)
        half[i] = (uint16_t)(0x3800u + (i * 37u) % 0x400u) ^ (i & 1u ? 0x8000u : 0u);
    b->input = act4(b, "input", 5, 5, 3);
    int h16 = tensor(b, "w16", TB_FLOAT16, 4, 2, 3, 3, 3, half, sizeof half);
    int w32 = tensor(b, "w", TB_FLOAT32, 4, 2, 3, 3, 3, NULL, 0);
    op(b, DEQUANTIZE, w32, 1, h16, 0, 0, 0);
    b->output = act4(b, "conv", 5, 5, 2);
    conv_opts(op(b, CONV_2D, b->output, 2, b->input, w32, 0, 0), 0, SAME, 1, 1, A_RELU);
    save(b, "fp16_dequantize_conv");
}

/* The selfie model in miniature: encoder (strided conv, hard-swish,
 * depthwise, squeeze-excite), decoder (custom transposed conv, skip add,
 * resize), one-channel sigmoid mask. */
static void selfie_like(mb *b)
{
    b->input = act4(b, "input", 16, 16, 3);
    int w0 = constf(b, "enc0/w", 4, 8, 3, 3, 3), b0 = constf(b, "enc0/b", 1, 8, 0, 0, 0);
    int e0 = act4(b, "enc0", 8, 8, 8);
    conv_opts(op(b, CONV_2D, e0, 3, b->input, w0, b0, 0), 0, SAME, 2, 1, A_NONE);
    int hs = act4(b, "enc0/hswish", 8, 8, 8);
    op(b, HARD_SWISH, hs, 1, e0, 0, 0, 0);
    int dw = constf(b, "enc1/dw", 4, 1, 3, 3, 8), db = constf(b, "enc1/db", 1, 8, 0, 0, 0);
    int e1 = act4(b, "enc1", 4, 4, 8);
    conv_opts(op(b, DEPTHWISE_CONV_2D, e1, 3, hs, dw, db, 0), 1, SAME, 2, 1, A_RELU);
    const int32_t hw[2] = {1, 2};
    int se = act4(b, "se/mean", 1, 1, 8);
    opt(op(b, MEAN, se, 2, e1, consti(b, "se/axes", 2, hw), 0, 0), O_REDUCER, 0, 1, 1);
    int sw = constf(b, "se/w", 4, 8, 1, 1, 8);
    int sc = act4(b, "se/conv", 1, 1, 8);
    conv_opts(op(b, CONV_2D, sc, 2, se, sw, 0, 0), 0, VALID, 1, 1, A_NONE);
    int sg = act4(b, "se/sigmoid", 1, 1, 8);
    op(b, LOGISTIC, sg, 1, sc, 0, 0, 0);
    int sm = act4(b, "se/mul", 4, 4, 8);
    opt(op(b, MUL, sm, 2, e1, sg, 0, 0), O_MUL, 0, 1, A_NONE);
    static const int32_t up_opts[3] = {1, 2, 2};
    int uw = constf(b, "dec0/w", 4, 8, 2, 2, 8), ub = constf(b, "dec0/b", 1, 8, 0, 0, 0);
    int u0 = act4(b, "dec0", 8, 8, 8);
    tb_op *o = op(b, CUSTOM, u0, 3, sm, uw, ub, 0);
    o->custom = "Convolution2DTransposeBias";
    o->custom_options = (const uint8_t *)up_opts;
    o->custom_len = sizeof up_opts;
    int skip = act4(b, "dec0/skip", 8, 8, 8);
    opt(op(b, ADD, skip, 2, u0, hs, 0, 0), O_ADD, 0, 1, A_RELU);
    const int32_t full[2] = {16, 16};
    int rs = act4(b, "dec1/resize", 16, 16, 8);
    op(b, RESIZE_BILINEAR, rs, 2, skip, consti(b, "dec1/size", 2, full), 0, 0);
    int hw1 = constf(b, "head/w", 4, 1, 1, 1, 8), hb = constf(b, "head/b", 1, 1, 0, 0, 0);
    int hd = act4(b, "head", 16, 16, 1);
    conv_opts(op(b, CONV_2D, hd, 3, rs, hw1, hb, 0), 0, SAME, 1, 1, A_NONE);
    b->output = act4(b, "segment", 16, 16, 1);
    op(b, LOGISTIC, b->output, 1, hd, 0, 0, 0);
    save(b, "selfie_like");
}

/* Files every loader must refuse, each for its own reason. */
static void refusals(mb *b)
{
    b->input = act4(b, "input", 4, 4, 3);
    b->output = act4(b, "out", 4, 4, 3);
    op(b, GATHER, b->output, 1, b->input, 0, 0, 0);
    save(b, "refuse_unsupported_op");

    b->input = act4(b, "input", 4, 4, 3);
    b->output = act4(b, "out", 4, 4, 3);
    op(b, CUSTOM, b->output, 1, b->input, 0, 0, 0)->custom = "MaxPoolingWithArgmax2D";
    save(b, "refuse_custom_op");

    static int8_t q[6];
    b->input = tensor(b, "input", TB_INT8, 4, 1, 4, 4, 3, NULL, 0);
    int w = tensor(b, "w", TB_INT8, 4, 2, 1, 1, 3, q, sizeof q);
    b->output = tensor(b, "out", TB_INT8, 4, 1, 4, 4, 2, NULL, 0);
    conv_opts(op(b, CONV_2D, b->output, 2, b->input, w, 0, 0), 0, SAME, 1, 1, A_NONE);
    save(b, "refuse_int8");

    /* 65536^4 elements: the product overflows 64 bits. */
    b->input = tensor(b, "input", TB_FLOAT32, 4, 65536, 65536, 65536, 65536, NULL, 0);
    b->output = act4(b, "out", 4, 4, 3);
    op(b, RELU, b->output, 1, b->input, 0, 0, 0);
    save(b, "refuse_overflow_shape");

    /* A chain of plain activations: the graph fuses or copies them. */
    b->input = act4(b, "input", 4, 4, 3);
    int r1 = act4(b, "r1", 4, 4, 3);
    b->output = act4(b, "out", 4, 4, 3);
    op(b, RELU, r1, 1, b->input, 0, 0, 0);
    op(b, RELU, b->output, 1, r1, 0, 0, 0);
    save(b, "chain_relu");

    /* A one-channel input: loads (the engine is generic), segstream refuses. */
    b->input = act4(b, "input", 8, 8, 1);
    b->output = act4(b, "out", 8, 8, 1);
    op(b, LOGISTIC, b->output, 1, b->input, 0, 0, 0);
    save(b, "input_one_channel");

    /* The declared output is larger than the op computes. */
    b->input = act4(b, "input", 4, 4, 3);
    int wb = constf(b, "w", 4, 2, 1, 1, 3);
    b->output = act4(b, "conv", 8, 8, 2);
    conv_opts(op(b, CONV_2D, b->output, 2, b->input, wb, 0, 0), 0, SAME, 1, 1, A_NONE);
    save(b, "refuse_declared_shape");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    static mb b;
    conv_models(&b);
    tconv_models(&b);
    pool_models(&b);
    resize_models(&b);
    binary_models(&b);
    misc_models(&b);
    selfie_like(&b);
    refusals(&b);
    return failures ? 1 : 0;
}
