/*
 * recommend/params.c - recommender parameters: defaults, setting one by
 * its flag name ("target-cpu-percentile", "cpu-half-life", "pod-min-memory"
 * ...), the list of names with help, and the JSON record of a run.
 *
 * One table drives all three, so a new parameter is one line here.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "augur/recommend.h"
#include "augur/util.h"
#include "util/buf.h"
#include "recommend/rec_int.h"

#define DAY_MS (24LL * 3600 * 1000)
#define MIB 1048576.0

const char *ag_algorithm_name(ag_algorithm a)
{
    return a == AG_ALGO_KRR ? "krr" : "vpa";
}

ag_err ag_algorithm_parse(const char *s, ag_algorithm *out)
{
    if (s && strcmp(s, "vpa") == 0)
        *out = AG_ALGO_VPA;
    else if (s && strcmp(s, "krr") == 0)
        *out = AG_ALGO_KRR;
    else
        return AG_EINVAL;
    return AG_OK;
}

int64_t ag_algorithm_default_history_ms(ag_algorithm a)
{
    return a == AG_ALGO_KRR ? 14 * DAY_MS : 8 * DAY_MS;
}

void ag_rec_params_default(ag_rec_params *p)
{
    ag_vpa_params *v = &p->vpa;
    ag_krr_params *k = &p->krr;

    memset(p, 0, sizeof *p);
    p->algorithm = AG_ALGO_VPA;
    p->history_ms = 0;
    v->target_cpu_percentile = 0.90;
    v->lower_cpu_percentile = 0.50;
    v->upper_cpu_percentile = 0.95;
    v->target_memory_percentile = 0.90;
    v->lower_memory_percentile = 0.50;
    v->upper_memory_percentile = 0.95;
    v->safety_margin = 0.15;
    v->cpu_half_life_ms = DAY_MS;
    v->memory_half_life_ms = DAY_MS;
    v->memory_aggregation_interval_ms = DAY_MS;
    v->memory_aggregation_interval_count = 8;
    v->confidence_interval_ms = DAY_MS;
    v->pod_min_cpu_cores = 25 * 0.001;
    v->pod_min_memory_bytes = 250 * MIB;
    v->oom_bump_ratio = 1.2;
    v->oom_min_bump_bytes = 100 * MIB;
    v->cpu_sample_interval_ms = 60 * 1000;
    v->containers_per_pod = 0;
    k->cpu_percentile = 0.95;
    k->memory_buffer_fraction = 0.15;
    k->points_required = 100;
    k->cpu_min_cores = 0.010;
    k->memory_min_bytes = 100 * MIB;
    k->use_oomkill_data = 0;
    k->oom_memory_buffer_fraction = 0.25;
}

#define V(f) offsetof(ag_rec_params, vpa.f)
#define R(f) offsetof(ag_rec_params, krr.f)

static const ag__param params[] = {
    {"target-cpu-percentile", K_PCT, V(target_cpu_percentile),
     "vpa: CPU usage percentile for the target (0.9)"},
    {"lower-cpu-percentile", K_PCT, V(lower_cpu_percentile),
     "vpa: CPU usage percentile for the lower bound (0.5)"},
    {"upper-cpu-percentile", K_PCT, V(upper_cpu_percentile),
     "vpa: CPU usage percentile for the upper bound (0.95)"},
    {"target-memory-percentile", K_PCT, V(target_memory_percentile),
     "vpa: memory peak percentile for the target (0.9)"},
    {"lower-memory-percentile", K_PCT, V(lower_memory_percentile),
     "vpa: memory peak percentile for the lower bound (0.5)"},
    {"upper-memory-percentile", K_PCT, V(upper_memory_percentile),
     "vpa: memory peak percentile for the upper bound (0.95)"},
    {"safety-margin", K_FRAC, V(safety_margin), "vpa: fraction added to every estimate (15%)"},
    {"cpu-half-life", K_DUR, V(cpu_half_life_ms), "vpa: half-life of CPU sample weights (24h)"},
    {"memory-half-life", K_DUR, V(memory_half_life_ms),
     "vpa: half-life of memory peak weights (24h)"},
    {"memory-aggregation-interval", K_DUR, V(memory_aggregation_interval_ms),
     "vpa: one memory peak per container per interval (24h)"},
    {"memory-aggregation-interval-count", K_INT1, V(memory_aggregation_interval_count),
     "vpa: intervals of history (8; history = interval x count)"},
    {"confidence-interval", K_DUR, V(confidence_interval_ms),
     "vpa: unit of the confidence of the bounds (24h)"},
    {"pod-min-cpu", K_CPU, V(pod_min_cpu_cores),
     "vpa: minimum CPU per pod, split over its containers (25m)"},
    {"pod-min-memory", K_MEM, V(pod_min_memory_bytes),
     "vpa: minimum memory per pod, split over its containers (250Mi)"},
    {"oom-bump-ratio", K_RATIO, V(oom_bump_ratio),
     "vpa: memory after an OOM kill is at least this x the memory used (1.2)"},
    {"oom-min-bump", K_MEM, V(oom_min_bump_bytes),
     "vpa: memory after an OOM kill is at least the memory used + this (100Mi)"},
    {"cpu-sample-interval", K_DUR, V(cpu_sample_interval_ms),
     "vpa: CPU series resampled to one sample per this (1m)"},
    {"containers-per-pod", K_INT0, V(containers_per_pod),
     "vpa: containers sharing the per-pod minimum (0 = 1)"},
    {"krr-cpu-percentile", K_PCT0, R(cpu_percentile), "krr: CPU usage percentile per pod (95%)"},
    {"krr-memory-buffer", K_FRAC0, R(memory_buffer_fraction),
     "krr: fraction added to the peak memory (15%)"},
    {"krr-points-required", K_INT1, R(points_required),
     "krr: fewer samples give no recommendation (100)"},
    {"krr-cpu-min", K_CPU, R(cpu_min_cores), "krr: CPU floor (10m)"},
    {"krr-memory-min", K_MEM, R(memory_min_bytes), "krr: memory floor (100Mi)"},
    {"krr-use-oomkill-data", K_BOOL, R(use_oomkill_data),
     "krr: raise memory to the OOM-killed limit + buffer (false)"},
    {"krr-oom-memory-buffer", K_FRAC, R(oom_memory_buffer_fraction),
     "krr: fraction added to the OOM-killed limit (25%)"},
    {"history", K_HIST, offsetof(ag_rec_params, history_ms),
     "history used (0 = the algorithm's own: 8d vpa, 14d krr)"},
};

#define NPARAMS (sizeof params / sizeof params[0])

static const char *const names[] = {
    "target-cpu-percentile",
    "vpa: CPU usage percentile for the target (0.9)",
    "lower-cpu-percentile",
    "vpa: CPU usage percentile for the lower bound (0.5)",
    "upper-cpu-percentile",
    "vpa: CPU usage percentile for the upper bound (0.95)",
    "target-memory-percentile",
    "vpa: memory peak percentile for the target (0.9)",
    "lower-memory-percentile",
    "vpa: memory peak percentile for the lower bound (0.5)",
    "upper-memory-percentile",
    "vpa: memory peak percentile for the upper bound (0.95)",
    "safety-margin",
    "vpa: fraction added to every estimate (15%)",
    "cpu-half-life",
    "vpa: half-life of CPU sample weights (24h)",
    "memory-half-life",
    "vpa: half-life of memory peak weights (24h)",
    "memory-aggregation-interval",
    "vpa: one memory peak per container per interval (24h)",
    "memory-aggregation-interval-count",
    "vpa: intervals of history (8; history = interval x count)",
    "confidence-interval",
    "vpa: unit of the confidence of the bounds (24h)",
    "pod-min-cpu",
    "vpa: minimum CPU per pod, split over its containers (25m)",
    "pod-min-memory",
    "vpa: minimum memory per pod, split over its containers (250Mi)",
    "oom-bump-ratio",
    "vpa: memory after an OOM kill is at least this x the memory used (1.2)",
    "oom-min-bump",
    "vpa: memory after an OOM kill is at least the memory used + this (100Mi)",
    "cpu-sample-interval",
    "vpa: CPU series resampled to one sample per this (1m)",
    "containers-per-pod",
    "vpa: containers sharing the per-pod minimum (0 = 1)",
    "krr-cpu-percentile",
    "krr: CPU usage percentile per pod (95%)",
    "krr-memory-buffer",
    "krr: fraction added to the peak memory (15%)",
    "krr-points-required",
    "krr: fewer samples give no recommendation (100)",
    "krr-cpu-min",
    "krr: CPU floor (10m)",
    "krr-memory-min",
    "krr: memory floor (100Mi)",
    "krr-use-oomkill-data",
    "krr: raise memory to the OOM-killed limit + buffer (false)",
    "krr-oom-memory-buffer",
    "krr: fraction added to the OOM-killed limit (25%)",
    "history",
    "history used (0 = the algorithm's own: 8d vpa, 14d krr)",
    NULL,
};

const char *const *ag_rec_param_names(void)
{
    return names;
}

/* A plain number, or a percentage "90%". */
static int parse_frac(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || !isfinite(v))
        return -1;
    if (*end == '%') {
        v /= 100;
        end++;
    }
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end != '\0' || v > 1000000000L || v < -1000000000L)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
        *out = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no") ||
             !strcasecmp(s, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

static ag_err bad(ag_errinfo *ei, const ag__param *q, const char *value, const char *want)
{
    ag_errinfo_set(ei, "bad value \"%s\" for %s: %s", value, q->name, want);
    return AG_EINVAL;
}

ag_err ag__param_set(void *base, const ag__param *q, const char *s, ag_errinfo *ei)
{
    char *field = (char *)base + q->off;
    double d;
    int64_t ms;
    long l;
    int b;

    switch (q->kind) {
    case K_PCT:
    case K_PCT0:
        if (parse_frac(s, &d) != 0 || d > 1 || d < 0 || (q->kind == K_PCT0 && d == 0))
            return bad(ei, q, s,
                       q->kind == K_PCT ? "want a fraction in [0, 1] or a percentage (\"90%\")"
                                        : "want a fraction in (0, 1] or a percentage (\"95%\")");
        *(double *)field = d;
        return AG_OK;
    case K_FRAC:
    case K_FRAC0:
        if (parse_frac(s, &d) != 0 || d < 0 || (q->kind == K_FRAC0 && d == 0) || d > 1000)
            return bad(ei, q, s,
                       q->kind == K_FRAC ? "want a fraction >= 0 or a percentage (\"15%\")"
                                         : "want a fraction > 0 or a percentage (\"15%\")");
        *(double *)field = d;
        return AG_OK;
    case K_DUR:
    case K_HIST:
        if (ag_duration_parse(s, &ms) != AG_OK || ms < 0 || (q->kind == K_DUR && ms == 0))
            return bad(ei, q, s,
                       q->kind == K_DUR ? "want a positive duration (\"24h\", \"90s\", \"8d\")"
                                        : "want a duration (\"8d\"; 0 = the algorithm's own)");
        *(int64_t *)field = ms;
        return AG_OK;
    case K_INT1:
    case K_INT0:
        if (parse_int(s, &l) != 0 || l < (q->kind == K_INT1 ? 1 : 0))
            return bad(ei, q, s,
                       q->kind == K_INT1 ? "want a whole number >= 1" : "want a whole number >= 0");
        *(int *)field = (int)l;
        return AG_OK;
    case K_CPU:
    case K_MEM:
        if (ag_quantity_parse(s, &d) != AG_OK || !(d >= 0) || !isfinite(d))
            return bad(ei, q, s,
                       q->kind == K_CPU ? "want a CPU quantity >= 0 (\"25m\", \"0.5\")"
                                        : "want a memory quantity >= 0 (\"250Mi\", \"1G\")");
        *(double *)field = d;
        return AG_OK;
    case K_RATIO:
        if (parse_frac(s, &d) != 0 || d < 1 || d > 1000 || strchr(s, '%'))
            return bad(ei, q, s, "want a number >= 1 (\"1.2\")");
        *(double *)field = d;
        return AG_OK;
    case K_BOOL:
        if (parse_bool(s, &b) != 0)
            return bad(ei, q, s, "want true or false");
        *(int *)field = b;
        return AG_OK;
    }
    return AG_EINVAL;
}

ag_err ag_rec_params_set(ag_rec_params *p, const char *name, const char *value, ag_errinfo *ei)
{
    if (!name || !value) {
        ag_errinfo_set(ei, "parameter name and value are required");
        return AG_EINVAL;
    }
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(params[i].name, name) == 0)
            return ag__param_set(p, &params[i], value, ei);
    ag_errinfo_set(ei, "unknown recommender parameter \"%s\" (see --help for the list)", name);
    return AG_EINVAL;
}

