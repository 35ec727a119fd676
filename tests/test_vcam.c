/* test_vcam.c - the virtual camera output (-o /dev/videoN), --mirror, the
 * --config file and the device listings, through the segstream binary and
 * the LD_PRELOAD V4L2 double (tests/fake_v4l2.c), which makes one path a
 * v4l2loopback output node and another a UVC webcam and records every frame
 * written. These machines cannot load v4l2loopback; the double answers the
 * ioctls the way v4l2loopback 0.12 does (see its header).
 *
 * The composite is known: a 320x240 source whose left half is red with the
 * frame number in its green channel (G = 2N) and whose right half is blue,
 * a hand-built 1x1-conv model that calls "red" foreground, a hard
 * threshold, and a flat green background (replace mode): the left half of
 * every frame is the source as it is, the right half the green. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_pipeline_util.h"
#include "test_proc.h"

#define BIN SEG_BINARY_DIR "/segstream"
#define OUT_DEV "/dev/video63"
#define CAM_DEV "/dev/video62"
#define W 320
#define H 240
#define FRAME_BYTES (W * H * 2)

/* left red with the frame number in green, right blue */
#define SOURCE                                                                              \
    "color=c=black:s=160x240:r=30,format=rgb24,geq=r=255:g=2*N:b=0[l];"                     \
    "color=c=blue:s=160x240:r=30,format=rgb24[r];[l][r]hstack,format=yuv420p"

static char dir[256], model[300], green[300], rec[300], log_path[300], env[1400];

static int setup(void **state)
{
    (void)state;
    if (access(BIN, X_OK) != 0 || access(SEG_FAKE_V4L2_LIB, R_OK) != 0) {
        fprintf(stderr, "# needs %s and %s\n", BIN, SEG_FAKE_V4L2_LIB);
        return -1;
    }
    if (tp_make_dir(dir, sizeof dir, "segvcam"))
        return -1;
    snprintf(model, sizeof model, "%s/tiny.tflite", dir);
    snprintf(green, sizeof green, "%s/green.png", dir);
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    if (tp_write_tiny_model(model) ||
        tp_sh("ffmpeg -v error -f lavfi -i color=c=0x00ff00:s=64x64 -frames:v 1 %s", green))
        return -1;
    /* Under AddressSanitizer the ASan runtime must be the first library
     * loaded, so it is preloaded before the double; the double's calls
     * then pass through ASan's interceptors to libc. */
    const char *asan = SEG_ASAN_RUNTIME;
    snprintf(env, sizeof env,
             "LD_PRELOAD='%s%s%s' SEG_FAKE_V4L2_OUTPUT=" OUT_DEV " SEG_FAKE_V4L2_CAPTURE=" CAM_DEV
             " SEG_FAKE_V4L2_RECORD=%s",
             asan, asan[0] ? " " : "", SEG_FAKE_V4L2_LIB, rec);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tp_remove_dir(dir);
    return 0;
}

/* Run segstream under the double: exit status; output in log_path. */
static int seg(const char *args)
{
    tp_sh("rm -f %s.log %s.raw", rec, rec);
    return tp_sh("env %s timeout -k 10 120 %s %s >%s 2>&1 </dev/null", env, BIN, args, log_path);
}

static int log_contains(const char *path, const char *needle)
{
    static char buf[1 << 16];
    tp_read_file(path, buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# %s does not contain '%s':\n%s\n", path, needle, buf);
        return 0;
    }
    return 1;
}

/* BT.601 limited range, as swscale converts the source and the compositor
 * the background. */
static void yuv601(double r, double g, double b, double *y, double *u, double *v)
{
    *y = 16 + 219 * (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    *u = 128 + 224 * (-0.168736 * r - 0.331264 * g + 0.5 * b) / 255;
    *v = 128 + 224 * (0.5 * r - 0.418688 * g - 0.081312 * b) / 255;
}

/* Mean Y, U, V of YUYV pixels x0..x1 (even) of rows y0..y1 of a frame. */
static void mean_yuv(const uint8_t *f, int x0, int x1, int y0, int y1, double m[3])
{
    double s[3] = {0, 0, 0};
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x += 2, n++) {
            const uint8_t *p = f + (size_t)y * W * 2 + (size_t)x * 2;
            s[0] += (p[0] + p[2]) / 2.0;
            s[1] += p[1];
            s[2] += p[3];
        }
    for (int i = 0; i < 3; i++)
        m[i] = s[i] / (double)n;
}

