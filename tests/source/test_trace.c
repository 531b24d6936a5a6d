/*
 * tests/source/test_trace.c - the public cluster-trace readers: format
 * names and sniffing, every format on small hand-made fixtures
 * (tests/source/data/traces/) with exact values after scaling, owners and
 * replicas, malformed lines reported with their line numbers, options,
 * gzip and the .csv hook of ag_source_read_file(), out of memory, and the
 * real traces of ../shared/data when present (exit 77 otherwise).
 */
#include <math.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include "source/source_fixture.h"
#include "augur/source.h"
#include "util/alloc.h"

#define GiB 1073741824.0
#define FIX "tests/source/data/traces/"

/* Reads a fixture into a malloc'd buffer; *len its size. */
static char *slurp(const char *rel, size_t *len)
{
    char p[512];
    FILE *f = fopen(ag_test_path(p, sizeof p, rel), "rb");
    char *b;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* Reads a fixture with ag_trace_read_file(). */
static ag_err read_fix(fixture *f, const char *rel, const ag_trace_opts *to)
{
    char p[512];
    return ag_trace_read_file(f->ds, ag_test_path(p, sizeof p, rel), to, &f->opts, &f->st, &f->ei);
}

static ag_err parse(fixture *f, const char *name, const char *text, const ag_trace_opts *to)
{
    return ag_trace_parse(f->ds, name, text, strlen(text), to, &f->opts, &f->st, &f->ei);
}

static ag_trace_opts opts_for(ag_trace_format fmt, double cores, double mem)
{
    ag_trace_opts to;
    ag_trace_opts_default(&to);
    to.format = fmt;
    to.capacity_cores = cores;
    to.capacity_memory_bytes = mem;
    return to;
}

static void owner_is(fixture *f, const char *ns, const char *pod, const char *kind,
                     const char *name)
{
    const char *k, *n;
    assert_int_equal(ag_dataset_get_owner(f->ds, ns, pod, &k, &n), 1);
    assert_string_equal(k, kind);
    assert_string_equal(n, name);
}

static void sample_is(const ag_samples *s, size_t i, int64_t t, double v)
{
    assert_true(i < s->n);
    assert_int_equal(s->v[i].t_ms, t);
    assert_double_near(s->v[i].v, v, 0);
}

/* The path of a fixture as it appears in messages. */
static const char *fixpath(char *buf, size_t len, const char *rel)
{
    return ag_test_path(buf, len, rel);
}

static void warned(fixture *f, const char *rel, int line, const char *what)
{
    char p[512], want[768];
    snprintf(want, sizeof want, "%s:%d: %s", fixpath(p, sizeof p, rel), line, what);
    if (!strstr(f->w.all, want))
        fail_msg("no warning '%s' in:\n%s", want, f->w.all);
}

/* ---- names and options -------------------------------------------------- */

static void test_names_and_defaults(void **state)
{
    static const char *const names[] = {"auto",        "bitbrains",       "azure-v1",
                                        "planetlab",   "alibaba-machine", "alibaba-container",
                                        "google-2011", "google-2019"};
    ag_trace_format fmt = AG_TRACE_BITBRAINS;
    ag_trace_opts to;
    int i;
    (void)state;

    for (i = 0; i < AG_TRACE_NFORMATS; i++) {
        assert_string_equal(ag_trace_format_name((ag_trace_format)i), names[i]);
        assert_int_equal(ag_trace_format_parse(names[i], &fmt), AG_OK);
        assert_int_equal(fmt, i);
    }
    assert_string_equal(ag_trace_format_name((ag_trace_format)99), "?");
    assert_int_equal(ag_trace_format_parse("Google-2011", &fmt), AG_OK);
    assert_int_equal(fmt, AG_TRACE_GOOGLE_2011);
    assert_int_equal(ag_trace_format_parse("google", &fmt), AG_EINVAL);
    assert_int_equal(fmt, AG_TRACE_GOOGLE_2011);
    assert_int_equal(ag_trace_format_parse(NULL, &fmt), AG_EINVAL);

    ag_trace_opts_default(&to);
    assert_int_equal(to.format, AG_TRACE_AUTO);
    assert_double_near(to.capacity_cores, 1, 0);
    assert_double_near(to.capacity_memory_bytes, GiB, 0);
    assert_true(to.t0_ms == AG_TRACE_T0_AUTO);
    assert_null(to.ns);
}

/* ---- sniffing ----------------------------------------------------------- */

static void sniff_fix(const char *rel, ag_trace_format want)
{
    size_t n;
    char *b = slurp(rel, &n);
    ag_trace_format got = ag_trace_sniff(rel, b, n);
    if (got != want)
        fail_msg("%s sniffed as %s, expected %s", rel, ag_trace_format_name(got),
                 ag_trace_format_name(want));
    free(b);
}

static void test_sniff(void **state)
{
    const char *bb_bom = "\xEF\xBB\xBF\nTimestamp [ms];\tCPU cores;\tx\n";
    const char *g11 = "0,300000000,1,0,2,0.1,0.1,,,,,,,,,,,,,\n";
    (void)state;

    sniff_fix(FIX "bitbrains/2013-7/3.csv", AG_TRACE_BITBRAINS);
    sniff_fix(FIX "azure_v1_sample.csv", AG_TRACE_AZURE_V1);
    sniff_fix(FIX "planetlab/planetlab_20110303_cpu_pct.csv", AG_TRACE_PLANETLAB);
    sniff_fix(FIX "planetlab/20110306/host1_slice", AG_TRACE_PLANETLAB);
    sniff_fix(FIX "alibaba/machine_usage.csv", AG_TRACE_ALIBABA_MACHINE);
    sniff_fix(FIX "alibaba/container_usage.csv", AG_TRACE_ALIBABA_CONTAINER);
    sniff_fix(FIX "google/task_usage/part-00000-of-00500.csv", AG_TRACE_GOOGLE_2011);
    sniff_fix(FIX "google/instance_usage/instance_usage-000000000000.csv", AG_TRACE_GOOGLE_2019);
    sniff_fix(FIX "google/instance_usage/flat.csv", AG_TRACE_GOOGLE_2019);
    sniff_fix(FIX "google/instance_usage/instance_usage-000000000000.json", AG_TRACE_GOOGLE_2019);
    /* augur's own formats are never taken for a trace */
    sniff_fix("tests/source/data/small.csv", AG_TRACE_AUTO);
    sniff_fix("tests/source/data/small.om", AG_TRACE_AUTO);
    sniff_fix("tests/source/data/small.prom", AG_TRACE_AUTO);

    assert_int_equal(ag_trace_sniff(NULL, bb_bom, strlen(bb_bom)), AG_TRACE_BITBRAINS);
    assert_int_equal(ag_trace_sniff(NULL, g11, strlen(g11)), AG_TRACE_GOOGLE_2011);
    assert_int_equal(ag_trace_sniff("x.csv", "", 0), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff("x.csv", NULL, 10), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff(NULL, "\n \n", 3), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff(NULL, "{\"a\":1}\n", 8), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff(NULL, "12,34\n", 6), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff(NULL, "1234\n5\n", 7), AG_TRACE_AUTO); /* not a % */
    /* the published file names help when columns were cut */
    assert_int_equal(ag_trace_sniff("a/machine_usage.csv", "m_1,5,1,2\n", 10),
                     AG_TRACE_ALIBABA_MACHINE);
    assert_int_equal(ag_trace_sniff("b/machine_usage.csv", "timestamp,a,b,c\n", 16), AG_TRACE_AUTO);
    assert_int_equal(ag_trace_sniff("container_usage.csv", "c_1,m_1,5,1,2\n", 14),
                     AG_TRACE_ALIBABA_CONTAINER);
    assert_int_equal(ag_trace_sniff("task_usage/p.csv", "1,2,3,4,5,0.1,0.2\n", 18),
                     AG_TRACE_GOOGLE_2011);
    assert_int_equal(ag_trace_sniff("p.csv", "1,2,3,4,5,0.1,0.2\n", 18), AG_TRACE_AUTO);
}

/* ---- Bitbrains ---------------------------------------------------------- */

static void test_bitbrains(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "bitbrains/2013-7/3.csv";
    ag_container *c;

    assert_int_equal(read_fix(f, rel, NULL), AG_OK);
    assert_int_equal(read_fix(f, FIX "bitbrains/2013-8/3.csv", NULL), AG_OK);
    /* the VM id comes from the file name; months join into one series */
    assert_int_equal(ag_dataset_count(f->ds), 1);
    c = get(f, "bitbrains", "vm-3", "vm");
    owner_is(f, "bitbrains", "vm-3", "Pod", "vm-3");
    assert_int_equal(c->usage[AG_CPU].n, 3);
    /* cores = MHz used / (MHz provisioned / cores) */
    sample_is(&c->usage[AG_CPU], 0, 1372630104000LL, 1300.0 / (5200.0 / 2));
    sample_is(&c->usage[AG_CPU], 1, 1372631004000LL, 2600.0 / (5200.0 / 2));
    sample_is(&c->usage[AG_CPU], 2, 1375308176000LL, 520.0 / (5200.0 / 2));
    assert_double_near(c->usage[AG_CPU].v[0].v, 0.5, 0);
    sample_is(&c->usage[AG_MEMORY], 0, 1372630104000LL, 1048576.0 * 1024);
    sample_is(&c->usage[AG_MEMORY], 1, 1372631004000LL, 2097152.5 * 1024);
    assert_int_equal(c->cpu_counter.n, 0);
    /* request = limit = the provisioned size, newest wins */
    assert_double_near(c->request[AG_CPU], 2, 0);
    assert_double_near(c->limit[AG_CPU], 2, 0);
    assert_double_near(c->request[AG_MEMORY], 8388608.0 * 1024, 0);
    assert_double_near(c->limit[AG_MEMORY], 8388608.0 * 1024, 0);
    assert_int_equal(c->spec_t_ms[AG_MEMORY], 1375308176000LL);
    /* 0 cores, a bad number and a short row: reported and skipped */
    assert_int_equal(f->st.malformed, 3);
    assert_int_equal(f->w.n, 3);
    warned(f, rel, 2, "no CPU capacity provisioned (0 cores or 0 MHz): row skipped");
    warned(f, rel, 4, "invalid number in column 4 (CPU usage [MHZ]) (near 'lots')");
    warned(f, rel, 5, "row has 3 fields, a Bitbrains row has 11 (at least 7)");
    assert_int_equal(f->st.lines, 7 + 2);
}

static void test_bitbrains_edges(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_BITBRAINS, 1, 1);
    ag_container *c;

    /* no header, millisecond timestamps, an empty usage cell, no name */
    assert_int_equal(parse(f, NULL,
                           "1372630104000; 1; 1000; ; 0; 0; 5\n"
                           "-5; 1; 1000; 1; 0; 0; 5\n"
                           "1372630404; 1; 1000; 250; 0; 0; \n",
                           &to),
                     AG_OK);
    c = get(f, "bitbrains", "vm-unknown", "vm");
    sample_is(&c->usage[AG_CPU], 0, 1372630404000LL, 0.25);
    sample_is(&c->usage[AG_MEMORY], 0, 1372630104000LL, 5 * 1024.0);
    assert_int_equal(c->usage[AG_MEMORY].n, 1);
    assert_true(isnan(c->request[AG_MEMORY])); /* 0 KB provisioned: unknown */
    assert_non_null(strstr(f->w.all, "<input>:2: invalid timestamp (Unix seconds)"));
    /* a header too short to be GWA-T-12's */
    assert_int_equal(parse(f, "x.csv", "Timestamp [ms];\tCPU cores\n1;2;3;4;5;6;7\n", &to),
                     AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "x.csv:1: not a Bitbrains GWA-T-12 header"));
}

