/*
 * source/prom_json.c - streaming parser of Prometheus HTTP API responses.
 *
 * A query_range answer for a large cluster is hundreds of megabytes of
 * JSON, almost all of it [timestamp,"value"] pairs. This is a push parser:
 * prom.c feeds it every chunk curl receives, a tokenizer keeps only the one
 * token that may straddle two chunks, and a small stack of frames knows
 * where in the API envelope each token sits ("data" > "result" > series >
 * "values" > pair). Samples go straight into the dataset; no tree is ever
 * built and the body is never held whole. Keys may come in any order: when
 * "values" precede "metric", the samples wait in a small pending array.
 *
 * The hot path is the pair: a fast lexer handles the compact form
 * Prometheus emits ([1700000000.123,"0.25"]) in one pass, and numbers with
 * at most 15 significant digits are converted exactly without strtod.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/prom_int.h"
#include "source/read_int.h"
#include "util/alloc.h"

enum role {
    R_SKIP,
    R_TOP,
    R_DATA,
    R_RESULT,
    R_SERIES,
    R_METRIC,
    R_VALUES,
    R_PAIR,
    R_WARN,
    R_INFO,
    R_NAMES
};
enum key {
    K_OTHER,
    K_STATUS,
    K_DATA,
    K_ERRTYPE,
    K_ERROR,
    K_WARNINGS,
    K_INFOS,
    K_RTYPE,
    K_RESULT,
    K_METRIC,
    K_VALUES,
    K_VALUE
};
/* Grammar states: what a frame expects next. */
enum st { S_KEY_OR_END, S_KEY, S_COLON, S_VALUE, S_COMMA_OR_END, S_VAL_OR_END };
/* Series targets. */
enum { T_NONE = 0, T_CONT = 1, T_SCALAR = 2, T_SKIP = -1 };

#define MAX_BARE 64 /* longest number / literal token */

/* ---- messages ---------------------------------------------------------- */

static ag_err fail(ag__prom_parser *p, ag_err code, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ag_err fail(ag__prom_parser *p, ag_err code, uint64_t at, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    if (p->err)
        return p->err;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ag_errinfo_set(p->ei, "%s: byte %llu: %s", p->what, (unsigned long long)at, msg);
    p->err = code;
    return code;
}

static void warnf(ag__prom_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(ag__prom_parser *p, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if ((*p->nwarn)++ >= p->max_warnings)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->warn)
        p->warn(p->warn_ud, msg);
    else
        fprintf(stderr, "augur: warning: %s\n", msg);
}

/* ---- numbers ----------------------------------------------------------- */

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n && lit[i]; i++)
        if ((s[i] | 0x20) != lit[i])
            return 0;
    return i == n && lit[i] == '\0';
}

static int slow_double(const char *s, size_t n, double *out)
{
    char tmp[400];
    char *end;

    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, &end);
    return end == tmp + n ? 0 : -1;
}

int ag__prom_parse_value(const char *s, size_t n, double *out)
{
    size_t i = 0, ndig = 0, sig = 0;
    uint64_t m = 0;
    int neg = 0, exp10 = 0, many = 0;

    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    if (i < n && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') {
        if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return 0;
        }
        if (i == 0 && ieq(s, n, "nan")) {
            *out = NAN;
            return 0;
        }
        return -1;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
        if (m == 0 && s[i] == '0')
            continue; /* leading zeros are not significant */
        if (sig < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            sig++;
        } else {
            many = 1;
            exp10++;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
            if (m == 0 && s[i] == '0') {
                exp10--;
                continue;
            }
            if (sig < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                sig++;
                exp10--;
            } else {
                many = 1;
            }
        }
    }
    if (ndig == 0)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, e = 0, edig = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        if (edig == 0)
            return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return -1;
    /* Clinger's fast path: m and 10^|e| are exact doubles, so one IEEE
     * operation gives the correctly rounded result, as strtod would. */
    if (!many && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    return slow_double(s, n, out);
}

int ag__prom_parse_time(const char *s, size_t n, int64_t *out_ms)
{
    size_t i = 0, nd = 0;
    int64_t sec = 0, ms = 0;
    int neg = 0, fd = 0;

    if (n > 0 && s[0] == '-') {
        neg = 1;
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
        if (sec >= 100000000000000LL)
            return -1; /* far beyond any real timestamp: below 1e15 s, as the
                          exponent form, so that sec * 1000 cannot overflow */
        sec = sec * 10 + (s[i] - '0');
    }
    if (nd == 0)
        return -1;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, fd++) {
            if (fd < 3)
                ms = ms * 10 + (s[i] - '0');
            else if (fd == 3 && s[i] >= '5')
                ms++; /* round half up on the first dropped digit */
        }
        if (fd == 0)
            return -1;
        for (int k = fd; k < 3; k++)
            ms *= 10;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        double d;
        if (slow_double(s, n, &d) != 0 || !(fabs(d) < 1e15))
            return -1;
        *out_ms = (int64_t)llround(d * 1000.0);
        return 0;
    }
    if (i != n)
        return -1;
    *out_ms = neg ? -(sec * 1000 + ms) : sec * 1000 + ms;
    return 0;
}

