/*
 * k8s/actuate.c - augur applying its own recommendations (off by
 * default; `augur serve --actuate`): the VPA updater's rules
 * (augur/update.h, the simulator's own code) decide per pod, and the
 * AugurPolicy's updateMode says how:
 *
 *   InPlaceOrRecreate  PATCH pods/NAME/resize (Kubernetes 1.33+), at most
 *                      max(1, floor(share x ready pods)) resizing at once;
 *                      a server without the subresource (404/405) is
 *                      remembered and the workload goes the Recreate way;
 *   Recreate           a strategic merge patch of the pod template's
 *                      resources, only with no rollout in progress, every
 *                      matching PodDisruptionBudget allowing a disruption
 *                      and the rollout's maxUnavailable within the share;
 *   Initial            the same patch only where it rolls nothing out
 *                      (OnDelete StatefulSets and DaemonSets, CronJobs).
 *
 * Jobs and bare Pods are never touched: a Job's pod template is
 * immutable and a bare Pod has no controller to recreate it. What augur
 * wrote is kept in the template's augur.dev/applied annotation, so the
 * same values are never patched twice (nor fought over with whoever
 * reverts them). Limits keep the container's limit:request ratio.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"
#include "augur/update.h"
#include "augur/util.h"
#include "k8s/k8s_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SMP "application/strategic-merge-patch+json"
#define DEFAULT_SHARE 0.25

static const char *const res_names[AG_NRES] = {"cpu", "memory"};

static const char *const reason_names[AG_ACTUATE_NREASONS] = {"applied",
                                                              "up to date",
                                                              "never touched",
                                                              "no recommendation",
                                                              "gone",
                                                              "initial would roll out",
                                                              "already applied",
                                                              "rollout in progress",
                                                              "share",
                                                              "pdb",
                                                              "error",
                                                              "vpa"};

const char *ag_k8s_actuate_reason_name(ag_k8s_act_reason r)
{
    return (unsigned)r < AG_ACTUATE_NREASONS ? reason_names[r] : "?";
}

void ag_k8s_actuate_opts_default(ag_k8s_act_opts *o)
{
    memset(o, 0, sizeof *o);
    ag_update_rules_default(&o->rules);
}

/* ---- the workload kinds ------------------------------------------------- */

enum { K_DEPLOY, K_STS, K_DS, K_CRON };

static const struct kind_info {
    const char *kind, *api, *plural;
} kinds[] = {
    [K_DEPLOY] = {"Deployment", "apis/apps/v1", "deployments"},
    [K_STS] = {"StatefulSet", "apis/apps/v1", "statefulsets"},
    [K_DS] = {"DaemonSet", "apis/apps/v1", "daemonsets"},
    [K_CRON] = {"CronJob", "apis/batch/v1", "cronjobs"},
};

/* One container augur manages: the first view rec of that name. */
typedef struct ctr {
    const ag_view_rec *vr;
} ctr;

/* One pod of the workload, as the rules see it. */
typedef struct wpod {
    json_t *obj; /* borrowed from the list */
    const char *name;
    int running, ready, resizing, want;
    ag_update_verdict v;
} wpod;

/* The workload at hand. */
typedef struct wl {
    ag_k8s *k;
    const ag_k8s_act_opts *o;
    ag_k8s_act_stats *st;
    const ag_wpolicy *pol;
    const ag_view_rec *vr0; /* ns, kind, name */
    ctr *c;
    size_t nc;
    int kind;
    int64_t now;
    char path[1024];
    json_t *obj;  /* the workload as read */
    json_t *pods; /* its pods (a JSON array; NULL until listed) */
    wpod *p;      /* of those, the workload's own */
    size_t np;
    ag_k8s_act_decision d;
    ag_err *first; /* the call's first error, its message in ei */
    ag_errinfo *ei;
} wl;

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_t *jpath(const json_t *o, const char *a, const char *b, const char *c)
{
    json_t *x = json_object_get(o, a);
    if (b)
        x = json_object_get(x, b);
    if (c)
        x = json_object_get(x, c);
    return x;
}

static long long jint(const json_t *o, const char *key, long long dflt)
{
    json_t *x = json_object_get(o, key);
    return json_is_integer(x) ? (long long)json_integer_value(x) : dflt;
}

static int64_t jtime(const json_t *o, const char *key)
{
    int64_t t;
    const char *s = jstr(o, key);
    return s && ag_time_parse(s, &t) == AG_OK ? t : INT64_MIN;
}

/* ---- quantities ----------------------------------------------------------- */

static const char *qfmt(int r, double v, char *buf, size_t len)
{
    return r == AG_CPU ? ag_cpu_format(v, buf, len) : ag_mem_format(v, buf, len);
}

/* v as the quantity augur would write, read back (rounded up). */
static double quant(int r, double v)
{
    char q[48];
    double x;
    return isfinite(v) && ag_quantity_parse(qfmt(r, v, q, sizeof q), &x) == AG_OK ? x : NAN;
}

static double qval(const json_t *m, int r)
{
    json_t *q = json_object_get(m, res_names[r]);
    double v;

    if (json_is_number(q))
        return json_number_value(q);
    if (json_is_string(q) && ag_quantity_parse(json_string_value(q), &v) == AG_OK)
        return v;
    return NAN;
}

/* A container's requests and limits (NAN: none). A limit of 0 is none; a
 * request left out where a limit is set is the limit, as the API server
 * defaults it. */
static void read_res(const json_t *c, double req[AG_NRES], double lim[AG_NRES])
{
    json_t *res = json_object_get(c, "resources");

    for (int r = 0; r < AG_NRES; r++) {
        req[r] = qval(json_object_get(res, "requests"), r);
        lim[r] = qval(json_object_get(res, "limits"), r);
        if (!(lim[r] > 0))
            lim[r] = NAN;
        if (!isfinite(req[r]) && isfinite(lim[r]))
            req[r] = lim[r];
    }
}

