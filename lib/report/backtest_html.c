/*
 * report/backtest_html.c - the `augur backtest` report as one
 * self-contained HTML page: inline CSS and inline SVG, no scripts, no
 * fonts, images or links to fetch, so it opens offline and can be mailed.
 *
 * The page: the window and the runs, the sentence that sums up the run
 * asked for, the comparison table of every run, two Pareto plots of the
 * knob sweep (memory: slack against OOM kills + memory-at-risk intervals
 * per container-day; CPU: slack against the throttled share of demand),
 * then, for the MAX_CHARTS workload-containers with the largest baseline
 * request, one chart per resource of the usage against each run's
 * request over time. Every line has at most MAX_POINTS points: longer
 * series are cut into that many buckets of consecutive points, each
 * drawn as its highest value (peaks are what a request must cover).
 * Every name is HTML-escaped; no coordinate is ever NaN.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "report/report_int.h"
#include "util/alloc.h"

#define MAX_CHARTS 20  /* workload-containers charted (docs/backtest.md) */
#define MAX_POINTS 600 /* points per line */

/* a chart of one resource of one workload-container */
#define CW 920
#define CH 250
#define C_LEFT 78
#define C_RIGHT 20
#define C_BOTTOM 30
/* a Pareto plot */
#define PW 460
#define PH 360
#define P_LEFT 62
#define P_RIGHT 18
#define P_BOTTOM 46

#define GIB 1073741824.0

#define BASE_COLOUR "#333333"
#define USAGE_COLOUR "#9a9a9a"

static const char *str0(const char *s)
{
    return s ? s : "";
}

/* ---- output (ag__wr, writer.c) ---- */

/* s HTML-escaped. */
static void w_text(ag__wr *w, const char *s)
{
    if (w->rc == AG_OK)
        w->rc = ag__plot_text(&w->b, s);
}

/* Runs one of the shared text builders into a scratch buffer and writes
 * its text escaped. */
static void w_escaped(ag__wr *w, ag_err (*fn)(ag_buf *, const void *), const void *arg)
{
    ag_buf t;

    if (w->rc != AG_OK)
        return;
    ag__buf_init(&t, 0);
    w->rc = fn(&t, arg);
    w_text(w, t.p);
    ag__buf_free(&t);
}

static ag_err window_desc(ag_buf *b, const void *r)
{
    return ag__bt_window_desc(b, r);
}

static ag_err run_desc(ag_buf *b, const void *run)
{
    return ag__bt_run_desc(b, run);
}

static ag_err sentence(ag_buf *b, const void *r)
{
    return ag__bt_sentence(b, r);
}

/* ---- colours and legends ---- */

static const char *algo_colour(const char *algorithm)
{
    static const struct {
        const char *name, *colour;
    } known[] = {
        {"static", "#7f7f7f"},    {"vpa", "#1f77b4"},   {"krr", "#ff7f0e"},
        {"autopilot", "#2ca02c"}, {"crane", "#9467bd"}, {"augur", "#d62728"},
    };
    static const char *const other[] = {"#8c564b", "#e377c2", "#17becf", "#bcbd22"};
    unsigned h = 0;

    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (algorithm && strcmp(algorithm, known[i].name) == 0)
            return known[i].colour;
    for (const char *p = str0(algorithm); *p; p++)
        h = h * 31 + (unsigned char)*p;
    return other[h % (sizeof other / sizeof *other)];
}

typedef struct legend_entry {
    const char *label;  /* plain text, escaped when drawn */
    const char *suffix; /* appended as is ("" or " (baseline)") */
    char swatch[200];   /* SVG drawn at the entry's origin, 20 px wide */
} legend_entry;

/* Lays the entries out in rows from (x0, y) within width; draws them
 * unless w is NULL. Returns the number of rows. */
static int legend(ag__wr *w, const legend_entry *e, size_t n, double x0, double y, double width)
{
    double x = x0;
    int rows = n ? 1 : 0;

    for (size_t i = 0; i < n; i++) {
        double adv =
            34 + 6.5 * (double)(ag__rep_text_width(str0(e[i].label)) + strlen(e[i].suffix));
        if (x > x0 && x + adv > x0 + width) {
            x = x0;
            y += 15;
            rows++;
        }
        if (w) {
            ag__wr_printf(w,
                          "<g transform=\"translate(%.1f %.1f)\">%s<text x=\"26\" y=\"4\" "
                          "font-size=\"11\" fill=\"#333\">",
                          x, y, e[i].swatch);
            w_text(w, e[i].label);
            ag__wr_printf(w, "%s</text></g>\n", e[i].suffix);
        }
        x += adv;
    }
    return rows;
}

