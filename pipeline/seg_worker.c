/* seg_worker.c - an inference worker thread: everything between a decoded
 * frame and its mask. Scale the frame (or the --fit rectangle of it) to the
 * model's size, normalise, run the worker's own instance of the model, and
 * turn the output into the slot's mask (see seg_stages.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seg_stages.h"

static int64_t share_every(const seg_job *job);

/* Pixels of the largest output among the job's models (the masks a
 * worker keeps fit every model it may switch to). */
static size_t largest_output(const seg_job *job)
{
    size_t n = 0;
    for (int i = 0; i < job->nmodels; i++) {
        size_t k = (size_t)job->models[i]->out.w * (size_t)job->models[i]->out.h;
        n = k > n ? k : n;
    }
    return n;
}

int seg_worker_init(seg_worker *w, seg_job *job, int id, int threads, char *err, size_t errlen)
{
    int st;
    w->job = job;
    w->id = id;
    /* One model, many workers: worker 0 runs each model itself, the others
     * clones that share its weights and have their own activations. */
    w->owns_nn = id > 0;
    for (int i = 0; i < job->nmodels; i++) {
        if (id == 0)
            w->nns[i] = job->models[i]->nn;
        else if ((st = nn_model_clone(&w->nns[i], job->models[i]->nn, err, errlen)))
            return st;
        nn_model_set_threads(w->nns[i], threads);
        nn_model_set_cancel_flag(w->nns[i], &job->stop);
    }
    w->cur = 0;
    w->nn = w->nns[0];
    w->model = job->models[0];
    w->since_found = -1;
    w->next_j = 1;
    w->share_every = share_every(job);
    if (job->detector) {
        nn_model *d = job->detector, *fd = job->face_detector;
        if (id > 0 && ((st = nn_model_clone(&d, job->detector, err, errlen)) ||
                       (st = nn_model_clone(&fd, job->face_detector, err, errlen)))) {
            nn_model_free(&d);
            return st;
        }
        seg_detector_init(&w->det, job->detector_spec ? job->detector_spec : &SEG_SSD_POSE, d,
                          id > 0);
        seg_detector_init(&w->face, &SEG_SSD_FACE, fd, id > 0);
        for (int k = 0; k < 2; k++) {
            nn_model_set_threads(k ? fd : d, threads);
            nn_model_set_cancel_flag(k ? fd : d, &job->stop);
        }
    }
    size_t out_len = largest_output(job);
    if (job->closeup) {
        if (id == 0) {
            w->cnn = job->closeup->nn;
        } else {
            if ((st = nn_model_clone(&w->cnn, job->closeup->nn, err, errlen)))
                return st;
            w->owns_cnn = 1;
        }
        nn_model_set_threads(w->cnn, threads);
        nn_model_set_cancel_flag(w->cnn, &job->stop);
        size_t c_len = (size_t)job->closeup->out.h * (size_t)job->closeup->out.w;
        out_len = c_len > out_len ? c_len : out_len;
    }
    if ((st = seg_image_alloc(&w->small, w->model->in.w, w->model->in.h,
                              job->work_fmt == SEG_PIX_YUV420P ? SEG_PIX_YUV444P
                                                               : SEG_PIX_RGB24)) ||
        ((job->cfg->fit != SEG_FIT_STRETCH || job->detector) &&
         (!(w->raw_mask = malloc(out_len * sizeof(float))) ||
          ((job->multiclass || job->instances) && !(w->raw_labels = malloc(out_len)))))) {
        seg_format_error(err, errlen, __func__, "out of memory for inference worker %d", id);
        return SEG_ERR_NOMEM;
    }
    return SEG_OK;
}

void seg_worker_close(seg_worker *w)
{
    seg_searcher_stop(&w->searcher);
    for (int i = 0; i < SEG_MAX_MODELS; i++) {
        if (w->owns_nn)
            nn_model_free(&w->nns[i]);
        else if (w->nns[i])
            nn_model_set_cancel_flag(w->nns[i], NULL); /* the flag dies with the job */
    }
    if (w->owns_cnn)
        nn_model_free(&w->cnn);
    else if (w->cnn)
        nn_model_set_cancel_flag(w->cnn, NULL);
    if (w->det.nn && !w->det.owns_nn)
        nn_model_set_cancel_flag(w->det.nn, NULL);
    if (w->face.nn && !w->face.owns_nn)
        nn_model_set_cancel_flag(w->face.nn, NULL);
    seg_detector_close(&w->det);
    seg_detector_close(&w->face);
    io_scaler_free(&w->scaler);
    seg_image_free(&w->small);
    seg_motion_free(&w->motion);
    /* Scratch grown as the frames ask (each with its capacity). */
    void *scratch[] = {w->raw_mask, w->raw_labels, w->fg_grid,   w->fg_cols,  w->fg_rows,
                       w->fg_place, w->paste_cols, w->hair_grid, w->hair_near, w->hair_cnt};
    for (size_t i = 0; i < sizeof scratch / sizeof *scratch; i++)
        free(scratch[i]);
    /* Nothing left to free: closing again does nothing. */
    memset(w, 0, sizeof *w);
}

/* ==== the model's input =================================================== */

/* Byte RGB at model size -> the model's float input. A 256-entry table per
 * channel makes it one load per value whatever the normalisation. */
static void normalise_rgb(const seg_image *rgb, float *dst, float lut[3][256])
{
    for (int y = 0; y < rgb->height; y++) {
        const uint8_t *p = rgb->data + (size_t)y * rgb->stride;
        float *o = dst + (size_t)y * rgb->width * 3;
        for (int x = 0; x < rgb->width * 3; x += 3) {
            o[x] = lut[0][p[x]];
            o[x + 1] = lut[1][p[x + 1]];
            o[x + 2] = lut[2][p[x + 2]];
        }
    }
}

/* Y'CbCr 4:4:4 at model size -> the model's float input: to RGB bytes by
 * table (as swscale would), then normalised. */
static void normalise_yuv(const seg_image *yuv, const seg_yuv_tables *t, float *dst,
                          float lut[3][256])
{
    for (int y = 0; y < yuv->height; y++) {
        const uint8_t *Y = yuv->data + (size_t)y * yuv->stride;
        const uint8_t *U = yuv->cb + (size_t)y * yuv->cstride;
        const uint8_t *V = yuv->cr + (size_t)y * yuv->cstride;
        float *o = dst + (size_t)y * yuv->width * 3;
        for (int x = 0; x < yuv->width; x++, o += 3) {
            uint8_t rgb[3];
            seg_yuv_pixel(t, Y[x], U[x], V[x], rgb);
            o[0] = lut[0][rgb[0]];
            o[1] = lut[1][rgb[1]];
            o[2] = lut[2][rgb[2]];
        }
    }
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Letterbox: bars of the model's mean colour (its input 0) around the
 * picture in the model-size frame; the scaler never writes them, so once per
 * frame size is enough. */
static void fill_bars(seg_worker *w)
{
    uint8_t c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (uint8_t)clampi((int)lroundf(w->model->mean[k]), 0, 255);
    seg_image *small = &w->small;
    if (small->format == SEG_PIX_YUV444P) {
        uint8_t yuv[3];
        seg_rgb_to_yuv(c, small->matrix, small->full_range, yuv);
        for (int y = 0; y < small->height; y++) {
            memset(small->data + (size_t)y * small->stride, yuv[0], (size_t)small->width);
            memset(small->cb + (size_t)y * small->cstride, yuv[1], (size_t)small->width);
            memset(small->cr + (size_t)y * small->cstride, yuv[2], (size_t)small->width);
        }
    } else {
        for (int y = 0; y < small->height; y++) {
            uint8_t *p = small->data + (size_t)y * small->stride;
            for (int x = 0; x < small->width; x++)
                memcpy(p + 3 * x, c, 3);
        }
    }
}

/* (Re)build the worker's scaler for a new frame size. */
static int setup_fit(seg_worker *w, int fw, int fh)
{
    seg_job *job = w->job;
    seg_fit_geometry(job->cfg->fit, fw, fh, w->model->in, w->model->out, &w->geom);
    const seg_fit_geom *g = &w->geom;
    io_scaler_free(&w->scaler);
    int st = io_scaler_create_fmt(&w->scaler, g->src_w, g->src_h, job->work_fmt, g->dst_w,
                                  g->dst_h, w->small.format);
    if (st) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "cannot create a %dx%d -> %dx%d scaler",
                     g->src_w, g->src_h, g->dst_w, g->dst_h);
        return st;
    }
    if (g->fit == SEG_FIT_LETTERBOX)
        fill_bars(w);
    w->scaler_w = fw;
    w->scaler_h = fh;
    return SEG_OK;
}

