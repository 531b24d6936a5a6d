/*
 * serve/daemon.c - one loop of `augur serve`.
 *
 * The daemon keeps the data window in memory (win): each step fetches
 * only what Prometheus has since the last good fetch (with a 5-minute
 * overlap the store and the dataset deduplicate), writes it to the store,
 * appends it to the window and cuts the window to the history. Then the
 * recommender runs over every workload-container (the same
 * ag_recommend() as `augur recommend`) and, when due, the forecasts are
 * refitted (the same ag_forecast_series() as `augur forecast`). The view is
 * built whole and only then published, so readers see the last good view
 * until a step completes; a failed fetch leaves it in place.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/daemon.h"
#include "augur/forecast.h"
#include "augur/report.h"
#include "augur/store.h"
#include "augur/util.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define OVERLAP_MS (5 * MIN_MS)

static const double fc_quantiles[] = {0.5, 0.9, 0.95};
#define FC_NQ (sizeof fc_quantiles / sizeof fc_quantiles[0])

struct ag_daemon {
    ag_daemon_opts o;
    ag_serve *slot;
    ag_store *st;
    ag_dataset *win;
    int64_t fetched_to; /* end of the last good fetch; INT64_MIN = none */
    ag_health h;
    ag_view_fc *fcs; /* the last forecasts, reused between refits */
    size_t nfcs;
    int64_t fc_at; /* when they were fitted; INT64_MIN = never */
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
    ag_dataset_free(d->win);
    free_fcs(d->fcs, d->nfcs);
    ag__free(d);
}

ag_err ag_daemon_new(const ag_daemon_opts *o, ag_serve *slot, ag_daemon **out, ag_errinfo *ei)
{
    ag_daemon *d;
    ag_err rc = AG_OK;
    int64_t lo, hi, now = ag_now_ms();

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
    d->win = ag_dataset_new();
    if (!d->win) {
        ag_daemon_free(d);
        return AG_ENOMEM;
    }
    if (o->db_path) {
        rc = ag_store_open(o->db_path, &d->st, ei);
        /* restart: the window starts from what the store committed */
        if (rc == AG_OK && ag_store_time_range(d->st, &lo, &hi, NULL) == AG_OK) {
            rc = ag_store_load(d->st, d->win, now - history(d), now, o->prom.ns, ei);
            if (rc == AG_OK)
                d->fetched_to = hi;
        }
        if (rc != AG_OK) {
            ag_daemon_free(d);
            return rc;
        }
    }
    ag_serve_set_health(slot, &d->h);
    *out = d;
    return AG_OK;
}

/* Appends a finished fetch to the window. */
static ag_err merge(ag_dataset *win, const ag_dataset *add)
{
    for (size_t i = 0; i < ag_dataset_count(add); i++) {
        const ag_container *c = ag_dataset_at(add, i);
        ag_container *w = ag_dataset_container(win, c->ns, c->pod, c->container);
        if (!w)
            return AG_ENOMEM;
        for (int r = 0; r < AG_NRES; r++) {
            for (size_t k = 0; k < c->usage[r].n; k++)
                if (ag_samples_push(&w->usage[r], c->usage[r].v[k].t_ms, c->usage[r].v[k].v))
                    return AG_ENOMEM;
            if (isfinite(c->request[r]) || isfinite(c->limit[r])) {
                if (!(w->spec_t_ms[r] > c->spec_t_ms[r])) {
                    w->request[r] = c->request[r];
                    w->limit[r] = c->limit[r];
                    w->spec_t_ms[r] = c->spec_t_ms[r];
                }
            }
        }
        for (size_t k = 0; k < c->oom.n; k++)
            if (ag_samples_push(&w->oom, c->oom.v[k].t_ms, c->oom.v[k].v))
                return AG_ENOMEM;
        if (c->owner_kind && c->owner_name &&
            ag_dataset_set_owner(win, c->ns, c->pod, c->owner_kind, c->owner_name) != AG_OK)
            return AG_ENOMEM;
    }
    return AG_OK;
}

static void fail(ag_daemon *d, const char *what, ag_err rc, const ag_errinfo *ei)
{
    snprintf(d->h.last_error, sizeof d->h.last_error, "%s: %s", what, ag_errinfo_str(ei, rc));
    d->h.loop_failures++;
    ag_serve_set_health(d->slot, &d->h);
    logf_(d, AG_LOG_ERROR, "msg=\"%s failed\" error=\"%s\"", what, ag_errinfo_str(ei, rc));
}