/* What augur writes for container vr with current req/lim: per resource
 * with a usable recommendation the target as written and the limit that
 * keeps the ratio (NAN: none); NAN targets where nothing is written. */
static void values(const ag_view_rec *vr, const double req[AG_NRES], const double lim[AG_NRES],
                   double treq[AG_NRES], double tlim[AG_NRES])
{
    for (int r = 0; r < AG_NRES; r++) {
        double t = vr->rec.res[r].target, l;
        treq[r] = tlim[r] = NAN;
        if (vr->rec.status[r] != AG_REC_OK || !(isfinite(t) && t > 0))
            continue;
        treq[r] = quant(r, t);
        l = ag_update_keep_ratio(treq[r], req[r], lim[r]);
        if (!isfinite(l) && isfinite(lim[r])) /* a request of 0 with a limit: keep it */
            l = lim[r] < treq[r] ? treq[r] : lim[r];
        tlim[r] = isfinite(l) ? quant(r, l) : NAN;
    }
}

static const ctr *ctr_of(const wl *w, const char *name)
{
    for (size_t i = 0; name && i < w->nc; i++)
        if (strcmp(w->c[i].vr->container, name) == 0)
            return &w->c[i];
    return NULL;
}

/* The rules' input for the containers of a pod spec (or template spec):
 * n entries at most cap. */
static size_t rules_input(const wl *w, const json_t *spec, ag_update_res *u, size_t cap)
{
    json_t *cs = json_object_get(spec, "containers"), *c;
    size_t i, n = 0;

    json_array_foreach(cs, i, c)
    {
        const ctr *x = ctr_of(w, jstr(c, "name"));
        double req[AG_NRES], lim[AG_NRES], treq[AG_NRES], tlim[AG_NRES];
        if (!x)
            continue;
        read_res(c, req, lim);
        values(x->vr, req, lim, treq, tlim);
        for (int r = 0; r < AG_NRES && n < cap; r++) {
            const ag_rec_res *rr = &x->vr->rec.res[r];
            if (!isfinite(treq[r]))
                continue;
            u[n].request = req[r];
            u[n].limit = lim[r];
            u[n].target = treq[r];
            u[n].tlimit = tlim[r];
            u[n].lower = isfinite(rr->lower) ? rr->lower : rr->target;
            u[n].upper = isfinite(rr->upper) ? rr->upper : rr->target;
            n++;
        }
    }
    return n;
}

/* The policy's maxUnavailableShare (the CRD's default when unset). */
static double share_of(const wl *w)
{
    double s = w->pol->max_unavailable_share;
    return isfinite(s) && s >= 0 ? s : DEFAULT_SHARE;
}

/* ---- decisions ------------------------------------------------------------ */

static void decide(wl *w, ag_k8s_act_reason reason, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void decide(wl *w, ag_k8s_act_reason reason, const char *action, const char *fmt, ...)
{
    va_list ap;

    w->d.reason = reason;
    w->d.action = action;
    va_start(ap, fmt);
    vsnprintf(w->d.msg, sizeof w->d.msg, fmt, ap);
    va_end(ap);
}

static void report(wl *w)
{
    ag_k8s_act_stats *st = w->st;

    st->reasons[w->d.reason]++;
    if (w->d.reason == AG_ACTUATE_APPLIED)
        st->applied++;
    else
        st->skipped++;
    st->pods_resized += w->d.resized;
    st->pods_deferred += w->d.deferred;
    if (w->d.reason == AG_ACTUATE_APPLIED && strcmp(w->d.action, "patch-template") == 0)
        st->templates_patched++;
    st->blocked_pdb = st->reasons[AG_ACTUATE_PDB];
    st->blocked_share = st->reasons[AG_ACTUATE_SHARE];
    st->errors = st->reasons[AG_ACTUATE_ERROR];
    if (w->o->on_decision)
        w->o->on_decision(w->o->ud, &w->d);
}

/* An API error: the decision says so; the first one is the call's. */
static void api_error(wl *w, ag_err rc, const ag_errinfo *one)
{
    decide(w, AG_ACTUATE_ERROR, "none", "%.240s", one->msg[0] ? one->msg : ag_strerror(rc));
    if (*w->first == AG_OK) {
        *w->first = rc;
        ag_errinfo_set(w->ei, "%s", one->msg[0] ? one->msg : ag_strerror(rc));
    }
}

/* ---- label selectors, for the pod list ------------------------------------ */

static ag_err url_escape(ag_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    ag_err rc = AG_OK;

    for (; *s && rc == AG_OK; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            rc = ag__buf_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = ag__buf_append(b, e, 3);
        }
    }
    return rc;
}

/* ---- pods ------------------------------------------------------------------ */

static int cond_true(const json_t *pod, const char *type)
{
    json_t *cs = jpath(pod, "status", "conditions", NULL), *c;
    size_t i;

    json_array_foreach(cs, i, c)
    {
        const char *t = jstr(c, "type"), *s = jstr(c, "status");
        if (t && s && strcmp(t, type) == 0 && strcmp(s, "True") == 0)
            return 1;
    }
    return 0;
}

/* The time from a container's start to its OOM kill, shortest over the
 * pod's containers' last terminations (INT64_MAX: none). */
static int64_t quick_oom(const json_t *pod)
{
    json_t *cs = jpath(pod, "status", "containerStatuses", NULL), *c;
    int64_t best = INT64_MAX;
    size_t i;

    json_array_foreach(cs, i, c)
    {
        json_t *t = jpath(c, "lastState", "terminated", NULL);
        const char *why = jstr(t, "reason");
        int64_t a = jtime(t, "startedAt"), b = jtime(t, "finishedAt");
        if (why && strcmp(why, "OOMKilled") == 0 && a != INT64_MIN && b != INT64_MIN &&
            b - a < best)
            best = b - a;
    }
    return best;
}

