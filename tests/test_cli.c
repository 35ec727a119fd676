/* test_cli.c - end to end through the segstream binary: real clips in,
 * annotated videos out (checked with ffprobe), and every kind of bad input
 * giving its documented exit code and a clear message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define BIN SEG_BINARY_DIR "/segstream"
#define MODEL SEG_SOURCE_DIR "/models/selfie_segmentation.tflite"
#define VTEST SEG_SOURCE_DIR "/samples/vtest.avi"

static char dir[256];
static char log_path[300];

/* Run a shell command; return its exit status (-1 if it did not exit). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run segstream with args; stderr+stdout go to log_path. */
static int seg(const char *args)
{
    return sh("%s %s >%s 2>&1 </dev/null", BIN, args, log_path);
}

/* Whole log into buf (NUL-terminated); bytes read. */
static size_t read_log(char *buf, size_t size)
{
    FILE *f = fopen(log_path, "r");
    if (!f) {
        buf[0] = '\0';
        return 0;
    }
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

static int log_contains(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return 0;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# log does not contain '%s':\n%s\n", needle, buf);
        return 0;
    }
    return 1;
}

/* One line of ffprobe output for a query. */
static int probe(const char *args, char *out, size_t outlen)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ffprobe -v error %s", args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    out[0] = '\0';
    if (!fgets(out, (int)outlen, p))
        out[0] = '\0';
    int st = pclose(p);
    out[strcspn(out, "\r\n")] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long video_frames(const char *path)
{
    char cmd[1024], out[128];
    snprintf(cmd, sizeof cmd,
             "-count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
             "-of csv=p=0 '%s'", path);
    if (probe(cmd, out, sizeof out) != 0)
        return -1;
    return atol(out);
}

static double duration(const char *path, const char *stream)
{
    char cmd[1024], out[128];
    snprintf(cmd, sizeof cmd,
             "-select_streams %s -show_entries stream=duration -of csv=p=0 '%s'", stream, path);
    if (probe(cmd, out, sizeof out) != 0 || !out[0] || strcmp(out, "N/A") == 0) {
        snprintf(cmd, sizeof cmd, "-show_entries format=duration -of csv=p=0 '%s'", path);
        if (probe(cmd, out, sizeof out) != 0)
            return -1;
    }
    return atof(out);
}

static int has_stream(const char *path, const char *type)
{
    char cmd[1024], out[128];
    snprintf(cmd, sizeof cmd, "-select_streams %s -show_entries stream=codec_type -of csv=p=0 '%s'",
             type, path);
    return probe(cmd, out, sizeof out) == 0 && out[0] != '\0';
}

