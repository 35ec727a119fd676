/* test_common.c - the shared helpers: status names, images, SHA-256. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "seg_image.h"
#include "seg_sha256.h"
#include "seg_status.h"

static void test_sha256_known_vectors(void **state)
{
    (void)state;
    char hex[65];
    seg_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    seg_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    seg_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *mil = malloc(1000000);
    assert_non_null(mil);
    memset(mil, 'a', 1000000);
    seg_sha256_hex(mil, 1000000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(mil);
}

static void test_status_and_image(void **state)
{
    (void)state;
    assert_string_equal(seg_status_str(SEG_OK), "success");
    assert_string_equal(seg_status_str(SEG_ERR_EXISTS), "output exists");
    assert_string_equal(seg_status_str(12345), "unknown status");
    seg_image img;
    assert_int_equal(seg_image_alloc(&img, 33, 7, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(img.stride % 64, 0);
    assert_true(img.stride >= 99);
    assert_int_equal((uintptr_t)img.data % 64, 0);
    seg_image_free(&img);
    assert_null(img.data);
    assert_int_equal(seg_image_alloc(&img, SEG_MAX_DIM + 1, 2, SEG_PIX_RGB24), SEG_ERR_LIMIT);
    assert_int_equal(seg_image_alloc(&img, 16384, 16384, SEG_PIX_RGB24), SEG_ERR_LIMIT);
    assert_int_equal(seg_image_alloc(&img, 0, 2, SEG_PIX_RGB24), SEG_ERR_INVALID);
}

/* Known colours in both ranges and matrices, and round trips. */
static void test_yuv_colours(void **state)
{
    (void)state;
    uint8_t yuv[3], rgb[3];
    /* BT.601 limited: white 235/128/128, black 16/128/128, pure red
     * 81/90/240 (the textbook values). */
    seg_rgb_to_yuv((const uint8_t[3]){255, 255, 255}, SEG_YUV_BT601, 0, yuv);
    assert_memory_equal(yuv, ((uint8_t[3]){235, 128, 128}), 3);
    seg_rgb_to_yuv((const uint8_t[3]){0, 0, 0}, SEG_YUV_BT601, 0, yuv);
    assert_memory_equal(yuv, ((uint8_t[3]){16, 128, 128}), 3);
    seg_rgb_to_yuv((const uint8_t[3]){255, 0, 0}, SEG_YUV_BT601, 0, yuv);
    assert_memory_equal(yuv, ((uint8_t[3]){81, 90, 240}), 3);
    /* BT.709 limited green: 173/42/26; full-range BT.601 (JPEG) blue:
     * 29/255/107. */
    seg_rgb_to_yuv((const uint8_t[3]){0, 255, 0}, SEG_YUV_BT709, 0, yuv);
    assert_memory_equal(yuv, ((uint8_t[3]){173, 42, 26}), 3);
    seg_rgb_to_yuv((const uint8_t[3]){0, 0, 255}, SEG_YUV_BT601, 1, yuv);
    assert_memory_equal(yuv, ((uint8_t[3]){29, 255, 107}), 3);
    /* Round trips within one level (limited range loses a little). */
    for (int m = 0; m < SEG_YUV_COUNT; m++)
        for (int full = 0; full < 2; full++)
            for (int v = 0; v < 4096; v++) {
                uint8_t c[3] = {(uint8_t)(v * 37), (uint8_t)(v * 101 >> 2), (uint8_t)(v >> 4)};
                seg_rgb_to_yuv(c, (seg_yuv_matrix)m, full, yuv);
                seg_yuv_to_rgb(yuv, (seg_yuv_matrix)m, full, rgb);
                for (int k = 0; k < 3; k++)
                    assert_true(abs(rgb[k] - c[k]) <= (full ? 1 : 2));
            }
}

/* The fast tables agree with the exact conversion within a level, for
 * every matrix and range, over a grid of all three components. */
