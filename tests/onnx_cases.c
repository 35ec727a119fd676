/* onnx_cases.c - see onnx_cases.h. */
#include "onnx_cases.h"

#include <stdlib.h>
#include <string.h>

/* Deterministic values in [-1, 1) (xorshift). */
static float *rnd(onnx_builder *b, size_t n, uint32_t seed)
{
    float *v = ob_alloc(b, sizeof(float) * n);
    uint32_t s = seed * 2654435761u + 1u;
    for (size_t k = 0; k < n; k++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        v[k] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
    return v;
}

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define INTS(n, name, ...) ob_attr_ints(b, n, name, (int)(sizeof((int64_t[]){__VA_ARGS__}) / 8), \
                                        (const int64_t[]){__VA_ARGS__})

static void winit(onnx_builder *b, const char *name, int64_t o, int64_t i, int64_t kh, int64_t kw,
                  uint32_t seed)
{
    ob_init(b, name, 4, D(o, i, kh, kw), rnd(b, (size_t)(o * i * kh * kw), seed));
}

static void vinit(onnx_builder *b, const char *name, int64_t n, uint32_t seed)
{
    ob_init(b, name, 1, D(n), rnd(b, (size_t)n, seed));
}

static void conv_pads(onnx_builder *b)
{
    winit(b, "w", 5, 3, 3, 3, 1);
    vinit(b, "bias", 5, 2);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w,bias", "y");
    INTS(n, "pads", 1, 1, 1, 1);
    ob_output(b, "y", 1);
}

static void conv_stride_asym(onnx_builder *b)
{
    winit(b, "w", 4, 3, 3, 3, 3);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "y");
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 0, 1, 1, 0);
    ob_output(b, "y", 1);
}

static void conv_dilated(onnx_builder *b)
{
    winit(b, "w", 4, 3, 3, 3, 4);
    vinit(b, "bias", 4, 5);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w,bias", "y");
    INTS(n, "dilations", 2, 2);
    INTS(n, "pads", 2, 2, 2, 2);
    ob_output(b, "y", 1);
}

static void conv_same_upper(onnx_builder *b)
{
    winit(b, "w", 4, 3, 4, 4, 6);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "y");
    INTS(n, "strides", 2, 2);
    ob_attr_s(b, n, "auto_pad", "SAME_UPPER");
    ob_output(b, "y", 1);
}

static void conv_same_lower(onnx_builder *b)
{
    winit(b, "w", 4, 3, 4, 4, 7);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "y");
    INTS(n, "strides", 2, 2);
    ob_attr_s(b, n, "auto_pad", "SAME_LOWER");
    ob_output(b, "y", 1);
}

static void conv_valid_5x3(onnx_builder *b)
{
    winit(b, "w", 6, 3, 5, 3, 8);
    vinit(b, "bias", 6, 9);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w,bias", "y");
    ob_attr_s(b, n, "auto_pad", "VALID");
    ob_output(b, "y", 1);
}

static void conv_grouped(onnx_builder *b)
{
    winit(b, "w", 6, 2, 3, 3, 10); /* 4 input channels, 2 groups */
    vinit(b, "bias", 6, 11);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w,bias", "y");
    ob_attr_i(b, n, "group", 2);
    INTS(n, "pads", 1, 1, 1, 1);
    ob_output(b, "y", 1);
}

static void conv_depthwise(onnx_builder *b)
{
    winit(b, "w", 4, 1, 3, 3, 12);
    vinit(b, "bias", 4, 13);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w,bias", "y");
    ob_attr_i(b, n, "group", 4);
    INTS(n, "pads", 1, 1, 1, 1);
    INTS(n, "strides", 2, 2);
    ob_output(b, "y", 1);
}

static void conv_depthwise_mult2(onnx_builder *b)
{
    winit(b, "w", 8, 1, 3, 3, 14);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "y");
    ob_attr_i(b, n, "group", 4);
    INTS(n, "pads", 1, 1, 1, 1);
    ob_output(b, "y", 1);
}

static void conv_1x1(onnx_builder *b)
{
    winit(b, "w", 7, 3, 1, 1, 15);
    vinit(b, "bias", 7, 16);
    ob_node(b, "Conv", "x,w,bias", "y");
    ob_output(b, "y", 1);
}

static void bn_params(onnx_builder *b, int64_t c, uint32_t seed)
{
    float *s = rnd(b, (size_t)c, seed), *var = rnd(b, (size_t)c, seed + 1);
    for (int64_t k = 0; k < c; k++)
        var[k] = var[k] * var[k] + 0.1f;
    ob_init(b, "bn_s", 1, D(c), s);
    vinit(b, "bn_b", c, seed + 2);
    vinit(b, "bn_m", c, seed + 3);
    ob_init(b, "bn_v", 1, D(c), var);
}

static void conv_bn_relu(onnx_builder *b)
{
    winit(b, "w", 5, 3, 3, 3, 17);
    bn_params(b, 5, 18);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "c");
    INTS(n, "pads", 1, 1, 1, 1);
    n = ob_node(b, "BatchNormalization", "c,bn_s,bn_b,bn_m,bn_v", "bn");
    ob_attr_f(b, n, "epsilon", 1e-3f);
    ob_node(b, "Relu", "bn", "y");
    ob_output(b, "y", 1);
}

