/*
 * report/yaml.c - recommendations as Kubernetes objects.
 *
 * Per workload (items grouped by namespace, kind and name, in order of
 * first appearance) one YAML document holding an autoscaling.k8s.io/v1
 * VerticalPodAutoscaler in updateMode "Off" whose status carries the
 * recommendation, as the VPA recommender would write it; then a document
 * with a strategic-merge patch of the workload's pod template for
 * `kubectl patch --type strategic --patch-file`, preceded by a comment
 * giving the command. Kinds whose pod template cannot be patched (Pod,
 * Job, custom resources) get a comment instead of a patch. The layout is
 * documented in docs/output.md and validated against the VPA CRD's schema
 * by tests/report/test_vpa_schema.sh.
 *
 * Quantities are always quoted strings ("250m", "2") and other strings
 * are quoted whenever a YAML reader could take them for something else.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include "augur/util.h"
#include "report/report_int.h"
#include "util/alloc.h"

/* How a workload kind is addressed: its targetRef apiVersion, where its
 * pod spec lives for a patch (NULL = not patchable with a strategic merge). */
typedef struct kind_info {
    const char *kind, *api_version, *pod_spec_path;
} kind_info;

static const kind_info kinds[] = {
    {"Deployment", "apps/v1", "spec.template.spec"},
    {"StatefulSet", "apps/v1", "spec.template.spec"},
    {"DaemonSet", "apps/v1", "spec.template.spec"},
    {"ReplicaSet", "apps/v1", "spec.template.spec"},
    {"CronJob", "batch/v1", "spec.jobTemplate.spec.template.spec"},
    {"Job", "batch/v1", NULL},
    {"Pod", "v1", NULL},
};

static kind_info lookup_kind(const char *kind)
{
    kind_info other = {kind, "apps/v1", NULL};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i];
    return other;
}

/* A string YAML 1.1 and 1.2 readers both read back as the same string
 * when written plain: a letter, then letters, digits and ._/- only, and
 * not one of the words YAML 1.1 turns into booleans or null. */
static int plain_ok(const char *s)
{
    static const char *const words[] = {"y",   "n",    "yes",   "no",  "on",
                                        "off", "true", "false", "null"};
    if (!isalpha((unsigned char)s[0]))
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._/-", *p))
            return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 0;
    return 1;
}

/* A YAML scalar: plain when safe, else a double-quoted string (JSON
 * string escapes are valid YAML double-quoted escapes). */
static ag_err scalar(ag_buf *b, const char *s)
{
    return plain_ok(s) ? ag__buf_puts(b, s) : ag__buf_json_str(b, s);
}

/* Text inside a comment: a newline would end the comment, so control
 * characters become '?'. */
static ag_err comment_text(ag_buf *b, const char *s)
{
    ag_err rc = AG_OK;
    for (; rc == AG_OK && *s; s++) {
        char c = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
        rc = ag__buf_append(b, &c, 1);
    }
    return rc;
}

/* "Kind ns/name" as comment text. */
static ag_err comment_workload(ag_buf *b, const ag_wcontainer *wc)
{
    ag_err rc = comment_text(b, wc->kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " ");
    if (rc == AG_OK)
        rc = comment_text(b, wc->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "/");
    if (rc == AG_OK)
        rc = comment_text(b, wc->name);
    return rc;
}

/* A shell word for the kubectl command in a comment: single-quoted
 * unless made of safe characters only. */
static ag_err shell_word(ag_buf *b, const char *s)
{
    ag_err rc;
    int safe = *s != '\0';

    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            safe = 0;
    if (safe)
        return ag__buf_puts(b, s);
    rc = ag__buf_puts(b, "'");
    for (; rc == AG_OK && *s; s++) {
        if (*s == '\'')
            rc = ag__buf_puts(b, "'\\''");
        else
            rc = comment_text(b, (char[]){*s, '\0'});
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "'");
    return rc;
}

/* metadata.name of the VPA: "<workload>-augur" made a valid DNS subdomain
 * (lower case, [a-z0-9.-], at most 253 characters); with the kind too,
 * "<workload>-<kind>-augur", when another workload of the same namespace
 * and name but another kind is in the report, so names never collide. */
