/* test_faults.c - the fault matrix: hostile or broken inputs, models and
 * outputs, signals and a dead network source, each driven through the
 * segstream binary like tests/test_cli.c does. Every case checks the exit
 * code documented in README.md ("Exit status"), a message that names the
 * problem, and that nothing crashed, leaked or hung: every run is under
 * timeout(1), and in the asan preset the binary itself carries ASan+UBSan
 * (a report fails the case whatever the exit code).
 *
 * Cases the current binary fails are named known_failure_*: they are
 * skipped by the main run (test_faults) and run one by one as their own
 * ctests with WILL_FAIL (tests/hostile_tests.cmake), so the suite stays
 * green, the failure stays visible, and a fix shows up as a "failing" ctest
 * that asks for the case to be moved back. Each says which component is at
 * fault. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_proc.h"
#include "tflite_builder.h"

#define BIN SEG_BINARY_DIR "/segstream"
#define MODEL SEG_SOURCE_DIR "/models/selfie_segmentation.tflite"
#define VTEST SEG_SOURCE_DIR "/samples/vtest.avi"
#define MESSI SEG_SOURCE_DIR "/samples/messi5.jpg"

/* Seconds one segstream run may take before it counts as a hang (ASan
 * builds are several times slower than release). */
#define RUN_TIMEOUT_S 120

static char dir[256];
static char log_path[300];
static char ro_mount[280];   /* read-only bind mount, "" if none */
static char tiny_mount[280]; /* 16 KiB tmpfs, "" if none */

/* ==== helpers =========================================================== */

static void read_log(char *buf, size_t size)
{
    tp_read_file(log_path, buf, size);
}

/* A sanitizer report or a timeout is a failure whatever the exit code. */
static void check_clean_log(int rc)
{
    static char buf[65536];
    read_log(buf, sizeof buf);
    if (rc == 124 || rc == 137) {
        printf("# log of the hung run:\n%s\n", buf);
        fail_msg("segstream hung: killed by timeout after %d s (log above)", RUN_TIMEOUT_S);
    }
    if (strstr(buf, "AddressSanitizer") || strstr(buf, "LeakSanitizer") ||
        strstr(buf, "runtime error:") || strstr(buf, "ThreadSanitizer")) {
        printf("# log with the sanitizer report:\n%s\n", buf);
        fail_msg("sanitizer report from segstream (exit %d, log above)", rc);
    }
}