/* ---- Azure -------------------------------------------------------------- */

static void test_azure(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "azure_v1_sample.csv";
    ag_trace_opts to = opts_for(AG_TRACE_AUTO, 4, GiB);
    const int64_t t0 = 1479254400000LL; /* 2016-11-16T00:00:00Z */
    ag_container *c;

    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 3);
    c = get(f, "azure-v1", "vm-11", "vm");
    owner_is(f, "azure-v1", "vm-11", "Pod", "vm-11");
    assert_int_equal(c->usage[AG_CPU].n, 3);
    sample_is(&c->usage[AG_CPU], 0, t0, 50.0 / 100 * 4);
    sample_is(&c->usage[AG_CPU], 1, t0 + 300000, 25.5 / 100 * 4);
    sample_is(&c->usage[AG_CPU], 2, t0 + 1200000, 12.5 / 100 * 4);
    assert_int_equal(c->usage[AG_MEMORY].n, 0); /* no memory in this trace */
    assert_double_near(c->request[AG_CPU], 4, 0);
    assert_double_near(c->limit[AG_CPU], 4, 0);
    assert_true(isnan(c->request[AG_MEMORY]));
    c = get(f, "azure-v1", "vm-22", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 2); /* an empty cell is missing */
    sample_is(&c->usage[AG_CPU], 1, t0 + 1200000, 200.0 / 100 * 4);
    c = get(f, "azure-v1", "vm-33", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 2); /* "NA" is missing */
    sample_is(&c->usage[AG_CPU], 0, t0, 1.5 / 100 * 4);
    assert_int_equal(f->st.malformed, 2);
    warned(f, rel, 4, "invalid number in column 4 (near 'x')");
    warned(f, rel, 5, "row has 4 fields, the header has 5");
}

