/*
 * tests/report/test_backtest.c - the `augur backtest` report
 * (report/backtest.c, report/backtest_html.c) on a hand-made report: two
 * workload-containers, a baseline, three runs and a knob sweep.
 *
 * table: the figures worked out by hand below (mean requests, changes,
 * counts, the sentence); json: valid (the small validating parser of
 * report_fixture.h), the numbers in place, NaN as null, the Pareto flags
 * those of a dominance check done here; html: balanced tags, one <svg>
 * per chart and the two frontier plots, hostile names escaped, no
 * scripts or links, lines downsampled; empty reports, bad arguments,
 * write errors and out-of-memory.
 *
 * Run with an argument (table, json or html) it prints the report of the
 * fixture to stdout instead: tests/report/test_backtest_json.sh reads
 * those back with Python's json and html.parser.
 *
 * The fixture, by hand. Window 2024-03-01 to 2024-03-09 (8d), warm-up
 * 1d: figures over 7d = 604800 s.
 *   shop/Deployment <b>&"x"/app, 3 replicas, cs = 3 x 604800 s:
 *     baseline 0.5 cores and 1Gi per replica -> 1500m and 3Gi requested;
 *     augur 0.25 cores and 512Mi -> 750m (-750m), 1536Mi (-1536Mi);
 *     augur: 2 OOM kills, 5 memory-at-risk intervals, 1 eviction, 2 restarts.
 *   db/StatefulSet pg/postgres, 1 replica, cs = 604800 s:
 *     baseline 2 cores, 4Gi; augur 1.2 cores (-800m), 3Gi (-1Gi);
 *     augur: 9 memory-at-risk intervals; baseline 3 at risk (shop).
 *   Total: 3.5 -> 1.95 cores (1.55 less), 7 -> 4.5 GiB (2.5 less).
 *   krr requests no memory: its memory slack is undefined (null, "-").
 */
#include <math.h>
#include "ag_test.h"
#include "augur/report.h"
#include "augur/sim.h"
#include "report_fixture.h" /* json_valid(), MI, GI */
#include "util/alloc.h"

#define T0 1709251200000LL /* 2024-03-01T00:00:00Z */
#define DAY 86400000LL
#define SECS 604800.0 /* 7 days */
#define NW 2
#define NRUN 3
#define NSWEEP 7
#define NCH0 49   /* chart points of shop: every 4 h */
#define NCH1 2401 /* of db: every 4.8 min, to be downsampled */

typedef struct fx {
    ag_wcontainer wc[NW];
    ag_sim_result base[NW], res[NRUN][NW];
    ag_sim_point *chart[NRUN + 1][NW];
    ag_bt_run baseline, runs[NRUN], sweep[NSWEEP];
    ag_bt_report r;
} fx;

/* Metrics where every request is used up to (1 - slack): the slack is
 * the same whichever way it is defined. */
static void set_m(ag_sim_metrics *m, double cs, double cpu_req, double mem_req, double cpu_slack,
                  double mem_slack, double throttled, uint64_t ooms, uint64_t at_risk,
                  uint64_t evictions, uint64_t restarts)
{
    memset(m, 0, sizeof *m);
    m->container_seconds = cs;
    m->cpu_requested = cpu_req * cs;
    m->cpu_idle_request = cpu_req * cs * cpu_slack;
    m->cpu_used = m->cpu_requested - m->cpu_idle_request;
    m->cpu_demand = m->cpu_used + throttled * cs;
    m->cpu_throttled = throttled * cs;
    m->cpu_at_risk = throttled * cs;
    m->mem_requested = mem_req * cs;
    m->mem_idle_request = mem_req * cs * mem_slack;
    m->mem_demand = m->mem_requested - m->mem_idle_request;
    m->intervals = (uint64_t)(cs / 60);
    m->ooms = ooms;
    m->mem_at_risk = at_risk;
    m->evictions = evictions;
    m->restarts = restarts;
    m->disruptions = evictions + restarts;
    m->decisions = (uint64_t)(cs / 300);
}

static void sum_m(ag_sim_metrics *t, const ag_sim_result *res, size_t n)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        const ag_sim_metrics *m = &res[i].m;
        t->container_seconds += m->container_seconds;
        t->cpu_demand += m->cpu_demand;
        t->cpu_used += m->cpu_used;
        t->cpu_requested += m->cpu_requested;
        t->cpu_idle_request += m->cpu_idle_request;
        t->cpu_throttled += m->cpu_throttled;
        t->cpu_at_risk += m->cpu_at_risk;
        t->mem_demand += m->mem_demand;
        t->mem_requested += m->mem_requested;
        t->mem_idle_request += m->mem_idle_request;
        t->intervals += m->intervals;
        t->ooms += m->ooms;
        t->mem_at_risk += m->mem_at_risk;
        t->evictions += m->evictions;
        t->restarts += m->restarts;
        t->disruptions += m->disruptions;
        t->decisions += m->decisions;
    }
}

/* A chart from T0 over 8 days: usage a daily wave, the request cpu_req
 * / mem_req with a step up at day 5 (run k > 0) and a gap at day 6. */
