/*
 * synth/spec.c - the synthetic-workload spec: shape names, defaults, the
 * table of keys, parsing "shape:key=value,..." and checking a spec.
 *
 * One table describes every key: its field, the shapes that take it and
 * the range of valid values, so parsing, ag_synth_check() and formatting
 * (format.c) cannot disagree. Parsing is strict, since a typo that fell
 * back to a default would give a plausible but wrong workload: unknown
 * keys, keys another shape takes, repeated keys and trailing junk are all
 * errors naming the key. Nothing is allocated.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augur/util.h"
#include "synth/synth_int.h"

#define DAY_MS INT64_C(86400000)
#define MAX_LEN_MS ((double)AG_SYNTH_MAX_DAYS * 86400000.0)
/* 9999-12-31T23:59:59.999Z, the latest time ag_time_parse() accepts. */
#define MAX_TIME_MS INT64_C(253402300799999)

static const char *const shape_names[AG_SYNTH_NSHAPES + 1] = {
    "constant", "step", "sinusoidal", "low_high", "bursty", "trend", "random_walk", NULL,
};

const char *const *ag_synth_shape_names(void)
{
    return shape_names;
}

const char *ag_synth_shape_name(ag_synth_shape shape)
{
    if ((unsigned)shape >= AG_SYNTH_NSHAPES)
        return "?";
    return shape_names[shape];
}

static void copy_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= AG_SYNTH_NAME_MAX)
        n = AG_SYNTH_NAME_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void ag_synth_defaults(ag_synth_spec *s, ag_synth_shape shape)
{
    memset(s, 0, sizeof *s);
    s->shape = shape;
    s->base[AG_CPU] = 0.5;
    s->base[AG_MEMORY] = 512.0 * 1048576.0;
    for (int r = 0; r < AG_NRES; r++) {
        s->noise[r] = 0;
        s->request[r] = NAN;
        s->limit[r] = NAN;
    }
    s->apply = AG_SYNTH_APPLY_BOTH;
    s->length_ms = 14 * DAY_MS;
    s->step_ms = 60000;
    s->start_ms = AG_SYNTH_DEFAULT_START_MS;
    s->replicas = 3;
    s->spread = 0;
    s->seed = 1;
    copy_name(s->ns, "synth");
    copy_name(s->name, ag_synth_shape_name(shape));
    for (char *p = s->name; *p; p++)
        if (*p == '_')
            *p = '-';
    copy_name(s->container, "app");
    s->factor = 2;
    s->at_ms = -1;
    s->amplitude = 0.5;
    s->period_ms = DAY_MS;
    s->peak_ms = -1;
    s->low_ms = 12 * 3600000;
    s->high_ms = 12 * 3600000;
    s->every_ms = 6 * 3600000;
    s->burst_ms = 15 * 60000;
    s->slope = 0.1;
    s->reset_ms = 0;
    s->volatility = 0.05;
    s->walk_min = 0;
    s->walk_max = 3;
    s->max_points = AG_SYNTH_MAX_POINTS;
}

int ag_synth_is_spec(const char *input)
{
    return input && strncmp(input, "synth:", 6) == 0;
}

size_t ag_synth_points(const ag_synth_spec *s)
{
    if (!s || s->step_ms <= 0 || s->length_ms <= 0)
        return 0;
    return (size_t)(s->length_ms / s->step_ms);
}

/* ---- the keys ----------------------------------------------------------- */

#define ALL ((1u << AG_SYNTH_NSHAPES) - 1)
#define SH(x) (1u << AG_SYNTH_##x)
#define OFF(f) offsetof(ag_synth_spec, f)
#define QTY_CPU "a CPU quantity such as 250m or 2"
#define QTY_MEM "a memory quantity such as 512Mi or 1G"
#define DUR(what) "a duration such as 30s, 15m or 1h30m, " what

