/* cli_job.c - the job's command line: `segstream INPUT [options]` into a
 * seg_config, seg_run(), and the summary or report. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "seg.h"
#include "seg_control.h"
#include "seg_model.h"

static void usage(FILE *f)
{
    fprintf(f,
"usage: segstream INPUT -o OUTPUT [options]\n"
"       segstream INPUT... -o FOLDER/ | -o 'FOLDER/{name}_seg.mp4' [options]\n"
"       segstream INPUT --display | --dump-frames DIR [options]\n"
"       segstream INPUT --bench [--json] [options]\n"
"       segstream --run-model MODEL IN.f32 OUT.f32 [-t N] [-y] [--output NAME]\n"
"                 [--input NAME=V[,V...]] [--state OUT=IN] [--input-size WxH]\n"
"       segstream --bench-model MODEL [--threads N] [--runs N] [--profile]\n"
"                 [--input-size WxH]\n"
"       segstream --model-info MODEL [--labels FILE] [--input-size WxH]\n"
"       segstream --list-devices | --list-formats /dev/videoN\n"
"\n"
"Segments every video frame of INPUT with a TFLite model and writes an\n"
"annotated video. INPUT is a file, a picture, a numbered sequence (in_%%04d.png),\n"
"a URL (udp://, rtp://, rtsp://, srt://, http://, rtmp://...), a webcam\n"
"(/dev/videoN), lavfi:GRAPH or - (standard input). OUTPUT's extension picks\n"
"the container, or a picture format (.png, .jpg, .webp; out_%%04d.png for a\n"
"sequence).\n"
"\n"
"modes:\n"
"  exact  the default for files: every frame is kept; a busy stage makes the\n"
"         ones before it wait.\n"
"  live   the default for webcams, lavfi: and network URLs: the decoder never\n"
"         waits; stale frames are dropped (and counted) so latency stays bounded.\n"
"      --live              use live mode whatever the input\n"
"      --exact             use exact mode whatever the input\n"
"\n");
    fprintf(f,
"input:\n"
"      --input-format NAME force the input format (ffmpeg -f), e.g. lavfi, v4l2\n"
"      --video-size WxH    webcam capture size, e.g. 1280x720\n"
"      --framerate R       webcam capture rate, e.g. 30\n"
"      --pixel-format F    webcam format: mjpeg, yuyv422, ...\n"
"      --timeout MS        the longest an input or output may stall (default\n"
"                          10000): a network source, FIFO or pipe that stops\n"
"                          sending ends the run after MS (exit 3), a receiver\n"
"                          that stops reading too (exit 5)\n"
"  -n, --frames N          stop after N output frames\n"
"      --rotate R          auto (default): turn the pictures upright as the\n"
"                          input's display matrix says (phone clips stored\n"
"                          sideways: rotation and mirroring, as ffmpeg does)\n"
"                          and make non-square pixels square; 0, 90, 180, 270:\n"
"                          turn that many degrees clockwise instead. The model\n"
"                          sees, and the output gets, upright pictures (no\n"
"                          rotation tag)\n"
"      --no-autorotate     use the pictures as stored (no turn, pixels kept\n"
"                          as they are, sample aspect ratio passed on)\n"
"\n"
"output:\n"
"  -o, --output PATH|URL   output video; a file, or udp://, srt://, rtmp://... (with -f);\n"
"                          a folder (out/) or a template (out/{name}_seg.mp4: {name}\n"
"                          the input's name without extension, {ext} its extension)\n"
"                          takes several INPUTs, a file each, one line per file and\n"
"                          a total; a failed file does not stop the rest (the exit\n"
"                          status is the first failure's);\n"
"                          - or pipe:1: the stream on standard output (nut unless\n"
"                          -f says e.g. mpegts or matroska; all messages and the\n"
"                          reports go to stderr)\n"
"  -f, --format NAME       output container, e.g. mp4, matroska, mpegts, flv\n"
"      --codec NAME        video encoder (default libx264, else the container's)\n"
"      --crf N             x264 quality, 1..51, lower is better (default 20;\n"
"                          plain ffmpeg uses 23)\n"
"      --preset NAME       x264 preset, ultrafast..placebo (default veryfast)\n"
"  -y, --overwrite         replace an existing output file (once the new one is\n"
"                          finished: a failed job leaves it as it was) or\n"
"                          frames in the --dump-frames folder\n"
"  -o /dev/videoN          a virtual camera (v4l2loopback) for video calls: raw\n"
"                          YUYV frames at the input's rate (README, \"Use it in\n"
"                          video calls\")\n"
"      --mirror WHICH      flip left-right: preview (the window only, a selfie\n"
"                          view), output (what -o gets), both, off (default)\n"
"      --config FILE       display options, background, mirror, legend and model\n"
"                          (one of the -m models), one per line\n"
"                          (\"blur 20\"); reread when the file changes or on\n"
"                          SIGHUP; a bad edit keeps the settings in force\n"
"      --display           show the composite in a window (the default for a\n"
"                          webcam without -o); a file plays at its own pace.\n"
"                          Keys: m mode, M (Shift+m) next -m model, space pause,\n"
"                          s screenshot, f fullscreen,\n"
"                          q/Esc quit; t threshold, e feather, b blur,\n"
"                          h smoothing, o opacity (lower case up, Shift down),\n"
"                          n next background, i stats overlay, x mirror preview,\n"
"                          l legend\n");
    fprintf(f,
"      --stats             start the window with the stats overlay on\n"
"      --legend on|off     a multi-class model's overlay: a box in the top right\n"
"                          corner with a colour swatch and the name of each\n"
"                          class in the picture (in the last half second), in\n"
"                          the video and the window (default on; one-class\n"
"                          models and the other modes have none); l toggles it.\n"
"                          Its classes are outlined in their colour at full\n"
"                          brightness, so they show on grey and dark scenes,\n"
"                          and its --opacity defaults to 0.65 (one class: 0.5)\n"
"      --dump-frames DIR   write the composite and the mask as PNG files,\n"
"                          DIR/frame_NNNNNN.png and DIR/mask_NNNNNN.png (RGBA in\n"
"                          alpha mode); multi-class models add DIR/legend.txt\n"
"      --dump-every N      dump every N-th frame (default 1)\n"
"  -o, --display and --dump-frames may be combined; one of them (or --bench,\n"
"  --eval) is needed.\n"
"\n");
    fprintf(f,
"model and threads:\n"
"  -m, --model FILE        .tflite or .onnx model (default selfie_segmentation\n"
"                          .tflite, looked for in $SEGSTREAM_MODEL_DIR, then\n"
"                          PREFIX/share/segstream/models beside the installed\n"
"                          binary, then ./models); its first output is the mask.\n"
"                          Give it up to 8 times to switch models while it runs\n"
"                          (M, Shift+m, in the window): all are loaded and\n"
"                          checked at start, the first is used first; they must\n"
"                          all give one foreground, or all classes\n"
"      --input-range R     model input range 0,1 or -1,1 (default: the model's\n"
"                          metadata, a known model's, else 0,1 with a warning)\n"
    );
    fprintf(f,
"      --input NAME=V[,V...]\n"
"                          a value for another input of an ONNX model, fixed at\n"
"                          load time (RobustVideoMatting: downsample_ratio=0.25)\n"
"      --state OUT=IN      an ONNX model's output OUT is its input IN on the next\n"
"                          frame (recurrent models; up to 8); zeros at the start\n"
"                          and after a lost frame. Inputs rNi with outputs rNo\n"
"                          (RobustVideoMatting's r1i..r4i) pair by themselves;\n"
"                          none: no pairing. With state, the frames of a stream\n"
"                          go through one worker, in order\n"
"      --input-size WxH    an ONNX model exported with a free (dynamic) input\n"
"                          height and width runs at this size (8..4096 each;\n"
"                          such a model is refused without it)\n"
"      --model-output NAME the model output that makes the mask (default: a\n"
"                          matting model's alpha, an output named pha, alpha or\n"
"                          matte, used as it is with no --solid; else the first)\n"
"      --input-mean M, --input-std S\n"
"                          per-channel normalisation (x/255 - M) / S, M and S as\n"
"                          R,G,B or one value (ImageNet: 0.485,0.456,0.406 and\n"
"                          0.229,0.224,0.225); instead of --input-range\n"
"      --labels FILE       class names of a multi-class model, one per line\n"
"      --classes LIST      its foreground classes, by name or number, e.g.\n"
"                          person,dog (default: person for VOC, else all but 0)\n"
    );
    fprintf(f,
"      --workers N         inference workers, each with its own activations; the\n"
"                          model's weights are loaded once and shared (default:\n"
"                          2 on 2+ cores, else 1)\n"
"  -t, --threads N         OpenMP threads per worker, 1..256 (default: (cores -\n"
"                          2) / workers, at least 1; 0 is refused: all cores\n"
"                          per worker would starve the other stages)\n"
"      --fit HOW           how a frame of another aspect ratio meets the model\n"
"                          input: stretch (default), letterbox (bars, cut away\n"
"                          from the mask again) or crop (the centre; outside it\n"
"                          is background)\n"
"      --find WHAT         where the model looks: pose (find people first with\n"
"                          a person detector and a face detector, then segment\n"
"                          each person's square region at the model's size, a\n"
"                          close-up's whole frame; nobody found gives an empty\n"
"                          mask), none (the whole frame, as --fit says) or auto\n"
"                          (the default: pose with the selfie models when the\n"
"                          detectors are there, none with other models)\n"
"      --instances         with people found first, a colour per person in\n"
"                          overlay (numbered from the left; the mask stays the\n"
"                          same)\n"
"      --detector FILE     the person detector for --find pose: the Open Images\n"
"                          SSD (default models/person_detection_oidv4.tflite,\n"
"                          people at any size and from any side) or MediaPipe's\n"
"                          pose detector pose_detection.tflite (wants a face);\n"
"                          the face detector face_detection_short_range.tflite\n"
"                          (close-ups) is taken from its folder\n"
"      --closeup-model FILE  with --find pose, a close-up (a face at least 1/8\n"
"                          of the frame high) in a landscape frame is segmented\n"
"                          whole by this model; default: with the selfie model,\n"
"                          its landscape sibling selfie_segmentation_landscape\n"
"                          .tflite from the same folder (made for 16:9 webcam\n"
"                          frames), the main model's mask kept where the frame\n"
"                          is dark near the person's upper half (dark hair);\n"
"                          none: the main model\n"
"      --decoder-threads N libavcodec decoding threads (default 1)\n"
"      --encoder-threads N libavcodec encoding threads (default 2 for files on 2+\n"
"                          cores, 1 in live mode)\n"
"      --compose-rgb       composite in RGB even where the decoder's YUV 4:2:0\n"
"                          would do (two conversions more a frame; for\n"
"                          comparisons: alpha and side-by-side, and a window\n"
"                          without -o, always use RGB)\n"
"\n");
    fprintf(f,
"display (multi-class models: overlay colours each class with the PASCAL VOC\n"
"palette; the other modes use the --classes foreground):\n"
"%s"
"  --background FILE      replace mode's background: a picture, or a video\n"
"                         (one frame per output frame, looping); given without\n"
"                         --mode it means --mode replace; give it several\n"
"                         times to step through them with the window's n key\n"
"  alpha mode (for editors): .mov gets QuickTime Animation, or ProRes 4444 with\n"
"  --codec prores_ks; .webm VP9 with alpha; .mkv FFV1; .png/.webp pictures and\n"
"  out_%%04d.png sequences RGBA; MP4 cannot carry alpha and is refused.\n"
"\n", disp_options_help());
    fprintf(f,
"report:\n"
"      --bench             without -o: encode into a null sink; print fps, drops,\n"
"                          per-stage p50/p95/p99 ms, latency and ring depths\n"
"      --json              print that report as one JSON object on stdout\n"
"      --eval GT           score the masks against ground truth GT, frame by\n"
"                          frame: a grey mask video or a folder of grey PNGs\n"
"                          (000000.png or 000001.png on; white = person). Prints\n"
"                          mean and 10th-percentile IoU, boundary F, the share\n"
"                          of empty frames called person, see-through share of\n"
"                          the person's interior and flicker (with --json: an\n"
"                          \"eval\" object). Exact mode; needs no other output.\n"
"      --eval-void V       masks like GT of the pixels --eval leaves out (white)\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"--run-model MODEL IN OUT  runs one raw little-endian float32 tensor (already\n"
"                          normalised, exactly the model input size; NHWC for\n"
"                          TFLite, the model's own layout for ONNX, NCHW stays\n"
"                          NCHW) through MODEL and writes the raw float32 output\n"
"                          tensor (the first, or --output NAME) in that layout.\n"
"--bench-model MODEL       times inference alone (ms per run, share of FMA peak;\n"
"                          --profile: per node).\n"
"--model-info MODEL        what the model holds (its classes by number and name,\n"
"                          --labels FILE to name them) and whether segstream runs it.\n"
"--list-devices            the webcams (capture) and virtual cameras (output).\n"
"--list-formats DEV        a device's formats, frame sizes and rates.\n"
"\n"
"Ctrl-C (SIGINT) or SIGTERM stops the run and still finalises the output.\n"
"exit status: 0 success, 1 runtime failure, 2 bad command line, 3 input error\n"
"             (also a network source that timed out), 4 model error, 5 output\n"
"             error (also no display for --display), 130 interrupted (output\n"
"             finalised)\n");
}

static volatile sig_atomic_t signals_seen;

static void on_hangup(int sig)
{
    (void)sig;
    seg_request_reload(); /* --config: reread it */
}

