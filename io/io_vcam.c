/* io_vcam.c - a virtual camera: composited frames written to a V4L2 video
 * output device (v4l2loopback) with plain ioctls and write(), and the
 * device listings (--list-devices, --list-formats).
 *
 * Why YUYV (V4L2_PIX_FMT_YUYV, packed 4:2:2) and not I420: it is what every
 * UVC webcam offers, so every capture client takes it: Chrome and Firefox
 * (WebRTC), Zoom, Teams, OBS, GStreamer, ffmpeg. I420 is accepted by the
 * browsers too, but a few native call clients have only ever been tested
 * with what webcams give and show a green or garbled picture for planar
 * formats on v4l2loopback; YUYV is the choice of backscrub and
 * Linux-Fake-Background-Webcam for that reason. It costs 2 bytes a pixel
 * instead of 1.5, and from the pipeline's 4:2:0 frames only a copy of the
 * luma and a repeat of each chroma row. */
#include "io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/videodev2.h>

/* The hint every "no virtual camera" message ends with. */
#define LOOPBACK_HINT \
    "make one with v4l2loopback: sudo modprobe v4l2loopback devices=1 video_nr=10 " \
    "card_label=segstream exclusive_caps=1 (README, \"Use it in video calls\")"

struct io_vcam {
    int fd;
    char *path;
    int width, height;         /* frames given to io_vcam_write */
    int out_w;                 /* written width: even (YUYV pairs pixels) */
    int bytesperline;          /* as the driver negotiated */
    size_t sizeimage;          /* one frame, one write() */
    uint8_t *buf;              /* sizeimage bytes of YUYV */
    struct SwsContext *sws;    /* RGB24 frames -> YUYV */
    int64_t frames;
    int status;                /* first error, sticky */
    char err[IO_MSG_SIZE];
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

/* A fourcc as text ("YUYV"). */
static void fourcc_str(uint32_t f, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((f >> (8 * i)) & 0xff);
        out[i] = (c >= 32 && c < 127) ? c : '?';
    }
    out[4] = '\0';
}

/* The capabilities that describe this node (device_caps when the driver
 * gives them, as one driver may have several nodes). */
static uint32_t node_caps(const struct v4l2_capability *cap)
{
    return (cap->capabilities & V4L2_CAP_DEVICE_CAPS) ? cap->device_caps : cap->capabilities;
}

int io_vcam_is_device(const char *path)
{
    if (!path)
        return 0;
    if (strncmp(path, "/dev/video", 10) == 0)
        return 1;
    /* a video4linux node by another name (/dev/v4l/by-id/...): character
     * major 81; other devices (/dev/full, /dev/null) are files to FFmpeg */
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISCHR(sb.st_mode) && major(sb.st_rdev) == 81;
}

static void set_colorspace(struct v4l2_pix_format *pf, seg_yuv_matrix m, int full)
{
    switch (m) {
    case SEG_YUV_BT709:
        pf->colorspace = V4L2_COLORSPACE_REC709;
        pf->ycbcr_enc = V4L2_YCBCR_ENC_709;
        break;
    case SEG_YUV_BT2020:
        pf->colorspace = V4L2_COLORSPACE_BT2020;
        pf->ycbcr_enc = V4L2_YCBCR_ENC_BT2020;
        break;
    default:
        pf->colorspace = V4L2_COLORSPACE_SMPTE170M;
        pf->ycbcr_enc = V4L2_YCBCR_ENC_601;
        break;
    }
    pf->quantization = full ? V4L2_QUANTIZATION_FULL_RANGE : V4L2_QUANTIZATION_LIM_RANGE;
}