static void line_swatch(legend_entry *e, const char *colour, const char *extra)
{
    snprintf(e->swatch, sizeof e->swatch,
             "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"%s\" stroke-width=\"2\"%s/>",
             colour, extra);
}

/* ---- the comparison table ---- */

static const char *const cmp_headers[AG__BT_NCMP] = {
    "run",
    "CPU slack",
    "memory slack",
    "throttled",
    "CPU at risk",
    "OOM kills / cday",
    "memory at risk / cday",
    "disruptions / cday",
    "core-hours",
    "GiB-hours",
    "replay CPU",
};

static void compare_table(ag__wr *w, const ag_bt_report *r)
{
    char cell[AG__BT_NCMP][AG__BT_CELL];

    ag__wr_puts(w, "<h2>Runs compared</h2>\n<table>\n<thead><tr>");
    for (int c = 0; c < AG__BT_NCMP; c++)
        ag__wr_printf(w, "<th>%s</th>", cmp_headers[c]);
    ag__wr_puts(w, "</tr></thead>\n<tbody>\n");
    for (size_t k = 0; k <= r->nruns; k++) {
        const ag_bt_run *run = k == 0 ? r->baseline : &r->runs[k - 1];
        if (!run)
            continue;
        ag__bt_cmp_row(run, cell);
        ag__wr_printf(w, "<tr%s><td>",
                      k == 0   ? " class=\"base\""
                      : k == 1 ? " class=\"asked\""
                               : "");
        w_text(w, run->label);
        ag__wr_puts(w, k == 0 ? " (baseline)" : "");
        ag__wr_puts(w, "</td>");
        for (int c = 1; c < AG__BT_NCMP; c++)
            ag__wr_printf(w, "<td>%s</td>", cell[c]);
        ag__wr_puts(w, "</tr>\n");
    }
    ag__wr_puts(w, "</tbody>\n</table>\n<p class=\"note\">Slack: share of the request not used. "
                   "Throttled / CPU at risk: share of CPU demand above the limit / above the "
                   "request. Per cday: per container-day (one container running for a day). "
                   "Core-hours and GiB-hours: requested. Replay CPU: the time the replay took. "
                   "In bold: the run asked for.</p>\n");
}

/* ---- the Pareto plots ---- */

/* Rounds [*lo, *hi] out to whole steps of about want intervals. */
static double nice_range(double *lo, double *hi, int want)
{
    double step, was = *lo;

    if (!(*hi - *lo > 1e-12)) {
        double pad = fabs(*hi) > 1e-12 ? fabs(*hi) * 0.1 : 0.05;
        *lo -= pad;
        *hi += pad;
        if (was >= 0 && *lo < 0)
            *lo = 0; /* shares and rates are not negative */
    }
    step = ag__plot_nice_step(*hi - *lo, want);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    return step;
}

typedef struct scale {
    double x0, y0, w, h; /* pixels */
    double xlo, xhi, ylo, yhi;
} scale;

static double sx(const scale *s, double x)
{
    return s->x0 + s->w * (x - s->xlo) / (s->xhi - s->xlo);
}

static double sy(const scale *s, double y)
{
    return s->y0 + s->h * (1 - (y - s->ylo) / (s->yhi - s->ylo));
}

/* A tick label: percent for shares, else the number. */
static void tick_label(double v, int pct, char *buf, size_t len)
{
    if (fabs(v) < 1e-12)
        v = 0;
    if (pct)
        snprintf(buf, len, "%.4g%%", v * 100);
    else
        snprintf(buf, len, "%.4g", v);
}

