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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onnx_cases.h"
#include "test_proc.h"

#define BIN SEG_BINARY_DIR "/segstream"
#define MODEL SEG_SOURCE_DIR "/models/selfie_segmentation.tflite"
#define MESSI2_SRC SEG_SOURCE_DIR "/samples/messi5.jpg"
#define VTEST SEG_SOURCE_DIR "/samples/vtest.avi"
#define DETECTOR SEG_SOURCE_DIR "/models/pose_detection.tflite"
#define PERSON_DETECTOR SEG_SOURCE_DIR "/models/person_detection_oidv4.tflite"

static char dir[256];
static char log_path[300];

/* Run segstream with args; stderr+stdout go to log_path. */
static int seg(const char *args)
{
    /* A hang fails the case (timeout's 124) instead of stalling ctest. */
    return tp_sh("timeout -k 10 300 %s %s >%s 2>&1 </dev/null", BIN, args, log_path);
}

/* Whole log into buf (NUL-terminated); bytes read. */
static size_t read_log(char *buf, size_t size)
{
    return tp_read_file(log_path, buf, size);
}

static int log_contains(const char *needle)
{
    static char buf[65536]; /* --help is longer than 8 KiB */
    read_log(buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# log does not contain '%s':\n%s\n", needle, buf);
        return 0;
    }
    return 1;
}

static double duration(const char *path, const char *stream)
{
    char out[128];
    if (tp_probe(out, sizeof out,
                 "-select_streams %s -show_entries stream=duration -of csv=p=0 '%s'", stream,
                 path) != 0 || !out[0] || strcmp(out, "N/A") == 0) {
        if (tp_probe(out, sizeof out, "-show_entries format=duration -of csv=p=0 '%s'", path) != 0)
            return -1;
    }
    return atof(out);
}

static int has_stream(const char *path, const char *type)
{
    char out[128];
    return tp_probe(out, sizeof out,
                    "-select_streams %s -show_entries stream=codec_type -of csv=p=0 '%s'", type,
                    path) == 0 && out[0] != '\0';
}

static int setup(void **state)
{
    (void)state;
    if (access(BIN, X_OK) != 0 || access(MODEL, R_OK) != 0 || access(VTEST, R_OK) != 0) {
        fprintf(stderr, "# needs %s, %s and %s: run scripts/setup.sh first\n", BIN, MODEL, VTEST);
        return -1;
    }
    if (tp_make_dir(dir, sizeof dir, "segcli"))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    /* 60 frames of the pedestrian clip, stream-copied (no re-encode). */
    if (tp_sh("ffmpeg -v error -i %s -frames:v 60 -c copy %s/vtest60.avi", VTEST, dir))
        return -1;
    /* An ffmpeg-made clip with an audio track. */
    if (tp_sh("ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi "
              "-i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 -preset ultrafast "
              "-pix_fmt yuv420p -c:a aac -shortest %s/av.mp4", dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tp_remove_dir(dir);
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
    assert_int_equal(tp_video_frames(out), 60);
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
        assert_int_equal(tp_video_frames(out), 50);
        assert_true(has_stream(out, "a:0"));
        double vin = duration(in, "v:0"), vout = duration(out, "v:0");
        double ain = duration(in, "a:0"), aout = duration(out, "a:0");
        printf("# %s: video %.3f -> %.3f s, audio %.3f -> %.3f s\n", exts[i], vin, vout, ain, aout);
        assert_true(fabs(vin - vout) <= 0.04 + 1e-6); /* one frame at 25 fps */
        assert_true(fabs(ain - aout) <= 0.05);
        /* The audio packets are copied, not re-encoded. */
        char codec[64];
        assert_int_equal(tp_probe(codec, sizeof codec,
                                  "-select_streams a:0 -show_entries stream=codec_name "
                                  "-of csv=p=0 '%s'", out), 0);
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
    assert_int_equal(tp_video_frames(out), 1);
    char raw[300];
    snprintf(raw, sizeof raw, "%s/mask.gray", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -i %s -f rawvideo -pix_fmt gray %s", out, raw), 0);
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
    const char *note = "not a video\n";
    assert_int_equal(tp_write_file(txt, note, strlen(note)), 0);

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
    const char *own = "the user's own file\n";
    assert_int_equal(tp_write_file(out, own, strlen(own)), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s --frames 5", dir, out, MODEL);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("-y"));
    char buf[64] = "";
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, own);
    /* With -y it is replaced by a real video of 5 frames. */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s -m %s --frames 5 -y", dir, out, MODEL);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_video_frames(out), 5);
    /* The input itself is never a valid output, -y or not. */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s/vtest60.avi -m %s -y", dir, dir, MODEL);
    assert_int_not_equal(seg(args), 0);
    snprintf(out, sizeof out, "%s/vtest60.avi", dir);
    assert_int_equal(tp_video_frames(out), 60);
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

/* ==== ONNX models ============================================================ */

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The builder's model as dir/NAME (path into model[size]); frees the builder. */
static void save_model(onnx_builder **b, const char *name, char *model, size_t size)
{
    size_t len;
    uint8_t *buf = ob_pack(*b, &len);
    ob_free(b);
    snprintf(model, size, "%s/%s", dir, name);
    write_bytes(model, buf, len);
    free(buf);
}

/* A picture's mean luma (0..255), by FFmpeg's signalstats. */
static double mean_luma(const char *png)
{
    char txt[64], out[400];
    snprintf(out, sizeof out, "%s/yavg.txt", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -i %s -vf signalstats,metadata=print:key=lavfi."
                           "signalstats.YAVG:file=- -f null - | sed -n 's/.*YAVG=//p' > %s",
                           png, out), 0);
    assert_true(tp_read_file(out, txt, sizeof txt) > 0);
    return atof(txt);
}

/* --run-model, --model-info and --output on an ONNX model: the raw tensors
 * in the model's own NCHW layout, against ONNX Runtime's output. */
static void test_onnx_run_model_and_info(void **state)
{
    (void)state;
    const onnx_case *c = NULL;
    for (int k = 0; k < N_ONNX_CASES; k++)
        if (!strcmp(ONNX_CASES[k].name, "conv_same_lower"))
            c = &ONNX_CASES[k];
    assert_non_null(c);
    char model[300], in[300], out[300], args[1400], want_path[300];
    size_t len, n = (size_t)(c->in[1] * c->in[2] * c->in[3]);
    uint8_t *buf = onnx_case_build(c, &len);
    snprintf(model, sizeof model, "%s/case.onnx", dir);
    write_bytes(model, buf, len);
    free(buf);
    float *x = malloc(n * sizeof(float));
    assert_non_null(x);
    onnx_case_input(c, x, n);
    snprintf(in, sizeof in, "%s/case.in.f32", dir);
    write_bytes(in, x, n * sizeof(float));
    free(x);
    snprintf(out, sizeof out, "%s/case.out.f32", dir);
    snprintf(args, sizeof args, "--run-model %s %s %s -y -t 2", model, in, out);
    assert_int_equal(seg(args), 0);
    snprintf(want_path, sizeof want_path, "%s/onnx/%s.f32", SEG_TEST_DATA, c->name);
    FILE *a = fopen(out, "rb"), *b = fopen(want_path, "rb");
    assert_non_null(a);
    assert_non_null(b);
    float p, q, worst = 0.0f;
    long cnt = 0;
    while (fread(&p, 4, 1, a) == 1 && fread(&q, 4, 1, b) == 1) {
        worst = fabsf(p - q) > worst ? fabsf(p - q) : worst;
        cnt++;
    }
    assert_true(fread(&p, 4, 1, a) == 0 && fread(&q, 4, 1, b) == 0); /* same length */
    fclose(a);
    fclose(b);
    assert_int_equal(cnt, 4 * 4 * 5); /* [1,4,4,5] */
    assert_true(worst <= 1e-4f);
    /* Outputs by name; an unknown one lists the names. */
    snprintf(args, sizeof args, "--run-model %s %s %s -y --output y", model, in, out);
    assert_int_equal(seg(args), 0);
    snprintf(args, sizeof args, "--run-model %s %s %s -y --output nope", model, in, out);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("no output 'nope'; its outputs: 'y'"));
    /* The wrong size names the NCHW shape. */
    snprintf(args, sizeof args, "--run-model %s %s %s -y", model, model, out);
    assert_int_not_equal(seg(args), 0);
    assert_true(log_contains("[1,3,7,9] float32"));
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("format:      ONNX, opset 13"));
    assert_true(log_contains("input:       x [1,3,7,9]"));
    assert_true(log_contains("supported:   yes"));
}

static void test_onnx_unsupported_op_is_named(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 8, 8});
    ob_node(b, "Relu", "x", "r");
    ob_node(b, "GridSample", "r,r", "y");
    ob_output(b, "y", 1);
    char model[300], args[1400];
    save_model(&b, "grid.onnx", model, sizeof model);
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("GridSample"));
    assert_true(log_contains("NOT SUPPORTED"));
    snprintf(args, sizeof args, "lavfi:testsrc2=size=64x48:rate=5 -n 2 -m %s -o %s/g.mp4 -y",
             model, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("unsupported op 'GridSample' (node 1 'GridSample_1')"));
}

