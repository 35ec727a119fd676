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
                        NN_BIN_MAX, NN_BIN_MIN,
                        NN_BIN_PRELU, /**< a >= 0 ? a : a * b (b = alpha) */
                        NN_BIN_COUNT } nn_binop;
void nn_ref_binary(nn_binop op, const float *a, const int ashape[4],
                   const float *b, const int bshape[4],
                   float *out, const int oshape[4], nn_act act);
/** Softmax over each row of cols values: exp(beta*(x - max)) / sum. */
void nn_ref_softmax(const float *in, long rows, int cols, float beta, float *out);
/** Index of the largest value of each row (first on ties), as a float. */
void nn_ref_argmax(const float *in, long rows, int cols, float *out);
/** Constant padding of a 4-D tensor: pads[d][0] before, pads[d][1] after. */
/** Pad modes (ONNX Pad): a constant, the input mirrored without its edge
 *  (pads below the dimension), or its edge repeated. */
enum { NN_PAD_CONSTANT = 0, NN_PAD_REFLECT = 1, NN_PAD_EDGE = 2 };
void nn_ref_pad(const float *in, const int shape[4], const int pads[4][2], float value, int mode,
                float *out);
/** TFLite's RESIZE_NEAREST_NEIGHBOR. */
void nn_ref_resize_nearest(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                           int align_corners, int half_pixel);
/** Mean over the axes whose flag is set (4-D); out has those dims = 1. */
void nn_ref_mean(const float *in, const int shape[4], const int reduce[4], float *out);
/** Reductions over the axes flagged in reduce (ONNX ReduceMean, ReduceSum,
 *  ReduceMax, ReduceMin). */
enum { NN_REDUCE_MEAN = 0, NN_REDUCE_SUM, NN_REDUCE_MAX, NN_REDUCE_MIN };
void nn_ref_reduce(const float *in, const int shape[4], const int reduce[4], int op, float *out);
/** The same; over the channels alone (attention maps' per-pixel max or
 *  mean), rows split across threads; other axes on thread 0. */
void nn_reduce(const float *in, const int shape[4], const int reduce[4], int op, float *out,
               int ith, int nth);
/** TFLite's DEPTH_TO_SPACE (DCR order): in [ih][iw][ic] -> out [ih*b][iw*b][ic/(b*b)],
 *  out[y][x][c] = in[y/b][x/b][((y%b)*b + x%b) * ic/(b*b) + c].
 *  Example (pose detector): 28x28x64, b 2 -> 56x56x16. */
void nn_ref_depth_to_space(const float *in, int ih, int iw, int ic, int block, float *out);

/* ---- sparse constants (DENSIFY, folded at load) ------------------------ */

/** TFLite's SparsityParameters for one tensor: a dense shape traversed in
 *  n_levels levels (the rank's dims in traversal order, then the block dims),
 *  each level dense (dense_size entries) or CSR (segments/indices arrays as
 *  stored in the file, 1, 2 or 4 bytes per entry, little-endian). All of it
 *  comes from the file: nn_sparse_positions() checks every value.
 *  Example (pose detector, a 1x1 conv's weights [16,1,1,24], 75% zeros):
 *  traversal 0,1,2,3, no blocks, levels dense 16, dense 1, dense 1, CSR with
 *  17 segments over the 96 stored values' channel indices. */
#define NN_SPARSE_MAX_LEVELS 8
typedef struct nn_sparse_dim {
    int sparse;                   /**< 0 DENSE, 1 SPARSE_CSR */
    int dense_size;               /**< DENSE: the level's extent */
    const void *segments, *indices; /**< CSR arrays (borrowed) */
    int seg_bytes, idx_bytes;     /**< 1 (uint8), 2 (uint16) or 4 (int32) */
    size_t n_segments, n_indices;
} nn_sparse_dim;

typedef struct nn_sparsity {
    int rank;                     /**< dense rank, 1..4 */
    int shape[4];                 /**< dense shape, first rank entries */
    int n_levels;                 /**< rank + n_blocks */
    int traversal[NN_SPARSE_MAX_LEVELS];
    int n_blocks;
    int block_map[4];             /**< block b splits dense dim block_map[b] */
    nn_sparse_dim dim[NN_SPARSE_MAX_LEVELS]; /**< per traversal level */
} nn_sparsity;

