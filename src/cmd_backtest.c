/*
 * src/cmd_backtest.c - `augur backtest`: had a recommender been in charge
 * of the user's own history, what would have been requested, and how
 * many OOM kills, throttling and evictions would there have been.
 *
 * Replays the data window (files, Prometheus or the store) under the
 * baseline (the trace's own requests, mode off), the recommender asked
 * for, and those of --compare; optionally sweeps each one's main knob
 * for the Pareto frontier. Writes the report (table or JSON) to stdout,
 * the HTML page to --html, and every decision of the recommender asked
 * for as CSV to --emit-decisions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

#define DAY_MS (24LL * 3600 * 1000)
#define MAX_RUNS 16

static void help(FILE *f)
{
    fputs("Usage: augur backtest [--algorithm augur|vpa|krr|autopilot|crane|static]\n"
          "                      [--policy stable|cost-saving] [--compare LIST]\n"
          "                      [--input FILE]... [--prometheus URL] [--end TIME]\n"
          "                      [--history DURATION] [--warmup 24h] [--mode MODE]\n"
          "                      [--limits POLICY] [-o table|json] [--html FILE]\n"
          "                      [--emit-decisions FILE] [--sweep]\n"
          "\n"
          "Replays the usage history step by step as if the recommender had been in charge\n"
          "of every container's requests and limits, with the VPA updater's rules, and\n"
          "reports what would have been requested and what it would have cost: OOM kills,\n"
          "memory at risk, CPU throttled and at risk, evictions and restarts; against the\n"
          "baseline of the requests the containers really had. Semantics: docs/simulator.md.\n"
          "\n"
          "  -a, --algorithm NAME     the recommender in charge (default augur)\n"
          "      --policy NAME        augur: stable (headroom, few changes; default) or\n"
          "                           cost-saving (tight, more changes)\n"
          "      --compare LIST       also replay these, comma-separated: vpa, krr, autopilot,\n"
          "                           autopilot:avg|max|pct, crane, crane:dsp, augur:stable,\n"
          "                           augur:cost-saving, static; 'all'; 'none' (default vpa)\n"
          "      --sweep              also replay each one's main knob over a range, for the\n"
          "                           Pareto frontier of slack against OOM kills and throttling\n"
          "      --mode MODE          how recommendations are applied: recreate (default; the\n"
          "                           VPA's Recreate/Auto), in-place, initial, off\n"
          "      --limits POLICY      recommender (default: each one's own), keep-ratio (the\n"
          "                           trace's limit:request), upper (the upper bound),\n"
          "                           no-cpu-limit\n"
          "      --warmup DURATION    learn only, no metrics (default 24h)\n"
          "      --interval DURATION  the recommender is asked this often (default 5m)\n"
          "      --restart-time D     a container is down this long after an OOM kill or an\n"
          "                           eviction (default 60s; doubles in a crash loop, to 5m)\n"
          "      --min-replicas N     no evictions below N replicas (default 1; the VPA's is 2)\n"
          "      --eviction-tolerance F  share of replicas evictable at once (default 0.5)\n"
          "      --seed N             order of evictions among equals (default 0)\n"
          "  -o, --output FORMAT      table (default) or json\n"
          "      --html FILE          a self-contained HTML report with charts\n"
          "      --emit-decisions FILE  every decision of the recommender in charge as CSV:\n"
          "                           time,namespace,workload,container,resource,request,limit,\n"
          "                           lower,upper,event,pod\n"
          "\n",
          f);
    ag_cli_help_data(f);
    fputs("      --trace-format NAME  read --input as a public cluster trace (see\n"
          "                           docs/input-formats.md); default: told from the file\n"
          "      --capacity-cores N, --capacity-memory Q  the capacity percent traces are\n"
          "                           scaled by\n"
          "      --input synth:SHAPE:k=v,...  a synthetic workload (docs/synthetic.md)\n"
          "\nRecommender parameters (also settable in the config file):\n",
          f);
    const char *const *lists[2] = {ag_online_param_names(), ag_rec_param_names()};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l][i]; i += 2)
            fprintf(f, "      --%-28s %s\n", lists[l][i], lists[l][i + 1]);
    fputs("\nExit status: 0 ok, 1 runtime error, 2 usage error.\n", f);
}

/* One replay's configuration and outcome. */
typedef struct job {
    char label[64];
    char policy_name[16];
    ag_online_params p;
    ag_sim_opts o;
    ag_sim_result *res;
    ag_bt_run run;
} job;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "autopilot:max", "augur:cost-saving", "crane:dsp": the kind and its
 * variant. */
