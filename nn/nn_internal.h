/* nn_internal.h - the engine's graph, shared by the loader, the planner and
 * the executor. Not part of the public API. */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "nn.h"
#include "nn_kernels.h"

/** The ops the graph executes (after DEQUANTIZE folding and fusion). */
typedef enum nn_op {
    NN_OP_CONV_2D = 0,
    NN_OP_DEPTHWISE_CONV_2D,
    NN_OP_TRANSPOSE_CONV,   /* builtin TRANSPOSE_CONV and MediaPipe's custom op */
    NN_OP_AVERAGE_POOL_2D,
    NN_OP_MAX_POOL_2D,
    NN_OP_MEAN,
    NN_OP_RESIZE_BILINEAR,
    NN_OP_BINARY,           /* ADD, MUL, SUB, DIV, MAXIMUM, MINIMUM */
    NN_OP_ACTIVATION,       /* RELU, RELU6, RELU_N1_TO_1, TANH, HARD_SWISH, LOGISTIC */
    NN_OP_CONCATENATION,
    NN_OP_COPY,             /* RESHAPE / SQUEEZE: a copy into its own slot */
    NN_OP_MULADD,           /* fused MUL (per-channel scale) + ADD */
    NN_OP_FULLY_CONNECTED,
    NN_OP_SOFTMAX,          /* over the last axis */
    NN_OP_ARG_MAX,          /* over the last axis; indices stored as floats */
    NN_OP_PAD,              /* PAD and PADV2 */
    NN_OP_RESIZE_NEAREST,
    NN_OP_DEPTH_TO_SPACE,
    NN_OP_TRANSPOSE,        /* ONNX layout changes: a 4-D permutation */
    NN_OP_SLICE,            /* ONNX Slice of an activation: begin + i * step */
    NN_OP_INSTANCE_NORM,    /* ONNX InstanceNormalization: per image and channel */
    NN_OP_COUNT
} nn_op;

const char *nn_op_name(nn_op op);

/** A tensor of the graph. Float32 only at run time. */
typedef struct nn_tensor {
    int shape[4];        /**< NHWC, rank < 4 padded with leading 1s */
    int rank;            /**< as declared in the file */
    size_t elems;        /**< product of the shape */
    float *data;         /**< constant data, or the arena slot (set at plan) */
    int is_const;        /**< has data from the file (weights, folded) */
    int is_output;       /**< one of the graph's outputs: kept whole to the end */
    int nchw;            /**< ONNX rank-4 tensor: the file's [N,C,H,W] held as NHWC */
    int first_def;       /**< node that writes it; -1 = graph input/const */
    int last_use;        /**< last node reading it; INT_MAX for graph outputs */
    size_t arena_offset; /**< byte offset in the activation arena */
    char name[64];
} nn_tensor;

#define NN_MAX_NODE_INPUTS 8

typedef struct nn_node {
    nn_op op;
    const char *tfl_name;        /**< op name as in the file ("CONV_2D", custom code) */
    int n_in;
    int in[NN_MAX_NODE_INPUTS];  /**< tensor indices; -1 = absent */
    int out;                     /**< output tensor index */
    nn_window win;
    nn_act act;                  /**< fused activation */
    nn_binop binop;
    int mult;                    /**< depthwise multiplier */
    int block;                   /**< DEPTH_TO_SPACE block size */
    int align_corners, half_pixel;
    int axis;                    /**< concatenation axis (0..3 in padded NHWC) */
    int reduce[4];               /**< MEAN: which padded axes are reduced */
    int reduce_op;               /**< MEAN: NN_REDUCE_MEAN, _SUM, _MAX or _MIN */
    float beta;                  /**< SOFTMAX */
    int pads[4][2];              /**< PAD: before/after per padded axis */
    float pad_value;             /**< PADV2's constant (0 for PAD) */
    int pad_mode;                /**< PAD: NN_PAD_CONSTANT, _REFLECT or _EDGE */
    int begin[4], step[4];       /**< SLICE: per engine axis (step >= 1) */
    float eps;                   /**< INSTANCE_NORM: added to the variance */
    int perm[4];                 /**< TRANSPOSE: out dim d is in dim perm[d] ... */
    int vshape[4];               /**< ... of the input seen as this shape */
    int res;                     /**< residual tensor added after act (fused ADD), or -1 */
    nn_act act2;                 /**< activation after the residual add */
    float *packed;               /**< kernel-specific packed weights (shared by
                                      clones, see nn_model.shared_refs) */
    int wino;                    /**< CONV_2D: packed for nn_conv_wino */
    uint64_t macs;               /**< multiply-adds per run */
    uint64_t time_ns;            /**< profiling accumulator */
} nn_node;

struct nn_model {
    nn_tensor *tensors;
    int n_tensors;
    nn_node *nodes;
    int n_nodes;
    int input, output;           /**< tensor indices */
    int outputs[NN_MAX_OUTPUTS]; /**< every graph output, in file order (outputs[0] == output) */
    int n_outputs;
    int output_is_index;         /**< output holds class indices (ARG_MAX) */
    int has_norm;                /**< NormalizationOptions found in the metadata */
    float norm_mean[3], norm_std[3];
    float *weights;              /**< one allocation for all constant data; with
                                      the nodes' packed weights, shared by every
                                      clone (nn_model_clone) and never written
                                      after load */
    atomic_int *shared_refs;     /**< models using weights and packed; the last
                                      one to be freed frees them */
    uint8_t *arena;              /**< activations, planned once */
    size_t arena_bytes;
    int threads;                 /**< OpenMP team size for a run */
    float *scratch;              /**< per-thread im2col tiles */
    size_t scratch_per_thread;   /**< floats, rounded to 16 */
    int scratch_threads;         /**< threads the scratch is sized for */
    int profiling;
    const atomic_int *cancel;    /**< non-zero: stop between nodes */
    char description[128];
    int onnx_opset;              /**< ONNX models: the default domain's opset; 0 = TFLite */
    int n_state;                 /**< state pairs (recurrent models) */
    int state_in[NN_MAX_STATE];  /**< tensor fed from ... */
    int state_out[NN_MAX_STATE]; /**< ... this output of the run before */
    float *state;                /**< this instance's saved outputs, one block per
                                      pair (state_in's elems each); zeros at first */
};

/** Parse the flatbuffer into m's tensors and nodes (nn_tflite.c). */
int nn_tflite_parse(nn_model *m, const uint8_t *buf, size_t len, char *err, size_t errlen);

/** Parse an ONNX ModelProto into m's tensors and nodes (nn_onnx.c). */
int nn_onnx_parse(nn_model *m, const uint8_t *buf, size_t len, const nn_load_opts *opts,
                  char *err, size_t errlen);
int nn_onnx_inspect(const void *buf, size_t len, nn_model_info *info, char *err, size_t errlen);
/** Whether buf looks like an ONNX model (a protobuf starting with ir_version). */
int nn_onnx_probe(const uint8_t *buf, size_t len);

/** Fuse, plan the arena and pack weights (nn_graph.c). */
int nn_graph_prepare(nn_model *m, char *err, size_t errlen);

/** An IEEE 754 half (binary16) as a float, exactly: subnormals, infinities
 *  and NaNs included (TFLite and ONNX float16 constants). */
float nn_half_to_float(uint16_t h);

#endif
