/*
 * tests/recommend/test_vpa_fast.c - the VPA recommender's fast paths
 * (lib/recommend/vpa.c cpu_run / mem_skip, histogram.h ifind) against the
 * per-sample reference path (ag__vpa_reference = 1): the histograms must
 * be bit-for-bit the same, weights, totals, min/max buckets, reference
 * times and counts, on series built to hit every edge the fast paths skip
 * over (gaps, duplicates, disorder, NaN / negative / -0 / huge values,
 * reference shifts mid-run, odd half-lives, OOM events, zero peaks).
 */
#include <math.h>
#include "ag_test.h"
#include "augur/recommend.h"
#include "recommend/histogram.h"
#include "recommend/rec_int.h"
#include "rec_fixture.h"

static uint64_t rng;

static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double urand(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

/* A value with the occasional oddity the fast paths must leave alone. */
static double odd_value(double typical)
{
    double u = urand();

    if (u < 0.004)
        return NAN;
    if (u < 0.008)
        return -typical;
    if (u < 0.010)
        return -0.0;
    if (u < 0.012)
        return 0.0;
    if (u < 0.013)
        return INFINITY;
    if (u < 0.014)
        return typical * 1e9; /* past the last bucket */
    return typical;
}

/* Times on a step grid from t0 with gaps, duplicates, swaps and the odd
 * off-grid sample, depending on mode bits. */
static void fill_series(ag_samples *s, int64_t t0, int n, int64_t step, double base, int mode,
                        int walk)
{
    int64_t t = t0;
    double level = base;

    for (int k = 0; k < n; k++) {
        double u = urand(), v;
        if ((mode & 1) && u < 0.01)
            t += step * (1 + (int64_t)(urand() * 5)); /* gap */
        if ((mode & 2) && u > 0.99)
            t += step / 3; /* off the grid from here on */
        level = walk ? level * (0.97 + 0.06 * urand()) + (urand() < 0.001 ? base : 0)
                     : base * (0.2 + 1.6 * urand());
        v = odd_value(level);
        assert_int_equal(ag_samples_push(s, t, v), AG_OK);
        if ((mode & 4) && urand() < 0.01) /* duplicate time */
            assert_int_equal(ag_samples_push(s, t, odd_value(level)), AG_OK);
        if ((mode & 8) && urand() < 0.005 && s->n >= 2) { /* disorder */
            ag_sample tmp = s->v[s->n - 1];
            s->v[s->n - 1] = s->v[s->n - 2];
            s->v[s->n - 2] = tmp;
        }
        t += step;
    }
}

static void assert_same_hist(const ag__dhist *a, const ag__dhist *b)
{
    assert_int_equal(a->ref_ms, b->ref_ms);
    assert_int_equal(a->h.minb, b->h.minb);
    assert_int_equal(a->h.maxb, b->h.maxb);
    assert_memory_equal(&a->h.total, &b->h.total, sizeof a->h.total);
    assert_memory_equal(a->h.w, b->h.w, sizeof a->h.w);
}

/* Runs wc through both paths and compares everything. */
static void check_same(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start, int64_t now)
{
    ag__dhist cf, mf, cr, mr;
    uint64_t nf[3], nr[3];

    ag__vpa_reference = 0;
    assert_int_equal(ag__vpa_hists(p, wc, start, now, &cf, &mf, nf), AG_OK);
    ag__vpa_reference = 1;
    assert_int_equal(ag__vpa_hists(p, wc, start, now, &cr, &mr, nr), AG_OK);
    ag__vpa_reference = 0;
    assert_same_hist(&cf, &cr);
    assert_same_hist(&mf, &mr);
    assert_memory_equal(nf, nr, sizeof nf);
}

static void default_vpa(ag_vpa_params *p)
{
    ag_rec_params rp;
    ag_rec_params_default(&rp);
    *p = rp.vpa;
}

/* CPU and memory on the 1-minute grid (the fast paths' home ground),
 * each mode of oddities, one and three members. */
static void test_grid_modes(void **state)
{
    ag_vpa_params p;
    (void)state;
    default_vpa(&p);
    rng = 12345;
    for (int mode = 0; mode < 16; mode++)
        for (int members = 1; members <= 3; members += 2) {
            ag_container c[3];
            ag_container *m[3] = {&c[0], &c[1], &c[2]};
            ag_wcontainer wc;
            int64_t t0 = TEST_TS / MIN_MS * MIN_MS;
            for (int k = 0; k < members; k++) {
                fx_init(&c[k]);
                fill_series(&c[k].usage[AG_CPU], t0 + k * 7 * MIN_MS, 3 * 1440, MIN_MS,
                            0.001 + urand() * 3, mode, 0);
                fill_series(&c[k].usage[AG_MEMORY], t0 + k * 5 * MIN_MS, 3 * 1440, MIN_MS,
                            1e8 + urand() * 4e9, mode, k != 1);
            }
            fx_wc(&wc, m, (size_t)members);
            check_same(&p, &wc, INT64_MIN, t0 + 4 * DAY_MS);
            check_same(&p, &wc, t0 + DAY_MS / 3, t0 + 2 * DAY_MS); /* a window */
            for (int k = 0; k < members; k++)
                fx_free(&c[k]);
        }
}

/* A 10-minute CPU half-life: the reference time moves every 1000
 * minutes, in the middle of runs; a 90 s half-life is off the table's
 * grid (no fast CPU path); 30 s input is finer than the grid. */
static void test_ref_shifts_and_odd_grids(void **state)
{
    const int64_t half_lives[] = {10 * MIN_MS, 90 * 1000, 7 * MIN_MS, DAY_MS};
    const int64_t steps[] = {MIN_MS, 30 * 1000, MIN_MS + 1000};
    ag_vpa_params p;
    (void)state;
    rng = 777;
    for (size_t h = 0; h < sizeof half_lives / sizeof half_lives[0]; h++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            ag_container c;
            ag_container *m[1] = {&c};
            ag_wcontainer wc;
            default_vpa(&p);
            p.cpu_half_life_ms = half_lives[h];
            p.memory_half_life_ms = half_lives[h];
            p.memory_aggregation_interval_ms = HOUR_MS;
            fx_init(&c);
            fill_series(&c.usage[AG_CPU], TEST_TS, 5000, steps[s], 0.5, 1, 0);
            fill_series(&c.usage[AG_MEMORY], TEST_TS, 5000, steps[s], 5e8, 1, 1);
            fx_wc(&wc, m, 1);
            check_same(&p, &wc, INT64_MIN, INT64_MAX);
            fx_free(&c);
        }
}

/* OOM events between memory samples, with and without a request, and
 * windows whose first peak is 0 bytes (they take no bigger peak). */
static void test_memory_ooms_and_zero_peaks(void **state)
{
    ag_vpa_params p;
    (void)state;
    default_vpa(&p);
    p.memory_aggregation_interval_ms = 2 * HOUR_MS;
    rng = 99;
    for (int round = 0; round < 8; round++) {
        ag_container c;
        ag_container *m[1] = {&c};
        ag_wcontainer wc;
        int64_t t0 = TEST_TS / MIN_MS * MIN_MS;
        fx_init(&c);
        if (round & 1)
            c.request[AG_MEMORY] = 3e8;
        for (int k = 0; k < 2000; k++) {
            int64_t t = t0 + k * MIN_MS;
            double v = (k % 240 < 3 && (round & 2)) ? 0.0 : 1e8 + 1e3 * k + 1e7 * urand();
            assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], t, v), AG_OK);
            assert_int_equal(ag_samples_push(&c.usage[AG_CPU], t, urand()), AG_OK);
            if (urand() < 0.01)
                assert_int_equal(ag_samples_push(&c.oom, t + (round & 4 ? 0 : 1000), v), AG_OK);
        }
        fx_wc(&wc, m, 1);
        check_same(&p, &wc, INT64_MIN, INT64_MAX);
        fx_free(&c);
    }
}

