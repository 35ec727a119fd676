/* test_files.c - files as people have them (issue 14): phone clips stored
 * sideways with a display matrix, non-square pixels, pipes at both ends,
 * and the command line's messages.
 *
 * The orientation cases make their clips here: an upright clip, the same
 * pictures stored turned or mirrored (ffmpeg's transpose/flip filters,
 * lossless), and a display matrix written into the container with
 * libavformat (Debian 12's ffmpeg 5.1 has no -display_rotation option, and
 * its -metadata rotate= no longer reaches the muxer). ffmpeg itself is the
 * reference: its autorotate must show each tagged clip as the upright one
 * before segstream's reading is compared with it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/display.h>

#include "io.h"
#include "test_proc.h"

#define BIN SEG_BINARY_DIR "/segstream"
#define MODEL SEG_SOURCE_DIR "/models/selfie_segmentation.tflite"
#define VTEST SEG_SOURCE_DIR "/samples/vtest.avi"
#define MESSI SEG_SOURCE_DIR "/samples/messi5.jpg"
#define DEEPLAB SEG_SOURCE_DIR "/../shared/models/deeplabv3_257_mv_gpu.tflite"

static char dir[256];
static char log_path[300];

/* Run segstream with args (a shell command line); stdout and stderr into
 * log_path. */
static int seg(const char *args)
{
    return tp_sh("timeout -k 10 300 %s %s >%s 2>&1 </dev/null", BIN, args, log_path);
}

static int log_contains(const char *needle)
{
    char buf[16384];
    tp_read_file(log_path, buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# log does not contain '%s':\n%s\n", needle, buf);
        return 0;
    }
    return 1;
}

static int log_contains_file(const char *path, const char *needle)
{
    char buf[16384];
    tp_read_file(path, buf, sizeof buf);
    if (!strstr(buf, needle)) {
        fprintf(stderr, "# %s does not contain '%s':\n%s\n", path, needle, buf);
        return 0;
    }
    return 1;
}

/* Whole file into a malloc'ed buffer; NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
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

/* ==== clips with a display matrix ========================================== */

/* Copy every stream of @p in into @p out (a .mov/.mp4) without decoding,
 * giving the video stream a display matrix that turns it @p cw degrees
 * clockwise for display and then mirrors it (@p hflip, @p vflip, as
 * av_display_matrix_flip). 0 on success. */
static int tag_orientation(const char *in, const char *out, int cw, int hflip, int vflip)
{
    AVFormatContext *ic = NULL, *oc = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = -1;
    if (!pkt || avformat_open_input(&ic, in, NULL, NULL) < 0 ||
        avformat_find_stream_info(ic, NULL) < 0 ||
        avformat_alloc_output_context2(&oc, NULL, NULL, out) < 0)
        goto end;
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *is = ic->streams[i], *os = avformat_new_stream(oc, NULL);
        if (!os || avcodec_parameters_copy(os->codecpar, is->codecpar) < 0)
            goto end;
        os->codecpar->codec_tag = 0;
        os->time_base = is->time_base;
        os->sample_aspect_ratio = is->sample_aspect_ratio;
        if (is->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            int32_t *m = (int32_t *)av_stream_new_side_data(os, AV_PKT_DATA_DISPLAYMATRIX,
                                                            9 * sizeof(int32_t));
            if (!m)
                goto end;
            /* FFmpeg reads the clockwise turn as -av_display_rotation_get(),
             * and av_display_rotation_get(av_display_rotation_set(a)) is -a. */
            av_display_rotation_set(m, cw);
            av_display_matrix_flip(m, hflip, vflip);
        }
    }
    if (avio_open(&oc->pb, out, AVIO_FLAG_WRITE) < 0 || avformat_write_header(oc, NULL) < 0)
        goto end;
    while (av_read_frame(ic, pkt) >= 0) {
        AVStream *is = ic->streams[pkt->stream_index], *os = oc->streams[pkt->stream_index];
        av_packet_rescale_ts(pkt, is->time_base, os->time_base);
        pkt->pos = -1;
        if (av_interleaved_write_frame(oc, pkt) < 0)
            goto end;
    }
    ret = av_write_trailer(oc) < 0 ? -1 : 0;
end:
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    if (oc) {
        avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    return ret;
}

/* The eight orientations: how the upright pictures are stored (an ffmpeg
 * filter), and the matrix that shows them upright again. */
typedef struct orientation {
    const char *name;
    const char *store;  /* -vf that turns upright into stored */
    int cw, hflip, vflip;
} orientation;

static const orientation ORIENTATIONS[] = {
    {"rot90", "transpose=cclock", 90, 0, 0},      /* a phone held upright */
    {"rot180", "hflip,vflip", 180, 0, 0},
    {"rot270", "transpose=clock", 270, 0, 0},
    {"hflip", "hflip", 0, 1, 0},                  /* a selfie camera's mirror */
    {"vflip", "vflip", 0, 0, 1},
    {"transpose", "transpose=cclock_flip", 90, 1, 0},
    {"antitranspose", "transpose=clock_flip", 270, 1, 0},
    {"rot0", "null", 0, 0, 0},
};
#define N_ORIENT (sizeof ORIENTATIONS / sizeof ORIENTATIONS[0])

/* @p upright stored as @p o says (lossless x264 4:2:0, or PNG in MOV with
 * @p rgb) and tagged: dir/NAME.mov. */
static int make_stored(const char *upright, const orientation *o, int rgb, char *out,
                       size_t size)
{
    char raw[320];
    snprintf(raw, sizeof raw, "%s/%s_%s_untagged.mov", dir, o->name, rgb ? "rgb" : "yuv");
    snprintf(out, size, "%s/%s_%s.mov", dir, o->name, rgb ? "rgb" : "yuv");
    if (tp_sh("ffmpeg -v error -y -i %s -vf %s %s %s", upright, o->store,
              rgb ? "-c:v png -pix_fmt rgb24"
                  : "-c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p",
              raw))
        return -1;
    return tag_orientation(raw, out, o->cw, o->hflip, o->vflip);
}

/* Every frame of @p path through io_source (pixel format @p f, orientation
 * @p orient) into one buffer of packed planes; the frame size in *w, *h. */