/* Run segstream with args (-t 1: the machine is shared); output to log_path. */
static int seg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int seg(const char *fmt, ...)
{
    char args[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = tp_sh("timeout -k 5 %d %s %s -t 1 >%s 2>&1 </dev/null", RUN_TIMEOUT_S, BIN, args,
                   log_path);
    check_clean_log(rc);
    return rc;
}

static int log_contains(const char *needle)
{
    static char buf[65536];
    read_log(buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# log does not contain '%s':\n%s\n", needle, buf);
        return 0;
    }
    return 1;
}

/* Print the log for the record (cmocka shows stdout of every case). */
static void show_log(const char *what, int rc)
{
    static char buf[4096];
    read_log(buf, sizeof buf);
    printf("# %s: exit %d: %s", what, rc, buf[0] ? buf : "(no output)\n");
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* A small digest of a file (FNV-1a), to show it was left untouched. */
static uint64_t file_digest(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    fclose(f);
    return h;
}

/* Wait for pid up to timeout_s; its exit code, 128 + the signal's number
 * when a signal ended it, or -1 (then it was killed: a hang). */
static int wait_for(pid_t pid, double timeout_s)
{
    int st;
    if (tp_wait_status(pid, timeout_s, &st) != 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether a temporary file of output @p final (.NAME.segstream-*, see
 * io_sink_open) is in its folder: while a job writes it, or left over. */
static int temp_exists(const char *final)
{
    char pattern[400];
    const char *slash = strrchr(final, '/');
    snprintf(pattern, sizeof pattern, "%.*s.%s.segstream-*", (int)(slash - final + 1), final,
             slash + 1);
    glob_t g;
    int n = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    if (n)
        globfree(&g);
    return n > 0;
}

/* Container duration in seconds as ffprobe reads it; -1 if it cannot. */
static double media_duration(const char *path)
{
    char out[128];
    if (tp_probe(out, sizeof out, "-show_entries format=duration -of csv=p=0 '%s'", path) != 0 ||
        out[0] < '0' || out[0] > '9')
        return -1;
    return atof(out);
}

/* Open FIFO @p fifo for writing, feed it what @p feed (a shell command)
 * prints, then hold it open without writing more: a stalled writer. Its
 * pid (kill it with stop_proc). */
static pid_t stalled_writer(const char *fifo, const char *feed)
{
    return tp_spawn("exec 3>'%s'; %s >&3; exec sleep 600", fifo, feed);
}

/* A reader that opens FIFO @p fifo and never reads. */
static pid_t stalled_reader(const char *fifo)
{
    return tp_spawn("exec 3<'%s'; exec sleep 600", fifo);
}

static void stop_proc(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* A TCP listener on 127.0.0.1 that never accepts, so never reads (the
 * kernel completes connections into its backlog): a receiver that stalls.
 * Its socket; the port in *port. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int small = 4096; /* inherited by the connections: fills up sooner */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Start segstream ARGS in the background (log to log_path); its pid. */
static pid_t seg_spawn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static pid_t seg_spawn(const char *fmt, ...)
{
    char args[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return tp_spawn("exec %s %s -t 1 >%s 2>&1 </dev/null", BIN, args, log_path);
}

/* Wait for segstream @p pid under the watchdog (a hang fails the case);
 * its exit code, the seconds it took in *took. */
static int seg_wait(pid_t pid, double *took)
{
    double t0 = tp_now();
    int rc = wait_for(pid, RUN_TIMEOUT_S);
    *took = tp_now() - t0;
    check_clean_log(rc < 0 ? 124 : rc);
    return rc;
}

static int write_model(const char *name, const tb_tensor *t, int nt, const tb_op *ops, int nops,
                       int input, int output)
{
    char path[300];
    uint8_t *buf;
    size_t len;
    path_in(path, sizeof path, name);
    if (tb_build(t, nt, ops, nops, input, output, &buf, &len))
        return -1;
    int st = tp_write_file(path, buf, len);
    free(buf);
    return st;
}

/* ---- test media and models ----------------------------------------------- */

/* Overwrite the first 400 bytes of JPEG frames 10, 20 and 30 of an MJPEG
 * AVI: three packets the decoder refuses, the container intact. */
static int corrupt_mjpeg_frames(const char *in, const char *out)
{
    FILE *f = fopen(in, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return -1;
    }
    fclose(f);
    int frame = 0, hit = 0;
    for (long i = 0; i + 3 <= n; i++) {
        if (b[i] == 0xff && b[i + 1] == 0xd8 && b[i + 2] == 0xff) {
            if ((frame == 10 || frame == 20 || frame == 30) && i + 400 <= n) {
                memset(b + i, 0x55, 400);
                hit++;
            }
            frame++;
        }
    }
    int st = hit == 3 ? tp_write_file(out, b, (size_t)n) : -1;
    free(b);
    return st;
}

/* Patch an AVI's avih and BITMAPINFOHEADER to declare w x h. */
static int declare_avi_size(const char *in, const char *out, int32_t w, int32_t h)
{
    FILE *f = fopen(in, "rb");
    if (!f)
        return -1;
    uint8_t b[16384];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    uint8_t *strf = memmem(b, n, "strf", 4), *avih = memmem(b, n, "avih", 4);
    if (!strf || !avih || strf + 20 > b + n || avih + 48 > b + n)
        return -1;
    memcpy(strf + 12, &w, 4); /* biWidth, biHeight after the chunk header and biSize */
    memcpy(strf + 16, &h, 4);
    memcpy(avih + 40, &w, 4); /* dwWidth, dwHeight */
    memcpy(avih + 44, &h, 4);
    return tp_write_file(out, b, n);
}

/* A model of about 500 bytes that takes 8x8 RGB and resizes it (nearest)
 * to a size x size, 3-class output: a whim that costs memory. */
static int write_resize_model(const char *name, int size)
{
    int32_t sz[2] = {size, size};
    tb_tensor t[3] = {
        {"input", TB_FLOAT32, 4, {1, 8, 8, 3}, NULL, 0},
        {"size", TB_INT32, 1, {2}, sz, sizeof sz},
        {"out", TB_FLOAT32, 4, {1, size, size, 3}, NULL, 0},
    };
    tb_op resize = {.builtin = 97 /* RESIZE_NEAREST_NEIGHBOR */, .n_in = 2, .in = {0, 1}, .out = 2};
    return write_model(name, t, 3, &resize, 1, 0, 2);
}

/* A model that takes h_in x w_in RGB and resizes it (nearest) to
 * h_out x w_out, 3 channels: the sizes are the whim under test. */
static int write_resize_model_hw(const char *name, int h_in, int w_in, int h_out, int w_out)
{
    int32_t sz[2] = {h_out, w_out};
    tb_tensor t[3] = {
        {"input", TB_FLOAT32, 4, {1, h_in, w_in, 3}, NULL, 0},
        {"size", TB_INT32, 1, {2}, sz, sizeof sz},
        {"out", TB_FLOAT32, 4, {1, h_out, w_out, 3}, NULL, 0},
    };
    tb_op resize = {.builtin = 97 /* RESIZE_NEAREST_NEIGHBOR */, .n_in = 2, .in = {0, 1}, .out = 2};
    return write_model(name, t, 3, &resize, 1, 0, 2);
}

/* Models whose output is not a mask: ARG_MAX's usual rank-3 label map
 * (which is one), a classifier's [1,192], a 1x1 "map". */
static int make_output_models(void)
{
    int32_t axis = 3;
    tb_tensor am[3] = {
        {"input", TB_FLOAT32, 4, {1, 8, 16, 3}, NULL, 0},
        {"axis", TB_INT32, 1, {1}, &axis, sizeof axis},
        {"labels", TB_INT32, 3, {1, 8, 16}, NULL, 0},
    };
    tb_op argmax = {.builtin = 56 /* ARG_MAX */, .n_in = 2, .in = {0, 1}, .out = 2};
    tb_tensor cls[2] = {
        {"input", TB_FLOAT32, 4, {1, 8, 8, 3}, NULL, 0},
        {"scores", TB_FLOAT32, 2, {1, 192}, NULL, 0},
    };
    tb_op reshape = {.builtin = 22 /* RESHAPE */, .n_in = 1, .in = {0}, .out = 1};
    /* A probability per pixel with the channel squeezed away: the mean of
     * R, G and B, [1,8,16]. */
    tb_tensor mp[3] = {
        {"input", TB_FLOAT32, 4, {1, 8, 16, 3}, NULL, 0},
        {"axis", TB_INT32, 1, {1}, &axis, sizeof axis},
        {"p", TB_FLOAT32, 3, {1, 8, 16}, NULL, 0},
    };
    tb_op mean = {.builtin = 40 /* MEAN, keep_dims false */, .n_in = 2, .in = {0, 1}, .out = 2};
    if (write_model("argmax_rank3.tflite", am, 3, &argmax, 1, 0, 2) ||
        write_model("mean_rank3.tflite", mp, 3, &mean, 1, 0, 2) ||
        write_model("classifier.tflite", cls, 2, &reshape, 1, 0, 1) ||
        write_resize_model_hw("one_by_one.tflite", 8, 8, 1, 1) ||
        write_resize_model_hw("wide_input.tflite", 1, 65536, 8, 8) ||
        write_resize_model_hw("wide_output.tflite", 8, 8, 1, 65536))
        return -1;
    return 0;
}

static int make_models(void)
{
    /* Input [1,8,8,1]: loads, but segstream feeds RGB. */
    tb_tensor one[2] = {
        {"input", TB_FLOAT32, 4, {1, 8, 8, 1}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 8, 8, 1}, NULL, 0},
    };
    tb_op logistic = {.builtin = 14, .n_in = 1, .in = {0}, .out = 1};
    /* GATHER: a real TFLite op the engine does not run. */
    tb_tensor rgb[2] = {
        {"input", TB_FLOAT32, 4, {1, 8, 8, 3}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 8, 8, 3}, NULL, 0},
    };
    tb_op gather = {.builtin = 36, .n_in = 1, .in = {0}, .out = 1};
    /* A tensor of 65536^4 elements: the product overflows 64 bits. */
    tb_tensor huge[2] = {
        {"input", TB_FLOAT32, 4, {1, 8, 8, 3}, NULL, 0},
        {"huge", TB_FLOAT32, 4, {65536, 65536, 65536, 65536}, NULL, 0},
    };
    tb_op relu = {.builtin = 19, .n_in = 1, .in = {0}, .out = 1};
    /* Each tensor under the per-tensor cap (201 M floats), but three live at
     * once: 2.4 GB of activations, over the 2 GiB arena cap. */
    tb_tensor arena[4] = {
        {"input", TB_FLOAT32, 4, {1, 8192, 8192, 3}, NULL, 0},
        {"a", TB_FLOAT32, 4, {1, 8192, 8192, 3}, NULL, 0},
        {"b", TB_FLOAT32, 4, {1, 8192, 8192, 3}, NULL, 0},
        {"c", TB_FLOAT32, 4, {1, 8192, 8192, 3}, NULL, 0},
    };
    tb_op chain[3] = {
        {.builtin = 19, .n_in = 1, .in = {0}, .out = 1},
        {.builtin = 0 /* ADD */, .n_in = 2, .in = {0, 1}, .out = 2},
        {.builtin = 0, .n_in = 2, .in = {1, 2}, .out = 3},
    };
    if (write_model("one_channel.tflite", one, 2, &logistic, 1, 0, 1) ||
        write_model("gather.tflite", rgb, 2, &gather, 1, 0, 1) ||
        write_model("overflow.tflite", huge, 2, &relu, 1, 0, 1) ||
        write_model("arena.tflite", arena, 4, chain, 3, 0, 3) ||
        write_resize_model("resize8192.tflite", 8192) ||
        write_resize_model("resize4096.tflite", 4096))
        return -1;
    return make_output_models();
}

static int try_mount(char *where, size_t size, const char *name, const char *src,
                     const char *type, unsigned long flags, const char *data)
{
    snprintf(where, size, "%s/%s", dir, name);
    if (mkdir(where, 0755) != 0 || mount(src, where, type, flags, data) != 0) {
        printf("# cannot mount %s here (%s): that sub-case is skipped\n", name, strerror(errno));
        where[0] = '\0';
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (access(BIN, X_OK) != 0 || access(MODEL, R_OK) != 0 || access(VTEST, R_OK) != 0) {
        fprintf(stderr, "# needs %s, %s and %s: run scripts/setup.sh first\n", BIN, MODEL, VTEST);
        return -1;
    }
    if (tp_make_dir(dir, sizeof dir, "segfaults"))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    const char *ff = "ffmpeg -nostdin -v error -y";
    /* 2 s, 50 frames, H.264 in Matroska, a keyframe every 10 frames. */
    if (tp_sh("%s -f lavfi -i testsrc2=size=160x120:rate=25 -t 2 -c:v libx264 -preset "
              "ultrafast -pix_fmt yuv420p -g 10 %s/clip.mkv", ff, dir) ||
        tp_sh("head -c $(( $(stat -c %%s %s/clip.mkv) / 2 )) %s/clip.mkv >%s/half.mkv", dir,
              dir, dir) ||
        tp_sh("%s -f lavfi -i testsrc2=size=160x120:rate=25 -t 2 -c:v mjpeg -q:v 5 "
              "%s/mjpeg.avi", ff, dir) ||
        tp_sh("%s -f lavfi -i sine=frequency=440:duration=1 %s/audio.m4a", ff, dir) ||
        /* A size change mid-stream: MPEG-TS clips of 160x120 then 320x240. */
        tp_sh("%s -f lavfi -i testsrc2=size=160x120:rate=25 -t 1 -c:v mpeg2video %s/a.ts", ff,
              dir) ||
        tp_sh("%s -f lavfi -i testsrc2=size=320x240:rate=25 -t 1 -c:v mpeg2video %s/b.ts", ff,
              dir) ||
        tp_sh("cat %s/a.ts %s/b.ts >%s/size_change.ts", dir, dir, dir) ||
        /* Two 1 s MPEG-TS clips with audio joined with cat: the timestamps
         * start again at the join. */
        tp_sh("%s -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 1 "
              "-c:v mpeg2video -c:a mp2 %s/part.ts", ff, dir) ||
        tp_sh("cat %s/part.ts %s/part.ts %s/part.ts >%s/joined.ts", dir, dir, dir, dir) ||
        /* 2 s of video and audio in MPEG-TS, for the FIFO cases. */
        tp_sh("%s -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 2 "
              "-c:v mpeg2video -c:a mp2 %s/av.ts", ff, dir) ||
        tp_sh("%s -f lavfi -i testsrc2=size=16x16:rate=25 -frames:v 2 -c:v rawvideo "
              "-pix_fmt bgr24 %s/small.avi", ff, dir))
        return -1;
    char in[300], out[300];
    path_in(in, sizeof in, "mjpeg.avi");
    path_in(out, sizeof out, "mjpeg_corrupt.avi");
    if (corrupt_mjpeg_frames(in, out))
        return -1;
    path_in(in, sizeof in, "small.avi");
    path_in(out, sizeof out, "declares_16384.avi");
    if (declare_avi_size(in, out, 16384, 16384) || make_models())
        return -1;
    /* Root ignores permissions, so an unwritable place and a full disk are
     * made with mounts where the kernel lets us (not in every container). */
    char ro_src[300];
    path_in(ro_src, sizeof ro_src, "ro_src");
    if (mkdir(ro_src, 0755) != 0)
        return -1;
    if (try_mount(ro_mount, sizeof ro_mount, "readonly", ro_src, NULL, MS_BIND, NULL) == 0 &&
        mount(NULL, ro_mount, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
        umount(ro_mount);
        ro_mount[0] = '\0';
    }
    try_mount(tiny_mount, sizeof tiny_mount, "tiny", "tmpfs", "tmpfs", 0, "size=16k");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (ro_mount[0])
        umount(ro_mount);
    if (tiny_mount[0])
        umount(tiny_mount);
    tp_remove_dir(dir);
    return 0;
}

/* ==== inputs ============================================================ */

static void test_empty_file(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "empty.mp4");
    path_in(out, sizeof out, "never.mp4");
    assert_int_equal(tp_write_file(in, "", 0), 0);
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("empty file", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("empty.mp4"));
    assert_true(log_contains("empty"));
    assert_false(exists(out));
}

static void test_directory_as_input(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "adir");
    path_in(out, sizeof out, "never.mp4");
    assert_int_equal(mkdir(in, 0755), 0);
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("directory", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("adir"));
    assert_true(log_contains("directory"));
    assert_false(exists(out));
}

static void test_truncated_video_keeps_what_decodes(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "half.mkv");
    path_in(out, sizeof out, "half_out.mp4");
    int rc = seg("%s -o %s -m %s -q", in, out, MODEL);
    show_log("half a video", rc);
    assert_int_equal(rc, 0);
    long n = tp_video_frames(out);
    printf("# %ld of 50 frames written from half the file\n", n);
    assert_true(n > 5 && n < 50);
}

static void test_corrupt_packets_are_skipped_with_a_warning(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "mjpeg_corrupt.avi");
    path_in(out, sizeof out, "corrupt_out.mp4");
    int rc = seg("%s -o %s -m %s -q", in, out, MODEL);
    show_log("3 corrupt packets", rc);
    assert_int_equal(rc, 0);
    assert_true(log_contains("3 corrupt packets were skipped"));
    assert_int_equal(tp_video_frames(out), 47); /* the output is finalised: it plays */
}

static void test_audio_only_file(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "audio.m4a");
    path_in(out, sizeof out, "never.mp4");
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("audio only", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("no video stream"));
    assert_false(exists(out));
}

static void test_still_image_gives_one_frame(void **state)
{
    (void)state;
    char out[300];
    path_in(out, sizeof out, "still.mp4");
    int rc = seg("%s -o %s -m %s -q", MESSI, out, MODEL);
    show_log("still image", rc);
    assert_int_equal(rc, 0);
    assert_int_equal(tp_video_frames(out), 1);
}

/* Frames of a new size are scaled to the size the output was opened with
 * (as ffmpeg does): every frame is kept. (Until the threaded pipeline
 * landed, the sink refused them with exit 5 after the first clip.) */
static void test_resolution_change_keeps_every_frame(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "size_change.ts");
    path_in(out, sizeof out, "size_change.mp4");
    long want = tp_video_frames(in);
    int rc = seg("%s -o %s -m %s -q", in, out, MODEL);
    show_log("resolution change 160x120 -> 320x240", rc);
    int w = 0, h = 0;
    long got = tp_video_frames(out);
    tp_video_size(out, &w, &h);
    printf("# input %ld frames, output %ld frames of %dx%d\n", want, got, w, h);
    assert_true(got > 0); /* finalised whatever happened */
    assert_int_equal(rc, 0);
    assert_int_equal(got, want);
    assert_int_equal(w, 160);
    assert_int_equal(h, 120);
}

