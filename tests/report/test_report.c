/*
 * tests/report/test_report.c - the four report formats on hand-made
 * recommendations (report_fixture.h): exact golden output for small and
 * full cases, JSON validity (the small validating parser, also in
 * report_fixture.h), YAML that libyaml parses, totals arithmetic,
 * json/table rounding agreement, quoting of hostile names, colour, write
 * errors and out-of-memory.
 */
#include <math.h>
#include <yaml.h>
#include "ag_test.h"
#include "augur/report.h"
#include "augur/util.h"
#include "report_fixture.h"
#include "util/alloc.h"

/* Renders items in fmt; returns the text (caller frees) and the code in *rc. */
static char *render(ag_format fmt, const ag_report_item *items, size_t n, int color, ag_err *rc)
{
    ag_report_opts o = {"vpa", color};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_non_null(f);
    *rc = ag_report_write(f, fmt, items, n, &o);
    fclose(f);
    return out;
}

static char *render_ok(ag_format fmt, const ag_report_item *items, size_t n, int color)
{
    ag_err rc;
    char *s = render(fmt, items, n, color, &rc);
    assert_int_equal(rc, AG_OK);
    return s;
}

/* Number of YAML documents libyaml reads from s, -1 on a parse error. */
static int yaml_docs(const char *s)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int docs = 0, done = 0;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)s, strlen(s));
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            docs = -1;
            break;
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT)
            docs++;
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return docs;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- tests ---- */

static void test_format_parse(void **state)
{
    ag_format f = AG_FMT_TABLE;
    (void)state;
    assert_int_equal(ag_format_parse("json", &f), AG_OK);
    assert_int_equal(f, AG_FMT_JSON);
    assert_int_equal(ag_format_parse("yaml", &f), AG_OK);
    assert_int_equal(f, AG_FMT_YAML);
    assert_int_equal(ag_format_parse("csv", &f), AG_OK);
    assert_int_equal(f, AG_FMT_CSV);
    assert_int_equal(ag_format_parse("table", &f), AG_OK);
    assert_int_equal(f, AG_FMT_TABLE);
    assert_int_equal(ag_format_parse("xml", &f), AG_EINVAL);
    assert_int_equal(ag_format_parse("JSON", &f), AG_EINVAL);
    assert_int_equal(ag_format_parse(NULL, &f), AG_EINVAL);
}

static void test_json_golden(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_JSON, &fx.items[1], 1, 0);
    assert_string_equal(s, "[\n"
                           "  {\n"
                           "    \"namespace\": \"shop\",\n"
                           "    \"workload\": {\n"
                           "      \"kind\": \"Deployment\",\n"
                           "      \"name\": \"api\"\n"
                           "    },\n"
                           "    \"container\": \"side\\\"car\\\\\",\n"
                           "    \"cpu\": {\n"
                           "      \"target\": 0.1,\n"
                           "      \"lowerBound\": 0.05,\n"
                           "      \"upperBound\": 0.2,\n"
                           "      \"uncappedTarget\": 0.1,\n"
                           "      \"request\": null,\n"
                           "      \"limit\": null,\n"
                           "      \"recommendedLimit\": null\n"
                           "    },\n"
                           "    \"memory\": {\n"
                           "      \"target\": null,\n"
                           "      \"lowerBound\": null,\n"
                           "      \"upperBound\": null,\n"
                           "      \"uncappedTarget\": null,\n"
                           "      \"request\": 134217728,\n"
                           "      \"limit\": null,\n"
                           "      \"recommendedLimit\": null\n"
                           "    },\n"
                           "    \"pods\": 3,\n"
                           "    \"status\": {\n"
                           "      \"cpu\": \"ok\",\n"
                           "      \"memory\": \"no-data\"\n"
                           "    }\n"
                           "  }\n"
                           "]\n");
    free(s);
}