static void test_azure_t0_ns_and_header_errors(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_AZURE_V1, 2, GiB);

    to.t0_ms = 1700000000000LL;
    to.ns = "replay";
    assert_int_equal(parse(f, "a.csv", "step,offset_s,vm_1,web\n0,60.5,50,25\n1,bad,1,1\n", &to),
                     AG_OK);
    sample_is(&get(f, "replay", "vm-1", "vm")->usage[AG_CPU], 0, 1700000060500LL, 1);
    sample_is(&get(f, "replay", "web", "vm")->usage[AG_CPU], 0, 1700000060500LL, 0.5);
    assert_non_null(strstr(f->w.all, "a.csv:3: invalid offset_s (seconds from the trace start)"));

    assert_int_equal(parse(f, "b.csv", "step,vm_1\n0,1\n", &to), AG_EPARSE);
    assert_string_equal(f->ei.msg, "b.csv:1: Azure V1 header: no 'offset_s' column");
    assert_int_equal(parse(f, "c.csv", "\nstep,offset_s\n0,0\n", &to), AG_EPARSE);
    assert_string_equal(f->ei.msg, "c.csv:2: Azure V1 header: no VM columns");
    assert_int_equal(parse(f, "d.csv", "offset_s,vm 1\n", &to), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "d.csv:1: Azure V1 header: column 2 has no usable VM name"));
}

/* ---- PlanetLab ---------------------------------------------------------- */

static void test_planetlab(void **state)
{
    fixture *f = *state;
    const char *cs = FIX "planetlab/20110306/host1_slice";
    const int64_t day1 = 1299110400000LL; /* 2011-03-03, from the file name */
    const int64_t day2 = 1299369600000LL; /* 2011-03-06, from the folder */
    ag_container *c;

    assert_int_equal(read_fix(f, FIX "planetlab/planetlab_20110303_cpu_pct.csv", NULL), AG_OK);
    c = get(f, "planetlab", "alpha_slice", "vm");
    owner_is(f, "planetlab", "alpha_slice", "Pod", "alpha_slice");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    sample_is(&c->usage[AG_CPU], 0, day1, 24.0 / 100);
    sample_is(&c->usage[AG_CPU], 1, day1 + 300000, 34.0 / 100);
    assert_double_near(c->request[AG_CPU], 1, 0);
    c = get(f, "planetlab", "beta_slice", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 3);
    sample_is(&c->usage[AG_CPU], 2, day1 + 600000, 7.0 / 100);

    /* CloudSim: one file per VM, line k is step k (blank lines aside) */
    assert_int_equal(read_fix(f, cs, NULL), AG_OK);
    c = get(f, "planetlab", "host1_slice", "vm");
    owner_is(f, "planetlab", "host1_slice", "Pod", "host1_slice");
    assert_int_equal(c->usage[AG_CPU].n, 3);
    sample_is(&c->usage[AG_CPU], 0, day2, 0.1);
    sample_is(&c->usage[AG_CPU], 1, day2 + 300000, 0.2);
    sample_is(&c->usage[AG_CPU], 2, day2 + 3 * 300000, 0.3);
    assert_int_equal(f->st.malformed, 1);
    warned(f, cs, 4, "invalid CPU percentage (near 'abc')");
}

