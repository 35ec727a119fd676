/* fuzz_onnx_load.c - the ONNX reader on arbitrary bytes.
 *
 * nn_model_inspect() (--model-info) and nn_model_load() must accept a model
 * or refuse it with a status and a message, reading nothing outside the
 * buffer and allocating within the caps: the wire walk (depth, message
 * count, string lengths) before protobuf-c, protobuf-c's capped allocator,
 * the element limits before every constant and tensor. What loads and is
 * small enough is run once, single-threaded, and every output read (the
 * lowering computes every shape itself, so the kernels trust the graph: this
 * checks that trust). Seeds: corpus/onnx, the op cases of tests/onnx_cases.c
 * (fuzz/make_corpus.sh); scripts/fuzz.sh adds the .onnx files in models/, cut. */
#include <string.h>

#include "fuzz.h"
#include "nn.h"
#include "nn_internal.h"

#define MAX_INPUT_ELEMS ((size_t)1 << 20)
#define MAX_ARENA_BYTES ((size_t)64 << 20)
#define MAX_WORK 20000000.0

static long n_inputs, n_onnx, n_loaded, n_ran;

static void print_counts(void)
{
    fprintf(stderr, "fuzz_onnx_load: %ld inputs, %ld read as ONNX, %ld loaded, %ld run\n",
            n_inputs, n_onnx, n_loaded, n_ran);
}

static double work_estimate(const nn_model *m)
{
    double w = (double)nn_model_macs(m);
    for (int k = 0; k < m->n_nodes; k++) {
        const nn_node *n = &m->nodes[k];
        double out = (double)m->tensors[n->out].elems;
        w += out;
        if (n->op == NN_OP_AVERAGE_POOL_2D || n->op == NN_OP_MAX_POOL_2D)
            w += out * ((double)n->win.kh + (double)n->win.kh * (double)n->win.kw);
        else if (n->op == NN_OP_MEAN || n->op == NN_OP_RESIZE_BILINEAR)
            w += (double)m->tensors[n->in[0]].elems + 4.0 * out;
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'x', sizeof err);
    if (n_inputs++ == 0)
        atexit(print_counts);
    nn_model_info info;
    if (nn_model_inspect(data, size, &info, err, sizeof err) == SEG_OK) {
        n_onnx += info.is_onnx;
        HARNESS_CHECK(memchr(info.input_desc, '\0', sizeof info.input_desc) != NULL);
        HARNESS_CHECK(info.n_op_kinds >= 0 && info.n_op_kinds <= NN_INFO_MAX_OPS);
    } else {
        HARNESS_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
    }
    nn_model *m = NULL;
    memset(err, 'x', sizeof err);
    int st = nn_model_load(&m, data, size, err, sizeof err);
    if (st == SEG_ERR_UNSUPPORTED && strstr(err, "--input-size")) {
        /* a free height and width: at a size taken from the input's length */
        nn_load_opts o = {.input_w = 8 + (int)(size % 17), .input_h = 8 + (int)(size / 17 % 13)};
        memset(err, 'x', sizeof err);
        st = nn_model_load_opts(&m, data, size, &o, err, sizeof err);
    }
    if (st != SEG_OK) {
        HARNESS_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        HARNESS_CHECK(st < 0 && st >= SEG_STATUS_MIN && m == NULL);
        return 0;
    }
    n_loaded++;
    nn_shape in = nn_model_input_shape(m);
    size_t n_in = (size_t)in.n * (size_t)in.h * (size_t)in.w * (size_t)in.c;
    HARNESS_CHECK(in.n == 1 && n_in > 0);
    if (n_in > MAX_INPUT_ELEMS || m->arena_bytes > MAX_ARENA_BYTES ||
        work_estimate(m) > MAX_WORK) {
        nn_model_free(&m);
        return 0;
    }
    nn_model_set_threads(m, 1);
    float *x = nn_model_input(m);
    uint32_t r = 12345u;
    for (size_t i = 0; i < n_in; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (i % 7 == 0) ? 0.0f : (float)(r >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
    }
    HARNESS_CHECK(nn_model_run(m) == SEG_OK);
    n_ran++;
    volatile float sink = 0.0f;
    for (int k = 0; k < nn_model_output_count(m); k++) {
        nn_shape o = nn_model_output_shape_k(m, k);
        const float *y = nn_model_output_k(m, k);
        size_t n = (size_t)o.n * o.h * o.w * o.c;
        for (size_t i = 0; y && i < n; i++)
            sink += y[i];
    }
    (void)sink;
    nn_model_free(&m);
    return 0;
}
