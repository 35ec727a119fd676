/* seg_job.c - the job's shared state: pool and rings, first error, stop;
 * and the tools every stage uses: timing histograms, back-off, ring waits.
 * Calls nothing else of pipeline/ but the --fit geometry (seg_fit.c). */
#include "seg_job.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disp.h"
#include "seg_fit.h"

/* ==== timing histogram ==================================================== */

#define TIMES_MIN_MS 1e-3
#define TIMES_DECADES 8.0 /* 1 us .. 100 s */

static int times_bucket(double ms)
{
    if (!(ms > TIMES_MIN_MS))
        return 0;
    double b = log10(ms / TIMES_MIN_MS) * ((SEG_TIMES_BUCKETS - 1) / TIMES_DECADES);
    return b >= SEG_TIMES_BUCKETS - 1 ? SEG_TIMES_BUCKETS - 1 : (int)b;
}

static double times_centre(int i)
{
    return TIMES_MIN_MS *
           pow(10.0, ((double)i + 0.5) * (TIMES_DECADES / (SEG_TIMES_BUCKETS - 1)));
}

void seg_times_add(seg_times *h, double ms)
{
    if (!(ms > 0))
        ms = 0;
    h->count[times_bucket(ms)]++;
    h->n++;
    h->sum += ms;
    if (ms > h->max)
        h->max = ms;
}

void seg_times_merge(seg_times *dst, const seg_times *src)
{
    for (int i = 0; i < SEG_TIMES_BUCKETS; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
}

static double times_quantile(const seg_times *h, double q)
{
    /* The smallest bucket with at least ceil(q * n) samples at or below it. */
    int64_t want = (int64_t)ceil(q * (double)h->n);
    if (want < 1)
        want = 1;
    int64_t seen = 0;
    for (int i = 0; i < SEG_TIMES_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want) {
            double c = i == 0 ? 0.0 : times_centre(i);
            return c > h->max ? h->max : c;
        }
    }
    return h->max;
}

seg_pctl seg_times_pctl(const seg_times *h)
{
    seg_pctl p;
    memset(&p, 0, sizeof p);
    if (h->n == 0)
        return p;
    p.n = h->n;
    p.p50 = times_quantile(h, 0.50);
    p.p95 = times_quantile(h, 0.95);
    p.p99 = times_quantile(h, 0.99);
    p.mean = h->sum / (double)h->n;
    p.max = h->max;
    return p;
}

seg_ring_stat seg_depth_stat(const seg_depth *d, int cap, int n)
{
    return (seg_ring_stat){cap, n, d->n ? (double)d->sum / (double)d->n : 0.0, d->max};
}

/* ==== waiting ============================================================= */

void seg_backoff_wait(seg_backoff *b)
{
    if (b->n < 8) {
        sched_yield();
    } else {
        unsigned k = b->n - 8;
        long us = k < 6 ? 20L << k : 1000L; /* 20, 40, ... 640, then 1000 */
        struct timespec ts = {0, (us > 1000 ? 1000 : us) * 1000};
        nanosleep(&ts, NULL);
    }
    if (b->n < 1000)
        b->n++;
}

void seg_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

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

void seg_give_back(seg_job *job, seg_ring *ret, seg_slot *s)
{
    (void)seg_push_wait(job, ret, s, 0);
}

seg_slot *seg_pop_wait(seg_ring *r)
{
    seg_backoff b = {0};
    void *s;
    while (seg_ring_try_pop(r, &s) != SEG_OK)
        seg_backoff_wait(&b);
    return s;
}

/* ==== first error and stop ================================================ */

static void job_record_v(seg_job *job, int status, seg_where where, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&job->err_lock);
    if (job->err_status == SEG_OK) {
        job->err_status = status;
        job->err_where = where;
        vsnprintf(job->err, sizeof job->err, fmt, ap);
    }
    pthread_mutex_unlock(&job->err_lock);
}

void seg_job_record(seg_job *job, int status, seg_where where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    job_record_v(job, status, where, fmt, ap);
    va_end(ap);
}

