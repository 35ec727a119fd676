/* test_io.c - io/ against real media made at test time with the ffmpeg CLI.
 *
 * The group setup makes a 2 s 320x240@25 H.264 + AAC clip (mp4, and the same
 * streams copied into mpegts and matroska) in a mkdtemp directory; every test
 * works inside it and the teardown removes it. Without ffmpeg/ffprobe on PATH
 * the media tests are skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "io.h"
#include "io_internal.h" /* io_packet: to change a packet's codec */

#define CLIP_FRAMES 50
#define CLIP_W 320
#define CLIP_H 240
#define CLIP_FPS 25
#define MAX_READS 100000 /* a bound on every read loop: a bug fails, never hangs */

static char g_dir[PATH_MAX];
static int g_have_ffmpeg;
static long g_log_lines;

/* ==== fault injection ==================================================== */
/* io_tests.cmake links this test with -Wl,--wrap for the two decoder calls,
 * so seg_io's calls land here (FFmpeg's own internal calls do not). */
int __real_avcodec_send_packet(AVCodecContext *avctx, const AVPacket *avpkt);
int __wrap_avcodec_send_packet(AVCodecContext *avctx, const AVPacket *avpkt);
int __real_avcodec_receive_frame(AVCodecContext *avctx, AVFrame *frame);
int __wrap_avcodec_receive_frame(AVCodecContext *avctx, AVFrame *frame);

static struct injection {
    int send_calls;          /* non-NULL packets sent so far */
    int send_fail_at[4];     /* 1-based packet numbers that fail ... */
    int send_fail_err[4];    /* ... with this error, the packet unused */
    int recv_calls;
    int recv_fail_at;        /* 1-based receive call that fails, 0 = none */
    int recv_fail_err;
    int strip_pts;           /* frames come out without any timestamp */
} g_inj;

int __wrap_avcodec_send_packet(AVCodecContext *avctx, const AVPacket *avpkt)
{
    if (avpkt) {
        int n = ++g_inj.send_calls;
        for (int i = 0; i < 4; i++)
            if (g_inj.send_fail_at[i] == n)
                return g_inj.send_fail_err[i];
    }
    return __real_avcodec_send_packet(avctx, avpkt);
}

int __wrap_avcodec_receive_frame(AVCodecContext *avctx, AVFrame *frame)
{
    int n = ++g_inj.recv_calls;
    if (g_inj.recv_fail_at == n)
        return g_inj.recv_fail_err;
    int ret = __real_avcodec_receive_frame(avctx, frame);
    if (ret >= 0 && g_inj.strip_pts)
        frame->pts = frame->best_effort_timestamp = frame->pkt_dts = AV_NOPTS_VALUE;
    return ret;
}

static int reset_injection(void **state)
{
    (void)state;
    memset(&g_inj, 0, sizeof(g_inj));
    return 0;
}

/* ==== helpers =========================================================== */

static void test_log(void *user, io_log_level level, const char *msg)
{
    (void)user;
    g_log_lines++;
    if (getenv("IO_TEST_VERBOSE"))
        fprintf(stderr, "[io %d] %s%s", (int)level, msg,
                msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* Local stand-ins for fabs/lround: no libm needed. */
static double dabs(double v)
{
    return v < 0 ? -v : v;
}

static void path_in_dir(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", g_dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

/* Run a shell command; 0 when it exited with status 0. */
static int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cmd(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

/* First line of a command's stdout, trimmed, into out[size]; 0 on success. */
static int read_cmd(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int read_cmd(char *out, size_t size, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd))
        return -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    out[0] = '\0';
    if (!fgets(out, (int)size, p))
        out[0] = '\0';
    int st = pclose(p);
    out[strcspn(out, "\r\n")] = '\0';
    return st == 0 && out[0] ? 0 : -1;
}

static long probe_frame_count(const char *path)
{
    char buf[64];
    if (read_cmd(buf, sizeof(buf),
                 "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                 "stream=nb_read_frames -of csv=p=0 '%s'", path) != 0)
        return -1;
    return strtol(buf, NULL, 10);
}

static double probe_video_duration(const char *path)
{
    char buf[64];
    if (read_cmd(buf, sizeof(buf),
                 "ffprobe -v error -select_streams v:0 -show_entries stream=duration "
                 "-of csv=p=0 '%s'", path) != 0)
        return -1.0;
    return strtod(buf, NULL);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Copy the first @p num / @p den of @p src into @p dst. */
static void make_truncated(const char *src, const char *dst, size_t num, size_t den)
{
    size_t len = 0;
    unsigned char *buf = read_all(src, &len);
    assert_non_null(buf);
    assert_int_equal(write_all(dst, buf, len * num / den), 0);
    free(buf);
}

static double mean_abs_diff(const seg_image *a, const seg_image *b)
{
    double sum = 0.0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *pa = a->data + (size_t)y * (size_t)a->stride;
        const uint8_t *pb = b->data + (size_t)y * (size_t)b->stride;
        for (int x = 0; x < a->width * 3; x++)
            sum += abs(pa[x] - pb[x]);
    }
    return sum / ((double)a->width * a->height * 3.0);
}

static void copy_image(seg_image *dst, const seg_image *src)
{
    assert_int_equal(seg_image_alloc(dst, src->width, src->height, src->format), SEG_OK);
    for (int y = 0; y < src->height; y++)
        memcpy(dst->data + (size_t)y * (size_t)dst->stride,
               src->data + (size_t)y * (size_t)src->stride, (size_t)src->width * 3u);
    dst->pts = src->pts;
    dst->index = src->index;
}

/* What a full decode saw. */
typedef struct decode_stats {
    int frames, audio, pts_increasing, size_ok, last;
} decode_stats;

static decode_stats decode_all(io_source *src, int w, int h)
{
    decode_stats s = {0, 0, 1, 1, 0};
    seg_image img = {0};
    int64_t prev = INT64_MIN;
    for (int i = 0; i < MAX_READS; i++) {
        io_packet *pkt = NULL;
        int r = io_source_read(src, &img, &pkt);
        if (r == IO_READ_VIDEO) {
            if (img.pts <= prev)
                s.pts_increasing = 0;
            if ((w && img.width != w) || (h && img.height != h) || img.index != s.frames)
                s.size_ok = 0;
            prev = img.pts;
            s.frames++;
        } else if (r == IO_READ_AUDIO) {
            assert_non_null(pkt);
            s.audio++;
            io_packet_free(&pkt);
            assert_null(pkt);
        } else {
            s.last = r;
            break;
        }
    }
    seg_image_free(&img);
    return s;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ==== fixtures ========================================================== */

static int group_setup(void **state)
{
    (void)state;
    io_set_log_callback(test_log, NULL, IO_LOG_WARNING);
    g_have_ffmpeg = run_cmd("ffmpeg -version >/dev/null 2>&1 && "
                            "ffprobe -version >/dev/null 2>&1") == 0;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_io.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (!g_have_ffmpeg)
        return 0;
    if (run_cmd("cd '%s' && ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=%dx%d:rate=%d "
                "-f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 "
                "-pix_fmt yuv420p -c:a aac -shortest clip.mp4 && "
                "ffmpeg -nostdin -v error -i clip.mp4 -c copy clip.ts && "
                "ffmpeg -nostdin -v error -i clip.mp4 -c copy clip.mkv && "
                "ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x120:rate=%d -t 1 "
                "-c:v libx264 small.ts && "
                "cat clip.ts small.ts > grow_shrink.ts && "
                "ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x120:rate=%d -f lavfi "
                "-i sine=sample_rate=16000 -t 1 -c:v libx264 -c:a pcm_s16le pcm.mkv && "
                "ffmpeg -nostdin -v error -f lavfi -i sine -t 0.5 -c:a aac audio_only.m4a && "
                "printf 'hello, this is not a video\\n' > notes.mp4",
                g_dir, CLIP_W, CLIP_H, CLIP_FPS, CLIP_FPS, CLIP_FPS) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_dir[0])
        nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#define REQUIRE_FFMPEG()       \
    do {                       \
        if (!g_have_ffmpeg)    \
            skip();            \
    } while (0)

/* ==== source ============================================================ */

static void test_source_clip_all_frames_in_order(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "clip.mp4");
    io_source_opts o = {.decoder_threads = 2, .want_audio = 1};
    assert_int_equal(io_source_open(&src, path, &o, err, sizeof(err)), SEG_OK);
    assert_non_null(src);

    const io_video_info *in = io_source_info(src);
    assert_int_equal(in->width, CLIP_W);
    assert_int_equal(in->height, CLIP_H);
    assert_int_equal(in->frame_rate_num, CLIP_FPS);
    assert_int_equal(in->frame_rate_den, 1);
    assert_true(in->time_base_num > 0 && in->time_base_den > 0);
    assert_true(in->has_audio);
    assert_false(in->is_live);
    assert_string_equal(in->codec_name, "h264");
    assert_non_null(strstr(in->format_name, "mp4"));
    assert_true(dabs(in->duration_s - 2.0) < 0.05);
    assert_int_equal(in->nb_frames, CLIP_FRAMES);

    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.frames, CLIP_FRAMES);
    assert_true(s.pts_increasing);
    assert_true(s.size_ok);
    assert_true(s.audio > 50); /* 2 s of 1024-sample AAC frames at 48 kHz: ~94 */
    assert_int_equal(s.last, SEG_EOF);
    assert_int_equal(io_source_warnings(src), 0);

    /* The end is sticky. */
    seg_image img = {0};
    io_packet *pkt = NULL;
    assert_int_equal(io_source_read(src, &img, &pkt), SEG_EOF);
    assert_null(pkt);
    assert_null(img.data);
    io_source_close(&src);
    assert_null(src);
    io_source_close(&src); /* NULL-safe */
}

static void test_source_without_audio_returns_only_video(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "clip.mkv");
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    assert_false(io_source_info(src)->has_audio);
    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.frames, CLIP_FRAMES);
    assert_int_equal(s.audio, 0);
    assert_true(s.pts_increasing);
    assert_int_equal(s.last, SEG_EOF);
    io_source_close(&src);
}

static void test_source_missing_file_is_io_error(void **state)
{
    (void)state;
    char path[PATH_MAX], err[512];
    io_source *src = (io_source *)&err; /* must be reset to NULL */
    path_in_dir(path, sizeof(path), "missing.mp4");
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_ERR_IO);
    assert_null(src);
    assert_non_null(strstr(err, "missing.mp4"));
    assert_non_null(strstr(err, "No such file or directory"));
}

static void test_source_not_video_is_bad_input(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "notes.mp4");
    int r = io_source_open(&src, path, NULL, err, sizeof(err));
    assert_int_equal(r, SEG_ERR_BAD_INPUT);
    assert_null(src);
    assert_non_null(strstr(err, "notes.mp4"));
    assert_true(strlen(err) > strlen(path) + 8); /* FFmpeg's words follow */

    path_in_dir(path, sizeof(path), "audio_only.m4a");
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_ERR_BAD_INPUT);
    assert_null(src);
    assert_non_null(strstr(err, "no video stream"));
}

