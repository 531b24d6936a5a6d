/*
 * src/cmd_serve.c - `augur serve`: the daemon. Every --interval it
 * fetches the new samples from Prometheus into the store, recomputes the
 * recommendations, refits the forecasts on their own schedule and
 * publishes them over HTTP (the API, /metrics, the web page, /healthz and
 * /readyz). Configuration: the YAML file, then AUGUR_* environment
 * variables, then flags, each overriding the one before. SIGTERM or
 * SIGINT ends it cleanly: the step in progress is abandoned between its
 * stages (nothing half-built is published; what the store committed
 * stays), the server finishes the requests in flight, the store closes.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "augur/daemon.h"
#include "augur/export.h"
#include "augur/http.h"
#include "augur/k8s.h"
#include "cli.h"

#define BACKOFF_MAX_MS (5 * 60 * 1000LL)

static volatile sig_atomic_t stopping;
static volatile int cancel_flag;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    cancel_flag = 1;
}

static void help(FILE *f)
{
    fputs(
        "Usage: augur serve [--config augur.yaml] [--prometheus URL] [--listen ADDR:PORT]\n"
        "                   [--db PATH] [--interval DURATION] [--check-config]\n"
        "\n"
        "Runs continuously: every --interval (default 1m) it fetches the new samples from\n"
        "Prometheus into the store, recomputes every workload-container's recommendation,\n"
        "refits the forecasts every --forecast-interval (default 1h), and serves them:\n"
        "/api/v1/... (JSON), /metrics (Prometheus), / (web page), /healthz, /readyz.\n"
        "A failed fetch keeps the last good results served, backs off (doubling to 5m),\n"
        "and shows in /metrics and /readyz. SIGTERM ends it cleanly.\n"
        "\n"
        "      --listen ADDR:PORT   HTTP address (default 127.0.0.1:8080; 0.0.0.0:8080 in a pod)\n"
        "      --interval D         loop interval (default 1m)\n"
        "      --forecast-interval D  refit the forecasts this often (default 1h)\n"
        "      --api-token TOKEN    bearer token required by state-changing API requests\n"
        "      --log-format F       logfmt (default) or json, on stderr\n"
        "      --log-level L        debug, info (default), warn, error\n"
        "      --kubernetes WHERE   also act as a VPA recommender: write status.recommendation\n"
        "                           of the VPAs naming it (in-cluster, or a kubeconfig path)\n"
        "                           and, where AugurPolicy objects select workloads, use\n"
        "                           their policy and write their status\n"
        "      --recommender-name N the name VPAs give in spec.recommenders (default augur)\n"
        "      --policy-interval D  re-read AugurPolicy objects and the workloads they\n"
        "                           select this often (default 5m)\n"
        "      --actuate            apply recommendations to the workloads whose AugurPolicy\n"
        "                           has act: true and an updateMode (off by default)\n"
        "      --dry-run            with --actuate: log what would be applied, change nothing\n"
        "      --remote-write URL   after every step, push the forecasts and recommendations\n"
        "                           to a remote-write receiver (Prometheus, VictoriaMetrics)\n"
        "      --check-config       check the configuration, print it, and exit\n"
        "  -a, --algorithm NAME     vpa (default) or krr, with their parameters\n"
        "\n"
        "Environment (between the config file and the flags): AUGUR_CONFIG,\n"
        "AUGUR_PROMETHEUS_URL, AUGUR_LISTEN, AUGUR_DB, AUGUR_INTERVAL, AUGUR_LOG_LEVEL,\n"
        "AUGUR_LOG_FORMAT, AUGUR_API_TOKEN, AUGUR_REMOTE_WRITE_URL.\n"
        "\n",
        f);
    ag_cli_help_data(f);
    fputs("\nExit status: 0 stopped by a signal or --check-config passed, 1 runtime error,\n"
          "2 usage or configuration error.\n",
          f);
}

/* ---- logs ---- */

typedef struct logger {
    int json;
    ag_log_level min;
} logger;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* kv is logfmt ("msg=\"...\" k=v"); JSON output wraps it as one field so
 * a collector still gets one object a line. */