static ag_err vpa_name(ag_buf *b, const char *name, const char *kind, int with_kind)
{
    size_t start = b->len, n;
    ag_err rc = ag__buf_puts(b, name);

    if (rc == AG_OK && with_kind)
        rc = ag__buf_printf(b, "-%s", kind);
    if (rc != AG_OK)
        return rc;
    for (size_t i = start; i < b->len; i++) {
        unsigned char c = (unsigned char)tolower((unsigned char)b->p[i]);
        b->p[i] = (char)(isalnum(c) || c == '.' || c == '-' ? c : '-');
    }
    /* Starts and ends with an alphanumeric; room left for "-augur". */
    n = b->len - start;
    while (n > 0 && !isalnum((unsigned char)b->p[start]))
        memmove(b->p + start, b->p + start + 1, n--);
    if (n > 247)
        n = 247;
    while (n > 0 && !isalnum((unsigned char)b->p[start + n - 1]))
        n--;
    b->len = start + n;
    b->p[b->len] = '\0';
    return ag__buf_puts(b, n ? "-augur" : "workload-augur");
}

static int same_workload(const ag_wcontainer *a, const ag_wcontainer *b)
{
    return strcmp(a->ns, b->ns) == 0 && strcmp(a->kind, b->kind) == 0 &&
           strcmp(a->name, b->name) == 0;
}

/* A map of the quantities of one field for the resources that have one
 * ("cpu: \"250m\""). Writes nothing when none has. */
static ag_err quantity_map(ag_buf *b, const ag_report_item *it, ag__rep_field f, const char *key,
                           int indent)
{
    char q[48];
    int any = 0;
    ag_err rc = AG_OK;

    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        double v = ag__rep_rec(it, r, f);
        if (isnan(v))
            continue;
        if (!any++)
            rc = ag__buf_printf(b, "%*s%s:\n", indent, "", key);
        if (rc == AG_OK)
            rc = ag__buf_printf(b, "%*s  %s: ", indent, "", ag__rep_res_name(r));
        if (rc == AG_OK)
            rc = ag__buf_json_str(b, ag__rep_quantity(r, v, q, sizeof q));
        if (rc == AG_OK)
            rc = ag__buf_puts(b, "\n");
    }
    return rc;
}

static int has_target(const ag_report_item *it)
{
    for (int r = 0; r < AG_NRES; r++)
        if (!isnan(ag__rep_rec(it, r, AG__F_TARGET)))
            return 1;
    return 0;
}

/* idx[0..k) are the items of one workload. */
static ag_err write_vpa(ag_buf *b, const ag_report_item *items, size_t n, const size_t *idx,
                        size_t k, const ag_report_opts *o)
{
    const ag_wcontainer *wc = items[idx[0]].wc;
    kind_info ki = lookup_kind(wc->kind);
    int with_kind = 0, provided = 0;
    ag_err rc;

    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].wc->ns, wc->ns) == 0 && strcmp(items[i].wc->name, wc->name) == 0 &&
            strcmp(items[i].wc->kind, wc->kind) != 0)
            with_kind = 1;
    rc = ag__buf_puts(b, "---\n# ");
    if (rc == AG_OK)
        rc = comment_workload(b, wc);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\napiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\n"
                             "metadata:\n  name: ");
    if (rc == AG_OK)
        rc = vpa_name(b, wc->name, wc->kind, with_kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n  namespace: ");
    if (rc == AG_OK)
        rc = scalar(b, wc->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n  labels:\n    app.kubernetes.io/managed-by: augur\n"
                             "  annotations:\n    augur/algorithm: ");
    if (rc == AG_OK)
        rc = scalar(b, o->algorithm ? o->algorithm : "");
    if (rc == AG_OK)
        rc = ag__buf_printf(
            b, "\nspec:\n  targetRef:\n    apiVersion: %s\n    kind: ", ki.api_version);
    if (rc == AG_OK)
        rc = scalar(b, wc->kind);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n    name: ");
    if (rc == AG_OK)
        rc = scalar(b, wc->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n  updatePolicy:\n    updateMode: \"Off\"\n"
                             "  recommenders:\n  - name: augur\n"
                             "status:\n  recommendation:\n    containerRecommendations:");
    for (size_t j = 0; rc == AG_OK && j < k; j++) {
        const ag_report_item *it = &items[idx[j]];
        if (!has_target(it))
            continue;
        rc = ag__buf_puts(b, provided++ ? "    - containerName: " : "\n    - containerName: ");
        if (rc == AG_OK)
            rc = scalar(b, it->wc->container);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, "\n");
        if (rc == AG_OK)
            rc = quantity_map(b, it, AG__F_TARGET, "target", 6);
        if (rc == AG_OK)
            rc = quantity_map(b, it, AG__F_LOWER, "lowerBound", 6);
        if (rc == AG_OK)
            rc = quantity_map(b, it, AG__F_UPPER, "upperBound", 6);
        if (rc == AG_OK)
            rc = quantity_map(b, it, AG__F_UNCAPPED, "uncappedTarget", 6);
    }
    if (rc == AG_OK && !provided)
        rc = ag__buf_puts(b, " []\n");
    if (rc == AG_OK && provided)
        rc = ag__buf_puts(b, "  conditions:\n  - type: RecommendationProvided\n"
                             "    status: \"True\"\n");
    if (rc == AG_OK && !provided)
        rc = ag__buf_puts(b, "  conditions:\n  - type: RecommendationProvided\n"
                             "    status: \"False\"\n    reason: NotEnoughData\n"
                             "    message: no container of this workload has enough usage data\n");
    return rc;
}