static void test_source_bad_arguments(void **state)
{
    (void)state;
    char err[512];
    io_source *src = NULL;
    assert_int_equal(io_source_open(NULL, "x", NULL, err, sizeof(err)), SEG_ERR_INVALID);
    assert_int_equal(io_source_open(&src, "", NULL, err, sizeof(err)), SEG_ERR_INVALID);
    io_source_opts o = {.format = "no-such-format"};
    assert_int_equal(io_source_open(&src, "x", &o, err, sizeof(err)), SEG_ERR_INVALID);
    assert_non_null(strstr(err, "no-such-format"));
    assert_null(src);
    assert_int_equal(io_source_read(NULL, NULL, NULL), SEG_ERR_INVALID);
    assert_int_equal(io_source_warnings(NULL), 0);
    io_packet_free(NULL);
}

/* io_source_open_memory: the same demux and decode as a file, reads only
 * inside the buffer (an exact-size heap copy, so ASan sees any overrun), and
 * nothing else opened from there. */
static void test_source_from_memory_reads_like_a_file(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    size_t len = 0;
    path_in_dir(path, sizeof(path), "clip.mp4");
    unsigned char *buf = read_all(path, &len);
    assert_non_null(buf);
    io_source_opts o = {.want_audio = 1};
    assert_int_equal(io_source_open_memory(&src, buf, len, "clip in memory", &o, err, sizeof(err)),
                     SEG_OK);
    const io_video_info *in = io_source_info(src);
    assert_int_equal(in->width, CLIP_W);
    assert_int_equal(in->height, CLIP_H);
    assert_true(in->has_audio);
    assert_false(in->is_live);
    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.frames, CLIP_FRAMES); /* mp4 seeks to its index: seeking works */
    assert_true(s.audio > 50);
    assert_int_equal(s.last, SEG_EOF);
    io_source_close(&src);

    /* The first half of a Matroska clip: frames up to the cut, a clean end. */
    free(buf);
    path_in_dir(path, sizeof(path), "clip.mkv");
    assert_non_null(buf = read_all(path, &len));
    assert_int_equal(io_source_open_memory(&src, buf, len / 2, NULL, NULL, err, sizeof(err)),
                     SEG_OK);
    s = decode_all(src, CLIP_W, CLIP_H);
    assert_in_range(s.frames, 10, CLIP_FRAMES - 10);
    io_source_close(&src);
    free(buf);

    /* An HLS playlist in memory names a file that exists: it is not opened. */
    char list[PATH_MAX + 128];
    path_in_dir(path, sizeof(path), "clip.ts");
    int n = snprintf(list, sizeof(list),
                     "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile:%s\n#EXT-X-ENDLIST\n",
                     path);
    o = (io_source_opts){.format = "hls"};
    int r = io_source_open_memory(&src, list, (size_t)n, "playlist", &o, err, sizeof(err));
    if (r == SEG_OK) {
        s = decode_all(src, 0, 0);
        assert_int_equal(s.frames, 0);
        io_source_close(&src);
    } else {
        assert_null(src);
        assert_non_null(strstr(err, "playlist"));
    }

    /* Nothing to read, a NULL buffer, a device format. */
    assert_int_not_equal(io_source_open_memory(&src, "", 0, NULL, NULL, err, sizeof(err)), SEG_OK);
    assert_null(src);
    assert_int_equal(io_source_open_memory(&src, NULL, 10, NULL, NULL, err, sizeof(err)),
                     SEG_ERR_INVALID);
    o = (io_source_opts){.format = "lavfi"};
    assert_int_equal(io_source_open_memory(&src, "testsrc", 7, NULL, &o, err, sizeof(err)),
                     SEG_ERR_INVALID);
    assert_null(src);
}

static void test_source_truncated_ends_cleanly(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    static const char *const names[] = {"clip.ts", "clip.mkv"};
    for (size_t i = 0; i < 2; i++) {
        char in[PATH_MAX], cut[PATH_MAX], name[64], err[512];
        io_source *src = NULL;
        path_in_dir(in, sizeof(in), names[i]);
        snprintf(name, sizeof(name), "half.%s", names[i]);
        path_in_dir(cut, sizeof(cut), name);
        make_truncated(in, cut, 1, 2);
        io_source_opts o = {.format = i == 0 ? "mpegts" : "matroska", .want_audio = 1};
        assert_int_equal(io_source_open(&src, cut, &o, err, sizeof(err)), SEG_OK);
        decode_stats s = decode_all(src, CLIP_W, CLIP_H);
        /* Roughly half the frames, each whole-sized, then a clean end. */
        assert_in_range(s.frames, 10, CLIP_FRAMES - 10);
        assert_true(s.size_ok);
        assert_true(s.last == SEG_EOF || (s.last < 0 && io_source_last_error(src)[0]));
        io_source_close(&src);
    }

    /* mp4 keeps its index (moov) at the end: half a file has none. */
    char in[PATH_MAX], cut[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(in, sizeof(in), "clip.mp4");
    path_in_dir(cut, sizeof(cut), "half.mp4");
    make_truncated(in, cut, 1, 2);
    int r = io_source_open(&src, cut, NULL, err, sizeof(err));
    if (r == SEG_OK) {
        decode_stats s = decode_all(src, 0, 0);
        assert_true(s.last == SEG_EOF || s.last < 0);
        io_source_close(&src);
    } else {
        assert_int_equal(r, SEG_ERR_BAD_INPUT);
        assert_null(src);
        assert_non_null(strstr(err, "half.mp4"));
    }

    /* A stream cut after a few bytes. */
    path_in_dir(in, sizeof(in), "clip.ts");
    path_in_dir(cut, sizeof(cut), "tiny.ts");
    make_truncated(in, cut, 1, 200);
    r = io_source_open(&src, cut, NULL, err, sizeof(err));
    if (r == SEG_OK) {
        decode_stats s = decode_all(src, 0, 0);
        assert_true(s.last == SEG_EOF || s.last < 0);
        io_source_close(&src);
    } else {
        assert_true(r < 0 && err[0]);
    }
}

static void test_source_corrupt_middle_keeps_going(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char in[PATH_MAX], bad[PATH_MAX], err[512];
    size_t len = 0;
    path_in_dir(in, sizeof(in), "clip.ts");
    path_in_dir(bad, sizeof(bad), "corrupt.ts");
    unsigned char *buf = read_all(in, &len);
    assert_non_null(buf);
    /* Scribble over 3 KB in the middle, keeping the TS sync bytes so the
     * demuxer reads on and the decoder sees broken payload. */
    uint32_t x = 12345;
    for (size_t i = len / 2; i < len / 2 + 3072; i++) {
        x = x * 1664525u + 1013904223u;
        if (i % 188 != 0)
            buf[i] = (unsigned char)(x >> 24);
    }
    assert_int_equal(write_all(bad, buf, len), 0);
    free(buf);

    io_source *src = NULL;
    assert_int_equal(io_source_open(&src, bad, NULL, err, sizeof(err)), SEG_OK);
    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.last, SEG_EOF);
    assert_in_range(s.frames, CLIP_FRAMES - 15, CLIP_FRAMES);
    assert_true(s.size_ok);
    io_source_close(&src);
}