static void batchnorm_alone(onnx_builder *b)
{
    bn_params(b, 3, 21);
    ob_node(b, "BatchNormalization", "x,bn_s,bn_b,bn_m,bn_v", "y");
    ob_output(b, "y", 1);
}

static void convtranspose_s2_opad(onnx_builder *b)
{
    winit(b, "w", 3, 4, 3, 3, 25); /* IOHW: 3 in, 4 out */
    vinit(b, "bias", 4, 26);
    Onnx__NodeProto *n = ob_node(b, "ConvTranspose", "x,w,bias", "y");
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 1, 1, 1, 1);
    INTS(n, "output_padding", 1, 1);
    ob_output(b, "y", 1);
}

static void convtranspose_k2s2(onnx_builder *b)
{
    winit(b, "w", 3, 5, 2, 2, 27);
    Onnx__NodeProto *n = ob_node(b, "ConvTranspose", "x,w", "y");
    INTS(n, "strides", 2, 2);
    ob_output(b, "y", 1);
}

static void convtranspose_output_shape(onnx_builder *b)
{
    winit(b, "w", 3, 2, 4, 4, 28);
    Onnx__NodeProto *n = ob_node(b, "ConvTranspose", "x,w", "y");
    INTS(n, "strides", 2, 2);
    INTS(n, "output_shape", 13, 17);
    ob_output(b, "y", 1);
}

static void relu(onnx_builder *b)
{
    ob_node(b, "Relu", "x", "y");
    ob_output(b, "y", 1);
}

static void leaky_relu(onnx_builder *b)
{
    ob_attr_f(b, ob_node(b, "LeakyRelu", "x", "y"), "alpha", 0.15f);
    ob_output(b, "y", 1);
}

static void prelu(onnx_builder *b)
{
    ob_init(b, "slope", 3, D(3, 1, 1), rnd(b, 3, 30));
    ob_node(b, "PRelu", "x,slope", "y");
    ob_output(b, "y", 1);
}

static void clip_inputs_relu6(onnx_builder *b)
{
    /* x * 4 so that both bounds are reached. */
    ob_init(b, "four", 0, NULL, (const float[]){4.0f});
    ob_init(b, "lo", 0, NULL, (const float[]){0.0f});
    ob_init(b, "hi", 0, NULL, (const float[]){6.0f});
    ob_node(b, "Mul", "x,four", "x4");
    ob_node(b, "Clip", "x4,lo,hi", "y");
    ob_output(b, "y", 1);
}

static void clip_inputs_any(onnx_builder *b)
{
    ob_init(b, "lo", 0, NULL, (const float[]){-0.3f});
    ob_init(b, "hi", 0, NULL, (const float[]){0.7f});
    ob_node(b, "Clip", "x,lo,hi", "y");
    ob_output(b, "y", 1);
}

static void clip_min_only(onnx_builder *b)
{
    ob_init(b, "lo", 0, NULL, (const float[]){-0.5f});
    ob_node(b, "Clip", "x,lo", "y");
    ob_output(b, "y", 1);
}

static void clip_attr(onnx_builder *b) /* opset 6-10 form */
{
    Onnx__NodeProto *n = ob_node(b, "Clip", "x", "y");
    ob_attr_f(b, n, "min", -1.0f);
    ob_attr_f(b, n, "max", 1.0f);
    ob_output(b, "y", 1);
}

static void sigmoid(onnx_builder *b)
{
    ob_node(b, "Sigmoid", "x", "y");
    ob_output(b, "y", 1);
}

static void hard_sigmoid(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "HardSigmoid", "x", "y");
    ob_attr_f(b, n, "alpha", 0.3f);
    ob_attr_f(b, n, "beta", 0.45f);
    ob_output(b, "y", 1);
}

static void hard_swish(onnx_builder *b)
{
    ob_init(b, "k", 0, NULL, (const float[]){3.0f});
    ob_node(b, "Mul", "x,k", "x3");
    ob_node(b, "HardSwish", "x3", "y");
    ob_output(b, "y", 1);
}

static void tanh_(onnx_builder *b)
{
    ob_node(b, "Tanh", "x", "y");
    ob_output(b, "y", 1);
}

static void add_two_acts(onnx_builder *b)
{
    ob_node(b, "Relu", "x", "r");
    ob_node(b, "Add", "x,r", "y");
    ob_output(b, "y", 1);
}

static void sub_channel_const(onnx_builder *b)
{
    ob_init(b, "m", 3, D(3, 1, 1), rnd(b, 3, 31));
    ob_node(b, "Sub", "x,m", "y");
    ob_output(b, "y", 1);
}

static void div_const_by_act(onnx_builder *b)
{
    /* 1 / (sigmoid(x) + 0.5): the constant is the first operand. */
    ob_init(b, "one", 1, D(1), (const float[]){1.0f});
    ob_init(b, "half", 0, NULL, (const float[]){0.5f});
    ob_node(b, "Sigmoid", "x", "s");
    ob_node(b, "Add", "s,half", "d");
    ob_node(b, "Div", "one,d", "y");
    ob_output(b, "y", 1);
}

static void mul_broadcast_row(onnx_builder *b)
{
    /* [W] broadcast over N, C and H. */
    ob_init(b, "row", 1, D(9), rnd(b, 9, 32));
    ob_node(b, "Mul", "x,row", "y");
    ob_output(b, "y", 1);
}

