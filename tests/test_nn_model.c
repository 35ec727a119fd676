/* test_nn_model.c - the loader and the whole engine.
 *
 * Parity: both selfie models on real pictures against tflite_ref.py's output
 * (tests/data/parity, see make_parity.sh there). Loader: empty, truncated,
 * foreign and bit-flipped files fail cleanly or load; hand-built models
 * check unsupported ops and types are named. The selfie models come from
 * scripts/setup.sh (models/); a test fails with that hint when they are
 * missing. */
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
#include "nn_internal.h"
#include "seg_file.h"
#include "tflite_builder.h"

static uint8_t *read_all(const char *path, size_t *len)
{
    /* common's reader (what the engine uses); NULL when it cannot. */
    uint8_t *b = NULL;
    char err[512];
    return seg_file_read(path, "file", (size_t)1 << 30, &b, len, err, sizeof err) ? NULL : b;
}

static uint8_t *read_model(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", SEG_SOURCE_DIR, name);
    uint8_t *b = read_all(path, len);
    if (!b)
        fail_msg("%s is missing: run scripts/setup.sh first (it fetches the models)", path);
    return b;
}

/* ---- parity against the reference interpreter -------------------------- */

static void check_parity(const char *model, const char *data, int threads)
{
    char path[1024], err[256];
    size_t mlen, ilen, olen;
    uint8_t *mb = read_model(model, &mlen);
    snprintf(path, sizeof path, "%s/parity/%s.in.f32", SEG_TEST_DATA, data);
    float *in = (float *)(void *)read_all(path, &ilen);
    snprintf(path, sizeof path, "%s/parity/%s.out.f32", SEG_TEST_DATA, data);
    float *want = (float *)(void *)read_all(path, &olen);
    assert_non_null(in);
    assert_non_null(want);
    nn_model *m = NULL;
    int st = nn_model_load(&m, mb, mlen, err, sizeof err);
    if (st)
        fail_msg("%s: %s", model, err);
    nn_shape is = nn_model_input_shape(m), os = nn_model_output_shape(m);
    assert_int_equal(ilen, (size_t)is.h * is.w * is.c * 4);
    assert_int_equal(olen, (size_t)os.h * os.w * os.c * 4);
    nn_model_set_threads(m, threads);
    /* Run twice: the second run must not depend on what the first left in
     * the arena. */
    for (int run = 0; run < 2; run++) {
        memcpy(nn_model_input(m), in, ilen);
        assert_int_equal(nn_model_run(m), SEG_OK);
    }
    const float *got = nn_model_output(m);
    size_t n = olen / 4, agree = 0, fg = 0;
    float worst = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= worst))
            worst = d;
        agree += (got[i] > 0.5f) == (want[i] > 0.5f);
        fg += want[i] > 0.5f;
    }
    printf("# %s on %s, %d threads: max abs diff %.3g, mask agreement %.5f, foreground %.1f%%\n",
           model, data, threads, (double)worst, (double)agree / (double)n,
           100.0 * (double)fg / (double)n);
    assert_true(worst <= 1e-3f);
    assert_true((double)agree >= 0.999 * (double)n);
    assert_true(fg > n / 20); /* the pictures do show people: a real test */
    nn_model_free(&m);
    assert_null(m);
    free(mb);
    free(in);
    free(want);
}

static void test_selfie_matches_reference_messi(void **state)
{
    (void)state;
    check_parity("selfie_segmentation.tflite", "selfie_messi5", 1);
    check_parity("selfie_segmentation.tflite", "selfie_messi5", 2);
}

static void test_selfie_matches_reference_basketball(void **state)
{
    (void)state;
    check_parity("selfie_segmentation.tflite", "selfie_basketball1", 2);
}

static void test_landscape_matches_reference_messi(void **state)
{
    (void)state;
    check_parity("selfie_segmentation_landscape.tflite", "landscape_messi5", 1);
    check_parity("selfie_segmentation_landscape.tflite", "landscape_messi5", 2);
}

/* ---- clones and cancelling ---------------------------------------------- */

static void fill_input(nn_model *m, uint32_t seed)
{
    nn_shape s = nn_model_input_shape(m);
    size_t n = (size_t)s.n * s.h * s.w * s.c;
    float *x = nn_model_input(m);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f;
    }
}

