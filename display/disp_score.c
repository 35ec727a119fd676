/* disp_score.c - mask scoring against ground truth (see disp_score.h).
 *
 * Per frame, one pass classifies the GT through a 256-entry table, counts
 * IoU's pixels and flicker's changes, and keeps the alpha for the next
 * frame; people frames then take three distance transforms (GT boundary,
 * predicted boundary, GT background) for boundary F and the see-through
 * interior. */
#include "disp_score.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GT pixel classes (the table's values). */
enum { LAB_BG = 0, LAB_FG = 1, LAB_IGN = 2 };

/* Predicted boundary map values: counted, or lying on an ignored GT pixel
 * (matches GT boundary pixels but is left out of precision). */
enum { BND_NONE = 0, BND_COUNT = 1, BND_IGN = 2 };

struct disp_score {
    disp_score_options opt;
    uint8_t lut[256];      /* GT byte -> LAB_* */

    /* frame-sized buffers, stride w, one block at blk */
    int w, h;              /* their frame size; 0 = none yet */
    void *blk;
    uint8_t *lab;          /* this frame's GT classes */
    uint8_t *prev_lab;     /* the previous frame's (swapped with lab) */
    uint8_t *prev_alpha;   /* the alpha, written over as each frame is read */
    uint8_t *bnd_g;        /* GT boundary, 0/1 */
    uint8_t *bnd_p;        /* predicted boundary, BND_* */
    uint8_t *dist;         /* capped vertical distances (vdist) */
    uint8_t *within;       /* one row: within the radius of a set pixel */
    int *env_v;            /* lower envelope: parabola apexes, w entries */
    double *env_z;         /* and where each starts to be lowest, w entries */
    int have_prev;         /* prev_lab / prev_alpha hold the previous frame */

    /* totals */
    int64_t frames, people, empty, voids;
    double iou_sum, f_sum, p_sum, r_sum;
    double fp_sum, fp_max;
    int64_t interior, see_through;
    uint64_t flicker_sum;  /* sum of |alpha change|, 0..255 units */
    int64_t flicker_n;
    int tol, margin;       /* of the last frame */
    int64_t hist[DISP_SCORE_IOU_BINS + 1]; /* people frames by rounded IoU */

    char err[256];
};

/* An undefined average (NAN is a float constant). */
#define UNDEF ((double)NAN)

#define SCORE_ERROR(s, ...) seg_format_error((s)->err, sizeof((s)->err), __func__, __VA_ARGS__)

/* ==== options =========================================================== */

static const char *const GT_NAME[DISP_SCORE_GT_COUNT] = {"binary", "classes"};
_Static_assert(sizeof(GT_NAME) / sizeof(GT_NAME[0]) == DISP_SCORE_GT_COUNT,
               "a name for every GT reading");

const char *disp_score_gt_name(disp_score_gt g)
{
    return (unsigned)g < DISP_SCORE_GT_COUNT ? GT_NAME[g] : NULL;
}

disp_score_options disp_score_options_default(void)
{
    disp_score_options o;
    memset(&o, 0, sizeof(o));
    o.gt = DISP_SCORE_GT_BINARY;
    o.ignore = -1;
    o.tolerance = -1;
    o.margin = -1;
    return o;
}

int disp_score_options_check(const disp_score_options *o)
{
    if (!o || (unsigned)o->gt >= DISP_SCORE_GT_COUNT || o->ignore < -1 || o->ignore > 255 ||
        o->tolerance < -1 || o->tolerance > DISP_SCORE_MAX_RADIUS || o->margin < -1 ||
        o->margin > DISP_SCORE_MAX_RADIUS)
        return SEG_ERR_INVALID;
    return SEG_OK;
}

static int clamp_radius(long r, int lo)
{
    if (r < lo)
        r = lo;
    return r > DISP_SCORE_MAX_RADIUS ? DISP_SCORE_MAX_RADIUS : (int)r;
}

