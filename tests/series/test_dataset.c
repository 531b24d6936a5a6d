/*
 * tests/series/test_dataset.c - the dataset: lookup, cleaning, counter
 * rates, window, idempotence, grouping, selectors, summary line and
 * out-of-memory behaviour.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/series.h"
#include "util/alloc.h"

static void push(ag_samples *s, int64_t t, double v)
{
    assert_int_equal(ag_samples_push(s, t, v), AG_OK);
}

static void test_lookup(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    char pod[32];
    (void)st;
    assert_non_null(ds);
    ag_container *first = ag_dataset_container(ds, "ns", "p", "c");
    assert_non_null(first);
    assert_string_equal(first->ns, "ns");
    assert_string_equal(first->pod, "p");
    assert_string_equal(first->container, "c");
    assert_true(isnan(first->request[AG_CPU]) && isnan(first->limit[AG_MEMORY]));
    assert_ptr_equal(ag_dataset_container(ds, "ns", "p", "c"), first);
    /* Keys that concatenate alike are still different containers. */
    ag_container *x = ag_dataset_container(ds, "ns", "pc", "");
    ag_container *y = ag_dataset_container(ds, "nsp", "", "c");
    assert_true(x != first && y != first && x != y);
    /* Addresses stay valid while the dataset grows. */
    for (int i = 0; i < 20000; i++) {
        snprintf(pod, sizeof pod, "pod-%d", i);
        assert_non_null(ag_dataset_container(ds, "ns", pod, "c"));
    }
    assert_int_equal(ag_dataset_count(ds), 20003);
    assert_ptr_equal(ag_dataset_container(ds, "ns", "p", "c"), first);
    assert_ptr_equal(ag_dataset_at(ds, 0), first);
    assert_string_equal(ag_dataset_at(ds, 20002)->pod, "pod-19999");
    assert_null(ag_dataset_at(ds, 20003));
    snprintf(pod, sizeof pod, "pod-%d", 777);
    assert_ptr_equal(ag_dataset_container(ds, "ns", pod, "c"), ag_dataset_at(ds, 780));
    ag_dataset_free(ds);
    ag_dataset_free(NULL);
    assert_string_equal(ag_resource_name(AG_CPU), "cpu");
    assert_string_equal(ag_resource_name(AG_MEMORY), "memory");
}

/* Rates must equal Prometheus' irate() bit for bit. */
static double irate(int64_t t1, double v1, int64_t t2, double v2)
{
    double inc = v2 < v1 ? v2 : v2 - v1;
    return inc / ((double)(t2 - t1) / 1000.0);
}

static void test_counter_rates(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats s = {0};
    (void)st;
    ag_container *c = ag_dataset_container(ds, "ns", "web-0", "app");
    const int64_t t[] = {1700000000000LL, 1700000015000LL, 1700000030000LL, 1700000045123LL,
                         1700000060000LL};
    const double v[] = {10.1, 13.7, 1.3, 4.9, 4.9};
    for (int i = 0; i < 5; i++)
        push(&c->cpu_counter, t[i], v[i]);
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &s), AG_OK);
    assert_int_equal(c->cpu_counter.n, 0);
    assert_int_equal(c->usage[AG_CPU].n, 4);
    for (int i = 1; i < 5; i++) {
        assert_int_equal(c->usage[AG_CPU].v[i - 1].t_ms, t[i]);
        double want = irate(t[i - 1], v[i - 1], t[i], v[i]);
        if (memcmp(&c->usage[AG_CPU].v[i - 1].v, &want, sizeof want) != 0)
            fail_msg("rate %d = %.17g, expected %.17g", i, c->usage[AG_CPU].v[i - 1].v, want);
    }
    assert_double_near(c->usage[AG_CPU].v[1].v, 1.3 / 15, 1e-15); /* after the reset */
    assert_double_near(c->usage[AG_CPU].v[3].v, 0, 0);
    assert_int_equal(s.counter_resets, 1);
    assert_int_equal(s.samples, 4);
    assert_int_equal(s.containers, 1);
    ag_dataset_free(ds);
}

