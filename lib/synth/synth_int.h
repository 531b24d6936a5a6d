/*
 * synth/synth_int.h - internals shared by the files of lib/synth/: the
 * PRNG (rng.c), the table of spec keys (spec.c, used by format.c) and the
 * shape formulas (shape.c, used by generate.c).
 */
#ifndef AG_SYNTH_INT_H
#define AG_SYNTH_INT_H

#include <stddef.h>
#include <stdint.h>
#include "augur/synth.h"

/* ---- PRNG (rng.c): splitmix64, one independent stream per use -------- */

typedef struct ag__synth_rng {
    uint64_t s;
} ag__synth_rng;

/* Streams: 0 for the shape (shared by the replicas), 1 + i for replica i's
 * noise. The same (seed, stream) always gives the same sequence. */
void ag__synth_rng_init(ag__synth_rng *r, uint64_t seed, uint64_t stream);
uint64_t ag__synth_rng_next(ag__synth_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double ag__synth_uniform(ag__synth_rng *r);
/* Standard normal (Box-Muller, two uniforms per value). */
double ag__synth_normal(ag__synth_rng *r);
/* Exponential with the given mean. */
double ag__synth_exponential(ag__synth_rng *r, double mean);

/* ---- spec keys (spec.c) ---------------------------------------------- */

typedef enum ag__synth_kind {
    AG__SK_QTY,   /* double, Kubernetes quantity */
    AG__SK_NUM,   /* double, plain decimal number */
    AG__SK_DUR,   /* int64_t ms, duration */
    AG__SK_DAYS,  /* int64_t ms, given as a number of days */
    AG__SK_INT,   /* int */
    AG__SK_SEED,  /* uint64_t */
    AG__SK_NAME,  /* char[AG_SYNTH_NAME_MAX] */
    AG__SK_TIME,  /* int64_t ms, point in time */
    AG__SK_APPLY, /* ag_synth_apply */
    AG__SK_NOISE, /* sets noise[] of the resources without their own key */
} ag__synth_kind;

typedef struct ag__synth_key {
    const char *name;
    ag__synth_kind kind;
    size_t off;       /* offset of the field in ag_synth_spec */
    unsigned shapes;  /* bit (1 << shape) for each shape that takes it */
    double lo, hi;    /* allowed range in the field's unit */
    int hi_open;      /* hi itself is excluded */
    int unset_ok;     /* NAN (doubles) or -1 (durations) mean "not given" */
    const char *want; /* what a valid value looks like, for messages */
} ag__synth_key;

extern const ag__synth_key ag__synth_keys[];
extern const size_t ag__synth_nkeys;

/* 1 when the key's field holds its "not given" value. */
int ag__synth_unset(const ag_synth_spec *s, const ag__synth_key *k);
/* Writes the field's value as the spec would say it ("512Mi" is written
 * 536870912, "1h30m" as such) into buf. Returns buf. */
char *ag__synth_value_str(const ag_synth_spec *s, const ag__synth_key *k, char *buf, size_t len);

/* ---- shapes (shape.c) ------------------------------------------------- */

/* Fills f[0..n) with the shape's multiplier at t = k x step (t from the
 * start), never negative. The random shapes draw from stream 0 of
 * s->seed, so every replica sees the same f. */
void ag__synth_shape(const ag_synth_spec *s, double *f, size_t n);

#endif