static void test_planetlab_dates(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_PLANETLAB, 2, GiB);

    /* no date anywhere: the first day of the CloudSim set */
    assert_int_equal(parse(f, "vm-a", "50\n", &to), AG_OK);
    sample_is(&get(f, "planetlab", "vm-a", "vm")->usage[AG_CPU], 0, 1299110400000LL, 1);
    /* not a calendar day: ignored; a leap day: taken */
    assert_int_equal(parse(f, "20110230/vm-b", "50\n", &to), AG_OK);
    sample_is(&get(f, "planetlab", "vm-b", "vm")->usage[AG_CPU], 0, 1299110400000LL, 1);
    assert_int_equal(parse(f, "x/20120229/vm-c", "50\n", &to), AG_OK);
    sample_is(&get(f, "planetlab", "vm-c", "vm")->usage[AG_CPU], 0, 1330473600000LL, 1);
    /* an explicit t0 wins over the name */
    to.t0_ms = 1000;
    assert_int_equal(parse(f, "20110303/vm-d", "50\n5,6\n", &to), AG_OK);
    sample_is(&get(f, "planetlab", "vm-d", "vm")->usage[AG_CPU], 0, 1000, 1);
    assert_non_null(strstr(f->w.all, "20110303/vm-d:2: expected one CPU percentage per line"));
    to.t0_ms = AG_TRACE_T0_AUTO;
    assert_int_equal(parse(f, "w.csv", "step,a\nx,1\n0,1,2\n", &to), AG_OK);
    assert_non_null(strstr(f->w.all, "w.csv:2: invalid step"));
    assert_non_null(strstr(f->w.all, "w.csv:3: row has 3 fields, the header has 2"));
    assert_int_equal(parse(f, "v.csv", "step\n0\n", &to), AG_EPARSE);
    assert_string_equal(f->ei.msg, "v.csv:1: PlanetLab header: no VM columns");
}

/* ---- Alibaba ------------------------------------------------------------ */

static void test_alibaba(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "alibaba/machine_usage.csv";
    ag_trace_opts to = opts_for(AG_TRACE_AUTO, 96, 256 * GiB);
    const int64_t t0 = 1700000000000LL;
    ag_container *c;

    to.t0_ms = t0;
    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    c = get(f, "alibaba-machine", "m_1", "machine");
    owner_is(f, "alibaba-machine", "m_1", "Pod", "m_1");
    assert_int_equal(c->usage[AG_CPU].n, 1); /* the empty cell is missing */
    sample_is(&c->usage[AG_CPU], 0, t0, 41.0 / 100 * 96);
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    sample_is(&c->usage[AG_MEMORY], 0, t0, 92.0 / 100 * (256 * GiB));
    sample_is(&c->usage[AG_MEMORY], 1, t0 + 10000, 93.0 / 100 * (256 * GiB));
    assert_double_near(c->request[AG_CPU], 96, 0);
    assert_double_near(c->limit[AG_MEMORY], 256 * GiB, 0);
    sample_is(&get(f, "alibaba-machine", "m_2", "machine")->usage[AG_CPU], 0, t0 + 20000, 48);
    assert_int_equal(f->st.malformed, 2);
    warned(f, rel, 4, "invalid time_stamp (seconds) (near 'bad')");
    warned(f, rel, 5, "row has 2 fields, expected 9 (at least 4)");

    rel = FIX "alibaba/container_usage.csv";
    to.capacity_cores = 8;
    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    c = get(f, "alibaba-container", "c_1", "container");
    owner_is(f, "alibaba-container", "c_1", "Pod", "c_1");
    sample_is(&c->usage[AG_CPU], 0, t0, 4.0 / 100 * 8);
    sample_is(&c->usage[AG_CPU], 1, t0 + 10500, 8.0 / 100 * 8);
    sample_is(&c->usage[AG_MEMORY], 1, t0 + 10500, 11.0 / 100 * (256 * GiB));
    assert_true(isnan(c->request[AG_CPU])); /* in container_meta.csv, not read */
    assert_int_equal(f->st.malformed, 2);
}

static void test_alibaba_default_t0_and_header(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_ALIBABA_CONTAINER, 1, GiB);

    assert_int_equal(parse(f, "c.csv",
                           "container_id,machine_id,time_stamp,cpu_util_percent,mem\n"
                           "c_9,m_1,1.5,50,\n"
                           ",m_1,1.5,50,\n"
                           "c_9,m_1,2,high,\n",
                           &to),
                     AG_OK);
    sample_is(&get(f, "alibaba-container", "c_9", "container")->usage[AG_CPU], 0,
              1514764800000LL + 1500, 0.5);
    assert_non_null(strstr(f->w.all, "c.csv:3: invalid container id"));
    assert_non_null(strstr(f->w.all, "c.csv:4: invalid cpu_util_percent"));
    assert_int_equal(f->st.malformed, 2);

    /* -1 and 101 mark invalid values: NaN, dropped and counted by finish() */
    to.format = AG_TRACE_ALIBABA_MACHINE;
    assert_int_equal(parse(f, "m.csv", "m_5,1,101,-1\nm_5,2,-1,101\nm_5,3,100,0\n", &to), AG_OK);
    memset(&f->st, 0, sizeof f->st);
    assert_int_equal(ag_dataset_finish(f->ds, INT64_MIN, INT64_MAX, &f->st), AG_OK);
    assert_int_equal(f->st.nonfinite, 4);
    sample_is(&get(f, "alibaba-machine", "m_5", "machine")->usage[AG_CPU], 0,
              1514764800000LL + 3000, 1);
}

/* ---- Google 2011 -------------------------------------------------------- */

