/*
 * tests/k8s/test_actuate.c - the actuator (lib/k8s/actuate.c) against
 * tests/k8s/fake_apiserver.py, which replays the workloads, pods and
 * PodDisruptionBudgets of tests/k8s/data/actuate_objects.json on
 * 127.0.0.1 and applies the patches it gets (strategic merge; a resize
 * leaves the pod resizing). Each case starts its own server, so it sees
 * the recorded state; afterwards every PATCH in the server's request log
 * is checked here: method, path, Content-Type and a core/v1 body
 * (containers[].name and resources.requests/limits of valid quantities).
 * Skips (77) when python3 is absent.
 */
#include <math.h>
#include <regex.h>
#include "augur/k8s.h"
#include "augur/util.h"
#include "fake_server.h"
#include "util/alloc.h"

#define TOKEN "actuate-token"
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)
#define SMP "application/strategic-merge-patch+json"

static char tmpdir[256];
static int64_t now_ms; /* 2024-05-03T12:00:00Z, the recorded pods' "now" */

/* ---- the fake API server -------------------------------------------------- */

static void server_start(fake_server *s, const char *logname, const char *const *extra)
{
    fake_server_start(s, tmpdir, logname, TOKEN, NULL, extra);
}

/* ---- the view and the policies ------------------------------------------- */

static ag_view_rec *add_rec(ag_view *v, const char *kind, const char *name, const char *container)
{
    ag_view_rec *r = &v->recs[v->nrecs++];

    snprintf(r->ns, sizeof r->ns, "prod");
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->container, sizeof r->container, "%s", container);
    r->pods = 2;
    r->algorithm = "augur";
    for (int i = 0; i < AG_NRES; i++) {
        r->request[i] = r->limit[i] = NAN;
        r->rec.status[i] = AG_REC_NO_DATA;
        r->rec.res[i].target = r->rec.res[i].lower = r->rec.res[i].upper = NAN;
        r->rec.res[i].uncapped = r->rec.res[i].limit = NAN;
    }
    return r;
}

static void set_res(ag_view_rec *r, int res, double target, double lower, double upper)
{
    r->rec.status[res] = AG_REC_OK;
    r->rec.res[res].target = r->rec.res[res].uncapped = target;
    r->rec.res[res].lower = lower;
    r->rec.res[res].upper = upper;
}

static ag_view *make_view(void)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    ag_view_rec *r;

    assert_non_null(v);
    v->recs = ag__calloc(32, sizeof *v->recs);
    assert_non_null(v->recs);
    v->algorithm = "augur";
    r = add_rec(v, "Deployment", "web", "app");
    set_res(r, AG_CPU, 0.3, 0.25, 0.4);
    set_res(r, AG_MEMORY, 200 * MIB, 180 * MIB, 300 * MIB);
    r = add_rec(v, "Deployment", "web", "not-in-the-template");
    set_res(r, AG_CPU, 4, 4, 4);
    r = add_rec(v, "Deployment", "web", "app"); /* a second rec of a name: the first wins */
    set_res(r, AG_CPU, 8, 8, 8);
    r = add_rec(v, "Deployment", "web-canary", "app");
    set_res(r, AG_CPU, 0.3, 0.25, 0.4);
    r = add_rec(v, "Deployment", "api", "api");
    set_res(r, AG_CPU, 0.35, 0.3, 0.5);
    set_res(r, AG_MEMORY, 300 * MIB, 280 * MIB, 400 * MIB);
    r = add_rec(v, "Deployment", "cart", "cart");
    set_res(r, AG_CPU, 0.2, 0.15, 0.3);
    set_res(r, AG_MEMORY, 200 * MIB, 150 * MIB, 250 * MIB);
    r = add_rec(v, "Deployment", "search", "search");
    set_res(r, AG_CPU, 0.8, 0.7, 1.0);
    r = add_rec(v, "Deployment", "legacy", "legacy");
    set_res(r, AG_CPU, 0.2, 0.15, 0.3);
    r = add_rec(v, "Deployment", "checkout", "checkout");
    set_res(r, AG_CPU, 0.2, 0.15, 0.3);
    r = add_rec(v, "Deployment", "empty", "app"); /* scaled to zero: no pod to resize */
    set_res(r, AG_CPU, 0.3, 0.25, 0.4);
    r = add_rec(v, "Deployment", "oomy", "app"); /* in bounds: only a quick OOM counts */
    set_res(r, AG_CPU, 0.55, 0.4, 0.7);
    set_res(r, AG_MEMORY, 300 * MIB, 200 * MIB, 400 * MIB);
    r = add_rec(v, "StatefulSet", "db", "postgres");
    set_res(r, AG_CPU, 2, 1.5, 3);
    set_res(r, AG_MEMORY, 3 * GIB, 2.5 * GIB, 4 * GIB);
    r = add_rec(v, "StatefulSet", "cache", "redis");
    set_res(r, AG_CPU, 0.2, 0.15, 0.3);
    set_res(r, AG_MEMORY, 300 * MIB, 280 * MIB, 400 * MIB);
    r = add_rec(v, "DaemonSet", "agent", "agent");
    set_res(r, AG_CPU, 0.1, 0.08, 0.15);
    set_res(r, AG_MEMORY, 64 * MIB, 60 * MIB, 80 * MIB);
    r = add_rec(v, "CronJob", "nightly", "report");
    set_res(r, AG_CPU, 0.5, 0.4, 0.8);
    set_res(r, AG_MEMORY, 768 * MIB, 600 * MIB, 1024 * MIB);
    r = add_rec(v, "Job", "migrate", "migrate");
    set_res(r, AG_CPU, 1, 0.8, 1.2);
    r = add_rec(v, "Pod", "debug-shell", "shell");
    set_res(r, AG_CPU, 1, 0.8, 1.2);
    r = add_rec(v, "Deployment", "ghost", "app");
    set_res(r, AG_CPU, 1, 0.8, 1.2);
    add_rec(v, "Deployment", "quiet", "app"); /* no usable recommendation */
    return v;
}

