/*
 * k8s/policy.c - AugurPolicy objects (augur.dev/v1alpha1,
 * deploy/crds/augur.dev_augurpolicies.yaml): which workloads augur
 * right-sizes and how, and the status augur writes back.
 *
 * resolve: list the policies, parse and validate each (the API server
 * checks the schema, but augur does not rely on it: a bad policy is
 * skipped and said so in its status, the others still apply), find the
 * namespaces each covers and the workloads there its selector matches.
 * Every collection is listed once per call, for all namespaces, however
 * many policies there are. A workload two policies select goes to the
 * older one; the other records the conflict.
 *
 * status: per policy a merge patch of status (observedGeneration,
 * lastUpdateTime, recommendations, conditions) on the status subresource,
 * as lib/k8s/vpa.c does for VPAs: built from the view, compared with what
 * the object holds (lastUpdateTime aside), sent only when it differs, a
 * 409 re-reads and retries. metadata.resourceVersion rides along as a
 * precondition, so a concurrent writer (another condition type) is not
 * overwritten: its conditions are kept.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"
#include "k8s/k8s_int.h"
#include "augur/online.h"
#include "augur/util.h"
#include "util/alloc.h"

#define POLICY_API "/apis/augur.dev/v1alpha1"
#define NS_LIST "/api/v1/namespaces"
#define MAX_RETRIES 3
#define MAX_LOST 5 /* lost workloads named in the Conflict message */
#define DEFAULT_HORIZON_MS (24 * 3600 * 1000LL)

static const char *const res_names[AG_NRES] = {"cpu", "memory"};

static const struct {
    const char *kind, *path;
} collections[] = {
    {"Deployment", "/apis/apps/v1/deployments"}, {"StatefulSet", "/apis/apps/v1/statefulsets"},
    {"DaemonSet", "/apis/apps/v1/daemonsets"},   {"Job", "/apis/batch/v1/jobs"},
    {"CronJob", "/apis/batch/v1/cronjobs"},
};
#define NCOLL (sizeof collections / sizeof collections[0])

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A JSON member that is present and not null, else NULL. */
static json_t *member(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_null(v) ? NULL : v;
}

/* ---- messages ----------------------------------------------------------- */

/* Where a parse error is: the object ("AugurPolicy shop/web: ") and ei. */
typedef struct pctx {
    char who[AG_VIEW_NAME * 2 + 32];
    ag_errinfo *ei;
} pctx;

/* A short rendering of a JSON value for messages: strings quoted. */
static const char *show(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "\"%.80s%s\"", json_string_value(v),
                 json_string_length(v) > 80 ? "..." : "");
    else if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_object(v))
        snprintf(buf, len, "an object");
    else if (json_is_array(v))
        snprintf(buf, len, "an array");
    else
        snprintf(buf, len, "null");
    return buf;
}

