/* seg_detect.c - see seg_detect.h. */
#include "seg_detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DET_NMS_IOU 0.3f
/* Region of interest: twice the hip-to-full-body distance, scaled by 1.25
 * (MediaPipe's pose_detection_to_roi). */
#define ROI_SCALE 2.5f
/* A TFOD box is the whole person: the region is the square of this many
 * times its longer side (as the pose region is about 1.25 body heights). */
#define BOX_ROI_SCALE 1.25f

/* ==== anchors ============================================================= */

/* Tiles: look-alikes score 0.50-0.66 zoomed in, people 0.72-0.98 (the
 * evaluation set's clips, BENCHMARKS.md "Quality"). */
const seg_ssd_spec SEG_SSD_POSE = {"pose detector", SEG_SSD_BLAZE, 224, SEG_POSE_ANCHORS, 12, 1,
                                   {8, 16, 32, 32, 32}, 5, 0.5f, 0.7f};
const seg_ssd_spec SEG_SSD_FACE = {"face detector", SEG_SSD_BLAZE, 128, SEG_FACE_ANCHORS, 16, 1,
                                   {8, 16, 16, 16}, 4, 0.5f, 0.7f};
/* MediaPipe's Objectron graph (object_detection_oid_v4_cpu.pbtxt) keeps its
 * object from 0.4. On the evaluation set (BENCHMARKS.md, "Quality") 0.4 for
 * both the whole frame and the tiles calls nothing on the empty scenes and
 * finds people at every size; 0.5 misses the basketball player at a quarter
 * of the height on every other frame, 0.35 lets look-alikes take the place
 * of people at an eighth. */
const seg_ssd_spec SEG_SSD_OID = {"person detector (Open Images SSD)", SEG_SSD_TFOD, 300,
                                  SEG_OID_ANCHORS, 4, SEG_OID_CLASSES,
                                  {16, 32, 64, 128, 256, 512}, 6, 0.4f, 0.4f};

static int tfod_anchors(const seg_ssd_spec *spec, float *cx, float *cy, float *aw, float *ah)
{
    static const float aspects[5] = {1.0f, 2.0f, 0.5f, 3.0f, 0.3333f};
    const float min_scale = 0.2f, max_scale = 0.95f;
    int layers = spec->layers, n = 0;
    for (int l = 0; l < layers; l++) {
        float scale = min_scale + (max_scale - min_scale) * (float)l / (float)(layers - 1);
        float next = l == layers - 1
                         ? 1.0f
                         : min_scale + (max_scale - min_scale) * (float)(l + 1) / (float)(layers - 1);
        float as[6], ss[6];
        int na = 0;
        if (l == 0) { /* reduce_boxes_in_lowest_layer */
            as[0] = 1.0f, ss[0] = 0.1f;
            as[1] = 2.0f, ss[1] = scale;
            as[2] = 0.5f, ss[2] = scale;
            na = 3;
        } else {
            for (int k = 0; k < 5; k++)
                as[k] = aspects[k], ss[k] = scale;
            as[5] = 1.0f, ss[5] = sqrtf(scale * next);
            na = 6;
        }
        int g = (spec->size + spec->strides[l] - 1) / spec->strides[l];
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
                for (int a = 0; a < na; a++) {
                    if (n >= spec->n_anchors)
                        return n + 1; /* more than the spec says: a mismatch */
                    float r = sqrtf(as[a]);
                    cx[n] = ((float)x + 0.5f) / (float)g;
                    cy[n] = ((float)y + 0.5f) / (float)g;
                    if (aw)
                        aw[n] = ss[a] * r;
                    if (ah)
                        ah[n] = ss[a] / r;
                    n++;
                }
    }
    return n;
}