/* --input NAME=V: a value for a second input (RobustVideoMatting's
 * downsample_ratio), in --run-model and in a job. */
static void test_onnx_input_values(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "src", 4, (const int64_t[]){1, 3, 4, 5});
    ob_input(b, "ratio", 1, (const int64_t[]){1});
    ob_init(b, "ones", 1, (const int64_t[]){2}, (const float[]){1.0f, 1.0f});
    ob_attr_i(b, ob_node(b, "Concat", "ones,ratio,ratio", "scales"), "axis", 0);
    ob_attr_s(b, ob_node(b, "Resize", "src,,scales", "y"), "mode", "linear");
    ob_output(b, "y", 1);
    char model[300], in[300], out[300], args[1400];
    save_model(&b, "ratio.onnx", model, sizeof model);
    float x[60];
    for (int i = 0; i < 60; i++)
        x[i] = (float)i / 60.0f;
    snprintf(in, sizeof in, "%s/ratio.in.f32", dir);
    write_bytes(in, x, sizeof x);
    snprintf(out, sizeof out, "%s/ratio.out.f32", dir);
    snprintf(args, sizeof args, "--run-model %s %s %s -y --input ratio=2", model, in, out);
    assert_int_equal(seg(args), 0);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, 3 * 8 * 10 * 4);
    snprintf(args, sizeof args, "--run-model %s %s %s -y", model, in, out);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--input NAME=VALUE"));
    assert_true(log_contains("'ratio'"));
    snprintf(args, sizeof args, "--run-model %s %s %s -y --input ratoi=2", model, in, out);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("no input 'ratoi'"));
    snprintf(args, sizeof args, "--run-model %s %s %s -y --input ratio=", model, in, out);
    assert_int_equal(seg(args), 2);
    /* A job: the picture goes to the input left. */
    snprintf(args, sizeof args, "lavfi:testsrc2=size=64x48:rate=5 -n 2 -m %s --input ratio=3 "
             "-o %s/ratio.mp4 -y -q", model, dir);
    assert_int_equal(seg(args), 0);
}

/* --state: a recurrent model counts the frames in its state (r1o = r1i +
 * 1, y = sigmoid(r1o - 2.5)), so its mask is dark on frames 0 and 1 and
 * white from frame 2 on, when the frames reach it in order through one
 * worker with the state carried. RobustVideoMatting's names pair by
 * themselves; --state none leaves the input free (refused, named). */
static void test_onnx_state_job(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "src", 4, (const int64_t[]){1, 3, 16, 16});
    ob_input(b, "r1i", 4, (const int64_t[]){1, 1, 16, 16});
    ob_init(b, "w0", 4, (const int64_t[]){1, 3, 1, 1}, (const float[]){0.0f, 0.0f, 0.0f});
    ob_init(b, "one", 1, (const int64_t[]){1}, (const float[]){1.0f});
    ob_init(b, "bias", 1, (const int64_t[]){1}, (const float[]){2.5f});
    ob_node(b, "Conv", "src,w0", "zero");
    ob_node(b, "Add", "r1i,one", "r1o");
    ob_node(b, "Add", "r1o,zero", "count");
    ob_node(b, "Sub", "count,bias", "logit");
    ob_node(b, "Sigmoid", "logit", "y");
    ob_output(b, "y", 1);
    ob_output(b, "r1o", 1);
    char model[300], args[1400];
    save_model(&b, "count.onnx", model, sizeof model);
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 5 -m %s --mode mask "
             "--smooth 0 --exact --dump-frames %s/st -y", model, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("the model carries state (r1o -> r1i): one worker"));
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("state:       output 'r1o' -> input 'r1i' on the next frame"));
    double y[5];
    for (int k = 0; k < 5; k++) {
        char png[400];
        snprintf(png, sizeof png, "%s/st/mask_%06d.png", dir, k);
        y[k] = mean_luma(png);
    }
    printf("# state job: mask means %.0f %.0f %.0f %.0f %.0f\n", y[0], y[1], y[2], y[3], y[4]);
    assert_true(y[0] < 127 && y[1] < 250 && y[0] < y[1]);
    assert_true(y[2] > 250 && y[3] > 250 && y[4] > 250);
    /* One worker only. */
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 2 -m %s --workers 2 "
             "-o %s/st.mp4 -y -q", model, dir);
    assert_int_not_equal(seg(args), 0);
    assert_true(log_contains("one worker in order"));
    /* Nor regions: the state follows whole frames. */
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 2 -m %s --find pose "
             "-o %s/st.mp4 -y -q", model, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--find pose gives it people's regions"));
    /* No pairing: the state input is left free, and named. */
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 2 -m %s --state none "
             "-o %s/st.mp4 -y -q", model, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("'r1i'"));
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 2 -m %s --state r1o "
             "-o %s/st.mp4 -y -q", model, dir);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--state wants OUTPUT=INPUT"));
}

/* Matting: a model with a foreground-colour output first and an alpha
 * named pha (RobustVideoMatting's outputs) masks with pha, used as it is:
 * a constant alpha of 0.5 gives a mid-grey mask (the default --solid 0.5
 * would make it white, a sigmoid 0.62); --solid given still applies;
 * --model-output picks another output or names the ones there are. The
 * colour composited is fgr's (pure red here), not the grey frame's: in
 * alpha mode (RGB frames) and in replace mode over black (YUV frames). */
