/* bench_display.c - compositing cost per frame, per mode, size, thread
 * count and frame format (not a test: run it by hand, results go to
 * BENCHMARKS.md).
 *
 *   bench_display [-n FRAMES] [-t THREADS[,...]] [-s WxH[,...]] [-m MODE] [--edge on|off]
 *                 [-f rgb,yuv] [--in-place] [--refine]
 *
 * A synthetic 256x256 mask (a soft ellipse, noise in the logit, as a
 * selfie model gives) over a textured synthetic frame, RGB24 or the same
 * picture as YUV420P (BT.709, limited range, as decoders give HD video;
 * only the modes that take YUV); each mode renders into its own output
 * buffer, or with --in-place into a copy of the frame (as the pipeline
 * does), replace against a frame-sized background of the frame's format.
 * --refine times the mask refinement alone (disp_refine(), the part every
 * mode shares; one row per format, "refine" in the mode column).
 * Prints a markdown table: median, best and 90th-percentile ms per frame
 * after a warm-up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disp.h"
#include "disp_internal.h" /* disp_refine(), for --refine */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void make_frame(seg_image *f)
{
    for (int y = 0; y < f->height; y++) {
        uint8_t *p = f->data + (size_t)y * f->stride;
        for (int x = 0; x < f->width; x++) {
            p[3 * x] = (uint8_t)(x * 255 / f->width);
            p[3 * x + 1] = (uint8_t)(y * 255 / f->height);
            p[3 * x + 2] = (uint8_t)(((x / 16 + y / 16) & 1) ? 200 : 40);
        }
    }
}

static void make_mask(float *m, int n, unsigned seed)
{
    srand(seed);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double dx = (x - n / 2.0) / (n * 0.25), dy = (y - n * 0.6) / (n * 0.4);
            double d = sqrt(dx * dx + dy * dy);
            /* a logistic output with noise in the logit, as a model gives:
             * confident far from the edge, unsure and noisy near it */
            double logit = (1.0 - d) * 40.0 + ((rand() % 1000) / 1000.0 - 0.5) * 2.0;
            m[y * n + x] = (float)(1.0 / (1.0 + exp(-logit)));
        }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int frames = 50, edge = 1, only = -1, in_place = 0, refine = 0;
    const char *threads_arg = "1,2", *sizes_arg = "1280x720,1920x1080", *formats = "rgb,yuv";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            threads_arg = argv[++i];
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            sizes_arg = argv[++i];
        else if (!strcmp(argv[i], "-m") && i + 1 < argc)
            only = disp_mode_parse(argv[++i]);
        else if (!strcmp(argv[i], "--edge") && i + 1 < argc)
            edge = strcmp(argv[++i], "off") != 0;
        else if (!strcmp(argv[i], "-f") && i + 1 < argc)
            formats = argv[++i];
        else if (!strcmp(argv[i], "--in-place"))
            in_place = 1;
        else if (!strcmp(argv[i], "--refine"))
            refine = 1;
        else {
            fprintf(stderr, "usage: %s [-n FRAMES] [-t 1,2] [-s 1280x720,1920x1080] "
                            "[-m MODE] [--edge on|off] [-f rgb,yuv] [--in-place] [--refine]\n",
                    argv[0]);
            return 2;
        }
    }
    enum { MS = 256 };
    static float masks[4][MS * MS];
    for (int i = 0; i < 4; i++)
        make_mask(masks[i], MS, 1234u + (unsigned)i);
    int want[2] = {strstr(formats, "rgb") != NULL, strstr(formats, "yuv") != NULL};
    printf("| size | threads | format | mode | median ms | best ms | p90 ms |\n"
           "| --- | --- | --- | --- | --- | --- | --- |\n");
    char sizes[256];
    snprintf(sizes, sizeof sizes, "%s", sizes_arg);
    for (char *sp = strtok(sizes, ","); sp; sp = strtok(NULL, ",")) {
        int w, h;
        if (sscanf(sp, "%dx%d", &w, &h) != 2)
            return 2;
        /* [0] RGB24, [1] the same as YUV420P */
        seg_image frame[2] = {{0}, {0}}, bg[2] = {{0}, {0}};
        for (int f = 0; f < 2; f++)
            if (seg_image_alloc(&frame[f], w, h, f ? SEG_PIX_YUV420P : SEG_PIX_RGB24) ||
                seg_image_alloc(&bg[f], w, h, f ? SEG_PIX_YUV420P : SEG_PIX_RGB24))
                return 1;
        make_frame(&frame[0]);
        memset(bg[0].data, 90, (size_t)bg[0].stride * h);
        frame[1].matrix = bg[1].matrix = SEG_YUV_BT709;
        if (seg_image_convert(&frame[0], &frame[1]) || seg_image_convert(&bg[0], &bg[1]))
            return 1;
        for (const char *tp = threads_arg; *tp;) {
            int nt = atoi(tp);
            for (int fm = 0; fm < DISP_MODE_COUNT * 2; fm++) {
                int m = fm % DISP_MODE_COUNT, f = fm / DISP_MODE_COUNT;
                if ((only >= 0 && m != only) || !want[f] ||
                    ((f || in_place) && !disp_mode_takes_yuv((disp_mode)m)) ||
                    (refine && m != DISP_MODE_MASK))
                    continue; /* in place: not alpha and side-by-side either */
                disp_options o = disp_options_default();
                o.mode = (disp_mode)m;
                o.threads = nt;
                o.edge = edge;
                disp_compositor *c = NULL;
                if (disp_compositor_create(&c, &o))
                    return 1;
                seg_image out = {0};
                disp_input in = {&frame[f], NULL, MS, MS, NULL, &bg[f]};
                if (in_place) {
                    if (seg_image_alloc(&out, w, h, frame[f].format))
                        return 1;
                    out.matrix = frame[f].matrix;
                    if (seg_image_convert(&frame[f], &out)) /* a copy */
                        return 1;
                    in.frame = &out;
                }
                double *ts = malloc(sizeof(double) * (size_t)frames);
                if (!ts)
                    return 1;
                for (int i = -5; i < frames; i++) {
                    in.mask = masks[(i + 8) % 4];
                    double t0 = now_ms();
                    int st = refine ? disp_refine(c, in.frame, in.mask, MS, MS)
                                    : disp_render(c, &in, &out);
                    double t = now_ms() - t0;
                    if (st) {
                        fprintf(stderr, "render failed: %s\n", seg_status_str(st));
                        return 1;
                    }
                    if (i >= 0)
                        ts[i] = t;
                }
                qsort(ts, (size_t)frames, sizeof(double), cmp_double);
                printf("| %dx%d | %d | %s | %s | %.2f | %.2f | %.2f |\n", w, h, nt,
                       f ? "yuv420p" : "rgb24", refine ? "refine" : disp_mode_name((disp_mode)m),
                       ts[frames / 2], ts[0], ts[frames * 9 / 10]);
                free(ts);
                fflush(stdout);
                seg_image_free(&out);
                disp_compositor_free(&c);
            }
            tp = strchr(tp, ',');
            if (!tp)
                break;
            tp++;
        }
        for (int f = 0; f < 2; f++) {
            seg_image_free(&frame[f]);
            seg_image_free(&bg[f]);
        }
    }
    return 0;
}
