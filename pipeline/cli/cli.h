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
    fprintf(stderr, "segstream: --%s wants %ld..%ld, got '%s'\n", o->name, o->lo, o->hi, arg);
    return EXIT_USAGE;
}

/** The exit code for a status and the part it came from (seg_where). */
int cli_exit_code(int st, int where);

/* The commands; each returns the process's exit code. */
int cli_job_main(int argc, char **argv);
int cli_run_model_main(int argc, char **argv);
int cli_bench_model_main(int argc, char **argv);
int cli_model_info_main(int argc, char **argv);
int cli_list_devices_main(int argc, char **argv);
int cli_list_formats_main(int argc, char **argv);

#endif