static int is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t d;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    return i == n;
}

/* ---- OOM counter carry-over -------------------------------------------- */

static size_t ptr_hash(const void *c, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)c * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static ag__prom_oomslot *oom_find(ag__prom_oommap *m, const ag_container *c)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = ptr_hash(c, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->s[i].c == c)
            return &m->s[i];
        if (!m->s[i].c)
            return NULL;
    }
}

static ag_err oom_store(ag__prom_oommap *m, const ag_container *c, double v)
{
    ag__prom_oomslot *s = oom_find(m, c);
    size_t i;

    if (s) {
        s->v = v;
        return AG_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        ag__prom_oomslot *ns = ag__calloc(ncap, sizeof *ns);
        if (!ns)
            return AG_ENOMEM;
        for (size_t k = 0; k < m->cap; k++) {
            if (!m->s[k].c)
                continue;
            for (i = ptr_hash(m->s[k].c, ncap); ns[i].c; i = (i + 1) & (ncap - 1)) {
            }
            ns[i] = m->s[k];
        }
        ag__free(m->s);
        m->s = ns;
        m->cap = ncap;
    }
    for (i = ptr_hash(c, m->cap); m->s[i].c; i = (i + 1) & (m->cap - 1)) {
    }
    m->s[i].c = c;
    m->s[i].v = v;
    m->n++;
    return AG_OK;
}

void ag__prom_oommap_free(ag__prom_oommap *m)
{
    ag__free(m->s);
    m->s = NULL;
    m->n = m->cap = 0;
}

/* ---- series ------------------------------------------------------------ */

static const char *label(const ag__prom_parser *p, const char *name)
{
    const char *s = p->lab.p;
    for (size_t i = 0; i < p->nlab; i++) {
        const char *v = s + strlen(s) + 1;
        if (strcmp(s, name) == 0)
            return v;
        s = v + strlen(v) + 1;
    }
    return NULL;
}

static int wanted_label(const ag__prom_parser *p, const char *k, size_t n)
{
#define KEYIS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)
    if (KEYIS("namespace") || KEYIS("pod"))
        return 1;
    switch (p->kind) {
    case AG_PROM_LABELS:
        return n > 6 && memcmp(k, "label_", 6) == 0;
    case AG_PROM_OWNER:
        return KEYIS("owner_kind") || KEYIS("owner_name");
    case AG_PROM_REQUESTS:
    case AG_PROM_LIMITS:
        return KEYIS("container") || KEYIS("resource");
    default:
        return KEYIS("container");
    }
#undef KEYIS
}

static ag_err add_label(ag__prom_parser *p, const char *v, size_t n, uint64_t at)
{
    ag_err rc;

    if (!wanted_label(p, p->key.p, p->key.len))
        return AG_OK;
    if (p->nlab >= AG__PROM_MAX_LABELS)
        return fail(p, AG_ETOOBIG, at, "more than %d labels in one series", AG__PROM_MAX_LABELS);
    rc = ag__buf_append(&p->lab, p->key.p, p->key.len + 1);
    if (rc == AG_OK)
        rc = ag__buf_append(&p->lab, v, n);
    if (rc == AG_OK)
        rc = ag__buf_append(&p->lab, "", 1);
    if (rc != AG_OK)
        return fail(p, rc, at, "labels of one series too large");
    p->nlab++;
    return AG_OK;
}

static void series_begin(ag__prom_parser *p)
{
    ag__buf_reset(&p->lab);
    p->nlab = 0;
    p->have_metric = 0;
    p->target = T_NONE;
    p->cont = NULL;
    p->pending.n = 0;
    p->oom_last = NAN;
    p->res = -1;
    p->nseries++;
}

static ag_err resolve_labels(ag__prom_parser *p, uint64_t at)
{
    const char *ns = label(p, "namespace"), *pod = label(p, "pod");
    int r = 0;

    p->target = T_SKIP;
    if (p->kind == AG_PROM_SCALAR) {
        if (p->nseries > 1)
            return fail(p, AG_EPARSE, at, "expected a single number, got several series");
        p->target = T_SCALAR;
        return AG_OK;
    }
    if (!p->ds || p->kind == AG__PROM_ENVELOPE || p->kind == AG__PROM_LABEL_VALUES)
        return AG_OK;
    if (!ns || !pod || !*ns || !*pod) {
        p->st->malformed++;
        warnf(p, "%s: series without namespace/pod labels skipped", p->what);
        return AG_OK;
    }
    if (p->kind == AG_PROM_OWNER) {
        const char *k = label(p, "owner_kind"), *n = label(p, "owner_name");
        if (k && n && *k && *n && strcmp(k, "<none>") != 0 &&
            ag_dataset_set_owner(p->ds, ns, pod, k, n) != AG_OK)
            return fail(p, AG_ENOMEM, at, "out of memory");
        return AG_OK;
    }
    if (p->kind == AG_PROM_LABELS) {
        const char *s = p->lab.p;
        for (size_t i = 0; i < p->nlab; i++) {
            const char *v = s + strlen(s) + 1;
            if (strncmp(s, "label_", 6) == 0 &&
                ag_dataset_set_pod_label(p->ds, ns, pod, s + 6, v) != AG_OK)
                return fail(p, AG_ENOMEM, at, "out of memory");
            s = v + strlen(v) + 1;
        }
        return AG_OK;
    }
    {
        const char *c = label(p, "container");
        if (!c || !*c || strcmp(c, "POD") == 0)
            return AG_OK; /* pod-level cgroup or pause container */
        if (p->kind == AG_PROM_REQUESTS || p->kind == AG_PROM_LIMITS) {
            const char *res = label(p, "resource");
            if (!res)
                return AG_OK;
            if (ag__rd_resource(res) < 0)
                return AG_OK; /* ephemeral-storage, GPUs, ... */
            r = (ag_resource)ag__rd_resource(res);
            p->res = r;
        }
        p->cont = ag_dataset_container(p->ds, ns, pod, c);
        if (!p->cont)
            return fail(p, AG_ENOMEM, at, "out of memory");
    }
    if (p->kind == AG_PROM_OOM_COUNTER) {
        ag__prom_oomslot *s = oom_find(p->oom, p->cont);
        p->oom_last = s ? s->v : NAN;
    }
    p->target = T_CONT;
    return AG_OK;
}

