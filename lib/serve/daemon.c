/*
 * serve/daemon.c - one loop of `augur serve`.
 *
 * Each step fetches only what Prometheus has since the last good fetch
 * (with a 5-minute overlap; the store deduplicates, the tracks skip what
 * they have seen), writes it to the store and feeds it to the tracks
 * (track.c): one online recommender per workload-container, plus hourly
 * cells for the forecasts. The samples themselves are not kept, so memory
 * follows the number of containers, not the history. A first start (or a
 * restart on a store) replays the history an hour at a time. Then every
 * workload-container is asked for its recommendation (the live VPA gives
 * what `augur recommend` gives on the same samples; a workload under an
 * AugurPolicy gets augur's own recommender with that policy and its
 * bounds) and, when due, the forecasts are refitted (the same
 * ag_forecast_series() as `augur forecast`). The view is built whole and
 * only then published, so readers see the last good view until a step
 * completes; a failed fetch leaves it in place.
 */
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/daemon.h"
#include "augur/forecast.h"
#include "augur/online.h"
#include "augur/report.h"
#include "augur/store.h"
#include "augur/util.h"
#include "serve/serve_int.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define OVERLAP_MS (5 * MIN_MS)
#define SLICE_MS                                                                                   \
    HOUR_MS /* a backfill or replay reads this much at a time: 19 MB of                            \
              samples at 10,000 containers x 1 min */

static const double fc_quantiles[] = {0.5, 0.9, 0.95};
#define FC_NQ (sizeof fc_quantiles / sizeof fc_quantiles[0])

struct ag_daemon {
    ag_daemon_opts o;
    ag_serve *slot;
    ag_store *st;
    ag__tracks *tracks;
    int64_t fetched_to; /* end of the last good fetch; INT64_MIN = none */
    int64_t step_ms;    /* the samples' interval, once a fetch told it */
    ag_health h;
    ag__fcs_shared *fcs; /* the last forecasts, shared by the views until the next refit */
    ag_view_fc *fcv;
    size_t nfcs;
    int64_t fc_at;   /* when they were fitted; INT64_MIN = never */
    ag_wpolicy *pol; /* AugurPolicy selections (sorted) */
    size_t npol;
    uint64_t runs;
    uint64_t step_samples; /* samples fetched by the current step */
    int restored;          /* the store was replayed (the first step does it) */
    int published;         /* a view was published */
};

void ag_daemon_opts_default(ag_daemon_opts *o)
{
    memset(o, 0, sizeof *o);
    ag_rec_params_default(&o->rec);
    o->forecast_every_ms = HOUR_MS;
    o->forecast_step_ms = HOUR_MS;
    o->forecast_horizon_ms = 24 * HOUR_MS;
    o->forecast_history_ms = 7 * 24 * HOUR_MS;
}

static void logf_(const ag_daemon *d, ag_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(const ag_daemon *d, ag_log_level lv, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!d->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->o.log(d->o.log_ud, lv, buf);
}

static int64_t history(const ag_daemon *d)
{
    return d->o.history_ms ? d->o.history_ms : ag_algorithm_default_history_ms(d->o.rec.algorithm);
}

static void free_fcs(ag_view_fc *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ag__free(f[i].q);
        ag__free(f[i].history);
    }
    ag__free(f);
}

void ag_daemon_free(ag_daemon *d)
{
    if (!d)
        return;
    ag_store_close(d->st);
    ag__tracks_free(d->tracks);
    ag__fcs_unref(d->fcs);
    ag__free(d->pol);
    ag__free(d);
}

/* ---- which recommender a workload gets ------------------------------ */

static const ag_wpolicy *policy_of(const ag_daemon *d, const char *ns, const char *kind,
                                   const char *name)
{
    return d->npol ? ag_wpolicy_find(d->pol, d->npol, ns, kind, name) : NULL;
}

