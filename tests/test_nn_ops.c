/* test_nn_ops.c - every op the engine runs, through the whole engine: a
 * one-op model is written with the project's flatbuffer writer
 * (tflite_builder), loaded, run on random input and compared with the
 * plain reference kernels. This covers ops no shipped model has. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_kernels.h"
#include "tflite_builder.h"

static uint32_t rng = 777u;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}
static void fill(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
}

/* Options as (field id, size, value) triples. */
#define OPT(id, size, v) {(id), (size), (int64_t)(v)}

typedef struct op_case {
    const char *name;
    int builtin;
    int in_shape[4];
    int in_rank;
    int out_shape[4];
    int out_rank;
    int out_type;
    /* extra inputs after the data input: constants */
    int n_consts;
    tb_tensor consts[3];
    int options_type;
    int n_opts;
    tb_opt opts[8];
} op_case;

/* Build, load and run one op on x; returns the model (caller frees). */
static nn_model *run_case(const op_case *oc, const float *x, char *err, size_t errlen, int *st)
{
    tb_tensor t[5];
    int nt = 0;
    t[nt++] = (tb_tensor){"input", TB_FLOAT32, oc->in_rank, {0}, NULL, 0};
    memcpy(t[0].shape, oc->in_shape, sizeof oc->in_shape);
    tb_op op = {.builtin = oc->builtin, .n_in = 1 + oc->n_consts, .options_type = oc->options_type,
                .n_opts = oc->n_opts};
    op.in[0] = 0;
    for (int i = 0; i < oc->n_consts; i++) {
        t[nt] = oc->consts[i];
        op.in[1 + i] = nt++;
    }
    t[nt] = (tb_tensor){"output", oc->out_type, oc->out_rank, {0}, NULL, 0};
    memcpy(t[nt].shape, oc->out_shape, sizeof oc->out_shape);
    op.out = nt++;
    memcpy(op.opts, oc->opts, sizeof oc->opts);
    uint8_t *buf;
    size_t len;
    assert_int_equal(tb_build(t, nt, &op, 1, 0, op.out, &buf, &len), 0);
    nn_model *m = NULL;
    *st = nn_model_load(&m, buf, len, err, errlen);
    free(buf);
    if (*st)
        return NULL;
    size_t n = 1;
    for (int d = 0; d < oc->in_rank; d++)
        n *= (size_t)oc->in_shape[d];
    memcpy(nn_model_input(m), x, n * sizeof(float));
    nn_model_set_threads(m, 2);
    assert_int_equal(nn_model_run(m), SEG_OK);
    return m;
}

static void expect(const op_case *oc, const float *x, const float *want, size_t n, float tol)
{
    char err[256];
    int st;
    nn_model *m = run_case(oc, x, err, sizeof err, &st);
    if (!m)
        fail_msg("%s: %s", oc->name, err);
    const float *y = nn_model_output(m);
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(y[i] - want[i]) <= tol))
            fail_msg("%s: element %zu is %g, want %g", oc->name, i, (double)y[i], (double)want[i]);
    nn_model_free(&m);
}

static void test_softmax_argmax(void **state)
{
    (void)state;
    float x[2 * 3 * 5], want[2 * 3 * 5];
    fill(x, 30);
    op_case sm = {"SOFTMAX", 25, {1, 2, 3, 5}, 4, {1, 2, 3, 5}, 4, TB_FLOAT32, 0, {{0}}, 9, 1,
                  {OPT(0, 4, 0)}};
    float beta = 1.5f;
    int32_t bits;
    memcpy(&bits, &beta, 4);
    sm.opts[0].value = bits;
    nn_ref_softmax(x, 6, 5, 1.5f, want);
    expect(&sm, x, want, 30, 1e-6f);
    static const int32_t axis[1] = {-1};
    op_case am = {"ARG_MAX", 56, {1, 2, 3, 5}, 4, {1, 2, 3, 0}, 3, TB_INT64, 1,
                  {{"axis", TB_INT32, 1, {1}, axis, 4}}, 40, 0, {{0}}};
    nn_ref_argmax(x, 6, 5, want);
    expect(&am, x, want, 6, 0.0f);
}

