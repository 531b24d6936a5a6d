/*
 * sim/metrics.c - what a replay measures: adding metric sums, the
 * figures derived from them (slack, shares, rates per container-day),
 * the Pareto frontier of a sweep, and the names of modes and limit
 * policies.
 */
#include <math.h>
#include <string.h>
#include "augur/sim.h"

#define DAY_S 86400.0
#define GIB 1073741824.0

static const char *const mode_names[] = {"off", "initial", "recreate", "in-place"};
static const char *const limit_names[] = {"recommender", "keep-ratio", "upper", "no-cpu-limit"};

const char *ag_update_mode_name(ag_update_mode m)
{
    return (unsigned)m < 4 ? mode_names[m] : "?";
}

ag_err ag_update_mode_parse(const char *s, ag_update_mode *out)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *out = (ag_update_mode)i;
            return AG_OK;
        }
    if (s && (strcmp(s, "auto") == 0 || strcmp(s, "Auto") == 0)) {
        *out = AG_MODE_RECREATE; /* the VPA's Auto is Recreate */
        return AG_OK;
    }
    return AG_EINVAL;
}

const char *ag_limit_policy_name(ag_limit_policy p)
{
    return (unsigned)p < 4 ? limit_names[p] : "?";
}

ag_err ag_limit_policy_parse(const char *s, ag_limit_policy *out)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, limit_names[i]) == 0) {
            *out = (ag_limit_policy)i;
            return AG_OK;
        }
    return AG_EINVAL;
}

void ag_sim_metrics_add(ag_sim_metrics *a, const ag_sim_metrics *b)
{
    a->container_seconds += b->container_seconds;
    a->cpu_demand += b->cpu_demand;
    a->cpu_used += b->cpu_used;
    a->cpu_requested += b->cpu_requested;
    a->cpu_idle_request += b->cpu_idle_request;
    a->cpu_throttled += b->cpu_throttled;
    a->cpu_at_risk += b->cpu_at_risk;
    a->cpu_lost += b->cpu_lost;
    a->mem_demand += b->mem_demand;
    a->mem_requested += b->mem_requested;
    a->mem_idle_request += b->mem_idle_request;
    a->mem_lost += b->mem_lost;
    a->down_seconds += b->down_seconds;
    a->intervals += b->intervals;
    a->ooms += b->ooms;
    a->mem_at_risk += b->mem_at_risk;
    a->evictions += b->evictions;
    a->restarts += b->restarts;
    a->resizes += b->resizes;
    a->disruptions += b->disruptions;
    a->decisions += b->decisions;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

void ag_sim_summarize(const ag_sim_metrics *m, ag_sim_summary *o)
{
    double days = m->container_seconds / DAY_S;

    o->container_days = days;
    o->cpu_slack = ratio(m->cpu_idle_request, m->cpu_requested);
    o->mem_slack = ratio(m->mem_idle_request, m->mem_requested);
    o->cpu_throttled_share = ratio(m->cpu_throttled, m->cpu_demand);
    o->cpu_at_risk_share = ratio(m->cpu_at_risk, m->cpu_demand);
    o->ooms_per_cday = ratio((double)m->ooms, days);
    o->mem_at_risk_per_cday = ratio((double)m->mem_at_risk, days);
    o->disruptions_per_cday = ratio((double)m->disruptions, days);
    o->core_hours = m->cpu_requested / 3600.0;
    o->gib_hours = m->mem_requested / GIB / 3600.0;
}

/* a dominates b: no worse everywhere, better somewhere. NAN counts as
 * worst. */
static int dominates(const double *a, const double *b, size_t dim)
{
    int better = 0;

    for (size_t d = 0; d < dim; d++) {
        double x = isnan(a[d]) ? INFINITY : a[d], y = isnan(b[d]) ? INFINITY : b[d];
        if (x > y)
            return 0;
        if (x < y)
            better = 1;
    }
    return better;
}

void ag_sim_pareto(const double *x, size_t n, size_t dim, int *front)
{
    for (size_t i = 0; i < n; i++) {
        front[i] = 1;
        for (size_t j = 0; j < n && front[i]; j++)
            if (j != i && dominates(x + j * dim, x + i * dim, dim))
                front[i] = 0;
    }
}