const ag__synth_key ag__synth_keys[] = {
    {"cpu", AG__SK_QTY, OFF(base[AG_CPU]), ALL, 0, 1e6, 0, 0, QTY_CPU " (>= 0)"},
    {"mem", AG__SK_QTY, OFF(base[AG_MEMORY]), ALL, 0, 1e18, 0, 0, QTY_MEM " (>= 0)"},
    {"noise", AG__SK_NOISE, 0, ALL, 0, 2, 0, 0, "a number in [0, 2]"},
    {"cpu-noise", AG__SK_NUM, OFF(noise[AG_CPU]), ALL, 0, 2, 0, 0, "a number in [0, 2]"},
    {"mem-noise", AG__SK_NUM, OFF(noise[AG_MEMORY]), ALL, 0, 2, 0, 0, "a number in [0, 2]"},
    {"apply", AG__SK_APPLY, OFF(apply), ALL, 0, 2, 0, 0, "both, cpu or mem"},
    {"days", AG__SK_DAYS, OFF(length_ms), ALL, 1, MAX_LEN_MS, 0, 0,
     "a number of days in (0, 3660]"},
    {"step", AG__SK_DUR, OFF(step_ms), ALL, 1000, MAX_LEN_MS, 0, 0, DUR("at least 1s")},
    {"replicas", AG__SK_INT, OFF(replicas), ALL, 1, AG_SYNTH_MAX_REPLICAS, 0, 0,
     "a whole number in [1, 1000]"},
    {"spread", AG__SK_NUM, OFF(spread), ALL, 0, 1, 1, 0, "a number in [0, 1)"},
    {"seed", AG__SK_SEED, OFF(seed), ALL, 0, 0, 0, 0, "a whole number in [0, 2^64)"},
    {"start", AG__SK_TIME, OFF(start_ms), ALL, 0, (double)MAX_TIME_MS, 0, 0,
     "a time such as 2024-01-01T00:00:00Z or Unix seconds, from 1970 on"},
    {"ns", AG__SK_NAME, OFF(ns), ALL, 0, 0, 0, 0, "1 to 63 of A-Z a-z 0-9 . _ -"},
    {"name", AG__SK_NAME, OFF(name), ALL, 0, 0, 0, 0, "1 to 63 of A-Z a-z 0-9 . _ -"},
    {"container", AG__SK_NAME, OFF(container), ALL, 0, 0, 0, 0, "1 to 63 of A-Z a-z 0-9 . _ -"},
    {"cpu-request", AG__SK_QTY, OFF(request[AG_CPU]), ALL, 0, 1e6, 0, 1, QTY_CPU " (>= 0)"},
    {"mem-request", AG__SK_QTY, OFF(request[AG_MEMORY]), ALL, 0, 1e18, 0, 1, QTY_MEM " (>= 0)"},
    {"cpu-limit", AG__SK_QTY, OFF(limit[AG_CPU]), ALL, 0, 1e6, 0, 1, QTY_CPU " (>= 0)"},
    {"mem-limit", AG__SK_QTY, OFF(limit[AG_MEMORY]), ALL, 0, 1e18, 0, 1, QTY_MEM " (>= 0)"},
    {"factor", AG__SK_NUM, OFF(factor), SH(STEP) | SH(LOW_HIGH) | SH(BURSTY), 0, 1000, 0, 0,
     "a number in [0, 1000]"},
    {"at", AG__SK_DUR, OFF(at_ms), SH(STEP), 0, MAX_LEN_MS, 0, 1, DUR("from the start")},
    {"amplitude", AG__SK_NUM, OFF(amplitude), SH(SINUSOIDAL), 0, 1, 0, 0, "a number in [0, 1]"},
    {"period", AG__SK_DUR, OFF(period_ms), SH(SINUSOIDAL), 1, MAX_LEN_MS, 0, 0, DUR("above 0")},
    {"peak", AG__SK_DUR, OFF(peak_ms), SH(SINUSOIDAL), 0, MAX_LEN_MS, 0, 1, DUR("from the start")},
    {"low-for", AG__SK_DUR, OFF(low_ms), SH(LOW_HIGH), 1, MAX_LEN_MS, 0, 0, DUR("above 0")},
    {"high-for", AG__SK_DUR, OFF(high_ms), SH(LOW_HIGH), 1, MAX_LEN_MS, 0, 0, DUR("above 0")},
    {"every", AG__SK_DUR, OFF(every_ms), SH(BURSTY), 1, MAX_LEN_MS, 0, 0, DUR("above 0")},
    {"burst", AG__SK_DUR, OFF(burst_ms), SH(BURSTY), 1, MAX_LEN_MS, 0, 0, DUR("above 0")},
    {"slope", AG__SK_NUM, OFF(slope), SH(TREND), -1000, 1000, 0, 0, "a number in [-1000, 1000]"},
    {"reset", AG__SK_DUR, OFF(reset_ms), SH(TREND), 0, MAX_LEN_MS, 0, 0, DUR("0 for never")},
    {"volatility", AG__SK_NUM, OFF(volatility), SH(RANDOM_WALK), 0, 10, 0, 0,
     "a number in [0, 10]"},
    {"min", AG__SK_NUM, OFF(walk_min), SH(RANDOM_WALK), 0, 1000, 0, 0, "a number in [0, 1000]"},
    {"max", AG__SK_NUM, OFF(walk_max), SH(RANDOM_WALK), 0, 1000, 0, 0, "a number in [0, 1000]"},
};
const size_t ag__synth_nkeys = sizeof ag__synth_keys / sizeof ag__synth_keys[0];

