/* io_orient.c - pictures upright: the display matrix of a phone clip read
 * the way ffmpeg's autorotate reads it, the eight axis-aligned turns and
 * mirrors applied to planes, and the size that makes pixels square. */
#include "io_internal.h"

#include <math.h>
#include <string.h>

#include <libavutil/display.h>

static const char *const ORIENT_NAMES[IO_ORIENT_COUNT] = {"auto", "none", "0", "90", "180",
                                                           "270"};
_Static_assert(IO_ORIENT_COUNT == 6, "ORIENT_NAMES follows io_orient");

const char *io_orient_name(io_orient o)
{
    return (unsigned)o < IO_ORIENT_COUNT ? ORIENT_NAMES[o] : NULL;
}

/* ==== which operation ===================================================== */

io_orient_op io_orient_from_degrees(int deg)
{
    io_orient_op op = {0, 0, 0};
    switch (deg) {
    case 90: op.transpose = op.hflip = 1; break;   /* transpose=clock */
    case 180: op.hflip = op.vflip = 1; break;
    case 270: op.transpose = op.vflip = 1; break;  /* transpose=cclock */
    default: break;
    }
    return op;
}

/* Following fftools/ffmpeg_filter.c (configure_input_video_filter) and
 * fftools/cmdutils.c (get_rotation): theta is the clockwise turn that shows
 * the picture as meant, and the signs of the matrix's entries say which of
 * the two pictures with that turn (mirrored or not) it is. */
io_orient_op io_orient_from_matrix(const int32_t *m, int *odd_deg)
{
    io_orient_op op = {0, 0, 0};
    *odd_deg = -1;
    if (!m)
        return op;
    double theta = av_display_rotation_get(m);
    if (isnan(theta)) /* a degenerate matrix (a zero scale): nothing to go by */
        return op;
    theta = -round(theta);
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1.0) {
        op.transpose = 1; /* m[3] > 0: cclock_flip (a plain transpose), else clock */
        op.hflip = m[3] <= 0;
    } else if (fabs(theta - 180) < 1.0) {
        op.hflip = m[0] < 0;
        op.vflip = m[4] < 0;
    } else if (fabs(theta - 270) < 1.0) {
        op.transpose = 1; /* m[3] < 0: clock_flip, else cclock */
        op.hflip = m[3] < 0;
        op.vflip = 1;
    } else if (fabs(theta) < 1.0 || fabs(theta - 360) < 1.0) {
        op.vflip = m[4] < 0;
    } else {
        *odd_deg = (int)theta;
    }
    return op;
}

int io_orient_op_any(io_orient_op op)
{
    return op.transpose || op.hflip || op.vflip;
}

void io_orient_op_describe(io_orient_op op, int *rotation, int *flip)
{
    /* transpose = 90 + mirror; clock = 90; cclock = 270; both mirrors = 180;
     * vflip alone = 180 + mirror; transpose + both = 270 + mirror. */
    if (op.transpose) {
        *rotation = op.vflip ? 270 : 90;
        *flip = op.hflip == op.vflip;
    } else {
        *rotation = op.vflip ? 180 : 0;
        *flip = op.hflip != op.vflip;
    }
}

/* ==== applying it ========================================================= */

/* Rows of a transpose are done in tiles so that both sides stay in cache. */
#define TILE 32

void io_orient_plane(io_orient_op op, const uint8_t *src, int src_stride, int w, int h,
                     int bpp, uint8_t *dst, int dst_stride)
{
    int ow = op.transpose ? h : w, oh = op.transpose ? w : h;
    if (!op.transpose) {
        for (int y = 0; y < oh; y++) {
            const uint8_t *s = src + (size_t)(op.vflip ? oh - 1 - y : y) * src_stride;
            uint8_t *d = dst + (size_t)y * dst_stride;
            if (!op.hflip) {
                memcpy(d, s, (size_t)ow * bpp);
                continue;
            }
            for (int x = 0; x < ow; x++)
                memcpy(d + (size_t)x * bpp, s + (size_t)(ow - 1 - x) * bpp, (size_t)bpp);
        }
        return;
    }
    for (int ty = 0; ty < oh; ty += TILE) {
        for (int tx = 0; tx < ow; tx += TILE) {
            int ey = ty + TILE < oh ? ty + TILE : oh, ex = tx + TILE < ow ? tx + TILE : ow;
            for (int y = ty; y < ey; y++) {
                /* Output row y is stored column sx, output column x stored
                 * row sy (after the mirrors). */
                int sx = op.vflip ? oh - 1 - y : y;
                uint8_t *d = dst + (size_t)y * dst_stride;
                for (int x = tx; x < ex; x++) {
                    int sy = op.hflip ? ow - 1 - x : x;
                    const uint8_t *s = src + (size_t)sy * src_stride + (size_t)sx * bpp;
                    if (bpp == 1)
                        d[x] = *s;
                    else
                        memcpy(d + (size_t)x * bpp, s, (size_t)bpp);
                }
            }
        }
    }
}

void io_orient_apply(io_orient_op op, const seg_image *src, seg_image *dst)
{
    io_orient_plane(op, src->data, src->stride, src->width, src->height,
                    seg_pixfmt_bpp(src->format), dst->data, dst->stride);
    if (src->format == SEG_PIX_YUV420P) {
        int cw = seg_chroma_w(src->width), ch = seg_chroma_h(src->height);
        io_orient_plane(op, src->cb, src->cstride, cw, ch, 1, dst->cb, dst->cstride);
        io_orient_plane(op, src->cr, src->cstride, cw, ch, 1, dst->cr, dst->cstride);
    }
    dst->matrix = src->matrix;
    dst->full_range = src->full_range;
    dst->pts = src->pts;
    dst->index = src->index;
}

void io_square_size(int w, int h, int sar_num, int sar_den, int *sw, int *sh)
{
    *sw = w;
    *sh = h;
    if (sar_num <= 0 || sar_den <= 0 || sar_num == sar_den)
        return;
    if (sar_num > sar_den) { /* wide pixels: more columns */
        long long x = ((long long)w * sar_num + sar_den / 2) / sar_den;
        *sw = (int)(x > SEG_MAX_DIM + 2 ? SEG_MAX_DIM + 2 : (x + 1) & ~1LL);
    } else { /* tall pixels: more rows */
        long long y = ((long long)h * sar_den + sar_num / 2) / sar_num;
        *sh = (int)(y > SEG_MAX_DIM + 2 ? SEG_MAX_DIM + 2 : (y + 1) & ~1LL);
    }
}
