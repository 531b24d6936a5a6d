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

/* The status ag_k8s_vpa_sync() would write for one VPA object, as a new
 * JSON object ({recommendation, conditions}); old conditions keep their
 * lastTransitionTime when their status is the same; now_ms stamps new
 * ones. NULL when out of memory. */
json_t *ag_k8s_vpa_status(const json_t *vpa, const ag_view *v, int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif
