/* seg_run.c - the job, one frame at a time: decode -> scale to the model ->
 * infer -> composite -> encode. (The staged, threaded pipeline builds on the
 * same steps.) */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "nn.h"
#include "seg.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

volatile sig_atomic_t seg_stop_requested = 0;

seg_config seg_config_default(void)
{
    seg_config c;
    memset(&c, 0, sizeof c);
    c.model = "models/selfie_segmentation.tflite";
    c.threads = 0;
    c.in_lo = 0.0f;
    c.in_hi = 1.0f;
    c.disp = disp_options_default();
    return c;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Byte RGB at model size -> the model's float input. A 256-entry table makes
 * it one load per value whatever the range. */
static void normalise(const seg_image *rgb, float *dst, const float lut[256])
{
    for (int y = 0; y < rgb->height; y++) {
        const uint8_t *p = rgb->data + (size_t)y * rgb->stride;
        float *o = dst + (size_t)y * rgb->width * 3;
        for (int x = 0; x < rgb->width * 3; x++)
            o[x] = lut[p[x]];
    }
}

/* The model output -> a foreground probability per model pixel.
 * 1 channel: already a probability (the selfie models end in LOGISTIC).
 * C >= 2 channels: 1 - softmax()[0], "anything but background". */
static void output_to_mask(const float *out, nn_shape s, float *mask)
{
    size_t n = (size_t)s.h * s.w;
    if (s.c == 1) {
        for (size_t i = 0; i < n; i++) {
            float p = out[i];
            mask[i] = p < 0.0f ? 0.0f : (p > 1.0f ? 1.0f : p);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *v = out + i * (size_t)s.c;
        float mx = v[0];
        for (int c = 1; c < s.c; c++)
            mx = v[c] > mx ? v[c] : mx;
        float sum = 0.0f;
        for (int c = 0; c < s.c; c++)
            sum += expf(v[c] - mx);
        mask[i] = 1.0f - expf(v[0] - mx) / sum;
    }
}

static void progress(const seg_stats *st, const io_video_info *info, double t0, int final)
{
    double el = (now_ms() - t0) / 1e3;
    double fps = el > 0 ? (double)st->frames / el : 0.0;
    char eta[32] = "";
    if (info->nb_frames > 0 && fps > 0 && !final) {
        double rem = (double)(info->nb_frames - st->frames) / fps;
        snprintf(eta, sizeof eta, " eta=%.0fs", rem > 0 ? rem : 0.0);
    }
    fprintf(stderr, "\rframe=%6lld fps=%6.1f time=%7.1fs%s   %s",
            (long long)st->frames, fps, el, eta, final ? "\n" : "");
    fflush(stderr);
}

int seg_run(const seg_config *cfg, seg_stats *stats, char *err, size_t errlen)
{
    int st = SEG_OK;
    char msg[512];
    io_source *src = NULL;
    io_sink *snk = NULL;
    io_scaler *scaler = NULL;
    io_packet *pkt = NULL;
    nn_model *model = NULL;
    disp_compositor *comp = NULL;
    seg_image frame = {0}, small = {0};
    float *mask = NULL;
    float lut[256];
    int scaler_w = 0, scaler_h = 0;
    memset(stats, 0, sizeof *stats);

    /* Model first: it is the cheapest thing to get wrong and check. */
    if ((st = nn_model_load_file(&model, cfg->model, msg, sizeof msg))) {
        stats->where = SEG_WHERE_MODEL;
        SET_ERR("%s", msg);
        goto end;
    }
    nn_shape in = nn_model_input_shape(model), outs = nn_model_output_shape(model);
    if (in.c != 3) {
        st = SEG_ERR_UNSUPPORTED;
        stats->where = SEG_WHERE_MODEL;
        SET_ERR("model '%s' takes %d input channels; segstream feeds RGB (3 channels)",
                cfg->model, in.c);
        goto end;
    }
    nn_model_set_threads(model, cfg->threads);
    stats->model_w = in.w;
    stats->model_h = in.h;
    for (int i = 0; i < 256; i++)
        lut[i] = cfg->in_lo + (float)i / 255.0f * (cfg->in_hi - cfg->in_lo);
    mask = malloc(sizeof(float) * (size_t)outs.h * (size_t)outs.w);
    if (!mask || (st = seg_image_alloc(&small, in.w, in.h, SEG_PIX_RGB24))) {
        st = st ? st : SEG_ERR_NOMEM;
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("out of memory");
        goto end;
    }

    io_source_opts so = {0};
    so.format = cfg->input_format;
    so.want_audio = cfg->output != NULL;
    so.decoder_threads = 1;
    if ((st = io_source_open(&src, cfg->input, &so, msg, sizeof msg))) {
        stats->where = SEG_WHERE_INPUT;
        SET_ERR("%s", msg);
        goto end;
    }
    const io_video_info *info = io_source_info(src);
    stats->in_w = info->width;
    stats->in_h = info->height;

    if ((st = disp_compositor_create(&comp, &cfg->disp))) {
        stats->where = SEG_WHERE_OTHER;
        SET_ERR("bad display options");
        goto end;
    }

    if (cfg->output) {
        io_sink_params sp = {0};
        sp.width = info->width;
        sp.height = info->height;
        sp.time_base_num = info->time_base_num;
        sp.time_base_den = info->time_base_den;
        sp.frame_rate_num = info->frame_rate_num;
        sp.frame_rate_den = info->frame_rate_den;
        sp.sar_num = info->sar_num;
        sp.sar_den = info->sar_den;
        sp.format = cfg->format;
        sp.codec = cfg->codec;
        sp.overwrite = cfg->overwrite;
        sp.encoder_threads = 0;
        if ((st = io_sink_open(&snk, cfg->output, &sp, src, msg, sizeof msg))) {
            stats->where = SEG_WHERE_OUTPUT;
            SET_ERR("%s", msg);
            goto end;
        }
    }

    double t0 = now_ms(), last_progress = t0;
    int show_progress = !cfg->quiet && isatty(STDERR_FILENO);
    for (;;) {
        if (seg_stop_requested) {
            st = SEG_ERR_INTERRUPTED;
            break;
        }
        if (cfg->max_frames > 0 && stats->frames >= cfg->max_frames)
            break;
        double ta = now_ms();
        int kind = io_source_read(src, &frame, &pkt);
        double tb = now_ms();
        if (kind == SEG_EOF)
            break;
        if (kind == IO_READ_AUDIO) {
            if (snk) {
                if ((st = io_sink_write_audio(snk, &pkt))) {
                    stats->where = SEG_WHERE_OUTPUT;
                    SET_ERR("%s", io_sink_last_error(snk));
                    goto end;
                }
                stats->audio_packets++;
            }
            io_packet_free(&pkt);
            continue;
        }
        if (kind != IO_READ_VIDEO) {
            st = kind < 0 ? kind : SEG_ERR_BAD_INPUT;
            if (st == SEG_ERR_INTERRUPTED && seg_stop_requested)
                break;
            stats->where = SEG_WHERE_INPUT;
            SET_ERR("%s", io_source_last_error(src));
            goto end;
        }
        stats->decode_ms += tb - ta;
        if (frame.width != scaler_w || frame.height != scaler_h) {
            /* First frame, or the stream changed size mid-way. */
            io_scaler_free(&scaler);
            if ((st = io_scaler_create(&scaler, frame.width, frame.height, in.w, in.h))) {
                stats->where = SEG_WHERE_OTHER;
                SET_ERR("cannot create a %dx%d -> %dx%d scaler", frame.width, frame.height,
                        in.w, in.h);
                goto end;
            }
            scaler_w = frame.width;
            scaler_h = frame.height;
        }
        if ((st = io_scaler_run(scaler, &frame, &small))) {
            stats->where = SEG_WHERE_OTHER;
            SET_ERR("scaling the frame to the model size failed");
            goto end;
        }
        normalise(&small, nn_model_input(model), lut);
        double tc = now_ms();
        if ((st = nn_model_run(model))) {
            stats->where = SEG_WHERE_OTHER;
            SET_ERR("inference failed: %s", seg_status_str(st));
            goto end;
        }
        double td = now_ms();
        output_to_mask(nn_model_output(model), outs, mask);
        if ((st = disp_composite(comp, &frame, mask, outs.w, outs.h))) {
            stats->where = SEG_WHERE_OTHER;
            SET_ERR("compositing failed: %s", seg_status_str(st));
            goto end;
        }
        double te = now_ms();
        if (snk && (st = io_sink_write_video(snk, &frame))) {
            stats->where = SEG_WHERE_OUTPUT;
            SET_ERR("%s", io_sink_last_error(snk));
            goto end;
        }
        double tf = now_ms();
        stats->convert_ms += tc - tb;
        stats->infer_ms += td - tc;
        stats->composite_ms += te - td;
        stats->encode_ms += tf - te;
        stats->frames++;
        if (show_progress && tf - last_progress > 500.0) {
            last_progress = tf;
            progress(stats, info, t0, 0);
        }
    }
    if (show_progress)
        progress(stats, info, t0, 1);
    if (snk) {
        int fst = io_sink_finish(snk);
        if (fst) {
            st = fst;
            stats->where = SEG_WHERE_OUTPUT;
            SET_ERR("%s", io_sink_last_error(snk));
            goto end;
        }
    }
    stats->decode_warnings = io_source_warnings(src);
    stats->seconds = (now_ms() - t0) / 1e3;
    if (st == SEG_OK && stats->frames == 0) {
        st = SEG_ERR_BAD_INPUT;
        stats->where = SEG_WHERE_INPUT;
        SET_ERR("'%s': no video frame could be decoded", cfg->input);
    }
end:
    io_packet_free(&pkt);
    io_sink_close(&snk);
    io_source_close(&src);
    io_scaler_free(&scaler);
    disp_compositor_free(&comp);
    nn_model_free(&model);
    seg_image_free(&frame);
    seg_image_free(&small);
    free(mask);
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
