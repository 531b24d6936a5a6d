/*
 * tests/source/test_prom_live.c - ag_prom_fetch() against a real Prometheus.
 *
 * Generates an OpenMetrics file (two namespaces over two days at 60 s, a
 * CPU counter reset, a pod that starts half-way, OOM kills, owners,
 * labels, requests and limits; plus a "slow" namespace at 5-minute
 * resolution earlier on), backfills it with promtool, starts prometheus on
 * a free loopback port and checks that the live fetch gives bit-for-bit
 * the dataset the file import gives. Also: step detection, range splitting,
 * and the error paths (refused connection, 404, bad PromQL, no data).
 * Skips (77) when prometheus or promtool is not installed. The server is
 * stopped in the group teardown and, should anything abort, at exit.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ag_test.h"
#include "augur/source.h"
#include "series/series_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define T0 1700006400LL /* a multiple of one hour */
#define NPTS 2881       /* two days at 60 s, both ends included */
#define TEND (T0 + 60LL * (NPTS - 1))
#define SLOW_T0 (T0 - 3 * 86400LL)
#define SLOW_N 577 /* two days at 300 s */
#define SLOW_TEND (SLOW_T0 + 300LL * (SLOW_N - 1))

static pid_t g_pid = -1;
static int g_port;
static char g_dir[256];
static char g_url[64];

/* ---- processes --------------------------------------------------------- */

static int in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const char *c = strchr(path, ':');
        size_t n = c ? (size_t)(c - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        path = c ? c + 1 : NULL;
    }
    return 0;
}

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setpgid(0, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to ms for pid; returns its exit status, or -1 on timeout. */
static int wait_for(pid_t pid, long ms)
{
    int status;
    for (long waited = 0; waited <= ms; waited += 20) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        if (r < 0)
            return -2;
        usleep(20000);
    }
    return -1;
}

