/* seg_stage.c - the four kinds of stage thread: decoder, inference worker,
 * renderer, encoder (see seg.h for the picture).
 *
 * Ownership: a slot belongs to the thread that popped it (or, for free
 * slots, to the decoder). Frames only move forward through the frame and
 * result rings, and back to the decoder through the return rings, so every
 * ring has exactly one producer and one consumer.
 *
 * Ending: the decoder sends its END message to every worker after its last
 * frame; a worker forwards its own END after its last result; the renderer
 * sends its END to the encoder when it has one from every worker, and the
 * encoder ends on it. A stop (seg_job_stop) makes the decoder give up its
 * waits and send END early, and workers and renderer hand back what they pop
 * instead of working on it (the encoder still writes what was composited).
 * Nothing else ends a thread, so every thread drains its rings and joins. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "disp_window.h"
#include "seg_internal.h"

/* ==== shared helpers ==================================================== */

int seg_push_wait(seg_job *job, seg_ring *r, void *item, int give_up_on_stop)
{
    seg_backoff b = {0};
    while (seg_ring_try_push(r, item) != SEG_OK) {
        if (give_up_on_stop && seg_job_stopping(job))
            return SEG_ERR_INTERRUPTED;
        seg_backoff_wait(&b);
    }
    return SEG_OK;
}

/* Hand a slot back to the decoder. Return rings hold the whole pool, so
 * this never waits. */