static uint8_t *read_frames(const char *path, seg_pixfmt f, io_orient orient, size_t *len,
                            int *w, int *h)
{
    io_source *src = NULL;
    char err[512];
    io_source_opts so = {.pixfmt = f, .orient = orient};
    if (io_source_open(&src, path, &so, err, sizeof err)) {
        fprintf(stderr, "# %s\n", err);
        return NULL;
    }
    seg_image img = {0};
    uint8_t *buf = NULL;
    size_t n = 0;
    int st;
    while ((st = io_source_read(src, &img, NULL)) == IO_READ_VIDEO) {
        int cw = seg_chroma_w(img.width), ch = seg_chroma_h(img.height);
        int bpp = seg_pixfmt_bpp(img.format);
        size_t frame = (size_t)img.width * img.height * bpp +
                       (f == SEG_PIX_YUV420P ? 2 * (size_t)cw * ch : 0);
        uint8_t *b = realloc(buf, n + frame);
        if (!b)
            break;
        buf = b;
        for (int y = 0; y < img.height; y++, n += (size_t)img.width * bpp)
            memcpy(buf + n, img.data + (size_t)y * img.stride, (size_t)img.width * bpp);
        for (int p = 0; f == SEG_PIX_YUV420P && p < 2; p++)
            for (int y = 0; y < ch; y++, n += (size_t)cw)
                memcpy(buf + n, (p ? img.cr : img.cb) + (size_t)y * img.cstride, (size_t)cw);
        *w = img.width;
        *h = img.height;
    }
    seg_image_free(&img);
    io_source_close(&src);
    *len = n;
    return buf;
}

/* ffmpeg's own reading of @p path (autorotate on), as raw frames. */
static uint8_t *ffmpeg_frames(const char *path, seg_pixfmt f, size_t *len)
{
    char raw[320];
    snprintf(raw, sizeof raw, "%s/ffmpeg.raw", dir);
    if (tp_sh("ffmpeg -v error -y -i %s -fps_mode passthrough -f rawvideo -pix_fmt %s %s", path,
              f == SEG_PIX_YUV420P ? "yuv420p" : "rgb24", raw))
        return NULL;
    return slurp(raw, len);
}

/* Three frames of 96x64 test pattern, PNG in MOV (@p rgb) or lossless
 * x264 4:2:0: dir/upright_small_RGB.mov. */
static int make_upright_small(int rgb, char *path, size_t size)
{
    snprintf(path, size, "%s/upright_small_%d.mov", dir, rgb);
    return tp_sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=96x64:rate=10 -frames:v 3 %s %s",
                 rgb ? "-c:v png -pix_fmt rgb24"
                     : "-c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p", path);
}

/* Every orientation, RGB and 4:2:0 frames: the source gives exactly the
 * pictures ffmpeg's autorotate gives, which are the upright clip's. */
static void test_source_turns_like_ffmpeg(void **state)
{
    (void)state;
    char upright[300];
    /* Not symmetric in any direction: a turn or a mirror shows. RGB frames
     * from PNG, 4:2:0 frames from lossless x264 (converting after the turn
     * would subsample the chroma differently from ffmpeg, which turns first). */
    for (int rgb = 0; rgb < 2; rgb++) {
        seg_pixfmt f = rgb ? SEG_PIX_RGB24 : SEG_PIX_YUV420P;
        assert_int_equal(make_upright_small(rgb, upright, sizeof upright), 0);
        size_t ulen = 0, flen = 0, slen = 0;
        int uw = 0, uh = 0, sw = 0, sh = 0;
        uint8_t *up = read_frames(upright, f, IO_ORIENT_AUTO, &ulen, &uw, &uh);
        assert_non_null(up);
        assert_int_equal(uw, 96);
        assert_int_equal(uh, 64);
        for (size_t i = 0; i < N_ORIENT; i++) {
            const orientation *o = &ORIENTATIONS[i];
            char stored[320];
            assert_int_equal(make_stored(upright, o, rgb, stored, sizeof stored), 0);
            /* The clip is right: ffmpeg shows it upright. */
            uint8_t *ff = ffmpeg_frames(stored, f, &flen);
            assert_non_null(ff);
            assert_int_equal(flen, ulen);
            if (memcmp(ff, up, ulen) != 0)
                fail_msg("%s: ffmpeg does not show the tagged clip upright", o->name);
            /* And so does the source. */
            uint8_t *ours = read_frames(stored, f, IO_ORIENT_AUTO, &slen, &sw, &sh);
            assert_non_null(ours);
            assert_int_equal(sw, 96);
            assert_int_equal(sh, 64);
            assert_int_equal(slen, ulen);
            if (memcmp(ours, up, ulen) != 0)
                fail_msg("%s (%s): the source's frames are not upright", o->name,
                         rgb ? "rgb24" : "yuv420p");
            free(ours);
            /* --no-autorotate: as stored, which differs unless nothing was done. */
            ours = read_frames(stored, f, IO_ORIENT_NONE, &slen, &sw, &sh);
            assert_non_null(ours);
            assert_int_equal(slen, ulen);
            if (strcmp(o->name, "rot0") != 0)
                assert_int_not_equal(memcmp(ours, up, ulen), 0);
            free(ours);
            free(ff);
        }
        free(up);
    }
}

