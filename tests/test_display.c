/* test_display.c - display/: every mode's pixels on synthetic frames with a
 * known mask, mask refinement (threshold, feather, guided edges, temporal
 * smoothing), the blur's halo, options and sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disp.h"

/* ==== allocation counting =============================================== */

/* Every malloc-family call made by code linked into this test (display/
 * included; shared libraries are not affected) goes through these (the
 * linker's --wrap, see display_tests.cmake). */
#include "test_alloc_count.h"

/* ==== helpers =========================================================== */

/* The standard scene: W x H, foreground FG left of column EDGE, background
 * BG right of it; the mask (at frame size) is 1 left of EDGE, 0.5 on it and
 * 0 right of it, so the alpha is exactly 255 / 128 / 0. */
enum { W = 96, H = 64, EDGE = 40 };
static const uint8_t FG[3] = {250, 20, 20};
static const uint8_t BG[3] = {40, 60, 200};

static seg_image image(int w, int h, seg_pixfmt f)
{
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, w, h, f), SEG_OK);
    return im;
}

static void fill(seg_image *im, const uint8_t c[3])
{
    for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width; x++)
            memcpy(im->data + (size_t)y * im->stride + 3 * (size_t)x, c, 3);
}

static seg_image scene(void)
{
    seg_image f = image(W, H, SEG_PIX_RGB24);
    fill(&f, BG);
    for (int y = 0; y < H; y++)
        for (int x = 0; x <= EDGE; x++)
            memcpy(f.data + (size_t)y * f.stride + 3 * (size_t)x, FG, 3);
    return f;
}

static float *scene_mask(void)
{
    float *m = malloc(sizeof(float) * W * H);
    assert_non_null(m);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            m[y * W + x] = x < EDGE ? 1.0f : (x == EDGE ? 0.5f : 0.0f);
    return m;
}

static const uint8_t *px(const seg_image *im, int x, int y)
{
    return im->data + (size_t)y * im->stride + (size_t)x * seg_pixfmt_bpp(im->format);
}

static void expect_px(const seg_image *im, int x, int y, int r, int g, int b)
{
    const uint8_t *p = px(im, x, y);
    if (p[0] != r || p[1] != g || p[2] != b)
        fail_msg("pixel (%d,%d) is (%d,%d,%d), expected (%d,%d,%d)", x, y, p[0], p[1], p[2], r,
                 g, b);
}

/* A YUV420P copy of an RGB24 picture in matrix m and range full. */
static seg_image yuv_of(const seg_image *rgb, seg_yuv_matrix m, int full)
{
    seg_image y = image(rgb->width, rgb->height, SEG_PIX_YUV420P);
    y.matrix = m;
    y.full_range = full;
    assert_int_equal(seg_image_convert(rgb, &y), SEG_OK);
    return y;
}

static seg_image rgb_of(const seg_image *yuv)
{
    seg_image r = image(yuv->width, yuv->height, SEG_PIX_RGB24);
    assert_int_equal(seg_image_convert(yuv, &r), SEG_OK);
    return r;
}

static void fill_yuv(seg_image *im, const uint8_t yuv[3])
{
    for (int y = 0; y < im->height; y++)
        memset(im->data + (size_t)y * im->stride, yuv[0], (size_t)im->width);
    for (int j = 0; j < seg_chroma_h(im->height); j++) {
        memset(im->cb + (size_t)j * im->cstride, yuv[1], (size_t)seg_chroma_w(im->width));
        memset(im->cr + (size_t)j * im->cstride, yuv[2], (size_t)seg_chroma_w(im->width));
    }
}

/* Sample (x, y) of plane i (0 Y, 1 Cb, 2 Cr). */
static uint8_t sample(const seg_image *im, int i, int x, int y)
{
    return i == 0 ? im->data[(size_t)y * im->stride + x]
                  : (i == 1 ? im->cb : im->cr)[(size_t)y * im->cstride + x];
}

/* Every sample of plane i is v. */
static void expect_plane(const seg_image *im, int i, uint8_t v)
{
    int w = i ? seg_chroma_w(im->width) : im->width;
    int h = i ? seg_chroma_h(im->height) : im->height;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (sample(im, i, x, y) != v)
                fail_msg("plane %d (%d,%d) is %d, expected %d", i, x, y, sample(im, i, x, y), v);
}

/* Two YUV images have the same bytes in all planes. */
static void expect_same_yuv(const seg_image *a, const seg_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    for (int y = 0; y < a->height; y++)
        assert_memory_equal(a->data + (size_t)y * a->stride, b->data + (size_t)y * b->stride,
                            (size_t)a->width);
    for (int j = 0; j < seg_chroma_h(a->height); j++) {
        size_t cw = (size_t)seg_chroma_w(a->width);
        assert_memory_equal(a->cb + (size_t)j * a->cstride, b->cb + (size_t)j * b->cstride, cw);
        assert_memory_equal(a->cr + (size_t)j * a->cstride, b->cr + (size_t)j * b->cstride, cw);
    }
}

/* Exact options: no smoothing, plain bilinear, no shaping (--solid 1), so
 * the alpha is the mask. */
static disp_options exact(disp_mode m)
{
    disp_options o = disp_options_default();
    o.mode = m;
    o.smooth = 0.0f;
    o.edge = 0;
    o.solid = 1.0f;
    o.threads = 1;
    return o;
}

/* Render the scene in mode m (background picture bg, may be NULL). */
static seg_image render_scene(const disp_options *o, const seg_image *bg)
{
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, o), SEG_OK);
    seg_image f = scene(), out = {0};
    float *m = scene_mask();
    f.pts = 1234;
    f.index = 7;
    disp_input in = {&f, m, W, H, NULL, bg};
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    assert_int_equal(out.pts, 1234);
    assert_int_equal(out.index, 7);
    int aw, ah;
    const uint8_t *a = disp_compositor_alpha(c, &aw, &ah);
    assert_int_equal(aw, W);
    assert_int_equal(ah, H);
    assert_int_equal(a[5 * W + 0], 255);
    assert_int_equal(a[5 * W + EDGE], 128);
    assert_int_equal(a[5 * W + EDGE + 1], 0);
    seg_image_free(&f);
    free(m);
    disp_compositor_free(&c);
    assert_null(c);
    return out;
}

/* ==== every mode, exact pixels ========================================== */

static void test_overlay_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_OVERLAY); /* green at opacity 0.5: k = 128 */
    seg_image out = render_scene(&o, NULL);
    /* fg: t = (255*128 + 127)/255 = 128; in + (((c - in) * t) >> 8) */
    expect_px(&out, 3, 10, 125, 137, 10);
    /* edge: a = 128, t = (128*128 + 127)/255 = 64 */
    expect_px(&out, EDGE, 10, 187, 78, 15);
    /* background untouched */
    expect_px(&out, W - 1, 10, BG[0], BG[1], BG[2]);
    seg_image_free(&out);
}

static void test_mask_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_MASK);
    seg_image out = render_scene(&o, NULL);
    expect_px(&out, 0, 0, 255, 255, 255);
    expect_px(&out, EDGE, 20, 128, 128, 128);
    expect_px(&out, EDGE + 1, 20, 0, 0, 0);
    seg_image_free(&out);
}

static void test_matte_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_MATTE); /* key colour 00ff00 */
    seg_image out = render_scene(&o, NULL);
    expect_px(&out, 10, 30, FG[0], FG[1], FG[2]);
    /* (128*in + 127*key + 127) / 255 */
    expect_px(&out, EDGE, 30, 125, 137, 10);
    expect_px(&out, 80, 30, 0, 255, 0);
    seg_image_free(&out);
}

static void test_replace_pixels(void **state)
{
    (void)state;
    static const uint8_t PIC[3] = {10, 20, 30};
    disp_options o = exact(DISP_MODE_REPLACE);
    /* a frame-sized picture, used as it is */
    seg_image bg = image(W, H, SEG_PIX_RGB24);
    fill(&bg, PIC);
    seg_image out = render_scene(&o, &bg);
    expect_px(&out, 0, 63, FG[0], FG[1], FG[2]);
    expect_px(&out, EDGE, 63, 130, 20, 25);
    expect_px(&out, W - 1, 63, PIC[0], PIC[1], PIC[2]);
    seg_image_free(&out);
    seg_image_free(&bg);
    /* a picture of another size and shape is scaled to cover */
    bg = image(31, 200, SEG_PIX_RGB24);
    fill(&bg, PIC);
    out = render_scene(&o, &bg);
    expect_px(&out, EDGE, 0, 130, 20, 25);
    expect_px(&out, W - 1, H - 1, PIC[0], PIC[1], PIC[2]);
    seg_image_free(&out);
    seg_image_free(&bg);
}

static void test_replace_stored_background(void **state)
{
    (void)state;
    static const uint8_t PIC[3] = {10, 20, 30};
    disp_options o = exact(DISP_MODE_REPLACE);
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image f = scene(), bg = image(300, 100, SEG_PIX_RGB24);
    float *m = scene_mask();
    /* without a background replace refuses */
    assert_int_equal(disp_composite(c, &f, m, W, H), SEG_ERR_INVALID);
    fill(&bg, PIC);
    assert_int_equal(disp_compositor_set_background(c, &bg), SEG_OK);
    seg_image_free(&bg); /* it was copied */
    assert_int_equal(disp_composite(c, &f, m, W, H), SEG_OK);
    expect_px(&f, 0, 0, FG[0], FG[1], FG[2]);
    expect_px(&f, EDGE, 0, 130, 20, 25);
    expect_px(&f, EDGE + 1, 0, PIC[0], PIC[1], PIC[2]);
    assert_int_equal(disp_compositor_set_background(c, NULL), SEG_OK);
    assert_int_equal(disp_composite(c, &f, m, W, H), SEG_ERR_INVALID);
    seg_image_free(&f);
    free(m);
    disp_compositor_free(&c);
}

static void test_blur_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_BLUR);
    o.blur = 6;
    seg_image out = render_scene(&o, NULL);
    /* foreground sharp, uniform background stays exactly its colour, and
     * the edge is (128*fg + 127*bg + 127)/255 */
    for (int y = 0; y < H; y += 7) {
        expect_px(&out, 0, y, FG[0], FG[1], FG[2]);
        expect_px(&out, EDGE - 1, y, FG[0], FG[1], FG[2]);
        expect_px(&out, EDGE, y, 145, 40, 110);
        expect_px(&out, EDGE + 1, y, BG[0], BG[1], BG[2]);
        expect_px(&out, W - 1, y, BG[0], BG[1], BG[2]);
    }
    seg_image_free(&out);
}

static void test_blur_blurs_the_background(void **state)
{
    (void)state;
    /* a checkerboard background, a person-free frame: the blur must flatten
     * the 2-pixel checks to their mean */
    enum { BW = 160, BH = 120 };
    seg_image f = image(BW, BH, SEG_PIX_RGB24), out = {0};
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            uint8_t v = ((x / 2 + y / 2) & 1) ? 200 : 40;
            uint8_t c[3] = {v, v, v};
            memcpy(f.data + (size_t)y * f.stride + 3 * (size_t)x, c, 3);
        }
    float m[16] = {0};
    disp_options o = exact(DISP_MODE_BLUR);
    o.blur = 8;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    disp_input in = {&f, m, 4, 4, NULL, NULL};
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    double maxdev = 0;
    for (int y = 20; y < BH - 20; y++)
        for (int x = 20; x < BW - 20; x++)
            maxdev = fmax(maxdev, fabs(px(&out, x, y)[0] - 120.0));
    printf("# checkerboard 40/200 blurred: max deviation from 120 = %.0f\n", maxdev);
    assert_true(maxdev <= 4);
    seg_image_free(&f);
    seg_image_free(&out);
    disp_compositor_free(&c);
}

static void test_alpha_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_ALPHA);
    seg_image out = render_scene(&o, NULL);
    assert_int_equal(out.format, SEG_PIX_RGBA);
    assert_int_equal(out.width, W);
    const uint8_t *p = px(&out, 2, 2);
    assert_true(p[0] == FG[0] && p[1] == FG[1] && p[2] == FG[2] && p[3] == 255);
    p = px(&out, EDGE, 2);
    assert_true(p[0] == FG[0] && p[1] == FG[1] && p[2] == FG[2] && p[3] == 128);
    p = px(&out, 70, 2);
    assert_true(p[0] == BG[0] && p[1] == BG[1] && p[2] == BG[2] && p[3] == 0);
    seg_image_free(&out);
}