/* Alpha mode too: the RGBA frames of the new size are scaled, alpha and
 * all (it stopped with "does not fit the output" after the first clip). */
static void test_resolution_change_in_alpha_mode_keeps_every_frame(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "size_change.ts");
    path_in(out, sizeof out, "size_change_alpha.mov");
    long want = tp_video_frames(in);
    int rc = seg("%s -o %s -m %s -q --mode alpha", in, out, MODEL);
    show_log("resolution change in alpha mode", rc);
    int w = 0, h = 0;
    long got = tp_video_frames(out);
    tp_video_size(out, &w, &h);
    printf("# input %ld frames, output %ld frames of %dx%d\n", want, got, w, h);
    assert_int_equal(rc, 0);
    assert_int_equal(got, want);
    assert_int_equal(w, 160);
    assert_int_equal(h, 120);
}

/* A picture cut short, or junk named .png: an input error that says so
 * (it was exit 1, "overlay output for 0x0 frames"). */
static void test_truncated_or_junk_picture_is_an_input_error(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(out, sizeof out, "never.mp4");
    path_in(in, sizeof in, "junk.png");
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 2654435761u >> 13);
    assert_int_equal(tp_write_file(in, junk, sizeof junk), 0);
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("junk named .png", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("junk.png"));
    assert_true(log_contains("no png picture could be decoded from it"));
    assert_false(exists(out));
    path_in(in, sizeof in, "cut.png");
    assert_int_equal(tp_sh("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=160x120 "
                           "-frames:v 1 %s/whole.png && head -c 40 %s/whole.png >%s", dir, dir,
                           in), 0);
    rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("a PNG cut after 40 bytes", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("cut.png"));
    assert_false(log_contains("0x0"));
    assert_false(exists(out));
}

static void test_declared_16384_picture_is_refused(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "declares_16384.avi");
    path_in(out, sizeof out, "never.mp4");
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("16384x16384 declared", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("16384x16384"));
    assert_true(log_contains("over the limit"));
    assert_false(exists(out));
}

/* ==== models ============================================================ */

static void run_bad_model(const char *model, const char *what, const char *needle)
{
    char in[300], out[300], m[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "never.mp4");
    path_in(m, sizeof m, model);
    int rc = seg("%s -o %s -m %s", in, out, m);
    show_log(what, rc);
    assert_int_equal(rc, 4);
    assert_true(log_contains(model));
    assert_true(log_contains(needle));
    assert_false(exists(out));
}

static void test_model_input_not_3_channels(void **state)
{
    (void)state;
    run_bad_model("one_channel.tflite", "1-channel model", "3 channels");
}

static void test_model_with_unsupported_op(void **state)
{
    (void)state;
    run_bad_model("gather.tflite", "GATHER model", "GATHER");
}

static void test_model_with_overflowing_tensor_sizes(void **state)
{
    (void)state;
    run_bad_model("overflow.tflite", "65536^4 tensor", "exceeds limits");
}

static void test_model_over_the_activation_cap(void **state)
{
    (void)state;
    /* Refused by the planner before the arena is allocated: a run that
     * allocated 2.4 GB would not finish this fast under ASan. */
    double t0 = tp_now();
    run_bad_model("arena.tflite", "2.4 GB of activations", "activations need more than");
    printf("# refused in %.2f s\n", tp_now() - t0);
}

/* ==== outputs =========================================================== */

static void test_unwritable_output_dir(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "clip.mkv");
    /* A file used as a directory. */
    path_in(out, sizeof out, "clip.mkv/out.mp4");
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("file as a directory", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("clip.mkv/out.mp4"));
    assert_true(log_contains("Not a directory"));
    /* /proc takes no new files, even from root. */
    rc = seg("%s -o /proc/segstream-out.mp4 -m %s", in, MODEL);
    show_log("/proc", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("/proc/segstream-out.mp4"));
    if (ro_mount[0]) {
        snprintf(out, sizeof out, "%s/out.mp4", ro_mount);
        rc = seg("%s -o %s -m %s", in, out, MODEL);
        show_log("read-only mount", rc);
        assert_int_equal(rc, 5);
        assert_true(log_contains("Read-only file system"));
        assert_false(exists(out));
    }
}