/* Deterministic memory edges, hourly windows of 60 samples: (0) each
 * window's peak is its first sample, exactly at the previous window's
 * end and below the previous peak; (1) a peak of T - 1 bytes then T, the
 * first whole byte of the next bucket (usage > peak by exactly 1 byte);
 * (2) the 1e14-byte cap (a capped peak takes no bigger one). */
static void test_memory_edges(void **state)
{
    const ag__hist_opts *o = ag__vpa_mem_opts();
    double T = ceil(o->thr[100]);
    ag_vpa_params p;
    (void)state;
    default_vpa(&p);
    p.memory_aggregation_interval_ms = HOUR_MS;
    assert_int_equal(ag__hist_find(o, T - 1), 99);
    assert_int_equal(ag__hist_find(o, T), 100);
    for (int kind = 0; kind < 3; kind++) {
        ag_container c;
        ag_container *m[1] = {&c};
        ag_wcontainer wc;
        ag__dhist cpu, mem;
        uint64_t n[3];
        fx_init(&c);
        for (int k = 0; k < 600; k++) {
            int w = k / 60, r = k % 60;
            double v = kind == 0   ? (r == 0 ? 1e10 * pow(0.8, w) : 1e8)
                       : kind == 1 ? (r == 0   ? T - 1
                                      : r == 1 ? T
                                               : 1e8)
                                   : (k % 7 == 0 ? 1e14 : 1.5e14 + k);
            assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS + k * MIN_MS, v), AG_OK);
        }
        fx_wc(&wc, m, 1);
        check_same(&p, &wc, INT64_MIN, INT64_MAX);
        assert_int_equal(ag__vpa_hists(&p, &wc, INT64_MIN, INT64_MAX, &cpu, &mem, n), AG_OK);
        assert_int_equal(n[1], 600);
        if (kind == 0) { /* the peaks are the samples 0, 60, ..., 540 only */
            int want[AG__HIST_MAX] = {0};
            for (int w = 0; w < 10; w++)
                want[ag__hist_find(o, 1e10 * pow(0.8, w))] = 1;
            for (int b = 0; b < o->n; b++)
                assert_int_equal(want[b], mem.h.w[b] > 0);
        } else if (kind == 1) { /* every window's peak moved up to T */
            assert_true(mem.h.w[99] == 0);
            assert_true(mem.h.w[100] > 0);
            assert_int_equal(mem.h.minb, 100);
            assert_int_equal(mem.h.maxb, 100);
        }
        fx_free(&c);
    }
}

