/* seg_renderer.c - the renderer thread: takes the workers' results in frame
 * order (or the newest, live), composites each with display/, keeps the
 * legend of a multi-class model, dumps PNGs, and shows the window with its
 * keys and pacing (see seg_stages.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "seg_stages.h"

int seg_renderer_init(seg_renderer *r, seg_job *job)
{
    r->job = job;
    r->last_index = -1;
    for (int c = 0; c < SEG_MAX_CLASSES; c++)
        r->class_first[c] = -1;
    return disp_compositor_create(&r->comp, &job->cfg->disp);
}

void seg_renderer_close(seg_renderer *r)
{
    disp_window_close(&r->win);
    io_source_close(&r->bg_src);
    seg_image_free(&r->bg_frame);
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
    char url[4200], msg[512];
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
    char msg[512];
    io_packet *pkt = NULL;
    int k1, k2 = SEG_EOF, st;
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
                         "background '%s': %s", job->cfg->background,
                         kind == SEG_EOF ? "no video frame" : io_source_last_error(r->bg_src));
            return NULL;
        }
        /* The end: start again (once per loop, not per frame). */
        char msg[512];
        io_source_close(&r->bg_src);
        r->bg_frames = 0;
        io_source_opts so = background_opts(job);
        int st = io_source_open(&r->bg_src, job->cfg->background, &so, msg, sizeof msg);
        if (st) {
            seg_job_fail(job, st, SEG_WHERE_INPUT, "background: %s", msg);
            return NULL;
        }
    }
    seg_job_fail(job, SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT, "background '%s': no video frame",
                 job->cfg->background);
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

/* Multi-class models: classes seen for the first time in this frame go into
 * the legend, DIR/legend.txt with --dump-frames (rewritten only when a class
 * appears, so it lists the classes present so far). */