/* The recommender parameters for a workload: its AugurPolicy's (augur's
 * own recommender with that policy and risk budget), else the daemon's. */
static void params_for(const ag_daemon *d, const ag_wpolicy *w, ag_online_params *p, ag__tsig *sig)
{
    memset(sig, 0, sizeof *sig);
    sig->cpu_risk = sig->mem_risk = NAN;
    if (!w) {
        sig->kind = d->o.rec.algorithm == AG_ALGO_KRR ? AG_ONLINE_KRR : AG_ONLINE_VPA;
        ag_online_params_default(p, sig->kind);
        p->rec = d->o.rec;
        return;
    }
    sig->kind = AG_ONLINE_AUGUR;
    sig->policy = w->policy;
    sig->cpu_risk = w->cpu_risk;
    sig->mem_risk = w->mem_risk;
    ag_online_params_default(p, AG_ONLINE_AUGUR);
    ag_augur_params_policy(&p->augur, (ag_augur_policy)w->policy);
    if (isfinite(w->cpu_risk))
        p->augur.cpu_risk = w->cpu_risk;
    if (isfinite(w->mem_risk))
        p->augur.mem_risk = w->mem_risk;
}

static int same_sig(const ag__tsig *a, const ag__tsig *b)
{
    return a->kind == b->kind && a->policy == b->policy &&
           (a->cpu_risk == b->cpu_risk || (isnan(a->cpu_risk) && isnan(b->cpu_risk))) &&
           (a->mem_risk == b->mem_risk || (isnan(a->mem_risk) && isnan(b->mem_risk)));
}

ag_err ag_daemon_set_policies(ag_daemon *d, const ag_wpolicy *v, size_t n)
{
    ag_wpolicy *c = NULL;

    if (n) {
        c = ag__malloc(n * sizeof *c);
        if (!c)
            return AG_ENOMEM;
        memcpy(c, v, n * sizeof *c);
        ag_wpolicy_sort(c, n);
    }
    ag__free(d->pol);
    d->pol = c;
    d->npol = n;
    return AG_OK;
}

double ag_daemon_pod_memory(ag_daemon *d, const char *ns, const char *pod, const char *container)
{
    return ag__tracks_pod_memory(d->tracks, ns, pod, container);
}

/* ---- feeding the tracks --------------------------------------------- */

/* Feeds a fetched (or loaded) dataset, finished, to the tracks.
 * replaying: feed only the tracks marked for a replay after a policy
 * change (none created). */
static ag_err ingest(ag_daemon *d, const ag_dataset *add, int replaying)
{
    ag_wcontainer *wc = NULL;
    size_t n = 0;
    ag_err rc = ag_dataset_group(add, NULL, &wc, &n);

    for (size_t i = 0; i < n && rc == AG_OK; i++) {
        ag_online_params p;
        ag__tsig sig;
        ag__track *t =
            ag__tracks_find(d->tracks, wc[i].ns, wc[i].kind, wc[i].name, wc[i].container);
        if (replaying && !(t && t->replaying))
            continue;
        if (!t) { /* a new workload-container: its recommender as its policy says */
            params_for(d, policy_of(d, wc[i].ns, wc[i].kind, wc[i].name), &p, &sig);
            t = ag__tracks_get(d->tracks, wc[i].ns, wc[i].kind, wc[i].name, wc[i].container, &p,
                               &sig);
        }
        rc = t ? ag__track_feed(d->tracks, t, &wc[i]) : AG_ENOMEM;
    }
    ag_wcontainers_free(wc, n);
    return rc;
}

