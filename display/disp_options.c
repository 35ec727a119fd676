/* disp_options.c - modes, options and their command-line form, output
 * sizes, the class palette. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disp_internal.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/* ==== modes ============================================================= */

static const char *const MODE_NAMES[] = {
    "overlay", "mask", "blur", "replace", "matte", "alpha", "side-by-side",
};
_Static_assert(sizeof(MODE_NAMES) / sizeof(MODE_NAMES[0]) == DISP_MODE_COUNT,
               "name every disp_mode");

static const char *const FEATHER_NAMES[] = {"out", "center", "in"};
_Static_assert(sizeof(FEATHER_NAMES) / sizeof(FEATHER_NAMES[0]) == DISP_FEATHER_COUNT,
               "name every disp_feather_dir");

const char *disp_mode_name(disp_mode m)
{
    return ((int)m >= 0 && m < DISP_MODE_COUNT) ? MODE_NAMES[m] : NULL;
}

int disp_mode_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < DISP_MODE_COUNT; i++)
        if (strcmp(name, MODE_NAMES[i]) == 0)
            return i;
    if (strcmp(name, "sbs") == 0 || strcmp(name, "side_by_side") == 0)
        return DISP_MODE_SIDE_BY_SIDE;
    return -1;
}

disp_mode disp_mode_next(disp_mode m, int have_background)
{
    int i = ((int)m >= 0 && m < DISP_MODE_COUNT) ? (int)m : 0;
    do
        i = (i + 1) % DISP_MODE_COUNT;
    while (i == DISP_MODE_REPLACE && !have_background);
    return (disp_mode)i;
}

/* A mode that can fill side-by-side's third panel: one that keeps the
 * frame's size and format, which are the modes that take YUV frames too. */
static int panel_mode(int m)
{
    return disp_mode_takes_yuv((disp_mode)m);
}

/* ==== options =========================================================== */

disp_options disp_options_default(void)
{
    disp_options o;
    memset(&o, 0, sizeof o);
    o.mode = DISP_MODE_OVERLAY;
    o.color[1] = 255;
    o.opacity = 0.5f;
    o.matte_color[1] = 255;
    o.threshold = 0.0f;
    o.solid = 0.5f;
    o.feather = 0;
    o.feather_dir = DISP_FEATHER_OUT;
    o.smooth = 0.6f;
    o.edge = 1;
    o.blur = 0;
    o.side_mode = DISP_MODE_OVERLAY;
    o.threads = 1;
    return o;
}

int disp_options_check(const disp_options *o)
{
    if (!o || (int)o->mode < 0 || o->mode >= DISP_MODE_COUNT || !(o->opacity >= 0.0f) ||
        o->opacity > 1.0f || !(o->threshold >= 0.0f) || o->threshold > 1.0f ||
        !(o->solid > 0.0f) || o->solid > 1.0f ||
        o->feather < 0 || o->feather > DISP_MAX_FEATHER || (int)o->feather_dir < 0 ||
        o->feather_dir >= DISP_FEATHER_COUNT || !(o->smooth >= 0.0f) || o->smooth > 1.0f ||
        o->blur < 0 || o->blur > DISP_MAX_BLUR || !panel_mode((int)o->side_mode) ||
        o->threads < 0 || o->threads > 256)
        return SEG_ERR_INVALID;
    return SEG_OK;
}

static const char *const OPTION_NAMES[] = {
    "mode",  "color",  "opacity",   "matte-color",       "threshold", "feather",
    "feather-dir", "smooth", "edge", "blur", "side-mode", "composite-threads", "solid", NULL,
};

const char *const *disp_option_names(void)
{
    return OPTION_NAMES;
}