typedef struct pols {
    ag_wpolicy p[32];
    size_t n;
} pols;

static void pol(pols *ps, const char *kind, const char *name, int mode, double share)
{
    ag_wpolicy *p = &ps->p[ps->n++];

    memset(p, 0, sizeof *p);
    snprintf(p->ns, sizeof p->ns, "prod");
    snprintf(p->kind, sizeof p->kind, "%s", kind);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->policy_ns, sizeof p->policy_ns, "prod");
    snprintf(p->policy_name, sizeof p->policy_name, "act-%s", name);
    p->cpu_risk = p->mem_risk = NAN;
    for (int r = 0; r < AG_NRES; r++)
        p->min_allowed[r] = p->max_allowed[r] = NAN;
    p->act = 1;
    p->mode = (ag_act_mode)mode;
    p->max_unavailable_share = share;
    ag_wpolicy_sort(ps->p, ps->n);
}

/* ---- decisions ------------------------------------------------------------- */

typedef struct seen {
    struct {
        char kind[64], name[64], action[32], msg[256];
        ag_k8s_act_reason reason;
        unsigned pods, wanting, resized, deferred;
        int dry_run;
    } d[32];
    int n;
} seen;

static void on_decision(void *ud, const ag_k8s_act_decision *d)
{
    seen *s = ud;

    assert_true(s->n < 32);
    snprintf(s->d[s->n].kind, sizeof s->d[0].kind, "%s", d->kind);
    snprintf(s->d[s->n].name, sizeof s->d[0].name, "%s", d->name);
    snprintf(s->d[s->n].action, sizeof s->d[0].action, "%s", d->action);
    snprintf(s->d[s->n].msg, sizeof s->d[0].msg, "%s", d->msg);
    assert_string_equal(d->ns, "prod");
    assert_true(d->msg[0] != '\0');
    s->d[s->n].reason = d->reason;
    s->d[s->n].pods = d->pods;
    s->d[s->n].wanting = d->wanting;
    s->d[s->n].resized = d->resized;
    s->d[s->n].deferred = d->deferred;
    s->d[s->n].dry_run = d->dry_run;
    s->n++;
}

/* The decision for a workload, failing when there is none. */
static int dec(const seen *s, const char *name, ag_k8s_act_reason want)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->d[i].name, name) == 0) {
            if (s->d[i].reason != want)
                fail_msg("%s: %s (%s), expected %s", name,
                         ag_k8s_actuate_reason_name(s->d[i].reason), s->d[i].msg,
                         ag_k8s_actuate_reason_name(want));
            return i;
        }
    fail_msg("no decision for %s", name);
    return -1;
}

static void opts(ag_k8s_act_opts *o, seen *s)
{
    ag_k8s_actuate_opts_default(o);
    o->enable = 1;
    o->now_ms = now_ms;
    o->on_decision = on_decision;
    o->ud = s;
    memset(s, 0, sizeof *s);
}

/* ---- the request log ----------------------------------------------------------- */

static int count(json_t *log, const char *method, const char *path_part)
{
    size_t i;
    json_t *e;
    int n = 0;

    json_array_foreach(log, i, e)
    {
        const char *m = json_string_value(json_object_get(e, "method"));
        const char *p = json_string_value(json_object_get(e, "path"));
        if ((!method || strcmp(m, method) == 0) && (!path_part || strstr(p, path_part)))
            n++;
    }
    return n;
}

static int only_keys(const json_t *o, const char *const *allowed)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return 0;
    json_object_foreach((json_t *)o, k, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, k) == 0;
        if (!ok)
            return 0;
    }
    return 1;
}

/* A map of resource names to quantities, as core/v1 ResourceList. */
static void check_list(const json_t *m, const regex_t *qre, const char *what)
{
    static const char *const names[] = {"cpu", "memory", NULL};
    const char *k;
    json_t *v;

    if (!only_keys(m, names) || !json_object_size(m))
        fail_msg("%s: not a ResourceList of cpu/memory", what);
    json_object_foreach((json_t *)m, k, v)
    {
        const char *q = json_string_value(v);
        double x;
        if (!q || regexec(qre, q, 0, NULL, 0) != 0 || ag_quantity_parse(q, &x) != AG_OK || !(x > 0))
            fail_msg("%s.%s: %s is not a valid quantity", what, k, q ? q : "(not a string)");
    }
}