/* The source says what it does, and --rotate N replaces the matrix. */
static void test_source_reports_and_forced_turns(void **state)
{
    (void)state;
    char upright[300], stored[320], err[512];
    assert_int_equal(make_upright_small(1, upright, sizeof upright), 0);
    assert_int_equal(make_stored(upright, &ORIENTATIONS[0], 1, stored, sizeof stored), 0);
    static const struct {
        io_orient o;
        int w, h, rotation, flip;
    } cases[] = {
        {IO_ORIENT_AUTO, 96, 64, 90, 0}, {IO_ORIENT_NONE, 64, 96, 0, 0},
        {IO_ORIENT_0, 64, 96, 0, 0},     {IO_ORIENT_90, 96, 64, 90, 0},
        {IO_ORIENT_180, 64, 96, 180, 0}, {IO_ORIENT_270, 96, 64, 270, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        io_source *src = NULL;
        io_source_opts so = {.orient = cases[i].o};
        assert_int_equal(io_source_open(&src, stored, &so, err, sizeof err), 0);
        const io_video_info *in = io_source_info(src);
        assert_int_equal(in->width, cases[i].w);
        assert_int_equal(in->height, cases[i].h);
        assert_int_equal(in->stored_width, 64);
        assert_int_equal(in->stored_height, 96);
        assert_int_equal(in->rotation, cases[i].rotation);
        assert_int_equal(in->flip, cases[i].flip);
        seg_image img = {0};
        assert_int_equal(io_source_read(src, &img, NULL), IO_READ_VIDEO);
        assert_int_equal(img.width, cases[i].w);
        assert_int_equal(img.height, cases[i].h);
        seg_image_free(&img);
        io_source_close(&src);
    }
    /* --rotate 270 on a clip stored turned left is upside down from --rotate 90. */
    size_t a = 0, b = 0;
    int w, h;
    uint8_t *r90 = read_frames(stored, SEG_PIX_RGB24, IO_ORIENT_90, &a, &w, &h);
    uint8_t *r270 = read_frames(stored, SEG_PIX_RGB24, IO_ORIENT_270, &b, &w, &h);
    assert_non_null(r90);
    assert_non_null(r270);
    assert_int_equal(a, b);
    size_t frame = (size_t)w * h * 3;
    for (size_t p = 0; p < (size_t)w * h; p++) /* pixel p is pixel n-1-p of the other */
        if (memcmp(r90 + 3 * p, r270 + frame - 3 * (p + 1), 3) != 0)
            fail_msg("--rotate 90 and 270 are not 180 degrees apart at pixel %zu", p);
    free(r90);
    free(r270);
    /* Out of range. */
    io_source *src = NULL;
    io_source_opts bad = {.orient = IO_ORIENT_COUNT};
    assert_int_equal(io_source_open(&src, stored, &bad, err, sizeof err), SEG_ERR_INVALID);
}

/* Non-square pixels: a clip of half the width with pixels twice as wide is
 * read at the full width, close to the square-pixel original; as stored
 * with --no-autorotate. */
static void test_source_makes_pixels_square(void **state)
{
    (void)state;
    char square[300], wide[300], err[512];
    snprintf(square, sizeof square, "%s/square.mov", dir);
    snprintf(wide, sizeof wide, "%s/wide_pixels.mov", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=192x96:rate=10 "
                           "-frames:v 2 -c:v png -pix_fmt rgb24 %s", square), 0);
    assert_int_equal(tp_sh("ffmpeg -v error -y -i %s -vf scale=96:96,setsar=2 -c:v png "
                           "-pix_fmt rgb24 %s", square, wide), 0);
    io_source *src = NULL;
    io_source_opts so = {0};
    assert_int_equal(io_source_open(&src, wide, &so, err, sizeof err), 0);
    const io_video_info *in = io_source_info(src);
    assert_int_equal(in->stored_sar_num, 2);
    assert_int_equal(in->stored_sar_den, 1);
    assert_int_equal(in->width, 192);
    assert_int_equal(in->height, 96);
    assert_int_equal(in->sar_num, 1);
    assert_int_equal(in->sar_den, 1);
    assert_true(in->squared);
    io_source_close(&src);

    size_t a = 0, b = 0;
    int w = 0, h = 0;
    uint8_t *ours = read_frames(wide, SEG_PIX_RGB24, IO_ORIENT_AUTO, &a, &w, &h);
    uint8_t *orig = read_frames(square, SEG_PIX_RGB24, IO_ORIENT_AUTO, &b, &w, &h);
    assert_non_null(ours);
    assert_non_null(orig);
    assert_int_equal(a, b);
    double sum = 0;
    for (size_t i = 0; i < a; i++)
        sum += abs((int)ours[i] - (int)orig[i]);
    /* Half the columns are gone and interpolated back: testsrc2's sharp
     * edges leave some error, a squeezed picture far more. */
    assert_true(sum / (double)a < 12.0);
    free(ours);
    free(orig);

    so.orient = IO_ORIENT_NONE;
    assert_int_equal(io_source_open(&src, wide, &so, err, sizeof err), 0);
    in = io_source_info(src);
    assert_int_equal(in->width, 96);
    assert_int_equal(in->sar_num, 2);
    assert_false(in->squared);
    io_source_close(&src);
}

/* ==== end to end: masks of a phone clip =================================== */

/* Four frames of the pedestrians at 384x288, x264 lossless (turned copies
 * hold the same pixels): dir/people.mov, made once. */
static int make_people(char *path, size_t size)
{
    snprintf(path, size, "%s/people.mov", dir);
    if (access(path, R_OK) == 0)
        return 0;
    return tp_sh("ffmpeg -v error -y -i %s -frames:v 4 -vf scale=384:288 -c:v libx264 -qp 0 "
                 "-preset ultrafast -pix_fmt yuv420p %s", VTEST, path);
}

/* Dump the masks of segstream's run on @p in into dir/NAME/, and the video
 * into dir/NAME.mkv. 0 when it ran. */
static int masks_of(const char *in, const char *name, const char *extra)
{
    char args[1400];
    snprintf(args, sizeof args, "%s -m %s --mode mask -q -y -t 1 --workers 1 "
             "--dump-frames %s/%s -o %s/%s.mkv %s", in, MODEL, dir, name, dir, name, extra);
    return seg(args);
}