typedef struct rs_seen {
    char name[AG_VIEW_NAME];
    int mine;
} rs_seen;

/* Whether pod belongs to the workload: its controller is the workload
 * (StatefulSet, DaemonSet) or, for a Deployment, its ReplicaSet's owner
 * is (each ReplicaSet resolved once). */
static ag_err owned(wl *w, json_t *pod, rs_seen **seen, size_t *nseen, size_t *cap, int *mine,
                    ag_errinfo *ei)
{
    json_t *refs = jpath(pod, "metadata", "ownerReferences", NULL), *ref = NULL, *r;
    const char *rk, *rn;
    char kind[64], name[AG_VIEW_NAME];
    size_t i;
    ag_err rc;

    *mine = 0;
    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            ref = r;
    }
    if (!ref || !(rk = jstr(ref, "kind")) || !(rn = jstr(ref, "name")))
        return AG_OK;
    if (strcmp(rk, w->vr0->kind) == 0) {
        *mine = strcmp(rn, w->vr0->name) == 0;
        return AG_OK;
    }
    if (w->kind != K_DEPLOY || strcmp(rk, "ReplicaSet") != 0)
        return AG_OK;
    for (i = 0; i < *nseen; i++)
        if (strcmp((*seen)[i].name, rn) == 0) {
            *mine = (*seen)[i].mine;
            return AG_OK;
        }
    if ((rc = ag_k8s_pod_owner(w->k, pod, kind, sizeof kind, name, sizeof name, ei)) != AG_OK)
        return rc;
    *mine = strcmp(kind, "Deployment") == 0 && strcmp(name, w->vr0->name) == 0;
    if (ag__grow((void **)seen, cap, *nseen + 1, sizeof **seen) != 0)
        return AG_ENOMEM;
    snprintf((*seen)[*nseen].name, sizeof(*seen)[0].name, "%s", rn);
    (*seen)[(*nseen)++].mine = *mine;
    return AG_OK;
}

/* Lists the workload's pods (spec.selector.matchLabels as labelSelector,
 * then the owner chain) and runs the rules on each running one. */
static ag_err list_pods(wl *w, ag_errinfo *ei)
{
    json_t *ml = jpath(w->obj, "spec", "selector", "matchLabels"), *val, *item;
    const char *key;
    rs_seen *seen = NULL;
    size_t nseen = 0, cap = 0, i, nu = 0, ucap = 0;
    ag_update_res *u = NULL;
    ag_buf p, sel;
    int first = 1;
    ag_err rc;

    ag__buf_init(&p, 1u << 16);
    ag__buf_init(&sel, 1u << 15);
    rc = ag__buf_printf(&p, "/api/v1/namespaces/%s/pods", w->vr0->ns);
    json_object_foreach(ml, key, val)
    {
        if (rc == AG_OK && json_is_string(val)) {
            rc = ag__buf_printf(&sel, "%s%s=%s", first ? "" : ",", key, json_string_value(val));
            first = 0;
        }
    }
    if (rc == AG_OK && sel.len) {
        rc = ag__buf_puts(&p, "?labelSelector=");
        if (rc == AG_OK)
            rc = url_escape(&p, sel.p);
    }
    if (rc == AG_OK)
        rc = ag_k8s_list(w->k, p.p, &w->pods, NULL, 0, ei);
    if (rc == AG_OK && json_array_size(w->pods) &&
        !(w->p = ag__calloc(json_array_size(w->pods), sizeof *w->p)))
        rc = AG_ENOMEM;
    json_array_foreach(w->pods, i, item)
    {
        wpod *x;
        int mine;
        size_t n, need;
        int64_t start;
        const char *rs;
        if (rc != AG_OK)
            break;
        if ((rc = owned(w, item, &seen, &nseen, &cap, &mine, ei)) != AG_OK || !mine)
            continue;
        if (!jstr(json_object_get(item, "metadata"), "name"))
            continue;
        x = &w->p[w->np++];
        x->obj = item;
        x->name = jstr(json_object_get(item, "metadata"), "name");
        x->running = !json_object_get(json_object_get(item, "metadata"), "deletionTimestamp") &&
                     jstr(json_object_get(item, "status"), "phase") &&
                     strcmp(jstr(json_object_get(item, "status"), "phase"), "Running") == 0;
        x->ready = x->running && cond_true(item, "Ready");
        rs = jstr(json_object_get(item, "status"), "resize");
        x->resizing = (rs && (strcmp(rs, "Proposed") == 0 || strcmp(rs, "InProgress") == 0)) ||
                      cond_true(item, "PodResizePending") || cond_true(item, "PodResizeInProgress");
        if (!x->running)
            continue;
        need = json_array_size(jpath(item, "spec", "containers", NULL)) * AG_NRES;
        if (need > ucap) {
            ag__free(u);
            ucap = 0;
            if (!(u = ag__malloc(need * sizeof *u))) {
                rc = AG_ENOMEM;
                break;
            }
            ucap = need;
        }
        n = rules_input(w, json_object_get(item, "spec"), u, ucap);
        start = jtime(json_object_get(item, "status"), "startTime");
        x->want = ag_update_wants(&w->o->rules, u, n, start == INT64_MIN ? 0 : w->now - start,
                                  quick_oom(item), &x->v);
        nu += x->want;
    }
    w->d.pods = (unsigned)w->np;
    w->d.wanting = (unsigned)nu;
    ag__free(u);
    ag__free(seen);
    ag__buf_free(&p);
    ag__buf_free(&sel);
    return rc;
}

