/*
 * source/om.c - reader of the Prometheus / OpenMetrics text exposition
 * with timestamps, as written by `promtool tsdb dump-openmetrics`, a
 * federation scrape saved to disk, or an exporter dump.
 *
 * Files are big (hundreds of MB), so this is one pass, line by line, with
 * no allocation per line once the buffers are warm: samples of metrics
 * augur does not use are counted and skipped without looking at their
 * labels; for the few it uses, labels are unescaped into one reusable
 * scratch buffer. Dumps list each series' samples together, so the
 * container of the previous sample is cached and the dataset's hash is
 * consulted only when the series changes. OOM counters are collected in a
 * side table and turned into events once the whole input is read.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/source.h"
#include "source/read_int.h"
#include "util/alloc.h"

enum metric {
    M_UNKNOWN = 0,
    M_CPU,
    M_MEM,
    M_OOM,
    M_OWNER,
    M_LABELS,
    M_REQ,
    M_LIM,
    M_REQ_CPU,
    M_REQ_MEM,
    M_LIM_CPU,
    M_LIM_MEM,
    M_COUNT
};

typedef struct name_map {
    const char *name;
    size_t len;
    enum metric m;
} name_map;

#define NM(n, m)                                                                                   \
    {                                                                                              \
        n, sizeof n - 1, m                                                                         \
    }
/* Names as they appear on sample lines. */
static const name_map sample_names[] = {
    NM("container_cpu_usage_seconds_total", M_CPU),
    NM("container_memory_working_set_bytes", M_MEM),
    NM("container_oom_events_total", M_OOM),
    NM("kube_pod_owner", M_OWNER),
    NM("kube_pod_labels", M_LABELS),
    NM("kube_pod_container_resource_requests", M_REQ),
    NM("kube_pod_container_resource_limits", M_LIM),
    NM("kube_pod_container_resource_requests_cpu_cores", M_REQ_CPU),
    NM("kube_pod_container_resource_requests_memory_bytes", M_REQ_MEM),
    NM("kube_pod_container_resource_limits_cpu_cores", M_LIM_CPU),
    NM("kube_pod_container_resource_limits_memory_bytes", M_LIM_MEM),
};
/* OpenMetrics names counter families without "_total" in # TYPE / # UNIT. */
static const name_map family_names[] = {
    NM("container_cpu_usage_seconds", M_CPU),
    NM("container_oom_events", M_OOM),
};
#undef NM

typedef struct label {
    const char *name, *val; /* NUL-terminated, in om.scratch */
} label;

typedef struct oom_pt {
    ag_container *c;
    int64_t t_ms;
    double v;
    size_t seq; /* input order, to keep the sort stable */
} oom_pt;

typedef struct om {
    ag_dataset *ds;
    ag_ingest_stats *st;
    ag__rd_warner w;
    uint64_t line;
    const char *ls; /* the current line, for messages */
    size_t ll;
    char *scratch; /* unescaped label names and values of the current line */
    size_t scratch_cap;
    label *labs;
    size_t nlabs, labs_cap;
    ag__rd_ccache cc; /* the last container looked up */
    char *lastlab; /* label set of the last kube_pod_labels sample stored */
    size_t lastlab_len, lastlab_cap;
    const char *lset; /* raw label set of the current line, "{...}" */
    size_t lset_len;
    oom_pt *oom;
    size_t noom, oom_cap;
    double scale[M_COUNT]; /* from # UNIT lines */
    int eof;
} om;

static enum metric lookup(const name_map *map, size_t n, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (map[i].len == len && memcmp(map[i].name, s, len) == 0)
            return map[i].m;
    return M_UNKNOWN;
}

static enum metric sample_metric(const char *s, size_t len)
{
    /* Every name we use starts with "container_" or "kube_pod_". */
    if (len < 14 || (s[0] != 'c' && s[0] != 'k'))
        return M_UNKNOWN;
    return lookup(sample_names, sizeof sample_names / sizeof *sample_names, s, len);
}

static enum metric family_metric(const char *s, size_t len)
{
    enum metric m = sample_metric(s, len);
    if (m == M_UNKNOWN)
        m = lookup(family_names, sizeof family_names / sizeof *family_names, s, len);
    return m;
}

#define bad(o, near, nlen, ...)                                                                    \
    do {                                                                                           \
        (o)->st->malformed++;                                                                      \
        ag__rd_warn(&(o)->w, (o)->line, (near), (nlen), __VA_ARGS__);                              \
    } while (0)

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

