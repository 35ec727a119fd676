/* disp_window.c - the SDL2 window (see disp_window.h). */
#include "disp_window.h"
#include "disp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#define MSG_SIZE 512
#define SET_ERR(w, ...) seg_format_error((w)->err, sizeof((w)->err), __func__, __VA_ARGS__)

/* Appended to every "cannot show a window" message. */
#define NO_DISPLAY_HINT \
    "; write a video with -o OUTPUT or PNG frames with --dump-frames DIR instead"

struct disp_window {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;      /* the last frame, at its own size */
    int tw, th;            /* texture size */
    seg_pixfmt tfmt;       /* texture format */
    SDL_YUV_CONVERSION_MODE tyuv; /* a YUV texture's matrix and range */
    int have_frame;        /* tex holds a frame to redraw */
    int auto_size;         /* size the window to the first frame */
    int fullscreen;
    SDL_threadID owner;    /* the opening thread */
    char base[128];        /* title prefix */
    char title[640];       /* current title */
    char shown_mode[32];   /* mode and pause state in the title */
    int shown_paused;
    Uint64 title_ms;       /* when the title was last written */
    char values[256];      /* the settings after the status in the title */
    int values_dirty;      /* ... changed since the title was written */
    int adj[DISP_ADJ_COUNT]; /* setting key steps not yet taken */
    int shots;             /* screenshot presses not yet taken */
    int mirror;            /* show frames flipped left-right */
    int overlay_on;
    char overlay[1024];    /* the stats overlay's text */
    char err[MSG_SIZE];
};

static int wrong_thread(disp_window *w)
{
    if (SDL_ThreadID() == w->owner)
        return 0;
    SET_ERR(w, "the window was used from a thread that did not open it (SDL's rule)");
    return 1;
}

int disp_window_open(disp_window **out, const disp_window_opts *opts, char *err,
                     size_t errlen)
{
    if (!out) {
        seg_format_error(err, errlen, __func__, "no output pointer");
        return SEG_ERR_INVALID;
    }
    *out = NULL;
    disp_window_opts o = {0};
    if (opts)
        o = *opts;
    if (o.width < 0 || o.height < 0 || o.width > SEG_MAX_DIM || o.height > SEG_MAX_DIM) {
        seg_format_error(err, errlen, __func__, "bad window size %dx%d", o.width, o.height);
        return SEG_ERR_INVALID;
    }
    const char *drv = getenv("SDL_VIDEODRIVER"), *x11 = getenv("DISPLAY"),
               *wl = getenv("WAYLAND_DISPLAY");
    if (!(drv && *drv) && !(x11 && *x11) && !(wl && *wl)) {
        seg_format_error(err, errlen, __func__,
                         "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are "
                         "not set)" NO_DISPLAY_HINT);
        return SEG_ERR_UNSUPPORTED;
    }
    disp_window *w = calloc(1, sizeof(*w));
    if (!w) {
        seg_format_error(err, errlen, __func__, "out of memory");
        return SEG_ERR_NOMEM;
    }
    /* Ctrl-C stays the caller's: SDL would turn SIGINT into a quit event. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        seg_format_error(err, errlen, __func__, "cannot open a window: SDL: %s" NO_DISPLAY_HINT,
                         SDL_GetError());
        free(w);
        return SEG_ERR_UNSUPPORTED;
    }
    w->owner = SDL_ThreadID();
    snprintf(w->base, sizeof w->base, "%s", o.title ? o.title : "segstream");
    snprintf(w->title, sizeof w->title, "%s", w->base);
    w->auto_size = o.width == 0 || o.height == 0;
    int ww = w->auto_size ? 640 : o.width, wh = w->auto_size ? 360 : o.height;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (o.fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    w->win = SDL_CreateWindow(w->title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, ww, wh,
                              flags);
    if (!w->win) {
        seg_format_error(err, errlen, __func__,
                         "cannot create a window: SDL: %s" NO_DISPLAY_HINT, SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        free(w);
        return SEG_ERR_IO;
    }
    w->fullscreen = o.fullscreen != 0;
    /* Smooth scaling for the window size; any renderer SDL can make
     * (accelerated first, the software one otherwise). */
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    w->ren = SDL_CreateRenderer(w->win, -1, 0);
    if (!w->ren) {
        seg_format_error(err, errlen, __func__,
                         "cannot create a renderer: SDL: %s" NO_DISPLAY_HINT, SDL_GetError());
        SDL_DestroyWindow(w->win);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        free(w);
        return SEG_ERR_IO;
    }
    SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
    SDL_RenderClear(w->ren);
    SDL_RenderPresent(w->ren);
    *out = w;
    return SEG_OK;
}

