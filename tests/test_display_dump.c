/* test_display_dump.c - PNG output of display/ through io/: the PNG writer
 * (colour types, lossless round trip), --dump-frames files (names, every N,
 * byte-identical across runs and thread counts) and still-picture loading. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disp.h"
#include "io.h"

static char tmp[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "%s/test_display_dump.XXXXXX", SEG_BINARY_DIR);
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* A picture with something in every pixel. */
static seg_image picture(int w, int h, seg_pixfmt f)
{
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, w, h, f), SEG_OK);
    int bpp = seg_pixfmt_bpp(f);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * bpp; x++)
            im.data[(size_t)y * im.stride + x] = (uint8_t)(x * 3 + y * 7 + (x * y) % 11);
    return im;
}

/* The PNG header: signature, then IHDR's width, height, depth, colour type. */
static void expect_png(const char *path, int w, int h, int colour_type)
{
    size_t n;
    unsigned char *b = slurp(path, &n);
    assert_non_null(b);
    assert_true(n > 33);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    assert_int_equal((b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19], w);
    assert_int_equal((b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23], h);
    assert_int_equal(b[24], 8);
    assert_int_equal(b[25], colour_type);
    free(b);
}

static void test_png_round_trip(void **state)
{
    (void)state;
    char path[320], err[512];
    static const struct { seg_pixfmt f; int type; const char *name; } kinds[] = {
        {SEG_PIX_RGB24, 2, "rgb"}, {SEG_PIX_RGBA, 6, "rgba"}, {SEG_PIX_GRAY8, 0, "gray"}};
    io_png_writer *pw = NULL;
    assert_int_equal(io_png_writer_open(&pw), SEG_OK);
    for (size_t k = 0; k < 3; k++) {
        seg_image im = picture(37, 23, kinds[k].f), back = {0};
        snprintf(path, sizeof path, "%s/%s.png", tmp, kinds[k].name);
        assert_int_equal(io_png_writer_write(pw, path, &im), SEG_OK);
        expect_png(path, 37, 23, kinds[k].type);
        /* decoded again (as RGB24 by io_source): the pixels are all there */
        assert_int_equal(io_image_load(path, &back, err, sizeof err), SEG_OK);
        assert_int_equal(back.width, 37);
        assert_int_equal(back.height, 23);
        for (int y = 0; y < 23; y++)
            for (int x = 0; x < 37; x++) {
                const uint8_t *p = back.data + (size_t)y * back.stride + 3 * (size_t)x;
                if (kinds[k].f == SEG_PIX_GRAY8) {
                    uint8_t v = im.data[(size_t)y * im.stride + x];
                    assert_true(p[0] == v && p[1] == v && p[2] == v);
                } else {
                    int bpp = seg_pixfmt_bpp(kinds[k].f);
                    assert_memory_equal(p, im.data + (size_t)y * im.stride + (size_t)x * bpp, 3);
                }
            }
        seg_image_free(&im);
        seg_image_free(&back);
    }
    /* in memory: the same picture twice gives the same bytes */
    seg_image im = picture(64, 48, SEG_PIX_RGB24);
    const uint8_t *d;
    size_t n1, n2;
    assert_int_equal(io_png_writer_encode(pw, &im, &d, &n1), SEG_OK);
    unsigned char *first = malloc(n1);
    assert_non_null(first);
    memcpy(first, d, n1);
    assert_int_equal(io_png_writer_encode(pw, &im, &d, &n2), SEG_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, d, n1);
    free(first);
    /* bad input and an unwritable place */
    seg_image bad = im;
    bad.format = SEG_PIX_COUNT;
    assert_int_equal(io_png_writer_encode(pw, &bad, &d, &n1), SEG_ERR_INVALID);
    /* 4:4:4 and a 4:2:0 picture without its chroma planes: refused with a
     * message, and the writer still works after them. */
    bad.format = SEG_PIX_YUV444P;
    assert_int_equal(io_png_writer_encode(pw, &bad, &d, &n1), SEG_ERR_INVALID);
    assert_non_null(strstr(io_png_writer_last_error(pw), "yuv444p"));
    bad.format = SEG_PIX_YUV420P;
    assert_int_equal(io_png_writer_encode(pw, &bad, &d, &n1), SEG_ERR_INVALID);
    bad.width = SEG_MAX_DIM + 1;
    bad.format = SEG_PIX_RGB24;
    assert_int_equal(io_png_writer_encode(pw, &bad, &d, &n1), SEG_ERR_LIMIT);
    assert_int_equal(io_png_writer_encode(pw, &im, &d, &n2), SEG_OK);
    assert_int_equal(n1, n2);
    assert_int_equal(io_png_writer_write(pw, "/nonexistent-dir/x.png", &im), SEG_ERR_IO);
    assert_non_null(strstr(io_png_writer_last_error(pw), "/nonexistent-dir/x.png"));
    assert_int_equal(io_png_save("/nonexistent-dir/y.png", &im, err, sizeof err), SEG_ERR_IO);
    assert_non_null(strstr(err, "cannot create"));
    seg_image_free(&im);
    io_png_writer_close(&pw);
    assert_null(pw);
    io_png_writer_close(&pw);
}