static size_t skip_space(const char *s, size_t n, size_t p)
{
    while (p < n && is_space(s[p]))
        p++;
    return p;
}

/* ---- # UNIT ------------------------------------------------------------ */

typedef struct unit_map {
    const char *unit;
    double scale;
} unit_map;

static const unit_map byte_units[] = {
    {"", 1},
    {"bytes", 1},
    {"kilobytes", 1e3},
    {"kibibytes", 1024.0},
    {"megabytes", 1e6},
    {"mebibytes", 1048576.0},
    {"gigabytes", 1e9},
    {"gibibytes", 1073741824.0},
};
static const unit_map second_units[] = {
    {"", 1}, {"seconds", 1}, {"milliseconds", 1e-3}, {"microseconds", 1e-6}, {"nanoseconds", 1e-9},
};
static const unit_map core_units[] = {{"", 1}, {"cores", 1}, {"millicores", 1e-3}};

static double unit_scale(const unit_map *map, size_t n, const char *u, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strlen(map[i].unit) == len && memcmp(map[i].unit, u, len) == 0)
            return map[i].scale;
    return 0;
}
#define UNIT_SCALE(map, u, len) unit_scale(map, sizeof map / sizeof *map, u, len)

/* "# UNIT family unit": only explicit metadata changes a metric's scale. */
static void unit_line(om *o, const char *s, size_t n, size_t p)
{
    size_t fs, fe, ue;
    enum metric m;
    double k;

    p = skip_space(s, n, p);
    fs = p;
    while (p < n && !is_space(s[p]))
        p++;
    fe = p;
    p = skip_space(s, n, p);
    ue = n;
    while (ue > p && is_space(s[ue - 1]))
        ue--;
    m = family_metric(s + fs, fe - fs);
    switch (m) {
    case M_MEM:
    case M_REQ_MEM:
    case M_LIM_MEM:
        k = UNIT_SCALE(byte_units, s + p, ue - p);
        break;
    case M_CPU:
        k = UNIT_SCALE(second_units, s + p, ue - p);
        break;
    case M_REQ_CPU:
    case M_LIM_CPU:
        k = UNIT_SCALE(core_units, s + p, ue - p);
        break;
    default:
        return; /* metrics whose unit does not matter, or unknown ones */
    }
    if (k == 0) {
        bad(o, s + p, ue - p, "unknown unit '%.*s' for %.*s", (int)(ue - p > 40 ? 40 : ue - p),
            s + p, (int)(fe - fs), s + fs);
        return;
    }
    o->scale[m] = k;
}

static void comment_line(om *o, const char *s, size_t n)
{
    size_t p = skip_space(s, n, 1), ws = p, we;

    while (p < n && !is_space(s[p]))
        p++;
    we = p;
    if (we - ws == 3 && memcmp(s + ws, "EOF", 3) == 0 && skip_space(s, n, p) == n)
        o->eof = 1;
    else if (we - ws == 4 && memcmp(s + ws, "UNIT", 4) == 0)
        unit_line(o, s, n, p);
    /* # HELP, # TYPE and plain comments carry nothing augur needs. */
}

/* ---- labels ------------------------------------------------------------ */

/* Parses the label set at s[*pos] == '{' into o->labs. Returns 0, 1 when
 * malformed (*why and *at set), -1 when out of memory. */
