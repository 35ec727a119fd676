/* seg_renderer.c - the renderer thread: takes the workers' results in frame
 * order (or the newest, live), composites each with display/, keeps the
 * legend of a multi-class model, dumps PNGs, and shows the window with its
 * keys and pacing (see seg_stages.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "seg_stages.h"

int seg_renderer_init(seg_renderer *r, seg_job *job)
{
    const seg_config *cfg = job->cfg;
    r->job = job;
    r->last_index = -1;
    for (int c = 0; c < SEG_MAX_CLASSES; c++)
        r->class_first[c] = r->class_last[c] = -1;
    r->base.disp = cfg->disp;
    /* A multi-class overlay is stronger by default: VOC's muted colours
     * (person 192,128,128) at 0.5 hardly show on a busy or grey scene. */
    if (job->overlay_labels && !cfg->opacity_given)
        r->base.disp.opacity = SEG_MULTICLASS_OPACITY;
    /* A matting model's alpha is the answer itself: --solid (interiors made
     * opaque from 0.5) would flatten its soft edges and hair. */
    if (job->model && job->model->matting && !cfg->disp.solid_set)
        r->base.disp.solid = 1.0f;
    snprintf(r->base.background, sizeof r->base.background, "%s",
             cfg->background ? cfg->background : "");
    r->base.mirror_preview = cfg->mirror_preview;
    r->base.mirror_output = cfg->mirror_output;
    r->base.legend = cfg->legend;
    r->cur = r->base;
    return disp_compositor_create(&r->comp, &r->base.disp);
}

void seg_renderer_close(seg_renderer *r)
{
    disp_window_close(&r->win);
    io_source_close(&r->bg_src);
    seg_image_free(&r->bg_frame);
    seg_image_free(&r->ids);
    io_dump_close(&r->dump);
    io_source_close(&r->gt_src);
    io_source_close(&r->void_src);
    seg_image_free(&r->gt_frame);
    seg_image_free(&r->gt_grey);
    disp_score_free(&r->score);
    disp_compositor_free(&r->comp);
}

/* ==== --eval ============================================================== */

/* A ground truth's byte for "not scored" where --eval-void marks a pixel
 * (a binary ground truth is 0 or 255, so 1 is free). */
#define EVAL_VOID_BYTE 1

/* Open a folder of grey PNGs (000000.png or 000001.png on) or anything
 * FFmpeg reads, decoded to RGB24 (a grey byte stays itself in every channel;
 * a YUV path would squeeze 0/255 into limited range). */
static int open_masks(io_source **src, const char *opt, const char *path, char *err,
                      size_t errlen)
{
    char url[4200], msg[SEG_MSG_SIZE];
    struct stat sb;
    int st;
    snprintf(url, sizeof url, "%s", path);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* FFmpeg's image2 finds the first number itself. */
        snprintf(url, sizeof url, "%s/%%06d.png", path);
        char first[4200], second[4200];
        snprintf(first, sizeof first, "%s/000000.png", path);
        snprintf(second, sizeof second, "%s/000001.png", path);
        if (stat(first, &sb) != 0 && stat(second, &sb) != 0) {
            seg_format_error(err, errlen, __func__, "%s '%s': a folder of masks needs "
                             "000000.png or 000001.png on", opt, path);
            return SEG_ERR_BAD_INPUT;
        }
    }
    io_source_opts so = {.pixfmt = SEG_PIX_RGB24};
    if ((st = io_source_open(src, url, &so, msg, sizeof msg))) {
        seg_format_error(err, errlen, __func__, "%s: %s", opt, msg);
        return st;
    }
    return SEG_OK;
}

int seg_renderer_open_eval(seg_renderer *r, const char *path, const char *void_path, char *err,
                           size_t errlen)
{
    int st;
    if ((st = open_masks(&r->gt_src, "--eval", path, err, errlen)) ||
        (void_path && (st = open_masks(&r->void_src, "--eval-void", void_path, err, errlen))))
        return st;
    disp_score_options o = disp_score_options_default();
    if (void_path)
        o.ignore = EVAL_VOID_BYTE;
    if ((st = disp_score_create(&r->score, &o))) {
        seg_format_error(err, errlen, __func__, "--eval: %s", seg_status_str(st));
        return st;
    }
    return SEG_OK;
}

/* The next frame of a mask source as grey bytes in *grey (allocated at the
 * frame's size); @p combine: 0 copy, 1 mark the void (>= 128) in *grey. A
 * failure is recorded (input). */