#define FIELD(s, k, type) ((type *)(void *)((char *)(s) + (k)->off))
#define CFIELD(s, k, type) ((const type *)(const void *)((const char *)(s) + (k)->off))

int ag__synth_unset(const ag_synth_spec *s, const ag__synth_key *k)
{
    if (!k->unset_ok)
        return 0;
    if (k->kind == AG__SK_DUR)
        return *CFIELD(s, k, int64_t) == -1;
    return isnan(*CFIELD(s, k, double));
}

/* The field as a number, for the range check; 0 for kinds without one. */
static double num_value(const ag_synth_spec *s, const ag__synth_key *k)
{
    switch (k->kind) {
    case AG__SK_QTY:
    case AG__SK_NUM:
        return *CFIELD(s, k, double);
    case AG__SK_DUR:
    case AG__SK_DAYS:
    case AG__SK_TIME:
        return (double)*CFIELD(s, k, int64_t);
    case AG__SK_INT:
        return *CFIELD(s, k, int);
    case AG__SK_APPLY:
        return (double)*CFIELD(s, k, ag_synth_apply);
    default:
        return 0;
    }
}

static int has_range(ag__synth_kind kind)
{
    return kind != AG__SK_SEED && kind != AG__SK_NAME && kind != AG__SK_NOISE;
}

static int name_ok(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= AG_SYNTH_NAME_MAX)
        return 0;
    return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Range check of one field. raw: the text it was parsed from (NULL for a
 * hand-filled spec: the stored value is printed instead). */
static ag_err check_key(const ag_synth_spec *s, const ag__synth_key *k, const char *raw,
                        ag_errinfo *ei)
{
    char buf[96];
    double v;
    int bad;

    if (ag__synth_unset(s, k))
        return AG_OK;
    if (k->kind == AG__SK_NAME) {
        const char *str = CFIELD(s, k, char);
        if (memchr(str, '\0', AG_SYNTH_NAME_MAX) && name_ok(str))
            return AG_OK;
        ag_errinfo_set(ei, "synth spec: bad value '%s' for '%s': expected %s",
                       raw ? raw : "(too long or invalid)", k->name, k->want);
        return AG_EINVAL;
    }
    if (!has_range(k->kind))
        return AG_OK;
    v = num_value(s, k);
    bad = !(v >= k->lo) || !(k->hi_open ? v < k->hi : v <= k->hi);
    if (!bad)
        return AG_OK;
    if (!raw)
        raw = ag__synth_value_str(s, k, buf, sizeof buf);
    ag_errinfo_set(ei, "synth spec: value '%s' for '%s' is out of range: expected %s", raw, k->name,
                   k->want);
    return AG_EINVAL;
}

/* ---- value syntax --------------------------------------------------------- */

