/*
 * bench/bench_rightsize.c - every recommender replayed on the public
 * traces, in one table per data set, and the replay speed.
 *
 *   build/bench/bench_rightsize metrics [data_dir] [mode] [sweep]
 *       Bitbrains Rnd (2013-7, CPU and memory), Azure v1 (100 VMs, CPU)
 *       and PlanetLab (4 days of files, CPU): every recommender under the
 *       same simulator options (mode recreate unless given: off, initial,
 *       recreate, in-place), then, with "sweep", each recommender's knob
 *       swept (the Pareto frontier, marked with *). Markdown on stdout.
 *   build/bench/bench_rightsize speed [data_dir] [containers] [days]
 *       1,000 containers x 30 days of 5-minute samples derived from the
 *       Bitbrains VMs (container i: VM i mod n, CPU and memory scaled by
 *       0.5 + 1.5 u, u from xorshift64 seeded with 42, days repeated when
 *       the VM is shorter), recommender asked every 5 minutes; CPU time of
 *       ag_sim_run() per recommender on one thread.
 *
 * Percent traces are scaled by a stated capacity: Azure 4 cores,
 * PlanetLab 1 core; the request (the baseline "as is") is that capacity.
 * Run by hand; results in bench/README.md.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "augur/augur.h"

#define DAY_MS 86400000LL
#define MIN_MS 60000LL

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every file of dir whose name ends in suffix (sorted by name). */
static int read_dir(ag_dataset *ds, const char *dir, const char *suffix, const ag_trace_opts *to)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[4096];
    size_t n = 0, sl = strlen(suffix);
    int got = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < 4096) {
        size_t l = strlen(e->d_name);
        if (l > sl && !strcmp(e->d_name + l - sl, suffix))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        ag_read_opts ro = {.warn = quiet};
        ag_ingest_stats st = {0};
        ag_errinfo ei = {{0}};
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (ag_trace_read_file(ds, path, to, &ro, &st, &ei) == AG_OK)
            got++;
        else
            fprintf(stderr, "bench: %s: %s\n", path, ei.msg);
        free(names[i]);
    }
    return got;
}

typedef struct set {
    const char *name, *what;
    ag_dataset *ds;
    ag_wcontainer *wc;
    size_t n;
    int64_t warmup_ms;
} set;

static int load_set(set *s, const char *root, int which)
{
    char dir[4096];
    ag_trace_opts to;
    int got = 0;

    ag_trace_opts_default(&to);
    s->ds = ag_dataset_new();
    s->warmup_ms = DAY_MS;
    if (which == 0) {
        s->name = "bitbrains_rnd";
        s->what = "Bitbrains GWA-T-12 Rnd, 2013-7 (20 VMs, 5-min, ~30 d; CPU and memory; request = "
                  "limit = the VM's provisioned capacity)";
        /* AG_BENCH_MONTH=2013-8 reads another month (held out for tuning) */
        snprintf(dir, sizeof dir, "%s/bitbrains_rnd/%s", root,
                 getenv("AG_BENCH_MONTH") ? getenv("AG_BENCH_MONTH") : "2013-7");
        to.format = AG_TRACE_BITBRAINS;
        got = read_dir(s->ds, dir, ".csv", &to);
    } else if (which == 1) {
        s->name = "azure_v1_vm_cpu";
        s->what = "Azure public dataset v1, 100 VMs (5-min average CPU, ~27.8 d; capacity and "
                  "request 4 cores; no memory)";
        snprintf(dir, sizeof dir, "%s/azure_v1_vm_cpu/microsoft_avg_100.csv", root);
        to.format = AG_TRACE_AZURE_V1;
        to.capacity_cores = 4;
        {
            ag_read_opts ro = {.warn = quiet};
            ag_errinfo ei = {{0}};
            got = ag_trace_read_file(s->ds, dir, &to, &ro, NULL, &ei) == AG_OK;
            if (!got)
                fprintf(stderr, "bench: %s: %s\n", dir, ei.msg);
        }
    } else {
        s->name = "planetlab_vm_cpu";
        s->what = "PlanetLab (CloudSim), the 4 day files (5-min CPU, 24 h each; a VM name seen "
                  "on several days is one series with gaps; capacity and request 1 core; no "
                  "memory); warm-up 6 h";
        snprintf(dir, sizeof dir, "%s/planetlab_vm_cpu", root);
        to.format = AG_TRACE_PLANETLAB;
        to.capacity_cores = 1;
        got = read_dir(s->ds, dir, ".csv", &to);
        s->warmup_ms = 6 * 3600000LL;
    }
    if (!got || ag_dataset_finish(s->ds, INT64_MIN, INT64_MAX, NULL) != AG_OK ||
        ag_dataset_group(s->ds, NULL, &s->wc, &s->n) != AG_OK) {
        fprintf(stderr, "skip: %s: no data under %s\n", s->name, root);
        return -1;
    }
    return 0;
}