static void test_side_by_side_pixels(void **state)
{
    (void)state;
    disp_options o = exact(DISP_MODE_SIDE_BY_SIDE);
    seg_image out = render_scene(&o, NULL);
    assert_int_equal(out.width, 3 * W);
    assert_int_equal(out.height, H);
    /* input | mask | overlay */
    expect_px(&out, 3, 5, FG[0], FG[1], FG[2]);
    expect_px(&out, EDGE, 5, FG[0], FG[1], FG[2]);
    expect_px(&out, W - 1, 5, BG[0], BG[1], BG[2]);
    expect_px(&out, W + 3, 5, 255, 255, 255);
    expect_px(&out, W + EDGE, 5, 128, 128, 128);
    expect_px(&out, 2 * W - 1, 5, 0, 0, 0);
    expect_px(&out, 2 * W + 3, 5, 125, 137, 10);
    expect_px(&out, 2 * W + EDGE, 5, 187, 78, 15);
    expect_px(&out, 3 * W - 1, 5, BG[0], BG[1], BG[2]);
    seg_image_free(&out);
    /* another third panel */
    o.side_mode = DISP_MODE_MATTE;
    out = render_scene(&o, NULL);
    expect_px(&out, 2 * W + EDGE, 5, 125, 137, 10);
    expect_px(&out, 3 * W - 1, 5, 0, 255, 0);
    seg_image_free(&out);
}

static void test_overlay_palette_by_class(void **state)
{
    (void)state;
    uint8_t rgb[3];
    disp_palette_color(0, rgb);
    assert_true(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    disp_palette_color(1, rgb);
    assert_true(rgb[0] == 128 && rgb[1] == 0 && rgb[2] == 0);
    disp_palette_color(15, rgb); /* person */
    assert_true(rgb[0] == 192 && rgb[1] == 128 && rgb[2] == 128);

    /* A label map as the model side makes it (seg_model_mask, tested in
     * test_pipeline.c): left half person (15), right half cat (8), one row
     * of background on top. */
    enum { MW = 8, MH = 4 };
    float fg[MW * MH];
    uint8_t labels[MW * MH];
    for (int i = 0; i < MW * MH; i++) {
        int y = i / MW, x = i % MW;
        fg[i] = y == 0 ? 0.0f : 1.0f;
        labels[i] = (uint8_t)(y == 0 ? 1 : x < MW / 2 ? 15 : 8);
    }

    disp_options o = exact(DISP_MODE_OVERLAY);
    o.opacity = 1.0f; /* k = 256: t = 256 at a = 255, full colour */
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image f = image(MW * 10, MH * 10, SEG_PIX_RGB24), out = {0};
    fill(&f, BG);
    disp_input in = {&f, fg, MW, MH, labels, NULL};
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    expect_px(&out, 5, 35, 192, 128, 128);  /* person */
    expect_px(&out, 75, 35, 64, 0, 0);      /* cat, class 8 */
    expect_px(&out, 40, 2, BG[0], BG[1], BG[2]); /* background row */
    /* The outline: a pixel wide (40 rows) on each side of the boundary
     * between the classes, in their colours at full brightness. */
    expect_px(&out, 38, 25, 192, 128, 128);
    expect_px(&out, 39, 25, 255, 170, 170);
    expect_px(&out, 40, 25, 255, 0, 0);
    expect_px(&out, 41, 25, 64, 0, 0);
    /* At half opacity the inside is half tinted, the outline still full. */
    o.opacity = 0.5f;
    assert_int_equal(disp_compositor_set_options(c, &o), SEG_OK);
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    expect_px(&out, 39, 25, 255, 170, 170);
    expect_px(&out, 40, 25, 255, 0, 0);
    expect_px(&out, 5, 35, BG[0] + (((192 - BG[0]) * 128) >> 8),
              BG[1] + (((128 - BG[1]) * 128) >> 8), BG[2] + (((128 - BG[2]) * 128) >> 8));
    disp_palette_color(8, rgb);
    assert_true(rgb[0] == 64 && rgb[1] == 0 && rgb[2] == 0);
    seg_image_free(&f);
    seg_image_free(&out);
    disp_compositor_free(&c);
}

/* Every mode that keeps the frame's size gives the same bytes in place
 * (disp_composite) as into a separate buffer (disp_render). */
static void test_in_place_equals_out_of_place(void **state)
{
    (void)state;
    disp_mode modes[] = {DISP_MODE_OVERLAY, DISP_MODE_MASK, DISP_MODE_BLUR, DISP_MODE_MATTE,
                         DISP_MODE_REPLACE};
    seg_image bg = image(50, 50, SEG_PIX_RGB24);
    for (int y = 0; y < 50; y++)
        for (int x = 0; x < 50; x++) {
            uint8_t c[3] = {(uint8_t)(x * 5), (uint8_t)(y * 5), 77};
            memcpy(bg.data + (size_t)y * bg.stride + 3 * (size_t)x, c, 3);
        }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        disp_options o = disp_options_default(); /* guided, smoothing on */
        o.mode = modes[i];
        o.feather = 3;
        disp_compositor *a = NULL, *b = NULL;
        assert_int_equal(disp_compositor_create(&a, &o), SEG_OK);
        assert_int_equal(disp_compositor_create(&b, &o), SEG_OK);
        assert_int_equal(disp_compositor_set_background(a, &bg), SEG_OK);
        assert_int_equal(disp_compositor_set_background(b, &bg), SEG_OK);
        seg_image f = scene(), g = scene(), out = {0};
        float *m = scene_mask();
        disp_input in = {&f, m, W, H, NULL, NULL};
        assert_int_equal(disp_render(a, &in, &out), SEG_OK);
        assert_int_equal(disp_composite(b, &g, m, W, H), SEG_OK);
        for (int y = 0; y < H; y++)
            assert_memory_equal(px(&out, 0, y), px(&g, 0, y), 3 * W);
        seg_image_free(&f);
        seg_image_free(&g);
        seg_image_free(&out);
        free(m);
        disp_compositor_free(&a);
        disp_compositor_free(&b);
    }
    seg_image_free(&bg);
}

/* The thread count changes nothing: every loop writes disjoint rows. */
static void test_threads_give_identical_bytes(void **state)
{
    (void)state;
    enum { TW = 333, TH = 271, MS = 37 };
    seg_image f = image(TW, TH, SEG_PIX_RGB24);
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            uint8_t c[3] = {(uint8_t)(x * 7 + y), (uint8_t)(y * 3), (uint8_t)((x ^ y) * 5)};
            memcpy(f.data + (size_t)y * f.stride + 3 * (size_t)x, c, 3);
        }
    float m[MS * MS];
    for (int i = 0; i < MS * MS; i++)
        m[i] = (float)((i * 7919) % 1000) / 1000.0f;
    seg_image fy = yuv_of(&f, SEG_YUV_BT709, 0);
    for (int fm = 0; fm < 2 * DISP_MODE_COUNT; fm++) { /* RGB, then YUV frames */
        int mode = fm % DISP_MODE_COUNT, yuv = fm >= DISP_MODE_COUNT;
        if (mode == DISP_MODE_REPLACE || (yuv && !disp_mode_takes_yuv((disp_mode)mode)))
            continue;
        seg_image out1 = {0}, out2 = {0};
        for (int t = 1; t <= 2; t++) {
            disp_options o = disp_options_default();
            o.mode = (disp_mode)mode;
            o.threads = t;
            o.feather = 12;
            disp_compositor *c = NULL;
            assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
            disp_input in = {yuv ? &fy : &f, m, MS, MS, NULL, NULL};
            for (int k = 0; k < 2; k++) /* the second frame is smoothed */
                assert_int_equal(disp_render(c, &in, t == 1 ? &out1 : &out2), SEG_OK);
            disp_compositor_free(&c);
        }
        if (yuv) {
            expect_same_yuv(&out1, &out2);
        } else {
            int bpp = seg_pixfmt_bpp(out1.format);
            for (int y = 0; y < TH; y++)
                assert_memory_equal(px(&out1, 0, y), px(&out2, 0, y),
                                    (size_t)out1.width * bpp);
        }
        seg_image_free(&out1);
        seg_image_free(&out2);
    }
    seg_image_free(&f);
    seg_image_free(&fy);
}

/* After the first frames of a size, compositing allocates nothing: every
 * mode, RGB and YUV frames, guided edges, smoothing, feather, labels, a
 * per-frame background of another size (for YUV frames also converted). */
static void test_no_allocation_per_frame(void **state)
{
    (void)state;
    enum { AW = 200, AH = 150, MS = 32 };
    seg_image f = image(AW, AH, SEG_PIX_RGB24), bg = image(90, 300, SEG_PIX_RGB24);
    fill(&f, FG);
    fill(&bg, BG);
    float m[MS * MS];
    uint8_t labels[MS * MS];
    for (int i = 0; i < MS * MS; i++) {
        m[i] = (float)(i % MS) / MS;
        labels[i] = (uint8_t)(i % 3);
    }
    seg_image fy = yuv_of(&f, SEG_YUV_BT709, 0);
    for (int fm = 0; fm < 2 * DISP_MODE_COUNT; fm++) { /* RGB, then YUV frames */
        int mode = fm % DISP_MODE_COUNT, yuv = fm >= DISP_MODE_COUNT;
        if (yuv && !disp_mode_takes_yuv((disp_mode)mode))
            continue;
        disp_options o = disp_options_default();
        o.mode = (disp_mode)mode;
        o.feather = 9;
        o.side_mode = DISP_MODE_BLUR;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image out = {0};
        disp_input in = {yuv ? &fy : &f, m, MS, MS, labels, &bg};
        long first = allocs;
        for (int t = 0; t < 3; t++)
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        assert_true(allocs > first); /* the counting works: buffers were made */
        long before = allocs;
        for (int t = 0; t < 5; t++) {
            m[t] = 0.25f * (float)t; /* the mask changes, sizes do not */
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        }
        if (allocs != before)
            fail_msg("mode %s (%s): %ld allocations in 5 frames",
                     disp_mode_name((disp_mode)mode), yuv ? "yuv" : "rgb", allocs - before);
        seg_image_free(&out);
        disp_compositor_free(&c);
    }
    seg_image_free(&f);
    seg_image_free(&fy);
    seg_image_free(&bg);
}

/* ==== refinement ======================================================== */

static void test_fast_upsampling_matches_reference(void **state)
{
    (void)state;
    static const int sizes[][4] = {{256, 256, 640, 480}, {7, 5, 33, 17}, {144, 256, 1280, 720},
                                   {64, 64, 64, 64},     {50, 40, 20, 15}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int mw = sizes[s][0], mh = sizes[s][1], w = sizes[s][2], h = sizes[s][3];
        float *m = malloc(sizeof(float) * mw * mh);
        uint8_t *ref = malloc((size_t)w * h);
        assert_non_null(m);
        assert_non_null(ref);
        for (int i = 0; i < mw * mh; i++)
            m[i] = (float)((i * 2654435761u) % 1001) / 1000.0f;
        disp_upsample_mask(m, mw, mh, ref, w, h, w);
        disp_options o = exact(DISP_MODE_MASK);
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image f = image(w, h, SEG_PIX_RGB24);
        assert_int_equal(disp_composite(c, &f, m, mw, mh), SEG_OK);
        assert_memory_equal(disp_compositor_alpha(c, NULL, NULL), ref, (size_t)w * h);
        seg_image_free(&f);
        disp_compositor_free(&c);
        free(m);
        free(ref);
    }
}