static void log_line(void *ud, ag_log_level lv, const char *kv)
{
    const logger *l = ud;
    char ts[40];

    if (lv < l->min)
        return;
    ag_time_format(ag_now_ms(), ts, sizeof ts);
    if (!l->json) {
        fprintf(stderr, "ts=%s level=%s %s\n", ts, level_names[lv], kv);
        return;
    }
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"logfmt\":\"", ts, level_names[lv]);
    for (const char *p = kv; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', stderr);
        if ((unsigned char)*p >= 0x20)
            fputc(*p, stderr);
    }
    fputs("\"}\n", stderr);
}

static ag_log_level parse_level(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, level_names[i]))
            return (ag_log_level)i;
    return AG_LOG_INFO;
}

/* ---- configuration ---- */

/* AUGUR_* variables become flags in front of the user's, so that the
 * user's flags (parsed later) win and the config file (applied first)
 * loses. Returns a new argv (pointers borrowed); *argc updated. */
static char **with_env(int *argc, char **argv)
{
    static const char *const env[][2] = {
        {"AUGUR_PROMETHEUS_URL", "--prometheus"},
        {"AUGUR_LISTEN", "--listen"},
        {"AUGUR_DB", "--db"},
        {"AUGUR_INTERVAL", "--interval"},
        {"AUGUR_LOG_LEVEL", "--log-level"},
        {"AUGUR_LOG_FORMAT", "--log-format"},
        {"AUGUR_API_TOKEN", "--api-token"},
        {"AUGUR_REMOTE_WRITE_URL", "--remote-write"},
    };
    size_t n = sizeof env / sizeof env[0];
    char **out = calloc((size_t)*argc + 2 * n + 1, sizeof *out);
    int k = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(env[i][0]);
        if (v && *v) {
            out[k++] = (char *)env[i][1];
            out[k++] = (char *)v;
        }
    }
    for (int i = 0; i < *argc; i++)
        out[k++] = argv[i];
    *argc = k;
    return out;
}

static void print_config(const ag_cli *cli, const ag_daemon_opts *d, const ag_http_opts *h,
                         int64_t interval)
{
    char a[32], b[32];

    printf("augur serve: configuration ok\n");
    printf("  prometheus: %s\n", d->prom.url);
    printf("  listen: %s\n", h->listen);
    printf("  db: %s\n", d->db_path ? d->db_path : "(none)");
    printf("  interval: %s, forecast-interval: %s\n", ag_duration_format(interval, a, sizeof a),
           ag_duration_format(d->forecast_every_ms, b, sizeof b));
    printf("  algorithm: %s\n", ag_algorithm_name(d->rec.algorithm));
    printf("  kubernetes: %s\n", cli->kubernetes ? cli->kubernetes : "off");
    printf(
        "  policy-interval: %s\n",
        ag_duration_format(cli->policy_every_ms ? cli->policy_every_ms : 5 * 60000, a, sizeof a));
    printf("  actuate: %s\n", !cli->actuate ? "off" : cli->actuate_dry_run ? "dry run" : "on");
    printf("  remote-write: %s\n", cli->remote_write ? cli->remote_write : "off");
    printf("  api token: %s\n", h->bearer_token ? "set"
                                                : "not set (state-changing requests "
                                                  "are refused)");
}

static int setup(const ag_cli *cli, ag_daemon_opts *d, ag_http_opts *h, int64_t *interval,
                 char *dbpath, size_t dblen)
{
    ag_daemon_opts_default(d);
    memset(h, 0, sizeof *h);
    d->prom = cli->prom;
    d->rec = cli->params;
    d->history_ms = cli->history_set ? cli->params.history_ms : 0;
    if (cli->forecast_every_ms)
        d->forecast_every_ms = cli->forecast_every_ms;
    *interval = cli->interval_ms ? cli->interval_ms : 60000;
    d->stale_ms = 3 * *interval;
    if (!d->prom.timeout_ms) /* a hung Prometheus must fail a step, not hold it */
        d->prom.timeout_ms = *interval * 2 > 30000 ? *interval * 2 : 30000;
    h->listen = cli->listen ? cli->listen : "127.0.0.1:8080";
    h->bearer_token = cli->bearer_token_api;
    if (cli->actuate && !cli->kubernetes) {
        fprintf(stderr, "augur serve: --actuate (actuate in the config) needs --kubernetes\n");
        return AG_EXIT_USAGE;
    }
    if (!cli->prometheus) {
        fprintf(stderr, "augur serve: no Prometheus: give --prometheus URL, prometheus.url in "
                        "the config file, or AUGUR_PROMETHEUS_URL\n");
        return AG_EXIT_USAGE;
    }
    if (cli->no_store) {
        d->db_path = NULL;
    } else if (cli->db) {
        d->db_path = cli->db;
    } else if (ag_store_default_path(dbpath, dblen)) {
        d->db_path = dbpath;
    } else {
        fprintf(stderr, "augur serve: no --db given and neither XDG_DATA_HOME nor HOME is set\n");
        return AG_EXIT_USAGE;
    }
    /* POST /api/v1/backtests replays the store (serve_backtest.c); none: 501 */
    h->backtest = d->db_path ? ag_cli_serve_backtest : NULL;
    h->backtest_ud = (void *)(uintptr_t)d->db_path;
    return AG_EXIT_OK;
}