/* Whole-millicore bucket lookup == FindBucket(k / 1000) everywhere: every
 * k up to 2,000 cores, both sides of every threshold, random huge ones,
 * and fractions (x is truncated first). */
static void test_ifind_exact(void **state)
{
    const ag__hist_opts *o = ag__vpa_cpu_opts();
    const ag__hist_ifind *f = ag__vpa_cpu_ifind();
    (void)state;
    assert_non_null(f);
    for (int64_t k = 0; k <= 2000000; k++)
        if ((int)ag__hist_ifind_trunc(f, (double)k + 0.5) != ag__hist_find(o, (double)k / 1000))
            fail_msg("k = %lld", (long long)k);
    for (int b = 1; b < o->n; b++) {
        double k = f->thr[b] - 1; /* the first whole millicore in b */
        assert_int_equal(ag__hist_find(o, k / 1000), b);
        assert_int_equal(ag__hist_find(o, (k - 1) / 1000), b - 1);
        assert_int_equal(ag__hist_ifind_trunc(f, k), b);
        assert_int_equal(ag__hist_ifind_trunc(f, k - 1e-9 * k), b - 1);
    }
    rng = 5;
    for (int i = 0; i < 200000; i++) {
        double x = ldexp(urand(), (int)(next_u64() % 70));
        int64_t k = x > 1e14 ? (int64_t)1e14 : (int64_t)x;
        assert_int_equal(ag__hist_ifind_trunc(f, x), ag__hist_find(o, (double)k / 1000));
    }
    assert_int_equal(ag__hist_ifind_trunc(f, INFINITY), o->n - 1);
    assert_int_equal(ag__hist_ifind_trunc(f, -0.0), 0);
}

/* Schemes the table cannot serve are refused, not served wrong; others
 * are served exactly. */
static void test_ifind_refuses(void **state)
{
    ag__hist_opts o;
    ag__hist_ifind f;
    (void)state;
    /* 1-millicore linear buckets: several thresholds per table slot */
    assert_int_equal(ag__hist_opts_linear(&o, 0.2, 0.001, 1e-4), 0);
    assert_int_equal(ag__hist_ifind_init(&f, &o, 1000.0), -1);
    /* the VPA memory scheme in whole bytes spans 40 octaves: too wide */
    assert_int_equal(ag__hist_ifind_init(&f, ag__vpa_mem_opts(), 1.0), -1);
    /* a coarse exponential scheme fits */
    assert_int_equal(ag__hist_opts_exponential(&o, 100, 0.01, 1.5, 1e-4), 0);
    assert_int_equal(ag__hist_ifind_init(&f, &o, 1000.0), 0);
    for (int64_t k = 0; k <= 300000; k++)
        if ((int)ag__hist_ifind_trunc(&f, (double)k) != ag__hist_find(&o, (double)k / 1000))
            fail_msg("k = %lld", (long long)k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_modes),
        cmocka_unit_test(test_ref_shifts_and_odd_grids),
        cmocka_unit_test(test_memory_ooms_and_zero_peaks),
        cmocka_unit_test(test_memory_edges),
        cmocka_unit_test(test_ifind_exact),
        cmocka_unit_test(test_ifind_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