static void test_fully_connected(void **state)
{
    (void)state;
    static float w[7 * 12], b[7];
    fill(w, 84);
    fill(b, 7);
    float x[12], want[7];
    fill(x, 12);
    /* keep_num_dims on a [1,1,1,C] input: output [1,1,1,7]. */
    op_case fc = {"FULLY_CONNECTED", 9, {1, 1, 1, 12}, 4, {1, 1, 1, 7}, 4, TB_FLOAT32, 2,
                  {{"w", TB_FLOAT32, 2, {7, 12}, w, sizeof w}, {"b", TB_FLOAT32, 1, {7}, b, sizeof b}},
                  8, 3, {OPT(0, 1, 3 /* RELU6 */), OPT(1, 1, 0), OPT(2, 1, 1)}};
    nn_window g = {1, 1, 1, 1, 1, 1, 0, 0};
    nn_ref_conv2d(x, 1, 1, 12, w, b, 7, want, 1, 1, &g, NN_ACT_RELU6);
    expect(&fc, x, want, 7, 1e-5f);
    /* without keep_num_dims: [1,1,1,12] -> [1,7] */
    fc.opts[2].value = 0;
    fc.out_rank = 2;
    fc.out_shape[0] = 1;
    fc.out_shape[1] = 7;
    expect(&fc, x, want, 7, 1e-5f);
}

static void test_pad_and_padv2(void **state)
{
    (void)state;
    float x[1 * 3 * 4 * 2], want[1 * 6 * 5 * 5];
    fill(x, 24);
    static const int32_t pads[8] = {0, 0, 1, 2, 0, 1, 1, 2};
    op_case pad = {"PAD", 34, {1, 3, 4, 2}, 4, {1, 6, 5, 5}, 4, TB_FLOAT32, 1,
                   {{"pads", TB_INT32, 2, {4, 2}, pads, sizeof pads}}, 22, 0, {{0}}};
    int s[4] = {1, 3, 4, 2}, p[4][2] = {{0, 0}, {1, 2}, {0, 1}, {1, 2}};
    nn_ref_pad(x, s, (const int(*)[2])p, 0.0f, NN_PAD_CONSTANT, want);
    expect(&pad, x, want, 150, 0.0f);
    static const float cv[1] = {-7.5f};
    op_case pad2 = pad;
    pad2.name = "PADV2";
    pad2.builtin = 60;
    pad2.n_consts = 2;
    pad2.consts[1] = (tb_tensor){"value", TB_FLOAT32, 0, {0}, cv, sizeof cv};
    nn_ref_pad(x, s, (const int(*)[2])p, -7.5f, NN_PAD_CONSTANT, want);
    expect(&pad2, x, want, 150, 0.0f);
}

static void test_resize_nearest(void **state)
{
    (void)state;
    float x[1 * 3 * 5 * 3], want[1 * 7 * 4 * 3];
    fill(x, 45);
    static const int32_t size[2] = {7, 4};
    for (int mode = 0; mode < 3; mode++) {
        op_case rn = {"RESIZE_NEAREST_NEIGHBOR", 97, {1, 3, 5, 3}, 4, {1, 7, 4, 3}, 4, TB_FLOAT32,
                      1, {{"size", TB_INT32, 1, {2}, size, sizeof size}}, 74, 2,
                      {OPT(0, 1, mode == 1), OPT(1, 1, mode == 2)}};
        nn_ref_resize_nearest(x, 3, 5, 3, want, 7, 4, mode == 1, mode == 2);
        expect(&rn, x, want, 84, 0.0f);
    }
    /* hand case: 2 -> 4 half-pixel: (o + .5) * .5 floors to 0,0,1,1 */
    float in2[2] = {1, 2}, out2[4];
    nn_ref_resize_nearest(in2, 1, 2, 1, out2, 1, 4, 0, 1);
    assert_float_equal(out2[0], 1, 0);
    assert_float_equal(out2[1], 1, 0);
    assert_float_equal(out2[2], 2, 0);
    assert_float_equal(out2[3], 2, 0);
}

static void test_binary_ops_and_prelu(void **state)
{
    (void)state;
    const int codes[] = {41 /* SUB */, 42 /* DIV */, 55 /* MAXIMUM */, 57 /* MINIMUM */,
                         54 /* PRELU */};
    const nn_binop ops[] = {NN_BIN_SUB, NN_BIN_DIV, NN_BIN_MAX, NN_BIN_MIN, NN_BIN_PRELU};
    static float cst[6];
    for (int i = 0; i < 6; i++)
        cst[i] = 0.5f + (float)i * 0.25f; /* no zero divisors */
    float x[1 * 4 * 3 * 6], want[72];
    fill(x, 72);
    int xs[4] = {1, 4, 3, 6}, cs[4] = {1, 1, 1, 6};
    for (int k = 0; k < 5; k++) {
        op_case bc = {"binary", codes[k], {1, 4, 3, 6}, 4, {1, 4, 3, 6}, 4, TB_FLOAT32, 1,
                      {{"c", TB_FLOAT32, 1, {6}, cst, sizeof cst}}, 28, 0, {{0}}};
        bc.name = k == 4 ? "PRELU" : "SUB/DIV/MAXIMUM/MINIMUM";
        nn_act act = NN_ACT_NONE;
        if (k < 2) { /* SUB and DIV with a fused RELU_N1_TO_1 */
            bc.n_opts = 1;
            bc.opts[0] = (tb_opt)OPT(0, 1, 2);
            act = NN_ACT_RELU_N1_TO_1;
        }
        nn_ref_binary(ops[k], x, xs, cst, cs, want, xs, act);
        expect(&bc, x, want, 72, 1e-6f);
    }
}

