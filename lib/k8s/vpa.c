/*
 * k8s/vpa.c - augur as a VPA recommender: writes status.recommendation of
 * the VerticalPodAutoscalers that name it in spec.recommenders, the way
 * the upstream recommender does (pkg/utils/vpa/api.go:
 * UpdateVpaStatusIfNeeded): a JSON patch
 *   [{"op":"add","path":"/status","value":{recommendation, conditions}}]
 * on the status subresource, sent only when the status differs from what
 * the VPA holds. A 409 re-reads the VPA and tries again (3 times at most).
 *
 * Per container the resource policy applies as the upstream recommender
 * applies it (pkg/utils/vpa/capping.go): mode Off drops the container,
 * controlledResources limits the resources, minAllowed / maxAllowed clamp
 * target, lowerBound and upperBound while uncappedTarget stays as
 * computed; controlledValues only matters to the admission controller.
 * A value clamped to a bound is written as the bound's own quantity, so
 * rounding never takes it past the bound.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"
#include "k8s/k8s_int.h"
#include "augur/util.h"
#include "util/alloc.h"

#define VPA_LIST "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers"
#define MAX_RETRIES 3

static const char *const res_names[AG_NRES] = {"cpu", "memory"};

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The containerPolicies entry for container (its own, else "*"), or NULL. */
static json_t *policy_for(const json_t *vpa, const char *container)
{
    json_t *pols = json_object_get(json_object_get(json_object_get(vpa, "spec"), "resourcePolicy"),
                                   "containerPolicies");
    json_t *p, *star = NULL;
    size_t i;

    json_array_foreach(pols, i, p)
    {
        const char *n = jstr(p, "containerName");
        if (n && strcmp(n, container) == 0)
            return p;
        if (n && strcmp(n, "*") == 0 && !star)
            star = p;
    }
    return star;
}

static int controls(const json_t *pol, int r)
{
    json_t *cr = json_object_get(pol, "controlledResources"), *e;
    size_t i;

    if (!json_is_array(cr))
        return 1; /* default: cpu and memory */
    json_array_foreach(cr, i, e)
    {
        const char *s = json_string_value(e);
        if (s && strcmp(s, res_names[r]) == 0)
            return 1;
    }
    return 0;
}

/* A quantity of a policy bound map (minAllowed / maxAllowed) for r:
 * stores the value and returns the JSON value to copy, or NULL. */
static json_t *bound(const json_t *pol, const char *which, int r, double *val)
{
    json_t *q = json_object_get(json_object_get(pol, which), res_names[r]);

    if (json_is_string(q)) {
        if (ag_quantity_parse(json_string_value(q), val) == AG_OK)
            return q;
    } else if (json_is_number(q)) {
        *val = json_number_value(q);
        return q;
    }
    return NULL;
}

static json_t *quantity(int r, double v)
{
    char q[48];

    return json_string(r == AG_CPU ? ag_cpu_format(v, q, sizeof q) : ag_mem_format(v, q, sizeof q));
}

/* The value of one resource in one field, clamped unless uncapped. */
static json_t *field_value(const json_t *pol, int r, double v, int capped)
{
    double lo, hi;
    json_t *b;

    if (capped && pol) {
        if ((b = bound(pol, "minAllowed", r, &lo)) && v < lo)
            return json_deep_copy(b);
        if ((b = bound(pol, "maxAllowed", r, &hi)) && v > hi)
            return json_deep_copy(b);
    }
    return quantity(r, v);
}

/* The containerRecommendations entry of one view rec, or NULL when the
 * policy turns it off or no controlled resource has a value. *oom set on
 * allocation failure. */
