/*
 * tests/recommend/test_update.c - the VPA updater's rules (augur/update.h)
 * case by case: outside the bounds, a missing request, quick OOM, the
 * 12 h / 10% rule at its edges, no change, the order, the budget and the
 * keep-ratio limit.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/update.h"

#define H_MS (3600 * 1000LL)
#define MIN_MS (60 * 1000LL)
#define NONE INT64_MAX

/* A resource with request req (limit none), target tgt in [lo, hi]. */
static ag_update_res res(double req, double tgt, double lo, double hi)
{
    ag_update_res r = {req, NAN, tgt, NAN, lo, hi};
    return r;
}

static void test_defaults(void **state)
{
    ag_update_rules r;

    ag_update_rules_default(&r);
    assert_int_equal(r.lifetime_ms, 12 * H_MS);
    assert_double_near(r.update_threshold, 0.1, 0);
    assert_int_equal(r.quick_oom_ms, 10 * MIN_MS);
}

static void test_outside(void **state)
{
    ag_update_rules r;
    ag_update_verdict v;
    ag_update_res x[2];

    ag_update_rules_default(&r);
    /* in bounds, young, no OOM: no update even with a change */
    x[0] = res(1.0, 1.05, 0.9, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 0);
    assert_true(v.change);
    assert_false(v.outside);
    /* below the lower bound: an update, a scale-up */
    x[0] = res(0.5, 1.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 1);
    assert_true(v.outside);
    assert_true(v.up);
    assert_double_near(v.diff, 1.0, 1e-12);
    /* above the upper bound: an update, not a scale-up */
    x[0] = res(2.0, 1.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 1);
    assert_false(v.up);
    assert_double_near(v.diff, 0.5, 1e-12);
    /* the bounds themselves are inside */
    x[0] = res(0.8, 1.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 0);
    x[0] = res(1.2, 1.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 0);
    /* a missing request is outside, a scale-up, and weighs as 1e-9 */
    x[0] = res(NAN, 1.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 1);
    assert_true(v.outside && v.up);
    assert_double_near(v.diff, 1e9, 1);
    /* one resource outside of two is enough; the diffs add up */
    x[0] = res(1.0, 1.0, 0.8, 1.2);
    x[1] = res(100.0, 150.0, 120.0, 200.0);
    assert_int_equal(ag_update_wants(&r, x, 2, MIN_MS, NONE, &v), 1);
    assert_double_near(v.diff, 0.5, 1e-12);
    assert_true(v.up);
}

static void test_no_change(void **state)
{
    ag_update_rules r;
    ag_update_verdict v;
    ag_update_res x[1];

    ag_update_rules_default(&r);
    /* outside the bounds, old, quick OOM: still nothing when it would not change */
    x[0] = res(2.0, 2.0, 0.8, 1.2);
    assert_int_equal(ag_update_wants(&r, x, 1, 48 * H_MS, MIN_MS, &v), 0);
    assert_false(v.change);
    assert_true(v.outside);
    /* ... but a limit that differs is a change */
    x[0].tlimit = 4.0;
    assert_int_equal(ag_update_wants(&r, x, 1, 48 * H_MS, MIN_MS, &v), 1);
    assert_true(v.change);
    x[0].limit = 4.0;
    assert_int_equal(ag_update_wants(&r, x, 1, 48 * H_MS, MIN_MS, &v), 0);
    /* nothing to decide on */
    assert_int_equal(ag_update_wants(&r, x, 0, 48 * H_MS, MIN_MS, &v), 0);
    assert_int_equal(ag_update_wants(&r, x, 0, 48 * H_MS, MIN_MS, NULL), 0);
}

static void test_quick_oom(void **state)
{
    ag_update_rules r;
    ag_update_verdict v;
    ag_update_res x[1];

    ag_update_rules_default(&r);
    x[0] = res(1.0, 1.02, 0.9, 1.2); /* in bounds, 2% */
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, 10 * MIN_MS - 1, &v), 1);
    assert_true(v.quick_oom);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, 10 * MIN_MS, &v), 0);
    assert_false(v.quick_oom);
    assert_int_equal(ag_update_wants(&r, x, 1, MIN_MS, NONE, &v), 0);
}