static void pareto_axes(ag__wr *w, const scale *s, double xstep, double ystep, int ypct)
{
    char lab[32];

    for (int i = 0; i <= 40; i++) {
        double v = s->xlo + i * xstep, x = sx(s, v);
        if (v > s->xhi + xstep * 1e-6)
            break;
        tick_label(v, 1, lab, sizeof lab);
        ag__wr_printf(w,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
                      "fill=\"#555\">%s</text>\n",
                      x, s->y0, x, s->y0 + s->h, x, s->y0 + s->h + 14, lab);
    }
    for (int i = 0; i <= 40; i++) {
        double v = s->ylo + i * ystep, y = sy(s, v);
        if (v > s->yhi + ystep * 1e-6)
            break;
        tick_label(v, ypct, lab, sizeof lab);
        ag__wr_printf(w,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" "
                      "fill=\"#555\">%s</text>\n",
                      s->x0, y, s->x0 + s->w, y, s->x0 - 5, y + 3.5, lab);
    }
}

/* One Pareto plot of the sweep: cpu = 0 memory, 1 CPU. front[i]: point
 * i is on the frontier. */
static void pareto_plot(ag__wr *w, const ag_bt_report *r, const int *front, int cpu)
{
    const char *title = cpu ? "CPU: slack against throttling"
                            : "Memory: slack against OOM kills and memory at risk";
    const char *xt = cpu ? "CPU slack (share of requested CPU not used)"
                         : "memory slack (share of requested memory not used)";
    const char *yt = cpu ? "throttled share of CPU demand"
                         : "OOM kills + memory-at-risk intervals per container-day";
    legend_entry lg[8];
    const char *algos[7];
    size_t nalgo = 0, nlg = 0, nvalid = 0, nfront = 0;
    double xlo = INFINITY, xhi = -INFINITY, yhi = 0, xstep, ystep, top;
    scale s;
    int rows;

    for (size_t i = 0; i < r->nsweep; i++) {
        double x, y;
        size_t a = 0;
        ag__bt_pareto_xy(&r->sweep[i], cpu, &x, &y);
        if (!isfinite(x) || !isfinite(y))
            continue;
        nvalid++;
        nfront += front[i] != 0;
        xlo = fmin(xlo, x);
        xhi = fmax(xhi, x);
        yhi = fmax(yhi, y);
        while (a < nalgo && strcmp(algos[a], str0(r->sweep[i].algorithm)) != 0)
            a++;
        if (a == nalgo && nalgo < sizeof algos / sizeof *algos)
            algos[nalgo++] = str0(r->sweep[i].algorithm);
    }
    for (size_t a = 0; a < nalgo; a++, nlg++) {
        lg[nlg].label = algos[a];
        lg[nlg].suffix = "";
        snprintf(lg[nlg].swatch, sizeof lg[nlg].swatch,
                 "<circle cx=\"10\" cy=\"0\" r=\"4\" fill=\"%s\"/>", algo_colour(algos[a]));
    }
    lg[nlg].label = "Pareto frontier";
    lg[nlg].suffix = "";
    snprintf(lg[nlg].swatch, sizeof lg[nlg].swatch,
             "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"#222\" stroke-width=\"1.2\"/>"
             "<circle cx=\"10\" cy=\"0\" r=\"6.5\" fill=\"none\" stroke=\"#222\"/>");
    nlg++;
    rows = legend(NULL, lg, nlg, P_LEFT, 0, PW - P_LEFT - P_RIGHT);
    top = 30 + 15.0 * rows + 8;

    ag__wr_printf(w,
                  "<svg width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
                  "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">%s"
                  "</text>\n",
                  PW, top + PH - 48, PW, top + PH - 48, P_LEFT, title);
    legend(w, lg, nlg, P_LEFT, 36, PW - P_LEFT - P_RIGHT);
    s.x0 = P_LEFT;
    s.y0 = top;
    s.w = PW - P_LEFT - P_RIGHT;
    s.h = PH - 48 - P_BOTTOM;
    if (!nvalid) {
        ag__wr_printf(w,
                      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#777\">no sweep point "
                      "with both figures defined</text>\n</svg>\n",
                      s.x0, s.y0 + 30);
        return;
    }
    /* room for the labels right of and above the points */
    s.ylo = 0;
    s.yhi = yhi > 0 ? yhi * 1.08 : 1;
    s.xlo = xlo - 0.04 * (xhi - xlo);
    s.xhi = xhi + 0.08 * (xhi - xlo);
    if (xlo >= 0 && s.xlo < 0)
        s.xlo = 0;
    xstep = nice_range(&s.xlo, &s.xhi, 5);
    ystep = nice_range(&s.ylo, &s.yhi, 5);
    pareto_axes(w, &s, xstep, ystep, cpu);
    ag__wr_printf(w,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                  "stroke=\"#bbb\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                  "font-size=\"11\" fill=\"#333\">%s</text>\n<text transform=\"translate(14 %.1f) "
                  "rotate(-90)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">%s</text>\n",
                  s.x0, s.y0, s.w, s.h, s.x0 + s.w / 2, s.y0 + s.h + 34, xt, s.y0 + s.h / 2, yt);

    /* the frontier, left to right (selection by x, then y: few points) */
    if (nfront) {
        double px = -INFINITY, py = INFINITY;
        int pen = 0;
        ag__wr_puts(w, "<path d=\"");
        for (size_t done = 0; done < nfront; done++) {
            size_t best = r->nsweep;
            double bx = INFINITY, by = INFINITY;
            for (size_t i = 0; i < r->nsweep; i++) {
                double x, y;
                if (!front[i])
                    continue;
                ag__bt_pareto_xy(&r->sweep[i], cpu, &x, &y);
                if ((x > px || (x == px && y < py)) && (x < bx || (x == bx && y > by)))
                    best = i, bx = x, by = y;
            }
            if (best == r->nsweep)
                break;
            ag__wr_printf(w, "%c%.1f %.1f ", pen ? 'L' : 'M', sx(&s, bx), sy(&s, by));
            pen = 1;
            px = bx;
            py = by;
        }
        ag__wr_puts(w, "\" fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\"/>\n");
    }
    for (size_t i = 0; i < r->nsweep; i++) {
        const ag_bt_run *sw = &r->sweep[i];
        double x, y, cx, cy;
        char vx[32], vy[32];
        ag__bt_pareto_xy(sw, cpu, &x, &y);
        if (!isfinite(x) || !isfinite(y))
            continue;
        cx = sx(&s, x);
        cy = sy(&s, y);
        ag__bt_pct(x, vx, sizeof vx);
        if (cpu)
            ag__bt_pct(y, vy, sizeof vy);
        else
            ag__bt_rate(y, vy, sizeof vy);
        if (front[i])
            ag__wr_printf(
                w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"none\" stroke=\"#222\"/>", cx,
                cy);
        ag__wr_printf(w,
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" fill-opacity=\"0.85\">"
                      "<title>",
                      cx, cy, algo_colour(sw->algorithm));
        w_text(w, sw->label);
        if (sw->knob_name && isfinite(sw->knob)) {
            ag__wr_puts(w, ", ");
            w_text(w, sw->knob_name);
            ag__wr_printf(w, " %g", sw->knob);
        }
        ag__wr_printf(w, ": slack %s, %s%s</title></circle>", vx, vy,
                      front[i] ? " (frontier)" : "");
        if (isfinite(sw->knob))
            ag__wr_printf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#444\">%g</text>",
                          cx + 6, cy - 6, sw->knob);
        ag__wr_puts(w, "\n");
    }
    ag__wr_puts(w, "</svg>\n");
}

