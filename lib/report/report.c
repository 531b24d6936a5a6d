/*
 * report/report.c - the report entry point, the shared helpers of the
 * writers, and the two machine formats: json and csv.
 *
 * json is the stable interface for tools (docs/output.md): one object per
 * workload-container in input order, numbers in cores and bytes rounded
 * exactly as the table rounds them. csv carries the same numbers, one row
 * per workload-container and resource, for spreadsheets.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "report/report_int.h"

ag_err ag_format_parse(const char *s, ag_format *out)
{
    static const struct {
        const char *name;
        ag_format fmt;
    } names[] = {
        {"table", AG_FMT_TABLE},
        {"json", AG_FMT_JSON},
        {"yaml", AG_FMT_YAML},
        {"csv", AG_FMT_CSV},
    };
    if (!s || !out)
        return AG_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].fmt;
            return AG_OK;
        }
    }
    return AG_EINVAL;
}

double ag__rep_round(int res, double v)
{
    double unit = res == AG_CPU ? 1000.0 : 1.0;
    double x, r;

    if (!isfinite(v))
        return NAN;
    /* A value within binary noise of a whole number is that number
     * (0.1 * 3 = 0.30000000000000004 is 300m, not 301m), as in
     * ag_cpu_format() and ag_mem_format(). */
    x = v * unit;
    r = nearbyint(x);
    x = fabs(x - r) <= 1e-12 * fmax(1.0, fabs(x)) ? r : ceil(x);
    if (x == 0)
        x = 0; /* no "-0" */
    return x / unit;
}

double ag__rep_rec(const ag_report_item *it, int r, ag__rep_field f)
{
    const ag_rec_res *rr = &it->rec.res[r];
    double v = NAN;

    if (it->rec.status[r] != AG_REC_OK)
        return NAN;
    switch (f) {
    case AG__F_TARGET:
        v = rr->target;
        break;
    case AG__F_LOWER:
        v = rr->lower;
        break;
    case AG__F_UPPER:
        v = rr->upper;
        break;
    case AG__F_UNCAPPED:
        v = rr->uncapped;
        break;
    case AG__F_LIMIT:
        v = rr->limit;
        break;
    }
    return ag__rep_round(r, v);
}

double ag__rep_cur_request(const ag_report_item *it, int r)
{
    return ag__rep_round(r, it->wc->request[r]);
}

double ag__rep_cur_limit(const ag_report_item *it, int r)
{
    return ag__rep_round(r, it->wc->limit[r]);
}

const char *const ag__rep_bound_names[AG__REP_NFIELDS] = {"target", "lower", "upper",
                                                          "uncapped", "limit"};

const char *ag__rep_res_name(int r)
{
    return r == AG_CPU ? "cpu" : "memory";
}

const char *ag__rep_status_name(ag_rec_status s)
{
    switch (s) {
    case AG_REC_OK:
        return "ok";
    case AG_REC_NO_DATA:
        return "no-data";
    case AG_REC_NOT_ENOUGH:
        return "not-enough-data";
    }
    return "unknown";
}

ag_err ag__rep_flush(FILE *f, ag_buf *b, size_t min)
{
    if (b->len < min || b->len == 0)
        return AG_OK;
    if (fwrite(b->p, 1, b->len, f) != b->len)
        return AG_EIO;
    ag__buf_reset(b);
    return AG_OK;
}

ag_err ag__rep_num(ag_buf *b, double v)
{
    /* Whole numbers (all byte counts) as integers: 314572800, not the
     * 3.145728e+08 the shortest round-trip form would give. */
    if (isfinite(v) && v == nearbyint(v) && fabs(v) < 9007199254740992.0)
        return ag__buf_printf(b, "%.0f", v);
    return ag__buf_json_num(b, v);
}

char *ag__rep_quantity(int r, double v, char *buf, size_t len)
{
    return r == AG_CPU ? ag_cpu_format(v, buf, len) : ag_mem_format(v, buf, len);
}

/* ---- json ---- */

static ag_err json_resource(ag_buf *b, const ag_report_item *it, int r)
{
    static const struct {
        const char *key;
        int field; /* ag__rep_field, or -1 request, -2 limit */
    } keys[] = {
        {"target", AG__F_TARGET},
        {"lowerBound", AG__F_LOWER},
        {"upperBound", AG__F_UPPER},
        {"uncappedTarget", AG__F_UNCAPPED},
        {"request", -1},
        {"limit", -2},
        {"recommendedLimit", AG__F_LIMIT},
    };
    size_t nk = sizeof keys / sizeof keys[0];
    ag_err rc = ag__buf_printf(b, "    \"%s\": {\n", ag__rep_res_name(r));

    for (size_t k = 0; rc == AG_OK && k < nk; k++) {
        double v = keys[k].field == -1   ? ag__rep_cur_request(it, r)
                   : keys[k].field == -2 ? ag__rep_cur_limit(it, r)
                                         : ag__rep_rec(it, r, (ag__rep_field)keys[k].field);
        rc = ag__buf_printf(b, "      \"%s\": ", keys[k].key);
        if (rc == AG_OK)
            rc = ag__rep_num(b, v);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, k + 1 < nk ? ",\n" : "\n");
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "    },\n");
    return rc;
}

