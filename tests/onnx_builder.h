/* onnx_builder.h - the tests' ONNX writer: small models built in memory
 * with protobuf-c's generated structs (onnx.proto) and packed to bytes.
 *
 * Example (a 3x3 convolution):
 *     onnx_builder *b = ob_new(13);
 *     ob_input(b, "x", 4, (int64_t[]){1, 2, 5, 5});
 *     ob_init(b, "w", 4, (int64_t[]){3, 2, 3, 3}, weights);
 *     Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "y");
 *     ob_attr_ints(b, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
 *     ob_output(b, "y", 1);                 // elem type FLOAT
 *     uint8_t *buf = ob_pack(b, &len);      // free() it
 *     ob_free(&b);
 * Everything the builder allocates is freed by ob_free. Allocation
 * failures abort (test code). */
#ifndef TESTS_ONNX_BUILDER_H
#define TESTS_ONNX_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct onnx_builder onnx_builder;

onnx_builder *ob_new(int opset);
void ob_free(onnx_builder **b);
/** A graph input of element type FLOAT with fixed dims. */
void ob_input(onnx_builder *b, const char *name, int rank, const int64_t *dims);
/** A graph output; elem_type 1 FLOAT, 7 INT64. */
void ob_output(onnx_builder *b, const char *name, int elem_type);
/** Float and int64 initializers (raw_data). */
void ob_init(onnx_builder *b, const char *name, int rank, const int64_t *dims, const float *data);
void ob_init_i64(onnx_builder *b, const char *name, int rank, const int64_t *dims,
                 const int64_t *data);
/** A node of the default domain; inputs and outputs comma-separated ("x,,w"
 *  keeps an empty optional input). */
Onnx__NodeProto *ob_node(onnx_builder *b, const char *op, const char *inputs, const char *outputs);
void ob_attr_i(onnx_builder *b, Onnx__NodeProto *n, const char *name, int64_t v);
void ob_attr_f(onnx_builder *b, Onnx__NodeProto *n, const char *name, float v);
void ob_attr_s(onnx_builder *b, Onnx__NodeProto *n, const char *name, const char *v);
void ob_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *name, int count,
                  const int64_t *v);
void ob_attr_floats(onnx_builder *b, Onnx__NodeProto *n, const char *name, int count,
                    const float *v);
/** A tensor attribute (Constant's value): float or int64 data. */
void ob_attr_tensor(onnx_builder *b, Onnx__NodeProto *n, const char *name, int rank,
                    const int64_t *dims, const float *f, const int64_t *i);
/** The graph itself, for tests that break it on purpose. */
Onnx__ModelProto *ob_model(onnx_builder *b);
/** Serialise; malloc'd, *len bytes. */
uint8_t *ob_pack(onnx_builder *b, size_t *len);
/** Builder-owned copies (freed with the builder). */
void *ob_alloc(onnx_builder *b, size_t n);
char *ob_strdup(onnx_builder *b, const char *s);

#endif