static ag_err bad(const pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static ag_err bad(const pctx *c, const char *fmt, ...)
{
    char what[900];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ag_errinfo_set(c->ei, "%s%s", c->who, what);
    return AG_EINVAL;
}

/* ---- names -------------------------------------------------------------- */

static int alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A DNS-1123 label: at most 63 of [a-z0-9-], alphanumeric at both ends. */
static int dns_label(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* A DNS-1123 subdomain: dot-separated labels, at most 253 in all. */
static int dns_subdomain(const char *s, size_t n)
{
    size_t start = 0;

    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!dns_label(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* A label value (also the name part of a key): at most 63 of
 * [A-Za-z0-9-_.], alphanumeric at both ends; empty when allowed. */
static int label_value(const char *s, size_t n, int empty_ok)
{
    if (n == 0)
        return empty_ok;
    if (n > 63 || !alnum(s[0]) || !alnum(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

/* A label key: [prefix/]name, the prefix a DNS subdomain. */
static int label_key(const char *s)
{
    const char *slash = strchr(s, '/');

    if (!slash)
        return label_value(s, strlen(s), 0);
    return dns_subdomain(s, (size_t)(slash - s)) && label_value(slash + 1, strlen(slash + 1), 0);
}

/* ---- label selectors ---------------------------------------------------- */

typedef enum sel_op { OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXIST } sel_op;

typedef struct sel_req {
    char *key;
    sel_op op;
    char **values;
    size_t nvalues;
} sel_req;

struct ag_k8s_selector {
    sel_req *reqs;
    size_t n, cap;
};

void ag_k8s_selector_free(ag_k8s_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->reqs[i].nvalues; j++)
            ag__free(s->reqs[i].values[j]);
        ag__free(s->reqs[i].values);
        ag__free(s->reqs[i].key);
    }
    ag__free(s->reqs);
    ag__free(s);
}

/* Appends a requirement with room for nvalues values. */
static sel_req *add_req(ag_k8s_selector *s, const char *key, sel_op op, size_t nvalues)
{
    sel_req *r;

    if (ag__grow((void **)&s->reqs, &s->cap, s->n + 1, sizeof *s->reqs) != 0)
        return NULL;
    r = &s->reqs[s->n];
    memset(r, 0, sizeof *r);
    if (!(r->key = ag__strdup(key)))
        return NULL;
    if (nvalues && !(r->values = ag__calloc(nvalues, sizeof *r->values))) {
        ag__free(r->key);
        return NULL;
    }
    r->op = op;
    s->n++;
    return r;
}

static ag_err sel_parse(const json_t *sel, const char *field, const pctx *c, ag_k8s_selector **out)
{
    static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist"};
    ag_k8s_selector *s = ag__calloc(1, sizeof *s);
    json_t *ml, *me, *v, *e;
    const char *key;
    char sh[128];
    size_t i;
    ag_err rc = AG_OK;

    *out = NULL;
    if (!s)
        return AG_ENOMEM;
    if (!sel || json_is_null(sel))
        goto done;
    if (!json_is_object(sel)) {
        rc = bad(c, "%s: %s is not a label selector (an object)", field, show(sel, sh, sizeof sh));
        goto done;
    }
    if ((ml = member(sel, "matchLabels")) && !json_is_object(ml)) {
        rc = bad(c, "%s.matchLabels: %s is not an object", field, show(ml, sh, sizeof sh));
        goto done;
    }
    json_object_foreach(ml, key, v)
    {
        sel_req *r;
        if (!label_key(key)) {
            rc = bad(c, "%s.matchLabels: \"%.100s\" is not a label key", field, key);
            goto done;
        }
        if (!json_is_string(v) || !label_value(json_string_value(v), json_string_length(v), 1)) {
            rc = bad(c, "%s.matchLabels.%.100s: %s is not a label value", field, key,
                     show(v, sh, sizeof sh));
            goto done;
        }
        if (!(r = add_req(s, key, OP_IN, 1)) || !(r->values[0] = ag__strdup(json_string_value(v))))
            goto nomem;
        r->nvalues = 1;
    }
    if ((me = member(sel, "matchExpressions")) && !json_is_array(me)) {
        rc = bad(c, "%s.matchExpressions: %s is not an array", field, show(me, sh, sizeof sh));
        goto done;
    }
    json_array_foreach(me, i, e)
    {
        json_t *vals, *ov = json_object_get(e, "operator"), *kv = json_object_get(e, "key");
        const char *op = json_string_value(ov);
        size_t nv = 0, o, j;
        sel_req *r;
        if (!json_is_object(e)) {
            rc = bad(c, "%s.matchExpressions[%zu]: %s is not an object", field, i,
                     show(e, sh, sizeof sh));
            goto done;
        }
        if (!kv) {
            rc = bad(c, "%s.matchExpressions[%zu].key: required", field, i);
            goto done;
        }
        if (!json_is_string(kv) || !label_key(json_string_value(kv))) {
            rc = bad(c, "%s.matchExpressions[%zu].key: %s is not a label key", field, i,
                     show(kv, sh, sizeof sh));
            goto done;
        }
        for (o = 0; op && o < 4 && strcmp(op, ops[o]) != 0; o++)
            ;
        if (!ov) {
            rc = bad(c, "%s.matchExpressions[%zu].operator: required", field, i);
            goto done;
        }
        if (!op || o == 4) {
            rc = bad(c,
                     "%s.matchExpressions[%zu].operator: %s is not In, NotIn, Exists or "
                     "DoesNotExist",
                     field, i, show(ov, sh, sizeof sh));
            goto done;
        }
        vals = member(e, "values");
        if (vals && !json_is_array(vals)) {
            rc = bad(c, "%s.matchExpressions[%zu].values: %s is not an array", field, i,
                     show(vals, sh, sizeof sh));
            goto done;
        }
        nv = json_array_size(vals);
        if ((o == OP_IN || o == OP_NOTIN) && nv == 0) {
            rc = bad(c, "%s.matchExpressions[%zu].values: must be non-empty for %s", field, i, op);
            goto done;
        }
        if ((o == OP_EXISTS || o == OP_NOTEXIST) && nv != 0) {
            rc = bad(c, "%s.matchExpressions[%zu].values: must be empty for %s", field, i, op);
            goto done;
        }
        json_array_foreach(vals, j, v)
        {
            if (!json_is_string(v) ||
                !label_value(json_string_value(v), json_string_length(v), 1)) {
                rc = bad(c, "%s.matchExpressions[%zu].values[%zu]: %s is not a label value", field,
                         i, j, show(v, sh, sizeof sh));
                goto done;
            }
        }
        if (!(r = add_req(s, json_string_value(kv), (sel_op)o, nv)))
            goto nomem;
        json_array_foreach(vals, j, v)
        {
            if (!(r->values[j] = ag__strdup(json_string_value(v))))
                goto nomem;
            r->nvalues++;
        }
    }
    goto done;
nomem:
    rc = AG_ENOMEM;
done:
    if (rc != AG_OK)
        ag_k8s_selector_free(s);
    else
        *out = s;
    return rc;
}

ag_err ag_k8s_selector_parse(const json_t *sel, const char *field, ag_k8s_selector **out,
                             ag_errinfo *ei)
{
    pctx c = {"", ei};

    return sel_parse(sel, field ? field : "selector", &c, out);
}

int ag_k8s_selector_matches(const ag_k8s_selector *s, const json_t *labels)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const sel_req *r = &s->reqs[i];
        const char *v = json_string_value(json_object_get(labels, r->key));
        int in = 0;
        switch (r->op) {
        case OP_EXISTS:
            if (!v)
                return 0;
            break;
        case OP_NOTEXIST:
            if (v)
                return 0;
            break;
        case OP_IN:
        case OP_NOTIN:
            for (size_t j = 0; v && j < r->nvalues && !in; j++)
                in = strcmp(v, r->values[j]) == 0;
            if (in != (r->op == OP_IN))
                return 0;
            break;
        }
    }
    return 1;
}

/* ---- parsing a policy ----------------------------------------------------- */

void ag_k8s_policy_scope_free(ag_k8s_policy_scope *s)
{
    if (!s)
        return;
    ag_k8s_selector_free(s->selector);
    ag_k8s_selector_free(s->ns_selector);
    for (size_t i = 0; i < s->nnamespaces; i++)
        ag__free(s->namespaces[i]);
    ag__free(s->namespaces);
    memset(s, 0, sizeof *s);
}

/* A quantity of bounds.<which>: a string or a non-negative number. */
static ag_err quantity(const pctx *c, const char *which, const char *res, const json_t *q,
                       double *out)
{
    char sh[128];

    if (json_is_string(q) && ag_quantity_parse(json_string_value(q), out) == AG_OK) {
        if (*out < 0)
            return bad(c, "spec.bounds.%s.%s: %s is negative", which, res, show(q, sh, sizeof sh));
        return AG_OK;
    }
    if (json_is_number(q) && isfinite(json_number_value(q))) {
        if ((*out = json_number_value(q)) < 0)
            return bad(c, "spec.bounds.%s.%s: %s is negative", which, res, show(q, sh, sizeof sh));
        return AG_OK;
    }
    return bad(c, "spec.bounds.%s.%s: %s is not a quantity", which, res, show(q, sh, sizeof sh));
}

static ag_err parse_bounds(const pctx *c, const json_t *spec, ag_wpolicy *w)
{
    static const char *const which[2] = {"minAllowed", "maxAllowed"};
    json_t *b = member(spec, "bounds"), *m, *q;
    const char *res;
    char sh[128], a[48], z[48];
    ag_err rc;

    if (!b)
        return AG_OK;
    if (!json_is_object(b))
        return bad(c, "spec.bounds: %s is not an object", show(b, sh, sizeof sh));
    for (int i = 0; i < 2; i++) {
        double *dst = i ? w->max_allowed : w->min_allowed;
        if (!(m = member(b, which[i])))
            continue;
        if (!json_is_object(m))
            return bad(c, "spec.bounds.%s: %s is not an object", which[i], show(m, sh, sizeof sh));
        json_object_foreach(m, res, q)
        {
            int r;
            for (r = 0; r < AG_NRES && strcmp(res, res_names[r]) != 0; r++)
                ;
            if (r == AG_NRES)
                return bad(c,
                           "spec.bounds.%s: \"%.100s\" is not a resource augur sizes (cpu, "
                           "memory)",
                           which[i], res);
            if ((rc = quantity(c, which[i], res, q, &dst[r])) != AG_OK)
                return rc;
        }
    }
    for (int r = 0; r < AG_NRES; r++) {
        if (w->min_allowed[r] > w->max_allowed[r]) { /* false when either is NAN */
            if (r == AG_CPU) {
                ag_cpu_format(w->min_allowed[r], a, sizeof a);
                ag_cpu_format(w->max_allowed[r], z, sizeof z);
            } else {
                ag_mem_format(w->min_allowed[r], a, sizeof a);
                ag_mem_format(w->max_allowed[r], z, sizeof z);
            }
            return bad(c, "spec.bounds: minAllowed.%s (%s) is above maxAllowed.%s (%s)",
                       res_names[r], a, res_names[r], z);
        }
    }
    return AG_OK;
}

/* spec.horizon: the CRD's pattern ^([0-9]+(ms|s|m|h|d|w))+$, positive. */
static ag_err parse_horizon(const pctx *c, const json_t *h, int64_t *out)
{
    const char *s = json_string_value(h);
    char sh[128];

    if (!s || !*s || strspn(s, "0123456789mshdw") != strlen(s) || s[strlen(s) - 1] < 'a' ||
        ag_duration_parse(s, out) != AG_OK)
        return bad(c, "spec.horizon: %s is not a duration (like 24h, 1h30m, 7d)",
                   show(h, sh, sizeof sh));
    if (*out <= 0)
        return bad(c, "spec.horizon: %s is not positive", show(h, sh, sizeof sh));
    return AG_OK;
}

static ag_err parse_namespaces(const pctx *c, const json_t *spec, ag_k8s_policy_scope *sc)
{
    json_t *a = member(spec, "namespaces"), *e;
    char sh[128];
    size_t i;

    if (!a)
        return AG_OK;
    if (!json_is_array(a))
        return bad(c, "spec.namespaces: %s is not an array", show(a, sh, sizeof sh));
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e) || !dns_label(json_string_value(e), json_string_length(e)))
            return bad(c, "spec.namespaces[%zu]: %s is not a namespace name", i,
                       show(e, sh, sizeof sh));
    }
    if (!json_array_size(a))
        return AG_OK;
    if (!(sc->namespaces = ag__calloc(json_array_size(a), sizeof *sc->namespaces)))
        return AG_ENOMEM;
    json_array_foreach(a, i, e)
    {
        if (!(sc->namespaces[i] = ag__strdup(json_string_value(e))))
            return AG_ENOMEM;
        sc->nnamespaces++;
    }
    return AG_OK;
}

