/* test_control.c - the window's keys while a job runs (seg_run with a
 * window on SDL's dummy video driver; key presses pushed into SDL's event
 * queue from this thread, which SDL allows): the setting keys change the
 * composite and the settings shown, n steps through the backgrounds, and s
 * saves one screenshot per press whether the job is playing, paused or
 * live and idle between frames.
 *
 * Each job runs in a child process that leaves with _exit(): SDL keeps a
 * few allocations to the end of a process, which LeakSanitizer would call
 * leaks (the window code's own are checked in test_display_window). The
 * child reports a failed check by its exit status (the line number). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>

#include "io.h"
#include "test_pipeline_util.h"
#include "tflite_builder.h"

static char dir[256], model[300], blue_model[300], clip[300], green[300], magenta[300];

static int setup(void **state)
{
    (void)state;
    if (tp_make_dir(dir, sizeof dir, "segcontrol"))
        return -1;
    snprintf(model, sizeof model, "%s/tiny.tflite", dir);
    snprintf(blue_model, sizeof blue_model, "%s/blue.tflite", dir);
    snprintf(clip, sizeof clip, "%s/halves.mkv", dir);
    snprintf(green, sizeof green, "%s/green.png", dir);
    snprintf(magenta, sizeof magenta, "%s/magenta.png", dir);
    /* left half red (the tiny model's foreground), right half blue */
    if (tp_write_tiny_model(model) || tp_write_colour_model(blue_model, 24, 2) ||
        tp_sh("ffmpeg -v error -f lavfi -i 'color=c=red:s=80x120:r=25[l];"
              "color=c=blue:s=80x120:r=25[r];[l][r]hstack' -frames:v 100 -c:v ffv1 %s", clip) ||
        tp_sh("ffmpeg -v error -f lavfi -i color=c=0x00ff00:s=32x32 -frames:v 1 %s", green) ||
        tp_sh("ffmpeg -v error -f lavfi -i color=c=0xff00ff:s=32x32 -frames:v 1 %s", magenta))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tp_remove_dir(dir);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- in the child ------------------------------------------------------- */

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "# check failed at line %d: %s\n", __LINE__, #c); \
            fflush(NULL);                                                     \
            _exit(__LINE__ % 250 + 1);                                        \
        }                                                                     \
    } while (0)

typedef struct job {
    seg_config cfg;
    seg_stats st;
    char err[1024];
    int ret;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    j->ret = seg_run(&j->cfg, &j->st, j->err, sizeof j->err);
    return NULL;
}

static void push_key(SDL_Keycode k, int shift)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = k;
    e.key.keysym.mod = shift ? KMOD_LSHIFT : KMOD_NONE;
    SDL_PushEvent(&e);
}

static int exists(const char *d, const char *fmt, long i)
{
    char path[600], name[64];
    struct stat sb;
    snprintf(name, sizeof name, fmt, i);
    snprintf(path, sizeof path, "%s/%s", d, name);
    return stat(path, &sb) == 0;
}

/* Wait up to 20 s for DIR/frame_NNNNNN.png. */
static int wait_frame(const char *d, long i)
{
    for (int k = 0; k < 2000; k++) {
        if (exists(d, "frame_%06ld.png", i))
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* Dumped frames so far (the highest index + 1). */
static long frames_dumped(const char *d)
{
    long n = 0;
    while (exists(d, "frame_%06ld.png", n))
        n++;
    return n;
}

static int count_files(const char *d, const char *prefix)
{
    DIR *dd = opendir(d);
    int n = 0;
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (dd)
        closedir(dd);
    return n;
}

static int count_shots(const char *d)
{
    return count_files(d, "segstream-shot-");
}

/* RGB of the pixel at (x, y) of DIR/frame_NNNNNN.png. */
static void pixel(const char *d, long i, int x, int y, uint8_t rgb[3])
{
    char path[600], err[256];
    seg_image im = {0};
    snprintf(path, sizeof path, "%s/frame_%06ld.png", d, i);
    CHECK(io_image_load(path, &im, err, sizeof err) == SEG_OK);
    memcpy(rgb, im.data + (size_t)y * im.stride + 3 * (size_t)x, 3);
    seg_image_free(&im);
}

/* A window job in the child on SDL's dummy driver, its stderr into
 * @p log; started, not joined. */
static void start(job *j, pthread_t *t, const char *input, const char *dumps, const char *log,
                  void (*tweak)(seg_config *))
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && dup2(fd, 2) == 2);
    close(fd);
    j->cfg = seg_config_default();
    j->cfg.input = input;
    j->cfg.model = model;
    j->cfg.quiet = 1;
    j->cfg.workers = 1;
    j->cfg.threads = 1;
    j->cfg.display = 1;
    j->cfg.dump_dir = dumps;
    j->cfg.disp.edge = 0;
    j->cfg.disp.smooth = 0.6f;
    if (tweak)
        tweak(&j->cfg);
    CHECK(pthread_create(t, NULL, run_job, j) == 0);
}