static ag_sim_point *make_chart(size_t n, double cpu_req, double mem_req, int step)
{
    ag_sim_point *c = calloc(n, sizeof *c);
    assert_non_null(c);
    for (size_t j = 0; j < n; j++) {
        int64_t t = T0 + (int64_t)((double)j * 8 * DAY / (double)(n - 1));
        double wave = 1 + 0.5 * sin((double)(t - T0) * 2 * M_PI / DAY);
        c[j].t_ms = t;
        c[j].usage[AG_CPU] = 0.2 * wave;
        c[j].usage[AG_MEMORY] = 400 * MI * wave;
        c[j].request[AG_CPU] = cpu_req * (step && t > T0 + 5 * DAY ? 1.2 : 1);
        c[j].request[AG_MEMORY] = mem_req;
        c[j].limit[AG_CPU] = NAN;
        c[j].limit[AG_MEMORY] = 2 * mem_req;
        if (step && t > T0 + 6 * DAY && t < T0 + 6 * DAY + 3 * 3600000)
            c[j].request[AG_CPU] = c[j].request[AG_MEMORY] = NAN;
    }
    return c;
}

static void run_init(ag_bt_run *run, const char *label, const char *algo, const char *policy,
                     const char *knob_name, double knob, ag_sim_result *res, size_t n)
{
    memset(run, 0, sizeof *run);
    run->label = label;
    run->algorithm = algo;
    run->policy = policy;
    run->knob_name = knob_name;
    run->knob = knob;
    run->results = res;
    run->n = n;
    if (res)
        sum_m(&run->total, res, n);
    run->seconds = 1.25;
}

/* A sweep point: 10 container-days; memory slack ms and OOM kills + at
 * risk per container-day risk (as 10 x risk at-risk intervals), CPU
 * slack cs and throttled share thr. */
static void sweep_point(ag_bt_run *sw, const char *label, const char *algo, const char *knob_name,
                        double knob, double ms, double risk, double cs, double thr)
{
    run_init(sw, label, algo, NULL, knob_name, knob, NULL, 0);
    /* demand = used + throttled: a share thr of it above the limit */
    set_m(&sw->total, 864000, 1, ms < 0 ? 0 : GI, cs, ms < 0 ? 0 : ms, 0, 0,
          (uint64_t)llround(risk * 10), 0, 0);
    sw->total.cpu_throttled = thr / (1 - thr) * sw->total.cpu_used;
    sw->total.cpu_at_risk = sw->total.cpu_throttled;
    sw->total.cpu_demand = sw->total.cpu_used + sw->total.cpu_throttled;
}

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    static const char *const labels[NRUN] = {"augur cost-saving", "vpa", "krr"};
    static const char *const algos[NRUN] = {"augur", "vpa", "krr"};
    double cs[NW] = {3 * SECS, SECS};

    assert_non_null(f);
    f->wc[0] = (ag_wcontainer){
        .ns = "shop", .kind = "Deployment", .name = "<b>&\"x\"", .container = "app", .n = 3};
    f->wc[1] = (ag_wcontainer){
        .ns = "db", .kind = "StatefulSet", .name = "pg", .container = "postgres", .n = 1};
    for (int i = 0; i < NW; i++) {
        f->base[i].wc = &f->wc[i];
        for (int k = 0; k < NRUN; k++)
            f->res[k][i].wc = &f->wc[i];
    }
    /* baseline: the trace's own requests */
    set_m(&f->base[0].m, cs[0], 0.5, GI, 0.6, 0.6, 0, 0, 3, 0, 0);
    set_m(&f->base[1].m, cs[1], 2, 4 * GI, 0.8, 0.5, 0, 0, 0, 0, 0);
    /* augur cost-saving */
    set_m(&f->res[0][0].m, cs[0], 0.25, 512 * MI, 0.2, 0.25, 0.01, 2, 5, 1, 2);
    set_m(&f->res[0][1].m, cs[1], 1.2, 3 * GI, 0.3, 0.3, 0, 0, 9, 0, 0);
    /* vpa */
    set_m(&f->res[1][0].m, cs[0], 0.3, 600 * MI, 0.3, 0.3, 0.002, 1, 2, 3, 1);
    set_m(&f->res[1][1].m, cs[1], 1.5, 3.5 * GI, 0.4, 0.4, 0, 0, 1, 0, 0);
    /* krr: no memory request at all */
    set_m(&f->res[2][0].m, cs[0], 0.35, 0, 0.35, 0, 0, 0, 0, 0, 0);
    set_m(&f->res[2][1].m, cs[1], 1.8, 0, 0.45, 0, 0, 0, 0, 0, 0);
    for (int i = 0; i < NW; i++) {
        size_t n = i == 0 ? NCH0 : NCH1;
        f->chart[0][i] = make_chart(n, i == 0 ? 0.5 : 2, i == 0 ? GI : 4 * GI, 0);
        f->base[i].chart = f->chart[0][i];
        f->base[i].nchart = n;
        for (int k = 0; k < NRUN; k++) {
            f->chart[k + 1][i] = make_chart(n, (i == 0 ? 0.25 : 1.2) * (1 + 0.1 * k),
                                            (i == 0 ? 512 * MI : 3 * GI) * (1 + 0.1 * k), 1);
            f->res[k][i].chart = f->chart[k + 1][i];
            f->res[k][i].nchart = n;
            for (int r = 0; r < AG_NRES; r++) {
                f->res[k][i].first_request[r] = f->chart[k + 1][i][0].request[r];
                f->res[k][i].last_request[r] = f->chart[k + 1][i][n - 1].request[r];
            }
        }
    }
    run_init(&f->baseline, "static (as is)", "static", NULL, "scale", 1, f->base, NW);
    for (int k = 0; k < NRUN; k++)
        run_init(&f->runs[k], labels[k], algos[k], k == 0 ? "cost-saving" : NULL,
                 k == 0 ? "risk" : "percentile", k == 0 ? 0.05 : 0.9, f->res[k], NW);
    /* memory frontier: the three augur points; the vpa ones are beaten
     * (0.30, 2.0) by (0.25, 1.5), (0.40, 1.0) and (0.50, 0.9) by (0.35, 0.5).
     * CPU frontier: vpa 0.8 (0.5, 0.001) and the augur points, (0.3, 0.002),
     * (0.2, 0.03) and (0.1, 0.05); the others are beaten by (0.3, 0.002).
     * krr has no memory request: on neither memory side. */
    sweep_point(&f->sweep[0], "vpa p80", "vpa", "percentile", 0.8, 0.30, 2.0, 0.5, 0.001);
    sweep_point(&f->sweep[1], "vpa p90", "vpa", "percentile", 0.9, 0.40, 1.0, 0.4, 0.004);
    sweep_point(&f->sweep[2], "vpa p95", "vpa", "percentile", 0.95, 0.50, 0.9, 0.35, 0.01);
    sweep_point(&f->sweep[3], "augur 0.01", "augur", "risk", 0.01, 0.35, 0.5, 0.3, 0.002);
    sweep_point(&f->sweep[4], "augur 0.05", "augur", "risk", 0.05, 0.25, 1.5, 0.2, 0.03);
    sweep_point(&f->sweep[5], "augur 0.1", "augur", "risk", 0.1, 0.20, 3.0, 0.1, 0.05);
    sweep_point(&f->sweep[6], "krr p95", "krr", "percentile", 0.95, -1, 0, 0.3, 0.02);
    f->r = (ag_bt_report){
        .baseline = &f->baseline,
        .runs = f->runs,
        .nruns = NRUN,
        .sweep = f->sweep,
        .nsweep = NSWEEP,
        .start_ms = T0,
        .end_ms = T0 + 8 * DAY,
        .warmup_ms = DAY,
        .mode = "recreate",
        .limits = "recommender",
        .source = "file demo.om",
    };
    return f;
}