/* Make room in a slot for an n-pixel mask (and labels). Only after a change
 * of the input's size: the pool is sized for the first frame. */
/* Box-filter a mw x mh mask down to cw x ch (each side no larger), and
 * take each output pixel's label from the middle of its box. */
static void shrink_mask(const float *src, const uint8_t *src_l, int mw, int mh, float *dst,
                        uint8_t *dst_l, int cw, int ch)
{
    for (int y = 0; y < ch; y++) {
        int y0 = (int)((int64_t)y * mh / ch), y1 = (int)((int64_t)(y + 1) * mh / ch);
        for (int x = 0; x < cw; x++) {
            int x0 = (int)((int64_t)x * mw / cw), x1 = (int)((int64_t)(x + 1) * mw / cw);
            double sum = 0.0;
            for (int v = y0; v < y1; v++)
                for (int u = x0; u < x1; u++)
                    sum += (double)src[(size_t)v * mw + u];
            dst[(size_t)y * cw + x] = (float)(sum / ((double)(y1 - y0) * (x1 - x0)));
            if (dst_l)
                dst_l[(size_t)y * cw + x] = src_l[(size_t)((y0 + y1) / 2) * mw + (x0 + x1) / 2];
        }
    }
}

/* An oversized model output (seg_mask_clamp) is computed into the worker's
 * own model-size buffers, made at the first such frame, then shrunk. */
static int raw_mask_room(seg_worker *w)
{
    seg_job *job = w->job;
    size_t n = largest_output(job); /* a switch keeps the buffers */
    if (!w->raw_mask && !(w->raw_mask = malloc(n * sizeof(float))))
        return SEG_ERR_NOMEM;
    if ((job->multiclass || job->instances) && !w->raw_labels && !(w->raw_labels = malloc(n)))
        return SEG_ERR_NOMEM;
    return SEG_OK;
}

static int slot_mask_room(seg_job *job, seg_slot *s, size_t n)
{
    if (s->mask_cap >= n)
        return SEG_OK;
    float *m = realloc(s->mask, n * sizeof(float));
    if (!m)
        return SEG_ERR_NOMEM;
    s->mask = m;
    if (job->multiclass || job->instances) {
        uint8_t *l = realloc(s->labels, n);
        if (!l)
            return SEG_ERR_NOMEM;
        s->labels = l;
    }
    s->mask_cap = n;
    return SEG_OK;
}

/* The frame (or its --fit rectangle) at the model's size, normalised into
 * the model's input. */
static int convert_frame(seg_worker *w, seg_slot *s)
{
    seg_job *job = w->job;
    int st;
    if (s->image.width != w->scaler_w || s->image.height != w->scaler_h ||
        (w->small.format == SEG_PIX_YUV444P &&
         ((int)s->image.matrix != (int)w->small.matrix ||
          s->image.full_range != w->small.full_range))) {
        /* First frame, or the stream changed size (or colours) mid-way. */
        w->small.matrix = s->image.matrix;
        w->small.full_range = s->image.full_range;
        seg_yuv_tables_init(&w->yuv_tab, w->small.matrix, w->small.full_range);
        if ((st = setup_fit(w, s->image.width, s->image.height)))
            return st;
    }
    const seg_fit_geom *g = &w->geom;
    /* Views: a rectangle of the frame onto a rectangle of the model input
     * (in 4:2:0, from an even corner, so chroma stays aligned). */
    seg_image src = s->image, dst = w->small;
    if (src.format == SEG_PIX_YUV420P) {
        int x = g->src_x & ~1, y = g->src_y & ~1;
        src.data += (size_t)y * src.stride + (size_t)x;
        src.cb += (size_t)(y / 2) * src.cstride + (size_t)(x / 2);
        src.cr += (size_t)(y / 2) * src.cstride + (size_t)(x / 2);
    } else {
        src.data += (size_t)g->src_y * src.stride + (size_t)g->src_x * 3;
    }
    src.width = g->src_w;
    src.height = g->src_h;
    if (dst.format == SEG_PIX_YUV444P) {
        dst.data += (size_t)g->dst_y * dst.stride + (size_t)g->dst_x;
        dst.cb += (size_t)g->dst_y * dst.cstride + (size_t)g->dst_x;
        dst.cr += (size_t)g->dst_y * dst.cstride + (size_t)g->dst_x;
    } else {
        dst.data += (size_t)g->dst_y * dst.stride + (size_t)g->dst_x * 3;
    }
    dst.width = g->dst_w;
    dst.height = g->dst_h;
    if ((st = io_scaler_run(w->scaler, &src, &dst))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "scaling the frame to the model size failed");
        return st;
    }
    if (w->small.format == SEG_PIX_YUV444P)
        normalise_yuv(&w->small, &w->yuv_tab, nn_model_input(w->nn), job->luts[w->cur]);
    else
        normalise_rgb(&w->small, nn_model_input(w->nn), job->luts[w->cur]);
    return SEG_OK;
}

/* ==== --find pose: people first ========================================== */

/* Paste a region's mask (ow x oh, covering rx, ry, rw x rh of the frame)
 * and labels (@p l, or NULL) into a mask grid @p grid and its labels
 * @p glabels (gw x gh over the fw x fh frame; its first @p rows rows),
 * bilinear, keeping the larger value where regions overlap. Each column's
 * taps are worked out once (into @p cols, gw of them), not once per cell. */
static void paste_region(const float *m, const uint8_t *l, int ow, int oh, float rx, float ry,
                         float rw, float rh, int fw, int fh, int rows, float *grid,
                         uint8_t *glabels, int gw, int gh, seg_grid_tap *cols)
{
    float gx = (float)fw / gw, gy = (float)fh / gh; /* frame pixels per grid cell */
    int x0 = (int)floorf(rx / gx), x1 = (int)ceilf((rx + rw) / gx);
    int y0 = (int)floorf(ry / gy), y1 = (int)ceilf((ry + rh) / gy);
    x0 = clampi(x0, 0, gw);
    x1 = clampi(x1, 0, gw);
    y0 = clampi(y0, 0, gh);
    y1 = clampi(y1, 0, rows < gh ? rows : gh);
    /* Column x's taps; a = -1: outside the region. */
    for (int x = x0; x < x1; x++) {
        float u = (((float)x + 0.5f) * gx - rx) / rw * (float)ow - 0.5f;
        if (u < -0.5f || u > (float)ow - 0.5f) {
            cols[x].a = -1;
            continue;
        }
        cols[x].a = clampi((int)floorf(u), 0, ow - 1);
        cols[x].b = clampi((int)floorf(u) + 1, 0, ow - 1);
        cols[x].w = u - floorf(u);
    }
    for (int y = y0; y < y1; y++) {
        float v = (((float)y + 0.5f) * gy - ry) / rh * (float)oh - 0.5f;
        if (v < -0.5f || v > (float)oh - 0.5f)
            continue;
        int va = clampi((int)floorf(v), 0, oh - 1), vb = clampi((int)floorf(v) + 1, 0, oh - 1);
        float wv = v - floorf(v);
        float *row = grid + (size_t)y * gw;
        uint8_t *lrow = l ? glabels + (size_t)y * gw : NULL;
        const float *ra = m + (size_t)va * ow, *rb = m + (size_t)vb * ow;
        for (int x = x0; x < x1; x++) {
            seg_grid_tap t = cols[x];
            if (t.a < 0)
                continue;
            float top = ra[t.a] + t.w * (ra[t.b] - ra[t.a]);
            float p = top + wv * (rb[t.a] + t.w * (rb[t.b] - rb[t.a]) - top);
            if (p > row[x]) {
                row[x] = p;
                if (lrow)
                    lrow[x] = l[(size_t)(wv < 0.5f ? va : vb) * ow + (t.w < 0.5f ? t.a : t.b)];
            }
        }
    }
}

/* A face at least SEG_CLOSEUP_FACE_SHARE of the frame's height makes the
 * frame a close-up: the whole frame goes to the model (its own domain, a
 * webcam portrait) instead of the people's regions. */