static void free_set(set *s)
{
    ag_wcontainers_free(s->wc, s->n);
    ag_dataset_free(s->ds);
}

typedef struct algo {
    const char *label, *spec;
} algo;

static const algo algos[] = {
    {"as is (static)", "static"},
    {"vpa", "vpa"},
    {"krr", "krr"},
    {"autopilot ml", "autopilot:ml"},
    {"autopilot max", "autopilot:max"},
    {"crane percentile", "crane:percentile"},
    {"crane dsp", "crane:dsp"},
    {"augur stable", "augur:stable"},
    {"augur cost-saving", "augur:cost-saving"},
};

static void params_for(const char *spec, ag_online_params *p)
{
    char kind[32];
    const char *c = strchr(spec, ':');
    size_t n = c ? (size_t)(c - spec) : strlen(spec);
    ag_online_kind k;

    snprintf(kind, sizeof kind, "%.*s", (int)n, spec);
    ag_online_kind_parse(kind, &k);
    ag_online_params_default(p, k);
    if (k == AG_ONLINE_AUGUR && c && !strcmp(c + 1, "cost-saving"))
        ag_augur_params_policy(&p->augur, AG_POLICY_COST_SAVING);
    if (k == AG_ONLINE_AUTOPILOT && c)
        ag_online_params_set(p, "autopilot-variant", c + 1, NULL);
    if (k == AG_ONLINE_CRANE && c)
        ag_online_params_set(p, "crane-variant", c + 1, NULL);
    /* AG_BENCH_SET="augur-cpu-risk=0.2,autopilot-margin=0.05": parameter
     * overrides for exploring (each applies to the kinds it names) */
    if (getenv("AG_BENCH_SET")) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", getenv("AG_BENCH_SET"));
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
            char *eq = strchr(t, '=');
            if (!eq || strncmp(t, kind, strlen(kind)) != 0)
                continue;
            *eq = '\0';
            if (ag_online_params_set(p, t, eq + 1, NULL) != AG_OK)
                fprintf(stderr, "bench: AG_BENCH_SET: bad %s\n", t);
        }
    }
}

static int replay(const set *s, const ag_sim_opts *o, const ag_online_params *p, ag_sim_metrics *m,
                  double *secs)
{
    ag_sim_result *res = calloc(s->n, sizeof *res);
    ag_errinfo ei = {{0}};
    double t0 = cpu_s();
    ag_err rc;

    if (!res)
        return -1;
    rc = ag_sim_run(o, p, s->wc, s->n, res, m, &ei);
    *secs = cpu_s() - t0;
    ag_sim_results_clear(res, s->n);
    free(res);
    if (rc != AG_OK) {
        fprintf(stderr, "bench: %s\n", ei.msg);
        return -1;
    }
    return 0;
}

static void pct(char *b, size_t len, double x)
{
    if (isnan(x))
        snprintf(b, len, "-");
    else
        snprintf(b, len, "%.1f%%", 100 * x);
}