/** The dense flat index (row-major over shape) of each of the n_values
 *  stored values, in storage order, written to pos[]. Returns 0, or -1 with
 *  a reason in *why when any order, block, segment or index is out of range
 *  or the entries do not number exactly n_values. Work is bounded by the
 *  arrays' lengths and n_values (a hostile file cannot make it loop long). */
int nn_sparse_positions(const nn_sparsity *sp, size_t n_values, size_t *pos, const char **why);

/* ---- runtime kernels ---------------------------------------------------
 *
 * Every runtime kernel computes a share of its output: the executor runs the
 * graph inside one parallel region and calls each kernel from every thread
 * with (ith, nth), then a barrier. nth = 1 is the single-threaded case. */

/** [lo, hi) of n items for thread ith of nth, in blocks of @p align items. */
static inline void nn_split(long n, int ith, int nth, long align, long *lo, long *hi)
{
    long blocks = (n + align - 1) / align;
    long per = (blocks + nth - 1) / nth;
    long a = (long)ith * per * align, b = a + per * align;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}

/** Packed weights: panels of NN_PW output channels, [panel][k][NN_PW], the
 *  last panel zero-padded. One layout for every instruction set. */
#define NN_PW 16

/** Floats needed to pack n output channels of depth k (plus the bias). */
size_t nn_pack_size(int n, int k);
/** Pack a conv's OHWI weights (k = kh*kw*ic, in patch order) and its bias
 *  (NULL = zeros) into dst: panels first, then the bias padded to panels. */
void nn_pack_conv(const float *w, const float *bias, int oc, int k, float *dst);

/** A GEMM with a fused epilogue:
 *    C[r][j] = act2(act(sum_k A[r][k] * B[k][j] + bias[j]) + R[r][j])
 *  (the residual term only when res != NULL). */
typedef struct nn_gemm_args {
    int n, k;                /**< columns (output channels), total depth */
    const float *a;          /**< rows of A, lda apart */
    size_t lda;
    /** A's depth may come in nseg segments of k/nseg values, segment s of
     *  row r at a + r*lda + s*seg_stride: a direct conv reads the kh input
     *  rows of a window this way, without im2col. nseg = 0 means 1. */
    int nseg;
    size_t seg_stride;
    const float *b;          /**< packed panels (nn_pack_conv) */
    const float *bias;       /**< padded to whole panels */
    float *c;                /**< rows of C, ldc apart */
    size_t ldc;
    nn_act act;
    const float *res;        /**< residual rows, ldr apart, or NULL */
    size_t ldr;
    nn_act act2;
} nn_gemm_args;

typedef struct nn_dw_args {
    const float *in;
    int ih, iw, c, mult;
    const float *w;          /**< [kh][kw][c*mult] as in the file */
    const float *bias;       /**< c*mult values, or NULL */
    float *out;
    int oh, ow;
    nn_window g;
    nn_act act;
    const float *res;        /**< residual added after act (same shape as out), or NULL */
    nn_act act2;             /**< activation after the residual add */
} nn_dw_args;

/* ---- Winograd F(4x4, 3x3) ------------------------------------------------
 * A 3x3 stride-1 convolution (dense or dilated) as 36 GEMMs of transformed
 * tiles: 4x fewer multiply-adds than the direct convolution, for the cost of
 * the tile transforms; nn_conv_wino is used where nn_wino_worth says so. */

/** Tiles per block: the rows of each of the 36 GEMMs (a multiple of the
 *  AVX2 and AVX-512 microkernels' 6 and 8 rows). */
#define NN_WINO_TILES 24

typedef struct nn_wino_args {
    const float *in;
    int ih, iw, ic;
    const float *packed;     /**< nn_wino_pack */
    int oc;
    float *out;
    int oh, ow;
    int pad_top, pad_left, dil;
    nn_act act;
    const float *res;        /**< residual added after act, or NULL */
    nn_act act2;
    float *scratch;          /**< nn_wino_scratch_size floats, this thread's */
} nn_wino_args;

/** Whether a conv of this shape goes through Winograd: 3x3, stride 1, equal
 *  dilations, and big enough for the transforms to pay. */
int nn_wino_worth(const nn_window *g, int ic, int oc, int oh, int ow);
/** The tile grid: each of the dil*dil phases has a gh x gw grid of outputs in
 *  ty x tx tiles of 4x4; tiles are numbered phase, tile row, tile column. */
