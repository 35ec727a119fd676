/* seg_stages.h - the four kinds of stage thread and the state each owns.
 *
 *   decoder  (seg_decoder.c)   reads the input into free slots, deals them to
 *                              the workers in turn, passes audio on
 *   worker   (seg_worker.c)    scales, normalises, infers, turns the output
 *                              into the slot's mask
 *   renderer (seg_renderer.c)  takes results in frame order, composites,
 *                              dumps, shows the window
 *   encoder  (seg_encoder.c)   encodes and muxes, with the audio
 *
 * seg_run() fills each state before the threads start and reads its
 * statistics after they have joined; in between only the stage's own thread
 * touches it. What stages share is in the job (seg_job.h).
 *
 * Ownership of slots: a slot belongs to the thread that popped it (or, for
 * free slots, to the decoder). Frames only move forward through the frame
 * and result rings, and back to the decoder through the return rings.
 *
 * Ending: the decoder sends its END message to every worker after its last
 * frame; a worker forwards its own END after its last result; the renderer
 * sends its END to the encoder when it has one from every worker, and the
 * encoder ends on it. A stop (seg_job_stop) makes the decoder give up its
 * waits and send END early, and workers and renderer hand back what they pop
 * instead of working on it (the encoder still writes what was composited).
 * Nothing else ends a thread, so every thread drains its rings and joins.
 * Private to pipeline/. */
#ifndef SEG_STAGES_H
#define SEG_STAGES_H

#include <time.h>

#include "disp.h"
#include "disp_window.h"
#include "seg_control.h"
#include "seg_detect.h"
#include "seg_fit.h"
#include "seg_job.h"
#include "seg_motion.h"
#include "seg_track.h"

/* ==== decoder ============================================================= */

typedef struct seg_decoder {
    seg_job *job;
    seg_slot **free_slots; /**< its stack of free slots (the whole pool at start) */
    int nfree;
    seg_slot end;          /**< its END message, sent to every worker */
    /* Statistics, read after join. */
    seg_times decode_times;
    seg_depth frames_depth;
    int64_t decoded, dropped, audio_dropped;
} seg_decoder;

/** Give the decoder the job's whole pool; SEG_ERR_NOMEM. */
int seg_decoder_init(seg_decoder *d, seg_job *job);
void seg_decoder_close(seg_decoder *d);
/** The thread (arg: seg_decoder *). */
void *seg_decoder_main(void *arg);

/* ==== a live worker's searcher =========================================== */


struct seg_worker;

enum { SEARCH_IDLE, SEARCH_PENDING, SEARCH_DONE, SEARCH_QUIT };

/**
 * A live worker's searches for people (--find pose), on their own thread so
 * that no frame waits for the detectors: the worker posts a copy of a frame
 * when the searcher is idle, and takes what it found on a later frame. The
 * searcher runs the worker's face and pose detectors (only it touches them
 * in a live job). state moves IDLE -> PENDING (worker) -> DONE (searcher)
 * -> IDLE (worker), under mu; the frame belongs to the worker while IDLE,
 * to the searcher while PENDING, and the results to the worker once DONE.
 */
typedef struct seg_searcher {
    struct seg_worker *w;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;
    seg_image frame;                   /**< the copy searched */
    int tile_x, tile_y, tile_side;     /**< the tile searched (side 0: the
                                            whole frame, with the face
                                            detector first) */
    seg_person people[SEG_MAX_PEOPLE]; /**< what the pose detector found */
    int n;                             /**< their number (< 0: it failed) */
    int closeup;                       /**< a face made it a close-up */
    int was_closeup;                   /**< the search before did (posted) */
} seg_searcher;

/** Start @p q's thread for worker @p w. SEG_ERR_NOMEM when it cannot. */
int seg_searcher_start(seg_searcher *q, struct seg_worker *w);
/** Stop and join the thread (a search under way ends with the job's stop
 *  flag or runs out), free the copy. Safe on a searcher never started. */
void seg_searcher_stop(seg_searcher *q);
/** Give @p f to the searcher when it is idle (1), else nothing (0): to
 *  search the tile @p tx, @p ty, @p side, or the whole frame (side 0),
 *  the worker's last search having found a close-up (@p was_closeup) or
 *  not. */
int seg_searcher_post(seg_searcher *q, const seg_image *f, int tx, int ty, int side,
                      int was_closeup);