static void test_json_valid(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_JSON, fx.items, FX_N, 0);
    assert_true(json_valid(s));
    assert_int_equal(count(s, "\"namespace\""), FX_N);
    /* 0.2504 cores -> 0.251, 300Mi + 0.4 B -> 314572801, 1Gi exact. */
    assert_non_null(strstr(s, "\"target\": 0.251,"));
    assert_non_null(strstr(s, "\"target\": 314572801,"));
    assert_non_null(strstr(s, "\"request\": 1073741824,"));
    assert_non_null(strstr(s, "\"cpu\": \"not-enough-data\""));
    /* Input order is kept: api/app, api/side"car\, debug, db, report, migrate. */
    assert_true(strstr(s, "\"app\"") < strstr(s, "\"shell\""));
    assert_true(strstr(s, "\"shell\"") < strstr(s, "\"postgres\""));
    assert_true(strstr(s, "\"main\"") < strstr(s, "\"migrate\""));
    free(s);
    /* The validator itself rejects broken JSON. */
    assert_false(json_valid("[{\"a\": 1,}]"));
    assert_false(json_valid("[\"a\nb\"]"));
    assert_false(json_valid("{\"a\": 01}"));
    assert_false(json_valid("[1] x"));
}

static void test_empty(void **state)
{
    char *s;
    (void)state;
    s = render_ok(AG_FMT_JSON, NULL, 0, 0);
    assert_string_equal(s, "[]\n");
    free(s);
    s = render_ok(AG_FMT_CSV, NULL, 0, 0);
    assert_string_equal(s, "namespace,workload_kind,workload_name,container,resource,target,"
                           "lower_bound,upper_bound,uncapped_target,recommended_limit,"
                           "current_request,current_limit,pods,status\n");
    free(s);
    s = render_ok(AG_FMT_TABLE, NULL, 0, 0);
    assert_string_equal(s, "no workload-containers to report\n");
    free(s);
    s = render_ok(AG_FMT_YAML, NULL, 0, 0);
    assert_null(strstr(s, "---"));
    assert_int_equal(yaml_docs(s), 0);
    free(s);
}

static void test_csv_golden(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_CSV, fx.items, FX_N, 0);
    assert_string_equal(
        s, "namespace,workload_kind,workload_name,container,resource,target,lower_bound,"
           "upper_bound,uncapped_target,recommended_limit,current_request,current_limit,pods,"
           "status\n"
           "shop,Deployment,api,app,cpu,0.251,0.1,0.5,0.251,,1,2,3,ok\n"
           "shop,Deployment,api,app,memory,314572801,209715200,536870912,314572801,629145600,"
           "1073741824,2147483648,3,ok\n"
           "shop,Deployment,api,\"side\"\"car\\\",cpu,0.1,0.05,0.2,0.1,,,,3,ok\n"
           "shop,Deployment,api,\"side\"\"car\\\",memory,,,,,,134217728,,3,no-data\n"
           "default,Pod,debug,shell,cpu,0.6,0.5,0.9,0.6,,0.5,,1,ok\n"
           "default,Pod,debug,shell,memory,209715200,157286400,314572800,209715200,,268435456,,1,"
           "ok\n"
           "shop,StatefulSet,db,postgres,cpu,,,,,,2,,2,not-enough-data\n"
           "shop,StatefulSet,db,postgres,memory,3221225472,2684354560,3758096384,3221225472,"
           "3221225472,4294967296,4294967296,2,ok\n"
           "shop,CronJob,report,main,cpu,0.025,0.025,0.05,0.01,,0.1,,1,ok\n"
           "shop,CronJob,report,main,memory,104857600,104857600,125829120,83886080,,67108864,,1,"
           "ok\n"
           "default,Job,migrate,migrate,cpu,,,,,,0.2,,1,no-data\n"
           "default,Job,migrate,migrate,memory,,,,,,134217728,,1,no-data\n");
    free(s);
}

static void test_csv_quoting(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    fx.wc[0].ns = "a,b";
    fx.wc[0].container = "line\nbreak";
    s = render_ok(AG_FMT_CSV, fx.items, 1, 0);
    assert_non_null(strstr(s, "\n\"a,b\",Deployment,api,\"line\nbreak\",cpu,0.251,"));
    free(s);
}