static int update_legend(seg_renderer *r, const seg_slot *s)
{
    seg_job *job = r->job;
    uint8_t present[SEG_MAX_CLASSES] = {0};
    size_t n = (size_t)s->mask_w * s->mask_h;
    for (size_t i = 0; i < n; i++)
        if (job->overlay_labels ? s->mask[i] >= 0.5f : s->labels[i] != 0)
            present[s->labels[i]] = 1;
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
        const char *name = job->model->labels[c];
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
    if (job->multiclass && s->labels && (st = update_legend(r, s)))
        return st;
    if (r->dump && io_dump_wants(r->dump, s->image.index)) {
        seg_image mask;
        if ((st = disp_compositor_mask_image(r->comp, &mask)) == SEG_OK)
            st = io_dump_write(r->dump, out, &mask);
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

/* ==== the window ========================================================== */

/* The mode after the current one for the window's mode key. With an output
 * file the size and format of what is written are fixed, so modes that
 * change them (alpha, side-by-side) are left out unless the job uses one. */
static disp_mode window_next_mode(seg_renderer *r, disp_mode cur)
{
    const seg_config *cfg = r->job->cfg;
    int have_bg = r->bg_src || cfg->background;
    int w0, h0, w1, h1;
    seg_pixfmt f0, f1;
    disp_mode m = cur;
    for (int i = 0; i < DISP_MODE_COUNT; i++) {
        m = disp_mode_next(m, have_bg);
        if (!cfg->output)
            return m;
        if (disp_output_size(cfg->disp.mode, 64, 64, &w0, &h0, &f0) == SEG_OK &&
            disp_output_size(m, 64, 64, &w1, &h1, &f1) == SEG_OK && w0 == w1 && h0 == h1 &&
            f0 == f1)
            return m;
    }
    return cur;
}

/* Act on the window's keys; s is the frame just shown (still ours). */
static void window_actions(seg_renderer *r, seg_slot *s, int act)
{
    seg_job *job = r->job;
    if (act < 0)
        return;
    if (act & DISP_ACT_QUIT) {
        seg_job_stop(job); /* what was shown is kept; the rest is discarded */
        return;
    }
    if (act & DISP_ACT_PAUSE)
        r->paused = !r->paused;
    if (act & DISP_ACT_MODE) {
        disp_options o = *disp_compositor_options(r->comp);
        o.mode = window_next_mode(r, o.mode);
        (void)disp_compositor_set_options(r->comp, &o);
    }
    if ((act & DISP_ACT_SCREENSHOT) && s && s->shown) {
        char path[4096], msg[256];
        snprintf(path, sizeof path, "%s/segstream-shot-%06lld.png",
                 job->cfg->dump_dir ? job->cfg->dump_dir : ".", (long long)s->image.index);
        if (io_png_save(path, s->shown, msg, sizeof msg) == SEG_OK)
            fprintf(stderr, "segstream: screenshot %s\n", path);
        else
            fprintf(stderr, "segstream: warning: screenshot: %s\n", msg);
    }
}

/* Show a composited frame: wait for its time (a file plays at its own
 * pace), present it, and handle keys; holds the frame while paused. */
static void show(seg_renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    const io_video_info *info = job->info;
    double now = seg_clock_ms();
    if (r->t_first == 0)
        r->t_first = now;
    if (r->pace && info->time_base_den > 0) {
        if (!r->have_pts0) {
            r->have_pts0 = 1;
            r->pts0 = s->image.pts;
            r->t_pts0 = now;
        }
        double target = r->t_pts0 + (double)(s->image.pts - r->pts0) * 1e3 *
                                        info->time_base_num / info->time_base_den;
        while ((now = seg_clock_ms()) < target && !seg_job_stopping(job)) {
            double ms = target - now > 10 ? 10 : target - now;
            seg_sleep_us((long)(ms * 1000));
            window_actions(r, NULL, disp_window_poll(r->win) & ~DISP_ACT_SCREENSHOT);
        }
    }
    if (disp_window_present(r->win, s->shown) != SEG_OK) {
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "window: %s",
                     disp_window_last_error(r->win));
        return;
    }
    double el = (seg_clock_ms() - r->t_first) / 1e3;
    const char *mode = disp_mode_name(disp_compositor_options(r->comp)->mode);
    disp_window_set_status(r->win, mode, el > 0 ? (double)r->composited / el : 0.0,
                           s->infer_ms, r->paused);
    window_actions(r, s, disp_window_poll(r->win));
    if (!r->paused)
        return;
    double t_pause = seg_clock_ms();
    disp_window_set_status(r->win, mode, 0.0, s->infer_ms, 1);
    while (r->paused && !seg_job_stopping(job)) {
        seg_sleep_us(10000);
        window_actions(r, s, disp_window_poll(r->win));
    }
    r->t_pts0 += seg_clock_ms() - t_pause; /* the clock stood still */
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
        char msg[512];
        int st = disp_window_open(&r->win, &(disp_window_opts){.title = "segstream"}, msg,
                                  sizeof msg);
        if (st) {
            r->failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", msg);
        }
        r->pace = !job->live && !job->cfg->no_pacing;
    }

    while (r->nended < job->nworkers) {
        seg_slot *s = next_result(r);
        if (!s) {
            if (r->win && !r->failed)
                window_actions(r, NULL, disp_window_poll(r->win) & ~DISP_ACT_SCREENSHOT);
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
        if (render_frame(r, s) != SEG_OK) {
            r->failed = 1;
            seg_give_back(job, job->render_ret, s);
            continue;
        }
        if (r->win)
            show(r, s);
        /* The encoder always drains, so this wait ends. */
        (void)seg_push_wait(job, job->to_encoder, s, 0);
        seg_depth_add(&r->encode_depth, seg_ring_size(job->to_encoder));
        if (job->max_frames > 0 && r->composited >= job->max_frames)
            seg_job_stop(job); /* live: the decoder cannot know when */
    }
    disp_window_close(&r->win);
    r->end.kind = SEG_MSG_END;
    r->end.status = SEG_EOF;
    (void)seg_push_wait(job, job->to_encoder, &r->end, 0);
    return NULL;
}