int disp_score_default_tolerance(int w, int h)
{
    double diag = sqrt((double)w * w + (double)h * h);
    return clamp_radius(lround(0.008 * diag), 1);
}

int disp_score_default_margin(int w, int h)
{
    (void)w;
    return clamp_radius(lround(0.01 * h), 2);
}

/* ==== life cycle ======================================================== */

int disp_score_create(disp_score **out, const disp_score_options *opt)
{
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    disp_score_options o = opt ? *opt : disp_score_options_default();
    if (disp_score_options_check(&o))
        return SEG_ERR_INVALID;
    disp_score *s = calloc(1, sizeof(*s));
    if (!s)
        return SEG_ERR_NOMEM;
    s->opt = o;
    for (int v = 0; v < 256; v++) {
        int fg = o.gt == DISP_SCORE_GT_BINARY ? v >= 128 : o.fg_classes[v] != 0;
        s->lut[v] = v == o.ignore ? LAB_IGN : fg ? LAB_FG : LAB_BG;
    }
    disp_score_reset(s);
    *out = s;
    return SEG_OK;
}

void disp_score_free(disp_score **s)
{
    if (!s || !*s)
        return;
    free((*s)->blk);
    free(*s);
    *s = NULL;
}

void disp_score_new_sequence(disp_score *s)
{
    if (s)
        s->have_prev = 0;
}

void disp_score_reset(disp_score *s)
{
    if (!s)
        return;
    s->have_prev = 0;
    s->frames = s->people = s->empty = s->voids = 0;
    s->iou_sum = s->f_sum = s->p_sum = s->r_sum = 0;
    s->fp_sum = s->fp_max = 0;
    s->interior = s->see_through = 0;
    s->flicker_sum = 0;
    s->flicker_n = 0;
    s->tol = s->margin = 0;
    memset(s->hist, 0, sizeof(s->hist));
    s->err[0] = '\0';
}

const char *disp_score_last_error(const disp_score *s)
{
    return s ? s->err : "";
}

/* Buffers for a w x h frame in one block: the doubles first (alignment),
 * then the ints, then the bytes. Sizes were checked against the caps, so
 * nothing here overflows a size_t. */
static int reserve(disp_score *s, int w, int h)
{
    if (s->blk && s->w == w && s->h == h)
        return SEG_OK;
    size_t n = (size_t)w * (size_t)h;
    size_t bytes = sizeof(double) * (size_t)w + sizeof(int) * (size_t)w + 6 * n + (size_t)w;
    uint8_t *p = malloc(bytes);
    if (!p) {
        SCORE_ERROR(s, "out of memory for a %dx%d frame's scoring buffers", w, h);
        return SEG_ERR_NOMEM;
    }
    free(s->blk);
    s->blk = p;
    s->env_z = (double *)(void *)p;
    p += sizeof(double) * (size_t)w;
    s->env_v = (int *)(void *)p;
    p += sizeof(int) * (size_t)w;
    s->lab = p;
    s->prev_lab = p + n;
    s->prev_alpha = p + 2 * n;
    s->bnd_g = p + 3 * n;
    s->bnd_p = p + 4 * n;
    s->dist = p + 5 * n;
    s->within = p + 6 * n;
    s->w = w;
    s->h = h;
    s->have_prev = 0; /* a new size is a new sequence */
    return SEG_OK;
}

/* ==== distance transforms =============================================== */

/* The distance transform behind boundary matching and erosion, thresholded:
 * "is a set pixel within Euclidean distance r of (x, y)?". First the
 * vertical distance to the nearest set pixel of each column, capped at r + 1
 * (farther is as good as infinite); then per row the squared distance
 * D(x) = min over q of (x - q)^2 + g(q)^2 as the lower envelope of parabolas
 * (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms of Sampled
 * Functions", Theory of Computing 8, 2012), over the q with g(q) <= r only,
 * and only around the pixels asked about: a row is cut into clusters of
 * query pixels (gaps of at most 2r + 1) and each cluster's envelope is built
 * from the columns within r of it. O(w*h) for any r; a boundary row costs
 * a few clusters of about 2r + 1 columns. */

