/* seg_model.c - feeding and reading a model: normalisation, labels, mask. */
#include "seg_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
} KNOWN[] = {
    {"8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
     "MediaPipe selfie segmentation 256x256", 0.0f, 1.0f, 0},
    {"4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894",
     "MediaPipe selfie segmentation landscape 144x256", 0.0f, 1.0f, 0},
    {"68a539782c2c6a72f8aac3724600124a85ed977162b44e84cbae5db717c933c6",
     "DeepLabV3 MobileNetV2 257 (PASCAL VOC)", -1.0f, 1.0f, 1},
};

static void set_range(seg_model *sm, float lo, float hi)
{
    /* byte x -> lo + x/255*(hi-lo) == (x - mean)/std */
    for (int c = 0; c < 3; c++) {
        sm->std[c] = 255.0f / (hi - lo);
        sm->mean[c] = (0.0f - lo) * sm->std[c]; /* 0 - 0 keeps +0 in messages */
    }
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        SET_ERR("cannot open model '%s': %s", path, strerror(errno));
        return SEG_ERR_IO;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        SET_ERR("model '%s' is not a regular file", path);
        return SEG_ERR_IO;
    }
    if ((unsigned long long)st.st_size > NN_MAX_MODEL_BYTES) {
        fclose(f);
        SET_ERR("model '%s' is larger than %zu bytes", path, NN_MAX_MODEL_BYTES);
        return SEG_ERR_LIMIT;
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        fclose(f);
        SET_ERR("out of memory reading '%s'", path);
        return SEG_ERR_NOMEM;
    }
    if (fread(*buf, 1, *len, f) != *len) {
        fclose(f);
        free(*buf);
        *buf = NULL;
        SET_ERR("cannot read model '%s'", path);
        return SEG_ERR_IO;
    }
    fclose(f);
    return SEG_OK;
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

