/*
 * tests/util/test_quantile.c - selection-based quantile against a sorted
 * reference and Prometheus' quantile_over_time semantics.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/util.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The textbook definition over a sorted copy. */
static double ref_quantile(const double *v, size_t n, double q)
{
    double *s = malloc(n * sizeof *s), r, w, out;
    size_t lo, hi;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_d);
    r = q * (double)(n - 1);
    lo = (size_t)floor(r);
    hi = lo + 1 < n ? lo + 1 : n - 1;
    w = r - floor(r);
    out = s[lo] * (1 - w) + s[hi] * w;
    free(s);
    return out;
}

static void test_known(void **st)
{
    double v[100];
    (void)st;
    for (int i = 0; i < 100; i++)
        v[99 - i] = i + 1; /* 100..1, reversed on purpose */
    assert_double_near(ag_quantile_inplace(v, 100, 0.95), 95.05, 1e-9);
    assert_double_near(ag_quantile_inplace(v, 100, 0.5), 50.5, 1e-9);
    assert_double_near(ag_quantile_inplace(v, 100, 0.99), 99.01, 1e-9);
    assert_double_near(ag_quantile_inplace(v, 100, 0), 1, 0);
    assert_double_near(ag_quantile_inplace(v, 100, 1), 100, 0);
    /* Clamped outside [0, 1] (Prometheus gives -Inf / +Inf there). */
    assert_double_near(ag_quantile_inplace(v, 100, -0.5), 1, 0);
    assert_double_near(ag_quantile_inplace(v, 100, 7), 100, 0);
    assert_true(isnan(ag_quantile_inplace(v, 0, 0.5)));
    assert_true(isnan(ag_quantile_inplace(v, 100, NAN)));
    double one = 3.5;
    assert_double_near(ag_quantile_inplace(&one, 1, 0.9), 3.5, 0);
    double two[2] = {10, 0};
    assert_double_near(ag_quantile_inplace(two, 2, 0.25), 2.5, 1e-12);
}

static void test_random(void **st)
{
    static const double qs[] = {0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
    static double a[5000], b[5000];
    unsigned seed = 12345;
    (void)st;
    for (size_t n = 1; n <= 5000; n = n * 2 + 1) {
        for (int kind = 0; kind < 4; kind++) {
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                switch (kind) {
                case 0: a[i] = (double)(seed >> 8) / 16777216.0; break; /* uniform */
                case 1: a[i] = (double)((seed >> 16) % 7); break;       /* many ties */
                case 2: a[i] = (double)i; break;                        /* sorted */
                default: a[i] = (double)(n - i); break;                 /* reversed */
                }
            }
            for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
                memcpy(b, a, n * sizeof *b);
                double got = ag_quantile_inplace(b, n, qs[k]);
                double want = ref_quantile(a, n, qs[k]);
                if (got != want)
                    fail_msg("n=%zu kind=%d q=%g: %.17g, expected %.17g", n, kind, qs[k], got,
                             want);
            }
        }
    }
}

/* Structured inputs that hurt naive pivot choices. */
static void test_patterns(void **st)
{
    enum { N = 100001 };
    static double a[N], b[N];
    (void)st;
    for (int kind = 0; kind < 4; kind++) {
        for (size_t i = 0; i < N; i++) {
            switch (kind) {
            case 0: a[i] = (double)(i < N / 2 ? i : N - i); break; /* organ pipe */
            case 1: a[i] = 42; break;                              /* all equal */
            case 2: a[i] = (double)(i % 100); break;               /* sawtooth */
            default: a[i] = (double)(i % 2 ? i : N - i); break;    /* interleaved */
            }
        }
        for (int k = 0; k <= 20; k++) {
            double q = k / 20.0;
            memcpy(b, a, sizeof a);
            double got = ag_quantile_inplace(b, N, q);
            double want = ref_quantile(a, N, q);
            if (got != want)
                fail_msg("kind=%d q=%g: %.17g, expected %.17g", kind, q, got, want);
        }
    }
}

/* NaN in the input must not crash or read out of bounds (ASan checks). */
static void test_nan_input(void **st)
{
    double v[9] = {3, NAN, 1, NAN, 7, 2, NAN, 5, 4};
    (void)st;
    for (int i = 0; i <= 10; i++)
        (void)ag_quantile_inplace(v, 9, i / 10.0);
    double all[4] = {NAN, NAN, NAN, NAN};
    assert_true(isnan(ag_quantile_inplace(all, 4, 0.5)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_nan_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