/* Replays the store's [from, to] into the tracks, a slice at a time. */
static ag_err replay(ag_daemon *d, int64_t from, int64_t to, const char *ns, int replaying,
                     ag_errinfo *ei)
{
    ag_err rc = AG_OK;

    for (int64_t a = from; a <= to && rc == AG_OK; a += SLICE_MS) {
        int64_t b = a + SLICE_MS - 1 < to ? a + SLICE_MS - 1 : to;
        ag_dataset *ds = ag_dataset_new();
        if (!ds)
            return AG_ENOMEM;
        rc = ag_store_load(d->st, ds, a, b, ns, ei);
        if (rc == AG_OK && ag_dataset_count(ds))
            rc = ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL);
        if (rc == AG_OK && ag_dataset_count(ds))
            rc = ingest(d, ds, replaying);
        ag_dataset_free(ds);
    }
    return rc;
}

ag_err ag_daemon_new(const ag_daemon_opts *o, ag_serve *slot, ag_daemon **out, ag_errinfo *ei)
{
    ag_daemon *d;
    ag_err rc = AG_OK;
    int64_t now = ag_now_ms();

    *out = NULL;
    if (!o->prom.url || !*o->prom.url) {
        ag_errinfo_set(ei, "serve: no Prometheus URL (--prometheus, prometheus.url or "
                           "AUGUR_PROMETHEUS_URL)");
        return AG_EINVAL;
    }
    if (o->forecast_every_ms < 0 || o->forecast_step_ms <= 0 ||
        o->forecast_horizon_ms < o->forecast_step_ms ||
        o->forecast_history_ms < 2 * o->forecast_step_ms || o->history_ms < 0) {
        ag_errinfo_set(ei, "serve: forecast step, horizon and history must be positive, the "
                           "horizon at least one step");
        return AG_EINVAL;
    }
    d = ag__calloc(1, sizeof *d);
    if (!d)
        return AG_ENOMEM;
    d->o = *o;
    d->slot = slot;
    d->fetched_to = d->fc_at = INT64_MIN;
    d->h.started_ms = now;
    d->h.stale_ms = o->stale_ms;
    d->tracks = ag__tracks_new(o->forecast_step_ms, o->forecast_history_ms);
    if (!d->tracks) {
        ag_daemon_free(d);
        return AG_ENOMEM;
    }
    if (o->db_path) {
        rc = ag_store_open(o->db_path, &d->st, ei);
        if (rc == AG_OK) /* a minute of samples at a time: 8 MiB of pages do */
            rc = ag_store_set_cache(d->st, 8192, ei);
        if (rc != AG_OK) {
            ag_daemon_free(d);
            return rc;
        }
    }
    ag_serve_set_health(slot, &d->h);
    *out = d;
    return AG_OK;
}

static void fail(ag_daemon *d, const char *what, ag_err rc, const ag_errinfo *ei)
{
    snprintf(d->h.last_error, sizeof d->h.last_error, "%s: %s", what, ag_errinfo_str(ei, rc));
    d->h.loop_failures++;
    ag_serve_set_health(d->slot, &d->h);
    logf_(d, AG_LOG_ERROR, "msg=\"%s failed\" error=\"%s\"", what, ag_errinfo_str(ei, rc));
}

/* A restart: the tracks start from what the store committed, replayed
 * at the first step (so the AugurPolicy selections, set after
 * ag_daemon_new(), choose each track's recommender once). */
static ag_err restore(ag_daemon *d, int64_t now, ag_errinfo *ei)
{
    int64_t lo, hi, t0 = ag_now_ms();
    ag_err rc = AG_OK;

    d->restored = 1;
    if (!d->st || ag_store_time_range(d->st, &lo, &hi, NULL) != AG_OK)
        return AG_OK; /* no store, or an empty one */
    rc = replay(d, now - history(d), now, d->o.prom.ns, 0, ei);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    if (rc == AG_OK) {
        d->fetched_to = hi;
        logf_(d, AG_LOG_INFO,
              "msg=\"restored from the store\" workload_containers=%zu seconds=%.3f",
              ag__tracks_count(d->tracks), (double)(ag_now_ms() - t0) / 1000.0);
    }
    return rc;
}