static void test_mean_squeeze_reshape_maxpool_tanh(void **state)
{
    (void)state;
    float x[1 * 4 * 6 * 5], want[120];
    fill(x, 120);
    static const int32_t axes[2] = {1, 2};
    op_case mean = {"MEAN", 40, {1, 4, 6, 5}, 4, {1, 5, 0, 0}, 2, TB_FLOAT32, 1,
                    {{"axes", TB_INT32, 1, {2}, axes, sizeof axes}}, 27, 1, {OPT(0, 1, 0)}};
    int s[4] = {1, 4, 6, 5}, r[4] = {0, 1, 1, 0};
    nn_ref_mean(x, s, r, want);
    expect(&mean, x, want, 5, 1e-6f);
    op_case sq = {"SQUEEZE", 43, {1, 1, 1, 5}, 4, {1, 5, 0, 0}, 2, TB_FLOAT32, 0, {{0}}, 30, 0, {{0}}};
    expect(&sq, x, x, 5, 0.0f);
    static const int32_t shape[2] = {4, 30};
    op_case rs = {"RESHAPE", 22, {1, 4, 6, 5}, 4, {4, 30, 0, 0}, 2, TB_FLOAT32, 1,
                  {{"shape", TB_INT32, 1, {2}, shape, sizeof shape}}, 17, 0, {{0}}};
    expect(&rs, x, x, 120, 0.0f);
    op_case mp = {"MAX_POOL_2D", 17, {1, 4, 6, 5}, 4, {1, 2, 3, 5}, 4, TB_FLOAT32, 0, {{0}}, 5, 6,
                  {OPT(0, 1, 0), OPT(1, 4, 2), OPT(2, 4, 2), OPT(3, 4, 3), OPT(4, 4, 3), OPT(5, 1, 1)}};
    nn_window g = {3, 3, 2, 2, 1, 1, 0, 0};
    int oh = nn_conv_out_size(4, 3, 2, 1, 1, &g.pad_top);
    int ow = nn_conv_out_size(6, 3, 2, 1, 1, &g.pad_left);
    assert_int_equal(oh, 2);
    assert_int_equal(ow, 3);
    nn_ref_maxpool(x, 4, 6, 5, want, 2, 3, &g, NN_ACT_RELU);
    expect(&mp, x, want, 30, 0.0f);
    op_case th = {"TANH", 28, {1, 4, 6, 5}, 4, {1, 4, 6, 5}, 4, TB_FLOAT32, 0, {{0}}, 0, 0, {{0}}};
    for (int i = 0; i < 120; i++)
        want[i] = tanhf(x[i]);
    expect(&th, x, want, 120, 2e-6f);
}

static void test_convs_with_fused_activations_and_fp16(void **state)
{
    (void)state;
    /* Dilated, strided depthwise with RELU6; conv with TANH; fp16 weights
     * behind DEQUANTIZE are covered by the selfie models' parity tests. */
    static float dw_w[3 * 3 * 4], dw_b[4], cw[5 * 3 * 3 * 4], cb[5];
    fill(dw_w, 36);
    fill(dw_b, 4);
    fill(cw, 180);
    fill(cb, 5);
    float x[1 * 9 * 11 * 4], want[9 * 11 * 5];
    fill(x, 396);
    for (int v = 0; v < 3; v++) {
        int dil = v == 0 ? 2 : 1, stride = v == 2 ? 2 : 1;
        nn_window g = {3, 3, stride, stride, dil, dil, 0, 0};
        int oh = nn_conv_out_size(9, 3, stride, dil, 1, &g.pad_top);
        int ow = nn_conv_out_size(11, 3, stride, dil, 1, &g.pad_left);
        op_case dw = {"DEPTHWISE_CONV_2D", 4, {1, 9, 11, 4}, 4, {1, oh, ow, 4}, 4, TB_FLOAT32, 2,
                      {{"w", TB_FLOAT32, 4, {1, 3, 3, 4}, dw_w, sizeof dw_w},
                       {"b", TB_FLOAT32, 1, {4}, dw_b, sizeof dw_b}},
                      2, 7,
                      {OPT(0, 1, 0), OPT(1, 4, stride), OPT(2, 4, stride), OPT(3, 4, 1),
                       OPT(4, 1, 3), OPT(5, 4, dil), OPT(6, 4, dil)}};
        nn_ref_depthwise(x, 9, 11, 4, 1, dw_w, dw_b, want, oh, ow, &g, NN_ACT_RELU6);
        expect(&dw, x, want, (size_t)oh * ow * 4, 1e-5f);
        op_case cv = {"CONV_2D", 3, {1, 9, 11, 4}, 4, {1, oh, ow, 5}, 4, TB_FLOAT32, 2,
                      {{"w", TB_FLOAT32, 4, {5, 3, 3, 4}, cw, sizeof cw},
                       {"b", TB_FLOAT32, 1, {5}, cb, sizeof cb}},
                      1, 6,
                      {OPT(0, 1, 0), OPT(1, 4, stride), OPT(2, 4, stride), OPT(3, 1, 4),
                       OPT(4, 4, dil), OPT(5, 4, dil)}};
        nn_ref_conv2d(x, 9, 11, 4, cw, cb, 5, want, oh, ow, &g, NN_ACT_TANH);
        expect(&cv, x, want, (size_t)oh * ow * 5, 2e-5f);
    }
}