static void test_onnx_matting_alpha(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "src", 4, (const int64_t[]){1, 3, 16, 16});
    ob_init(b, "w0", 4, (const int64_t[]){1, 3, 1, 1}, (const float[]){0.0f, 0.0f, 0.0f});
    ob_init(b, "half", 1, (const int64_t[]){1}, (const float[]){0.5f});
    static const float w3[9] = {0};
    ob_init(b, "w3", 4, (const int64_t[]){3, 3, 1, 1}, w3);
    ob_init(b, "red", 4, (const int64_t[]){1, 3, 1, 1}, (const float[]){1.0f, 0.0f, 0.0f});
    ob_node(b, "Conv", "src,w3", "zero3");
    ob_node(b, "Add", "zero3,red", "fgr");
    ob_node(b, "Conv", "src,w0", "zero");
    ob_node(b, "Add", "zero,half", "pha");
    ob_output(b, "fgr", 1);
    ob_output(b, "pha", 1);
    char model[300], args[1400];
    save_model(&b, "matte.onnx", model, sizeof model);
    static const char *const extra[3] = {"", "--solid 0.5", "--model-output fgr"};
    double y[3];
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 1 -m %s --exact "
                 "--mode mask --smooth 0 %s --dump-frames %s/mt%d -y", model, extra[k], dir, k);
        assert_int_equal(seg(args), 0);
        if (k == 0)
            assert_true(log_contains("matting model: output 'pha' is the alpha"));
        char png[400];
        snprintf(png, sizeof png, "%s/mt%d/mask_000000.png", dir, k);
        y[k] = mean_luma(png);
    }
    printf("# matting: mask means %.0f (pha as it is), %.0f (--solid 0.5), %.0f (fgr)\n", y[0],
           y[1], y[2]);
    assert_true(fabs(y[0] - 127.5) < 3.0);
    assert_true(y[1] > 250.0);
    assert_true(fabs(y[2] - y[0]) > 20.0); /* another output: another mask */
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 1 -m %s "
             "--model-output nope -o %s/mt.mp4 -y -q", model, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("has no output 'nope'; its outputs: 'fgr' 'pha'"));
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("mask from:   output 'pha' (a matting alpha, used as it is); "
                             "colour from output 'fgr'"));
    /* fgr's colour: RGBA in alpha mode, and over a black picture. */
    assert_int_equal(tp_sh("ffmpeg -v error -y -f lavfi -i color=c=black:size=32x32 -frames:v 1 "
                           "%s/black.png", dir), 0);
    static const char *const how[2] = {"--mode alpha -o %s/fa.png", "--background %s/black.png "
                                       "-o %s/fa.png"};
    for (int k = 0; k < 2; k++) {
        char outs[600];
        snprintf(outs, sizeof outs, how[k], dir, dir);
        snprintf(args, sizeof args, "lavfi:color=c=gray:size=32x32:rate=10 -n 1 -m %s --exact "
                 "--smooth 0 -y -q %s", model, outs);
        assert_int_equal(seg(args), 0);
        assert_int_equal(tp_sh("ffmpeg -v error -y -i %s/fa.png -f rawvideo -pix_fmt rgba "
                               "%s/fa.raw", dir, dir), 0);
        uint8_t px[32 * 32 * 4 + 1];
        char path[400];
        snprintf(path, sizeof path, "%s/fa.raw", dir);
        assert_int_equal(tp_read_file(path, (char *)px, sizeof px), 32 * 32 * 4);
        const uint8_t *c = px + (16 * 32 + 16) * 4;
        printf("# matting %s: centre pixel %d %d %d alpha %d\n", k ? "over black" : "RGBA", c[0],
               c[1], c[2], c[3]);
        if (k == 0)
            assert_true(c[0] > 240 && c[1] < 15 && c[2] < 15 && abs(c[3] - 128) < 4);
        else /* half red over black, through 4:2:0 */
            assert_true(c[0] > 100 && c[0] < 150 && c[1] < 30 && c[2] < 30);
    }
    /* The colour follows --fit: a 48x32 frame letterboxed (the model sees
     * all of it: red everywhere) or cropped (its centre 32x32: red there,
     * the frame's grey at alpha 0 outside). */
    static const char *const fits[2] = {"letterbox", "crop"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "lavfi:color=c=gray:size=48x32:rate=10 -n 1 -m %s --exact "
                 "--smooth 0 -y -q --fit %s --mode alpha -o %s/ff.png", model, fits[k], dir);
        assert_int_equal(seg(args), 0);
        assert_int_equal(tp_sh("ffmpeg -v error -y -i %s/ff.png -f rawvideo -pix_fmt rgba "
                               "%s/ff.raw", dir, dir), 0);
        uint8_t px[48 * 32 * 4 + 1];
        char path[400];
        snprintf(path, sizeof path, "%s/ff.raw", dir);
        assert_int_equal(tp_read_file(path, (char *)px, sizeof px), 48 * 32 * 4);
        const uint8_t *mid = px + (16 * 48 + 24) * 4, *side = px + (16 * 48 + 2) * 4;
        printf("# matting --fit %s: centre %d %d %d alpha %d, left edge %d %d %d alpha %d\n",
               fits[k], mid[0], mid[1], mid[2], mid[3], side[0], side[1], side[2], side[3]);
        assert_true(mid[0] > 240 && mid[1] < 15 && mid[2] < 15 && abs(mid[3] - 128) < 4);
        if (k == 0) {
            assert_true(side[0] > 240 && side[1] < 15 && side[2] < 15 && abs(side[3] - 128) < 4);
        } else {
            assert_true(side[3] < 4 && abs(side[0] - side[1]) < 4 && abs(side[1] - side[2]) < 4);
            /* the crop's first and last columns: red, no black blended in */
            const uint8_t *e0 = px + (16 * 48 + 8) * 4, *e1 = px + (16 * 48 + 39) * 4;
            printf("# matting --fit crop: edge columns %d %d %d alpha %d, %d %d %d alpha %d\n",
                   e0[0], e0[1], e0[2], e0[3], e1[0], e1[1], e1[2], e1[3]);
            assert_true(e0[0] > 240 && e0[1] < 15 && e1[0] > 240 && e1[1] < 15);
        }
    }
}

/* A model exported with a free height and width runs at --input-size in
 * every command that loads it, and is refused (naming the option) without. */
static void test_onnx_free_input_size(void **state)
{
    (void)state;
    onnx_builder *b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, -1, -1});
    ob_init(b, "w", 4, (const int64_t[]){1, 3, 1, 1}, (const float[]){1.0f, 1.0f, 1.0f});
    ob_node(b, "Conv", "x,w", "c");
    ob_node(b, "Sigmoid", "c", "y");
    ob_output(b, "y", 1);
    char model[300], args[1400];
    save_model(&b, "free.onnx", model, sizeof model);
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--input-size WxH"));
    snprintf(args, sizeof args, "--model-info %s --input-size 40x24", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("multiply-adds per inference"));
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=64x48:rate=10 -n 2 -m %s -o %s/free.mp4 "
             "-y", model, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--input-size WxH"));
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=64x48:rate=10 -n 2 -m %s "
             "--input-size 40x24 -o %s/free.mp4 -y", model, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("model input 40x24"));
    char out[400];
    snprintf(out, sizeof out, "%s/free.mp4", dir);
    assert_int_equal(tp_video_frames(out), 2);
    snprintf(args, sizeof args, "--bench-model %s --input-size 16x12 --runs 3", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("input=12x16x3")); /* H x W x C */
    snprintf(args, sizeof args, "--bench-model %s --input-size 4x4 --runs 3", model);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--input-size wants WxH, each 8..4096, got '4x4'"));
    /* A model whose size is fixed keeps it, with a warning. */
    b = ob_new(13);
    ob_input(b, "x", 4, (const int64_t[]){1, 3, 16, 20});
    ob_node(b, "Sigmoid", "x", "y");
    ob_output(b, "y", 1);
    save_model(&b, "fixed.onnx", model, sizeof model);
    snprintf(args, sizeof args, "lavfi:color=c=gray:size=64x48:rate=10 -n 1 -m %s "
             "--input-size 40x24 -o %s/fixed.mp4 -y", model, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("--input-size 40x24 ignored: the model's input is fixed at 20x16"));
    assert_true(log_contains("model input 20x16"));
}

/* u2netp (scripts/setup.sh; models/ or $SEG_MODELS_DIR) as the job's model:
 * its first output is the mask. */
static void test_onnx_u2netp_video_job(void **state)
{
    (void)state;
    char model[600], out[300], args[2000];
    const char *mdir = getenv("SEG_MODELS_DIR");
    snprintf(model, sizeof model, "%s/u2netp.onnx", mdir && *mdir ? mdir : SEG_SOURCE_DIR "/models");
    if (access(model, R_OK) != 0)
        fail_msg("%s is missing: run scripts/setup.sh first (it fetches the models)", model);
    snprintf(out, sizeof out, "%s/u2.mp4", dir);
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s -o %s -n 3 -y --mode mask", dir, model, out);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_video_frames(out), 3);
    assert_true(log_contains("model input 320x320"));
    snprintf(args, sizeof args, "--model-info %s", model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("known model: U2-Net small (u2netp)"));
    assert_true(log_contains("  1 1960 [1,1,320,320]"));
    assert_true(log_contains("  6 1965 ["));
    /* Not a person model: the default --find auto gives it the whole frame. */
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s -n 2 --bench --json -q", dir, model);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"find\":\"none\""));
}

