/*
 * recommend/online.c - the online recommenders' front door: kinds,
 * defaults, the sweep knob, and dispatch to each kind's operations
 * (online_int.h). The kinds themselves live in their own files.
 */
#include <math.h>
#include <string.h>
#include "augur/online.h"
#include "recommend/online_int.h"
#include "util/alloc.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

static const char *const kind_names[AG_ONLINE_NKINDS] = {"static",    "vpa",   "krr",
                                                         "autopilot", "crane", "augur"};

static const ag__online_ops *const kind_ops[AG_ONLINE_NKINDS] = {
    &ag__online_static_ops,    &ag__online_vpa_ops,   &ag__online_krr_ops,
    &ag__online_autopilot_ops, &ag__online_crane_ops, &ag__online_augur_ops,
};

const char *ag_online_kind_name(ag_online_kind k)
{
    return (unsigned)k < AG_ONLINE_NKINDS ? kind_names[k] : "?";
}

ag_err ag_online_kind_parse(const char *s, ag_online_kind *out)
{
    for (int k = 0; s && k < AG_ONLINE_NKINDS; k++)
        if (strcmp(s, kind_names[k]) == 0) {
            *out = (ag_online_kind)k;
            return AG_OK;
        }
    return AG_EINVAL;
}

const char *ag_augur_policy_name(ag_augur_policy p)
{
    return p == AG_POLICY_COST_SAVING ? "cost-saving" : "stable";
}

ag_err ag_augur_policy_parse(const char *s, ag_augur_policy *out)
{
    if (s && strcmp(s, "stable") == 0)
        *out = AG_POLICY_STABLE;
    else if (s && strcmp(s, "cost-saving") == 0)
        *out = AG_POLICY_COST_SAVING;
    else
        return AG_EINVAL;
    return AG_OK;
}

static void autopilot_default(ag_autopilot_params *a)
{
    a->variant = AG_AP_ML;
    a->window_ms = 5 * 60000LL;
    a->cpu_half_life_ms = 12 * HOUR_MS;
    a->mem_half_life_ms = 48 * HOUR_MS;
    a->cpu_percentile = 0.95;
    a->mem_percentile = 0.98;
    a->max_windows = 12;
    a->margin = 0.10;
    a->w_o = 0.5;
    a->w_u = 0.25;
    a->w_dl = 0.1;
    a->w_dm = 0.1;
    a->d = 0.75;
    a->margin_ml = 0.10;
}

static void crane_default(ag_crane_params *c)
{
    c->variant = AG_CRANE_PERCENTILE;
    c->percentile = 0.99;
    c->margin = 0.15;
    c->half_life_ms = 0; /* Crane's predictor histogram does not decay (docs/crane.md) */
    c->history_ms = 168 * HOUR_MS;
    c->dsp_history_ms = 15 * DAY_MS;
    c->dsp_window_ms = HOUR_MS;
    c->dsp_refit_ms = 24 * HOUR_MS;
    c->oom_bump_ratio = 1.2;
}

void ag_online_params_default(ag_online_params *p, ag_online_kind kind)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    ag_rec_params_default(&p->rec);
    p->rec.algorithm = kind == AG_ONLINE_KRR ? AG_ALGO_KRR : AG_ALGO_VPA;
    p->static_size[AG_CPU] = p->static_size[AG_MEMORY] = NAN;
    p->static_scale = 1.0;
    autopilot_default(&p->autopilot);
    crane_default(&p->crane);
    ag_augur_params_policy(&p->augur, AG_POLICY_STABLE);
}

/* ---- the sweep knob ---- */

static const char *const knob_names[AG_ONLINE_NKINDS] = {
    "scale", "target-percentile", "cpu-percentile", "margin", "percentile", "risk",
};

const char *ag_online_knob_name(ag_online_kind k)
{
    return (unsigned)k < AG_ONLINE_NKINDS ? knob_names[k] : "?";
}

double ag_online_knob_get(const ag_online_params *p)
{
    switch (p->kind) {
    case AG_ONLINE_STATIC:
        return p->static_scale;
    case AG_ONLINE_VPA:
        return p->rec.vpa.target_cpu_percentile;
    case AG_ONLINE_KRR:
        return p->rec.krr.cpu_percentile;
    case AG_ONLINE_AUTOPILOT:
        return p->autopilot.margin;
    case AG_ONLINE_CRANE:
        return p->crane.percentile;
    case AG_ONLINE_AUGUR:
        return p->augur.cpu_risk;
    }
    return NAN;
}