/* g = min(cap, vertical distance to the nearest pixel with map != v);
 * cap <= DISP_SCORE_MAX_RADIUS + 1 = 255. Branch-free byte loops (they
 * vectorise): min(up, cap - 1) + 1 cannot wrap. */
static void vdist(const uint8_t *map, uint8_t v, int w, int h, int cap, uint8_t *g)
{
    const uint8_t c1 = (uint8_t)(cap - 1);
    for (int x = 0; x < w; x++)
        g[x] = (uint8_t)(map[x] != v ? 0 : cap);
    for (int y = 1; y < h; y++) {
        const uint8_t *m = map + (size_t)y * w;
        const uint8_t *up = g + (size_t)(y - 1) * w;
        uint8_t *row = g + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            uint8_t d = (uint8_t)((up[x] < c1 ? up[x] : c1) + 1);
            row[x] = (uint8_t)(d & -(m[x] == v)); /* 0 on a set pixel */
        }
    }
    for (int y = h - 2; y >= 0; y--) {
        const uint8_t *down = g + (size_t)(y + 1) * w;
        uint8_t *row = g + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            uint8_t d = (uint8_t)((down[x] < c1 ? down[x] : c1) + 1);
            row[x] = row[x] < d ? row[x] : d;
        }
    }
}

/* The next cluster of pixels with q[] == qv at or after *x: [*lo, *hi),
 * query pixels at its ends, no gap over 2r + 1 inside. Advances *x past
 * it. 0 when there is none. */
static int next_cluster(const uint8_t *q, uint8_t qv, int w, int r, int *x, int *lo, int *hi)
{
    if (*x >= w)
        return 0;
    const uint8_t *p = memchr(q + *x, qv, (size_t)(w - *x));
    if (!p)
        return 0;
    int last = (int)(p - q), i = last + 1;
    *lo = last;
    for (; i < w && i - last <= 2 * r + 1; i++)
        if (q[i] == qv)
            last = i;
    *hi = last + 1;
    *x = i; /* (last, i) holds no query pixel */
    return 1;
}

/* within[x] = 1 when D(x) <= r^2, for x in [lo, hi), from the row g of
 * vdist(cap r + 1): only columns within r of [lo, hi) can be that close. */
static void row_within(const uint8_t *g, int w, int lo, int hi, int r, int *v, double *z,
                       uint8_t *within)
{
    int q0 = lo - r > 0 ? lo - r : 0, q1 = hi + r < w ? hi + r : w;
    int k = -1; /* index of the last parabola in the envelope */
    for (int q = q0; q < q1; q++) {
        if (g[q] > r)
            continue;
        double fq = (double)g[q] * g[q] + (double)q * q;
        double sx = -DBL_MAX;
        while (k >= 0) {
            int p = v[k];
            /* where parabola q starts to be below parabola p */
            sx = (fq - ((double)g[p] * g[p] + (double)p * p)) / (2.0 * (q - p));
            if (sx > z[k])
                break;
            k--; /* p is nowhere lowest */
        }
        k++;
        v[k] = q;
        z[k] = k == 0 ? -DBL_MAX : sx;
    }
    if (k < 0) {
        memset(within + lo, 0, (size_t)(hi - lo));
        return;
    }
    long r2 = (long)r * r;
    int j = 0;
    for (int x = lo; x < hi; x++) {
        while (j < k && z[j + 1] < x)
            j++;
        long dx = x - v[j], gy = g[v[j]];
        within[x] = dx * dx + gy * gy <= r2;
    }
}

/* Of the pixels with query == BND_COUNT: how many (*n), and how many lie
 * within r of a pixel with set != 0 (*matched). */
