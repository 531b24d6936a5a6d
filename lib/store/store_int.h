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
#include <stdint.h>

#include "augur/err.h"
#include "augur/series.h"

/* The built-in migration steps and their count (the current version). */
extern const char *const ag__store_migrations[];
extern const size_t ag__store_nmigrations;

/* Test hook: makes ag_store_open() use steps[0..n) instead of the built-in
 * list; steps NULL restores it. The array is borrowed until restored. */
void ag__store_set_migrations(const char *const *steps, size_t n);

/* ---- Chunks (chunk.c) ----
 * A series is stored as one row per AG__CHUNK_MS span aligned to the
 * epoch, its samples packed in a BLOB (the format is described in
 * chunk.c). Times must lie within +-AG__CHUNK_TMAX so chunk bounds never
 * overflow. */
#define AG__CHUNK_MS 86400000LL /* one day */
#define AG__CHUNK_TMAX (1LL << 62)
#define AG__CHUNK_FORMAT 1

/* The start of the chunk holding t_ms (floor to a multiple of the span). */
int64_t ag__chunk_start(int64_t t_ms);
/* The most bytes ag__chunk_encode() writes for n samples. */
size_t ag__chunk_bound(size_t n);
/* Encodes v[0..n) into out (ag__chunk_bound(n) bytes); returns the length.
 * The caller guarantees n >= 1, strictly increasing times within
 * [start_ms, start_ms + AG__CHUNK_MS) and finite values. */
size_t ag__chunk_encode(uint8_t *out, int64_t start_ms, const ag_sample *v, size_t n);
/* Appends the samples of the chunk data[0..len) starting at start_ms to
 * out. Returns AG_ESTORE for a blob that is not a valid chunk (out->n
 * unchanged), AG_ENOMEM when out cannot grow. */
ag_err ag__chunk_decode(const uint8_t *data, size_t len, int64_t start_ms, ag_samples *out);

#endif
