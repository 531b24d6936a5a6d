/*
 * source/trace_google.c - the Google Borg traces:
 *
 *   clusterdata-2011 task_usage (CSV without a header, 20 columns: start
 *   and end time in microseconds, job ID, task index, machine ID, mean CPU
 *   rate, canonical memory, ...);
 *   clusterdata-2019 instance_usage, as exported from BigQuery: CSV with a
 *   header (average_usage.cpus or average_usage_cpus) or JSON lines
 *   ({"start_time":"...","collection_id":"...","average_usage":{"cpus":..}}),
 *   where BigQuery writes 64-bit integers as strings.
 *
 * CPU and memory are normalised to the largest machine and scaled by the
 * stated capacity. A sample is stamped at the end of its measurement
 * window, as a rate over a window is in Prometheus. A job's tasks are the
 * replicas of one workload: owner Job "job<id>", pods "job<id>-<index>",
 * container "task" (alloc sets of 2019: AllocSet "alloc<id>", container
 * "alloc"). The ids carry no '-' before the digits on purpose: finish()
 * reads a Job named "<name>-<8+ digits>" as a CronJob's.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "augur/source.h"
#include "source/trace_int.h"

/* An integer cell: unsigned digits, or a JSON/CSV number with an exact
 * integer value. 0 when read, 1 when missing, -1 when invalid. */
static int int_cell(const ag__tr_field *f, int64_t *out)
{
    double d;
    int r;

    if (ag__tr_u64(f->p, f->n, out) == 0)
        return 0;
    r = ag__tr_num(f, &d);
    if (r != 0)
        return r;
    if (!(d >= 0 && d < 9e15 && d == floor(d)))
        return -1;
    *out = (int64_t)d;
    return 0;
}

/* Stores one usage record. t_us: microseconds of trace time. */
static ag_err emit(ag__tr *o, const char *s, size_t n, int64_t t_us, int64_t id, int64_t idx,
                   int alloc, double cpu, double mem, double assigned)
{
    char owner[48], pod[72];
    ag_container *c;
    int64_t t;
    ag_err rc;

    if (ag__tr_add(o->t0_ms, t_us / 1000, &t) != 0) {
        ag__tr_bad(o, s, n, "time out of range");
        return AG_OK;
    }
    snprintf(owner, sizeof owner, "%s%lld", alloc ? "alloc" : "job", (long long)id);
    snprintf(pod, sizeof pod, "%s-%lld", owner, (long long)idx);
    c = ag__tr_container(o, pod, alloc ? "alloc" : "task", alloc ? "AllocSet" : "Job", owner);
    if (!c)
        return AG_ENOMEM;
    if (!isnan(cpu) && (rc = ag__tr_push(c, AG_CPU, t, cpu * o->cores)) != AG_OK)
        return rc;
    if (!isnan(mem) && (rc = ag__tr_push(c, AG_MEMORY, t, mem * o->mem)) != AG_OK)
        return rc;
    /* 2019's assigned_memory is the instance's memory limit (0 = none). */
    if (assigned > 0)
        ag__rd_set_spec(c, 1, AG_MEMORY, assigned * o->mem, t, o->st);
    return AG_OK;
}

/* ---- 2011 task_usage ---------------------------------------------------- */

enum {
    G11_START,
    G11_END,
    G11_JOB,
    G11_TASK,
    G11_MACHINE,
    G11_CPU, /* mean CPU usage rate */
    G11_MEM, /* canonical memory usage */
    G11_NEEDED
};