/* A risk budget share in (0, 1). */
static ag_err risk(const pctx *c, const json_t *rb, const char *res, double *out)
{
    json_t *v = member(rb, res);
    char sh[128];

    if (!v)
        return AG_OK;
    if (!json_is_number(v) || !(json_number_value(v) > 0 && json_number_value(v) < 1))
        return bad(c, "spec.riskBudget.%s: %s is not a number in (0, 1)", res,
                   show(v, sh, sizeof sh));
    *out = json_number_value(v);
    return AG_OK;
}

static ag_err parse_spec(const pctx *c, const json_t *spec, ag_wpolicy *w, ag_k8s_policy_scope *sc)
{
    json_t *v;
    char sh[128];
    ag_err rc;

    if ((v = member(spec, "policy"))) {
        ag_augur_policy p;
        if (ag_augur_policy_parse(json_string_value(v), &p) != AG_OK)
            return bad(c, "spec.policy: %s is not stable or cost-saving", show(v, sh, sizeof sh));
        w->policy = (int)p;
    }
    if ((v = member(spec, "riskBudget"))) {
        if (!json_is_object(v))
            return bad(c, "spec.riskBudget: %s is not an object", show(v, sh, sizeof sh));
        if ((rc = risk(c, v, "cpu", &w->cpu_risk)) != AG_OK ||
            (rc = risk(c, v, "memory", &w->mem_risk)) != AG_OK)
            return rc;
    }
    if ((rc = parse_bounds(c, spec, w)) != AG_OK)
        return rc;
    if ((v = member(spec, "horizon")) && (rc = parse_horizon(c, v, &w->horizon_ms)) != AG_OK)
        return rc;
    if ((v = member(spec, "act"))) {
        if (!json_is_boolean(v))
            return bad(c, "spec.act: %s is not true or false", show(v, sh, sizeof sh));
        w->act = json_is_true(v);
    }
    if ((v = member(spec, "updateMode"))) {
        ag_act_mode m;
        if (ag_act_mode_parse(json_string_value(v), &m) != AG_OK)
            return bad(c, "spec.updateMode: %s is not Off, Initial, Recreate or InPlaceOrRecreate",
                       show(v, sh, sizeof sh));
        w->mode = m;
    }
    if ((v = member(spec, "maxUnavailableShare"))) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
            return bad(c, "spec.maxUnavailableShare: %s is not a number in [0, 1]",
                       show(v, sh, sizeof sh));
        w->max_unavailable_share = json_number_value(v);
    }
    if ((rc = parse_namespaces(c, spec, sc)) != AG_OK)
        return rc;
    if ((rc = sel_parse(member(spec, "selector"), "spec.selector", c, &sc->selector)) != AG_OK)
        return rc;
    if ((v = member(spec, "namespaceSelector")) &&
        (rc = sel_parse(v, "spec.namespaceSelector", c, &sc->ns_selector)) != AG_OK)
        return rc;
    return AG_OK;
}