/* Keys on a file playing at its pace (overlay mode): o three times raises
 * the opacity in the frames; s while playing; space, s s while paused (the
 * same frame twice, nothing new composited meanwhile); the other setting
 * keys and their Shift; i and x. */
static int keys_on_a_file(const char *dumps, const char *log)
{
    job j;
    pthread_t t;
    start(&j, &t, clip, dumps, log, NULL);
    CHECK(wait_frame(dumps, 10));
    long at_o = frames_dumped(dumps);
    push_key(SDLK_o, 0);
    push_key(SDLK_o, 0);
    push_key(SDLK_o, 0);
    push_key(SDLK_s, 0); /* playing */
    sleep_ms(500);
    CHECK(count_shots(dumps) == 1);
    CHECK(wait_frame(dumps, 40));
    push_key(SDLK_SPACE, 0);
    sleep_ms(400);
    long paused_at = frames_dumped(dumps);
    push_key(SDLK_s, 0);
    push_key(SDLK_s, 0);
    sleep_ms(600);
    CHECK(count_shots(dumps) == 3);
    /* paused: at most the frames already in the rings were composited */
    CHECK(frames_dumped(dumps) <= paused_at + 4);
    push_key(SDLK_t, 0);
    push_key(SDLK_t, 0);
    push_key(SDLK_e, 0);
    push_key(SDLK_b, 0);
    push_key(SDLK_h, 0);
    push_key(SDLK_h, 1);
    push_key(SDLK_h, 1);
    push_key(SDLK_i, 0);
    push_key(SDLK_x, 0);
    push_key(SDLK_m, 1); /* M with one model: said, nothing changes */
    sleep_ms(100);
    push_key(SDLK_SPACE, 0);
    pthread_join(t, NULL);
    fprintf(stderr, "# job: %d %s, %lld frames\n", j.ret, j.err, (long long)j.st.frames);
    CHECK(j.ret == SEG_OK && j.st.frames == 100);
    /* opacity 0.5 before the keys, 0.8 after (the left half is red, the
     * tint green): R = 255 * (1 - opacity * alpha) */
    uint8_t before[3], after[3];
    pixel(dumps, at_o - 2, 20, 60, before);
    pixel(dumps, at_o + 8, 20, 60, after);
    fprintf(stderr, "# left pixel before o o o: %d %d %d, after: %d %d %d\n", before[0],
            before[1], before[2], after[0], after[1], after[2]);
    CHECK(before[0] > 115 && before[0] < 145 && after[0] > 40 && after[0] < 75);
    return 0;
}

/* Mask mode, cut at 0.5, with two models: red (the tiny model) first,
 * then blue. */
static void two_models(seg_config *c)
{
    static const char *models[2];
    models[0] = model;
    models[1] = blue_model;
    c->models = models;
    c->nmodels = 2;
    c->disp.mode = DISP_MODE_MASK;
    c->disp.threshold = 0.5f;
    c->disp.smooth = 0.0f;
}

/* M on a file: the mask follows the red half, then the blue one; every
 * frame is still composited (exact mode loses none to the switch). */
