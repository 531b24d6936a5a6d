/*
 * http/metrics.c - /metrics in the Prometheus text exposition format
 * 0.0.4: the recommendations and forecasts of the view, and the daemon's
 * own health and request counters.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "http/http_int.h"
#include "report/report_int.h"

const int ag__http_codes[AG__HTTP_NCODES] = {200, 400, 401, 403, 404, 405, 413, 429,
                                             500, 501, 503, 304, 202, 204, 409};

int ag__http_code_index(int code)
{
    for (int i = 0; i < AG__HTTP_NCODES; i++)
        if (ag__http_codes[i] == code)
            return i;
    return -1;
}

/* The fixed horizons the forecast gauges publish. */
static const struct {
    const char *label;
    int64_t ms;
} horizons[] = {{"1h", 3600000LL}, {"6h", 6 * 3600000LL}, {"24h", 24 * 3600000LL}};

/* A label value: backslash, double quote and newline escaped. */
static ag_err label(ag_buf *b, const char *name, const char *v, int first)
{
    ag_err rc = ag__buf_printf(b, "%s%s=\"", first ? "" : ",", name);

    for (const char *p = v; rc == AG_OK && *p; p++) {
        if (*p == '\\')
            rc = ag__buf_puts(b, "\\\\");
        else if (*p == '"')
            rc = ag__buf_puts(b, "\\\"");
        else if (*p == '\n')
            rc = ag__buf_puts(b, "\\n");
        else
            rc = ag__buf_append(b, p, 1);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\"");
    return rc;
}

/* A sample value: whole numbers without exponent, others shortest
 * round-trip; NaN and infinities as Prometheus spells them. */
static ag_err value(ag_buf *b, double v)
{
    ag_err rc = ag__buf_puts(b, " ");

    if (rc != AG_OK)
        return rc;
    if (isnan(v))
        rc = ag__buf_puts(b, "NaN");
    else if (isinf(v))
        rc = ag__buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else
        rc = ag__rep_num(b, v);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n");
    return rc;
}