/* The working set just before an OOM kill: the newest memory sample at or
 * before t within 5 minutes, else 0 (unknown). ag_prom_fetch() reads
 * memory before OOM counters so this is known. */
static double memory_at(const ag_container *c, int64_t t)
{
    const ag_samples *s = &c->usage[AG_MEMORY];
    int64_t best_t = INT64_MIN;
    double best = 0;

    for (size_t i = s->n; i-- > 0;) {
        const ag_sample *x = &s->v[i];
        if (x->t_ms <= t && x->t_ms > best_t && t - x->t_ms <= 300000 && isfinite(x->v) &&
            x->v >= 0) {
            best_t = x->t_ms;
            best = x->v;
        }
    }
    return best;
}

static ag_err apply(ag__prom_parser *p, int64_t t, double v, uint64_t at)
{
    ag_container *c = p->cont;
    ag_err rc = AG_OK;

    switch (p->kind) {
    case AG_PROM_CPU_RATE:
        rc = ag_samples_push(&c->usage[AG_CPU], t, v);
        break;
    case AG_PROM_MEMORY:
        rc = ag_samples_push(&c->usage[AG_MEMORY], t, v);
        break;
    case AG_PROM_OOM_COUNTER:
        if (!isfinite(v) || v < 0)
            break;
        /* An increase is a kill; after a reset (restart) the new value is
         * the number of kills since. The first value is only a baseline.
         * Same rule as the OpenMetrics reader (om.c). */
        if (!isnan(p->oom_last) && (v > p->oom_last || (v < p->oom_last && v > 0)))
            rc = ag_samples_push(&c->oom, t, memory_at(c, t));
        p->oom_last = v;
        break;
    case AG_PROM_REQUESTS:
    case AG_PROM_LIMITS:
        ag__rd_set_spec(c, p->kind == AG_PROM_LIMITS, (ag_resource)p->res, v, t, p->st);
        break;
    default:
        break;
    }
    if (rc != AG_OK)
        return fail(p, AG_ENOMEM, at, "out of memory");
    return AG_OK;
}

static ag_err emit(ag__prom_parser *p, int64_t t, double v, uint64_t at)
{
    p->npoints++;
    p->st->lines++;
    if (p->target == T_CONT)
        return apply(p, t, v, at);
    if (p->target == T_SCALAR) {
        p->scalar = v;
        p->nscalar++;
        return AG_OK;
    }
    if (p->target == T_NONE && ag_samples_push(&p->pending, t, v) != AG_OK)
        return fail(p, AG_ENOMEM, at, "out of memory");
    return AG_OK;
}

static ag_err flush_pending(ag__prom_parser *p, uint64_t at)
{
    ag_err rc = AG_OK;
    if (p->target == T_NONE && (rc = resolve_labels(p, at)) != AG_OK)
        return rc;
    for (size_t i = 0; i < p->pending.n && rc == AG_OK; i++) {
        if (p->target == T_CONT)
            rc = apply(p, p->pending.v[i].t_ms, p->pending.v[i].v, at);
        else if (p->target == T_SCALAR) {
            p->scalar = p->pending.v[i].v;
            p->nscalar++;
        }
    }
    p->pending.n = 0;
    return rc;
}

static ag_err series_end(ag__prom_parser *p, uint64_t at)
{
    ag_err rc = flush_pending(p, at);
    if (rc == AG_OK && p->kind == AG_PROM_OOM_COUNTER && p->target == T_CONT &&
        !isnan(p->oom_last) && oom_store(p->oom, p->cont, p->oom_last) != AG_OK)
        rc = fail(p, AG_ENOMEM, at, "out of memory");
    return rc;
}

/* ---- structure --------------------------------------------------------- */

static uint64_t at(const ag__prom_parser *p, const char *chunk, const char *ptr)
{
    return p->off + (uint64_t)(ptr - chunk);
}