/* The share of a grey picture's pixels above 127; -1 if it cannot be read. */
static double white_share(const char *path)
{
    char raw[320];
    size_t n = 0, white = 0;
    snprintf(raw, sizeof raw, "%s/white.raw", dir);
    if (tp_sh("ffmpeg -v error -y -i %s -f rawvideo -pix_fmt gray %s", path, raw))
        return -1;
    uint8_t *b = slurp(raw, &n);
    if (!b || n == 0) {
        free(b);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        white += b[i] > 127;
    free(b);
    return (double)white / (double)n;
}

static int same_file(const char *a, const char *b)
{
    return tp_sh("cmp -s %s %s", a, b) == 0;
}

/* The pedestrians clip stored in each orientation: the masks are the
 * upright clip's, byte for byte, the output is upright and carries no
 * rotation; --no-autorotate gives the sideways picture. */
static void test_phone_clip_masks_match_upright(void **state)
{
    (void)state;
    char upright[300], a[400], b[400], line[256];
    assert_int_equal(make_people(upright, sizeof upright), 0);
    assert_int_equal(masks_of(upright, "up", ""), 0);
    /* The model finds people here, so the comparison means something. */
    snprintf(a, sizeof a, "%s/up/mask_000003.png", dir);
    assert_true(white_share(a) > 0.002);
    const size_t cases[] = {0, 1, 2, 3, 5}; /* each turn, a mirror, a transpose */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const orientation *o = &ORIENTATIONS[cases[k]];
        char stored[320];
        assert_int_equal(make_stored(upright, o, 0, stored, sizeof stored), 0);
        assert_int_equal(masks_of(stored, o->name, ""), 0);
        for (int i = 0; i < 4; i++) {
            snprintf(a, sizeof a, "%s/up/mask_%06d.png", dir, i);
            snprintf(b, sizeof b, "%s/%s/mask_%06d.png", dir, o->name, i);
            if (!same_file(a, b))
                fail_msg("%s: mask %d differs from the upright clip's", o->name, i);
        }
        snprintf(a, sizeof a, "%s/%s.mkv", dir, o->name);
        int w = 0, h = 0;
        assert_int_equal(tp_video_size(a, &w, &h), 0);
        assert_int_equal(w, 384);
        assert_int_equal(h, 288);
        assert_int_equal(tp_probe(line, sizeof line, "-select_streams v -show_entries "
                                  "stream_side_data=rotation -of csv=p=0 %s", a), 0);
        assert_string_equal(line, "");
    }
    /* As stored: sideways, and the model saw another picture. */
    char stored[320];
    assert_int_equal(make_stored(upright, &ORIENTATIONS[0], 0, stored, sizeof stored), 0);
    assert_int_equal(masks_of(stored, "asis", "--no-autorotate"), 0);
    int w = 0, h = 0;
    snprintf(a, sizeof a, "%s/asis.mkv", dir);
    assert_int_equal(tp_video_size(a, &w, &h), 0);
    assert_int_equal(w, 288);
    assert_int_equal(h, 384);
    /* --rotate 90 on the sideways clip is the automatic turn. */
    assert_int_equal(masks_of(stored, "forced", "--rotate 90"), 0);
    snprintf(a, sizeof a, "%s/up/mask_000002.png", dir);
    snprintf(b, sizeof b, "%s/forced/mask_000002.png", dir);
    assert_true(same_file(a, b));
    /* Bad values are usage errors naming what is allowed. */
    assert_int_equal(masks_of(stored, "bad", "--rotate 45"), 2);
    assert_true(log_contains("auto, 0, 90, 180 or 270"));
    assert_int_equal(masks_of(stored, "bad", "--rotate 90 --no-autorotate"), 2);
}

/* ==== pipes ================================================================ */

/* ffmpeg | segstream - -o - | ffprobe -: every frame through, and nothing
 * but the stream on stdout (the summary, even --json, is on stderr). */
static void test_pipes_at_both_ends(void **state)
{
    (void)state;
    char out[300], errp[300], buf[16384], line[256], people[300];
    assert_int_equal(make_people(people, sizeof people), 0);
    snprintf(out, sizeof out, "%s/piped.out", dir);
    snprintf(errp, sizeof errp, "%s/piped.err", dir);
    /* One shell pipeline, both ends: ffprobe counts what comes out. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i "
                           "testsrc2=size=320x240:rate=25 -frames:v 20 -f nut - | %s - -m %s "
                           "-o - -f nut 2>%s | ffprobe -v error -count_frames -show_entries "
                           "stream=nb_read_frames,width,height -of csv=p=0 - >%s",
                           BIN, MODEL, errp, out), 0);
    tp_read_file(out, line, sizeof line);
    assert_string_equal(line, "320,240,20\n");
    tp_read_file(errp, buf, sizeof buf);
    assert_non_null(strstr(buf, "segstream: wrote the stream to the pipe: 20 frames"));

    /* No -f: nut; --json goes to stderr too; the stream file holds no text. */
    assert_int_equal(tp_sh("ffmpeg -v error -f lavfi -i testsrc2=size=160x120:rate=25 "
                           "-frames:v 8 -f nut - | %s - -m %s -o - --json >%s 2>%s", BIN, MODEL,
                           out, errp), 0);
    assert_int_equal(tp_probe(line, sizeof line, "-show_entries format=format_name -of "
                              "csv=p=0 %s", out), 0);
    assert_string_equal(line, "nut");
    assert_int_equal(tp_video_frames(out), 8);
    assert_int_not_equal(tp_sh("grep -a -q -e 'segstream' -e '\"fps\"' %s", out), 0);
    tp_read_file(errp, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"fps\":"));

    /* pipe:1 with -f mpegts, -q: MPEG-TS packets from the first byte. */
    assert_int_equal(tp_sh("%s %s -m %s -o pipe:1 -f mpegts -q >%s 2>%s", BIN, people, MODEL,
                           out, errp), 0);
    size_t n = 0;
    uint8_t *ts = slurp(out, &n);
    assert_non_null(ts);
    assert_true(n >= 188 * 4 && n % 188 == 0);
    for (size_t i = 0; i < n; i += 188)
        assert_int_equal(ts[i], 0x47);
    free(ts);
    assert_int_equal(tp_video_frames(out), 4);

    /* A reader that leaves early: an output error (exit 5), said on stderr. */
    char rcp[300];
    snprintf(rcp, sizeof rcp, "%s/piped.rc", dir);
    assert_int_equal(tp_sh("{ %s %s -m %s -o - -q -n 40 2>%s; echo $? >%s; } | head -c 100 "
                           ">/dev/null", BIN, VTEST, MODEL, errp, rcp), 0);
    tp_read_file(rcp, line, sizeof line);
    assert_string_equal(line, "5\n");
    assert_true(log_contains_file(errp, "Broken pipe"));
}

/* ==== alpha for editors, pictures ========================================== */