static void fx_free(fx *f)
{
    for (int k = 0; k <= NRUN; k++)
        for (int i = 0; i < NW; i++)
            free(f->chart[k][i]);
    free(f);
}

/* Runs a writer (fmt < 0: html) into memory; caller frees. */
static char *render(int fmt, const ag_bt_report *r, ag_err *rc)
{
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);

    assert_non_null(f);
    *rc = fmt < 0 ? ag_report_backtest_html(f, r) : ag_report_backtest(f, (ag_format)fmt, r);
    fclose(f);
    return p;
}

static char *render_ok(int fmt, const ag_bt_report *r)
{
    ag_err rc;
    char *s = render(fmt, r, &rc);
    assert_int_equal(rc, AG_OK);
    return s;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The line of s that contains needle (a static copy), or "" */
static const char *line_with(const char *s, const char *needle)
{
    static char buf[4096];
    const char *p = strstr(s, needle), *a, *b;
    size_t n;

    if (!p)
        return "";
    for (a = p; a > s && a[-1] != '\n'; a--)
        ;
    b = strchr(p, '\n');
    n = b ? (size_t)(b - a) : strlen(a);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, a, n);
    buf[n] = '\0';
    return buf;
}

/* Whitespace-separated cells of a table line, into cells (at most max);
 * "a -> b" stays one cell. Returns the count. */
static int split_cells(const char *line, char cells[][64], int max)
{
    int n = 0;
    const char *p = line;

    while (*p && n < max) {
        size_t len = 0;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        /* a cell ends at two spaces */
        while (p[len] && !(p[len] == ' ' && (p[len + 1] == ' ' || p[len + 1] == '\0')))
            len++;
        snprintf(cells[n++], 64, "%.*s", (int)len, p);
        p += len;
    }
    return n;
}

static char *pct(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", v * 100);
    return buf;
}

/* The text after the n-th (0-based) occurrence of "key": in s, or NULL. */
static const char *json_at(const char *s, const char *key, int nth)
{
    char k[80];
    const char *p = s;

    snprintf(k, sizeof k, "\"%s\": ", key);
    for (int i = 0; p && i <= nth; i++) {
        p = strstr(p, k);
        if (p && i < nth)
            p++;
    }
    return p ? p + strlen(k) : NULL;
}

/* ---- a small HTML checker: tags balance (void elements aside) ---- */

static const char *html_check(const char *s)
{
    static const char *const voids[] = {"meta", "br", "hr", "img", "link", "input", "col"};
    char stack[64][16];
    int depth = 0;

    while ((s = strchr(s, '<'))) {
        char name[16];
        size_t len;
        int end = s[1] == '/';
        const char *n = s + 1 + end, *gt;
        if (s[1] == '!') {
            s = strchr(s, '>');
            if (!s)
                return "unterminated <!";
            continue;
        }
        len = strcspn(n, " \t\n/>");
        if (len == 0 || len >= sizeof name)
            return "bad tag name";
        memcpy(name, n, len);
        name[len] = '\0';
        gt = strchr(n, '>');
        if (!gt)
            return "unterminated tag";
        for (const char *q = n; q < gt; q++)
            if (*q == '<')
                return "'<' inside a tag";
        s = gt + 1;
        if (end) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                return "mismatched end tag";
            depth--;
            continue;
        }
        if (gt[-1] == '/')
            continue;
        int is_void = 0;
        for (size_t i = 0; i < sizeof voids / sizeof *voids; i++)
            is_void |= strcmp(voids[i], name) == 0;
        if (is_void)
            continue;
        if (depth == 64)
            return "too deep";
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    return depth ? "unclosed elements" : NULL;
}