/* The patch entry of one container; *wrote set when it wrote anything. */
static ag_err patch_container(ag_buf *b, const ag_report_item *it, const char *pad, int *wrote)
{
    static const ag__rep_field fields[2] = {AG__F_TARGET, AG__F_LIMIT};
    static const char *const names[2] = {"requests", "limits"};
    char q[48];
    ag_err rc = AG_OK;

    *wrote = 0;
    for (int s = 0; rc == AG_OK && s < 2; s++) {
        int any = 0;
        for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
            double v = ag__rep_rec(it, r, fields[s]);
            if (isnan(v))
                continue;
            if (!*wrote) {
                rc = ag__buf_printf(b, "%s- name: ", pad);
                if (rc == AG_OK)
                    rc = scalar(b, it->wc->container);
                if (rc == AG_OK)
                    rc = ag__buf_printf(b, "\n%s  resources:\n", pad);
                *wrote = 1;
            }
            if (rc == AG_OK && !any++)
                rc = ag__buf_printf(b, "%s    %s:\n", pad, names[s]);
            if (rc == AG_OK)
                rc = ag__buf_printf(b, "%s      %s: ", pad, ag__rep_res_name(r));
            if (rc == AG_OK)
                rc = ag__buf_json_str(b, ag__rep_quantity(r, v, q, sizeof q));
            if (rc == AG_OK)
                rc = ag__buf_puts(b, "\n");
        }
    }
    return rc;
}

/* Comments for requests the patch raises above a current limit it leaves
 * alone: the API server would reject such a patch. */
static ag_err limit_warnings(ag_buf *b, const ag_report_item *it)
{
    char q1[48], q2[48];
    ag_err rc = AG_OK;

    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        double req = ag__rep_rec(it, r, AG__F_TARGET), lim = ag__rep_cur_limit(it, r);
        if (isnan(req) || isnan(lim) || !isnan(ag__rep_rec(it, r, AG__F_LIMIT)) || req <= lim)
            continue;
        rc = ag__buf_puts(b, "# warning: container ");
        if (rc == AG_OK)
            rc = comment_text(b, it->wc->container);
        if (rc == AG_OK)
            rc = ag__buf_printf(b,
                                ": the %s request %s is above the current limit %s; raise "
                                "the limit too or the API server rejects this patch\n",
                                ag__rep_res_name(r), ag__rep_quantity(r, req, q1, sizeof q1),
                                ag__rep_quantity(r, lim, q2, sizeof q2));
    }
    return rc;
}

static ag_err no_patch(ag_buf *b, const ag_wcontainer *wc, const char *why)
{
    ag_err rc = ag__buf_puts(b, "# no patch for ");
    if (rc == AG_OK)
        rc = comment_workload(b, wc);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ": %s\n", why);
    return rc;
}

/* Writes the pod spec path ("spec.template.spec") as nested maps down to
 * "containers:" and returns the indentation of the list in *pad. */