/* --input-mean/--input-std: mean 0 and std 1 are the selfie model's own
 * [0,1] range, so they give the same mask byte for byte; other values
 * change it (the flags reach the model); bad values and a clash with
 * --input-range are usage errors. (u2netp's ImageNet values are checked
 * against ONNX Runtime in test_nn_onnx.) */
static void test_input_mean_std(void **state)
{
    (void)state;
    char args[2000], pa[400], pb[400];
    static const char *const norms[3] = {"", "--input-mean 0 --input-std 1",
                                         "--input-mean 0.5 --input-std 0.05"};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "%s/vtest60.avi -m %s -n 1 --dump-frames %s/norm%d %s -q",
                 dir, MODEL, dir, k, norms[k]);
        assert_int_equal(seg(args), 0);
    }
    snprintf(pa, sizeof pa, "%s/norm0/mask_000000.png", dir);
    snprintf(pb, sizeof pb, "%s/norm1/mask_000000.png", dir);
    assert_int_equal(tp_sh("cmp -s %s %s", pa, pb), 0);
    snprintf(pb, sizeof pb, "%s/norm2/mask_000000.png", dir);
    assert_int_not_equal(tp_sh("cmp -s %s %s", pa, pb), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s --input-mean 1,2 -o %s/x.mp4", dir, MODEL,
             dir);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--input-mean wants R,G,B or one value"));
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s --input-std 0 -o %s/x.mp4", dir, MODEL, dir);
    assert_int_equal(seg(args), 2);
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s --input-mean 0.5 --input-range 0,1 -o "
             "%s/x.mp4", dir, MODEL, dir);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("give one"));
}

/* ==== the staged pipeline from the command line =========================== */

static void test_sigint_leaves_a_playable_file(void **state)
{
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/sigint.mp4", dir);
    /* 60 frames at 100 ms each (the test hook) would take 6 s; SIGINT after
     * 1.5 s must stop it, finalise the file and exit 130. */
    pid_t pid = tp_spawn("SEG_TEST_INFER_DELAY_US=100000 exec %s %s/vtest60.avi -o %s -m %s "
                         "--workers 1 >%s 2>&1 </dev/null", BIN, dir, out, MODEL, log_path);
    assert_true(pid > 0);
    struct timespec ts = {1, 500000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid, SIGINT), 0);
    int st;
    assert_int_equal(tp_wait_status(pid, 300, &st), 0); /* a hang fails here */
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    assert_true(log_contains("stopped by a signal"));
    long n = tp_video_frames(out);
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
    assert_int_equal(tp_sh("%s", cmd), 0);
    read_log(buf, sizeof buf);
    assert_true(log_contains("frame="));
    assert_true(log_contains("fps="));
    assert_true(log_contains("elapsed="));
    assert_true(log_contains("eta="));
    assert_true(log_contains("frame=    60"));
    snprintf(cmd, sizeof cmd, "%s %s -q >%s 2>&1 </dev/null", BIN, args, log_path);
    assert_int_equal(tp_sh("%s", cmd), 0);
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
    assert_int_equal(tp_video_frames(out), 15);
}

static void test_bad_pipeline_options(void **state)
{
    (void)state;
    char args[1024];
    const char *bad[] = {"--workers 0", "--workers 17", "--workers x", "--timeout 0",
                         "--timeout 5s", "--live --exact", "--decoder-threads 0",
                         "--encoder-threads -1", "--mode bogus", "--frames 0", "--crf 0",
                         "--crf 52", "--preset warp"};
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
                           "--bench", "--json", "udp://", "--display", "--dump-frames",
                           "--dump-every", "--background", "--fit", "letterbox", "--feather",
                           "--threshold", "side-by-side", "--blur", "--smooth", "--edge",
                           "--crf", "--preset", "--compose-rgb"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_true(log_contains(words[i]));
    /* --bench-model checks its numbers too. */
    snprintf(args, sizeof args, "--bench-model %s --runs 5x", MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--runs wants"));
    snprintf(args, sizeof args, "--bench-model %s --threads x --runs 3", MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--threads wants"));
    /* The encoder settings reach x264: it writes them into the stream. */
    snprintf(args, sizeof args, "%s/vtest60.avi -o %s/crf.mp4 -y -q -m %s --frames 5 --crf 31 "
             "--preset ultrafast", dir, dir, MODEL);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("grep -a -q 'crf=31.0' %s/crf.mp4 && grep -a -q 'subme=0' %s/crf.mp4",
                           dir, dir), 0);
}

/* ==== --eval ============================================================== */

/* The masks a run dumps are its own ground truth: every score has a known
 * answer (IoU and boundary F exactly 1); an all-black ground truth makes
 * every frame "empty"; and a ground truth that ends early, or of another
 * size, is an input error that names it. */
static void test_eval_scores_against_ground_truth(void **state)
{
    (void)state;
    char args[1400], buf[8192];
    /* 20 frames, their refined masks as grey PNGs renamed to 000000.png... */
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -q -m %s --dump-frames %s/ev",
             dir, MODEL, dir);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("mkdir -p %s/gt && cd %s/ev && for f in mask_*.png; do "
                           "cp \"$f\" \"../gt/${f#mask_}\"; done && ls ../gt | wc -l | "
                           "grep -qx 20", dir, dir), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -m %s --eval %s/gt --json", dir,
             MODEL, dir);
    assert_int_equal(seg(args), 0);
    read_log(buf, sizeof buf);
    assert_non_null(strstr(buf, "\"eval\":{\"frames\":20,\"frames_people\":20,"));
    assert_non_null(strstr(buf, "\"iou_mean\":1.000000,\"iou_p10\":1.000000"));
    assert_non_null(strstr(buf, "\"boundary_f\":1.000000"));
    assert_non_null(strstr(buf, "\"fp_mean\":null"));
    /* Text, too. */
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -q -m %s --eval %s/gt", dir, MODEL,
             dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("masks against"));
    assert_true(log_contains("mean 1.0000"));
    /* Nobody in the ground truth: every frame is empty, IoU undefined. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i color=black:size=768x576:rate=10 "
                           "-frames:v 20 -c:v ffv1 -pix_fmt gray %s/black.mkv", dir), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -m %s --eval %s/black.mkv --json",
             dir, MODEL, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"frames_people\":0,\"frames_empty\":20"));
    assert_true(log_contains("\"iou_mean\":null"));
    /* A void over everything: every frame is void (nothing scored); over
     * nothing (all black): the same scores as without it. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i color=white:size=768x576:rate=10 "
                           "-frames:v 20 -c:v ffv1 -pix_fmt gray %s/white.mkv", dir), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -m %s --eval %s/gt --eval-void "
             "%s/white.mkv --json", dir, MODEL, dir, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"frames_people\":0,\"frames_empty\":0,\"frames_void\":20"));
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 20 -m %s --eval %s/gt --eval-void "
             "%s/black.mkv --json", dir, MODEL, dir, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"iou_mean\":1.000000,\"iou_p10\":1.000000"));
    snprintf(args, sizeof args, "%s/vtest60.avi -q -m %s --eval-void %s/black.mkv --bench", dir,
             MODEL, dir);
    assert_int_equal(seg(args), 2);
    /* Too short: exit 3, says so. */
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 30 -q -m %s --eval %s/gt", dir, MODEL,
             dir);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("the ground truth ends"));
    /* Another size: exit 3 with both sizes. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i color=black:size=320x240:rate=10 "
                           "-frames:v 20 -c:v ffv1 -pix_fmt gray %s/small.mkv", dir), 0);
    snprintf(args, sizeof args, "%s/vtest60.avi --frames 5 -q -m %s --eval %s/small.mkv", dir,
             MODEL, dir);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("320x240"));
    /* A folder without masks, and --live: clear refusals. */
    snprintf(args, sizeof args, "%s/vtest60.avi -q -m %s --eval %s/ev", dir, MODEL, dir);
    assert_int_equal(seg(args), 3);
    assert_true(log_contains("000000.png"));
    snprintf(args, sizeof args, "%s/vtest60.avi -q -m %s --eval %s/gt --live", dir, MODEL, dir);
    assert_int_equal(seg(args), 2);
}

