/* score_masks.c - scores masks made elsewhere with segstream's own scorer
 * (display/disp_score.c, what `segstream --eval` uses), for strategies that
 * are measured outside the pipeline (scripts/eval_tiles.sh). Not a test.
 *
 *   score_masks W H GT.gray ALPHA.gray [VOID.gray]
 *
 * Each file holds the same number of raw 8-bit frames of W x H (ffmpeg -f
 * rawvideo -pix_fmt gray); GT is white where the person is, VOID white where
 * the scorer leaves pixels out. Prints one JSON object. */
#include "disp_score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The GT byte that marks a void pixel (any value but 0 and 255 would do:
 * the GT files are 0/255). */
#define VOID_BYTE 77

static int usage(void)
{
    fprintf(stderr, "usage: score_masks W H GT.gray ALPHA.gray [VOID.gray]\n");
    return 2;
}

static void num(const char *name, double v, int last)
{
    if (!isnan(v))
        printf("\"%s\": %.4f%s", name, v, last ? "" : ", ");
    else
        printf("\"%s\": null%s", name, last ? "" : ", ");
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6)
        return usage();
    int w = atoi(argv[1]), h = atoi(argv[2]);
    if (w <= 0 || h <= 0 || w > SEG_MAX_DIM || h > SEG_MAX_DIM)
        return usage();
    FILE *f[3] = {fopen(argv[3], "rb"), fopen(argv[4], "rb"), argc == 6 ? fopen(argv[5], "rb") : NULL};
    for (int i = 0; i < argc - 3; i++)
        if (!f[i]) {
            fprintf(stderr, "score_masks: cannot open %s\n", argv[3 + i]);
            return 1;
        }
    disp_score_options o = disp_score_options_default();
    o.ignore = f[2] ? VOID_BYTE : -1;
    disp_score *s = NULL;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *g = malloc(n), *a = malloc(n), *v = malloc(n);
    if (!g || !a || !v || disp_score_create(&s, &o) != SEG_OK) {
        fprintf(stderr, "score_masks: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (;;) {
        size_t got_g = fread(g, 1, n, f[0]), got_a = fread(a, 1, n, f[1]);
        size_t got_v = f[2] ? fread(v, 1, n, f[2]) : got_g;
        if (got_g == 0 && got_a == 0 && got_v == 0)
            break;
        if (got_g != n || got_a != n || got_v != n) {
            fprintf(stderr, "score_masks: the files hold different numbers of %dx%d frames\n", w, h);
            rc = 1;
            break;
        }
        if (f[2])
            for (size_t i = 0; i < n; i++)
                if (v[i] >= 128)
                    g[i] = VOID_BYTE;
        seg_image ai, gi;
        memset(&ai, 0, sizeof ai);
        ai.data = a;
        ai.width = w;
        ai.height = h;
        ai.stride = w;
        ai.format = SEG_PIX_GRAY8;
        gi = ai;
        gi.data = g;
        if (disp_score_add(s, &ai, &gi, NULL) != SEG_OK) {
            fprintf(stderr, "score_masks: %s\n", disp_score_last_error(s));
            rc = 1;
            break;
        }
    }
    disp_score_result r;
    if (rc == 0 && disp_score_result_get(s, &r) == SEG_OK) {
        printf("{\"frames\": %lld, ", (long long)r.frames);
        num("iou_mean", r.iou_mean, 0);
        num("iou_p10", r.iou_p10, 0);
        num("boundary_f", r.boundary_f, 0);
        num("fp_mean", r.fp_mean, 0);
        num("see_through", r.see_through, 0);
        num("flicker", r.flicker, 1);
        printf("}\n");
    }
    disp_score_free(&s);
    free(g);
    free(a);
    free(v);
    for (int i = 0; i < 3; i++)
        if (f[i])
            fclose(f[i]);
    return rc;
}