static void mul_squeeze_excite(onnx_builder *b)
{
    /* x * sigmoid(GlobalAveragePool(x)): [1,C,H,W] * [1,C,1,1]. */
    ob_node(b, "GlobalAveragePool", "x", "g");
    ob_node(b, "Sigmoid", "g", "s");
    ob_node(b, "Mul", "x,s", "y");
    ob_output(b, "y", 1);
}

static void max_min_const(onnx_builder *b)
{
    ob_init(b, "a", 4, D(1, 3, 1, 1), rnd(b, 3, 33));
    ob_init(b, "c", 0, NULL, (const float[]){0.25f});
    ob_node(b, "Max", "x,a", "m");
    ob_node(b, "Min", "m,c", "y");
    ob_output(b, "y", 1);
}

static void flatten_matmul(onnx_builder *b)
{
    ob_init(b, "w", 2, D(3 * 7 * 9, 5), rnd(b, 3 * 7 * 9 * 5, 34));
    ob_node(b, "Flatten", "x", "f");
    ob_node(b, "MatMul", "f,w", "y");
    ob_output(b, "y", 1);
}

static void gemm_transb(onnx_builder *b)
{
    ob_init(b, "w", 2, D(6, 3 * 7 * 9), rnd(b, 6 * 3 * 7 * 9, 35));
    vinit(b, "c", 6, 36);
    ob_node(b, "Flatten", "x", "f");
    Onnx__NodeProto *n = ob_node(b, "Gemm", "f,w,c", "y");
    ob_attr_i(b, n, "transB", 1);
    ob_attr_f(b, n, "alpha", 0.5f);
    ob_attr_f(b, n, "beta", 2.0f);
    ob_output(b, "y", 1);
}

static void matmul_nchw_last_axis(onnx_builder *b)
{
    /* [1,3,7,9] x [9,4]: over W of an NCHW tensor. */
    ob_init(b, "w", 2, D(9, 4), rnd(b, 36, 37));
    ob_node(b, "MatMul", "x,w", "y");
    ob_output(b, "y", 1);
}

static void maxpool_pads(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "MaxPool", "x", "y");
    INTS(n, "kernel_shape", 3, 3);
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 1, 1, 1, 1);
    ob_output(b, "y", 1);
}

static void maxpool_ceil(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "MaxPool", "x", "y");
    INTS(n, "kernel_shape", 2, 2);
    INTS(n, "strides", 2, 2);
    ob_attr_i(b, n, "ceil_mode", 1);
    ob_output(b, "y", 1);
}

static void maxpool_ceil_k3s2(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "MaxPool", "x", "y");
    INTS(n, "kernel_shape", 3, 3);
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 1, 0, 0, 1);
    ob_attr_i(b, n, "ceil_mode", 1);
    ob_output(b, "y", 1);
}

static void avgpool_exclude_pad(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "AveragePool", "x", "y");
    INTS(n, "kernel_shape", 3, 3);
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 1, 1, 1, 1);
    ob_output(b, "y", 1);
}

static void avgpool_include_pad(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "AveragePool", "x", "y");
    INTS(n, "kernel_shape", 3, 3);
    INTS(n, "strides", 2, 2);
    INTS(n, "pads", 1, 1, 1, 1);
    ob_attr_i(b, n, "count_include_pad", 1);
    ob_output(b, "y", 1);
}

static void avgpool_ceil(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "AveragePool", "x", "y");
    INTS(n, "kernel_shape", 2, 2);
    INTS(n, "strides", 2, 2);
    ob_attr_i(b, n, "ceil_mode", 1);
    ob_output(b, "y", 1);
}

static void global_avg(onnx_builder *b)
{
    ob_node(b, "GlobalAveragePool", "x", "y");
    ob_output(b, "y", 1);
}

static void global_max(onnx_builder *b)
{
    ob_node(b, "GlobalMaxPool", "x", "y");
    ob_output(b, "y", 1);
}

static void reduce_mean_keep(onnx_builder *b)
{
    INTS(ob_node(b, "ReduceMean", "x", "y"), "axes", 2, 3);
    ob_output(b, "y", 1);
}

static void reduce_mean_flat(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "ReduceMean", "x", "y");
    INTS(n, "axes", -1, -2);
    ob_attr_i(b, n, "keepdims", 0);
    ob_output(b, "y", 1);
}

static void reduce_mean_channels(onnx_builder *b)
{
    INTS(ob_node(b, "ReduceMean", "x", "y"), "axes", 1);
    ob_output(b, "y", 1);
}

/* Resize with scales (opset 13: X, roi, scales). */
static void resize_scales(onnx_builder *b, const char *mode, const char *ct, const char *nm,
                          float s)
{
    ob_init(b, "scales", 1, D(4), (const float[]){1.0f, 1.0f, s, s});
    Onnx__NodeProto *n = ob_node(b, "Resize", "x,,scales", "y");
    ob_attr_s(b, n, "mode", mode);
    if (ct)
        ob_attr_s(b, n, "coordinate_transformation_mode", ct);
    if (nm)
        ob_attr_s(b, n, "nearest_mode", nm);
    ob_output(b, "y", 1);
}

static void resize_sizes(onnx_builder *b, const char *mode, const char *ct, const char *nm,
                         int64_t h, int64_t w)
{
    ob_init_i64(b, "sizes", 1, D(4), D(1, 3, h, w));
    Onnx__NodeProto *n = ob_node(b, "Resize", "x,,,sizes", "y");
    ob_attr_s(b, n, "mode", mode);
    if (ct)
        ob_attr_s(b, n, "coordinate_transformation_mode", ct);
    if (nm)
        ob_attr_s(b, n, "nearest_mode", nm);
    ob_output(b, "y", 1);
}