/* Fetches (since the last good fetch), stores and merges. */
static ag_err fetch(ag_daemon *d, int64_t now, ag_errinfo *ei)
{
    int64_t start = d->fetched_to == INT64_MIN ? now - history(d) : d->fetched_to - OVERLAP_MS;
    ag_dataset *add = ag_dataset_new();
    ag_ingest_stats st = {0};
    ag_read_opts ro = {0};
    ag_err rc;

    if (!add)
        return AG_ENOMEM;
    if (start < now - history(d))
        start = now - history(d);
    rc = ag_prom_fetch(add, &d->o.prom, start, now, &ro, &st, NULL, ei);
    if (rc == AG_ENODATA) {
        /* Prometheus answered, with nothing new: not a failure (a quiet
         * cluster, or a scrape that has not run since the last step) */
        logf_(d, AG_LOG_DEBUG, "msg=\"no new samples\" from=%lld to=%lld",
              (long long)(start / 1000), (long long)(now / 1000));
        ag_dataset_free(add);
        d->fetched_to = now;
        return AG_OK;
    }
    if (rc == AG_OK)
        rc = ag_dataset_finish(add, INT64_MIN, INT64_MAX, NULL);
    if (rc != AG_OK) {
        d->h.fetch_errors++;
        ag_dataset_free(add);
        return rc;
    }
    if (d->st) {
        rc = ag_store_put_dataset(d->st, add, NULL, ei);
        if (rc != AG_OK) {
            ag_dataset_free(add);
            return rc;
        }
    }
    rc = merge(d->win, add);
    ag_dataset_free(add);
    if (rc == AG_OK) {
        d->fetched_to = now;
        d->h.samples_ingested += st.samples;
        logf_(d, AG_LOG_DEBUG, "msg=\"fetched\" from=%lld to=%lld samples=%llu",
              (long long)(start / 1000), (long long)(now / 1000), (unsigned long long)st.samples);
    }
    return rc;
}

static void copy_name(char *dst, size_t len, const char *s)
{
    snprintf(dst, len, "%s", s ? s : "");
}

/* The series of one resource of wc, hottest replica at each forecast
 * step (as augur forecast builds it); *v owned by the caller. */
static ag_err series(const ag_daemon *d, const ag_wcontainer *wc, int r, int64_t now,
                     ag_fc_series *s, double **v)
{
    int64_t step = d->o.forecast_step_ms, end = now / step * step;
    size_t cells = (size_t)(d->o.forecast_history_ms / step), first = cells;
    int64_t g0 = end - (int64_t)(cells - 1) * step;
    double *a = ag__malloc(cells * sizeof *a);

    if (!a)
        return AG_ENOMEM;
    for (size_t i = 0; i < cells; i++)
        a[i] = NAN;
    for (size_t m = 0; m < wc->n; m++) {
        const ag_samples *u = &wc->members[m]->usage[r];
        double *pv = NULL;
        size_t n = 0;
        if (!u->n)
            continue;
        if (ag_fc_resample(u->v, u->n, g0, end, step, r == AG_CPU ? AG_FC_MEAN : AG_FC_MAX,
                           step < HOUR_MS ? (size_t)(HOUR_MS / step) : 1, &pv, &n) != AG_OK) {
            ag__free(a);
            return AG_ENOMEM;
        }
        for (size_t i = 0; i < n && i < cells; i++)
            if (isfinite(pv[i]) && !(pv[i] <= a[i]))
                a[i] = pv[i];
        free(pv);
    }
    for (size_t i = 0; i < cells && first == cells; i++)
        if (isfinite(a[i]))
            first = i;
    s->t0_ms = g0 + (int64_t)first * step;
    s->step_ms = step;
    s->v = a + first;
    s->n = cells - first;
    *v = a;
    return AG_OK;
}

/* Fits one forecast into f. A series with no sample gives no forecast
 * (returns 0). */
static int forecast_one(const ag_daemon *d, const ag_wcontainer *wc, int r, int64_t now,
                        ag_view_fc *f)
{
    ag_fc_series s;
    ag_fc_request req;
    ag_forecast out;
    double *v = NULL;
    size_t hist;
    int ok = 0;

    memset(f, 0, sizeof *f);
    if (series(d, wc, r, now, &s, &v) != AG_OK || s.n < 2)
        goto done;
    ag_fc_request_default(&req, (size_t)(d->o.forecast_horizon_ms / d->o.forecast_step_ms));
    req.nq = FC_NQ;
    memcpy(req.quantiles, fc_quantiles, sizeof fc_quantiles);
    if (ag_forecast_series(&s, &req, &out, NULL) != AG_OK)
        goto done;
    copy_name(f->ns, sizeof f->ns, wc->ns);
    copy_name(f->kind, sizeof f->kind, wc->kind);
    copy_name(f->name, sizeof f->name, wc->name);
    copy_name(f->container, sizeof f->container, wc->container);
    f->resource = r;
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

static ag_err refit(ag_daemon *d, const ag_wcontainer *wc, size_t n, int64_t now,
                    volatile const int *cancel)
{
    ag_view_fc *f = ag__calloc(2 * n + 1, sizeof *f);
    size_t k = 0;

    if (!f)
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < AG_NRES; r++) {
            if (cancel && *cancel) {
                free_fcs(f, k);
                return AG_OK; /* abandoned: the old forecasts stay */
            }
            k += forecast_one(d, &wc[i], r, now, &f[k]);
        }
    free_fcs(d->fcs, d->nfcs);
    d->fcs = f;
    d->nfcs = k;
    d->fc_at = now;
    return AG_OK;
}