static void pareto_section(ag__wr *w, const ag_bt_report *r)
{
    int *front;

    ag__wr_puts(w, "<h2>Trade-offs: the Pareto frontier of the sweep</h2>\n");
    if (!r->nsweep) {
        ag__wr_puts(w,
                    "<p class=\"note\">No knob sweep in this report: no frontier to draw.</p>\n");
        return;
    }
    if (w->rc != AG_OK)
        return;
    front = ag__calloc(2 * r->nsweep, sizeof *front);
    if (!front) {
        w->rc = AG_ENOMEM;
        return;
    }
    w->rc = ag__bt_pareto(r, front, front + r->nsweep);
    ag__wr_printf(w,
                  "<p class=\"note\">%zu configuration%s of the recommenders' main knob (the "
                  "labels). Lower left is better; the frontier joins the points no other point "
                  "beats on both figures.</p>\n<div class=\"plots\">\n",
                  r->nsweep, r->nsweep == 1 ? "" : "s");
    pareto_plot(w, r, front, 0);
    pareto_plot(w, r, front + r->nsweep, 1);
    ag__wr_puts(w, "</div>\n");
    ag__free(front);
}

/* ---- the charts of one workload-container ---- */

typedef struct pt {
    int64_t t;
    double v;
} pt;

/* At most MAX_POINTS points of one series of a chart: each bucket of
 * consecutive points gives its highest finite value (at that point's
 * time), or NAN (a gap) when it has none. req: the request, else the
 * usage. Returns the count. */