static int setup(void **state)
{
    (void)state;
    if (access(BIN, X_OK) != 0 || access(MODEL, R_OK) != 0 || access(VTEST, R_OK) != 0) {
        fprintf(stderr, "# needs %s, %s and %s: run scripts/setup.sh first\n", BIN, MODEL, VTEST);
        return -1;
    }
    snprintf(dir, sizeof dir, "/tmp/segcli.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    /* 60 frames of the pedestrian clip, stream-copied (no re-encode). */
    if (sh("ffmpeg -v error -i %s -frames:v 60 -c copy %s/vtest60.avi", VTEST, dir))
        return -1;
    /* An ffmpeg-made clip with an audio track. */
    if (sh("ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi "
           "-i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 -preset ultrafast "
           "-pix_fmt yuv420p -c:a aac -shortest %s/av.mp4", dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (dir[0])
        sh("rm -rf '%s'", dir);
    return 0;
}

static void test_vtest_clip_keeps_frames_and_duration(void **state)
{
    (void)state;
    char args[1024], in[300], out[300];
    snprintf(in, sizeof in, "%s/vtest60.avi", dir);
    snprintf(out, sizeof out, "%s/vtest60.mp4", dir);
    snprintf(args, sizeof args, "%s -o %s -m %s -t 2", in, out, MODEL);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("60 frames"));
    assert_int_equal(video_frames(out), 60);
    double din = duration(in, "v:0"), dout = duration(out, "v:0");
    printf("# vtest60: input %.3f s, output %.3f s\n", din, dout);
    assert_true(fabs(din - dout) <= 0.1 + 1e-6); /* one frame at 10 fps */
}

static void test_audio_is_passed_through(void **state)
{
    (void)state;
    char args[1024], in[300], out[300];
    snprintf(in, sizeof in, "%s/av.mp4", dir);
    const char *exts[] = {"mp4", "mkv"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, sizeof out, "%s/av_out.%s", dir, exts[i]);
        snprintf(args, sizeof args, "%s -o %s -m %s", in, out, MODEL);
        assert_int_equal(seg(args), 0);
        assert_int_equal(video_frames(out), 50);
        assert_true(has_stream(out, "a:0"));
        double vin = duration(in, "v:0"), vout = duration(out, "v:0");
        double ain = duration(in, "a:0"), aout = duration(out, "a:0");
        printf("# %s: video %.3f -> %.3f s, audio %.3f -> %.3f s\n", exts[i], vin, vout, ain, aout);
        assert_true(fabs(vin - vout) <= 0.04 + 1e-6); /* one frame at 25 fps */
        assert_true(fabs(ain - aout) <= 0.05);
        /* The audio packets are copied, not re-encoded. */
        char cmd[600], codec[64];
        snprintf(cmd, sizeof cmd, "-select_streams a:0 -show_entries stream=codec_name -of csv=p=0 '%s'", out);
        assert_int_equal(probe(cmd, codec, sizeof codec), 0);
        assert_string_equal(codec, "aac");
    }
}

static void test_people_are_tinted(void **state)
{
    (void)state;
    /* messi5.jpg as a one-frame video: the overlay must turn a good part of
     * the picture green (the person), and the mask mode must be mostly black
     * (background) with a white person. */
    char args[1024], out[300];
    snprintf(out, sizeof out, "%s/messi_mask.mkv", dir);
    snprintf(args, sizeof args, "%s/samples/messi5.jpg -o %s -m %s --mode mask --codec ffv1",
             SEG_SOURCE_DIR, out, MODEL);
    assert_int_equal(seg(args), 0);
    assert_int_equal(video_frames(out), 1);
    char raw[300];
    snprintf(raw, sizeof raw, "%s/mask.gray", dir);
    assert_int_equal(sh("ffmpeg -v error -i %s -f rawvideo -pix_fmt gray %s", out, raw), 0);
    FILE *f = fopen(raw, "rb");
    assert_non_null(f);
    long white = 0, black = 0, total = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        white += c > 200;
        black += c < 50;
        total++;
    }
    fclose(f);
    printf("# messi mask: %.1f%% white, %.1f%% black\n", 100.0 * white / total, 100.0 * black / total);
    assert_true(total > 100000);
    assert_true(white > total / 10); /* the player */
    assert_true(black > total / 2);  /* the pitch */
}

static void test_bad_inputs_give_clear_errors(void **state)
{
    (void)state;
    char args[1024], out[300], txt[300];
    snprintf(out, sizeof out, "%s/never.mp4", dir);
    snprintf(txt, sizeof txt, "%s/notes.txt", dir);
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    fputs("not a video\n", f);
    fclose(f);

    snprintf(args, sizeof args, "%s/missing.mp4 -o %s -m %s", dir, out, MODEL);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("missing.mp4"));

    snprintf(args, sizeof args, "%s -o %s -m %s", txt, out, MODEL);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("notes.txt"));

    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s/missing.tflite", dir, out, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("missing.tflite"));

    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s", dir, out, txt);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("not a TensorFlow Lite model"));

    snprintf(args, sizeof args, "%s/vtest60.avi -o /nonexistent-dir/out.mp4 -m %s", dir, MODEL);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("/nonexistent-dir/out.mp4"));
    assert_int_equal(access(out, F_OK), -1); /* nothing was created */

    assert_int_equal(seg("--bogus-option"), 2);
    assert_int_equal(seg(""), 2);
}

static void test_existing_output_needs_y(void **state)
{
    (void)state;
    char args[1024], out[300];
    snprintf(out, sizeof out, "%s/precious.mp4", dir);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs("the user's own file\n", f);
    fclose(f);
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s --frames 5", dir, out, MODEL);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("-y"));
    char buf[64] = "";
    f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "the user's own file\n");
    /* With -y it is replaced by a real video of 5 frames. */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s --frames 5 -y", dir, out, MODEL);
    assert_int_equal(seg(args), 0);
    assert_int_equal(video_frames(out), 5);
    /* The input itself is never a valid output, -y or not. */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s/vtest60.avi -m %s -y", dir, dir, MODEL);
    assert_int_not_equal(seg(args), 0);
    snprintf(out, sizeof out, "%s/vtest60.avi", dir);
    assert_int_equal(video_frames(out), 60);
}