ag_err ag_k8s_policy_parse(const json_t *obj, ag_wpolicy *tmpl, ag_k8s_policy_scope *scope,
                           ag_errinfo *ei)
{
    json_t *md = json_object_get(obj, "metadata"), *spec = member(obj, "spec");
    const char *ns = jstr(md, "namespace"), *name = jstr(md, "name");
    json_int_t gen = json_integer_value(json_object_get(md, "generation"));
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    pctx c;
    char sh[128];
    ag_err rc;

    memset(&sc, 0, sizeof sc);
    if (scope)
        memset(scope, 0, sizeof *scope);
    c.ei = ei;
    snprintf(c.who, sizeof c.who, "AugurPolicy %.253s/%.253s: ", ns && *ns ? ns : "?",
             name && *name ? name : "?");
    if (!json_is_object(obj))
        return bad(&c, "not a JSON object");
    if (!ns || !*ns || strlen(ns) >= AG_VIEW_NAME)
        return bad(&c, "metadata.namespace: missing or too long");
    if (!name || !*name || strlen(name) >= AG_VIEW_NAME)
        return bad(&c, "metadata.name: missing or too long");
    if (!spec)
        return bad(&c, "spec: required");
    if (!json_is_object(spec))
        return bad(&c, "spec: %s is not an object", show(spec, sh, sizeof sh));

    memset(&w, 0, sizeof w);
    snprintf(w.policy_ns, sizeof w.policy_ns, "%s", ns);
    snprintf(w.policy_name, sizeof w.policy_name, "%s", name);
    w.generation = gen > 0 ? (int64_t)gen : 0;
    w.policy = AG_POLICY_STABLE;
    w.cpu_risk = w.mem_risk = NAN;
    for (int r = 0; r < AG_NRES; r++)
        w.min_allowed[r] = w.max_allowed[r] = NAN;
    w.horizon_ms = DEFAULT_HORIZON_MS;
    w.act = 0;
    w.mode = AG_ACT_OFF;
    w.max_unavailable_share = 0.25;

    if ((rc = parse_spec(&c, spec, &w, &sc)) != AG_OK) {
        ag_k8s_policy_scope_free(&sc);
        return rc;
    }
    *tmpl = w;
    if (scope)
        *scope = sc;
    else
        ag_k8s_policy_scope_free(&sc);
    return AG_OK;
}

/* ---- resolve ------------------------------------------------------------ */

/* A workload a policy selected but lost to an older one. */
typedef struct lost_wl {
    char ns[AG_VIEW_NAME], kind[64], name[AG_VIEW_NAME];
    size_t winner; /* index in the handle's policies */
} lost_wl;

typedef struct pol {
    json_t *obj; /* the object as last read (its status is compared with ours) */
    char ns[AG_VIEW_NAME], name[AG_VIEW_NAME];
    int valid;
    char *invalid; /* the parse error (owned) */
    int64_t created_ms;
    ag_wpolicy tmpl;
    ag_k8s_policy_scope scope;
    const char **covered; /* during resolve: the namespaces it covers, sorted (borrowed) */
    size_t ncovered;
    size_t nselected; /* workloads it won */
    size_t nlost;     /* workloads it lost; the first MAX_LOST in lost[] */
    lost_wl lost[MAX_LOST];
} pol;

struct ag_k8s_policies {
    pol *p;
    size_t n;
    ag_wpolicy *wp; /* the winners, sorted */
    size_t nwp;
};

void ag_k8s_policies_free(ag_k8s_policies *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        json_decref(p->p[i].obj);
        ag__free(p->p[i].invalid);
        ag_k8s_policy_scope_free(&p->p[i].scope);
        ag__free(p->p[i].covered);
    }
    ag__free(p->p);
    ag__free(p->wp);
    ag__free(p);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int covers(const pol *p, const char *ns)
{
    return ns && bsearch(&ns, p->covered, p->ncovered, sizeof *p->covered, str_cmp) != NULL;
}

/* Which policy applies when a and b both select a workload: the one
 * created first, then by namespace/name. <0 when a wins. */
static int older(const pol *a, const pol *b)
{
    int c;

    if (a->created_ms != b->created_ms)
        return a->created_ms < b->created_ms ? -1 : 1;
    if ((c = strcmp(a->ns, b->ns)) != 0)
        return c;
    return strcmp(a->name, b->name);
}

/* Lists one collection; a clearer message for a missing CRD or RBAC. */
static ag_err list(ag_k8s *k, const char *path, const char *what, json_t **items, ag_errinfo *ei)
{
    char rv[128];
    ag_err rc = ag_k8s_list(k, path, items, rv, sizeof rv, ei);

    if (rc == AG_EHTTP && ei) {
        char msg[sizeof ei->msg];
        const char *hint = "";
        if (strstr(ei->msg, ": HTTP 404"))
            hint = strstr(path, "augur.dev") ? " (is the AugurPolicy CRD installed? kubectl apply "
                                               "-k deploy/crds)"
                                             : "";
        else if (strstr(ei->msg, ": HTTP 403"))
            hint = " (RBAC: augur's ClusterRole needs list on it, deploy/kubernetes/rbac.yaml)";
        snprintf(msg, sizeof msg, "%s", ei->msg);
        ag_errinfo_set(ei, "listing %s: %s%s", what, msg, hint);
    }
    return rc;
}