/* Every PATCH the server got: path, Content-Type, a core/v1 body. */
static void check_patches(json_t *log)
{
    static const char *const c_keys[] = {"name", "resources", NULL};
    static const char *const r_keys[] = {"requests", "limits", NULL};
    static const char *const spec_only[] = {"spec", NULL};
    static const char *const containers_only[] = {"containers", NULL};
    static const char *const tmpl_keys[] = {"metadata", "spec", NULL};
    regex_t qre, resize, wl;
    size_t i, j;
    json_t *e, *c;

    assert_int_equal(regcomp(&qre,
                             "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                             "([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(
        regcomp(&resize, "^/api/v1/namespaces/[a-z0-9-]+/pods/[a-z0-9-]+/resize$", REG_EXTENDED),
        0);
    assert_int_equal(regcomp(&wl,
                             "^/apis/(apps/v1/namespaces/[a-z0-9-]+/(deployments|statefulsets|"
                             "daemonsets)|batch/v1/namespaces/[a-z0-9-]+/cronjobs)/[a-z0-9-]+$",
                             REG_EXTENDED),
                     0);
    json_array_foreach(log, i, e)
    {
        const char *m = json_string_value(json_object_get(e, "method"));
        const char *p = json_string_value(json_object_get(e, "path"));
        const char *ct = json_string_value(json_object_get(e, "content_type"));
        const char *auth = json_string_value(json_object_get(e, "authorization"));
        json_t *body, *cs, *t;
        int is_resize;

        if (!auth || strcmp(auth, "Bearer " TOKEN) != 0)
            fail_msg("%s %s: Authorization %s", m, p, auth ? auth : "(none)");
        if (strcmp(m, "GET") == 0)
            continue;
        if (strcmp(m, "PATCH") != 0)
            fail_msg("%s %s: the actuator only reads and patches", m, p);
        is_resize = regexec(&resize, p, 0, NULL, 0) == 0;
        if (!is_resize && regexec(&wl, p, 0, NULL, 0) != 0)
            fail_msg("PATCH %s: neither pods/NAME/resize nor a workload", p);
        if (!ct || strcmp(ct, SMP) != 0)
            fail_msg("PATCH %s: Content-Type %s", p, ct ? ct : "(none)");
        body = json_loads(json_string_value(json_object_get(e, "body")), 0, NULL);
        if (!json_is_object(body) || !only_keys(body, spec_only))
            fail_msg("PATCH %s: body %s", p, json_string_value(json_object_get(e, "body")));
        if (is_resize) {
            if (!only_keys(json_object_get(body, "spec"), containers_only))
                fail_msg("PATCH %s: a resize changes spec.containers only", p);
            cs = json_object_get(json_object_get(body, "spec"), "containers");
        } else {
            const char *a;
            json_t *ann;
            t = strstr(p, "/cronjobs/")
                    ? json_object_get(json_object_get(json_object_get(json_object_get(body, "spec"),
                                                                      "jobTemplate"),
                                                      "spec"),
                                      "template")
                    : json_object_get(json_object_get(body, "spec"), "template");
            if (!only_keys(t, tmpl_keys))
                fail_msg("PATCH %s: not a pod template patch", p);
            a = json_string_value(
                json_object_get(json_object_get(json_object_get(t, "metadata"), "annotations"),
                                AG_K8S_ACT_ANNOTATION));
            ann = a ? json_loads(a, 0, NULL) : NULL;
            if (!json_is_string(json_object_get(ann, "time")) ||
                !json_is_object(json_object_get(ann, "containers")))
                fail_msg("PATCH %s: annotation %s", p, a ? a : "(none)");
            json_decref(ann);
            if (!only_keys(json_object_get(t, "spec"), containers_only))
                fail_msg("PATCH %s: the template patch changes containers only", p);
            cs = json_object_get(json_object_get(t, "spec"), "containers");
        }
        if (!json_is_array(cs) || !json_array_size(cs))
            fail_msg("PATCH %s: no containers[]", p);
        json_array_foreach(cs, j, c)
        {
            const char *name = json_string_value(json_object_get(c, "name"));
            json_t *res = json_object_get(c, "resources");
            if (!only_keys(c, c_keys) || !name || !*name || !only_keys(res, r_keys))
                fail_msg("PATCH %s: containers[%zu] is not {name, resources}", p, j);
            check_list(json_object_get(res, "requests"), &qre, "requests");
            if (json_object_get(res, "limits"))
                check_list(json_object_get(res, "limits"), &qre, "limits");
        }
        json_decref(body);
    }
    regfree(&qre);
    regfree(&resize);
    regfree(&wl);
}

/* The body of the n-th PATCH whose path contains part. */
static json_t *patch_body(json_t *log, const char *part, int n)
{
    size_t i;
    json_t *e;

    json_array_foreach(log, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "method")), "PATCH") == 0 &&
            strstr(json_string_value(json_object_get(e, "path")), part) && n-- == 0)
            return json_loads(json_string_value(json_object_get(e, "body")), 0, NULL);
    }
    fail_msg("no PATCH of %s", part);
    return NULL;
}

/* A container's resource quantity in an object's containers[]. */
static const char *q_of(const json_t *containers, const char *name, const char *which,
                        const char *res)
{
    size_t i;
    json_t *c;

    json_array_foreach(containers, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return json_string_value(
                json_object_get(json_object_get(json_object_get(c, "resources"), which), res));
    }
    return NULL;
}

static json_t *get(ag_k8s *k, const char *path)
{
    json_t *o = NULL;
    ag_errinfo ei = {{0}};

    assert_int_equal(ag_k8s_get(k, path, &o, &ei), AG_OK);
    return o;
}

static json_t *tmpl_containers(const json_t *obj)
{
    return json_object_get(
        json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "spec"),
        "containers");
}

/* ---- one case ---------------------------------------------------------------------- */

/* What a case works with: the view, the policies, its own server and a
 * client, the options, stats and decisions of the last call, and, after
 * case_finish, the server's request log. */
typedef struct act_case {
    ag_view *v;
    pols ps;
    fake_server s;
    ag_k8s *k;
    ag_k8s_act_opts o;
    ag_k8s_act_stats st;
    ag_errinfo ei;
    seen sn;
    json_t *log;
} act_case;

/* The view, no policies yet, a server of its own (log logname, extra
 * arguments NULL-terminated or NULL) and a client with the right token. */
static void case_start(act_case *c, const char *logname, const char *const *extra)
{
    memset(c, 0, sizeof *c);
    c->v = make_view();
    server_start(&c->s, logname, extra);
    c->k = fake_server_client(&c->s, TOKEN);
}

/* One actuator call with the case's view, policies and options. */
static ag_err act(act_case *c)
{
    return ag_k8s_actuate(c->k, c->v, c->ps.p, c->ps.n, &c->o, &c->st, &c->ei);
}

/* Fresh options (enabled, decisions to c->sn) and one call that must succeed. */
static void act_ok(act_case *c)
{
    opts(&c->o, &c->sn);
    assert_int_equal(act(c), AG_OK);
}