/* Sleeps until t_ms (monotonic ms) or a signal. */
static void sleep_until(int64_t t_ms)
{
    while (!stopping) {
        struct timespec ts;
        int64_t now, left;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        left = t_ms - now;
        if (left <= 0)
            return;
        if (left > 200)
            left = 200; /* wake to check for a signal */
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The Kubernetes side, when asked for: AugurPolicy objects, the VPA
 * recommender writer and, with --actuate, the actuator. */
typedef struct kube {
    ag_k8s *k;
    const char *name;
    ag_k8s_policies *pols; /* the last resolve, for the status writer */
    ag_wpolicy *wp;        /* its selections, for the actuator */
    size_t nwp;
    char pol_error[256]; /* the last resolve error, logged once until it changes */
    int64_t pol_every;   /* re-read the AugurPolicies this often (monotonic ms) */
    int64_t pol_at;      /* when they were last read; INT64_MIN = never */
    ag_kube_health kh;   /* counters for /metrics */
    int actuate, dry_run;
} kube;

static int kube_open(const ag_cli *cli, kube *kb)
{
    ag_k8s_config c;
    ag_errinfo ei = {{0}};
    ag_err rc;

    memset(kb, 0, sizeof *kb);
    if (!cli->kubernetes)
        return 0;
    kb->name = cli->recommender_name ? cli->recommender_name : "augur";
    kb->pol_every = cli->policy_every_ms ? cli->policy_every_ms : 5 * 60000;
    kb->kh.on = 1;
    kb->pol_at = INT64_MIN;
    kb->actuate = cli->actuate;
    kb->dry_run = cli->actuate_dry_run;
    memset(&c, 0, sizeof c);
    rc = !strcmp(cli->kubernetes, "in-cluster") ? ag_k8s_config_incluster(NULL, &c, &ei)
                                                : ag_k8s_config_load(cli->kubernetes, &c, &ei);
    if (rc == AG_OK)
        rc = ag_k8s_new(&c, &kb->k, &ei);
    ag_k8s_config_free(&c);
    if (rc != AG_OK) {
        ag_cli_error("serve: --kubernetes", rc, &ei);
        return -1;
    }
    return 0;
}

static void kube_close(kube *kb)
{
    ag_k8s_policies_free(kb->pols);
    free(kb->wp);
    ag_k8s_free(kb->k);
    memset(kb, 0, sizeof *kb);
}

/* Reads the AugurPolicy objects and hands their selections to the
 * daemon for the next step. Without the CRD or the RBAC the daemon goes
 * on without policies (logged once); a failed read keeps the last good
 * selections. */
static void kube_policies(kube *kb, ag_daemon *d, logger *lg)
{
    ag_k8s_policies *pols = NULL;
    ag_wpolicy *wp = NULL;
    size_t n = 0;
    ag_k8s_policy_stats st = {0};
    ag_errinfo ei = {{0}};
    char kv[640];
    ag_err rc;

    if (!kb->k || (kb->pol_at != INT64_MIN && mono_ms() - kb->pol_at < kb->pol_every))
        return;
    /* listing every workload of the cluster is not free: every
     * --policy-interval, not every step (the status is written each step) */
    kb->pol_at = mono_ms();
    rc = ag_k8s_policies_resolve(kb->k, &pols, &wp, &n, &st, &ei);
    if (rc != AG_OK) {
        const char *e = ag_errinfo_str(&ei, rc);
        snprintf(kv, sizeof kv, "msg=\"no AugurPolicies\" error=\"%s\"", e);
        log_line(lg, strcmp(e, kb->pol_error) ? AG_LOG_WARN : AG_LOG_DEBUG, kv);
        snprintf(kb->pol_error, sizeof kb->pol_error, "%s", e);
        kb->pol_at = INT64_MIN; /* tried again at the next step (a 404 first, cheap) */
        kb->kh.resolve_errors++;
        /* the last good selections stay: an API hiccup must not switch
         * every selected workload's recommender back and forth */
        return;
    } else {
        kb->pol_error[0] = '\0';
        snprintf(kv, sizeof kv,
                 "msg=\"augurpolicies\" seen=%u invalid=%u workloads=%u selected=%u "
                 "conflicts=%u",
                 st.seen, st.invalid, st.workloads, st.selected, st.conflicts);
        log_line(lg, st.invalid ? AG_LOG_WARN : AG_LOG_DEBUG, kv);
    }
    if (ag_daemon_set_policies(d, wp, n) != AG_OK) {
        log_line(lg, AG_LOG_ERROR, "msg=\"augurpolicies\" error=\"out of memory\"");
        ag_k8s_policies_free(pols);
        free(wp);
        return;
    }
    ag_k8s_policies_free(kb->pols);
    free(kb->wp);
    kb->pols = pols;
    kb->wp = wp;
    kb->nwp = n;
    kb->kh.policies = st.seen;
    kb->kh.policies_invalid = st.invalid;
    kb->kh.selected = st.selected;
}

static void log_decision(void *ud, const ag_k8s_act_decision *x)
{
    char kv[768];

    snprintf(kv, sizeof kv,
             "msg=\"actuator\" namespace=%s workload=%s/%s mode=%s decision=\"%s\" action=%s "
             "pods=%u wanting=%u resized=%u deferred=%u dry_run=%d detail=\"%s\"",
             x->ns, x->kind, x->name, ag_act_mode_name((ag_act_mode)x->mode),
             ag_k8s_actuate_reason_name(x->reason), x->action, x->pods, x->wanting, x->resized,
             x->deferred, x->dry_run, x->msg);
    log_line(ud,
             x->reason == AG_ACTUATE_ERROR     ? AG_LOG_ERROR
             : x->reason == AG_ACTUATE_APPLIED ? AG_LOG_INFO
                                               : AG_LOG_DEBUG,
             kv);
}

static double pod_memory(void *ud, const char *ns, const char *pod, const char *container)
{
    return ag_daemon_pod_memory(ud, ns, pod, container);
}

/* Writes the VPA and AugurPolicy statuses from the current view and, with
 * --actuate, applies it; failures are logged and tried again at the next
 * step. */
static void kube_sync(kube *kb, ag_serve *slot, ag_daemon *d, logger *lg)
{
    const ag_view *v;
    ag_k8s_vpa_stats st = {0};
    ag_k8s_policy_status_stats ps = {0};
    ag_k8s_act_opts ao;
    ag_k8s_act_stats as = {0};
    ag_errinfo ei = {{0}};
    char kv[640];
    ag_err rc;

    if (!kb->k || !(v = ag_serve_acquire(slot)))
        return;
    rc = ag_k8s_vpa_sync(kb->k, v, kb->name, &st, &ei);
    kb->kh.vpa_writes += st.written;
    kb->kh.vpa_errors += rc != AG_OK;
    if (rc != AG_OK) {
        snprintf(kv, sizeof kv, "msg=\"vpa sync failed\" error=\"%s\"", ag_errinfo_str(&ei, rc));
        log_line(lg, AG_LOG_ERROR, kv);
    } else {
        snprintf(kv, sizeof kv,
                 "msg=\"vpa sync\" seen=%u selected=%u matched=%u written=%u unchanged=%u "
                 "conflicts=%u errors=%u",
                 st.seen, st.selected, st.matched, st.written, st.unchanged, st.conflicts,
                 st.errors);
        log_line(lg, st.errors ? AG_LOG_WARN : AG_LOG_DEBUG, kv);
    }
    if (kb->pols) {
        memset(&ei, 0, sizeof ei);
        rc = ag_k8s_policy_status_sync(kb->k, kb->pols, v, &ps, &ei);
        kb->kh.policy_writes += ps.written;
        kb->kh.policy_errors += rc != AG_OK;
        snprintf(kv, sizeof kv,
                 "msg=\"augurpolicy status\" seen=%u written=%u unchanged=%u conflicts=%u "
                 "errors=%u%s%s%s",
                 ps.seen, ps.written, ps.unchanged, ps.conflicts, ps.errors,
                 rc != AG_OK ? " error=\"" : "", rc != AG_OK ? ag_errinfo_str(&ei, rc) : "",
                 rc != AG_OK ? "\"" : "");
        log_line(lg, rc != AG_OK ? AG_LOG_ERROR : AG_LOG_DEBUG, kv);
    }
    if (kb->actuate) {
        json_t *vpas = NULL;
        memset(&ei, 0, sizeof ei);
        rc = ag_k8s_vpa_list(kb->k, &vpas, &ei);
        if (rc != AG_OK) {
            /* without it augur cannot tell which workloads a VPA manages */
            snprintf(kv, sizeof kv, "msg=\"actuator step skipped\" error=\"listing VPAs: %.400s\"",
                     ag_errinfo_str(&ei, rc));
            log_line(lg, AG_LOG_ERROR, kv);
            kb->kh.actuator_errors++;
            ag_serve_release(slot, v);
            ag_serve_set_kube(slot, &kb->kh);
            return;
        }
        ag_k8s_actuate_opts_default(&ao);
        ao.vpas = vpas;
        ao.enable = 1;
        ao.dry_run = kb->dry_run;
        ao.on_decision = log_decision;
        ao.ud = lg;
        ao.mem_usage = pod_memory;
        ao.usage_ud = d;
        memset(&ei, 0, sizeof ei);
        rc = ag_k8s_actuate(kb->k, v, kb->wp, kb->nwp, &ao, &as, &ei);
        kb->kh.actuator_errors += rc != AG_OK;
        if (!kb->dry_run) {
            kb->kh.pods_resized += as.pods_resized;
            kb->kh.templates_patched += as.templates_patched;
        }
        kb->kh.blocked_pdb += as.blocked_pdb;
        kb->kh.blocked_share += as.blocked_share;
        kb->kh.blocked_rollout += as.reasons[AG_ACTUATE_ROLLOUT];
        json_decref(vpas);
        snprintf(kv, sizeof kv,
                 "msg=\"actuator step\" considered=%u applied=%u skipped=%u pods_resized=%u "
                 "templates_patched=%u blocked_pdb=%u blocked_share=%u errors=%u dry_run=%d%s%s%s",
                 as.considered, as.applied, as.skipped, as.pods_resized, as.templates_patched,
                 as.blocked_pdb, as.blocked_share, as.errors, kb->dry_run,
                 rc != AG_OK ? " error=\"" : "", rc != AG_OK ? ag_errinfo_str(&ei, rc) : "",
                 rc != AG_OK ? "\"" : "");
        log_line(lg, rc != AG_OK ? AG_LOG_ERROR : as.applied ? AG_LOG_INFO : AG_LOG_DEBUG, kv);
    }
    ag_serve_release(slot, v);
    ag_serve_set_kube(slot, &kb->kh);
}

/* Pushes the current view to the remote-write receiver; a failure is
 * logged and the next step pushes again (the view it has then). */
static void rw_push(const char *url, int64_t interval, ag_serve *slot, logger *lg)
{
    const ag_view *v;
    ag_rw_opts o = {.url = url};
    ag_errinfo ei = {{0}};
    char detail[sizeof ei.msg], kv[sizeof ei.msg + 64];
    ag_err rc;

    if (!url || !(v = ag_serve_acquire(slot)))
        return;
    /* half the interval, 1 to 30 s: a hung receiver must not hold up the loop */
    o.timeout_ms = (long)(interval / 2 < 1000 ? 1000 : interval / 2 > 30000 ? 30000 : interval / 2);
    rc = ag_rw_push(&o, v, &ei);
    ag_serve_release(slot, v);
    if (rc != AG_OK) {
        /* the detail quotes the receiver's answer: keep the logfmt value whole */
        snprintf(detail, sizeof detail, "%s", ag_errinfo_str(&ei, rc));
        for (char *p = detail; *p; p++)
            if (*p == '"' || *p == '\\')
                *p = '\'';
        snprintf(kv, sizeof kv, "msg=\"remote-write failed\" error=\"%s\"", detail);
        log_line(lg, AG_LOG_ERROR, kv);
        return;
    }
    log_line(lg, AG_LOG_DEBUG, "msg=\"remote-write pushed\"");
}

static int run(const ag_daemon_opts *dopts, const ag_http_opts *hopts, int64_t interval, logger *lg,
               kube *kb, const char *rw_url)
{
    ag_serve *slot = ag_serve_new();
    ag_daemon *d = NULL;
    ag_http *http = NULL;
    ag_errinfo ei = {{0}};
    int64_t backoff = interval;
    int ret = AG_EXIT_RUNTIME;
    char kv[512];
    ag_err rc;

    if (!slot) {
        ag_cli_error("serve", AG_ENOMEM, NULL);
        return ret;
    }
    rc = ag_daemon_new(dopts, slot, &d, &ei);
    if (rc != AG_OK) {
        ag_cli_error("serve", rc, &ei);
        goto out;
    }
    rc = ag_http_start(hopts, slot, &http, &ei);
    if (rc != AG_OK) {
        ag_cli_error("serve: --listen", rc, &ei);
        goto out;
    }
    snprintf(kv, sizeof kv, "msg=\"serving\" listen=%s port=%d prometheus=\"%s\"", hopts->listen,
             ag_http_port(http), dopts->prom.url);
    log_line(lg, AG_LOG_INFO, kv);
    while (!stopping) {
        int64_t started = mono_ms();
        memset(&ei, 0, sizeof ei);
        kube_policies(kb, d, lg);
        rc = ag_daemon_step(d, ag_now_ms(), &cancel_flag, &ei);
        if (rc == AG_OK) {
            backoff = interval;
            if (!stopping)
                kube_sync(kb, slot, d, lg);
            if (!stopping)
                rw_push(rw_url, interval, slot, lg);
        } else {
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            if (backoff < interval)
                backoff = interval;
            snprintf(kv, sizeof kv, "msg=\"backing off\" seconds=%lld", (long long)backoff / 1000);
            log_line(lg, AG_LOG_WARN, kv);
        }
        sleep_until(started + (rc == AG_OK ? interval : backoff));
    }
    log_line(lg, AG_LOG_INFO, "msg=\"stopping\"");
    ret = AG_EXIT_OK;
out:
    ag_http_stop(http);
    ag_daemon_free(d);
    ag_serve_free(slot);
    return ret;
}

int cmd_serve(int argc, char **argv)
{
    ag_cli cli = {.cmd = "serve"};
    ag_cli_flags flags = {.data = 1, .algorithm = 1, .serve = 1};
    ag_daemon_opts dopts;
    ag_http_opts hopts;
    logger lg = {0, AG_LOG_INFO};
    kube kb = {0};
    int64_t interval;
    char dbpath[4096];
    char **args;
    int ret;
    struct sigaction sa;

    args = with_env(&argc, argv);
    if (!args) {
        ag_cli_error("serve", AG_ENOMEM, NULL);
        return AG_EXIT_RUNTIME;
    }
    ret = ag_cli_parse(&cli, &flags, argc, args, help);
    if (ret != AG_CLI_GO) {
        free(args);
        return ret;
    }
    ret = setup(&cli, &dopts, &hopts, &interval, dbpath, sizeof dbpath);
    if (ret != AG_EXIT_OK)
        goto out;
    lg.json = cli.log_format && !strcmp(cli.log_format, "json");
    lg.min = parse_level(cli.log_level);
    dopts.log = log_line;
    dopts.log_ud = &lg;
    if (cli.check_config) {
        print_config(&cli, &dopts, &hopts, interval);
        ret = AG_EXIT_OK;
        goto out;
    }
#ifdef __GLIBC__
    /* A daemon allocating the same large buffers every step (views,
     * /metrics bodies, fetched slices): a fixed mmap threshold returns
     * them to the kernel when freed instead of letting glibc's dynamic
     * threshold move them onto a heap that only grows, and two arenas
     * keep the HTTP threads from each holding their own. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_ARENA_MAX, 2);
#endif
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (kube_open(&cli, &kb) != 0) {
        ret = AG_EXIT_RUNTIME;
        goto out;
    }
    ret = run(&dopts, &hopts, interval, &lg, &kb, cli.remote_write);
    kube_close(&kb);
out:
    ag_cli_free(&cli);
    free(args);
    return ret;
}