/* The alpha plane of every frame of @p path as decoded by ffmpeg (@p dec:
 * extra input options, e.g. the libvpx decoder that reads VP9's alpha). */
static uint8_t *alpha_of(const char *path, const char *dec, const char *in_opts, size_t *len)
{
    char raw[320];
    snprintf(raw, sizeof raw, "%s/alpha.raw", dir);
    if (tp_sh("ffmpeg -v error -y %s %s -i '%s' -vf alphaextract -fps_mode passthrough "
              "-f rawvideo -pix_fmt gray %s", dec, in_opts, path, raw))
        return NULL;
    return slurp(raw, len);
}

/* Mean absolute difference of two byte buffers of @p n. */
static double mean_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)a[i] - (int)b[i]);
    return n ? sum / (double)n : 0;
}

/* Each container an editor takes with alpha: ffmpeg decodes the alpha
 * segstream composited (its RGBA frame dumps); MP4 and encoders without
 * alpha are refused naming what works. */
static void test_alpha_outputs_for_editors(void **state)
{
    (void)state;
    char people[300], args[1400], out[400], pattern[400], line[256];
    /* A close-up the model is sure of: four frames of the footballer. */
    snprintf(people, sizeof people, "%s/closeup.mov", dir);
    assert_int_equal(tp_sh("ffmpeg -v error -y -loop 1 -i %s -frames:v 4 -vf "
                           "scale=384:240,setsar=1 -c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p %s", MESSI,
                           people), 0);
    snprintf(args, sizeof args, "%s -m %s -q -t 1 --workers 1 --mode alpha --dump-frames "
             "%s/alpha_ref", people, MODEL, dir);
    assert_int_equal(seg(args), 0);
    snprintf(pattern, sizeof pattern, "%s/alpha_ref/frame_%%06d.png", dir);
    size_t rlen = 0;
    uint8_t *ref = alpha_of(pattern, "", "-start_number 0", &rlen);
    assert_non_null(ref);
    assert_int_equal(rlen, 4 * 384 * 240);
    /* Not a constant plane: people opaque, the street transparent. */
    size_t clear = 0, opaque = 0;
    for (size_t i = 0; i < rlen; i++) {
        clear += ref[i] < 16;
        opaque += ref[i] > 240;
    }
    printf("# alpha: %zu clear, %zu opaque of %zu\n", clear, opaque, rlen);
    assert_true(clear > rlen / 2 && opaque > rlen / 50);

    static const struct {
        const char *ext, *codec, *dec, *pix; /* pix: what ffprobe reports */
        double tol;                           /* mean |alpha - ref| allowed */
    } outs[] = {
        {"mov", NULL, "", "argb", 0},                   /* QuickTime Animation */
        {"mkv", NULL, "", "bgra", 0},                   /* FFV1 */
        {"mov", "prores_ks", "", "yuva444p12le", 0.5},  /* ProRes 4444 */
        {"webm", NULL, "-c:v libvpx-vp9", "yuv420p", 4}, /* VP9 (alpha beside it) */
    };
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        snprintf(out, sizeof out, "%s/alpha_%zu.%s", dir, i, outs[i].ext);
        snprintf(args, sizeof args, "%s -m %s -q -t 1 --workers 1 --mode alpha -o %s %s%s",
                 people, MODEL, out, outs[i].codec ? "--codec " : "",
                 outs[i].codec ? outs[i].codec : "");
        assert_int_equal(seg(args), 0);
        assert_int_equal(tp_probe(line, sizeof line, "-select_streams v -show_entries "
                                  "stream=pix_fmt -of csv=p=0 %s", out), 0);
        assert_string_equal(line, outs[i].pix);
        size_t n = 0;
        uint8_t *a = alpha_of(out, outs[i].dec, "", &n);
        assert_non_null(a);
        assert_int_equal(n, rlen);
        double d = mean_diff(a, ref, n);
        printf("# alpha %s%s%s: mean |difference| %.3f\n", outs[i].ext,
               outs[i].codec ? " " : "", outs[i].codec ? outs[i].codec : "", d);
        assert_true(d <= outs[i].tol);
        free(a);
    }
    /* WebM says it carries alpha, as players want. */
    snprintf(out, sizeof out, "%s/alpha_3.webm", dir);
    assert_int_equal(tp_probe(line, sizeof line, "-select_streams v -show_entries "
                              "stream_tags=alpha_mode -of csv=p=0 %s", out), 0);
    assert_string_equal(line, "1");
    /* Refusals name what works. */
    snprintf(args, sizeof args, "%s -m %s -q --mode alpha -o %s/alpha.mp4", people, MODEL, dir);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("ProRes 4444: --codec prores_ks"));
    assert_true(log_contains(".webm (VP9"));
    snprintf(out, sizeof out, "%s/alpha.mp4", dir);
    assert_int_equal(access(out, F_OK), -1);
    snprintf(args, sizeof args, "%s -m %s -q --mode alpha -o %s/x264.mov --codec libx264", people,
             MODEL, dir);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("libx264 cannot keep an alpha channel"));
    assert_true(log_contains("--codec prores_ks"));
    free(ref);
}

/* A picture in gives a picture out in the extension's format; numbered
 * sequences in and out; one picture name for a video is refused. */
