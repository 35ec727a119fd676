/* cli.c - helpers the commands share (see cli.h). */
#include "cli.h"

#include <sys/stat.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "seg.h"

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int cli_exit_code(int st, int where)
{
    if (st == SEG_OK)
        return EXIT_OK;
    if (st == SEG_ERR_INTERRUPTED)
        return EXIT_INTERRUPTED;
    switch ((seg_where)where) {
    case SEG_WHERE_INPUT: return EXIT_INPUT;
    case SEG_WHERE_MODEL: return EXIT_MODEL;
    case SEG_WHERE_OUTPUT: return EXIT_OUTPUT;
    default: return EXIT_RUNTIME;
    }
}

/* ==== unknown options ====================================================== */

/* Levenshtein distance of a and b (each cut at 63 characters). */
static int distance(const char *a, const char *b)
{
    enum { N = 64 };
    int prev[N], cur[N];
    size_t la = strlen(a), lb = strlen(b);
    if (la >= N)
        la = N - 1;
    if (lb >= N)
        lb = N - 1;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const char *cli_closest_option(const char *word, const struct option *longopts)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (const struct option *o = longopts; o->name; o++) {
        int d = distance(word, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    int len = (int)strlen(word);
    int allowed = len < 6 ? 2 : len / 3; /* "--treads" -> threads, not "--x" -> any */
    return best && best_d <= allowed ? best : NULL;
}

int cli_bad_option(int ret, const char *argv_arg, int short_opt, const struct option *longopts)
{
    char name[80];
    int is_long = argv_arg && strncmp(argv_arg, "--", 2) == 0;
    if (is_long) {
        /* --name=value: the name alone */
        size_t n = strcspn(argv_arg + 2, "=");
        snprintf(name, sizeof name, "%.*s", (int)(n < 64 ? n : 64), argv_arg + 2);
    }
    if (ret == ':') {
        if (is_long)
            fprintf(stderr, "segstream: --%s needs a value (see segstream --help)\n", name);
        else
            fprintf(stderr, "segstream: -%c needs a value (see segstream --help)\n", short_opt);
        return EXIT_USAGE;
    }
    if (!is_long) {
        fprintf(stderr, "segstream: unknown option '-%c' (see segstream --help)\n",
                short_opt > 0 && short_opt < 128 ? short_opt : '?');
        return EXIT_USAGE;
    }
    /* Known but refused: a value given to a switch. */
    for (const struct option *o = longopts; o->name; o++)
        if (strcmp(o->name, name) == 0) {
            fprintf(stderr, "segstream: --%s takes no value (see segstream --help)\n", name);
            return EXIT_USAGE;
        }
    /* An abbreviation of more than one option. */
    char cands[256] = "";
    int nc = 0;
    size_t len = strlen(name);
    for (const struct option *o = longopts; len && o->name; o++)
        if (strncmp(o->name, name, len) == 0) {
            size_t used = strlen(cands);
            snprintf(cands + used, sizeof cands - used, "%s--%s", nc ? ", " : "", o->name);
            nc++;
        }
    if (nc > 1) {
        fprintf(stderr, "segstream: '--%s' is ambiguous: %s? (see segstream --help)\n", name,
                cands);
        return EXIT_USAGE;
    }
    const char *close = cli_closest_option(name, longopts);
    if (close)
        fprintf(stderr, "segstream: unknown option '--%s'; did you mean --%s? (see segstream "
                "--help)\n", name, close);
    else
        fprintf(stderr, "segstream: unknown option '--%s' (see segstream --help)\n", name);
    return EXIT_USAGE;
}

/* ==== where the default models are ========================================= */

/* The folder of the running executable into dir[size]; -1 if unknown. */
static int exe_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

int cli_find_model(const char *name, char *out, size_t size, char *err, size_t errlen)
{
    char places[4][PATH_MAX];
    char looked[1400] = "";
    int n = 0;
    const char *env = getenv("SEGSTREAM_MODEL_DIR");
    if (env && *env)
        snprintf(places[n++], PATH_MAX, "%s", env);
    char bin[PATH_MAX];
    if (exe_dir(bin, sizeof bin) == 0)
        snprintf(places[n++], PATH_MAX, "%.*s/../" CLI_SHARE_MODELS, PATH_MAX - 64, bin);
    snprintf(places[n++], PATH_MAX, "models");
    for (int i = 0; i < n; i++) {
        int w = snprintf(out, size, "%s/%s", places[i], name);
        if (w > 0 && (size_t)w < size && access(out, R_OK) == 0) {
            /* ./models keeps the short name people know from the messages */
            return 0;
        }
        size_t used = strlen(looked);
        snprintf(looked + used, sizeof looked - used, "%s%s%s", i ? ", " : "", places[i],
                 i == 0 && env && *env ? " ($SEGSTREAM_MODEL_DIR)" : "");
    }
    snprintf(err, errlen, "cannot find the default model %s; looked in %s%s; give a model with "
             "-m FILE (or set SEGSTREAM_MODEL_DIR to its folder)", name, looked,
             env && *env ? "" : " ($SEGSTREAM_MODEL_DIR is not set)");
    return -1;
}
