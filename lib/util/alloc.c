/*
 * util/alloc.c - allocation wrappers with a failure switch for tests.
 *
 * The counter is process-wide and not thread-safe; the library itself is
 * single-threaded per call, and only tests turn fault injection on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/alloc.h"

static long fail_after;
static long alloc_count;

static int should_fail(void)
{
    alloc_count++;
    return fail_after > 0 && alloc_count >= fail_after;
}

void ag__alloc_fail_after(long n)
{
    fail_after = n;
    alloc_count = 0;
}

long ag__alloc_count(void)
{
    return alloc_count;
}

void *ag__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ag__calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *ag__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

int ag__grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return -1;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size)
        return -1;
    p = ag__realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

char *ag__strndup(const char *s, size_t n)
{
    char *d = ag__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *ag__strdup(const char *s)
{
    return ag__strndup(s, strlen(s));
}

void ag__free(void *p)
{
    free(p);
}