/* The most coordinate commands (M, L, H, V) in one <path d="...">. */
static size_t max_path_points(const char *s)
{
    size_t most = 0;
    for (const char *p = strstr(s, "<path d=\""); p; p = strstr(p + 1, "<path d=\"")) {
        size_t n = 0;
        for (const char *q = p + 9; *q && *q != '"'; q++)
            n += *q == 'M' || *q == 'L' || *q == 'H' || *q == 'V';
        if (n > most)
            most = n;
    }
    return most;
}

/* ---- tests ---- */

static void test_table_figures(void **state)
{
    fx *f = fx_new();
    char *s, cells[20][64], e[64];
    ag_sim_summary sum;
    int n;
    (void)state;

    s = render_ok(AG_FMT_TABLE, &f->r);
    assert_non_null(strstr(s, "augur backtest: window 2024-03-01T00:00:00Z to "
                              "2024-03-09T00:00:00Z (8d), warm-up 1d: figures over the last "
                              "7d; mode recreate, limits recommender, source file demo.om\n"));
    assert_non_null(strstr(s, "run: augur cost-saving (augur, policy cost-saving, risk 0.05), "
                              "against the baseline static (as is) (static, scale 1); 2 "
                              "workload-containers\n"));
    /* shop: 3 replicas, 1500m -> 750m, 3Gi -> 1536Mi, 2 OOMs, 5 at risk, 1+2 */
    n = split_cells(line_with(s, "Deployment/<b>&\"x\""), cells, 20);
    assert_int_equal(n, 14);
    assert_string_equal(cells[0], "shop");
    assert_string_equal(cells[2], "app");
    assert_string_equal(cells[3], "3");
    assert_string_equal(cells[4], "1500m -> 750m");
    assert_string_equal(cells[5], "-750m");
    assert_string_equal(cells[6], "3Gi -> 1536Mi");
    assert_string_equal(cells[7], "-1536Mi");
    assert_string_equal(cells[8], "2");
    assert_string_equal(cells[9], "5");
    assert_string_equal(cells[10], "1+2");
    /* the shares as ag_sim_summarize() gives them: 0.01 of 0.21 cores of
     * demand throttled, 20% of the CPU and 25% of the memory idle */
    ag_sim_summarize(&f->res[0][0].m, &sum);
    assert_string_equal(cells[11], pct(sum.cpu_throttled_share, e, sizeof e));
    assert_string_equal(cells[12], pct(sum.cpu_slack, e, sizeof e));
    assert_string_equal(cells[13], pct(sum.mem_slack, e, sizeof e));
    assert_string_equal(cells[12], "20.0%");
    assert_string_equal(cells[13], "25.0%");
    n = split_cells(line_with(s, "StatefulSet/pg"), cells, 20);
    assert_int_equal(n, 14);
    assert_string_equal(cells[4], "2 -> 1200m");
    assert_string_equal(cells[5], "-800m");
    assert_string_equal(cells[6], "4Gi -> 3Gi");
    assert_string_equal(cells[7], "-1Gi");
    assert_string_equal(cells[8], "0");
    assert_string_equal(cells[9], "9");
    assert_string_equal(cells[10], "0+0");
    assert_string_equal(cells[11], "0%");
    /* the sentence */
    assert_non_null(strstr(s, "\nHad you applied augur cost-saving over the last 7d: 1.55 cores "
                              "and 2.5 GiB less requested on average (baseline: 3.5 cores, 7 "
                              "GiB), 2 OOM kills (baseline: 0), 14 memory-at-risk intervals "
                              "(baseline: 3), 1 eviction and 2 restarts (baseline: 0 and 0).\n"));
    /* header order */
    assert_true(strstr(s, "NAMESPACE") < strstr(s, "shop"));
    assert_true(strstr(s, "shop  ") < strstr(s, "db  "));
    free(s);
    fx_free(f);
}

static void test_table_comparison(void **state)
{
    fx *f = fx_new();
    char *s, cells[20][64], e[64];
    const ag_bt_run *runs[NRUN + 1];
    const char *labels[NRUN + 1] = {"static (as is) (baseline)", "augur cost-saving *", "vpa",
                                    "krr"};
    (void)state;

    runs[0] = &f->baseline;
    for (int k = 0; k < NRUN; k++)
        runs[k + 1] = &f->runs[k];
    s = render_ok(AG_FMT_TABLE, &f->r);
    assert_non_null(strstr(s, "\nRUN "));
    for (int k = 0; k <= NRUN; k++) {
        ag_sim_summary sum;
        char lead[64];
        int n;
        snprintf(lead, sizeof lead, "\n%s  ", labels[k]);
        assert_non_null(strstr(s, lead));
        n = split_cells(line_with(s, lead + 1), cells, 20);
        assert_int_equal(n, 11);
        assert_string_equal(cells[0], labels[k]);
        ag_sim_summarize(&runs[k]->total, &sum);
        assert_string_equal(cells[1], pct(sum.cpu_slack, e, sizeof e));
        assert_string_equal(cells[2], pct(sum.mem_slack, e, sizeof e));
        snprintf(e, sizeof e, "%.1f", sum.core_hours);
        assert_string_equal(cells[8], e);
        snprintf(e, sizeof e, "%.1f", sum.gib_hours);
        assert_string_equal(cells[9], e);
        assert_string_equal(cells[10], "1.25s");
    }
    /* krr requests no memory: its memory slack is undefined */
    split_cells(line_with(s, "krr  "), cells, 20);
    assert_string_equal(cells[2], "-");
    /* augur: 2 OOM kills, 14 at risk, 1 + 2 disruptions in 28 container-days */
    split_cells(line_with(s, "augur cost-saving *"), cells, 20);
    assert_string_equal(cells[5], "0.0714");
    assert_string_equal(cells[6], "0.5");
    assert_string_equal(cells[7], "0.107");
    free(s);
    fx_free(f);
}