static size_t downsample(const ag_sim_point *c, size_t n, int res, int req, pt *out)
{
    size_t per = (n + MAX_POINTS - 1) / MAX_POINTS, k = 0;

    if (per < 1)
        per = 1;
    for (size_t i = 0; i < n; i += per) {
        size_t e = i + per < n ? i + per : n;
        pt best = {c[e - 1].t_ms, NAN};
        for (size_t j = i; j < e; j++) {
            double v = req ? c[j].request[res] : c[j].usage[res];
            if (isfinite(v) && !(v <= best.v)) {
                best.t = c[j].t_ms;
                best.v = v;
            }
        }
        out[k++] = best;
    }
    return k;
}

static double cx(const ag__plot_area *a, int64_t t)
{
    return a->x0 + a->w * (double)(t - a->t_lo) / (double)(a->t_hi - a->t_lo);
}

static double cy(const ag__plot_area *a, double v)
{
    double y = a->y0 + a->h * (1.0 - v / a->v_hi);
    return y < a->y0 - 2 ? a->y0 - 2 : y > a->y0 + a->h ? a->y0 + a->h : y;
}

/* A polyline broken at gaps. */
static void usage_line(ag__wr *w, const ag__plot_area *a, const pt *p, size_t n)
{
    int pen = 0;

    ag__wr_puts(w, "<path d=\"");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(p[i].v)) {
            pen = 0;
            continue;
        }
        ag__wr_printf(w, "%c%.1f %.1f ", pen ? 'L' : 'M', cx(a, p[i].t), cy(a, p[i].v));
        pen = 1;
    }
    ag__wr_printf(w, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\"/>\n", USAGE_COLOUR);
}

/* A step line: each value holds until the next point that differs. */
static void step_line(ag__wr *w, const ag__plot_area *a, const pt *p, size_t n, const char *style)
{
    double last = NAN;
    int pen = 0;

    ag__wr_puts(w, "<path d=\"");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(p[i].v)) {
            if (pen)
                ag__wr_printf(w, "H%.1f ", cx(a, p[i].t));
            pen = 0;
            continue;
        }
        if (!pen)
            ag__wr_printf(w, "M%.1f %.1f ", cx(a, p[i].t), cy(a, p[i].v));
        else if (p[i].v != last)
            ag__wr_printf(w, "H%.1f V%.1f ", cx(a, p[i].t), cy(a, p[i].v));
        last = p[i].v;
        pen = 1;
    }
    if (pen)
        ag__wr_printf(w, "H%.1f", cx(a, p[n - 1].t));
    ag__wr_printf(w, "\" fill=\"none\" %s/>\n", style);
}

/* The run of line k of a chart: 0 the baseline (may be NULL), then runs. */
static const ag_bt_run *line_run(const ag_bt_report *r, size_t k)
{
    return k == 0 ? r->baseline : &r->runs[k - 1];
}

/* The result i of line k's run, NULL when line k has none (no baseline). */
static const ag_sim_result *line_result(const ag_bt_report *r, size_t k, size_t i)
{
    const ag_bt_run *run = line_run(r, k);
    return run ? &run->results[i] : NULL;
}

/* The colour of line k: the baseline dark; a run its algorithm's colour
 * (as in the Pareto plots), a second run of the same algorithm one of
 * the other colours. */
