/* seg_run.c - setting up a job, running its stage threads (seg_stage.c) and
 * watching them: stop requests, progress, the final status. Also the
 * timing helpers and --run-model. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "seg_internal.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/** Frame and result ring slots per worker. Two let a worker skip to the
 *  newer of two waiting frames in live mode and absorb one slow frame in
 *  exact mode; more only adds memory (a slot is a whole frame). */
#define FRAMES_RING_CAP 2
#define RESULTS_RING_CAP 2
/** Composited frames waiting for the encoder. */
#define ENCODE_RING_CAP 2
/** Passthrough audio packets in flight (~5 s of AAC). */
#define AUDIO_RING_CAP 256
/** Default inference workers for a given core count: frame-level
 *  parallelism won on 2 cores (BENCHMARKS.md, "Pipeline: workers vs
 *  threads"). */
#define DEFAULT_WORKERS(cores) ((cores) >= 2 ? 2 : 1)

/* ==== small helpers ===================================================== */

static atomic_int stop_requested;

void seg_request_stop(void)
{
    /* A lock-free atomic store: async-signal-safe. */
    atomic_store(&stop_requested, 1);
}

void seg_stop_clear(void)
{
    atomic_store(&stop_requested, 0);
}

double seg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

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

/* ==== histogram ========================================================= */

#define HIST_MIN_MS 1e-3
#define HIST_DECADES 8.0 /* 1 us .. 100 s */

static int hist_bucket(double ms)
{
    if (!(ms > HIST_MIN_MS))
        return 0;
    double b = log10(ms / HIST_MIN_MS) * ((SEG_HIST_BUCKETS - 1) / HIST_DECADES);
    return b >= SEG_HIST_BUCKETS - 1 ? SEG_HIST_BUCKETS - 1 : (int)b;
}

static double hist_centre(int i)
{
    return HIST_MIN_MS * pow(10.0, ((double)i + 0.5) * (HIST_DECADES / (SEG_HIST_BUCKETS - 1)));
}

void seg_hist_add(seg_hist *h, double ms)
{
    if (!(ms > 0))
        ms = 0;
    h->count[hist_bucket(ms)]++;
    h->n++;
    h->sum += ms;
    if (ms > h->max)
        h->max = ms;
}

void seg_hist_merge(seg_hist *dst, const seg_hist *src)
{
    for (int i = 0; i < SEG_HIST_BUCKETS; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
}

static double hist_quantile(const seg_hist *h, double q)
{
    /* The smallest bucket with at least ceil(q * n) samples at or below it. */
    int64_t want = (int64_t)ceil(q * (double)h->n);
    if (want < 1)
        want = 1;
    int64_t seen = 0;
    for (int i = 0; i < SEG_HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want) {
            double c = i == 0 ? 0.0 : hist_centre(i);
            return c > h->max ? h->max : c;
        }
    }
    return h->max;
}

seg_pctl seg_hist_pctl(const seg_hist *h)
{
    seg_pctl p;
    memset(&p, 0, sizeof p);
    if (h->n == 0)
        return p;
    p.n = h->n;
    p.p50 = hist_quantile(h, 0.50);
    p.p95 = hist_quantile(h, 0.95);
    p.p99 = hist_quantile(h, 0.99);
    p.mean = h->sum / (double)h->n;
    p.max = h->max;
    return p;
}

/* ==== config ============================================================ */

static const char *const STAGE_NAMES[SEG_STAGE_COUNT] = {"decode", "convert", "infer",
                                                         "composite", "encode"};
_Static_assert(sizeof(STAGE_NAMES) / sizeof(STAGE_NAMES[0]) == SEG_STAGE_COUNT,
               "name every seg_stage");

static const char *const FIT_NAMES[SEG_FIT_COUNT] = {"stretch", "letterbox", "crop"};

const char *seg_fit_name(seg_fit f)
{
    return ((int)f >= 0 && f < SEG_FIT_COUNT) ? FIT_NAMES[f] : NULL;
}

int seg_fit_parse(const char *name)
{
    for (int i = 0; name && i < SEG_FIT_COUNT; i++)
        if (strcmp(name, FIT_NAMES[i]) == 0)
            return i;
    return -1;
}