/* Rates computed from counters merge with rates a reader gave directly;
 * on the same timestamp the counter-derived value wins. */
static void test_rates_merge(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats s = {0};
    (void)st;
    ag_container *c = ag_dataset_container(ds, "ns", "p", "c");
    push(&c->usage[AG_CPU], 1000, 0.5);
    push(&c->usage[AG_CPU], 30000, 9.0);
    push(&c->usage[AG_CPU], 50000, 0.7);
    push(&c->cpu_counter, 10000, 1);
    push(&c->cpu_counter, 20000, 2);
    push(&c->cpu_counter, 30000, 4);
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &s), AG_OK);
    assert_int_equal(c->usage[AG_CPU].n, 4);
    assert_int_equal(c->usage[AG_CPU].v[0].t_ms, 1000);
    assert_int_equal(c->usage[AG_CPU].v[1].t_ms, 20000);
    assert_double_near(c->usage[AG_CPU].v[1].v, 0.1, 1e-15);
    assert_int_equal(c->usage[AG_CPU].v[2].t_ms, 30000);
    assert_double_near(c->usage[AG_CPU].v[2].v, 0.2, 1e-15);
    assert_int_equal(c->usage[AG_CPU].v[3].t_ms, 50000);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.unsorted, 0); /* our own appending is not input disorder */
    ag_dataset_free(ds);
}

static void test_cleaning(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats s = {0};
    (void)st;
    ag_container *c = ag_dataset_container(ds, "ns", "p", "c");
    ag_samples *m = &c->usage[AG_MEMORY];
    push(m, 3000, 3);
    push(m, 1000, 1); /* out of order */
    push(m, 2000, 2);
    push(m, 2000, 22); /* duplicate: the last one wins */
    push(m, 4000, NAN);
    push(m, 5000, -1);
    push(m, 6000, INFINITY);
    push(m, 7000, 7);
    push(m, 8000, 8);
    push(m, 9000, 9);
    push(m, 20000, 20); /* 11 s after the previous: a gap (median 1 s) */
    push(&c->oom, 6500, NAN);
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &s), AG_OK);
    assert_int_equal(s.unsorted, 1);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.nonfinite, 2);
    assert_int_equal(s.negative, 1);
    assert_int_equal(s.gaps, 2); /* 3000->7000 and 9000->20000 */
    const int64_t wt[] = {1000, 2000, 3000, 7000, 8000, 9000, 20000};
    const double wv[] = {1, 22, 3, 7, 8, 9, 20};
    assert_int_equal(m->n, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(m->v[i].t_ms, wt[i]);
        assert_double_near(m->v[i].v, wv[i], 0);
    }
    assert_int_equal(c->oom.n, 1); /* an OOM event with unknown memory is kept, as 0 */
    assert_double_near(c->oom.v[0].v, 0, 0);
    assert_int_equal(s.samples, 7);
    ag_dataset_free(ds);
}

static void test_window_and_drop(void **st)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats s = {0};
    (void)st;
    ag_container *a = ag_dataset_container(ds, "ns", "a-0", "c");
    ag_container *b = ag_dataset_container(ds, "ns", "b-0", "c");
    ag_container *e = ag_dataset_container(ds, "ns", "e-0", "c"); /* never gets samples */
    (void)e;
    for (int i = 0; i < 10; i++)
        push(&a->usage[AG_MEMORY], i * 1000, i);
    push(&b->usage[AG_MEMORY], 99000, 1); /* entirely outside */
    assert_int_equal(ag_dataset_finish(ds, 2000, 5000, &s), AG_OK);
    assert_int_equal(ag_dataset_count(ds), 1);
    assert_ptr_equal(ag_dataset_at(ds, 0), a);
    assert_int_equal(a->usage[AG_MEMORY].n, 4);
    assert_int_equal(a->usage[AG_MEMORY].v[0].t_ms, 2000);
    assert_int_equal(a->usage[AG_MEMORY].v[3].t_ms, 5000);
    assert_int_equal(s.outside_window, 7);
    assert_int_equal(s.containers, 1);
    assert_int_equal(s.samples, 4);
    /* Dropped containers are gone from the index too: asking again makes a new one. */
    ag_container *b2 = ag_dataset_container(ds, "ns", "b-0", "c");
    assert_non_null(b2);
    assert_int_equal(b2->usage[AG_MEMORY].n, 0);
    assert_ptr_equal(ag_dataset_container(ds, "ns", "a-0", "c"), a);
    ag_dataset_free(ds);
}

