/*
 * src/cmd_forecast.c - `augur forecast`: quantile forecasts of every
 * workload-container's CPU and memory for the hours or days after the
 * data window, printed as a table, JSON or CSV, drawn as SVG (--plot) and
 * recorded in the store.
 *
 * The series forecast for a workload-container is what ONE of its
 * containers needs, because that is what a request sizes: at each step
 * the hottest replica, i.e. the max over the workload's pods of each
 * pod's own value for the step (CPU: its mean usage over the step,
 * memory: its peak working set over the step). Summing over pods would
 * forecast the workload's total instead and change with the replica
 * count; the mean would hide the replica that gets throttled or killed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define DEFAULT_HISTORY_MS (14 * 86400000LL)
#define DEFAULT_HORIZON_MS (24 * 3600000LL)
#define DEFAULT_STEP_MS (3600000LL)
/* 7 days of 1-minute steps, with room to spare */
#define MAX_HORIZON_STEPS 20160

static void help(FILE *f)
{
    fputs("Usage: augur forecast [--input FILE]... [--prometheus URL] [--end TIME]\n"
          "                      [--history DURATION] [--horizon 24h] [--step 1h]\n"
          "                      [--quantiles 0.5,0.95] [--model auto|NAME] [--explain]\n"
          "                      [--plot FILE.svg] [-o table|json|csv]\n"
          "\n"
          "Forecasts CPU and memory of every workload-container for --horizon after the end\n"
          "of the data window, in steps of --step, as a mean and quantiles. The series of a\n"
          "workload-container is its hottest replica at each step (max over pods of each\n"
          "pod's CPU mean / memory peak in the step): what one container will need.\n"
          "Without --input or --prometheus it uses the store. The forecasts and the run\n"
          "are recorded in the store ('augur history').\n"
          "\n"
          "      --horizon DURATION   how far ahead (default 24h; a whole number of steps)\n"
          "      --step DURATION      forecast step (default 1h); Prometheus is queried at\n"
          "                           the scrape interval\n"
          "      --quantiles LIST     comma-separated, each in (0, 1)\n"
          "                           (default 0.5,0.9,0.95,0.99)\n"
          "      --model NAME         auto (default: chosen per series by backtest) or one of:\n"
          "                          ",
          f);
    const char *const *names = ag_fc_model_names();
    for (size_t i = 0; names[i]; i++)
        fprintf(f, " %s", names[i]);
    fputs("\n"
          "      --explain            show each model's backtest scores and why one was chosen\n"
          "      --plot FILE          also draw history, forecast and bands as an SVG file\n"
          "  -o, --output FORMAT      table (default), json, csv\n"
          "      --history DURATION   history to learn from (default 14d, or what there is)\n"
          "\n",
          f);
    ag_cli_help_data(f);
    fputs("\nExit status: 0 ok, 1 runtime error, 2 usage error.\n", f);
}

/* One series to forecast: a resource of a workload-container. */
typedef struct job {
    const ag_wcontainer *wc;
    int r;
    double *v;      /* the grid values, owned */
    ag_fc_series s; /* v from its first known value on */
    ag_fc_series cov; /* the other resource of the same container on s's grid, for the
                         global models; n == 0 when that resource has no samples */
    ag_forecast fc;
} job;

typedef struct plan {
    int64_t horizon_ms, step_ms, history_ms;
    size_t horizon; /* steps */
} plan;

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "augur forecast: ");
    fprintf(stderr, msg, arg);
    fputs("\nTry 'augur forecast --help'.\n", stderr);
    return AG_EXIT_USAGE;
}

