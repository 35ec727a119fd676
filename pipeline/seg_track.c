/* seg_track.c - see seg_track.h. */
#include "seg_track.h"

#include <math.h>
#include <string.h>

#define MATCH_IOU 0.3f
/* A region whose mask covers less than this share of it has lost its person. */
#define MIN_MASK_SHARE 0.002f
/* Region side = this times the mask's height (the detector's region of a
 * standing person: 2.5 x hip-to-head, i.e. about 1.25 body heights). */
#define SIDE_PER_HEIGHT 1.25f
/* A detection that confirms a person grows their region by at most this
 * (it may shrink it at will): the pose detector's regions of one person
 * vary from 420 to 680 px between searches (the evaluation set's basketball
 * player at half the frame's height), and a region grown onto the house
 * behind them lets their mask spread onto it. Half-height clips: IoU 0.82
 * without the limit, 0.85 with it (BENCHMARKS.md, "Quality"). */
#define CONFIRM_GROWTH 1.15f
/* How fast the side follows the mask (per segmented frame). */
#define SIDE_EASE 0.3f

static int ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

/* One zoom level: squares of @p side (at least @p least, the detector's input)
 * overlapping by a quarter at least, spread evenly from edge to edge, at
 * most @p max of them (huge frames: bigger tiles). */
static void tiles_level(int w, int h, int side, int least, int max, seg_tiles *t)
{
    int short_side = w < h ? w : h;
    if (side < least)
        side = least;
    if (side >= short_side)
        return; /* the whole frame is already that close */
    int step = side * 3 / 4;
    int nx = 1 + ceil_div(w - side, step), ny = 1 + ceil_div(h - side, step);
    while (nx * ny > max && side < short_side) {
        side += side / 4;
        step = side * 3 / 4;
        nx = 1 + ceil_div(w - side > 0 ? w - side : 0, step);
        ny = 1 + ceil_div(h - side > 0 ? h - side : 0, step);
    }
    if (side >= short_side || nx * ny > max)
        return;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            t->x[t->n] = nx > 1 ? (w - side) * i / (nx - 1) : (w - side) / 2;
            t->y[t->n] = ny > 1 ? (h - side) * j / (ny - 1) : (h - side) / 2;
            t->side[t->n] = side;
            t->n++;
        }
}

void seg_tiles_make(int w, int h, int least, seg_tiles *t)
{
    memset(t, 0, sizeof *t);
    int short_side = w < h ? w : h;
    tiles_level(w, h, (int)((float)short_side / 1.5f), least, SEG_MAX_TILES / 3, t);
    int coarse = t->n ? t->side[0] : short_side;
    /* The fine level only where it zooms at least 4/3 on the coarse one. */
    int fine = short_side / 3 > least ? short_side / 3 : least;
    if (fine * 4 <= coarse * 3)
        tiles_level(w, h, fine, least, SEG_MAX_TILES - t->n, t);
}

static float rect_iou(float ax, float ay, float as, float bx, float by, float bs)
{
    float ix = fminf(ax + as, bx + bs) - fmaxf(ax, bx);
    float iy = fminf(ay + as, by + bs) - fmaxf(ay, by);
    if (ix <= 0 || iy <= 0)
        return 0.0f;
    float inter = ix * iy;
    return inter / (as * as + bs * bs - inter);
}

void seg_track_merge(seg_track *t, int *nt, int max, const seg_person *found, int n,
                     float new_score)
{
    for (int i = 0; i < n; i++) {
        const seg_person *f = &found[i];
        int best = -1;
        float best_iou = MATCH_IOU;
        for (int k = 0; k < *nt; k++) {
            float iou = rect_iou(f->roi_x, f->roi_y, f->roi_side, t[k].p.roi_x, t[k].p.roi_y,
                                 t[k].p.roi_side);
            if (iou > best_iou) {
                best_iou = iou;
                best = k;
            }
        }
        int is_new = 0;
        if (best < 0 && *nt < max && f->score >= new_score) {
            best = (*nt)++;
            is_new = 1;
        } else if (best < 0)
            continue;
        else if (t[best].unconfirmed < 0 && t[best].p.score >= f->score)
            continue; /* already confirmed by a better one of this search */
        float old_side = is_new ? 0.0f : t[best].p.roi_side;
        t[best].p = *f;
        if (old_side > 0 && f->roi_side > CONFIRM_GROWTH * old_side) {
            /* Centred on the detection, grown by a step only. */
            float side = CONFIRM_GROWTH * old_side;
            t[best].p.roi_side = side;
            t[best].p.roi_x = f->roi_x + (f->roi_side - side) / 2;
            t[best].p.roi_y = f->roi_y + (f->roi_side - side) / 2;
        }
        t[best].unconfirmed = -1;
        t[best].misses = 0;
        t[best].confirmed_side = f->roi_side;
    }
}