/* Without a baseline only the run's requests are shown and the sentence
 * gives amounts, not changes; singular words. */
static void test_table_no_baseline(void **state)
{
    fx *f = fx_new();
    char *s, cells[20][64];
    (void)state;

    f->r.baseline = NULL;
    f->res[0][0].m.ooms = 1;
    f->res[0][0].m.evictions = 0;
    f->res[0][0].m.restarts = 1;
    f->res[0][1].m.mem_at_risk = 0;
    f->res[0][0].m.mem_at_risk = 1;
    sum_m(&f->runs[0].total, f->res[0], NW);
    s = render_ok(AG_FMT_TABLE, &f->r);
    split_cells(line_with(s, "StatefulSet/pg"), cells, 20);
    assert_string_equal(cells[4], "1200m");
    assert_string_equal(cells[5], "-");
    assert_non_null(strstr(s, "over the last 7d: 1.95 cores and 4.5 GiB requested on average, 1 "
                              "OOM kill, 1 memory-at-risk interval, 0 evictions and 1 restart.\n"));
    assert_null(strstr(s, "(baseline)"));
    free(s);
    fx_free(f);
}

/* More CPU and less memory: the words say which. */
static void test_sentence_mixed(void **state)
{
    fx *f = fx_new();
    char *s;
    (void)state;

    set_m(&f->res[0][1].m, SECS, 3.5, 3 * GI, 0.3, 0.3, 0, 0, 9, 0, 0);
    sum_m(&f->runs[0].total, f->res[0], NW);
    s = render_ok(AG_FMT_TABLE, &f->r);
    /* 0.75 + 3.5 - 3.5 = 0.75 more cores; 2.5 GiB less */
    assert_non_null(strstr(s, ": 0.75 cores more and 2.5 GiB less requested on average"));
    free(s);
    fx_free(f);
}

/* Each workload-container is counted from a warm-up after its own first
 * sample (the simulator's rule): a replica set that only appears on day
 * 5 has its means taken over its 2 days, not over the window's 7. */
static void test_span(void **state)
{
    fx *f = fx_new();
    ag_container c[3], *members[3];
    ag_sample smp[3][2];
    char *s, cells[20][64];
    (void)state;

    memset(c, 0, sizeof c);
    for (int k = 0; k < 3; k++) {
        smp[k][0] = (ag_sample){T0 + 5 * DAY, 0.1};
        smp[k][1] = (ag_sample){T0 + 8 * DAY, 0.1};
        c[k].usage[AG_MEMORY] = (ag_samples){smp[k], 2, 2};
        members[k] = &c[k];
    }
    f->wc[0].members = members;
    set_m(&f->base[0].m, 3 * 2 * 86400.0, 0.5, GI, 0.6, 0.6, 0, 0, 3, 0, 0);
    set_m(&f->res[0][0].m, 3 * 2 * 86400.0, 0.25, 512 * MI, 0.2, 0.25, 0.01, 2, 5, 1, 2);
    sum_m(&f->baseline.total, f->base, NW);
    sum_m(&f->runs[0].total, f->res[0], NW);
    s = render_ok(AG_FMT_TABLE, &f->r);
    split_cells(line_with(s, "Deployment/<b>"), cells, 20);
    assert_string_equal(cells[4], "1500m -> 750m");
    assert_string_equal(cells[6], "3Gi -> 1536Mi");
    assert_non_null(strstr(s, "over the last 7d: 1.55 cores and 2.5 GiB less requested"));
    free(s);
    s = render_ok(AG_FMT_JSON, &f->r);
    assert_non_null(strstr(s, "\"span_s\": 172800,\n          \"mean_cpu_request\": 0.75,\n"
                              "          \"mean_mem_request\": 1610612736,\n"
                              "          \"mean_replicas\": 3,\n"));
    free(s);
    /* the warm-up of shop ends on day 6: 3/4 across its charts */
    s = render_ok(-1, &f->r);
    assert_int_equal(count(s, "warm-up ends"), 2 * NW);
    assert_int_equal(count(s, "stroke-dasharray=\"3 3\"/><text x=\"698.5\""), 2);
    free(s);
    fx_free(f);
}