/* A clone computes exactly what its source does, keeps working after the
 * source is freed (the shared weights go with the last user), and runs on
 * its own activations (running the source does not change the clone's
 * output). */
static void test_clone_runs_alone_and_outlives_source(void **state)
{
    (void)state;
    char err[256];
    size_t len;
    uint8_t *b = read_model("selfie_segmentation.tflite", &len);
    nn_model *m = NULL, *c = NULL;
    assert_int_equal(nn_model_load(&m, b, len, err, sizeof err), SEG_OK);
    free(b);
    nn_model_set_threads(m, 2);
    assert_int_equal(nn_model_clone(&c, m, err, sizeof err), SEG_OK);
    assert_non_null(c);
    assert_ptr_not_equal(nn_model_input(c), nn_model_input(m));
    nn_shape o = nn_model_output_shape(m);
    size_t n = (size_t)o.h * o.w * o.c;
    float *ref = malloc(n * sizeof(float));
    assert_non_null(ref);
    fill_input(m, 7);
    fill_input(c, 7);
    assert_int_equal(nn_model_run(m), SEG_OK);
    memcpy(ref, nn_model_output(m), n * sizeof(float));
    assert_int_equal(nn_model_run(c), SEG_OK);
    assert_memory_equal(nn_model_output(c), ref, n * sizeof(float));
    /* The source on another input leaves the clone's output alone. */
    fill_input(m, 99);
    assert_int_equal(nn_model_run(m), SEG_OK);
    assert_memory_equal(nn_model_output(c), ref, n * sizeof(float));
    assert_memory_not_equal(nn_model_output(m), ref, n * sizeof(float));
    nn_model_free(&m);
    fill_input(c, 7);
    assert_int_equal(nn_model_run(c), SEG_OK);
    assert_memory_equal(nn_model_output(c), ref, n * sizeof(float));
    nn_model_free(&c);
    assert_null(c);
    assert_int_equal(nn_model_clone(&c, NULL, err, sizeof err), SEG_ERR_INVALID);
    free(ref);
}

/* A raised cancel flag ends a run before its next node, serial and in the
 * parallel region; lowered again, the model runs normally. */
static void test_cancel_flag_interrupts_run(void **state)
{
    (void)state;
    char err[256];
    size_t len;
    uint8_t *b = read_model("selfie_segmentation.tflite", &len);
    nn_model *m = NULL;
    assert_int_equal(nn_model_load(&m, b, len, err, sizeof err), SEG_OK);
    free(b);
    atomic_int flag;
    atomic_init(&flag, 1);
    nn_model_set_cancel_flag(m, &flag);
    for (int threads = 1; threads <= 2; threads++) {
        nn_model_set_threads(m, threads);
        fill_input(m, 1);
        assert_int_equal(nn_model_run(m), SEG_ERR_INTERRUPTED);
    }
    atomic_store(&flag, 0);
    fill_input(m, 1);
    assert_int_equal(nn_model_run(m), SEG_OK);
    nn_model_set_cancel_flag(m, NULL);
    assert_int_equal(nn_model_run(m), SEG_OK);
    nn_model_free(&m);
}

/* DeepLabV3 257 (21 PASCAL VOC classes) is not fetched by the set-up: it is
 * found in models/ (where a user puts it), at $SEG_DEEPLAB_MODEL, or in the
 * team's shared models folder beside the checkout; otherwise the test skips
 * with a message. */
static uint8_t *read_deeplab(size_t *len, char *path, size_t pathlen)
{
    const char *env = getenv("SEG_DEEPLAB_MODEL");
    const char *cands[] = {env, SEG_SOURCE_DIR "/models/deeplabv3_257_mv_gpu.tflite",
                           SEG_SOURCE_DIR "/../shared/models/deeplabv3_257_mv_gpu.tflite"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (!cands[i])
            continue;
        uint8_t *b = read_all(cands[i], len);
        if (b) {
            snprintf(path, pathlen, "%s", cands[i]);
            return b;
        }
    }
    return NULL;
}