static int parse_labels(om *o, const char *s, size_t n, size_t *pos, const char **why, size_t *at)
{
    char *out = o->scratch;
    size_t p = *pos + 1;

    o->nlabs = 0;
    for (;;) {
        const char *nm, *val;
        size_t start;

        p = skip_space(s, n, p);
        if (p >= n)
            goto unterminated;
        if (s[p] == '}') {
            p++;
            break;
        }
        start = p;
        if (!name_start(s[p])) {
            *why = "invalid label name";
            *at = p;
            return 1;
        }
        while (p < n && name_char(s[p]))
            p++;
        nm = out;
        memcpy(out, s + start, p - start);
        out += p - start;
        *out++ = '\0';
        p = skip_space(s, n, p);
        if (p >= n || s[p] != '=') {
            *why = "expected '=' after the label name";
            *at = p;
            return 1;
        }
        p = skip_space(s, n, p + 1);
        if (p >= n || s[p] != '"') {
            *why = "expected '\"' to open the label value";
            *at = p;
            return 1;
        }
        start = p++;
        val = out;
        for (;;) {
            char c;
            if (p >= n) {
                *why = "unterminated label value";
                *at = start;
                return 1;
            }
            c = s[p];
            if (c == '"') {
                p++;
                break;
            }
            if (c == '\\') {
                char e = p + 1 < n ? s[p + 1] : '\0';
                if (e == '\\' || e == '"')
                    *out++ = e;
                else if (e == 'n')
                    *out++ = '\n';
                else {
                    *why = p + 1 < n ? "invalid escape in label value (only \\\\, \\\" and \\n)"
                                     : "unterminated label value";
                    *at = p;
                    return 1;
                }
                p += 2;
                continue;
            }
            if (c == '\0') {
                *why = "NUL byte in label value";
                *at = p;
                return 1;
            }
            *out++ = c;
            p++;
        }
        *out++ = '\0';
        if (o->nlabs == o->labs_cap &&
            ag__grow((void **)&o->labs, &o->labs_cap, o->nlabs + 1, sizeof *o->labs) != 0)
            return -1;
        o->labs[o->nlabs].name = nm;
        o->labs[o->nlabs].val = val;
        o->nlabs++;
        p = skip_space(s, n, p);
        if (p < n && s[p] == ',') {
            p++;
            continue;
        }
        if (p < n && s[p] == '}') {
            p++;
            break;
        }
        if (p >= n)
            goto unterminated;
        *why = "expected ',' or '}' after a label";
        *at = p;
        return 1;
    }
    *pos = p;
    return 0;
unterminated:
    *why = "unterminated label set (no '}')";
    *at = *pos;
    return 1;
}

/* The value of label name, or NULL when absent. Last one wins. */
static const char *lab(const om *o, const char *name)
{
    size_t i = o->nlabs;
    while (i-- > 0)
        if (strcmp(o->labs[i].name, name) == 0)
            return o->labs[i].val;
    return NULL;
}

/* A label under its current name, else its old cAdvisor name. Empty
 * values count as absent. */
static const char *lab2(const om *o, const char *name, const char *old)
{
    const char *v = lab(o, name);
    if (!v || !*v)
        v = lab(o, old);
    return v && *v ? v : NULL;
}

/* ---- numbers ----------------------------------------------------------- */

/* Timestamps: a '.' or a value below 1e11 means seconds (OpenMetrics),
 * otherwise integer milliseconds (Prometheus text). 1e11 ms is 1973 and
 * 1e11 s is the year 5138, so real data is never ambiguous. */
static int parse_ts(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0, nd = 0;
    uint64_t ip = 0, ms;

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
        if (ip > (UINT64_MAX - 9) / 10)
            return -1;
        ip = ip * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == n) {
        if (nd == 0)
            return -1;
        if (ip < 100000000000ULL)
            ms = ip * 1000;
        else if (ip <= (uint64_t)INT64_MAX)
            ms = ip;
        else
            return -1;
    } else if (s[i] == '.' && memchr(s + i, 'e', n - i) == NULL &&
               memchr(s + i, 'E', n - i) == NULL) {
        uint64_t frac = 0;
        int k = 0, round = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++) {
            if (k < 3)
                frac = frac * 10 + (uint64_t)(s[i] - '0');
            else if (k == 3)
                round = s[i] >= '5';
        }
        if (i != n || (nd == 0 && k == 0))
            return -1;
        for (; k < 3; k++)
            frac *= 10;
        if (ip > (uint64_t)INT64_MAX / 1000 - 2)
            return -1;
        ms = ip * 1000 + frac + (uint64_t)round;
    } else {
        /* Exponent form, e.g. 1.7e9: a float, so seconds unless huge. */
        double d;
        if (ag__rd_parse_double(s, n, &d) != 0 || !isfinite(d) || fabs(d) >= 9e15)
            return -1;
        if (memchr(s, '.', n) || fabs(d) < 1e11)
            d *= 1000;
        *out = (int64_t)llround(d);
        return 0;
    }
    *out = neg ? -(int64_t)ms : (int64_t)ms;
    return 0;
}

/* ---- storing ----------------------------------------------------------- */

/* The container (ns, pod, ctr), from the one-entry cache when the series
 * did not change. NULL when out of memory. */
static ag_container *container(om *o, const char *ns, const char *pod, const char *ctr)
{
    return ag__rd_container(&o->cc, o->ds, ns, pod, ctr);
}