/* The recorded frames: count, and each one's length and time into len[]
 * and t[] (up to max). */
static int read_frames(long *len, double *t, int max)
{
    char path[400], line[256];
    snprintf(path, sizeof path, "%s.log", rec);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        long i, l;
        double ts;
        if (sscanf(line, "FRAME %ld %ld %lf", &i, &l, &ts) == 3) {
            if (i != n) { /* the double numbers every write */
                fclose(f);
                return -2;
            }
            if (n < max) {
                len[n] = l;
                t[n] = ts;
            }
            n++;
        }
    }
    fclose(f);
    return n;
}

static uint8_t *read_raw(size_t *size)
{
    char path[400];
    snprintf(path, sizeof path, "%s.raw", rec);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Every frame of a 90-frame run arrives, whole, in order, in the format
 * negotiated, at the source's pace, showing the composite. */
static void test_every_frame_arrives_whole_in_order(void **state)
{
    (void)state;
    char args[2048], rl[400];
    snprintf(args, sizeof args,
             "'lavfi:" SOURCE "' --exact --frames 90 -o " OUT_DEV " -m %s --mode replace "
             "--background %s --threshold 0.5 --edge off --smooth 0 -q",
             model, green);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains(log_path, "wrote " OUT_DEV ": 90 frames"));
    snprintf(rl, sizeof rl, "%s.log", rec);
    /* the format: 320x240 YUYV, 2 bytes a pixel; BT.601 limited range
     * (colorspace 1 SMPTE170M, ycbcr_enc 1 601, quantization 2 limited) */
    assert_true(log_contains(rl, "S_FMT 320 240 YUYV 640 153600 1 1 2\n"));
    assert_true(log_contains(rl, "S_PARM 1/30\n"));
    assert_true(log_contains(rl, "CLOSE 90\n"));
    long len[100];
    double t[100];
    int n = read_frames(len, t, 100);
    assert_int_equal(n, 90);
    for (int i = 0; i < n; i++)
        assert_int_equal(len[i], FRAME_BYTES);
    /* paced at 30 fps: 89 frame times from first to last (a slow machine
     * only makes it longer) */
    printf("# 90 frames written over %.3f s (89 / 30 = 2.967 s)\n", t[89] - t[0]);
    assert_true(t[89] - t[0] > 2.8);
    size_t size;
    uint8_t *raw = read_raw(&size);
    assert_non_null(raw);
    assert_int_equal(size, (size_t)90 * FRAME_BYTES);
    double gy, gu, gv, prev_y = 0;
    yuv601(0, 255, 0, &gy, &gu, &gv);
    for (int i = 0; i < 90; i++) {
        const uint8_t *f = raw + (size_t)i * FRAME_BYTES;
        double l[3], r[3], ey, eu, ev;
        /* away from the soft edge the 16x16 mask leaves at the middle */
        mean_yuv(f, 8, 120, 8, H - 8, l);
        mean_yuv(f, 200, W - 8, 8, H - 8, r);
        yuv601(255, 2.0 * i, 0, &ey, &eu, &ev);
        if (i == 0 || i == 89)
            printf("# frame %d: left YUV %.1f %.1f %.1f (source %.1f %.1f %.1f), right %.1f "
                   "%.1f %.1f (green %.1f %.1f %.1f)\n", i, l[0], l[1], l[2], ey, eu, ev, r[0],
                   r[1], r[2], gy, gu, gv);
        assert_true(fabs(l[0] - ey) < 2.0 && fabs(l[1] - eu) < 3.0 && fabs(l[2] - ev) < 3.0);
        assert_true(fabs(r[0] - gy) < 2.0 && fabs(r[1] - gu) < 3.0 && fabs(r[2] - gv) < 3.0);
        /* in order: the frame number rises a level of Y a frame */
        assert_true(i == 0 || l[0] > prev_y + 0.5);
        prev_y = l[0];
    }
    free(raw);
}

/* --mirror output flips what the camera gets: the source's left half (the
 * person) arrives on the right. */
