/* seg_decoder.c - the decoder thread: reads the input into free slots of
 * the pool, deals the frames to the workers in turn and passes audio packets
 * to the encoder (see seg_stages.h). */
#include <stdlib.h>

#include "seg_stages.h"

int seg_decoder_init(seg_decoder *d, seg_job *job)
{
    d->job = job;
    d->free_slots = calloc((size_t)job->nslots, sizeof(seg_slot *));
    if (!d->free_slots)
        return SEG_ERR_NOMEM;
    for (int i = 0; i < job->nslots; i++)
        d->free_slots[d->nfree++] = &job->slots[i];
    return SEG_OK;
}

void seg_decoder_close(seg_decoder *d)
{
    free(d->free_slots);
    d->free_slots = NULL;
    d->nfree = 0;
}

/* A free slot for the next frame: the decoder's own stack first, refilled
 * from the return rings. Waits while every slot is in flight (the pool is
 * sized so that this only happens when the pipeline is full, i.e. in exact
 * mode); NULL when the job stops meanwhile. */
static seg_slot *take_free(seg_decoder *d)
{
    seg_job *job = d->job;
    seg_backoff b = {0};
    for (;;) {
        if (d->nfree > 0)
            return d->free_slots[--d->nfree];
        void *s;
        for (int i = 0; i < job->nworkers + 2; i++) {
            seg_ring *r = i < job->nworkers ? job->skipped[i]
                          : i == job->nworkers ? job->render_ret : job->encode_ret;
            while (d->nfree < job->nslots && seg_ring_try_pop(r, &s) == SEG_OK)
                d->free_slots[d->nfree++] = s;
        }
        if (d->nfree > 0)
            continue;
        if (seg_job_stopping(job))
            return NULL;
        seg_backoff_wait(&b);
    }
}

static void send_audio(seg_decoder *d, io_packet **pkt)
{
    seg_job *job = d->job;
    if (job->live) {
        if (seg_ring_try_push(job->audio, *pkt) == SEG_OK)
            *pkt = NULL;
        else
            d->audio_dropped++;
    } else if (seg_push_wait(job, job->audio, *pkt, 1) == SEG_OK) {
        *pkt = NULL;
    }
    io_packet_free(pkt); /* dropped: NULL-safe */
}

/* Live: the first worker, from the round-robin position, with room. */
static int push_live(seg_decoder *d, seg_slot *s, int *next)
{
    seg_job *job = d->job;
    for (int i = 0; i < job->nworkers; i++) {
        int w = (*next + i) % job->nworkers;
        if (seg_ring_try_push(job->frames[w], s) == SEG_OK) {
            seg_depth_add(&d->frames_depth, seg_ring_size(job->frames[w]));
            *next = (w + 1) % job->nworkers;
            return 1;
        }
    }
    return 0;
}

void *seg_decoder_main(void *arg)
{
    seg_decoder *d = arg;
    seg_job *job = d->job;
    pthread_setname_np(pthread_self(), "seg-decoder"); /* for top -H, perf, gdb */
    seg_slot *cur = NULL;
    io_packet *pkt = NULL;
    int end = SEG_EOF, next = 0;

    for (;;) {
        if (seg_job_stopping(job)) {
            end = SEG_ERR_INTERRUPTED;
            break;
        }
        /* Exact mode stops reading at the limit; live mode cannot know
         * which frames will be shown, so the renderer counts there. */
        if (!job->live && job->max_frames > 0 && d->decoded >= job->max_frames)
            break;
        if (!cur && !(cur = take_free(d))) {
            end = SEG_ERR_INTERRUPTED;
            break;
        }
        double ta = seg_clock_ms();
        int kind = io_source_read(job->src, &cur->image, &pkt);
        double tb = seg_clock_ms();
        if (kind == IO_READ_AUDIO) {
            send_audio(d, &pkt);
            continue;
        }
        if (kind == SEG_EOF)
            break;
        if (kind != IO_READ_VIDEO) {
            /* A read the stop ended (the supervisor may not have passed a
             * signal's request on to job->stop yet) is no input error. */
            if (kind == SEG_ERR_INTERRUPTED && seg_job_interrupt_cb(job)) {
                end = SEG_ERR_INTERRUPTED;
                break;
            }
            /* Travels down as the END status, so the frames before it are
             * still shown: recorded, but no stop. */
            end = kind < 0 ? kind : SEG_ERR_BAD_INPUT;
            seg_job_record(job, end, SEG_WHERE_INPUT, "%s", io_source_last_error(job->src));
            break;
        }
        seg_times_add(&d->decode_times, tb - ta);
        d->decoded++;
        cur->kind = SEG_MSG_FRAME;
        cur->t_decoded = tb;
        if (job->live) {
            if (!push_live(d, cur, &next)) {
                /* Every worker is behind: this frame is the one to lose
                 * (only a ring's consumer may drop older ones). */
                d->dropped++;
                atomic_fetch_add_explicit(&job->progress_dropped, 1, memory_order_relaxed);
                continue; /* read the next frame into the same slot */
            }
        } else {
            seg_ring *r = job->frames[next];
            if (seg_push_wait(job, r, cur, 1) != SEG_OK) {
                end = SEG_ERR_INTERRUPTED;
                break;
            }
            seg_depth_add(&d->frames_depth, seg_ring_size(r));
            next = (next + 1) % job->nworkers;
        }
        cur = NULL;
    }
    if (cur)
        d->free_slots[d->nfree++] = cur;
    io_packet_free(&pkt);

    /* END after the last frame on every frame ring. Never given up: the
     * workers drain their rings until they see it. */
    d->end.kind = SEG_MSG_END;
    d->end.status = end;
    for (int i = 0; i < job->nworkers; i++)
        (void)seg_push_wait(job, job->frames[i], &d->end, 0);
    return NULL;
}