static void test_deeplab_matches_reference(void **state)
{
    (void)state;
    char path[1024], err[256];
    size_t mlen, rlen, llen, plen;
    uint8_t *mb = read_deeplab(&mlen, path, sizeof path);
    if (!mb) {
        printf("# SKIP: deeplabv3_257_mv_gpu.tflite not found (models/, $SEG_DEEPLAB_MODEL or "
               "../shared/models); see README, Models\n");
        skip();
    }
    uint8_t *rgb = read_all(SEG_TEST_DATA "/parity/deeplab_messi5.rgb", &rlen);
    uint8_t *labels = read_all(SEG_TEST_DATA "/parity/deeplab_messi5.labels", &llen);
    float *prob4 = (float *)(void *)read_all(SEG_TEST_DATA "/parity/deeplab_messi5.prob4.f32", &plen);
    assert_non_null(rgb);
    assert_non_null(labels);
    assert_non_null(prob4);
    assert_int_equal(rlen, 257 * 257 * 3);
    nn_model *m = NULL;
    if (nn_model_load(&m, mb, mlen, err, sizeof err))
        fail_msg("%s: %s", path, err);
    nn_shape os = nn_model_output_shape(m);
    assert_int_equal(os.h, 257);
    assert_int_equal(os.c, 21);
    float *x = nn_model_input(m);
    for (size_t i = 0; i < rlen; i++)
        x[i] = (float)rgb[i] / 127.5f - 1.0f; /* the recipe in make_deeplab.sh */
    nn_model_set_threads(m, 2);
    assert_int_equal(nn_model_run(m), SEG_OK);
    const float *y = nn_model_output(m);
    size_t agree = 0, n = 257 * 257, person = 0;
    float worst = 0.0f;
    for (size_t p = 0; p < n; p++) {
        const float *v = y + p * 21;
        int best = 0;
        float mx = v[0];
        for (int c = 1; c < 21; c++)
            if (v[c] > mx) {
                mx = v[c];
                best = c;
            }
        agree += best == labels[p];
        person += labels[p] == 15;
        int py = (int)(p / 257), px = (int)(p % 257);
        if (py % 4 == 0 && px % 4 == 0) {
            double sum = 0.0;
            for (int c = 0; c < 21; c++)
                sum += exp((double)(v[c] - mx));
            const float *want = prob4 + ((size_t)(py / 4) * 65 + (size_t)(px / 4)) * 21;
            for (int c = 0; c < 21; c++) {
                float d = fabsf((float)(exp((double)(v[c] - mx)) / sum) - want[c]);
                worst = d > worst ? d : worst;
            }
        }
    }
    printf("# deeplabv3 on messi5: softmax max abs diff %.3g, label agreement %.5f, person %.1f%%\n",
           (double)worst, (double)agree / (double)n, 100.0 * (double)person / (double)n);
    assert_true(worst <= 1e-3f);
    assert_true((double)agree >= 0.999 * (double)n);
    assert_true(person > n / 20);
    nn_model_free(&m);
    free(mb);
    free(rgb);
    free(labels);
    free(prob4);
}

/* ---- malformed files --------------------------------------------------- */

/* Load; on success run once on a fixed input so a file that loads cannot
 * make a kernel misbehave; on failure there must be a message. */
static int load_or_explain(const uint8_t *b, size_t len, int run)
{
    char err[256] = "";
    nn_model *m = NULL;
    int st = nn_model_load(&m, b, len, err, sizeof err);
    if (st == SEG_OK) {
        assert_non_null(m);
        if (run) {
            nn_shape s = nn_model_input_shape(m);
            float *x = nn_model_input(m);
            for (size_t i = 0; i < (size_t)s.h * s.w * s.c; i++)
                x[i] = 0.5f;
            assert_int_equal(nn_model_run(m), SEG_OK);
        }
        nn_model_free(&m);
    } else {
        assert_null(m);
        assert_true(st < 0);
        assert_true(strlen(err) > 0);
    }
    return st;
}

