/*
 * serve/track.c - the daemon's running state of every workload-container
 * (serve_int.h).
 *
 * `augur serve` must follow 10,000 containers at 1-minute samples in
 * 200 MB, so it cannot keep the samples: 8 days of them are 370 KB per
 * container. Each new sample is fed once to the workload-container's
 * online recommender (augur/online.h: the live VPA equals the batch one
 * sample for sample) and folded into an hourly cell for the forecasts
 * (CPU: the hour's mean per pod, memory: its peak; the hottest pod per
 * hour, as `augur forecast` builds its series), then dropped. Samples of
 * all pods are fed in time order, as the recommenders require.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "serve/serve_int.h"
#include "util/alloc.h"

struct ag__tracks {
    ag__track **slot; /* open addressing, NULL = empty */
    size_t cap, n;
    ag__track **sorted; /* the last ag__tracks_sorted() */
    int64_t cell_ms;
    size_t ncells;
    int64_t step_ms; /* what a sample stands for, in the totals */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Samples are interval ends: cell c holds (c * step, (c + 1) * step]. */
static int64_t cell_of(int64_t t, int64_t step)
{
    return floor_div(t - 1, step);
}

static uint64_t hash4(const char *a, const char *b, const char *c, const char *d)
{
    const char *s[4] = {a, b, c, d};
    uint64_t h = 1469598103934665603ULL;

    for (int i = 0; i < 4; i++) {
        for (const char *p = s[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* a separator: ("ab","c") != ("a","bc") */
    }
    return h;
}

static int same(const ag__track *t, const char *ns, const char *kind, const char *name,
                const char *container)
{
    return !strcmp(t->ns, ns) && !strcmp(t->kind, kind) && !strcmp(t->name, name) &&
           !strcmp(t->container, container);
}

ag__tracks *ag__tracks_new(int64_t cell_ms, int64_t history_ms)
{
    ag__tracks *ts = ag__calloc(1, sizeof *ts);

    if (!ts)
        return NULL;
    ts->cap = 64;
    ts->slot = ag__calloc(ts->cap, sizeof *ts->slot);
    if (!ts->slot) {
        ag__free(ts);
        return NULL;
    }
    ts->cell_ms = cell_ms;
    ts->step_ms = 60000;
    ts->ncells = (size_t)(history_ms / cell_ms);
    if (ts->ncells < 2)
        ts->ncells = 2;
    return ts;
}

static void track_free(ag__track *t)
{
    if (!t)
        return;
    ag_online_free(t->rec);
    for (size_t i = 0; i < t->npods; i++)
        ag__free(t->pods[i].pod);
    ag__free(t->pods);
    for (int r = 0; r < AG_NRES; r++)
        ag__free(t->cells[r]);
    ag__free(t->total);
    ag__free(t->ns);
    ag__free(t);
}

void ag__tracks_free(ag__tracks *ts)
{
    if (!ts)
        return;
    for (size_t i = 0; i < ts->cap; i++)
        track_free(ts->slot[i]);
    ag__free(ts->slot);
    ag__free(ts->sorted);
    ag__free(ts);
}

size_t ag__tracks_count(const ag__tracks *ts)
{
    return ts->n;
}

/* Puts t in the table (which has room). */
static void place(ag__track **slot, size_t cap, ag__track *t)
{
    size_t i = (size_t)hash4(t->ns, t->kind, t->name, t->container) & (cap - 1);

    while (slot[i])
        i = (i + 1) & (cap - 1);
    slot[i] = t;
}

static ag_err grow_table(ag__tracks *ts)
{
    size_t cap = ts->cap * 2;
    ag__track **s = ag__calloc(cap, sizeof *s);

    if (!s)
        return AG_ENOMEM;
    for (size_t i = 0; i < ts->cap; i++)
        if (ts->slot[i])
            place(s, cap, ts->slot[i]);
    ag__free(ts->slot);
    ts->slot = s;
    ts->cap = cap;
    return AG_OK;
}

static ag_err make_rec(ag__track *t, const ag_online_params *p, int64_t step_ms)
{
    ag_online_spec spec;

    for (int r = 0; r < AG_NRES; r++) {
        spec.request[r] = t->request[r];
        spec.limit[r] = t->limit[r];
    }
    spec.replicas = t->nslots > 0 ? t->nslots : 4;
    spec.step_ms = step_ms > 0 ? step_ms : 60000;
    t->nslots = spec.replicas;
    return ag_online_new(p, &spec, &t->rec);
}

static ag__track *track_new(const ag__tracks *ts, const char *ns, const char *kind,
                            const char *name, const char *container)
{
    size_t l1 = strlen(ns) + 1, l2 = strlen(kind) + 1, l3 = strlen(name) + 1,
           l4 = strlen(container) + 1;
    ag__track *t = ag__calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->ns = ag__malloc(l1 + l2 + l3 + l4);
    for (int r = 0; r < AG_NRES && t->ns; r++) {
        t->cells[r] = ag__malloc(ts->ncells * sizeof *t->cells[r]);
        if (!t->cells[r]) {
            track_free(t);
            return NULL;
        }
        for (size_t i = 0; i < ts->ncells; i++)
            t->cells[r][i] = NAN;
        t->request[r] = t->limit[r] = t->prev_target[r] = NAN;
        t->spec_t[r] = INT64_MIN;
    }
    if (t->ns)
        t->total = ag__malloc(ts->ncells * sizeof *t->total);
    if (!t->ns || !t->total) {
        track_free(t);
        return NULL;
    }
    for (size_t i = 0; i < ts->ncells; i++)
        t->total[i] = NAN;
    memcpy(t->ns, ns, l1);
    t->kind = memcpy(t->ns + l1, kind, l2);
    t->name = memcpy(t->kind + l2, name, l3);
    t->container = memcpy(t->name + l3, container, l4);
    t->top = t->first_ms = INT64_MIN;
    return t;
}

ag__track *ag__tracks_find(ag__tracks *ts, const char *ns, const char *kind, const char *name,
                           const char *container)
{
    size_t i = (size_t)hash4(ns, kind, name, container) & (ts->cap - 1);

    for (; ts->slot[i]; i = (i + 1) & (ts->cap - 1))
        if (same(ts->slot[i], ns, kind, name, container))
            return ts->slot[i];
    return NULL;
}

ag__track *ag__tracks_get(ag__tracks *ts, const char *ns, const char *kind, const char *name,
                          const char *container, const ag_online_params *p, const ag__tsig *sig)
{
    ag__track *t = ag__tracks_find(ts, ns, kind, name, container);

    if (t)
        return t;
    if (2 * (ts->n + 1) > ts->cap && grow_table(ts) != AG_OK)
        return NULL;
    t = track_new(ts, ns, kind, name, container);
    if (!t)
        return NULL;
    if (make_rec(t, p, 0) != AG_OK) {
        track_free(t);
        return NULL;
    }
    t->sig = *sig;
    place(ts->slot, ts->cap, t);
    ts->n++;
    return t;
}

ag_err ag__track_reset(ag__track *t, const ag_online_params *p, const ag__tsig *sig)
{
    ag_online *old = t->rec;
    ag_err rc;

    t->rec = NULL;
    rc = make_rec(t, p, 0);
    if (rc != AG_OK) {
        t->rec = old;
        return rc;
    }
    ag_online_free(old);
    t->sig = *sig;
    for (size_t i = 0; i < t->npods; i++)
        for (int r = 0; r < AG_NRES; r++)
            t->pods[i].last_t[r] = INT64_MIN; /* the replay feeds them again */
    for (size_t i = 0; i < t->npods; i++)
        t->pods[i].last_oom = INT64_MIN;
    for (int r = 0; r < AG_NRES; r++)
        t->prev_target[r] = NAN;
    return AG_OK;
}

/* ---- pods ---------------------------------------------------------- */

static ag__tpod *find_pod(ag__track *t, const char *pod)
{
    for (size_t i = 0; i < t->npods; i++)
        if (!strcmp(t->pods[i].pod, pod))
            return &t->pods[i];
    return NULL;
}

/* The lowest replica slot no pod of t holds, growing the recommender's
 * room when all are taken. -1 when out of memory. */
static int free_slot(ag__track *t)
{
    int s = 0;

    for (;; s++) {
        size_t i = 0;
        while (i < t->npods && t->pods[i].slot != s)
            i++;
        if (i == t->npods)
            break;
    }
    if (s >= t->nslots) {
        int n = t->nslots * 2 > s + 1 ? t->nslots * 2 : s + 1;
        if (ag_online_grow(t->rec, n) != AG_OK)
            return -1;
        t->nslots = n;
    }
    return s;
}

static ag__tpod *add_pod(ag__track *t, const char *pod)
{
    ag__tpod *p;
    int s;

    if (t->npods == t->podcap) {
        size_t cap = t->podcap ? 2 * t->podcap : 2;
        ag__tpod *np = ag__realloc(t->pods, cap * sizeof *np);
        if (!np)
            return NULL;
        t->pods = np;
        t->podcap = cap;
    }
    s = free_slot(t);
    if (s < 0)
        return NULL;
    p = &t->pods[t->npods];
    memset(p, 0, sizeof *p);
    p->pod = ag__strdup(pod);
    if (!p->pod)
        return NULL;
    p->slot = s;
    p->last_oom = p->seen_ms = INT64_MIN;
    p->last_mem = NAN;
    for (int r = 0; r < AG_NRES; r++)
        p->last_t[r] = p->cell[r] = INT64_MIN;
    t->npods++;
    return p;
}

/* ---- forecast cells ------------------------------------------------ */

static double *cell_at(const ag__tracks *ts, ag__track *t, int r, int64_t c)
{
    int64_t n = (int64_t)ts->ncells;

    if (t->top == INT64_MIN || c <= t->top - n || c > t->top)
        return NULL;
    return &t->cells[r][((c % n) + n) % n];
}

/* Moves the ring's newest cell to c (when c is newer), emptying the
 * cells it enters. */
static void advance(const ag__tracks *ts, ag__track *t, int64_t c)
{
    int64_t n = (int64_t)ts->ncells;

    if (t->top != INT64_MIN && c <= t->top)
        return;
    for (int64_t k = t->top == INT64_MIN || c - t->top > n ? c - n + 1 : t->top + 1; k <= c; k++) {
        for (int q = 0; q < AG_NRES; q++)
            t->cells[q][((k % n) + n) % n] = NAN;
        t->total[((k % n) + n) % n] = NAN;
    }
    t->top = c;
}

static void put_cell(const ag__tracks *ts, ag__track *t, int r, int64_t c, double v)
{
    double *slot;

    advance(ts, t, c);
    slot = cell_at(ts, t, r, c);
    if (slot && !(*slot >= v))
        *slot = v; /* the hottest pod of the hour */
}

/* Adds one CPU sample's share to the workload's total of its cell: the
 * cell's mean total cores once all its samples are in. A sample stands
 * for the time since the pod's previous one (samples are interval ends),
 * one step after a gap of more than 10 min (or 3 steps) or for a pod's
 * first (prev INT64_MIN). */
static void add_total(const ag__tracks *ts, ag__track *t, int64_t prev, int64_t tm, double v)
{
    int64_t c = cell_of(tm, ts->cell_ms), n = (int64_t)ts->ncells;
    int64_t cap = 3 * ts->step_ms > 600000 ? 3 * ts->step_ms : 600000;
    int64_t dt = prev != INT64_MIN && tm - prev > 0 && tm - prev <= cap ? tm - prev : ts->step_ms;
    double *x;

    advance(ts, t, c);
    if (c <= t->top - n)
        return; /* too old for the ring */
    x = &t->total[((c % n) + n) % n];
    *x = (isnan(*x) ? 0 : *x) + v * (double)dt / (double)ts->cell_ms;
}

static void close_cell(const ag__tracks *ts, ag__track *t, ag__tpod *p, int r)
{
    if (p->cell[r] == INT64_MIN || !p->cnt[r])
        return;
    put_cell(ts, t, r, p->cell[r], r == AG_CPU ? p->acc[r] / p->cnt[r] : p->acc[r]);
    p->cell[r] = INT64_MIN;
    p->cnt[r] = 0;
}

static void fold(const ag__tracks *ts, ag__track *t, ag__tpod *p, int r, int64_t tm, double v)
{
    int64_t c = cell_of(tm, ts->cell_ms);

    if (c != p->cell[r]) {
        close_cell(ts, t, p, r);
        p->cell[r] = c;
        p->acc[r] = r == AG_CPU ? 0 : -INFINITY;
        p->cnt[r] = 0;
    }
    if (r == AG_CPU)
        p->acc[r] += v;
    else if (v > p->acc[r])
        p->acc[r] = v;
    p->cnt[r]++;
}

/* ---- feeding ------------------------------------------------------- */

typedef struct ev {
    int64_t t;
    double v;
    uint32_t pod; /* index into the track's pods */
    uint32_t seq; /* input order, for a stable sort */
} ev;

static int ev_cmp(const void *a, const void *b)
{
    const ev *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->pod != y->pod)
        return x->pod < y->pod ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The new samples of resource r of wc's members, in time order. */
static ag_err feed_res(ag__tracks *ts, ag__track *t, const ag_wcontainer *wc, const size_t *pi,
                       int r)
{
    size_t total = 0, k = 0;
    ev *e;

    for (size_t m = 0; m < wc->n; m++)
        total += wc->members[m]->usage[r].n;
    if (!total)
        return AG_OK;
    e = ag__malloc(total * sizeof *e);
    if (!e)
        return AG_ENOMEM;
    for (size_t m = 0; m < wc->n; m++) {
        const ag_samples *s = &wc->members[m]->usage[r];
        int64_t last = t->pods[pi[m]].last_t[r];
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].t_ms > last) {
                e[k] = (ev){s->v[i].t_ms, s->v[i].v, (uint32_t)pi[m], (uint32_t)k};
                k++;
            }
    }
    qsort(e, k, sizeof *e, ev_cmp);
    for (size_t i = 0; i < k; i++) {
        ag__tpod *p = &t->pods[e[i].pod];
        ag_online_observe(t->rec, p->slot, (ag_resource)r, e[i].t, e[i].v);
        fold(ts, t, p, r, e[i].t, e[i].v);
        if (r == AG_CPU)
            add_total(ts, t, p->last_t[r], e[i].t, e[i].v);
        p->last_t[r] = e[i].t;
        if (r == AG_MEMORY)
            p->last_mem = e[i].v;
        if (e[i].t > p->seen_ms)
            p->seen_ms = e[i].t;
        if (t->first_ms == INT64_MIN || e[i].t < t->first_ms)
            t->first_ms = e[i].t;
        if (e[i].t > t->last_ms)
            t->last_ms = e[i].t;
    }
    ag__free(e);
    return AG_OK;
}