static void test_google_2011_replicas(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "google/task_usage/part-00000-of-00500.csv";
    ag_trace_opts to = opts_for(AG_TRACE_AUTO, 8, 64 * GiB);
    const int64_t t0 = 1304290200000LL; /* 600 s before 2011-05-01 19:00 EDT */
    ag_wcontainer *wc = NULL;
    ag_container *c;
    size_t n = 0, i;
    int seen = 0;

    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    c = get(f, "google-2011", "job6251812952-0", "task");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    /* stamped at the end of the window */
    sample_is(&c->usage[AG_CPU], 0, t0 + 900000, 0.0125 * 8);
    sample_is(&c->usage[AG_CPU], 1, t0 + 1200000, 0.015625 * 8);
    sample_is(&c->usage[AG_MEMORY], 0, t0 + 900000, 0.0625 * (64 * GiB));
    assert_true(isnan(c->request[AG_CPU]));
    sample_is(&get(f, "google-2011", "job6251812952-1", "task")->usage[AG_MEMORY], 0, t0 + 900000,
              0.03125 * (64 * GiB));
    assert_int_equal(get(f, "google-2011", "job3418309-7", "task")->usage[AG_MEMORY].n, 0);
    owner_is(f, "google-2011", "job6251812952-1", "Job", "job6251812952");
    assert_int_equal(f->st.malformed, 2);
    warned(f, rel, 5, "invalid job ID (near 'job1')");
    warned(f, rel, 6, "row has 3 fields, task_usage has 20 (at least 7)");

    /* a job's tasks are the replicas of one workload (and a 10-digit job
     * id is not taken for a CronJob's) */
    assert_int_equal(ag_dataset_finish(f->ds, INT64_MIN, INT64_MAX, &f->st), AG_OK);
    assert_int_equal(ag_dataset_group(f->ds, NULL, &wc, &n), AG_OK);
    assert_int_equal(n, 2);
    for (i = 0; i < n; i++) {
        assert_string_equal(wc[i].kind, "Job");
        assert_string_equal(wc[i].container, "task");
        if (strcmp(wc[i].name, "job6251812952") == 0) {
            assert_int_equal(wc[i].n, 2);
            seen |= 1;
        } else if (strcmp(wc[i].name, "job3418309") == 0) {
            assert_int_equal(wc[i].n, 1);
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    ag_wcontainers_free(wc, n);
}

static void test_google_2011_cells(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_GOOGLE_2011, 1, 1);

    to.t0_ms = 0;
    assert_int_equal(parse(f, "g",
                           "5000000,,1,2,3,0.5,0.25\n"
                           "x,6000000,1,2,3,0.5,0.25\n"
                           "5000000,y,1,2,3,0.5,0.25\n"
                           "5000000,6000000,1,z,3,0.5,0.25\n"
                           "5000000,6000000,1,2,3,fast,0.25\n"
                           "5000000,6000000,1,2,3,0.5,big\n"
                           "5000000,6000000.0,1,3,3,,0.125\n",
                           &to),
                     AG_OK);
    /* an empty end time: the start */
    sample_is(&get(f, "google-2011", "job1-2", "task")->usage[AG_CPU], 0, 5000, 0.5);
    sample_is(&get(f, "google-2011", "job1-3", "task")->usage[AG_MEMORY], 0, 6000, 0.125);
    assert_int_equal(f->st.malformed, 5);
    assert_non_null(strstr(f->w.all, "g:2: invalid start time"));
    assert_non_null(strstr(f->w.all, "g:3: invalid end time"));
    assert_non_null(strstr(f->w.all, "g:4: invalid task index"));
    assert_non_null(strstr(f->w.all, "g:5: invalid mean CPU usage rate"));
    assert_non_null(strstr(f->w.all, "g:6: invalid canonical memory usage"));
    /* time past the end of int64 */
    to.t0_ms = INT64_MAX - 10;
    assert_int_equal(parse(f, "h", "5000000,6000000,1,2,3,0.5,0.25\n", &to), AG_OK);
    assert_non_null(strstr(f->w.all, "h:1: time out of range"));
}

/* ---- Google 2019 -------------------------------------------------------- */

static void test_google_2019_csv(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "google/instance_usage/instance_usage-000000000000.csv";
    ag_trace_opts to = opts_for(AG_TRACE_AUTO, 16, 128 * GiB);
    const int64_t t = 1556693400000LL + 1838700000LL;
    ag_container *c;

    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    c = get(f, "google-2019", "job330587238433-111", "task");
    owner_is(f, "google-2019", "job330587238433-111", "Job", "job330587238433");
    sample_is(&c->usage[AG_CPU], 0, t, 0.0078125 * 16);
    sample_is(&c->usage[AG_MEMORY], 0, t, 0.015625 * (128 * GiB));
    /* assigned_memory is the memory limit */
    assert_double_near(c->limit[AG_MEMORY], 0.03125 * (128 * GiB), 0);
    assert_true(isnan(c->request[AG_MEMORY]));
    c = get(f, "google-2019", "job330587238433-112", "task");
    assert_int_equal(c->usage[AG_MEMORY].n, 0);
    assert_true(isnan(c->limit[AG_MEMORY])); /* 0 = no limit */
    /* collection_type 1: an alloc set */
    c = get(f, "google-2019", "alloc400000000001-0", "alloc");
    owner_is(f, "google-2019", "alloc400000000001-0", "AllocSet", "alloc400000000001");
    sample_is(&c->usage[AG_CPU], 0, t, 8);
    assert_int_equal(f->st.malformed, 1);
    warned(f, rel, 5, "invalid collection_id");

    assert_int_equal(read_fix(f, FIX "google/instance_usage/flat.csv", &to), AG_OK);
    c = get(f, "google-2019", "job330587238433-111", "task");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    sample_is(&c->usage[AG_CPU], 1, t, 0.0078125 * 16);
}

static void test_google_2019_csv_header_errors(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_GOOGLE_2019, 1, 1);

    assert_int_equal(parse(f, "a.csv", "1,2,3,4,5\n", &to), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "a.csv:1: instance_usage CSV without a header"));
    assert_int_equal(parse(f, "b.csv", "start_time,collection_id,average_usage.cpus\n", &to),
                     AG_EPARSE);
    assert_string_equal(f->ei.msg,
                        "b.csv:1: the instance_usage header lacks the column 'instance_index'");
    assert_int_equal(parse(f, "c.csv", "start_time,collection_id,instance_index\n", &to),
                     AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "'average_usage_cpus'"));
    /* only start_time: the sample is stamped there */
    to.t0_ms = 0;
    assert_int_equal(parse(f, "d.csv",
                           "START_TIME,collection_id,instance_index,Average_Usage.Memory\n"
                           "7000,1,2,0.5\n"
                           "7000,1,2\n"
                           ",1,2,0.5\n",
                           &to),
                     AG_OK);
    sample_is(&get(f, "google-2019", "job1-2", "task")->usage[AG_MEMORY], 0, 7, 0.5);
    assert_non_null(strstr(f->w.all, "d.csv:3: row has 3 fields, the header has 4"));
    assert_non_null(strstr(f->w.all, "d.csv:4: no start_time / end_time"));
}