static void row(const char *label, const ag_sim_metrics *m, double secs, const char *mark)
{
    ag_sim_summary s;
    char a[16], b[16], c[16], d[16];

    ag_sim_summarize(m, &s);
    pct(a, sizeof a, s.cpu_slack);
    pct(b, sizeof b, s.mem_slack);
    pct(c, sizeof c, s.cpu_throttled_share);
    pct(d, sizeof d, s.cpu_at_risk_share);
    printf("| %s%s | %s | %s | %s | %s | %.4f | %.3f | %.3f | %.0f | %.0f | %.1f |\n", label, mark,
           a, b, c, d, s.ooms_per_cday, s.mem_at_risk_per_cday, s.disruptions_per_cday,
           s.core_hours, s.gib_hours, secs);
}

static void header(void)
{
    printf("| recommender | CPU slack | mem slack | throttled | CPU at risk | OOM/cday | "
           "mem at risk/cday | disruptions/cday | core-h | GiB-h | replay s |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
}

static void sweep(const set *s, const ag_sim_opts *o)
{
    enum { MAXP = 128 };
    double x[MAXP * 3];
    char labels[MAXP][64];
    ag_sim_metrics ms[MAXP];
    double secs[MAXP];
    int front[MAXP];
    size_t np = 0;

    for (size_t a = 1; a < sizeof algos / sizeof algos[0]; a++) {
        ag_online_params p;
        size_t nk;
        const double *kv;
        params_for(algos[a].spec, &p);
        kv = ag_online_knob_sweep(p.kind, &nk);
        for (size_t k = 0; k < nk && np < MAXP; k++) {
            ag_online_params q = p;
            ag_sim_summary sm;
            if (ag_online_knob_set(&q, kv[k]) != AG_OK || replay(s, o, &q, &ms[np], &secs[np]))
                continue;
            ag_sim_summarize(&ms[np], &sm);
            /* slack (CPU, or the mean of CPU and memory when there is memory),
             * OOM kills + memory-at-risk per container-day, throttled + at-risk share */
            x[np * 3] = isnan(sm.mem_slack) ? sm.cpu_slack : (sm.cpu_slack + sm.mem_slack) / 2;
            x[np * 3 + 1] = (isnan(sm.ooms_per_cday) ? 0 : sm.ooms_per_cday) +
                            (isnan(sm.mem_at_risk_per_cday) ? 0 : sm.mem_at_risk_per_cday);
            x[np * 3 + 2] = sm.cpu_at_risk_share;
            snprintf(labels[np], sizeof labels[np], "%s %s=%g", algos[a].label,
                     ag_online_knob_name(p.kind), kv[k]);
            np++;
        }
    }
    ag_sim_pareto(x, np, 3, front);
    printf("\nSweep (* = on the Pareto frontier of slack, OOM kills + memory at risk, CPU at "
           "risk):\n\n");
    header();
    for (size_t i = 0; i < np; i++)
        row(labels[i], &ms[i], secs[i], front[i] ? " *" : "");
}

static int cmd_metrics(const char *root, const char *mode, int do_sweep)
{
    ag_sim_opts o;

    ag_sim_opts_default(&o);
    if (mode && ag_update_mode_parse(mode, &o.mode) != AG_OK) {
        fprintf(stderr, "bench: mode: off, initial, recreate or in-place\n");
        return 2;
    }
    for (int w = 0; w < 3; w++) {
        set s;
        if (getenv("AG_BENCH_ONLY") && atoi(getenv("AG_BENCH_ONLY")) != w)
            continue;
        memset(&s, 0, sizeof s);
        if (load_set(&s, root, w) != 0) {
            free_set(&s);
            continue;
        }
        o.warmup_ms = s.warmup_ms;
        printf("\n### %s: %zu workload-containers, mode %s\n\n%s.\n\n", s.name, s.n,
               ag_update_mode_name(o.mode), s.what);
        header();
        for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
            ag_online_params p;
            ag_sim_metrics m;
            double secs;
            ag_sim_opts oa = o;
            params_for(algos[a].spec, &p);
            if (p.kind == AG_ONLINE_STATIC)
                oa.mode = AG_MODE_OFF;
            if (replay(&s, &oa, &p, &m, &secs) == 0)
                row(algos[a].label, &m, secs, "");
        }
        if (do_sweep)
            sweep(&s, &o);
        fflush(stdout);
        free_set(&s);
    }
    return 0;
}