static ag_dataset *messy(void)
{
    ag_dataset *ds = ag_dataset_new();
    const char *pods[] = {"web-1", "api-5d8f7c9b4-x2x7q", "web-0", "agent-x2x7q"};
    assert_non_null(ds);
    for (int p = 0; p < 4; p++) {
        ag_container *c = ag_dataset_container(ds, p == 3 ? "kube" : "prod", pods[p], "app");
        for (int i = 20; i-- > 0;) {
            push(&c->usage[AG_MEMORY], i * 15000, 1e6 * (i + p));
            push(&c->cpu_counter, i * 15000, i % 7 == 6 ? 0.5 : 0.1 * i);
        }
        push(&c->usage[AG_MEMORY], 15000, NAN);
        push(&c->usage[AG_MEMORY], 30000, 5);
    }
    return ds;
}

static void test_idempotent(void **st)
{
    ag_dataset *ds = messy();
    ag_ingest_stats s1 = {0}, s2 = {0}, zero = {0};
    ag_samples copy[4][AG_NRES];
    (void)st;
    assert_int_equal(ag_dataset_finish(ds, 30000, 250000, &s1), AG_OK);
    assert_true(s1.unsorted > 0 && s1.duplicates > 0 && s1.counter_resets > 0);
    assert_true(s1.outside_window > 0);
    assert_int_equal(s1.containers, 4);
    assert_int_equal(ag_dataset_count(ds), 4);
    for (size_t i = 0; i < 4; i++) {
        for (int r = 0; r < AG_NRES; r++) {
            ag_samples *u = &ag_dataset_at(ds, i)->usage[r];
            copy[i][r].n = u->n;
            copy[i][r].v = malloc(u->n * sizeof *u->v + 1);
            memcpy(copy[i][r].v, u->v, u->n * sizeof *u->v);
        }
    }
    ag_container *first = ag_dataset_at(ds, 0);
    assert_int_equal(ag_dataset_finish(ds, 30000, 250000, &s2), AG_OK);
    assert_memory_equal(&s2, &zero, sizeof s2); /* nothing new done or counted */
    assert_ptr_equal(ag_dataset_at(ds, 0), first);
    for (size_t i = 0; i < 4; i++) {
        for (int r = 0; r < AG_NRES; r++) {
            ag_samples *u = &ag_dataset_at(ds, i)->usage[r];
            assert_int_equal(u->n, copy[i][r].n);
            if (u->n)
                assert_memory_equal(u->v, copy[i][r].v, u->n * sizeof *u->v);
            free(copy[i][r].v);
        }
    }
    /* Summing the stats of both calls does not double count. */
    ag_ingest_stats_add(&s2, &s1);
    assert_memory_equal(&s2, &s1, sizeof s1);
    /* Appending later samples and finishing again counts only the new ones. */
    ag_container *c = ag_dataset_container(ds, "prod", "web-0", "app");
    size_t had = c->usage[AG_MEMORY].n;
    push(&c->usage[AG_MEMORY], 240000, 3);
    memset(&s2, 0, sizeof s2);
    assert_int_equal(ag_dataset_finish(ds, 30000, 250000, &s2), AG_OK);
    assert_int_equal(c->usage[AG_MEMORY].n, had);
    assert_int_equal(s2.duplicates, 1);
    assert_int_equal(s2.containers, 0);
    assert_int_equal(s2.samples, 0);
    ag_dataset_free(ds);
}

