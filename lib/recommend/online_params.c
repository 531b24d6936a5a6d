/*
 * recommend/online_params.c - the online recommenders' parameters by
 * name ("augur-cpu-risk", "autopilot-variant", ...), for flags and the
 * config file. One table, as in params.c; the VPA and krr names fall
 * through to ag_rec_params_set().
 */
#include <stddef.h>
#include <string.h>
#include "augur/online.h"
#include "recommend/rec_int.h"

#define O(f) offsetof(ag_online_params, f)

/* clang-format off: one line per parameter */
static const ag__param params[] = {
    {"static-cpu", K_CPU, O(static_size[AG_CPU]),
     "static: fixed CPU request (default: the trace's own)"},
    {"static-memory", K_MEM, O(static_size[AG_MEMORY]),
     "static: fixed memory request (default: the trace's own)"},
    {"static-scale", K_FRAC0, O(static_scale), "static: multiplies the request and limit (1)"},
    {"autopilot-window", K_DUR, O(autopilot.window_ms), "autopilot: aggregation window (5m)"},
    {"autopilot-cpu-half-life", K_DUR, O(autopilot.cpu_half_life_ms),
     "autopilot: CPU half-life (12h)"},
    {"autopilot-memory-half-life", K_DUR, O(autopilot.mem_half_life_ms),
     "autopilot: memory half-life (48h)"},
    {"autopilot-cpu-percentile", K_PCT0, O(autopilot.cpu_percentile),
     "autopilot: j of S_pj for CPU (95%)"},
    {"autopilot-memory-percentile", K_PCT0, O(autopilot.mem_percentile),
     "autopilot: j of S_pj for memory (98%)"},
    {"autopilot-windows", K_INT1, O(autopilot.max_windows), "autopilot: N of S_max (12)"},
    {"autopilot-margin", K_FRAC, O(autopilot.margin),
     "autopilot: safety margin of the moving windows (10%)"},
    {"autopilot-ml-margin", K_FRAC, O(autopilot.margin_ml),
     "autopilot: the ML models' second margin (10%)"},
    {"crane-percentile", K_PCT0, O(crane.percentile), "crane: usage percentile (99%)"},
    {"crane-margin", K_FRAC, O(crane.margin), "crane: margin fraction (15%)"},
    {"crane-half-life", K_HIST, O(crane.half_life_ms),
     "crane: histogram half-life; 0 = none, as Crane (0)"},
    {"crane-history", K_DUR, O(crane.history_ms), "crane: percentile history (168h)"},
    {"crane-dsp-history", K_DUR, O(crane.dsp_history_ms), "crane: DSP history (15d)"},
    {"crane-dsp-window", K_DUR, O(crane.dsp_window_ms), "crane: DSP prediction window (1h)"},
    {"augur-cpu-risk", K_PCT0, O(augur.cpu_risk),
     "augur: share of an hour's CPU samples allowed above the request (policy)"},
    {"augur-cpu-forecast-quantile", K_PCT0, O(augur.cpu_fc_quantile),
     "augur: forecast quantile of the hourly CPU level (policy)"},
    {"augur-memory-risk", K_PCT0, O(augur.mem_risk),
     "augur: P(an hour's memory peak > request) (policy)"},
    {"augur-memory-limit-risk", K_PCT0, O(augur.mem_limit_risk),
     "augur: P(an hour's memory peak > limit) (policy)"},
    {"augur-margin", K_FRAC, O(augur.margin), "augur: fraction added to the request (policy)"},
    {"augur-limit-margin", K_FRAC, O(augur.limit_margin),
     "augur: fraction added to the memory limit (policy)"},
    {"augur-cpu-limit-ratio", K_FRAC, O(augur.cpu_limit_ratio),
     "augur: CPU limit = request x this; 0 = none (0)"},
    {"augur-lookahead", K_HIST, O(augur.lookahead_ms),
     "augur: the request covers the forecast this far ahead (policy)"},
    {"augur-lookahead-quantile", K_PCT0, O(augur.lookahead_q),
     "augur: CPU: quantile of the lookahead's hours covered (1 = all)"},
    {"augur-limit-lookahead", K_HIST, O(augur.limit_lookahead_ms),
     "augur: the memory limit covers this far ahead (24h)"},
    {"augur-refit", K_DUR, O(augur.refit_ms), "augur: time between forecast fits (24h)"},
    {"augur-forecast-history", K_DUR, O(augur.fc_history_ms),
     "augur: history fed to each fit (7d)"},
    {"augur-hysteresis", K_FRAC, O(augur.hysteresis),
     "augur: decreases smaller than this are not taken (policy)"},
    {"augur-hold", K_HIST, O(augur.hold_ms),
     "augur: a decrease waits until the higher target is this old (policy)"},
    {"augur-fallback", K_DUR, O(augur.fallback_ms),
     "augur: before a forecast, the highest level of this long (policy)"},
    {"augur-min-history", K_HIST, O(augur.min_history_ms),
     "augur: history before the first forecast (72h)"},
    {"augur-band", K_FRAC, O(augur.band), "augur: bounds = target x (1 -+ band) (policy)"},
    {"augur-oom-bump", K_RATIO, O(augur.oom_bump_ratio),
     "augur: memory after an OOM kill >= peak x this (1.2)"},
    {"augur-oom-hold", K_HIST, O(augur.oom_hold_ms), "augur: how long the OOM floor holds (24h)"},
};
/* clang-format on */