/* The labels every container-level series needs; NULL container for the
 * pod-level cgroup ("") and the pause container ("POD"). */
static int container_labels(const om *o, const char **ns, const char **pod, const char **ctr)
{
    *ns = lab(o, "namespace");
    *pod = lab2(o, "pod", "pod_name");
    *ctr = lab2(o, "container", "container_name");
    return *ns && **ns && *pod && *ctr && strcmp(*ctr, "POD") != 0;
}

static ag_err store_usage(om *o, enum metric m, double v, int64_t t)
{
    const char *ns, *pod, *ctr, *cpu;
    ag_container *c;

    if (!container_labels(o, &ns, &pod, &ctr))
        return AG_OK;
    /* cAdvisor with per-CPU accounting adds cpu="cpu0"... next to the
     * cpu="total" series: only the total is the container's usage. */
    if (m == M_CPU && (cpu = lab(o, "cpu")) != NULL && *cpu && strcmp(cpu, "total") != 0)
        return AG_OK;
    c = container(o, ns, pod, ctr);
    if (!c)
        return AG_ENOMEM;
    if (m == M_CPU)
        return ag_samples_push(&c->cpu_counter, t, v);
    if (m == M_MEM)
        return ag_samples_push(&c->usage[AG_MEMORY], t, v);
    if (o->noom == o->oom_cap &&
        ag__grow((void **)&o->oom, &o->oom_cap, o->noom + 1, sizeof *o->oom) != 0)
        return AG_ENOMEM;
    o->oom[o->noom] = (oom_pt){c, t, v, o->noom};
    o->noom++;
    return AG_OK;
}

static ag_err store_owner(om *o, double v)
{
    const char *ns = lab(o, "namespace"), *pod = lab(o, "pod");
    const char *kind = lab(o, "owner_kind"), *name = lab(o, "owner_name"), *ok, *on;

    if (v != 1 || !ns || !*ns || !pod || !*pod || !kind || !*kind || !name || !*name ||
        strcmp(kind, "<none>") == 0)
        return AG_OK;
    /* Every scrape repeats the owner: only a change costs an allocation. */
    if (ag_dataset_get_owner(o->ds, ns, pod, &ok, &on) && strcmp(ok, kind) == 0 &&
        strcmp(on, name) == 0)
        return AG_OK;
    return ag_dataset_set_owner(o->ds, ns, pod, kind, name);
}

static ag_err store_labels(om *o)
{
    const char *ns = lab(o, "namespace"), *pod = lab(o, "pod");
    size_t i;
    ag_err rc;

    if (!ns || !*ns || !pod || !*pod)
        return AG_OK;
    /* Samples of one series come together in dumps: skip the repeats. */
    if (o->lset_len == o->lastlab_len && memcmp(o->lset, o->lastlab, o->lset_len) == 0)
        return AG_OK;
    for (i = 0; i < o->nlabs; i++) {
        const char *k = o->labs[i].name;
        if (strncmp(k, "label_", 6) != 0 || k[6] == '\0')
            continue;
        rc = ag_dataset_set_pod_label(o->ds, ns, pod, k + 6, o->labs[i].val);
        if (rc == AG_ETOOBIG) {
            bad(o, o->ls, o->ll, "too many labels for pod %s/%s", ns, pod);
            return AG_OK;
        }
        if (rc != AG_OK)
            return rc;
    }
    o->lastlab_len = 0;
    if (ag__grow((void **)&o->lastlab, &o->lastlab_cap, o->lset_len + 1, 1) == 0) {
        memcpy(o->lastlab, o->lset, o->lset_len);
        o->lastlab_len = o->lset_len;
    }
    return AG_OK;
}

/* kube-state-metrics' unit label: "core" and "byte" in practice. */
static double spec_unit(ag_resource r, const char *unit)
{
    static const unit_map cpu[] = {{"core", 1}, {"cores", 1}, {"millicore", 1e-3}};
    static const unit_map mem[] = {{"byte", 1},       {"bytes", 1},
                                   {"kilobyte", 1e3}, {"kibibyte", 1024.0},
                                   {"megabyte", 1e6}, {"mebibyte", 1048576.0},
                                   {"gigabyte", 1e9}, {"gibibyte", 1073741824.0}};
    if (!unit || !*unit)
        return 1;
    if (r == AG_CPU)
        return UNIT_SCALE(cpu, unit, strlen(unit));
    return UNIT_SCALE(mem, unit, strlen(unit));
}