int io_vcam_open(io_vcam **out, const char *path, const io_vcam_params *p, char *err,
                 size_t errlen)
{
    if (!out || !path || !p) {
        seg_format_error(err, errlen, __func__, "bad arguments");
        return SEG_ERR_INVALID;
    }
    *out = NULL;
    if (p->width < 2 || p->height < 1 || p->width > SEG_MAX_DIM || p->height > SEG_MAX_DIM ||
        (p->format != SEG_PIX_YUV420P && p->format != SEG_PIX_RGB24)) {
        seg_format_error(err, errlen, __func__, "virtual camera '%s': cannot take %dx%d %s "
                         "frames (a camera shows YUV or RGB pictures, no alpha)", path,
                         p->width, p->height, seg_pixfmt_name(p->format));
        return SEG_ERR_INVALID;
    }
    io_vcam *vc = calloc(1, sizeof *vc);
    if (!vc || !(vc->path = strdup(path))) {
        free(vc);
        seg_format_error(err, errlen, __func__, "out of memory");
        return SEG_ERR_NOMEM;
    }
    vc->fd = -1;
    vc->width = p->width;
    vc->height = p->height;
    vc->out_w = p->width & ~1; /* an odd last column is cropped, as io_sink does */
    int st = SEG_ERR_IO;
    struct v4l2_capability cap;
    struct v4l2_format fmt;
    char want[5], got[5];

    vc->fd = open(path, O_RDWR | O_CLOEXEC);
    if (vc->fd < 0) {
        int e = errno;
        if (e == ENOENT)
            seg_format_error(err, errlen, __func__, "virtual camera '%s' does not exist; "
                             LOOPBACK_HINT, path);
        else
            seg_format_error(err, errlen, __func__, "cannot open the virtual camera '%s': %s%s",
                             path, strerror(e),
                             e == EACCES ? " (add yourself to the 'video' group)" : "");
        goto fail;
    }
    memset(&cap, 0, sizeof cap);
    if (xioctl(vc->fd, VIDIOC_QUERYCAP, &cap) != 0) {
        seg_format_error(err, errlen, __func__, "'%s' is not a V4L2 video device (%s); "
                         LOOPBACK_HINT, path, strerror(errno));
        goto fail;
    }
    if (!(node_caps(&cap) & V4L2_CAP_VIDEO_OUTPUT)) {
        seg_format_error(err, errlen, __func__, "'%s' (%.32s, driver %.16s) is not a video "
                         "output device%s; a virtual camera for -o is a v4l2loopback device: "
                         "list them with segstream --list-devices, or " LOOPBACK_HINT,
                         path, (const char *)cap.card, (const char *)cap.driver,
                         (node_caps(&cap) & V4L2_CAP_VIDEO_CAPTURE)
                             ? " (it captures: a webcam, or a v4l2loopback device that "
                               "another program is already writing to)"
                             : "");
        goto fail;
    }
    if (!(node_caps(&cap) & V4L2_CAP_READWRITE)) {
        seg_format_error(err, errlen, __func__, "'%s' (%.32s) takes no write() calls; "
                         "segstream writes frames with write(), as v4l2loopback takes them",
                         path, (const char *)cap.card);
        st = SEG_ERR_UNSUPPORTED;
        goto fail;
    }
    memset(&fmt, 0, sizeof fmt);
    fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    fmt.fmt.pix.width = (uint32_t)vc->out_w;
    fmt.fmt.pix.height = (uint32_t)vc->height;
    fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    fmt.fmt.pix.bytesperline = (uint32_t)vc->out_w * 2;
    fmt.fmt.pix.sizeimage = (uint32_t)vc->out_w * 2 * (uint32_t)vc->height;
    set_colorspace(&fmt.fmt.pix, p->matrix, p->full_range);
    if (xioctl(vc->fd, VIDIOC_S_FMT, &fmt) != 0) {
        seg_format_error(err, errlen, __func__, "'%s' (%.32s) refuses %dx%d YUYV output: %s%s",
                         path, (const char *)cap.card, vc->out_w, vc->height, strerror(errno),
                         errno == EBUSY ? " (another program is writing to it)" : "");
        st = SEG_ERR_UNSUPPORTED;
        goto fail;
    }
    fourcc_str(V4L2_PIX_FMT_YUYV, want);
    fourcc_str(fmt.fmt.pix.pixelformat, got);
    if (fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV || fmt.fmt.pix.width != (uint32_t)vc->out_w ||
        fmt.fmt.pix.height != (uint32_t)vc->height ||
        fmt.fmt.pix.bytesperline < (uint32_t)vc->out_w * 2 ||
        fmt.fmt.pix.sizeimage < fmt.fmt.pix.bytesperline * (uint32_t)vc->height) {
        seg_format_error(err, errlen, __func__, "'%s' (%.32s) holds %ux%u %s, not the %dx%d %s "
                         "asked for (a format fixed by another program, or v4l2loopback's "
                         "max_width/max_height)", path, (const char *)cap.card,
                         fmt.fmt.pix.width, fmt.fmt.pix.height, got, vc->out_w, vc->height,
                         want);
        st = SEG_ERR_UNSUPPORTED;
        goto fail;
    }
    vc->bytesperline = (int)fmt.fmt.pix.bytesperline;
    vc->sizeimage = fmt.fmt.pix.sizeimage;
    /* The frame rate clients see (v4l2loopback passes the output's
     * timeperframe on to them); not every driver takes it, which is fine. */
    if (p->fps_num > 0 && p->fps_den > 0) {
        struct v4l2_streamparm parm;
        memset(&parm, 0, sizeof parm);
        parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        parm.parm.output.timeperframe.numerator = (uint32_t)p->fps_den;
        parm.parm.output.timeperframe.denominator = (uint32_t)p->fps_num;
        (void)xioctl(vc->fd, VIDIOC_S_PARM, &parm);
    }
    if (!(vc->buf = calloc(1, vc->sizeimage))) {
        seg_format_error(err, errlen, __func__, "out of memory");
        st = SEG_ERR_NOMEM;
        goto fail;
    }
    if (p->format == SEG_PIX_RGB24) {
        vc->sws = sws_getContext(vc->out_w, vc->height, AV_PIX_FMT_RGB24, vc->out_w, vc->height,
                                 AV_PIX_FMT_YUYV422, SWS_POINT, NULL, NULL, NULL);
        if (!vc->sws) {
            seg_format_error(err, errlen, __func__, "cannot make an RGB to YUYV converter");
            st = SEG_ERR_NOMEM;
            goto fail;
        }
        io_sws_colorspace(vc->sws, SEG_YUV_BT601, 1, 0);
    }
    *out = vc;
    return SEG_OK;
fail:
    io_vcam_close(&vc);
    return st;
}

