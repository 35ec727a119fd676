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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_status_and_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