static inline void nn_wino_grid(int oh, int ow, int dil, int *gh, int *gw, int *ty, int *tx)
{
    *gh = (oh + dil - 1) / dil;
    *gw = (ow + dil - 1) / dil;
    *ty = (*gh + 3) / 4;
    *tx = (*gw + 3) / 4;
}
static inline long nn_wino_tiles(int oh, int ow, int dil)
{
    int gh, gw, ty, tx;
    nn_wino_grid(oh, ow, dil, &gh, &gw, &ty, &tx);
    return (long)dil * dil * ty * tx;
}
size_t nn_wino_pack_size(int oc, int ic);
/** Transform OHWI 3x3 weights (and the bias, NULL = zeros) for nn_conv_wino. */
void nn_wino_pack(const float *w, const float *bias, int oc, int ic, float *dst);
size_t nn_wino_scratch_size(int ic, int oc);
/** This thread's share (ith of nth) of the convolution. */
void nn_conv_wino(const nn_wino_args *a, int ith, int nth);

/* ---- narrow convolution ----------------------------------------------------
 * A conv with at most NN_DOT_MAX_OC output channels (a side output, a mask
 * head) wastes most of a GEMM panel; as dot products along each kernel row's
 * contiguous kw*ic inputs it does not. Dense rows (dil_w 1), any stride. */
#define NN_DOT_MAX_OC 4

typedef struct nn_dot_args {
    const float *in;
    int ih, iw, ic;
    const float *w;          /**< OHWI, as in the model */
    const float *bias;       /**< oc values, or NULL */
    int oc;
    float *out;
    int oh, ow;
    nn_window g;
    nn_act act;
    const float *res;        /**< residual added after act, or NULL */
    nn_act act2;
} nn_dot_args;

/** Whether nn_conv_dot takes this conv with the current ISA (kernel rows of
 *  16 values or more: shorter ones are better as a GEMM). */
int nn_conv_dot_takes(const nn_window *g, int ic, int oc);
/** This thread's share (ith of nth) of the output rows. */
void nn_conv_dot(const nn_dot_args *a, int ith, int nth);

/** One instruction set's kernels. */
typedef struct nn_isa {
    const char *name;
    /** rows [r0, r1) of a GEMM */
    void (*gemm)(const nn_gemm_args *g, long r0, long r1);
    /** output rows [y0, y1) of a depthwise conv (mult 1) */
    void (*depthwise)(const nn_dw_args *a, int y0, int y1);
    /** in-place activation of n values */
    void (*act)(nn_act act, float *x, size_t n);
    /** output rows [y0, y1) of a bilinear resize, then + res and act2 when
     *  res is not NULL */
    void (*resize)(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                   int align_corners, int half_pixel, const float *res, nn_act act2,
                   int y0, int y1);
    /** optional (NULL): input rows [y0, y1) of a transposed conv with kernel
     *  == stride, no padding and a narrow output; w is OHWI. Returns -1 when
     *  it does not handle the shape. */
    int (*tconv_small)(const float *in, int ih, int iw, int ic, const float *w,
                       const float *bias, int oc, int kh, int kw, float *out, nn_act act,
                       int y0, int y1);
    /** iters x 12 independent vector FMAs; returns the multiply-adds done */
    double (*fma_loop)(long iters);
    /** tiles [t0, t1) of a Winograd convolution */
    void (*wino)(const nn_wino_args *a, long t0, long t1);
    /** optional (NULL): output rows [y0, y1) of a narrow convolution */
    void (*conv_dot)(const nn_dot_args *a, int y0, int y1);
} nn_isa;

/** Measured multiply-adds per second of the current ISA on @p threads
 *  threads at once (about 50 ms of work): the peak a benchmark compares with. */
double nn_measure_peak_macs(int threads);

/** The kernels in use: the best this CPU supports unless nn_isa_select()
 *  or the SEG_ISA environment variable (portable, avx2, avx512) chose. */
const nn_isa *nn_isa_current(void);
/** Use the named instruction set; SEG_ERR_UNSUPPORTED if the CPU or the
 *  build lacks it. Process-wide; call before running models. */
int nn_isa_select(const char *name);
/** Whether the named instruction set can run here. */
int nn_isa_supported(const char *name);

/* Portable (plain C) versions, always available. */
void nn_gemm_portable(const nn_gemm_args *g, long r0, long r1);
void nn_depthwise_portable(const nn_dw_args *a, int y0, int y1);
void nn_act_portable(nn_act act, float *x, size_t n);
void nn_resize_portable(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                        int align_corners, int half_pixel, const float *res, nn_act act2,
                        int y0, int y1);