ag_err ag_online_knob_set(ag_online_params *p, double x)
{
    int pct = p->kind == AG_ONLINE_VPA || p->kind == AG_ONLINE_KRR || p->kind == AG_ONLINE_CRANE;

    if (!isfinite(x) || x < 0 || (pct && (x <= 0 || x > 1)))
        return AG_EINVAL;
    switch (p->kind) {
    case AG_ONLINE_STATIC:
        if (x <= 0)
            return AG_EINVAL;
        p->static_scale = x;
        break;
    case AG_ONLINE_VPA:
        /* target moves; the bounds keep their places around it */
        p->rec.vpa.target_cpu_percentile = x;
        p->rec.vpa.target_memory_percentile = x;
        if (p->rec.vpa.upper_cpu_percentile < x)
            p->rec.vpa.upper_cpu_percentile = x;
        if (p->rec.vpa.upper_memory_percentile < x)
            p->rec.vpa.upper_memory_percentile = x;
        if (p->rec.vpa.lower_cpu_percentile > x)
            p->rec.vpa.lower_cpu_percentile = x;
        if (p->rec.vpa.lower_memory_percentile > x)
            p->rec.vpa.lower_memory_percentile = x;
        break;
    case AG_ONLINE_KRR:
        p->rec.krr.cpu_percentile = x;
        break;
    case AG_ONLINE_AUTOPILOT:
        if (x > 2)
            return AG_EINVAL;
        p->autopilot.margin = x;
        p->autopilot.margin_ml = x;
        break;
    case AG_ONLINE_CRANE:
        p->crane.percentile = x;
        break;
    case AG_ONLINE_AUGUR: {
        /* memory risks keep their ratio to the CPU risk of the policy */
        double r = p->augur.cpu_risk > 0 ? x / p->augur.cpu_risk : 1;
        if (x <= 0 || x >= 1)
            return AG_EINVAL;
        p->augur.cpu_risk = x;
        p->augur.mem_risk = fmin(0.99, p->augur.mem_risk * r);
        p->augur.mem_limit_risk = fmin(0.99, p->augur.mem_limit_risk * r);
        break;
    }
    }
    return AG_OK;
}

const double *ag_online_knob_sweep(ag_online_kind k, size_t *n)
{
    static const double scale[] = {0.25, 0.5, 0.75, 1.0};
    static const double pct[] = {0.5, 0.7, 0.8, 0.9, 0.95, 0.99};
    static const double margin[] = {0.0, 0.05, 0.10, 0.20, 0.40};
    static const double risk[] = {0.02, 0.05, 0.10, 0.20, 0.35};

    switch (k) {
    case AG_ONLINE_STATIC:
        *n = sizeof scale / sizeof scale[0];
        return scale;
    case AG_ONLINE_AUTOPILOT:
        *n = sizeof margin / sizeof margin[0];
        return margin;
    case AG_ONLINE_AUGUR:
        *n = sizeof risk / sizeof risk[0];
        return risk;
    default:
        *n = sizeof pct / sizeof pct[0];
        return pct;
    }
}

/* ---- objects ---- */

void ag__online_none(ag_rec *out, ag_rec_status st)
{
    memset(out, 0, sizeof *out);
    for (int r = 0; r < AG_NRES; r++) {
        out->status[r] = st;
        out->res[r].target = out->res[r].lower = out->res[r].upper = NAN;
        out->res[r].uncapped = out->res[r].limit = NAN;
    }
    out->confidence_days = NAN;
}

double ag__online_ratio_limit(const ag_online *r, ag_resource res, double target)
{
    double req = r->spec.request[res], lim = r->spec.limit[res];

    if (!isfinite(req) || !isfinite(lim) || req <= 0 || !isfinite(target))
        return NAN;
    return target * lim / req;
}

ag_err ag_online_new(const ag_online_params *p, const ag_online_spec *spec, ag_online **out)
{
    ag_online *r;
    ag_err rc;

    *out = NULL;
    if ((unsigned)p->kind >= AG_ONLINE_NKINDS || spec->replicas < 1 || spec->step_ms <= 0)
        return AG_EINVAL;
    r = ag__calloc(1, sizeof *r);
    if (!r)
        return AG_ENOMEM;
    r->ops = kind_ops[p->kind];
    r->p = *p;
    r->spec = *spec;
    rc = r->ops->init(r);
    if (rc != AG_OK) {
        if (r->ops->clear)
            r->ops->clear(r); /* init may leave part of its state */
        ag__free(r);
        return rc;
    }
    *out = r;
    return AG_OK;
}

void ag_online_free(ag_online *r)
{
    if (!r)
        return;
    if (r->ops->clear)
        r->ops->clear(r);
    ag__free(r);
}

ag_err ag_online_grow(ag_online *r, int replicas)
{
    ag_err rc = AG_OK;

    if (replicas <= r->spec.replicas)
        return AG_OK;
    if (r->ops->grow)
        rc = r->ops->grow(r, replicas); /* the kinds without one ignore the replica */
    if (rc == AG_OK)
        r->spec.replicas = replicas;
    return rc;
}

void ag_online_set_current(ag_online *r, const double request[AG_NRES], const double limit[AG_NRES])
{
    for (int i = 0; i < AG_NRES; i++) {
        r->spec.request[i] = request[i];
        r->spec.limit[i] = limit[i];
    }
}

void ag_online_observe(ag_online *r, int replica, ag_resource res, int64_t t_ms, double v)
{
    if (r->ops->observe && isfinite(v) && v >= 0 && (unsigned)res < AG_NRES)
        r->ops->observe(r, replica, res, t_ms, v);
}

void ag_online_oom(ag_online *r, int replica, int64_t t_ms, double mem_request)
{
    if (r->ops->oom)
        r->ops->oom(r, replica, t_ms, mem_request);
}

ag_err ag_online_recommend(ag_online *r, int64_t now_ms, const double cur_request[AG_NRES],
                           ag_rec *out)
{
    return r->ops->recommend(r, now_ms, cur_request, out);
}