/* Frees the client, stops the server, reads its log and checks every PATCH. */
static void case_finish(act_case *c)
{
    ag_k8s_free(c->k);
    c->k = NULL;
    fake_server_stop(&c->s);
    c->log = fake_server_read_log(&c->s);
    check_patches(c->log);
}

static void case_free(act_case *c)
{
    json_decref(c->log);
    ag_view_free(c->v);
}

/* ---- cases ------------------------------------------------------------------------ */

static void test_off_by_default(void **state)
{
    act_case c;

    case_start(&c, "off.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_RECREATE, 0.25);
    pol(&c.ps, "Deployment", "api", AG_ACT_INPLACE, 0.75);
    /* The defaults: disabled. */
    ag_k8s_actuate_opts_default(&c.o);
    assert_false(c.o.enable);
    assert_false(c.o.dry_run);
    assert_int_equal(c.o.rules.lifetime_ms, 12 * 3600 * 1000LL);
    memset(&c.sn, 0, sizeof c.sn);
    c.o.on_decision = on_decision;
    c.o.ud = &c.sn;
    memset(&c.st, 0xff, sizeof c.st);
    assert_int_equal(act(&c), AG_OK);
    assert_int_equal(c.st.considered, 0);
    assert_int_equal(c.st.templates_patched + c.st.pods_resized + c.st.errors, 0);
    assert_int_equal(c.sn.n, 0);
    /* Enabled, but the policies do not let augur act. */
    c.ps.p[0].act = 0;
    c.ps.p[1].mode = AG_ACT_OFF;
    act_ok(&c);
    assert_int_equal(c.st.considered, 0);
    assert_int_equal(c.sn.n, 0);
    /* No policy at all. */
    assert_int_equal(ag_k8s_actuate(c.k, c.v, NULL, 0, &c.o, &c.st, &c.ei), AG_OK);
    assert_int_equal(c.st.considered, 0);
    case_finish(&c);
    assert_int_equal(json_array_size(c.log), 0); /* not one request */
    case_free(&c);
}

static void test_recreate(void **state)
{
    act_case c;
    json_t *obj, *cs, *ann, *body;
    const char *a;
    int i;

    case_start(&c, "recreate.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_RECREATE, 0.25);
    pol(&c.ps, "StatefulSet", "cache", AG_ACT_RECREATE, 0.34);
    pol(&c.ps, "DaemonSet", "agent", AG_ACT_RECREATE, 0.34);
    pol(&c.ps, "CronJob", "nightly", AG_ACT_RECREATE, 0.25);
    act_ok(&c);
    assert_int_equal(c.st.considered, 4);
    assert_int_equal(c.st.applied, 4);
    assert_int_equal(c.st.templates_patched, 4);
    assert_int_equal(c.st.pods_resized + c.st.skipped + c.st.errors, 0);
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_string_equal(c.sn.d[i].action, "patch-template");
    assert_int_equal(c.sn.d[i].pods, 4); /* web-canary's pod has the labels, not the owner */
    assert_int_equal(c.sn.d[i].wanting, 4);
    dec(&c.sn, "cache", AG_ACTUATE_APPLIED);
    dec(&c.sn, "agent", AG_ACTUATE_APPLIED);
    dec(&c.sn, "nightly", AG_ACTUATE_APPLIED);

    /* What the server holds: targets, limits at the old ratio, the sidecar as it was. */
    obj = get(c.k, "/apis/apps/v1/namespaces/prod/deployments/web");
    cs = tmpl_containers(obj);
    assert_string_equal(q_of(cs, "app", "requests", "cpu"), "300m");
    assert_string_equal(q_of(cs, "app", "limits", "cpu"), "600m");
    assert_string_equal(q_of(cs, "app", "requests", "memory"), "200Mi");
    assert_string_equal(q_of(cs, "app", "limits", "memory"), "400Mi");
    assert_string_equal(q_of(cs, "log", "requests", "cpu"), "10m");
    assert_null(q_of(cs, "log", "limits", "memory"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation")), 4);
    a = json_string_value(json_object_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "metadata"),
            "annotations"),
        AG_K8S_ACT_ANNOTATION));
    assert_non_null(a);
    ann = json_loads(a, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(ann, "time")), "2024-05-03T12:00:00Z");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(ann, "containers"), "app"), "requests"),
            "cpu")),
        "300m");
    assert_int_equal(json_object_size(json_object_get(ann, "containers")), 1);
    json_decref(ann);
    json_decref(obj);
    obj = get(c.k, "/apis/apps/v1/namespaces/prod/statefulsets/cache");
    cs = tmpl_containers(obj);
    assert_string_equal(q_of(cs, "redis", "requests", "cpu"), "200m");
    assert_null(q_of(cs, "redis", "limits", "cpu")); /* none before, none after */
    assert_string_equal(q_of(cs, "redis", "limits", "memory"), "600Mi");
    json_decref(obj);

    /* Again: the annotation holds these values, nothing is sent (although
     * the rollouts the patches began would block anyway). */
    act_ok(&c);
    assert_int_equal(c.st.templates_patched, 0);
    assert_int_equal(c.st.reasons[AG_ACTUATE_ALREADY], 4);
    dec(&c.sn, "web", AG_ACTUATE_ALREADY);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", NULL), 4);
    assert_int_equal(count(c.log, "PATCH", "/deployments/web"), 1);
    assert_int_equal(count(c.log, "PATCH", "/resize"), 0);
    /* the pod list asked for the Deployment's selector, URL-encoded */
    assert_true(count(c.log, "GET", "/api/v1/namespaces/prod/pods") >= 1);
    /* the CronJob's patch is under spec.jobTemplate.spec.template */
    body = patch_body(c.log, "/cronjobs/nightly", 0);
    cs = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(json_object_get(json_object_get(body, "spec"), "jobTemplate"),
                                "spec"),
                "template"),
            "spec"),
        "containers");
    assert_string_equal(q_of(cs, "report", "requests", "cpu"), "500m");
    assert_string_equal(q_of(cs, "report", "requests", "memory"), "768Mi");
    assert_string_equal(q_of(cs, "report", "limits", "memory"), "1536Mi");
    json_decref(body);
    case_free(&c);
}

