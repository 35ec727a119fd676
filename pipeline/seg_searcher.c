/* seg_searcher.c - a live worker's searches for people, on their own
 * thread, and the board where a file job's workers share theirs (see
 * seg_stages.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "seg_stages.h"

/* The whole frame: the face detector, then (no close-up) the pose
 * detector. A tile: the pose detector on it. */
static void search(seg_searcher *q)
{
    seg_worker *w = q->w;
    const seg_image *f = &q->frame;
    seg_person faces[SEG_MAX_PEOPLE];
    q->closeup = 0;
    if (q->tile_side > 0) {
        q->n = seg_detector_run_tile(&w->det, f, q->tile_x, q->tile_y, q->tile_side, q->people,
                                     SEG_MAX_PEOPLE);
        return;
    }
    q->n = seg_detector_run(&w->face, f, faces, SEG_MAX_PEOPLE);
    q->closeup = seg_closeup_of(faces, q->n, f->height, q->was_closeup);
    if (q->n >= 0 && !q->closeup)
        q->n = seg_detector_run(&w->det, f, q->people, SEG_MAX_PEOPLE);
}

static void *searcher_main(void *arg)
{
    seg_searcher *q = arg;
    char name[16];
    snprintf(name, sizeof name, "seg-search%d", q->w->id);
    pthread_setname_np(pthread_self(), name);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->state != SEARCH_PENDING && q->state != SEARCH_QUIT)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->state == SEARCH_QUIT)
            break;
        pthread_mutex_unlock(&q->mu); /* the frame is the searcher's now */
        search(q);
        pthread_mutex_lock(&q->mu);
        if (q->state == SEARCH_PENDING)
            q->state = SEARCH_DONE;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int seg_searcher_start(seg_searcher *q, seg_worker *w)
{
    memset(q, 0, sizeof *q);
    q->w = w;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pthread_create(&q->thread, NULL, searcher_main, q) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        return SEG_ERR_NOMEM;
    }
    q->started = 1;
    return SEG_OK;
}

void seg_searcher_stop(seg_searcher *q)
{
    if (!q->started)
        return;
    pthread_mutex_lock(&q->mu);
    q->state = SEARCH_QUIT;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    seg_image_free(&q->frame);
    q->started = 0;
}

int seg_searcher_post(seg_searcher *q, const seg_image *f, int tx, int ty, int side,
                      int was_closeup)
{
    pthread_mutex_lock(&q->mu);
    int idle = q->state == SEARCH_IDLE;
    pthread_mutex_unlock(&q->mu);
    if (!idle)
        return 0;
    /* Idle: the searcher does not touch the frame; copy into it. */
    if (q->frame.width != f->width || q->frame.height != f->height ||
        q->frame.format != f->format) {
        seg_image_free(&q->frame);
        if (seg_image_alloc(&q->frame, f->width, f->height, f->format) != SEG_OK)
            return 0; /* no room: no search this time */
    }
    int bpp = seg_pixfmt_bpp(f->format);
    for (int y = 0; y < f->height; y++)
        memcpy(q->frame.data + (size_t)y * q->frame.stride, f->data + (size_t)y * f->stride,
               (size_t)f->width * bpp);
    if (f->format == SEG_PIX_YUV420P)
        for (int y = 0; y < (f->height + 1) / 2; y++) {
            memcpy(q->frame.cb + (size_t)y * q->frame.cstride, f->cb + (size_t)y * f->cstride,
                   (size_t)(f->width + 1) / 2);
            memcpy(q->frame.cr + (size_t)y * q->frame.cstride, f->cr + (size_t)y * f->cstride,
                   (size_t)(f->width + 1) / 2);
        }
    q->frame.matrix = f->matrix;
    q->frame.full_range = f->full_range;
    q->tile_x = tx;
    q->tile_y = ty;
    q->tile_side = side;
    q->was_closeup = was_closeup;
    pthread_mutex_lock(&q->mu);
    q->state = SEARCH_PENDING;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

int seg_searcher_take(seg_searcher *q, seg_person *people, int *n, int *closeup, int *w, int *h)
{
    pthread_mutex_lock(&q->mu);
    int done = q->state == SEARCH_DONE;
    pthread_mutex_unlock(&q->mu);
    if (!done)
        return 0;
    /* Done: the searcher waits for the next post; its results are ours. */
    *n = q->n;
    if (q->n > 0)
        memcpy(people, q->people, (size_t)q->n * sizeof *people);
    *closeup = q->closeup;
    *w = q->frame.width;
    *h = q->frame.height;
    pthread_mutex_lock(&q->mu);
    q->state = SEARCH_IDLE;
    pthread_mutex_unlock(&q->mu);
    return 1;
}

/* ==== the board ============================================================ */

int seg_board_init(seg_board *b, int workers)
{
    memset(b, 0, sizeof *b);
    b->readers = workers - 1;
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        return SEG_ERR_NOMEM;
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        return SEG_ERR_NOMEM;
    }
    return SEG_OK;
}

void seg_board_close(seg_board *b)
{
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

/* Wait on the board (its lock held) for at most 20 ms: the job's stop is
 * a flag, not a signal on cv, so a waiter looks at it this often. */
static void board_wait(seg_board *b)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 20 * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&b->cv, &b->mu, &t);
}

int seg_board_post(seg_board *b, seg_job *job, const seg_search_post *p)
{
    seg_search_post *s = &b->slot[p->j % SEG_BOARD_SLOTS];
    pthread_mutex_lock(&b->mu);
    while (s->j != 0 && s->unread > 0) {
        if (seg_job_stopping(job)) {
            pthread_mutex_unlock(&b->mu);
            return SEG_ERR_INTERRUPTED;
        }
        board_wait(b);
    }
    *s = *p;
    s->unread = b->readers;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return SEG_OK;
}

int seg_board_take(seg_board *b, seg_job *job, int64_t j, seg_search_post *out)
{
    seg_search_post *s = &b->slot[j % SEG_BOARD_SLOTS];
    pthread_mutex_lock(&b->mu);
    while (s->j != j) {
        if (seg_job_stopping(job)) {
            pthread_mutex_unlock(&b->mu);
            return SEG_ERR_INTERRUPTED;
        }
        board_wait(b);
    }
    *out = *s;
    if (--s->unread == 0)
        pthread_cond_broadcast(&b->cv); /* its slot is free for j + SLOTS */
    pthread_mutex_unlock(&b->mu);
    return SEG_OK;
}

void seg_board_share(seg_board *b, int id, int state, int fw, int fh)
{
    pthread_mutex_lock(&b->mu);
    if (b->share[id] == SEG_SHARE_PENDING) {
        b->share[id] = state;
        b->share_w[id] = fw;
        b->share_h[id] = fh;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
}

int seg_board_shares_wait(seg_board *b, seg_job *job)
{
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i <= b->readers; i++)
        while (b->share[i] == SEG_SHARE_PENDING) {
            if (seg_job_stopping(job)) {
                pthread_mutex_unlock(&b->mu);
                return SEG_ERR_INTERRUPTED;
            }
            board_wait(b);
        }
    pthread_mutex_unlock(&b->mu);
    return SEG_OK;
}
