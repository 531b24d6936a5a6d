/*
 * report/plot.c - forecasts drawn as one self-contained SVG file.
 *
 * One panel per workload-container and resource, stacked: the recent
 * history as a grey line, the forecast mean as a coloured line, and the
 * quantile bands as nested translucent areas (the inner, likelier bands
 * come out darker), with UTC time ticks, Kubernetes-unit value ticks, a
 * dashed line where the forecast starts, a legend and a title. Nothing
 * is fetched when the file is opened: no scripts, fonts, images or CSS
 * links, only inline attributes. Every name is XML-escaped and no
 * coordinate is ever NaN: missing points break the line instead.
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include "augur/util.h"
#include "report/report_int.h"

#define WIDTH 960
#define TOP 78      /* main title and legend */
#define PANEL_H 250 /* one panel, its title and x labels included */
#define LEFT 78     /* y labels */
#define RIGHT 24
#define PTOP 34    /* panel title above the plot area */
#define PBOTTOM 40 /* x labels below it */
#define MIB 1048576.0
#define GIB 1073741824.0
#define DEFAULT_HISTORY_MS (3 * 86400000LL)

static const char *const colour[AG_NRES] = {"#1f6fb4", "#8e44ad"};

/* Plot area of one panel and the value/time ranges mapped onto it. */
typedef struct frame {
    double x0, y0, w, h; /* pixels: left, top, width, height */
    int64_t t_lo, t_hi;  /* ms */
    double v_hi;         /* values from 0 to v_hi */
} frame;

static double px(const frame *fr, int64_t t)
{
    return fr->x0 + fr->w * (double)(t - fr->t_lo) / (double)(fr->t_hi - fr->t_lo);
}

static double py(const frame *fr, double v)
{
    double y = fr->y0 + fr->h * (1.0 - v / fr->v_hi);
    /* values far outside the range (a band exploding) are clipped */
    return y < fr->y0 - 2 ? fr->y0 - 2 : y > fr->y0 + fr->h ? fr->y0 + fr->h : y;
}

static ag_err xml_text(ag_buf *b, const char *s)
{
    ag_err rc = AG_OK;

    for (; rc == AG_OK && s && *s; s++) {
        switch (*s) {
        case '<':
            rc = ag__buf_puts(b, "&lt;");
            break;
        case '>':
            rc = ag__buf_puts(b, "&gt;");
            break;
        case '&':
            rc = ag__buf_puts(b, "&amp;");
            break;
        case '"':
            rc = ag__buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = ag__buf_puts(b, "&apos;");
            break;
        default:
            /* control characters are not allowed in XML 1.0 */
            rc = (unsigned char)*s < 0x20 ? ag__buf_puts(b, " ") : ag__buf_append(b, s, 1);
        }
    }
    return rc;
}

/* ---- ranges and ticks ---- */

/* The first history index to draw: history_ms before the forecast. */
static size_t hist_first(const ag_fc_series *hs, int64_t from_ms)
{
    if (hs->t0_ms >= from_ms)
        return 0;
    size_t i = (size_t)((from_ms - hs->t0_ms + hs->step_ms - 1) / hs->step_ms);
    return i < hs->n ? i : hs->n;
}

static void frame_ranges(frame *fr, const ag_fc_item *it, int64_t history_ms)
{
    const ag_forecast *f = it->fc;
    int64_t from = f->t0_ms - f->step_ms - history_ms;
    double hi = 0;

    fr->t_lo = f->t0_ms - f->step_ms;
    fr->t_hi = f->t0_ms + (int64_t)(f->horizon ? f->horizon - 1 : 0) * f->step_ms;
    if (it->hist && it->hist->n && it->hist->step_ms > 0) {
        const ag_fc_series *hs = it->hist;
        for (size_t i = hist_first(hs, from); i < hs->n; i++) {
            int64_t t = hs->t0_ms + (int64_t)i * hs->step_ms;
            if (t < fr->t_lo)
                fr->t_lo = t;
            if (isfinite(hs->v[i]) && hs->v[i] > hi)
                hi = hs->v[i];
        }
    }
    for (size_t h = 0; h < f->horizon; h++) {
        if (isfinite(f->mean[h]) && f->mean[h] > hi)
            hi = f->mean[h];
        for (size_t k = 0; k < f->nq; k++) {
            double v = f->q[k * f->horizon + h];
            if (isfinite(v) && v > hi)
                hi = v;
        }
    }
    if (fr->t_hi <= fr->t_lo)
        fr->t_hi = fr->t_lo + 3600000;
    fr->v_hi = hi > 0 ? hi : 1;
}

