/*
 * recommend/update.c - the VPA updater's rules (augur/update.h), in one
 * place for the simulator's updater and the Kubernetes actuator, so what
 * `augur backtest` replays is what `augur serve --actuate` does.
 *
 * kubernetes/autoscaler vertical-pod-autoscaler/pkg/updater/priority
 * (update_priority_calculator.go, priority_processor.go): the relative
 * difference of a resource is |request - target| / request (a missing
 * request counts as 0 against a tiny divisor), summed over the pod's
 * containers and resources.
 */
#include <math.h>
#include "augur/update.h"

void ag_update_rules_default(ag_update_rules *r)
{
    r->lifetime_ms = 12 * 3600 * 1000LL;
    r->update_threshold = 0.1;
    r->quick_oom_ms = 10 * 60 * 1000LL;
}

int ag_update_wants(const ag_update_rules *r, const ag_update_res *res, size_t n, int64_t age_ms,
                    int64_t oom_after_ms, ag_update_verdict *v)
{
    ag_update_verdict d = {0};

    for (size_t i = 0; i < n; i++) {
        const ag_update_res *x = &res[i];
        double req = x->request, lim = x->limit, treq = x->target, tlim = x->tlimit;
        if (!isfinite(req) || req < x->lower || req > x->upper)
            d.outside = 1;
        if (treq != req || !(tlim == lim || (isnan(tlim) && isnan(lim))))
            d.change = 1;
        if (!isfinite(req) || treq > req)
            d.up = 1;
        d.diff +=
            fabs((isfinite(req) ? req : 0) - treq) / (isfinite(req) && req > 1e-9 ? req : 1e-9);
    }
    d.quick_oom = oom_after_ms < r->quick_oom_ms;
    d.old = age_ms >= r->lifetime_ms;
    if (v)
        *v = d;
    if (!n || !d.change)
        return 0;
    return d.outside || d.quick_oom || (d.old && d.diff >= r->update_threshold);
}

int ag_update_cmp(const ag_update_verdict *a, const ag_update_verdict *b)
{
    if (a->up != b->up)
        return b->up - a->up;
    if (a->diff != b->diff)
        return a->diff < b->diff ? 1 : -1;
    return 0;
}

long ag_update_budget(double share, size_t npods)
{
    double n = floor(share * (double)npods);

    if (!(n >= 1)) /* also NAN */
        return 1;
    return n < 1e15 ? (long)n : (long)1e15;
}

double ag_update_keep_ratio(double target, double request, double limit)
{
    double l = isfinite(request) && isfinite(limit) && request > 0 ? target * limit / request : NAN;

    if (isfinite(l) && l < target)
        l = target;
    return l;
}