static void test_output_equal_to_input_is_refused(void **state)
{
    (void)state;
    char in[300], link[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(link, sizeof link, "clip_link.mkv");
    uint64_t before = file_digest(in);
    int rc = seg("%s -o %s -m %s -y", in, in, MODEL);
    show_log("output = input", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("is the input"));
    /* The same file under another name, through a symlink. */
    assert_int_equal(symlink(in, link), 0);
    rc = seg("%s -o %s -m %s -y", in, link, MODEL);
    show_log("output = input through a symlink", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("is the input"));
    assert_true(file_digest(in) == before);
    unlink(link);
}

static void test_existing_output_without_y_is_untouched(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "precious.mp4");
    assert_int_equal(tp_write_file(out, "the user's own file\n", 20), 0);
    uint64_t before = file_digest(out);
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("existing output", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("-y"));
    assert_true(file_digest(out) == before);
}

static void test_full_disk(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "clip.mkv");
    /* /dev/full: every write fails with ENOSPC. */
    int rc = seg("%s -o /dev/full -f matroska -y -m %s -q", in, MODEL);
    show_log("/dev/full", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("No space left on device"));
    /* ...and the summary does not claim the write succeeded. */
    assert_true(log_contains("the output is incomplete"));
    assert_false(log_contains("wrote /dev/full"));
    if (tiny_mount[0]) {
        /* A 16 KiB file system fills up in the middle of the run (the
         * output needs about 40 KiB). */
        snprintf(out, sizeof out, "%s/out.mkv", tiny_mount);
        rc = seg("%s -o %s -m %s -q", in, out, MODEL);
        show_log("16 KiB tmpfs", rc);
        assert_int_equal(rc, 5);
        assert_true(log_contains("No space left on device"));
    }
}

/* ==== signals and a dead network source ================================= */

/* Start a 795-frame job slowed to ~50 fps (the test hook
 * SEG_TEST_INFER_DELAY_US), send @p sig once frames are being written, and
 * check it stops at once with exit 130 and a playable file. */
static void stop_with_signal(int sig, const char *name)
{
    char out[300];
    snprintf(out, sizeof out, "%s/stopped_%s.mp4", dir, name);
    pid_t pid = tp_spawn("SEG_TEST_INFER_DELAY_US=20000 exec %s %s -o %s -m %s -t 1 -q >%s 2>&1 "
                         "</dev/null", BIN, VTEST, out, MODEL, log_path);
    assert_true(pid > 0);
    /* The output is written under a temporary name until it is finished:
     * wait for that, then give it a second of frames. */
    double t0 = tp_now();
    while (!temp_exists(out) && tp_now() - t0 < 60)
        usleep(50000);
    sleep(1);
    assert_int_equal(kill(pid, sig), 0);
    double t1 = tp_now();
    int rc = wait_for(pid, 30);
    double took = tp_now() - t1;
    check_clean_log(rc < 0 ? 124 : rc);
    show_log(name, rc);
    long n = tp_video_frames(out);
    double dur = media_duration(out);
    printf("# %s: stopped %.2f s after the signal, %ld frames (%.2f s) in a playable file\n", name,
           took, n, dur);
    assert_int_equal(rc, 130);
    assert_true(log_contains("stopped by a signal"));
    assert_true(n > 0 && n < 795);
    assert_true(dur > 0);
    assert_false(temp_exists(out)); /* renamed into place */
}

static void test_sigint_finalises_output(void **state)
{
    (void)state;
    stop_with_signal(SIGINT, "SIGINT");
}

static void test_sigterm_finalises_output(void **state)
{
    (void)state;
    stop_with_signal(SIGTERM, "SIGTERM");
}

static void test_network_source_that_stops_ends_within_its_timeout(void **state)
{
    (void)state;
    char out[300];
    path_in(out, sizeof out, "net.mkv");
    int port = tp_free_udp_port();
    assert_true(port > 0);
    pid_t pid = tp_spawn("exec %s udp://127.0.0.1:%d --timeout 2000 -o %s -m %s -t 1 -q >%s 2>&1 "
                         "</dev/null", BIN, port, out, MODEL, log_path);
    assert_true(pid > 0);
    assert_true(tp_wait_udp_bound(port, 30));
    /* 3 s of MPEG-TS at real speed, then the sender is gone for good. */
    int src = tp_sh("ffmpeg -nostdin -v error -re -f lavfi -i testsrc2=size=160x120:rate=25 -t 3 "
                    "-c:v mpeg2video -f mpegts 'udp://127.0.0.1:%d?pkt_size=1316'", port);
    assert_int_equal(src, 0);
    double t0 = tp_now();
    int rc = wait_for(pid, 30);
    double took = tp_now() - t0;
    check_clean_log(rc < 0 ? 124 : rc);
    show_log("UDP source that stops", rc);
    long n = tp_video_frames(out);
    printf("# ended %.2f s after the sender stopped (timeout 2 s), %ld frames\n", took, n);
    assert_int_equal(rc, 3);
    assert_true(log_contains("timed out after 2000 ms"));
    assert_true(took < 2.0 + 5.0); /* the timeout, plus finalising (slow under ASan) */
    assert_true(n > 0);
}

/* ==== blocked I/O: stalls and stops (issue 16) ============================
 * Every case runs under the watchdog of seg_wait(): a hang fails it. */

/* How long a stop may take to end a run, finalising included: "about a
 * second", with room for the ASan build on a shared 2-core machine. */
#define STOP_BOUND_S 4.0

/* A FIFO input whose writer sends 2 KB (not enough to probe) and stalls. */
static void test_fifo_input_stalled_while_probing_stops_on_sigint(void **state)
{
    (void)state;
    char fifo[300], out[300], feed[400];
    path_in(fifo, sizeof fifo, "probe_stall.fifo");
    path_in(out, sizeof out, "probe_stall.mp4");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(feed, sizeof feed, "head -c 2000 %s/av.ts", dir);
    pid_t w = stalled_writer(fifo, feed);
    pid_t pid = seg_spawn("%s -o %s -m %s -q", fifo, out, MODEL);
    assert_true(w > 0 && pid > 0);
    sleep(2); /* well inside the default 10 s timeout: blocked in probing */
    kill(pid, SIGINT);
    double took;
    int rc = seg_wait(pid, &took);
    stop_proc(w);
    show_log("FIFO stalled while probing, SIGINT", rc);
    printf("# ended %.2f s after SIGINT\n", took);
    assert_int_equal(rc, 130);
    assert_true(took < STOP_BOUND_S);
    assert_false(exists(out)); /* nothing to finalise: nothing left */
    assert_false(temp_exists(out));
    unlink(fifo);
}

static void test_fifo_input_stalled_while_probing_times_out(void **state)
{
    (void)state;
    char fifo[300], out[300], feed[400];
    path_in(fifo, sizeof fifo, "probe_timeout.fifo");
    path_in(out, sizeof out, "probe_timeout.mp4");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(feed, sizeof feed, "head -c 2000 %s/av.ts", dir);
    pid_t w = stalled_writer(fifo, feed);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -m %s -q --timeout 1000", fifo, out, MODEL), &took);
    stop_proc(w);
    show_log("FIFO stalled while probing, --timeout 1000", rc);
    printf("# ended after %.2f s\n", took);
    assert_int_equal(rc, 3);
    assert_true(log_contains("timed out after 1000 ms"));
    assert_true(took < 1.0 + STOP_BOUND_S);
    assert_false(exists(out));
    unlink(fifo);
}

/* A FIFO with no writer at all: opening it would block for good. */
static void test_fifo_input_without_writer_times_out(void **state)
{
    (void)state;
    char fifo[300], out[300];
    path_in(fifo, sizeof fifo, "no_writer.fifo");
    path_in(out, sizeof out, "no_writer.mp4");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -m %s -q --timeout 1000", fifo, out, MODEL), &took);
    show_log("FIFO without a writer, --timeout 1000", rc);
    assert_int_equal(rc, 3);
    assert_true(log_contains("timed out after 1000 ms"));
    assert_true(took < 1.0 + STOP_BOUND_S);
    assert_false(exists(out));
    unlink(fifo);
}

/* The writer sends 2 s of video and audio, then stalls mid-stream: SIGINT
 * ends the run at once and the MP4 holds what was decoded, playable. */