static ag__prom_frame *top(ag__prom_parser *p)
{
    return p->depth ? &p->stk[p->depth - 1] : NULL;
}

static const char *what_expected(const ag__prom_frame *f)
{
    switch (f->st) {
    case S_KEY_OR_END:
        return "expected a key or '}'";
    case S_KEY:
        return "expected a key";
    case S_COLON:
        return "expected ':'";
    case S_VALUE:
        return "expected a value";
    case S_VAL_OR_END:
        return "expected a value or ']'";
    default:
        return f->type == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
    }
}

/* A value starts in the current frame: checks the grammar, advances the
 * frame and stores the element index (arrays). */
static ag_err value_begin(ag__prom_parser *p, uint64_t pos, uint32_t *idx)
{
    ag__prom_frame *f = top(p);

    *idx = 0;
    if (p->done)
        return fail(p, AG_EPARSE, pos, "data after the end of the JSON document");
    if (!f)
        return AG_OK;
    if (f->type == '{' ? f->st != S_VALUE : (f->st != S_VAL_OR_END && f->st != S_VALUE))
        return fail(p, AG_EPARSE, pos, "%s", what_expected(f));
    if (f->type == '[')
        *idx = f->idx++;
    f->st = S_COMMA_OR_END;
    return AG_OK;
}

static int child_role(ag__prom_parser *p, const ag__prom_frame *f, int c, uint64_t pos)
{
    if (!f) {
        if (c != '{') {
            fail(p, AG_EPARSE, pos, "the response is not a JSON object");
            return -1;
        }
        return R_TOP;
    }
    switch (f->role) {
    case R_TOP:
        if (f->key == K_DATA && c == '{')
            return R_DATA;
        if (f->key == K_DATA && c == '[' && p->kind == AG__PROM_LABEL_VALUES)
            return R_NAMES;
        if (f->key == K_WARNINGS && c == '[')
            return R_WARN;
        if (f->key == K_INFOS && c == '[')
            return R_INFO;
        return R_SKIP;
    case R_DATA:
        if (f->key == K_RESULT && c == '[' && p->kind != AG__PROM_ENVELOPE &&
            p->kind != AG__PROM_LABEL_VALUES)
            return R_RESULT;
        return R_SKIP;
    case R_RESULT:
        if (c == '{')
            return R_SERIES;
        break;
    case R_SERIES:
        if (f->key == K_METRIC)
            return c == '{' ? R_METRIC
                            : (fail(p, AG_EPARSE, pos, "\"metric\" is not an object"), -1);
        if (f->key == K_VALUES && c == '[')
            return R_VALUES;
        if (f->key == K_VALUE && c == '[') {
            p->pair_has_t = p->pair_has_v = 0;
            return R_PAIR;
        }
        if (f->key == K_VALUES || f->key == K_VALUE)
            break;
        return R_SKIP;
    case R_VALUES:
        if (c == '[') {
            p->pair_has_t = p->pair_has_v = 0;
            return R_PAIR;
        }
        break;
    case R_METRIC:
        fail(p, AG_EPARSE, pos, "label value is not a string");
        return -1;
    case R_PAIR:
        break;
    default:
        return R_SKIP;
    }
    fail(p, AG_EPARSE, pos, "unexpected '%c' where [timestamp, \"value\"] or a series was expected",
         c);
    return -1;
}

static ag_err open_value(ag__prom_parser *p, int c, uint64_t pos)
{
    ag__prom_frame *f;
    uint32_t idx;
    int role;

    if (value_begin(p, pos, &idx) != AG_OK)
        return p->err;
    if ((role = child_role(p, top(p), c, pos)) < 0)
        return p->err;
    if (p->depth >= AG__PROM_MAX_DEPTH)
        return fail(p, AG_EPARSE, pos, "JSON nested deeper than %d", AG__PROM_MAX_DEPTH);
    f = &p->stk[p->depth++];
    f->type = (uint8_t)c;
    f->role = (uint8_t)role;
    f->st = c == '{' ? S_KEY_OR_END : S_VAL_OR_END;
    f->key = K_OTHER;
    f->idx = 0;
    if (role == R_SERIES)
        series_begin(p);
    return AG_OK;
}

static ag_err close_value(ag__prom_parser *p, int c, uint64_t pos)
{
    ag__prom_frame *f = top(p);
    ag_err rc = AG_OK;

    if (!f || (c == '}') != (f->type == '{'))
        return fail(p, AG_EPARSE, pos, "unexpected '%c'", c);
    if (f->st != S_COMMA_OR_END && f->st != S_KEY_OR_END && f->st != S_VAL_OR_END)
        return fail(p, AG_EPARSE, pos, "%s", what_expected(f));
    switch (f->role) {
    case R_METRIC:
        p->have_metric = 1;
        if ((rc = resolve_labels(p, pos)) == AG_OK)
            rc = flush_pending(p, pos);
        break;
    case R_PAIR:
        if (!p->pair_has_t || !p->pair_has_v || f->idx != 2)
            return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
        rc = emit(p, p->pair_t, p->pair_v, pos);
        break;
    case R_SERIES:
        rc = series_end(p, pos);
        break;
    case R_RESULT:
        if (f->key) { /* a scalar result: [ts, "v"] */
            if (f->key != 3 || f->idx != 2)
                return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
            if (p->kind == AG_PROM_SCALAR) {
                p->scalar = p->pair_v;
                p->nscalar++;
                p->npoints++;
            }
        }
        break;
    case R_TOP:
        p->done = 1;
        break;
    default:
        break;
    }
    p->depth--;
    return rc;
}