/* Five frames of a square moving over a gradient, composited in blur mode
 * (guided edges, smoothing: the defaults) and dumped every second frame. */
static void dump_run(const char *dir, int threads, disp_mode mode)
{
    char err[512];
    io_dump *d = NULL;
    /* overwrite: the runs of one test dump into the same folder again */
    assert_int_equal(io_dump_open(&d, dir, 2, 1, err, sizeof err), SEG_OK);
    disp_options o = disp_options_default();
    o.mode = mode;
    o.threads = threads;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image f = {0}, out = {0};
    assert_int_equal(seg_image_alloc(&f, 160, 120, SEG_PIX_RGB24), SEG_OK);
    float m[40 * 30];
    for (int t = 0; t < 5; t++) {
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 160; x++) {
                int in = x >= 40 + 8 * t && x < 90 + 8 * t && y >= 30 && y < 90;
                uint8_t *p = f.data + (size_t)y * f.stride + 3 * (size_t)x;
                p[0] = in ? 230 : (uint8_t)x;
                p[1] = in ? 40 : (uint8_t)(y * 2);
                p[2] = in ? 60 : 128;
            }
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < 40; x++)
                m[y * 40 + x] = (x >= 10 + 2 * t && x < 22 + 2 * t && y >= 7 && y < 22) ? 0.97f
                                                                                      : 0.03f;
        f.index = t;
        f.pts = 1000 * t;
        disp_input in = {&f, m, 40, 30, NULL, NULL};
        assert_int_equal(disp_render(c, &in, &out), SEG_OK);
        assert_int_equal(io_dump_wants(d, t), t % 2 == 0);
        seg_image mask;
        assert_int_equal(disp_compositor_mask_image(c, &mask), SEG_OK);
        assert_int_equal(mask.index, t);
        assert_int_equal(io_dump_write(d, &out, &mask), SEG_OK);
    }
    seg_image_free(&f);
    seg_image_free(&out);
    disp_compositor_free(&c);
    io_dump_close(&d);
    assert_null(d);
}

static void test_dumps_are_byte_identical(void **state)
{
    (void)state;
    char a[300], b[300], pa[400], pb[400];
    snprintf(a, sizeof a, "%s/run1", tmp);
    snprintf(b, sizeof b, "%s/run2", tmp);
    dump_run(a, 1, DISP_MODE_BLUR);
    dump_run(b, 2, DISP_MODE_BLUR);
    static const char *const names[] = {"frame_000000.png", "mask_000000.png",
                                        "frame_000002.png", "mask_000002.png",
                                        "frame_000004.png", "mask_000004.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(pa, sizeof pa, "%s/%s", a, names[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, names[i]);
        size_t na, nb;
        unsigned char *da = slurp(pa, &na), *db = slurp(pb, &nb);
        if (!da || !db)
            fail_msg("missing %s", !da ? pa : pb);
        assert_int_equal(na, nb);
        assert_memory_equal(da, db, na);
        free(da);
        free(db);
    }
    expect_png(pa, 160, 120, 0); /* the last is a mask: grey */
    snprintf(pa, sizeof pa, "%s/frame_000002.png", a);
    expect_png(pa, 160, 120, 2);
    /* only every second frame */
    snprintf(pa, sizeof pa, "%s/frame_000001.png", a);
    assert_false(exists(pa));
    snprintf(pa, sizeof pa, "%s/mask_000003.png", a);
    assert_false(exists(pa));
    /* a second run into the same place replaces the files with equal ones */
    dump_run(a, 1, DISP_MODE_BLUR);
    snprintf(pa, sizeof pa, "%s/frame_000004.png", a);
    snprintf(pb, sizeof pb, "%s/frame_000004.png", b);
    size_t na, nb;
    unsigned char *da = slurp(pa, &na), *db = slurp(pb, &nb);
    assert_non_null(da);
    assert_non_null(db);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, na);
    free(da);
    free(db);
    /* alpha mode dumps RGBA pictures */
    snprintf(a, sizeof a, "%s/alpha", tmp);
    dump_run(a, 1, DISP_MODE_ALPHA);
    snprintf(pa, sizeof pa, "%s/frame_000000.png", a);
    expect_png(pa, 160, 120, 6);
}

