/*
 * augur/synth.h - synthetic workloads: usage traces with known shapes.
 *
 * A spec such as
 *
 *     sinusoidal:cpu=0.5,mem=512Mi,amplitude=0.3,period=24h,noise=0.05,days=14
 *
 * names a shape (step, sinusoidal, low_high, bursty, trend, random_walk or
 * constant) and its parameters. ag_synth_generate() turns it into the
 * replicas of one Deployment in an ag_dataset, exactly as a reader would
 * have filled it from a trace, so the replay simulator (augur/sim.h), the
 * recommenders and the forecasters see no difference. Each replica's usage
 * is base x shape(t) x the replica's scale x noise; the shape is shared by
 * the replicas, the noise is drawn independently for each replica and
 * resource. Everything is deterministic for a seed (the library's own
 * PRNG, the same bytes on every run). OOM kills are not generated: the
 * simulator produces them. Formulas, keys and defaults: docs/synthetic.md.
 *
 * The CLI takes a spec as `--input synth:<spec>`; ag_synth_is_spec() tells
 * such an input from a file name.
 */
#ifndef AUGUR_SYNTH_H
#define AUGUR_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a workload starts unless the spec says start=: 2024-01-01T00:00:00Z. */
#define AG_SYNTH_DEFAULT_START_MS INT64_C(1704067200000)

/* Cap on replicas x points per replica for one spec (each point is a CPU
 * and a memory sample: 32 bytes, so the cap is about 160 MB). A spec above
 * it is AG_ETOOBIG. E.g. 14 days at 15 s x 100 replicas = 8 064 000 points
 * is too big; 14 days at 1 m x 100 replicas = 2 016 000 is fine. */
#define AG_SYNTH_MAX_POINTS 5000000
#define AG_SYNTH_MAX_REPLICAS 1000
#define AG_SYNTH_MAX_DAYS 3660
/* Room for the namespace, workload name and container name, NUL included. */
#define AG_SYNTH_NAME_MAX 64
/* A buffer this long always holds what ag_synth_format() writes. */
#define AG_SYNTH_SPEC_MAX 2048

typedef enum ag_synth_shape {
    AG_SYNTH_CONSTANT = 0,    /* f = 1 */
    AG_SYNTH_STEP = 1,        /* f = 1 before `at`, `factor` from then on */
    AG_SYNTH_SINUSOIDAL = 2,  /* f = 1 + amplitude cos(2 pi (t - peak) / period) */
    AG_SYNTH_LOW_HIGH = 3,    /* `low-for` at 1, `high-for` at `factor`, repeating */
    AG_SYNTH_BURSTY = 4,      /* bursts of `burst` at `factor`, quiet gaps ~ Exp(`every`) */
    AG_SYNTH_TREND = 5,       /* f = 1 + slope x days since start (or since the last reset) */
    AG_SYNTH_RANDOM_WALK = 6, /* f starts at 1 and walks, reflected into [min, max] */
} ag_synth_shape;
#define AG_SYNTH_NSHAPES 7

/* Which resources follow the shape; the other stays at its base level. */
typedef enum ag_synth_apply {
    AG_SYNTH_APPLY_BOTH = 0,
    AG_SYNTH_APPLY_CPU = 1,
    AG_SYNTH_APPLY_MEM = 2,
} ag_synth_apply;

/* A parsed spec. Plain data: it owns no memory, copy it freely. Fill it
 * with ag_synth_parse(), or with ag_synth_defaults() and then by hand
 * (ag_synth_generate() checks it the same way). Indexes [AG_CPU] and
 * [AG_MEMORY]; times and durations in milliseconds. The key that sets
 * each field is in brackets. */
