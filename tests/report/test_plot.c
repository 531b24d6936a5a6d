/*
 * tests/report/test_plot.c - the forecast SVG (report/plot.c) and the
 * forecast table/json/csv writers (report/forecast_out.c) on hand-made
 * forecasts: the SVG is well-formed XML (checked by a small tag-balance
 * parser here), names are escaped, missing values never become NaN
 * coordinates, every part is drawn; csv has the stable header and one
 * row per step and quantile; json carries points and, with explain,
 * the scores.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/report.h"
#include "augur/series.h"

#define H 6
#define NHIST 48

typedef struct fx {
    ag_wcontainer wc[2];
    ag_forecast fc[2];
    double mean[2][H], q[2][3 * H];
    double hist[2][NHIST];
    ag_fc_series hs[2];
    ag_fc_score scores[2];
    ag_fc_item items[2];
} fx;

static void fx_init(fx *f, int with_nan)
{
    const int64_t step = 3600000, t_end = 1709856000000LL;
    memset(f, 0, sizeof *f);
    f->wc[0] = (ag_wcontainer){
        .ns = "shop", .kind = "Deployment", .name = "web<b>&\"x\"", .container = "app'1"};
    f->wc[1] = (ag_wcontainer){.ns = "db", .kind = "StatefulSet", .name = "pg", .container = "pg"};
    snprintf(f->scores[0].model, sizeof f->scores[0].model, "seasonal_naive");
    f->scores[0].loss = 0.25;
    f->scores[0].mase = 1;
    f->scores[0].coverage = 0.95;
    f->scores[0].weight = 1;
    snprintf(f->scores[1].model, sizeof f->scores[1].model, "holt");
    f->scores[1].loss = NAN;
    f->scores[1].mase = NAN;
    f->scores[1].coverage = NAN;
    snprintf(f->scores[1].note, sizeof f->scores[1].note, "history too short");
    for (int r = 0; r < 2; r++) {
        double scale = r == 0 ? 0.5 : 512 * 1048576.0;
        ag_forecast *fc = &f->fc[r];
        for (int i = 0; i < NHIST; i++)
            f->hist[r][i] = scale * (1 + 0.5 * sin(i * 2 * M_PI / 24));
        if (with_nan) {
            f->hist[r][10] = NAN;
            f->hist[r][11] = NAN;
        }
        f->hs[r] = (ag_fc_series){t_end - (NHIST - 1) * step, step, f->hist[r], NHIST};
        for (int h = 0; h < H; h++) {
            f->mean[r][h] = scale * (1 + 0.1 * h);
            f->q[r][0 * H + h] = f->mean[r][h];
            f->q[r][1 * H + h] = f->mean[r][h] * 1.2;
            f->q[r][2 * H + h] = f->mean[r][h] * 1.5;
        }
        if (with_nan)
            f->mean[r][2] = NAN;
        fc->t0_ms = t_end + step;
        fc->step_ms = step;
        fc->horizon = H;
        fc->mean = f->mean[r];
        fc->nq = 3;
        fc->quantiles[0] = 0.5;
        fc->quantiles[1] = 0.9;
        fc->quantiles[2] = 0.95;
        fc->q = f->q[r];
        snprintf(fc->model, sizeof fc->model, "seasonal_naive");
        snprintf(fc->reason, sizeof fc->reason, "lowest pinball loss");
        fc->scores = f->scores;
        fc->nscores = 2;
        f->items[r] = (ag_fc_item){&f->wc[r == 0 ? 0 : 1], r, fc, &f->hs[r]};
    }
}

/* Runs a writer into memory; caller frees. */
static char *render_plot(const ag_fc_item *items, size_t n)
{
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);
    ag_plot_opts o = {"test <plot>", 0};
    assert_non_null(f);
    assert_int_equal(ag_report_plot_svg(f, items, n, &o), AG_OK);
    fclose(f);
    return p;
}

static char *render_fc(ag_format fmt, const ag_fc_item *items, size_t n, int explain)
{
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);
    ag_fc_report_opts o = {explain};
    assert_non_null(f);
    assert_int_equal(ag_report_forecast(f, fmt, items, n, &o), AG_OK);
    fclose(f);
    return p;
}