static void test_loader_rejects_empty_and_foreign_files(void **state)
{
    (void)state;
    char err[256];
    nn_model *m = (nn_model *)(uintptr_t)1;
    assert_int_equal(nn_model_load(&m, "", 0, err, sizeof err), SEG_ERR_BAD_MODEL);
    assert_null(m);
    assert_non_null(strstr(err, "empty"));
    const char *text = "this is not a model, just some words in a text file.\n";
    assert_int_equal(nn_model_load(&m, text, strlen(text), err, sizeof err), SEG_ERR_BAD_MODEL);
    assert_non_null(strstr(err, "not a TensorFlow Lite model"));
    uint8_t hdr[8] = {8, 0, 0, 0, 'T', 'F', 'L', '3'};
    assert_int_equal(nn_model_load(&m, hdr, sizeof hdr, err, sizeof err), SEG_ERR_BAD_MODEL);
    assert_int_equal(nn_model_load_file(&m, "/nonexistent/model.tflite", err, sizeof err),
                     SEG_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/model.tflite"));
    assert_int_not_equal(nn_model_load_file(&m, "/", err, sizeof err), SEG_OK);
    assert_null(m);
}

static void test_loader_rejects_truncated_model(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = read_model("selfie_segmentation.tflite", &len);
    /* Every cut fails: the weights are at the end, tables at the start. */
    size_t cuts[] = {4, 8, 16, 100, 1000, len / 4, len / 2, len - 1000, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint8_t *c = malloc(cuts[i]);
        memcpy(c, b, cuts[i]);
        assert_int_not_equal(load_or_explain(c, cuts[i], 0), SEG_OK);
        free(c);
    }
    free(b);
}

static void test_loader_survives_bit_flips(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = read_model("selfie_segmentation.tflite", &len);
    uint8_t *c = malloc(len);
    uint32_t r = 987654321u;
    int loaded = 0, failed = 0;
    /* 400 copies, 1-8 flipped bits each; half of them in the first 16 KiB
     * where the tables are, the rest anywhere. Every copy either loads (and
     * then runs) or fails with a message: ASan and UBSan watch both. */
    for (int k = 0; k < 400; k++) {
        memcpy(c, b, len);
        int flips = 1 + k % 8;
        for (int f = 0; f < flips; f++) {
            r = r * 1664525u + 1013904223u;
            size_t span = (k & 1) ? len : (len < 16384 ? len : 16384);
            size_t at = (r >> 4) % span;
            c[at] ^= (uint8_t)(1u << (r & 7));
        }
        if (load_or_explain(c, len, k % 10 == 0) == SEG_OK)
            loaded++;
        else
            failed++;
    }
    printf("# bit flips: %d loaded, %d rejected\n", loaded, failed);
    assert_int_equal(loaded + failed, 400);
    assert_true(failed > 0);
    free(c);
    free(b);
}

/* ---- hand-built models -------------------------------------------------- */

static const float W1[2 * 3] = {1, 0, 0, 0, 1, 0}; /* 1x1 conv 3 -> 2 channels */
static const float B1[2] = {0.5f, -0.5f};

/* input [1,2,2,3] -> CONV_2D 1x1 -> [1,2,2,2] -> op2 -> [1,2,2,2] */
static int build_small(int op2, int weight_type, uint8_t **buf, size_t *len)
{
    tb_tensor t[5] = {
        {"input", TB_FLOAT32, 4, {1, 2, 2, 3}, NULL, 0},
        {"w", weight_type, 4, {2, 1, 1, 3}, W1, sizeof W1},
        {"b", TB_FLOAT32, 1, {2, 0, 0, 0}, B1, sizeof B1},
        {"conv", TB_FLOAT32, 4, {1, 2, 2, 2}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 2, 2, 2}, NULL, 0},
    };
    static uint8_t w8[6];
    if (weight_type == TB_INT8) {
        t[1].data = w8;
        t[1].data_len = sizeof w8;
    }
    tb_op ops[2] = {
        {.builtin = 3, .n_in = 3, .in = {0, 1, 2}, .out = 3, .options_type = 1, .n_opts = 3,
         .opts = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}}},
        {.builtin = op2, .n_in = 1, .in = {3}, .out = 4},
    };
    return tb_build(t, 5, ops, 2, 0, 4, buf, len);
}

static void test_builder_model_runs_and_fuses(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(build_small(19 /* RELU */, TB_FLOAT32, &buf, &len), 0);
    nn_model *m = NULL;
    int st = nn_model_load(&m, buf, len, err, sizeof err);
    if (st)
        fail_msg("%s", err);
    assert_int_equal(nn_model_node_count(m), 1); /* RELU fused into the conv */
    float *x = nn_model_input(m);
    for (int i = 0; i < 12; i++)
        x[i] = (float)(i % 3) - 1.0f; /* pixels (-1, 0, 1) */
    assert_int_equal(nn_model_run(m), SEG_OK);
    const float *y = nn_model_output(m);
    /* channel 0 = relu(x0 + .5) = 0; channel 1 = relu(x1 - .5) = 0 */
    for (int p = 0; p < 4; p++) {
        assert_float_equal(y[p * 2], 0.0f, 0);
        assert_float_equal(y[p * 2 + 1], 0.0f, 0);
    }
    for (int i = 0; i < 12; i++)
        x[i] = 2.0f;
    assert_int_equal(nn_model_run(m), SEG_OK);
    y = nn_model_output(m);
    assert_float_equal(y[0], 2.5f, 1e-6f);
    assert_float_equal(y[1], 1.5f, 1e-6f);
    assert_int_equal(nn_model_macs(m), 4 * 2 * 3);
    nn_model_free(&m);
    free(buf);
}