/* Checks the options that depend on each other. */
static int make_plan(const ag_cli *cli, plan *p)
{
    char a[32], b[32];

    p->horizon_ms = cli->fc_horizon_ms ? cli->fc_horizon_ms : DEFAULT_HORIZON_MS;
    p->step_ms = cli->fc_step_ms ? cli->fc_step_ms : DEFAULT_STEP_MS;
    p->history_ms = cli->history_set ? cli->params.history_ms : DEFAULT_HISTORY_MS;
    if (cli->output && !strcmp(cli->output, "yaml"))
        return usage("-o: '%s' is not one of table, json, csv", cli->output);
    if (p->step_ms % 1000)
        return usage("--step: '%s' is not a whole number of seconds",
                     ag_duration_format(p->step_ms, a, sizeof a));
    if (p->step_ms > p->horizon_ms) {
        fprintf(stderr, "augur forecast: --step %s is longer than --horizon %s\n",
                ag_duration_format(p->step_ms, a, sizeof a),
                ag_duration_format(p->horizon_ms, b, sizeof b));
        return AG_EXIT_USAGE;
    }
    if (p->horizon_ms % p->step_ms) {
        fprintf(stderr, "augur forecast: --horizon %s is not a whole number of --step %s\n",
                ag_duration_format(p->horizon_ms, a, sizeof a),
                ag_duration_format(p->step_ms, b, sizeof b));
        return AG_EXIT_USAGE;
    }
    p->horizon = (size_t)(p->horizon_ms / p->step_ms);
    if (p->horizon > MAX_HORIZON_STEPS) {
        fprintf(stderr, "augur forecast: --horizon / --step = %zu steps; at most %d\n", p->horizon,
                MAX_HORIZON_STEPS);
        return AG_EXIT_USAGE;
    }
    if (p->history_ms < p->step_ms)
        return usage("--history: shorter than one --step%s", "");
    return AG_EXIT_OK;
}

/* The workload-container's series of resource r on the grid ending at
 * end: per pod resampled (CPU mean, memory max over each step), then the
 * max over pods. Leading cells before any pod existed are cut. Sets
 * j->v and j->s; j->s.n == 0 when no pod has a sample. */
static ag_err build_series(job *j, int64_t start, int64_t end, int64_t step)
{
    size_t cells = (size_t)((end - start) / step), first = cells;
    int64_t g0 = end - (int64_t)(cells - 1) * step;
    size_t max_gap = step < 3600000 ? (size_t)(3600000 / step) : 1;
    ag_fc_agg agg = j->r == AG_CPU ? AG_FC_MEAN : AG_FC_MAX;

    j->v = malloc(cells * sizeof *j->v);
    if (!j->v)
        return AG_ENOMEM;
    for (size_t i = 0; i < cells; i++)
        j->v[i] = NAN;
    for (size_t m = 0; m < j->wc->n; m++) {
        const ag_samples *u = &j->wc->members[m]->usage[j->r];
        double *pv = NULL;
        size_t n = 0;
        ag_err rc;
        if (!u->n)
            continue;
        rc = ag_fc_resample(u->v, u->n, g0, end, step, agg, max_gap, &pv, &n);
        if (rc != AG_OK)
            return rc;
        for (size_t i = 0; i < n && i < cells; i++)
            if (isfinite(pv[i]) && !(pv[i] <= j->v[i]))
                j->v[i] = pv[i];
        free(pv);
    }
    for (size_t i = 0; i < cells && first == cells; i++)
        if (isfinite(j->v[i]))
            first = i;
    j->s.t0_ms = g0 + (int64_t)first * step;
    j->s.step_ms = step;
    j->s.v = j->v + first;
    j->s.n = cells - first;
    return AG_OK;
}

static void jobs_free(job *jobs, size_t n)
{
    for (size_t i = 0; jobs && i < n; i++) {
        free(jobs[i].v);
        ag_forecast_clear(&jobs[i].fc);
    }
    free(jobs);
}

/* Builds every non-empty series; *out is owned by the caller. */
static ag_err build_jobs(const ag_cli *cli, const ag_wcontainer *wc, size_t nwc, int64_t start,
                         int64_t end, const plan *p, job **out, size_t *nout)
{
    job *jobs = calloc(nwc * AG_NRES + 1, sizeof *jobs);
    size_t n = 0;

    if (!jobs)
        return AG_ENOMEM;
    for (size_t i = 0; i < nwc; i++) {
        for (int r = 0; r < AG_NRES; r++) {
            job *j = &jobs[n];
            ag_err rc;
            j->wc = &wc[i];
            j->r = r;
            rc = build_series(j, start, end, p->step_ms);
            if (rc != AG_OK) {
                jobs_free(jobs, n + 1);
                return rc;
            }
            if (j->s.n) {
                n++;
                continue;
            }
            if (!cli->quiet)
                fprintf(stderr, "augur: %s/%s/%s: no %s samples in the window, not forecast\n",
                        wc[i].ns, wc[i].name, wc[i].container, r == AG_CPU ? "CPU" : "memory");
            free(j->v);
            memset(j, 0, sizeof *j);
        }
    }
    *out = jobs;
    *nout = n;
    return AG_OK;
}

