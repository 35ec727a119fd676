/* seg_sha256.h - SHA-256 (FIPS 180-4), for recognising known model files. */
#ifndef SEG_SHA256_H
#define SEG_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** SHA-256 of len bytes; hex receives 64 lowercase hex digits and a NUL. */
void seg_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