/* ==== the stats overlay, in the 5x7 font of disp_font.c ================== */

/* The overlay text in white on a translucent black box, top left, in the
 * frame's coordinates (the logical size), scaled with the frame's height. */
static void draw_overlay(disp_window *w)
{
    int px = w->th / 240 > 1 ? w->th / 240 : 1; /* font pixel size */
    int cols = 0, lines = 0, len = 0;
    for (const char *p = w->overlay;; p++) {
        if (*p == '\n' || !*p) {
            cols = len > cols ? len : cols;
            lines++;
            len = 0;
            if (!*p)
                break;
        } else {
            len++;
        }
    }
    SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 160);
    SDL_Rect box = {2 * px, 2 * px, (cols * 6 + 3) * px, (lines * 9 + 2) * px};
    SDL_RenderFillRect(w->ren, &box);
    SDL_SetRenderDrawColor(w->ren, 255, 255, 255, 255);
    int x0 = 4 * px, x = x0, y = 4 * px;
    for (const char *p = w->overlay; *p; p++) {
        if (*p == '\n') {
            x = x0;
            y += 9 * px;
            continue;
        }
        const uint8_t *g = disp_font_glyph(*p);
        for (int r = 0; g && r < 7; r++)
            for (int c = 0; c < 5; c++)
                if (g[r] & (0x10 >> c)) {
                    SDL_Rect dot = {x + c * px, y + r * px, px, px};
                    SDL_RenderFillRect(w->ren, &dot);
                }
        x += 6 * px;
    }
    SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_NONE);
}

/* Draw the texture into the window: black bars, grey under RGBA frames so
 * their transparency shows. */
static int redraw(disp_window *w)
{
    if (SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255) || SDL_RenderClear(w->ren)) {
        SET_ERR(w, "SDL: %s", SDL_GetError());
        return SEG_ERR_IO;
    }
    if (w->have_frame) {
        if (w->tfmt == SEG_PIX_RGBA) {
            SDL_SetRenderDrawColor(w->ren, 128, 128, 128, 255);
            SDL_RenderFillRect(w->ren, NULL);
        }
        if (w->tfmt == SEG_PIX_YUV420P) /* see disp_window_present() */
            SDL_SetYUVConversionMode(w->tyuv);
        if (SDL_RenderCopyEx(w->ren, w->tex, NULL, NULL, 0.0, NULL,
                             w->mirror ? SDL_FLIP_HORIZONTAL : SDL_FLIP_NONE)) {
            SET_ERR(w, "SDL: %s", SDL_GetError());
            return SEG_ERR_IO;
        }
        if (w->overlay_on)
            draw_overlay(w);
    }
    SDL_RenderPresent(w->ren);
    return SEG_OK;
}