static int read_mask(seg_renderer *r, io_source *src, const char *opt, const char *path,
                     const seg_slot *s, int combine)
{
    seg_job *job = r->job;
    io_packet *pkt = NULL;
    int kind, st;
    while ((kind = io_source_read(src, &r->gt_frame, &pkt)) == IO_READ_AUDIO)
        io_packet_free(&pkt);
    if (kind != IO_READ_VIDEO) {
        seg_job_fail(job, kind == SEG_EOF ? SEG_ERR_BAD_INPUT : kind, SEG_WHERE_INPUT,
                     "%s '%s': %s at frame %lld", opt, path,
                     kind == SEG_EOF ? "the ground truth ends" : io_source_last_error(src),
                     (long long)s->image.index);
        return SEG_ERR_BAD_INPUT;
    }
    const seg_image *g = &r->gt_frame;
    if (g->width != s->image.width || g->height != s->image.height) {
        seg_job_fail(job, SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT, "%s '%s': frame %lld of the "
                     "ground truth is %dx%d, the input's %dx%d", opt, path,
                     (long long)s->image.index, g->width, g->height, s->image.width,
                     s->image.height);
        return SEG_ERR_BAD_INPUT;
    }
    if (r->gt_grey.width != g->width || r->gt_grey.height != g->height) {
        seg_image_free(&r->gt_grey);
        if ((st = seg_image_alloc(&r->gt_grey, g->width, g->height, SEG_PIX_GRAY8))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "--eval: out of memory");
            return st;
        }
    }
    for (int y = 0; y < g->height; y++) {
        const uint8_t *p = g->data + (size_t)y * g->stride;
        uint8_t *q = r->gt_grey.data + (size_t)y * r->gt_grey.stride;
        for (int x = 0; x < g->width; x++) /* grey: R = G = B */
            if (!combine)
                q[x] = p[3 * x];
            else if (p[3 * x] >= 128)
                q[x] = EVAL_VOID_BYTE;
    }
    return SEG_OK;
}

/* Score the refined alpha of the frame just composited against the next
 * ground truth frame (less its void). A failure is recorded. */
static int score_frame(seg_renderer *r, const seg_slot *s)
{
    seg_job *job = r->job;
    int st;
    if ((st = read_mask(r, r->gt_src, "--eval", job->cfg->eval_gt, s, 0)) ||
        (r->void_src &&
         (st = read_mask(r, r->void_src, "--eval-void", job->cfg->eval_void, s, 1))))
        return st;
    seg_image alpha;
    if ((st = disp_compositor_mask_image(r->comp, &alpha)) ||
        (st = disp_score_add(r->score, &alpha, &r->gt_grey, NULL))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "--eval: %s", disp_score_last_error(r->score));
        return st;
    }
    return SEG_OK;
}

/* ==== background ========================================================== */

/* How the background is opened: under the job's --timeout and stop, like
 * the input (a network URL or a FIFO must not hold the job up). */
static io_source_opts background_opts(seg_job *job)
{
    return (io_source_opts){.timeout_ms = job->cfg->timeout_ms,
                            .interrupt = seg_job_interrupt_cb,
                            .interrupt_opaque = job};
}

int seg_renderer_open_background(seg_renderer *r, const char *path, char *err, size_t errlen)
{
    /* A picture is scaled once; a video gives one frame per output frame
     * (read on this thread, looping). Two reads tell them apart. */
    char msg[SEG_MSG_SIZE];
    io_packet *pkt = NULL;
    int k1, k2 = SEG_EOF, st;
    io_source_close(&r->bg_src); /* a background before this one */
    r->bg_frames = 0;
    snprintf(r->cur.background, sizeof r->cur.background, "%s", path);
    io_source_opts so = background_opts(r->job);
    if ((st = io_source_open(&r->bg_src, path, &so, msg, sizeof msg))) {
        seg_format_error(err, errlen, __func__, "--background: %s", msg);
        return st;
    }
    k1 = io_source_read(r->bg_src, &r->bg_frame, &pkt);
    if (k1 == IO_READ_VIDEO) {
        seg_image second = {0};
        k2 = io_source_read(r->bg_src, &second, &pkt);
        seg_image_free(&second);
    }
    io_packet_free(&pkt);
    if (k1 != IO_READ_VIDEO) {
        seg_format_error(err, errlen, __func__, "--background '%s': no picture could be decoded",
                         path);
        return k1 < 0 && k1 != SEG_EOF ? k1 : SEG_ERR_BAD_INPUT;
    }
    io_source_close(&r->bg_src);
    if (k2 == IO_READ_VIDEO) { /* a video: start it again from frame 0 */
        if ((st = io_source_open(&r->bg_src, path, &so, msg, sizeof msg))) {
            seg_format_error(err, errlen, __func__, "--background: %s", msg);
            return st;
        }
        return SEG_OK;
    }
    /* a picture */
    if ((st = disp_compositor_set_background(r->comp, &r->bg_frame))) {
        seg_format_error(err, errlen, __func__, "--background '%s': %s", path,
                         seg_status_str(st));
        return st;
    }
    seg_image_free(&r->bg_frame);
    return SEG_OK;
}

/* The background video's next frame, looping at its end. NULL after a
 * failure (recorded). */
static const seg_image *next_background(seg_renderer *r)
{
    seg_job *job = r->job;
    io_packet *pkt = NULL;
    for (int tries = 0; tries < 2; tries++) {
        int kind;
        while ((kind = io_source_read(r->bg_src, &r->bg_frame, &pkt)) == IO_READ_AUDIO)
            io_packet_free(&pkt);
        if (kind == IO_READ_VIDEO) {
            r->bg_frames++;
            return &r->bg_frame;
        }
        if (kind != SEG_EOF || r->bg_frames == 0) {
            seg_job_fail(job, kind < 0 ? kind : SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT,
                         "background '%s': %s", r->cur.background,
                         kind == SEG_EOF ? "no video frame" : io_source_last_error(r->bg_src));
            return NULL;
        }
        /* The end: start again (once per loop, not per frame). */
        char msg[SEG_MSG_SIZE];
        io_source_close(&r->bg_src);
        r->bg_frames = 0;
        io_source_opts so = background_opts(job);
        int st = io_source_open(&r->bg_src, r->cur.background, &so, msg, sizeof msg);
        if (st) {
            seg_job_fail(job, st, SEG_WHERE_INPUT, "background: %s", msg);
            return NULL;
        }
    }
    seg_job_fail(job, SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT, "background '%s': no video frame",
                 r->cur.background);
    return NULL;
}