const char *seg_stage_name(seg_stage s)
{
    return (s >= 0 && s < SEG_STAGE_COUNT) ? STAGE_NAMES[s] : NULL;
}

seg_config seg_config_default(void)
{
    seg_config c;
    memset(&c, 0, sizeof c);
    c.model = "models/selfie_segmentation.tflite";
    c.mode = SEG_MODE_AUTO;
    c.decoder_threads = 1;
    c.encoder_threads = 0; /* by mode: see seg_run */
    c.disp = disp_options_default();
    return c;
}

void seg_config_resolve_threads(const seg_config *cfg, int cores, int *workers, int *threads)
{
    if (cores < 1)
        cores = 1;
    int w = cfg->workers > 0 ? cfg->workers : DEFAULT_WORKERS(cores);
    if (w > SEG_MAX_WORKERS)
        w = SEG_MAX_WORKERS;
    /* Two cores' worth is left to decoding, compositing and encoding:
     * OpenMP threads that find no free core spin in their barriers and
     * starve the other stages (BENCHMARKS.md). */
    int t = cfg->threads > 0 ? cfg->threads : (cores - 2) / w;
    *workers = w;
    *threads = t > 0 ? t : 1;
}

/* ==== job state ========================================================= */

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

void seg_job_stop(seg_job *job)
{
    atomic_store_explicit(&job->stop, 1, memory_order_release);
    io_source_interrupt(job->src); /* a read blocked on a live source returns */
}

/* ==== progress ========================================================== */

static void fmt_time(char *buf, size_t n, double s)
{
    if (s < 0)
        s = 0;
    int h = (int)(s / 3600);
    int m = (int)((s - h * 3600.0) / 60);
    snprintf(buf, n, "%d:%02d:%04.1f", h, m, s - h * 3600.0 - m * 60.0);
}

/* frame=   120 fps= 41.3 dropped=0 elapsed=0:00:02.9 eta=0:00:16.3 */
static void progress(seg_job *job, const io_video_info *info, int final, int tty)
{
    double el = (seg_now_ms() - job->t0) / 1e3;
    long long written = atomic_load_explicit(&job->progress_written, memory_order_relaxed);
    long long dropped = atomic_load_explicit(&job->progress_dropped, memory_order_relaxed);
    double fps = el > 0 ? (double)written / el : 0.0;
    char elapsed[32], eta[48] = "";
    fmt_time(elapsed, sizeof elapsed, el);
    int64_t total = info->nb_frames;
    if (total <= 0 && info->duration_s > 0 && info->frame_rate_num > 0 && info->frame_rate_den > 0)
        total = (int64_t)llround(info->duration_s * info->frame_rate_num / info->frame_rate_den);
    if (job->max_frames > 0 && (total <= 0 || job->max_frames < total))
        total = job->max_frames;
    if (!final && !job->live && total > 0 && fps > 0) {
        char t[32];
        fmt_time(t, sizeof t, (double)(total - written) / fps);
        snprintf(eta, sizeof eta, " eta=%s", t);
    }
    fprintf(stderr, "%sframe=%6lld fps=%5.1f dropped=%lld elapsed=%s%s%s", tty ? "\r" : "",
            written, fps, dropped, elapsed, eta, tty && !final ? "   " : "\n");
    fflush(stderr);
}

/* ==== setup and teardown ================================================ */