/* Gives every job the other resource of its workload-container as a
 * covariate, cut to the job's own grid (same start and length; NaN where
 * the other resource has no value, which the global models treat as a
 * gap). Jobs of one container are adjacent, CPU first. */
static void pair_covariates(job *jobs, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        job *a = &jobs[i], *b = &jobs[i + 1];
        if (a->wc != b->wc)
            continue;
        a->cov = a->s;
        a->cov.v = b->v + (a->s.v - a->v);
        b->cov = b->s;
        b->cov.v = a->v + (b->s.v - b->v);
    }
}

/* Trains the global model --model names (gbt, mlp) on all series of each
 * resource, so it learns from the whole cluster. g[r] stays NULL for
 * local models. */
static ag_err train_globals(const ag_cli *cli, const job *jobs, size_t n, const plan *p,
                            ag_fc_global *g[AG_NRES])
{
    ag_fc_series *ss, *cs;
    ag_errinfo ei = {{0}};
    ag_err rc = AG_OK;

    if (!cli->fc_model || (strcmp(cli->fc_model, "gbt") && strcmp(cli->fc_model, "mlp")))
        return AG_OK;
    ss = calloc(2 * n + 1, sizeof *ss);
    if (!ss)
        return AG_ENOMEM;
    cs = ss + n;
    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        size_t m = 0, paired = 0;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].r == r) {
                paired += jobs[i].cov.n != 0;
                cs[m] = jobs[i].cov;
                ss[m] = jobs[i].s;
                /* Leave out the span the backtest scores (the last day and
                 * a horizon), so the global model's backtest errors, its
                 * calibration and the choice between models are out of
                 * sample, as they are for the local models. */
                size_t cut = (size_t)(86400000 / p->step_ms) + p->horizon;
                if (cut > ss[m].n / 2)
                    cut = ss[m].n / 2;
                ss[m].n -= cut;
                cs[m].n = ss[m].n;
                m++;
            }
        /* multivariate only when every series has its partner */
        if (m)
            rc = ag_fc_global_train(cli->fc_model, ss, paired == m ? cs : NULL, m, p->horizon,
                                    0, &g[r], &ei);
        if (rc != AG_OK)
            ag_cli_error(cli->fc_model, rc, &ei);
    }
    free(ss);
    return rc;
}

static ag_err forecast_all(const ag_cli *cli, job *jobs, size_t n, const plan *p,
                           ag_fc_global *const g[AG_NRES])
{
    for (size_t i = 0; i < n; i++) {
        ag_fc_request req;
        ag_errinfo ei = {{0}};
        ag_err rc;
        ag_fc_request_default(&req, p->horizon);
        req.nq = cli->fc_nq;
        memcpy(req.quantiles, cli->fc_quantiles, sizeof req.quantiles);
        req.model = cli->fc_model;
        if (g[jobs[i].r])
            ag_fc_request_use_global(&req, g[jobs[i].r]);
        if (jobs[i].cov.n) {
            req.cov = &jobs[i].cov;
            req.ncov = 1;
        }
        rc = ag_forecast_series(&jobs[i].s, &req, &jobs[i].fc, &ei);
        if (rc != AG_OK) {
            char what[512];
            snprintf(what, sizeof what, "forecast %s/%s/%s %s", jobs[i].wc->ns, jobs[i].wc->name,
                     jobs[i].wc->container, jobs[i].r == AG_CPU ? "cpu" : "memory");
            ag_cli_error(what, rc, &ei);
            return rc;
        }
    }
    return AG_OK;
}

static ag_fc_item *make_items(const job *jobs, size_t n)
{
    ag_fc_item *items = calloc(n + 1, sizeof *items);
    for (size_t i = 0; items && i < n; i++) {
        items[i].wc = jobs[i].wc;
        items[i].resource = jobs[i].r;
        items[i].fc = &jobs[i].fc;
        items[i].hist = &jobs[i].s;
    }
    return items;
}