static void test_source_size_change_mid_stream(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "grow_shrink.ts"); /* 2 s 320x240, then 1 s 160x120 */
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    seg_image img = {0};
    io_packet *pkt = NULL;
    int big = 0, small = 0, r, order_ok = 1;
    for (int i = 0; i < MAX_READS; i++) {
        r = io_source_read(src, &img, &pkt);
        if (r != IO_READ_VIDEO)
            break;
        if (img.width == CLIP_W && img.height == CLIP_H && small == 0)
            big++;
        else if (img.width == 160 && img.height == 120)
            small++;
        else
            order_ok = 0;
        assert_true(img.stride >= img.width * 3);
    }
    assert_int_equal(r, SEG_EOF);
    assert_true(order_ok);
    assert_int_equal(big, CLIP_FRAMES);
    assert_int_equal(small, CLIP_FPS);
    seg_image_free(&img);
    io_source_close(&src);
}

static void test_source_decode_errors_are_warnings(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "clip.mkv");
    g_inj.send_fail_at[0] = 10;
    g_inj.send_fail_err[0] = AVERROR_INVALIDDATA;
    g_inj.send_fail_at[1] = 11;
    g_inj.send_fail_err[1] = AVERROR_INVALIDDATA;
    g_inj.recv_fail_at = 30;
    g_inj.recv_fail_err = AVERROR_INVALIDDATA;
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.last, SEG_EOF);
    assert_int_equal(io_source_warnings(src), 3);
    assert_non_null(strstr(io_source_last_warning(src), "Invalid data"));
    /* Two packets never reached the decoder: two frames fewer. */
    assert_int_equal(s.frames, CLIP_FRAMES - 2);
    assert_true(s.size_ok); /* index still counts delivered frames from 0 */
    io_source_close(&src);
}

static void test_source_other_decode_errors_are_fatal(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "clip.mkv");
    g_inj.send_fail_at[0] = 5;
    g_inj.send_fail_err[0] = AVERROR(EIO);
    g_inj.send_fail_at[1] = 9;
    g_inj.send_fail_err[1] = AVERROR(ENOMEM);
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    decode_stats s = decode_all(src, CLIP_W, CLIP_H);
    assert_int_equal(s.last, SEG_ERR_BAD_INPUT);
    assert_non_null(strstr(io_source_last_error(src), "Input/output error"));
    s = decode_all(src, CLIP_W, CLIP_H); /* reading on after the error is allowed */
    assert_int_equal(s.last, SEG_ERR_NOMEM);
    assert_int_equal(io_source_warnings(src), 0);
    io_source_close(&src);
}

static void test_source_synthesises_missing_pts(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    io_source *src = NULL;
    path_in_dir(path, sizeof(path), "clip.mp4");
    g_inj.strip_pts = 1;
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    const io_video_info *in = io_source_info(src);
    /* One frame in the stream time base (1/12800 in mp4 at 25 fps: 512). */
    int64_t step = (int64_t)in->time_base_den * in->frame_rate_den /
                   ((int64_t)in->time_base_num * in->frame_rate_num);
    assert_true(step > 0);
    seg_image img = {0};
    io_packet *pkt = NULL;
    int n = 0, r;
    while ((r = io_source_read(src, &img, &pkt)) == IO_READ_VIDEO && n < MAX_READS) {
        assert_int_equal(img.pts, img.index * step);
        n++;
    }
    assert_int_equal(r, SEG_EOF);
    assert_int_equal(n, CLIP_FRAMES);
    seg_image_free(&img);
    io_source_close(&src);
}

static void test_source_lavfi_is_live(void **state)
{
    (void)state;
    char err[512];
    io_source *src = NULL;
    assert_int_equal(io_source_open(&src, "lavfi:testsrc2=size=160x120:rate=30", NULL, err,
                                    sizeof(err)),
                     SEG_OK);
    const io_video_info *in = io_source_info(src);
    assert_true(in->is_live);
    assert_string_equal(in->format_name, "lavfi");
    assert_int_equal(in->width, 160);
    assert_int_equal(in->height, 120);
    assert_int_equal(in->frame_rate_num, 30);

    seg_image img = {0};
    io_packet *pkt = NULL;
    int64_t prev = -1;
    const uint8_t *first_buf = NULL;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(io_source_read(src, &img, &pkt), IO_READ_VIDEO);
        assert_int_equal(img.width, 160);
        assert_int_equal(img.height, 120);
        assert_int_equal(img.index, i);
        assert_true(img.pts > prev);
        prev = img.pts;
        if (i == 0)
            first_buf = img.data;
        assert_ptr_equal(img.data, first_buf); /* no reallocation at a constant size */
    }
    /* testsrc2 is colourful: not a flat picture. */
    int lo = 255, hi = 0;
    for (int x = 0; x < 160 * 3; x++) {
        int v = img.data[(size_t)60 * (size_t)img.stride + (size_t)x];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_true(hi - lo > 100);

    io_source_interrupt(src);
    assert_int_equal(io_source_read(src, &img, &pkt), SEG_ERR_INTERRUPTED);
    assert_non_null(strstr(io_source_last_error(src), "interrupted"));
    seg_image_free(&img);
    io_source_close(&src);
}