static void test_label_selector_query(void **state)
{
    /* The pod list of web carries labelSelector=app=web (encoded). */
    act_case c;
    json_t *e;
    size_t i;
    int found = 0;

    case_start(&c, "selector.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_RECREATE, 0.25);
    opts(&c.o, &c.sn);
    c.o.dry_run = 1;
    assert_int_equal(act(&c), AG_OK);
    case_finish(&c);
    json_array_foreach(c.log, i, e)
    {
        json_t *sel = json_object_get(json_object_get(e, "query"), "labelSelector");
        if (strcmp(json_string_value(json_object_get(e, "path")), "/api/v1/namespaces/prod/pods"))
            continue;
        assert_string_equal(json_string_value(json_array_get(sel, 0)), "app=web");
        found++;
    }
    assert_int_equal(found, 1);
    /* ReplicaSets were read once each for the owner chain */
    assert_int_equal(count(c.log, "GET", "/replicasets/web-6d4b9c7f5"), 1);
    assert_int_equal(count(c.log, "GET", "/replicasets/web-canary-5c8f9"), 1);
    case_free(&c);
}

static void test_gates(void **state)
{
    act_case c;
    int i;

    case_start(&c, "gates.jsonl", NULL);
    pol(&c.ps, "Deployment", "cart", AG_ACT_RECREATE, 0.5);     /* PDB: 0 disruptions */
    pol(&c.ps, "Deployment", "search", AG_ACT_RECREATE, 0.25);  /* maxUnavailable 2 > 1 */
    pol(&c.ps, "Deployment", "legacy", AG_ACT_RECREATE, 0.25);  /* strategy Recreate: all 3 */
    pol(&c.ps, "Deployment", "checkout", AG_ACT_RECREATE, 0.5); /* a rollout in progress */
    act_ok(&c);
    assert_int_equal(c.st.considered, 4);
    assert_int_equal(c.st.skipped, 4);
    assert_int_equal(c.st.blocked_pdb, 1);
    assert_int_equal(c.st.blocked_share, 2);
    assert_int_equal(c.st.reasons[AG_ACTUATE_ROLLOUT], 1);
    assert_int_equal(c.st.templates_patched, 0);
    i = dec(&c.sn, "cart", AG_ACTUATE_PDB);
    assert_non_null(strstr(c.sn.d[i].msg, "cart-pdb"));
    i = dec(&c.sn, "search", AG_ACTUATE_SHARE);
    assert_non_null(strstr(c.sn.d[i].msg, "takes 2 of 4"));
    i = dec(&c.sn, "legacy", AG_ACTUATE_SHARE);
    assert_non_null(strstr(c.sn.d[i].msg, "takes 3 of 3"));
    i = dec(&c.sn, "checkout", AG_ACTUATE_ROLLOUT);
    assert_non_null(strstr(c.sn.d[i].msg, "observedGeneration 4, generation 5"));

    /* A larger share lets search through; cart's budget stays shut. */
    c.ps.n = 0;
    pol(&c.ps, "Deployment", "search", AG_ACT_RECREATE, 0.5);
    pol(&c.ps, "Deployment", "cart", AG_ACT_RECREATE, 1.0);
    act_ok(&c);
    dec(&c.sn, "search", AG_ACTUATE_APPLIED);
    dec(&c.sn, "cart", AG_ACTUATE_PDB);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", NULL), 1);
    assert_int_equal(count(c.log, "PATCH", "/deployments/search"), 1);
    assert_int_equal(count(c.log, "GET", "/poddisruptionbudgets"), 3); /* cart twice, search */
    case_free(&c);
}

static void test_initial(void **state)
{
    act_case c;
    json_t *obj, *cs;

    case_start(&c, "initial.jsonl", NULL);
    pol(&c.ps, "StatefulSet", "db", AG_ACT_INITIAL, 0.25);    /* OnDelete */
    pol(&c.ps, "CronJob", "nightly", AG_ACT_INITIAL, 0.25);   /* its next Jobs */
    pol(&c.ps, "Deployment", "web", AG_ACT_INITIAL, 0.25);    /* would roll out */
    pol(&c.ps, "StatefulSet", "cache", AG_ACT_INITIAL, 0.25); /* RollingUpdate */
    pol(&c.ps, "DaemonSet", "agent", AG_ACT_INITIAL, 0.25);   /* RollingUpdate */
    act_ok(&c);
    assert_int_equal(c.st.considered, 5);
    assert_int_equal(c.st.templates_patched, 2);
    assert_int_equal(c.st.reasons[AG_ACTUATE_INITIAL_ROLLS], 3);
    assert_int_equal(c.st.blocked_pdb, 0); /* db-pdb allows 0, but nothing rolls out */
    dec(&c.sn, "db", AG_ACTUATE_APPLIED);
    dec(&c.sn, "nightly", AG_ACTUATE_APPLIED);
    dec(&c.sn, "web", AG_ACTUATE_INITIAL_ROLLS);
    dec(&c.sn, "cache", AG_ACTUATE_INITIAL_ROLLS);
    dec(&c.sn, "agent", AG_ACTUATE_INITIAL_ROLLS);
    obj = get(c.k, "/apis/apps/v1/namespaces/prod/statefulsets/db");
    cs = tmpl_containers(obj);
    assert_string_equal(q_of(cs, "postgres", "requests", "cpu"), "2");
    assert_string_equal(q_of(cs, "postgres", "requests", "memory"), "3Gi");
    assert_string_equal(q_of(cs, "postgres", "limits", "memory"), "6Gi");
    assert_null(q_of(cs, "postgres", "limits", "cpu"));
    json_decref(obj);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", NULL), 2);
    assert_int_equal(count(c.log, "GET", "/pods"), 0); /* the template decides, no pod list */
    case_free(&c);
}

static double usage_450(void *ud, const char *ns, const char *pod, const char *container)
{
    int *calls = ud;
    (*calls)++;
    return strncmp(pod, "web-", 4) == 0 ? 450 * MIB : NAN;
}

static void test_in_place(void **state)
{
    act_case c;
    json_t *body, *cs, *obj;
    int i;

    case_start(&c, "inplace.jsonl", NULL);
    /* web: 4 pods want, the share (0.25 of 4) allows 1 at once */
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.25);
    /* oomy: young pods in bounds; only the one OOM-killed 3 min after start */
    pol(&c.ps, "Deployment", "oomy", AG_ACT_INPLACE, 1.0);
    /* api: 2 of 4 resizing already (status.resize, PodResizePending); 0.5 -> 2 */
    pol(&c.ps, "Deployment", "api", AG_ACT_INPLACE, 0.5);
    act_ok(&c);
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_string_equal(c.sn.d[i].action, "resize");
    assert_int_equal(c.sn.d[i].resized, 1);
    assert_int_equal(c.sn.d[i].deferred, 3);
    i = dec(&c.sn, "oomy", AG_ACTUATE_APPLIED);
    assert_int_equal(c.sn.d[i].wanting, 1);
    assert_int_equal(c.sn.d[i].resized, 1);
    i = dec(&c.sn, "api", AG_ACTUATE_SHARE);
    assert_int_equal(c.sn.d[i].deferred, 2);
    assert_int_equal(c.st.pods_resized, 2);
    assert_int_equal(c.st.pods_deferred, 5);
    assert_int_equal(c.st.blocked_share, 1);
    assert_int_equal(c.st.templates_patched, 0);
    /* the pod resized holds the new values; the template is unchanged */
    obj = get(c.k, "/api/v1/namespaces/prod/pods/web-6d4b9c7f5-a1x2k");
    cs = json_object_get(json_object_get(obj, "spec"), "containers");
    assert_string_equal(q_of(cs, "app", "requests", "cpu"), "300m");
    assert_string_equal(q_of(cs, "app", "limits", "memory"), "400Mi");
    assert_string_equal(q_of(cs, "log", "requests", "memory"), "32Mi");
    json_decref(obj);
    obj = get(c.k, "/apis/apps/v1/namespaces/prod/deployments/web");
    assert_string_equal(q_of(tmpl_containers(obj), "app", "requests", "cpu"), "100m");
    json_decref(obj);

    /* Next step: web's resize is in flight and uses the share; api with
     * 0.75 (3 of 4) has room for one more: api-c, by name among equals. */
    c.ps.n = 0;
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.25);
    pol(&c.ps, "Deployment", "api", AG_ACT_INPLACE, 0.75);
    act_ok(&c);
    dec(&c.sn, "web", AG_ACTUATE_SHARE);
    i = dec(&c.sn, "api", AG_ACTUATE_APPLIED);
    assert_int_equal(c.sn.d[i].resized, 1);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", "/resize"), 3);
    assert_int_equal(count(c.log, "PATCH", "/pods/web-6d4b9c7f5-a1x2k/resize"), 1);
    assert_int_equal(count(c.log, "PATCH", "/pods/oomy-7d9f8c6b5-x4c6v/resize"), 1);
    assert_int_equal(count(c.log, "PATCH", "/pods/api-7f8d9b6c4-c4k8s/resize"), 1);
    assert_int_equal(count(c.log, "PATCH", "/deployments/"), 0);
    body = patch_body(c.log, "/pods/oomy-7d9f8c6b5-x4c6v/resize", 0);
    cs = json_object_get(json_object_get(body, "spec"), "containers");
    assert_int_equal(json_array_size(cs), 1);
    assert_string_equal(q_of(cs, "app", "requests", "cpu"), "550m");
    assert_string_equal(q_of(cs, "app", "limits", "cpu"), "1100m");
    assert_string_equal(q_of(cs, "app", "requests", "memory"), "300Mi");
    assert_string_equal(q_of(cs, "app", "limits", "memory"), "600Mi");
    json_decref(body);
    case_free(&c);
}