/* A plain decimal number: digits, point, exponent; no hex, inf or nan. */
static int parse_num(const char *v, double *out)
{
    char *end;
    double d;

    if (!*v || strspn(v, "0123456789+-.eE") != strlen(v))
        return 0;
    errno = 0;
    d = strtod(v, &end);
    if (*end || end == v || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int parse_uint(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long u;

    if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 20)
        return 0;
    errno = 0;
    u = strtoull(v, &end, 10);
    if (errno == ERANGE || *end)
        return 0;
    *out = (uint64_t)u;
    return 1;
}

/* Stores v into the key's field; 0 when v is not of the key's kind.
 * noise_out receives the value of the "noise" key. */
static int set_key(ag_synth_spec *s, const ag__synth_key *k, const char *v, double *noise_out)
{
    double d;
    int64_t ms;
    uint64_t u;

    switch (k->kind) {
    case AG__SK_QTY:
        if (ag_quantity_parse(v, &d) != AG_OK)
            return 0;
        *FIELD(s, k, double) = d;
        return 1;
    case AG__SK_NUM:
        if (!parse_num(v, &d))
            return 0;
        *FIELD(s, k, double) = d;
        return 1;
    case AG__SK_NOISE:
        if (!parse_num(v, &d))
            return 0;
        *noise_out = d;
        return 1;
    case AG__SK_DUR:
        if (ag_duration_parse(v, &ms) != AG_OK)
            return 0;
        *FIELD(s, k, int64_t) = ms;
        return 1;
    case AG__SK_DAYS:
        if (!parse_num(v, &d))
            return 0;
        if (!(d > 0) || d > AG_SYNTH_MAX_DAYS)
            *FIELD(s, k, int64_t) = 0; /* out of range: check_key() says so */
        else
            *FIELD(s, k, int64_t) = llround(d * (double)DAY_MS);
        return 1;
    case AG__SK_INT:
        if (!parse_uint(v, &u))
            return 0;
        *FIELD(s, k, int) =
            u > (uint64_t)AG_SYNTH_MAX_REPLICAS ? AG_SYNTH_MAX_REPLICAS + 1 : (int)u;
        return 1;
    case AG__SK_SEED:
        if (!parse_uint(v, &u))
            return 0;
        *FIELD(s, k, uint64_t) = u;
        return 1;
    case AG__SK_NAME:
        if (!name_ok(v))
            return 0;
        copy_name(FIELD(s, k, char), v);
        return 1;
    case AG__SK_TIME:
        if (ag_time_parse(v, &ms) != AG_OK)
            return 0;
        *FIELD(s, k, int64_t) = ms;
        return 1;
    case AG__SK_APPLY:
        if (strcmp(v, "both") == 0)
            *FIELD(s, k, ag_synth_apply) = AG_SYNTH_APPLY_BOTH;
        else if (strcmp(v, "cpu") == 0)
            *FIELD(s, k, ag_synth_apply) = AG_SYNTH_APPLY_CPU;
        else if (strcmp(v, "mem") == 0)
            *FIELD(s, k, ag_synth_apply) = AG_SYNTH_APPLY_MEM;
        else
            return 0;
        return 1;
    }
    return 0;
}

/* ---- checks across keys ----------------------------------------------------- */

static const char *const res_key[AG_NRES] = {"cpu", "mem"};

static ag_err check_cross(const ag_synth_spec *s, ag_errinfo *ei)
{
    size_t n, cap;
    char a[32], b[32];

    for (int r = 0; r < AG_NRES; r++) {
        if (!isnan(s->request[r]) && !isnan(s->limit[r]) && s->request[r] > s->limit[r]) {
            ag_errinfo_set(ei, "synth spec: '%s-request' (%.17g) is above '%s-limit' (%.17g)",
                           res_key[r], s->request[r], res_key[r], s->limit[r]);
            return AG_EINVAL;
        }
    }
    if (s->step_ms > s->length_ms) {
        ag_errinfo_set(ei, "synth spec: 'step' (%s) is longer than the workload ('days' = %.17g)",
                       ag_duration_format(s->step_ms, a, sizeof a),
                       (double)s->length_ms / (double)DAY_MS);
        return AG_EINVAL;
    }
    if (s->start_ms > MAX_TIME_MS - s->length_ms) {
        ag_errinfo_set(ei, "synth spec: 'start' (%s) plus 'days' ends after 9999-12-31",
                       ag_time_format(s->start_ms, a, sizeof a));
        return AG_EINVAL;
    }
    if (s->shape == AG_SYNTH_RANDOM_WALK && !(s->walk_min < s->walk_max)) {
        snprintf(a, sizeof a, "%.17g", s->walk_min);
        snprintf(b, sizeof b, "%.17g", s->walk_max);
        ag_errinfo_set(ei, "synth spec: 'min' (%s) must be below 'max' (%s)", a, b);
        return AG_EINVAL;
    }
    n = ag_synth_points(s);
    cap = s->max_points ? s->max_points : AG_SYNTH_MAX_POINTS;
    if (n > cap / (size_t)s->replicas) {
        ag_errinfo_set(ei,
                       "synth spec: %d replicas x %zu points ('days' / 'step') is above the cap "
                       "of %zu points: raise 'step' or lower 'days' or 'replicas'",
                       s->replicas, n, cap);
        return AG_ETOOBIG;
    }
    return AG_OK;
}

ag_err ag_synth_check(const ag_synth_spec *s, ag_errinfo *ei)
{
    ag_err rc;

    if (!s) {
        ag_errinfo_set(ei, "synth spec: no spec");
        return AG_EINVAL;
    }
    if ((unsigned)s->shape >= AG_SYNTH_NSHAPES) {
        ag_errinfo_set(ei, "synth spec: unknown shape %d", (int)s->shape);
        return AG_EINVAL;
    }
    for (size_t i = 0; i < ag__synth_nkeys; i++) {
        const ag__synth_key *k = &ag__synth_keys[i];
        if (!(k->shapes & (1u << s->shape)))
            continue;
        if (k->kind == AG__SK_NOISE)
            continue; /* cpu-noise and mem-noise hold its value */
        if ((rc = check_key(s, k, NULL, ei)) != AG_OK)
            return rc;
    }
    return check_cross(s, ei);
}

/* ---- parsing ------------------------------------------------------------------- */

/* The keys the shape takes besides the common ones, for "unknown key". */
static void own_keys(ag_synth_shape shape, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ag__synth_nkeys && off < len; i++) {
        const ag__synth_key *k = &ag__synth_keys[i];
        if (k->shapes == ALL || !(k->shapes & (1u << shape)))
            continue;
        off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", k->name);
    }
    if (off == 0)
        snprintf(buf, len, "no keys of its own");
}

