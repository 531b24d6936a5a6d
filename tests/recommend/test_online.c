/*
 * tests/recommend/test_online.c - the online recommenders against what
 * they stand for: the live VPA fed sample by sample equals the batch VPA
 * over the same samples; the live krr is within its bucket width (1.5%)
 * of the batch krr over the same 14 days; static returns the trace's own
 * request; augur follows a level shift, holds after an OOM kill, never
 * sets a memory limit below a peak it has seen, and its two policies order
 * as documented. Plus parameters by name and out-of-memory.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/online.h"
#include "augur/recommend.h"
#include "recommend/rec_fixture.h"
#include "recommend/rec_int.h"
#include "util/alloc.h"

#define GIB 1073741824.0
#define STEP (5 * MIN_MS)

static double noise(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (double)(*x >> 11) / 9007199254740992.0;
}

/* days of 5-minute samples with a daily cycle and noise. */
static void fill(ag_container *c, int days, uint64_t seed)
{
    uint64_t x = seed;

    for (int i = 0; i < days * 288; i++) {
        int64_t t = TEST_TS + i * STEP;
        double ph = sin(2 * M_PI * i / 288.0), u = noise(&x);
        ag_samples_push(&c->usage[AG_CPU], t, 0.4 + 0.2 * ph + 0.3 * u * u);
        ag_samples_push(&c->usage[AG_MEMORY], t, (0.5 + 0.1 * ph + 0.05 * u) * GIB);
    }
}

static ag_online *make(const ag_online_params *p, const ag_container *c)
{
    ag_online_spec spec = {{c->request[0], c->request[1]}, {c->limit[0], c->limit[1]}, 1, STEP};
    ag_online *r = NULL;

    assert_int_equal(ag_online_new(p, &spec, &r), AG_OK);
    return r;
}

static void feed(ag_online *r, const ag_container *c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        ag_online_observe(r, 0, AG_CPU, c->usage[AG_CPU].v[i].t_ms, c->usage[AG_CPU].v[i].v);
        ag_online_observe(r, 0, AG_MEMORY, c->usage[AG_MEMORY].v[i].t_ms,
                          c->usage[AG_MEMORY].v[i].v);
    }
}

static void test_live_vpa_equals_batch(void **state)
{
    ag_container c, *m = &c;
    ag_wcontainer wc;
    ag_online_params p;
    ag_online *r;
    const size_t cut[] = {2, 100, 288, 1000, 2016}; /* from 2: one sample has no interval */
    size_t done = 0;

    (void)state;
    fx_init(&c);
    fill(&c, 7, 5);
    fx_wc(&wc, &m, 1);
    ag_online_params_default(&p, AG_ONLINE_VPA);
    r = make(&p, &c);
    for (size_t k = 0; k < sizeof cut / sizeof cut[0]; k++) {
        ag_rec live, batch;
        double cur[2] = {NAN, NAN};
        int64_t now = c.usage[AG_CPU].v[cut[k] - 1].t_ms;
        feed(r, &c, done, cut[k]);
        done = cut[k];
        assert_int_equal(ag_online_recommend(r, now, cur, &live), AG_OK);
        assert_int_equal(ag_recommend_vpa(&p.rec.vpa, &wc, now, &batch), AG_OK);
        for (int res = 0; res < AG_NRES; res++) {
            assert_int_equal(live.status[res], batch.status[res]);
            assert_double_near(live.res[res].target, batch.res[res].target, 0);
            assert_double_near(live.res[res].lower, batch.res[res].lower, 0);
            assert_double_near(live.res[res].upper, batch.res[res].upper, 0);
            assert_int_equal(live.samples[res], batch.samples[res]);
        }
        assert_double_near(live.confidence_days, batch.confidence_days, 1e-12);
    }
    ag_online_free(r);
    fx_free(&c);
}

static void test_live_krr_close_to_batch(void **state)
{
    ag_container c, *m = &c;
    ag_wcontainer wc;
    ag_online_params p;
    ag_online *r;
    ag_rec live, batch;
    double cur[2] = {NAN, NAN};
    int64_t now;

    (void)state;
    fx_init(&c);
    fill(&c, 20, 9); /* longer than krr's 14 days: the window slides */
    fx_wc(&wc, &m, 1);
    ag_online_params_default(&p, AG_ONLINE_KRR);
    r = make(&p, &c);
    feed(r, &c, 0, c.usage[AG_CPU].n);
    now = c.usage[AG_CPU].v[c.usage[AG_CPU].n - 1].t_ms;
    assert_int_equal(ag_online_recommend(r, now, cur, &live), AG_OK);
    p.rec.history_ms = 14 * DAY_MS;
    assert_int_equal(ag__krr_run(&p.rec.krr, &wc, now - 14 * DAY_MS, now, &batch), AG_OK);
    /* the live value is the bucket's upper edge: >= krr's, within 1.5% (+1m rounding) */
    assert_true(live.res[AG_CPU].target >= batch.res[AG_CPU].target - 1e-9);
    assert_true(live.res[AG_CPU].target <= batch.res[AG_CPU].target * 1.015 + 0.001);
    assert_double_near(live.res[AG_MEMORY].target, batch.res[AG_MEMORY].target, 0);
    assert_double_near(live.res[AG_MEMORY].limit, batch.res[AG_MEMORY].limit, 0);
    assert_true(isnan(live.res[AG_CPU].limit));
    ag_online_free(r);
    fx_free(&c);
}