static void test_source_dead_server_times_out(void **state)
{
    (void)state;
    /* A listener that never accepts: the kernel completes the handshake, so
     * the client connects and then waits for bytes that never come. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);

    char url[128], err[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/clip.mp4", ntohs(a.sin_port));
    io_source *src = NULL;
    io_source_opts o = {.timeout_ms = 500};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = io_source_open(&src, url, &o, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    assert_int_equal(r, SEG_ERR_IO);
    assert_null(src);
    assert_non_null(strstr(err, "timed out"));
    assert_true(secs < 5.0);
}

/* ==== sink ============================================================== */

static io_sink_params params_from(const io_video_info *in)
{
    io_sink_params p = {0};
    p.width = in->width;
    p.height = in->height;
    p.time_base_num = in->time_base_num;
    p.time_base_den = in->time_base_den;
    p.frame_rate_num = in->frame_rate_num;
    p.frame_rate_den = in->frame_rate_den;
    p.sar_num = in->sar_num;
    p.sar_den = in->sar_den;
    p.encoder_threads = 2;
    return p;
}

/* The input's audio changes codec mid-stream (here: its packets say so
 * from the 20th on): the output's audio stops there with one warning, the
 * job goes on and every video frame is written and flushed (it failed
 * with "writing audio failed", frames lost in the encoder). */
static void test_sink_drops_audio_after_a_codec_change(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char in_path[PATH_MAX], out_path[PATH_MAX], err[512], buf[64];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(in_path, sizeof(in_path), "clip.mp4");
    path_in_dir(out_path, sizeof(out_path), "codec_change.mp4");
    io_source_opts o = {.decoder_threads = 2, .want_audio = 1};
    assert_int_equal(io_source_open(&src, in_path, &o, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    assert_int_equal(io_sink_open(&snk, out_path, &p, src, err, sizeof(err)), SEG_OK);
    seg_image img = {0};
    int frames = 0, audio = 0, r = 0;
    for (int i = 0; i < MAX_READS; i++) {
        io_packet *pkt = NULL;
        r = io_source_read(src, &img, &pkt);
        if (r == IO_READ_VIDEO) {
            assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
            frames++;
        } else if (r == IO_READ_AUDIO) {
            if (++audio >= 20)
                pkt->codec_id = AV_CODEC_ID_MP3;
            assert_int_equal(io_sink_write_audio(snk, &pkt), SEG_OK);
        } else {
            break;
        }
    }
    assert_int_equal(r, SEG_EOF);
    assert_true(audio > 30);
    assert_int_equal(io_sink_warnings(snk), 1);
    assert_non_null(strstr(io_sink_last_warning(snk), "changed from aac to mp3 mid-stream"));
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    io_sink_close(&snk);
    io_source_close(&src);
    seg_image_free(&img);
    assert_int_equal(probe_frame_count(out_path), CLIP_FRAMES);
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams a:0 "
                              "-show_entries stream=nb_frames -of csv=p=0 '%s'", out_path), 0);
    assert_int_equal(atoi(buf), 19);
}

static void test_sink_round_trip_keeps_frames_audio_timing(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char in_path[PATH_MAX], out_path[PATH_MAX], err[512], buf[64];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(in_path, sizeof(in_path), "clip.mp4");
    path_in_dir(out_path, sizeof(out_path), "out.mp4");
    io_source_opts o = {.decoder_threads = 2, .want_audio = 1};
    assert_int_equal(io_source_open(&src, in_path, &o, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    assert_int_equal(io_sink_open(&snk, out_path, &p, src, err, sizeof(err)), SEG_OK);
    assert_int_equal(io_sink_warnings(snk), 0);

    seg_image img = {0}, keep0 = {0}, keep25 = {0};
    int frames = 0, audio = 0, r = 0;
    for (int i = 0; i < MAX_READS; i++) {
        io_packet *pkt = NULL;
        r = io_source_read(src, &img, &pkt);
        if (r == IO_READ_VIDEO) {
            if (frames == 0)
                copy_image(&keep0, &img);
            if (frames == 25)
                copy_image(&keep25, &img);
            assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
            frames++;
        } else if (r == IO_READ_AUDIO) {
            assert_int_equal(io_sink_write_audio(snk, &pkt), SEG_OK);
            assert_null(pkt);
            audio++;
        } else {
            break;
        }
    }
    assert_int_equal(r, SEG_EOF);
    assert_int_equal(frames, CLIP_FRAMES);
    assert_true(audio > 0);
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    assert_int_equal(io_sink_finish(snk), SEG_OK); /* idempotent */
    assert_int_equal(io_sink_write_video(snk, &img), SEG_ERR_INVALID);
    io_sink_close(&snk);
    assert_null(snk);
    io_source_close(&src);
    seg_image_free(&img);

    assert_int_equal(probe_frame_count(out_path), CLIP_FRAMES);
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams a:0 "
                              "-show_entries stream=codec_name -of csv=p=0 '%s'", out_path),
                     0);
    assert_string_equal(buf, "aac");
    double din = probe_video_duration(in_path), dout = probe_video_duration(out_path);
    assert_true(din > 1.9);
    assert_true(dabs(dout - din) <= 1.0 / CLIP_FPS + 1e-3);

    /* The pictures survive: decode the output and compare with the input. */
    assert_int_equal(io_source_open(&src, out_path, NULL, err, sizeof(err)), SEG_OK);
    const io_video_info *oi = io_source_info(src);
    assert_int_equal(oi->width, CLIP_W);
    assert_int_equal(oi->height, CLIP_H);
    int n = 0;
    for (int i = 0; i < MAX_READS && n <= 25; i++) {
        io_packet *pkt = NULL;
        r = io_source_read(src, &img, &pkt);
        assert_int_equal(r, IO_READ_VIDEO);
        if (n == 0)
            assert_true(mean_abs_diff(&img, &keep0) < 4.0);
        if (n == 25)
            assert_true(mean_abs_diff(&img, &keep25) < 4.0);
        n++;
    }
    io_source_close(&src);
    seg_image_free(&img);
    seg_image_free(&keep0);
    seg_image_free(&keep25);
}

/* Transcode @p in_name to @p out_name with io/, everything at default
 * settings unless @p codec; returns the sink's warning count. */
static int64_t transcode(const char *in_name, const char *out_name, const char *codec,
                         char *warning, size_t wsize)
{
    char in_path[PATH_MAX], out_path[PATH_MAX], err[512];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(in_path, sizeof(in_path), in_name);
    path_in_dir(out_path, sizeof(out_path), out_name);
    io_source_opts o = {.want_audio = 1};
    assert_int_equal(io_source_open(&src, in_path, &o, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    p.codec = codec;
    if (io_sink_open(&snk, out_path, &p, src, err, sizeof(err)) != SEG_OK)
        fail_msg("io_sink_open: %s", err);
    assert_string_equal(io_sink_last_error(snk), "");
    seg_image img = {0};
    int r = 0;
    for (int i = 0; i < MAX_READS; i++) {
        io_packet *pkt = NULL;
        r = io_source_read(src, &img, &pkt);
        if (r == IO_READ_VIDEO)
            assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
        else if (r == IO_READ_AUDIO)
            assert_int_equal(io_sink_write_audio(snk, &pkt), SEG_OK);
        else
            break;
    }
    assert_int_equal(r, SEG_EOF);
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    int64_t w = io_sink_warnings(snk);
    snprintf(warning, wsize, "%s", io_sink_last_warning(snk));
    io_sink_close(&snk);
    io_source_close(&src);
    seg_image_free(&img);
    return w;
}

static void test_sink_output_starts_at_zero(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char out_path[PATH_MAX], warning[512], buf[128];
    /* mpegts starts at 1.4 s: the mp4 must not begin with a blank 1.4 s. */
    assert_int_equal(transcode("clip.ts", "from_ts.mp4", NULL, warning, sizeof(warning)), 0);
    path_in_dir(out_path, sizeof(out_path), "from_ts.mp4");
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -show_entries "
                              "format=start_time,duration -of csv=p=0 '%s'", out_path),
                     0);
    double start = -1, dur = -1;
    assert_int_equal(sscanf(buf, "%lf,%lf", &start, &dur), 2);
    assert_true(start >= 0.0 && start < 1.0 / CLIP_FPS);
    assert_true(dabs(dur - 2.0) < 2.0 / CLIP_FPS);
    assert_int_equal(probe_frame_count(out_path), CLIP_FRAMES);
}

static void test_sink_strict_encoder_gets_its_time_base(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char out_path[PATH_MAX], warning[512];
    /* MPEG-4 part 2 refuses 1/90000: the sink retimes to 1/25. */
    assert_int_equal(transcode("clip.ts", "mpeg4.avi", "mpeg4", warning, sizeof(warning)), 1);
    assert_non_null(strstr(warning, "time base"));
    path_in_dir(out_path, sizeof(out_path), "mpeg4.avi");
    assert_int_equal(probe_frame_count(out_path), CLIP_FRAMES);
    assert_true(dabs(probe_video_duration(out_path) - 2.0) <= 1.0 / CLIP_FPS + 1e-3);
}

static void test_sink_drops_audio_the_container_cannot_hold(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char out_path[PATH_MAX], warning[512], buf[64];
    assert_int_equal(transcode("pcm.mkv", "pcm.mp4", NULL, warning, sizeof(warning)), 1);
    assert_non_null(strstr(warning, "audio dropped"));
    path_in_dir(out_path, sizeof(out_path), "pcm.mp4");
    assert_int_equal(probe_frame_count(out_path), CLIP_FPS);
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -show_entries "
                              "stream=codec_type -of csv=p=0 '%s' | tr '\\n' ' '", out_path),
                     0);
    assert_string_equal(buf, "video ");
}

static void test_sink_colours_match_ffmpeg(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    static const uint8_t rgb[3] = {200, 50, 100};
    char path[PATH_MAX], err[512], buf[64];
    io_sink *snk = NULL;
    path_in_dir(path, sizeof(path), "solid.mp4");
    io_sink_params p = {.width = 64, .height = 48, .time_base_num = 1, .time_base_den = 25};
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_OK);
    seg_image img = {0};
    assert_int_equal(seg_image_alloc(&img, 64, 48, SEG_PIX_RGB24), SEG_OK);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++)
            memcpy(img.data + (size_t)y * (size_t)img.stride + (size_t)x * 3u, rgb, 3);
    for (int i = 0; i < 3; i++) {
        img.pts = i;
        assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
    }
    io_sink_close(&snk);
    seg_image_free(&img);

    /* FFmpeg reads the tags we wrote and gets the colour back. */
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams v:0 "
                              "-show_entries stream=color_space,color_range -of csv=p=0 '%s'",
                              path),
                     0);
    assert_string_equal(buf, "tv,bt709");
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffmpeg -nostdin -v error -i '%s' -frames:v 1 "
                              "-vf crop=2:2:30:20 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 "
                              "-N3", path),
                     0);
    int r = -1, g = -1, b = -1;
    assert_int_equal(sscanf(buf, "%d %d %d", &r, &g, &b), 3);
    assert_in_range(r, rgb[0] - 4, rgb[0] + 4);
    assert_in_range(g, rgb[1] - 4, rgb[1] + 4);
    assert_in_range(b, rgb[2] - 4, rgb[2] + 4);

    /* And so does our own source. */
    io_source *src = NULL;
    io_packet *pkt = NULL;
    assert_int_equal(io_source_open(&src, path, NULL, err, sizeof(err)), SEG_OK);
    assert_int_equal(io_source_read(src, &img, &pkt), IO_READ_VIDEO);
    const uint8_t *px = img.data + (size_t)20 * (size_t)img.stride + 30u * 3u;
    for (int c = 0; c < 3; c++)
        assert_in_range(px[c], rgb[c] - 4, rgb[c] + 4);
    seg_image_free(&img);
    io_source_close(&src);
}