/* The newest request and limit of wc's members wins. */
static void take_spec(ag__track *t, const ag_wcontainer *wc)
{
    int changed = 0;

    for (size_t m = 0; m < wc->n; m++) {
        const ag_container *c = wc->members[m];
        for (int r = 0; r < AG_NRES; r++) {
            if (!(isfinite(c->request[r]) || isfinite(c->limit[r])) ||
                c->spec_t_ms[r] < t->spec_t[r])
                continue;
            changed |= !(c->request[r] == t->request[r]) || !(c->limit[r] == t->limit[r]);
            t->request[r] = c->request[r];
            t->limit[r] = c->limit[r];
            t->spec_t[r] = c->spec_t_ms[r];
        }
    }
    if (changed)
        ag_online_set_current(t->rec, t->request, t->limit);
}

ag_err ag__track_feed(ag__tracks *ts, ag__track *t, const ag_wcontainer *wc)
{
    size_t stack[16], *pi = wc->n <= 16 ? stack : ag__malloc(wc->n * sizeof *pi);
    ag_err rc = AG_OK;

    if (!pi)
        return AG_ENOMEM;
    take_spec(t, wc);
    /* pods first: add_pod() may move t->pods */
    for (size_t m = 0; m < wc->n; m++) {
        ag__tpod *p = find_pod(t, wc->members[m]->pod);
        if (!p && !(p = add_pod(t, wc->members[m]->pod))) {
            rc = AG_ENOMEM;
            goto out;
        }
        pi[m] = (size_t)(p - t->pods);
    }
    for (int r = 0; r < AG_NRES && rc == AG_OK; r++)
        rc = feed_res(ts, t, wc, pi, r);
    for (size_t m = 0; m < wc->n && rc == AG_OK; m++) {
        const ag_samples *o = &wc->members[m]->oom;
        ag__tpod *p = &t->pods[pi[m]];
        for (size_t i = 0; i < o->n; i++) {
            if (o->v[i].t_ms <= p->last_oom)
                continue;
            ag_online_oom(t->rec, p->slot, o->v[i].t_ms, t->request[AG_MEMORY]);
            p->last_oom = o->v[i].t_ms;
        }
    }
out:
    if (pi != stack)
        ag__free(pi);
    return rc;
}

