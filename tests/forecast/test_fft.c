/*
 * tests/forecast/test_fft.c - ag__fft against a naive DFT on seeded random
 * data, for powers of two (radix-2) and other lengths (Bluestein), the
 * inverse round trip, known transforms, and bad arguments.
 */
#include <math.h>
#include "ag_test.h"
#include "forecast/model.h"
#include "util/alloc.h"

#define PI 3.14159265358979323846

static uint64_t rng_state = 0x1234abcdULL;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* X[k] = sum_j x[j] exp(-2 pi i j k / n), in long double, with the n
 * roots of unity tabulated (the angle only depends on j k mod n). */
static void naive_dft(const double *re, const double *im, size_t n, double *Xr, double *Xi)
{
    long double *c = malloc(2 * n * sizeof *c), *s;
    assert_non_null(c);
    s = c + n;
    for (size_t j = 0; j < n; j++) {
        c[j] = cosl(-2.0L * PI * (long double)j / (long double)n);
        s[j] = sinl(-2.0L * PI * (long double)j / (long double)n);
    }
    for (size_t k = 0; k < n; k++) {
        long double sr = 0, si = 0;
        for (size_t j = 0; j < n; j++) {
            size_t a = (j * k) % n;
            sr += re[j] * c[a] - im[j] * s[a];
            si += re[j] * s[a] + im[j] * c[a];
        }
        Xr[k] = (double)sr;
        Xi[k] = (double)si;
    }
    free(c);
}

static const size_t lengths[] = {1,  2,  3,  4,   5,   7,   8,    12,  16,
                                 17, 31, 64, 100, 127, 288, 1024, 2016};

static void test_fft_matches_dft(void **st)
{
    (void)st;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
        double *Xr = malloc(n * sizeof *Xr), *Xi = malloc(n * sizeof *Xi);
        double scale = 0;
        assert_non_null(re);
        assert_non_null(im);
        assert_non_null(Xr);
        assert_non_null(Xi);
        for (size_t j = 0; j < n; j++) {
            re[j] = urand() * 2 - 1;
            im[j] = urand() * 2 - 1;
        }
        naive_dft(re, im, n, Xr, Xi);
        assert_int_equal(ag__fft(re, im, n, 0), AG_OK);
        for (size_t k = 0; k < n; k++)
            scale = fmax(scale, hypot(Xr[k], Xi[k]));
        for (size_t k = 0; k < n; k++) {
            if (!(fabs(re[k] - Xr[k]) <= 1e-12 * scale * log2((double)n + 1) + 1e-14) ||
                !(fabs(im[k] - Xi[k]) <= 1e-12 * scale * log2((double)n + 1) + 1e-14))
                fail_msg("n=%zu k=%zu: fft (%.17g, %.17g), dft (%.17g, %.17g)", n, k, re[k], im[k],
                         Xr[k], Xi[k]);
        }
        free(re);
        free(im);
        free(Xr);
        free(Xi);
    }
}

static void test_fft_round_trip(void **st)
{
    (void)st;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
        double *r0 = malloc(n * sizeof *r0), *i0 = malloc(n * sizeof *i0);
        assert_non_null(re);
        assert_non_null(im);
        assert_non_null(r0);
        assert_non_null(i0);
        for (size_t j = 0; j < n; j++) {
            r0[j] = re[j] = (urand() - 0.5) * 1e6;
            i0[j] = im[j] = (urand() - 0.5) * 1e-3;
        }
        assert_int_equal(ag__fft(re, im, n, 0), AG_OK);
        assert_int_equal(ag__fft(re, im, n, 1), AG_OK);
        for (size_t j = 0; j < n; j++) {
            assert_double_near(re[j], r0[j], 1e-12 * 1e6 * log2((double)n + 1));
            assert_double_near(im[j], i0[j], 1e-12 * 1e6 * log2((double)n + 1));
        }
        free(re);
        free(im);
        free(r0);
        free(i0);
    }
}

/* A cosine at bin 3 of 12 points (Bluestein) and 16 points (radix-2): all
 * energy in bins 3 and n - 3, n/2 each. */
static void test_fft_known_cosine(void **st)
{
    static const size_t ns[] = {12, 16};
    (void)st;
    for (size_t t = 0; t < 2; t++) {
        size_t n = ns[t];
        double re[16], im[16];
        for (size_t j = 0; j < n; j++) {
            re[j] = cos(2 * PI * 3 * (double)j / (double)n);
            im[j] = 0;
        }
        assert_int_equal(ag__fft(re, im, n, 0), AG_OK);
        for (size_t k = 0; k < n; k++) {
            double want = (k == 3 || k == n - 3) ? (double)n / 2 : 0;
            assert_double_near(re[k], want, 1e-12);
            assert_double_near(im[k], 0, 1e-12);
        }
    }
}

static void test_fft_bad_args(void **st)
{
    double re[4] = {1, 2, 3, 4}, im[4] = {0};
    (void)st;
    assert_int_equal(ag__fft(re, im, 0, 0), AG_EINVAL);
    assert_int_equal(ag__fft(NULL, im, 4, 0), AG_EINVAL);
    assert_int_equal(ag__fft(re, NULL, 4, 0), AG_EINVAL);
    /* n = 1 is the identity, both ways. */
    assert_int_equal(ag__fft(re, im, 1, 0), AG_OK);
    assert_int_equal(ag__fft(re, im, 1, 1), AG_OK);
    assert_true(re[0] == 1 && im[0] == 0);
}

static void test_fft_out_of_memory(void **st)
{
    double re[12] = {1}, im[12] = {0};
    (void)st;
    ag__alloc_fail_after(1);
    assert_int_equal(ag__fft(re, im, 8, 0), AG_ENOMEM);
    ag__alloc_fail_after(1);
    assert_int_equal(ag__fft(re, im, 12, 0), AG_ENOMEM);
    ag__alloc_fail_after(0);
    assert_int_equal(ag__fft(re, im, 12, 0), AG_OK);
    assert_double_near(re[5], 1.0, 1e-12); /* the transform of a unit impulse is all ones */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft_matches_dft),   cmocka_unit_test(test_fft_round_trip),
        cmocka_unit_test(test_fft_known_cosine),  cmocka_unit_test(test_fft_bad_args),
        cmocka_unit_test(test_fft_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
