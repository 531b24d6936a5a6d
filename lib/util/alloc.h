/*
 * util/alloc.h - every allocation of the library goes through these, so
 * tests can count allocations and make the Nth one fail (out-of-memory
 * is an ordinary test case).
 */
#ifndef AG_UTIL_ALLOC_H
#define AG_UTIL_ALLOC_H

#include <stddef.h>

void *ag__malloc(size_t n);
void *ag__calloc(size_t n, size_t size);
/* On failure returns NULL and p is untouched (as realloc). */
void *ag__realloc(void *p, size_t n);
/* Grows an array to hold at least need elements of size each, doubling.
 * Returns 0 on success, -1 on overflow or out of memory (array untouched). */
int ag__grow(void **arr, size_t *cap, size_t need, size_t size);
char *ag__strdup(const char *s);
char *ag__strndup(const char *s, size_t n);
void ag__free(void *p);

/* Fault injection for tests: the nth allocation from now (1-based) and
 * every later one fail; 0 turns it off. */
void ag__alloc_fail_after(long n);
/* Allocations made since the last ag__alloc_fail_after() call. */
long ag__alloc_count(void);

#endif
