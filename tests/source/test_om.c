/*
 * tests/source/test_om.c - the OpenMetrics / Prometheus text reader:
 * which metrics and labels it reads, timestamp units, escapes, OOM events,
 * # EOF, and that malformed lines are reported with file:line while the
 * rest of the input is kept.
 */
#include <math.h>
#include "source/source_fixture.h"
#include "augur/source.h"
#include "series/series_int.h"
#include "util/alloc.h"

static ag_err parse(fixture *f, const char *text)
{
    return ag_om_parse(f->ds, "t.om", text, strlen(text), &f->opts, &f->st, &f->ei);
}

/* The value of pod label key, or NULL. */
static const char *pod_label(fixture *f, const char *ns, const char *pod, const char *key)
{
    size_t i, j;
    for (i = 0; i < f->ds->np; i++) {
        ag__pod *p = f->ds->p[i];
        if (strcmp(p->ns, ns) != 0 || strcmp(p->pod, pod) != 0)
            continue;
        for (j = 0; j < p->nlabels; j++)
            if (strcmp(p->labels[j].k, key) == 0)
                return p->labels[j].v;
    }
    return NULL;
}

static void test_counter_and_gauge(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "# HELP container_cpu_usage_seconds Cumulative cpu time consumed.\n"
        "# TYPE container_cpu_usage_seconds counter\n"
        "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-1\",container=\"app\","
        "cpu=\"total\"} 10.5 1700000000.123\n"
        "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-1\",container=\"app\","
        "cpu=\"total\"} 12 1700000015\n"
        "# TYPE container_memory_working_set_bytes gauge\n"
        "container_memory_working_set_bytes{container=\"app\",namespace=\"shop\",pod=\"web-1\"} "
        "1.5e8 1700000000.5\n"
        "container_memory_working_set_bytes{container=\"app\",namespace=\"shop\",pod=\"web-1\"} "
        "157286400 1700000015\n"
        "# EOF\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    c = get(f, "shop", "web-1", "app");
    assert_int_equal(c->cpu_counter.n, 2);
    assert_int_equal(c->cpu_counter.v[0].t_ms, 1700000000123LL);
    assert_double_near(c->cpu_counter.v[0].v, 10.5, 0);
    assert_int_equal(c->cpu_counter.v[1].t_ms, 1700000015000LL);
    assert_double_near(c->cpu_counter.v[1].v, 12, 0);
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    assert_int_equal(c->usage[AG_MEMORY].v[0].t_ms, 1700000000500LL);
    assert_double_near(c->usage[AG_MEMORY].v[0].v, 1.5e8, 0);
    assert_double_near(c->usage[AG_MEMORY].v[1].v, 157286400, 0);
    assert_int_equal(c->usage[AG_CPU].n, 0); /* rates come from finish() */
    assert_int_equal(f->st.lines, 8);
    assert_int_equal(f->st.malformed, 0);
    assert_int_equal(f->w.n, 0);
}

static void test_timestamp_units(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        /* Prometheus text: integer milliseconds */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 1 "
        "1700000000000\n"
        /* integer seconds (below 1e11) */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 2 "
        "1700000001\n"
        /* fractional seconds, rounded to the millisecond */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 3 "
        "1700000002.0005\n"
        /* exponent form: seconds */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 4 "
        "1.700000003e9\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_MEMORY].n, 4);
    assert_int_equal(c->usage[AG_MEMORY].v[0].t_ms, 1700000000000LL);
    assert_int_equal(c->usage[AG_MEMORY].v[1].t_ms, 1700000001000LL);
    assert_int_equal(c->usage[AG_MEMORY].v[2].t_ms, 1700000002001LL);
    assert_int_equal(c->usage[AG_MEMORY].v[3].t_ms, 1700000003000LL);
    assert_int_equal(f->st.malformed, 0);
}