static void test_google_2019_json(void **state)
{
    fixture *f = *state;
    const char *rel = FIX "google/instance_usage/instance_usage-000000000000.json";
    ag_trace_opts to = opts_for(AG_TRACE_AUTO, 16, 128 * GiB);
    const int64_t t0 = 1556693400000LL; /* 600 s before 2019-05-01 00:00 PDT */
    ag_container *c;

    assert_int_equal(read_fix(f, rel, &to), AG_OK);
    c = get(f, "google-2019", "job330587238433-111", "task");
    /* BigQuery writes 64-bit integers as strings */
    sample_is(&c->usage[AG_CPU], 0, t0 + 1838700000LL, 0.0078125 * 16);
    sample_is(&c->usage[AG_MEMORY], 0, t0 + 1838700000LL, 0.015625 * (128 * GiB));
    assert_double_near(c->limit[AG_MEMORY], 0.03125 * (128 * GiB), 0);
    /* flattened keys work too */
    sample_is(&c->usage[AG_CPU], 1, t0 + 1839000000LL, 0.03125 * 16);
    sample_is(&c->usage[AG_MEMORY], 1, t0 + 1839000000LL, 0.0078125 * (128 * GiB));
    c = get(f, "google-2019", "job330587238433-112", "task");
    sample_is(&c->usage[AG_CPU], 0, t0 + 1839000000LL, 0.015625 * 16);
    assert_int_equal(c->usage[AG_MEMORY].n, 0); /* null */
    assert_int_equal(f->st.malformed, 3);
    warned(f, rel, 4, "invalid JSON: expected ',' or '}'");
    warned(f, rel, 5, "expected a JSON object");
    warned(f, rel, 6, "invalid JSON: text after the JSON object (near 'x')");
}

static void test_google_2019_json_edges(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_GOOGLE_2019, 1, 1);
    char deep[256];
    size_t i, n = 0;

    to.t0_ms = 0;
    assert_int_equal(parse(f, "j",
                           "{\"end_time\":\"9000\",\"collection_id\":\"5\",\"instance_index\":0,"
                           "\"x\":{\"a\":[1,{\"b\":\"\\\"q\\\"\"},true,false,null,-1.5e3]},"
                           "\"average_usage\":{\"cpus\":1.0E-1,\"memory\":0.25,\"more\":[]}}\n"
                           "{\"end_time\":\"9000\",\"collection_id\":\"5\",\"instance_index\":1,"
                           "\"average_usage\":{\"cpus\":NaN}}\n"
                           "{\"end_time\":\"9000\",\"collection_id\":\"5\",\"instance_index\":1,"
                           "\"average_usage\":{\"cpus\":0.5},\"s\":\"a\tb\"}\n"
                           "{\"end_time\":\"9000\",\"collection_id\":\"5\",\"instance_index\":1,"
                           "\"average_usage\":{\"cpus\":0.5},\"s\":\"abc}\n"
                           "{\"end_time\":\"9000\",\"collection_id\":\"5\",\"instance_index\":1 "
                           "\"average_usage\":{\"cpus\":0.5}}\n"
                           "{\"end_time\":\"9000\" \"collection_id\":\"5\"}\n"
                           "{\"end_time\":\"9000\",\"collection_id\":\"-5\",\"instance_index\":1,"
                           "\"average_usage\":{\"cpus\":0.5}}\n"
                           "{\"end_time\":9.5,\"collection_id\":5,\"instance_index\":1}\n"
                           "{}\n",
                           &to),
                     AG_OK);
    sample_is(&get(f, "google-2019", "job5-0", "task")->usage[AG_CPU], 0, 9, 0.1);
    sample_is(&get(f, "google-2019", "job5-0", "task")->usage[AG_MEMORY], 0, 9, 0.25);
    assert_non_null(strstr(f->w.all, "j:2: invalid JSON: invalid value"));
    assert_non_null(strstr(f->w.all, "j:3: invalid JSON: control character in a string"));
    assert_non_null(strstr(f->w.all, "j:4: invalid JSON: unterminated string"));
    assert_non_null(strstr(f->w.all, "j:5: invalid JSON: expected ',' or '}'"));
    assert_non_null(strstr(f->w.all, "j:6: invalid JSON: expected ',' or '}'"));
    assert_non_null(strstr(f->w.all, "j:7: invalid collection_id"));
    assert_non_null(strstr(f->w.all, "j:8: invalid start_time / end_time"));
    assert_non_null(strstr(f->w.all, "j:9: no start_time / end_time"));
    assert_int_equal(f->st.malformed, 8);

    /* nesting is bounded */
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"x\":");
    for (i = 0; i < 40; i++)
        deep[n++] = '[';
    for (i = 0; i < 40; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - n, "}\n");
    assert_int_equal(parse(f, "k", deep, &to), AG_OK);
    assert_non_null(strstr(f->w.all, "k:1: invalid JSON: nested too deeply"));
}

/* ---- options, errors, limits ------------------------------------------- */