void seg_job_fail(seg_job *job, int status, seg_where where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    job_record_v(job, status, where, fmt, ap);
    va_end(ap);
    seg_job_stop(job);
}

int seg_job_interrupt_cb(void *opaque)
{
    seg_job *job = opaque;
    return seg_job_stopping(job) || (job->requested && atomic_load(job->requested));
}

void seg_job_stop(seg_job *job)
{
    atomic_store_explicit(&job->stop, 1, memory_order_release);
    io_source_interrupt(job->src); /* a read blocked on a live source returns */
}

/* ==== the job and its pool ================================================= */

int seg_job_create(seg_job **out, const seg_config *cfg)
{
    seg_job *job = calloc(1, sizeof *job);
    *out = job;
    if (!job)
        return SEG_ERR_NOMEM;
    pthread_mutex_init(&job->err_lock, NULL);
    job->cfg = cfg;
    job->max_frames = cfg->max_frames;
    return SEG_OK;
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 1;
    while (c < n)
        c <<= 1;
    return c;
}

/* Floats (and labels) in a slot's mask for the input's first frame size:
 * as large as its --fit geometry needs (a later change of size may grow
 * them, in the worker that meets it), the model's output unless the worker
 * shrinks that (seg_mask_clamp), the pose regions' grid. */
static size_t pool_mask_len(const seg_job *job)
{
    const io_video_info *info = job->info;
    seg_fit_geom g;
    seg_fit_geometry(job->cfg->fit, info->width, info->height, job->in_shape, job->out_shape, &g);
    size_t out_len = (size_t)job->out_shape.h * (size_t)job->out_shape.w;
    size_t mask_len = (size_t)g.mask_w * (size_t)g.mask_h;
    int cw, ch;
    if (g.fit == SEG_FIT_STRETCH &&
        seg_mask_clamp(g.mask_w, g.mask_h, info->width, info->height, &cw, &ch))
        mask_len = (size_t)cw * (size_t)ch;
    else if (mask_len < out_len)
        mask_len = out_len;
    if (job->detector) {
        int gw, gh;
        seg_region_grid(info->width, info->height, &gw, &gh);
        if ((size_t)gw * gh > mask_len)
            mask_len = (size_t)gw * gh;
    }
    return mask_len;
}

/* At most in flight: 1 being decoded, per worker a full frame ring, one in
 * hand and a full result ring, 2 in the renderer's hands while it picks the
 * newest, a full encode ring and 1 being encoded; +1 so the decoder never
 * waits in live mode. */
static int pool_slots(const seg_job *job)
{
    return 1 + job->nworkers * (SEG_FRAMES_RING_CAP + 1 + SEG_RESULTS_RING_CAP) + 2 +
           SEG_ENCODE_RING_CAP + 1 + 1;
}

/* Bytes seg_image_alloc() takes for a w x h picture in @p f, roughly (rows
 * padded to 64 bytes). */
static size_t image_bytes(int w, int h, seg_pixfmt f)
{
    size_t row = ((size_t)w * (size_t)seg_pixfmt_bpp(f) + 63u) & ~(size_t)63u;
    if (f == SEG_PIX_YUV420P)
        return ((size_t)w + 63u) / 64u * 64u * (size_t)h +
               2 * (((size_t)seg_chroma_w(w) + 63u) / 64u * 64u) * (size_t)seg_chroma_h(h);
    if (f == SEG_PIX_YUV444P)
        return 3 * (((size_t)w + 63u) / 64u * 64u) * (size_t)h;
    return row * (size_t)h;
}