static void test_values(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} NaN 1\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} +Inf 2\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} -Inf 3\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} -5 4\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 1.25E3 5\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} "
        "123456789012345 6\n"
        /* OpenMetrics exemplar after the timestamp: skipped */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 7 7 "
        "# {trace_id=\"abc\"} 1 7\n"
        /* hex is not a Prometheus number */
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 0x10 8\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_MEMORY].n, 7);
    /* Non-finite and negative values are left for ag_dataset_finish(). */
    assert_true(isnan(c->usage[AG_MEMORY].v[0].v));
    assert_true(isinf(c->usage[AG_MEMORY].v[1].v) && c->usage[AG_MEMORY].v[1].v > 0);
    assert_true(isinf(c->usage[AG_MEMORY].v[2].v) && c->usage[AG_MEMORY].v[2].v < 0);
    assert_double_near(c->usage[AG_MEMORY].v[3].v, -5, 0);
    assert_double_near(c->usage[AG_MEMORY].v[4].v, 1250, 0);
    assert_double_near(c->usage[AG_MEMORY].v[5].v, 123456789012345.0, 0);
    assert_double_near(c->usage[AG_MEMORY].v[6].v, 7, 0);
    assert_int_equal(f->st.malformed, 1);
    assert_non_null(strstr(f->w.all, "t.om:8: invalid sample value"));
}

static void test_label_escapes(void **state)
{
    fixture *f = *state;
    const char *text = "container_memory_working_set_bytes{ namespace = \"n\\\\s\" , "
                       "pod=\"we\\\"b\\n1\",container=\"a,b}c\", } 5 1700000000\n"
                       "kube_pod_labels{namespace=\"n\\\\s\",pod=\"we\\\"b\\n1\","
                       "label_app=\"x\\\"y\",label_tier=\"\"} 1 1700000000\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(f->st.malformed, 0);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    get(f, "n\\s", "we\"b\n1", "a,b}c");
    assert_string_equal(pod_label(f, "n\\s", "we\"b\n1", "app"), "x\"y");
    assert_string_equal(pod_label(f, "n\\s", "we\"b\n1", "tier"), "");
}

static void test_pause_and_pod_level_skipped(void **state)
{
    fixture *f = *state;
    const char *text =
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"POD\"} 1 1\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"\"} 1 1\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\"} 1 1\n"
        "container_memory_working_set_bytes{id=\"/\"} 1 1\n"
        "container_cpu_usage_seconds_total{namespace=\"\",pod=\"p\",container=\"c\"} 1 1\n"
        "container_cpu_usage_seconds_total{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\n"
        /* per-CPU series next to the total: ignored */
        "container_cpu_usage_seconds_total{namespace=\"a\",pod=\"p\",container=\"c\","
        "cpu=\"cpu01\"} 1 2\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    assert_int_equal(get(f, "a", "p", "c")->cpu_counter.n, 1);
    assert_int_equal(f->st.malformed, 0);
}

static void test_old_label_names(void **state)
{
    fixture *f = *state;
    const char *text = "container_cpu_usage_seconds_total{namespace=\"a\",pod_name=\"p\","
                       "container_name=\"c\"} 3 1700000000\n"
                       /* new names win over old ones when both are set */
                       "container_cpu_usage_seconds_total{namespace=\"a\",pod=\"p\",pod_name=\"x\","
                       "container=\"c\",container_name=\"y\"} 4 1700000010\n"
                       "container_cpu_usage_seconds_total{namespace=\"a\",pod_name=\"p\","
                       "container_name=\"POD\"} 3 1700000000\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    assert_int_equal(get(f, "a", "p", "c")->cpu_counter.n, 2);
}