/* A 1-2-5 step giving about `want` intervals up to hi. */
static double nice_step(double hi, int want)
{
    double raw = hi / want, mag = pow(10, floor(log10(raw))), m = raw / mag;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

/* Display unit of an axis: the divisor and its suffix. */
typedef struct unit {
    double div;
    const char *suffix;
} unit;

static unit axis_unit(int r, double hi)
{
    if (r == AG_CPU)
        return hi < 2 ? (unit){0.001, "m"} : (unit){1, ""};
    return hi < 2 * GIB ? (unit){MIB, "Mi"} : (unit){GIB, "Gi"};
}

static ag_err y_axis(ag_buf *b, frame *fr, int r)
{
    unit u = axis_unit(r, fr->v_hi);
    double step = nice_step(fr->v_hi / u.div, 4);
    ag_err rc = AG_OK;

    /* round the top up to a whole tick so the grid ends at the frame */
    fr->v_hi = ceil(fr->v_hi / u.div / step * 1.0000001) * step * u.div;
    for (int i = 0; rc == AG_OK && i <= 12; i++) {
        double v = i * step;
        double y;
        if (v * u.div > fr->v_hi * 1.0000001)
            break;
        y = py(fr, v * u.div);
        rc = ag__buf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
            "fill=\"#555\">%.10g%s</text>\n",
            fr->x0, y, fr->x0 + fr->w, y, fr->x0 - 6, y + 4, v, v ? u.suffix : "");
    }
    return rc;
}

static ag_err x_axis(ag_buf *b, const frame *fr)
{
    static const int64_t steps_h[] = {1, 2, 3, 6, 12, 24, 48, 96, 168, 336};
    int64_t span = fr->t_hi - fr->t_lo, step = steps_h[9] * 3600000LL, t;
    ag_err rc = AG_OK;

    for (size_t i = 0; i < sizeof steps_h / sizeof *steps_h; i++)
        if (span / (steps_h[i] * 3600000LL) <= 9) {
            step = steps_h[i] * 3600000LL;
            break;
        }
    t = (fr->t_lo / step + (fr->t_lo % step > 0)) * step;
    for (int n = 0; rc == AG_OK && t <= fr->t_hi && n < 40; t += step, n++) {
        time_t s = (time_t)(t / 1000);
        struct tm tm;
        char lab[32];
        double x = px(fr, t);
        gmtime_r(&s, &tm);
        /* the date at midnight, else the hour: short enough not to collide */
        strftime(lab, sizeof lab, tm.tm_hour || tm.tm_min ? "%H:%M" : "%b %d", &tm);
        /* labels at the edges are kept inside the picture */
        const char *anchor = x > fr->x0 + fr->w - 45 ? "end" : x < fr->x0 + 45 ? "start" : "middle";
        rc = ag__buf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\" "
            "fill=\"#555\">%s</text>\n",
            x, fr->y0, x, fr->y0 + fr->h, x, fr->y0 + fr->h + 16, anchor, lab);
    }
    return rc;
}

/* ---- lines and bands ---- */

/* A polyline through (t0 + i * step, v[i * stride]), broken at NaN. */
static ag_err line(ag_buf *b, const frame *fr, int64_t t0, int64_t step, const double *v, size_t n,
                   size_t stride, const char *style)
{
    ag_err rc = ag__buf_puts(b, "<path d=\"");
    int pen = 0;

    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        double y = v[i * stride];
        if (!isfinite(y)) {
            pen = 0;
            continue;
        }
        rc = ag__buf_printf(b, "%c%.1f %.1f ", pen ? 'L' : 'M', px(fr, t0 + (int64_t)i * step),
                            py(fr, y));
        pen = 1;
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(b, "\" fill=\"none\" %s/>\n", style);
    return rc;
}

/* The area between two forecast rows (NULL lo = zero), skipping steps
 * where either is NaN. */
