/*
 * http/query.c - the route table, and parsing and checking of request
 * paths and query parameters. Everything here is pure string work on
 * outside input, so it is the part fuzz/fuzz_http_query.c drives.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "augur/util.h"
#include "http/http_int.h"

#define LIST_PARAMS                                                                                \
    (AG__P_NAMESPACE | AG__P_WORKLOAD | AG__P_KIND | AG__P_CONTAINER | AG__P_LIMIT | AG__P_CONTINUE)

#define GET "GET, HEAD"

const ag__http_route ag__http_routes[AG__R_COUNT] = {
    [AG__R_PAGE] = {"/", 0, GET},
    [AG__R_HEALTHZ] = {"/healthz", 0, GET},
    [AG__R_READYZ] = {"/readyz", 0, GET},
    [AG__R_METRICS] = {"/metrics", 0, GET},
    [AG__R_RECS] = {"/api/v1/recommendations", LIST_PARAMS, GET},
    [AG__R_WORKLOADS] = {"/api/v1/workloads", LIST_PARAMS, GET},
    [AG__R_FORECASTS] = {"/api/v1/forecasts", LIST_PARAMS | AG__P_RESOURCE | AG__P_SCOPE, GET},
    [AG__R_RUNS] = {"/api/v1/runs", AG__P_LIMIT | AG__P_CONTINUE | AG__P_STATUS, GET},
    [AG__R_RUN] = {"/api/v1/runs/{id}", 0, GET},
    [AG__R_BACKTESTS] = {"/api/v1/backtests", 0, GET ", POST"},
    [AG__R_BACKTEST] = {"/api/v1/backtests/{id}", 0, GET ", DELETE"},
    [AG__R_KEDA] = {"/api/v1/keda/{namespace}/{workload}",
                    AG__P_METRIC | AG__P_QUANTILE | AG__P_HORIZON | AG__P_KIND | AG__P_CONTAINER |
                        AG__P_SCOPE,
                    GET},
};

static const struct {
    const char *name;
    unsigned bit;
} params[] = {
    {"namespace", AG__P_NAMESPACE}, {"workload", AG__P_WORKLOAD}, {"kind", AG__P_KIND},
    {"container", AG__P_CONTAINER}, {"limit", AG__P_LIMIT},       {"continue", AG__P_CONTINUE},
    {"metric", AG__P_METRIC},       {"quantile", AG__P_QUANTILE}, {"horizon", AG__P_HORIZON},
    {"resource", AG__P_RESOURCE},   {"status", AG__P_STATUS},     {"scope", AG__P_SCOPE},
};
#define NPARAMS (sizeof params / sizeof params[0])

void ag__http_req_init(ag__http_req *r)
{
    memset(r, 0, sizeof *r);
    r->route = AG__R_NONE;
    r->metric = -1;
    r->resource = -1;
    r->quantile = NAN;
    r->status = -1;
    r->scope = -1;
}

/* Copies a path segment [s, e) when it is not empty and fits. */
static int segment(const char *s, const char *e, char *out, size_t cap)
{
    size_t n = (size_t)(e - s);

    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Matches path[0..n) against a route template segment by segment: a
 * literal segment must be equal, a {name} one (not empty, no '/') fills
 * that path parameter of r. */
static int template_match(ag__http_req *r, const char *t, const char *path, size_t n)
{
    const char *p = path, *end = path + n;

    while (*t && p < end) {
        if (*t == '{') {
            const char *close = strchr(t, '}');
            const char *slash = memchr(p, '/', (size_t)(end - p));
            const char *se = slash ? slash : end;
            size_t k = (size_t)(close - t - 1);
            char *out = !strncmp(t + 1, "namespace", k) && k == 9  ? r->path_ns
                        : !strncmp(t + 1, "workload", k) && k == 8 ? r->path_workload
                                                                   : r->path_id;
            size_t cap = out == r->path_id ? sizeof r->path_id : sizeof r->path_ns;
            if (segment(p, se, out, cap) != 0)
                return 0;
            t = close + 1;
            p = se;
        } else if (*t == *p) {
            t++;
            p++;
        } else {
            return 0;
        }
    }
    return !*t && p == end;
}

ag__http_route_id ag__http_route_match(ag__http_req *r, const char *path)
{
    size_t n = strlen(path);

    /* One trailing slash is forgiven ("/metrics/"), except on "/". */
    if (n > 1 && path[n - 1] == '/')
        n--;
    for (int i = 0; i < AG__R_COUNT; i++) {
        const char *p = ag__http_routes[i].path;
        if (!strchr(p, '{') && strlen(p) == n && memcmp(p, path, n) == 0)
            return r->route = (ag__http_route_id)i;
    }
    for (int i = 0; i < AG__R_COUNT; i++)
        if (strchr(ag__http_routes[i].path, '{') &&
            template_match(r, ag__http_routes[i].path, path, n))
            return r->route = (ag__http_route_id)i;
    r->path_ns[0] = r->path_workload[0] = r->path_id[0] = '\0';
    return r->route = AG__R_NONE;
}

static int bad(ag__http_req *r, const char *name, const char *fmt, const char *value)
{
    if (r->bad[0])
        return -1;
    snprintf(r->bad, sizeof r->bad, "%s", name);
    snprintf(r->why, sizeof r->why, fmt, value);
    return -1;
}

static int name_value(ag__http_req *r, const char *key, const char *v, char *out, size_t cap)
{
    size_t n = strlen(v);

    if (n == 0)
        return bad(r, key, "%sis empty", "");
    if (n >= cap)
        return bad(r, key, "%sis too long", "");
    /* Any other byte may be in a name the view holds: matched exactly. */
    memcpy(out, v, n + 1);
    return 0;
}

/* A decimal in [lo, hi]. */
static int integer(const char *v, unsigned long long lo, unsigned long long hi,
                   unsigned long long *out)
{
    unsigned long long x = 0;

    if (!*v || strlen(v) > 18)
        return -1;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        x = x * 10 + (unsigned)(*p - '0');
    }
    if (x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int resource_name(const char *v)
{
    if (strcmp(v, "cpu") == 0)
        return AG_CPU;
    if (strcmp(v, "memory") == 0)
        return AG_MEMORY;
    return -1;
}

int ag__http_req_param(ag__http_req *r, const char *key, const char *value)
{
    const char *v = value ? value : "";
    unsigned bit = 0;
    unsigned long long x;

    if (r->bad[0])
        return -1;
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(key, params[i].name) == 0)
            bit = params[i].bit;
    if (!bit) {
        char name[48];
        snprintf(name, sizeof name, "%s", key);
        for (char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
                *p = '?';
        return bad(r, name, "unknown query parameter%s", "");
    }
    if (r->seen & bit)
        return bad(r, key, "%sgiven more than once", "");
    r->seen |= bit;
    switch (bit) {
    case AG__P_NAMESPACE:
        return name_value(r, key, v, r->ns, sizeof r->ns);
    case AG__P_WORKLOAD:
        return name_value(r, key, v, r->workload, sizeof r->workload);
    case AG__P_KIND:
        return name_value(r, key, v, r->kind, sizeof r->kind);
    case AG__P_CONTAINER:
        return name_value(r, key, v, r->container, sizeof r->container);
    case AG__P_LIMIT:
        if (integer(v, 1, AG__HTTP_MAX_LIMIT, &x) != 0)
            return bad(r, key, "must be a whole number from 1 to 10000%s", "");
        r->limit = (size_t)x;
        return 0;
    case AG__P_CONTINUE:
        x = 0;
        if (v[0] != 'o' || !v[1] || strlen(v) > 13)
            return bad(r, key, "is not a continue token this server gave%s", "");
        for (const char *p = v + 1; *p; p++) {
            int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
            if (d < 0)
                return bad(r, key, "is not a continue token this server gave%s", "");
            x = x * 16 + (unsigned)d;
        }
        r->offset = (size_t)x;
        return 0;
    case AG__P_METRIC:
        r->metric = resource_name(v);
        return r->metric < 0 ? bad(r, key, "must be cpu or memory%s", "") : 0;
    case AG__P_RESOURCE:
        r->resource = resource_name(v);
        return r->resource < 0 ? bad(r, key, "must be cpu or memory%s", "") : 0;
    case AG__P_SCOPE:
        r->scope = !strcmp(v, "pod")        ? AG_FC_SCOPE_POD
                   : !strcmp(v, "workload") ? AG_FC_SCOPE_WORKLOAD
                                            : -1;
        return r->scope < 0 ? bad(r, key, "must be pod or workload%s", "") : 0;
    case AG__P_STATUS:
        r->status = !strcmp(v, "ok") ? 1 : !strcmp(v, "failed") ? 0 : -1;
        return r->status < 0 ? bad(r, key, "must be ok or failed%s", "") : 0;
    case AG__P_QUANTILE: {
        char *end;
        double q;
        errno = 0;
        q = *v ? strtod(v, &end) : NAN;
        if (!*v || *end || errno || !(q > 0 && q < 1))
            return bad(r, key, "must be a number between 0 and 1 (exclusive)%s", "");
        r->quantile = q;
        return 0;
    }
    case AG__P_HORIZON: {
        int64_t ms = 0;
        if (!*v || ag_duration_parse(v, &ms) != AG_OK || ms <= 0 || ms > AG__HTTP_MAX_HORIZON_MS)
            return bad(r, key, "must be a duration from 1ms to 30d, e.g. 15m%s", "");
        r->horizon_ms = ms;
        return 0;
    }
    }
    return 0;
}

int ag__http_req_check(ag__http_req *r)
{
    unsigned extra;

    if (r->bad[0])
        return -1;
    if (r->route < 0 || r->route >= AG__R_COUNT)
        return 0;
    extra = r->seen & ~ag__http_routes[r->route].params;
    for (size_t i = 0; extra && i < NPARAMS; i++)
        if (extra & params[i].bit)
            return bad(r, params[i].name, "is not accepted by this endpoint%s", "");
    if (r->route == AG__R_KEDA && r->metric < 0)
        return bad(r, "metric", "is required (cpu or memory)%s", "");
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long ag__http_unescape(const char *in, size_t n, int plus_space, char *out, size_t cap)
{
    size_t o = 0;

    if (cap == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval(in[i + 1]);
            lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

int ag__http_parse_target(ag__http_req *r, const char *target, size_t len)
{
    char path[1024], key[64], value[512];
    const char *q = memchr(target, '?', len);
    size_t plen = q ? (size_t)(q - target) : len;

    ag__http_req_init(r);
    if (plen == 0 || target[0] != '/' || ag__http_unescape(target, plen, 0, path, sizeof path) < 0)
        return -3;
    if (ag__http_route_match(r, path) == AG__R_NONE)
        return -2;
    if (q) {
        const char *p = q + 1, *end = target + len;
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *e = amp ? amp : end;
            const char *eq = memchr(p, '=', (size_t)(e - p));
            const char *kend = eq ? eq : e;
            if (e > p) {
                if (ag__http_unescape(p, (size_t)(kend - p), 1, key, sizeof key) < 0)
                    return bad(r, "?", "a query parameter name is malformed%s", "");
                if (eq &&
                    ag__http_unescape(eq + 1, (size_t)(e - eq - 1), 1, value, sizeof value) < 0)
                    return bad(r, key, "is malformed (bad %%-escape or too long)%s", "");
                if (ag__http_req_param(r, key, eq ? value : NULL) != 0)
                    return -1;
            }
            p = e + 1;
        }
    }
    return ag__http_req_check(r);
}

char *ag__http_continue_token(size_t offset, char *buf, size_t len)
{
    snprintf(buf, len, "o%zx", offset);
    return buf;
}

int ag__http_method_allowed(ag__http_route_id route, const char *method)
{
    const char *a;
    size_t n = strlen(method);

    if (route < 0 || route >= AG__R_COUNT || n == 0 || strpbrk(method, ", "))
        return 0;
    for (a = ag__http_routes[route].allow; (a = strstr(a, method)) != NULL; a += n)
        if ((a == ag__http_routes[route].allow || a[-1] == ' ') && (a[n] == ',' || !a[n]))
            return 1;
    return 0;
}

int ag__http_path_id(const char *s, uint64_t *out)
{
    unsigned long long x;

    if (!s || s[0] == '0' || integer(s, 1, INT64_MAX, &x) != 0)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* One coding of Accept-Encoding ("gzip;q=0.5") accepts gzip: named gzip,
 * x-gzip or *, with a q-value that is not zero. */
static int coding_gzip(const char *s, size_t n)
{
    size_t k = 0;
    const char *semi = memchr(s, ';', n);
    size_t tn = semi ? (size_t)(semi - s) : n;

    while (tn && (s[tn - 1] == ' ' || s[tn - 1] == '\t'))
        tn--;
    if (!((tn == 4 && !strncasecmp(s, "gzip", 4)) || (tn == 6 && !strncasecmp(s, "x-gzip", 6)) ||
          (tn == 1 && s[0] == '*')))
        return 0;
    if (!semi)
        return 1;
    for (k = (size_t)(semi - s) + 1; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
        ;
    if (k + 1 < n && (s[k] == 'q' || s[k] == 'Q') && s[k + 1] == '=') {
        /* q=0, q=0.0, q=0.000: refused; any other digit makes it > 0 */
        for (k += 2; k < n && s[k] != ';' && s[k] != ' '; k++)
            if (isdigit((unsigned char)s[k]) && s[k] != '0')
                return 1;
        return 0;
    }
    return 1;
}

int ag__http_accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    while (*ae) {
        const char *comma = strchr(ae, ',');
        size_t n = comma ? (size_t)(comma - ae) : strlen(ae);
        while (n && (*ae == ' ' || *ae == '\t'))
            ae++, n--;
        if (coding_gzip(ae, n))
            return 1;
        ae += n;
        if (*ae == ',')
            ae++;
    }
    return 0;
}
