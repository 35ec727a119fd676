/* onnx_cases.h - one-op (or few-op) ONNX models for the reader's tests,
 * each checked against ONNX Runtime: tests/onnx_oracle.sh writes every
 * case's model and input (make_onnx_cases), runs ONNX Runtime on them and
 * stores the outputs in tests/data/onnx/NAME.f32, which test_nn_onnx
 * compares the engine with (so the tests need no ONNX Runtime). */
#ifndef TESTS_ONNX_CASES_H
#define TESTS_ONNX_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "onnx_builder.h"

typedef struct onnx_case {
    const char *name;
    int opset;
    int64_t in[4];        /**< input dims, rank 4 */
    /** Adds nodes, initializers and the output "y" to b (the input "x" is
     *  added by onnx_case_build). */
    void (*build)(onnx_builder *b);
} onnx_case;

extern const onnx_case ONNX_CASES[];
extern const int N_ONNX_CASES;

/** The model of case c, packed (malloc'd). */
uint8_t *onnx_case_build(const onnx_case *c, size_t *len);
/** The case's input: n deterministic values in [-2, 2]. */
void onnx_case_input(const onnx_case *c, float *x, size_t n);

#endif