/* ---- expiry and reading -------------------------------------------- */

static void expire_track(ag__tracks *ts, ag__track *t, int64_t now, int64_t history)
{
    int64_t cur = cell_of(now, ts->cell_ms);
    size_t k = 0;

    for (size_t i = 0; i < t->npods; i++) {
        ag__tpod *p = &t->pods[i];
        for (int r = 0; r < AG_NRES; r++)
            if (p->cell[r] != INT64_MIN && p->cell[r] < cur)
                close_cell(ts, t, p, r);
        if (p->seen_ms != INT64_MIN && p->seen_ms < now - history) {
            ag__free(p->pod); /* gone: its slot is free for a new pod */
            continue;
        }
        t->pods[k++] = *p;
    }
    t->npods = k;
}

void ag__tracks_expire(ag__tracks *ts, int64_t now_ms, int64_t history_ms)
{
    size_t kept = 0;
    ag__track **keep = ag__calloc(ts->n + 1, sizeof *keep);

    for (size_t i = 0; i < ts->cap; i++) {
        ag__track *t = ts->slot[i];
        if (!t)
            continue;
        expire_track(ts, t, now_ms, history_ms);
        if (keep && t->last_ms < now_ms - history_ms) {
            track_free(t);
            continue;
        }
        if (keep)
            keep[kept++] = t;
    }
    if (!keep)
        return; /* out of memory: nothing dropped this time */
    memset(ts->slot, 0, ts->cap * sizeof *ts->slot);
    for (size_t i = 0; i < kept; i++)
        place(ts->slot, ts->cap, keep[i]);
    ts->n = kept;
    ag__free(keep);
}