ag_err ag__tr_google2011_line(ag__tr *o, const char *s, size_t n)
{
    int64_t start, end, job, task;
    double cpu, mem;
    int r;

    if (ag__tr_split(o, s, n, ',') != 0)
        return AG_ENOMEM;
    if (o->nf < G11_NEEDED) {
        ag__tr_bad(o, s, n, "row has %zu field%s, task_usage has 20 (at least %d)", o->nf,
                   o->nf == 1 ? "" : "s", G11_NEEDED);
        return AG_OK;
    }
    if (ag__tr_u64(o->f[G11_START].p, o->f[G11_START].n, &start) != 0) {
        ag__tr_bad(o, o->f[G11_START].p, o->f[G11_START].n, "invalid start time (microseconds)");
        return AG_OK;
    }
    r = int_cell(&o->f[G11_END], &end);
    if (r < 0) {
        ag__tr_bad(o, o->f[G11_END].p, o->f[G11_END].n, "invalid end time (microseconds)");
        return AG_OK;
    }
    if (r > 0)
        end = start;
    if (ag__tr_u64(o->f[G11_JOB].p, o->f[G11_JOB].n, &job) != 0) {
        ag__tr_bad(o, o->f[G11_JOB].p, o->f[G11_JOB].n, "invalid job ID");
        return AG_OK;
    }
    if (ag__tr_u64(o->f[G11_TASK].p, o->f[G11_TASK].n, &task) != 0) {
        ag__tr_bad(o, o->f[G11_TASK].p, o->f[G11_TASK].n, "invalid task index");
        return AG_OK;
    }
    r = ag__tr_num(&o->f[G11_CPU], &cpu);
    if (r < 0) {
        ag__tr_bad(o, o->f[G11_CPU].p, o->f[G11_CPU].n, "invalid mean CPU usage rate");
        return AG_OK;
    }
    if (r > 0)
        cpu = NAN;
    r = ag__tr_num(&o->f[G11_MEM], &mem);
    if (r < 0) {
        ag__tr_bad(o, o->f[G11_MEM].p, o->f[G11_MEM].n, "invalid canonical memory usage");
        return AG_OK;
    }
    if (r > 0)
        mem = NAN;
    return emit(o, s, n, end, job, task, 0, cpu, mem, NAN);
}

/* ---- 2019 instance_usage ------------------------------------------------ */

static const char *const g19_names[AG__G19_N] = {
    "start_time",      "end_time",           "collection_id",        "instance_index",
    "collection_type", "average_usage_cpus", "average_usage_memory", "assigned_memory",
};

/* 1 when f names role k: any case, '.' and '_' alike. */
static int g19_is(const char *p, size_t n, int k)
{
    const char *w = g19_names[k];
    size_t i;

    if (strlen(w) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char a = p[i] == '.' ? '_' : p[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != w[i])
            return 0;
    }
    return 1;
}

/* The role of a (top-level, or nested under average_usage when nested)
 * key; -1 for the others. */
static int g19_role(const char *p, size_t n, int nested)
{
    int k;

    if (nested) {
        if (n == 4 && memcmp(p, "cpus", 4) == 0)
            return AG__G19_CPU;
        if (n == 6 && memcmp(p, "memory", 6) == 0)
            return AG__G19_MEM;
        return -1;
    }
    for (k = 0; k < AG__G19_N; k++)
        if (g19_is(p, n, k))
            return k;
    return -1;
}

/* One record, its cells by role (n == 0 when absent). */
static ag_err g19_record(ag__tr *o, const char *s, size_t n, const ag__tr_field *v)
{
    int64_t t_us, id, idx, ctype = 0;
    double cpu, mem, assigned;
    int r;

    r = int_cell(&v[AG__G19_END], &t_us);
    if (r > 0)
        r = int_cell(&v[AG__G19_START], &t_us);
    if (r != 0) {
        ag__tr_bad(o, s, n, "%s start_time / end_time (microseconds)", r > 0 ? "no" : "invalid");
        return AG_OK;
    }
    if ((r = int_cell(&v[AG__G19_CID], &id)) != 0) {
        ag__tr_bad(o, s, n, "%s collection_id", r > 0 ? "no" : "invalid");
        return AG_OK;
    }
    if ((r = int_cell(&v[AG__G19_IDX], &idx)) != 0) {
        ag__tr_bad(o, s, n, "%s instance_index", r > 0 ? "no" : "invalid");
        return AG_OK;
    }
    if (int_cell(&v[AG__G19_CTYPE], &ctype) < 0) {
        ag__tr_bad(o, s, n, "invalid collection_type");
        return AG_OK;
    }
    if ((r = ag__tr_num(&v[AG__G19_CPU], &cpu)) < 0) {
        ag__tr_bad(o, s, n, "invalid average_usage.cpus");
        return AG_OK;
    }
    if (r > 0)
        cpu = NAN;
    if ((r = ag__tr_num(&v[AG__G19_MEM], &mem)) < 0) {
        ag__tr_bad(o, s, n, "invalid average_usage.memory");
        return AG_OK;
    }
    if (r > 0)
        mem = NAN;
    if ((r = ag__tr_num(&v[AG__G19_ASSIGNED], &assigned)) < 0) {
        ag__tr_bad(o, s, n, "invalid assigned_memory");
        return AG_OK;
    }
    if (r > 0)
        assigned = NAN;
    return emit(o, s, n, t_us, id, idx, ctype == 1, cpu, mem, assigned);
}