static void give_back(seg_job *job, seg_ring *ret, seg_slot *s)
{
    (void)seg_push_wait(job, ret, s, 0);
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ==== decoder =========================================================== */

/* A free slot for the next frame: the decoder's own stack first, refilled
 * from the return rings. Waits while every slot is in flight (the pool is
 * sized so that this only happens when the pipeline is full, i.e. in exact
 * mode); NULL when the job stops meanwhile. */
static seg_slot *take_free(seg_job *job)
{
    seg_backoff b = {0};
    for (;;) {
        if (job->nfree > 0)
            return job->free_slots[--job->nfree];
        void *s;
        for (int i = 0; i < job->nworkers + 2; i++) {
            seg_ring *r = i < job->nworkers ? job->workers[i].ret
                          : i == job->nworkers ? job->render_ret : job->encode_ret;
            while (job->nfree < job->nslots && seg_ring_try_pop(r, &s) == SEG_OK)
                job->free_slots[job->nfree++] = s;
        }
        if (job->nfree > 0)
            continue;
        if (seg_job_stopping(job))
            return NULL;
        seg_backoff_wait(&b);
    }
}

static void send_audio(seg_job *job, io_packet **pkt)
{
    if (job->live) {
        if (seg_ring_try_push(job->audio, *pkt) == SEG_OK)
            *pkt = NULL;
        else
            job->audio_dropped++;
    } else if (seg_push_wait(job, job->audio, *pkt, 1) == SEG_OK) {
        *pkt = NULL;
    }
    io_packet_free(pkt); /* dropped: NULL-safe */
}

/* Live: the first worker, from the round-robin position, with room. */
static int push_live(seg_job *job, seg_slot *s, int *next)
{
    for (int i = 0; i < job->nworkers; i++) {
        int w = (*next + i) % job->nworkers;
        if (seg_ring_try_push(job->workers[w].in, s) == SEG_OK) {
            seg_depth_add(&job->in_depth, seg_ring_size(job->workers[w].in));
            *next = (w + 1) % job->nworkers;
            return 1;
        }
    }
    return 0;
}

void *seg_decoder_main(void *arg)
{
    seg_job *job = arg;
    pthread_setname_np(pthread_self(), "seg-decoder"); /* for top -H, perf, gdb */
    seg_slot *cur = NULL;
    io_packet *pkt = NULL;
    int end = SEG_EOF, next = 0;

    for (;;) {
        if (seg_job_stopping(job)) {
            end = SEG_ERR_INTERRUPTED;
            break;
        }
        /* Exact mode stops reading at the limit; live mode cannot know
         * which frames will be shown, so the renderer counts there. */
        if (!job->live && job->max_frames > 0 && job->decoded >= job->max_frames)
            break;
        if (!cur && !(cur = take_free(job))) {
            end = SEG_ERR_INTERRUPTED;
            break;
        }
        double ta = seg_now_ms();
        int kind = io_source_read(job->src, &cur->image, &pkt);
        double tb = seg_now_ms();
        if (kind == IO_READ_AUDIO) {
            send_audio(job, &pkt);
            continue;
        }
        if (kind == SEG_EOF)
            break;
        if (kind != IO_READ_VIDEO) {
            if (kind == SEG_ERR_INTERRUPTED && seg_job_stopping(job)) {
                end = SEG_ERR_INTERRUPTED;
                break;
            }
            /* Travels down as the END status, so the frames before it are
             * still shown: recorded, but no stop. */
            end = kind < 0 ? kind : SEG_ERR_BAD_INPUT;
            seg_job_record(job, end, SEG_WHERE_INPUT, "%s", io_source_last_error(job->src));
            break;
        }
        seg_hist_add(&job->decode, tb - ta);
        job->decoded++;
        cur->kind = SEG_MSG_FRAME;
        cur->t_decoded = tb;
        if (job->live) {
            if (!push_live(job, cur, &next)) {
                /* Every worker is behind: this frame is the one to lose
                 * (only a ring's consumer may drop older ones). */
                job->dropped_decoder++;
                atomic_fetch_add_explicit(&job->progress_dropped, 1, memory_order_relaxed);
                continue; /* read the next frame into the same slot */
            }
        } else {
            seg_ring *r = job->workers[next].in;
            if (seg_push_wait(job, r, cur, 1) != SEG_OK) {
                end = SEG_ERR_INTERRUPTED;
                break;
            }
            seg_depth_add(&job->in_depth, seg_ring_size(r));
            next = (next + 1) % job->nworkers;
        }
        cur = NULL;
    }
    if (cur)
        job->free_slots[job->nfree++] = cur;
    io_packet_free(&pkt);

    /* END after the last frame on every frame ring. Never given up: the
     * workers drain their rings until they see it. */
    job->dec_end.kind = SEG_MSG_END;
    job->dec_end.status = end;
    for (int i = 0; i < job->nworkers; i++)
        (void)seg_push_wait(job, job->workers[i].in, &job->dec_end, 0);
    return NULL;
}

/* ==== inference worker ================================================== */

/* Byte RGB at model size -> the model's float input. A 256-entry table per
 * channel makes it one load per value whatever the normalisation. */
static void normalise_rgb(const seg_image *rgb, float *dst, float lut[3][256])
{
    for (int y = 0; y < rgb->height; y++) {
        const uint8_t *p = rgb->data + (size_t)y * rgb->stride;
        float *o = dst + (size_t)y * rgb->width * 3;
        for (int x = 0; x < rgb->width * 3; x += 3) {
            o[x] = lut[0][p[x]];
            o[x + 1] = lut[1][p[x + 1]];
            o[x + 2] = lut[2][p[x + 2]];
        }
    }
}

/* Y'CbCr 4:4:4 at model size -> the model's float input: to RGB bytes by
 * table (as swscale would), then normalised. */
static void normalise_yuv(const seg_image *yuv, const seg_yuv_tables *t, float *dst,
                          float lut[3][256])
{
    for (int y = 0; y < yuv->height; y++) {
        const uint8_t *Y = yuv->data + (size_t)y * yuv->stride;
        const uint8_t *U = yuv->cb + (size_t)y * yuv->cstride;
        const uint8_t *V = yuv->cr + (size_t)y * yuv->cstride;
        float *o = dst + (size_t)y * yuv->width * 3;
        for (int x = 0; x < yuv->width; x++, o += 3) {
            uint8_t rgb[3];
            seg_yuv_pixel(t, Y[x], U[x], V[x], rgb);
            o[0] = lut[0][rgb[0]];
            o[1] = lut[1][rgb[1]];
            o[2] = lut[2][rgb[2]];
        }
    }
}

/* ==== --fit ============================================================= */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void seg_fit_geometry(seg_fit fit, int fw, int fh, nn_shape in, nn_shape out, seg_fit_geom *g)
{
    memset(g, 0, sizeof *g);
    g->fit = fit;
    g->frame_w = fw;
    g->frame_h = fh;
    g->src_w = fw;
    g->src_h = fh;
    g->dst_w = in.w;
    g->dst_h = in.h;
    g->mask_w = out.w;
    g->mask_h = out.h;
    if (fit == SEG_FIT_LETTERBOX) {
        double s = fmin((double)in.w / fw, (double)in.h / fh);
        g->dst_w = clampi((int)lround(fw * s), 1, in.w);
        g->dst_h = clampi((int)lround(fh * s), 1, in.h);
        g->dst_x = (in.w - g->dst_w) / 2;
        g->dst_y = (in.h - g->dst_h) / 2;
        /* The same rectangle in the model output's grid. */
        int x0 = (int)lround((double)g->dst_x * out.w / in.w);
        int x1 = (int)lround((double)(g->dst_x + g->dst_w) * out.w / in.w);
        int y0 = (int)lround((double)g->dst_y * out.h / in.h);
        int y1 = (int)lround((double)(g->dst_y + g->dst_h) * out.h / in.h);
        g->mx = clampi(x0, 0, out.w - 1);
        g->my = clampi(y0, 0, out.h - 1);
        g->mask_w = clampi(x1, g->mx + 1, out.w) - g->mx;
        g->mask_h = clampi(y1, g->my + 1, out.h) - g->my;
    } else if (fit == SEG_FIT_CROP) {
        disp_cover_rect(fw, fh, in.w, in.h, &g->src_x, &g->src_y, &g->src_w, &g->src_h);
        g->src_w = clampi(g->src_w, 1, fw);
        g->src_h = clampi(g->src_h, 1, fh);
        g->src_x = clampi(g->src_x, 0, fw - g->src_w);
        g->src_y = clampi(g->src_y, 0, fh - g->src_h);
        /* The output covers the crop; widen it, at its own scale, to the frame. */
        g->mask_w = clampi((int)lround((double)out.w * fw / g->src_w), out.w, SEG_MAX_DIM);
        g->mask_h = clampi((int)lround((double)out.h * fh / g->src_h), out.h, SEG_MAX_DIM);
        g->mx = clampi((int)lround((double)out.w * g->src_x / g->src_w), 0, g->mask_w - out.w);
        g->my = clampi((int)lround((double)out.h * g->src_y / g->src_h), 0, g->mask_h - out.h);
    }
}

/* The model output's mask (and labels), ow x oh, into the slot's mask as the
 * geometry says: letterbox bars cut away, or crop widened to the frame. */
static void place_mask(const seg_fit_geom *g, int ow, int oh, const float *m, const uint8_t *l,
                       seg_slot *s)
{
    if (g->fit == SEG_FIT_LETTERBOX) {
        for (int y = 0; y < g->mask_h; y++) {
            size_t so = (size_t)(g->my + y) * ow + g->mx, d = (size_t)y * g->mask_w;
            memcpy(s->mask + d, m + so, (size_t)g->mask_w * sizeof(float));
            if (l)
                memcpy(s->labels + d, l + so, (size_t)g->mask_w);
        }
        return;
    }
    /* crop: background (0, label 0) around the model's output */
    for (int y = 0; y < g->mask_h; y++) {
        float *mr = s->mask + (size_t)y * g->mask_w;
        uint8_t *lr = l ? s->labels + (size_t)y * g->mask_w : NULL;
        int in = y >= g->my && y < g->my + oh;
        if (!in) {
            memset(mr, 0, (size_t)g->mask_w * sizeof(float));
            if (lr)
                memset(lr, 0, (size_t)g->mask_w);
            continue;
        }
        memset(mr, 0, (size_t)g->mx * sizeof(float));
        memcpy(mr + g->mx, m + (size_t)(y - g->my) * ow, (size_t)ow * sizeof(float));
        memset(mr + g->mx + ow, 0, (size_t)(g->mask_w - g->mx - ow) * sizeof(float));
        if (lr) {
            memset(lr, 0, (size_t)g->mx);
            memcpy(lr + g->mx, l + (size_t)(y - g->my) * ow, (size_t)ow);
            memset(lr + g->mx + ow, 0, (size_t)(g->mask_w - g->mx - ow));
        }
    }
}

/* Make room in a slot for an n-pixel mask (and labels). Only after a change
 * of the input's size: the pool is sized for the first frame. */
static int slot_mask_room(seg_job *job, seg_slot *s, size_t n)
{
    if (s->mask_cap >= n)
        return SEG_OK;
    float *m = realloc(s->mask, n * sizeof(float));
    if (!m)
        return SEG_ERR_NOMEM;
    s->mask = m;
    if (job->multiclass) {
        uint8_t *l = realloc(s->labels, n);
        if (!l)
            return SEG_ERR_NOMEM;
        s->labels = l;
    }
    s->mask_cap = n;
    return SEG_OK;
}

/* (Re)build the worker's scaler for a new frame size. */
static int setup_fit(seg_worker *w, int fw, int fh)
{
    seg_job *job = w->job;
    seg_fit_geometry(job->cfg->fit, fw, fh, job->in_shape, job->out_shape, &w->geom);
    const seg_fit_geom *g = &w->geom;
    io_scaler_free(&w->scaler);
    int st = io_scaler_create_fmt(&w->scaler, g->src_w, g->src_h, job->work_fmt, g->dst_w,
                                  g->dst_h, w->small.format);
    if (st) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "cannot create a %dx%d -> %dx%d scaler",
                     g->src_w, g->src_h, g->dst_w, g->dst_h);
        return st;
    }
    if (g->fit == SEG_FIT_LETTERBOX) {
        /* Bars of the model's mean colour (its input 0); the scaler never
         * writes them, so once per size is enough. */
        uint8_t c[3];
        for (int k = 0; k < 3; k++)
            c[k] = (uint8_t)clampi((int)lroundf(w->sm.mean[k]), 0, 255);
        seg_image *sm = &w->small;
        if (sm->format == SEG_PIX_YUV444P) {
            uint8_t yuv[3];
            seg_rgb_to_yuv(c, sm->matrix, sm->full_range, yuv);
            for (int y = 0; y < sm->height; y++) {
                memset(sm->data + (size_t)y * sm->stride, yuv[0], (size_t)sm->width);
                memset(sm->cb + (size_t)y * sm->cstride, yuv[1], (size_t)sm->width);
                memset(sm->cr + (size_t)y * sm->cstride, yuv[2], (size_t)sm->width);
            }
        } else {
            for (int y = 0; y < sm->height; y++) {
                uint8_t *p = sm->data + (size_t)y * sm->stride;
                for (int x = 0; x < sm->width; x++)
                    memcpy(p + 3 * x, c, 3);
            }
        }
    }
    w->scaler_w = fw;
    w->scaler_h = fh;
    return SEG_OK;
}

