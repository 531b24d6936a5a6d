/*
 * synth/generate.c - turning a spec into the replicas of a Deployment in
 * an ag_dataset, as a trace reader would have filled it.
 *
 * The shape is computed once; replica i then gets, at sample k and for
 * each resource r,
 *
 *     base[r] x f[k] x scale[i] x exp(noise[r] z - noise[r]^2 / 2)
 *
 * (f[k] = 1 for the resource the shape does not apply to), z drawn from
 * the replica's own PRNG stream, CPU and memory alternately, so adding a
 * replica or changing one resource's noise leaves the other draws alone.
 * The lognormal factor has mean 1 and is never negative. Memory is
 * rounded to whole bytes, as a working set is.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "synth/synth_int.h"
#include "util/alloc.h"

#define MAX_TIME_MS INT64_C(253402300799999)

/* Replica i's scale: evenly spread over [1 - spread, 1 + spread], mean 1. */
static double replica_scale(const ag_synth_spec *s, int i)
{
    if (s->replicas < 2)
        return 1.0;
    return 1.0 + s->spread * (2.0 * i / (s->replicas - 1) - 1.0);
}

static int shaped(const ag_synth_spec *s, int r)
{
    return s->apply == AG_SYNTH_APPLY_BOTH || (s->apply == AG_SYNTH_APPLY_CPU && r == AG_CPU) ||
           (s->apply == AG_SYNTH_APPLY_MEM && r == AG_MEMORY);
}

static ag_err one_replica(ag_dataset *ds, const ag_synth_spec *s, int i, const double *f, size_t n,
                          int64_t start_ms, ag_errinfo *ei)
{
    char pod[AG_SYNTH_NAME_MAX + 16];
    size_t before = ag_dataset_count(ds);
    ag_container *c;
    ag__synth_rng rng;
    double scale = replica_scale(s, i), sig[AG_NRES], mu[AG_NRES];

    snprintf(pod, sizeof pod, "%s-%d", s->name, i);
    c = ag_dataset_container(ds, s->ns, pod, s->container);
    if (!c)
        goto oom;
    if (ag_dataset_count(ds) == before) {
        ag_errinfo_set(ei, "synth: container %s/%s/%s is already in the dataset", s->ns, pod,
                       s->container);
        return AG_EINVAL;
    }
    if (ag_dataset_set_owner(ds, s->ns, pod, "Deployment", s->name) != AG_OK)
        goto oom;
    for (int r = 0; r < AG_NRES; r++) {
        ag_samples *u = &c->usage[r];
        if (ag__grow((void **)&u->v, &u->cap, u->n + n, sizeof *u->v) != 0)
            goto oom;
        sig[r] = s->noise[r];
        mu[r] = -0.5 * sig[r] * sig[r];
        if (!isnan(s->request[r])) {
            c->request[r] = s->request[r];
            c->spec_t_ms[r] = start_ms;
        }
        if (!isnan(s->limit[r])) {
            c->limit[r] = s->limit[r];
            c->spec_t_ms[r] = start_ms;
        }
    }
    ag__synth_rng_init(&rng, s->seed, 1 + (uint64_t)i);
    for (size_t k = 0; k < n; k++) {
        int64_t t = start_ms + (int64_t)k * s->step_ms;
        for (int r = 0; r < AG_NRES; r++) {
            double z = ag__synth_normal(&rng); /* drawn even when unused: streams stay aligned */
            double v = s->base[r] * (shaped(s, r) ? f[k] : 1.0) * scale;
            ag_samples *u = &c->usage[r];
            if (sig[r] > 0)
                v *= exp(sig[r] * z + mu[r]);
            if (r == AG_MEMORY)
                v = nearbyint(v);
            u->v[u->n].t_ms = t;
            u->v[u->n].v = v > 0 ? v : 0;
            u->n++;
        }
    }
    return AG_OK;
oom:
    ag_errinfo_set(ei, "synth: out of memory generating %s/%s", s->ns, pod);
    return AG_ENOMEM;
}

ag_err ag_synth_generate(ag_dataset *ds, const ag_synth_spec *s, int64_t start_ms, ag_errinfo *ei)
{
    ag_err rc;
    size_t n;
    double *f;

    if (!ds || !s) {
        ag_errinfo_set(ei, "synth: no dataset or spec");
        return AG_EINVAL;
    }
    if ((rc = ag_synth_check(s, ei)) != AG_OK)
        return rc;
    if (start_ms < 0 || start_ms > MAX_TIME_MS - s->length_ms) {
        ag_errinfo_set(ei, "synth: start %lld ms is before 1970 or the workload ends after 9999",
                       (long long)start_ms);
        return AG_EINVAL;
    }
    n = ag_synth_points(s);
    f = ag__malloc(n * sizeof *f);
    if (!f) {
        ag_errinfo_set(ei, "synth: out of memory for %zu points", n);
        return AG_ENOMEM;
    }
    ag__synth_shape(s, f, n);
    rc = AG_OK;
    for (int i = 0; i < s->replicas && rc == AG_OK; i++)
        rc = one_replica(ds, s, i, f, n, start_ms, ei);
    ag__free(f);
    return rc;
}