/* The sorted, de-duplicated namespaces policy p covers. */
static ag_err cover(pol *p, const json_t *nslist)
{
    const ag_k8s_policy_scope *sc = &p->scope;
    size_t cap = sc->nnamespaces + json_array_size(nslist) + 1, n = 0, i;
    json_t *e;

    if (!(p->covered = ag__calloc(cap, sizeof *p->covered)))
        return AG_ENOMEM;
    for (i = 0; i < sc->nnamespaces; i++)
        p->covered[n++] = sc->namespaces[i];
    if (sc->ns_selector) {
        json_array_foreach(nslist, i, e)
        {
            json_t *md = json_object_get(e, "metadata");
            const char *name = jstr(md, "name");
            if (name && ag_k8s_selector_matches(sc->ns_selector, json_object_get(md, "labels")))
                p->covered[n++] = name;
        }
    }
    if (!sc->nnamespaces && !sc->ns_selector)
        p->covered[n++] = p->ns;
    qsort(p->covered, n, sizeof *p->covered, str_cmp);
    p->ncovered = 0;
    for (i = 0; i < n; i++)
        if (p->ncovered == 0 || strcmp(p->covered[p->ncovered - 1], p->covered[i]) != 0)
            p->covered[p->ncovered++] = p->covered[i];
    return AG_OK;
}

/* A Job a CronJob created: its controller ownerReference is a CronJob. */
static int cron_owned(const json_t *md)
{
    json_t *refs = json_object_get(md, "ownerReferences"), *r;
    size_t i;

    json_array_foreach(refs, i, r)
    {
        const char *kind = jstr(r, "kind");
        if (json_is_true(json_object_get(r, "controller")) && kind && strcmp(kind, "CronJob") == 0)
            return 1;
    }
    return 0;
}

/* Gives one workload to the policies that select it. */
static ag_err select_workload(ag_k8s_policies *h, const char *kind, const json_t *obj, size_t *wcap,
                              ag_k8s_policy_stats *st)
{
    json_t *md = json_object_get(obj, "metadata"), *labels = json_object_get(md, "labels");
    const char *ns = jstr(md, "namespace"), *name = jstr(md, "name");
    size_t best = (size_t)-1, nsel = 0;
    ag_wpolicy *w;

    if (!ns || !name || strlen(ns) >= AG_VIEW_NAME || strlen(name) >= AG_VIEW_NAME)
        return AG_OK;
    for (size_t i = 0; i < h->n; i++) {
        pol *p = &h->p[i];
        if (!p->valid || !covers(p, ns) || !ag_k8s_selector_matches(p->scope.selector, labels))
            continue;
        nsel++;
        if (best == (size_t)-1 || older(p, &h->p[best]) < 0)
            best = i;
    }
    if (!nsel)
        return AG_OK;
    if (nsel > 1) {
        st->conflicts++;
        for (size_t i = 0; i < h->n; i++) {
            pol *p = &h->p[i];
            if (i == best || !p->valid || !covers(p, ns) ||
                !ag_k8s_selector_matches(p->scope.selector, labels))
                continue;
            if (p->nlost < MAX_LOST) {
                lost_wl *l = &p->lost[p->nlost];
                snprintf(l->ns, sizeof l->ns, "%s", ns);
                snprintf(l->kind, sizeof l->kind, "%s", kind);
                snprintf(l->name, sizeof l->name, "%s", name);
                l->winner = best;
            }
            p->nlost++;
        }
    }
    if (ag__grow((void **)&h->wp, wcap, h->nwp + 1, sizeof *h->wp) != 0)
        return AG_ENOMEM;
    w = &h->wp[h->nwp++];
    *w = h->p[best].tmpl;
    snprintf(w->ns, sizeof w->ns, "%s", ns);
    snprintf(w->kind, sizeof w->kind, "%s", kind);
    snprintf(w->name, sizeof w->name, "%s", name);
    h->p[best].nselected++;
    st->selected++;
    return AG_OK;
}

/* Reads the policies into h (valid or not). */
static ag_err read_policies(ag_k8s_policies *h, const json_t *items, ag_k8s_policy_stats *st)
{
    json_t *obj;
    size_t i;

    if (json_array_size(items) && !(h->p = ag__calloc(json_array_size(items), sizeof *h->p)))
        return AG_ENOMEM;
    json_array_foreach(items, i, obj)
    {
        pol *p = &h->p[h->n++];
        json_t *md = json_object_get(obj, "metadata");
        const char *ts = jstr(md, "creationTimestamp");
        ag_errinfo pe;
        ag_err rc;
        st->seen++;
        p->obj = json_incref(obj);
        snprintf(p->ns, sizeof p->ns, "%s", jstr(md, "namespace") ? jstr(md, "namespace") : "");
        snprintf(p->name, sizeof p->name, "%s", jstr(md, "name") ? jstr(md, "name") : "");
        if (!ts || ag_time_parse(ts, &p->created_ms) != AG_OK)
            p->created_ms = INT64_MAX; /* unknown: the youngest */
        pe.msg[0] = '\0';
        rc = ag_k8s_policy_parse(obj, &p->tmpl, &p->scope, &pe);
        if (rc == AG_ENOMEM)
            return rc;
        if (rc != AG_OK) {
            st->invalid++;
            if (!(p->invalid = ag__strdup(pe.msg[0] ? pe.msg : ag_strerror(rc))))
                return AG_ENOMEM;
            continue;
        }
        p->valid = 1;
    }
    return AG_OK;
}