static int track_cmp(const void *a, const void *b)
{
    const ag__track *x = *(ag__track *const *)a, *y = *(ag__track *const *)b;
    int c = strcmp(x->ns, y->ns);

    if (!c)
        c = strcmp(x->kind, y->kind);
    if (!c)
        c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->container, y->container);
}

ag__track **ag__tracks_sorted(ag__tracks *ts, size_t *n, int *oom)
{
    size_t k = 0;

    *n = 0;
    if (oom)
        *oom = 0;
    ag__free(ts->sorted);
    ts->sorted = ag__malloc((ts->n + 1) * sizeof *ts->sorted);
    if (!ts->sorted) {
        if (oom)
            *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < ts->cap; i++)
        if (ts->slot[i])
            ts->sorted[k++] = ts->slot[i];
    qsort(ts->sorted, k, sizeof *ts->sorted, track_cmp);
    *n = k;
    return k ? ts->sorted : NULL;
}

void ag__tracks_set_step(ag__tracks *ts, int64_t step_ms)
{
    if (step_ms > 0)
        ts->step_ms = step_ms;
}

double *ag__track_series(const ag__tracks *ts, const ag__track *t, int ri, int total,
                         int64_t now_ms, int64_t *t0_ms, size_t *n)
{
    int64_t last = cell_of(now_ms, ts->cell_ms) - 1, first, c0;
    const double *cells = total && ri == AG_CPU ? t->total : t->cells[ri];
    double *v;

    *n = 0;
    if (t->top == INT64_MIN)
        return NULL;
    if (last > t->top)
        last = t->top;
    first = t->top - (int64_t)ts->ncells + 1;
    for (c0 = first; c0 <= last; c0++) {
        double x =
            cells[(size_t)((c0 % (int64_t)ts->ncells + (int64_t)ts->ncells) % (int64_t)ts->ncells)];
        if (isfinite(x))
            break;
    }
    if (c0 > last)
        return NULL;
    v = ag__malloc((size_t)(last - c0 + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (int64_t c = c0; c <= last; c++)
        v[c - c0] =
            cells[(size_t)((c % (int64_t)ts->ncells + (int64_t)ts->ncells) % (int64_t)ts->ncells)];
    *t0_ms = (c0 + 1) * ts->cell_ms; /* a cell is known at its end */
    *n = (size_t)(last - c0 + 1);
    return v;
}

int ag__track_pods(const ag__track *t, int64_t now_ms, int64_t history_ms)
{
    int n = 0;

    for (size_t i = 0; i < t->npods; i++)
        n += t->pods[i].seen_ms >= now_ms - history_ms;
    return n;
}

double ag__tracks_pod_memory(const ag__tracks *ts, const char *ns, const char *pod,
                             const char *container)
{
    for (size_t i = 0; i < ts->cap; i++) {
        ag__track *t = ts->slot[i];
        ag__tpod *p;
        if (!t || strcmp(t->ns, ns) || strcmp(t->container, container))
            continue;
        p = find_pod(t, pod);
        if (p)
            return p->last_mem;
    }
    return NAN;
}
