/* A counting malloc interposer for the tests that prove a path allocates
 * nothing (tests/maptable/test_noalloc.c, tests/dispatcher/
 * splice_syn_noalloc.c). Link alloc_count.c into the test binary and
 * build it with -fno-builtin; set alloc_counting on this thread and read
 * alloc_calls (malloc, calloc, realloc and free each count one).
 *
 * Under ASan there is no interposer (ASan owns malloc, and a second one
 * would hand its pointers to the wrong allocator): ALLOC_COUNT_UNDER_ASAN
 * is defined and the tests skip. */
#ifndef SPLICEKIT_TESTS_ALLOC_COUNT_H
#define SPLICEKIT_TESTS_ALLOC_COUNT_H

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_COUNT_UNDER_ASAN 1
#endif
#endif

extern __thread volatile int alloc_counting;
extern __thread volatile unsigned long alloc_calls;

#endif