/* Scale, normalise, infer, mask: everything between a decoded frame and a
 * result. */
static int infer_frame(seg_worker *w, seg_slot *s)
{
    seg_job *job = w->job;
    int st;
    double ta = seg_now_ms();
    if (s->image.width != w->scaler_w || s->image.height != w->scaler_h ||
        (w->small.format == SEG_PIX_YUV444P &&
         ((int)s->image.matrix != (int)w->small.matrix ||
          s->image.full_range != w->small.full_range))) {
        /* First frame, or the stream changed size (or colours) mid-way. */
        w->small.matrix = s->image.matrix;
        w->small.full_range = s->image.full_range;
        seg_yuv_tables_init(&w->yuv_tab, w->small.matrix, w->small.full_range);
        if ((st = setup_fit(w, s->image.width, s->image.height)))
            return st;
    }
    const seg_fit_geom *g = &w->geom;
    if ((st = slot_mask_room(job, s, (size_t)g->mask_w * g->mask_h))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for a %dx%d mask", g->mask_w,
                     g->mask_h);
        return st;
    }
    /* Views: a rectangle of the frame onto a rectangle of the model input
     * (in 4:2:0, from an even corner, so chroma stays aligned). */
    seg_image src = s->image, dst = w->small;
    if (src.format == SEG_PIX_YUV420P) {
        int x = g->src_x & ~1, y = g->src_y & ~1;
        src.data += (size_t)y * src.stride + (size_t)x;
        src.cb += (size_t)(y / 2) * src.cstride + (size_t)(x / 2);
        src.cr += (size_t)(y / 2) * src.cstride + (size_t)(x / 2);
    } else {
        src.data += (size_t)g->src_y * src.stride + (size_t)g->src_x * 3;
    }
    src.width = g->src_w;
    src.height = g->src_h;
    if (dst.format == SEG_PIX_YUV444P) {
        dst.data += (size_t)g->dst_y * dst.stride + (size_t)g->dst_x;
        dst.cb += (size_t)g->dst_y * dst.cstride + (size_t)g->dst_x;
        dst.cr += (size_t)g->dst_y * dst.cstride + (size_t)g->dst_x;
    } else {
        dst.data += (size_t)g->dst_y * dst.stride + (size_t)g->dst_x * 3;
    }
    dst.width = g->dst_w;
    dst.height = g->dst_h;
    if ((st = io_scaler_run(w->scaler, &src, &dst))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "scaling the frame to the model size failed");
        return st;
    }
    if (w->small.format == SEG_PIX_YUV444P)
        normalise_yuv(&w->small, &w->yuv_tab, nn_model_input(w->sm.nn), job->lut);
    else
        normalise_rgb(&w->small, nn_model_input(w->sm.nn), job->lut);
    double tb = seg_now_ms();
    if ((st = nn_model_run(w->sm.nn))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "inference failed: %s", seg_status_str(st));
        return st;
    }
    int direct = g->fit == SEG_FIT_STRETCH;
    float *m = direct ? s->mask : w->raw_mask;
    uint8_t *l = !job->multiclass ? NULL : direct ? s->labels : w->raw_labels;
    const float *out = nn_model_output(w->sm.nn);
    if (job->overlay_labels)
        disp_labels_from_scores(out, job->out_shape.w, job->out_shape.h, job->out_shape.c, m, l);
    else
        seg_model_mask(&w->sm, out, m, l);
    if (!direct)
        place_mask(g, job->out_shape.w, job->out_shape.h, m, l, s);
    s->mask_w = g->mask_w;
    s->mask_h = g->mask_h;
    if (job->cfg->infer_delay_us > 0)
        sleep_us(job->cfg->infer_delay_us);
    double tc = seg_now_ms();
    seg_hist_add(&w->convert, tb - ta);
    seg_hist_add(&w->infer, tc - tb);
    s->infer_ms = tc - tb;
    return SEG_OK;
}

