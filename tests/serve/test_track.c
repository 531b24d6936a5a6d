/*
 * tests/serve/test_track.c - the daemon's running state (lib/serve/track.c).
 *
 * Fed in overlapping hourly fetches, a track's live VPA gives exactly
 * what `augur recommend` computes from all the samples at once, with
 * more pods than the recommender had room for at creation; the hourly
 * cells are the hottest pod's mean CPU and peak memory of each hour, and
 * the workload's total its mean total cores;
 * pods and tracks not seen for the history are forgotten; every
 * allocation failing in turn is survived.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/online.h"
#include "augur/recommend.h"
#include "augur/series.h"
#include "serve/serve_int.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define T0 (1700000000000LL / HOUR_MS * HOUR_MS)
#define NPODS 7
#define HOURS 50

static double cpu_at(int pod, int64_t m)
{
    return 0.2 + 0.05 * pod + 0.15 * sin((double)m / 120.0) + 0.01 * (double)((m * 7 + pod) % 5);
}

static double mem_at(int pod, int64_t m)
{
    return 3e8 + 1e7 * pod + 5e6 * (double)((m * 13 + pod) % 11);
}

/* Pod p lives from hour p (so new pods keep arriving) to the end. */
static void fill(ag_dataset *ds, int64_t from, int64_t to)
{
    for (int p = 0; p < NPODS; p++) {
        char pod[32];
        ag_container *c;
        snprintf(pod, sizeof pod, "web-5d8f7c9b4-p%d", p);
        c = ag_dataset_container(ds, "shop", pod, "app");
        assert_non_null(c);
        assert_int_equal(ag_dataset_set_owner(ds, "shop", pod, "Deployment", "web"), AG_OK);
        c->request[AG_CPU] = 0.5;
        c->request[AG_MEMORY] = 5e8;
        c->limit[AG_CPU] = 1;
        c->limit[AG_MEMORY] = 1e9;
        c->spec_t_ms[AG_CPU] = c->spec_t_ms[AG_MEMORY] = to;
        for (int64_t t = from; t <= to; t += MIN_MS) {
            int64_t m = (t - T0) / MIN_MS;
            if (t < T0 + p * HOUR_MS || t <= T0)
                continue;
            assert_int_equal(ag_samples_push(&c->usage[AG_CPU], t, cpu_at(p, m)), AG_OK);
            assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], t, mem_at(p, m)), AG_OK);
        }
    }
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
}

static void feed_range(ag__tracks *ts, const ag_online_params *p, const ag__tsig *sig, int64_t from,
                       int64_t to)
{
    ag_dataset *ds = ag_dataset_new();
    ag_wcontainer *wc = NULL;
    size_t n = 0;

    assert_non_null(ds);
    fill(ds, from, to);
    assert_int_equal(ag_dataset_group(ds, NULL, &wc, &n), AG_OK);
    for (size_t i = 0; i < n; i++) {
        ag__track *t =
            ag__tracks_get(ts, wc[i].ns, wc[i].kind, wc[i].name, wc[i].container, p, sig);
        assert_non_null(t);
        assert_int_equal(ag__track_feed(ts, t, &wc[i]), AG_OK);
    }
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
}

static void test_vpa_equals_batch(void **state)
{
    int64_t end = T0 + HOURS * HOUR_MS;
    ag__tracks *ts = ag__tracks_new(HOUR_MS, 7 * 24 * HOUR_MS);
    ag_online_params p;
    ag__tsig sig = {.kind = AG_ONLINE_VPA, .cpu_risk = NAN, .mem_risk = NAN};
    ag_dataset *all = ag_dataset_new();
    ag_wcontainer *wc = NULL;
    ag__track **t;
    size_t n = 0, nt = 0;
    ag_rec batch, live;

    (void)state;
    assert_non_null(ts);
    ag_online_params_default(&p, AG_ONLINE_VPA);
    /* hourly fetches overlapping by 5 minutes, as the daemon's */
    for (int64_t a = T0; a < end; a += HOUR_MS)
        feed_range(ts, &p, &sig, a - 5 * MIN_MS, a + HOUR_MS);
    t = ag__tracks_sorted(ts, &nt, NULL);
    assert_int_equal(nt, 1);
    assert_string_equal(t[0]->kind, "Deployment");
    assert_string_equal(t[0]->name, "web");
    assert_int_equal(t[0]->npods, NPODS); /* more than the 4 slots it started with */
    assert_true(t[0]->nslots >= NPODS);
    assert_int_equal(ag__track_pods(t[0], end, 8 * 24 * HOUR_MS), NPODS);

    fill(all, T0, end);
    assert_int_equal(ag_dataset_group(all, NULL, &wc, &n), AG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ag_recommend(&p.rec, &wc[0], end, &batch), AG_OK);
    assert_int_equal(ag_online_recommend(t[0]->rec, end, t[0]->request, &live), AG_OK);
    for (int r = 0; r < AG_NRES; r++) {
        assert_int_equal(batch.status[r], AG_REC_OK);
        assert_int_equal(live.status[r], AG_REC_OK);
        assert_double_near(live.res[r].target, batch.res[r].target, 1e-9 * batch.res[r].target);
        assert_double_near(live.res[r].lower, batch.res[r].lower, 1e-9 * batch.res[r].lower);
        assert_double_near(live.res[r].upper, batch.res[r].upper, 1e-9 * batch.res[r].upper);
    }
    assert_double_near(t[0]->request[AG_CPU], 0.5, 0);
    assert_double_near(t[0]->limit[AG_MEMORY], 1e9, 0);
    ag_wcontainers_free(wc, n);
    ag_dataset_free(all);
    ag__tracks_free(ts);
}