static void test_mirror_output(void **state)
{
    (void)state;
    char args[2048];
    snprintf(args, sizeof args,
             "'lavfi:" SOURCE "' --exact --frames 5 -o " OUT_DEV " -m %s --mode replace "
             "--background %s --threshold 0.5 --edge off --smooth 0 --mirror output -q",
             model, green);
    assert_int_equal(seg(args), 0);
    size_t size;
    uint8_t *raw = read_raw(&size);
    assert_non_null(raw);
    assert_int_equal(size, (size_t)5 * FRAME_BYTES);
    double l[3], r[3], gy, gu, gv, ey, eu, ev;
    yuv601(0, 255, 0, &gy, &gu, &gv);
    yuv601(255, 8, 0, &ey, &eu, &ev);
    mean_yuv(raw + 4 * (size_t)FRAME_BYTES, 8, 120, 8, H - 8, l);
    mean_yuv(raw + 4 * (size_t)FRAME_BYTES, 200, W - 8, 8, H - 8, r);
    assert_true(fabs(l[0] - gy) < 2.0 && fabs(l[1] - gu) < 3.0);
    assert_true(fabs(r[0] - ey) < 2.0 && fabs(r[2] - ev) < 3.0);
    free(raw);
}

/* The window and the camera at once (under Xvfb): the camera gets every
 * frame as it is, the window shows them mirrored (--mirror preview) with
 * the stats overlay (--stats). */
static void test_window_and_camera(void **state)
{
    (void)state;
    if (tp_sh("command -v xvfb-run >/dev/null && command -v import >/dev/null")) {
        printf("# skipped: needs xvfb-run and ImageMagick's import\n");
        skip();
    }
    char script[400], shot[400], rgb[400];
    snprintf(script, sizeof script, "%s/win.sh", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    snprintf(rgb, sizeof rgb, "%s/shot.rgb", dir);
    tp_sh("rm -f %s.log %s.raw", rec, rec);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    /* SDL keeps a few allocations to the end of the process: no leak
     * check for the binary here (test_display_window checks the window). */
    fprintf(f, "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" env %s %s "
               "'lavfi:" SOURCE ",realtime' --frames 75 -o " OUT_DEV " --display --mirror preview "
               "--stats -m %s --mode replace --background %s --threshold 0.5 --edge off "
               "--smooth 0 -q >%s 2>&1 &\npid=$!\nsleep 1.5\nimport -window root %s\nwait $pid\n",
            env, BIN, model, green, log_path, shot);
    fclose(f);
    assert_int_equal(tp_sh("timeout 60 xvfb-run -a -s '-screen 0 640x480x24' sh %s", script), 0);
    assert_true(log_contains(log_path, "wrote " OUT_DEV ": 75 frames"));
    long len[100];
    double t[100];
    assert_int_equal(read_frames(len, t, 100), 75);
    size_t size;
    uint8_t *raw = read_raw(&size);
    assert_non_null(raw);
    assert_int_equal(size, (size_t)75 * FRAME_BYTES);
    double l[3], gy, gu, gv;
    yuv601(0, 255, 0, &gy, &gu, &gv);
    mean_yuv(raw + 70 * (size_t)FRAME_BYTES, 200, W - 8, 8, H - 8, l);
    assert_true(fabs(l[0] - gy) < 2.0); /* the camera's right half: green, not mirrored */
    free(raw);
    /* the screen: the 320x240 window in the middle of 640x480, mirrored:
     * green on its left, red on its right, white text top left */
    assert_int_equal(tp_sh("convert %s -depth 8 rgb:%s", shot, rgb), 0);
    FILE *fp = fopen(rgb, "rb");
    assert_non_null(fp);
    static uint8_t px[640 * 480 * 3];
    assert_int_equal(fread(px, 1, sizeof px, fp), sizeof px);
    fclose(fp);
    long green_left = 0, red_right = 0, white_top = 0;
    for (int y = 120; y < 360; y++)
        for (int x = 160; x < 480; x++) {
            const uint8_t *p = px + ((size_t)y * 640 + x) * 3;
            if (y > 180 && x < 290)
                green_left += p[0] < 40 && p[1] > 200 && p[2] < 40;
            if (y > 180 && x > 350)
                red_right += p[0] > 200 && p[2] < 40;
            if (y < 170 && x < 320)
                white_top += p[0] > 230 && p[1] > 230 && p[2] > 230;
        }
    printf("# window: %ld green pixels on the left, %ld red on the right, %ld white (the stats)\n",
           green_left, red_right, white_top);
    assert_true(green_left > 130L * 180 * 9 / 10);
    assert_true(red_right > 130L * 180 * 9 / 10);
    assert_true(white_top > 200);
}

/* A webcam is not a virtual camera; a missing device says how to make one;
 * a missing webcam says how to list devices. */
static void test_bad_devices(void **state)
{
    (void)state;
    char args[2048];
    snprintf(args, sizeof args, "'lavfi:" SOURCE "' --frames 5 -o " CAM_DEV " -m %s -q", model);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains(log_path, "is not a video output device"));
    assert_true(log_contains(log_path, "Fake UVC Camera"));
    assert_true(log_contains(log_path, "--list-devices"));
    snprintf(args, sizeof args, "'lavfi:" SOURCE "' --frames 5 -o /dev/video-segtest-none -m %s -q",
             model);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains(log_path, "does not exist"));
    assert_true(log_contains(log_path, "modprobe v4l2loopback"));
    assert_int_equal(seg("/dev/video-segtest-none --display"), 3);
    assert_true(log_contains(log_path, "no webcam found at /dev/video-segtest-none"));
    assert_true(log_contains(log_path, "segstream --list-devices"));
    /* alpha has no place in a camera picture */
    snprintf(args, sizeof args, "'lavfi:" SOURCE "' --frames 5 -o " OUT_DEV " -m %s --mode alpha -q",
             model);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains(log_path, "cannot take"));
}