/* Wait for the next message on the worker's frame ring. */
static seg_slot *pop_wait(seg_ring *r)
{
    seg_backoff b = {0};
    void *s;
    while (seg_ring_try_pop(r, &s) != SEG_OK)
        seg_backoff_wait(&b);
    return s;
}

void *seg_worker_main(void *arg)
{
    seg_worker *w = arg;
    seg_job *job = w->job;
    char name[16];
    snprintf(name, sizeof name, "seg-infer%d", w->id);
    pthread_setname_np(pthread_self(), name);
    int status = SEG_OK, end_status = SEG_EOF;

    for (;;) {
        seg_slot *s = pop_wait(w->in), *pending_end = NULL;
        if (s->kind == SEG_MSG_END) {
            end_status = s->status;
            break;
        }
        if (job->live) {
            /* Skip to the newest frame waiting; older ones go back. */
            void *n;
            while (seg_ring_try_pop(w->in, &n) == SEG_OK) {
                seg_slot *ns = n;
                if (ns->kind == SEG_MSG_END) {
                    pending_end = ns;
                    break;
                }
                give_back(job, w->ret, s);
                if (!seg_job_stopping(job)) { /* after a stop nothing counts */
                    w->dropped++;
                    atomic_fetch_add_explicit(&job->progress_dropped, 1, memory_order_relaxed);
                }
                s = ns;
            }
        }
        /* After a failure or a stop, only drain. */
        if (status != SEG_OK || seg_job_stopping(job) || (status = infer_frame(w, s)) != SEG_OK) {
            give_back(job, w->ret, s);
        } else {
            (void)seg_push_wait(job, w->out, s, 0); /* the renderer always drains */
            seg_depth_add(&w->out_depth, seg_ring_size(w->out));
        }
        if (pending_end) {
            end_status = pending_end->status;
            break;
        }
    }
    w->end.kind = SEG_MSG_END;
    w->end.status = status != SEG_OK ? status : end_status;
    (void)seg_push_wait(job, w->out, &w->end, 0);
    return NULL;
}