static void test_transpose_conv_builtin(void **state)
{
    (void)state;
    static float w[3 * 3 * 3 * 4], b[3];
    fill(w, 108);
    fill(b, 3);
    static const int32_t oshape[4] = {1, 10, 12, 3};
    float x[1 * 5 * 6 * 4], want[10 * 12 * 3];
    fill(x, 120);
    /* TRANSPOSE_CONV: inputs (output_shape, weights, input, bias); our test
     * harness puts the data input first, so build it by hand. */
    tb_tensor t[5] = {
        {"input", TB_FLOAT32, 4, {1, 5, 6, 4}, NULL, 0},
        {"oshape", TB_INT32, 1, {4}, oshape, sizeof oshape},
        {"w", TB_FLOAT32, 4, {3, 3, 3, 4}, w, sizeof w},
        {"b", TB_FLOAT32, 1, {3}, b, sizeof b},
        {"out", TB_FLOAT32, 4, {1, 10, 12, 3}, NULL, 0},
    };
    tb_op op = {.builtin = 67, .n_in = 4, .in = {1, 2, 0, 3}, .out = 4, .options_type = 49,
                .n_opts = 4, .opts = {OPT(0, 1, 0), OPT(1, 4, 2), OPT(2, 4, 2), OPT(3, 1, 1)}};
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(tb_build(t, 5, &op, 1, 0, 4, &buf, &len), 0);
    nn_model *m = NULL;
    if (nn_model_load(&m, buf, len, err, sizeof err))
        fail_msg("TRANSPOSE_CONV: %s", err);
    free(buf);
    memcpy(nn_model_input(m), x, sizeof x);
    assert_int_equal(nn_model_run(m), SEG_OK);
    /* SAME for a 10-wide output of a 3-tap stride-2 window: pad before =
     * ((5-1)*2 + 3 - 10) / 2 = 0 rows, ((6-1)*2 + 3 - 12)/2 = 0 columns. */
    nn_window g = {3, 3, 2, 2, 1, 1, 0, 0};
    nn_conv_out_size(10, 3, 2, 1, 1, &g.pad_top);
    nn_conv_out_size(12, 3, 2, 1, 1, &g.pad_left);
    nn_ref_transpose_conv(x, 5, 6, 4, w, b, 3, want, 10, 12, &g, NN_ACT_RELU);
    const float *y = nn_model_output(m);
    for (int i = 0; i < 360; i++)
        if (!(fabsf(y[i] - want[i]) <= 1e-5f))
            fail_msg("TRANSPOSE_CONV element %d: %g, want %g", i, (double)y[i], (double)want[i]);
    nn_model_free(&m);
}