int seg_model_open(seg_model *sm, const char *path, const char *range_override,
                   const char *labels_path, const char *classes, char *err, size_t errlen)
{
    memset(sm, 0, sizeof *sm);
    uint8_t *buf;
    size_t len;
    int st = read_file(path, &buf, &len, err, errlen);
    if (st)
        return st;
    char inner[512];
    st = nn_model_load(&sm->nn, buf, len, inner, sizeof inner);
    if (st) {
        SET_ERR("model '%s': %s", path, inner);
        free(buf);
        return st;
    }
    seg_sha256_hex(buf, len, sm->sha256);
    free(buf);
    sm->in = nn_model_input_shape(sm->nn);
    sm->out = nn_model_output_shape(sm->nn);
    sm->squash = nn_model_output_squash(sm->nn);
    sm->n_classes = nn_model_output_is_index(sm->nn) ? 0 : sm->out.c;
    const struct known *k = NULL;
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i].sha256, sm->sha256) == 0)
            k = &KNOWN[i];
    sm->known_name = k ? k->name : NULL;
    if (range_override) {
        if (strcmp(range_override, "0,1") == 0)
            set_range(sm, 0.0f, 1.0f);
        else if (strcmp(range_override, "-1,1") == 0)
            set_range(sm, -1.0f, 1.0f);
        else {
            seg_model_close(sm);
            SET_ERR("--input-range wants 0,1 or -1,1, got '%s'", range_override);
            return SEG_ERR_INVALID;
        }
        snprintf(sm->norm_source, sizeof sm->norm_source, "--input-range %s", range_override);
    } else if (nn_model_metadata_norm(sm->nn, sm->mean, sm->std)) {
        snprintf(sm->norm_source, sizeof sm->norm_source, "the model's metadata");
    } else if (k) {
        set_range(sm, k->lo, k->hi);
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

void seg_model_input_luts(const seg_model *sm, float lut[3][256])
{
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 256; i++)
            lut[c][i] = ((float)i - sm->mean[c]) / sm->std[c];
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

void seg_model_mask(const seg_model *sm, const float *out, float *mask, uint8_t *labels)
{
    size_t n = (size_t)sm->out.h * sm->out.w;
    int c = sm->out.c;
    if (nn_model_output_is_index(sm->nn)) {
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

/* ==== --model-info ======================================================= */

int seg_model_info_main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--model-info") == 0 && i + 1 < argc)
            path = argv[i + 1];
    if (!path) {
        fprintf(stderr, "usage: segstream --model-info MODEL\n");
        return 2;
    }
    char err[512];
    uint8_t *buf;
    size_t len;
    int st = read_file(path, &buf, &len, err, sizeof err);
    if (st) {
        fprintf(stderr, "segstream: %s\n", err);
        return 4;
    }
    nn_model_info info;
    if ((st = nn_model_inspect(buf, len, &info, err, sizeof err))) {
        fprintf(stderr, "segstream: model '%s': %s\n", path, err);
        free(buf);
        return 4;
    }
    char sha[65];
    seg_sha256_hex(buf, len, sha);
    free(buf);
    printf("model:       %s\n", path);
    printf("sha256:      %s\n", sha);
    printf("description: %s\n", info.description[0] ? info.description : "-");
    printf("input:       [%d,%d,%d,%d] %s (%d input%s)\n", info.input.n, info.input.h,
           info.input.w, info.input.c, info.input_type, info.n_inputs,
           info.n_inputs == 1 ? "" : "s");
    printf("output:      [%d,%d,%d,%d] %s (%d output%s)\n", info.output.n, info.output.h,
           info.output.w, info.output.c, info.output_type, info.n_outputs,
           info.n_outputs == 1 ? "" : "s");
    printf("tensors:     %d\noperators:   %d\nparameters:  %llu\n", info.n_tensors,
           info.n_operators, (unsigned long long)info.params);
    printf("ops:\n");
    int unsupported = 0;
    for (int k = 0; k < info.n_op_kinds; k++) {
        printf("  %-32s %5d%s\n", info.ops[k].name, info.ops[k].count,
               info.ops[k].supported ? "" : "   NOT SUPPORTED");
        unsupported += !info.ops[k].supported;
    }
    seg_model sm;
    st = seg_model_open(&sm, path, NULL, NULL, NULL, err, sizeof err);
    if (st) {
        printf("supported:   no: %s\n", err);
        if (unsupported)
            printf("             unsupported ops: %d kind%s (listed above)\n", unsupported,
                   unsupported == 1 ? "" : "s");
        return 4;
    }
    printf("multiply-adds per inference: %.1f M (after segstream's graph rewrites)\n",
           (double)nn_model_macs(sm.nn) / 1e6);
    printf("known model: %s\n", sm.known_name ? sm.known_name : "no");
    printf("normalisation: (x - [%g,%g,%g]) / [%g,%g,%g] from %s\n", (double)sm.mean[0],
           (double)sm.mean[1], (double)sm.mean[2], (double)sm.std[0], (double)sm.std[1],
           (double)sm.std[2], sm.norm_source);
    if (sm.n_classes > 2) {
        printf("output: %d classes (argmax), foreground:", sm.n_classes);
        for (int c = 0; c < sm.n_classes; c++)
            if (sm.fg[c])
                printf(" %s", sm.labels[c][0] ? sm.labels[c] : "?");
        printf("\n");
    } else if (sm.n_classes == 2) {
        printf("output: 2 channels, foreground = softmax channel 1\n");
    } else {
        printf("output: foreground probability%s\n",
               sm.squash == 1 ? "" : " (sigmoid applied by segstream)");
    }
    if (sm.in.c != 3) {
        printf("supported:   no: the engine runs it, but segstream feeds RGB pictures and "
               "this input has %d channels\n", sm.in.c);
        seg_model_close(&sm);
        return 4;
    }
    printf("supported:   yes\n");
    seg_model_close(&sm);
    return 0;
}