static void resize_linear_half_pixel(onnx_builder *b) { resize_scales(b, "linear", NULL, NULL, 2.0f); }
static void resize_linear_align(onnx_builder *b) { resize_sizes(b, "linear", "align_corners", NULL, 13, 20); }
static void resize_linear_asym(onnx_builder *b) { resize_scales(b, "linear", "asymmetric", NULL, 2.0f); }
static void resize_linear_pytorch(onnx_builder *b) { resize_sizes(b, "linear", "pytorch_half_pixel", NULL, 15, 11); }
static void resize_linear_down(onnx_builder *b) { resize_sizes(b, "linear", "half_pixel", NULL, 4, 5); }
static void resize_nearest_asym_floor(onnx_builder *b) { resize_scales(b, "nearest", "asymmetric", "floor", 2.0f); }
static void resize_nearest_default(onnx_builder *b) { resize_scales(b, "nearest", NULL, NULL, 2.0f); }
static void resize_nearest_half_ceil(onnx_builder *b) { resize_sizes(b, "nearest", "half_pixel", "round_prefer_ceil", 10, 20); }
static void resize_nearest_align(onnx_builder *b) { resize_sizes(b, "nearest", "align_corners", "round_prefer_ceil", 12, 17); }

static void upsample9_nearest(onnx_builder *b)
{
    ob_init(b, "scales", 1, D(4), (const float[]){1.0f, 1.0f, 2.0f, 3.0f});
    ob_attr_s(b, ob_node(b, "Upsample", "x,scales", "y"), "mode", "nearest");
    ob_output(b, "y", 1);
}

static void upsample9_linear(onnx_builder *b)
{
    ob_init(b, "scales", 1, D(4), (const float[]){1.0f, 1.0f, 2.0f, 2.0f});
    ob_attr_s(b, ob_node(b, "Upsample", "x,scales", "y"), "mode", "linear");
    ob_output(b, "y", 1);
}

/* u2netp's pattern: the size of a Resize computed from Shape. */
static void resize_shape_arith(onnx_builder *b)
{
    winit(b, "w", 3, 3, 3, 3, 40);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "small");
    INTS(n, "strides", 2, 2);
    ob_node(b, "Shape", "x", "shp");
    ob_attr_tensor(b, ob_node(b, "Constant", "", "i2"), "value", 0, NULL, NULL, D(2));
    ob_attr_tensor(b, ob_node(b, "Constant", "", "i3"), "value", 0, NULL, NULL, D(3));
    ob_attr_i(b, ob_node(b, "Gather", "shp,i2", "hh"), "axis", 0);
    ob_attr_i(b, ob_node(b, "Gather", "shp,i3", "ww"), "axis", 0);
    INTS(ob_node(b, "Unsqueeze", "hh", "h1"), "axes", 0); /* opset 11: attribute */
    INTS(ob_node(b, "Unsqueeze", "ww", "w1"), "axes", 0);
    ob_attr_i(b, ob_node(b, "Concat", "h1,w1", "hw"), "axis", 0);
    ob_node(b, "Shape", "small", "sshp");
    ob_attr_tensor(b, ob_node(b, "Constant", "", "s0"), "value", 1, D(1), NULL, D(0));
    ob_attr_tensor(b, ob_node(b, "Constant", "", "s2"), "value", 1, D(1), NULL, D(2));
    ob_node(b, "Slice", "sshp,s0,s2", "nc");
    ob_attr_i(b, ob_node(b, "Cast", "hw", "hw64"), "to", 7);
    ob_attr_i(b, ob_node(b, "Concat", "nc,hw64", "sizes"), "axis", 0);
    ob_attr_tensor(b, ob_node(b, "Constant", "", "roi"), "value", 1, D(0), (const float[]){0}, NULL);
    ob_attr_tensor(b, ob_node(b, "Constant", "", "sc"), "value", 1, D(0), (const float[]){0}, NULL);
    n = ob_node(b, "Resize", "small,roi,sc,sizes", "y");
    ob_attr_s(b, n, "mode", "linear");
    ob_attr_s(b, n, "coordinate_transformation_mode", "pytorch_half_pixel");
    ob_output(b, "y", 1);
}

static void concat_channels(onnx_builder *b)
{
    ob_node(b, "Relu", "x", "r");
    ob_node(b, "Sigmoid", "x", "s");
    ob_attr_i(b, ob_node(b, "Concat", "x,r,s", "y"), "axis", 1);
    ob_output(b, "y", 1);
}

static void concat_height_const(onnx_builder *b)
{
    ob_init(b, "k", 4, D(1, 3, 2, 9), rnd(b, 54, 41));
    ob_node(b, "Relu", "x", "r");
    ob_attr_i(b, ob_node(b, "Concat", "r,k,x", "y"), "axis", 2);
    ob_output(b, "y", 1);
}

static void reshape_flat(onnx_builder *b)
{
    ob_init_i64(b, "shape", 1, D(2), D(1, -1));
    ob_node(b, "Reshape", "x,shape", "y");
    ob_output(b, "y", 1);
}