static void test_fifo_input_stalled_mid_stream_sigint_leaves_playable_mp4(void **state)
{
    (void)state;
    char fifo[300], out[300], feed[400];
    path_in(fifo, sizeof fifo, "mid_stall.fifo");
    path_in(out, sizeof out, "mid_stall.mp4");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(feed, sizeof feed, "cat %s/av.ts", dir);
    pid_t w = stalled_writer(fifo, feed);
    pid_t pid = seg_spawn("%s -o %s -m %s -q", fifo, out, MODEL);
    /* The output is open once its temporary file exists; the 2 s clip is
     * through the pipeline well within 3 s more (the default timeout is
     * 10 s), then the read blocks. */
    double t0 = tp_now();
    while (!temp_exists(out) && tp_now() - t0 < 60)
        usleep(50000);
    sleep(3);
    kill(pid, SIGINT);
    double took;
    int rc = seg_wait(pid, &took);
    stop_proc(w);
    show_log("FIFO stalled mid-stream, SIGINT", rc);
    long n = tp_video_frames(out);
    double dur = media_duration(out);
    printf("# ended %.2f s after SIGINT; %ld frames, %.2f s in the MP4\n", took, n, dur);
    assert_int_equal(rc, 130);
    assert_true(took < STOP_BOUND_S);
    assert_true(n > 25 && n <= 50);
    assert_true(dur > 1.0);
    assert_false(temp_exists(out));
    unlink(fifo);
}

static void test_fifo_input_stalled_mid_stream_times_out(void **state)
{
    (void)state;
    char fifo[300], out[300], feed[400];
    path_in(fifo, sizeof fifo, "mid_timeout.fifo");
    path_in(out, sizeof out, "mid_timeout.mkv");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(feed, sizeof feed, "cat %s/av.ts", dir);
    pid_t w = stalled_writer(fifo, feed);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -m %s -q --timeout 1500", fifo, out, MODEL), &took);
    stop_proc(w);
    show_log("FIFO stalled mid-stream, --timeout 1500", rc);
    long n = tp_video_frames(out);
    printf("# ended after %.2f s; %ld frames kept\n", took, n);
    assert_int_equal(rc, 3);
    assert_true(log_contains("timed out after 1500 ms (reading)"));
    assert_true(n > 25 && n <= 50); /* what arrived is in the output */
    unlink(fifo);
}

/* A FIFO output whose reader opens it and never reads: the pipe fills,
 * the write blocks, and --timeout ends the run with an output error. */
static void test_fifo_output_stalled_reader_times_out(void **state)
{
    (void)state;
    char fifo[300];
    path_in(fifo, sizeof fifo, "out_stall.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t r = stalled_reader(fifo);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -f mpegts -m %s -q --timeout 1500", VTEST, fifo, MODEL),
                      &took);
    stop_proc(r);
    show_log("FIFO output, reader stalls, --timeout 1500", rc);
    printf("# ended after %.2f s\n", took);
    assert_int_equal(rc, 5);
    assert_true(log_contains("timed out after 1500 ms"));
    assert_true(log_contains("the receiver takes no data"));
    unlink(fifo);
}

static void test_fifo_output_stalled_reader_stops_on_sigterm(void **state)
{
    (void)state;
    char fifo[300];
    path_in(fifo, sizeof fifo, "out_stall_term.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t r = stalled_reader(fifo);
    pid_t pid = seg_spawn("%s -o %s -f mpegts -m %s -q", VTEST, fifo, MODEL);
    sleep(3); /* the pipe's 64 KiB fill within a few frames */
    kill(pid, SIGTERM);
    double took;
    int rc = seg_wait(pid, &took);
    stop_proc(r);
    show_log("FIFO output, reader stalls, SIGTERM", rc);
    printf("# ended %.2f s after SIGTERM\n", took);
    assert_int_equal(rc, 130);
    assert_true(took < STOP_BOUND_S);
    unlink(fifo);
}

static void test_fifo_output_without_reader_times_out(void **state)
{
    (void)state;
    char fifo[300];
    path_in(fifo, sizeof fifo, "out_noreader.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -f mpegts -m %s -q --timeout 1000", VTEST, fifo, MODEL),
                      &took);
    show_log("FIFO output without a reader, --timeout 1000", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("timed out after 1000 ms waiting for a reader"));
    assert_true(took < 1.0 + STOP_BOUND_S);
    unlink(fifo);
}

/* TCP: a receiver that takes the connection and never reads (raw video
 * fills the socket buffers within a few frames). */
static void test_tcp_output_that_never_reads_times_out(void **state)
{
    (void)state;
    int port = 0, fd = silent_listener(&port);
    assert_true(fd >= 0);
    double took;
    int rc = seg_wait(seg_spawn("%s -o tcp://127.0.0.1:%d -f nut --codec rawvideo -m %s -q "
                                "--timeout 1500", VTEST, port, MODEL), &took);
    close(fd);
    show_log("TCP receiver that never reads, --timeout 1500", rc);
    printf("# ended after %.2f s\n", took);
    assert_int_equal(rc, 5);
    assert_true(log_contains("timed out after 1500 ms"));
}

/* RTMP: a server that takes the connection and never answers the
 * handshake; opening the output gives up after --timeout, or on SIGINT. */
static void test_rtmp_output_that_never_answers(void **state)
{
    (void)state;
    int port = 0, fd = silent_listener(&port);
    assert_true(fd >= 0);
    double took;
    int rc = seg_wait(seg_spawn("%s -o rtmp://127.0.0.1:%d/app/key -f flv -m %s -q --timeout 1000",
                                VTEST, port, MODEL), &took);
    show_log("RTMP server that never answers, --timeout 1000", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("timed out after 1000 ms"));
    assert_true(took < 1.0 + STOP_BOUND_S);
    pid_t pid = seg_spawn("%s -o rtmp://127.0.0.1:%d/app/key -f flv -m %s -q", VTEST, port, MODEL);
    sleep(2);
    kill(pid, SIGINT);
    rc = seg_wait(pid, &took);
    close(fd);
    show_log("RTMP server that never answers, SIGINT", rc);
    printf("# ended %.2f s after SIGINT\n", took);
    assert_int_equal(rc, 130);
    assert_true(took < STOP_BOUND_S);
}

/* SIGTERM 50 ms after the start: exit 130 (the handler is installed first
 * thing; 143 when the signal comes before that, while the dynamic linker
 * still works, as under ASan) and no file, or a playable one. */
static void test_sigterm_at_start_up_leaves_nothing_or_a_playable_file(void **state)
{
    (void)state;
    char out[300];
    path_in(out, sizeof out, "early.mp4");
    pid_t pid = seg_spawn("%s -o %s -m %s -q", VTEST, out, MODEL);
    usleep(50000);
    kill(pid, SIGTERM);
    double took;
    int rc = seg_wait(pid, &took);
    show_log("SIGTERM at 50 ms", rc);
    assert_true(rc == 130 || rc == 128 + SIGTERM);
    if (exists(out))
        assert_true(tp_video_frames(out) > 0);
    assert_false(temp_exists(out));
}

/* ==== timestamp resets (issue 16) ========================================= */