static void test_sorted_order(void **st)
{
    ag_dataset *ds = messy();
    (void)st;
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    /* (ns, owner kind, owner name, container, pod) */
    assert_string_equal(ag_dataset_at(ds, 0)->pod, "agent-x2x7q");
    assert_string_equal(ag_dataset_at(ds, 1)->pod, "api-5d8f7c9b4-x2x7q");
    assert_string_equal(ag_dataset_at(ds, 2)->pod, "web-0");
    assert_string_equal(ag_dataset_at(ds, 3)->pod, "web-1");
    assert_string_equal(ag_dataset_at(ds, 0)->owner_kind, "DaemonSet");
    assert_string_equal(ag_dataset_at(ds, 1)->owner_kind, "Deployment");
    assert_string_equal(ag_dataset_at(ds, 3)->owner_kind, "StatefulSet");
    ag_dataset_free(ds);
}

static ag_dataset *cluster(void)
{
    ag_dataset *ds = ag_dataset_new();
    static const struct {
        const char *ns, *pod, *ctr, *app;
    } cs[] = {
        {"prod", "api-5d8f7c9b4-bbbbb", "app", "api"},  {"prod", "api-5d8f7c9b4-x2x7q", "app", "api"},
        {"prod", "api-5d8f7c9b4-x2x7q", "proxy", "api"}, {"prod", "api-7c9b45d8f-zzzzz", "app", "api"},
        {"prod", "web-0", "app", "web"},                {"prod", "web-1", "app", NULL},
        {"dev", "api-5d8f7c9b4-x2x7q", "app", "api"},
    };
    assert_non_null(ds);
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        ag_container *c = ag_dataset_container(ds, cs[i].ns, cs[i].pod, cs[i].ctr);
        assert_non_null(c);
        push(&c->usage[AG_MEMORY], 1000, 1);
        if (cs[i].app)
            assert_int_equal(ag_dataset_set_pod_label(ds, cs[i].ns, cs[i].pod, "app", cs[i].app),
                             AG_OK);
    }
    assert_int_equal(ag_dataset_set_pod_label(ds, "prod", "web-0", "tier", "front"), AG_OK);
    assert_int_equal(ag_dataset_set_pod_label(ds, "prod", "web-0", "tier", "back"), AG_OK);
    /* Requests: the newest spec wins. */
    ag_container *a = ag_dataset_container(ds, "prod", "api-5d8f7c9b4-bbbbb", "app");
    ag_container *b = ag_dataset_container(ds, "prod", "api-7c9b45d8f-zzzzz", "app");
    a->request[AG_CPU] = 0.5;
    a->limit[AG_CPU] = 1;
    a->spec_t_ms[AG_CPU] = 2000;
    b->request[AG_CPU] = 0.25;
    b->spec_t_ms[AG_CPU] = 1000;
    b->request[AG_MEMORY] = 128e6;
    b->spec_t_ms[AG_MEMORY] = 1000;
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    return ds;
}

static void test_group(void **st)
{
    ag_dataset *ds = cluster();
    ag_wcontainer *wc;
    size_t n;
    (void)st;
    assert_int_equal(ag_dataset_group(ds, NULL, &wc, &n), AG_OK);
    assert_int_equal(n, 4);
    assert_string_equal(wc[0].ns, "dev");
    assert_string_equal(wc[1].ns, "prod");
    assert_string_equal(wc[1].kind, "Deployment");
    assert_string_equal(wc[1].name, "api");
    assert_string_equal(wc[1].container, "app");
    assert_int_equal(wc[1].n, 3); /* two ReplicaSets of one Deployment */
    assert_string_equal(wc[1].members[0]->pod, "api-5d8f7c9b4-bbbbb");
    assert_double_near(wc[1].request[AG_CPU], 0.5, 0);
    assert_double_near(wc[1].limit[AG_CPU], 1, 0);
    assert_double_near(wc[1].request[AG_MEMORY], 128e6, 0);
    assert_true(isnan(wc[1].limit[AG_MEMORY]));
    assert_string_equal(wc[2].container, "proxy");
    assert_int_equal(wc[2].n, 1);
    assert_true(isnan(wc[2].request[AG_CPU]));
    assert_string_equal(wc[3].kind, "StatefulSet");
    assert_int_equal(wc[3].n, 2);
    ag_wcontainers_free(wc, n);
    ag_wcontainers_free(NULL, 0);
    ag_dataset_free(ds);
}