/* One 4:2:0 frame into YUYV: luma copied, each chroma row used for two
 * luma rows (4:2:0 -> 4:2:2 by repetition, as webcams' own converters do). */
static void pack_yuv420(io_vcam *vc, const seg_image *f)
{
    int pairs = vc->out_w / 2;
    for (int y = 0; y < vc->height; y++) {
        const uint8_t *yp = f->data + (size_t)y * f->stride;
        const uint8_t *u = f->cb + (size_t)(y / 2) * f->cstride;
        const uint8_t *v = f->cr + (size_t)(y / 2) * f->cstride;
        uint8_t *o = vc->buf + (size_t)y * vc->bytesperline;
        for (int k = 0; k < pairs; k++) {
            o[4 * k + 0] = yp[2 * k];
            o[4 * k + 1] = u[k];
            o[4 * k + 2] = yp[2 * k + 1];
            o[4 * k + 3] = v[k];
        }
    }
}

int io_vcam_write(io_vcam *vc, const seg_image *f)
{
    if (!vc)
        return SEG_ERR_INVALID;
    if (vc->status)
        return vc->status;
    if (!f || !f->data || f->width != vc->width || f->height != vc->height ||
        (f->format == SEG_PIX_YUV420P ? vc->sws != NULL || !f->cb || !f->cr
                                      : f->format != SEG_PIX_RGB24 || !vc->sws)) {
        IO_SET_ERROR(vc, "virtual camera '%s': a frame of another size or format", vc->path);
        return SEG_ERR_INVALID;
    }
    if (vc->sws) {
        const uint8_t *src[4] = {f->data, NULL, NULL, NULL};
        int sstride[4] = {f->stride, 0, 0, 0};
        uint8_t *dst[4] = {vc->buf, NULL, NULL, NULL};
        int dstride[4] = {vc->bytesperline, 0, 0, 0};
        sws_scale(vc->sws, src, sstride, 0, vc->height, dst, dstride);
    } else {
        pack_yuv420(vc, f);
    }
    /* One write() is one frame to v4l2loopback: a short write would be a
     * broken frame, so it is an error, not something to continue. */
    ssize_t n;
    do
        n = write(vc->fd, vc->buf, vc->sizeimage);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != vc->sizeimage) {
        if (n < 0)
            IO_SET_ERROR(vc, "writing to the virtual camera '%s' failed: %s", vc->path,
                         strerror(errno));
        else
            IO_SET_ERROR(vc, "the virtual camera '%s' took %zd of a frame's %zu bytes",
                         vc->path, n, vc->sizeimage);
        vc->status = SEG_ERR_IO;
        return SEG_ERR_IO;
    }
    vc->frames++;
    return SEG_OK;
}