static void test_errors(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_AZURE_V1, 0, GiB);

    assert_int_equal(parse(f, "a", "step,offset_s,vm_1\n", &to), AG_EINVAL);
    assert_non_null(strstr(f->ei.msg, "capacity must be a positive number"));
    to.capacity_cores = NAN;
    assert_int_equal(parse(f, "a", "", &to), AG_EINVAL);
    to.capacity_cores = 1;
    to.capacity_memory_bytes = INFINITY;
    assert_int_equal(parse(f, "a", "", &to), AG_EINVAL);
    to = opts_for((ag_trace_format)42, 1, 1);
    assert_int_equal(parse(f, "a", "", &to), AG_EINVAL);
    assert_int_equal(ag_trace_parse(NULL, "a", "", 0, NULL, NULL, NULL, NULL), AG_EINVAL);
    assert_int_equal(ag_trace_parse(f->ds, "a", NULL, 5, NULL, NULL, NULL, &f->ei), AG_EINVAL);
    /* nothing recognisable */
    assert_int_equal(parse(f, "z.csv", "timestamp,namespace,pod\n", NULL), AG_EPARSE);
    assert_string_equal(f->ei.msg,
                        "z.csv: not a trace format augur knows (bitbrains, azure-v1, planetlab, "
                        "alibaba-machine, alibaba-container, google-2011, google-2019)");
    /* an explicit format and no data: nothing read, no error */
    to = opts_for(AG_TRACE_AZURE_V1, 1, 1);
    assert_int_equal(ag_trace_parse(f->ds, "e", NULL, 0, &to, &f->opts, NULL, NULL), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 0);
    /* missing files */
    assert_int_equal(ag_trace_read_file(f->ds, "/nonexistent/trace.csv", NULL, NULL, NULL, &f->ei),
                     AG_ENOTFOUND);
    assert_int_equal(ag_trace_read_file(NULL, "x", NULL, NULL, NULL, &f->ei), AG_EINVAL);
}

static void test_long_lines(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_GOOGLE_2011, 1, 1);
    char text[512];
    int n;

    f->opts.max_line = 64;
    n = snprintf(text, sizeof text,
                 "0,300000000,1,0,2,0.1,0.1,,,,,,,,,,,,,%060d\n"
                 "0,300000000,1,1,2,0.1,0.1\n",
                 0);
    assert_int_equal(ag_trace_parse(f->ds, "l", text, (size_t)n, &to, &f->opts, &f->st, &f->ei),
                     AG_OK);
    assert_non_null(strstr(f->w.all, "l:1: line longer than 64 bytes"));
    assert_int_equal(ag_dataset_count(f->ds), 1);
    to.format = AG_TRACE_AZURE_V1;
    n = snprintf(text, sizeof text, "step,offset_s,vm_%070d\n0,0,1\n", 1);
    assert_int_equal(ag_trace_parse(f->ds, "m", text, (size_t)n, &to, &f->opts, &f->st, &f->ei),
                     AG_EPARSE);
    assert_string_equal(f->ei.msg, "m:1: header line longer than 64 bytes");
}