static int model_key(const char *dumps, const char *log)
{
    job j;
    pthread_t t;
    start(&j, &t, clip, dumps, log, two_models);
    CHECK(wait_frame(dumps, 10));
    long at_m = frames_dumped(dumps);
    push_key(SDLK_m, 1);
    pthread_join(t, NULL);
    fprintf(stderr, "# job: %d %s, %lld frames, %lld dropped\n", j.ret, j.err,
            (long long)j.st.frames, (long long)j.st.dropped);
    CHECK(j.ret == SEG_OK && j.st.frames == 100 && j.st.dropped == 0);
    uint8_t lb[3], rb[3], la[3], ra[3];
    pixel(dumps, at_m - 2, 20, 60, lb);
    pixel(dumps, at_m - 2, 140, 60, rb);
    pixel(dumps, at_m + 8, 20, 60, la);
    pixel(dumps, at_m + 8, 140, 60, ra);
    fprintf(stderr, "# mask before M: left %d right %d; after: left %d right %d\n", lb[0], rb[0],
            la[0], ra[0]);
    CHECK(lb[0] > 200 && rb[0] < 50); /* red is the foreground */
    CHECK(la[0] < 50 && ra[0] > 200); /* then blue */
    return 0;
}

/* M while live (a red source paced at 25 fps): from red's white mask to
 * blue's black one, with at most one frame dropped. */
static int model_key_live(const char *dumps, const char *log)
{
    job j;
    pthread_t t;
    start(&j, &t, "lavfi:color=c=red:s=160x120:r=25,realtime", dumps, log, two_models);
    for (int k = 0; k < 2000 && count_files(dumps, "frame_") < 10; k++)
        sleep_ms(10);
    CHECK(count_files(dumps, "frame_") >= 10);
    push_key(SDLK_m, 1);
    sleep_ms(800);
    push_key(SDLK_q, 0);
    pthread_join(t, NULL);
    long n = frames_dumped(dumps), last = n - 1;
    /* the numbers may have a gap in the first burst: take the highest */
    for (long i = n; i < n + 100; i++)
        if (exists(dumps, "frame_%06ld.png", i))
            last = i;
    uint8_t first[3], end[3];
    long first_i = 0;
    while (!exists(dumps, "frame_%06ld.png", first_i))
        first_i++;
    pixel(dumps, first_i + 5 < last ? first_i + 5 : first_i, 80, 60, first);
    pixel(dumps, last, 80, 60, end);
    fprintf(stderr, "# live: job %d %s, %lld frames, %lld dropped (%lld decoder, %lld infer, "
            "%lld render); mask %d then %d\n", j.ret, j.err, (long long)j.st.frames,
            (long long)j.st.dropped, (long long)j.st.dropped_decoder,
            (long long)j.st.dropped_infer, (long long)j.st.dropped_render, first[0], end[0]);
    CHECK(j.ret == SEG_OK);
    CHECK(first[0] > 200 && end[0] < 50);
    CHECK(j.st.dropped_infer + j.st.dropped_render <= 1);
    return 0;
}

/* replace mode between two backgrounds */
static void two_backgrounds(seg_config *c)
{
    static const char *bgs[2];
    bgs[0] = green;
    bgs[1] = magenta;
    c->disp.mode = DISP_MODE_REPLACE;
    c->disp.threshold = 0.5f;
    c->background = green;
    c->backgrounds = bgs;
    c->nbackgrounds = 2;
    c->max_frames = 60;
}

/* n: the next --background. */
static int background_key(const char *dumps, const char *log)
{
    job j;
    pthread_t t;
    start(&j, &t, clip, dumps, log, two_backgrounds);
    CHECK(wait_frame(dumps, 10));
    long at_n = frames_dumped(dumps);
    push_key(SDLK_n, 0);
    pthread_join(t, NULL);
    CHECK(j.ret == SEG_OK);
    uint8_t before[3], after[3];
    pixel(dumps, at_n - 2, 140, 60, before);
    pixel(dumps, at_n + 8, 140, 60, after);
    fprintf(stderr, "# right pixel before n: %d %d %d, after: %d %d %d\n", before[0],
            before[1], before[2], after[0], after[1], after[2]);
    CHECK(before[0] < 30 && before[1] > 220 && before[2] < 30);  /* green */
    CHECK(after[0] > 220 && after[1] < 30 && after[2] > 220);    /* magenta */
    return 0;
}

