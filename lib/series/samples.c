/*
 * series/samples.c - the growable sample array.
 */
#include "augur/series.h"
#include "util/alloc.h"

ag_err ag_samples_push(ag_samples *s, int64_t t_ms, double v)
{
    if (s->n == s->cap && ag__grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != 0)
        return AG_ENOMEM;
    s->v[s->n].t_ms = t_ms;
    s->v[s->n].v = v;
    s->n++;
    return AG_OK;
}

void ag_samples_clear(ag_samples *s)
{
    ag__free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