/** When a search is done: its people (*n, into @p people), whether it was a
 *  close-up, and the size of the frame searched (its tile in q->tile_*,
 *  which stay until the next post); returns 1 and the searcher is idle
 *  again. 0 when no search is done. */
int seg_searcher_take(seg_searcher *q, seg_person *people, int *n, int *closeup, int *w, int *h);

/* ==== searches shared by a file job's workers ============================ */

/** What one search of a file job found, posted by the worker whose frame it
 *  searched for the other workers to merge into the people they follow
 *  (seg_worker.c, "Searches shared"). */
typedef struct seg_search_post {
    int64_t j;           /**< the search's number (0: the slot is empty) */
    int fw, fh;          /**< the size of the frame searched */
    int x, y, side;      /**< the square searched (side 0: the whole frame) */
    int tile, check;     /**< it was the next tile in turn; it checked a person */
    int motion;          /**< it looked at tile motion - 1 for what moves (0: not) */
    int closeup;         /**< the face detector made the frame a close-up */
    int n;               /**< people found; < 0: nothing to merge */
    int unread;          /**< workers yet to take it */
    seg_person people[SEG_MAX_PEOPLE];
} seg_search_post;

#define SEG_BOARD_SLOTS 8

/** A worker's share of the job's first search (seg_board.share). */
enum { SEG_SHARE_PENDING, SEG_SHARE_DONE, SEG_SHARE_SKIPPED, SEG_SHARE_GONE };

/** One square of the job's first search: what the detector found there. */
typedef struct seg_first_square {
    int n;
    seg_person people[SEG_MAX_PEOPLE];
} seg_first_square;

/** The posts: search j in slot j % SEG_BOARD_SLOTS until every other worker
 *  has taken it. And the job's first search, split: worker w searches the
 *  squares s (0: the whole frame, s >= 1: tile s - 1) with s % workers == w
 *  into first[s], then says so in share[w] (SKIPPED: its frame was a
 *  close-up; GONE: it ended without a frame). Under mu, waits on cv. */
typedef struct seg_board {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int readers;         /**< the workers that take each post (all but its own) */
    seg_search_post slot[SEG_BOARD_SLOTS];
    int share[SEG_MAX_WORKERS];
    int share_w[SEG_MAX_WORKERS], share_h[SEG_MAX_WORKERS]; /**< the frame it searched */
    seg_first_square first[1 + SEG_MAX_TILES];
} seg_board;

/** An empty board for @p workers workers. SEG_ERR_NOMEM. */
int seg_board_init(seg_board *b, int workers);
void seg_board_close(seg_board *b);
/** Post @p p (p->j >= 1) once its slot is free; SEG_ERR_INTERRUPTED when
 *  the job stops first. */
int seg_board_post(seg_board *b, seg_job *job, const seg_search_post *p);
/** Search @p j's post into @p out once it is there; SEG_ERR_INTERRUPTED
 *  when the job stops first. */
int seg_board_take(seg_board *b, seg_job *job, int64_t j, seg_search_post *out);
/** Worker @p id's share of the first search is @p state (of a @p fw x
 *  @p fh frame); a share already done stays so. */
void seg_board_share(seg_board *b, int id, int state, int fw, int fh);
/** Wait until no worker's share is pending; SEG_ERR_INTERRUPTED when the
 *  job stops first. */
int seg_board_shares_wait(seg_board *b, seg_job *job);

/* ==== inference worker ==================================================== */

/** A frame pixel's bilinear taps on a model-size grid (cells a and b, b's
 *  weight w). */
typedef struct seg_grid_tap {
    int a, b;
    float w;
} seg_grid_tap;

