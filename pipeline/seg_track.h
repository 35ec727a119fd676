/* seg_track.h - the people a worker follows between detector searches.
 *
 * The pose detector is slow, and sees small people only in a zoomed tile
 * of the frame, so it runs now and then (the whole frame and one tile per
 * search, the tiles in turn). Between searches each person's region
 * follows the person's own mask: after the region is segmented, its centre
 * moves to the centre of the mask's box and its side eases towards 1.25
 * times the mask's height (what the detector's region is for a standing
 * person), within 0.7 to 1.5 times its side when last confirmed. A person
 * whose mask vanishes is dropped, so is one that two searches looking at
 * it missed, and one that no search has confirmed for a whole cycle of
 * tiles (so a region cannot hold on to something that only looks like a
 * person to the segmenter).
 *
 * Example: 1280x720 frames are searched whole, in 8 tiles of 480x480
 * (4 columns, 2 rows, overlapping) and in 28 of 240x240 (7 x 4); a person
 * 90 px tall, 16 px in the whole frame's detector input, is 42 px in a
 * coarse tile's and 84 px in a fine one's. A file job's first search looks
 * at every tile; later searches at one tile each, in turn. Private to
 * pipeline/. */
#ifndef SEG_TRACK_H
#define SEG_TRACK_H

#include "seg_detect.h"

#define SEG_MAX_TILES 48

/** The detector's tiles of a frame, at two zooms: squares of side
 *  min(w, h) / 1.5, then of min(w, h) / 3 (each at least @p least, the
 *  detector's input side: a smaller tile would only be scaled up; the
 *  second only where it is at most 3/4 of the first), overlapping by a
 *  quarter at least, covering the frame; coarse ones first. */
typedef struct seg_tiles {
    int n;                       /**< 0 when the frame is too small to tile */
    int x[SEG_MAX_TILES], y[SEG_MAX_TILES], side[SEG_MAX_TILES];
} seg_tiles;

void seg_tiles_make(int w, int h, int least, seg_tiles *t);

/** A followed person: its region, and when a search last confirmed it. */
typedef struct seg_track {
    seg_person p;                /**< the region in p.roi_* */
    int unconfirmed;             /**< searches since one confirmed it (-1: the
                                      current search did) */
    int misses;                  /**< searches that looked where it is and did
                                      not find it */
    float confirmed_side;        /**< its side when last confirmed */
} seg_track;

/**
 * After merging what a search found in the square region @p x, @p y,
 * @p side of the frame: a followed person the search did not confirm,
 * whose centre lies in that region and whose side is between @p min_side
 * and @p max_side (a size the search can see there), has been missed; the
 * second miss in a row drops it. So a region that followed something that
 * only looks like a person to the segmenter does not live long.
 */
void seg_track_missed(seg_track *t, int *nt, float x, float y, float side, float min_side,
                      float max_side);

/**
 * Merge one search's people @p found (n of them, regions set) into the
 * list @p t (*nt of at most @p max): a found person whose detector box
 * overlaps a followed person's region box (IoU > 0.3 of the regions) takes
 * its place, confirmed; others scoring at least @p new_score are added
 * while there is room (a tile's search, which sees more look-alikes,
 * starts people only on surer detections). Call once per search with
 * everything it found, then seg_track_age().
 */
void seg_track_merge(seg_track *t, int *nt, int max, const seg_person *found, int n,
                     float new_score);

/** After a search: every person not confirmed by it ages by one; those
 *  older than @p patience go. */
void seg_track_age(seg_track *t, int *nt, int patience);

/** Two followed people whose regions overlap more than this (IoU) are one:
 *  their regions, following the same mask, end up on the same place. */
#define SEG_TRACK_SAME_IOU 0.6f

/**
 * Keep one of each pair of followed people whose regions overlap more than
 * SEG_TRACK_SAME_IOU: the one a search confirmed more recently, then the one
 * with the higher score. A whole frame's search sees a far walker at a few
 * dozen pixels and boxes them loosely, so its region of someone a tile
 * found overlaps theirs too little to match (seg_track_merge) and starts a
 * second track, and both follow the same mask: on the crowd clip one walker
 * held 6 of the 16 places.
 */
void seg_track_dedup(seg_track *t, int *nt);

/**
 * Follow a person's mask: @p m is the model's mask of its region (ow x oh
 * probabilities covering rx, ry, rw x rh of the frame). Returns 0 when the
 * mask holds (the region is moved and resized), -1 when it has (nearly)
 * nothing above 0.5: the person is gone.
 */
int seg_track_follow(seg_track *t, const float *m, int ow, int oh, float rx, float ry, float rw,
                     float rh);

/** A face at least this share of the frame's height makes the frame a
 *  close-up (--find pose)... */
#define SEG_CLOSEUP_FACE_SHARE 0.125f
/** ... when the face detector scores it at least this, or at least its own
 *  0.5 while the frame before was a close-up already. Faces of close-ups
 *  score 0.86-0.96 on the evaluation set (Megamind's cartoon head drops to
 *  0.51 for a few frames); look-alikes in gables and windows 0.53-0.66, and
 *  one made the half-height basketball clip a "close-up" whose whole frame
 *  painted a house. */
#define SEG_CLOSEUP_FACE_SCORE 0.75f

/** Whether the @p n faces found in a frame @p height high make it a
 *  close-up, the previous search having found one (@p was) or not. */
int seg_closeup_of(const seg_person *faces, int n, int height, int was);

#endif