/* ==== results in order ==================================================== */

static void drop_result(seg_renderer *r, seg_slot *s)
{
    r->dropped++;
    atomic_fetch_add_explicit(&r->job->progress_dropped, 1, memory_order_relaxed);
    seg_give_back(r->job, r->job->render_ret, s);
}

/* The next result to show, or NULL when none is ready. Marks ENDs. */
static seg_slot *next_result(seg_renderer *r)
{
    seg_job *job = r->job;
    void *p;
    if (!job->live && !r->draining) {
        /* Round-robin is the decode order: the decoder dealt the frames
         * to the workers in turn, and each worker keeps its order. */
        if (seg_ring_try_pop(job->results[r->next], &p) != SEG_OK)
            return NULL;
        seg_slot *s = p;
        if (s->kind == SEG_MSG_END) {
            r->ended[r->next] = 1;
            r->nended++;
            r->draining = 1;
            return NULL;
        }
        r->next = (r->next + 1) % job->nworkers;
        return s;
    }
    /* Live (or draining): everything ready from every worker; keep the
     * newest, hand the others back. */
    seg_slot *best = NULL;
    for (int i = 0; i < job->nworkers; i++) {
        while (!r->ended[i] && seg_ring_try_pop(job->results[i], &p) == SEG_OK) {
            seg_slot *s = p;
            if (s->kind == SEG_MSG_END) {
                r->ended[i] = 1;
                r->nended++;
            } else if (!best || s->image.index > best->image.index) {
                if (best)
                    drop_result(r, best);
                best = s;
            } else {
                drop_result(r, s);
            }
        }
    }
    return best;
}

/* ==== compositing ========================================================= */

/* The legend drawn into frames lists a class while it covers at least
 * 1/LEGEND_MIN_SHARE of the model's mask (so a few stray pixels do not
 * list it) and for LEGEND_HOLD frames after it was last seen (so a class
 * that comes and goes from one frame to the next does not make the legend
 * flicker). */
#define LEGEND_MIN_SHARE 2000
#define LEGEND_HOLD 15

/* Multi-class models: the classes of this frame. Those seen for the first
 * time go into DIR/legend.txt with --dump-frames (rewritten only when a
 * class appears, so it lists the classes present so far); those covering
 * enough of the picture are stamped for the drawn legend. */
static int update_legend(seg_renderer *r, const seg_slot *s)
{
    seg_job *job = r->job;
    uint32_t count[SEG_MAX_CLASSES] = {0};
    size_t n = (size_t)s->mask_w * s->mask_h;
    for (size_t i = 0; i < n; i++)
        if (job->overlay_labels ? s->mask[i] >= 0.5f : s->labels[i] != 0)
            count[s->labels[i]]++;
    size_t enough = n / LEGEND_MIN_SHARE > 0 ? n / LEGEND_MIN_SHARE : 1;
    uint8_t present[SEG_MAX_CLASSES];
    for (int c = 0; c < SEG_MAX_CLASSES; c++) {
        present[c] = count[c] > 0;
        if (count[c] >= enough)
            r->class_last[c] = r->composited;
    }
    int fresh = 0;
    for (int c = 1; c < SEG_MAX_CLASSES; c++) {
        if (present[c] && r->class_first[c] < 0) {
            r->class_first[c] = s->image.index;
            r->classes_seen++;
            fresh = 1;
        }
    }
    if (!fresh || !job->cfg->dump_dir)
        return SEG_OK;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/legend.txt", job->cfg->dump_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* Not through a symlink planted in the dump folder. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "cannot write '%s': %s", tmp,
                     strerror(errno));
        return SEG_ERR_IO;
    }
    fprintf(f, "# classes present so far: label, name, overlay colour (RRGGBB), first frame\n");
    for (int c = 1; c < SEG_MAX_CLASSES; c++) {
        if (r->class_first[c] < 0)
            continue;
        uint8_t rgb[3];
        disp_palette_color(c, rgb);
        const char *name = job->models[s->model]->labels[c];
        fprintf(f, "%d\t%s\t%02x%02x%02x\t%lld\n", c, name[0] ? name : "?", rgb[0], rgb[1],
                rgb[2], (long long)r->class_first[c]);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "cannot write '%s': %s", path,
                     strerror(errno));
        return SEG_ERR_IO;
    }
    return SEG_OK;
}

/* The drawn legend: the classes of the last LEGEND_HOLD frames, in label
 * order (a class keeps its line while it stays), over the composite when it
 * shows the class colours (overlay, or side-by-side's overlay panel). */
static int draw_legend(seg_renderer *r, const seg_slot *s, seg_image *out)
{
    const seg_job *job = r->job;
    const seg_model *sm = job->models[s->model];
    const disp_options *o = disp_compositor_options(r->comp);
    if (!job->overlay_labels || !r->cur.legend ||
        !(o->mode == DISP_MODE_OVERLAY ||
          (o->mode == DISP_MODE_SIDE_BY_SIDE && o->side_mode == DISP_MODE_OVERLAY)))
        return SEG_OK;
    disp_legend_entry e[SEG_MAX_CLASSES];
    int n = 0;
    for (int c = 1; c < SEG_MAX_CLASSES; c++) {
        if (r->class_last[c] < 0 || r->composited - r->class_last[c] >= LEGEND_HOLD)
            continue;
        disp_palette_color(c, e[n].rgb);
        e[n].name = sm->labels[c][0] ? sm->labels[c] : "?";
        n++;
    }
    return disp_legend_draw(out, e, n);
}