static void on_signal(int sig)
{
    (void)sig;
    /* The first stops the job cleanly; a third one means the user has
     * given up on a clean stop. */
    if (++signals_seen >= 3)
        _exit(EXIT_INTERRUPTED);
    seg_request_stop();
}

/* FFmpeg's and io's warnings and errors, one prefixed line each. */
static void log_line(void *user, io_log_level level, const char *msg)
{
    (void)user;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    if (n)
        fprintf(stderr, "segstream: %s: %.*s\n", level == IO_LOG_ERROR ? "error" : "warning",
                (int)n, msg);
}

/* ==== display options =====================================================
 * How the mask is drawn belongs to display/. Every display option is
 * registered in longopts with OPT_DISPLAY (the names come from
 * disp_option_names()) and arrives here as (name, value).
 * @return 0, or -1 with a message in err. */
static int display_option(disp_options *d, const char *name, const char *value, char *err,
                          size_t errlen)
{
    return disp_parse_option(d, name, value, err, errlen) ? -1 : 0;
}

enum { OPT_INPUT_FORMAT = 256, OPT_STATE, OPT_INPUT_SIZE, OPT_MODEL_OUTPUT, OPT_CODEC, OPT_RANGE, OPT_MEAN, OPT_STD, OPT_INPUT_VALUE, OPT_LIVE, OPT_EXACT,
       OPT_WORKERS, OPT_DEC_THREADS, OPT_ENC_THREADS, OPT_VIDEO_SIZE, OPT_FRAMERATE,
       OPT_PIXEL_FORMAT, OPT_TIMEOUT, OPT_BENCH, OPT_JSON, OPT_LABELS, OPT_CLASSES,
       OPT_DISPLAY, OPT_BACKGROUND, OPT_WINDOW, OPT_DUMP_FRAMES, OPT_DUMP_EVERY, OPT_FIT,
       OPT_CRF, OPT_PRESET, OPT_COMPOSE_RGB, OPT_EVAL, OPT_EVAL_VOID, OPT_FIND,
       OPT_DETECTOR, OPT_CLOSEUP_MODEL, OPT_ROTATE, OPT_NO_AUTOROTATE, OPT_MIRROR, OPT_CONFIG,
       OPT_STATS, OPT_LEGEND, OPT_INSTANCES };

