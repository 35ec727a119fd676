/* seg_run.c - a job from start to end: open the model, the input, the
 * background and the output, start the stage threads, watch them (stop
 * requests, progress), and report. The stages themselves are in
 * seg_decoder.c, seg_worker.c, seg_renderer.c and seg_encoder.c. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include "seg_stages.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/** Default inference workers for a given core count: frame-level
 *  parallelism won on 2 cores (BENCHMARKS.md, "Pipeline: workers vs
 *  threads"). */
#define DEFAULT_WORKERS(cores) ((cores) >= 2 ? 2 : 1)

/* ==== public helpers ====================================================== */

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

static atomic_int reload_requested;

void seg_request_reload(void)
{
    atomic_store(&reload_requested, 1);
}

int seg_take_reload_request(void)
{
    return atomic_exchange(&reload_requested, 0);
}

static const char *const STAGE_NAMES[] = {"decode", "convert", "infer",
                                                         "composite", "encode"};
_Static_assert(sizeof(STAGE_NAMES) / sizeof(STAGE_NAMES[0]) == SEG_STAGE_COUNT,
               "name every seg_stage");

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
    c.find = SEG_FIND_AUTO;
    c.decoder_threads = 1;
    c.encoder_threads = 0; /* by mode: see open_input */
    c.disp = disp_options_default();
    c.legend = 1;
    return c;
}