/* Fetches [start, end] once: store, feed. ENODATA is passed up. */
static ag_err fetch_slice(ag_daemon *d, int64_t start, int64_t end, ag_errinfo *ei)
{
    ag_dataset *add = ag_dataset_new();
    ag_ingest_stats st = {0};
    ag_read_opts ro = {0};
    int64_t step = 0;
    ag_err rc;

    if (!add)
        return AG_ENOMEM;
    rc = ag_prom_fetch(add, &d->o.prom, start, end, &ro, &st, &step, ei);
    if (rc == AG_OK)
        rc = ag_dataset_finish(add, INT64_MIN, INT64_MAX, NULL);
    if (rc == AG_OK && d->st)
        rc = ag_store_put_dataset(d->st, add, NULL, ei);
    if (rc == AG_OK && step > 0 && d->step_ms != step) {
        d->step_ms = step;
        ag__tracks_set_step(d->tracks, step); /* what a sample stands for in the totals */
    }
    if (rc == AG_OK)
        rc = ingest(d, add, 0);
    if (rc == AG_OK)
        d->step_samples += st.samples;
    ag_dataset_free(add);
    return rc;
}

/* Fetches (since the last good fetch; a first one in slices), stores and
 * feeds. */
static ag_err fetch(ag_daemon *d, int64_t now, ag_errinfo *ei)
{
    int64_t start = d->fetched_to == INT64_MIN ? now - history(d) : d->fetched_to - OVERLAP_MS;
    int any = 0;
    ag_err rc = AG_OK;

    if (start < now - history(d))
        start = now - history(d);
    for (int64_t a = start; a < now && rc == AG_OK;) {
        int64_t b = now - a > SLICE_MS ? a + SLICE_MS : now;
        rc = fetch_slice(d, a, b, ei);
        if (rc == AG_ENODATA)
            rc = AG_OK; /* a quiet slice (or cluster): not a failure */
        else if (rc == AG_OK)
            any = 1;
        a = b;
    }
    if (rc != AG_OK) {
        if (rc != AG_ENOMEM && rc != AG_ESTORE)
            d->h.fetch_errors++;
        return rc;
    }
    d->fetched_to = now;
#ifdef __GLIBC__
    if (now - start > SLICE_MS)
        malloc_trim(0); /* a backfill's slices are freed: give their pages back */
#endif
    if (!any)
        logf_(d, AG_LOG_DEBUG, "msg=\"no new samples\" from=%lld to=%lld",
              (long long)(start / 1000), (long long)(now / 1000));
    else
        logf_(d, AG_LOG_DEBUG, "msg=\"fetched\" from=%lld to=%lld samples=%llu",
              (long long)(start / 1000), (long long)(now / 1000),
              (unsigned long long)d->step_samples);
    d->h.samples_ingested += d->step_samples;
    return AG_OK;
}

/* Tracks whose AugurPolicy changed get the new recommender, all replayed
 * together from the store when there is one (one pass over the history,
 * however many changed; without a store they learn from now on). */
static ag_err apply_policies(ag_daemon *d, ag__track **t, size_t n, int64_t now, ag_errinfo *ei)
{
    size_t changed = 0;
    const char *ns = NULL;
    ag_err rc = AG_OK;

    for (size_t i = 0; i < n && rc == AG_OK; i++) {
        ag_online_params p;
        ag__tsig sig;
        params_for(d, policy_of(d, t[i]->ns, t[i]->kind, t[i]->name), &p, &sig);
        if (same_sig(&sig, &t[i]->sig))
            continue;
        rc = ag__track_reset(t[i], &p, &sig);
        if (rc != AG_OK)
            break;
        t[i]->replaying = 1;
        /* one namespace: the replay reads only it */
        ns = !changed ? t[i]->ns : ns && !strcmp(ns, t[i]->ns) ? ns : NULL;
        changed++;
        logf_(d, AG_LOG_INFO,
              "msg=\"recommender changed\" namespace=%s workload=%s/%s container=%s "
              "recommender=%s",
              t[i]->ns, t[i]->kind, t[i]->name, t[i]->container, ag_online_kind_name(sig.kind));
    }
    if (rc == AG_OK && changed && d->st) {
        int64_t t0 = ag_now_ms();
        rc = replay(d, now - history(d), now, ns ? ns : d->o.prom.ns, 1, ei);
        logf_(d, AG_LOG_INFO, "msg=\"replayed the store\" containers=%zu seconds=%.3f", changed,
              (double)(ag_now_ms() - t0) / 1000.0);
    }
    for (size_t i = 0; i < n; i++)
        t[i]->replaying = 0;
    return rc;
}

