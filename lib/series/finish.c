/*
 * series/finish.c - ag_dataset_finish(): clean the raw samples the readers
 * appended, turn CPU counters into rates, apply the time window, drop empty
 * containers, resolve owners and sort.
 *
 * The counter-to-rate step is written to give bit-identical results to
 * Prometheus' irate() over two neighbouring samples, so importing a file
 * and querying a live Prometheus yield the same usage series.
 *
 * finish() may run again after more samples were appended (or with another
 * window). A container remembers its series sizes after the last run; only
 * a series that grew since is sorted/deduplicated and scanned for gaps
 * again, so a repeated finish() over unchanged data changes and counts
 * nothing. "containers" and "samples" are reported as the increase over what
 * earlier calls reported (never negative), so summing the stats of several
 * calls does not double count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augur/util.h"
#include "series/series_int.h"
#include "util/alloc.h"

/* Stable bottom-up merge sort of s[0..n) by time, using tmp[0..n). */
static void sort_by_time(ag_sample *s, ag_sample *tmp, size_t n)
{
    ag_sample *src = s, *dst = tmp;

    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j].t_ms < src[i].t_ms ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        ag_sample *t = src;
        src = dst;
        dst = t;
    }
    if (src != s)
        memcpy(s, src, n * sizeof *s);
}

/* Sorts s (stable), keeps the last value of each timestamp, then drops
 * non-finite and negative values (oom: non-finite values become 0, the
 * event itself is kept). Counts into st. count_unsorted is 0 when the
 * disorder is our own doing (rates appended to existing rates). */
static ag_err clean(ag_samples *s, ag_ingest_stats *st, int count_unsorted, int is_oom)
{
    size_t unsorted = 0, w = 0;

    for (size_t i = 1; i < s->n; i++)
        if (s->v[i].t_ms < s->v[i - 1].t_ms)
            unsorted++;
    if (unsorted) {
        ag_sample *tmp = ag__malloc(s->n * sizeof *tmp);
        if (!tmp)
            return AG_ENOMEM;
        sort_by_time(s->v, tmp, s->n);
        ag__free(tmp);
        if (count_unsorted)
            st->unsorted += unsorted;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (w > 0 && s->v[w - 1].t_ms == s->v[i].t_ms) {
            s->v[w - 1] = s->v[i]; /* the last value seen wins */
            st->duplicates++;
        } else {
            s->v[w++] = s->v[i];
        }
    }
    s->n = w;
    w = 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->v[i].v;
        if (!isfinite(v)) {
            if (is_oom) {
                s->v[i].v = 0;
            } else {
                st->nonfinite++;
                continue;
            }
        } else if (v < 0) {
            st->negative++;
            continue;
        }
        s->v[w++] = s->v[i];
    }
    s->n = w;
    return AG_OK;
}

/* Appends the rates of the (clean) counter series to usage, as irate():
 * (v2 - v1) / ((t2 - t1) / 1000.0) at t2; after a reset (v2 < v1) the
 * increase is v2 itself. */
static ag_err counter_to_rates(ag_container *c, ag_ingest_stats *st)
{
    ag_samples *ctr = &c->cpu_counter, *u = &c->usage[AG_CPU];
    size_t had = u->n;
    ag_err err;

    if (ctr->n >= 2) {
        if (ag__grow((void **)&u->v, &u->cap, u->n + ctr->n - 1, sizeof *u->v) != 0)
            return AG_ENOMEM;
        for (size_t i = 1; i < ctr->n; i++) {
            const ag_sample *a = &ctr->v[i - 1], *b = &ctr->v[i];
            double inc = b->v - a->v;
            if (b->v < a->v) {
                inc = b->v;
                st->counter_resets++;
            }
            u->v[u->n].t_ms = b->t_ms;
            u->v[u->n].v = inc / ((double)(b->t_ms - a->t_ms) / 1000.0);
            u->n++;
        }
        if (had > 0) {
            err = clean(u, st, 0, 0);
            if (err != AG_OK) {
                u->n = had;
                return err;
            }
        }
    }
    ag_samples_clear(ctr);
    return AG_OK;
}

/* Counts intervals longer than 3 x the median interval of s. */
static ag_err count_gaps(const ag_samples *s, ag_ingest_stats *st)
{
    size_t m = s->n > 0 ? s->n - 1 : 0;
    double *d, med;

    if (m < 2)
        return AG_OK;
    d = ag__malloc(m * sizeof *d);
    if (!d)
        return AG_ENOMEM;
    for (size_t i = 0; i < m; i++)
        d[i] = (double)(s->v[i + 1].t_ms - s->v[i].t_ms);
    med = ag_quantile_inplace(d, m, 0.5);
    ag__free(d);
    for (size_t i = 0; i < m; i++)
        if ((double)(s->v[i + 1].t_ms - s->v[i].t_ms) > 3 * med)
            st->gaps++;
    return AG_OK;
}

static void window(ag_samples *s, int64_t start_ms, int64_t end_ms, ag_ingest_stats *st)
{
    size_t w = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].t_ms < start_ms || s->v[i].t_ms > end_ms) {
            st->outside_window++;
            continue;
        }
        s->v[w++] = s->v[i];
    }
    s->n = w;
}