static ag_err store_spec(om *o, enum metric m, double v, int64_t t)
{
    const char *ns, *pod, *ctr, *res, *unit;
    int is_limit = m == M_LIM || m == M_LIM_CPU || m == M_LIM_MEM;
    ag_resource r;
    ag_container *c;
    double k;

    if (!container_labels(o, &ns, &pod, &ctr))
        return AG_OK;
    if (m == M_REQ || m == M_LIM) {
        res = lab(o, "resource");
        if (!res)
            return AG_OK;
        if (ag__rd_resource(res) < 0)
            return AG_OK; /* GPUs, ephemeral storage, hugepages... */
        r = (ag_resource)ag__rd_resource(res);
        unit = lab(o, "unit");
        k = spec_unit(r, unit);
        if (k == 0) {
            bad(o, o->ls, o->ll, "unit '%.40s' does not fit resource '%s'", unit, res);
            return AG_OK;
        }
        if (k != 1) {
            v *= k;
            o->st->unit_fixes++;
        }
    } else {
        r = (m == M_REQ_CPU || m == M_LIM_CPU) ? AG_CPU : AG_MEMORY;
    }
    c = container(o, ns, pod, ctr);
    if (!c)
        return AG_ENOMEM;
    ag__rd_set_spec(c, is_limit, r, v, t, o->st);
    return AG_OK;
}

/* ---- lines ------------------------------------------------------------- */

static ag_err sample_line(om *o, const char *s, size_t n)
{
    size_t p = 0, q, at = 0;
    const char *why = NULL;
    enum metric m;
    double v;
    int64_t t;
    int r;

    if (!name_start(s[0]) && s[0] != ':') {
        bad(o, s, n, "expected a metric name, a comment or a blank line");
        return AG_OK;
    }
    while (p < n && (name_char(s[p]) || s[p] == ':'))
        p++;
    if (p < n && s[p] != '{' && !is_space(s[p])) {
        bad(o, s + p, n - p, "invalid character in the metric name");
        return AG_OK;
    }
    m = sample_metric(s, p);
    if (m == M_UNKNOWN) {
        o->st->unknown_metric++;
        return AG_OK;
    }
    o->nlabs = 0;
    o->lset = s + p;
    o->lset_len = 0;
    if (p < n && s[p] == '{') {
        if (n + 1 > o->scratch_cap &&
            ag__grow((void **)&o->scratch, &o->scratch_cap, n + 1, 1) != 0)
            return AG_ENOMEM;
        r = parse_labels(o, s, n, &p, &why, &at);
        if (r < 0)
            return AG_ENOMEM;
        if (r > 0) {
            bad(o, s + at, n - at, "%s", why);
            return AG_OK;
        }
        o->lset_len = (size_t)(s + p - o->lset);
    }
    if (p < n && !is_space(s[p])) {
        bad(o, s + p, n - p, "unexpected character after the metric name");
        return AG_OK;
    }
    p = skip_space(s, n, p);
    for (q = p; q < n && !is_space(s[q]);)
        q++;
    if (q == p) {
        bad(o, s, n, "sample has no value");
        return AG_OK;
    }
    if (ag__rd_parse_double(s + p, q - p, &v) != 0) {
        bad(o, s + p, n - p, "invalid sample value");
        return AG_OK;
    }
    p = skip_space(s, n, q);
    if (p == n || s[p] == '#') {
        bad(o, s, n, "sample has no timestamp");
        return AG_OK;
    }
    for (q = p; q < n && !is_space(s[q]);)
        q++;
    if (parse_ts(s + p, q - p, &t) != 0) {
        bad(o, s + p, n - p, "invalid timestamp");
        return AG_OK;
    }
    p = skip_space(s, n, q);
    if (p < n && s[p] != '#') { /* '#': an OpenMetrics exemplar, skipped */
        bad(o, s + p, n - p, "unexpected text after the timestamp");
        return AG_OK;
    }
    if (o->scale[m] != 1) {
        v *= o->scale[m];
        o->st->unit_fixes++;
    }
    switch (m) {
    case M_CPU:
    case M_MEM:
    case M_OOM:
        return store_usage(o, m, v, t);
    case M_OWNER:
        return store_owner(o, v);
    case M_LABELS:
        return store_labels(o);
    default:
        return store_spec(o, m, v, t);
    }
}

