/* cli_bench_model.c - `segstream --bench-model`: inference alone, timed.
 *
 * Warm-up, then N runs on a fixed pseudo-random input; prints min, median
 * and max ms per inference and the share of the machine's FMA peak it
 * reaches, and with --profile the time per node (fused op), slowest first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nn.h"
#include "nn_kernels.h"
#include "seg_clock.h"
#include "seg_file.h"

#define USAGE                                                                              \
    "usage: segstream --bench-model MODEL [--threads N] [--runs N] [--profile] [--input-size " \
    "WxH]\n"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cli_bench_model_main(int argc, char **argv)
{
    int threads = 1, runs = 200, profile = 0;
    nn_load_opts lo;
    memset(&lo, 0, sizeof lo);
    static const struct option opts[] = {
        {"bench-model", no_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},
        {"profile", no_argument, NULL, 'p'},
        {"input-size", required_argument, NULL, 'z'},
        {NULL, 0, NULL, 0},
    };
    static const cli_number numbers[] = {
        {'t', "threads", 0, 256},
        {'r', "runs", 1, 1000000},
        {0, NULL, 0, 0},
    };
    int c, rc;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:r:", opts, NULL)) != -1) {
        switch (c) {
        case 'b': break;
        case 't':
        case 'r':
            if ((rc = cli_number_parse(cli_number_find(numbers, c), optarg, &v)))
                return rc;
            *(c == 't' ? &threads : &runs) = (int)v;
            break;
        case 'p': profile = 1; break;
        case 'z':
            if (cli_input_size(optarg, &lo.input_w, &lo.input_h))
                return EXIT_USAGE;
            break;
        default: fputs(USAGE, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    char err[SEG_MSG_SIZE];
    nn_model *m = NULL;
    uint8_t *buf;
    size_t len;
    if (seg_file_read(path, "model", NN_MAX_MODEL_BYTES, &buf, &len, err, sizeof err)) {
        fprintf(stderr, "segstream: %s\n", err);
        return EXIT_MODEL;
    }
    char inner[SEG_MSG_SIZE];
    int lst = nn_model_load_opts(&m, buf, len, &lo, inner, sizeof inner);
    free(buf);
    if (lst) {
        fprintf(stderr, "segstream: model '%s': %s\n", path, inner);
        return EXIT_MODEL;
    }
    nn_model_set_threads(m, threads);
    nn_shape s = nn_model_input_shape(m);
    cli_input_size_unused(lo.input_w, lo.input_h, s.w, s.h);
    size_t n = (size_t)s.n * s.h * s.w * s.c;
    uint32_t r = 1u;
    int st = SEG_OK;
    float *x = nn_model_input(m);
    double *t = malloc(sizeof(double) * (size_t)runs);
    if (!t) {
        fprintf(stderr, "segstream: out of memory for %d timings\n", runs);
        nn_model_free(&m);
        return EXIT_RUNTIME;
    }
    for (int k = 0; k < 10 + runs / 10; k++) { /* warm-up: caches, clocks, threads */
        for (size_t i = 0; i < n; i++) {
            r = r * 1664525u + 1013904223u;
            x[i] = (float)(r >> 8) / 16777216.0f;
        }
        if ((st = nn_model_run(m)))
            break;
    }
    nn_model_set_profiling(m, profile);
    nn_model_reset_profile(m);
    for (int k = 0; k < runs; k++) {
        for (size_t i = 0; i < n; i++) { /* the input is overwritten by a run */
            r = r * 1664525u + 1013904223u;
            x[i] = (float)(r >> 8) / 16777216.0f;
        }
        double t0 = seg_clock_ms();
        if (st || (st = nn_model_run(m)))
            break;
        t[k] = seg_clock_ms() - t0;
    }
    if (st) {
        fprintf(stderr, "segstream: '%s': inference failed: %s\n", path, seg_status_str(st));
        free(t);
        nn_model_free(&m);
        return EXIT_RUNTIME;
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    double med = t[runs / 2];
    /* The peak is measured, not looked up: a run of independent FMAs on
     * the same ISA and thread count, just before the report. */
    double peak = nn_measure_peak_macs(threads);
    double macs = (double)nn_model_macs(m);
    printf("segstream model=%s input=%dx%dx%d isa=%s threads=%d n=%d min=%.3f median=%.3f "
           "max=%.3f ms macs=%.1fM peak_share=%.1f%% (measured FMA peak %.1f GMAC/s)\n",
           path, s.h, s.w, s.c, nn_isa_current()->name, threads, runs, t[0], med, t[runs - 1],
           macs / 1e6, 100.0 * macs / (med * 1e-3) / (peak > 0 ? peak : 1), peak / 1e9);
    if (profile) {
        int nn = nn_model_node_count(m);
        double total = 0;
        for (int k = 0; k < nn; k++)
            total += (double)nn_model_node_time_ns(m, k);
        /* Slowest first. */
        int *order = malloc(sizeof(int) * (size_t)nn);
        for (int k = 0; k < nn && order; k++)
            order[k] = k;
        for (int a = 0; order && a < nn; a++)
            for (int b = a + 1; b < nn; b++)
                if (nn_model_node_time_ns(m, order[b]) > nn_model_node_time_ns(m, order[a])) {
                    int tmp = order[a];
                    order[a] = order[b];
                    order[b] = tmp;
                }
        printf("%4s %-28s %-40s %9s %6s %8s\n", "node", "op", "output", "us/run", "share", "GMAC/s");
        for (int i = 0; order && i < nn; i++) {
            int k = order[i];
            double us = (double)nn_model_node_time_ns(m, k) / 1e3 / runs;
            printf("%4d %-28s %-40.40s %9.1f %5.1f%% %8.2f\n", k, nn_model_node_op_name(m, k),
                   nn_model_node_name(m, k), us, 100.0 * (double)nn_model_node_time_ns(m, k) / total,
                   us > 0 ? (double)nn_model_node_macs(m, k) / (us * 1e3) : 0.0);
        }
        free(order);
    }
    free(t);
    nn_model_free(&m);
    return 0;
}
