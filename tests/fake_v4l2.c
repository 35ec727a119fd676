/* fake_v4l2.c - an LD_PRELOAD test double for V4L2 devices, for machines
 * that cannot load v4l2loopback (no kernel modules) and have no webcam.
 *
 * Environment:
 *   SEG_FAKE_V4L2_OUTPUT=/dev/videoA   this path behaves as a v4l2loopback
 *       output node loaded with exclusive_caps=1 (card "segstream"): QUERYCAP
 *       announces VIDEO_OUTPUT | READWRITE | STREAMING until a writer has set
 *       a format; G_FMT/S_FMT/TRY_FMT on the OUTPUT type with v4l2loopback's
 *       rules (any size from 2x1 to 8192x8192; bytesperline and sizeimage
 *       computed by the driver; a capture-type S_FMT is EINVAL); ENUM_FMT
 *       lists its formats; S_PARM/G_PARM keep the frame rate; ENUM_FRAMESIZES
 *       and ENUM_FRAMEINTERVALS are continuous ranges before a format is set
 *       and the one size and rate after, as in v4l2loopback; every write()
 *       is one frame (at most sizeimage bytes are taken, as v4l2loopback
 *       does).
 *   SEG_FAKE_V4L2_CAPTURE=/dev/videoB  this path behaves as a UVC webcam
 *       (card "Fake UVC Camera"): capture only, YUYV 640x480 @ 30/15 and
 *       1280x720 @ 10, MJPG 640x480 and 1280x720 @ 30; writes fail (EINVAL).
 *   SEG_FAKE_V4L2_RECORD=PREFIX  the output node records into PREFIX.log a
 *       line per call ("S_FMT W H FOURCC BPL SIZE", "FRAME N LEN T" with T
 *       the CLOCK_MONOTONIC seconds of the write) and every written byte,
 *       frame after frame, into PREFIX.raw.
 * readdir() of /dev lists the fake nodes after the real entries, so a
 * device scan finds them.
 *
 * Only the paths named are faked; everything else goes to libc. Loaded
 * after libasan under AddressSanitizer (see tests/vcam_tests.cmake). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

enum { KIND_NONE = 0, KIND_OUTPUT, KIND_CAPTURE };

#define MAX_FDS 64

static struct node {
    int fd, kind;
} fds[MAX_FDS];

/* The loopback device's state (one per process: the test writes to one). */
static struct {
    int ready; /* a writer has set the format: clients may capture */
    struct v4l2_pix_format pix;
    struct v4l2_fract tpf;
    long frames;
    FILE *log, *raw;
} lb = {.tpf = {1, 30}};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static DIR *(*real_opendir)(const char *);
static struct dirent *(*real_readdir)(DIR *);
static struct dirent64 *(*real_readdir64)(DIR *);
static int (*real_closedir)(DIR *);

static void init_real(void)
{
    if (real_open)
        return;
    real_open64 = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_opendir = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
    real_readdir = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
    real_readdir64 = (struct dirent64 * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir64");
    real_closedir = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
}

static int kind_of_path(const char *path)
{
    const char *o = getenv("SEG_FAKE_V4L2_OUTPUT"), *c = getenv("SEG_FAKE_V4L2_CAPTURE");
    if (path && o && *o && strcmp(path, o) == 0)
        return KIND_OUTPUT;
    if (path && c && *c && strcmp(path, c) == 0)
        return KIND_CAPTURE;
    return KIND_NONE;
}

static int kind_of_fd(int fd)
{
    int k = KIND_NONE;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_FDS; i++)
        if (fds[i].kind && fds[i].fd == fd)
            k = fds[i].kind;
    pthread_mutex_unlock(&lock);
    return k;
}

static void logf_(const char *fmt, ...)
{
    if (!lb.log) {
        const char *p = getenv("SEG_FAKE_V4L2_RECORD");
        char path[4200];
        if (!p || !*p)
            return;
        snprintf(path, sizeof path, "%s.log", p);
        lb.log = fopen(path, "a");
        snprintf(path, sizeof path, "%s.raw", p);
        lb.raw = fopen(path, "a");
        if (!lb.log)
            return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(lb.log, fmt, ap);
    va_end(ap);
    fflush(lb.log);
}

/* A fake node: a real descriptor (of /dev/null) so the number is the
 * process's own and close() works, remembered as that kind. */
static int fake_open(const char *path, int kind)
{
    int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fd;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_FDS; i++)
        if (!fds[i].kind) {
            fds[i].fd = fd;
            fds[i].kind = kind;
            break;
        }
    pthread_mutex_unlock(&lock);
    if (kind == KIND_OUTPUT)
        logf_("OPEN %s\n", path);
    return fd;
}