/* Flip a picture left-right in place (--mirror output). */
static void mirror_plane(uint8_t *data, int stride, int w, int h, int bpp)
{
    for (int y = 0; y < h; y++) {
        uint8_t *row = data + (size_t)y * stride;
        for (int a = 0, b = w - 1; a < b; a++, b--)
            for (int k = 0; k < bpp; k++) {
                uint8_t t = row[a * bpp + k];
                row[a * bpp + k] = row[b * bpp + k];
                row[b * bpp + k] = t;
            }
    }
}

static void mirror_image(seg_image *im)
{
    if (im->format == SEG_PIX_YUV420P) {
        mirror_plane(im->data, im->stride, im->width, im->height, 1);
        mirror_plane(im->cb, im->cstride, seg_chroma_w(im->width), seg_chroma_h(im->height), 1);
        mirror_plane(im->cr, im->cstride, seg_chroma_w(im->width), seg_chroma_h(im->height), 1);
    } else {
        mirror_plane(im->data, im->stride, im->width, im->height, seg_pixfmt_bpp(im->format));
    }
}

/* --instances with --dump-frames: ids_NNNNNN.png, each pixel the number of
 * the person there (1 the leftmost region, as overlay colours them; 0
 * nobody). The region grid's ids, nearest to the pixel, where the refined
 * alpha is at least one half. */
static int dump_ids(seg_renderer *r, const seg_slot *s, const seg_image *alpha)
{
    int w = alpha->width, h = alpha->height, st;
    if (r->ids.width != w || r->ids.height != h) {
        seg_image_free(&r->ids);
        memset(&r->ids, 0, sizeof r->ids);
        if ((st = seg_image_alloc(&r->ids, w, h, SEG_PIX_GRAY8)))
            return st;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *a = alpha->data + (size_t)y * alpha->stride;
        uint8_t *o = r->ids.data + (size_t)y * r->ids.stride;
        const uint8_t *l = s->labels + (size_t)((int64_t)y * s->mask_h / h) * s->mask_w;
        for (int x = 0; x < w; x++)
            o[x] = a[x] >= 128 ? l[(int64_t)x * s->mask_w / w] : 0;
    }
    r->ids.index = alpha->index;
    r->ids.pts = alpha->pts;
    return io_dump_write_ids(r->dump, &r->ids);
}

/* Composite one result; SEG_OK when done (the slot is then the encoder's,
 * s->shown what to write). A failure is recorded and ends the rendering. */
static int render_frame(seg_renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    double ta = seg_clock_ms();
    disp_input in = {
        .frame = &s->image,
        .mask = s->mask,
        .mask_w = s->mask_w,
        .mask_h = s->mask_h,
        .labels = job->overlay_labels ? s->labels : NULL,
    };
    int st = SEG_OK;
    const disp_options *o = disp_compositor_options(r->comp);
    if (r->bg_src && (o->mode == DISP_MODE_REPLACE ||
                      (o->mode == DISP_MODE_SIDE_BY_SIDE && o->side_mode == DISP_MODE_REPLACE))) {
        if (!(in.background = next_background(r)))
            return SEG_ERR_IO;
    }
    /* The one display call: whatever display/ draws, it draws here, in
     * frame order, on this thread. In place unless the mode changes the
     * size or format (alpha, side-by-side). */
    seg_image *out = &s->image;
    if (o->mode == DISP_MODE_ALPHA || o->mode == DISP_MODE_SIDE_BY_SIDE) {
        out = &s->out;
        st = disp_output_prepare(r->comp, s->image.width, s->image.height, out);
    }
    if (!st)
        st = disp_render(r->comp, &in, out);
    if (st) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "compositing failed: %s", seg_status_str(st));
        return st;
    }
    s->shown = out;
    if (r->cur.mirror_output)
        mirror_image(out);
    if (job->multiclass && s->labels && (st = update_legend(r, s)))
        return st;
    if (job->multiclass && (st = draw_legend(r, s, out))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "drawing the legend failed: %s",
                     seg_status_str(st));
        return st;
    }
    if (r->dump && io_dump_wants(r->dump, s->image.index)) {
        seg_image mask;
        if ((st = disp_compositor_mask_image(r->comp, &mask)) == SEG_OK)
            st = io_dump_write(r->dump, out, &mask);
        if (!st && job->instances && s->labels && (st = dump_ids(r, s, &mask)) == SEG_ERR_NOMEM) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for the instance ids");
            return st;
        }
        if (st) {
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "--dump-frames: %s",
                         io_dump_last_error(r->dump));
            return st;
        }
    }
    double tb = seg_clock_ms();
    seg_times_add(&r->composite_times, tb - ta);
    seg_times_add(&r->latency_times, tb - s->t_decoded);
    if (r->score && (st = score_frame(r, s))) /* not timed: not the product's work */
        return st;
    if (r->composited > 0 && s->image.index != r->last_index + 1)
        r->index_gaps++;
    r->last_index = s->image.index;
    r->composited++;
    return SEG_OK;
}

/* ==== settings: window keys and --config ================================= */

/* The mode and panel @p o asks for fit the job: an output (a file or a
 * camera) keeps the size and format it was opened with, and YUV frames can
 * only be drawn by the modes that take them. 0 or -1 with a reason. */