static void test_many_warnings_are_capped(void **state)
{
    fixture *f = *state;
    ag_trace_opts to = opts_for(AG_TRACE_ALIBABA_MACHINE, 1, 1);
    char text[4096];
    size_t n = 0;
    int i;

    for (i = 0; i < 30; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "m_1,%d,x,1,,,,,\n", i);
    assert_int_equal(ag_trace_parse(f->ds, "w", text, n, &to, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(f->st.malformed, 30);
    assert_int_equal(f->w.n, 21);
    assert_non_null(strstr(f->w.all, "w: ... 10 more malformed lines not shown"));
}

/* ---- files: gzip, stdin and the .csv hook ------------------------------- */

static void write_gz(const char *path, const char *text, size_t n)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

static void test_files(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/ag_test_trace_XXXXXX", p[512], cmd[600];
    size_t n;
    char *azure = slurp(FIX "azure_v1_sample.csv", &n);
    int fd, saved;
    ag_container *c;

    assert_non_null(mkdtemp(dir));
    /* gzip, with any name */
    snprintf(p, sizeof p, "%s/azure.gz", dir);
    write_gz(p, azure, n);
    assert_int_equal(ag_trace_read_file(f->ds, p, NULL, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(get(f, "azure-v1", "vm-11", "vm")->usage[AG_CPU].n, 3);
    assert_non_null(strstr(f->w.all, "azure.gz:5: row has 4 fields"));

    /* ag_source_read_file: a .csv(.gz) trace is sniffed ... */
    snprintf(p, sizeof p, "%s/vm.csv.gz", dir);
    write_gz(p, azure, n);
    f->st.malformed = 0;
    assert_int_equal(ag_source_read_file(f->ds, p, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(get(f, "azure-v1", "vm-11", "vm")->usage[AG_CPU].n, 6);
    assert_int_equal(f->st.malformed, 2);
    assert_int_equal(ag_source_read_file(f->ds,
                                         ag_test_path(p, sizeof p, FIX "bitbrains/2013-7/3.csv"),
                                         &f->opts, &f->st, &f->ei),
                     AG_OK);
    c = get(f, "bitbrains", "vm-3", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    assert_int_equal(ag_source_read_file(
                         f->ds,
                         ag_test_path(p, sizeof p, FIX "google/task_usage/part-00000-of-00500.csv"),
                         &f->opts, &f->st, &f->ei),
                     AG_OK);
    owner_is(f, "google-2011", "job3418309-7", "Job", "job3418309");
    /* ... and augur's own CSV is still augur's */
    assert_int_equal(ag_source_read_file(f->ds,
                                         ag_test_path(p, sizeof p, "tests/source/data/small.csv"),
                                         &f->opts, &f->st, &f->ei),
                     AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 3 + 1 + 3 + 1);

    /* stdin */
    snprintf(p, sizeof p, "%s/stdin", dir);
    {
        FILE *o = fopen(p, "wb");
        assert_non_null(o);
        assert_int_equal(fwrite("m_7,0,10,20,,,,,\n", 1, 17, o), 17);
        fclose(o);
    }
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    assert_int_equal(ag_trace_read_file(f->ds, "-", NULL, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    sample_is(&get(f, "alibaba-machine", "m_7", "machine")->usage[AG_CPU], 0, 1514764800000LL, 0.1);

    free(azure);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- out of memory ------------------------------------------------------ */

static void oom_loop(const char *rel)
{
    size_t n;
    char *text = slurp(rel, &n);
    long k;
    int ok = 0;

    for (k = 1; k < 400 && !ok; k++) {
        ag_dataset *ds = ag_dataset_new();
        ag_read_opts o = {0};
        warns w = {0};
        ag_errinfo ei = {{0}};
        ag_err rc;

        assert_non_null(ds);
        o.warn = collect;
        o.warn_ud = &w;
        ag__alloc_fail_after(k);
        rc = ag_trace_parse(ds, rel, text, n, NULL, &o, NULL, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK) {
            ok = 1;
        } else {
            if (rc != AG_ENOMEM)
                fail_msg("%s: allocation %ld failing gave %d (%s)", rel, k, rc, ei.msg);
            assert_non_null(strstr(ei.msg, "out of memory"));
        }
        ag_dataset_free(ds);
    }
    assert_true(ok);
    free(text);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    oom_loop(FIX "bitbrains/2013-7/3.csv");
    oom_loop(FIX "azure_v1_sample.csv");
    oom_loop(FIX "planetlab/20110306/host1_slice");
    oom_loop(FIX "alibaba/container_usage.csv");
    oom_loop(FIX "google/task_usage/part-00000-of-00500.csv");
    oom_loop(FIX "google/instance_usage/instance_usage-000000000000.json");
    oom_loop(FIX "google/instance_usage/instance_usage-000000000000.csv");
}

/* ---- the real traces (../shared/data) ----------------------------------- */

static void test_shared_bitbrains(void **state)
{
    fixture *f = *state;
    char p[512];
    ag_container *c;

    /* as `augur recommend --input .../2013-7/1.csv` reads it */
    assert_non_null(ag_test_shared(p, sizeof p, "bitbrains_rnd/2013-7/1.csv"));
    assert_int_equal(ag_source_read_file(f->ds, p, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(f->st.lines, 8261);
    assert_int_equal(f->st.malformed, 0);
    c = get(f, "bitbrains", "vm-1", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 8260);
    assert_int_equal(c->usage[AG_MEMORY].n, 8260);
    /* 1372629804; 2; 5851.9989; 87.7799835; 1.5; 8218624.0; 1034592.8 */
    sample_is(&c->usage[AG_CPU], 0, 1372629804000LL, 87.7799835 / (5851.9989 / 2));
    assert_double_near(c->usage[AG_CPU].v[0].v, 0.03, 1e-12);
    sample_is(&c->usage[AG_MEMORY], 0, 1372629804000LL, 1034592.8 * 1024);
    assert_double_near(c->request[AG_CPU], 2, 0);
    /* the next month continues the same VM */
    assert_non_null(ag_test_shared(p, sizeof p, "bitbrains_rnd/2013-8/1.csv"));
    assert_int_equal(ag_trace_read_file(f->ds, p, NULL, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(ag_dataset_finish(f->ds, INT64_MIN, INT64_MAX, &f->st), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    assert_int_equal(get(f, "bitbrains", "vm-1", "vm")->usage[AG_CPU].n, 8260 + 8627);
    /* a VM whose first rows have no size */
    assert_non_null(ag_test_shared(p, sizeof p, "bitbrains_rnd/2013-7/14.csv"));
    f->st.malformed = 0;
    assert_int_equal(ag_trace_read_file(f->ds, p, NULL, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(f->st.malformed, 8);
    assert_int_equal(get(f, "bitbrains", "vm-14", "vm")->usage[AG_CPU].n, 420);
}

static void test_shared_azure_planetlab(void **state)
{
    fixture *f = *state;
    char p[512];
    ag_container *c;

    assert_non_null(ag_test_shared(p, sizeof p, "azure_v1_vm_cpu/microsoft_avg_100.csv"));
    assert_int_equal(ag_source_read_file(f->ds, p, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 100);
    c = get(f, "azure-v1", "vm-1633748", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 8004);
    sample_is(&c->usage[AG_CPU], 0, 1479254400000LL, 44.45909 / 100);
    sample_is(&c->usage[AG_CPU], 8003, 1479254400000LL + 2400900000LL, 25.10992 / 100);

    assert_non_null(ag_test_shared(p, sizeof p, "planetlab_vm_cpu/planetlab_20110303_cpu_pct.csv"));
    assert_int_equal(ag_trace_read_file(f->ds, p, NULL, &f->opts, &f->st, &f->ei), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 100 + 1052);
    c = get(f, "planetlab", "146-179_surfsnel_dsl_internl_net_colostate_557", "vm");
    assert_int_equal(c->usage[AG_CPU].n, 288);
    sample_is(&c->usage[AG_CPU], 0, 1299110400000LL, 0.24);
    sample_is(&c->usage[AG_CPU], 1, 1299110400000LL + 300000, 0.34);
    assert_int_equal(f->st.malformed, 0);
}

static int shared_present(void)
{
    char p[512];
    return ag_test_shared(p, sizeof p, "bitbrains_rnd/2013-7/1.csv") != NULL &&
           ag_test_shared(p, sizeof p, "azure_v1_vm_cpu/microsoft_avg_100.csv") != NULL &&
           ag_test_shared(p, sizeof p, "planetlab_vm_cpu/planetlab_20110303_cpu_pct.csv") != NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_defaults),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test_setup_teardown(test_bitbrains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bitbrains_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_t0_ns_and_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planetlab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planetlab_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alibaba, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alibaba_default_t0_and_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2011_replicas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2011_cells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2019_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2019_csv_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2019_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_google_2019_json_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_warnings_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test(test_out_of_memory),
    };
    const struct CMUnitTest shared[] = {
        cmocka_unit_test_setup_teardown(test_shared_bitbrains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_azure_planetlab, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("trace", tests, NULL, NULL);

    /* The real traces last, so a skip never hides a failure above. */
    if (rc != 0)
        return rc;
    if (!shared_present())
        AG_SKIP_ALL("the real traces of ../shared/data are absent");
    return cmocka_run_group_tests_name("trace_shared", shared, NULL, NULL);
}