static void count_matched(disp_score *s, const uint8_t *query, const uint8_t *set, int r,
                          int64_t *n, int64_t *matched)
{
    int w = s->w, h = s->h;
    vdist(set, 0, w, h, r + 1, s->dist);
    int64_t cn = 0, cm = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *qr = query + (size_t)y * w;
        int x = 0, lo, hi;
        while (next_cluster(qr, BND_COUNT, w, r, &x, &lo, &hi)) {
            row_within(s->dist + (size_t)y * w, w, lo, hi, r, s->env_v, s->env_z, s->within);
            for (int i = lo; i < hi; i++) {
                if (qr[i] == BND_COUNT) {
                    cn++;
                    cm += s->within[i];
                }
            }
        }
    }
    *n = cn;
    *matched = cm;
}

/* ==== per-frame metrics ================================================= */

/* Boundary maps: foreground pixels with a background 4-neighbour inside
 * the frame. GT: foreground = LAB_FG (ignored is background there);
 * predicted: alpha >= DISP_SCORE_FG_ALPHA, BND_IGN on ignored GT pixels.
 * A neighbour outside the frame is read as the pixel itself (no boundary):
 * the rows above and below are the row itself at the top and bottom, the
 * left and right neighbours x itself at the ends (xl, xr). */
typedef struct bnd_rows {
    const uint8_t *l, *lu, *ld; /* GT classes: this row, above, below */
    const uint8_t *a, *au, *ad; /* alpha: this row, above, below */
    uint8_t *bg, *bp;           /* the boundary maps' rows */
} bnd_rows;

static inline void bnd_px(const bnd_rows *r, int x, int xl, int xr)
{
    const uint8_t *l = r->l, *a = r->a;
    int gb = (l[x] == LAB_FG) & ((l[xl] != LAB_FG) | (l[xr] != LAB_FG) |
                                 (r->lu[x] != LAB_FG) | (r->ld[x] != LAB_FG));
    int pb = (a[x] >= DISP_SCORE_FG_ALPHA) &
             ((a[xl] < DISP_SCORE_FG_ALPHA) | (a[xr] < DISP_SCORE_FG_ALPHA) |
              (r->au[x] < DISP_SCORE_FG_ALPHA) | (r->ad[x] < DISP_SCORE_FG_ALPHA));
    r->bg[x] = (uint8_t)gb;
    r->bp[x] = (uint8_t)(pb * (l[x] == LAB_IGN ? BND_IGN : BND_COUNT));
}

static void boundaries(disp_score *s)
{
    int w = s->w, h = s->h;
    for (int y = 0; y < h; y++) {
        size_t o = (size_t)y * w;
        size_t ou = y > 0 ? o - (size_t)w : o, od = y < h - 1 ? o + (size_t)w : o;
        bnd_rows r = {s->lab + o,        s->lab + ou,        s->lab + od,
                      s->prev_alpha + o, s->prev_alpha + ou, s->prev_alpha + od,
                      s->bnd_g + o,      s->bnd_p + o};
        bnd_px(&r, 0, 0, w > 1 ? 1 : 0);
        for (int x = 1; x < w - 1; x++) /* no edge tests here: it vectorises */
            bnd_px(&r, x, x - 1, x + 1);
        if (w > 1)
            bnd_px(&r, w - 1, w - 2, w - 1);
    }
}

static void boundary_f(disp_score *s, int r, disp_score_frame *f)
{
    boundaries(s);
    int64_t np, mp, ng, mg;
    count_matched(s, s->bnd_p, s->bnd_g, r, &np, &mp); /* precision */
    count_matched(s, s->bnd_g, s->bnd_p, r, &ng, &mg); /* recall */
    /* DAVIS's conventions for an empty boundary */
    double p = np ? (double)mp / (double)np : 1.0;
    double rc = ng ? (double)mg / (double)ng : 1.0;
    f->precision = p;
    f->recall = rc;
    f->boundary_f = p + rc > 0 ? 2.0 * p * rc / (p + rc) : 0.0;
}

/* GT foreground pixels farther than m from every non-foreground pixel (the
 * frame's edge is not one), and those of them with a see-through alpha. */