static int settings_fit(seg_renderer *r, const seg_settings *ns, const char **why)
{
    const seg_job *job = r->job;
    const seg_config *cfg = job->cfg;
    int w0, h0, w1, h1;
    seg_pixfmt f0, f1;
    if (ns->disp.mode == DISP_MODE_REPLACE && !ns->background[0]) {
        *why = "replace mode needs a background";
        return -1;
    }
    if (job->work_fmt == SEG_PIX_YUV420P && !disp_mode_takes_yuv(ns->disp.mode)) {
        *why = "alpha and side-by-side need RGB frames; start with that mode (or "
               "--compose-rgb) to use it";
        return -1;
    }
    if ((cfg->output || job->vcam) &&
        (disp_output_size(cfg->disp.mode, 64, 64, &w0, &h0, &f0) != SEG_OK ||
         disp_output_size(ns->disp.mode, 64, 64, &w1, &h1, &f1) != SEG_OK || w0 != w1 ||
         h0 != h1 || f0 != f1)) {
        *why = "that mode changes the size or format of what -o gets";
        return -1;
    }
    return 0;
}

/* Put @p ns in force. A background that cannot be opened, or settings that
 * do not fit the job, leave everything as it was: -1 and the reason in
 * msg. */
/* The index in job->models of a settings' model: "" the first, else a -m
 * path as given, its file name, or its number from 1; -1 when none. */
static int find_model(const seg_renderer *r, const char *want)
{
    const seg_config *cfg = r->job->cfg;
    int n = r->job->nmodels;
    if (!want[0])
        return 0;
    char *end;
    long k = strtol(want, &end, 10);
    if (*end == '\0' && k >= 1 && k <= n)
        return (int)k - 1;
    for (int i = 0; i < n; i++) {
        const char *path = cfg->models && cfg->nmodels > i ? cfg->models[i] : cfg->model;
        const char *slash = strrchr(path, '/');
        if (strcmp(want, path) == 0 || strcmp(want, slash ? slash + 1 : path) == 0)
            return i;
    }
    return -1;
}

static int apply_settings(seg_renderer *r, const seg_settings *ns, char *msg, size_t n)
{
    const char *why = NULL;
    if (settings_fit(r, ns, &why)) {
        snprintf(msg, n, "%s", why);
        return -1;
    }
    int model = r->model;
    if (strcmp(ns->model, r->cur.model) != 0 && (model = find_model(r, ns->model)) < 0) {
        snprintf(msg, n, "model '%.300s' is not one of the -m models (every model is given "
                 "with -m at the start; they are numbered from 1)", ns->model);
        return -1;
    }
    if (strcmp(ns->background, r->cur.background) != 0 && ns->background[0]) {
        char old[sizeof r->cur.background], e2[SEG_MSG_SIZE];
        snprintf(old, sizeof old, "%s", r->cur.background);
        if (seg_renderer_open_background(r, ns->background, msg, n) != SEG_OK) {
            /* back to the old one, as far as it still opens */
            if (old[0])
                (void)seg_renderer_open_background(r, old, e2, sizeof e2);
            return -1;
        }
    }
    if (disp_compositor_set_options(r->comp, &ns->disp) != SEG_OK) {
        snprintf(msg, n, "the display options do not fit together");
        return -1;
    }
    r->cur = *ns;
    if (model != r->model) {
        /* release: pairs with the acquire load in the worker's
         * follow_model_pick */
        r->model = model;
        atomic_store_explicit(&r->job->model_pick, model, memory_order_release);
    }
    return 0;
}

static void clampf(float *v, float lo, float hi)
{
    *v = *v < lo ? lo : *v > hi ? hi : *v;
}

/* The setting keys' steps. */
static void adjust(seg_renderer *r, const int steps[DISP_ADJ_COUNT], int frame_h)
{
    seg_settings ns = r->cur;
    disp_options *o = &ns.disp;
    char msg[SEG_MSG_SIZE];
    o->threshold += 0.05f * (float)steps[DISP_ADJ_THRESHOLD];
    clampf(&o->threshold, 0.0f, 0.95f);
    if (o->threshold < 0.025f)
        o->threshold = 0.0f; /* off */
    o->feather += 2 * steps[DISP_ADJ_FEATHER];
    o->feather = o->feather < 0 ? 0 : o->feather > DISP_MAX_FEATHER ? DISP_MAX_FEATHER : o->feather;
    if (steps[DISP_ADJ_BLUR]) {
        /* 0 is "frame height / 40": start from what that is */
        int b = o->blur > 0 ? o->blur : (frame_h / 40 > 1 ? frame_h / 40 : 1);
        for (int i = 0; i < steps[DISP_ADJ_BLUR]; i++)
            b = b * 5 / 4 > b ? b * 5 / 4 : b + 1;
        for (int i = 0; i > steps[DISP_ADJ_BLUR]; i--)
            b = b * 4 / 5;
        o->blur = b < 1 ? 1 : b > DISP_MAX_BLUR ? DISP_MAX_BLUR : b;
    }
    o->smooth += 0.1f * (float)steps[DISP_ADJ_SMOOTH];
    clampf(&o->smooth, 0.0f, 1.0f);
    o->opacity += 0.1f * (float)steps[DISP_ADJ_OPACITY];
    clampf(&o->opacity, 0.0f, 1.0f);
    if (apply_settings(r, &ns, msg, sizeof msg))
        fprintf(stderr, "segstream: warning: %s\n", msg);
}

