/* nn.h - segstream's inference engine: load a float TFLite or ONNX model,
 * run it.
 *
 * The engine reads a .tflite flatbuffer from memory with every offset checked,
 * builds a graph once (constant fp16 weights folded to float32, activations
 * fused into their producers, one activation arena planned from tensor
 * lifetimes) and then runs it any number of times without allocating.
 *
 * Example (MediaPipe selfie segmentation):
 *     nn_model *m; char err[256];
 *     if (nn_model_load_file(&m, "selfie_segmentation.tflite", err, sizeof err)) fail(err);
 *     nn_shape in = nn_model_input_shape(m);      // {1, 256, 256, 3}
 *     float *x = nn_model_input(m);                // write 256*256*3 floats, NHWC
 *     nn_model_run(m);
 *     nn_shape out = nn_model_output_shape(m);    // {1, 256, 256, 1}
 *     const float *y = nn_model_output(m);        // person probability per pixel
 *     nn_model_free(&m);
 *
 * A model is used by one thread at a time; kernels inside use OpenMP with the
 * team size set by nn_model_set_threads(). Several threads run one model
 * through clones (nn_model_clone): each clone has its own activations and
 * shares the parsed graph's weights, read-only, with the others.
 */
#ifndef NN_NN_H
#define NN_NN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "seg_status.h"

typedef struct nn_model nn_model;

/** Tensor shape, NHWC; rank-r tensors use the last r dims (leading ones = 1). */
typedef struct nn_shape {
    int n, h, w, c;
} nn_shape;

/** Caps checked before any allocation, so a hostile file cannot make the
 *  loader allocate without bound. */
#define NN_MAX_MODEL_BYTES ((size_t)1 << 30)     /**< 1 GiB model file */
#define NN_MAX_TENSORS 100000                     /**< tensors in the subgraph */
#define NN_MAX_OPS 100000                         /**< operators in the subgraph */
#define NN_MAX_TENSOR_ELEMS ((size_t)1 << 28)     /**< 268 M floats (1 GiB) per tensor */
#define NN_MAX_DIM 65536                          /**< any spatial size an op may produce */
#define NN_MAX_ARENA_BYTES ((size_t)2 << 30)      /**< 2 GiB of activations in all */

/**
 * Load a model from a buffer. The buffer is only read during the call; the
 * model keeps its own copy of everything it needs.
 * @param out     receives the model (NULL on failure)
 * @param err     receives a message on failure ("unsupported op GATHER (op 12)")
 * @return SEG_OK; SEG_ERR_BAD_MODEL for a malformed file; SEG_ERR_UNSUPPORTED
 *         for an op, type or shape the engine does not run; SEG_ERR_LIMIT;
 *         SEG_ERR_NOMEM.
 */
int nn_model_load(nn_model **out, const void *buf, size_t len, char *err, size_t errlen);

/** Values for some of an ONNX model's inputs, fixed at load time (they become
 *  constants, so their arithmetic folds away): RobustVideoMatting's
 *  downsample_ratio, for one. Each takes n values in the input's order, or
 *  one value for every element. The one input left is the picture. */
#define NN_MAX_INPUT_VALUES 8
typedef struct nn_input_value {
    const char *name;
    const float *values;
    size_t n;
} nn_input_value;

/** State carried from one run to the next (recurrent models): output `out`
 *  of a run is input `in` of the next. Both must have the same shape. */
#define NN_MAX_STATE 8
typedef struct nn_state_pair {
    const char *out, *in;
} nn_state_pair;

typedef struct nn_load_opts {
    int n_inputs;
    nn_input_value inputs[NN_MAX_INPUT_VALUES];
    /** State pairs given by the caller (ONNX). With none given, an input
     *  rNi whose output rNo exists (N digits; RobustVideoMatting's r1i..r4i
     *  and r1o..r4o) is paired by itself, unless no_auto_state is set. */
    int n_state;
    nn_state_pair state[NN_MAX_STATE];
    int no_auto_state;
    /** ONNX: the picture input's height and width where the file leaves
     *  them free (symbolic: exported with dynamic axes); 0 = refused. */
    int input_w, input_h;
} nn_load_opts;