static void test_pictures_in_and_out(void **state)
{
    (void)state;
    char args[1400], out[400], line[256], people[300];
    assert_int_equal(make_people(people, sizeof people), 0);
    static const struct {
        const char *name, *mode, *codec, *pix;
    } pics[] = {
        {"p.png", "overlay", "png", "rgb24"},  {"p.jpg", "overlay", "mjpeg", "yuvj420p"},
        {"p.webp", "overlay", "webp", "yuv420p"}, {"pa.png", "alpha", "png", "rgba"},
        {"pa.webp", "alpha", "webp", "yuva420p"},
    };
    for (size_t i = 0; i < sizeof pics / sizeof pics[0]; i++) {
        snprintf(out, sizeof out, "%s/%s", dir, pics[i].name);
        snprintf(args, sizeof args, "%s -m %s -q --mode %s -o %s", MESSI, MODEL, pics[i].mode,
                 out);
        assert_int_equal(seg(args), 0);
        assert_int_equal(tp_probe(line, sizeof line, "-show_entries stream=codec_name,pix_fmt,"
                                  "width,height -of csv=p=0 %s", out), 0);
        char want[128];
        snprintf(want, sizeof want, "%s,548,342,%s", pics[i].codec, pics[i].pix);
        assert_string_equal(line, want);
    }
    /* The PNG's alpha is the composite's. */
    snprintf(args, sizeof args, "%s -m %s -q --mode alpha --dump-frames %s/pic_ref", MESSI, MODEL,
             dir);
    assert_int_equal(seg(args), 0);
    size_t n1 = 0, n2 = 0;
    snprintf(out, sizeof out, "%s/pa.png", dir);
    uint8_t *a = alpha_of(out, "", "", &n1);
    snprintf(out, sizeof out, "%s/pic_ref/frame_000000.png", dir);
    uint8_t *b = alpha_of(out, "", "", &n2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    /* A JPEG has no alpha: refused, naming what has. */
    snprintf(args, sizeof args, "%s -m %s -q --mode alpha -o %s/pa.jpg", MESSI, MODEL, dir);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("use .png or .webp"));
    /* Sequences: a clip out as numbered PNGs, and those back in. */
    snprintf(args, sizeof args, "%s -m %s -q -o '%s/seq_%%04d.png'", people, MODEL, dir);
    assert_int_equal(seg(args), 0);
    for (int i = 1; i <= 4; i++) {
        snprintf(out, sizeof out, "%s/seq_%04d.png", dir, i);
        assert_int_equal(tp_probe(line, sizeof line, "-show_entries stream=codec_name -of "
                                  "csv=p=0 %s", out), 0);
        assert_string_equal(line, "png");
    }
    snprintf(out, sizeof out, "%s/seq_0005.png", dir);
    assert_int_equal(access(out, F_OK), -1);
    snprintf(args, sizeof args, "'%s/seq_%%04d.png' -m %s -q -o %s/from_seq.mkv", dir, MODEL,
             dir);
    assert_int_equal(seg(args), 0);
    snprintf(out, sizeof out, "%s/from_seq.mkv", dir);
    assert_int_equal(tp_video_frames(out), 4);
    /* One picture name for a clip: refused at the second frame, with the way out. */
    snprintf(args, sizeof args, "%s -m %s -q -o %s/one.png", people, MODEL, dir);
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("numbered sequence (such as frame_%04d.png) or add --frames 1"));
    snprintf(args, sizeof args, "%s -m %s -q -o %s/one.png -y --frames 1", people, MODEL, dir);
    assert_int_equal(seg(args), 0);
}

/* ==== the command line ===================================================== */

/* Lines in the log. */
static int log_lines(void)
{
    char buf[16384];
    size_t n = tp_read_file(log_path, buf, sizeof buf);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    return lines;
}

/* A usage error: exit 2, one line, holding @p want. */
static void usage_error(const char *args, const char *want)
{
    if (seg(args) != 2)
        fail_msg("'%s' did not exit with 2", args);
    if (log_lines() != 1 || !log_contains(want))
        fail_msg("'%s' did not say '%s' in one line", args, want);
}

static void test_command_line_messages(void **state)
{
    (void)state;
    char args[1400], people[300];
    assert_int_equal(make_people(people, sizeof people), 0);
    /* Mistyped options: one line, a suggestion when one is close. */
    usage_error("in.mp4 -o out.mp4 --treads 2", "did you mean --threads? (see segstream --help)");
    usage_error("in.mp4 -o out.mp4 --backgroud x.jpg", "did you mean --background?");
    usage_error("in.mp4 -o out.mp4 --bogus-option", "unknown option '--bogus-option' (see "
                "segstream --help)");
    usage_error("in.mp4 -o out.mp4 --thr 2", "'--thr' is ambiguous: --threads, --threshold");
    usage_error("in.mp4 -o out.mp4 --bench=3", "--bench takes no value");
    usage_error("in.mp4 -o", "-o needs a value");
    usage_error("in.mp4 -o x.mp4 --rotate", "--rotate needs a value");
    usage_error("in.mp4 -o x.mp4 -Z", "unknown option '-Z'");
    /* Two names: the second was meant as the output. */
    usage_error("in.mp4 out.mp4", "name it with -o: segstream in.mp4 -o out.mp4");
    usage_error("a.mp4 b.mp4 c.mp4", "3 inputs: name a folder (-o out/) or a template");
    usage_error("", "no input given");
    /* Every number option says its range. */
    static const struct {
        const char *opt, *range;
    } numbers[] = {
        {"--threads 0", "1..256"},        {"-t 300", "1..256"},
        {"--workers 17", "1..16"},        {"--decoder-threads 0", "1..64"},
        {"--encoder-threads 65", "1..64"}, {"--timeout 0", "1..3600000"},
        {"--crf 52", "1..51"},            {"--frames 0", "1 or more"},
        {"--dump-every x", "1 or more"},  {"--opacity 2", "0..1"},
        {"--threshold -1", "0..1"},       {"--solid 0", "0.01..1"},
        {"--smooth 1.5", "0..1"},         {"--feather 999", "0..256"},
        {"--blur -2", "0..512"},          {"--composite-threads 999", "0..256"},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        snprintf(args, sizeof args, "%s -o %s/n.mkv -m %s %s", people, dir, MODEL,
                 numbers[i].opt);
        usage_error(args, numbers[i].range);
    }
    /* --background alone is replace mode: the same pictures as with --mode
     * replace, not overlay's. */
    snprintf(args, sizeof args, "%s -m %s -q -t 1 --workers 1 --background %s --dump-frames "
             "%s/bg_alone -n 2", people, MODEL, MESSI, dir);
    assert_int_equal(seg(args), 0);
    snprintf(args, sizeof args, "%s -m %s -q -t 1 --workers 1 --background %s --mode replace "
             "--dump-frames %s/bg_replace -n 2", people, MODEL, MESSI, dir);
    assert_int_equal(seg(args), 0);
    snprintf(args, sizeof args, "%s -m %s -q -t 1 --workers 1 --dump-frames %s/bg_overlay -n 2",
             people, MODEL, dir);
    assert_int_equal(seg(args), 0);
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/bg_alone/frame_000001.png", dir);
    snprintf(b, sizeof b, "%s/bg_replace/frame_000001.png", dir);
    assert_true(same_file(a, b));
    snprintf(b, sizeof b, "%s/bg_overlay/frame_000001.png", dir);
    assert_false(same_file(a, b));
    /* With another mode it would be ignored: said, not done. */
    snprintf(args, sizeof args, "%s -o %s/n.mkv -m %s --mode blur --background %s", people, dir,
             MODEL, MESSI);
    usage_error(args, "--background is for --mode replace");
    /* --help says what 0 threads, a lone --background and the pipe do. */
    assert_int_equal(seg("--help"), 0);
    const char *words[] = {"0 is refused", "given without\n", "--mode it means --mode replace",
                           "- or pipe:1", "nut unless", "--rotate R", "--no-autorotate"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_true(log_contains(words[i]));
    /* --model-info names the classes --classes takes. */
    snprintf(args, sizeof args, "--model-info %s", MODEL);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("classes: one: the foreground"));
    if (access(DEEPLAB, R_OK) == 0) {
        snprintf(args, sizeof args, "--model-info %s", DEEPLAB);
        assert_int_equal(seg(args), 0);
        assert_true(log_contains("classes: 0 background, 1 aeroplane,"));
        assert_true(log_contains("15 person,"));
        /* --labels names them instead. */
        char labels[300];
        snprintf(labels, sizeof labels, "%s/labels.txt", dir);
        FILE *f = fopen(labels, "w");
        assert_non_null(f);
        for (int i = 0; i < 21; i++)
            fprintf(f, "thing%d\n", i);
        fclose(f);
        snprintf(args, sizeof args, "--model-info %s --labels %s", DEEPLAB, labels);
        assert_int_equal(seg(args), 0);
        assert_true(log_contains("classes: 0 thing0, 1 thing1,"));
    } else {
        fprintf(stderr, "# %s missing: multi-class --model-info not checked\n", DEEPLAB);
    }
}