/** Convolution through the current ISA's GEMM: 1x1 stride-1 convs read the
 *  input directly, others go through an im2col tile of NN_IM2COL_ROWS rows
 *  in @p scratch (nn_conv_scratch_size() floats, per thread). */
#define NN_IM2COL_ROWS 16
size_t nn_conv_scratch_size(int kh, int kw, int ic);
void nn_conv(const float *in, int ih, int iw, int ic, const float *packed, int oc,
             float *out, int oh, int ow, const nn_window *g, nn_act act,
             const float *res, nn_act act2, float *scratch, int ith, int nth);
void nn_depthwise(const nn_dw_args *a, int ith, int nth);

/** Transposed conv. When the kernel equals the stride and there is no
 *  padding, output blocks do not overlap and it runs as kh GEMMs over the
 *  packed weights from nn_pack_tconv(); otherwise a gather loop over w. */
size_t nn_pack_tconv_size(int oc, int kh, int kw, int ic);
void nn_pack_tconv(const float *w, const float *bias, int oc, int kh, int kw, int ic, float *dst);
void nn_transpose_conv(const float *in, int ih, int iw, int ic,
                       const float *w, const float *packed, const float *bias, int oc,
                       float *out, int oh, int ow, const nn_window *g, nn_act act,
                       int ith, int nth);
void nn_avgpool(const float *in, int ih, int iw, int c,
                float *out, int oh, int ow, const nn_window *g, nn_act act, int ith, int nth);
/** Bilinear resize; with res != NULL, out = act2(resize(in) + res). */
void nn_resize_bilinear(const float *in, int ih, int iw, int c,
                        float *out, int oh, int ow, int align_corners, int half_pixel,
                        const float *res, nn_act act2, int ith, int nth);
void nn_binary(nn_binop op, const float *a, const int ashape[4],
               const float *b, const int bshape[4],
               float *out, const int oshape[4], nn_act act, int ith, int nth);
/** out = act(a * s + c): a and c are [rows][cols], s a per-column vector
 *  (a squeeze-excite scale followed by a residual add, in one pass). */
void nn_muladd(const float *a, const float *s, const float *c, float *out, long rows, int cols,
               nn_act act, int ith, int nth);
/** Runtime versions of the small ops above, split by rows. */
void nn_softmax(const float *in, long rows, int cols, float beta, float *out, int ith, int nth);
void nn_argmax(const float *in, long rows, int cols, float *out, int ith, int nth);
/** Per image (n of them, hw pixels of c channels, NHWC) and channel:
 *  (x - mean) / sqrt(var + eps) * scale + bias (population variance), then
 *  the activation. Threads take channel ranges. */
void nn_ref_instance_norm(const float *in, int n, long hw, int c, const float *scale,
                          const float *bias, float eps, float *out);
void nn_instance_norm(const float *in, int n, long hw, int c, const float *scale,
                      const float *bias, float eps, nn_act act, float *out, int ith, int nth);
/** out[i] = in[begin + i * step] per axis (step >= 1); out has shape os. */
void nn_ref_slice(const float *in, const int shape[4], const int begin[4], const int step[4],
                  float *out, const int os[4]);
void nn_slice(const float *in, const int shape[4], const int begin[4], const int step[4],
              float *out, const int os[4], int ith, int nth);
void nn_pad(const float *in, const int shape[4], const int pads[4][2], float value, int mode, float *out,
            int ith, int nth);
void nn_resize_nearest(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                       int align_corners, int half_pixel, int ith, int nth);
void nn_maxpool(const float *in, int ih, int iw, int c, float *out, int oh, int ow,
                const nn_window *g, nn_act act, int ith, int nth);
/** DEPTH_TO_SPACE, split by output rows. */
void nn_depth_to_space(const float *in, int ih, int iw, int ic, int block, float *out, int ith,
                       int nth);
/** 4-D permutation: in is [s0][s1][s2][s3] (dense), out[i0][i1][i2][i3] with
 *  out dim d of extent shape[perm[d]] = in at index i_d on dim perm[d].
 *  Example (NHWC -> NCHW): shape {1,H,W,C}, perm {0,3,1,2} -> out {1,C,H,W}.
 *  Split by the output's two outer dims. */
void nn_transpose4(const float *in, const int shape[4], const int perm[4], float *out, int ith,
                   int nth);
/** Activation of n values from src to dst (may be the same), this thread's share. */
void nn_activation(nn_act act, const float *src, float *dst, size_t n, int ith, int nth);

#endif
