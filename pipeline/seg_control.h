/* seg_control.h - the settings a user changes while a job runs, and the
 * --config file that holds them.
 *
 * The file holds long options, one a line, as on the command line, with or
 * without the dashes and with a space or '=' before the value; '#' starts a
 * comment:
 *
 *     # segstream --config example
 *     mode blur
 *     blur 24
 *     --threshold=0.5
 *     background ~/pictures/beach.jpg
 *
 * Taken: every display option (mode, opacity, threshold, feather, smooth,
 * blur, color, ... as `disp_option_names()`), background, mirror, legend
 * (on or off), model (one of the -m models). The file
 * is applied over the command line's settings, so a line taken out goes
 * back to the command line's value. Anything else is an error that names
 * the line; the caller keeps its old settings. Private to pipeline/. */
#ifndef SEG_CONTROL_H
#define SEG_CONTROL_H

#include <stddef.h>

#include "disp.h"

/** What the window keys and the --config file change. */
typedef struct seg_settings {
    disp_options disp;
    char background[4096]; /**< replace mode's background; "" = none */
    int mirror_preview;    /**< the window shows the frames flipped (selfie view) */
    int mirror_output;     /**< the frames themselves are flipped (output, dumps) */
    int legend;            /**< a multi-class model's overlay gets its legend */
    char model[4096];      /**< the -m model in use: its path as given, its file
                                name or its number (1 = the first); "" = the
                                first (the renderer resolves it) */
} seg_settings;

/** Parse a --mirror value (off, preview, output, both) into the two flags;
 *  -1 when it is none of them. */
int seg_mirror_parse(const char *value, int *preview, int *output);

/** Parse on or off (--legend) into 1 or 0; -1 when it is neither. */
int seg_onoff_parse(const char *value);

/** "off", "preview", "output" or "both". */
const char *seg_mirror_name(int preview, int output);

/**
 * Read @p path and apply it over @p base into @p out (out may be base).
 * @return SEG_OK; SEG_ERR_IO when the file cannot be read; SEG_ERR_INVALID
 *         for a bad line (an unknown option, one that cannot change while
 *         running, a bad value, a replace mode without a background); the
 *         message (with the line number) in err, and @p out untouched.
 */
int seg_settings_load(const char *path, const seg_settings *base, seg_settings *out, char *err,
                      size_t errlen);

#endif
