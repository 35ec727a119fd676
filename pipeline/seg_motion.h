/* seg_motion.h - where something moves that no followed person explains.
 *
 * After a file job's first search (the whole frame and every tile), people
 * who walk in later are found only when a search looks at a tile that
 * shows them large enough: the whole frame's search sees a walker 90 px
 * tall in a 720p frame at 16 px. With the tiles taken in turn, one every
 * other search (26 tiles at 768x576, 36 at 1280x720; a search every 24th
 * frame), a tile came round once a minute or less, and in a street most of
 * the walkers were never found (vtest.avi). So the worker keeps a coarse
 * grid of its frames' luma (means of 16x16 cells) and compares the frame it
 * searches with its frame before: cells that changed, outside every
 * followed person's region, are someone (or something) new moving, and the
 * search looks at the tile that holds most of them.
 *
 * Private to pipeline/. */
#ifndef SEG_MOTION_H
#define SEG_MOTION_H

#include <stddef.h>
#include <stdint.h>

#include "seg_image.h"
#include "seg_track.h"

/** The side of a cell (pixels). */
#define SEG_MOTION_CELL 16
/** A cell moves when its mean luma changed by at least this (0..255). */
#define SEG_MOTION_DIFF 6
/** More than this share of the cells moving is the camera moving (a pan,
 *  a cut): it says nothing about where people are. */
#define SEG_MOTION_MAX_SHARE 0.25f
/** A tile needs at least this many uncovered moving cells (a few cells
 *  change along sharp edges when the picture shakes or is re-encoded). */
#define SEG_MOTION_MIN_CELLS 4

typedef struct seg_motion {
    int fw, fh;       /**< the frames' size (0: none yet) */
    int gw, gh;       /**< cells: fw / SEG_MOTION_CELL x fh / SEG_MOTION_CELL, at least 1 */
    uint8_t *prev;    /**< the frame before's cell means */
    uint8_t *cur;     /**< the last frame's */
    int frames;       /**< grids held since the size was set: 0, 1, 2 (both) */
    size_t cap;       /**< cells allocated in each */
} seg_motion;

/** Add frame @p f (any seg_pixfmt with a first plane of 1, 3 or 4 bytes a
 *  pixel; its size may change, which starts over). SEG_OK, or
 *  SEG_ERR_NOMEM (the state is then empty). */
int seg_motion_add(seg_motion *m, const seg_image *f);

/**
 * The tile of @p t to search for what moves between the last two frames
 * added outside the regions of the @p ntracks people @p tracks: the one
 * holding (cell centres inside it) the most such cells for its side (a
 * finer tile zooms in further), at least SEG_MOTION_MIN_CELLS; tiles with
 * @p busy[i] set are left out (searched for motion a moment ago). -1 when
 * none (fewer than two frames, nothing moves, or the camera moves). With
 * @p cells, the uncovered moving cells in the tile chosen.
 */
int seg_motion_tile(const seg_motion *m, const seg_tiles *t, const seg_track *tracks,
                    int ntracks, const uint8_t *busy, int *cells);

void seg_motion_free(seg_motion *m);

#endif
