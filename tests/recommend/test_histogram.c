/*
 * tests/recommend/test_histogram.c - golden tests ported from the VPA's
 * own unit tests (kubernetes/autoscaler vertical-pod-autoscaler/pkg/
 * recommender/util/{histogram,decaying_histogram,histogram_options}_test.go).
 * Each test is named after the Go test it ports; the expected numbers are
 * the Go tests' own.
 */
#include <math.h>
#include "ag_test.h"
#include "recommend/histogram.h"

#define HOUR_MS 3600000LL
/* time.Unix(1234567890, 0) */
#define START_MS 1234567890000LL

static ag__hist_opts lin10; /* NewLinearHistogramOptions(10.0, 1.0, weightEpsilon) */

/* assert.InEpsilon(expected, actual, eps): relative error <= eps */
#define assert_in_eps(exp, act, eps)                                                               \
    do {                                                                                           \
        double _e = (exp), _a = (act);                                                             \
        if (!(fabs(_e - _a) / fabs(_e) <= (eps)))                                                  \
            fail_msg("%s = %.17g, expected %.17g", #act, _a, _e);                                  \
    } while (0)

static int setup(void **state)
{
    (void)state;
    return ag__hist_opts_linear(&lin10, 10.0, 1.0, 1e-15);
}

/* histogram_test.go TestPercentilesEmptyHistogram */
static void TestPercentilesEmptyHistogram(void **state)
{
    ag__hist h;
    (void)state;
    ag__hist_init(&h, &lin10);
    for (double p = -0.5; p <= 1.5; p += 0.5)
        assert_true(ag__hist_percentile(&h, p) == 0.0);
}

/* histogram_test.go TestPercentiles */
static void TestPercentiles(void **state)
{
    ag__hist h;
    const double exp[] = {2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5};
    (void)state;
    ag__hist_init(&h, &lin10);
    for (int i = 1; i <= 4; i++)
        ag__hist_add(&h, i, i);
    for (int k = 0; k <= 10; k++)
        assert_in_eps(exp[k], ag__hist_percentile(&h, k / 10.0), 1e-15);
}

/* histogram_test.go TestPercentileOutOfBounds */
static void TestPercentileOutOfBounds(void **state)
{
    ag__hist_opts o;
    ag__hist h;
    (void)state;
    assert_int_equal(ag__hist_opts_linear(&o, 1.0, 0.1, 1e-15), 0);
    ag__hist_init(&h, &o);
    ag__hist_add(&h, 0.1, 0.1);
    ag__hist_add(&h, 0.2, 0.2);
    assert_in_eps(0.2, ag__hist_percentile(&h, -0.1), 1e-15);
    assert_in_eps(0.3, ag__hist_percentile(&h, 1.1), 1e-15);
    ag__hist_add(&h, 0.0, 0.1);
    ag__hist_add(&h, 1.0, 0.2);
    assert_in_eps(0.1, ag__hist_percentile(&h, -0.1), 1e-15);
    assert_in_eps(1.0, ag__hist_percentile(&h, 1.1), 1e-15);
}

/* histogram_test.go TestEmptyHistogram */
static void TestEmptyHistogram(void **state)
{
    ag__hist_opts o;
    ag__hist h;
    (void)state;
    assert_int_equal(ag__hist_opts_linear(&o, 1.0, 0.1, 1e-15), 0);
    ag__hist_init(&h, &o);
    assert_true(ag__hist_empty(&h));
    ag__hist_add(&h, 0.1, 1e-15 * 2.5);
    assert_false(ag__hist_empty(&h));
    ag__hist_sub(&h, 0.1, 1e-15);
    assert_false(ag__hist_empty(&h));
    ag__hist_sub(&h, 0.1, 1e-15);
    assert_true(ag__hist_empty(&h));
}

/* histogram_test.go TestNonEmptyOnEpsilonAddition */
static void TestNonEmptyOnEpsilonAddition(void **state)
{
    ag__hist_opts o;
    ag__hist h;
    (void)state;
    assert_int_equal(ag__hist_opts_linear(&o, 1.0, 0.1, 1e-15), 0);
    ag__hist_init(&h, &o);
    assert_true(ag__hist_empty(&h));
    ag__hist_add(&h, 9.9, 1e-15 * 3);
    assert_false(ag__hist_empty(&h));
    ag__hist_add(&h, 0.1, 1e-15 * 0.3);
    assert_false(ag__hist_empty(&h));
    ag__hist_add(&h, 999.9, 1e-15 * 0.3);
    assert_false(ag__hist_empty(&h));
}

/* histogram_test.go TestHistogramMerge */
static void TestHistogramMerge(void **state)
{
    ag__hist h1, h2, e;
    (void)state;
    ag__hist_init(&h1, &lin10);
    ag__hist_add(&h1, 1, 1);
    ag__hist_add(&h1, 2, 1);
    ag__hist_init(&h2, &lin10);
    ag__hist_add(&h2, 2, 1);
    ag__hist_add(&h2, 3, 1);
    ag__hist_init(&e, &lin10);
    ag__hist_add(&e, 1, 1);
    ag__hist_add(&e, 2, 1);
    ag__hist_add(&e, 2, 1);
    ag__hist_add(&e, 3, 1);
    ag__hist_merge(&h1, &h2);
    assert_true(ag__hist_equals(&h1, &e));
    ag__hist_add(&h1, 3, 1);
    assert_false(ag__hist_equals(&h1, &e));
}

/* decaying_histogram_test.go TestPercentilesEmptyDecayingHistogram */
static void TestPercentilesEmptyDecayingHistogram(void **state)
{
    ag__dhist d;
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    for (double p = -0.5; p <= 1.5; p += 0.5)
        assert_true(ag__hist_percentile(&d.h, p) == 0.0);
}

/* decaying_histogram_test.go TestSimpleDecay */
static void TestSimpleDecay(void **state)
{
    ag__dhist d;
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    ag__dhist_add(&d, 2, 1000, START_MS);
    ag__dhist_add(&d, 1, 1, START_MS + 20 * HOUR_MS);
    assert_in_eps(2, ag__hist_percentile(&d.h, 0.999), 1e-15);
    assert_in_eps(3, ag__hist_percentile(&d.h, 1.0), 1e-15);
}

/* decaying_histogram_test.go TestLongtermDecay */
static void TestLongtermDecay(void **state)
{
    ag__dhist d;
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    ag__dhist_add(&d, 2, 1, START_MS);
    ag__dhist_add(&d, 1, 1, START_MS + 101 * HOUR_MS);
    assert_in_eps(2, ag__hist_percentile(&d.h, 1.0), 1e-15);
}

/* decaying_histogram_test.go TestDecayingHistogramPercentiles */
static void TestDecayingHistogramPercentiles(void **state)
{
    ag__dhist d;
    int64_t t = START_MS;
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    for (int i = 1; i <= 4; i++) {
        ag__dhist_add(&d, i, i, t);
        t += HOUR_MS;
    }
    assert_in_eps(2, ag__hist_percentile(&d.h, 0.00), 1e-15);
    assert_in_eps(2, ag__hist_percentile(&d.h, 0.02), 1e-15);
    assert_in_eps(3, ag__hist_percentile(&d.h, 0.03), 1e-15);
    assert_in_eps(3, ag__hist_percentile(&d.h, 0.10), 1e-15);
    assert_in_eps(4, ag__hist_percentile(&d.h, 0.11), 1e-15);
    assert_in_eps(4, ag__hist_percentile(&d.h, 0.34), 1e-15);
    assert_in_eps(5, ag__hist_percentile(&d.h, 0.35), 1e-15);
    assert_in_eps(5, ag__hist_percentile(&d.h, 1.00), 1e-15);
}

/* decaying_histogram_test.go TestNoDecay */
static void TestNoDecay(void **state)
{
    ag__dhist d;
    const double p[] = {0.0, 0.2, 0.1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    const double e[] = {2, 3, 2, 3, 4, 4, 4, 5, 5, 5, 5};
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    for (int i = 1; i <= 4; i++)
        ag__dhist_add(&d, i, i, START_MS);
    for (int k = 0; k < 11; k++)
        assert_in_eps(e[k], ag__hist_percentile(&d.h, p[k]), 1e-15);
}

/* decaying_histogram_test.go TestDecayingHistogramMerge */
static void TestDecayingHistogramMerge(void **state)
{
    ag__dhist h1, h2, e;
    (void)state;
    ag__dhist_init(&h1, &lin10, HOUR_MS);
    ag__dhist_add(&h1, 1, 1, START_MS);
    ag__dhist_add(&h1, 2, 1, START_MS + HOUR_MS);
    ag__dhist_init(&h2, &lin10, HOUR_MS);
    ag__dhist_add(&h2, 2, 1, START_MS + 2 * HOUR_MS);
    ag__dhist_add(&h2, 3, 1, START_MS + HOUR_MS);
    ag__dhist_init(&e, &lin10, HOUR_MS);
    ag__dhist_add(&e, 2, 1, START_MS + 2 * HOUR_MS);
    ag__dhist_add(&e, 2, 1, START_MS + HOUR_MS);
    ag__dhist_add(&e, 3, 1, START_MS + HOUR_MS);
    ag__dhist_add(&e, 1, 1, START_MS);
    ag__dhist_merge(&h1, &h2);
    assert_true(ag__dhist_equals(&h1, &e));
}

/* decaying_histogram_test.go TestDecayingHistogramSaveToCheckpoint (the
 * part without checkpoints: the first sample moves the reference time off
 * Go's zero time, to a multiple of the half-life). */
static void TestDecayingHistogramSaveToCheckpoint(void **state)
{
    ag__dhist d;
    (void)state;
    ag__dhist_init(&d, &lin10, HOUR_MS);
    ag__dhist_add(&d, 2, 1, START_MS + 100 * HOUR_MS);
    assert_true(d.ref_ms != AG__GO_ZERO_MS);
    assert_int_equal((d.ref_ms - AG__GO_ZERO_MS) % HOUR_MS, 0);
    assert_false(ag__hist_empty(&d.h));
    assert_true(d.h.total > 0);
}

/* histogram_options_test.go TestLinearHistogramOptions */
static void TestLinearHistogramOptions(void **state)
{
    ag__hist_opts o;
    (void)state;
    assert_int_equal(ag__hist_opts_linear(&o, 5.0, 0.3, 0.001), 0);
    assert_true(o.eps == 0.001);
    assert_int_equal(o.n, 18);
    assert_true(o.start[0] == 0.0);
    assert_true(o.start[17] == 5.1);
    assert_int_equal(ag__hist_find(&o, -1.0), 0);
    assert_int_equal(ag__hist_find(&o, 0.0), 0);
    assert_int_equal(ag__hist_find(&o, 1.3), 4);
    assert_int_equal(ag__hist_find(&o, 100.0), 17);
}

/* histogram_options_test.go TestExponentialHistogramOptions */
static void TestExponentialHistogramOptions(void **state)
{
    ag__hist_opts o;
    (void)state;
    assert_int_equal(ag__hist_opts_exponential(&o, 500.0, 40.0, 1.5, 0.001), 0);
    assert_true(o.eps == 0.001);
    assert_int_equal(o.n, 6);
    assert_true(o.start[0] == 0.0);
    assert_true(o.start[1] == 40.0);
    assert_true(o.start[2] == 100.0);
    assert_true(o.start[3] == 190.0);
    assert_true(o.start[4] == 325.0);
    assert_true(o.start[5] == 527.5);
    assert_int_equal(ag__hist_find(&o, -1.0), 0);
    assert_int_equal(ag__hist_find(&o, 39.99), 0);
    assert_int_equal(ag__hist_find(&o, 40.0), 1);
    assert_int_equal(ag__hist_find(&o, 100.0), 2);
    assert_int_equal(ag__hist_find(&o, 900.0), 5);
}

/* Ours: the VPA schemes have 176 buckets each and the fast FindBucket
 * agrees with the Go formula everywhere, boundaries included. */
static void test_vpa_schemes_fast_find(void **state)
{
    const ag__hist_opts *os[2] = {ag__vpa_cpu_opts(), ag__vpa_mem_opts()};
    uint64_t x = 88172645463325252ULL;
    (void)state;
    assert_int_equal(os[0]->n, 176);
    assert_int_equal(os[1]->n, 176);
    for (int k = 0; k < 2; k++) {
        const ag__hist_opts *o = os[k];
        double scale = k == 0 ? 1.0 : 1e7;
        for (int b = 1; b < o->n; b++) {
            double t = o->thr[b];
            assert_int_equal(ag__hist_find(o, t), ag__hist_find_formula(o, t));
            assert_int_equal(ag__hist_find(o, nextafter(t, 0)), ag__hist_find_formula(o, nextafter(t, 0)));
            assert_int_equal(ag__hist_find(o, o->start[b]), ag__hist_find_formula(o, o->start[b]));
        }
        for (int i = 0; i < 200000; i++) {
            double v;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = ldexp((double)(x >> 11), -53) * 2e4 * scale * ((x & 1) ? 1e-3 : 1);
            assert_int_equal(ag__hist_find(o, v), ag__hist_find_formula(o, v));
        }
        assert_int_equal(ag__hist_find(o, NAN), 0);
        assert_int_equal(ag__hist_find(o, INFINITY), o->n - 1);
        assert_int_equal(ag__hist_find(o, -5), 0);
    }
}

/* Go's time.Round is relative to year 1, halves rounding up. */
static void test_go_round(void **state)
{
    (void)state;
    assert_int_equal(ag__go_round_ms(START_MS, HOUR_MS), 1234567890000LL - 1890000LL + HOUR_MS);
    assert_int_equal(ag__go_round_ms(1800000, HOUR_MS), HOUR_MS);
    assert_int_equal(ag__go_round_ms(1799999, HOUR_MS), 0);
    /* 7h grid: offsets from year 1, not from 1970 */
    assert_int_equal((ag__go_round_ms(START_MS, 7 * HOUR_MS) - AG__GO_ZERO_MS) % (7 * HOUR_MS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestPercentilesEmptyHistogram),
        cmocka_unit_test(TestPercentiles),
        cmocka_unit_test(TestPercentileOutOfBounds),
        cmocka_unit_test(TestEmptyHistogram),
        cmocka_unit_test(TestNonEmptyOnEpsilonAddition),
        cmocka_unit_test(TestHistogramMerge),
        cmocka_unit_test(TestPercentilesEmptyDecayingHistogram),
        cmocka_unit_test(TestSimpleDecay),
        cmocka_unit_test(TestLongtermDecay),
        cmocka_unit_test(TestDecayingHistogramPercentiles),
        cmocka_unit_test(TestNoDecay),
        cmocka_unit_test(TestDecayingHistogramMerge),
        cmocka_unit_test(TestDecayingHistogramSaveToCheckpoint),
        cmocka_unit_test(TestLinearHistogramOptions),
        cmocka_unit_test(TestExponentialHistogramOptions),
        cmocka_unit_test(test_vpa_schemes_fast_find),
        cmocka_unit_test(test_go_round),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