/* ==== renderer ========================================================== */

typedef struct renderer {
    seg_job *job;
    int next;           /* exact: the worker whose result comes next */
    int nended;         /* workers whose END arrived */
    int draining;       /* exact: an END arrived, so only ENDs and leftovers remain */
    int failed;         /* compositing failed: show nothing more */
    int64_t last_index; /* decode index of the last frame composited */
    unsigned char ended[SEG_MAX_WORKERS];
    /* The window (opened and used on this thread only). */
    disp_window *win;
    int paused, pace;
    int have_pts0;
    int64_t pts0;
    double t_pts0;      /* seg_now_ms() that pts0 is shown at */
    double t_first;     /* first frame shown, for the fps in the title */
} renderer;

static void drop_result(renderer *r, seg_slot *s)
{
    r->job->dropped_render++;
    atomic_fetch_add_explicit(&r->job->progress_dropped, 1, memory_order_relaxed);
    give_back(r->job, r->job->render_ret, s);
}

/* The next result to show, or NULL when none is ready. Marks ENDs. */
static seg_slot *next_result(renderer *r)
{
    seg_job *job = r->job;
    void *p;
    if (!job->live && !r->draining) {
        /* Round-robin is the decode order: the decoder dealt the frames
         * to the workers in turn, and each worker keeps its order. */
        if (seg_ring_try_pop(job->workers[r->next].out, &p) != SEG_OK)
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
        while (!r->ended[i] && seg_ring_try_pop(job->workers[i].out, &p) == SEG_OK) {
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

/* The background video's next frame, looping at its end. NULL after a
 * failure (recorded). */
static const seg_image *next_background(seg_job *job)
{
    io_packet *pkt = NULL;
    for (int tries = 0; tries < 2; tries++) {
        int kind;
        while ((kind = io_source_read(job->bg_src, &job->bg_frame, &pkt)) == IO_READ_AUDIO)
            io_packet_free(&pkt);
        if (kind == IO_READ_VIDEO) {
            job->bg_frames++;
            return &job->bg_frame;
        }
        if (kind != SEG_EOF || job->bg_frames == 0) {
            seg_job_fail(job, kind < 0 ? kind : SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT,
                         "background '%s': %s", job->cfg->background,
                         kind == SEG_EOF ? "no video frame" : io_source_last_error(job->bg_src));
            return NULL;
        }
        /* The end: start again (once per loop, not per frame). */
        char msg[512];
        io_source_close(&job->bg_src);
        job->bg_frames = 0;
        int st = io_source_open(&job->bg_src, job->cfg->background, &(io_source_opts){0}, msg,
                                sizeof msg);
        if (st) {
            seg_job_fail(job, st, SEG_WHERE_INPUT, "background: %s", msg);
            return NULL;
        }
    }
    seg_job_fail(job, SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT, "background '%s': no video frame",
                 job->cfg->background);
    return NULL;
}

/* Multi-class models: classes seen for the first time in this frame go into
 * the legend, DIR/legend.txt with --dump-frames (rewritten only when a class
 * appears, so it lists the classes present so far). */
static int update_legend(seg_job *job, const seg_slot *s)
{
    uint8_t present[SEG_MAX_CLASSES] = {0};
    size_t n = (size_t)s->mask_w * s->mask_h;
    for (size_t i = 0; i < n; i++)
        if (job->overlay_labels ? s->mask[i] >= 0.5f : s->labels[i] != 0)
            present[s->labels[i]] = 1;
    int fresh = 0;
    for (int c = 1; c < SEG_MAX_CLASSES; c++) {
        if (present[c] && job->class_first[c] < 0) {
            job->class_first[c] = s->image.index;
            job->classes_seen++;
            fresh = 1;
        }
    }
    if (!fresh || !job->cfg->dump_dir)
        return SEG_OK;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/legend.txt", job->cfg->dump_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "cannot write '%s': %s", tmp,
                     strerror(errno));
        return SEG_ERR_IO;
    }
    const seg_model *sm = &job->workers[0].sm;
    fprintf(f, "# classes present so far: label, name, overlay colour (RRGGBB), first frame\n");
    for (int c = 1; c < SEG_MAX_CLASSES; c++) {
        if (job->class_first[c] < 0)
            continue;
        uint8_t rgb[3];
        disp_palette_color(c, rgb);
        fprintf(f, "%d\t%s\t%02x%02x%02x\t%lld\n", c, sm->labels[c][0] ? sm->labels[c] : "?",
                rgb[0], rgb[1], rgb[2], (long long)job->class_first[c]);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "cannot write '%s': %s", path,
                     strerror(errno));
        return SEG_ERR_IO;
    }
    return SEG_OK;
}