int seg_ssd_anchors(const seg_ssd_spec *spec, float *cx, float *cy, float *w, float *h)
{
    if (spec->kind == SEG_SSD_TFOD)
        return tfod_anchors(spec, cx, cy, w, h);
    /* SSD anchors: layers of one stride share a grid; each layer puts 2
     * anchors in a cell (aspect 1.0 and the interpolated scale), all of
     * size 1 (fixed_anchor_size), so only the centres matter. */
    const int *strides = spec->strides, layers = spec->layers;
    int n = 0;
    for (int l = 0; l < layers;) {
        int same = 0;
        while (l + same < layers && strides[l + same] == strides[l])
            same++;
        int g = (spec->size + strides[l] - 1) / strides[l];
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
                for (int a = 0; a < 2 * same; a++) {
                    cx[n] = ((float)x + 0.5f) / (float)g;
                    cy[n] = ((float)y + 0.5f) / (float)g;
                    if (w)
                        w[n] = 1.0f;
                    if (h)
                        h[n] = 1.0f;
                    n++;
                }
        l += same;
    }
    return n;
}

/* ==== decoding and NMS ==================================================== */

/* Most candidates a decode keeps (few pass a threshold). */
#define CANDIDATES 256

static float box_iou(const seg_person *a, const seg_person *b)
{
    float ix = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
    float iy = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
    if (ix <= 0 || iy <= 0)
        return 0.0f;
    float inter = ix * iy;
    float u = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
    return u > 0 ? inter / u : 0.0f;
}