static void see_through(disp_score *s, int m, disp_score_frame *f)
{
    int w = s->w, h = s->h;
    vdist(s->lab, LAB_FG, w, h, m + 1, s->dist);
    int64_t in = 0, low = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *l = s->lab + (size_t)y * w;
        const uint8_t *a = s->prev_alpha + (size_t)y * w;
        int x = 0, lo, hi;
        while (next_cluster(l, LAB_FG, w, m, &x, &lo, &hi)) {
            row_within(s->dist + (size_t)y * w, w, lo, hi, m, s->env_v, s->env_z, s->within);
            for (int i = lo; i < hi; i++) {
                int interior = l[i] == LAB_FG && !s->within[i];
                in += interior;
                low += interior & (a[i] < DISP_SCORE_SOLID_ALPHA);
            }
        }
    }
    f->interior_pixels = in;
    f->see_through_pixels = low;
}

static int check_image(disp_score *s, const seg_image *im, const char *what)
{
    if (!im || !im->data || im->format != SEG_PIX_GRAY8) {
        SCORE_ERROR(s, "the %s must be a GRAY8 image", what);
        return SEG_ERR_INVALID;
    }
    if (im->width <= 0 || im->height <= 0 || im->stride < im->width) {
        SCORE_ERROR(s, "bad %s size %dx%d (stride %d)", what, im->width, im->height,
                    im->stride);
        return SEG_ERR_INVALID;
    }
    if (im->width > SEG_MAX_DIM || im->height > SEG_MAX_DIM ||
        (long long)im->width * im->height > SEG_MAX_PIXELS) {
        SCORE_ERROR(s, "the %s is %dx%d, over the %dx%d / %lld pixel limit", what, im->width,
                    im->height, SEG_MAX_DIM, SEG_MAX_DIM, (long long)SEG_MAX_PIXELS);
        return SEG_ERR_LIMIT;
    }
    return SEG_OK;
}

int disp_score_add(disp_score *s, const seg_image *alpha, const seg_image *gt,
                   disp_score_frame *frame)
{
    if (!s)
        return SEG_ERR_INVALID;
    int ret = check_image(s, alpha, "predicted alpha");
    if (ret == SEG_OK)
        ret = check_image(s, gt, "ground truth");
    if (ret != SEG_OK)
        return ret;
    if (alpha->width != gt->width || alpha->height != gt->height) {
        SCORE_ERROR(s, "the alpha is %dx%d but the ground truth %dx%d", alpha->width,
                    alpha->height, gt->width, gt->height);
        return SEG_ERR_INVALID;
    }
    int w = alpha->width, h = alpha->height;
    if ((ret = reserve(s, w, h)) != SEG_OK)
        return ret;

    disp_score_frame f;
    memset(&f, 0, sizeof(f));
    f.iou = f.boundary_f = f.precision = f.recall = f.fp_share = f.flicker = UNDEF;
    f.tolerance = s->opt.tolerance >= 0 ? s->opt.tolerance : disp_score_default_tolerance(w, h);
    f.margin = s->opt.margin >= 0 ? s->opt.margin : disp_score_default_margin(w, h);

    /* One pass: classes, IoU's counts, flicker against the previous frame,
     * and the alpha kept (stride w) for the boundary and the next frame. */
    int64_t valid = 0, gtfg = 0, pred = 0, inter = 0, fl_n = 0;
    uint64_t fl_sum = 0;
    int prev = s->have_prev;
    for (int y = 0; y < h; y++) {
        const uint8_t *a = alpha->data + (size_t)y * alpha->stride;
        const uint8_t *g = gt->data + (size_t)y * gt->stride;
        uint8_t *l = s->lab + (size_t)y * w;
        const uint8_t *pl = s->prev_lab + (size_t)y * w;
        uint8_t *pa = s->prev_alpha + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            uint8_t c = s->lut[g[x]];
            int p = a[x] >= DISP_SCORE_FG_ALPHA;
            l[x] = c;
            valid += c != LAB_IGN;
            gtfg += c == LAB_FG;
            pred += p && c != LAB_IGN;
            inter += p && c == LAB_FG;
            if (prev && c == pl[x] && c != LAB_IGN) {
                fl_sum += (uint64_t)abs(a[x] - pa[x]);
                fl_n++;
            }
            pa[x] = a[x];
        }
    }
    f.gt_pixels = gtfg;
    f.pred_pixels = pred;
    f.valid_pixels = valid;
    if (fl_n)
        f.flicker = (double)fl_sum / 255.0 / (double)fl_n;

    if (gtfg > 0) {
        f.people = 1;
        int64_t uni = gtfg + pred - inter; /* >= gtfg > 0 */
        f.iou = (double)inter / (double)uni;
        /* the bin, rounded half up, in exact integers */
        int64_t bin = (inter * DISP_SCORE_IOU_BINS * 2 + uni) / (2 * uni);
        s->hist[bin]++;
        boundary_f(s, f.tolerance, &f);
        see_through(s, f.margin, &f);
        s->people++;
        s->iou_sum += f.iou;
        s->f_sum += f.boundary_f;
        s->p_sum += f.precision;
        s->r_sum += f.recall;
    } else if (valid > 0) {
        f.people = 0;
        f.fp_share = (double)pred / (double)valid;
        s->empty++;
        s->fp_sum += f.fp_share;
        if (f.fp_share > s->fp_max)
            s->fp_max = f.fp_share;
    } else {
        f.people = -1;
        s->voids++;
    }
    s->frames++;
    s->interior += f.interior_pixels;
    s->see_through += f.see_through_pixels;
    s->flicker_sum += fl_sum;
    s->flicker_n += fl_n;
    s->tol = f.tolerance;
    s->margin = f.margin;

    uint8_t *t = s->lab; /* this frame's classes are the next one's previous */
    s->lab = s->prev_lab;
    s->prev_lab = t;
    s->have_prev = 1;
    if (frame)
        *frame = f;
    return SEG_OK;
}

