/* seg_control.c - the --config file (see seg_control.h). */
#include "seg_control.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/* Bigger than any sensible settings file: a runaway file is refused
 * rather than read. */
#define MAX_CONFIG_BYTES (64 * 1024)

int seg_mirror_parse(const char *v, int *preview, int *output)
{
    static const char *const names[] = {"off", "preview", "output", "both"};
    for (int i = 0; i < 4; i++) {
        if (v && strcmp(v, names[i]) == 0) {
            *preview = (i & 1) != 0;
            *output = (i & 2) != 0;
            return 0;
        }
    }
    return -1;
}

int seg_onoff_parse(const char *v)
{
    if (v && strcmp(v, "on") == 0)
        return 1;
    if (v && strcmp(v, "off") == 0)
        return 0;
    return -1;
}

const char *seg_mirror_name(int preview, int output)
{
    static const char *const names[] = {"off", "preview", "output", "both"};
    return names[(preview ? 1 : 0) | (output ? 2 : 0)];
}

/* Options of the command line that a running job cannot take. */
static int is_job_option(const char *k)
{
    static const char *const job[] = {
        "output", "format", "input-format", "video-size", "framerate",
        "pixel-format", "timeout", "codec", "overwrite", "threads", "workers",
        "decoder-threads", "encoder-threads", "frames", "live", "exact", "input-range",
        "labels", "classes", "bench", "json", "quiet", "display", "dump-frames",
        "dump-every", "fit", "crf", "preset", "compose-rgb", "eval", "eval-void", "find",
        "detector", "closeup-model", "config", NULL};
    for (int i = 0; job[i]; i++)
        if (strcmp(k, job[i]) == 0)
            return 1;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int seg_settings_load(const char *path, const seg_settings *base, seg_settings *out, char *err,
                      size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        SET_ERR("--config '%s': %s", path, strerror(errno));
        return SEG_ERR_IO;
    }
    seg_settings s = *base;
    char line[4096 + 64], msg[SEG_MSG_SIZE];
    int ln = 0, st = SEG_OK;
    long total = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t len = strlen(line);
        total += (long)len;
        if (total > MAX_CONFIG_BYTES) {
            SET_ERR("--config '%s': longer than %d bytes", path, MAX_CONFIG_BYTES);
            st = SEG_ERR_INVALID;
            break;
        }
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            SET_ERR("--config '%s' line %d: too long", path, ln);
            st = SEG_ERR_INVALID;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *k = trim(line);
        if (!*k)
            continue;
        while (*k == '-')
            k++;
        char *v = k + strcspn(k, " \t=");
        if (*v) {
            *v++ = '\0';
            v = trim(v);
            if (*v == '=')
                v = trim(v + 1);
        }
        if (!*k || !*v) {
            SET_ERR("--config '%s' line %d: '%s' without a value (write: option value)", path,
                    ln, k);
            st = SEG_ERR_INVALID;
            break;
        }
        if (strcmp(k, "background") == 0) {
            snprintf(s.background, sizeof s.background, "%s", v);
        } else if (strcmp(k, "mirror") == 0) {
            if (seg_mirror_parse(v, &s.mirror_preview, &s.mirror_output)) {
                SET_ERR("--config '%s' line %d: mirror wants off, preview, output or both, "
                        "got '%s'", path, ln, v);
                st = SEG_ERR_INVALID;
                break;
            }
        } else if (strcmp(k, "model") == 0 || strcmp(k, "m") == 0) {
            snprintf(s.model, sizeof s.model, "%s", v); /* checked by the job */
        } else if (strcmp(k, "legend") == 0) {
            int on = seg_onoff_parse(v);
            if (on < 0) {
                SET_ERR("--config '%s' line %d: legend wants on or off, got '%s'", path, ln, v);
                st = SEG_ERR_INVALID;
                break;
            }
            s.legend = on;
        } else {
            int r = disp_parse_option(&s.disp, k, v, msg, sizeof msg);
            if (r == SEG_ERR_UNSUPPORTED) {
                SET_ERR("--config '%s' line %d: '%s': %s", path, ln, k,
                        is_job_option(k) ? "cannot change while segstream runs (only display "
                                           "options, background, mirror, legend and "
                                           "model)"
                                         : "unknown option");
                st = SEG_ERR_INVALID;
                break;
            }
            if (r) {
                SET_ERR("--config '%s' line %d: %s", path, ln, msg);
                st = SEG_ERR_INVALID;
                break;
            }
        }
    }
    if (st == SEG_OK && ferror(f)) {
        SET_ERR("--config '%s': read error", path);
        st = SEG_ERR_IO;
    }
    fclose(f);
    if (st == SEG_OK && s.disp.mode == DISP_MODE_REPLACE && !s.background[0]) {
        SET_ERR("--config '%s': mode replace needs a background", path);
        st = SEG_ERR_INVALID;
    }
    if (st == SEG_OK && disp_options_check(&s.disp) != SEG_OK) {
        SET_ERR("--config '%s': the display options do not fit together", path);
        st = SEG_ERR_INVALID;
    }
    if (st == SEG_OK)
        *out = s;
    return st;
}