int io_vcam_format(const io_vcam *vc, int *width, int *height, int *bytesperline,
                   size_t *sizeimage)
{
    if (!vc)
        return SEG_ERR_INVALID;
    if (width)
        *width = vc->out_w;
    if (height)
        *height = vc->height;
    if (bytesperline)
        *bytesperline = vc->bytesperline;
    if (sizeimage)
        *sizeimage = vc->sizeimage;
    return SEG_OK;
}

const char *io_vcam_last_error(const io_vcam *vc)
{
    return vc ? vc->err : "no virtual camera";
}

void io_vcam_close(io_vcam **pvc)
{
    if (!pvc || !*pvc)
        return;
    io_vcam *vc = *pvc;
    if (vc->fd >= 0)
        close(vc->fd);
    sws_freeContext(vc->sws);
    free(vc->buf);
    free(vc->path);
    free(vc);
    *pvc = NULL;
}

/* ==== listings ============================================================ */

static int cmp_str(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    /* /dev/video2 before /dev/video10 */
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* "capture", "output", "capture+output" or "other" for a node's caps. */
static const char *kind_of(uint32_t caps)
{
    int c = (caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) != 0;
    int o = (caps & (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_OUTPUT_MPLANE)) != 0;
    return c && o ? "capture+output" : c ? "capture" : o ? "output" : "other";
}

int io_v4l2_list_devices(FILE *f, const char *dir_path)
{
    DIR *d = opendir(dir_path ? dir_path : "/dev");
    if (!d) {
        fprintf(f, "no video devices: cannot read %s: %s\n", dir_path ? dir_path : "/dev",
                strerror(errno));
        return 0;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        const char *p = e->d_name;
        if (strncmp(p, "video", 5) != 0 || !p[5] || strspn(p + 5, "0123456789") != strlen(p + 5))
            continue;
        size_t len = strlen(dir_path ? dir_path : "/dev") + strlen(p) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n], len, "%s/%s", dir_path ? dir_path : "/dev", p);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    int shown = 0;
    for (int i = 0; i < n; i++) {
        struct v4l2_capability cap;
        int fd = open(names[i], O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            fd = open(names[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            fprintf(f, "%-14s  (cannot open: %s)\n", names[i], strerror(errno));
            shown++;
            free(names[i]);
            continue;
        }
        memset(&cap, 0, sizeof cap);
        if (xioctl(fd, VIDIOC_QUERYCAP, &cap) == 0) {
            uint32_t caps = node_caps(&cap);
            const char *k = kind_of(caps);
            /* Metadata nodes of UVC cameras capture no video: skipped. */
            if (strcmp(k, "other") != 0) {
                fprintf(f, "%-14s  %-14s  %.32s (driver %.16s, %.32s)\n", names[i], k,
                        (const char *)cap.card, (const char *)cap.driver,
                        (const char *)cap.bus_info);
                shown++;
            }
        }
        close(fd);
        free(names[i]);
    }
    if (shown == 0)
        fprintf(f, "no video devices found (no /dev/video* with video capture or output)\n");
    return shown;
}

/* One frame size's intervals, as "30, 15 fps" or a range. */
static void print_intervals(FILE *f, int fd, uint32_t pixfmt, uint32_t w, uint32_t h)
{
    struct v4l2_frmivalenum iv;
    memset(&iv, 0, sizeof iv);
    iv.pixel_format = pixfmt;
    iv.width = w;
    iv.height = h;
    int any = 0;
    for (iv.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) == 0 && iv.index < 64;
         iv.index++) {
        if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            if (iv.discrete.numerator)
                fprintf(f, "%s%.3g", any ? ", " : " @ ",
                        (double)iv.discrete.denominator / iv.discrete.numerator);
            any = 1;
        } else {
            const struct v4l2_fract *lo = &iv.stepwise.min, *hi = &iv.stepwise.max;
            if (lo->numerator && hi->numerator)
                fprintf(f, " @ %.3g..%.3g", (double)hi->denominator / hi->numerator,
                        (double)lo->denominator / lo->numerator);
            any = 1;
            break;
        }
    }
    fprintf(f, "%s\n", any ? " fps" : "");
}