ag_err ag__rep_json_item(ag_buf *b, const ag_report_item *it, int last)
{
    const ag_wcontainer *wc = it->wc;
    ag_err rc = ag__buf_puts(b, "  {\n    \"namespace\": ");

    if (rc == AG_OK)
        rc = ag__buf_json_str(b, wc->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ",\n    \"workload\": {\n      \"kind\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(b, wc->kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ",\n      \"name\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(b, wc->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n    },\n    \"container\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(b, wc->container);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ",\n");
    for (int r = 0; rc == AG_OK && r < AG_NRES; r++)
        rc = json_resource(b, it, r);
    if (rc == AG_OK)
        rc = ag__buf_printf(b,
                            "    \"pods\": %zu,\n    \"status\": {\n      \"cpu\": \"%s\",\n"
                            "      \"memory\": \"%s\"\n    }\n  }%s\n",
                            wc->n, ag__rep_status_name(it->rec.status[AG_CPU]),
                            ag__rep_status_name(it->rec.status[AG_MEMORY]), last ? "" : ",");
    return rc;
}

static ag_err write_json(FILE *f, const ag_report_item *items, size_t n)
{
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, 0);
    rc = ag__buf_puts(&b, n ? "[\n" : "[]\n");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = ag__rep_json_item(&b, &items[i], i + 1 == n);
        if (rc == AG_OK)
            rc = ag__rep_flush(f, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK && n)
        rc = ag__buf_puts(&b, "]\n");
    if (rc == AG_OK)
        rc = ag__rep_flush(f, &b, 0);
    ag__buf_free(&b);
    return rc;
}

/* ---- csv ---- */

/* A number as in json, or an empty cell when unknown. */
static ag_err csv_num(ag_buf *b, double v)
{
    ag_err rc = ag__buf_puts(b, ",");
    if (rc == AG_OK && isfinite(v))
        rc = ag__rep_num(b, v);
    return rc;
}

static ag_err csv_row(ag_buf *b, const ag_report_item *it, int r)
{
    const ag_wcontainer *wc = it->wc;
    const char *lead[] = {wc->ns, wc->kind, wc->name, wc->container, ag__rep_res_name(r)};
    ag_err rc = AG_OK;

    for (size_t k = 0; rc == AG_OK && k < sizeof lead / sizeof lead[0]; k++) {
        if (k)
            rc = ag__buf_puts(b, ",");
        if (rc == AG_OK)
            rc = ag__buf_csv_str(b, lead[k]);
    }
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_rec(it, r, AG__F_TARGET));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_rec(it, r, AG__F_LOWER));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_rec(it, r, AG__F_UPPER));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_rec(it, r, AG__F_UNCAPPED));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_rec(it, r, AG__F_LIMIT));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_cur_request(it, r));
    if (rc == AG_OK)
        rc = csv_num(b, ag__rep_cur_limit(it, r));
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ",%zu,%s\n", wc->n, ag__rep_status_name(it->rec.status[r]));
    return rc;
}

static ag_err write_csv(FILE *f, const ag_report_item *items, size_t n)
{
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, 0);
    rc = ag__buf_puts(&b, "namespace,workload_kind,workload_name,container,resource,target,"
                          "lower_bound,upper_bound,uncapped_target,recommended_limit,"
                          "current_request,current_limit,pods,status\n");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        for (int r = 0; rc == AG_OK && r < AG_NRES; r++)
            rc = csv_row(&b, &items[i], r);
        if (rc == AG_OK)
            rc = ag__rep_flush(f, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK)
        rc = ag__rep_flush(f, &b, 0);
    ag__buf_free(&b);
    return rc;
}

ag_err ag_report_write(FILE *f, ag_format fmt, const ag_report_item *items, size_t n,
                       const ag_report_opts *o)
{
    static const ag_report_opts defaults = {"vpa", 0};
    ag_err rc;

    if (!f || (n && !items))
        return AG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const ag_wcontainer *wc = items[i].wc;
        if (!wc || !wc->ns || !wc->kind || !wc->name || !wc->container)
            return AG_EINVAL;
    }
    if (!o)
        o = &defaults;
    switch (fmt) {
    case AG_FMT_TABLE:
        rc = ag__rep_table(f, items, n, o);
        break;
    case AG_FMT_JSON:
        rc = write_json(f, items, n);
        break;
    case AG_FMT_YAML:
        rc = ag__rep_yaml(f, items, n, o);
        break;
    case AG_FMT_CSV:
        rc = write_csv(f, items, n);
        break;
    default:
        return AG_EINVAL;
    }
    if (rc == AG_OK && (fflush(f) != 0 || ferror(f)))
        rc = AG_EIO;
    return rc;
}