static void test_sink_odd_size_is_cropped_to_even(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char out_path[PATH_MAX], err[512], buf[64];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(out_path, sizeof(out_path), "odd.mkv");
    /* As stored (IO_ORIENT_NONE): the sink keeps the pixels' shape. */
    io_source_opts as_stored = {.orient = IO_ORIENT_NONE};
    assert_int_equal(io_source_open(&src, "lavfi:testsrc=size=161x121:rate=25:sar=4/3",
                                    &as_stored, err, sizeof(err)),
                     SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    assert_int_equal(io_sink_open(&snk, out_path, &p, src, err, sizeof(err)), SEG_OK);
    assert_int_equal(io_sink_warnings(snk), 1);
    assert_non_null(strstr(io_sink_last_warning(snk), "cropped"));
    seg_image img = {0};
    for (int i = 0; i < 10; i++) {
        io_packet *pkt = NULL;
        assert_int_equal(io_source_read(src, &img, &pkt), IO_READ_VIDEO);
        assert_int_equal(img.width, 161);
        assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
    }
    /* A frame of the wrong size is refused and does not poison the sink. */
    seg_image wrong = {0};
    assert_int_equal(seg_image_alloc(&wrong, 160, 120, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(io_sink_write_video(snk, &wrong), SEG_ERR_INVALID);
    seg_image_free(&wrong);
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    io_sink_close(&snk);
    io_source_close(&src);
    seg_image_free(&img);

    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams v:0 "
                              "-show_entries stream=width,height,sample_aspect_ratio -of "
                              "csv=p=0 '%s'", out_path),
                     0);
    assert_string_equal(buf, "160,120,4:3"); /* cropped, SAR kept */
    assert_int_equal(probe_frame_count(out_path), 10);
}

static void test_sink_existing_file_refused_without_overwrite(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], err[512];
    static const char content[] = "precious bytes, do not touch";
    path_in_dir(path, sizeof(path), "exists.mp4");
    assert_int_equal(write_all(path, content, sizeof(content)), 0);

    io_sink *snk = NULL;
    io_sink_params p = {.width = 64, .height = 48, .time_base_num = 1, .time_base_den = 25};
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_EXISTS);
    assert_null(snk);
    assert_non_null(strstr(err, "exists.mp4"));
    size_t len = 0;
    unsigned char *now = read_all(path, &len);
    assert_non_null(now);
    assert_int_equal(len, sizeof(content));
    assert_memory_equal(now, content, sizeof(content));
    free(now);

    p.overwrite = 1;
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_OK);
    seg_image img = {0};
    assert_int_equal(seg_image_alloc(&img, 64, 48, SEG_PIX_RGB24), SEG_OK);
    for (int i = 0; i < 5; i++) {
        memset(img.data, i * 40, (size_t)img.stride * 48u);
        img.pts = i;
        assert_int_equal(io_sink_write_video(snk, &img), SEG_OK);
    }
    seg_image_free(&img);
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    io_sink_close(&snk);
    assert_int_equal(probe_frame_count(path), 5);
}

static void test_sink_unwritable_place_is_io_error(void **state)
{
    (void)state;
    char path[PATH_MAX], err[512];
    io_sink *snk = NULL;
    io_sink_params p = {.width = 64, .height = 48, .time_base_num = 1, .time_base_den = 25};
    assert_int_equal(io_sink_open(&snk, "/proc/nonexistent/out.mp4", &p, NULL, err,
                                  sizeof(err)),
                     SEG_ERR_IO);
    assert_null(snk);
    assert_non_null(strstr(err, "/proc/nonexistent/out.mp4"));

    path_in_dir(path, sizeof(path), "no/such/dir/out.mp4");
    p.overwrite = 1; /* the avio_open2 path */
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_IO);
    assert_non_null(strstr(err, "No such file or directory"));
    assert_null(snk);

    /* An unknown container is refused before anything is created. */
    path_in_dir(path, sizeof(path), "out.nosuchext");
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_IO);
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);
    p.format = "no-such-muxer";
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_IO);
    assert_non_null(strstr(err, "no-such-muxer"));

    /* Bad parameters. */
    p.format = NULL;
    p.width = 0;
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_INVALID);
    p.width = SEG_MAX_DIM + 2;
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_LIMIT);
    p.width = 64;
    p.codec = "no-such-encoder";
    path_in_dir(path, sizeof(path), "enc.mp4");
    assert_int_equal(io_sink_open(&snk, path, &p, NULL, err, sizeof(err)), SEG_ERR_INVALID);
    assert_int_equal(stat(path, &sb), -1); /* nothing left behind */
    io_sink_close(NULL);
    assert_int_equal(io_sink_finish(NULL), SEG_ERR_INVALID);
}