static json_t *container_rec(const json_t *vpa, const ag_view_rec *vr, int *oom)
{
    static const char *const fields[4] = {"target", "lowerBound", "upperBound", "uncappedTarget"};
    json_t *pol = policy_for(vpa, vr->container), *cr, *m[4];
    const char *mode = jstr(pol, "mode");
    int any = 0;

    if (mode && strcmp(mode, "Off") == 0)
        return NULL;
    cr = json_object();
    for (int f = 0; f < 4; f++)
        m[f] = json_object();
    if (!cr || !m[0] || !m[1] || !m[2] || !m[3])
        goto nomem;
    for (int r = 0; r < AG_NRES; r++) {
        const ag_rec_res *rr = &vr->rec.res[r];
        double vals[4];
        if (vr->rec.status[r] != AG_REC_OK || !controls(pol, r) || !isfinite(rr->target))
            continue;
        vals[0] = rr->target;
        vals[1] = isfinite(rr->lower) ? rr->lower : rr->target;
        vals[2] = isfinite(rr->upper) ? rr->upper : rr->target;
        vals[3] = isfinite(rr->uncapped) ? rr->uncapped : rr->target;
        for (int f = 0; f < 4; f++) {
            json_t *q = field_value(pol, r, vals[f], f != 3);
            if (!q || json_object_set_new(m[f], res_names[r], q) != 0)
                goto nomem;
        }
        any = 1;
    }
    if (!any) {
        for (int f = 0; f < 4; f++)
            json_decref(m[f]);
        json_decref(cr);
        return NULL;
    }
    if (json_object_set_new(cr, "containerName", json_string(vr->container)) != 0)
        goto nomem;
    for (int f = 0; f < 4; f++) {
        json_t *mf = m[f];
        m[f] = NULL;
        if (json_object_set_new(cr, fields[f], mf) != 0)
            goto nomem;
    }
    return cr;
nomem:
    for (int f = 0; f < 4; f++)
        json_decref(m[f]);
    json_decref(cr);
    *oom = 1;
    return NULL;
}

static int targets(const json_t *vpa, const ag_view_rec *vr)
{
    const json_t *tr = json_object_get(json_object_get(vpa, "spec"), "targetRef");
    const char *ns = jstr(json_object_get(vpa, "metadata"), "namespace");
    const char *kind = jstr(tr, "kind"), *name = jstr(tr, "name");

    return ns && kind && name && strcmp(vr->ns, ns) == 0 && strcmp(vr->kind, kind) == 0 &&
           strcmp(vr->name, name) == 0;
}

json_t *ag_k8s_vpa_status(const json_t *vpa, const ag_view *v, int64_t now_ms)
{
    json_t *st = json_object(), *recs = json_array(), *cond = json_object(), *conds = json_array();
    json_t *old = json_object_get(json_object_get(vpa, "status"), "conditions"), *oc;
    const char *prev_time = NULL, *status;
    char when[32];
    int oom = 0;
    size_t i;

    if (!st || !recs || !cond || !conds)
        goto nomem;
    for (size_t j = 0; v && j < v->nrecs; j++) {
        const ag_view_rec *vr = &v->recs[j];
        json_t *cr, *e;
        int dup = 0;
        if (!targets(vpa, vr))
            continue;
        json_array_foreach(recs, i, e)
        { /* one entry per container: the first */
            dup |= strcmp(jstr(e, "containerName"), vr->container) == 0;
        }
        if (dup)
            continue;
        cr = container_rec(vpa, vr, &oom);
        if (oom || (cr && json_array_append_new(recs, cr) != 0))
            goto nomem;
    }
    status = json_array_size(recs) ? "True" : "False";
    json_array_foreach(old, i, oc)
    {
        const char *t = jstr(oc, "type"), *s = jstr(oc, "status");
        if (t && s && strcmp(t, "RecommendationProvided") == 0 && strcmp(s, status) == 0)
            prev_time = jstr(oc, "lastTransitionTime");
    }
    if (prev_time)
        snprintf(when, sizeof when, "%s", prev_time);
    else
        ag__k8s_time(now_ms, when, sizeof when);
    if (json_object_set_new(cond, "type", json_string("RecommendationProvided")) != 0 ||
        json_object_set_new(cond, "status", json_string(status)) != 0 ||
        json_object_set_new(cond, "lastTransitionTime", json_string(when)) != 0)
        goto nomem;
    if (!json_array_size(recs) &&
        (json_object_set_new(cond, "reason", json_string("NoRecommendation")) != 0 ||
         json_object_set_new(cond, "message",
                             json_string("augur has no recommendation for the target's "
                                         "containers (no or too little usage data)")) != 0))
        goto nomem;
    if (json_array_append(conds, cond) != 0)
        goto nomem;
    if (json_array_size(recs)) {
        json_t *rec = json_object();
        if (!rec || json_object_set(rec, "containerRecommendations", recs) != 0 ||
            json_object_set_new(st, "recommendation", rec) != 0) {
            json_decref(rec);
            goto nomem;
        }
    }
    if (json_object_set(st, "conditions", conds) != 0)
        goto nomem;
    json_decref(recs);
    json_decref(cond);
    json_decref(conds);
    return st;
nomem:
    json_decref(st);
    json_decref(recs);
    json_decref(cond);
    json_decref(conds);
    return NULL;
}