int open(const char *path, int flags, ...)
{
    init_real();
    int k = kind_of_path(path);
    if (k)
        return fake_open(path, k);
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    init_real();
    int k = kind_of_path(path);
    if (k)
        return fake_open(path, k);
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    init_real();
    int k = kind_of_path(path);
    if (k)
        return fake_open(path, k);
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return real_openat(dirfd, path, flags, mode);
}

int close(int fd)
{
    init_real();
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_FDS; i++)
        if (fds[i].kind && fds[i].fd == fd) {
            if (fds[i].kind == KIND_OUTPUT && lb.log)
                logf_("CLOSE %ld\n", lb.frames);
            fds[i].kind = KIND_NONE;
        }
    pthread_mutex_unlock(&lock);
    return real_close(fd);
}

/* ---- the loopback node -------------------------------------------------- */

static const uint32_t LB_FORMATS[] = {V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_RGB24,
                                      V4L2_PIX_FMT_MJPEG};

static int lb_format_ok(uint32_t f)
{
    for (size_t i = 0; i < sizeof LB_FORMATS / sizeof LB_FORMATS[0]; i++)
        if (LB_FORMATS[i] == f)
            return 1;
    return 0;
}

/* v4l2loopback's size rules for a format. */
static void lb_fill(struct v4l2_pix_format *p)
{
    if (p->width < 2)
        p->width = 2;
    if (p->height < 1)
        p->height = 1;
    if (p->width > 8192)
        p->width = 8192;
    if (p->height > 8192)
        p->height = 8192;
    if (!lb_format_ok(p->pixelformat))
        p->pixelformat = V4L2_PIX_FMT_YUYV;
    switch (p->pixelformat) {
    case V4L2_PIX_FMT_YUYV: p->bytesperline = p->width * 2; break;
    case V4L2_PIX_FMT_RGB24: p->bytesperline = p->width * 3; break;
    case V4L2_PIX_FMT_YUV420: p->bytesperline = p->width; break;
    default: p->bytesperline = 0; break;
    }
    p->sizeimage = p->pixelformat == V4L2_PIX_FMT_YUV420 ? p->width * p->height * 3 / 2
                   : p->pixelformat == V4L2_PIX_FMT_MJPEG ? p->width * p->height * 2
                                                          : p->bytesperline * p->height;
    p->field = V4L2_FIELD_NONE;
}

static void set_caps(struct v4l2_capability *c, const char *driver, const char *card,
                     const char *bus, uint32_t caps)
{
    memset(c, 0, sizeof *c);
    snprintf((char *)c->driver, sizeof c->driver, "%s", driver);
    snprintf((char *)c->card, sizeof c->card, "%s", card);
    snprintf((char *)c->bus_info, sizeof c->bus_info, "%s", bus);
    c->version = 0x000c07; /* 0.12.7 */
    c->device_caps = caps;
    c->capabilities = caps | V4L2_CAP_DEVICE_CAPS;
}