static void test_concatenation_axes(void **state)
{
    (void)state;
    /* two graph-computed inputs: input -> (RELU, TANH) -> CONCAT(axis) */
    for (int axis = 1; axis <= 3; axis += 2) {
        int os[4] = {1, 3, 4, 2};
        os[axis] *= 2;
        tb_tensor t[4] = {
            {"input", TB_FLOAT32, 4, {1, 3, 4, 2}, NULL, 0},
            {"a", TB_FLOAT32, 4, {1, 3, 4, 2}, NULL, 0},
            {"b", TB_FLOAT32, 4, {1, 3, 4, 2}, NULL, 0},
            {"out", TB_FLOAT32, 4, {os[0], os[1], os[2], os[3]}, NULL, 0},
        };
        tb_op ops[3] = {
            {.builtin = 19, .n_in = 1, .in = {0}, .out = 1},
            {.builtin = 28, .n_in = 1, .in = {0}, .out = 2},
            {.builtin = 2, .n_in = 2, .in = {1, 2}, .out = 3, .options_type = 10, .n_opts = 2,
             .opts = {OPT(0, 4, axis == 3 ? -1 : axis), OPT(1, 1, 3)}},
        };
        uint8_t *buf;
        size_t len;
        char err[256];
        assert_int_equal(tb_build(t, 4, ops, 3, 0, 3, &buf, &len), 0);
        nn_model *m = NULL;
        if (nn_model_load(&m, buf, len, err, sizeof err))
            fail_msg("CONCATENATION: %s", err);
        free(buf);
        float x[24];
        fill(x, 24);
        memcpy(nn_model_input(m), x, sizeof x);
        assert_int_equal(nn_model_run(m), SEG_OK);
        const float *y = nn_model_output(m);
        for (int h = 0; h < os[1]; h++)
            for (int w = 0; w < os[2]; w++)
                for (int c = 0; c < os[3]; c++) {
                    int idx[4] = {0, h, w, c};
                    int second = idx[axis] >= (axis == 1 ? 3 : 2);
                    if (second)
                        idx[axis] -= axis == 1 ? 3 : 2;
                    float v = x[(idx[1] * 4 + idx[2]) * 2 + idx[3]];
                    float want = second ? tanhf(v) : (v > 0 ? v : 0);
                    want = want < 0 ? 0 : (want > 6 ? 6 : want); /* fused RELU6 */
                    float got = y[(h * os[2] + w) * os[3] + c];
                    if (!(fabsf(got - want) <= 2e-6f))
                        fail_msg("axis %d at %d,%d,%d: %g, want %g", axis, h, w, c, (double)got,
                                 (double)want);
                }
        nn_model_free(&m);
    }
}

static void test_quantised_and_unsupported_are_refused(void **state)
{
    (void)state;
    char err[256];
    int st;
    float x[8] = {0};
    op_case q = {"QUANTIZE", 114, {1, 2, 2, 2}, 4, {1, 2, 2, 2}, 4, TB_INT8, 0, {{0}}, 0, 0, {{0}}};
    assert_null(run_case(&q, x, err, sizeof err, &st));
    assert_int_equal(st, SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "QUANTIZE"));
    static const int32_t axis[1] = {1};
    op_case am = {"ARG_MAX", 56, {1, 2, 2, 2}, 4, {1, 2, 2, 0}, 3, TB_INT64, 1,
                  {{"axis", TB_INT32, 1, {1}, axis, 4}}, 40, 0, {{0}}};
    assert_null(run_case(&am, x, err, sizeof err, &st));
    assert_int_equal(st, SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "ARG_MAX"));
}

static void test_metadata_normalisation_and_inspect(void **state)
{
    (void)state;
    tb_tensor t[2] = {
        {"input", TB_FLOAT32, 4, {1, 4, 4, 3}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 4, 4, 3}, NULL, 0},
    };
    tb_op op = {.builtin = 19, .n_in = 1, .in = {0}, .out = 1};
    const float mean[3] = {127.5f, 120.0f, 100.0f}, stdv[3] = {127.5f, 60.0f, 50.0f};
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(tb_build_meta(t, 2, &op, 1, 0, 1, mean, stdv, &buf, &len), 0);
    nn_model *m = NULL;
    if (nn_model_load(&m, buf, len, err, sizeof err))
        fail_msg("%s", err);
    float gm[3], gs[3];
    assert_int_equal(nn_model_metadata_norm(m, gm, gs), 1);
    for (int c = 0; c < 3; c++) {
        assert_float_equal(gm[c], mean[c], 0);
        assert_float_equal(gs[c], stdv[c], 0);
    }
    nn_model_free(&m);
    nn_model_info info;
    assert_int_equal(nn_model_inspect(buf, len, &info, err, sizeof err), SEG_OK);
    assert_int_equal(info.has_norm, 1);
    assert_int_equal(info.input.h, 4);
    assert_int_equal(info.n_op_kinds, 1);
    assert_string_equal(info.ops[0].name, "RELU");
    assert_int_equal(info.ops[0].supported, 1);
    free(buf);
    /* Without metadata: no normalisation; an unsupported op is listed as such. */
    op.builtin = 36; /* GATHER */
    assert_int_equal(tb_build(t, 2, &op, 1, 0, 1, &buf, &len), 0);
    assert_int_equal(nn_model_inspect(buf, len, &info, err, sizeof err), SEG_OK);
    assert_int_equal(info.has_norm, 0);
    assert_string_equal(info.ops[0].name, "GATHER");
    assert_int_equal(info.ops[0].supported, 0);
    free(buf);
    assert_int_equal(nn_model_inspect("nonsense", 8, &info, err, sizeof err), SEG_ERR_BAD_MODEL);
}