static void test_json(void **state)
{
    static const char head[] = "{\n  \"window\": {\n    \"start\": 1709251200,\n    \"end\": "
                               "1709942400,\n    \"warmup_s\": 86400,\n    \"span_s\": "
                               "604800\n  },\n  \"mode\": \"recreate\",\n  \"limits\": "
                               "\"recommender\",\n  \"source\": \"file demo.om\",\n  "
                               "\"baseline\": {\n";
    fx *f = fx_new();
    const char *p;
    char *s;
    (void)state;

    s = render_ok(AG_FMT_JSON, &f->r);
    assert_true(json_valid(s));
    assert_int_equal(strncmp(s, head, strlen(head)), 0);
    /* one run object per run and the baseline, one workload object per
     * workload-container in each, one sweep object per point */
    assert_int_equal(count(s, "\"workloads\": ["), NRUN + 1);
    assert_int_equal(count(s, "\"namespace\": "), (NRUN + 1) * NW);
    assert_int_equal(count(s, "\"pareto_front\": "), NSWEEP);
    assert_int_equal(count(s, "\"label\": "), NRUN + 1 + NSWEEP);
    /* names escaped */
    assert_non_null(strstr(s, "\"name\": \"<b>&\\\"x\\\"\""));
    /* the run's total: 2 OOM kills, 14 at risk, 1.95 cores on average */
    p = json_at(s, "runs", 0);
    assert_non_null(p);
    assert_non_null(strstr(p, "\"label\": \"augur cost-saving\",\n      \"algorithm\": \"augur\",\n"
                              "      \"policy\": \"cost-saving\",\n      \"knob\": {\n"
                              "        \"name\": \"risk\",\n        \"value\": 0.05\n      },\n"
                              "      \"replay_cpu_s\": 1.25,\n      \"total\": {\n"
                              "        \"container_seconds\": 2419200,\n"));
    assert_int_equal(strncmp(json_at(p, "ooms", 0), "2,", 2), 0);
    assert_int_equal(strncmp(json_at(p, "mem_at_risk", 0), "14,", 3), 0);
    assert_int_equal(strncmp(json_at(p, "disruptions", 0), "3,", 2), 0);
    assert_double_near(strtod(json_at(p, "mean_cpu_request", 0), NULL), 1.95, 1e-9);
    assert_double_near(strtod(json_at(p, "mean_mem_request", 0), NULL), 4.5 * GI, 1e-3);
    assert_double_near(strtod(json_at(p, "mean_replicas", 0), NULL), 4, 1e-9);
    /* its first workload: shop, 3 replicas, 2 OOM kills */
    p = json_at(p, "workloads", 0);
    assert_int_equal(strncmp(json_at(p, "replicas", 0), "3,", 2), 0);
    assert_int_equal(strncmp(json_at(p, "ooms", 0), "2,", 2), 0);
    assert_double_near(strtod(json_at(p, "mean_cpu_request", 0), NULL), 0.75, 1e-9);
    /* krr has no memory request: NaN -> null; the baseline's policy is null */
    p = strstr(s, "\"label\": \"krr\"");
    assert_non_null(p);
    assert_int_equal(strncmp(json_at(p, "mem_slack", 0), "null,", 5), 0);
    assert_non_null(strstr(s, "\"label\": \"static (as is)\",\n    \"algorithm\": \"static\",\n"
                              "    \"policy\": null,"));
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    free(s);
    fx_free(f);
}

/* The Pareto flags of the json: those of a dominance check done here on
 * the summaries; and the designed ones. */
static void test_json_pareto(void **state)
{
    fx *f = fx_new();
    char *s;
    const char *p;
    int mem[NSWEEP], cpu[NSWEEP];
    (void)state;

    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < NSWEEP; i++) {
            ag_sim_summary a;
            double ax, ay;
            int *out = c ? cpu : mem;
            ag_sim_summarize(&f->sweep[i].total, &a);
            ax = c ? a.cpu_slack : a.mem_slack;
            ay = c ? a.cpu_throttled_share : a.ooms_per_cday + a.mem_at_risk_per_cday;
            out[i] = isfinite(ax) && isfinite(ay);
            for (int j = 0; j < NSWEEP && out[i]; j++) {
                ag_sim_summary b;
                double bx, by;
                ag_sim_summarize(&f->sweep[j].total, &b);
                bx = c ? b.cpu_slack : b.mem_slack;
                by = c ? b.cpu_throttled_share : b.ooms_per_cday + b.mem_at_risk_per_cday;
                if (j != i && isfinite(bx) && isfinite(by) && bx <= ax && by <= ay &&
                    (bx < ax || by < ay))
                    out[i] = 0;
            }
        }
    }
    /* as designed (fixture comment) */
    assert_int_equal(mem[0] + mem[1] + mem[2] + mem[6], 0);
    assert_int_equal(mem[3] + mem[4] + mem[5], 3);
    assert_int_equal(cpu[0] + cpu[3] + cpu[4] + cpu[5], 4);
    assert_int_equal(cpu[1] + cpu[2] + cpu[6], 0);
    s = render_ok(AG_FMT_JSON, &f->r);
    p = json_at(s, "sweep", 0);
    assert_non_null(p);
    for (int i = 0; i < NSWEEP; i++) {
        char want[160];
        p = json_at(p, "pareto_front", 0);
        assert_non_null(p);
        snprintf(want, sizeof want,
                 "%s,\n      \"pareto\": {\n        \"memory\": %s,\n        \"cpu\": %s\n",
                 mem[i] || cpu[i] ? "true" : "false", mem[i] ? "true" : "false",
                 cpu[i] ? "true" : "false");
        assert_int_equal(strncmp(p, want, strlen(want)), 0);
    }
    free(s);
    fx_free(f);
}

