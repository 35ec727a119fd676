/* cli.c - helpers the commands share (see cli.h). */
#include "cli.h"

#include <sys/stat.h>

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