int io_v4l2_list_formats(FILE *f, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        seg_format_error(err, errlen, __func__, "cannot open '%s': %s%s", path, strerror(e),
                         e == ENOENT ? "; list the devices with segstream --list-devices" : "");
        return SEG_ERR_IO;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (xioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) {
        seg_format_error(err, errlen, __func__, "'%s' is not a V4L2 video device: %s", path,
                         strerror(errno));
        close(fd);
        return SEG_ERR_IO;
    }
    uint32_t caps = node_caps(&cap);
    fprintf(f, "%s: %.32s (driver %.16s, %.32s), %s\n", path, (const char *)cap.card,
            (const char *)cap.driver, (const char *)cap.bus_info, kind_of(caps));
    static const struct {
        uint32_t cap, type;
        const char *name;
    } types[] = {
        {V4L2_CAP_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE, "capture"},
        {V4L2_CAP_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_OUTPUT, "output"},
    };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (!(caps & types[t].cap))
            continue;
        struct v4l2_fmtdesc fd_;
        memset(&fd_, 0, sizeof fd_);
        fd_.type = types[t].type;
        for (fd_.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &fd_) == 0 && fd_.index < 128;
             fd_.index++) {
            char cc[5];
            fourcc_str(fd_.pixelformat, cc);
            fprintf(f, "  %s %s: %.32s%s\n", types[t].name, cc, (const char *)fd_.description,
                    (fd_.flags & V4L2_FMT_FLAG_COMPRESSED) ? " (compressed)" : "");
            struct v4l2_frmsizeenum fs;
            memset(&fs, 0, sizeof fs);
            fs.pixel_format = fd_.pixelformat;
            for (fs.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0 && fs.index < 256;
                 fs.index++) {
                if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                    fprintf(f, "    %ux%u", fs.discrete.width, fs.discrete.height);
                    print_intervals(f, fd, fd_.pixelformat, fs.discrete.width,
                                    fs.discrete.height);
                } else {
                    fprintf(f, "    %ux%u to %ux%u (steps of %ux%u)", fs.stepwise.min_width,
                            fs.stepwise.min_height, fs.stepwise.max_width,
                            fs.stepwise.max_height, fs.stepwise.step_width,
                            fs.stepwise.step_height);
                    print_intervals(f, fd, fd_.pixelformat, fs.stepwise.max_width,
                                    fs.stepwise.max_height);
                    break;
                }
            }
        }
    }
    close(fd);
    return SEG_OK;
}