static void copy_name(char *dst, size_t len, const char *s)
{
    snprintf(dst, len, "%s", s ? s : "");
}

/* Fits one forecast of resource r of track t, of the hottest pod or the
 * workload's total (scope), into f. A track with fewer than two hourly
 * cells gives none (returns 0). */
static int forecast_one(const ag_daemon *d, const ag__track *t, int r, int scope, int64_t now,
                        ag_view_fc *f)
{
    const ag_wpolicy *w = policy_of(d, t->ns, t->kind, t->name);
    int64_t horizon = w && w->horizon_ms > 0 ? w->horizon_ms : d->o.forecast_horizon_ms;
    ag_fc_series s = {0};
    ag_fc_request req;
    ag_forecast out;
    double *v;
    size_t hist, steps = (size_t)(horizon / d->o.forecast_step_ms);
    int ok = 0;

    memset(f, 0, sizeof *f);
    v = ag__track_series(d->tracks, t, r, scope == AG_FC_SCOPE_WORKLOAD, now, &s.t0_ms, &s.n);
    if (!v || s.n < 2 || steps < 1)
        goto done;
    s.step_ms = d->o.forecast_step_ms;
    s.v = v;
    ag_fc_request_default(&req, steps);
    req.nq = FC_NQ;
    memcpy(req.quantiles, fc_quantiles, sizeof fc_quantiles);
    if (ag_forecast_series(&s, &req, &out, NULL) != AG_OK)
        goto done;
    copy_name(f->ns, sizeof f->ns, t->ns);
    copy_name(f->kind, sizeof f->kind, t->kind);
    copy_name(f->name, sizeof f->name, t->name);
    copy_name(f->container, sizeof f->container, t->container);
    f->resource = r;
    f->scope = scope;
    f->t0_ms = out.t0_ms;
    f->step_ms = out.step_ms;
    f->horizon = out.horizon;
    f->nq = out.nq;
    memcpy(f->quantiles, out.quantiles, out.nq * sizeof *out.quantiles);
    snprintf(f->model, sizeof f->model, "%s", out.model);
    hist = s.n < 72 ? s.n : 72; /* three days of context for charts */
    f->q = ag__malloc(out.nq * out.horizon * sizeof *f->q);
    f->history = ag__malloc(hist * sizeof *f->history);
    if (f->q && f->history) {
        memcpy(f->q, out.q, out.nq * out.horizon * sizeof *f->q);
        memcpy(f->history, s.v + s.n - hist, hist * sizeof *f->history);
        f->nhist = hist;
        ok = 1;
    } else {
        ag__free(f->q);
        ag__free(f->history);
    }
    ag_forecast_clear(&out);
done:
    ag__free(v);
    return ok;
}