/* messi5.jpg through --find pose with @p detector, dumped into dir/@p sub:
 * the mask's mean is that of a player, not of nothing nor of everything. */
static void messi_masked(const char *detector, const char *sub)
{
    char args[1400];
    snprintf(args, sizeof args, "%s/samples/messi5.jpg -q -m %s --find pose --detector %s "
             "--mode mask --dump-frames %s/%s", SEG_SOURCE_DIR, MODEL, detector, dir, sub);
    assert_int_equal(seg(args), 0);
    snprintf(args, sizeof args, "%s/%s/mask_000000.png", dir, sub);
    double m = mean_luma(args);
    printf("# messi5 --find pose --detector %s: mask mean %.1f of 255\n", strrchr(detector, '/') + 1,
           m);
    assert_true(m > 10 && m < 120);
}

/* Close-ups keep dark hair: frame 38 of Megamind.avi (a woman at a table,
 * her dark up-do against a dark chair back; the evaluation set's
 * closeup_megamind_a, frame 18). A box on top of her head (x 200-319,
 * y 70-99 of 720x528, looked at: all hair) had alpha 30 of 255 from the
 * close-up model alone; with the general model's dark hair kept
 * (seg_worker.c, keep_dark_hair) it is 235. The detector is named: the
 * binary looks for it in ./models, which a test's folder does not have
 * (without it, the whole frame goes to the general model and the close-up
 * path is not run).
 * Also, the same run: the woman is masked on every frame after the first
 * (which is black). The worker whose first frame that is found nobody in
 * its first search and left every frame it got empty until the first
 * shared search was merged (frames 0, 2, ..., 32: the README's demo blurred
 * her away on every other frame); it now looks again on its next frames
 * (seg_worker.c, look_again). Two workers, as on any machine with two
 * cores or more. */
static void test_closeup_keeps_dark_hair(void **state)
{
    (void)state;
    const char *mm = SEG_SOURCE_DIR "/samples/Megamind.avi";
    if (access(mm, R_OK) != 0 || access(PERSON_DETECTOR, R_OK) != 0 ||
        access(SEG_SOURCE_DIR "/models/selfie_segmentation_landscape.tflite", R_OK) != 0) {
        fprintf(stderr, "# skipped: needs Megamind.avi, the detectors and the landscape model "
                        "(scripts/setup.sh)\n");
        skip();
    }
    char args[1400], out[400], txt[64];
    snprintf(args, sizeof args, "%s -q -m %s --detector %s --frames 39 --workers 2 --mode mask "
             "--codec ffv1 -o %s/hair.mkv", mm, MODEL, PERSON_DETECTOR, dir);
    assert_int_equal(seg(args), 0);
    char ymax[2048];
    snprintf(out, sizeof out, "%s/hair_max.txt", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -i %s/hair.mkv -vf signalstats,metadata=print:"
                           "key=lavfi.signalstats.YMAX:file=- -f null - | sed -n 's/.*YMAX=//p' "
                           "> %s", dir, out), 0);
    assert_true(tp_read_file(out, ymax, sizeof ymax) > 0);
    int frames = 0, empty = 0;
    for (char *line = strtok(ymax, "\n"); line; line = strtok(NULL, "\n"), frames++)
        if (frames > 0 && atoi(line) < 200) {
            printf("# Megamind.avi frame %d: mask max %d (nobody)\n", frames, atoi(line));
            empty++;
        }
    assert_int_equal(frames, 39);
    assert_int_equal(empty, 0);
    snprintf(out, sizeof out, "%s/hair_avg.txt", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -i %s/hair.mkv -vf 'select=eq(n\\,38),crop=120:30:"
                           "200:70,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-' "
                           "-f null - | sed -n 's/.*YAVG=//p' > %s", dir, out), 0);
    assert_true(tp_read_file(out, txt, sizeof txt) > 0);
    printf("# Megamind.avi frame 38, top of the up-do: mask mean %.1f of 255\n", atof(txt));
    assert_true(atof(txt) > 200);
}

/* --find pose: the player in messi5.jpg is found and masked, a picture of
 * nobody gets an empty mask (the whole frame finds "people" there), and a
 * missing detector or a bad value are clear errors. */
static void test_find_pose(void **state)
{
    (void)state;
    char args[1400];
    if (access(DETECTOR, R_OK) != 0 ||
        access(SEG_SOURCE_DIR "/samples/messi5.jpg", R_OK) != 0) {
        fprintf(stderr, "# skipped: needs the pose detector and messi5.jpg (scripts/setup.sh)\n");
        skip();
    }
    /* The player covers a share of the picture, well above nothing and well
     * below all of it, with either detector (the Open Images SSD is the
     * default). */
    messi_masked(DETECTOR, "fp");
    if (access(PERSON_DETECTOR, R_OK) == 0)
        messi_masked(PERSON_DETECTOR, "fo");
    /* Nobody: a mask of zeros. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i testsrc2=size=640x360:rate=10 "
                           "-frames:v 3 %s/nobody.mkv", dir), 0);
    snprintf(args, sizeof args, "%s/nobody.mkv -q -m %s --find pose --detector %s --mode mask "
             "--dump-frames %s/fn", dir, MODEL, DETECTOR, dir);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("ffmpeg -v error -i %s/fn/mask_000002.png -vf signalstats,metadata="
                           "print:key=lavfi.signalstats.YMAX:file=%s/fn/ymax.txt -f null - && "
                           "grep -q 'YMAX=0$' %s/fn/ymax.txt", dir, dir, dir), 0);
    /* The default (--find auto) with the selfie model: people first, the
     * same mask; with its detector missing, a warning and the whole frame;
     * --find none: the whole frame. */
    snprintf(args, sizeof args, "%s/samples/messi5.jpg -q -m %s --detector %s --mode mask "
             "--dump-frames %s/fa", SEG_SOURCE_DIR, MODEL, DETECTOR, dir);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("cmp -s %s/fa/mask_000000.png %s/fp/mask_000000.png", dir, dir), 0);
    snprintf(args, sizeof args, "%s/nobody.mkv -m %s --detector %s --bench --json -q", dir, MODEL,
             DETECTOR);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"find\":\"pose\""));
    snprintf(args, sizeof args, "%s/nobody.mkv -m %s --detector %s/none.tflite --bench --json", dir,
             MODEL, dir);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("warning: no person detector"));
    assert_true(log_contains("\"find\":\"none\""));
    snprintf(args, sizeof args, "%s/nobody.mkv -m %s --find none --bench --json -q", dir, MODEL);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("\"find\":\"none\""));
    /* Errors. */
    snprintf(args, sizeof args, "%s/nobody.mkv -q -m %s --find pose --detector %s/none.tflite "
             "--bench", dir, MODEL, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--find pose"));
    snprintf(args, sizeof args, "%s/nobody.mkv -q -m %s --find pose --detector %s --bench", dir,
             MODEL, MODEL);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("not a pose detector"));
    assert_true(log_contains("nor the person detector (Open Images SSD)"));
    snprintf(args, sizeof args, "%s/nobody.mkv -q --find faces --bench", dir);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--find wants auto, pose or none"));
    /* A close-up model that is missing, or is not a one-class segmenter. */
    snprintf(args, sizeof args, "%s/nobody.mkv -q -m %s --find pose --detector %s "
             "--closeup-model %s/none.tflite --bench", dir, MODEL, DETECTOR, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--closeup-model: cannot open model"));
    snprintf(args, sizeof args, "%s/nobody.mkv -q -m %s --find pose --detector %s "
             "--closeup-model %s --bench", dir, MODEL, DETECTOR, DETECTOR);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("--closeup-model: model"));
    assert_true(log_contains("not a segmentation model: output [1,2254,12]"));
}