static void test_yuv_tables(void **state)
{
    (void)state;
    seg_yuv_tables t;
    for (int m = 0; m < SEG_YUV_COUNT; m++)
        for (int full = 0; full < 2; full++) {
            seg_yuv_tables_init(&t, (seg_yuv_matrix)m, full);
            int worst = 0;
            for (int y = 0; y < 256; y += 3)
                for (int u = 0; u < 256; u += 5)
                    for (int v = 0; v < 256; v += 5) {
                        uint8_t yuv[3] = {(uint8_t)y, (uint8_t)u, (uint8_t)v}, a[3], b[3];
                        seg_yuv_to_rgb(yuv, (seg_yuv_matrix)m, full, a);
                        seg_yuv_pixel(&t, yuv[0], yuv[1], yuv[2], b);
                        for (int k = 0; k < 3; k++)
                            worst = abs(a[k] - b[k]) > worst ? abs(a[k] - b[k]) : worst;
                    }
            assert_true(worst <= 1);
        }
    /* Limited-range white and black are exact. */
    seg_yuv_tables_init(&t, SEG_YUV_BT709, 0);
    uint8_t rgb[3];
    seg_yuv_pixel(&t, 235, 128, 128, rgb);
    assert_memory_equal(rgb, ((uint8_t[3]){255, 255, 255}), 3);
    seg_yuv_pixel(&t, 16, 128, 128, rgb);
    assert_memory_equal(rgb, ((uint8_t[3]){0, 0, 0}), 3);
}

static void test_yuv_image(void **state)
{
    (void)state;
    seg_image yuv, rgb, back;
    /* Odd sizes: chroma planes of 17 x 4. */
    assert_int_equal(seg_image_alloc(&yuv, 33, 7, SEG_PIX_YUV420P), SEG_OK);
    assert_int_equal(yuv.stride % 64, 0);
    assert_int_equal(yuv.cstride % 64, 0);
    assert_true(yuv.cb >= yuv.data + (size_t)yuv.stride * 7);
    assert_true(yuv.cr >= yuv.cb + (size_t)yuv.cstride * 4);
    assert_int_equal(yuv.data[32 + 6 * yuv.stride], 16);   /* black */
    assert_int_equal(yuv.cr[16 + 3 * yuv.cstride], 128);
    assert_string_equal(seg_pixfmt_name(SEG_PIX_YUV420P), "yuv420p");
    assert_int_equal(seg_image_alloc(&rgb, 33, 7, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(seg_image_alloc(&back, 33, 7, SEG_PIX_RGB24), SEG_OK);
    /* A picture whose 2x2 blocks are flat converts there and back within
     * the rounding; a left-right split inside a block averages its chroma. */
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 33; x++) {
            uint8_t *p = rgb.data + (size_t)y * rgb.stride + 3 * x;
            p[0] = (uint8_t)(x / 2 * 15);
            p[1] = (uint8_t)(y / 2 * 70);
            p[2] = (uint8_t)(200 - x / 2 * 10);
        }
    rgb.pts = 42;
    yuv.matrix = SEG_YUV_BT709;
    assert_int_equal(seg_image_convert(&rgb, &yuv), SEG_OK);
    assert_int_equal(yuv.pts, 42);
    assert_int_equal(seg_image_convert(&yuv, &back), SEG_OK);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 33 * 3; x++)
            assert_true(abs(back.data[(size_t)y * back.stride + x] -
                            rgb.data[(size_t)y * rgb.stride + x]) <= 2);
    /* Wrong formats and sizes are refused. */
    seg_image gray;
    assert_int_equal(seg_image_alloc(&gray, 33, 7, SEG_PIX_GRAY8), SEG_OK);
    assert_int_equal(seg_image_convert(&gray, &yuv), SEG_ERR_INVALID);
    seg_image small;
    assert_int_equal(seg_image_alloc(&small, 32, 7, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(seg_image_convert(&small, &yuv), SEG_ERR_INVALID);
    seg_image_free(&small);
    seg_image_free(&gray);
    seg_image_free(&back);
    seg_image_free(&rgb);
    seg_image_free(&yuv);
    assert_null(yuv.cb);
    /* 4:4:4: full-size chroma planes; seg_image_convert does not take it. */
    assert_int_equal(seg_image_alloc(&yuv, 33, 7, SEG_PIX_YUV444P), SEG_OK);
    assert_int_equal(yuv.cstride, yuv.stride);
    assert_true(yuv.cr >= yuv.cb + (size_t)yuv.cstride * 7);
    assert_int_equal(yuv.cr[32 + 6 * yuv.cstride], 128);
    assert_int_equal(seg_image_alloc(&rgb, 33, 7, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(seg_image_convert(&yuv, &rgb), SEG_ERR_INVALID);
    seg_image_free(&rgb);
    seg_image_free(&yuv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_status_and_image),
        cmocka_unit_test(test_yuv_colours),
        cmocka_unit_test(test_yuv_tables),
        cmocka_unit_test(test_yuv_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