static void test_html(void **state)
{
    fx *f = fx_new();
    char *s;
    (void)state;

    s = render_ok(-1, &f->r);
    assert_int_equal(strncmp(s, "<!DOCTYPE html>\n<html lang=\"en\">\n", 33), 0);
    assert_null(html_check(s));
    /* two frontier plots, a chart per resource of each workload-container */
    assert_int_equal(count(s, "<svg "), 2 + 2 * NW);
    assert_int_equal(count(s, "</svg>"), 2 + 2 * NW);
    assert_non_null(strstr(s, "Memory: slack against OOM kills and memory at risk"));
    assert_non_null(strstr(s, "CPU: slack against throttling"));
    /* frontier rings: 3 memory, 4 CPU */
    assert_int_equal(count(s, "r=\"6.5\" fill=\"none\" stroke=\"#222\"/><circle"), 7);
    /* sweep points drawn: 7 CPU, 6 memory (krr's memory slack is undefined) */
    assert_int_equal(count(s, "fill-opacity=\"0.85\"><title>"), 13);
    /* the hostile name, escaped and never raw */
    assert_non_null(strstr(s, "&lt;b&gt;&amp;&quot;x&quot;"));
    assert_null(strstr(s, "<b>"));
    /* self-contained */
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "href="));
    assert_null(strstr(s, "src="));
    assert_null(strstr(s, "url("));
    assert_null(strstr(s, "http"));
    assert_null(strstr(s, "NaN"));
    assert_null(strstr(s, "nan"));
    /* the comparison table and the sentence */
    assert_int_equal(count(s, "<tr"), 1 + NRUN + 1);
    assert_non_null(strstr(s, "2 OOM kills (baseline: 0)"));
    /* the larger workload first (shop requests 1.5 of 3.5 cores and 3 of 7 GiB) */
    assert_true(strstr(s, "<h3>db / StatefulSet pg") < strstr(s, "<h3>shop / Deployment"));
    /* legends: the runs and the baseline */
    assert_int_equal(count(s, ">static (as is) (baseline)</text>"), 2 * NW);
    /* at most 600 points a line: 2401 chart points were downsampled */
    assert_true(max_path_points(s) <= 2 * 600 + 2);
    assert_true(max_path_points(s) >= 300);
    assert_true(strlen(s) < 400000);
    free(s);
    fx_free(f);
}

/* A sweep of one point, on the axes' origin: the plots still have a
 * range, no coordinate is NaN. */
static void test_html_one_point(void **state)
{
    fx *f = fx_new();
    char *s;
    (void)state;

    sweep_point(&f->sweep[0], "vpa p80", "vpa", "percentile", 0.8, 0, 0, 0, 0);
    f->r.nsweep = 1;
    s = render_ok(-1, &f->r);
    assert_null(html_check(s));
    assert_int_equal(count(s, "<svg "), 2 + 2 * NW);
    assert_int_equal(count(s, "fill-opacity=\"0.85\"><title>"), 2);
    assert_int_equal(count(s, "r=\"6.5\" fill=\"none\" stroke=\"#222\"/><circle"), 2);
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    assert_null(strstr(s, "fill=\"#555\">-")); /* no negative tick */
    free(s);
    fx_free(f);
}

/* More workload-containers than charted: the page says how many were left out. */
static void test_html_cap(void **state)
{
    enum { N = 23 };
    fx *f = fx_new();
    ag_sim_result base[N], res[N];
    ag_wcontainer wc[N];
    char names[N][16], *s, note[160];
    (void)state;

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "w%02d", i);
        wc[i] = (ag_wcontainer){
            .ns = "ns", .kind = "Deployment", .name = names[i], .container = "c", .n = 1};
        memset(&base[i], 0, sizeof base[i]);
        memset(&res[i], 0, sizeof res[i]);
        base[i].wc = res[i].wc = &wc[i];
        /* w22 is the largest, w00 the smallest */
        set_m(&base[i].m, SECS, 0.1 * (i + 1), 100 * MI * (i + 1), 0.5, 0.5, 0, 0, 0, 0, 0);
        set_m(&res[i].m, SECS, 0.05 * (i + 1), 50 * MI * (i + 1), 0.2, 0.2, 0, 0, 0, 0, 0);
        base[i].chart = res[i].chart = f->chart[0][0];
        base[i].nchart = res[i].nchart = NCH0;
    }
    run_init(&f->baseline, "as is", "static", NULL, NULL, NAN, base, N);
    run_init(&f->runs[0], "vpa", "vpa", NULL, NULL, NAN, res, N);
    f->r.nruns = 1;
    f->r.nsweep = 0;
    s = render_ok(-1, &f->r);
    assert_null(html_check(s));
    assert_int_equal(count(s, "<svg "), 2 * 20);
    snprintf(note, sizeof note, "The 20 with the largest baseline request");
    assert_non_null(strstr(s, note));
    assert_non_null(strstr(s, " of 23; 3 left out"));
    assert_non_null(strstr(s, "No knob sweep in this report"));
    assert_null(strstr(s, "<h3>ns / Deployment w00 "));
    assert_null(strstr(s, "<h3>ns / Deployment w02 "));
    assert_non_null(strstr(s, "<h3>ns / Deployment w03 "));
    assert_true(strstr(s, "Deployment w22 ") < strstr(s, "Deployment w21 "));
    free(s);
    fx_free(f);
}