static void test_table_golden(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_TABLE, fx.items, FX_N, 0);
    assert_string_equal(
        s, "NAMESPACE  WORKLOAD        CONTAINER  PODS  CPU REQUEST   CPU CHANGE  CPU LIMIT  "
           "MEMORY REQUEST  MEMORY CHANGE  MEMORY LIMIT\n"
           "shop       Deployment/api  app           3  1 -> 251m     -749m       2 -> -     "
           "1Gi -> 301Mi    -723Mi         2Gi -> 600Mi\n"
           "shop       Deployment/api  side\"car\\     3  - -> 100m     new         -          "
           "128Mi -> ?[1]   ?              - -> ?\n"
           "default    Pod/debug       shell         1  500m -> 600m  +100m       -          "
           "256Mi -> 200Mi  -56Mi          -\n"
           "shop       StatefulSet/db  postgres      2  2 -> ?[2]     ?           - -> ?     "
           "4Gi -> 3Gi      -1Gi           4Gi -> 3Gi\n"
           "shop       CronJob/report  main          1  100m -> 25m   -75m        -          "
           "64Mi -> 100Mi   +36Mi          -\n"
           "default    Job/migrate     migrate       1  200m -> ?[1]  ?           - -> ?     "
           "128Mi -> ?[1]   ?              - -> ?\n"
           "\n"
           "[1] no data: no usage samples in the history window\n"
           "[2] not enough data: fewer samples than the vpa algorithm requires\n"
           "\n"
           "shop: -2.322 cores, -4.09 GiB requested (9 containers x pods; 3 values not counted: "
           "no recommendation or no current request)\n"
           "default: +0.1 cores, -0.05 GiB requested (2 containers x pods; 2 values not counted: "
           "no recommendation or no current request)\n"
           "cluster total: -2.222 cores, -4.14 GiB requested (11 containers x pods; 5 values not "
           "counted: no recommendation or no current request)\n");
    free(s);
}

/* Totals: (recommended - current) x pods, per namespace and cluster. */
static void test_table_totals(void **state)
{
    ag_wcontainer wc[4];
    ag_report_item it[4];
    char *s;
    (void)state;
    memset(it, 0, sizeof it);
    /* a: 4 pods, 1 -> 0.5 cores, 2Gi -> 1Gi: -2 cores, -4 GiB. */
    fx_wc(&wc[0], "a", "Deployment", "x", "c", 4, 1.0, 2 * GI, NAN, NAN);
    fx_res(&it[0].rec, 0, 0.5, 0.5, 0.5, 0.5, NAN);
    fx_res(&it[0].rec, 1, GI, GI, GI, GI, NAN);
    /* b: 2 pods, 100m -> 350m, 100Mi -> 612Mi: +0.5 cores, +1 GiB. */
    fx_wc(&wc[1], "b", "Deployment", "y", "c", 2, 0.1, 100 * MI, NAN, NAN);
    fx_res(&it[1].rec, 0, 0.35, 0.35, 0.35, 0.35, NAN);
    fx_res(&it[1].rec, 1, 612 * MI, 612 * MI, 612 * MI, 612 * MI, NAN);
    /* a again (after b): 1 pod, 1.5 cores -> 1.25, memory unchanged. */
    fx_wc(&wc[2], "a", "StatefulSet", "z", "c", 1, 1.5, GI, NAN, NAN);
    fx_res(&it[2].rec, 0, 1.25, 1, 2, 1.25, NAN);
    fx_res(&it[2].rec, 1, GI, GI, GI, GI, NAN);
    /* c: nothing changes: "0". */
    fx_wc(&wc[3], "c", "DaemonSet", "w", "c", 5, 0.25, 512 * MI, NAN, NAN);
    fx_res(&it[3].rec, 0, 0.25, 0.25, 0.25, 0.25, NAN);
    fx_res(&it[3].rec, 1, 512 * MI, 512 * MI, 512 * MI, 512 * MI, NAN);
    for (int i = 0; i < 4; i++)
        it[i].wc = &wc[i];
    s = render_ok(AG_FMT_TABLE, it, 4, 0);
    assert_non_null(strstr(s, "\na: -2.25 cores, -4 GiB requested (5 containers x pods)\n"));
    assert_non_null(strstr(s, "\nb: +0.5 cores, +1 GiB requested (2 containers x pods)\n"));
    assert_non_null(strstr(s, "\nc: 0 cores, 0 GiB requested (5 containers x pods)\n"));
    assert_non_null(
        strstr(s, "\ncluster total: -1.75 cores, -3 GiB requested (12 containers x pods)\n"));
    /* Namespaces in order of first appearance. */
    assert_true(strstr(s, "\na: ") < strstr(s, "\nb: "));
    assert_non_null(strstr(s, "  1500m -> 1250m  -250m "));
    assert_non_null(strstr(s, "  100Mi -> 612Mi  +512Mi "));
    free(s);
}