/** nn_model_load() with options (NULL = none). Input values are for ONNX
 *  models; naming an input the model lacks is SEG_ERR_INVALID, with the
 *  model's input names in the message. */
int nn_model_load_opts(nn_model **out, const void *buf, size_t len, const nn_load_opts *opts,
                       char *err, size_t errlen);

/** Read @p path and nn_model_load() it; SEG_ERR_IO when it cannot be read. */
int nn_model_load_file(nn_model **out, const char *path, char *err, size_t errlen);

/**
 * A second instance of @p src for another thread: its own activation arena,
 * im2col scratch, thread count (src's), profile counters and cancel flag
 * (none); the constant data and packed weights are shared with @p src, which
 * must not be running during the call. The instances may then be run, and
 * freed, independently and in any order: the shared weights go with the last.
 * @return SEG_OK, SEG_ERR_INVALID (NULL), SEG_ERR_NOMEM (message in err).
 */
int nn_model_clone(nn_model **out, const nn_model *src, char *err, size_t errlen);

/** Bytes one instance of @p m allocates for itself with @p threads threads:
 *  its activation arena and im2col scratch (what nn_model_clone() and
 *  nn_model_set_threads() allocate; the shared weights are not counted).
 *  For planning a job's memory before cloning. */
size_t nn_model_instance_bytes(const nn_model *m, int threads);

/** Free a model (or a clone); NULL-safe, sets *m = NULL. */
void nn_model_free(nn_model **m);

/** Shape of input 0 / output 0, NHWC. A lower rank is padded with leading
 *  1s, except an ARG_MAX label map over the channels, whose usual [1,H,W]
 *  is {1,H,W,1} (one label per pixel). */
nn_shape nn_model_input_shape(const nn_model *m);
nn_shape nn_model_output_shape(const nn_model *m);

/** Input 0 / output 0 as the file declares them, for messages: fills
 *  dims[0..rank-1] (a classifier's output: rank 2, {1,1000}) and returns
 *  the rank; 0 if it is none of 1 to 4. */
int nn_model_input_dims(const nn_model *m, int dims[4]);
int nn_model_output_dims(const nn_model *m, int dims[4]);

/** The graph's outputs, in the file's order; output 0 is the one above
 *  (MediaPipe's pose detector: 0 'Identity' {1,1,2254,12} box regressors,
 *  1 'Identity_1' {1,1,2254,1} score logits). Only the first NN_MAX_OUTPUTS
 *  are exposed. For k out of range: count-safe defaults (a zero shape, NULL
 *  data, ""). nn_model_output_k() is NULL for an output the graph never
 *  computes as float (an integer constant); otherwise it stays valid, like
 *  nn_model_output(), until the next run. Names are valid for the model's
 *  lifetime. */
#define NN_MAX_OUTPUTS 16
int nn_model_output_count(const nn_model *m);
/** Make output k the model's main output (the one nn_model_output(),
 *  nn_model_output_shape() and the squash and label-map queries describe);
 *  before cloning. SEG_ERR_INVALID for k out of range. */
int nn_model_select_output(nn_model *m, int k);
nn_shape nn_model_output_shape_k(const nn_model *m, int k);
const float *nn_model_output_k(const nn_model *m, int k);
const char *nn_model_output_name(const nn_model *m, int k);

/** Where to write the input (float32 NHWC, 64-byte aligned); valid for the
 *  model's lifetime. Its contents are undefined after nn_model_run(). */
float *nn_model_input(nn_model *m);

/** The output of the last run (float32 NHWC); valid until the next run. */
const float *nn_model_output(const nn_model *m);

/** Run the graph once on the current input. Allocates nothing. A model with
 *  state reads its state inputs from the last run's state outputs (zeros
 *  after load, clone or nn_model_state_reset()) and keeps the new ones.
 *  @return SEG_OK, or SEG_ERR_INTERRUPTED if a cancel flag was raised (the
 *  state is then reset: a run cut short leaves none worth keeping). */
int nn_model_run(nn_model *m);

/** The number of state pairs (0: the model has no memory between runs), and
 *  pair k's names (output, input), "" for k out of range. */
int nn_model_state_count(const nn_model *m);
const char *nn_model_state_name(const nn_model *m, int k, int input);