/* The n key: the next of the --background files. */
static void next_background_file(seg_renderer *r)
{
    const seg_config *cfg = r->job->cfg;
    int n = cfg->backgrounds ? cfg->nbackgrounds : (cfg->background ? 1 : 0);
    if (n < 2) {
        fprintf(stderr, "segstream: n: one background; give --background several times to "
                        "step through them\n");
        return;
    }
    seg_settings ns = r->cur;
    r->bg_index = (r->bg_index + 1) % n;
    snprintf(ns.background, sizeof ns.background, "%s", cfg->backgrounds[r->bg_index]);
    char msg[SEG_MSG_SIZE];
    if (apply_settings(r, &ns, msg, sizeof msg))
        fprintf(stderr, "segstream: warning: background: %s\n", msg);
}

/* The M key: the workers take the next -m model from their next frame on
 * (release: pairs with the acquire load in the worker's follow_model_pick). */
static void next_model(seg_renderer *r)
{
    seg_job *job = r->job;
    if (job->nmodels < 2) {
        fprintf(stderr, "segstream: M: one model; give -m several times to cycle through "
                        "them\n");
        return;
    }
    seg_settings ns = r->cur;
    char msg[512];
    snprintf(ns.model, sizeof ns.model, "%d", (r->model + 1) % job->nmodels + 1);
    if (apply_settings(r, &ns, msg, sizeof msg))
        fprintf(stderr, "segstream: warning: model: %s\n", msg);
}

/* The file name of the model in use (for the title and messages). */
static const char *model_name(const seg_renderer *r)
{
    const seg_config *cfg = r->job->cfg;
    const char *path = cfg->models && cfg->nmodels > r->model ? cfg->models[r->model]
                                                              : cfg->model;
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* --config: reread the file when it changed (looked at 4 times a second,
 * so a change is in force within about a quarter of a second plus a
 * frame) or on SIGHUP. A bad file keeps the settings in force. */
static void check_config(seg_renderer *r)
{
    const char *path = r->job->cfg->config_file;
    if (!path)
        return;
    double now = seg_clock_ms();
    int forced = seg_take_reload_request();
    if (!forced && now - r->t_config_check < 250.0)
        return;
    r->t_config_check = now;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (forced)
            fprintf(stderr, "segstream: warning: --config '%s': %s; keeping the settings in "
                            "force\n", path, strerror(errno));
        return;
    }
    int changed = sb.st_mtim.tv_sec != r->config_mtime.tv_sec ||
                  sb.st_mtim.tv_nsec != r->config_mtime.tv_nsec ||
                  (long long)sb.st_size != r->config_size;
    if (!changed && !forced)
        return;
    r->config_mtime = sb.st_mtim;
    r->config_size = (long long)sb.st_size;
    seg_settings ns;
    char msg[1024];
    if (seg_settings_load(path, &r->base, &ns, msg, sizeof msg) != SEG_OK ||
        apply_settings(r, &ns, msg, sizeof msg) != 0) {
        fprintf(stderr, "segstream: warning: %s; keeping the settings in force\n", msg);
        return;
    }
    fprintf(stderr, "segstream: --config '%s' applied\n", path);
}

int seg_renderer_load_config(seg_renderer *r, char *err, size_t errlen)
{
    const char *path = r->job->cfg->config_file;
    struct stat sb;
    seg_settings ns;
    char msg[1024];
    if (!path)
        return SEG_OK;
    if (stat(path, &sb) == 0) {
        r->config_mtime = sb.st_mtim;
        r->config_size = (long long)sb.st_size;
    }
    int st = seg_settings_load(path, &r->base, &ns, msg, sizeof msg);
    if (st)
        seg_format_error(err, errlen, __func__, "%s", msg);
    else if (apply_settings(r, &ns, msg, sizeof msg) != 0) {
        seg_format_error(err, errlen, __func__, "--config '%s': %s", path, msg);
        st = SEG_ERR_INVALID;
    }
    r->t_config_check = seg_clock_ms();
    return st;
}

/* ==== the window ========================================================== */

/* The mode after the current one for the window's mode key: the next one
 * the job can draw (see settings_fit). */
static disp_mode window_next_mode(seg_renderer *r, disp_mode cur)
{
    const seg_config *cfg = r->job->cfg;
    int have_bg = r->cur.background[0] || cfg->background;
    seg_settings ns = r->cur;
    const char *why;
    disp_mode m = cur;
    for (int i = 0; i < DISP_MODE_COUNT; i++) {
        m = disp_mode_next(m, have_bg);
        ns.disp.mode = m;
        if (settings_fit(r, &ns, &why) == 0)
            return m;
    }
    return cur;
}

/* The current settings, for the title and the overlay. */
static void format_values(const seg_renderer *r, char *buf, size_t n, int frame_h)
{
    const disp_options *o = &r->cur.disp;
    const char *bg = strrchr(r->cur.background, '/');
    bg = bg ? bg + 1 : r->cur.background;
    int blur = o->blur > 0 ? o->blur : (frame_h / 40 > 1 ? frame_h / 40 : 1);
    size_t k = 0;
    if (r->job->nmodels > 1) { /* which of the models the M key cycles through */
        snprintf(buf, n, "model %.60s ", model_name(r));
        k = strlen(buf);
        buf += k;
        n -= k;
    }
    snprintf(buf, n, "threshold %.2f feather %d blur %d%s smooth %.1f opacity %.1f%s%.60s%s%s",
             (double)o->threshold, o->feather, blur, o->blur > 0 ? "" : " (auto)",
             (double)o->smooth, (double)o->opacity, bg[0] ? " bg " : "", bg,
             r->cur.mirror_preview || r->cur.mirror_output ? " mirror " : "",
             r->cur.mirror_preview || r->cur.mirror_output
                 ? seg_mirror_name(r->cur.mirror_preview, r->cur.mirror_output)
                 : "");
}