const char *disp_options_help(void)
{
    return "  --mode MODE            overlay (default), blur, replace (--background), mask,\n"
           "                         matte (green screen), alpha (RGBA), side-by-side\n"
           "  --color RRGGBB         overlay tint (default 00ff00)\n"
           "  --opacity F            overlay strength at full confidence, 0..1 (0.5)\n"
           "  --matte-color RRGGBB   matte mode's background (default 00ff00)\n"
           "  --threshold F          hard mask: foreground where probability >= F (0 = off)\n"
           "  --solid F              opaque where the probability >= F, alpha p / F below\n"
           "                         (default 0.5: interiors opaque, edges soft; 1 = off)\n"
           "  --feather PX           soft mask edge about PX pixels wide (0 = off)\n"
           "  --feather-dir DIR      out (default: outside the mask, never dims the\n"
           "                         foreground), center or in\n"
           "  --smooth F             temporal smoothing where the model is unsure, 0..1\n"
           "                         (default 0.6, 0 = off)\n"
           "  --edge on|off          edge-aware mask upsampling guided by the frame (on)\n"
           "  --blur PX              blur mode's radius in pixels (0 = frame height / 40)\n"
           "  --side-mode MODE       side-by-side's third panel (default overlay)\n"
           "  --composite-threads N  compositing threads (default 1; 0 = all cores)\n";
}

static int parse_float(const char *v, float lo, float hi, float *out)
{
    char *end;
    errno = 0;
    float f = strtof(v, &end);
    if (end == v || *end || errno || !(f >= lo && f <= hi))
        return -1;
    *out = f;
    return 0;
}