static void test_list_devices_and_formats(void **state)
{
    (void)state;
    assert_int_equal(seg("--list-devices"), 0);
    assert_true(log_contains(log_path, CAM_DEV "    capture         Fake UVC Camera (driver "
                                       "uvcvideo"));
    assert_true(log_contains(log_path, OUT_DEV "    output          segstream (driver v4l2 "
                                       "loopback"));
    assert_int_equal(seg("--list-formats " CAM_DEV), 0);
    assert_true(log_contains(log_path, "  capture YUYV: YUYV 4:2:2\n    640x480 @ 30, 15 fps\n"
                                       "    1280x720 @ 10 fps\n"));
    assert_true(log_contains(log_path, "  capture MJPG: Motion-JPEG (compressed)\n"
                                       "    640x480 @ 30 fps\n"));
    assert_int_equal(seg("--list-formats " OUT_DEV), 0);
    assert_true(log_contains(log_path, "  output YUYV: YUYV 4:2:2\n    2x1 to 8192x8192 (steps "
                                       "of 1x1) @ 1..1e+03 fps\n"));
    assert_int_equal(seg("--list-formats /dev/video-segtest-none"), 3);
    assert_true(log_contains(log_path, "--list-devices"));
}

/* ---- --config ------------------------------------------------------------ */

static void write_text(const char *path, const char *text)
{
    char tmp[400];
    /* written whole and renamed over, as editors do */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(tp_write_file(tmp, text, strlen(text)), 0);
    assert_int_equal(rename(tmp, path), 0);
}

/* What the right half of frame f shows: 'k' mask mode (black), 'b' blue
 * matte, 'r' red matte, '?' else. */
static char classify(const uint8_t *f)
{
    double m[3];
    mean_yuv(f, 200, W - 8, 8, H - 8, m);
    if (m[0] < 24 && fabs(m[1] - 128) < 6 && fabs(m[2] - 128) < 6)
        return 'k';
    if (m[1] > 220)
        return 'b';
    if (m[2] > 220)
        return 'r';
    return '?';
}

/* A live run reading its --config: an edit is applied within a second, a
 * broken edit keeps the settings (and says why), SIGHUP rereads a file
 * whose change the poll cannot see. */