static void test_static(void **state)
{
    ag_container c;
    ag_online_params p;
    ag_online *r;
    ag_rec rec;
    double cur[2] = {NAN, NAN};

    (void)state;
    fx_init(&c);
    c.request[AG_CPU] = 0.5;
    c.limit[AG_CPU] = 1.0;
    c.request[AG_MEMORY] = GIB;
    ag_online_params_default(&p, AG_ONLINE_STATIC);
    r = make(&p, &c);
    ag_online_recommend(r, TEST_TS, cur, &rec);
    assert_double_near(rec.res[AG_CPU].target, 0.5, 0);
    assert_double_near(rec.res[AG_CPU].limit, 1.0, 0);
    assert_double_near(rec.res[AG_MEMORY].target, GIB, 0);
    assert_true(isnan(rec.res[AG_MEMORY].limit));
    ag_online_free(r);
    /* a fixed size keeps the trace's ratio; the scale multiplies both */
    p.static_size[AG_CPU] = 2;
    p.static_scale = 0.5;
    r = make(&p, &c);
    ag_online_recommend(r, TEST_TS, cur, &rec);
    assert_double_near(rec.res[AG_CPU].target, 1.0, 1e-12);
    assert_double_near(rec.res[AG_CPU].limit, 2.0, 1e-12);
    ag_online_free(r);
    fx_free(&c);
}

/* A CPU level shift x3 on day 5: augur's request covers the new level
 * within two hours (the sustained-level guard), and it was near the old
 * level before. */
static void test_augur_follows_shift(void **state)
{
    ag_container c;
    ag_online_params p;
    ag_online *r;
    ag_rec rec;
    double cur[2] = {NAN, NAN}, before = 0;
    uint64_t x = 3;

    (void)state;
    fx_init(&c);
    for (int i = 0; i < 6 * 288; i++) {
        double lvl = i < 5 * 288 ? 0.3 : 0.9;
        ag_samples_push(&c.usage[AG_CPU], TEST_TS + i * STEP, lvl * (0.95 + 0.1 * noise(&x)));
        ag_samples_push(&c.usage[AG_MEMORY], TEST_TS + i * STEP, 0.5 * GIB);
    }
    ag_online_params_default(&p, AG_ONLINE_AUGUR);
    ag_augur_params_policy(&p.augur, AG_POLICY_COST_SAVING);
    r = make(&p, &c);
    for (size_t i = 0; i < c.usage[AG_CPU].n; i++) {
        int64_t t = c.usage[AG_CPU].v[i].t_ms;
        feed(r, &c, i, i + 1);
        assert_int_equal(ag_online_recommend(r, t, cur, &rec), AG_OK);
        if (i == 5 * 288 - 1)
            before = rec.res[AG_CPU].target;
    }
    assert_true(before > 0.3 && before < 0.45);
    assert_true(rec.res[AG_CPU].target >= 0.9 * 0.95);
    ag_online_free(r);
    fx_free(&c);
}

/* After an OOM kill, memory is held at >= the peak x 1.2 for 24 h, and
 * the limit is never below a peak seen in the last 7 days. */
static void test_augur_oom_and_peaks(void **state)
{
    ag_container c;
    ag_online_params p;
    ag_online *r;
    ag_rec rec;
    double cur[2] = {NAN, NAN};
    int64_t t_oom;

    (void)state;
    fx_init(&c);
    fill(&c, 5, 17);
    /* one spike of 2 GiB on day 4 */
    c.usage[AG_MEMORY].v[4 * 288 + 10].v = 2 * GIB;
    ag_online_params_default(&p, AG_ONLINE_AUGUR);
    r = make(&p, &c);
    feed(r, &c, 0, 4 * 288 + 100);
    t_oom = c.usage[AG_CPU].v[4 * 288 + 99].t_ms;
    assert_int_equal(ag_online_recommend(r, t_oom, cur, &rec), AG_OK);
    assert_true(rec.res[AG_MEMORY].limit >= 2 * GIB); /* the spike was seen */
    ag_online_oom(r, 0, t_oom, 0.6 * GIB);
    assert_int_equal(ag_online_recommend(r, t_oom + STEP, cur, &rec), AG_OK);
    assert_true(rec.res[AG_MEMORY].target >= 1.2 * 0.6 * GIB);
    assert_int_equal(rec.ooms, 1);
    ag_online_free(r);
    fx_free(&c);
}