/* Size the window to a w x h frame, at most 90% of the usable screen. */
static void fit_window(disp_window *w, int fw, int fh)
{
    SDL_Rect r;
    int maxw = 1280, maxh = 720;
    int d = SDL_GetWindowDisplayIndex(w->win);
    if (d >= 0 && SDL_GetDisplayUsableBounds(d, &r) == 0 && r.w > 0 && r.h > 0) {
        maxw = r.w * 9 / 10;
        maxh = r.h * 9 / 10;
    }
    double k = 1.0;
    if (fw > maxw)
        k = (double)maxw / fw;
    if (fh * k > maxh)
        k = (double)maxh / fh;
    int ww = (int)(fw * k + 0.5), wh = (int)(fh * k + 0.5);
    SDL_SetWindowSize(w->win, ww < 1 ? 1 : ww, wh < 1 ? 1 : wh);
    SDL_SetWindowPosition(w->win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
}

/* SDL's conversion for a YUV frame's matrix and range. SDL 2 has BT.601 and
 * BT.709 in limited range and JPEG (BT.601) in full range: a full-range
 * BT.709 frame is shown with JPEG's matrix, and BT.2020 with BT.709's, the
 * nearest it has (a slight hue shift, for a preview window only). */
static SDL_YUV_CONVERSION_MODE yuv_mode(const seg_image *f)
{
    if (f->full_range)
        return SDL_YUV_CONVERSION_JPEG;
    return f->matrix == SEG_YUV_BT601 ? SDL_YUV_CONVERSION_BT601 : SDL_YUV_CONVERSION_BT709;
}

int disp_window_present(disp_window *w, const seg_image *f)
{
    int st = disp_window_upload(w, f);
    return st ? st : redraw(w);
}

int disp_window_draw(disp_window *w)
{
    if (!w || wrong_thread(w))
        return SEG_ERR_INVALID;
    return redraw(w);
}

int disp_window_upload(disp_window *w, const seg_image *f)
{
    int yuv = f && f->format == SEG_PIX_YUV420P;
    if (!w || !f || !f->data || f->width < 1 || f->height < 1 ||
        (f->format != SEG_PIX_RGB24 && f->format != SEG_PIX_RGBA && !yuv) ||
        f->stride < f->width * seg_pixfmt_bpp(f->format) ||
        (yuv && (!f->cb || !f->cr || f->cstride < seg_chroma_w(f->width))))
        return SEG_ERR_INVALID;
    if (wrong_thread(w))
        return SEG_ERR_INVALID;
    /* SDL's YUV conversion mode is global, and read when a YUV texture is
     * made (SDL 2.26's OpenGL renderer picks its shader then), updated
     * (where SDL converts it itself) or drawn (other renderers): it is set
     * before each, and a change remakes the texture. */
    SDL_YUV_CONVERSION_MODE mode = yuv ? yuv_mode(f) : w->tyuv;
    if (yuv)
        SDL_SetYUVConversionMode(mode);
    if (!w->tex || w->tw != f->width || w->th != f->height || w->tfmt != f->format ||
        mode != w->tyuv) {
        if (w->tex)
            SDL_DestroyTexture(w->tex);
        w->have_frame = 0;
        Uint32 pf = yuv ? SDL_PIXELFORMAT_IYUV
                        : (f->format == SEG_PIX_RGBA ? SDL_PIXELFORMAT_RGBA32
                                                     : SDL_PIXELFORMAT_RGB24);
        w->tex = SDL_CreateTexture(w->ren, pf, SDL_TEXTUREACCESS_STREAMING, f->width, f->height);
        if (!w->tex) {
            SET_ERR(w, "cannot make a %dx%d texture: SDL: %s", f->width, f->height,
                    SDL_GetError());
            return SEG_ERR_IO;
        }
        SDL_SetTextureBlendMode(w->tex, f->format == SEG_PIX_RGBA ? SDL_BLENDMODE_BLEND
                                                                  : SDL_BLENDMODE_NONE);
        w->tw = f->width;
        w->th = f->height;
        w->tfmt = f->format;
        w->tyuv = mode;
        /* Letterboxing: the renderer scales the logical size to the window
         * and keeps its aspect ratio. */
        SDL_RenderSetLogicalSize(w->ren, f->width, f->height);
        if (w->auto_size && !w->fullscreen) {
            fit_window(w, f->width, f->height);
            w->auto_size = 0;
        }
    }
    if (yuv ? SDL_UpdateYUVTexture(w->tex, NULL, f->data, f->stride, f->cb, f->cstride, f->cr,
                                   f->cstride)
            : SDL_UpdateTexture(w->tex, NULL, f->data, f->stride)) {
        SET_ERR(w, "SDL: %s", SDL_GetError());
        return SEG_ERR_IO;
    }
    w->have_frame = 1;
    return SEG_OK;
}

int disp_window_toggle_fullscreen(disp_window *w)
{
    if (!w || wrong_thread(w))
        return SEG_ERR_INVALID;
    Uint32 flag = w->fullscreen ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP;
    if (SDL_SetWindowFullscreen(w->win, flag)) {
        SET_ERR(w, "SDL: %s", SDL_GetError());
        return SEG_ERR_IO;
    }
    w->fullscreen = !w->fullscreen;
    return redraw(w);
}

int disp_window_is_fullscreen(const disp_window *w)
{
    return w ? w->fullscreen : 0;
}

int disp_window_poll(disp_window *w)
{
    if (!w || wrong_thread(w))
        return SEG_ERR_INVALID;
    int act = 0, dirty = 0;
    SDL_Event ev;
    Uint32 id = SDL_GetWindowID(w->win);
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT: act |= DISP_ACT_QUIT; break;
        case SDL_WINDOWEVENT:
            if (ev.window.windowID != id)
                break;
            if (ev.window.event == SDL_WINDOWEVENT_CLOSE)
                act |= DISP_ACT_QUIT;
            else if (ev.window.event == SDL_WINDOWEVENT_EXPOSED ||
                     ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                dirty = 1;
            break;
        case SDL_KEYDOWN:
            if (ev.key.repeat)
                break;
            {
            /* Setting keys: lower case one step up, with Shift one down. */
            int dir = (ev.key.keysym.mod & KMOD_SHIFT) ? -1 : 1, adj = -1;
            switch (ev.key.keysym.sym) {
            case SDLK_t: adj = DISP_ADJ_THRESHOLD; break;
            case SDLK_e: adj = DISP_ADJ_FEATHER; break;
            case SDLK_b: adj = DISP_ADJ_BLUR; break;
            case SDLK_h: adj = DISP_ADJ_SMOOTH; break;
            case SDLK_o: adj = DISP_ADJ_OPACITY; break;
            default: break;
            }
            if (adj >= 0) {
                w->adj[adj] += dir;
                act |= DISP_ACT_ADJUST;
                break;
            }
            }
            switch (ev.key.keysym.sym) {
            case SDLK_n: act |= DISP_ACT_BACKGROUND; break;
            case SDLK_i: act |= DISP_ACT_STATS; break;
            case SDLK_x: act |= DISP_ACT_MIRROR; break;
            case SDLK_l: act |= DISP_ACT_LEGEND; break;
            case SDLK_q:
            case SDLK_ESCAPE: act |= DISP_ACT_QUIT; break;
            case SDLK_m:
                act |= (ev.key.keysym.mod & KMOD_SHIFT) ? DISP_ACT_MODEL : DISP_ACT_MODE;
                break;
            case SDLK_SPACE: act |= DISP_ACT_PAUSE; break;
            case SDLK_s:
                act |= DISP_ACT_SCREENSHOT;
                w->shots++;
                break;
            case SDLK_f:
                if (disp_window_toggle_fullscreen(w) == SEG_OK)
                    act |= DISP_ACT_FULLSCREEN;
                break;
            default: break;
            }
            break;
        default: break;
        }
    }
    if (dirty)
        redraw(w);
    return act;
}