static ag_err patch_head(ag_buf *b, const char *path, char *pad, size_t padlen)
{
    size_t depth = 0;
    ag_err rc = AG_OK;

    while (rc == AG_OK && *path) {
        size_t len = strcspn(path, ".");
        rc = ag__buf_printf(b, "%*s%.*s:\n", (int)(2 * depth), "", (int)len, path);
        depth++;
        path += len + (path[len] == '.');
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(b, "%*scontainers:\n", (int)(2 * depth), "");
    snprintf(pad, padlen, "%*s", (int)(2 * depth), "");
    return rc;
}

static ag_err write_patch(ag_buf *b, const ag_report_item *items, const size_t *idx, size_t k)
{
    const ag_wcontainer *wc = items[idx[0]].wc;
    kind_info ki = lookup_kind(wc->kind);
    ag_buf body;
    char pad[64];
    int any = 0;
    ag_err rc = AG_OK;

    if (strcmp(wc->kind, "Pod") == 0)
        return no_patch(b, wc,
                        "a bare pod's resources cannot be patched; set the values above "
                        "in its manifest and recreate it");
    if (strcmp(wc->kind, "Job") == 0)
        return no_patch(b, wc,
                        "a Job's pod template cannot be changed; set the values above in "
                        "its manifest (or its CronJob's)");
    if (!ki.pod_spec_path)
        return no_patch(b, wc, "strategic-merge patches work on built-in workload kinds only");

    ag__buf_init(&body, 0);
    rc = patch_head(&body, ki.pod_spec_path, pad, sizeof pad);
    for (size_t j = 0; rc == AG_OK && j < k; j++) {
        const ag_report_item *it = &items[idx[j]];
        int wrote = 0, dup = 0;
        for (size_t p = 0; p < j; p++) /* one entry per container name */
            dup |= strcmp(items[idx[p]].wc->container, it->wc->container) == 0;
        if (dup)
            continue;
        rc = patch_container(&body, it, pad, &wrote);
        any |= wrote;
    }
    if (rc == AG_OK && !any)
        rc = no_patch(b, wc, "no container has a recommendation");
    if (rc != AG_OK || !any)
        goto out;
    rc = ag__buf_puts(b, "---\n# kubectl patch ");
    for (const char *p = wc->kind; rc == AG_OK && *p; p++)
        rc = ag__buf_printf(b, "%c", tolower((unsigned char)*p));
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " ");
    if (rc == AG_OK)
        rc = shell_word(b, wc->name);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " -n ");
    if (rc == AG_OK)
        rc = shell_word(b, wc->ns);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, " --type strategic --patch-file <this document>\n");
    for (size_t j = 0; rc == AG_OK && j < k; j++)
        rc = limit_warnings(b, &items[idx[j]]);
    if (rc == AG_OK)
        rc = ag__buf_append(b, body.p, body.len);
out:
    ag__buf_free(&body);
    return rc;
}

ag_err ag__rep_yaml(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o)
{
    unsigned char *done = NULL;
    size_t *idx = NULL;
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, 0);
    if (n) {
        done = ag__calloc(n, 1);
        idx = ag__calloc(n, sizeof *idx);
        if (!done || !idx) {
            rc = AG_ENOMEM;
            goto out;
        }
    }
    rc = ag__buf_puts(&b, "# augur recommendations (algorithm ");
    if (rc == AG_OK)
        rc = comment_text(&b, o->algorithm ? o->algorithm : "?");
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, "): per workload a VerticalPodAutoscaler (updateMode Off) and a\n"
                              "# strategic-merge patch of its pod template; see docs/output.md\n");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        size_t k = 0;
        if (done[i])
            continue;
        for (size_t j = i; j < n; j++) {
            if (!done[j] && same_workload(items[i].wc, items[j].wc)) {
                done[j] = 1;
                idx[k++] = j;
            }
        }
        rc = write_vpa(&b, items, n, idx, k, o);
        if (rc == AG_OK)
            rc = write_patch(&b, items, idx, k);
        if (rc == AG_OK)
            rc = ag__rep_flush(f, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK)
        rc = ag__rep_flush(f, &b, 0);
out:
    ag__free(done);
    ag__free(idx);
    ag__buf_free(&b);
    return rc;
}
