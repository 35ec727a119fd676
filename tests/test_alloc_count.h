/* test_alloc_count.h - see test_alloc_count.c. */
#ifndef TEST_ALLOC_COUNT_H
#define TEST_ALLOC_COUNT_H

#include <stddef.h>

/** malloc, calloc, realloc and aligned_alloc calls so far (reset it freely). */
extern long allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t k);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

#endif