/* How often the detectors run. A file job's workers share their searches
 * (the board, seg_stages.h): search j >= 1 looks at stream frame
 * search_frame(j), every share_every frames (about a second of video), and
 * the worker whose frame that is posts what it found; every other worker
 * merges it SHARE_LAG frames later (4 of its own frames, by when the search
 * is done: 24 ms on one core of the 2-core VM), so the same frames always
 * get the same people. At 25 fps and more a search comes every SHARE_EVERY
 * frames, as when each of two workers searched every 12th of its own
 * frames, for half the detector runs (vtest.avi at 720p, with the first
 * search split: 120 runs -> 60), the evaluation set's scores unchanged
 * (BENCHMARKS.md, "Quality"). A worker alone searches every 12th frame. A
 * live job searches on a thread of each worker's own every 6th frame it
 * gets, so new people are picked up sooner. */
#define SHARE_EVERY 24
#define FIND_EVERY_LIVE 6

/* Frames from one shared search to the next: SHARE_EVERY (12 for a worker
 * alone) at 25 frames a second and more, fewer for a slower stream so that
 * the searches stay about a second apart (vtest.avi, 10 fps: every 10th
 * frame, not every 24th, 2.4 s, in which a walker crosses a third of the
 * frame), and at least 5 per worker (a search is merged 4 of a worker's
 * frames after it is made). */
static int64_t share_every(const seg_job *job)
{
    int workers = job->nworkers;
    int64_t every = workers == 1 ? 12 : SHARE_EVERY;
    const io_video_info *in = job->info;
    if (in && in->frame_rate_num > 0 && in->frame_rate_den > 0 &&
        (int64_t)in->frame_rate_num < 25LL * in->frame_rate_den)
        every = (every * in->frame_rate_num + 25LL * in->frame_rate_den / 2) /
                (25LL * in->frame_rate_den);
    /* A multiple of the workers, so that they take turns (search j is on
     * worker j mod nworkers: 23 at 24 fps would put every one on worker 0). */
    every = (every + workers / 2) / workers * workers;
    int64_t least = workers == 1 ? 2 : 5 * (int64_t)workers;
    return every > least ? every : least;
}

static int64_t share_lag(int workers)
{
    return 4 * workers;
}

/* The stream frame search j looks at (j >= 1): the workers take turns. */
static int64_t search_frame(const seg_worker *w, int64_t j)
{
    return j * w->share_every + j % w->job->nworkers;
}

/* Whether a shared search looks at stream frame @p pos. */
static int searches_on(const seg_worker *w, int64_t pos)
{
    int64_t j = pos / w->share_every;
    for (int64_t k = j > 1 ? j - 1 : 1; k <= j + 1; k++)
        if (search_frame(w, k) == pos)
            return 1;
    return 0;
}

/* A search looks at a square of the frame (side 0: the whole frame). */
typedef struct search_sq {
    int x, y, side;
    int tile;   /* it is the next tile in turn (advance w->next_tile) */
    int check;  /* it checks a person (next_search) */
    int motion; /* it is tile motion - 1, for what moves there (0: not) */
} search_sq;

/* A tile looked at for what moves is left out of that for the next
 * MOTION_REST searches (whatever moves there that the detector did not
 * take for a person, a flag or a car, does not take every turn). */
#define MOTION_REST 7

/* Where search @p j looks. The whole frame on even searches. On odd ones,
 * first the tile that holds most of what moves outside the people followed
 * (seg_motion.h: someone who walked in since; not on every fourth odd
 * search, so that traffic or trees that keep moving cannot stop the checks
 * and the tiles' turn: vtest.avi against its frames as pictures, 32
 * frames, 0.687 -> 0.680, at 720p 0.703 -> 0.689), then the person least
 * recently confirmed when no search has for two searches: a square of 1.5
 * times their region around them, where the detector sees them large
 * enough to confirm them, so that their region snaps back onto them
 * (between searches it follows their mask, which can spread onto a roof
 * behind them and drag the region along); otherwise the next tile in turn.
 * People that only a tile can see would otherwise be confirmed once a cycle
 * of tiles (2 x 36 searches at 720p). A check that does not find its person
 * does not drop them: the detector scores some people below its threshold
 * at some sizes (the evaluation set's basketball player), and dropping them
 * on that lost more than the drift (BENCHMARKS.md, "Quality"). */
static search_sq next_search(const seg_worker *w, int64_t j, int fw, int fh)
{
    search_sq q = {.side = 0};
    if (w->tiles.n == 0 || w->closeup || j % 2 == 0)
        return q;
    uint8_t busy[SEG_MAX_TILES];
    for (int k = 0; k < w->tiles.n; k++)
        busy[k] = w->motion_at[k] > 0 && j - (w->motion_at[k] - 1) <= MOTION_REST;
    int m = j % 8 == 7 ? -1
                       : seg_motion_tile(&w->motion, &w->tiles, w->tracks, w->ntracks, busy, NULL);
    if (m >= 0)
        return (search_sq){.x = w->tiles.x[m], .y = w->tiles.y[m], .side = w->tiles.side[m],
                           .motion = m + 1};
    int stale = -1;
    for (int k = 0; k < w->ntracks; k++)
        if (w->tracks[k].unconfirmed >= 2 &&
            (stale < 0 || w->tracks[k].unconfirmed > w->tracks[stale].unconfirmed))
            stale = k;
    if (stale < 0) {
        int t = w->next_tile;
        return (search_sq){.x = w->tiles.x[t], .y = w->tiles.y[t], .side = w->tiles.side[t],
                           .tile = 1};
    }
    const seg_person *p = &w->tracks[stale].p;
    int short_side = fw < fh ? fw : fh;
    int side = (int)(1.5f * p->roi_side);
    side = side < 224 ? 224 : side > short_side ? short_side : side;
    int x = (int)(p->roi_x + p->roi_side / 2) - side / 2;
    int y = (int)(p->roi_y + p->roi_side / 2) - side / 2;
    q.x = x < 0 ? 0 : x > fw - side ? fw - side : x;
    q.y = y < 0 ? 0 : y > fh - side ? fh - side : y;
    q.side = side;
    q.check = 1;
    return q;
}

/* Merge what a search of square @p q found into the worker's people. */
static void merge_search(seg_worker *w, int fw, int fh, search_sq q, const seg_person *found,
                         int n)
{
    if (q.side == 0) {
        seg_track_merge(w->tracks, &w->ntracks, SEG_MAX_PEOPLE, found, n, 0.0f);
        /* The whole frame's search is trusted to see people of half its
         * long side and more (a quarter dropped the evaluation set's
         * basketball player at half the frame's height, whom it scores
         * below 0.5 at that scale); a square's, those well inside it. */
        float long_side = (float)(fw > fh ? fw : fh);
        seg_track_missed(w->tracks, &w->ntracks, (float)(fw - long_side) / 2,
                         (float)(fh - long_side) / 2, long_side, 0.5f * long_side, 1e9f);
    } else {
        /* A tile's search starts following a person only from the
         * detector's tile score (seg_detect.c; the whole frame's: from its
         * threshold): zoomed in, the pose detector takes windows and roofs
         * for people at 0.5 to 0.66. */
        seg_track_merge(w->tracks, &w->ntracks, SEG_MAX_PEOPLE, found, n,
                        w->det.spec->tile_new_score);
        /* Found or not, a person stays after a check (next_search), and
         * after a look where something moves: such tiles come up often
         * (every other search in a street), and their misses dropped people
         * the detector scores low at a tile's zoom (the evaluation set's
         * several_leuven: IoU 0.853 -> 0.837 when they counted). */
        if (q.check || q.motion)
            return;
        seg_track_missed(w->tracks, &w->ntracks, (float)q.x, (float)q.y, (float)q.side, 0.0f,
                         0.75f * (float)q.side);
    }
}

/* --find pose in a live job: the searches run on the worker's searcher
 * thread (seg_stages.h), so no frame waits for the detectors; what a search
 * found is merged on the first frame after it is done. Searches take turns
 * between the whole frame and one tile, as in a file job (but no first
 * search of every tile). Until the first search is done, nobody is found. */