static int parse_int(const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

static int parse_color(const char *v, uint8_t rgb[3])
{
    if (v[0] == '#')
        v++;
    if (strlen(v) != 6)
        return -1;
    unsigned long n = 0;
    for (int i = 0; i < 6; i++) {
        char ch = v[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        n = n * 16 + (unsigned long)d;
    }
    rgb[0] = (uint8_t)(n >> 16);
    rgb[1] = (uint8_t)(n >> 8);
    rgb[2] = (uint8_t)n;
    return 0;
}

static int parse_switch(const char *v, int *out)
{
    static const char *const on[] = {"on", "1", "yes", "true", "guided"};
    static const char *const off[] = {"off", "0", "no", "false", "bilinear"};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        if (strcmp(v, on[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v, off[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int disp_parse_option(disp_options *o, const char *name, const char *value, char *err,
                      size_t errlen)
{
    if (!o || !name) {
        SET_ERR("no option given");
        return SEG_ERR_INVALID;
    }
    while (*name == '-')
        name++;
    int known = 0;
    for (int i = 0; OPTION_NAMES[i]; i++)
        known |= strcmp(name, OPTION_NAMES[i]) == 0;
    if (!known) {
        SET_ERR("--%s is not a display option", name);
        return SEG_ERR_UNSUPPORTED;
    }
    if (!value) {
        SET_ERR("--%s wants a value", name);
        return SEG_ERR_INVALID;
    }
    disp_options t = *o;
    int bad = 0;
    const char *want = "";
    if (strcmp(name, "mode") == 0 || strcmp(name, "side-mode") == 0) {
        int m = disp_mode_parse(value);
        int side = name[0] == 's';
        if (m < 0 || (side && !panel_mode(m))) {
            SET_ERR("unknown --%s '%s' (%s)", name, value,
                    side ? "overlay, mask, blur, replace, matte"
                         : "overlay, mask, blur, replace, matte, alpha, side-by-side");
            return SEG_ERR_INVALID;
        }
        if (side)
            t.side_mode = (disp_mode)m;
        else
            t.mode = (disp_mode)m;
    } else if (strcmp(name, "color") == 0) {
        bad = parse_color(value, t.color);
        want = "RRGGBB (hex)";
    } else if (strcmp(name, "matte-color") == 0) {
        bad = parse_color(value, t.matte_color);
        want = "RRGGBB (hex)";
    } else if (strcmp(name, "opacity") == 0) {
        bad = parse_float(value, 0.0f, 1.0f, &t.opacity);
        want = "a number in 0..1";
    } else if (strcmp(name, "threshold") == 0) {
        bad = parse_float(value, 0.0f, 1.0f, &t.threshold);
        want = "a probability in 0..1 (0 = off)";
    } else if (strcmp(name, "solid") == 0) {
        bad = parse_float(value, 0.01f, 1.0f, &t.solid);
        t.solid_set = 1;
        want = "a probability in 0.01..1 (1 = off)";
    } else if (strcmp(name, "smooth") == 0) {
        bad = parse_float(value, 0.0f, 1.0f, &t.smooth);
        want = "a strength in 0..1 (0 = off)";
    } else if (strcmp(name, "feather") == 0) {
        bad = parse_int(value, 0, DISP_MAX_FEATHER, &t.feather);
        want = "pixels, 0..256";
    } else if (strcmp(name, "feather-dir") == 0) {
        bad = -1;
        for (int i = 0; i < DISP_FEATHER_COUNT; i++)
            if (strcmp(value, FEATHER_NAMES[i]) == 0) {
                t.feather_dir = (disp_feather_dir)i;
                bad = 0;
            }
        want = "out, center or in";
    } else if (strcmp(name, "edge") == 0) {
        bad = parse_switch(value, &t.edge);
        want = "on or off";
    } else if (strcmp(name, "blur") == 0) {
        bad = parse_int(value, 0, DISP_MAX_BLUR, &t.blur);
        want = "pixels, 0..512 (0 = auto)";
    } else { /* composite-threads */
        bad = parse_int(value, 0, 256, &t.threads);
        want = "0..256 (0 = all cores)";
    }
    if (bad) {
        SET_ERR("--%s wants %s, got '%s'", name, want, value);
        return SEG_ERR_INVALID;
    }
    *o = t;
    return SEG_OK;
}

/* ==== sizes, palette, labels ============================================ */

int disp_mode_takes_yuv(disp_mode m)
{
    return (int)m >= 0 && m < DISP_MODE_COUNT && m != DISP_MODE_ALPHA &&
           m != DISP_MODE_SIDE_BY_SIDE;
}

int disp_output_size(disp_mode mode, int w, int h, int *out_w, int *out_h,
                     seg_pixfmt *out_format)
{
    return disp_output_size_for(mode, SEG_PIX_RGB24, w, h, out_w, out_h, out_format);
}

int disp_output_size_for(disp_mode mode, seg_pixfmt in_format, int w, int h, int *out_w,
                         int *out_h, seg_pixfmt *out_format)
{
    int yuv = in_format == SEG_PIX_YUV420P;
    if ((int)mode < 0 || mode >= DISP_MODE_COUNT || w < 1 || h < 1 ||
        (in_format != SEG_PIX_RGB24 && !yuv) || (yuv && !disp_mode_takes_yuv(mode)))
        return SEG_ERR_INVALID;
    long long ow = mode == DISP_MODE_SIDE_BY_SIDE ? 3LL * w : w;
    if (ow > SEG_MAX_DIM || h > SEG_MAX_DIM || ow * h > SEG_MAX_PIXELS)
        return SEG_ERR_LIMIT;
    if (out_w)
        *out_w = (int)ow;
    if (out_h)
        *out_h = h;
    if (out_format)
        *out_format = yuv ? SEG_PIX_YUV420P
                          : (mode == DISP_MODE_ALPHA ? SEG_PIX_RGBA : SEG_PIX_RGB24);
    return SEG_OK;
}

void disp_palette_color(int label, uint8_t rgb[3])
{
    /* The PASCAL VOC colour map: the label's bits spread over R, G, B from
     * the most significant bit down. */
    unsigned r = 0, g = 0, b = 0, v = (unsigned)label & 0xffu;
    for (int j = 0; j < 8; j++, v >>= 3) {
        r |= (v & 1u) << (7 - j);
        g |= ((v >> 1) & 1u) << (7 - j);
        b |= ((v >> 2) & 1u) << (7 - j);
    }
    rgb[0] = (uint8_t)r;
    rgb[1] = (uint8_t)g;
    rgb[2] = (uint8_t)b;
}

