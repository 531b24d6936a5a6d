/*
 * tests/util/test_time.c - time and duration parsing and formatting.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/util.h"

static void ok_time(const char *s, int64_t want)
{
    int64_t got = -1;
    int err = ag_time_parse(s, &got);
    if (err != AG_OK)
        fail_msg("ag_time_parse(\"%s\") = %d, expected ok", s, err);
    if (got != want)
        fail_msg("ag_time_parse(\"%s\") = %lld, expected %lld", s, (long long)got,
                 (long long)want);
}

static void bad_time(const char *s)
{
    int64_t got = 42;
    int err = ag_time_parse(s, &got);
    if (err != AG_EINVAL)
        fail_msg("ag_time_parse(\"%s\") = %d (%lld), expected AG_EINVAL", s, err,
                 (long long)got);
    assert_int_equal(got, 42); /* untouched on error */
}

static void test_unix(void **st)
{
    (void)st;
    ok_time("1700000000", 1700000000000LL);
    ok_time("1700000000.5", 1700000000500LL);
    ok_time("1700000000.123", 1700000000123LL);
    ok_time("1700000000.1234", 1700000000123LL);
    ok_time("1700000000.1235", 1700000000124LL); /* rounds to the nearest ms */
    ok_time("1700000000.9996", 1700000001000LL);
    ok_time("0", 0);
    bad_time("");
    bad_time("17e8");
    bad_time("1700000000.");
    bad_time(".5");
    bad_time("-5");
    bad_time("1700000000 ");
    bad_time(" 1700000000");
    bad_time("1700000000x");
    bad_time("99999999999999999999");
    bad_time("1.1234567891"); /* more than 9 fraction digits */
}

static void test_rfc3339(void **st)
{
    (void)st;
    ok_time("2023-11-14T22:13:20Z", 1700000000000LL);
    ok_time("2023-11-14t22:13:20z", 1700000000000LL);
    ok_time("2023-11-14 22:13:20Z", 1700000000000LL);
    ok_time("2023-11-14T22:13:20.5Z", 1700000000500LL);
    ok_time("2023-11-14T22:13:20.123456789Z", 1700000000123LL);
    ok_time("2023-11-15T00:13:20+02:00", 1700000000000LL);
    ok_time("2023-11-14T17:13:20-05:00", 1700000000000LL);
    ok_time("2023-11-14T22:43:20+00:30", 1700000000000LL);
    ok_time("1970-01-01T00:00:00Z", 0);
    ok_time("1969-12-31T23:59:59Z", -1000);
    ok_time("2024-02-29T00:00:00Z", 1709164800000LL);
    ok_time("2000-02-29T00:00:00Z", 951782400000LL);
    bad_time("2023-02-29T00:00:00Z"); /* not a leap year */
    bad_time("1900-02-29T00:00:00Z");
    bad_time("2023-13-01T00:00:00Z");
    bad_time("2023-00-01T00:00:00Z");
    bad_time("2023-04-31T00:00:00Z");
    bad_time("2023-11-14T24:00:00Z");
    bad_time("2023-11-14T23:60:00Z");
    bad_time("2023-11-14T23:59:60Z");
    bad_time("2023-11-14T22:13:20");      /* no zone */
    bad_time("2023-11-14T22:13:20Zjunk"); /* trailing junk */
    bad_time("2023-11-14T22:13:20+0200");
    bad_time("2023-11-14T22:13:20+24:00");
    bad_time("2023-11-14T22:13:20.Z");
    bad_time("2023-11-14");
    bad_time("2023-1-14T22:13:20Z");
    bad_time("garbage");
}

static void test_format(void **st)
{
    char b[64];
    int64_t back;
    (void)st;
    assert_string_equal(ag_time_format(1700000000000LL, b, sizeof b), "2023-11-14T22:13:20Z");
    assert_string_equal(ag_time_format(1700000000123LL, b, sizeof b),
                        "2023-11-14T22:13:20.123Z");
    assert_string_equal(ag_time_format(0, b, sizeof b), "1970-01-01T00:00:00Z");
    assert_string_equal(ag_time_format(-1, b, sizeof b), "1969-12-31T23:59:59.999Z");
    /* Round trip over a spread of times, leap days included. */
    for (int64_t t = -86400000LL * 400; t < 86400000LL * 365 * 60; t += 86400000LL * 7 + 12345) {
        ag_time_format(t, b, sizeof b);
        assert_int_equal(ag_time_parse(b, &back), AG_OK);
        assert_int_equal(back, t);
    }
}

static void ok_dur(const char *s, int64_t want)
{
    int64_t got = -1;
    int err = ag_duration_parse(s, &got);
    if (err != AG_OK || got != want)
        fail_msg("ag_duration_parse(\"%s\") = %d / %lld, expected %lld", s, err,
                 (long long)got, (long long)want);
}

static void bad_dur(const char *s)
{
    int64_t got = 0;
    if (ag_duration_parse(s, &got) != AG_EINVAL)
        fail_msg("ag_duration_parse(\"%s\") accepted (%lld)", s, (long long)got);
}

static void test_duration(void **st)
{
    char b[64];
    int64_t back;
    (void)st;
    ok_dur("90s", 90000);
    ok_dur("5m", 300000);
    ok_dur("1h30m", 5400000);
    ok_dur("8d", 8 * 86400000LL);
    ok_dur("2w", 14 * 86400000LL);
    ok_dur("1y", 365 * 86400000LL);
    ok_dur("250ms", 250);
    ok_dur("1m30s250ms", 90250);
    ok_dur("1d12h", 36 * 3600000LL);
    ok_dur("300", 300000);
    ok_dur("1.5", 1500);
    ok_dur("0s", 0);
    bad_dur("");
    bad_dur("5x");
    bad_dur("h");
    bad_dur("30m1h"); /* units must decrease, as in Prometheus */
    bad_dur("1h1h");
    bad_dur("-5m");
    bad_dur("5m ");
    bad_dur("1.5h");
    bad_dur("99999999999999999999y");
    assert_string_equal(ag_duration_format(8 * 86400000LL, b, sizeof b), "8d");
    assert_string_equal(ag_duration_format(5400000, b, sizeof b), "1h30m");
    assert_string_equal(ag_duration_format(15000, b, sizeof b), "15s");
    assert_string_equal(ag_duration_format(250, b, sizeof b), "250ms");
    assert_string_equal(ag_duration_format(0, b, sizeof b), "0s");
    assert_string_equal(ag_duration_format(90061001, b, sizeof b), "1d1h1m1s1ms");
    for (int64_t d = 1; d < 400 * 86400000LL; d = d * 3 + 7) {
        ag_duration_format(d, b, sizeof b);
        assert_int_equal(ag_duration_parse(b, &back), AG_OK);
        assert_int_equal(back, d);
    }
}

static void test_now(void **st)
{
    (void)st;
    int64_t a = ag_now_ms();
    assert_true(a > 1600000000000LL); /* after 2020 */
    assert_true(ag_now_ms() >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix),     cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_format),   cmocka_unit_test(test_duration),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
