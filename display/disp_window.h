/* disp_window.h - the live window: an SDL2 window that shows composites.
 *
 * Everything here runs on the thread that opened the window (SDL's rule);
 * a call from another thread fails with SEG_ERR_INVALID. The caller's
 * renderer loop owns the pacing:
 *
 *     disp_window *win;
 *     if (disp_window_open(&win, &(disp_window_opts){"segstream", 0, 0, 0}, err, sizeof err))
 *         fail(err);       // e.g. no display: the message suggests -o / --dump-frames
 *     for (;;) {
 *         int act = disp_window_poll(win);
 *         if (act < 0 || (act & DISP_ACT_QUIT)) break;
 *         if (act & DISP_ACT_PAUSE) paused = !paused;
 *         if (act & DISP_ACT_MODE) ...disp_mode_next(), disp_compositor_set_options()...;
 *         if (act & DISP_ACT_SCREENSHOT) ...io_png_save() the last composite...;
 *         if (!paused) { ...composite...; disp_window_present(win, &out); }
 *         disp_window_set_status(win, mode_name, fps, infer_ms, paused);
 *     }
 *     disp_window_close(&win);
 *
 * Keys: f fullscreen (handled here, also reported), m mode, M (Shift+m)
 * model, space pause,
 * s screenshot, q / Esc / closing the window quit; the settings a user tunes
 * while it runs, lower case up and Shift down (DISP_ACT_ADJUST, steps
 * counted per setting, disp_window_take_adjust()): t threshold, e feather,
 * b blur, h smoothing, o opacity; n next background, i stats overlay, x
 * mirror the preview, l legend. Resizing and exposure are
 * handled here: the last frame is drawn again, aspect ratio kept (black
 * bars).
 */
#ifndef DISP_DISP_WINDOW_H
#define DISP_DISP_WINDOW_H

#include <stddef.h>

#include "seg_image.h"
#include "seg_status.h"

typedef struct disp_window disp_window;

/** How to open the window; zero-initialise, then fill. */
typedef struct disp_window_opts {
    const char *title; /**< title prefix; NULL = "segstream" */
    int width, height; /**< initial size; 0 = fit the first frame (at most
                            90% of the screen, aspect kept) */
    int fullscreen;    /**< start in (desktop) fullscreen */
} disp_window_opts;

/** disp_window_poll() result bits. */
enum disp_window_action {
    DISP_ACT_QUIT = 1 << 0,       /**< q, Esc, or the window was closed */
    DISP_ACT_MODE = 1 << 1,       /**< m: cycle the compositing mode */
    DISP_ACT_PAUSE = 1 << 2,      /**< space: toggle pause */
    DISP_ACT_SCREENSHOT = 1 << 3, /**< s: save the current composite */
    DISP_ACT_FULLSCREEN = 1 << 4, /**< f: fullscreen was toggled (already done) */
    DISP_ACT_ADJUST = 1 << 5,     /**< a setting key: see disp_window_take_adjust() */
    DISP_ACT_BACKGROUND = 1 << 6, /**< n: next background */
    DISP_ACT_STATS = 1 << 7,      /**< i: stats overlay on/off */
    DISP_ACT_MIRROR = 1 << 8,     /**< x: mirror the preview on/off */
    DISP_ACT_LEGEND = 1 << 9,     /**< l: a multi-class model's legend on/off */
    DISP_ACT_MODEL = 1 << 10,     /**< M (Shift+m): the next of several models */
};

/** The settings the keys step (lower case: one step up, Shift: one down). */
typedef enum disp_adjust {
    DISP_ADJ_THRESHOLD = 0, /**< t / T */
    DISP_ADJ_FEATHER,       /**< e / E */
    DISP_ADJ_BLUR,          /**< b / B */
    DISP_ADJ_SMOOTH,        /**< h / H */
    DISP_ADJ_OPACITY,       /**< o / O */
    DISP_ADJ_COUNT
} disp_adjust;