static void test_cells(void **state)
{
    int64_t end = T0 + 10 * HOUR_MS + 30 * MIN_MS; /* the 11th hour is still open */
    ag__tracks *ts = ag__tracks_new(HOUR_MS, 7 * 24 * HOUR_MS);
    ag_online_params p;
    ag__tsig sig = {.kind = AG_ONLINE_VPA, .cpu_risk = NAN, .mem_risk = NAN};
    ag__track **t;
    size_t nt, n;
    int64_t t0;
    double *cpu, *mem, *tot;

    (void)state;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    for (int64_t a = T0; a < end; a += 20 * MIN_MS)
        feed_range(ts, &p, &sig, a - 5 * MIN_MS, a + 20 * MIN_MS < end ? a + 20 * MIN_MS : end);
    ag__tracks_expire(ts, end, 8 * 24 * HOUR_MS); /* closes what every pod left */
    t = ag__tracks_sorted(ts, &nt, NULL);
    assert_int_equal(nt, 1);
    cpu = ag__track_series(ts, t[0], AG_CPU, 0, end, &t0, &n);
    assert_non_null(cpu);
    assert_int_equal(n, 10); /* hours 0..9 closed, hour 10 open */
    assert_int_equal(t0, T0 + HOUR_MS);
    mem = ag__track_series(ts, t[0], AG_MEMORY, 0, end, &t0, &n);
    assert_non_null(mem);
    tot = ag__track_series(ts, t[0], AG_CPU, 1, end, &t0, &n);
    assert_non_null(tot);
    assert_int_equal(n, 10);
    for (int h = 0; h < 10; h++) {
        double want_cpu = -1, want_mem = -1, want_tot = 0;
        for (int pod = 0; pod < NPODS; pod++) {
            double sum = 0, peak = -1;
            int cnt = 0;
            for (int64_t m = h * 60 + 1; m <= h * 60 + 60; m++) {
                int64_t tm = T0 + m * MIN_MS;
                if (tm < T0 + pod * HOUR_MS)
                    continue;
                sum += cpu_at(pod, m);
                want_tot += cpu_at(pod, m) / 60; /* a 1-minute sample of an hour */
                cnt++;
                if (mem_at(pod, m) > peak)
                    peak = mem_at(pod, m);
            }
            if (cnt && sum / cnt > want_cpu)
                want_cpu = sum / cnt;
            if (peak > want_mem)
                want_mem = peak;
        }
        assert_double_near(cpu[h], want_cpu, 1e-12);
        assert_double_near(mem[h], want_mem, 0);
        assert_double_near(tot[h], want_tot, 1e-12); /* the workload's mean total cores */
    }
    ag__free(tot);
    ag__free(cpu);
    ag__free(mem);
    ag__tracks_free(ts);
}

static void test_expire(void **state)
{
    int64_t end = T0 + 3 * HOUR_MS;
    ag__tracks *ts = ag__tracks_new(HOUR_MS, 7 * 24 * HOUR_MS);
    ag_online_params p;
    ag__tsig sig = {.kind = AG_ONLINE_VPA, .cpu_risk = NAN, .mem_risk = NAN};
    ag__track **t;
    size_t nt;

    (void)state;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    feed_range(ts, &p, &sig, T0, end);
    t = ag__tracks_sorted(ts, &nt, NULL);
    assert_int_equal(nt, 1);
    assert_int_equal(t[0]->npods, 4); /* pods 0 to 3 had started (3 at `end`) */
    /* a history of 90 minutes: the pods' last samples are at `end` */
    ag__tracks_expire(ts, end + 80 * MIN_MS, 90 * MIN_MS);
    t = ag__tracks_sorted(ts, &nt, NULL);
    assert_int_equal(nt, 1);
    assert_int_equal(t[0]->npods, 4);
    ag__tracks_expire(ts, end + 100 * MIN_MS, 90 * MIN_MS);
    assert_int_equal(ag__tracks_count(ts), 0); /* nothing seen for longer: dropped */
    assert_null(ag__tracks_sorted(ts, &nt, NULL));
    assert_int_equal(nt, 0);
    ag__tracks_free(ts);
}