/* The job's number options, each with its range; parsed by
 * cli_number_parse() and stored by set_number(). */
static const cli_number NUMBERS[] = {
    {OPT_TIMEOUT, "timeout", 1, 3600000},
    {'t', "threads", 1, 256},
    {OPT_WORKERS, "workers", 1, 16},
    {OPT_DEC_THREADS, "decoder-threads", 1, 64},
    {OPT_ENC_THREADS, "encoder-threads", 1, 64},
    {'n', "frames", 1, LONG_MAX},
    {OPT_CRF, "crf", 1, 51},
    {OPT_DUMP_EVERY, "dump-every", 1, INT_MAX},
    {0, NULL, 0, 0},
};

static void set_number(seg_config *cfg, int id, long v)
{
    switch (id) {
    case OPT_TIMEOUT: cfg->timeout_ms = (int)v; break;
    case 't': cfg->threads = (int)v; break;
    case OPT_WORKERS: cfg->workers = (int)v; break;
    case OPT_DEC_THREADS: cfg->decoder_threads = (int)v; break;
    case OPT_ENC_THREADS: cfg->encoder_threads = (int)v; break;
    case 'n': cfg->max_frames = v; break;
    case OPT_CRF: cfg->crf = (int)v; break;
    case OPT_DUMP_EVERY: cfg->dump_every = (int)v; break;
    default: break;
    }
}