static int create_pool(seg_job *job, const io_video_info *info)
{
    int st;
    /* Masks as large as the first frame's --fit geometry needs (a later
     * change of size may grow them, in the worker that meets it). */
    seg_fit_geom g;
    seg_fit_geometry(job->cfg->fit, info->width, info->height, job->in_shape, job->out_shape, &g);
    size_t out_len = (size_t)job->out_shape.h * (size_t)job->out_shape.w;
    size_t mask_len = (size_t)g.mask_w * (size_t)g.mask_h;
    if (mask_len < out_len)
        mask_len = out_len;
    disp_mode mode = job->cfg->disp.mode;
    /* At most in flight: 1 being decoded, per worker a full frame ring, one
     * in hand and a full result ring, 2 in the renderer's hands while it
     * picks the newest, a full encode ring and 1 being encoded; +1 so the
     * decoder never waits in live mode. */
    job->nslots = 1 + job->nworkers * (FRAMES_RING_CAP + 1 + RESULTS_RING_CAP) + 2 +
                  ENCODE_RING_CAP + 1 + 1;
    job->slots = calloc((size_t)job->nslots, sizeof(seg_slot));
    job->free_slots = calloc((size_t)job->nslots, sizeof(seg_slot *));
    if (!job->slots || !job->free_slots)
        return SEG_ERR_NOMEM;
    for (int i = 0; i < job->nslots; i++) {
        seg_slot *s = &job->slots[i];
        if ((st = seg_image_alloc(&s->image, info->width, info->height, job->work_fmt)))
            return st;
        if (!(s->mask = malloc(mask_len * sizeof(float))) ||
            (job->multiclass && !(s->labels = malloc(mask_len))))
            return SEG_ERR_NOMEM;
        s->mask_cap = mask_len;
        if ((mode == DISP_MODE_ALPHA || mode == DISP_MODE_SIDE_BY_SIDE) &&
            (st = disp_output_prepare(job->comp, info->width, info->height, &s->out)))
            return st;
        job->free_slots[job->nfree++] = s;
    }
    size_t ret_cap = 1;
    while (ret_cap < (size_t)job->nslots)
        ret_cap <<= 1;
    if ((st = seg_ring_create(&job->audio, AUDIO_RING_CAP)) ||
        (st = seg_ring_create(&job->to_encoder, ENCODE_RING_CAP)) ||
        (st = seg_ring_create(&job->render_ret, ret_cap)) ||
        (st = seg_ring_create(&job->encode_ret, ret_cap)))
        return st;
    for (int i = 0; i < job->nworkers; i++) {
        seg_worker *w = &job->workers[i];
        if (job->cfg->fit != SEG_FIT_STRETCH &&
            (!(w->raw_mask = malloc(out_len * sizeof(float))) ||
             (job->multiclass && !(w->raw_labels = malloc(out_len)))))
            return SEG_ERR_NOMEM;
        if ((st = seg_ring_create(&w->in, FRAMES_RING_CAP)) ||
            (st = seg_ring_create(&w->out, RESULTS_RING_CAP)) ||
            (st = seg_ring_create(&w->ret, ret_cap)))
            return st;
    }
    return SEG_OK;
}

static void free_job(seg_job *job)
{
    if (!job)
        return;
    for (int i = 0; job->workers && i < job->nworkers; i++) {
        seg_worker *w = &job->workers[i];
        seg_model_close(&w->sm);
        io_scaler_free(&w->scaler);
        seg_image_free(&w->small);
        free(w->raw_mask);
        free(w->raw_labels);
        seg_ring_destroy(&w->in);
        seg_ring_destroy(&w->out);
        seg_ring_destroy(&w->ret);
    }
    free(job->workers);
    for (int i = 0; job->slots && i < job->nslots; i++) {
        seg_image_free(&job->slots[i].image);
        seg_image_free(&job->slots[i].out);
        free(job->slots[i].mask);
        free(job->slots[i].labels);
    }
    free(job->slots);
    free(job->free_slots);
    if (job->audio) {
        void *p;
        while (seg_ring_try_pop(job->audio, &p) == SEG_OK) {
            io_packet *pkt = p;
            io_packet_free(&pkt);
        }
    }
    seg_ring_destroy(&job->audio);
    seg_ring_destroy(&job->to_encoder);
    seg_ring_destroy(&job->render_ret);
    seg_ring_destroy(&job->encode_ret);
    io_sink_close(&job->snk);
    io_source_close(&job->src);
    io_source_close(&job->bg_src);
    seg_image_free(&job->bg_frame);
    io_dump_close(&job->dump);
    disp_compositor_free(&job->comp);
    pthread_mutex_destroy(&job->err_lock);
    free(job);
}

