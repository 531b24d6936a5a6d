/*
 * http/render.c - the JSON of the API endpoints, rendered from a view:
 * recommendations (byte for byte the `augur recommend -o json` array),
 * the workloads table of the web page, forecasts, the KEDA value and the
 * error body; and the loop's runs, from the slot's ring.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "http/http_int.h"
#include "report/report_int.h"
#include "util/alloc.h"

ag_err ag__http_error_json(ag_buf *b, int code, const char *msg)
{
    ag_err rc = ag__buf_puts(b, "{\"error\": ");

    if (rc == AG_OK)
        rc = ag__buf_json_str(b, msg);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", \"code\": %d}\n", code);
    return rc;
}

static int match(const ag__http_req *r, const char *ns, const char *kind, const char *name,
                 const char *container)
{
    return (!r->ns[0] || strcmp(r->ns, ns) == 0) && (!r->kind[0] || strcmp(r->kind, kind) == 0) &&
           (!r->workload[0] || strcmp(r->workload, name) == 0) &&
           (!r->container[0] || strcmp(r->container, container) == 0);
}

/* The indices of the matching items of a page: from r->offset, at most
 * r->limit. *idx (caller frees) holds *n of them; *next as in
 * ag__http_recs_json(). */
typedef int (*match_fn)(const ag_view *v, size_t i, const ag__http_req *r);

static ag_err page(const ag_view *v, size_t count, match_fn fn, const ag__http_req *r, size_t **idx,
                   size_t *n, size_t *next)
{
    size_t cap = 0, seen = 0;

    *idx = NULL;
    *n = 0;
    *next = 0;
    for (size_t i = 0; i < count; i++) {
        if (!fn(v, i, r))
            continue;
        if (seen++ < r->offset)
            continue;
        if (r->limit && *n == r->limit) {
            *next = r->offset + r->limit;
            break;
        }
        if (ag__grow((void **)idx, &cap, *n + 1, sizeof **idx) != 0) {
            ag__free(*idx);
            *idx = NULL;
            return AG_ENOMEM;
        }
        (*idx)[(*n)++] = i;
    }
    return AG_OK;
}

static int rec_match(const ag_view *v, size_t i, const ag__http_req *r)
{
    const ag_view_rec *x = &v->recs[i];
    return match(r, x->ns, x->kind, x->name, x->container);
}

static int fc_match(const ag_view *v, size_t i, const ag__http_req *r)
{
    const ag_view_fc *x = &v->fcs[i];
    return match(r, x->ns, x->kind, x->name, x->container) &&
           (r->resource < 0 || r->resource == x->resource) &&
           x->scope == (r->scope < 0 ? AG_FC_SCOPE_POD : r->scope);
}

/* A report item for a view rec: the writers' helpers round through it. */
static void as_item(const ag_view_rec *x, ag_wcontainer *wc, ag_report_item *it)
{
    memset(wc, 0, sizeof *wc);
    wc->ns = x->ns;
    wc->kind = x->kind;
    wc->name = x->name;
    wc->container = x->container;
    wc->n = x->pods > 0 ? (size_t)x->pods : 0;
    for (int r = 0; r < AG_NRES; r++) {
        wc->request[r] = x->request[r];
        wc->limit[r] = x->limit[r];
    }
    it->wc = wc;
    it->rec = x->rec;
}

/* ---- /api/v1/recommendations: report.c's json items ---- */

static ag_err rec_item(ag_buf *b, const ag_view_rec *x, int last)
{
    ag_wcontainer wc;
    ag_report_item it;

    as_item(x, &wc, &it);
    return ag__rep_json_item(b, &it, last);
}

ag_err ag__http_recs_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next)
{
    size_t *idx = NULL, n = 0;
    ag_err rc = v ? page(v, v->nrecs, rec_match, r, &idx, &n, next) : AG_OK;

    if (!v)
        *next = 0;
    if (rc == AG_OK)
        rc = ag__buf_puts(b, n ? "[\n" : "[]\n");
    for (size_t i = 0; rc == AG_OK && i < n; i++)
        rc = rec_item(b, &v->recs[idx[i]], i + 1 == n);
    if (rc == AG_OK && n)
        rc = ag__buf_puts(b, "]\n");
    ag__free(idx);
    return rc;
}

/* ---- /api/v1/workloads ---- */

static ag_err key_str(ag_buf *b, const char *key, const char *s)
{
    ag_err rc = ag__buf_printf(b, "\"%s\": ", key);
    return rc == AG_OK ? ag__buf_json_str(b, s) : rc;
}

static ag_err key_num(ag_buf *b, const char *key, double v)
{
    ag_err rc = ag__buf_printf(b, "\"%s\": ", key);
    return rc == AG_OK ? ag__rep_num(b, v) : rc;
}

