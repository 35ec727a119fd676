/* cli_batch.c - many files in one command: `segstream a.mp4 b.mkv -o out/`
 * or `-o 'out/{name}_seg.mp4'`. Each input is a job of its own (seg_run),
 * one after the other, each reported in one line; a file that fails is
 * reported and the rest still run. Spreading a large batch over machines is
 * left to schedulers (README, "Many files"): one process per file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "seg.h"

int cli_batch_target(const char *output)
{
    if (!output || strncmp(output, "pipe:", 5) == 0 || strstr(output, "://"))
        return 0;
    if (strstr(output, "{name}") || strstr(output, "{ext}"))
        return 1;
    size_t n = strlen(output);
    if (n && output[n - 1] == '/')
        return 1;
    struct stat sb;
    return stat(output, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The last path component of @p input, and within it where the extension
 * starts (the last '.', not a leading one; the end when there is none). */
static const char *base_name(const char *input, const char **ext)
{
    const char *slash = strrchr(input, '/');
    const char *base = slash ? slash + 1 : input;
    const char *dot = strrchr(base, '.');
    *ext = dot && dot != base ? dot : base + strlen(base);
    return base;
}

int cli_batch_output(const char *target, const char *input, char *out, size_t size)
{
    const char *ext;
    const char *base = base_name(input, &ext);
    if (!*base)
        return -1;
    if (!strstr(target, "{name}") && !strstr(target, "{ext}")) { /* a folder */
        size_t n = strlen(target);
        int w = snprintf(out, size, "%s%s%s", target, n && target[n - 1] == '/' ? "" : "/", base);
        return w > 0 && (size_t)w < size ? 0 : -1;
    }
    size_t o = 0;
    for (const char *t = target; *t;) {
        const char *piece = NULL;
        size_t len = 0;
        if (strncmp(t, "{name}", 6) == 0) {
            piece = base, len = (size_t)(ext - base), t += 6;
        } else if (strncmp(t, "{ext}", 5) == 0) {
            piece = *ext ? ext + 1 : ext, len = strlen(piece), t += 5;
        } else {
            piece = t, len = 1, t++;
        }
        if (o + len >= size)
            return -1;
        memcpy(out + o, piece, len);
        o += len;
    }
    out[o] = '\0';
    return 0;
}

int cli_batch_run(const seg_config *base, char **inputs, int n, const char *target)
{
    char (*outs)[PATH_MAX] = calloc((size_t)n, sizeof *outs);
    if (!outs) {
        fprintf(stderr, "segstream: out of memory\n");
        return EXIT_RUNTIME;
    }
    int rc = EXIT_OK;
    /* Every name first: two inputs must not write one file. */
    for (int i = 0; i < n; i++) {
        if (strcmp(inputs[i], "-") == 0 || strncmp(inputs[i], "pipe:", 5) == 0) {
            fprintf(stderr, "segstream: standard input cannot be one of several inputs\n");
            rc = EXIT_USAGE;
            goto end;
        }
        if (cli_batch_output(target, inputs[i], outs[i], sizeof outs[i])) {
            fprintf(stderr, "segstream: no output name for '%s' from '%s'\n", inputs[i], target);
            rc = EXIT_USAGE;
            goto end;
        }
        for (int k = 0; k < i; k++)
            if (strcmp(outs[k], outs[i]) == 0) {
                fprintf(stderr, "segstream: '%s' and '%s' would both be written to '%s': use a "
                        "template such as -o 'out/{name}_{ext}_seg.mp4'\n", inputs[k],
                        inputs[i], outs[i]);
                rc = EXIT_USAGE;
                goto end;
            }
    }
    /* A folder given as DIR/ is made when missing (its parent must exist). */
    size_t tl = strlen(target);
    if (!strstr(target, "{") && tl && target[tl - 1] == '/' && mkdir(target, 0777) != 0 &&
        errno != EEXIST) {
        fprintf(stderr, "segstream: cannot create the folder '%s': %s\n", target,
                strerror(errno));
        rc = EXIT_OUTPUT;
        goto end;
    }

    int failed = 0, done = 0, stopped = 0;
    int64_t frames = 0;
    double seconds = 0;
    char err[1024], first_bad[PATH_MAX] = "";
    for (int i = 0; i < n && !stopped; i++) {
        seg_config cfg = *base;
        cfg.input = inputs[i];
        cfg.output = outs[i];
        seg_stats st_;
        int st = seg_run(&cfg, &st_, err, sizeof err);
        frames += st_.frames;
        seconds += st_.seconds;
        if (st == SEG_OK) {
            done++;
            fprintf(stderr, "segstream: [%d/%d] %s -> %s: %lld frames in %.2f s (%.1f fps)\n",
                    i + 1, n, inputs[i], outs[i], (long long)st_.frames, st_.seconds,
                    st_.seconds > 0 ? (double)st_.frames / st_.seconds : 0.0);
            continue;
        }
        if (st == SEG_ERR_INTERRUPTED) {
            fprintf(stderr, "segstream: [%d/%d] %s -> %s: stopped by a signal after %lld frames "
                    "(finalised); the rest are skipped\n", i + 1, n, inputs[i], outs[i],
                    (long long)st_.frames);
            stopped = 1;
            rc = EXIT_INTERRUPTED;
            break;
        }
        failed++;
        if (rc == EXIT_OK) {
            rc = cli_exit_code(st, st_.where);
            snprintf(first_bad, sizeof first_bad, "%s", inputs[i]);
        }
        fprintf(stderr, "segstream: [%d/%d] %s: failed: %s%s\n", i + 1, n, inputs[i], err,
                st == SEG_ERR_EXISTS ? "; add -y to overwrite it" : "");
    }
    fprintf(stderr, "segstream: %d file%s: %d written, %d failed%s%s%s, %d not run; %lld frames "
            "in %.2f s\n", n, n == 1 ? "" : "s", done, failed, failed ? " (first: " : "",
            first_bad, failed ? ")" : "", n - done - failed, (long long)frames, seconds);
end:
    free(outs);
    return rc;
}