/* A --config "model" value names one of the -m models (the renderer
 * resolves it the same way): its number from 1, its path as given or its
 * file name; without -m, the default model. */
static int is_given_model(const char *want, const char *const *models, int n)
{
    static const char *const dflt[] = {"selfie_segmentation.tflite"};
    if (n == 0) {
        models = dflt;
        n = 1;
    }
    char *end;
    long k = strtol(want, &end, 10);
    if (*end == '\0' && k >= 1 && k <= n)
        return 1;
    for (int i = 0; i < n; i++) {
        const char *slash = strrchr(models[i], '/');
        if (strcmp(want, models[i]) == 0 || strcmp(want, slash ? slash + 1 : models[i]) == 0)
            return 1;
    }
    return 0;
}

/* The container for a pipe when -f does not name one: nut holds every
 * codec segstream writes (alpha too) and needs no seeking. */
#define PIPE_FORMAT "nut"

/* longopts: the fixed options, then one per display option. */
#define MAX_LONGOPTS 96

static void print_summary(const seg_config *cfg, const seg_stats *s, int st)
{
    double fps = s->seconds > 0 ? (double)s->frames / s->seconds : 0.0;
    char where[SEG_MSG_SIZE];
    if (cfg->output)
        snprintf(where, sizeof where, "wrote %s", strncmp(cfg->output, "pipe:", 5) == 0
                                                      ? "the stream to the pipe" : cfg->output);
    else if (cfg->dump_dir)
        snprintf(where, sizeof where, "dumped frames to %s", cfg->dump_dir);
    else if (cfg->eval_gt && !cfg->display)
        snprintf(where, sizeof where, "scored");
    else
        snprintf(where, sizeof where, "showed");
    if (st == SEG_ERR_INTERRUPTED && s->frames == 0) {
        /* Nothing was finalised, so nothing was left (see io_sink_finish). */
        printf("segstream: stopped by a signal before any frame was written%s\n",
               cfg->output ? "; no output was left" : "");
        return;
    }
    if (st != SEG_OK && st != SEG_ERR_INTERRUPTED)
        /* Never claim a write that failed: say what ran, and that it broke. */
        fprintf(stderr, "segstream: stopped by the error above after %lld frames in %.2f s%s\n",
                (long long)s->frames, s->seconds,
               cfg->output ? "; the output is incomplete" : "");
    else
        fprintf(stderr, "segstream: %s: %lld frames in %.2f s (%.1f fps)%s\n", where,
               (long long)s->frames, s->seconds, fps,
               st == SEG_ERR_INTERRUPTED ? ", stopped by a signal" : "");
    fprintf(stderr, "segstream: per frame: decode %.2f ms, convert %.2f ms, inference %.2f ms, "
           "composite %.2f ms, encode %.2f ms (model input %dx%d, frames %dx%d; "
           "%d worker%s x %d thread%s)\n",
           s->stage[SEG_STAGE_DECODE].mean, s->stage[SEG_STAGE_CONVERT].mean,
           s->stage[SEG_STAGE_INFER].mean, s->stage[SEG_STAGE_COMPOSITE].mean,
           s->stage[SEG_STAGE_ENCODE].mean, s->model_w, s->model_h, s->in_w, s->in_h, s->workers,
           s->workers == 1 ? "" : "s", s->threads, s->threads == 1 ? "" : "s");
    if (s->live)
        fprintf(stderr, "segstream: live mode: %lld of %lld decoded frames dropped; latency decoded -> "
               "composited p50 %.1f ms, p99 %.1f ms\n",
               (long long)s->dropped, (long long)s->decoded, s->latency.p50, s->latency.p99);
}