static void test_threshold(void **state)
{
    (void)state;
    for (int edge = 0; edge <= 1; edge++) {
        disp_options o = exact(DISP_MODE_MASK);
        o.threshold = 0.5f;
        o.edge = edge;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        /* left half 0.6, right half 0.4: all or nothing */
        float m[64 * 64];
        for (int i = 0; i < 64 * 64; i++)
            m[i] = (i % 64) < 32 ? 0.6f : 0.4f;
        seg_image f = image(64, 64, SEG_PIX_RGB24);
        fill(&f, BG);
        assert_int_equal(disp_composite(c, &f, m, 64, 64), SEG_OK);
        const uint8_t *a = disp_compositor_alpha(c, NULL, NULL);
        for (int y = 0; y < 64; y++) {
            assert_int_equal(a[y * 64 + 10], 255);
            assert_int_equal(a[y * 64 + 54], 0);
        }
        seg_image_free(&f);
        disp_compositor_free(&c);
    }
}

/* Alpha of a binary mask (foreground x < 100 in a 200 x 40 frame) with a
 * feather of F pixels in direction dir; a row of it into row[]. */
static void feathered_row(int F, disp_feather_dir dir, uint8_t *row)
{
    enum { FW = 200, FH = 40 };
    disp_options o = exact(DISP_MODE_MASK);
    o.feather = F;
    o.feather_dir = dir;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    float *m = malloc(sizeof(float) * FW * FH);
    assert_non_null(m);
    for (int i = 0; i < FW * FH; i++)
        m[i] = (i % FW) < 100 ? 1.0f : 0.0f;
    seg_image f = image(FW, FH, SEG_PIX_RGB24);
    assert_int_equal(disp_composite(c, &f, m, FW, FH), SEG_OK);
    memcpy(row, disp_compositor_alpha(c, NULL, NULL) + 20 * FW, FW);
    seg_image_free(&f);
    disp_compositor_free(&c);
    free(m);
}

static void test_feather_outward_never_eats_the_body(void **state)
{
    (void)state;
    static const int Fs[] = {2, 8, 20, 40};
    for (size_t i = 0; i < sizeof Fs / sizeof Fs[0]; i++) {
        int F = Fs[i];
        uint8_t out[200], in[200], mid[200];
        feathered_row(F, DISP_FEATHER_OUT, out);
        feathered_row(F, DISP_FEATHER_IN, in);
        feathered_row(F, DISP_FEATHER_CENTER, mid);
        printf("# feather %2d out:", F);
        for (int x = 96; x < 100 + F + 4 && x < 200; x++)
            printf(" %d", out[x]);
        printf("\n");
        int reach = 100 + F + F / 4 + 2; /* "about F": the ramp's far end */
        for (int x = 0; x < 100; x++)
            assert_int_equal(out[x], 255); /* the body keeps full alpha */
        assert_true(out[100] >= 128);      /* the ramp starts at the edge */
        for (int x = 101; x < 200; x++)
            assert_true(out[x] <= out[x - 1]); /* and falls outward */
        for (int x = reach; x < 200; x++)
            assert_int_equal(out[x], 0); /* to nothing about F pixels out */
        assert_true(out[100 + F / 2] > 0 && out[100 + F / 2] < 255);
        /* inward: nothing outside the mask, the ramp inside */
        for (int x = 100; x < 200; x++)
            assert_int_equal(in[x], 0);
        for (int x = 0; x < 200 - reach; x++)
            assert_int_equal(in[x], 255);
        assert_true(in[99] < 128);
        /* centred: about half on the edge */
        assert_true(abs((mid[99] + mid[100]) / 2 - 128) < 40);
    }
}

/* A frame with a sharp luma edge at x = 100 (dark background left, bright
 * foreground right) and a model mask 8x coarser whose edge is 4 pixels off
 * (at x = 96) and soft: guided upsampling moves the alpha's edge onto the
 * picture's and sharpens it. */
static void test_guided_edge_follows_the_picture(void **state)
{
    (void)state;
    enum { GW = 400, GH = 240, MW = GW / 8, MH = GH / 8 };
    seg_image f = image(GW, GH, SEG_PIX_RGB24);
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++) {
            uint8_t v = x < 100 ? 30 : 220;
            uint8_t c[3] = {v, v, v};
            memcpy(f.data + (size_t)y * f.stride + 3 * (size_t)x, c, 3);
        }
    float m[MW * MH];
    for (int y = 0; y < MH; y++)
        for (int x = 0; x < MW; x++)
            m[y * MW + x] = x < 12 ? 0.0f : 1.0f;
    int cross[2], step[2], at[2];
    for (int edge = 0; edge <= 1; edge++) {
        disp_options o = exact(DISP_MODE_MASK);
        o.edge = edge;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image g = {0};
        disp_input in = {&f, m, MW, MH, NULL, NULL};
        assert_int_equal(disp_render(c, &in, &g), SEG_OK);
        const uint8_t *a = disp_compositor_alpha(c, NULL, NULL) + (GH / 2) * GW;
        cross[edge] = -1;
        step[edge] = 0;
        for (int x = 0; x < GW - 1; x++) {
            if (cross[edge] < 0 && a[x] >= 128)
                cross[edge] = x;
            if (a[x + 1] - a[x] > step[edge]) {
                step[edge] = a[x + 1] - a[x];
                at[edge] = x;
            }
        }
        printf("# %s: alpha crosses 50%% at x = %d, steepest step %d at x = %d; "
               "a[92..103] =", edge ? "guided  " : "bilinear", cross[edge], step[edge], at[edge]);
        for (int x = 92; x < 104; x++)
            printf(" %d", a[x]);
        printf("\n");
        seg_image_free(&g);
        disp_compositor_free(&c);
    }
    assert_int_equal(cross[0], 96);           /* the model's own edge */
    assert_true(abs(cross[1] - 100) <= 1);    /* moved onto the picture's */
    assert_int_equal(at[1], 99);              /* its steepest step is the picture's */
    assert_true(step[1] >= 3 * step[0]);      /* and much sharper */
    seg_image_free(&f);
}

/* ==== the halo ========================================================== */

/* A saturated red square on a blue background, the mask exactly the square
 * at a quarter of the frame's resolution. Outside the square, the blurred
 * background must stay the background's colour: pixels two or more from the
 * square within HALO_TOL per channel. A plain blur of the same radius is far
 * off there (so the test would see a halo). */
#define HALO_TOL 3

static void test_blur_has_no_halo(void **state)
{
    (void)state;
    enum { HW = 320, HH = 240, X0 = 112, X1 = 208, Y0 = 72, Y1 = 168, R = 12 };
    static const uint8_t RED[3] = {255, 0, 0};
    seg_image f = image(HW, HH, SEG_PIX_RGB24);
    fill(&f, BG);
    for (int y = Y0; y < Y1; y++)
        for (int x = X0; x < X1; x++)
            memcpy(f.data + (size_t)y * f.stride + 3 * (size_t)x, RED, 3);
    float m[(HW / 4) * (HH / 4)];
    for (int y = 0; y < HH / 4; y++)
        for (int x = 0; x < HW / 4; x++)
            m[y * (HW / 4) + x] =
                (x >= X0 / 4 && x < X1 / 4 && y >= Y0 / 4 && y < Y1 / 4) ? 1.0f : 0.0f;
    for (int edge = 0; edge <= 1; edge++) {
        disp_options o = exact(DISP_MODE_BLUR);
        o.edge = edge;
        o.blur = R;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image out = {0};
        disp_input in = {&f, m, HW / 4, HH / 4, NULL, NULL};
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        int worst = 0, plain = 255;
        for (int y = 0; y < HH; y++)
            for (int x = 0; x < HW; x++) {
                int dx = x < X0 ? X0 - x : (x >= X1 ? x - X1 + 1 : 0);
                int dy = y < Y0 ? Y0 - y : (y >= Y1 ? y - Y1 + 1 : 0);
                int d = dx > dy ? dx : dy;
                if (d < 2)
                    continue;
                const uint8_t *p = px(&out, x, y);
                for (int k = 0; k < 3; k++)
                    worst = abs(p[k] - BG[k]) > worst ? abs(p[k] - BG[k]) : worst;
                if (d == 2 && y > Y0 && y < Y1 - 1) {
                    /* a plain box blur of radius R at this pixel */
                    long sum = 0, n = 0;
                    for (int j = y - R; j <= y + R; j++)
                        for (int i = x - R; i <= x + R; i++)
                            if (i >= 0 && i < HW && j >= 0 && j < HH) {
                                sum += px(&f, i, j)[0];
                                n++;
                            }
                    int dev = abs((int)(sum / n) - BG[0]);
                    plain = dev < plain ? dev : plain;
                }
            }
        printf("# halo (%s): max deviation outside the square %d (tolerance %d); a plain "
               "blur deviates at least %d there\n",
               edge ? "guided" : "bilinear", worst, HALO_TOL, plain);
        assert_true(worst <= HALO_TOL);
        assert_true(plain > 40);
        seg_image_free(&out);
        disp_compositor_free(&c);
    }
    seg_image_free(&f);
}

/* ==== temporal smoothing ================================================ */

/* Mean |alpha_t - alpha_t-1| over columns [x0, x1) of a 64 x 32 frame. */
static double flicker(const uint8_t *a, const uint8_t *prev, int x0, int x1)
{
    double s = 0;
    for (int y = 0; y < 32; y++)
        for (int x = x0; x < x1; x++)
            s += abs(a[y * 64 + x] - prev[y * 64 + x]);
    return s / (32.0 * (x1 - x0));
}

/* Left half: an unsure model, 0.5 plus uniform noise of +-0.2 per pixel and
 * frame. Right half: confident background that turns into confident
 * foreground at frame 20 (0.02 -> 0.98), as when a person steps in. */
static void run_sequence(float smooth, double *noise, uint8_t *step_alpha)
{
    disp_options o = exact(DISP_MODE_MASK);
    o.smooth = smooth;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image f = image(64, 32, SEG_PIX_RGB24);
    float m[64 * 32];
    uint8_t prev[64 * 32];
    unsigned seed = 12345;
    double sum = 0;
    int n = 0;
    for (int t = 0; t < 60; t++) {
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 64; x++) {
                seed = seed * 1103515245u + 12345u;
                float u = (float)((seed >> 8) & 0xffff) / 65535.0f;
                m[y * 64 + x] = x < 32 ? 0.5f + 0.4f * (u - 0.5f) : (t < 20 ? 0.02f : 0.98f);
            }
        assert_int_equal(disp_composite(c, &f, m, 64, 32), SEG_OK);
        const uint8_t *a = disp_compositor_alpha(c, NULL, NULL);
        if (t >= 10) {
            sum += flicker(a, prev, 0, 32);
            n++;
        }
        if (t >= 18 && t < 24)
            step_alpha[t - 18] = a[16 * 64 + 48];
        memcpy(prev, a, sizeof prev);
    }
    *noise = sum / n;
    seg_image_free(&f);
    disp_compositor_free(&c);
}

static void test_smoothing_damps_flicker_not_motion(void **state)
{
    (void)state;
    double raw, smoothed;
    uint8_t step_raw[6], step[6];
    run_sequence(0.0f, &raw, step_raw);
    run_sequence(disp_options_default().smooth, &smoothed, step);
    printf("# flicker: %.2f levels per frame raw, %.2f smoothed (%.0f%% less)\n", raw, smoothed,
           100.0 * (1.0 - smoothed / raw));
    printf("# step at frame 20: raw %d %d | %d %d %d %d, smoothed %d %d | %d %d %d %d\n",
           step_raw[0], step_raw[1], step_raw[2], step_raw[3], step_raw[4], step_raw[5], step[0],
           step[1], step[2], step[3], step[4], step[5]);
    assert_true(raw > 10.0);
    assert_true(smoothed <= 0.5 * raw);
    /* before the step: background; within two frames of it: within 10% of
     * the new value (0.98 -> 250) */
    assert_true(step[1] <= 10);
    assert_true(step[3] >= 225);
    assert_true(step[3] >= step_raw[3] - 25);
}