static void test_owner_and_labels(void **state)
{
    fixture *f = *state;
    const char *kind = NULL, *name = NULL;
    const char *text =
        "kube_pod_owner{namespace=\"a\",pod=\"api-7d9f-xk2p\",owner_kind=\"ReplicaSet\","
        "owner_name=\"api-7d9f\",owner_is_controller=\"true\"} 1 1700000000000\n"
        "kube_pod_owner{namespace=\"a\",pod=\"api-7d9f-xk2p\",owner_kind=\"ReplicaSet\","
        "owner_name=\"api-7d9f\",owner_is_controller=\"true\"} 1 1700000030000\n"
        "kube_pod_owner{namespace=\"a\",pod=\"lonely\",owner_kind=\"<none>\","
        "owner_name=\"<none>\"} 1 1700000000000\n"
        "kube_pod_labels{namespace=\"a\",pod=\"api-7d9f-xk2p\",label_app=\"api\","
        "label_team=\"core\",uid=\"123\"} 1 1700000000000\n"
        "kube_pod_labels{namespace=\"a\",pod=\"api-7d9f-xk2p\",label_app=\"api\","
        "label_team=\"core\",uid=\"123\"} 1 1700000030000\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_get_owner(f->ds, "a", "api-7d9f-xk2p", &kind, &name), 1);
    assert_string_equal(kind, "ReplicaSet");
    assert_string_equal(name, "api-7d9f");
    assert_int_equal(ag_dataset_get_owner(f->ds, "a", "lonely", &kind, &name), 0);
    assert_string_equal(pod_label(f, "a", "api-7d9f-xk2p", "app"), "api");
    assert_string_equal(pod_label(f, "a", "api-7d9f-xk2p", "team"), "core");
    assert_null(pod_label(f, "a", "api-7d9f-xk2p", "uid"));
    assert_int_equal(f->st.malformed, 0);
}

static void test_requests_and_limits(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"cpu\",unit=\"core\"} 0.25 1700000100000\n"
        /* older: must not win */
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"cpu\",unit=\"core\"} 0.5 1700000000000\n"
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"memory\",unit=\"byte\"} 268435456 1700000100000\n"
        "kube_pod_container_resource_limits{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"memory\",unit=\"byte\"} 536870912 1700000100000\n"
        /* newer: wins */
        "kube_pod_container_resource_limits{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"memory\",unit=\"byte\"} 1073741824 1700000200000\n"
        "kube_pod_container_resource_limits{namespace=\"a\",pod=\"p\",container=\"c\","
        "resource=\"nvidia_com_gpu\",unit=\"integer\"} 1 1700000100000\n"
        /* older kube-state-metrics names */
        "kube_pod_container_resource_limits_cpu_cores{namespace=\"a\",pod=\"p\",container=\"d\"}"
        " 2 1700000100000\n"
        "kube_pod_container_resource_requests_memory_bytes{namespace=\"a\",pod=\"p\","
        "container=\"d\"} 1e9 1700000100000\n"
        "kube_pod_container_resource_requests_cpu_cores{namespace=\"a\",pod=\"p\","
        "container=\"d\"} 0.1 1700000100000\n"
        "kube_pod_container_resource_limits_memory_bytes{namespace=\"a\",pod=\"p\","
        "container=\"d\"} 2e9 1700000100000\n"
        /* an explicit unit label is honoured */
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"e\","
        "resource=\"cpu\",unit=\"millicore\"} 250 1700000100000\n"
        /* a unit that does not fit: reported */
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"e\","
        "resource=\"memory\",unit=\"core\"} 1 1700000100000\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_double_near(c->request[AG_CPU], 0.25, 0);
    assert_double_near(c->request[AG_MEMORY], 268435456, 0);
    assert_double_near(c->limit[AG_MEMORY], 1073741824, 0);
    assert_true(isnan(c->limit[AG_CPU]));
    assert_int_equal(c->spec_t_ms[AG_CPU], 1700000100000LL);
    assert_int_equal(c->spec_t_ms[AG_MEMORY], 1700000200000LL);
    c = get(f, "a", "p", "d");
    assert_double_near(c->limit[AG_CPU], 2, 0);
    assert_double_near(c->request[AG_CPU], 0.1, 0);
    assert_double_near(c->request[AG_MEMORY], 1e9, 0);
    assert_double_near(c->limit[AG_MEMORY], 2e9, 0);
    c = get(f, "a", "p", "e");
    assert_double_near(c->request[AG_CPU], 0.25, 1e-12);
    assert_true(isnan(c->request[AG_MEMORY]));
    assert_int_equal(f->st.unit_fixes, 1);
    assert_int_equal(f->st.malformed, 1);
    assert_non_null(strstr(f->w.all, "t.om:12: unit 'core' does not fit resource 'memory'"));
}