static void reshape_4d(onnx_builder *b)
{
    /* [1,3,7,9] -> [1,9,7,3] (not a transpose: the same row-major data). */
    ob_init_i64(b, "shape", 1, D(4), D(0, 9, 7, -1));
    ob_node(b, "Reshape", "x,shape", "r");
    ob_node(b, "Relu", "r", "y");
    ob_output(b, "y", 1);
}

static void reshape_shape_arith(onnx_builder *b)
{
    /* [N, C*H*W] from Shape, Gather, Mul, Unsqueeze, Concat (opset 13 form). */
    ob_node(b, "Shape", "x", "s");
    ob_init_i64(b, "i0", 0, NULL, D(0));
    ob_init_i64(b, "i1", 1, D(3), D(1, 2, 3));
    ob_init_i64(b, "ax", 1, D(1), D(0));
    ob_node(b, "Gather", "s,i0", "n");
    ob_node(b, "Gather", "s,i1", "chw");
    ob_init_i64(b, "one", 1, D(1), D(1));
    ob_node(b, "Slice", "chw,ax,one", "c");
    ob_node(b, "Mul", "c,c", "cc"); /* 9: a folded Mul */
    ob_init_i64(b, "m1", 1, D(1), D(-1));
    ob_node(b, "Unsqueeze", "n,ax", "n1");
    ob_attr_i(b, ob_node(b, "Concat", "n1,cc,m1", "target"), "axis", 0);
    ob_node(b, "Reshape", "x,target", "y");
    ob_output(b, "y", 1);
}

static void transpose_to_nhwc(onnx_builder *b)
{
    INTS(ob_node(b, "Transpose", "x", "y"), "perm", 0, 2, 3, 1);
    ob_output(b, "y", 1);
}

static void transpose_hw(onnx_builder *b)
{
    INTS(ob_node(b, "Transpose", "x", "t"), "perm", 0, 1, 3, 2);
    ob_node(b, "Relu", "t", "y");
    ob_output(b, "y", 1);
}

static void nhwc_input_conv(onnx_builder *b)
{
    /* tf2onnx: the input [1,H,W,C] behind a Transpose (0,3,1,2), and back. */
    winit(b, "w", 4, 9, 3, 3, 42);
    INTS(ob_node(b, "Transpose", "x", "xt"), "perm", 0, 3, 1, 2);
    INTS(ob_node(b, "Conv", "xt,w", "c"), "pads", 1, 1, 1, 1);
    INTS(ob_node(b, "Transpose", "c", "y"), "perm", 0, 2, 3, 1);
    ob_output(b, "y", 1);
}

static void squeeze_unsqueeze(onnx_builder *b)
{
    INTS(ob_node(b, "ReduceMean", "x", "m"), "axes", 2, 3);
    ob_init_i64(b, "ax", 1, D(2), D(2, 3));
    ob_node(b, "Squeeze", "m,ax", "s");
    ob_node(b, "Sigmoid", "s", "g");
    ob_node(b, "Unsqueeze", "g,ax", "u");
    ob_node(b, "Mul", "x,u", "y");
    ob_output(b, "y", 1);
}

static void expand_channels(onnx_builder *b)
{
    ob_node(b, "GlobalAveragePool", "x", "g");
    ob_init_i64(b, "shape", 1, D(4), D(1, 3, 7, 9));
    ob_node(b, "Expand", "g,shape", "y");
    ob_output(b, "y", 1);
}

static void pad_constant(onnx_builder *b)
{
    ob_init_i64(b, "pads", 1, D(8), D(0, 0, 1, 2, 0, 0, 3, 0));
    ob_init(b, "v", 0, NULL, (const float[]){0.5f});
    ob_node(b, "Pad", "x,pads,v", "y");
    ob_output(b, "y", 1);
}

static void pad_channels(onnx_builder *b)
{
    ob_init_i64(b, "pads", 1, D(8), D(0, 1, 0, 0, 0, 2, 0, 0));
    ob_node(b, "Pad", "x,pads", "y");
    ob_output(b, "y", 1);
}

static void pad_mode(onnx_builder *b, const char *mode)
{
    ob_init_i64(b, "pads", 1, D(8), D(0, 1, 2, 1, 0, 2, 1, 3));
    ob_attr_s(b, ob_node(b, "Pad", "x,pads", "y"), "mode", mode);
    ob_output(b, "y", 1);
}

static void pad_reflect(onnx_builder *b) { pad_mode(b, "reflect"); }
static void pad_edge(onnx_builder *b) { pad_mode(b, "edge"); }

/* Slices of an activation (after a conv, so that it is one). */
static void slice_case(onnx_builder *b, int n, const int64_t *starts, const int64_t *ends,
                       const int64_t *axes, const int64_t *steps)
{
    winit(b, "w", 6, 3, 1, 1, 21);
    ob_node(b, "Conv", "x,w", "c");
    ob_init_i64(b, "starts", 1, D(n), starts);
    ob_init_i64(b, "ends", 1, D(n), ends);
    ob_init_i64(b, "axes", 1, D(n), axes);
    ob_init_i64(b, "steps", 1, D(n), steps);
    ob_node(b, "Slice", "c,starts,ends,axes,steps", "y");
    ob_output(b, "y", 1);
}

static void slice_channels(onnx_builder *b)
{
    slice_case(b, 1, D(1), D(4), D(1), D(1));
}

static void slice_spatial_steps(onnx_builder *b)
{
    slice_case(b, 3, D(1, 0, 1), D(7, 9, 6), D(2, 3, 1), D(2, 3, 2));
}