/* A small JSON scanner for one object per line: it keeps the scalars of
 * the keys above (and of average_usage's cpus and memory) as raw slices,
 * checks the syntax of the rest and skips it. */
typedef struct js {
    const char *s;
    size_t n, p;
    const char *why;
    ag__tr_field *v;
} js;

#define JS_MAX_DEPTH 32

static void js_ws(js *j)
{
    while (j->p < j->n &&
           (j->s[j->p] == ' ' || j->s[j->p] == '\t' || j->s[j->p] == '\r' || j->s[j->p] == '\n'))
        j->p++;
}

static int js_fail(js *j, const char *why)
{
    if (!j->why)
        j->why = why;
    return -1;
}

/* A string; *out is its raw content (escapes kept). */
static int js_string(js *j, ag__tr_field *out)
{
    size_t a;

    if (j->p >= j->n || j->s[j->p] != '"')
        return js_fail(j, "expected a string");
    a = ++j->p;
    while (j->p < j->n && j->s[j->p] != '"') {
        unsigned char c = (unsigned char)j->s[j->p];
        if (c < 0x20)
            return js_fail(j, "control character in a string");
        j->p += (c == '\\') ? 2 : 1;
    }
    if (j->p >= j->n)
        return js_fail(j, "unterminated string");
    out->p = j->s + a;
    out->n = j->p - a;
    j->p++;
    return 0;
}

/* A number, true, false or null. */
static int js_scalar(js *j, ag__tr_field *out)
{
    size_t a = j->p;
    double d;

    while (j->p < j->n) {
        char c = j->s[j->p];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
              c == '.' || c == 'E'))
            break;
        j->p++;
    }
    out->p = j->s + a;
    out->n = j->p - a;
    if (ag__tr_is(out, "null") || ag__tr_is(out, "true") || ag__tr_is(out, "false"))
        return 0;
    /* JSON has no NaN or Inf; the cell parser would accept them. */
    if (out->n == 0 || (out->p[0] != '-' && (out->p[0] < '0' || out->p[0] > '9')) ||
        ag__rd_parse_double(out->p, out->n, &d) != 0)
        return js_fail(j, "invalid value");
    return 0;
}

static int js_object(js *j, int depth, int nested);

static int js_value(js *j, int depth, ag__tr_field *slot, int nested_obj)
{
    ag__tr_field tmp;

    if (depth > JS_MAX_DEPTH)
        return js_fail(j, "nested too deeply");
    js_ws(j);
    if (j->p >= j->n)
        return js_fail(j, "expected a value");
    switch (j->s[j->p]) {
    case '{':
        return js_object(j, depth + 1, nested_obj);
    case '[':
        j->p++;
        js_ws(j);
        if (j->p < j->n && j->s[j->p] == ']') {
            j->p++;
            return 0;
        }
        for (;;) {
            if (js_value(j, depth + 1, NULL, -1) != 0)
                return -1;
            js_ws(j);
            if (j->p < j->n && j->s[j->p] == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->n && j->s[j->p] == ']') {
                j->p++;
                return 0;
            }
            return js_fail(j, "expected ',' or ']'");
        }
    case '"':
        return js_string(j, slot ? slot : &tmp);
    default:
        return js_scalar(j, slot ? slot : &tmp);
    }
}

/* nested: 0 at the top level (keys by role), 1 inside average_usage,
 * -1 anywhere else (nothing kept). */