/* Composite; 0 when done (the slot is then the encoder's, s->shown what to
 * write). */
static int composite(renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    double ta = seg_now_ms();
    disp_input in = {
        .frame = &s->image,
        .mask = s->mask,
        .mask_w = s->mask_w,
        .mask_h = s->mask_h,
        .labels = job->overlay_labels ? s->labels : NULL,
    };
    int st = SEG_OK;
    disp_mode mode = disp_compositor_options(job->comp)->mode;
    if (job->bg_src && (mode == DISP_MODE_REPLACE ||
                        (mode == DISP_MODE_SIDE_BY_SIDE &&
                         disp_compositor_options(job->comp)->side_mode == DISP_MODE_REPLACE))) {
        if (!(in.background = next_background(job))) {
            r->failed = 1;
            return SEG_ERR_IO;
        }
    }
    /* The one display call: whatever display/ draws, it draws here, in
     * frame order, on this thread. In place unless the mode changes the
     * size or format (alpha, side-by-side). */
    seg_image *out = &s->image;
    if (mode == DISP_MODE_ALPHA || mode == DISP_MODE_SIDE_BY_SIDE) {
        out = &s->out;
        st = disp_output_prepare(job->comp, s->image.width, s->image.height, out);
    }
    if (!st)
        st = disp_render(job->comp, &in, out);
    if (st) {
        r->failed = 1;
        seg_job_fail(job, st, SEG_WHERE_OTHER, "compositing failed: %s", seg_status_str(st));
        return st;
    }
    s->shown = out;
    if (job->multiclass && s->labels && (st = update_legend(job, s))) {
        r->failed = 1;
        return st;
    }
    if (job->dump && io_dump_wants(job->dump, s->image.index)) {
        seg_image mask;
        if ((st = disp_compositor_mask_image(job->comp, &mask)) == SEG_OK)
            st = io_dump_write(job->dump, out, &mask);
        if (st) {
            r->failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "--dump-frames: %s",
                         io_dump_last_error(job->dump));
            return st;
        }
    }
    double tb = seg_now_ms();
    seg_hist_add(&job->composite, tb - ta);
    seg_hist_add(&job->latency, tb - s->t_decoded);
    if (job->composited > 0 && s->image.index != r->last_index + 1)
        job->index_gaps++;
    r->last_index = s->image.index;
    job->composited++;
    return SEG_OK;
}