/* A small XML checker: tags balance and nest, attributes are quoted,
 * '&' starts an entity, no '<' in text or attribute values. Returns NULL
 * when fine, else what is wrong. */
static const char *xml_check(const char *s)
{
    static char err[128];
    const char *stack[64];
    size_t lens[64];
    int depth = 0, roots = 0;

    while (*s) {
        if (*s == '&') {
            size_t k = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz#0123456789");
            if (k == 0 || s[1 + k] != ';')
                return "bare '&'";
            s += k + 2;
        } else if (*s != '<') {
            s++;
        } else if (s[1] == '?') {
            s = strstr(s, "?>");
            if (!s)
                return "unterminated <?";
            s += 2;
        } else if (s[1] == '/') {
            const char *name = s + 2;
            size_t len = strcspn(name, ">");
            if (depth == 0 || len != lens[depth - 1] || strncmp(name, stack[depth - 1], len))
                return "mismatched end tag";
            depth--;
            s = name + len + 1;
        } else {
            const char *name = s + 1;
            size_t len = strcspn(name, " \t\n/>");
            s = name + len;
            for (;;) { /* attributes */
                while (*s == ' ' || *s == '\n')
                    s++;
                if (*s == '>' || (*s == '/' && s[1] == '>'))
                    break;
                s += strcspn(s, "=> ");
                if (*s != '=' || s[1] != '"')
                    return "unquoted attribute";
                s += 2;
                for (; *s && *s != '"'; s++)
                    if (*s == '<')
                        return "'<' in an attribute";
                if (!*s)
                    return "unterminated attribute";
                s++;
            }
            if (*s == '/') {
                s += 2;
                continue;
            }
            if (depth == 64)
                return "too deep";
            if (depth == 0)
                roots++;
            stack[depth] = name;
            lens[depth++] = len;
            s++;
        }
    }
    if (depth) {
        snprintf(err, sizeof err, "%d unclosed elements", depth);
        return err;
    }
    return roots == 1 ? NULL : "not one root element";
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* The checker itself rejects what it should. */
static void test_xml_checker(void **state)
{
    (void)state;
    assert_null(xml_check("<?xml version=\"1.0\"?><a x=\"1\"><b/>t &amp; u</a>"));
    assert_non_null(xml_check("<a><b></a>"));
    assert_non_null(xml_check("<a x=1></a>"));
    assert_non_null(xml_check("<a>x & y</a>"));
    assert_non_null(xml_check("<a></a><b></b>"));
    assert_non_null(xml_check("<a><b>"));
}

static void test_svg_well_formed(void **state)
{
    fx f;
    char *svg;
    (void)state;
    fx_init(&f, 0);
    svg = render_plot(f.items, 2);
    assert_null(xml_check(svg));
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_int_equal(strncmp(svg, "<?xml", 5), 0);
    /* per panel: 2 bands (p50-p95, p50-p90), history, p50, mean */
    assert_int_equal(count(svg, "<path"), 2 * 5);
    /* no external resources */
    assert_null(strstr(svg, "href"));
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "@import"));
    free(svg);
}

static void test_svg_escapes_names(void **state)
{
    fx f;
    char *svg;
    (void)state;
    fx_init(&f, 0);
    svg = render_plot(f.items, 2);
    assert_non_null(strstr(svg, "web&lt;b&gt;&amp;&quot;x&quot;"));
    assert_non_null(strstr(svg, "app&apos;1"));
    assert_non_null(strstr(svg, "test &lt;plot&gt;"));
    assert_null(strstr(svg, "<b>"));
    free(svg);
}

static void test_svg_no_nan(void **state)
{
    fx f;
    char *svg;
    (void)state;
    fx_init(&f, 1);
    svg = render_plot(f.items, 2);
    assert_null(xml_check(svg));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "NaN"));
    assert_null(strstr(svg, "inf"));
    /* the gaps break the lines: more than one M in history and mean */
    assert_true(count(svg, "M") >= 2 * 5 + 4);
    free(svg);
}

