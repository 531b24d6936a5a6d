/*
 * tests/report/report_fixture.h - a hand-made set of recommendations for
 * the report tests and tests/report/test_emit_yaml.c (which also makes
 * the examples of docs/output.md).
 *
 * Two namespaces; a container whose current CPU request is unknown; a
 * memory resource with no data and a CPU resource with too little; a
 * bare Pod; a container name that needs escaping in JSON and YAML; a
 * CronJob (patched through its job template) and a CronJob-less Job.
 *
 * Also the small validating JSON parser test_report.c and
 * test_backtest.c check their JSON output with.
 */
#ifndef AG_REPORT_FIXTURE_H
#define AG_REPORT_FIXTURE_H

#include <ctype.h>
#include <math.h>
#include <string.h>
#include "augur/report.h"

#define MI 1048576.0
#define GI 1073741824.0

enum { FX_N = 6 };

typedef struct fixture {
    ag_wcontainer wc[FX_N];
    ag_report_item items[FX_N];
} fixture;

static inline void fx_wc(ag_wcontainer *wc, const char *ns, const char *kind, const char *name,
                         const char *container, size_t pods, double req_cpu, double req_mem,
                         double lim_cpu, double lim_mem)
{
    memset(wc, 0, sizeof *wc);
    wc->ns = ns;
    wc->kind = kind;
    wc->name = name;
    wc->container = container;
    wc->n = pods;
    wc->request[0] = req_cpu;
    wc->request[1] = req_mem;
    wc->limit[0] = lim_cpu;
    wc->limit[1] = lim_mem;
}

/* target, lower, upper, uncapped, limit of one resource, status OK. */
static inline void fx_res(ag_rec *rec, int r, double target, double lower, double upper,
                          double uncapped, double limit)
{
    rec->res[r].target = target;
    rec->res[r].lower = lower;
    rec->res[r].upper = upper;
    rec->res[r].uncapped = uncapped;
    rec->res[r].limit = limit;
    rec->status[r] = AG_REC_OK;
}

static inline void fx_none(ag_rec *rec, int r, ag_rec_status st)
{
    rec->res[r].target = rec->res[r].lower = rec->res[r].upper = NAN;
    rec->res[r].uncapped = rec->res[r].limit = NAN;
    rec->status[r] = st;
}

static inline void fx_init(fixture *fx)
{
    ag_rec *r;

    memset(fx, 0, sizeof *fx);
    /* 0: shop api/app: CPU down from 1 to 251m (0.2504 rounds up), memory
     * down from 1Gi to 301Mi (a fraction of a byte above 300Mi). */
    fx_wc(&fx->wc[0], "shop", "Deployment", "api", "app", 3, 1.0, GI, 2.0, 2 * GI);
    r = &fx->items[0].rec;
    fx_res(r, 0, 0.2504, 0.1, 0.5, 0.2504, NAN);
    fx_res(r, 1, 300 * MI + 0.4, 200 * MI, 512 * MI, 300 * MI + 0.4, 600 * MI);
    /* 1: shop api/side"car\: CPU request unknown ("new"), memory no data. */
    fx_wc(&fx->wc[1], "shop", "Deployment", "api", "side\"car\\", 3, NAN, 128 * MI, NAN, NAN);
    r = &fx->items[1].rec;
    fx_res(r, 0, 0.1, 0.05, 0.2, 0.1, NAN);
    fx_none(r, 1, AG_REC_NO_DATA);
    /* 2: default debug (a bare Pod): CPU up 500m -> 600m, memory 256Mi -> 200Mi. */
    fx_wc(&fx->wc[2], "default", "Pod", "debug", "shell", 1, 0.5, 256 * MI, NAN, NAN);
    r = &fx->items[2].rec;
    fx_res(r, 0, 0.6, 0.5, 0.9, 0.6, NAN);
    fx_res(r, 1, 200 * MI, 150 * MI, 300 * MI, 200 * MI, NAN);
    /* 3: shop db/postgres: CPU not enough data, memory 4Gi -> 3Gi. */
    fx_wc(&fx->wc[3], "shop", "StatefulSet", "db", "postgres", 2, 2.0, 4 * GI, NAN, 4 * GI);
    r = &fx->items[3].rec;
    fx_none(r, 0, AG_REC_NOT_ENOUGH);
    fx_res(r, 1, 3 * GI, 2.5 * GI, 3.5 * GI, 3 * GI, 3 * GI);
    /* 4: shop report (CronJob): CPU 100m -> 25m, memory 64Mi -> 100Mi. */
    fx_wc(&fx->wc[4], "shop", "CronJob", "report", "main", 1, 0.1, 64 * MI, NAN, NAN);
    r = &fx->items[4].rec;
    fx_res(r, 0, 0.025, 0.025, 0.05, 0.01, NAN);
    fx_res(r, 1, 100 * MI, 100 * MI, 120 * MI, 80 * MI, NAN);
    /* 5: default migrate (a Job): no data at all. */
    fx_wc(&fx->wc[5], "default", "Job", "migrate", "migrate", 1, 0.2, 128 * MI, NAN, NAN);
    r = &fx->items[5].rec;
    fx_none(r, 0, AG_REC_NO_DATA);
    fx_none(r, 1, AG_REC_NO_DATA);

    for (int i = 0; i < FX_N; i++) {
        fx->items[i].wc = &fx->wc[i];
        fx->items[i].rec.confidence_days = NAN;
    }
}

/* ---- a small validating JSON parser (RFC 8259 grammar) ----
 *
 * For test_report.c and test_backtest.c. Each js_ function takes a
 * pointer into a NUL-terminated text (the caller's) and returns the
 * pointer just past what it read, into the same text, or NULL when that
 * is not valid JSON. */

/* Past any JSON white space (never NULL). */
static inline const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static inline const char *js_value(const char *p, int depth);

/* Past one string literal, quotes included. */
static inline const char *js_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p && *p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return *p == '"' ? p + 1 : NULL;
}

/* Past one number. */
static inline const char *js_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (isdigit((unsigned char)*p))
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p;
}

/* Past the members of the object (object 1) or the elements of the
 * array that *p opens, through close. */
static inline const char *js_items(const char *p, char close, int object, int depth)
{
    p = js_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = js_string(js_ws(p));
            if (!p || *(p = js_ws(p)) != ':')
                return NULL;
            p++;
        }
        p = js_value(p, depth + 1);
        if (!p)
            return NULL;
        p = js_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

/* Past one value, leading white space included, nested at most 64 deep. */
static inline const char *js_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = js_ws(p);
    switch (*p) {
    case '{':
        return js_items(p, '}', 1, depth);
    case '[':
        return js_items(p, ']', 0, depth);
    case '"':
        return js_string(p);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return js_number(p);
    }
}

/* 1 when s (the caller's) is exactly one JSON value, white space aside;
 * 0 otherwise. */
static inline int json_valid(const char *s)
{
    const char *p = js_value(s, 0);
    return p && *js_ws(p) == '\0';
}

#endif