/* Save the frame @p s shows: one PNG per press, named after the frame
 * (-2, -3... when it is shot again). */
static void screenshot(seg_renderer *r, const seg_slot *s)
{
    const seg_config *cfg = r->job->cfg;
    char path[4200], msg[256];
    const char *dir = cfg->dump_dir ? cfg->dump_dir : ".";
    struct stat sb;
    snprintf(path, sizeof path, "%s/segstream-shot-%06lld.png", dir, (long long)s->image.index);
    for (int k = 2; stat(path, &sb) == 0 && k < 10000; k++)
        snprintf(path, sizeof path, "%s/segstream-shot-%06lld-%d.png", dir,
                 (long long)s->image.index, k);
    r->shot_seq++;
    if (io_png_save(path, s->shown, msg, sizeof msg) == SEG_OK)
        fprintf(stderr, "segstream: screenshot %s\n", path);
    else
        fprintf(stderr, "segstream: warning: screenshot: %s\n", msg);
}

/* Act on the window's keys; s is the frame on the screen while it is still
 * ours (shown, not yet handed on), else NULL: screenshots asked for then
 * are taken of the next frame shown. */
static void window_actions(seg_renderer *r, seg_slot *s, int act)
{
    seg_job *job = r->job;
    if (act < 0)
        return;
    if (act & DISP_ACT_QUIT) {
        seg_job_stop(job); /* what was shown is kept; the rest is discarded */
        return;
    }
    int frame_h = s ? s->image.height : job->info->height;
    if (act & DISP_ACT_PAUSE)
        r->paused = !r->paused;
    if (act & DISP_ACT_MODE) {
        seg_settings ns = r->cur;
        char msg[SEG_MSG_SIZE];
        ns.disp.mode = window_next_mode(r, ns.disp.mode);
        if (apply_settings(r, &ns, msg, sizeof msg))
            fprintf(stderr, "segstream: warning: mode: %s\n", msg);
    }
    if (act & DISP_ACT_ADJUST) {
        int steps[DISP_ADJ_COUNT];
        disp_window_take_adjust(r->win, steps);
        adjust(r, steps, frame_h);
    }
    if (act & DISP_ACT_BACKGROUND)
        next_background_file(r);
    if (act & DISP_ACT_STATS)
        r->stats_on = !r->stats_on;
    if (act & DISP_ACT_MIRROR)
        r->cur.mirror_preview = !r->cur.mirror_preview;
    if (act & DISP_ACT_LEGEND)
        r->cur.legend = !r->cur.legend;
    if (act & DISP_ACT_MODEL)
        next_model(r);
    if (act & (DISP_ACT_MODE | DISP_ACT_ADJUST | DISP_ACT_BACKGROUND | DISP_ACT_MIRROR |
               DISP_ACT_LEGEND | DISP_ACT_MODEL)) {
        char values[400];
        format_values(r, values, sizeof values, frame_h);
        fprintf(stderr, "segstream: settings: %s, mode %s\n", values,
                disp_mode_name(r->cur.disp.mode));
    }
    r->shots_pending += disp_window_take_screenshots(r->win);
    if (s && s->shown)
        for (; r->shots_pending > 0; r->shots_pending--)
            screenshot(r, s);
}

/* The title's values, the overlay and the mirror, after any change. */
static void window_status(seg_renderer *r, const seg_slot *s, double fps)
{
    char values[400], overlay[1024];
    const char *mode = disp_mode_name(disp_compositor_options(r->comp)->mode);
    format_values(r, values, sizeof values, s->image.height);
    disp_window_set_values(r->win, values);
    disp_window_set_status(r->win, mode, fps, s->infer_ms, r->paused);
    /* The window flips what the output does not (seg_control.h). */
    disp_window_set_mirror(r->win, r->cur.mirror_preview != r->cur.mirror_output);
    if (!r->stats_on) {
        disp_window_set_overlay(r->win, NULL);
        return;
    }
    seg_pctl lat = seg_times_pctl(&r->latency_times);
    snprintf(overlay, sizeof overlay,
             "%s  %.1f fps  %dx%d%s\ninference %.1f ms  latency p50 %.1f p99 %.1f ms\n"
             "frames %lld  dropped %lld\n%s",
             mode, fps, s->image.width, s->image.height, r->paused ? "  paused" : "",
             s->infer_ms, lat.p50, lat.p99, (long long)r->composited,
             (long long)atomic_load_explicit(&r->job->progress_dropped, memory_order_relaxed),
             values);
    /* one line of settings is too wide for a small frame: break it */
    char *sp = strstr(overlay, " blur ");
    if (sp && s->image.width < 1000)
        *sp = '\n';
    disp_window_set_overlay(r->win, overlay);
}

/* Wait until frame @p s is due (a file plays at its own pace, to the window
 * and to a virtual camera alike), handling the window's keys meanwhile. */