static void test_sink_refuses_to_overwrite_its_input(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char in_path[PATH_MAX], alias[PATH_MAX], link_path[PATH_MAX], err[512];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(in_path, sizeof(in_path), "clip.mkv");
    size_t len0 = 0, len1 = 0;
    unsigned char *before = read_all(in_path, &len0);
    assert_non_null(before);
    assert_int_equal(io_source_open(&src, in_path, NULL, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    p.overwrite = 1;
    assert_int_equal(io_sink_open(&snk, in_path, &p, src, err, sizeof(err)), SEG_ERR_INVALID);
    assert_null(snk);
    assert_non_null(strstr(err, "input"));
    /* The same file under other names. */
    path_in_dir(alias, sizeof(alias), "./clip.mkv");
    assert_int_equal(io_sink_open(&snk, alias, &p, src, err, sizeof(err)), SEG_ERR_INVALID);
    path_in_dir(link_path, sizeof(link_path), "link.mkv");
    assert_int_equal(symlink(in_path, link_path), 0);
    assert_int_equal(io_sink_open(&snk, link_path, &p, src, err, sizeof(err)), SEG_ERR_INVALID);
    io_source_close(&src);

    unsigned char *after = read_all(in_path, &len1);
    assert_non_null(after);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
}

static void test_sink_full_disk_is_io_error(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    if (access("/dev/full", W_OK) != 0)
        skip();
    char in_path[PATH_MAX], err[512];
    io_source *src = NULL;
    io_sink *snk = NULL;
    path_in_dir(in_path, sizeof(in_path), "clip.mp4");
    io_source_opts o = {.want_audio = 1};
    assert_int_equal(io_source_open(&src, in_path, &o, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    p.format = "mp4";
    p.overwrite = 1;
    int r = io_sink_open(&snk, "/dev/full", &p, src, err, sizeof(err));
    int first_err = r;
    seg_image img = {0};
    if (r == SEG_OK) {
        for (int i = 0; i < MAX_READS; i++) {
            io_packet *pkt = NULL;
            int k = io_source_read(src, &img, &pkt);
            if (k == IO_READ_VIDEO)
                r = io_sink_write_video(snk, &img);
            else if (k == IO_READ_AUDIO)
                r = io_sink_write_audio(snk, &pkt);
            else
                break;
            if (r < 0 && first_err == SEG_OK)
                first_err = r;
        }
        r = io_sink_finish(snk);
        if (first_err == SEG_OK)
            first_err = r;
        snprintf(err, sizeof(err), "%s", io_sink_last_error(snk));
        io_sink_close(&snk);
    }
    assert_int_equal(first_err, SEG_ERR_IO);
    assert_non_null(strstr(err, "No space left on device"));
    io_source_close(&src);
    seg_image_free(&img);
}

/* ==== scaler ============================================================ */

static void check_px(const seg_image *im, int x, int y, double er, double eg, double eb,
                     double tol)
{
    const uint8_t *p = im->data + (size_t)y * (size_t)im->stride + (size_t)x * 3u;
    if (dabs(p[0] - er) > tol || dabs(p[1] - eg) > tol || dabs(p[2] - eb) > tol)
        fail_msg("pixel (%d,%d) of %dx%d = (%d,%d,%d), expected (%.1f,%.1f,%.1f) +- %.1f", x, y,
                 im->width, im->height, p[0], p[1], p[2], er, eg, eb, tol);
}

/* The gradient at output pixel (x, y): the source sample the centre maps to. */
static double grad_at(int o, int out_n, int in_n)
{
    double s = ((double)o + 0.5) * in_n / out_n - 0.5;
    s = s < 0 ? 0 : (s > in_n - 1 ? in_n - 1 : s);
    return s * 255.0 / (in_n - 1);
}

static void test_scaler_gradient_corners(void **state)
{
    (void)state;
    enum { SW = 64, SH = 48 };
    seg_image src = {0};
    assert_int_equal(seg_image_alloc(&src, SW, SH, SEG_PIX_RGB24), SEG_OK);
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
            uint8_t *p = src.data + (size_t)y * (size_t)src.stride + (size_t)x * 3u;
            p[0] = (uint8_t)(x * 255.0 / (SW - 1) + 0.5);
            p[1] = (uint8_t)(y * 255.0 / (SH - 1) + 0.5);
            p[2] = 128;
        }
    src.pts = 1234;
    src.index = 7;

    static const int sizes[][2] = {{128, 96}, {32, 24}, {256, 144}, {64, 48}};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int dw = sizes[k][0], dh = sizes[k][1];
        io_scaler *sc = NULL;
        seg_image dst = {0};
        assert_int_equal(io_scaler_create(&sc, SW, SH, dw, dh), SEG_OK);
        assert_int_equal(io_scaler_run(sc, &src, &dst), SEG_OK);
        const uint8_t *first = dst.data;
        assert_int_equal(io_scaler_run(sc, &src, &dst), SEG_OK);
        assert_ptr_equal(dst.data, first); /* nothing allocated per call */
        assert_int_equal(dst.width, dw);
        assert_int_equal(dst.height, dh);
        assert_int_equal(dst.pts, 1234);
        assert_int_equal(dst.index, 7);
        /* Downscaling filters over a wider window: a little more slack
         * where the window hits the edge. */
        double tol = dw < SW ? 7.0 : 3.0;
        int xs[] = {0, dw - 1, dw / 2}, ys[] = {0, dh - 1, dh / 2};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                check_px(&dst, xs[i], ys[j], grad_at(xs[i], dw, SW), grad_at(ys[j], dh, SH),
                         128.0, tol);
        seg_image_free(&dst);
        io_scaler_free(&sc);
        assert_null(sc);
    }

    io_scaler *sc = NULL;
    seg_image wrong = {0};
    assert_int_equal(io_scaler_create(&sc, 0, SH, 10, 10), SEG_ERR_INVALID);
    assert_int_equal(io_scaler_create(&sc, SW, SH, SEG_MAX_DIM + 1, 10), SEG_ERR_LIMIT);
    assert_null(sc);
    assert_int_equal(io_scaler_create(&sc, SW, SH, 10, 10), SEG_OK);
    assert_int_equal(seg_image_alloc(&wrong, 11, 10, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(io_scaler_run(sc, &src, &wrong), SEG_ERR_INVALID); /* dst size */
    assert_int_equal(io_scaler_run(sc, &wrong, &wrong), SEG_ERR_INVALID); /* src size */
    seg_image_free(&wrong);
    io_scaler_free(&sc);
    io_scaler_free(&sc);
    seg_image_free(&src);
}


/* ==== YUV 4:2:0 frames ================================================== */

/* Open @p url with frames out in @p f and read its first video frame. */
static void first_frame(const char *url, seg_pixfmt f, seg_image *img)
{
    char err[512];
    io_source *src = NULL;
    io_packet *pkt = NULL;
    io_source_opts o = {.pixfmt = f};
    assert_int_equal(io_source_open(&src, url, &o, err, sizeof(err)), SEG_OK);
    int r;
    while ((r = io_source_read(src, img, &pkt)) == IO_READ_AUDIO)
        io_packet_free(&pkt);
    assert_int_equal(r, IO_READ_VIDEO);
    io_source_close(&src);
}

/* A YUV420P image's planes against raw yuv420p bytes: how many differ. */
static size_t plane_diffs(const seg_image *im, const unsigned char *raw)
{
    int w = im->width, h = im->height, cw = seg_chroma_w(w), ch = seg_chroma_h(h);
    size_t n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            n += im->data[(size_t)y * im->stride + x] != raw[(size_t)y * w + x];
    const unsigned char *u = raw + (size_t)w * h, *v = u + (size_t)cw * ch;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
            n += (im->cb[(size_t)y * im->cstride + x] != u[(size_t)y * cw + x]) +
                 (im->cr[(size_t)y * im->cstride + x] != v[(size_t)y * cw + x]);
    return n;
}

static void test_source_yuv_is_the_decoded_planes(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], raw_path[PATH_MAX];
    path_in_dir(path, sizeof(path), "clip.mp4");
    path_in_dir(raw_path, sizeof(raw_path), "frame0.yuv");
    assert_int_equal(run_cmd("ffmpeg -nostdin -v error -y -i '%s' -frames:v 1 -f rawvideo "
                             "-pix_fmt yuv420p '%s'", path, raw_path), 0);
    size_t len = 0;
    unsigned char *raw = read_all(raw_path, &len);
    assert_int_equal(len, CLIP_W * CLIP_H * 3 / 2);
    seg_image yuv = {0}, rgb = {0}, conv = {0};
    first_frame(path, SEG_PIX_YUV420P, &yuv);
    assert_int_equal(yuv.format, SEG_PIX_YUV420P);
    assert_int_equal(yuv.matrix, SEG_YUV_BT601); /* untagged, 240 lines */
    assert_int_equal(yuv.full_range, 0);
    assert_int_equal(plane_diffs(&yuv, raw), 0); /* the decoder's bytes, untouched */
    free(raw);
    /* The same picture as the RGB path gives it (swscale interpolates the
     * chroma where seg_image_convert repeats it: a level or two apart on
     * average). */
    first_frame(path, SEG_PIX_RGB24, &rgb);
    assert_int_equal(seg_image_alloc(&conv, CLIP_W, CLIP_H, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(seg_image_convert(&yuv, &conv), SEG_OK);
    assert_true(mean_abs_diff(&conv, &rgb) < 2.5);
    seg_image_free(&conv);
    seg_image_free(&rgb);
    seg_image_free(&yuv);
}

static void test_source_yuv_matrix_range_and_conversion(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char tagged[PATH_MAX], jpeg[PATH_MAX], four22[PATH_MAX], raw_path[PATH_MAX];
    path_in_dir(tagged, sizeof(tagged), "bt709.mkv");
    path_in_dir(jpeg, sizeof(jpeg), "mjpeg.avi");
    path_in_dir(four22, sizeof(four22), "yuv422.mkv");
    path_in_dir(raw_path, sizeof(raw_path), "422to420.yuv");
    assert_int_equal(run_cmd("cd '%s' && ffmpeg -nostdin -v error -y -f lavfi -i "
                             "testsrc2=size=96x64:rate=5 -t 1 -c:v libx264 -pix_fmt yuv420p "
                             "-colorspace bt709 -color_primaries bt709 -color_trc bt709 '%s' && "
                             "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=5 "
                             "-t 1 -c:v mjpeg -pix_fmt yuvj420p '%s' && "
                             "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=5 "
                             "-t 1 -c:v ffv1 -pix_fmt yuv422p '%s' && "
                             "ffmpeg -nostdin -v error -y -i '%s' -frames:v 1 -f rawvideo "
                             "-pix_fmt yuv420p '%s'",
                             g_dir, tagged, jpeg, four22, four22, raw_path),
                     0);
    seg_image im = {0};
    first_frame(tagged, SEG_PIX_YUV420P, &im);
    assert_int_equal(im.matrix, SEG_YUV_BT709);
    assert_int_equal(im.full_range, 0);
    first_frame(jpeg, SEG_PIX_YUV420P, &im);
    assert_int_equal(im.matrix, SEG_YUV_BT601);
    assert_int_equal(im.full_range, 1);
    /* 4:2:2 becomes 4:2:0: luma exact, chroma within two levels on average
     * of FFmpeg's own conversion (its default filter is bicubic). */
    first_frame(four22, SEG_PIX_YUV420P, &im);
    assert_int_equal(im.format, SEG_PIX_YUV420P);
    size_t len = 0;
    unsigned char *raw = read_all(raw_path, &len);
    assert_int_equal(len, 96 * 64 * 3 / 2);
    for (int y = 0; y < 64; y++)
        assert_memory_equal(im.data + (size_t)y * im.stride, raw + (size_t)y * 96, 96);
    double sum = 0;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 48; x++)
            sum += abs(im.cb[(size_t)y * im.cstride + x] - raw[96 * 64 + y * 48 + x]);
    assert_true(sum / (32 * 48) <= 2.0); /* measured 1.13: bilinear against bicubic */
    free(raw);
    seg_image_free(&im);
    /* RGB and grey pictures become limited-range YUV, and the stream
     * description says the same range as the frames (the sink tags the
     * output with it): white is Y 235. JPEG-range YUV stays full. */
    char err[512];
    io_source *src = NULL;
    io_packet *pkt = NULL;
    io_source_opts o = {.pixfmt = SEG_PIX_YUV420P};
    const char *kinds[][3] = {{"bgr0", "ffv1", "0"}, {"gray", "ffv1", "0"},
                              {"yuvj420p", "mjpeg", "1"}};
    for (int k = 0; k < 3; k++) {
        char white[PATH_MAX];
        path_in_dir(white, sizeof(white), "white.mkv");
        assert_int_equal(run_cmd("ffmpeg -nostdin -v error -y -f lavfi -i color=white:size=64x48 "
                                 "-frames:v 1 -c:v %s -pix_fmt %s '%s'", kinds[k][1],
                                 kinds[k][0], white),
                         0);
        assert_int_equal(io_source_open(&src, white, &o, err, sizeof(err)), SEG_OK);
        assert_int_equal(io_source_read(src, &im, &pkt), IO_READ_VIDEO);
        int full = kinds[k][2][0] == '1';
        assert_int_equal(im.full_range, full);
        assert_int_equal(io_source_info(src)->full_range, full);
        assert_in_range(im.data[10 * im.stride + 10], full ? 254 : 235, full ? 255 : 235);
        assert_in_range(im.cb[5 * im.cstride + 5], 127, 129);
        io_source_close(&src);
    }
    seg_image_free(&im);
    /* Other output formats are refused. */
    o.pixfmt = SEG_PIX_GRAY8;
    assert_int_equal(io_source_open(&src, tagged, &o, err, sizeof(err)), SEG_ERR_INVALID);
}

static void test_sink_yuv_planes_go_in_unchanged(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char in[PATH_MAX], out[PATH_MAX], err[512], buf[128];
    path_in_dir(in, sizeof(in), "clip.mp4");
    path_in_dir(out, sizeof(out), "yuv_out.mkv");
    io_source *src = NULL;
    io_source_opts o = {.pixfmt = SEG_PIX_YUV420P};
    assert_int_equal(io_source_open(&src, in, &o, err, sizeof(err)), SEG_OK);
    io_sink_params p = params_from(io_source_info(src));
    p.yuv = 1;
    p.codec = "ffv1"; /* lossless: what goes in comes out */
    p.overwrite = 1;
    io_sink *snk = NULL;
    assert_int_equal(io_sink_open(&snk, out, &p, src, err, sizeof(err)), SEG_OK);
    seg_image frames[3] = {{0}}, rgb = {0};
    for (int i = 0; i < 3; i++) {
        io_packet *pkt = NULL;
        int r;
        while ((r = io_source_read(src, &frames[i], &pkt)) == IO_READ_AUDIO)
            io_packet_free(&pkt);
        assert_int_equal(r, IO_READ_VIDEO);
        assert_int_equal(io_sink_write_video(snk, &frames[i]), SEG_OK);
    }
    /* An RGB frame is refused by a YUV sink, and does not poison it. */
    assert_int_equal(seg_image_alloc(&rgb, CLIP_W, CLIP_H, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(io_sink_write_video(snk, &rgb), SEG_ERR_INVALID);
    assert_non_null(strstr(io_sink_last_error(snk), "expected 320x240 yuv420p"));
    seg_image_free(&rgb);
    assert_int_equal(io_sink_finish(snk), SEG_OK);
    io_sink_close(&snk);
    io_source_close(&src);

    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams v:0 "
                              "-show_entries stream=pix_fmt,color_range -of csv=p=0 '%s'", out),
                     0);
    assert_string_equal(buf, "yuv420p,tv");
    /* Read back: the same planes, byte for byte. */
    o.pixfmt = SEG_PIX_YUV420P;
    assert_int_equal(io_source_open(&src, out, &o, err, sizeof(err)), SEG_OK);
    seg_image back = {0};
    for (int i = 0; i < 3; i++) {
        io_packet *pkt = NULL;
        assert_int_equal(io_source_read(src, &back, &pkt), IO_READ_VIDEO);
        for (int y = 0; y < CLIP_H; y++)
            assert_memory_equal(back.data + (size_t)y * back.stride,
                                frames[i].data + (size_t)y * frames[i].stride, CLIP_W);
        for (int y = 0; y < CLIP_H / 2; y++) {
            assert_memory_equal(back.cb + (size_t)y * back.cstride,
                                frames[i].cb + (size_t)y * frames[i].cstride, CLIP_W / 2);
            assert_memory_equal(back.cr + (size_t)y * back.cstride,
                                frames[i].cr + (size_t)y * frames[i].cstride, CLIP_W / 2);
        }
        seg_image_free(&frames[i]);
    }
    seg_image_free(&back);
    io_source_close(&src);

    /* Without a source the frames' own matrix is the tag (here BT.709,
     * full range), and an x264 sink gets it too. */
    path_in_dir(out, sizeof(out), "yuv_tags.mp4");
    io_sink_params q = {.width = 64, .height = 48, .time_base_num = 1, .time_base_den = 25,
                        .yuv = 1, .matrix = SEG_YUV_BT709, .full_range = 1, .overwrite = 1};
    assert_int_equal(io_sink_open(&snk, out, &q, NULL, err, sizeof(err)), SEG_OK);
    seg_image im = {0};
    assert_int_equal(seg_image_alloc(&im, 64, 48, SEG_PIX_YUV420P), SEG_OK);
    im.matrix = SEG_YUV_BT709;
    im.full_range = 1;
    for (int i = 0; i < 3; i++) {
        im.pts = i;
        assert_int_equal(io_sink_write_video(snk, &im), SEG_OK);
    }
    io_sink_close(&snk);
    seg_image_free(&im);
    assert_int_equal(read_cmd(buf, sizeof(buf), "ffprobe -v error -select_streams v:0 "
                              "-show_entries stream=pix_fmt,color_range,color_space -of "
                              "csv=p=0 '%s'", out),
                     0);
    assert_string_equal(buf, "yuvj420p,pc,bt709");
}

static void test_scaler_yuv_to_rgb_matches_rgb_path(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "clip.mp4");
    seg_image yuv = {0}, rgb = {0}, a = {0}, b = {0};
    first_frame(path, SEG_PIX_YUV420P, &yuv);
    first_frame(path, SEG_PIX_RGB24, &rgb);
    io_scaler *sy = NULL, *sr = NULL;
    assert_int_equal(io_scaler_create_fmt(&sy, CLIP_W, CLIP_H, SEG_PIX_YUV420P, 128, 96,
                                          SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(io_scaler_create(&sr, CLIP_W, CLIP_H, 128, 96), SEG_OK);
    assert_int_equal(io_scaler_run(sy, &yuv, &a), SEG_OK);
    assert_int_equal(io_scaler_run(sr, &rgb, &b), SEG_OK);
    assert_int_equal(a.format, SEG_PIX_RGB24);
    assert_true(mean_abs_diff(&a, &b) < 2.0);
    /* The scaler takes only its own source format. */
    assert_int_equal(io_scaler_run(sy, &rgb, &a), SEG_ERR_INVALID);
    io_scaler_free(&sy);
    /* 4:2:0 -> 4:4:4 at the small size, then RGB by table (the pipeline's
     * model input): the same picture again. */
    seg_image q = {0};
    assert_int_equal(io_scaler_create_fmt(&sy, CLIP_W, CLIP_H, SEG_PIX_YUV420P, 128, 96,
                                          SEG_PIX_YUV444P), SEG_OK);
    assert_int_equal(io_scaler_run(sy, &yuv, &q), SEG_OK);
    assert_int_equal(q.format, SEG_PIX_YUV444P);
    assert_int_equal(q.matrix, yuv.matrix);
    seg_yuv_tables tab;
    seg_yuv_tables_init(&tab, q.matrix, q.full_range);
    for (int y = 0; y < 96; y++)
        for (int x = 0; x < 128; x++)
            seg_yuv_pixel(&tab, q.data[(size_t)y * q.stride + x], q.cb[(size_t)y * q.cstride + x],
                          q.cr[(size_t)y * q.cstride + x], a.data + (size_t)y * a.stride + 3 * x);
    assert_true(mean_abs_diff(&a, &b) < 2.0);
    seg_image_free(&q);
    io_scaler_free(&sy);
    /* YUV -> YUV keeps the matrix and range. */
    yuv.matrix = SEG_YUV_BT709;
    seg_image c = {0};
    assert_int_equal(io_scaler_create_fmt(&sy, CLIP_W, CLIP_H, SEG_PIX_YUV420P, 160, 120,
                                          SEG_PIX_YUV420P), SEG_OK);
    assert_int_equal(io_scaler_run(sy, &yuv, &c), SEG_OK);
    assert_int_equal(c.matrix, SEG_YUV_BT709);
    assert_non_null(c.cb);
    io_scaler_free(&sr);
    assert_int_equal(io_scaler_create_fmt(&sr, 8, 8, SEG_PIX_GRAY8, 4, 4, SEG_PIX_RGB24),
                     SEG_ERR_INVALID);
    io_scaler_free(&sy);
    io_scaler_free(&sr);
    seg_image_free(&a);
    seg_image_free(&b);
    seg_image_free(&c);
    seg_image_free(&yuv);
    seg_image_free(&rgb);
}

/* The tent filter of io_resample.c in double precision, one plane: the
 * reference the scaler's 4:2:0 -> 4:4:4 path must match within a level. */
static double tent_sample(const uint8_t *p, int stride, int w, int h, double cx, double cy,
                          double rx, double ry)
{
    double sum = 0.0, wsum = 0.0;
    for (int j = (int)floor(cy - ry) + 1; j < cy + ry; j++)
        for (int i = (int)floor(cx - rx) + 1; i < cx + rx; i++) {
            double wt = (1.0 - fabs(i - cx) / rx) * (1.0 - fabs(j - cy) / ry);
            if (wt <= 0.0)
                continue;
            int x = i < 0 ? 0 : (i >= w ? w - 1 : i), y = j < 0 ? 0 : (j >= h ? h - 1 : j);
            sum += wt * p[(size_t)y * stride + x];
            wsum += wt;
        }
    return sum / wsum;
}

/* Largest difference between a 4:4:4 result and the reference, over all
 * three planes (chroma centred on its 2x2 block: half the luma's scale). */
static int resample_error(const seg_image *src, const seg_image *dst)
{
    double sx = (double)src->width / dst->width, sy = (double)src->height / dst->height;
    int worst = 0;
    for (int k = 0; k < 3; k++) {
        const uint8_t *p = k == 0 ? src->data : k == 1 ? src->cb : src->cr;
        const uint8_t *q = k == 0 ? dst->data : k == 1 ? dst->cb : dst->cr;
        int stride = k ? src->cstride : src->stride, qs = k ? dst->cstride : dst->stride;
        int w = k ? seg_chroma_w(src->width) : src->width;
        int h = k ? seg_chroma_h(src->height) : src->height;
        double fx = k ? sx / 2 : sx, fy = k ? sy / 2 : sy;
        for (int j = 0; j < dst->height; j++)
            for (int i = 0; i < dst->width; i++) {
                double ref = tent_sample(p, stride, w, h, (i + 0.5) * fx - 0.5,
                                         (j + 0.5) * fy - 0.5, fx > 1 ? fx : 1, fy > 1 ? fy : 1);
                int d = abs(q[(size_t)j * qs + i] - (int)lrint(ref));
                worst = d > worst ? d : worst;
            }
    }
    return worst;
}

static void test_scaler_420_to_444_matches_reference(void **state)
{
    (void)state;
    /* Shrinking (5:1 and 2.8:1 like 720p to 256x256), growing, odd sizes,
     * 8:1 (the most the integer path takes) and beyond (swscale then:
     * the same filter, within a few levels). */
    static const int sizes[][4] = {{1280, 720, 256, 256}, {160, 120, 256, 256},
                                   {161, 121, 97, 55},   {2048, 64, 256, 8},
                                   {33, 17, 33, 17},     {4000, 90, 256, 9}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int sw = sizes[k][0], sh = sizes[k][1], dw = sizes[k][2], dh = sizes[k][3];
        seg_image src = {0}, dst = {0};
        assert_int_equal(seg_image_alloc(&src, sw, sh, SEG_PIX_YUV420P), SEG_OK);
        /* Texture and hard edges in every plane. */
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                src.data[(size_t)y * src.stride + x] =
                    (uint8_t)(((x / 7 + y / 5) % 2) * 180 + (x * 13 + y * 7) % 60);
        for (int y = 0; y < seg_chroma_h(sh); y++)
            for (int x = 0; x < seg_chroma_w(sw); x++) {
                src.cb[(size_t)y * src.cstride + x] = (uint8_t)(x * 255 / seg_chroma_w(sw));
                src.cr[(size_t)y * src.cstride + x] = (uint8_t)((x ^ y) & 1 ? 40 : 220);
            }
        src.matrix = SEG_YUV_BT709;
        src.pts = 99;
        io_scaler *sc = NULL;
        assert_int_equal(io_scaler_create_fmt(&sc, sw, sh, SEG_PIX_YUV420P, dw, dh,
                                              SEG_PIX_YUV444P), SEG_OK);
        assert_int_equal(io_scaler_run(sc, &src, &dst), SEG_OK);
        assert_int_equal(dst.format, SEG_PIX_YUV444P);
        assert_int_equal(dst.matrix, SEG_YUV_BT709);
        assert_int_equal(dst.pts, 99);
        int err = resample_error(&src, &dst);
        int swscale = (double)sw / dw > 8.0 || (double)sh / dh > 8.0;
        printf("# %dx%d -> %dx%d: max %d level(s) from the reference%s\n", sw, sh, dw, dh, err,
               swscale ? " (swscale)" : "");
        assert_true(err <= (swscale ? 3 : 1));
        io_scaler_free(&sc);
        seg_image_free(&src);
        seg_image_free(&dst);
    }
}

static void test_png_of_a_yuv_picture(void **state)
{
    (void)state;
    REQUIRE_FFMPEG();
    char path[PATH_MAX], out[PATH_MAX], err[512];
    path_in_dir(path, sizeof(path), "clip.mp4");
    path_in_dir(out, sizeof(out), "yuv.png");
    seg_image yuv = {0}, want = {0}, back = {0};
    first_frame(path, SEG_PIX_YUV420P, &yuv);
    assert_int_equal(io_png_save(out, &yuv, err, sizeof(err)), SEG_OK);
    assert_int_equal(seg_image_alloc(&want, CLIP_W, CLIP_H, SEG_PIX_RGB24), SEG_OK);
    assert_int_equal(seg_image_convert(&yuv, &want), SEG_OK);
    assert_int_equal(io_image_load(out, &back, err, sizeof(err)), SEG_OK);
    assert_int_equal(back.width, CLIP_W);
    assert_true(mean_abs_diff(&back, &want) == 0.0); /* PNG is lossless */
    seg_image_free(&back);
    seg_image_free(&want);
    seg_image_free(&yuv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_clip_all_frames_in_order),
        cmocka_unit_test(test_source_without_audio_returns_only_video),
        cmocka_unit_test(test_source_missing_file_is_io_error),
        cmocka_unit_test(test_source_not_video_is_bad_input),
        cmocka_unit_test(test_source_bad_arguments),
        cmocka_unit_test(test_source_from_memory_reads_like_a_file),
        cmocka_unit_test(test_source_truncated_ends_cleanly),
        cmocka_unit_test(test_source_corrupt_middle_keeps_going),
        cmocka_unit_test(test_source_size_change_mid_stream),
        cmocka_unit_test_setup_teardown(test_source_decode_errors_are_warnings, reset_injection,
                                        reset_injection),
        cmocka_unit_test_setup_teardown(test_source_other_decode_errors_are_fatal,
                                        reset_injection, reset_injection),
        cmocka_unit_test_setup_teardown(test_source_synthesises_missing_pts, reset_injection,
                                        reset_injection),
        cmocka_unit_test(test_source_lavfi_is_live),
        cmocka_unit_test(test_source_dead_server_times_out),
        cmocka_unit_test(test_sink_round_trip_keeps_frames_audio_timing),
        cmocka_unit_test(test_sink_drops_audio_after_a_codec_change),
        cmocka_unit_test(test_sink_output_starts_at_zero),
        cmocka_unit_test(test_sink_strict_encoder_gets_its_time_base),
        cmocka_unit_test(test_sink_drops_audio_the_container_cannot_hold),
        cmocka_unit_test(test_sink_colours_match_ffmpeg),
        cmocka_unit_test(test_sink_odd_size_is_cropped_to_even),
        cmocka_unit_test(test_sink_existing_file_refused_without_overwrite),
        cmocka_unit_test(test_sink_unwritable_place_is_io_error),
        cmocka_unit_test(test_sink_refuses_to_overwrite_its_input),
        cmocka_unit_test(test_sink_full_disk_is_io_error),
        cmocka_unit_test(test_scaler_gradient_corners),
        cmocka_unit_test(test_source_yuv_is_the_decoded_planes),
        cmocka_unit_test(test_source_yuv_matrix_range_and_conversion),
        cmocka_unit_test(test_sink_yuv_planes_go_in_unchanged),
        cmocka_unit_test(test_scaler_yuv_to_rgb_matches_rgb_path),
        cmocka_unit_test(test_scaler_420_to_444_matches_reference),
        cmocka_unit_test(test_png_of_a_yuv_picture),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