static ag_err refit(ag_daemon *d, ag__track **t, size_t n, int64_t now, volatile const int *cancel)
{
    ag_view_fc *f = ag__calloc(3 * n + 1, sizeof *f);
    ag__fcs_shared *sh;
    size_t k = 0;

    if (!f)
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < AG_NRES; r++) {
            if (cancel && *cancel) {
                free_fcs(f, k);
                return AG_OK; /* abandoned: the old forecasts stay */
            }
            k += forecast_one(d, t[i], r, AG_FC_SCOPE_POD, now, &f[k]);
        }
    /* the workloads' total CPU, for KEDA and the HPA (after the per-pod
     * ones, which /metrics, remote-write and the web page read) */
    for (size_t i = 0; i < n; i++) {
        if (cancel && *cancel) {
            free_fcs(f, k);
            return AG_OK;
        }
        k += forecast_one(d, t[i], AG_CPU, AG_FC_SCOPE_WORKLOAD, now, &f[k]);
    }
    sh = ag__fcs_share(f, k);
    if (!sh) {
        free_fcs(f, k);
        return AG_ENOMEM;
    }
    ag__fcs_unref(d->fcs);
    d->fcs = sh;
    d->fcv = f;
    d->nfcs = k;
    d->fc_at = now;
    return AG_OK;
}

static char *render_json(const ag_report_item *items, size_t n, const char *algo, size_t *len)
{
    char *p = NULL;
    FILE *f = open_memstream(&p, len);
    ag_report_opts ro = {.algorithm = algo};
    char *out;

    if (!f)
        return NULL;
    if (ag_report_write(f, AG_FMT_JSON, items, n, &ro) != AG_OK) {
        fclose(f);
        free(p);
        return NULL;
    }
    fclose(f);
    out = ag__strdup(p); /* the view's memory is the library's */
    free(p);
    return out;
}

static double clamp(double x, double lo, double hi)
{
    if (isfinite(lo) && x < lo)
        x = lo;
    if (isfinite(hi) && x > hi)
        x = hi;
    return x;
}

/* An AugurPolicy's bounds, as the VPA applies minAllowed/maxAllowed:
 * target and bounds clamped, the limit scaled with the target, uncapped
 * left as computed. Returns 1 when something was capped. */
static int bound(const ag_wpolicy *w, ag_rec *rec)
{
    int capped = 0;

    for (int r = 0; r < AG_NRES; r++) {
        ag_rec_res *x = &rec->res[r];
        double lo = w->min_allowed[r], hi = w->max_allowed[r], t;
        if (rec->status[r] != AG_REC_OK || !(isfinite(lo) || isfinite(hi)))
            continue;
        t = clamp(x->target, lo, hi);
        if (t != x->target) {
            capped = 1;
            if (isfinite(x->limit) && x->target > 0)
                x->limit *= t / x->target;
            x->target = t;
        }
        x->lower = clamp(x->lower, lo, hi);
        x->upper = clamp(x->upper, lo, hi);
    }
    return capped;
}

/* Why, in a few words, for the AugurPolicy status and the web page. */
static void explain(const ag_daemon *d, const ag__track *t, const ag_wpolicy *w, const ag_rec *rec,
                    int capped, char *buf, size_t len)
{
    char h[32];

    if (rec->status[AG_CPU] != AG_REC_OK && rec->status[AG_MEMORY] != AG_REC_OK) {
        snprintf(buf, len, "not enough data yet (%llu cpu, %llu memory samples)",
                 (unsigned long long)rec->samples[AG_CPU],
                 (unsigned long long)rec->samples[AG_MEMORY]);
        return;
    }
    if (w) {
        ag_online_params p;
        ag__tsig sig;
        params_for(d, w, &p, &sig);
        snprintf(buf, len,
                 "augur %s: forecast of the coming hours, risk budget cpu %.3g memory %.3g%s%s",
                 ag_augur_policy_name((ag_augur_policy)w->policy), p.augur.cpu_risk,
                 p.augur.mem_risk, rec->ooms ? "; OOM kills seen" : "",
                 capped ? "; capped by the policy's bounds" : "");
    } else if (t->sig.kind == AG_ONLINE_KRR)
        snprintf(buf, len, "krr: cpu p95 and memory peak over %s%s",
                 ag_duration_format(history(d), h, sizeof h), rec->ooms ? "; OOM kills seen" : "");
    else
        snprintf(buf, len, "vpa: p90 of the decaying usage histogram + 15%% margin%s",
                 rec->ooms ? "; OOM bump after a kill" : "");
}

