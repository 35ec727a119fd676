/* cli.h - what the segstream commands share: exit codes, the one way a
 * number option is parsed and range-checked, and FFmpeg's log lines.
 *
 *   main.c             picks the command from the first argument
 *   cli_job.c          segstream INPUT ... (the job: seg_run())
 *   cli_run_model.c    --run-model MODEL IN.f32 OUT.f32
 *   cli_bench_model.c  --bench-model MODEL (also built alone as tests' bench_model)
 *   cli_model_info.c   --model-info MODEL
 *
 * Messages go to stderr, results to stdout. Private to pipeline/cli/. */
#ifndef SEG_CLI_H
#define SEG_CLI_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seg_status.h"

#define SEG_VERSION "0.1.0"

/* Exit codes (documented in --help and the README). */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,   /* failed while running */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_INPUT = 3,     /* input missing, unreadable, not video, or a stream that died */
    EXIT_MODEL = 4,     /* model missing, malformed or unsupported */
    EXIT_OUTPUT = 5,    /* output exists (no -y), not writable, or write failed */
    EXIT_INTERRUPTED = 130,
};

/** A number option: --NAME takes a decimal in [lo, hi]. */
typedef struct cli_number {
    int id;           /**< getopt_long's value for the option */
    const char *name; /**< without the dashes */
    long lo, hi;
} cli_number;

/** The whole of @p s a decimal in [lo, hi], into *out: 0, or -1 (then *out
 *  is untouched). Inline: the tests' bench_model links the engine only. */
static inline int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/** The entry of @p table (ended by a NULL name) for getopt value @p id,
 *  or NULL. */
static inline const cli_number *cli_number_find(const cli_number *table, int id)
{
    for (; table->name; table++)
        if (table->id == id)
            return table;
    return NULL;
}

/** Parse @p arg for number option @p o: 0, or a message on stderr
 *  ("--runs wants 1..1000000, got '5x'") and EXIT_USAGE. */
static inline int cli_number_parse(const cli_number *o, const char *arg, long *out)
{
    if (cli_parse_long(arg, o->lo, o->hi, out) == 0)
        return 0;
    if (o->hi >= 2147483647L) /* no useful upper end: do not print one */
        fprintf(stderr, "segstream: --%s wants a whole number, %ld or more, got '%s'\n", o->name,
                o->lo, arg);
    else
        fprintf(stderr, "segstream: --%s wants a whole number in %ld..%ld, got '%s'\n", o->name,
                o->lo, o->hi, arg);
    return EXIT_USAGE;
}

/** --input-size WxH: an ONNX model's free input height and width, each
 *  8..4096, into *w and *h: 0, or a message on stderr and EXIT_USAGE. */
static inline int cli_input_size(const char *arg, int *w, int *h)
{
    const char *x = strchr(arg, 'x');
    char wb[16];
    long a, b;
    if (x && (size_t)(x - arg) < sizeof wb) {
        memcpy(wb, arg, (size_t)(x - arg));
        wb[x - arg] = 0;
        if (cli_parse_long(wb, 8, 4096, &a) == 0 && cli_parse_long(x + 1, 8, 4096, &b) == 0) {
            *w = (int)a;
            *h = (int)b;
            return 0;
        }
    }
    fprintf(stderr, "segstream: --input-size wants WxH, each 8..4096, got '%s'\n", arg);
    return EXIT_USAGE;
}

/** The warning when --input-size met a model whose input size is fixed
 *  (TFLite, or an ONNX file that gives it): the model's own size is used. */
static inline void cli_input_size_unused(int w, int h, int model_w, int model_h)
{
    if (w > 0 && (w != model_w || h != model_h))
        fprintf(stderr, "segstream: warning: --input-size %dx%d ignored: the model's input is "
                "fixed at %dx%d\n", w, h, model_w, model_h);
}

struct option;

/**
 * One line on stderr for the option getopt_long() refused (it returned '?'
 * or, with a leading ':' in the short options, ':'), with "did you mean
 * --NAME?" when a known option is close, or the options an abbreviation
 * could mean, and "see segstream --help". @p argv_arg is the argument that
 * was refused (argv[optind - 1]), @p short_opt getopt's optopt.
 * @return EXIT_USAGE.
 */
int cli_bad_option(int ret, const char *argv_arg, int short_opt, const struct option *longopts);

/** The long option closest to @p word (edit distance, at most about a
 *  third of its length), or NULL. For tests and cli_bad_option(). */
const char *cli_closest_option(const char *word, const struct option *longopts);

/** The default models' folder under the install prefix (share/segstream/models). */
#define CLI_SHARE_MODELS "share/segstream/models"

/**
 * Find the default model file @p name (e.g. "selfie_segmentation.tflite")
 * when no -m was given, looking in order in $SEGSTREAM_MODEL_DIR, the
 * install prefix's CLI_SHARE_MODELS found from the executable's own place
 * (/proc/self/exe: BIN/../share/segstream/models, so an unpacked package
 * works wherever it lies), then ./models. The first readable one goes into
 * out[size]. @return 0, or -1 with err[errlen] naming every place looked
 * and suggesting -m.
 */
int cli_find_model(const char *name, char *out, size_t size, char *err, size_t errlen);

/* ---- batches (cli_batch.c) ---- */
struct seg_config;

/** Non-zero when -o @p output takes several inputs: a folder (ends in '/'
 *  or exists as one) or a template with {name} or {ext}. */
int cli_batch_target(const char *output);

/** The output for @p input under @p target: FOLDER/BASENAME, or the
 *  template with {name} (the input's file name without its extension) and
 *  {ext} (the extension, without the dot) filled in. 0, or -1 when it does
 *  not fit out[size] or the input has no file name. */
int cli_batch_output(const char *target, const char *input, char *out, size_t size);

/** Run @p base once per input into cli_batch_output()'s names, one line on
 *  stderr per file and a total; a failing file does not stop the others.
 *  @return 0 when every file was written, else the exit code of the first
 *  that failed (3 for a bad input ...), 130 when a signal stopped the batch,
 *  2 for names that cannot be made or would collide (nothing run). */
int cli_batch_run(const struct seg_config *base, char **inputs, int n, const char *target);

/** The exit code for a status and the part it came from (seg_where). */
int cli_exit_code(int st, int where);

/** Non-zero when paths @p a and @p b name the same existing file (device
 *  and inode: hard links and symlinks included). */
int cli_same_file(const char *a, const char *b);

/* The commands; each returns the process's exit code. */
int cli_job_main(int argc, char **argv);
int cli_run_model_main(int argc, char **argv);
int cli_bench_model_main(int argc, char **argv);
int cli_model_info_main(int argc, char **argv);
int cli_list_devices_main(int argc, char **argv);
int cli_list_formats_main(int argc, char **argv);

#endif