/* ---- sync --------------------------------------------------------------- */

static int names_us(const json_t *vpa, const char *recommender)
{
    json_t *r = json_object_get(json_object_get(vpa, "spec"), "recommenders");
    const char *n;

    if (!json_is_array(r) || json_array_size(r) != 1)
        return 0;
    n = jstr(json_array_get(r, 0), "name");
    return n && strcmp(n, recommender) == 0;
}

/* Brings one VPA's status up to date. */
static ag_err sync_one(ag_k8s *k, json_t *vpa, const ag_view *v, ag_k8s_vpa_stats *st,
                       ag_errinfo *ei)
{
    json_t *md = json_object_get(vpa, "metadata"), *cur = json_incref(vpa);
    const char *ns = jstr(md, "namespace"), *name = jstr(md, "name");
    char path[1024];
    ag_err rc = AG_OK;

    if (!ns || !name) {
        ag_errinfo_set(ei, "VPA without metadata.namespace or metadata.name");
        json_decref(cur);
        return AG_EPARSE;
    }
    snprintf(path, sizeof path,
             "/apis/autoscaling.k8s.io/v1/namespaces/%s/"
             "verticalpodautoscalers/%s",
             ns, name);
    for (int attempt = 0;; attempt++) {
        json_t *status = ag_k8s_vpa_status(cur, v, ag_now_ms()), *patch;
        char *body, spath[1100];
        long code = 0;

        if (!status) {
            rc = AG_ENOMEM;
            break;
        }
        if (json_equal(status, json_object_get(cur, "status"))) {
            st->unchanged++;
            json_decref(status);
            break;
        }
        patch = json_pack("[{s:s, s:s, s:o}]", "op", "add", "path", "/status", "value", status);
        body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
        json_decref(patch);
        if (!body) {
            rc = AG_ENOMEM;
            break;
        }
        snprintf(spath, sizeof spath, "%s/status", path);
        rc =
            ag_k8s_request(k, "PATCH", spath, "application/json-patch+json", body, &code, NULL, ei);
        free(body);
        if (rc == AG_OK) {
            st->written++;
            break;
        }
        if (rc != AG_EHTTP || code != 409 || attempt == MAX_RETRIES)
            break;
        st->conflicts++;
        json_decref(cur);
        cur = NULL;
        if ((rc = ag_k8s_get(k, path, &cur, ei)) != AG_OK)
            break;
    }
    json_decref(cur);
    return rc;
}

ag_err ag_k8s_vpa_list(ag_k8s *k, json_t **items, ag_errinfo *ei)
{
    char rv[128];
    ag_err rc = ag_k8s_list(k, VPA_LIST, items, rv, sizeof rv, ei);

    if (rc == AG_EHTTP && ei && strstr(ei->msg, ": HTTP 404")) {
        *items = json_array(); /* no VPA CRD: no VPA manages anything */
        return *items ? AG_OK : AG_ENOMEM;
    }
    return rc;
}

ag_err ag_k8s_vpa_sync(ag_k8s *k, const ag_view *v, const char *recommender, ag_k8s_vpa_stats *st,
                       ag_errinfo *ei)
{
    json_t *items = NULL, *vpa;
    char rv[128];
    ag_errinfo one;
    ag_err rc, first = AG_OK;
    size_t i;

    memset(st, 0, sizeof *st);
    if (!recommender || !*recommender)
        recommender = "augur";
    if ((rc = ag_k8s_list(k, VPA_LIST, &items, rv, sizeof rv, ei)) != AG_OK)
        return rc;
    json_array_foreach(items, i, vpa)
    {
        int matched = 0;
        st->seen++;
        if (!names_us(vpa, recommender))
            continue;
        st->selected++;
        for (size_t j = 0; v && j < v->nrecs && !matched; j++)
            matched = targets(vpa, &v->recs[j]);
        st->matched += (unsigned)matched;
        one.msg[0] = '\0';
        rc = sync_one(k, vpa, v, st, &one);
        if (rc != AG_OK) {
            st->errors++;
            if (first == AG_OK) {
                first = rc;
                ag_errinfo_set(ei, "%s", one.msg[0] ? one.msg : ag_strerror(rc));
            }
        }
    }
    json_decref(items);
    return first;
}