/* The mode after the current one for the window's mode key. With an output
 * file the size and format of what is written are fixed, so modes that
 * change them (alpha, side-by-side) are left out unless the job uses one. */
static disp_mode window_next_mode(seg_job *job, disp_mode cur)
{
    int have_bg = job->bg_src || job->cfg->background;
    int w0, h0, w1, h1;
    seg_pixfmt f0, f1;
    disp_mode m = cur;
    for (int i = 0; i < DISP_MODE_COUNT; i++) {
        m = disp_mode_next(m, have_bg);
        if (!job->cfg->output)
            return m;
        if (disp_output_size(job->cfg->disp.mode, 64, 64, &w0, &h0, &f0) == SEG_OK &&
            disp_output_size(m, 64, 64, &w1, &h1, &f1) == SEG_OK && w0 == w1 && h0 == h1 &&
            f0 == f1)
            return m;
    }
    return cur;
}

/* Act on the window's keys; s is the frame just shown (still ours). */
static void window_actions(renderer *r, seg_slot *s, int act)
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
        disp_options o = *disp_compositor_options(job->comp);
        o.mode = window_next_mode(job, o.mode);
        (void)disp_compositor_set_options(job->comp, &o);
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
static void show(renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    const io_video_info *info = job->info;
    double now = seg_now_ms();
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
        while ((now = seg_now_ms()) < target && !seg_job_stopping(job)) {
            double ms = target - now > 10 ? 10 : target - now;
            sleep_us((long)(ms * 1000));
            window_actions(r, NULL, disp_window_poll(r->win) & ~DISP_ACT_SCREENSHOT);
        }
    }
    if (disp_window_present(r->win, s->shown) != SEG_OK) {
        seg_job_fail(job, SEG_ERR_IO, SEG_WHERE_OUTPUT, "window: %s",
                     disp_window_last_error(r->win));
        return;
    }
    double el = (seg_now_ms() - r->t_first) / 1e3;
    const char *mode = disp_mode_name(disp_compositor_options(job->comp)->mode);
    disp_window_set_status(r->win, mode, el > 0 ? (double)job->composited / el : 0.0,
                           s->infer_ms, r->paused);
    window_actions(r, s, disp_window_poll(r->win));
    if (!r->paused)
        return;
    double t_pause = seg_now_ms();
    disp_window_set_status(r->win, mode, 0.0, s->infer_ms, 1);
    while (r->paused && !seg_job_stopping(job)) {
        sleep_us(10000);
        window_actions(r, s, disp_window_poll(r->win));
    }
    r->t_pts0 += seg_now_ms() - t_pause; /* the clock stood still */
}

void *seg_renderer_main(void *arg)
{
    seg_job *job = arg;
    pthread_setname_np(pthread_self(), "seg-renderer");
    renderer r = {.job = job, .last_index = -1};
    seg_backoff b = {0};

    if (job->cfg->display) {
        /* SDL wants its window used by the thread that opened it: this one. */
        char msg[512];
        int st = disp_window_open(&r.win, &(disp_window_opts){.title = "segstream"}, msg,
                                  sizeof msg);
        if (st) {
            r.failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", msg);
        }
        r.pace = !job->live && !job->cfg->no_pacing;
    }

    while (r.nended < job->nworkers) {
        seg_slot *s = next_result(&r);
        if (!s) {
            if (r.win && !r.failed)
                window_actions(&r, NULL, disp_window_poll(r.win) & ~DISP_ACT_SCREENSHOT);
            if (r.nended < job->nworkers)
                seg_backoff_wait(&b);
            continue;
        }
        seg_backoff_reset(&b);
        int limit = job->max_frames > 0 && job->composited >= job->max_frames;
        if (r.failed || seg_job_stopping(job) || limit) {
            give_back(job, job->render_ret, s); /* discarded after the end */
            continue;
        }
        if (job->live && s->image.index <= r.last_index) {
            drop_result(&r, s); /* older than what is already out */
            continue;
        }
        if (composite(&r, s) != SEG_OK) {
            give_back(job, job->render_ret, s);
            continue;
        }
        if (r.win)
            show(&r, s);
        /* The encoder always drains, so this wait ends. */
        (void)seg_push_wait(job, job->to_encoder, s, 0);
        seg_depth_add(&job->encode_depth, seg_ring_size(job->to_encoder));
        if (job->max_frames > 0 && job->composited >= job->max_frames)
            seg_job_stop(job); /* live: the decoder cannot know when */
    }
    disp_window_close(&r.win);
    job->render_end.kind = SEG_MSG_END;
    job->render_end.status = SEG_EOF;
    (void)seg_push_wait(job, job->to_encoder, &job->render_end, 0);
    return NULL;
}