static ag_err family(ag_buf *b, const char *name, const char *type, const char *help)
{
    return ag__buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static ag_err wc_labels(ag_buf *b, const char *ns, const char *name, const char *kind,
                        const char *container)
{
    ag_err rc = label(b, "namespace", ns, 1);

    if (rc == AG_OK)
        rc = label(b, "workload", name, 0);
    if (rc == AG_OK)
        rc = label(b, "kind", kind, 0);
    if (rc == AG_OK)
        rc = label(b, "container", container, 0);
    return rc;
}

static ag_err recs(ag_buf *b, const ag_view *v, int r)
{
    const char *name =
        r == AG_CPU ? "augur_recommendation_cpu_cores" : "augur_recommendation_memory_bytes";
    ag_err rc = family(b, name, "gauge",
                       r == AG_CPU ? "Recommended CPU request (and bounds, limit) in cores."
                                   : "Recommended memory request (and bounds, limit) in bytes.");

    for (size_t i = 0; rc == AG_OK && v && i < v->nrecs; i++) {
        const ag_view_rec *x = &v->recs[i];
        ag_report_item it = {.wc = NULL, .rec = x->rec};
        for (size_t k = 0; rc == AG_OK && k < AG__REP_NFIELDS; k++) {
            double y = ag__rep_rec(&it, r, (ag__rep_field)k);
            if (!isfinite(y))
                continue;
            rc = ag__buf_printf(b, "%s{", name);
            if (rc == AG_OK)
                rc = wc_labels(b, x->ns, x->name, x->kind, x->container);
            if (rc == AG_OK)
                rc = label(b, "bound", ag__rep_bound_names[k], 0);
            if (rc == AG_OK)
                rc = ag__buf_puts(b, "}");
            if (rc == AG_OK)
                rc = value(b, y);
        }
    }
    return rc;
}

static ag_err fcs(ag_buf *b, const ag_view *v, int r)
{
    const char *name = r == AG_CPU ? "augur_forecast_cpu_cores" : "augur_forecast_memory_bytes";
    ag_err rc = family(
        b, name, "gauge",
        r == AG_CPU ? "Forecast CPU usage quantile in cores, horizon ahead of the forecast start."
                    : "Forecast memory usage quantile in bytes, horizon ahead of the forecast "
                      "start.");

    for (size_t i = 0; rc == AG_OK && v && i < v->nfcs; i++) {
        const ag_view_fc *f = &v->fcs[i];
        if (f->resource != r || f->scope != AG_FC_SCOPE_POD || !f->q || f->step_ms <= 0)
            continue; /* the workloads' totals: /api/v1/forecasts?scope=workload and KEDA */
        for (size_t k = 0; rc == AG_OK && k < f->nq; k++) {
            char q[32];
            snprintf(q, sizeof q, "%g", f->quantiles[k]);
            for (size_t h = 0; rc == AG_OK && h < sizeof horizons / sizeof horizons[0]; h++) {
                /* The step ending H after the forecast start: the
                 * ceil(H / step)-th, 1-based. */
                size_t idx = (size_t)((horizons[h].ms + f->step_ms - 1) / f->step_ms) - 1;
                double y;
                if (idx >= f->horizon)
                    continue;
                y = f->q[k * f->horizon + idx];
                if (!isfinite(y))
                    continue;
                rc = ag__buf_printf(b, "%s{", name);
                if (rc == AG_OK)
                    rc = wc_labels(b, f->ns, f->name, f->kind, f->container);
                if (rc == AG_OK)
                    rc = label(b, "quantile", q, 0);
                if (rc == AG_OK)
                    rc = label(b, "horizon", horizons[h].label, 0);
                if (rc == AG_OK)
                    rc = ag__buf_puts(b, "}");
                if (rc == AG_OK)
                    rc = value(b, y);
            }
        }
    }
    return rc;
}

static ag_err one(ag_buf *b, const char *name, const char *type, const char *help, double v)
{
    ag_err rc = family(b, name, type, help);

    if (rc == AG_OK)
        rc = ag__buf_puts(b, name);
    if (rc == AG_OK)
        rc = value(b, v);
    return rc;
}

ag_err ag__http_metrics_view(const ag_view *v, ag_buf *b)
{
    ag_err rc = AG_OK;

    for (int r = 0; rc == AG_OK && r < AG_NRES; r++)
        rc = recs(b, v, r);
    for (int r = 0; rc == AG_OK && r < AG_NRES; r++)
        rc = fcs(b, v, r);
    return rc;
}

ag_err ag__http_metrics(const ag_view *v, const ag_health *h, const uint64_t *counts,
                        int64_t now_ms, ag_buf *b)
{
    ag_err rc = ag__http_metrics_view(v, b);

    return rc == AG_OK ? ag__http_metrics_self(v, h, counts, now_ms, b) : rc;
}

/* One counter family with a label taking each of n values. */
static ag_err labelled(ag_buf *b, const char *name, const char *type, const char *help,
                       const char *lname, const char *const *lv, const double *x, size_t n)
{
    ag_err rc = family(b, name, type, help);

    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = ag__buf_printf(b, "%s{%s=\"%s\"}", name, lname, lv[i]);
        if (rc == AG_OK)
            rc = value(b, x[i]);
    }
    return rc;
}

/* The Kubernetes side: statuses written, AugurPolicy selections, the
 * actuator's changes and what held it back. */