/* Whatever the value, the table shows the json number in Kubernetes units
 * and the change is the difference of the two cells shown. */
static void test_rounding_agreement(void **state)
{
    uint64_t x = 88172645463325252ULL;
    (void)state;
    for (int i = 0; i < 300; i++) {
        ag_wcontainer wc;
        ag_report_item it;
        char q[64], want[128], *js, *tb, *p;
        double cpu, mem, jcpu, jmem;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cpu = (double)(x % 8000000) / 1e6; /* up to 8 cores, micro-core steps */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        mem = (double)(x % 17179869184ULL) + (double)(x % 1000) / 1000.0;
        if (i < 3) { /* edge values: binary noise right at a millicore / Mi */
            cpu = i == 0 ? 0.1 * 3 : i == 1 ? 0.07 : 1.0 / 3;
            mem = i == 0 ? 300 * MI : i == 1 ? MI * 1.0000001 : 1.0;
        }
        memset(&it, 0, sizeof it);
        fx_wc(&wc, "ns", "Deployment", "d", "c", 2, 1.0, GI, NAN, NAN);
        fx_res(&it.rec, 0, cpu, cpu, cpu, cpu, NAN);
        fx_res(&it.rec, 1, mem, mem, mem, mem, NAN);
        it.wc = &wc;
        js = render_ok(AG_FMT_JSON, &it, 1, 0);
        tb = render_ok(AG_FMT_TABLE, &it, 1, 0);
        p = strstr(js, "\"target\": ");
        assert_non_null(p);
        jcpu = strtod(p + 10, NULL);
        p = strstr(p + 1, "\"target\": ");
        assert_non_null(p);
        jmem = strtod(p + 10, NULL);
        /* json: up to whole millicores / bytes, never below the value
         * (but for the 1e-12 relative tolerance against binary noise). */
        assert_true(jcpu >= cpu - 1e-12 && jcpu < cpu + 0.001);
        assert_double_near(jcpu * 1000, nearbyint(jcpu * 1000), 1e-6);
        if (!(jmem >= mem - 1e-12 * mem && jmem < mem + 1 && jmem == floor(jmem)))
            fail_msg("memory %.6f became %.6f in json", mem, jmem);
        snprintf(want, sizeof want, " 1 -> %s ", ag_cpu_format(jcpu, q, sizeof q));
        if (!strstr(tb, want))
            fail_msg("cpu %.9g: json %.9g, table lacks '%s':\n%s", cpu, jcpu, want, tb);
        snprintf(want, sizeof want, " 1Gi -> %s ", ag_mem_format(jmem, q, sizeof q));
        if (!strstr(tb, want))
            fail_msg("memory %.3f: json %.0f, table lacks '%s':\n%s", mem, jmem, want, tb);
        free(js);
        free(tb);
    }
}

static void test_table_color(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_TABLE, fx.items, FX_N, 1);
    assert_non_null(strstr(s, "\033[32m-749m\033[0m       2 -> -"));
    assert_non_null(strstr(s, "\033[31m+100m\033[0m"));
    assert_non_null(strstr(s, "\033[31m+36Mi\033[0m"));
    assert_null(strstr(s, "\033[31mnew"));
    free(s);
    s = render_ok(AG_FMT_TABLE, fx.items, FX_N, 0);
    assert_null(strchr(s, '\033'));
    free(s);
}

/* Control characters in names cannot break lines or reach the terminal. */
static void test_table_hostile_names(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    fx.wc[0].container = "evil\n\033[2Jx";
    fx.wc[0].ns = "ns\r";
    s = render_ok(AG_FMT_TABLE, fx.items, 1, 0);
    assert_null(strchr(s, '\033'));
    assert_null(strchr(s, '\r'));
    assert_non_null(strstr(s, "evil??[2Jx"));
    assert_non_null(strstr(s, "\nns?: "));
    /* header, row, blank, namespace total, cluster total */
    assert_int_equal(count(s, "\n"), 5);
    free(s);
}