/* ---- in place --------------------------------------------------------------- */

static int pod_cmp(const void *a, const void *b)
{
    const wpod *x = *(wpod *const *)a, *y = *(wpod *const *)b;
    int c = ag_update_cmp(&x->v, &y->v);

    if (c)
        return c;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static json_t *qjson(int r, double v)
{
    char q[48];
    return json_string(qfmt(r, v, q, sizeof q));
}

/* The resize body for one pod: {"spec":{"containers":[...]}} with the
 * resources that change. Memory is left out where its new limit is below
 * what the container uses (unknown use: below its current limit), as
 * the kubelet would defer it; so is a resource the container does not
 * request (its QoS class would change, which a resize may not). NULL
 * with *oom clear when nothing changes; *mem_held counts what was left. */
static json_t *resize_body(const wl *w, const wpod *x, int *oom, unsigned *mem_held)
{
    json_t *cs = jpath(x->obj, "spec", "containers", NULL), *c, *out = json_array(), *body;
    size_t i;

    *oom = 0;
    if (!out)
        goto nomem;
    json_array_foreach(cs, i, c)
    {
        const char *name = jstr(c, "name");
        const ctr *m = ctr_of(w, name);
        double req[AG_NRES], lim[AG_NRES], treq[AG_NRES], tlim[AG_NRES];
        json_t *rq, *lm, *e;
        if (!m)
            continue;
        read_res(c, req, lim);
        values(m->vr, req, lim, treq, tlim);
        e = json_pack("{s:s, s:{s:{}, s:{}}}", "name", name, "resources", "requests", "limits");
        if (!e || json_array_append_new(out, e) != 0)
            goto nomem;
        rq = json_object_get(json_object_get(e, "resources"), "requests");
        lm = json_object_get(json_object_get(e, "resources"), "limits");
        for (int r = 0; r < AG_NRES; r++) {
            int same_lim = tlim[r] == lim[r] || (isnan(tlim[r]) && isnan(lim[r]));
            if (!isfinite(treq[r]) || !isfinite(req[r]) || (treq[r] == req[r] && same_lim))
                continue;
            if (r == AG_MEMORY && isfinite(tlim[r])) {
                double use = w->o->mem_usage
                                 ? w->o->mem_usage(w->o->usage_ud, w->vr0->ns, x->name, name)
                                 : NAN;
                if (isfinite(use) ? tlim[r] < use : isfinite(lim[r]) && tlim[r] < lim[r]) {
                    (*mem_held)++;
                    continue;
                }
            }
            if (json_object_set_new(rq, res_names[r], qjson(r, treq[r])) != 0 ||
                (isfinite(tlim[r]) &&
                 json_object_set_new(lm, res_names[r], qjson(r, tlim[r])) != 0))
                goto nomem;
        }
        if (!json_object_size(lm))
            json_object_del(json_object_get(e, "resources"), "limits");
        if (!json_object_size(rq))
            json_array_remove(out, json_array_size(out) - 1);
    }
    if (!json_array_size(out)) {
        json_decref(out);
        return NULL;
    }
    if (!(body = json_pack("{s:{s:o}}", "spec", "containers", out)))
        goto nomem;
    return body;
nomem:
    json_decref(out);
    *oom = 1;
    return NULL;
}

/* Whether a 404 says the pod itself is gone (`pods "NAME" not found`),
 * not the resize subresource. */
static int pod_gone(const ag_errinfo *one, const char *name)
{
    char want[AG_VIEW_NAME + 32];

    snprintf(want, sizeof want, "pods \"%s\" not found", name);
    return strstr(one->msg, want) != NULL;
}

/* InPlaceOrRecreate: resizes the pods the rules want, scale-ups first,
 * within the share. Returns AG_OK with the decision made, or an error;
 * *fallback set when the server has no resize subresource. */
static ag_err in_place(wl *w, int *fallback, ag_errinfo *ei)
{
    wpod **cand = NULL;
    size_t nc = 0, ready = 0, inflight = 0, i;
    unsigned mem_held = 0, tried = 0;
    long budget;
    ag_err rc;

    *fallback = 0;
    if ((rc = list_pods(w, ei)) != AG_OK)
        return rc;
    if (w->np && !(cand = ag__malloc(w->np * sizeof *cand)))
        return AG_ENOMEM;
    for (i = 0; i < w->np; i++) {
        ready += w->p[i].ready;
        inflight += w->p[i].resizing;
        if (w->p[i].running && w->p[i].want && !w->p[i].resizing)
            cand[nc++] = &w->p[i];
    }
    if (nc) /* cand is NULL without pods: qsort must not see it */
        qsort(cand, nc, sizeof *cand, pod_cmp);
    budget = ag_update_budget(share_of(w), ready) - (long)inflight;
    if (!nc) {
        decide(w, AG_ACTUATE_UP_TO_DATE, "none", "no pod wants an update (%zu pods)", w->np);
        goto out;
    }
    if (budget <= 0) {
        w->d.deferred = (unsigned)nc;
        decide(w, AG_ACTUATE_SHARE, "none",
               "%zu pods resizing already, the share allows %ld of %zu ready", inflight,
               budget + (long)inflight, ready);
        goto out;
    }
    for (i = 0; i < nc && (long)tried < budget; i++) {
        char path[1024];
        int oom;
        json_t *body = resize_body(w, cand[i], &oom, &mem_held);
        char *text;
        long status = 0;
        ag_errinfo one = {{0}};

        if (oom) {
            rc = AG_ENOMEM;
            goto out;
        }
        if (!body)
            continue; /* only a memory limit below use: nothing to do in place */
        tried++;
        if (w->o->dry_run) {
            json_decref(body);
            w->d.resized++;
            continue;
        }
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!text) {
            rc = AG_ENOMEM;
            goto out;
        }
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/resize", w->vr0->ns,
                 cand[i]->name);
        rc = ag_k8s_request(w->k, "PATCH", path, SMP, text, &status, NULL, &one);
        free(text);
        if (rc == AG_EHTTP && status == 404 && pod_gone(&one, cand[i]->name)) {
            rc = AG_OK;
            continue; /* deleted meanwhile */
        }
        if (rc == AG_EHTTP && (status == 404 || status == 405)) {
            /* No resize subresource (before 1.33, or the feature off). */
            *ag__k8s_facts(w->k) |= AG__K8S_NO_RESIZE;
            *fallback = 1;
            rc = AG_OK;
            goto out;
        }
        if (rc != AG_OK) {
            if (rc == AG_ENOMEM)
                goto out;
            api_error(w, rc, &one);
            rc = AG_OK;
            goto out;
        }
        w->d.resized++;
    }
    w->d.deferred = (unsigned)(nc - i);
    if (w->d.resized)
        decide(w, AG_ACTUATE_APPLIED, "resize", "%s%u of %zu pods resized in place%s%s",
               w->o->dry_run ? "would have: " : "", w->d.resized, nc,
               w->d.deferred ? ", the rest later (share)" : "",
               mem_held ? ", memory held (limit below use)" : "");
    else
        decide(w, AG_ACTUATE_UP_TO_DATE, "none",
               "%zu pods want an update, nothing to change in place (memory limit below use, "
               "or a resource not requested)",
               nc);
