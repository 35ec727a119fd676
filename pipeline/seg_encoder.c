/* seg_encoder.c - the encoder thread: encodes and muxes the composited
 * frames in order, with the passthrough audio (see seg_stages.h). */
#include "seg_stages.h"

void seg_encoder_close(seg_encoder *e)
{
    io_sink_close(&e->snk);
    io_vcam_close(&e->vcam);
    io_scaler_free(&e->fit_scaler);
    seg_image_free(&e->fit);
}

/* Passthrough audio, in the order the decoder read it; the muxer
 * interleaves it with the video by timestamp. */
static void write_audio(seg_encoder *e)
{
    seg_job *job = e->job;
    void *p;
    while (seg_ring_try_pop(job->audio, &p) == SEG_OK) {
        io_packet *pkt = p;
        if (e->failed || !e->snk) {
            io_packet_free(&pkt);
            continue;
        }
        int st = io_sink_write_audio(e->snk, &pkt);
        if (st) {
            e->failed = 1;
            seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s", io_sink_last_error(e->snk));
        } else {
            e->audio_packets++;
        }
    }
}

/* The frame at the output's size: itself, or (after the input changed size
 * mid-stream) a bilinear resize into a buffer made at the first change, as
 * ffmpeg does; RGBA (alpha mode) too, its alpha resized with the colour.
 * NULL after a failure (recorded). */
static const seg_image *fit_to_output(seg_encoder *e, const seg_image *img)
{
    seg_job *job = e->job;
    seg_pixfmt want = job->out_rgba ? SEG_PIX_RGBA : job->work_fmt;
    if (img->width == job->out_w && img->height == job->out_h && img->format == want)
        return img;
    int st;
    if (img->format != want) {
        seg_job_fail(job, SEG_ERR_INVALID, SEG_WHERE_OTHER, "a %dx%d %s frame does not fit the "
                     "output's %dx%d %s", img->width, img->height, seg_pixfmt_name(img->format),
                     job->out_w, job->out_h, seg_pixfmt_name(want));
        return NULL;
    }
    if (img->width != e->fit_w || img->height != e->fit_h) {
        io_scaler_free(&e->fit_scaler);
        if ((st = io_scaler_create_fmt(&e->fit_scaler, img->width, img->height, want, job->out_w,
                                       job->out_h, want))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "cannot scale %dx%d frames to the output's "
                         "%dx%d", img->width, img->height, job->out_w, job->out_h);
            return NULL;
        }
        e->fit_w = img->width;
        e->fit_h = img->height;
    }
    if ((st = io_scaler_run(e->fit_scaler, img, &e->fit))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "scaling a %dx%d frame to the output's %dx%d "
                     "failed", img->width, img->height, job->out_w, job->out_h);
        return NULL;
    }
    return &e->fit;
}

static void count_written(seg_encoder *e)
{
    e->written++;
    atomic_store_explicit(&e->job->progress_written, e->written, memory_order_relaxed);
}

void *seg_encoder_main(void *arg)
{
    seg_encoder *e = arg;
    seg_job *job = e->job;
    pthread_setname_np(pthread_self(), "seg-encoder");
    seg_backoff b = {0};
    for (;;) {
        write_audio(e);
        void *p;
        if (seg_ring_try_pop(job->to_encoder, &p) != SEG_OK) {
            seg_backoff_wait(&b);
            continue;
        }
        seg_backoff_reset(&b);
        seg_slot *s = p;
        if (s->kind == SEG_MSG_END)
            break;
        /* Everything composited is written, even after a stop: the frame
         * limit counts composited frames. */
        if (!e->snk && !e->vcam) { /* only shown or dumped */
            count_written(e);
            seg_give_back(job, job->encode_ret, s);
            continue;
        }
        const seg_image *img = e->failed ? NULL
                                         : fit_to_output(e, s->shown ? s->shown : &s->image);
        if (!img) {
            e->failed = 1;
        } else {
            double ta = seg_clock_ms();
            int st = e->vcam ? io_vcam_write(e->vcam, img) : io_sink_write_video(e->snk, img);
            if (st) {
                e->failed = 1;
                seg_job_fail(job, st, SEG_WHERE_OUTPUT, "%s",
                             e->vcam ? io_vcam_last_error(e->vcam) : io_sink_last_error(e->snk));
            } else {
                double tb = seg_clock_ms();
                seg_times_add(&e->encode_times, tb - ta);
                if (e->vcam)
                    seg_times_add(&e->vcam_times, tb - s->t_decoded);
                count_written(e);
            }
        }
        seg_give_back(job, job->encode_ret, s);
    }
    /* END came after every frame, and every frame after its audio. */
    write_audio(e);
    atomic_store_explicit(&job->encoder_done, 1, memory_order_release);
    return NULL;
}