static int key_id(int role, const char *s, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
    switch (role) {
    case R_TOP:
        if (IS("status"))
            return K_STATUS;
        if (IS("data"))
            return K_DATA;
        if (IS("errorType"))
            return K_ERRTYPE;
        if (IS("error"))
            return K_ERROR;
        if (IS("warnings"))
            return K_WARNINGS;
        if (IS("infos"))
            return K_INFOS;
        break;
    case R_DATA:
        if (IS("resultType"))
            return K_RTYPE;
        if (IS("result"))
            return K_RESULT;
        break;
    case R_SERIES:
        if (IS("metric"))
            return K_METRIC;
        if (IS("values"))
            return K_VALUES;
        if (IS("value"))
            return K_VALUE;
        break;
    default:
        break;
    }
    return K_OTHER;
#undef IS
}

static void copy_text(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* An element of a [timestamp, value] pair (also a scalar result). */
static ag_err pair_elem(ag__prom_parser *p, ag__prom_frame *f, uint32_t idx, const char *s,
                        size_t n, uint64_t pos)
{
    if (f->role == R_RESULT && idx < 2)
        f->key |= (uint8_t)(1u << idx); /* a scalar result: remember which parts came */
    if (idx == 0) {
        if (ag__prom_parse_time(s, n, &p->pair_t) != 0)
            return fail(p, AG_EPARSE, pos, "bad timestamp '%.*s'", (int)(n > 40 ? 40 : n), s);
        p->pair_has_t = 1;
    } else if (idx == 1) {
        if (ag__prom_parse_value(s, n, &p->pair_v) != 0)
            return fail(p, AG_EPARSE, pos, "bad sample value '%.*s'", (int)(n > 40 ? 40 : n), s);
        p->pair_has_v = 1;
    } else {
        return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
    }
    return AG_OK;
}

static ag_err add_name(ag__prom_parser *p, const char *s, size_t n, uint64_t pos)
{
    char *d;
    if (p->nnames >= AG__PROM_MAX_NAMES)
        return fail(p, AG_ETOOBIG, pos, "more than %d label values", AG__PROM_MAX_NAMES);
    if (p->nnames == p->namecap &&
        ag__grow((void **)&p->names, &p->namecap, p->nnames + 1, sizeof *p->names) != 0)
        return fail(p, AG_ENOMEM, pos, "out of memory");
    if (!(d = ag__strndup(s, n)))
        return fail(p, AG_ENOMEM, pos, "out of memory");
    p->names[p->nnames++] = d;
    return AG_OK;
}

static ag_err on_string(ag__prom_parser *p, const char *s, size_t n, uint64_t pos)
{
    ag__prom_frame *f = top(p);
    uint32_t idx;

    if (f && f->type == '{' && (f->st == S_KEY_OR_END || f->st == S_KEY)) {
        f->st = S_COLON;
        if (f->role == R_METRIC) {
            ag__buf_reset(&p->key);
            if (ag__buf_append(&p->key, s, n) != AG_OK)
                return fail(p, AG_ETOOBIG, pos, "label name too long");
        } else {
            f->key = (uint8_t)key_id(f->role, s, n);
        }
        return AG_OK;
    }
    if (value_begin(p, pos, &idx) != AG_OK)
        return p->err;
    if (!f)
        return fail(p, AG_EPARSE, pos, "the response is not a JSON object");
    switch (f->role) {
    case R_TOP:
        if (f->key == K_STATUS) {
            if (n == 7 && memcmp(s, "success", 7) == 0)
                p->status = 1;
            else if (n == 5 && memcmp(s, "error", 5) == 0)
                p->status = -1;
            else
                return fail(p, AG_EPARSE, pos, "unknown status \"%.*s\"", (int)(n > 40 ? 40 : n),
                            s);
        } else if (f->key == K_ERRTYPE) {
            copy_text(p->error_type, sizeof p->error_type, s, n);
        } else if (f->key == K_ERROR) {
            copy_text(p->error, sizeof p->error, s, n);
        }
        return AG_OK;
    case R_DATA:
        if (f->key == K_RTYPE)
            copy_text(p->result_type, sizeof p->result_type, s, n);
        return AG_OK;
    case R_METRIC:
        return add_label(p, s, n, pos);
    case R_PAIR:
    case R_RESULT:
        return pair_elem(p, f, idx, s, n, pos);
    case R_WARN:
    case R_INFO:
        p->nwarnings++;
        warnf(p, "%s: Prometheus %s: %.*s", p->what, f->role == R_WARN ? "warning" : "info",
              (int)(n > 800 ? 800 : n), s);
        return AG_OK;
    case R_NAMES:
        return add_name(p, s, n, pos);
    case R_VALUES:
        return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
    case R_SERIES:
        if (f->key == K_METRIC || f->key == K_VALUES || f->key == K_VALUE)
            return fail(p, AG_EPARSE, pos, "unexpected string in a series");
        return AG_OK;
    default:
        return AG_OK;
    }
}

static ag_err on_bare(ag__prom_parser *p, const char *s, size_t n, uint64_t pos)
{
    ag__prom_frame *f;
    uint32_t idx;
    int num = is_json_number(s, n);

    if (!num && !(n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0)) &&
        !(n == 5 && memcmp(s, "false", 5) == 0))
        return fail(p, AG_EPARSE, pos, "invalid token '%.*s'", (int)(n > 40 ? 40 : n), s);
    f = top(p);
    if (f && f->type == '{' && (f->st == S_KEY_OR_END || f->st == S_KEY))
        return fail(p, AG_EPARSE, pos, "object key is not a string");
    if (value_begin(p, pos, &idx) != AG_OK)
        return p->err;
    if (!f)
        return fail(p, AG_EPARSE, pos, "the response is not a JSON object");
    switch (f->role) {
    case R_PAIR:
    case R_RESULT:
        if (!num)
            return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
        return pair_elem(p, f, idx, s, n, pos);
    case R_METRIC:
        return fail(p, AG_EPARSE, pos, "label value is not a string");
    case R_VALUES:
        return fail(p, AG_EPARSE, pos, "expected [timestamp, \"value\"]");
    case R_SERIES:
        if (f->key == K_METRIC || f->key == K_VALUES || f->key == K_VALUE)
            return fail(p, AG_EPARSE, pos, "unexpected '%.*s' in a series", (int)(n > 40 ? 40 : n),
                        s);
        return AG_OK;
    default:
        return AG_OK;
    }
}