static void test_depth_to_space(void **state)
{
    (void)state;
    float x[3 * 2 * 12], want[3 * 2 * 12];
    fill(x, 72);
    op_case d2s = {"DEPTH_TO_SPACE", 5, {1, 3, 2, 12}, 4, {1, 6, 4, 3}, 4, TB_FLOAT32, 0, {{0}},
                   94, 1, {OPT(0, 4, 2)}};
    nn_ref_depth_to_space(x, 3, 2, 12, 2, want);
    expect(&d2s, x, want, 72, 0.0f);
    /* 12 channels do not split into 3x3 blocks */
    char err[256];
    int st;
    d2s.opts[0].value = 3;
    d2s.out_shape[1] = 9;
    d2s.out_shape[2] = 6;
    d2s.out_shape[3] = 1;
    assert_null(run_case(&d2s, x, err, sizeof err, &st));
    assert_int_equal(st, SEG_ERR_BAD_MODEL);
    assert_non_null(strstr(err, "DEPTH_TO_SPACE"));
}

/* fp16 bits of a float that fp16 holds exactly (normal or zero). */
static uint16_t f2h(float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    if ((b & 0x7fffffffu) == 0)
        return (uint16_t)(b >> 16);
    return (uint16_t)(((b >> 16) & 0x8000u) | ((((b >> 23) & 0xffu) - 127u + 15u) << 10) |
                      ((b >> 13) & 0x3ffu));
}

/* A 1x1 conv whose [6,1,1,4] weights are stored sparse (CSR over the input
 * channels, the pose detector's layout): DENSIFY, then DEQUANTIZE when fp16,
 * then CONV_2D; compared with the reference conv on the dense weights. */
typedef struct sparse_conv {
    float dense[24];
    int32_t seg[7], idx[24];
    float val32[24];
    uint16_t val16[24];
    int nnz;
    tb_sparsity sp;
} sparse_conv;

static void sparse_conv_init(sparse_conv *s)
{
    memset(s, 0, sizeof *s);
    for (int o = 0; o < 6; o++) {
        s->seg[o] = s->nnz;
        for (int i = 0; i < 4; i++) {
            float v = (o + i) % 3 ? (float)((o * 4 + i) % 9 - 4) * 0.25f : 0.0f;
            s->dense[o * 4 + i] = v;
            if ((o + i) % 3) {
                s->idx[s->nnz] = i;
                s->val32[s->nnz] = v;
                s->val16[s->nnz] = f2h(v);
                s->nnz++;
            }
        }
    }
    s->seg[6] = s->nnz;
    s->sp.n_levels = 4;
    for (int i = 0; i < 4; i++)
        s->sp.traversal[i] = i;
    s->sp.dim[0] = (tb_dim){0, 6, 0, NULL, 0, NULL, 0};
    s->sp.dim[1] = (tb_dim){0, 1, 0, NULL, 0, NULL, 0};
    s->sp.dim[2] = (tb_dim){0, 1, 0, NULL, 0, NULL, 0};
    s->sp.dim[3] = (tb_dim){1, 0, 1, s->seg, 7, s->idx, s->nnz};
}

static int load_sparse_conv(const sparse_conv *s, int fp16, int skip_densify, nn_model **m,
                            char *err, size_t errlen)
{
    static const float bias[6] = {0.5f, -0.5f, 0.25f, 0.0f, 1.0f, -1.0f};
    tb_tensor t[6] = {
        {"input", TB_FLOAT32, 4, {1, 3, 5, 4}, NULL, 0},
        {"w_sparse", fp16 ? TB_FLOAT16 : TB_FLOAT32, 4, {6, 1, 1, 4},
         fp16 ? (const void *)s->val16 : (const void *)s->val32,
         (size_t)s->nnz * (fp16 ? 2 : 4)},
        {"w_dense", fp16 ? TB_FLOAT16 : TB_FLOAT32, 4, {6, 1, 1, 4}, NULL, 0},
        {"w", TB_FLOAT32, 4, {6, 1, 1, 4}, NULL, 0},
        {"bias", TB_FLOAT32, 1, {6}, bias, sizeof bias},
        {"out", TB_FLOAT32, 4, {1, 3, 5, 6}, NULL, 0},
    };
    tb_op ops[3] = {
        {.builtin = 124, .n_in = 1, .in = {1}, .out = 2},
        {.builtin = 6, .n_in = 1, .in = {2}, .out = 3},
        {.builtin = 3, .n_in = 3, .in = {0, fp16 ? 3 : 2, 4}, .out = 5, .options_type = 1,
         .n_opts = 6,
         .opts = {OPT(0, 1, 0), OPT(1, 4, 1), OPT(2, 4, 1), OPT(3, 1, 0), OPT(4, 4, 1),
                  OPT(5, 4, 1)}},
    };
    tb_op *first = fp16 ? ops : ops + 1;
    int n_ops = fp16 ? 3 : 2;
    if (!fp16)
        ops[1] = ops[0]; /* DENSIFY, then the conv */
    if (skip_densify) { /* the conv reads the sparse tensor itself */
        ops[2].in[1] = 1;
        first = ops + 2;
        n_ops = 1;
    }
    uint8_t *buf;
    size_t len;
    const tb_sparsity *sparse[6] = {NULL, &s->sp, NULL, NULL, NULL, NULL};
    static const int out[1] = {5};
    assert_int_equal(tb_build_outputs(t, 6, first, n_ops, 0, out, 1, sparse, &buf, &len), 0);
    int st = nn_model_load(m, buf, len, err, errlen);
    free(buf);
    return st;
}