int seg_output_is_vcam(const seg_config *cfg)
{
    return cfg->output &&
           (io_vcam_is_device(cfg->output) || (cfg->format && strcmp(cfg->format, "v4l2") == 0));
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

/* ==== the job's parts ===================================================== */

/* Everything one run holds: the shared job, the model, and each stage's
 * state. Only this file sees all of them. */
typedef struct run {
    const seg_config *cfg;
    seg_stats *stats;
    int cores, threads;
    seg_job *job;
    seg_model models[SEG_MAX_MODELS]; /* every -m */
    int nmodels;                      /* opened (and to close) */
    nn_model *detector, *face_detector; /* --find pose */
    seg_model closeup;                  /* --find pose: close-ups' model */
    int has_closeup;
    seg_decoder dec;
    seg_worker workers[SEG_MAX_WORKERS];
    seg_board board;   /* --find pose in a file job: the searches shared */
    int has_board;
    seg_renderer ren;
    seg_encoder enc;
    pthread_t dec_thread, ren_thread, enc_thread;
    int dec_started, ren_started, enc_started;
    char *err;
    size_t errlen;
} run;

/* A failed step: the message, and whose fault it was (the exit code). */
static int step_failed(run *r, int st, seg_where where, const char *msg)
{
    r->stats->where = where;
    seg_format_error(r->err, r->errlen, "seg_run", "%s", msg);
    return st;
}

/* ==== steps =============================================================== */

/* --find pose: the model that segments a landscape close-up's whole frame.
 * By default, with MediaPipe's general selfie model, its landscape sibling
 * (made for 16:9 webcam frames: on the evaluation set's close-ups IoU 0.97
 * against 0.74 for the general model stretched, in half the time) when it
 * is beside it; otherwise the main model. It must give what the main model
 * gives: one foreground probability. */
static int open_closeup_model(run *r, char *msg, size_t msglen)
{
    const seg_config *cfg = r->cfg;
    seg_job *job = r->job;
    const char *path = cfg->closeup_model;
    char sibling[4200];
    if (path && strcmp(path, "none") == 0)
        return SEG_OK;
    if (!path) {
        if (!r->models[0].known_name ||
            strcmp(r->models[0].known_name, "MediaPipe selfie segmentation 256x256") != 0)
            return SEG_OK;
        const char *slash = strrchr(cfg->model, '/');
        snprintf(sibling, sizeof sibling, "%.*sselfie_segmentation_landscape.tflite",
                 slash ? (int)(slash - cfg->model + 1) : 0, cfg->model);
        if (access(sibling, R_OK) != 0)
            return SEG_OK; /* not fetched: the main model does close-ups too */
        path = sibling;
    }
    if (job->multiclass) {
        snprintf(msg, msglen, "--closeup-model: the main model '%s' gives classes; a close-up "
                 "model goes with a one-class model only", cfg->model);
        return SEG_ERR_INVALID;
    }
    char inner[SEG_MSG_SIZE - 64];
    int st = seg_model_open(&r->closeup, path, NULL, NULL, NULL, inner, sizeof inner);
    if (st) {
        snprintf(msg, msglen, "--closeup-model: %s", inner);
        return st;
    }
    r->has_closeup = 1;
    const seg_model *c = &r->closeup;
    if (c->in.c != 3 || c->n_classes > 2 || c->n_classes == 0) {
        snprintf(msg, msglen, "--closeup-model '%.300s': wanted an RGB input and one foreground "
                 "output, like the main model's", path);
        return SEG_ERR_UNSUPPORTED;
    }
    job->closeup = c;
    seg_model_input_luts(c, job->closeup_lut);
    return SEG_OK;
}

/* "5.6 GiB", "312 MiB", "12 KiB" into buf. */
static const char *fmt_bytes(char *buf, size_t n, size_t bytes)
{
    if (bytes >= ((size_t)1 << 30))
        snprintf(buf, n, "%.1f GiB", (double)bytes / (double)((size_t)1 << 30));
    else if (bytes >= ((size_t)1 << 20))
        snprintf(buf, n, "%.0f MiB", (double)bytes / (double)((size_t)1 << 20));
    else
        snprintf(buf, n, "%.0f KiB", (double)bytes / 1024.0);
    return buf;
}

/* One -m model with the job's normalisation and classes; message in msg. */
static int open_one_model(run *r, seg_model *sm, const char *path, char *msg, size_t n)
{
    const seg_config *cfg = r->cfg;
    int st;
    seg_model_opts o = {
        .range_override = cfg->input_range, .labels_path = cfg->labels,
        .classes = cfg->classes, .input_values = cfg->input_values,
        .n_values = cfg->n_input_values, .state = cfg->state, .n_state = cfg->n_state,
        .output = cfg->model_output, .input_w = cfg->input_w, .input_h = cfg->input_h,
    };
    if ((st = seg_model_open_ex(sm, path, &o, msg, n)))
        return st;
    if (!cfg->quiet && cfg->input_w > 0 && (sm->in.w != cfg->input_w || sm->in.h != cfg->input_h))
        fprintf(stderr, "segstream: warning: --input-size %dx%d ignored: the model's input is "
                "fixed at %dx%d\n", cfg->input_w, cfg->input_h, sm->in.w, sm->in.h);
    if (sm->matting && !cfg->quiet)
        fprintf(stderr, "segstream: matting model: output '%s' is the alpha, used as it is%s%s%s\n",
                sm->output_name, cfg->disp.solid_set ? "" : " (no --solid)",
                sm->fgr >= 0 ? "; the colour is output " : "",
                sm->fgr >= 0 ? nn_model_output_name(sm->nn, sm->fgr) : "");
    if (cfg->input_mean || cfg->input_std) {
        float mean[3] = {0, 0, 0}, sd[3] = {1, 1, 1};
        char src[96];
        if ((cfg->input_mean && seg_model_parse_channels(cfg->input_mean, 0, mean)) ||
            (cfg->input_std && seg_model_parse_channels(cfg->input_std, 1, sd))) {
            snprintf(msg, n, "--input-mean/--input-std want R,G,B or one value (std > 0)");
            return SEG_ERR_INVALID;
        }
        snprintf(src, sizeof src, "--input-mean %.30s --input-std %.30s",
                 cfg->input_mean ? cfg->input_mean : "0", cfg->input_std ? cfg->input_std : "1");
        seg_model_set_mean_std(sm, mean, sd, src);
    }
    if (sm->in.c != 3) {
        snprintf(msg, n, "model '%s' takes %d input channels; segstream feeds RGB (3 channels)",
                 path, sm->in.c);
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

static int gives_classes(const seg_model *sm)
{
    return sm->n_classes > 2 || sm->n_classes == 0;
}

/* The models, once each, all before the first frame (the window's M key
 * cycles through them, so a bad one is an error now, not in the middle of
 * a call); every worker gets an instance of each sharing its weights. */
/* A model with state (a recurrent one) sees the frames of the stream in
 * order: one worker (with the threads it may have), the whole frame. */
static int one_worker_for_state(run *r)
{
    const seg_config *cfg = r->cfg;
    char pairs[256] = "";
    size_t at = 0;
    for (int i = 0; i < r->nmodels; i++) {
        const nn_model *nn = r->models[i].nn;
        for (int k = 0; k < nn_model_state_count(nn) && at < sizeof pairs; k++)
            at += (size_t)snprintf(pairs + at, sizeof pairs - at, "%s%s -> %s", at ? ", " : "",
                                   nn_model_state_name(nn, k, 0), nn_model_state_name(nn, k, 1));
    }
    if (!pairs[0])
        return SEG_OK;
    if (cfg->find == SEG_FIND_POSE)
        return step_failed(r, SEG_ERR_UNSUPPORTED, SEG_WHERE_MODEL,
                           "the model carries state from frame to frame; --find pose gives it "
                           "people's regions instead of the stream's frames (use --find none)");
    if (cfg->workers > 1)
        return step_failed(r, SEG_ERR_UNSUPPORTED, SEG_WHERE_OTHER,
                           "the model carries state from frame to frame: its frames go through "
                           "one worker in order (drop --workers; --threads sets its threads)");
    seg_config one = *cfg;
    one.workers = 1;
    int workers;
    seg_config_resolve_threads(&one, r->cores, &workers, &r->threads);
    r->job->nworkers = workers;
    r->stats->workers = workers;
    r->stats->threads = r->threads;
    if (!cfg->quiet)
        fprintf(stderr, "segstream: the model carries state (%s): one worker, frames in order, "
                "state reset after a lost frame\n", pairs);
    return SEG_OK;
}

static int open_models_and_detectors(run *r)
{
    seg_job *job = r->job;
    const seg_config *cfg = r->cfg;
    char msg[SEG_MSG_SIZE];
    int st, n = cfg->models && cfg->nmodels > 0 ? cfg->nmodels : 1;
    if (n > SEG_MAX_MODELS)
        return step_failed(r, SEG_ERR_INVALID, SEG_WHERE_OTHER, "at most 8 -m models");
    if (n > 1 && cfg->find == SEG_FIND_POSE)
        return step_failed(r, SEG_ERR_INVALID, SEG_WHERE_OTHER,
                           "--find pose takes one -m model (the window's M key cycles "
                           "between models of whole frames)");
    for (int i = 0; i < n; i++) {
        const char *path = n > 1 ? cfg->models[i] : cfg->model;
        r->nmodels = i + 1; /* closed by close_run, whatever happens next */
        if ((st = open_one_model(r, &r->models[i], path, msg, sizeof msg))) {
            if (n > 1) { /* say which of several */
                char m2[SEG_MSG_SIZE + 128];
                snprintf(m2, sizeof m2, "%s (model %d of the %d given with -m)", msg, i + 1, n);
                return step_failed(r, st, SEG_WHERE_MODEL, m2);
            }
            return step_failed(r, st, SEG_WHERE_MODEL, msg);
        }
        const seg_model *a = &r->models[0], *b = &r->models[i];
        if (i > 0 && (gives_classes(a) != gives_classes(b) ||
                      (gives_classes(a) && (a->n_classes > 2) != (b->n_classes > 2)))) {
            snprintf(msg, sizeof msg, "-m '%s' gives %s, -m '%s' %s: the models cycled "
                     "through must give the same kind of output", cfg->models[0],
                     gives_classes(a) ? "classes" : "one foreground", path,
                     gives_classes(b) ? "classes" : "one foreground");
            return step_failed(r, SEG_ERR_UNSUPPORTED, SEG_WHERE_MODEL, msg);
        }
        job->models[i] = b;
        seg_model_input_luts(b, job->luts[i]);
    }
    job->nmodels = n;
    if ((st = one_worker_for_state(r)))
        return st;
    const seg_model *sm = &r->models[0];
    job->model = sm;
    job->in_shape = sm->in;
    job->out_shape = sm->out;
    r->stats->model_w = sm->in.w;
    r->stats->model_h = sm->in.h;
    snprintf(r->stats->norm, sizeof r->stats->norm, "%s", sm->norm_source);
    r->stats->norm_guessed = sm->norm_guessed;
    memcpy(job->lut, job->luts[0], sizeof job->lut);
    /* Multi-class models carry a label map per frame; overlay colours every
     * class by the palette (mask: anything but background), the other modes
     * take the --classes foreground. */
    job->multiclass = gives_classes(sm);
    disp_mode m = cfg->disp.mode;
    int overlay = m == DISP_MODE_OVERLAY ||
                  (m == DISP_MODE_SIDE_BY_SIDE && cfg->disp.side_mode == DISP_MODE_OVERLAY);
    job->overlay_labels = job->multiclass && sm->n_classes > 2 &&
                          sm->n_classes <= SEG_MAX_CLASSES && overlay;
    /* Frames stay in the decoder's YUV 4:2:0 from decoder to encoder unless
     * the mode needs RGB: alpha and side-by-side, and a window without an
     * output file (its mode key may pick those). The model input is then
     * scaled to 4:4:4 (planar, fast in swscale) and made RGB by table. */
    job->work_fmt = disp_mode_takes_yuv(m) && !cfg->compose_rgb && (cfg->output || !cfg->display)
                        ? SEG_PIX_YUV420P
                        : SEG_PIX_RGB24;
    /* --find auto: people first with MediaPipe's selfie models (made for
     * people, and what the region strategy was measured with: BENCHMARKS.md,
     * "Quality"); other models, and models cycled through (-m given several
     * times), see the whole frame. */
    int autofind = cfg->find == SEG_FIND_AUTO;
    if (autofind && !(n == 1 && sm->known_name && !job->multiclass &&
                      strncmp(sm->known_name, "MediaPipe selfie", 16) == 0))
        return SEG_OK;
    if (cfg->find == SEG_FIND_POSE || autofind) {
        const char *path = cfg->detector ? cfg->detector : "models/person_detection_oidv4.tflite";
        /* The face detector sits beside the pose detector. */
        char face[4200];
        const char *slash = strrchr(path, '/');
        snprintf(face, sizeof face, "%.*sface_detection_short_range.tflite",
                 slash ? (int)(slash - path + 1) : 0, path);
        /* The Open Images person detector, or MediaPipe's pose detector,
         * told apart by their shapes; neither: both named. */
        const seg_ssd_spec *spec = &SEG_SSD_OID;
        if (!(st = nn_model_load_file(&r->detector, path, msg, sizeof msg)) &&
            seg_detector_check(&SEG_SSD_OID, r->detector, msg, sizeof msg) != SEG_OK) {
            spec = &SEG_SSD_POSE;
            if ((st = seg_detector_check(&SEG_SSD_POSE, r->detector, msg, sizeof msg))) {
                size_t at = strlen(msg);
                snprintf(msg + at, sizeof msg - at, "; nor the %s, which takes [1,%d,%d,3] and "
                         "gives %d boxes of %d numbers and %d x %d scores", SEG_SSD_OID.name,
                         SEG_SSD_OID.size, SEG_SSD_OID.size, SEG_SSD_OID.n_anchors,
                         SEG_SSD_OID.coords, SEG_SSD_OID.n_anchors, SEG_SSD_OID.classes);
            }
        }
        if (st || (st = nn_model_load_file(&r->face_detector, face, msg, sizeof msg)) ||
            (st = seg_detector_check(&SEG_SSD_FACE, r->face_detector, msg, sizeof msg))) {
            if (autofind) {
                /* Not fetched: the whole frame, said once. */
                if (!cfg->quiet)
                    fprintf(stderr, "segstream: warning: no person detector (%s); the model "
                            "sees the whole frame (scripts/setup.sh fetches the detectors; "
                            "--find none says this is wanted)\n", msg);
                nn_model_free(&r->detector);
                nn_model_free(&r->face_detector);
                return SEG_OK;
            }
            char m2[SEG_MSG_SIZE + 128];
            snprintf(m2, sizeof m2, "--find pose: %s%s", msg,
                     cfg->detector ? "" : " (scripts/setup.sh fetches it; or give --detector FILE)");
            return step_failed(r, st, SEG_WHERE_MODEL, m2);
        }
        job->detector = r->detector;
        job->detector_spec = spec;
        job->face_detector = r->face_detector;
        r->stats->find_people = 1;
        if ((st = open_closeup_model(r, msg, sizeof msg)))
            return step_failed(r, st, SEG_WHERE_MODEL, msg);
    }
    return SEG_OK;
}

/* The models and detectors; then --instances, which numbers the people
 * found first. */
static int open_models(run *r)
{
    int st = open_models_and_detectors(r);
    seg_job *job = r->job;
    const seg_config *cfg = r->cfg;
    if (st || !cfg->instances)
        return st;
    if (!job->detector) /* --find auto chose the whole frame for this model */
        return step_failed(r, SEG_ERR_UNSUPPORTED, SEG_WHERE_MODEL,
                           "--instances colours the people found first: it needs --find pose, "
                           "or the default --find auto with a selfie model and its detectors");
    disp_mode m = cfg->disp.mode;
    job->instances = 1;
    job->overlay_labels = m == DISP_MODE_OVERLAY ||
                          (m == DISP_MODE_SIDE_BY_SIDE && cfg->disp.side_mode == DISP_MODE_OVERLAY);
    return SEG_OK;
}

static int open_input(run *r)
{
    seg_job *job = r->job;
    const seg_config *cfg = r->cfg;
    char msg[SEG_MSG_SIZE];
    io_source_opts so = {
        .format = cfg->input_format,
        .video_size = cfg->video_size,
        .framerate = cfg->framerate,
        .pixel_format = cfg->pixel_format,
        .timeout_ms = cfg->timeout_ms,
        .want_audio = cfg->output != NULL && !job->vcam, /* a camera has no sound */
        .decoder_threads = r->stats->decoder_threads,
        .pixfmt = job->work_fmt,
        .interrupt = seg_job_interrupt_cb,
        .interrupt_opaque = job,
        .orient = (io_orient)cfg->orient,
    };
    r->stats->frame_format = seg_pixfmt_name(job->work_fmt);
    int st = io_source_open(&job->src, cfg->input, &so, msg, sizeof msg);
    if (st)
        return step_failed(r, st, SEG_WHERE_INPUT, msg);
    const io_video_info *info = io_source_info(job->src);
    job->info = info;
    r->stats->in_w = info->width;
    r->stats->in_h = info->height;
    job->live = cfg->mode == SEG_MODE_AUTO ? info->is_live : cfg->mode == SEG_MODE_LIVE;
    if (job->live && cfg->eval_gt)
        return step_failed(r, SEG_ERR_INVALID, SEG_WHERE_OTHER,
                           "--eval scores every frame against its ground truth: it needs "
                           "exact mode (not --live, nor a live source)");
    r->stats->live = job->live;
    /* x264 sets the pace of a file job (BENCHMARKS.md): two frame threads
     * let it use what the other stages leave of the second core. A live job
     * keeps one, as each frame thread delays the output by a frame. */
    if (cfg->encoder_threads == 0)
        r->stats->encoder_threads = job->live || r->cores < 2 ? 1 : 2;
    return SEG_OK;
}

/* The compositor and what it draws with: the background. */
static int open_renderer(run *r)
{
    char msg[SEG_MSG_SIZE];
    int st;
    if ((st = seg_renderer_init(&r->ren, r->job)))
        return step_failed(r, st, SEG_WHERE_OTHER, "bad display options");
    if (r->cfg->background &&
        (st = seg_renderer_open_background(&r->ren, r->cfg->background, msg, sizeof msg)))
        return step_failed(r, st, SEG_WHERE_INPUT, msg);
    if (r->cfg->config_file && (st = seg_renderer_load_config(&r->ren, msg, sizeof msg)))
        return step_failed(r, st, st == SEG_ERR_INVALID ? SEG_WHERE_OTHER : SEG_WHERE_INPUT, msg);
    if (r->cfg->eval_gt &&
        (st = seg_renderer_open_eval(&r->ren, r->cfg->eval_gt, r->cfg->eval_void, msg,
                                     sizeof msg)))
        return step_failed(r, st, SEG_WHERE_INPUT, msg);
    return SEG_OK;
}

/* Non-zero when @p out and @p in are the same existing file (compared by
 * device and inode: links, symlinks and other spellings of a path alike). */
static int same_file(const char *out, const char *in)
{
    struct stat a, b;
    if (!in || (strncmp(in, "file:", 5) != 0 && strstr(in, "://")))
        return 0; /* a URL: nothing on disk to compare */
    if (strncmp(out, "file:", 5) == 0)
        out += 5;
    if (strncmp(in, "file:", 5) == 0)
        in += 5;
    return stat(out, &a) == 0 && stat(in, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* -o naming a file the job reads: refused whatever -y says (the input
 * itself is the sink's own check, which knows the input's file). */
static int check_output_is_no_input(run *r)
{
    const seg_config *cfg = r->cfg;
    const struct {
        const char *path, *what;
    } inputs[] = {
        {cfg->background, "--background file"}, {cfg->eval_gt, "--eval ground truth"},
        {cfg->eval_void, "--eval-void file"},   {cfg->model, "model file (-m)"},
        {cfg->detector, "--detector file"},     {cfg->labels, "--labels file"},
        {cfg->closeup_model, "--closeup-model file"},
    };
    if (!cfg->output)
        return SEG_OK;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        if (same_file(cfg->output, inputs[i].path)) {
            char msg[SEG_MSG_SIZE];
            snprintf(msg, sizeof msg, "OUTPUT '%s' is the %s, which the job reads",
                     cfg->output, inputs[i].what);
            return step_failed(r, SEG_ERR_INVALID, SEG_WHERE_OUTPUT, msg);
        }
    }
    return SEG_OK;
}

/* The dump folder and the sink (a file or URL, FFmpeg's null muxer for a
 * benchmark, or none when frames are only shown or dumped). */
static int open_output(run *r)
{
    seg_job *job = r->job;
    const seg_config *cfg = r->cfg;
    const io_video_info *info = job->info;
    char msg[SEG_MSG_SIZE];
    int st;
    if ((st = check_output_is_no_input(r)))
        return st;
    if (cfg->dump_dir &&
        (st = io_dump_open(&r->ren.dump, cfg->dump_dir, cfg->dump_every > 0 ? cfg->dump_every : 1,
                           cfg->overwrite, msg, sizeof msg))) {
        char m2[SEG_MSG_SIZE + 128];
        snprintf(m2, sizeof m2, "--dump-frames: %s", msg);
        return step_failed(r, st, SEG_WHERE_OUTPUT, m2);
    }
    seg_pixfmt out_fmt = SEG_PIX_RGB24;
    if ((st = disp_output_size(cfg->disp.mode, info->width, info->height, &job->out_w,
                               &job->out_h, &out_fmt))) {
        snprintf(msg, sizeof msg, "%s output for %dx%d frames: %s",
                 disp_mode_name(cfg->disp.mode), info->width, info->height, seg_status_str(st));
        return step_failed(r, st, SEG_WHERE_OTHER, msg);
    }
    job->out_rgba = out_fmt == SEG_PIX_RGBA;
    r->stats->out_w = job->out_w;
    r->stats->out_h = job->out_h;
    io_sink_params sp = {
        .width = job->out_w,
        .height = job->out_h,
        .rgba = job->out_rgba,
        .yuv = job->work_fmt == SEG_PIX_YUV420P,
        .matrix = info->matrix,
        .full_range = info->full_range,
        .crf = cfg->crf,
        .preset = cfg->preset,
        .time_base_num = info->time_base_num,
        .time_base_den = info->time_base_den,
        .frame_rate_num = info->frame_rate_num,
        .frame_rate_den = info->frame_rate_den,
        .sar_num = info->sar_num,
        .sar_den = info->sar_den,
        .codec = cfg->codec,
        .overwrite = cfg->overwrite,
        .encoder_threads = r->stats->encoder_threads,
        .timeout_ms = cfg->timeout_ms,
        .interrupt = seg_job_interrupt_cb,
        .interrupt_opaque = job,
    };
    r->enc.job = job;
    st = SEG_OK;
    if (job->vcam) {
        if (strcmp(cfg->output, cfg->input) == 0) {
            snprintf(msg, sizeof msg, "the virtual camera '%s' is the input", cfg->output);
            return step_failed(r, SEG_ERR_INVALID, SEG_WHERE_OUTPUT, msg);
        }
        io_vcam_params vp = {
            .width = job->out_w,
            .height = job->out_h,
            .format = job->out_rgba ? SEG_PIX_RGBA : job->work_fmt,
            .matrix = info->matrix,
            .full_range = info->full_range,
            .fps_num = info->frame_rate_num,
            .fps_den = info->frame_rate_den,
        };
        st = io_vcam_open(&r->enc.vcam, cfg->output, &vp, msg, sizeof msg);
    } else if (cfg->output) {
        sp.format = cfg->format;
        st = io_sink_open(&r->enc.snk, cfg->output, &sp, job->src, msg, sizeof msg);
    } else if (!cfg->display && !cfg->dump_dir && !cfg->eval_gt) {
        /* The null sink: encode like a real job, let FFmpeg's null muxer
         * throw the packets away (ffmpeg -f null -). */
        sp.format = "null";
        st = io_sink_open(&r->enc.snk, "pipe:", &sp, NULL, msg, sizeof msg);
    } /* else: only shown in the window or dumped, nothing encoded */
    return st ? step_failed(r, st, SEG_WHERE_OUTPUT, msg) : SEG_OK;
}

/* The workers, each with its instance of the model (worker 0 runs the
 * loaded one), once the job's memory plan is under its cap: checked before
 * the instances' activations and the pool are allocated, with the input's
 * frame size known. */
static int open_workers(run *r)
{
    seg_job *job = r->job;
    char msg[SEG_MSG_SIZE];
    int st;
    /* The whole job's memory, before the pool is allocated: a model whose
     * output or activations would take more than the cap is refused
     * (exit 4), as is an input whose frames would (exit 3). */
    size_t inst = nn_model_instance_bytes(r->detector, r->threads) +
                  nn_model_instance_bytes(r->face_detector, r->threads); /* --find pose */
    for (int i = 0; i < r->nmodels; i++) /* each worker has an instance of each */
        inst += nn_model_instance_bytes(r->models[i].nn, r->threads);
    seg_job_mem mem = seg_job_plan(r->job, inst);
    if (mem.total > SEG_MAX_JOB_BYTES) {
        char m2[SEG_MSG_SIZE + 128], t[32], f[32], m[32], i[32], c[32];
        int model_part = mem.masks + mem.models > mem.frames;
        snprintf(m2, sizeof m2, "%s '%s': the job would need %s of memory (frames %s; masks %s "
                 "for the model's %dx%d output; model instances %s for %d worker%s), over its "
                 "cap of %s (SEG_MAX_JOB_BYTES)",
                 model_part ? "model" : "input", model_part ? r->cfg->model : r->cfg->input,
                 fmt_bytes(t, sizeof t, mem.total), fmt_bytes(f, sizeof f, mem.frames),
                 fmt_bytes(m, sizeof m, mem.masks), r->job->out_shape.w, r->job->out_shape.h,
                 fmt_bytes(i, sizeof i, mem.models), r->job->nworkers,
                 r->job->nworkers == 1 ? "" : "s", fmt_bytes(c, sizeof c, SEG_MAX_JOB_BYTES));
        return step_failed(r, SEG_ERR_LIMIT, model_part ? SEG_WHERE_MODEL : SEG_WHERE_INPUT, m2);
    }
    if ((st = seg_board_init(&r->board, job->nworkers)))
        return step_failed(r, st, SEG_WHERE_OTHER, "cannot make the workers' search board");
    r->has_board = 1;
    for (int i = 0; i < job->nworkers; i++) {
        if ((st = seg_worker_init(&r->workers[i], job, i, r->threads, msg, sizeof msg)))
            return step_failed(r, st, SEG_WHERE_OTHER, msg);
        r->workers[i].board = &r->board;
    }
    return SEG_OK;
}

static int create_pool(run *r)
{
    int st;
    if ((st = seg_job_create_pool(r->job)) || (st = seg_decoder_init(&r->dec, r->job))) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot allocate the frame pool: %s", seg_status_str(st));
        return step_failed(r, st, SEG_WHERE_OTHER, msg);
    }
    return SEG_OK;
}

/* ==== threads ============================================================= */

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
static void start_threads(run *r)
{
    seg_job *job = r->job;
    sigset_t block, old;
    /* Signals go to the supervising thread, not into a stage's syscalls. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    job->t0 = seg_clock_ms();
    r->enc_started = start_one(job, &r->enc_thread, seg_encoder_main, &r->enc, "encoder");
    if (!r->enc_started)
        goto end; /* nothing runs */
    r->ren_started = start_one(job, &r->ren_thread, seg_renderer_main, &r->ren, "renderer");
    if (!r->ren_started) {
        r->ren.end = (seg_slot){.kind = SEG_MSG_END, .status = SEG_ERR_INTERRUPTED};
        (void)seg_push_wait(job, job->to_encoder, &r->ren.end, 0);
        goto end;
    }
    for (int i = 0; i < job->nworkers; i++) {
        seg_worker *w = &r->workers[i];
        w->started = start_one(job, &w->thread, seg_worker_main, w, "inference");
        if (!w->started) {
            w->end = (seg_slot){.kind = SEG_MSG_END, .status = SEG_ERR_INTERRUPTED};
            (void)seg_push_wait(job, job->results[i], &w->end, 0);
        }
    }
    r->dec_started = start_one(job, &r->dec_thread, seg_decoder_main, &r->dec, "decoder");
    if (!r->dec_started) {
        r->dec.end = (seg_slot){.kind = SEG_MSG_END, .status = SEG_ERR_INTERRUPTED};
        for (int i = 0; i < job->nworkers; i++)
            if (r->workers[i].started)
                (void)seg_push_wait(job, job->frames[i], &r->dec.end, 0);
    }
end:
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void join_threads(run *r)
{
    if (r->dec_started)
        pthread_join(r->dec_thread, NULL);
    for (int i = 0; i < r->job->nworkers; i++)
        if (r->workers[i].started)
            pthread_join(r->workers[i].thread, NULL);
    if (r->ren_started)
        pthread_join(r->ren_thread, NULL);
    if (r->enc_started)
        pthread_join(r->enc_thread, NULL);
}

/* ==== supervise =========================================================== */

static void fmt_time(char *buf, size_t n, double s)
{
    if (s < 0)
        s = 0;
    int h = (int)(s / 3600);
    int m = (int)((s - h * 3600.0) / 60);
    snprintf(buf, n, "%d:%02d:%04.1f", h, m, s - h * 3600.0 - m * 60.0);
}

/* frame=   120 fps= 41.3 dropped=0 elapsed=0:00:02.9 eta=0:00:16.3 */
static void progress(seg_job *job, int final, int tty)
{
    const io_video_info *info = job->info;
    double el = (seg_clock_ms() - job->t0) / 1e3;
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

/* Until the encoder is done: pass a stop request on, show progress. */
static void supervise(run *r)
{
    seg_job *job = r->job;
    int tty = isatty(STDERR_FILENO), show = !r->cfg->quiet;
    double last_progress = job->t0;
    while (r->enc_started && !atomic_load_explicit(&job->encoder_done, memory_order_acquire)) {
        seg_sleep_us(10000);
        if (atomic_load(&stop_requested) && !atomic_load(&job->interrupted)) {
            atomic_store(&job->interrupted, 1);
            seg_job_stop(job);
        }
        double now = seg_clock_ms();
        if (show && now - last_progress >= (tty ? 500.0 : 2000.0)) {
            last_progress = now;
            progress(job, 0, tty);
        }
    }
    join_threads(r);
    if (show && r->enc_started)
        progress(job, 1, tty);
}

/* ==== report ============================================================== */

static void fill_stats(run *r)
{
    seg_job *job = r->job;
    seg_stats *stats = r->stats;
    seg_times convert = {0}, infer = {0};
    seg_depth results = {0};
    stats->frames = r->enc.written;
    stats->decoded = r->dec.decoded;
    stats->dropped_decoder = r->dec.dropped;
    stats->dropped_render = r->ren.dropped;
    stats->index_gaps = r->ren.index_gaps;
    stats->audio_packets = r->enc.audio_packets;
    stats->audio_dropped = r->dec.audio_dropped;
    for (int i = 0; i < job->nworkers; i++) {
        const seg_worker *w = &r->workers[i];
        stats->dropped_infer += w->dropped;
        seg_times_merge(&convert, &w->convert_times);
        seg_times_merge(&infer, &w->infer_times);
        results.n += w->results_depth.n;
        results.sum += w->results_depth.sum;
        results.max = w->results_depth.max > results.max ? w->results_depth.max : results.max;
    }
    stats->dropped = stats->dropped_decoder + stats->dropped_infer + stats->dropped_render;
    stats->stage[SEG_STAGE_DECODE] = seg_times_pctl(&r->dec.decode_times);
    stats->stage[SEG_STAGE_CONVERT] = seg_times_pctl(&convert);
    stats->stage[SEG_STAGE_INFER] = seg_times_pctl(&infer);
    stats->stage[SEG_STAGE_COMPOSITE] = seg_times_pctl(&r->ren.composite_times);
    stats->stage[SEG_STAGE_ENCODE] = seg_times_pctl(&r->enc.encode_times);
    stats->latency = seg_times_pctl(&r->ren.latency_times);
    stats->latency_window = seg_times_pctl(&r->ren.shown_times);
    stats->latency_vcam = seg_times_pctl(&r->enc.vcam_times);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        stats->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    stats->frames_ring = seg_depth_stat(&r->dec.frames_depth, SEG_FRAMES_RING_CAP, job->nworkers);
    stats->results_ring = seg_depth_stat(&results, SEG_RESULTS_RING_CAP, job->nworkers);
    stats->encode_ring = seg_depth_stat(&r->ren.encode_depth, SEG_ENCODE_RING_CAP, 1);
    stats->classes_seen = r->ren.classes_seen;
    if (r->ren.score)
        stats->has_eval = disp_score_result_get(r->ren.score, &stats->eval) == SEG_OK;
    stats->decode_warnings = io_source_warnings(job->src);
}

/* Finalise the output whatever happened (a stopped job's file plays), then
 * the job's status: its first error, a stop, or no frame at all. */
static int finish(run *r)
{
    seg_job *job = r->job;
    int fst = r->enc.snk ? io_sink_finish(r->enc.snk) : SEG_OK;
    if (fst)
        seg_job_record(job, fst, SEG_WHERE_OUTPUT, "%s", io_sink_last_error(r->enc.snk));
    r->stats->seconds = (seg_clock_ms() - job->t0) / 1e3;
    fill_stats(r);
    if (job->err_status != SEG_OK)
        return step_failed(r, job->err_status, job->err_where, job->err);
    if (atomic_load(&job->interrupted))
        return SEG_ERR_INTERRUPTED;
    if (r->stats->frames == 0) {
        char msg[SEG_MSG_SIZE];
        snprintf(msg, sizeof msg, "'%s': no video frame could be decoded", r->cfg->input);
        return step_failed(r, SEG_ERR_BAD_INPUT, SEG_WHERE_INPUT, msg);
    }
    return SEG_OK;
}

static void close_run(run *r)
{
    for (int i = 0; r->job && i < r->job->nworkers; i++)
        seg_worker_close(&r->workers[i]);
    if (r->has_board)
        seg_board_close(&r->board);
    seg_decoder_close(&r->dec);
    seg_renderer_close(&r->ren);
    seg_encoder_close(&r->enc);
    for (int i = 0; i < r->nmodels; i++)
        seg_model_close(&r->models[i]);
    if (r->has_closeup)
        seg_model_close(&r->closeup);
    nn_model_free(&r->detector);
    nn_model_free(&r->face_detector);
    seg_job_free(&r->job);
}

/* ==== the job ============================================================= */

static int check_config(const seg_config *cfg, seg_where *where, char *err, size_t errlen)
{
    if (!cfg->input || !cfg->model || cfg->workers < 0 || cfg->workers > SEG_MAX_WORKERS ||
        cfg->threads < 0 || cfg->decoder_threads < 0 || cfg->encoder_threads < 0 ||
        cfg->timeout_ms < 0 || cfg->max_frames < 0 || cfg->infer_delay_us < 0) {
        *where = SEG_WHERE_OTHER;
        SET_ERR("invalid job settings");
        return SEG_ERR_INVALID;
    }
    if (cfg->display && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") &&
        !getenv("SDL_VIDEODRIVER")) {
        /* Said before anything loads or opens (a network input may take
         * its whole timeout); the window itself opens on the renderer. */
        *where = SEG_WHERE_OUTPUT;
        SET_ERR("--display: no display to open a window on (DISPLAY is not set); write a "
                "video with -o OUTPUT or PNG frames with --dump-frames DIR instead");
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

int seg_run(const seg_config *cfg, seg_stats *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    if (err && errlen)
        err[0] = '\0';
    run *r = calloc(1, sizeof *r);
    if (!r) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("out of memory");
        return SEG_ERR_NOMEM;
    }
    *r = (run){.cfg = cfg, .stats = stats, .err = err, .errlen = errlen};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r->cores = cores > 0 ? (int)cores : 1;
    int workers;
    seg_config_resolve_threads(cfg, r->cores, &workers, &r->threads);
    stats->workers = workers;
    stats->threads = r->threads;
    stats->decoder_threads = cfg->decoder_threads > 0 ? cfg->decoder_threads : 1;
    stats->encoder_threads = cfg->encoder_threads > 0 ? cfg->encoder_threads : 1;

    int st = check_config(cfg, &stats->where, err, errlen);
    if (st) {
        free(r);
        return st;
    }
    if ((st = seg_job_create(&r->job, cfg))) {
        step_failed(r, st, SEG_WHERE_OTHER, "out of memory");
        goto end;
    }
    r->job->nworkers = workers;
    r->job->vcam = seg_output_is_vcam(cfg);
    r->job->requested = &stop_requested;
    /* The models first: the cheapest thing to get wrong and check. A stop
     * during the set-up ends it before the next step (an open in progress
     * returns through its interrupt callback): nothing is left behind. */
    int (*const steps[])(run *) = {open_models, open_input,   open_renderer,
                                   open_output, open_workers, create_pool};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if ((st = steps[i](r)))
            goto end;
        if (atomic_load(&stop_requested)) {
            st = step_failed(r, SEG_ERR_INTERRUPTED, SEG_WHERE_OTHER, "stopped by a signal");
            goto end;
        }
    }
    start_threads(r);
    supervise(r);
    st = finish(r);
end:
    close_run(r);
    free(r);
    return st;
}