static ag_err clean_container(ag__cont *k, int64_t start_ms, int64_t end_ms, ag_ingest_stats *st)
{
    ag_container *c = &k->c;
    int grew[AG_NRES];
    ag_err err;

    for (int r = 0; r < AG_NRES; r++)
        grew[r] = !k->cleaned || c->usage[r].n != k->clean_n[r];
    grew[AG_CPU] |= c->cpu_counter.n > 0;
    if (grew[AG_CPU] || grew[AG_MEMORY] || !k->cleaned || c->oom.n != k->clean_oom_n) {
        k->cleaned = 0; /* until this run is complete */
        for (int r = 0; r < AG_NRES; r++)
            if ((err = clean(&c->usage[r], st, 1, 0)) != AG_OK)
                return err;
        if ((err = clean(&c->cpu_counter, st, 1, 0)) != AG_OK)
            return err;
        if ((err = clean(&c->oom, st, 1, 1)) != AG_OK)
            return err;
        if ((err = counter_to_rates(c, st)) != AG_OK)
            return err;
        for (int r = 0; r < AG_NRES; r++)
            if (grew[r] && (err = count_gaps(&c->usage[r], st)) != AG_OK)
                return err;
    }
    for (int r = 0; r < AG_NRES; r++)
        window(&c->usage[r], start_ms, end_ms, st);
    window(&c->oom, start_ms, end_ms, st);
    for (int r = 0; r < AG_NRES; r++)
        k->clean_n[r] = c->usage[r].n;
    k->clean_oom_n = c->oom.n;
    k->cleaned = 1;
    return AG_OK;
}

/* Sets the container's owner_kind/owner_name from kube_pod_owner when
 * recorded, else from the pod name. */
static ag_err set_owner(const ag_dataset *ds, ag__cont *k)
{
    const ag__pod *p = ag__dataset_pod(ds, k->c.ns, k->c.pod);
    const char *src = k->c.pod, *kind = NULL;
    size_t klen, nlen;
    char *blk;

    /* kube-state-metrics reports "<none>" for pods without a controller. */
    int known = p && p->kind && p->kind[0] && strcmp(p->kind, "<none>") != 0 && p->name[0];
    if (known)
        src = p->name;
    klen = (known ? strlen(p->kind) : 0) + 16; /* room for any static kind too */
    nlen = strlen(src) + 1;
    blk = ag__malloc(klen + nlen);
    if (!blk)
        return AG_ENOMEM;
    if (known) {
        ag__resolve_owner(p->kind, p->name, &kind, blk + klen, nlen);
    } else if (p && p->kind) { /* recorded as having no controller */
        kind = "Pod";
        memcpy(blk + klen, src, nlen);
    } else {
        ag_infer_owner(src, &kind, blk + klen, nlen);
    }
    memmove(blk, kind, strlen(kind) + 1); /* kind may be p->kind: not inside blk */
    ag__free(k->owner);
    k->owner = blk;
    k->c.owner_kind = blk;
    k->c.owner_name = blk + klen;
    return AG_OK;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_cont(const void *pa, const void *pb)
{
    const ag_container *a = &(*(ag__cont *const *)pa)->c, *b = &(*(ag__cont *const *)pb)->c;
    int d;

    if ((d = strcmp(a->ns, b->ns)) != 0)
        return d;
    if ((d = cmp_str(a->owner_kind, b->owner_kind)) != 0)
        return d;
    if ((d = cmp_str(a->owner_name, b->owner_name)) != 0)
        return d;
    if ((d = strcmp(a->container, b->container)) != 0)
        return d;
    return strcmp(a->pod, b->pod);
}

ag_err ag_dataset_finish(ag_dataset *ds, int64_t start_ms, int64_t end_ms, ag_ingest_stats *st)
{
    ag_ingest_stats dummy;
    uint64_t samples = 0;
    size_t w = 0;
    ag_err err;

    if (!ds)
        return AG_EINVAL;
    if (!st) {
        memset(&dummy, 0, sizeof dummy);
        st = &dummy;
    }
    for (size_t i = 0; i < ds->n; i++)
        if ((err = clean_container(ds->c[i], start_ms, end_ms, st)) != AG_OK)
            return err;
    for (size_t i = 0; i < ds->n; i++) {
        ag__cont *k = ds->c[i];
        if (k->c.usage[AG_CPU].n == 0 && k->c.usage[AG_MEMORY].n == 0) {
            ag__cont_free(k);
            continue;
        }
        ds->c[w++] = k;
    }
    if (w != ds->n) {
        ds->n = w;
        ag__dataset_reindex(ds);
    }
    for (size_t i = 0; i < ds->n; i++)
        if ((err = set_owner(ds, ds->c[i])) != AG_OK)
            return err;
    if (ds->n > 1)
        qsort(ds->c, ds->n, sizeof *ds->c, cmp_cont);
    for (size_t i = 0; i < ds->n; i++)
        samples += ds->c[i]->c.usage[AG_CPU].n + ds->c[i]->c.usage[AG_MEMORY].n;
    if (ds->n > ds->reported_containers)
        st->containers += ds->n - ds->reported_containers;
    if (samples > ds->reported_samples)
        st->samples += samples - ds->reported_samples;
    ds->reported_containers = ds->n;
    ds->reported_samples = samples;
    return AG_OK;
}