/* Live, 4 frames a second: the renderer idles between frames, and five
 * presses there give five screenshots (of the next frame shown). */
static int screenshots_when_live(const char *dumps, const char *log)
{
    job j;
    pthread_t t;
    start(&j, &t, "lavfi:color=c=red:s=160x120:r=4,realtime", dumps, log, NULL);
    /* a live source's first frames come in a burst and are mostly dropped,
     * so the numbers have gaps: wait for the second frame dumped */
    for (int k = 0; k < 2000 && count_files(dumps, "frame_") < 2; k++)
        sleep_ms(10);
    CHECK(count_files(dumps, "frame_") >= 2);
    sleep_ms(60);
    for (int i = 0; i < 5; i++) {
        push_key(SDLK_s, 0);
        sleep_ms(20);
    }
    sleep_ms(800);
    int shots = count_shots(dumps);
    push_key(SDLK_q, 0);
    pthread_join(t, NULL);
    fprintf(stderr, "# live: %d screenshots from 5 presses; job %d %s\n", shots, j.ret, j.err);
    CHECK(shots == 5);
    CHECK(j.ret == SEG_OK);
    return 0;
}

/* ---- in the test ----------------------------------------------------------- */

static int log_contains(const char *log, const char *needle)
{
    static char buf[1 << 16];
    tp_read_file(log, buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# %s does not contain '%s':\n%s\n", log, needle, buf);
        return 0;
    }
    return 1;
}

/* Run @p fn in a child; its exit status (0 = every check passed). */
static int in_child(int (*fn)(const char *, const char *), const char *name, char *log,
                    size_t loglen)
{
    char dumps[400];
    snprintf(dumps, sizeof dumps, "%s/%s", dir, name);
    snprintf(log, loglen, "%s/%s.log", dir, name);
    tp_sh("rm -rf %s; mkdir -p %s", dumps, dumps);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(dumps, log));
    int status = 0;
    waitpid(pid, &status, 0);
    char buf[1 << 14];
    tp_read_file(log, buf, sizeof buf);
    printf("%s", buf); /* the child's stderr: its # lines and messages */
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static void test_setting_keys_and_screenshots(void **state)
{
    (void)state;
    char log[400];
    assert_int_equal(in_child(keys_on_a_file, "keys", log, sizeof log), 0);
    /* every change is said, with all the values */
    assert_true(log_contains(log, "segstream: settings: threshold 0.00 feather 0 blur 3 (auto) "
                                  "smooth 0.6 opacity 0.8"));
    assert_true(log_contains(log, "segstream: settings: threshold 0.10 feather 2 blur 4 "
                                  "smooth 0.5 opacity 0.8 mirror preview"));
    assert_true(log_contains(log, "segstream: screenshot "));
    assert_true(log_contains(log, "segstream: M: one model; give -m several times"));
}

static void test_model_key(void **state)
{
    (void)state;
    char log[400];
    assert_int_equal(in_child(model_key, "model", log, sizeof log), 0);
    assert_true(log_contains(log, "segstream: settings: model blue.tflite threshold 0.50"));
    assert_int_equal(in_child(model_key_live, "model_live", log, sizeof log), 0);
}

static void test_background_key(void **state)
{
    (void)state;
    char log[400];
    assert_int_equal(in_child(background_key, "background", log, sizeof log), 0);
    assert_true(log_contains(log, "magenta.png"));
}

static void test_screenshots_when_live(void **state)
{
    (void)state;
    char log[400];
    assert_int_equal(in_child(screenshots_when_live, "live", log, sizeof log), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setting_keys_and_screenshots),
        cmocka_unit_test(test_model_key),
        cmocka_unit_test(test_background_key),
        cmocka_unit_test(test_screenshots_when_live),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