ag_err ag_k8s_policies_resolve(ag_k8s *k, ag_k8s_policies **pols, ag_wpolicy **out, size_t *n,
                               ag_k8s_policy_stats *st, ag_errinfo *ei)
{
    ag_k8s_policies *h = ag__calloc(1, sizeof *h);
    json_t *items = NULL, *nslist = NULL, *wl = NULL, *obj;
    ag_k8s_policy_stats local;
    size_t wcap = 0, i, nvalid = 0;
    int need_ns = 0;
    ag_err rc;

    if (pols)
        *pols = NULL;
    *out = NULL;
    *n = 0;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!h)
        return AG_ENOMEM;
    if ((rc = list(k, POLICY_API "/augurpolicies", "AugurPolicies", &items, ei)) != AG_OK)
        goto out;
    if ((rc = read_policies(h, items, st)) != AG_OK)
        goto out;
    for (i = 0; i < h->n; i++) {
        nvalid += (size_t)h->p[i].valid;
        need_ns |= h->p[i].valid && h->p[i].scope.ns_selector;
    }
    if (need_ns) {
        if ((rc = list(k, NS_LIST, "namespaces", &nslist, ei)) != AG_OK)
            goto out;
        st->namespaces = (unsigned)json_array_size(nslist);
    }
    for (i = 0; i < h->n; i++)
        if (h->p[i].valid && (rc = cover(&h->p[i], nslist)) != AG_OK)
            goto out;
    for (size_t c = 0; nvalid && c < NCOLL; c++) {
        char what[64];
        snprintf(what, sizeof what, "%ss", collections[c].kind);
        if ((rc = list(k, collections[c].path, what, &wl, ei)) != AG_OK)
            goto out;
        json_array_foreach(wl, i, obj)
        {
            if (strcmp(collections[c].kind, "Job") == 0 &&
                cron_owned(json_object_get(obj, "metadata")))
                continue; /* the CronJob's */
            st->workloads++;
            if ((rc = select_workload(h, collections[c].kind, obj, &wcap, st)) != AG_OK)
                goto out;
        }
        json_decref(wl);
        wl = NULL;
    }
    for (i = 0; i < h->n; i++) { /* borrowed from nslist: gone with it */
        ag__free(h->p[i].covered);
        h->p[i].covered = NULL;
        h->p[i].ncovered = 0;
    }
    ag_wpolicy_sort(h->wp, h->nwp);
    if (h->nwp) {
        if (!(*out = ag__malloc(h->nwp * sizeof **out))) {
            rc = AG_ENOMEM;
            goto out;
        }
        memcpy(*out, h->wp, h->nwp * sizeof **out);
        *n = h->nwp;
    }
out:
    json_decref(items);
    json_decref(nslist);
    json_decref(wl);
    if (rc == AG_OK && pols) {
        *pols = h;
        return AG_OK;
    }
    if (rc == AG_ENOMEM)
        ag_errinfo_set(ei, "AugurPolicies: %s", ag_strerror(rc));
    if (rc != AG_OK) {
        ag__free(*out);
        *out = NULL;
        *n = 0;
        memset(st, 0, sizeof *st);
    }
    ag_k8s_policies_free(h);
    return rc;
}

/* ---- status ------------------------------------------------------------- */

/* A JSON string of s; bytes that are not UTF-8 become '?'. NULL: out of
 * memory. */
static json_t *jstring(const char *s)
{
    json_t *j = json_string(s);
    char *c;

    if (j || !s)
        return j;
    if (!(c = ag__strdup(s)))
        return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(c);
    ag__free(c);
    return j;
}

static int rec_cmp(const void *a, const void *b)
{
    const ag_view_rec *x = *(const ag_view_rec *const *)a, *y = *(const ag_view_rec *const *)b;
    int c = strcmp(x->ns, y->ns);

    if (c == 0)
        c = strcmp(x->kind, y->kind);
    if (c == 0)
        c = strcmp(x->name, y->name);
    if (c == 0)
        c = strcmp(x->container, y->container);
    return c;
}

/* The view's recs sorted by (ns, kind, name, container). */
typedef struct rec_index {
    const ag_view_rec **r;
    size_t n;
} rec_index;

