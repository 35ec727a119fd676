/* main.c - the segstream command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "seg.h"

#define SEG_VERSION "0.1.0"

/* Exit codes (documented in --help and the README). */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,   /* failed while running */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_INPUT = 3,     /* input missing, unreadable or not video */
    EXIT_MODEL = 4,     /* model missing, malformed or unsupported */
    EXIT_OUTPUT = 5,    /* output exists (no -y), not writable, or write failed */
    EXIT_INTERRUPTED = 130,
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: segstream INPUT -o OUTPUT [options]\n"
"       segstream --run-model MODEL IN.f32 OUT.f32 [-t N] [-y]\n"
"\n"
"Segments every video frame of INPUT with a TFLite model and writes an\n"
"annotated video. INPUT is a file, a URL or lavfi:GRAPH.\n"
"\n"
"options:\n"
"  -o, --output PATH       output video (container from the extension or -f)\n"
"  -m, --model FILE        .tflite model (default models/selfie_segmentation.tflite)\n"
"  -f, --format NAME       output container, e.g. mp4, matroska, mpegts\n"
"      --input-format NAME force the input format (ffmpeg -f), e.g. lavfi, v4l2\n"
"      --codec NAME        output video encoder (default libx264, else the container's)\n"
"  -y, --overwrite         replace an existing output file\n"
"  -t, --threads N         inference threads (default: all cores)\n"
"  -n, --frames N          stop after N frames\n"
"      --mode MODE         overlay (default) or mask\n"
"      --color RRGGBB      overlay colour (default 00ff00)\n"
"      --opacity F         overlay strength, 0..1 (default 0.5)\n"
"      --input-range R     model input range: 0,1 (default) or -1,1\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"--run-model MODEL IN OUT  runs one raw little-endian float32 NHWC tensor (already\n"
"                          normalised, exactly the model input size) through MODEL\n"
"                          and writes the raw float32 output tensor.\n"
"\n"
"exit status: 0 success, 1 runtime failure, 2 bad command line, 3 input error,\n"
"             4 model error, 5 output error, 130 interrupted (output finalised)\n");
}

