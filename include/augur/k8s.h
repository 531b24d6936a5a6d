/*
 * augur/k8s.h - a small Kubernetes API client and the VPA recommender
 * writer (docs/kubernetes.md).
 *
 * The client reads its configuration in-cluster (the service account's
 * token and CA bundle) or from a kubeconfig, speaks JSON over libcurl
 * with bearer-token or client-certificate authentication, lists and
 * watches collections with resourceVersions, and resolves a pod's owner
 * chain. On top of it, ag_k8s_vpa_sync() is a custom VPA recommender: it
 * writes the status of every VerticalPodAutoscaler naming it in
 * spec.recommenders, as the upstream recommender does
 * (pkg/utils/vpa/api.go: UpdateVpaStatusIfNeeded).
 *
 * JSON values are jansson's (json_t); every json_t the API returns is a
 * new reference the caller drops with json_decref(). An ag_k8s handle is
 * not thread-safe: one per thread.
 */
#ifndef AUGUR_K8S_H
#define AUGUR_K8S_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "augur/err.h"
#include "augur/serve.h"
#include "augur/update.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and how to reach an API server. Strings are owned by the config
 * (ag_k8s_config_free); NULL means absent. The *_data fields hold PEM
 * bytes (already base64-decoded from a kubeconfig's *-data fields). */
typedef struct ag_k8s_config {
    char *server;  /* "https://10.96.0.1:443" (no trailing slash) */
    char *token;   /* bearer token */
    char *ca_file; /* CA bundle path */
    char *ca_data; /* CA bundle PEM */
    size_t ca_data_len;
    char *cert_file, *key_file; /* client certificate and key paths */
    char *cert_data, *key_data; /* client certificate and key PEM */
    size_t cert_data_len, key_data_len;
    char *ns;        /* the context's (or service account's) namespace */
    char *source;    /* "in-cluster" or the kubeconfig path, for messages */
    int insecure;    /* insecure-skip-tls-verify */
    long timeout_ms; /* per request (not watches); 0 = 30 s */
    size_t max_body; /* cap on a response body; 0 = 64 MiB */
} ag_k8s_config;

/* Loads a configuration into *out (zeroed first; free with
 * ag_k8s_config_free, also after a failure). With a path, reads that
 * kubeconfig. With NULL: in-cluster when KUBERNETES_SERVICE_HOST is set,
 * else $KUBECONFIG (its first file), else ~/.kube/config. AG_ECONFIG (or
 * AG_EIO, AG_ENOTFOUND) with ei naming the file and field. */
ag_err ag_k8s_config_load(const char *kubeconfig_or_NULL, ag_k8s_config *out, ag_errinfo *ei);

/* The in-cluster configuration: token and ca.crt (and namespace, when
 * present) from dir (NULL = /var/run/secrets/kubernetes.io/serviceaccount),
 * server from KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT. */
ag_err ag_k8s_config_incluster(const char *dir_or_NULL, ag_k8s_config *out, ag_errinfo *ei);

/* Parses kubeconfig text (len bytes, need not be NUL-terminated) of the
 * file name (for messages; relative certificate paths are taken relative
 * to its directory). The current-context selects cluster and user. */
ag_err ag_k8s_config_parse(const char *name, const char *text, size_t len, ag_k8s_config *out,
                           ag_errinfo *ei);

/* Frees what the config owns and zeroes it. NULL is a no-op. */
void ag_k8s_config_free(ag_k8s_config *c);

typedef struct ag_k8s ag_k8s;

/* A client for config c (copied: c may be freed afterwards). Returns
 * AG_OK and *out (free with ag_k8s_free), or AG_ENOMEM / AG_EIO. */
ag_err ag_k8s_new(const ag_k8s_config *c, ag_k8s **out, ag_errinfo *ei);
void ag_k8s_free(ag_k8s *k);

/* One request. path starts with "/" (query included). body may be NULL
 * (no body); content_type defaults to application/json when a body is
 * sent. On 2xx returns AG_OK and the parsed JSON response in *out (NULL
 * when the body is empty or out is NULL). Otherwise AG_EHTTP with ei
 * holding method, path, status and the API's Status.message; *status
 * (may be NULL) receives the HTTP status in every case (0 when none).
 * AG_ENET on connection failure, AG_ETOOBIG past max_body, AG_EPARSE on
 * a 2xx body that is not JSON. */
ag_err ag_k8s_request(ag_k8s *k, const char *method, const char *path, const char *content_type,
                      const char *body, long *status, json_t **out, ag_errinfo *ei);

/* GET path as JSON (ag_k8s_request with GET). */
ag_err ag_k8s_get(ag_k8s *k, const char *path, json_t **out, ag_errinfo *ei);

/* Lists a collection, following "continue" tokens (limit 500 per page):
 * *items receives a new JSON array of all items, rv (rvlen bytes) the
 * list's metadata.resourceVersion. */
ag_err ag_k8s_list(ag_k8s *k, const char *path, json_t **items, char *rv, size_t rvlen,
                   ag_errinfo *ei);

/* A watch event handler: type is "ADDED", "MODIFIED", "DELETED" or
 * "BOOKMARK"; object is borrowed for the call. Returns 0 to go on,
 * nonzero to stop the watch. */
typedef int (*ag_k8s_watch_fn)(void *ud, const char *type, json_t *object);

/* Watches path from resourceVersion rv (in/out, rvlen bytes; "" = from
 * now) with allowWatchBookmarks=true and timeoutSeconds=timeout_s (0 =
 * 300). Calls fn per event in order and moves rv to each event's
 * object.metadata.resourceVersion (bookmarks included), so the caller
 * resumes from rv. Returns AG_OK when the server ended the stream or fn
 * asked to stop; AG_EGONE when the resourceVersion is too old (an ERROR
 * event with code 410, or HTTP 410): the caller lists again and watches
 * from the list's resourceVersion. Other ERROR events give AG_EHTTP. */
ag_err ag_k8s_watch(ag_k8s *k, const char *path, char *rv, size_t rvlen, ag_k8s_watch_fn fn,
                    void *ud, long timeout_s, ag_errinfo *ei);

/* The top owner of a pod (a JSON Pod object): follows the controller
 * ownerReference, through a ReplicaSet to its Deployment and a Job to its
 * CronJob (reading those objects from the API), and stops at any other
 * kind. A pod without a controller is its own owner ("Pod", its name).
 * Writes kind and name (truncated to fit). An owner that is gone (404)
 * ends the chain at the last object found. */
ag_err ag_k8s_pod_owner(ag_k8s *k, const json_t *pod, char *kind, size_t kindlen, char *name,
                        size_t namelen, ag_errinfo *ei);

/* ---- the VPA recommender --------------------------------------------- */

typedef struct ag_k8s_vpa_stats {
    unsigned seen;      /* VPAs listed, all namespaces */
    unsigned selected;  /* of those, naming exactly our recommender */
    unsigned matched;   /* of those, with a recommendation in the view */
    unsigned written;   /* status patched */
    unsigned unchanged; /* status already as computed: no patch */
    unsigned conflicts; /* 409 answers (each re-read and retried) */
    unsigned errors;    /* VPAs whose status could not be written */
} ag_k8s_vpa_stats;

/* Lists /apis/autoscaling.k8s.io/v1/verticalpodautoscalers and, for each
 * VPA whose spec.recommenders is exactly [{name: recommender}], builds
 * status.recommendation and the RecommendationProvided condition from the
 * view's recommendations for spec.targetRef (kind and name in the VPA's
 * namespace) and spec.resourcePolicy, and writes it with a JSON patch on
 * the status subresource when it differs from the VPA's. A 409 re-reads
 * the VPA and retries, 3 times at most. *st (zeroed first) counts.
 * Returns AG_OK when every selected VPA is up to date, the first error
 * otherwise (after trying them all; detail in ei). */
ag_err ag_k8s_vpa_sync(ag_k8s *k, const ag_view *v, const char *recommender, ag_k8s_vpa_stats *st,
                       ag_errinfo *ei);

/* Every VerticalPodAutoscaler of the cluster (all namespaces) as a new
 * JSON array in *items (caller decrefs): for the actuator's check that no
 * VPA manages a workload it would change. The VPA CRD not installed
 * (404): an empty array and AG_OK. Other errors as ag_k8s_list(). */
ag_err ag_k8s_vpa_list(ag_k8s *k, json_t **items, ag_errinfo *ei);

/* The status ag_k8s_vpa_sync() would write for one VPA object, as a new
 * JSON object ({recommendation, conditions}); old conditions keep their
 * lastTransitionTime when their status is the same; now_ms stamps new
 * ones. NULL when out of memory. */
json_t *ag_k8s_vpa_status(const json_t *vpa, const ag_view *v, int64_t now_ms);

/* ---- AugurPolicy objects (lib/k8s/policy.c) ---------------------------- */

/* A parsed label selector (metav1.LabelSelector): matchLabels and
 * matchExpressions (In, NotIn, Exists, DoesNotExist), ANDed. */
typedef struct ag_k8s_selector ag_k8s_selector;

/* Parses a LabelSelector JSON object (NULL or JSON null: the empty
 * selector). field names it in messages ("spec.selector"). Returns AG_OK
 * and *out (free with ag_k8s_selector_free), AG_EINVAL with ei naming the
 * field path (an unknown operator, In/NotIn without values, values with
 * Exists, a bad label key or value, a wrong JSON type), AG_ENOMEM. */
ag_err ag_k8s_selector_parse(const json_t *sel, const char *field, ag_k8s_selector **out,
                             ag_errinfo *ei);
/* 1 when labels (a JSON object of strings, e.g. metadata.labels; NULL:
 * no labels) satisfy every requirement of s, else 0. A NULL or empty
 * selector matches everything. Pure: no allocation. */
int ag_k8s_selector_matches(const ag_k8s_selector *s, const json_t *labels);
void ag_k8s_selector_free(ag_k8s_selector *s);

/* What an AugurPolicy selects. Owned by the scope
 * (ag_k8s_policy_scope_free). */
typedef struct ag_k8s_policy_scope {
    ag_k8s_selector *selector;    /* spec.selector; never NULL after a parse (empty: all) */
    ag_k8s_selector *ns_selector; /* spec.namespaceSelector; NULL when absent */
    char **namespaces;            /* spec.namespaces */
    size_t nnamespaces;
} ag_k8s_policy_scope;

/* An AugurPolicy object -> *tmpl (policy_ns, policy_name, generation and
 * the settings; ns/kind/name empty) with the CRD's defaults for what is
 * absent (stable, policy's own risk, no bounds, horizon 24h, act false,
 * updateMode Off, maxUnavailableShare 0.25), and *scope (may be NULL:
 * only validated; zeroed first, free with ag_k8s_policy_scope_free).
 * Returns AG_OK; AG_EINVAL with ei naming the object and the field, e.g.
 * `AugurPolicy shop/web: spec.bounds.maxAllowed.memory: "8Gx" is not a
 * quantity` (*tmpl untouched, *scope empty); AG_ENOMEM. */
ag_err ag_k8s_policy_parse(const json_t *obj, ag_wpolicy *tmpl, ag_k8s_policy_scope *scope,
                           ag_errinfo *ei);
/* Frees what the scope owns and zeroes it. NULL is a no-op. */
void ag_k8s_policy_scope_free(ag_k8s_policy_scope *s);

/* What ag_k8s_policies_resolve() found, kept for
 * ag_k8s_policy_status_sync(): every AugurPolicy listed (valid or not,
 * with its parse error), its generation and status as last read, the
 * workloads it selects and those it lost to another policy. */
typedef struct ag_k8s_policies ag_k8s_policies;

typedef struct ag_k8s_policy_stats {
    unsigned seen;       /* AugurPolicies listed, all namespaces */
    unsigned invalid;    /* of those, skipped: the spec did not parse */
    unsigned namespaces; /* namespaces listed (0: no policy has a namespaceSelector) */
    unsigned workloads;  /* workloads listed, the five kinds (Jobs of CronJobs left out) */
    unsigned selected;   /* workloads selected by a policy (entries of *out) */
    unsigned conflicts;  /* of those, selected by more than one policy */
} ag_k8s_policy_stats;

/* Lists /apis/augur.dev/v1alpha1/augurpolicies (all namespaces), parses
 * each (an invalid one is skipped and remembered), finds the namespaces
 * each covers (spec.namespaces plus spec.namespaceSelector over
 * /api/v1/namespaces; neither: its own) and the workloads there whose
 * labels match spec.selector: Deployments, StatefulSets, DaemonSets,
 * Jobs (not those owned by a CronJob) and CronJobs, each collection
 * listed once. A workload two policies select goes to the older
 * (creationTimestamp, then namespace/name). *out (caller owns, free with
 * free(); NULL when none) receives one entry per selected workload,
 * sorted for ag_wpolicy_find(), *n their count. pols
 * (may be NULL) receives the handle for the status writer (free with
 * ag_k8s_policies_free). *st (may be NULL) is zeroed first. Returns
 * AG_OK, or the list's error (AG_EHTTP for a 404 when the CRD is not
 * installed or a 403 without RBAC, AG_ENET, ...) with ei saying so; then
 * *out, *n and *pols are NULL / 0 and the caller goes on without
 * policies. */
ag_err ag_k8s_policies_resolve(ag_k8s *k, ag_k8s_policies **pols, ag_wpolicy **out, size_t *n,
                               ag_k8s_policy_stats *st, ag_errinfo *ei);
void ag_k8s_policies_free(ag_k8s_policies *p);

/* The most entries status.recommendations holds (etcd caps an object at
 * 1.5 MiB); the RecommendationProvided condition says when it cut. */
#define AG_K8S_POLICY_MAX_RECS 1000

typedef struct ag_k8s_policy_status_stats {
    unsigned seen;      /* AugurPolicies in the handle */
    unsigned written;   /* status patched */
    unsigned unchanged; /* status already as computed (but for lastUpdateTime): no patch */
    unsigned conflicts; /* 409 answers (each re-read and retried) */
    unsigned errors;    /* policies whose status could not be written */
    unsigned truncated; /* policies with more than AG_K8S_POLICY_MAX_RECS entries */
} ag_k8s_policy_status_stats;

/* Writes the status of every AugurPolicy in p (from the last resolve)
 * from the view v (may be NULL: no recommendations): observedGeneration,
 * lastUpdateTime, recommendations (one per selected workload-container
 * with a recommendation in v) and the conditions Ready,
 * RecommendationProvided and Conflict (other condition types are kept).
 * A merge patch on the status subresource, with metadata.resourceVersion
 * as a precondition, sent only when something but lastUpdateTime
 * changes; a 409 re-reads the object and retries (3 times at most). The
 * handle keeps what the server answered, so it may be synced again. *st
 * (may be NULL) is zeroed first. Returns AG_OK when every status is up
 * to date, the first error otherwise (after trying them all). */
ag_err ag_k8s_policy_status_sync(ag_k8s *k, ag_k8s_policies *p, const ag_view *v,
                                 ag_k8s_policy_status_stats *st, ag_errinfo *ei);

/* ---- the actuator (lib/k8s/actuate.c) --------------------------------- */

/* Why the actuator did what it did with a workload (one per workload and
 * call). ag_k8s_actuate_reason_name() gives a short text. */
typedef enum ag_k8s_act_reason {
    AG_ACTUATE_APPLIED = 0,   /* pods resized or the template patched (or would be: dry run) */
    AG_ACTUATE_UP_TO_DATE,    /* the rules want no pod updated */
    AG_ACTUATE_NEVER_KIND,    /* a Job or a bare Pod (or another kind): never touched */
    AG_ACTUATE_NO_REC,        /* no usable recommendation for its containers */
    AG_ACTUATE_GONE,          /* the workload is not there (404) */
    AG_ACTUATE_INITIAL_ROLLS, /* Initial: a template change would roll pods out */
    AG_ACTUATE_ALREADY,       /* the template holds what augur wrote last (augur.dev/applied) */
    AG_ACTUATE_ROLLOUT,       /* a rollout is in progress */
    AG_ACTUATE_SHARE,         /* more pods at once than maxUnavailableShare allows */
    AG_ACTUATE_PDB,           /* a PodDisruptionBudget allows no disruption now */
    AG_ACTUATE_ERROR,         /* an API request failed (the message says which) */
    AG_ACTUATE_VPA,           /* a VPA with an update mode other than Off manages it */
    AG_ACTUATE_NREASONS
} ag_k8s_act_reason;

/* Static text: "applied", "up to date", "never touched", "no recommendation",
 * "gone", "initial would roll out", "already applied", "rollout in
 * progress", "share", "pdb", "error", "vpa". */
const char *ag_k8s_actuate_reason_name(ag_k8s_act_reason r);

/* What was decided for one workload. Borrowed for the callback. */
typedef struct ag_k8s_act_decision {
    const char *ns, *kind, *name; /* the workload */
    int mode;                     /* ag_act_mode asked for (augur/serve.h) */
    ag_k8s_act_reason reason;
    const char *action; /* "resize", "patch-template" or "none" */
    int dry_run;        /* nothing was sent: counts are what would be done */
    unsigned pods;      /* pods of the workload (0 when not listed) */
    unsigned wanting;   /* of those, pods the rules want updated */
    unsigned resized;   /* pods resized in place */
    unsigned deferred;  /* wanting, left for later by the share */
    char msg[256];      /* in a few words, for a log line */
} ag_k8s_act_decision;

typedef void (*ag_k8s_act_fn)(void *ud, const ag_k8s_act_decision *d);

/* The current memory use in bytes of a container of a pod, NAN when
 * unknown (augur's own samples: the daemon's store). */
typedef double (*ag_k8s_act_usage_fn)(void *ud, const char *ns, const char *pod,
                                      const char *container);

typedef struct ag_k8s_act_opts {
    int enable;                /* 0 (default): ag_k8s_actuate() does nothing at all */
    int dry_run;               /* read, decide, count and report; send no change */
    ag_update_rules rules;     /* the updater's rules (augur/update.h defaults) */
    int64_t now_ms;            /* 0: the clock (pod ages, the annotation's time) */
    ag_k8s_act_fn on_decision; /* may be NULL */
    void *ud;
    ag_k8s_act_usage_fn mem_usage; /* may be NULL: memory limits are then never */
    void *usage_ud;                /* lowered in place */
    /* The cluster's VerticalPodAutoscalers (a JSON array of VPA objects,
     * borrowed; NULL: not checked): a workload one of them targets with
     * an updateMode other than "Off" (absent means "Auto") is left to it,
     * so that the two never fight over its pods. */
    const json_t *vpas;
} ag_k8s_act_opts;

/* Fills o with the defaults: disabled, not a dry run, the VPA's rules. */
void ag_k8s_actuate_opts_default(ag_k8s_act_opts *o);

typedef struct ag_k8s_act_stats {
    unsigned considered; /* workloads in the view whose policy has act and a mode != Off */
    unsigned applied;    /* of those, something done (would be, in a dry run) */
    unsigned skipped;    /* of those, nothing done; why in reasons[] */
    unsigned reasons[AG_ACTUATE_NREASONS];
    unsigned pods_resized;  /* in place */
    unsigned pods_deferred; /* wanting, held back by the share */
    unsigned templates_patched;
    unsigned blocked_pdb;      /* = reasons[AG_ACTUATE_PDB] */
    unsigned blocked_share;    /* = reasons[AG_ACTUATE_SHARE] */
    unsigned resize_fallbacks; /* resize answered 404/405: Recreate instead */
    unsigned errors;           /* = reasons[AG_ACTUATE_ERROR] */
} ag_k8s_act_stats;

/* The annotation on the pod template holding what augur last wrote:
 * {"time": RFC 3339, "containers": {NAME: {"requests": {...}, "limits":
 * {...}}}}. */
#define AG_K8S_ACT_ANNOTATION "augur.dev/applied"

/* Applies the view's recommendations to the workloads whose policy in
 * pol[0..npol) (sorted, as ag_wpolicy_find() needs) has act set and a
 * mode other than Off, once (the daemon calls it every step), with the
 * updater's rules (augur/update.h) per pod. Per mode: InPlaceOrRecreate
 * resizes running pods through pods/resize (at most
 * max(1, floor(share x ready pods)) resizing at once, counting those
 * already resizing; falls back to Recreate, for the client's life, when
 * the server has no resize subresource); Recreate patches the pod
 * template's resources (strategic merge) when a pod wants an update and
 * no rollout is in progress, every matching PodDisruptionBudget allows a
 * disruption and the rollout's maxUnavailable is within the share;
 * Initial patches the template only where that rolls nothing out
 * (OnDelete StatefulSets and DaemonSets, CronJobs). Jobs and bare Pods
 * are never touched. Limits keep each container's limit:request ratio.
 * Does nothing unless o->enable; with o->dry_run sends only reads.
 * o->on_decision hears one decision per workload considered. *st (may
 * be NULL) is zeroed first. v, pol and o are borrowed for the call.
 * Returns AG_OK when every workload was handled (skips are not errors),
 * else the first error after trying them all (AG_EHTTP, AG_ENET, ...,
 * detail in ei); AG_ENOMEM at once. */
ag_err ag_k8s_actuate(ag_k8s *k, const ag_view *v, const ag_wpolicy *pol, size_t npol,
                      const ag_k8s_act_opts *o, ag_k8s_act_stats *st, ag_errinfo *ei);

#ifdef __cplusplus
}
#endif
#endif