/* Occurrences of @p needle in the log. */
static int log_count(const char *needle)
{
    static char buf[65536];
    read_log(buf, sizeof buf);
    int n = 0;
    for (const char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* "DURATION,PACKETS" of stream @p sel (v or a) of @p path into d, n. */
static int stream_timing(const char *path, const char *sel, double *d, long *n)
{
    char out[128];
    if (tp_probe(out, sizeof out, "-select_streams %s -show_entries stream=duration,nb_frames "
                 "-of csv=p=0 '%s'", sel, path) != 0)
        return -1;
    return sscanf(out, "%lf,%ld", d, n) == 2 ? 0 : -1;
}

/* Three 1 s clips with audio joined by cat: the timestamps go back 1 s at
 * each join. The output's timing is continuous, video and audio alike, as
 * ffmpeg's own transcode of the same file (compared), with one warning per
 * discontinuity. (Before: 1 s of video and a third of the audio.) */
static void test_timestamp_resets_keep_timing_continuous_like_ffmpeg(void **state)
{
    (void)state;
    char in[300], out[300], ref[300];
    path_in(in, sizeof in, "joined.ts");
    path_in(out, sizeof out, "joined.mp4");
    path_in(ref, sizeof ref, "joined_ffmpeg.mp4");
    assert_int_equal(tp_sh("ffmpeg -nostdin -v error -y -i %s -c:v libx264 -preset ultrafast "
                           "-c:a copy %s", in, ref), 0);
    int rc = seg("%s -o %s -m %s", in, out, MODEL);
    show_log("three MPEG-TS clips joined", rc);
    assert_int_equal(rc, 0);
    double dv, da, rv, ra, d = media_duration(out), r = media_duration(ref);
    long nv, na, mv, ma;
    assert_int_equal(stream_timing(out, "v", &dv, &nv), 0);
    assert_int_equal(stream_timing(out, "a", &da, &na), 0);
    assert_int_equal(stream_timing(ref, "v", &rv, &mv), 0);
    assert_int_equal(stream_timing(ref, "a", &ra, &ma), 0);
    printf("# segstream: %.3f s (video %.3f s, %ld frames; audio %.3f s, %ld packets)\n", d, dv,
           nv, da, na);
    printf("# ffmpeg:    %.3f s (video %.3f s, %ld frames; audio %.3f s, %ld packets)\n", r, rv,
           mv, ra, ma);
    assert_true(fabs(d - r) < 0.05);
    assert_true(fabs(dv - rv) < 0.05);
    assert_true(fabs(da - ra) < 0.05);
    assert_true(d > 2.9);
    assert_int_equal(nv, mv);
    assert_int_equal(na, ma);
    assert_int_equal(log_count("timestamps jump back"), 2);
    assert_false(log_contains("not after")); /* no frame moved by the sink */
}

/* ==== memory from a tiny model (issue 16) ================================ */

/* A 672-byte model that resizes to 8192x8192: with 4 workers the job's
 * plan (their activations, their model-size masks) is over the cap, and
 * it is refused before the workers' instances and the pool are allocated. */
static void test_model_output_over_the_job_memory_cap(void **state)
{
    (void)state;
    char in[300], out[300], m[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "never.mp4");
    path_in(m, sizeof m, "resize8192.tflite");
    double t0 = tp_now();
    int rc = seg("%s -o %s -m %s --workers 4", in, out, m);
    show_log("8192x8192 output, 4 workers", rc);
    printf("# refused in %.2f s\n", tp_now() - t0);
    assert_int_equal(rc, 4);
    assert_true(log_contains("resize8192.tflite"));
    assert_true(log_contains("8192x8192 output"));
    assert_true(log_contains("over its cap of 4.0 GiB"));
    assert_false(exists(out));
    assert_false(temp_exists(out));
}

/* Peak resident memory (KiB) of segstream ARGS run to its end, its exit
 * code in *rc (wait4: this child's own figure, under the watchdog). */
static long seg_max_rss(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long seg_max_rss(int *rc, const char *fmt, ...)
{
    char args[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    pid_t pid = seg_spawn("%s", args);
    struct rusage ru;
    int st;
    double end = tp_now() + RUN_TIMEOUT_S;
    for (;;) {
        pid_t r = wait4(pid, &st, WNOHANG, &ru);
        if (r == pid)
            break;
        if (r < 0 || tp_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            *rc = -1;
            check_clean_log(124);
            return -1;
        }
        usleep(20000);
    }
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    check_clean_log(*rc);
    return ru.ru_maxrss;
}

/* A 4096x4096 output on 160x120 frames: the masks in the frame pool are
 * kept at the frame's size (the worker shrinks the output), not 16.7 M
 * floats and labels in each of the pool's 12 slots (~1 GB). */
static void test_oversized_model_output_is_shrunk_to_the_frame(void **state)
{
    (void)state;
    char in[300], out[300], m[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "shrunk.mp4");
    path_in(m, sizeof m, "resize4096.tflite");
    int rc;
    long kib = seg_max_rss(&rc, "%s -o %s -m %s --workers 1 -n 3 -q", in, out, m);
    show_log("4096x4096 output on 160x120 frames", rc);
    printf("# peak RSS %ld MiB (activations alone: 192 MiB)\n", kib / 1024);
    assert_int_equal(rc, 0);
    assert_int_equal(tp_video_frames(out), 3);
#if !defined(__SANITIZE_ADDRESS__)
    /* Activations 192 MiB, the worker's own model-size mask 80 MiB, the
     * rest ~70 MiB: 329 MiB measured; unshrunk it was 635 MiB. (ASan's
     * shadow and quarantine make the figure meaningless there.) */
    assert_true(kib < 480 * 1024);
#endif
}

/* ==== model outputs misread (issue 16) =================================== */

/* ARG_MAX over the channels of an 8x16 input gives the usual [1,8,16]
 * label map: it is read as 8 rows of 16, not 1 row of 8 with 16 "classes".
 * Labels are the brightest channel: on a picture red above and blue below
 * the mask is background (red, class 0) above and foreground below. (Read
 * as [1,1,H,W] it was every row's first pixels: stripes.) */
/* A 160x120 picture, colour @p top over colour @p bottom, through model
 * file @p model with @p opts in mask mode: the mean mask of its top and
 * bottom 40 rows (0..255). */
static void mask_halves(const char *top, const char *bottom, const char *model, const char *opts,
                        long *top_mean, long *bottom_mean)
{
    char in[300], dump[300], m[300], raw[300];
    path_in(in, sizeof in, "halves.png");
    path_in(dump, sizeof dump, "halves_dump");
    path_in(m, sizeof m, model);
    path_in(raw, sizeof raw, "halves_mask.gray");
    assert_int_equal(tp_sh("rm -rf %s && ffmpeg -nostdin -v error -y -f lavfi -i "
                           "color=%s:size=160x60 -f lavfi -i color=%s:size=160x60 "
                           "-filter_complex vstack -frames:v 1 %s", dump, top, bottom, in), 0);
    int rc = seg("%s --dump-frames %s -m %s -q %s", in, dump, m, opts);
    show_log(model, rc);
    assert_int_equal(rc, 0);
    assert_int_equal(tp_sh("ffmpeg -nostdin -v error -y -i %s/mask_000000.png -f rawvideo "
                           "-pix_fmt gray %s", dump, raw), 0);
    uint8_t px[160 * 120];
    FILE *f = fopen(raw, "rb");
    assert_non_null(f);
    size_t n = fread(px, 1, sizeof px, f);
    fclose(f);
    assert_int_equal(n, sizeof px);
    long t = 0, b = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 160; x++) {
            t += px[y * 160 + x];
            b += px[(y + 80) * 160 + x];
        }
    *top_mean = t / 6400;
    *bottom_mean = b / 6400;
    printf("# %s: mean mask top %ld, bottom %ld (of 255)\n", model, *top_mean, *bottom_mean);
}

static void test_rank3_label_map_is_read_as_rows(void **state)
{
    (void)state;
    long top, bottom; /* ARG_MAX [1,8,16]: red (class 0) over blue (class 2) */
    mask_halves("red", "blue", "argmax_rank3.tflite", "", &top, &bottom);
    assert_true(top < 20);
    assert_true(bottom > 235);
}

/* A float map [1,H,W] (the channel squeezed away) is one value per pixel,
 * H rows of W: white over black gives a mask of 255 over 0 (it was refused
 * as "not a segmentation model", and before that read as 1 row of 8 x 16).
 * The output is taken for logits (no LOGISTIC at its end): sigmoid(1) =
 * 0.73 over sigmoid(0) = 0.5, told apart by --threshold 0.6. */
static void test_rank3_probability_map_is_read_as_rows(void **state)
{
    (void)state;
    long top, bottom;
    mask_halves("white", "black", "mean_rank3.tflite", "--mode mask --threshold 0.6", &top,
                &bottom);
    assert_true(top > 235);
    assert_true(bottom < 20);
}

static void test_classifier_or_1x1_output_is_not_a_segmentation_model(void **state)
{
    (void)state;
    run_bad_model("classifier.tflite", "[1,192] classifier", "not a segmentation model: output "
                  "[1,192]");
    run_bad_model("one_by_one.tflite", "1x1 output", "not a segmentation model: output "
                  "[1,1,1,3]");
}

/* 1x65536 sides: over SEG_MAX_DIM, refused at load with the cap named
 * (before: "out of memory", exit 1; and "compositing failed" with a
 * 532-byte file left). */
static void test_model_side_over_the_cap_is_refused(void **state)
{
    (void)state;
    run_bad_model("wide_input.tflite", "1x65536 input", "input [1,1,65536,3] (65536x1) is over "
                  "the limit of 16384 on a side");
    assert_false(log_contains("out of memory"));
    run_bad_model("wide_output.tflite", "1x65536 output", "output [1,1,65536,3] (65536x1) is "
                  "over the limit of 16384 on a side");
    char out[300];
    path_in(out, sizeof out, "never.mp4");
    assert_false(temp_exists(out));
}

/* ==== outputs that lie (issue 16) ======================================== */

/* The codec name ffprobe gives for what encoder @p enc writes. */
static const char *codec_of(const char *enc)
{
    return strcmp(enc, "libx264") == 0      ? "h264"
           : strcmp(enc, "libvpx-vp9") == 0 ? "vp9"
           : strcmp(enc, "prores_ks") == 0  ? "prores"
                                            : enc;
}

/* Every container segstream writes by extension, with every video encoder
 * it may be asked for (and its own choice, and alpha mode's): each pair is
 * either refused up front (exit 5, "cannot hold", no file) or written as a
 * video stream of that codec that ffprobe reads back, frames and all.
 * (MPEG-TS said "wrote" for FFV1, PNG, QuickTime Animation, raw video, Ut
 * Video, VP9 and MJPEG, and ffprobe saw only data.) */
static void test_every_container_codec_pair_is_refused_or_readable(void **state)
{
    (void)state;
    static const char *const exts[] = {"mp4", "mov", "mkv", "webm", "avi", "ts",
                                       "flv", "nut", "mpg", "ogv"};
    static const char *const encs[] = {"", "alpha", "libx264", "mpeg4", "mpeg2video", "mjpeg",
                                       "ffv1", "png", "qtrle", "rawvideo", "utvideo",
                                       "libvpx-vp9"};
    char in[300], out[300], probe[128];
    int written = 0, refused = 0;
    path_in(in, sizeof in, "clip.mkv");
    double t0 = tp_now();
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char line[512] = "";
        size_t used = 0;
        for (size_t j = 0; j < sizeof encs / sizeof encs[0]; j++) {
            snprintf(out, sizeof out, "%s/pair_%zu.%s", dir, j, exts[i]);
            const char *enc = encs[j];
            int alpha = strcmp(enc, "alpha") == 0;
            int rc = seg("%s -o %s -n 2 -q -m %s%s%s", in, out, MODEL,
                         alpha ? " --mode alpha" : *enc ? " --codec " : "", alpha ? "" : enc);
            if (rc != 0) {
                if (rc != 5)
                    show_log(out, rc);
                assert_int_equal(rc, 5);
                assert_true(log_contains("OUTPUT"));
                assert_false(exists(out));
                assert_false(temp_exists(out));
                refused++;
                used += (size_t)snprintf(line + used, sizeof line - used, " %s:no",
                                         *enc ? enc : "default");
                continue;
            }
            if (tp_probe(probe, sizeof probe, "-count_frames -select_streams v:0 -show_entries "
                         "stream=codec_name,nb_read_frames -of csv=p=0 '%s'", out) != 0)
                fail_msg("%s with %s: written, but ffprobe cannot read it", exts[i],
                         *enc ? enc : "default");
            probe[strcspn(probe, "\n")] = '\0';
            used += (size_t)snprintf(line + used, sizeof line - used, " %s:%s",
                                     *enc ? enc : "default", probe);
            char *comma = strchr(probe, ',');
            if (!comma || atoi(comma + 1) != 2 ||
                (*enc && !alpha && strncmp(probe, codec_of(enc), (size_t)(comma - probe)) != 0))
                fail_msg("%s with %s: ffprobe reads '%s'", exts[i], *enc ? enc : "default",
                         probe);
            unlink(out);
            written++;
        }
        printf("# .%s:%s\n", exts[i], line);
    }
    printf("# %d pairs written and read back, %d refused, in %.1f s\n", written, refused,
           tp_now() - t0);
    /* The case from the issue, named. */
    snprintf(out, sizeof out, "%s/lie.ts", dir);
    assert_int_equal(seg("%s -o %s -n 2 -q -m %s --codec ffv1", in, out, MODEL), 5);
    assert_true(log_contains("format 'mpegts' cannot hold ffv1 video"));
    assert_true(written > 40);
}

/* ==== messages and exit codes (issue 16) ================================= */

/* Serve one HTTP connection on @p fd with @p reply, in a child; its pid. */
static pid_t serve_once(int fd, const char *reply)
{
    pid_t pid = fork();
    if (pid == 0) {
        int c = accept(fd, NULL, NULL);
        char req[2048];
        if (c >= 0 && read(c, req, sizeof req) > 0 && write(c, reply, strlen(reply)) > 0)
            shutdown(c, SHUT_WR);
        sleep(1);
        _exit(0);
    }
    return pid;
}

/* A server's words reach the terminal without its escape sequences: the
 * reason phrase of an HTTP error, with a title change and a screen clear
 * in it, is printed with '?' for each control character, as ffmpeg does. */
static void test_control_characters_from_a_server_are_filtered(void **state)
{
    (void)state;
    char out[300];
    path_in(out, sizeof out, "never.mp4");
    int port = 0, fd = silent_listener(&port);
    assert_true(fd >= 0);
    pid_t srv = serve_once(fd, "HTTP/1.0 404 gone\033]0;owned\007\033[2J\r\n"
                               "Content-Length: 0\r\n\r\n");
    int rc = seg("http://127.0.0.1:%d/x.mp4 -o %s -m %s --timeout 3000", port, out, MODEL);
    stop_proc(srv);
    close(fd);
    show_log("HTTP 404 with escape sequences in its reason", rc);
    assert_int_equal(rc, 3);
    static char buf[65536];
    read_log(buf, sizeof buf);
    assert_null(strchr(buf, '\033'));
    assert_null(strchr(buf, '\007'));
    assert_true(log_contains("gone?]0;owned??[2J"));
    assert_false(exists(out));
}

/* The reason comes after the path in a message: with a path of 800
 * characters it is still printed whole (messages were cut at 512). */
static void test_long_path_keeps_the_reason_in_the_message(void **state)
{
    (void)state;
    char in[300], deep[1200], out[1500], name[201];
    path_in(in, sizeof in, "clip.mkv");
    memset(name, 'd', 200);
    name[200] = '\0';
    snprintf(deep, sizeof deep, "%s/%s/%s/%s", dir, name, name, name);
    assert_int_equal(tp_sh("mkdir -p %s", deep), 0);
    snprintf(out, sizeof out, "%s/%s.ts", deep, name);
    int rc = seg("%s -o %s -n 2 -m %s --codec ffv1", in, out, MODEL);
    show_log("a path of 800 characters", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains(out));
    assert_true(log_contains("cannot hold ffv1 video (players would not see it); choose another "
                             "--codec or container"));
    assert_false(exists(out));
}

/* --classes '' and a list over 1023 characters (it was cut there, silently)
 * are usage errors that say so. */
static void test_empty_or_overlong_class_list_is_refused(void **state)
{
    (void)state;
    char in[300], out[300], list[1100];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "never.mp4");
    int rc = seg("%s -o %s -m %s --classes ''", in, out, MODEL);
    show_log("--classes ''", rc);
    assert_int_equal(rc, 2);
    assert_true(log_contains("--classes wants a list"));
    assert_true(log_contains("got no class"));
    memset(list, 0, sizeof list);
    for (size_t n = 0; n + 7 < 1060; n += 7)
        memcpy(list + n, "person,", 7);
    rc = seg("%s -o %s -m %s --classes %s", in, out, MODEL, list);
    show_log("--classes of 1057 characters", rc);
    assert_int_equal(rc, 2);
    assert_true(log_contains("over 1023 characters"));
    assert_false(exists(out));
}

/* A --background from a server that never answers gives up after
 * --timeout, naming the background, like an input would. */
static void test_network_background_honours_timeout(void **state)
{
    (void)state;
    char in[300], out[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(out, sizeof out, "never.mp4");
    int port = 0, fd = silent_listener(&port);
    assert_true(fd >= 0);
    double took;
    int rc = seg_wait(seg_spawn("%s -o %s -m %s --mode replace --background "
                                "http://127.0.0.1:%d/bg.jpg --timeout 1000", in, out, MODEL,
                                port), &took);
    close(fd);
    show_log("--background from a server that never answers, --timeout 1000", rc);
    printf("# gave up after %.2f s\n", took);
    assert_int_equal(rc, 3);
    assert_true(log_contains("bg.jpg"));
    assert_true(took < 1.0 + STOP_BOUND_S);
    assert_false(exists(out));
}

/* ==== files lost or overwritten (issue 16) ============================== */

/* -y replaces the old file only with a finished output: a job that fails
 * when the muxer writes its header leaves it as it was. */
static void test_overwrite_keeps_old_file_when_the_job_fails(void **state)
{
    (void)state;
    char out[300];
    path_in(out, sizeof out, "precious.mp3");
    assert_int_equal(tp_write_file(out, "the user's own file\n", 20), 0);
    uint64_t before = file_digest(out);
    /* The MP3 muxer refuses a stream of video at the header. */
    int rc = seg("%s -o %s -y -m %s -q", VTEST, out, MODEL);
    show_log("MP3 that fails at the header, -y", rc);
    assert_int_equal(rc, 5);
    assert_true(file_digest(out) == before);
    assert_false(temp_exists(out));
    if (tiny_mount[0]) {
        /* ...and one that fills the disk in the middle. */
        char in[300];
        path_in(in, sizeof in, "clip.mkv");
        snprintf(out, sizeof out, "%s/precious.mkv", tiny_mount);
        assert_int_equal(tp_write_file(out, "the user's own file\n", 20), 0);
        rc = seg("%s -o %s -y -m %s -q", in, out, MODEL);
        show_log("full disk, -y", rc);
        assert_int_equal(rc, 5);
        assert_true(log_contains("No space left on device"));
        assert_true(file_digest(out) == before);
        assert_false(temp_exists(out));
    }
}

/* A finished -y output replaces the file through a symlink, and keeps the
 * old file's permissions. */
static void test_overwrite_replaces_through_symlink_with_old_mode(void **state)
{
    (void)state;
    char in[300], target[300], link[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(target, sizeof target, "target.mkv");
    path_in(link, sizeof link, "link.mkv");
    assert_int_equal(tp_write_file(target, "old\n", 4), 0);
    assert_int_equal(chmod(target, 0640), 0);
    assert_int_equal(symlink(target, link), 0);
    int rc = seg("%s -o %s -y -m %s -q", in, link, MODEL);
    show_log("-y through a symlink", rc);
    assert_int_equal(rc, 0);
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode)); /* the link stays a link */
    assert_int_equal(stat(target, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(tp_video_frames(target), 50);
    unlink(link);
}

static void test_output_equal_to_background_or_model_is_refused(void **state)
{
    (void)state;
    char in[300], bg[300], model[300];
    path_in(in, sizeof in, "clip.mkv");
    path_in(bg, sizeof bg, "bg.jpg");
    path_in(model, sizeof model, "model_copy.tflite");
    assert_int_equal(tp_sh("cp %s %s && cp %s %s", MESSI, bg, MODEL, model), 0);
    uint64_t bg_before = file_digest(bg), model_before = file_digest(model);
    int rc = seg("%s -o %s -f mp4 -y --mode replace --background %s -m %s", in, bg, bg, MODEL);
    show_log("-o = --background", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("is the --background file"));
    rc = seg("%s -o %s -f mp4 -y -m %s", in, model, model);
    show_log("-o = the model", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("is the model file (-m)"));
    assert_true(file_digest(bg) == bg_before);
    assert_true(file_digest(model) == model_before);
    /* --run-model -y: OUT may be neither the model nor IN. */
    rc = tp_sh("%s --run-model %s /dev/null %s -y >%s 2>&1", BIN, model, model, log_path);
    show_log("--run-model OUT = MODEL", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("is the model file"));
    assert_true(file_digest(model) == model_before);
}

static void test_dump_frames_into_old_dump_needs_y_and_follows_no_symlink(void **state)
{
    (void)state;
    char in[300], dump[300], victim[300], link[360];
    path_in(in, sizeof in, "clip.mkv");
    path_in(dump, sizeof dump, "dump");
    path_in(victim, sizeof victim, "victim.txt");
    int rc = seg("%s --dump-frames %s -n 2 -m %s -q", in, dump, MODEL);
    assert_int_equal(rc, 0);
    rc = seg("%s --dump-frames %s -n 2 -m %s -q", in, dump, MODEL);
    show_log("--dump-frames into an old dump", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("already holds frames"));
    assert_true(log_contains("-y"));
    /* With -y, a symlink planted among the frames is not followed. */
    assert_int_equal(tp_write_file(victim, "precious\n", 9), 0);
    uint64_t before = file_digest(victim);
    snprintf(link, sizeof link, "%s/mask_000001.png", dump);
    unlink(link);
    assert_int_equal(symlink(victim, link), 0);
    rc = seg("%s --dump-frames %s -n 2 -y -m %s -q", in, dump, MODEL);
    show_log("--dump-frames -y with a symlink", rc);
    assert_int_equal(rc, 5);
    assert_true(log_contains("symbolic link"));
    assert_true(file_digest(victim) == before);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_directory_as_input),
        cmocka_unit_test(test_truncated_video_keeps_what_decodes),
        cmocka_unit_test(test_corrupt_packets_are_skipped_with_a_warning),
        cmocka_unit_test(test_audio_only_file),
        cmocka_unit_test(test_still_image_gives_one_frame),
        cmocka_unit_test(test_resolution_change_keeps_every_frame),
        cmocka_unit_test(test_resolution_change_in_alpha_mode_keeps_every_frame),
        cmocka_unit_test(test_truncated_or_junk_picture_is_an_input_error),
        cmocka_unit_test(test_declared_16384_picture_is_refused),
        cmocka_unit_test(test_model_input_not_3_channels),
        cmocka_unit_test(test_model_with_unsupported_op),
        cmocka_unit_test(test_model_with_overflowing_tensor_sizes),
        cmocka_unit_test(test_model_over_the_activation_cap),
        cmocka_unit_test(test_unwritable_output_dir),
        cmocka_unit_test(test_output_equal_to_input_is_refused),
        cmocka_unit_test(test_existing_output_without_y_is_untouched),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_sigint_finalises_output),
        cmocka_unit_test(test_sigterm_finalises_output),
        cmocka_unit_test(test_network_source_that_stops_ends_within_its_timeout),
        cmocka_unit_test(test_fifo_input_stalled_while_probing_stops_on_sigint),
        cmocka_unit_test(test_fifo_input_stalled_while_probing_times_out),
        cmocka_unit_test(test_fifo_input_without_writer_times_out),
        cmocka_unit_test(test_fifo_input_stalled_mid_stream_sigint_leaves_playable_mp4),
        cmocka_unit_test(test_fifo_input_stalled_mid_stream_times_out),
        cmocka_unit_test(test_fifo_output_stalled_reader_times_out),
        cmocka_unit_test(test_fifo_output_stalled_reader_stops_on_sigterm),
        cmocka_unit_test(test_fifo_output_without_reader_times_out),
        cmocka_unit_test(test_tcp_output_that_never_reads_times_out),
        cmocka_unit_test(test_rtmp_output_that_never_answers),
        cmocka_unit_test(test_sigterm_at_start_up_leaves_nothing_or_a_playable_file),
        cmocka_unit_test(test_timestamp_resets_keep_timing_continuous_like_ffmpeg),
        cmocka_unit_test(test_model_output_over_the_job_memory_cap),
        cmocka_unit_test(test_oversized_model_output_is_shrunk_to_the_frame),
        cmocka_unit_test(test_overwrite_keeps_old_file_when_the_job_fails),
        cmocka_unit_test(test_overwrite_replaces_through_symlink_with_old_mode),
        cmocka_unit_test(test_output_equal_to_background_or_model_is_refused),
        cmocka_unit_test(test_dump_frames_into_old_dump_needs_y_and_follows_no_symlink),
        cmocka_unit_test(test_every_container_codec_pair_is_refused_or_readable),
        cmocka_unit_test(test_rank3_label_map_is_read_as_rows),
        cmocka_unit_test(test_rank3_probability_map_is_read_as_rows),
        cmocka_unit_test(test_control_characters_from_a_server_are_filtered),
        cmocka_unit_test(test_long_path_keeps_the_reason_in_the_message),
        cmocka_unit_test(test_empty_or_overlong_class_list_is_refused),
        cmocka_unit_test(test_network_background_honours_timeout),
        cmocka_unit_test(test_classifier_or_1x1_output_is_not_a_segmentation_model),
        cmocka_unit_test(test_model_side_over_the_cap_is_refused),
    };
    /* test_faults [NAME]: one case by name (the known failures' ctests);
     * without a name every case but the known failures. */
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    else
        cmocka_set_skip_filter("known_failure_*");
    return cmocka_run_group_tests(tests, setup, teardown);
}