static void find_people_live(seg_worker *w, const seg_image *f, int *closeup)
{
    seg_searcher *q = &w->searcher;
    if (f->width != w->found_w || f->height != w->found_h) {
        seg_tiles_make(f->width, f->height, w->det.spec->size, &w->tiles);
        w->next_tile = 0;
        w->searches = 0;
        w->ntracks = 0;
        w->closeup = 0;
        memset(w->motion_at, 0, sizeof w->motion_at);
        w->found_w = f->width;
        w->found_h = f->height;
        w->since_found = -1;
    }
    seg_person found[SEG_MAX_PEOPLE];
    int n, cu, sw, sh;
    if (seg_searcher_take(q, found, &n, &cu, &sw, &sh) && sw == f->width && sh == f->height &&
        n >= 0) {
        if (q->tile_side == 0)
            w->closeup = cu;
        if (w->closeup)
            w->ntracks = 0;
        else
            merge_search(w, f->width, f->height,
                         (search_sq){.x = q->tile_x, .y = q->tile_y, .side = q->tile_side,
                                     .check = w->posted_check, .motion = w->posted_motion},
                         found, n);
        seg_track_age(w->tracks, &w->ntracks, w->tiles.n > 0 ? 2 * w->tiles.n + 1 : 1);
    }
    if (w->since_found < 0 || ++w->since_found >= FIND_EVERY_LIVE) {
        search_sq sq = next_search(w, w->searches, f->width, f->height);
        if (seg_searcher_post(q, f, sq.x, sq.y, sq.side, w->closeup)) {
            w->since_found = 0;
            w->searches++;
            w->posted_check = sq.check;
            w->posted_motion = sq.motion;
            if (sq.motion)
                w->motion_at[sq.motion - 1] = w->searches;
            if (sq.tile)
                w->next_tile = (w->next_tile + 1) % w->tiles.n;
        }
    }
    *closeup = w->closeup;
}

/* Search the square @p sq of @p f (side 0: the whole frame) with the
 * person detector and merge what it found into the worker's people; with
 * @p post, also into the post for the other workers. */
static int search_square(seg_worker *w, const seg_image *f, search_sq sq, seg_search_post *post)
{
    seg_person found[SEG_MAX_PEOPLE];
    int n = sq.side ? seg_detector_run_tile(&w->det, f, sq.x, sq.y, sq.side, found, SEG_MAX_PEOPLE)
                    : seg_detector_run(&w->det, f, found, SEG_MAX_PEOPLE);
    if (n < 0)
        return n;
    merge_search(w, f->width, f->height, sq, found, n);
    if (sq.tile)
        w->next_tile = (w->next_tile + 1) % w->tiles.n;
    if (post) {
        post->x = sq.x;
        post->y = sq.y;
        post->side = sq.side;
        post->tile = sq.tile;
        post->check = sq.check;
        post->motion = sq.motion;
        post->n = n;
        memcpy(post->people, found, (size_t)n * sizeof *found);
    }
    return SEG_OK;
}

/* A person only a square can see is kept for a cycle of tiles unconfirmed
 * (checks confirm them sooner: next_search). */
static void age_people(seg_worker *w)
{
    seg_track_age(w->tracks, &w->ntracks, w->tiles.n > 0 ? 2 * w->tiles.n + 1 : 1);
}

/* The face detector on the whole frame: is it a close-up (*closeup)? */
static int closeup_check(seg_worker *w, const seg_image *f, int *closeup)
{
    seg_person faces[SEG_MAX_PEOPLE];
    int n = seg_detector_run(&w->face, f, faces, SEG_MAX_PEOPLE);
    if (n < 0)
        return n;
    *closeup = seg_closeup_of(faces, n, f->height, w->closeup);
    return SEG_OK;
}

/* The first search's square @p s: the whole frame, then each tile. */
static search_sq first_square(const seg_worker *w, int s)
{
    if (s == 0)
        return (search_sq){.side = 0};
    return (search_sq){.x = w->tiles.x[s - 1], .y = w->tiles.y[s - 1],
                       .side = w->tiles.side[s - 1]};
}

/* A file job's first search (and the first after a change of size): the
 * whole frame and every tile, so people of any size are found from the
 * start. The job's first (@p shared, with several workers) is split: each
 * worker searches every nworkers-th square on its first frame (27 detector
 * runs at 720p, 0.65 s on one core, that all workers made before), waits
 * for the others' squares (the board) and merges all, in order, as if it
 * had searched them (one frame apart); squares a worker did not search
 * (its frame was a close-up or of another size; it had no frame) it
 * searches itself. */
static int first_search(seg_worker *w, const seg_image *f, int shared)
{
    int st, closeup;
    seg_board *b = w->board;
    seg_tiles_make(f->width, f->height, w->det.spec->size, &w->tiles);
    w->next_tile = 0;
    w->ntracks = 0;
    w->look_again = 0;
    memset(w->motion_at, 0, sizeof w->motion_at);
    w->found_w = f->width;
    w->found_h = f->height;
    int nsq = 1 + w->tiles.n, nw = w->job->nworkers;
    if ((st = closeup_check(w, f, &closeup)))
        return st;
    w->closeup = closeup;
    if (shared) {
        for (int s = w->id; !closeup && s < nsq; s += nw) {
            search_sq sq = first_square(w, s);
            seg_first_square *o = &b->first[s];
            o->n = sq.side ? seg_detector_run_tile(&w->det, f, sq.x, sq.y, sq.side, o->people,
                                                   SEG_MAX_PEOPLE)
                           : seg_detector_run(&w->det, f, o->people, SEG_MAX_PEOPLE);
            if (o->n < 0)
                return o->n;
        }
        seg_board_share(b, w->id, closeup ? SEG_SHARE_SKIPPED : SEG_SHARE_DONE, f->width,
                        f->height);
        if ((st = seg_board_shares_wait(b, w->job)))
            return st;
    }
    if (closeup)
        return SEG_OK;
    for (int s = 0; s < nsq; s++) {
        int by = s % nw;
        if (shared && b->share[by] == SEG_SHARE_DONE && b->share_w[by] == f->width &&
            b->share_h[by] == f->height)
            merge_search(w, f->width, f->height, first_square(w, s), b->first[s].people,
                         b->first[s].n);
        else if ((st = search_square(w, f, first_square(w, s), NULL)))
            return st;
    }
    age_people(w);
    w->look_again = w->ntracks == 0;
    return SEG_OK;
}

/* A first search that found nobody and no close-up may have looked at a
 * frame that shows nothing yet (Megamind.avi's first frame is black, and a
 * fade from black is common): until someone or a close-up is found, or the
 * first shared search is merged (stream frame ~25, merged ~8 frames later),
 * the worker looks again on each of its frames with the face detector and
 * the whole frame's search (2 detector runs; the tiles were all searched).
 * Before, a worker whose first frame was black left every frame it got
 * until then empty (every other frame of Megamind.avi, 0 to 33). It depends
 * only on the worker's own frames, so the masks stay the same from run to
 * run. */
static int look_again(seg_worker *w, const seg_image *f)
{
    int st, closeup;
    if (w->closeup || w->ntracks > 0 || w->next_j > 1) {
        w->look_again = 0;
        return SEG_OK;
    }
    if ((st = closeup_check(w, f, &closeup)))
        return st;
    w->closeup = closeup;
    if (!closeup) {
        if ((st = search_square(w, f, first_square(w, 0), NULL)))
            return st;
        age_people(w);
    }
    w->look_again = !closeup && w->ntracks == 0;
    return SEG_OK;
}

/* Search j of a file job, on this worker's frame: the face detector, then
 * (no close-up) the square next_search picks; posted for the others. */
static int shared_search(seg_worker *w, const seg_image *f, int64_t j)
{
    int st, closeup;
    seg_search_post post;
    memset(&post, 0, sizeof post);
    post.j = j;
    post.fw = f->width;
    post.fh = f->height;
    if ((st = closeup_check(w, f, &closeup)))
        return st;
    w->closeup = post.closeup = closeup;
    if (closeup) {
        w->ntracks = 0;
    } else {
        search_sq sq = next_search(w, j, f->width, f->height);
        if (sq.motion)
            w->motion_at[sq.motion - 1] = j + 1;
        if ((st = search_square(w, f, sq, &post)))
            return st;
        age_people(w);
    }
    return w->job->nworkers > 1 ? seg_board_post(w->board, w->job, &post) : SEG_OK;
}

/* Another worker's search (@p p) merged as if this worker had made it
 * (when the frames are of one size). */
static void merge_post(seg_worker *w, const seg_image *f, const seg_search_post *p)
{
    if (p->fw != f->width || p->fh != f->height || p->n < 0)
        return;
    w->closeup = p->closeup;
    if (p->closeup) {
        w->ntracks = 0;
        return;
    }
    merge_search(w, f->width, f->height,
                 (search_sq){.x = p->x, .y = p->y, .side = p->side, .tile = p->tile,
                             .check = p->check, .motion = p->motion},
                 p->people, p->n);
    if (p->tile && w->tiles.n > 0)
        w->next_tile = (w->next_tile + 1) % w->tiles.n;
    if (p->motion > 0 && p->motion <= w->tiles.n)
        w->motion_at[p->motion - 1] = p->j + 1;
    age_people(w);
}

