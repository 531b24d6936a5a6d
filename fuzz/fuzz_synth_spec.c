/*
 * fuzz/fuzz_synth_spec.c - synthetic-workload specs (augur/synth.h): the
 * input is a spec string. Whatever parses must format to a spec that
 * parses back to the same canonical text, and must generate, within a cap
 * of FUZZ_MAX_POINTS points (replicas x days / step; about 640 KB of
 * samples, so no input can allocate gigabytes), exactly replicas x points
 * finite, non-negative samples in time order. A broken invariant aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/synth.h"

#define FUZZ_MAX_POINTS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_generated(const ag_dataset *ds, const ag_synth_spec *s)
{
    size_t n = ag_synth_points(s);

    if (ag_dataset_count(ds) != (size_t)s->replicas)
        abort();
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        const ag_container *c = ag_dataset_at(ds, i);
        for (int r = 0; r < AG_NRES; r++) {
            const ag_samples *u = &c->usage[r];
            if (u->n != n)
                abort();
            for (size_t k = 0; k < u->n; k++) {
                if (!isfinite(u->v[k].v) || u->v[k].v < 0)
                    abort();
                if (k > 0 && u->v[k].t_ms != u->v[k - 1].t_ms + s->step_ms)
                    abort();
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec, a[AG_SYNTH_SPEC_MAX], b[AG_SYNTH_SPEC_MAX];
    ag_synth_spec s, t;
    ag_errinfo ei;
    ag_dataset *ds;
    size_t la, lb;

    if (size > 4096)
        return 0;
    spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    if (ag_synth_parse(spec, &s, &ei) != AG_OK) {
        free(spec);
        return 0;
    }
    free(spec);

    /* the canonical form parses back to itself */
    la = ag_synth_format(&s, a, sizeof a);
    if (la >= sizeof a || ag_synth_parse(a, &t, &ei) != AG_OK)
        abort();
    lb = ag_synth_format(&t, b, sizeof b);
    if (la != lb || strcmp(a, b) != 0)
        abort();

    s.max_points = FUZZ_MAX_POINTS;
    ds = ag_dataset_new();
    if (!ds)
        return 0;
    if (ag_synth_generate(ds, &s, s.start_ms, &ei) == AG_OK) {
        check_generated(ds, &s);
        ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL);
    }
    ag_dataset_free(ds);
    return 0;
}