static void test_densify_folds_sparse_weights(void **state)
{
    (void)state;
    static const float bias[6] = {0.5f, -0.5f, 0.25f, 0.0f, 1.0f, -1.0f};
    sparse_conv s;
    sparse_conv_init(&s);
    assert_true(s.nnz > 8 && s.nnz < 24); /* really sparse, really not empty */
    float x[3 * 5 * 4], want[3 * 5 * 6];
    fill(x, 60);
    nn_window g = {1, 1, 1, 1, 1, 1, 0, 0};
    nn_ref_conv2d(x, 3, 5, 4, s.dense, bias, 6, want, 3, 5, &g, NN_ACT_NONE);
    for (int fp16 = 0; fp16 < 2; fp16++) {
        char err[256];
        nn_model *m = NULL;
        if (load_sparse_conv(&s, fp16, 0, &m, err, sizeof err))
            fail_msg("DENSIFY (%s): %s", fp16 ? "fp16" : "fp32", err);
        /* folded: only the conv runs */
        assert_int_equal(nn_model_node_count(m), 1);
        memcpy(nn_model_input(m), x, sizeof x);
        assert_int_equal(nn_model_run(m), SEG_OK);
        const float *y = nn_model_output(m);
        for (int i = 0; i < 90; i++)
            if (!(fabsf(y[i] - want[i]) <= 1e-5f))
                fail_msg("DENSIFY (%s) element %d: %g, want %g", fp16 ? "fp16" : "fp32", i,
                         (double)y[i], (double)want[i]);
        nn_model_free(&m);
    }
}