/* A deep copy of the current forecasts for a view. */
static ag_err copy_fcs(const ag_daemon *d, ag_view *v)
{
    v->fcs = ag__calloc(d->nfcs + 1, sizeof *v->fcs);
    if (!v->fcs)
        return AG_ENOMEM;
    for (size_t i = 0; i < d->nfcs; i++) {
        ag_view_fc *f = &v->fcs[i];
        *f = d->fcs[i];
        f->q = ag__malloc(f->nq * f->horizon * sizeof *f->q + 1);
        f->history = ag__malloc(f->nhist * sizeof *f->history + 1);
        v->nfcs = i + 1;
        if (!f->q || !f->history)
            return AG_ENOMEM;
        memcpy(f->q, d->fcs[i].q, f->nq * f->horizon * sizeof *f->q);
        memcpy(f->history, d->fcs[i].history, f->nhist * sizeof *f->history);
    }
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

static ag_err build_view(ag_daemon *d, const ag_wcontainer *wc, size_t n, int64_t now,
                         ag_view **out)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    ag_report_item *items = ag__calloc(n + 1, sizeof *items);
    ag_err rc = AG_ENOMEM;

    if (!v || !items)
        goto out;
    v->computed_ms = now;
    v->data_end_ms = now;
    v->algorithm = ag_algorithm_name(d->o.rec.algorithm);
    v->recs = ag__calloc(n + 1, sizeof *v->recs);
    if (!v->recs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        ag_view_rec *r = &v->recs[i];
        items[i].wc = &wc[i];
        rc = ag_recommend(&d->o.rec, &wc[i], now, &items[i].rec);
        if (rc != AG_OK)
            goto out;
        copy_name(r->ns, sizeof r->ns, wc[i].ns);
        copy_name(r->kind, sizeof r->kind, wc[i].kind);
        copy_name(r->name, sizeof r->name, wc[i].name);
        copy_name(r->container, sizeof r->container, wc[i].container);
        r->pods = (int)wc[i].n;
        for (int k = 0; k < AG_NRES; k++) {
            r->request[k] = wc[i].request[k];
            r->limit[k] = wc[i].limit[k];
        }
        r->rec = items[i].rec;
        r->algorithm = v->algorithm;
    }
    v->nrecs = n;
    rc = AG_ENOMEM;
    v->recs_json = render_json(items, n, v->algorithm, &v->recs_json_len);
    if (!v->recs_json || copy_fcs(d, v) != AG_OK)
        goto out;
    rc = AG_OK;
out:
    ag__free(items);
    if (rc != AG_OK) {
        ag_view_free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}

ag_err ag_daemon_step(ag_daemon *d, int64_t now, volatile const int *cancel, ag_errinfo *ei)
{
    ag_wcontainer *wc = NULL;
    size_t n = 0;
    ag_view *v = NULL;
    ag_err rc;
    double t0 = (double)ag_now_ms();

    d->h.last_attempt_ms = now;
    d->h.loops++;
    rc = fetch(d, now, ei);
    if (rc != AG_OK) {
        fail(d, "fetch", rc, ei);
        d->h.ready = d->h.last_success_ms > 0 &&
                     (d->o.stale_ms <= 0 || now - d->h.last_success_ms <= d->o.stale_ms);
        ag_serve_set_health(d->slot, &d->h);
        return rc;
    }
    if (cancel && *cancel)
        return AG_OK;
    rc = ag_dataset_finish(d->win, now - history(d), now, NULL);
    if (rc == AG_OK)
        rc = ag_dataset_group(d->win, NULL, &wc, &n);
    if (rc == AG_OK && d->o.forecast_every_ms > 0 &&
        (d->fc_at == INT64_MIN || now - d->fc_at >= d->o.forecast_every_ms))
        rc = refit(d, wc, n, now, cancel);
    if (rc == AG_OK && !(cancel && *cancel))
        rc = build_view(d, wc, n, now, &v);
    ag_wcontainers_free(wc, n);
    if (rc != AG_OK) {
        fail(d, "recommend", rc, NULL);
        return rc;
    }
    if (!v)
        return AG_OK; /* cancelled */
    d->h.last_success_ms = now;
    d->h.last_loop_seconds = ((double)ag_now_ms() - t0) / 1000.0;
    d->h.series_tracked = ag_dataset_count(d->win);
    d->h.ready = 1;
    d->h.last_error[0] = '\0';
    v->health = d->h;
    ag_serve_publish(d->slot, v);
    ag_serve_set_health(d->slot, &d->h);
    logf_(d, AG_LOG_INFO, "msg=\"published\" workloads=%zu forecasts=%zu seconds=%.3f", n, d->nfcs,
          d->h.last_loop_seconds);
    return AG_OK;
}