typedef struct seg_worker {
    seg_job *job;
    int id;
    nn_model *nn;          /**< its instance of the model in use (nns[cur]) */
    nn_model *nns[SEG_MAX_MODELS]; /**< its instance of each of job->models (a
                                clone, or the model's own for worker 0) */
    int owns_nn;           /**< the nns are clones this worker frees */
    int cur;               /**< the model in use (index in job->models) */
    const seg_model *model;/**< job->models[cur] */
    io_scaler *scaler;     /**< frame size -> model size, rebuilt on a size change */
    int scaler_w, scaler_h;
    seg_image small;       /**< the frame at model size: RGB24, or YUV444P for a
                                YUV frame (then made RGB with yuv_tab) */
    seg_yuv_tables yuv_tab;/**< for small's matrix and range (made with the scaler) */
    seg_fit_geom geom;     /**< --fit geometry for the current frame size */
    seg_detector det;      /**< --find pose: its instance of the pose detector */
    seg_detector face;     /**< ... and of the face detector (close-ups) */
    nn_model *cnn;         /**< its instance of job->closeup (NULL: none) */
    int owns_cnn;
    seg_track tracks[SEG_MAX_PEOPLE]; /**< the people it follows */
    int ntracks;
    seg_tiles tiles;       /**< the frame's detector tiles (for found_w x found_h) */
    int next_tile;         /**< the tile the next search looks at (-1: all) */
    int closeup;           /**< that frame was a close-up */
    int look_again;        /**< file jobs: its first search found nobody and no
                                close-up; it searches its next frames until
                                one does or the first shared search is in */
    int found_w, found_h;  /**< its size */
    int since_found;       /**< live: frames it got since its last search (-1: none yet) */
    int searches;          /**< live: searches since the frame size was set */
    int posted_check;      /**< live: the search posted checks a person */
    int posted_motion;     /**< live: ... looks at tile posted_motion - 1 for what
                                moves (0: not) */
    seg_motion motion;     /**< its frames' luma grid: where something moves */
    int64_t motion_at[SEG_MAX_TILES]; /**< 1 + the search that last looked at
                                each tile for what moves (0: none) */
    int region_id;         /**< --instances: the number of the region being
                                segmented (1 = leftmost) */
    seg_searcher searcher; /**< live jobs: where the searches run */
    seg_board *board;      /**< file jobs: the searches the workers share */
    int64_t nframes;       /**< file jobs: frames it has had (its k-th is the
                                stream's k * nworkers + id) */
    int64_t next_j;        /**< file jobs: the first shared search it has not
                                merged */
    int64_t share_every;   /**< file jobs: frames from one shared search to the
                                next (share_every in seg_worker.c) */
    seg_yuv_tables frame_tab; /**< the frame's colours, for sampling regions */
    int frame_key;         /**< 1 + 2 * matrix + full range of frame_tab; 0 = none */
    float *raw_mask;       /**< letterbox/crop/regions: the model-output-sized mask */
    uint8_t *raw_labels;   /**< ... and labels (multi-class) */
    seg_slot end;          /**< this worker's END message */
    pthread_t thread;
    int started;
    /* Statistics, read after join. */
    seg_times convert_times, infer_times;
    seg_depth results_depth;
    int64_t dropped;
    /* Matting models' foreground colour: the model-size grid in the
     * frame's colours, and each column's taps (paint_foreground). */
    float *fg_grid;        /**< 4 planes of ow x fg_grid_h: weight, colour */
    int fg_grid_h;
    seg_grid_tap *fg_cols;
    float *fg_rows;        /**< two grid rows widened (4 planes each), a weight row */
    int fg_row_of[2];      /**< the grid rows they hold (-1 none) */
    size_t fg_cap, fg_cols_cap;
    seg_grid_tap *paste_cols; /**< paste_region's column taps (mask_w) */
    size_t paste_cap;
    float *hair_grid;      /**< close-ups: the general model's mask (dark hair) */
    uint8_t *hair_near;    /**< ... and the cells near the close-up's person */
    int *hair_cnt;         /**< ... a row's or column's running counts */
    size_t hair_cap;       /**< cells allocated */
    float *fg_place;       /**< letterbox/crop: the colour on the mask grid */
    size_t fg_place_cap;
    /* Models with state: the frame index and model the state follows. */
    int64_t state_next;
    int state_model;
} seg_worker;

/** Worker @p id of @p job: its model instance (with @p threads OpenMP
 *  threads, cancelled by the job's stop), its model-size frame and masks.
 *  Message in err. SEG_ERR_NOMEM. */
int seg_worker_init(seg_worker *w, seg_job *job, int id, int threads, char *err, size_t errlen);
void seg_worker_close(seg_worker *w);
/** The thread (arg: seg_worker *). */
void *seg_worker_main(void *arg);

/* ==== renderer ============================================================ */