void seg_track_missed(seg_track *t, int *nt, float x, float y, float side, float min_side,
                      float max_side)
{
    int k = 0;
    for (int i = 0; i < *nt; i++) {
        seg_track u = t[i];
        const seg_person *p = &u.p;
        float cx = p->roi_x + p->roi_side / 2, cy = p->roi_y + p->roi_side / 2;
        if (u.unconfirmed >= 0 && cx >= x && cx < x + side && cy >= y && cy < y + side &&
            p->roi_side >= min_side && p->roi_side <= max_side && ++u.misses >= 2)
            continue;
        t[k++] = u;
    }
    *nt = k;
}

void seg_track_age(seg_track *t, int *nt, int patience)
{
    int k = 0;
    for (int i = 0; i < *nt; i++) {
        seg_track x = t[i];
        x.unconfirmed = x.unconfirmed < 0 ? 0 : x.unconfirmed + 1;
        if (x.unconfirmed <= patience)
            t[k++] = x;
    }
    *nt = k;
}

/* Whether @p a is the one to keep of two that follow the same mask: the
 * one a search confirmed more recently, then the surer. */
static int keep_first(const seg_track *a, const seg_track *b)
{
    if (a->unconfirmed != b->unconfirmed)
        return a->unconfirmed < b->unconfirmed;
    return a->p.score >= b->p.score;
}

void seg_track_dedup(seg_track *t, int *nt)
{
    for (int i = 0; i < *nt; i++)
        for (int k = i + 1; k < *nt;) {
            if (rect_iou(t[i].p.roi_x, t[i].p.roi_y, t[i].p.roi_side, t[k].p.roi_x,
                         t[k].p.roi_y, t[k].p.roi_side) <= SEG_TRACK_SAME_IOU) {
                k++;
                continue;
            }
            int replaced = !keep_first(&t[i], &t[k]);
            if (replaced)
                t[i] = t[k];
            /* the rest keep their order (--instances numbers regions, not
             * tracks, but the merge of regions goes in this order) */
            memmove(&t[k], &t[k + 1], (size_t)(*nt - k - 1) * sizeof *t);
            (*nt)--;
            if (replaced) /* those before k were compared with the one replaced */
                k = i + 1;
        }
}

int seg_track_follow(seg_track *t, const float *m, int ow, int oh, float rx, float ry, float rw,
                     float rh)
{
    /* Only the part of the mask inside the person's own region (the mask
     * may cover several people's regions merged into one). */
    float sx = rw / (float)ow, sy = rh / (float)oh;
    const seg_person *q = &t->p;
    int ax = (int)floorf((q->roi_x - rx) / sx), bx = (int)ceilf((q->roi_x + q->roi_side - rx) / sx);
    int ay = (int)floorf((q->roi_y - ry) / sy), by = (int)ceilf((q->roi_y + q->roi_side - ry) / sy);
    ax = ax < 0 ? 0 : ax;
    ay = ay < 0 ? 0 : ay;
    bx = bx > ow ? ow : bx;
    by = by > oh ? oh : by;
    int x0 = ow, x1 = -1, y0 = oh, y1 = -1;
    long count = 0;
    for (int y = ay; y < by; y++) {
        const float *row = m + (size_t)y * ow;
        int n = 0; /* a count (vectorised), then the row's first and last */
        for (int x = ax; x < bx; x++)
            n += row[x] > 0.5f;
        if (n == 0)
            continue;
        count += n;
        int first = ax, last = bx - 1;
        while (!(row[first] > 0.5f))
            first++;
        while (!(row[last] > 0.5f))
            last--;
        x0 = first < x0 ? first : x0;
        x1 = last > x1 ? last : x1;
        y0 = y < y0 ? y : y0;
        y1 = y;
    }
    if (bx <= ax || by <= ay ||
        (float)count < MIN_MASK_SHARE * (float)(bx - ax) * (float)(by - ay))
        return -1;
    /* The mask's box in frame pixels. */
    float cx = rx + ((float)(x0 + x1 + 1) / 2) * sx;
    float cy = ry + ((float)(y0 + y1 + 1) / 2) * sy;
    float height = (float)(y1 - y0 + 1) * sy;
    seg_person *p = &t->p;
    float side = p->roi_side + SIDE_EASE * (SIDE_PER_HEIGHT * height - p->roi_side);
    /* Never more than a step at a time: a mask cut by the region's edge
     * would otherwise shrink it fast. */
    side = fminf(fmaxf(side, 0.8f * p->roi_side), 1.25f * p->roi_side);
    side = fminf(fmaxf(side, 0.7f * t->confirmed_side), 1.5f * t->confirmed_side);
    p->roi_side = side;
    p->roi_x = cx - side / 2;
    p->roi_y = cy - side / 2;
    return 0;
}

int seg_closeup_of(const seg_person *faces, int n, int height, int was)
{
    for (int i = 0; i < n; i++)
        if (faces[i].y1 - faces[i].y0 >= SEG_CLOSEUP_FACE_SHARE * (float)height &&
            (was || faces[i].score >= SEG_CLOSEUP_FACE_SCORE))
            return 1;
    return 0;
}