out:
    ag__free(cand);
    return rc;
}

/* ---- the pod template --------------------------------------------------------- */

/* The pod template in the workload. */
static json_t *template_of(const wl *w)
{
    if (w->kind == K_CRON)
        return json_object_get(jpath(w->obj, "spec", "jobTemplate", "spec"), "template");
    return jpath(w->obj, "spec", "template", NULL);
}

/* Replicas the rollout covers. */
static long long desired(const wl *w)
{
    if (w->kind == K_DS)
        return jint(json_object_get(w->obj, "status"), "desiredNumberScheduled", 0);
    return jint(json_object_get(w->obj, "spec"), "replicas", 1);
}

/* An int-or-percent of total, rounded up or down as the controllers do;
 * dflt when absent. */
static long long scaled(const json_t *x, long long total, int up, long long dflt)
{
    const char *s = json_string_value(x);
    char *end;
    long long v;

    if (json_is_integer(x))
        return (long long)json_integer_value(x);
    if (!s)
        return dflt;
    v = strtoll(s, &end, 10);
    if (end == s)
        return dflt;
    if (*end != '%')
        return v;
    return up ? (v * total + 99) / 100 : v * total / 100;
}

/* Whether a template change rolls pods out (it does not for OnDelete
 * StatefulSets and DaemonSets, nor for CronJobs: their next Jobs). */
static int rolls_out(const wl *w)
{
    const char *t = jstr(jpath(w->obj, "spec", "updateStrategy", NULL), "type");

    if (w->kind == K_CRON)
        return 0;
    return !(w->kind != K_DEPLOY && t && strcmp(t, "OnDelete") == 0);
}

/* How many pods the rollout takes down at once: a Deployment's resolved
 * maxUnavailable (percent rounded down, and 1 when it and maxSurge are
 * both 0; strategy Recreate: all), a StatefulSet's or DaemonSet's (default
 * 1, percent rounded up). */
static long long rollout_unavailable(const wl *w, long long n)
{
    json_t *s = jpath(w->obj, "spec", w->kind == K_DEPLOY ? "strategy" : "updateStrategy", NULL);
    json_t *ru = json_object_get(s, "rollingUpdate");
    const char *t = jstr(s, "type");
    long long mu, ms;

    if (w->kind == K_DEPLOY) {
        if (t && strcmp(t, "Recreate") == 0)
            return n;
        mu = scaled(json_object_get(ru, "maxUnavailable"), n, 0, -1);
        if (mu < 0)
            mu = n * 25 / 100;
        ms = scaled(json_object_get(ru, "maxSurge"), n, 1, -1);
        if (ms < 0)
            ms = (n * 25 + 99) / 100;
        return mu == 0 && ms == 0 ? 1 : mu;
    }
    mu = scaled(json_object_get(ru, "maxUnavailable"), n, 1, 1);
    if (w->kind == K_STS && mu < 1)
        mu = 1;
    return mu;
}

/* Whether a rollout is in progress: the controller has not seen the last
 * change, or not every replica is updated and ready. */
static int rolling(const wl *w, char *why, size_t len)
{
    json_t *md = json_object_get(w->obj, "metadata"), *st = json_object_get(w->obj, "status");
    long long gen = jint(md, "generation", 0), og = jint(st, "observedGeneration", 0);
    long long n = desired(w), upd, rdy;

    if (w->kind == K_DS) {
        upd = jint(st, "updatedNumberScheduled", 0);
        rdy = jint(st, "numberReady", 0);
    } else {
        upd = jint(st, "updatedReplicas", 0);
        rdy = jint(st, "readyReplicas", 0);
    }
    if (og != gen)
        snprintf(why, len, "observedGeneration %lld, generation %lld", og, gen);
    else if (upd != n || rdy != n)
        snprintf(why, len, "%lld updated, %lld ready of %lld", upd, rdy, n);
    else
        return 0;
    return 1;
}

/* The first PodDisruptionBudget of the namespace that selects the
 * template's labels and allows no disruption now: its name in name. */