typedef struct seg_renderer {
    seg_job *job;
    disp_compositor *comp;
    /* The background video of replace mode (NULL for a picture or none). */
    io_source *bg_src;
    seg_image bg_frame;    /**< its current frame */
    int64_t bg_frames;     /**< frames read since it was (re)opened */
    io_dump *dump;         /**< --dump-frames, or NULL */
    seg_image ids;         /**< --instances dumps: the frame's instance ids */
    /* --eval: the ground truth, one frame per composited frame, and the
     * scorer of the refined masks against it. */
    io_source *gt_src;
    io_source *void_src;   /**< --eval-void: pixels not scored, or NULL */
    seg_image gt_frame, gt_grey;
    disp_score *score;
    /* Multi-class models: the legend. */
    int64_t class_first[SEG_MAX_CLASSES]; /**< frame a class was first seen, -1 = not yet */
    int classes_seen;
    int64_t class_last[SEG_MAX_CLASSES];  /**< the last composited frame (count) where
                                               the class covered enough of the picture
                                               for the drawn legend, -1 = never */
    /* Taking results in order. */
    int next;              /**< exact: the worker whose result comes next */
    int nended;            /**< workers whose END arrived */
    int draining;          /**< exact: an END arrived, so only ENDs and leftovers remain */
    unsigned char ended[SEG_MAX_WORKERS];
    int failed;            /**< compositing failed: show nothing more */
    int64_t last_index;    /**< decode index of the last frame composited */
    /* The window, opened and used on this thread only. */
    disp_window *win;
    int paused, pace;
    int have_pts0;
    int64_t pts0;
    double t_pts0;         /**< seg_clock_ms() that pts0 is shown at */
    double t_first;        /**< first frame shown, for the fps in the title */
    int shots_pending;     /**< screenshot presses waiting for a frame to shoot */
    int shot_seq;          /**< screenshots taken (numbers repeated frames) */
    int stats_on;          /**< the stats overlay is shown */
    /* What the keys and --config change (seg_control.h): the command line's
     * settings, and those in force. */
    seg_settings base, cur;
    int bg_index;          /**< cfg->backgrounds[] in use (the n key) */
    int model;             /**< job->models[] picked (the M key; the workers
                                follow through job->model_pick) */
    double t_config_check; /**< seg_clock_ms() of the last look at the file */
    struct timespec config_mtime;
    long long config_size;
    seg_slot end;          /**< its END message to the encoder */
    /* Statistics, read after join. */
    seg_times composite_times, latency_times;
    seg_times shown_times;  /**< decoded -> presented in the window */
    seg_depth encode_depth;
    int64_t composited, dropped, index_gaps;
} seg_renderer;

/** The renderer of @p job with its compositor (cfg->disp); SEG_ERR_INVALID
 *  for bad display options. */
int seg_renderer_init(seg_renderer *r, seg_job *job);
/** --background: a picture is scaled once into the compositor; a video is
 *  played one frame per output frame, looping (a later call replaces the
 *  background). Message in err (exit 3). */
int seg_renderer_open_background(seg_renderer *r, const char *path, char *err, size_t errlen);
/** --eval: open the ground truth @p path (a video, an image pattern, or a
 *  folder holding 000000.png or 000001.png on), the void masks @p void_path
 *  (the same kinds; white = not scored) or NULL, and a scorer. Message in
 *  err (exit 3). */
int seg_renderer_open_eval(seg_renderer *r, const char *path, const char *void_path, char *err,
                           size_t errlen);
/** --config: read the file over the command line's settings and apply it
 *  (before the threads start). Message in err (exit 2). */
int seg_renderer_load_config(seg_renderer *r, char *err, size_t errlen);
void seg_renderer_close(seg_renderer *r);
/** The thread (arg: seg_renderer *). */
void *seg_renderer_main(void *arg);

/* ==== encoder ============================================================= */

typedef struct seg_encoder {
    seg_job *job;
    io_sink *snk;          /**< NULL: frames are only shown or dumped (or go to vcam) */
    io_vcam *vcam;         /**< a virtual camera output instead of snk, or NULL */
    io_scaler *fit_scaler; /**< frames of another size -> the output's */
    int fit_w, fit_h;      /**< the size fit_scaler takes */
    seg_image fit;         /**< its output */
    int failed;            /**< a write failed: drain without writing */
    /* Statistics, read after join. */
    seg_times encode_times;
    seg_times vcam_times;  /**< decoded -> written to the virtual camera */
    int64_t written, audio_packets;
} seg_encoder;

void seg_encoder_close(seg_encoder *e);
/** The thread (arg: seg_encoder *). */
void *seg_encoder_main(void *arg);

#endif