static ag_err on_punct(ag__prom_parser *p, int c, uint64_t pos)
{
    ag__prom_frame *f = top(p);

    if (c == ':') {
        if (!f || f->st != S_COLON)
            return fail(p, AG_EPARSE, pos, "unexpected ':'");
        f->st = S_VALUE;
        return AG_OK;
    }
    if (!f || f->st != S_COMMA_OR_END)
        return fail(p, AG_EPARSE, pos, "unexpected ','");
    f->st = f->type == '{' ? S_KEY : S_VALUE;
    return AG_OK;
}

/* ---- tokenizer --------------------------------------------------------- */

static void put_utf8(char **o, uint32_t cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xC0 | (cp >> 6));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xE0 | (cp >> 12));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *u++ = (unsigned char)(0xF0 | (cp >> 18));
        *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)u;
}

static int hex4(const char *s, const char *e, uint32_t *out)
{
    uint32_t v = 0;
    if (e - s < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (uint32_t)((c | 0x20) - 'a' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the raw content of a string with escapes into p->sbuf. The
 * output is never longer than the input. NUL and lone surrogates become
 * U+FFFD, so a decoded label is always a valid C string. */
static ag_err unescape(ag__prom_parser *p, const char *s, size_t n, uint64_t pos)
{
    const char *e = s + n;
    char *o;

    ag__buf_reset(&p->sbuf);
    if (ag__buf_append(&p->sbuf, s, n) != AG_OK) /* reserve n + 1 bytes */
        return fail(p, AG_ENOMEM, pos, "out of memory");
    o = p->sbuf.p;
    while (s < e) {
        uint32_t cp, lo;
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        if (++s >= e)
            return fail(p, AG_EPARSE, pos, "bad escape in string");
        switch (*s++) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            if (hex4(s, e, &cp) != 0)
                return fail(p, AG_EPARSE, pos, "bad \\u escape in string");
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
                hex4(s + 2, e, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            } else if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
                cp = 0xFFFD;
            }
            put_utf8(&o, cp);
            break;
        default:
            return fail(p, AG_EPARSE, pos, "bad escape '\\%c' in string", s[-1]);
        }
    }
    p->sbuf.len = (size_t)(o - p->sbuf.p);
    *o = '\0';
    return AG_OK;
}

static ag_err string_done(ag__prom_parser *p, const char *s, size_t n, int has_esc, uint64_t pos)
{
    if (n > p->max_str)
        return fail(p, AG_ETOOBIG, pos, "string longer than %zu bytes", p->max_str);
    if (!has_esc)
        return on_string(p, s, n, pos);
    if (unescape(p, s, n, pos) != AG_OK)
        return p->err;
    return on_string(p, p->sbuf.p, p->sbuf.len, pos);
}

static int is_bare(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '+' ||
           c == '-' || c == '.';
}

/* Continues a token split across chunks. Returns the first byte after it,
 * or e when the chunk ended inside it again. */
static const char *continue_partial(ag__prom_parser *p, const char *chunk, const char *s,
                                    const char *e)
{
    const char *q = s;

    if (p->partial == 'b') {
        while (q < e && is_bare((unsigned char)*q))
            q++;
        if (p->tok.len + (size_t)(q - s) > MAX_BARE) {
            fail(p, AG_EPARSE, at(p, chunk, q), "number too long");
            return e;
        }
        ag__buf_append(&p->tok, s, (size_t)(q - s));
        if (q == e)
            return e;
        p->partial = 0;
        on_bare(p, p->tok.p, p->tok.len, at(p, chunk, s));
        return q;
    }
    /* inside a string: find the closing quote, minding escapes */
    if (p->esc && q < e) {
        q++;
        p->esc = 0;
    }
    while (q < e && *q != '"') {
        if ((unsigned char)*q < 0x20) {
            fail(p, AG_EPARSE, at(p, chunk, q), "control character in string");
            return e;
        }
        if (*q == '\\') {
            if (q + 1 == e) {
                p->esc = 1;
                q++;
                break;
            }
            q += 2;
            continue;
        }
        q++;
    }
    if (p->tok.len + (size_t)(q - s) > p->max_str) {
        fail(p, AG_ETOOBIG, at(p, chunk, q), "string longer than %zu bytes", p->max_str);
        return e;
    }
    if (ag__buf_append(&p->tok, s, (size_t)(q - s)) != AG_OK) {
        fail(p, AG_ENOMEM, at(p, chunk, q), "out of memory");
        return e;
    }
    if (q >= e)
        return e;
    p->partial = 0;
    string_done(p, p->tok.p, p->tok.len, memchr(p->tok.p, '\\', p->tok.len) != NULL,
                at(p, chunk, s));
    return q + 1;
}

/* Starts a partial token: the chunk ended inside it. */
static void start_partial(ag__prom_parser *p, int kind, const char *s, const char *e, int esc,
                          uint64_t pos)
{
    size_t cap = kind == 'b' ? MAX_BARE : p->max_str;
    ag__buf_reset(&p->tok);
    if ((size_t)(e - s) > cap) {
        fail(p, kind == 'b' ? AG_EPARSE : AG_ETOOBIG, pos,
             kind == 'b' ? "number too long" : "string too long");
        return;
    }
    if (ag__buf_append(&p->tok, s, (size_t)(e - s)) != AG_OK) {
        fail(p, AG_ENOMEM, pos, "out of memory");
        return;
    }
    p->partial = kind;
    p->esc = esc;
}

/* The compact pair [1700000000.123,"0.25"] inside "values", lexed in one
 * pass. Returns the byte after ']' or NULL to let the general path do it
 * (whitespace, escapes, the chunk ending inside the pair, bad input). */
static const char *fast_pair(ag__prom_parser *p, const char *s, const char *e, uint64_t pos)
{
    const char *t0 = s + 1, *t1, *v0, *v1;
    int64_t t;
    double v;

    t1 = t0;
    while (t1 < e && ((*t1 >= '0' && *t1 <= '9') || *t1 == '.'))
        t1++;
    if (t1 + 2 >= e || t1[0] != ',' || t1[1] != '"' ||
        (t0[0] == '0' && t1 - t0 > 1 && t0[1] != '.'))
        return NULL; /* leading zeros are not JSON: let the general path complain */
    v0 = t1 + 2;
    v1 = v0;
    while (v1 < e && *v1 != '"' && *v1 != '\\')
        v1++;
    if (v1 + 1 >= e || v1[0] != '"' || v1[1] != ']')
        return NULL;
    if (ag__prom_parse_time(t0, (size_t)(t1 - t0), &t) != 0 ||
        ag__prom_parse_value(v0, (size_t)(v1 - v0), &v) != 0)
        return NULL;
    p->pair_has_t = p->pair_has_v = 1;
    return emit(p, t, v, pos) == AG_OK ? v1 + 2 : e;
}

ag_err ag__prom_parser_feed(ag__prom_parser *p, const char *buf, size_t len)
{
    const char *s = buf, *e = buf + len;

    if (p->err)
        return p->err;
    if (len > p->max_response - p->off)
        return fail(p, AG_ETOOBIG, p->off, "response larger than %llu bytes",
                    (unsigned long long)p->max_response);
    if (p->partial)
        s = continue_partial(p, buf, s, e);
    while (s < e && !p->err) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            s++;
            break;
        case '[':
            if (p->depth && p->stk[p->depth - 1].role == R_VALUES &&
                p->stk[p->depth - 1].st != S_COMMA_OR_END) {
                const char *q = fast_pair(p, s, e, at(p, buf, s));
                if (q) {
                    ag__prom_frame *f = &p->stk[p->depth - 1];
                    f->idx++;
                    f->st = S_COMMA_OR_END;
                    s = q;
                    break;
                }
            }
            open_value(p, c, at(p, buf, s));
            s++;
            break;
        case '{':
            open_value(p, c, at(p, buf, s));
            s++;
            break;
        case '}':
        case ']':
            close_value(p, c, at(p, buf, s));
            s++;
            break;
        case ':':
        case ',':
            on_punct(p, c, at(p, buf, s));
            s++;
            break;
        case '"': {
            const char *q = s + 1;
            int has_esc = 0;
            while (q < e && *q != '"') {
                if ((unsigned char)*q < 0x20) {
                    fail(p, AG_EPARSE, at(p, buf, q), "control character in string");
                    break;
                }
                if (*q == '\\') {
                    has_esc = 1;
                    if (q + 1 == e)
                        break;
                    q += 2;
                    continue;
                }
                q++;
            }
            if (p->err)
                break;
            if (q >= e || *q != '"') { /* the chunk ends inside the string */
                start_partial(p, '"', s + 1, e, q < e && *q == '\\', at(p, buf, s));
                s = e;
                break;
            }
            string_done(p, s + 1, (size_t)(q - s - 1), has_esc, at(p, buf, s));
            s = q + 1;
            break;
        }
        default: {
            const char *q = s;
            while (q < e && is_bare((unsigned char)*q))
                q++;
            if (q == s) {
                fail(p, AG_EPARSE, at(p, buf, s),
                     c >= 0x20 && c < 0x7f ? "unexpected '%c'" : "unexpected byte 0x%02x", c);
                break;
            }
            if (q == e) {
                start_partial(p, 'b', s, e, 0, at(p, buf, s));
                s = e;
                break;
            }
            on_bare(p, s, (size_t)(q - s), at(p, buf, s));
            s = q;
            break;
        }
        }
    }
    p->off += len;
    return p->err;
}