/* --instances: messi5 beside its mirror image is two people, tinted in
 * the palette's first colour (red, the left one) and its second (green);
 * without people found first it is a usage error. */
static void test_instances_colour_each_person(void **state)
{
    (void)state;
    char args[1400], path[400];
    if (access(DETECTOR, R_OK) != 0 || access(MESSI2_SRC, R_OK) != 0) {
        fprintf(stderr, "# skipped: needs the pose detector and messi5.jpg (scripts/setup.sh)\n");
        skip();
    }
    /* (Two identical copies side by side: the detector finds only the
     * left one; a mirrored copy it finds.) */
    assert_int_equal(tp_sh("ffmpeg -v error -y -i %s -i %s -filter_complex "
                           "'[1]hflip[r];[0][r]hstack' %s/two.png && "
                           "ffmpeg -v error -y -i %s/two.png -f rawvideo -pix_fmt rgb24 %s/two.rgb",
                           MESSI2_SRC, MESSI2_SRC, dir, dir, dir), 0);
    snprintf(args, sizeof args, "%s/two.png -q -m %s --detector %s --instances -o %s/inst.png -y",
             dir, MODEL, DETECTOR, dir);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("ffmpeg -v error -y -i %s/inst.png -f rawvideo -pix_fmt rgb24 "
                           "%s/inst.rgb", dir, dir), 0);
    enum { LEN = 1096 * 342 * 3 };
    static uint8_t a[LEN + 1], b[LEN + 1]; /* + the NUL tp_read_file adds */
    snprintf(path, sizeof path, "%s/two.rgb", dir);
    assert_int_equal(tp_read_file(path, (char *)a, sizeof a), LEN);
    snprintf(path, sizeof path, "%s/inst.rgb", dir);
    assert_int_equal(tp_read_file(path, (char *)b, sizeof b), LEN);
    /* Per half: how much redder and greener the overlay made it. */
    double dr[2] = {0, 0}, dg[2] = {0, 0};
    for (int y = 0; y < 342; y++)
        for (int x = 0; x < 1096; x++) {
            size_t i = ((size_t)y * 1096 + x) * 3;
            dr[x >= 548] += (double)b[i] - a[i];
            dg[x >= 548] += (double)b[i + 1] - a[i + 1];
        }
    printf("# --instances: left half red %+.0f green %+.0f, right half red %+.0f green %+.0f\n",
           dr[0] / 1e3, dg[0] / 1e3, dr[1] / 1e3, dg[1] / 1e3);
    assert_true(dr[0] > dg[0] + 1e5); /* the left one tinted red */
    assert_true(dg[1] > dr[1] + 1e5); /* the right one green */
    /* The ids in the dump: 1 on the left player, 2 on the right, 0 around. */
    snprintf(args, sizeof args, "%s/two.png -q -m %s --detector %s --instances --mode mask "
             "--dump-frames %s/idd -y", dir, MODEL, DETECTOR, dir);
    assert_int_equal(seg(args), 0);
    assert_int_equal(tp_sh("ffmpeg -v error -y -i %s/idd/ids_000000.png -f rawvideo -pix_fmt "
                           "gray %s/ids.raw", dir, dir), 0);
    snprintf(path, sizeof path, "%s/ids.raw", dir);
    assert_int_equal(tp_read_file(path, (char *)a, sizeof a), 1096 * 342);
    long count[2][3] = {{0, 0, 0}, {0, 0, 0}};
    for (int y = 0; y < 342; y++)
        for (int x = 0; x < 1096; x++) {
            uint8_t id = a[(size_t)y * 1096 + x];
            assert_true(id <= 2);
            count[x >= 548][id]++;
        }
    printf("# --instances ids: left half %ld x 1, %ld x 2; right half %ld x 1, %ld x 2\n",
           count[0][1], count[0][2], count[1][1], count[1][2]);
    assert_true(count[0][1] > 10000 && count[0][2] == 0);
    assert_true(count[1][2] > 10000 && count[1][1] == 0);
    assert_true(count[0][0] > 10000 && count[1][0] > 10000);
    snprintf(args, sizeof args, "%s/two.png -q -m %s --find none --instances -o %s/x.png -y", dir,
             MODEL, dir);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--instances colours the people found first"));
    /* --find auto with a model it gives the whole frame (u2netp): exit 4. */
    const char *mdir = getenv("SEG_MODELS_DIR");
    snprintf(path, sizeof path, "%s/u2netp.onnx", mdir && *mdir ? mdir : SEG_SOURCE_DIR "/models");
    if (access(path, R_OK) == 0) {
        snprintf(args, sizeof args, "%s/two.png -q -m %s --instances -o %s/y.png -y", dir, path,
                 dir);
        assert_int_equal(seg(args), 4);
        assert_true(log_contains("--instances colours the people found first"));
    }
}

/* ==== display, dumps, multi-class, --fit ================================= */

#define DEEPLAB SEG_SOURCE_DIR "/../shared/models/deeplabv3_257_mv_gpu.tflite"
#define MESSI SEG_SOURCE_DIR "/samples/messi5.jpg"

/* Frame @p n of a video or picture as raw pixels (ffmpeg pix_fmt @p fmt,
 * "rgb24", "gray" or "rgba") into a malloc'd buffer; bytes in *len. */
static uint8_t *raw_frame(const char *path, int n, const char *fmt, size_t *len)
{
    char raw[400];
    snprintf(raw, sizeof raw, "%s/raw.bin", dir);
    if (tp_sh("ffmpeg -v error -y -i '%s' -vf 'select=eq(n\\,%d)' -frames:v 1 -f rawvideo "
              "-pix_fmt %s %s", path, n, fmt, raw))
        return NULL;
    FILE *f = fopen(raw, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = sz > 0 ? malloc((size_t)sz) : NULL;
    if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)sz : 0;
    return buf;
}

static void probe_field(const char *path, const char *field, char *out, size_t n)
{
    assert_int_equal(tp_probe(out, n,
                              "-select_streams v:0 -show_entries stream=%s -of csv=p=0 '%s'",
                              field, path), 0);
}

