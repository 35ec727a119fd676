/* test_alloc_count.c - counts every malloc-family call of the code linked
 * into a test (the linker's --wrap=malloc,calloc,realloc,aligned_alloc; see
 * display_tests.cmake), for tests that check "no allocation per frame". */
#include <stddef.h>

#include "test_alloc_count.h"

long allocs;

void *__wrap_malloc(size_t n)
{
    allocs++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t k)
{
    allocs++;
    return __real_calloc(n, k);
}
void *__wrap_realloc(void *p, size_t n)
{
    allocs++;
    return __real_realloc(p, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n)
{
    allocs++;
    return __real_aligned_alloc(a, n);
}