typedef struct ag_synth_spec {
    ag_synth_shape shape;
    double base[AG_NRES];              /* [cpu=, mem=] 0.5 cores, 512Mi: the level where f = 1 */
    double noise[AG_NRES];             /* [noise=, cpu-noise=, mem-noise=] 0: sigma of the
                                          lognormal noise factor exp(sigma z - sigma^2 / 2) */
    double request[AG_NRES];           /* [cpu-request=, mem-request=] NAN = none */
    double limit[AG_NRES];             /* [cpu-limit=, mem-limit=] NAN = none */
    ag_synth_apply apply;              /* [apply=both|cpu|mem] both */
    int64_t length_ms;                 /* [days=] 14 days */
    int64_t step_ms;                   /* [step=] 1m: the sample interval */
    int64_t start_ms;                  /* [start=] AG_SYNTH_DEFAULT_START_MS */
    int replicas;                      /* [replicas=] 3 */
    double spread;                     /* [spread=] 0: replica scales spread evenly over
                                          [1 - spread, 1 + spread] */
    uint64_t seed;                     /* [seed=] 1 */
    char ns[AG_SYNTH_NAME_MAX];        /* [ns=] "synth" */
    char name[AG_SYNTH_NAME_MAX];      /* [name=] the shape's name with '-' for '_' */
    char container[AG_SYNTH_NAME_MAX]; /* [container=] "app" */
    /* shape parameters: each shape uses (and accepts) only its own */
    double factor;     /* [factor=] 2: step, low_high, bursty */
    int64_t at_ms;     /* [at=] step: -1 = half the length */
    double amplitude;  /* [amplitude=] 0.5: sinusoidal, in [0, 1] */
    int64_t period_ms; /* [period=] 24h: sinusoidal */
    int64_t peak_ms;   /* [peak=] sinusoidal: -1 = period / 4 */
    int64_t low_ms;    /* [low-for=] 12h: low_high */
    int64_t high_ms;   /* [high-for=] 12h: low_high */
    int64_t every_ms;  /* [every=] 6h: bursty, the mean quiet gap */
    int64_t burst_ms;  /* [burst=] 15m: bursty */
    double slope;      /* [slope=] 0.1: trend, base per day */
    int64_t reset_ms;  /* [reset=] 0 = never: trend */
    double volatility; /* [volatility=] 0.05: random_walk, sd of the change over 1 h */
    double walk_min;   /* [min=] 0: random_walk */
    double walk_max;   /* [max=] 3: random_walk */
    /* not a key: the cap checked by parse and generate; 0 = AG_SYNTH_MAX_POINTS */
    size_t max_points;
} ag_synth_spec;

/* The shape names, "step", "sinusoidal", ...: a static array in enum order,
 * NULL-terminated. Borrowed, never freed. */
const char *const *ag_synth_shape_names(void);
/* The shape's name ("low_high"), "?" when out of range. Static. */
const char *ag_synth_shape_name(ag_synth_shape shape);

/* Fills s with every default for shape (listed in ag_synth_spec). */
void ag_synth_defaults(ag_synth_spec *s, ag_synth_shape shape);

/* Returns 1 when input is a synthetic-workload input ("synth:..."), 0
 * otherwise (a file name). */
int ag_synth_is_spec(const char *input);

/* Parses "shape[:key=value,...]", optionally prefixed with "synth:".
 * Shape names also take '-' for '_' ("low-high"). Every key is optional
 * (defaults in ag_synth_spec and docs/synthetic.md); quantities as
 * ag_quantity_parse(), durations as ag_duration_parse(), start as
 * ag_time_parse(). Returns AG_OK and fills *out; AG_EINVAL for an unknown
 * shape or key, a key given twice or not taken by the shape, a bad or
 * out-of-range value, with ei naming the key and the value; AG_ETOOBIG when
 * replicas x days / step is above AG_SYNTH_MAX_POINTS. *out is undefined on
 * failure. Allocates nothing. */
ag_err ag_synth_parse(const char *spec, ag_synth_spec *out, ag_errinfo *ei);

/* Checks a (hand-filled) spec as ag_synth_parse() checks a parsed one:
 * AG_EINVAL naming the offending key, AG_ETOOBIG above s->max_points. */
ag_err ag_synth_check(const ag_synth_spec *s, ag_errinfo *ei);

/* Points per replica: length / step, rounded down; 0 when step is not
 * positive. */
size_t ag_synth_points(const ag_synth_spec *s);

/* Writes the canonical spec of s, every key the shape takes included
 * ("step:cpu=0.5,mem=536870912,..."), into buf, which is always
 * NUL-terminated when len > 0. Parsing it gives s back (max_points aside).
 * Returns the length of the full spec as snprintf() does: the output was
 * truncated when the result is >= len; AG_SYNTH_SPEC_MAX always suffices. */
size_t ag_synth_format(const ag_synth_spec *s, char *buf, size_t len);

/* Appends the workload to ds: in namespace s->ns, pods "<name>-0" ..
 * "<name>-<replicas-1>", each owned by Deployment <name>
 * (ag_dataset_set_owner()), with one container s->container whose CPU
 * (cores, already a rate) and memory (bytes, whole) series have a sample
 * at start_ms + k x step for k in [0, ag_synth_points(s)), and whose
 * requests and limits are those of the spec (time start_ms) when given.
 * Pass s->start_ms to start where the spec says; another start shifts the
 * whole workload and gives the very same values. What is added is owned by
 * ds; s stays the caller's. ds is not finished: call
 * ag_dataset_finish() as after any reader. Returns AG_OK; AG_EINVAL when
 * the spec fails ag_synth_check(), when start_ms is before 1970 or the
 * workload would end after 9999, or when one of the pods' containers is
 * already in ds; AG_ETOOBIG above s->max_points; AG_ENOMEM. ei says which.
 * On failure ds may hold part of the workload: free it. */
ag_err ag_synth_generate(ag_dataset *ds, const ag_synth_spec *s, int64_t start_ms, ag_errinfo *ei);

#ifdef __cplusplus
}
#endif
#endif