static void test_config_file_applied_while_running(void **state)
{
    (void)state;
    char cfg[300], args[2048];
    snprintf(cfg, sizeof cfg, "%s/segstream.conf", dir);
    write_text(cfg, "# start\nmode mask\n");
    tp_sh("rm -f %s.log %s.raw", rec, rec);
    snprintf(args, sizeof args,
             "'lavfi:" SOURCE ",realtime' --live --frames 270 -o " OUT_DEV " -m %s "
             "--threshold 0.5 --edge off --smooth 0 --config %s -q",
             model, cfg);
    /* sh execs env, env execs segstream: one process, this pid */
    pid_t pid = tp_spawn("exec env %s %s %s >%s 2>&1 </dev/null", env, BIN, args, log_path);
    assert_true(pid > 0);
    struct timespec ts = {1, 500000000};
    nanosleep(&ts, NULL);
    double t_edit = tp_now();
    write_text(cfg, "mode matte\nmatte-color 0000ff  # blue\n");
    nanosleep(&ts, NULL);
    double t_bad = tp_now();
    write_text(cfg, "mode matte\nmatte-color 0000ff\nmode sparkle\n");
    nanosleep(&ts, NULL);
    /* same size and time stamp as the broken file: only SIGHUP tells */
    struct stat sb;
    assert_int_equal(stat(cfg, &sb), 0);
    write_text(cfg, "mode matte\nmatte-color ff0000\nmode matte  \n");
    struct timespec times[2] = {sb.st_atim, sb.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, cfg, times, 0), 0);
    struct stat sb2;
    assert_int_equal(stat(cfg, &sb2), 0);
    assert_int_equal(sb2.st_size, sb.st_size);
    nanosleep(&ts, NULL);
    double t_hup = tp_now();
    assert_int_equal(kill(pid, SIGHUP), 0);
    assert_int_equal(tp_wait(pid, 60), 0);
    assert_true(log_contains(log_path, "sparkle"));
    assert_true(log_contains(log_path, "keeping the settings in force"));

    long len[400];
    double t[400];
    int n = read_frames(len, t, 400);
    assert_int_equal(n, 270);
    size_t size;
    uint8_t *raw = read_raw(&size);
    assert_non_null(raw);
    assert_int_equal(size, (size_t)n * FRAME_BYTES);
    double first_b = -1, first_r = -1;
    for (int i = 0; i < n; i++) {
        char c = classify(raw + (size_t)i * FRAME_BYTES);
        if (t[i] < t_edit) {
            assert_int_equal(c, 'k'); /* the file's mode at the start */
        } else if (t[i] < t_hup) {
            /* the edit comes within a second; the broken one changes nothing */
            assert_true(c == 'k' || c == 'b');
            assert_true(c == 'b' || t[i] < t_edit + 1.0);
            if (c == 'b' && first_b < 0)
                first_b = t[i];
            assert_true(!(c == 'k' && first_b >= 0));
        } else {
            assert_true(c == 'b' || c == 'r');
            assert_true(c == 'r' || t[i] < t_hup + 1.0);
            if (c == 'r' && first_r < 0)
                first_r = t[i];
        }
    }
    printf("# edit applied after %.3f s, SIGHUP after %.3f s (broken edit at +%.3f s kept "
           "the settings)\n", first_b - t_edit, first_r - t_hup, t_bad - t_edit);
    assert_true(first_b > 0 && first_r > 0);
    free(raw);
}

/* A broken file at the start is a usage error. */
static void test_config_broken_at_start(void **state)
{
    (void)state;
    char cfg[300], args[2048];
    snprintf(cfg, sizeof cfg, "%s/bad.conf", dir);
    write_text(cfg, "blur 12\ncodec libx264\n");
    snprintf(args, sizeof args, "'lavfi:" SOURCE "' --frames 5 -o " OUT_DEV " -m %s --config %s",
             model, cfg);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains(log_path, "line 2: 'codec': cannot change while segstream runs"));
    /* a model, but not one given with -m */
    write_text(cfg, "blur 12\nmodel other.tflite\n");
    assert_int_equal(seg(args), 2);
    assert_true(log_contains(log_path, "model 'other.tflite' is not one of the -m models"));
    write_text(cfg, "opacity 7\n");
    assert_int_equal(seg(args), 2);
    assert_true(log_contains(log_path, "line 1"));
    assert_true(log_contains(log_path, "opacity"));
    write_text(cfg, "legend off\nlegend maybe\n");
    assert_int_equal(seg(args), 2);
    assert_true(log_contains(log_path, "line 2: legend wants on or off, got 'maybe'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_frame_arrives_whole_in_order),
        cmocka_unit_test(test_mirror_output),
        cmocka_unit_test(test_window_and_camera),
        cmocka_unit_test(test_bad_devices),
        cmocka_unit_test(test_list_devices_and_formats),
        cmocka_unit_test(test_config_file_applied_while_running),
        cmocka_unit_test(test_config_broken_at_start),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