int cli_job_main(int argc, char **argv)
{
    static const struct option base_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'},
        {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
        {"video-size", required_argument, NULL, OPT_VIDEO_SIZE},
        {"framerate", required_argument, NULL, OPT_FRAMERATE},
        {"pixel-format", required_argument, NULL, OPT_PIXEL_FORMAT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"codec", required_argument, NULL, OPT_CODEC},
        {"overwrite", no_argument, NULL, 'y'},
        {"threads", required_argument, NULL, 't'},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"decoder-threads", required_argument, NULL, OPT_DEC_THREADS},
        {"encoder-threads", required_argument, NULL, OPT_ENC_THREADS},
        {"frames", required_argument, NULL, 'n'},
        {"live", no_argument, NULL, OPT_LIVE},
        {"exact", no_argument, NULL, OPT_EXACT},
        {"input-range", required_argument, NULL, OPT_RANGE},
        {"input-mean", required_argument, NULL, OPT_MEAN},
        {"input", required_argument, NULL, OPT_INPUT_VALUE},
        {"state", required_argument, NULL, OPT_STATE},
        {"input-size", required_argument, NULL, OPT_INPUT_SIZE},
        {"model-output", required_argument, NULL, OPT_MODEL_OUTPUT},
        {"input-std", required_argument, NULL, OPT_STD},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"classes", required_argument, NULL, OPT_CLASSES},
        {"bench", no_argument, NULL, OPT_BENCH},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"display", no_argument, NULL, OPT_WINDOW},
        {"dump-frames", required_argument, NULL, OPT_DUMP_FRAMES},
        {"dump-every", required_argument, NULL, OPT_DUMP_EVERY},
        {"fit", required_argument, NULL, OPT_FIT},
        {"crf", required_argument, NULL, OPT_CRF},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"compose-rgb", no_argument, NULL, OPT_COMPOSE_RGB},
        {"eval", required_argument, NULL, OPT_EVAL},
        {"eval-void", required_argument, NULL, OPT_EVAL_VOID},
        {"find", required_argument, NULL, OPT_FIND},
        {"detector", required_argument, NULL, OPT_DETECTOR},
        {"closeup-model", required_argument, NULL, OPT_CLOSEUP_MODEL},
        {"rotate", required_argument, NULL, OPT_ROTATE},
        {"no-autorotate", no_argument, NULL, OPT_NO_AUTOROTATE},
        {"mirror", required_argument, NULL, OPT_MIRROR},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"stats", no_argument, NULL, OPT_STATS},
        {"instances", no_argument, NULL, OPT_INSTANCES},
        {"legend", required_argument, NULL, OPT_LEGEND},
    };
    /* First thing: a signal from here on stops the job cleanly. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A reader that goes away (a closed pipe:1, a FIFO) is an output
     * error with a message, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    /* Display options: all handled by display_option(). */
    struct option longopts[MAX_LONGOPTS];
    size_t nopts = 0;
    for (size_t i = 0; i < sizeof base_opts / sizeof base_opts[0]; i++)
        longopts[nopts++] = base_opts[i];
    for (const char *const *n = disp_option_names(); *n && nopts < MAX_LONGOPTS - 1; n++)
        longopts[nopts++] = (struct option){*n, required_argument, NULL, OPT_DISPLAY};
    longopts[nopts] = (struct option){NULL, 0, NULL, 0};
    seg_config cfg = seg_config_default();
    int bench = 0, json = 0, live = 0, exact = 0, longindex = -1, rc;
    int window = 0, rotate = -1, no_autorotate = 0;
    const char *argv_output = NULL;
    int mode_given = 0, model_given = 0;
    /* every -m, for the window's M key */
    static const char *models[SEG_MAX_MODELS];
    int nmodels = 0;
    char model_path[PATH_MAX], detector_path[PATH_MAX];
    /* every --background, for the window's n key */
    static const char *backgrounds[32];
    int nbg = 0;
    char err[1024] = "";
    long v;
    int c;
    const cli_number *o;
    float lo, hi;
    opterr = 0; /* cli_bad_option() says it in one line */
    while ((c = getopt_long(argc, argv, ":o:m:f:yt:n:qhV", longopts, &longindex)) != -1) {
        switch (c) {
        case 'o': cfg.output = argv_output = optarg; break;
        case 'm':
            if (nmodels == SEG_MAX_MODELS) {
                fprintf(stderr, "segstream: at most %d -m models\n", SEG_MAX_MODELS);
                return EXIT_USAGE;
            }
            models[nmodels++] = optarg;
            if (!model_given)
                cfg.model = optarg; /* the first is used first */
            model_given = 1;
            break;
        case 'f': cfg.format = optarg; break;
        case OPT_INPUT_FORMAT: cfg.input_format = optarg; break;
        case OPT_VIDEO_SIZE: cfg.video_size = optarg; break;
        case OPT_FRAMERATE: cfg.framerate = optarg; break;
        case OPT_PIXEL_FORMAT: cfg.pixel_format = optarg; break;
        case OPT_CODEC: cfg.codec = optarg; break;
        case 'y': cfg.overwrite = 1; break;
        case OPT_PRESET: {
            static const char *const presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                                  "fast",      "medium",    "slow",     "slower",
                                                  "veryslow",  "placebo"};
            size_t i = 0, n = sizeof presets / sizeof presets[0];
            while (i < n && strcmp(optarg, presets[i]) != 0)
                i++;
            if (i == n) {
                fprintf(stderr, "segstream: --preset wants one of ultrafast, superfast, "
                        "veryfast, faster, fast, medium, slow, slower, veryslow, placebo; "
                        "got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.preset = optarg;
            break;
        }
        case OPT_COMPOSE_RGB: cfg.compose_rgb = 1; break;
        case OPT_EVAL: cfg.eval_gt = optarg; break;
        case OPT_EVAL_VOID: cfg.eval_void = optarg; break;
        case OPT_DETECTOR: cfg.detector = optarg; break;
        case OPT_CLOSEUP_MODEL: cfg.closeup_model = optarg; break;
        case OPT_ROTATE: {
            static const io_orient turns[] = {IO_ORIENT_AUTO, IO_ORIENT_0, IO_ORIENT_90,
                                              IO_ORIENT_180, IO_ORIENT_270};
            size_t i = 0, n = sizeof turns / sizeof turns[0];
            while (i < n && strcmp(optarg, io_orient_name(turns[i])) != 0)
                i++;
            if (i == n) {
                fprintf(stderr, "segstream: --rotate wants auto, 0, 90, 180 or 270 (degrees "
                        "clockwise), got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            rotate = (int)turns[i];
            break;
        }
        case OPT_NO_AUTOROTATE: no_autorotate = 1; break;
        case OPT_FIND: {
            int f = seg_find_parse(optarg);
            if (f < 0) {
                fprintf(stderr, "segstream: --find wants auto, pose or none, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.find = (seg_find)f;
            break;
        }
        case OPT_LIVE: live = 1; break;
        case OPT_EXACT: exact = 1; break;
        case OPT_RANGE:
            if (seg_model_parse_range(optarg, &lo, &hi)) {
                fprintf(stderr, "segstream: --input-range wants 0,1 or -1,1, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.input_range = optarg;
            break;
        case OPT_INPUT_VALUE: {
            char name[64];
            float vals[SEG_MAX_INPUT_FLOATS];
            size_t nv;
            if (seg_model_parse_input_value(optarg, name, sizeof name, vals, &nv)) {
                fprintf(stderr, "segstream: --input wants NAME=VALUE[,VALUE...] (at most %d "
                        "values), got '%s'\n", SEG_MAX_INPUT_FLOATS, optarg);
                return EXIT_USAGE;
            }
            if (cfg.n_input_values == (int)(sizeof cfg.input_values / sizeof cfg.input_values[0])) {
                fprintf(stderr, "segstream: at most %d --input values\n", cfg.n_input_values);
                return EXIT_USAGE;
            }
            cfg.input_values[cfg.n_input_values++] = optarg;
            break;
        }
        case OPT_MODEL_OUTPUT: cfg.model_output = optarg; break;
        case OPT_INPUT_SIZE:
            if (cli_input_size(optarg, &cfg.input_w, &cfg.input_h))
                return EXIT_USAGE;
            break;
        case OPT_STATE: {
            nn_load_opts so;
            char nm[1][2][64], msg[256];
            memset(&so, 0, sizeof so);
            const char *one[1] = {optarg};
            if (seg_model_parse_state(one, 1, &so, nm, msg, sizeof msg)) {
                fprintf(stderr, "segstream: %s\n", msg);
                return EXIT_USAGE;
            }
            if (cfg.n_state == (int)(sizeof cfg.state / sizeof cfg.state[0])) {
                fprintf(stderr, "segstream: at most %d --state pairs\n", cfg.n_state);
                return EXIT_USAGE;
            }
            cfg.state[cfg.n_state++] = optarg;
            break;
        }
        case OPT_MEAN:
        case OPT_STD: {
            float chans[3];
            if (seg_model_parse_channels(optarg, c == OPT_STD, chans)) {
                fprintf(stderr, "segstream: --input-%s wants R,G,B or one value in units of "
                        "x/255%s, got '%s'\n", c == OPT_STD ? "std" : "mean",
                        c == OPT_STD ? " (above 0)" : "", optarg);
                return EXIT_USAGE;
            }
            *(c == OPT_STD ? &cfg.input_std : &cfg.input_mean) = optarg;
            break;
        }
        case OPT_LABELS: cfg.labels = optarg; break;
        case OPT_CLASSES:
            /* seg_model reads the list into a 1024-byte buffer: refuse what
             * would be cut there, and a list that names nothing. */
            if (strlen(optarg) > 1023 || strspn(optarg, ", ") == strlen(optarg)) {
                fprintf(stderr, "segstream: --classes wants a list of class names or numbers, "
                        "e.g. person,dog; got %s\n", strlen(optarg) > 1023
                        ? "a list over 1023 characters" : "no class");
                return EXIT_USAGE;
            }
            cfg.classes = optarg;
            break;
        case OPT_DISPLAY:
            mode_given |= strcmp(longopts[longindex].name, "mode") == 0;
            cfg.opacity_given |= strcmp(longopts[longindex].name, "opacity") == 0;
            if (display_option(&cfg.disp, longopts[longindex].name, optarg, err, sizeof err)) {
                fprintf(stderr, "segstream: %s\n", err);
                return EXIT_USAGE;
            }
            break;
        case OPT_BACKGROUND:
            if (nbg == (int)(sizeof backgrounds / sizeof backgrounds[0])) {
                fprintf(stderr, "segstream: at most %d --background files\n", nbg);
                return EXIT_USAGE;
            }
            backgrounds[nbg++] = optarg;
            if (!cfg.background)
                cfg.background = optarg; /* the first is used first */
            break;
        case OPT_MIRROR:
            if (seg_mirror_parse(optarg, &cfg.mirror_preview, &cfg.mirror_output)) {
                fprintf(stderr, "segstream: --mirror wants preview, output, both or off, got "
                        "'%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_CONFIG: cfg.config_file = optarg; break;
        case OPT_STATS: cfg.stats_overlay = 1; break;
        case OPT_INSTANCES: cfg.instances = 1; break;
        case OPT_LEGEND:
            if ((cfg.legend = seg_onoff_parse(optarg)) < 0) {
                fprintf(stderr, "segstream: --legend wants on or off, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_WINDOW: window = 1; break;
        case OPT_DUMP_FRAMES: cfg.dump_dir = optarg; break;
        case OPT_FIT: {
            int f = seg_fit_parse(optarg);
            if (f < 0) {
                fprintf(stderr, "segstream: --fit wants stretch, letterbox or crop, got '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            cfg.fit = (seg_fit)f;
            break;
        }
        case OPT_BENCH: bench = 1; break;
        case OPT_JSON: json = 1; break;
        case 'q': cfg.quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'V': printf("segstream " SEG_VERSION "\n"); return EXIT_OK;
        default:
            if ((o = cli_number_find(NUMBERS, c))) {
                if ((rc = cli_number_parse(o, optarg, &v)))
                    return rc;
                set_number(&cfg, c, v);
                break;
            }
            return cli_bad_option(c, argv[optind - 1], optopt, longopts);
        }
    }
    if (argc - optind == 0) {
        fprintf(stderr, "segstream: no input given: segstream INPUT -o OUTPUT [options] (see "
                "segstream --help)\n");
        return EXIT_USAGE;
    }
    int batch = cli_batch_target(cfg.output);
    if (batch && (bench || json || window || cfg.dump_dir || cfg.eval_gt)) {
        fprintf(stderr, "segstream: -o %s writes a file per input: --bench, --json, --display, "
                "--dump-frames and --eval take one input\n", cfg.output);
        return EXIT_USAGE;
    }
    if (argc - optind == 2 && !cfg.output) {
        /* `segstream in.mp4 out.mp4`, as cp would have it. */
        fprintf(stderr, "segstream: one input at a time; to write '%s', name it with -o: "
                "segstream %s -o %s\n", argv[optind + 1], argv[optind], argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (argc - optind > 1 && !batch) {
        fprintf(stderr, "segstream: %d inputs%s: name a folder (-o out/) or a template (-o "
                "'out/{name}_seg.mp4') for a file each (see segstream --help)\n", argc - optind,
                cfg.output ? " for one output" : "");
        return EXIT_USAGE;
    }
    cfg.input = argv[optind];
    if (strcmp(cfg.input, "-") == 0)
        cfg.input = "pipe:0"; /* as ffmpeg -i - */
    /* Standard output as the output: a stream, in nut unless -f names
     * another container (the name says nothing); every message is on
     * stderr anyway, and the reports move there too. */
    int to_stdout = 0;
    if (cfg.output && (strcmp(cfg.output, "-") == 0 || strcmp(cfg.output, "pipe:") == 0 ||
                       strcmp(cfg.output, "pipe:1") == 0 ||
                       strcmp(cfg.output, "/dev/stdout") == 0)) {
        cfg.output = "pipe:1";
        to_stdout = 1;
    }
    if (cfg.output && strncmp(cfg.output, "pipe:", 5) == 0 && !cfg.format)
        cfg.format = PIPE_FORMAT;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "segstream: -o %s writes the video to standard output, which is a "
                "terminal: pipe it into a program (| ffplay -) or give -o FILE\n",
                argv_output);
        return EXIT_USAGE;
    }
    FILE *report = to_stdout ? stderr : stdout;
    if (no_autorotate && rotate > (int)IO_ORIENT_AUTO) {
        fprintf(stderr, "segstream: --no-autorotate and --rotate %s exclude each other\n",
                io_orient_name((io_orient)rotate));
        return EXIT_USAGE;
    }
    cfg.orient = no_autorotate ? (int)IO_ORIENT_NONE : rotate >= 0 ? rotate : (int)IO_ORIENT_AUTO;
    cfg.backgrounds = backgrounds;
    cfg.nbackgrounds = nbg;
    if (live && exact) {
        fprintf(stderr, "segstream: --live and --exact exclude each other\n");
        return EXIT_USAGE;
    }
    cfg.mode = live ? SEG_MODE_LIVE : exact ? SEG_MODE_EXACT : SEG_MODE_AUTO;
    /* A webcam with nowhere else to go is shown in a window. */
    if (!window && !cfg.output && !bench && !cfg.dump_dir &&
        strncmp(cfg.input, "/dev/video", 10) == 0)
        window = 1;
    cfg.display = window;
    cfg.no_pacing = bench;
    if (cfg.eval_gt && live) {
        fprintf(stderr, "segstream: --eval scores every frame: it cannot run with --live\n");
        return EXIT_USAGE;
    }
    if (!cfg.output && !bench && !cfg.display && !cfg.dump_dir && !cfg.eval_gt) {
        fprintf(stderr, "segstream: nothing to do: give -o OUTPUT, --display, --dump-frames "
                        "DIR, --eval GT or --bench\n");
        return EXIT_USAGE;
    }
    /* A background asks for replace mode; another mode given with it would
     * not use it (the window's mode key and side-by-side's panel can). */
    if (cfg.background && !mode_given)
        cfg.disp.mode = DISP_MODE_REPLACE;
    else if (cfg.background && cfg.disp.mode != DISP_MODE_REPLACE && !cfg.display &&
             !(cfg.disp.mode == DISP_MODE_SIDE_BY_SIDE && cfg.disp.side_mode == DISP_MODE_REPLACE)) {
        fprintf(stderr, "segstream: --background is for --mode replace (or leave --mode out); "
                "--mode %s would not use it\n", disp_mode_name(cfg.disp.mode));
        return EXIT_USAGE;
    }
    if (cfg.config_file) {
        /* Checked now so a bad file is a usage error; the job reads it again
         * (and on every change) over the command line's settings. */
        seg_settings base = {.disp = cfg.disp}, got;
        snprintf(base.background, sizeof base.background, "%s",
                 cfg.background ? cfg.background : "");
        if (seg_settings_load(cfg.config_file, &base, &got, err, sizeof err)) {
            fprintf(stderr, "segstream: %s\n", err);
            return EXIT_USAGE;
        }
        if (got.model[0] && !is_given_model(got.model, models, nmodels)) {
            fprintf(stderr, "segstream: --config '%s': model '%s' is not one of the -m models "
                    "(every model is given with -m at the start; they are numbered from 1)\n",
                    cfg.config_file, got.model);
            return EXIT_USAGE;
        }
    } else if (cfg.disp.mode == DISP_MODE_REPLACE && !cfg.background) {
        fprintf(stderr, "segstream: --mode replace needs --background FILE (a picture or a "
                        "video)\n");
        return EXIT_USAGE;
    }
    if (cfg.input_range && (cfg.input_mean || cfg.input_std)) {
        fprintf(stderr, "segstream: --input-range and --input-mean/--input-std both set the "
                "normalisation: give one\n");
        return EXIT_USAGE;
    }
    if (cfg.eval_void && !cfg.eval_gt) {
        fprintf(stderr, "segstream: --eval-void needs --eval GT\n");
        return EXIT_USAGE;
    }
    if (cfg.dump_every && !cfg.dump_dir) {
        fprintf(stderr, "segstream: --dump-every needs --dump-frames DIR\n");
        return EXIT_USAGE;
    }
    if (strncmp(cfg.input, "/dev/video", 10) == 0 && !cfg.input_format) {
        struct stat sb;
        if (stat(cfg.input, &sb) != 0) {
            fprintf(stderr, "segstream: no webcam found at %s (%s); list the video devices "
                    "with: segstream --list-devices\n", cfg.input, strerror(errno));
            return EXIT_INPUT;
        }
    }
    /* The default models: $SEGSTREAM_MODEL_DIR, the install's share folder,
     * ./models (cli_find_model). */
    if (cfg.instances && (cfg.find == SEG_FIND_NONE || nmodels > 1)) {
        fprintf(stderr, "segstream: --instances colours the people found first: it needs one "
                        "-m model and --find pose or auto, not %s\n",
                nmodels > 1 ? "several -m models" : "--find none");
        return EXIT_USAGE;
    }
    if (nmodels > 1 && cfg.find == SEG_FIND_POSE) {
        fprintf(stderr, "segstream: --find pose takes one -m model (several are for the "
                        "window's M key, on whole frames)\n");
        return EXIT_USAGE;
    }
    if (nmodels > 1) {
        cfg.models = models;
        cfg.nmodels = nmodels;
    }
    if (!model_given) {
        if (cli_find_model("selfie_segmentation.tflite", model_path, sizeof model_path, err,
                           sizeof err)) {
            fprintf(stderr, "segstream: %s\n", err);
            return EXIT_MODEL;
        }
        cfg.model = model_path;
    }
    if (cfg.find != SEG_FIND_NONE && !cfg.detector &&
        cli_find_model("person_detection_oidv4.tflite", detector_path, sizeof detector_path, err,
                       sizeof err) == 0)
        cfg.detector = detector_path; /* else seg_run names the usual place */
    /* Test hook (tests/test_cli.c): play a slow model. */
    const char *delay = getenv("SEG_TEST_INFER_DELAY_US");
    if (delay && cli_parse_long(delay, 0, 10000000, &v) == 0)
        cfg.infer_delay_us = (int)v;

    if (cfg.config_file) {
        sa.sa_handler = on_hangup;
        sigaction(SIGHUP, &sa, NULL);
    }

    io_set_log_callback(log_line, NULL, cfg.quiet ? IO_LOG_ERROR : IO_LOG_WARNING);
    if (batch)
        return cli_batch_run(&cfg, argv + optind, argc - optind, cfg.output);
    seg_stats stats;
    int st = seg_run(&cfg, &stats, err, sizeof err);
    if (st && (st != SEG_ERR_INTERRUPTED || err[0]))
        fprintf(stderr, "segstream: %s%s\n", err,
                st == SEG_ERR_EXISTS ? "; add -y to overwrite it" : "");
    /* A job that ran (even into an error) has numbers worth showing. */
    if (stats.frames > 0 || st == SEG_OK || st == SEG_ERR_INTERRUPTED) {
        if (json)
            seg_report_json(report, &cfg, &stats);
        else if (bench)
            seg_report_text(report, &cfg, &stats);
        else
            print_summary(&cfg, &stats, st);
        if (stats.has_eval && !json) {
            char text[1024];
            if (disp_score_format_text(&stats.eval, text, sizeof text) > 0)
                fprintf(report, "segstream: masks against %s:\n%s", cfg.eval_gt, text);
        }
    }
    if (stats.norm_guessed && !cfg.quiet)
        fprintf(stderr, "segstream: warning: model input normalisation %s\n", stats.norm);
    if (stats.decode_warnings)
        fprintf(stderr, "segstream: warning: %lld corrupt packets were skipped\n",
                (long long)stats.decode_warnings);
    return cli_exit_code(st, stats.where);
}