/**
 * Initialise SDL's video subsystem and open a resizable window.
 * Without a display (neither DISPLAY nor WAYLAND_DISPLAY set, SDL_VIDEODRIVER
 * unset) it fails without touching SDL; when SDL cannot open one it fails with
 * SDL's words. Either message suggests `-o OUTPUT` or `--dump-frames DIR`.
 * @return SEG_OK; SEG_ERR_UNSUPPORTED (no display, or built without SDL2);
 *         SEG_ERR_IO (SDL failed); SEG_ERR_INVALID; SEG_ERR_NOMEM.
 */
int disp_window_open(disp_window **out, const disp_window_opts *opts, char *err,
                     size_t errlen);

/**
 * Show @p frame (RGB24; RGBA drawn over grey so transparency shows; or
 * YUV420P, converted by SDL with the frame's matrix and range: BT.601 or
 * BT.709 limited, full range as JPEG, BT.2020 as BT.709), scaled to the
 * window with its aspect ratio kept. The texture is remade only when the
 * frame's size or format (or a YUV frame's matrix or range) changes. The
 * frame is copied; it may be reused as soon as this returns.
 * @return SEG_OK, SEG_ERR_INVALID, SEG_ERR_IO (SDL failed; message in
 *         disp_window_last_error()).
 */
int disp_window_present(disp_window *w, const seg_image *frame);

/** disp_window_present() in two steps: copy @p frame into the window's
 *  texture (the frame may be reused as soon as this returns), then draw it
 *  (scale to the window, present), which is the costly part on a software
 *  renderer. Same checks and returns as disp_window_present(). */
int disp_window_upload(disp_window *w, const seg_image *frame);
int disp_window_draw(disp_window *w);

/** Handle pending events without waiting. @return a set of DISP_ACT_* bits
 *  (0 when nothing happened) or SEG_ERR_INVALID (wrong thread). */
int disp_window_poll(disp_window *w);

/** Put the mode, fps and inference time in the title ("segstream - blur -
 *  29.9 fps - inference 14.2 ms [paused]"); the title is rewritten at most
 *  twice a second, or at once when the mode or pause state changes. */
void disp_window_set_status(disp_window *w, const char *mode, double fps, double infer_ms,
                            int paused);

/** The setting keys' steps since the last call (positive up, negative
 *  down), one count per key press, into @p steps; the counts are then
 *  cleared. */
void disp_window_take_adjust(disp_window *w, int steps[DISP_ADJ_COUNT]);

/** Screenshot key presses since the last call (each press is one
 *  screenshot, however many came between two polls); then cleared. */
int disp_window_take_screenshots(disp_window *w);

/** Show frames flipped left-right (a selfie view) or not; the frames
 *  themselves are not touched. */
void disp_window_set_mirror(disp_window *w, int on);

/** Text shown after the status in the title, e.g. the current settings
 *  ("thr 0.50 feather 4 ..."); NULL or "" = none. The title is rewritten
 *  at once when it changes. */
void disp_window_set_values(disp_window *w, const char *text);

/** The stats overlay: @p text (lines split by '\n'; printable ASCII, drawn
 *  in upper case with a built-in 5x7 font on a dark box in the top left
 *  corner of the window) drawn over every frame; NULL = off. */
void disp_window_set_overlay(disp_window *w, const char *text);

/** Toggle (desktop) fullscreen, as the f key does. @return SEG_OK or SEG_ERR_IO. */
int disp_window_toggle_fullscreen(disp_window *w);

/** Non-zero while fullscreen. */
int disp_window_is_fullscreen(const disp_window *w);

/** The window's current title (for tests and logs). */
const char *disp_window_title(const disp_window *w);

const char *disp_window_last_error(const disp_window *w);

/** Destroy the window and release SDL's video subsystem; NULL-safe, sets
 *  *w = NULL. Must run on the opening thread. */
void disp_window_close(disp_window **w);

#endif