/* A workload scaled to zero in place: nothing to resize, nothing sent
 * (found by fuzz_actuate: the empty candidate list reached qsort). */
static void test_in_place_no_pods(void **state)
{
    act_case c;
    int i;

    (void)state;
    case_start(&c, "nopods.jsonl", NULL);
    pol(&c.ps, "Deployment", "empty", AG_ACT_INPLACE, 0.5);
    act_ok(&c);
    i = dec(&c.sn, "empty", AG_ACTUATE_UP_TO_DATE);
    assert_int_equal(c.sn.d[i].pods, 0);
    assert_non_null(strstr(c.sn.d[i].msg, "0 pods"));
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", NULL), 0);
    case_free(&c);
}

static void test_in_place_memory_held(void **state)
{
    /* The new memory limit (400Mi) is below what web's containers use
     * (450Mi): only CPU is resized in place. */
    act_case c;
    json_t *body, *cs, *res;
    int calls = 0, i;

    case_start(&c, "memheld.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.5);
    opts(&c.o, &c.sn);
    c.o.mem_usage = usage_450;
    c.o.usage_ud = &calls;
    assert_int_equal(act(&c), AG_OK);
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_int_equal(c.sn.d[i].resized, 2);
    assert_non_null(strstr(c.sn.d[i].msg, "memory held"));
    assert_true(calls >= 2);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", "/resize"), 2);
    body = patch_body(c.log, "/resize", 0);
    cs = json_object_get(json_object_get(body, "spec"), "containers");
    res = json_object_get(json_array_get(cs, 0), "resources");
    assert_string_equal(json_string_value(json_object_get(json_object_get(res, "requests"), "cpu")),
                        "300m");
    assert_string_equal(json_string_value(json_object_get(json_object_get(res, "limits"), "cpu")),
                        "600m");
    assert_null(json_object_get(json_object_get(res, "requests"), "memory"));
    assert_null(json_object_get(json_object_get(res, "limits"), "memory"));
    json_decref(body);
    case_free(&c);
}

static void test_resize_unsupported(void **state)
{
    /* A server before 1.33: the first resize answers 404; web goes the
     * Recreate way in the same call, cache (and later calls) without
     * trying a resize again. */
    static const char *const no_resize[] = {"--no-resize", NULL};
    act_case c;
    int i;

    case_start(&c, "noresize.jsonl", no_resize);
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.25);
    pol(&c.ps, "StatefulSet", "cache", AG_ACT_INPLACE, 0.34);
    act_ok(&c);
    assert_int_equal(c.st.resize_fallbacks, 2);
    assert_int_equal(c.st.templates_patched, 2);
    assert_int_equal(c.st.pods_resized, 0);
    assert_int_equal(c.st.errors, 0);
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_string_equal(c.sn.d[i].action, "patch-template");
    dec(&c.sn, "cache", AG_ACTUATE_APPLIED);
    act_ok(&c);
    assert_int_equal(c.st.reasons[AG_ACTUATE_ALREADY], 2);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", "/resize"), 1);
    assert_int_equal(count(c.log, "PATCH", "/deployments/web"), 1);
    assert_int_equal(count(c.log, "PATCH", "/statefulsets/cache"), 1);
    case_free(&c);
}

