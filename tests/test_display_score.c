/* test_display_score.c - display/disp_score: every metric on small frames
 * with hand-computed answers (IoU, boundary F within and beyond the
 * tolerance, false positives, see-through, flicker, percentiles, class-id
 * ground truth), the distance transforms against a brute-force reference,
 * no allocation per frame, the printers and bad arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disp_score.h"

/* ==== allocation counting =============================================== */

/* Every malloc-family call made by code linked into this test goes through
 * these (the linker's --wrap, see display_tests.cmake). */
#include "test_alloc_count.h"

/* ==== helpers =========================================================== */

static seg_image gray(int w, int h)
{
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, w, h, SEG_PIX_GRAY8), SEG_OK);
    return im;
}

static uint8_t *at(const seg_image *im, int x, int y)
{
    return im->data + (size_t)y * im->stride + (size_t)x;
}

/* Fill [x0, x1) x [y0, y1) with v. */
static void rect(seg_image *im, int x0, int y0, int x1, int y1, uint8_t v)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            *at(im, x, y) = v;
}

static void clear(seg_image *im)
{
    rect(im, 0, 0, im->width, im->height, 0);
}

#define expect_near(got, want, eps) expect_near_((got), (want), (eps), #got, __LINE__)
static void expect_near_(double got, double want, double eps, const char *what, int line)
{
    if (!(fabs(got - want) <= eps))
        fail_msg("line %d: %s is %.17g, expected %.17g", line, what, got, want);
}

#define expect_nan(v) expect_nan_((v), #v, __LINE__)
static void expect_nan_(double v, const char *what, int line)
{
    if (!isnan(v))
        fail_msg("line %d: %s is %.17g, expected NAN", line, what, v);
}

static disp_score *scorer(const disp_score_options *o)
{
    disp_score *s = NULL;
    assert_int_equal(disp_score_create(&s, o), SEG_OK);
    assert_non_null(s);
    return s;
}

static disp_score_result result(const disp_score *s)
{
    disp_score_result r;
    assert_int_equal(disp_score_result_get(s, &r), SEG_OK);
    return r;
}

static void add(disp_score *s, const seg_image *a, const seg_image *g, disp_score_frame *f)
{
    int st = disp_score_add(s, a, g, f);
    if (st != SEG_OK)
        fail_msg("disp_score_add: %s (%s)", seg_status_str(st), disp_score_last_error(s));
}

/* ==== IoU, boundary F, false positives ================================== */

/* Identical masks, two frames: IoU 1, F 1, no flicker, nothing see-through,
 * no empty frame (fp undefined). */