static void test_run_model_matches_reference(void **state)
{
    (void)state;
    char args[1024], out[300];
    snprintf(out, sizeof out, "%s/messi.out.f32", dir);
    snprintf(args, sizeof args, "--run-model %s %s/parity/selfie_messi5.in.f32 %s", MODEL,
             SEG_TEST_DATA, out);
    assert_int_equal(seg(args), 0);
    /* Refuses to overwrite without -y. */
    assert_int_equal(seg(args), 5);
    char want_path[300];
    snprintf(want_path, sizeof want_path, "%s/parity/selfie_messi5.out.f32", SEG_TEST_DATA);
    FILE *a = fopen(out, "rb"), *b = fopen(want_path, "rb");
    assert_non_null(a);
    assert_non_null(b);
    float x, y, worst = 0.0f;
    long n = 0;
    while (fread(&x, 4, 1, a) == 1 && fread(&y, 4, 1, b) == 1) {
        float d = fabsf(x - y);
        worst = d > worst ? d : worst;
        n++;
    }
    fclose(a);
    fclose(b);
    assert_int_equal(n, 256 * 256);
    assert_true(worst <= 1e-3f);
    /* An input of the wrong size is refused with the sizes in the message. */
    snprintf(args, sizeof args, "--run-model %s %s -y", MODEL, VTEST);
    char a2[1400];
    snprintf(a2, sizeof a2, "%s %s/x.f32", args, dir);
    assert_int_not_equal(seg(a2), 0);
    assert_true(log_contains("786432"));
}

/* ==== the staged pipeline from the command line =========================== */

static void test_sigint_leaves_a_playable_file(void **state)
{
    (void)state;
    char cmd[2048], out[300];
    snprintf(out, sizeof out, "%s/sigint.mp4", dir);
    /* 60 frames at 100 ms each (the test hook) would take 6 s; SIGINT after
     * 1.5 s must stop it, finalise the file and exit 130. */
    snprintf(cmd, sizeof cmd,
             "SEG_TEST_INFER_DELAY_US=100000 exec %s %s/vtest60.avi -o %s -m %s --workers 1 "
             ">%s 2>&1 </dev/null", BIN, dir, out, MODEL, log_path);
    char *argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ), 0);
    struct timespec ts = {1, 500000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid, SIGINT), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    assert_true(log_contains("stopped by a signal"));
    long n = video_frames(out);
    printf("# stopped after %ld of 60 frames\n", n);
    assert_true(n > 0);
    assert_true(n < 60);
}