static void test_yaml_golden(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_YAML, &fx.items[4], 1, 0);
    assert_string_equal(s, "# augur recommendations (algorithm vpa): per workload a "
                           "VerticalPodAutoscaler (updateMode Off) and a\n"
                           "# strategic-merge patch of its pod template; see docs/output.md\n"
                           "---\n"
                           "# CronJob shop/report\n"
                           "apiVersion: autoscaling.k8s.io/v1\n"
                           "kind: VerticalPodAutoscaler\n"
                           "metadata:\n"
                           "  name: report-augur\n"
                           "  namespace: shop\n"
                           "  labels:\n"
                           "    app.kubernetes.io/managed-by: augur\n"
                           "  annotations:\n"
                           "    augur/algorithm: vpa\n"
                           "spec:\n"
                           "  targetRef:\n"
                           "    apiVersion: batch/v1\n"
                           "    kind: CronJob\n"
                           "    name: report\n"
                           "  updatePolicy:\n"
                           "    updateMode: \"Off\"\n"
                           "  recommenders:\n"
                           "  - name: augur\n"
                           "status:\n"
                           "  recommendation:\n"
                           "    containerRecommendations:\n"
                           "    - containerName: main\n"
                           "      target:\n"
                           "        cpu: \"25m\"\n"
                           "        memory: \"100Mi\"\n"
                           "      lowerBound:\n"
                           "        cpu: \"25m\"\n"
                           "        memory: \"100Mi\"\n"
                           "      upperBound:\n"
                           "        cpu: \"50m\"\n"
                           "        memory: \"120Mi\"\n"
                           "      uncappedTarget:\n"
                           "        cpu: \"10m\"\n"
                           "        memory: \"80Mi\"\n"
                           "  conditions:\n"
                           "  - type: RecommendationProvided\n"
                           "    status: \"True\"\n"
                           "---\n"
                           "# kubectl patch cronjob report -n shop --type strategic "
                           "--patch-file <this document>\n"
                           "spec:\n"
                           "  jobTemplate:\n"
                           "    spec:\n"
                           "      template:\n"
                           "        spec:\n"
                           "          containers:\n"
                           "          - name: main\n"
                           "            resources:\n"
                           "              requests:\n"
                           "                cpu: \"25m\"\n"
                           "                memory: \"100Mi\"\n");
    free(s);
}

static void test_yaml_fixture(void **state)
{
    fixture fx;
    char *s;
    (void)state;
    fx_init(&fx);
    s = render_ok(AG_FMT_YAML, fx.items, FX_N, 0);
    /* 5 workloads, 3 patchable (api, db, report): 8 documents. */
    assert_int_equal(yaml_docs(s), 8);
    assert_int_equal(count(s, "\nkind: VerticalPodAutoscaler\n"), 5);
    /* Both api containers in one VPA and one patch. */
    assert_int_equal(count(s, "name: api-augur\n"), 1);
    assert_non_null(strstr(s, "    - containerName: \"side\\\"car\\\\\"\n      target:\n"
                              "        cpu: \"100m\"\n      lowerBound:"));
    assert_non_null(strstr(s, "      - name: \"side\\\"car\\\\\"\n        resources:\n"
                              "          requests:\n            cpu: \"100m\"\n"));
    /* Limits only where one is recommended. */
    assert_non_null(strstr(s, "          limits:\n            memory: \"600Mi\"\n"));
    assert_int_equal(count(s, "limits:"), 2);
    /* Pod and Job: a VPA, no patch. */
    assert_non_null(strstr(s, "    apiVersion: v1\n    kind: Pod\n"));
    assert_non_null(strstr(s, "# no patch for Pod default/debug: "));
    assert_non_null(strstr(s, "# no patch for Job default/migrate: "));
    assert_null(strstr(s, "kubectl patch pod"));
    assert_null(strstr(s, "kubectl patch job"));
    assert_non_null(strstr(s, "    containerRecommendations: []\n  conditions:\n"
                              "  - type: RecommendationProvided\n    status: \"False\"\n"));
    free(s);
}

/* Names that YAML would misread are quoted, comments stay on one line,
 * VPA names are valid and distinct. */
