/*
 * bench/bench_http.c - the HTTP server of `augur serve` under load
 * (issue #5, section 6): builds a realistic view (N workload-containers
 * with vpa recommendations, 2 N forecasts of 24 hourly steps x 3
 * quantiles with 7 days of hourly history), publishes it into an
 * ag_serve, starts ag_http_start() on 127.0.0.1, port 0, prints the port
 * on stdout and serves until killed, stdin closes or the time limit.
 *
 *   bench_http [N=1000] [SECONDS=0 (no limit)]
 *
 * The per-client-IP rate limiter is set to 1e9 requests/s (burst 1e9):
 * the load generator is one loopback client, which the default 200/s
 * would throttle. bench/bench_http.sh drives it with wrk.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "augur/http.h"
#include "augur/report.h"
#include "augur/serve.h"
#include "augur/util.h"
#include "util/alloc.h"

static uint64_t rng = 42;
static double urand(void) /* xorshift64, [0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static const char *const namespaces[] = {
    "payments", "checkout", "catalog",  "search",   "identity", "notifications", "shipping",
    "billing",  "ads",      "frontend", "data-ingest", "ml-serving", "monitoring", "platform",
    "orders",   "inventory", "reviews",  "recommendations", "analytics", "gateway",
};
static const char *const apps[] = {
    "api",          "worker",        "web",          "cart-service", "order-processor",
    "postgres",     "redis",         "kafka-connect", "elasticsearch", "auth-proxy",
    "image-resizer", "email-sender", "pricing-engine", "session-store", "grpc-gateway",
    "event-router", "feature-store", "model-server", "cron-reporter", "ledger",
};
static const char *const sidecars[] = {"istio-proxy", "envoy", "fluent-bit", "otel-collector"};

static char *render_json(const ag_view *v, size_t *len)
{
    ag_wcontainer *wc = calloc(v->nrecs, sizeof *wc);
    ag_report_item *it = calloc(v->nrecs, sizeof *it);
    ag_report_opts o = {.algorithm = "vpa"};
    char *p = NULL, *out;
    FILE *f = open_memstream(&p, len);

    if (!wc || !it || !f)
        return NULL;
    for (size_t i = 0; i < v->nrecs; i++) {
        const ag_view_rec *r = &v->recs[i];
        wc[i].ns = r->ns;
        wc[i].kind = r->kind;
        wc[i].name = r->name;
        wc[i].container = r->container;
        wc[i].n = (size_t)r->pods;
        for (int k = 0; k < AG_NRES; k++) {
            wc[i].request[k] = r->request[k];
            wc[i].limit[k] = r->limit[k];
        }
        it[i].wc = &wc[i];
        it[i].rec = r->rec;
    }
    if (ag_report_write(f, AG_FMT_JSON, it, v->nrecs, &o) != AG_OK)
        return NULL;
    fclose(f);
    out = ag__strdup(p);
    free(p);
    free(wc);
    free(it);
    return out;
}

static ag_view *build(size_t n)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    int64_t now = ag_now_ms();
    int64_t step = 3600000, t0 = now / step * step + step;
    static const double qs[3] = {0.5, 0.9, 0.95};

    v->computed_ms = now;
    v->data_end_ms = now;
    v->algorithm = "vpa";
    v->nrecs = n;
    v->recs = ag__calloc(n, sizeof *v->recs);
    v->nfcs = 2 * n;
    v->fcs = ag__calloc(2 * n, sizeof *v->fcs);
    for (size_t i = 0; i < n; i++) {
        ag_view_rec *x = &v->recs[i];
        /* about 3 containers per workload: main + sometimes sidecars */
        size_t w = i / 3, c = i % 3;
        const char *ns = namespaces[w % (sizeof namespaces / sizeof *namespaces)];
        const char *app = apps[(w / 20) % (sizeof apps / sizeof *apps)];
        int sts = (w % 7) == 3;
        snprintf(x->ns, sizeof x->ns, "%s", ns);
        snprintf(x->kind, sizeof x->kind, "%s", sts ? "StatefulSet" : "Deployment");
        if (w / 400)
            snprintf(x->name, sizeof x->name, "%s-%zu", app, w / 400);
        else
            snprintf(x->name, sizeof x->name, "%s", app);
        snprintf(x->container, sizeof x->container, "%s",
                 c == 0 ? app : sidecars[(w + c) % (sizeof sidecars / sizeof *sidecars)]);
        x->pods = 1 + (int)(urand() * 12);
        x->algorithm = "vpa";
        x->rec.confidence_days = 8;
        x->rec.ooms = urand() < 0.03 ? 1 + (uint32_t)(urand() * 3) : 0;
        for (int r = 0; r < AG_NRES; r++) {
            double req = r == AG_CPU ? 0.1 * (1 + (int)(urand() * 20))
                                     : 134217728.0 * (1 + (int)(urand() * 32));
            double t = req * (0.2 + 1.3 * urand());
            x->request[r] = urand() < 0.1 ? NAN : req;
            x->limit[r] = r == AG_CPU && urand() < 0.5 ? NAN : 2 * req;
            x->rec.res[r] = (ag_rec_res){t, t * 0.6, t * 1.9, t, r == AG_MEMORY ? t * 1.2 : NAN};
            x->rec.status[r] = AG_REC_OK;
            x->rec.samples[r] = 11520;
        }
        for (int r = 0; r < AG_NRES; r++) {
            ag_view_fc *f = &v->fcs[2 * i + (size_t)r];
            double base = x->rec.res[r].target * 0.7;
            memcpy(f->ns, x->ns, sizeof f->ns);
            memcpy(f->kind, x->kind, sizeof f->kind);
            memcpy(f->name, x->name, sizeof f->name);
            memcpy(f->container, x->container, sizeof f->container);
            snprintf(f->model, sizeof f->model, "%s",
                     (i + (size_t)r) % 3 == 0 ? "seasonal_naive" : (i % 3 == 1 ? "ets" : "ar"));
            f->resource = r;
            f->t0_ms = t0;
            f->step_ms = step;
            f->horizon = 24;
            f->nq = 3;
            memcpy(f->quantiles, qs, sizeof qs);
            f->q = ag__calloc(3 * 24, sizeof *f->q);
            for (size_t k = 0; k < 3; k++)
                for (size_t h = 0; h < 24; h++)
                    f->q[k * 24 + h] =
                        base * (1 + 0.4 * sin(2 * M_PI * (double)h / 24)) * (1 + 0.25 * (double)k);
            f->nhist = 168;
            f->history = ag__calloc(168, sizeof *f->history);
            for (size_t h = 0; h < 168; h++)
                f->history[h] = base * (1 + 0.4 * sin(2 * M_PI * (double)h / 24)) *
                                (0.8 + 0.4 * urand());
        }
    }
    v->recs_json = render_json(v, &v->recs_json_len);
    if (!v->recs_json) {
        fprintf(stderr, "bench_http: rendering the JSON failed\n");
        exit(1);
    }
    v->health.started_ms = now - 3600000;
    v->health.last_success_ms = now;
    v->health.last_attempt_ms = now;
    v->health.loops = 60;
    v->health.ready = 1;
    return v;
}

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
    (void)s;
    stop = 1;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000;
    long secs = argc > 2 ? atol(argv[2]) : 0;
    ag_serve *s = ag_serve_new();
    ag_http *h = NULL;
    ag_http_opts o = {.listen = "127.0.0.1:0", .rate_per_s = 1e9, .burst = 1000000000};
    ag_errinfo ei = {{0}};
    ag_health hl = {0};
    ag_view *v;
    time_t end;

    if (!s || n == 0)
        return 1;
    v = build(n);
    hl = v->health;
    hl.series_tracked = 2 * n;
    hl.samples_ingested = 2 * n * 11520;
    hl.last_loop_seconds = 1.0;
    fprintf(stderr, "bench_http: %zu recommendations, %zu forecasts, recommendations JSON %zu bytes\n",
            v->nrecs, v->nfcs, v->recs_json_len);
    ag_serve_publish(s, v);
    ag_serve_set_health(s, &hl);
    if (ag_http_start(&o, s, &h, &ei) != AG_OK) {
        fprintf(stderr, "bench_http: %s\n", ei.msg);
        return 1;
    }
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    signal(SIGPIPE, SIG_IGN);
    printf("%d\n", ag_http_port(h));
    fflush(stdout);
    end = time(NULL) + secs;
    while (!stop && (secs <= 0 || time(NULL) < end))
        sleep(1);
    ag_http_stop(h);
    ag_serve_free(s);
    return 0;
}
