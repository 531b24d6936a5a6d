/*
 * store/store_int.h - internals of lib/store/ shared with its tests.
 *
 * The schema is an ordered list of migration steps (schema.c); step i
 * takes a file from version i to i + 1. Tests replace the list to check
 * that a file written at version 1 is carried forward by a later step.
 */
#ifndef AG_STORE_INT_H
#define AG_STORE_INT_H

#include <stddef.h>

/* The built-in migration steps and their count (the current version). */
extern const char *const ag__store_migrations[];
extern const size_t ag__store_nmigrations;

/* Test hook: makes ag_store_open() use steps[0..n) instead of the built-in
 * list; steps NULL restores it. The array is borrowed until restored. */
void ag__store_set_migrations(const char *const *steps, size_t n);

#endif