static void stop_server(void)
{
    if (g_pid <= 0)
        return;
    kill(g_pid, SIGTERM);
    if (wait_for(g_pid, 10000) == -1) {
        kill(g_pid, SIGKILL);
        waitpid(g_pid, NULL, 0);
    }
    g_pid = -1;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static void cleanup(void)
{
    stop_server();
    if (g_dir[0] && !getenv("AG_KEEP_TMP"))
        nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    g_dir[0] = '\0';
}

static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static long http_status(const char *url)
{
    CURL *h = curl_easy_init();
    long code = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code;
}

static void print_log(const char *name)
{
    char path[512], line[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    if (!(f = fopen(path, "r")))
        return;
    fprintf(stderr, "---- %s ----\n", path);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

/* ---- data -------------------------------------------------------------- */

typedef struct gen_cont {
    const char *ns, *pod, *container;
    int first, reset; /* first sample index; counter reset index or -1 */
    double base_cores, mem;
    int last; /* one past the last sample index; 0 = to the end */
} gen_cont;

/* One past a container's last sample index. */
#define GEN_END(c) ((c)->last ? (c)->last : NPTS)

static const gen_cont CONTS[] = {
    {"shop", "api-5d8f7c9b4-x2x7q", "api", 0, 1000, 0.25, 200e6, 0},
    {"shop", "api-5d8f7c9b4-x2x7q", "istio-proxy", 0, -1, 0.02, 60e6, 0},
    {"shop", "web-0", "web", 0, -1, 0.1, 120e6, 0},
    {"shop", "web-1", "web", 1440, -1, 0.1, 120e6, 0},
    {"data", "db-0", "pg", 0, 2000, 1.0, 900e6, 0},
    /* replaced half-way (a rollout): the live reader must not repeat its
     * last values after it stops */
    {"shop", "api-5d8f7c9b4-old7z", "api", 0, -1, 0.2, 180e6, 1500},
};
#define NCONT (sizeof CONTS / sizeof CONTS[0])

static uint64_t rng = 88172645463325252ULL;
static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double g_counter[NCONT][NPTS]; /* for a direct check of irate */

static void write_om(FILE *f)
{
    fprintf(f, "# TYPE container_cpu_usage_seconds counter\n");
    for (size_t k = 0; k < NCONT; k++) {
        const gen_cont *c = &CONTS[k];
        double v = 1000 * rnd();
        for (int i = c->first; i < GEN_END(c); i++) {
            if (i == c->reset)
                v = 3 * rnd(); /* restart: the counter starts over */
            else if (i > c->first)
                v += 60 * c->base_cores * (0.5 + rnd());
            g_counter[k][i] = v;
            fprintf(
                f,
                "container_cpu_usage_seconds_total{namespace=\"%s\",pod=\"%s\",container=\"%s\","
                "image=\"x\"} %.17g %lld\n",
                c->ns, c->pod, c->container, v, T0 + 60LL * i);
        }
    }
    for (int i = 0; i < NPTS; i++) /* the pause container: ignored by both readers */
        fprintf(f,
                "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-0\","
                "container=\"POD\"} %d %lld\n",
                i, T0 + 60LL * i);
    {
        double v = 0;
        for (int i = 0; i < SLOW_N; i++) {
            v += 300 * 0.3 * rnd();
            fprintf(f,
                    "container_cpu_usage_seconds_total{namespace=\"slow\",pod=\"batch-0\","
                    "container=\"worker\"} %.17g %lld\n",
                    v, SLOW_T0 + 300LL * i);
        }
    }
    fprintf(f, "# TYPE container_memory_working_set_bytes gauge\n");
    for (size_t k = 0; k < NCONT; k++) {
        const gen_cont *c = &CONTS[k];
        for (int i = c->first; i < GEN_END(c); i++)
            fprintf(f,
                    "container_memory_working_set_bytes{namespace=\"%s\",pod=\"%s\","
                    "container=\"%s\"} %.0f %lld\n",
                    c->ns, c->pod, c->container, c->mem * (0.8 + 0.4 * rnd()), T0 + 60LL * i);
    }
    for (int i = 0; i < SLOW_N; i++)
        fprintf(f,
                "container_memory_working_set_bytes{namespace=\"slow\",pod=\"batch-0\","
                "container=\"worker\"} %.0f %lld\n",
                5e8 * (0.5 + rnd()), SLOW_T0 + 300LL * i);
    fprintf(f, "# TYPE container_oom_events counter\n");
    {
        int oom = 0;
        for (int i = 0; i < NPTS; i++) {
            if (i == 500 || i == 1500 || i == 1501 || i == 2500)
                oom++;
            if (i == 2000)
                oom = 0; /* restart */
            fprintf(f,
                    "container_oom_events_total{namespace=\"data\",pod=\"db-0\",container=\"pg\"} "
                    "%d %lld\n",
                    oom, T0 + 60LL * i);
        }
    }
    fprintf(f, "# TYPE kube_pod_owner gauge\n");
    {
        static const char *own[][4] = {
            {"shop", "api-5d8f7c9b4-x2x7q", "ReplicaSet", "api-5d8f7c9b4"},
            {"shop", "web-0", "StatefulSet", "web"},
            {"shop", "web-1", "StatefulSet", "web"},
            {"data", "db-0", "StatefulSet", "db"}};
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < NPTS; i += 10)
                fprintf(f,
                        "kube_pod_owner{namespace=\"%s\",pod=\"%s\",owner_kind=\"%s\","
                        "owner_name=\"%s\",owner_is_controller=\"true\"} 1 %lld\n",
                        own[k][0], own[k][1], own[k][2], own[k][3], T0 + 60LL * i);
    }
    fprintf(f, "# TYPE kube_pod_labels gauge\n");
    for (int i = 0; i < NPTS; i += 10)
        fprintf(f,
                "kube_pod_labels{namespace=\"shop\",pod=\"api-5d8f7c9b4-x2x7q\",label_app=\"api\","
                "label_team=\"pay\"} 1 %lld\n",
                T0 + 60LL * i);
    fprintf(f, "# TYPE kube_pod_container_resource_requests gauge\n");
    {
        static const struct {
            const char *ns, *pod, *c, *res;
            double v;
        } rq[] = {{"shop", "api-5d8f7c9b4-x2x7q", "api", "cpu", 0.25},
                  {"shop", "api-5d8f7c9b4-x2x7q", "api", "memory", 268435456},
                  {"data", "db-0", "pg", "cpu", 1},
                  {"data", "db-0", "pg", "memory", 1073741824}};
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < NPTS; i += 10)
                fprintf(f,
                        "kube_pod_container_resource_requests{namespace=\"%s\",pod=\"%s\","
                        "container=\"%s\",resource=\"%s\"} %.17g %lld\n",
                        rq[k].ns, rq[k].pod, rq[k].c, rq[k].res, rq[k].v, T0 + 60LL * i);
    }
    fprintf(f, "# TYPE kube_pod_container_resource_limits gauge\n");
    for (int i = 0; i < NPTS; i += 10)
        fprintf(f,
                "kube_pod_container_resource_limits{namespace=\"shop\",pod=\"api-5d8f7c9b4-x2x7q\","
                "container=\"api\",resource=\"memory\"} 536870912 %lld\n",
                T0 + 60LL * i);
    fprintf(f, "# EOF\n");
}

/* ---- group setup / teardown -------------------------------------------- */

static int start_all(void **state)
{
    char om[300], tsdb[300], cfg[300], log[300], a1[320], a2[320], a3[320];
    FILE *f;
    (void)state;

    snprintf(g_dir, sizeof g_dir, "/tmp/ag_prom_live_XXXXXX");
    if (!mkdtemp(g_dir)) {
        g_dir[0] = '\0';
        return -1;
    }
    snprintf(om, sizeof om, "%s/data.om", g_dir);
    snprintf(tsdb, sizeof tsdb, "%s/tsdb", g_dir);
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", g_dir);
    if (!(f = fopen(om, "w")))
        return -1;
    write_om(f);
    fclose(f);
    if (!(f = fopen(cfg, "w")))
        return -1;
    fprintf(f, "global:\n  scrape_interval: 1m\nscrape_configs: []\n");
    fclose(f);
    {
        char *argv[] = {"promtool", "tsdb", "create-blocks-from", "openmetrics", om, tsdb, NULL};
        snprintf(log, sizeof log, "%s/promtool.log", g_dir);
        pid_t p = spawn(argv, log);
        int rc = wait_for(p, 60000);
        if (rc != 0) {
            if (rc == -1) {
                kill(p, SIGKILL);
                waitpid(p, NULL, 0);
            }
            print_log("promtool.log");
            return -1;
        }
    }
    g_port = free_port();
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%d", g_port);
    snprintf(a1, sizeof a1, "--storage.tsdb.path=%s", tsdb);
    snprintf(a2, sizeof a2, "--web.listen-address=127.0.0.1:%d", g_port);
    snprintf(a3, sizeof a3, "--config.file=%s", cfg);
    {
        char *argv[] = {"prometheus",       a1,  a2, a3, "--storage.tsdb.retention.time=100y",
                        "--log.level=warn", NULL};
        snprintf(log, sizeof log, "%s/prometheus.log", g_dir);
        g_pid = spawn(argv, log);
    }
    {
        char ready[128];
        snprintf(ready, sizeof ready, "%s/-/ready", g_url);
        for (int i = 0; i < 300; i++) { /* 30 s */
            if (waitpid(g_pid, NULL, WNOHANG) == g_pid) {
                g_pid = -1;
                print_log("prometheus.log");
                return -1;
            }
            if (http_status(ready) == 200)
                return 0;
            usleep(100000);
        }
    }
    print_log("prometheus.log");
    cleanup();
    return -1;
}

static int stop_all(void **state)
{
    (void)state;
    cleanup();
    return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static ag_prom_opts opts_default(void)
{
    ag_prom_opts po;
    memset(&po, 0, sizeof po);
    po.url = g_url;
    po.timeout_ms = 20000;
    return po;
}

static ag_dataset *from_file(int64_t t0, int64_t t1)
{
    char path[300];
    char *buf;
    size_t len;
    ag_errinfo ei;
    ag_dataset *ds = ag_dataset_new();

    snprintf(path, sizeof path, "%s/data.om", g_dir);
    assert_int_equal(ag__read_file(path, 0, &buf, &len, &ei), AG_OK);
    if (ag_om_parse(ds, path, buf, len, NULL, NULL, &ei) != AG_OK)
        fail_msg("ag_om_parse: %s", ei.msg);
    ag__free(buf);
    assert_int_equal(ag_dataset_finish(ds, t0, t1, NULL), AG_OK);
    return ds;
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same_samples(const char *what, const ag_container *c, const ag_samples *a,
                                const ag_samples *b)
{
    if (a->n != b->n)
        fail_msg("%s/%s/%s %s: %zu samples live, %zu from the file", c->ns, c->pod, c->container,
                 what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].t_ms != b->v[i].t_ms || !same_double(a->v[i].v, b->v[i].v))
            fail_msg("%s/%s/%s %s[%zu]: live (%lld, %.17g) file (%lld, %.17g)", c->ns, c->pod,
                     c->container, what, i, (long long)a->v[i].t_ms, a->v[i].v,
                     (long long)b->v[i].t_ms, b->v[i].v);
}

static void assert_same_dataset(ag_dataset *a, ag_dataset *b)
{
    assert_int_equal(ag_dataset_count(a), ag_dataset_count(b));
    for (size_t i = 0; i < ag_dataset_count(a); i++) {
        ag_container *x = ag_dataset_at(a, i), *y = ag_dataset_at(b, i);
        assert_string_equal(x->ns, y->ns);
        assert_string_equal(x->pod, y->pod);
        assert_string_equal(x->container, y->container);
        assert_string_equal(x->owner_kind, y->owner_kind);
        assert_string_equal(x->owner_name, y->owner_name);
        assert_same_samples("cpu", x, &x->usage[AG_CPU], &y->usage[AG_CPU]);
        assert_same_samples("memory", x, &x->usage[AG_MEMORY], &y->usage[AG_MEMORY]);
        assert_same_samples("oom", x, &x->oom, &y->oom);
        for (int r = 0; r < AG_NRES; r++) {
            assert_true(same_double(x->request[r], y->request[r]));
            assert_true(same_double(x->limit[r], y->limit[r]));
            assert_int_equal(x->spec_t_ms[r], y->spec_t_ms[r]);
        }
    }
}

static void progress(void *ud, uint64_t done, uint64_t total)
{
    uint64_t *last = ud;
    assert_true(done <= total);
    assert_true(done > last[0]);
    last[0] = done;
    last[1] = total;
}

/* ---- tests ------------------------------------------------------------- */

static void fetch_and_compare(size_t max_points)
{
    ag_dataset *live = ag_dataset_new(), *file;
    ag_prom_opts po = opts_default();
    ag_read_opts ro = {0};
    ag_ingest_stats st = {0};
    ag_errinfo ei;
    int64_t step = 0;
    uint64_t prog[2] = {0, 0};
    ag_container *api = NULL, *old = NULL;

    po.max_points = max_points;
    ro.progress = progress;
    ro.progress_ud = prog;
    if (ag_prom_fetch(live, &po, T0 * 1000, TEND * 1000, &ro, &st, &step, &ei) != AG_OK)
        fail_msg("ag_prom_fetch: %s", ei.msg);
    assert_int_equal(step, 60000);
    assert_true(prog[0] > 0 && prog[0] == prog[1]);
    assert_int_equal(ag_dataset_finish(live, T0 * 1000, TEND * 1000, &st), AG_OK);
    file = from_file(T0 * 1000, TEND * 1000);
    assert_int_equal(ag_dataset_count(live), NCONT);
    assert_same_dataset(live, file);
    /* And against the generator directly: irate = (v2 - v1) / 60. */
    for (size_t i = 0; i < ag_dataset_count(live); i++) {
        ag_container *c = ag_dataset_at(live, i);
        if (!strcmp(c->container, "api") && !strcmp(c->pod, "api-5d8f7c9b4-x2x7q"))
            api = c;
        if (!strcmp(c->pod, "api-5d8f7c9b4-old7z"))
            old = c;
    }
    assert_non_null(api);
    /* the pod that stopped: no values after its last sample */
    assert_non_null(old);
    assert_int_equal(old->usage[AG_MEMORY].n, 1500);
    assert_int_equal(old->usage[AG_MEMORY].v[1499].t_ms, (T0 + 60LL * 1499) * 1000);
    assert_int_equal(old->usage[AG_CPU].n, 1499);
    assert_int_equal(old->usage[AG_CPU].v[1498].t_ms, (T0 + 60LL * 1499) * 1000);
    assert_int_equal(api->usage[AG_CPU].n, NPTS - 1);
    assert_int_equal(api->usage[AG_CPU].v[0].t_ms, (T0 + 60) * 1000);
    assert_true(api->usage[AG_CPU].v[0].v == (g_counter[0][1] - g_counter[0][0]) / 60.0);
    assert_true(api->usage[AG_CPU].v[999].v == g_counter[0][1000] / 60.0); /* the reset */
    assert_true(api->request[AG_CPU] == 0.25);
    assert_true(api->limit[AG_MEMORY] == 536870912.0);
    assert_string_equal(api->owner_kind, "Deployment");
    assert_string_equal(api->owner_name, "api");
    ag_dataset_free(live);
    ag_dataset_free(file);
}

static void test_equals_file_import(void **state)
{
    (void)state;
    fetch_and_compare(0);
}

static void test_equals_file_import_chunked(void **state)
{
    (void)state;
    fetch_and_compare(400); /* 2880 steps in 8 chunks per query */
}

static void test_detects_5min_step(void **state)
{
    ag_dataset *live = ag_dataset_new(), *file;
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    int64_t step = 0;
    (void)state;

    po.ns = "slow";
    if (ag_prom_fetch(live, &po, SLOW_T0 * 1000, SLOW_TEND * 1000, NULL, NULL, &step, &ei) != AG_OK)
        fail_msg("ag_prom_fetch: %s", ei.msg);
    assert_int_equal(step, 300000);
    assert_int_equal(ag_dataset_finish(live, SLOW_T0 * 1000, SLOW_TEND * 1000, NULL), AG_OK);
    file = from_file(SLOW_T0 * 1000, SLOW_TEND * 1000);
    assert_int_equal(ag_dataset_count(live), 1);
    assert_same_dataset(live, file);
    ag_dataset_free(live);
    ag_dataset_free(file);
}

static void test_coarser_step_uses_rate(void **state)
{
    ag_dataset *live = ag_dataset_new();
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    int64_t step = 0;
    (void)state;

    po.step_ms = 600000;
    po.ns = "shop";
    if (ag_prom_fetch(live, &po, T0 * 1000 + 1, TEND * 1000, NULL, NULL, &step, &ei) != AG_OK)
        fail_msg("ag_prom_fetch: %s", ei.msg);
    assert_int_equal(step, 600000);
    assert_int_equal(ag_dataset_count(live), 5);
    for (size_t i = 0; i < ag_dataset_count(live); i++) {
        ag_container *c = ag_dataset_at(live, i);
        assert_true(c->usage[AG_CPU].n > 0);
        for (size_t k = 0; k < c->usage[AG_CPU].n; k++) /* grid aligned after the start */
            assert_int_equal(c->usage[AG_CPU].v[k].t_ms % 600000, 0);
        assert_true(c->usage[AG_CPU].v[0].t_ms >= (T0 + 600) * 1000);
    }
    ag_dataset_free(live);
}

static void test_refused(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    char url[64];
    struct timespec a, b;
    (void)state;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", free_port());
    po.url = url;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(ag_prom_fetch(ds, &po, T0 * 1000, TEND * 1000, NULL, NULL, NULL, &ei),
                     AG_ENET);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true(b.tv_sec - a.tv_sec < 5);
    assert_non_null(strstr(ei.msg, url));
    ag_dataset_free(ds);
}

static void test_http_404(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    char url[96];
    (void)state;

    snprintf(url, sizeof url, "%s/no/such/prefix/", g_url);
    po.url = url;
    assert_int_equal(ag_prom_fetch(ds, &po, T0 * 1000, TEND * 1000, NULL, NULL, NULL, &ei),
                     AG_EHTTP);
    assert_non_null(strstr(ei.msg, "HTTP 404"));
    assert_non_null(strstr(ei.msg, "/no/such/prefix/api/v1/"));
    ag_dataset_free(ds);
}

static void test_bad_promql(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    (void)state;

    po.extra_matchers = "pod=~\"(\"";
    assert_int_equal(ag_prom_fetch(ds, &po, T0 * 1000, TEND * 1000, NULL, NULL, NULL, &ei),
                     AG_EHTTP);
    assert_non_null(strstr(ei.msg, "HTTP 400"));
    assert_non_null(strstr(ei.msg, "bad_data"));
    ag_dataset_free(ds);
}

static void test_no_data(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_prom_opts po = opts_default();
    ag_errinfo ei;
    (void)state;

    assert_int_equal(ag_prom_fetch(ds, &po, (T0 - 30 * 86400LL) * 1000, (T0 - 29 * 86400LL) * 1000,
                                   NULL, NULL, NULL, &ei),
                     AG_ENODATA);
    assert_non_null(strstr(ei.msg, "has no container_cpu_usage_seconds_total"));
    assert_non_null(strstr(ei.msg, g_url));
    ag_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_file_import),
        cmocka_unit_test(test_equals_file_import_chunked),
        cmocka_unit_test(test_detects_5min_step),
        cmocka_unit_test(test_coarser_step_uses_rate),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_http_404),
        cmocka_unit_test(test_bad_promql),
        cmocka_unit_test(test_no_data),
    };
    if (!in_path("prometheus") || !in_path("promtool"))
        AG_SKIP_ALL("prometheus and promtool are needed for the live test");
    atexit(cleanup);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, start_all, stop_all);
}