static void test_history_follows_sizes(void **state)
{
    (void)state;
    disp_options o = disp_options_default();
    o.mode = DISP_MODE_MASK;
    o.edge = 0;
    o.solid = 1.0f; /* the blend itself, unshaped */
    disp_compositor *c = NULL, *d = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    assert_int_equal(disp_compositor_create(&d, &o), SEG_OK);
    seg_image f = image(40, 30, SEG_PIX_RGB24), g = image(64, 48, SEG_PIX_RGB24);
    float half[16 * 16], one[16 * 16];
    for (int i = 0; i < 16 * 16; i++) {
        half[i] = 0.5f;
        one[i] = 1.0f;
    }
    /* 0.5 after 1 is unsure: blended, 0.5 + (1 - 0.5) * 0.6 = 0.8 */
    assert_int_equal(disp_composite(d, &f, one, 16, 16), SEG_OK);
    assert_int_equal(disp_composite(d, &f, half, 16, 16), SEG_OK);
    assert_int_equal(disp_compositor_alpha(d, NULL, NULL)[0], 204);
    /* after a reset there is nothing to blend with */
    assert_int_equal(disp_composite(c, &f, one, 16, 16), SEG_OK);
    disp_compositor_reset(c);
    assert_int_equal(disp_composite(c, &f, half, 16, 16), SEG_OK);
    assert_int_equal(disp_compositor_alpha(c, NULL, NULL)[0], 128);
    /* nor after the mask changes size; the frame may change size too */
    assert_int_equal(disp_composite(c, &g, one, 8, 8), SEG_OK);
    int aw, ah;
    const uint8_t *a = disp_compositor_alpha(c, &aw, &ah);
    assert_int_equal(aw, 64);
    assert_int_equal(ah, 48);
    assert_int_equal(a[0], 255);
    assert_int_equal(a[64 * 48 - 1], 255);
    seg_image mv;
    assert_int_equal(disp_compositor_mask_image(c, &mv), SEG_OK);
    assert_int_equal(mv.format, SEG_PIX_GRAY8);
    assert_int_equal(mv.width, 64);
    assert_int_equal(mv.stride, 64);
    seg_image_free(&f);
    seg_image_free(&g);
    disp_compositor_free(&c);
    disp_compositor_free(&d);
}

/* ==== YUV420P frames ===================================================== */

/* A textured picture with edges: colour gradients, a fine texture, a
 * bright disc (the "person", whose edge the guided filter should find) and
 * a block of dark stripes. */
static seg_image picture(int w, int h)
{
    seg_image f = image(w, h, SEG_PIX_RGB24);
    double cx = 0.45 * w, cy = 0.55 * h, R = 0.3 * (w < h ? w : h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double u = (double)x / w, v = (double)y / h, t = 12.0 * sin(0.9 * x) * cos(0.7 * y);
            double c[3] = {40 + 120 * u + t, 60 + 100 * v - t, 180 - 100 * u * v + t};
            if (hypot(x - cx, y - cy) < R) {
                c[0] = 225 + t;
                c[1] = 170 + t;
                c[2] = 135 - t;
            } else if (x > 0.75 * w && ((x / 3 + y / 5) & 1)) {
                c[0] = c[1] = c[2] = 25;
            }
            uint8_t *p = f.data + (size_t)y * f.stride + 3 * (size_t)x;
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)(c[k] < 0 ? 0 : (c[k] > 255 ? 255 : lrint(c[k])));
        }
    return f;
}

/* picture()'s disc as a model would see it: mw x mh, soft, a little off. */
static float *picture_mask(int w, int h, int mw, int mh)
{
    float *m = malloc(sizeof(float) * (size_t)mw * mh);
    assert_non_null(m);
    double cx = 0.45 * w + 2, cy = 0.55 * h - 1, R = 0.3 * (w < h ? w : h);
    for (int y = 0; y < mh; y++)
        for (int x = 0; x < mw; x++) {
            double d = hypot((x + 0.5) * w / mw - cx, (y + 0.5) * h / mh - cy);
            m[y * mw + x] = (float)(1.0 / (1.0 + exp((d - R) / 3.0)));
        }
    return m;
}

static void test_yuv_mode_support(void **state)
{
    (void)state;
    int w, h;
    seg_pixfmt f;
    for (int m = 0; m < DISP_MODE_COUNT; m++) {
        int yes = m != DISP_MODE_ALPHA && m != DISP_MODE_SIDE_BY_SIDE;
        assert_int_equal(disp_mode_takes_yuv((disp_mode)m), yes);
        int st = disp_output_size_for((disp_mode)m, SEG_PIX_YUV420P, 33, 17, &w, &h, &f);
        if (yes) {
            assert_int_equal(st, SEG_OK);
            assert_true(w == 33 && h == 17 && f == SEG_PIX_YUV420P);
        } else {
            assert_int_equal(st, SEG_ERR_INVALID);
        }
        /* the RGB answer is disp_output_size()'s */
        int w2, h2;
        seg_pixfmt f2;
        assert_int_equal(disp_output_size_for((disp_mode)m, SEG_PIX_RGB24, 33, 17, &w, &h, &f),
                         SEG_OK);
        assert_int_equal(disp_output_size((disp_mode)m, 33, 17, &w2, &h2, &f2), SEG_OK);
        assert_true(w == w2 && h == h2 && f == f2);
    }
    assert_false(disp_mode_takes_yuv(DISP_MODE_COUNT));
    assert_int_equal(disp_output_size_for(DISP_MODE_MASK, SEG_PIX_GRAY8, 8, 8, NULL, NULL, NULL),
                     SEG_ERR_INVALID);

    /* alpha and side-by-side refuse a YUV frame; the others take it */
    seg_image fr = image(W, H, SEG_PIX_YUV420P), out = {0};
    float *m = scene_mask();
    disp_input in = {&fr, m, W, H, NULL, NULL};
    for (int mode = 0; mode < DISP_MODE_COUNT; mode++) {
        disp_options o = exact((disp_mode)mode);
        o.side_mode = DISP_MODE_OVERLAY;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        if (mode == DISP_MODE_REPLACE) {
            assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID); /* no picture */
        } else if (!disp_mode_takes_yuv((disp_mode)mode)) {
            assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID);
            assert_null(out.data);
            seg_image prep = {0};
            assert_int_equal(disp_output_prepare_for(c, W, H, SEG_PIX_YUV420P, &prep),
                             SEG_ERR_INVALID);
        } else {
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
            assert_int_equal(out.format, SEG_PIX_YUV420P);
            /* a prepared output of the right kind is kept */
            uint8_t *before = out.data;
            assert_int_equal(disp_output_prepare_for(c, W, H, SEG_PIX_YUV420P, &out), SEG_OK);
            assert_ptr_equal(out.data, before);
            seg_image_free(&out);
        }
        disp_compositor_free(&c);
    }
    /* a YUV frame's output must be YUV: an RGB output buffer is refused */
    disp_options o = exact(DISP_MODE_OVERLAY);
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image rgb_out = image(W, H, SEG_PIX_RGB24);
    assert_int_equal(disp_render(c, &in, &rgb_out), SEG_ERR_INVALID);
    /* and a YUV frame without chroma planes, or with an unknown matrix */
    seg_image bad = fr;
    bad.cb = NULL;
    in.frame = &bad;
    assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID);
    bad = fr;
    bad.matrix = SEG_YUV_COUNT;
    assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID);
    disp_compositor_free(&c);
    seg_image_free(&rgb_out);
    seg_image_free(&fr);
    free(m);
}

/* Flat pictures, exact options (alpha = the mask): the documented values. */
static void test_yuv_exact_values(void **state)
{
    (void)state;
    static const uint8_t PIC[3] = {200, 60, 30}, BGC[3] = {20, 90, 160};
    enum { FW = 34, FH = 18 };
    float one[FW * FH], zero[FW * FH];
    for (int i = 0; i < FW * FH; i++) {
        one[i] = 1.0f;
        zero[i] = 0.0f;
    }
    for (int full = 0; full <= 1; full++) {
        uint8_t py[3], col[3], key[3], bgy[3];
        disp_options def = disp_options_default();
        seg_rgb_to_yuv(PIC, SEG_YUV_BT709, full, py);
        seg_rgb_to_yuv(def.color, SEG_YUV_BT709, full, col);
        seg_rgb_to_yuv(def.matte_color, SEG_YUV_BT709, full, key);
        seg_rgb_to_yuv(BGC, SEG_YUV_BT709, full, bgy);
        seg_image f = image(FW, FH, SEG_PIX_YUV420P), out = {0};
        f.matrix = SEG_YUV_BT709;
        f.full_range = full;
        fill_yuv(&f, py);
        disp_compositor *c = NULL;

        /* overlay, all foreground: in + (((colour - in) * 128) >> 8) per plane */
        disp_options o = exact(DISP_MODE_OVERLAY);
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        disp_input in = {&f, one, FW, FH, NULL, NULL};
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        assert_int_equal(out.format, SEG_PIX_YUV420P);
        assert_int_equal(out.matrix, SEG_YUV_BT709);
        assert_int_equal(out.full_range, full);
        for (int i = 0; i < 3; i++)
            expect_plane(&out, i, (uint8_t)(py[i] + (((col[i] - py[i]) * 128) >> 8)));
        /* all background: untouched */
        in.mask = zero;
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        for (int i = 0; i < 3; i++)
            expect_plane(&out, i, py[i]);
        disp_compositor_free(&c);

        /* matte, all background: the key colour's Y'CbCr exactly */
        o = exact(DISP_MODE_MATTE);
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        for (int i = 0; i < 3; i++)
            expect_plane(&out, i, key[i]);
        disp_compositor_free(&c);

        /* replace with the stored RGB picture, all background: its colour,
         * converted to the frame's matrix and range (within a level) */
        o = exact(DISP_MODE_REPLACE);
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image pic = image(50, 20, SEG_PIX_RGB24);
        fill(&pic, BGC);
        assert_int_equal(disp_compositor_set_background(c, &pic), SEG_OK);
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        for (int i = 0; i < 3; i++)
            assert_true(abs(sample(&out, i, 7, 5) - bgy[i]) <= 1 &&
                        abs(sample(&out, i, FW / 2 - 1, FH / 2 - 1) - bgy[i]) <= 1);
        disp_compositor_free(&c);
        seg_image_free(&pic);

        /* mask: the range's black and white, neutral chroma */
        o = exact(DISP_MODE_MASK);
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        expect_plane(&out, 0, full ? 0 : 16);
        expect_plane(&out, 1, 128);
        expect_plane(&out, 2, 128);
        in.mask = one;
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        expect_plane(&out, 0, full ? 255 : 235);
        expect_plane(&out, 2, 128);
        /* half: 16 + (219 * 128 + 127) / 255 = 126 limited, 128 full */
        float half[FW * FH];
        for (int i = 0; i < FW * FH; i++)
            half[i] = 128.0f / 255.0f;
        in.mask = half;
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        expect_plane(&out, 0, full ? 128 : 126);
        disp_compositor_free(&c);
        seg_image_free(&out);
        seg_image_free(&f);
    }
}

/* Chroma takes the 2x2 block's mean alpha, rounded, and with labels the
 * class of the block's top-left pixel. */
static void test_yuv_chroma_block_alpha_and_labels(void **state)
{
    (void)state;
    enum { FW = 21, FH = 9 }; /* odd: partial blocks on the right and bottom */
    static const uint8_t PIC[3] = {30, 40, 200};
    uint8_t py[3], key[3];
    disp_options o = exact(DISP_MODE_MATTE);
    seg_rgb_to_yuv(PIC, SEG_YUV_BT601, 0, py);
    seg_rgb_to_yuv(o.matte_color, SEG_YUV_BT601, 0, key);
    /* foreground: columns x <= 10 and rows y <= 4, i.e. a corner; the
     * block edges fall inside chroma column 5 and chroma row 2 */
    float m[FW * FH];
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++)
            m[y * FW + x] = x <= 10 && y <= 4 ? 1.0f : 0.0f;
    seg_image f = image(FW, FH, SEG_PIX_YUV420P), out = {0};
    fill_yuv(&f, py);
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    disp_input in = {&f, m, FW, FH, NULL, NULL};
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    /* a chroma sample with mean alpha A: (A in + (255 - A) key + 127) / 255 */
#define MIX(A, i) ((uint8_t)(((A) * py[i] + (255 - (A)) * key[i] + 127) / 255))
    for (int i = 1; i < 3; i++) {
        assert_int_equal(sample(&out, i, 0, 0), py[i]);      /* all four in */
        assert_int_equal(sample(&out, i, 6, 0), key[i]);     /* all four out */
        /* x 10 in, 11 out: (255 + 0 + 255 + 0 + 2) / 4 = 128 */
        assert_int_equal(sample(&out, i, 5, 0), MIX(128, i));
        /* rows 4 in, 5 out, columns 10 in, 11 out: (255 + 2) / 4 = 64 */
        assert_int_equal(sample(&out, i, 5, 2), MIX(64, i));
        /* the last, partial column (x 20 only) and row (y 8 only): out */
        assert_int_equal(sample(&out, i, 10, 0), key[i]);
        assert_int_equal(sample(&out, i, 0, 4), key[i]);
    }
