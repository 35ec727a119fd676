/* test_nn_detectors.c - MediaPipe's pose detector, face detectors and pose
 * landmark models through the engine, every output against the independent
 * reference (tflite_ref.py) on messi5.jpg; data and recipe in
 * tests/data/parity/make_detectors.sh.
 *
 * The models come from scripts/setup.sh (models/); a test whose model is
 * absent skips with that hint. With SEG_PARITY_DUMP=DIR set, every output is
 * also written whole to DIR/NAME.outK.f32, to compare all values (not only
 * the committed subsample) with the reference by hand. */
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
#include "seg_file.h"

typedef struct det_case {
    const char *name;      /* data prefix in tests/data/parity */
    const char *model;     /* file in models/ */
    const char *input;     /* .rgb in tests/data/parity */
    int size;              /* square input side */
    int range11;           /* 1: x / 127.5 - 1; 0: x / 255 */
    int n_out;
    int stride[5];         /* every stride-th value of output k was kept */
    const char *out_name[5];
} det_case;

static const det_case CASES[] = {
    {"posedet_messi5", "pose_detection.tflite", "det224_messi5", 224, 1, 2, {5, 1},
     {"Identity", "Identity_1"}},
    {"faceshort_messi5", "face_detection_short_range.tflite", "det128_messi5", 128, 1, 2, {3, 1},
     {"regressors", "classificators"}},
    {"facefull_messi5", "face_detection_full_range.tflite", "det192_messi5", 192, 1, 2, {5, 1},
     {"reshaped_regressor_face_4", "reshaped_classifier_face_4"}},
    {"facesparse_messi5", "face_detection_full_range_sparse.tflite", "det192_messi5", 192, 1, 2,
     {5, 1}, {"Identity", "Identity_1"}},
    {"poselite_messi5", "pose_landmark_lite.tflite", "roi256_messi5", 256, 0, 5, {1, 1, 7, 13, 1},
     {"Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"}},
    {"posefull_messi5", "pose_landmark_full.tflite", "roi256_messi5", 256, 0, 5, {1, 1, 7, 13, 1},
     {"Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"}},
    {"persondet_messi5", "person_detection_oidv4.tflite", "det300_messi5", 300, 1, 2, {3, 7},
     {"raw_outputs/box_encodings", "raw_outputs/class_predictions"}},
    {"persondet_vtest240", "person_detection_oidv4.tflite", "det300_vtest240", 300, 1, 2, {3, 7},
     {"raw_outputs/box_encodings", "raw_outputs/class_predictions"}},
};

static uint8_t *read_all(const char *path, size_t *len)
{
    /* common's reader (what the engine uses); NULL when it cannot. */
    uint8_t *b = NULL;
    char err[512];
    return seg_file_read(path, "file", (size_t)1 << 30, &b, len, err, sizeof err) ? NULL : b;
}

static size_t shape_elems(nn_shape s)
{
    return (size_t)s.n * s.h * s.w * s.c;
}

/* Worst absolute difference of output k over the kept values, and the
 * normalised mean squared error (sum d^2 / sum ref^2). */
static void compare(const det_case *c, int k, const float *got, size_t n, double *worst,
                    double *nmse, double *peak)
{
    char path[1024];
    size_t wlen;
    snprintf(path, sizeof path, "%s/parity/%s.out%d.f32", SEG_TEST_DATA, c->name, k);
    float *want = (float *)(void *)read_all(path, &wlen);
    if (!want)
        fail_msg("%s is missing", path);
    size_t kept = (n + (size_t)c->stride[k] - 1) / (size_t)c->stride[k];
    assert_int_equal(wlen, kept * sizeof(float));
    double se = 0.0, sr = 0.0;
    *worst = 0.0;
    *peak = 0.0;
    for (size_t i = 0; i < kept; i++) {
        double g = got[i * (size_t)c->stride[k]], w = want[i];
        double d = fabs(g - w);
        if (!(d <= *worst))
            *worst = d; /* NaN sticks */
        se += d * d;
        sr += w * w;
        *peak = fabs(w) > *peak ? fabs(w) : *peak;
    }
    *nmse = sr > 0.0 ? se / sr : se;
    free(want);
}

