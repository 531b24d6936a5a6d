/*
 * fuzz/fuzz_actuate.c - libFuzzer target for what the actuator reads from
 * the API server: workloads, their pods, ReplicaSets, PodDisruptionBudgets
 * and VPAs, any JSON (or not JSON at all). A responder on 127.0.0.1
 * (libmicrohttpd, in this process) answers every GET with the input's
 * part for that path and every PATCH with {}; ag_k8s_actuate() runs a
 * Deployment in place, a StatefulSet by Recreate and a CronJob by Initial
 * against it and must end without a crash, leak or hang.
 *
 * Input: a JSON object {"workload": ..., "pods": ..., "rs": ..., "pdbs":
 * ..., "vpas": [...]} (each part is served as its JSON text; "vpas", when
 * an array, is the VPA list the daemon would pass), or anything else,
 * served whole as every answer.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "augur/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { P_WORKLOAD, P_PODS, P_RS, P_PDBS, NPARTS };
static const char *const part_names[NPARTS] = {"workload", "pods", "rs", "pdbs"};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *parts[NPARTS];
static size_t part_len[NPARTS];

static int part_of(const char *url)
{
    if (strstr(url, "/poddisruptionbudgets"))
        return P_PDBS;
    if (strstr(url, "/replicasets/"))
        return P_RS;
    if (strstr(url, "/pods"))
        return P_PODS;
    return P_WORKLOAD;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    static int marker;
    struct MHD_Response *r;
    enum MHD_Result ret;
    char *body;
    size_t len;

    (void)cls;
    (void)version;
    (void)upload;
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a PATCH body: read and dropped */
        return MHD_YES;
    }
    pthread_mutex_lock(&mu);
    if (strcmp(method, "GET") == 0) {
        int p = part_of(url);
        len = part_len[p];
        body = malloc(len + 1);
        if (body)
            memcpy(body, parts[p] ? parts[p] : "", len);
    } else {
        len = 2;
        body = malloc(3);
        if (body)
            memcpy(body, "{}", 2);
    }
    pthread_mutex_unlock(&mu);
    if (!body)
        return MHD_NO;
    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void set_part(int p, const char *s, size_t n)
{
    free(parts[p]);
    parts[p] = malloc(n + 1);
    if (parts[p]) {
        memcpy(parts[p], s, n);
        parts[p][n] = '\0';
    }
    part_len[p] = parts[p] ? n : 0;
}

static void rec(ag_view_rec *r, const char *kind, const char *name, const char *container)
{
    memset(r, 0, sizeof *r);
    strcpy(r->ns, "prod");
    strcpy(r->kind, kind);
    strcpy(r->name, name);
    strcpy(r->container, container);
    r->pods = 2;
    for (int k = 0; k < AG_NRES; k++) {
        double t = k == AG_CPU ? 0.3 : 200.0 * 1048576;
        r->rec.status[k] = AG_REC_OK;
        r->rec.res[k] = (ag_rec_res){t, t * 0.8, t * 1.3, t, NAN};
        r->request[k] = r->limit[k] = NAN;
    }
}

static void pol(ag_wpolicy *p, const char *kind, const char *name, ag_act_mode mode)
{
    memset(p, 0, sizeof *p);
    strcpy(p->ns, "prod");
    strcpy(p->kind, kind);
    strcpy(p->name, name);
    p->cpu_risk = p->mem_risk = NAN;
    for (int r = 0; r < AG_NRES; r++)
        p->min_allowed[r] = p->max_allowed[r] = NAN;
    p->act = 1;
    p->mode = mode;
    p->max_unavailable_share = 0.5;
}

static ag_k8s *client(void)
{
    static struct MHD_Daemon *d;
    static ag_k8s *k;
    char url[64];
    ag_k8s_config c;
    ag_errinfo ei = {{0}};

    if (k)
        return k;
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer,
                         NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    if (!d)
        abort();
    snprintf(url, sizeof url, "http://127.0.0.1:%u",
             (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    memset(&c, 0, sizeof c);
    c.server = url;
    c.token = "fuzz";
    c.timeout_ms = 5000;
    if (ag_k8s_new(&c, &k, &ei) != AG_OK)
        abort();
    return k; /* kept for the process's life, as the responder */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ag_view_rec recs[3];
    ag_view v;
    ag_wpolicy pols[3];
    ag_k8s_act_opts o;
    ag_k8s_act_stats st;
    ag_errinfo ei = {{0}};
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    const json_t *vpas = NULL;
    ag_k8s *k = client();

    pthread_mutex_lock(&mu);
    for (int p = 0; p < NPARTS; p++) {
        json_t *x = json_is_object(in) ? json_object_get(in, part_names[p]) : NULL;
        char *s = x ? json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        if (x && s)
            set_part(p, s, strlen(s));
        else
            set_part(p, (const char *)data, size);
        free(s);
    }
    pthread_mutex_unlock(&mu);
    if (json_is_object(in) && json_is_array(json_object_get(in, "vpas")))
        vpas = json_object_get(in, "vpas");

    rec(&recs[0], "CronJob", "nightly", "job");
    rec(&recs[1], "Deployment", "web", "app");
    rec(&recs[2], "StatefulSet", "db", "postgres");
    memset(&v, 0, sizeof v);
    v.recs = recs;
    v.nrecs = 3;
    v.algorithm = "augur";
    pol(&pols[0], "CronJob", "nightly", AG_ACT_INITIAL);
    pol(&pols[1], "Deployment", "web", AG_ACT_INPLACE);
    pol(&pols[2], "StatefulSet", "db", AG_ACT_RECREATE);
    ag_wpolicy_sort(pols, 3);
    ag_k8s_actuate_opts_default(&o);
    o.enable = 1;
    o.now_ms = 1714640000000LL;
    o.vpas = vpas;
    (void)ag_k8s_actuate(k, &v, pols, 3, &o, &st, &ei);
    json_decref(in);
    return 0;
}
