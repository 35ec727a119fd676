/* seg_motion.c - see seg_motion.h. */
#include "seg_motion.h"

#include <stdlib.h>
#include <string.h>

#include "seg_status.h"

/* The mean luma of cell (cx, cy) of @p f, from every other pixel of every
 * other row (64 of the 256: enough to see a walker's edge move). */
static uint8_t cell_mean(const seg_image *f, int bpp, int cx, int cy)
{
    unsigned sum = 0, n = 0;
    int x0 = cx * SEG_MOTION_CELL, y0 = cy * SEG_MOTION_CELL;
    for (int y = y0; y < y0 + SEG_MOTION_CELL && y < f->height; y += 2) {
        const uint8_t *row = f->data + (size_t)y * f->stride;
        for (int x = x0; x < x0 + SEG_MOTION_CELL && x < f->width; x += 2, n++) {
            const uint8_t *p = row + (size_t)x * bpp;
            sum += bpp == 1 ? p[0] : (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8;
        }
    }
    return (uint8_t)(n ? sum / n : 0);
}

int seg_motion_add(seg_motion *m, const seg_image *f)
{
    int bpp = f->format == SEG_PIX_YUV420P || f->format == SEG_PIX_YUV444P
                  ? 1
                  : seg_pixfmt_bpp(f->format);
    if (bpp != 1 && bpp != 3 && bpp != 4) {
        m->frames = 0;
        return SEG_OK; /* no luma to compare: never a motion tile */
    }
    if (f->width != m->fw || f->height != m->fh) {
        int gw = f->width / SEG_MOTION_CELL, gh = f->height / SEG_MOTION_CELL;
        gw = gw < 1 ? 1 : gw;
        gh = gh < 1 ? 1 : gh;
        size_t n = (size_t)gw * gh;
        if (n > m->cap) {
            free(m->prev);
            free(m->cur);
            m->prev = malloc(n);
            m->cur = malloc(n);
            m->cap = m->prev && m->cur ? n : 0;
            if (!m->cap) {
                free(m->prev);
                free(m->cur);
                memset(m, 0, sizeof *m);
                return SEG_ERR_NOMEM;
            }
        }
        m->fw = f->width;
        m->fh = f->height;
        m->gw = gw;
        m->gh = gh;
        m->frames = 0;
    }
    uint8_t *t = m->prev;
    m->prev = m->cur;
    m->cur = t;
    for (int cy = 0; cy < m->gh; cy++)
        for (int cx = 0; cx < m->gw; cx++)
            m->cur[cy * m->gw + cx] = cell_mean(f, bpp, cx, cy);
    m->frames += m->frames < 2;
    return SEG_OK;
}

/* Whether cell (cx, cy)'s centre lies in a followed person's region. */
static int covered(const seg_track *tracks, int ntracks, float x, float y)
{
    for (int k = 0; k < ntracks; k++) {
        const seg_person *p = &tracks[k].p;
        if (x >= p->roi_x && x < p->roi_x + p->roi_side && y >= p->roi_y &&
            y < p->roi_y + p->roi_side)
            return 1;
    }
    return 0;
}

/* Whether cell i moved. */
static int moved(const seg_motion *m, int i)
{
    return abs((int)m->cur[i] - (int)m->prev[i]) >= SEG_MOTION_DIFF;
}

int seg_motion_tile(const seg_motion *m, const seg_tiles *t, const seg_track *tracks,
                    int ntracks, const uint8_t *busy, int *cells)
{
    if (cells)
        *cells = 0;
    if (m->frames < 2 || t->n == 0)
        return -1;
    int total = m->gw * m->gh, moving = 0;
    for (int i = 0; i < total; i++)
        moving += moved(m, i);
    if (moving == 0 || (float)moving > SEG_MOTION_MAX_SHARE * (float)total)
        return -1;
    int count[SEG_MAX_TILES] = {0};
    for (int cy = 0; cy < m->gh; cy++)
        for (int cx = 0; cx < m->gw; cx++) {
            if (!moved(m, cy * m->gw + cx))
                continue;
            float x = ((float)cx + 0.5f) * SEG_MOTION_CELL, y = ((float)cy + 0.5f) * SEG_MOTION_CELL;
            if (covered(tracks, ntracks, x, y))
                continue;
            for (int k = 0; k < t->n; k++)
                count[k] += x >= (float)t->x[k] && x < (float)(t->x[k] + t->side[k]) &&
                            y >= (float)t->y[k] && y < (float)(t->y[k] + t->side[k]);
        }
    int best = -1;
    for (int k = 0; k < t->n; k++) {
        if ((busy && busy[k]) || count[k] < SEG_MOTION_MIN_CELLS)
            continue;
        /* count / side, compared without division */
        if (best < 0 || (long)count[k] * t->side[best] > (long)count[best] * t->side[k])
            best = k;
    }
    if (cells && best >= 0)
        *cells = count[best];
    return best;
}

void seg_motion_free(seg_motion *m)
{
    free(m->prev);
    free(m->cur);
    memset(m, 0, sizeof *m);
}