static size_t count_groups(const ag_dataset *ds, const char *ns, const char *sel)
{
    ag_filter f = {ns, sel};
    ag_wcontainer *wc;
    size_t n = 999;
    assert_int_equal(ag_dataset_group(ds, &f, &wc, &n), AG_OK);
    ag_wcontainers_free(wc, n);
    return n;
}

static void test_selector(void **st)
{
    ag_dataset *ds = cluster();
    ag_errinfo ei;
    ag_wcontainer *wc;
    size_t n;
    ag_filter bad = {NULL, "app=api,oops"};
    (void)st;
    assert_int_equal(count_groups(ds, NULL, NULL), 4);
    assert_int_equal(count_groups(ds, NULL, ""), 4);
    assert_int_equal(count_groups(ds, "prod", NULL), 3);
    assert_int_equal(count_groups(ds, "nope", NULL), 0);
    assert_int_equal(count_groups(ds, NULL, "app=api"), 3);
    assert_int_equal(count_groups(ds, NULL, "app==api"), 3);
    assert_int_equal(count_groups(ds, "prod", "app=api,container!=proxy"), 1);
    assert_int_equal(count_groups(ds, NULL, " kind = StatefulSet "), 1);
    assert_int_equal(count_groups(ds, NULL, "workload=api"), 3);
    assert_int_equal(count_groups(ds, NULL, "namespace=dev"), 1);
    assert_int_equal(count_groups(ds, NULL, "pod=web-1"), 1);
    /* web-1 has no app label: fails app=web, passes app!=web. */
    assert_int_equal(count_groups(ds, NULL, "app=web"), 1);
    assert_int_equal(count_groups(ds, NULL, "app!=api"), 1);
    assert_int_equal(count_groups(ds, NULL, "tier=back"), 1);
    assert_int_equal(count_groups(ds, NULL, "tier=front"), 0);
    assert_int_equal(count_groups(ds, NULL, "missing="), 0);
    assert_int_equal(count_groups(ds, NULL, "missing!=x"), 4);

    assert_int_equal(ag_selector_validate(NULL, NULL), AG_OK);
    assert_int_equal(ag_selector_validate("a=b,c!=d,e==f,x.io/y=z", NULL), AG_OK);
    memset(&ei, 0, sizeof ei);
    assert_int_equal(ag_selector_validate("app=api,oops", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "term 2"));
    assert_non_null(strstr(ei.msg, "oops"));
    assert_int_equal(ag_selector_validate("a=b,,c=d", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "term 2 is empty"));
    assert_int_equal(ag_selector_validate("=x", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "missing key"));
    assert_int_equal(ag_selector_validate("a b=c", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "bad character ' ' in key"));
    assert_int_equal(ag_selector_validate("a=b=c", &ei), AG_EINVAL);
    assert_int_equal(ag_selector_validate("a in (b)", &ei), AG_EINVAL);
    assert_int_equal(ag_selector_validate("a=b,", &ei), AG_EINVAL);
    assert_int_equal(ag_dataset_group(ds, &bad, &wc, &n), AG_EINVAL);
    ag_dataset_free(ds);
}