static int shape_lookup(const char *name, size_t n, ag_synth_shape *out)
{
    for (int i = 0; i < AG_SYNTH_NSHAPES; i++) {
        const char *c = shape_names[i];
        size_t j;
        if (strlen(c) != n)
            continue;
        for (j = 0; j < n; j++)
            if (name[j] != c[j] && !(name[j] == '-' && c[j] == '_'))
                break;
        if (j == n) {
            *out = (ag_synth_shape)i;
            return 1;
        }
    }
    return 0;
}

ag_err ag_synth_parse(const char *spec, ag_synth_spec *out, ag_errinfo *ei)
{
    const char *p, *colon;
    ag_synth_shape shape;
    unsigned char seen[sizeof ag__synth_keys / sizeof ag__synth_keys[0]] = {0};
    double noise = 0;
    char own[256];
    ag_err rc;

    if (!spec || !out) {
        ag_errinfo_set(ei, "synth spec: no spec");
        return AG_EINVAL;
    }
    p = spec;
    if (ag_synth_is_spec(p))
        p += 6;
    colon = strchr(p, ':');
    size_t sn = colon ? (size_t)(colon - p) : strlen(p);
    if (!shape_lookup(p, sn, &shape)) {
        ag_errinfo_set(ei,
                       "synth spec: unknown shape '%.*s' (one of constant, step, sinusoidal, "
                       "low_high, bursty, trend, random_walk)",
                       (int)(sn > 64 ? 64 : sn), p);
        return AG_EINVAL;
    }
    ag_synth_defaults(out, shape);
    p = colon ? colon + 1 : p + sn;
    while (colon && *p) {
        const char *end = strchr(p, ','), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p), kl, vl;
        char key[32], val[256];
        const ag__synth_key *k = NULL;
        size_t ki;

        eq = memchr(p, '=', len);
        if (len == 0) {
            ag_errinfo_set(ei, "synth spec: empty parameter (a stray ',') at offset %zu",
                           (size_t)(p - spec));
            return AG_EINVAL;
        }
        if (!eq) {
            ag_errinfo_set(ei, "synth spec: parameter '%.*s' has no '=value'",
                           (int)(len > 64 ? 64 : len), p);
            return AG_EINVAL;
        }
        kl = (size_t)(eq - p);
        vl = len - kl - 1;
        if (kl == 0) {
            ag_errinfo_set(ei, "synth spec: parameter '%.*s' has no key before '='",
                           (int)(len > 64 ? 64 : len), p);
            return AG_EINVAL;
        }
        if (kl < sizeof key) {
            memcpy(key, p, kl);
            key[kl] = '\0';
            for (ki = 0; ki < ag__synth_nkeys; ki++)
                if (strcmp(ag__synth_keys[ki].name, key) == 0) {
                    k = &ag__synth_keys[ki];
                    break;
                }
        }
        if (!k) {
            own_keys(shape, own, sizeof own);
            ag_errinfo_set(ei,
                           "synth spec: unknown key '%.*s' (%s takes %s and the common keys, "
                           "see docs/synthetic.md)",
                           (int)(kl > 64 ? 64 : kl), p, shape_names[shape], own);
            return AG_EINVAL;
        }
        if (!(k->shapes & (1u << shape))) {
            own_keys(shape, own, sizeof own);
            ag_errinfo_set(ei, "synth spec: key '%s' does not apply to shape '%s' (it takes %s)",
                           k->name, shape_names[shape], own);
            return AG_EINVAL;
        }
        if (seen[ki]) {
            ag_errinfo_set(ei, "synth spec: key '%s' given twice", k->name);
            return AG_EINVAL;
        }
        seen[ki] = 1;
        if (vl == 0) {
            ag_errinfo_set(ei, "synth spec: empty value for '%s': expected %s", k->name, k->want);
            return AG_EINVAL;
        }
        if (vl >= sizeof val) {
            ag_errinfo_set(ei, "synth spec: value for '%s' is too long: expected %s", k->name,
                           k->want);
            return AG_EINVAL;
        }
        memcpy(val, eq + 1, vl);
        val[vl] = '\0';
        if (!set_key(out, k, val, &noise)) {
            ag_errinfo_set(ei, "synth spec: bad value '%s' for '%s': expected %s", val, k->name,
                           k->want);
            return AG_EINVAL;
        }
        if (k->kind == AG__SK_NOISE) {
            if (!(noise >= k->lo && noise <= k->hi)) {
                ag_errinfo_set(ei, "synth spec: value '%s' for '%s' is out of range: expected %s",
                               val, k->name, k->want);
                return AG_EINVAL;
            }
        } else if ((rc = check_key(out, k, val, ei)) != AG_OK) {
            return rc;
        }
        if (!end)
            break;
        p = end + 1;
        if (!*p) {
            ag_errinfo_set(ei, "synth spec: empty parameter (a stray ',') at the end");
            return AG_EINVAL;
        }
    }
    /* "noise" is for the resources without a key of their own, whatever the order. */
    for (size_t i = 0; i < ag__synth_nkeys; i++) {
        const ag__synth_key *k = &ag__synth_keys[i];
        if (k->kind != AG__SK_NOISE || !seen[i])
            continue;
        for (size_t j = 0; j < ag__synth_nkeys; j++) {
            const ag__synth_key *o = &ag__synth_keys[j];
            if (o->kind == AG__SK_NUM && !seen[j] &&
                (o->off == OFF(noise[AG_CPU]) || o->off == OFF(noise[AG_MEMORY])))
                *FIELD(out, o, double) = noise;
        }
    }
    return check_cross(out, ei);
}