/* Frame @p f into the worker's luma grid (seg_motion.h); a failure says so. */
static int motion_add(seg_worker *w, const seg_image *f)
{
    int st = seg_motion_add(&w->motion, f);
    if (st)
        seg_job_fail(w->job, st, SEG_WHERE_OTHER, "out of memory for a %dx%d frame's motion grid",
                     f->width, f->height);
    return st;
}

/* --find pose, first step: a close-up (a large face; *closeup = 1), or the
 * people, searched for now and then and followed in between (w->tracks). */
static int find_people(seg_worker *w, const seg_image *f, int *closeup)
{
    seg_job *job = w->job;
    int key = 1 + 2 * (int)f->matrix + (f->full_range ? 1 : 0);
    if (f->format == SEG_PIX_YUV420P && key != w->frame_key) {
        seg_yuv_tables_init(&w->frame_tab, f->matrix, f->full_range);
        w->frame_key = key;
    }
    int st;
    if (job->live) {
        if ((st = motion_add(w, f)))
            return st;
        find_people_live(w, f, closeup);
        return SEG_OK;
    }
    /* A file job's frames go to the workers in turn (seg_decoder.c). */
    int nw = job->nworkers;
    int64_t pos = w->nframes++ * nw + w->id;
    /* Its luma grid on the frame it searches and on its frame before. */
    if ((searches_on(w, pos) || searches_on(w, pos + nw)) && (st = motion_add(w, f)))
        return st;
    int first = f->width != w->found_w || f->height != w->found_h;
    if (first && (st = first_search(w, f, nw > 1 && pos < nw)))
        return st;
    /* The others' searches due by now, in order. */
    for (;;) {
        int64_t at = search_frame(w, w->next_j);
        if (at % nw == w->id || at + share_lag(nw) > pos)
            break;
        seg_search_post p;
        if ((st = seg_board_take(w->board, job, w->next_j, &p)))
            return st;
        merge_post(w, f, &p);
        w->next_j++;
    }
    /* Its own, on this frame (after a first search: posted empty). */
    if (search_frame(w, w->next_j) == pos) {
        if (!first) {
            st = shared_search(w, f, w->next_j);
        } else if (nw > 1) {
            seg_search_post none = {.j = w->next_j, .n = -1};
            st = seg_board_post(w->board, job, &none);
        }
        if (st)
            return st;
        w->next_j++;
    } else if (w->look_again && !first && (st = look_again(w, f))) {
        return st;
    }
    *closeup = w->closeup;
    return SEG_OK;
}

/* Regions merge while their union is at most MERGE_GROWTH times the
 * larger, and the smaller is at least MERGE_MIN_RATIO of the larger (a
 * small person inside a large region would be segmented at too coarse a
 * scale); or while the union is at most MERGE_FAR_SCALE times the model's
 * input, where nobody is scaled down by more than that (people far away,
 * e.g. walkers of 100 pixels in a 720p street: one model run for a group
 * instead of one each). */
#define MERGE_GROWTH 1.3f
#define MERGE_MIN_RATIO 0.5f
#define MERGE_FAR_SCALE 1.25f

/* Segment the frame's region rx, ry, rw x rh with @p nn (an instance of
 * @p sm) at its input size and paste its mask into @p grid, a grid of the
 * slot's size (its first @p rows rows), and its labels into the slot's
 * (@p labels set, with --instances or a multi-class model); the model-size
 * mask stays in w->raw_mask (and labels in w->raw_labels). */
static int segment_region(seg_worker *w, seg_slot *s, float *grid, int labels, nn_model *nn,
                          const seg_model *sm, float lut[3][256], float rx, float ry, float rw,
                          float rh, int rows)
{
    seg_job *job = w->job;
    const seg_image *f = &s->image;
    nn_shape in = sm->in, out = sm->out;
    int st;
    seg_sample_rgb(f, &w->frame_tab, rx, ry, rw / (float)in.w, rh / (float)in.h, in.w, in.h, -1,
                   lut, nn_model_input(nn));
    if ((st = nn_model_run(nn)))
        return st;
    seg_model_mask(sm, nn_model_output(nn), w->raw_mask, job->multiclass ? w->raw_labels : NULL,
                   job->overlay_labels && job->multiclass ? SEG_MASK_ANY_CLASS
                                                          : SEG_MASK_FOREGROUND);
    if (job->instances) /* the region's number where its mask wins */
        memset(w->raw_labels, w->region_id, (size_t)out.w * out.h);
    if (w->paste_cap < (size_t)s->mask_w) {
        free(w->paste_cols);
        w->paste_cols = malloc((size_t)s->mask_w * sizeof *w->paste_cols);
        w->paste_cap = w->paste_cols ? (size_t)s->mask_w : 0;
        if (!w->paste_cols) {
            seg_job_fail(job, SEG_ERR_NOMEM, SEG_WHERE_OTHER, "out of memory for a mask grid");
            return SEG_ERR_NOMEM;
        }
    }
    paste_region(w->raw_mask, labels && (job->multiclass || job->instances) ? w->raw_labels : NULL,
                 out.w, out.h, rx, ry, rw, rh, f->width, f->height, rows, grid, s->labels,
                 s->mask_w, s->mask_h, w->paste_cols);
    return SEG_OK;
}

/* Close-ups: the landscape close-up model loses dark hair against dark
 * surroundings (the evaluation set's closeup_megamind_a: a woman's dark
 * up-do against a dark chair back, alpha 0-0.3, 8.3 % of her interior
 * see-through); the general model keeps it, but takes in half of a building
 * behind another close-up (closeup_woman_home). So the general model's mask
 * is taken where the frame is dark (luma below HAIR_DARK of 255), within
 * HAIR_NEAR of the frame's height of the close-up model's person (alpha
 * 0.5 and up) and in the upper half of that person's rows, the larger of
 * the two there. Measured on the four close-ups (BENCHMARKS.md, "Quality"):
 * at 6 % of the height the up-do is not all reached, at 12 % and with a
 * luma of 70 more of the building comes in. */
#define HAIR_DARK 50
#define HAIR_NEAR 0.09f

/* Cells of a row of @p n within @p r of a set cell of @p in, into @p out,
 * by running counts (@p cnt: n + 1 of them). */
static void dilate_row(const uint8_t *in, uint8_t *out, int n, int r, int *cnt)
{
    cnt[0] = 0;
    for (int i = 0; i < n; i++)
        cnt[i + 1] = cnt[i] + (in[i] != 0);
    for (int i = 0; i < n; i++) {
        int lo = i - r < 0 ? 0 : i - r, hi = i + r + 1 > n ? n : i + r + 1;
        out[i] = cnt[hi] > cnt[lo];
    }
}

/* Cells of a gw x gh grid within @p r rows of a set cell of @p in, into
 * @p out: a window of rows slid down, a count per column (@p cnt, gw). */
static void dilate_columns(const uint8_t *in, uint8_t *out, int gw, int gh, int r, int *cnt)
{
    memset(cnt, 0, (size_t)gw * sizeof *cnt);
    for (int y = 0; y <= r && y < gh; y++)
        for (int x = 0; x < gw; x++)
            cnt[x] += in[(size_t)y * gw + x];
    for (int y = 0; y < gh; y++) {
        uint8_t *o = out + (size_t)y * gw;
        for (int x = 0; x < gw; x++)
            o[x] = cnt[x] > 0;
        if (y + r + 1 < gh)
            for (int x = 0; x < gw; x++)
                cnt[x] += in[(size_t)(y + r + 1) * gw + x];
        if (y - r >= 0)
            for (int x = 0; x < gw; x++)
                cnt[x] -= in[(size_t)(y - r) * gw + x];
    }
}

/* The frame's luma (0..255, full range) averaged over frame columns
 * x0..x1-1 of rows y0..y1-1 (a grid cell). */
static int cell_luma(const seg_image *f, int x0, int x1, int y0, int y1)
{
    long sum = 0;
    int yuv = f->format == SEG_PIX_YUV420P;
    for (int v = y0; v < y1; v++) {
        const uint8_t *row = f->data + (size_t)v * f->stride;
        if (yuv)
            for (int u = x0; u < x1; u++)
                sum += row[u];
        else
            for (int u = x0; u < x1; u++)
                sum += (77 * row[3 * u] + 150 * row[3 * u + 1] + 29 * row[3 * u + 2]) >> 8;
    }
    int l = (int)(sum / ((long)(x1 - x0) * (y1 - y0)));
    if (f->format == SEG_PIX_YUV420P && !f->full_range)
        l = (l - 16) * 255 / 219;
    return l;
}

