/* See alloc_count.h. glibc exports __libc_* precisely so that a program
 * can interpose malloc and still reach the real allocator. */
#include <stddef.h>

#include "alloc_count.h"

__thread volatile int alloc_counting;
__thread volatile unsigned long alloc_calls;

#ifndef ALLOC_COUNT_UNDER_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);

void *malloc(size_t n)
{
	alloc_calls += (unsigned long)alloc_counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	alloc_calls += (unsigned long)alloc_counting;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	alloc_calls += (unsigned long)alloc_counting;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	alloc_calls += (unsigned long)alloc_counting;
	__libc_free(p);
}
#endif