static void test_empty(void **state)
{
    ag_bt_report r = {.start_ms = T0, .end_ms = T0 + 8 * DAY, .warmup_ms = DAY};
    ag_bt_run run;
    char *s;
    (void)state;

    /* no runs at all */
    s = render_ok(AG_FMT_TABLE, &r);
    assert_non_null(strstr(s, "\nno runs to report\n"));
    free(s);
    s = render_ok(AG_FMT_JSON, &r);
    assert_true(json_valid(s));
    assert_non_null(strstr(s, "\"baseline\": null,\n  \"runs\": [],\n  \"sweep\": []\n}\n"));
    assert_non_null(strstr(s, "\"mode\": null"));
    free(s);
    s = render_ok(-1, &r);
    assert_null(html_check(s));
    assert_non_null(strstr(s, "No runs to report."));
    free(s);
    /* a run over no workload-containers */
    run_init(&run, "vpa", "vpa", NULL, NULL, NAN, NULL, 0);
    r.runs = &run;
    r.nruns = 1;
    s = render_ok(AG_FMT_TABLE, &r);
    assert_non_null(strstr(s, "\nno workload-containers were replayed\n"));
    assert_non_null(strstr(s, "Had you applied vpa over the last 7d: 0 cores and 0 GiB requested "
                              "on average, 0 OOM kills"));
    assert_non_null(strstr(s, "\nvpa *  "));
    free(s);
    s = render_ok(AG_FMT_JSON, &r);
    assert_true(json_valid(s));
    assert_non_null(strstr(s, "\"workloads\": []"));
    assert_non_null(strstr(s, "\"knob\": {\n        \"name\": null,\n        \"value\": null\n"));
    free(s);
    s = render_ok(-1, &r);
    assert_null(html_check(s));
    assert_non_null(strstr(s, "No workload-containers were replayed."));
    assert_int_equal(count(s, "<svg"), 0);
    free(s);
    /* a window all warm-up */
    r.warmup_ms = 9 * DAY;
    s = render_ok(AG_FMT_TABLE, &r);
    assert_non_null(strstr(s, "warm-up 9d: nothing left after the warm-up;"));
    assert_non_null(strstr(s, "no requests to compare"));
    free(s);
    s = render_ok(AG_FMT_JSON, &r);
    assert_true(json_valid(s));
    assert_non_null(strstr(s, "\"span_s\": null"));
    free(s);
}

static void test_bad_args(void **state)
{
    fx *f = fx_new();
    ag_err rc;
    char *s;
    FILE *null = fopen("/dev/null", "w");
    (void)state;

    assert_non_null(null);
    assert_int_equal(ag_report_backtest(NULL, AG_FMT_TABLE, &f->r), AG_EINVAL);
    assert_int_equal(ag_report_backtest(null, AG_FMT_TABLE, NULL), AG_EINVAL);
    assert_int_equal(ag_report_backtest(null, AG_FMT_YAML, &f->r), AG_EINVAL);
    assert_int_equal(ag_report_backtest(null, AG_FMT_CSV, &f->r), AG_EINVAL);
    assert_int_equal(ag_report_backtest_html(NULL, &f->r), AG_EINVAL);
    assert_int_equal(ag_report_backtest_html(null, NULL), AG_EINVAL);
    /* runs not index-aligned */
    f->runs[1].n = 1;
    s = render(AG_FMT_JSON, &f->r, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
    s = render(-1, &f->r, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
    f->runs[1].n = NW;
    f->res[0][1].wc = NULL;
    s = render(AG_FMT_TABLE, &f->r, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
    fclose(null);
    fx_free(f);
}

static void test_write_error(void **state)
{
    fx *f = fx_new();
    FILE *full = fopen("/dev/full", "w");
    (void)state;

    if (!full) {
        fx_free(f);
        skip();
    }
    assert_int_equal(ag_report_backtest(full, AG_FMT_TABLE, &f->r), AG_EIO);
    clearerr(full);
    assert_int_equal(ag_report_backtest(full, AG_FMT_JSON, &f->r), AG_EIO);
    clearerr(full);
    assert_int_equal(ag_report_backtest_html(full, &f->r), AG_EIO);
    fclose(full);
    fx_free(f);
}

/* Every allocation failing in turn gives AG_ENOMEM, never a crash or a
 * leak (ASan), until enough succeed. */
static void test_out_of_memory(void **state)
{
    fx *f = fx_new();
    (void)state;

    for (int fmt = -1; fmt <= AG_FMT_JSON; fmt++) {
        int ok = 0;
        for (long k = 1; k < 2000 && !ok; k++) {
            ag_err rc;
            char *s;
            ag__alloc_fail_after(k);
            s = render(fmt, &f->r, &rc);
            ag__alloc_fail_after(0);
            if (rc == AG_OK)
                ok = 1;
            else
                assert_int_equal(rc, AG_ENOMEM);
            free(s);
        }
        assert_true(ok);
    }
    fx_free(f);
}

/* Prints the fixture's report in one format to stdout. */
static int emit(const char *what)
{
    fx *f = fx_new();
    ag_err rc;

    if (strcmp(what, "html") == 0)
        rc = ag_report_backtest_html(stdout, &f->r);
    else if (strcmp(what, "json") == 0)
        rc = ag_report_backtest(stdout, AG_FMT_JSON, &f->r);
    else if (strcmp(what, "table") == 0)
        rc = ag_report_backtest(stdout, AG_FMT_TABLE, &f->r);
    else
        rc = AG_EINVAL;
    fx_free(f);
    if (rc != AG_OK) {
        fprintf(stderr, "usage: report_test_backtest [table|json|html] (%s)\n", ag_strerror(rc));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_figures),
        cmocka_unit_test(test_table_comparison),
        cmocka_unit_test(test_table_no_baseline),
        cmocka_unit_test(test_sentence_mixed),
        cmocka_unit_test(test_span),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_pareto),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_html_one_point),
        cmocka_unit_test(test_html_cap),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_out_of_memory),
    };
    if (argc > 1)
        return emit(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