/* A close-up's mask (the slot's, from the close-up model) given the dark
 * hair the general model sees near the person (HAIR_DARK). */
static int keep_dark_hair(seg_worker *w, seg_slot *s)
{
    seg_job *job = w->job;
    const seg_image *f = &s->image;
    int gw = s->mask_w, gh = s->mask_h, st;
    size_t n = (size_t)gw * gh;
    if (w->hair_cap < n) {
        free(w->hair_grid);
        free(w->hair_near);
        free(w->hair_cnt);
        w->hair_grid = malloc(n * sizeof(float));
        w->hair_near = malloc(2 * n);
        w->hair_cnt = malloc(((size_t)(gw > gh ? gw : gh) + 1) * sizeof(int));
        w->hair_cap = w->hair_grid && w->hair_near && w->hair_cnt ? n : 0;
        if (!w->hair_cap) {
            seg_job_fail(job, SEG_ERR_NOMEM, SEG_WHERE_OTHER, "out of memory for a %dx%d mask",
                         gw, gh);
            return SEG_ERR_NOMEM;
        }
    }
    /* Near the person: a square window of 2r + 1 cells, rows (person ->
     * rows) then columns (rows -> near). */
    uint8_t *near = w->hair_near, *rows = w->hair_near + n;
    int top = gh, bottom = -1;
    for (int y = 0; y < gh; y++) {
        const float *mrow = s->mask + (size_t)y * gw;
        uint8_t *nrow = near + (size_t)y * gw;
        int any = 0;
        for (int x = 0; x < gw; x++)
            any |= nrow[x] = mrow[x] >= 0.5f;
        if (any) {
            top = y < top ? y : top;
            bottom = y;
        }
    }
    /* Only the upper half of the person's rows is looked at (below). */
    int r = (int)ceilf(HAIR_NEAR * (float)gh), mid = (top + bottom + 1) / 2;
    int used = mid + r + 1 < gh ? mid + r + 1 : gh;
    for (int y = 0; y < used; y++)
        dilate_row(near + (size_t)y * gw, rows + (size_t)y * gw, gw, r, w->hair_cnt);
    dilate_columns(rows, near, gw, used, r, w->hair_cnt);
    /* The general model on the whole frame, into hair_grid's first mid
     * rows. */
    float *mask = s->mask;
    memset(w->hair_grid, 0, (size_t)mid * gw * sizeof(float));
    st = segment_region(w, s, w->hair_grid, 0, w->nn, w->model, job->luts[w->cur], 0, 0,
                        (float)f->width, (float)f->height, mid);
    if (st)
        return st;
    /* Hair is in the upper half of the person (below, the rescue took in a
     * dark booth beside the woman's arm). */
    int *xs = w->hair_cnt; /* each cell column's first frame column (gw + 1) */
    for (int x = 0; x <= gw; x++)
        xs[x] = (int)((int64_t)x * f->width / gw);
    for (int y = 0; y < mid; y++) {
        int y0 = (int)((int64_t)y * f->height / gh), y1 = (int)((int64_t)(y + 1) * f->height / gh);
        y1 = y1 > y0 ? y1 : y0 + 1;
        for (int x = 0; x < gw; x++) {
            size_t i = (size_t)y * gw + x;
            if (near[i] && w->hair_grid[i] > mask[i] &&
                cell_luma(f, xs[x], xs[x + 1] > xs[x] ? xs[x + 1] : xs[x] + 1, y0, y1) <
                    HAIR_DARK)
                mask[i] = w->hair_grid[i];
        }
    }
    return SEG_OK;
}

/* --find pose, second step: segment each person's region at the model's
 * size and paste the masks into the slot's grid (nobody: an empty mask);
 * for a close-up (@p closeup), the whole frame with the close-up model. */
static int infer_regions(seg_worker *w, seg_slot *s, int closeup)
{
    seg_job *job = w->job;
    const seg_image *f = &s->image;
    int st, fw = f->width, fh = f->height;
    int gw, gh;
    seg_region_grid(fw, fh, &gw, &gh);
    if ((st = slot_mask_room(job, s, (size_t)gw * gh))) {
        seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for a %dx%d mask", gw, gh);
        return st;
    }
    s->mask_w = gw;
    s->mask_h = gh;
    memset(s->mask, 0, (size_t)gw * gh * sizeof(float));
    if (job->multiclass || job->instances)
        memset(s->labels, 0, (size_t)gw * gh);
    if (closeup) {
        w->ntracks = 0;
        w->region_id = 1;
        if ((st = segment_region(w, s, s->mask, 1, w->cnn, job->closeup, job->closeup_lut, 0, 0,
                                 (float)fw, (float)fh, gh)))
            return st;
        /* Dark hair (keep_dark_hair), for a one-class model other than the
         * close-up model. */
        return job->multiclass || w->model == job->closeup ? SEG_OK : keep_dark_hair(w, s);
    }
    nn_shape in = job->in_shape, out = job->out_shape;
    /* People close together share one region: a square around both, when
     * it is at most MERGE_GROWTH times the larger one's side or at most
     * MERGE_FAR_SCALE times the model's input (one model run instead of
     * two). */
    float reg[SEG_MAX_PEOPLE][3]; /* x, y, side */
    int nreg = 0;
    for (int i = 0; i < w->ntracks; i++) {
        const seg_person *p = &w->tracks[i].p;
        float x = p->roi_x, y = p->roi_y, side = p->roi_side;
        int merged = 0;
        for (int r = 0; r < nreg && !merged; r++) {
            float ux0 = fminf(x, reg[r][0]), uy0 = fminf(y, reg[r][1]);
            float ux1 = fmaxf(x + side, reg[r][0] + reg[r][2]);
            float uy1 = fmaxf(y + side, reg[r][1] + reg[r][2]);
            float us = fmaxf(ux1 - ux0, uy1 - uy0);
            if (us <= MERGE_FAR_SCALE * (float)in.w ||
                (us <= MERGE_GROWTH * fmaxf(side, reg[r][2]) &&
                 fminf(side, reg[r][2]) >= MERGE_MIN_RATIO * fmaxf(side, reg[r][2]))) {
                reg[r][0] = (ux0 + ux1 - us) / 2;
                reg[r][1] = (uy0 + uy1 - us) / 2;
                reg[r][2] = us;
                merged = 1;
            }
        }
        if (!merged) {
            reg[nreg][0] = x;
            reg[nreg][1] = y;
            reg[nreg][2] = side;
            nreg++;
        }
    }
    /* --instances: the regions numbered from left to right, so that both
     * workers (each following the people on its own) give a person the
     * same number while nobody overtakes them. */
    for (int r = 1; r < nreg; r++)
        for (int q = r; q > 0 && reg[q][0] + reg[q][2] / 2 < reg[q - 1][0] + reg[q - 1][2] / 2;
             q--)
            for (int c = 0; c < 3; c++) {
                float t = reg[q][c];
                reg[q][c] = reg[q - 1][c];
                reg[q - 1][c] = t;
            }
    unsigned char alive[SEG_MAX_PEOPLE]; /* 0 not followed, 1 lost, 2 followed */
    memset(alive, 0, sizeof alive);
    for (int r = 0; r < nreg; r++) {
        w->region_id = r + 1;
        /* The region at the model's aspect, centred on the people's. */
        float rw = reg[r][2], rh = reg[r][2] * (float)in.h / (float)in.w;
        float rx = reg[r][0], ry = reg[r][1] + (reg[r][2] - rh) / 2;
        if ((st = segment_region(w, s, s->mask, 1, w->nn, job->model, job->lut, rx, ry, rw, rh,
                                 gh)))
            return st;
        /* Follow each person in this region to the next frame. */
        for (int i = 0; i < w->ntracks; i++) {
            const seg_person *p = &w->tracks[i].p;
            float cx = p->roi_x + p->roi_side / 2, cy = p->roi_y + p->roi_side / 2;
            if (alive[i] || cx < rx || cx >= rx + rw || cy < ry || cy >= ry + rh)
                continue;
            alive[i] = 1 + (seg_track_follow(&w->tracks[i], w->raw_mask, out.w, out.h, rx, ry,
                                             rw, rh) == 0);
        }
    }
    /* Gone when its mask is. */
    int k = 0;
    for (int i = 0; i < w->ntracks; i++)
        if (alive[i] != 1)
            w->tracks[k++] = w->tracks[i];
    w->ntracks = k;
    seg_track_dedup(w->tracks, &w->ntracks);
    return SEG_OK;
}

