/* seg_file.c - see seg_file.h. */
#include "seg_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "seg_status.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

int seg_file_read(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
                  char *err, size_t errlen)
{
    struct stat sb;
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        SET_ERR("cannot open %s '%s': %s", what, path, strerror(errno));
        return SEG_ERR_IO;
    }
    int st = SEG_ERR_IO;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        SET_ERR("%s '%s' is not a regular file%s", what, path,
                S_ISDIR(sb.st_mode) ? " (it is a directory)" : "");
        goto end;
    }
    if ((unsigned long long)sb.st_size > max) {
        st = SEG_ERR_LIMIT;
        SET_ERR("%s '%s' is larger than %zu bytes", what, path, max);
        goto end;
    }
    size_t n = (size_t)sb.st_size;
    if (!(*buf = malloc(n ? n : 1))) {
        st = SEG_ERR_NOMEM;
        SET_ERR("out of memory reading %s '%s' (%zu bytes)", what, path, n);
        goto end;
    }
    if (fread(*buf, 1, n, f) != n) {
        SET_ERR("cannot read %s '%s': %s", what, path,
                ferror(f) ? strerror(errno) : "it became shorter while being read");
        free(*buf);
        *buf = NULL;
        goto end;
    }
    *len = n;
    st = SEG_OK;
end:
    fclose(f);
    return st;
}