static void test_svg_units_and_axes(void **state)
{
    fx f;
    char *svg;
    (void)state;
    fx_init(&f, 0);
    svg = render_plot(f.items, 2);
    assert_non_null(strstr(svg, "00m</text>")); /* CPU ticks in millicores */
    assert_non_null(strstr(svg, "Mi</text>"));  /* memory ticks in Mi */
    assert_non_null(strstr(svg, "Mar 0"));      /* time labels */
    assert_non_null(strstr(svg, "p50\xe2\x80\x93p95"));
    free(svg);
}

static void test_svg_empty(void **state)
{
    char *svg;
    (void)state;
    svg = render_plot(NULL, 0);
    assert_null(xml_check(svg));
    assert_non_null(strstr(svg, "no forecasts"));
    free(svg);
}

static void test_csv(void **state)
{
    fx f;
    char *csv, *line;
    size_t rows;
    (void)state;
    fx_init(&f, 0);
    csv = render_fc(AG_FMT_CSV, f.items, 2, 0);
    assert_int_equal(
        strncmp(csv, "timestamp,namespace,workload,container,resource,quantile,value\n", 63), 0);
    rows = count(csv, "\n") - 1;
    assert_int_equal(rows, 2 * H * (3 + 1));
    /* names with a quote are quoted, quotes doubled */
    assert_non_null(strstr(csv, "1709859600,shop,\"web<b>&\"\"x\"\"\",app'1,cpu,mean,0.5\n"));
    assert_non_null(strstr(csv, "1709859600,shop,\"web<b>&\"\"x\"\"\",app'1,cpu,0.95,0.75\n"));
    line = strstr(csv, "1709877600,db,pg,pg,memory,0.9,");
    assert_non_null(line);
    /* 512Mi * 1.5 * 1.2, whole bytes */
    assert_int_equal(strncmp(line + strlen("1709877600,db,pg,pg,memory,0.9,"), "966367642\n", 10),
                     0);
    free(csv);
}

static void test_json(void **state)
{
    fx f;
    char *js;
    (void)state;
    fx_init(&f, 0);
    js = render_fc(AG_FMT_JSON, f.items, 2, 0);
    assert_non_null(strstr(js, "\"workload\": \"web<b>&\\\"x\\\"\""));
    assert_non_null(strstr(js, "\"step\": 3600, \"start\": 1709859600"));
    assert_non_null(strstr(js, "{\"t\": 1709859600, \"mean\": 0.5, \"q\": {\"0.5\": 0.5, "
                               "\"0.9\": 0.6, \"0.95\": 0.75}}"));
    assert_null(strstr(js, "\"scores\""));
    free(js);
    js = render_fc(AG_FMT_JSON, f.items, 2, 1);
    assert_non_null(strstr(js, "\"scores\": ["));
    assert_non_null(strstr(js, "{\"model\": \"holt\", \"loss\": null"));
    assert_non_null(strstr(js, "\"note\": \"history too short\""));
    free(js);
}

static void test_table(void **state)
{
    fx f;
    char *t;
    (void)state;
    fx_init(&f, 0);
    t = render_fc(AG_FMT_TABLE, f.items, 2, 1);
    assert_non_null(strstr(t, "PEAK P50"));
    assert_non_null(strstr(t, "PEAK P95"));
    /* peak of the p50: 0.5 * 1.5 = 750m; of the p95: 1125m */
    assert_non_null(strstr(t, "750m"));
    assert_non_null(strstr(t, "1125m"));
    assert_non_null(strstr(t, "1152Mi")); /* memory p95 peak: 512Mi * 1.5 * 1.5 */
    assert_non_null(strstr(t, "why: lowest pinball loss"));
    assert_non_null(strstr(t, "history too short"));
    free(t);
    assert_int_equal(ag_report_forecast(stdout, AG_FMT_YAML, f.items, 2, NULL), AG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_checker),
        cmocka_unit_test(test_svg_well_formed),
        cmocka_unit_test(test_svg_escapes_names),
        cmocka_unit_test(test_svg_no_nan),
        cmocka_unit_test(test_svg_units_and_axes),
        cmocka_unit_test(test_svg_empty),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