static ag_err band(ag_buf *b, const frame *fr, const ag_forecast *f, const double *lo,
                   const double *hi, const char *fill, double opacity)
{
    ag_err rc = ag__buf_puts(b, "<path d=\"");
    int pen = 0;

    for (size_t h = 0; rc == AG_OK && h < f->horizon; h++) {
        if (!isfinite(hi[h]) || (lo && !isfinite(lo[h])))
            continue;
        rc = ag__buf_printf(b, "%c%.1f %.1f ", pen ? 'L' : 'M',
                            px(fr, f->t0_ms + (int64_t)h * f->step_ms), py(fr, hi[h]));
        pen = 1;
    }
    for (size_t h = f->horizon; rc == AG_OK && pen && h-- > 0;) {
        if (!isfinite(hi[h]) || (lo && !isfinite(lo[h])))
            continue;
        rc = ag__buf_printf(b, "L%.1f %.1f ", px(fr, f->t0_ms + (int64_t)h * f->step_ms),
                            py(fr, lo ? lo[h] : 0));
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(b, "%s\" fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\"/>\n",
                            pen ? "Z" : "", fill, opacity);
    return rc;
}

static const double *qrow(const ag_forecast *f, int k)
{
    return k < 0 ? f->mean : f->q + (size_t)k * f->horizon;
}

static int find_q(const ag_forecast *f, double q)
{
    for (size_t k = 0; k < f->nq; k++)
        if (fabs(f->quantiles[k] - q) < 1e-9)
            return (int)k;
    return -1;
}

/* The row a band of quantile k reaches to: its mirror 1 - q when asked
 * for, else the median (or the mean when there is none). */
static int band_partner(const ag_forecast *f, size_t k)
{
    int m = find_q(f, 1 - f->quantiles[k]), med = find_q(f, 0.5);
    return m >= 0 && m != (int)k ? m : med;
}

static ag_err bands(ag_buf *b, const frame *fr, const ag_forecast *f, const char *fill)
{
    ag_err rc = AG_OK;

    /* outer (rarer) bands first; each inner one darkens what it covers */
    for (size_t j = 0; rc == AG_OK && j < f->nq; j++) {
        size_t k = f->nq - 1 - j;
        double q = f->quantiles[k];
        int p = band_partner(f, k);
        if (fabs(q - 0.5) < 1e-9 || (q < 0.5 && find_q(f, 1 - q) >= 0))
            continue; /* the median is a line; a mirrored pair is drawn once */
        rc = q > 0.5 ? band(b, fr, f, qrow(f, p), qrow(f, (int)k), fill, 0.16)
                     : band(b, fr, f, qrow(f, (int)k), qrow(f, p), fill, 0.16);
    }
    return rc;
}

/* ---- panels, legend, document ---- */

static const char *res_title(int r)
{
    return r == AG_CPU ? "CPU" : "memory";
}

static ag_err panel_title(ag_buf *b, const ag_fc_item *it, double x, double y)
{
    const ag_wcontainer *wc = it->wc;
    ag_err rc = ag__buf_printf(b,
                               "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
                               "font-weight=\"bold\" fill=\"#222\">",
                               x, y);
    if (rc == AG_OK)
        rc = xml_text(b, wc->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " / ");
    if (rc == AG_OK && wc->kind && *wc->kind) {
        rc = xml_text(b, wc->kind);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, " ");
    }
    if (rc == AG_OK)
        rc = xml_text(b, wc->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " \xc2\xb7 ");
    if (rc == AG_OK)
        rc = xml_text(b, wc->container);
    if (rc == AG_OK)
        rc = ag__buf_printf(b,
                            " \xc2\xb7 %s</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                            "text-anchor=\"end\" fill=\"#555\">model ",
                            res_title(it->resource), (double)(WIDTH - RIGHT), y);
    if (rc == AG_OK)
        rc = xml_text(b, it->fc->model);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "</text>\n");
    return rc;
}

static ag_err panel(ag_buf *b, const ag_fc_item *it, double top, int64_t history_ms)
{
    const ag_forecast *f = it->fc;
    const char *c = colour[it->resource == AG_MEMORY];
    frame fr = {LEFT, top + PTOP, WIDTH - LEFT - RIGHT, PANEL_H - PTOP - PBOTTOM, 0, 0, 1};
    int med = find_q(f, 0.5);
    char style[128];
    ag_err rc;

    frame_ranges(&fr, it, history_ms);
    rc = panel_title(b, it, fr.x0, top + PTOP - 10);
    if (rc == AG_OK)
        rc = y_axis(b, &fr, it->resource);
    if (rc == AG_OK)
        rc = x_axis(b, &fr);
    if (rc == AG_OK && f->horizon)
        rc = bands(b, &fr, f, c);
    if (rc == AG_OK && it->hist && it->hist->n && it->hist->step_ms > 0) {
        const ag_fc_series *hs = it->hist;
        size_t i0 = hist_first(hs, f->t0_ms - f->step_ms - history_ms);
        rc = line(b, &fr, hs->t0_ms + (int64_t)i0 * hs->step_ms, hs->step_ms, hs->v + i0,
                  hs->n - i0, 1, "stroke=\"#666\" stroke-width=\"1.2\"");
    }
    if (rc == AG_OK && med >= 0) {
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"4 3\"",
                 c);
        rc = line(b, &fr, f->t0_ms, f->step_ms, qrow(f, med), f->horizon, 1, style);
    }
    if (rc == AG_OK) {
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"2\"", c);
        rc = line(b, &fr, f->t0_ms, f->step_ms, f->mean, f->horizon, 1, style);
    }
    if (rc == AG_OK) {
        double x = px(&fr, f->t0_ms - f->step_ms);
        rc = ag__buf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
            "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
            "fill=\"#777\">forecast \xe2\x86\x92</text>\n"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#bbb\"/>\n",
            x, fr.y0, x, fr.y0 + fr.h, x + 4, fr.y0 + 11, fr.x0, fr.y0, fr.w, fr.h);
    }
    return rc;
}

