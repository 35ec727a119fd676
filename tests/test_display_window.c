/* test_display_window.c - the SDL2 window: the no-display error, keys and
 * window events (SDL's dummy video driver, events pushed in), the thread
 * rule, and on a real X server (Xvfb, started here on a free display) a
 * screenshot of the root window that must show the composite. The Xvfb test
 * is skipped, with a message, when Xvfb or ImageMagick's import is missing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>

#include "disp.h"
#include "disp_window.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* SDL's video init and quit leave a few hundred bytes in libraries SDL loads
 * and unloads itself (they show as "<unknown module>"); they are SDL's, not
 * ours, so LeakSanitizer does not track what is allocated while opening and
 * closing. Everything between is tracked. */
#define OPEN_UNTRACKED(call) (__lsan_disable(), lsan_done(call))
static int lsan_done(int st)
{
    __lsan_enable();
    return st;
}
static void close_untracked(disp_window **w)
{
    __lsan_disable();
    disp_window_close(w);
    __lsan_enable();
}
#else
#define OPEN_UNTRACKED(call) (call)
#define close_untracked disp_window_close
#endif

static void clear_display_env(void)
{
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("SDL_VIDEODRIVER");
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static seg_image solid(int w, int h, seg_pixfmt f, uint8_t v)
{
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, w, h, f), SEG_OK);
    memset(im.data, v, (size_t)im.stride * h);
    return im;
}

static void test_no_display_suggests_outputs(void **state)
{
    (void)state;
    clear_display_env();
    disp_window *w = (disp_window *)&w; /* must be cleared */
    char err[512] = "";
    assert_int_equal(disp_window_open(&w, NULL, err, sizeof err), SEG_ERR_UNSUPPORTED);
    assert_null(w);
    printf("# %s\n", err);
    assert_non_null(strstr(err, "DISPLAY"));
    assert_non_null(strstr(err, "-o OUTPUT"));
    assert_non_null(strstr(err, "--dump-frames DIR"));
    disp_window_close(&w);
    disp_window_close(NULL);
}

static void push_key(SDL_Keycode k)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = k;
    SDL_PushEvent(&e);
}

static void *poll_from_other_thread(void *arg)
{
    return (void *)(intptr_t)disp_window_poll(arg);
}

