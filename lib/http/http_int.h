/*
 * http/http_int.h - what the files of the HTTP server share: the route
 * table, request-target and query parsing (query.c, fuzzed by
 * fuzz/fuzz_http_query.c), the renderers of every endpoint (render.c,
 * metrics.c), the bodies cached per view and gzip (body.c), the backtest
 * jobs (backtest.c) and the web page (page.c).
 */
#ifndef AG_HTTP_INT_H
#define AG_HTTP_INT_H

#include <pthread.h>
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
    AG__R_RUN,
    AG__R_BACKTESTS,
    AG__R_BACKTEST,
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
    AG__P_STATUS = 1u << 10,
    AG__P_SCOPE = 1u << 11,
};

typedef struct ag__http_route {
    const char *path;  /* OpenAPI template: "/api/v1/keda/{namespace}/{workload}"; a
                          {namespace}, {workload} or {id} segment is a path parameter */
    unsigned params;   /* the AG__P_ bits it accepts */
    const char *allow; /* the methods it answers, as the Allow header lists them */
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
    char path_id[32];                                        /* runs/{id}, backtests/{id} */
    unsigned seen;                                           /* AG__P_ bits given */
    char ns[AG_VIEW_NAME], workload[AG_VIEW_NAME], kind[64], container[AG_VIEW_NAME];
    size_t limit;       /* 0 = no limit */
    size_t offset;      /* from ?continue= */
    int metric;         /* AG_CPU / AG_MEMORY, -1 unset */
    int resource;       /* forecasts ?resource=, -1 unset */
    double quantile;    /* NAN unset */
    int64_t horizon_ms; /* 0 unset */
    int status;         /* runs ?status=: 1 ok, 0 failed, -1 unset */
    int scope;          /* forecasts, keda ?scope=: AG_FC_SCOPE_POD/_WORKLOAD, -1 unset */
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
/* Whether method is one route answers (its allow list; HEAD with GET). */
int ag__http_method_allowed(ag__http_route_id route, const char *method);
/* A path {id}: a decimal from 1 to 2^63 - 1 into *out. Returns 0, or -1. */
int ag__http_path_id(const char *s, uint64_t *out);
/* Whether an Accept-Encoding header value (NULL: none) accepts gzip. */
int ag__http_accepts_gzip(const char *accept_encoding);

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

/* /api/v1/runs: the page of runs[0..n) (newest first) matching r's
 * status filter, below the run id r->offset when r->seen has
 * AG__P_CONTINUE (the continue token of runs is the id the previous page
 * ended at, so a page stays put while new runs arrive), at most r->limit
 * (0 = all), as {"items": [...]}. *next: the token's id for the next
 * page, 0 when this is the last. */
ag_err ag__http_runs_json(const ag_loop_run *runs, size_t n, const ag__http_req *r, ag_buf *b,
                          uint64_t *next);
/* A time in Unix seconds as JSON: whole, or with up to 3 decimals
 * ("1700000000", "1700000000.25"), never an exponent. */
ag_err ag__http_json_seconds(ag_buf *b, int64_t ms);
/* One run's object (/api/v1/runs/{id}), with a newline. */
ag_err ag__http_run_json(const ag_loop_run *run, ag_buf *b);

/* ---- /metrics (metrics.c) ---- */

/* Request counters by status code, as the server keeps them. */
#define AG__HTTP_NCODES 15
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

/* ---- bodies cached per view, gzip (body.c) ---- */

/* The bytes of one response body that depend only on the view, shared
 * (reference counted) by the cache and every response sending them, so
 * libmicrohttpd sends them without a copy. A body holds a reference on
 * its view (released with the body's last reference): the view outlives
 * the responses, and a view's address identifies its body. */
typedef struct ag__http_body {
    int refs; /* atomic */
    ag_serve *s;
    const ag_view *v; /* NULL: rendered without a view (not cached) */
    ag_buf own;       /* the rendered bytes, unless they are the view's own */
    const char *p;    /* the body: own.p, or the view's recs_json */
    size_t len;
    /* gzip (RFC 1952), made on the first request that accepts it: the
     * 10-byte header and p deflated (raw), ending with a sync flush, so a
     * response continues the member with ag__http_gzip_tail() */
    char *gz;
    size_t gz_len;
    int gz_failed;
    uint32_t crc;    /* CRC-32 of p */
    char gz_end[10]; /* an empty final block and the trailer: the member for p alone */
} ag__http_body;

typedef ag_err (*ag__http_render_fn)(const ag_view *v, ag_buf *b);

/* A body per view: the one of the view last asked for. */
typedef struct ag__http_cache {
    pthread_mutex_t mu;
    ag__http_body *cur;
    ag__http_render_fn render;
    int borrow_recs; /* use the view's recs_json, when it has one, instead of rendering */
} ag__http_cache;

/* Returns 0, or -1 when the mutex cannot be made. */
int ag__http_cache_init(ag__http_cache *c, ag__http_render_fn render, int borrow_recs);
void ag__http_cache_free(ag__http_cache *c);
/* The body of v, rendered on the first call for v. Takes over the
 * caller's reference on v (ag_serve_acquire() of s; NULL = no view: a
 * body rendered for this call only). gzip: the gzip form is made too (a
 * failure there leaves gz NULL: send it plain). Returns a reference the
 * caller drops with ag__http_body_unref(), or NULL with *rc set
 * (AG_ENOMEM, AG_ETOOBIG); v's reference is dropped either way. */
ag__http_body *ag__http_cache_get(ag__http_cache *c, ag_serve *s, const ag_view *v, int gzip,
                                  ag_err *rc);
void ag__http_body_unref(ag__http_body *b);
/* Ends b's gzip member after tail[0..n): appends to out the raw deflate
 * of tail (final block) and the trailer (CRC-32 and length of p + tail).
 * b->gz must be set. AG_ENOMEM / AG_ETOOBIG from out, AG_EIO from zlib. */
ag_err ag__http_gzip_tail(const ag__http_body *b, const char *tail, size_t n, ag_buf *out);
/* Bodies alive (cached or being sent): for tests. */
long ag__http_bodies_live(void);

/* ---- backtest jobs (backtest.c) ---- */

#define AG__HTTP_BT_MAX_JOBS 16                   /* kept, finished or not */
#define AG__HTTP_BT_RESULT_MAX ((size_t)16 << 20) /* the largest result kept */

typedef struct ag__http_bt ag__http_bt;

/* The job queue with its worker thread, running fn(ud, ...) one job at a
 * time. Returns AG_OK and *out (free with ag__http_bt_free()), AG_ENOMEM. */
ag_err ag__http_bt_new(ag_http_backtest_fn fn, void *ud, ag__http_bt **out);
/* Stops the worker (waits for the job running) and frees q. NULL: no-op. */
void ag__http_bt_free(ag__http_bt *q);
/* Checks a POST body and appends its normalised JSON to canon. AG_OK;
 * AG_EINVAL (or AG_EPARSE: not JSON) with the message naming the field in
 * msg; AG_ENOMEM. */
ag_err ag__http_bt_validate(const char *body, size_t len, ag_buf *canon, char *msg, size_t msglen);
/* Queues a validated request. AG_OK with *id; AG_ETOOBIG when every kept
 * job is unfinished (the oldest finished one is dropped to make room
 * otherwise); AG_ENOMEM. */
ag_err ag__http_bt_submit(ag__http_bt *q, const char *canon, size_t len, uint64_t *id);
/* {"items": [...]}, newest first, without results. */
ag_err ag__http_bt_list_json(ag__http_bt *q, ag_buf *b);
/* One job with its result when done. AG_ENOTFOUND. */
ag_err ag__http_bt_job_json(ag__http_bt *q, uint64_t id, ag_buf *b);
/* Removes a finished job or cancels a queued one. AG_OK; AG_ENOTFOUND;
 * AG_EINVAL when it is running. */
ag_err ag__http_bt_delete(ag__http_bt *q, uint64_t id);

/* ---- the web page (page.c) ---- */

extern const char ag__http_page[];

#endif
