/* seg_file.h - reading a whole file into memory, with a size cap checked
 * before anything is allocated for it. */
#ifndef SEG_FILE_H
#define SEG_FILE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Read the regular file @p path into a new buffer.
 * @param what    what the file is, for messages ("model" gives "cannot open
 *                model 'x': ...")
 * @param max     the largest size accepted, in bytes
 * @param buf     receives a malloc'd buffer the caller frees (NULL on failure;
 *                at least 1 byte is allocated for an empty file)
 * @param len     receives the size
 * @return SEG_OK; SEG_ERR_IO (missing, unreadable, a directory or not a
 *         regular file); SEG_ERR_LIMIT (larger than @p max); SEG_ERR_NOMEM.
 *         The message names the file.
 */
int seg_file_read(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
                  char *err, size_t errlen);

#endif
