/* test_pipeline_util.c - see test_pipeline_util.h. */
#include "test_pipeline_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "tflite_builder.h"

int tp_write_colour_model(const char *path, int side, int channel)
{
    float w[3] = {0.0f, 0.0f, 0.0f};
    static const float b[1] = {-4.0f}; /* > half of the channel -> foreground */
    w[channel] = 8.0f;
    tb_tensor all[5] = {
        {"input", TB_FLOAT32, 4, {1, side, side, 3}, NULL, 0},
        {"w", TB_FLOAT32, 4, {1, 1, 1, 3}, w, sizeof w},
        {"b", TB_FLOAT32, 1, {1, 0, 0, 0}, b, sizeof b},
        {"conv", TB_FLOAT32, 4, {1, side, side, 1}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, side, side, 1}, NULL, 0},
    };
    tb_op ops[2] = {
        /* CONV_2D, Conv2DOptions: padding SAME, stride 1x1 */
        {.builtin = 3, .n_in = 3, .in = {0, 1, 2}, .out = 3, .options_type = 1, .n_opts = 3,
         .opts = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}}},
        {.builtin = 14 /* LOGISTIC */, .n_in = 1, .in = {3}, .out = 4},
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    if (tb_build(all, 5, ops, 2, 0, 4, &buf, &len))
        return -1;
    int st = tp_write_file(path, buf, len);
    free(buf);
    return st;
}

int tp_write_tiny_model(const char *path)
{
    return tp_write_colour_model(path, 16, 0); /* red */
}

/* ==== the shared fixture ================================================ */

static void log_line(void *user, io_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, "# io %s: %s%s", level == IO_LOG_ERROR ? "error" : "warning", msg,
            msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

int tp_fixture_setup(tp_fixture *f, int frames)
{
    if (tp_make_dir(f->dir, sizeof f->dir, "segpipe"))
        return -1;
    snprintf(f->model, sizeof f->model, "%s/tiny.tflite", f->dir);
    snprintf(f->clip, sizeof f->clip, "%s/clip.mkv", f->dir);
    if (tp_write_tiny_model(f->model))
        return -1;
    if (tp_sh("ffmpeg -v error -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v %d "
              "-c:v libx264 -preset ultrafast -pix_fmt yuv420p %s",
              frames, f->clip)) {
        fprintf(stderr, "# needs the ffmpeg command line\n");
        return -1;
    }
    io_set_log_callback(log_line, NULL, IO_LOG_WARNING);
    return 0;
}

void tp_fixture_teardown(tp_fixture *f)
{
    tp_remove_dir(f->dir);
}

seg_config tp_job(const tp_fixture *f, const char *input, const char *output)
{
    seg_config c = seg_config_default();
    c.input = input;
    c.output = output;
    c.model = f->model;
    c.quiet = 1;
    c.overwrite = 1;
    c.workers = 1;
    c.threads = 1;
    return c;
}
