/*
 * http/http_int.h - what the files of the HTTP server share: the route
 * table, request-target and query parsing (query.c, fuzzed by
 * fuzz/fuzz_http_query.c), the renderers of every endpoint (render.c,
 * metrics.c) and the web page (page.c).
 */
#ifndef AG_HTTP_INT_H
#define AG_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>
#include "augur/http.h"
#include "augur/serve.h"
#include "util/buf.h"

/* ---- routes ---- */

typedef enum ag__http_route_id {
    AG__R_NONE = -1,
    AG__R_PAGE = 0,
    AG__R_HEALTHZ,
    AG__R_READYZ,
    AG__R_METRICS,
    AG__R_RECS,
    AG__R_WORKLOADS,
    AG__R_FORECASTS,
    AG__R_RUNS,
    AG__R_BACKTESTS,
    AG__R_KEDA,
    AG__R_COUNT,
} ag__http_route_id;

/* Query parameters, one bit each. */
enum {
    AG__P_NAMESPACE = 1u << 0,
    AG__P_WORKLOAD = 1u << 1,
    AG__P_KIND = 1u << 2,
    AG__P_CONTAINER = 1u << 3,
    AG__P_LIMIT = 1u << 4,
    AG__P_CONTINUE = 1u << 5,
    AG__P_METRIC = 1u << 6,
    AG__P_QUANTILE = 1u << 7,
    AG__P_HORIZON = 1u << 8,
    AG__P_RESOURCE = 1u << 9,
};

typedef struct ag__http_route {
    const char *path; /* OpenAPI template: "/api/v1/keda/{namespace}/{workload}" */
    unsigned params;  /* the AG__P_ bits it accepts */
} ag__http_route;

/* The table, indexed by ag__http_route_id, AG__R_COUNT entries. */
extern const ag__http_route ag__http_routes[AG__R_COUNT];

/* The most items a page may hold (?limit=). */
#define AG__HTTP_MAX_LIMIT 10000
/* The longest KEDA horizon accepted. */
#define AG__HTTP_MAX_HORIZON_MS (30LL * 86400 * 1000)

/* A parsed request: the route with its path parameters and the query. */
typedef struct ag__http_req {
    ag__http_route_id route;
    char path_ns[AG_VIEW_NAME], path_workload[AG_VIEW_NAME]; /* keda */
    unsigned seen;                                           /* AG__P_ bits given */
    char ns[AG_VIEW_NAME], workload[AG_VIEW_NAME], kind[64], container[AG_VIEW_NAME];
    size_t limit;       /* 0 = no limit */
    size_t offset;      /* from ?continue= */
    int metric;         /* AG_CPU / AG_MEMORY, -1 unset */
    int resource;       /* forecasts ?resource=, -1 unset */
    double quantile;    /* NAN unset */
    int64_t horizon_ms; /* 0 unset */
    char bad[64];       /* the offending parameter, "" when none */
    char why[160];      /* what is wrong with it */
} ag__http_req;

/* Starts r: no route, nothing seen. */
void ag__http_req_init(ag__http_req *r);
/* Matches a decoded path to a route, filling the path parameters.
 * Returns the route, AG__R_NONE when unknown. */
ag__http_route_id ag__http_route_match(ag__http_req *r, const char *path);
/* Adds one decoded query parameter (value NULL = given without '=').
 * Returns 0, or -1 with r->bad and r->why set (the first error sticks). */
int ag__http_req_param(ag__http_req *r, const char *key, const char *value);
/* After every parameter: -1 (bad/why set) when one was given that
 * r->route does not accept. */
int ag__http_req_check(ag__http_req *r);
/* Parses a raw request target "/path?a=b&c=%20d" (percent-decoding, '+'
 * as space in the query) into r: route, then parameters, then the check.
 * Returns 0 on success; -1 with r->bad/why for a bad parameter; -2 for
 * an unknown path; -3 for a malformed target. For the fuzzer and tests
 * (the server gets the pieces already decoded by libmicrohttpd). */
int ag__http_parse_target(ag__http_req *r, const char *target, size_t len);
/* Percent-decodes in[0..n) into out (cap bytes, NUL-terminated);
 * plus_space: '+' is a space. Returns the length, or -1 on a bad escape,
 * an encoded NUL or when it does not fit. */
long ag__http_unescape(const char *in, size_t n, int plus_space, char *out, size_t cap);
/* The opaque continue token of an offset: "o<hex>" into buf. */
char *ag__http_continue_token(size_t offset, char *buf, size_t len);

/* ---- rendering (render.c) ---- */

/* Appends the JSON error body {"error": msg, "code": code}. */
ag_err ag__http_error_json(ag_buf *b, int code, const char *msg);

/* The list endpoints: append the JSON of the items of v matching r's
 * filters, from r->offset, at most r->limit (0 = all). *next is the
 * offset of the next page, 0 when this is the last. v may be NULL (an
 * empty list). */
ag_err ag__http_recs_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next);
ag_err ag__http_workloads_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next);
ag_err ag__http_forecasts_json(const ag_view *v, const ag__http_req *r, ag_buf *b, size_t *next);

/* The KEDA value of workload r->path_ns/r->path_workload: for each of its
 * containers' forecasts of r->metric, the maximum of quantile r->quantile
 * over the steps in the next r->horizon_ms, summed over the containers.
 * Returns AG_OK, AG_ENOTFOUND (no such workload or no forecast of that
 * metric: msg says which), AG_EINVAL (the quantile is not one the
 * forecasts have: msg). */
ag_err ag__http_keda_value(const ag_view *v, const ag__http_req *r, double *out, char *msg,
                           size_t msglen);

/* ---- /metrics (metrics.c) ---- */

/* Request counters by status code, as the server keeps them. */
#define AG__HTTP_NCODES 12
extern const int ag__http_codes[AG__HTTP_NCODES];
/* The index of code in ag__http_codes, -1 when not counted. */
int ag__http_code_index(int code);

/* ag_http_metrics() with the request counters (NULL: none) and the time
 * the view's age is measured at. */
ag_err ag__http_metrics(const ag_view *v, const ag_health *h, const uint64_t *counts,
                        int64_t now_ms, ag_buf *b);
/* Its two parts: the view's series (the same bytes for as long as the
 * view is published, so the server renders them once per view), and the
 * daemon's own (live). */
ag_err ag__http_metrics_view(const ag_view *v, ag_buf *b);
ag_err ag__http_metrics_self(const ag_view *v, const ag_health *h, const uint64_t *counts,
                             int64_t now_ms, ag_buf *b);

/* ---- the web page (page.c) ---- */

extern const char ag__http_page[];

#endif