static ag_err pdb_blocks(wl *w, const json_t *labels, char *name, size_t len, int *blocked,
                         ag_errinfo *ei)
{
    char path[600];
    json_t *items = NULL, *pdb;
    size_t i;
    ag_err rc;

    *blocked = 0;
    snprintf(path, sizeof path, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets", w->vr0->ns);
    if ((rc = ag_k8s_list(w->k, path, &items, NULL, 0, ei)) != AG_OK)
        return rc;
    json_array_foreach(items, i, pdb)
    {
        json_t *sel = jpath(pdb, "spec", "selector", NULL);
        ag_k8s_selector *s = NULL;
        int match = 1;
        if (!json_is_object(sel))
            continue; /* policy/v1: a null selector selects no pod */
        rc = ag_k8s_selector_parse(sel, "spec.selector", &s, NULL);
        if (rc == AG_ENOMEM)
            break;
        if (rc == AG_OK)
            match = ag_k8s_selector_matches(s, labels);
        /* else: invalid (the API server validates it): assume it applies */
        rc = AG_OK;
        ag_k8s_selector_free(s);
        if (match && jint(json_object_get(pdb, "status"), "disruptionsAllowed", 0) < 1) {
            snprintf(name, len, "%s", jstr(json_object_get(pdb, "metadata"), "name"));
            *blocked = 1;
            break;
        }
    }
    json_decref(items);
    return rc;
}

/* The template's containers as augur writes them (containers[] for the
 * patch, applied{} for the annotation) and the rules' verdict on the
 * template itself; *same when the template already holds them all. */
static ag_err template_values(const wl *w, const json_t *tspec, json_t **containers,
                              json_t **applied, int *same)
{
    json_t *cs = json_object_get(tspec, "containers"), *c;
    size_t i;

    *same = 1;
    *containers = json_array();
    *applied = json_object();
    if (!*containers || !*applied)
        goto nomem;
    json_array_foreach(cs, i, c)
    {
        const char *name = jstr(c, "name");
        const ctr *m = ctr_of(w, name);
        double req[AG_NRES], lim[AG_NRES], treq[AG_NRES], tlim[AG_NRES];
        json_t *rq, *lm, *res, *e;
        if (!m)
            continue;
        read_res(c, req, lim);
        values(m->vr, req, lim, treq, tlim);
        if (!(res = json_pack("{s:{}, s:{}}", "requests", "limits")))
            goto nomem;
        rq = json_object_get(res, "requests");
        lm = json_object_get(res, "limits");
        for (int r = 0; r < AG_NRES; r++) {
            if (!isfinite(treq[r]))
                continue;
            if (treq[r] != req[r] || !(tlim[r] == lim[r] || (isnan(tlim[r]) && isnan(lim[r]))))
                *same = 0;
            if (json_object_set_new(rq, res_names[r], qjson(r, treq[r])) != 0 ||
                (isfinite(tlim[r]) &&
                 json_object_set_new(lm, res_names[r], qjson(r, tlim[r])) != 0))
                goto nomem_res;
        }
        if (!json_object_size(rq)) {
            json_decref(res);
            continue;
        }
        if (!json_object_size(lm))
            json_object_del(res, "limits");
        if (json_object_set(*applied, name, res) != 0)
            goto nomem_res;
        e = json_pack("{s:s, s:o}", "name", name, "resources", res);
        if (!e || json_array_append_new(*containers, e) != 0)
            goto nomem;
        continue;
    nomem_res:
        json_decref(res);
        goto nomem;
    }
    return AG_OK;
nomem:
    json_decref(*containers);
    json_decref(*applied);
    *containers = *applied = NULL;
    return AG_ENOMEM;
}

/* Whether the template's augur.dev/applied annotation holds applied. */
static int already(const json_t *tmpl, const json_t *applied)
{
    const char *a = jstr(jpath(tmpl, "metadata", "annotations", NULL), AG_K8S_ACT_ANNOTATION);
    json_t *j = a ? json_loads(a, 0, NULL) : NULL;
    int eq = json_equal(json_object_get(j, "containers"), applied);

    json_decref(j);
    return eq;
}

/* The strategic merge patch of the template: containers and the
 * annotation, under spec.template (a CronJob's spec.jobTemplate.spec.template). */
static char *template_patch(const wl *w, json_t *containers, json_t *applied)
{
    char when[40];
    json_t *ann = json_pack("{s:s, s:O}", "time", ag_time_format(w->now, when, sizeof when),
                            "containers", applied);
    char *annot = ann ? json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS) : NULL, *text = NULL;
    json_t *t, *body;

    json_decref(ann);
    if (!annot)
        return NULL;
    t = json_pack("{s:{s:{s:s}}, s:{s:O}}", "metadata", "annotations", AG_K8S_ACT_ANNOTATION, annot,
                  "spec", "containers", containers);
    free(annot);
    if (!t)
        return NULL;
    if (w->kind == K_CRON)
        body = json_pack("{s:{s:{s:{s:o}}}}", "spec", "jobTemplate", "spec", "template", t);
    else
        body = json_pack("{s:{s:o}}", "spec", "template", t);
    if (body)
        text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* Initial, Recreate, and InPlaceOrRecreate without resize: patch the pod
 * template, behind the gates. */
static ag_err template_path(wl *w, ag_errinfo *ei)
{
    json_t *tmpl = template_of(w), *containers = NULL, *applied = NULL;
    int same, mode = w->pol->mode, rollout = rolls_out(w), blocked;
    char why[160], *text = NULL;
    ag_err rc;

    if (mode == AG_ACT_INITIAL && rollout) {
        decide(w, AG_ACTUATE_INITIAL_ROLLS, "none",
               "Initial: a template change would roll the %s out (only OnDelete StatefulSets "
               "and DaemonSets, and CronJobs)",
               w->vr0->kind);
        return AG_OK;
    }
    if (!json_is_object(tmpl)) {
        decide(w, AG_ACTUATE_NO_REC, "none", "no pod template");
        return AG_OK;
    }
    if ((rc = template_values(w, json_object_get(tmpl, "spec"), &containers, &applied, &same)) !=
        AG_OK)
        return rc;
    if (!json_array_size(containers)) {
        decide(w, AG_ACTUATE_NO_REC, "none", "no recommended container in the pod template");
        goto out;
    }
    if (already(tmpl, applied)) {
        decide(w, AG_ACTUATE_ALREADY, "none", "the template holds what augur wrote last");
        goto out;
    }
    if (same) {
        decide(w, AG_ACTUATE_UP_TO_DATE, "none", "the template has these values already");
        goto out;
    }
    if (rollout || (mode != AG_ACT_INITIAL && w->kind != K_CRON)) {
        /* the pods decide: the updater's rules */
        if ((rc = list_pods(w, ei)) != AG_OK)
            goto out;
        if (!w->d.wanting) {
            decide(w, AG_ACTUATE_UP_TO_DATE, "none", "no pod wants an update (%zu pods)", w->np);
            goto out;
        }
    } else {
        /* nothing rolls out: the template as a pod of age infinity */
        ag_update_res u[64];
        size_t n = rules_input(w, json_object_get(tmpl, "spec"), u, 64);
        if (!ag_update_wants(&w->o->rules, u, n, INT64_MAX, INT64_MAX, NULL)) {
            decide(w, AG_ACTUATE_UP_TO_DATE, "none",
                   "the template is within the rules (bounds, 10%%)");
            goto out;
        }
    }
    if (rollout) {
        long long n = desired(w), mu = rollout_unavailable(w, n);
        long budget = ag_update_budget(share_of(w), n > 0 ? (size_t)n : 0);
        if (rolling(w, why, sizeof why)) {
            decide(w, AG_ACTUATE_ROLLOUT, "none", "rollout in progress: %s", why);
            goto out;
        }
        if (mu > budget) {
            decide(w, AG_ACTUATE_SHARE, "none",
                   "the rollout takes %lld of %lld pods at once, the share allows %ld", mu, n,
                   budget);
            goto out;
        }
        if ((rc = pdb_blocks(w, jpath(tmpl, "metadata", "labels", NULL), why, sizeof why, &blocked,
                             ei)) != AG_OK)
            goto out;
        if (blocked) {
            decide(w, AG_ACTUATE_PDB, "none", "PodDisruptionBudget %s allows no disruption", why);
            goto out;
        }
    }
    if (!(text = template_patch(w, containers, applied))) {
        rc = AG_ENOMEM;
        goto out;
    }
    if (!w->o->dry_run) {
        long status = 0;
        ag_errinfo one = {{0}};
        rc = ag_k8s_request(w->k, "PATCH", w->path, SMP, text, &status, NULL, &one);
        if (rc == AG_EHTTP && status == 404) {
            decide(w, AG_ACTUATE_GONE, "none", "%s/%s is gone", w->vr0->kind, w->vr0->name);
            rc = AG_OK;
            goto out;
        }
        if (rc != AG_OK && rc != AG_ENOMEM) {
            api_error(w, rc, &one);
            rc = AG_OK;
            goto out;
        }
        if (rc != AG_OK)
            goto out;
    }
    decide(w, AG_ACTUATE_APPLIED, "patch-template", "%spod template patched%s",
           w->o->dry_run ? "would have: " : "", rollout ? " (it rolls out)" : " (new pods only)");
out:
    free(text);
    json_decref(containers);
    json_decref(applied);
    return rc;
}

/* ---- one workload ---------------------------------------------------------- */

static int kind_index(const char *kind)
{
    for (int i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return i;
    return -1;
}

/* The VPA of vpas that manages ns/kind/name (targets it with an update
 * mode other than Off; absent is Auto), or NULL. *mode: its mode. */
static const json_t *managing_vpa(const json_t *vpas, const char *ns, const char *kind,
                                  const char *name, const char **mode)
{
    size_t i;
    const json_t *v;

    json_array_foreach(vpas, i, v)
    {
        const json_t *ref = json_object_get(json_object_get(v, "spec"), "targetRef");
        const char *vns =
            json_string_value(json_object_get(json_object_get(v, "metadata"), "namespace"));
        const char *k = json_string_value(json_object_get(ref, "kind"));
        const char *n = json_string_value(json_object_get(ref, "name"));
        const char *m = json_string_value(json_object_get(
            json_object_get(json_object_get(v, "spec"), "updatePolicy"), "updateMode"));
        if (!vns || !k || !n || strcmp(vns, ns) || strcmp(k, kind) || strcmp(n, name))
            continue;
        *mode = m ? m : "Auto";
        if (strcmp(*mode, "Off") != 0)
            return v;
    }
    return NULL;
}

static ag_err one_workload(wl *w)
{
    ag_errinfo one = {{0}};
    long status = 0;
    int fallback = 0;
    ag_err rc;

    w->kind = kind_index(w->vr0->kind);
    if (w->kind < 0) {
        decide(w, AG_ACTUATE_NEVER_KIND, "none", "%s",
               strcmp(w->vr0->kind, "Job") == 0
                   ? "a Job: its pod template is immutable and its pods run to completion"
               : strcmp(w->vr0->kind, "Pod") == 0 ? "a bare Pod: no controller would recreate it"
                                                  : "a kind augur does not change");
        return AG_OK;
    }
    if (!w->nc) {
        decide(w, AG_ACTUATE_NO_REC, "none", "no container with a usable recommendation");
        return AG_OK;
    }
    if (w->o->vpas) {
        const char *mode = NULL;
        const json_t *vpa = managing_vpa(w->o->vpas, w->vr0->ns, w->vr0->kind, w->vr0->name, &mode);
        if (vpa) {
            const char *vn =
                json_string_value(json_object_get(json_object_get(vpa, "metadata"), "name"));
            decide(w, AG_ACTUATE_VPA, "none", "VerticalPodAutoscaler %s manages it (updateMode %s)",
                   vn ? vn : "?", mode);
            return AG_OK;
        }
    }
    snprintf(w->path, sizeof w->path, "/%s/namespaces/%s/%s/%s", kinds[w->kind].api, w->vr0->ns,
             kinds[w->kind].plural, w->vr0->name);
    rc = ag_k8s_request(w->k, "GET", w->path, NULL, NULL, &status, &w->obj, &one);
    if (rc == AG_EHTTP && status == 404) {
        decide(w, AG_ACTUATE_GONE, "none", "%s/%s is not there", w->vr0->kind, w->vr0->name);
        return AG_OK;
    }
    if (rc == AG_OK && !json_is_object(w->obj)) {
        rc = AG_EPARSE;
        snprintf(one.msg, sizeof one.msg, "GET %.900s: not an object", w->path);
    }
    if (rc != AG_OK)
        goto fail;
    if (w->pol->mode == AG_ACT_INPLACE && w->kind != K_CRON &&
        !(*ag__k8s_facts(w->k) & AG__K8S_NO_RESIZE)) {
        one.msg[0] = '\0';
        if ((rc = in_place(w, &fallback, &one)) != AG_OK)
            goto fail;
        if (!fallback)
            return AG_OK;
        json_decref(w->pods);
        w->pods = NULL;
        ag__free(w->p);
        w->p = NULL;
        w->np = 0;
    }
    if (w->pol->mode == AG_ACT_INPLACE && w->kind != K_CRON)
        w->st->resize_fallbacks++;
    one.msg[0] = '\0';
    if ((rc = template_path(w, &one)) != AG_OK)
        goto fail;
    return AG_OK;
fail:
    if (rc == AG_ENOMEM)
        return rc;
    api_error(w, rc, &one);
    return AG_OK;
}

/* ---- the call ----------------------------------------------------------------- */

static int rec_cmp(const void *a, const void *b)
{
    const ag_view_rec *x = *(const ag_view_rec *const *)a, *y = *(const ag_view_rec *const *)b;
    int c = strcmp(x->ns, y->ns);

    if (!c)
        c = strcmp(x->kind, y->kind);
    if (!c)
        c = strcmp(x->name, y->name);
    if (!c)
        c = strcmp(x->container, y->container);
    if (!c) /* the first of a name wins, as in the VPA writer */
        c = x < y ? -1 : x > y;
    return c;
}

static int same_workload(const ag_view_rec *a, const ag_view_rec *b)
{
    return strcmp(a->ns, b->ns) == 0 && strcmp(a->kind, b->kind) == 0 &&
           strcmp(a->name, b->name) == 0;
}

static int usable(const ag_view_rec *r)
{
    for (int i = 0; i < AG_NRES; i++)
        if (r->rec.status[i] == AG_REC_OK && isfinite(r->rec.res[i].target) &&
            r->rec.res[i].target > 0)
            return 1;
    return 0;
}

ag_err ag_k8s_actuate(ag_k8s *k, const ag_view *v, const ag_wpolicy *pol, size_t npol,
                      const ag_k8s_act_opts *o, ag_k8s_act_stats *st, ag_errinfo *ei)
{
    ag_k8s_act_stats mine;
    const ag_view_rec **recs = NULL;
    ctr *cs = NULL;
    size_t n = 0, i, j;
    ag_err rc = AG_OK, first = AG_OK;

    if (!st)
        st = &mine;
    memset(st, 0, sizeof *st);
    if (!o || !o->enable || !k || !v || !v->nrecs || !pol || !npol)
        return AG_OK;
    if (!(recs = ag__malloc(v->nrecs * sizeof *recs)) ||
        !(cs = ag__malloc(v->nrecs * sizeof *cs))) {
        rc = AG_ENOMEM;
        goto out;
    }
    for (i = 0; i < v->nrecs; i++) {
        const ag_view_rec *r = &v->recs[i];
        const ag_wpolicy *p = ag_wpolicy_find(pol, npol, r->ns, r->kind, r->name);
        if (p && p->act && p->mode != AG_ACT_OFF)
            recs[n++] = r;
    }
    qsort(recs, n, sizeof *recs, rec_cmp);
    for (i = 0; i < n; i = j) {
        wl w;
        memset(&w, 0, sizeof w);
        w.k = k;
        w.o = o;
        w.st = st;
        w.vr0 = recs[i];
        w.pol = ag_wpolicy_find(pol, npol, w.vr0->ns, w.vr0->kind, w.vr0->name);
        w.c = cs;
        w.now = o->now_ms ? o->now_ms : ag_now_ms();
        w.ei = ei;
        w.first = &first;
        w.d.ns = w.vr0->ns;
        w.d.kind = w.vr0->kind;
        w.d.name = w.vr0->name;
        w.d.mode = (int)w.pol->mode;
        w.d.dry_run = o->dry_run;
        w.d.action = "none";
        for (j = i; j < n && same_workload(recs[j], w.vr0); j++) {
            if (usable(recs[j]) && !ctr_of(&w, recs[j]->container))
                w.c[w.nc++].vr = recs[j];
        }
        st->considered++;
        rc = one_workload(&w);
        json_decref(w.obj);
        json_decref(w.pods);
        ag__free(w.p);
        if (rc != AG_OK)
            goto out;
        report(&w);
    }
out:
    ag__free(recs);
    ag__free(cs);
    return rc != AG_OK ? rc : first;
}