/* ==== results =========================================================== */

double disp_score_iou_percentile(const disp_score *s, double p)
{
    if (!s || !(p >= 0 && p <= 100) || s->people == 0)
        return UNDEF;
    /* nearest rank: the ceil(p/100 * n)-th smallest, at least the first;
     * p * n before the division keeps whole ranks exact */
    double r = ceil(p * (double)s->people / 100.0);
    int64_t rank = r < 1 ? 1 : (int64_t)r;
    if (rank > s->people)
        rank = s->people;
    int64_t seen = 0;
    for (int b = 0; b <= DISP_SCORE_IOU_BINS; b++) {
        seen += s->hist[b];
        if (seen >= rank)
            return (double)b / DISP_SCORE_IOU_BINS;
    }
    return UNDEF; /* not reached: the bins hold s->people frames */
}

int disp_score_result_get(const disp_score *s, disp_score_result *r)
{
    if (!s || !r)
        return SEG_ERR_INVALID;
    memset(r, 0, sizeof(*r));
    r->frames = s->frames;
    r->frames_people = s->people;
    r->frames_empty = s->empty;
    r->frames_void = s->voids;
    double np = (double)s->people;
    r->iou_mean = s->people ? s->iou_sum / np : UNDEF;
    r->iou_p10 = disp_score_iou_percentile(s, 10);
    r->iou_p50 = disp_score_iou_percentile(s, 50);
    r->boundary_f = s->people ? s->f_sum / np : UNDEF;
    r->boundary_precision = s->people ? s->p_sum / np : UNDEF;
    r->boundary_recall = s->people ? s->r_sum / np : UNDEF;
    r->fp_mean = s->empty ? s->fp_sum / (double)s->empty : UNDEF;
    r->fp_max = s->empty ? s->fp_max : UNDEF;
    r->see_through = s->interior ? (double)s->see_through / (double)s->interior : UNDEF;
    r->interior_pixels = s->interior;
    r->flicker = s->flicker_n ? (double)s->flicker_sum / 255.0 / (double)s->flicker_n : UNDEF;
    r->flicker_pixels = s->flicker_n;
    r->tolerance = s->tol;
    r->margin = s->margin;
    return SEG_OK;
}