/* ==== many files ============================================================ */

/* Several inputs into a folder and through a template: a line per file and
 * a total; the broken file is reported, the others are written, and the
 * exit status is the broken one's (3). */
static void test_batch_with_a_broken_file(void **state)
{
    (void)state;
    char people[300], args[2000], out[400], buf[16384];
    assert_int_equal(make_people(people, sizeof people), 0);
    assert_int_equal(tp_sh("mkdir -p %s/batch && cp %s %s/batch/ && echo 'not a video' "
                           ">%s/batch/broken.mp4 && ffmpeg -v error -y -f lavfi -i "
                           "testsrc2=size=160x120:rate=10 -frames:v 6 %s/batch/pattern.mkv",
                           dir, MESSI, dir, dir, dir), 0);
    snprintf(args, sizeof args, "%s %s/batch/broken.mp4 %s %s/batch/pattern.mkv -o %s/bout/ -m "
             "%s -q", people, dir, MESSI, dir, dir, MODEL);
    assert_int_equal(seg(args), 3);
    tp_read_file(log_path, buf, sizeof buf);
    assert_non_null(strstr(buf, "[1/4] "));
    assert_non_null(strstr(buf, "/people.mov -> "));
    assert_non_null(strstr(buf, "[2/4] "));
    assert_non_null(strstr(buf, "broken.mp4: failed: INPUT"));
    assert_non_null(strstr(buf, "[4/4] "));
    assert_non_null(strstr(buf, "4 files: 3 written, 1 failed (first: "));
    static const struct {
        const char *name;
        long frames;
    } written[] = {{"people.mov", 4}, {"messi5.jpg", 1}, {"pattern.mkv", 6}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(out, sizeof out, "%s/bout/%s", dir, written[i].name);
        assert_int_equal(tp_video_frames(out), written[i].frames);
    }
    snprintf(out, sizeof out, "%s/bout/broken.mp4", dir);
    assert_int_equal(access(out, F_OK), -1);
    /* A template: {name} without the extension, {ext} the extension. */
    snprintf(args, sizeof args, "%s %s/batch/pattern.mkv -o '%s/bout/{name}_seg_{ext}.mkv' -m %s "
             "-q", people, dir, dir, MODEL);
    assert_int_equal(seg(args), 0);
    assert_true(log_contains("2 files: 2 written, 0 failed"));
    snprintf(out, sizeof out, "%s/bout/people_seg_mov.mkv", dir);
    assert_int_equal(tp_video_frames(out), 4);
    snprintf(out, sizeof out, "%s/bout/pattern_seg_mkv.mkv", dir);
    assert_int_equal(tp_video_frames(out), 6);
    /* The same names again: each file says so, none is touched; with -y all run. */
    assert_int_equal(seg(args), 5);
    assert_true(log_contains("add -y to overwrite it"));
    snprintf(args + strlen(args), sizeof args - strlen(args), " -y");
    assert_int_equal(seg(args), 0);
    /* Two inputs with one name: refused before anything runs. */
    snprintf(args, sizeof args, "%s %s -o %s/bsame/ -m %s -q", people, people, dir, MODEL);
    usage_error(args, "would both be written to");
    snprintf(out, sizeof out, "%s/bsame", dir);
    assert_int_equal(access(out, F_OK), -1);
    /* Options that take one input. */
    snprintf(args, sizeof args, "%s %s -o %s/bout/ -m %s --json", people, MESSI, dir, MODEL);
    usage_error(args, "take one input");
    /* Several inputs and a plain file name. */
    snprintf(args, sizeof args, "%s %s %s -o %s/one.mp4 -m %s", people, MESSI, MESSI, dir, MODEL);
    usage_error(args, "name a folder (-o out/) or a template");
}

/* ==== installed ============================================================= */

/* cmake --install into a prefix, and the .deb unpacked into a scratch root:
 * each binary, run from a folder that has nothing of the project, finds its
 * model; the search order is -m, $SEGSTREAM_MODEL_DIR, the install's share
 * folder, ./models, and the error names every place. */