static void test_reset(void **state)
{
    ag__tracks *ts = ag__tracks_new(HOUR_MS, 7 * 24 * HOUR_MS);
    ag_online_params p, q;
    ag__tsig sig = {.kind = AG_ONLINE_VPA, .cpu_risk = NAN, .mem_risk = NAN}, sig2 = sig;
    ag__track **t;
    size_t nt;
    ag_rec a, b;

    (void)state;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    feed_range(ts, &p, &sig, T0, T0 + 5 * HOUR_MS);
    t = ag__tracks_sorted(ts, &nt, NULL);
    assert_int_equal(ag_online_recommend(t[0]->rec, T0 + 5 * HOUR_MS, t[0]->request, &a), AG_OK);
    /* a new recommender starts empty; the same samples fed again give the same answer */
    ag_online_params_default(&q, AG_ONLINE_AUGUR);
    sig2.kind = AG_ONLINE_AUGUR;
    assert_int_equal(ag__track_reset(t[0], &q, &sig2), AG_OK);
    assert_int_equal(t[0]->sig.kind, AG_ONLINE_AUGUR);
    assert_int_equal(ag__track_reset(t[0], &p, &sig), AG_OK);
    assert_int_equal(ag_online_recommend(t[0]->rec, T0 + 5 * HOUR_MS, t[0]->request, &b), AG_OK);
    assert_int_equal(b.status[AG_CPU], AG_REC_NO_DATA);
    feed_range(ts, &p, &sig, T0, T0 + 5 * HOUR_MS);
    assert_int_equal(ag_online_recommend(t[0]->rec, T0 + 5 * HOUR_MS, t[0]->request, &b), AG_OK);
    assert_double_near(b.res[AG_CPU].target, a.res[AG_CPU].target, 1e-12);
    assert_double_near(b.res[AG_MEMORY].target, a.res[AG_MEMORY].target, 0);
    ag__tracks_free(ts);
}

/* Every allocation failing in turn: each call fails cleanly (an error or
 * NULL, never a crash), nothing leaks (ASan), and once no allocation
 * fails the result is the one computed without injection. */
static void test_oom(void **state)
{
    ag_dataset *ds[3];
    ag_wcontainer *wc[3] = {NULL};
    size_t nwc[3] = {0};
    ag_online_params p;
    ag__tsig sig = {.kind = AG_ONLINE_VPA, .cpu_risk = NAN, .mem_risk = NAN};
    double want = NAN;
    int done = 0;

    (void)state;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    for (int k = 0; k < 3; k++) {
        ds[k] = ag_dataset_new();
        assert_non_null(ds[k]);
        fill(ds[k], T0 + k * 2 * HOUR_MS - 5 * MIN_MS, T0 + (k + 1) * 2 * HOUR_MS);
        assert_int_equal(ag_dataset_group(ds[k], NULL, &wc[k], &nwc[k]), AG_OK);
    }
    for (long n = 0; !done; n++) {
        ag__tracks *ts;
        ag__track **t;
        size_t nt = 0, ns = 0;
        int64_t t0;
        double *v = NULL, got = NAN;
        ag_rec rec;
        ag__alloc_fail_after(n); /* n = 0: no failure, the reference run */
        ts = ag__tracks_new(HOUR_MS, 7 * 24 * HOUR_MS);
        if (!ts)
            goto next;
        for (int k = 0; k < 3; k++)
            for (size_t i = 0; i < nwc[k]; i++) {
                ag__track *x = ag__tracks_get(ts, wc[k][i].ns, wc[k][i].kind, wc[k][i].name,
                                              wc[k][i].container, &p, &sig);
                if (x)
                    (void)ag__track_feed(ts, x, &wc[k][i]);
            }
        ag__tracks_expire(ts, T0 + 6 * HOUR_MS, 8 * 24 * HOUR_MS);
        t = ag__tracks_sorted(ts, &nt, NULL);
        if (t && ag_online_recommend(t[0]->rec, T0 + 6 * HOUR_MS, t[0]->request, &rec) == AG_OK)
            got = rec.res[AG_CPU].target;
        if (t)
            v = ag__track_series(ts, t[0], AG_CPU, 0, T0 + 6 * HOUR_MS, &t0, &ns);
        ag__free(v);
        ag__tracks_free(ts);
    next:
        if (n == 0) {
            want = got;
            assert_true(want > 0);
        } else if (ag__alloc_count() < n) {
            assert_double_near(got, want, 0); /* nothing failed: the same answer */
            fprintf(stderr, "test_oom: %ld allocations failed in turn\n", n - 1);
            assert_true(n > 20); /* the walk went through the tracks' allocations */
            done = 1;
        }
        ag__alloc_fail_after(0);
    }
    for (int k = 0; k < 3; k++) {
        ag_wcontainers_free(wc[k], nwc[k]);
        ag_dataset_free(ds[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vpa_equals_batch),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
