/* nn_kernels.h - the engine's kernels, each in two versions:
 *   nn_ref_*   plain loops written to read like the TFLite semantics; the
 *              oracle that every faster kernel is tested against;
 *   nn_*       the kernels the graph runs (packed weights, fused epilogues,
 *              OpenMP); same results up to float summation order.
 *
 * All tensors are float32 NHWC with batch 1 and dense rows. Weights follow
 * TFLite: conv OHWI [O][KH][KW][I]; depthwise [1][KH][KW][I*M] with output
 * channel i*M+m; transposed conv OHWI.
 *
 * Worked example (selfie model, first layer): in 256x256x3, conv 3x3 stride 2
 * SAME -> out 128x128x16: out = ceil(256/2) = 128, pad total =
 * max(0, (128-1)*2 + 3 - 256) = 1, pad_top = 0 (the extra pixel goes to the
 * bottom/right, as in TFLite).
 */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#include <stddef.h>

/** Activation applied to each output value after bias (fused or standalone). */
typedef enum nn_act {
    NN_ACT_NONE = 0,
    NN_ACT_RELU,
    NN_ACT_RELU_N1_TO_1,
    NN_ACT_RELU6,
    NN_ACT_TANH,
    NN_ACT_HARD_SWISH,
    NN_ACT_LOGISTIC,
    NN_ACT_COUNT
} nn_act;

const char *nn_act_name(nn_act a);

/** One value through an activation (the reference definition). */
float nn_ref_act(nn_act a, float x);

/** Spatial geometry of a window op (conv, depthwise, pool). */
typedef struct nn_window {
    int kh, kw;           /**< kernel size */
    int stride_h, stride_w;
    int dil_h, dil_w;     /**< dilation (1 = dense) */
    int pad_top, pad_left;/**< padding before; after is implied by the sizes */
} nn_window;

/** TFLite SAME/VALID output size and padding-before for one dimension. */
int nn_conv_out_size(int in, int k, int stride, int dil, int same, int *pad_before);

/* ---- reference kernels ------------------------------------------------- */
void nn_ref_conv2d(const float *in, int ih, int iw, int ic,
                   const float *w, const float *bias, int oc,
                   float *out, int oh, int ow, const nn_window *g, nn_act act);
void nn_ref_depthwise(const float *in, int ih, int iw, int ic, int mult,
                      const float *w, const float *bias,
                      float *out, int oh, int ow, const nn_window *g, nn_act act);
/** out[y*s - pad + ky][x*s - pad + kx][o] += in[y][x][i] * w[o][ky][kx][i],
 *  then + bias and the activation. g gives kh, kw, strides and pads (dil 1). */
void nn_ref_transpose_conv(const float *in, int ih, int iw, int ic,
                           const float *w, const float *bias, int oc,
                           float *out, int oh, int ow, const nn_window *g, nn_act act);
/** Average over the non-padded taps of each window. */
void nn_ref_avgpool(const float *in, int ih, int iw, int c,
                    float *out, int oh, int ow, const nn_window *g, nn_act act);
void nn_ref_maxpool(const float *in, int ih, int iw, int c,
                    float *out, int oh, int ow, const nn_window *g, nn_act act);
/** TFLite's resize scale: in/out, or (in-1)/(out-1) with align_corners. */
float nn_resize_scale(int in, int out, int align_corners);
void nn_ref_resize_bilinear(const float *in, int ih, int iw, int c,
                            float *out, int oh, int ow, int align_corners, int half_pixel);

/** Binary elementwise ops with numpy broadcasting over 4-D shapes. */
typedef enum nn_binop { NN_BIN_ADD, NN_BIN_MUL, NN_BIN_SUB, NN_BIN_DIV,
                        NN_BIN_MAX, NN_BIN_MIN, NN_BIN_COUNT } nn_binop;
void nn_ref_binary(nn_binop op, const float *a, const int ashape[4],
                   const float *b, const int bshape[4],
                   float *out, const int oshape[4], nn_act act);
/** Mean over the axes whose flag is set (4-D); out has those dims = 1. */
void nn_ref_mean(const float *in, const int shape[4], const int reduce[4], float *out);

/* ---- runtime kernels ---------------------------------------------------- */

/** Pack OHWI conv weights for nn_conv2d: layout [KH][KW][I][O] so the inner
 *  loop runs over contiguous output channels. dst holds kh*kw*ic*oc floats. */
void nn_pack_conv_weights(const float *w, int oc, int kh, int kw, int ic, float *dst);
/** Direct conv with packed weights; @p threads is the OpenMP team size. */
void nn_conv2d(const float *in, int ih, int iw, int ic,
               const float *wpacked, const float *bias, int oc,
               float *out, int oh, int ow, const nn_window *g, nn_act act, int threads);
void nn_depthwise(const float *in, int ih, int iw, int ic, int mult,
                  const float *w, const float *bias,
                  float *out, int oh, int ow, const nn_window *g, nn_act act, int threads);
void nn_transpose_conv(const float *in, int ih, int iw, int ic,
                       const float *w, const float *bias, int oc,
                       float *out, int oh, int ow, const nn_window *g, nn_act act,
                       int threads);
void nn_avgpool(const float *in, int ih, int iw, int c,
                float *out, int oh, int ow, const nn_window *g, nn_act act, int threads);
void nn_resize_bilinear(const float *in, int ih, int iw, int c,
                        float *out, int oh, int ow, int align_corners, int half_pixel,
                        int threads);
void nn_binary(nn_binop op, const float *a, const int ashape[4],
               const float *b, const int bshape[4],
               float *out, const int oshape[4], nn_act act, int threads);
/** In-place activation over n values. */
void nn_activation(nn_act act, float *x, size_t n, int threads);

#endif
