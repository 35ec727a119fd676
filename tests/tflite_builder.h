/* tflite_builder.h - a minimal TFLite flatbuffer writer for tests, fuzz seeds
 * and hand-made models with ops no shipped model has.
 *
 * It writes front to back: every table is preceded by its own vtable and
 * every reference points forward, which is a valid flatbuffer layout (the
 * format only requires uoffsets to be unsigned). */
#ifndef TFLITE_BUILDER_H
#define TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

enum { TB_FLOAT32 = 0, TB_FLOAT16 = 1, TB_INT32 = 2, TB_UINT8 = 3, TB_INT64 = 4, TB_INT8 = 9 };

/** One level of a sparse tensor's DimensionMetadata. */
typedef struct tb_dim {
    int sparse;          /**< 0 DENSE, 1 SPARSE_CSR */
    int dense_size;
    int vec_type;        /**< SparseIndexVector: 1 int32, 2 uint16, 3 uint8 */
    const void *segments;
    int n_segments;
    const void *indices;
    int n_indices;
} tb_dim;

/** SparsityParameters; the tensor's data are then the stored values only. */
typedef struct tb_sparsity {
    int n_levels;
    int traversal[8];
    int n_blocks;
    int block_map[4];
    tb_dim dim[8];
} tb_sparsity;

typedef struct tb_tensor {
    const char *name;
    int type;            /**< TB_* */
    int rank;
    int shape[4];
    const void *data;    /**< constant bytes or NULL */
    size_t data_len;
} tb_tensor;

typedef struct tb_opt {
    int id;              /**< field id in the options table */
    int size;            /**< 1, 4 or 8 bytes */
    int64_t value;
} tb_opt;

typedef struct tb_op {
    int builtin;         /**< BuiltinOperator code (32 = CUSTOM) */
    const char *custom;  /**< custom code when builtin == 32 */
    int n_in;
    int in[8];
    int out;
    int options_type;    /**< BuiltinOptions union type, 0 = none */
    int n_opts;
    tb_opt opts[8];
    const uint8_t *custom_options;
    size_t custom_len;
} tb_op;

/** Build a one-subgraph model; *buf is malloc'd (free it). 0 on success. */
int tb_build(const tb_tensor *tensors, int n_tensors, const tb_op *ops, int n_ops,
             int input, int output, uint8_t **buf, size_t *len);

/** Same with several graph outputs, in the given order, and sparse
 *  tensors: sparsity is NULL or has n_tensors entries, NULL for a dense one
 *  (a sparse tensor's data are its stored values only). */
int tb_build_outputs(const tb_tensor *tensors, int n_tensors, const tb_op *ops, int n_ops,
                     int input, const int *outputs, int n_outputs,
                     const tb_sparsity *const *sparsity, uint8_t **buf, size_t *len);

/** Same, with TFLite metadata (a "TFLITE_METADATA" buffer) whose first
 *  input has NormalizationOptions {mean[3], std[3]} (NULL = no metadata). */
int tb_build_meta(const tb_tensor *tensors, int n_tensors, const tb_op *ops, int n_ops,
                  int input, int output, const float mean[3], const float std[3],
                  uint8_t **buf, size_t *len);

#endif