static ag_err build_view(ag_daemon *d, ag__track **t, size_t n, int64_t now, ag_view **out)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    ag_report_item *items = ag__calloc(n + 1, sizeof *items);
    ag_wcontainer *wc = ag__calloc(n + 1, sizeof *wc);
    ag_err rc = AG_ENOMEM;

    if (!v || !items || !wc)
        goto out;
    v->computed_ms = now;
    v->data_end_ms = now;
    v->algorithm = ag_algorithm_name(d->o.rec.algorithm);
    v->recs = ag__calloc(n + 1, sizeof *v->recs);
    if (!v->recs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        ag_view_rec *r = &v->recs[i];
        const ag_wpolicy *w = policy_of(d, t[i]->ns, t[i]->kind, t[i]->name);
        int capped = 0;
        wc[i] = (ag_wcontainer){t[i]->ns,
                                t[i]->kind,
                                t[i]->name,
                                t[i]->container,
                                (size_t)ag__track_pods(t[i], now, history(d)),
                                NULL,
                                {t[i]->request[0], t[i]->request[1]},
                                {t[i]->limit[0], t[i]->limit[1]}};
        items[i].wc = &wc[i];
        rc = ag_online_recommend(t[i]->rec, now, t[i]->request, &items[i].rec);
        if (rc != AG_OK)
            goto out;
        if (w)
            capped = bound(w, &items[i].rec);
        copy_name(r->ns, sizeof r->ns, t[i]->ns);
        copy_name(r->kind, sizeof r->kind, t[i]->kind);
        copy_name(r->name, sizeof r->name, t[i]->name);
        copy_name(r->container, sizeof r->container, t[i]->container);
        r->pods = (int)wc[i].n;
        for (int k = 0; k < AG_NRES; k++) {
            double x = items[i].rec.res[k].target;
            r->request[k] = t[i]->request[k];
            r->limit[k] = t[i]->limit[k];
            if (items[i].rec.status[k] == AG_REC_OK && !(x == t[i]->prev_target[k])) {
                t[i]->prev_target[k] = x;
                t[i]->changed_ms = now;
            }
        }
        r->rec = items[i].rec;
        r->algorithm = w ? "augur" : v->algorithm;
        r->policy = w ? ag_augur_policy_name((ag_augur_policy)w->policy) : NULL;
        r->changed_ms = t[i]->changed_ms ? t[i]->changed_ms : now;
        explain(d, t[i], w, &items[i].rec, capped, r->reason, sizeof r->reason);
    }
    v->nrecs = n;
    rc = AG_ENOMEM;
    v->recs_json = render_json(items, n, v->algorithm, &v->recs_json_len);
    if (!v->recs_json)
        goto out;
    if (d->fcs) {
        ag__fcs_ref(d->fcs);
        v->fcs_shared = d->fcs;
        v->fcs = d->fcv;
        v->nfcs = d->nfcs;
    }
    rc = AG_OK;
out:
    ag__free(items);
    ag__free(wc);
    if (rc != AG_OK) {
        ag_view_free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}

static void record(ag_daemon *d, int64_t start, int ok, size_t workloads, int refit,
                   const char *error)
{
    ag_loop_run r = {0};

    r.id = ++d->runs;
    r.started_ms = start;
    r.ended_ms = ag_now_ms();
    r.ok = ok;
    r.workloads = workloads;
    r.forecasts = ok ? d->nfcs : 0;
    r.samples = d->step_samples;
    r.refit = refit;
    snprintf(r.error, sizeof r.error, "%s", error ? error : "");
    ag_serve_record_run(d->slot, &r);
}

/* Recommends (and refits when due) from the tracks: *v the new view, or
 * NULL when cancelled. */