/* ==== printers ========================================================== */

/* An snprintf-style appender: counts the whole length, writes what fits. */
typedef struct out_buf {
    char *buf;
    size_t size;
    size_t len;
} out_buf;

static void put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->size ? o->buf + o->len : NULL;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* A number, or `undef` for UNDEF. */
static void put_num(out_buf *o, double v, int decimals, const char *undef)
{
    if (isnan(v))
        put(o, "%s", undef);
    else
        put(o, "%.*f", decimals, v);
}

static int finish(const out_buf *o)
{
    return o->len > (size_t)2147483647 ? SEG_ERR_INVALID : (int)o->len;
}

int disp_score_format_text(const disp_score_result *r, char *buf, size_t size)
{
    if (!r || (!buf && size))
        return SEG_ERR_INVALID;
    out_buf o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    put(&o, "frames           %" PRId64 " (people %" PRId64 ", empty %" PRId64 ", void %" PRId64
            ")\n",
        r->frames, r->frames_people, r->frames_empty, r->frames_void);
    put(&o, "IoU              mean ");
    put_num(&o, r->iou_mean, 4, "n/a");
    put(&o, "  p10 ");
    put_num(&o, r->iou_p10, 4, "n/a");
    put(&o, "  median ");
    put_num(&o, r->iou_p50, 4, "n/a");
    put(&o, "\nboundary F       ");
    put_num(&o, r->boundary_f, 4, "n/a");
    put(&o, " (precision ");
    put_num(&o, r->boundary_precision, 4, "n/a");
    put(&o, ", recall ");
    put_num(&o, r->boundary_recall, 4, "n/a");
    put(&o, "; tolerance %d px)\nfalse positives  mean ", r->tolerance);
    put_num(&o, r->fp_mean, 4, "n/a");
    put(&o, "  max ");
    put_num(&o, r->fp_max, 4, "n/a");
    put(&o, " (share of the frame)\nsee-through      ");
    put_num(&o, r->see_through, 4, "n/a");
    put(&o, " (of %" PRId64 " interior px; margin %d px)\nflicker          ", r->interior_pixels,
        r->margin);
    put_num(&o, r->flicker, 4, "n/a");
    put(&o, " (mean alpha change, 0..1, over %" PRId64 " px)\n", r->flicker_pixels);
    return finish(&o);
}

int disp_score_format_json(const disp_score_result *r, char *buf, size_t size)
{
    if (!r || (!buf && size))
        return SEG_ERR_INVALID;
    out_buf o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    put(&o,
        "{\"frames\":%" PRId64 ",\"frames_people\":%" PRId64 ",\"frames_empty\":%" PRId64
        ",\"frames_void\":%" PRId64,
        r->frames, r->frames_people, r->frames_empty, r->frames_void);
    const struct {
        const char *key;
        double v;
    } num[] = {
        {"iou_mean", r->iou_mean},
        {"iou_p10", r->iou_p10},
        {"iou_p50", r->iou_p50},
        {"boundary_f", r->boundary_f},
        {"boundary_precision", r->boundary_precision},
        {"boundary_recall", r->boundary_recall},
        {"fp_mean", r->fp_mean},
        {"fp_max", r->fp_max},
        {"see_through", r->see_through},
    };
    for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
        put(&o, ",\"%s\":", num[i].key);
        put_num(&o, num[i].v, 6, "null");
    }
    put(&o, ",\"interior_pixels\":%" PRId64 ",\"flicker\":", r->interior_pixels);
    put_num(&o, r->flicker, 6, "null");
    put(&o, ",\"flicker_pixels\":%" PRId64 ",\"tolerance_px\":%d,\"margin_px\":%d}",
        r->flicker_pixels, r->tolerance, r->margin);
    return finish(&o);
}