static void json_value(ag_buf *b, const ag_rec_params *p, const ag__param *q)
{
    const char *field = (const char *)p + q->off;

    switch (q->kind) {
    case K_DUR:
    case K_HIST:
        ag__buf_printf(b, "%lld", (long long)*(const int64_t *)field);
        break;
    case K_INT0:
    case K_INT1:
        ag__buf_printf(b, "%d", *(const int *)field);
        break;
    case K_BOOL:
        ag__buf_puts(b, *(const int *)field ? "true" : "false");
        break;
    default:
        ag__buf_json_num(b, *(const double *)field);
    }
}

char *ag_rec_params_json(const ag_rec_params *p, char *buf, size_t len)
{
    ag_buf b;

    if (len == 0)
        return buf;
    ag__buf_init(&b, 1 << 16);
    ag__buf_puts(&b, "{\"algorithm\":");
    ag__buf_json_str(&b, ag_algorithm_name(p->algorithm));
    for (size_t i = 0; i < NPARAMS; i++) {
        ag__buf_puts(&b, ",");
        ag__buf_json_str(&b, params[i].name);
        ag__buf_puts(&b, ":");
        json_value(&b, p, &params[i]);
    }
    ag__buf_puts(&b, "}");
    if (b.p && b.len > 0) {
        size_t n = b.len < len - 1 ? b.len : len - 1;
        memcpy(buf, b.p, n);
        buf[n] = '\0';
    } else {
        buf[0] = '\0';
    }
    ag__buf_free(&b);
    return buf;
}