static void test_installed_tool_finds_its_model(void **state)
{
    (void)state;
    char prefix[300], away[300], line[400];
    snprintf(prefix, sizeof prefix, "%s/prefix", dir);
    snprintf(away, sizeof away, "%s/elsewhere", dir);
    assert_int_equal(tp_sh("cmake --install %s --prefix %s >%s 2>&1", SEG_BINARY_DIR, prefix,
                           log_path), 0);
    assert_int_equal(tp_sh("test -x %s/bin/segstream && test -s %s/share/segstream/models/"
                           "selfie_segmentation.tflite && grep -q '^.TH SEGSTREAM 1' "
                           "%s/share/man/man1/segstream.1", prefix, prefix, prefix), 0);
    assert_int_equal(tp_sh("mkdir -p %s && cd %s && ffmpeg -v error -y -f lavfi -i "
                           "testsrc2=size=160x120:rate=10 -frames:v 3 clip.mp4", away, away), 0);
    /* No -m, no $SEGSTREAM_MODEL_DIR, no ./models: the share folder. */
    assert_int_equal(tp_sh("cd %s && env -u SEGSTREAM_MODEL_DIR %s/bin/segstream clip.mp4 -o "
                           "a.mp4 -q -y >%s 2>&1", away, prefix, log_path), 0);
    snprintf(line, sizeof line, "%s/a.mp4", away);
    assert_int_equal(tp_video_frames(line), 3);
    /* ... with the detectors the default --find auto uses beside it. */
    assert_int_equal(tp_sh("cd %s && env -u SEGSTREAM_MODEL_DIR %s/bin/segstream clip.mp4 "
                           "--bench --json -q >%s 2>&1", away, prefix, log_path), 0);
    assert_true(log_contains("\"find\":\"pose\""));
    assert_int_equal(tp_sh("test -s %s/share/segstream/models/selfie_segmentation_landscape"
                           ".tflite", prefix), 0);
    /* $SEGSTREAM_MODEL_DIR comes before it: a broken model there is used. */
    assert_int_equal(tp_sh("mkdir -p %s/bad && echo 'not a model' >%s/bad/"
                           "selfie_segmentation.tflite", away, away), 0);
    assert_int_equal(tp_sh("cd %s && SEGSTREAM_MODEL_DIR=%s/bad %s/bin/segstream clip.mp4 -o "
                           "b.mp4 -q -y >%s 2>&1", away, away, prefix, log_path), 4);
    assert_true(log_contains("bad/selfie_segmentation.tflite"));
    /* -m before everything. */
    assert_int_equal(tp_sh("cd %s && SEGSTREAM_MODEL_DIR=%s/bad %s/bin/segstream clip.mp4 -o "
                           "c.mp4 -q -y -m %s >%s 2>&1", away, away, prefix, MODEL, log_path), 0);
    /* Nothing anywhere: exit 4 naming every place looked and -m. */
    assert_int_equal(tp_sh("mv %s/share/segstream %s/moved", prefix, dir), 0);
    assert_int_equal(tp_sh("cd %s && env -u SEGSTREAM_MODEL_DIR %s/bin/segstream clip.mp4 -o "
                           "d.mp4 -q -y >%s 2>&1", away, prefix, log_path), 4);
    assert_true(log_contains("cannot find the default model selfie_segmentation.tflite"));
    assert_true(log_contains("share/segstream/models, models ($SEGSTREAM_MODEL_DIR is not "
                             "set); give a model with -m FILE"));
    assert_int_equal(log_lines(), 1);
    /* ./models last. */
    assert_int_equal(tp_sh("mv %s/moved/models %s/models", dir, away), 0);
    assert_int_equal(tp_sh("cd %s && env -u SEGSTREAM_MODEL_DIR %s/bin/segstream clip.mp4 -o "
                           "e.mp4 -q -y >%s 2>&1", away, prefix, log_path), 0);

    /* The Debian package: depends on FFmpeg's libraries, runs unpacked. */
    assert_int_equal(tp_sh("cd %s && cpack -G DEB --config %s/CPackConfig.cmake -B %s/pkg "
                           ">%s 2>&1", dir, SEG_BINARY_DIR, dir, log_path), 0);
    assert_int_equal(tp_sh("dpkg-deb -f %s/pkg/segstream_*.deb Depends | grep -q libavcodec",
                           dir), 0);
    assert_int_equal(tp_sh("dpkg -x %s/pkg/segstream_*.deb %s/root", dir, dir), 0);
    assert_int_equal(tp_sh("test -s %s/root/usr/share/segstream/models/"
                           "selfie_segmentation.tflite", dir), 0);
    /* From a folder without models (the package root itself). */
    assert_int_equal(tp_sh("cd %s/root && env -u SEGSTREAM_MODEL_DIR usr/bin/segstream "
                           "%s/clip.mp4 -o %s/f.mp4 -q -y --mode blur >%s 2>&1", dir, away, away,
                           log_path), 0);
    snprintf(line, sizeof line, "%s/f.mp4", away);
    assert_int_equal(tp_video_frames(line), 3);
}

/* ==== set-up ================================================================ */

static int setup(void **state)
{
    (void)state;
    if (access(BIN, X_OK) != 0 || access(MODEL, R_OK) != 0 || access(VTEST, R_OK) != 0) {
        fprintf(stderr, "# needs %s, %s and %s: run scripts/setup.sh first\n", BIN, MODEL, VTEST);
        return -1;
    }
    if (tp_make_dir(dir, sizeof dir, "segfiles"))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    io_set_log_callback(NULL, NULL, IO_LOG_ERROR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tp_remove_dir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_turns_like_ffmpeg),
        cmocka_unit_test(test_source_reports_and_forced_turns),
        cmocka_unit_test(test_source_makes_pixels_square),
        cmocka_unit_test(test_phone_clip_masks_match_upright),
        cmocka_unit_test(test_pipes_at_both_ends),
        cmocka_unit_test(test_command_line_messages),
        cmocka_unit_test(test_alpha_outputs_for_editors),
        cmocka_unit_test(test_pictures_in_and_out),
        cmocka_unit_test(test_batch_with_a_broken_file),
        cmocka_unit_test(test_installed_tool_finds_its_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