static void test_bench_prints_stages_and_json(void **state)
{
    (void)state;
    char args[1024], buf[8192];
    /* --bench needs no output: it encodes into a null sink. */
    snprintf(args, sizeof args, "%s/vtest60.avi --bench -m %s -n 20 -q", dir, MODEL);
    assert_int_equal(seg(args), 0);
    read_log(buf, sizeof buf);
    const char *words[] = {"fps", "p50", "p95", "p99", "decode", "convert", "infer",
                           "composite", "encode", "latency", "rings", "20 frames", "dropped 0",
                           "exact mode", "768x576", "256x256"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_true(log_contains(words[i]));
    assert_null(strstr(buf, "frame=")); /* -q */

    snprintf(args, sizeof args, "%s/vtest60.avi --bench --json -m %s -n 20 -q --workers 2 -t 1",
             dir, MODEL);
    char cmd[2048], json[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null </dev/null", BIN, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(json, 1, sizeof json - 1, p);
    json[n] = '\0';
    assert_int_equal(pclose(p), 0);
    printf("# %s", json);
    /* One object on one line, nothing else on stdout. */
    assert_true(n > 2 && json[0] == '{' && json[n - 2] == '}' && json[n - 1] == '\n');
    assert_ptr_equal(strchr(json, '\n'), json + n - 1);
    const char *keys[] = {"\"fps\":", "\"frames\":20,", "\"dropped\":0,", "\"stages\":{",
                          "\"decode\":{\"p50\":", "\"convert\":{", "\"infer\":{", "\"composite\":{",
                          "\"encode\":{", "\"p95\":", "\"p99\":", "\"latency_ms\":", "\"cpu\":\"",
                          "\"threads\":1,", "\"workers\":2,", "\"model\":\"",
                          "\"resolution\":\"768x576\"", "\"model_input\":\"256x256\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!strstr(json, keys[i]))
            fprintf(stderr, "# no %s\n", keys[i]);
        assert_non_null(strstr(json, keys[i]));
    }
}

static void test_progress_line_and_quiet(void **state)
{
    (void)state;
    char args[1024], out[300], buf[16384];
    snprintf(out, sizeof out, "%s/progress.mp4", dir);
    /* 40 ms a frame: 2.4 s, long enough for a line with an ETA before the
     * final one (off a terminal a line comes every 2 s). */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s -y --workers 1", dir, out, MODEL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "SEG_TEST_INFER_DELAY_US=40000 %s %s >%s 2>&1 </dev/null", BIN,
             args, log_path);
    assert_int_equal(sh("%s", cmd), 0);
    read_log(buf, sizeof buf);
    assert_true(log_contains("frame="));
    assert_true(log_contains("fps="));
    assert_true(log_contains("elapsed="));
    assert_true(log_contains("eta="));
    assert_true(log_contains("frame=    60"));
    snprintf(cmd, sizeof cmd, "%s %s -q >%s 2>&1 </dev/null", BIN, args, log_path);
    assert_int_equal(sh("%s", cmd), 0);
    read_log(buf, sizeof buf);
    assert_null(strstr(buf, "frame="));
    assert_true(log_contains("60 frames"));
}

static void test_lavfi_runs_live_for_n_frames(void **state)
{
    (void)state;
    char args[1024], out[300];
    snprintf(out, sizeof out, "%s/lavfi.mkv", dir);
    snprintf(args, sizeof args, "lavfi:testsrc2=size=320x240:rate=25 -o %s -m %s --frames 15",
             out, MODEL);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("live mode"));
    assert_true(log_contains("15 frames"));
    assert_int_equal(video_frames(out), 15);
}

static void test_bad_pipeline_options(void **state)
{
    (void)state;
    char args[1024];
    const char *bad[] = {"--workers 0", "--workers 17", "--workers x", "--timeout 0",
                         "--timeout 5s", "--live --exact", "--decoder-threads 0",
                         "--encoder-threads -1", "--mode bogus", "--frames 0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "%s/vtest60.avi -o %s/x.mp4 -m %s %s", dir, dir, MODEL,
                 bad[i]);
        assert_int_equal(seg(args), 2);
    }
    /* A webcam that is not there: an input error naming it, whatever the
     * capture options (no camera on CI machines; the options reach v4l2). */
    snprintf(args, sizeof args, "/dev/video99 -o %s/cam.mp4 -m %s --video-size 640x480 "
             "--framerate 30 --pixel-format mjpeg", dir, MODEL);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("/dev/video99"));
    /* Without -o there is nothing to do unless --bench. */
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s", dir, MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--bench"));
    /* --help names the modes and when each applies. */
    assert_int_equal(seg("--help"), 0);
    const char *words[] = {"exact", "live", "--live", "--exact", "webcams", "files", "--workers",
                           "--timeout", "--video-size", "--framerate", "--pixel-format",
                           "--bench", "--json", "udp://"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_true(log_contains(words[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtest_clip_keeps_frames_and_duration),
        cmocka_unit_test(test_audio_is_passed_through),
        cmocka_unit_test(test_people_are_tinted),
        cmocka_unit_test(test_bad_inputs_give_clear_errors),
        cmocka_unit_test(test_existing_output_needs_y),
        cmocka_unit_test(test_run_model_matches_reference),
        cmocka_unit_test(test_sigint_leaves_a_playable_file),
        cmocka_unit_test(test_bench_prints_stages_and_json),
        cmocka_unit_test(test_progress_line_and_quiet),
        cmocka_unit_test(test_lavfi_runs_live_for_n_frames),
        cmocka_unit_test(test_bad_pipeline_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