#define NPARAMS (sizeof params / sizeof params[0])

static ag_err set_choice(ag_online_params *p, const char *name, const char *v, ag_errinfo *ei,
                         int *done)
{
    static const char *const ap[] = {"ml", "avg", "max", "pct"};

    *done = 1;
    if (strcmp(name, "autopilot-variant") == 0) {
        for (int i = 0; i < 4; i++)
            if (strcmp(v, ap[i]) == 0) {
                p->autopilot.variant = (ag_autopilot_variant)i;
                return AG_OK;
            }
        ag_errinfo_set(ei, "bad value \"%s\" for autopilot-variant: want ml, avg, max or pct", v);
        return AG_EINVAL;
    }
    if (strcmp(name, "crane-variant") == 0) {
        if (strcmp(v, "percentile") == 0 || strcmp(v, "dsp") == 0) {
            p->crane.variant = v[0] == 'd' ? AG_CRANE_DSP : AG_CRANE_PERCENTILE;
            return AG_OK;
        }
        ag_errinfo_set(ei, "bad value \"%s\" for crane-variant: want percentile or dsp", v);
        return AG_EINVAL;
    }
    if (strcmp(name, "augur-model") == 0) {
        p->augur.model = strcmp(v, "auto") == 0 ? NULL : v; /* borrowed: argv or config */
        return AG_OK;
    }
    *done = 0;
    return AG_OK;
}

ag_err ag_online_params_set(ag_online_params *p, const char *name, const char *value,
                            ag_errinfo *ei)
{
    int done;
    ag_err rc;

    if (!name || !value) {
        ag_errinfo_set(ei, "parameter name and value are required");
        return AG_EINVAL;
    }
    rc = set_choice(p, name, value, ei, &done);
    if (done)
        return rc;
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(params[i].name, name) == 0)
            return ag__param_set(p, &params[i], value, ei);
    return ag_rec_params_set(&p->rec, name, value, ei);
}

const char *const *ag_online_param_names(void)
{
    static const char *names[2 * (NPARAMS + 3) + 1];

    if (!names[0]) {
        size_t k = 0;
        names[k++] = "autopilot-variant";
        names[k++] = "autopilot: ml (default), avg, max or pct";
        names[k++] = "crane-variant";
        names[k++] = "crane: percentile (default) or dsp";
        names[k++] = "augur-model";
        names[k++] = "augur: forecast model (auto)";
        for (size_t i = 0; i < NPARAMS; i++) {
            names[k++] = params[i].name;
            names[k++] = params[i].help;
        }
        names[k] = NULL;
    }
    return names;
}