static void slice_negative_ends(onnx_builder *b)
{
    slice_case(b, 2, D(-4, 2), D(INT64_MAX, -1), D(3, 2), D(1, 1));
}

/* Split of an activation, the parts joined in another order. */
static void split_channels_uneven(onnx_builder *b)
{
    winit(b, "w", 6, 3, 1, 1, 23);
    ob_node(b, "Conv", "x,w", "c");
    ob_init_i64(b, "parts", 1, D(2), D(2, 4));
    ob_attr_i(b, ob_node(b, "Split", "c,parts", "a,bb"), "axis", 1);
    ob_attr_i(b, ob_node(b, "Concat", "bb,a", "y"), "axis", 1);
    ob_output(b, "y", 1);
}

static void split_rows_equal(onnx_builder *b) /* opset 11: equal parts, no sizes */
{
    ob_node(b, "Relu", "x", "r");
    ob_attr_i(b, ob_node(b, "Split", "r", "p0,p1,p2"), "axis", 2);
    ob_attr_i(b, ob_node(b, "Concat", "p2,p0,p1", "y"), "axis", 2);
    ob_output(b, "y", 1);
}

static void instance_norm(onnx_builder *b)
{
    winit(b, "w", 5, 3, 3, 3, 24);
    INTS(ob_node(b, "Conv", "x,w", "c"), "pads", 1, 1, 1, 1);
    vinit(b, "in_s", 5, 25);
    vinit(b, "in_b", 5, 26);
    ob_attr_f(b, ob_node(b, "InstanceNormalization", "c,in_s,in_b", "n"), "epsilon", 1e-3f);
    ob_node(b, "Relu", "n", "y");
    ob_output(b, "y", 1);
}

/* MODNet's IBNorm: half the channels batch-normalised, half
 * instance-normalised, joined again. */
static void ibnorm(onnx_builder *b)
{
    winit(b, "w", 6, 3, 3, 3, 27);
    INTS(ob_node(b, "Conv", "x,w", "c"), "pads", 1, 1, 1, 1);
    ob_init_i64(b, "parts", 1, D(2), D(3, 3));
    ob_attr_i(b, ob_node(b, "Split", "c,parts", "h0,h1"), "axis", 1);
    bn_params(b, 3, 28);
    ob_node(b, "BatchNormalization", "h0,bn_s,bn_b,bn_m,bn_v", "bn");
    vinit(b, "in_s", 3, 29);
    vinit(b, "in_b", 3, 30);
    ob_node(b, "InstanceNormalization", "h1,in_s,in_b", "in");
    ob_attr_i(b, ob_node(b, "Concat", "bn,in", "y"), "axis", 1);
    ob_output(b, "y", 1);
}

static void reducemax_channels(onnx_builder *b)
{
    INTS(ob_node(b, "ReduceMax", "x", "y"), "axes", 1);
    ob_output(b, "y", 1);
}

static void reducesum_spatial(onnx_builder *b) /* opset 13: axes as an input */
{
    ob_init_i64(b, "axes", 1, D(2), D(2, 3));
    ob_node(b, "ReduceSum", "x,axes", "y");
    ob_output(b, "y", 1);
}

static void reducemin_channels_dropped(onnx_builder *b)
{
    Onnx__NodeProto *n = ob_node(b, "ReduceMin", "x", "y");
    INTS(n, "axes", 1);
    ob_attr_i(b, n, "keepdims", 0);
    ob_output(b, "y", 1);
}

/* CBAM's spatial attention: the channels' max and mean, a 7x7 conv to one
 * map, a sigmoid, the input scaled by it. */
static void cbam_spatial(onnx_builder *b)
{
    winit(b, "w", 4, 3, 3, 3, 31);
    INTS(ob_node(b, "Conv", "x,w", "c"), "pads", 1, 1, 1, 1);
    INTS(ob_node(b, "ReduceMax", "c", "mx"), "axes", 1);
    INTS(ob_node(b, "ReduceMean", "c", "mn"), "axes", 1);
    ob_attr_i(b, ob_node(b, "Concat", "mx,mn", "cat"), "axis", 1);
    winit(b, "w7", 1, 2, 7, 7, 32);
    INTS(ob_node(b, "Conv", "cat,w7", "att"), "pads", 3, 3, 3, 3);
    ob_node(b, "Sigmoid", "att", "sg");
    ob_node(b, "Mul", "c,sg", "y");
    ob_output(b, "y", 1);
}

/* Gather of an activation by constant indices (after a conv, so that it
 * is one). */
static void gather_case(onnx_builder *b, int axis, int rank, int n, const int64_t *idx)
{
    winit(b, "w", 4, 3, 1, 1, 33);
    ob_node(b, "Conv", "x,w", "c");
    ob_init_i64(b, "idx", rank, rank ? D(n) : NULL, idx);
    ob_attr_i(b, ob_node(b, "Gather", "c,idx", "y"), "axis", axis);
    ob_output(b, "y", 1);
}

static void gather_channel_scalar(onnx_builder *b) { gather_case(b, 1, 0, 1, D(2)); }
static void gather_rows_run(onnx_builder *b) { gather_case(b, 2, 1, 3, D(1, 3, 5)); }
static void gather_last_column(onnx_builder *b) { gather_case(b, 3, 0, 1, D(-1)); }

static void softmax_channels(onnx_builder *b)
{
    ob_attr_i(b, ob_node(b, "Softmax", "x", "y"), "axis", 1);
    ob_output(b, "y", 1);
}