static ag_err compute(ag_daemon *d, int64_t now, volatile const int *cancel, ag_errinfo *ei,
                      ag_view **v, size_t *n, int *refitted)
{
    ag__track **t;
    int oom = 0;
    ag_err rc;

    *v = NULL;
    *refitted = 0;
    ag__tracks_expire(d->tracks, now, history(d));
    t = ag__tracks_sorted(d->tracks, n, &oom);
    rc = oom ? AG_ENOMEM : apply_policies(d, t, *n, now, ei);
    if (rc == AG_OK && d->o.forecast_every_ms > 0 &&
        (d->fc_at == INT64_MIN || now - d->fc_at >= d->o.forecast_every_ms)) {
        rc = refit(d, t, *n, now, cancel);
        *refitted = rc == AG_OK && d->fc_at == now;
    }
    if (rc == AG_OK && !(cancel && *cancel))
        rc = build_view(d, t, *n, now, v);
    return rc;
}

/* A restart while Prometheus fails: what the store gave is served (not
 * ready: /readyz stays 503 until a fetch succeeds) rather than nothing. */
static void publish_restored(ag_daemon *d, int64_t now, volatile const int *cancel)
{
    ag_view *v = NULL;
    size_t n = 0;
    int refitted;

    if (d->published || !ag__tracks_count(d->tracks) ||
        compute(d, now, cancel, NULL, &v, &n, &refitted) != AG_OK || !v)
        return;
    v->health = d->h;
    ag_serve_publish(d->slot, v);
    d->published = 1;
    logf_(d, AG_LOG_WARN,
          "msg=\"serving the store's recommendations until Prometheus answers\" workloads=%zu", n);
}

ag_err ag_daemon_step(ag_daemon *d, int64_t now, volatile const int *cancel, ag_errinfo *ei)
{
    size_t n = 0;
    ag_view *v = NULL;
    ag_err rc;
    int refitted = 0;
    int64_t t0 = ag_now_ms();

    d->h.last_attempt_ms = now;
    d->h.loops++;
    d->step_samples = 0;
    rc = d->restored ? AG_OK : restore(d, now, ei);
    if (rc != AG_OK) {
        d->restored = 0; /* tried again at the next step */
        fail(d, "restore", rc, ei);
        record(d, t0, 0, 0, 0, d->h.last_error);
        return rc;
    }
    rc = fetch(d, now, ei);
    if (rc != AG_OK) {
        fail(d, "fetch", rc, ei);
        d->h.ready = d->h.last_success_ms > 0 &&
                     (d->o.stale_ms <= 0 || now - d->h.last_success_ms <= d->o.stale_ms);
        publish_restored(d, now, cancel);
        ag_serve_set_health(d->slot, &d->h);
        record(d, t0, 0, 0, 0, d->h.last_error);
        return rc;
    }
    if (cancel && *cancel)
        return AG_OK;
    rc = compute(d, now, cancel, ei, &v, &n, &refitted);
    if (rc != AG_OK) {
        fail(d, "recommend", rc, ei);
        record(d, t0, 0, 0, refitted, d->h.last_error);
        return rc;
    }
    if (!v)
        return AG_OK; /* cancelled */
    d->h.last_success_ms = now;
    d->h.last_loop_seconds = (double)(ag_now_ms() - t0) / 1000.0;
    d->h.series_tracked = ag__tracks_count(d->tracks);
    d->h.ready = 1;
    d->h.last_error[0] = '\0';
    v->health = d->h;
    ag_serve_publish(d->slot, v);
    d->published = 1;
    ag_serve_set_health(d->slot, &d->h);
    record(d, t0, 1, n, refitted, NULL);
    logf_(d, AG_LOG_INFO, "msg=\"published\" workloads=%zu forecasts=%zu seconds=%.3f", n, d->nfcs,
          d->h.last_loop_seconds);
    return AG_OK;
}