ag_err ag__prom_parser_end(ag__prom_parser *p)
{
    if (p->err)
        return p->err;
    if (p->partial == 'b' && on_bare(p, p->tok.p, p->tok.len, p->off) != AG_OK)
        return p->err;
    if (p->partial == '"')
        return fail(p, AG_EPARSE, p->off, "truncated response: ends inside a string");
    if (!p->done)
        return fail(p, AG_EPARSE, p->off,
                    p->off == 0 ? "empty response" : "truncated response: JSON incomplete");
    if (p->status == -1) {
        ag_errinfo_set(p->ei, "%s: Prometheus error%s%s%s: %s", p->what,
                       p->error_type[0] ? " (" : "", p->error_type, p->error_type[0] ? ")" : "",
                       p->error[0] ? p->error : "no detail");
        return p->err = AG_EPROM;
    }
    if (p->status == 0)
        return fail(p, AG_EPARSE, p->off, "no \"status\" in the response");
    return AG_OK;
}

void ag__prom_parser_init(ag__prom_parser *p, ag_dataset *ds, int kind, const char *what,
                          const ag_read_opts *opts, ag_ingest_stats *st, uint64_t max_response,
                          ag_errinfo *ei)
{
    memset(p, 0, sizeof *p);
    p->ds = ds;
    p->kind = kind;
    p->what = what ? what : "response";
    p->warn = opts ? opts->warn : NULL;
    p->warn_ud = opts ? opts->warn_ud : NULL;
    p->max_warnings = opts && opts->max_warnings ? opts->max_warnings : 20;
    p->nwarn = &p->own_nwarn;
    p->max_response = max_response ? max_response : (uint64_t)2 << 30;
    p->max_str = opts && opts->max_line ? opts->max_line : AG__PROM_DEFAULT_MAX_STR;
    p->st = st;
    p->oom = &p->own_oom;
    p->ei = ei;
    p->scalar = NAN;
    p->oom_last = NAN;
    ag__buf_init(&p->tok, p->max_str + MAX_BARE + 8);
    ag__buf_init(&p->sbuf, p->max_str + 8);
    ag__buf_init(&p->lab, (size_t)4 << 20);
    ag__buf_init(&p->key, p->max_str + 8);
}