static void softmax_flat(onnx_builder *b)
{
    ob_node(b, "Flatten", "x", "f");
    ob_node(b, "Softmax", "f", "y");
    ob_output(b, "y", 1);
}

static void argmax_channels(onnx_builder *b)
{
    ob_attr_i(b, ob_node(b, "ArgMax", "x", "y"), "axis", 1);
    ob_output(b, "y", 7);
}

static void constant_of_shape_range(onnx_builder *b)
{
    /* x + ConstantOfShape([1,3,1,1], 0.25) * Range(0, 9, 1) */
    ob_init_i64(b, "shape", 1, D(4), D(1, 3, 1, 1));
    ob_attr_tensor(b, ob_node(b, "ConstantOfShape", "shape", "c"), "value", 1, D(1),
                   (const float[]){0.25f}, NULL);
    ob_init(b, "r0", 0, NULL, (const float[]){0.0f});
    ob_init(b, "r1", 0, NULL, (const float[]){9.0f});
    ob_init(b, "r2", 0, NULL, (const float[]){1.0f});
    ob_node(b, "Range", "r0,r1,r2", "r");
    ob_node(b, "Mul", "c,r", "cr");
    ob_node(b, "Add", "x,cr", "y");
    ob_output(b, "y", 1);
}

static void identity_dropout(onnx_builder *b)
{
    ob_node(b, "Identity", "x", "i");
    ob_node(b, "Dropout", "i", "d");
    ob_node(b, "Relu", "d", "y");
    ob_output(b, "y", 1);
}