static void test_densify_refuses_hostile_sparsity(void **state)
{
    (void)state;
    char err[256];
    nn_model *m = NULL;
    sparse_conv s;
    sparse_conv_init(&s);
    /* an index past the 4 input channels */
    s.idx[3] = 4;
    assert_int_equal(load_sparse_conv(&s, 1, 0, &m, err, sizeof err), SEG_ERR_BAD_MODEL);
    assert_null(m);
    assert_non_null(strstr(err, "DENSIFY"));
    printf("# %s\n", err);
    /* segments past the index list */
    sparse_conv_init(&s);
    s.seg[6] = s.nnz + 1;
    assert_int_equal(load_sparse_conv(&s, 1, 0, &m, err, sizeof err), SEG_ERR_BAD_MODEL);
    /* a dense level's size that disagrees with the shape */
    sparse_conv_init(&s);
    s.sp.dim[0].dense_size = 7;
    assert_int_equal(load_sparse_conv(&s, 0, 0, &m, err, sizeof err), SEG_ERR_BAD_MODEL);
    /* fewer levels than the rank */
    sparse_conv_init(&s);
    s.sp.n_levels = 3;
    assert_int_equal(load_sparse_conv(&s, 0, 0, &m, err, sizeof err), SEG_ERR_BAD_MODEL);
    /* sparse weights read by a conv without DENSIFY: not weights yet */
    sparse_conv_init(&s);
    assert_int_equal(load_sparse_conv(&s, 0, 1, &m, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_null(m);
}

static void test_densify_expansion_is_capped(void **state)
{
    (void)state;
    /* 2 stored floats claiming a [512,1,1,512] dense shape: refused before
     * the dense slot is reserved. */
    static const float v[2] = {1, 2};
    static const int32_t seg[2] = {0, 2}, idx[2] = {0, 1};
    tb_sparsity sp = {.n_levels = 2, .traversal = {0, 1},
                      .dim = {{0, 1, 0, NULL, 0, NULL, 0}, {1, 0, 1, seg, 2, idx, 2}}};
    tb_tensor t[4] = {
        {"input", TB_FLOAT32, 4, {1, 1, 1, 512}, NULL, 0},
        {"w_sparse", TB_FLOAT32, 4, {512, 1, 1, 512}, v, sizeof v},
        {"w", TB_FLOAT32, 4, {512, 1, 1, 512}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 1, 1, 512}, NULL, 0},
    };
    tb_op ops[2] = {
        {.builtin = 124, .n_in = 1, .in = {1}, .out = 2},
        {.builtin = 3, .n_in = 2, .in = {0, 2}, .out = 3, .options_type = 1, .n_opts = 3,
         .opts = {OPT(0, 1, 0), OPT(1, 4, 1), OPT(2, 4, 1)}},
    };
    uint8_t *buf;
    size_t len;
    char err[256];
    nn_model *m = NULL;
    const tb_sparsity *sparse[4] = {NULL, &sp, NULL, NULL};
    static const int out[1] = {3};
    assert_int_equal(tb_build_outputs(t, 4, ops, 2, 0, out, 1, sparse, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_LIMIT);
    assert_null(m);
    printf("# %s\n", err);
    free(buf);
}

/* conv -> t1 -> RELU -> t2 with outputs {t2, t1}: without knowing t1 is an
 * output, fusion would fold the RELU into the conv and t1 would never exist. */
static void test_several_outputs(void **state)
{
    (void)state;
    static float w[2 * 3], b[2];
    fill(w, 6);
    fill(b, 2);
    tb_tensor t[5] = {
        {"input", TB_FLOAT32, 4, {1, 4, 4, 3}, NULL, 0},
        {"w", TB_FLOAT32, 4, {2, 1, 1, 3}, w, sizeof w},
        {"b", TB_FLOAT32, 1, {2}, b, sizeof b},
        {"conv_out", TB_FLOAT32, 4, {1, 4, 4, 2}, NULL, 0},
        {"relu_out", TB_FLOAT32, 3, {4, 4, 2}, NULL, 0},
    };
    tb_op ops[2] = {
        {.builtin = 3, .n_in = 3, .in = {0, 1, 2}, .out = 3, .options_type = 1, .n_opts = 3,
         .opts = {OPT(0, 1, 0), OPT(1, 4, 1), OPT(2, 4, 1)}},
        {.builtin = 19, .n_in = 1, .in = {3}, .out = 4},
    };
    static const int outs[2] = {4, 3};
    uint8_t *buf;
    size_t len;
    char err[256];
    nn_model *m = NULL;
    assert_int_equal(tb_build_outputs(t, 5, ops, 2, 0, outs, 2, NULL, &buf, &len), 0);
    if (nn_model_load(&m, buf, len, err, sizeof err))
        fail_msg("several outputs: %s", err);
    free(buf);
    assert_int_equal(nn_model_output_count(m), 2);
    assert_string_equal(nn_model_output_name(m, 0), "relu_out");
    assert_string_equal(nn_model_output_name(m, 1), "conv_out");
    nn_shape s0 = nn_model_output_shape_k(m, 0), s1 = nn_model_output_shape_k(m, 1);
    assert_int_equal(s0.n, 1); /* rank 3 padded: {1,4,4,2} */
    assert_int_equal(s0.c, 2);
    assert_int_equal(s1.h, 4);
    assert_ptr_equal(nn_model_output(m), nn_model_output_k(m, 0));
    assert_null(nn_model_output_k(m, 2));
    assert_null(nn_model_output_k(m, -1));
    float x[48], conv[32];
    fill(x, 48);
    nn_window g = {1, 1, 1, 1, 1, 1, 0, 0};
    nn_ref_conv2d(x, 4, 4, 3, w, b, 2, conv, 4, 4, &g, NN_ACT_NONE);
    for (int threads = 1; threads <= 2; threads++) {
        nn_model_set_threads(m, threads);
        memcpy(nn_model_input(m), x, sizeof x);
        assert_int_equal(nn_model_run(m), SEG_OK);
        const float *y0 = nn_model_output_k(m, 0), *y1 = nn_model_output_k(m, 1);
        for (int i = 0; i < 32; i++) {
            assert_float_equal(y1[i], conv[i], 1e-5f);
            assert_float_equal(y0[i], conv[i] > 0 ? conv[i] : 0.0f, 1e-5f);
        }
    }
    nn_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_argmax),
        cmocka_unit_test(test_fully_connected),
        cmocka_unit_test(test_pad_and_padv2),
        cmocka_unit_test(test_resize_nearest),
        cmocka_unit_test(test_binary_ops_and_prelu),
        cmocka_unit_test(test_mean_squeeze_reshape_maxpool_tanh),
        cmocka_unit_test(test_convs_with_fused_activations_and_fp16),
        cmocka_unit_test(test_transpose_conv_builtin),
        cmocka_unit_test(test_concatenation_axes),
        cmocka_unit_test(test_quantised_and_unsupported_are_refused),
        cmocka_unit_test(test_metadata_normalisation_and_inspect),
        cmocka_unit_test(test_depth_to_space),
        cmocka_unit_test(test_densify_folds_sparse_weights),
        cmocka_unit_test(test_densify_refuses_hostile_sparsity),
        cmocka_unit_test(test_densify_expansion_is_capped),
        cmocka_unit_test(test_several_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