/* Threads of a job and whether each started. */
typedef struct stage_threads {
    pthread_t encoder, renderer, decoder;
    int encoder_started, renderer_started, decoder_started;
} stage_threads;

static int start_one(seg_job *job, pthread_t *t, void *(*fn)(void *), void *arg,
                     const char *what)
{
    if (seg_job_stopping(job))
        return 0;
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc)
        seg_job_fail(job, SEG_ERR_NOMEM, SEG_WHERE_OTHER, "cannot start the %s thread: %s", what,
                     strerror(rc));
    return rc == 0;
}

/* Start the stages, each consumer before its producers. Once one cannot
 * start, no later one is started, and this thread stands in for each
 * missing producer by sending its END message, so the started stages still
 * drain and end. */
static void start_threads(seg_job *job, stage_threads *t)
{
    sigset_t block, old;
    /* Signals go to the supervising thread, not into a stage's syscalls. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    t->encoder_started = start_one(job, &t->encoder, seg_encoder_main, job, "encoder");
    if (!t->encoder_started)
        goto end; /* nothing runs */
    t->renderer_started = start_one(job, &t->renderer, seg_renderer_main, job, "renderer");
    if (!t->renderer_started) {
        job->render_end.kind = SEG_MSG_END;
        job->render_end.status = SEG_ERR_INTERRUPTED;
        (void)seg_push_wait(job, job->to_encoder, &job->render_end, 0);
        goto end;
    }
    for (int i = 0; i < job->nworkers; i++) {
        seg_worker *w = &job->workers[i];
        w->started = start_one(job, &w->thread, seg_worker_main, w, "inference");
        if (!w->started) {
            w->end.kind = SEG_MSG_END;
            w->end.status = SEG_ERR_INTERRUPTED;
            (void)seg_push_wait(job, w->out, &w->end, 0);
        }
    }
    t->decoder_started = start_one(job, &t->decoder, seg_decoder_main, job, "decoder");
    if (!t->decoder_started) {
        job->dec_end.kind = SEG_MSG_END;
        job->dec_end.status = SEG_ERR_INTERRUPTED;
        for (int i = 0; i < job->nworkers; i++)
            if (job->workers[i].started)
                (void)seg_push_wait(job, job->workers[i].in, &job->dec_end, 0);
    }
end:
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void join_threads(seg_job *job, stage_threads *t)
{
    if (t->decoder_started)
        pthread_join(t->decoder, NULL);
    for (int i = 0; i < job->nworkers; i++)
        if (job->workers[i].started)
            pthread_join(job->workers[i].thread, NULL);
    if (t->renderer_started)
        pthread_join(t->renderer, NULL);
    if (t->encoder_started)
        pthread_join(t->encoder, NULL);
}

static void fill_stats(seg_job *job, seg_stats *stats)
{
    seg_hist convert = {0}, infer = {0};
    seg_depth out = {0};
    stats->frames = job->written;
    stats->decoded = job->decoded;
    stats->dropped_decoder = job->dropped_decoder;
    stats->dropped_render = job->dropped_render;
    stats->index_gaps = job->index_gaps;
    stats->audio_packets = job->audio_packets;
    stats->audio_dropped = job->audio_dropped;
    for (int i = 0; i < job->nworkers; i++) {
        seg_worker *w = &job->workers[i];
        stats->dropped_infer += w->dropped;
        seg_hist_merge(&convert, &w->convert);
        seg_hist_merge(&infer, &w->infer);
        out.n += w->out_depth.n;
        out.sum += w->out_depth.sum;
        out.max = w->out_depth.max > out.max ? w->out_depth.max : out.max;
    }
    stats->dropped = stats->dropped_decoder + stats->dropped_infer + stats->dropped_render;
    stats->stage[SEG_STAGE_DECODE] = seg_hist_pctl(&job->decode);
    stats->stage[SEG_STAGE_CONVERT] = seg_hist_pctl(&convert);
    stats->stage[SEG_STAGE_INFER] = seg_hist_pctl(&infer);
    stats->stage[SEG_STAGE_COMPOSITE] = seg_hist_pctl(&job->composite);
    stats->stage[SEG_STAGE_ENCODE] = seg_hist_pctl(&job->encode);
    stats->latency = seg_hist_pctl(&job->latency);
    stats->frames_ring = (seg_ring_stat){
        FRAMES_RING_CAP, job->nworkers,
        job->in_depth.n ? (double)job->in_depth.sum / (double)job->in_depth.n : 0.0,
        job->in_depth.max};
    stats->results_ring = (seg_ring_stat){
        RESULTS_RING_CAP, job->nworkers, out.n ? (double)out.sum / (double)out.n : 0.0, out.max};
    stats->classes_seen = job->classes_seen;
    stats->encode_ring = (seg_ring_stat){
        ENCODE_RING_CAP, 1,
        job->encode_depth.n ? (double)job->encode_depth.sum / (double)job->encode_depth.n : 0.0,
        job->encode_depth.max};
}

/* ==== the job =========================================================== */

int seg_run(const seg_config *cfg, seg_stats *stats, char *err, size_t errlen)
{
    int st = SEG_OK;
    char msg[512];
    seg_job *job = NULL;
    memset(stats, 0, sizeof *stats);
    if (err && errlen)
        err[0] = '\0';

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers, threads;
    seg_config_resolve_threads(cfg, cores > 0 ? (int)cores : 1, &workers, &threads);
    stats->workers = workers;
    stats->threads = threads;
    stats->decoder_threads = cfg->decoder_threads > 0 ? cfg->decoder_threads : 1;
    stats->encoder_threads = cfg->encoder_threads > 0 ? cfg->encoder_threads : 1;
    if (!cfg->input || !cfg->model || cfg->workers < 0 || cfg->workers > SEG_MAX_WORKERS ||
        cfg->threads < 0 || cfg->decoder_threads < 0 || cfg->encoder_threads < 0 ||
        cfg->timeout_ms < 0 || cfg->max_frames < 0 || cfg->infer_delay_us < 0) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("invalid job settings");
        return SEG_ERR_INVALID;
    }

    if (cfg->display && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") &&
        !getenv("SDL_VIDEODRIVER")) {
        /* Said before anything loads or opens (a network input may take
         * its whole timeout); the window itself opens on the renderer. */
        st = SEG_ERR_UNSUPPORTED;
        stats->where = SEG_WHERE_OUTPUT;
        SET_ERR("--display: no display to open a window on (DISPLAY is not set); write a "
                "video with -o OUTPUT or PNG frames with --dump-frames DIR instead");
        return st;
    }

    job = calloc(1, sizeof *job);
    if (!job || !(job->workers = calloc((size_t)workers, sizeof(seg_worker)))) {
        free(job);
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("out of memory");
        return SEG_ERR_NOMEM;
    }
    pthread_mutex_init(&job->err_lock, NULL);
    job->cfg = cfg;
    job->nworkers = workers;
    job->max_frames = cfg->max_frames;

    /* Models first: the cheapest thing to get wrong and check. One instance
     * per worker: a model is used by one thread at a time. */
    for (int i = 0; i < workers; i++) {
        seg_worker *w = &job->workers[i];
        w->job = job;
        w->id = i;
        if ((st = seg_model_open(&w->sm, cfg->model, cfg->input_range, cfg->labels,
                                 cfg->classes, msg, sizeof msg))) {
            stats->where = SEG_WHERE_MODEL;
            SET_ERR("%s", msg);
            goto end;
        }
        nn_model_set_threads(w->sm.nn, threads);
    }
    const seg_model *sm = &job->workers[0].sm;
    job->in_shape = sm->in;
    job->out_shape = sm->out;
    if (job->in_shape.c != 3) {
        st = SEG_ERR_UNSUPPORTED;
        stats->where = SEG_WHERE_MODEL;
        SET_ERR("model '%s' takes %d input channels; segstream feeds RGB (3 channels)",
                cfg->model, job->in_shape.c);
        goto end;
    }
    stats->model_w = job->in_shape.w;
    stats->model_h = job->in_shape.h;
    snprintf(stats->norm, sizeof stats->norm, "%s", sm->norm_source);
    stats->norm_guessed = sm->norm_guessed;
    seg_model_input_luts(sm, job->lut);
    /* Multi-class models carry a label map per frame; overlay colours every
     * class by the palette (mask: anything but background), the other modes
     * take the --classes foreground. */
    job->multiclass = sm->n_classes > 2 || sm->n_classes == 0;
    {
        disp_mode m = cfg->disp.mode;
        int overlay = m == DISP_MODE_OVERLAY ||
                      (m == DISP_MODE_SIDE_BY_SIDE && cfg->disp.side_mode == DISP_MODE_OVERLAY);
        job->overlay_labels = job->multiclass && sm->n_classes > 2 &&
                              sm->n_classes <= SEG_MAX_CLASSES && overlay;
    }
    for (int c = 0; c < SEG_MAX_CLASSES; c++)
        job->class_first[c] = -1;
    /* Frames stay in the decoder's YUV 4:2:0 from decoder to encoder unless
     * the mode needs RGB: alpha and side-by-side, and a window without an
     * output file (its mode key may pick those). The model input is then
     * scaled to 4:4:4 (planar, fast in swscale) and made RGB by table. */
    job->work_fmt = disp_mode_takes_yuv(cfg->disp.mode) && !cfg->compose_rgb &&
                            (cfg->output || !cfg->display)
                        ? SEG_PIX_YUV420P
                        : SEG_PIX_RGB24;
    for (int i = 0; i < workers; i++) {
        if ((st = seg_image_alloc(&job->workers[i].small, job->in_shape.w, job->in_shape.h,
                                  job->work_fmt == SEG_PIX_YUV420P ? SEG_PIX_YUV444P
                                                                   : SEG_PIX_RGB24))) {
            stats->where = SEG_WHERE_OTHER;
            SET_ERR("out of memory");
            goto end;
        }
    }

    io_source_opts so = {0};
    so.format = cfg->input_format;
    so.video_size = cfg->video_size;
    so.framerate = cfg->framerate;
    so.pixel_format = cfg->pixel_format;
    so.timeout_ms = cfg->timeout_ms;
    so.want_audio = cfg->output != NULL;
    so.decoder_threads = stats->decoder_threads;
    so.pixfmt = job->work_fmt;
    stats->frame_format = seg_pixfmt_name(job->work_fmt);
    if ((st = io_source_open(&job->src, cfg->input, &so, msg, sizeof msg))) {
        stats->where = SEG_WHERE_INPUT;
        SET_ERR("%s", msg);
        goto end;
    }
    const io_video_info *info = io_source_info(job->src);
    job->info = info;
    stats->in_w = info->width;
    stats->in_h = info->height;
    job->live = cfg->mode == SEG_MODE_AUTO ? info->is_live : cfg->mode == SEG_MODE_LIVE;
    stats->live = job->live;
    /* x264 sets the pace of a file job (BENCHMARKS.md): two frame threads
     * let it use what the other stages leave of the second core. A live job
     * keeps one, as each frame thread delays the output by a frame. */
    if (cfg->encoder_threads == 0)
        stats->encoder_threads = job->live || cores < 2 ? 1 : 2;

    if ((st = disp_compositor_create(&job->comp, &cfg->disp))) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("bad display options");
        goto end;
    }

    if (cfg->background) {
        /* A picture is scaled once; a video gives one frame per output
         * frame (the renderer reads it, looping). Two reads tell them apart. */
        io_packet *pkt = NULL;
        int k1, k2 = SEG_EOF;
        if ((st = io_source_open(&job->bg_src, cfg->background, &(io_source_opts){0}, msg,
                                 sizeof msg))) {
            stats->where = SEG_WHERE_INPUT;
            SET_ERR("--background: %s", msg);
            goto end;
        }
        k1 = io_source_read(job->bg_src, &job->bg_frame, &pkt);
        if (k1 == IO_READ_VIDEO) {
            seg_image second = {0};
            k2 = io_source_read(job->bg_src, &second, &pkt);
            seg_image_free(&second);
        }
        io_packet_free(&pkt);
        if (k1 != IO_READ_VIDEO) {
            st = k1 < 0 && k1 != SEG_EOF ? k1 : SEG_ERR_BAD_INPUT;
            stats->where = SEG_WHERE_INPUT;
            SET_ERR("--background '%s': no picture could be decoded", cfg->background);
            goto end;
        }
        if (k2 == IO_READ_VIDEO) {
            io_source_close(&job->bg_src); /* a video: start it again from frame 0 */
            if ((st = io_source_open(&job->bg_src, cfg->background, &(io_source_opts){0}, msg,
                                     sizeof msg))) {
                stats->where = SEG_WHERE_INPUT;
                SET_ERR("--background: %s", msg);
                goto end;
            }
        } else {
            io_source_close(&job->bg_src); /* a picture */
            if ((st = disp_compositor_set_background(job->comp, &job->bg_frame))) {
                stats->where = SEG_WHERE_INPUT;
                SET_ERR("--background '%s': %s", cfg->background, seg_status_str(st));
                goto end;
            }
            seg_image_free(&job->bg_frame);
        }
    }

    if (cfg->dump_dir &&
        (st = io_dump_open(&job->dump, cfg->dump_dir, cfg->dump_every > 0 ? cfg->dump_every : 1,
                           msg, sizeof msg))) {
        stats->where = SEG_WHERE_OUTPUT;
        SET_ERR("--dump-frames: %s", msg);
        goto end;
    }

    io_sink_params sp = {0};
    seg_pixfmt out_fmt = SEG_PIX_RGB24;
    if ((st = disp_output_size(cfg->disp.mode, info->width, info->height, &job->out_w,
                               &job->out_h, &out_fmt))) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("%s output for %dx%d frames: %s", disp_mode_name(cfg->disp.mode), info->width,
                info->height, seg_status_str(st));
        goto end;
    }
    job->out_rgba = out_fmt == SEG_PIX_RGBA;
    stats->out_w = job->out_w;
    stats->out_h = job->out_h;
    sp.width = job->out_w;
    sp.height = job->out_h;
    sp.rgba = job->out_rgba;
    sp.yuv = job->work_fmt == SEG_PIX_YUV420P;
    sp.matrix = info->matrix;
    sp.full_range = info->full_range;
    sp.crf = cfg->crf;
    sp.preset = cfg->preset;
    sp.time_base_num = info->time_base_num;
    sp.time_base_den = info->time_base_den;
    sp.frame_rate_num = info->frame_rate_num;
    sp.frame_rate_den = info->frame_rate_den;
    sp.sar_num = info->sar_num;
    sp.sar_den = info->sar_den;
    sp.codec = cfg->codec;
    sp.overwrite = cfg->overwrite;
    sp.encoder_threads = stats->encoder_threads;
    st = SEG_OK;
    if (cfg->output) {
        sp.format = cfg->format;
        st = io_sink_open(&job->snk, cfg->output, &sp, job->src, msg, sizeof msg);
    } else if (!cfg->display && !cfg->dump_dir) {
        /* The null sink: encode like a real job, let FFmpeg's null muxer
         * throw the packets away (ffmpeg -f null -). */
        sp.format = "null";
        st = io_sink_open(&job->snk, "pipe:", &sp, NULL, msg, sizeof msg);
    } /* else: only shown in the window or dumped, nothing encoded */
    if (st) {
        stats->where = SEG_WHERE_OUTPUT;
        SET_ERR("%s", msg);
        goto end;
    }

    if ((st = create_pool(job, info))) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("cannot allocate the frame pool: %s", seg_status_str(st));
        goto end;
    }

    /* ---- run ---- */
    stage_threads t = {0};
    int tty = isatty(STDERR_FILENO), show = !cfg->quiet;
    job->t0 = seg_now_ms();
    start_threads(job, &t);
    double last_progress = job->t0;
    while (t.encoder_started && !atomic_load_explicit(&job->encoder_done, memory_order_acquire)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (atomic_load(&stop_requested) && !atomic_load(&job->interrupted)) {
            atomic_store(&job->interrupted, 1);
            seg_job_stop(job);
        }
        double now = seg_now_ms();
        if (show && now - last_progress >= (tty ? 500.0 : 2000.0)) {
            last_progress = now;
            progress(job, info, 0, tty);
        }
    }
    join_threads(job, &t);
    if (show && t.encoder_started)
        progress(job, info, 1, tty);

    /* Finalise the output whatever happened: a stopped job's file plays. */
    int fst = job->snk ? io_sink_finish(job->snk) : SEG_OK;
    if (fst && job->err_status == SEG_OK)
        seg_job_record(job, fst, SEG_WHERE_OUTPUT, "%s", io_sink_last_error(job->snk));
    stats->seconds = (seg_now_ms() - job->t0) / 1e3;
    stats->decode_warnings = io_source_warnings(job->src);
    fill_stats(job, stats);

    if (job->err_status != SEG_OK) {
        st = job->err_status;
        stats->where = job->err_where;
        SET_ERR("%s", job->err);
    } else if (atomic_load(&job->interrupted)) {
        st = SEG_ERR_INTERRUPTED;
    } else if (stats->frames == 0) {
        st = SEG_ERR_BAD_INPUT;
        stats->where = SEG_WHERE_INPUT;
        SET_ERR("'%s': no video frame could be decoded", cfg->input);
    }