static void test_old_and_threshold(void **state)
{
    ag_update_rules r;
    ag_update_verdict v;
    ag_update_res x[2];

    ag_update_rules_default(&r);
    x[0] = res(1.0, 1.1, 0.9, 1.2); /* 10% exactly */
    assert_int_equal(ag_update_wants(&r, x, 1, 12 * H_MS, NONE, &v), 1);
    assert_true(v.old);
    assert_int_equal(ag_update_wants(&r, x, 1, 12 * H_MS - 1, NONE, &v), 0);
    assert_false(v.old);
    x[0] = res(1.0, 1.09, 0.9, 1.2); /* 9%: not enough alone */
    assert_int_equal(ag_update_wants(&r, x, 1, 24 * H_MS, NONE, &v), 0);
    /* ... but summed with another resource's 2% it is */
    x[1] = res(100.0, 98.0, 90.0, 110.0);
    assert_int_equal(ag_update_wants(&r, x, 2, 24 * H_MS, NONE, &v), 1);
    assert_double_near(v.diff, 0.11, 1e-12);
    /* other knobs */
    r.update_threshold = 0.2;
    assert_int_equal(ag_update_wants(&r, x, 2, 24 * H_MS, NONE, &v), 0);
    r.lifetime_ms = 0;
    r.update_threshold = 0.05;
    assert_int_equal(ag_update_wants(&r, x, 2, 0, NONE, &v), 1);
}

static void test_order(void **state)
{
    ag_update_verdict up_small = {1, 1, 0, 0, 1, 0.2}, up_big = {1, 1, 0, 0, 1, 0.9};
    ag_update_verdict down_big = {1, 1, 0, 0, 0, 5.0}, down_small = {1, 1, 0, 0, 0, 0.3};

    assert_true(ag_update_cmp(&up_small, &down_big) < 0); /* scale-ups first */
    assert_true(ag_update_cmp(&down_big, &up_small) > 0);
    assert_true(ag_update_cmp(&up_big, &up_small) < 0); /* then the larger difference */
    assert_true(ag_update_cmp(&down_small, &down_big) > 0);
    assert_int_equal(ag_update_cmp(&down_small, &down_small), 0);
}

static void test_budget(void **state)
{
    assert_int_equal(ag_update_budget(0.25, 0), 1);
    assert_int_equal(ag_update_budget(0.25, 3), 1);
    assert_int_equal(ag_update_budget(0.25, 4), 1);
    assert_int_equal(ag_update_budget(0.25, 8), 2);
    assert_int_equal(ag_update_budget(0.25, 11), 2);
    assert_int_equal(ag_update_budget(0.5, 7), 3);
    assert_int_equal(ag_update_budget(1.0, 7), 7);
    assert_int_equal(ag_update_budget(0, 100), 1);
    assert_int_equal(ag_update_budget(NAN, 100), 1);
}

static void test_keep_ratio(void **state)
{
    assert_double_near(ag_update_keep_ratio(0.5, 1.0, 2.0), 1.0, 1e-12);
    assert_double_near(ag_update_keep_ratio(300.0, 100.0, 150.0), 450.0, 1e-9);
    assert_true(isnan(ag_update_keep_ratio(0.5, 1.0, NAN))); /* no limit: none */
    assert_true(isnan(ag_update_keep_ratio(0.5, NAN, 2.0))); /* no request: no ratio */
    assert_true(isnan(ag_update_keep_ratio(0.5, 0.0, 2.0)));
    assert_double_near(ag_update_keep_ratio(0.5, 2.0, 1.0), 0.5, 0); /* never below target */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_outside),
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_quick_oom),
        cmocka_unit_test(test_old_and_threshold),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_keep_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