static int write_plot(const char *path, const ag_fc_item *items, size_t n, int64_t end,
                      const plan *p)
{
    char title[256], e[40], h[32], s[32];
    /* enough history to see the pattern the forecast continues: three
     * horizons, at least 12 hours, at most 3 days */
    int64_t hist = 3 * p->horizon_ms;
    ag_plot_opts po = {title, hist < 43200000 ? 43200000 : hist > 259200000 ? 259200000 : hist};
    FILE *f = fopen(path, "w");
    ag_err rc;

    if (!f) {
        fprintf(stderr, "augur: --plot %s: cannot create: %s\n", path, strerror(errno));
        return AG_EXIT_RUNTIME;
    }
    snprintf(title, sizeof title, "augur forecast from %s: %s ahead in steps of %s",
             ag_time_format(end, e, sizeof e), ag_duration_format(p->horizon_ms, h, sizeof h),
             ag_duration_format(p->step_ms, s, sizeof s));
    rc = ag_report_plot_svg(f, items, n, &po);
    if (fclose(f) != 0 && rc == AG_OK)
        rc = AG_EIO;
    if (rc != AG_OK) {
        fprintf(stderr, "augur: --plot %s: %s\n", path, ag_strerror(rc));
        return AG_EXIT_RUNTIME;
    }
    return AG_EXIT_OK;
}

/* Renders the JSON result into memory for the store's run record. */
static char *render_json(const ag_fc_item *items, size_t n)
{
    ag_fc_report_opts ro = {.explain = 1};
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);
    if (!f)
        return NULL;
    if (ag_report_forecast(f, AG_FMT_JSON, items, n, &ro) != AG_OK) {
        fclose(f);
        free(p);
        return NULL;
    }
    fclose(f);
    return p;
}

static char *params_json(const ag_cli *cli, const plan *p, char *buf, size_t len)
{
    char h[32], s[32], hi[32];
    size_t off;

    off = (size_t)snprintf(
        buf, len,
        "{\"horizon\": \"%s\", \"step\": \"%s\", \"history\": \"%s\", "
        "\"model\": \"%s\", \"quantiles\": [",
        ag_duration_format(p->horizon_ms, h, sizeof h), ag_duration_format(p->step_ms, s, sizeof s),
        ag_duration_format(p->history_ms, hi, sizeof hi), cli->fc_model ? cli->fc_model : "auto");
    for (size_t k = 0; k < cli->fc_nq && off < len; k++)
        off += (size_t)snprintf(buf + off, len - off, "%s%g", k ? ", " : "", cli->fc_quantiles[k]);
    if (off < len)
        snprintf(buf + off, len - off, "]}");
    return buf;
}

/* Records the run and its forecast points. */
static int record(ag_store *st, const ag_cli *cli, const plan *p, const job *jobs, size_t n,
                  const ag_fc_item *items, int64_t start, int64_t end, const char *source)
{
    char algo[64], params[1024];
    char *json = render_json(items, n);
    ag_store_fc *fcs = calloc(n + 1, sizeof *fcs);
    ag_errinfo ei = {{0}};
    int64_t id = 0;
    ag_err rc = fcs ? AG_OK : AG_ENOMEM;

    snprintf(algo, sizeof algo, "forecast:%s", cli->fc_model ? cli->fc_model : "auto");
    if (rc == AG_OK) {
        ag_run run = {
            .created_ms = ag_now_ms(),
            .start_ms = start,
            .end_ms = end,
            .algorithm = algo,
            .params_json = params_json(cli, p, params, sizeof params),
            .source = source,
            .result_json = json ? json : "[]",
            .n_results = n,
        };
        rc = ag_store_put_run(st, &run, &id, &ei);
    }
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        const ag_forecast *f = &jobs[i].fc;
        fcs[i] = (ag_store_fc){
            .run_id = id,
            .ns = jobs[i].wc->ns,
            .kind = jobs[i].wc->kind,
            .workload = jobs[i].wc->name,
            .container = jobs[i].wc->container,
            .resource = jobs[i].r,
            .model = f->model,
            .t0_ms = f->t0_ms,
            .step_ms = f->step_ms,
            .horizon = f->horizon,
            .mean = f->mean,
            .nq = f->nq,
            .quantiles = f->quantiles,
            .q = f->q,
        };
    }
    if (rc == AG_OK)
        rc = ag_store_put_forecasts(st, fcs, n, &ei);
    free(fcs);
    free(json);
    if (rc != AG_OK) {
        ag_cli_error("store", rc, &ei);
        return AG_EXIT_RUNTIME;
    }
    return AG_EXIT_OK;
}