/* ---- speed ---- */

static uint64_t rng = 42;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmd_speed(const char *root, size_t ncont, int days)
{
    set src;
    ag_dataset *ds = ag_dataset_new();
    ag_wcontainer *wc = NULL;
    size_t n = 0, steps = (size_t)days * 288;
    int64_t t0 = 1372636800000LL; /* 2013-07-01 */
    const char *const kinds[] = {
        "vpa", "krr", "augur:stable", "augur:cost-saving", "autopilot:ml", "crane:percentile"};

    memset(&src, 0, sizeof src);
    if (load_set(&src, root, 0) != 0 || src.n == 0)
        return 77;
    for (size_t i = 0; i < ncont; i++) {
        const ag_container *v = src.wc[i % src.n].members[0];
        char pod[32];
        double fc = 0.5 + 1.5 * urand(), fm = 0.5 + 1.5 * urand();
        ag_container *c;
        size_t vn =
            v->usage[AG_CPU].n < v->usage[AG_MEMORY].n ? v->usage[AG_CPU].n : v->usage[AG_MEMORY].n;
        if (vn < 288)
            vn = v->usage[AG_CPU].n;
        snprintf(pod, sizeof pod, "c%05zu", i);
        c = ag_dataset_container(ds, "bench", pod, "app");
        ag_dataset_set_owner(ds, "bench", pod, "Pod", pod);
        for (int r = 0; r < AG_NRES; r++) {
            c->request[r] = v->request[r] * (r == AG_CPU ? fc : fm);
            c->limit[r] = v->limit[r] * (r == AG_CPU ? fc : fm);
            c->spec_t_ms[r] = t0;
        }
        for (size_t k = 0; k < steps && vn > 0; k++) {
            const ag_samples *cs = &v->usage[AG_CPU], *ms = &v->usage[AG_MEMORY];
            int64_t t = t0 + (int64_t)k * 5 * MIN_MS;
            if (cs->n)
                ag_samples_push(&c->usage[AG_CPU], t, cs->v[k % cs->n].v * fc);
            if (ms->n)
                ag_samples_push(&c->usage[AG_MEMORY], t, ms->v[k % ms->n].v * fm);
        }
    }
    free_set(&src);
    if (ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL) != AG_OK ||
        ag_dataset_group(ds, NULL, &wc, &n) != AG_OK)
        return 1;
    printf("speed: %zu containers x %d days x 5-min steps (%zu samples each resource), "
           "recommender every 5 min\n\n| recommender | CPU s (one thread) | decisions | "
           "us/decision |\n|---|---|---|---|\n",
           n, days, steps);
    for (size_t a = 0; a < sizeof kinds / sizeof kinds[0]; a++) {
        ag_online_params p;
        ag_sim_opts o;
        ag_sim_metrics m;
        set s = {.wc = wc, .n = n};
        double secs;
        params_for(kinds[a], &p);
        ag_sim_opts_default(&o);
        if (replay(&s, &o, &p, &m, &secs) == 0)
            printf("| %s | %.2f | %llu | %.2f |\n", kinds[a], secs, (unsigned long long)m.decisions,
                   secs * 1e6 / (double)m.decisions);
        fflush(stdout);
    }
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
    return 0;
}

int main(int argc, char **argv)
{
    const char *root = argc > 2 ? argv[2] : "../shared/data";

    if (argc > 1 && !strcmp(argv[1], "speed"))
        return cmd_speed(root, argc > 3 ? (size_t)atol(argv[3]) : 1000,
                         argc > 4 ? atoi(argv[4]) : 30);
    if (argc > 1 && !strcmp(argv[1], "metrics"))
        return cmd_metrics(root, argc > 3 ? argv[3] : NULL, argc > 4 && !strcmp(argv[4], "sweep"));
    fprintf(stderr, "usage: bench_rightsize metrics [data_dir] [mode] [sweep]\n"
                    "       bench_rightsize speed [data_dir] [containers] [days]\n");
    return 2;
}