static const char *line_colour(const ag_bt_report *r, size_t k)
{
    static const char *const more[] = {"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
    const char *algo;
    size_t repeats = 0; /* earlier runs whose algorithm a run before them had */
    int first = 1;

    if (k == 0)
        return BASE_COLOUR;
    algo = str0(r->runs[k - 1].algorithm);
    for (size_t j = 0; j + 1 < k; j++) {
        int repeat = 0;
        for (size_t m = 0; m < j && !repeat; m++)
            repeat = strcmp(str0(r->runs[m].algorithm), str0(r->runs[j].algorithm)) == 0;
        repeats += repeat;
        if (strcmp(str0(r->runs[j].algorithm), algo) == 0)
            first = 0;
    }
    return first ? algo_colour(algo) : more[repeats % (sizeof more / sizeof *more)];
}

static void chart(ag__wr *w, const ag_bt_report *r, size_t i, int res)
{
    pt p[MAX_POINTS];
    const ag_sim_result *usage = NULL;
    legend_entry lg[18];
    size_t nlg = 0, np;
    int64_t wu = ag__bt_metrics_from(r, i);
    double hi = 0;
    ag__plot_area a;
    char style[160];
    int rows, first = 1;

    a.t_lo = a.t_hi = 0;
    for (size_t k = 0; k <= r->nruns; k++) {
        const ag_sim_result *sr = line_result(r, k, i);
        if (!sr)
            continue;
        if (sr->nchart && !usage)
            usage = sr;
        for (size_t j = 0; j < sr->nchart; j++) {
            const ag_sim_point *q = &sr->chart[j];
            if (first || q->t_ms < a.t_lo)
                a.t_lo = q->t_ms;
            if (first || q->t_ms > a.t_hi)
                a.t_hi = q->t_ms;
            first = 0;
            if (isfinite(q->request[res]) && q->request[res] > hi)
                hi = q->request[res];
            if (isfinite(q->usage[res]) && q->usage[res] > hi)
                hi = q->usage[res];
        }
    }
    if (a.t_hi <= a.t_lo)
        a.t_hi = a.t_lo + 3600000;
    a.v_hi = hi > 0 ? hi : res == AG_CPU ? 0.1 : 64 * 1048576.0;

    lg[nlg].label = "usage (highest replica)";
    lg[nlg].suffix = "";
    line_swatch(&lg[nlg++], USAGE_COLOUR, " stroke-width=\"1.2\"");
    for (size_t k = 0; k <= r->nruns && nlg < sizeof lg / sizeof *lg; k++) {
        const ag_bt_run *run = line_run(r, k);
        if (!run)
            continue;
        lg[nlg].label = str0(run->label);
        lg[nlg].suffix = k == 0 ? " (baseline)" : "";
        line_swatch(&lg[nlg++], line_colour(r, k), k == 0 ? " stroke-dasharray=\"5 3\"" : "");
    }
    rows = legend(NULL, lg, nlg, C_LEFT, 0, CW - C_LEFT - C_RIGHT);
    a.x0 = C_LEFT;
    a.y0 = 30 + 15.0 * rows + 6;
    a.w = CW - C_LEFT - C_RIGHT;
    a.h = CH - 36 - C_BOTTOM;

    ag__wr_printf(w,
                  "<svg width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
                  "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">%s: "
                  "usage and requests</text>\n",
                  CW, a.y0 + a.h + C_BOTTOM, CW, a.y0 + a.h + C_BOTTOM, C_LEFT,
                  res == AG_CPU ? "CPU" : "Memory");
    legend(w, lg, nlg, C_LEFT, 36, CW - C_LEFT - C_RIGHT);
    if (w->rc == AG_OK)
        w->rc = ag__plot_axes(&w->b, &a, res);
    if (wu > a.t_lo && wu < a.t_hi) {
        double x = cx(&a, wu);
        ag__wr_printf(w,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                      "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
                      "fill=\"#777\">warm-up ends</text>\n",
                      x, a.y0, x, a.y0 + a.h, x + 4, a.y0 + 11);
    }
    if (usage) {
        np = downsample(usage->chart, usage->nchart, res, 0, p);
        usage_line(w, &a, p, np);
    }
    for (size_t k = 0; k <= r->nruns; k++) {
        const ag_sim_result *sr = line_result(r, k, i);
        if (!sr || !sr->nchart)
            continue;
        np = downsample(sr->chart, sr->nchart, res, 1, p);
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"%s\"%s", line_colour(r, k),
                 k == 0 ? "1.5" : "1.8", k == 0 ? " stroke-dasharray=\"5 3\"" : "");
        step_line(w, &a, p, np, style);
    }
    ag__wr_printf(w,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                  "stroke=\"#bbb\"/>\n</svg>\n",
                  a.x0, a.y0, a.w, a.h);
}

