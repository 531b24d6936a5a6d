/*
 * tests/series/test_owner.c - workload owner from pod names and from
 * kube_pod_owner.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/series.h"

static const struct {
    const char *pod, *kind, *name;
} infer_cases[] = {
    {"web-0", "StatefulSet", "web"},
    {"web-12", "StatefulSet", "web"},
    {"kafka-broker-3", "StatefulSet", "kafka-broker"},
    {"api-5d8f7c9b4-x2x7q", "Deployment", "api"},
    {"my-api-7fb96c846b-4xp2z", "Deployment", "my-api"},
    {"coredns-565d847f94-9lz2k", "Deployment", "coredns"},
    {"agent-x2x7q", "DaemonSet", "agent"},
    {"node-exporter-b4lz8", "DaemonSet", "node-exporter"},
    {"job-name-abcde", "Pod", "job-name-abcde"}, /* 'a' 'e' are not in the alphabet */
    {"migrate-bcdfg", "DaemonSet", "migrate"},   /* a Job's pod looks the same */
    {"nightly-28930080-7xk2p", "CronJob", "nightly"},
    {"backup-db-28930085-bx9zq", "CronJob", "backup-db"},
    {"standalone", "Pod", "standalone"},
    {"web-01", "Pod", "web-01"}, /* leading zero: not an ordinal */
    {"web-", "Pod", "web-"},
    {"-0", "Pod", "-0"},
    {"", "Pod", ""},
    {"api-5d8f7c9b4", "Pod", "api-5d8f7c9b4"}, /* a hash alone is not a pod suffix */
    {"x-abcdef-x2x7q", "DaemonSet", "x-abcdef"},  /* 'a' 'e': not a template hash */
};

static void test_infer(void **st)
{
    char name[128];
    const char *kind;
    (void)st;
    for (size_t i = 0; i < sizeof infer_cases / sizeof infer_cases[0]; i++) {
        kind = NULL;
        ag_infer_owner(infer_cases[i].pod, &kind, name, sizeof name);
        if (!kind || strcmp(kind, infer_cases[i].kind) != 0 ||
            strcmp(name, infer_cases[i].name) != 0)
            fail_msg("pod \"%s\": got %s/%s, expected %s/%s", infer_cases[i].pod,
                     kind ? kind : "(null)", name, infer_cases[i].kind, infer_cases[i].name);
    }
    /* A short buffer truncates, never overflows. */
    ag_infer_owner("averyveryverylongname-0", &kind, name, 5);
    assert_string_equal(kind, "StatefulSet");
    assert_string_equal(name, "aver");
}

/* Adds one memory sample so the container survives finish(). */
static ag_container *add(ag_dataset *ds, const char *ns, const char *pod, const char *ctr)
{
    ag_container *c = ag_dataset_container(ds, ns, pod, ctr);
    assert_non_null(c);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], 1000, 1e6), AG_OK);
    return c;
}

static void test_kube_pod_owner(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    const char *k, *n;
    (void)st;
    assert_non_null(ds);
    ag_container *a = add(ds, "prod", "api-5d8f7c9b4-x2x7q", "app");
    ag_container *b = add(ds, "prod", "weird-pod", "app");
    ag_container *c = add(ds, "prod", "nightly-28930080-7xk2p", "job");
    ag_container *d = add(ds, "prod", "rs-pod", "app");
    ag_container *e = add(ds, "prod", "solo-0", "app");
    ag_container *f = add(ds, "prod", "runner-0", "app");
    ag_container *g = add(ds, "prod", "oneoff-12345678-bcdfg", "job");
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "api-5d8f7c9b4-x2x7q", "ReplicaSet",
                                          "api-5d8f7c9b4"),
                     AG_OK);
    /* kube_pod_owner wins over the name pattern. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "weird-pod", "StatefulSet", "db"), AG_OK);
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "nightly-28930080-7xk2p", "Job",
                                          "nightly-28930080"),
                     AG_OK);
    /* A ReplicaSet without a template hash stays a ReplicaSet. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "rs-pod", "ReplicaSet", "legacy"), AG_OK);
    /* "<none>": no controller, the pod is its own workload. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "solo-0", "<none>", "<none>"), AG_OK);
    /* Unknown kinds pass through; the last record wins. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "runner-0", "Job", "x"), AG_OK);
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "runner-0", "Rollout", "runner"), AG_OK);
    /* A Job with a short numeric suffix is not a CronJob's. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "oneoff-12345678-bcdfg", "Job", "oneoff-123"),
                     AG_OK);
    assert_int_equal(ag_dataset_get_owner(ds, "prod", "weird-pod", &k, &n), 1);
    assert_string_equal(k, "StatefulSet");
    assert_string_equal(n, "db");
    assert_int_equal(ag_dataset_get_owner(ds, "prod", "nope", &k, &n), 0);
    assert_int_equal(ag_dataset_get_owner(ds, "other", "weird-pod", &k, &n), 0);

    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    assert_string_equal(a->owner_kind, "Deployment");
    assert_string_equal(a->owner_name, "api");
    assert_string_equal(b->owner_kind, "StatefulSet");
    assert_string_equal(b->owner_name, "db");
    assert_string_equal(c->owner_kind, "CronJob");
    assert_string_equal(c->owner_name, "nightly");
    assert_string_equal(d->owner_kind, "ReplicaSet");
    assert_string_equal(d->owner_name, "legacy");
    assert_string_equal(e->owner_kind, "Pod");
    assert_string_equal(e->owner_name, "solo-0");
    assert_string_equal(f->owner_kind, "Rollout");
    assert_string_equal(f->owner_name, "runner");
    assert_string_equal(g->owner_kind, "Job");
    assert_string_equal(g->owner_name, "oneoff-123");
    /* Setting the owner again after finish() and finishing again updates. */
    assert_int_equal(ag_dataset_set_owner(ds, "prod", "rs-pod", "ReplicaSet", "web-7fb96c846b"),
                     AG_OK);
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    assert_string_equal(d->owner_kind, "Deployment");
    assert_string_equal(d->owner_name, "web");
    ag_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer),
        cmocka_unit_test(test_kube_pod_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
