/* seg_status.h - the one status enum shared by every segstream module.
 *
 * Zero is success, negative values are failures, and two positive-free
 * signals (SEG_ERR_AGAIN, SEG_EOF) are control flow, not errors.
 * Messages live on the objects (x_last_error()); this only names the code. */
#ifndef SEG_STATUS_H
#define SEG_STATUS_H

#include <stddef.h>

typedef enum seg_status {
    SEG_OK = 0,
    SEG_ERR_NOMEM = -1,       /**< an allocation failed */
    SEG_ERR_INVALID = -2,     /**< a bad argument, option or shape */
    SEG_ERR_BAD_MODEL = -3,   /**< the model file is malformed */
    SEG_ERR_IO = -4,          /**< reading or writing a file or stream failed */
    SEG_ERR_UNSUPPORTED = -5, /**< valid, but something we do not implement */
    SEG_ERR_AGAIN = -6,       /**< nothing now, try again (ring full/empty) */
    SEG_EOF = -7,             /**< end of stream */
    SEG_ERR_BAD_INPUT = -8,   /**< the input media is unreadable or corrupt */
    SEG_ERR_EXISTS = -9,      /**< the output exists and overwriting was not allowed */
    SEG_ERR_INTERRUPTED = -10,/**< stopped by a signal or a stop request */
    SEG_ERR_LIMIT = -11,      /**< a documented size limit was exceeded */
    SEG_STATUS_MIN = -11
} seg_status;

/** A short static English description of @p st ("out of memory", ...). */
const char *seg_status_str(int st);

/** Size of every buffer a message is built in: room for a path of PATH_MAX
 *  (4096) and the reason after it, which a smaller buffer cut off. */
#define SEG_MSG_SIZE 8192

/** Copy a printf-formatted message into buf[size] (always NUL-terminated,
 *  truncated if needed). Used by every module's error setter. */
void seg_format_error(char *buf, size_t size, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