/* One line of figures of runs[0] (against the baseline) for result i. */
static void caption(ag__wr *w, const ag_bt_report *r, size_t i)
{
    const ag_sim_result *res = &r->runs[0].results[i];
    const ag_sim_result *base = r->baseline ? &r->baseline->results[i] : NULL;
    char q[96], d[48], t[32], cs[32], ms[32];
    ag_sim_summary sum;

    ag_sim_summarize(&res->m, &sum);
    ag__wr_printf(w, "<p class=\"cap\">%zu replica%s", res->wc->n, res->wc->n == 1 ? "" : "s");
    for (int k = 0; k < AG_NRES; k++) {
        double to = ag__bt_mean(r, i, &res->m, k);
        double from = base ? ag__bt_mean(r, i, &base->m, k) : NAN;
        ag__bt_requests(k, from, to, base != NULL, "\xe2\x86\x92", q, sizeof q);
        ag__wr_printf(w, " \xc2\xb7 %s requested %s", k == AG_CPU ? "CPU" : "memory", q);
        if (base)
            ag__wr_printf(w, " (%s)", ag__bt_change(k, from, to, d, sizeof d));
    }
    ag__wr_printf(w,
                  " \xc2\xb7 %llu OOM kill%s \xc2\xb7 %llu memory-at-risk interval%s \xc2\xb7 %llu "
                  "eviction%s, %llu restart%s \xc2\xb7 throttled %s of CPU demand \xc2\xb7 slack: "
                  "CPU %s, memory %s</p>\n",
                  (unsigned long long)res->m.ooms, res->m.ooms == 1 ? "" : "s",
                  (unsigned long long)res->m.mem_at_risk, res->m.mem_at_risk == 1 ? "" : "s",
                  (unsigned long long)res->m.evictions, res->m.evictions == 1 ? "" : "s",
                  (unsigned long long)res->m.restarts, res->m.restarts == 1 ? "" : "s",
                  ag__bt_pct(sum.cpu_throttled_share, t, sizeof t),
                  ag__bt_pct(sum.cpu_slack, cs, sizeof cs),
                  ag__bt_pct(sum.mem_slack, ms, sizeof ms));
}

/* The size of result i's baseline request: its shares of the total CPU
 * and memory requested, added (runs[0]'s without a baseline). */
static double weight(const ag_bt_report *r, size_t i, double cpu_total, double mem_total)
{
    const ag_bt_run *run = r->baseline ? r->baseline : &r->runs[0];
    const ag_sim_metrics *m = &run->results[i].m;

    return (cpu_total > 0 ? m->cpu_requested / cpu_total : 0) +
           (mem_total > 0 ? m->mem_requested / mem_total : 0);
}

static void workloads_section(ag__wr *w, const ag_bt_report *r)
{
    const ag_bt_run *ref;
    size_t n = r->runs[0].n, top[MAX_CHARTS], ntop = 0;
    double ct = 0, mt = 0, sc[MAX_CHARTS];

    ag__wr_puts(w, "<h2>Workload-containers</h2>\n");
    if (!n) {
        ag__wr_puts(w, "<p class=\"note\">No workload-containers were replayed.</p>\n");
        return;
    }
    ref = r->baseline ? r->baseline : &r->runs[0];
    for (size_t i = 0; i < n; i++) {
        ct += ref->results[i].m.cpu_requested;
        mt += ref->results[i].m.mem_requested;
    }
    /* the MAX_CHARTS largest, largest first; ties in input order */
    for (size_t i = 0; i < n; i++) {
        double v = weight(r, i, ct, mt);
        size_t at = ntop;
        while (at > 0 && v > sc[at - 1])
            at--;
        if (at >= MAX_CHARTS)
            continue;
        if (ntop < MAX_CHARTS)
            ntop++;
        memmove(&top[at + 1], &top[at], (ntop - 1 - at) * sizeof *top);
        memmove(&sc[at + 1], &sc[at], (ntop - 1 - at) * sizeof *sc);
        top[at] = i;
        sc[at] = v;
    }
    if (ntop < n)
        ag__wr_printf(w,
                      "<p class=\"note\">The %zu with the largest %srequest (their shares of the "
                      "CPU and of the memory requested, added) of %zu; %zu left out (the table "
                      "and json reports list them all).</p>\n",
                      ntop, r->baseline ? "baseline " : "", n, n - ntop);
    ag__wr_puts(w, "<p class=\"note\">Usage: the highest replica at each point. Requests: each "
                   "run's, of the first live replica, as steps. Lines of more than 600 points are "
                   "cut into 600 buckets, each drawn at its highest value.</p>\n");
    for (size_t k = 0; k < ntop && w->rc == AG_OK; k++) {
        size_t i = top[k];
        const ag_wcontainer *wc = r->runs[0].results[i].wc;
        int charted = 0;
        ag__wr_puts(w, "<section>\n<h3>");
        w_text(w, wc->ns);
        ag__wr_puts(w, " / ");
        if (wc->kind && *wc->kind) {
            w_text(w, wc->kind);
            ag__wr_puts(w, " ");
        }
        w_text(w, wc->name);
        ag__wr_puts(w, " \xc2\xb7 ");
        w_text(w, wc->container);
        ag__wr_puts(w, "</h3>\n");
        caption(w, r, i);
        for (size_t j = 0; j <= r->nruns && !charted; j++)
            charted = line_run(r, j) && line_run(r, j)->results[i].nchart > 0;
        if (!charted) {
            ag__wr_puts(w, "<p class=\"note\">No chart points were recorded.</p>\n");
        } else {
            chart(w, r, i, AG_CPU);
            chart(w, r, i, AG_MEMORY);
        }
        ag__wr_puts(w, "</section>\n");
        ag__wr_flush(w, AG__REP_CHUNK);
    }
}