static ag_err wl_resource(ag_buf *b, const ag_report_item *it, int r)
{
    double req = ag__rep_cur_request(it, r), target = ag__rep_rec(it, r, AG__F_TARGET);
    double save = req - target; /* NAN when either is unknown */
    double pods = (double)it->wc->n;
    ag_err rc = ag__buf_printf(b, "\"%s\": {", ag__rep_res_name(r));

    if (rc == AG_OK)
        rc = key_num(b, "request", req);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "limit", ag__rep_cur_limit(it, r));
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "target", target);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "lowerBound", ag__rep_rec(it, r, AG__F_LOWER));
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "upperBound", ag__rep_rec(it, r, AG__F_UPPER));
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "recommendedLimit", ag__rep_rec(it, r, AG__F_LIMIT));
    /* Rounded values: cores to millicores, bytes whole, as both inputs. */
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "savings", r == AG_CPU ? nearbyint(save * 1000) / 1000 : save);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "savingsTotal",
                     r == AG_CPU ? nearbyint(save * pods * 1000) / 1000 : save * pods);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "status", ag__rep_status_name(it->rec.status[r]));
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "}");
    return rc;
}

/* The risk of applying (or not) the recommendation: "high" after OOM
 * kills or when the recommended memory exceeds the current limit;
 * "medium" when a request is below the recommendation, unknown, or a
 * resource has no recommendation; "low" otherwise. */
static ag_err wl_risk(ag_buf *b, const ag_report_item *it)
{
    const char *level = "low";
    const char *reasons[8];
    char oom[64];
    size_t nr = 0;
    ag_err rc;

    if (it->rec.ooms) {
        snprintf(oom, sizeof oom, "%u OOM kill%s in the window", (unsigned)it->rec.ooms,
                 it->rec.ooms == 1 ? "" : "s");
        reasons[nr++] = oom;
        level = "high";
    }
    if (ag__rep_rec(it, AG_MEMORY, AG__F_TARGET) > ag__rep_cur_limit(it, AG_MEMORY)) {
        reasons[nr++] = "recommended memory is above the current limit";
        level = "high";
    }
    for (int r = 0; r < AG_NRES; r++) {
        double req = ag__rep_cur_request(it, r), target = ag__rep_rec(it, r, AG__F_TARGET);
        if (it->rec.status[r] != AG_REC_OK)
            reasons[nr++] = r == AG_CPU ? "no cpu recommendation (too little data)"
                                        : "no memory recommendation (too little data)";
        else if (isnan(req))
            reasons[nr++] = r == AG_CPU ? "no current cpu request" : "no current memory request";
        else if (target > req)
            reasons[nr++] = r == AG_CPU ? "cpu request is below the recommendation"
                                        : "memory request is below the recommendation";
        else
            continue;
        if (strcmp(level, "low") == 0)
            level = "medium";
    }
    rc = ag__buf_puts(b, "\"risk\": {");
    if (rc == AG_OK)
        rc = key_str(b, "level", level);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", \"ooms\": %u, \"reasons\": [", (unsigned)it->rec.ooms);
    for (size_t i = 0; rc == AG_OK && i < nr; i++) {
        if (i)
            rc = ag__buf_puts(b, ", ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(b, reasons[i]);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "]}");
    return rc;
}

static ag_err wl_item(ag_buf *b, const ag_view_rec *x)
{
    ag_wcontainer wc;
    ag_report_item it;
    ag_err rc;

    as_item(x, &wc, &it);
    rc = ag__buf_puts(b, "{");
    if (rc == AG_OK)
        rc = key_str(b, "namespace", x->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "kind", x->kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "name", x->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "container", x->container);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", \"pods\": %zu, ", wc.n);
    if (rc == AG_OK)
        rc = key_str(b, "algorithm", x->algorithm ? x->algorithm : "");
    if (rc == AG_OK && x->policy) {
        rc = ag__buf_puts(b, ", ");
        if (rc == AG_OK)
            rc = key_str(b, "policy", x->policy);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "reason", x->reason);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", \"changed\": %lld", (long long)(x->changed_ms / 1000));
    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        rc = ag__buf_puts(b, ", ");
        if (rc == AG_OK)
            rc = wl_resource(b, &it, r);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = wl_risk(b, &it);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "}");
    return rc;
}

/* The compact list bodies (/workloads, /forecasts): one item a line, the
 * page of the view's count elements that match. */
typedef ag_err (*item_fn)(ag_buf *b, const ag_view *v, size_t i);