/* One legend entry: a swatch (line or box) and its label at *x. */
static ag_err legend_entry(ag_buf *b, double *x, double y, const char *swatch, const char *label)
{
    ag_err rc = ag__buf_printf(b, "<g transform=\"translate(%.1f %.1f)\">%s", *x, y, swatch);
    if (rc == AG_OK)
        rc = ag__buf_printf(
            b, "<text x=\"26\" y=\"4\" font-size=\"11\" fill=\"#333\">%s</text></g>\n", label);
    *x += 40 + 6.5 * (double)strlen(label);
    return rc;
}

static ag_err legend(ag_buf *b, const ag_forecast *f, double y)
{
    double x = LEFT;
    char lab[64];
    ag_err rc;

    rc = legend_entry(b, &x, y,
                      "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"#666\" "
                      "stroke-width=\"1.2\"/>",
                      "history");
    if (rc == AG_OK)
        rc = legend_entry(b, &x, y,
                          "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"#333\" "
                          "stroke-width=\"2\"/>",
                          "forecast mean");
    if (rc == AG_OK && find_q(f, 0.5) >= 0)
        rc = legend_entry(b, &x, y,
                          "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"#333\" "
                          "stroke-dasharray=\"4 3\"/>",
                          "p50");
    for (size_t j = 0; rc == AG_OK && j < f->nq; j++) {
        size_t k = f->nq - 1 - j;
        double q = f->quantiles[k];
        int p = band_partner(f, k);
        char sw[160];
        if (fabs(q - 0.5) < 1e-9 || (q < 0.5 && find_q(f, 1 - q) >= 0))
            continue;
        double a = p >= 0 ? f->quantiles[p] : -1, lo = q > 0.5 ? a : q, hi = q > 0.5 ? q : a;
        if (p < 0)
            snprintf(lab, sizeof lab, "mean\xe2\x80\x93p%g", q * 100);
        else
            snprintf(lab, sizeof lab, "p%g\xe2\x80\x93p%g", lo * 100, hi * 100);
        snprintf(sw, sizeof sw,
                 "<rect x=\"0\" y=\"-6\" width=\"20\" height=\"12\" fill=\"#555\" "
                 "fill-opacity=\"%.2f\"/>",
                 0.16 * (double)(j + 1));
        rc = legend_entry(b, &x, y, sw, lab);
    }
    return rc;
}

ag_err ag_report_plot_svg(FILE *out, const ag_fc_item *items, size_t n, const ag_plot_opts *o)
{
    int64_t history_ms = o && o->history_ms > 0 ? o->history_ms : DEFAULT_HISTORY_MS;
    double height = TOP + (double)(n ? n : 1) * PANEL_H + 10;
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, AG__REP_CHUNK * 16);
    rc = ag__buf_printf(&b,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
                        "viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
                        "sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
                        "<text x=\"%d\" y=\"28\" font-size=\"18\" font-weight=\"bold\" "
                        "fill=\"#111\">",
                        WIDTH, height, WIDTH, height, LEFT);
    if (rc == AG_OK)
        rc = xml_text(&b, o && o->title ? o->title : "augur forecast");
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, "</text>\n");
    if (rc == AG_OK && n)
        rc = legend(&b, items[0].fc, 56);
    if (rc == AG_OK && !n)
        rc = ag__buf_printf(&b,
                            "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#555\">"
                            "no forecasts</text>\n",
                            LEFT, TOP + 30);
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = panel(&b, &items[i], TOP + (double)i * PANEL_H, history_ms);
        if (rc == AG_OK)
            rc = ag__rep_flush(out, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, "</svg>\n");
    if (rc == AG_OK)
        rc = ag__rep_flush(out, &b, 0);
    ag__buf_free(&b);
    return rc;
}

/* ---- shared with the backtest page (report/backtest_html.c) ---- */

ag_err ag__plot_text(ag_buf *b, const char *s)
{
    return xml_text(b, s);
}

double ag__plot_nice_step(double hi, int want)
{
    return nice_step(hi, want);
}

ag_err ag__plot_axes(ag_buf *b, ag__plot_area *a, int r)
{
    frame fr = {a->x0, a->y0, a->w, a->h, a->t_lo, a->t_hi, a->v_hi};
    ag_err rc = y_axis(b, &fr, r);

    a->v_hi = fr.v_hi;
    return rc == AG_OK ? x_axis(b, &fr) : rc;
}