end:
    free_job(job);
    return st;
}

/* ==== --run-model ======================================================= */

int seg_run_model_file(const char *model_path, const char *in_path, const char *out_path,
                       int threads, int overwrite, seg_where *where, char *err, size_t errlen)
{
    int st;
    char msg[512];
    nn_model *m = NULL;
    FILE *f = NULL;
    *where = SEG_WHERE_MODEL;
    if ((st = nn_model_load_file(&m, model_path, msg, sizeof msg))) {
        SET_ERR("%s", msg);
        return st;
    }
    nn_model_set_threads(m, threads);
    nn_shape s = nn_model_input_shape(m);
    size_t n = (size_t)s.n * s.h * s.w * s.c;
    *where = SEG_WHERE_INPUT;
    f = fopen(in_path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = SEG_ERR_IO;
        SET_ERR("cannot read '%s': %s", in_path, f ? "not a regular file" : strerror(errno));
        goto end;
    }
    if ((size_t)sb.st_size != n * 4) {
        st = SEG_ERR_INVALID;
        SET_ERR("'%s' has %lld bytes; the model input [%d,%d,%d,%d] float32 needs %zu",
                in_path, (long long)sb.st_size, s.n, s.h, s.w, s.c, n * 4);
        goto end;
    }
    if (fread(nn_model_input(m), 4, n, f) != n) {
        st = SEG_ERR_IO;
        SET_ERR("cannot read '%s'", in_path);
        goto end;
    }
    fclose(f);
    f = NULL;
    if ((st = nn_model_run(m))) {
        *where = SEG_WHERE_OTHER;
        SET_ERR("inference failed: %s", seg_status_str(st));
        goto end;
    }
    nn_shape o = nn_model_output_shape(m);
    size_t on = (size_t)o.n * o.h * o.w * o.c;
    *where = SEG_WHERE_OUTPUT;
    /* "x" refuses to replace an existing file unless -y was given. */
    f = fopen(out_path, overwrite ? "wb" : "wbx");
    if (!f) {
        st = errno == EEXIST ? SEG_ERR_EXISTS : SEG_ERR_IO;
        SET_ERR("cannot write '%s': %s%s", out_path, strerror(errno),
                errno == EEXIST ? " (use -y to overwrite)" : "");
        goto end;
    }
    if (fwrite(nn_model_output(m), 4, on, f) != on || fflush(f) != 0) {
        st = SEG_ERR_IO;
        SET_ERR("cannot write '%s': %s", out_path, strerror(errno));
        goto end;
    }
    if (fclose(f) != 0) {
        f = NULL;
        st = SEG_ERR_IO;
        SET_ERR("cannot write '%s': %s", out_path, strerror(errno));
        goto end;
    }
    f = NULL;
    *where = SEG_WHERE_NONE;
end:
    if (f)
        fclose(f);
    nn_model_free(&m);
    return st;
}
