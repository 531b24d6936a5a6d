/*
 * tests/util/test_quantity.c - Kubernetes quantity formatting and parsing.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/util.h"

#define CPU(v, want)                                                                               \
    do {                                                                                           \
        char _b[32];                                                                               \
        assert_string_equal(ag_cpu_format(v, _b, sizeof _b), want);                               \
    } while (0)
#define MEM(v, want)                                                                               \
    do {                                                                                           \
        char _b[32];                                                                               \
        assert_string_equal(ag_mem_format(v, _b, sizeof _b), want);                               \
    } while (0)

static void test_cpu_format(void **st)
{
    (void)st;
    CPU(0.25, "250m");
    CPU(0.2501, "251m");
    CPU(0.25000001, "251m");
    CPU(2.0, "2");
    CPU(1.5, "1500m");
    CPU(0.07, "70m"); /* 0.07 * 1000 is 70.00000000000001 in binary */
    CPU(0.3, "300m");
    CPU(0.0000001, "1m");
    CPU(0.9999, "1");
    CPU(0, "0");
    CPU(-1, "0");
    CPU(NAN, "n/a");
}

static void test_mem_format(void **st)
{
    (void)st;
    MEM(1.5 * 1073741824.0, "1536Mi");
    MEM(2.0 * 1073741824.0, "2Gi");
    MEM(512.0 * 1048576.0, "512Mi");
    MEM(512.0 * 1048576.0 + 1, "513Mi");
    MEM(1, "1Mi");
    MEM(1e-12, "1Mi");
    MEM(0, "0");
    MEM(1073741824.0 - 1, "1Gi"); /* rounds up to 1024Mi = 1Gi */
    MEM(INFINITY, "n/a");
}

static void ok_q(const char *s, double want)
{
    double v = -1;
    int err = ag_quantity_parse(s, &v);
    if (err != AG_OK || fabs(v - want) > 1e-9 * fmax(1, fabs(want)))
        fail_msg("ag_quantity_parse(\"%s\") = %d / %.17g, expected %.17g", s, err, v, want);
}

static void bad_q(const char *s)
{
    double v = 0;
    if (ag_quantity_parse(s, &v) != AG_EINVAL)
        fail_msg("ag_quantity_parse(\"%s\") accepted (%g)", s, v);
}

static void test_parse(void **st)
{
    (void)st;
    ok_q("250m", 0.25);
    ok_q("2", 2);
    ok_q("1.5", 1.5);
    ok_q(".5", 0.5);
    ok_q("512Mi", 536870912.0);
    ok_q("1Gi", 1073741824.0);
    ok_q("1G", 1e9);
    ok_q("1e3", 1000);
    ok_q("1E3", 1000);
    ok_q("2E", 2e18); /* exa, not an exponent */
    ok_q("1.5Ki", 1536);
    ok_q("1k", 1000);
    ok_q("1M", 1e6);
    ok_q("1T", 1e12);
    ok_q("1P", 1e15);
    ok_q("1Ti", 1099511627776.0);
    ok_q("1Pi", 1125899906842624.0);
    ok_q("1Ei", 1152921504606846976.0);
    ok_q("100u", 1e-4);
    ok_q("+3", 3);
    bad_q("");
    bad_q("m");
    bad_q("Mi");
    bad_q("1.5.5");
    bad_q("1 Mi");
    bad_q("1Mi ");
    bad_q("1MB");
    bad_q("1K"); /* kilo is lower-case k */
    bad_q("1e3Mi");
    bad_q("abc");
    bad_q("1mm");
    bad_q("nan");
    bad_q("inf");
    bad_q("0x10");
}

/* What is printed parses back to a value at or above the input. */
static void test_round_trip(void **st)
{
    char b[32];
    double v;
    (void)st;
    for (double c = 0.0001; c < 64; c = c * 1.37 + 0.0003) {
        assert_int_equal(ag_quantity_parse(ag_cpu_format(c, b, sizeof b), &v), AG_OK);
        assert_true(v >= c - 1e-12);
        assert_true(v - c < 0.001 + 1e-12);
    }
    for (double m = 1000; m < 64e9; m = m * 1.61 + 17) {
        assert_int_equal(ag_quantity_parse(ag_mem_format(m, b, sizeof b), &v), AG_OK);
        assert_true(v >= m);
        assert_true(v - m < 1048576.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_format),
        cmocka_unit_test(test_mem_format),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