#undef MIX
    /* luma: per pixel */
    assert_int_equal(sample(&out, 0, 10, 4), py[0]);
    assert_int_equal(sample(&out, 0, 11, 4), key[0]);
    assert_int_equal(sample(&out, 0, 10, 5), key[0]);
    disp_compositor_free(&c);

    /* the partial column's mean: a mask that is foreground on x = 20 only
     * for rows 0 (of rows 0..1): (255 + 0 + 1) / 2 = 128 */
    for (int i = 0; i < FW * FH; i++)
        m[i] = (i % FW == FW - 1 && i / FW == 0) ? 1.0f : 0.0f;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    assert_int_equal(sample(&out, 1, 10, 0),
                     (uint8_t)((128 * py[1] + 127 * key[1] + 127) / 255));
    disp_compositor_free(&c);

    /* labels: class 8 on even-even pixels, 15 elsewhere; opacity 1 and
     * alpha 255 give the class colour itself, here the outline's (every
     * pixel borders the other class): Y per pixel, chroma the top-left
     * pixel's (8) */
    uint8_t labels[FW * FH], c8[3], c15[3];
    float one[FW * FH];
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) {
            labels[y * FW + x] = (x & 1) || (y & 1) ? 15 : 8;
            one[y * FW + x] = 1.0f;
        }
    /* the outline colours: (64,0,0) and (192,128,128) at full brightness */
    seg_rgb_to_yuv((const uint8_t[3]){255, 0, 0}, SEG_YUV_BT601, 0, c8);
    seg_rgb_to_yuv((const uint8_t[3]){255, 170, 170}, SEG_YUV_BT601, 0, c15);
    o = exact(DISP_MODE_OVERLAY);
    o.opacity = 1.0f;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    disp_input lin = {&f, one, FW, FH, labels, NULL};
    assert_int_equal(disp_render(c, &lin, &out), SEG_OK);
    assert_int_equal(sample(&out, 0, 0, 0), c8[0]);
    assert_int_equal(sample(&out, 0, 1, 0), c15[0]);
    assert_int_equal(sample(&out, 0, 0, 1), c15[0]);
    expect_plane(&out, 1, c8[1]);
    expect_plane(&out, 2, c8[2]);
    disp_compositor_free(&c);
    seg_image_free(&f);
    seg_image_free(&out);
}

/* Mean and largest |a - b| over n bytes. */
static void diff_stats(const uint8_t *a, const uint8_t *b, size_t n, double *mean, int *max)
{
    long sum = 0;
    *max = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs(a[i] - b[i]);
        sum += d;
        *max = d > *max ? d : *max;
    }
    *mean = (double)sum / (double)n;
}

/* Mean |a - b| per channel of two RGB24 images. */
static void rgb_diff(const seg_image *a, const seg_image *b, double mean[3])
{
    long sum[3] = {0, 0, 0};
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            for (int k = 0; k < 3; k++)
                sum[k] += abs(px(a, x, y)[k] - px(b, x, y)[k]);
    for (int k = 0; k < 3; k++)
        mean[k] = (double)sum[k] / ((double)a->width * a->height);
}

/* Compositing a picture in YUV (then converted to RGB) looks like
 * compositing its RGB version: every YUV mode, with the default options
 * (guided edges, smoothing over two frames), limited and full range. */
#define YUV_RGB_MEAN_TOL 1.5 /* levels per channel */
#define YUV_ALPHA_MEAN_TOL 1.0
#define YUV_ALPHA_MAX_TOL 48

static void test_yuv_matches_rgb(void **state)
{
    (void)state;
    enum { PW = 320, PH = 240, MW = 64, MH = 48 };
    static const disp_mode modes[] = {DISP_MODE_OVERLAY, DISP_MODE_MASK, DISP_MODE_BLUR,
                                      DISP_MODE_REPLACE, DISP_MODE_MATTE};
    seg_image pic = picture(PW, PH), bgpic = picture(PW, PH);
    /* the replace background: the picture upside down and another colour */
    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) {
            const uint8_t *p = px(&pic, x, PH - 1 - y);
            uint8_t *q = bgpic.data + (size_t)y * bgpic.stride + 3 * (size_t)x;
            q[0] = p[2];
            q[1] = p[0];
            q[2] = p[1];
        }
    float *m = picture_mask(PW, PH, MW, MH);
    uint8_t labels[MW * MH];
    for (int i = 0; i < MW * MH; i++)
        labels[i] = (i % MW) < MW / 2 ? 15 : 8;
    static const struct {
        seg_yuv_matrix m;
        int full;
    } ranges[] = {{SEG_YUV_BT601, 0}, {SEG_YUV_BT709, 1}};
    for (size_t ri = 0; ri < 2; ri++) {
        seg_image yf = yuv_of(&pic, ranges[ri].m, ranges[ri].full), rf = rgb_of(&yf);
        seg_image yb = yuv_of(&bgpic, ranges[ri].m, ranges[ri].full), rb = rgb_of(&yb);
        for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++)
            for (int lab = 0; lab <= (modes[mi] == DISP_MODE_OVERLAY); lab++) {
                disp_options o = disp_options_default();
                o.mode = modes[mi];
                disp_compositor *cy = NULL, *cr = NULL;
                assert_int_equal(disp_compositor_create(&cy, &o), SEG_OK);
                assert_int_equal(disp_compositor_create(&cr, &o), SEG_OK);
                seg_image oy = {0}, orgb = {0};
                disp_input iy = {&yf, m, MW, MH, lab ? labels : NULL, &yb};
                disp_input ir = {&rf, m, MW, MH, lab ? labels : NULL, &rb};
                for (int t = 0; t < 2; t++) {
                    assert_int_equal(disp_render(cy, &iy, &oy), SEG_OK);
                    assert_int_equal(disp_render(cr, &ir, &orgb), SEG_OK);
                }
                double am;
                int amax;
                diff_stats(disp_compositor_alpha(cy, NULL, NULL),
                           disp_compositor_alpha(cr, NULL, NULL), (size_t)PW * PH, &am, &amax);
                seg_image back = rgb_of(&oy);
                double d[3];
                rgb_diff(&back, &orgb, d);
                printf("# %s%s, %s %s: alpha |diff| mean %.3f max %d; RGB |diff| mean "
                       "%.2f %.2f %.2f\n",
                       disp_mode_name(modes[mi]), lab ? " (labels)" : "",
                       ranges[ri].m == SEG_YUV_BT601 ? "BT.601" : "BT.709",
                       ranges[ri].full ? "full" : "limited", am, amax, d[0], d[1], d[2]);
                assert_true(am <= YUV_ALPHA_MEAN_TOL);
                assert_true(amax <= YUV_ALPHA_MAX_TOL);
                for (int k = 0; k < 3; k++)
                    assert_true(d[k] <= YUV_RGB_MEAN_TOL);
                seg_image_free(&back);
                seg_image_free(&oy);
                seg_image_free(&orgb);
                disp_compositor_free(&cy);
                disp_compositor_free(&cr);
            }
        seg_image_free(&yf);
        seg_image_free(&rf);
        seg_image_free(&yb);
        seg_image_free(&rb);
    }
    seg_image_free(&pic);
    seg_image_free(&bgpic);
    free(m);
}

/* Odd sizes, every YUV mode (with feather, labels, backgrounds of every
 * kind): in place gives the bytes of a separate output, and the frame's
 * matrix and range carry over. */
static void test_yuv_odd_sizes_in_place(void **state)
{
    (void)state;
    static const int sizes[][2] = {{33, 17}, {1, 1}, {3, 2}, {64, 35}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int w = sizes[si][0], h = sizes[si][1];
        seg_image pic = picture(w, h), rbg = picture(2 * w + 1, h + 3);
        seg_image src = yuv_of(&pic, SEG_YUV_BT2020, 1);
        seg_image ybg = yuv_of(&pic, SEG_YUV_BT2020, 1);
        float *m = picture_mask(w, h, 7, 5);
        uint8_t labels[7 * 5];
        for (int i = 0; i < 7 * 5; i++)
            labels[i] = (uint8_t)(i % 4);
        const seg_image *bgs[] = {NULL, &rbg, &ybg};
        for (int mode = 0; mode < DISP_MODE_COUNT; mode++) {
            if (!disp_mode_takes_yuv((disp_mode)mode))
                continue;
            for (int b = 0; b < (mode == DISP_MODE_REPLACE ? 3 : 1); b++) {
                disp_options o = disp_options_default();
                o.mode = (disp_mode)mode;
                o.feather = 3;
                o.blur = 2;
                disp_compositor *a = NULL, *c = NULL;
                assert_int_equal(disp_compositor_create(&a, &o), SEG_OK);
                assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
                assert_int_equal(disp_compositor_set_background(a, &pic), SEG_OK);
                assert_int_equal(disp_compositor_set_background(c, &pic), SEG_OK);
                seg_image f = yuv_of(&pic, SEG_YUV_BT2020, 1), out = {0};
                disp_input ia = {&src, m, 7, 5, labels, bgs[b]};
                disp_input ic = {&f, m, 7, 5, labels, bgs[b]};
                for (int t = 0; t < 2; t++) {
                    assert_int_equal(disp_render(a, &ia, &out), SEG_OK);
                    seg_image_free(&f);
                    f = yuv_of(&pic, SEG_YUV_BT2020, 1);
                    assert_int_equal(disp_render(c, &ic, &f), SEG_OK);
                }
                assert_int_equal(out.matrix, SEG_YUV_BT2020);
                assert_int_equal(out.full_range, 1);
                expect_same_yuv(&out, &f);
                seg_image_free(&f);
                seg_image_free(&out);
                disp_compositor_free(&a);
                disp_compositor_free(&c);
            }
        }
        seg_image_free(&pic);
        seg_image_free(&rbg);
        seg_image_free(&src);
        seg_image_free(&ybg);
        free(m);
    }
}

/* replace: a YUV background at the frame's size is used as it is; at
 * another size, or for an RGB frame, it is refused. The stored picture
 * follows the frame's matrix. */
static void test_yuv_backgrounds(void **state)
{
    (void)state;
    enum { FW = 40, FH = 30 };
    seg_image pic = picture(FW, FH), f = image(FW, FH, SEG_PIX_YUV420P), out = {0};
    seg_image ybg = yuv_of(&pic, SEG_YUV_BT601, 0), small = image(FW / 2, FH, SEG_PIX_YUV420P);
    float zero[4] = {0, 0, 0, 0};
    disp_options o = exact(DISP_MODE_REPLACE);
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    disp_input in = {&f, zero, 2, 2, NULL, &ybg};
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    expect_same_yuv(&out, &ybg); /* all background: the picture's bytes */
    in.background = &small;
    assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID);
    seg_image rgbf = image(FW, FH, SEG_PIX_RGB24), rgbout = {0};
    in.frame = &rgbf;
    in.background = &ybg;
    assert_int_equal(disp_render(c, &in, &rgbout), SEG_ERR_INVALID);
    seg_image_free(&rgbout); /* allocated before the background was looked at */

    /* the stored RGB picture, converted for each matrix the frames come in */
    static const uint8_t BGC[3] = {230, 30, 90};
    seg_image flat = image(7, 5, SEG_PIX_RGB24);
    fill(&flat, BGC);
    assert_int_equal(disp_compositor_set_background(c, &flat), SEG_OK);
    in.frame = &f;
    in.background = NULL;
    for (int round = 0; round < 2; round++)
        for (int mx = 0; mx < SEG_YUV_COUNT; mx++) {
            uint8_t want[3];
            f.matrix = (seg_yuv_matrix)mx;
            f.full_range = mx == SEG_YUV_BT709;
            seg_rgb_to_yuv(BGC, f.matrix, f.full_range, want);
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
            for (int i = 0; i < 3; i++)
                assert_true(abs(sample(&out, i, 3, 3) - want[i]) <= 1);
        }
    /* a new picture replaces the converted one */
    static const uint8_t BGC2[3] = {10, 200, 10};
    uint8_t want[3];
    fill(&flat, BGC2);
    assert_int_equal(disp_compositor_set_background(c, &flat), SEG_OK);
    seg_rgb_to_yuv(BGC2, f.matrix, f.full_range, want);
    assert_int_equal(disp_render(c, &in, &out), SEG_OK);
    assert_true(abs(sample(&out, 0, 0, 0) - want[0]) <= 1);
    disp_compositor_free(&c);
    seg_image_free(&pic);
    seg_image_free(&f);
    seg_image_free(&out);
    seg_image_free(&ybg);
    seg_image_free(&small);
    seg_image_free(&rgbf);
    seg_image_free(&flat);
}

