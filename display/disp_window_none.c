/* disp_window_none.c - the window API when segstream is built without SDL2:
 * opening fails with a clear message; nothing else can be reached. */
#include "disp_window.h"

#include <stdlib.h>

int disp_window_open(disp_window **out, const disp_window_opts *opts, char *err,
                     size_t errlen)
{
    (void)opts;
    if (out)
        *out = NULL;
    seg_format_error(err, errlen, __func__,
                     "this segstream was built without SDL2, so it cannot open a window; "
                     "write a video with -o OUTPUT or PNG frames with --dump-frames DIR "
                     "instead");
    return SEG_ERR_UNSUPPORTED;
}

int disp_window_present(disp_window *w, const seg_image *frame)
{
    (void)w;
    (void)frame;
    return SEG_ERR_INVALID;
}

int disp_window_upload(disp_window *w, const seg_image *frame)
{
    (void)w;
    (void)frame;
    return SEG_ERR_INVALID;
}

int disp_window_draw(disp_window *w)
{
    (void)w;
    return SEG_ERR_INVALID;
}

int disp_window_poll(disp_window *w)
{
    (void)w;
    return SEG_ERR_INVALID;
}

void disp_window_set_status(disp_window *w, const char *mode, double fps, double infer_ms,
                            int paused)
{
    (void)w;
    (void)mode;
    (void)fps;
    (void)infer_ms;
    (void)paused;
}

void disp_window_take_adjust(disp_window *w, int steps[DISP_ADJ_COUNT])
{
    (void)w;
    for (int i = 0; i < DISP_ADJ_COUNT; i++)
        steps[i] = 0;
}

int disp_window_take_screenshots(disp_window *w)
{
    (void)w;
    return 0;
}

void disp_window_set_mirror(disp_window *w, int on)
{
    (void)w;
    (void)on;
}

void disp_window_set_values(disp_window *w, const char *text)
{
    (void)w;
    (void)text;
}

void disp_window_set_overlay(disp_window *w, const char *text)
{
    (void)w;
    (void)text;
}

int disp_window_toggle_fullscreen(disp_window *w)
{
    (void)w;
    return SEG_ERR_INVALID;
}

int disp_window_is_fullscreen(const disp_window *w)
{
    (void)w;
    return 0;
}

const char *disp_window_title(const disp_window *w)
{
    (void)w;
    return "";
}

const char *disp_window_last_error(const disp_window *w)
{
    (void)w;
    return "built without SDL2";
}

void disp_window_close(disp_window **w)
{
    if (w)
        *w = NULL;
}