/* stable asks for more headroom than cost-saving on the same data. */
static void test_augur_policies_order(void **state)
{
    ag_container c;
    ag_online_params ps, pc;
    ag_online *rs, *rc;
    ag_rec s, k;
    double cur[2] = {NAN, NAN};
    int64_t now;

    (void)state;
    fx_init(&c);
    fill(&c, 6, 23);
    ag_online_params_default(&ps, AG_ONLINE_AUGUR);
    ag_online_params_default(&pc, AG_ONLINE_AUGUR);
    ag_augur_params_policy(&pc.augur, AG_POLICY_COST_SAVING);
    rs = make(&ps, &c);
    rc = make(&pc, &c);
    feed(rs, &c, 0, c.usage[AG_CPU].n);
    feed(rc, &c, 0, c.usage[AG_CPU].n);
    now = c.usage[AG_CPU].v[c.usage[AG_CPU].n - 1].t_ms;
    ag_online_recommend(rs, now, cur, &s);
    ag_online_recommend(rc, now, cur, &k);
    for (int res = 0; res < AG_NRES; res++) {
        assert_true(s.res[res].target > k.res[res].target);
        assert_true(s.res[res].upper - s.res[res].lower > k.res[res].upper - k.res[res].lower);
    }
    ag_online_free(rs);
    ag_online_free(rc);
    fx_free(&c);
}

static void test_params_by_name(void **state)
{
    ag_online_params p;
    ag_errinfo ei = {{0}};

    (void)state;
    ag_online_params_default(&p, AG_ONLINE_AUGUR);
    assert_int_equal(ag_online_params_set(&p, "augur-cpu-risk", "20%", &ei), AG_OK);
    assert_double_near(p.augur.cpu_risk, 0.2, 1e-12);
    assert_int_equal(ag_online_params_set(&p, "augur-lookahead", "6h", &ei), AG_OK);
    assert_int_equal(p.augur.lookahead_ms, 6 * HOUR_MS);
    assert_int_equal(ag_online_params_set(&p, "autopilot-variant", "max", &ei), AG_OK);
    assert_int_equal(p.autopilot.variant, AG_AP_MAX);
    assert_int_equal(ag_online_params_set(&p, "crane-variant", "dsp", &ei), AG_OK);
    assert_int_equal(p.crane.variant, AG_CRANE_DSP);
    assert_int_equal(ag_online_params_set(&p, "safety-margin", "10%", &ei), AG_OK);
    assert_double_near(p.rec.vpa.safety_margin, 0.1, 1e-12);
    assert_int_equal(ag_online_params_set(&p, "augur-cpu-risk", "2", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "augur-cpu-risk"));
    assert_int_equal(ag_online_params_set(&p, "autopilot-variant", "best", &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "autopilot-variant"));
    assert_int_equal(ag_online_params_set(&p, "no-such-thing", "1", &ei), AG_EINVAL);
    /* the knob */
    assert_int_equal(ag_online_knob_set(&p, 0.3), AG_OK);
    assert_double_near(ag_online_knob_get(&p), 0.3, 1e-12);
    assert_int_equal(ag_online_knob_set(&p, 1.5), AG_EINVAL);
    p.kind = AG_ONLINE_VPA;
    assert_int_equal(ag_online_knob_set(&p, 0.8), AG_OK);
    assert_double_near(p.rec.vpa.target_cpu_percentile, 0.8, 0);
    assert_true(p.rec.vpa.lower_cpu_percentile <= 0.8 && p.rec.vpa.upper_cpu_percentile >= 0.8);
}

static void test_out_of_memory(void **state)
{
    ag_container c;
    ag_online_spec spec = {{NAN, NAN}, {NAN, NAN}, 3, STEP};

    (void)state;
    fx_init(&c);
    for (int k = 0; k < AG_ONLINE_NKINDS; k++) {
        ag_online_params p;
        ag_online_params_default(&p, (ag_online_kind)k);
        for (long n = 1; n < 64; n++) {
            ag_online *r = NULL;
            ag_err rc;
            ag__alloc_fail_after(n);
            rc = ag_online_new(&p, &spec, &r);
            ag__alloc_fail_after(0);
            if (rc == AG_OK) {
                ag_online_free(r);
                break;
            }
            assert_int_equal(rc, AG_ENOMEM);
            assert_null(r);
        }
    }
    fx_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_vpa_equals_batch),
        cmocka_unit_test(test_live_krr_close_to_batch),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_augur_follows_shift),
        cmocka_unit_test(test_augur_oom_and_peaks),
        cmocka_unit_test(test_augur_policies_order),
        cmocka_unit_test(test_params_by_name),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
