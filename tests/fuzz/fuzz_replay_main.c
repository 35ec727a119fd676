/* fuzz_replay_main.c - a plain main for the harnesses (no libFuzzer): runs
 * every file given, or every file in every directory given, through
 * LLVMFuzzerTestOneInput() once, in name order. Each input gets its own
 * exact-size heap copy, so a read one byte past the end is an ASan error as
 * under libFuzzer.
 *
 * usage: fuzz_replay_NAME PATH... ; exit 0 when every input ran, 1 when a
 * path is unreadable or nothing was found (an empty corpus is a mistake). */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
        perror(path);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    /* Printed first, so that a crash report names its input. */
    fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file in @p dir (not recursive); count them in *count. */
static int run_dir(const char *dir, long *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ret = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn) {
                ret = -1;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            ret = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (ret == 0 && n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && ret == 0; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (run_file(path) != 0)
            ret = -1;
        else
            (*count)++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    long count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(sb.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i]))
            return 1;
        if (!S_ISDIR(sb.st_mode))
            count++;
    }
    if (count == 0) {
        fprintf(stderr, "usage: %s FILE|DIR...: no input found\n", argv[0]);
        return 1;
    }
    printf("%s: %ld inputs replayed, no crash\n", argv[0], count);
    return 0;
}