void ag__prom_parser_free(ag__prom_parser *p)
{
    ag__buf_free(&p->tok);
    ag__buf_free(&p->sbuf);
    ag__buf_free(&p->lab);
    ag__buf_free(&p->key);
    ag_samples_clear(&p->pending);
    ag__prom_oommap_free(&p->own_oom);
    for (size_t i = 0; i < p->nnames; i++)
        ag__free(p->names[i]);
    ag__free(p->names);
    p->names = NULL;
    p->nnames = p->namecap = 0;
}

ag_err ag_prom_parse_response(ag_dataset *ds, ag_prom_kind kind, const char *buf, size_t len,
                              const ag_read_opts *opts, ag_ingest_stats *st, double *scalar_out,
                              ag_errinfo *ei)
{
    ag__prom_parser p;
    ag_ingest_stats local = {0};
    ag_err rc;

    if ((!ds && kind != AG_PROM_SCALAR) || (unsigned)kind > AG_PROM_SCALAR || (!buf && len)) {
        ag_errinfo_set(ei, "ag_prom_parse_response: invalid argument");
        return AG_EINVAL;
    }
    ag__prom_parser_init(&p, ds, (int)kind, "response", opts, st ? st : &local, 0, ei);
    rc = ag__prom_parser_feed(&p, buf ? buf : "", len);
    if (rc == AG_OK)
        rc = ag__prom_parser_end(&p);
    if (rc == AG_OK && scalar_out)
        *scalar_out = p.scalar;
    ag__prom_parser_free(&p);
    return rc;
}