static void test_yaml_names(void **state)
{
    ag_wcontainer wc[3];
    ag_report_item it[3];
    char *s;
    (void)state;
    memset(it, 0, sizeof it);
    fx_wc(&wc[0], "on", "Deployment", "api", "true", 1, 1, GI, NAN, NAN);
    fx_wc(&wc[1], "on", "StatefulSet", "api", "1e3", 1, 1, GI, NAN, NAN);
    fx_wc(&wc[2], "x", "Deployment", "My_App\n# evil: 1", "a: b", 1, 1, GI, 0.5, NAN);
    for (int i = 0; i < 3; i++) {
        fx_res(&it[i].rec, 0, 0.75, 0.5, 1, 0.75, NAN);
        fx_res(&it[i].rec, 1, GI, GI, GI, GI, NAN);
        it[i].wc = &wc[i];
    }
    s = render_ok(AG_FMT_YAML, it, 3, 0);
    assert_int_equal(yaml_docs(s), 6);
    assert_non_null(strstr(s, "  name: api-deployment-augur\n  namespace: \"on\"\n"));
    assert_non_null(strstr(s, "  name: api-statefulset-augur\n"));
    assert_non_null(strstr(s, "- containerName: \"true\"\n"));
    assert_non_null(strstr(s, "- containerName: \"1e3\"\n"));
    assert_non_null(strstr(s, "- containerName: \"a: b\"\n"));
    assert_non_null(strstr(s, "  name: my-app---evil--1-augur\n"));
    assert_non_null(strstr(s, "    name: \"My_App\\u000a# evil: 1\"\n"));
    assert_non_null(strstr(s, "\n# Deployment x/My_App?# evil: 1\n"));
    assert_non_null(strstr(s, "# kubectl patch deployment 'My_App?# evil: 1' -n x "));
    assert_null(strstr(s, "\n# evil: 1\n"));
    /* 750m above the current 500m limit, no limit recommended: warned. */
    assert_non_null(strstr(s, "# warning: container a: b: the cpu request 750m is above the "
                              "current limit 500m"));
    assert_int_equal(count(s, "# warning:"), 1);
    free(s);
}

static void test_write_error(void **state)
{
    fixture fx;
    ag_report_opts o = {"vpa", 0};
    FILE *f = fopen("/dev/full", "w");
    (void)state;
    if (!f)
        skip();
    fx_init(&fx);
    for (int fmt = AG_FMT_TABLE; fmt <= AG_FMT_CSV; fmt++) {
        assert_int_equal(ag_report_write(f, (ag_format)fmt, fx.items, FX_N, &o), AG_EIO);
        clearerr(f);
    }
    fclose(f);
}

static void test_bad_args(void **state)
{
    fixture fx;
    char *s;
    ag_err rc;
    (void)state;
    fx_init(&fx);
    assert_int_equal(ag_report_write(NULL, AG_FMT_JSON, fx.items, 1, NULL), AG_EINVAL);
    s = render((ag_format)42, fx.items, 1, 0, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
    s = render(AG_FMT_JSON, NULL, 1, 0, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
    fx.wc[0].container = NULL;
    s = render(AG_FMT_CSV, fx.items, 1, 0, &rc);
    assert_int_equal(rc, AG_EINVAL);
    free(s);
}

/* Every allocation failing in turn gives AG_ENOMEM, never a crash or a
 * leak (ASan), until enough succeed. */
static void test_out_of_memory(void **state)
{
    fixture fx;
    (void)state;
    fx_init(&fx);
    for (int fmt = AG_FMT_TABLE; fmt <= AG_FMT_CSV; fmt++) {
        int ok = 0;
        for (long k = 1; k < 500 && !ok; k++) {
            ag_err rc;
            char *s;
            ag__alloc_fail_after(k);
            s = render((ag_format)fmt, fx.items, FX_N, 0, &rc);
            ag__alloc_fail_after(0);
            if (rc == AG_OK)
                ok = 1;
            else
                assert_int_equal(rc, AG_ENOMEM);
            free(s);
        }
        assert_true(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),        cmocka_unit_test(test_json_golden),
        cmocka_unit_test(test_json_valid),          cmocka_unit_test(test_empty),
        cmocka_unit_test(test_csv_golden),          cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_table_golden),        cmocka_unit_test(test_table_totals),
        cmocka_unit_test(test_rounding_agreement),  cmocka_unit_test(test_table_color),
        cmocka_unit_test(test_table_hostile_names), cmocka_unit_test(test_yaml_golden),
        cmocka_unit_test(test_yaml_fixture),        cmocka_unit_test(test_yaml_names),
        cmocka_unit_test(test_write_error),         cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