static void test_dump_and_load_errors(void **state)
{
    (void)state;
    char err[512], path[320];
    io_dump *d = NULL;
    snprintf(path, sizeof path, "%s/plain-file", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(io_dump_open(&d, path, 1, 0, err, sizeof err), SEG_ERR_IO);
    assert_null(d);
    assert_non_null(strstr(err, "plain-file"));
    snprintf(path, sizeof path, "%s/no/such/parent", tmp);
    assert_int_equal(io_dump_open(&d, path, 1, 0, err, sizeof err), SEG_ERR_IO);
    assert_int_equal(io_dump_open(&d, tmp, 0, 0, err, sizeof err), SEG_ERR_INVALID);
    seg_image im = {0};
    snprintf(path, sizeof path, "%s/missing.png", tmp);
    assert_int_not_equal(io_image_load(path, &im, err, sizeof err), SEG_OK);
    assert_non_null(strstr(err, "missing.png"));
    seg_image_free(&im);
    io_dump_close(&d);
    io_dump_close(NULL);
}

/* A folder that holds a dump is refused without overwrite; with it the
 * frames are replaced, but never through a symlink planted there. */
static void test_dump_refuses_old_frames_and_symlinks(void **state)
{
    (void)state;
    char err[512], dir[320], frame[360], victim[360], link[360], buf[64];
    io_dump *d = NULL;
    snprintf(dir, sizeof dir, "%s/old-dump", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(io_dump_open(&d, dir, 1, 0, err, sizeof err), SEG_OK); /* empty: fine */
    io_dump_close(&d);
    snprintf(frame, sizeof frame, "%s/frame_000003.png", dir);
    FILE *f = fopen(frame, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(io_dump_open(&d, dir, 1, 0, err, sizeof err), SEG_ERR_EXISTS);
    assert_null(d);
    assert_non_null(strstr(err, "frame_000003.png"));
    /* With overwrite: frame_000000.png is a symlink to a file of the user's. */
    snprintf(victim, sizeof victim, "%s/victim.txt", tmp);
    f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious\n", f);
    fclose(f);
    snprintf(link, sizeof link, "%s/frame_000000.png", dir);
    assert_int_equal(symlink(victim, link), 0);
    assert_int_equal(io_dump_open(&d, dir, 1, 1, err, sizeof err), SEG_OK);
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, 8, 8, SEG_PIX_RGB24), SEG_OK);
    memset(im.data, 90, (size_t)im.stride * 8);
    im.index = 0;
    assert_int_equal(io_dump_write(d, &im, NULL), SEG_ERR_IO);
    assert_non_null(strstr(io_dump_last_error(d), "symbolic link"));
    f = fopen(victim, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "precious\n");
    /* a plain old frame is replaced */
    im.index = 3;
    assert_int_equal(io_dump_write(d, &im, NULL), SEG_OK);
    struct stat sb;
    assert_int_equal(stat(frame, &sb), 0);
    assert_true(sb.st_size > 0);
    seg_image_free(&im);
    io_dump_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_dumps_are_byte_identical),
        cmocka_unit_test(test_dump_and_load_errors),
        cmocka_unit_test(test_dump_refuses_old_frames_and_symlinks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