/* ---- the page ---- */

static const char css[] =
    "body{font-family:\"DejaVu Sans\",Helvetica,Arial,sans-serif;color:#222;max-width:960px;"
    "margin:24px auto;padding:0 12px}"
    "h1{font-size:22px;margin:0 0 8px}"
    "h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}"
    "h3{font-size:14px;margin:20px 0 2px}"
    "p.desc{color:#555;margin:2px 0;font-size:13px}"
    "p.lead{font-size:15px;background:#f3f7fb;border-left:4px solid #1f77b4;padding:10px 12px}"
    "p.note,p.cap{font-size:12px;color:#555;margin:4px 0}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{padding:3px 8px;border-bottom:1px solid #e6e6e6;text-align:right}"
    "th:first-child,td:first-child{text-align:left}"
    "th{font-weight:600;background:#f6f6f6}"
    "tr.base td{color:#555}tr.asked td{font-weight:bold}"
    ".plots{display:flex;flex-wrap:wrap;gap:12px}"
    "svg{display:block;margin:6px 0;max-width:100%;height:auto}";

ag_err ag_report_backtest_html(FILE *f, const ag_bt_report *r)
{
    ag__wr w;
    size_t n;
    ag_err rc;

    if (!f)
        return AG_EINVAL;
    rc = ag__bt_check(r);
    if (rc != AG_OK)
        return rc;
    n = r->nruns ? r->runs[0].n : 0;
    ag__wr_init(&w, f);
    ag__wr_puts(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>augur backtest");
    if (r->nruns) {
        ag__wr_puts(&w, ": ");
        w_text(&w, r->runs[0].label);
    }
    ag__wr_printf(&w, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>augur backtest", css);
    if (r->nruns) {
        ag__wr_puts(&w, ": ");
        w_text(&w, r->runs[0].label);
    }
    ag__wr_puts(&w, "</h1>\n<p class=\"desc\">");
    w_escaped(&w, window_desc, r);
    ag__wr_puts(&w, "</p>\n");
    if (!r->nruns) {
        ag__wr_puts(&w, "<p class=\"lead\">No runs to report.</p>\n</body>\n</html>\n");
        goto out;
    }
    ag__wr_puts(&w, "<p class=\"desc\">Run: ");
    w_escaped(&w, run_desc, &r->runs[0]);
    if (r->baseline) {
        ag__wr_puts(&w, ", against the baseline ");
        w_escaped(&w, run_desc, r->baseline);
    }
    ag__wr_printf(&w, "; %zu workload-container%s.</p>\n<p class=\"lead\">", n, n == 1 ? "" : "s");
    w_escaped(&w, sentence, r);
    ag__wr_puts(&w, "</p>\n");
    compare_table(&w, r);
    pareto_section(&w, r);
    workloads_section(&w, r);
    ag__wr_puts(&w, "<p class=\"note\">Made by augur backtest. Requested: the mean request of all "
                    "live replicas over each workload-container's time after its warm-up. "
                    "Definitions of every figure: docs/backtest.md.</p>\n</body>\n</html>\n");
out:
    return ag__wr_close(&w);
}