/* With the dummy driver: no screen, but windows, textures and events. */
static void test_keys_and_events(void **state)
{
    (void)state;
    clear_display_env();
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    disp_window *w = NULL;
    char err[512] = "";
    disp_window_opts o = {"seg-test", 0, 0, 0};
    if (OPEN_UNTRACKED(disp_window_open(&w, &o, err, sizeof err)) != SEG_OK) {
        printf("# SKIP: SDL's dummy driver cannot make a window here: %s\n", err);
        unsetenv("SDL_VIDEODRIVER");
        skip();
    }
    seg_image rgb = solid(64, 48, SEG_PIX_RGB24, 90), rgba = solid(32, 32, SEG_PIX_RGBA, 200);
    assert_int_equal(disp_window_present(w, &rgb), SEG_OK);
    assert_int_equal(disp_window_present(w, &rgba), SEG_OK); /* new size and format */
    assert_int_equal(disp_window_present(w, &rgb), SEG_OK);
    seg_image gray = solid(8, 8, SEG_PIX_GRAY8, 1);
    assert_int_equal(disp_window_present(w, &gray), SEG_ERR_INVALID);
    /* YUV420P, odd-sized, in each matrix and range; a YUV frame without its
     * chroma planes is refused */
    seg_image yuv = {0};
    assert_int_equal(seg_image_alloc(&yuv, 33, 17, SEG_PIX_YUV420P), SEG_OK);
    for (int m = 0; m < SEG_YUV_COUNT; m++) {
        yuv.matrix = (seg_yuv_matrix)m;
        yuv.full_range = m & 1;
        assert_int_equal(disp_window_present(w, &yuv), SEG_OK);
    }
    seg_image no_chroma = yuv;
    no_chroma.cr = NULL;
    assert_int_equal(disp_window_present(w, &no_chroma), SEG_ERR_INVALID);
    seg_image_free(&yuv);
    assert_int_equal(disp_window_present(w, &rgb), SEG_OK);
    assert_int_equal(disp_window_poll(w) & ~DISP_ACT_FULLSCREEN, 0);

    push_key(SDLK_m);
    assert_int_equal(disp_window_poll(w), DISP_ACT_MODE);
    push_key(SDLK_SPACE);
    push_key(SDLK_s);
    assert_int_equal(disp_window_poll(w), DISP_ACT_PAUSE | DISP_ACT_SCREENSHOT);
    push_key(SDLK_q);
    assert_int_equal(disp_window_poll(w), DISP_ACT_QUIT);
    push_key(SDLK_ESCAPE);
    assert_int_equal(disp_window_poll(w), DISP_ACT_QUIT);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_QUIT;
    SDL_PushEvent(&e);
    assert_int_equal(disp_window_poll(w), DISP_ACT_QUIT);
    /* f toggles fullscreen here and says so */
    int fs = disp_window_is_fullscreen(w);
    push_key(SDLK_f);
    int act = disp_window_poll(w);
    if (act & DISP_ACT_FULLSCREEN)
        assert_int_not_equal(disp_window_is_fullscreen(w), fs);
    else
        printf("# the dummy driver refused fullscreen: %s\n", disp_window_last_error(w));

    disp_window_set_status(w, "blur", 29.94, 14.25, 0);
    assert_non_null(strstr(disp_window_title(w), "seg-test - blur - 29.9 fps - inference 14.2 ms"));
    disp_window_set_status(w, "blur", 30.0, 14.0, 1); /* pause shows at once */
    assert_non_null(strstr(disp_window_title(w), "[paused]"));

    /* SDL's rule: the window's thread only */
    pthread_t t;
    void *ret;
    assert_int_equal(pthread_create(&t, NULL, poll_from_other_thread, w), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_int_equal((int)(intptr_t)ret, SEG_ERR_INVALID);
    assert_non_null(strstr(disp_window_last_error(w), "thread"));

    close_untracked(&w);
    assert_null(w);
    seg_image_free(&rgb);
    seg_image_free(&rgba);
    seg_image_free(&gray);
    unsetenv("SDL_VIDEODRIVER");
}

/* ==== on a real X server ================================================ */

static int have(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

/* Start Xvfb on a free display (-displayfd); its number into *disp. */
static pid_t start_xvfb(int *disp)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        char fdarg[16];
        snprintf(fdarg, sizeof fdarg, "%d", fd[1]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("Xvfb", "Xvfb", "-displayfd", fdarg, "-screen", "0", "640x480x24", "-nolisten",
               "tcp", "-br", "-noreset", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        return -1;
    }
    char buf[32] = "";
    size_t n = 0;
    struct pollfd p = {fd[0], POLLIN, 0};
    /* The number arrives once the server is ready: wait up to 15 s. */
    while (n < sizeof buf - 1 && poll(&p, 1, 15000) > 0) {
        ssize_t r = read(fd[0], buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(buf, '\n', n))
            break;
    }
    close(fd[0]);
    buf[n] = 0;
    if (n == 0 || sscanf(buf, "%d", disp) != 1) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

/* Show @p f for a while, then screenshot the root window into @p raw
 * (8-bit RGB). 0, or the status code on failure. */
static int shoot(disp_window *w, const seg_image *f, const char *display, const char *raw,
                 int code)
{
    char cmd[600];
    for (int i = 0; i < 10; i++) {
        if (disp_window_poll(w) < 0 || disp_window_present(w, f) != SEG_OK) {
            fprintf(stderr, "present failed: %s\n", disp_window_last_error(w));
            return code;
        }
        sleep_ms(10);
    }
    snprintf(cmd, sizeof cmd, "import -display %s -window root -depth 8 rgb:%s", display, raw);
    return system(cmd) == 0 ? 0 : code + 1;
}

/* The window part of the Xvfb test, in a child process (see below): show
 * the composite, screenshot the root window, then a 2:1 frame and another
 * screenshot, then the composite drawn on YUV frames (each frame of
 * yuv[0..nyuv)) and a screenshot each. Returns the child's exit status: 0
 * when all went well. */
static int show_and_shoot(const seg_image *f, const seg_image *red, const seg_image *yuv,
                          int nyuv, const char *display, const char *raw, const char *png,
                          const char *raw2, const char *raw_yuv)
{
    disp_window *w = NULL;
    char err[512] = "", cmd[900];
    disp_window_opts wo = {"segstream-xvfb", f->width, f->height, 0};
    if (disp_window_open(&w, &wo, err, sizeof err) != SEG_OK) {
        fprintf(stderr, "cannot open a window on Xvfb %s: %s\n", display, err);
        return 2;
    }
    for (int i = 0; i < 30; i++) {
        if (disp_window_poll(w) < 0 || disp_window_present(w, f) != SEG_OK) {
            fprintf(stderr, "present failed: %s\n", disp_window_last_error(w));
            return 3;
        }
        disp_window_set_status(w, "overlay", 30.0, 5.0, 0);
        sleep_ms(10);
    }
    snprintf(cmd, sizeof cmd,
             "import -display %s -window root -depth 8 rgb:%s && "
             "import -display %s -window root %s",
             display, raw, display, png);
    if (system(cmd) != 0)
        return 4;
    /* A frame of another shape (2:1 in the 4:3 window): scaled to the
     * window's width, aspect kept, black bars above and below. */
    int st = shoot(w, red, display, raw2, 5);
    for (int i = 0; i < nyuv && !st; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s.%d", raw_yuv, i);
        st = shoot(w, &yuv[i], display, path, 7 + 2 * i);
    }
    disp_window_close(&w);
    return st;
}

/* Pixels of a root-window screenshot: pure green, mid grey, black, other. */
static void count_shot(const char *raw, long n[4])
{
    FILE *fp = fopen(raw, "rb");
    assert_non_null(fp);
    unsigned char p[3];
    n[0] = n[1] = n[2] = n[3] = 0;
    while (fread(p, 1, 3, fp) == 3) {
        if (p[0] < 16 && p[1] > 240 && p[2] < 16)
            n[0]++;
        else if (abs(p[0] - 128) < 8 && abs(p[1] - 128) < 8 && abs(p[2] - 128) < 8)
            n[1]++;
        else if (p[0] < 8 && p[1] < 8 && p[2] < 8)
            n[2]++;
        else
            n[3]++;
    }
    fclose(fp);
}

static void test_xvfb_window_shows_the_composite(void **state)
{
    (void)state;
    if (!have("Xvfb") || !have("import")) {
        printf("# SKIP: needs Xvfb and ImageMagick's import "
               "(apt-get install xvfb imagemagick)\n");
        skip();
    }
    /* The composite: a grey 320x240 frame whose left half is foreground
     * (a hard mask: threshold), overlaid in pure green at full opacity. */
    enum { FW = 320, FH = 240 };
    disp_options o = disp_options_default();
    o.mode = DISP_MODE_OVERLAY;
    o.opacity = 1.0f;
    o.smooth = 0.0f;
    o.edge = 0;
    o.threshold = 0.5f;
    disp_compositor *c = NULL;
    assert_int_equal(disp_compositor_create(&c, &o), SEG_OK);
    seg_image f = solid(FW, FH, SEG_PIX_RGB24, 128);
    float m[4 * 4];
    for (int i = 0; i < 16; i++)
        m[i] = (i % 4) < 2 ? 1.0f : 0.0f;
    /* the same grey frame as YUV420P, composited in Y'CbCr: BT.709 limited
     * range (HD video) and BT.601 full range (JPEG) */
    seg_image yuv[2];
    for (int i = 0; i < 2; i++) {
        seg_image grey = solid(FW, FH, SEG_PIX_RGB24, 128);
        yuv[i] = (seg_image){0};
        assert_int_equal(seg_image_alloc(&yuv[i], FW, FH, SEG_PIX_YUV420P), SEG_OK);
        yuv[i].matrix = i ? SEG_YUV_BT601 : SEG_YUV_BT709;
        yuv[i].full_range = i;
        assert_int_equal(seg_image_convert(&grey, &yuv[i]), SEG_OK);
        assert_int_equal(disp_composite(c, &yuv[i], m, 4, 4), SEG_OK);
        seg_image_free(&grey);
    }
    assert_int_equal(disp_composite(c, &f, m, 4, 4), SEG_OK);
    seg_image red = solid(160, 80, SEG_PIX_RGB24, 0);
    for (int y = 0; y < 80; y++)
        for (int x = 0; x < 160; x++)
            red.data[(size_t)y * red.stride + 3 * (size_t)x] = 255;

    int dn = -1;
    pid_t xvfb = start_xvfb(&dn);
    if (xvfb < 0) {
        printf("# SKIP: Xvfb did not start\n");
        skip();
    }
    char display[32], raw[320], png[320], raw2[320], raw_yuv[320];
    snprintf(display, sizeof display, ":%d", dn);
    snprintf(raw, sizeof raw, "%s/test_display_window_shot.rgb", SEG_BINARY_DIR);
    snprintf(png, sizeof png, "%s/test_display_window_shot.png", SEG_BINARY_DIR);
    snprintf(raw2, sizeof raw2, "%s/test_display_window_shot2.rgb", SEG_BINARY_DIR);
    snprintf(raw_yuv, sizeof raw_yuv, "%s/test_display_window_shot_yuv.rgb", SEG_BINARY_DIR);
    /* SDL and Xlib keep some memory to the end of the process, so the
     * window runs in a child that leaves with _exit(): no leak report for
     * what is theirs (the rest of this file is checked as usual). */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        clear_display_env();
        setenv("DISPLAY", display, 1);
#if defined(__SANITIZE_THREAD__)
        /* Mesa's llvmpipe (the OpenGL renderer on Xvfb) runs threads TSan
         * cannot see into; SDL's software renderer has none. */
        setenv("SDL_RENDER_DRIVER", "software", 1);
        setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);
#endif
        _exit(show_and_shoot(&f, &red, yuv, 2, display, raw, png, raw2, raw_yuv));
    }
    int status = 0;
    waitpid(child, &status, 0);
    kill(xvfb, SIGTERM);
    waitpid(xvfb, NULL, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* 640x480 root: the green half and the grey half of the window, the rest
     * of the screen black (-br); the same for the YUV composites */
    long half = FW * FH / 2;
    for (int i = -1; i < 2; i++) {
        char path[400];
        long n[4];
        if (i < 0)
            snprintf(path, sizeof path, "%s", raw);
        else
            snprintf(path, sizeof path, "%s.%d", raw_yuv, i);
        count_shot(path, n);
        printf("# screenshot (%s, %s): green %ld, grey %ld, black %ld, other %ld pixels%s%s\n",
               display, i < 0 ? "RGB24" : (i ? "YUV420P BT.601 full" : "YUV420P BT.709 limited"),
               n[0], n[1], n[2], n[3], i < 0 ? "; see " : "", i < 0 ? png : "");
        assert_true(labs(n[0] - half) < half / 10);
        assert_true(labs(n[1] - half) < half / 10);
        assert_true(n[3] < half / 20);
    }
    FILE *fp = fopen(raw2, "rb");
    assert_non_null(fp);
    long reds = 0;
    unsigned char p[3];
    while (fread(p, 1, 3, fp) == 3)
        reds += p[0] > 240 && p[1] < 16 && p[2] < 16;
    fclose(fp);
    printf("# a 2:1 frame in the 4:3 window: %ld red pixels (320x160 = 51200 expected)\n",
           reds);
    assert_true(labs(reds - 320 * 160) < 320 * 160 / 20);
    seg_image_free(&f);
    seg_image_free(&red);
    seg_image_free(&yuv[0]);
    seg_image_free(&yuv[1]);
    disp_compositor_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_display_suggests_outputs),
        cmocka_unit_test(test_keys_and_events),
        cmocka_unit_test(test_xvfb_window_shows_the_composite),
    };
    if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER=test_keys* */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
