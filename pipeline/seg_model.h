/* seg_model.h - a model as the pipeline sees it: the engine's graph plus how
 * to feed it (input normalisation) and how to read it (mask, classes).
 *
 * Normalisation, first match wins: --input-range; the model's TFLite
 * metadata (NormalizationOptions); a table of known models by sha256; else
 * [0,1] with a warning. Outputs: 1 channel = foreground probability (a
 * sigmoid is applied when the graph does not end in one); 2 channels =
 * softmax, channel 1 is the foreground; more = class scores, argmax gives the
 * label map and the foreground is the chosen classes (default: "person" for
 * PASCAL VOC models, else every class but 0). */
#ifndef SEG_MODEL_H
#define SEG_MODEL_H

#include <stdint.h>

#include "nn.h"

#define SEG_MAX_CLASSES 256

typedef struct seg_model {
    nn_model *nn;                /**< the model as loaded; inference workers run
                                      it or clones of it (nn_model_clone) */
    nn_shape in, out;
    float mean[3], std[3];       /**< model input = (byte - mean) / std */
    char norm_source[96];        /**< where the normalisation came from */
    int norm_guessed;            /**< no source: [0,1] assumed (warn the user) */
    char sha256[65];
    const char *known_name;      /**< name from the table of known models, or NULL */
    int squash;                  /**< nn_model_output_squash(); 1 for matting */
    int matting;                 /**< the mask output is an alpha matte, used as is
                                      (no sigmoid; and no --solid unless given) */
    char output_name[64];        /**< the output that makes the mask */
    int fgr;                     /**< matting: the output holding the foreground's
                                      colour (named fgr or foreground, 3 channels,
                                      the alpha's size), composited instead of the
                                      frame's own colour; -1 none */
    int out_is_index;            /**< nn_model_output_is_index() */
    int n_classes;               /**< output channels (1 for a probability) */
    char labels[SEG_MAX_CLASSES][32]; /**< class names ("" when unknown) */
    uint8_t fg[SEG_MAX_CLASSES]; /**< which classes count as foreground */
} seg_model;

/**
 * Load @p path, choose the normalisation (@p range_override "0,1", "-1,1"
 * or NULL) and the labels (@p labels_path, one name per line, or NULL), and
 * the foreground classes (@p classes "person,dog" by name or number, or
 * NULL). Errors name the file. SEG_ERR_* as nn_model_load_file().
 */
int seg_model_open(seg_model *sm, const char *path, const char *range_override,
                   const char *labels_path, const char *classes, char *err, size_t errlen);

/** Everything seg_model_open_ex() takes besides the path. */
#define SEG_MAX_INPUT_FLOATS 64
typedef struct seg_model_opts {
    const char *range_override, *labels_path, *classes; /**< as for seg_model_open() */
    const char *const *input_values; /**< n_values "NAME=V[,V...]" (--input) */
    int n_values;
    const char *const *state;        /**< n_state "OUT=IN" or "none" (--state) */
    int n_state;
    const char *output;              /**< the output that makes the mask (--model-output);
                                          NULL: a matting model's alpha (an output named
                                          pha, alpha or matte, one channel), else the
                                          first */
    int input_w, input_h;            /**< --input-size: an ONNX model's free input
                                          height and width (0: none) */
} seg_model_opts;

/** seg_model_open() with the options above (NULL: none). */
int seg_model_open_ex(seg_model *sm, const char *path, const seg_model_opts *o, char *err,
                      size_t errlen);

/** --state specs into @p opts: "OUT=IN" pairs (names copied into @p names,
 *  which must outlive opts), or one "none" (no pairing by name either).
 *  SEG_ERR_INVALID with a message for anything else. */
int seg_model_parse_state(const char *const *specs, int n, nn_load_opts *opts,
                          char names[][2][64], char *err, size_t errlen);

/** One --input value "NAME=V[,V...]": the name into @p name (size
 *  @p name_size), up to SEG_MAX_INPUT_FLOATS numbers into @p v, their count
 *  into *n. 0, or -1 when malformed. */
int seg_model_parse_input_value(const char *arg, char *name, size_t name_size, float *v,
                                size_t *n);
void seg_model_close(seg_model *sm);

/** --input-mean / --input-std: "R,G,B" or one value for all three, in units
 *  of x/255 (ImageNet: mean 0.485,0.456,0.406, std 0.229,0.224,0.225). 0, or
 *  -1 when malformed, non-finite, or (is_std) not positive. */
int seg_model_parse_channels(const char *s, int is_std, float v[3]);

/** Normalise (x/255 - mean[c]) / std[c] instead of what seg_model_open()
 *  chose (mean NULL = 0, std NULL = 1); @p source names it for messages. */
void seg_model_set_mean_std(seg_model *sm, const float *mean, const float *std,
                            const char *source);

/** An --input-range value: "0,1" or "-1,1" into [*lo, *hi]; 0, or -1 for
 *  anything else (then *lo and *hi are untouched). */
int seg_model_parse_range(const char *s, float *lo, float *hi);

/** 256-entry lookup tables byte -> model input value, one per channel. */
void seg_model_input_luts(const seg_model *sm, float lut[3][256]);

/** What seg_model_mask() calls foreground in a multi-class output. */
typedef enum seg_mask_kind {
    SEG_MASK_FOREGROUND = 0, /**< the --classes foreground; labels = argmax */
    SEG_MASK_ANY_CLASS,      /**< anything but background (1 - p(class 0));
                                  labels = the most likely class but 0, so an
                                  overlay has a colour on the whole soft edge */
} seg_mask_kind;

/**
 * The output @p out (sm->out: h x w x c, channels last) -> a foreground
 * probability per output pixel in @p mask, and, for multi-class models, a
 * label per pixel (@p labels may be NULL). One channel: the probability
 * (sigmoid applied when the graph has none); two: softmax, channel 1; more:
 * class scores, foreground as @p kind says.
 * Example: DeepLab's 257x257x21 logits -> 257x257 person probabilities.
 */
void seg_model_mask(const seg_model *sm, const float *out, float *mask, uint8_t *labels,
                    seg_mask_kind kind);

/** The PASCAL VOC 2012 class names (21). */
extern const char *const SEG_VOC_LABELS[21];

#endif