static int js_object(js *j, int depth, int nested)
{
    if (depth > JS_MAX_DEPTH)
        return js_fail(j, "nested too deeply");
    js_ws(j);
    if (j->p >= j->n || j->s[j->p] != '{')
        return js_fail(j, "expected '{'");
    j->p++;
    js_ws(j);
    if (j->p < j->n && j->s[j->p] == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        ag__tr_field key;
        int role = -1, sub = -1;

        js_ws(j);
        if (js_string(j, &key) != 0)
            return -1;
        js_ws(j);
        if (j->p >= j->n || j->s[j->p] != ':')
            return js_fail(j, "expected ':'");
        j->p++;
        if (nested >= 0)
            role = g19_role(key.p, key.n, nested);
        if (nested == 0 && key.n == 13 && memcmp(key.p, "average_usage", 13) == 0)
            sub = 1;
        js_ws(j);
        if (role >= 0 && j->p < j->n && j->s[j->p] != '{' && j->s[j->p] != '[') {
            if (js_value(j, depth + 1, &j->v[role], -1) != 0)
                return -1;
        } else if (js_value(j, depth + 1, NULL, sub) != 0) {
            return -1;
        }
        js_ws(j);
        if (j->p < j->n && j->s[j->p] == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->n && j->s[j->p] == '}') {
            j->p++;
            return 0;
        }
        return js_fail(j, "expected ',' or '}'");
    }
}

static ag_err g19_json(ag__tr *o, const char *s, size_t n)
{
    ag__tr_field v[AG__G19_N];
    js j;

    memset(v, 0, sizeof v);
    memset(&j, 0, sizeof j);
    j.s = s;
    j.n = n;
    j.v = v;
    if (js_object(&j, 0, 0) == 0) {
        js_ws(&j);
        if (j.p < j.n)
            js_fail(&j, "text after the JSON object");
    }
    if (j.why) {
        size_t at = j.p < n ? j.p : n;
        ag__tr_bad(o, s + at, n - at, "invalid JSON: %s", j.why);
        return AG_OK;
    }
    return g19_record(o, s, n, v);
}

/* Google 2019 modes. */
enum { G19_FIRST = 0, G19_CSV = 1, G19_JSON = 2 };

static ag_err g19_header(ag__tr *o)
{
    double d;
    size_t i;
    int k;

    for (k = 0; k < AG__G19_N; k++)
        o->g19[k] = -1;
    if (o->nf > 0 && ag__tr_num(&o->f[0], &d) == 0) {
        ag_errinfo_set(o->ei,
                       "%s:%llu: instance_usage CSV without a header (expected start_time,"
                       "end_time,collection_id,instance_index,...,average_usage.cpus,"
                       "average_usage.memory,...)",
                       o->w.name, (unsigned long long)o->line);
        return AG_EPARSE;
    }
    for (i = 0; i < o->nf; i++) {
        k = g19_role(o->f[i].p, o->f[i].n, 0);
        if (k >= 0 && o->g19[k] < 0)
            o->g19[k] = (int)i;
    }
    k = o->g19[AG__G19_CID] < 0                                  ? AG__G19_CID
        : o->g19[AG__G19_IDX] < 0                                ? AG__G19_IDX
        : (o->g19[AG__G19_START] < 0 && o->g19[AG__G19_END] < 0) ? AG__G19_END
        : (o->g19[AG__G19_CPU] < 0 && o->g19[AG__G19_MEM] < 0)   ? AG__G19_CPU
                                                                 : -1;
    if (k >= 0) {
        ag_errinfo_set(o->ei, "%s:%llu: the instance_usage header lacks the column '%s'", o->w.name,
                       (unsigned long long)o->line, g19_names[k]);
        return AG_EPARSE;
    }
    o->hdr_nf = o->nf;
    return AG_OK;
}

ag_err ag__tr_google2019_line(ag__tr *o, const char *s, size_t n)
{
    ag__tr_field v[AG__G19_N];
    int k;

    if (o->mode == G19_FIRST && n > 0 && s[0] == '{')
        o->mode = G19_JSON;
    if (o->mode == G19_JSON) {
        if (n == 0 || s[0] != '{') {
            ag__tr_bad(o, s, n, "expected a JSON object");
            return AG_OK;
        }
        return g19_json(o, s, n);
    }
    if (ag__tr_split(o, s, n, ',') != 0)
        return AG_ENOMEM;
    if (o->mode == G19_FIRST) {
        o->mode = G19_CSV;
        return g19_header(o);
    }
    if (o->nf != o->hdr_nf) {
        ag__tr_bad(o, s, n, "row has %zu field%s, the header has %zu", o->nf, o->nf == 1 ? "" : "s",
                   o->hdr_nf);
        return AG_OK;
    }
    memset(v, 0, sizeof v);
    for (k = 0; k < AG__G19_N; k++)
        if (o->g19[k] >= 0)
            v[k] = o->f[o->g19[k]];
    return g19_record(o, s, n, v);
}