/* The compositor's own RGB -> YUV conversion (a per-frame RGB background
 * for a YUV frame) is within a level of seg_image_convert(). */
static void test_yuv_background_conversion(void **state)
{
    (void)state;
    enum { FW = 37, FH = 23 };
    seg_image pic = picture(FW, FH), f = image(FW, FH, SEG_PIX_YUV420P), out = {0};
    float zero[1] = {0};
    disp_options o = exact(DISP_MODE_REPLACE);
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    for (int mx = 0; mx < SEG_YUV_COUNT; mx++)
        for (int full = 0; full <= 1; full++) {
            f.matrix = (seg_yuv_matrix)mx;
            f.full_range = full;
            seg_image ref = yuv_of(&pic, f.matrix, full);
            disp_input in = {&f, zero, 1, 1, NULL, &pic};
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
            int worst = 0;
            for (int i = 0; i < 3; i++) {
                int pw = i ? seg_chroma_w(FW) : FW, ph = i ? seg_chroma_h(FH) : FH;
                for (int y = 0; y < ph; y++)
                    for (int x = 0; x < pw; x++) {
                        int d = abs(sample(&out, i, x, y) - sample(&ref, i, x, y));
                        worst = d > worst ? d : worst;
                    }
            }
            assert_true(worst <= 1);
            seg_image_free(&ref);
        }
    disp_compositor_free(&c);
    seg_image_free(&pic);
    seg_image_free(&f);
    seg_image_free(&out);
}

/* The guide of a YUV frame is its Y plane taken relative to the range: the
 * same picture in limited and in full range gives nearly the same alpha,
 * and the one its RGB version gives. A faint picture (contrast 1/8), whose
 * edges are near the filter's regulariser, shows a scale error. */
static void test_yuv_guide_range(void **state)
{
    (void)state;
    enum { PW = 320, PH = 240, MW = 40, MH = 30 };
    seg_image pic = picture(PW, PH);
    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++)
            for (int k = 0; k < 3; k++) {
                uint8_t *p = pic.data + (size_t)y * pic.stride + 3 * (size_t)x + k;
                *p = (uint8_t)(112 + *p / 8);
            }
    float *m = picture_mask(PW, PH, MW, MH);
    uint8_t *alpha[3];
    for (int full = 0; full <= 2; full++) { /* limited, full, RGB */
        disp_options o = exact(DISP_MODE_MASK);
        o.edge = 1;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image f = yuv_of(&pic, SEG_YUV_BT601, full & 1), out = {0};
        if (full == 2) {
            seg_image yf = f;
            f = rgb_of(&yf);
            seg_image_free(&yf);
        }
        disp_input in = {&f, m, MW, MH, NULL, NULL};
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        alpha[full] = malloc((size_t)PW * PH);
        assert_non_null(alpha[full]);
        memcpy(alpha[full], disp_compositor_alpha(c, NULL, NULL), (size_t)PW * PH);
        seg_image_free(&f);
        seg_image_free(&out);
        disp_compositor_free(&c);
    }
    double mean[2];
    for (int k = 0; k < 2; k++) {
        int max;
        diff_stats(alpha[k], alpha[2], (size_t)PW * PH, &mean[k], &max);
        printf("# guided alpha of a faint picture, YUV %s range vs RGB: |diff| mean %.3f "
               "max %d\n", k ? "full" : "limited", mean[k], max);
        assert_true(mean[k] <= 0.5);
        assert_true(max <= 16);
    }
    /* limited range is no further off than full range (its rounding aside):
     * a guide read at the wrong scale is (0.27 against 0.15 here) */
    assert_true(mean[0] <= mean[1] + 0.05);
    for (int k = 0; k < 3; k++)
        free(alpha[k]);
    free(m);
    seg_image_free(&pic);
}

/* ==== the guided filter against a plain reference ======================= */

/* Source index and right-neighbour weight of destination index d on an axis
 * of n source samples, scale source samples per destination sample, half-
 * pixel centres, clamped. */
static void ref_coord(int d, int n, double scale, int *i0, double *wt)
{
    double s = (d + 0.5) * scale - 0.5;
    int i = s <= 0.0 ? 0 : (int)s;
    *i0 = i >= n - 1 ? n - 1 : i;
    *wt = s <= 0.0 || i >= n - 1 ? 0.0 : s - i;
}

/* Bilinear sample of a gw x gh plane at destination (x, y) of a grid
 * scale (source samples per destination sample) sx, sy. */
static double ref_bilinear(const double *g, int gw, int gh, int x, int y, double sx, double sy)
{
    int x0, y0;
    double wx, wy;
    ref_coord(x, gw, sx, &x0, &wx);
    ref_coord(y, gh, sy, &y0, &wy);
    int x1 = x0 + (wx > 0), y1 = y0 + (wy > 0);
    double top = g[y0 * gw + x0] * (1 - wx) + g[y0 * gw + x1] * wx;
    double bot = g[y1 * gw + x0] * (1 - wx) + g[y1 * gw + x1] * wx;
    return top * (1 - wy) + bot * wy;
}

/* Mean over the in-plane samples of the (2r+1)^2 window. */
static void ref_box_mean(const double *src, double *dst, int gw, int gh, int r)
{
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            double sum = 0;
            int n = 0;
            for (int v = y - r; v <= y + r; v++)
                for (int u = x - r; u <= x + r; u++)
                    if (u >= 0 && u < gw && v >= 0 && v < gh) {
                        sum += src[v * gw + u];
                        n++;
                    }
            dst[y * gw + x] = sum / n;
        }
}

/* disp.h's guided upsampling of the probability map p (mw x mh), written
 * plainly in double: the guide I = Y / span as block means on the grid
 * (factor s), p resampled bilinearly onto it and shaped by --solid
 * (min(1, p / solid)), box means of radius r of I, p, I^2 and I p, the coefficients a = cov / (var + eps), b = mean p -
 * a mean I, their box means upsampled bilinearly; v = 255 (a Y / span + b)
 * per pixel, before rounding and snapping. */
static void ref_guided(const uint8_t *Y, size_t ys, int w, int h, double span, const double *p,
                       int mw, int mh, double solid, double *v)
{
    int s = ((w < h ? w : h) + 128) / 256;
    s = s < 1 ? 1 : (s > 8 ? 8 : s);
    int gw = (w + s - 1) / s, gh = (h + s - 1) / s;
    int r = (int)ceil(fmax((double)w / mw, (double)h / mh) / s);
    r = r < 1 ? 1 : (r > 8 ? 8 : r);
    size_t gn = (size_t)gw * gh;
    double *buf = malloc(sizeof(double) * gn * 8);
    assert_non_null(buf);
    double *I = buf, *P = I + gn, *II = P + gn, *IP = II + gn, *mI = IP + gn, *mP = mI + gn,
           *mII = mP + gn, *mIP = mII + gn;
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            double sum = 0;
            int n = 0;
            for (int y = gy * s; y < gy * s + s && y < h; y++)
                for (int x = gx * s; x < gx * s + s && x < w; x++, n++)
                    sum += Y[y * ys + x];
            size_t i = (size_t)gy * gw + gx;
            I[i] = sum / n / span;
            P[i] = ref_bilinear(p, mw, mh, gx, gy, (double)s * mw / w, (double)s * mh / h);
            P[i] = P[i] / solid < 1.0 ? P[i] / solid : 1.0; /* --solid */
            II[i] = I[i] * I[i];
            IP[i] = I[i] * P[i];
        }
    ref_box_mean(I, mI, gw, gh, r);
    ref_box_mean(P, mP, gw, gh, r);
    ref_box_mean(II, mII, gw, gh, r);
    ref_box_mean(IP, mIP, gw, gh, r);
    double *a = II, *b = IP;
    for (size_t i = 0; i < gn; i++) {
        a[i] = (mIP[i] - mI[i] * mP[i]) / (mII[i] - mI[i] * mI[i] + 1e-4);
        b[i] = mP[i] - a[i] * mI[i];
    }
    ref_box_mean(a, mI, gw, gh, r);
    ref_box_mean(b, mP, gw, gh, r);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double A = ref_bilinear(mI, gw, gh, x, y, 1.0 / s, 1.0 / s);
            double B = ref_bilinear(mP, gw, gh, x, y, 1.0 / s, 1.0 / s);
            v[(size_t)y * w + x] = 255.0 * (A * Y[y * ys + x] / span + B);
        }
    free(buf);
}

/* The alpha of a reference value v: rounded, snapped to 0 below 2.5 and to
 * 255 from 252.5 (the filter's ripple on flat ground). */
static int ref_snap(double v)
{
    return v < 2.5 ? 0 : (v >= 252.5 ? 255 : (int)(v + 0.5));
}

/* The refinement with its defaults (guided, smoothing) gives the plain
 * reference's alpha within a level before snapping (so a value next to a
 * snap threshold may land on either side of it): on the textured picture,
 * RGB and YUV frames, the second frame smoothed against the first; grids of
 * factor 3 (720p) and 3 with partial blocks and another radius. */
