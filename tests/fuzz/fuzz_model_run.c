/* fuzz_model_run.c - a model that loads must also run safely.
 *
 * The loader recomputes every output shape, so the kernels can trust the
 * graph; this harness checks that trust. Whatever loads and is small enough
 * to run quickly is run once, single-threaded, on a fixed input (values in
 * [-2, 2), some exactly 0), and every output float is read. ASan watches the
 * kernels' reads and writes against the arena, the weights and the packed
 * buffers (each one allocation: a kernel straying into a neighbouring
 * tensor of the same arena is not caught here, only one leaving it);
 * UBSan watches the index arithmetic and float-to-int conversions.
 *
 * "Small enough": input <= 2^20 floats, activations <= 64 MiB and a work
 * estimate <= 2e7 (multiply-adds, plus every node's output, plus pooling
 * windows), so one run stays well under a second under ASan. The estimate
 * reads the graph through nn_internal.h: the public API has no arena size. */
#include <string.h>

#include "fuzz.h"
#include "nn.h"
#include "nn_internal.h"

#define MAX_INPUT_ELEMS ((size_t)1 << 20)
#define MAX_ARENA_BYTES ((size_t)64 << 20)
#define MAX_WORK 20000000.0

/* Rough cost of one run, in float operations. */
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

/* How many inputs got how far, printed at exit: a run that never gets past
 * the loader tests nothing here. */
static long n_inputs, n_loaded, n_ran;

static void print_counts(void)
{
    fprintf(stderr, "fuzz_model_run: %ld inputs, %ld loaded, %ld run\n", n_inputs, n_loaded,
            n_ran);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    nn_model *m = NULL;
    if (n_inputs++ == 0)
        atexit(print_counts);
    if (nn_model_load(&m, data, size, err, sizeof err) != SEG_OK) {
        HARNESS_CHECK(m == NULL && err[0] != '\0');
        return 0;
    }
    n_loaded++;
    nn_shape in = nn_model_input_shape(m), out = nn_model_output_shape(m);
    size_t n_in = (size_t)in.n * (size_t)in.h * (size_t)in.w * (size_t)in.c;
    size_t n_out = (size_t)out.n * (size_t)out.h * (size_t)out.w * (size_t)out.c;
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
    const float *y = nn_model_output(m);
    volatile float sink = 0.0f;
    for (size_t i = 0; i < n_out; i++)
        sink += y[i];
    (void)sink;
    nn_model_free(&m);
    return 0;
}