static void pace_wait(seg_renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    const io_video_info *info = job->info;
    double now = seg_clock_ms();
    if (info->time_base_den <= 0)
        return;
    if (!r->have_pts0) {
        r->have_pts0 = 1;
        r->pts0 = s->image.pts;
        r->t_pts0 = now;
    }
    double target = r->t_pts0 + (double)(s->image.pts - r->pts0) * 1e3 * info->time_base_num /
                                    info->time_base_den;
    while ((now = seg_clock_ms()) < target && !seg_job_stopping(job)) {
        double ms = target - now > 10 ? 10 : target - now;
        seg_sleep_us((long)(ms * 1000));
        if (r->win)
            window_actions(r, NULL, disp_window_poll(r->win));
        check_config(r);
    }
}

static void window_failed(seg_renderer *r)
{
    seg_job_fail(r->job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "window: %s",
                 disp_window_last_error(r->win));
}

/* Show a composited frame, first step: copy it into the window and handle
 * the keys while the frame is still ours (screenshots of it); holds it while
 * paused. The costly drawing is show_end()'s, after the frame has gone on to
 * the encoder or camera, which so does not wait for the window. -1 when
 * the window failed. */
static int show_begin(seg_renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    double now = seg_clock_ms();
    if (r->t_first == 0)
        r->t_first = now;
    disp_window_set_mirror(r->win, r->cur.mirror_preview != r->cur.mirror_output);
    if (disp_window_upload(r->win, s->shown) != SEG_OK) {
        window_failed(r);
        return -1;
    }
    double el = (seg_clock_ms() - r->t_first) / 1e3;
    double fps = el > 0 ? (double)r->composited / el : 0.0;
    window_actions(r, s, disp_window_poll(r->win));
    window_status(r, s, fps);
    if (!r->paused)
        return 0;
    if (disp_window_draw(r->win) != SEG_OK) {
        window_failed(r);
        return -1;
    }
    double t_pause = seg_clock_ms();
    window_status(r, s, 0.0);
    while (r->paused && !seg_job_stopping(job)) {
        seg_sleep_us(10000);
        int act = disp_window_poll(r->win);
        window_actions(r, s, act);
        check_config(r);
        if (act > 0 && !(act & DISP_ACT_QUIT))
            window_status(r, s, 0.0); /* the new values; drawn from the next frame on */
    }
    r->t_pts0 += seg_clock_ms() - t_pause; /* the clock stood still */
    return 0;
}

/* Second step: draw what show_begin() copied; @p t_decoded is the frame's
 * (the slot is no longer ours). */
static void show_end(seg_renderer *r, double t_decoded)
{
    if (disp_window_draw(r->win) != SEG_OK) {
        window_failed(r);
        return;
    }
    seg_times_add(&r->shown_times, seg_clock_ms() - t_decoded);
}

/* ==== the thread ========================================================== */

void *seg_renderer_main(void *arg)
{
    seg_renderer *r = arg;
    seg_job *job = r->job;
    pthread_setname_np(pthread_self(), "seg-renderer");
    seg_backoff b = {0};

    if (job->cfg->display) {
        /* SDL wants its window used by the thread that opened it: this one. */
        char msg[SEG_MSG_SIZE];
        int st = disp_window_open(&r->win, &(disp_window_opts){.title = "segstream"}, msg,
                                  sizeof msg);
        if (st) {
            r->failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", msg);
        }
    }
    /* A file plays at its own pace in a window and to a virtual camera; a
     * live source comes at its own rate already. */
    r->pace = !job->live && !job->cfg->no_pacing && (r->win || job->vcam);
    r->stats_on = job->cfg->stats_overlay;

    while (r->nended < job->nworkers) {
        seg_slot *s = next_result(r);
        if (!s) {
            if (r->win && !r->failed)
                window_actions(r, NULL, disp_window_poll(r->win));
            check_config(r);
            if (r->nended < job->nworkers)
                seg_backoff_wait(&b);
            continue;
        }
        seg_backoff_reset(&b);
        int limit = job->max_frames > 0 && r->composited >= job->max_frames;
        if (r->failed || seg_job_stopping(job) || limit) {
            seg_give_back(job, job->render_ret, s); /* discarded after the end */
            continue;
        }
        if (job->live && s->image.index <= r->last_index) {
            drop_result(r, s); /* older than what is already out */
            continue;
        }
        check_config(r);
        if (render_frame(r, s) != SEG_OK) {
            r->failed = 1;
            seg_give_back(job, job->render_ret, s);
            continue;
        }
        if (job->cfg->next_model_at > 0 && r->composited == job->cfg->next_model_at)
            next_model(r); /* the M key without a window (tests) */
        if (r->pace)
            pace_wait(r, s);
        int shown = r->win && show_begin(r, s) == 0;
        double t_decoded = s->t_decoded;
        /* The encoder always drains, so this wait ends. */
        (void)seg_push_wait(job, job->to_encoder, s, 0);
        seg_depth_add(&r->encode_depth, seg_ring_size(job->to_encoder));
        if (shown)
            show_end(r, t_decoded);
        if (job->max_frames > 0 && r->composited >= job->max_frames)
            seg_job_stop(job); /* live: the decoder cannot know when */
    }
    disp_window_close(&r->win);
    r->end.kind = SEG_MSG_END;
    r->end.status = SEG_EOF;
    (void)seg_push_wait(job, job->to_encoder, &r->end, 0);
    return NULL;
}
