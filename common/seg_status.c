#include "seg_status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const STATUS_NAMES[] = {
    "success",
    "out of memory",
    "invalid argument",
    "malformed model",
    "input/output error",
    "unsupported",
    "try again",
    "end of stream",
    "unreadable input",
    "output exists",
    "interrupted",
    "size limit exceeded",
};
_Static_assert(sizeof(STATUS_NAMES) / sizeof(STATUS_NAMES[0]) == (size_t)(-SEG_STATUS_MIN) + 1,
               "STATUS_NAMES must name every seg_status");

const char *seg_status_str(int st)
{
    if (st > 0 || st < SEG_STATUS_MIN)
        return "unknown status";
    return STATUS_NAMES[-st];
}

void seg_format_error(char *buf, size_t size, const char *func, const char *fmt, ...)
{
    (void)func; /* kept for debugging builds; messages are for users */
    if (!buf || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}