/* ==== encoder =========================================================== */

/* Passthrough audio, in the order the decoder read it; the muxer
 * interleaves it with the video by timestamp. */
static void write_audio(seg_job *job, int *failed)
{
    void *p;
    while (seg_ring_try_pop(job->audio, &p) == SEG_OK) {
        io_packet *pkt = p;
        if (*failed || !job->snk) {
            io_packet_free(&pkt);
            continue;
        }
        int st = io_sink_write_audio(job->snk, &pkt);
        if (st) {
            *failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", io_sink_last_error(job->snk));
        } else {
            job->audio_packets++;
        }
    }
}

/* The frame at the output's size: itself, or (after the input changed size
 * mid-stream) a bilinear resize into a buffer made at the first change, as
 * ffmpeg does. NULL after a failure (recorded). */
static const seg_image *fit_to_output(seg_job *job, const seg_image *img, io_scaler **sc,
                                      int *sc_w, int *sc_h, seg_image *fit)
{
    seg_pixfmt want = job->out_rgba ? SEG_PIX_RGBA : job->work_fmt;
    if (img->width == job->out_w && img->height == job->out_h && img->format == want)
        return img;
    int st;
    if (img->format != want || job->out_rgba) {
        seg_job_fail(job, SEG_ERR_INVALID, SEG_WHERE_OTHER, "a %dx%d %s frame does not fit the "
                     "output's %dx%d %s", img->width, img->height, seg_pixfmt_name(img->format),
                     job->out_w, job->out_h, seg_pixfmt_name(want));
        return NULL;
    }
    if (img->width != *sc_w || img->height != *sc_h) {
        io_scaler_free(sc);
        if ((st = io_scaler_create_fmt(sc, img->width, img->height, want, job->out_w,
                                       job->out_h, want))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "cannot scale %dx%d frames to the output's "
                         "%dx%d", img->width, img->height, job->out_w, job->out_h);
            return NULL;
        }
        *sc_w = img->width;
        *sc_h = img->height;
    }
    if ((st = io_scaler_run(*sc, img, fit))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "scaling a %dx%d frame to the output's %dx%d "
                     "failed", img->width, img->height, job->out_w, job->out_h);
        return NULL;
    }
    return fit;
}

void *seg_encoder_main(void *arg)
{
    seg_job *job = arg;
    pthread_setname_np(pthread_self(), "seg-encoder");
    seg_backoff b = {0};
    int failed = 0, sc_w = 0, sc_h = 0;
    io_scaler *sc = NULL;
    seg_image fit = {0};
    for (;;) {
        write_audio(job, &failed);
        void *p;
        if (seg_ring_try_pop(job->to_encoder, &p) != SEG_OK) {
            seg_backoff_wait(&b);
            continue;
        }
        seg_backoff_reset(&b);
        seg_slot *s = p;
        if (s->kind == SEG_MSG_END)
            break;
        /* Everything composited is written, even after a stop: the frame
         * limit counts composited frames. */
        if (!job->snk) { /* only shown or dumped */
            job->written++;
            atomic_store_explicit(&job->progress_written, job->written, memory_order_relaxed);
            give_back(job, job->encode_ret, s);
            continue;
        }
        const seg_image *img = failed ? NULL : fit_to_output(job, s->shown ? s->shown : &s->image,
                                                              &sc, &sc_w, &sc_h, &fit);
        if (!img) {
            failed = 1;
        } else {
            double ta = seg_now_ms();
            int st = io_sink_write_video(job->snk, img);
            if (st) {
                failed = 1;
                seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", io_sink_last_error(job->snk));
            } else {
                seg_hist_add(&job->encode, seg_now_ms() - ta);
                job->written++;
                atomic_store_explicit(&job->progress_written, job->written,
                                      memory_order_relaxed);
            }
        }
        give_back(job, job->encode_ret, s);
    }
    /* END came after every frame, and every frame after its audio. */
    write_audio(job, &failed);
    io_scaler_free(&sc);
    seg_image_free(&fit);
    atomic_store_explicit(&job->encoder_done, 1, memory_order_release);
    return NULL;
}