/* The first rec of workload w in ix, or ix->n. */
static size_t first_rec(const rec_index *ix, const ag_wpolicy *w)
{
    size_t lo = 0, hi = ix->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ag_view_rec *r = ix->r[mid];
        int c = strcmp(r->ns, w->ns);
        if (c == 0)
            c = strcmp(r->kind, w->kind);
        if (c == 0)
            c = strcmp(r->name, w->name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int same_workload(const ag_view_rec *r, const ag_wpolicy *w)
{
    return strcmp(r->ns, w->ns) == 0 && strcmp(r->kind, w->kind) == 0 &&
           strcmp(r->name, w->name) == 0;
}

static int has_rec(const ag_view_rec *r)
{
    for (int i = 0; i < AG_NRES; i++)
        if (r->rec.status[i] == AG_REC_OK && isfinite(r->rec.res[i].target))
            return 1;
    return 0;
}

static json_t *qty(int r, double v)
{
    char q[48];

    return json_string(r == AG_CPU ? ag_cpu_format(v, q, sizeof q) : ag_mem_format(v, q, sizeof q));
}

/* One status.recommendations entry of a view rec; NULL: out of memory. */
static json_t *rec_entry(const ag_view_rec *vr)
{
    static const char *const fields[3] = {"target", "lowerBound", "upperBound"};
    json_t *e = json_object(), *m[3] = {json_object(), json_object(), json_object()};
    char when[40];

    if (!e || !m[0] || !m[1] || !m[2])
        goto nomem;
    for (int r = 0; r < AG_NRES; r++) {
        const ag_rec_res *rr = &vr->rec.res[r];
        double vals[3];
        if (vr->rec.status[r] != AG_REC_OK || !isfinite(rr->target))
            continue;
        vals[0] = rr->target;
        vals[1] = isfinite(rr->lower) ? rr->lower : rr->target;
        vals[2] = isfinite(rr->upper) ? rr->upper : rr->target;
        for (int f = 0; f < 3; f++)
            if (json_object_set_new(m[f], res_names[r], qty(r, vals[f])) != 0)
                goto nomem;
    }
    if (json_object_set_new(e, "namespace", jstring(vr->ns)) != 0 ||
        json_object_set_new(
            e, "workload",
            json_pack("{s:o,s:o}", "kind", jstring(vr->kind), "name", jstring(vr->name))) != 0 ||
        json_object_set_new(e, "container", jstring(vr->container)) != 0)
        goto nomem;
    for (int f = 0; f < 3; f++) {
        json_t *mf = m[f];
        m[f] = NULL;
        if (json_object_set_new(e, fields[f], mf) != 0)
            goto nomem;
    }
    if (vr->reason[0] && json_object_set_new(e, "reason", jstring(vr->reason)) != 0)
        goto nomem;
    if (vr->changed_ms > 0) {
        ag__k8s_time(vr->changed_ms, when, sizeof when);
        if (json_object_set_new(e, "time", json_string(when)) != 0)
            goto nomem;
    }
    return e;
nomem:
    for (int f = 0; f < 3; f++)
        json_decref(m[f]);
    json_decref(e);
    return NULL;
}

/* A metav1.Condition; lastTransitionTime kept from old when its status
 * is the same. */
static json_t *condition(const json_t *old, const char *type, int status, const char *reason,
                         const char *message, int64_t gen, int64_t now_ms)
{
    const char *s = status ? "True" : "False", *when = NULL;
    char now[40];
    json_t *oc;
    size_t i;

    json_array_foreach(old, i, oc)
    {
        const char *t = jstr(oc, "type"), *os = jstr(oc, "status");
        if (t && os && strcmp(t, type) == 0 && strcmp(os, s) == 0)
            when = jstr(oc, "lastTransitionTime");
    }
    if (!when) {
        ag__k8s_time(now_ms, now, sizeof now);
        when = now;
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:I}", "type", type, "status", s, "reason", reason,
                     "message", jstring(message), "lastTransitionTime", when, "observedGeneration",
                     (json_int_t)gen);
}

static int ours(const char *type)
{
    return type && (strcmp(type, "Ready") == 0 || strcmp(type, "RecommendationProvided") == 0 ||
                    strcmp(type, "Conflict") == 0);
}

/* Appends "Kind ns/name (AugurPolicy ns/name)" for each named lost
 * workload. */
static void lost_list(const ag_k8s_policies *h, const pol *p, char *buf, size_t len)
{
    size_t off = strlen(buf);

    for (size_t i = 0; i < p->nlost && i < MAX_LOST && off < len; i++) {
        const lost_wl *l = &p->lost[i];
        const pol *w = &h->p[l->winner];
        off += (size_t)snprintf(buf + off, len - off, "%s%s %s/%s (AugurPolicy %s/%s)",
                                i ? ", " : "", l->kind, l->ns, l->name, w->ns, w->name);
    }
    if (off < len && p->nlost > MAX_LOST)
        snprintf(buf + off, len - off, " and %zu more", p->nlost - MAX_LOST);
}

/* The status for policy p (without lastUpdateTime) against its current
 * object cur; NULL when out of memory. *truncated: the list was cut. */
static json_t *policy_status(const ag_k8s_policies *h, const pol *p, const json_t *cur,
                             const rec_index *ix, int64_t now_ms, int *truncated)
{
    json_t *st = json_object(), *recs = json_array(), *conds = json_array(), *c;
    json_t *old = json_object_get(json_object_get(cur, "status"), "conditions");
    size_t total = 0, with = 0, i;
    int64_t gen = p->valid ? p->tmpl.generation : 0;
    char msg[2048];

    *truncated = 0;
    if (!p->valid) {
        json_int_t g =
            json_integer_value(json_object_get(json_object_get(p->obj, "metadata"), "generation"));
        gen = g > 0 ? (int64_t)g : 0;
    }
    if (!st || !recs || !conds)
        goto nomem;
    for (size_t w = 0; p->valid && w < h->nwp; w++) {
        const ag_wpolicy *wp = &h->wp[w];
        int any = 0;
        if (strcmp(wp->policy_ns, p->ns) != 0 || strcmp(wp->policy_name, p->name) != 0)
            continue;
        for (size_t j = first_rec(ix, wp); j < ix->n && same_workload(ix->r[j], wp); j++) {
            const ag_view_rec *vr = ix->r[j];
            json_t *e;
            if ((j > 0 && rec_cmp(&ix->r[j - 1], &ix->r[j]) == 0) || !has_rec(vr))
                continue; /* one entry per container; only recommendations */
            any = 1;
            if (total++ >= AG_K8S_POLICY_MAX_RECS)
                continue;
            if (!(e = rec_entry(vr)) || json_array_append_new(recs, e) != 0)
                goto nomem;
        }
        with += (size_t)any;
    }
    *truncated = total > AG_K8S_POLICY_MAX_RECS;

    /* Ready */
    if (p->valid) {
        snprintf(msg, sizeof msg, "the spec is valid; it selects %zu workload%s", p->nselected,
                 p->nselected == 1 ? "" : "s");
        c = condition(old, "Ready", 1, "Valid", msg, gen, now_ms);
    } else {
        c = condition(old, "Ready", 0, "InvalidSpec", p->invalid, gen, now_ms);
    }
    if (!c || json_array_append_new(conds, c) != 0)
        goto nomem;

    /* RecommendationProvided */
    if (!p->valid)
        snprintf(msg, sizeof msg, "the spec is invalid (see the Ready condition)");
    else if (!with && p->nselected)
        snprintf(msg, sizeof msg,
                 "none of the %zu selected workload%s has a recommendation yet (no or too "
                 "little usage data)",
                 p->nselected, p->nselected == 1 ? "" : "s");
    else if (!with)
        snprintf(msg, sizeof msg,
                 "no workload selected: the selector matches no Deployment, StatefulSet, "
                 "DaemonSet, Job or CronJob in the namespaces the policy covers");
    else if (*truncated)
        snprintf(msg, sizeof msg,
                 "%zu of %zu selected workloads have a recommendation; status.recommendations "
                 "lists the first %d of %zu containers",
                 with, p->nselected, AG_K8S_POLICY_MAX_RECS, total);
    else
        snprintf(msg, sizeof msg,
                 "%zu of %zu selected workload%s %s a recommendation (%zu container%s)", with,
                 p->nselected, p->nselected == 1 ? "" : "s", with == 1 ? "has" : "have", total,
                 total == 1 ? "" : "s");
    c = condition(old, "RecommendationProvided", with > 0,
                  !p->valid    ? "InvalidSpec"
                  : !with      ? "NoData"
                  : *truncated ? "Truncated"
                               : "Provided",
                  msg, gen, now_ms);
    if (!c || json_array_append_new(conds, c) != 0)
        goto nomem;

    /* Conflict */
    if (p->nlost) {
        snprintf(msg, sizeof msg,
                 "%zu selected workload%s %s to an older AugurPolicy that selects %s too: ",
                 p->nlost, p->nlost == 1 ? "" : "s", p->nlost == 1 ? "is left" : "are left",
                 p->nlost == 1 ? "it" : "them");
        lost_list(h, p, msg, sizeof msg);
        c = condition(old, "Conflict", 1, "SelectedByOlderPolicy", msg, gen, now_ms);
    } else {
        c = condition(old, "Conflict", 0, "NoConflict",
                      "no selected workload is selected by an older AugurPolicy too", gen, now_ms);
    }
    if (!c || json_array_append_new(conds, c) != 0)
        goto nomem;
    /* Other writers' conditions stay. */
    json_array_foreach(old, i, c)
    {
        if (!ours(jstr(c, "type")) && json_array_append(conds, c) != 0)
            goto nomem;
    }

    if (json_object_set_new(st, "observedGeneration", json_integer((json_int_t)gen)) != 0 ||
        json_object_set(st, "recommendations", recs) != 0 ||
        json_object_set(st, "conditions", conds) != 0)
        goto nomem;
    json_decref(recs);
    json_decref(conds);
    return st;
nomem:
    json_decref(st);
    json_decref(recs);
    json_decref(conds);
    return NULL;
}

/* Whether cur's status already holds st (lastUpdateTime aside). */
static int same_status(const json_t *st, const json_t *cur)
{
    json_t *cs = json_object_get(cur, "status");
    const char *keys[3] = {"observedGeneration", "recommendations", "conditions"};

    for (int i = 0; i < 3; i++) {
        json_t *a = json_object_get(st, keys[i]), *b = json_object_get(cs, keys[i]);
        if (!a || !b || !json_equal(a, b))
            return 0;
    }
    return 1;
}

/* Brings one policy's status up to date. */
static ag_err sync_one(ag_k8s *k, ag_k8s_policies *h, pol *p, const rec_index *ix,
                       ag_k8s_policy_status_stats *st, ag_errinfo *ei)
{
    char path[1024], when[40];
    ag_err rc = AG_OK;

    snprintf(path, sizeof path, POLICY_API "/namespaces/%s/augurpolicies/%s", p->ns, p->name);
    for (int attempt = 0;; attempt++) {
        int truncated = 0;
        int64_t now = ag_now_ms();
        json_t *status = policy_status(h, p, p->obj, ix, now, &truncated), *patch, *resp = NULL;
        const char *rv = jstr(json_object_get(p->obj, "metadata"), "resourceVersion");
        char *body, spath[1100];
        long code = 0;

        if (!status) {
            ag_errinfo_set(ei, "AugurPolicy %s/%s: %s", p->ns, p->name, ag_strerror(AG_ENOMEM));
            rc = AG_ENOMEM;
            break;
        }
        if (attempt == 0)
            st->truncated += (unsigned)truncated;
        if (same_status(status, p->obj)) {
            st->unchanged++;
            json_decref(status);
            break;
        }
        ag__k8s_time(now, when, sizeof when);
        if (json_object_set_new(status, "lastUpdateTime", json_string(when)) != 0) {
            json_decref(status);
            rc = AG_ENOMEM;
            break;
        }
        patch = rv ? json_pack("{s:{s:s},s:o}", "metadata", "resourceVersion", rv, "status", status)
                   : json_pack("{s:o}", "status", status);
        body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
        json_decref(patch);
        if (!body) {
            rc = AG_ENOMEM;
            break;
        }
        snprintf(spath, sizeof spath, "%s/status", path);
        rc = ag_k8s_request(k, "PATCH", spath, "application/merge-patch+json", body, &code, &resp,
                            ei);
        free(body);
        if (rc == AG_OK) {
            st->written++;
            if (json_is_object(resp)) { /* what the server holds now */
                json_decref(p->obj);
                p->obj = resp;
            } else {
                json_decref(resp);
            }
            break;
        }
        if (rc != AG_EHTTP || code != 409 || attempt == MAX_RETRIES)
            break;
        st->conflicts++;
        {
            json_t *fresh = NULL;
            if ((rc = ag_k8s_get(k, path, &fresh, ei)) != AG_OK)
                break;
            json_decref(p->obj);
            p->obj = fresh;
        }
    }
    return rc;
}

ag_err ag_k8s_policy_status_sync(ag_k8s *k, ag_k8s_policies *p, const ag_view *v,
                                 ag_k8s_policy_status_stats *st, ag_errinfo *ei)
{
    ag_k8s_policy_status_stats local;
    rec_index ix = {NULL, 0};
    ag_err first = AG_OK;

    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!p)
        return AG_OK;
    if (v && v->nrecs) {
        if (!(ix.r = ag__malloc(v->nrecs * sizeof *ix.r))) {
            ag_errinfo_set(ei, "AugurPolicy status: %s", ag_strerror(AG_ENOMEM));
            return AG_ENOMEM;
        }
        for (size_t i = 0; i < v->nrecs; i++)
            ix.r[i] = &v->recs[i];
        ix.n = v->nrecs;
        qsort(ix.r, ix.n, sizeof *ix.r, rec_cmp);
    }
    for (size_t i = 0; i < p->n; i++) {
        pol *pl = &p->p[i];
        ag_errinfo one;
        ag_err rc;
        st->seen++;
        if (!pl->ns[0] || !pl->name[0])
            continue; /* nothing to address it by */
        one.msg[0] = '\0';
        if ((rc = sync_one(k, p, pl, &ix, st, &one)) != AG_OK) {
            st->errors++;
            if (first == AG_OK) {
                first = rc;
                ag_errinfo_set(ei, "AugurPolicy %s/%s status: %s", pl->ns, pl->name,
                               one.msg[0] ? one.msg : ag_strerror(rc));
            }
        }
    }
    ag__free(ix.r);
    return first;
}