static void test_oom_counter_events(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 100 "
        "1700000000\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 900 "
        "1700000030\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 2 1700000000\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 2 1700000015\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 3 1700000030\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 3 1700000045\n"
        /* out of order on purpose: sorted before diffing */
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 5 1700003600\n"
        /* a reset after a restart with one kill since */
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1700007200\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 4 1700000060\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->oom.n, 4);
    assert_int_equal(c->oom.v[0].t_ms, 1700000030000LL);
    assert_double_near(c->oom.v[0].v, 900, 0);
    assert_int_equal(c->oom.v[1].t_ms, 1700000060000LL);
    assert_double_near(c->oom.v[1].v, 900, 0); /* newest memory within 5 minutes */
    assert_int_equal(c->oom.v[2].t_ms, 1700003600000LL);
    assert_double_near(c->oom.v[2].v, 0, 0); /* memory unknown then */
    assert_int_equal(c->oom.v[3].t_ms, 1700007200000LL);
}

static void test_eof(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\n"
        "# EOF\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 2 2\n"
        "\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_MEMORY].n, 1);
    assert_int_equal(f->st.malformed, 1);
    assert_non_null(strstr(f->w.all, "t.om:3: text after '# EOF'"));
}

static void test_malformed_lines_reported(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text =
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 2\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\" 3 3\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\\q\",container=\"c\"} 4 4\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} x 5\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 6 soon\n"
        "container_memory_working_set_bytes{namespace=a,pod=\"p\",container=\"c\"} 7 7\n"
        "{namespace=\"a\"} 8 8\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 9 9 10\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"}\n"
        "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 11 11\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    assert_double_near(c->usage[AG_MEMORY].v[0].v, 1, 0);
    assert_double_near(c->usage[AG_MEMORY].v[1].v, 11, 0);
    assert_int_equal(f->st.malformed, 9);
    assert_int_equal(f->st.lines, 11);
    assert_int_equal(f->w.n, 9);
    assert_non_null(strstr(f->w.all, "t.om:2: sample has no timestamp"));
    assert_non_null(strstr(f->w.all, "t.om:3: expected ',' or '}' after a label"));
    assert_non_null(strstr(f->w.all, "t.om:4: invalid escape"));
    assert_non_null(strstr(f->w.all, "t.om:5: invalid sample value (near 'x 5')"));
    assert_non_null(strstr(f->w.all, "t.om:6: invalid timestamp (near 'soon')"));
    assert_non_null(strstr(f->w.all, "t.om:7: expected '\"' to open the label value"));
    assert_non_null(strstr(f->w.all, "t.om:8: expected a metric name"));
    assert_non_null(strstr(f->w.all, "t.om:9: unexpected text after the timestamp"));
    assert_non_null(strstr(f->w.all, "t.om:10: sample has no value"));
}