void disp_window_set_status(disp_window *w, const char *mode, double fps, double infer_ms,
                            int paused)
{
    if (!w || wrong_thread(w))
        return;
    Uint64 now = SDL_GetTicks64();
    const char *m = mode ? mode : "";
    int changed = strcmp(m, w->shown_mode) != 0 || (paused != 0) != w->shown_paused ||
                  w->values_dirty;
    if (!changed && now - w->title_ms < 500)
        return;
    snprintf(w->title, sizeof w->title, "%s - %s - %.1f fps - inference %.1f ms%s%s%s", w->base,
             m, fps, infer_ms, paused ? " [paused]" : "", w->values[0] ? " - " : "", w->values);
    w->values_dirty = 0;
    snprintf(w->shown_mode, sizeof w->shown_mode, "%s", m);
    w->shown_paused = paused != 0;
    w->title_ms = now;
    SDL_SetWindowTitle(w->win, w->title);
}

void disp_window_take_adjust(disp_window *w, int steps[DISP_ADJ_COUNT])
{
    for (int i = 0; i < DISP_ADJ_COUNT; i++) {
        steps[i] = w ? w->adj[i] : 0;
        if (w)
            w->adj[i] = 0;
    }
}

int disp_window_take_screenshots(disp_window *w)
{
    if (!w)
        return 0;
    int n = w->shots;
    w->shots = 0;
    return n;
}

void disp_window_set_mirror(disp_window *w, int on)
{
    if (!w || wrong_thread(w) || w->mirror == (on != 0))
        return;
    w->mirror = on != 0;
    redraw(w);
}

void disp_window_set_values(disp_window *w, const char *text)
{
    if (!w)
        return;
    const char *t = text ? text : "";
    if (strcmp(t, w->values) != 0) {
        snprintf(w->values, sizeof w->values, "%s", t);
        w->values_dirty = 1;
    }
}

void disp_window_set_overlay(disp_window *w, const char *text)
{
    if (!w)
        return;
    w->overlay_on = text != NULL;
    snprintf(w->overlay, sizeof w->overlay, "%s", text ? text : "");
}

const char *disp_window_title(const disp_window *w)
{
    return w ? w->title : "";
}

const char *disp_window_last_error(const disp_window *w)
{
    return w ? w->err : "no window";
}

void disp_window_close(disp_window **pw)
{
    if (!pw || !*pw)
        return;
    disp_window *w = *pw;
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    free(w);
    *pw = NULL;
}