static void test_display_modes_on_a_clip(void **state)
{
    (void)state;
    char args[2048], in[300], out[300];
    snprintf(in, sizeof in, "%s/vtest60.avi", dir);
    size_t ilen, olen;
    uint8_t *ref = raw_frame(in, 5, "rgb24", &ilen); /* 768x576 */
    assert_non_null(ref);
    assert_int_equal(ilen, (size_t)768 * 576 * 3);
    const struct {
        const char *mode, *extra, *ext;
        int wmul;
    } cases[] = {
        {"blur", "", "mp4", 1},
        {"replace", "--background " MESSI, "mp4", 1},
        {"mask", "", "mkv", 1},
        {"matte", "--matte-color ff00ff", "mp4", 1},
        {"side-by-side", "", "mp4", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(out, sizeof out, "%s/mode_%s.%s", dir, cases[i].mode, cases[i].ext);
        snprintf(args, sizeof args, "%s -o %s -m %s --frames 10 --mode %s %s %s", in, out,
                 MODEL, cases[i].mode, cases[i].extra,
                 strcmp(cases[i].ext, "mkv") == 0 ? "--codec ffv1" : "");
        assert_int_equal(seg(args), 0);
        int w = 0, h = 0;
        assert_int_equal(tp_video_size(out, &w, &h), 0);
        assert_int_equal(w, 768 * cases[i].wmul);
        assert_int_equal(h, 576);
        assert_int_equal(tp_video_frames(out), 10);
        uint8_t *px = raw_frame(out, 5, "rgb24", &olen);
        assert_non_null(px);
        assert_int_equal(olen, (size_t)w * h * 3);
        /* Statistics against the input frame, per mode. */
        double diff = 0, grey = 0, magenta = 0, left = 0;
        long n = 768L * 576;
        for (long y = 0; y < 576; y++) {
            for (long x = 0; x < w; x++) {
                const uint8_t *o = px + (y * w + x) * 3;
                const uint8_t *r = ref + (y * 768 + x % 768) * 3;
                double d = (abs(o[0] - r[0]) + abs(o[1] - r[1]) + abs(o[2] - r[2])) / 3;
                if (x < 768)
                    diff += d;
                else if (x < 1536)
                    grey += abs(o[0] - o[1]) <= 4 && abs(o[1] - o[2]) <= 4;
                if (x < 768)
                    grey += cases[i].wmul == 1 && abs(o[0] - o[1]) <= 4 && abs(o[1] - o[2]) <= 4;
                magenta += o[0] > 200 && o[1] < 60 && o[2] > 200;
                left += x < 768 && d < 12;
            }
        }
        diff /= n;
        printf("# --mode %s: mean |out - in| %.1f, grey %.1f%%, magenta %.1f%%\n",
               cases[i].mode, diff, 100 * grey / n, 100 * magenta / n);
        if (strcmp(cases[i].mode, "blur") == 0) {
            assert_true(diff > 0.5 && diff < 25); /* the background changed, not wildly */
        } else if (strcmp(cases[i].mode, "replace") == 0) {
            assert_true(diff > 25);               /* another picture behind */
        } else if (strcmp(cases[i].mode, "mask") == 0) {
            assert_true(grey > 0.99 * n);         /* grey levels only */
        } else if (strcmp(cases[i].mode, "matte") == 0) {
            assert_true(magenta > 0.7 * n);       /* the key colour behind the people */
        } else {                                  /* input | mask | composite */
            assert_true(left > 0.95 * n);         /* the left panel is the input */
            assert_true(grey > 0.99 * n);         /* the middle one the mask */
        }
        free(px);
    }
    free(ref);

    /* alpha: a .mov gets qtrle with an alpha channel; the people are opaque,
     * most of the street transparent. */
    snprintf(out, sizeof out, "%s/mode_alpha.mov", dir);
    snprintf(args, sizeof args, "%s -o %s -m %s --frames 5 --mode alpha", in, out, MODEL);
    assert_int_equal(seg(args), 0);
    char v[64];
    probe_field(out, "codec_name", v, sizeof v);
    assert_string_equal(v, "qtrle");
    probe_field(out, "pix_fmt", v, sizeof v);
    assert_string_equal(v, "argb");
    uint8_t *px = raw_frame(out, 2, "rgba", &olen);
    assert_non_null(px);
    assert_int_equal(olen, (size_t)768 * 576 * 4);
    long clear = 0, opaque = 0;
    for (size_t i = 3; i < olen; i += 4) {
        clear += px[i] < 10;
        opaque += px[i] > 200;
    }
    printf("# --mode alpha: %.1f%% transparent, %.2f%% opaque\n", 100.0 * clear / (768 * 576),
           100.0 * opaque / (768 * 576));
    assert_true(clear > 768 * 576 * 8 / 10);
    assert_true(opaque > 0);
    free(px);
    /* An encoder without alpha is refused with a way out. */
    snprintf(args, sizeof args, "%s -o %s/alpha.mp4 -m %s --frames 5 --mode alpha --codec "
             "libx264", in, dir, MODEL);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("--dump-frames"));
    /* replace without a background is a usage error. */
    snprintf(args, sizeof args, "%s -o %s/r.mp4 -m %s --mode replace", in, dir, MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--background"));
    /* A video background: one frame per output frame, looping (7 frames). */
    snprintf(out, sizeof out, "%s/bg7.mp4", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i color=c=blue:size=160x120:rate=10 "
                           "-frames:v 7 -pix_fmt yuv420p %s", out), 0);
    snprintf(args, sizeof args, "%s -o %s/replace_video.mp4 -m %s --frames 20 --mode replace "
             "--background %s", in, dir, MODEL, out);
    assert_int_equal(seg(args), 0);
    snprintf(out, sizeof out, "%s/replace_video.mp4", dir);
    assert_int_equal(tp_video_frames(out), 20);
    px = raw_frame(out, 15, "rgb24", &olen);
    assert_non_null(px);
    long blue = 0;
    for (size_t i = 0; i + 2 < olen; i += 3)
        blue += px[i] < 40 && px[i + 1] < 40 && px[i + 2] > 200;
    printf("# --background video: %.1f%% blue at frame 15\n", 100.0 * blue / (768 * 576));
    assert_true(blue > 768 * 576 / 2);
    free(px);
}

static void test_dump_frames_are_byte_identical(void **state)
{
    (void)state;
    char args[2048];
    for (int run = 0; run < 2; run++) {
        snprintf(args, sizeof args, "%s/vtest60.avi -m %s --frames 12 --dump-frames %s/dump%d "
                 "--dump-every 4 --mode blur -t 1", dir, MODEL, dir, run);
        assert_int_equal(seg(args), 0); /* no -o: only the dumps */
        assert_true(log_contains("12 frames"));
    }
    const char *names[] = {"frame_000000.png", "mask_000000.png", "frame_000004.png",
                           "mask_000004.png", "frame_000008.png", "mask_000008.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(tp_sh("cmp -s %s/dump0/%s %s/dump1/%s", dir, names[i], dir, names[i]), 0);
    /* only every 4th frame, nothing else */
    assert_int_equal(tp_sh("test $(ls %s/dump0 | wc -l) -eq 6", dir), 0);
    assert_int_equal(tp_sh("diff -r %s/dump0 %s/dump1", dir, dir), 0);
    char v[64], path[400];
    snprintf(path, sizeof path, "%s/dump0/mask_000004.png", dir);
    probe_field(path, "pix_fmt", v, sizeof v);
    assert_string_equal(v, "gray");
    /* alpha mode dumps RGBA PNGs */
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s --frames 2 --dump-frames %s/dumpa "
             "--mode alpha", dir, MODEL, dir);
    assert_int_equal(seg(args), 0);
    snprintf(path, sizeof path, "%s/dumpa/frame_000001.png", dir);
    probe_field(path, "pix_fmt", v, sizeof v);
    assert_string_equal(v, "rgba");
    /* --dump-every alone is a usage error */
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s -o %s/x.mp4 --dump-every 2", dir, MODEL,
             dir);
    assert_int_equal(seg(args), 2);
}

static void test_display_without_a_display(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s/vtest60.avi -m %s --display", dir, MODEL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER %s %s >%s "
             "2>&1 </dev/null", BIN, args, log_path);
    assert_int_equal(tp_sh("%s", cmd), 5);
    assert_true(log_contains("DISPLAY"));
    assert_true(log_contains("-o OUTPUT"));
    assert_true(log_contains("--dump-frames"));
}