const onnx_case ONNX_CASES[] = {
    {"conv_pads", 13, {1, 3, 7, 9}, conv_pads},
    {"conv_stride_asym", 13, {1, 3, 8, 9}, conv_stride_asym},
    {"conv_dilated", 13, {1, 3, 9, 9}, conv_dilated},
    {"conv_same_upper", 13, {1, 3, 7, 9}, conv_same_upper},
    {"conv_same_lower", 13, {1, 3, 7, 9}, conv_same_lower},
    {"conv_valid_5x3", 13, {1, 3, 9, 8}, conv_valid_5x3},
    {"conv_grouped", 13, {1, 4, 6, 7}, conv_grouped},
    {"conv_depthwise", 13, {1, 4, 7, 9}, conv_depthwise},
    {"conv_depthwise_mult2", 13, {1, 4, 6, 5}, conv_depthwise_mult2},
    {"conv_1x1", 13, {1, 3, 5, 6}, conv_1x1},
    {"conv_bn_relu", 13, {1, 3, 7, 9}, conv_bn_relu},
    {"batchnorm_alone", 13, {1, 3, 5, 4}, batchnorm_alone},
    {"convtranspose_s2_opad", 13, {1, 3, 5, 6}, convtranspose_s2_opad},
    {"convtranspose_k2s2", 13, {1, 3, 4, 5}, convtranspose_k2s2},
    {"convtranspose_output_shape", 13, {1, 3, 6, 8}, convtranspose_output_shape},
    {"relu", 13, {1, 3, 7, 9}, relu},
    {"leaky_relu", 13, {1, 3, 7, 9}, leaky_relu},
    {"prelu", 13, {1, 3, 7, 9}, prelu},
    {"clip_inputs_relu6", 13, {1, 3, 7, 9}, clip_inputs_relu6},
    {"clip_inputs_any", 13, {1, 3, 7, 9}, clip_inputs_any},
    {"clip_min_only", 13, {1, 3, 7, 9}, clip_min_only},
    {"clip_attr", 9, {1, 3, 7, 9}, clip_attr},
    {"sigmoid", 13, {1, 3, 7, 9}, sigmoid},
    {"hard_sigmoid", 13, {1, 3, 7, 9}, hard_sigmoid},
    {"hard_swish", 14, {1, 3, 7, 9}, hard_swish},
    {"tanh", 13, {1, 3, 7, 9}, tanh_},
    {"add_two_acts", 13, {1, 3, 7, 9}, add_two_acts},
    {"sub_channel_const", 13, {1, 3, 7, 9}, sub_channel_const},
    {"div_const_by_act", 13, {1, 3, 7, 9}, div_const_by_act},
    {"mul_broadcast_row", 13, {1, 3, 7, 9}, mul_broadcast_row},
    {"mul_squeeze_excite", 13, {1, 3, 7, 9}, mul_squeeze_excite},
    {"max_min_const", 13, {1, 3, 7, 9}, max_min_const},
    {"flatten_matmul", 13, {1, 3, 7, 9}, flatten_matmul},
    {"gemm_transb", 13, {1, 3, 7, 9}, gemm_transb},
    {"matmul_nchw_last_axis", 13, {1, 3, 7, 9}, matmul_nchw_last_axis},
    {"maxpool_pads", 13, {1, 3, 7, 9}, maxpool_pads},
    {"maxpool_ceil", 13, {1, 3, 7, 9}, maxpool_ceil},
    {"maxpool_ceil_k3s2", 13, {1, 3, 8, 10}, maxpool_ceil_k3s2},
    {"avgpool_exclude_pad", 13, {1, 3, 7, 9}, avgpool_exclude_pad},
    {"avgpool_include_pad", 13, {1, 3, 7, 9}, avgpool_include_pad},
    {"avgpool_ceil", 13, {1, 3, 7, 9}, avgpool_ceil},
    {"global_avg", 13, {1, 3, 7, 9}, global_avg},
    {"global_max", 13, {1, 3, 7, 9}, global_max},
    {"reduce_mean_keep", 13, {1, 3, 7, 9}, reduce_mean_keep},
    {"reduce_mean_flat", 13, {1, 3, 7, 9}, reduce_mean_flat},
    {"reduce_mean_channels", 13, {1, 3, 7, 9}, reduce_mean_channels},
    {"resize_linear_half_pixel", 13, {1, 3, 5, 6}, resize_linear_half_pixel},
    {"resize_linear_align", 13, {1, 3, 5, 6}, resize_linear_align},
    {"resize_linear_asym", 13, {1, 3, 5, 6}, resize_linear_asym},
    {"resize_linear_pytorch", 13, {1, 3, 5, 6}, resize_linear_pytorch},
    {"resize_linear_down", 13, {1, 3, 9, 11}, resize_linear_down},
    {"resize_nearest_asym_floor", 13, {1, 3, 5, 6}, resize_nearest_asym_floor},
    {"resize_nearest_default", 13, {1, 3, 5, 6}, resize_nearest_default},
    {"resize_nearest_half_ceil", 13, {1, 3, 5, 6}, resize_nearest_half_ceil},
    {"resize_nearest_align", 13, {1, 3, 5, 6}, resize_nearest_align},
    {"upsample9_nearest", 9, {1, 3, 5, 6}, upsample9_nearest},
    {"upsample9_linear", 9, {1, 3, 5, 6}, upsample9_linear},
    {"resize_shape_arith", 11, {1, 3, 10, 12}, resize_shape_arith},
    {"concat_channels", 13, {1, 3, 7, 9}, concat_channels},
    {"concat_height_const", 13, {1, 3, 7, 9}, concat_height_const},
    {"reshape_flat", 13, {1, 3, 7, 9}, reshape_flat},
    {"reshape_4d", 13, {1, 3, 7, 9}, reshape_4d},
    {"reshape_shape_arith", 13, {1, 3, 7, 9}, reshape_shape_arith},
    {"transpose_to_nhwc", 13, {1, 3, 7, 9}, transpose_to_nhwc},
    {"transpose_hw", 13, {1, 3, 7, 9}, transpose_hw},
    {"nhwc_input_conv", 13, {1, 6, 7, 9}, nhwc_input_conv},
    {"squeeze_unsqueeze", 13, {1, 3, 7, 9}, squeeze_unsqueeze},
    {"expand_channels", 13, {1, 3, 7, 9}, expand_channels},
    {"pad_constant", 13, {1, 3, 7, 9}, pad_constant},
    {"pad_channels", 13, {1, 3, 7, 9}, pad_channels},
    {"pad_reflect", 13, {1, 3, 7, 9}, pad_reflect},
    {"pad_edge", 13, {1, 3, 7, 9}, pad_edge},
    {"slice_channels", 13, {1, 3, 7, 9}, slice_channels},
    {"slice_spatial_steps", 13, {1, 3, 7, 9}, slice_spatial_steps},
    {"slice_negative_ends", 13, {1, 3, 7, 9}, slice_negative_ends},
    {"split_channels_uneven", 13, {1, 3, 7, 9}, split_channels_uneven},
    {"split_rows_equal", 11, {1, 3, 9, 8}, split_rows_equal},
    {"instance_norm", 13, {1, 3, 7, 9}, instance_norm},
    {"ibnorm", 13, {1, 3, 7, 9}, ibnorm},
    {"reducemax_channels", 13, {1, 3, 7, 9}, reducemax_channels},
    {"reducesum_spatial", 13, {1, 3, 7, 9}, reducesum_spatial},
    {"reducemin_channels_dropped", 13, {1, 3, 7, 9}, reducemin_channels_dropped},
    {"cbam_spatial", 13, {1, 3, 9, 11}, cbam_spatial},
    {"gather_channel_scalar", 13, {1, 3, 7, 9}, gather_channel_scalar},
    {"gather_rows_run", 13, {1, 3, 7, 9}, gather_rows_run},
    {"gather_last_column", 13, {1, 3, 7, 9}, gather_last_column},
    {"softmax_channels", 13, {1, 3, 7, 9}, softmax_channels},
    {"softmax_flat", 13, {1, 3, 7, 9}, softmax_flat},
    {"argmax_channels", 13, {1, 3, 7, 9}, argmax_channels},
    {"constant_of_shape_range", 13, {1, 3, 7, 9}, constant_of_shape_range},
    {"identity_dropout", 13, {1, 3, 7, 9}, identity_dropout},
};
const int N_ONNX_CASES = (int)(sizeof ONNX_CASES / sizeof ONNX_CASES[0]);

uint8_t *onnx_case_build(const onnx_case *c, size_t *len)
{
    onnx_builder *b = ob_new(c->opset);
    ob_input(b, "x", 4, c->in);
    c->build(b);
    uint8_t *buf = ob_pack(b, len);
    ob_free(&b);
    return buf;
}

void onnx_case_input(const onnx_case *c, float *x, size_t n)
{
    uint32_t s = 0x9e3779b9u;
    for (const char *p = c->name; *p; p++)
        s = (s ^ (uint8_t)*p) * 16777619u;
    for (size_t k = 0; k < n; k++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[k] = ((float)(s >> 8) / 8388608.0f - 1.0f) * 2.0f;
    }
}