static void test_max_warnings_and_line(void **state)
{
    fixture *f = *state;
    char text[4096];
    size_t i, n = 0;

    for (i = 0; i < 30; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "container_memory_working_set_bytes 1\n");
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\","
                          "container=\"c\",junk=\"%0100d\"} 1 1\n",
                          0);
    f->opts.max_warnings = 5;
    f->opts.max_line = 120;
    assert_int_equal(ag_om_parse(f->ds, "t.om", text, n, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(f->st.malformed, 31);
    assert_int_equal(f->w.n, 6);
    assert_non_null(strstr(f->w.all, "t.om: ... 26 more malformed lines not shown"));
    assert_int_equal(ag_dataset_count(f->ds), 0);
}

static void test_long_line_reported(void **state)
{
    fixture *f = *state;
    char text[512];
    int n = snprintf(text, sizeof text,
                     "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\","
                     "container=\"c\",junk=\"%0100d\"} 1 1\n"
                     "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\","
                     "container=\"c\"} 2 2",
                     0);
    f->opts.max_line = 120;
    assert_int_equal(ag_om_parse(f->ds, "t.om", text, (size_t)n, &f->opts, &f->st, &f->ei), AG_OK);
    assert_non_null(strstr(f->w.all, "t.om:1: line longer than 120 bytes"));
    assert_int_equal(get(f, "a", "p", "c")->usage[AG_MEMORY].n, 1);
}

static void test_unknown_metrics_units_crlf(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "\xEF\xBB\xBF# TYPE node_cpu_seconds counter\r\n"
                       "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1 1\r\n"
                       "container_cpu_usage_seconds_created{namespace=\"a\"} 1 1\r\n"
                       "container_fs_reads_total{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\r\n"
                       "# UNIT container_memory_working_set_bytes kibibytes\r\n"
                       "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\","
                       "container=\"c\"} 2 1\r\n"
                       "# UNIT container_cpu_usage_seconds milliseconds\r\n"
                       "container_cpu_usage_seconds_total{namespace=\"a\",pod=\"p\","
                       "container=\"c\"} 1500 1\r\n"
                       "# UNIT container_memory_working_set_bytes furlongs\r\n"
                       "\t \r\n"
                       "# just a comment\r\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(f->st.unknown_metric, 3);
    c = get(f, "a", "p", "c");
    assert_double_near(c->usage[AG_MEMORY].v[0].v, 2048, 0);
    assert_double_near(c->cpu_counter.v[0].v, 1.5, 1e-12);
    assert_int_equal(f->st.unit_fixes, 2);
    assert_int_equal(f->st.malformed, 1);
    assert_non_null(strstr(f->w.all, "t.om:9: unknown unit 'furlongs'"));
    assert_int_equal(f->st.lines, 11);
}

static void progress(void *ud, uint64_t done, uint64_t total)
{
    uint64_t *last = ud;
    assert_true(done <= total);
    assert_true(done >= *last);
    *last = done;
}

static void test_progress_and_many_series(void **state)
{
    fixture *f = *state;
    size_t cap = 3 << 20, n = 0, i;
    char *text = malloc(cap);
    uint64_t last = 0;

    /* ~3 MB: 200 containers with interleaved series defeat the cache. */
    for (i = 0; n + 200 < cap; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "container_memory_working_set_bytes{namespace=\"ns\",pod=\"p%zu\","
                              "container=\"c\"} %zu %zu\n",
                              i % 200, i, 1700000000 + i / 200);
    f->opts.progress = progress;
    f->opts.progress_ud = &last;
    assert_int_equal(ag_om_parse(f->ds, "t.om", text, n, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(last, n);
    assert_int_equal(ag_dataset_count(f->ds), 200);
    assert_int_equal(f->st.lines, i);
    assert_int_equal(get(f, "ns", "p7", "c")->usage[AG_MEMORY].v[1].v, 207);
    free(text);
}

/* Every allocation failing in turn: AG_ENOMEM with a message, never a
 * crash or a leak (ASan checks the latter). */
static void test_out_of_memory(void **state)
{
    const char *text =
        "container_cpu_usage_seconds_total{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1\n"
        "container_oom_events_total{namespace=\"a\",pod=\"p\",container=\"c\"} 2 2\n"
        "kube_pod_owner{namespace=\"a\",pod=\"p\",owner_kind=\"Job\",owner_name=\"j\"} 1 1\n"
        "kube_pod_labels{namespace=\"a\",pod=\"p\",label_x=\"y\"} 1 1\n"
        "kube_pod_container_resource_requests{namespace=\"a\",pod=\"p\",container=\"d\","
        "resource=\"cpu\"} 1 1\n";
    long k;
    int ok = 0;

    (void)state;
    for (k = 1; k < 200 && !ok; k++) {
        ag_dataset *ds = ag_dataset_new();
        ag_errinfo ei = {{0}};
        ag_err rc;
        assert_non_null(ds);
        ag__alloc_fail_after(k);
        rc = ag_om_parse(ds, "t.om", text, strlen(text), NULL, NULL, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            ok = 1;
        else {
            assert_true(rc == AG_ENOMEM);
            assert_non_null(strstr(ei.msg, "t.om"));
        }
        ag_dataset_free(ds);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counter_and_gauge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_and_pod_level_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_label_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_counter_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_warnings_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_metrics_units_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_and_many_series, setup, teardown),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