static ag_err json_list(const ag_view *v, size_t count, match_fn keep, item_fn item,
                        const ag__http_req *r, ag_buf *b, size_t *next)
{
    size_t *idx = NULL, n = 0;
    ag_err rc = v ? page(v, count, keep, r, &idx, &n, next) : AG_OK;

    if (!v)
        *next = 0;
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "[");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = ag__buf_puts(b, i ? ",\n  " : "\n  ");
        if (rc == AG_OK)
            rc = item(b, v, idx[i]);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, n ? "\n]\n" : "]\n");
    ag__free(idx);
    return rc;
}

static ag_err wl_at(ag_buf *b, const ag_view *v, size_t i)
{
    return wl_item(b, &v->recs[i]);
}

ag_err ag__http_workloads_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next)
{
    return json_list(v, v ? v->nrecs : 0, rec_match, wl_at, r, b, next);
}

/* ---- /api/v1/forecasts ---- */

static ag_err num_array(ag_buf *b, const double *x, size_t n)
{
    ag_err rc = ag__buf_puts(b, "[");

    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        if (i)
            rc = ag__buf_puts(b, ", ");
        if (rc == AG_OK)
            rc = ag__buf_json_num(b, x[i]);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "]");
    return rc;
}

static ag_err fc_item(ag_buf *b, const ag_view_fc *f)
{
    ag_err rc = ag__buf_puts(b, "{");

    if (rc == AG_OK)
        rc = key_str(b, "namespace", f->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "kind", f->kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "workload", f->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_str(b, "container", f->container);
    if (rc == AG_OK)
        rc =
            ag__buf_printf(b, ", \"resource\": \"%s\", \"unit\": \"%s\", \"scope\": \"%s\", ",
                           ag__rep_res_name(f->resource), f->resource == AG_CPU ? "cores" : "bytes",
                           f->scope == AG_FC_SCOPE_WORKLOAD ? "workload" : "pod");
    if (rc == AG_OK)
        rc = key_str(b, "model", f->model);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"t0\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_num(b, (double)f->t0_ms / 1000.0);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"step\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_num(b, (double)f->step_ms / 1000.0);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", \"horizon\": %zu, \"quantiles\": ", f->horizon);
    if (rc == AG_OK)
        rc = num_array(b, f->quantiles, f->nq);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"values\": [");
    for (size_t k = 0; rc == AG_OK && k < f->nq; k++) {
        if (k)
            rc = ag__buf_puts(b, ", ");
        if (rc == AG_OK)
            rc = num_array(b, f->q ? f->q + k * f->horizon : NULL, f->q ? f->horizon : 0);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "], \"history\": {\"t0\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_num(b, (double)(f->t0_ms - (int64_t)f->nhist * f->step_ms) / 1000.0);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"values\": ");
    if (rc == AG_OK)
        rc = num_array(b, f->history, f->history ? f->nhist : 0);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "}}");
    return rc;
}

static ag_err fc_at(ag_buf *b, const ag_view *v, size_t i)
{
    return fc_item(b, &v->fcs[i]);
}

ag_err ag__http_forecasts_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next)
{
    return json_list(v, v ? v->nfcs : 0, fc_match, fc_at, r, b, next);
}

/* ---- KEDA ---- */

ag_err ag__http_keda_value(const ag_view *v, const ag__http_req *r, double *out, char *msg,
                           size_t msglen)
{
    double q = isnan(r->quantile) ? 0.9 : r->quantile, sum = 0;
    int64_t horizon = r->horizon_ms ? r->horizon_ms : 15 * 60 * 1000;
    size_t found = 0, workload = 0;
    /* CPU: the workload's total, what KEDA divides among replicas, when
     * the view has it; memory (and older views): the hottest pod's */
    int scope = r->scope >= 0 ? r->scope : AG_FC_SCOPE_POD;

    *out = NAN;
    if (r->scope < 0 && r->metric == AG_CPU)
        for (size_t i = 0; v && i < v->nfcs; i++)
            if (v->fcs[i].scope == AG_FC_SCOPE_WORKLOAD && !strcmp(v->fcs[i].ns, r->path_ns) &&
                !strcmp(v->fcs[i].name, r->path_workload)) {
                scope = AG_FC_SCOPE_WORKLOAD;
                break;
            }
    for (size_t i = 0; v && i < v->nfcs; i++) {
        const ag_view_fc *f = &v->fcs[i];
        size_t k, steps;
        double peak = NAN;

        if (strcmp(f->ns, r->path_ns) != 0 || strcmp(f->name, r->path_workload) != 0 ||
            (r->kind[0] && strcmp(f->kind, r->kind) != 0) ||
            (r->container[0] && strcmp(f->container, r->container) != 0))
            continue;
        workload++;
        if (f->resource != r->metric || f->scope != scope || !f->q || f->horizon == 0 ||
            f->step_ms <= 0)
            continue;
        for (k = 0; k < f->nq && fabs(f->quantiles[k] - q) > 1e-9; k++)
            ;
        if (k == f->nq) {
            snprintf(msg, msglen, "quantile %g is not forecast for %s/%s (the forecasts have", q,
                     r->path_ns, r->path_workload);
            for (size_t j = 0; j < f->nq; j++) {
                size_t l = strlen(msg);
                snprintf(msg + l, msglen - l, " %g", f->quantiles[j]);
            }
            size_t l = strlen(msg);
            snprintf(msg + l, msglen - l, ")");
            return AG_EINVAL;
        }
        steps = (size_t)((horizon + f->step_ms - 1) / f->step_ms);
        if (steps == 0)
            steps = 1;
        if (steps > f->horizon)
            steps = f->horizon;
        for (size_t h = 0; h < steps; h++) {
            double x = f->q[k * f->horizon + h];
            if (isfinite(x) && (isnan(peak) || x > peak))
                peak = x;
        }
        if (isfinite(peak)) {
            sum += peak;
            found++;
        }
    }
    if (!found) {
        snprintf(msg, msglen,
                 workload ? "no %s forecast for workload %s/%s"
                          : "%sno forecast for workload %s/%s",
                 workload ? ag__rep_res_name(r->metric) : "", r->path_ns, r->path_workload);
        return AG_ENOTFOUND;
    }
    *out = sum;
    return AG_OK;
}