static void test_guided_matches_plain_reference(void **state)
{
    (void)state;
    static const struct {
        int w, h, mw, mh, yuv, full;
    } cases[] = {{1280, 720, 256, 144, 0, 0}, {1280, 720, 256, 144, 1, 0},
                 {1030, 770, 160, 96, 1, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int w = cases[ci].w, h = cases[ci].h, mw = cases[ci].mw, mh = cases[ci].mh;
        seg_image pic = picture(w, h), f = pic;
        if (cases[ci].yuv)
            f = yuv_of(&pic, SEG_YUV_BT709, cases[ci].full);
        /* two frames' masks: the disc, then a little further right */
        float *m[2] = {picture_mask(w, h, mw, mh), picture_mask(w + 8, h, mw, mh)};
        disp_options o = disp_options_default();
        o.mode = DISP_MODE_MASK;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image out = {0};
        double *p = malloc(sizeof(double) * (size_t)mw * mh);
        double *ref = malloc(sizeof(double) * (size_t)w * h);
        uint8_t *Y = malloc((size_t)w * h);
        assert_non_null(p);
        assert_non_null(ref);
        assert_non_null(Y);
        for (int t = 0; t < 2; t++) {
            disp_input in = {&f, m[t], mw, mh, NULL, NULL};
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
            for (int i = 0; i < mw * mh; i++) { /* disp.h's step 1 */
                double q = m[t][i] < 0 ? 0 : (m[t][i] > 1 ? 1 : (double)m[t][i]);
                double u = 1 - (2 * q - 1) * (2 * q - 1);
                p[i] = t ? q + (p[i] - q) * (double)o.smooth * u * u : q;
            }
        }
        for (int y = 0; y < h; y++) /* the guide: the Y plane, or BT.601 luma */
            for (int x = 0; x < w; x++) {
                const uint8_t *q = px(&pic, x, y);
                Y[(size_t)y * w + x] =
                    cases[ci].yuv ? f.data[(size_t)y * f.stride + x]
                                  : (uint8_t)((77 * q[0] + 150 * q[1] + 29 * q[2] + 128) >> 8);
            }
        ref_guided(Y, (size_t)w, w, h, cases[ci].yuv && !cases[ci].full ? 219.0 : 255.0, p, mw,
                   mh, (double)o.solid, ref);
        const uint8_t *a = disp_compositor_alpha(c, NULL, NULL);
        long sum = 0, edge = 0, off = 0;
        int max = 0;
        for (size_t i = 0; i < (size_t)w * h; i++) {
            int d = abs(a[i] - ref_snap(ref[i]));
            sum += d;
            max = d > max ? d : max;
            edge += ref_snap(ref[i]) > 0 && ref_snap(ref[i]) < 255;
            off += a[i] < ref_snap(ref[i] - 1.0) || a[i] > ref_snap(ref[i] + 1.0);
        }
        printf("# guided alpha %dx%d %s vs the plain reference: |diff| mean %.5f max %d, "
               "%ld more than a level off before snapping (%ld pixels strictly between 0 "
               "and 255)\n",
               w, h, cases[ci].yuv ? (cases[ci].full ? "YUV full" : "YUV limited") : "RGB",
               (double)sum / ((double)w * h), max, off, edge);
        assert_int_equal(off, 0);
        assert_true((double)sum / ((double)w * h) <= 0.001);
        assert_true(edge > (long)w * h / 100); /* the picture has edges to refine */
        free(p);
        free(ref);
        free(Y);
        free(m[0]);
        free(m[1]);
        seg_image_free(&out);
        disp_compositor_free(&c);
        if (cases[ci].yuv)
            seg_image_free(&f);
        seg_image_free(&pic);
    }
}

/* ==== options, sizes, errors ============================================ */

static void test_mode_names(void **state)
{
    (void)state;
    for (int m = 0; m < DISP_MODE_COUNT; m++) {
        assert_non_null(disp_mode_name((disp_mode)m));
        assert_int_equal(disp_mode_parse(disp_mode_name((disp_mode)m)), m);
    }
    assert_string_equal(disp_mode_name(DISP_MODE_SIDE_BY_SIDE), "side-by-side");
    assert_int_equal(disp_mode_parse("sbs"), DISP_MODE_SIDE_BY_SIDE);
    assert_int_equal(disp_mode_parse("bogus"), -1);
    assert_int_equal(disp_mode_parse(NULL), -1);
    assert_null(disp_mode_name(DISP_MODE_COUNT));
    /* cycling visits every mode, skipping replace without a picture */
    disp_mode m = DISP_MODE_OVERLAY;
    int seen = 0;
    for (int i = 0; i < DISP_MODE_COUNT; i++) {
        m = disp_mode_next(m, 0);
        seen |= 1 << m;
    }
    assert_int_equal(seen, ((1 << DISP_MODE_COUNT) - 1) & ~(1 << DISP_MODE_REPLACE));
    assert_int_equal(disp_mode_next(DISP_MODE_BLUR, 1), DISP_MODE_REPLACE);
    assert_int_equal(disp_mode_next(DISP_MODE_SIDE_BY_SIDE, 1), DISP_MODE_OVERLAY);
}

static void test_parse_options(void **state)
{
    (void)state;
    disp_options o = disp_options_default();
    char err[256];
    assert_int_equal(disp_parse_option(&o, "--mode", "blur", err, sizeof err), SEG_OK);
    assert_int_equal(o.mode, DISP_MODE_BLUR);
    assert_int_equal(disp_parse_option(&o, "mode", "side-by-side", err, sizeof err), SEG_OK);
    assert_int_equal(o.mode, DISP_MODE_SIDE_BY_SIDE);
    assert_int_equal(disp_parse_option(&o, "--color", "#FF8000", err, sizeof err), SEG_OK);
    assert_true(o.color[0] == 255 && o.color[1] == 128 && o.color[2] == 0);
    assert_int_equal(disp_parse_option(&o, "--matte-color", "0000ff", err, sizeof err), SEG_OK);
    assert_true(o.matte_color[2] == 255 && o.matte_color[1] == 0);
    assert_int_equal(disp_parse_option(&o, "--opacity", "0.25", err, sizeof err), SEG_OK);
    assert_float_equal(o.opacity, 0.25f, 1e-6f);
    assert_int_equal(disp_parse_option(&o, "--threshold", "0.5", err, sizeof err), SEG_OK);
    assert_float_equal(o.threshold, 0.5f, 1e-6f);
    assert_int_equal(disp_parse_option(&o, "--feather", "6", err, sizeof err), SEG_OK);
    assert_int_equal(o.feather, 6);
    assert_int_equal(disp_parse_option(&o, "--feather-dir", "in", err, sizeof err), SEG_OK);
    assert_int_equal(o.feather_dir, DISP_FEATHER_IN);
    assert_int_equal(disp_parse_option(&o, "--smooth", "0", err, sizeof err), SEG_OK);
    assert_float_equal(o.smooth, 0.0f, 0.0f);
    assert_int_equal(disp_parse_option(&o, "--edge", "off", err, sizeof err), SEG_OK);
    assert_int_equal(o.edge, 0);
    assert_int_equal(disp_parse_option(&o, "--edge", "on", err, sizeof err), SEG_OK);
    assert_int_equal(o.edge, 1);
    assert_int_equal(disp_parse_option(&o, "--blur", "30", err, sizeof err), SEG_OK);
    assert_int_equal(o.blur, 30);
    assert_int_equal(disp_parse_option(&o, "--side-mode", "blur", err, sizeof err), SEG_OK);
    assert_int_equal(o.side_mode, DISP_MODE_BLUR);
    assert_int_equal(disp_parse_option(&o, "--composite-threads", "2", err, sizeof err),
                     SEG_OK);
    assert_int_equal(o.threads, 2);
    assert_int_equal(disp_options_check(&o), SEG_OK);

    /* bad values: refused with the option and value in the message, o kept */
    disp_options keep = o;
    static const char *const bad[][2] = {
        {"--mode", "sparkle"}, {"--color", "12345"},  {"--color", "gg0000"},
        {"--opacity", "1.5"},  {"--opacity", "x"},    {"--threshold", "-0.1"},
        {"--feather", "-1"},   {"--feather", "999"},  {"--feather-dir", "up"},
        {"--smooth", "2"},     {"--edge", "maybe"},   {"--blur", "10000"},
        {"--side-mode", "alpha"}, {"--composite-threads", "-3"}, {"--opacity", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(disp_parse_option(&o, bad[i][0], bad[i][1], err, sizeof err),
                         SEG_ERR_INVALID);
        assert_non_null(strstr(err, bad[i][0] + 2));
        assert_memory_equal(&o, &keep, sizeof o);
    }
    assert_int_equal(disp_parse_option(&o, "--mode", NULL, err, sizeof err), SEG_ERR_INVALID);
    assert_int_equal(disp_parse_option(&o, "--output", "x.mp4", err, sizeof err),
                     SEG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "not a display option"));

    /* every option is named in the list and in the help */
    const char *const *names = disp_option_names();
    int n = 0;
    for (; names[n]; n++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s ", names[n]);
        assert_non_null(strstr(disp_options_help(), flag));
    }
    assert_int_equal(n, 13); /* with --solid */
}

static void test_output_sizes_and_errors(void **state)
{
    (void)state;
    int w, h;
    seg_pixfmt f;
    assert_int_equal(disp_output_size(DISP_MODE_SIDE_BY_SIDE, 640, 360, &w, &h, &f), SEG_OK);
    assert_true(w == 1920 && h == 360 && f == SEG_PIX_RGB24);
    assert_int_equal(disp_output_size(DISP_MODE_ALPHA, 640, 360, &w, &h, &f), SEG_OK);
    assert_true(w == 640 && h == 360 && f == SEG_PIX_RGBA);
    assert_int_equal(disp_output_size(DISP_MODE_BLUR, 640, 360, &w, &h, &f), SEG_OK);
    assert_true(w == 640 && f == SEG_PIX_RGB24);
    assert_int_equal(disp_output_size(DISP_MODE_SIDE_BY_SIDE, 6000, 100, &w, &h, &f),
                     SEG_ERR_LIMIT);
    assert_int_equal(disp_output_size(DISP_MODE_MASK, 0, 100, NULL, NULL, NULL),
                     SEG_ERR_INVALID);

    /* a renderer switching modes keeps its output fitted */
    {
        disp_options m = exact(DISP_MODE_OVERLAY);
        disp_compositor *k = NULL;
        assert_int_equal(disp_compositor_create(&k, &m), SEG_OK);
        seg_image fr = scene(), out = {0};
        float *mk = scene_mask();
        disp_input in = {&fr, mk, W, H, NULL, NULL};
        static const disp_mode seq[] = {DISP_MODE_OVERLAY, DISP_MODE_SIDE_BY_SIDE,
                                        DISP_MODE_ALPHA, DISP_MODE_BLUR};
        for (size_t i = 0; i < 4; i++) {
            m.mode = seq[i];
            assert_int_equal(disp_compositor_set_options(k, &m), SEG_OK);
            assert_int_equal(disp_output_prepare(k, W, H, &out), SEG_OK);
            uint8_t *before = out.data;
            assert_int_equal(disp_output_prepare(k, W, H, &out), SEG_OK);
            assert_ptr_equal(out.data, before); /* no change, no allocation */
            assert_int_equal(disp_render(k, &in, &out), SEG_OK);
            assert_int_equal(out.width, seq[i] == DISP_MODE_SIDE_BY_SIDE ? 3 * W : W);
            assert_int_equal(out.format, seq[i] == DISP_MODE_ALPHA ? SEG_PIX_RGBA : SEG_PIX_RGB24);
        }
        seg_image_free(&fr);
        seg_image_free(&out);
        free(mk);
        disp_compositor_free(&k);
    }

    disp_options o = disp_options_default();
    o.opacity = 2.0f;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_ERR_INVALID);
    assert_null(c);
    o = disp_options_default();
    o.side_mode = DISP_MODE_ALPHA;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_ERR_INVALID);

    o = exact(DISP_MODE_OVERLAY);
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image fr = scene(), out = image(W + 1, H, SEG_PIX_RGB24), gray = image(W, H, SEG_PIX_GRAY8);
    float *m = scene_mask();
    disp_input in = {&fr, m, W, H, NULL, NULL};
    assert_int_equal(disp_render(c, &in, &out), SEG_ERR_INVALID); /* wrong output size */
    in.frame = &gray;
    seg_image none = {0};
    assert_int_equal(disp_render(c, &in, &none), SEG_ERR_INVALID); /* not RGB24 */
    in.frame = &fr;
    in.mask = NULL;
    assert_int_equal(disp_render(c, &in, &none), SEG_ERR_INVALID);
    in.mask = m;
    in.mask_w = 0;
    assert_int_equal(disp_render(c, &in, &none), SEG_ERR_INVALID);
    assert_null(disp_compositor_alpha(c, NULL, NULL)); /* nothing rendered yet */
    assert_int_equal(disp_compositor_mask_image(c, &none), SEG_ERR_INVALID);
    /* alpha and side-by-side cannot run in place */
    o.mode = DISP_MODE_ALPHA;
    assert_int_equal(disp_compositor_set_options(c, &o), SEG_OK);
    assert_int_equal(disp_composite(c, &fr, m, W, H), SEG_ERR_INVALID);
    o.mode = DISP_MODE_SIDE_BY_SIDE;
    assert_int_equal(disp_compositor_set_options(c, &o), SEG_OK);
    assert_int_equal(disp_composite(c, &fr, m, W, H), SEG_ERR_INVALID);
    assert_int_equal(disp_compositor_options(c)->mode, DISP_MODE_SIDE_BY_SIDE);
    o.feather = -1;
    assert_int_equal(disp_compositor_set_options(c, &o), SEG_ERR_INVALID);
    disp_compositor_free(&c);
    disp_compositor_free(&c); /* NULL-safe */
    disp_compositor_free(NULL);
    seg_image_free(&fr);
    seg_image_free(&out);
    seg_image_free(&gray);
    free(m);
}