static void run_case(const det_case *c, int threads)
{
    char path[1024], err[256];
    size_t mlen, ilen;
    snprintf(path, sizeof path, "%s/models/%s", SEG_SOURCE_DIR, c->model);
    uint8_t *mb = read_all(path, &mlen);
    if (!mb) {
        printf("# SKIP: %s is missing: run scripts/setup.sh (it fetches the MediaPipe models)\n",
               path);
        skip();
    }
    snprintf(path, sizeof path, "%s/parity/%s.rgb", SEG_TEST_DATA, c->input);
    uint8_t *rgb = read_all(path, &ilen);
    assert_non_null(rgb);
    assert_int_equal(ilen, (size_t)c->size * c->size * 3);
    nn_model *m = NULL;
    if (nn_model_load(&m, mb, mlen, err, sizeof err))
        fail_msg("%s: %s", c->model, err);
    nn_shape is = nn_model_input_shape(m);
    assert_int_equal(is.h, c->size);
    assert_int_equal(is.w, c->size);
    assert_int_equal(is.c, 3);
    assert_int_equal(nn_model_output_count(m), c->n_out);
    /* output 0 through the old API is output 0 of the new one */
    assert_ptr_equal(nn_model_output(m), nn_model_output_k(m, 0));
    assert_int_equal(nn_model_output_shape_k(m, c->n_out).c, 0);
    nn_shape s0 = nn_model_output_shape(m), k0 = nn_model_output_shape_k(m, 0);
    assert_memory_equal(&s0, &k0, sizeof s0);
    assert_null(nn_model_output_k(m, c->n_out));
    assert_string_equal(nn_model_output_name(m, -1), "");
    nn_model_set_threads(m, threads);
    /* Twice: the second run must not depend on what the first left behind. */
    for (int run = 0; run < 2; run++) {
        float *x = nn_model_input(m);
        for (size_t i = 0; i < ilen; i++)
            x[i] = c->range11 ? (float)rgb[i] / 127.5f - 1.0f : (float)rgb[i] / 255.0f;
        assert_int_equal(nn_model_run(m), SEG_OK);
    }
    const char *dump = getenv("SEG_PARITY_DUMP");
    for (int k = 0; k < c->n_out; k++) {
        assert_string_equal(nn_model_output_name(m, k), c->out_name[k]);
        const float *y = nn_model_output_k(m, k);
        assert_non_null(y);
        size_t n = shape_elems(nn_model_output_shape_k(m, k));
        double worst, nmse, peak;
        compare(c, k, y, n, &worst, &nmse, &peak);
        printf("# %s %s out%d %s (%zu values), %d threads: max abs diff %.3g (values up to "
               "%.3g), NMSE %.3g\n",
               c->model, c->name, k, c->out_name[k], n, threads, worst, peak, nmse);
        /* float32 summation order differs from the reference's; logits of
         * several hundred carry proportionally larger absolute errors. */
        assert_true(worst <= 1e-3 * (peak > 1.0 ? peak : 1.0));
        assert_true(nmse <= 1e-9);
        if (dump) {
            snprintf(path, sizeof path, "%s/%s.out%d.f32", dump, c->name, k);
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(y, sizeof(float), n, f), n);
            fclose(f);
        }
    }
    nn_model_free(&m);
    free(mb);
    free(rgb);
}

static void test_pose_detector(void **state)
{
    (void)state;
    run_case(&CASES[0], 1);
    run_case(&CASES[0], 2);
}

static void test_face_detector_short_range(void **state)
{
    (void)state;
    run_case(&CASES[1], 2);
}

static void test_face_detector_full_range(void **state)
{
    (void)state;
    run_case(&CASES[2], 2);
}

static void test_face_detector_full_range_sparse(void **state)
{
    (void)state;
    run_case(&CASES[3], 1);
    run_case(&CASES[3], 2);
}

static void test_pose_landmark_lite(void **state)
{
    (void)state;
    run_case(&CASES[4], 1);
    run_case(&CASES[4], 2);
}

static void test_pose_landmark_full(void **state)
{
    (void)state;
    run_case(&CASES[5], 2);
}

/* The default person detector (MediaPipe Objectron's SSD on Open Images),
 * on a player and on walkers seen from above. */
static void test_person_detector(void **state)
{
    (void)state;
    run_case(&CASES[6], 1);
    run_case(&CASES[6], 2);
    run_case(&CASES[7], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pose_detector),
        cmocka_unit_test(test_person_detector),
        cmocka_unit_test(test_face_detector_short_range),
        cmocka_unit_test(test_face_detector_full_range),
        cmocka_unit_test(test_face_detector_full_range_sparse),
        cmocka_unit_test(test_pose_landmark_lite),
        cmocka_unit_test(test_pose_landmark_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