/* The window's M key: the model the renderer picked (acquire: pairs with
 * the release store in the renderer; the models themselves were made
 * before the threads started). The switch is this worker's own instance of
 * it, a model-size frame of its input size and a new scaler (at the next
 * convert_frame), between two frames: nothing waits and no frame is lost.
 * A failure is recorded. */
static int follow_model_pick(seg_worker *w)
{
    seg_job *job = w->job;
    int want = atomic_load_explicit(&job->model_pick, memory_order_acquire);
    if (want == w->cur || want < 0 || want >= job->nmodels)
        return SEG_OK;
    const seg_model *m = job->models[want];
    if (m->in.w != w->small.width || m->in.h != w->small.height) {
        seg_pixfmt f = w->small.format;
        seg_image_free(&w->small);
        int st = seg_image_alloc(&w->small, m->in.w, m->in.h, f);
        if (st) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for model %d's input",
                         want + 1);
            return st;
        }
    }
    w->cur = want;
    w->model = m;
    w->nn = w->nns[want];
    w->scaler_w = w->scaler_h = -1; /* a new geometry and scaler at the next frame */
    return SEG_OK;
}

/* Where frame pixel i of n falls on a grid of g stretched over the frame:
 * the two grid cells and the weight of the second (bilinear, centres
 * aligned, clamped at the edges). */
static seg_grid_tap tap_of(int i, int n, int g)
{
    float u = ((float)i + 0.5f) * (float)g / (float)n - 0.5f;
    u = u < 0.0f ? 0.0f : u > (float)(g - 1) ? (float)(g - 1) : u;
    seg_grid_tap t = {(int)u, 0, 0.0f};
    t.b = t.a + 1 < g ? t.a + 1 : t.a;
    t.w = u - (float)t.a;
    return t;
}

/* Grid row @p gy of the four planes (alpha, then the colour's three) made
 * frame-wide (w->fg_cols' taps) into cache slot @p k, unless it is there. */
static void fg_row(seg_worker *w, int k, int gy, int ow, int fw)
{
    if (w->fg_row_of[k] == gy)
        return; /* already there */
    w->fg_row_of[k] = gy;
    for (int c = 0; c < 4; c++) {
        const float *g = w->fg_grid + ((size_t)c * w->fg_grid_h + (size_t)gy) * ow;
        float *o = w->fg_rows + ((size_t)k * 4 + (size_t)c) * fw;
        for (int x = 0; x < fw; x++) {
            seg_grid_tap t = w->fg_cols[x];
            o[x] = g[t.a] + t.w * (g[t.b] - g[t.a]);
        }
    }
}

/* A matting model's foreground colour (RobustVideoMatting's fgr, 0..1 RGB,
 * ow x oh like its alpha @p pha) into the frame where the alpha is: the
 * compositor then blends fgr * alpha + background * (1 - alpha), the
 * matte's own colour at soft edges and hair instead of the frame's mix of
 * person and old background. Below alpha 0.1 the frame's colour is kept
 * in part (the model's colour there is unreliable and the frame shows in
 * overlay). A grid stretched over the whole frame: the model's output
 * (--fit stretch) or placed on the frame (place_foreground). The
 * colours are made the frame's own (bytes of R'G'B', or Y'CbCr by its
 * matrix and range, seg_rgb_to_yuv's arithmetic) once per grid cell, into
 * planes; then bilinear, separably: each grid row widened to the frame
 * once (two kept), each frame row a blend of two of them. 4:2:0 chroma
 * from each 2x2 block's first pixel. */
#define FGR_FULL_ALPHA 0.1f
static int paint_foreground(seg_worker *w, seg_image *f, const float *pha, const float *fgr,
                            int ow, int oh)
{
    int fw = f->width, fh = f->height, yuv = f->format != SEG_PIX_RGB24;
    size_t cells = (size_t)ow * oh;
    if (cells * 4 > w->fg_cap || (size_t)fw > w->fg_cols_cap) {
        free(w->fg_grid);
        free(w->fg_cols);
        free(w->fg_rows);
        w->fg_cap = cells * 4;
        w->fg_cols_cap = (size_t)fw;
        w->fg_grid = malloc(w->fg_cap * sizeof(float));
        w->fg_cols = malloc(w->fg_cols_cap * sizeof(seg_grid_tap));
        w->fg_rows = malloc((size_t)fw * 9 * sizeof(float)); /* 2 x 4 rows and the blend */
        if (!w->fg_grid || !w->fg_cols || !w->fg_rows) {
            w->fg_cap = w->fg_cols_cap = 0;
            return SEG_ERR_NOMEM;
        }
    }
    double kr, kb;
    seg_yuv_matrix_k(f->matrix, &kr, &kb);
    float full = f->full_range ? 1.0f : 0.0f;
    float ys = full ? 255.0f : 219.0f, yo = full ? 0.0f : 16.0f, cs = full ? 255.0f : 224.0f;
    float Kr = (float)kr, Kb = (float)kb, Kg = 1.0f - Kr - Kb;
    float *plane[4];
    for (int c = 0; c < 4; c++)
        plane[c] = w->fg_grid + (size_t)c * cells;
    for (size_t i = 0; i < cells; i++) {
        float c[3];
        for (int k = 0; k < 3; k++) {
            float v = fgr[i * 3 + k];
            c[k] = v <= 0.0f ? 0.0f : v >= 1.0f ? 1.0f : v;
        }
        plane[0][i] = pha[i];
        if (!yuv) {
            for (int k = 0; k < 3; k++)
                plane[k + 1][i] = 255.0f * c[k];
            continue;
        }
        float l = Kr * c[0] + Kg * c[1] + Kb * c[2];
        plane[1][i] = yo + ys * l;
        plane[2][i] = 128.0f + cs * 0.5f * (c[2] - l) / (1.0f - Kb);
        plane[3][i] = 128.0f + cs * 0.5f * (c[0] - l) / (1.0f - Kr);
    }
    w->fg_grid_h = oh;
    for (int x = 0; x < fw; x++)
        w->fg_cols[x] = tap_of(x, fw, ow);
    w->fg_row_of[0] = w->fg_row_of[1] = -1;
    float *t = w->fg_rows + (size_t)fw * 8; /* the row's blend weights */
    for (int y = 0; y < fh; y++) {
        seg_grid_tap ty = tap_of(y, fh, oh);
        /* slot 0 and 1 hold grid rows a and b (rows only move down) */
        if (w->fg_row_of[1] == ty.a) {
            float *tmp = w->fg_rows;
            memcpy(tmp, tmp + (size_t)fw * 4, (size_t)fw * 4 * sizeof(float));
            w->fg_row_of[0] = ty.a;
            w->fg_row_of[1] = -1;
        }
        fg_row(w, 0, ty.a, ow, fw);
        fg_row(w, 1, ty.b, ow, fw);
        const float *r0 = w->fg_rows, *r1 = w->fg_rows + (size_t)fw * 4;
        for (int x = 0; x < fw; x++) { /* full from FGR_FULL_ALPHA up, none below 1/255 of it */
            float a = r0[x] + ty.w * (r1[x] - r0[x]);
            t[x] = !(a > FGR_FULL_ALPHA / 255.0f) ? 0.0f
                 : a >= FGR_FULL_ALPHA ? 1.0f : a * (1.0f / FGR_FULL_ALPHA);
        }
        uint8_t *row = f->data + (size_t)y * f->stride;
        int planes = yuv ? 1 : 3, step = yuv ? 1 : 3;
        for (int k = 0; k < planes; k++) {
            const float *p0 = r0 + (size_t)(k + 1) * fw, *p1 = r1 + (size_t)(k + 1) * fw;
            for (int x = 0; x < fw; x++) {
                float c = p0[x] + ty.w * (p1[x] - p0[x]);
                uint8_t *p = row + (size_t)x * step + k;
                *p = (uint8_t)((float)*p + t[x] * (c - (float)*p) + 0.5f);
            }
        }
        if (!yuv || (y & 1))
            continue;
        uint8_t *ch[2] = {f->cb + (size_t)(y / 2) * f->cstride, f->cr + (size_t)(y / 2) * f->cstride};
        for (int k = 0; k < 2; k++) {
            const float *p0 = r0 + (size_t)(k + 2) * fw, *p1 = r1 + (size_t)(k + 2) * fw;
            for (int x = 0; x < fw; x += 2) {
                float c = p0[x] + ty.w * (p1[x] - p0[x]);
                uint8_t *p = ch[k] + x / 2;
                *p = (uint8_t)((float)*p + t[x] * (c - (float)*p) + 0.5f);
            }
        }
    }
    return SEG_OK;
}

