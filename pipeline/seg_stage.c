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
#include <stdio.h>
#include <string.h>
#include <time.h>

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
static void normalise(const seg_image *rgb, float *dst, float lut[3][256])
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

/* Scale, normalise, infer, mask: everything between a decoded frame and a
 * result. */
static int infer_frame(seg_worker *w, seg_slot *s)
{
    seg_job *job = w->job;
    int st;
    double ta = seg_now_ms();
    if (s->image.width != w->scaler_w || s->image.height != w->scaler_h) {
        /* First frame, or the stream changed size mid-way. */
        io_scaler_free(&w->scaler);
        if ((st = io_scaler_create(&w->scaler, s->image.width, s->image.height,
                                   job->in_shape.w, job->in_shape.h))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "cannot create a %dx%d -> %dx%d scaler",
                         s->image.width, s->image.height, job->in_shape.w, job->in_shape.h);
            return st;
        }
        w->scaler_w = s->image.width;
        w->scaler_h = s->image.height;
    }
    if ((st = io_scaler_run(w->scaler, &s->image, &w->small))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "scaling the frame to the model size failed");
        return st;
    }
    normalise(&w->small, nn_model_input(w->sm.nn), job->lut);
    double tb = seg_now_ms();
    if ((st = nn_model_run(w->sm.nn))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "inference failed: %s", seg_status_str(st));
        return st;
    }
    seg_model_mask(&w->sm, nn_model_output(w->sm.nn), s->mask, NULL);
    if (job->cfg->infer_delay_us > 0)
        sleep_us(job->cfg->infer_delay_us);
    double tc = seg_now_ms();
    seg_hist_add(&w->convert, tb - ta);
    seg_hist_add(&w->infer, tc - tb);
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

/* Composite in place; 0 when done (the slot is then the encoder's). */
static int composite(renderer *r, seg_slot *s)
{
    seg_job *job = r->job;
    double ta = seg_now_ms();
    /* The one display call: whatever display/ draws, it draws here, in
     * frame order, on this thread. */
    int st = disp_composite(job->comp, &s->image, s->mask, job->out_shape.w, job->out_shape.h);
    if (st) {
        r->failed = 1;
        seg_job_fail(job, st, SEG_WHERE_OTHER, "compositing failed: %s", seg_status_str(st));
        return st;
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

void *seg_renderer_main(void *arg)
{
    seg_job *job = arg;
    pthread_setname_np(pthread_self(), "seg-renderer");
    renderer r = {.job = job, .last_index = -1};
    seg_backoff b = {0};

    while (r.nended < job->nworkers) {
        seg_slot *s = next_result(&r);
        if (!s) {
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
        /* The encoder always drains, so this wait ends. */
        (void)seg_push_wait(job, job->to_encoder, s, 0);
        seg_depth_add(&job->encode_depth, seg_ring_size(job->to_encoder));
        if (job->max_frames > 0 && job->composited >= job->max_frames)
            seg_job_stop(job); /* live: the decoder cannot know when */
    }
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
        if (*failed) {
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
    if (img->width == job->out_w && img->height == job->out_h)
        return img;
    int st;
    if (img->width != *sc_w || img->height != *sc_h) {
        io_scaler_free(sc);
        if ((st = io_scaler_create(sc, img->width, img->height, job->out_w, job->out_h))) {
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
        const seg_image *img = failed ? NULL : fit_to_output(job, &s->image, &sc, &sc_w, &sc_h,
                                                              &fit);
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