static void test_stats_print(void **st)
{
    ag_ingest_stats s = {0}, t = {0};
    char line[512];
    FILE *f = tmpfile();
    (void)st;
    assert_non_null(f);
    s.lines = 12000;
    s.samples = 11990;
    s.containers = 24;
    s.duplicates = 4;
    s.nonfinite = 2;
    s.counter_resets = 1;
    ag_ingest_stats_print(&s, f);
    t.lines = 1;
    t.samples = 1;
    t.containers = 1;
    ag_ingest_stats_print(&t, f);
    t.gaps = 2;
    t.outside_window = 1;
    ag_ingest_stats_print(&t, f);
    rewind(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "read 12000 lines: 11990 samples kept in 24 containers; 4 duplicates "
                              "dropped, 2 NaN/Inf dropped, 1 counter reset\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "read 1 line: 1 sample kept in 1 container\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "read 1 line: 1 sample kept in 1 container; 2 gaps in the data, 1 "
                              "sample outside the window dropped\n");
    fclose(f);
    ag_ingest_stats_add(&t, &s);
    assert_int_equal(t.lines, 12001);
    assert_int_equal(t.duplicates, 4);
    assert_int_equal(t.gaps, 2);
}

/* The whole life of a dataset; every failure is AG_ENOMEM and leaves
 * nothing leaked (ASan's leak check runs at exit). */
static ag_err scenario(void)
{
    ag_dataset *ds = ag_dataset_new();
    ag_wcontainer *wc = NULL;
    ag_filter f = {"prod", "app!=x"};
    size_t n = 0;
    ag_err err = AG_OK;
    char pod[32];

    if (!ds)
        return AG_ENOMEM;
    for (int p = 0; p < 6; p++) {
        snprintf(pod, sizeof pod, p < 3 ? "web-%d" : "api-5d8f7c9b4-x2x%dq", p + 2);
        ag_container *c = ag_dataset_container(ds, "prod", pod, p % 2 ? "a" : "b");
        if (!c) {
            err = AG_ENOMEM;
            goto out;
        }
        for (int i = 12; i-- > 0;) {
            if ((err = ag_samples_push(&c->cpu_counter, i * 1000, i % 5)) != AG_OK ||
                (err = ag_samples_push(&c->usage[AG_MEMORY], i * 1000, i)) != AG_OK ||
                (err = ag_samples_push(&c->usage[AG_MEMORY], i * 1000, i)) != AG_OK)
                goto out;
        }
        if ((err = ag_samples_push(&c->oom, 5000, 1)) != AG_OK ||
            (err = ag_dataset_set_pod_label(ds, "prod", pod, "app", "y")) != AG_OK ||
            (err = ag_dataset_set_owner(ds, "prod", pod, "ReplicaSet", "api-5d8f7c9b4")) != AG_OK)
            goto out;
    }
    if ((err = ag_dataset_finish(ds, 2000, 10000, NULL)) != AG_OK)
        goto out;
    if ((err = ag_dataset_finish(ds, 2000, 10000, NULL)) != AG_OK)
        goto out;
    if ((err = ag_dataset_group(ds, &f, &wc, &n)) != AG_OK)
        goto out;
    if (n != 2 || wc[0].n != 3)
        err = AG_EINVAL;
out:
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
    return err;
}

static void test_oom(void **st)
{
    long n;
    ag_err err = AG_ENOMEM;
    (void)st;
    for (n = 1; n < 100000 && err == AG_ENOMEM; n++) {
        ag__alloc_fail_after(n);
        err = scenario();
        if (err != AG_OK && err != AG_ENOMEM)
            fail_msg("allocation %ld failing gave %d, expected AG_ENOMEM", n, err);
    }
    ag__alloc_fail_after(0);
    assert_int_equal(err, AG_OK);
    assert_true(n > 20); /* the scenario really allocates */
    assert_int_equal(scenario(), AG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),         cmocka_unit_test(test_counter_rates),
        cmocka_unit_test(test_rates_merge),    cmocka_unit_test(test_cleaning),
        cmocka_unit_test(test_window_and_drop), cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_sorted_order),   cmocka_unit_test(test_group),
        cmocka_unit_test(test_selector),       cmocka_unit_test(test_stats_print),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