static int lb_ioctl(unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP:
        /* exclusive_caps=1: an output until a writer has set a format, a
         * capture device after */
        set_caps(arg, "v4l2 loopback", "segstream", "platform:v4l2loopback-000",
                 V4L2_CAP_STREAMING | V4L2_CAP_READWRITE |
                     (lb.ready ? V4L2_CAP_VIDEO_CAPTURE : V4L2_CAP_VIDEO_OUTPUT));
        return 0;
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_OUTPUT && !(lb.ready && d->type == V4L2_BUF_TYPE_VIDEO_CAPTURE))
            break;
        uint32_t f;
        if (lb.ready) {
            if (d->index != 0)
                break;
            f = lb.pix.pixelformat;
        } else {
            if (d->index >= sizeof LB_FORMATS / sizeof LB_FORMATS[0])
                break;
            f = LB_FORMATS[d->index];
        }
        uint32_t idx = d->index, type = d->type;
        memset(d, 0, sizeof *d);
        d->index = idx;
        d->type = type;
        d->pixelformat = f;
        if (f == V4L2_PIX_FMT_MJPEG)
            d->flags = V4L2_FMT_FLAG_COMPRESSED;
        snprintf((char *)d->description, sizeof d->description, "%s",
                 f == V4L2_PIX_FMT_YUYV     ? "YUYV 4:2:2"
                 : f == V4L2_PIX_FMT_YUV420 ? "Planar YUV 4:2:0"
                 : f == V4L2_PIX_FMT_RGB24  ? "24-bit RGB 8-8-8"
                                            : "Motion-JPEG");
        return 0;
    }
    case VIDIOC_G_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT && f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            break;
        if (!lb.ready && f->type == V4L2_BUF_TYPE_VIDEO_CAPTURE)
            break;
        f->fmt.pix = lb.pix;
        return 0;
    }
    case VIDIOC_TRY_FMT:
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
            break; /* v4l2loopback: the capture side takes no format */
        if (lb.ready) { /* fixed by the writer: what is there */
            f->fmt.pix = lb.pix;
            return 0;
        }
        lb_fill(&f->fmt.pix);
        if (req == VIDIOC_S_FMT) {
            lb.pix = f->fmt.pix;
            char cc[5] = {0};
            memcpy(cc, &lb.pix.pixelformat, 4);
            logf_("S_FMT %u %u %s %u %u %u %u %u\n", lb.pix.width, lb.pix.height, cc,
                  lb.pix.bytesperline, lb.pix.sizeimage, lb.pix.colorspace, lb.pix.ycbcr_enc,
                  lb.pix.quantization);
        }
        return 0;
    }
    case VIDIOC_S_PARM:
    case VIDIOC_G_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_OUTPUT && p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            break;
        if (req == VIDIOC_S_PARM && p->type == V4L2_BUF_TYPE_VIDEO_OUTPUT &&
            p->parm.output.timeperframe.numerator && p->parm.output.timeperframe.denominator) {
            lb.tpf = p->parm.output.timeperframe;
            logf_("S_PARM %u/%u\n", lb.tpf.numerator, lb.tpf.denominator);
        }
        p->parm.output.timeperframe = lb.tpf;
        p->parm.output.capability = V4L2_CAP_TIMEPERFRAME;
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (s->index != 0)
            break;
        if (lb.ready) {
            s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
            s->discrete.width = lb.pix.width;
            s->discrete.height = lb.pix.height;
        } else {
            s->type = V4L2_FRMSIZE_TYPE_CONTINUOUS;
            s->stepwise = (struct v4l2_frmsize_stepwise){2, 8192, 1, 1, 8192, 1};
        }
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        if (v->index != 0)
            break;
        if (lb.ready) {
            v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
            v->discrete = lb.tpf;
        } else {
            v->type = V4L2_FRMIVAL_TYPE_CONTINUOUS;
            v->stepwise.min = (struct v4l2_fract){1, 1000};
            v->stepwise.max = (struct v4l2_fract){1, 1};
            v->stepwise.step = (struct v4l2_fract){1, 1};
        }
        return 0;
    }
    default: break;
    }
    errno = EINVAL;
    return -1;
}

/* ---- the webcam ----------------------------------------------------------- */

static const struct cam_size {
    uint32_t fmt, w, h;
    uint32_t fps[2];
} CAM_SIZES[] = {
    {V4L2_PIX_FMT_YUYV, 640, 480, {30, 15}},
    {V4L2_PIX_FMT_YUYV, 1280, 720, {10, 0}},
    {V4L2_PIX_FMT_MJPEG, 640, 480, {30, 0}},
    {V4L2_PIX_FMT_MJPEG, 1280, 720, {30, 0}},
};
#define N_CAM (sizeof CAM_SIZES / sizeof CAM_SIZES[0])