/* --fit letterbox or crop: a matting model's colour (ow x oh, RGB
 * interleaved) on the mask grid (mask_w x mask_h) cell for cell as
 * seg_fit_place_mask puts its alpha (the bars cut away; a crop at
 * (mx, my)), into *out. Outside a crop, where the alpha is 0, the colour
 * of the crop's nearest edge: the bilinear painting of the last cells
 * inside then blends no black in. */
static int place_foreground(seg_worker *w, const float *fgr, int ow, int oh, const float **out)
{
    const seg_fit_geom *g = &w->geom;
    size_t need = (size_t)g->mask_w * g->mask_h * 3;
    if (need > w->fg_place_cap) {
        free(w->fg_place);
        w->fg_place = malloc(need * sizeof(float));
        w->fg_place_cap = w->fg_place ? need : 0;
        if (!w->fg_place)
            return SEG_ERR_NOMEM;
    }
    int crop = g->fit != SEG_FIT_LETTERBOX;
    int dx = crop ? -g->mx : g->mx, dy = crop ? -g->my : g->my;
    float *rgb = w->fg_place;
    for (int y = 0; y < g->mask_h; y++) {
        int sy = clampi(y + dy, 0, oh - 1);
        for (int x = 0; x < g->mask_w; x++) {
            const float *src = fgr + ((size_t)sy * ow + (size_t)clampi(x + dx, 0, ow - 1)) * 3;
            float *d = rgb + ((size_t)y * g->mask_w + x) * 3;
            d[0] = src[0];
            d[1] = src[1];
            d[2] = src[2];
        }
    }
    *out = rgb;
    return SEG_OK;
}

/* Scale, normalise, infer, mask: the whole frame (as --fit says), or with
 * --find pose the people's regions (the whole frame for a close-up).
 * SEG_ERR_INTERRUPTED (not recorded) when a stop ended an inference early. */
static int infer_frame(seg_worker *w, seg_slot *s)
{
    seg_job *job = w->job;
    int st = SEG_OK, whole = 1;
    if ((st = follow_model_pick(w)))
        return st;
    s->model = w->cur;
    /* A model with state (one worker, frames in order) starts over when a
     * frame was lost (live) or the model changed. */
    if (nn_model_state_count(w->nn) > 0) {
        if (s->image.index != w->state_next || w->cur != w->state_model)
            nn_model_state_reset(w->nn);
        w->state_next = s->image.index + 1;
        w->state_model = w->cur;
    }
    double ta = seg_clock_ms(), tb = ta;
    const seg_fit_geom *g = &w->geom;
    int cw = 0, ch = 0, shrink = 0;
    if (job->detector) {
        /* Finding people, sampling and pasting count as inference. */
        /* A landscape close-up goes whole to the close-up model. */
        int by_closeup = job->closeup && s->image.width >= s->image.height;
        if (!(st = find_people(w, &s->image, &whole)) && (!whole || by_closeup)) {
            st = infer_regions(w, s, whole);
            whole = 0;
        }
    }
    if (!st && whole) {
        if ((st = convert_frame(w, s)))
            return st;
        /* (The geometry is the frame's now.) A stretched output far larger
         * than the frame is shrunk to it. */
        cw = g->mask_w;
        ch = g->mask_h;
        shrink = g->fit == SEG_FIT_STRETCH &&
                 seg_mask_clamp(g->mask_w, g->mask_h, s->image.width, s->image.height, &cw, &ch);
        if ((st = slot_mask_room(job, s, (size_t)cw * ch)) || (shrink && (st = raw_mask_room(w)))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for a %dx%d mask", g->mask_w,
                         g->mask_h);
            return st;
        }
        if (!job->detector)
            tb = seg_clock_ms();
        st = nn_model_run(w->nn);
    }
    if (st) {
        if (st == SEG_ERR_INTERRUPTED && seg_job_stopping(job))
            return st;
        seg_job_fail(job, st, SEG_WHERE_OTHER, "inference failed: %s", seg_status_str(st));
        return st;
    }
    if (whole) {
        int direct = g->fit == SEG_FIT_STRETCH && !shrink;
        float *m = direct ? s->mask : w->raw_mask;
        uint8_t *l = !job->multiclass ? NULL : direct ? s->labels : w->raw_labels;
        seg_model_mask(w->model, nn_model_output(w->nn), m, l,
                       job->overlay_labels ? SEG_MASK_ANY_CLASS : SEG_MASK_FOREGROUND);
        if (w->model->fgr >= 0 && g->fit == SEG_FIT_STRETCH &&
            (st = paint_foreground(w, &s->image, m, nn_model_output_k(w->nn, w->model->fgr),
                                   w->model->out.w, w->model->out.h))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for the foreground colour");
            return st;
        }
        if (shrink)
            shrink_mask(m, l, w->model->out.w, w->model->out.h, s->mask, l ? s->labels : NULL,
                        cw, ch);
        else if (!direct)
            seg_fit_place_mask(g, w->model->out.w, w->model->out.h, m, l, s->mask, s->labels);
        const float *placed;
        if (w->model->fgr >= 0 && g->fit != SEG_FIT_STRETCH &&
            ((st = place_foreground(w, nn_model_output_k(w->nn, w->model->fgr),
                                    w->model->out.w, w->model->out.h, &placed)) ||
             (st = paint_foreground(w, &s->image, s->mask, placed, g->mask_w, g->mask_h)))) {
            seg_job_fail(job, st, SEG_WHERE_OTHER, "out of memory for the foreground colour");
            return st;
        }
        s->mask_w = shrink ? cw : g->mask_w;
        s->mask_h = shrink ? ch : g->mask_h;
    }
    if (job->cfg->infer_delay_us > 0)
        seg_sleep_us(job->cfg->infer_delay_us);
    double tc = seg_clock_ms();
    seg_times_add(&w->convert_times, tb - ta);
    seg_times_add(&w->infer_times, tc - tb);
    s->infer_ms = tc - tb;
    return SEG_OK;
}

/* ==== the thread ========================================================== */

void *seg_worker_main(void *arg)
{
    seg_worker *w = arg;
    seg_job *job = w->job;
    char name[16];
    snprintf(name, sizeof name, "seg-infer%d", w->id);
    pthread_setname_np(pthread_self(), name);
    int status = SEG_OK, end_status = SEG_EOF;
    if (job->live && job->detector && seg_searcher_start(&w->searcher, w) != SEG_OK) {
        seg_job_fail(job, SEG_ERR_NOMEM, SEG_WHERE_OTHER, "cannot start a search thread");
        status = SEG_ERR_NOMEM;
    }

    for (;;) {
        seg_slot *s = seg_pop_wait(job->frames[w->id]), *pending_end = NULL;
        if (s->kind == SEG_MSG_END) {
            end_status = s->status;
            break;
        }
        if (job->live) {
            /* Skip to the newest frame waiting; older ones go back. */
            void *n;
            while (seg_ring_try_pop(job->frames[w->id], &n) == SEG_OK) {
                seg_slot *ns = n;
                if (ns->kind == SEG_MSG_END) {
                    pending_end = ns;
                    break;
                }
                seg_give_back(job, job->skipped[w->id], s);
                if (!seg_job_stopping(job)) { /* after a stop nothing counts */
                    w->dropped++;
                    atomic_fetch_add_explicit(&job->progress_dropped, 1, memory_order_relaxed);
                }
                s = ns;
            }
        }
        /* After a failure or a stop, only drain. */
        if (status != SEG_OK || seg_job_stopping(job) || (status = infer_frame(w, s)) != SEG_OK) {
            if (status == SEG_ERR_INTERRUPTED)
                status = SEG_OK; /* a stop, not a failure: drain */
            seg_give_back(job, job->skipped[w->id], s);
        } else {
            (void)seg_push_wait(job, job->results[w->id], s, 0); /* the renderer drains */
            seg_depth_add(&w->results_depth, seg_ring_size(job->results[w->id]));
        }
        if (pending_end) {
            end_status = pending_end->status;
            break;
        }
    }
    seg_searcher_stop(&w->searcher);
    /* No frame came for its share of the first search: the others do it. */
    seg_board_share(w->board, w->id, SEG_SHARE_GONE, 0, 0);
    w->end.kind = SEG_MSG_END;
    w->end.status = status != SEG_OK ? status : end_status;
    (void)seg_push_wait(job, job->results[w->id], &w->end, 0);
    return NULL;
}