/* Loads the data, stores it and cuts the window. */
static ag_dataset *load(const ag_cli *cli, const plan *p, ag_store **st, int64_t *start,
                        int64_t *end, char *source, size_t len)
{
    int from_store;
    ag_dataset *ds = ag_cli_load(cli, p->history_ms, start, end, &from_store, source, len);
    ag_errinfo ei = {{0}};
    ag_err rc;

    if (!ds)
        return NULL;
    if (!cli->no_store) {
        *st = ag_cli_open_store(cli);
        if (!*st)
            goto fail;
    }
    if (*st && !from_store) {
        uint64_t inserted = 0;
        rc = ag_store_put_dataset(*st, ds, &inserted, &ei);
        if (rc != AG_OK) {
            ag_cli_error("store", rc, &ei);
            goto fail;
        }
    }
    rc = ag_dataset_finish(ds, *start, *end, NULL);
    if (rc != AG_OK) {
        ag_cli_error("forecast", rc, NULL);
        goto fail;
    }
    return ds;
fail:
    ag_dataset_free(ds);
    return NULL;
}

int cmd_forecast(int argc, char **argv)
{
    ag_cli cli = {.cmd = "forecast"};
    ag_cli_flags flags = {.data = 1, .output = 1, .forecast = 1};
    ag_dataset *ds = NULL;
    ag_wcontainer *wc = NULL;
    ag_store *st = NULL;
    ag_fc_global *g[AG_NRES] = {NULL};
    ag_fc_item *items = NULL;
    ag_fc_report_opts ro = {0};
    job *jobs = NULL;
    ag_filter filter = {0};
    ag_format fmt = AG_FMT_TABLE;
    size_t nwc = 0, n = 0;
    int64_t start, end;
    int ret;
    plan p;
    char source[4096];
    ag_err rc;

    ret = ag_cli_parse(&cli, &flags, argc, argv, help);
    if (ret != AG_CLI_GO)
        return ret;
    ret = make_plan(&cli, &p);
    if (ret != AG_EXIT_OK)
        goto out;
    if (cli.output)
        ag_format_parse(cli.output, &fmt);
    ret = AG_EXIT_RUNTIME;
    ds = load(&cli, &p, &st, &start, &end, source, sizeof source);
    if (!ds)
        goto out;
    filter.ns = cli.ns;
    filter.selector = cli.selector;
    rc = ag_dataset_group(ds, &filter, &wc, &nwc);
    if (rc == AG_OK)
        rc = build_jobs(&cli, wc, nwc, start, end, &p, &jobs, &n);
    if (rc != AG_OK) {
        ag_cli_error("forecast", rc, NULL);
        goto out;
    }
    pair_covariates(jobs, n);
    if (train_globals(&cli, jobs, n, &p, g) != AG_OK || forecast_all(&cli, jobs, n, &p, g))
        goto out;
    if (n == 0 && !cli.quiet)
        fprintf(stderr, "augur: no workload-containers with samples in the window%s\n",
                cli.ns || cli.selector ? " matching --namespace/--selector" : "");
    items = make_items(jobs, n);
    if (!items) {
        ag_cli_error("forecast", AG_ENOMEM, NULL);
        goto out;
    }
    ro.explain = cli.fc_explain;
    rc = ag_report_forecast(stdout, fmt, items, n, &ro);
    if (rc != AG_OK || fflush(stdout) != 0) {
        ag_cli_error("output", rc ? rc : AG_EIO, NULL);
        goto out;
    }
    if (cli.fc_plot && write_plot(cli.fc_plot, items, n, end, &p) != AG_EXIT_OK)
        goto out;
    if (st && record(st, &cli, &p, jobs, n, items, start, end, source) != AG_EXIT_OK)
        goto out;
    ret = AG_EXIT_OK;
out:
    free(items);
    jobs_free(jobs, n);
    for (int r = 0; r < AG_NRES; r++)
        if (g[r])
            ag_fc_global_free(g[r]);
    ag_wcontainers_free(wc, nwc);
    ag_dataset_free(ds);
    ag_store_close(st);
    ag_cli_free(&cli);
    return ret;
}
