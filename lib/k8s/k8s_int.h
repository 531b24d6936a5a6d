/*
 * k8s/k8s_int.h - what the files of lib/k8s share beyond the public API:
 * facts a client learns about its API server and keeps for its life, and
 * the time format of metav1.Time.
 */
#ifndef AG_K8S_K8S_INT_H
#define AG_K8S_K8S_INT_H

#include "augur/k8s.h"

/* The server has no pods/resize subresource (it answered 404 or 405:
 * older than Kubernetes 1.33, or InPlacePodVerticalScaling off). */
#define AG__K8S_NO_RESIZE 1u

/* The client's remembered facts (AG__K8S_* bits), zero when created.
 * Borrowed: valid as long as k. */
unsigned *ag__k8s_facts(ag_k8s *k);

/* t_ms as a metav1.Time ("2024-05-02T09:14:07Z": RFC 3339, whole seconds,
 * floored) into buf. */
void ag__k8s_time(int64_t t_ms, char *buf, size_t len);

#endif