static int parse_spec(const ag_cli *cli, const char *spec, ag_online_params *p, char *label,
                      size_t len, char *policy, size_t plen)
{
    char kind[32];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *var = colon ? colon + 1 : NULL;
    ag_online_kind k;
    ag_errinfo ei = {{0}};

    if (n >= sizeof kind)
        n = sizeof kind - 1;
    memcpy(kind, spec, n);
    kind[n] = '\0';
    if (ag_online_kind_parse(kind, &k) != AG_OK) {
        fprintf(stderr,
                "augur backtest: '%s' is not a recommender (augur, vpa, krr, autopilot, "
                "crane, static)\n",
                spec);
        return -1;
    }
    ag_online_params_default(p, k);
    policy[0] = '\0';
    if (k == AG_ONLINE_AUGUR) {
        ag_augur_policy pol = AG_POLICY_STABLE;
        const char *name = var ? var : cli->bt_policy;
        if (name && ag_augur_policy_parse(name, &pol) != AG_OK) {
            fprintf(stderr, "augur backtest: '%s': the policy is stable or cost-saving\n", spec);
            return -1;
        }
        ag_augur_params_policy(&p->augur, pol);
        snprintf(policy, plen, "%s", ag_augur_policy_name(pol));
    }
    for (size_t i = 0; i < cli->bt_nsets; i++)
        if (ag_online_params_set(p, cli->bt_sets[i][0], cli->bt_sets[i][1], &ei) != AG_OK) {
            fprintf(stderr, "augur backtest: --%s: %s\n", cli->bt_sets[i][0],
                    ag_errinfo_str(&ei, AG_EINVAL));
            return -1;
        }
    if (var && k == AG_ONLINE_AUTOPILOT &&
        ag_online_params_set(p, "autopilot-variant", var, &ei) != AG_OK) {
        fprintf(stderr, "augur backtest: '%s': %s\n", spec, ag_errinfo_str(&ei, AG_EINVAL));
        return -1;
    }
    if (var && k == AG_ONLINE_CRANE &&
        ag_online_params_set(p, "crane-variant", var, &ei) != AG_OK) {
        fprintf(stderr, "augur backtest: '%s': %s\n", spec, ag_errinfo_str(&ei, AG_EINVAL));
        return -1;
    }
    if (var && k != AG_ONLINE_AUGUR && k != AG_ONLINE_AUTOPILOT && k != AG_ONLINE_CRANE) {
        fprintf(stderr, "augur backtest: '%s': %s has no variants\n", spec, kind);
        return -1;
    }
    if (k == AG_ONLINE_AUGUR)
        snprintf(label, len, "augur %s", policy);
    else if (k == AG_ONLINE_AUTOPILOT) {
        static const char *const v[] = {"ml", "avg", "max", "pct"};
        snprintf(label, len, "autopilot %s", v[p->autopilot.variant & 3]);
    } else if (k == AG_ONLINE_CRANE)
        snprintf(label, len, "crane %s", p->crane.variant == AG_CRANE_DSP ? "dsp" : "percentile");
    else
        snprintf(label, len, "%s", kind);
    return 0;
}

static int sim_opts(const ag_cli *cli, ag_sim_opts *o)
{
    ag_sim_opts_default(o);
    if (cli->bt_interval_ms)
        o->interval_ms = cli->bt_interval_ms;
    if (cli->bt_warmup_ms >= 0)
        o->warmup_ms = cli->bt_warmup_ms;
    if (cli->bt_restart_ms) {
        o->restart_ms = cli->bt_restart_ms;
        if (o->backoff_max_ms < o->restart_ms)
            o->backoff_max_ms = o->restart_ms;
    }
    if (cli->bt_mode)
        ag_update_mode_parse(cli->bt_mode, &o->mode);
    if (cli->bt_limits)
        ag_limit_policy_parse(cli->bt_limits, &o->limits);
    if (cli->bt_min_replicas >= 0)
        o->min_replicas = cli->bt_min_replicas;
    if (cli->bt_tolerance >= 0)
        o->eviction_tolerance = cli->bt_tolerance;
    o->seed = cli->bt_seed;
    return 0;
}

/* ---- --emit-decisions ---- */

typedef struct csv_out {
    FILE *f;
    int failed;
} csv_out;

static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

static void csv_num(FILE *f, double v, int res)
{
    if (!isfinite(v))
        return;
    if (res == AG_MEMORY)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

static void on_decision(void *ud, const ag_sim_event *e)
{
    csv_out *c = ud;
    char t[40], wl[512];

    if (c->failed)
        return;
    snprintf(wl, sizeof wl, "%s/%s", e->wc->kind, e->wc->name);
    fprintf(c->f, "%s,", ag_time_format(e->t_ms, t, sizeof t));
    csv_field(c->f, e->wc->ns);
    fputc(',', c->f);
    csv_field(c->f, wl);
    fputc(',', c->f);
    csv_field(c->f, e->wc->container);
    fprintf(c->f, ",%s,", ag_resource_name(e->res));
    csv_num(c->f, e->request, e->res);
    fputc(',', c->f);
    csv_num(c->f, e->limit, e->res);
    fputc(',', c->f);
    csv_num(c->f, e->lower, e->res);
    fputc(',', c->f);
    csv_num(c->f, e->upper, e->res);
    fprintf(c->f, ",%s,", e->event);
    csv_field(c->f, e->pod);
    if (fputc('\n', c->f) == EOF)
        c->failed = 1;
}

/* ---- the replays ---- */

static int replay(job *j, const ag_wcontainer *wc, size_t n)
{
    ag_errinfo ei = {{0}};
    double t0 = cpu_seconds();
    ag_err rc;

    j->res = calloc(n ? n : 1, sizeof *j->res);
    if (!j->res) {
        ag_cli_error("backtest", AG_ENOMEM, NULL);
        return -1;
    }
    rc = ag_sim_run(&j->o, &j->p, wc, n, j->res, &j->run.total, &ei);
    if (rc != AG_OK) {
        ag_cli_error(j->label, rc, &ei);
        free(j->res);
        j->res = NULL;
        return -1;
    }
    j->run.label = j->label;
    j->run.algorithm = ag_online_kind_name(j->p.kind);
    j->run.policy = j->policy_name[0] ? j->policy_name : NULL;
    j->run.knob_name = ag_online_knob_name(j->p.kind);
    j->run.knob = ag_online_knob_get(&j->p);
    j->run.results = j->res;
    j->run.n = n;
    j->run.seconds = cpu_seconds() - t0;
    return 0;
}

static void free_job(job *j, size_t n)
{
    if (j->res) {
        ag_sim_results_clear(j->res, n);
        free(j->res);
        j->res = NULL;
    }
}

/* The list of recommenders to replay after the one asked for. */
static int compare_list(const ag_cli *cli, const char *first, const char **out, size_t *n,
                        char *buf, size_t len)
{
    static const char *const all[] = {
        "augur:stable", "augur:cost-saving", "vpa", "krr", "autopilot", "crane", "crane:dsp"};
    const char *spec = cli->bt_compare ? cli->bt_compare : "vpa";

    *n = 0;
    if (!strcmp(spec, "none"))
        return 0;
    if (!strcmp(spec, "all")) {
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (strcmp(all[i], first) != 0)
                out[(*n)++] = all[i];
        return 0;
    }
    snprintf(buf, len, "%s", spec);
    for (char *s = buf, *c; s && *s; s = c ? c + 1 : NULL) {
        c = strchr(s, ',');
        if (c)
            *c = '\0';
        if (*n == MAX_RUNS - 1) {
            fprintf(stderr, "augur backtest: --compare: at most %d\n", MAX_RUNS - 1);
            return -1;
        }
        if (strcmp(s, first) != 0)
            out[(*n)++] = s;
    }
    return 0;
}

static int write_html(const char *path, const ag_bt_report *r)
{
    FILE *f = fopen(path, "w");
    ag_err rc;

    if (!f) {
        fprintf(stderr, "augur: --html: cannot write %s\n", path);
        return -1;
    }
    rc = ag_report_backtest_html(f, r);
    if (fclose(f) != 0 || rc != AG_OK) {
        fprintf(stderr, "augur: --html: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

/* Sweeps the knob of each replayed recommender: totals only. */
static int sweep(job *runs, size_t nruns, const ag_wcontainer *wc, size_t n, ag_bt_run **out,
                 size_t *nout, job **sj_out)
{
    size_t cap = 0, k = 0;
    job *sj;

    for (size_t i = 0; i < nruns; i++) {
        size_t nk;
        ag_online_knob_sweep(runs[i].p.kind, &nk);
        cap += nk;
    }
    sj = calloc(cap ? cap : 1, sizeof *sj);
    *out = calloc(cap ? cap : 1, sizeof **out);
    if (!sj || !*out) {
        free(sj);
        free(*out);
        ag_cli_error("backtest", AG_ENOMEM, NULL);
        return -1;
    }
    for (size_t i = 0; i < nruns; i++) {
        size_t nk;
        const double *kv = ag_online_knob_sweep(runs[i].p.kind, &nk);
        for (size_t q = 0; q < nk; q++) {
            job *j = &sj[k];
            *j = runs[i];
            j->res = NULL;
            j->o.on_event = NULL;
            j->o.chart_step_ms = 0;
            if (ag_online_knob_set(&j->p, kv[q]) != AG_OK)
                continue;
            if (replay(j, wc, n) != 0) {
                for (size_t z = 0; z < k; z++)
                    free_job(&sj[z], n);
                free(sj);
                free(*out);
                return -1;
            }
            free_job(j, n); /* totals are enough */
            j->run.results = NULL;
            j->run.n = 0;
            (*out)[k++] = j->run;
        }
    }
    *nout = k;
    *sj_out = sj;
    return 0;
}

int ag_cli_backtest(int argc, char **argv, FILE *out)
{
    ag_cli cli = {.cmd = "backtest"};
    ag_cli_flags flags = {.data = 1, .output = 1, .backtest = 1};
    ag_dataset *ds = NULL;
    ag_wcontainer *wc = NULL;
    ag_filter filter;
    ag_format fmt = AG_FMT_TABLE;
    size_t n = 0, nruns = 0, ncmp = 0, nsweep = 0;
    int64_t start, end, history;
    int from_store, ret;
    char source[4096], cmpbuf[1024];
    const char *cmp[MAX_RUNS];
    job base, runs[MAX_RUNS], *sweep_jobs = NULL;
    ag_bt_run bt_runs[MAX_RUNS], *bt_sweep = NULL;
    ag_bt_report rep;
    csv_out csv = {NULL, 0};
    const char *first;
    ag_err rc;

    memset(&base, 0, sizeof base);
    memset(runs, 0, sizeof runs);
    ret = ag_cli_parse(&cli, &flags, argc, argv, help);
    if (ret != AG_CLI_GO)
        return ret;
    ret = AG_EXIT_USAGE;
    if (cli.output && (ag_format_parse(cli.output, &fmt) != AG_OK ||
                       (fmt != AG_FMT_TABLE && fmt != AG_FMT_JSON))) {
        fprintf(stderr, "augur backtest: -o: '%s' is not table or json\n", cli.output);
        goto out;
    }
    first = cli.bt_algorithm ? cli.bt_algorithm : "augur";
    if (parse_spec(&cli, first, &runs[0].p, runs[0].label, sizeof runs[0].label,
                   runs[0].policy_name, sizeof runs[0].policy_name) != 0 ||
        compare_list(&cli, first, cmp, &ncmp, cmpbuf, sizeof cmpbuf) != 0)
        goto out;
    nruns = 1;
    for (size_t i = 0; i < ncmp; i++) {
        int dup = 0;
        if (parse_spec(&cli, cmp[i], &runs[nruns].p, runs[nruns].label, sizeof runs[nruns].label,
                       runs[nruns].policy_name, sizeof runs[nruns].policy_name) != 0)
            goto out;
        for (size_t k = 0; k < nruns; k++)
            dup |= !strcmp(runs[k].label, runs[nruns].label); /* "augur" = "augur:stable" */
        if (!dup)
            nruns++;
    }

    ret = AG_EXIT_RUNTIME;
    history = cli.history_set ? cli.params.history_ms : 30 * DAY_MS;
    ds = ag_cli_load(&cli, history, &start, &end, &from_store, source, sizeof source);
    if (!ds)
        goto out;
    rc = ag_dataset_finish(ds, start, end, NULL);
    filter.ns = cli.ns;
    filter.selector = cli.selector;
    if (rc == AG_OK)
        rc = ag_dataset_group(ds, &filter, &wc, &n);
    if (rc != AG_OK) {
        ag_cli_error("backtest", rc, NULL);
        goto out;
    }
    if (n == 0 && !cli.quiet)
        fprintf(stderr, "augur: no workload-containers with samples in the window%s\n",
                cli.ns || cli.selector ? " matching --namespace/--selector" : "");

    /* the baseline: the requests the containers had, never changed */
    sim_opts(&cli, &base.o);
    base.o.mode = AG_MODE_OFF;
    ag_online_params_default(&base.p, AG_ONLINE_STATIC);
    snprintf(base.label, sizeof base.label, "as is (the trace's requests)");
    for (size_t i = 0; i < nruns; i++) {
        sim_opts(&cli, &runs[i].o);
        if (cli.bt_html) {
            int64_t cs = (end - start) / 600;
            runs[i].o.chart_step_ms = cs > 300000 ? cs : 300000;
        }
    }
    base.o.chart_step_ms = runs[0].o.chart_step_ms;
    if (cli.bt_decisions) {
        csv.f = fopen(cli.bt_decisions, "w");
        if (!csv.f) {
            fprintf(stderr, "augur: --emit-decisions: cannot write %s\n", cli.bt_decisions);
            goto out;
        }
        fputs("time,namespace,workload,container,resource,request,limit,lower,upper,event,pod\n",
              csv.f);
        runs[0].o.on_event = on_decision;
        runs[0].o.event_ud = &csv;
    }
    if (replay(&base, wc, n) != 0)
        goto out;
    for (size_t i = 0; i < nruns; i++) {
        if (!cli.quiet)
            fprintf(stderr, "augur: replaying %zu workload-containers under %s\n", n,
                    runs[i].label);
        if (replay(&runs[i], wc, n) != 0)
            goto out;
        bt_runs[i] = runs[i].run;
    }
    if (csv.f) {
        int bad = csv.failed || fclose(csv.f) != 0;
        csv.f = NULL;
        if (bad) {
            fprintf(stderr, "augur: --emit-decisions: writing %s failed\n", cli.bt_decisions);
            goto out;
        }
    }
    if (cli.bt_sweep && sweep(runs, nruns, wc, n, &bt_sweep, &nsweep, &sweep_jobs) != 0)
        goto out;

    memset(&rep, 0, sizeof rep);
    rep.baseline = &base.run;
    rep.runs = bt_runs;
    rep.nruns = nruns;
    rep.sweep = bt_sweep;
    rep.nsweep = nsweep;
    rep.start_ms = start;
    rep.end_ms = end;
    rep.warmup_ms = runs[0].o.warmup_ms;
    rep.mode = ag_update_mode_name(runs[0].o.mode);
    rep.limits = ag_limit_policy_name(runs[0].o.limits);
    rep.source = source;
    rc = ag_report_backtest(out, fmt, &rep);
    if (rc != AG_OK || fflush(out) != 0) {
        ag_cli_error("output", rc ? rc : AG_EIO, NULL);
        goto out;
    }
    if (cli.bt_html && write_html(cli.bt_html, &rep) != 0)
        goto out;
    ret = AG_EXIT_OK;
out:
    if (csv.f)
        fclose(csv.f);
    free_job(&base, n);
    for (size_t i = 0; i < nruns; i++)
        free_job(&runs[i], n);
    free(sweep_jobs);
    free(bt_sweep);
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
    ag_cli_free(&cli);
    return ret;
}

int cmd_backtest(int argc, char **argv)
{
    return ag_cli_backtest(argc, argv, stdout);
}