static int by_score(const void *pa, const void *pb)
{
    const seg_person *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

/* A score from a logit clipped to +-100. */
static float logit_score(float l)
{
    l = l < -100.0f ? -100.0f : (l > 100.0f ? 100.0f : l);
    return 1.0f / (1.0f + expf(-l));
}

/* A candidate box of centre cx, cy and size w x h, no keypoints. */
static seg_person *add_candidate(seg_person *cand, int *nc, float score, float cx, float cy,
                                 float w, float h)
{
    seg_person *p = &cand[(*nc)++];
    memset(p, 0, sizeof *p);
    p->score = score;
    p->x0 = cx - w / 2;
    p->y0 = cy - h / 2;
    p->x1 = cx + w / 2;
    p->y1 = cy + h / 2;
    return p;
}

/* Weighted NMS over the candidates (sorted here): the best remaining and
 * every other overlapping it by more than @p iou, averaged by score. */
static int weighted_nms(seg_person *cand, int nc, float iou, seg_person *out, int max)
{
    qsort(cand, (size_t)nc, sizeof cand[0], by_score);
    unsigned char used[CANDIDATES] = {0};
    int n = 0;
    for (int i = 0; i < nc && n < max; i++) {
        if (used[i])
            continue;
        /* Weighted: the best and its overlaps, averaged by score. */
        seg_person m;
        memset(&m, 0, sizeof m);
        float wsum = 0;
        for (int j = i; j < nc; j++) {
            if (used[j] || (j != i && !(box_iou(&cand[i], &cand[j]) > iou)))
                continue;
            used[j] = 1;
            float w = cand[j].score;
            wsum += w;
            m.x0 += w * cand[j].x0;
            m.y0 += w * cand[j].y0;
            m.x1 += w * cand[j].x1;
            m.y1 += w * cand[j].y1;
            for (int k = 0; k < 4; k++) {
                m.kp[k][0] += w * cand[j].kp[k][0];
                m.kp[k][1] += w * cand[j].kp[k][1];
            }
        }
        m.x0 /= wsum;
        m.y0 /= wsum;
        m.x1 /= wsum;
        m.y1 /= wsum;
        for (int k = 0; k < 4; k++) {
            m.kp[k][0] /= wsum;
            m.kp[k][1] /= wsum;
        }
        m.score = cand[i].score;
        out[n++] = m;
    }
    return n;
}

int seg_ssd_decode(const seg_ssd_spec *spec, const float *boxes, const float *logits,
                   const float *ax, const float *ay, float min_score, float iou, seg_person *out,
                   int max)
{
    /* The candidates: few pass the threshold (about ten for one person). */
    seg_person cand[CANDIDATES];
    int nc = 0;
    const float s = 1.0f / (float)spec->size;
    int nkp = (spec->coords - 4) / 2;
    if (nkp > 4)
        nkp = 4; /* a face's first four: eyes, nose, mouth */
    for (int i = 0; i < spec->n_anchors && nc < CANDIDATES; i++) {
        float score = logit_score(logits[i]);
        if (!(score >= min_score))
            continue;
        const float *r = boxes + (size_t)i * spec->coords;
        float cx = r[0] * s + ax[i], cy = r[1] * s + ay[i], w = r[2] * s, h = r[3] * s;
        if (!(w >= 0 && h >= 0))
            continue;
        seg_person *p = add_candidate(cand, &nc, score, cx, cy, w, h);
        for (int k = 0; k < nkp; k++) {
            p->kp[k][0] = r[4 + 2 * k] * s + ax[i];
            p->kp[k][1] = r[5 + 2 * k] * s + ay[i];
        }
    }
    return weighted_nms(cand, nc, iou, out, max);
}

int seg_tfod_decode(const seg_ssd_spec *spec, const float *boxes, const float *logits,
                    const float *ax, const float *ay, const float *aw, const float *ah,
                    float min_score, float iou, seg_person *out, int max)
{
    seg_person cand[CANDIDATES];
    int nc = 0;
    for (int i = 0; i < spec->n_anchors && nc < CANDIDATES; i++) {
        float score = logit_score(logits[(size_t)i * spec->classes + SEG_OID_PERSON]);
        if (!(score >= min_score))
            continue;
        const float *r = boxes + (size_t)i * spec->coords;
        /* exp of a box size code: clipped so that a wild value stays finite */
        float eh = r[2] / 5.0f, ew = r[3] / 5.0f;
        eh = eh > 10.0f ? 10.0f : eh;
        ew = ew > 10.0f ? 10.0f : ew;
        float cy = r[0] / 10.0f * ah[i] + ay[i], cx = r[1] / 10.0f * aw[i] + ax[i];
        float h = expf(eh) * ah[i], w = expf(ew) * aw[i];
        if (w >= 0 && h >= 0 && isfinite(cx) && isfinite(cy))
            add_candidate(cand, &nc, score, cx, cy, w, h);
    }
    return weighted_nms(cand, nc, iou, out, max);
}

/* ==== sampling ============================================================ */

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Rounded and clamped to 0..255. Clamping after the conversion gives the
 * same bytes as before it (v + 0.5 truncates to 0 for v in (-1.5, 0) and
 * to 255 or more from 255 on), and loops of it vectorise. */
static inline uint8_t to_byte(float v)
{
    int i = (int)(v + 0.5f);
    return (uint8_t)(i < 0 ? 0 : i > 255 ? 255 : i);
}

/* Where a sample at position v (pixel-centre coordinates of a plane of n
 * pixels) reads: the two neighbours (edges replicated) and the weight of
 * the second. */
typedef struct tap {
    int a, b;
    float w;
} tap;

static inline tap tap_at(float v, int n)
{
    float fv = floorf(v);
    tap t = {clampi((int)fv, 0, n - 1), clampi((int)fv + 1, 0, n - 1), v - fv};
    return t;
}

/* Columns are done in blocks of this many, their taps worked out once per
 * block and used for every row. */
#define SAMPLE_BLOCK 256

/* One plane's taps for a block of columns. */
typedef struct col_taps {
    int a[SAMPLE_BLOCK], b[SAMPLE_BLOCK];
    float w[SAMPLE_BLOCK];
} col_taps;

/* A plane's rows lerped across the block's columns, the last two kept: a
 * source row serves several output rows when the region is scaled up (a
 * walker's region of 160 pixels sampled at 256: each row about three
 * times), so each is lerped once. The arithmetic is that of a sample worked
 * out on its own (the tests' reference), so the samples are the same to the
 * bit. */
typedef struct row_cache {
    int row[2];
    float v[2][SAMPLE_BLOCK];
} row_cache;

static void lerp_row(row_cache *c, int slot, const uint8_t *restrict r, int row,
                     const col_taps *restrict t, int n)
{
    float *restrict v = c->v[slot];
    const int *restrict a = t->a, *restrict b = t->b;
    const float *restrict tw = t->w;
    for (int k = 0; k < n; k++)
        v[k] = r[a[k]] + tw[k] * (r[b[k]] - r[a[k]]);
    c->row[slot] = row;
}

static int cached(const row_cache *c, int row)
{
    return c->row[0] == row ? 0 : c->row[1] == row ? 1 : -1;
}

/* Bytes of one plane's output row: rows ta.a and ta.b (of @p plane with
 * @p stride) lerped across, then down by weight ta.w. */
static void sample_row(row_cache *c, const uint8_t *plane, size_t stride, tap ty,
                       const col_taps *t, int n, uint8_t *restrict out)
{
    int sa = cached(c, ty.a);
    if (sa < 0) {
        sa = cached(c, ty.b) == 0 ? 1 : 0;
        lerp_row(c, sa, plane + (size_t)ty.a * stride, ty.a, t, n);
    }
    int sb = cached(c, ty.b);
    if (sb < 0) {
        sb = 1 - sa;
        lerp_row(c, sb, plane + (size_t)ty.b * stride, ty.b, t, n);
    }
    const float *restrict top = c->v[sa], *restrict bot = c->v[sb];
    float wy = ty.w;
    for (int k = 0; k < n; k++)
        out[k] = to_byte(top[k] + wy * (bot[k] - top[k]));
}

/* YUV 4:2:0: each plane sampled a row at a time (sample_row), then the
 * bytes converted as seg_yuv_pixel does. */
static void sample_yuv(const seg_image *f, const seg_yuv_tables *t, float x0, float y0, float sx,
                       float sy, int w, int h, int outside, float lut[3][256], float *dst)
{
    int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
    col_taps lx, cx;
    row_cache cy_, cu_, cv_;
    unsigned char out_x[SAMPLE_BLOCK];
    uint8_t yb[SAMPLE_BLOCK], ub[SAMPLE_BLOCK], vb[SAMPLE_BLOCK];
    for (int i0 = 0; i0 < w; i0 += SAMPLE_BLOCK) {
        int n = w - i0 < SAMPLE_BLOCK ? w - i0 : SAMPLE_BLOCK, any_out = 0;
        for (int k = 0; k < n; k++) {
            float x = x0 + ((float)(i0 + k) + 0.5f) * sx;
            out_x[k] = outside >= 0 && (x < 0 || x >= (float)f->width);
            any_out |= out_x[k];
            tap l = tap_at(x - 0.5f, f->width), c = tap_at(x / 2 - 0.5f, cw);
            lx.a[k] = l.a, lx.b[k] = l.b, lx.w[k] = l.w;
            cx.a[k] = c.a, cx.b[k] = c.b, cx.w[k] = c.w;
        }
        cy_.row[0] = cy_.row[1] = cu_.row[0] = cu_.row[1] = cv_.row[0] = cv_.row[1] = -1;
        for (int j = 0; j < h; j++) {
            float y = y0 + ((float)j + 0.5f) * sy;
            float *o = dst + ((size_t)j * w + (size_t)i0) * 3;
            if (outside >= 0 && (y < 0 || y >= (float)f->height)) {
                for (int k = 0; k < n; k++, o += 3)
                    for (int c = 0; c < 3; c++)
                        o[c] = lut[c][outside];
                continue;
            }
            tap ly = tap_at(y - 0.5f, f->height), cy = tap_at(y / 2 - 0.5f, ch);
            sample_row(&cy_, f->data, (size_t)f->stride, ly, &lx, n, yb);
            sample_row(&cu_, f->cb, (size_t)f->cstride, cy, &cx, n, ub);
            sample_row(&cv_, f->cr, (size_t)f->cstride, cy, &cx, n, vb);
            for (int k = 0; k < n; k++) {
                int32_t l = t->y[yb[k]];
                o[3 * k + 0] = lut[0][seg_clamp_fx(l + t->rv[vb[k]])];
                o[3 * k + 1] = lut[1][seg_clamp_fx(l + t->gu[ub[k]] + t->gv[vb[k]])];
                o[3 * k + 2] = lut[2][seg_clamp_fx(l + t->bu[ub[k]])];
            }
            for (int k = 0; any_out && k < n; k++)
                if (out_x[k])
                    for (int c = 0; c < 3; c++)
                        o[3 * k + c] = lut[c][outside];
        }
    }
}

void seg_sample_rgb(const seg_image *f, const seg_yuv_tables *t, float x0, float y0, float sx,
                    float sy, int w, int h, int outside, float lut[3][256], float *dst)
{
    if (f->format == SEG_PIX_YUV420P) {
        sample_yuv(f, t, x0, y0, sx, sy, w, h, outside, lut, dst);
        return;
    }
    /* RGB24: three interleaved planes of stride f->stride. */
    tap lx[SAMPLE_BLOCK];
    unsigned char out_x[SAMPLE_BLOCK];
    for (int i0 = 0; i0 < w; i0 += SAMPLE_BLOCK) {
        int n = w - i0 < SAMPLE_BLOCK ? w - i0 : SAMPLE_BLOCK;
        for (int k = 0; k < n; k++) {
            float x = x0 + ((float)(i0 + k) + 0.5f) * sx;
            out_x[k] = x < 0 || x >= (float)f->width;
            lx[k] = tap_at(x - 0.5f, f->width);
        }
        for (int j = 0; j < h; j++) {
            float y = y0 + ((float)j + 0.5f) * sy;
            float *o = dst + ((size_t)j * w + (size_t)i0) * 3;
            int out_y = outside >= 0 && (y < 0 || y >= (float)f->height);
            tap ly = tap_at(y - 0.5f, f->height);
            const uint8_t *ra = f->data + (size_t)ly.a * f->stride;
            const uint8_t *rb = f->data + (size_t)ly.b * f->stride;
            for (int k = 0; k < n; k++, o += 3) {
                uint8_t rgb[3];
                if (outside >= 0 && (out_y || out_x[k])) {
                    rgb[0] = rgb[1] = rgb[2] = (uint8_t)outside;
                } else {
                    tap x = lx[k];
                    for (int c = 0; c < 3; c++) {
                        float top = ra[3 * x.a + c] + x.w * (ra[3 * x.b + c] - ra[3 * x.a + c]);
                        float bot = rb[3 * x.a + c] + x.w * (rb[3 * x.b + c] - rb[3 * x.a + c]);
                        rgb[c] = to_byte(top + ly.w * (bot - top));
                    }
                }
                o[0] = lut[0][rgb[0]];
                o[1] = lut[1][rgb[1]];
                o[2] = lut[2][rgb[2]];
            }
        }
    }
}

/* ==== the detector ======================================================== */

int seg_detector_check(const seg_ssd_spec *spec, const nn_model *m, char *err, size_t errlen)
{
    nn_shape in = nn_model_input_shape(m);
    int ok = in.h == spec->size && in.w == spec->size && in.c == 3 &&
             nn_model_output_count(m) >= 2;
    for (int k = 0; ok && k < 2; k++) {
        nn_shape o = nn_model_output_shape_k(m, k);
        ok = (size_t)o.h * o.w == (size_t)spec->n_anchors &&
             (o.c == spec->classes || o.c == spec->coords);
    }
    if (!ok || nn_model_output_shape_k(m, 0).c == nn_model_output_shape_k(m, 1).c) {
        seg_format_error(err, errlen, __func__, "not a %s: it takes [%d,%d,%d,%d] and has %d "
                         "output(s); that detector takes [1,%d,%d,3] and gives %d boxes of %d "
                         "numbers and %d x %d scores", spec->name, in.n, in.h, in.w, in.c,
                         nn_model_output_count(m), spec->size, spec->size, spec->n_anchors,
                         spec->coords, spec->n_anchors, spec->classes);
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

void seg_detector_init(seg_detector *d, const seg_ssd_spec *spec, nn_model *m, int owns)
{
    memset(d, 0, sizeof *d);
    d->spec = spec;
    d->nn = m;
    d->owns_nn = owns;
    d->boxes_out = nn_model_output_shape_k(m, 0).c == spec->coords ? 0 : 1;
    (void)seg_ssd_anchors(spec, d->ax, d->ay, d->aw, d->ah);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 256; i++)
            d->lut[c][i] = (float)i / 127.5f - 1.0f;
}

void seg_detector_close(seg_detector *d)
{
    if (d->owns_nn)
        nn_model_free(&d->nn);
    d->nn = NULL;
}

int seg_detector_run(seg_detector *d, const seg_image *f, seg_person *out, int max)
{
    int key = 1 + 2 * (int)f->matrix + (f->full_range ? 1 : 0);
    if (f->format == SEG_PIX_YUV420P && key != d->yuv_key) {
        seg_yuv_tables_init(&d->yuv, f->matrix, f->full_range);
        d->yuv_key = key;
    }
    int size = d->spec->size;
    int tfod = d->spec->kind == SEG_SSD_TFOD;
    /* BLAZE: letterbox, the long side fills the input, centred; bars are
     * byte 0, which normalises to -1 as MediaPipe's BORDER_ZERO does. TFOD:
     * the frame stretched to the input. Either way input 0..1 maps to frame
     * x0 + u * span_x, y0 + v * span_y. */
    float long_side = (float)(f->width > f->height ? f->width : f->height);
    float span_x = tfod ? (float)f->width : long_side, span_y = tfod ? (float)f->height : long_side;
    float x0 = tfod ? 0.0f : ((float)f->width - long_side) / 2;
    float y0 = tfod ? 0.0f : ((float)f->height - long_side) / 2;
    seg_sample_rgb(f, &d->yuv, x0, y0, span_x / (float)size, span_y / (float)size, size, size,
                   0, d->lut, nn_model_input(d->nn));
    int st = nn_model_run(d->nn);
    if (st)
        return st;
    const float *boxes = nn_model_output_k(d->nn, d->boxes_out);
    const float *scores = nn_model_output_k(d->nn, 1 - d->boxes_out);
    int n = tfod ? seg_tfod_decode(d->spec, boxes, scores, d->ax, d->ay, d->aw, d->ah,
                                   d->spec->min_score, DET_NMS_IOU, out, max)
                 : seg_ssd_decode(d->spec, boxes, scores, d->ax, d->ay, d->spec->min_score,
                                  DET_NMS_IOU, out, max);
    for (int i = 0; i < n; i++) {
        seg_person *p = &out[i];
        /* 0..1 of the detector's input -> frame pixels. */
        p->x0 = x0 + p->x0 * span_x;
        p->x1 = x0 + p->x1 * span_x;
        p->y0 = y0 + p->y0 * span_y;
        p->y1 = y0 + p->y1 * span_y;
        for (int k = 0; k < 4; k++) {
            p->kp[k][0] = x0 + p->kp[k][0] * span_x;
            p->kp[k][1] = y0 + p->kp[k][1] * span_y;
        }
        if (tfod) {
            /* The box is the whole person: a square around its centre. */
            float bw = p->x1 - p->x0, bh = p->y1 - p->y0;
            p->roi_side = BOX_ROI_SCALE * (bw > bh ? bw : bh);
            p->roi_x = (p->x0 + p->x1) / 2 - p->roi_side / 2;
            p->roi_y = (p->y0 + p->y1) / 2 - p->roi_side / 2;
            continue;
        }
        if (d->spec != &SEG_SSD_POSE)
            continue; /* a face: no body region */
        float dx = p->kp[1][0] - p->kp[0][0], dy = p->kp[1][1] - p->kp[0][1];
        p->roi_side = ROI_SCALE * sqrtf(dx * dx + dy * dy);
        p->roi_x = p->kp[0][0] - p->roi_side / 2;
        p->roi_y = p->kp[0][1] - p->roi_side / 2;
    }
    return n;
}

int seg_detector_run_tile(seg_detector *d, const seg_image *f, int tx, int ty, int side,
                          seg_person *out, int max)
{
    seg_image v = *f;
    tx &= ~1; /* 4:2:0: chroma starts on an even pixel */
    ty &= ~1;
    if (f->format == SEG_PIX_YUV420P) {
        v.data += (size_t)ty * f->stride + (size_t)tx;
        v.cb += (size_t)(ty / 2) * f->cstride + (size_t)(tx / 2);
        v.cr += (size_t)(ty / 2) * f->cstride + (size_t)(tx / 2);
    } else {
        v.data += (size_t)ty * f->stride + (size_t)tx * 3;
    }
    v.width = side < f->width - tx ? side : f->width - tx;
    v.height = side < f->height - ty ? side : f->height - ty;
    int n = seg_detector_run(d, &v, out, max);
    for (int i = 0; i < n; i++) {
        seg_person *p = &out[i];
        p->x0 += (float)tx;
        p->x1 += (float)tx;
        p->y0 += (float)ty;
        p->y1 += (float)ty;
        p->roi_x += (float)tx;
        p->roi_y += (float)ty;
        for (int k = 0; k < 4; k++) {
            p->kp[k][0] += (float)tx;
            p->kp[k][1] += (float)ty;
        }
    }
    return n;
}