static int cam_ioctl(unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP:
        set_caps(arg, "uvcvideo", "Fake UVC Camera", "usb-0000:00:14.0-1",
                 V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
        return 0;
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index > 1)
            break;
        uint32_t idx = d->index, type = d->type;
        memset(d, 0, sizeof *d);
        d->index = idx;
        d->type = type;
        d->pixelformat = idx ? V4L2_PIX_FMT_MJPEG : V4L2_PIX_FMT_YUYV;
        d->flags = idx ? V4L2_FMT_FLAG_COMPRESSED : 0;
        snprintf((char *)d->description, sizeof d->description, "%s",
                 idx ? "Motion-JPEG" : "YUYV 4:2:2");
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        uint32_t k = 0;
        for (size_t i = 0; i < N_CAM; i++)
            if (CAM_SIZES[i].fmt == s->pixel_format && k++ == s->index) {
                s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
                s->discrete.width = CAM_SIZES[i].w;
                s->discrete.height = CAM_SIZES[i].h;
                return 0;
            }
        break;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        for (size_t i = 0; i < N_CAM; i++)
            if (CAM_SIZES[i].fmt == v->pixel_format && CAM_SIZES[i].w == v->width &&
                CAM_SIZES[i].h == v->height && v->index < 2 && CAM_SIZES[i].fps[v->index]) {
                v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
                v->discrete = (struct v4l2_fract){1, CAM_SIZES[i].fps[v->index]};
                return 0;
            }
        break;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            break; /* a webcam has no output side */
        f->fmt.pix.width = 640;
        f->fmt.pix.height = 480;
        f->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
        f->fmt.pix.bytesperline = 1280;
        f->fmt.pix.sizeimage = 1280 * 480;
        return 0;
    }
    default: break;
    }
    errno = EINVAL;
    return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
    init_real();
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int k = kind_of_fd(fd);
    if (k == KIND_NONE)
        return real_ioctl(fd, req, arg);
    pthread_mutex_lock(&lock);
    int r = k == KIND_OUTPUT ? lb_ioctl(req, arg) : cam_ioctl(req, arg);
    int e = errno;
    pthread_mutex_unlock(&lock);
    errno = e;
    return r;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    init_real();
    int k = kind_of_fd(fd);
    if (k == KIND_NONE)
        return real_write(fd, buf, n);
    if (k == KIND_CAPTURE || lb.pix.sizeimage == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&lock);
    /* v4l2loopback: one write is one frame, cut to the buffer size */
    size_t take = n > lb.pix.sizeimage ? lb.pix.sizeimage : n;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lb.ready = 1;
    logf_("FRAME %ld %zu %.6f\n", lb.frames, take, (double)ts.tv_sec + ts.tv_nsec / 1e9);
    if (lb.raw) {
        fwrite(buf, 1, take, lb.raw);
        fflush(lb.raw);
    }
    lb.frames++;
    pthread_mutex_unlock(&lock);
    return (ssize_t)take;
}

/* ---- /dev listings --------------------------------------------------------- */

static DIR *dev_dir;
static int dev_extra; /* fake entries handed out so far */
static struct dirent dev_ent;
static struct dirent64 dev_ent64;

DIR *opendir(const char *path)
{
    init_real();
    DIR *d = real_opendir(path);
    if (d && strcmp(path, "/dev") == 0) {
        dev_dir = d;
        dev_extra = 0;
    }
    return d;
}

int closedir(DIR *d)
{
    init_real();
    if (d == dev_dir)
        dev_dir = NULL;
    return real_closedir(d);
}

/* The next fake node's name once the real entries are done, or NULL. */
static const char *next_fake(void)
{
    const char *names[2] = {getenv("SEG_FAKE_V4L2_OUTPUT"), getenv("SEG_FAKE_V4L2_CAPTURE")};
    while (dev_extra < 2) {
        const char *p = names[dev_extra++];
        if (p && strncmp(p, "/dev/", 5) == 0 && !strchr(p + 5, '/'))
            return p + 5;
    }
    return NULL;
}

struct dirent *readdir(DIR *d)
{
    init_real();
    struct dirent *e = real_readdir(d);
    if (e || d != dev_dir)
        return e;
    const char *n = next_fake();
    if (!n)
        return NULL;
    memset(&dev_ent, 0, sizeof dev_ent);
    dev_ent.d_type = DT_CHR;
    snprintf(dev_ent.d_name, sizeof dev_ent.d_name, "%s", n);
    return &dev_ent;
}

struct dirent64 *readdir64(DIR *d)
{
    init_real();
    struct dirent64 *e = real_readdir64(d);
    if (e || d != dev_dir)
        return e;
    const char *n = next_fake();
    if (!n)
        return NULL;
    memset(&dev_ent64, 0, sizeof dev_ent64);
    dev_ent64.d_type = DT_CHR;
    snprintf(dev_ent64.d_name, sizeof dev_ent64.d_name, "%s", n);
    return &dev_ent64;
}