static void on_signal(int sig)
{
    (void)sig;
    seg_stop_requested = 1;
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

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int exit_code(int st, seg_where where)
{
    if (st == SEG_OK)
        return EXIT_OK;
    if (st == SEG_ERR_INTERRUPTED)
        return EXIT_INTERRUPTED;
    switch (where) {
    case SEG_WHERE_INPUT: return EXIT_INPUT;
    case SEG_WHERE_MODEL: return EXIT_MODEL;
    case SEG_WHERE_OUTPUT: return EXIT_OUTPUT;
    default: return EXIT_RUNTIME;
    }
}

enum { OPT_INPUT_FORMAT = 256, OPT_CODEC, OPT_MODE, OPT_COLOR, OPT_OPACITY, OPT_RANGE,
       OPT_RUN_MODEL };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'},
        {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
        {"codec", required_argument, NULL, OPT_CODEC},
        {"overwrite", no_argument, NULL, 'y'},
        {"threads", required_argument, NULL, 't'},
        {"frames", required_argument, NULL, 'n'},
        {"mode", required_argument, NULL, OPT_MODE},
        {"color", required_argument, NULL, OPT_COLOR},
        {"opacity", required_argument, NULL, OPT_OPACITY},
        {"input-range", required_argument, NULL, OPT_RANGE},
        {"run-model", no_argument, NULL, OPT_RUN_MODEL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    seg_config cfg = seg_config_default();
    int run_model = 0, model_given = 0;
    long v;
    int c;
    while ((c = getopt_long(argc, argv, "o:m:f:yt:n:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': cfg.output = optarg; break;
        case 'm': cfg.model = optarg; model_given = 1; break;
        case 'f': cfg.format = optarg; break;
        case OPT_INPUT_FORMAT: cfg.input_format = optarg; break;
        case OPT_CODEC: cfg.codec = optarg; break;
        case 'y': cfg.overwrite = 1; break;
        case 't':
            if (parse_int(optarg, 0, 256, &v)) {
                fprintf(stderr, "segstream: --threads wants 0..256, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.threads = (int)v;
            break;
        case 'n':
            if (parse_int(optarg, 1, LONG_MAX, &v)) {
                fprintf(stderr, "segstream: --frames wants a positive count, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.max_frames = v;
            break;
        case OPT_MODE: {
            int m = disp_mode_parse(optarg);
            if (m < 0) {
                fprintf(stderr, "segstream: unknown --mode '%s' (overlay, mask)\n", optarg);
                return EXIT_USAGE;
            }
            cfg.disp.mode = (disp_mode)m;
            break;
        }
        case OPT_COLOR: {
            unsigned r, g, b;
            const char *s = optarg[0] == '#' ? optarg + 1 : optarg;
            if (strlen(s) != 6 || sscanf(s, "%2x%2x%2x", &r, &g, &b) != 3) {
                fprintf(stderr, "segstream: --color wants RRGGBB, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.disp.color[0] = (uint8_t)r;
            cfg.disp.color[1] = (uint8_t)g;
            cfg.disp.color[2] = (uint8_t)b;
            break;
        }
        case OPT_OPACITY: {
            char *end;
            float o = strtof(optarg, &end);
            if (end == optarg || *end || !(o >= 0.0f && o <= 1.0f)) {
                fprintf(stderr, "segstream: --opacity wants 0..1, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cfg.disp.opacity = o;
            break;
        }
        case OPT_RANGE:
            if (strcmp(optarg, "0,1") == 0) {
                cfg.in_lo = 0.0f;
                cfg.in_hi = 1.0f;
            } else if (strcmp(optarg, "-1,1") == 0) {
                cfg.in_lo = -1.0f;
                cfg.in_hi = 1.0f;
            } else {
                fprintf(stderr, "segstream: --input-range wants 0,1 or -1,1, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_RUN_MODEL: run_model = 1; break;
        case 'q': cfg.quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'V': printf("segstream " SEG_VERSION "\n"); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    char err[1024] = "";
    seg_where where = SEG_WHERE_NONE;
    if (run_model) {
        (void)model_given;
        if (argc - optind != 3) {
            fprintf(stderr, "segstream: --run-model wants MODEL IN.f32 OUT.f32\n");
            return EXIT_USAGE;
        }
        int st = seg_run_model_file(argv[optind], argv[optind + 1], argv[optind + 2],
                                    cfg.threads, cfg.overwrite, &where, err, sizeof err);
        if (st) {
            fprintf(stderr, "segstream: %s\n", err);
            return exit_code(st, where);
        }
        return EXIT_OK;
    }
    if (argc - optind != 1) {
        fprintf(stderr, argc - optind == 0 ? "segstream: no input given\n"
                                           : "segstream: more than one input given\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg.input = argv[optind];
    if (!cfg.output) {
        fprintf(stderr, "segstream: nothing to do: give -o OUTPUT\n");
        return EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    io_set_log_callback(log_line, NULL, cfg.quiet ? IO_LOG_ERROR : IO_LOG_WARNING);
    seg_stats stats;
    int st = seg_run(&cfg, &stats, err, sizeof err);
    if (st && st != SEG_ERR_INTERRUPTED) {
        fprintf(stderr, "segstream: %s%s\n", err,
                st == SEG_ERR_EXISTS ? "; add -y to overwrite it" : "");
        return exit_code(st, stats.where);
    }
    double fps = stats.seconds > 0 ? (double)stats.frames / stats.seconds : 0.0;
    double per = stats.frames ? 1.0 / (double)stats.frames : 0.0;
    printf("segstream: wrote %s: %lld frames in %.2f s (%.1f fps)%s\n", cfg.output,
           (long long)stats.frames, stats.seconds, fps,
           st == SEG_ERR_INTERRUPTED ? ", stopped by a signal" : "");
    printf("segstream: per frame: decode %.2f ms, convert %.2f ms, inference %.2f ms, "
           "composite %.2f ms, encode %.2f ms (model input %dx%d, frames %dx%d)\n",
           stats.decode_ms * per, stats.convert_ms * per, stats.infer_ms * per,
           stats.composite_ms * per, stats.encode_ms * per, stats.model_w, stats.model_h,
           stats.in_w, stats.in_h);
    if (stats.decode_warnings)
        fprintf(stderr, "segstream: warning: %lld corrupt packets were skipped\n",
                (long long)stats.decode_warnings);
    return exit_code(st, stats.where);
}