static ag_err kube_metrics(ag_buf *b, const ag_kube_health *k)
{
    static const char *const objs[] = {"vpa", "augurpolicy"};
    static const char *const parts[] = {"vpa", "augurpolicy", "policies", "actuator"};
    static const char *const blocked[] = {"pdb", "share", "rollout"};
    const double writes[] = {(double)k->vpa_writes, (double)k->policy_writes};
    const double errs[] = {(double)k->vpa_errors, (double)k->policy_errors,
                           (double)k->resolve_errors, (double)k->actuator_errors};
    const double blk[] = {(double)k->blocked_pdb, (double)k->blocked_share,
                          (double)k->blocked_rollout};
    ag_err rc = labelled(b, "augur_kubernetes_status_writes_total", "counter",
                         "Statuses augur patched, by object kind.", "object", objs, writes, 2);

    if (rc == AG_OK)
        rc = labelled(b, "augur_kubernetes_errors_total", "counter",
                      "Kubernetes steps that failed, by part.", "part", parts, errs, 4);
    if (rc == AG_OK)
        rc = one(b, "augur_augurpolicies", "gauge", "AugurPolicies seen at the last good read.",
                 (double)k->policies);
    if (rc == AG_OK)
        rc = one(b, "augur_augurpolicies_invalid", "gauge",
                 "AugurPolicies skipped because their spec did not parse.",
                 (double)k->policies_invalid);
    if (rc == AG_OK)
        rc = one(b, "augur_augurpolicy_selected_workloads", "gauge",
                 "Workloads the AugurPolicies select.", (double)k->selected);
    if (rc == AG_OK)
        rc = one(b, "augur_actuator_pods_resized_total", "counter",
                 "Pods the actuator resized in place.", (double)k->pods_resized);
    if (rc == AG_OK)
        rc = one(b, "augur_actuator_templates_patched_total", "counter",
                 "Pod templates the actuator patched.", (double)k->templates_patched);
    if (rc == AG_OK)
        rc =
            labelled(b, "augur_actuator_blocked_total", "counter",
                     "Actuator decisions held back, by what held them.", "reason", blocked, blk, 3);
    return rc;
}

ag_err ag__http_metrics_self(const ag_view *v, const ag_health *h, const uint64_t *counts,
                             int64_t now_ms, ag_buf *b)
{
    ag_health zero = {0};
    ag_err rc = AG_OK;

    if (!h)
        h = &zero;
    if (rc == AG_OK)
        rc = one(b, "augur_loop_duration_seconds", "gauge",
                 "Wall time of the last loop, in seconds.", h->last_loop_seconds);
    if (rc == AG_OK)
        rc = one(b, "augur_last_success_timestamp_seconds", "gauge",
                 "End of the last loop that published a view, Unix seconds (0 = never).",
                 (double)h->last_success_ms / 1000.0);
    if (rc == AG_OK)
        rc = one(b, "augur_loops_total", "counter", "Loops run.", (double)h->loops);
    if (rc == AG_OK)
        rc = one(b, "augur_loop_failures_total", "counter", "Loops that failed.",
                 (double)h->loop_failures);
    if (rc == AG_OK)
        rc = one(b, "augur_fetch_errors_total", "counter", "Prometheus fetches that failed.",
                 (double)h->fetch_errors);
    if (rc == AG_OK)
        rc = one(b, "augur_series_tracked", "gauge", "Workload-containers the daemon tracks.",
                 (double)h->series_tracked);
    if (rc == AG_OK)
        rc = one(b, "augur_samples_ingested_total", "counter", "Samples ingested since start.",
                 (double)h->samples_ingested);
    if (rc == AG_OK)
        rc = one(b, "augur_ready", "gauge", "1 when a view is published and the daemon is ready.",
                 ag_health_ready(h, ag_now_ms()) && v ? 1 : 0);
    if (rc == AG_OK && v)
        rc = one(b, "augur_view_age_seconds", "gauge",
                 "Seconds since the published view was computed.",
                 (double)(now_ms - v->computed_ms) / 1000.0);
    if (rc == AG_OK && h->kube.on)
        rc = kube_metrics(b, &h->kube);
    if (rc == AG_OK && counts) {
        rc = family(b, "augur_http_requests_total", "counter",
                    "HTTP requests answered, by status code.");
        for (int i = 0; rc == AG_OK && i < AG__HTTP_NCODES; i++) {
            if (!counts[i])
                continue;
            rc = ag__buf_printf(b, "augur_http_requests_total{code=\"%d\"}", ag__http_codes[i]);
            if (rc == AG_OK)
                rc = value(b, (double)counts[i]);
        }
    }
    return rc;
}

ag_err ag_http_metrics(const ag_view *v, const ag_health *h, ag_buf *b)
{
    return ag__http_metrics(v, h, NULL, ag_now_ms(), b);
}