static void test_identical_masks_score_perfectly(void **state)
{
    (void)state;
    seg_image gt = gray(16, 16), a = gray(16, 16);
    rect(&gt, 4, 4, 12, 12, 255);
    rect(&a, 4, 4, 12, 12, 255);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    expect_nan(f.flicker); /* the first frame has no predecessor */
    add(s, &a, &gt, &f);
    assert_int_equal(f.people, 1);
    assert_int_equal(f.gt_pixels, 64);
    assert_int_equal(f.pred_pixels, 64);
    expect_near(f.iou, 1.0, 0);
    expect_near(f.boundary_f, 1.0, 0);
    expect_near(f.flicker, 0.0, 0);
    /* margin max(2, round(0.16)) = 2: the interior is [6,10)^2 */
    assert_int_equal(f.margin, 2);
    assert_int_equal(f.tolerance, 1);
    assert_int_equal(f.interior_pixels, 16);
    assert_int_equal(f.see_through_pixels, 0);

    disp_score_result r = result(s);
    assert_int_equal(r.frames, 2);
    assert_int_equal(r.frames_people, 2);
    assert_int_equal(r.frames_empty, 0);
    assert_int_equal(r.frames_void, 0);
    expect_near(r.iou_mean, 1.0, 0);
    expect_near(r.iou_p10, 1.0, 0);
    expect_near(r.iou_p50, 1.0, 0);
    expect_near(r.boundary_f, 1.0, 0);
    expect_near(r.boundary_precision, 1.0, 0);
    expect_near(r.boundary_recall, 1.0, 0);
    expect_nan(r.fp_mean);
    expect_nan(r.fp_max);
    expect_near(r.see_through, 0.0, 0);
    assert_int_equal(r.interior_pixels, 32);
    expect_near(r.flicker, 0.0, 0);
    assert_int_equal(r.flicker_pixels, 256);
    disp_score_free(&s);
    assert_null(s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* Two 6x6 squares 12 px apart: nothing overlaps, no boundary pixel is
 * within the tolerance (1 px at 32x16). */
static void test_disjoint_masks_score_zero(void **state)
{
    (void)state;
    seg_image gt = gray(32, 16), a = gray(32, 16);
    rect(&gt, 2, 2, 8, 8, 255);
    rect(&a, 20, 2, 26, 8, 255);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    expect_near(f.iou, 0.0, 0);
    expect_near(f.precision, 0.0, 0);
    expect_near(f.recall, 0.0, 0);
    expect_near(f.boundary_f, 0.0, 0);
    disp_score_result r = result(s);
    expect_near(r.iou_mean, 0.0, 0);
    expect_near(r.iou_p10, 0.0, 0);
    expect_near(r.boundary_f, 0.0, 0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* GT columns 0..7, prediction 4..11 of 16x4: 16 / 48 = 1/3 exactly; the
 * percentile keeps it as bin 3333 (of 10000). */
static void test_half_overlap_iou_is_a_third(void **state)
{
    (void)state;
    seg_image gt = gray(16, 4), a = gray(16, 4);
    rect(&gt, 0, 0, 8, 4, 255);
    rect(&a, 4, 0, 12, 4, 200);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    assert_true(f.iou == 1.0 / 3.0);
    disp_score_result r = result(s);
    assert_true(r.iou_mean == 1.0 / 3.0);
    assert_true(r.iou_p50 == 3333.0 / DISP_SCORE_IOU_BINS);
    /* alpha 127 is background: the same score */
    rect(&a, 12, 0, 16, 4, 127);
    add(s, &a, &gt, &f);
    assert_true(f.iou == 1.0 / 3.0);
    assert_int_equal(f.pred_pixels, 32);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* Empty GT: 7 then 3 of 100 pixels predicted: mean 0.05, max 0.07; no
 * IoU (the frames are not people frames). */
static void test_empty_gt_false_positive_share(void **state)
{
    (void)state;
    seg_image gt = gray(10, 10), a = gray(10, 10);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    rect(&a, 0, 0, 7, 1, 128); /* 7 px at exactly the threshold */
    rect(&a, 0, 5, 10, 6, 127); /* 10 px just below it */
    add(s, &a, &gt, &f);
    assert_int_equal(f.people, 0);
    assert_true(f.fp_share == 0.07);
    expect_nan(f.iou);
    expect_nan(f.boundary_f);
    clear(&a);
    rect(&a, 3, 3, 6, 4, 255);
    add(s, &a, &gt, &f);
    assert_true(f.fp_share == 0.03);
    disp_score_result r = result(s);
    assert_int_equal(r.frames, 2);
    assert_int_equal(r.frames_people, 0);
    assert_int_equal(r.frames_empty, 2);
    expect_near(r.fp_mean, 0.05, 1e-15);
    assert_true(r.fp_max == 0.07);
    expect_nan(r.iou_mean);
    expect_nan(r.iou_p10);
    expect_nan(r.boundary_f);
    expect_nan(r.see_through);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* GT square [5,15)^2 in 20x20 and the same square shifted right by `shift`;
 * boundary F with tolerance r. */
static disp_score_frame shifted_square(int shift, int r)
{
    seg_image gt = gray(20, 20), a = gray(20, 20);
    rect(&gt, 5, 5, 15, 15, 255);
    rect(&a, 5 + shift, 5, 15 + shift, 15, 255);
    disp_score_options o = disp_score_options_default();
    o.tolerance = r;
    disp_score *s = scorer(&o);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    assert_int_equal(f.tolerance, r);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
    return f;
}

static void test_boundary_shift_within_tolerance(void **state)
{
    (void)state;
    /* every boundary pixel of either square is 0 or 1 px from the other's */
    disp_score_frame f = shifted_square(1, 1);
    expect_near(f.precision, 1.0, 0);
    expect_near(f.recall, 1.0, 0);
    expect_near(f.boundary_f, 1.0, 0);
    assert_true(f.iou == 90.0 / 110.0);
    /* tolerance 0: only the shared top and bottom row pixels x = 6..14
     * (9 + 9 of 36) match */
    f = shifted_square(1, 0);
    assert_true(f.precision == 0.5);
    assert_true(f.recall == 0.5);
}

/* Shifted by 3 (boundaries of 36 px each). Tolerance 1: of the predicted
 * boundary, the top and bottom rows match at x = 8..15 (8 + 8), the left
 * column x = 8 at y = 6 and 13 only (1 px from the GT's top and bottom
 * rows), the right column x = 17 nowhere (3 px off): 18 / 36. Tolerance 2:
 * the rows reach x = 16 (9 + 9) and the left column y = 6, 7, 12, 13: 22 /
 * 36. Recall is the mirror image. */
static void test_boundary_shift_beyond_tolerance(void **state)
{
    (void)state;
    disp_score_frame f = shifted_square(3, 1);
    assert_true(f.precision == 0.5);
    assert_true(f.recall == 0.5);
    assert_true(f.boundary_f == 0.5);
    f = shifted_square(3, 2);
    assert_true(f.precision == 22.0 / 36.0);
    assert_true(f.recall == 22.0 / 36.0);
    expect_near(f.boundary_f, 22.0 / 36.0, 1e-15);
    /* Euclidean, not a square window: a 2 px diagonal shift with tolerance 2
     * leaves the corners' diagonal neighbours (distance sqrt(8)) unmatched
     * where a Chebyshev window would match them. Checked exactly against
     * the brute-force reference in test_transforms_match_brute_force. */
}

/* A GT frame with nobody but a full-frame GT: no GT boundary (the frame's
 * edge is none), so recall is 1 by convention; a prediction with a hole
 * has a boundary matched nowhere: precision 0, F 0. */
static void test_boundary_conventions(void **state)
{
    (void)state;
    seg_image gt = gray(8, 8), a = gray(8, 8);
    rect(&gt, 0, 0, 8, 8, 255);
    rect(&a, 0, 0, 8, 8, 255);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    expect_near(f.boundary_f, 1.0, 0); /* neither has a boundary */
    *at(&a, 4, 4) = 0;                 /* a one-pixel hole: 4 boundary px */
    add(s, &a, &gt, &f);
    expect_near(f.precision, 0.0, 0);
    expect_near(f.recall, 1.0, 0);
    expect_near(f.boundary_f, 0.0, 0);
    assert_true(f.iou == 63.0 / 64.0);
    /* nothing predicted on a people frame: P 1 by convention, R 0, F 0 */
    clear(&gt);
    rect(&gt, 2, 2, 6, 6, 255);
    clear(&a);
    add(s, &a, &gt, &f);
    expect_near(f.precision, 1.0, 0);
    expect_near(f.recall, 0.0, 0);
    expect_near(f.boundary_f, 0.0, 0);
    expect_near(f.iou, 0.0, 0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* ==== see-through ======================================================= */

/* GT [2,18)^2 in 20x20, margin 2: the interior is [4,16)^2, 144 px (x = 4
 * is 3 px from the background at x = 1). 5 interior pixels at 229 count,
 * 3 at 230 do not, nor 4 edge pixels at 0 (not interior). */
static void test_see_through_counts_interior(void **state)
{
    (void)state;
    seg_image gt = gray(20, 20), a = gray(20, 20);
    rect(&gt, 2, 2, 18, 18, 255);
    rect(&a, 2, 2, 18, 18, 255);
    rect(&a, 4, 4, 9, 5, 229);    /* 5 interior, see-through */
    rect(&a, 15, 13, 16, 16, 230); /* 3 interior, solid */
    rect(&a, 2, 8, 3, 12, 0);     /* 4 on the edge, not interior */
    rect(&a, 3, 3, 4, 4, 0);      /* 2 px from the background: not interior */
    disp_score_options o = disp_score_options_default();
    o.margin = 2;
    disp_score *s = scorer(&o);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    assert_int_equal(f.interior_pixels, 144);
    assert_int_equal(f.see_through_pixels, 5);
    disp_score_result r = result(s);
    assert_true(r.see_through == 5.0 / 144.0);
    assert_int_equal(r.margin, 2);
    disp_score_free(&s);

    /* margin 0: the whole GT, 256 px, and 5 + 4 + 1 below 230 */
    o.margin = 0;
    s = scorer(&o);
    add(s, &a, &gt, &f);
    assert_int_equal(f.interior_pixels, 256);
    assert_int_equal(f.see_through_pixels, 10);
    /* pixel-weighted over frames: (10 + 10) / (256 + 256) */
    add(s, &a, &gt, &f);
    r = result(s);
    assert_true(r.see_through == 20.0 / 512.0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* The frame's edge erodes nothing: GT x < 10 of 20x10, margin 2, interior
 * x < 8 on every row (80 px); an ignored pixel erodes like background. */
static void test_see_through_frame_edge(void **state)
{
    (void)state;
    seg_image gt = gray(20, 10), a = gray(20, 10);
    rect(&gt, 0, 0, 10, 10, 255);
    disp_score_options o = disp_score_options_default();
    o.margin = 2;
    o.ignore = 77;
    disp_score *s = scorer(&o);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    assert_int_equal(f.interior_pixels, 80);
    assert_int_equal(f.see_through_pixels, 80);
    /* an ignored pixel at (0,0) removes the interior within 2 px of it:
     * (0,0) itself (ignored, not GT) and (1,0), (2,0), (0,1), (1,1), (0,2) */
    *at(&gt, 0, 0) = 77;
    add(s, &a, &gt, &f);
    assert_int_equal(f.interior_pixels, 74);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* ==== flicker =========================================================== */

/* 4x2 frames. Frame 2 changes alpha at (0,0) by 255 where the GT changes
 * too (excluded), at (1,0) by 51 and (2,0) by 102: 153 / 255 over the 7
 * stable pixels. After a new sequence the first frame adds nothing and a
 * repeat adds 8 unchanged pixels. */
static void test_flicker_over_stable_gt(void **state)
{
    (void)state;
    seg_image gt = gray(4, 2), a = gray(4, 2);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    expect_nan(f.flicker);
    disp_score_result r = result(s);
    expect_nan(r.flicker);
    assert_int_equal(r.flicker_pixels, 0);

    *at(&gt, 0, 0) = 255;
    *at(&a, 0, 0) = 255;
    *at(&a, 1, 0) = 51;
    *at(&a, 2, 0) = 102;
    add(s, &a, &gt, &f);
    assert_true(f.flicker == 153.0 / 255.0 / 7.0);
    r = result(s);
    assert_int_equal(r.flicker_pixels, 7);
    assert_true(r.flicker == 153.0 / 255.0 / 7.0);

    disp_score_new_sequence(s);
    add(s, &a, &gt, &f);
    expect_nan(f.flicker);
    add(s, &a, &gt, &f);
    expect_near(f.flicker, 0.0, 0);
    r = result(s);
    assert_int_equal(r.flicker_pixels, 15);
    assert_true(r.flicker == 153.0 / 255.0 / 15.0);

    /* reset forgets everything, totals and history */
    disp_score_reset(s);
    add(s, &a, &gt, &f);
    expect_nan(f.flicker);
    r = result(s);
    assert_int_equal(r.frames, 1);
    assert_int_equal(r.flicker_pixels, 0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* ==== percentiles ======================================================= */

/* GT a 20-pixel row, prediction its first k pixels: IoU k / 20. Seven
 * frames with IoUs .5 .1 .9 .3 .7 .2 .6 (sorted .1 .2 .3 .5 .6 .7 .9):
 * nearest rank ceil(p/100 * 7): p10 -> 1st, p50 -> 4th, p80 -> 6th, p90 ->
 * 7th, p0 -> 1st, p100 -> 7th. */
static void test_percentiles_nearest_rank(void **state)
{
    (void)state;
    static const int K[] = {10, 2, 18, 6, 14, 4, 12};
    seg_image gt = gray(20, 1), a = gray(20, 1);
    rect(&gt, 0, 0, 20, 1, 255);
    disp_score *s = scorer(NULL);
    expect_nan(disp_score_iou_percentile(s, 50));
    for (size_t i = 0; i < sizeof(K) / sizeof(K[0]); i++) {
        clear(&a);
        rect(&a, 0, 0, K[i], 1, 255);
        add(s, &a, &gt, NULL);
    }
    assert_true(disp_score_iou_percentile(s, 10) == 0.1);
    assert_true(disp_score_iou_percentile(s, 50) == 0.5);
    assert_true(disp_score_iou_percentile(s, 80) == 0.7);
    assert_true(disp_score_iou_percentile(s, 90) == 0.9);
    assert_true(disp_score_iou_percentile(s, 0) == 0.1);
    assert_true(disp_score_iou_percentile(s, 100) == 0.9);
    assert_true(disp_score_iou_percentile(s, 14.3) == 0.2); /* ceil(1.001) = 2 */
    expect_nan(disp_score_iou_percentile(s, -1));
    expect_nan(disp_score_iou_percentile(s, 100.5));
    expect_nan(disp_score_iou_percentile(NULL, 50));
    disp_score_result r = result(s);
    assert_true(r.iou_p10 == 0.1);
    assert_true(r.iou_p50 == 0.5);
    expect_near(r.iou_mean, 3.3 / 7.0, 1e-15);

    /* 20 frames k = 1..20 in a scrambled order: p10 is the 2nd, 0.1 */
    disp_score_reset(s);
    for (int i = 0; i < 20; i++) {
        clear(&a);
        rect(&a, 0, 0, (i * 7) % 20 + 1, 1, 255);
        add(s, &a, &gt, NULL);
    }
    r = result(s);
    assert_true(r.iou_p10 == 0.1);
    assert_true(r.iou_p50 == 0.5);
    assert_true(disp_score_iou_percentile(s, 95) == 0.95);
    expect_near(r.iou_mean, 210.0 / 400.0, 1e-15);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* ==== class-id ground truth ============================================= */

/* GT ids: person 15 (foreground), dog 12 and 0 (background), 255 void.
 * Prediction foreground at 0, 1, 2, 4 and on the void pixel 8. */
static void test_class_ids_and_ignore(void **state)
{
    (void)state;
    static const uint8_t G[10] = {15, 15, 15, 15, 12, 12, 0, 0, 255, 255};
    static const uint8_t A[10] = {255, 255, 255, 0, 255, 0, 0, 0, 255, 0};
    seg_image gt = gray(10, 1), a = gray(10, 1);
    memcpy(gt.data, G, 10);
    memcpy(a.data, A, 10);
    disp_score_options o = disp_score_options_default();
    o.gt = DISP_SCORE_GT_CLASSES;
    o.fg_classes[15] = 1;
    o.ignore = 255;
    disp_score *s = scorer(&o);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    /* the void pixels are in neither: 3 / (4 + 4 - 3) */
    assert_int_equal(f.gt_pixels, 4);
    assert_int_equal(f.pred_pixels, 4);
    assert_int_equal(f.valid_pixels, 8);
    assert_true(f.iou == 0.6);
    disp_score_free(&s);

    /* without ignore the predicted void pixel is a false positive: 3 / 6 */
    o.ignore = -1;
    s = scorer(&o);
    add(s, &a, &gt, &f);
    assert_true(f.iou == 0.5);
    /* a frame of dogs only is an empty frame: 5 of 10 predicted */
    memset(gt.data, 12, 10);
    add(s, &a, &gt, &f);
    assert_int_equal(f.people, 0);
    assert_true(f.fp_share == 0.5);
    disp_score_free(&s);

    /* the same bytes read as a binary mask: foreground is the 255s */
    memcpy(gt.data, G, 10);
    s = scorer(NULL);
    add(s, &a, &gt, &f);
    assert_true(f.iou == 1.0 / 6.0);
    disp_score_free(&s);

    /* every pixel ignored: a void frame, in no statistic */
    o.ignore = 7;
    s = scorer(&o);
    memset(gt.data, 7, 10);
    add(s, &a, &gt, &f);
    assert_int_equal(f.people, -1);
    expect_nan(f.iou);
    expect_nan(f.fp_share);
    disp_score_result r = result(s);
    assert_int_equal(r.frames, 1);
    assert_int_equal(r.frames_void, 1);
    assert_int_equal(r.frames_people + r.frames_empty, 0);
    disp_score_free(&s);
    assert_string_equal(disp_score_gt_name(DISP_SCORE_GT_CLASSES), "classes");
    assert_null(disp_score_gt_name(DISP_SCORE_GT_COUNT));
    seg_image_free(&gt);
    seg_image_free(&a);
}

/* ==== defaults, sizes, allocations ====================================== */

static void test_default_radii(void **state)
{
    (void)state;
    /* round(0.008 * 1468.6) = 12, round(7.2) = 7 */
    assert_int_equal(disp_score_default_tolerance(1280, 720), 12);
    assert_int_equal(disp_score_default_margin(1280, 720), 7);
    /* round(17.62) = 18, round(10.8) = 11 */
    assert_int_equal(disp_score_default_tolerance(1920, 1080), 18);
    assert_int_equal(disp_score_default_margin(1920, 1080), 11);
    assert_int_equal(disp_score_default_tolerance(64, 48), 1);
    assert_int_equal(disp_score_default_margin(64, 48), 2);
    assert_int_equal(disp_score_default_tolerance(1, 1), 1);

    /* a 720p frame uses them: a 400x600 person, alpha solid inside */
    seg_image gt = gray(1280, 720), a = gray(1280, 720);
    rect(&gt, 400, 100, 800, 700, 255);
    rect(&a, 402, 100, 800, 700, 255);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    assert_int_equal(f.tolerance, 12);
    assert_int_equal(f.margin, 7);
    expect_near(f.boundary_f, 1.0, 0);
    assert_true(f.iou == 398.0 / 400.0);
    /* interior [407,793) x [107,693): 386 x 586 */
    assert_int_equal(f.interior_pixels, 386 * 586);
    assert_int_equal(f.see_through_pixels, 0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
}

static void test_no_allocation_per_frame(void **state)
{
    (void)state;
    seg_image gt = gray(64, 48), a = gray(64, 48), gt2 = gray(40, 30), a2 = gray(40, 30);
    rect(&gt, 10, 10, 40, 40, 255);
    rect(&a, 12, 10, 40, 44, 255);
    disp_score *s = scorer(NULL);
    disp_score_frame f;
    add(s, &a, &gt, &f);
    long before = allocs;
    for (int i = 0; i < 10; i++) {
        *at(&a, i, 0) = (uint8_t)(i * 20);
        add(s, &a, &gt, &f);
    }
    disp_score_result r = result(s);
    assert_int_equal(allocs, before);
    assert_int_equal(r.frames, 11);
    /* a new size reallocates once and starts a new sequence */
    rect(&gt2, 5, 5, 20, 20, 255);
    rect(&a2, 5, 5, 20, 20, 255);
    add(s, &a2, &gt2, &f);
    assert_int_equal(allocs, before + 1);
    expect_nan(f.flicker);
    expect_near(f.iou, 1.0, 0);
    add(s, &a2, &gt2, &f);
    assert_int_equal(allocs, before + 1);
    expect_near(f.flicker, 0.0, 0);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
    seg_image_free(&gt2);
    seg_image_free(&a2);
}

/* ==== the transforms against brute force ================================ */

static uint32_t rng = 12345u;
static int rnd(int n)
{
    rng = rng * 1664525u + 1013904223u;
    return (int)((rng >> 8) % (uint32_t)n);
}

/* The definitions in disp_score.h, by exhaustive search. lab: 0 bg, 1 fg,
 * 2 ignored. */
static int is_fg(const uint8_t *m, int w, int x, int y)
{
    return m[y * w + x] == 1;
}

static int boundary(const uint8_t *m, int w, int h, int x, int y)
{
    if (!is_fg(m, w, x, y))
        return 0;
    return (x > 0 && !is_fg(m, w, x - 1, y)) || (x < w - 1 && !is_fg(m, w, x + 1, y)) ||
           (y > 0 && !is_fg(m, w, x, y - 1)) || (y < h - 1 && !is_fg(m, w, x, y + 1));
}

/* Is there a pixel with b != 0 within Euclidean distance r of (x, y)? */
static int near_any(const uint8_t *b, int w, int h, int x, int y, int r)
{
    for (int yy = y - r < 0 ? 0 : y - r; yy < h && yy <= y + r; yy++)
        for (int xx = x - r < 0 ? 0 : x - r; xx < w && xx <= x + r; xx++)
            if (b[yy * w + xx] && (xx - x) * (xx - x) + (yy - y) * (yy - y) <= r * r)
                return 1;
    return 0;
}

static void test_transforms_match_brute_force(void **state)
{
    (void)state;
    enum { MAXW = 41, MAXH = 29, IGN = 77 };
    static uint8_t lab[MAXW * MAXH], pf[MAXW * MAXH], bg[MAXW * MAXH], bp[MAXW * MAXH],
        notfg[MAXW * MAXH];
    for (int it = 0; it < 300; it++) {
        int w = 1 + rnd(MAXW), h = 1 + rnd(MAXH);
        seg_image gt = gray(w, h), a = gray(w, h);
        /* a few discs and boxes of foreground, some void, noisy alpha */
        for (int k = rnd(4); k >= 0; k--) {
            int cx = rnd(w), cy = rnd(h), rr = 1 + rnd(10), box = rnd(2);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int in = box ? abs(x - cx) <= rr && abs(y - cy) <= rr / 2
                                 : (x - cx) * (x - cx) + (y - cy) * (y - cy) <= rr * rr;
                    if (in)
                        *at(&gt, x, y) = 255;
                }
        }
        for (int k = rnd(3); k > 0; k--)
            *at(&gt, rnd(w), rnd(h)) = IGN;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int dx = rnd(3) - 1;
                int sx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                uint8_t v = *at(&gt, sx, y) == 255 ? 255 : 0; /* a jittered copy */
                if (rnd(20) == 0)
                    v = (uint8_t)rnd(256);
                *at(&a, x, y) = v;
            }
        disp_score_options o = disp_score_options_default();
        o.ignore = IGN;
        o.tolerance = rnd(6);
        o.margin = rnd(5);
        disp_score *s = scorer(&o);
        disp_score_frame f;
        add(s, &a, &gt, &f);

        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t g = *at(&gt, x, y);
                lab[y * w + x] = g == IGN ? 2 : g >= 128;
                pf[y * w + x] = *at(&a, x, y) >= 128;
                notfg[y * w + x] = lab[y * w + x] != 1;
            }
        int64_t gtfg = 0, np = 0, mp = 0, ng = 0, mg = 0, in = 0, low = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                bg[y * w + x] = (uint8_t)boundary(lab, w, h, x, y);
                bp[y * w + x] = (uint8_t)boundary(pf, w, h, x, y);
                gtfg += lab[y * w + x] == 1;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (bp[y * w + x] && lab[y * w + x] != 2) {
                    np++;
                    mp += near_any(bg, w, h, x, y, o.tolerance);
                }
                if (bg[y * w + x]) {
                    ng++;
                    mg += near_any(bp, w, h, x, y, o.tolerance);
                }
                if (lab[y * w + x] == 1 && !near_any(notfg, w, h, x, y, o.margin)) {
                    in++;
                    low += *at(&a, x, y) < 230;
                }
            }
        if (gtfg == 0) {
            assert_int_equal(f.people, 0);
        } else {
            assert_int_equal(f.people, 1);
            double p = np ? (double)mp / (double)np : 1.0;
            double rc = ng ? (double)mg / (double)ng : 1.0;
            if (f.precision != p || f.recall != rc)
                fail_msg("iteration %d (%dx%d, r %d): P %.17g R %.17g, expected %.17g %.17g",
                         it, w, h, o.tolerance, f.precision, f.recall, p, rc);
            assert_int_equal(f.interior_pixels, in);
            assert_int_equal(f.see_through_pixels, low);
        }
        disp_score_free(&s);
        seg_image_free(&gt);
        seg_image_free(&a);
    }
}

/* ==== printers ========================================================== */

static disp_score_result known_result(void)
{
    disp_score_result r;
    memset(&r, 0, sizeof(r));
    r.frames = 3;
    r.frames_people = 2;
    r.frames_empty = 1;
    r.iou_mean = 0.5;
    r.iou_p10 = 0.25;
    r.iou_p50 = 0.75;
    r.boundary_f = r.boundary_precision = r.boundary_recall = 1.0;
    r.fp_mean = r.fp_max = 0.125;
    r.see_through = (double)NAN;
    r.flicker = 0.0;
    r.flicker_pixels = 10;
    r.tolerance = 1;
    r.margin = 2;
    return r;
}

static void test_json_and_text(void **state)
{
    (void)state;
    disp_score_result r = known_result();
    static const char JSON[] =
        "{\"frames\":3,\"frames_people\":2,\"frames_empty\":1,\"frames_void\":0,"
        "\"iou_mean\":0.500000,\"iou_p10\":0.250000,\"iou_p50\":0.750000,"
        "\"boundary_f\":1.000000,\"boundary_precision\":1.000000,"
        "\"boundary_recall\":1.000000,\"fp_mean\":0.125000,\"fp_max\":0.125000,"
        "\"see_through\":null,\"interior_pixels\":0,\"flicker\":0.000000,"
        "\"flicker_pixels\":10,\"tolerance_px\":1,\"margin_px\":2}";
    char buf[1024];
    assert_int_equal(disp_score_format_json(&r, buf, sizeof(buf)), (int)strlen(JSON));
    assert_string_equal(buf, JSON);
    static const char TEXT[] =
        "frames           3 (people 2, empty 1, void 0)\n"
        "IoU              mean 0.5000  p10 0.2500  median 0.7500\n"
        "boundary F       1.0000 (precision 1.0000, recall 1.0000; tolerance 1 px)\n"
        "false positives  mean 0.1250  max 0.1250 (share of the frame)\n"
        "see-through      n/a (of 0 interior px; margin 2 px)\n"
        "flicker          0.0000 (mean alpha change, 0..1, over 10 px)\n";
    assert_int_equal(disp_score_format_text(&r, buf, sizeof(buf)), (int)strlen(TEXT));
    assert_string_equal(buf, TEXT);
    /* snprintf's contract: the whole length, a truncated NUL-terminated text */
    assert_int_equal(disp_score_format_text(&r, NULL, 0), (int)strlen(TEXT));
    char small[8];
    assert_int_equal(disp_score_format_json(&r, small, sizeof(small)), (int)strlen(JSON));
    assert_string_equal(small, "{\"frame");

    /* a fresh scorer: every average undefined */
    disp_score *s = scorer(NULL);
    r = result(s);
    assert_int_equal(disp_score_format_json(&r, buf, sizeof(buf)) > 0, 1);
    assert_non_null(strstr(buf, "\"iou_mean\":null,"));
    assert_non_null(strstr(buf, "\"flicker\":null,"));
    disp_score_free(&s);
}

/* ==== bad arguments ===================================================== */

static void test_bad_arguments(void **state)
{
    (void)state;
    disp_score *s = (disp_score *)&s; /* not NULL: create must clear it */
    assert_int_equal(disp_score_create(NULL, NULL), SEG_ERR_INVALID);
    disp_score_options o = disp_score_options_default();
    o.tolerance = -2;
    assert_int_equal(disp_score_create(&s, &o), SEG_ERR_INVALID);
    assert_null(s);
    o = disp_score_options_default();
    o.margin = DISP_SCORE_MAX_RADIUS + 1;
    assert_int_equal(disp_score_create(&s, &o), SEG_ERR_INVALID);
    o = disp_score_options_default();
    o.ignore = 256;
    assert_int_equal(disp_score_create(&s, &o), SEG_ERR_INVALID);
    o = disp_score_options_default();
    o.gt = DISP_SCORE_GT_COUNT;
    assert_int_equal(disp_score_options_check(&o), SEG_ERR_INVALID);
    assert_int_equal(disp_score_options_check(NULL), SEG_ERR_INVALID);

    s = scorer(NULL);
    seg_image gt = gray(8, 4), a = gray(8, 4), other = gray(4, 8), rgb = {0};
    assert_int_equal(seg_image_alloc(&rgb, 8, 4, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(disp_score_add(NULL, &a, &gt, NULL), SEG_ERR_INVALID);
    assert_int_equal(disp_score_add(s, NULL, &gt, NULL), SEG_ERR_INVALID);
    assert_int_equal(disp_score_add(s, &a, NULL, NULL), SEG_ERR_INVALID);
    assert_int_equal(disp_score_add(s, &a, &other, NULL), SEG_ERR_INVALID);
    assert_int_equal(disp_score_add(s, &rgb, &gt, NULL), SEG_ERR_INVALID);
    assert_true(strlen(disp_score_last_error(s)) > 0);
    seg_image bad = a;
    bad.width = 0;
    assert_int_equal(disp_score_add(s, &bad, &gt, NULL), SEG_ERR_INVALID);
    bad = a;
    bad.height = 0;
    assert_int_equal(disp_score_add(s, &a, &bad, NULL), SEG_ERR_INVALID);
    bad = a;
    bad.stride = 7; /* below the width */
    assert_int_equal(disp_score_add(s, &bad, &gt, NULL), SEG_ERR_INVALID);
    bad = a;
    bad.data = NULL;
    assert_int_equal(disp_score_add(s, &bad, &gt, NULL), SEG_ERR_INVALID);
    bad = a;
    bad.width = bad.stride = SEG_MAX_DIM + 1; /* refused before any pixel is read */
    seg_image bad2 = bad;
    assert_int_equal(disp_score_add(s, &bad, &bad2, NULL), SEG_ERR_LIMIT);
    disp_score_result r;
    assert_int_equal(disp_score_result_get(NULL, &r), SEG_ERR_INVALID);
    assert_int_equal(disp_score_result_get(s, NULL), SEG_ERR_INVALID);
    r = result(s);
    assert_int_equal(r.frames, 0); /* nothing was added */
    assert_int_equal(disp_score_format_text(NULL, NULL, 0), SEG_ERR_INVALID);
    assert_int_equal(disp_score_format_json(&r, NULL, 5), SEG_ERR_INVALID);
    /* NULL-safe life cycle */
    disp_score_new_sequence(NULL);
    disp_score_reset(NULL);
    disp_score_free(NULL);
    disp_score_free(&s);
    disp_score_free(&s);
    seg_image_free(&gt);
    seg_image_free(&a);
    seg_image_free(&other);
    seg_image_free(&rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_masks_score_perfectly),
        cmocka_unit_test(test_disjoint_masks_score_zero),
        cmocka_unit_test(test_half_overlap_iou_is_a_third),
        cmocka_unit_test(test_empty_gt_false_positive_share),
        cmocka_unit_test(test_boundary_shift_within_tolerance),
        cmocka_unit_test(test_boundary_shift_beyond_tolerance),
        cmocka_unit_test(test_boundary_conventions),
        cmocka_unit_test(test_see_through_counts_interior),
        cmocka_unit_test(test_see_through_frame_edge),
        cmocka_unit_test(test_flicker_over_stable_gt),
        cmocka_unit_test(test_percentiles_nearest_rank),
        cmocka_unit_test(test_class_ids_and_ignore),
        cmocka_unit_test(test_default_radii),
        cmocka_unit_test(test_no_allocation_per_frame),
        cmocka_unit_test(test_transforms_match_brute_force),
        cmocka_unit_test(test_json_and_text),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
