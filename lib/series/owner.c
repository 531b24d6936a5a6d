/*
 * series/owner.c - which workload owns a pod.
 *
 * The VPA aggregates the pods of one controller, so augur needs the owner
 * of every pod. kube-state-metrics' kube_pod_owner names the direct owner
 * (a ReplicaSet, a Job, ...); Kubernetes controllers name what they create
 * with fixed suffixes, so the top-level workload can be read off the names:
 *   Deployment  api           -> ReplicaSet api-<template hash>  -> pods api-<hash>-<5 chars>
 *   CronJob     nightly       -> Job nightly-<minutes since epoch> -> pods nightly-<n>-<5 chars>
 *   StatefulSet web           -> pods web-0, web-1, ...
 *   DaemonSet   agent         -> pods agent-<5 chars>
 * The random suffixes use the alphabet of k8s.io/apimachinery's
 * rand.String / SafeEncodeString (no vowels, no 0 1 3). The rules are
 * written up in docs/data-model.md.
 */
#include <string.h>
#include "series/series_int.h"

static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

/* 1 when s[0..n) are all from the safe alphabet. */
static int all_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(safe_alphabet, s[i]))
            return 0;
    return 1;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

/* Returns the length of the name before a "-<suffix>" whose suffix has
 * min..max characters accepted by ok, or 0 when there is none (or the name
 * before it would be empty). */
static size_t strip_suffix(const char *s, size_t n, size_t min, size_t max,
                           int (*ok)(const char *, size_t))
{
    const char *dash = NULL;

    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '-') {
            dash = s + i - 1;
            break;
        }
    }
    if (!dash || dash == s)
        return 0;
    size_t slen = n - (size_t)(dash - s) - 1;
    if (slen < min || slen > max || !ok(dash + 1, slen))
        return 0;
    return (size_t)(dash - s);
}

/* A ReplicaSet's pod-template-hash suffix: '-' then 6..10 safe chars. */
static size_t strip_template_hash(const char *s, size_t n)
{
    return strip_suffix(s, n, 6, 10, all_safe);
}

/* A CronJob's Job suffix: the scheduled time in minutes, 8 or more digits. */
static size_t strip_cron_time(const char *s, size_t n)
{
    return strip_suffix(s, n, 8, 20, all_digits);
}

/* A StatefulSet ordinal: digits without a leading zero (or just "0"). */
static int ordinal(const char *s, size_t n)
{
    return all_digits(s, n) && (n == 1 || s[0] != '0');
}

static void copy_name(char *buf, size_t len, const char *s, size_t n)
{
    if (len == 0)
        return;
    if (n >= len)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

void ag_infer_owner(const char *pod, const char **kind, char *name_buf, size_t len)
{
    size_t n = strlen(pod), base, inner;

    /* Checked most specific first: a 5-char random suffix, then what is in
     * front of it. */
    base = strip_suffix(pod, n, 5, 5, all_safe);
    if (base) {
        inner = strip_cron_time(pod, base);
        if (inner) {
            *kind = "CronJob";
            copy_name(name_buf, len, pod, inner);
            return;
        }
        inner = strip_template_hash(pod, base);
        if (inner) {
            *kind = "Deployment";
            copy_name(name_buf, len, pod, inner);
            return;
        }
        /* "<name>-<5 chars>" could be a DaemonSet's or a Job's pod: the name
         * cannot tell; DaemonSets are the common case for long-lived usage. */
        *kind = "DaemonSet";
        copy_name(name_buf, len, pod, base);
        return;
    }
    base = strip_suffix(pod, n, 1, 9, ordinal);
    if (base) {
        *kind = "StatefulSet";
        copy_name(name_buf, len, pod, base);
        return;
    }
    *kind = "Pod";
    copy_name(name_buf, len, pod, n);
}

void ag__resolve_owner(const char *kind, const char *name, const char **okind, char *buf,
                       size_t len)
{
    size_t n = strlen(name), base;

    if (strcmp(kind, "ReplicaSet") == 0 && (base = strip_template_hash(name, n)) != 0) {
        *okind = "Deployment";
        copy_name(buf, len, name, base);
        return;
    }
    if (strcmp(kind, "Job") == 0 && (base = strip_cron_time(name, n)) != 0) {
        *okind = "CronJob";
        copy_name(buf, len, name, base);
        return;
    }
    *okind = kind;
    copy_name(buf, len, name, n);
}