static void test_dry_run(void **state)
{
    act_case c;
    int i;

    case_start(&c, "dryrun.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_RECREATE, 0.25);
    pol(&c.ps, "Deployment", "api", AG_ACT_INPLACE, 0.75);
    pol(&c.ps, "StatefulSet", "db", AG_ACT_INITIAL, 0.25);
    pol(&c.ps, "CronJob", "nightly", AG_ACT_RECREATE, 0.25);
    pol(&c.ps, "Deployment", "cart", AG_ACT_RECREATE, 0.5);
    opts(&c.o, &c.sn);
    c.o.dry_run = 1;
    assert_int_equal(act(&c), AG_OK);
    assert_int_equal(c.st.templates_patched, 3);
    assert_int_equal(c.st.pods_resized, 1);
    assert_int_equal(c.st.blocked_pdb, 1); /* the gates still apply */
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_true(c.sn.d[i].dry_run);
    assert_non_null(strstr(c.sn.d[i].msg, "would"));
    i = dec(&c.sn, "api", AG_ACTUATE_APPLIED);
    assert_int_equal(c.sn.d[i].resized, 1);
    case_finish(&c);
    assert_int_equal(count(c.log, "PATCH", NULL), 0);
    assert_true(count(c.log, "GET", NULL) > 0);
    case_free(&c);
}

static void test_never_touched(void **state)
{
    act_case c;
    int i;

    case_start(&c, "never.jsonl", NULL);
    pol(&c.ps, "Job", "migrate", AG_ACT_RECREATE, 1.0);
    pol(&c.ps, "Pod", "debug-shell", AG_ACT_INPLACE, 1.0);
    pol(&c.ps, "Deployment", "ghost", AG_ACT_RECREATE, 1.0);
    pol(&c.ps, "Deployment", "quiet", AG_ACT_RECREATE, 1.0);
    act_ok(&c);
    assert_int_equal(c.st.considered, 4);
    assert_int_equal(c.st.skipped, 4);
    assert_int_equal(c.st.reasons[AG_ACTUATE_NEVER_KIND], 2);
    assert_int_equal(c.st.reasons[AG_ACTUATE_GONE], 1);
    assert_int_equal(c.st.reasons[AG_ACTUATE_NO_REC], 1);
    i = dec(&c.sn, "migrate", AG_ACTUATE_NEVER_KIND);
    assert_non_null(strstr(c.sn.d[i].msg, "Job"));
    i = dec(&c.sn, "debug-shell", AG_ACTUATE_NEVER_KIND);
    assert_non_null(strstr(c.sn.d[i].msg, "bare Pod"));
    dec(&c.sn, "ghost", AG_ACTUATE_GONE);
    dec(&c.sn, "quiet", AG_ACTUATE_NO_REC);
    case_finish(&c);
    assert_int_equal(json_array_size(c.log), 1); /* the GET of ghost */
    assert_int_equal(count(c.log, NULL, "migrate"), 0);
    assert_int_equal(count(c.log, NULL, "debug-shell"), 0);
    case_free(&c);
}

/* A workload a VPA manages (its updateMode other than Off; absent is
 * Auto) is left to the VPA: not a request about it. A VPA in Off mode, or
 * one in another namespace, does not stop augur. */
static void test_vpa_managed(void **state)
{
    act_case c;
    json_t *vpas = json_loads(
        "[{\"metadata\": {\"namespace\": \"prod\", \"name\": \"cart-vpa\"},"
        "  \"spec\": {\"targetRef\": {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", "
        "\"name\": \"cart\"}}},"
        " {\"metadata\": {\"namespace\": \"prod\", \"name\": \"web-vpa\"},"
        "  \"spec\": {\"targetRef\": {\"kind\": \"Deployment\", \"name\": \"web\"},"
        "           \"updatePolicy\": {\"updateMode\": \"Off\"}}},"
        " {\"metadata\": {\"namespace\": \"other\", \"name\": \"web-vpa\"},"
        "  \"spec\": {\"targetRef\": {\"kind\": \"Deployment\", \"name\": \"web\"},"
        "           \"updatePolicy\": {\"updateMode\": \"Recreate\"}}}]",
        0, NULL);
    int i;

    (void)state;
    assert_non_null(vpas);
    case_start(&c, "vpa.jsonl", NULL);
    pol(&c.ps, "Deployment", "cart", AG_ACT_INPLACE, 1.0);
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.25);
    opts(&c.o, &c.sn);
    c.o.vpas = vpas;
    assert_int_equal(act(&c), AG_OK);
    i = dec(&c.sn, "cart", AG_ACTUATE_VPA);
    assert_non_null(strstr(c.sn.d[i].msg, "cart-vpa"));
    assert_non_null(strstr(c.sn.d[i].msg, "Auto"));
    i = dec(&c.sn, "web", AG_ACTUATE_APPLIED);
    assert_int_equal(c.sn.d[i].resized, 1);
    assert_int_equal(c.st.reasons[AG_ACTUATE_VPA], 1);
    assert_string_equal(ag_k8s_actuate_reason_name(AG_ACTUATE_VPA), "vpa");
    case_finish(&c);
    assert_int_equal(count(c.log, NULL, "/cart"), 0);
    assert_int_equal(count(c.log, "PATCH", "/pods/web-"), 1);
    case_free(&c);
    json_decref(vpas);
}

static void test_errors(void **state)
{
    /* A wrong token: every workload is an error, the first one returned. */
    act_case c;
    ag_k8s_config cfg;
    char url[64];

    case_start(&c, "errors.jsonl", NULL);
    ag_k8s_free(c.k); /* the case's client, but with another token */
    fake_server_config(&c.s, &cfg, url, sizeof url, "wrong");
    assert_int_equal(ag_k8s_new(&cfg, &c.k, &c.ei), AG_OK);
    pol(&c.ps, "Deployment", "web", AG_ACT_RECREATE, 0.25);
    pol(&c.ps, "StatefulSet", "db", AG_ACT_INITIAL, 0.25);
    opts(&c.o, &c.sn);
    assert_int_equal(act(&c), AG_EHTTP);
    assert_non_null(strstr(c.ei.msg, "HTTP 401"));
    assert_int_equal(c.st.errors, 2);
    dec(&c.sn, "web", AG_ACTUATE_ERROR);
    dec(&c.sn, "db", AG_ACTUATE_ERROR);
    ag_k8s_free(c.k);
    fake_server_stop(&c.s);
    c.log = fake_server_read_log(&c.s); /* no check_patches: the token is wrong */
    assert_int_equal(count(c.log, "PATCH", NULL), 0);
    case_free(&c);
}

static void test_oom(void **state)
{
    /* Every allocation failing in turn (a dry run, so each try sees the
     * same state): a clean AG_ENOMEM, or the error the client makes of a
     * failed body buffer; never a crash or a leak. */
    act_case c;
    long n;

    case_start(&c, "oom.jsonl", NULL);
    pol(&c.ps, "Deployment", "web", AG_ACT_INPLACE, 0.25);
    pol(&c.ps, "StatefulSet", "cache", AG_ACT_RECREATE, 0.34);
    for (n = 1; n < 400; n++) {
        ag_err rc;
        opts(&c.o, &c.sn);
        c.o.dry_run = 1;
        ag__alloc_fail_after(n);
        rc = act(&c);
        ag__alloc_fail_after(0);
        if (rc == AG_OK && c.st.errors == 0)
            break;
        if (rc != AG_ENOMEM && rc != AG_ETOOBIG)
            fail_msg("allocation %ld failing: %s (%s)", n, ag_strerror(rc), c.ei.msg);
    }
    assert_true(n < 400);
    assert_int_equal(c.st.pods_resized, 1);
    assert_int_equal(c.st.templates_patched, 1);
    ag_k8s_free(c.k);
    fake_server_stop(&c.s);
    case_free(&c); /* no log was read */
}

static void test_reason_names(void **state)
{
    assert_string_equal(ag_k8s_actuate_reason_name(AG_ACTUATE_APPLIED), "applied");
    assert_string_equal(ag_k8s_actuate_reason_name(AG_ACTUATE_PDB), "pdb");
    assert_string_equal(ag_k8s_actuate_reason_name(AG_ACTUATE_ERROR), "error");
    assert_string_equal(ag_k8s_actuate_reason_name(AG_ACTUATE_NREASONS), "?");
}

static int setup(void **state)
{
    if (ag_time_parse("2024-05-03T12:00:00Z", &now_ms) != AG_OK)
        return -1;
    return fake_server_mkdtemp(tmpdir, sizeof tmpdir, "/tmp/ag-actuate-test-XXXXXX");
}

static int teardown(void **state)
{
    return fake_server_rmdir(tmpdir); /* AG_K8S_KEEP keeps the request logs for a look */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_off_by_default, fake_server_stop_all),
        cmocka_unit_test_teardown(test_recreate, fake_server_stop_all),
        cmocka_unit_test_teardown(test_label_selector_query, fake_server_stop_all),
        cmocka_unit_test_teardown(test_gates, fake_server_stop_all),
        cmocka_unit_test_teardown(test_initial, fake_server_stop_all),
        cmocka_unit_test_teardown(test_in_place, fake_server_stop_all),
        cmocka_unit_test_teardown(test_in_place_no_pods, fake_server_stop_all),
        cmocka_unit_test_teardown(test_in_place_memory_held, fake_server_stop_all),
        cmocka_unit_test_teardown(test_resize_unsupported, fake_server_stop_all),
        cmocka_unit_test_teardown(test_dry_run, fake_server_stop_all),
        cmocka_unit_test_teardown(test_never_touched, fake_server_stop_all),
        cmocka_unit_test_teardown(test_vpa_managed, fake_server_stop_all),
        cmocka_unit_test_teardown(test_errors, fake_server_stop_all),
        cmocka_unit_test_teardown(test_oom, fake_server_stop_all),
        cmocka_unit_test_teardown(test_reason_names, fake_server_stop_all),
    };

    fake_server_require_python();
    return cmocka_run_group_tests(tests, setup, teardown);
}