static void test_window_under_xvfb(void **state)
{
    (void)state;
    if (tp_sh("command -v xvfb-run >/dev/null && command -v import >/dev/null")) {
        printf("# skipped: needs xvfb-run and ImageMagick's import\n");
        skip();
    }
    /* A paced lavfi source in the window for 3 s; a screenshot half-way.
     * Matte mode keys the background magenta: a quarter of the 640x480
     * screen is the 320x240 window, almost all of it magenta. Twice: a
     * window alone gets RGB frames (its mode key may pick any mode), a
     * window next to an output file YUV 4:2:0 frames (an IYUV texture). */
    for (int with_output = 0; with_output < 2; with_output++) {
        char script[400], shot[400], out[400] = "";
        snprintf(script, sizeof script, "%s/win.sh", dir);
        snprintf(shot, sizeof shot, "%s/shot%d.png", dir, with_output);
        if (with_output)
            snprintf(out, sizeof out, "-o %s/window.mp4 -y", dir);
        FILE *f = fopen(script, "w");
        assert_non_null(f);
        /* Under AddressSanitizer: SDL, D-Bus and GIO keep a few allocations
         * to the end, which LeakSanitizer reports as leaks; the window code
         * itself is leak-checked in test_display_window. Other errors still
         * abort. */
        fprintf(f, "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
                   "%s 'lavfi:testsrc2=size=320x240:rate=25,realtime' -m %s --display "
                   "--frames 75 --mode matte --matte-color ff00ff %s -q >%s 2>&1 &\n"
                   "pid=$!\nsleep 1.5\nimport -window root %s\nwait $pid\n",
                BIN, MODEL, out, log_path, shot);
        fclose(f);
        assert_int_equal(tp_sh("timeout 60 xvfb-run -a -s '-screen 0 640x480x24' sh %s", script),
                         0);
        assert_true(log_contains("75 frames"));
        size_t len;
        uint8_t *px = raw_frame(shot, 0, "rgb24", &len);
        assert_non_null(px);
        assert_int_equal(len, (size_t)640 * 480 * 3);
        long magenta = 0, black = 0;
        for (size_t i = 0; i + 2 < len; i += 3) {
            magenta += px[i] > 200 && px[i + 1] < 60 && px[i + 2] > 200;
            black += px[i] < 10 && px[i + 1] < 10 && px[i + 2] < 10;
        }
        long n = 640 * 480;
        printf("# window screenshot (%s frames): %.1f%% magenta, %.1f%% black\n",
               with_output ? "YUV" : "RGB", 100.0 * magenta / n, 100.0 * black / n);
        assert_true(magenta > n / 5); /* the composite fills the window */
        assert_true(black > n / 2);   /* the rest of the screen */
        free(px);
        if (with_output) {
            snprintf(out, sizeof out, "%s/window.mp4", dir);
            assert_int_equal(tp_video_frames(out), 75);
        }
    }
}

/* --legend takes on or off, and says so in one line. */
static void test_legend_option_errors(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s -m %s --legend maybe --bench", MESSI, MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("segstream: --legend wants on or off, got 'maybe'"));
    snprintf(args, sizeof args, "%s -m %s --bench --legend", MESSI, MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--legend needs a value"));
    snprintf(args, sizeof args, "%s -m %s --legend off --bench -q", MESSI, MODEL);
    assert_int_equal(seg(args), 0);
}

/* Several -m: all are loaded and checked before the first frame, and a
 * bad one (missing, or of another kind) is an error that names it. */
static void test_several_models_checked_at_start(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s -m %s -m %s/none.tflite --bench -q", MESSI, MODEL, dir);
    assert_int_equal(seg(args), 4);
    assert_true(log_contains("none.tflite"));
    assert_true(log_contains("(model 2 of the 2 given with -m)"));
    snprintf(args, sizeof args, "%s -m %s -m %s --find pose --bench -q", MESSI, MODEL, MODEL);
    assert_int_equal(seg(args), 2);
    assert_true(log_contains("--find pose takes one -m model"));
    snprintf(args, sizeof args, "%s -m %s -m %s --bench -q", MESSI, MODEL, MODEL);
    assert_int_equal(seg(args), 0);
    if (access(DEEPLAB, R_OK) == 0) {
        snprintf(args, sizeof args, "%s -m %s -m %s --bench -q", MESSI, MODEL, DEEPLAB);
        assert_int_equal(seg(args), 4);
        assert_true(log_contains("the models cycled through must give the same kind"));
    }
}

static void test_deeplab_overlay_legend_and_fit(void **state)
{
    (void)state;
    char args[2048], path[400];
    if (access(DEEPLAB, R_OK) != 0) {
        printf("# skipped: %s is absent (not shipped; see README, Models)\n", DEEPLAB);
        skip();
    }
    snprintf(args, sizeof args, "%s -m %s --dump-frames %s/dl", MESSI, DEEPLAB, dir);
    assert_int_equal(seg(args), 0);
    snprintf(path, sizeof path, "%s/dl/legend.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char legend[4096];
    size_t n = fread(legend, 1, sizeof legend - 1, f);
    legend[n] = '\0';
    fclose(f);
    printf("# legend:\n%s", legend);
    assert_non_null(strstr(legend, "15\tperson\tc08080")); /* VOC label, name, palette */
    /* The overlay is the person's palette colour: pixels moved towards it. */
    size_t ilen, olen;
    uint8_t *in = raw_frame(MESSI, 0, "rgb24", &ilen);
    snprintf(path, sizeof path, "%s/dl/frame_000000.png", dir);
    uint8_t *out = raw_frame(path, 0, "rgb24", &olen);
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(ilen, olen);
    long changed = 0;
    for (size_t i = 0; i < ilen; i += 3)
        changed += abs(out[i] - in[i]) + abs(out[i + 1] - in[i + 1]) +
                   abs(out[i + 2] - in[i + 2]) > 30;
    printf("# deeplab overlay: %.1f%% of pixels tinted\n", 100.0 * changed / (ilen / 3));
    assert_true(changed > (long)(ilen / 3) / 50);
    free(in);
    free(out);

    /* --fit on a 16:9 clip (the picture padded at the sides): every mode of
     * fitting finds the player; letterbox and crop keep the frame size. */
    char clip[400];
    snprintf(clip, sizeof clip, "%s/messi169.mkv", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -loop 1 -i %s -vf pad=608:342:30:0 -frames:v 3 "
                           "-c:v ffv1 %s", MESSI, clip), 0);
    const char *fits[] = {"letterbox", "crop", "stretch"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/fit_%s.mkv", dir, fits[i]);
        snprintf(args, sizeof args, "%s -o %s -m %s --fit %s --mode mask --codec ffv1", clip, path,
                 MODEL, fits[i]);
        assert_int_equal(seg(args), 0);
        int w, h;
        assert_int_equal(tp_video_size(path, &w, &h), 0);
        assert_int_equal(w, 608);
        assert_int_equal(h, 342);
        uint8_t *m = raw_frame(path, 1, "gray", &olen);
        assert_non_null(m);
        long white = 0, edge = 0;
        for (size_t k = 0; k < olen; k++)
            white += m[k] > 200;
        for (int y = 0; y < 342; y++) /* the padding at the sides is no person */
            for (int x = 0; x < 20; x++)
                edge += m[y * 608 + x] > 128 || m[y * 608 + 607 - x] > 128;
        printf("# --fit %s: %.1f%% foreground, %ld side pixels\n", fits[i],
               100.0 * white / olen, edge);
        assert_true(white > (long)olen / 20);
        assert_true(white < (long)olen / 2);
        assert_int_equal(edge, 0);
        free(m);
    }
    snprintf(args, sizeof args, "%s -o %s/x.mkv -m %s --fit sideways", clip, dir, MODEL);
    assert_int_equal(seg(args), 2);
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
        cmocka_unit_test(test_onnx_run_model_and_info),
        cmocka_unit_test(test_onnx_unsupported_op_is_named),
        cmocka_unit_test(test_onnx_u2netp_video_job),
        cmocka_unit_test(test_onnx_input_values),
        cmocka_unit_test(test_onnx_state_job),
        cmocka_unit_test(test_onnx_matting_alpha),
        cmocka_unit_test(test_onnx_free_input_size),
        cmocka_unit_test(test_input_mean_std),
        cmocka_unit_test(test_sigint_leaves_a_playable_file),
        cmocka_unit_test(test_bench_prints_stages_and_json),
        cmocka_unit_test(test_progress_line_and_quiet),
        cmocka_unit_test(test_lavfi_runs_live_for_n_frames),
        cmocka_unit_test(test_bad_pipeline_options),
        cmocka_unit_test(test_eval_scores_against_ground_truth),
        cmocka_unit_test(test_find_pose),
        cmocka_unit_test(test_closeup_keeps_dark_hair),
        cmocka_unit_test(test_instances_colour_each_person),
        cmocka_unit_test(test_display_modes_on_a_clip),
        cmocka_unit_test(test_dump_frames_are_byte_identical),
        cmocka_unit_test(test_display_without_a_display),
        cmocka_unit_test(test_window_under_xvfb),
        cmocka_unit_test(test_legend_option_errors),
        cmocka_unit_test(test_several_models_checked_at_start),
        cmocka_unit_test(test_deeplab_overlay_legend_and_fit),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