static void test_background_cover(void **state)
{
    (void)state;
    int x, y, w, h;
    disp_cover_rect(1920, 1080, 1000, 1000, &x, &y, &w, &h);
    assert_true(x == 420 && y == 0 && w == 1080 && h == 1080);
    disp_cover_rect(640, 480, 1280, 720, &x, &y, &w, &h);
    assert_true(x == 0 && y == 60 && w == 640 && h == 360);
    /* a wide picture: left third red, middle green, right third blue; the
     * square frame shows only the middle */
    seg_image src = image(300, 100, SEG_PIX_RGB24), dst = image(50, 50, SEG_PIX_RGB24);
    for (int j = 0; j < 100; j++)
        for (int i = 0; i < 300; i++) {
            uint8_t c[3] = {i < 100 ? 255 : 0, i >= 100 && i < 200 ? 255 : 0, i >= 200 ? 255 : 0};
            memcpy(src.data + (size_t)j * src.stride + 3 * (size_t)i, c, 3);
        }
    assert_int_equal(disp_background_cover(&src, &dst), SEG_OK);
    for (int j = 0; j < 50; j += 7)
        for (int i = 0; i < 50; i += 7)
            expect_px(&dst, i, j, 0, 255, 0);
    seg_image gray = image(4, 4, SEG_PIX_GRAY8);
    assert_int_equal(disp_background_cover(&gray, &dst), SEG_ERR_INVALID);
    seg_image_free(&src);
    seg_image_free(&dst);
    seg_image_free(&gray);
}

/* --solid: probabilities at or above it are opaque, those below ramp as
 * p / solid; on both upsampling paths; a bad value is refused. */
static void test_solid_makes_confident_opaque(void **state)
{
    (void)state;
    /* The default shapes (0.5); a threshold cuts the probability itself,
     * not the shaped one (0.3 stays out under --threshold 0.5). */
    assert_float_equal(disp_options_default().solid, 0.5f, 1e-6f);
    for (int run = 0; run < 4; run++) {
        int edge = run & 1, thr = run >> 1;
        disp_options o = exact(DISP_MODE_MASK);
        o.edge = edge;
        o.solid = 0.5f;
        o.threshold = thr ? 0.5f : 0.0f;
        disp_compositor *c = NULL;
        assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
        seg_image f = image(64, 64, SEG_PIX_RGB24), out = {0};
        fill(&f, BG);
        const float levels[4] = {0.25f, 0.3f, 0.5f, 0.8f};
        /* 0.25 / 0.5 = half, 0.3 / 0.5 = 0.6; the rest opaque; threshold:
         * out below 0.5 */
        const int want[2][4] = {{128, 153, 255, 255}, {0, 0, 255, 255}};
        for (int k = 0; k < 4; k++) {
            float m[8 * 8];
            for (int i = 0; i < 64; i++)
                m[i] = levels[k];
            disp_input in = {&f, m, 8, 8, NULL, NULL};
            assert_int_equal(disp_render(c, &in, &out), SEG_OK);
            int w, h;
            const uint8_t *a = disp_compositor_alpha(c, &w, &h);
            assert_non_null(a);
            assert_true(abs((int)a[32 * w + 32] - want[thr][k]) <= 1);
        }
        seg_image_free(&out);
        seg_image_free(&f);
        disp_compositor_free(&c);
    }
    disp_options o = disp_options_default();
    char err[256];
    assert_int_equal(disp_parse_option(&o, "solid", "0.6", err, sizeof err), SEG_OK);
    assert_float_equal(o.solid, 0.6f, 1e-6f);
    assert_int_not_equal(disp_parse_option(&o, "solid", "0", err, sizeof err), SEG_OK);
    assert_int_not_equal(disp_parse_option(&o, "solid", "1.5", err, sizeof err), SEG_OK);
}

/* ==== the class legend ================================================== */

/* The legend of two classes on a grey 200x120 frame (font pixel 1): the box
 * in the top right corner darkens what is under it, each line has a
 * white-framed swatch in the class colour and the name in white; nothing
 * outside the box changes, and no entries draw nothing. */
static void test_legend_pixels(void **state)
{
    (void)state;
    static const uint8_t GREY[3] = {128, 128, 128};
    disp_legend_entry e[2] = {{{192, 128, 128}, "person"}, {{64, 0, 0}, "cat"}};
    int box[4];
    assert_int_equal(disp_legend_box(200, 120, e, 2, box), 2);
    /* 3 + 8 + 3 + 6 letters * 6 - 1 + 3 wide, 3 + 10 + 8 + 3 high, 4 from
     * the top and right edges */
    assert_int_equal(box[2], 3 + 8 + 3 + 6 * 6 - 1 + 3);
    assert_int_equal(box[3], 3 + 10 + 8 + 3);
    assert_int_equal(box[0], 200 - 4 - box[2]);
    assert_int_equal(box[1], 4);

    seg_image f = image(200, 120, SEG_PIX_RGB24);
    fill(&f, GREY);
    assert_int_equal(disp_legend_draw(&f, e, 0), SEG_OK); /* nothing to list */
    for (int y = 0; y < 120; y++)
        for (int x = 0; x < 200; x++)
            expect_px(&f, x, y, 128, 128, 128);
    assert_int_equal(disp_legend_draw(&f, e, 2), SEG_OK);
    int x0 = box[0] + 3, y0 = box[1] + 3, dark = 128 * 96 / 256;
    expect_px(&f, box[0], box[1], dark, dark, dark);               /* the box */
    expect_px(&f, box[0] + box[2] - 1, box[1] + box[3] - 1, dark, dark, dark);
    expect_px(&f, x0, y0, 255, 255, 255);                          /* swatch frame */
    expect_px(&f, x0 + 4, y0 + 4, 192, 128, 128);                  /* person's swatch */
    expect_px(&f, x0 + 4, y0 + 10 + 4, 64, 0, 0);                  /* cat's */
    expect_px(&f, x0 + 11, y0, 255, 255, 255);                     /* P's top left */
    expect_px(&f, x0 + 11 + 4, y0, dark, dark, dark);              /* P's top right: off */
    expect_px(&f, x0 + 11, y0 + 10 + 1, 255, 255, 255);            /* C's left stroke */
    /* Everything outside the box is as it was. */
    long white = 0;
    for (int y = 0; y < 120; y++)
        for (int x = 0; x < 200; x++) {
            int in = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
            if (!in)
                expect_px(&f, x, y, 128, 128, 128);
            else
                white += px(&f, x, y)[0] == 255 && px(&f, x, y)[1] == 255;
        }
    /* two swatch frames (8x8 less 6x6 each) and the letters' dots */
    assert_true(white > 2 * 28 + 40);
    seg_image_free(&f);

    /* Errors: no pixels, a format it does not draw. */
    seg_image none = {0};
    assert_int_equal(disp_legend_draw(&none, e, 2), SEG_ERR_INVALID);
    assert_int_equal(disp_legend_draw(NULL, e, 2), SEG_ERR_INVALID);
    seg_image g = image(8, 8, SEG_PIX_GRAY8);
    assert_int_equal(disp_legend_draw(&g, e, 2), SEG_ERR_INVALID);
    seg_image_free(&g);
}

/* A YUV420P frame gets the same legend in its own Y'CbCr: the swatch is
 * the class colour converted with the frame's matrix and range, the box
 * grey (chroma 128); a short frame keeps the lines that fit; the font
 * grows with the frame's height. */
static void test_legend_yuv_and_sizes(void **state)
{
    (void)state;
    disp_legend_entry e[3] = {{{0, 128, 0}, "bicycle"}, {{128, 0, 0}, "aeroplane"},
                              {{192, 128, 128}, "person"}};
    seg_image f = image(320, 240, SEG_PIX_YUV420P);
    f.matrix = SEG_YUV_BT709;
    f.full_range = 0;
    static const uint8_t scene_yuv[3] = {150, 90, 170};
    fill_yuv(&f, scene_yuv);
    int box[4];
    assert_int_equal(disp_legend_box(320, 240, e, 3, box), 3);
    assert_int_equal(disp_legend_draw(&f, e, 3), SEG_OK);
    int px1 = (240 + 100) / 200; /* 1 */
    int x0 = box[0] + 3 * px1, y0 = box[1] + 3 * px1;
    uint8_t green[3];
    seg_rgb_to_yuv(e[0].rgb, SEG_YUV_BT709, 0, green);
    int cx = x0 + 4 * px1, cy = y0 + 4 * px1;
    assert_int_equal(sample(&f, 0, cx, cy), green[0]);
    assert_int_equal(sample(&f, 1, cx / 2, cy / 2), green[1]);
    assert_int_equal(sample(&f, 2, cx / 2, cy / 2), green[2]);
    /* the box: luma towards black (16), chroma grey */
    assert_int_equal(sample(&f, 0, box[0], box[1] + box[3] - 1), 16 + (150 - 16) * 96 / 256);
    assert_int_equal(sample(&f, 1, (box[0] + 1) / 2, (box[1] + 1) / 2), 128);
    /* outside it, the scene */
    assert_int_equal(sample(&f, 0, box[0] - 1, box[1]), 150);
    assert_int_equal(sample(&f, 0, 5, 200), 150);
    assert_int_equal(sample(&f, 1, 2, 100), 90);
    seg_image_free(&f);

    /* 40 rows hold two lines of the three (4 + 3 + 8 + 10 + 3 + 4 = 32; a
     * third needs 10 more), 30 one, 20 none. */
    assert_int_equal(disp_legend_box(320, 40, e, 3, box), 2);
    assert_int_equal(disp_legend_box(320, 30, e, 3, box), 1);
    assert_int_equal(disp_legend_box(320, 20, e, 3, box), 0);
    /* 1080 rows: font pixels of 5, so the box is 5 times as large as at 120. */
    int small[4];
    assert_int_equal(disp_legend_box(1920, 1080, e, 1, box), 1);
    assert_int_equal(disp_legend_box(400, 120, e, 1, small), 1);
    assert_int_equal(box[2], 5 * small[2]);
    assert_int_equal(box[3], 5 * small[3]);
    /* A frame narrower than the box: cut at the right edge, still drawn. */
    assert_int_equal(disp_legend_box(30, 120, e, 1, box), 1);
    assert_int_equal(box[0], 0);
    assert_int_equal(box[2], 30);
    seg_image n = image(30, 120, SEG_PIX_RGBA);
    memset(n.data, 0, (size_t)n.stride * 120);
    assert_int_equal(disp_legend_draw(&n, e, 1), SEG_OK);
    assert_int_equal(n.data[(size_t)10 * n.stride + 4 * 3 + 3], 255); /* opaque box */
    assert_int_equal(n.data[(size_t)100 * n.stride + 4 * 3 + 3], 0);  /* below: as it was */
    seg_image_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_pixels),
        cmocka_unit_test(test_mask_pixels),
        cmocka_unit_test(test_solid_makes_confident_opaque),
        cmocka_unit_test(test_matte_pixels),
        cmocka_unit_test(test_replace_pixels),
        cmocka_unit_test(test_replace_stored_background),
        cmocka_unit_test(test_blur_pixels),
        cmocka_unit_test(test_blur_blurs_the_background),
        cmocka_unit_test(test_alpha_pixels),
        cmocka_unit_test(test_side_by_side_pixels),
        cmocka_unit_test(test_overlay_palette_by_class),
        cmocka_unit_test(test_in_place_equals_out_of_place),
        cmocka_unit_test(test_threads_give_identical_bytes),
        cmocka_unit_test(test_no_allocation_per_frame),
        cmocka_unit_test(test_fast_upsampling_matches_reference),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_feather_outward_never_eats_the_body),
        cmocka_unit_test(test_guided_edge_follows_the_picture),
        cmocka_unit_test(test_blur_has_no_halo),
        cmocka_unit_test(test_smoothing_damps_flicker_not_motion),
        cmocka_unit_test(test_history_follows_sizes),
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_output_sizes_and_errors),
        cmocka_unit_test(test_background_cover),
        cmocka_unit_test(test_yuv_mode_support),
        cmocka_unit_test(test_yuv_exact_values),
        cmocka_unit_test(test_yuv_chroma_block_alpha_and_labels),
        cmocka_unit_test(test_yuv_matches_rgb),
        cmocka_unit_test(test_yuv_odd_sizes_in_place),
        cmocka_unit_test(test_yuv_backgrounds),
        cmocka_unit_test(test_yuv_background_conversion),
        cmocka_unit_test(test_yuv_guide_range),
        cmocka_unit_test(test_guided_matches_plain_reference),
        cmocka_unit_test(test_legend_pixels),
        cmocka_unit_test(test_legend_yuv_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