static void test_unsupported_op_is_named(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    char err[256];
    nn_model *m = NULL;
    assert_int_equal(build_small(36 /* GATHER */, TB_FLOAT32, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "GATHER"));
    free(buf);
    assert_int_equal(build_small(200 /* beyond the table */, TB_FLOAT32, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    free(buf);
    assert_int_equal(build_small(19, TB_INT8, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "quantised"));
    assert_null(m);
    free(buf);
}

static void test_custom_op_is_named(void **state)
{
    (void)state;
    tb_tensor t[2] = {
        {"input", TB_FLOAT32, 4, {1, 2, 2, 3}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 2, 2, 3}, NULL, 0},
    };
    tb_op op = {.builtin = 32, .custom = "MaxPoolingWithArgmax2D", .n_in = 1, .in = {0}, .out = 1};
    uint8_t *buf;
    size_t len;
    char err[256];
    nn_model *m = NULL;
    assert_int_equal(tb_build(t, 2, &op, 1, 0, 1, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "MaxPoolingWithArgmax2D"));
    free(buf);
}

/* The graph check behind both loaders: a node whose tensors break its
 * kernel's contract is refused with the node and the reason, before anything
 * is planned (a loader's mistake must not become a read outside a tensor). */
static void set_shape(nn_tensor *t, int n, int h, int w, int c)
{
    t->shape[0] = n; t->shape[1] = h; t->shape[2] = w; t->shape[3] = c;
    t->rank = 4;
    t->elems = (size_t)n * h * w * c;
}

static void expect_refused(nn_model *m, const char *why)
{
    char err[512] = "";
    assert_int_equal(nn_graph_prepare(m, err, sizeof err), SEG_ERR_BAD_MODEL);
    if (!strstr(err, why))
        fail_msg("expected '%s' in: %s", why, err);
    assert_null(m->arena);
}

static void test_graph_check_refuses_inconsistent_nodes(void **state)
{
    (void)state;
    static float wdata[2 * 3 * 3 * 3];
    nn_tensor t[4];
    nn_node node;
    nn_model m;
    /* x [1,4,4,3] -> conv 3x3 (w [2,3,3,3]) -> y [1,4,4,2]; each case
     * breaks one thing. */
#define RESET()                                                               \
    do {                                                                      \
        memset(t, 0, sizeof t);                                               \
        memset(&node, 0, sizeof node);                                        \
        memset(&m, 0, sizeof m);                                              \
        set_shape(&t[0], 1, 4, 4, 3);                                         \
        set_shape(&t[1], 2, 3, 3, 3);                                         \
        t[1].is_const = 1;                                                    \
        t[1].data = wdata;                                                    \
        set_shape(&t[2], 1, 4, 4, 2);                                         \
        set_shape(&t[3], 1, 4, 4, 3);                                         \
        node.op = NN_OP_CONV_2D;                                              \
        node.tfl_name = "CONV_2D";                                            \
        node.n_in = 2;                                                        \
        node.in[0] = 0;                                                       \
        node.in[1] = 1;                                                       \
        node.out = 2;                                                         \
        node.win = (nn_window){3, 3, 1, 1, 1, 1, 1, 1};                       \
        m.tensors = t;                                                        \
        m.n_tensors = 4;                                                      \
        m.nodes = &node;                                                      \
        m.n_nodes = 1;                                                        \
        m.input = 0;                                                          \
        m.output = 2;                                                         \
    } while (0)
    RESET();
    node.win.kh = 5; /* the window the attribute claimed, not the weights' */
    expect_refused(&m, "node 0 (CONV_2D 'CONV_2D'): weights do not match the window");
    RESET();
    node.op = NN_OP_TRANSPOSE_CONV;
    set_shape(&t[2], 1, 8, 8, 5); /* 5 output channels from 2 filters */
    expect_refused(&m, "weights do not match the window or the channels");
    RESET();
    t[1].data = NULL;
    expect_refused(&m, "no constant weights");
    RESET();
    node.in[1] = 7; /* past the tensor table */
    expect_refused(&m, "input index out of range");
    RESET();
    t[0].elems = 1000; /* shape says 48 */
    expect_refused(&m, "an input's shape does not add up");
    RESET();
    node.op = NN_OP_DEPTHWISE_CONV_2D;
    node.mult = 1;
    expect_refused(&m, "output channels are not input channels x multiplier");
    RESET();
    node.op = NN_OP_BINARY; /* [1,4,4,3] against [2,3,3,3] */
    expect_refused(&m, "do not broadcast");
    RESET();
    node.op = NN_OP_CONCATENATION; /* 3 + 3 channels into 2 */
    node.in[1] = 3;
    node.axis = 3;
    expect_refused(&m, "do not add up to the output along the axis");
    RESET();
    node.op = NN_OP_ACTIVATION; /* 48 values into 32 */
    expect_refused(&m, "output size differs from the input");
    RESET();
    node.op = NN_OP_PAD;
    node.pads[1][0] = -1;
    expect_refused(&m, "padded input");
    RESET();
    node.op = NN_OP_DEPTH_TO_SPACE;
    node.block = 2; /* 3 channels do not split in 4 */
    expect_refused(&m, "rearranged input");
    RESET();
    node.op = NN_OP_TRANSPOSE;
    memcpy(node.vshape, t[0].shape, sizeof node.vshape);
    memcpy(node.perm, (int[4]){0, 1, 1, 3}, sizeof node.perm);
    expect_refused(&m, "not a permutation of the input");
#undef RESET
}

static void test_declared_shape_must_match(void **state)
{
    (void)state;
    /* A conv whose declared output is larger than it computes would make a
     * trusting kernel write out of bounds; the loader refuses it. */
    tb_tensor t[4] = {
        {"input", TB_FLOAT32, 4, {1, 2, 2, 3}, NULL, 0},
        {"w", TB_FLOAT32, 4, {2, 1, 1, 3}, W1, sizeof W1},
        {"b", TB_FLOAT32, 1, {2, 0, 0, 0}, B1, sizeof B1},
        {"conv", TB_FLOAT32, 4, {1, 4, 4, 2}, NULL, 0},
    };
    tb_op op = {.builtin = 3, .n_in = 3, .in = {0, 1, 2}, .out = 3, .options_type = 1,
                .n_opts = 3, .opts = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}}};
    uint8_t *buf;
    size_t len;
    char err[256];
    nn_model *m = NULL;
    assert_int_equal(tb_build(t, 4, &op, 1, 0, 3, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_BAD_MODEL);
    assert_non_null(strstr(err, "declared"));
    free(buf);
    /* Weights with fewer bytes than their shape needs. */
    t[3].shape[1] = t[3].shape[2] = 2;
    t[1].data_len = sizeof W1 - 4;
    assert_int_equal(tb_build(t, 4, &op, 1, 0, 3, &buf, &len), 0);
    assert_int_equal(nn_model_load(&m, buf, len, err, sizeof err), SEG_ERR_BAD_MODEL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selfie_matches_reference_messi),
        cmocka_unit_test(test_selfie_matches_reference_basketball),
        cmocka_unit_test(test_landscape_matches_reference_messi),
        cmocka_unit_test(test_deeplab_matches_reference),
        cmocka_unit_test(test_clone_runs_alone_and_outlives_source),
        cmocka_unit_test(test_cancel_flag_interrupts_run),
        cmocka_unit_test(test_loader_rejects_empty_and_foreign_files),
        cmocka_unit_test(test_loader_rejects_truncated_model),
        cmocka_unit_test(test_loader_survives_bit_flips),
        cmocka_unit_test(test_builder_model_runs_and_fuses),
        cmocka_unit_test(test_unsupported_op_is_named),
        cmocka_unit_test(test_custom_op_is_named),
        cmocka_unit_test(test_declared_shape_must_match),
        cmocka_unit_test(test_graph_check_refuses_inconsistent_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