/* ---- /api/v1/runs ---- */

ag_err ag__http_json_seconds(ag_buf *b, int64_t ms)
{
    long long s = (long long)(ms / 1000), f = (long long)(ms % 1000);
    char frac[8];

    if (ms < 0 && f) { /* floor, so the fraction is positive */
        s--;
        f += 1000;
    }
    if (!f)
        return ag__buf_printf(b, "%lld", s);
    snprintf(frac, sizeof frac, "%03lld", f);
    for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
        frac[n - 1] = '\0';
    return ag__buf_printf(b, "%lld.%s", s, frac);
}

static ag_err time_s(ag_buf *b, const char *key, int64_t ms)
{
    ag_err rc = ag__buf_printf(b, "\"%s\": ", key);

    if (rc == AG_OK)
        rc = ms ? ag__http_json_seconds(b, ms) : ag__buf_puts(b, "null");
    return rc;
}

static ag_err run_item(ag_buf *b, const ag_loop_run *x)
{
    ag_err rc = ag__buf_printf(b, "{\"id\": %llu, \"status\": \"%s\", ", (unsigned long long)x->id,
                               x->ok ? "ok" : "failed");

    if (rc == AG_OK)
        rc = time_s(b, "started", x->started_ms);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = time_s(b, "ended", x->ended_ms);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", ");
    if (rc == AG_OK)
        rc = key_num(b, "seconds",
                     x->started_ms && x->ended_ms >= x->started_ms
                         ? (double)(x->ended_ms - x->started_ms) / 1000.0
                         : NAN);
    if (rc == AG_OK)
        rc = ag__buf_printf(b,
                            ", \"workloads\": %zu, \"forecasts\": %zu, \"samples\": %llu, "
                            "\"refit\": %s, \"error\": ",
                            x->workloads, x->forecasts, (unsigned long long)x->samples,
                            x->refit ? "true" : "false");
    if (rc == AG_OK)
        rc = x->error[0] ? ag__buf_json_str(b, x->error) : ag__buf_puts(b, "null");
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "}");
    return rc;
}

ag_err ag__http_runs_json(const ag_loop_run *runs, size_t n, const ag__http_req *r, ag_buf *b,
                          uint64_t *next)
{
    size_t shown = 0;
    uint64_t below = (r->seen & AG__P_CONTINUE) ? (uint64_t)r->offset : UINT64_MAX, last = 0;
    ag_err rc = ag__buf_puts(b, "{\"items\": [");

    *next = 0;
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        const ag_loop_run *x = &runs[i];
        if (x->id >= below || (r->status >= 0 && !x->ok != !r->status))
            continue;
        if (r->limit && shown == r->limit) {
            *next = last; /* more follow: the next page starts below the last shown */
            break;
        }
        rc = ag__buf_puts(b, shown ? ",\n  " : "\n  ");
        if (rc == AG_OK)
            rc = run_item(b, x);
        shown++;
        last = x->id;
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, shown ? "\n]}\n" : "]}\n");
    return rc;
}

ag_err ag__http_run_json(const ag_loop_run *run, ag_buf *b)
{
    ag_err rc = run_item(b, run);

    return rc == AG_OK ? ag__buf_puts(b, "\n") : rc;
}