static ag_err do_line(om *o, const char *s, size_t n)
{
    size_t p = skip_space(s, n, 0);

    if (p == n)
        return AG_OK;
    if (o->eof) {
        bad(o, s + p, n - p, "text after '# EOF'");
        return AG_OK;
    }
    if (s[p] == '#') {
        comment_line(o, s + p, n - p);
        return AG_OK;
    }
    return sample_line(o, s + p, n - p);
}

/* ---- OOM events -------------------------------------------------------- */

static int oom_cmp(const void *a, const void *b)
{
    const oom_pt *x = a, *y = b;
    if (x->c != y->c)
        return (uintptr_t)x->c < (uintptr_t)y->c ? -1 : 1;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* The working set just before an OOM kill: the newest memory sample at
 * or before t within 5 minutes, else 0 (unknown). */
static double memory_at(const ag_container *c, int64_t t)
{
    const ag_samples *s = &c->usage[AG_MEMORY];
    int64_t best_t = INT64_MIN;
    double best = 0;
    size_t i;

    for (i = 0; i < s->n; i++) {
        const ag_sample *x = &s->v[i];
        if (x->t_ms <= t && x->t_ms >= best_t && t - x->t_ms <= 300000 && isfinite(x->v) &&
            x->v >= 0) {
            best_t = x->t_ms;
            best = x->v;
        }
    }
    return best;
}

/* Every increase of container_oom_events_total between consecutive
 * samples is one OOM kill at the later sample's time; a decrease to a
 * non-zero value (a counter reset after a restart) is one too. The first
 * sample only sets the baseline: kills before it cannot be dated. */
static ag_err oom_finish(om *o)
{
    size_t i;
    const oom_pt *prev = NULL;

    if (o->noom == 0)
        return AG_OK;
    qsort(o->oom, o->noom, sizeof *o->oom, oom_cmp);
    for (i = 0; i < o->noom; i++) {
        const oom_pt *x = &o->oom[i];
        if (!isfinite(x->v) || x->v < 0)
            continue;
        if (prev && prev->c == x->c && (x->v > prev->v || (x->v < prev->v && x->v > 0))) {
            if (ag_samples_push(&x->c->oom, x->t_ms, memory_at(x->c, x->t_ms)) != AG_OK)
                return AG_ENOMEM;
        }
        prev = x;
    }
    return AG_OK;
}

/* ---- entry point ------------------------------------------------------- */

ag_err ag_om_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                   const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei)
{
    ag_ingest_stats local;
    size_t pos = 0, maxl = ag__rd_max_line(opts), next_progress = AG__RD_PROGRESS_STEP, ll, i;
    const char *ls;
    ag_err rc = AG_OK;
    om o;

    if (!ds || (!buf && len > 0)) {
        ag_errinfo_set(ei, "ag_om_parse: no dataset or buffer");
        return AG_EINVAL;
    }
    memset(&local, 0, sizeof local);
    memset(&o, 0, sizeof o);
    o.ds = ds;
    o.st = st ? st : &local;
    ag__rd_warner_init(&o.w, opts, name);
    for (i = 0; i < M_COUNT; i++)
        o.scale[i] = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (ag__rd_next_line(buf, len, &pos, &ls, &ll)) {
        o.line++;
        o.st->lines++;
        o.ls = ls;
        o.ll = ll;
        if (ll > maxl)
            bad(&o, ls, ll, "line longer than %zu bytes", maxl);
        else
            rc = do_line(&o, ls, ll);
        if (rc != AG_OK) {
            ag_errinfo_set(ei, "%s:%llu: out of memory", o.w.name, (unsigned long long)o.line);
            goto out;
        }
        if (opts && opts->progress && pos >= next_progress) {
            opts->progress(opts->progress_ud, pos, len);
            next_progress = pos + AG__RD_PROGRESS_STEP;
        }
    }
    rc = oom_finish(&o);
    if (rc != AG_OK) {
        ag_errinfo_set(ei, "%s: out of memory recording OOM events", o.w.name);
        goto out;
    }
    if (opts && opts->progress)
        opts->progress(opts->progress_ud, len, len);
out:
    ag__rd_warner_done(&o.w);
    ag__free(o.scratch);
    ag__free(o.labs);
    ag__rd_ccache_free(&o.cc);
    ag__free(o.lastlab);
    ag__free(o.oom);
    return rc;
}