/** Zero every state input (the start of a stream, a seek, a lost frame). */
void nn_model_state_reset(nn_model *m);

/** OpenMP team size for the kernels (1 = single thread; <1 = all cores). */
void nn_model_set_threads(nn_model *m, int threads);

/** Optional cancel flag, read (relaxed) between nodes: once it is non-zero
 *  nn_model_run() returns SEG_ERR_INTERRUPTED within a node (the output is
 *  then undefined). The pipeline points it at its job's stop flag, so a stop
 *  ends a long inference early. NULL = none. */
void nn_model_set_cancel_flag(nn_model *m, const atomic_int *flag);

/** Number of executed nodes after fusion, and per node its name, the op
 *  name, and the multiply-adds it performs. Used by --profile. */
int nn_model_node_count(const nn_model *m);
const char *nn_model_node_op_name(const nn_model *m, int node);
const char *nn_model_node_name(const nn_model *m, int node);
/** Multiply-adds of one node per inference. */
uint64_t nn_model_node_macs(const nn_model *m, int node);
/** Multiply-adds of the whole graph per inference. */
uint64_t nn_model_macs(const nn_model *m);

/** Enable per-node timing (adds a clock read per node); times in ns are read
 *  with nn_model_node_time_ns() and accumulate until reset. */
void nn_model_set_profiling(nn_model *m, int on);
uint64_t nn_model_node_time_ns(const nn_model *m, int node);
void nn_model_reset_profile(nn_model *m);

/** What the graph applies last to its output: 0 nothing (logits or
 *  values), 1 a sigmoid (LOGISTIC, standalone or fused), 2 a softmax. */
int nn_model_output_squash(const nn_model *m);

/** Non-zero when the output holds class indices (the graph ends in
 *  ARG_MAX; the indices are stored as floats). */
int nn_model_output_is_index(const nn_model *m);

/** The input normalisation the model's TFLite metadata asks for, if any:
 *  the model wants (x - mean[c]) / std[c] for byte values x in [0, 255].
 *  Returns 1 when the metadata has NormalizationOptions, else 0. */
int nn_model_metadata_norm(const nn_model *m, float mean[3], float std[3]);

/** What a model file holds, read without building the graph (so it works
 *  on models the engine cannot run): for --model-info. */
#define NN_INFO_MAX_OPS 64
typedef struct nn_model_info {
    nn_shape input, output;           /**< first input and output, NHWC-padded */
    int n_inputs, n_outputs;
    const char *input_type, *output_type; /**< "FLOAT32", "INT8", ... */
    int n_tensors, n_operators;
    struct {
        char name[48];                /**< builtin or custom op name */
        int count;
        int supported;                /**< the engine runs it */
    } ops[NN_INFO_MAX_OPS];
    int n_op_kinds;
    uint64_t params;                  /**< elements of constant tensors */
    char description[128];
    int has_norm;                     /**< metadata NormalizationOptions */
    float norm_mean[3], norm_std[3];
    /* ONNX models only (is_onnx): the default domain's opset, and the first
     * input and every output as "name [dims]" in the file's own layout. */
    int is_onnx;
    int opset;
    char input_desc[96];
    char output_desc[NN_MAX_OUTPUTS][96];
} nn_model_info;

/** Fill @p info from a .tflite or .onnx buffer; SEG_ERR_BAD_MODEL if it cannot be read. */
int nn_model_inspect(const void *buf, size_t len, nn_model_info *info, char *err, size_t errlen);

/** ONNX models: whether the file's layout of the input / output k is NCHW
 *  (the engine holds rank-4 ONNX tensors as NHWC: nn_model_input() and the
 *  outputs are NHWC, nn_model_input_shape() {1,H,W,C}). 0 for TFLite, for
 *  tf2onnx's NHWC inputs and for tensors whose two orders coincide (one
 *  channel, or 1x1). --run-model uses this to read and write the file's
 *  own layout. */
int nn_model_input_nchw(const nn_model *m);
int nn_model_output_nchw(const nn_model *m, int k);
/** The ONNX opset the model was read with; 0 for TFLite. */
int nn_model_onnx_opset(const nn_model *m);

/** Model description string from the file (may be ""). */
const char *nn_model_description(const nn_model *m);

#endif