seg_job_mem seg_job_plan(const seg_job *job, size_t instance_bytes)
{
    const io_video_info *info = job->info;
    seg_job_mem m = {0};
    size_t nslots = (size_t)pool_slots(job), nw = (size_t)job->nworkers;
    size_t per_float = sizeof(float) + (job->multiclass || job->instances ? 1u : 0u);
    size_t out_len = (size_t)job->out_shape.h * (size_t)job->out_shape.w;
    m.frames = nslots * image_bytes(info->width, info->height, job->work_fmt);
    disp_mode mode = job->cfg->disp.mode;
    seg_pixfmt f;
    int w, h;
    if ((mode == DISP_MODE_ALPHA || mode == DISP_MODE_SIDE_BY_SIDE) &&
        disp_output_size(mode, info->width, info->height, &w, &h, &f) == SEG_OK)
        m.frames += nslots * image_bytes(w, h, f);
    /* Each worker may hold one model-size mask of its own (letterbox, crop,
     * regions, or an oversized output being shrunk). */
    m.masks = nslots * pool_mask_len(job) * per_float + nw * out_len * per_float;
    seg_pixfmt small = job->work_fmt == SEG_PIX_YUV420P ? SEG_PIX_YUV444P : SEG_PIX_RGB24;
    m.models = nw * (instance_bytes + image_bytes(job->in_shape.w, job->in_shape.h, small));
    m.total = m.frames + m.masks + m.models;
    return m;
}

int seg_job_create_pool(seg_job *job)
{
    int st;
    const io_video_info *info = job->info;
    size_t mask_len = pool_mask_len(job);
    disp_mode mode = job->cfg->disp.mode;
    job->nslots = pool_slots(job);
    if (!(job->slots = calloc((size_t)job->nslots, sizeof(seg_slot))))
        return SEG_ERR_NOMEM;
    for (int i = 0; i < job->nslots; i++) {
        seg_slot *s = &job->slots[i];
        if ((st = seg_image_alloc(&s->image, info->width, info->height, job->work_fmt)))
            return st;
        if (!(s->mask = malloc(mask_len * sizeof(float))) ||
            ((job->multiclass || job->instances) && !(s->labels = malloc(mask_len))))
            return SEG_ERR_NOMEM;
        s->mask_cap = mask_len;
        if (mode == DISP_MODE_ALPHA || mode == DISP_MODE_SIDE_BY_SIDE) {
            /* The composite's own buffer, at the output's size and format. */
            seg_pixfmt f;
            int w, h;
            if ((st = disp_output_size(mode, info->width, info->height, &w, &h, &f)) ||
                (st = seg_image_alloc(&s->out, w, h, f)))
                return st;
        }
    }
    /* A return ring holds the whole pool, so handing back never waits. */
    size_t ret_cap = pow2_at_least((size_t)job->nslots);
    if ((st = seg_ring_create(&job->audio, SEG_AUDIO_RING_CAP)) ||
        (st = seg_ring_create(&job->to_encoder, SEG_ENCODE_RING_CAP)) ||
        (st = seg_ring_create(&job->render_ret, ret_cap)) ||
        (st = seg_ring_create(&job->encode_ret, ret_cap)))
        return st;
    for (int i = 0; i < job->nworkers; i++)
        if ((st = seg_ring_create(&job->frames[i], SEG_FRAMES_RING_CAP)) ||
            (st = seg_ring_create(&job->results[i], SEG_RESULTS_RING_CAP)) ||
            (st = seg_ring_create(&job->skipped[i], ret_cap)))
            return st;
    return SEG_OK;
}

void seg_job_free(seg_job **pjob)
{
    seg_job *job = pjob ? *pjob : NULL;
    if (!job)
        return;
    for (int i = 0; job->slots && i < job->nslots; i++) {
        seg_image_free(&job->slots[i].image);
        seg_image_free(&job->slots[i].out);
        free(job->slots[i].mask);
        free(job->slots[i].labels);
    }
    free(job->slots);
    if (job->audio) {
        void *p;
        while (seg_ring_try_pop(job->audio, &p) == SEG_OK) {
            io_packet *pkt = p;
            io_packet_free(&pkt);
        }
    }
    for (int i = 0; i < SEG_MAX_WORKERS; i++) {
        seg_ring_destroy(&job->frames[i]);
        seg_ring_destroy(&job->results[i]);
        seg_ring_destroy(&job->skipped[i]);
    }
    seg_ring_destroy(&job->audio);
    seg_ring_destroy(&job->to_encoder);
    seg_ring_destroy(&job->render_ret);
    seg_ring_destroy(&job->encode_ret);
    io_source_close(&job->src);
    pthread_mutex_destroy(&job->err_lock);
    free(job);
    *pjob = NULL;
}
